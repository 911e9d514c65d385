/* recycle.c - events regions with slot_count >= 2 * queue_capacity
 * recycle SPSC slots through their queue cells (LAYOUT.md 5.16): after the
 * first lap neither side touches the pool (its tag stays put), bytes and
 * order are kept, only a slot parked for that cell and lap is reused, MPSC
 * producers keep the other half of the slots, and a consumer killed while
 * borrowing loses that one message (as without recycling), nothing else. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "recycle_util.h"

#define Q 8u
#define SLOTS 16u

/* An events region of `slots` slots and a Q-cell queue at a file path,
 * with an SPSC producer, consumer 0 and a rogue mapping of the file. */
typedef struct rig {
    const char *path;
    indexbus_region *r;
    indexbus_producer *p;
    indexbus_consumer *c;
    bad_map m;
} rig;

static rig rig_open(int n, uint32_t slots)
{
    rig g;
    g.path = bad_path(n);
    bad_create(g.path, INDEXBUS_KIND_EVENTS, slots, Q, 64, 1, &g.r);
    g.m = bad_map_file(g.path);
    REQUIRE_OK(indexbus_producer_open(g.r, INDEXBUS_PRODUCER_SPSC, &g.p));
    REQUIRE_OK(indexbus_consumer_open(g.r, 0, &g.c));
    return g;
}

static void rig_close(rig *g)
{
    indexbus_consumer_close(g->c);
    indexbus_producer_close(g->p);
    bad_unmap(&g->m);
    indexbus_region_close(g->r);
    unlink(g->path);
}

/* Copy, borrow and batch receive each park; the pool is not touched. */
static void test_no_pool_traffic(uint32_t slots, int want_recycle)
{
    rig g = rig_open(1, slots);
    indexbus_region *r = g.r;
    indexbus_producer *p = g.p;
    indexbus_consumer *c = g.c;
    bad_map m = g.m;
    CHECK(((m.h->capabilities & INDEXBUS_CAP_SPSC_RECYCLE) != 0) == want_recycle);
    uint32_t n = 0, k = 0;
    for (; n < Q; n++) /* first lap: cells are new, slots come from the pool */
        send(p, n);
    for (; k < Q; k++)
        expect(c, k);
    uint64_t before = pool_word(&m);
    for (uint32_t lap = 0; lap < 5; lap++) {
        for (uint32_t i = 0; i < Q; i++)
            send(p, n++);
        for (uint32_t i = 0; i < Q / 2; i++)
            expect(c, k++);
        const void *d;
        size_t len;
        char b[16];
        msg(b, k);
        CHECK_ST(indexbus_recv_begin(c, &d, &len), INDEXBUS_OK);
        CHECK(len == 6 && memcmp(d, b, 6) == 0);
        CHECK_ST(indexbus_recv_end(c), INDEXBUS_OK);
        k++;
        char buf[64 * Q];
        uint32_t lens[Q];
        size_t got = 0;
        CHECK_ST(indexbus_recv_batch(c, buf, sizeof buf, lens, Q, &got), INDEXBUS_OK);
        CHECK(got == Q / 2 - 1);
        for (size_t i = 0; i < got; i++) {
            msg(b, k++);
            CHECK(lens[i] == 6 && memcmp(buf + 6 * i, b, 6) == 0);
        }
    }
    /* batch publish reuses parked slots too */
    uint32_t lens[Q];
    char data[6 * Q];
    for (uint32_t i = 0; i < Q; i++) {
        lens[i] = 6;
        char b[16];
        msg(b, n + i);
        memcpy(data + 6 * i, b, 6);
    }
    size_t pub = 0;
    CHECK_ST(indexbus_publish_batch(p, data, lens, Q, &pub), INDEXBUS_OK);
    CHECK(pub == Q);
    n += Q;
    while (k < n)
        expect(c, k++);
    if (want_recycle)
        CHECK(pool_word(&m) == before); /* no CAS on free_head: tag and head unchanged */
    else
        CHECK(pool_word(&m) >> 32 >= (before >> 32) + 2u * 6 * Q); /* one alloc + one free each */
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == slots); /* parked slots count as free */
    indexbus_consumer_stats cs = {.size = sizeof cs};
    REQUIRE_OK(indexbus_region_consumer_stats(r, 0, &cs));
    CHECK(cs.delivered == n);
    rig_close(&g);
}

