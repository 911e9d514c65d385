/*
 * durable-kill.c - an SPSC producer SIGKILLed inside
 * indexbus_publish_batch_marked (LAYOUT.md 5.20), on events, fanout and
 * byte-log regions with durable state. The victim is a helper process
 * that opens the region by name, builds a batch of 150 marked messages
 * (three pieces: 64, 64, 22) and stops itself (PTRACE_TRACEME + SIGSTOP).
 * The test then runs it with hardware watchpoints on the journal words,
 * the SPSC tail and the first header of a byte log's piece (x86-64; else
 * it single-steps it), until the point of interest is visible in the
 * region, and kills it at that instruction. Points, for each piece:
 *
 *   journaled   pend_mark set, the piece not yet published
 *   published   the SPSC tail / the first header released, mark not yet set
 *   read        as published, and the consumer has read the piece (a byte
 *               log's records zeroed and given back) before the kill
 *   marked      mark = pend_mark, the journal not yet cleared
 *   clear       the journal cleared
 *
 * and kills at random instructions (a random watchpoint hit, then a random
 * number of single steps). After each kill, a
 * recovery (explicit, or through the next SPSC producer's refused attach)
 * and a new SPSC producer: its mark must be exactly the mark of the last
 * message the consumer receives (every message of the victim delivered
 * once, in order, as a prefix of its batch), and the point's own
 * expectation (journaled: the piece is not there; the others: it is).
 * The new producer then publishes one marked message above the mark.
 *
 * Where the kernel gives no hardware watchpoints (a probe asks first), the
 * victim is single-stepped instead (about 40 s; IB_NO_WATCH=1 forces it),
 * with fewer random kills; a sanitizer build then skips the test, since
 * single steps through instrumented code take minutes.
 */
#include <limits.h>
#include <stddef.h>
#include <sys/user.h>

#include "crash/trace.h"
#include "durable_util.h"

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

#define VN 150u
#define PIECE 64u
#define NPIECES 3u
#define RANDOM_KILLS 12
#define MAX_STEPS 50000000L
#define MAX_EXTRA_STEPS 400u

static uint64_t mark_of(uint32_t seq) { return 5000u + 7ull * seq; }

/* ---- the victim ---------------------------------------------------------------- */

static int victim(int arg)
{
    (void)arg;
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    static uint8_t data[VN * DU_LEN];
    static uint32_t lens[VN];
    static uint64_t marks[VN];
    du_batch(data, lens, marks, mp_load(&g_ctl->counter[1]), VN, mark_of);
    uint64_t m = UINT64_MAX;
    REQUIRE_OK(indexbus_producer_mark(p, &m));
    REQUIRE(m < marks[0]);
    trace_me_and_stop();
    size_t done = 0;
    int st = indexbus_publish_batch_marked(p, data, lens, marks, VN, &done);
    if (st != INDEXBUS_OK || done != VN)
        return 1;
    indexbus_producer_close(p);
    indexbus_region_close(r);
    return 0;
}

/* ---- what the test watches: the region, read-only ------------------------------- */

enum { PT_JOURNALED, PT_PUBLISHED, PT_READ, PT_MARKED, PT_CLEAR, PT_STEPS, NPOINTS };
static const char *point_name[] = {"journaled", "published", "read", "marked", "clear", "steps"};

typedef struct watch {
    const indexbus_durable_mark *m;
    const indexbus_spsc_ctl *spsc;   /* slot regions */
    const indexbus_log_ctl *log;     /* byte logs */
    const uint8_t *ring;
    uint64_t mask;
    const uint8_t *base; /* our mapping; the victim's is vbase */
    uintptr_t vbase;
    int point;
    uint64_t piece; /* the mark of the watched piece's last message */
    long steps, target;
} watch;

static const uint8_t *section(const uint8_t *base, uint32_t kind)
{
    const indexbus_region_header *h = (const indexbus_region_header *)base;
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == kind)
            return base + h->sections[i].offset;
    return NULL;
}

