/* backpressure.c - back-pressure gives FULL, and the same call succeeds
 * after a drain. Every party is its own process, stepped phase by phase.
 *  P1 events, pool exhausted (8 slots): publish / claim / publish_batch say
 *     FULL for SPSC and MPSC producers until the consumer frees a slot; the
 *     consumer then gets everything in alternating SPSC/MPSC order.
 *  P2 events, queue (4) smaller than the pool (16): SPSC FULL at claim time;
 *     MPSC publish FULL gives its slot back; an MPSC claim whose commit says
 *     FULL stays pending (claim again = BAD_STATE) and commits after a drain.
 *  P3 fanout producer side, router not running: both producer queues fill
 *     (FULL, nothing leaked), one route each frees room (two consumers are
 *     attached but never read).
 *  P4 router side: every consumer queue full -> route_once FULL, message kept
 *     upstream, route_no_space counts the stall once however many steps
 *     find it; after one consumer drains, broadcast
 *     delivers to it and skips the full one (dropped_full); work-queue FULL,
 *     then goes to the consumer that drained.
 *  P5 credit: indexbus_route_once_credit with eligible / no_credit / full
 *     masks gives exact result masks and per-consumer counters.
 *
 * Seed scenario (was seed_backpressure.c).
 * "Seed" scenarios came from the seed documents the project started from:
 * each is a scenario written down there, kept as a scripted test.
 */
#include "mp_util.h"

/* publish, publish_batch (2 messages) and claim must all say FULL. */
static void expect_full(int line)
{
    void *buf;
    size_t cap, sent = 99;
    uint32_t lens[2] = {1, 1};
    int st[3] = {indexbus_publish(mp_role_p, "z", 1),
                 indexbus_publish_batch(mp_role_p, "zz", lens, 2, &sent),
                 indexbus_claim(mp_role_p, &buf, &cap)};
    for (int i = 0; i < 3; i++)
        if (st[i] != INDEXBUS_FULL) {
            fprintf(stderr, "line %d: publish call %d = %s, want FULL\n", line, i,
                    indexbus_status_name(st[i]));
            ib_test_failures++;
        }
    CHECK(sent == 0);
}

/* ---- P1: events, pool exhausted ------------------------------------------ */
enum { P1_SPSC, P1_MPSC, P1_C };

static void p1_step(int role, int k)
{
    switch (k * 10 + role) {
    case 10 + P1_SPSC: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 10 + P1_MPSC: mp_role_open_producer(INDEXBUS_PRODUCER_MPSC); break;
    case 10 + P1_C: mp_role_open_consumer(0); break;
    case 20 + P1_SPSC:
        for (int i = 0; i < 5; i++)
            MP_PUBF(mp_role_p, "p%d", i, INDEXBUS_OK);
        break;
    case 30 + P1_MPSC:
        for (int i = 0; i < 3; i++)
            MP_PUBF(mp_role_p, "q%d", i, INDEXBUS_OK);
        expect_full(__LINE__); /* all 8 slots in use */
        break;
    case 40 + P1_SPSC: expect_full(__LINE__); break;
    case 50 + P1_C: MP_EXPECTF(mp_role_c, "p%d", 0); break; /* frees one slot */
    case 60 + P1_SPSC:
        MP_PUBF(mp_role_p, "p%d", 5, INDEXBUS_OK);
        expect_full(__LINE__);
        break;
    case 70 + P1_MPSC: expect_full(__LINE__); break;
    case 80 + P1_C: {
        /* alternating, starting with MPSC (p0 came from SPSC) */
        static const char *order[] = {"q0", "p1", "q1", "p2", "q2", "p3", "p4", "p5"};
        for (int i = 0; i < 8; i++)
            MP_EXPECT(mp_role_c, order[i]);
        MP_EXPECT_ST(mp_role_c, INDEXBUS_EMPTY);
        break;
    }
    case 90 + P1_SPSC:
    case 90 + P1_MPSC: mp_role_close_all(); break;
    case 100 + P1_C:
        MP_EXPECT_ST(mp_role_c, INDEXBUS_DISCONNECTED);
        mp_role_close_all();
        break;
    }
}

