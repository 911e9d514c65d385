/*
 * space.h - bounded slot counts for indexbus_producer_space: how many of
 * the next `max` messages a producer could find a slot for, walking at most
 * `max` entries (O(answer), not O(slot_count) as ib_count_free_slots;
 * the pool's list is counted by ib_pool_count_upto in slots.h).
 * Snapshots, exact only when quiet, like the counts they bound. Values read
 * from the region are checked before use (LAYOUT.md 7).
 */
#ifndef IB_SPACE_H
#define IB_SPACE_H

#include "slots.h"

/* SPSC writer, recycling region (5.16, 5.21): of the next max cells it
 * writes, from q->pos on, those whose cell names a slot parked for the
 * position a lap earlier: the slots ib_spsc_unpark would hand it there.
 * Slots parked in fanout consumer cells (INDEXBUS_SLOT_PARKED_CONSUMER) are
 * the router's, never counted. A slot is parked for one position only, so
 * a forged cell naming it twice counts it once. */
static inline uint32_t ib_spsc_parked_ahead(const ib_view *v, const ib_spsc *q, uint32_t max)
{
    uint64_t cap = (uint64_t)q->mask + 1;
    uint32_t n = 0;
    for (uint32_t i = 0; i < max && i < cap; i++) {
        uint64_t pos = q->pos + i;
        if (pos < cap)
            continue; /* first lap: the cell was never written */
        uint32_t idx = ib_load_relaxed(&q->cells[pos & q->mask]); /* once (LAYOUT.md 7) */
        n += idx < v->slot_count && ib_slot_parked_at(v, idx, (uint32_t)(pos - cap));
    }
    return n;
}

/* MPSC writer, MPSC-recycling region (5.22): of the next max cells
 * reservations write, from tail on, those whose cell names a slot parked
 * for the position a lap earlier, which head has passed: the slots
 * ib_mpsc_unpark would hand out there. Shared by all MPSC producers, so a
 * snapshot like the rest. */
static inline uint32_t ib_mpsc_parked_ahead(const ib_view *v, uint32_t max)
{
    uint64_t cap = v->queue_capacity;
    /* pairs with ib_mpsc_advance's release of head: the park came before */
    uint64_t head = ib_load_acquire(&v->mpsc->head);
    uint64_t tail = ib_load_relaxed(&v->mpsc->tail); /* a hint: each cell is checked */
    uint32_t n = 0;
    for (uint32_t i = 0; i < max && i < cap; i++) {
        uint64_t pos = tail + i;
        if (pos < cap || pos - cap >= head)
            continue; /* never written, or not read yet */
        uint32_t idx = ib_load_relaxed(&v->mpsc_cells[pos & v->queue_mask].value); /* once */
        n += idx < v->slot_count &&
             ib_slot_parked_as(v, idx, (uint32_t)(pos - cap), INDEXBUS_SLOT_PARKED_MPSC);
    }
    return n;
}

#endif /* IB_SPACE_H */
