/*
 * repro_router_midstep.c - a router killed mid-step. The router puts a
 * message's slot into consumer queues (refcount = number of targets) and
 * only then advances its source. Before the step journal (LAYOUT.md
 * 5.10.1), the next router routed the still-queued source cell again:
 *
 *  A  killed after all its puts: the consumers read their copies and free
 *     the slot; the new router then re-routed the FREED slot: the slot was
 *     queued and in the free list at once, and handed out twice.
 *  B  killed after its first put only: the re-route stored the refcount
 *     over a reference still queued: a duplicate, and the slot freed twice.
 *
 * Now recovery of the dead router finishes its step from the journal: A
 * has nothing left to do but move the source on; B puts the message into
 * the queue it had not reached. Either way each consumer gets the message
 * exactly once and the pool stays whole.
 *
 * The kill point is exact: the router is single-stepped (ptrace) until the
 * consumer queue's tail moves, then SIGKILLed.
 * Exit 0 = the pool survives (fixed), 1 = reproduced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <indexbus/indexbus.h>

#include "raw.h"
#include "trace.h"
#define REPRO_PROG "repro_router_midstep"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-midstep";
static raw_view W;

typedef struct watch {
    uint32_t q;
    uint64_t tail0;
} watch;

static int queue_moved(void *arg)
{
    watch *w = arg;
    return raw_ld64(&raw_cq(&W, w->q)->tail) != w->tail0;
}

static uint32_t free_slots(indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    indexbus_region_info(r, &info);
    return info.free_slots;
}

/* Free list walked through the layout: distinct slots, and whether one repeats. */
static uint32_t free_walk(int *dup)
{
    uint8_t seen[64] = {0};
    uint32_t n = 0, idx = (uint32_t)raw_ld64(&W.pool->free_head);
    *dup = 0;
    while (idx < W.slot_count && n <= W.slot_count) {
        if (seen[idx]) {
            *dup = 1;
            break;
        }
        seen[idx] = 1;
        n++;
        idx = raw_slot(&W, idx)->next_free;
    }
    return n;
}

/* Kill a router child `stop_q` queue puts into its step. */
static void kill_router_after_put(uint32_t stop_q)
{
    pid_t pid = fork();
    if (pid == 0) {
        indexbus_region *cr;
        indexbus_router *rt;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_router_open(cr, &rt))
            _exit(2);
        trace_me_and_stop();
        indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST);
        _exit(0);
    }
    if (trace_wait_stop(pid))
        die("router did not stop", INDEXBUS_IO);
    watch w = {stop_q, raw_ld64(&raw_cq(&W, stop_q)->tail)};
    long steps = trace_step_until(pid, queue_moved, &w, 2000000);
    trace_kill(pid);
    if (steps < 0)
        die("router never put the message", INDEXBUS_IO);
    printf("  router killed %ld instructions into route_once, right after its put into queue %u;"
           " source head still %llu\n",
           steps, stop_q, (unsigned long long)raw_ld64(&W.mpsc->head));
}

static int expect_msg(indexbus_consumer *c, const char *who, const char *want)
{
    char buf[64] = {0};
    size_t len = 0;
    int st = indexbus_try_recv(c, buf, sizeof buf - 1, &len);
    printf("  %s try_recv: %s \"%.*s\"%s\n", who, indexbus_status_name(st), (int)len, buf,
           st == INDEXBUS_OK && strncmp(buf, want, len) != 0 ? "   <- not the message routed" : "");
    return st == INDEXBUS_OK && strncmp(buf, want, len) == 0;
}

static indexbus_region *r;
static indexbus_consumer *c0, *c1;
static indexbus_producer *p, *p2;

static void setup(void)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT);
    cfg.slot_count = 8;
    cfg.slot_data_size = 64;
    cfg.queue_capacity = 8;
    cfg.consumer_count = 2;
    r = repro_create_mapped(name, &cfg, &W);
    int st;
    if ((st = indexbus_consumer_open(r, 0, &c0)) || (st = indexbus_consumer_open(r, 1, &c1)) ||
        (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p)) ||
        (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p2)))
        die("open", st);
}

static void teardown(void)
{
    indexbus_producer_close(p);
    indexbus_producer_close(p2);
    indexbus_consumer_close(c0);
    indexbus_consumer_close(c1);
    indexbus_region_close(r);
    raw_unmap(&W);
    indexbus_region_unlink(name);
}

int main(void)
{
    indexbus_router *rt;
    int bug = 0, dup, st;
    setup();
    indexbus_recover_report rep = {.size = sizeof rep};

    printf("A: router killed after putting the message into both queues\n");
    if ((st = indexbus_publish(p, "m1", 2)))
        die("publish", st);
    kill_router_after_put(1);
    indexbus_region_recover(r, 0, &rep);
    expect_msg(c0, "c0", "m1");
    expect_msg(c1, "c1", "m1");
    printf("  free_slots %u of 8 (both copies read: the slot is free again)\n", free_slots(r));
    if ((st = indexbus_router_open(r, &rt)))
        die("router_open", st);
    st = indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST);
    uint32_t fs = free_slots(r);
    printf("  new router: route_once %s (want EMPTY: recovery finished the step); free_slots %u"
           " (want 8)\n", indexbus_status_name(st), fs);
    bug |= st != INDEXBUS_EMPTY || fs != 8;
    void *b1, *b2;
    if ((st = indexbus_claim(p, &b1, NULL)))
        die("claim", st);
    memcpy(b1, "NEW!", 4); /* p's claim, not committed */
    int dup0 = expect_msg(c0, "c0 (a duplicate?)", "m1");
    int dup1 = expect_msg(c1, "c1 (a duplicate?)", "m1");
    bug |= dup0 || dup1;
    if ((st = indexbus_commit(p, 4)))
        die("commit", st);
    if ((st = indexbus_claim(p2, &b2, NULL)))
        die("claim 2", st);
    printf("  p committed its slot; p2's claim gets %s buffer\n", b1 == b2 ? "the SAME (queued) slot's" : "another");
    bug |= b1 == b2;
    indexbus_abort(p2);
    indexbus_router_close(rt);
    teardown();

    printf("B: router killed after putting the message into queue 0 only (fresh region)\n");
    setup();
    uint32_t before = free_walk(&dup);
    if ((st = indexbus_publish(p, "m2", 2)))
        die("publish", st);
    kill_router_after_put(0);
    indexbus_region_recover(r, 0, &rep);
    printf("  recovery: dead %u (the router; it finishes the step: m2 into queue 1 too)\n", rep.dead);
    if ((st = indexbus_router_open(r, &rt)))
        die("router_open", st);
    st = indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST);
    printf("  new router: route_once %s (want EMPTY)\n", indexbus_status_name(st));
    bug |= st != INDEXBUS_EMPTY;
    bug |= !expect_msg(c0, "c0", "m2");
    bug |= expect_msg(c0, "c0 (a duplicate?)", "m2");
    bug |= !expect_msg(c1, "c1", "m2");
    uint32_t after = free_walk(&dup);
    printf("  free list: %u distinct slots before, %u after (want equal)%s\n", before, after,
           dup ? ", and one slot is in it TWICE (double free)" : "");
    bug |= dup || after != before;
    indexbus_router_close(rt);
    teardown();
    printf("repro_router_midstep: %s\n",
           bug ? "REPRODUCED (a step re-routed or lost: duplicates, a slot used after free or freed twice)"
               : "not reproduced (fixed)");
    return bug;
}
