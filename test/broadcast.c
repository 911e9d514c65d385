/* broadcast.c - fanout broadcast: every message to every attached consumer.
 *   unit: a broadcast slot goes back to the pool only once every consumer
 *     is done with it (copy, borrow, batch);
 *   seed scenario (phase by phase, exact route results);
 *   multi-process: steady stream to 4 consumers, and consumer churn.
 * "Seed" scenarios came from the seed documents the project started from:
 * each is a scenario written down there, kept as a scripted test that the
 * parent steps phase by phase (mp_script in mp_util.h). */
#include "bad_util.h"
#include "fixture.h"
#include "mp_util.h"

#define CONSUMERS 4u

/* Handed to the helper processes (IB_SHARED: copied when spawned). */
IB_SHARED static const char *g_name; /* ib_test_name: in ib_shared() memory */
IB_SHARED static mp_ctl *g_ctl;      /* mp: counter[0]: consumers whose open returned */
IB_SHARED static uint32_t g_n;      /* mp: messages in the current part */

/* ==== unit =================================================================== */

/* Broadcast: the slot goes back only after every consumer is done with it. */
static void test_broadcast_refcount(void)
{
    fx f = fx_setup("rref", 8, 8);
    const void *data;
    size_t len, count;
    uint32_t lens[2], buf[2];
    fx_pub_u32(f.p, 77);
    CHECK(bad_free_slots(f.r) == 7);
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);
    CHECK(bad_free_slots(f.r) == 7);
    fx_expect_u32(f.c[0], 77);
    CHECK(bad_free_slots(f.r) == 7);
    REQUIRE_OK(indexbus_recv_begin(f.c[1], &data, &len));
    CHECK(len == 4 && *(const uint32_t *)data == 77);
    CHECK(bad_free_slots(f.r) == 7);
    CHECK_ST(indexbus_recv_batch(f.c[2], buf, sizeof buf, lens, 2, &count), INDEXBUS_OK);
    CHECK(count == 1 && lens[0] == 4 && buf[0] == 77);
    CHECK(bad_free_slots(f.r) == 7); /* consumer 1 still borrows it */
    REQUIRE_OK(indexbus_recv_end(f.c[1]));
    CHECK(bad_free_slots(f.r) == 8);
    fx_teardown(&f);
}

/* ==== seed scenario ========================================================== */

/* Seed scenario (was seed_broadcast.c): broadcast delivers every message to every consumer,
 * from the SPSC and the MPSC source. Processes: an SPSC producer, an MPSC
 * producer and 4 consumers, each opening the region by name; the parent is
 * the router and steps the script phase by phase (mp_ctl), checking every
 * route_once_stats result exactly:
 *   - SOURCE_SPSC / SOURCE_MPSC: routed 1, delivered 4, mask 0xf, no drops;
 *     an empty source gives EMPTY with a zeroed result;
 *   - SOURCE_ANY alternates SPSC, MPSC, ... and falls back to the other
 *     source when one is empty;
 *   - a consumer whose queue is full is skipped (dropped_full, its mask bit)
 *     while the others still get the message; it keeps what it had;
 *   - consumers see everything in order, then DISCONNECTED after the
 *     producers close. */
#define QCAP 8u
#define ALL 0xfull

enum { R_SPSC, R_MPSC, R_C0 }; /* child roles; consumers are R_C0 + i */
#define CHILDREN (2 + CONSUMERS)
#define LAST_PHASE 11

static void seed_producer_step(indexbus_producer *p, int role, int k)
{
    char s[16];
    if (k == 2) {
        MP_PUB(p, role == R_SPSC ? "s0" : "m0", INDEXBUS_OK);
        MP_PUB(p, role == R_SPSC ? "s1" : "m1", INDEXBUS_OK);
    } else if (k == 4) {
        for (int i = 1; i <= (role == R_SPSC ? 3 : 4); i++) {
            snprintf(s, sizeof s, "%c%d", role == R_SPSC ? 'a' : 'b', i);
            MP_PUB(p, s, INDEXBUS_OK);
        }
    } else if (k == 6 && role == R_SPSC) {
        for (int i = 0; i < (int)QCAP; i++)
            MP_PUBF(p, "f%d", i, INDEXBUS_OK);
    } else if (k == 8 && role == R_SPSC) {
        MP_PUB(p, "x", INDEXBUS_OK);
    }
}

