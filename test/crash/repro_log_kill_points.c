/*
 * repro_log_kill_points.c - a byte-log producer SIGKILLed at each point of
 * a claim, a commit and a wrap, deterministically: the victim (a forked
 * process that opened the region by name) is single-stepped with ptrace
 * until the shared-memory effect that marks the point is visible, and
 * killed at that instruction. SPSC and MPSC victims, each point:
 *
 *   claim   journaled (log_reserve = pos | RESERVING), before the reservation
 *   claim   reserved (tail moved), header not yet CLAIMED
 *   claim   CLAIMED, journal RESERVED: holding the claim, never committed
 *   commit  inside commit_batch / publish_batch: later headers written,
 *           the first still CLAIMED (nothing published yet)
 *   commit  inside a shorter commit: the rest PAD written, header CLAIMED
 *   wrap    reserved past the ring's end, PAD not yet written
 *   wrap    PAD to the ring's end written, record header not yet CLAIMED
 *   wrap    PAD and CLAIMED: holding a wrapping claim
 *   wrap    holding a wrapping claim that the (caught up) consumer passed:
 *           the PAD is read, zeroed and given back before the kill
 *   wrap    journaled, before the reservation
 *   wrap    inside a batch commit that wraps
 *
 * Recovery then runs each of the ways it runs by itself or on demand:
 * explicitly (indexbus_region_recover: one dead, and a reservation padded
 * exactly when one was made) with the reader behind, with the reader
 * caught up (it passed what it could, a wrap PAD included, and gave it
 * back), or (MPSC) with the ring then filled up behind the dead record; in
 * the consumer's park loop (indexbus_recv: the records behind the dead one
 * arrive, or, with the only producer dead, DISCONNECTED); or through a
 * refused attach (a new SPSC producer takes over the dead one's role). No
 * timeout is involved: every wait has a 5 s hang guard and returns in
 * milliseconds.
 *
 * Each case then checks: every committed record (the helper producer's
 * before and after the death, the victim's own earlier ones) delivered
 * once, in order, intact; nothing of the unfinished record; the dead
 * entry free; two laps of mixed-size traffic from a new producer through
 * copy, borrow and batch receives; and at the end head == read == tail
 * with every ring byte zero (free space is zero, LAYOUT.md 4.9).
 *
 * Exit 0 = every placement keeps the invariants, 1 = some does not (the
 * cases that fail are printed).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_kill_points"
#include "repro_log.h"

static const char *name;
static rawlog W;
static volatile uint32_t *flag;

enum { A_CLAIM, A_SHORT, A_CLAIM_BATCH, A_PUBLISH_BATCH };
enum { PT_JOURNAL, PT_RESERVED, PT_PAD, PT_CLAIMED, PT_IN_COMMIT };
enum { R_EXPLICIT, R_EXPLICIT_CAUGHT_UP, R_RING_FULL, R_PARK, R_REFUSED, NPATHS };
static const char *rname[] = {"recover, reader behind", "recover, reader caught up",
                              "recover, the ring full behind", "consumer park loop", "refused attach"};

typedef struct place {
    const char *name;
    int wrap, action, point;
    int given_back; /* drain (consumer passes the PAD, gives back) before the kill */
} place;

static const place places[] = {
    {"claim: journaled, before the reservation", 0, A_CLAIM, PT_JOURNAL, 0},
    {"claim: reserved, header not yet CLAIMED", 0, A_CLAIM, PT_RESERVED, 0},
    {"claim: holding the claim (CLAIMED)", 0, A_CLAIM, PT_CLAIMED, 0},
    {"commit: inside commit_batch", 0, A_CLAIM_BATCH, PT_IN_COMMIT, 0},
    {"commit: inside publish_batch", 0, A_PUBLISH_BATCH, PT_IN_COMMIT, 0},
    {"commit: inside a shorter commit (rest PAD written)", 0, A_SHORT, PT_IN_COMMIT, 0},
    {"wrap: reserved, PAD not yet written", 1, A_CLAIM, PT_RESERVED, 0},
    {"wrap: PAD written, record not yet CLAIMED", 1, A_CLAIM, PT_PAD, 0},
    {"wrap: holding a wrapping claim", 1, A_CLAIM, PT_CLAIMED, 0},
    {"wrap: holding a wrapping claim, its PAD read and given back", 1, A_CLAIM, PT_CLAIMED, 1},
    {"wrap: journaled, before the reservation", 1, A_CLAIM, PT_JOURNAL, 0},
    {"wrap: inside a batch commit that wraps", 1, A_CLAIM_BATCH, PT_IN_COMMIT, 0},
};
#define NPLACES (sizeof places / sizeof places[0])