static void p1_parent(indexbus_region *r, int k)
{
    if (k == 4)
        CHECK(mp_info(r).free_slots == 0 && mp_info(r).published == 8);
    if (k == 10)
        CHECK(mp_info(r).free_slots == 8 && mp_info(r).published == 9);
}

/* ---- P2: events, queue smaller than the pool ---------------------------- */
enum { P2_SPSC, P2_MPSC, P2_C };

static void p2_step(int role, int k)
{
    void *buf, *buf2;
    size_t cap;
    switch (k * 10 + role) {
    case 10 + P2_SPSC: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 10 + P2_MPSC: mp_role_open_producer(INDEXBUS_PRODUCER_MPSC); break;
    case 10 + P2_C: mp_role_open_consumer(0); break;
    case 20 + P2_SPSC:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "s%d", i, INDEXBUS_OK);
        expect_full(__LINE__); /* SPSC queue full, pool has 12 */
        break;
    case 30 + P2_MPSC:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "m%d", i, INDEXBUS_OK);
        MP_PUB(mp_role_p, "m4", INDEXBUS_FULL); /* MPSC queue full: slot given back */
        CHECK_ST(indexbus_claim(mp_role_p, &buf, &cap), INDEXBUS_OK); /* a slot is free */
        memcpy(buf, "m4", 2);
        CHECK_ST(indexbus_commit(mp_role_p, 2), INDEXBUS_FULL);        /* queue full: claim kept */
        CHECK_ST(indexbus_claim(mp_role_p, &buf2, &cap), INDEXBUS_BAD_STATE);
        break;
    case 40 + P2_C:
        MP_EXPECTF(mp_role_c, "s%d", 0);
        MP_EXPECTF(mp_role_c, "m%d", 0);
        break;
    case 50 + P2_MPSC: CHECK_ST(indexbus_commit(mp_role_p, 2), INDEXBUS_OK); break;
    case 50 + P2_SPSC: MP_PUBF(mp_role_p, "s%d", 4, INDEXBUS_OK); break;
    case 60 + P2_C:
        for (int i = 1; i <= 4; i++) {
            MP_EXPECTF(mp_role_c, "s%d", i);
            MP_EXPECTF(mp_role_c, "m%d", i);
        }
        MP_EXPECT_ST(mp_role_c, INDEXBUS_EMPTY);
        break;
    case 70 + P2_SPSC:
    case 70 + P2_MPSC: mp_role_close_all(); break;
    case 80 + P2_C:
        MP_EXPECT_ST(mp_role_c, INDEXBUS_DISCONNECTED);
        mp_role_close_all();
        break;
    }
}

static void p2_parent(indexbus_region *r, int k)
{
    if (k == 2)
        CHECK(mp_info(r).free_slots == 12 && mp_info(r).spsc_depth == 4);
    if (k == 3) /* 8 queued + 1 claimed; the failed publish leaked nothing */
        CHECK(mp_info(r).free_slots == 7 && mp_info(r).mpsc_depth == 4);
    if (k == 8) {
        indexbus_info info = mp_info(r);
        CHECK(info.free_slots == 16 && info.published == 10);
    }
}

/* ---- P3: fanout producer side, router not running ------------------------ */
enum { P3_SPSC, P3_MPSC, P3_R, P3_C0, P3_C1 };

