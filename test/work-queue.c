/* work-queue.c - fanout work-queue routing: each message to exactly one
 * consumer, round robin, skipping full queues.
 *   unit: three messages go to three different consumers, one slot
 *     reference each;
 *   seed scenario (phase by phase, exact route results);
 *   multi-process: rounds A and B with a router process.
 * "Seed" scenarios came from the seed documents the project started from:
 * each is a scenario written down there, kept as a scripted test that the
 * parent steps phase by phase (mp_script in mp_util.h). */
#include "bad_util.h"
#include "fixture.h"
#include "mp_util.h"

#define CONSUMERS 4u
#define N 40000u   /* mp */
#define SLOTS 256u /* mp */

/* Handed to the helper processes (IB_SHARED: copied when spawned). */
IB_SHARED static const char *g_name;          /* ib_test_name: in ib_shared() memory */
IB_SHARED static mp_ctl *g_ctl;
IB_SHARED static int g_round;                 /* mp: 0 = A, 1 = B */
IB_SHARED static uint8_t (*g_hits)[N];        /* mp: [consumer][seq], ib_shared() */

/* ==== unit =================================================================== */

static void test_work_queue(void)
{
    fx f = fx_setup("rwq", 16, 4);
    indexbus_route_result res = {.size = sizeof res};
    uint64_t seen = 0;
    for (uint32_t i = 0; i < FX_NC; i++) {
        fx_pub_u32(f.p, i);
        CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE,
                                           &res),
                 INDEXBUS_OK);
        CHECK(res.delivered == 1 && __builtin_popcountll(res.delivered_mask) == 1);
        CHECK(res.dropped_full == 0 && res.dropped_no_credit == 0);
        CHECK((seen & res.delivered_mask) == 0); /* round robin: a new consumer each time */
        seen |= res.delivered_mask;
    }
    CHECK(seen == (1u << FX_NC) - 1);
    CHECK(bad_free_slots(f.r) == 16 - FX_NC);
    uint32_t total = 0;
    for (uint32_t i = 0; i < FX_NC; i++) {
        uint32_t v;
        size_t len;
        if (indexbus_try_recv(f.c[i], &v, sizeof v, &len) == INDEXBUS_OK)
            total++;
        fx_expect_st(f.c[i], INDEXBUS_EMPTY);
    }
    CHECK(total == FX_NC);
    CHECK(bad_free_slots(f.r) == 16); /* one reference each */
    fx_teardown(&f);
}

/* ==== seed scenario ========================================================== */

/* Seed scenario (was seed_workqueue.c): work-queue routing delivers each message to exactly one
 * consumer: round robin 0,1,2,3,0,... while every queue has room, skipping
 * full queues (not counted as drops), FULL (message kept) when every queue
 * is full. Processes: an SPSC producer and 4 consumers opening the region by
 * name; the parent routes with route_once_stats and checks every result.
 * Consumer queues hold 8, so:
 *   w0..w31  -> consumers 0,1,2,3,0,... (exact), every queue now full;
 *   w32      -> FULL twice (one stall: route_no_space 1), stays queued;
 *   consumers 0, 2, 3 drain; consumer 1 stays full;
 *   w32..w38 -> 0, 2, 3, 0, 2, 3, 0 (consumer 1 skipped). */
#define QCAP 8u
#define SEED_SLOTS 64u
#define CHILDREN (1 + CONSUMERS) /* role 0 = producer, 1 + i = consumer i */
#define LAST_PHASE 8

static void seed_producer_step(indexbus_producer *p, int k)
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

static void seed_consumer_step(indexbus_consumer *c, indexbus_region *r, int idx, int k)
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
static void seed_child_step(int role, int k)
{
    if (k == 1 && role == 0)
        mp_role_open_producer(INDEXBUS_PRODUCER_SPSC);
    else if (k == 1)
        mp_role_open_consumer((uint32_t)role - 1);
    else if (role == 0 && k == 7)
        mp_role_close_producer();
    else if (role == 0)
        seed_producer_step(mp_role_p, k);
    else
        seed_consumer_step(mp_role_c, mp_child_region, role - 1, k);
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

static void seed_workqueue(void)
{
    static const mp_script script = {CHILDREN, LAST_PHASE, seed_child_step, NULL};
    g_name = ib_test_name("swq");
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, SEED_SLOTS, 64, QCAP, CONSUMERS);
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
    CHECK(info.free_slots == SEED_SLOTS);
    MP_CHECK_CSTATS(r, 0, 11, 0, 0, 0);
    MP_CHECK_CSTATS(r, 1, 8, 0, 0, 0);
    MP_CHECK_CSTATS(r, 2, 10, 0, 0, 0);
    MP_CHECK_CSTATS(r, 3, 10, 0, 0, 0);
    REQUIRE_OK(indexbus_router_close(rt));
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ==== multi-process ========================================================== */

/* Multi-process (was mp_workqueue.c): fanout work-queue across processes: producer process(es),
 * a router process (indexbus_router_run, WORK_QUEUE, EXIT_ON_DISCONNECT) and
 * 4 consumer processes. Each consumer marks what it got in a shared table;
 * the parent checks every message was received exactly once in total, that
 * the per-consumer counts add up to N and match the delivered counters, and
 * that each consumer saw each sender's messages in increasing order.
 *
 * Round A: queue_capacity == slot_count, so no consumer queue can ever be
 * full and round robin is exact: message k goes to consumer k % 4.
 * Round B: small consumer queues (8) and a slow consumer, one SPSC and one
 * MPSC producer: full queues are skipped, still exactly once in total. */
static uint32_t producers(void) { return g_round == 0 ? 1 : 2; }

static int producer(int id)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(
        g_name, id == 0 ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC, &r);
    mp_wait_consumers_ready(&g_ctl->counter[1], CONSUMERS);
    /* no producer may finish before all have attached (router and consumers
     * would see "every producer closed") */
    mp_barrier(&g_ctl->counter[0], producers());
    uint32_t per = N / producers();
    char what[32];
    snprintf(what, sizeof what, "producer %d publish", id);
    if (!mp_publish_recs(p, (uint32_t)id, id * per, (uint32_t)(id + 1) * per, what))
        return 1;
    mp_close_producer(r, p);
    return 0;
}

