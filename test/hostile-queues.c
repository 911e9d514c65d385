/* hostile-queues.c - a rogue writer scribbles on live regions (through its own
 * mapping of the region file, at offsets from the header's directory):
 * queue positions, queue cells, MPSC sequence numbers, slot lengths, the
 * pool free list, consumer queues, refcounts and the participant table.
 * Every call must give a defined status - CORRUPT where the value read is
 * impossible - never a crash, and must recover where the API says so. */
#include <pthread.h>
#include <time.h>

#include "bad_util.h"

#define SLOTS 8u
#define DATA 64u
#define NC 3u

typedef struct live {
    const char *path;
    indexbus_region *r;
    bad_map m;
    indexbus_producer *p; /* events tests: closed by live_close_events */
    indexbus_consumer *c;
} live;

static live live_open(int n, uint32_t kind, uint32_t consumers)
{
    live l = {0};
    l.path = bad_path(n);
    bad_create(l.path, kind, SLOTS, 0, DATA, consumers, &l.r);
    l.m = bad_map_file(l.path);
    return l;
}

static void live_close(live *l)
{
    indexbus_info info = {.size = sizeof info};
    CHECK_ST(indexbus_region_info(l->r, &info), INDEXBUS_OK); /* still readable */
    bad_unmap(&l->m);
    indexbus_region_close(l->r);
    unlink(l->path);
}

/* A live events region with a producer of `type` (l.p) and consumer 0 (l.c). */
static live live_open_events(int n, uint32_t type)
{
    live l = live_open(n, INDEXBUS_KIND_EVENTS, 1);
    REQUIRE_OK(indexbus_producer_open(l.r, type, &l.p));
    REQUIRE_OK(indexbus_consumer_open(l.r, 0, &l.c));
    return l;
}

/* Close l.c and l.p, then the live region. */
static void live_close_events(live *l)
{
    indexbus_consumer_close(l->c);
    indexbus_producer_close(l->p);
    live_close(l);
}

static void pub(indexbus_producer *p, const char *s)
{
    REQUIRE_OK(indexbus_publish(p, s, strlen(s)));
}

static int recv_str(indexbus_consumer *c, char *buf)
{
    size_t len = 0;
    int st = indexbus_try_recv(c, buf, DATA, &len);
    buf[st == INDEXBUS_OK && len < DATA ? len : 0] = '\0';
    return st;
}

static void expect_str(indexbus_consumer *c, const char *want)
{
    char buf[DATA + 1];
    CHECK_ST(recv_str(c, buf), INDEXBUS_OK);
    if (strcmp(buf, want) != 0) {
        fprintf(stderr, "received '%s', want '%s'\n", buf, want);
        ib_test_failures++;
    }
}

static void expect_st(indexbus_consumer *c, int want)
{
    char buf[DATA + 1];
    CHECK_ST(recv_str(c, buf), want);
}

/* Every receive entry point reports CORRUPT (and takes nothing). */
static void expect_all_corrupt(indexbus_consumer *c)
{
    char buf[DATA];
    const void *data;
    size_t len, count = 9;
    uint32_t lens[4];
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_recv_begin(c, &data, &len), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_recv_batch(c, buf, sizeof buf, lens, 4, &count), INDEXBUS_CORRUPT);
    CHECK(count == 0);
    CHECK_ST(indexbus_wait(c, 0), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, 1000000), INDEXBUS_CORRUPT);
}

/* Receive entry point `how` (0 try_recv, 1 recv_begin, 2 recv_batch) reports
 * CORRUPT. */
static void expect_corrupt_from(indexbus_consumer *c, int how)
{
    char buf[DATA];
    const void *data;
    size_t len, count;
    uint32_t lens[4];
    if (how == 0)
        CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_CORRUPT);
    else if (how == 1)
        CHECK_ST(indexbus_recv_begin(c, &data, &len), INDEXBUS_CORRUPT);
    else
        CHECK_ST(indexbus_recv_batch(c, buf, sizeof buf, lens, 4, &count), INDEXBUS_CORRUPT);
}

