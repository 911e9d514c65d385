/* fanout-recycle.c - fanout regions created with INDEXBUS_CREATE_RECYCLE
 * (LAYOUT.md 5.21): after the first laps neither the consumers, nor the
 * SPSC producer, nor the router touch the pool (its word stays put) in
 * broadcast to one and to several consumers and in work-queue mode; bytes
 * and order are kept; the router takes back only a slot parked for that
 * queue, cell and lap; a starved pool gets the parked slots back when the
 * router idles; and a consumer that died after parking, before moving
 * head, has its message drained without a second release. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "recycle_util.h"

#define Q 8u
#define SLOTS 32u

static void route(indexbus_router *rt, uint32_t mode, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, mode), INDEXBUS_OK);
}

/* A fanout region with `consumers` consumer queues at a file path, created
 * with `flags`, an SPSC producer, a router, every consumer, a rogue map. */
typedef struct rig {
    const char *path;
    indexbus_region *r;
    indexbus_producer *p;
    indexbus_router *rt;
    indexbus_consumer *c[4];
    uint32_t n;
    bad_map m;
} rig;

static rig rig_open(int tag, uint32_t consumers, uint32_t slots, uint32_t flags)
{
    rig g = {.path = bad_path(tag), .n = consumers};
    indexbus_region_config cfg;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT));
    cfg.slot_count = slots;
    cfg.queue_capacity = Q;
    cfg.slot_data_size = 64;
    cfg.consumer_count = consumers;
    cfg.flags = flags;
    REQUIRE_OK(indexbus_region_create(g.path, &cfg, &g.r));
    g.m = bad_map_file(g.path);
    REQUIRE_OK(indexbus_producer_open(g.r, INDEXBUS_PRODUCER_SPSC, &g.p));
    REQUIRE_OK(indexbus_router_open(g.r, &g.rt));
    for (uint32_t i = 0; i < consumers; i++)
        REQUIRE_OK(indexbus_consumer_open(g.r, i, &g.c[i]));
    return g;
}

static void rig_close(rig *g)
{
    for (uint32_t i = 0; i < g->n; i++)
        indexbus_consumer_close(g->c[i]);
    indexbus_router_close(g->rt);
    indexbus_producer_close(g->p);
    bad_unmap(&g->m);
    indexbus_region_close(g->r);
    unlink(g->path);
}

/* Every slot is in the pool once, or parked where info counts it. */
static void check_all_free(rig *g, uint32_t slots)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(g->r, &info));
    CHECK(info.free_slots == slots);
    uint8_t seen[SLOTS] = {0};
    uint32_t idx = (uint32_t)pool_word(&g->m), n = 0;
    for (; idx != INDEXBUS_SLOT_NIL && n <= slots; n++) { /* a slot freed twice repeats */
        REQUIRE(idx < slots);
        CHECK(seen[idx]++ == 0);
        idx = bad_slot(&g->m, idx)->next_free;
    }
}

/* Receive the k-th message of consumer i by copy, borrow or batch in turn. */
static void take(indexbus_consumer *c, uint32_t k)
{
    if (k % 3 != 1) {
        expect(c, k);
        return;
    }
    const void *d;
    size_t len;
    char b[16];
    msg(b, k);
    CHECK_ST(indexbus_recv_begin(c, &d, &len), INDEXBUS_OK);
    CHECK(len == 6 && memcmp(d, b, 6) == 0);
    CHECK_ST(indexbus_recv_end(c), INDEXBUS_OK);
}

/* Broadcast to every consumer: from the third lap on the pool's word does
 * not move (no CAS by anyone), with copy, borrow and batch receives. */
