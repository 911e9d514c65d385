// features.cpp - the layout 1.3 create flags through the C++ API: a config's
// flags take INDEXBUS_CREATE_RECYCLE and INDEXBUS_CREATE_MPSC_BATCH as they
// take INDEXBUS_CREATE_DURABLE; the region's info() reports capability bits
// 37 and 38 (fanout) or 38 and 39 (events) and layout 1.3; a byte log refuses
// them with Error (Status::invalid_argument) and leaves no region behind.
#include "check.hpp"

using indexbus::Kind;
using indexbus::Region;
using indexbus::Status;

static constexpr std::uint32_t both = INDEXBUS_CREATE_RECYCLE | INDEXBUS_CREATE_MPSC_BATCH;

static void test_fanout_with_both()
{
    std::string n = ibx::name("feat-fo");
    ibx::Unlink u(n);
    indexbus_region_config cfg = Region::config(Kind::fanout);
    cfg.slot_count = 32; // recycling: at least twice the queue (LAYOUT.md 5.21)
    cfg.queue_capacity = 16;
    cfg.slot_data_size = 64;
    cfg.consumer_count = 2;
    cfg.flags |= both;
    Region r = Region::create(n, cfg);
    indexbus_info in = r.info();
    CHECK(in.kind == INDEXBUS_KIND_FANOUT);
    CHECK(in.layout_major == 1 && in.layout_minor == 3);
    CHECK((in.capabilities & INDEXBUS_CAP_FANOUT_RECYCLE) != 0);
    CHECK((in.capabilities & INDEXBUS_CAP_MPSC_BATCH) != 0);
    CHECK((in.capabilities & (INDEXBUS_CAP_FANOUT_RECYCLE | INDEXBUS_CAP_MPSC_BATCH |
                              INDEXBUS_CAP_MPSC_RECYCLE)) == (1ull << 37 | 1ull << 38));
    // another handle opened by name sees the same header
    Region o = Region::open(n);
    CHECK(o.info().capabilities == in.capabilities);
    CHECK(o.info().layout_minor == 3);
}

static void test_plain_fanout_has_neither()
{
    std::string n = ibx::name("feat-plain");
    ibx::Unlink u(n);
    Region r = Region::create(n, Kind::fanout);
    indexbus_info in = r.info();
    CHECK(in.layout_minor == 0);
    CHECK((in.capabilities & (INDEXBUS_CAP_FANOUT_RECYCLE | INDEXBUS_CAP_MPSC_BATCH)) == 0);
}

// Events: RECYCLE recycles MPSC slots (bit 39), MPSC_BATCH is bit 38.
static void test_events_with_both()
{
    std::string n = ibx::name("feat-ev");
    ibx::Unlink u(n);
    indexbus_region_config cfg = Region::config(Kind::events);
    cfg.slot_count = 16;
    cfg.queue_capacity = 8;
    cfg.flags |= both;
    Region r = Region::create(n, cfg);
    indexbus_info in = r.info();
    CHECK(in.layout_minor == 3);
    CHECK((in.capabilities & (INDEXBUS_CAP_FANOUT_RECYCLE | INDEXBUS_CAP_MPSC_BATCH |
                              INDEXBUS_CAP_MPSC_RECYCLE)) ==
          (INDEXBUS_CAP_MPSC_BATCH | INDEXBUS_CAP_MPSC_RECYCLE));
}

// Recycling with as many slots as queue cells would starve the pool every lap.
static void test_recycle_needs_slots()
{
    std::string n = ibx::name("feat-few");
    ibx::Unlink u(n);
    indexbus_region_config cfg = Region::config(Kind::fanout);
    cfg.slot_count = cfg.queue_capacity = 16;
    cfg.flags |= INDEXBUS_CREATE_RECYCLE;
    CHECK_THROWS(Region::create(n, cfg), Status::invalid_argument);
}

static void test_log_refuses()
{
    const std::uint32_t each[] = {INDEXBUS_CREATE_RECYCLE, INDEXBUS_CREATE_MPSC_BATCH, both};
    for (std::uint32_t f : each) {
        std::string n = ibx::name("feat-log");
        ibx::Unlink u(n);
        indexbus_region_config cfg = Region::log_config(4096);
        cfg.flags |= f;
        CHECK_THROWS(Region::create(n, cfg), Status::invalid_argument);
        CHECK_ST(Region::try_unlink(n), INDEXBUS_NOT_FOUND); // nothing was made
    }
}

int main()
{
    test_fanout_with_both();
    test_plain_fanout_has_neither();
    test_events_with_both();
    test_recycle_needs_slots();
    test_log_refuses();
    return ibx::summary();
}