static const uint32_t batch_lens[3] = {40, 24, 100}; /* strides 48, 32, 112 */
#define CLAIM_LEN 120u /* stride 128: from 64 bytes before the end, it wraps */
#define SHORT_CLAIM 200u
#define SHORT_LEN 40u
#define PRE 2u /* records the victim commits before it is stepped */

/* ---- the victim -------------------------------------------------------------------- */

static const place *cur;

static void victim_pre(indexbus_producer *pr, void *arg)
{
    (void)arg;
    for (uint32_t s = 0; s < PRE; s++)
        rl_pub(pr, 1, s, 56);
}

static void victim_act(indexbus_producer *pr, void *arg)
{
    (void)arg;
    void *buf, *bufs[3];
    uint8_t data[512];
    size_t done;
    switch (cur->action) {
    case A_CLAIM:
        if (indexbus_claim_len(pr, CLAIM_LEN, &buf) == INDEXBUS_OK) {
            rl_fill(buf, 1, PRE, CLAIM_LEN);
            indexbus_commit(pr, CLAIM_LEN);
        }
        break;
    case A_SHORT:
        if (indexbus_claim_len(pr, SHORT_CLAIM, &buf) == INDEXBUS_OK) {
            rl_fill(buf, 1, PRE, SHORT_LEN);
            indexbus_commit(pr, SHORT_LEN);
        }
        break;
    case A_CLAIM_BATCH:
        if (indexbus_claim_batch(pr, batch_lens, 3, bufs) == INDEXBUS_OK) {
            for (uint32_t i = 0; i < 3; i++)
                rl_fill(bufs[i], 1, PRE + i, batch_lens[i]);
            indexbus_commit_batch(pr, 3);
        }
        break;
    default: {
        uint32_t off = 0;
        for (uint32_t i = 0; i < 3; i++) {
            rl_fill(data + off, 1, PRE + i, batch_lens[i]);
            off += batch_lens[i];
        }
        indexbus_publish_batch(pr, data, batch_lens, 3, &done);
        break;
    }
    }
}

/* ---- kill points, read from the region ----------------------------------------- */

typedef struct watch {
    uint32_t entry;
    uint64_t tail0;
} watch;

static int journal_flag(const watch *w, uint64_t flag_)
{
    return (rl_journal(&W, w->entry) & 7u) == flag_;
}

/* the victim's reservation, from its journal (valid once the journal is set) */
static rl_rsv victim_rsv(const watch *w)
{
    uint64_t j = rl_journal(&W, w->entry);
    return rl_reservation(&W, j & ~7ull, rl_journal_size(&W, w->entry));
}

static int reached(void *arg)
{
    const watch *w = arg;
    switch (cur->point) {
    case PT_JOURNAL:
        return journal_flag(w, INDEXBUS_LOG_RESERVING);
    case PT_RESERVED:
        return rl_tail(&W) != w->tail0;
    case PT_PAD:
        return rl_tail(&W) != w->tail0 && RL_TYPE(rl_hdr(&W, w->tail0)) == INDEXBUS_LOG_PAD;
    case PT_CLAIMED:
        return journal_flag(w, INDEXBUS_LOG_RESERVED);
    default: { /* a header after the first written, the first still CLAIMED */
        if (!journal_flag(w, INDEXBUS_LOG_RESERVED))
            return 0;
        rl_rsv r = victim_rsv(w);
        uint64_t inner = r.rec + rl_stride(cur->action == A_SHORT ? SHORT_LEN : batch_lens[0]);
        return RL_TYPE(rl_hdr(&W, r.rec)) == INDEXBUS_LOG_CLAIMED && rl_hdr(&W, inner) != 0;
    }
    }
}

