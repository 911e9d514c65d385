/* disconnect.c - disconnect in both directions, every party its own
 * process, stepped phase by phase (mp_script):
 *  E1 events, consumer side: a consumer attached before any producer ever
 *     attached sees EMPTY / TIMEOUT, not DISCONNECTED; with one of two
 *     producers closed it still gets everything and then EMPTY; once both
 *     have closed it first gets the remaining message, then DISCONNECTED from
 *     every receive call.
 *  E2 events, producer side: publishing before any consumer attached works;
 *     once the consumer that attached has closed, publish, claim and
 *     publish_batch say DISCONNECTED (SPSC and MPSC producers).
 *  F1 fanout: consumers attached before any producer see EMPTY; the producer
 *     publishes 3 and closes with no router running: consumers see EMPTY /
 *     TIMEOUT (not DISCONNECTED) while messages wait to be routed, get them
 *     as the router routes, and DISCONNECTED only after the last one.
 *  F2 fanout, router FULL: a message the router could not route (queue full)
 *     stays in the producer queue; the consumer drains its queue and sees
 *     EMPTY, not DISCONNECTED, until the router routes it.
 *  F3 fanout, producer side: with one of two consumers closed publishing
 *     still works; with both closed publish / claim / publish_batch say
 *     DISCONNECTED.
 *
 * Seed scenario (was seed_disconnect.c).
 * "Seed" scenarios came from the seed documents the project started from:
 * each is a scenario written down there, kept as a scripted test.
 */
#include "mp_util.h"

#define SHORT_NS (10 * 1000 * 1000ull)

/* Every receive entry point must say `want` (EMPTY/TIMEOUT or DISCONNECTED). */
static void expect_all_recv(int want, int line)
{
    char buf[64];
    size_t len = 0, count = 0;
    uint32_t lens[4];
    const void *data;
    int blocking = want == INDEXBUS_EMPTY ? INDEXBUS_TIMEOUT : want;
    int st[5] = {
        indexbus_try_recv(mp_role_c, buf, sizeof buf, &len),
        indexbus_recv(mp_role_c, buf, sizeof buf, &len,
                      want == INDEXBUS_EMPTY ? SHORT_NS : MP_HANG_NS),
        indexbus_wait(mp_role_c, want == INDEXBUS_EMPTY ? SHORT_NS : MP_HANG_NS),
        indexbus_recv_batch(mp_role_c, buf, sizeof buf, lens, 4, &count),
        indexbus_recv_begin(mp_role_c, &data, &len),
    };
    int wants[5] = {want, blocking, blocking, want, want};
    for (int i = 0; i < 5; i++)
        if (st[i] != wants[i]) {
            fprintf(stderr, "line %d: receive call %d = %s, want %s\n", line, i,
                    indexbus_status_name(st[i]), indexbus_status_name(wants[i]));
            ib_test_failures++;
        }
    CHECK(count == 0);
}

/* publish, publish_batch and claim must all say `want` (3 messages on OK). */
static void expect_all_publish(int want, int line)
{
    void *buf;
    size_t cap, sent = 99;
    uint32_t lens[2] = {1, 1};
    int st[3];
    st[0] = indexbus_publish(mp_role_p, "z", 1);
    st[1] = indexbus_publish_batch(mp_role_p, "zz", lens, 2, &sent);
    st[2] = indexbus_claim(mp_role_p, &buf, &cap);
    if (st[2] == INDEXBUS_OK)
        REQUIRE_OK(indexbus_abort(mp_role_p));
    for (int i = 0; i < 3; i++)
        if (st[i] != want) {
            fprintf(stderr, "line %d: publish call %d = %s, want %s\n", line, i,
                    indexbus_status_name(st[i]), indexbus_status_name(want));
            ib_test_failures++;
        }
    CHECK(sent == (want == INDEXBUS_OK ? 2u : 0u));
}

/* ---- E1: events, consumer side ------------------------------------------ */
enum { E1_C, E1_SPSC, E1_MPSC };

static void e1_step(int role, int k)
{
    switch (k * 10 + role) {
    case 10 + E1_C: mp_role_open_consumer(0); break;
    case 20 + E1_C: expect_all_recv(INDEXBUS_EMPTY, __LINE__); break; /* no producer ever */
    case 30 + E1_SPSC:
        mp_role_open_producer(INDEXBUS_PRODUCER_SPSC);
        MP_PUB(mp_role_p, "s-a", INDEXBUS_OK);
        MP_PUB(mp_role_p, "s-b", INDEXBUS_OK);
        break;
    case 30 + E1_MPSC:
        mp_role_open_producer(INDEXBUS_PRODUCER_MPSC);
        MP_PUB(mp_role_p, "m-a", INDEXBUS_OK);
        break;
    case 40 + E1_SPSC: mp_role_close_producer(); break;
    case 50 + E1_C: /* the consumer alternates SPSC, MPSC, SPSC, ... */
        MP_EXPECT(mp_role_c, "s-a");
        MP_EXPECT(mp_role_c, "m-a");
        MP_EXPECT(mp_role_c, "s-b");
        expect_all_recv(INDEXBUS_EMPTY, __LINE__); /* the MPSC producer is still there */
        break;
    case 60 + E1_MPSC:
        MP_PUB(mp_role_p, "m-b", INDEXBUS_OK);
        mp_role_close_producer();
        break;
    case 70 + E1_C:
        MP_EXPECT(mp_role_c, "m-b"); /* drained first ... */
        expect_all_recv(INDEXBUS_DISCONNECTED, __LINE__); /* ... then disconnected */
        expect_all_recv(INDEXBUS_DISCONNECTED, __LINE__);
        mp_role_close_consumer();
        break;
    }
}

