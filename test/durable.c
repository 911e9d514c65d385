/*
 * durable.c - regions with durable state (INDEXBUS_CREATE_DURABLE, layout
 * 1.2, LAYOUT.md 4.12, 5.20) in one process and across processes:
 *   - create: events, fanout and byte logs take the flag, streams and
 *     request/response refuse it; layout minor 2, capability bits 9 and 36,
 *     the DURABLE section last in the directory with its exact length; a
 *     reader before 1.3 sees an incompat bit it does not know (INCOMPATIBLE);
 *   - the region id: random, different between regions, the same across
 *     opens; WRONG_KIND without durable state;
 *   - marked batches: exact marks after whole, FULL and TOO_LARGE batches;
 *     bad marks (0, not increasing, not above the mark) refused with
 *     nothing published; unmarked publishes leave the mark alone; the mark
 *     survives close and reopen; MPSC producers get BAD_STATE;
 *   - bridge counters: add/get, OUT_OF_RANGE, bad sizes, and several
 *     processes adding at once with no count lost.
 * Kills in the middle of a marked batch are in durable-kill.c.
 */
#include "durable_util.h"

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

#define EV INDEXBUS_KIND_EVENTS
#define FO INDEXBUS_KIND_FANOUT
#define LG INDEXBUS_KIND_LOG

static const uint32_t kinds[3] = {EV, FO, LG};

static uint64_t mark_of(uint32_t seq) { return 100u + 3ull * seq; }

/* ---- create, header, info, id ----------------------------------------------- */

static void read_file(const char *name, uint64_t off, void *buf, size_t n)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    FILE *f = fopen(path, "rb");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, (long)off, SEEK_SET) == 0 && fread(buf, 1, n, f) == n);
    fclose(f);
}

/* The DURABLE section is the last directory entry, of exactly its length,
 * and the region id in it is what indexbus_region_id gives. */
static void check_section(const char *name, indexbus_region *r, uint32_t kind)
{
    indexbus_region_header h;
    read_file(name, 0, &h, sizeof h);
    REQUIRE(h.section_count >= 1 && h.section_count <= INDEXBUS_MAX_SECTIONS);
    const indexbus_section_entry *e = &h.sections[h.section_count - 1];
    uint64_t want = sizeof(indexbus_durable_ctl) +
                    (1u + du_consumers(kind)) * sizeof(indexbus_durable_counters);
    CHECK(e->kind == INDEXBUS_SECTION_DURABLE && e->length == want);
    CHECK(e->offset % INDEXBUS_CACHE_LINE == 0 && e->offset + e->length <= h.total_bytes);
    CHECK(h.total_bytes % INDEXBUS_PAGE == 0 && h.total_bytes - (e->offset + e->length) < INDEXBUS_PAGE);
    for (uint32_t i = 0; i + 1 < h.section_count; i++)
        CHECK(h.sections[i].kind != INDEXBUS_SECTION_DURABLE &&
              h.sections[i].offset + h.sections[i].length <= e->offset);
    indexbus_durable_ctl d;
    read_file(name, e->offset, &d, sizeof d);
    uint8_t id[16];
    REQUIRE_OK(indexbus_region_id(r, id));
    CHECK(memcmp(id, d.region_id, 16) == 0);
    CHECK(d.mark.mark == 0 && d.mark.pend_mark == 0 && d.hold_mask == 0);
}