/* What the region must look like at the kill: the point, exactly. */
static int state_at_kill(const watch *w, char *why, size_t n)
{
    uint64_t t = rl_tail(&W), j = rl_journal(&W, w->entry);
    rl_rsv r = victim_rsv(w);
    uint64_t h0 = rl_hdr(&W, r.pos), hr = rl_hdr(&W, r.rec);
    int wraps = r.pad != 0;
    switch (cur->point) {
    case PT_JOURNAL:
        if (t == w->tail0 && (j & 7u) == INDEXBUS_LOG_RESERVING && r.pos == w->tail0 && wraps == cur->wrap)
            return 1;
        break;
    case PT_RESERVED:
        if (t == r.pos + r.pad + r.bytes && h0 == 0 && hr == 0 && wraps == cur->wrap)
            return 1;
        break;
    case PT_PAD:
        if (wraps && RL_TYPE(h0) == INDEXBUS_LOG_PAD && RL_LEN(h0) == r.pad && hr == 0)
            return 1;
        break;
    case PT_CLAIMED:
        if (RL_TYPE(hr) == INDEXBUS_LOG_CLAIMED && RL_OWNER(hr) == w->entry + 1 && wraps == cur->wrap &&
            (!wraps || cur->given_back || RL_TYPE(h0) == INDEXBUS_LOG_PAD))
            return 1;
        break;
    default:
        if (RL_TYPE(hr) == INDEXBUS_LOG_CLAIMED && wraps == cur->wrap)
            return 1;
        break;
    }
    snprintf(why, n, "tail %llu (was %llu) journal %#llx size %u; header at pos %#llx, at record %#llx",
             (unsigned long long)t, (unsigned long long)w->tail0, (unsigned long long)j,
             rl_journal_size(&W, w->entry), (unsigned long long)h0, (unsigned long long)hr);
    return 0;
}

/* ---- one case ---------------------------------------------------------------------- */

static uint32_t failures;

#define FAIL(...)                                                                     \
    do {                                                                              \
        fprintf(stderr, REPRO_PROG ": case %u %s %s (%s): ", case_no, tname, cur->name,    \
                rname[path]);                                                         \
        fprintf(stderr, __VA_ARGS__);                                                 \
        fprintf(stderr, "\n");                                                        \
        ok = 0;                                                                       \
    } while (0)

/* publish the helper's record s; a failure ends the case */
#define PUB(len)                                                                 \
    do {                                                                         \
        if ((st = rl_pub_st(h, 0, s, (len))) != INDEXBUS_OK) {                   \
            FAIL("publish of helper record %u: %s", s, indexbus_status_name(st)); \
            goto out;                                                            \
        }                                                                        \
    } while (0)

static uint32_t case_no;

static pid_t victim_pid;

static void hang(int sig)
{
    (void)sig;
    static const char m[] = REPRO_PROG ": HANG (5 s guard): a call did not return\n";
    if (victim_pid > 0)
        kill(victim_pid, SIGKILL);
    shm_unlink(name); /* async-signal-safe: no region left behind */
    if (write(2, m, sizeof m - 1) < 0) {
        /* nothing to do */
    }
    _exit(1);
}

/* Receive some of everything waiting by copy, borrow and batch, in turn. */
static int recv_mixed(indexbus_consumer *c, rl_got *g, uint32_t k)
{
    static uint8_t buf[8192];
    uint32_t lens[8];
    size_t len, count;
    const void *d;
    int st;
    for (;;) {
        switch (k++ % 3) {
        case 0:
            if ((st = indexbus_try_recv(c, buf, sizeof buf, &len)) != INDEXBUS_OK)
                return st;
            rl_note(g, buf, len);
            break;
        case 1:
            if ((st = indexbus_recv_begin(c, &d, &len)) != INDEXBUS_OK)
                return st;
            rl_note(g, d, len);
            indexbus_recv_end(c);
            break;
        default:
            if ((st = indexbus_recv_batch(c, buf, sizeof buf, lens, 8, &count)) != INDEXBUS_OK)
                return st;
            for (size_t i = 0, off = 0; i < count; off += lens[i++])
                rl_note(g, buf + off, lens[i]);
            break;
        }
    }
}

