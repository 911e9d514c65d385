/*
 * slots.h - message slots: addressing, the slot pool (a tagged Treiber
 * stack, LAYOUT.md 5.5), references (5.6), and slot recycling through
 * queue cells (SPSC 5.16, fanout 5.21, MPSC 5.22). Values read from the region are checked before
 * use (LAYOUT.md 7).
 */
#ifndef IB_SLOTS_H
#define IB_SLOTS_H

#include "atomics.h"
#include "spsc.h"
#include "view.h"

/* ---- slots ---------------------------------------------------------------- */

static inline indexbus_slot_header *ib_slot(const ib_view *v, uint32_t idx)
{
    return (indexbus_slot_header *)(v->slots + (uint64_t)idx * v->slot_stride);
}

static inline uint8_t *ib_slot_data(const ib_view *v, uint32_t idx)
{
    return (uint8_t *)ib_slot(v, idx) + INDEXBUS_SLOT_HEADER_BYTES;
}
/* ---- SPSC slot recycling (INDEXBUS_CAP_SPSC_RECYCLE, LAYOUT.md 5.16) ----------
 * An events consumer hands a slot it took off the SPSC queue at position pos
 * back through that cell: next_free = pos, then owner = PARKED, both before
 * head moves past pos. The producer, about to write the cell again at
 * pos + cap, reuses the slot the cell names if it is parked for pos. Neither
 * side does an atomic RMW or touches the pool's line, and the consumer
 * writes only the slot's own line, which the producer rewrites a lap later. */

/* Park slot idx for queue position pos: `as` is INDEXBUS_SLOT_PARKED (the
 * SPSC producer queue) or INDEXBUS_SLOT_PARKED_CONSUMER(i) (5.21). */
static inline void ib_slot_park_as(const ib_view *v, uint32_t idx, uint64_t pos, uint32_t as)
{
    indexbus_slot_header *s = ib_slot(v, idx);
    ib_store_relaxed(&s->next_free, (uint32_t)pos);
    /* pairs with the acquire load of owner in ib_slot_parked_as (the
     * producer's unpark, the router's take-back) */
    ib_store_release(&s->owner, as);
}

static inline void ib_slot_park(const ib_view *v, uint32_t idx, uint64_t pos)
{
    ib_slot_park_as(v, idx, pos, INDEXBUS_SLOT_PARKED);
}

/* Is slot idx parked as `as` for queue position pos (low 32 bits)? */
static inline int ib_slot_parked_as(const ib_view *v, uint32_t idx, uint32_t pos, uint32_t as)
{
    indexbus_slot_header *s = ib_slot(v, idx);
    /* pairs with the release store of owner in ib_slot_park_as */
    return ib_load_acquire(&s->owner) == as && ib_load_relaxed(&s->next_free) == pos;
}

static inline int ib_slot_parked_at(const ib_view *v, uint32_t idx, uint32_t pos)
{
    return ib_slot_parked_as(v, idx, pos, INDEXBUS_SLOT_PARKED);
}

/* Writer, with space checked: the slot parked in the cell it writes next,
 * or NIL; the caller takes it by storing its owner. The cell was last
 * written at pos - cap, which head has passed. A cell naming a slot parked
 * for another position (a stale or forged name) is not followed. */
static inline uint32_t ib_spsc_unpark(const ib_view *v, const ib_spsc *q)
{
    uint64_t cap = (uint64_t)q->mask + 1;
    if (q->pos < cap)
        return INDEXBUS_SLOT_NIL; /* first lap: the cell was never written */
    uint32_t idx = ib_load_relaxed(&q->cells[q->pos & q->mask]); /* once (LAYOUT.md 7) */
    if (idx >= v->slot_count || !ib_slot_parked_at(v, idx, (uint32_t)(q->pos - cap)))
        return INDEXBUS_SLOT_NIL;
    return idx;
}

/* Is slot i parked for a position its queue's head has passed, and still
 * named by that cell? `ctl` is the queue `owner` says it is parked in. */
static inline int ib_parked_live(const ib_view *v, uint32_t i, uint32_t owner,
                                 const indexbus_spsc_ctl *ctl)
{
    uint32_t pos = ib_load_relaxed(&ib_slot(v, i)->next_free);
    /* pairs with the release store of head in ib_spsc_commit */
    uint32_t head = (uint32_t)ib_load_acquire(&ctl->head);
    const uint32_t *cells = (const uint32_t *)(ctl + 1);
    return ib_slot_parked_as(v, i, pos, owner) && head - pos - 1u < v->queue_capacity &&
           ib_load_relaxed(&cells[pos & v->queue_mask]) == i;
}

