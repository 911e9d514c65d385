/* router.c - router API: open (WRONG_KIND, BUSY), route_once argument
 * checks and EMPTY/FULL, per-consumer results (stats and credit masks),
 * router_run config checks, stop from another thread and
 * EXIT_ON_DISCONNECT. The work-queue and broadcast cases are in
 * work-queue.c and broadcast.c; the fanout fixture in fixture.c. */
#include <pthread.h>
#include <sched.h>
#include <time.h>

#include "bad_util.h"
#include "fixture.h"

static void test_open(void)
{
    const char *name = ib_test_name("ropen");
    indexbus_region *ev = ib_test_create(name, INDEXBUS_KIND_EVENTS, 8, FX_DATA, 0);
    indexbus_router *rt = (indexbus_router *)ev, *rt2;
    REQUIRE_OK(indexbus_region_unlink(name));
    CHECK_ST(indexbus_router_open(ev, &rt), INDEXBUS_WRONG_KIND);
    CHECK(rt == NULL);
    CHECK(fx_info(ev).routers_live == 0);
    indexbus_region_close(ev);

    fx f = fx_setup("ropen2", 8, 8);
    rt2 = (indexbus_router *)f.r;
    CHECK_ST(indexbus_router_open(f.r, &rt2), INDEXBUS_BUSY);
    CHECK(rt2 == NULL);
    CHECK_ST(indexbus_router_open(NULL, &rt2), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_router_open(f.r, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK(fx_info(f.r).routers_live == 1);
    REQUIRE_OK(indexbus_router_close(f.rt));
    CHECK(fx_info(f.r).routers_live == 0);
    REQUIRE_OK(indexbus_router_open(f.r, &f.rt)); /* free again after close */
    CHECK_ST(indexbus_router_close(NULL), INDEXBUS_OK);
    fx_teardown(&f);
}

static void test_route_once_args(void)
{
    fx f = fx_setup("rargs", 8, 8);
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

    fx_pub_u32(f.p, 1);
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
    indexbus_info info = fx_info(f.r);
    CHECK(info.spsc_depth == 1 && info.routed == 0);
    /* the MPSC source is empty even though SPSC is not */
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST),
             INDEXBUS_EMPTY);
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);
    for (uint32_t i = 0; i < FX_NC; i++)
        fx_expect_u32(f.c[i], 1);
    fx_teardown(&f);
}

static void test_results_and_credit(void)
{
    fx f = fx_setup("rres", 16, 4);
    indexbus_route_result res = {.size = sizeof res};
    indexbus_consumer_stats cs = {.size = sizeof cs};
    const uint64_t all = (1u << FX_NC) - 1;

    fx_pub_u32(f.m, 10);
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_OK);
    CHECK(res.size == sizeof res && res.routed == 1 && res.delivered == FX_NC);
    CHECK(res.delivered_mask == all && res.dropped_full == 0 && res.dropped_no_credit == 0);

    /* consumer 0 marked full, 2 without credit: only 1 gets it */
    fx_pub_u32(f.m, 11);
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
    fx_pub_u32(f.m, 12);
    uint64_t no_space = fx_info(f.r).route_no_space;
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, 0, 0,
                                        0, &res),
             INDEXBUS_FULL);
    CHECK(res.routed == 0 && res.delivered == 0);
    indexbus_info info = fx_info(f.r);
    CHECK(info.mpsc_depth == 1 && info.route_no_space == no_space + 1 && info.routed == 2);
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);

    fx_expect_u32(f.c[0], 10);
    fx_expect_u32(f.c[0], 12);
    fx_expect_u32(f.c[1], 10);
    fx_expect_u32(f.c[1], 11);
    fx_expect_u32(f.c[1], 12);
    fx_expect_u32(f.c[2], 10);
    fx_expect_u32(f.c[2], 12);
    CHECK(bad_free_slots(f.r) == 16);

    /* real queue space: fill consumer 0 (capacity 4), broadcast drops it as full */
    for (uint32_t i = 0; i < 4; i++) {
        fx_pub_u32(f.p, 20 + i);
        CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST,
                                            1u << 0, 0, 0, &res),
                 INDEXBUS_OK);
    }
    fx_pub_u32(f.p, 30);
    CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, &res),
             INDEXBUS_OK);
    CHECK(res.delivered_mask == 6 && res.dropped_full_mask == 1 && res.dropped_full == 1);
    /* only consumer 0 eligible and its queue is full: FULL */
    fx_pub_u32(f.p, 31);
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST,
                                        1u << 0, 0, 0, &res),
             INDEXBUS_FULL);
    fx_expect_u32(f.c[0], 20);
    CHECK_ST(indexbus_route_once_credit(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST,
                                        1u << 0, 0, 0, &res),
             INDEXBUS_OK);
    for (uint32_t v = 21; v < 24; v++)
        fx_expect_u32(f.c[0], v);
    fx_expect_u32(f.c[0], 31);
    fx_expect_u32(f.c[1], 30);
    fx_expect_u32(f.c[2], 30);
    for (uint32_t i = 0; i < FX_NC; i++)
        fx_expect_st(f.c[i], INDEXBUS_EMPTY);
    CHECK(bad_free_slots(f.r) == 16);
    fx_teardown(&f);
}