static void watch_map(watch *w, const char *name)
{
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    FILE *f = fopen(path, "rb");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    long size = ftell(f);
    const uint8_t *base = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fileno(f), 0);
    fclose(f);
    REQUIRE(base != MAP_FAILED);
    const indexbus_region_header *h = (const indexbus_region_header *)base;
    memset(w, 0, sizeof *w);
    w->base = base;
    w->m = (const indexbus_durable_mark *)section(base, INDEXBUS_SECTION_DURABLE);
    w->spsc = (const indexbus_spsc_ctl *)section(base, INDEXBUS_SECTION_SPSC_QUEUE);
    w->log = (const indexbus_log_ctl *)section(base, INDEXBUS_SECTION_LOG_RING);
    w->ring = w->log ? (const uint8_t *)(w->log + 1) : NULL;
    w->mask = h->log_bytes - 1;
    REQUIRE(w->m != NULL && (w->spsc != NULL || w->log != NULL));
}

#define LD(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)

/* Is the piece the journal names published (the victim is stopped)? */
static int published(const watch *w)
{
    uint64_t pos = LD(&w->m->pend_pos);
    if (w->log == NULL)
        return LD(&w->spsc->tail) == pos;
    uint64_t hdr = LD((const uint64_t *)(w->ring + (pos & w->mask)));
    return ((hdr >> 32) & 0xffu) == INDEXBUS_LOG_RECORD;
}

static int reached(void *arg)
{
    watch *w = arg;
    uint64_t pend = LD(&w->m->pend_mark), mark = LD(&w->m->mark);
    switch (w->point) {
    case PT_JOURNALED:
        return pend == w->piece && !published(w);
    case PT_PUBLISHED:
    case PT_READ:
        return pend == w->piece && published(w) && mark != w->piece;
    case PT_MARKED:
        return pend == w->piece && mark == w->piece;
    case PT_CLEAR:
        return pend == 0 && mark == w->piece;
    default:
        return w->steps++ >= w->target;
    }
}

/* ---- running the victim to a point ------------------------------------------------ */

/* Where the victim mapped the region (its /proc/PID/maps line for the file). */
static uintptr_t victim_base(pid_t pid, const char *name)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    REQUIRE(f != NULL);
    uintptr_t base = 0;
    while (base == 0 && fgets(line, sizeof line, f) != NULL) {
        unsigned long lo, off;
        char file[256] = "";
        if (sscanf(line, "%lx-%*x %*s %lx %*s %*s %255s", &lo, &off, file) == 3 && off == 0 &&
            strncmp(file, "/dev/shm", 8) == 0 && strcmp(file + 8, name) == 0)
            base = lo;
    }
    fclose(f);
    return base;
}

static uintptr_t in_victim(const watch *w, const void *ours)
{
    return w->vbase + (uintptr_t)((const uint8_t *)ours - w->base);
}

#if defined(__x86_64__)
/* Debug register i of the stopped victim. */
static int set_dr(pid_t pid, int i, uintptr_t v)
{
    void *at = (void *)(offsetof(struct user, u_debugreg) + (size_t)i * sizeof(long));
    return ptrace(PTRACE_POKEUSER, pid, at, (void *)v) == 0 ? 0 : -1;
}

/* Write watchpoints (8 bytes each) on the journal words, and on the SPSC
 * tail or, once a piece of a byte log is journaled, its first header. */
