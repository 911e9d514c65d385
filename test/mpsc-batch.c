/* mpsc-batch.c - MPSC batch reservation (layout 1.3, INDEXBUS_CAP_MPSC_BATCH,
 * LAYOUT.md 5.4.1). Exact stores: a batch of k takes its cells with one
 * CAS on tail in a bit-38 region and with k in a plain one (every store of
 * the producer stopped by test/write_trap.h). A cell a recoverer skips
 * under a live producer's reservation: the rest is skipped by the producer
 * itself and the messages arrive once, in order. Recovery of forged dead
 * journals: every unfilled cell of the reservation below tail skipped,
 * hostile counts clamped, a plain region skipping one. A producer process
 * SIGKILLed after every single store of a batch, in both kinds of region:
 * an exact prefix arrives, every reserved cell is filled or skipped, the
 * queue moves on, and the slots come back with a sweep. Producers from
 * several processes, batching and single, in events and fanout regions:
 * in order per producer, nothing lost or duplicated. producer_space counts
 * only up to the queue space it found. */
#include <signal.h>
#include <sys/wait.h>

#include "mp_util.h"
#include "wt_raw.h"

#define DATA 64u
#define SLOTS 256u

/* The one live MPSC producer's entry (its journal words). */
static indexbus_participant *producer_entry(const raw *w)
{
    indexbus_participant *found = NULL;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        indexbus_participant *e = &w->parts->entries[i];
        if (e->state == INDEXBUS_PARTICIPANT_ACTIVE && e->role == INDEXBUS_ROLE_MPSC_PRODUCER) {
            REQUIRE(found == NULL);
            found = e;
        }
    }
    REQUIRE(found != NULL);
    return found;
}

/* The journal is clear: no reservation named, no count left. */
static int journal_clear(const raw *w)
{
    const indexbus_participant *e = producer_entry(w);
    return e->mpsc_reserve == 0 && e->reserved == 0;
}

static uint64_t ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

static indexbus_region *create(const char *name, uint32_t kind, uint32_t queue, uint32_t consumers,
                               uint32_t flags)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    cfg.slot_count = SLOTS;
    cfg.slot_data_size = DATA;
    cfg.queue_capacity = queue;
    if (consumers)
        cfg.consumer_count = consumers;
    cfg.flags = flags;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    return r;
}

/* Message seq of sender id: an mp_rec, then bytes derived from both. */
static uint32_t rec_len(uint32_t seq) { return (uint32_t)sizeof(mp_rec) + seq % (DATA - sizeof(mp_rec) + 1); }

static size_t make_batch(uint8_t *buf, uint32_t *lens, uint32_t id, uint32_t seq, uint32_t n)
{
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        lens[i] = rec_len(seq + i);
        mp_rec rec = {.sender = id, .seq = seq + i};
        memcpy(buf + off, &rec, sizeof rec);
        mp_fill(buf + off + sizeof rec, (uint64_t)id + 10, seq + i, lens[i] - sizeof rec);
        off += lens[i];
    }
    return off;
}

/* Receive what is there: each must be the next of its sender (ids < 8). */
static int drain(indexbus_consumer *c, uint32_t *next, uint64_t *total)
{
    uint8_t buf[DATA];
    size_t len = 0;
    int st;
    while ((st = indexbus_try_recv(c, buf, sizeof buf, &len)) == INDEXBUS_OK) {
        mp_rec rec;
        REQUIRE(len >= sizeof rec);
        memcpy(&rec, buf, sizeof rec);
        if (rec.sender >= 8 || rec.seq != next[rec.sender] ||
            !mp_check_fill(buf + sizeof rec, len - sizeof rec, (uint64_t)rec.sender + 10, rec.seq,
                           rec_len(rec.seq) - sizeof rec)) {
            fprintf(stderr, "got sender %u seq %u, want %u\n", rec.sender, rec.seq,
                    rec.sender < 8 ? next[rec.sender] : 0);
            return 0;
        }
        next[rec.sender]++;
        (*total)++;
    }
    if (st != INDEXBUS_EMPTY && st != INDEXBUS_DISCONNECTED)
        fprintf(stderr, "try_recv: %s\n", indexbus_status_name(st));
    return st == INDEXBUS_EMPTY || st == INDEXBUS_DISCONNECTED;
}

