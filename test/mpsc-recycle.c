/* mpsc-recycle.c - MPSC slot recycling (layout 1.3,
 * INDEXBUS_CAP_MPSC_RECYCLE, LAYOUT.md 5.22). After the first lap the pool
 * word does not move for MPSC single publishes and batches (with and
 * without bit 38) received by copy, borrow, batch and HOLD, with SPSC
 * traffic mixed in; a region without the bit moves it per message. Only
 * a slot parked for the very cell and lap is taken; a dry pool borrows a
 * parked slot; a claim's slot displaces the parked one into the pool. A
 * recoverer misled by a stale journal and the live producer of that
 * position race for its parked slot: exactly one gets it, either order. A
 * consumer killed after each store of a receive: the message is read again
 * (and parked again) or gone, never freed twice. A producer killed after
 * each store of a publish or a batch: delivered + skipped == reserved, at
 * most one slot out until a sweep. Producers in 3 processes plus an SPSC
 * one: bytes and per-producer order. Every slot is accounted for exactly
 * once (pool, parked in the cell that names it, queued) at every quiet
 * point: a slot handed out twice cannot hide behind info's clamp.
 * MPSCR_ONLY=<case> runs one case. */
#include <signal.h>
#include <sys/wait.h>

#include "mp_util.h"
#include "wt_raw.h"

#define DATA 64u
#define Q 16u
#define SLOTS 32u

static indexbus_slot_header *slot_of(const raw *w, uint32_t i)
{
    return (indexbus_slot_header *)((uint8_t *)w->pool + 64 + (uint64_t)i * w->h->slot_stride);
}

static int g_expect_leaks; /* account() stays quiet: a leak is what the check wants */
static uint64_t ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static uint64_t pool_word(const raw *w) { return ld(&w->pool->free_head); }

/* Every slot exactly once: on the pool's list, parked in the MPSC or SPSC
 * cell that names it for a position head has passed, or queued (between
 * head and tail). *out_free: pool + parked. 0 if any slot is counted twice
 * or not at all (leaked). */
static int account(const raw *w, uint32_t *out_free)
{
    uint32_t mark[SLOTS] = {0}, n = 0, free = 0;
    uint32_t idx = (uint32_t)pool_word(w);
    while (idx < SLOTS && n++ <= SLOTS) {
        mark[idx]++, free++;
        idx = slot_of(w, idx)->next_free;
    }
    uint32_t *scells = (uint32_t *)(w->spsc + 1);
    uint64_t mh = ld(&w->mpsc->head), mt = ld(&w->mpsc->tail);
    uint64_t sh = ld(&w->spsc->head), st = ld(&w->spsc->tail);
    for (uint32_t i = 0; i < SLOTS; i++) {
        indexbus_slot_header *s = slot_of(w, i);
        uint32_t nf = s->next_free;
        if (s->owner == INDEXBUS_SLOT_PARKED_MPSC && (uint32_t)mh - nf - 1u < Q &&
            w->cells[nf % Q].value == i)
            mark[i]++, free++;
        if (s->owner == INDEXBUS_SLOT_PARKED && (uint32_t)sh - nf - 1u < Q && scells[nf % Q] == i)
            mark[i]++, free++;
    }
    for (uint64_t p = mh; p < mt; p++)
        if (w->cells[p % Q].seq == p + 1 && w->cells[p % Q].value < SLOTS)
            mark[w->cells[p % Q].value]++;
    for (uint64_t p = sh; p < st; p++)
        if (scells[p % Q] < SLOTS)
            mark[scells[p % Q]]++;
    int ok = 1;
    for (uint32_t i = 0; i < SLOTS; i++)
        if (mark[i] != 1) {
            if (!g_expect_leaks)
                fprintf(stderr, "account: slot %u counted %u times (owner %#x next_free %u)\n", i,
                    mark[i], slot_of(w, i)->owner, slot_of(w, i)->next_free);
            ok = 0;
        }
    if (out_free != NULL)
        *out_free = free;
    return ok;
}

/* Slots neither free nor queued (a kill in a documented window). */
static uint32_t leaked(const raw *w)
{
    uint32_t mark[SLOTS] = {0}, n = 0, out = 0;
    uint32_t idx = (uint32_t)pool_word(w);
    while (idx < SLOTS && n++ <= SLOTS) {
        mark[idx]++;
        idx = slot_of(w, idx)->next_free;
    }
    uint64_t mh = ld(&w->mpsc->head), mt = ld(&w->mpsc->tail);
    for (uint32_t i = 0; i < SLOTS; i++) {
        uint32_t nf = slot_of(w, i)->next_free;
        if (slot_of(w, i)->owner == INDEXBUS_SLOT_PARKED_MPSC && (uint32_t)mh - nf - 1u < Q &&
            w->cells[nf % Q].value == i)
            mark[i]++;
    }
    for (uint64_t p = mh; p < mt; p++)
        if (w->cells[p % Q].seq == p + 1 && w->cells[p % Q].value < SLOTS)
            mark[w->cells[p % Q].value]++;
    for (uint32_t i = 0; i < SLOTS; i++)
        out += mark[i] == 0;
    return out;
}

