/* unit_router.c - router API: open (WRONG_KIND, BUSY), route_once argument
 * checks and EMPTY/FULL, per-consumer results (stats, credit masks, work
 * queue), router_run config checks, stop from another thread,
 * EXIT_ON_DISCONNECT, and broadcast slot refcounts. */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "bad_util.h"

#define DATA 64u
#define NC 3u

typedef struct fixture {
    indexbus_region *r;
    indexbus_router *rt;
    indexbus_producer *p; /* SPSC */
    indexbus_producer *m; /* MPSC */
    indexbus_consumer *c[NC];
} fixture;

static fixture setup(const char *tag, uint32_t slots, uint32_t queue)
{
    const char *name = ib_test_name(tag);
    indexbus_region_config cfg;
    fixture f;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT));
    cfg.slot_count = slots;
    cfg.queue_capacity = queue;
    cfg.slot_data_size = DATA;
    cfg.consumer_count = NC;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &f.r));
    REQUIRE_OK(indexbus_region_unlink(name));
    REQUIRE_OK(indexbus_router_open(f.r, &f.rt));
    REQUIRE_OK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_SPSC, &f.p));
    REQUIRE_OK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_MPSC, &f.m));
    for (uint32_t i = 0; i < NC; i++)
        REQUIRE_OK(indexbus_consumer_open(f.r, i, &f.c[i]));
    return f;
}

static void teardown(fixture *f)
{
    for (uint32_t i = 0; i < NC; i++)
        indexbus_consumer_close(f->c[i]);
    indexbus_producer_close(f->m);
    indexbus_producer_close(f->p);
    indexbus_router_close(f->rt);
    indexbus_region_close(f->r);
}

static void pub_u32(indexbus_producer *p, uint32_t v)
{
    REQUIRE_OK(indexbus_publish(p, &v, sizeof v));
}

static void expect_u32(indexbus_consumer *c, uint32_t want)
{
    uint32_t v = ~want;
    size_t len = 0;
    CHECK_ST(indexbus_try_recv(c, &v, sizeof v, &len), INDEXBUS_OK);
    CHECK(len == sizeof v && v == want);
}

static void expect_st(indexbus_consumer *c, int want)
{
    uint32_t v;
    size_t len;
    CHECK_ST(indexbus_try_recv(c, &v, sizeof v, &len), want);
}

static indexbus_info info_of(indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    return info;
}

static void test_open(void)
{
    const char *name = ib_test_name("ropen");
    indexbus_region *ev = ib_test_create(name, INDEXBUS_KIND_EVENTS, 8, DATA, 0);
    indexbus_router *rt = (indexbus_router *)ev, *rt2;
    REQUIRE_OK(indexbus_region_unlink(name));
    CHECK_ST(indexbus_router_open(ev, &rt), INDEXBUS_WRONG_KIND);
    CHECK(rt == NULL);
    CHECK(info_of(ev).routers_live == 0);
    indexbus_region_close(ev);

    fixture f = setup("ropen2", 8, 8);
    rt2 = (indexbus_router *)f.r;
    CHECK_ST(indexbus_router_open(f.r, &rt2), INDEXBUS_BUSY);
    CHECK(rt2 == NULL);
    CHECK_ST(indexbus_router_open(NULL, &rt2), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_router_open(f.r, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK(info_of(f.r).routers_live == 1);
    REQUIRE_OK(indexbus_router_close(f.rt));
    CHECK(info_of(f.r).routers_live == 0);
    REQUIRE_OK(indexbus_router_open(f.r, &f.rt)); /* free again after close */
    CHECK_ST(indexbus_router_close(NULL), INDEXBUS_OK);
    teardown(&f);
}

static void test_route_once_args(void)
{
    fixture f = setup("rargs", 8, 8);
    indexbus_route_result res = {.size = sizeof res};
    const uint32_t sources[] = {INDEXBUS_SOURCE_SPSC, INDEXBUS_SOURCE_MPSC, INDEXBUS_SOURCE_ANY};
    for (int i = 0; i < 3; i++) {
        CHECK_ST(indexbus_route_once(f.rt, sources[i], INDEXBUS_MODE_BROADCAST), INDEXBUS_EMPTY);
        CHECK_ST(indexbus_route_once(f.rt, sources[i], INDEXBUS_MODE_WORK_QUEUE), INDEXBUS_EMPTY);
    }
    res.routed = 7;
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_EMPTY);
    CHECK(res.size == sizeof res && res.routed == 0 && res.delivered == 0);

    pub_u32(f.p, 1);
    CHECK_ST(indexbus_route_once(NULL, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST),
             INDEXBUS_INVALID_ARGUMENT);
    const uint32_t bad_src[] = {0, 4, 0xffffffffu}, bad_mode[] = {0, 3, 0xffffffffu};
    for (int i = 0; i < 3; i++) {
        CHECK_ST(indexbus_route_once(f.rt, bad_src[i], INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_INVALID_ARGUMENT);
        CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, bad_mode[i]),
                 INDEXBUS_INVALID_ARGUMENT);
    }
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, NULL),
             INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, ~0ull,
                                        0, 0, NULL),
             INDEXBUS_INVALID_ARGUMENT);
    res.size = sizeof res - 1;
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_INVALID_ARGUMENT);
    res.size = 0;
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, ~0ull,
                                        0, 0, &res),
             INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_route_once_stats(NULL, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_INVALID_ARGUMENT);
    /* none of the refusals touched the message */
    indexbus_info info = info_of(f.r);
    CHECK(info.spsc_depth == 1 && info.routed == 0);
    /* the MPSC source is empty even though SPSC is not */
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST),
             INDEXBUS_EMPTY);
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);
    for (uint32_t i = 0; i < NC; i++)
        expect_u32(f.c[i], 1);
    teardown(&f);
}