/* ---- MPSC slot recycling (1.3, INDEXBUS_CAP_MPSC_RECYCLE, LAYOUT.md 5.22) ----
 * The events consumer parks a slot it read from MPSC position pos in that
 * cell (owner PARKED_MPSC, next_free = (u32)pos) before it frees the cell.
 * Parked slots are taken with a CAS on owner, never a plain store: a
 * journal may name a position its producer never got (5.12 limit 5), so a
 * recoverer and the live producer of that position can both try, and the
 * pool, when empty, borrows parked slots too. */

static inline void ib_slot_park_mpsc(const ib_view *v, uint32_t idx, uint64_t pos)
{
    ib_slot_park_as(v, idx, pos, INDEXBUS_SLOT_PARKED_MPSC);
}

/* Take slot idx, parked for position pos (low 32 bits), as owner `as`.
 * The caller knows the reader is past pos (it saw the cell freed for pos +
 * Q, or head past pos), so nobody parks idx for pos again. The CAS decides
 * between takers; the check after it catches a slot taken, reused and
 * parked for a later position between our check and our CAS: that one is
 * put back (by CAS: someone may have re-parked it meanwhile) and refused. */
static inline int ib_mpsc_take_parked(const ib_view *v, uint32_t idx, uint32_t pos, uint32_t as)
{
    uint32_t *owner = &ib_slot(v, idx)->owner, expect = INDEXBUS_SLOT_PARKED_MPSC;
    if (!ib_slot_parked_as(v, idx, pos, INDEXBUS_SLOT_PARKED_MPSC))
        return 0;
    /* acquire pairs with the release store of owner in ib_slot_park_as
     * (next_free below is the parker's); release: nothing to publish, the
     * taker writes the slot only after */
    if (!ib_cas_acq_rel(owner, &expect, as))
        return 0; /* another taker won */
    if (ib_load_relaxed(&ib_slot(v, idx)->next_free) == pos)
        return 1;
    expect = as;
    /* put back as we found it; pairs with the acquire in the next taker's
     * CAS or ib_slot_parked_as */
    (void)ib_cas_acq_rel(owner, &expect, INDEXBUS_SLOT_PARKED_MPSC);
    return 0;
}

/* Writer of MPSC position pos (reserved, so the reader freed the cell for
 * it): the slot parked in that cell for pos - Q, taken as `as`, or NIL. */
static inline uint32_t ib_mpsc_unpark(const ib_view *v, uint64_t pos, uint32_t as)
{
    uint64_t cap = v->queue_capacity;
    if (pos < cap)
        return INDEXBUS_SLOT_NIL; /* first lap: the cell was never written */
    uint32_t idx = ib_load_relaxed(&v->mpsc_cells[pos & v->queue_mask].value); /* once (LAYOUT.md 7) */
    if (idx >= v->slot_count || !ib_mpsc_take_parked(v, idx, (uint32_t)(pos - cap), as))
        return INDEXBUS_SLOT_NIL;
    return idx;
}

/* A pool that ran dry borrows a parked slot: of the cells the next Q
 * reservations write (positions tail..tail+Q-1), the first whose slot is
 * parked for a position head has passed (read before the take, so the
 * parker is done and nobody parks it there again). Taken as `as`, or NIL.
 * The producer that reserves that cell later finds it gone and takes a
 * pool slot: nothing is lost, and with slot_count >= 2 * Q a producer
 * never sees FULL while slots sit parked. */
static inline uint32_t ib_mpsc_borrow_parked(const ib_view *v, uint32_t as)
{
    uint64_t cap = v->queue_capacity;
    /* pairs with ib_mpsc_advance's release of head: the park came before */
    uint64_t head = ib_load_acquire(&v->mpsc->head);
    uint64_t tail = ib_load_relaxed(&v->mpsc->tail); /* a hint: each cell is checked */
    for (uint64_t q = tail; q < tail + cap; q++) {
        if (q < cap || q - cap >= head)
            continue; /* never written, or not read yet */
        uint32_t idx = ib_load_relaxed(&v->mpsc_cells[q & v->queue_mask].value); /* once */
        if (idx < v->slot_count && ib_mpsc_take_parked(v, idx, (uint32_t)(q - cap), as))
            return idx;
    }
    return INDEXBUS_SLOT_NIL;
}

