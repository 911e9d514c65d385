/* hold.c - held receive (indexbus_consumer_open_config with
 * INDEXBUS_CONSUMER_HOLD, indexbus_recv_held, indexbus_release; LAYOUT.md
 * 5.20) in one process: exact bytes and positions on events regions (SPSC
 * with and without slot recycling, MPSC, SKIP cells, corrupt entries),
 * fanout regions with durable state (the hold bit, the router skipping an
 * absent holder's queue, a non-holder draining it) and byte logs (across
 * the wrap); release order, FULL at max_held, producers FULL while messages
 * are held, a closed holder's messages read again by the next consumer at
 * the same positions, the delivered counter counting releases, and the
 * statuses of the other calls. Across processes: test/hold-procs.c. */
#include "hold_util.h"

#define Q 8u

/* ---- events ------------------------------------------------------------------------ */

/* slots == Q: no recycling; 2 * Q: SPSC slots recycle (5.16). */
static void events_basic(uint32_t slots, int want_recycle)
{
    const char *path = bad_path(1);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_EVENTS, slots, Q, 1, 0);
    CHECK(((mp_info(r).capabilities & INDEXBUS_CAP_SPSC_RECYCLE) != 0) == want_recycle);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < Q; i++)
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
    CHECK_ST(hd_pub(p, Q, 0), INDEXBUS_FULL);
    indexbus_consumer *c = hd_holder(r, 0, 3);
    for (uint32_t i = 0; i < 3; i++)
        HD_HELD(c, i, i, 0);
    CHECK_ST(hd_held_st(c), INDEXBUS_FULL);
    /* the other receive calls are refused; wait looks past what is held */
    uint8_t b[HD_DATA];
    size_t n;
    uint32_t lens[4];
    const void *d;
    CHECK_ST(indexbus_try_recv(c, b, sizeof b, &n), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv(c, b, sizeof b, &n, 0), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_batch(c, b, sizeof b, lens, 4, &n), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_begin(c, &d, &n), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_end(c), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_wait(c, 0), INDEXBUS_OK);
    /* held messages keep their room: nothing moved for the producer */
    CHECK_ST(hd_pub(p, Q, 0), INDEXBUS_FULL);
    CHECK(hd_delivered(r, 0) == 0 && mp_cstats(r, 0).depth == Q);
    CHECK_ST(indexbus_release(c, 4), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_release(c, 2), INDEXBUS_OK); /* 0 and 1, the oldest */
    CHECK(hd_delivered(r, 0) == 2 && mp_cstats(r, 0).depth == Q - 2);
    CHECK_ST(hd_pub(p, Q, 0), INDEXBUS_OK);
    CHECK_ST(hd_pub(p, Q + 1, 0), INDEXBUS_OK);
    CHECK_ST(hd_pub(p, Q + 2, 0), INDEXBUS_FULL);
    HD_HELD(c, 3, 3, 0);
    HD_HELD(c, 4, 4, 0);
    CHECK_ST(hd_held_st(c), INDEXBUS_FULL);
    CHECK_ST(indexbus_release(c, 3), INDEXBUS_OK);
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OUT_OF_RANGE);
    for (uint32_t i = 5; i < Q + 2; i++) {
        HD_HELD(c, i, i, 0);
        CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    }
    CHECK_ST(hd_held_st(c), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_wait(c, 0), INDEXBUS_TIMEOUT);
    CHECK(hd_delivered(r, 0) == Q + 2);
    /* several laps, holding the whole queue each time */
    indexbus_consumer_close(c);
    c = hd_holder(r, 0, Q);
    for (uint32_t lap = 0; lap < 3; lap++) {
        uint32_t base = Q + 2 + lap * Q;
        for (uint32_t i = 0; i < Q; i++)
            CHECK_ST(hd_pub(p, base + i, 0), INDEXBUS_OK);
        for (uint32_t i = 0; i < Q; i++)
            HD_HELD(c, base + i, base + i, 0);
        CHECK_ST(hd_pub(p, 0, 0), INDEXBUS_FULL);
        CHECK_ST(indexbus_release(c, Q), INDEXBUS_OK);
    }
    indexbus_producer_close(p);
    CHECK_ST(hd_held_st(c), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_wait(c, 0), INDEXBUS_DISCONNECTED);
    CHECK(mp_info(r).free_slots == slots);
    CHECK(hd_delivered(r, 0) == 4 * Q + 2);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    unlink(path);
}

