/*
 * repro_log_consumer_points.c - a byte-log consumer SIGKILLed at each point
 * of a receive, deterministically (single-stepped with ptrace, killed at
 * the instruction where the point's effect is visible):
 *
 *   borrow   inside recv_begin, the record taken (read moved): it is the
 *            dead consumer's, never delivered again (at most once, as for
 *            slot regions)
 *   copy     inside try_recv, the record copied but NOT yet taken (the
 *            instruction before read moves, found by a calibration run):
 *            the next consumer gets it
 *   copy     inside try_recv, the record taken (read moved), not returned:
 *            lost with the dead consumer
 *   batch    inside recv_batch, 2 of 4 records taken: those 2 are lost
 *   give     inside the give-back that ends a try_recv (a quarter of the
 *   back     ring read): the read bytes partly zeroed, head not yet moved;
 *            the record that call took is lost, recovery finishes the
 *            zeroing and gives the space back
 *
 * Recovery runs explicitly, through the next consumer's refused attach, or
 * in a blocking producer's park loop (publish_wait on a full ring: the dead
 * consumer is recovered there and the producer sees DISCONNECTED), in turn.
 * Then: the dead consumer's log plus what the next consumer gets is every
 * committed record exactly once, in order, except exactly the records the
 * killed call had taken; the dead entry is free; free space is zero; two
 * laps of traffic; head == read == tail and a zero ring at the end.
 *
 * Exit 0 = every placement keeps the invariants, 1 = some does not.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_consumer_points"
#include "repro_log.h"

static char name[64];
static rawlog W;

enum { C_BORROW, C_COPY_BEFORE_TAKE, C_COPY_TAKEN, C_BATCH, C_GIVE_BACK };
enum { R_EXPLICIT, R_REFUSED, R_BLOCKING_PRODUCER, NPATHS };
static const char *rname[] = {"explicit recover", "refused attach", "blocking producer"};

typedef struct cplace {
    const char *name;
    int act;
    uint32_t lost; /* records taken by the killed call */
} cplace;

static const cplace places[] = {
    {"borrow: record taken inside recv_begin", C_BORROW, 1},
    {"copy: copied, not yet taken", C_COPY_BEFORE_TAKE, 0},
    {"copy: taken inside try_recv", C_COPY_TAKEN, 1},
    {"batch: 2 of 4 taken inside recv_batch", C_BATCH, 2},
    {"give back: inside try_recv after its take, ring partly zeroed", C_GIVE_BACK, 1},
};
#define NPLACES (sizeof places / sizeof places[0])

#define PRE 3u     /* records the victim receives (and logs) before it is stepped */
#define WAITING 24u /* records waiting when it is stepped (stride 64: 1536 bytes) */

typedef struct shared {
    uint32_t ready, n;
    uint32_t seq[256];
} shared;
static shared *sh;
static const cplace *cur;

/* ---- the victim ------------------------------------------------------------------- */

static void vlog(const uint8_t *d, size_t len)
{
    uint32_t p, s;
    if (rl_check(d, len, &p, &s) && sh->n < 256) {
        sh->seq[sh->n] = s;
        __atomic_store_n(&sh->n, sh->n + 1, __ATOMIC_SEQ_CST);
    }
}

static pid_t spawn_victim(void)
{
    sh->ready = 0;
    sh->n = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", INDEXBUS_IO);
    if (pid != 0) {
        repro_wait_flag(&sh->ready);
        if (trace_wait_stop(pid) != 0)
            die("victim did not stop", INDEXBUS_IO);
        return pid;
    }
    indexbus_region *r;
    indexbus_consumer *c;
    alarm(30);
    if (indexbus_region_open(name, NULL, &r) != INDEXBUS_OK || indexbus_consumer_open(r, 0, &c) != INDEXBUS_OK)
        _exit(2);
    static uint8_t buf[8192];
    size_t len;
    for (uint32_t i = 0; i < PRE; i++) {
        if (indexbus_try_recv(c, buf, sizeof buf, &len) != INDEXBUS_OK)
            _exit(2);
        vlog(buf, len);
    }
    __atomic_store_n(&sh->ready, 1, __ATOMIC_SEQ_CST);
    trace_me_and_stop();
    const void *d;
    uint32_t lens[4];
    size_t count;
    switch (cur->act) {
    case C_BORROW:
        if (indexbus_recv_begin(c, &d, &len) == INDEXBUS_OK)
            vlog(d, len); /* never reached: killed inside */
        break;
    case C_COPY_BEFORE_TAKE:
    case C_COPY_TAKEN:
        if (indexbus_try_recv(c, buf, sizeof buf, &len) == INDEXBUS_OK)
            vlog(buf, len);
        break;
    case C_BATCH:
        if (indexbus_recv_batch(c, buf, sizeof buf, lens, 4, &count) == INDEXBUS_OK)
            for (size_t i = 0, off = 0; i < count; off += lens[i++])
                vlog(buf + off, lens[i]);
        break;
    default: /* one at a time until a give-back (a quarter of the ring read) */
        while (indexbus_try_recv(c, buf, sizeof buf, &len) == INDEXBUS_OK)
            vlog(buf, len);
        break;
    }
    __atomic_store_n(&sh->ready, 2, __ATOMIC_SEQ_CST);
    for (;;)
        pause();
}

