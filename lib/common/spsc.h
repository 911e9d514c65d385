/*
 * spsc.h - the SPSC index queue (LAYOUT.md 5.3): one writer, one reader,
 * each with a private position. Used for the SPSC producer queue and for
 * every fanout consumer queue. Values read from the region are checked
 * before use (LAYOUT.md 7): a bad one gives INDEXBUS_CORRUPT.
 */
#ifndef IB_SPSC_H
#define IB_SPSC_H

#include "atomics.h"
#include "view.h"


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

/* Free cells for the writer, or -INDEXBUS_CORRUPT if head is impossible.
 * The reader's head is read again only when the cached copy says full, or
 * always with `fresh` (a space query, off the hot path). */
static inline int64_t ib_spsc_space_at(ib_spsc *q, int fresh)
{
    uint64_t cap = (uint64_t)q->mask + 1;
    if (fresh || q->pos - q->cached >= cap) {
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

static inline int64_t ib_spsc_space(ib_spsc *q) { return ib_spsc_space_at(q, 0); }

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

#endif /* IB_SPSC_H */
