/*
 * repro_hold_release_points.c - a HOLD consumer (LAYOUT.md 5.20) SIGKILLed
 * at every point of an indexbus_release, deterministically: the victim
 * holds N messages, releases 2, stops itself (ptrace), and is single-stepped
 * through release(5); a calibration run records each step at which the
 * region's bytes change (an effect: a journal word, a head, a cell's
 * sequence, a slot's refcount, the pool, a parked slot, the delivered
 * counter, the ring's read, head or zeroes), and the victim is then killed
 * right after each effect in turn, in a fresh region each time. Regions:
 * events (pool slots; recycled SPSC slots; SPSC and MPSC queues
 * together), a fanout region with durable state, and a byte log.
 *
 * After each kill and recovery (explicit, or through the next holder's
 * refused attach, in turn) the next holder must read exactly what the dead
 * one had not released: a suffix of the dead holder's FIFO (per producer
 * queue as sets), between 2 and 7 released, every message byte for byte at
 * the position the dead holder saw it at. It releases them; then every slot
 * is free again (at most one slot leaked by a death between a receive's
 * journal clear and its free, as for a plain receive: the sweep of the
 * quiet region then finds it), or the ring is all free.
 *
 * Exit 0 = every kill point keeps the invariants, 1 = some does not.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_hold_release_points"
#include "raw.h"
#include "repro_util.h"
#include "trace.h"

#define N 8u       /* messages held by the victim */
#define EARLY 2u   /* released before it is stepped */
#define STEPPED 5u /* released while stepped */
#define MPSC_BIT (1ull << 63)
#define MAX_POINTS 400

enum { EV, EVR, EVM, FAN, LOG, NVARIANTS };
static const char *const vname[NVARIANTS] = {"events", "events-recycle", "events-spsc+mpsc",
                                             "fanout-durable", "byte-log"};

typedef struct shared {
    uint32_t opened, go, ready;
    uint32_t n;
    uint64_t pos[N];
} shared;
static volatile shared *sh;
static char name[64];
static uint32_t variant;
static raw_view W;
static const uint8_t *snap_base;
static uint8_t *snap;
static size_t snap_len;

static size_t mlen(uint32_t i) { return 12u + (i * 7u) % 40u; }

static void mfill(uint8_t *b, uint32_t i)
{
    memcpy(b, &i, 4);
    for (size_t j = 4; j < mlen(i); j++)
        b[j] = (uint8_t)(i * 31u + j);
}

/* the message id in b, if b holds an intact message; else UINT32_MAX */
static uint32_t mcheck(const uint8_t *b, size_t len)
{
    uint32_t i;
    if (len < 4)
        return UINT32_MAX;
    memcpy(&i, b, 4);
    if (i >= 64 || len != mlen(i))
        return UINT32_MAX;
    for (size_t j = 4; j < len; j++)
        if (b[j] != (uint8_t)(i * 31u + j))
            return UINT32_MAX;
    return i;
}

/* ---- the region ----------------------------------------------------------------------- */

typedef struct rig {
    indexbus_region *r;
    indexbus_producer *p, *m;
    indexbus_router *rt;
} rig;

static rig setup(void)
{
    rig g = {0};
    indexbus_region_config cfg;
    uint32_t kind = variant == LOG ? INDEXBUS_KIND_LOG
                    : variant == FAN ? INDEXBUS_KIND_FANOUT
                                     : INDEXBUS_KIND_EVENTS;
    int st = indexbus_region_config_init(&cfg, kind);
    if (st)
        die("config", st);
    if (variant == LOG) {
        cfg.byte_capacity = 4096;
        cfg.max_record = 256;
    } else {
        cfg.slot_count = variant == EV ? 16 : variant == FAN ? 32 : 64;
        cfg.queue_capacity = 16;
        cfg.slot_data_size = 64;
        cfg.consumer_count = 1;
    }
    if (variant == FAN)
        cfg.flags |= INDEXBUS_CREATE_DURABLE;
    g.r = repro_create_mapped(name, &cfg, &W);
    if ((st = indexbus_producer_open(g.r, INDEXBUS_PRODUCER_SPSC, &g.p)))
        die("producer", st);
    if (variant == EVM && (st = indexbus_producer_open(g.r, INDEXBUS_PRODUCER_MPSC, &g.m)))
        die("mpsc producer", st);
    if (variant == FAN && (st = indexbus_router_open(g.r, &g.rt)))
        die("router", st);
    return g;
}