static int watch_writes(pid_t pid, const watch *w)
{
    uintptr_t at[3] = {in_victim(w, &w->m->pend_mark), in_victim(w, &w->m->mark), 0};
    if (w->spsc != NULL)
        at[2] = in_victim(w, &w->spsc->tail);
    else if (LD(&w->m->pend_mark) != 0)
        at[2] = in_victim(w, w->ring + (LD(&w->m->pend_pos) & w->mask));
    uintptr_t dr7 = 0;
    for (int i = 0; i < 3; i++) {
        if (at[i] == 0)
            continue;
        if (set_dr(pid, i, at[i]) != 0)
            return -1;
        dr7 |= (uintptr_t)1 << (2 * i);        /* enabled */
        dr7 |= (uintptr_t)1 << (16 + 4 * i);   /* on writes */
        dr7 |= (uintptr_t)2 << (18 + 4 * i);   /* 8 bytes */
    }
    return set_dr(pid, 7, dr7);
}
#else
static int watch_writes(pid_t pid, const watch *w)
{
    (void)pid, (void)w;
    return -1;
}
#endif

/* hardware watchpoints work here (tried once); IB_NO_WATCH=1 single-steps */
static int have_watch = -1;

/* Run the stopped victim until cond holds at a watchpoint hit (or, without
 * watchpoints, at an instruction): 1, or 0 if it ended first. *hits
 * counts the hits (or steps). */
static int run_until(pid_t pid, const watch *w, int (*cond)(void *), void *arg, long *hits)
{
    if (have_watch == 0)
        return (*hits = trace_step_until(pid, cond, arg, MAX_STEPS)) >= 0;
    for (*hits = 0;; ++*hits) {
        if (watch_writes(pid, w) != 0) {
            REQUIRE(have_watch != 1);
            have_watch = 0;
            fprintf(stderr, "durable-kill: no hardware watchpoints: single-stepping\n");
            return run_until(pid, w, cond, arg, hits);
        }
        have_watch = 1;
        if (cond(arg))
            return 1;
        int st;
        if (ptrace(PTRACE_CONT, pid, NULL, NULL) != 0 || waitpid(pid, &st, 0) != pid ||
            !WIFSTOPPED(st))
            return 0;
        REQUIRE(WSTOPSIG(st) == SIGTRAP); /* nothing else is expected: stop here */
    }
}

/* Do hardware watchpoints work here? A plain forked child is enough to
 * ask the kernel (it runs no library code: it stops and is killed). */
static int probe_watch(void)
{
    static uint64_t word;
    pid_t pid = fork();
    if (pid == 0) {
        trace_me_and_stop();
        _exit(0);
    }
    REQUIRE(pid > 0 && trace_wait_stop(pid) == 0);
    watch w = {.vbase = (uintptr_t)&word, .base = (const uint8_t *)&word};
    w.m = (const indexbus_durable_mark *)&word; /* pend_mark and mark: words of the probe */
    w.spsc = (const indexbus_spsc_ctl *)&word;
    int ok = watch_writes(pid, &w) == 0;
    trace_kill(pid);
    return ok;
}

static int count_hits(void *arg)
{
    watch *w = arg;
    return w->steps++ >= w->target;
}

/* ---- one kill ------------------------------------------------------------------- */

typedef struct rig {
    uint32_t kind;
    indexbus_region *r;
    indexbus_consumer *c;
    indexbus_router *rt;
    watch w;
    uint32_t next_seq;  /* what the consumer expects next */
    uint64_t last_mark; /* of the last message it received */
    int cases;
} rig;

/* Receive what is waiting; each must be the next in sequence. */
static uint32_t drain(rig *g, const char *what)
{
    uint32_t n = 0;
    for (;;) {
        uint64_t mark;
        uint32_t seq;
        int st = du_recv(g->c, g->rt, &mark, &seq);
        if (st == INDEXBUS_EMPTY || st == INDEXBUS_DISCONNECTED)
            return n;
        if (st != INDEXBUS_OK || seq != g->next_seq || mark != mark_of(seq)) {
            fprintf(stderr, "%s: %s: receive %s, seq %u mark %llu, want seq %u\n",
                    du_kind_name(g->kind), what, indexbus_status_name(st), seq,
                    (unsigned long long)mark, g->next_seq);
            ib_test_failures++;
            return n;
        }
        g->next_seq++;
        g->last_mark = mark;
        n++;
    }
}

