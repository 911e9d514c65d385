/*
 * repro_log.h - shared pieces of the byte-log repros (repro_log_*.c):
 * a byte-log region, tagged records, a forked producer or consumer that is
 * single-stepped (ptrace, trace.h) to an exact instruction and SIGKILLed
 * there, and the checks every placement ends with. Define REPRO_PROG
 * before including (repro_util.h). Everything is static inline.
 *
 * A record of producer p, sequence s, is HDR bytes {p, s, len, ~p ^ s}
 * then len - HDR bytes derived from (p, s); log_check() recognises it.
 */
#ifndef IB_CRASH_REPRO_LOG_H
#define IB_CRASH_REPRO_LOG_H

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <indexbus/indexbus.h>

#include "rawlog.h"
#include "trace.h"
#include "repro_util.h"

#define RL_MSG_HDR 16u

static inline void rl_fill(uint8_t *buf, uint32_t p, uint32_t s, uint32_t len)
{
    uint32_t h[4] = {p, s, len, ~p ^ s};
    memcpy(buf, h, len < RL_MSG_HDR ? len : RL_MSG_HDR);
    for (uint32_t i = RL_MSG_HDR; i < len; i++)
        buf[i] = (uint8_t)(p * 31u + s * 7u + i);
}

/* 1 if d[0..len) is an intact record; its producer and sequence. */
static inline int rl_check(const uint8_t *d, size_t len, uint32_t *p, uint32_t *s)
{
    uint32_t h[4];
    if (len < RL_MSG_HDR)
        return 0;
    memcpy(h, d, RL_MSG_HDR);
    if (h[2] != len || h[3] != (~h[0] ^ h[1]))
        return 0;
    for (uint32_t i = RL_MSG_HDR; i < len; i++)
        if (d[i] != (uint8_t)(h[0] * 31u + h[1] * 7u + i))
            return 0;
    *p = h[0];
    *s = h[1];
    return 1;
}

static inline uint64_t rl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* A byte-log region of `bytes` ring bytes (max_record 0: the default). */
static inline indexbus_region *rl_create(const char *name, uint64_t bytes, uint32_t max_record,
                                         rawlog *w, int writable)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_LOG);
    cfg.byte_capacity = bytes;
    cfg.max_record = max_record;
    setvbuf(stdout, NULL, _IOLBF, 0);
    indexbus_region *r = repro_create(name, &cfg);
    if (rawlog_map(w, name, writable))
        die("rawlog map", INDEXBUS_IO);
    return r;
}

/* publish record (p, s) of len bytes: its status */
static inline int rl_pub_st(indexbus_producer *pr, uint32_t p, uint32_t s, uint32_t len)
{
    uint8_t buf[4096];
    rl_fill(buf, p, s, len);
    return indexbus_publish(pr, buf, len);
}

/* ... and die on anything but OK (set-up steps) */
static inline void rl_pub(indexbus_producer *pr, uint32_t p, uint32_t s, uint32_t len)
{
    int st = rl_pub_st(pr, p, s, len);
    if (st != INDEXBUS_OK)
        die("publish", st);
}

/* ---- a log of what a consumer got, and its checks ------------------------------ */

#define RL_MAXGOT 4096
typedef struct rl_got {
    uint32_t n, bad;
    uint32_t p[RL_MAXGOT], s[RL_MAXGOT];
} rl_got;

static inline void rl_note(rl_got *g, const uint8_t *d, size_t len)
{
    uint32_t p, s;
    if (!rl_check(d, len, &p, &s)) {
        g->bad++;
        return;
    }
    if (g->n < RL_MAXGOT) {
        g->p[g->n] = p;
        g->s[g->n] = s;
        g->n++;
    }
}

/* Copy-receive until EMPTY (or anything else); the status that ended it. */
static inline int rl_drain(indexbus_consumer *c, rl_got *g)
{
    uint8_t buf[4096];
    for (;;) {
        size_t len = 0;
        int st = indexbus_try_recv(c, buf, sizeof buf, &len);
        if (st != INDEXBUS_OK)
            return st;
        rl_note(g, buf, len);
    }
}

/* Producer p's records in g: exactly sequences from..to-1, in order, once
 * each; prints what is wrong. 1 if so. */
static inline int rl_expect_seq(const char *what, const rl_got *g, uint32_t p, uint32_t from,
                                uint32_t to)
{
    uint32_t next = from, dup = 0, ooo = 0, first_bad = UINT32_MAX;
    for (uint32_t i = 0; i < g->n; i++) {
        if (g->p[i] != p)
            continue;
        if (g->s[i] == next) {
            next++;
        } else if (g->s[i] < next) {
            dup++;
        } else {
            ooo++;
            if (first_bad == UINT32_MAX)
                first_bad = g->s[i];
            next = g->s[i] + 1;
        }
    }
    if (next == to && dup == 0 && ooo == 0 && g->bad == 0)
        return 1;
    fprintf(stderr, REPRO_PROG ": %s: producer %u: want seqs %u..%u once in order; got up to %u, "
                    "%u duplicate(s), %u gap(s) (first jump to %u), %u damaged record(s)\n",
            what, p, from, to - 1, next - 1, dup, ooo, first_bad, g->bad);
    return 0;
}

