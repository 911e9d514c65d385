/* consumer.c - receive: copy, borrow, batch and blocking. An events
 * consumer reads the SPSC and MPSC producer queues, alternating for
 * fairness; a fanout consumer reads its own router-fed queue. A HOLD
 * consumer receives through durable/hold.c, which shares the steps here. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/mpsc.h"
#include "../common/slots.h"
#include "../common/spsc.h"
#include "../common/wake.h"
#include "consumer.h"

/* ---- queue access --------------------------------------------------------------- */

static int peek_src(indexbus_consumer *c, uint32_t src, uint32_t *idx)
{
    if (src == IB_SRC_SPSC)
        return ib_spsc_peek(&c->q, idx);
    return ib_mpsc_peek(c->h.v->mpsc, c->h.v->queue_mask, &c->mpsc_pos, idx);
}

/* Next waiting slot index and the queue it came from (a HOLD consumer:
 * at its cursors, past what it holds). */
static int peek(indexbus_consumer *c, uint32_t *idx, uint32_t *src)
{
    if (c->hold)
        return ib_hold_peek(c, idx, src);
    if (c->h.v->kind == INDEXBUS_KIND_FANOUT) {
        *src = IB_SRC_SPSC;
        return ib_spsc_peek(&c->q, idx);
    }
    int st = peek_src(c, c->turn, idx);
    if (st == INDEXBUS_EMPTY) {
        st = peek_src(c, c->turn ^ 1, idx);
        *src = c->turn ^ 1;
    } else {
        *src = c->turn;
    }
    return st;
}

static void skip(indexbus_consumer *c, uint32_t src)
{
    if (src == IB_SRC_SPSC)
        ib_spsc_advance(&c->q);
    else
        ib_mpsc_advance(c->h.v->mpsc, c->h.v->queue_mask, &c->mpsc_pos);
    c->turn = src ^ 1;
}

/* Consume the message just read; events consumers count their own deliveries. */
static void advance(indexbus_consumer *c, uint32_t src)
{
    skip(c, src);
    if (c->h.v->kind == INDEXBUS_KIND_EVENTS) {
        c->delivered++;
        ib_store_relaxed(&c->h.v->consumer_counters[0].delivered, c->delivered); /* single writer */
    }
}

/* Take the message at the head of src: journal it, then consume the queue
 * cell. If we die between the two, a recoverer sees from the queue head
 * whether the slot is still queued or ours to release. */
static void journal(indexbus_consumer *c, uint32_t idx, uint32_t src)
{
    ib_store_relaxed(&c->h.entry->held_pos, src == IB_SRC_SPSC ? c->q.pos : c->mpsc_pos);
    ib_store_relaxed(&c->h.entry->held_src, src);
    ib_store_relaxed(&c->h.entry->held_slot, idx + 1);
}

static void take(indexbus_consumer *c, uint32_t idx, uint32_t src)
{
    journal(c, idx, src);
    advance(c, src);
}

/* Does a slot taken off queue src go back through its cell: the SPSC
 * queue of an events region (5.16), a recycling fanout queue (5.21), the
 * MPSC queue of an MPSC-recycling events region (5.22)? */
static int parks(const indexbus_consumer *c, uint32_t src)
{
    if (src == IB_SRC_MPSC)
        return c->h.v->mpsc_recycle; /* events only: the header check says so */
    return c->h.v->recycle || c->h.v->fanout_recycle;
}

static void commit_spsc(indexbus_consumer *c)
{
    if (!c->spsc_pending)
        return;
    c->spsc_pending = 0;
    ib_spsc_commit(&c->q);
    if (c->h.v->kind != INDEXBUS_KIND_EVENTS)
        return; /* fanout: the router counts deliveries and frees producers' room */
    ib_store_relaxed(&c->h.v->consumer_counters[0].delivered, c->delivered); /* single writer */
    ib_wake_notify(c->room); /* a cell and a slot came free */
}

/* Release a taken slot; the journal is cleared first, so a death in
 * between can leak the slot (a sweep finds it) but never free it twice. */
static void give_back(indexbus_consumer *c, uint32_t idx)
{
    ib_store_relaxed(&c->h.entry->held_slot, 0);
    ib_slot_release(c->h.v, idx);
    if (c->room != NULL)
        ib_wake_notify(c->room); /* blocking producers */
}

/* A recycling fanout queue's message at head (5.21). The last holder parks
 * the slot in its cell before head moves, so the router finds it there a
 * lap later; parking is idempotent, so a death before head moves leaves a
 * message that whoever reads the queue next finds parked already. A slot
 * others still hold goes the ordinary way (journal, head, then our
 * reference), since a decrement cannot be repeated safely. */
