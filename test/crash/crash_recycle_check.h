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
 *   stall  after the kill and the restart, the traffic moves on: the
 *          consumers log more, among them a live MPSC producer's message
 *          (bounded by HANG_NS, the campaign's hang guard: a stalled queue
 *          is an S failure, not a timed assertion).
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

/* Messages of a live MPSC producer logged by consumer rec i in [*from, n). */
static int mpsc_logged(int i, uint32_t *from)
{
    uint32_t n = ld(&sh->c[i].n);
    int seen = 0;
    for (; *from < n; (*from)++) {
        uint32_t p = sh->log[i][*from].p;
        seen |= p < MAXP && sh->p[p].type == INDEXBUS_PRODUCER_MPSC;
    }
    return seen;
}

/* The traffic after the restart moves on, within the hang guard: the
 * consumers log more, and if an MPSC producer is live (not near its PCAP),
 * a message of an MPSC producer among them (the MPSC queue is not stuck
 * behind a dead reservation). Not every producer: in a work queue an SPSC
 * producer can wait for slots while MPSC producers drain the pool, with or
 * without recycling (seen up to 2 s); that is fairness, not a stall. */
static void stall_check(void)
{
    if (!I.S->flags || I.bad[I_PROC])
        return;
    uint32_t from[MAXC], n0 = 0;
    int want_mpsc = 0, live = 0;
    for (int p = 0; p < I.nprec; p++) {
        int on = sh->p[p].used && !sh->p[p].killed && ld(&sh->p[p].started) + BMAX < PCAP;
        live |= on;
        want_mpsc |= on && sh->p[p].type == INDEXBUS_PRODUCER_MPSC;
    }
    if (!live)
        return; /* every producer (nearly) through its PCAP: nothing more comes */
    for (int i = 0; i < I.ncrec; i++)
        n0 += from[i] = ld(&sh->c[i].n);
    uint64_t until = now_ns() + HANG_NS;
    for (int seen = 0;;) {
        uint32_t n = 0;
        for (int i = 0; i < I.ncrec; i++) {
            seen |= mpsc_logged(i, &from[i]);
            n += from[i];
        }
        if (n != n0 && (seen || !want_mpsc)) {
            uint64_t waited = now_ns() + HANG_NS - until;
            if (verbose && waited >= 100000000ull)
                fprintf(stderr, "crash: %s iter %u: the traffic took %.0f ms to move on after the"
                                " restart\n", I.S->name, g_iter, (double)waited / 1e6);
            return;
        }
        if (now_ns() > until) {
            failf(I_PROC, "stalled: the consumers logged %u more%s in %.0f s after the restart", n - n0,
                  want_mpsc && !seen ? ", none from an MPSC producer," : "", (double)HANG_NS / 1e9);
            if (verbose)
                dump_parts("stalled");
            return;
        }
        sleep_ns(200000);
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
