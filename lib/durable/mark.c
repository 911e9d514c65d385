/*
 * mark.c - marked publish and the mark journal (LAYOUT.md 5.20).
 *
 * The SPSC producer of a durable region publishes a marked batch in
 * pieces (slot regions: a flush of up to IB_PENDING_MAX slots, one release
 * of the SPSC tail; byte logs: one reservation, made visible at once by
 * its first header store). Around each piece it keeps a journal in the
 * DURABLE section:
 *
 *   pend_pos = where the piece's publication shows; pend_mark = its mark
 *   publish the piece
 *   mark = pend_mark; pend_mark = 0
 *
 * so at any instant either pend_mark is 0 and mark is exact, or the piece
 * named by the journal decides: published (the SPSC tail reached pend_pos;
 * the header at pend_pos is a RECORD, or the reader has passed it) means
 * mark = pend_mark, not published means the piece never happened. Recovery
 * of a dead SPSC producer, and the next SPSC producer's open, settle it.
 */
#include "../common/logring.h"
#include "../handles/producer.h"
#include "durable.h"

void ib_mark_begin(indexbus_producer *p, uint64_t pend_pos, uint64_t mark)
{
    indexbus_durable_mark *m = &p->h.v->durable->mark;
    ib_store_relaxed(&m->pend_pos, pend_pos); /* published by the release of pend_mark */
    /* pairs with ib_mark_settle's acquire of pend_mark: a settler that sees
     * the mark sees pend_pos. The piece's own publishing store (the SPSC
     * tail's or the first header's release) comes after both. */
    ib_store_release(&m->pend_mark, mark);
}

void ib_mark_end(indexbus_producer *p, uint64_t mark)
{
    indexbus_durable_mark *m = &p->h.v->durable->mark;
    /* pairs with the acquire loads of mark in ib_mark_current and
     * ib_mark_settle: the piece it names is published before it */
    ib_store_release(&m->mark, mark);
    /* pairs with ib_mark_settle's acquire of pend_mark: a journal seen
     * clear comes with the mark above */
    ib_store_release(&m->pend_mark, 0);
    p->mark = mark;
}

uint64_t ib_mark_current(const ib_view *v)
{
    /* pairs with the release stores of mark in ib_mark_end and ib_mark_settle */
    return ib_load_acquire(&v->durable->mark.mark);
}

/* Slot regions: was the piece published? The SPSC tail, read once, has
 * reached pend_pos. -1: the journal cannot be a real one (LAYOUT.md 7).
 * Positions count from 0 at create and never wrap. */
static int slots_published(const ib_view *v, uint64_t pend_pos)
{
    /* pairs with the producer's release of tail in ib_spsc_publish */
    uint64_t tail = ib_load_acquire(&v->spsc->tail);
    /* a piece is at most IB_PENDING_MAX cells ahead of the tail, and
     * nothing is published after a dead producer's last piece */
    if (pend_pos > tail)
        return pend_pos - tail <= IB_PENDING_MAX ? 0 : -1;
    return tail - pend_pos <= v->queue_capacity ? 1 : -1;
}

/* Byte logs: was the reservation at pend_pos published? Its header, read
 * once, is a RECORD, or the reader has passed it (a CLAIMED record cannot
 * be passed; recovery pads it only after we decide). */
static int log_published(const ib_view *v, uint64_t pend_pos)
{
    /* pairs with the producer's release of tail in ib_log_reserve */
    uint64_t tail = ib_load_acquire(&v->log->tail);
    if (pend_pos % 8u != 0 || pend_pos >= tail || tail - pend_pos > v->log_bytes)
        return -1; /* not a reserved record's position */
    /* pairs with the producer's release of the header in ib_log_publish */
    uint64_t w = ib_load_acquire(ib_log_hdr(v, pend_pos));
    if (IB_LOG_TYPE(w) == INDEXBUS_LOG_RECORD)
        return 1;
    /* read after the header: a consumer that zeroed the record (given back)
     * moved read past it first. pairs with its release of read in
     * ib_log_take / ib_log_give_back */
    uint64_t rd = ib_load_acquire(&v->log->read);
    if (rd > tail)
        return -1;
    return rd > pend_pos;
}

void ib_mark_settle(const ib_view *v)
{
    indexbus_durable_mark *m = &v->durable->mark;
    /* pairs with ib_mark_begin's and ib_mark_end's releases of pend_mark */
    uint64_t pend = ib_load_acquire(&m->pend_mark);
    if (pend == 0)
        return;
    uint64_t pos = ib_load_relaxed(&m->pend_pos); /* ordered by the acquire above */
    /* pairs with the release stores of mark in ib_mark_end and below */
    uint64_t mark = ib_load_acquire(&m->mark);
    int published = 0;
    if (pend > mark) /* pend == mark: it died after setting the mark */
        published = ib_has_log(v) ? log_published(v, pos) : slots_published(v, pos);
    if (published == 1) /* pairs with ib_mark_current's acquire, as in ib_mark_end */
        ib_store_release(&m->mark, pend);
    /* pairs with the next settler's acquire of pend_mark, as in ib_mark_end */
    ib_store_release(&m->pend_mark, 0);
}

INDEXBUS_API int indexbus_producer_mark(indexbus_producer *p, uint64_t *mark)
{
    if (p == NULL || mark == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (p->h.v->durable == NULL)
        return INDEXBUS_WRONG_KIND;
    if (p->type != INDEXBUS_PRODUCER_SPSC)
        return INDEXBUS_BAD_STATE;
    *mark = p->mark; /* ours: only this producer moves it while it holds the role */
    return INDEXBUS_OK;
}

/* Non-zero, strictly increasing, above the region's mark. */
static int marks_valid(const indexbus_producer *p, const uint64_t *marks, size_t count)
{
    uint64_t last = p->mark;
    for (size_t i = 0; i < count; i++) {
        if (marks[i] <= last)
            return 0; /* also refuses 0: last is never below 0 */
        last = marks[i];
    }
    return 1;
}

INDEXBUS_API int indexbus_publish_batch_marked(indexbus_producer *p, const void *data,
                                               const uint32_t *lens, const uint64_t *marks,
                                               size_t count, size_t *published)
{
    if (published != NULL)
        *published = 0;
    if (p == NULL || lens == NULL || marks == NULL || (data == NULL && count != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    if (p->h.v->durable == NULL)
        return INDEXBUS_WRONG_KIND;
    if (p->type != INDEXBUS_PRODUCER_SPSC)
        return INDEXBUS_BAD_STATE;
    if (!marks_valid(p, marks, count))
        return INDEXBUS_INVALID_ARGUMENT;
    if (count == 0)
        return INDEXBUS_OK;
    if (ib_has_log(p->h.v))
        return ib_log_publish_batch(p, data, lens, marks, count, published);
    return ib_slot_publish_batch(p, data, lens, marks, count, published);
}