/* publish, claim and publish_batch all report CORRUPT (and publish nothing). */
static void expect_publish_corrupt(indexbus_producer *p)
{
    void *buf;
    size_t published = 9;
    uint32_t len1 = 1;
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_claim(p, &buf, NULL), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_publish_batch(p, "x", &len1, 1, &published), INDEXBUS_CORRUPT);
    CHECK(published == 0);
}

static uint64_t delivered(indexbus_region *r, uint32_t i)
{
    indexbus_consumer_stats cs = {.size = sizeof cs};
    REQUIRE_OK(indexbus_region_consumer_stats(r, i, &cs));
    return cs.delivered;
}

/* ---- events: SPSC queue positions ------------------------------------------------ */

static void test_spsc_tail_impossible(void)
{
    live l = live_open_events(1, INDEXBUS_PRODUCER_SPSC);
    indexbus_spsc_ctl *q = bad_spsc(&l.m);

    q->tail = q->head + SLOTS + 5; /* more waiting than the queue holds */
    expect_all_corrupt(l.c);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(l.r, &info));
    CHECK(info.spsc_depth <= SLOTS); /* clamped, not garbage */
    indexbus_consumer_stats cs = {.size = sizeof cs};
    REQUIRE_OK(indexbus_region_consumer_stats(l.r, 0, &cs));
    CHECK(cs.depth <= 2 * SLOTS);

    q->tail = ~0ull; /* behind the reader */
    expect_all_corrupt(l.c);
    q->tail = 0; /* repaired: the consumer carries on */
    expect_st(l.c, INDEXBUS_EMPTY);
    pub(l.p, "after repair");
    expect_str(l.c, "after repair");
    live_close_events(&l);
}

/* The writer side of the SPSC producer queue sees an impossible head. */
static void test_spsc_head_impossible(void)
{
    live l = live_open(2, INDEXBUS_KIND_EVENTS, 1);
    void *buf;
    REQUIRE_OK(indexbus_consumer_open(l.r, 0, &l.c));
    indexbus_spsc_ctl *q = bad_spsc(&l.m);

    q->head = 1000; /* ahead of every write, before the producer attaches */
    REQUIRE_OK(indexbus_producer_open(l.r, INDEXBUS_PRODUCER_SPSC, &l.p));
    expect_publish_corrupt(l.p);
    CHECK(bad_free_slots(l.r) == SLOTS); /* nothing leaked */
    indexbus_producer_close(l.p);

    q->head = 0;
    REQUIRE_OK(indexbus_producer_open(l.r, INDEXBUS_PRODUCER_SPSC, &l.p));
    for (uint32_t i = 0; i < SLOTS; i++) /* fill the queue: the next publish re-reads head */
        CHECK_ST(indexbus_publish(l.p, "f", 1), INDEXBUS_OK);
    const uint64_t bad_heads[] = {SLOTS + 7, 0 - 3ull, 1ull << 63};
    for (int i = 0; i < 3; i++) {
        q->head = bad_heads[i];
        CHECK_ST(indexbus_publish(l.p, "x", 1), INDEXBUS_CORRUPT);
        CHECK_ST(indexbus_claim(l.p, &buf, NULL), INDEXBUS_CORRUPT);
    }
    q->head = 0; /* repaired */
    CHECK_ST(indexbus_publish(l.p, "x", 1), INDEXBUS_FULL);
    expect_str(l.c, "f");
    CHECK_ST(indexbus_publish(l.p, "y", 1), INDEXBUS_OK);
    live_close_events(&l);
}

/* ---- events: queue cells and slot headers --------------------------------------- */

/* Slot index the next queued message of the given queue refers to. */
static uint32_t *spsc_next_cell(const bad_map *m)
{
    indexbus_spsc_ctl *q = bad_spsc(m);
    return &bad_spsc_cells(q)[q->head & (m->h->queue_capacity - 1)];
}

static indexbus_mpsc_cell *mpsc_next_cell(const bad_map *m)
{
    indexbus_mpsc_ctl *q = bad_mpsc(m);
    return &bad_mpsc_cells(q)[q->head & (m->h->queue_capacity - 1)];
}

