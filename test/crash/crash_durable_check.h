/*
 * crash_durable_check.h - durable regions (layout 1.2) in the kill
 * campaign: the parent's checks (the roles: crash_durable.h). Included by
 * crash.c after the delivery analysis helpers.
 *
 *   I2 re-read: a HOLD consumer killed with messages read and not let go
 *      of: its replacement's first messages are exactly those, in order -
 *      the victim's log from `rel` (what it released), less the first j of
 *      them where a release of rel_in was in flight at the kill (j <=
 *      rel_in: it may have let go of some before it died). Nothing else of
 *      the victim's may be missing and nothing before `rel` read again. The
 *      re-read copies are then dropped from the victim's log, so that the
 *      ordinary I2 analysis (exactly once; fanout: from where the
 *      replacement joined) sees each message once.
 *   I2 mark: each marked SPSC producer, right after its open, resumes from
 *      exactly the mark of the last message committed before it (the
 *      highest dmark delivered from an earlier producer, or the previous
 *      iteration's); at the end, a producer the parent opens (the journal
 *      settled) reads the mark of the last message committed in the
 *      iteration. Every committed message is delivered in these
 *      scenarios, so "committed" is read from the logs: a producer killed
 *      mid-batch committed exactly what reached a consumer.
 */
#ifndef CRASH_DURABLE_CHECK_H
#define CRASH_DURABLE_CHECK_H

static uint64_t g_mark; /* the region's mark as of the last iteration (0: a fresh region) */

/* The replacement record of killed consumer rec v (-1: none attached). */
static int replacement_of(int v)
{
    for (int i = I.ncrec - 1; i > v; i--)
        if (sh->c[i].used && sh->c[i].replacement && sh->c[i].index == sh->c[v].index)
            return i;
    return -1;
}

/* Does the replacement's log start with victim entries [from, n)? */
static int starts_with(int r, int v, uint32_t from, uint32_t n)
{
    if (sh->c[r].n < n - from)
        return 0;
    for (uint32_t x = 0; x < n - from; x++)
        if (sh->log[r][x].p != sh->log[v][from + x].p || sh->log[r][x].s != sh->log[v][from + x].s)
            return 0;
    return 1;
}

static void durable_reread(void)
{
    const kinfo *K = &I.K;
    if (!I.S->durable || K->role != R_CONS)
        return;
    int v = K->rec, r = replacement_of(v);
    crec *V = &sh->c[v];
    if (r < 0 || !ld(&sh->c[r].ready))
        return; /* S has failed: the replacement did not attach */
    uint32_t rel = ld(&V->rel), in = ld(&V->rel_in), n = ld(&V->n), j;
    if (rel > n) {
        failf(I_DELIV, "victim consumer rec %d released %u of %u logged", v, rel, n);
        return;
    }
    I.T->hold_kills++;
    I.T->mid_release += in > 0;
    I.T->held_stops += (uint32_t)K->held_stop;
    if (K->held_stop && n - rel <= in)
        failf(I_DELIV, "consumer rec %d was stopped holding messages, yet holds %u", v, n - rel);
    for (j = 0; j <= in && rel + j <= n; j++)
        if (starts_with(r, v, rel + j, n))
            break;
    if (j > in || rel + j > n) {
        const ent *f = &sh->log[r][0];
        failf(I_DELIV, "consumer %u: the dead holder held %u message(s) from #%u (release of %u in"
                       " flight); its replacement's first of %u is p%u s%u, not the first of them",
              V->index, n - rel, rel, in, sh->c[r].n, sh->c[r].n ? f->p : 0, sh->c[r].n ? f->s : 0);
        return;
    }
    I.T->reread_msgs += n - rel - j;
    I.T->reread_iters += n - rel - j > 0;
    sh->c[r].reread = n - rel - j;
    V->n = rel + j; /* the copies the replacement read are counted there */
}

/* The highest dmark delivered from marked producer record p (0: none). */
static uint64_t delivered_mark(uint32_t p)
{
    uint64_t best = 0;
    for (int i = 0; i < I.ncrec; i++)
        for (uint32_t x = 0; sh->c[i].used && x < sh->c[i].n; x++)
            if (sh->log[i][x].p == p) {
                uint64_t m = dmark(g_iter, p, sh->log[i][x].s);
                best = m > best ? m : best;
            }
    return best;
}

static void durable_check_marks(void)
{
    if (!I.S->durable)
        return;
    uint64_t before = g_mark;
    for (int p = 0; p < I.nprec; p++) {
        const prec *P = &sh->p[p];
        if (!P->used || !P->marked)
            continue;
        if (P->ready && (P->mark_open_st != INDEXBUS_OK || P->mark_open != before))
            failf(I_DELIV, "marked producer rec %d opened with mark %#" PRIx64 " (%s); the last"
                           " message committed before it has %#" PRIx64,
                  p, P->mark_open, indexbus_status_name((int)P->mark_open_st), before);
        uint64_t m = delivered_mark((uint32_t)p);
        before = m > before ? m : before;
    }
    indexbus_producer *pr = NULL;
    uint64_t mark = 0;
    int st = indexbus_producer_open(g_region, INDEXBUS_PRODUCER_SPSC, &pr);
    if (st == INDEXBUS_OK)
        st = indexbus_producer_mark(pr, &mark);
    indexbus_producer_close(pr);
    if (st != INDEXBUS_OK || mark != before)
        failf(I_DELIV, "the region's mark after the iteration is %#" PRIx64 " (%s); the last"
                       " committed message has %#" PRIx64,
              mark, indexbus_status_name(st), before);
    I.T->mark_checks++;
    g_mark = mark;
}

#endif /* CRASH_DURABLE_CHECK_H */
