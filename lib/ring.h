/*
 * ring.h - the three shared-memory algorithms of the v1 layout: the SPSC
 * index queue, the MPSC index queue (per-cell sequence numbers) and the
 * slot pool (tagged Treiber stack), plus slot refcounts and the wake
 * handshake. Everything read from the region is validated before use: a
 * bad value gives INDEXBUS_CORRUPT, never an out-of-bounds access.
 *
 * The rule (LAYOUT.md 7): another process may rewrite any of these words
 * at any moment, even between two of our reads. A word that decides where
 * we write, how much we copy or how far we loop is read once into a local,
 * checked, and only the local is used; and a word we wrote ourselves is
 * never read back to index with (keep a private copy). Geometry (slot
 * count, masks, section bases) comes from the validated ib_view only.
 */
#ifndef IB_RING_H
#define IB_RING_H

#include "atomics.h"
#include "internal.h"

/* Producer queues, as held_src and step_source name them (LAYOUT.md 4.1, 4.4). */
#define IB_SRC_SPSC 0u
#define IB_SRC_MPSC 1u

/* ---- slots ---------------------------------------------------------------- */

static inline indexbus_slot_header *ib_slot(const ib_view *v, uint32_t idx)
{
    return (indexbus_slot_header *)(v->slots + (uint64_t)idx * v->slot_stride);
}

static inline uint8_t *ib_slot_data(const ib_view *v, uint32_t idx)
{
    return (uint8_t *)ib_slot(v, idx) + INDEXBUS_SLOT_HEADER_BYTES;
}

/* Fanout consumer queue i (i < consumer_count): the section holds equal queues. */
static inline indexbus_spsc_ctl *ib_consumer_queue(const ib_view *v, uint32_t i)
{
    return (indexbus_spsc_ctl *)(v->consumer_queues + (uint64_t)i * v->cq_stride);
}

/* ---- SPSC index queue -------------------------------------------------------
 * One writer, one reader; each keeps its own position and a cached copy of
 * the other's, so the shared line is read only when the cache runs out. */

typedef struct ib_spsc {
    indexbus_spsc_ctl *ctl;
    uint32_t *cells;
    uint32_t mask;
    uint64_t pos;    /* writer: next tail; reader: next head */
    uint64_t cached; /* writer: last head seen; reader: last tail seen */
} ib_spsc;

static inline void ib_spsc_attach_writer(ib_spsc *q, indexbus_spsc_ctl *ctl, uint32_t cap)
{
    q->ctl = ctl;
    q->cells = (uint32_t *)(ctl + 1);
    q->mask = cap - 1;
    q->pos = ib_load_acquire(&ctl->tail); /* pairs with the previous writer's release of tail */
    q->cached = ib_load_acquire(&ctl->head); /* pairs with the reader's release of head */
}

static inline void ib_spsc_attach_reader(ib_spsc *q, indexbus_spsc_ctl *ctl, uint32_t cap)
{
    q->ctl = ctl;
    q->cells = (uint32_t *)(ctl + 1);
    q->mask = cap - 1;
    q->pos = ib_load_acquire(&ctl->head); /* pairs with the previous reader's release of head */
    q->cached = q->pos;
}

/* Free cells for the writer, or -INDEXBUS_CORRUPT if head is impossible. */
static inline int64_t ib_spsc_space(ib_spsc *q)
{
    uint64_t cap = (uint64_t)q->mask + 1;
    if (q->pos - q->cached >= cap) {
        /* pairs with the release store of head in ib_spsc_commit: the
         * reader is done with every cell before head. Read once, checked
         * before it is kept (LAYOUT.md 7). */
        uint64_t h = ib_load_acquire(&q->ctl->head);
        if (q->pos - h > cap)
            return -INDEXBUS_CORRUPT;
        q->cached = h;
    }
    return (int64_t)(cap - (q->pos - q->cached));
}

/* Write one cell; invisible until ib_spsc_publish. Caller checked space.
 * A cell that already names idx (a slot recycled through it, 5.16) is not
 * stored to, so the reader's cached copy of the cell line stays valid. */
static inline void ib_spsc_put(ib_spsc *q, uint32_t idx)
{
    uint32_t *cell = &q->cells[q->pos & q->mask];
    if (ib_load_relaxed(cell) != idx)
        ib_store_relaxed(cell, idx);
    q->pos++;
}

static inline void ib_spsc_publish(ib_spsc *q)
{
    /* pairs with the acquire load of tail in ib_spsc_peek */
    ib_store_release(&q->ctl->tail, q->pos);
}