static void seed_consumer_step(indexbus_consumer *c, indexbus_region *r, uint32_t idx, int k)
{
    if (k == 3) {
        MP_EXPECT(c, "s0");
        MP_EXPECT(c, "s1");
        MP_EXPECT(c, "m0");
        MP_EXPECT(c, "m1");
        MP_EXPECT_ST(c, INDEXBUS_EMPTY); /* producers still attached */
    } else if (k == 5) {
        static const char *order[] = {"a1", "b1", "a2", "b2", "a3", "b3", "b4"};
        for (int i = 0; i < 7; i++)
            MP_EXPECT(c, order[i]);
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if ((k == 7 && idx != 2) || (k == 9 && idx == 2)) {
        for (int i = 0; i < (int)QCAP; i++)
            MP_EXPECTF(c, "f%d", i);
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if (k == 9) {
        MP_EXPECT(c, "x");
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if (k == 11) {
        MP_WAIT(mp_info(r).producers_live == 0);
        MP_EXPECT_ST(c, INDEXBUS_DISCONNECTED);
    }
}

/* Phase k of child `role` (mp_script): producers close in phase 10,
 * consumers after the last phase. */
static void seed_child_step(int role, int k)
{
    if (k == 1) {
        if (role == R_SPSC || role == R_MPSC)
            mp_role_open_producer(role == R_SPSC ? INDEXBUS_PRODUCER_SPSC
                                                 : INDEXBUS_PRODUCER_MPSC);
        else
            mp_role_open_consumer((uint32_t)(role - R_C0));
    } else if (mp_role_p != NULL) {
        if (k == 10)
            mp_role_close_producer();
        else
            seed_producer_step(mp_role_p, role, k);
    } else if (mp_role_c != NULL) {
        seed_consumer_step(mp_role_c, mp_child_region, (uint32_t)(role - R_C0), k);
        if (k == LAST_PHASE)
            mp_role_close_consumer();
    }
}

static void seed_broadcast(void)
{
    static const mp_script script = {CHILDREN, LAST_PHASE, seed_child_step, NULL};
    g_name = ib_test_name("sbc");
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 64, 64, QCAP, CONSUMERS);
    g_ctl = mp_script_spawn(&script, g_name);
    indexbus_router *rt;
    REQUIRE_OK(indexbus_router_open(r, &rt));

    mp_phase(g_ctl, 1, CHILDREN);
    indexbus_info info = mp_info(r);
    CHECK(info.producers_live == 2 && info.consumers_live == CONSUMERS && info.routers_live == 1);

    /* phase 2: two messages on each source; route each source explicitly */
    mp_phase(g_ctl, 2, CHILDREN);
    CHECK(mp_info(r).spsc_depth == 2 && mp_info(r).mpsc_depth == 2);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, 4, 0, 0, 4);
    /* a slot is shared by all four queues: 4 messages hold 4 slots */
    CHECK(mp_info(r).free_slots == 64 - 4);
    mp_phase(g_ctl, 3, CHILDREN);
    CHECK(mp_info(r).free_slots == 64);

    /* phase 4: 3 on SPSC, 4 on MPSC; SOURCE_ANY alternates, then drains MPSC */
    mp_phase(g_ctl, 4, CHILDREN);
    for (int i = 0; i < 7; i++)
        MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0);
    mp_phase(g_ctl, 5, CHILDREN);

    /* phase 6: fill every consumer queue (QCAP) */
    mp_phase(g_ctl, 6, CHILDREN);
    for (int i = 0; i < (int)QCAP; i++)
        MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, 4 + 7 + QCAP, 0, 0, QCAP);
    /* phase 7: consumers 0, 1, 3 drain; consumer 2 stays full */
    mp_phase(g_ctl, 7, CHILDREN);
    /* phase 8: one more message: consumer 2 is skipped, the others get it */
    mp_phase(g_ctl, 8, CHILDREN);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 0xbull, 0x4ull, 0);
    MP_CHECK_CSTATS(r, 2, 4 + 7 + QCAP, 1, 0, QCAP);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        if (i != 2)
            MP_CHECK_CSTATS(r, i, 4 + 7 + QCAP + 1, 0, 0, 1);
    CHECK(mp_info(r).route_no_space == 0);
    mp_phase(g_ctl, 9, CHILDREN);

    /* phases 10-11: producers close, consumers then see DISCONNECTED */
    mp_phase(g_ctl, 10, CHILDREN);
    mp_phase(g_ctl, 11, CHILDREN);
    if (mp_script_join())
        ib_test_failures++;

    info = mp_info(r);
    CHECK(info.published == 2 + 2 + 7 + QCAP + 1);
    CHECK(info.routed == 2 + 2 + 7 + QCAP + 1);
    CHECK(info.route_no_space == 0);
    CHECK(info.free_slots == 64);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, 4 + 7 + QCAP + (i != 2), i == 2, 0, 0);
    REQUIRE_OK(indexbus_router_close(rt));
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ==== multi-process ========================================================== */