static void publish_all(indexbus_producer *p, uint32_t id, uint32_t seq, uint32_t n)
{
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    make_batch(buf, lens, id, seq, n);
    size_t k = 99;
    CHECK_ST(indexbus_publish_batch(p, buf, lens, n, &k), INDEXBUS_OK);
    CHECK(k == n);
}

/* ---- a stopped producer: its stores, counted, and maybe a kill ---------------- */

typedef struct trap_res {
    uint32_t stores, tail_stores, done;
    uint64_t tail_after;
} trap_res;

IB_SHARED static const char *g_name;
IB_SHARED static trap_res *g_res;
IB_SHARED static uint32_t g_kill_at, g_count, g_id;
static uint64_t *g_tail_word;

static void count_hook(uintptr_t a)
{
    g_res->stores++;
    g_res->tail_stores += a >= (uintptr_t)g_tail_word && a < (uintptr_t)(g_tail_word + 1);
    if (g_res->stores == g_kill_at)
        kill(getpid(), SIGKILL); /* dies right after this store */
}

/* Child: open an MPSC producer, then publish g_count messages of sender g_id
 * in one publish_batch with every store into the region stopped. */
static int trapped_batch(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    raw w = raw_of(g_name);
    static uint8_t buf[128 * DATA];
    static uint32_t lens[128];
    REQUIRE(g_count <= 128);
    make_batch(buf, lens, g_id, 0, g_count);
    g_tail_word = &w.mpsc->tail;
    size_t k = 0;
    wt_arm(w.base, (size_t)w.h->total_bytes, count_hook);
    int st = indexbus_publish_batch(p, buf, lens, g_count, &k);
    wt_disarm();
    g_res->tail_after = ld(&w.mpsc->tail);
    g_res->done = st == INDEXBUS_OK && k == g_count;
    mp_close_producer(r, p);
    return g_res->done ? 0 : 1;
}

