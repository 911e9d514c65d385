// claim.cpp - the zero-copy Claim guard: commit publishes exactly the bytes
// written, leaving scope without a commit (plainly or by an exception) gives
// the slot back unpublished, a commit larger than the slot throws TOO_LARGE
// and keeps the claim, and the guard moves like a handle. Slots given back
// are counted from the region's free_slots.
#include "check.hpp"

#include <cstring>
#include <stdexcept>

using indexbus::Claim;
using indexbus::Consumer;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Status;

static std::uint32_t free_slots(const Region &r) { return r.info().free_slots; }

static void write(Claim &c, std::string_view text)
{
    REQUIRE(text.size() <= c.capacity());
    std::memcpy(c.data(), text.data(), text.size());
}

static std::string recv(Consumer &c)
{
    std::byte buf[64];
    std::size_t len = c.recv(buf, std::chrono::seconds(1));
    return std::string(reinterpret_cast<const char *>(buf), len);
}

static void expect_empty(Consumer &c)
{
    std::byte buf[64];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY);
}

static void test_commit()
{
    const std::string n = ibx::name("commit");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::uint32_t all = free_slots(r);
    CHECK(all == 8);

    Claim cl = p.claim();
    CHECK(cl);
    CHECK(cl.capacity() == 64 && cl.buffer().size() == 64);
    CHECK(cl.buffer().data() == cl.data());
    CHECK(free_slots(r) == all - 1);
    write(cl, "zero-copy bytes");
    cl.commit(15);
    CHECK(!cl); // the guard is done: empty, no buffer
    CHECK(cl.data() == nullptr && cl.capacity() == 0);
    CHECK_THROWS(cl.commit(1), Status::bad_state); // nothing claimed any more
    CHECK_ST(cl.try_commit(1), INDEXBUS_BAD_STATE);
    CHECK(recv(c) == "zero-copy bytes");
    expect_empty(c);

    // the committed prefix only, binary bytes included, and an empty message
    {
        Claim b = p.claim();
        for (std::size_t i = 0; i < b.capacity(); i++)
            b.buffer()[i] = static_cast<std::byte>(255 - i);
        CHECK_ST(b.try_commit(64), INDEXBUS_OK);
        Claim z = p.claim();
        z.commit(0);
    }
    std::byte buf[64];
    CHECK(c.recv(buf, std::chrono::seconds(1)) == 64);
    bool same = true;
    for (std::size_t i = 0; i < 64; i++)
        same = same && buf[i] == static_cast<std::byte>(255 - i);
    CHECK(same);
    CHECK(recv(c).empty());
    expect_empty(c);
    CHECK(free_slots(r) == all); // all received slots came back
}

static void test_abort_on_scope_exit()
{
    const std::string n = ibx::name("abort");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::uint32_t all = free_slots(r);
    {
        Claim cl = p.claim();
        write(cl, "never sent");
        CHECK(free_slots(r) == all - 1);
    } // no commit: aborted
    CHECK(free_slots(r) == all);
    expect_empty(c);
    // the producer may claim again (a pending claim would be BAD_STATE)
    {
        Claim cl = p.claim();
        Claim other;
        CHECK_ST(p.try_claim(other), INDEXBUS_BAD_STATE);
        CHECK(!other);
        CHECK_THROWS(p.claim(), Status::bad_state);
        CHECK_THROWS(p.publish("x"), Status::bad_state); // one claim at a time
        cl.abort();
        CHECK(!cl && cl.data() == nullptr);
        cl.abort(); // twice: nothing
        CHECK_THROWS(cl.commit(1), Status::bad_state);
    }
    CHECK(free_slots(r) == all);
    expect_empty(c);

    // an exception thrown while the claim is pending aborts it
    bool caught = false;
    try {
        Claim cl = p.claim();
        write(cl, "half done");
        throw std::runtime_error("failed while filling the slot");
    } catch (const std::runtime_error &) {
        caught = true;
    }
    CHECK(caught);
    CHECK(free_slots(r) == all);
    expect_empty(c);
    // and an indexbus::Error from the commit itself
    caught = false;
    try {
        Claim cl = p.claim();
        cl.commit(cl.capacity() + 1);
    } catch (const indexbus::Error &e) {
        caught = e.status() == Status::too_large;
    }
    CHECK(caught);
    CHECK(free_slots(r) == all);
    expect_empty(c);

    p.publish("after the aborts");
    CHECK(recv(c) == "after the aborts");
}

