/* multiparty_threads.c - the thread twins of the multi-party ratio rows
 * (issue 18, "measure where the machine allows"): the same roles and the
 * same library calls as throughput.c and multiparty.c (SPSC 1:1, MPSC with
 * 2 producers, fanout broadcast with 1 and 3 consumers behind the router),
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

static void set_phase(shared_ctl *ctl, uint32_t ph)
{
    __atomic_store_n(&ctl->phase, ph, __ATOMIC_RELEASE); /* pairs with phase_of's acquire */
}

/* run_parties with threads: start every role, wait until all are ready,
 * warmup, measured window, stop, join. 0 if every role returned 0. A role
 * that fails its setup dies (die) and takes the run with it, as in a
 * child; one stuck past the join deadline ends the program. */
static int run_threads(shared_ctl *ctl, const run_spec *spec)
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
    sleep_ns((uint64_t)g_opts.warmup_ms * 1000000u);
    set_phase(ctl, PHASE_MEASURE);
    sleep_ns((uint64_t)g_opts.measure_ms * 1000000u);
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

/* One SPSC producer and one consumer on an events region, 64 B. */
static int spsc_threads(double *msgs_per_s)
{
    tput_args ta = {.size = 64, .batch = 1, .producer_type = INDEXBUS_PRODUCER_SPSC};
    region_name(ta.name, sizeof(ta.name), "tput-thr");
    indexbus_region *reg = make_region(ta.name, INDEXBUS_KIND_EVENTS, ta.size, 1);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = 2, .fn = {role_ib_producer, role_ib_consumer},
                     .arg = {&ta, &ta}, .pin = 1};
    int st = run_threads(ctl, &spec);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[1]);
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(ta.name);
    return st;
}

/* MPSC: `producers` producer threads and one consumer, 64 B. */
static int mpsc_threads(int producers, double *msgs_per_s)
{
    tput_args ta = {.size = 64, .batch = 1, .producer_type = INDEXBUS_PRODUCER_MPSC};
    region_name(ta.name, sizeof(ta.name), "mpsc-thr");
    indexbus_region *reg = make_region(ta.name, INDEXBUS_KIND_EVENTS, ta.size, 1);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = producers + 1, .pin = 1};
    for (int i = 0; i < producers; i++) {
        spec.fn[i] = role_ib_producer;
        spec.arg[i] = &ta;
    }
    spec.fn[producers] = role_ib_consumer;
    spec.arg[producers] = &ta;
    spec.downstream[producers] = 1;
    int st = run_threads(ctl, &spec);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[producers]);
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(ta.name);
    return st;
}

/* The router thread: indexbus_router_run until the producer is gone. */
static int role_router_thr(shared_ctl *ctl, int slot, void *arg)
{
    const char *name = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(name);
    indexbus_router *rt;
    check_ib(indexbus_router_open(reg, &rt), "router_open");
    role_ready(ctl);
    indexbus_router_loop_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.size = sizeof(cfg);
    cfg.mode = INDEXBUS_MODE_BROADCAST;
    cfg.flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT;
    int st = indexbus_router_run(rt, &cfg);
    r->total = cfg.routed;
    r->error = st == INDEXBUS_DISCONNECTED || st == INDEXBUS_OK ? 0 : st;
    indexbus_router_close(rt);
    indexbus_region_close(reg);
    return r->error ? 2 : 0;
}

/* Fanout broadcast: producer, router and `consumers` consumer threads;
 * the mean rate a consumer received. */
static int fanout_threads(int consumers, double *per_consumer)
{
    tput_args prod = {.size = 64, .batch = 1, .producer_type = INDEXBUS_PRODUCER_SPSC};
    region_name(prod.name, sizeof(prod.name), "fanout-thr");
    indexbus_region *reg =
        make_region(prod.name, INDEXBUS_KIND_FANOUT, prod.size, (uint32_t)consumers);
    tput_args cons[MAX_PARTIES];
    run_spec spec = {.parties = consumers + 2, .pin = 1};
    spec.fn[0] = role_ib_producer;
    spec.arg[0] = &prod;
    spec.fn[1] = role_router_thr;
    spec.arg[1] = prod.name;
    for (int i = 0; i < consumers; i++) {
        cons[i] = prod;
        cons[i].consumer_index = i;
        spec.fn[2 + i] = role_ib_consumer;
        spec.arg[2 + i] = &cons[i];
        spec.downstream[2 + i] = 1;
    }
    shared_ctl *ctl = ctl_map(0);
    int st = run_threads(ctl, &spec);
    if (st == 0) {
        double sum = 0;
        for (int i = 0; i < consumers; i++)
            sum += party_rate(&ctl->party[2 + i]);
        *per_consumer = sum / consumers;
    }
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(prod.name);
    return st;
}

#define TR_MAX 32

/* The section: per repetition SPSC, MPSC x2, broadcast x1 and x3 back to
 * back, each ratio the median of the per-repetition ratios. */
void threads_section(void)
{
    int reps = g_opts.reps < TR_MAX ? g_opts.reps : TR_MAX;
    double spsc[TR_MAX], mpsc2[TR_MAX], fan1[TR_MAX], fan3[TR_MAX];
    double q_fan[TR_MAX], q_mpsc[TR_MAX], q_b3[TR_MAX];
    for (int r = 0; r < reps; r++) {
        progress("threads: repetition %d/%d (spsc, mpsc x2, broadcast x1, broadcast x3)", r + 1,
                 reps);
        spsc[r] = mpsc2[r] = fan1[r] = fan3[r] = NAN;
        if (spsc_threads(&spsc[r]) != 0)
            spsc[r] = NAN;
        if (mpsc_threads(2, &mpsc2[r]) != 0)
            mpsc2[r] = NAN;
        if (fanout_threads(1, &fan1[r]) != 0)
            fan1[r] = NAN;
        if (fanout_threads(3, &fan3[r]) != 0)
            fan3[r] = NAN;
        q_fan[r] = fan1[r] / spsc[r];
        q_mpsc[r] = mpsc2[r] / spsc[r];
        q_b3[r] = fan3[r] / fan1[r];
    }
    res_ratio("fanout1_over_spsc_threads", q_fan, reps);
    res_ratio("mpsc2_over_spsc_threads", q_mpsc, reps);
    res_ratio("broadcast3_per_consumer_over_1_threads", q_b3, reps);
    res_value("spsc_threads_msgs_per_s_median", median(spsc, reps));
    res_value("mpsc2_threads_msgs_per_s_median", median(mpsc2, reps));
    res_value("fanout1_threads_msgs_per_s_median", median(fan1, reps));
    res_value("broadcast3_threads_per_consumer_median", median(fan3, reps));
}