static int run_case(uint32_t type, const place *pl, int path)
{
    const char *tname = type == INDEXBUS_PRODUCER_SPSC ? "SPSC" : "MPSC";
    cur = pl;
    char rn[64];
    snprintf(rn, sizeof rn, "/ibcrash-repro-log-points-%d", (int)getpid());
    name = rn;
    int ok = 1, st;
    indexbus_region *r = rl_create(name, 4096, 0, &W, 0);
    indexbus_consumer *c;
    indexbus_producer *h;
    rl_got g;
    memset(&g, 0, sizeof g);
    if ((st = indexbus_consumer_open(r, 0, &c)) || (st = indexbus_producer_open(r, type, &h)))
        die("open", st);
    /* fillers (read), 3 records left waiting, then the victim's PRE: the
     * victim's claim starts 64 bytes before the end (wrap) or mid-ring */
    uint32_t s = 0, fill = pl->wrap ? 58 : 10;
    for (; s < fill; s++)
        rl_pub(h, 0, s, 56);
    if (rl_drain(c, &g) != INDEXBUS_EMPTY)
        die("drain", INDEXBUS_CORRUPT);
    for (; s < fill + 3; s++)
        rl_pub(h, 0, s, 56);
    if (type == INDEXBUS_PRODUCER_SPSC) {
        indexbus_producer_close(h); /* one SPSC producer at a time */
        h = NULL;
    }

    pid_t pid = victim_pid = rl_spawn_producer2(name, type, victim_pre, victim_act, NULL, flag);
    watch w = {.entry = 0, .tail0 = rl_tail(&W)};
    int e = rl_entry_of(&W, pid);
    if (e < 0)
        die("victim entry", INDEXBUS_IO);
    w.entry = (uint32_t)e;
    if (pl->wrap && (w.tail0 & W.mask) != 4096 - 64)
        die("setup: the victim's claim would not wrap", INDEXBUS_CORRUPT);
    if (pl->given_back && rl_drain(c, &g) != INDEXBUS_EMPTY) /* caught up before the claim */
        die("drain", INDEXBUS_CORRUPT);
    long steps = trace_step_until(pid, reached, &w, 2000000);
    if (steps < 0) {
        FAIL("the kill point was never reached");
        repro_kill(pid);
        goto out;
    }
    char why[300];
    if (!state_at_kill(&w, why, sizeof why))
        FAIL("not the state the point should leave: %s", why);
    if (pl->given_back) { /* pass the PAD, find the claim, give the PAD back */
        if (rl_drain(c, &g) != INDEXBUS_EMPTY || rl_head(&W) != victim_rsv(&w).rec)
            FAIL("the consumer did not give back the wrap PAD (head %llu)",
                 (unsigned long long)rl_head(&W));
    }
    trace_kill(pid);
    uint32_t expect_skip = pl->point == PT_JOURNAL ? 0 : 1;

    signal(SIGALRM, hang);
    alarm(5);
    /* MPSC: the helper goes on publishing behind the dead one (one record:
     * a dead wrapping claim's record would start where it ends) */
    if (h != NULL) {
        PUB(56);
        s++;
    }

    indexbus_recover_report rep = {.size = sizeof rep};
    uint64_t t0 = rl_now_ns();
    if ((path == R_EXPLICIT_CAUGHT_UP || path == R_RING_FULL) && rl_drain(c, &g) != INDEXBUS_EMPTY)
        FAIL("drain before the recovery: not EMPTY");
    if (path == R_RING_FULL) { /* MPSC: the helper fills the ring behind the dead one */
        while ((st = rl_pub_st(h, 0, s, 56)) == INDEXBUS_OK)
            s++;
        if (st != INDEXBUS_FULL)
            FAIL("filling the ring: %s", indexbus_status_name(st));
    }
    if (path == R_EXPLICIT || path == R_EXPLICIT_CAUGHT_UP || path == R_RING_FULL) {
        if ((st = indexbus_region_recover(r, 0, &rep)) != INDEXBUS_OK)
            FAIL("recover: %s", indexbus_status_name(st));
        if (rep.dead != 1 || rep.cells_skipped != expect_skip)
            FAIL("recover: dead %u, reservations padded %u (want 1, %u)", rep.dead, rep.cells_skipped,
                 expect_skip);
    } else if (path == R_PARK) {
        if (rl_drain(c, &g) != INDEXBUS_EMPTY)
            FAIL("drain before the park: not EMPTY");
        /* blocking receives (20 ms each: a park, then recovery): MPSC, the
         * helper's record behind the dead one arrives once the park loop
         * has recovered it, then TIMEOUT; SPSC (the only producer is gone):
         * DISCONNECTED once it is recovered */
        uint8_t buf[4096];
        size_t len = 0;
        int got_last = 0;
        for (uint32_t i = 0; i < g.n; i++)
            got_last |= g.p[i] == 0 && g.s[i] == s - 1;
        for (;;) {
            st = indexbus_recv(c, buf, sizeof buf, &len, 20000000ull);
            if (st == INDEXBUS_OK) {
                rl_note(&g, buf, len);
                got_last |= g.n && g.p[g.n - 1] == 0 && g.s[g.n - 1] == s - 1;
            } else if (st != INDEXBUS_TIMEOUT || got_last) {
                break;
            }
        }
        int want = h != NULL ? INDEXBUS_TIMEOUT : INDEXBUS_DISCONNECTED;
        if (st != want)
            FAIL("recv (park loop): %s, want %s", indexbus_status_name(st), indexbus_status_name(want));
    }
    if (h == NULL) { /* SPSC: a new producer takes the dead one's role */
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &h)) != INDEXBUS_OK) {
            FAIL("producer_open after the death: %s", indexbus_status_name(st));
            goto out;
        }
        for (uint32_t end = s + 3; s < end; s++)
            PUB(56);
    }
    uint64_t took = rl_now_ns() - t0;
    if (!rl_free_clean("after recovery", &W))
        ok = 0;
    indexbus_participant_info pi = {.size = sizeof pi};
    st = indexbus_region_participant(r, w.entry, &pi);
    if (st == INDEXBUS_OK && pi.pid == (uint32_t)pid)
        FAIL("the dead producer's entry is still taken after recovery");

    /* the region is usable: two laps of mixed sizes */
    uint32_t k = 0;
    if ((st = recv_mixed(c, &g, k++)) != INDEXBUS_EMPTY)
        FAIL("receive after recovery: %s", indexbus_status_name(st));
    for (uint32_t end = s + 60; s < end; s++) {
        PUB(16 + (s * 37u) % 300u);
        if (s % 4 == 3 && (st = recv_mixed(c, &g, k++)) != INDEXBUS_EMPTY)
            FAIL("receive: %s", indexbus_status_name(st));
    }
    if ((st = recv_mixed(c, &g, k++)) != INDEXBUS_EMPTY)
        FAIL("final receive: %s", indexbus_status_name(st));
    alarm(0);
    if (!rl_expect_seq("helper", &g, 0, 0, s) || !rl_expect_seq("victim", &g, 1, 0, PRE))
        ok = 0;
    uint32_t others = 0;
    for (uint32_t i = 0; i < g.n; i++)
        others += g.p[i] > 1;
    if (g.n != s + PRE || others)
        FAIL("%u records received, want %u (%u from nobody)", g.n, s + PRE, others);
    if (!rl_ring_clean("ring after the drain", &W))
        ok = 0;
    indexbus_info info = {.size = sizeof info};
    indexbus_region_info(r, &info);
    if (info.records_waiting || info.bytes_used || info.bytes_padding)
        FAIL("info: records_waiting %llu bytes_used %llu bytes_padding %llu, want 0",
             (unsigned long long)info.records_waiting, (unsigned long long)info.bytes_used,
             (unsigned long long)info.bytes_padding);
    printf("  %2u %-4s %-58s %-25s %s (killed after %ld steps; recovered in %.2f ms)\n", case_no,
           tname, pl->name,
           rname[path], ok ? "ok" : "FAILED", steps, took / 1e6);