/* ---- kill points ------------------------------------------------------------------- */

typedef struct watch {
    uint64_t read0, head0;
    long limit; /* C_COPY_BEFORE_TAKE: stop after this many steps */
    long n;
} watch;

static int reached(void *arg)
{
    watch *w = arg;
    uint64_t rd = rl_read(&W);
    switch (cur->act) {
    case C_COPY_BEFORE_TAKE:
        return w->limit >= 0 ? w->n++ >= w->limit : rd != w->read0;
    case C_BATCH:
        return rd - w->read0 >= 2 * 64u;
    case C_GIVE_BACK:
        return rl_head(&W) == w->head0 && rl_hdr(&W, w->head0) == 0;
    default:
        return rd != w->read0;
    }
}

/* ---- one case ------------------------------------------------------------------------ */

static uint32_t case_no;
static pid_t victim_pid;

#define FAIL(...)                                                                           \
    do {                                                                                    \
        fprintf(stderr, REPRO_PROG ": case %u %s (%s): ", case_no, cur->name, rname[path]); \
        fprintf(stderr, __VA_ARGS__);                                                       \
        fprintf(stderr, "\n");                                                              \
        ok = 0;                                                                             \
    } while (0)

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

/* Region, helper producer (its records 0..PRE+WAITING-1 published), victim
 * stopped after receiving PRE of them. */
static void setup(indexbus_region **r, indexbus_producer **h, pid_t *pid)
{
    *r = rl_create(name, 4096, 0, &W, 0);
    int st = indexbus_producer_open(*r, INDEXBUS_PRODUCER_MPSC, h);
    if (st)
        die("producer_open", st);
    for (uint32_t s = 0; s < PRE + WAITING; s++)
        rl_pub(*h, 0, s, 56);
    *pid = victim_pid = spawn_victim();
}

static void teardown(indexbus_region *r, indexbus_producer *h)
{
    indexbus_producer_close(h);
    indexbus_region_close(r);
    rawlog_unmap(&W);
    indexbus_region_unlink(name);
}

