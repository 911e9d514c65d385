// borrow.cpp - the zero-copy Borrow guard from recv_begin(): it shows the
// message in place (bytes(), data()/size(), view()), holds the slot until it
// ends (release() or scope exit, an exception included), blocks other
// receives on its consumer meanwhile, and moves like a handle. Slots held
// and given back are counted from the region's free_slots.
#include "check.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

using indexbus::Borrow;
using indexbus::Consumer;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Status;
using namespace std::chrono_literals;

// An events region without SPSC slot recycling (queue < slots), so a
// received slot goes straight back to the pool and free_slots shows it.
static Region region(const std::string &n)
{
    indexbus_region_config cfg = Region::config(indexbus::Kind::events);
    cfg.slot_count = 16;
    cfg.queue_capacity = 8;
    cfg.slot_data_size = 64;
    return Region::create(n, cfg);
}

static std::uint32_t free_slots(const Region &r) { return r.info().free_slots; }

static void test_contents()
{
    const std::string n = ibx::name("view");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::uint32_t all = free_slots(r);

    p.publish("hello, borrow");
    std::byte bin[64];
    for (int i = 0; i < 64; i++)
        bin[i] = static_cast<std::byte>(i * 3);
    p.publish(bin);
    p.publish("");
    CHECK(free_slots(r) == all - 3);
    {
        Borrow b = c.recv_begin(1s);
        CHECK(b);
        CHECK(b.view() == "hello, borrow");
        CHECK(b.size() == 13 && b.bytes().size() == 13);
        CHECK(b.data() == b.bytes().data());
        CHECK(indexbus::as_string_view(b.bytes()) == "hello, borrow");
        CHECK(free_slots(r) == all - 3); // held, not back yet
    }
    CHECK(free_slots(r) == all - 2); // back at scope exit
    {
        Borrow b = c.recv_begin();
        CHECK(b.size() == 64 && std::memcmp(b.data(), bin, 64) == 0);
        std::vector<std::byte> copy(b.bytes().begin(), b.bytes().end());
        CHECK(copy.size() == 64 && copy[63] == static_cast<std::byte>(189));
    }
    {
        Borrow b = c.recv_begin(1s);
        CHECK(b && b.size() == 0 && b.view().empty()); // an empty message is still held
        b.release();
        CHECK(!b && b.size() == 0 && b.data() == nullptr);
        b.release(); // twice: nothing
    }
    CHECK(free_slots(r) == all);
    CHECK_THROWS(c.recv_begin(), Status::empty);
    CHECK_THROWS(c.recv_begin(1ms), Status::timeout);
}

static void test_exclusive_while_held()
{
    const std::string n = ibx::name("held");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    p.publish("first");
    p.publish("second");
    std::byte buf[64];
    std::size_t len = 0;
    std::uint32_t lens[4];
    std::size_t count = 0;
    {
        Borrow b = c.recv_begin();
        CHECK(b.view() == "first");
        // nothing else may be received on this consumer meanwhile
        CHECK_ST(c.try_recv(buf, len), INDEXBUS_BAD_STATE);
        CHECK_THROWS(c.recv(buf, 1s), Status::bad_state);
        CHECK_THROWS(c.recv_begin(), Status::bad_state);
        CHECK_THROWS(c.recv_begin(1s), Status::bad_state);
        CHECK_THROWS(c.wait(1s), Status::bad_state);
        CHECK_ST(c.try_recv_batch(buf, lens, count), INDEXBUS_BAD_STATE);
        CHECK(count == 0);
        Borrow second;
        CHECK_ST(c.try_recv_begin(second), INDEXBUS_BAD_STATE);
        CHECK(!second);
        CHECK(b.view() == "first"); // unchanged by the refused calls
    }
    CHECK(c.recv_string(1s) == "second");
}

static void test_exception()
{
    const std::string n = ibx::name("bexc");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::uint32_t all = free_slots(r);
    p.publish("thrown away");
    p.publish("next");
    bool caught = false;
    try {
        Borrow b = c.recv_begin(1s);
        CHECK(b.view() == "thrown away");
        throw std::runtime_error("handler failed");
    } catch (const std::runtime_error &) {
        caught = true;
    }
    CHECK(caught);
    CHECK(free_slots(r) == all - 1); // the borrowed slot came back
    // the borrowed message was taken (not re-delivered); the consumer is free
    CHECK(c.recv_string(1s) == "next");
    CHECK(free_slots(r) == all);
}

static Borrow take(Consumer &c) { return c.recv_begin(std::chrono::seconds(1)); }

static void test_move()
{
    const std::string n = ibx::name("bmove");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c0 = Consumer::open(r);
    const std::uint32_t all = free_slots(r);
    p.publish("alpha");
    p.publish("beta");

    Borrow b = take(c0); // returned from a function, still held
    const std::byte *where = b.data();
    Borrow moved(std::move(b));
    CHECK(!b && b.size() == 0 && moved && moved.data() == where && moved.view() == "alpha");
    b.release(); // moved-from: nothing
    CHECK(free_slots(r) == all - 2);
    CHECK_THROWS(c0.recv_begin(), Status::bad_state); // still held, by `moved`

    // move assignment releases what the target held
    Borrow target = std::move(moved);
    CHECK(target.view() == "alpha");
    target = Borrow();
    CHECK(!target && free_slots(r) == all - 1);
    Borrow next;
    CHECK_ST(c0.try_recv_begin(next), INDEXBUS_OK);
    CHECK(next.view() == "beta");
    Borrow other;
    other = std::move(next);
    CHECK(!next && other.view() == "beta");
    other.release();
    CHECK(free_slots(r) == all);

    // a borrow survives a move of its Consumer
    p.publish("gamma");
    Borrow g = take(c0);
    Consumer c1 = std::move(c0);
    CHECK(g.view() == "gamma");
    g.release();
    p.publish("delta");
    CHECK(c1.recv_string(1s) == "delta");
}

// recv_string borrows and copies: any length, slot back at once.
static void test_recv_string()
{
    const std::string n = ibx::name("bstr");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r, ProducerType::mpsc);
    Consumer c = Consumer::open(r);
    const std::uint32_t all = free_slots(r);
    const std::string big(64, 'z');
    p.publish(big);
    p.publish(std::string("nul\0inside", 10));
    CHECK(c.recv_string(1s) == big);
    CHECK(c.recv_string(1s) == std::string("nul\0inside", 10));
    CHECK(free_slots(r) == all);
    CHECK_THROWS(c.recv_string(1ms), Status::timeout);
    p.close();
    CHECK_THROWS(c.recv_string(1s), Status::disconnected);
    CHECK_THROWS(c.recv_begin(), Status::disconnected);
}

int main()
{
    test_contents();
    test_exclusive_while_held();
    test_exception();
    test_move();
    test_recv_string();
    return ibx::summary();
}