static void create_kinds(void)
{
    /* what a reader of 1.0 and one of 1.1 know: bit 36 is neither */
    const uint64_t known_1_0 = INDEXBUS_CAP_SPSC_RECYCLE;
    const uint64_t known_1_1 = known_1_0 | INDEXBUS_CAP_BYTE_LOG | INDEXBUS_CAP_BYTE_STREAM |
                               INDEXBUS_CAP_RPC_CELLS;
    uint8_t ids[3][16];
    for (int k = 0; k < 3; k++) {
        const char *name = ib_test_name("dur-create");
        indexbus_region *r = du_create(name, kinds[k]);
        indexbus_info info = mp_info(r);
        CHECK(info.kind == kinds[k] && info.layout_major == 1 && info.layout_minor == 2);
        CHECK(info.capabilities & INDEXBUS_CAP_DURABLE);
        CHECK(info.capabilities & INDEXBUS_CAP_DURABLE_STATE);
        CHECK((info.capabilities & INDEXBUS_CAP_INCOMPAT_MASK & ~known_1_1) ==
              INDEXBUS_CAP_DURABLE_STATE);
        CHECK((info.capabilities & INDEXBUS_CAP_INCOMPAT_MASK & ~known_1_0) != 0);
        check_section(name, r, kinds[k]);
        REQUIRE_OK(indexbus_region_id(r, ids[k]));
        static const uint8_t zero[16];
        CHECK(memcmp(ids[k], zero, 16) != 0);
        for (int j = 0; j < k; j++)
            CHECK(memcmp(ids[k], ids[j], 16) != 0);
        /* the same after close and reopen, by another handle */
        indexbus_region_close(r);
        r = mp_open(name);
        uint8_t again[16];
        REQUIRE_OK(indexbus_region_id(r, again));
        CHECK(memcmp(again, ids[k], 16) == 0);
        CHECK_ST(indexbus_region_id(r, NULL), INDEXBUS_INVALID_ARGUMENT);
        CHECK_ST(indexbus_region_id(NULL, again), INDEXBUS_INVALID_ARGUMENT);
        indexbus_region_close(r);
        indexbus_region_unlink(name);
    }
    /* streams and request/response have no durable state: refused, no file */
    const uint32_t refused[2] = {INDEXBUS_KIND_STREAM, INDEXBUS_KIND_RPC};
    for (int k = 0; k < 2; k++) {
        const char *name = ib_test_name("dur-refused");
        indexbus_region *r = NULL;
        CHECK_ST(du_create_st(name, refused[k], INDEXBUS_CREATE_DURABLE, &r),
                 INDEXBUS_INVALID_ARGUMENT);
        CHECK(r == NULL);
        CHECK_ST(indexbus_region_open(name, NULL, &r), INDEXBUS_NOT_FOUND);
    }
}

/* A region without durable state: WRONG_KIND for every durable call,
 * and its header as 1.0 wrote it. */
static void not_durable(void)
{
    for (int k = 0; k < 3; k++) {
        const char *name = ib_test_name("dur-plain");
        indexbus_region *r = NULL;
        REQUIRE_OK(du_create_st(name, kinds[k], 0, &r));
        indexbus_info info = mp_info(r);
        CHECK(info.layout_minor == (kinds[k] == LG ? 1 : 0));
        CHECK(!(info.capabilities & (INDEXBUS_CAP_DURABLE | INDEXBUS_CAP_DURABLE_STATE)));
        uint8_t id[16];
        CHECK_ST(indexbus_region_id(r, id), INDEXBUS_WRONG_KIND);
        indexbus_bridge_counters bc = {.size = sizeof bc, .forwarded = 1};
        CHECK_ST(indexbus_bridge_counters_add(r, INDEXBUS_BRIDGE_IN, &bc), INDEXBUS_WRONG_KIND);
        CHECK_ST(indexbus_bridge_counters_get(r, 0, &bc), INDEXBUS_WRONG_KIND);
        indexbus_producer *p;
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
        uint64_t mark = 7, marks[1] = {1};
        uint32_t lens[1] = {DU_LEN};
        uint8_t data[DU_LEN] = {0};
        size_t done = 9;
        CHECK_ST(indexbus_producer_mark(p, &mark), INDEXBUS_WRONG_KIND);
        CHECK_ST(indexbus_publish_batch_marked(p, data, lens, marks, 1, &done), INDEXBUS_WRONG_KIND);
        CHECK(done == 0 && mp_info(r).published == 0);
        indexbus_producer_close(p);
        indexbus_region_close(r);
        indexbus_region_unlink(name);
    }
}

/* ---- marked batches ------------------------------------------------------------ */

typedef struct rig {
    const char *name;
    uint32_t kind;
    indexbus_region *r;
    indexbus_consumer *c;
    indexbus_router *rt;
    uint32_t next_seq; /* what the consumer expects next */
    uint64_t last_mark; /* of the last marked message received */
} rig;

