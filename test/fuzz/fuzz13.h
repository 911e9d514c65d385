/*
 * fuzz13.h - layout 1.3 in fuzz_region (included by fuzz_region.c):
 * baseline variants 40-47 (fanout recycling, bit 37, LAYOUT.md 5.21; MPSC
 * batch reservation, bit 38, 5.4.1), each made by build_variant with the
 * create flags and then, for some, made hostile in the image (hostile13):
 *
 *   H13_PARK_POS     every parked slot's next_free one off or a lap off the
 *                    position of the cell it is parked in (variant 44: an
 *                    events region with MPSC recycling, bit 39, LAYOUT.md
 *                    5.22, so MPSC and SPSC parks too)
 *   H13_FORGED_OWNER forged PARKED_CONSUMER owners: a perfect forgery under
 *                    the cell each queue's router writes next (a free or
 *                    queued slot made to look parked there), one naming a
 *                    consumer past consumer_count, a queued slot "parked"
 *   H13_BATCH        a dead MPSC producer's batch reservation: mpsc_reserve
 *                    = tail + 1, reserved = 3, tail moved by 3, the first
 *                    cell filled with its claimed slot, the rest unfilled
 *   H13_BAD_RESERVED the same with a reservation count past the queue
 *                    (~0), a start behind head, the tail moved by 2
 *
 * The 1.3 ops are in fuzz13_ops.h. make_corpus.py mirrors geoms13
 * (L13_GEOMS).
 */
#ifndef IB_FUZZ13_H
#define IB_FUZZ13_H

enum { H13_NONE, H13_PARK_POS, H13_FORGED_OWNER, H13_BATCH, H13_BAD_RESERVED };
#define RCY INDEXBUS_CREATE_RECYCLE
#define BAT INDEXBUS_CREATE_MPSC_BATCH

/* kind, slots, data, queue, consumers, flags, state, hostile; recycling
 * regions keep slot_count >= queue * (1 + consumers), so building them
 * never starves (5.21, Starvation) */
static const struct geom13 {
    uint32_t kind, slots, data, queue, consumers, flags, state, hostile;
} geoms13[8] = {
    {INDEXBUS_KIND_FANOUT, 16, 64, 4, 2, RCY, ST_TRAFFIC, H13_NONE},
    {INDEXBUS_KIND_FANOUT, 16, 128, 4, 3, RCY, ST_CRASHED, H13_NONE},
    {INDEXBUS_KIND_FANOUT, 16, 64, 4, 2, RCY | BAT, ST_TRAFFIC, H13_PARK_POS},
    {INDEXBUS_KIND_FANOUT, 16, 64, 4, 2, RCY, ST_TRAFFIC, H13_FORGED_OWNER},
    {INDEXBUS_KIND_EVENTS, 16, 64, 8, 1, RCY | BAT, ST_TRAFFIC, H13_PARK_POS}, /* bit 39 */
    {INDEXBUS_KIND_EVENTS, 16, 64, 8, 1, BAT, ST_CRASHED, H13_BATCH},
    {INDEXBUS_KIND_EVENTS, 16, 64, 8, 1, BAT, ST_CRASHED, H13_BAD_RESERVED},
    {INDEXBUS_KIND_FANOUT, 16, 64, 4, 3, RCY | BAT, ST_CRASHED, H13_BATCH},
};

typedef struct img13 {
    const indexbus_region_header *h;
    indexbus_spsc_ctl *spsc, *cq;
    indexbus_mpsc_ctl *mpsc;
    uint8_t *slots;
    uint64_t cq_stride;
} img13;

static int img13_map(uint8_t *img, size_t len, img13 *m)
{
    m->h = (const indexbus_region_header *)img;
    uint32_t Q = m->h->queue_capacity, S = m->h->slot_count;
    m->cq_stride = sizeof(indexbus_spsc_ctl) + ((4ull * Q + 63) & ~63ull);
    m->spsc = img_section(img, len, INDEXBUS_SECTION_SPSC_QUEUE, m->cq_stride);
    m->mpsc = img_section(img, len, INDEXBUS_SECTION_MPSC_QUEUE, sizeof(indexbus_mpsc_ctl) + 16ull * Q);
    m->cq = img_section(img, len, INDEXBUS_SECTION_CONSUMER_QUEUES, m->cq_stride * m->h->consumer_count);
    uint8_t *pool = img_section(img, len, INDEXBUS_SECTION_SLOT_POOL,
                                sizeof(indexbus_pool_ctl) + (uint64_t)S * m->h->slot_stride);
    m->slots = pool ? pool + sizeof(indexbus_pool_ctl) : NULL;
    return m->spsc && m->mpsc && m->slots ? 0 : -1;
}