static void test_results_and_credit(void)
{
    fixture f = setup("rres", 16, 4);
    indexbus_route_result res = {.size = sizeof res};
    indexbus_consumer_stats cs = {.size = sizeof cs};
    const uint64_t all = (1u << NC) - 1;

    pub_u32(f.m, 10);
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_OK);
    CHECK(res.size == sizeof res && res.routed == 1 && res.delivered == NC);
    CHECK(res.delivered_mask == all && res.dropped_full == 0 && res.dropped_no_credit == 0);

    /* consumer 0 marked full, 2 without credit: only 1 gets it */
    pub_u32(f.m, 11);
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, all,
                                        1u << 2, 1u << 0, &res),
             INDEXBUS_OK);
    CHECK(res.delivered == 1 && res.delivered_mask == (1u << 1));
    CHECK(res.dropped_full == 1 && res.dropped_full_mask == (1u << 0));
    CHECK(res.dropped_no_credit == 1 && res.dropped_no_credit_mask == (1u << 2));
    REQUIRE_OK(indexbus_region_consumer_stats(f.r, 0, &cs));
    CHECK(cs.delivered == 1 && cs.dropped_full == 1 && cs.dropped_no_credit == 0 && cs.depth == 1);
    REQUIRE_OK(indexbus_region_consumer_stats(f.r, 2, &cs));
    CHECK(cs.delivered == 1 && cs.dropped_full == 0 && cs.dropped_no_credit == 1);

    /* nobody eligible: FULL, the message stays queued */
    pub_u32(f.m, 12);
    uint64_t no_space = info_of(f.r).route_no_space;
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, 0, 0,
                                        0, &res),
             INDEXBUS_FULL);
    CHECK(res.routed == 0 && res.delivered == 0);
    indexbus_info info = info_of(f.r);
    CHECK(info.mpsc_depth == 1 && info.route_no_space == no_space + 1 && info.routed == 2);
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);

    expect_u32(f.c[0], 10);
    expect_u32(f.c[0], 12);
    expect_u32(f.c[1], 10);
    expect_u32(f.c[1], 11);
    expect_u32(f.c[1], 12);
    expect_u32(f.c[2], 10);
    expect_u32(f.c[2], 12);
    CHECK(bad_free_slots(f.r) == 16);

    /* real queue space: fill consumer 0 (capacity 4), broadcast drops it as full */
    for (uint32_t i = 0; i < 4; i++) {
        pub_u32(f.p, 20 + i);
        CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST,
                                            1u << 0, 0, 0, &res),
                 INDEXBUS_OK);
    }
    pub_u32(f.p, 30);
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_OK);
    CHECK(res.delivered_mask == 6 && res.dropped_full_mask == 1 && res.dropped_full == 1);
    /* only consumer 0 eligible and its queue is full: FULL */
    pub_u32(f.p, 31);
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST,
                                        1u << 0, 0, 0, &res),
             INDEXBUS_FULL);
    expect_u32(f.c[0], 20);
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST,
                                        1u << 0, 0, 0, &res),
             INDEXBUS_OK);
    for (uint32_t v = 21; v < 24; v++)
        expect_u32(f.c[0], v);
    expect_u32(f.c[0], 31);
    expect_u32(f.c[1], 30);
    expect_u32(f.c[2], 30);
    for (uint32_t i = 0; i < NC; i++)
        expect_st(f.c[i], INDEXBUS_EMPTY);
    CHECK(bad_free_slots(f.r) == 16);
    teardown(&f);
}

