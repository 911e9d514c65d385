/* hold.c - held receive (LAYOUT.md 5.20) on events and fanout regions
 * (byte logs: log_consumer.c). A HOLD consumer reads at cursors of its
 * own, ahead of the region-visible heads, and keeps what lies between in
 * a FIFO; release lets go of the oldest through the ordinary receive
 * steps (journal, take, give back, park), so a death mid-release is what
 * recovery already finishes. Until then the messages stay queued: a dead
 * or closed holder's successor reads them again, at the same positions. */
#include <stdlib.h>
#include <string.h>

#include "../common/atomics.h"
#include "../common/mpsc.h"
#include "../common/slots.h"
#include "../handles/consumer.h"
#include "durable.h"

#define IB_HOLD_DEFAULT 4096u
#define IB_HOLD_MAX (1u << 20)
#define IB_HOLD_SLACK 64u /* FIFO room beyond max_held for corrupt entries */
#define IB_POS_MPSC (1ull << 63) /* events: a position on the MPSC queue */

int ib_durable_holds(const ib_view *v, uint32_t index)
{
    if (v->durable == NULL || index >= 64u)
        return 0;
    /* pairs with the holder's release RMW of hold_mask at open (hold.c) */
    return (int)((ib_load_acquire(&v->durable->hold_mask) >> index) & 1u);
}

void ib_hold_mark(indexbus_consumer *c, int held)
{
    ib_view *v = c->h.v;
    if (v->durable == NULL || c->h.index >= 64u)
        return;
    uint64_t bit = 1ull << c->h.index;
    /* a holder sets its bit before it is routed to and before it holds
     * anything; a non-holder clears it after draining. The release half
     * pairs with the acquire load in ib_durable_holds: a recoverer that
     * sees the bit keeps the queue. */
    if (held)
        ib_fetch_or_acq_rel(&v->durable->hold_mask, bit);
    else
        ib_fetch_and_acq_rel(&v->durable->hold_mask, ~bit); /* pairs with ib_durable_holds, as above */
}

/* ---- the FIFO (private memory) ---------------------------------------------------- */

int ib_hold_init(indexbus_consumer *c, uint32_t max_held)
{
    c->held_cap = max_held + IB_HOLD_SLACK;
    c->held = calloc(c->held_cap, sizeof(ib_held));
    if (c->held == NULL)
        return INDEXBUS_NO_MEMORY;
    c->hold = 1;
    c->max_held = max_held;
    c->hq = c->q; /* the cursors start at the heads */
    c->hmpsc = c->mpsc_pos;
    c->hlog = c->log;
    return INDEXBUS_OK;
}

void ib_hold_free(indexbus_consumer *c)
{
    free(c->held);
    c->held = NULL;
}

ib_held *ib_hold_at(indexbus_consumer *c, uint32_t k)
{
    return &c->held[(c->held_first + k) % c->held_cap];
}

ib_held *ib_hold_push(indexbus_consumer *c)
{
    ib_held *e = ib_hold_at(c, c->held_count++);
    memset(e, 0, sizeof(*e));
    return e;
}

void ib_hold_pop(indexbus_consumer *c)
{
    c->held_first = (c->held_first + 1) % c->held_cap;
    c->held_count--;
}

int ib_hold_full(const indexbus_consumer *c)
{
    return c->held_msgs >= c->max_held || c->held_count >= c->held_cap;
}

/* ---- the cursors ------------------------------------------------------------------ */

/* The MPSC cursor: as ib_mpsc_peek, but a SKIP cell (a dead producer's)
 * behind held messages is passed here only; release passes it in the
 * region. With nothing held before it, it is passed there at once. */