static void test_run_args(void)
{
    fx f = fx_setup("rrun", 8, 8);
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
    fx_teardown(&f);
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
        if (fx_info(r).routed >= want)
            return 1;
        struct timespec nap = {0, 1000000};
        nanosleep(&nap, NULL);
    }
    return 0;
}

static void test_run_stop(void)
{
    fx f = fx_setup("rstop", 32, 32);
    run_arg a = {.rt = f.rt,
                 .cfg = {.size = sizeof a.cfg, .spin_iters = 16, .yield_iters = 4,
                         .park_ns = 1000000, .routed = 12345}};
    pthread_t t;
    for (uint32_t i = 0; i < 10; i++)
        fx_pub_u32(i % 2 ? f.m : f.p, i);
    REQUIRE(pthread_create(&t, NULL, run_router, &a) == 0);
    CHECK(wait_routed(f.r, 10));
    fx_pub_u32(f.p, 10); /* routed while the loop is parked or polling */
    fx_pub_u32(f.m, 11);
    CHECK(wait_routed(f.r, 12));
    REQUIRE_OK(indexbus_router_stop(f.rt));
    pthread_join(t, NULL);
    CHECK_ST(a.status, INDEXBUS_OK);
    CHECK(a.cfg.routed == 12);
    for (uint32_t c = 0; c < FX_NC; c++) {
        uint32_t next_even = 0, next_odd = 1, v;
        size_t len;
        for (int i = 0; i < 12; i++) { /* per-producer order */
            REQUIRE_OK(indexbus_try_recv(f.c[c], &v, sizeof v, &len));
            uint32_t *next = v % 2 ? &next_odd : &next_even;
            CHECK(v == *next);
            *next += 2;
        }
        fx_expect_st(f.c[c], INDEXBUS_EMPTY);
    }

    /* the router can run again after a stop */
    a.cfg.routed = 0;
    REQUIRE(pthread_create(&t, NULL, run_router, &a) == 0);
    fx_pub_u32(f.p, 12);
    CHECK(wait_routed(f.r, 13));
    REQUIRE_OK(indexbus_router_stop(f.rt));
    pthread_join(t, NULL);
    CHECK_ST(a.status, INDEXBUS_OK);
    CHECK(a.cfg.routed == 1);
    fx_teardown(&f);
}

static void test_exit_on_disconnect(void)
{
    fx f = fx_setup("rexit", 32, 32);
    indexbus_router_loop_config cfg = {.size = sizeof cfg,
                                       .source = INDEXBUS_SOURCE_ANY,
                                       .mode = INDEXBUS_MODE_BROADCAST,
                                       .flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT};
    for (uint32_t i = 0; i < 5; i++)
        fx_pub_u32(f.p, i);
    for (uint32_t i = 5; i < 8; i++)
        fx_pub_u32(f.m, i);
    indexbus_producer_close(f.p);
    indexbus_producer_close(f.m);
    f.p = f.m = NULL;
    for (uint32_t c = 0; c < FX_NC; c++) /* queued, not routed: not disconnected yet */
        fx_expect_st(f.c[c], INDEXBUS_EMPTY);
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_DISCONNECTED);
    CHECK(cfg.routed == 8);
    for (uint32_t c = 0; c < FX_NC; c++) {
        uint32_t sum = 0, v;
        size_t len;
        for (int i = 0; i < 8; i++) {
            REQUIRE_OK(indexbus_try_recv(f.c[c], &v, sizeof v, &len));
            sum += v;
        }
        CHECK(sum == 28);
        fx_expect_st(f.c[c], INDEXBUS_DISCONNECTED);
    }
    /* again, with nothing left: returns at once */
    CHECK_ST(indexbus_router_run(f.rt, &cfg), INDEXBUS_DISCONNECTED);
    CHECK(cfg.routed == 0);
    fx_teardown(&f);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    test_open();
    test_route_once_args();
    test_results_and_credit();
    test_run_args();
    test_run_stop();
    test_exit_on_disconnect();
    return ib_test_done("router");
}