static void publish_all(rig *g)
{
    uint8_t b[64];
    for (uint32_t i = 0; i < N; i++) {
        mfill(b, i);
        int st = indexbus_publish(variant == EVM && (i & 1) ? g->m : g->p, b, mlen(i));
        if (st)
            die("publish", st);
        if (g->rt != NULL && (st = indexbus_route_once(g->rt, INDEXBUS_SOURCE_ANY,
                                                         INDEXBUS_MODE_BROADCAST)))
            die("route", st);
    }
}

static void teardown(rig *g)
{
    indexbus_router_close(g->rt);
    indexbus_producer_close(g->m);
    indexbus_producer_close(g->p);
    indexbus_region_close(g->r);
    raw_unmap(&W);
    indexbus_region_unlink(name);
}

static indexbus_consumer *open_holder(indexbus_region *r, int *st)
{
    indexbus_consumer_config cc = {.size = sizeof cc, .index = 0, .flags = INDEXBUS_CONSUMER_HOLD,
                                   .max_held = 64};
    indexbus_consumer *c = NULL;
    *st = indexbus_consumer_open_config(r, &cc, &c);
    return c;
}

/* ---- the victim ----------------------------------------------------------------------- */

static void victim(void)
{
    indexbus_region *r;
    int st;
    alarm(30);
    if (indexbus_region_open(name, NULL, &r) != INDEXBUS_OK)
        _exit(2);
    indexbus_consumer *c = open_holder(r, &st);
    if (c == NULL)
        _exit(2);
    __atomic_store_n(&sh->opened, 1, __ATOMIC_SEQ_CST);
    repro_wait_flag(&sh->go);
    uint8_t b[64];
    size_t len;
    uint64_t pos;
    for (uint32_t i = 0; i < N; i++) {
        if (indexbus_recv_held(c, b, sizeof b, &len, &pos) != INDEXBUS_OK || mcheck(b, len) == UINT32_MAX)
            _exit(2);
        sh->pos[i] = pos;
        sh->n = i + 1;
    }
    if (indexbus_release(c, EARLY) != INDEXBUS_OK)
        _exit(2);
    __atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
    trace_me_and_stop();
    if (indexbus_release(c, STEPPED) != INDEXBUS_OK)
        _exit(2);
    __atomic_store_n(&sh->ready, 2, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
}

static pid_t spawn_victim(rig *g)
{
    memset((void *)sh, 0, sizeof *sh);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", INDEXBUS_IO);
    if (pid == 0)
        victim();
    repro_wait_flag(&sh->opened);
    publish_all(g); /* fanout: routed now that the holder is attached */
    __atomic_store_n(&sh->go, 1, __ATOMIC_SEQ_CST);
    repro_wait_flag(&sh->ready);
    if (trace_wait_stop(pid) != 0)
        die("victim did not stop", INDEXBUS_IO);
    return pid;
}

/* ---- effects ---------------------------------------------------------------------------- */

typedef struct watch {
    long effects, want; /* seen so far; stop at this many (-1: at the end of the call) */
    long at[MAX_POINTS]; /* calibration: the step of each effect */
    long steps;
} watch;

static void snap_take(void) { memcpy(snap, snap_base, snap_len); }

static int reached(void *arg)
{
    watch *w = arg;
    if (memcmp(snap, snap_base, snap_len) != 0) {
        if (w->effects < MAX_POINTS)
            w->at[w->effects] = w->steps;
        w->effects++;
        snap_take();
    }
    w->steps++;
    if (w->want >= 0)
        return w->effects >= w->want;
    return __atomic_load_n(&sh->ready, __ATOMIC_SEQ_CST) == 2;
}

/* ---- one kill point ---------------------------------------------------------------------- */

/* Slots on the pool's free list: -1 if one is there twice (a double free). */
static int free_list_len(void)
{
    uint8_t on[64] = {0};
    uint32_t n = 0, idx = (uint32_t)raw_ld64(&W.pool->free_head);
    while (idx < W.slot_count && n <= W.slot_count) {
        if (on[idx]++)
            return -1;
        n++;
        idx = raw_ld32(&raw_slot(&W, idx)->next_free);
    }
    return (int)n;
}

static int check_after(rig *g, pid_t pid, long point, int refused)
{
    int ok = 1, st;
#define FAIL(...)                                                                               \
    do {                                                                                        \
        fprintf(stderr, REPRO_PROG ": %s, after effect %ld: ", vname[variant], point);          \
        fprintf(stderr, __VA_ARGS__);                                                           \
        fprintf(stderr, "\n");                                                                  \
        ok = 0;                                                                                 \
    } while (0)
    if (!refused) {
        indexbus_recover_report rep = {.size = sizeof rep};
        if ((st = indexbus_region_recover(g->r, 0, &rep)) != INDEXBUS_OK || rep.dead != 1)
            FAIL("recover: %s, dead %u", indexbus_status_name(st), rep.dead);
    }
    (void)pid;
    indexbus_consumer *c = open_holder(g->r, &st); /* refused: recovers the dead one */
    if (c == NULL) {
        FAIL("next holder: %s", indexbus_status_name(st));
        return 0;
    }
    uint8_t b[64];
    size_t len;
    uint64_t pos;
    uint32_t got = 0, seen[N] = {0}, per[2] = {0, 0}, first_k = N;
    while ((st = indexbus_recv_held(c, b, sizeof b, &len, &pos)) == INDEXBUS_OK) {
        uint32_t id = mcheck(b, len);
        if (id >= N || seen[id]++) {
            FAIL("message %u read again twice or corrupt", id);
            continue;
        }
        if (sh->pos[id] != pos)
            FAIL("message %u at position %llx, the dead holder saw %llx", id,
                 (unsigned long long)pos, (unsigned long long)sh->pos[id]);
        per[variant == EVM && (pos & MPSC_BIT)]++;
        got++;
    }
    if (st != INDEXBUS_EMPTY)
        FAIL("next holder's read ended %s", indexbus_status_name(st));
    /* the released ones are a prefix of the dead holder's FIFO (its order
     * was the messages' order: ids 0..N-1), the rest all read again */
    for (uint32_t i = 0; i < N; i++)
        if (seen[i] && first_k == N)
            first_k = i;
    for (uint32_t i = first_k; i < N; i++)
        if (!seen[i])
            FAIL("message %u lost", i);
    uint32_t released = N - got;
    if (released < EARLY || released > EARLY + STEPPED)
        FAIL("%u released, want %u..%u", released, EARLY, EARLY + STEPPED);
    if ((st = indexbus_release(c, got)) != INDEXBUS_OK)
        FAIL("release: %s", indexbus_status_name(st));
    indexbus_consumer_close(c);
    indexbus_info info = {.size = sizeof info};
    indexbus_region_info(g->r, &info);
    int leaked = 0;
    if (variant == LOG) {
        uint64_t space = 0;
        indexbus_producer_space(g->p, &space);
        if (space != 4096)
            FAIL("ring space %llu after the release, want 4096", (unsigned long long)space);
    } else if (info.free_slots + 1 == info.slot_count) {
        leaked = 1; /* the journal-clear-before-free window: the sweep finds it */
    } else if (info.free_slots != info.slot_count) {
        FAIL("%u of %u slots free", info.free_slots, info.slot_count);
    }
    if (variant != LOG && free_list_len() < 0)
        FAIL("a slot is on the free list twice");
    indexbus_router_close(g->rt);
    indexbus_producer_close(g->m);
    indexbus_producer_close(g->p);
    g->rt = NULL;
    g->m = g->p = NULL;
    if (variant != LOG) {
        indexbus_recover_report rep = {.size = sizeof rep};
        if ((st = indexbus_region_recover(g->r, INDEXBUS_RECOVER_SWEEP, &rep)) != INDEXBUS_OK)
            FAIL("sweep: %s", indexbus_status_name(st));
        indexbus_region_info(g->r, &info);
        if (info.free_slots != info.slot_count)
            FAIL("%u of %u slots free after the sweep", info.free_slots, info.slot_count);
    }
    return ok ? 1 + leaked : 0;
#undef FAIL
}

static void hang(int sig)
{
    (void)sig;
    static const char m[] = REPRO_PROG ": HANG (10 s guard)\n";
    shm_unlink(name);
    if (write(2, m, sizeof m - 1) < 0) {
        /* nothing to do */
    }
    _exit(1);
}

/* 1 ok, 2 ok with the known one-slot leak, 0 broken. */
static int run_point(long point, int refused)
{
    rig g = setup();
    snap_base = W.base;
    snap_len = W.len;
    snap = malloc(snap_len);
    pid_t pid = spawn_victim(&g);
    snap_take();
    watch w = {.want = point};
    long steps = point == 0 ? 0 : trace_step_until(pid, reached, &w, 5000000);
    trace_kill(pid);
    int ok = steps >= 0;
    if (!ok)
        fprintf(stderr, REPRO_PROG ": %s: effect %ld never reached\n", vname[variant], point);
    signal(SIGALRM, hang);
    alarm(10);
    if (ok)
        ok = check_after(&g, pid, point, refused);
    alarm(0);
    free(snap);
    teardown(&g);
    return ok;
}

static int run_isolated(long point, int refused)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", INDEXBUS_IO);
    if (pid == 0)
        _exit(run_point(point, refused));
    int status;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 0;
}

