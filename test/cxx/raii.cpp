// raii.cpp - Region, Producer, Consumer and Router are move-only owners:
// moving hands the C handle over and leaves the source empty, move
// assignment closes what the target held, calls on an empty handle fail with
// INVALID_ARGUMENT, close() twice is harmless, handles close in any order,
// and they live in a std::vector across reallocation. What is open is read
// back from the region's live counts and from which exclusive roles are free.
#include "check.hpp"

#include <type_traits>
#include <vector>

using indexbus::Consumer;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Router;
using indexbus::Status;

template <class H>
constexpr bool move_only = !std::is_copy_constructible<H>::value &&
                           !std::is_copy_assignable<H>::value &&
                           std::is_nothrow_move_constructible<H>::value &&
                           std::is_nothrow_move_assignable<H>::value &&
                           std::is_nothrow_default_constructible<H>::value;
static_assert(move_only<Region> && move_only<Producer> && move_only<Consumer> &&
                  move_only<Router> && move_only<indexbus::Claim> && move_only<indexbus::Borrow>,
              "handles and guards are move-only");
static_assert(!std::is_convertible<indexbus_producer *, Producer>::value,
              "adopting a C handle is explicit");

static indexbus_info live(const Region &r) { return r.info(); }

// A fanout region with 4 consumers (no router needed to open them).
static Region fanout(const std::string &n, std::uint32_t consumers = 4)
{
    indexbus_region_config cfg = Region::config(indexbus::Kind::fanout);
    cfg.consumer_count = consumers;
    cfg.slot_count = cfg.queue_capacity = 16;
    cfg.slot_data_size = 64;
    return Region::create(n, cfg);
}

static void test_empty_handles()
{
    Region r;
    Producer p;
    Consumer c;
    Router rt;
    CHECK(!r && !p && !c && !rt);
    CHECK(r.get() == nullptr && p.get() == nullptr && c.get() == nullptr && rt.get() == nullptr);
    // every call on an empty handle is the C API's INVALID_ARGUMENT
    std::byte buf[8];
    std::size_t len = 99;
    CHECK_THROWS(r.info(), Status::invalid_argument);
    CHECK_THROWS(Producer::open(r), Status::invalid_argument);
    CHECK_THROWS(Consumer::open(r), Status::invalid_argument);
    CHECK_THROWS(Router::open(r), Status::invalid_argument);
    CHECK_THROWS(p.publish("x"), Status::invalid_argument);
    CHECK_ST(p.try_publish("x"), INDEXBUS_INVALID_ARGUMENT);
    CHECK_THROWS(p.claim(), Status::invalid_argument);
    CHECK_THROWS(c.recv(buf, std::chrono::milliseconds(1)), Status::invalid_argument);
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_INVALID_ARGUMENT);
    CHECK_THROWS(c.recv_begin(), Status::invalid_argument);
    CHECK_THROWS(rt.route_once(), Status::invalid_argument);
    CHECK_ST(rt.try_route_once(), INDEXBUS_INVALID_ARGUMENT);
    rt.stop(); // noexcept, and nothing to stop
    // closing empty handles, twice, is harmless
    r.close();
    p.close();
    c.close();
    rt.close();
    r.close();
    p.close();
    c.close();
    rt.close();
    CHECK(!r && !p && !c && !rt);
}

static void test_move()
{
    const std::string n = ibx::name("move");
    ibx::Unlink u(n);
    Region r = fanout(n);
    indexbus_region *raw_r = r.get();

    Region r2(std::move(r)); // move construct
    CHECK(!r && r2 && r2.get() == raw_r);
    CHECK_THROWS(r.info(), Status::invalid_argument); // moved-from: empty
    r = std::move(r2);                               // move assign back
    CHECK(r && !r2 && r.get() == raw_r);

    Producer p = Producer::open(r);
    indexbus_producer *raw_p = p.get();
    Producer q(std::move(p));
    CHECK(!p && q.get() == raw_p);
    CHECK_THROWS(p.publish("x"), Status::invalid_argument);
    CHECK(live(r).producers_live == 1);
    CHECK_THROWS(Producer::open(r), Status::busy); // q still holds the SPSC role

    // move assignment closes what the target held: consumer 0 is free again
    Consumer c0 = Consumer::open(r, 0);
    Consumer c1 = Consumer::open(r, 1);
    indexbus_consumer *raw_c1 = c1.get();
    CHECK(live(r).consumers_live == 2);
    c0 = std::move(c1);
    CHECK(!c1 && c0.get() == raw_c1);
    CHECK(live(r).consumers_live == 1);
    CHECK_THROWS(Consumer::open(r, 1), Status::busy); // still held, by c0 now
    Consumer again = Consumer::open(r, 0);           // index 0 was closed
    CHECK(live(r).consumers_live == 2);

    // self move assignment keeps the handle
    Consumer &alias = again;
    again = std::move(alias);
    CHECK(again && live(r).consumers_live == 2);

    // assigning an empty handle closes
    again = Consumer();
    CHECK(!again && live(r).consumers_live == 1);

    Router rt = Router::open(r);
    indexbus_router *raw_rt = rt.get();
    Router rt2 = std::move(rt);
    CHECK(!rt && rt2.get() == raw_rt);
    CHECK(live(r).routers_live == 1);
    CHECK_THROWS(Router::open(r), Status::busy);
    rt2 = Router();
    CHECK(live(r).routers_live == 0);
    Router rt3 = Router::open(r); // the role came back
    CHECK(rt3);

    // release() gives up ownership, the adopting constructor takes it back
    indexbus_producer *loose = q.release();
    CHECK(!q && loose == raw_p);
    CHECK(live(r).producers_live == 1); // released, not closed
    Producer adopted(loose);
    CHECK(adopted.get() == raw_p);
    adopted.close();
    CHECK(live(r).producers_live == 0);
    CHECK(Producer::open(r)); // SPSC role free after close
}