/* Waitpid: the signal that ended the child, or 0 if it exited 0, -1 else. */
static int reap(pid_t pid)
{
    int ws;
    REQUIRE(waitpid(pid, &ws, 0) == pid);
    if (WIFSIGNALED(ws))
        return WTERMSIG(ws);
    return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

/* One batch of k in a region with or without bit 38: stores on tail. */
static void count_case(uint32_t flags, uint32_t k, uint32_t want_tail_stores)
{
    g_name = ib_test_name("mpscb-count");
    indexbus_region *r = create(g_name, INDEXBUS_KIND_EVENTS, 128, 0, flags);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    raw w = raw_of(g_name);
    CHECK(!!(w.h->capabilities & INDEXBUS_CAP_MPSC_BATCH) == !!flags);
    CHECK(w.h->layout_minor == (flags ? 3 : 0));
    memset(g_res, 0, sizeof *g_res);
    g_kill_at = 0, g_count = k, g_id = 1;
    CHECK(reap(ib_spawn(trapped_batch, 0)) == 0);
    CHECK(g_res->done == 1 && g_res->tail_after == k);
    CHECK(g_res->tail_stores == want_tail_stores);
    uint32_t next[8] = {0};
    uint64_t total = 0;
    CHECK(drain(c, next, &total) && total == k && next[1] == k);
    CHECK(ld(&w.mpsc->head) == k);
    printf("count: %s region, batch of %u: %u stores into the region, %u on tail\n",
           flags ? "bit-38" : "plain", k, g_res->stores, g_res->tail_stores);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* The producer SIGKILLed after each store of one batch of KB, store by
 * store, until a run completes. */
#define KB 6u
static void kill_every_store_case(uint32_t flags)
{
    g_name = ib_test_name("mpscb-kill");
    indexbus_region *r = create(g_name, INDEXBUS_KIND_EVENTS, 16, 0, flags);
    raw w = raw_of(g_name);
    uint32_t points = 0, max_skipped = 0, lost = 0;
    for (uint32_t at = 1;; at++) {
        indexbus_consumer *c;
        indexbus_producer *p;
        REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
        uint64_t tail0 = ld(&w.mpsc->tail);
        memset(g_res, 0, sizeof *g_res);
        g_kill_at = at, g_count = KB, g_id = 2;
        int how = reap(ib_spawn(trapped_batch, 0));
        REQUIRE(how == 0 || how == SIGKILL);
        indexbus_recover_report rep = {.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
        CHECK(rep.dead == (how == SIGKILL));
        uint32_t next[8] = {0};
        uint64_t total = 0;
        CHECK(drain(c, next, &total)); /* an exact prefix of the batch, bytes intact */
        uint64_t reserved = ld(&w.mpsc->tail) - tail0;
        /* every cell it reserved was filled (and arrived) or skipped */
        CHECK(reserved == total + rep.cells_skipped);
        CHECK(ld(&w.mpsc->head) == ld(&w.mpsc->tail));
        CHECK(how == SIGKILL ? total <= KB : total == KB);
        max_skipped = rep.cells_skipped > max_skipped ? rep.cells_skipped : max_skipped;
        lost += KB - (uint32_t)total;
        /* the queue moves on */
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
        publish_all(p, 3, 0, 2);
        CHECK(drain(c, next, &total) && next[3] == 2);
        CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
        CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
        /* slots: a death inside alloc_n or between a slot's owner 0 and its
         * fill leaks until the sweep (5.4.1) */
        rep = (indexbus_recover_report){.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
        CHECK(mp_info(r).free_slots == SLOTS);
        points++;
        if (how == 0 || ib_test_failures)
            break;
    }
    /* bit 38: some death left several reserved cells, all skipped */
    CHECK(flags ? max_skipped == KB : max_skipped == 1);
    printf("kill: %s region, producer killed after each of %u stores of a batch of %u: "
           "%u messages lost by death, at most %u cells skipped at once\n",
           flags ? "bit-38" : "plain", points - 1, KB, lost, max_skipped);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ---- a recoverer skips a cell of a live producer's reservation ---------------- */

static raw g_w;
static uint32_t g_skip_done;

/* At the producer's first store of a cell value (its reservation taken),
 * mark the third cell skipped, as a recoverer misled by a dead journal would. */
static void skip_hook(uintptr_t a)
{
    uintptr_t lo = (uintptr_t)g_w.cells, hi = lo + sizeof(indexbus_mpsc_cell) * 64;
    if (g_skip_done || a < lo || a >= hi)
        return;
    uint64_t expect = 2;
    g_skip_done = __atomic_compare_exchange_n(&g_w.cells[2].seq, &expect, 3 | INDEXBUS_MPSC_SKIP,
                                              0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void skipped_under_live_case(void)
{
    const char *name = ib_test_name("mpscb-live");
    indexbus_region *r = create(name, INDEXBUS_KIND_EVENTS, 64, 0, INDEXBUS_CREATE_MPSC_BATCH);
    indexbus_consumer *c;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    g_w = raw_of(name);
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    make_batch(buf, lens, 4, 0, 6);
    size_t k = 0;
    wt_arm(g_w.cells, sizeof(indexbus_mpsc_cell) * 64, skip_hook);
    int st = indexbus_publish_batch(p, buf, lens, 6, &k);
    wt_disarm();
    CHECK_ST(st, INDEXBUS_OK);
    CHECK(k == 6 && g_skip_done == 1);
    /* 0..5 reserved; 0, 1 filled; 2 skipped under it; 3..5 skipped by the
     * producer itself; 2..5 again at 6..9 */
    CHECK(ld(&g_w.mpsc->tail) == 10);
    CHECK(g_w.cells[4].seq == (5 | INDEXBUS_MPSC_SKIP));
    CHECK(journal_clear(&g_w));
    uint32_t next[8] = {0};
    uint64_t total = 0;
    CHECK(drain(c, next, &total) && total == 6 && next[4] == 6);
    CHECK(ld(&g_w.mpsc->head) == 10);
    CHECK(mp_info(r).published == 6);
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == SLOTS);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* ---- recovery of forged dead journals ------------------------------------------- */

/* A dead MPSC producer (ACTIVE, no lock held) whose journal names the
 * reservation at pos of `count` cells (the `reserved` word as given). */
static void forge_dead(raw *w, uint32_t entry, uint64_t pos, uint32_t count)
{
    indexbus_participant *e = &w->parts->entries[entry];
    REQUIRE(e->state == INDEXBUS_PARTICIPANT_FREE);
    e->role = INDEXBUS_ROLE_MPSC_PRODUCER;
    e->mpsc_reserve = pos + 1;
    e->reserved = count;
    __atomic_fetch_add(&w->parts->ctl.producers_live, 1, __ATOMIC_ACQ_REL); /* as its attach did */
    __atomic_store_n(&e->state, INDEXBUS_PARTICIPANT_ACTIVE, __ATOMIC_RELEASE);
}

/* Move tail by n, as the dead producer's reservation CAS did. */
static void forge_reserve(raw *w, uint32_t n) { __atomic_fetch_add(&w->mpsc->tail, n, __ATOMIC_ACQ_REL); }

static uint32_t recover_skipped(indexbus_region *r)
{
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1);
    return rep.cells_skipped;
}

static void forged_case(uint32_t flags)
{
    const char *name = ib_test_name("mpscb-forge");
    indexbus_region *r = create(name, INDEXBUS_KIND_EVENTS, 128, 0, flags);
    indexbus_consumer *c;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    raw w = raw_of(name);
    uint32_t next[8] = {0};
    uint64_t total = 0;
    publish_all(p, 5, 0, 3); /* cells 0..2 filled */
    /* a reservation of 5 from 1: 1, 2 filled (left alone), 3..5 unfilled */
    forge_reserve(&w, 3);
    forge_dead(&w, 100, 1, 5);
    /* a plain region's recoverer looks at the first cell only (filled):
     * the queue stalls at 3 until one-cell journals name 3, 4 and 5 */
    CHECK(recover_skipped(r) == (flags ? 3u : 0u));
    CHECK(drain(c, next, &total) && total == 3);
    CHECK(ld(&w.mpsc->head) == (flags ? 6u : 3u));
    if (!flags) {
        forge_dead(&w, 100, 3, 1);
        forge_dead(&w, 101, 4, 1);
        forge_dead(&w, 102, 5, 1);
        CHECK_ST(indexbus_region_recover(r, 0, NULL), INDEXBUS_OK);
        CHECK(drain(c, next, &total) && ld(&w.mpsc->head) == 6);
        /* a batch reservation's count is ignored there */
        forge_reserve(&w, 4);
        forge_dead(&w, 100, 6, 4);
        CHECK(recover_skipped(r) == 1);
        forge_dead(&w, 100, 7, 0);
        forge_dead(&w, 101, 8, 0);
        forge_dead(&w, 102, 9, 0);
        CHECK_ST(indexbus_region_recover(r, 0, NULL), INDEXBUS_OK);
    } else {
        /* count 0 reads as one cell */
        forge_reserve(&w, 4);
        forge_dead(&w, 100, 6, 0);
        CHECK(recover_skipped(r) == 1);
        /* past tail: only the cells below it (7..9 of 7..16) */
        forge_dead(&w, 100, 7, 10);
        CHECK(recover_skipped(r) == 3);
    }
    CHECK(drain(c, next, &total) && ld(&w.mpsc->head) == 10);
    if (flags) {
        /* hostile counts: clamped to 64 cells */
        forge_reserve(&w, 100); /* 10..109 */
        forge_dead(&w, 100, 10, 0xffffffffu);
        CHECK(recover_skipped(r) == 64);
        CHECK(drain(c, next, &total) && ld(&w.mpsc->head) == 74);
        forge_dead(&w, 100, 74, 1000);
        CHECK(recover_skipped(r) == 36);
        CHECK(drain(c, next, &total) && ld(&w.mpsc->head) == 110);
        /* nothing reserved at or past tail: nothing skipped */
        forge_dead(&w, 100, 110, 64);
        CHECK(recover_skipped(r) == 0);
    }
    /* the queue moves on: the next messages arrive */
    publish_all(p, 5, 3, 4);
    CHECK(drain(c, next, &total) && total == 7 && next[5] == 7);
    CHECK(ld(&w.mpsc->head) == ld(&w.mpsc->tail));
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == SLOTS);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* ---- exact positions, and a queue that fills mid-batch -------------------------- */

static void positions_case(void)
{
    const char *name = ib_test_name("mpscb-pos");
    indexbus_region *r = create(name, INDEXBUS_KIND_EVENTS, 16, 0, INDEXBUS_CREATE_MPSC_BATCH);
    indexbus_consumer *c;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    raw w = raw_of(name);
    uint32_t next[8] = {0};
    uint64_t total = 0;
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    publish_all(p, 6, 0, 5);
    CHECK(ld(&w.mpsc->tail) == 5 && ld(&w.mpsc->head) == 0);
    CHECK(journal_clear(&w));
    for (uint32_t i = 0; i < 5; i++)
        CHECK(w.cells[i].seq == i + 1);
    CHECK(w.cells[5].seq == 5);
    /* 30 into 11 free cells: 11 published, FULL, 19 slots given back */
    make_batch(buf, lens, 6, 5, 30);
    size_t k = 99;
    CHECK_ST(indexbus_publish_batch(p, buf, lens, 30, &k), INDEXBUS_FULL);
    CHECK(k == 11 && ld(&w.mpsc->tail) == 16);
    CHECK(mp_info(r).free_slots == SLOTS - 16);
    CHECK(journal_clear(&w));
    /* the reader frees 3 cells: the next batch takes exactly those */
    uint8_t one[DATA];
    size_t len;
    for (uint32_t i = 0; i < 3; i++, next[6]++, total++)
        CHECK_ST(indexbus_try_recv(c, one, sizeof one, &len), INDEXBUS_OK);
    make_batch(buf, lens, 6, 16, 8);
    CHECK_ST(indexbus_publish_batch(p, buf, lens, 8, &k), INDEXBUS_FULL);
    CHECK(k == 3 && ld(&w.mpsc->tail) == 19);
    CHECK(drain(c, next, &total) && total == 19 && next[6] == 19);
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == SLOTS);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* A reservation stops at the first cell that is not free for its position:
 * a skipped cell of the previous lap the reader has not passed, and a
 * forged seq ahead of tail (CORRUPT once it is the first). */
static void cells_case(void)
{
    const char *name = ib_test_name("mpscb-cells");
    indexbus_region *r = create(name, INDEXBUS_KIND_EVENTS, 16, 0, INDEXBUS_CREATE_MPSC_BATCH);
    indexbus_consumer *c;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    raw w = raw_of(name);
    uint32_t next[8] = {0};
    uint64_t total = 0;
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    size_t k = 99, len;
    publish_all(p, 7, 0, 10); /* 0..9 */
    forge_reserve(&w, 6);      /* 10..15: a dead producer's, skipped */
    forge_dead(&w, 100, 10, 6);
    CHECK(recover_skipped(r) == 6);
    uint8_t one[DATA];
    for (uint32_t i = 0; i < 10; i++, next[7]++, total++)
        CHECK_ST(indexbus_try_recv(c, one, sizeof one, &len), INDEXBUS_OK);
    /* cells 0..9 free for 16..25; 10..15 skipped in lap 0, not passed yet */
    make_batch(buf, lens, 7, 10, 12);
    CHECK_ST(indexbus_publish_batch(p, buf, lens, 12, &k), INDEXBUS_FULL);
    CHECK(k == 10 && ld(&w.mpsc->tail) == 26);
    CHECK(drain(c, next, &total) && total == 20 && ld(&w.mpsc->head) == 26);
    /* a forged seq ahead at position 29: 26..28 reserved, then CORRUPT */
    w.cells[29 & 15].seq = 1000;
    make_batch(buf, lens, 7, 20, 8);
    CHECK_ST(indexbus_publish_batch(p, buf, lens, 8, &k), INDEXBUS_CORRUPT);
    CHECK(k == 3 && ld(&w.mpsc->tail) == 29);
    CHECK(journal_clear(&w));
    w.cells[29 & 15].seq = 29; /* put right: the queue goes on */
    publish_all(p, 7, 23, 8);
    CHECK(journal_clear(&w));
    CHECK(drain(c, next, &total) && total == 31 && next[7] == 31);
    CHECK(ld(&w.mpsc->head) == 37 && ld(&w.mpsc->tail) == 37);
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK(mp_info(r).free_slots == SLOTS);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* ---- producers in several processes, events and fanout ------------------------- */

#define MPROD 3u
#define MPER 30000u

/* Producer id: 0 publishes one at a time, the others in batches of 1..70. */
static int mixed_producer(int id)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    static uint8_t buf[70 * DATA];
    uint32_t lens[70];
    uint64_t hang = mp_now_ns() + MP_HANG_NS;
    for (uint32_t seq = 0, n; seq < MPER; seq += n) {
        n = id == 0 ? 1 : 1 + (seq * 7u + (uint32_t)id) % 70u;
        n = n < MPER - seq ? n : MPER - seq;
        make_batch(buf, lens, (uint32_t)id, seq, n);
        size_t k = 0;
        int st = indexbus_publish_batch(p, buf, lens, n, &k);
        if ((st != INDEXBUS_OK && st != INDEXBUS_FULL) || k > n || mp_now_ns() > hang) {
            fprintf(stderr, "producer %d: %s at %u\n", id, indexbus_status_name(st), seq);
            return 1;
        }
        n = (uint32_t)k;
        if (st == INDEXBUS_FULL)
            sched_yield();
    }
    mp_close_producer(r, p);
    return 0;
}

/* Consumer index `arg`: every message of every producer, in order, once. */
static int mixed_consumer(int arg)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)arg, &r);
    mp_inc(&g_res->done);
    uint32_t next[8] = {0};
    uint64_t total = 0;
    uint64_t hang = mp_now_ns() + MP_HANG_NS;
    while (total < (uint64_t)MPROD * MPER && mp_now_ns() < hang) {
        REQUIRE(drain(c, next, &total));
        sched_yield();
    }
    for (uint32_t i = 0; i < MPROD; i++)
        CHECK(next[i] == MPER);
    CHECK(total == (uint64_t)MPROD * MPER);
    mp_close_consumer(r, c);
    return 0;
}

static int mixed_router(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_router *rt;
    r = mp_open(g_name);
    REQUIRE_OK(indexbus_router_open(r, &rt));
    uint64_t routed = 0, hang = mp_now_ns() + MP_HANG_NS;
    while (routed < (uint64_t)MPROD * MPER && mp_now_ns() < hang) {
        int st = indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST);
        if (st == INDEXBUS_OK)
            routed++;
        else if (st == INDEXBUS_EMPTY || st == INDEXBUS_FULL)
            sched_yield();
        else
            return 1;
    }
    CHECK(routed == (uint64_t)MPROD * MPER);
    indexbus_router_close(rt);
    indexbus_region_close(r);
    return 0;
}

static void mixed_case(uint32_t kind)
{
    uint32_t nc = 1; /* broadcast drops for a full consumer: one never misses */
    g_name = ib_test_name("mpscb-mixed");
    indexbus_region *r = create(g_name, kind, 64, nc, INDEXBUS_CREATE_MPSC_BATCH);
    memset(g_res, 0, sizeof *g_res);
    pid_t pids[MPROD + 3];
    int n = 0;
    for (uint32_t i = 0; i < nc; i++)
        pids[n++] = ib_spawn(mixed_consumer, (int)i);
    while (mp_load(&g_res->done) < nc) /* attached before anything is routed */
        sched_yield();
    if (kind == INDEXBUS_KIND_FANOUT)
        pids[n++] = ib_spawn(mixed_router, 0);
    for (uint32_t i = 0; i < MPROD; i++)
        pids[n++] = ib_spawn(mixed_producer, (int)i);
    CHECK(mp_join_all(pids, n) == 0);
    indexbus_info info = mp_info(r);
    CHECK(info.published == (uint64_t)MPROD * MPER && info.mpsc_depth == 0);
    CHECK(info.free_slots == SLOTS);
    printf("mixed: %s region, %u producer processes (1 single, %u batching), %u messages each, "
           "%u consumer(s): in order, once\n", kind == INDEXBUS_KIND_FANOUT ? "fanout" : "events",
           MPROD, MPROD - 1, MPER, nc);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ---- producer_space: bounded by the queue space ------------------------------- */

static void space_case(void)
{
    const char *name = ib_test_name("mpscb-space");
    indexbus_region_config cfg;
    indexbus_region *r;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    cfg.slot_count = 32;
    cfg.slot_data_size = DATA;
    cfg.queue_capacity = 8; /* slot_count >= 2 * queue: SPSC slots recycle */
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    indexbus_consumer *c;
    indexbus_producer *sp, *mp;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    uint64_t space = 0;
    CHECK_ST(indexbus_producer_space(sp, &space), INDEXBUS_OK);
    CHECK(space == 8);
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == 8);
    /* SPSC: 8 published, 8 read (parked in their cells), 5 more published */
    uint8_t b[DATA] = {0};
    size_t len;
    for (uint32_t i = 0; i < 8; i++)
        CHECK_ST(indexbus_publish(sp, b, 8), INDEXBUS_OK);
    for (uint32_t i = 0; i < 8; i++)
        CHECK_ST(indexbus_try_recv(c, b, sizeof b, &len), INDEXBUS_OK);
    for (uint32_t i = 0; i < 5; i++)
        CHECK_ST(indexbus_publish(sp, b, 8), INDEXBUS_OK);
    /* 3 cells left, each with a parked slot: 3; the pool has 24 */
    CHECK_ST(indexbus_producer_space(sp, &space), INDEXBUS_OK);
    CHECK(space == 3);
    /* MPSC: a queue of its own, slots from the pool only */
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == 8);
    /* drain the pool to 2: MPSC space 2; SPSC still 3 (its parked slots) */
    void *buf;
    indexbus_producer *hog[22];
    for (uint32_t i = 0; i < 22; i++) {
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &hog[i]));
        CHECK_ST(indexbus_claim(hog[i], &buf, NULL), INDEXBUS_OK);
    }
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == 2);
    CHECK_ST(indexbus_producer_space(sp, &space), INDEXBUS_OK);
    CHECK(space == 3);
    for (uint32_t i = 0; i < 22; i++)
        CHECK_ST(indexbus_producer_close(hog[i]), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == 8);
    CHECK_ST(indexbus_producer_close(sp), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(trapped_batch),
    IB_HELPER(mixed_producer),
    IB_HELPER(mixed_consumer),
    IB_HELPER(mixed_router),
    {NULL, NULL},
};

