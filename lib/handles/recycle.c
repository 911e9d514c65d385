/* recycle.c - fanout slot recycling, the router's side (LAYOUT.md 5.21).
 *
 * A consumer that releases a slot last parks it in its own queue cell
 * (owner = PARKED_CONSUMER(i), next_free = the position). Only the router
 * writes that cell again, one lap later, so only the router takes such a
 * slot back, with plain stores: the first one a step finds goes to the SPSC
 * producer through the source cell the step consumes (owner = PARKED,
 * next_free = the source position: what the producer's unpark looks for),
 * any others to the pool, each with its own CAS (ib_slot_to_pool), so a
 * router killed there leaves at most one slot for the sweep (5.12). These
 * are the rare paths (a step's surplus, an idle refill). */
#include "../common/slots.h"
#include "recycle.h"

/* The slot parked in the cell the next push into q (queue i) overwrites, or NIL. */
static uint32_t parked_under(const ib_view *v, const ib_spsc *q, uint32_t i)
{
    uint64_t cap = (uint64_t)q->mask + 1;
    if (q->pos < cap)
        return INDEXBUS_SLOT_NIL; /* first lap: never written */
    uint32_t s = ib_load_relaxed(&q->cells[q->pos & q->mask]); /* once (LAYOUT.md 7) */
    /* the consumer parked it before moving head past pos - cap, and our
     * space check acquired that head */
    if (s >= v->slot_count ||
        !ib_slot_parked_as(v, s, (uint32_t)(q->pos - cap), INDEXBUS_SLOT_PARKED_CONSUMER(i)))
        return INDEXBUS_SLOT_NIL;
    return s;
}

/* Cell first, then the park: a recoverer that finds the source cell naming
 * another slot than the step's knows the hand-back was started (5.21). */
static void hand_back(const ib_view *v, uint32_t s, uint64_t pos)
{
    ib_store_relaxed(&v->spsc_cells[pos & v->queue_mask], s);
    ib_slot_park(v, s, pos); /* published to the producer by our release of head */
}

void ib_recycle_take_back(const ib_view *v, const ib_step *s, ib_spsc *out)
{
    int handed = s->src != IB_SRC_SPSC; /* an MPSC source has no cell to take one */
    for (uint64_t m = s->targets; m; m &= m - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(m);
        uint32_t slot = parked_under(v, &out[i], i);
        if (slot == INDEXBUS_SLOT_NIL)
            continue;
        if (!handed) {
            hand_back(v, slot, s->pos);
            handed = 1;
        } else {
            ib_slot_to_pool(v, slot);
        }
    }
}

void ib_recycle_finish(const ib_view *v, const ib_step *s)
{
    if (s->src != IB_SRC_SPSC)
        return;
    /* the caller saw head still at s->pos, so the producer has not come
     * back to this cell; only the router wrote it since the peek */
    uint32_t slot = ib_load_relaxed(&v->spsc_cells[s->pos & v->queue_mask]); /* once */
    if (slot != s->slot && slot < v->slot_count)
        ib_slot_park(v, slot, s->pos);
}

void ib_recycle_orphan(const ib_view *v, ib_spsc *q, uint32_t i)
{
    uint32_t slot = parked_under(v, q, i);
    if (slot == INDEXBUS_SLOT_NIL)
        return;
    ib_slot_to_pool(v, slot);
}

/* Queue i's parked slots at positions its head has passed. */
static void reclaim_queue(const ib_view *v, ib_spsc *q, uint32_t i, uint32_t *n)
{
    uint64_t cap = (uint64_t)q->mask + 1;
    /* pairs with the consumer's release of head in ib_spsc_commit: its
     * parks before that head are visible; read once, checked */
    uint64_t head = ib_load_acquire(&q->ctl->head);
    if (q->pos - head > cap)
        return; /* impossible head: leave the queue alone */
    uint64_t from = q->pos > cap ? q->pos - cap : 0;
    for (uint64_t p = from; p < head; p++) {
        uint32_t s = ib_load_relaxed(&q->cells[p & q->mask]); /* once */
        if (s < v->slot_count &&
            ib_slot_parked_as(v, s, (uint32_t)p, INDEXBUS_SLOT_PARKED_CONSUMER(i))) {
            ib_slot_to_pool(v, s);
            ++*n;
        }
    }
}

uint32_t ib_recycle_reclaim(const ib_view *v, ib_spsc *out)
{
    /* pairs with the release CAS in ib_pool_free_chain */
    if ((uint32_t)ib_load_acquire(&v->pool->free_head) != INDEXBUS_SLOT_NIL)
        return 0; /* not starved: parked slots wait for their lap */
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->consumer_count; i++)
        reclaim_queue(v, &out[i], i, &n);
    return n;
}
