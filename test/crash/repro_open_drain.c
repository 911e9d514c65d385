/*
 * repro_open_drain.c - deterministic repro: indexbus_consumer_open (fanout)
 * takes the index (owner word set), then drains "a previous occupant's
 * leftovers", and only then bumps the consumer epoch. A router that
 * refreshes its consumer set in between - because of an earlier epoch bump
 * it has not processed yet, here the one from recovering the index's dead
 * previous consumer - sees the new owner and routes to it; drain() then
 * throws those messages away. Nothing counts them (delivered says they went
 * to that consumer, dropped_full does not move, the consumer never sees
 * them): in work-queue mode they are lost outright.
 *
 * The replacement consumer is single-stepped (ptrace) until its owner word
 * is set, then held there while the router routes one message.
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <indexbus/indexbus.h>

#include "raw.h"
#include "trace.h"
#define REPRO_PROG "repro_open_drain"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-opendrain";
static raw_view W;

static int owner1_set(void *arg)
{
    (void)arg;
    return raw_ld32(&W.parts->consumer_owner[1]) != 0;
}

int main(void)
{
    volatile uint32_t *sh = repro_shared_page();
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT);
    cfg.slot_count = 8;
    cfg.slot_data_size = 64;
    cfg.queue_capacity = 8;
    cfg.consumer_count = 2;
    indexbus_region *r = repro_create_mapped(name, &cfg, &W);
    int st;
    indexbus_consumer *c0;
    indexbus_producer *p;
    indexbus_router *rt;
    if ((st = indexbus_consumer_open(r, 0, &c0)) || (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p)) ||
        (st = indexbus_router_open(r, &rt)))
        die("open", st);

    /* consumer 1 in a process of its own, then killed and recovered */
    pid_t old = fork();
    if (old == 0) {
        indexbus_region *cr;
        indexbus_consumer *c;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_consumer_open(cr, 1, &c))
            _exit(2);
        __atomic_store_n(&sh[0], 1, __ATOMIC_SEQ_CST);
        for (;;)
            pause();
    }
    repro_wait_flag(&sh[0]);
    /* one message round robin to consumer 0: the next one goes to 1 */
    char buf[16];
    size_t len;
    if ((st = indexbus_publish(p, "m0", 2)) || (st = indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_WORK_QUEUE)))
        die("m0", st);
    if ((st = indexbus_try_recv(c0, buf, sizeof buf, &len)))
        die("c0 m0", st);
    repro_kill(old);
    indexbus_recover_report rep = {.size = sizeof rep};
    indexbus_region_recover(r, 0, &rep); /* bumps the epoch; the router has not stepped since */
    printf("old consumer 1 killed and recovered (dead %u); the router has not routed since\n", rep.dead);

    pid_t neu = fork();
    if (neu == 0) { /* the replacement consumer 1 */
        indexbus_region *cr;
        indexbus_consumer *c;
        if (indexbus_region_open(name, NULL, &cr))
            _exit(2);
        trace_me_and_stop();
        if (indexbus_consumer_open(cr, 1, &c))
            _exit(2);
        char b[16];
        size_t l;
        int got = indexbus_recv(c, b, sizeof b, &l, 200000000ull);
        __atomic_store_n(&sh[1], got == INDEXBUS_OK ? 1 : 2, __ATOMIC_SEQ_CST);
        indexbus_consumer_close(c);
        _exit(0);
    }
    if (trace_wait_stop(neu))
        die("replacement did not stop", INDEXBUS_IO);
    long steps = trace_step_until(neu, owner1_set, NULL, 5000000);
    if (steps < 0)
        die("replacement never took index 1", INDEXBUS_IO);
    printf("replacement consumer 1 held %ld instructions into consumer_open: owner word set, not yet"
           " drained\n", steps);
    if ((st = indexbus_publish(p, "m1", 2)))
        die("publish m1", st);
    indexbus_route_result res = {.size = sizeof res};
    st = indexbus_route_once_stats(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_WORK_QUEUE, &res);
    printf("router routes m1: %s, delivered to mask %#llx\n", indexbus_status_name(st),
           (unsigned long long)res.delivered_mask);
    trace_release(neu); /* consumer_open goes on: drain(), epoch, wait for the router */
    while (!__atomic_load_n(&sh[1], __ATOMIC_SEQ_CST))
        if (indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_WORK_QUEUE) == INDEXBUS_EMPTY)
            usleep(1000);
    int c1_got = __atomic_load_n(&sh[1], __ATOMIC_SEQ_CST) == 1;
    waitpid(neu, NULL, 0);
    int c0_got = indexbus_try_recv(c0, buf, sizeof buf, &len) == INDEXBUS_OK;
    indexbus_consumer_stats cs = {.size = sizeof cs};
    indexbus_region_consumer_stats(r, 1, &cs);
    printf("m1: replacement consumer 1 %s it, consumer 0 %s it; consumer 1 stats: delivered %llu,"
           " dropped_full %llu\n",
           c1_got ? "received" : "never received", c0_got ? "received" : "never received",
           (unsigned long long)cs.delivered, (unsigned long long)cs.dropped_full);
    int bug = res.delivered_mask == 2 && !c1_got && !c0_got;
    indexbus_router_close(rt);
    indexbus_producer_close(p);
    indexbus_consumer_close(c0);
    indexbus_region_close(r);
    raw_unmap(&W);
    indexbus_region_unlink(name);
    printf("repro_open_drain: %s\n",
           bug ? "REPRODUCED (a message routed to a consumer during its open is drained away, uncounted)"
               : "not reproduced (fixed)");
    return bug;
}
