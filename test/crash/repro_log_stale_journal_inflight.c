/*
 * repro_log_stale_journal_inflight.c - deterministic repro: recovery of a
 * dead MPSC byte-log producer whose journal says RESERVING for a
 * reservation that would WRAP (it died before its CAS on tail: it reserved
 * nothing) pads ANOTHER, live producer's reservation.
 *
 *   D journals pos 4032 (64 before the end), size 192 (PAD 64 + a record
 *     of 128 at offset 0), and is killed before its CAS;
 *   A publishes a record of 64 at 4032 (committed: its journal is clear);
 *   Q reserves 128 bytes at 4096 (ring offset 0) and is stopped between
 *     its CAS and its CLAIMED store: the header there is still 0;
 *   recovery of D (lib/common/logring.c, ib_log_recover_producer, the
 *     RESERVING branch): tail is past D's record place, nobody else's
 *     journal names D's *pos* (Q's names 4096), the reader has not passed
 *     4096, the header there is 0 - so it CASes 0 -> PAD(128) over Q's
 *     reservation.
 * The reader then skips Q's 128 bytes; Q, let go, writes CLAIMED and
 * commits a record nobody ever reads: a committed record lost. (Since
 * 4520797 recovery requires tail past the record's place, which covers the
 * simpler case of repro_log_stale_journal; it still needs to know that no
 * other journal covers the bytes it pads: an overlap check of [pos, pos +
 * size) against the others' [log_reserve, + log_size) instead of an equal
 * pos.)
 *
 * D and Q are single-stepped (ptrace) to their points. Exit 0 = the bug is
 * gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_stale_journal_inflight"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-inflight";
static rawlog W;
static int d_entry;
static uint64_t q_tail0;

static void claim_120(indexbus_producer *pr, void *arg)
{
    uint32_t p = *(uint32_t *)arg;
    void *buf;
    if (indexbus_claim_len(pr, 120, &buf) == INDEXBUS_OK) { /* stride 128 */
        rl_fill(buf, p, 0, 120);
        indexbus_commit(pr, 120);
    }
}

static int d_journaled(void *arg)
{
    (void)arg;
    return (rl_journal(&W, (uint32_t)d_entry) & 7u) == INDEXBUS_LOG_RESERVING;
}

static int q_reserved(void *arg)
{
    (void)arg;
    return rl_tail(&W) != q_tail0;
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

    static uint32_t id_d = 1, id_q = 2;
    pid_t d = rl_spawn_producer(name, INDEXBUS_PRODUCER_MPSC, claim_120, &id_d, flag);
    d_entry = rl_entry_of(&W, d);
    if (d_entry < 0 || !rl_kill_at(d, d_journaled, NULL, "D journaled"))
        die("D", INDEXBUS_IO);
    rl_pub(a, 0, s++, 56); /* at 4032, to the ring's end */
    q_tail0 = rl_tail(&W);
    pid_t q = rl_spawn_producer(name, INDEXBUS_PRODUCER_MPSC, claim_120, &id_q, flag + 1);
    if (trace_step_until(q, q_reserved, NULL, 2000000) < 0)
        die("Q never reserved", INDEXBUS_IO);
    printf("D dead with journal %#llx size %u; A's record at 4032; Q stopped after its CAS: tail %llu,"
           " header at 4096 %#llx\n",
           (unsigned long long)rl_journal(&W, (uint32_t)d_entry), rl_journal_size(&W, (uint32_t)d_entry),
           (unsigned long long)rl_tail(&W), (unsigned long long)rl_hdr(&W, 4096));
    indexbus_recover_report rep = {.size = sizeof rep};
    if ((st = indexbus_region_recover(r, 0, &rep)))
        die("recover", st);
    uint64_t h = rl_hdr(&W, 4096);
    printf("recover: dead %u, reservations padded %u (want 1 / 0); header of Q's reservation %#llx (want 0:"
           " Q has not written it yet)\n",
           rep.dead, rep.cells_skipped, (unsigned long long)h);
    bug |= rep.cells_skipped != 0 || h != 0;
    rl_drain(c, &g); /* the reader passes whatever it finds there */
    trace_release(q); /* Q writes CLAIMED, fills and commits */
    for (int i = 0; i < 200 && __atomic_load_n(&flag[1], __ATOMIC_SEQ_CST) != 2; i++)
        usleep(10000);
    for (uint32_t end = s + 5; s < end; s++)
        rl_pub(a, 0, s, 56);
    rl_drain(c, &g);
    uint32_t got_q = 0;
    for (uint32_t i = 0; i < g.n; i++)
        got_q += g.p[i] == 2;
    printf("Q's committed record delivered %u time(s) (want 1)\n", got_q);
    bug |= got_q != 1;
    if (!rl_expect_seq("producer A", &g, 0, 0, s))
        bug = 1;
    repro_kill(q);
    indexbus_producer_close(a);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (recovery of a dead producer's stale journal padded a live"
                                      " producer's reservation: its committed record is lost)"
                                    : "not reproduced (fixed)");
    return bug;
}