static void test_broadcast(uint32_t consumers, uint32_t flags)
{
    rig g = rig_open((int)consumers, consumers, SLOTS, flags);
    int recycle = (flags & INDEXBUS_CREATE_RECYCLE) != 0;
    CHECK(((g.m.h->capabilities & INDEXBUS_CAP_FANOUT_RECYCLE) != 0) == recycle);
    CHECK(g.m.h->layout_minor == (recycle ? 3 : 0));
    uint32_t n = 0;
    uint64_t before = 0;
    for (uint32_t lap = 0; lap < 6; lap++) {
        if (lap == 2)
            before = pool_word(&g.m);
        for (uint32_t i = 0; i < Q; i++)
            send(g.p, n + i);
        route(g.rt, INDEXBUS_MODE_BROADCAST, Q);
        for (uint32_t c = 0; c < consumers; c++) {
            if (lap % 2 == 0) {
                for (uint32_t i = 0; i < Q; i++)
                    take(g.c[c], n + i);
                continue;
            }
            char buf[64 * Q];
            uint32_t lens[Q];
            size_t got = 0;
            CHECK_ST(indexbus_recv_batch(g.c[c], buf, sizeof buf, lens, Q, &got), INDEXBUS_OK);
            CHECK(got == Q);
            for (size_t i = 0; i < got; i++) {
                char b[16];
                msg(b, n + (uint32_t)i);
                CHECK(lens[i] == 6 && memcmp(buf + 6 * i, b, 6) == 0);
            }
        }
        n += Q;
    }
    if (recycle)
        CHECK(pool_word(&g.m) == before); /* tag and head unchanged: no CAS */
    else
        CHECK(pool_word(&g.m) >> 32 >= (before >> 32) + 2u * 4 * Q);
    check_all_free(&g, SLOTS);
    for (uint32_t c = 0; c < consumers; c++) {
        indexbus_consumer_stats cs = {.size = sizeof cs};
        REQUIRE_OK(indexbus_region_consumer_stats(g.r, c, &cs));
        CHECK(cs.delivered == n);
    }
    rig_close(&g);
}

/* Work queue over two consumers: each message to one, in turn. */
static void test_work_queue(void)
{
    rig g = rig_open(5, 2, SLOTS, INDEXBUS_CREATE_RECYCLE);
    uint32_t n = 0;
    uint64_t before = 0;
    for (uint32_t lap = 0; lap < 8; lap++) {
        if (lap == 4)
            before = pool_word(&g.m);
        for (uint32_t i = 0; i < Q; i++)
            send(g.p, n + i);
        route(g.rt, INDEXBUS_MODE_WORK_QUEUE, Q);
        for (uint32_t i = 0; i < Q; i++)
            take(g.c[(n + i) % 2], n + i); /* round robin from consumer 0 */
        n += Q;
    }
    CHECK(pool_word(&g.m) == before);
    check_all_free(&g, SLOTS);
    rig_close(&g);
}

/* The router takes back only a slot parked for its own queue, cell and lap:
 * one parked "for" another position or queue is left alone (it leaks, a
 * sweep returns it) and the producer's slot comes from the pool; the
 * bytes of every later message stay right. */
