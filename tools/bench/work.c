/* work.c - the "work" section (issue 18): the library's cost per message
 * on each multi-party path, without a second CPU or the scheduler. One
 * thread, pinned to one CPU, makes every party's calls in bursts:
 *   publish BURST messages (publish, or one publish_batch of BURST);
 *   fanout only: route them (indexbus_route_once, broadcast, one call each);
 *   receive them (try_recv, or one recv_batch of BURST),
 * each call required to succeed (a burst fits every queue), so the
 * thread's CPU time (CLOCK_THREAD_CPUTIME_ID: time slices given to other
 * load do not count) over the messages is what the calls cost in a hot
 * cache. On 2 CPUs the
 * process keys of the same paths (fanout1_over_spsc, mpsc2_over_spsc) time-
 * slice 3 parties on 2 CPUs; this says what part of their shortfall is the
 * library's own work. Paths (64 B messages, the geometry of the process
 * rows: make_region, fanout_slots): SPSC into an events region; fanout with one consumer in a
 * RECYCLE region and in a plain one; one MPSC producer in an MPSC_BATCH +
 * RECYCLE region (BENCH_MPSC_FLAGS) and in a plain one; SPSC and MPSC
 * (BENCH_MPSC_FLAGS) at batch BURST.
 * Each repetition runs every path once, in turn; the keys are medians of
 * per-repetition ratios (SPSC ns/msg over the path's: a rate ratio, as the
 * process keys are), the ns/msg rows medians of the repetitions. */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define BURST 32u
#define W_SIZE 64u

enum { W_SPSC, W_FAN, W_FAN_PLAIN, W_MPSC, W_MPSC_PLAIN, W_SPSC_B, W_MPSC_B, W_N };

static const struct {
    const char *name; /* the ns/msg figure's key */
    uint32_t kind, flags, producer_type, batch;
} paths[W_N] = {
    {"st_ns_per_msg spsc", INDEXBUS_KIND_EVENTS, 0, INDEXBUS_PRODUCER_SPSC, 1},
    {"st_ns_per_msg fanout1 recycle", INDEXBUS_KIND_FANOUT, BENCH_FANOUT_FLAGS,
     INDEXBUS_PRODUCER_SPSC, 1},
    {"st_ns_per_msg fanout1 plain", INDEXBUS_KIND_FANOUT, 0, INDEXBUS_PRODUCER_SPSC, 1},
    {"st_ns_per_msg mpsc batch+recycle", INDEXBUS_KIND_EVENTS, BENCH_MPSC_FLAGS,
     INDEXBUS_PRODUCER_MPSC, 1},
    {"st_ns_per_msg mpsc plain", INDEXBUS_KIND_EVENTS, 0, INDEXBUS_PRODUCER_MPSC, 1},
    {"st_ns_per_msg spsc batch32", INDEXBUS_KIND_EVENTS, 0, INDEXBUS_PRODUCER_SPSC, BURST},
    {"st_ns_per_msg mpsc batch+recycle batch32", INDEXBUS_KIND_EVENTS, BENCH_MPSC_FLAGS,
     INDEXBUS_PRODUCER_MPSC, BURST},
};

typedef struct work {
    indexbus_producer *p;
    indexbus_consumer *c;
    indexbus_router *rt; /* fanout only */
    uint32_t source, batch;
    uint8_t msgs[BURST * W_SIZE], buf[BURST * W_SIZE];
    uint32_t lens[BURST];
    uint64_t phase_ns[3]; /* wall time in publish, route, receive (CLOCK_MONOTONIC) */
} work;