static int mpsc_cursor_peek(indexbus_consumer *c, uint32_t *idx)
{
    const ib_view *v = c->h.v;
    for (uint32_t n = 0; n <= v->queue_mask; n++) {
        uint64_t pos = c->hmpsc;
        if (pos - c->mpsc_pos > v->queue_mask)
            return INDEXBUS_EMPTY; /* a queue ahead of head: that cell is head's */
        indexbus_mpsc_cell *cell = &v->mpsc_cells[pos & v->queue_mask];
        /* pairs with the release CAS of seq in ib_mpsc_fill; read once */
        uint64_t seq = ib_load_acquire(&cell->seq);
        if (seq == pos + 1) {
            *idx = ib_load_relaxed(&cell->value); /* the caller checks it */
            return INDEXBUS_OK;
        }
        if (seq == pos)
            return INDEXBUS_EMPTY;
        if (seq != ((pos + 1) | INDEXBUS_MPSC_SKIP))
            return INDEXBUS_CORRUPT;
        if (pos == c->mpsc_pos) {
            ib_mpsc_advance(v->mpsc, v->queue_mask, &c->mpsc_pos);
            c->hmpsc = c->mpsc_pos;
        } else {
            c->hmpsc++;
        }
    }
    return INDEXBUS_EMPTY;
}

static int cursor_peek(indexbus_consumer *c, uint32_t src, uint32_t *idx)
{
    if (src == IB_SRC_SPSC)
        return ib_spsc_peek(&c->hq, idx);
    return mpsc_cursor_peek(c, idx);
}

int ib_hold_peek(indexbus_consumer *c, uint32_t *idx, uint32_t *src)
{
    if (c->h.v->kind == INDEXBUS_KIND_FANOUT) {
        *src = IB_SRC_SPSC;
        return ib_spsc_peek(&c->hq, idx);
    }
    int st = cursor_peek(c, c->turn, idx);
    *src = c->turn;
    if (st == INDEXBUS_EMPTY) {
        *src = c->turn ^ 1;
        st = cursor_peek(c, *src, idx);
    }
    return st;
}

static uint64_t cursor_pos(const indexbus_consumer *c, uint32_t src)
{
    return src == IB_SRC_SPSC ? c->hq.pos : c->hmpsc;
}

static void cursor_advance(indexbus_consumer *c, uint32_t src)
{
    if (src == IB_SRC_SPSC)
        ib_spsc_advance_local(&c->hq); /* never published: the region's head is c->q */
    else
        c->hmpsc++;
    c->turn = src ^ 1;
}

/* ---- receive and release ---------------------------------------------------------- */

/* A bad entry at a cursor (LAYOUT.md 7): with nothing held before it, it
 * is passed in the region at once, as a plain receive does; otherwise it
 * is recorded, and release passes it after the messages before it. */
static int met_corrupt(indexbus_consumer *c, uint32_t idx, uint32_t src, int unref)
{
    if (c->held_count == 0) {
        ib_consumer_skip(c, src);
        if (unref)
            ib_slot_release(c->h.v, idx);
        cursor_advance(c, src); /* with the head: both past it */
        return INDEXBUS_CORRUPT;
    }
    ib_held *e = ib_hold_push(c);
    e->pos = cursor_pos(c, src);
    e->idx = idx;
    e->src = src;
    e->flags = IB_HELD_CORRUPT | (unref ? IB_HELD_UNREF : 0u);
    c->held_src[src]++;
    cursor_advance(c, src);
    return INDEXBUS_CORRUPT;
}

