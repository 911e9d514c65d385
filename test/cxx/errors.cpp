// errors.cpp - every status maps to indexbus::Error / std::error_code the
// same way: category() names it, its message is indexbus_strerror, the
// portable ones compare equal to std::errc; and each status the API can be
// made to return comes out of the throwing call as that status (and out of
// the try_ call as the same int).
#include "check.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <vector>

#include <sys/stat.h>

using indexbus::Error;
using indexbus::Status;

static void test_category()
{
    const std::error_category &cat = indexbus::category();
    CHECK(&cat == &indexbus::category()); // one object
    CHECK(std::string(cat.name()) == "indexbus");
    for (int st = 0; st < INDEXBUS_STATUS_COUNT + 2; st++) {
        CHECK(cat.message(st) == indexbus_strerror(st));
        Error e(st, "call");
        CHECK(e.code().value() == st);
        CHECK(&e.code().category() == &cat);
        CHECK(static_cast<int>(e.status()) == st);
        CHECK(std::string(e.what()).find("call") != std::string::npos);
        CHECK(std::string(e.what()).find(indexbus_strerror(st)) != std::string::npos);
        std::error_code ec = static_cast<Status>(st); // is_error_code_enum
        CHECK(ec == e.code());
        const std::system_error &se = e; // catchable as the standard type
        CHECK(se.code() == e.code());
    }
    CHECK(std::error_code(Status::timeout) == std::errc::timed_out);
    CHECK(std::error_code(Status::invalid_argument) == std::errc::invalid_argument);
    CHECK(std::error_code(Status::exists) == std::errc::file_exists);
    CHECK(std::error_code(Status::not_found) == std::errc::no_such_file_or_directory);
    CHECK(std::error_code(Status::permission) == std::errc::permission_denied);
    CHECK(std::error_code(Status::busy) == std::errc::device_or_resource_busy);
    CHECK(std::error_code(Status::no_memory) == std::errc::not_enough_memory);
    CHECK(std::error_code(Status::io) == std::errc::io_error);
    CHECK(std::error_code(Status::full) != std::errc::timed_out);
    CHECK(!std::error_code(Status::ok)); // OK is "no error"
    CHECK(static_cast<int>(Status::bad_state) == INDEXBUS_BAD_STATE);
    CHECK(INDEXBUS_STATUS_COUNT == 20); // a new status needs a Status enumerator
}

// Status names of the statuses reached below (each at least once).
static std::vector<int> reached;
#define REACH(expr, want)                                                            \
    do {                                                                             \
        CHECK_THROWS(expr, want);                                                    \
        reached.push_back(static_cast<int>(want));                                   \
    } while (0)

static std::string tmp_file(const char *tag)
{
    return "/tmp/ibxx-" + std::string(tag) + "-" + std::to_string(getpid());
}

static void test_region_errors()
{
    const std::string n = ibx::name("err");
    ibx::Unlink u(n);
    indexbus::Region r = ibx::small_events(n);
    REACH(ibx::small_events(n), Status::exists);
    REACH(indexbus::Region::open(ibx::name("missing")), Status::not_found);
    REACH(indexbus::Region::unlink(ibx::name("missing")), Status::not_found);
    CHECK_ST(indexbus::Region::try_unlink(ibx::name("missing")), INDEXBUS_NOT_FOUND);
    indexbus_region_config bad = indexbus::Region::config();
    bad.slot_count = 3; // not a power of two
    REACH(indexbus::Region::create(ibx::name("bad"), bad), Status::invalid_argument);
    REACH(indexbus::Region::config(static_cast<indexbus::Kind>(99)), Status::invalid_argument);
    REACH(r.consumer_stats(7), Status::out_of_range);
    REACH(indexbus::Router::open(r), Status::wrong_kind); // events: no router

    // hostile files: text (INCOMPATIBLE), empty (NOT_READY), short (CORRUPT)
    const std::string text = tmp_file("text"), empty = tmp_file("empty"),
                      shortf = tmp_file("short"), link = tmp_file("link");
    {
        std::ofstream f(text);
        for (int i = 0; i < 400; i++)
            f << "not a region\n";
        std::ofstream e(empty);
        std::ofstream s(shortf);
        s << std::string(100, 'x');
    }
    REACH(indexbus::Region::open(text, std::chrono::milliseconds(0)), Status::incompatible);
    REACH(indexbus::Region::open(empty, std::chrono::milliseconds(1)), Status::not_ready);
    REACH(indexbus::Region::open(shortf, std::chrono::milliseconds(1)), Status::corrupt);
    // a file region opened through a symlink is refused (O_NOFOLLOW)
    const std::string target = tmp_file("target");
    {
        indexbus::Region t = ibx::small_events(target);
        REQUIRE(symlink(target.c_str(), link.c_str()) == 0);
        REACH(indexbus::Region::open(link), Status::permission);
    }
    for (const std::string &p : {text, empty, shortf, link, target})
        std::remove(p.c_str());
}