static indexbus_region *create(const char *name, uint32_t flags)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    cfg.slot_count = SLOTS;
    cfg.slot_data_size = DATA;
    cfg.queue_capacity = Q;
    cfg.flags = flags;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    return r;
}

/* ---- messages: sender id, seq, bytes derived from both -------------------------- */

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

static void pub_one(indexbus_producer *p, uint32_t id, uint32_t seq)
{
    uint8_t buf[DATA];
    uint32_t len;
    make_batch(buf, &len, id, seq, 1);
    CHECK_ST(indexbus_publish(p, buf, len), INDEXBUS_OK);
}

static void pub_batch(indexbus_producer *p, uint32_t id, uint32_t seq, uint32_t n)
{
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    make_batch(buf, lens, id, seq, n);
    size_t k = 99;
    CHECK_ST(indexbus_publish_batch(p, buf, lens, n, &k), INDEXBUS_OK);
    CHECK(k == n);
}

/* Message of len bytes: the next of its sender (ids < 8), bytes intact. */
static int check_msg(const uint8_t *m, size_t len, uint32_t *next)
{
    mp_rec rec;
    if (len < sizeof rec)
        return 0;
    memcpy(&rec, m, sizeof rec);
    if (rec.sender >= 8 || rec.seq != next[rec.sender] || len != rec_len(rec.seq) ||
        !mp_check_fill(m + sizeof rec, len - sizeof rec, (uint64_t)rec.sender + 10, rec.seq,
                       rec_len(rec.seq) - sizeof rec)) {
        fprintf(stderr, "got sender %u seq %u len %zu, want seq %u\n", rec.sender, rec.seq, len,
                rec.sender < 8 ? next[rec.sender] : 0);
        return 0;
    }
    next[rec.sender]++;
    return 1;
}

enum { R_COPY, R_BORROW, R_BATCH, R_HOLD, R_MODES };
static const char *mode_name[R_MODES] = {"copy", "borrow", "batch", "hold"};

/* Receive all there is in `mode`, checking each; *total counts them. */
static int drain(indexbus_consumer *c, int mode, uint32_t *next, uint64_t *total)
{
    static uint8_t buf[64 * DATA];
    int st;
    for (;;) {
        size_t len = 0, k = 0;
        uint32_t lens[64];
        const void *d;
        uint64_t position;
        switch (mode) {
        case R_COPY:
            st = indexbus_try_recv(c, buf, DATA, &len);
            if (st == INDEXBUS_OK && !check_msg(buf, len, next))
                return 0;
            break;
        case R_BORROW:
            st = indexbus_recv_begin(c, &d, &len);
            if (st == INDEXBUS_OK) {
                if (!check_msg(d, len, next))
                    return 0;
                CHECK_ST(indexbus_recv_end(c), INDEXBUS_OK);
            }
            break;
        case R_BATCH:
            st = indexbus_recv_batch(c, buf, sizeof buf, lens, 5, &k);
            for (size_t i = 0, off = 0; st == INDEXBUS_OK && i < k; off += lens[i], i++)
                if (!check_msg(buf + off, lens[i], next))
                    return 0;
            *total += k ? k - 1 : 0;
            break;
        default:
            for (k = 0; (st = indexbus_recv_held(c, buf, DATA, &len, &position)) == INDEXBUS_OK; k++)
                if (!check_msg(buf, len, next))
                    return 0;
            if (k > 0) {
                CHECK_ST(indexbus_release(c, k), INDEXBUS_OK);
                *total += k;
                continue;
            }
            break;
        }
        if (st != INDEXBUS_OK)
            break;
        (*total)++;
    }
    /* DISCONNECTED: no producer attached just now (mixed_case's children
     * may not have attached yet) */
    if (st != INDEXBUS_EMPTY && st != INDEXBUS_DISCONNECTED)
        fprintf(stderr, "drain: %s\n", indexbus_status_name(st));
    return st == INDEXBUS_EMPTY || st == INDEXBUS_DISCONNECTED;
}

static indexbus_consumer *open_consumer(indexbus_region *r, int mode)
{
    indexbus_consumer *c;
    indexbus_consumer_config cc = {.size = sizeof cc, .index = 0,
                                   .flags = mode == R_HOLD ? INDEXBUS_CONSUMER_HOLD : 0};
    REQUIRE_OK(indexbus_consumer_open_config(r, &cc, &c));
    return c;
}

