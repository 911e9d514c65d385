/*
 * repro_log_wrap_full_ring.c - deterministic repro: an MPSC byte-log
 * producer killed holding a claim that WRAPS (PAD from pos to the ring's
 * end, its CLAIMED record at ring offset 0). The consumer, caught up,
 * passes the PAD and gives it back (head moves to the record), and the
 * other producers go on until the ring is full: tail = head + ring bytes,
 * more than a ring past pos. Recovery (lib/common/logring.c,
 * ib_log_recover_producer) then takes the reservation for nonsense
 * (`tail - pos > log_bytes`: "never reserved (or nonsense)") and leaves the
 * record CLAIMED for ever: the consumer never passes it, every record
 * behind it is lost, the ring stays full and every producer sees FULL for
 * good. The bound holds for the record (the reader cannot pass it, so
 * tail <= head + ring <= rec + ring), not for the start of its wrap PAD.
 * The kill campaign hit it in log-mpsc (a wrapping claim killed, the reader
 * let through first, survivors recovering later).
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_wrap_full_ring"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-wrapfull";
static rawlog W;

int main(void)
{
    volatile uint32_t *flag = repro_shared_page();
    indexbus_region *r = rl_create(name, 4096, 0, &W, 0);
    indexbus_consumer *c;
    indexbus_producer *a;
    int st, bug = 0;
    if ((st = indexbus_consumer_open(r, 0, &c)) || (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &a)))
        die("open", st);
    rl_got g = {0};
    uint32_t s = 0;
    for (; s < 63; s++)
        rl_pub(a, 0, s, 56); /* stride 64: tail 4032, 64 bytes before the end */
    rl_drain(c, &g);

    pid_t pid = fork(); /* the victim: a wrapping claim, held */
    if (pid == 0) {
        indexbus_region *cr;
        indexbus_producer *p;
        void *buf;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_producer_open(cr, INDEXBUS_PRODUCER_MPSC, &p) ||
            indexbus_claim_len(p, 120, &buf)) /* PAD 64 at 4032, record at 4096 (stride 128) */
            _exit(2);
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        for (;;)
            pause();
    }
    repro_wait_flag(flag);
    rl_drain(c, &g); /* passes the PAD, waits at the claim, gives the PAD back */
    while ((st = rl_pub_st(a, 0, s, 56)) == INDEXBUS_OK) /* the ring fills up behind the claim */
        s++;
    printf("victim holds a wrapping claim at 4096 (PAD from 4032); the ring is %s: tail %llu, head %llu,"
           " tail - pos = %llu > %llu\n",
           indexbus_status_name(st), (unsigned long long)rl_tail(&W), (unsigned long long)rl_head(&W),
           (unsigned long long)(rl_tail(&W) - 4032), (unsigned long long)W.bytes);
    repro_kill(pid);
    indexbus_recover_report rep = {.size = sizeof rep};
    if ((st = indexbus_region_recover(r, 0, &rep)))
        die("recover", st);
    printf("recover: dead %u cells_skipped %u (want 1 / 1); record header %#llx (want a PAD)\n", rep.dead,
           rep.cells_skipped, (unsigned long long)rl_hdr(&W, 4096));
    bug |= rep.dead != 1 || rep.cells_skipped != 1;
    rl_drain(c, &g);
    for (uint32_t end = s + 20; s < end; s++) { /* and it goes on */
        if ((st = rl_pub_st(a, 0, s, 56)) != INDEXBUS_OK) {
            printf("publish after recovery: %s\n", indexbus_status_name(st));
            bug = 1;
            break;
        }
        rl_drain(c, &g);
    }
    if (!rl_expect_seq("every committed record", &g, 0, 0, s))
        bug = 1;
    if (!rl_ring_clean("ring", &W))
        bug = 1;
    indexbus_producer_close(a);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (a dead wrapping claim is never padded once the ring"
                                      " filled behind it: the reader stalls, producers FULL for ever)"
                                    : "not reproduced (fixed)");
    return bug;
}