static void rig_open(rig *g, uint32_t kind)
{
    memset(g, 0, sizeof *g);
    g->kind = kind;
    g->name = ib_test_name("dur-marked");
    g->r = du_create(g->name, kind);
    REQUIRE_OK(indexbus_consumer_open(g->r, 0, &g->c));
    if (kind == FO)
        REQUIRE_OK(indexbus_router_open(g->r, &g->rt));
}

static void rig_close(rig *g)
{
    indexbus_router_close(g->rt);
    indexbus_consumer_close(g->c);
    indexbus_region_close(g->r);
    indexbus_region_unlink(g->name);
}

/* Receive exactly n messages, in sequence; then nothing is waiting. */
static void expect_msgs(rig *g, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint64_t mark;
        uint32_t seq;
        int st = du_recv(g->c, g->rt, &mark, &seq);
        if (st != INDEXBUS_OK || seq != g->next_seq) {
            fprintf(stderr, "%s: message %u of %u: %s, seq %u, want %u\n", du_kind_name(g->kind),
                    i, n, indexbus_status_name(st), seq, g->next_seq);
            ib_test_failures++;
            return;
        }
        g->next_seq++;
        g->last_mark = mark;
    }
    uint64_t mark;
    uint32_t seq;
    int st = du_recv(g->c, g->rt, &mark, &seq); /* DISCONNECTED: no producer open */
    CHECK(st == INDEXBUS_EMPTY || st == INDEXBUS_DISCONNECTED);
}

static uint64_t mark_now(indexbus_producer *p)
{
    uint64_t m = UINT64_MAX;
    CHECK_ST(indexbus_producer_mark(p, &m), INDEXBUS_OK);
    return m;
}

/* Marked batches that are refused publish nothing and keep the mark. */
static void bad_marks(rig *g, indexbus_producer *p, uint8_t *data, uint32_t *lens)
{
    uint64_t m0 = mark_now(p);
    const uint64_t cases[][3] = {
        {0, m0 + 5, m0 + 6},      /* zero */
        {m0 + 5, m0 + 5, m0 + 6}, /* repeated */
        {m0 + 5, m0 + 4, m0 + 6}, /* decreasing */
        {m0, m0 + 1, m0 + 2},     /* not above the mark */
        {m0 + 1, m0 + 2, 0},      /* zero last */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t done = 9;
        CHECK_ST(indexbus_publish_batch_marked(p, data, lens, cases[i], 3, &done),
                 INDEXBUS_INVALID_ARGUMENT);
        CHECK(done == 0);
    }
    if (m0 > 1) { /* below the mark */
        const uint64_t below[1] = {m0 - 1};
        CHECK_ST(indexbus_publish_batch_marked(p, data, lens, below, 1, NULL),
                 INDEXBUS_INVALID_ARGUMENT);
    }
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, NULL, 1, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_publish_batch_marked(p, NULL, lens, cases[0], 1, NULL),
             INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_publish_batch_marked(NULL, data, lens, cases[0], 1, NULL),
             INDEXBUS_INVALID_ARGUMENT);
    size_t done = 9;
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, cases[0], 0, &done), INDEXBUS_OK);
    CHECK(done == 0 && mark_now(p) == m0);
    expect_msgs(g, 0);
}

/* FULL in the middle of a marked batch: the mark is that of the last
 * message committed, which is the last the consumer gets. */
static void full_batch(rig *g, indexbus_producer *p)
{
    uint32_t n = g->kind == LG ? DU_RING / 32u + 10u : DU_SLOTS + 10u; /* stride 32 */
    uint8_t *data = malloc((size_t)n * DU_LEN);
    uint32_t *lens = malloc(n * sizeof *lens);
    uint64_t *marks = malloc(n * sizeof *marks);
    REQUIRE(data && lens && marks);
    du_batch(data, lens, marks, g->next_seq, n, mark_of);
    size_t done = 0;
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, marks, n, &done), INDEXBUS_FULL);
    CHECK(done > 0 && done < n);
    if (done > 0 && done < n) {
        CHECK(mark_now(p) == marks[done - 1]);
        expect_msgs(g, (uint32_t)done);
        CHECK(g->last_mark == marks[done - 1]);
    }
    free(data);
    free(lens);
    free(marks);
}

