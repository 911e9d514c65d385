/*
 * writer_13.h - the rogue's writers for layout 1.3 (included by writer.c,
 * after its primitives): strategy `recycle` (fanout recycling, LAYOUT.md
 * 5.21) and strategy `mpsc-batch` (MPSC batch reservation, 5.4.1; and
 * forged parks in MPSC cells for events MPSC recycling, bit 39, 5.22).
 */
#ifndef IB_ROGUE_WRITER_13_H
#define IB_ROGUE_WRITER_13_H

/* A consumer queue (1..consumers; 0 is the SPSC producer queue). */
static uint32_t cq_pick(rogue *R) { return 1 + (uint32_t)rg_below(&R->rng, R->g.consumers); }

/* The cell of queue q the router (or the SPSC producer) writes next: at
 * tail, whose last lap's slot the writer takes back; or one near head. */
static uint64_t cell_at_tail(rogue *R, uint32_t q, uint64_t *pos)
{
    uint64_t b = spsc_q(R, q);
    *pos = get(R, b + 64, 8) + rg_below(&R->rng, 3);
    return b + 128 + 4 * (*pos & (R->g.queue - 1));
}

/* An owner value for a parked slot: the right queue, a consumer queue that
 * does not exist (up to 0xFF), PARKED (the producer's), near misses. */
static uint32_t park_owner(rogue *R, uint32_t q)
{
    uint32_t C = R->g.consumers;
    switch (rg_below(&R->rng, 8)) {
    case 0:
    case 1:
    case 2: return INDEXBUS_SLOT_PARKED_CONSUMER(q - 1);
    case 3: return INDEXBUS_SLOT_PARKED_CONSUMER(C + (uint32_t)rg_below(&R->rng, 256 - C));
    case 4: return INDEXBUS_SLOT_PARKED;
    case 5: return INDEXBUS_SLOT_PARKED_CONSUMER_BASE - 1 - (uint32_t)rg_below(&R->rng, 4);
    case 6: return INDEXBUS_SLOT_PARKED_CONSUMER((uint32_t)rg_below(&R->rng, C));
    default: return 0;
    }
}

/* A next_free value for a slot parked under position pos of a queue: the
 * very position the take-back checks (pos - Q), one off, a lap off, the
 * position itself, an index (as if still in the pool), anything. */
static uint32_t park_pos(rogue *R, uint64_t pos)
{
    uint64_t Q = R->g.queue;
    switch (rg_below(&R->rng, 8)) {
    case 0:
    case 1:
    case 2: return (uint32_t)(pos - Q);
    case 3: return (uint32_t)(pos - Q + 1 - 2 * rg_below(&R->rng, 2));
    case 4: return (uint32_t)(pos - 2 * Q);
    case 5: return (uint32_t)pos;
    case 6: return (uint32_t)rg_below(&R->rng, R->g.slots);
    default: return (uint32_t)rg_next(&R->rng);
    }
}

/* A forged park: the slot a cell names (or any) made to look parked for
 * that cell's last lap, so that the router's take-back (consumer queue) or
 * the producer's unpark (SPSC queue) takes a slot that is in use. */
static void recycle_forge_park(rogue *R, uint32_t q)
{
    uint64_t pos, cell = cell_at_tail(R, q, &pos);
    uint32_t idx = (uint32_t)get(R, cell, 4);
    if (idx >= R->g.slots || rg_chance(&R->rng, 1, 4)) { /* name a slot of our choice */
        idx = rg_chance(&R->rng, 1, 2) ? hot_slot(R) : (uint32_t)rg_below(&R->rng, R->g.slots);
        put(R, cell, 4, idx);
    }
    uint64_t s = slot_hdr(R, idx);
    put(R, s + 12, 4, park_pos(R, pos));
    put(R, s + 8, 4, q == 0 ? (rg_chance(&R->rng, 3, 4) ? INDEXBUS_SLOT_PARKED : park_owner(R, 1)) : park_owner(R, q));
    if (rg_chance(&R->rng, 1, 4)) /* and a refcount that says it is still held */
        put(R, s + 4, 4, rg_chance(&R->rng, 1, 2) ? 1 + (uint32_t)rg_below(&R->rng, R->g.consumers + 1) : 0);
}

