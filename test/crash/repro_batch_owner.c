/*
 * repro_batch_owner.c - deterministic repro: an MPSC publish_batch that
 * meets a full MPSC queue frees the slot it could not queue but leaves the
 * slot's `owner` set (producer.c: enqueue() restores owner = part + 1 on
 * failure, then publish_batch calls ib_pool_free without clearing it). When
 * that producer is later SIGKILLed, recovery's reclaim_owned() finds the
 * stale owner on a slot that is already free and frees it again: the free
 * list then holds the slot twice (here a self-loop) and two claims are
 * handed the same slot.
 *
 * Exit 0 = the bug is gone (every check below holds), 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <indexbus/indexbus.h>

#define REPRO_PROG "repro_batch_owner"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-batch";
static volatile uint32_t *flag;

int main(void)
{
    flag = repro_shared_page();
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS);
    cfg.slot_count = 8;
    cfg.slot_data_size = 64;
    cfg.queue_capacity = 2; /* MPSC queue smaller than the pool */
    indexbus_region *r = repro_create(name, &cfg);
    int st;
    indexbus_consumer *c;
    if ((st = indexbus_consumer_open(r, 0, &c)))
        die("consumer_open", st);

    pid_t pid = fork();
    if (pid == 0) { /* the producer: opens the region by name */
        indexbus_region *cr;
        indexbus_producer *p;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_producer_open(cr, INDEXBUS_PRODUCER_MPSC, &p))
            _exit(2);
        char data[3 * 8] = "aaaaaaaabbbbbbbbcccccccc";
        uint32_t lens[3] = {8, 8, 8};
        size_t n = 0;
        st = indexbus_publish_batch(p, data, lens, 3, &n); /* 2 go out, the 3rd meets FULL */
        fprintf(stderr, "child: publish_batch(3) = %s, published %zu\n", indexbus_status_name(st), n);
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        for (;;)
            pause();
    }
    repro_wait_flag(flag);
    indexbus_info info = {.size = sizeof info};
    indexbus_region_info(r, &info);
    printf("before kill: free_slots %u (8 slots, 2 queued, producer holds none)\n", info.free_slots);
    repro_kill(pid);
    indexbus_recover_report rep = {.size = sizeof rep};
    indexbus_region_recover(r, 0, &rep);
    indexbus_region_info(r, &info);
    printf("recover: dead %u slots_reclaimed %u (want 0: the dead producer held no slot)\n", rep.dead,
           rep.slots_reclaimed);
    printf("after recover: free_slots %u (want 6 = 8 - 2 queued)\n", info.free_slots);
    int bug = rep.slots_reclaimed != 0 || info.free_slots != 6;

    /* consequence: two producers claim the same slot */
    indexbus_producer *p1 = NULL, *p2 = NULL;
    void *b1 = NULL, *b2 = NULL;
    if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p1)) ||
        (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p2)))
        die("producer_open", st);
    if ((st = indexbus_claim(p1, &b1, NULL)) || (st = indexbus_claim(p2, &b2, NULL)))
        die("claim", st);
    printf("two claims: %p and %p%s\n", b1, b2, b1 == b2 ? "  <- the SAME slot handed out twice" : "");
    bug |= b1 == b2;
    indexbus_abort(p1);
    indexbus_abort(p2);
    indexbus_producer_close(p1);
    indexbus_producer_close(p2);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf("repro_batch_owner: %s\n", bug ? "REPRODUCED (double free after killed batch producer)"
                                          : "not reproduced (fixed)");
    return bug;
}