/* Reader: the next index without consuming it. */
static inline int ib_spsc_peek(ib_spsc *q, uint32_t *idx)
{
    if (q->pos == q->cached) {
        /* pairs with the release store of tail in ib_spsc_publish; read
         * once and checked before it is kept (LAYOUT.md 7) */
        uint64_t t = ib_load_acquire(&q->ctl->tail);
        if (t - q->pos > (uint64_t)q->mask + 1)
            return INDEXBUS_CORRUPT;
        q->cached = t;
        if (t == q->pos)
            return INDEXBUS_EMPTY;
    }
    *idx = ib_load_relaxed(&q->cells[q->pos & q->mask]); /* the caller checks it */
    return INDEXBUS_OK;
}

/* Reader: consume privately (several at a time), then publish head. */
static inline void ib_spsc_advance_local(ib_spsc *q) { q->pos++; }

static inline void ib_spsc_commit(ib_spsc *q)
{
    /* pairs with the acquire load of head in ib_spsc_space */
    ib_store_release(&q->ctl->head, q->pos);
}

static inline void ib_spsc_advance(ib_spsc *q)
{
    ib_spsc_advance_local(q);
    ib_spsc_commit(q);
}

/* Messages waiting, as any observer sees them (clamped for hostile values). */
static inline uint64_t ib_spsc_depth(const indexbus_spsc_ctl *ctl, uint32_t cap)
{
    /* pairs with the releases in ib_spsc_commit (head) and ib_spsc_publish (tail) */
    uint64_t h = ib_load_acquire(&ctl->head), t = ib_load_acquire(&ctl->tail);
    return t - h > cap ? cap : t - h;
}

/* ---- SPSC slot recycling (INDEXBUS_CAP_SPSC_RECYCLE, LAYOUT.md 5.16) ----------
 * An events consumer hands a slot it took off the SPSC queue at position pos
 * back through that cell: next_free = pos, then owner = PARKED, both before
 * head moves past pos. The producer, about to write the cell again at
 * pos + cap, reuses the slot the cell names if it is parked for pos. Neither
 * side does an atomic RMW or touches the pool's line, and the consumer
 * writes only the slot's own line, which the producer rewrites a lap later. */

static inline void ib_slot_park(const ib_view *v, uint32_t idx, uint64_t pos)
{
    indexbus_slot_header *s = ib_slot(v, idx);
    ib_store_relaxed(&s->next_free, (uint32_t)pos);
    /* pairs with the acquire load of owner in ib_slot_parked_at */
    ib_store_release(&s->owner, INDEXBUS_SLOT_PARKED);
}