INDEXBUS_API int indexbus_recv_held(indexbus_consumer *c, void *buf, size_t cap, size_t *len,
                                    uint64_t *position)
{
    if (c == NULL || len == NULL || position == NULL || (buf == NULL && cap != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    if (!c->hold)
        return INDEXBUS_BAD_STATE;
    if (ib_hold_full(c))
        return INDEXBUS_FULL;
    const ib_view *v = c->h.v;
    if (ib_has_log(v))
        return ib_log_recv_held(c, buf, cap, len, position);
    uint32_t idx, src;
    int st = ib_hold_peek(c, &idx, &src);
    if (st == INDEXBUS_EMPTY)
        return ib_consumer_empty_status(c);
    if (st != INDEXBUS_OK)
        return st;
    if (idx >= v->slot_count)
        return met_corrupt(c, idx, src, 0);
    /* read once, checked, and only the copy is used (LAYOUT.md 7) */
    uint32_t n = ib_load_relaxed(&ib_slot(v, idx)->len);
    if (n > v->slot_data_size)
        return met_corrupt(c, idx, src, 1);
    *len = n;
    if (n > cap)
        return INDEXBUS_BUFFER_TOO_SMALL;
    if (n)
        memcpy(buf, ib_slot_data(v, idx), n);
    uint64_t pos = cursor_pos(c, src);
    ib_held *e = ib_hold_push(c);
    e->pos = pos;
    e->idx = idx;
    e->src = src;
    c->held_src[src]++;
    c->held_msgs++;
    cursor_advance(c, src);
    *position = src == IB_SRC_MPSC ? pos | IB_POS_MPSC : pos;
    return INDEXBUS_OK;
}

/* Let go of one FIFO entry in the region, as a receive would have: SKIP
 * cells the cursor passed before it first (MPSC), then the entry. */
static void release_one(indexbus_consumer *c, const ib_held *e)
{
    const ib_view *v = c->h.v;
    if (e->src == IB_SRC_MPSC)
        for (uint32_t n = 0; c->mpsc_pos != e->pos && n <= v->queue_mask; n++)
            ib_mpsc_advance(v->mpsc, v->queue_mask, &c->mpsc_pos);
    if (e->flags & IB_HELD_CORRUPT) {
        ib_consumer_skip(c, e->src);
        if (e->flags & IB_HELD_UNREF)
            ib_slot_release(v, e->idx);
    } else if (ib_consumer_parks(c, e->src)) {
        ib_consumer_park(c, e->idx, e->src); /* SPSC head moves once, below */
    } else {
        ib_consumer_commit_spsc(c); /* keep the delivered counter in queue order */
        ib_consumer_take(c, e->idx, e->src);
        ib_consumer_give_back(c, e->idx);
    }
    c->held_src[e->src]--;
}

static void release_slots(indexbus_consumer *c, size_t count)
{
    const ib_view *v = c->h.v;
    size_t done = 0;
    while (c->held_count > 0) {
        ib_held e = *ib_hold_at(c, 0); /* a copy: release_one may not see the ring move */
        if (!(e.flags & IB_HELD_CORRUPT)) {
            if (done == count)
                break;
            done++;
            c->held_msgs--;
        }
        release_one(c, &e);
        ib_hold_pop(c);
    }
    ib_consumer_commit_spsc(c);
    /* nothing held on the MPSC queue: the SKIP cells the cursor passed go too */
    for (uint32_t n = 0; v->kind == INDEXBUS_KIND_EVENTS && c->held_src[IB_SRC_MPSC] == 0 &&
                         c->mpsc_pos != c->hmpsc && n <= v->queue_mask;
         n++)
        ib_mpsc_advance(v->mpsc, v->queue_mask, &c->mpsc_pos);
}

INDEXBUS_API int indexbus_release(indexbus_consumer *c, size_t count)
{
    if (c == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (!c->hold)
        return INDEXBUS_BAD_STATE;
    if (count > c->held_msgs)
        return INDEXBUS_OUT_OF_RANGE;
    if (ib_has_log(c->h.v))
        ib_log_release_held(c, count);
    else
        release_slots(c, count);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_consumer_open_config(indexbus_region *region,
                                               const indexbus_consumer_config *cfg,
                                               indexbus_consumer **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL || cfg == NULL || cfg->size < sizeof(*cfg) ||
        (cfg->flags & ~INDEXBUS_CONSUMER_HOLD) != 0)
        return INDEXBUS_INVALID_ARGUMENT;
    if (!(cfg->flags & INDEXBUS_CONSUMER_HOLD))
        return indexbus_consumer_open(region, cfg->index, out);
    uint32_t max_held = cfg->max_held ? cfg->max_held : IB_HOLD_DEFAULT;
    if (max_held > IB_HOLD_MAX)
        return INDEXBUS_INVALID_ARGUMENT;
    if (region->v.kind == INDEXBUS_KIND_STREAM || region->v.kind == INDEXBUS_KIND_RPC)
        return INDEXBUS_WRONG_KIND;
    return ib_consumer_open_hold(region, cfg->index, max_held, out);
}
