/* step.c - the router's step journal (LAYOUT.md 5.10.1).
 *
 * A step changes several words that only the router writes: the tail of
 * each target queue, per-consumer counters, the routed counter, and last
 * the source's head. Before changing one the router stores step_cursor:
 * which effect (phase, consumer) and the low 32 bits of the word as it was.
 * Effects are made in cursor order, so for a dead router the effects before
 * the cursor were made, those after it were not, and the one at it was
 * made iff its word no longer holds the recorded value (it only ever moves
 * by one, and nobody else moves it). A recoverer makes the missing ones. */
#include "../common/mpsc.h"
#include "../common/slots.h"
#include "recycle.h"
#include "step.h"

static uint64_t *counter(ib_view *v, uint32_t phase, uint32_t i)
{
    indexbus_counters_consumer *c = &v->consumer_counters[i];
    switch (phase) {
    case INDEXBUS_STEP_DELIVERED: return &c->delivered;
    case INDEXBUS_STEP_DROPPED_FULL: return &c->dropped_full;
    case INDEXBUS_STEP_DROPPED_NO_CREDIT: return &c->dropped_no_credit;
    default: return &v->counters->routed;
    }
}

/* Was effect (phase, i), whose word now holds `now`, made before `resume`? */
static int made(uint64_t resume, uint32_t phase, uint32_t i, uint64_t now)
{
    uint64_t at = resume >> 32, key = (uint64_t)phase << 8 | i;
    if (key != at)
        return key < at;
    return (uint32_t)now != (uint32_t)resume;
}

static void push(ib_view *v, ib_spsc *q, uint32_t i, uint32_t slot, uint64_t resume)
{
    if (made(resume, INDEXBUS_STEP_PUSH, i, q->pos))
        return;
    ib_store_relaxed(&v->router->step_cursor, INDEXBUS_STEP_CURSOR(INDEXBUS_STEP_PUSH, i, q->pos));
    ib_spsc_put(q, slot);
    ib_spsc_publish(q); /* its release keeps the cursor store before the tail's */
}

static void bump(ib_view *v, uint32_t phase, uint32_t i, uint64_t resume)
{
    uint64_t *w = counter(v, phase, i);
    uint64_t old = ib_load_relaxed(w); /* single writer: no RMW */
    if (made(resume, phase, i, old))
        return;
    ib_store_relaxed(&v->router->step_cursor, INDEXBUS_STEP_CURSOR(phase, i, old));
    /* after the cursor store; pairs with the recoverer's acquire of step_slot
     * then relaxed reads (5.2: step_cursor) */
    ib_store_release(w, old + 1);
}

static void bump_each(ib_view *v, uint32_t phase, uint64_t mask, uint64_t resume)
{
    for (; mask; mask &= mask - 1)
        bump(v, phase, (uint32_t)__builtin_ctzll(mask), resume);
}

void ib_step_begin(ib_view *v, const ib_step *s)
{
    indexbus_router_section *rs = v->router;
    /* set the count before any consumer can see the slot; published by the
     * release store of each queue's tail. For one target the producer's 1
     * is there already (5.6), and not writing it spares the slot's line a
     * trip to the router on its way from the producer to the consumer. */
    if (s->targets & (s->targets - 1)) /* two or more (no popcount call for one) */
        ib_store_relaxed(&ib_slot(v, s->slot)->refcount,
                         (uint32_t)__builtin_popcountll(s->targets));
    ib_store_relaxed(&rs->step_source, s->src);
    ib_store_relaxed(&rs->step_pos, s->pos);
    ib_store_relaxed(&rs->step_targets, s->targets);
    ib_store_relaxed(&rs->step_full, s->full);
    ib_store_relaxed(&rs->step_no_credit, s->no_credit);
    ib_store_relaxed(&rs->step_cursor, 0);
    /* opens the step after every field above; pairs with the acquire in
     * ib_step_finish */
    ib_store_release(&rs->step_slot, s->slot + 1);
}