static void marked_kind(uint32_t kind)
{
    rig g;
    rig_open(&g, kind);
    uint8_t data[200 * DU_LEN];
    uint32_t lens[200];
    uint64_t marks[200];
    indexbus_producer *p, *q;
    /* MPSC producers neither publish marked nor have a mark (a byte log
     * takes one producer kind at a time, so before the SPSC one) */
    REQUIRE_OK(indexbus_producer_open(g.r, INDEXBUS_PRODUCER_MPSC, &q));
    du_batch(data, lens, marks, 0, 3, mark_of);
    uint64_t m;
    CHECK_ST(indexbus_publish_batch_marked(q, data, lens, marks, 3, NULL), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_producer_mark(q, &m), INDEXBUS_BAD_STATE);
    indexbus_producer_close(q);
    REQUIRE_OK(indexbus_producer_open(g.r, INDEXBUS_PRODUCER_SPSC, &p));
    CHECK(mark_now(p) == 0);
    CHECK_ST(indexbus_producer_mark(p, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_producer_mark(NULL, &m), INDEXBUS_INVALID_ARGUMENT);
    bad_marks(&g, p, data, lens);

    /* 150 messages: three pieces (64, 64, 22) */
    size_t done = 0;
    du_batch(data, lens, marks, g.next_seq, 150, mark_of);
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, marks, 150, &done), INDEXBUS_OK);
    CHECK(done == 150 && mark_now(p) == mark_of(149));
    expect_msgs(&g, 150);
    CHECK(g.last_mark == mark_of(149));
    bad_marks(&g, p, data, lens);

    /* unmarked publishes leave the mark as it is */
    du_batch(data, lens, marks, g.next_seq, 3, mark_of);
    CHECK_ST(indexbus_publish_batch(p, data, lens, 3, &done), INDEXBUS_OK);
    CHECK(done == 3 && mark_now(p) == mark_of(149));
    expect_msgs(&g, 3);
    CHECK_ST(indexbus_publish(p, data, 0), INDEXBUS_OK);
    CHECK(mark_now(p) == mark_of(149));
    du_route(g.rt);
    uint8_t buf[DU_MAXREC];
    size_t len = 9;
    CHECK_ST(indexbus_try_recv(g.c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 0);

    /* TOO_LARGE at message 2: the first two are committed, and marked */
    du_batch(data, lens, marks, g.next_seq, 4, mark_of);
    lens[2] = kind == LG ? DU_MAXREC + 1 : DU_DATA + 1;
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, marks, 4, &done), INDEXBUS_TOO_LARGE);
    CHECK(done == 2 && mark_now(p) == marks[1]);
    expect_msgs(&g, 2);
    CHECK(g.last_mark == marks[1]);

    full_batch(&g, p);

    /* the mark outlives the producer, and a later one continues above it */
    uint64_t kept = mark_now(p);
    indexbus_producer_close(p);
    indexbus_region *r2 = mp_open(g.name);
    REQUIRE_OK(indexbus_producer_open(r2, INDEXBUS_PRODUCER_SPSC, &p));
    CHECK(mark_now(p) == kept);
    const uint64_t same[1] = {kept};
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, same, 1, NULL), INDEXBUS_INVALID_ARGUMENT);
    du_batch(data, lens, marks, g.next_seq, 1, mark_of);
    CHECK(marks[0] > kept);
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, marks, 1, &done), INDEXBUS_OK);
    CHECK(done == 1 && mark_now(p) == marks[0]);
    expect_msgs(&g, 1);
    indexbus_producer_close(p);
    indexbus_region_close(r2);
    rig_close(&g);
}

/* ---- a journal left behind, and hostile journals -------------------------------- */

/* The DURABLE section and the queue / ring control of the region file,
 * mapped writable: what a foreign or broken writer could leave there. */
typedef struct raw {
    uint8_t *base;
    size_t len;
    indexbus_durable_mark *m;
    indexbus_spsc_ctl *spsc;
    indexbus_log_ctl *log;
} raw;

