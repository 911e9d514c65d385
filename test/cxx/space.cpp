// space.cpp - Producer::space(), the free space as the producer sees it: on
// a byte log the free ring bytes (each record takes 8 + its length rounded
// up to 8; read bytes come back when the consumer finds the ring empty or
// has read a quarter of it), on an events region the messages it could
// publish without FULL; space() agrees with what publish then does, and an
// empty Producer is INVALID_ARGUMENT.
#include "check.hpp"

#include <vector>

using indexbus::Consumer;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Status;
using namespace std::chrono_literals;

static constexpr std::uint64_t RING = 4096;

static void test_log(ProducerType type)
{
    const std::string n = ibx::name("space-log");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r, type);
    Consumer c = Consumer::open(r);
    CHECK(p.space() == RING);
    std::uint64_t s = 0;
    CHECK_ST(p.try_space(s), INDEXBUS_OK);
    CHECK(s == RING);
    const std::vector<std::byte> hundred(100), zero;
    p.publish(hundred); // 8 + 100 -> 112
    CHECK(p.space() == RING - 112);
    p.publish(zero); // 8
    CHECK(p.space() == RING - 120);
    const std::uint32_t lens[3] = {1, 8, 9}; // 16 + 16 + 24
    p.claim_batch(lens).commit(2);           // reserved whole: the unpublished one is padding
    CHECK(p.space() == RING - 176);
    CHECK(r.info().bytes_free == p.space());
    // publish as much as space() says fits: 3920 bytes = 245 records of 8
    std::uint64_t left = p.space();
    const std::vector<std::byte> eight(8);
    for (std::uint64_t k = 0; k < left / 16; k++)
        p.publish(eight);
    CHECK(p.space() == 0);
    CHECK_ST(p.try_publish(zero), INDEXBUS_FULL);
    // read one record: not given back yet (a quarter of the ring, or empty)
    std::byte buf[128];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_OK);
    CHECK(len == 100 && p.space() == 0);
    std::size_t got = 1;
    while (c.try_recv(buf, len) == INDEXBUS_OK)
        got++;
    CHECK(got == 2 + 2 + 245);
    CHECK(p.space() == RING); // found empty: all back
}

static void test_events()
{
    const std::string n = ibx::name("space-ev");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n); // 8 slots, queue 8
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    CHECK(p.space() == 8);
    p.publish("a");
    p.publish("b");
    p.publish("c");
    CHECK(p.space() == 5);
    CHECK(c.recv_string(1s) == "a");
    CHECK(p.space() == 6);
    for (int k = 0; k < 6; k++)
        p.publish("x");
    CHECK(p.space() == 0);
    CHECK_ST(p.try_publish("y"), INDEXBUS_FULL);
    p.close();
    for (int k = 0; k < 8; k++)
        CHECK(!c.recv_string(1s).empty());

    Producer m = Producer::open(r, ProducerType::mpsc); // the MPSC queue, all slots free
    CHECK(m.space() == 8);
    for (int k = 0; k < 8; k++)
        m.publish("m");
    CHECK(m.space() == 0);
    CHECK_ST(m.try_publish("y"), INDEXBUS_FULL);
    Producer none;
    std::uint64_t s = 7;
    CHECK_ST(none.try_space(s), INDEXBUS_INVALID_ARGUMENT);
    CHECK_THROWS(none.space(), Status::invalid_argument);
}

int main()
{
    test_log(ProducerType::spsc);
    test_log(ProducerType::mpsc);
    test_events();
    return ibx::summary();
}