/* MPSCR_ONLY=<case> runs one case (to see a check fail on its own). */
static int run(const char *c)
{
    const char *only = getenv("MPSCR_ONLY");
    return only == NULL || strcmp(only, c) == 0;
}

/* ---- the pool stays put ------------------------------------------------------------ */

/* Laps of MPSC singles and batches (and SPSC singles) received in `mode`:
 * with the bit, the pool word is the same after the warm-up lap; without,
 * it moves at least once per MPSC message. */
static void quiet_case(uint32_t flags, int mode)
{
    const char *name = ib_test_name("mpscr-quiet");
    indexbus_region *r = create(name, flags);
    raw w = raw_of(name);
    int recycle = (flags & INDEXBUS_CREATE_RECYCLE) != 0;
    CHECK(!!(w.h->capabilities & INDEXBUS_CAP_MPSC_RECYCLE) == recycle);
    CHECK(!!(w.h->capabilities & INDEXBUS_CAP_MPSC_BATCH) == !!(flags & INDEXBUS_CREATE_MPSC_BATCH));
    CHECK(w.h->layout_minor == (flags ? 3 : 0));
    indexbus_producer *mp, *sp;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
    indexbus_consumer *c = open_consumer(r, mode);
    uint32_t next[8] = {0}, seq1 = 0, seq2 = 0;
    uint64_t total = 0, sent = 0;
    for (uint32_t i = 0; i < Q; i++, sent += 2) { /* warm-up: the first lap uses the pool */
        pub_one(mp, 1, seq1++);
        pub_one(sp, 2, seq2++);
    }
    CHECK(drain(c, mode, next, &total) && total == sent);
    uint64_t before = pool_word(&w);
    uint32_t mpsc_msgs = 0;
    for (uint32_t lap = 0; lap < 4; lap++) {
        for (uint32_t i = 0; i < Q / 4; i++, sent += 2, mpsc_msgs++) {
            pub_one(mp, 1, seq1++);
            pub_one(sp, 2, seq2++);
        }
        pub_batch(mp, 1, seq1, Q / 2 + lap); /* 8..11 in one call */
        seq1 += Q / 2 + lap, sent += Q / 2 + lap, mpsc_msgs += Q / 2 + lap;
        pub_batch(mp, 1, seq1, 1); /* a batch of one */
        seq1++, sent++, mpsc_msgs++;
        CHECK(drain(c, mode, next, &total) && total == sent);
        if (recycle)
            CHECK(pool_word(&w) == before); /* no CAS on free_head: tag and head */
    }
    if (!recycle) /* a free per MPSC message (its alloc: one per call or batch) */
        CHECK((pool_word(&w) >> 32) - (before >> 32) >= mpsc_msgs);
    uint32_t free_exact = 0;
    CHECK(account(&w, &free_exact) && free_exact == SLOTS);
    CHECK(mp_info(r).free_slots == SLOTS);
    uint32_t parked = 0;
    for (uint32_t i = 0; i < SLOTS; i++)
        parked += slot_of(&w, i)->owner == INDEXBUS_SLOT_PARKED_MPSC;
    CHECK(parked == (recycle ? Q : 0)); /* every MPSC cell keeps one */
    CHECK(next[1] == seq1 && next[2] == seq2);
    printf("quiet: %s%s, %s receive: pool word %s over %u MPSC messages\n",
           recycle ? "recycle" : "plain", flags & INDEXBUS_CREATE_MPSC_BATCH ? "+batch" : "",
           mode_name[mode], pool_word(&w) == before ? "unchanged" : "moved", mpsc_msgs);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(sp), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* ---- which parked slots are taken ---------------------------------------------- */

/* A parked slot forged for another position, or a cell naming no slot, is
 * not taken (a pool slot is); both leak until a sweep, which gives every
 * parked slot back. A dry pool borrows a parked slot (claim and publish);
 * producer_space counts the parked slots of the next cells. A claim's slot
 * displaces the cell's parked slot into the pool. */
static void cells_case(void)
{
    const char *name = ib_test_name("mpscr-cells");
    indexbus_region *r = create(name, INDEXBUS_CREATE_RECYCLE);
    raw w = raw_of(name);
    indexbus_producer *mp;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    indexbus_consumer *c = open_consumer(r, R_COPY);
    uint32_t next[8] = {0}, seq = 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < Q; i++)
        pub_one(mp, 1, seq++);
    CHECK(drain(c, R_COPY, next, &total) && total == Q);
    for (uint32_t i = 0; i < Q; i++) {
        CHECK(slot_of(&w, w.cells[i].value)->owner == INDEXBUS_SLOT_PARKED_MPSC);
        CHECK(slot_of(&w, w.cells[i].value)->next_free == i);
    }
    uint64_t space = 0;
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == Q);
    /* position Q (cell 0): its slot forged as parked for position 5 */
    uint32_t victim = w.cells[0].value;
    slot_of(&w, victim)->next_free = 5;
    uint64_t before = pool_word(&w);
    pub_one(mp, 1, seq++);
    CHECK(w.cells[0].value != victim && pool_word(&w) != before);
    CHECK(slot_of(&w, victim)->owner == INDEXBUS_SLOT_PARKED_MPSC); /* untouched */
    /* position Q + 1: the cell names no slot */
    uint32_t lost = w.cells[1].value;
    w.cells[1].value = 0x7fffffffu;
    before = pool_word(&w);
    pub_one(mp, 1, seq++);
    CHECK(w.cells[1].value < SLOTS && w.cells[1].value != lost && pool_word(&w) != before);
    /* position Q + 2: parked for the next lap's position (not read yet) */
    uint32_t ahead = w.cells[2].value;
    slot_of(&w, ahead)->next_free = 2 + Q;
    before = pool_word(&w);
    pub_one(mp, 1, seq++);
    CHECK(w.cells[2].value != ahead && pool_word(&w) != before);
    slot_of(&w, ahead)->next_free = 2; /* put back: it is a true park again */
    CHECK(drain(c, R_COPY, next, &total) && total == Q + 3);
    /* cell 2 now names the slot from the pool, parked for Q + 2: `ahead`
     * is named by no cell, a third leak */
    uint32_t free_exact = 0;
    g_expect_leaks = 1;
    CHECK(!account(&w, &free_exact) && free_exact == SLOTS - 3);
    g_expect_leaks = 0;
    CHECK(mp_info(r).free_slots == SLOTS - 3); /* the two forged and `ahead` leaked */
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    CHECK(rep.slots_reclaimed == 3);
    CHECK(mp_info(r).free_slots == SLOTS);
    for (uint32_t i = 0; i < SLOTS; i++)
        CHECK(slot_of(&w, i)->owner == 0); /* all in the pool */
    CHECK(account(&w, NULL));

    /* a claim's slot displaces the parked one of its cell into the pool */
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    indexbus_producer *hog;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &hog));
    c = open_consumer(r, R_COPY);
    for (uint32_t i = 0; i < Q; i++)
        pub_one(mp, 1, seq++);
    CHECK(drain(c, R_COPY, next, &total));
    uint64_t tail = ld(&w.mpsc->tail);
    uint32_t displaced = w.cells[tail % Q].value;
    CHECK(slot_of(&w, displaced)->owner == INDEXBUS_SLOT_PARKED_MPSC);
    void *buf;
    uint32_t l;
    CHECK_ST(indexbus_claim(hog, &buf, NULL), INDEXBUS_OK); /* from the pool */
    make_batch(buf, &l, 3, 0, 1);
    CHECK_ST(indexbus_commit(hog, l), INDEXBUS_OK);
    CHECK((uint32_t)pool_word(&w) == displaced && slot_of(&w, displaced)->owner == 0);
    CHECK(drain(c, R_COPY, next, &total) && next[3] == 1);
    CHECK(account(&w, &free_exact) && free_exact == SLOTS);

    /* a dry pool: SPSC and MPSC cells hold a lap of parked slots each */
    indexbus_producer *sp;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
    uint32_t seq2 = 0;
    for (uint32_t lap = 0; lap < 2; lap++) {
        for (uint32_t i = 0; i < Q; i++) {
            pub_one(mp, 1, seq++);
            pub_one(sp, 2, seq2++);
        }
        CHECK(drain(c, R_COPY, next, &total));
    }
    CHECK((uint32_t)pool_word(&w) == INDEXBUS_SLOT_NIL); /* every slot parked */
    CHECK(account(&w, &free_exact) && free_exact == SLOTS);
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == Q); /* all parked, none in the pool */
    tail = ld(&w.mpsc->tail);
    uint32_t borrowed = w.cells[tail % Q].value;
    CHECK_ST(indexbus_claim(hog, &buf, NULL), INDEXBUS_OK); /* borrows the next cell's */
    CHECK(buf == (uint8_t *)slot_of(&w, borrowed) + INDEXBUS_SLOT_HEADER_BYTES);
    CHECK(slot_of(&w, borrowed)->owner != INDEXBUS_SLOT_PARKED_MPSC);
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == Q - 1);
    uint32_t second = w.cells[(tail + 1) % Q].value;
    pub_one(mp, 1, seq++); /* cell `tail` has none now: borrows cell tail + 1's */
    CHECK(w.cells[tail % Q].value == second);
    CHECK_ST(indexbus_producer_space(mp, &space), INDEXBUS_OK);
    CHECK(space == Q - 2);
    /* the claim, committed in cell tail + 1, which has no parked slot left */
    make_batch(buf, &l, 3, 1, 1);
    CHECK_ST(indexbus_commit(hog, l), INDEXBUS_OK);
    CHECK(w.cells[(tail + 1) % Q].value == borrowed);
    CHECK(drain(c, R_COPY, next, &total) && next[3] == 2 && next[1] == seq);
    CHECK(account(&w, &free_exact) && free_exact == SLOTS);
    CHECK(mp_info(r).free_slots == SLOTS);
    CHECK_ST(indexbus_producer_close(hog), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(sp), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* ---- a stale journal: a recoverer and the live producer race for a slot ------------ */

/* A dead MPSC producer (ACTIVE, no lock held) whose journal names pos: the
 * one-instruction window of 5.12 limit 5, where its journal store landed
 * and its reservation CAS did not, while a live producer got pos. */
static void forge_dead(raw *w, uint32_t entry, uint64_t pos)
{
    indexbus_participant *e = &w->parts->entries[entry];
    REQUIRE(e->state == INDEXBUS_PARTICIPANT_FREE);
    e->role = INDEXBUS_ROLE_MPSC_PRODUCER;
    e->mpsc_reserve = pos + 1;
    __atomic_fetch_add(&w->parts->ctl.producers_live, 1, __ATOMIC_ACQ_REL); /* as its attach did */
    __atomic_store_n(&e->state, INDEXBUS_PARTICIPANT_ACTIVE, __ATOMIC_RELEASE);
}

static raw g_w;
static indexbus_region *g_r;
static uintptr_t g_at, g_at_end; /* a store into [g_at, g_at_end): the recoverer runs */
static uint32_t g_ran;
static indexbus_recover_report g_rep;

static void race_hook(uintptr_t a)
{
    if (g_ran || a < g_at || a >= g_at_end)
        return;
    g_ran = 1;
    forge_dead(&g_w, INDEXBUS_MAX_PARTICIPANTS - 1, ld(&g_w.mpsc->tail) - 1);
    g_rep = (indexbus_recover_report){.size = sizeof g_rep};
    CHECK_ST(indexbus_region_recover(g_r, 0, &g_rep), INDEXBUS_OK);
}

/* producer_first: the recoverer runs after the live producer took the
 * parked slot (at its first store of the copy into it: a hook inside the
 * CAS on owner would deadlock TSan, whose atomics lock per address), else
 * right after its reservation (the tail CAS), before it looks at the cell. Either way one of them
 * gets the slot: the recoverer's goes to the pool, the producer's carries
 * the message, which arrives once, in the next cell. */
static void race_case(int producer_first)
{
    const char *name = ib_test_name("mpscr-race");
    g_r = create(name, INDEXBUS_CREATE_RECYCLE);
    g_w = raw_of(name);
    indexbus_producer *mp;
    REQUIRE_OK(indexbus_producer_open(g_r, INDEXBUS_PRODUCER_MPSC, &mp));
    indexbus_consumer *c = open_consumer(g_r, R_COPY);
    uint32_t next[8] = {0}, seq = 0;
    uint64_t total = 0;
    for (uint32_t i = 0; i < Q; i++)
        pub_one(mp, 1, seq++);
    CHECK(drain(c, R_COPY, next, &total));
    uint32_t x = g_w.cells[0].value, y = g_w.cells[1].value;
    uint8_t *data = (uint8_t *)slot_of(&g_w, x) + INDEXBUS_SLOT_HEADER_BYTES;
    g_at = producer_first ? (uintptr_t)data : (uintptr_t)&g_w.mpsc->tail;
    g_at_end = producer_first ? (uintptr_t)(data + DATA) : (uintptr_t)(&g_w.mpsc->tail + 1);
    g_ran = 0;
    uint64_t before = pool_word(&g_w);
    uint8_t buf[DATA];
    uint32_t len;
    make_batch(buf, &len, 1, seq++, 1);
    wt_arm(g_w.base, (size_t)g_w.h->total_bytes, race_hook);
    int st = indexbus_publish(mp, buf, len);
    wt_disarm();
    CHECK_ST(st, INDEXBUS_OK);
    CHECK(g_ran == 1 && g_rep.dead == 1 && g_rep.cells_skipped == 1);
    CHECK(ld(&g_w.mpsc->tail) == Q + 2); /* Q skipped under it, Q + 1 its own */
    CHECK(g_w.cells[0].seq == ((Q + 1) | INDEXBUS_MPSC_SKIP));
    /* producer first: it had x, the recoverer left it. Recoverer first: x
     * went to the pool, and the producer's pool alloc got it from there.
     * Either way the producer pushed x again into cell 1, whose parked
     * slot y went to the pool: nobody else took y */
    CHECK(g_rep.slots_reclaimed == (producer_first ? 0u : 1u));
    CHECK(g_w.cells[1].value == x && (uint32_t)pool_word(&g_w) == y);
    CHECK(slot_of(&g_w, y)->owner == 0);
    CHECK(pool_word(&g_w) != before);
    CHECK(drain(c, R_COPY, next, &total) && total == Q + 1);
    uint32_t free_exact = 0;
    CHECK(account(&g_w, &free_exact) && free_exact == SLOTS);
    for (uint32_t lap = 0; lap < 3; lap++) { /* a slot handed out twice would break bytes */
        for (uint32_t i = 0; i < Q; i++)
            pub_one(mp, 1, seq++);
        CHECK(drain(c, R_COPY, next, &total));
    }
    CHECK(next[1] == seq && account(&g_w, &free_exact) && free_exact == SLOTS);
    CHECK(mp_info(g_r).free_slots == SLOTS);
    printf("race: %s first: one taker, message once, %u slots accounted for\n",
           producer_first ? "producer" : "recoverer", free_exact);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    indexbus_region_close(g_r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* ---- processes killed after each store ----------------------------------------------- */

typedef struct kill_res {
    uint32_t stores, done;
} kill_res;

IB_SHARED static const char *g_name;
IB_SHARED static kill_res *g_res;
IB_SHARED static uint32_t g_kill_at, g_mode, g_count, g_seq;

static void kill_hook(uintptr_t a)
{
    (void)a;
    if (++g_res->stores == g_kill_at)
        kill(getpid(), SIGKILL); /* dies right after this store */
}

/* Child: consumer 0 receives one message (g_mode: copy or borrow) with
 * every store into the region stopped. */
static int trapped_consumer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, 0, &r);
    raw w = raw_of(g_name);
    uint8_t buf[DATA];
    size_t len = 0;
    const void *d;
    wt_arm(w.base, (size_t)w.h->total_bytes, kill_hook);
    int st = g_mode == R_COPY ? indexbus_try_recv(c, buf, sizeof buf, &len)
                              : indexbus_recv_begin(c, &d, &len);
    if (g_mode == R_BORROW && st == INDEXBUS_OK)
        st = indexbus_recv_end(c);
    wt_disarm();
    g_res->done = st == INDEXBUS_OK;
    mp_close_consumer(r, c);
    return g_res->done ? 0 : 1;
}

/* Child: an MPSC producer publishes g_count messages of sender 2 from
 * g_seq on (one publish, or one publish_batch) with every store stopped. */
static int trapped_producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    raw w = raw_of(g_name);
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    make_batch(buf, lens, 2, g_seq, g_count);
    size_t k = 0;
    wt_arm(w.base, (size_t)w.h->total_bytes, kill_hook);
    int st = g_count == 1 ? indexbus_publish(p, buf, lens[0])
                          : indexbus_publish_batch(p, buf, lens, g_count, &k);
    wt_disarm();
    g_res->done = st == INDEXBUS_OK;
    mp_close_producer(r, p);
    return g_res->done ? 0 : 1;
}