static void test_double_close()
{
    const std::string n = ibx::name("dclose");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    CHECK(live(r).participants_live == 2);
    p.close();
    p.close();
    CHECK(!p && live(r).producers_live == 0);
    c.close();
    c.close();
    CHECK(!c && live(r).consumers_live == 0);
    // roles came back exactly once
    p = Producer::open(r);
    c = Consumer::open(r);
    CHECK(live(r).participants_live == 2);
    r.close();
    r.close();
    CHECK(!r);
}

// The region handle may close first: producers and consumers keep the
// mapping; and the region name may go too.
static void test_close_order()
{
    const std::string n = ibx::name("order");
    ibx::Unlink u(n);
    Producer p;
    Consumer c;
    {
        Region r = ibx::small_events(n);
        p = Producer::open(r);
        c = Consumer::open(r);
    } // r closed here
    Region::unlink(n);
    p.publish("after the region closed");
    CHECK(c.recv_string(std::chrono::seconds(1)) == "after the region closed");
    // consumer closes before the producer: publish sees nobody
    c.close();
    CHECK_THROWS(p.publish("x"), Status::disconnected);
    p.close();

    // and the reverse order on a new region: producer first, consumer drains
    const std::string n2 = ibx::name("order2");
    ibx::Unlink u2(n2);
    Region r2 = ibx::small_events(n2);
    Producer p2 = Producer::open(r2);
    Consumer c2 = Consumer::open(r2);
    p2.publish("one");
    p2.publish("two");
    p2.close();
    r2.close();
    CHECK(c2.recv_string(std::chrono::seconds(1)) == "one");
    CHECK(c2.recv_string(std::chrono::seconds(1)) == "two");
    std::byte buf[64];
    CHECK_THROWS(c2.recv(buf, std::chrono::seconds(1)), Status::disconnected);
}

static void test_vector()
{
    const std::string n = ibx::name("vec");
    ibx::Unlink u(n);
    Region r = fanout(n);
    std::vector<Consumer> cs;
    cs.reserve(1); // force reallocations below
    for (std::uint32_t i = 0; i < 4; i++)
        cs.push_back(Consumer::open(r, i));
    CHECK(cs.size() == 4 && live(r).consumers_live == 4);
    for (const Consumer &c : cs)
        CHECK(c);
    cs.erase(cs.begin() + 1); // closes consumer 1, moves 2 and 3 down
    CHECK(live(r).consumers_live == 3);
    CHECK(Consumer::open(r, 1)); // free (opened and closed at once)
    CHECK_THROWS(Consumer::open(r, 3), Status::busy);
    cs.clear();
    CHECK(live(r).consumers_live == 0);

    // MPSC producers in a vector, each usable after the moves
    const std::string ne = ibx::name("vecp");
    ibx::Unlink ue(ne);
    Region e = ibx::small_events(ne);
    Consumer c = Consumer::open(e);
    std::vector<Producer> ps;
    for (int i = 0; i < 5; i++)
        ps.emplace_back(Producer::open(e, ProducerType::mpsc));
    CHECK(live(e).producers_live == 5);
    for (std::size_t i = 0; i < ps.size(); i++)
        ps[i].publish(std::string(1, static_cast<char>('a' + i)));
    std::string got;
    for (int i = 0; i < 5; i++)
        got += c.recv_string(std::chrono::seconds(1));
    CHECK(got == "abcde");
    std::vector<Producer> moved = std::move(ps);
    CHECK(moved.size() == 5 && live(e).producers_live == 5);
    moved.pop_back();
    CHECK(live(e).producers_live == 4);
    moved.clear();
    CHECK(live(e).producers_live == 0);
    std::byte buf[64];
    CHECK_THROWS(c.recv(buf, std::chrono::seconds(1)), Status::disconnected);
}

int main()
{
    test_empty_handles();
    test_move();
    test_double_close();
    test_close_order();
    test_vector();
    return ibx::summary();
}
