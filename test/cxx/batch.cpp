// batch.cpp - publish_batch sends messages packed back to back and recv_batch
// takes them the same way: exact bytes and lengths, in order; a batch larger
// than the queue goes out in part (the count says how much) and the rest can
// follow; lens that overrun the buffer are INVALID_ARGUMENT with nothing sent.
#include "check.hpp"

#include <cstring>
#include <string>

using indexbus::Consumer;
using indexbus::Producer;
using indexbus::Region;
using indexbus::Status;
using namespace std::chrono_literals;

static indexbus::const_bytes bytes_of(const std::string &s)
{
    return indexbus::const_bytes(reinterpret_cast<const std::byte *>(s.data()), s.size());
}

static std::string text(const std::byte *p, std::size_t n)
{
    return std::string(reinterpret_cast<const char *>(p), n);
}

static void test_round_trip()
{
    const std::string n = ibx::name("batch");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::string packed = "abbccc";
    const std::uint32_t lens[3] = {1, 2, 3};
    CHECK(p.publish_batch(bytes_of(packed), lens) == 3);
    std::byte buf[64];
    std::uint32_t got[8];
    std::size_t k = c.recv_batch(buf, got, 1s);
    CHECK(k == 3);
    CHECK(got[0] == 1 && got[1] == 2 && got[2] == 3);
    CHECK(text(buf, 6) == "abbccc");
    std::size_t count = 99;
    CHECK_ST(c.try_recv_batch(buf, got, count), INDEXBUS_EMPTY);
    CHECK(count == 0);
}

static void test_partial_when_full()
{
    const std::string n = ibx::name("partial");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n); // queue of 8
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::string packed = "0123456789";
    std::uint32_t lens[10];
    for (auto &l : lens)
        l = 1;
    std::size_t sent = p.publish_batch(bytes_of(packed), lens);
    CHECK(sent == 8);
    std::byte buf[64];
    std::uint32_t got[16];
    CHECK(c.recv_batch(buf, got, 1s) == 8);
    CHECK(text(buf, 8) == "01234567");
    // the rest follows in a second call
    CHECK(p.publish_batch(bytes_of(packed).subspan(sent),
                          indexbus::span<const std::uint32_t>(lens + sent, 10 - sent)) == 2);
    CHECK(c.recv_batch(buf, got, 1s) == 2);
    CHECK(text(buf, 2) == "89" && got[0] == 1 && got[1] == 1);
}

static void test_lens_overrun()
{
    const std::string n = ibx::name("overrun");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::string packed = "abc";
    const std::uint32_t lens[2] = {2, 2};
    std::size_t sent = 99;
    CHECK_ST(p.try_publish_batch(bytes_of(packed), lens, sent), INDEXBUS_INVALID_ARGUMENT);
    CHECK(sent == 0);
    CHECK_THROWS(p.publish_batch(bytes_of(packed), lens), Status::invalid_argument);
    std::byte buf[8];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY); // nothing went out
}

int main()
{
    test_round_trip();
    test_partial_when_full();
    test_lens_overrun();
    return ibx::summary();
}