static void park_fanout(indexbus_consumer *c, uint32_t idx)
{
    const ib_view *v = c->h.v;
    /* pairs with the other holders' acq_rel decrement in ib_slot_unref */
    if (ib_load_acquire(&ib_slot(v, idx)->refcount) != 1) {
        commit_spsc(c); /* keep head moves in order */
        take(c, idx, IB_SRC_SPSC);
        give_back(c, idx);
        return;
    }
    ib_slot_park_as(v, idx, c->q.pos, INDEXBUS_SLOT_PARKED_CONSUMER(c->h.index));
    /* a borrow's journal goes before head: recovery must not release it */
    ib_store_relaxed(&c->h.entry->held_slot, 0);
    ib_spsc_advance_local(&c->q);
    c->spsc_pending = 1;
}

/* Consume the SPSC message at head by parking its slot in its cell. Head is
 * published by commit_spsc, once per call or batch. Nothing is journaled: a
 * death before head moves leaves the message queued for the next consumer,
 * and the producer does not reuse the slot until head has passed it. */
static void park_spsc(indexbus_consumer *c, uint32_t idx)
{
    if (c->h.v->fanout_recycle) {
        park_fanout(c, idx);
        return;
    }
    ib_slot_park(c->h.v, idx, c->q.pos);
    ib_spsc_advance_local(&c->q);
    c->turn = IB_SRC_MPSC;
    c->delivered++;
    c->spsc_pending = 1;
}

/* Consume the MPSC message at head by parking its slot in its cell for the
 * producer that reserves the cell next (5.22): park, then free the cell
 * (its release store of seq publishes the park to that producer), then
 * head. Nothing is journaled: parking is idempotent (an events slot has
 * one reference), so a death before the cell is freed leaves the message
 * queued and whoever reads it next parks it again. */
static void park_mpsc(indexbus_consumer *c, uint32_t idx)
{
    commit_spsc(c); /* keep the delivered counter in queue order */
    ib_slot_park_mpsc(c->h.v, idx, c->mpsc_pos);
    advance(c, IB_SRC_MPSC);
    if (c->room != NULL)
        ib_wake_notify(c->room); /* blocking producers: a cell and a slot came free */
}

/* Consume a message that parks (parks(c, src)); SPSC head waits for
 * commit_spsc. */
static void park(indexbus_consumer *c, uint32_t idx, uint32_t src)
{
    if (src == IB_SRC_MPSC)
        park_mpsc(c, idx);
    else
        park_spsc(c, idx);
}

/* The steps above, for held release (durable/hold.c). */
void ib_consumer_take(indexbus_consumer *c, uint32_t idx, uint32_t src) { take(c, idx, src); }
void ib_consumer_give_back(indexbus_consumer *c, uint32_t idx) { give_back(c, idx); }
int ib_consumer_parks(const indexbus_consumer *c, uint32_t src) { return parks(c, src); }
void ib_consumer_park(indexbus_consumer *c, uint32_t idx, uint32_t src) { park(c, idx, src); }
void ib_consumer_commit_spsc(indexbus_consumer *c) { commit_spsc(c); }
void ib_consumer_skip(indexbus_consumer *c, uint32_t src) { skip(c, src); }

/* Validate what the queue handed us; a bad entry is skipped and reported. */
static int check_slot(indexbus_consumer *c, uint32_t idx, uint32_t src, uint32_t *len)
{
    if (idx >= c->h.v->slot_count) {
        skip(c, src);
        return INDEXBUS_CORRUPT;
    }
    /* read once, checked, and only the copy is used (LAYOUT.md 7) */
    *len = ib_load_relaxed(&ib_slot(c->h.v, idx)->len);
    if (*len > c->h.v->slot_data_size) {
        skip(c, src);
        ib_slot_release(c->h.v, idx); /* the index is sound: give our reference back */
        return INDEXBUS_CORRUPT;
    }
    return INDEXBUS_OK;
}

/* Every producer that ever attached has closed (the first half of the
 * disconnect rule, 5.11). */
int ib_producers_gone(const ib_view *v)
{
    const indexbus_participants_ctl *pc = &v->parts->ctl;
    /* pairs with the release decrement in ib_participant_detach */
    return ib_load_acquire(&pc->producers_ever) && ib_load_acquire(&pc->producers_live) == 0;
}