static uint32_t *next_index(const bad_map *m, uint32_t type)
{
    return type == INDEXBUS_PRODUCER_SPSC ? spsc_next_cell(m) : &mpsc_next_cell(m)->value;
}

static void test_bad_cells_and_lens(uint32_t type)
{
    live l = live_open_events(3, type);

    /* slot index out of range: skipped and reported, the next one is fine */
    const uint32_t bad_idx[] = {SLOTS, SLOTS + 7, INDEXBUS_SLOT_NIL};
    for (int i = 0; i < 3; i++) {
        pub(l.p, "bad");
        pub(l.p, "good");
        *next_index(&l.m, type) = bad_idx[i];
        uint64_t d = delivered(l.r, 0);
        expect_corrupt_from(l.c, i);
        CHECK(delivered(l.r, 0) == d); /* a skipped entry is not a delivery */
        expect_str(l.c, "good");
        CHECK(delivered(l.r, 0) == d + 1);
    }

    /* slot length beyond slot_data_size */
    const uint32_t bad_len[] = {DATA + 1, 0x7fffffff, 0xffffffff};
    for (int i = 0; i < 3; i++) {
        pub(l.p, "long");
        pub(l.p, "short");
        uint32_t idx = *next_index(&l.m, type);
        bad_slot(&l.m, idx)->len = bad_len[i];
        expect_corrupt_from(l.c, i);
        expect_str(l.c, "short");
    }
    expect_st(l.c, INDEXBUS_EMPTY);
    /* the producer still works (the skipped slots are lost, not reused) */
    pub(l.p, "still fine");
    expect_str(l.c, "still fine");
    live_close_events(&l);
}

/* ---- events: MPSC sequence numbers -------------------------------------------------- */

static void test_mpsc_seq(void)
{
    live l = live_open_events(4, INDEXBUS_PRODUCER_MPSC);
    indexbus_mpsc_ctl *q = bad_mpsc(&l.m);
    indexbus_mpsc_cell *cells = bad_mpsc_cells(q);
    const uint32_t mask = SLOTS - 1;

    /* reader: a cell whose seq is neither "free" nor "full" */
    pub(l.p, "seq");
    indexbus_mpsc_cell *cell = mpsc_next_cell(&l.m);
    uint64_t saved = cell->seq;
    const uint64_t bad_seq[] = {12345, saved + 1, ~0ull};
    for (int i = 0; i < 3; i++) {
        cell->seq = bad_seq[i];
        expect_all_corrupt(l.c);
    }
    cell->seq = saved; /* repaired */
    expect_str(l.c, "seq");

    /* writer: the cell at tail claims to be ahead of every reservation */
    uint64_t tail = q->tail;
    saved = cells[tail & mask].seq;
    cells[tail & mask].seq = tail + 5000;
    uint32_t free_before = bad_free_slots(l.r);
    CHECK_ST(indexbus_publish(l.p, "x", 1), INDEXBUS_CORRUPT);
    size_t published = 9;
    uint32_t len1 = 1;
    CHECK_ST(indexbus_publish_batch(l.p, "x", &len1, 1, &published), INDEXBUS_CORRUPT);
    CHECK(published == 0);
    CHECK(bad_free_slots(l.r) == free_before); /* slot given back */
    /* ... or behind it: looks like a full queue */
    cells[tail & mask].seq = tail - 5000;
    CHECK_ST(indexbus_publish(l.p, "x", 1), INDEXBUS_FULL);
    cells[tail & mask].seq = saved;
    pub(l.p, "repaired");
    expect_str(l.c, "repaired");

    /* garbage positions in the ctl line: a defined status, nothing else */
    const uint64_t bad_pos[] = {1ull << 62, ~0ull, 12345};
    uint64_t h0 = q->head, t0 = q->tail;
    for (int i = 0; i < 3; i++) {
        q->tail = bad_pos[i];
        int st = indexbus_publish(l.p, "x", 1);
        CHECK(st == INDEXBUS_FULL || st == INDEXBUS_CORRUPT || st == INDEXBUS_OK);
        q->head = bad_pos[i];
        indexbus_info info = {.size = sizeof info};
        REQUIRE_OK(indexbus_region_info(l.r, &info));
        CHECK(info.mpsc_depth <= SLOTS);
        q->head = h0;
        q->tail = t0;
    }
    live_close_events(&l);
}

