// blocking_producer.cpp - Producer::publish_wait and claim_wait, on byte logs
// and events regions: on a full region they throw TIMEOUT after the timeout
// (their try_ forms return it, and a Claim stays empty), they return as soon
// as a consumer frees space - in another thread, waiting without limit, and
// in another process - with the records byte-exact and in order, and a
// consumer that closes wakes them with DISCONNECTED.
#include "check.hpp"

#include <cstring>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using indexbus::Claim;
using indexbus::Consumer;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Status;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

static constexpr std::uint64_t RING = 4096;
static constexpr std::uint32_t MAXREC = 2040; // two fill the ring: 2 x 2048

static std::vector<std::byte> record(std::uint32_t tag, std::size_t len)
{
    std::vector<std::byte> v(len);
    for (std::size_t i = 0; i < len; i++)
        v[i] = static_cast<std::byte>((tag * 131u + i * 7u + len) & 0xffu);
    return v;
}

static bool recv_is(Consumer &c, std::uint32_t tag, std::size_t want_len)
{
    std::vector<std::byte> buf(MAXREC), want = record(tag, want_len);
    std::size_t len = 0;
    int st = c.try_recv(buf, len, 10s);
    if (st != INDEXBUS_OK) {
        std::fprintf(stderr, "recv %u: %s\n", tag, indexbus_status_name(st));
        return false;
    }
    return len == want_len && (len == 0 || std::memcmp(buf.data(), want.data(), len) == 0);
}

// Two records of max_record fill a 4096-byte log.
static void fill_log(Producer &p)
{
    for (std::uint32_t k = 0; k < 2; k++) {
        const std::vector<std::byte> v = record(k, MAXREC);
        p.publish(v);
    }
    CHECK(p.space() == 0);
    const std::vector<std::byte> more = record(2, 1);
    CHECK_ST(p.try_publish(more), INDEXBUS_FULL);
}

static double ms_since(clk::time_point t0)
{
    return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

// A full region: the wait ends with TIMEOUT, never before the timeout (a
// hang guard above it).
#define CHECK_WAIT_TIMES_OUT(expr, want_ms)                                          \
    do {                                                                             \
        clk::time_point t0_ = clk::now();                                            \
        CHECK_THROWS(expr, Status::timeout);                                         \
        double ms_ = ms_since(t0_);                                                  \
        if (ms_ < (want_ms) || ms_ > (want_ms) + 5000.0) {                           \
            std::fprintf(stderr, "%s:%d: %s took %.1f ms, want %d\n", __FILE__, __LINE__, \
                         #expr, ms_, (want_ms));                                     \
            ibx::failures++;                                                         \
        }                                                                            \
    } while (0)

static void test_timeout_log()
{
    const std::string n = ibx::name("bp-tmo");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r);
    fill_log(p);
    const std::vector<std::byte> one = record(2, 100);
    CHECK_WAIT_TIMES_OUT(p.publish_wait(one, 20ms), 20);
    CHECK_WAIT_TIMES_OUT(p.publish_wait("text", 10000us), 10);
    CHECK_WAIT_TIMES_OUT(p.claim_wait(100, 20ms), 20);
    CHECK_WAIT_TIMES_OUT(p.claim_wait(0, std::chrono::duration<double>(0.01)), 10);
    CHECK_ST(p.try_publish_wait(one, 5ms), INDEXBUS_TIMEOUT);
    CHECK_ST(p.try_publish_wait("text", 0ms), INDEXBUS_TIMEOUT); // zero: no wait
    Claim c;
    CHECK_ST(p.try_claim_wait(100, c, 5ms), INDEXBUS_TIMEOUT);
    CHECK(!c && c.capacity() == 0);
    // not FULL: the usual statuses, without waiting
    const std::vector<std::byte> over = record(0, MAXREC + 1);
    CHECK_THROWS(p.publish_wait(over, 1h), Status::too_large);
    CHECK_THROWS(p.claim_wait(MAXREC + 1, 1h), Status::too_large);
    CHECK(r.info().records_waiting == 2); // nothing went in
}

static void test_timeout_events()
{
    const std::string n = ibx::name("bp-ev");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n); // 8 slots, queue 8
    Producer p = Producer::open(r);
    for (int k = 0; k < 8; k++)
        p.publish_wait("slot " + std::to_string(k), 1s); // room: at once
    CHECK(p.space() == 0);
    CHECK_WAIT_TIMES_OUT(p.publish_wait("ninth", 20ms), 20);
    CHECK_WAIT_TIMES_OUT(p.claim_wait(5, 20ms), 20);
    Claim c;
    CHECK_ST(p.try_claim_wait(5, c, 1ms), INDEXBUS_TIMEOUT);
    CHECK(!c);
    Consumer con = Consumer::open(r);
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        CHECK(con.recv_string(10s) == "slot 0");
    });
    Claim w = p.claim_wait(5); // forever: until the consumer frees a slot
    t.join();
    CHECK(w.capacity() == 5);
    std::memcpy(w.data(), "ninth", 5);
    w.commit();
    for (int k = 1; k < 8; k++)
        CHECK(con.recv_string(1s) == "slot " + std::to_string(k));
    CHECK(con.recv_string(1s) == "ninth");
}