/* Is slot i parked in an MPSC cell for a position head has passed, and
 * still named by that cell (for info and space; exact only when quiet)? */
static inline int ib_mpsc_parked_live(const ib_view *v, uint32_t i)
{
    uint32_t pos = ib_load_relaxed(&ib_slot(v, i)->next_free);
    /* pairs with the release store of head in ib_mpsc_advance */
    uint32_t head = (uint32_t)ib_load_acquire(&v->mpsc->head);
    return ib_slot_parked_as(v, i, pos, INDEXBUS_SLOT_PARKED_MPSC) &&
           head - pos - 1u < v->queue_capacity &&
           ib_load_relaxed(&v->mpsc_cells[pos & v->queue_mask].value) == i;
}

/* Slots parked for a position head has passed, still named by their cell:
 * the ones the SPSC producer (and, 5.21, the router) will reuse (for info;
 * exact only when quiet). */
static inline uint32_t ib_count_parked(const ib_view *v)
{
    if (!v->recycle && !v->fanout_recycle && !v->mpsc_recycle)
        return 0;
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->slot_count; i++) {
        uint32_t owner = ib_load_relaxed(&ib_slot(v, i)->owner); /* once (LAYOUT.md 7) */
        uint32_t q = owner - INDEXBUS_SLOT_PARKED_CONSUMER_BASE;
        if (owner == INDEXBUS_SLOT_PARKED)
            n += ib_parked_live(v, i, owner, v->spsc);
        else if (owner == INDEXBUS_SLOT_PARKED_MPSC && v->mpsc_recycle)
            n += ib_mpsc_parked_live(v, i);
        else if (v->fanout_recycle && q < v->consumer_count)
            n += ib_parked_live(v, i, owner, ib_consumer_queue(v, q));
    }
    return n;
}

/* ---- slot pool (tagged Treiber stack over slot.next_free) ----------------- */

static inline int ib_pool_alloc(const ib_view *v, uint32_t *out)
{
    /* pairs with the release CAS in ib_pool_free_chain: next_free is visible */
    uint64_t old = ib_load_acquire(&v->pool->free_head);
    for (;;) {
        uint32_t idx = (uint32_t)old; /* checked before use (LAYOUT.md 7) */
        if (idx == INDEXBUS_SLOT_NIL)
            return INDEXBUS_FULL;
        if (idx >= v->slot_count)
            return INDEXBUS_CORRUPT;
        /* not checked here: it only becomes free_head, and the next alloc
         * checks it as idx */
        uint32_t next = ib_load_relaxed(&ib_slot(v, idx)->next_free);
        uint64_t neu = (((old >> 32) + 1) << 32) | next;
        /* pairs with the release half of the CAS in ib_pool_free_chain */
        if (ib_cas_acq_rel(&v->pool->free_head, &old, neu)) {
            *out = idx;
            return INDEXBUS_OK;
        }
    }
}

/* Take up to n (1..) free slots in one CAS: the first n of the list, or
 * all of it if shorter, into out[] in list order; *got says how many. The
 * tag makes the walk safe: a list entry changes only after a CAS that pops
 * it, which moves the tag, so a CAS that succeeds saw the list as walked.
 * Each next index is checked before it is followed (LAYOUT.md 7); one that
 * names no slot ends the walk and becomes free_head, as in ib_pool_alloc.
 * A forged list may repeat a slot: the caller checks the owners. */
static inline int ib_pool_alloc_n(const ib_view *v, uint32_t *out, uint32_t n, uint32_t *got)
{
    /* pairs with the release CAS in ib_pool_free_chain: next_free is visible
     * for every slot of the list (each CAS since continues the release sequence) */
    uint64_t old = ib_load_acquire(&v->pool->free_head);
    for (;;) {
        uint32_t idx = (uint32_t)old, k = 0, next;
        if (idx == INDEXBUS_SLOT_NIL)
            return INDEXBUS_FULL;
        if (idx >= v->slot_count)
            return INDEXBUS_CORRUPT;
        for (;;) {
            out[k++] = idx;
            next = ib_load_relaxed(&ib_slot(v, idx)->next_free);
            if (k == n || next >= v->slot_count)
                break;
            idx = next;
        }
        uint64_t neu = (((old >> 32) + 1) << 32) | next;
        /* pairs with the release half of the CAS in ib_pool_free_chain */
        if (ib_cas_acq_rel(&v->pool->free_head, &old, neu)) {
            *got = k;
            return INDEXBUS_OK;
        }
    }
}

