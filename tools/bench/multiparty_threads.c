/* multiparty_threads.c - the thread twins of the multi-party ratio rows
 * (issue 18, "measure where the machine allows"): the very row functions
 * of throughput.c and multiparty.c (SPSC 1:1, MPSC with
 * 2 producers, fanout broadcast with 1 and 3 consumers behind the router,
 * in the regions the process keys use, and fanout also in plain regions),
 * but every party a thread of this one process, pinned with
 * pthread_setaffinity_np as the processes are (own CPU while parties <=
 * CPUs, else SPLIT: producers and router on the first CPU, consumers on the
 * second). A thread switch costs no address-space switch, so the gap
 * between a process row and its twin is what process switches cost there;
 * time-slicing when parties > CPUs stays. Full run only: keys *_threads. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "bench.h"

typedef struct thread_party {
    pthread_t tid;
    shared_ctl *ctl;
    const run_spec *spec;
    int slot, cpu; /* cpu < 0: not pinned */
    int rc;
} thread_party;

static void *party_main(void *arg)
{
    thread_party *tp = arg;
    if (tp->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(tp->cpu, &set);
        /* not allowed: the thread runs unpinned */
        (void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
    }
    tp->rc = tp->spec->fn[tp->slot](tp->ctl, tp->slot, tp->spec->arg[tp->slot]);
    return NULL;
}

/* The CPU a party's thread goes on (placement_of, as run_parties does). */
static int cpu_for(const run_spec *spec, int slot)
{
    int place = spec->pin ? placement_of(spec->parties) : PLACE_NONE;
    if (place == PLACE_NONE)
        return -1;
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    int want = place == PLACE_OWN ? slot : spec->downstream[slot] ? 1 : 0, seen = 0;
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &set) && seen++ == want)
            return c;
    return -1;
}

/* run_parties with threads: start every role, wait until all are ready,
 * warmup, measured window, stop, join. 0 if every role returned 0. A role
 * that fails its setup dies (die) and takes the run with it, as in a
 * child; one stuck past the join deadline ends the program. */
int run_threads(shared_ctl *ctl, const run_spec *spec, uint32_t warmup_ms, uint32_t measure_ms)
{
    thread_party tp[MAX_PARTIES];
    int n = spec->parties;
    set_phase(ctl, PHASE_SETUP);
    __atomic_store_n(&ctl->ready, 0, __ATOMIC_RELEASE); /* pairs with the ready loads below */
    memset(ctl->party, 0, sizeof(ctl->party));
    for (int i = 0; i < n; i++) {
        tp[i] = (thread_party){.ctl = ctl, .spec = spec, .slot = i, .cpu = cpu_for(spec, i)};
        int e = pthread_create(&tp[i].tid, NULL, party_main, &tp[i]);
        if (e != 0)
            die("pthread_create: %s", strerror(e));
    }
    uint64_t deadline = now_ns() + 15000000000ull;
    /* pairs with role_ready's acq_rel increment */
    while (__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE) < (uint32_t)n) {
        if (now_ns() > deadline)
            die("thread roles not ready after 15 s");
        sleep_ns(100000);
    }
    set_phase(ctl, PHASE_WARMUP);
    if (spec->after_fork != NULL)
        spec->after_fork(spec->ctx);
    sleep_ns((uint64_t)warmup_ms * 1000000u);
    set_phase(ctl, PHASE_MEASURE);
    sleep_ns((uint64_t)measure_ms * 1000000u);
    set_phase(ctl, PHASE_STOP);
    int bad = 0;
    for (int i = 0; i < n; i++) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 30;
        int e = pthread_timedjoin_np(tp[i].tid, NULL, &ts);
        if (e != 0)
            die("thread role %d not done 30 s after stop: %s", i, strerror(e));
        bad |= tp[i].rc != 0;
    }
    return bad;
}

#define TR_MAX 32

static double fanout_rate(int consumers, uint32_t flags)
{
    double pc, total;
    uint64_t drops;
    return fanout_tput(consumers, INDEXBUS_MODE_BROADCAST, flags, &pc, &total, &drops) == 0
               ? pc
               : NAN;
}

/* The section: per repetition SPSC, MPSC x2 (BENCH_MPSC_FLAGS),
 * broadcast x1 and x3 (RECYCLE regions), then x1 and x3 in plain fanout
 * regions (diagnostic), back to back; each ratio the median of the
 * per-repetition ratios. */
void threads_section(void)
{
    int reps = g_opts.reps < TR_MAX ? g_opts.reps : TR_MAX;
    double spsc[TR_MAX], mpsc2[TR_MAX], fan1[TR_MAX], fan3[TR_MAX], fan1p[TR_MAX], fan3p[TR_MAX];
    double q_fan[TR_MAX], q_mpsc[TR_MAX], q_b3[TR_MAX], q_fanp[TR_MAX], q_b3p[TR_MAX];
    for (int r = 0; r < reps; r++) {
        progress("threads: repetition %d/%d (spsc, mpsc x2, broadcast x1, x3, x1 plain, "
                 "x3 plain)", r + 1, reps);
        spsc[r] = mpsc2[r] = NAN;
        g_opts.threads = 1; /* the process rows' own functions, as threads */
        if (spsc_tput(64, 1, &spsc[r]) != 0)
            spsc[r] = NAN;
        if (mpsc_tput(INDEXBUS_KIND_EVENTS, 2, 1, BENCH_MPSC_FLAGS, &mpsc2[r]) != 0)
            mpsc2[r] = NAN;
        fan1[r] = fanout_rate(1, BENCH_FANOUT_FLAGS);
        fan3[r] = fanout_rate(3, BENCH_FANOUT_FLAGS);
        fan1p[r] = fanout_rate(1, 0);
        fan3p[r] = fanout_rate(3, 0);
        g_opts.threads = 0;
        q_fan[r] = fan1[r] / spsc[r];
        q_mpsc[r] = mpsc2[r] / spsc[r];
        q_b3[r] = fan3[r] / fan1[r];
        q_fanp[r] = fan1p[r] / spsc[r];
        q_b3p[r] = fan3p[r] / fan1p[r];
    }
    res_ratio("fanout1_over_spsc_threads", q_fan, reps);
    res_ratio("mpsc2_over_spsc_threads", q_mpsc, reps);
    res_ratio("broadcast3_per_consumer_over_1_threads", q_b3, reps);
    res_ratio("fanout1_plain_over_spsc_threads", q_fanp, reps);
    res_ratio("broadcast3_plain_per_consumer_over_1_threads", q_b3p, reps);
    res_value("spsc_threads_msgs_per_s_median", median(spsc, reps));
    res_value("mpsc2_threads_msgs_per_s_median", median(mpsc2, reps));
    res_value("fanout1_threads_msgs_per_s_median", median(fan1, reps));
    res_value("broadcast3_threads_per_consumer_median", median(fan3, reps));
}