/* A holder closed with messages held: the next holder reads them again at
 * the same positions, then a plain consumer takes what is left. */
static void events_reopen(uint32_t slots)
{
    const char *path = bad_path(2);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_EVENTS, slots, Q, 1, 0);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < 6; i++)
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
    indexbus_consumer *a = hd_holder(r, 0, 0); /* 0: the default (4096) */
    for (uint32_t i = 0; i < 4; i++)
        HD_HELD(a, i, i, 0);
    CHECK_ST(indexbus_release(a, 1), INDEXBUS_OK);
    indexbus_consumer_close(a); /* 1, 2, 3 held */
    CHECK(hd_delivered(r, 0) == 1 && mp_cstats(r, 0).depth == 5);
    indexbus_consumer *b = hd_holder(r, 0, 16);
    for (uint32_t i = 1; i < 6; i++)
        HD_HELD(b, i, i, 0);
    CHECK_ST(indexbus_wait(b, 0), INDEXBUS_TIMEOUT); /* it looks past what is held */
    CHECK_ST(indexbus_release(b, 2), INDEXBUS_OK);
    indexbus_consumer_close(b);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint8_t buf[HD_DATA];
    size_t n;
    uint64_t pos;
    CHECK_ST(indexbus_recv_held(c, buf, sizeof buf, &n, &pos), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_release(c, 0), INDEXBUS_BAD_STATE);
    for (uint32_t i = 3; i < 6; i++)
        hd_expect(c, i, 0);
    MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    CHECK(hd_delivered(r, 0) == 6 && mp_info(r).free_slots == slots);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    unlink(path);
}

/* Both producer queues: positions name the queue (bit 63: MPSC), the
 * cursor alternates as a plain consumer does, release goes oldest first. */
static void events_mpsc(void)
{
    const char *path = bad_path(3);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_EVENTS, 32, Q, 1, 0);
    bad_map m = bad_map_file(path);
    indexbus_mpsc_ctl *mq = bad_mpsc(&m);
    indexbus_producer *p, *mp;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    for (uint32_t i = 0; i < 2; i++) {
        CHECK_ST(hd_pub(p, 2 * i, 0), INDEXBUS_OK);
        CHECK_ST(hd_pub(mp, 2 * i + 1, 0), INDEXBUS_OK);
    }
    indexbus_consumer *c = hd_holder(r, 0, 8);
    HD_HELD(c, 0, 0, 0);
    HD_HELD(c, 1, 0 | HD_MPSC, 0);
    HD_HELD(c, 2, 1, 0);
    HD_HELD(c, 3, 1 | HD_MPSC, 0);
    CHECK_ST(hd_held_st(c), INDEXBUS_EMPTY);
    CHECK(hd_load64(&mq->head) == 0);
    CHECK_ST(indexbus_release(c, 2), INDEXBUS_OK); /* SPSC 0 and MPSC 0 */
    CHECK(hd_load64(&mq->head) == 1 && hd_load64(&bad_spsc(&m)->head) == 1);
    indexbus_consumer_close(c);
    c = hd_holder(r, 0, 8);
    HD_HELD(c, 2, 1, 0);
    HD_HELD(c, 3, 1 | HD_MPSC, 0);
    CHECK_ST(hd_held_st(c), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_release(c, 2), INDEXBUS_OK);
    CHECK(hd_load64(&mq->head) == 2 && hd_delivered(r, 0) == 4);

    /* a SKIP cell (a dead producer's reservation, as recovery marks it)
     * behind a held message is passed by the cursor only, and in the
     * region when the message before it is released */
    indexbus_mpsc_cell *cells = bad_mpsc_cells(mq);
    CHECK_ST(hd_pub(mp, 10, 0), INDEXBUS_OK); /* MPSC 2 */
    __atomic_store_n(&mq->tail, 4, __ATOMIC_RELEASE);
    __atomic_store_n(&cells[3 % Q].seq, 4 | INDEXBUS_MPSC_SKIP, __ATOMIC_RELEASE);
    CHECK_ST(hd_pub(mp, 11, 0), INDEXBUS_OK); /* MPSC 4 */
    HD_HELD(c, 10, 2 | HD_MPSC, 0);
    HD_HELD(c, 11, 4 | HD_MPSC, 0);
    CHECK(hd_load64(&mq->head) == 2);
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    CHECK(hd_load64(&mq->head) == 3);
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    CHECK(hd_load64(&mq->head) == 5);
    /* with nothing held before it, a SKIP cell is passed in the region at once */
    __atomic_store_n(&mq->tail, 6, __ATOMIC_RELEASE);
    __atomic_store_n(&cells[5 % Q].seq, 6 | INDEXBUS_MPSC_SKIP, __ATOMIC_RELEASE);
    CHECK_ST(hd_pub(mp, 12, 0), INDEXBUS_OK); /* MPSC 6 */
    HD_HELD(c, 12, 6 | HD_MPSC, 0);
    CHECK(hd_load64(&mq->head) == 6);
    /* trailing SKIP cells go with the last release */
    __atomic_store_n(&mq->tail, 8, __ATOMIC_RELEASE);
    __atomic_store_n(&cells[7 % Q].seq, 8 | INDEXBUS_MPSC_SKIP, __ATOMIC_RELEASE);
    CHECK_ST(hd_held_st(c), INDEXBUS_EMPTY);
    CHECK(hd_load64(&mq->head) == 6);
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    CHECK(hd_load64(&mq->head) == 8);
    CHECK(hd_delivered(r, 0) == 7 && mp_info(r).free_slots == 32);
    indexbus_consumer_close(c);
    indexbus_producer_close(mp);
    indexbus_producer_close(p);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