static uint64_t piece_last(uint32_t from, uint32_t k)
{
    uint32_t end = (k + 1) * PIECE < VN ? (k + 1) * PIECE : VN;
    return mark_of(from + end - 1);
}

/* Start a victim stopped before its batch. */
static pid_t victim_start(rig *g)
{
    mp_store(&g_ctl->counter[1], g->next_seq);
    pid_t pid = ib_spawn(victim, 0);
    REQUIRE(trace_wait_stop(pid) == 0);
    g->w.vbase = victim_base(pid, g_name);
    REQUIRE(g->w.vbase != 0);
    return pid;
}

/* Run it to the point (random: `hits` watchpoint hits, then `steps`
 * single steps); 0 if it ran to its end first. */
static int victim_to(rig *g, pid_t pid, int point, uint32_t k, long hits, long steps)
{
    long n;
    g->w.point = point;
    g->w.piece = piece_last(g->next_seq, k);
    if (point != PT_STEPS)
        return run_until(pid, &g->w, reached, &g->w, &n);
    g->w.steps = 0;
    g->w.target = hits;
    if (!run_until(pid, &g->w, count_hits, &g->w, &n))
        return 0;
    g->w.steps = 0;
    g->w.target = steps;
    return trace_step_until(pid, reached, &g->w, MAX_STEPS) >= 0;
}

/* Kill at (point, piece k), recover, and check the mark against what arrives. */
static void kill_case(rig *g, int point, uint32_t k, long hits, long steps)
{
    char what[96];
    snprintf(what, sizeof what, "%s piece %u (hit %ld step %ld)", point_name[point], k, hits, steps);
    uint32_t from = g->next_seq;
    uint64_t before = g->last_mark;
    pid_t pid = victim_start(g);
    int ok = victim_to(g, pid, point, k, hits, steps);
    uint32_t got = 0;
    if (!ok) { /* the victim finished (or died) before the point: reaped */
        if (point != PT_STEPS) {
            fprintf(stderr, "%s: %s: point not reached\n", du_kind_name(g->kind), what);
            ib_test_failures++;
        }
    } else {
        if (point == PT_READ)
            got = drain(g, what); /* the consumer passes the piece before the kill */
        trace_kill(pid);
    }
    /* recovery: by hand, or by the next SPSC producer's refused attach */
    if (g->cases++ % 2 == 0) {
        indexbus_recover_report rep = {.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(g->r, 0, &rep), INDEXBUS_OK);
        /* a random kill may land after the victim closed its producer */
        CHECK(rep.dead == (ok ? 1u : 0u) || (point == PT_STEPS && rep.dead == 0));
    }
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(g->r, INDEXBUS_PRODUCER_SPSC, &p));
    uint64_t mark = 0;
    REQUIRE_OK(indexbus_producer_mark(p, &mark));
    got += drain(g, what);
    CHECK(got <= VN);
    if (mark != g->last_mark || (got == 0 && mark != before)) {
        fprintf(stderr, "%s: %s: mark %llu, last received %llu (%u of the batch)\n",
                du_kind_name(g->kind), what, (unsigned long long)mark,
                (unsigned long long)g->last_mark, got);
        ib_test_failures++;
    }
    /* the point's own expectation: the piece is there exactly when published */
    uint64_t want = point == PT_JOURNALED ? (k == 0 ? before : piece_last(from, k - 1))
                                          : piece_last(from, k);
    if (point != PT_STEPS && ok && mark != want) {
        fprintf(stderr, "%s: %s: mark %llu, want %llu\n", du_kind_name(g->kind), what,
                (unsigned long long)mark, (unsigned long long)want);
        ib_test_failures++;
    }
    /* the new producer continues above the mark */
    uint8_t data[DU_LEN];
    uint32_t len = DU_LEN;
    uint64_t next = mark_of(g->next_seq);
    du_msg(data, next, g->next_seq);
    size_t done = 0;
    CHECK_ST(indexbus_publish_batch_marked(p, data, &len, &next, 1, &done), INDEXBUS_OK);
    REQUIRE_OK(indexbus_producer_mark(p, &mark));
    CHECK(done == 1 && mark == next);
    CHECK(drain(g, what) == 1 && g->last_mark == next);
    indexbus_producer_close(p);
}