static void p3_step(int role, int k)
{
    void *buf;
    size_t cap;
    switch (k * 10 + role) {
    case 10 + P3_SPSC: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 10 + P3_MPSC: mp_role_open_producer(INDEXBUS_PRODUCER_MPSC); break;
    case 10 + P3_R: mp_role_open_router(); break;
    case 10 + P3_C0: mp_role_open_consumer(0); break; /* attached but not reading */
    case 10 + P3_C1: mp_role_open_consumer(1); break;
    case 20 + P3_SPSC:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "a%d", i, INDEXBUS_OK);
        expect_full(__LINE__);
        break;
    case 20 + P3_MPSC:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "b%d", i, INDEXBUS_OK);
        MP_PUB(mp_role_p, "b4", INDEXBUS_FULL);
        /* MPSC claim takes a pool slot; the commit finds the queue full */
        CHECK_ST(indexbus_claim(mp_role_p, &buf, &cap), INDEXBUS_OK);
        CHECK_ST(indexbus_commit(mp_role_p, 0), INDEXBUS_FULL);
        CHECK_ST(indexbus_abort(mp_role_p), INDEXBUS_OK);
        break;
    case 30 + P3_R:
        CHECK_ST(indexbus_route_once(mp_role_rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_OK);
        CHECK_ST(indexbus_route_once(mp_role_rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_OK);
        break;
    case 40 + P3_SPSC:
        MP_PUBF(mp_role_p, "a%d", 4, INDEXBUS_OK);
        expect_full(__LINE__);
        break;
    case 40 + P3_MPSC:
        MP_PUBF(mp_role_p, "b%d", 4, INDEXBUS_OK);
        MP_PUB(mp_role_p, "b5", INDEXBUS_FULL);
        break;
    case 50 + P3_SPSC:
    case 50 + P3_MPSC:
    case 50 + P3_R:
    case 50 + P3_C0:
    case 50 + P3_C1: mp_role_close_all(); break;
    }
}

static void p3_parent(indexbus_region *r, int k)
{
    indexbus_info info = mp_info(r);
    if (k == 2)
        CHECK(info.spsc_depth == 4 && info.mpsc_depth == 4 && info.free_slots == 8 &&
              info.published == 8);
    if (k == 4)
        CHECK(info.spsc_depth == 4 && info.mpsc_depth == 4 && info.free_slots == 6 &&
              info.published == 10 && info.routed == 2);
    if (k == 5) /* the consumers' unread a0, b0 went back with them; 8 wait upstream */
        CHECK(info.free_slots == 8 && info.spsc_depth == 4 && info.mpsc_depth == 4);
}

/* ---- P4: router side ----------------------------------------------------- */
enum { P4_P, P4_R, P4_C0, P4_C1 };

static void p4_step(int role, int k)
{
    indexbus_route_result res = {.size = sizeof res};
    switch (k * 10 + role) {
    case 10 + P4_P: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 10 + P4_R: mp_role_open_router(); break;
    case 10 + P4_C0: mp_role_open_consumer(0); break;
    case 10 + P4_C1: mp_role_open_consumer(1); break;
    case 20 + P4_P:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "x%d", i, INDEXBUS_OK);
        break;
    case 30 + P4_R:
        for (int i = 0; i < 4; i++)
            MP_ROUTE(mp_role_rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 0x3,
                     0, 0);
        break;
    case 40 + P4_P: MP_PUBF(mp_role_p, "x%d", 4, INDEXBUS_OK); break;
    case 50 + P4_R: /* both queues full: FULL, x4 stays upstream; one stall */
        MP_ROUTE(mp_role_rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_FULL, 0, 0,
                 0);
        CHECK_ST(indexbus_route_once(mp_role_rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_FULL);
        CHECK_ST(indexbus_route_once_credit(mp_role_rt, INDEXBUS_SOURCE_ANY,
                                            INDEXBUS_MODE_WORK_QUEUE, ~0ull, 0, 0, &res),
                 INDEXBUS_FULL);
        CHECK(res.routed == 0 && res.delivered == 0);
        break;
    case 60 + P4_C0: MP_EXPECTF(mp_role_c, "x%d", 0); break;
    case 70 + P4_R: /* broadcast: consumer 0 has room, consumer 1 is skipped */
        MP_ROUTE(mp_role_rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 0x1, 0x2,
                 0);
        break;
    case 80 + P4_P: MP_PUBF(mp_role_p, "x%d", 5, INDEXBUS_OK); break;
    case 90 + P4_R:
        MP_ROUTE(mp_role_rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_WORK_QUEUE, INDEXBUS_FULL, 0, 0,
                 0);
        break;
    case 100 + P4_C1: MP_EXPECTF(mp_role_c, "x%d", 0); break;
    case 110 + P4_R: /* work-queue: goes to the one with room, no drops */
        MP_ROUTE(mp_role_rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_WORK_QUEUE, INDEXBUS_OK, 0x2, 0,
                 0);
        break;
    case 120 + P4_C0:
        for (int i = 1; i <= 4; i++)
            MP_EXPECTF(mp_role_c, "x%d", i);
        MP_EXPECT_ST(mp_role_c, INDEXBUS_EMPTY);
        break;
    case 120 + P4_C1:
        for (int i = 1; i <= 3; i++)
            MP_EXPECTF(mp_role_c, "x%d", i);
        MP_EXPECTF(mp_role_c, "x%d", 5); /* x4 was dropped for it (queue full) */
        MP_EXPECT_ST(mp_role_c, INDEXBUS_EMPTY);
        break;
    case 130 + P4_P:
    case 130 + P4_R: mp_role_close_all(); break;
    case 140 + P4_C0:
    case 140 + P4_C1:
        MP_EXPECT_ST(mp_role_c, INDEXBUS_DISCONNECTED);
        mp_role_close_all();
        break;
    }
}

