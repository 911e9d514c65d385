/*
 * repro_router_self_wait.c - deterministic repro: when indexbus_router_run
 * recovers a dead fanout consumer itself (its idle-path ib_recover),
 * recover_fanout_consumer() calls ib_await_router(), which waits for the
 * router to acknowledge the new consumer epoch - but the router is the
 * thread doing the recovery, so the ack never comes and it waits out the
 * whole IB_LEAVE_WAIT_NS (50 ms). Meanwhile:
 *   - nothing is routed (live consumers stall),
 *   - the dead entry is locked by the router's probe, so it reads as alive:
 *     indexbus_region_recover() finds nothing dead (dead = 0), and
 *   - indexbus_consumer_open() on the dead consumer's index returns BUSY:
 *     the refused attach recovers, finds nothing dead, and does not retry.
 * Recovery of a dead participant takes > 10 ms.
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <indexbus/indexbus.h>

#define REPRO_PROG "repro_router_self_wait"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-selfwait";
static volatile uint32_t *flag;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static indexbus_region *open_child(void)
{
    indexbus_region *r;
    if (indexbus_region_open(name, NULL, &r))
        _exit(2);
    return r;
}

/* entry of the participant with this pid, or -1 */
static int entry_of(indexbus_region *r, pid_t pid)
{
    indexbus_participant_info pi = {.size = sizeof pi};
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        if (indexbus_region_participant(r, i, &pi) == INDEXBUS_OK && pi.pid == (uint32_t)pid)
            return (int)i;
    return -1;
}

int main(void)
{
    flag = repro_shared_page();
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT);
    cfg.slot_count = 16;
    cfg.slot_data_size = 64;
    cfg.queue_capacity = 16;
    cfg.consumer_count = 2;
    indexbus_region *r = repro_create(name, &cfg);
    int st;
    indexbus_consumer *c0;
    indexbus_producer *p;
    if ((st = indexbus_consumer_open(r, 0, &c0)) || (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p)))
        die("open", st);

    pid_t victim = fork();
    if (victim == 0) { /* consumer 1, killed below */
        indexbus_consumer *c;
        if (indexbus_consumer_open(open_child(), 1, &c))
            _exit(2);
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        for (;;)
            pause();
    }
    while (__atomic_load_n(flag, __ATOMIC_SEQ_CST) != 1)
        usleep(100);
    pid_t router = fork();
    if (router == 0) { /* an idle router: short parks, so its periodic recovery comes soon */
        indexbus_router *rt;
        if (indexbus_router_open(open_child(), &rt))
            _exit(2);
        __atomic_store_n(flag, 2, __ATOMIC_SEQ_CST);
        indexbus_router_loop_config lc = {.size = sizeof lc, .spin_iters = 1, .yield_iters = 1,
                                          .park_ns = 100000};
        indexbus_router_run(rt, &lc);
        _exit(0);
    }
    while (__atomic_load_n(flag, __ATOMIC_SEQ_CST) != 2)
        usleep(100);
    usleep(20000);
    int entry = entry_of(r, victim);
    repro_kill(victim);
    uint64_t t_dead = now_ns();
    printf("consumer 1 (pid %d, entry %d) killed; nobody but the router recovers for 15 ms\n",
           (int)victim, entry);
    usleep(15000); /* the router's idle recovery (every 64 parks of 0.1 ms) has begun by now */

    indexbus_participant_info pi = {.size = sizeof pi};
    int pst = indexbus_region_participant(r, (uint32_t)entry, &pi);
    int stuck = pst == INDEXBUS_OK && pi.alive; /* a dead process's entry, locked by a recovery */
    printf("15 ms after death: entry %d %s\n", entry,
           pst != INDEXBUS_OK ? "free (recovered)" : pi.alive ? "reads ALIVE (router holds its lock mid-recovery)" : "dead");
    indexbus_recover_report rep = {.size = sizeof rep};
    indexbus_region_recover(r, 0, &rep);
    printf("indexbus_region_recover: dead %u%s\n", rep.dead,
           stuck ? " (the process is dead; its entry is locked by the router's recovery)" : "");
    indexbus_consumer *c1 = NULL;
    int ost = indexbus_consumer_open(r, 1, &c1);
    printf("indexbus_consumer_open(1): %s\n", indexbus_status_name(ost));
    if (ost == INDEXBUS_OK)
        indexbus_consumer_close(c1);

    /* a live consumer's message waits for the router to come back */
    uint64_t t_pub = now_ns();
    if ((st = indexbus_publish(p, "x", 1)))
        die("publish", st);
    char buf[8];
    size_t len;
    st = indexbus_recv(c0, buf, sizeof buf, &len, 1000000000ull);
    uint64_t t_recv = now_ns();
    printf("live consumer 0: message published at +%.1f ms delivered after %.1f ms (%s)\n",
           (double)(t_pub - t_dead) / 1e6, (double)(t_recv - t_pub) / 1e6, indexbus_status_name(st));
    while (indexbus_region_participant(r, (uint32_t)entry, &pi) == INDEXBUS_OK)
        usleep(200);
    uint64_t t_free = now_ns();
    printf("dead entry freed %.1f ms after the death\n", (double)(t_free - t_dead) / 1e6);

    int bug = stuck || ost == INDEXBUS_BUSY || t_recv - t_pub > 10000000ull;
    repro_kill(router);
    indexbus_region_recover(r, 0, &rep);
    indexbus_producer_close(p);
    indexbus_consumer_close(c0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf("repro_router_self_wait: %s\n",
           bug ? "REPRODUCED (router waits for its own ack while recovering a dead consumer)"
               : "not reproduced (fixed)");
    return bug;
}