/* The producer reuses only a slot parked for the very cell and lap it is
 * about to write: a stale or forged name, or one naming no slot, gives a
 * pool slot; a reused slot stops being parked at once, so an abort that
 * hands it to the pool cannot make it handed out twice. */
static void test_cells(void)
{
    rig g = rig_open(2, SLOTS);
    indexbus_region *r = g.r;
    indexbus_producer *p = g.p;
    indexbus_consumer *c = g.c;
    bad_map m = g.m;
    uint32_t n = 0;
    for (; n < Q; n++)
        send(p, n);
    for (uint32_t i = 0; i < Q; i++)
        expect(c, i);
    uint32_t *cells = bad_spsc_cells(bad_spsc(&m));
    for (uint32_t i = 0; i < Q; i++) {
        CHECK(bad_slot(&m, cells[i])->owner == INDEXBUS_SLOT_PARKED);
        CHECK(bad_slot(&m, cells[i])->next_free == i);
    }
    uint32_t victim = cells[0];
    bad_slot(&m, victim)->next_free = 5; /* parked "for" position 5, not 0 */
    uint64_t before = pool_word(&m);
    send(p, n++); /* position Q: cell 0 */
    CHECK(cells[0] != victim && cells[0] < SLOTS);
    CHECK(pool_word(&m) != before); /* came from the pool */
    CHECK(bad_slot(&m, victim)->owner == INDEXBUS_SLOT_PARKED); /* untouched */
    uint32_t lost = cells[1];
    cells[1] = 0x7fffffffu; /* names no slot */
    before = pool_word(&m);
    send(p, n++);
    CHECK(cells[1] < SLOTS && cells[1] != lost && pool_word(&m) != before);
    /* claim takes cell 2's parked slot; abort gives it to the pool, and
     * nothing hands it out twice afterwards */
    uint32_t parked = cells[2];
    void *buf;
    REQUIRE_OK(indexbus_claim(p, &buf, NULL));
    CHECK(bad_slot(&m, parked)->owner != INDEXBUS_SLOT_PARKED);
    REQUIRE_OK(indexbus_abort(p));
    uint32_t k = Q;
    for (uint32_t lap = 0; lap < 3; lap++) {
        while (n - k < Q)
            send(p, n++);
        CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_FULL);
        while (k < n)
            expect(c, k++); /* a slot handed out twice would break the bytes */
    }
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == SLOTS - 2); /* the forged victim and lost slots leaked */
    indexbus_consumer_close(c);
    indexbus_producer_close(p); /* the sweep wants nobody attached */
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    CHECK(rep.slots_reclaimed == 2);
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == SLOTS);
    for (uint32_t i = 0; i < SLOTS; i++)
        CHECK(bad_slot(&m, i)->owner == 0); /* all in the pool now */
    g.c = NULL; /* closed above, before the sweep */
    g.p = NULL;
    rig_close(&g);
}