static void e1_parent(indexbus_region *r, int k)
{
    if (k == 4)
        CHECK(mp_info(r).producers_live == 1);
    if (k == 7) {
        indexbus_info info = mp_info(r);
        CHECK(info.published == 4 && info.free_slots == 16);
        MP_CHECK_CSTATS(r, 0, 4, 0, 0, 0);
    }
}

/* ---- E2: events, producer side ------------------------------------------ */
enum { E2_SPSC, E2_MPSC, E2_C };

static void e2_step(int role, int k)
{
    switch (k * 10 + role) {
    case 10 + E2_SPSC: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 10 + E2_MPSC: mp_role_open_producer(INDEXBUS_PRODUCER_MPSC); break;
    case 20 + E2_SPSC: /* no consumer yet: fine */
    case 20 + E2_MPSC: expect_all_publish(INDEXBUS_OK, __LINE__); break;
    case 30 + E2_C:
        mp_role_open_consumer(0);
        MP_EXPECT(mp_role_c, "z");
        MP_EXPECT(mp_role_c, "z");
        MP_EXPECT(mp_role_c, "z");
        MP_EXPECT(mp_role_c, "z");
        MP_EXPECT(mp_role_c, "z");
        MP_EXPECT(mp_role_c, "z");
        MP_EXPECT_ST(mp_role_c, INDEXBUS_EMPTY);
        break;
    case 40 + E2_SPSC:
    case 40 + E2_MPSC: expect_all_publish(INDEXBUS_OK, __LINE__); break; /* consumer live */
    case 50 + E2_C: mp_role_close_consumer(); break;
    case 60 + E2_SPSC:
    case 60 + E2_MPSC:
        expect_all_publish(INDEXBUS_DISCONNECTED, __LINE__);
        mp_role_close_producer();
        break;
    }
}

static void e2_parent(indexbus_region *r, int k)
{
    if (k == 6) {
        indexbus_info info = mp_info(r);
        /* 2 x 3 before the consumer, 2 x 3 while it was there, none after */
        CHECK(info.published == 12);
        CHECK(info.free_slots == 16 - 6); /* 6 never received (no crash recovery needed) */
    }
}

/* ---- F1: fanout, messages waiting to be routed -------------------------- */
enum { F1_C0, F1_C1, F1_R, F1_P };

static void route_n(int n, int want)
{
    for (int i = 0; i < n; i++)
        CHECK_ST(indexbus_route_once(mp_role_rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST),
                 want);
}

static void f1_step(int role, int k)
{
    switch (k * 10 + role) {
    case 10 + F1_C0: mp_role_open_consumer(0); break;
    case 10 + F1_C1: mp_role_open_consumer(1); break;
    case 10 + F1_R: mp_role_open_router(); break;
    case 20 + F1_C0:
    case 20 + F1_C1: expect_all_recv(INDEXBUS_EMPTY, __LINE__); break; /* no producer ever */
    case 30 + F1_P:
        mp_role_open_producer(INDEXBUS_PRODUCER_MPSC);
        MP_PUB(mp_role_p, "f0", INDEXBUS_OK);
        MP_PUB(mp_role_p, "f1", INDEXBUS_OK);
        MP_PUB(mp_role_p, "f2", INDEXBUS_OK);
        mp_role_close_producer();
        break;
    case 40 + F1_C0:
    case 40 + F1_C1: expect_all_recv(INDEXBUS_EMPTY, __LINE__); break; /* 3 wait in the source */
    case 50 + F1_R: route_n(1, INDEXBUS_OK); break;
    case 60 + F1_C0:
        MP_EXPECT(mp_role_c, "f0");
        expect_all_recv(INDEXBUS_EMPTY, __LINE__); /* 2 still wait */
        break;
    case 70 + F1_R:
        route_n(2, INDEXBUS_OK);
        route_n(1, INDEXBUS_EMPTY);
        mp_role_close_router();
        break;
    case 80 + F1_C0:
    case 80 + F1_C1:
        if (role == F1_C1) /* consumer 0 took f0 in phase 6 */
            MP_EXPECT(mp_role_c, "f0");
        MP_EXPECT(mp_role_c, "f1");
        MP_EXPECT(mp_role_c, "f2");
        expect_all_recv(INDEXBUS_DISCONNECTED, __LINE__);
        mp_role_close_consumer();
        break;
    }
}