/* ---- slot pool ----------------------------------------------------------------- */

static void test_pool(uint32_t type)
{
    live l = live_open_events(5, type);
    indexbus_pool_ctl *pool = bad_pool(&l.m);
    const uint64_t saved = pool->free_head;

    const uint32_t bad_head[] = {SLOTS, SLOTS + 3, 0x7fffffff};
    for (int i = 0; i < 3; i++) {
        pool->free_head = (saved & ~0xffffffffull) | bad_head[i];
        expect_publish_corrupt(l.p);
        CHECK(bad_free_slots(l.r) == 0); /* the walk stops at the bad index */
    }
    pool->free_head = INDEXBUS_SLOT_NIL; /* an empty pool is just FULL */
    CHECK_ST(indexbus_publish(l.p, "x", 1), INDEXBUS_FULL);
    pool->free_head = saved;
    pub(l.p, "ok");
    expect_str(l.c, "ok");

    /* a bad link further down the free list */
    uint32_t first = (uint32_t)pool->free_head;
    REQUIRE(first < SLOTS);
    bad_slot(&l.m, first)->next_free = 5000;
    pub(l.p, "takes the slot with the bad link");
    CHECK_ST(indexbus_publish(l.p, "x", 1), INDEXBUS_CORRUPT);
    CHECK(bad_free_slots(l.r) == 0);
    expect_str(l.c, "takes the slot with the bad link");
    /* freeing pushes in front of the bad link: one good slot again */
    CHECK(bad_free_slots(l.r) == 1);
    pub(l.p, "one more");
    expect_str(l.c, "one more");
    live_close_events(&l);
}

/* ---- refcounts ---------------------------------------------------------------- */

static void test_refcount_events(void)
{
    live l = live_open_events(6, INDEXBUS_PRODUCER_SPSC);
    const uint32_t bad_rc[] = {0, 2, 65, 0xdeadbeef};
    for (int i = 0; i < 4; i++) {
        pub(l.p, "rc");
        bad_slot(&l.m, *spsc_next_cell(&l.m))->refcount = bad_rc[i];
        expect_str(l.c, "rc"); /* data still delivered; the slot may be leaked */
        CHECK(bad_free_slots(l.r) <= SLOTS);
    }
    live_close_events(&l);
}

/* ---- fanout --------------------------------------------------------------------- */

typedef struct fan {
    live l;
    indexbus_router *rt;
    indexbus_producer *p, *m;
    indexbus_consumer *c[NC];
    uint32_t n;
} fan;

static fan fan_open(int n, uint32_t consumers)
{
    fan f;
    f.l = live_open(n, INDEXBUS_KIND_FANOUT, consumers);
    f.n = consumers;
    REQUIRE_OK(indexbus_router_open(f.l.r, &f.rt));
    REQUIRE_OK(indexbus_producer_open(f.l.r, INDEXBUS_PRODUCER_SPSC, &f.p));
    REQUIRE_OK(indexbus_producer_open(f.l.r, INDEXBUS_PRODUCER_MPSC, &f.m));
    for (uint32_t i = 0; i < consumers; i++)
        REQUIRE_OK(indexbus_consumer_open(f.l.r, i, &f.c[i]));
    return f;
}

static void fan_close(fan *f)
{
    for (uint32_t i = 0; i < f->n; i++)
        indexbus_consumer_close(f->c[i]);
    indexbus_producer_close(f->m);
    indexbus_producer_close(f->p);
    indexbus_router_close(f->rt);
    live_close(&f->l);
}

static int route(fan *f, uint32_t source)
{
    return indexbus_route_once(f->rt, source, INDEXBUS_MODE_BROADCAST);
}

typedef struct run_arg {
    indexbus_router *rt;
    indexbus_router_loop_config cfg;
    int status;
    int done; /* atomic */
} run_arg;