/* Multi-process (was mp_broadcast.c): fanout broadcast across processes: one producer process,
 * one router process (indexbus_router_run, EXIT_ON_DISCONNECT), 4 consumer
 * processes. The producer starts only once all 4 consumers are attached.
 * Every consumer receives every message exactly once, in order, with exact
 * bytes, then DISCONNECTED; the router returns DISCONNECTED having routed
 * all N; the parent checks delivered == N and dropped_full == 0 for each.
 * With queue_capacity == slot_count a consumer queue can never be full (it
 * only holds distinct live slots), so nothing may be dropped.
 * The consumers use the four receive styles: recv, try_recv polling,
 * recv_begin/end and recv_batch.
 *
 * Churn: the router serves attached consumers only, and a closing consumer
 * hands back what it left unread. Consumer 0 reads everything while a
 * process keeps opening and closing consumer 1 (reading a few messages each
 * time) under a running router. Consumer 0 still gets all N in order;
 * consumer 1 only ever sees increasing sequence numbers; and once everybody
 * has closed no slot may stay pinned: every slot is free, queue 1 is empty. */
#define N 50000u
#define CHURN_N 150000u /* churn: enough open/close cycles to hit narrow races */

#define DATA 128u

static size_t msg_len(uint32_t seq) { return seq % 5 == 0 ? DATA : (seq * 13u) % (DATA + 1); }

static int producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_SPSC, &r);
    /* every consumer attached before the first message */
    mp_wait_consumers_ready(&g_ctl->counter[0], CONSUMERS);
    /* a parked router acks the new consumers when woken, a moment after
     * their open returned (routing to them is already certain then) */
    MP_WAIT(mp_consumers_attached(r, CONSUMERS));
    CHECK(mp_info(r).consumers_live == CONSUMERS);
    uint8_t msg[DATA];
    for (uint32_t seq = 0; seq < N; seq++) {
        mp_fill(msg, 2, seq, msg_len(seq));
        if (!mp_publish_ok(p, msg, msg_len(seq), "publish", seq))
            return 1;
    }
    mp_close_producer(r, p);
    return 0;
}

static int router(int arg)
{
    (void)arg;
    return mp_router_run_to_disconnect(g_name, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, 0,
                                       g_n);
}

/* One receive in the consumer's style; returns the status. */
static int recv_one(indexbus_consumer *c, int style, uint8_t *buf, size_t *len)
{
    switch (style) {
    case 0:
        return indexbus_recv(c, buf, DATA, len, MP_HANG_NS);
    case 1: {
        uint64_t deadline = mp_now_ns() + MP_HANG_NS;
        for (;;) {
            int st = indexbus_try_recv(c, buf, DATA, len);
            if (st != INDEXBUS_EMPTY || mp_now_ns() > deadline)
                return st;
            sched_yield();
        }
    }
    default: {
        const void *data;
        int st = indexbus_wait(c, MP_HANG_NS);
        if (st != INDEXBUS_OK)
            return st;
        st = indexbus_recv_begin(c, &data, len);
        if (st != INDEXBUS_OK)
            return st;
        memcpy(buf, data, *len);
        return indexbus_recv_end(c);
    }
    }
}

