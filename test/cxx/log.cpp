// log.cpp - byte-log regions through indexbus.hpp: Region::log_config and
// create_log (defaults; limits refused with INVALID_ARGUMENT and nothing
// created), info's 1.1 fields exact after known records (byte capacity, max
// record, bytes used/free/padding, records waiting), records of lengths 0 to
// max_record byte-exact and in order, also across the wrap with the padding
// it takes, claim(len) sized exactly len (a shorter commit pads the rest, a
// claim left unpublished becomes padding), claim() claiming max_record, and
// what a log refuses: a router, consumer 1, SPSC beside MPSC producers.
#include "check.hpp"

#include <cstring>
#include <vector>

using indexbus::Claim;
using indexbus::Consumer;
using indexbus::Kind;
using indexbus::Producer;
using indexbus::ProducerType;
using indexbus::Region;
using indexbus::Router;
using indexbus::Status;
using namespace std::chrono_literals;

static constexpr std::uint64_t RING = 4096;
static constexpr std::uint32_t MAXREC = 2040; // the default for 4096: 4096 / 2 - 8

// Ring bytes a record of len bytes takes: an 8-byte header, 8-aligned.
static constexpr std::uint64_t stride(std::uint64_t len) { return (8 + len + 7) & ~7ull; }
static_assert(stride(0) == 8 && stride(1) == 16 && stride(8) == 16 && stride(9) == 24, "stride");

// Record `tag` of `len` bytes: a pattern that differs per record and byte.
static std::vector<std::byte> record(std::uint32_t tag, std::size_t len)
{
    std::vector<std::byte> v(len);
    for (std::size_t i = 0; i < len; i++)
        v[i] = static_cast<std::byte>((tag * 131u + i * 7u + len) & 0xffu);
    return v;
}

static void publish(Producer &p, std::uint32_t tag, std::size_t len)
{
    const std::vector<std::byte> v = record(tag, len);
    p.publish(v);
}

// The next record is exactly `want` (bytes and length).
static bool recv_is(Consumer &c, const std::vector<std::byte> &want)
{
    std::vector<std::byte> buf(MAXREC + 8);
    std::size_t len = 0;
    int st = c.try_recv(buf, len, 1s);
    if (st != INDEXBUS_OK) {
        std::fprintf(stderr, "recv: %s\n", indexbus_status_name(st));
        return false;
    }
    return len == want.size() && (len == 0 || std::memcmp(buf.data(), want.data(), len) == 0);
}

static void expect_empty(Consumer &c)
{
    std::byte buf[8];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY);
}

// The ring's occupancy as info reports it.
static void check_ring(const Region &r, std::uint64_t used, std::uint64_t padding,
                       std::uint64_t waiting, int line)
{
    indexbus_info i = r.info();
    if (i.bytes_used != used || i.bytes_free != RING - used || i.bytes_padding != padding ||
        i.records_waiting != waiting) {
        std::fprintf(stderr,
                     "log.cpp:%d: used %llu free %llu padding %llu waiting %llu, want %llu %llu "
                     "%llu %llu\n",
                     line, (unsigned long long)i.bytes_used, (unsigned long long)i.bytes_free,
                     (unsigned long long)i.bytes_padding, (unsigned long long)i.records_waiting,
                     (unsigned long long)used, (unsigned long long)(RING - used),
                     (unsigned long long)padding, (unsigned long long)waiting);
        ibx::failures++;
    }
}
#define CHECK_RING(r, used, padding, waiting) check_ring(r, used, padding, waiting, __LINE__)