/* MPSCB_ONLY=<case> runs one case (to see a check fail on its own). */
static int run(const char *c)
{
    const char *only = getenv("MPSCB_ONLY");
    return only == NULL || strcmp(only, c) == 0;
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    g_res = ib_shared(sizeof *g_res);
    if (run("positions")) {
        positions_case();
        cells_case();
    }
    if (run("forged")) {
        forged_case(INDEXBUS_CREATE_MPSC_BATCH);
        forged_case(0);
    }
    if (run("space"))
        space_case();
    if (run("mixed")) {
        mixed_case(INDEXBUS_KIND_EVENTS);
        mixed_case(INDEXBUS_KIND_FANOUT);
    }
#if WT_SUPPORTED
    if (run("count")) {
        count_case(INDEXBUS_CREATE_MPSC_BATCH, 20, 1);
        count_case(INDEXBUS_CREATE_MPSC_BATCH, 1, 1);
        count_case(INDEXBUS_CREATE_MPSC_BATCH, 100, 2); /* chunks of 64 and 36 */
        count_case(0, 20, 20);
    }
    if (run("live"))
        skipped_under_live_case();
    if (run("kill")) {
        kill_every_store_case(INDEXBUS_CREATE_MPSC_BATCH);
        kill_every_store_case(0);
    }
#else
    printf("write traps need x86-64 Linux: store-exact cases skipped\n");
#endif
    return ib_test_done("mpsc-batch");
}