static void *run_router(void *p)
{
    run_arg *a = p;
    a->status = indexbus_router_run(a->rt, &a->cfg);
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* router_run on another thread; if it has not returned within 300 ms it is
 * stopped (so a library that spins forever fails the check, not the clock)
 * and -1 is returned. */
static int run_watched(indexbus_router *rt, uint32_t source, uint64_t *routed)
{
    run_arg a = {.rt = rt,
                 .cfg = {.size = sizeof a.cfg, .source = source, .spin_iters = 1,
                         .yield_iters = 1, .park_ns = 1000000}};
    pthread_t t;
    REQUIRE(pthread_create(&t, NULL, run_router, &a) == 0);
    for (int ms = 0; ms < 300 && !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE); ms++)
        nanosleep(&(struct timespec){0, 1000000}, NULL);
    int stopped = !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE);
    if (stopped)
        indexbus_router_stop(rt);
    pthread_join(t, NULL);
    if (stopped)
        fprintf(stderr, "router_run still running after 300 ms (stopped: %s)\n",
                indexbus_status_name(a.status));
    if (routed != NULL)
        *routed = a.cfg.routed;
    return stopped ? -1 : a.status;
}

static void test_fanout_sources(void)
{
    fan f = fan_open(7, NC);
    pub(f.p, "s1");
    pub(f.p, "s2");
    pub(f.p, "s3");
    indexbus_spsc_ctl *sq = bad_spsc(&f.l.m);
    bad_spsc_cells(sq)[(sq->head + 1) & (SLOTS - 1)] = SLOTS + 1; /* s2's entry */
    CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_OK);
    CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_CORRUPT);
    CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_OK); /* the router carries on */
    CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_EMPTY);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(f.l.r, &info));
    CHECK(info.routed == 2);
    for (uint32_t i = 0; i < NC; i++) {
        expect_str(f.c[i], "s1");
        expect_str(f.c[i], "s3");
        expect_st(f.c[i], INDEXBUS_EMPTY);
    }

    /* router_run stops with CORRUPT at a bad entry; route_once resumes after it */
    pub(f.m, "m1");
    pub(f.m, "m2");
    pub(f.m, "m3");
    indexbus_mpsc_ctl *mq = bad_mpsc(&f.l.m);
    bad_mpsc_cells(mq)[(mq->head + 1) & (SLOTS - 1)].value = 0xfffffffe;
    uint64_t routed = 0;
    CHECK_ST(run_watched(f.rt, INDEXBUS_SOURCE_MPSC, &routed), INDEXBUS_CORRUPT);
    CHECK(routed == 1);
    CHECK_ST(route(&f, INDEXBUS_SOURCE_MPSC), INDEXBUS_OK);
    for (uint32_t i = 0; i < NC; i++) {
        expect_str(f.c[i], "m1");
        expect_str(f.c[i], "m3");
    }

    /* MPSC seq garbage: CORRUPT until repaired */
    pub(f.m, "m4");
    indexbus_mpsc_cell *cell = mpsc_next_cell(&f.l.m);
    uint64_t saved = cell->seq;
    cell->seq = saved + 77;
    CHECK_ST(route(&f, INDEXBUS_SOURCE_MPSC), INDEXBUS_CORRUPT);
    CHECK_ST(route(&f, INDEXBUS_SOURCE_ANY), INDEXBUS_CORRUPT);
    cell->seq = saved;
    CHECK_ST(route(&f, INDEXBUS_SOURCE_ANY), INDEXBUS_OK);
    for (uint32_t i = 0; i < NC; i++)
        expect_str(f.c[i], "m4");

    /* SPSC source tail impossible */
    uint64_t t = sq->tail;
    sq->tail = sq->head + SLOTS + 1;
    CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_CORRUPT);
    sq->tail = t;
    CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_EMPTY);
    fan_close(&f);
}

/* Reattach the router so that it reads the (scribbled) consumer queue heads. */
static void reattach_router(fan *f)
{
    REQUIRE_OK(indexbus_router_close(f->rt));
    REQUIRE_OK(indexbus_router_open(f->l.r, &f->rt));
}

