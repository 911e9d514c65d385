// blocking.cpp - blocking calls take std::chrono durations: any unit converts
// to the C API's nanoseconds (zero and negative: do not wait; forever and
// beyond: no limit), recv/wait/recv_begin/recv_batch throw TIMEOUT after the
// timeout on an empty bus and their try_ forms return it as an int, a blocked
// receive wakes for a message published from another thread, and for
// DISCONNECTED when the last producer closes.
#include "check.hpp"

#include <limits>
#include <thread>

using indexbus::Consumer;
using indexbus::Producer;
using indexbus::Region;
using indexbus::Status;
using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

// ---- conversions (constexpr, checked at compile time) ---------------------------

using indexbus::detail::to_ns;
using pico = std::chrono::duration<long long, std::pico>;
using fsec = std::chrono::duration<double>;
static_assert(to_ns(10ms) == 10000000u, "ms");
static_assert(to_ns(1500us) == 1500000u, "us");
static_assert(to_ns(7ns) == 7u, "ns");
static_assert(to_ns(1h) == 3600000000000u, "h");
static_assert(to_ns(0s) == 0u && to_ns(-5ms) == 0u, "zero and negative: no wait");
static_assert(to_ns(fsec(0.25)) == 250000000u, "floating seconds");
static_assert(to_ns(fsec(-1.0)) == 0u, "negative floating");
static_assert(to_ns(fsec(std::numeric_limits<double>::infinity())) == UINT64_MAX, "inf");
static_assert(to_ns(pico(10500)) == 10u, "sub-ns units truncate");
static_assert(to_ns(pico::max()) == static_cast<std::uint64_t>(pico::max().count() / 1000),
              "pico max: no overflow");
static_assert(to_ns(indexbus::forever) == UINT64_MAX, "forever");
static_assert(to_ns(std::chrono::nanoseconds::max() - 1ns) == 9223372036854775806u,
              "just below forever is a time");
static_assert(to_ns(std::chrono::hours::max()) == UINT64_MAX, "hours max: forever");
static_assert(to_ns(std::chrono::seconds(9223372037)) == UINT64_MAX, "past ns max: forever");
static_assert(to_ns(std::chrono::seconds(9223372036)) == 9223372036000000000u, "below ns max");

static double ms_since(clk::time_point t0)
{
    return std::chrono::duration<double, std::milli>(clk::now() - t0).count();
}

static Region region(const std::string &n) { return ibx::small_events(n); }

// A call that must time out after `want_ms`: not before, and not much after.
#define CHECK_TIMES_OUT(expr, want_ms)                                               \
    do {                                                                             \
        clk::time_point t0_ = clk::now();                                            \
        CHECK_THROWS(expr, Status::timeout);                                         \
        double ms_ = ms_since(t0_);                                                  \
        if (ms_ < (want_ms) || ms_ > (want_ms) + 2000.0) {                           \
            std::fprintf(stderr, "%s:%d: %s took %.1f ms, want %d\n", __FILE__, __LINE__, \
                         #expr, ms_, (want_ms));                                     \
            ibx::failures++;                                                         \
        }                                                                            \
    } while (0)

static void test_timeouts()
{
    const std::string n = ibx::name("tmo");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    std::byte buf[64];
    std::uint32_t lens[4];

    CHECK_TIMES_OUT(c.recv(buf, 10ms), 10);
    CHECK_TIMES_OUT(c.recv(buf, 20000us), 20);
    CHECK_TIMES_OUT(c.recv(buf, fsec(0.015)), 15);
    CHECK_TIMES_OUT(c.recv(buf, pico(10000000000)), 10); // 10 ms in picoseconds
    CHECK_TIMES_OUT(c.wait(10ms), 10);
    CHECK_TIMES_OUT(c.recv_begin(10ms), 10);
    CHECK_TIMES_OUT(c.recv_string(10ms), 10);
    CHECK_TIMES_OUT(c.recv_batch(buf, lens, 10ms), 10);
    CHECK_TIMES_OUT(c.recv(buf, 0ms), 0); // zero: look once (after the spin), no wait
    CHECK_TIMES_OUT(c.recv(buf, -1s), 0); // negative: the same

    // the try_ forms return the status as an int
    std::size_t len = 7;
    clk::time_point t0 = clk::now();
    int st = c.try_recv(buf, len, 10ms);
    CHECK_ST(st, INDEXBUS_TIMEOUT);
    CHECK(ms_since(t0) >= 10);
    CHECK_ST(c.try_wait(5ms), INDEXBUS_TIMEOUT);
    indexbus::Borrow b;
    CHECK_ST(c.try_recv_begin(b, 5ms), INDEXBUS_TIMEOUT);
    CHECK(!b);
    std::size_t count = 3;
    CHECK_ST(c.try_recv_batch(buf, lens, count, 5ms), INDEXBUS_TIMEOUT);
    CHECK(count == 0);
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_EMPTY); // non-blocking: EMPTY, not TIMEOUT
    CHECK_ST(c.try_recv_batch(buf, lens, count), INDEXBUS_EMPTY);

    // with a message waiting, a long timeout returns at once
    p.publish("ready");
    t0 = clk::now();
    c.wait(1h); // ready: does not take it
    CHECK(c.recv(buf, std::chrono::hours(24)) == 5);
    p.publish("again");
    CHECK(c.recv_string(indexbus::forever) == "again");
    p.publish("twice");
    CHECK_ST(c.try_recv(buf, len, 1h), INDEXBUS_OK);
    CHECK(len == 5 && std::string(reinterpret_cast<char *>(buf), 5) == "twice");
    CHECK(ms_since(t0) < 1000);
}