static void test_forged_parks(void)
{
    rig g = rig_open(6, 2, SLOTS, INDEXBUS_CREATE_RECYCLE);
    uint32_t n = 0;
    for (uint32_t lap = 0; lap < 2; lap++) {
        for (uint32_t i = 0; i < Q; i++)
            send(g.p, n + i);
        route(g.rt, INDEXBUS_MODE_BROADCAST, Q);
        for (uint32_t c = 0; c < 2; c++)
            for (uint32_t i = 0; i < Q; i++)
                expect(g.c[c], n + i);
        n += Q;
    }
    uint32_t *c0 = bad_spsc_cells(bad_cq(&g.m, 0)), *c1 = bad_spsc_cells(bad_cq(&g.m, 1));
    /* each slot is parked in exactly one of the two cells that name it */
    for (uint32_t i = 0; i < Q; i++) {
        CHECK(c0[i] == c1[i]);
        uint32_t owner = bad_slot(&g.m, c0[i])->owner;
        CHECK(owner == INDEXBUS_SLOT_PARKED_CONSUMER(0) || owner == INDEXBUS_SLOT_PARKED_CONSUMER(1));
        CHECK(bad_slot(&g.m, c0[i])->next_free == Q + i);
    }
    uint32_t a = c0[0], b = c0[1];
    bad_slot(&g.m, a)->next_free = 3; /* parked "for" another lap */
    bad_slot(&g.m, b)->owner = INDEXBUS_SLOT_PARKED_CONSUMER(2); /* a queue that does not exist */
    for (uint32_t lap = 0; lap < 4; lap++) {
        for (uint32_t i = 0; i < Q; i++)
            send(g.p, n + i);
        route(g.rt, INDEXBUS_MODE_BROADCAST, Q);
        for (uint32_t c = 0; c < 2; c++)
            for (uint32_t i = 0; i < Q; i++)
                expect(g.c[c], n + i); /* a slot handed out twice would break the bytes */
        n += Q;
    }
    CHECK(bad_slot(&g.m, a)->next_free == 3); /* never taken */
    CHECK(bad_slot(&g.m, b)->owner == INDEXBUS_SLOT_PARKED_CONSUMER(2));
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(g.r, &info));
    CHECK(info.free_slots == SLOTS - 2);
    for (uint32_t i = 0; i < 2; i++)
        indexbus_consumer_close(g.c[i]);
    indexbus_router_close(g.rt);
    indexbus_producer_close(g.p);
    g.n = 0;
    g.rt = NULL;
    g.p = NULL;
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(g.r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    CHECK(rep.slots_reclaimed == 2);
    check_all_free(&g, SLOTS);
    rig_close(&g);
}

/* Slots parked in a queue the router is not writing (work queue spread
 * over two consumers for a lap, nothing routed since) starve the pool: the
 * producer gets FULL, the router's idle poll gives them back, and the
 * producer goes on. */
static void test_starved_pool(void)
{
    rig g = rig_open(7, 2, 2 * Q, INDEXBUS_CREATE_RECYCLE);
    uint32_t n = 0;
    for (; n < 2 * Q; n++) {
        send(g.p, n);
        route(g.rt, INDEXBUS_MODE_WORK_QUEUE, 1);
        expect(g.c[n % 2], n);
    }
    CHECK((uint32_t)pool_word(&g.m) == INDEXBUS_SLOT_NIL); /* every slot parked */
    CHECK_ST(indexbus_publish(g.p, "x", 1), INDEXBUS_FULL);
    CHECK_ST(indexbus_route_once(g.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE),
             INDEXBUS_EMPTY);
    check_all_free(&g, 2 * Q); /* all back in the pool list, each once */
    CHECK((uint32_t)pool_word(&g.m) != INDEXBUS_SLOT_NIL);
    /* 2Q slots cannot fill the 3Q cells recycling would park them in: the
     * pool starves again each lap, and each time one idle poll refills it */
    uint32_t starved = 0;
    for (uint32_t lap = 0; lap < 4; lap++)
        for (uint32_t i = 0; i < 2 * Q; i++, n++) {
            char b[16];
            msg(b, n);
            int st = indexbus_publish(g.p, b, 6);
            if (st == INDEXBUS_FULL) {
                starved++;
                CHECK_ST(indexbus_route_once(g.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE),
                         INDEXBUS_EMPTY);
                st = indexbus_publish(g.p, b, 6);
            }
            CHECK_ST(st, INDEXBUS_OK);
            route(g.rt, INDEXBUS_MODE_WORK_QUEUE, 1);
            expect(g.c[n % 2], n);
        }
    CHECK(starved == 3); /* deterministic here: one refill per 21 or so messages */
    check_all_free(&g, 2 * Q);
    rig_close(&g);
}