/* A consumer queue whose head is impossible, seen by the router (its writer). */
static void test_fanout_consumer_queue_head(void)
{
    indexbus_route_result res = {.size = sizeof res};
    const uint64_t bad_heads[] = {100, 0 - (uint64_t)SLOTS - 1, 1ull << 63};
    for (int i = 0; i < 3; i++) {
        fan f = fan_open(8, 1); /* the only consumer's queue is damaged */
        indexbus_spsc_ctl *cq = bad_cq(&f.l.m, 0);
        pub(f.p, "a");
        cq->head = bad_heads[i];
        reattach_router(&f);
        CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_CORRUPT);
        CHECK_ST(indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST,
                                           &res),
                 INDEXBUS_CORRUPT);
        CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_WORK_QUEUE),
                 INDEXBUS_CORRUPT);
        if (i == 0) /* the loop must report it too, not spin on "full" forever */
            CHECK_ST(run_watched(f.rt, INDEXBUS_SOURCE_SPSC, NULL), INDEXBUS_CORRUPT);
        cq->head = 0; /* repaired: the router carries on */
        CHECK_ST(route(&f, INDEXBUS_SOURCE_SPSC), INDEXBUS_OK);
        expect_str(f.c[0], "a");
        fan_close(&f);
    }

    /* with healthy consumers beside it, they keep getting messages */
    fan f = fan_open(9, NC);
    bad_cq(&f.l.m, 1)->head = 0 - 50ull;
    reattach_router(&f);
    for (int i = 0; i < 3; i++) {
        char s[16];
        snprintf(s, sizeof s, "h%d", i);
        pub(f.p, s);
        int st = indexbus_route_once_stats(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST,
                                           &res);
        CHECK(st == INDEXBUS_OK || st == INDEXBUS_CORRUPT);
        CHECK((res.delivered_mask & 2) == 0);
        if (st == INDEXBUS_CORRUPT) /* reported, then the healthy ones are served */
            CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST),
                     INDEXBUS_OK);
        expect_str(f.c[0], s);
        expect_str(f.c[2], s);
    }
    CHECK(bad_free_slots(f.l.r) <= SLOTS);
    fan_close(&f);
}

static void test_fanout_consumer_queue_reader(void)
{
    fan f = fan_open(10, NC);
    for (int i = 0; i < 2; i++) {
        pub(f.p, i ? "second" : "first");
        CHECK_ST(route(&f, INDEXBUS_SOURCE_ANY), INDEXBUS_OK);
    }
    /* consumer 0: its first entry points nowhere; consumer 1: tail impossible */
    indexbus_spsc_ctl *q0 = bad_cq(&f.l.m, 0), *q1 = bad_cq(&f.l.m, 1);
    bad_spsc_cells(q0)[q0->head & (SLOTS - 1)] = SLOTS;
    uint64_t t1 = q1->tail;
    q1->tail = q1->head + 2 * SLOTS;
    expect_st(f.c[0], INDEXBUS_CORRUPT);
    expect_str(f.c[0], "second");
    expect_all_corrupt(f.c[1]);
    q1->tail = t1;
    expect_str(f.c[1], "first");
    expect_str(f.c[1], "second");
    expect_str(f.c[2], "first");
    expect_str(f.c[2], "second");

    /* refcount garbage on a broadcast slot: delivered everywhere, no crash */
    pub(f.p, "rc");
    CHECK_ST(route(&f, INDEXBUS_SOURCE_ANY), INDEXBUS_OK);
    indexbus_spsc_ctl *q2 = bad_cq(&f.l.m, 2);
    bad_slot(&f.l.m, bad_spsc_cells(q2)[q2->head & (SLOTS - 1)])->refcount = 0xdeadbeef;
    for (uint32_t i = 0; i < NC; i++)
        expect_str(f.c[i], "rc");
    CHECK(bad_free_slots(f.l.r) <= SLOTS);

    /* work-queue cursor garbage is reduced modulo consumer_count */
    indexbus_router_section *rs = bad_sec(&f.l.m, INDEXBUS_SECTION_ROUTER);
    rs->rr_next = 0xfffffff0u;
    pub(f.p, "wq");
    CHECK_ST(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE), INDEXBUS_OK);
    int got = 0;
    for (uint32_t i = 0; i < NC; i++) {
        char buf[DATA + 1];
        got += recv_str(f.c[i], buf) == INDEXBUS_OK;
    }
    CHECK(got == 1);
    fan_close(&f);
}