static void test_handle_errors()
{
    const std::string n = ibx::name("herr");
    ibx::Unlink u(n);
    indexbus::Region r = ibx::small_events(n);
    indexbus::Producer p = indexbus::Producer::open(r);
    REACH(indexbus::Producer::open(r), Status::busy); // SPSC is exclusive
    REACH(indexbus::Producer::open(r, static_cast<indexbus::ProducerType>(9)),
          Status::invalid_argument);
    REACH(indexbus::Consumer::open(r, 1), Status::out_of_range);
    indexbus::Consumer c = indexbus::Consumer::open(r);
    REACH(indexbus::Consumer::open(r), Status::busy);

    std::byte buf[64];
    REACH(c.recv_begin(), Status::empty);
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY);
    REACH(c.recv(buf, std::chrono::milliseconds(1)), Status::timeout);
    REACH(c.wait(std::chrono::microseconds(100)), Status::timeout);

    REACH(p.publish(std::string(65, 'x')), Status::too_large);
    CHECK_ST(p.try_publish(std::string(65, 'x')), INDEXBUS_TOO_LARGE);
    p.publish(std::string(40, 'y'));
    std::byte tiny[8];
    REACH(c.recv(tiny), Status::buffer_too_small);
    CHECK_ST(c.try_recv(tiny, len), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 40);
    {
        indexbus::Borrow b = c.recv_begin();
        REACH(c.recv(buf), Status::bad_state); // receive while borrowing
        CHECK(b.size() == 40);
    }
    for (int i = 0; i < 8; i++) // the queue holds 8
        p.publish("m");
    REACH(p.publish("one too many"), Status::full);
    CHECK_ST(p.try_publish("one too many"), INDEXBUS_FULL);
    REACH(p.claim(), Status::full);
    {
        indexbus::Claim cl;
        CHECK_ST(p.try_claim(cl), INDEXBUS_FULL);
        CHECK(!cl);
        REACH(cl.commit(1), Status::bad_state); // nothing claimed
    }
    while (c.try_recv(buf, len) == INDEXBUS_OK) {
    }
    p.close(); // every producer gone, queue drained
    REACH(c.recv(buf, std::chrono::seconds(1)), Status::disconnected);
    REACH(c.recv_begin(), Status::disconnected);
}

int main()
{
    test_category();
    test_region_errors();
    test_handle_errors();
    // every status that a caller can provoke on a healthy system
    for (Status want : {Status::full, Status::empty, Status::too_large, Status::buffer_too_small,
                        Status::incompatible, Status::not_ready, Status::invalid_argument,
                        Status::wrong_kind, Status::timeout, Status::disconnected,
                        Status::corrupt, Status::permission, Status::exists, Status::not_found,
                        Status::busy, Status::out_of_range, Status::bad_state}) {
        bool seen = false;
        for (int st : reached)
            seen = seen || st == static_cast<int>(want);
        if (!seen)
            std::fprintf(stderr, "not reached: %s\n", indexbus_status_name(static_cast<int>(want)));
        CHECK(seen);
    }
    std::printf("errors: reached %zu status throws (io and no_memory: mapping only)\n",
                reached.size());
    return ibx::summary();
}