static void test_too_large()
{
    const std::string n = ibx::name("large");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    Claim cl = p.claim();
    write(cl, "fits");
    CHECK_THROWS(cl.commit(65), Status::too_large);
    CHECK(cl); // still pending: retry with a length that fits
    CHECK_ST(cl.try_commit(1000), INDEXBUS_TOO_LARGE);
    CHECK(cl && cl.capacity() == 64);
    expect_empty(c);
    cl.commit(4);
    CHECK(!cl);
    CHECK(recv(c) == "fits");
}

static Claim make_claim(Producer &p, std::string_view text)
{
    Claim cl = p.claim();
    write(cl, text);
    return cl; // moved out, still pending
}

static void test_move()
{
    const std::string n = ibx::name("cmove");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer a = Producer::open(r, ProducerType::mpsc);
    Producer b = Producer::open(r, ProducerType::mpsc);
    Consumer c = Consumer::open(r);
    const std::uint32_t all = free_slots(r);

    Claim ca = make_claim(a, "from a");
    std::byte *slot = ca.data();
    Claim moved(std::move(ca));
    CHECK(!ca && ca.data() == nullptr && moved && moved.data() == slot);
    CHECK_THROWS(ca.commit(1), Status::bad_state);
    CHECK(free_slots(r) == all - 1);

    // move assignment aborts the target's pending claim
    Claim cb = make_claim(b, "from b");
    CHECK(free_slots(r) == all - 2);
    moved = std::move(cb); // a's claim aborted, b's taken over
    CHECK(!cb && moved);
    CHECK(free_slots(r) == all - 1);
    moved.commit(6);
    CHECK(recv(c) == "from b");
    expect_empty(c);
    // a has no claim pending any more: it can claim and publish
    a.publish("a again");
    CHECK(recv(c) == "a again");

    // a claim survives a move of its Producer
    Claim cl = make_claim(a, "moved producer");
    Producer a2 = std::move(a);
    cl.commit(14);
    CHECK(recv(c) == "moved producer");
    CHECK(free_slots(r) == all);

    // try_claim fills a guard
    Claim t;
    CHECK_ST(a2.try_claim(t), INDEXBUS_OK);
    CHECK(t && t.capacity() == 64);
    write(t, "try");
    CHECK_ST(t.try_commit(3), INDEXBUS_OK);
    CHECK(recv(c) == "try");
}

static void test_full()
{
    const std::string n = ibx::name("cfull");
    ibx::Unlink u(n);
    Region r = ibx::small_events(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    for (int i = 0; i < 8; i++)
        p.publish(std::string(1, static_cast<char>('0' + i)));
    CHECK_THROWS(p.claim(), Status::full);
    Claim cl;
    CHECK_ST(p.try_claim(cl), INDEXBUS_FULL);
    CHECK(!cl);
    CHECK(recv(c) == "0"); // room for one
    Claim one = p.claim();
    write(one, "8");
    one.commit(1);
    for (int i = 1; i <= 8; i++)
        CHECK(recv(c) == std::string(1, static_cast<char>('0' + i)));
    expect_empty(c);
    // no consumer left: claim reports it
    c.close();
    CHECK_THROWS(p.claim(), Status::disconnected);
}

int main()
{
    test_commit();
    test_abort_on_scope_exit();
    test_too_large();
    test_move();
    test_full();
    return ibx::summary();
}