/* A corrupt entry at the cursor gives CORRUPT; behind a held message it is
 * recorded and release passes it (dropping its slot reference if the index
 * was sound); with nothing held it is passed at once. */
static void events_corrupt(void)
{
    const char *path = bad_path(4);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_EVENTS, Q, Q, 1, 0);
    bad_map m = bad_map_file(path);
    indexbus_spsc_ctl *q = bad_spsc(&m);
    uint32_t *cells = bad_spsc_cells(q);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < 3; i++)
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
    indexbus_consumer *c = hd_holder(r, 0, 4);
    HD_HELD(c, 0, 0, 0);
    uint32_t lost = __atomic_load_n(&cells[1], __ATOMIC_RELAXED);
    __atomic_store_n(&cells[1], 0x7fffffffu, __ATOMIC_RELAXED); /* an index past the slots */
    CHECK_ST(hd_held_st(c), INDEXBUS_CORRUPT);
    HD_HELD(c, 2, 2, 0);
    CHECK(hd_load64(&q->head) == 0);
    CHECK_ST(indexbus_release(c, 2), INDEXBUS_OK); /* 0, the corrupt entry, 2 */
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OUT_OF_RANGE);
    CHECK(hd_load64(&q->head) == 3);
    /* a sound index with an impossible length: its reference goes at release */
    for (uint32_t i = 3; i < 6; i++)
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
    HD_HELD(c, 3, 3, 0);
    uint32_t idx = __atomic_load_n(&cells[4 % Q], __ATOMIC_RELAXED);
    __atomic_store_n(&bad_slot(&m, idx)->len, 1000u, __ATOMIC_RELAXED);
    CHECK_ST(hd_held_st(c), INDEXBUS_CORRUPT);
    HD_HELD(c, 5, 5, 0);
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK); /* 3 and the corrupt 4 */
    CHECK(hd_load64(&q->head) == 5);
    CHECK(mp_info(r).free_slots == Q - 2); /* 5 held, slot `lost` leaked by the rogue */
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == Q - 1);
    /* nothing held: passed in the region at once */
    CHECK_ST(hd_pub(p, 6, 0), INDEXBUS_OK);
    __atomic_store_n(&cells[6 % Q], 0x7fffffffu, __ATOMIC_RELAXED);
    CHECK_ST(hd_held_st(c), INDEXBUS_CORRUPT);
    CHECK(hd_load64(&q->head) == 7);
    CHECK_ST(hd_held_st(c), INDEXBUS_EMPTY);
    (void)lost;
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