/* Calibration: how many effects release(STEPPED) has, in a run to its end. */
static long calibrate(void)
{
    rig g = setup();
    snap_base = W.base;
    snap_len = W.len;
    snap = malloc(snap_len);
    pid_t pid = spawn_victim(&g);
    snap_take();
    watch w = {.want = -1};
    long steps = trace_step_until(pid, reached, &w, 5000000);
    trace_kill(pid);
    free(snap);
    teardown(&g);
    if (steps < 0)
        die("calibration did not finish", INDEXBUS_IO);
    return w.effects;
}

int main(void)
{
    sh = (volatile shared *)repro_shared_page();
    snprintf(name, sizeof name, "/ibcrash-repro-hold-%d", (int)getpid());
    uint32_t points = 0, failures = 0, leaks = 0;
    for (variant = 0; variant < NVARIANTS; variant++) {
        long effects = calibrate();
        uint32_t vf = 0, vl = 0;
        for (long k = 0; k <= effects; k++) {
            int res = run_isolated(k, (int)(k & 1));
            vf += res == 0;
            vl += res == 2;
            points++;
        }
        failures += vf;
        leaks += vl;
        printf("  %-18s %3ld effects in release(%u): %ld kill points, %u broke an invariant, "
               "%u leaked one slot (swept)\n",
               vname[variant], effects, STEPPED, effects + 1, vf, vl);
    }
    printf(REPRO_PROG ": %u of %u kill points broke an invariant (%u leaked one slot, swept)\n",
           failures, points, leaks);
    return failures ? 1 : 0;
}