/* Watchpoint hits (or steps) from the stop to the end of a whole batch. */
static long whole_batch_hits(rig *g)
{
    pid_t pid = victim_start(g);
    g->w.point = PT_STEPS;
    g->w.steps = 0;
    g->w.target = LONG_MAX;
    long n = 0;
    REQUIRE(!run_until(pid, &g->w, count_hits, &g->w, &n)); /* ran to its end, reaped */
    CHECK(drain(g, "whole batch") == VN);
    return g->w.steps;
}

static int random_kills = RANDOM_KILLS;

static uint64_t rnd(void) { return (uint64_t)rand() << 16 ^ (uint64_t)rand(); }

static void kills_kind(uint32_t kind, unsigned seed)
{
    rig g;
    memset(&g, 0, sizeof g);
    g.kind = kind;
    g_name = ib_test_name("dur-kill");
    g.r = du_create(g_name, kind);
    REQUIRE_OK(indexbus_consumer_open(g.r, 0, &g.c));
    if (kind == INDEXBUS_KIND_FANOUT)
        REQUIRE_OK(indexbus_router_open(g.r, &g.rt));
    watch_map(&g.w, g_name);
    for (uint32_t k = 0; k < NPIECES; k++)
        for (int pt = PT_JOURNALED; pt <= PT_CLEAR; pt++)
            kill_case(&g, pt, k, 0, 0);
    long total = whole_batch_hits(&g);
    /* at least four journal and mark stores per piece */
    CHECK(total >= (have_watch == 1 ? 4 * (long)NPIECES : 1000));
    if (getenv("IB_VERBOSE"))
        fprintf(stderr, "%s: %ld %s in a whole batch, %d kills\n", du_kind_name(kind), total,
                have_watch == 1 ? "watchpoint hits" : "steps", g.cases + random_kills);
    srand(seed);
    for (int i = 0; i < random_kills && total > 1; i++) {
        if (have_watch == 1)
            kill_case(&g, PT_STEPS, 0, (long)(rnd() % (uint64_t)total), (long)(rnd() % MAX_EXTRA_STEPS));
        else
            kill_case(&g, PT_STEPS, 0, 0, 1 + (long)(rnd() % (uint64_t)(total - 1)));
    }
    indexbus_router_close(g.rt);
    indexbus_consumer_close(g.c);
    indexbus_region_close(g.r);
    indexbus_region_unlink(g_name);
}

static const ib_helper helpers[] = {IB_HELPER(victim), {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    g_ctl = mp_ctl_new();
    have_watch = getenv("IB_NO_WATCH") == NULL && probe_watch();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
    if (!have_watch) { /* single steps through instrumented code take minutes */
        fprintf(stderr, "durable-kill: SKIPPED: no hardware watchpoints, and a sanitizer build "
                        "is too slow to single-step (the plain build runs it)\n");
        return 0;
    }
#endif
    random_kills = have_watch ? RANDOM_KILLS : RANDOM_KILLS / 4;
    unsigned seed = (unsigned)getpid();
    const uint32_t kinds[3] = {INDEXBUS_KIND_EVENTS, INDEXBUS_KIND_FANOUT, INDEXBUS_KIND_LOG};
    for (int k = 0; k < 3; k++)
        kills_kind(kinds[k], seed + (unsigned)k);
    if (ib_test_failures)
        fprintf(stderr, "durable-kill: random kill seed %u\n", seed);
    return ib_test_done("durable-kill");
}
