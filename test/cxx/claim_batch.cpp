// claim_batch.cpp - the in-place batch claim on byte logs (BatchClaim):
// record i's buffer is exactly lens[i] bytes; nothing is visible before
// commit; commit(n) publishes the first n records, byte-exact and in order,
// and the rest become padding; leaving scope without a commit (plainly or by
// an exception) and abort() pad them all, so the consumer receives nothing
// and what follows still arrives; the guard moves like Claim; and the
// refusals: WRONG_KIND on events regions, TOO_LARGE, FULL, BAD_STATE with a
// claim pending, INVALID_ARGUMENT for no records or n > size.
#include "check.hpp"

#include <cstring>
#include <stdexcept>
#include <vector>

using indexbus::BatchClaim;
using indexbus::Claim;
using indexbus::Consumer;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Status;
using namespace std::chrono_literals;

static constexpr std::uint64_t RING = 4096;
static constexpr std::uint32_t MAXREC = 2040;

static constexpr std::uint64_t stride(std::uint64_t len) { return (8 + len + 7) & ~7ull; }

static std::vector<std::byte> record(std::uint32_t tag, std::size_t len)
{
    std::vector<std::byte> v(len);
    for (std::size_t i = 0; i < len; i++)
        v[i] = static_cast<std::byte>((tag * 131u + i * 7u + len) & 0xffu);
    return v;
}

static void fill(BatchClaim &b, std::uint32_t first_tag)
{
    for (std::size_t i = 0; i < b.size(); i++) {
        const std::vector<std::byte> v = record(first_tag + static_cast<std::uint32_t>(i),
                                                b[i].size());
        if (!v.empty())
            std::memcpy(b[i].data(), v.data(), v.size());
    }
}

static bool recv_is(Consumer &c, std::uint32_t tag, std::size_t want_len)
{
    std::vector<std::byte> buf(MAXREC), want = record(tag, want_len);
    std::size_t len = 0;
    int st = c.try_recv(buf, len);
    if (st != INDEXBUS_OK) {
        std::fprintf(stderr, "recv %u: %s\n", tag, indexbus_status_name(st));
        return false;
    }
    return len == want_len && (len == 0 || std::memcmp(buf.data(), want.data(), len) == 0);
}

static void expect_empty(Consumer &c)
{
    std::byte buf[8];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY);
}

struct Log {
    std::string name;
    ibx::Unlink unlink;
    Region r;
    Producer p;
    Consumer c;
    explicit Log(const char *tag, ProducerType type = ProducerType::spsc)
        : name(ibx::name(tag)), unlink(name), r(Region::create_log(name, RING)),
          p(Producer::open(r, type)), c(Consumer::open(r))
    {
    }
};

static void test_commit()
{
    Log l("cb-commit", ProducerType::mpsc);
    const std::uint32_t lens[5] = {0, 1, 7, 8, 300};
    BatchClaim b = l.p.claim_batch(lens);
    CHECK(b && b.size() == 5 && !b.empty());
    for (std::size_t i = 0; i < 5; i++)
        CHECK(b[i].size() == lens[i]);
    CHECK(b[1].data() != b[2].data());
    fill(b, 10);
    expect_empty(l.c); // invisible until committed
    indexbus_info i = l.r.info();
    CHECK(i.records_waiting == 0 && i.bytes_used == 8 + 16 + 16 + 16 + 312);
    b.commit(4); // the 300-byte record becomes padding
    CHECK(!b && b.size() == 0);
    i = l.r.info();
    CHECK(i.records_waiting == 4 && i.bytes_padding == 312 && i.published == 4);
    for (std::uint32_t k = 0; k < 4; k++)
        CHECK(recv_is(l.c, 10 + k, lens[k]));
    expect_empty(l.c);
    CHECK_THROWS(b.commit(1), Status::bad_state); // done
    CHECK_ST(b.try_commit(0), INDEXBUS_BAD_STATE);

    // commit(): all of them; a batch of half the ring, the most there is
    const std::uint32_t two[2] = {2024, 5};
    b = l.p.claim_batch(two); // one reservation: 2032 + 16 bytes
    CHECK(b.size() == 2 && b[0].size() == 2024);
    fill(b, 20);
    b.commit();
    CHECK(recv_is(l.c, 20, 2024));
    CHECK(recv_is(l.c, 21, 5));
    expect_empty(l.c);
    const std::uint32_t max[1] = {MAXREC};
    b = l.p.claim_batch(max);
    CHECK(b[0].size() == MAXREC);
    fill(b, 25);
    b.commit();
    CHECK(recv_is(l.c, 25, MAXREC));
    expect_empty(l.c);

    // n > size: refused, still pending
    const std::uint32_t one[1] = {3};
    b = l.p.claim_batch(one);
    CHECK_THROWS(b.commit(2), Status::invalid_argument);
    CHECK(b);
    fill(b, 30);
    CHECK_ST(b.try_commit(1), INDEXBUS_OK);
    CHECK(recv_is(l.c, 30, 3));
}