void ib_step_effects(ib_view *v, const ib_step *s, ib_spsc *out, uint64_t resume)
{
    for (uint64_t m = s->targets; m; m &= m - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(m);
        ib_spsc tmp, *q = out != NULL ? &out[i] : &tmp;
        if (out == NULL) {
            ib_spsc_attach_writer(&tmp, ib_consumer_queue(v, i), v->queue_capacity);
            /* the dead router saw room; no room now means a broken queue,
             * and the tail may still be the one at the cursor */
            if (ib_spsc_space(&tmp) <= 0 && !made(resume, INDEXBUS_STEP_PUSH, i, tmp.pos))
                continue;
            /* a slot the dead router did not take back from the cell the
             * push overwrites (5.21) */
            if (v->fanout_recycle && !made(resume, INDEXBUS_STEP_PUSH, i, tmp.pos))
                ib_recycle_orphan(v, &tmp, i);
        }
        push(v, q, i, s->slot, resume);
    }
    bump_each(v, INDEXBUS_STEP_DELIVERED, s->targets, resume);
    bump_each(v, INDEXBUS_STEP_DROPPED_FULL, s->full, resume);
    bump_each(v, INDEXBUS_STEP_DROPPED_NO_CREDIT, s->no_credit, resume);
    bump(v, INDEXBUS_STEP_ROUTED, 0, resume);
}

void ib_step_end(ib_view *v)
{
    /* after the source advance: a recoverer seeing 0 finds the step whole;
     * pairs with the acquire load of step_slot in ib_step_finish */
    ib_store_release(&v->router->step_slot, 0);
}

/* Move the dead router's source past the step's message, once. */
static void advance_source(ib_view *v, const ib_step *s)
{
    if (s->src == IB_SRC_SPSC) {
        /* pairs with the producer's acquire load of head in ib_spsc_space */
        ib_store_release(&v->spsc->head, s->pos + 1);
        return;
    }
    uint64_t expect = s->pos + 1; /* still holding the message: free the cell */
    /* release pairs with the acquire load of seq in ib_mpsc_reserve1 (and _reserve_n) */
    ib_cas_acq_rel(&v->mpsc_cells[s->pos & v->queue_mask].seq, &expect,
                   s->pos + v->queue_capacity);
    /* as ib_mpsc_advance: pairs with observers' acquire loads of head */
    ib_store_release(&v->mpsc->head, s->pos + 1);
}

int ib_step_finish(ib_view *v)
{
    indexbus_router_section *rs = v->router;
    /* pairs with the release store in ib_step_begin */
    uint32_t slot = ib_load_acquire(&rs->step_slot);
    if (v->kind != INDEXBUS_KIND_FANOUT || slot == 0)
        return INDEXBUS_OK;
    /* the journal is read once into s and checked; only s is used (LAYOUT.md 7) */
    ib_step s = {
        .slot = slot - 1,
        .src = ib_load_relaxed(&rs->step_source),
        .pos = ib_load_relaxed(&rs->step_pos),
        .targets = ib_load_relaxed(&rs->step_targets),
        .full = ib_load_relaxed(&rs->step_full),
        .no_credit = ib_load_relaxed(&rs->step_no_credit),
    };
    uint64_t all = v->consumer_count >= 64 ? ~0ull : (1ull << v->consumer_count) - 1;
    int st = INDEXBUS_CORRUPT;
    if (s.slot < v->slot_count && s.src <= IB_SRC_MPSC && !((s.targets | s.full | s.no_credit) & ~all)) {
        /* only the router moves head: it is at the message, or just past it */
        /* pairs with the head releases in ib_spsc_commit / ib_mpsc_advance */
        uint64_t head = ib_load_acquire(s.src == IB_SRC_SPSC ? &v->spsc->head : &v->mpsc->head);
        if (head == s.pos) {
            if (v->fanout_recycle)
                ib_recycle_finish(v, &s); /* before the pushes: see ib_recycle_orphan */
            ib_step_effects(v, &s, NULL, ib_load_relaxed(&rs->step_cursor));
            advance_source(v, &s);
            st = INDEXBUS_OK;
        } else if (head == s.pos + 1) {
            st = INDEXBUS_OK; /* died just before closing the journal */
        }
    }
    ib_step_end(v);
    return st;
}