/* One burst through the path: OK, or the first status that was not. */
static int burst(work *w)
{
    int st;
    uint64_t t0 = now_ns();
    if (w->batch > 1) {
        size_t n = 0;
        st = indexbus_publish_batch(w->p, w->msgs, w->lens, BURST, &n);
        if (st == INDEXBUS_OK && n != BURST)
            st = INDEXBUS_FULL;
    } else {
        st = INDEXBUS_OK;
        for (uint32_t i = 0; i < BURST && st == INDEXBUS_OK; i++)
            st = indexbus_publish(w->p, w->msgs + (size_t)i * W_SIZE, W_SIZE);
    }
    uint64_t t1 = now_ns();
    for (uint32_t i = 0; w->rt != NULL && i < BURST && st == INDEXBUS_OK; i++)
        st = indexbus_route_once(w->rt, w->source, INDEXBUS_MODE_BROADCAST);
    if (st != INDEXBUS_OK)
        return st;
    uint64_t t2 = now_ns();
    w->phase_ns[0] += t1 - t0;
    w->phase_ns[1] += t2 - t1;
    if (w->batch > 1) {
        size_t k = 0;
        st = indexbus_recv_batch(w->c, w->buf, sizeof(w->buf), w->lens, BURST, &k);
        if (st == INDEXBUS_OK && k != BURST)
            st = INDEXBUS_EMPTY;
        for (uint32_t i = 0; i < BURST; i++) /* recv_batch wrote the lengths */
            w->lens[i] = W_SIZE;
    } else {
        for (uint32_t i = 0; i < BURST && st == INDEXBUS_OK; i++) {
            size_t len;
            st = indexbus_try_recv(w->c, w->buf, sizeof(w->buf), &len);
        }
    }
    w->phase_ns[2] += now_ns() - t2;
    return st;
}

/* This thread's CPU time: a preemption (other load on the CPU) does not
 * count, only the calls' own work. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bursts until `ns` of wall time have passed; messages moved (0 after a
 * failure), *took the CPU time they took. */
static uint64_t run_for(work *w, uint64_t ns, uint64_t *took)
{
    uint64_t t0 = now_ns(), t = t0, c0 = cpu_ns(), msgs = 0;
    while (t - t0 < ns) {
        for (int k = 0; k < 16; k++) { /* a clock read per 512 messages */
            int st = burst(w);
            if (st != INDEXBUS_OK) {
                warnx_("work: a burst returned %d (%s)", st, indexbus_strerror(st));
                return 0;
            }
            msgs += BURST;
        }
        t = now_ns();
    }
    *took = cpu_ns() - c0;
    return msgs;
}

/* ns per message of path i, or NAN; phase[] the wall ns per message in
 * publish, route and receive (a split of the same work: the upstream CPU
 * of a split-placement run does publish + route). */
static double path_ns(int i, uint64_t warm_ns, uint64_t window_ns, double phase[3])
{
    char name[128];
    region_name(name, sizeof(name), "work");
    uint32_t slots =
        paths[i].kind == INDEXBUS_KIND_FANOUT ? fanout_slots(1, INDEXBUS_MODE_BROADCAST) : 0;
    indexbus_region *reg = make_region_flags(name, paths[i].kind, W_SIZE, 1, slots, paths[i].flags);
    work *w = calloc(1, sizeof(*w));
    if (w == NULL)
        die("out of memory");
    w->batch = paths[i].batch;
    w->source = paths[i].producer_type == INDEXBUS_PRODUCER_SPSC ? INDEXBUS_SOURCE_SPSC
                                                                 : INDEXBUS_SOURCE_MPSC;
    memset(w->msgs, 0x3c, sizeof(w->msgs));
    for (uint32_t k = 0; k < BURST; k++)
        w->lens[k] = W_SIZE;
    check_ib(indexbus_producer_open(reg, paths[i].producer_type, &w->p), "producer_open");
    if (paths[i].kind == INDEXBUS_KIND_FANOUT)
        check_ib(indexbus_router_open(reg, &w->rt), "router_open");
    check_ib(indexbus_consumer_open(reg, 0, &w->c), "consumer_open");
    uint64_t took = 0, n = run_for(w, warm_ns, &took);
    double ns = NAN;
    memset(w->phase_ns, 0, sizeof(w->phase_ns));
    phase[0] = phase[1] = phase[2] = NAN;
    if (n > 0 && (n = run_for(w, window_ns, &took)) > 0) {
        ns = (double)took / (double)n;
        for (int k = 0; k < 3; k++)
            phase[k] = (double)w->phase_ns[k] / (double)n;
    }
    indexbus_consumer_close(w->c);
    if (w->rt != NULL)
        indexbus_router_close(w->rt);
    indexbus_producer_close(w->p);
    indexbus_region_close(reg);
    indexbus_region_unlink(name);
    free(w);
    return ns;
}