/* ---- participant table -------------------------------------------------------------- */

static void test_participants(void)
{
    fan f = fan_open(11, NC);
    indexbus_participants_section *ps = bad_parts(&f.l.m);
    indexbus_producer *p2 = NULL;
    indexbus_consumer *c2 = NULL;
    indexbus_router *rt2 = NULL;
    /* owners are held (by us): further exclusive opens are BUSY */
    CHECK_ST(indexbus_producer_open(f.l.r, INDEXBUS_PRODUCER_SPSC, &p2), INDEXBUS_BUSY);
    indexbus_consumer_close(f.c[0]);
    ps->consumer_owner[0] = 0x12345678; /* a stranger's garbage */
    CHECK_ST(indexbus_consumer_open(f.l.r, 0, &f.c[0]), INDEXBUS_BUSY);
    ps->consumer_owner[0] = 0;
    REQUIRE_OK(indexbus_consumer_open(f.l.r, 0, &f.c[0]));

    /* every entry taken (or garbage): no room, BUSY */
    uint32_t saved[INDEXBUS_MAX_PARTICIPANTS];
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        saved[i] = ps->entries[i].state;
        if (saved[i] == INDEXBUS_PARTICIPANT_FREE)
            ps->entries[i].state = i % 2 ? INDEXBUS_PARTICIPANT_ACTIVE : 0xdead;
    }
    /* the fake ACTIVE entries hold no liveness lock: the refused open
     * recovers them as dead and then succeeds; the garbage states stay */
    CHECK_ST(indexbus_producer_open(f.l.r, INDEXBUS_PRODUCER_MPSC, &p2), INDEXBUS_OK);
    CHECK(p2 != NULL);
    indexbus_producer_close(p2);
    p2 = NULL;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        if (saved[i] == INDEXBUS_PARTICIPANT_FREE)
            CHECK(ps->entries[i].state == (i % 2 ? INDEXBUS_PARTICIPANT_FREE : 0xdead));
    indexbus_consumer_close(f.c[1]);
    f.c[1] = NULL;
    /* ... closing frees our own entry, which the next open reuses */
    REQUIRE_OK(indexbus_consumer_open(f.l.r, 1, &c2));
    f.c[1] = c2;
    CHECK_ST(indexbus_router_open(f.l.r, &rt2), INDEXBUS_BUSY);
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        if (saved[i] == INDEXBUS_PARTICIPANT_FREE)
            ps->entries[i].state = INDEXBUS_PARTICIPANT_FREE;

    /* live counters and wake words full of garbage: publishing still works */
    ps->ctl.producers_live = 0xffffffffu;
    indexbus_wake_entry *w = bad_sec(&f.l.m, INDEXBUS_SECTION_WAKE);
    for (uint32_t i = 0; i <= NC; i++)
        w[i].waiters = 0xffffffffu;
    pub(f.p, "noise");
    CHECK_ST(route(&f, INDEXBUS_SOURCE_ANY), INDEXBUS_OK);
    expect_str(f.c[2], "noise");
    for (uint32_t i = 0; i <= NC; i++)
        w[i].waiters = 0;
    ps->ctl.producers_live = 2;
    fan_close(&f);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    test_spsc_tail_impossible();
    test_spsc_head_impossible();
    test_bad_cells_and_lens(INDEXBUS_PRODUCER_SPSC);
    test_bad_cells_and_lens(INDEXBUS_PRODUCER_MPSC);
    test_mpsc_seq();
    test_pool(INDEXBUS_PRODUCER_SPSC);
    test_pool(INDEXBUS_PRODUCER_MPSC);
    test_refcount_events();
    test_fanout_sources();
    test_fanout_consumer_queue_head();
    test_fanout_consumer_queue_reader();
    test_participants();
    return ib_test_done("hostile-queues");
}