static void w_recycle(rogue *R)
{
    switch (rg_below(&R->rng, 10)) {
    case 0:
    case 1:
    case 2: /* consumer queue cells the router is about to rewrite */
        recycle_forge_park(R, cq_pick(R));
        break;
    case 3: /* the SPSC source cell the router hands slots back through */
    case 4: {
        uint64_t b = spsc_q(R, 0), h = get(R, b, 8), t = get(R, b + 64, 8);
        uint64_t pos = rg_chance(&R->rng, 1, 2) ? h + rg_below(&R->rng, 2) : near_head(R, h, t);
        uint64_t cell = b + 128 + 4 * (pos & (R->g.queue - 1));
        put(R, cell, 4, rg_chance(&R->rng, 2, 3) ? (uint32_t)rg_below(&R->rng, R->g.slots) : bad_index(R));
        if (rg_chance(&R->rng, 1, 2))
            recycle_forge_park(R, 0);
        break;
    }
    case 5: { /* owners of slots a queue names: parked for someone, or not */
        uint32_t q = cq_pick(R);
        uint64_t s = slot_hdr(R, hot_slot(R));
        put(R, s + 8, 4, park_owner(R, q));
        break;
    }
    case 6: { /* next_free of a parked-looking slot: a position, or an index */
        uint64_t pos, cell = cell_at_tail(R, cq_pick(R), &pos);
        uint32_t idx = (uint32_t)get(R, cell, 4);
        put(R, slot_hdr(R, idx < R->g.slots ? idx : hot_slot(R)) + 12, 4, park_pos(R, pos));
        break;
    }
    case 7: /* a consumer cell: a bad index, another queue's parked slot */
        put(R, spsc_cell_near_head(R, cq_pick(R)), 4,
            rg_chance(&R->rng, 1, 2) ? bad_index(R) : (uint32_t)rg_below(&R->rng, R->g.slots));
        break;
    case 8: { /* a whole consumer queue of cells naming one slot parked for it */
        uint32_t q = cq_pick(R), idx = (uint32_t)rg_below(&R->rng, R->g.slots);
        uint64_t b = spsc_q(R, q);
        for (uint32_t i = 0; i < R->g.queue; i++)
            raw_put(R, b + 128 + 4ull * i, 4, idx);
        R->writes++;
        put(R, slot_hdr(R, idx) + 8, 4, INDEXBUS_SLOT_PARKED_CONSUMER(q - 1));
        put(R, slot_hdr(R, idx) + 12, 4, (uint32_t)(get(R, b + 64, 8) - R->g.queue));
        break;
    }
    default: /* the pool's head at a parked slot (parked and free at once) */
        put(R, OFF(SLOT_POOL), 8,
            (((get(R, OFF(SLOT_POOL), 8) >> 32) + 1) << 32) | (uint32_t)get(R, spsc_cell_near_head(R, cq_pick(R)), 4));
        break;
    }
}

/* An MPSC producer's entry, if one is there (else any of the first 16). */
static uint32_t mpsc_entry(rogue *R)
{
    uint32_t start = (uint32_t)rg_below(&R->rng, 16);
    for (uint32_t i = 0; i < 16; i++) {
        uint32_t e = (start + i) % 16;
        if (get(R, entry(R, e) + 4, 4) == INDEXBUS_ROLE_MPSC_PRODUCER)
            return e;
    }
    return start;
}

/* `reserved` (+60) of an entry: none, one, a plausible batch, the queue,
 * past it, huge. */
static uint32_t reserved_value(rogue *R)
{
    uint32_t Q = R->g.queue;
    switch (rg_below(&R->rng, 9)) {
    case 0: return 0;
    case 1: return 1;
    case 2:
    case 3: return 2 + (uint32_t)rg_below(&R->rng, Q > 2 ? Q - 1 : 1);
    case 4: return Q;
    case 5: return Q + 1;
    case 6: return 0x80000000u;
    case 7: return ~0u;
    default: return (uint32_t)rg_next(&R->rng);
    }
}

static void w_mpsc_batch(rogue *R)
{
    uint64_t e = entry(R, mpsc_entry(R));
    uint64_t M = OFF(MPSC_QUEUE), t = get(R, M, 8), h = get(R, M + 64, 8);
    switch (rg_below(&R->rng, 9)) {
    case 0:
    case 1:
    case 2: /* the reservation count */
        put(R, e + 60, 4, reserved_value(R));
        break;
    case 3: /* with a reservation start where it bites: at head, behind it, at tail */
    case 4: {
        uint64_t pos;
        switch (rg_below(&R->rng, 5)) {
        case 0: pos = h; break;
        case 1: pos = h - 1 - rg_below(&R->rng, R->g.queue); break;
        case 2: pos = t; break;
        case 3: pos = near_head(R, h, t); break;
        default: pos = rg_next(&R->rng); break;
        }
        put(R, e + 40, 8, rg_chance(&R->rng, 1, 8) ? 0 : pos + 1);
        put(R, e + 60, 4, reserved_value(R));
        break;
    }
    case 5: /* a batch reserved and never filled: the tail moved k on */
        put(R, M, 8, t + 1 + rg_below(&R->rng, R->g.queue + 2));
        break;
    case 6: { /* bit 39 (5.22): a forged MPSC park in the cell reserved next, or one near head */
        uint64_t pos = rg_chance(&R->rng, 1, 2) ? t + rg_below(&R->rng, 3) : near_head(R, h, t);
        uint64_t c = mpsc_cell(R, pos);
        uint32_t idx = (uint32_t)get(R, c + 8, 4);
        if (idx >= R->g.slots || rg_chance(&R->rng, 1, 4)) {
            idx = hot_slot(R);
            put(R, c + 8, 4, idx);
        }
        put(R, slot_hdr(R, idx) + 12, 4, park_pos(R, pos));
        put(R, slot_hdr(R, idx) + 8, 4, rg_chance(&R->rng, 3, 4) ? INDEXBUS_SLOT_PARKED_MPSC : park_owner(R, 1));
        break;
    }
    default: { /* cells inside a reservation: filled, skipped, stale, a lap ahead */
        uint64_t p = h + rg_below(&R->rng, R->g.queue), c = mpsc_cell(R, p), v;
        switch (rg_below(&R->rng, 5)) {
        case 0: v = p + 1; break;
        case 1: v = (p + 1) | INDEXBUS_MPSC_SKIP; break;
        case 2: v = p; break;
        case 3: v = p + R->g.queue; break;
        default: v = mutate64(R, get(R, c, 8)); break;
        }
        put(R, c, 8, v);
        if (rg_chance(&R->rng, 1, 2))
            put(R, c + 8, 4, rg_chance(&R->rng, 1, 2) ? bad_index(R) : (uint32_t)rg_below(&R->rng, R->g.slots));
        break;
    }
    }
}

#endif