/* ---- a forked party, stepped to an instruction ------------------------------------ */

/* The child: opens the region by name and a producer of `type`, says
 * ready, stops itself (traced), then runs act(pr, arg) and waits to be
 * killed. Returns its pid (in the parent). */
typedef void (*rl_act_fn)(indexbus_producer *pr, void *arg);

/* As above; pre(pr, arg), if any, runs before the stop (untraced). */
static inline pid_t rl_spawn_producer2(const char *name, uint32_t type, rl_act_fn pre, rl_act_fn act,
                                       void *arg, volatile uint32_t *ready)
{
    *ready = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork", INDEXBUS_IO);
    if (pid == 0) {
        indexbus_region *r;
        indexbus_producer *pr;
        alarm(30);
        if (indexbus_region_open(name, NULL, &r) != INDEXBUS_OK ||
            indexbus_producer_open(r, type, &pr) != INDEXBUS_OK)
            _exit(2);
        if (pre != NULL)
            pre(pr, arg);
        __atomic_store_n(ready, 1, __ATOMIC_SEQ_CST);
        trace_me_and_stop();
        act(pr, arg);
        __atomic_store_n(ready, 2, __ATOMIC_SEQ_CST); /* ran to the end: the point was missed */
        for (;;)
            pause();
    }
    repro_wait_flag(ready);
    if (trace_wait_stop(pid) != 0)
        die("child did not stop", INDEXBUS_IO);
    return pid;
}

static inline pid_t rl_spawn_producer(const char *name, uint32_t type, rl_act_fn act, void *arg,
                                      volatile uint32_t *ready)
{
    return rl_spawn_producer2(name, type, NULL, act, arg, ready);
}

/* Step pid until cond(arg), then SIGKILL it there. 1 if the point was reached. */
static inline int rl_kill_at(pid_t pid, int (*cond)(void *), void *arg, const char *what)
{
    long n = trace_step_until(pid, cond, arg, 2000000);
    if (n < 0) {
        fprintf(stderr, REPRO_PROG ": %s: the kill point was never reached\n", what);
        repro_kill(pid);
        return 0;
    }
    trace_kill(pid);
    return 1;
}

/* ---- the region afterwards -------------------------------------------------------- */

/* Free space, [tail, head + ring bytes), is zero (LAYOUT.md 4.9): nothing
 * was written outside a reservation. Quiet region only. 1 if so. */
static inline int rl_free_clean(const char *what, const rawlog *w)
{
    uint64_t t = rl_tail(w), h = rl_head(w);
    if (t - h > w->bytes) {
        fprintf(stderr, REPRO_PROG ": %s: tail %llu head %llu: more than a ring apart\n", what,
                (unsigned long long)t, (unsigned long long)h);
        return 0;
    }
    for (uint64_t p = t; p != h + w->bytes; p += 8) {
        uint64_t x = __atomic_load_n((const uint64_t *)(w->ring + (p & w->mask)), __ATOMIC_RELAXED);
        if (x != 0) {
            fprintf(stderr, REPRO_PROG ": %s: free space is not zero: position %llu (ring offset"
                            " %llu, tail %llu head %llu) holds %#llx\n",
                    what, (unsigned long long)p, (unsigned long long)(p & w->mask),
                    (unsigned long long)t, (unsigned long long)h, (unsigned long long)x);
            return 0;
        }
    }
    return 1;
}

/* With everything read and given back: head == read == tail and every ring
 * byte zero (free space is zero, LAYOUT.md 4.9). 1 if so. */
static inline int rl_ring_clean(const char *what, const rawlog *w)
{
    uint64_t first, n = rl_nonzero(w, &first);
    uint64_t t = rl_tail(w), h = rl_head(w), rd = rl_read(w);
    if (n == 0 && h == t && rd == t)
        return 1;
    fprintf(stderr, REPRO_PROG ": %s: after a full drain tail %llu read %llu head %llu; %llu nonzero"
                    " word(s) in the ring",
            what, (unsigned long long)t, (unsigned long long)rd, (unsigned long long)h,
            (unsigned long long)n);
    if (n)
        fprintf(stderr, ", the first at ring offset %llu = %#llx", (unsigned long long)first,
                (unsigned long long)__atomic_load_n((uint64_t *)(w->ring + first), __ATOMIC_RELAXED));
    fprintf(stderr, "\n");
    return 0;
}

#endif
