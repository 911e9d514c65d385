/*
 * repro_log_stale_journal.c - deterministic repro: an MPSC byte-log producer
 * killed after it journals a reservation that would WRAP (log_reserve = pos
 * | RESERVING, log_size = wrap pad + record) but before its CAS on tail,
 * i.e. it never reserved anything. Another producer then reserves at pos
 * a record that ends exactly at the ring's end. Recovery of the dead one
 * (lib/common/logring.c, ib_log_recover_producer, the RESERVING branch)
 * sees tail > pos, nobody else's journal naming pos, and the header where
 * the dead one's record would have started (ring offset 0, beyond tail:
 * free space) still 0, so it CASes 0 -> PAD(record bytes) there: a PAD in
 * free space past tail. The consumer, caught up at tail, reads that PAD as
 * the next entry and skips past tail; the records published there next are
 * lost (and head then moves past tail: producers see "tail stale" for ever).
 *
 * The dead producer is single-stepped (ptrace) until its journal says
 * RESERVING, then killed: the CAS is the next store it would make.
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_stale_journal"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-stale";
static rawlog W;
static int victim_entry;

static void hang(int sig)
{
    (void)sig;
    static const char m[] = REPRO_PROG ": REPRODUCED (a producer hangs: head was moved past tail)\n";
    if (write(2, m, sizeof m - 1) < 0) {
        /* nothing to do */
    }
    _exit(1);
}

static void claim_wrapping(indexbus_producer *pr, void *arg)
{
    (void)arg;
    void *buf;
    indexbus_claim_len(pr, 120, &buf); /* stride 128 from 64 before the end: wraps */
}

static int journal_reserving(void *arg)
{
    (void)arg;
    return (rl_journal(&W, (uint32_t)victim_entry) & 7u) == INDEXBUS_LOG_RESERVING;
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
    /* tail 64 bytes before the ring's end, everything read and given back */
    rl_got g = {0};
    for (uint32_t s = 0; s < 63; s++)
        rl_pub(a, 0, s, 56); /* stride 64 */
    rl_drain(c, &g);
    if (rl_tail(&W) != 4032 || rl_head(&W) != 4032)
        die("setup: tail/head not at 4032", INDEXBUS_CORRUPT);

    pid_t pid = rl_spawn_producer(name, INDEXBUS_PRODUCER_MPSC, claim_wrapping, NULL, flag);
    victim_entry = rl_entry_of(&W, pid);
    if (victim_entry < 0 || !rl_kill_at(pid, journal_reserving, NULL, "journal RESERVING"))
        die("victim", INDEXBUS_IO);
    printf("victim killed with journal %#llx size %u; tail %llu (no reservation made)\n",
           (unsigned long long)rl_journal(&W, (uint32_t)victim_entry),
           rl_journal_size(&W, (uint32_t)victim_entry), (unsigned long long)rl_tail(&W));

    signal(SIGALRM, hang);
    alarm(10);
    rl_pub(a, 0, 63, 56); /* at 4032, exactly to the ring's end: tail 4096 */
    indexbus_recover_report rep = {.size = sizeof rep};
    if ((st = indexbus_region_recover(r, 0, &rep)))
        die("recover", st);
    uint64_t beyond = rl_hdr(&W, 4096);
    printf("recover: dead %u cells_skipped %u (want 1 / 0: nothing was reserved);"
           " header at tail (ring offset 0) %#llx (want 0: free space)\n",
           rep.dead, rep.cells_skipped, (unsigned long long)beyond);
    bug |= rep.dead != 1 || rep.cells_skipped != 0 || beyond != 0;

    /* consequence: the consumer passes tail, and records published next are lost */
    rl_drain(c, &g);
    printf("after the drain: tail %llu read %llu head %llu\n", (unsigned long long)rl_tail(&W),
           (unsigned long long)rl_read(&W), (unsigned long long)rl_head(&W));
    for (uint32_t s = 64; s < 74; s++)
        rl_pub(a, 0, s, 24); /* stride 32: from ring offset 0 */
    rl_drain(c, &g);
    if (!rl_expect_seq("every committed record", &g, 0, 0, 74))
        bug = 1;
    if (!rl_ring_clean("ring", &W))
        bug = 1;
    alarm(0);
    indexbus_producer_close(a);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (a dead writer's stale journal padded free space"
                                      " past tail; committed records lost)"
                                    : "not reproduced (fixed)");
    return bug;
}