/* MPSC producers keep the half of the slots SPSC recycling never parks. */
static void test_mpsc_share(void)
{
    const char *path = bad_path(3);
    indexbus_region *r;
    indexbus_producer *sp, *mp;
    indexbus_consumer *c;
    bad_create(path, INDEXBUS_KIND_EVENTS, SLOTS, Q, 64, 1, &r);
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint32_t n = 0;
    for (uint32_t lap = 0; lap < 3; lap++) { /* every SPSC cell ends up with a parked slot */
        for (uint32_t i = 0; i < Q; i++)
            send(sp, n + i);
        for (uint32_t i = 0; i < Q; i++)
            expect(c, n + i);
        n += Q;
    }
    for (uint32_t i = 0; i < Q; i++) /* a full MPSC queue still finds slots */
        send(mp, n + i);
    CHECK_ST(indexbus_publish(mp, "x", 1), INDEXBUS_FULL);
    for (uint32_t i = 0; i < Q; i++) /* and the SPSC side its parked ones */
        send(sp, n + Q + i);
    CHECK_ST(indexbus_publish(sp, "x", 1), INDEXBUS_FULL);
    uint32_t seen_m = 0, seen_s = 0;
    for (uint32_t i = 0; i < 2 * Q; i++) {
        char got[64];
        size_t len;
        CHECK_ST(indexbus_try_recv(c, got, sizeof got, &len), INDEXBUS_OK);
        uint32_t v = (uint32_t)atoi(got + 1);
        if (v < n + Q)
            CHECK(v == n + seen_m++); /* each queue in its own order */
        else
            CHECK(v == n + Q + seen_s++);
    }
    CHECK(seen_m == Q && seen_s == Q);
    indexbus_consumer_close(c);
    indexbus_producer_close(mp);
    indexbus_producer_close(sp);
    indexbus_region_close(r);
    unlink(path);
}

/* A consumer process killed inside recv_begin/recv_end: recovery counts the
 * borrowed message as taken (parks it and moves head), as it would release
 * a pool slot; the next consumer gets the following message, no slot leaks. */
IB_SHARED static char g_path[96];
IB_SHARED static volatile uint32_t *g_flag;

static int borrower(int arg)
{
    indexbus_region *r;
    indexbus_consumer *c;
    const void *d;
    size_t len;
    REQUIRE_OK(indexbus_region_open(g_path, NULL, &r));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    for (int i = 0; i < arg; i++) { /* arg - 1 complete, then one held */
        REQUIRE_OK(indexbus_recv_begin(c, &d, &len));
        if (i + 1 < arg)
            REQUIRE_OK(indexbus_recv_end(c));
    }
    __atomic_store_n(g_flag, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
}

static void test_killed_borrower(void)
{
    snprintf(g_path, sizeof g_path, "%s", bad_path(4));
    indexbus_region *r;
    indexbus_producer *p;
    bad_create(g_path, INDEXBUS_KIND_EVENTS, SLOTS, Q, 64, 1, &r);
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < Q; i++)
        send(p, i);
    *g_flag = 0;
    pid_t pid = ib_spawn(borrower, 3); /* takes 0, 1; holds 2 */
    while (__atomic_load_n(g_flag, __ATOMIC_SEQ_CST) == 0)
        usleep(100);
    CHECK(ib_kill(pid) != 0);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1 && rep.slots_reclaimed == 0);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    for (uint32_t i = 3; i < Q; i++)
        expect(c, i);
    char got[64];
    size_t len;
    CHECK_ST(indexbus_try_recv(c, got, sizeof got, &len), INDEXBUS_EMPTY);
    indexbus_consumer_stats cs = {.size = sizeof cs};
    REQUIRE_OK(indexbus_region_consumer_stats(r, 0, &cs));
    CHECK(cs.delivered == Q);
    for (uint32_t i = 0; i < 2 * Q; i++) { /* the next laps reuse every cell's slot */
        send(p, Q + i);
        expect(c, Q + i);
    }
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == SLOTS);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    unlink(g_path);
}

static const ib_helper helpers[] = {
    IB_HELPER(borrower),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    g_flag = ib_shared(4096);
    REQUIRE(g_flag != NULL);
    test_no_pool_traffic(SLOTS, 1);
    test_no_pool_traffic(Q, 0); /* slot_count == queue: no recycling, the control */
    test_cells();
    test_mpsc_share();
    test_killed_borrower();
    return ib_test_done("recycle");
}