static int run_case(const cplace *pl, int path)
{
    cur = pl;
    snprintf(name, sizeof name, "/ibcrash-repro-log-cons-%d", (int)getpid());
    int ok = 1, st;
    indexbus_region *r;
    indexbus_producer *h;
    indexbus_consumer *c = NULL;
    pid_t pid;
    watch w = {.limit = -1};
    if (pl->act == C_COPY_BEFORE_TAKE) { /* calibration: steps until read moves */
        setup(&r, &h, &pid);
        w.read0 = rl_read(&W);
        long n = trace_step_until(pid, reached, &w, 200000);
        trace_kill(pid);
        teardown(r, h);
        if (n <= 0)
            die("calibration", INDEXBUS_IO);
        w.limit = n - 1; /* the instruction before the take's store */
        w.n = 0;
    }
    setup(&r, &h, &pid);
    w.read0 = rl_read(&W);
    w.head0 = rl_head(&W);
    int e = rl_entry_of(&W, pid);
    long steps = trace_step_until(pid, reached, &w, 2000000);
    if (steps < 0 || e < 0) {
        FAIL("the kill point was never reached");
        repro_kill(pid);
        goto out;
    }
    uint64_t rd = rl_read(&W);
    uint64_t moved = (rd - w.read0) / 64u;
    uint32_t logged = __atomic_load_n(&sh->n, __ATOMIC_SEQ_CST);
    trace_kill(pid);
    /* the records the killed call had taken: read moved past them, and the
     * victim's log does not have them */
    uint32_t taken = (uint32_t)(PRE + moved) - logged;
    if (taken != pl->lost)
        FAIL("at the kill: read moved %llu record(s), the victim logged %u: %u taken in the call, want %u",
             (unsigned long long)moved, logged - PRE, taken, pl->lost);
    signal(SIGALRM, hang);
    alarm(5);
    uint32_t s = PRE + WAITING;
    if (path == R_EXPLICIT) {
        indexbus_recover_report rep = {.size = sizeof rep};
        if ((st = indexbus_region_recover(r, 0, &rep)) != INDEXBUS_OK || rep.dead != 1)
            FAIL("recover: %s, dead %u", indexbus_status_name(st), rep.dead);
    } else if (path == R_BLOCKING_PRODUCER) {
        /* fill the ring, then a blocking publish: the dead consumer is
         * recovered in its park loop, and a producer without a consumer
         * hears DISCONNECTED */
        while ((st = rl_pub_st(h, 0, s, 56)) == INDEXBUS_OK)
            s++;
        if (st != INDEXBUS_FULL)
            FAIL("filling the ring: %s", indexbus_status_name(st));
        uint8_t buf[64];
        rl_fill(buf, 0, s, 56);
        if ((st = indexbus_publish_wait(h, buf, 56, 4000000000ull)) != INDEXBUS_DISCONNECTED)
            FAIL("publish_wait with the consumer dead: %s, want DISCONNECTED", indexbus_status_name(st));
    }
    /* refused attach: the dead one still owns index 0; the open recovers it */
    if ((st = indexbus_consumer_open(r, 0, &c)) != INDEXBUS_OK) {
        FAIL("consumer_open after the death: %s", indexbus_status_name(st));
        goto out;
    }
    indexbus_participant_info pi = {.size = sizeof pi};
    st = indexbus_region_participant(r, (uint32_t)e, &pi);
    if (st == INDEXBUS_OK && pi.pid == (uint32_t)pid)
        FAIL("the dead consumer's entry is still taken");
    if (!rl_free_clean("after recovery", &W))
        ok = 0;
    /* the rest: what the next consumer gets, then two laps of traffic */
    rl_got g;
    memset(&g, 0, sizeof g);
    for (uint32_t i = 0; i < logged; i++) { /* the victim's log first */
        g.p[g.n] = 0;
        g.s[g.n++] = sh->seq[i];
    }
    if ((st = rl_drain(c, &g)) != INDEXBUS_EMPTY)
        FAIL("drain: %s", indexbus_status_name(st));
    for (uint32_t end = s + 60; s < end; s++) {
        if ((st = rl_pub_st(h, 0, s, 16 + (s * 37u) % 300u)) != INDEXBUS_OK) {
            FAIL("publish %u: %s", s, indexbus_status_name(st));
            goto out;
        }
        if (s % 4 == 3 && (st = rl_drain(c, &g)) != INDEXBUS_EMPTY)
            FAIL("receive: %s", indexbus_status_name(st));
    }
    if ((st = rl_drain(c, &g)) != INDEXBUS_EMPTY)
        FAIL("final receive: %s", indexbus_status_name(st));
    alarm(0);
    /* exactly the taken records are missing: logged, then from logged + lost on */
    rl_got before = g, after = g;
    before.n = logged;
    after.n = 0;
    for (uint32_t i = logged; i < g.n; i++) {
        after.p[after.n] = g.p[i];
        after.s[after.n++] = g.s[i];
    }
    if (!rl_expect_seq("the dead consumer's log", &before, 0, 0, logged) ||
        !rl_expect_seq("the next consumer", &after, 0, logged + pl->lost, s))
        ok = 0;
    if (!rl_ring_clean("ring after the drain", &W))
        ok = 0;
    printf("  %2u %-52s %-18s %s (killed after %ld steps, %u taken with it)\n", case_no, pl->name,
           rname[path], ok ? "ok" : "FAILED", steps, taken);
out:
    alarm(0);
    indexbus_consumer_close(c);
    teardown(r, h);
    return ok;
}

static int run_isolated(const cplace *pl, int path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", INDEXBUS_IO);
    if (pid == 0)
        _exit(run_case(pl, path) ? 0 : 1);
    int status;
    waitpid(pid, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 1;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
        fprintf(stderr, REPRO_PROG ": case %u %s (%s): the case process ended with status %#x\n",
                case_no, pl->name, rname[path], status);
    return 0;
}

int main(void)
{
    sh = (shared *)repro_shared_page();
    const char *only = getenv("REPRO_CASE");
    uint32_t n = 0, failures = 0;
    for (uint32_t i = 0; i < NPLACES; i++)
        for (int path = 0; path < NPATHS; path++, n++) {
            case_no = n;
            if (only == NULL || atoi(only) == (int)n)
                failures += !run_isolated(&places[i], path);
        }
    printf(REPRO_PROG ": %u of %u kill points broke an invariant\n", failures, n);
    return failures ? 1 : 0;
}