/* Arguments and kinds. */
static void config_errors(void)
{
    const char *path = bad_path(5);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_EVENTS, Q, Q, 1, 0);
    indexbus_consumer *c = (indexbus_consumer *)&c;
    indexbus_consumer_config cc = {.size = sizeof cc, .index = 0, .flags = INDEXBUS_CONSUMER_HOLD};
    CHECK_ST(indexbus_consumer_open_config(NULL, &cc, &c), INDEXBUS_INVALID_ARGUMENT);
    CHECK(c == NULL);
    CHECK_ST(indexbus_consumer_open_config(r, NULL, &c), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_consumer_open_config(r, &cc, NULL), INDEXBUS_INVALID_ARGUMENT);
    cc.size = sizeof cc - 4;
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &c), INDEXBUS_INVALID_ARGUMENT);
    cc.size = sizeof cc;
    cc.flags = 0x2u;
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &c), INDEXBUS_INVALID_ARGUMENT);
    cc.flags = INDEXBUS_CONSUMER_HOLD;
    cc.max_held = (1u << 20) + 1;
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &c), INDEXBUS_INVALID_ARGUMENT);
    cc.max_held = 1u << 20;
    cc.index = 1;
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &c), INDEXBUS_OUT_OF_RANGE);
    cc.index = 0;
    REQUIRE_OK(indexbus_consumer_open_config(r, &cc, &c));
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &(indexbus_consumer *){NULL}), INDEXBUS_BUSY);
    uint8_t b[4];
    size_t n;
    uint64_t pos;
    CHECK_ST(indexbus_recv_held(NULL, b, sizeof b, &n, &pos), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_held(c, b, sizeof b, NULL, &pos), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_held(c, b, sizeof b, &n, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_release(NULL, 0), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_release(c, 0), INDEXBUS_OK);
    /* a message larger than the buffer: its length, and it stays unheld */
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    CHECK_ST(hd_pub(p, 0, 0), INDEXBUS_OK);
    CHECK_ST(indexbus_recv_held(c, b, sizeof b, &n, &pos), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(n == hd_len(0));
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OUT_OF_RANGE);
    HD_HELD(c, 0, 0, 0);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    /* without HOLD it is indexbus_consumer_open */
    cc.flags = 0;
    REQUIRE_OK(indexbus_consumer_open_config(r, &cc, &c));
    hd_expect(c, 0, 0);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    unlink(path);
    /* a fanout region without durable state cannot keep a holder's queue */
    path = bad_path(6);
    r = hd_create(path, INDEXBUS_KIND_FANOUT, 16, Q, 2, 0);
    cc.flags = INDEXBUS_CONSUMER_HOLD;
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &c), INDEXBUS_BAD_STATE);
    CHECK(c == NULL && mp_info(r).consumers_live == 0);
    indexbus_region_close(r);
    unlink(path);
    /* streams and request/response have no consumers */
    path = bad_path(7);
    r = mp_create_ring(path, INDEXBUS_KIND_STREAM, 4096, 0);
    CHECK_ST(indexbus_consumer_open_config(r, &cc, &c), INDEXBUS_WRONG_KIND);
    indexbus_region_close(r);
    unlink(path);
}

/* ---- fanout -------------------------------------------------------------------------- */

static void route_all(indexbus_router *rt, uint32_t n, uint64_t mask)
{
    for (uint32_t i = 0; i < n; i++)
        MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, mask, 0, 0);
}