static void raw_map(raw *w, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    FILE *f = fopen(path, "r+b");
    REQUIRE(f != NULL && fseek(f, 0, SEEK_END) == 0);
    w->len = (size_t)ftell(f);
    w->base = mmap(NULL, w->len, PROT_READ | PROT_WRITE, MAP_SHARED, fileno(f), 0);
    fclose(f);
    REQUIRE(w->base != MAP_FAILED);
    const indexbus_region_header *h = (const indexbus_region_header *)w->base;
    w->m = NULL, w->spsc = NULL, w->log = NULL;
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++) {
        uint8_t *at = w->base + h->sections[i].offset;
        if (h->sections[i].kind == INDEXBUS_SECTION_DURABLE)
            w->m = (indexbus_durable_mark *)at;
        else if (h->sections[i].kind == INDEXBUS_SECTION_SPSC_QUEUE)
            w->spsc = (indexbus_spsc_ctl *)at;
        else if (h->sections[i].kind == INDEXBUS_SECTION_LOG_RING)
            w->log = (indexbus_log_ctl *)at;
    }
    REQUIRE(w->m != NULL);
}

/* Leave a journal (pend_mark, pend_pos) with no producer attached; the
 * next SPSC producer settles it at open: its mark, and the journal clear. */
static uint64_t settle_at_open(rig *g, const raw *w, uint64_t pend, uint64_t pos)
{
    __atomic_store_n(&w->m->pend_pos, pos, __ATOMIC_RELAXED);
    __atomic_store_n(&w->m->pend_mark, pend, __ATOMIC_RELEASE);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(g->r, INDEXBUS_PRODUCER_SPSC, &p));
    uint64_t mark = mark_now(p);
    CHECK(__atomic_load_n(&w->m->pend_mark, __ATOMIC_ACQUIRE) == 0);
    CHECK(__atomic_load_n(&w->m->mark, __ATOMIC_ACQUIRE) == mark);
    indexbus_producer_close(p);
    return mark;
}

static void left_journal(uint32_t kind)
{
    rig g;
    rig_open(&g, kind);
    raw w;
    raw_map(&w, g.name);
    indexbus_producer *p;
    uint8_t data[4 * DU_LEN];
    uint32_t lens[4];
    uint64_t marks[4];
    REQUIRE_OK(indexbus_producer_open(g.r, INDEXBUS_PRODUCER_SPSC, &p));
    du_batch(data, lens, marks, 0, 4, mark_of);
    REQUIRE_OK(indexbus_publish_batch_marked(p, data, lens, marks, 4, NULL));
    indexbus_producer_close(p);
    uint64_t m = marks[3];
    if (w.log == NULL) {
        uint64_t tail = __atomic_load_n(&w.spsc->tail, __ATOMIC_ACQUIRE);
        CHECK(settle_at_open(&g, &w, m + 1, tail + 1) == m);      /* not published */
        CHECK(settle_at_open(&g, &w, m + 1, tail + 64) == m);     /* a whole piece ahead */
        CHECK(settle_at_open(&g, &w, m + 1, tail + 100000) == m); /* nonsense */
        CHECK(settle_at_open(&g, &w, m + 1, tail - 100000) == m); /* nonsense */
        CHECK(settle_at_open(&g, &w, m - 1, tail) == m);          /* below the mark */
        CHECK(settle_at_open(&g, &w, m, tail) == m);              /* died after the mark */
        CHECK(settle_at_open(&g, &w, m + 5, tail) == m + 5);      /* published */
        m += 5;
        CHECK(settle_at_open(&g, &w, m + 5, tail - 4) == m + 5); /* published, more after */
        m += 5;
    } else {
        uint64_t tail = __atomic_load_n(&w.log->tail, __ATOMIC_ACQUIRE);
        uint64_t last = tail - 32; /* the last record (stride 32) */
        CHECK(settle_at_open(&g, &w, m + 1, tail) == m);          /* not reserved */
        CHECK(settle_at_open(&g, &w, m + 1, last + 4) == m);      /* misaligned */
        CHECK(settle_at_open(&g, &w, m + 1, tail - DU_RING - 8) == m); /* a lap behind */
        CHECK(settle_at_open(&g, &w, m + 1, ~7ull) == m);         /* nonsense */
        CHECK(settle_at_open(&g, &w, m - 1, last) == m);          /* below the mark */
        CHECK(settle_at_open(&g, &w, m + 3, last) == m + 3);      /* a RECORD: published */
        m += 3;
        expect_msgs(&g, 4); /* read and given back: the header is zero now */
        CHECK(settle_at_open(&g, &w, m + 3, last) == m + 3); /* read past it: published */
        m += 3;
    }
    if (w.log == NULL)
        expect_msgs(&g, 4);
    /* the next producer goes on above the settled mark */
    REQUIRE_OK(indexbus_producer_open(g.r, INDEXBUS_PRODUCER_SPSC, &p));
    CHECK(mark_now(p) == m);
    du_batch(data, lens, marks, g.next_seq, 1, mark_of);
    marks[0] = m + 1;
    memcpy(data, &marks[0], 8);
    CHECK_ST(indexbus_publish_batch_marked(p, data, lens, marks, 1, NULL), INDEXBUS_OK);
    CHECK(mark_now(p) == m + 1);
    indexbus_producer_close(p);
    munmap(w.base, w.len);
    rig_close(&g);
}

