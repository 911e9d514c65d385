/*
 * repro_log_slow_producer.c - deterministic repro: a slow MPSC byte-log
 * producer gets CORRUPT from a sane region. ib_log_reserve
 * (lib/common/logring.c) reads tail, then head; when head is past the tail
 * it read ("our tail is stale"), it reads tail again - and since 4520797
 * gives up with CORRUPT after 64 such re-reads, to bound the loop on a
 * region whose head was forged past tail. But a producer that is slow
 * between its two loads (preempted on a busy machine, traced, or simply
 * outrun by faster producers and a fast consumer) sees a stale tail every
 * time while the others keep the ring moving: nothing is wrong with the
 * region, the ring moves on, and the call says CORRUPT. The kill campaign
 * (log-mpsc) hit it with single-stepped victims: 13 of 600 iterations.
 * Bounding by "the tail did not move since the last re-read" (a forged
 * head over a ring that stands still) keeps the hostile case bounded
 * without failing a slow producer.
 *
 * Here the victim is single-stepped (ptrace) through indexbus_publish in
 * lockstep with another producer and the consumer (processes of their own):
 * after each of its instructions the ring moves on half a lap, for 4,000
 * instructions, then the others stop and it runs on by itself. Its publish
 * (retried while FULL) must end OK: once the ring holds still, its next
 * re-read finds a place.
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_slow_producer"
#include "repro_log.h"

#include <sys/ptrace.h>

static const char *name = "/ibcrash-repro-log-slowprod";
static rawlog W;
static volatile uint32_t *sh; /* [0] ready, [1] the victim's status + 1, [2] stop traffic,
                               [3] records the traffic published, [4] ... received */

static void slow_publish(indexbus_producer *pr, void *arg)
{
    (void)arg;
    uint8_t buf[64] = {0};
    int st;
    while ((st = indexbus_publish(pr, buf, 40)) == INDEXBUS_FULL) /* until it gets a place, or fails */
        ;
    __atomic_store_n(&sh[1], (uint32_t)st + 1, __ATOMIC_SEQ_CST);
}

/* Traffic in processes of their own (they run on the other CPU while the
 * victim is stepped): an MPSC producer publishing, or the consumer draining,
 * as fast as they can until told to stop. */
static pid_t spawn_traffic(int consumer)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid != 0)
        return pid;
    indexbus_region *r;
    indexbus_producer *p = NULL;
    indexbus_consumer *c = NULL;
    if (indexbus_region_open(name, NULL, &r) ||
        (consumer ? indexbus_consumer_open(r, 0, &c) : indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p)))
        _exit(2);
    uint8_t buf[256] = {0};
    size_t len;
    uint64_t n = 0;
    while (!__atomic_load_n(&sh[2], __ATOMIC_SEQ_CST)) {
        if (consumer)
            n += indexbus_try_recv(c, buf, sizeof buf, &len) == INDEXBUS_OK;
        else
            n += indexbus_publish(p, buf, 200) == INDEXBUS_OK;
    }
    __atomic_fetch_add(&sh[3 + consumer], (uint32_t)n, __ATOMIC_SEQ_CST);
    /* the other producer has stopped: drain until the victim is done, so
     * that it finds room (and a consumer) */
    for (uint64_t t0 = rl_now_ns(); consumer && !__atomic_load_n(&sh[1], __ATOMIC_SEQ_CST) &&
                                    rl_now_ns() - t0 < 3000000000ull;)
        if (indexbus_try_recv(c, buf, sizeof buf, &len) != INDEXBUS_OK)
            usleep(100);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    _exit(0);
}

static int done(void *arg)
{
    (void)arg;
    return __atomic_load_n(&sh[1], __ATOMIC_SEQ_CST) != 0;
}

int main(void)
{
    sh = repro_shared_page();
    indexbus_region *r = rl_create(name, 4096, 0, &W, 0);
    pid_t pid = rl_spawn_producer(name, INDEXBUS_PRODUCER_MPSC, slow_publish, NULL, sh);
    pid_t tp = spawn_traffic(0), tc = spawn_traffic(1);
    usleep(20000); /* the ring is moving */
    /* lockstep: one instruction of the victim, then the ring moves on half
     * a lap, so that a tail it reads is more than a lap stale by the time
     * it reads head, some instructions later */
    long steps = 0;
    for (; steps < 4000 && !done(NULL); steps++) {
        uint64_t h0 = rl_head(&W), t0 = rl_now_ns();
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0)
            break;
        int ws;
        if (waitpid(pid, &ws, 0) != pid || !WIFSTOPPED(ws))
            break;
        while (rl_head(&W) - h0 < W.bytes / 2 && rl_now_ns() - t0 < 50000000ull)
            sched_yield();
    }
    /* then the others stop, and the victim runs on by itself */
    __atomic_store_n(&sh[2], 1, __ATOMIC_SEQ_CST);
    waitpid(tp, NULL, 0);
    trace_release(pid);
    for (int i = 0; i < 300 && !done(NULL); i++) /* the consumer drains meanwhile */
        usleep(10000);
    waitpid(tc, NULL, 0);
    for (int i = 0; i < 300 && !done(NULL); i++)
        usleep(10000);
    uint64_t during = __atomic_load_n(&sh[3], __ATOMIC_SEQ_CST);
    uint32_t st1 = __atomic_load_n(&sh[1], __ATOMIC_SEQ_CST);
    repro_kill(pid);
    int st = st1 ? (int)st1 - 1 : -1;
    printf("the stepped producer's publish (%ld steps in lockstep; %llu records by the other one): %s\n",
           steps, (unsigned long long)during, st >= 0 ? indexbus_status_name(st) : "did not return");
    int bug = st != INDEXBUS_OK;
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (a slow MPSC producer gets CORRUPT from a sane ring)"
                                    : "not reproduced (fixed)");
    return bug;
}
