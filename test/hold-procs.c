/* hold-procs.c - held receive across processes (LAYOUT.md 5.20): a HOLD
 * consumer SIGKILLed with messages held, or in the middle of a release, on
 * events regions (SPSC with and without slot recycling, SPSC and MPSC
 * together) and byte logs; after recovery the next holder reads exactly
 * what was not released, at the same positions, none lost and none twice,
 * and once it releases them every slot and byte comes back. Producers see
 * FULL while messages are held. A fanout holder killed: the router skips
 * its queue meanwhile, the next holder reads the held messages and then
 * new ones, and a plain consumer opened later drains the queue. */
#include "hold_util.h"

#define Q 256u
#define MAXN 1024u

enum { EV, EVR, EVM, LOG, NVARIANTS };
static const char *const vname[NVARIANTS] = {"events", "events-recycle", "events-mpsc", "log"};

typedef struct hp_shared {
    char path[96];
    uint32_t variant;
    uint32_t stage;   /* helper: 1 = holding (and released `early`), 2 = release done */
    uint32_t early;   /* released before stage 1 */
    uint32_t held;    /* entries in pos[] */
    uint64_t pos[MAXN];    /* the helper's FIFO, oldest first */
    uint32_t published;
    uint64_t logat;        /* byte logs: where the next record goes (before a wrap pad) */
    uint64_t logpos[MAXN]; /* byte logs: record i's position */
} hp_shared;

IB_SHARED static hp_shared *g;

static size_t plen(uint32_t i) { return g->variant == LOG ? i % 24u : hd_len(i); }

static int publish(indexbus_producer *p, indexbus_producer *mp, uint32_t i)
{
    uint8_t b[HD_DATA];
    mp_fill(b, 16, i, plen(i));
    return indexbus_publish(g->variant == EVM && (i & 1) ? mp : p, b, plen(i));
}

/* The message a position names (each queue or the ring in publish order). */
static uint32_t id_of(uint64_t pos)
{
    if (g->variant == EVM)
        return pos & HD_MPSC ? (uint32_t)(2 * (pos & ~HD_MPSC) + 1) : (uint32_t)(2 * pos);
    if (g->variant != LOG)
        return (uint32_t)pos;
    for (uint32_t i = 0; i < g->published; i++)
        if (g->logpos[i] == pos)
            return i;
    return UINT32_MAX;
}

static int recv_one(indexbus_consumer *c, uint64_t *pos)
{
    uint8_t b[HD_DATA];
    size_t n = 0;
    int st = indexbus_recv_held(c, b, sizeof b, &n, pos);
    if (st == INDEXBUS_OK && !mp_check_fill(b, n, 16, id_of(*pos), plen(id_of(*pos)))) {
        fprintf(stderr, "%s: bad bytes at position %llx\n", vname[g->variant],
                (unsigned long long)*pos);
        ib_test_failures++;
    }
    return st;
}

/* Helper: hold everything, release `early`, say so; arg 1: then release
 * the rest in one call (the parent kills it meanwhile). */
static int holder(int arg)
{
    mp_child();
    indexbus_region *r = mp_open(g->path);
    indexbus_consumer *c = hd_holder(r, 0, MAXN);
    uint64_t pos;
    while (g->held < g->published && recv_one(c, &pos) == INDEXBUS_OK)
        g->pos[g->held++] = pos;
    REQUIRE(g->held == g->published);
    REQUIRE_OK(indexbus_release(c, g->early));
    __atomic_store_n(&g->stage, 1, __ATOMIC_SEQ_CST);
    if (arg == 1) {
        REQUIRE_OK(indexbus_release(c, g->held - g->early));
        __atomic_store_n(&g->stage, 2, __ATOMIC_SEQ_CST);
    }
    for (;;)
        pause();
}

static indexbus_region *create(uint32_t variant)
{
    g->variant = variant;
    g->published = 0;
    g->held = 0;
    g->stage = 0;
    g->logat = 0;
    snprintf(g->path, sizeof g->path, "%s", bad_path(20 + (int)variant));
    uint32_t slots = variant == EV ? Q : 2 * Q;
    return hd_create(g->path, variant == LOG ? INDEXBUS_KIND_LOG : INDEXBUS_KIND_EVENTS, slots, Q,
                     1, 0);
}

