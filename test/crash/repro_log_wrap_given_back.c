/*
 * repro_log_wrap_given_back.c - deterministic repro: a byte-log producer
 * killed holding a claim that WRAPS (a PAD from pos to the ring's end, its
 * CLAIMED record at ring offset 0; journal RESERVED). The consumer, caught
 * up, has already passed that PAD, zeroed it and given it back (head moved
 * past it: it is free space). Recovery (lib/common/logring.c,
 * ib_log_recover_producer) pads the CLAIMED record, as it should, and then
 * also CASes the wrap piece at pos from 0 to PAD "in case the writer died
 * before writing it" - but that 0 is the consumer's zeroing: a PAD is
 * written into free space below head. A lap later, when tail comes back to
 * that ring offset, the consumer reads the stale PAD as the next entry and
 * skips past tail: the record published there is lost, head passes tail,
 * and producers then spin for ever ("tail stale").
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_wrap_given_back"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-wrapback";
static rawlog W;

static void hang(int sig)
{
    (void)sig;
    static const char m[] = REPRO_PROG ": REPRODUCED (a producer hangs: head was moved past tail)\n";
    if (write(2, m, sizeof m - 1) < 0) {
        /* nothing to do */
    }
    _exit(1);
}

int main(void)
{
    volatile uint32_t *flag = repro_shared_page();
    indexbus_region *r = rl_create(name, 4096, 0, &W, 0);
    indexbus_consumer *c;
    indexbus_producer *a;
    int st, bug = 0;
    if ((st = indexbus_consumer_open(r, 0, &c)) || (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &a)))
        die("open", st);
    rl_got g = {0};
    for (uint32_t s = 0; s < 63; s++)
        rl_pub(a, 0, s, 56); /* stride 64: tail 4032, 64 bytes before the end */
    rl_drain(c, &g);
    indexbus_producer_close(a);

    pid_t pid = fork(); /* the victim: claims a wrapping record and holds it */
    if (pid == 0) {
        indexbus_region *cr;
        indexbus_producer *p;
        void *buf;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_producer_open(cr, INDEXBUS_PRODUCER_SPSC, &p) ||
            indexbus_claim_len(p, 120, &buf)) /* stride 128 from 4032: PAD 64, record at 4096 */
            _exit(2);
        rl_fill(buf, 1, 0, 120);
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        for (;;)
            pause();
    }
    repro_wait_flag(flag);
    /* caught up: the consumer passes the wrap PAD, finds the claim, gives back */
    if (rl_drain(c, &g) != INDEXBUS_EMPTY)
        die("drain before the kill", INDEXBUS_CORRUPT);
    printf("victim holds a wrapping claim: PAD at 4032 is %#llx after the consumer passed it"
           " (head %llu), CLAIMED at 4096 %#llx\n",
           (unsigned long long)rl_hdr(&W, 4032), (unsigned long long)rl_head(&W),
           (unsigned long long)rl_hdr(&W, 4096));
    repro_kill(pid);
    indexbus_recover_report rep = {.size = sizeof rep};
    if ((st = indexbus_region_recover(r, 0, &rep)))
        die("recover", st);
    uint64_t below = rl_hdr(&W, 4032);
    printf("recover: dead %u cells_skipped %u (want 1 / 1); header at 4032, below head %llu: %#llx"
           " (want 0: free space)\n",
           rep.dead, rep.cells_skipped, (unsigned long long)rl_head(&W), (unsigned long long)below);
    bug |= rep.dead != 1 || rep.cells_skipped != 1 || below != 0;

    signal(SIGALRM, hang);
    alarm(10);
    if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &a)))
        die("producer_open after recovery", st);
    rl_drain(c, &g); /* passes the padded record */
    /* a lap: records of stride 64 up to ring offset 4032 again, then one more */
    uint32_t s = 63;
    while ((rl_tail(&W) & 4095u) != 4032u) {
        rl_pub(a, 0, s++, 56);
        rl_drain(c, &g);
    }
    rl_pub(a, 0, s++, 56); /* at ring offset 4032: the stale PAD's place */
    rl_drain(c, &g);
    rl_pub(a, 0, s++, 24);
    rl_drain(c, &g);
    alarm(0);
    if (!rl_expect_seq("every committed record", &g, 0, 0, s))
        bug = 1;
    if (g.n != s) /* the victim's claimed record must not show up */
        bug = 1;
    if (!rl_ring_clean("ring", &W))
        bug = 1;
    indexbus_producer_close(a);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (recovery padded a given-back wrap piece: a stale"
                                      " PAD in free space)"
                                    : "not reproduced (fixed)");
    return bug;
}