static int reap(pid_t pid)
{
    int ws;
    REQUIRE(waitpid(pid, &ws, 0) == pid);
    if (WIFSIGNALED(ws))
        return WTERMSIG(ws);
    return WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : -1;
}

/* A consumer killed after each store of one receive: recovery moves
 * nothing to the pool (a parked slot is never freed twice); the message is
 * read again (and parked again) if its cell was not freed, else gone for
 * good; every slot accounted for, the pool word never moves. */
static void consumer_kill_case(int mode)
{
    g_name = ib_test_name("mpscr-ckill");
    indexbus_region *r = create(g_name, INDEXBUS_CREATE_RECYCLE);
    raw w = raw_of(g_name);
    indexbus_producer *mp;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
    uint32_t next[8] = {0}, seq = 0, points = 0, again = 0;
    uint64_t total = 0;
    indexbus_consumer *c = open_consumer(r, R_COPY);
    for (uint32_t i = 0; i < Q; i++)
        pub_one(mp, 1, seq++);
    CHECK(drain(c, R_COPY, next, &total));
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    uint64_t before = pool_word(&w);
    for (uint32_t at = 1;; at++) {
        c = open_consumer(r, R_COPY); /* else DISCONNECTED: every consumer closed */
        pub_one(mp, 1, seq++);
        pub_one(mp, 1, seq++);
        CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
        uint64_t head0 = ld(&w.mpsc->head);
        memset(g_res, 0, sizeof *g_res);
        g_kill_at = at, g_mode = (uint32_t)mode;
        int how = reap(ib_spawn(trapped_consumer, 0));
        REQUIRE(how == 0 || how == SIGKILL);
        indexbus_recover_report rep = {.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
        CHECK(rep.dead == (how == SIGKILL) && rep.slots_reclaimed == 0);
        uint64_t head = ld(&w.mpsc->head);
        CHECK(head == head0 || head == head0 + 1);
        if (head == head0 + 1)
            next[1]++; /* taken (the child's copy is lost with it) */
        else
            again++;
        c = open_consumer(r, R_COPY);
        uint64_t got = 0;
        CHECK(drain(c, R_COPY, next, &got) && got == 2 - (head - head0));
        CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
        uint32_t free_exact = 0;
        CHECK(account(&w, &free_exact) && free_exact == SLOTS);
        CHECK(pool_word(&w) == before); /* parks only: nothing freed to the pool */
        points++;
        if (how == 0 || ib_test_failures)
            break;
    }
    CHECK(again > 0 && again < points); /* both sides of the cell's release were hit */
    printf("consumer kill: %s, killed after each of %u stores: read again %u times\n",
           mode_name[mode], points - 1, again);
    CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* A producer killed after each store of a publish (count 1) or a batch:
 * an exact prefix arrives, delivered + skipped == reserved, at most one
 * slot is out (owner cleared, fill not done: 5.12 limit 2) until a sweep,
 * and the sweep brings every slot back. */
static void producer_kill_case(uint32_t flags, uint32_t count)
{
    g_name = ib_test_name("mpscr-pkill");
    indexbus_region *r = create(g_name, INDEXBUS_CREATE_RECYCLE | flags);
    raw w = raw_of(g_name);
    uint32_t points = 0, leaks = 0, max_skipped = 0, seq = 0;
    for (uint32_t at = 1;; at++) {
        indexbus_producer *mp;
        indexbus_consumer *c = open_consumer(r, R_COPY);
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
        uint32_t next[8] = {0};
        uint64_t total = 0;
        next[1] = seq;
        for (uint32_t i = 0; i < Q; i++) /* a lap: every cell parks a slot */
            pub_one(mp, 1, seq++);
        CHECK(drain(c, R_COPY, next, &total));
        uint64_t tail0 = ld(&w.mpsc->tail);
        memset(g_res, 0, sizeof *g_res);
        g_kill_at = at, g_count = count, g_seq = 0;
        int how = reap(ib_spawn(trapped_producer, 0));
        REQUIRE(how == 0 || how == SIGKILL);
        indexbus_recover_report rep = {.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
        CHECK(rep.dead == (how == SIGKILL));
        total = 0;
        CHECK(drain(c, R_COPY, next, &total)); /* a prefix of sender 2, bytes intact */
        CHECK(total == next[2] && (how == SIGKILL ? total <= count : total == count));
        uint64_t reserved = ld(&w.mpsc->tail) - tail0;
        CHECK(reserved == total + rep.cells_skipped);
        CHECK(ld(&w.mpsc->head) == ld(&w.mpsc->tail));
        uint32_t out = leaked(&w);
        CHECK(out <= 1);
        leaks += out;
        max_skipped = rep.cells_skipped > max_skipped ? rep.cells_skipped : max_skipped;
        /* the queue moves on, and reuses what is parked */
        for (uint32_t i = 0; i < Q; i++)
            pub_one(mp, 1, seq++);
        CHECK(drain(c, R_COPY, next, &total) && next[1] == seq);
        CHECK(leaked(&w) == out);
        CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
        CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
        rep = (indexbus_recover_report){.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
        CHECK(mp_info(r).free_slots == SLOTS && leaked(&w) == 0 && account(&w, NULL));
        points++;
        if (how == 0 || ib_test_failures)
            break;
    }
    /* only the window of 5.12 limit 2, per message: after owner 0 and after
     * the value store, before the publishing CAS; a kill between the
     * reservation and the take leaks nothing (recovery displaces the
     * parked slot of the skipped cell) */
    CHECK(leaks == 2 * count);
    if (count > 1)
        CHECK(max_skipped == ((flags & INDEXBUS_CREATE_MPSC_BATCH) ? count : 1));
    printf("producer kill: %s region, %u message(s), killed after each of %u stores: "
           "%u kills left a slot out until the sweep, at most %u cells skipped\n",
           flags ? "bit-38" : "plain", count, points - 1, leaks, max_skipped);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ---- producers in several processes ------------------------------------------------- */

#define MP_MSGS 3000u
IB_SHARED static uint32_t *g_go;

/* Child arg: 1..3 MPSC producers (1 singles, 2 batches of 1..9, 3 both),
 * 4 the SPSC producer (singles). */
static int mixed_producer(int arg)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(
        g_name, arg == 4 ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC, &r);
    static uint8_t buf[64 * DATA];
    uint32_t lens[64];
    mp_barrier(g_go, 5);
    for (uint32_t seq = 0; seq < MP_MSGS;) {
        uint32_t n = arg == 1 || arg == 4 ? 1 : arg == 2 ? 1 + seq % 9 : (seq & 1) ? 1 : 1 + seq % 5;
        if (n > MP_MSGS - seq)
            n = MP_MSGS - seq;
        make_batch(buf, lens, (uint32_t)arg, seq, n);
        size_t k = 0;
        int st = n == 1 ? indexbus_publish(p, buf, lens[0]) : indexbus_publish_batch(p, buf, lens, n, &k);
        if (n == 1)
            k = st == INDEXBUS_OK;
        if (st != INDEXBUS_OK && st != INDEXBUS_FULL) {
            fprintf(stderr, "producer %d: %s\n", arg, indexbus_status_name(st));
            return 1;
        }
        seq += (uint32_t)k;
        if (k < n)
            sched_yield();
    }
    mp_close_producer(r, p);
    return 0;
}

static void mixed_case(uint32_t flags)
{
    g_name = ib_test_name("mpscr-mixed");
    indexbus_region *r = create(g_name, INDEXBUS_CREATE_RECYCLE | flags);
    raw w = raw_of(g_name);
    indexbus_consumer *c = open_consumer(r, R_COPY);
    uint32_t next[8] = {0};
    uint64_t total = 0;
    { /* warm-up: both queues' cells park a slot each */
        indexbus_producer *mp, *sp;
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
        for (uint32_t i = 0; i < Q; i++) {
            pub_one(mp, 5, next[5] + i);
            pub_one(sp, 6, next[6] + i);
        }
        CHECK(drain(c, R_COPY, next, &total));
        CHECK_ST(indexbus_producer_close(sp), INDEXBUS_OK);
        CHECK_ST(indexbus_producer_close(mp), INDEXBUS_OK);
    }
    uint64_t before = pool_word(&w);
    *g_go = 0;
    pid_t pids[4];
    for (int i = 0; i < 4; i++)
        pids[i] = ib_spawn(mixed_producer, i + 1);
    mp_barrier(g_go, 5);
    int mode = 0;
    while (total < 2 * Q + 4ull * MP_MSGS) {
        uint64_t was = total;
        CHECK(drain(c, mode, next, &total));
        mode = (mode + 1) % R_HOLD; /* copy, borrow, batch in turn */
        if (total == was)
            sched_yield();
        if (ib_test_failures)
            break;
    }
    CHECK(mp_join_all(pids, 4) == 0);
    for (uint32_t i = 1; i <= 4; i++)
        CHECK(next[i] == MP_MSGS);
    CHECK(pool_word(&w) == before); /* not once after the warm-up */
    uint32_t free_exact = 0;
    CHECK(account(&w, &free_exact) && free_exact == SLOTS);
    printf("mixed: %s region, 3 MPSC + 1 SPSC producer processes, %u messages each: "
           "in order, pool word unchanged\n", flags ? "bit-38" : "plain", MP_MSGS);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(trapped_consumer),
    IB_HELPER(trapped_producer),
    IB_HELPER(mixed_producer),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    g_res = ib_shared(sizeof *g_res);
    g_go = ib_shared(sizeof *g_go);
    if (run("quiet"))
        for (int m = 0; m < R_MODES; m++) {
            quiet_case(INDEXBUS_CREATE_RECYCLE, m);
            quiet_case(INDEXBUS_CREATE_RECYCLE | INDEXBUS_CREATE_MPSC_BATCH, m);
            quiet_case(0, m);
            quiet_case(INDEXBUS_CREATE_MPSC_BATCH, m);
        }
    if (run("cells"))
        cells_case();
    if (run("mixed")) {
        mixed_case(0);
        mixed_case(INDEXBUS_CREATE_MPSC_BATCH);
    }
#if WT_SUPPORTED
    if (run("race")) {
        race_case(0);
        race_case(1);
    }
    if (run("ckill")) {
        consumer_kill_case(R_COPY);
        consumer_kill_case(R_BORROW);
    }
    if (run("pkill")) {
        producer_kill_case(0, 1);
        producer_kill_case(0, 4);
        producer_kill_case(INDEXBUS_CREATE_MPSC_BATCH, 4);
    }
#else
    printf("write traps need x86-64 Linux: store-exact cases skipped\n");
#endif
    return ib_test_done("mpsc-recycle");
}
