/*
 * crash_recycle_check.h - the kill campaign's checks for layout 1.3
 * (fanout recycling, 5.21; MPSC batch reservation, 5.4.1). Included by
 * crash.c after the delivery analysis helpers.
 *
 *   acct   every slot accounted for exactly once (raw_acct.h: free, parked
 *          in a queue cell, queued), read through the frozen layout: with
 *          every process gone and the queues drained, no slot in two
 *          places before the final sweep, and after it every slot in
 *          exactly one (free + parked + queued == slot_count). Every
 *          events and fanout scenario, not only the 1.3 ones.
 *   stall  after the kill and the restart, the traffic moves on: every
 *          live producer commits again and the consumers log more (bounded
 *          by HANG_NS, the campaign's hang guard: a stalled queue is an S
 *          failure, not a timed assertion).
 *   prefix a producer killed inside publish_batch on an MPSC_BATCH region
 *          (one reservation for the batch): of its in-doubt messages, those
 *          delivered are a prefix; a filled cell after an unfilled one that
 *          recovery skipped would be a hole in its order.
 */
#ifndef IB_CRASH_RECYCLE_CHECK_H
#define IB_CRASH_RECYCLE_CHECK_H

#include "raw_acct.h"

/* Diagnostics: the slots that are nowhere, as the layout shows them. */
static void acct_dump(const raw_acct *A, const char *when)
{
    fprintf(stderr, "crash: %s iter %u, %s: %u slot(s) nowhere (free %u parked %u queued %u)\n",
            I.S->name, g_iter, when, A->nowhere, A->free, A->parked, A->queued);
    for (uint32_t s = 0, shown = 0; s < W.slot_count && shown < 8; s++) {
        if (A->where[s])
            continue;
        const indexbus_slot_header *sl = raw_slot(&W, s);
        uint32_t owner = raw_ld32(&sl->owner), c = owner - INDEXBUS_SLOT_PARKED_CONSUMER_BASE;
        fprintf(stderr, "  slot %u: owner %#x next_free %u refcount %u", s, owner,
                raw_ld32(&sl->next_free), raw_ld32(&sl->refcount));
        if (owner == INDEXBUS_SLOT_PARKED || (I.S->kind == INDEXBUS_KIND_FANOUT && c < W.ncons)) {
            const indexbus_spsc_ctl *q = owner == INDEXBUS_SLOT_PARKED ? W.spsc : raw_cq(&W, c);
            uint32_t nf = raw_ld32(&sl->next_free);
            fprintf(stderr, "; its queue head %" PRIu64 " tail %" PRIu64 ", cell %u names %u",
                    raw_ld64(&q->head), raw_ld64(&q->tail), nf & (W.cap - 1),
                    raw_ld32(&ra_cells(q)[nf & (W.cap - 1)]));
        }
        fprintf(stderr, "\n");
        shown++;
    }
}

/* 0 if no slot is in two places (and, if exact, every slot is somewhere). */
static int acct_check(int inv, const char *when, int exact)
{
    if (I.S->kind != INDEXBUS_KIND_EVENTS && I.S->kind != INDEXBUS_KIND_FANOUT)
        return 0;
    static raw_acct A;
    raw_account(&W, I.S->kind == INDEXBUS_KIND_FANOUT, &A);
    if (verbose && A.nowhere)
        acct_dump(&A, when);
    if (A.twice == 0 && A.bad == 0 && (!exact || A.nowhere == 0))
        return 0;
    failf(inv, "%s: slots free %u, parked %u, queued %u of %u; %u in two places at once, %u named"
               " out of range, %u nowhere%s",
          when, A.free, A.parked, A.queued, W.slot_count, A.twice, A.bad, A.nowhere,
          exact ? "" : " (not checked yet)");
    return -1;
}

/* The traffic after the restart: every live producer commits again and the
 * consumers log more, within the hang guard. */
static void stall_check(void)
{
    if (!I.S->flags || I.bad[I_PROC])
        return;
    uint32_t c0[MAXP], n0 = 0;
    for (int p = 0; p < I.nprec; p++)
        c0[p] = ld(&sh->p[p].committed);
    for (int i = 0; i < I.ncrec; i++)
        n0 += ld(&sh->c[i].n);
    uint64_t until = now_ns() + HANG_NS;
    for (;;) {
        int moved = 0, want = 0;
        for (int p = 0; p < I.nprec; p++) {
            if (!sh->p[p].used || sh->p[p].killed || c0[p] + BMAX >= PCAP)
                continue;
            want++;
            moved += ld(&sh->p[p].committed) != c0[p];
        }
        uint32_t n = 0;
        for (int i = 0; i < I.ncrec; i++)
            n += ld(&sh->c[i].n);
        if (want == 0 || (moved == want && n != n0))
            return; /* (every producer near its PCAP: nothing to wait for) */
        if (now_ns() > until) {
            failf(I_PROC, "stalled: %d of %d live producers committed nothing more and the consumers"
                          " logged %u more in %.0f s after the restart",
                  want - moved, want, n - n0, (double)HANG_NS / 1e9);
            if (verbose)
                dump_parts("stalled");
            return;
        }
        sleep_ns(1000000);
    }
}

/* MPSC_BATCH: a producer killed inside a batch; what arrived of its
 * in-doubt messages [committed, started) is a prefix (tally counts in cnt). */
static void prefix_check(const pfinal *F)
{
    if (!(I.S->flags & INDEXBUS_CREATE_MPSC_BATCH) || I.K.role != R_PROD)
        return;
    for (uint32_t p = 0; p < F->nprod; p++) {
        if (!F->killed[p] || sh->p[p].type != INDEXBUS_PRODUCER_MPSC)
            continue;
        uint32_t hole = 0;
        for (uint32_t x = F->committed[p]; x < F->started[p] && x < PCAP; x++) {
            if (!cnt[p][x] && !hole)
                hole = x + 1;
            else if (cnt[p][x] && hole) {
                failf(I_DELIV, "producer %u killed in a batch (committed %u, started %u): s%u"
                               " delivered after s%u was not",
                      p, F->committed[p], F->started[p], x, hole - 1);
                break;
            }
        }
    }
}

#endif