/* Publish until FULL (every queue, or the ring): how many. */
static uint32_t fill(indexbus_producer *p, indexbus_producer *mp)
{
    uint32_t n = 0;
    for (uint32_t i = g->published; i < MAXN; i++, n++) {
        uint64_t at = hd_log_place(g->logat, plen(i));
        if (publish(p, mp, i) != INDEXBUS_OK)
            break;
        if (g->variant == LOG) {
            g->logpos[i] = at;
            g->logat = hd_log_next(at, plen(i));
        }
        g->published++;
    }
    return n;
}

/* After recovery: the next holder reads exactly what the dead one had not
 * released: a suffix of its FIFO, as sets per queue (the cursor may
 * interleave the two events queues differently), each queue's positions
 * consecutive up to the last published; then releases them all. */
static void check_rest(indexbus_region *r, indexbus_producer *p, indexbus_producer *mp, int full)
{
    indexbus_consumer *c = hd_holder(r, 0, MAXN);
    uint64_t pos, next[2] = {UINT64_MAX, UINT64_MAX}, first[2] = {UINT64_MAX, UINT64_MAX};
    uint32_t n = 0, per[2] = {0, 0};
    int st;
    while ((st = recv_one(c, &pos)) == INDEXBUS_OK) {
        uint32_t q = g->variant == EVM && (pos & HD_MPSC) ? 1 : 0;
        uint64_t raw = pos & ~HD_MPSC;
        if (first[q] == UINT64_MAX)
            first[q] = raw;
        else if (g->variant == LOG ? id_of(pos) != id_of(next[q]) + 1 : raw != next[q] + 1) {
            fprintf(stderr, "%s: position %llx after %llx\n", vname[g->variant],
                    (unsigned long long)pos, (unsigned long long)next[q]);
            ib_test_failures++;
        }
        next[q] = g->variant == LOG ? pos : raw;
        per[q]++;
        n++;
    }
    CHECK_ST(st, INDEXBUS_EMPTY);
    /* the released prefix of the dead holder's FIFO, per queue */
    uint32_t k = g->published - n, rel[2] = {0, 0};
    for (uint32_t i = 0; i < k && i < g->held; i++)
        rel[g->variant == EVM && (g->pos[i] & HD_MPSC) ? 1 : 0]++;
    for (uint32_t q = 0; q < 2; q++) {
        uint64_t start = per[q] == 0 ? UINT64_MAX
                                     : g->variant == LOG ? id_of(first[q]) : first[q];
        if (per[q] != 0 && start != rel[q]) {
            fprintf(stderr, "%s: queue %u starts at %llu, %u released\n", vname[g->variant], q,
                    (unsigned long long)start, rel[q]);
            ib_test_failures++;
        }
    }
    if (k > g->held) {
        fprintf(stderr, "%s: %u of %u read again, %u held\n", vname[g->variant], n,
                g->published, g->held);
        ib_test_failures++;
    }
    /* producers are full until the holder lets go */
    if (full)
        CHECK_ST(publish(p, mp, g->published), INDEXBUS_FULL);
    CHECK_ST(indexbus_release(c, n), INDEXBUS_OK);
    indexbus_info info = mp_info(r);
    if (g->variant == LOG) {
        uint64_t space;
        REQUIRE_OK(indexbus_producer_space(p, &space));
        CHECK(space == HD_RING);
    } else {
        /* killed between clearing its journal and freeing the slot, a
         * holder leaks that one slot (as a plain receive does; the sweep of
         * a quiet region finds it: run() checks) */
        CHECK(info.free_slots == info.slot_count || (!full && info.free_slots + 1 == info.slot_count));
    }
    CHECK(hd_delivered(r, 0) <= g->published && hd_delivered(r, 0) + 1 >= g->published);
    indexbus_consumer_close(c);
}

static void run(uint32_t variant, int mid_release, uint32_t delay_us)
{
    indexbus_region *r = create(variant);
    indexbus_producer *p, *mp = NULL;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    if (variant == EVM)
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    REQUIRE(fill(p, mp) >= (variant == LOG ? 100u : Q));
    g->early = mid_release ? 0 : 50;
    pid_t pid = ib_spawn(holder, mid_release);
    MP_WAIT(__atomic_load_n(&g->stage, __ATOMIC_SEQ_CST) >= 1);
    if (mid_release) {
        uint64_t until = mp_now_ns() + delay_us * 1000ull;
        while (mp_now_ns() < until && __atomic_load_n(&g->stage, __ATOMIC_SEQ_CST) < 2)
            ;
    } else {
        /* the released room is back (on events exactly); the held messages
         * keep theirs. The next holder reads these too. */
        uint32_t more = fill(p, mp);
        CHECK(variant == LOG || variant == EVM ? more > 0 : more == g->early);
    }
    CHECK(ib_kill(pid) == SIGKILL);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1);
    check_rest(r, p, mp, !mid_release);
    if (mp != NULL)
        indexbus_producer_close(mp);
    indexbus_producer_close(p);
    CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    if (variant != LOG)
        CHECK(mp_info(r).free_slots == mp_info(r).slot_count);
    indexbus_region_close(r);
    unlink(g->path);
}