static void fanout_hold(void)
{
    const char *path = bad_path(8);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_FANOUT, 32, Q, 2, 1);
    bad_map m = bad_map_file(path);
    uint64_t *mask = &hd_durable(&m)->hold_mask;
    indexbus_router *rt;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_router_open(r, &rt));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    indexbus_consumer *h = hd_holder(r, 0, 4), *c1;
    REQUIRE_OK(indexbus_consumer_open(r, 1, &c1));
    CHECK(hd_load64(mask) == 1);
    for (uint32_t i = 0; i < 3; i++)
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
    route_all(rt, 3, 3);
    for (uint32_t i = 0; i < 3; i++) {
        HD_HELD(h, i, i, 0);
        hd_expect(c1, i, 0);
    }
    CHECK_ST(hd_held_st(h), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_wait(h, 0), INDEXBUS_TIMEOUT); /* it looks past what is held */
    CHECK_ST(indexbus_release(h, 1), INDEXBUS_OK);
    CHECK_ST(hd_pub(p, 3, 0), INDEXBUS_OK); /* routed, not read before the close */
    route_all(rt, 1, 3);
    hd_expect(c1, 3, 0);
    indexbus_consumer_close(h); /* 1, 2 held, 3 unread: the bit stays, the queue is kept */
    CHECK(hd_load64(mask) == 1 && mp_cstats(r, 0).depth == 3 && !mp_cstats(r, 0).attached);
    CHECK_ST(hd_pub(p, 20, 0), INDEXBUS_OK);
    route_all(rt, 1, 2); /* the router skips the absent holder's queue */
    hd_expect(c1, 20, 0);
    h = hd_holder(r, 0, 4);
    HD_HELD(h, 1, 1, 0);
    HD_HELD(h, 2, 2, 0);
    HD_HELD(h, 3, 3, 0);
    CHECK_ST(hd_held_st(h), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_release(h, 1), INDEXBUS_OK);
    CHECK_ST(hd_pub(p, 4, 0), INDEXBUS_OK);
    route_all(rt, 1, 3);
    HD_HELD(h, 4, 4, 0);
    hd_expect(c1, 4, 0);
    CHECK_ST(indexbus_release(h, 1), INDEXBUS_OK);
    indexbus_consumer_close(h); /* 3 and 4 held */
    CHECK(mp_info(r).free_slots == 32 - 2);
    /* a plain consumer drains the index and clears its bit */
    indexbus_consumer *c0;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c0));
    CHECK(hd_load64(mask) == 0 && mp_cstats(r, 0).depth == 0);
    MP_EXPECT_ST(c0, INDEXBUS_EMPTY);
    CHECK(mp_info(r).free_slots == 32);
    CHECK_ST(hd_pub(p, 5, 0), INDEXBUS_OK);
    route_all(rt, 1, 3);
    hd_expect(c0, 5, 0);
    hd_expect(c1, 5, 0);
    indexbus_consumer_close(c0);
    /* a holder closed with an empty queue keeps its bit; the plain one
     * clears it, and closes as usual */
    h = hd_holder(r, 0, 4);
    CHECK(hd_load64(mask) == 1);
    indexbus_consumer_close(h);
    CHECK(hd_load64(mask) == 1);
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c0));
    CHECK(hd_load64(mask) == 0);
    indexbus_consumer_close(c0);
    /* a quiet region's sweep keeps the slots a held queue names */
    h = hd_holder(r, 0, 4);
    for (uint32_t i = 6; i < 9; i++) {
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
        route_all(rt, 1, 3);
        hd_expect(c1, i, 0);
    }
    HD_HELD(h, 6, 6, 0);
    indexbus_consumer_close(h); /* 6 held, 7 and 8 unread */
    indexbus_consumer_close(c1);
    indexbus_producer_close(p);
    indexbus_router_close(rt);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == 32 - 3);
    h = hd_holder(r, 0, 4);
    for (uint32_t i = 6; i < 9; i++)
        HD_HELD(h, i, i, 0);
    CHECK_ST(indexbus_release(h, 3), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == 32);
    indexbus_consumer_close(h);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

/* ---- byte logs ---------------------------------------------------------------------- */

/* Laps of the ring, holding up to `hold_n` records at once: positions are
 * the records' byte positions (after any wrap pad), the ring fills while
 * they are held, and each release gives room back. */
static void log_hold(void)
{
    const char *path = bad_path(9);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_LOG, 0, 0, 1, 0);
    bad_map m = bad_map_file(path);
    indexbus_log_ctl *lc = hd_log(&m);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    indexbus_consumer *c = hd_holder(r, 0, 6);
    uint64_t pos = 0, rel_pos = 0; /* next record's position; where releases reached */
    uint32_t pub = 0, got = 0, rel = 0;
    uint64_t want_pos[64];
    for (uint32_t round = 0; round < 40; round++) {
        while (hd_pub(p, pub, 1) == INDEXBUS_OK)
            pub++;
        uint64_t space;
        REQUIRE_OK(indexbus_producer_space(p, &space));
        CHECK(space < HD_RING);
        while (got - rel < 6 && got < pub) {
            pos = hd_log_place(pos, hd_log_len(got));
            want_pos[got % 64] = pos;
            HD_HELD(c, got, pos, 1);
            pos = hd_log_next(pos, hd_log_len(got));
            got++;
        }
        if (got - rel == 6)
            CHECK_ST(hd_held_st(c), INDEXBUS_FULL);
        else
            CHECK_ST(indexbus_wait(c, 0), INDEXBUS_TIMEOUT); /* past what is held */
        CHECK(hd_load64(&lc->read) == rel_pos); /* the region's reader waits for release */
        CHECK_ST(hd_pub(p, pub, 1), INDEXBUS_FULL);
        uint32_t n = 1 + round % 3 < got - rel ? 1 + round % 3 : got - rel;
        CHECK_ST(indexbus_release(c, n), INDEXBUS_OK);
        rel += n;
        rel_pos = hd_log_next(want_pos[(rel - 1) % 64], hd_log_len(rel - 1));
        CHECK(hd_load64(&lc->read) == rel_pos && hd_load64(&lc->head) == rel_pos);
        CHECK(hd_delivered(r, 0) == rel);
    }
    CHECK(pos > 3 * HD_RING); /* several laps */
    /* closed with records held: the next holder reads them at their positions */
    indexbus_consumer_close(c);
    c = hd_holder(r, 0, 64);
    uint64_t at = want_pos[rel % 64];
    for (uint32_t i = rel; i < got; i++) {
        at = hd_log_place(at, hd_log_len(i));
        HD_HELD(c, i, at, 1);
        at = hd_log_next(at, hd_log_len(i));
    }
    for (uint32_t i = got; i < pub; i++) {
        at = hd_log_place(at, hd_log_len(i));
        HD_HELD(c, i, at, 1);
        at = hd_log_next(at, hd_log_len(i));
    }
    CHECK_ST(hd_held_st(c), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_release(c, pub - rel), INDEXBUS_OK);
    uint64_t space;
    REQUIRE_OK(indexbus_producer_space(p, &space));
    CHECK(space == HD_RING);
    indexbus_producer_close(p);
    CHECK_ST(hd_held_st(c), INDEXBUS_DISCONNECTED);
    CHECK(hd_delivered(r, 0) == pub);
    indexbus_consumer_close(c);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

