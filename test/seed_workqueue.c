/* seed_workqueue.c - work-queue routing delivers each message to exactly one
 * consumer: round robin 0,1,2,3,0,... while every queue has room, skipping
 * full queues (not counted as drops), FULL (message kept) when every queue
 * is full. Processes: an SPSC producer and 4 consumers opening the region by
 * name; the parent routes with route_once_stats and checks every result.
 * Consumer queues hold 8, so:
 *   w0..w31  -> consumers 0,1,2,3,0,... (exact), every queue now full;
 *   w32      -> FULL twice (one stall: route_no_space 1), stays queued;
 *   consumers 0, 2, 3 drain; consumer 1 stays full;
 *   w32..w38 -> 0, 2, 3, 0, 2, 3, 0 (consumer 1 skipped). */
#include "mp_util.h"

#define CONSUMERS 4u
#define QCAP 8u
#define SLOTS 64u
#define CHILDREN (1 + CONSUMERS) /* role 0 = producer, 1 + i = consumer i */
#define LAST_PHASE 8

static const char *g_name;
static mp_ctl *g_ctl;

static void producer_step(indexbus_producer *p, int k)
{
    int from = 0, to = 0;
    if (k == 2)
        from = 0, to = 32;
    else if (k == 3)
        from = 32, to = 33;
    else if (k == 5)
        from = 33, to = 39;
    for (int i = from; i < to; i++) {
        char s[16];
        snprintf(s, sizeof s, "w%d", i);
        /* SPSC queue holds 8: the router drains it concurrently in phase 2 */
        CHECK_ST(mp_publish(p, s, strlen(s)), INDEXBUS_OK);
    }
}

static void consumer_step(indexbus_consumer *c, indexbus_region *r, int idx, int k)
{
    /* phase 6: what each queue holds, count first */
    static const int rest[CONSUMERS][9] = {
        {3, 32, 35, 38}, {8, 1, 5, 9, 13, 17, 21, 25, 29}, {2, 33, 36}, {2, 34, 37}};
    if (k == 4 && idx != 1) {
        for (int i = idx; i < 32; i += 4)
            MP_EXPECTF(c, "w%d", i);
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if (k == 6) {
        for (int i = 1; i <= rest[idx][0]; i++)
            MP_EXPECTF(c, "w%d", rest[idx][i]);
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if (k == 8) {
        MP_WAIT(mp_info(r).producers_live == 0);
        MP_EXPECT_ST(c, INDEXBUS_DISCONNECTED);
    }
}

/* Phase k of child `role` (mp_script): the producer closes in phase 7, the
 * consumers after the last phase. */
static void child_step(int role, int k)
{
    if (k == 1 && role == 0)
        mp_role_open_producer(INDEXBUS_PRODUCER_SPSC);
    else if (k == 1)
        mp_role_open_consumer((uint32_t)role - 1);
    else if (role == 0 && k == 7)
        mp_role_close_producer();
    else if (role == 0)
        producer_step(mp_role_p, k);
    else
        consumer_step(mp_role_c, mp_child_region, role - 1, k);
    if (role != 0 && k == LAST_PHASE)
        mp_role_close_consumer();
}

/* Route one message (retrying while the source is still EMPTY) and check it
 * went to exactly `to`. */
static void route_to(indexbus_router *rt, uint32_t to, int line)
{
    indexbus_route_result res = {.size = sizeof res};
    int st;
    uint64_t deadline = mp_now_ns() + MP_HANG_NS;
    while ((st = indexbus_route_once_stats(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_WORK_QUEUE,
                                           &res)) == INDEXBUS_EMPTY) {
        REQUIRE(mp_now_ns() < deadline);
        sched_yield();
    }
    mp_check_route_(st, &res, INDEXBUS_OK, 1ull << to, 0, 0, __FILE__, line);
}

int main(void)
{
    mp_guard();
    static const mp_script script = {CHILDREN, LAST_PHASE, child_step, NULL};
    g_name = ib_test_name("swq");
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, SLOTS, 64, QCAP, CONSUMERS);
    g_ctl = mp_script_spawn(&script, g_name);
    indexbus_router *rt;
    REQUIRE_OK(indexbus_router_open(r, &rt));
    mp_phase(g_ctl, 1, CHILDREN);

    /* phase 2: strict round robin while all have room, until all are full */
    mp_phase_start(g_ctl, 2);
    for (uint32_t k = 0; k < 32; k++)
        route_to(rt, k % CONSUMERS, __LINE__);
    mp_phase_wait(g_ctl, 2, CHILDREN);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_WORK_QUEUE, INDEXBUS_EMPTY, 0, 0, 0);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, QCAP, 0, 0, QCAP);

    /* phase 3: every queue full: FULL, the message stays queued */
    mp_phase(g_ctl, 3, CHILDREN);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_WORK_QUEUE, INDEXBUS_FULL, 0, 0, 0);
    CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE), INDEXBUS_FULL);
    indexbus_info info = mp_info(r);
    CHECK(info.route_no_space == 1 && info.routed == 32 && info.spsc_depth == 1); /* one stall */

    /* phase 4: consumers 0, 2, 3 drain; consumer 1 stays full and is skipped */
    mp_phase(g_ctl, 4, CHILDREN);
    route_to(rt, 0, __LINE__); /* w32: round robin resumes at 0 */
    mp_phase_start(g_ctl, 5);  /* w33..w38 */
    static const uint32_t picks[] = {2, 3, 0, 2, 3, 0};
    for (int i = 0; i < 6; i++)
        route_to(rt, picks[i], __LINE__);
    mp_phase_wait(g_ctl, 5, CHILDREN);
    MP_CHECK_CSTATS(r, 1, QCAP, 0, 0, QCAP); /* skipping is not a drop */

    mp_phase(g_ctl, 6, CHILDREN);
    mp_phase(g_ctl, 7, CHILDREN);
    mp_phase(g_ctl, 8, CHILDREN);
    if (mp_script_join())
        ib_test_failures++;

    info = mp_info(r);
    CHECK(info.published == 39 && info.routed == 39 && info.route_no_space == 1);
    CHECK(info.free_slots == SLOTS);
    MP_CHECK_CSTATS(r, 0, 11, 0, 0, 0);
    MP_CHECK_CSTATS(r, 1, 8, 0, 0, 0);
    MP_CHECK_CSTATS(r, 2, 10, 0, 0, 0);
    MP_CHECK_CSTATS(r, 3, 10, 0, 0, 0);
    REQUIRE_OK(indexbus_router_close(rt));
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
    return ib_test_done("seed_workqueue");
}