// Not committed: every record is padding, the consumer gets none of them,
// and what is published next arrives.
static void test_destructor_pads()
{
    Log l("cb-pad");
    const std::uint32_t lens[4] = {0, 9, 100, 1000};
    const std::uint64_t bytes = stride(0) + stride(9) + stride(100) + stride(1000);
    {
        BatchClaim b = l.p.claim_batch(lens);
        fill(b, 40);
    } // scope exit
    indexbus_info i = l.r.info();
    CHECK(i.records_waiting == 0 && i.bytes_padding == bytes && i.bytes_used == bytes);
    CHECK(i.published == 0);
    try {
        BatchClaim b = l.p.claim_batch(lens);
        fill(b, 50);
        throw std::runtime_error("failed while filling");
    } catch (const std::runtime_error &) {
    }
    BatchClaim b = l.p.claim_batch(lens);
    b.abort();
    CHECK(!b && b.size() == 0);
    b.abort(); // nothing pending: nothing happens
    CHECK_THROWS(b.commit(), Status::bad_state);
    i = l.r.info();
    CHECK(i.records_waiting == 0 && i.bytes_padding == 3 * bytes && i.bytes_used == 3 * bytes);
    l.p.publish("after");
    CHECK(l.c.recv_string(1s) == "after"); // all the padding skipped
    expect_empty(l.c);
    i = l.r.info();
    CHECK(i.bytes_used == 0 && i.bytes_padding == 0 && i.published == 1);
    CHECK(l.r.consumer_stats(0).delivered == 1);
}

// BatchClaim moves like a handle: the moved-from guard is empty, a
// move-assignment over a pending batch pads it first.
static void test_move()
{
    Log l("cb-move");
    const std::uint32_t lens[2] = {4, 4};
    BatchClaim a = l.p.claim_batch(lens);
    fill(a, 60);
    BatchClaim b(std::move(a));
    CHECK(!a && a.size() == 0 && b && b.size() == 2);
    b.commit();
    CHECK(recv_is(l.c, 60, 4));
    CHECK(recv_is(l.c, 61, 4));

    BatchClaim c = l.p.claim_batch(lens); // pending ...
    fill(c, 70);
    BatchClaim d;
    c = std::move(d); // ... padded by the assignment
    CHECK(!c && !d);
    expect_empty(l.c);

    // try_claim_batch into a finished guard reuses it
    BatchClaim e;
    CHECK_ST(l.p.try_claim_batch(lens, e), INDEXBUS_OK);
    fill(e, 80);
    e.commit(1);
    CHECK_ST(l.p.try_claim_batch(lens, e), INDEXBUS_OK);
    CHECK(e.size() == 2);
    fill(e, 90);
    e.commit();
    CHECK(recv_is(l.c, 80, 4));
    CHECK(recv_is(l.c, 90, 4));
    CHECK(recv_is(l.c, 91, 4));
    expect_empty(l.c);
}

static void test_refusals()
{
    Log l("cb-ref");
    const std::uint32_t too_big[1] = {MAXREC + 1};
    CHECK_THROWS(l.p.claim_batch(too_big), Status::too_large);
    const std::uint32_t over_half[3] = {MAXREC, MAXREC, 100}; // 2048 + 2048 + 112 > 2048
    CHECK_THROWS(l.p.claim_batch(over_half), Status::too_large);
    BatchClaim b;
    CHECK_ST(l.p.try_claim_batch(over_half, b), INDEXBUS_TOO_LARGE);
    CHECK(!b);
    CHECK_THROWS(l.p.claim_batch(indexbus::span<const std::uint32_t>()),
                 Status::invalid_argument);

    // a claim pending on the producer: BAD_STATE either way round
    const std::uint32_t lens[2] = {10, 20};
    {
        Claim c = l.p.claim(10);
        CHECK_THROWS(l.p.claim_batch(lens), Status::bad_state);
    }
    b = l.p.claim_batch(lens);
    CHECK_THROWS(l.p.claim(10), Status::bad_state);
    CHECK_THROWS(l.p.claim_batch(lens), Status::bad_state);
    b.abort();
    expect_empty(l.c);

    // FULL: the whole batch must fit now (a fresh ring: two halves fill it)
    Log f("cb-full");
    const std::uint32_t half[1] = {MAXREC};
    f.p.claim_batch(half).commit();
    f.p.claim_batch(half).commit();
    CHECK(f.p.space() == 0);
    const std::uint32_t tiny[1] = {0};
    CHECK_THROWS(f.p.claim_batch(tiny), Status::full);
    CHECK_ST(f.p.try_claim_batch(tiny, b), INDEXBUS_FULL);
    CHECK(!b);
    std::vector<std::byte> buf(MAXREC);
    std::size_t len = 0;
    CHECK_ST(f.c.try_recv(buf, len), INDEXBUS_OK);
    CHECK_ST(f.c.try_recv(buf, len), INDEXBUS_OK);
    CHECK(len == MAXREC);
    CHECK_ST(f.c.try_recv(buf, len), INDEXBUS_EMPTY); // gives the ring back
    CHECK(f.p.claim_batch(tiny).size() == 1);         // destroyed at once: padding

    // events and fanout regions: WRONG_KIND (publish_batch is theirs)
    const std::string n = ibx::name("cb-ev");
    ibx::Unlink u(n);
    Region ev = ibx::small_events(n);
    Producer pe = Producer::open(ev);
    CHECK_THROWS(pe.claim_batch(lens), Status::wrong_kind);
    CHECK_ST(pe.try_claim_batch(lens, b), INDEXBUS_WRONG_KIND);
    CHECK(!b);
}

int main()
{
    test_commit();
    test_destructor_pads();
    test_move();
    test_refusals();
    return ibx::summary();
}