/* Push a chain first..last (already linked through next_free) in one CAS. */
static inline void ib_pool_free_chain(const ib_view *v, uint32_t first, uint32_t last)
{
    uint64_t old = ib_load_relaxed(&v->pool->free_head);
    uint64_t neu;
    do {
        ib_store_relaxed(&ib_slot(v, last)->next_free, (uint32_t)old);
        neu = (((old >> 32) + 1) << 32) | first;
        /* release pairs with the acquire in ib_pool_alloc */
    } while (!ib_cas_acq_rel(&v->pool->free_head, &old, neu));
}

static inline void ib_pool_free(const ib_view *v, uint32_t idx) { ib_pool_free_chain(v, idx, idx); }

/* Give a slot we own (or took back) to the pool: owner 0 first, since free
 * slots have no owner; a kill between the two leaks it until a sweep
 * (5.12 limit 2), never frees it twice. */
static inline void ib_slot_to_pool(const ib_view *v, uint32_t idx)
{
    ib_store_relaxed(&ib_slot(v, idx)->owner, 0);
    ib_pool_free(v, idx);
}

/* Free slots on the pool's list, counting at most max. */
static inline uint32_t ib_pool_count_upto(const ib_view *v, uint32_t max)
{
    /* pairs with the release CAS in ib_pool_free_chain */
    uint32_t n = 0, idx = (uint32_t)ib_load_acquire(&v->pool->free_head);
    while (n < max && idx < v->slot_count) {
        n++;
        idx = ib_load_relaxed(&ib_slot(v, idx)->next_free);
    }
    return n;
}

/* 5.22: MPSC position pos is about to hold a slot other than the one
 * parked in its cell for pos - Q (a claimed slot, a message pushed again
 * after a skip), or a recoverer skips the cell: that parked slot would be
 * named by no cell, so it goes to the pool. Taken as `as` (the caller's
 * entry + 1, or the dead producer's for a recoverer: a value only we
 * write), then owner 0, then the pool. 1 if one went. */
static inline int ib_mpsc_displace(const ib_view *v, uint64_t pos, uint32_t as)
{
    uint32_t idx = ib_mpsc_unpark(v, pos, as);
    if (idx == INDEXBUS_SLOT_NIL)
        return 0;
    ib_slot_to_pool(v, idx);
    return 1;
}

/* Free slots: the pool's list plus parked cells (snapshot; exact when quiet). */
static inline uint32_t ib_count_free_slots(const ib_view *v)
{
    uint32_t n = ib_pool_count_upto(v, v->slot_count) + ib_count_parked(v);
    return n < v->slot_count ? n : v->slot_count; /* hostile lists may overlap */
}

/* Drop one reference; returns 1 if the caller now owns the slot and must
 * free it, 0 if others still hold it, -1 if the refcount is impossible. */
static inline int ib_slot_unref(const ib_view *v, uint32_t idx)
{
    uint32_t *rc = &ib_slot(v, idx)->refcount;
    /* pairs with the acq_rel fetch_sub of the other holders below; read
     * once and checked (LAYOUT.md 7) */
    uint32_t n = ib_load_acquire(rc);
    if (n == 1)
        return 1; /* sole holder: no RMW needed */
    if (n == 0 || n > v->consumer_count)
        return -1;
    /* pairs with the other holders' acq_rel fetch_sub and the acquire above */
    return ib_fetch_sub_acq_rel(rc, 1) == 1;
}

/* 5.21: a slot found queued at position pos of fanout queue i that its
 * consumer has already let go of: parked there before head moved (the
 * consumer died, or closed, before moving head). */
static inline int ib_slot_parked_in(const ib_view *v, uint32_t idx, uint32_t i, uint64_t pos)
{
    return v->fanout_recycle && idx < v->slot_count &&
           ib_slot_parked_as(v, idx, (uint32_t)pos, INDEXBUS_SLOT_PARKED_CONSUMER(i));
}

/* Drop one reference and free the slot if it was the last: 1 if freed. */
static inline int ib_slot_release(const ib_view *v, uint32_t idx)
{
    if (ib_slot_unref(v, idx) != 1)
        return 0;
    ib_pool_free(v, idx);
    return 1;
}

#endif /* IB_SLOTS_H */