static void test_work_queue(void)
{
    fixture f = setup("rwq", 16, 4);
    indexbus_route_result res = {.size = sizeof res};
    uint64_t seen = 0;
    for (uint32_t i = 0; i < NC; i++) {
        pub_u32(f.p, i);
        CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE,
                                           &res),
                 INDEXBUS_OK);
        CHECK(res.delivered == 1 && __builtin_popcountll(res.delivered_mask) == 1);
        CHECK(res.dropped_full == 0 && res.dropped_no_credit == 0);
        CHECK((seen & res.delivered_mask) == 0); /* round robin: a new consumer each time */
        seen |= res.delivered_mask;
    }
    CHECK(seen == (1u << NC) - 1);
    CHECK(bad_free_slots(f.r) == 16 - NC);
    uint32_t total = 0;
    for (uint32_t i = 0; i < NC; i++) {
        uint32_t v;
        size_t len;
        if (indexbus_try_recv(f.c[i], &v, sizeof v, &len) == INDEXBUS_OK)
            total++;
        expect_st(f.c[i], INDEXBUS_EMPTY);
    }
    CHECK(total == NC);
    CHECK(bad_free_slots(f.r) == 16); /* one reference each */
    teardown(&f);
}

/* Broadcast: the slot goes back only after every consumer is done with it. */
static void test_broadcast_refcount(void)
{
    fixture f = setup("rref", 8, 8);
    const void *data;
    size_t len, count;
    uint32_t lens[2], buf[2];
    pub_u32(f.p, 77);
    CHECK(bad_free_slots(f.r) == 7);
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);
    CHECK(bad_free_slots(f.r) == 7);
    expect_u32(f.c[0], 77);
    CHECK(bad_free_slots(f.r) == 7);
    REQUIRE_OK(indexbus_recv_begin(f.c[1], &data, &len));
    CHECK(len == 4 && *(const uint32_t *)data == 77);
    CHECK(bad_free_slots(f.r) == 7);
    CHECK_ST(indexbus_recv_batch(f.c[2], buf, sizeof buf, lens, 2, &count), INDEXBUS_OK);
    CHECK(count == 1 && lens[0] == 4 && buf[0] == 77);
    CHECK(bad_free_slots(f.r) == 7); /* consumer 1 still borrows it */
    REQUIRE_OK(indexbus_recv_end(f.c[1]));
    CHECK(bad_free_slots(f.r) == 8);
    teardown(&f);
}

static void test_run_args(void)
{
    fixture f = setup("rrun", 8, 8);
    indexbus_router_loop_config cfg = {.size = sizeof cfg};
    CHECK_ST(indexbus_router_run(NULL, &cfg), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_router_run(f.rt, NULL), INDEXBUS_INVALID_ARGUMENT);
    cfg.size = sizeof cfg - 1;
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_INVALID_ARGUMENT);
    cfg.size = sizeof cfg;
    cfg.flags = 0x2;
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_INVALID_ARGUMENT);
    cfg.flags = 0;
    cfg.source = 4;
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_INVALID_ARGUMENT);
    cfg.source = 0;
    cfg.mode = 3;
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_router_stop(NULL), INDEXBUS_INVALID_ARGUMENT);
    teardown(&f);
}