// Waiting without limit on a full log: a consumer thread frees space.
static void test_woken_by_thread()
{
    const std::string n = ibx::name("bp-wake");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r, ProducerType::mpsc);
    Consumer c = Consumer::open(r);
    fill_log(p);
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        for (std::uint32_t k = 0; k < 12; k++)
            CHECK(recv_is(c, k, k == 11 ? 17 : MAXREC));
    });
    for (std::uint32_t k = 2; k < 10; k++) { // each waits for a record to be read
        const std::vector<std::byte> v = record(k, MAXREC);
        p.publish_wait(v); // forever
    }
    Claim cl = p.claim_wait(MAXREC, indexbus::forever);
    const std::vector<std::byte> v10 = record(10, MAXREC);
    std::memcpy(cl.data(), v10.data(), MAXREC);
    cl.commit();
    Claim small;
    CHECK_ST(p.try_claim_wait(17, small, 10s), INDEXBUS_OK);
    CHECK(small.capacity() == 17);
    const std::vector<std::byte> v11 = record(11, 17);
    std::memcpy(small.data(), v11.data(), 17);
    small.commit();
    t.join();
    CHECK(r.info().published == 12);
}

// A waiting producer is woken by the consumer closing: DISCONNECTED.
static void test_disconnected()
{
    const std::string n = ibx::name("bp-disc");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    fill_log(p);
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        c.close();
    });
    clk::time_point t0 = clk::now();
    const std::vector<std::byte> v = record(2, 10);
    CHECK_THROWS(p.publish_wait(v), Status::disconnected); // forever, until the close
    CHECK(ms_since(t0) < 10000);
    t.join();
    Claim cl;
    CHECK_ST(p.try_publish_wait(v, 1s), INDEXBUS_DISCONNECTED);
    CHECK_ST(p.try_claim_wait(10, cl, 1s), INDEXBUS_DISCONNECTED);
    CHECK_THROWS(p.claim_wait(10), Status::disconnected);
    CHECK(!cl);
}

// Across processes: the parent waits on a full log, a child process drains
// it. The child checks every record and exits 0 only if all were exact.
static void test_woken_by_process()
{
    const std::string n = ibx::name("bp-proc");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r);
    for (std::uint32_t k = 0; k < 2; k++) { // 2040 and 2039 bytes: 2048 each, the ring full
        const std::vector<std::byte> v = record(k, MAXREC - k);
        p.publish(v);
    }
    CHECK(p.space() == 0);
    std::fflush(stderr);
    pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        int bad = 0;
        try {
            Region cr = Region::open(n);
            Consumer c = Consumer::open(cr);
            std::this_thread::sleep_for(50ms);
            for (std::uint32_t k = 0; k < 10; k++)
                bad += !recv_is(c, k, MAXREC - k);
        } catch (const indexbus::Error &e) {
            std::fprintf(stderr, "child: %s\n", e.what());
            bad = 1;
        }
        std::fflush(stderr);
        _exit(bad == 0 && ibx::failures == 0 ? 0 : 1);
    }
    for (std::uint32_t k = 2; k < 10; k++) {
        const std::vector<std::byte> v = record(k, MAXREC - k);
        CHECK_ST(p.try_publish_wait(v, 20s), INDEXBUS_OK);
    }
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int main()
{
    test_woken_by_process(); // first: fork before any thread exists
    test_timeout_log();
    test_timeout_events();
    test_woken_by_thread();
    test_disconnected();
    return ibx::summary();
}