static void test_create()
{
    indexbus_region_config cfg = Region::log_config();
    CHECK(cfg.size == sizeof(indexbus_region_config) && cfg.kind == INDEXBUS_KIND_LOG);
    CHECK(cfg.byte_capacity == INDEXBUS_LOG_DEFAULT_BYTES && cfg.max_record == 0);
    cfg = Region::log_config(8192, 100);
    CHECK(cfg.byte_capacity == 8192 && cfg.max_record == 100);
    // an events config is the 1.0 struct; the 1.1 fields are zero, not garbage
    cfg = Region::config(Kind::events);
    CHECK(cfg.size == INDEXBUS_REGION_CONFIG_SIZE_1_0);
    CHECK(cfg.byte_capacity == 0 && cfg.max_record == 0 && cfg.reserved == 0);

    const std::string n = ibx::name("log");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    indexbus_info i = r.info();
    CHECK(i.size == sizeof(indexbus_info));
    CHECK(i.kind == INDEXBUS_KIND_LOG && i.layout_major == 1 && i.layout_minor == 1);
    CHECK(i.capabilities == 0x20000007cull);
    CHECK(i.capabilities == (INDEXBUS_CAP_LOG | INDEXBUS_CAP_BYTE_LOG | INDEXBUS_CAP_MPSC |
                             INDEXBUS_CAP_BLOCKING | INDEXBUS_CAP_COUNTERS |
                             INDEXBUS_CAP_PARTICIPANTS));
    CHECK(i.byte_capacity == RING && i.max_record == MAXREC);
    CHECK(i.slot_count == 0 && i.slot_data_size == 0 && i.queue_capacity == 0);
    CHECK(i.consumer_count == 1);
    CHECK_RING(r, 0, 0, 0);
    // the same region seen through open
    Region again = Region::open(n);
    CHECK(again.info().max_record == MAXREC && again.info().byte_capacity == RING);

    const std::string n2 = ibx::name("log-max");
    ibx::Unlink u2(n2);
    CHECK(Region::create_log(n2, RING, 100).info().max_record == 100);
    const std::string n3 = ibx::name("log-dflt");
    ibx::Unlink u3(n3);
    i = Region::create(n3, Kind::log).info(); // config(Kind::log): 1 MiB, 64 KiB records
    CHECK(i.byte_capacity == 1048576 && i.max_record == 65536);
    const std::string n4 = ibx::name("log-big");
    ibx::Unlink u4(n4);
    CHECK(Region::create_log(n4, RING, MAXREC).info().max_record == MAXREC); // the most allowed

    const std::string x = ibx::name("log-bad");
    ibx::Unlink ux(x);
    CHECK_THROWS(Region::create_log(x, 1000), Status::invalid_argument);  // below 4096
    CHECK_THROWS(Region::create_log(x, 3000), Status::invalid_argument);  // not a power of two
    CHECK_THROWS(Region::create_log(x, 1ull << 31), Status::invalid_argument); // above 1 GiB
    CHECK_THROWS(Region::create_log(x, RING, MAXREC + 1), Status::invalid_argument);
    CHECK_THROWS(Region::open(x, 0ms), Status::not_found); // none of them created it
}

// Records of every length class, sent and received byte-exact and in order.
static void test_round_trip()
{
    const std::string n = ibx::name("log-rt");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    const std::size_t lens[] = {0, 1, 7, 8, 9, 100, 1000, 2040};
    std::uint64_t used = 0;
    std::uint32_t tag = 0;
    for (std::size_t len : lens) {
        publish(p, tag++, len);
        used += stride(len);
    }
    CHECK(used == 8 + 16 + 16 + 16 + 24 + 112 + 1008 + 2048);
    CHECK(r.info().published == 8);
    CHECK_RING(r, used, 0, 8);
    CHECK(r.consumer_stats(0).depth == 8);
    tag = 0;
    for (std::size_t len : lens)
        CHECK(recv_is(c, record(tag++, len)));
    expect_empty(c); // finds the ring empty: gives every byte back
    CHECK_RING(r, 0, 0, 0);
    CHECK(r.consumer_stats(0).delivered == 8);
    const std::vector<std::byte> over = record(0, MAXREC + 1);
    CHECK_THROWS(p.publish(over), Status::too_large);
    CHECK_ST(p.try_publish(over), INDEXBUS_TOO_LARGE);

    // a buffer too small keeps the record and says how long it is
    publish(p, 99, 100);
    std::byte small[10];
    std::size_t len = 0;
    CHECK_ST(c.try_recv(small, len), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 100);
    CHECK(recv_is(c, record(99, 100)));
    expect_empty(c);
}

// The wrap: a record that does not fit before the end of the ring goes to
// its start, behind padding; many laps of mixed lengths stay byte-exact.
static void test_wrap()
{
    const std::string n = ibx::name("log-wrap");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r, ProducerType::mpsc);
    Consumer c = Consumer::open(r);
    for (std::uint32_t k = 0; k < 3; k++) // 3 x 1008: tail at 3024
        publish(p, k, 1000);
    for (std::uint32_t k = 0; k < 3; k++)
        CHECK(recv_is(c, record(k, 1000)));
    expect_empty(c); // all given back
    CHECK(p.space() == RING);
    publish(p, 3, 1500); // 1072 left to the end: padded, then 1512 at offset 0
    CHECK_RING(r, 1072 + 1512, 1072, 1);
    CHECK(p.space() == RING - 1072 - 1512);
    CHECK(recv_is(c, record(3, 1500)));
    expect_empty(c);
    CHECK_RING(r, 0, 0, 0);

    // laps of lengths 0..max_record, each read back before the next (and
    // the ring found empty, so the consumer gives the space back at once:
    // it returns it in batches otherwise)
    std::uint64_t bytes = 0;
    std::uint32_t tag = 1000;
    for (std::size_t len = 0; len <= MAXREC; len += 37, tag++) {
        publish(p, tag, len);
        CHECK(recv_is(c, record(tag, len)));
        expect_empty(c);
        bytes += stride(len);
    }
    CHECK(bytes > 8 * RING); // many laps
    // and in twos, so the wrap comes while a record waits unread: after the
    // wrap a record must end before the unread bytes (a pad at the end
    // included) start, so two fit whatever the offset only when twice either
    // stride plus the other's is at most the ring
    for (std::size_t len = 5; len <= 1300; len += 53, tag += 2) {
        const std::size_t second = 1305 - len;
        REQUIRE(2 * stride(len) + stride(second) <= RING && stride(len) + 2 * stride(second) <= RING);
        publish(p, tag, len);
        publish(p, tag + 1, second);
        CHECK(recv_is(c, record(tag, len)));
        CHECK(recv_is(c, record(tag + 1, second)));
        expect_empty(c);
    }
    expect_empty(c);
    CHECK_RING(r, 0, 0, 0);
}