/* Producers have all closed and nothing is left upstream of this consumer. */
static int disconnected(indexbus_consumer *c)
{
    const ib_view *v = c->h.v;
    if (!ib_producers_gone(v))
        return 0;
    /* fanout: the router moves source head only after delivering, so an
     * empty source means everything routed is already in our queue */
    if (v->kind == INDEXBUS_KIND_FANOUT &&
        (ib_spsc_depth(v->spsc, v->queue_capacity) || ib_mpsc_depth(v->mpsc, v->queue_capacity)))
        return 0;
    uint32_t idx, src;
    return peek(c, &idx, &src) == INDEXBUS_EMPTY;
}

int ib_consumer_empty_status(indexbus_consumer *c)
{
    if (ib_has_log(c->h.v))
        return ib_log_disconnected(c) ? INDEXBUS_DISCONNECTED : INDEXBUS_EMPTY;
    return disconnected(c) ? INDEXBUS_DISCONNECTED : INDEXBUS_EMPTY;
}

/* ---- lifecycle ------------------------------------------------------------------- */

/* A fanout consumer's queue is its own: what is left in it would hold
 * broadcast slots from everyone, so it is handed back on close (after
 * leaving routing) and on open (a previous occupant's leftovers). */
static void drain(indexbus_consumer *c)
{
    uint32_t idx, src, len;
    for (uint32_t n = 0; n < c->h.v->queue_capacity && peek(c, &idx, &src) == INDEXBUS_OK; n++) {
        if (check_slot(c, idx, src, &len) != INDEXBUS_OK)
            continue; /* already skipped */
        if (ib_slot_parked_in(c->h.v, idx, c->h.index, c->q.pos)) {
            skip(c, src); /* released already by whoever parked it (5.21) */
            continue;
        }
        journal(c, idx, src); /* src: a fanout consumer's own queue */
        skip(c, src);
        give_back(c, idx);
    }
}

INDEXBUS_API int indexbus_consumer_open(indexbus_region *region, uint32_t index,
                                        indexbus_consumer **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    /* streams read through the stream reader; request/response has none */
    if (region->v.kind == INDEXBUS_KIND_STREAM || region->v.kind == INDEXBUS_KIND_RPC)
        return INDEXBUS_WRONG_KIND;
    return ib_consumer_open(region, index, out);
}

int ib_consumer_open(indexbus_region *region, uint32_t index, indexbus_consumer **out)
{
    return ib_consumer_open_hold(region, index, 0, out);
}

/* The queue or ring reader, and (max_held) the cursors and FIFO of a HOLD
 * consumer; a fanout holder keeps what its queue holds, a non-holder
 * drains it and clears the index's hold bit. */
static int attach_reader(indexbus_consumer *c, uint32_t max_held)
{
    ib_view *v = c->h.v;
    int st = INDEXBUS_OK;
    if (ib_has_log(v)) {
        if ((st = ib_log_attach_reader(v, &c->log)) != INDEXBUS_OK)
            return st;
        c->delivered = ib_load_relaxed(&v->consumer_counters[0].delivered);
    } else if (v->kind == INDEXBUS_KIND_FANOUT) {
        ib_spsc_attach_reader(&c->q, ib_consumer_queue(v, c->h.index), v->queue_capacity);
    } else {
        ib_spsc_attach_reader(&c->q, v->spsc, v->queue_capacity);
        /* pairs with the previous reader's release of head in ib_mpsc_advance */
        c->mpsc_pos = ib_load_acquire(&v->mpsc->head);
        c->delivered = ib_load_relaxed(&v->consumer_counters[0].delivered);
    }
    if (max_held != 0 && (st = ib_hold_init(c, max_held)) != INDEXBUS_OK)
        return st;
    if (v->kind == INDEXBUS_KIND_FANOUT) {
        /* nothing new arrives meanwhile: the router skips a leaving owner */
        if (!c->hold)
            drain(c);
        ib_hold_mark(c, c->hold); /* a holder before it holds; a non-holder after draining */
    }
    return INDEXBUS_OK;
}