static void p4_parent(indexbus_region *r, int k)
{
    indexbus_info info = mp_info(r);
    if (k == 5) {
        CHECK(info.route_no_space == 1 && info.spsc_depth == 1 && info.routed == 4); /* one stall */
        MP_CHECK_CSTATS(r, 0, 4, 0, 0, 4);
        MP_CHECK_CSTATS(r, 1, 4, 0, 0, 4);
    }
    if (k == 7) {
        CHECK(info.route_no_space == 1 && info.spsc_depth == 0 && info.routed == 5);
        MP_CHECK_CSTATS(r, 0, 5, 0, 0, 4);
        MP_CHECK_CSTATS(r, 1, 4, 1, 0, 4);
    }
    if (k == 9)
        CHECK(info.route_no_space == 2 && info.spsc_depth == 1); /* a new stall */
    if (k == 14) {
        CHECK(info.routed == 6 && info.route_no_space == 2 && info.free_slots == 16);
        MP_CHECK_CSTATS(r, 0, 5, 0, 0, 0);
        MP_CHECK_CSTATS(r, 1, 5, 1, 0, 0);
    }
}

/* ---- P5: credit masks --------------------------------------------------- */
enum { P5_P, P5_R, P5_C0 }; /* consumers P5_C0 + i, i < 4 */

#define CREDIT(mode, elig, nocred, full, want_st, dmask, fmask, ncmask)                      \
    do {                                                                                    \
        indexbus_route_result res_ = {.size = sizeof res_};                                 \
        int st_ = indexbus_route_once_credit(mp_role_rt, INDEXBUS_SOURCE_ANY, (mode), (elig), \
                                             (nocred), (full), &res_);                      \
        mp_check_route_(st_, &res_, (want_st), (dmask), (fmask), (ncmask), __FILE__, __LINE__); \
    } while (0)

