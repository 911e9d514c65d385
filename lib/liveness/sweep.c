/* sweep.c - a region nobody is attached to: rebuild its pool from what its
 * queues reference (LAYOUT.md 5.15), and remove it if every participant is
 * dead (gc). */
#include <fcntl.h>
#include <stdlib.h>

#include "../common/mpsc.h"
#include "../common/slots.h"
#include "liveness.h"

/* Rebuild the pool when nobody is attached: every slot no queue references
 * is free, and a queued slot's refcount is the number of references.
 * Parked slots (5.16, 5.21, 5.22) are referenced by no queue, so they go
 * to the pool too, their owner reset: a cell that still names one no
 * longer offers it (owner is not PARKED*). */
static int sweep(ib_view *v, indexbus_recover_report *rep)
{
    if (v->pool == NULL) /* 1.1 kinds have no pool: recovery already gave back what the */
        return INDEXBUS_OK; /* dead held (ring bytes, stream seats, reply cells) */
    uint32_t *refs = calloc(v->slot_count, sizeof(uint32_t));
    if (refs == NULL)
        return INDEXBUS_NO_MEMORY;
    uint32_t before = ib_count_free_slots(v), idx;
    ib_spsc q;
    ib_spsc_attach_reader(&q, v->spsc, v->queue_capacity);
    for (uint32_t n = 0; n < v->queue_capacity && ib_spsc_peek(&q, &idx) == INDEXBUS_OK; n++, q.pos++)
        if (idx < v->slot_count)
            refs[idx]++;
    ib_mpsc_settle_head(v->mpsc, v->queue_mask);
    uint64_t pos = ib_load_acquire(&v->mpsc->head); /* pairs with ib_mpsc_advance's release */
    for (uint32_t n = 0; n < v->queue_capacity; n++, pos++) {
        /* pairs with the producer's release CAS of seq in ib_mpsc_fill */
        uint64_t seq = ib_load_acquire(&v->mpsc_cells[pos & v->queue_mask].seq);
        if (seq != pos + 1 && seq != ((pos + 1) | INDEXBUS_MPSC_SKIP))
            break;
        idx = ib_load_relaxed(&v->mpsc_cells[pos & v->queue_mask].value);
        if (seq == pos + 1 && idx < v->slot_count)
            refs[idx]++;
    }
    for (uint32_t c = 0; v->kind == INDEXBUS_KIND_FANOUT && c < v->consumer_count; c++) {
        ib_spsc_attach_reader(&q, ib_consumer_queue(v, c), v->queue_capacity);
        for (uint32_t n = 0; n < v->queue_capacity && ib_spsc_peek(&q, &idx) == INDEXBUS_OK;
             n++, q.pos++)
            if (idx < v->slot_count)
                refs[idx]++;
    }
    /* the free list is built from our own refs[] and loop index, never
     * from the next_free words we write (LAYOUT.md 7) */
    uint32_t first = INDEXBUS_SLOT_NIL, free_count = 0;
    for (uint32_t i = v->slot_count; i-- > 0;) {
        indexbus_slot_header *s = ib_slot(v, i);
        ib_store_relaxed(&s->owner, 0);
        s->refcount = refs[i];
        if (refs[i] == 0) {
            s->next_free = first;
            first = i;
            free_count++;
        }
    }
    uint64_t old = ib_load_relaxed(&v->pool->free_head);
    /* publishes the rebuilt list; pairs with the acquire in ib_pool_alloc */
    ib_store_release(&v->pool->free_head, (((old >> 32) + 1) << 32) | first);
    if (free_count > before)
        rep->slots_reclaimed += free_count - before;
    free(refs);
    return INDEXBUS_OK;
}

/* Sweep with every entry's lock held, so nobody can attach meanwhile. */
int ib_sweep_quiet(indexbus_region *r, indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    int probe = ib_open_probe(r);
    if (probe < 0)
        return INDEXBUS_IO;
    struct flock fl = {0};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = (off_t)ib_entry_offset(v, 0);
    fl.l_len = (off_t)(ib_entry_offset(v, INDEXBUS_MAX_PARTICIPANTS - 1) + 1 - ib_entry_offset(v, 0));
    if (fcntl(probe, F_OFD_SETLK, &fl) != 0)
        return INDEXBUS_BUSY; /* someone is attached (or attaching) */
    int st = INDEXBUS_OK;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        /* pairs with the release CAS in ib_take_entry */
        if (ib_load_acquire(&v->parts->entries[i].state) == INDEXBUS_PARTICIPANT_ACTIVE)
            st = INDEXBUS_BUSY;
    if (st == INDEXBUS_OK)
        st = sweep(v, rep);
    fl.l_type = F_UNLCK;
    fcntl(probe, F_OFD_SETLK, &fl);
    return st;
}

INDEXBUS_API int indexbus_region_gc(const char *name)
{
    indexbus_open_config oc = {sizeof(oc), 0, 0};
    indexbus_region *r;
    int st = indexbus_region_open(name, &oc, &r);
    if (st != INDEXBUS_OK)
        return st;
    indexbus_recover_report rep = {.size = sizeof(rep)};
    st = indexbus_region_recover(r, 0, &rep);
    int busy = 0;
    for (uint32_t i = 0; st == INDEXBUS_OK && i < INDEXBUS_MAX_PARTICIPANTS; i++)
        /* pairs with the release CAS in ib_take_entry */
        busy |= ib_load_acquire(&r->v.parts->entries[i].state) != INDEXBUS_PARTICIPANT_FREE;
    indexbus_region_close(r);
    if (st != INDEXBUS_OK)
        return st;
    return busy ? INDEXBUS_BUSY : indexbus_region_unlink(name);
}
