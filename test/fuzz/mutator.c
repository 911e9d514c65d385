/*
 * mutator.c - the concurrent rogue writer of mutator.h. Compiled without
 * shim.h and without coverage instrumentation: the calls below are the
 * real ones, and nothing here feeds libFuzzer's features.
 *
 * One thread per process, started on the first batch. Between inputs it
 * sleeps on a futex; while a batch is out it spins (it must be on a CPU
 * while the call runs, or nothing races). It is kept off the CPU the
 * fuzzing thread is on (its affinity is every CPU the process may use but
 * that one, updated when the fuzzing thread moves): a futex wake tends to
 * put the woken thread on the waker's CPU, and two threads sharing a CPU
 * take turns rather than race - the call ran between the mutator's time
 * slices and the writes hit it all or nothing. The fuzzing thread itself is
 * never pinned. Async signals are blocked in the mutator, so libFuzzer's
 * SIGALRM (-timeout), SIGINT and friends reach the fuzzing thread as before.
 *
 * Handshake, all through five generation words (g = batch number):
 *   main: batch[] filled; gen = g (release); futex wake
 *   mut:  sees gen == g; ack = g; rounds (first = g after round 1)
 *   main: waits ack == g (and first == g with lead); the call; stop = g
 *   mut:  last rounds, settle; done = g (release)
 *   main: waits done == g; the mapping then holds every write of the batch
 */
#include <linux/futex.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mutator.h"

static ibm_write batch[IBM_MAX_WRITES];
static size_t nbatch;
static int started;
static pthread_t thread;
static cpu_set_t allowed;   /* the process's CPUs, at start */
static int avoid_cpu = -1;  /* the CPU the mutator is kept off, or -1 */
static uint32_t g_main;                   /* main thread's batch number */
static uint32_t gen, ack, first, stop, done; /* shared; see the handshake */
static uint64_t st_batches, st_late, st_rounds;

static inline void relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

static uint32_t ld(const uint32_t *w) { return __atomic_load_n(w, __ATOMIC_ACQUIRE); }
static void st(uint32_t *w, uint32_t v) { __atomic_store_n(w, v, __ATOMIC_RELEASE); }

/* Spin until *w == want; yield now and then (the two threads may share a CPU). */
static void await(const uint32_t *w, uint32_t want)
{
    for (uint32_t n = 1; ld(w) != want; n++) {
        relax();
        if ((n & 255) == 0)
            sched_yield();
    }
}

static void put(const ibm_write *e, uint64_t v)
{
    switch (e->width) {
    case 1:
        __atomic_store_n(e->addr, (uint8_t)v, __ATOMIC_RELAXED);
        break;
    case 2:
        __atomic_store_n((uint16_t *)(void *)e->addr, (uint16_t)v, __ATOMIC_RELAXED);
        break;
    case 4:
        __atomic_store_n((uint32_t *)(void *)e->addr, (uint32_t)v, __ATOMIC_RELAXED);
        break;
    default:
        __atomic_store_n((uint64_t *)(void *)e->addr, v, __ATOMIC_RELAXED);
        break;
    }
}

static void run_batch(uint32_t g)
{
    uint32_t maxrep = 0;
    int hammer = 0;
    for (size_t i = 0; i < nbatch; i++) {
        if (batch[i].hammer)
            hammer = 1;
        else if (batch[i].rep > maxrep)
            maxrep = batch[i].rep;
    }
    uint64_t rounds = 0;
    for (uint32_t r = 1;; r++) {
        for (size_t i = 0; i < nbatch; i++) {
            const ibm_write *e = &batch[i];
            if (r == 1)
                for (uint32_t d = 0; d < e->delay; d++)
                    relax();
            if (e->hammer || r <= e->rep)
                put(e, e->flicker && !(r & 1) ? e->orig : e->target);
        }
        rounds++;
        if (r == 1) {
            if (ld(&stop) == g)
                st_late++;
            st(&first, g);
        }
        if (r >= maxrep && (!hammer || ld(&stop) == g))
            break;
        if ((r & 65535) == 0)
            sched_yield(); /* in case it shares a CPU with the call after all */
    }
    for (size_t i = 0; i < nbatch; i++) /* settle: hammered words end as target */
        if (batch[i].hammer)
            put(&batch[i], batch[i].target);
    st_rounds += rounds;
    st_batches++;
}

static void *mutator_main(void *arg)
{
    (void)arg;
    uint32_t seen = 0;
    for (;;) {
        /* hot for a while (calls come back to back), then asleep */
        for (uint32_t n = 0; ld(&gen) == seen && n < 2000; n++)
            relax();
        while (ld(&gen) == seen)
            syscall(SYS_futex, &gen, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
        seen = ld(&gen);
        st(&ack, seen);
        run_batch(seen);
        st(&done, seen);
    }
    return NULL;
}

static void print_stats(void)
{
    if (getenv("IBFUZZ_MUTATOR_STATS") != NULL)
        fprintf(stderr, "mutator: %llu batches, %llu late, %llu rounds\n",
                (unsigned long long)st_batches, (unsigned long long)st_late,
                (unsigned long long)st_rounds);
}

static void start(void)
{
    sigset_t all, old;
    sigfillset(&all);
    sigdelset(&all, SIGSEGV); /* synchronous faults stay with the faulting thread */
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    int rc = pthread_create(&thread, NULL, mutator_main, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        fprintf(stderr, "mutator: pthread_create: %s\n", strerror(rc));
        abort();
    }
    pthread_detach(thread);
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0)
        CPU_ZERO(&allowed);
    atexit(print_stats);
    started = 1;
}

void ibm_release(const ibm_write *w, size_t n, int lead)
{
    if (!started)
        start();
    int cpu = sched_getcpu();
    if (cpu >= 0 && cpu != avoid_cpu && cpu < CPU_SETSIZE && CPU_ISSET(cpu, &allowed) &&
        CPU_COUNT(&allowed) > 1) {
        cpu_set_t s = allowed;
        CPU_CLR(cpu, &s);
        if (pthread_setaffinity_np(thread, sizeof s, &s) == 0)
            avoid_cpu = cpu;
    }
    nbatch = n < IBM_MAX_WRITES ? n : IBM_MAX_WRITES;
    memcpy(batch, w, nbatch * sizeof *w);
    uint32_t g = ++g_main;
    st(&gen, g); /* publishes batch[] to the mutator's acquire of gen */
    syscall(SYS_futex, &gen, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    await(&ack, g);
    if (lead)
        await(&first, g);
}

void ibm_finish(void)
{
    st(&stop, g_main);
    await(&done, g_main); /* acquire: every write of the batch is visible */
}