// claim(len): exactly len bytes; commit(n) publishes n and pads the rest;
// an unpublished claim becomes padding; claim() on a log is max_record.
static void test_claim_len()
{
    const std::string n = ibx::name("log-claim");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);

    Claim cl = p.claim(100);
    CHECK(cl && cl.capacity() == 100 && cl.buffer().size() == 100);
    std::vector<std::byte> want = record(1, 100);
    std::memcpy(cl.data(), want.data(), 100);
    CHECK_THROWS(cl.commit(101), Status::too_large); // kept
    CHECK(cl);
    CHECK_RING(r, stride(100), 0, 0); // reserved, not yet a record
    cl.commit(40);                    // 112 reserved, 48 used: 64 bytes of padding
    CHECK(!cl);
    CHECK_RING(r, stride(100), stride(100) - stride(40), 1);
    want.resize(40);
    CHECK(recv_is(c, want));

    { // scope exit without commit: padding, nothing received
        Claim gone = p.claim(50);
        std::memset(gone.data(), 0x5a, 50);
    }
    // unread padding: the 64 bytes after the 40 (the reader stops at the
    // record) and the 64 of the claim of 50
    CHECK_RING(r, stride(100) + stride(50), stride(100) - stride(40) + stride(50), 0);
    expect_empty(c); // reads past both, finds the ring empty
    CHECK_RING(r, 0, 0, 0);

    Claim zero = p.claim(0);
    CHECK(zero && zero.capacity() == 0);
    zero.commit(); // all of it: a zero-length record
    Claim full = p.claim(MAXREC);
    CHECK(full.capacity() == MAXREC);
    std::vector<std::byte> big = record(2, MAXREC);
    std::memcpy(full.data(), big.data(), MAXREC);
    full.commit();
    CHECK_THROWS(full.commit(), Status::bad_state); // done: empty
    CHECK_RING(r, stride(0) + stride(MAXREC), 0, 2);
    CHECK(recv_is(c, {}));
    CHECK(recv_is(c, big));

    CHECK_THROWS(p.claim(MAXREC + 1), Status::too_large);
    Claim none;
    CHECK_ST(p.try_claim(MAXREC + 1, none), INDEXBUS_TOO_LARGE);
    CHECK(!none && none.capacity() == 0);
    CHECK_ST(p.try_claim(8, none), INDEXBUS_OK);
    CHECK(none.capacity() == 8);
    CHECK_THROWS(p.claim(8), Status::bad_state); // one claim at a time
    none.abort();

    Claim whole = p.claim(); // no length: max_record
    CHECK(whole.capacity() == MAXREC);
    std::memcpy(whole.data(), "abc", 3);
    whole.commit(3);
    CHECK(c.recv_string(1s) == "abc");

    // claim(len) on an events region: exactly len of the slot
    const std::string ne = ibx::name("log-ev");
    ibx::Unlink ue(ne);
    Region ev = ibx::small_events(ne);
    Producer pe = Producer::open(ev);
    Consumer ce = Consumer::open(ev);
    Claim s = pe.claim(5);
    CHECK(s.capacity() == 5);
    std::memcpy(s.data(), "slots", 5);
    s.commit();
    CHECK(ce.recv_string(1s) == "slots");
    CHECK_THROWS(pe.claim(65), Status::too_large); // slot data size 64
}

// What a byte log refuses.
static void test_refusals()
{
    const std::string n = ibx::name("log-ref");
    ibx::Unlink u(n);
    Region r = Region::create_log(n, RING);
    CHECK_THROWS(Router::open(r), Status::wrong_kind);
    CHECK_THROWS(Consumer::open(r, 1), Status::out_of_range);
    {
        Producer spsc = Producer::open(r);
        CHECK_THROWS(Producer::open(r, ProducerType::mpsc), Status::busy);
        CHECK_THROWS(Producer::open(r), Status::busy);
    }
    Producer m1 = Producer::open(r, ProducerType::mpsc);
    Producer m2 = Producer::open(r, ProducerType::mpsc); // any number of MPSC
    CHECK_THROWS(Producer::open(r), Status::busy);
    Consumer c = Consumer::open(r);
    CHECK_THROWS(Consumer::open(r), Status::busy);
    m1.publish("one");
    m2.publish("two");
    CHECK(c.recv_string(1s) == "one");
    CHECK(c.recv_string(1s) == "two");
}

int main()
{
    test_create();
    test_round_trip();
    test_wrap();
    test_claim_len();
    test_refusals();
    return ibx::summary();
}