static void p5_step(int role, int k)
{
    const uint32_t B = INDEXBUS_MODE_BROADCAST, W = INDEXBUS_MODE_WORK_QUEUE;
    if (k == 1) {
        if (role == P5_P)
            mp_role_open_producer(INDEXBUS_PRODUCER_MPSC);
        else if (role == P5_R)
            mp_role_open_router();
        else
            mp_role_open_consumer((uint32_t)(role - P5_C0));
        return;
    }
    switch (k * 10 + (role > P5_C0 ? P5_C0 : role)) {
    case 20 + P5_P:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "k%d", i, INDEXBUS_OK);
        break;
    case 30 + P5_R:
        /* k0: 2 not eligible, 0 no credit, 1 said full: only 3 gets it */
        CREDIT(B, 0xb, 0x1, 0x2, INDEXBUS_OK, 0x8, 0x2, 0x5);
        /* k1: everyone */
        CREDIT(B, 0xf, 0, 0, INDEXBUS_OK, 0xf, 0, 0);
        /* k2: no candidate at all, three ways: FULL, stays queued, nothing counted */
        CREDIT(B, 0x0, 0, 0, INDEXBUS_FULL, 0, 0, 0);
        CREDIT(B, 0xf, 0xf, 0, INDEXBUS_FULL, 0, 0, 0);
        CREDIT(B, 0xf, 0, 0xf, INDEXBUS_FULL, 0, 0, 0);
        /* k2: 0 and 3 not eligible, 2 no credit: only 1 */
        CREDIT(B, 0x6, 0x4, 0, INDEXBUS_OK, 0x2, 0, 0xd);
        /* k3: work queue among 2, 3 from round robin position 0: 2; no drops */
        CREDIT(W, 0xc, 0, 0, INDEXBUS_OK, 0x4, 0, 0);
        break;
    case 40 + P5_P:
        for (int i = 4; i < 8; i++)
            MP_PUBF(mp_role_p, "k%d", i, INDEXBUS_OK);
        break;
    case 50 + P5_R:
        /* k4: work queue, 3 has no credit, position 3 wraps to 0 */
        CREDIT(W, 0xf, 0x8, 0, INDEXBUS_OK, 0x1, 0, 0);
        /* k5, k6: only 0 eligible; fills its queue (4) */
        CREDIT(B, 0x1, 0, 0, INDEXBUS_OK, 0x1, 0, 0xe);
        CREDIT(B, 0x1, 0, 0, INDEXBUS_OK, 0x1, 0, 0xe);
        /* k7: 1 no credit, 0 really full */
        CREDIT(B, 0xf, 0x2, 0, INDEXBUS_OK, 0xc, 0x1, 0x2);
        break;
    case 60 + P5_C0: {
        static const int got[4][5] = {{4, 1, 4, 5, 6}, {2, 1, 2}, {3, 1, 3, 7}, {3, 0, 1, 7}};
        int i = role - P5_C0;
        for (int j = 1; j <= got[i][0]; j++)
            MP_EXPECTF(mp_role_c, "k%d", got[i][j]);
        MP_EXPECT_ST(mp_role_c, INDEXBUS_EMPTY);
        break;
    }
    case 70 + P5_P:
    case 70 + P5_R: mp_role_close_all(); break;
    case 80 + P5_C0:
        MP_EXPECT_ST(mp_role_c, INDEXBUS_DISCONNECTED);
        mp_role_close_all();
        break;
    }
}

static void p5_parent(indexbus_region *r, int k)
{
    if (k == 3) {
        indexbus_info info = mp_info(r);
        CHECK(info.routed == 4 && info.route_no_space == 1 && info.mpsc_depth == 0);
    }
    if (k == 5) {
        /* delivered, dropped_full, dropped_no_credit, depth */
        MP_CHECK_CSTATS(r, 0, 4, 1, 2, 4);
        MP_CHECK_CSTATS(r, 1, 2, 1, 3, 2);
        MP_CHECK_CSTATS(r, 2, 3, 0, 4, 3);
        MP_CHECK_CSTATS(r, 3, 3, 0, 3, 3);
        indexbus_info info = mp_info(r);
        CHECK(info.routed == 8 && info.route_no_space == 1);
    }
    if (k == 8)
        CHECK(mp_info(r).free_slots == 64);
}

static const ib_helper helpers[] = {
    MP_SCRIPT_HELPER,
    IB_HELPER(p1_step),
    IB_HELPER(p2_step),
    IB_HELPER(p3_step),
    IB_HELPER(p4_step),
    IB_HELPER(p5_step),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    static const mp_script p1 = {3, 10, p1_step, p1_parent};
    static const mp_script p2 = {3, 8, p2_step, p2_parent};
    static const mp_script p3 = {5, 5, p3_step, p3_parent};
    static const mp_script p4 = {4, 14, p4_step, p4_parent};
    static const mp_script p5 = {6, 8, p5_step, p5_parent};
    mp_script_run_new_region(&p1, "bp-1", INDEXBUS_KIND_EVENTS, 8, 64, 8, 0);
    mp_script_run_new_region(&p2, "bp-2", INDEXBUS_KIND_EVENTS, 16, 64, 4, 0);
    mp_script_run_new_region(&p3, "bp-3", INDEXBUS_KIND_FANOUT, 16, 64, 4, 2);
    mp_script_run_new_region(&p4, "bp-4", INDEXBUS_KIND_FANOUT, 16, 64, 4, 2);
    mp_script_run_new_region(&p5, "bp-5", INDEXBUS_KIND_FANOUT, 64, 64, 4, 4);
    return ib_test_done("backpressure");
}