static void f1_parent(indexbus_region *r, int k)
{
    if (k == 4)
        CHECK(mp_info(r).mpsc_depth == 3);
    if (k == 8) {
        indexbus_info info = mp_info(r);
        CHECK(info.routed == 3 && info.free_slots == 16 && info.mpsc_depth == 0);
    }
}

/* ---- F2: fanout, router FULL keeps the message upstream ------------------ */
enum { F2_C, F2_R, F2_P };

static void f2_step(int role, int k)
{
    switch (k * 10 + role) {
    case 10 + F2_C: mp_role_open_consumer(0); break;
    case 10 + F2_R: mp_role_open_router(); break;
    case 10 + F2_P: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 20 + F2_P:
        for (int i = 0; i < 4; i++)
            MP_PUBF(mp_role_p, "q%d", i, INDEXBUS_OK);
        break;
    case 30 + F2_R: route_n(4, INDEXBUS_OK); break; /* consumer queue (4) now full */
    case 40 + F2_P:
        MP_PUB(mp_role_p, "q4", INDEXBUS_OK);
        mp_role_close_producer();
        break;
    case 50 + F2_R: route_n(1, INDEXBUS_FULL); break;
    case 60 + F2_C:
        for (int i = 0; i < 4; i++)
            MP_EXPECTF(mp_role_c, "q%d", i);
        expect_all_recv(INDEXBUS_EMPTY, __LINE__); /* q4 is still upstream */
        break;
    case 70 + F2_R:
        route_n(1, INDEXBUS_OK);
        mp_role_close_router();
        break;
    case 80 + F2_C:
        MP_EXPECT(mp_role_c, "q4");
        expect_all_recv(INDEXBUS_DISCONNECTED, __LINE__);
        mp_role_close_consumer();
        break;
    }
}

static void f2_parent(indexbus_region *r, int k)
{
    if (k == 5) {
        indexbus_info info = mp_info(r);
        CHECK(info.spsc_depth == 1 && info.route_no_space == 1 && info.routed == 4);
    }
    if (k == 8)
        MP_CHECK_CSTATS(r, 0, 5, 0, 0, 0);
}

/* ---- F3: fanout, producer side ------------------------------------------- */
enum { F3_SPSC, F3_MPSC, F3_C0, F3_C1 };

static void f3_step(int role, int k)
{
    switch (k * 10 + role) {
    case 10 + F3_SPSC: mp_role_open_producer(INDEXBUS_PRODUCER_SPSC); break;
    case 10 + F3_MPSC: mp_role_open_producer(INDEXBUS_PRODUCER_MPSC); break;
    case 10 + F3_C0: mp_role_open_consumer(0); break;
    case 10 + F3_C1: mp_role_open_consumer(1); break;
    case 20 + F3_C0: mp_role_close_consumer(); break;
    case 30 + F3_SPSC:
    case 30 + F3_MPSC: expect_all_publish(INDEXBUS_OK, __LINE__); break; /* C1 still there */
    case 40 + F3_C1: mp_role_close_consumer(); break;
    case 50 + F3_SPSC:
    case 50 + F3_MPSC:
        expect_all_publish(INDEXBUS_DISCONNECTED, __LINE__);
        mp_role_close_producer();
        break;
    }
}

static void f3_parent(indexbus_region *r, int k)
{
    if (k == 5)
        CHECK(mp_info(r).published == 6);
}

static const ib_helper helpers[] = {
    MP_SCRIPT_HELPER,
    IB_HELPER(e1_step),
    IB_HELPER(e2_step),
    IB_HELPER(f1_step),
    IB_HELPER(f2_step),
    IB_HELPER(f3_step),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    static const mp_script e1 = {3, 7, e1_step, e1_parent};
    static const mp_script e2 = {3, 6, e2_step, e2_parent};
    static const mp_script f1 = {4, 8, f1_step, f1_parent};
    static const mp_script f2 = {3, 8, f2_step, f2_parent};
    static const mp_script f3 = {4, 5, f3_step, f3_parent};
    mp_script_run_new_region(&e1, "dc-e1", INDEXBUS_KIND_EVENTS, 16, 64, 0, 0);
    mp_script_run_new_region(&e2, "dc-e2", INDEXBUS_KIND_EVENTS, 16, 64, 0, 0);
    mp_script_run_new_region(&f1, "dc-f1", INDEXBUS_KIND_FANOUT, 16, 64, 0, 2);
    mp_script_run_new_region(&f2, "dc-f2", INDEXBUS_KIND_FANOUT, 16, 64, 4, 1);
    mp_script_run_new_region(&f3, "dc-f3", INDEXBUS_KIND_FANOUT, 16, 64, 0, 2);
    return ib_test_done("disconnect");
}
