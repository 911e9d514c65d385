/* stress-threads.c - threads hammering one region, for TSan: 4 MPSC
 * producer threads + 1 SPSC producer thread into a fanout router thread and
 * 3 broadcast consumer threads that block in recv (park/wake); then the same
 * producers into an events region that recycles SPSC slots (LAYOUT.md 5.16)
 * and one consumer thread that waits, then copies, borrows or takes a
 * batch in turn. Every consumer must see every message exactly once,
 * per-producer in order. */
#include <pthread.h>
#include <sched.h>

#include "harness.h"

#define PRODUCERS 5 /* 0 = SPSC, 1..4 = MPSC */
#define PER_PRODUCER 20000
#define CONSUMERS 3

static indexbus_region *region;

static indexbus_producer *producer[PRODUCERS];

static void *produce(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    indexbus_producer *p = producer[id];
    for (uint32_t seq = 0; seq < PER_PRODUCER;) {
        uint32_t msg[2] = {id, seq};
        int st = indexbus_publish(p, msg, sizeof msg);
        if (st == INDEXBUS_OK)
            seq++;
        else if (st == INDEXBUS_FULL)
            sched_yield();
        else
            REQUIRE(!"publish failed");
    }
    indexbus_producer_close(p);
    return NULL;
}

/* Every producer thread, started and joined. All producers attach before
 * any thread runs: one that finished before another attached would leave
 * the region with no live producer, a true DISCONNECTED for the consumers
 * (CI saw it under ASan: the SPSC thread done before an MPSC one began). */
static void run_producers(void)
{
    pthread_t pt[PRODUCERS];
    for (uint32_t i = 0; i < PRODUCERS; i++)
        REQUIRE_OK(indexbus_producer_open(region, i == 0 ? INDEXBUS_PRODUCER_SPSC
                                                         : INDEXBUS_PRODUCER_MPSC, &producer[i]));
    for (uintptr_t i = 0; i < PRODUCERS; i++)
        pthread_create(&pt[i], NULL, produce, (void *)i);
    for (int i = 0; i < PRODUCERS; i++)
        pthread_join(pt[i], NULL);
}

static void *route(void *arg)
{
    indexbus_router *r = arg;
    indexbus_router_loop_config cfg = {.size = sizeof cfg,
                                       .mode = INDEXBUS_MODE_BROADCAST,
                                       .flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT,
                                       .spin_iters = 64,
                                       .yield_iters = 4,
                                       .park_ns = 1000000};
    CHECK_ST(indexbus_router_run(r, &cfg), INDEXBUS_DISCONNECTED);
    CHECK(cfg.routed == (uint64_t)PRODUCERS * PER_PRODUCER);
    return NULL;
}

/* One message, checked against the per-producer order. */
static void note(uint32_t *next, const uint32_t *msg, size_t len, size_t *total)
{
    REQUIRE(len == 2 * sizeof(uint32_t) && msg[0] < PRODUCERS);
    CHECK(msg[1] == next[msg[0]]);
    next[msg[0]] = msg[1] + 1;
    (*total)++;
}

static void *consume(void *arg)
{
    indexbus_consumer *c = arg;
    uint32_t next[PRODUCERS] = {0}, msg[2];
    size_t len, total = 0;
    int st;
    while ((st = indexbus_recv(c, msg, sizeof msg, &len, 20000000000ull)) == INDEXBUS_OK)
        note(next, msg, len, &total);
    CHECK_ST(st, INDEXBUS_DISCONNECTED);
    CHECK(total == (size_t)PRODUCERS * PER_PRODUCER);
    return NULL;
}

static void *consume_events(void *arg)
{
    indexbus_consumer *c = arg;
    uint32_t next[PRODUCERS] = {0}, msg[2], batch[8][2], lens[8];
    size_t len, total = 0, k;
    const void *d;
    int st;
    for (uint32_t turn = 0; (st = indexbus_wait(c, 20000000000ull)) == INDEXBUS_OK; turn++) {
        if (turn % 3 == 0) {
            REQUIRE_OK(indexbus_try_recv(c, msg, sizeof msg, &len));
            note(next, msg, len, &total);
        } else if (turn % 3 == 1) {
            REQUIRE_OK(indexbus_recv_begin(c, &d, &len));
            memcpy(msg, d, sizeof msg);
            REQUIRE_OK(indexbus_recv_end(c));
            note(next, msg, len, &total);
        } else {
            REQUIRE_OK(indexbus_recv_batch(c, batch, sizeof batch, lens, 8, &k));
            for (size_t i = 0; i < k; i++)
                note(next, batch[i], lens[i], &total);
        }
    }
    CHECK_ST(st, INDEXBUS_DISCONNECTED);
    CHECK(total == (size_t)PRODUCERS * PER_PRODUCER);
    return NULL;
}

static void events_part(void)
{
    const char *name = ib_test_name("stress-ev");
    indexbus_region_config cfg;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    cfg.slot_count = 64;
    cfg.queue_capacity = 32; /* twice as many slots as cells: SPSC slots recycle */
    cfg.slot_data_size = 64;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &region));
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(region, &info));
    CHECK(info.capabilities & INDEXBUS_CAP_SPSC_RECYCLE);
    indexbus_consumer *c;
    pthread_t ct;
    REQUIRE_OK(indexbus_consumer_open(region, 0, &c));
    pthread_create(&ct, NULL, consume_events, c);
    run_producers();
    pthread_join(ct, NULL);
    REQUIRE_OK(indexbus_region_info(region, &info));
    CHECK(info.published == (uint64_t)PRODUCERS * PER_PRODUCER);
    CHECK(info.free_slots == 64); /* parked and pooled slots: none lost */
    indexbus_consumer_stats s = {.size = sizeof s};
    REQUIRE_OK(indexbus_region_consumer_stats(region, 0, &s));
    CHECK(s.delivered == (uint64_t)PRODUCERS * PER_PRODUCER);
    indexbus_consumer_close(c);
    indexbus_region_close(region);
    indexbus_region_unlink(name);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    const char *name = ib_test_name("stress");
    region = ib_test_create(name, INDEXBUS_KIND_FANOUT, 256, 64, CONSUMERS);
    indexbus_router *r;
    indexbus_consumer *c[CONSUMERS];
    pthread_t rt, ct[CONSUMERS];
    REQUIRE_OK(indexbus_router_open(region, &r));
    for (uint32_t i = 0; i < CONSUMERS; i++) {
        REQUIRE_OK(indexbus_consumer_open(region, i, &c[i]));
        pthread_create(&ct[i], NULL, consume, c[i]);
    }
    pthread_create(&rt, NULL, route, r);
    run_producers();
    pthread_join(rt, NULL);
    for (int i = 0; i < CONSUMERS; i++)
        pthread_join(ct[i], NULL);

    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(region, &info));
    CHECK(info.published == (uint64_t)PRODUCERS * PER_PRODUCER);
    CHECK(info.free_slots == 256); /* every broadcast slot came back */
    for (uint32_t i = 0; i < CONSUMERS; i++) {
        indexbus_consumer_stats s = {.size = sizeof s};
        REQUIRE_OK(indexbus_region_consumer_stats(region, i, &s));
        CHECK(s.delivered == (uint64_t)PRODUCERS * PER_PRODUCER && s.dropped_full == 0);
        indexbus_consumer_close(c[i]);
    }
    indexbus_router_close(r);
    indexbus_region_close(region);
    indexbus_region_unlink(name);
    events_part();
    return ib_test_done("stress-threads");
}