typedef struct run_arg {
    indexbus_router *rt;
    indexbus_router_loop_config cfg;
    int status;
} run_arg;

static void *run_router(void *p)
{
    run_arg *a = p;
    a->status = indexbus_router_run(a->rt, &a->cfg);
    return NULL;
}

/* Poll until info.routed reaches want (2 s at most). */
static int wait_routed(indexbus_region *r, uint64_t want)
{
    for (int i = 0; i < 2000; i++) {
        if (info_of(r).routed >= want)
            return 1;
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    return 0;
}

static void test_run_stop(void)
{
    fixture f = setup("rstop", 32, 32);
    run_arg a = {.rt = f.rt,
                 .cfg = {.size = sizeof a.cfg, .spin_iters = 16, .yield_iters = 4,
                         .park_ns = 1000000, .routed = 12345}};
    pthread_t t;
    for (uint32_t i = 0; i < 10; i++)
        pub_u32(i % 2 ? f.m : f.p, i);
    REQUIRE(pthread_create(&t, NULL, run_router, &a) == 0);
    CHECK(wait_routed(f.r, 10));
    pub_u32(f.p, 10); /* routed while the loop is parked or polling */
    pub_u32(f.m, 11);
    CHECK(wait_routed(f.r, 12));
    REQUIRE_OK(indexbus_router_stop(f.rt));
    pthread_join(t, NULL);
    CHECK_ST(a.status, INDEXBUS_OK);
    CHECK(a.cfg.routed == 12);
    for (uint32_t c = 0; c < NC; c++) {
        uint32_t next_even = 0, next_odd = 1, v;
        size_t len;
        for (int i = 0; i < 12; i++) { /* per-producer order */
            REQUIRE_OK(indexbus_try_recv(f.c[c], &v, sizeof v, &len));
            uint32_t *next = v % 2 ? &next_odd : &next_even;
            CHECK(v == *next);
            *next += 2;
        }
        expect_st(f.c[c], INDEXBUS_EMPTY);
    }

    /* the router can run again after a stop */
    a.cfg.routed = 0;
    REQUIRE(pthread_create(&t, NULL, run_router, &a) == 0);
    pub_u32(f.p, 12);
    CHECK(wait_routed(f.r, 13));
    REQUIRE_OK(indexbus_router_stop(f.rt));
    pthread_join(t, NULL);
    CHECK_ST(a.status, INDEXBUS_OK);
    CHECK(a.cfg.routed == 1);
    teardown(&f);
}

static void test_exit_on_disconnect(void)
{
    fixture f = setup("rexit", 32, 32);
    indexbus_router_loop_config cfg = {.size = sizeof cfg,
                                       .source = INDEXBUS_SOURCE_ANY,
                                       .mode = INDEXBUS_MODE_BROADCAST,
                                       .flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT};
    for (uint32_t i = 0; i < 5; i++)
        pub_u32(f.p, i);
    for (uint32_t i = 5; i < 8; i++)
        pub_u32(f.m, i);
    indexbus_producer_close(f.p);
    indexbus_producer_close(f.m);
    f.p = f.m = NULL;
    for (uint32_t c = 0; c < NC; c++) /* queued, not routed: not disconnected yet */
        expect_st(f.c[c], INDEXBUS_EMPTY);
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_DISCONNECTED);
    CHECK(cfg.routed == 8);
    for (uint32_t c = 0; c < NC; c++) {
        uint32_t sum = 0, v;
        size_t len;
        for (int i = 0; i < 8; i++) {
            REQUIRE_OK(indexbus_try_recv(f.c[c], &v, sizeof v, &len));
            sum += v;
        }
        CHECK(sum == 28);
        expect_st(f.c[c], INDEXBUS_DISCONNECTED);
    }
    /* again, with nothing left: returns at once */
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_DISCONNECTED);
    CHECK(cfg.routed == 0);
    teardown(&f);
}

int main(void)
{
    test_open();
    test_route_once_args();
    test_results_and_credit();
    test_work_queue();
    test_broadcast_refcount();
    test_run_args();
    test_run_stop();
    test_exit_on_disconnect();
    return ib_test_done("unit_router");
}
