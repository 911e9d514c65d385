/*
 * repro_log_wrap_pad_passed.c - deterministic repro: a byte-log producer
 * killed inside the wrap's padding - its reservation wraps, the PAD to the
 * ring's end is written, the record's header at ring offset 0 is not yet
 * CLAIMED (still 0; journal RESERVING). The consumer, caught up, passes the
 * PAD (read moves to the record) and waits there. Recovery
 * (lib/common/logring.c, ib_log_recover_producer, the RESERVING branch)
 * refuses to pad the record because read has moved past the reservation's
 * START (`read - pos <= 0` fails), although what matters is the record at
 * pos + pad, which nobody has read. The record stays 0 for ever: the
 * consumer stalls there, everything published behind it is never
 * delivered, and the ring fills up (producers see FULL for ever).
 *
 * The victim is single-stepped (ptrace) until the PAD is visible, then
 * killed. Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_wrap_pad_passed"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-padpassed";
static rawlog W;

static void claim_wrapping(indexbus_producer *pr, void *arg)
{
    (void)arg;
    void *buf;
    if (indexbus_claim_len(pr, 120, &buf) == INDEXBUS_OK) /* stride 128 from 4032: wraps */
        indexbus_commit(pr, 120);
}

static int pad_written(void *arg)
{
    (void)arg;
    return RL_TYPE(rl_hdr(&W, 4032)) == INDEXBUS_LOG_PAD;
}

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
        rl_pub(a, 0, s, 56); /* stride 64: tail 4032 */
    rl_drain(c, &g);

    pid_t pid = rl_spawn_producer(name, INDEXBUS_PRODUCER_MPSC, claim_wrapping, NULL, flag);
    if (!rl_kill_at(pid, pad_written, NULL, "wrap PAD written"))
        die("victim", INDEXBUS_IO);
    printf("victim killed: PAD at 4032 %#llx, record header at 4096 %#llx, tail %llu\n",
           (unsigned long long)rl_hdr(&W, 4032), (unsigned long long)rl_hdr(&W, 4096),
           (unsigned long long)rl_tail(&W));
    rl_drain(c, &g); /* caught up: passes the PAD, waits at 4096 */
    for (uint32_t end = s + 3; s < end; s++)
        rl_pub(a, 0, s, 56); /* behind the dead record */
    indexbus_recover_report rep = {.size = sizeof rep};
    if ((st = indexbus_region_recover(r, 0, &rep)))
        die("recover", st);
    printf("recover: dead %u cells_skipped %u (want 1 / 1); read %llu, record header %#llx"
           " (want a PAD)\n",
           rep.dead, rep.cells_skipped, (unsigned long long)rl_read(&W),
           (unsigned long long)rl_hdr(&W, 4096));
    bug |= rep.dead != 1 || rep.cells_skipped != 1 || RL_TYPE(rl_hdr(&W, 4096)) != INDEXBUS_LOG_PAD;
    rl_drain(c, &g);
    if (!rl_expect_seq("every committed record", &g, 0, 0, s))
        bug = 1;
    if (!rl_ring_clean("ring", &W))
        bug = 1;
    indexbus_producer_close(a);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (a record killed inside the wrap's padding is never"
                                      " padded once the reader passed the PAD: the reader stalls)"
                                    : "not reproduced (fixed)");
    return bug;
}