/* ---- fanout -------------------------------------------------------------------------- */

static int fanout_holder(int arg)
{
    mp_child();
    indexbus_region *r = mp_open(g->path);
    indexbus_consumer *c = hd_holder(r, 0, 16);
    __atomic_store_n(&g->stage, 1, __ATOMIC_SEQ_CST);
    uint8_t b[HD_DATA];
    size_t n;
    uint64_t pos;
    for (uint32_t i = 0; i < (uint32_t)arg; i++) {
        REQUIRE_OK(indexbus_wait(c, MP_HANG_NS));
        REQUIRE_OK(indexbus_recv_held(c, b, sizeof b, &n, &pos));
        CHECK(pos == i && mp_check_fill(b, n, 16, i, hd_len(i)));
    }
    REQUIRE_OK(indexbus_release(c, 1));
    __atomic_store_n(&g->stage, 2, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
}

static void fanout_killed(void)
{
    g->variant = EV;
    g->stage = 0;
    snprintf(g->path, sizeof g->path, "%s", bad_path(30));
    indexbus_region *r = hd_create(g->path, INDEXBUS_KIND_FANOUT, 32, 16, 2, 1);
    bad_map m = bad_map_file(g->path);
    uint64_t *mask = &hd_durable(&m)->hold_mask;
    indexbus_router *rt;
    indexbus_producer *p;
    indexbus_consumer *c1;
    REQUIRE_OK(indexbus_router_open(r, &rt));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 1, &c1));
    pid_t pid = ib_spawn(fanout_holder, 4);
    MP_WAIT(__atomic_load_n(&g->stage, __ATOMIC_SEQ_CST) >= 1);
    MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0); /* acks the epoch */
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
        MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 3, 0, 0);
        hd_expect(c1, i, 0);
    }
    MP_WAIT(__atomic_load_n(&g->stage, __ATOMIC_SEQ_CST) >= 2);
    CHECK(hd_load64(mask) == 1);
    CHECK(ib_kill(pid) == SIGKILL);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1 && rep.dropped == 0);
    CHECK(hd_load64(mask) == 1 && mp_cstats(r, 0).depth == 3 && !mp_cstats(r, 0).attached);
    /* meanwhile the router skips the held queue */
    for (uint32_t i = 4; i < 6; i++) {
        CHECK_ST(hd_pub(p, i, 0), INDEXBUS_OK);
        MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 2, 0, 0);
        hd_expect(c1, i, 0);
    }
    indexbus_consumer *h = hd_holder(r, 0, 16);
    for (uint32_t i = 1; i < 4; i++)
        HD_HELD(h, i, i, 0);
    CHECK_ST(hd_held_st(h), INDEXBUS_EMPTY);
    CHECK_ST(hd_pub(p, 6, 0), INDEXBUS_OK);
    MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 3, 0, 0);
    HD_HELD(h, 6, 4, 0);
    hd_expect(c1, 6, 0);
    CHECK_ST(indexbus_release(h, 2), INDEXBUS_OK);
    indexbus_consumer_close(h); /* 3 and 6 still held */
    CHECK(mp_info(r).free_slots == 32 - 2);
    /* a plain consumer drains them and clears the bit */
    indexbus_consumer *c0;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c0));
    CHECK(hd_load64(mask) == 0 && mp_info(r).free_slots == 32);
    MP_EXPECT_ST(c0, INDEXBUS_EMPTY);
    indexbus_consumer_close(c0);
    indexbus_consumer_close(c1);
    indexbus_producer_close(p);
    indexbus_router_close(rt);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(g->path);
}

static const ib_helper helpers[] = {
    IB_HELPER(holder),
    IB_HELPER(fanout_holder),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    g = ib_shared(sizeof *g);
    REQUIRE(g != NULL);
    for (uint32_t v = 0; v < NVARIANTS; v++) {
        run(v, 0, 0);
        for (uint32_t d = 0; d < 8; d++) /* killed mid-release, at spread-out moments */
            run(v, 1, d * d * 15u);
    }
    fanout_killed();
    return ib_test_done("hold-procs");
}