/* Pin the calling thread to its first allowed CPU (so no migration lands in
 * a window); *saved gets the mask to restore. */
static void pin_first(cpu_set_t *saved)
{
    if (pthread_getaffinity_np(pthread_self(), sizeof(*saved), saved) != 0)
        return;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, saved)) {
            cpu_set_t one;
            CPU_ZERO(&one);
            CPU_SET(c, &one);
            (void)pthread_setaffinity_np(pthread_self(), sizeof(one), &one);
            return;
        }
}

#define WK_MAX 32

void work_section(void)
{
    int reps = g_opts.reps < WK_MAX ? g_opts.reps : WK_MAX;
    uint64_t warm = g_opts.quick ? 5000000u : 10000000u;
    uint64_t window = g_opts.quick ? 15000000u : 50000000u;
    double ns[W_N][WK_MAX], ph[W_N][3][WK_MAX];
    double q_fan[WK_MAX], q_fanp[WK_MAX], q_mpsc[WK_MAX], q_mpscp[WK_MAX], q_b32[WK_MAX];
    cpu_set_t saved;
    CPU_ZERO(&saved);
    pin_first(&saved);
    for (int r = 0; r < reps; r++) {
        progress("work: repetition %d/%d (one thread, bursts of %u: spsc, fanout x1 recycle, "
                 "plain, mpsc, mpsc plain, spsc batch, mpsc batch)", r + 1, reps, BURST);
        for (int i = 0; i < W_N; i++) {
            double p3[3];
            ns[i][r] = path_ns(i, warm, window, p3);
            for (int k = 0; k < 3; k++)
                ph[i][k][r] = p3[k];
        }
        q_fan[r] = ns[W_SPSC][r] / ns[W_FAN][r];
        q_fanp[r] = ns[W_SPSC][r] / ns[W_FAN_PLAIN][r];
        q_mpsc[r] = ns[W_SPSC][r] / ns[W_MPSC][r];
        q_mpscp[r] = ns[W_SPSC][r] / ns[W_MPSC_PLAIN][r];
        q_b32[r] = ns[W_SPSC_B][r] / ns[W_MPSC_B][r];
    }
    if (CPU_COUNT(&saved) > 0)
        (void)pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
    res_ratio("st_fanout1_over_spsc", q_fan, reps);
    res_ratio("st_fanout1_plain_over_spsc", q_fanp, reps);
    res_ratio("st_mpsc_over_spsc", q_mpsc, reps);
    res_ratio("st_mpsc_plain_over_spsc", q_mpscp, reps);
    res_ratio("st_mpsc_batch32_over_spsc_batch32", q_b32, reps);
    static const char *const phase_name[3] = {"publish", "route", "receive"};
    for (int i = 0; i < W_N; i++) {
        res_value(paths[i].name, median(ns[i], reps));
        if (paths[i].batch > 1)
            continue;
        for (int k = 0; k < 3; k++) { /* route: fanout only */
            char key[64];
            if (k == 1 && paths[i].kind != INDEXBUS_KIND_FANOUT)
                continue;
            snprintf(key, sizeof(key), "%s, %s (wall)", paths[i].name, phase_name[k]);
            res_value(key, median(ph[i][k], reps));
        }
    }
}