static int consumer(int index)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)index, &r);
    mp_consumer_ready(&g_ctl->counter[0]);
    uint8_t buf[16 * DATA];
    uint32_t seq = 0;
    while (seq < N) {
        if (index == 3) { /* batch style */
            uint32_t lens[16];
            size_t count = 0, off = 0;
            int st = indexbus_wait(c, MP_HANG_NS);
            if (st != INDEXBUS_OK) {
                fprintf(stderr, "consumer %d wait at %u: %s\n", index, seq,
                        indexbus_status_name(st));
                return 1;
            }
            REQUIRE_OK(indexbus_recv_batch(c, buf, sizeof buf, lens, 16, &count));
            for (size_t i = 0; i < count; i++, seq++) {
                if (seq >= N || !mp_check_fill(buf + off, lens[i], 2, seq, msg_len(seq))) {
                    fprintf(stderr, "consumer %d: bad message at %u\n", index, seq);
                    return 1;
                }
                off += lens[i];
            }
            continue;
        }
        size_t len = 0;
        int st = recv_one(c, index, buf, &len);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "consumer %d recv at %u: %s\n", index, seq, indexbus_status_name(st));
            return 1;
        }
        if (!mp_check_fill(buf, len, 2, seq, msg_len(seq))) {
            fprintf(stderr, "consumer %d: bad message at %u\n", index, seq);
            return 1;
        }
        seq++;
    }
    size_t len;
    CHECK_ST(indexbus_recv(c, buf, DATA, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    mp_close_consumer(r, c);
    return 0;
}

/* ---- churn ------------------------------------------------------------------ */

static int churn_producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_SPSC, &r);
    mp_wait_consumers_ready(&g_ctl->counter[0], 1); /* consumer 0 */
    for (uint32_t seq = 0; seq < g_n; seq++) {
        mp_rec rec = {.sender = 0, .seq = seq};
        REQUIRE_OK(mp_publish(p, &rec, sizeof rec));
    }
    mp_close_producer(r, p);
    return 0;
}

static int churn_consumer(int index)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_consumer *c = NULL;
    int64_t last = -1;
    uint32_t leftovers = 0;
    uint64_t deadline = mp_now_ns() + MP_HANG_NS;
    for (uint32_t cycle = 0;; cycle++) {
        int st = INDEXBUS_OK;
        if (c == NULL) {
            REQUIRE_OK(indexbus_consumer_open(r, (uint32_t)index, &c));
            if (index == 0)
                mp_consumer_ready(&g_ctl->counter[0]);
        }
        /* consumer 0 reads everything with recv; consumer 1 a few, then leaves */
        for (uint32_t k = 0; index == 0 || k < cycle % 7; k++) {
            mp_rec rec;
            size_t len = 0;
            st = index == 0 ? indexbus_recv(c, &rec, sizeof rec, &len, MP_HANG_NS)
                            : indexbus_try_recv(c, &rec, sizeof rec, &len);
            if (st != INDEXBUS_OK)
                break;
            int ok = len == sizeof rec && (index == 0 ? (int64_t)rec.seq == last + 1
                                                      : (int64_t)rec.seq > last);
            if (!ok) {
                fprintf(stderr, "churn consumer %d: seq %u after %lld\n", index, rec.seq,
                        (long long)last);
                return 1;
            }
            last = rec.seq;
        }
        if (index == 1 || st == INDEXBUS_DISCONNECTED) {
            REQUIRE_OK(indexbus_consumer_close(c));
            c = NULL;
        }
        if (index == 1) {
            /* closed: nothing may land in queue 1 any more. Let any route
             * that was in flight finish (routed moves on, or the sources are
             * empty - a route takes its message off the source last). */
            uint64_t routed0 = mp_info(r).routed;
            MP_WAIT(mp_info(r).routed > routed0 ||
                    (mp_info(r).spsc_depth == 0 && mp_info(r).mpsc_depth == 0));
            uint64_t left = mp_cstats(r, 1).depth;
            if (left != 0 && leftovers++ < 3)
                fprintf(stderr, "churn: %llu message(s) routed into consumer 1's queue after "
                                "it closed (cycle %u)\n",
                        (unsigned long long)left, cycle);
        }
        if (st == INDEXBUS_DISCONNECTED)
            break;
        if (st != INDEXBUS_OK && st != INDEXBUS_EMPTY) {
            fprintf(stderr, "churn consumer %d: %s\n", index, indexbus_status_name(st));
            return 1;
        }
        REQUIRE(mp_now_ns() < deadline);
    }
    if (index == 0)
        CHECK(last == (int64_t)g_n - 1);
    CHECK(leftovers == 0);
    indexbus_region_close(r);
    return 0;
}