static indexbus_slot_header *img13_slot(const img13 *m, uint32_t i)
{
    return (indexbus_slot_header *)(m->slots + (uint64_t)i * m->h->slot_stride);
}

static indexbus_spsc_ctl *img13_cq(const img13 *m, uint32_t i)
{
    return (indexbus_spsc_ctl *)((uint8_t *)m->cq + i * m->cq_stride);
}

static uint32_t *img13_cells(indexbus_spsc_ctl *q) { return (uint32_t *)(q + 1); }

/* A forged park under the cell consumer queue i's router writes next. */
static void forge_park(const img13 *m, uint32_t i, uint32_t owner_queue)
{
    uint32_t Q = m->h->queue_capacity;
    indexbus_spsc_ctl *q = img13_cq(m, i);
    uint32_t idx = img13_cells(q)[q->tail & (Q - 1)];
    if (idx >= m->h->slot_count)
        return;
    img13_slot(m, idx)->owner = INDEXBUS_SLOT_PARKED_CONSUMER(owner_queue);
    img13_slot(m, idx)->next_free = (uint32_t)(q->tail - Q);
}

/* A dead MPSC producer's batch reservation of k cells at the tail. */
static void forge_batch(const img13 *m, uint8_t *img, size_t len, uint32_t k, uint32_t count,
                        int behind)
{
    indexbus_participant *e = img_entry(img, len, INDEXBUS_ROLE_MPSC_PRODUCER, 0);
    uint32_t Q = m->h->queue_capacity;
    if (e == NULL)
        return;
    uint64_t t = m->mpsc->tail;
    indexbus_mpsc_cell *cells = (indexbus_mpsc_cell *)(m->mpsc + 1);
    /* its claimed slot (owner = its entry + 1) fills the first cell */
    uint32_t mine = e - ((indexbus_participants_section *)img_section(
                            img, len, INDEXBUS_SECTION_PARTICIPANTS, 0))->entries + 1u;
    for (uint32_t s = 0; s < m->h->slot_count; s++)
        if (img13_slot(m, s)->owner == mine) {
            img13_slot(m, s)->owner = 0;
            cells[t & (Q - 1)].value = s;
            cells[t & (Q - 1)].seq = t + 1;
            break;
        }
    e->mpsc_reserve = (behind ? m->mpsc->head - 2 : t) + 1;
    e->reserved = count;
    m->mpsc->tail = t + k;
}

static void hostile13(variant *vr, const struct geom13 *g)
{
    img13 m;
    if (g->hostile == H13_NONE || img13_map(vr->img, vr->len, &m) != 0)
        return;
    uint32_t S = m.h->slot_count, C = m.h->consumer_count;
    switch (g->hostile) {
    case H13_PARK_POS:
        for (uint32_t s = 0; s < S; s++) {
            indexbus_slot_header *sl = img13_slot(&m, s);
            if (sl->owner >= INDEXBUS_SLOT_PARKED_CONSUMER_BASE)
                sl->next_free += s % 2 ? 1u : m.h->queue_capacity;
        }
        break;
    case H13_FORGED_OWNER:
        for (uint32_t i = 0; m.cq != NULL && i < C; i++)
            forge_park(&m, i, i);
        img13_slot(&m, S - 1)->owner = INDEXBUS_SLOT_PARKED_CONSUMER(63); /* past consumer_count */
        img13_slot(&m, S - 2)->owner = INDEXBUS_SLOT_PARKED_CONSUMER(C);
        img13_slot(&m, S - 2)->next_free = 0;
        break;
    case H13_BATCH:
        forge_batch(&m, vr->img, vr->len, 3, 3, 0);
        break;
    default: /* H13_BAD_RESERVED */
        forge_batch(&m, vr->img, vr->len, 2, ~0u, 1);
        break;
    }
}

#endif