/* A consumer that parked a message and died before moving head: recovery
 * drains its queue without releasing that slot again (which would put it
 * in the pool while the router may take it back from its cell too). */
IB_SHARED static char g_path[96];
IB_SHARED static volatile uint32_t *g_flag;

static int holder(int arg)
{
    indexbus_region *r;
    indexbus_consumer *c;
    (void)arg;
    REQUIRE_OK(indexbus_region_open(g_path, NULL, &r));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    __atomic_store_n(g_flag, 1, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
}

static void test_dead_after_park(void)
{
    rig g = rig_open(8, 2, SLOTS, INDEXBUS_CREATE_RECYCLE);
    snprintf(g_path, sizeof g_path, "%s", g.path);
    indexbus_consumer_close(g.c[0]);
    *g_flag = 0;
    pid_t pid = ib_spawn(holder, 0);
    while (__atomic_load_n(g_flag, __ATOMIC_SEQ_CST) == 0)
        usleep(100);
    for (uint32_t i = 0; i < 3; i++)
        send(g.p, i);
    route(g.rt, INDEXBUS_MODE_BROADCAST, 3);
    for (uint32_t i = 0; i < 3; i++)
        expect(g.c[1], i); /* consumer 1 first: consumer 0's release would be the last */
    /* as if consumer 0 had parked message 0 and died before moving head */
    indexbus_spsc_ctl *q0 = bad_cq(&g.m, 0);
    uint32_t s0 = bad_spsc_cells(q0)[0];
    CHECK(q0->head == 0 && bad_slot(&g.m, s0)->refcount == 1);
    bad_slot(&g.m, s0)->next_free = 0;
    bad_slot(&g.m, s0)->owner = INDEXBUS_SLOT_PARKED_CONSUMER(0);
    CHECK(ib_kill(pid) != 0);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(g.r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1 && rep.dropped == 3);
    CHECK(rep.slots_reclaimed == 2); /* messages 1 and 2; 0 stays parked in its cell */
    CHECK(bad_slot(&g.m, s0)->owner == INDEXBUS_SLOT_PARKED_CONSUMER(0));
    g.c[0] = NULL;
    g.n = 2;
    check_all_free(&g, SLOTS);
    rig_close(&g);
}

static const ib_helper helpers[] = {
    IB_HELPER(holder),
    {NULL, NULL},
};

/* Recycling needs a lap of slots for the producer's cells and one for the
 * consumers' (5.21); the creator refuses less, and kinds without slots; an
 * events region gets MPSC recycling (5.22). */
static void test_create_rules(void)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    const char *path = bad_path(9); /* bad_path unlinks: call it once */
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT));
    cfg.slot_count = cfg.queue_capacity = 64;
    cfg.flags = INDEXBUS_CREATE_RECYCLE;
    CHECK_ST(indexbus_region_create(path, &cfg, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_LOG));
    cfg.flags = INDEXBUS_CREATE_RECYCLE;
    CHECK_ST(indexbus_region_create(path, &cfg, &r), INDEXBUS_INVALID_ARGUMENT);
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS)); /* MPSC cells (5.22) */
    cfg.flags = INDEXBUS_CREATE_RECYCLE;
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    bad_map m = bad_map_file(path);
    CHECK(m.h->capabilities == (0x3Dull | INDEXBUS_CAP_SPSC_RECYCLE | INDEXBUS_CAP_MPSC_RECYCLE));
    CHECK(m.h->layout_minor == 3);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    g_flag = ib_shared(4096);
    REQUIRE(g_flag != NULL);
    test_broadcast(1, INDEXBUS_CREATE_RECYCLE);
    test_broadcast(3, INDEXBUS_CREATE_RECYCLE);
    test_broadcast(1, 0); /* the control: the pool moves on every message */
    test_work_queue();
    test_forged_parks();
    test_starved_pool();
    test_dead_after_park();
    test_create_rules();
    return ib_test_done("fanout-recycle");
}