/* Is slot idx parked for queue position pos (low 32 bits)? */
static inline int ib_slot_parked_at(const ib_view *v, uint32_t idx, uint32_t pos)
{
    indexbus_slot_header *s = ib_slot(v, idx);
    /* pairs with the release store of owner in ib_slot_park */
    return ib_load_acquire(&s->owner) == INDEXBUS_SLOT_PARKED &&
           ib_load_relaxed(&s->next_free) == pos;
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

/* Slots parked for a position head has passed, still named by their cell:
 * the ones the SPSC producer will reuse (for info; exact only when quiet). */
static inline uint32_t ib_count_parked(const ib_view *v)
{
    if (!v->recycle)
        return 0;
    /* pairs with the release store of head in ib_spsc_commit */
    uint32_t n = 0, head = (uint32_t)ib_load_acquire(&v->spsc->head);
    for (uint32_t i = 0; i < v->slot_count; i++) {
        uint32_t pos = ib_load_relaxed(&ib_slot(v, i)->next_free);
        n += ib_slot_parked_at(v, i, pos) && head - pos - 1u < v->queue_capacity &&
             ib_load_relaxed(&v->spsc_cells[pos & v->queue_mask]) == i;
    }
    return n;
}

/* ---- MPSC index queue (bounded, per-cell sequence) ---------------------------
 * cell.seq == pos: free for the writer of pos; == pos + 1: holds pos's value. */

/* Push idx. *journal (the producer's participant entry) holds position + 1
 * while a cell may be ours, so a recoverer can skip it if we die. */
static inline int ib_mpsc_push(indexbus_mpsc_ctl *ctl, uint32_t mask, uint32_t idx,
                               uint64_t *journal)
{
    indexbus_mpsc_cell *cells = (indexbus_mpsc_cell *)(ctl + 1);
    for (;;) {
        uint64_t pos = ib_load_relaxed(&ctl->tail);
        indexbus_mpsc_cell *cell;
        for (;;) {
            cell = &cells[pos & mask];
            /* pairs with the release store of seq in ib_mpsc_advance (cell freed) */
            uint64_t seq = ib_load_acquire(&cell->seq);
            int64_t dif = (int64_t)(seq - pos);
            /* a skipped cell of the previous lap reads as that lap's pos + 1 */
            int64_t skipped = (int64_t)((seq & ~INDEXBUS_MPSC_SKIP) - pos);
            if ((seq & INDEXBUS_MPSC_SKIP) && skipped <= 0 && skipped >= -(int64_t)mask - 1)
                dif = skipped;
            if (dif == 0) {
                ib_store_relaxed(journal, pos + 1); /* before the reservation */
                if (ib_cas_relaxed(&ctl->tail, &pos, pos + 1))
                    break;
            } else if (dif < 0) {
                ib_store_relaxed(journal, 0);
                return INDEXBUS_FULL;
            } else {
                uint64_t t = ib_load_relaxed(&ctl->tail);
                if (t == pos) {
                    ib_store_relaxed(journal, 0);
                    return INDEXBUS_CORRUPT; /* seq ahead of every reservation */
                }
                pos = t;
            }
        }
        ib_store_relaxed(&cell->value, idx);
        uint64_t expect = pos;
        /* release pairs with the acquire load of seq in ib_mpsc_peek */
        int ok = ib_cas_release(&cell->seq, &expect, pos + 1);
        ib_store_relaxed(journal, 0);
        if (ok)
            return INDEXBUS_OK;
        /* a recoverer took us for dead and skipped the cell: reserve again */
    }
}

static inline void ib_mpsc_advance(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t *pos)
{
    indexbus_mpsc_cell *cell = &((indexbus_mpsc_cell *)(ctl + 1))[*pos & mask];
    /* pairs with the acquire load of seq in ib_mpsc_push: free for pos + cap */
    ib_store_release(&cell->seq, *pos + mask + 1);
    (*pos)++;
    /* pairs with acquire loads of head by observers (depth, disconnect) */
    ib_store_release(&ctl->head, *pos);
}

/* Reader: the next index without consuming it; passes over skipped cells. */
static inline int ib_mpsc_peek(indexbus_mpsc_ctl *ctl, uint32_t mask, uint64_t *pos, uint32_t *idx)
{
    for (uint32_t n = 0; n <= mask; n++) {
        indexbus_mpsc_cell *cell = &((indexbus_mpsc_cell *)(ctl + 1))[*pos & mask];
        /* pairs with the release CAS of seq in ib_mpsc_push */
        uint64_t seq = ib_load_acquire(&cell->seq);
        if (seq == *pos + 1) {
            *idx = ib_load_relaxed(&cell->value);
            return INDEXBUS_OK;
        }
        if (seq == *pos)
            return INDEXBUS_EMPTY;
        if (seq != ((*pos + 1) | INDEXBUS_MPSC_SKIP))
            return INDEXBUS_CORRUPT;
        ib_mpsc_advance(ctl, mask, pos); /* a dead producer's empty cell */
    }
    return INDEXBUS_EMPTY;
}

static inline uint64_t ib_mpsc_depth(const indexbus_mpsc_ctl *ctl, uint32_t cap)
{
    /* head pairs with ib_mpsc_advance's release; tail carries no data (5.2) */
    uint64_t h = ib_load_acquire(&ctl->head), t = ib_load_acquire(&ctl->tail);
    return t - h > cap ? cap : t - h;
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

/* Free slots: the pool's list plus parked cells (snapshot; exact when quiet). */
static inline uint32_t ib_count_free_slots(const ib_view *v)
{
    /* pairs with the release CAS in ib_pool_free_chain */
    uint32_t n = 0, idx = (uint32_t)ib_load_acquire(&v->pool->free_head);
    while (idx < v->slot_count && n < v->slot_count) {
        n++;
        idx = ib_load_relaxed(&ib_slot(v, idx)->next_free);
    }
    n += ib_count_parked(v);
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

/* Drop one reference and free the slot if it was the last: 1 if freed. */
static inline int ib_slot_release(const ib_view *v, uint32_t idx)
{
    if (ib_slot_unref(v, idx) != 1)
        return 0;
    ib_pool_free(v, idx);
    return 1;
}

/* ---- wake handshake --------------------------------------------------------- */

/* Waker side, after publishing: syscall only if somebody is parked. */
/* Wake w's sleepers if any; the caller has already issued the fence. */
static inline void ib_wake_if_waiting(indexbus_wake_entry *w)
{
    if (ib_load_relaxed(&w->waiters) != 0)
        ib_wake_kick(w);
}

static inline void ib_wake_notify(indexbus_wake_entry *w)
{
    /* store-load barrier; pairs with the seq_cst fetch_add of waiters and
     * the barriers after it in ib_park (wake.c), so either we see the
     * waiter or it sees our publish */
    ib_notify_fence();
    ib_wake_if_waiting(w);
}

/* Once per process, before it first notifies: register for the sleepers'
 * membarrier so that ib_notify_fence can be a compiler barrier. */
void ib_notify_register(void);

/* Sleeper side: park on w until woken, timeout_ns passes, or ready(ctx). */
typedef int (*ib_ready_fn)(void *ctx);
void ib_park(indexbus_wake_entry *w, ib_ready_fn ready, void *ctx, uint64_t timeout_ns);

#endif /* IB_RING_H */
