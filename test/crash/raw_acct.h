/*
 * raw_acct.h - where every slot of an events or fanout region is, read
 * through the frozen layout (raw.h) and independent of the library's own
 * counting (layout 1.3: fanout recycling, LAYOUT.md 5.16 and 5.21):
 *
 *   free    on the pool's list
 *   parked  parked in a queue cell for a position that queue's head has
 *           passed, the cell still naming it: the SPSC queue (owner
 *           INDEXBUS_SLOT_PARKED), fanout consumer queue i (owner
 *           INDEXBUS_SLOT_PARKED_CONSUMER(i)) or an events region's MPSC
 *           queue (owner INDEXBUS_SLOT_PARKED_MPSC, 5.22: the cell's value);
 *           next_free = the position's low 32 bits
 *   queued  between a queue's head and tail (SPSC, MPSC with the cell's seq
 *           published, each consumer queue); a broadcast slot may be queued
 *           in several consumer queues at once and counts once
 *
 * A slot in two of these at once is a double use (twice); a list or cell
 * naming no slot is `bad`; `nowhere` slots are neither (a leak, unless a
 * live party holds them). Used by the campaign (crash_recycle_check.h) and
 * the recycling repro (repro_fanout_recycle_points.c).
 */
#ifndef IB_CRASH_RAW_ACCT_H
#define IB_CRASH_RAW_ACCT_H

#include "raw.h"

enum { RA_FREE = 1, RA_PARKED = 2, RA_QUEUED = 4 };

typedef struct raw_acct {
    uint32_t free, parked, queued; /* slots in each place */
    uint32_t twice, bad, nowhere;
    uint8_t where[INDEXBUS_MAX_SLOTS];
} raw_acct;

static inline void ra_mark(const raw_view *w, raw_acct *a, uint32_t idx, uint8_t what)
{
    if (idx >= w->slot_count) {
        a->bad++;
        return;
    }
    if (a->where[idx] && !(a->where[idx] == RA_QUEUED && what == RA_QUEUED))
        a->twice++;
    a->where[idx] |= what;
}

static inline const uint32_t *ra_cells(const indexbus_spsc_ctl *q) { return (const uint32_t *)(q + 1); }

/* Slots named by the cells [head, tail) of an SPSC-shaped queue. */
static inline void ra_queued(const raw_view *w, raw_acct *a, const indexbus_spsc_ctl *q)
{
    uint64_t h = raw_ld64(&q->head), t = raw_ld64(&q->tail);
    for (uint64_t pos = h; pos != t && pos - h <= w->cap; pos++)
        ra_mark(w, a, raw_ld32(&ra_cells(q)[pos & (w->cap - 1)]), RA_QUEUED);
}

/* Is slot idx parked in a cell of queue q, for a position below its head? */
static inline int ra_parked_in(const raw_view *w, const indexbus_spsc_ctl *q, uint32_t idx)
{
    uint32_t pos = raw_ld32(&raw_slot(w, idx)->next_free);
    uint32_t head = (uint32_t)raw_ld64(&q->head);
    return head - pos - 1u < w->cap && raw_ld32(&ra_cells(q)[pos & (w->cap - 1)]) == idx;
}

/* 5.22: is slot idx parked in the MPSC cell of a position head has passed? */
static inline int ra_parked_mpsc(const raw_view *w, uint32_t idx)
{
    uint32_t pos = raw_ld32(&raw_slot(w, idx)->next_free);
    uint32_t head = (uint32_t)raw_ld64(&w->mpsc->head);
    return head - pos - 1u < w->cap && raw_ld32(&w->mpsc_cells[pos & (w->cap - 1)].value) == idx;
}

static inline void raw_account(const raw_view *w, int fanout, raw_acct *a)
{
    memset(a, 0, sizeof *a);
    uint32_t idx = (uint32_t)raw_ld64(&w->pool->free_head), walked = 0;
    while (idx < w->slot_count && walked++ <= w->slot_count) {
        ra_mark(w, a, idx, RA_FREE);
        idx = raw_ld32(&raw_slot(w, idx)->next_free);
    }
    ra_queued(w, a, w->spsc);
    uint64_t mh = raw_ld64(&w->mpsc->head), mt = raw_ld64(&w->mpsc->tail);
    for (uint64_t pos = mh; pos != mt && pos - mh <= w->cap; pos++) {
        const indexbus_mpsc_cell *c = &w->mpsc_cells[pos & (w->cap - 1)];
        if (raw_ld64(&c->seq) == pos + 1)
            ra_mark(w, a, raw_ld32(&c->value), RA_QUEUED);
    }
    for (uint32_t i = 0; fanout && i < w->ncons; i++)
        ra_queued(w, a, raw_cq(w, i));
    for (uint32_t s = 0; s < w->slot_count; s++) {
        uint32_t owner = raw_ld32(&raw_slot(w, s)->owner), c = owner - INDEXBUS_SLOT_PARKED_CONSUMER_BASE;
        int parked = 0;
        if (owner == INDEXBUS_SLOT_PARKED)
            parked = ra_parked_in(w, w->spsc, s);
        else if (owner == INDEXBUS_SLOT_PARKED_MPSC)
            parked = ra_parked_mpsc(w, s);
        else if (fanout && owner >= INDEXBUS_SLOT_PARKED_CONSUMER_BASE && c < w->ncons)
            parked = ra_parked_in(w, raw_cq(w, c), s);
        if (parked)
            ra_mark(w, a, s, RA_PARKED);
    }
    for (uint32_t s = 0; s < w->slot_count; s++) {
        a->nowhere += a->where[s] == 0;
        a->free += (a->where[s] & RA_FREE) != 0;
        a->parked += (a->where[s] & RA_PARKED) != 0;
        a->queued += (a->where[s] & RA_QUEUED) != 0;
    }
}

#endif