static void run_churn(void)
{
    g_n = CHURN_N;
    g_name = ib_test_name("bcast-churn");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 256, DATA, 0, 2);
    pid_t pids[4] = {ib_spawn(churn_consumer, 0), ib_spawn(churn_consumer, 1),
                     ib_spawn(router, 0), ib_spawn(churn_producer, 0)};
    if (mp_join_all(pids, 4))
        ib_test_failures++;
    indexbus_info info = mp_info(r);
    CHECK(info.published == g_n && info.routed == g_n);
    if (info.free_slots != 256 || mp_cstats(r, 1).depth != 0) {
        fprintf(stderr, "churn: %u of 256 slots free, %llu messages left in queue 1 after "
                        "everyone closed\n",
                info.free_slots, (unsigned long long)mp_cstats(r, 1).depth);
        ib_test_failures++;
    }
    MP_CHECK_CSTATS(r, 0, g_n, 0, 0, 0);
    CHECK(info.consumers_live == 0 && info.participants_live == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static void run_steady(void)
{
    g_n = N;
    g_name = ib_test_name("bcast");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 256, DATA, 0, CONSUMERS);
    pid_t pids[CONSUMERS + 2];
    for (uint32_t i = 0; i < CONSUMERS; i++)
        pids[i] = ib_spawn(consumer, (int)i);
    pids[CONSUMERS] = ib_spawn(router, 0);
    pids[CONSUMERS + 1] = ib_spawn(producer, 0);
    if (mp_join_all(pids, CONSUMERS + 2))
        ib_test_failures++;

    for (uint32_t i = 0; i < CONSUMERS; i++) {
        indexbus_consumer_stats s = mp_cstats(r, i);
        if (s.delivered != N || s.dropped_full != 0 || s.dropped_no_credit != 0 || s.depth != 0 ||
            s.attached != 0) {
            fprintf(stderr, "consumer %u: delivered %llu dropped_full %llu no_credit %llu depth %llu\n",
                    i, (unsigned long long)s.delivered, (unsigned long long)s.dropped_full,
                    (unsigned long long)s.dropped_no_credit, (unsigned long long)s.depth);
            ib_test_failures++;
        }
    }
    indexbus_info info = mp_info(r);
    CHECK(info.published == N);
    CHECK(info.routed == N);
    CHECK(info.route_no_space == 0); /* no consumer queue can fill (see top) */
    CHECK(info.free_slots == 256);
    CHECK(info.producers_live == 0 && info.consumers_live == 0 && info.routers_live == 0);
    CHECK(info.participants_live == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    MP_SCRIPT_HELPER,
    IB_HELPER(seed_child_step),
    IB_HELPER(producer),
    IB_HELPER(consumer),
    IB_HELPER(router),
    IB_HELPER(churn_producer),
    IB_HELPER(churn_consumer),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    test_broadcast_refcount();
    mp_guard(); /* each part as its own program had: a hang guard only */
    seed_broadcast();
    mp_guard();
    run_steady();
    run_churn();
    return ib_test_done("broadcast");
}