int ib_consumer_open_hold(indexbus_region *region, uint32_t index, uint32_t max_held,
                          indexbus_consumer **out)
{
    ib_view *v = &region->v;
    if (index >= v->consumer_count)
        return INDEXBUS_OUT_OF_RANGE;
    /* a fanout queue outlives its holder only where the region remembers it (5.20) */
    if (max_held != 0 && v->kind == INDEXBUS_KIND_FANOUT && v->durable == NULL)
        return INDEXBUS_BAD_STATE;
    /* we wake blocking producers. Registering (a membarrier call, ~10 ms
     * in a JVM) comes before the attach, so that consumers_live does not
     * count us long before the router routes to us */
    ib_notify_register();
    int st;
    indexbus_consumer *c = ib_handle_attach(region, sizeof(*c), INDEXBUS_ROLE_CONSUMER, index, &st);
    if (c == NULL)
        return st;
    c->borrowed = INDEXBUS_SLOT_NIL;
    c->wake = &v->wake[index];
    c->room = v->kind == INDEXBUS_KIND_FANOUT ? NULL : &v->wake[v->producer_wake];
    if ((st = attach_reader(c, max_held)) != INDEXBUS_OK) {
        ib_hold_free(c);
        ib_handle_detach(&c->h);
        return st;
    }
    /* routed to from the router's next step on; wait for it so that a
     * message published after open returns reaches us. Pairs with the
     * router's acquire of consumer_epoch (refresh_present), via the bump. */
    ib_store_release(&v->parts->consumer_owner[index], c->h.part + 1);
    ib_await_router(region, ib_bump_consumer_epoch(v), 1);
    *out = c;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_consumer_close(indexbus_consumer *c)
{
    if (c == NULL)
        return INDEXBUS_OK;
    if (c->borrowed != INDEXBUS_SLOT_NIL)
        indexbus_recv_end(c);
    if (ib_has_log(c->h.v))
        ib_log_give_back(c->h.v, &c->log, 0);
    if (c->h.v->kind == INDEXBUS_KIND_FANOUT) {
        ib_await_router(c->h.region, ib_consumer_leaving(c->h.v, c->h.index, c->h.part), 1);
        if (!c->hold) /* a holder's queue waits for the next consumer (its bit stays) */
            drain(c);
    }
    ib_hold_free(c); /* what it held stays in the region */
    ib_handle_detach(&c->h);
    return INDEXBUS_OK;
}

/* ---- receive --------------------------------------------------------------------- */

/* The message at the head, checked: its slot, queue and length. */
static int next_message(indexbus_consumer *c, uint32_t *idx, uint32_t *src, uint32_t *n)
{
    if (c->borrowed != INDEXBUS_SLOT_NIL || c->hold) /* a holder: indexbus_recv_held */
        return INDEXBUS_BAD_STATE;
    int st = peek(c, idx, src);
    if (st == INDEXBUS_EMPTY)
        return ib_consumer_empty_status(c);
    if (st != INDEXBUS_OK)
        return st;
    return check_slot(c, *idx, *src, n);
}

INDEXBUS_API int indexbus_try_recv(indexbus_consumer *c, void *buf, size_t cap, size_t *len)
{
    uint32_t idx, src, n;
    if (c == NULL || len == NULL || (buf == NULL && cap != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    if (c->hold) /* indexbus_recv_held */
        return INDEXBUS_BAD_STATE;
    if (ib_has_log(c->h.v))
        return ib_log_try_recv(c, buf, cap, len);
    int st = next_message(c, &idx, &src, &n);
    if (st != INDEXBUS_OK)
        return st;
    *len = n;
    if (n > cap)
        return INDEXBUS_BUFFER_TOO_SMALL;
    if (n)
        memcpy(buf, ib_slot_data(c->h.v, idx), n);
    if (parks(c, src)) {
        park(c, idx, src);
        commit_spsc(c);
    } else {
        take(c, idx, src);
        give_back(c, idx);
    }
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_recv_begin(indexbus_consumer *c, const void **data, size_t *len)
{
    uint32_t idx, src, n;
    if (c == NULL || data == NULL || len == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (c->hold) /* indexbus_recv_held */
        return INDEXBUS_BAD_STATE;
    if (ib_has_log(c->h.v))
        return ib_log_recv_begin(c, data, len);
    int st = next_message(c, &idx, &src, &n);
    if (st != INDEXBUS_OK)
        return st;
    /* the slot reference, not the queue cell, keeps the data. A slot that
     * parks stays queued until recv_end; the journal says it is taken, and
     * a recoverer finishes the take if we die (recover_events_consumer). */
    c->borrowed_parks = (uint32_t)parks(c, src);
    c->borrowed_src = src;
    if (c->borrowed_parks)
        journal(c, idx, src);
    else
        take(c, idx, src);
    c->borrowed = idx;
    *data = ib_slot_data(c->h.v, idx);
    *len = n;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_recv_end(indexbus_consumer *c)
{
    if (c == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (c->borrowed == INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    if (ib_has_log(c->h.v))
        return ib_log_recv_end(c);
    if (c->borrowed_parks) {
        park(c, c->borrowed, c->borrowed_src);
        commit_spsc(c);
        /* events: after head (see recover_events_consumer); fanout cleared it */
        ib_store_relaxed(&c->h.entry->held_slot, 0);
    } else {
        give_back(c, c->borrowed);
    }
    c->borrowed = INDEXBUS_SLOT_NIL;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_recv_batch(indexbus_consumer *c, void *buf, size_t cap, uint32_t *lens,
                                     size_t max_msgs, size_t *count)
{
    if (count != NULL)
        *count = 0;
    if (c == NULL || lens == NULL || count == NULL || max_msgs == 0 || (buf == NULL && cap != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    if (c->borrowed != INDEXBUS_SLOT_NIL || c->hold) /* a holder: indexbus_recv_held */
        return INDEXBUS_BAD_STATE;
    if (ib_has_log(c->h.v))
        return ib_log_recv_batch(c, buf, cap, lens, max_msgs, count);
    uint8_t *dst = buf;
    size_t used = 0, k = 0;
    int st = INDEXBUS_OK;
    while (k < max_msgs) {
        uint32_t idx, src, n;
        st = peek(c, &idx, &src);
        if (st != INDEXBUS_OK || (st = check_slot(c, idx, src, &n)) != INDEXBUS_OK)
            break;
        if (n > cap - used) {
            st = INDEXBUS_BUFFER_TOO_SMALL;
            if (k == 0)
                lens[0] = n;
            break;
        }
        if (n)
            memcpy(dst + used, ib_slot_data(c->h.v, idx), n);
        used += n;
        lens[k++] = n;
        if (parks(c, src)) {
            park(c, idx, src); /* SPSC head moves once, below */
        } else {
            commit_spsc(c); /* keep the delivered counter in queue order */
            take(c, idx, src);
            give_back(c, idx);
        }
    }
    commit_spsc(c);
    *count = k;
    if (k > 0)
        return INDEXBUS_OK;
    return st == INDEXBUS_EMPTY ? ib_consumer_empty_status(c) : st;
}

/* ---- blocking -------------------------------------------------------------------- */

#define IB_SPIN_POLLS 2000u
#define IB_MAX_PARK_NS 100000000ull /* re-check at least every 100 ms */

/* Anything to take (or a bad entry to report): not EMPTY. */
static int peek_any(indexbus_consumer *c)
{
    uint32_t idx, src;
    if (ib_has_log(c->h.v))
        return ib_log_peek_any(c);
    return peek(c, &idx, &src);
}

static int has_message(void *ctx)
{
    indexbus_consumer *c = ctx;
    return peek_any(c) != INDEXBUS_EMPTY || ib_consumer_empty_status(c) == INDEXBUS_DISCONNECTED;
}

INDEXBUS_API int indexbus_wait(indexbus_consumer *c, uint64_t timeout_ns)
{
    if (c == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (c->borrowed != INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    uint64_t deadline = 0;
    int parked = 0;
    for (uint32_t polls = 0;; polls++) {
        int st = peek_any(c);
        if (st != INDEXBUS_EMPTY)
            return st;
        if (ib_consumer_empty_status(c) == INDEXBUS_DISCONNECTED)
            return INDEXBUS_DISCONNECTED;
        if (parked) {
            /* a park that ended with nothing to take may be a dead peer's
             * doing: recover here, off the path of a real wake-up */
            indexbus_recover_report rep = {.size = sizeof(rep)};
            ib_recover(c->h.region, 0, &rep);
            parked = 0;
            if (rep.dead != 0)
                continue; /* re-check at once: maybe DISCONNECTED now */
        }
        if (polls < IB_SPIN_POLLS) {
            ib_cpu_relax();
            continue;
        }
        uint64_t now = ib_now_monotonic_ns();
        if (deadline == 0)
            deadline = ib_deadline(now, timeout_ns);
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        uint64_t left = deadline - now;
        ib_park(c->wake, has_message, c, left < IB_MAX_PARK_NS ? left : IB_MAX_PARK_NS);
        parked = 1;
    }
}

INDEXBUS_API int indexbus_recv(indexbus_consumer *c, void *buf, size_t cap, size_t *len,
                               uint64_t timeout_ns)
{
    if (c != NULL && c->hold) /* indexbus_recv_held */
        return INDEXBUS_BAD_STATE;
    int st = indexbus_wait(c, timeout_ns);
    if (st != INDEXBUS_OK)
        return st;
    return indexbus_try_recv(c, buf, cap, len);
}