out:
    alarm(0);
    indexbus_producer_close(h);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    rawlog_unmap(&W);
    indexbus_region_unlink(name);
    return ok;
}

/* One case in a process of its own (it traces the victim), so that a hang
 * or a crash in one case is reported and the others still run. */
static int run_isolated(uint32_t type, const place *pl, int path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", INDEXBUS_IO);
    if (pid == 0)
        _exit(run_case(type, pl, path) ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fprintf(stderr, REPRO_PROG ": case %u %s %s (%s): the case process ended with status %#x\n",
                case_no, type == INDEXBUS_PRODUCER_SPSC ? "SPSC" : "MPSC", pl->name, rname[path],
                status);
    return 0;
}

int main(void)
{
    flag = repro_shared_page();
    const char *only = getenv("REPRO_CASE"); /* run case n only (investigation) */
    uint32_t n = 0;
    for (int t = 0; t < 2; t++) {
        uint32_t type = t == 0 ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC;
        /* every path; a refused attach only for SPSC (an MPSC attach is never
         * refused), a ring filled behind the dead one only for MPSC (nobody
         * else can publish while a dead SPSC producer holds the role) */
        for (uint32_t i = 0; i < NPLACES; i++)
            for (int path = 0; path < NPATHS; path++) {
                if ((path == R_REFUSED && type != INDEXBUS_PRODUCER_SPSC) ||
                    (path == R_RING_FULL && type != INDEXBUS_PRODUCER_MPSC))
                    continue;
                case_no = n;
                if (only == NULL || atoi(only) == (int)n)
                    failures += !run_isolated(type, &places[i], path);
                n++;
            }
    }
    printf(REPRO_PROG ": %u of %u kill points broke an invariant\n", (unsigned)failures, n);
    return failures ? 1 : 0;
}