/* ---- bridge counters ----------------------------------------------------------- */

#define ADDERS 3
#define ADDS 2000

static int adder(int which)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_bridge_counters one = {.size = sizeof one, .forwarded = 1, .acknowledged = 2,
                                    .resent = 3, .deduplicated = 4, .refused = 5};
    mp_barrier(&g_ctl->counter[0], ADDERS);
    for (int i = 0; i < ADDS; i++) {
        CHECK_ST(indexbus_bridge_counters_add(r, INDEXBUS_BRIDGE_IN, &one), INDEXBUS_OK);
        CHECK_ST(indexbus_bridge_counters_add(r, (uint32_t)which, &one), INDEXBUS_OK);
    }
    indexbus_region_close(r);
    return 0;
}

static void expect_counts(indexbus_region *r, uint32_t which, uint64_t n)
{
    indexbus_bridge_counters c = {.size = sizeof c};
    CHECK_ST(indexbus_bridge_counters_get(r, which, &c), INDEXBUS_OK);
    CHECK(c.size == sizeof c && c.forwarded == n && c.acknowledged == 2 * n && c.resent == 3 * n &&
          c.deduplicated == 4 * n && c.refused == 5 * n);
}

static void counters(void)
{
    g_name = ib_test_name("dur-counters");
    g_ctl = mp_ctl_new();
    indexbus_region *r = du_create(g_name, FO);
    indexbus_bridge_counters c = {.size = sizeof c};
    /* lines: IN, and out per consumer (0, 1); nothing else */
    expect_counts(r, INDEXBUS_BRIDGE_IN, 0);
    expect_counts(r, 0, 0);
    expect_counts(r, 1, 0);
    CHECK_ST(indexbus_bridge_counters_get(r, DU_FANOUT, &c), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_bridge_counters_get(r, 63, &c), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_bridge_counters_get(r, 65, &c), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_bridge_counters_add(r, DU_FANOUT, &c), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_bridge_counters_add(r, UINT32_MAX, &c), INDEXBUS_OUT_OF_RANGE);
    indexbus_bridge_counters small = {.size = sizeof small - 8, .forwarded = 1};
    CHECK_ST(indexbus_bridge_counters_add(r, 0, &small), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_bridge_counters_get(r, 0, &small), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_bridge_counters_add(r, 0, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_bridge_counters_get(NULL, 0, &c), INDEXBUS_INVALID_ARGUMENT);
    expect_counts(r, 0, 0);
    /* three processes add at once: line IN gets all, line i its adder's */
    pid_t pids[ADDERS];
    for (int i = 0; i < ADDERS; i++)
        pids[i] = ib_spawn(adder, i % 2);
    CHECK(mp_join_all(pids, ADDERS) == 0);
    expect_counts(r, INDEXBUS_BRIDGE_IN, (uint64_t)ADDERS * ADDS);
    expect_counts(r, 0, 2ull * ADDS);
    expect_counts(r, 1, 1ull * ADDS);
    /* kept in the region: another handle reads the same */
    indexbus_region *r2 = mp_open(g_name);
    expect_counts(r2, INDEXBUS_BRIDGE_IN, (uint64_t)ADDERS * ADDS);
    indexbus_region_close(r2);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

static const ib_helper helpers[] = {IB_HELPER(adder), {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    create_kinds();
    not_durable();
    for (int k = 0; k < 3; k++)
        marked_kind(kinds[k]);
    for (int k = 0; k < 3; k++)
        left_journal(kinds[k]);
    counters();
    return ib_test_done("durable");
}