/* A wrap pad the cursor passed after the last held record goes back with
 * it; the other receive calls are refused on a byte-log holder too. */
static void log_trailing_pad(void)
{
    const char *path = bad_path(10);
    indexbus_region *r = hd_create(path, INDEXBUS_KIND_LOG, 0, 0, 1, 0);
    bad_map m = bad_map_file(path);
    indexbus_log_ctl *lc = hd_log(&m);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    indexbus_consumer *c = hd_holder(r, 0, 4);
    uint8_t b[HD_MAXREC + 8];
    size_t n;
    uint64_t pos, at = 0;
    uint32_t lens[2];
    const void *d;
    CHECK_ST(indexbus_try_recv(c, b, sizeof b, &n), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_batch(c, b, sizeof b, lens, 2, &n), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_begin(c, &d, &n), INDEXBUS_BAD_STATE);
    /* records of exact strides up to 32 bytes before the ring's end */
    for (uint32_t i = 0; at < HD_RING - 32; i++) {
        uint64_t s = HD_RING - 32 - at < 1008 ? HD_RING - 32 - at : 1008;
        mp_fill(b, 17, i, s - 8);
        CHECK_ST(indexbus_publish(p, b, s - 8), INDEXBUS_OK);
        CHECK_ST(indexbus_recv_held(c, b, sizeof b, &n, &pos), INDEXBUS_OK);
        CHECK(pos == at && mp_check_fill(b, n, 17, i, s - 8));
        CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
        at += s;
    }
    mp_fill(b, 17, 100, 8);
    CHECK_ST(indexbus_publish(p, b, 8), INDEXBUS_OK); /* 16 bytes: 16 left before the end */
    CHECK_ST(indexbus_recv_held(c, b, sizeof b, &n, &pos), INDEXBUS_OK);
    CHECK(pos == HD_RING - 32 && mp_check_fill(b, n, 17, 100, 8));
    /* a claim that does not fit: its wrap pad is published, the record not yet */
    void *buf;
    REQUIRE_OK(indexbus_claim_len(p, 100, &buf));
    CHECK_ST(indexbus_recv_held(c, b, sizeof b, &n, &pos), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_wait(c, 0), INDEXBUS_TIMEOUT);
    CHECK(hd_load64(&lc->read) == HD_RING - 32);
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    CHECK(hd_load64(&lc->read) == HD_RING && hd_load64(&lc->head) == HD_RING);
    mp_fill(buf, 17, 101, 100);
    CHECK_ST(indexbus_commit(p, 100), INDEXBUS_OK);
    CHECK_ST(indexbus_recv_held(c, b, sizeof b, &n, &pos), INDEXBUS_OK);
    CHECK(pos == HD_RING && mp_check_fill(b, n, 17, 101, 100));
    CHECK_ST(indexbus_release(c, 1), INDEXBUS_OK);
    CHECK(hd_load64(&lc->read) == HD_RING + 112);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    events_basic(Q, 0);
    events_basic(2 * Q, 1);
    events_reopen(Q);
    events_reopen(2 * Q);
    events_mpsc();
    events_corrupt();
    config_errors();
    fanout_hold();
    log_hold();
    log_trailing_pad();
    return ib_test_done("hold");
}