static int router(int arg)
{
    (void)arg;
    return mp_router_run_to_disconnect(g_name, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE, 0,
                                       N);
}

static int consumer(int index)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)index, &r);
    mp_consumer_ready(&g_ctl->counter[1]);
    char who[32];
    snprintf(who, sizeof who, "consumer %d", index);
    int64_t last[2] = {-1, -1};
    uint64_t got = 0;
    mp_rec rec;
    size_t len;
    int st;
    while ((st = mp_recv_next(c, &rec, sizeof rec, &len, who)) == INDEXBUS_OK) {
        if (len != sizeof rec || rec.sender >= producers() || rec.seq >= N ||
            (int64_t)rec.seq <= last[rec.sender]) {
            fprintf(stderr, "%s: bad record len %zu sender %u seq %u (last %lld)\n", who, len,
                    rec.sender, rec.seq, rec.sender < 2 ? (long long)last[rec.sender] : -1LL);
            return 1;
        }
        last[rec.sender] = rec.seq;
        g_hits[index][rec.seq]++;
        got++;
        if (g_round == 1 && index == 0)
            sched_yield(); /* a slow worker: its small queue fills up */
    }
    if (st != INDEXBUS_DISCONNECTED)
        return 1;
    g_ctl->data[index] = got;
    mp_close_consumer(r, c);
    return 0;
}

static void run_round(int round)
{
    g_round = round;
    g_name = ib_test_name(round == 0 ? "wq-a" : "wq-b");
    g_ctl = mp_ctl_new();
    g_hits = mp_shared(sizeof(uint8_t[CONSUMERS][N]));
    indexbus_region *r =
        mp_create(g_name, INDEXBUS_KIND_FANOUT, SLOTS, 64, round == 0 ? SLOTS : 8, CONSUMERS);
    pid_t pids[CONSUMERS + 3];
    int n = 0;
    for (uint32_t i = 0; i < CONSUMERS; i++)
        pids[n++] = ib_spawn(consumer, (int)i);
    pids[n++] = ib_spawn(router, 0);
    for (uint32_t i = 0; i < producers(); i++)
        pids[n++] = ib_spawn(producer, (int)i);
    if (mp_join_all(pids, n)) {
        fprintf(stderr, "round %c: a child failed\n", 'A' + round);
        ib_test_failures++;
    }

    uint64_t total = 0;
    uint32_t bad = 0;
    for (uint32_t seq = 0; seq < N; seq++) {
        uint32_t sum = 0;
        for (uint32_t i = 0; i < CONSUMERS; i++)
            sum += g_hits[i][seq];
        if (sum != 1 && bad++ < 5)
            fprintf(stderr, "round %c: message %u received %u times\n", 'A' + round, seq, sum);
        /* round A: exact round robin */
        if (round == 0 && g_hits[seq % CONSUMERS][seq] != 1 && bad++ < 5)
            fprintf(stderr, "round A: message %u not at consumer %u\n", seq, seq % CONSUMERS);
    }
    CHECK(bad == 0);
    for (uint32_t i = 0; i < CONSUMERS; i++) {
        indexbus_consumer_stats s = mp_cstats(r, i);
        total += g_ctl->data[i];
        CHECK(s.delivered == g_ctl->data[i]);
        CHECK(s.dropped_full == 0 && s.dropped_no_credit == 0 && s.depth == 0);
        if (round == 0)
            CHECK(g_ctl->data[i] == N / CONSUMERS);
    }
    CHECK(total == N);
    indexbus_info info = mp_info(r);
    CHECK(info.published == N && info.routed == N);
    CHECK(info.free_slots == SLOTS);
    if (round == 0)
        CHECK(info.route_no_space == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    MP_SCRIPT_HELPER,
    IB_HELPER(seed_child_step),
    IB_HELPER(producer),
    IB_HELPER(consumer),
    IB_HELPER(router),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    test_work_queue();
    mp_guard(); /* each part as its own program had: a hang guard only */
    seed_workqueue();
    mp_guard();
    run_round(0);
    run_round(1);
    return ib_test_done("work-queue");
}