// A receive blocked without limit wakes for a message from another thread.
static void test_wakeup()
{
    const std::string n = ibx::name("wake");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    for (int round = 0; round < 3; round++) {
        clk::time_point t0 = clk::now();
        std::thread t([&] {
            std::this_thread::sleep_for(50ms);
            p.publish("late " + std::to_string(round));
        });
        std::string got;
        if (round == 0)
            got = c.recv_string(); // default: forever
        else if (round == 1)
            got = c.recv_begin(10s).view();
        else {
            std::byte buf[64];
            std::uint32_t lens[2];
            std::size_t k = c.recv_batch(buf, lens); // forever
            CHECK(k == 1);
            got.assign(reinterpret_cast<char *>(buf), lens[0]);
        }
        double ms = ms_since(t0);
        t.join();
        CHECK(got == "late " + std::to_string(round));
        CHECK(ms >= 45 && ms < 5000);
    }
}

// Closing the last producer ends a blocked receive with DISCONNECTED, once
// what it published is drained.
static void test_disconnect()
{
    const std::string n = ibx::name("disc");
    ibx::Unlink u(n);
    Region r = region(n);
    Producer p = Producer::open(r);
    Consumer c = Consumer::open(r);
    p.publish("last words");
    std::thread t([&] {
        std::this_thread::sleep_for(50ms);
        p.close();
    });
    CHECK(c.recv_string(10s) == "last words"); // drained before DISCONNECTED
    clk::time_point t0 = clk::now();
    std::byte buf[64];
    CHECK_THROWS(c.recv(buf), Status::disconnected); // blocked, forever, until the close
    CHECK(ms_since(t0) < 5000);
    t.join();
    std::size_t len = 0;
    std::uint32_t lens[2];
    std::size_t count = 9;
    indexbus::Borrow b;
    CHECK_ST(c.try_recv(buf, len), INDEXBUS_DISCONNECTED);
    CHECK_ST(c.try_recv(buf, len, 1s), INDEXBUS_DISCONNECTED);
    CHECK_ST(c.try_wait(1s), INDEXBUS_DISCONNECTED);
    CHECK_ST(c.try_recv_begin(b), INDEXBUS_DISCONNECTED);
    CHECK_ST(c.try_recv_begin(b, 1s), INDEXBUS_DISCONNECTED);
    CHECK_ST(c.try_recv_batch(buf, lens, count, 1s), INDEXBUS_DISCONNECTED);
    CHECK(count == 0);
    CHECK_THROWS(c.wait(), Status::disconnected);
    CHECK_THROWS(c.recv_batch(buf, lens), Status::disconnected);
    // a new producer reconnects
    Producer p2 = Producer::open(r);
    p2.publish("back");
    CHECK(c.recv_string(1s) == "back");
}

// NaN is not a constant expression for clang, so checked at run time.
static void test_nan()
{
    volatile double nan = std::numeric_limits<double>::quiet_NaN();
    CHECK(to_ns(fsec(nan)) == 0u); // no wait
}

int main()
{
    test_nan();
    test_timeouts();
    test_wakeup();
    test_disconnect();
    return ibx::summary();
}
