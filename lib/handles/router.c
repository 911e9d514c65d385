/* router.c - fanout routing: producer queues -> consumer queues.
 * The router takes a message off its source only after delivering it, so
 * "source empty" tells consumers nothing is in flight (disconnect). */
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include "../common/mpsc.h"
#include "../common/slots.h"
#include "../common/wake.h"
#include "../liveness/liveness.h"
#include "recycle.h"
#include "step.h"

struct indexbus_router {
    ib_handle h; /* first: region, view, entry */
    uint32_t turn;   /* SOURCE_ANY: queue to try first */
    uint32_t stop;   /* atomic: set by indexbus_router_stop */
    uint32_t running; /* atomic: indexbus_router_run is in progress */
    ib_spsc in;      /* SPSC producer queue, reader side */
    uint64_t mpsc_pos;
    uint64_t present; /* consumers attached as of epoch */
    uint32_t epoch;   /* consumer_epoch that present reflects */
    uint32_t stalled; /* the last step left a message for want of space */
    ib_spsc out[INDEXBUS_MAX_CONSUMERS]; /* consumer queues, writer side */
};

static void refresh_present(indexbus_router *r);

INDEXBUS_API int indexbus_router_open(indexbus_region *region, indexbus_router **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = &region->v;
    if (v->kind != INDEXBUS_KIND_FANOUT)
        return INDEXBUS_WRONG_KIND;
    int st;
    indexbus_router *r = ib_handle_attach(region, sizeof(*r), INDEXBUS_ROLE_ROUTER, 0, &st);
    if (r == NULL)
        return st;
    ib_spsc_attach_reader(&r->in, v->spsc, v->queue_capacity);
    /* pairs with the previous router's release of head in ib_mpsc_advance */
    r->mpsc_pos = ib_load_acquire(&v->mpsc->head);
    ib_step_finish(v); /* normally done by whoever recovered our predecessor */
    r->epoch = ib_load_relaxed(&v->parts->ctl.consumer_epoch) - 1; /* force a first refresh */
    refresh_present(r);
    for (uint32_t i = 0; i < v->consumer_count; i++)
        ib_spsc_attach_writer(&r->out[i], ib_consumer_queue(v, i), v->queue_capacity);
    ib_notify_register();
    *out = r;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_router_close(indexbus_router *r)
{
    if (r == NULL)
        return INDEXBUS_OK;
    ib_handle_detach(&r->h);
    return INDEXBUS_OK;
}

static int peek_src(indexbus_router *r, uint32_t src, uint32_t *idx)
{
    if (src == IB_SRC_SPSC)
        return ib_spsc_peek(&r->in, idx);
    return ib_mpsc_peek(r->h.v->mpsc, r->h.v->queue_mask, &r->mpsc_pos, idx);
}

static void advance_src(indexbus_router *r, uint32_t src)
{
    if (src == IB_SRC_SPSC)
        ib_spsc_advance(&r->in);
    else
        ib_mpsc_advance(r->h.v->mpsc, r->h.v->queue_mask, &r->mpsc_pos);
}

static int pick_source(indexbus_router *r, uint32_t source, uint32_t *src, uint32_t *idx)
{
    if (source == INDEXBUS_SOURCE_SPSC || source == INDEXBUS_SOURCE_MPSC) {
        *src = source == INDEXBUS_SOURCE_SPSC ? IB_SRC_SPSC : IB_SRC_MPSC;
        return peek_src(r, *src, idx);
    }
    *src = r->turn;
    int st = peek_src(r, *src, idx);
    if (st == INDEXBUS_EMPTY) {
        *src ^= 1;
        st = peek_src(r, *src, idx);
    }
    return st;
}

static void bump(uint64_t *counter) /* single-writer counter: no RMW */
{
    ib_store_relaxed(counter, ib_load_relaxed(counter) + 1);
}

/* Re-read who is attached when the consumer set changed, then ack the
 * epoch: every step that started before this one has finished, which is
 * what a closing consumer waits for before draining its queue. */
static void refresh_present(indexbus_router *r)
{
    ib_view *v = r->h.v;
    /* pairs with the acq_rel bump in ib_bump_consumer_epoch */
    uint32_t e = ib_load_acquire(&v->parts->ctl.consumer_epoch);
    if (e == r->epoch)
        return;
    uint64_t mask = 0;
    for (uint32_t i = 0; i < v->consumer_count; i++) {
        uint32_t owner = ib_load_relaxed(&v->parts->consumer_owner[i]);
        if (owner != 0 && !(owner & INDEXBUS_OWNER_LEAVING))
            mask |= 1ull << i;
    }
    r->present = mask;
    r->epoch = e;
    ib_store_release(&v->router->seen_epoch, e); /* pairs with ib_await_router's acquire of seen_epoch */
}

static int route(indexbus_router *r, uint32_t source, uint32_t mode, uint64_t eligible,
                 uint64_t no_credit, uint64_t full, indexbus_route_result *res)
{
    ib_view *v = r->h.v;
    uint32_t src, idx;
    if (source < INDEXBUS_SOURCE_SPSC || source > INDEXBUS_SOURCE_ANY ||
        (mode != INDEXBUS_MODE_BROADCAST && mode != INDEXBUS_MODE_WORK_QUEUE))
        return INDEXBUS_INVALID_ARGUMENT;
    refresh_present(r);
    int st = pick_source(r, source, &src, &idx);
    if (st == INDEXBUS_EMPTY && v->fanout_recycle && ib_recycle_reclaim(v, r->out)) {
        /* producers waiting for a slot: pairs with the seq_cst add of
         * waiters in ib_park */
        ib_notify_fence();
        ib_wake_if_waiting(&v->wake[v->producer_wake]);
    }
    if (st != INDEXBUS_OK)
        return st;
    if (source == INDEXBUS_SOURCE_ANY)
        r->turn = src ^ 1;
    if (idx >= v->slot_count) { /* idx: read once by the peek (LAYOUT.md 7) */
        advance_src(r, src); /* unusable entry: skip it, say so */
        return INDEXBUS_CORRUPT;
    }

    /* only attached consumers take part: an absent one must not pin slots */
    uint64_t present = r->present;
    uint64_t nc = present & (~eligible | no_credit);
    uint64_t fm = present & full & ~nc;
    uint64_t room = 0, corrupt = 0;
    for (uint64_t m = present & ~nc & ~fm; m; m &= m - 1) {
        uint32_t i = (uint32_t)__builtin_ctzll(m);
        int64_t space = ib_spsc_space(&r->out[i]);
        if (space > 0)
            room |= 1ull << i;
        else if (space == 0)
            fm |= 1ull << i;
        else
            corrupt |= 1ull << i; /* impossible head: never "just full" */
    }
    uint64_t targets = room;
    if (mode == INDEXBUS_MODE_WORK_QUEUE && room) {
        /* reduced before use (LAYOUT.md 7) */
        uint32_t start = ib_load_relaxed(&v->router->rr_next) % v->consumer_count;
        uint64_t rot = (room >> start) | (start ? room << (64 - start) : 0);
        uint32_t pick = (start + (uint32_t)__builtin_ctzll(rot)) % 64;
        targets = 1ull << pick;
        ib_store_relaxed(&v->router->rr_next, (pick + 1) % v->consumer_count);
        nc = fm = 0; /* skipping a busy worker is not a drop */
    }
    if (targets == 0) {
        if (corrupt)
            return INDEXBUS_CORRUPT;
        if (!r->stalled) /* count stalls, not the polls during one */
            bump(&v->counters->route_no_space);
        r->stalled = 1;
        return INDEXBUS_FULL; /* nobody can take it: leave it queued */
    }
    r->stalled = 0;
    if (mode == INDEXBUS_MODE_BROADCAST)
        fm |= corrupt; /* the healthy ones got it; the broken ones missed it */

    ib_step step = {.slot = idx, .src = src, .pos = src == IB_SRC_SPSC ? r->in.pos : r->mpsc_pos,
                    .targets = targets, .full = fm, .no_credit = nc};
    ib_step_begin(v, &step);
    if (v->fanout_recycle)
        ib_recycle_take_back(v, &step, r->out);
    ib_step_effects(v, &step, r->out, 0);
    advance_src(r, src);
    ib_step_end(v);
    /* one store-load barrier for every target (see ib_wake_notify);
     * pairs with the seq_cst add of waiters in ib_park */
    ib_notify_fence();
    for (uint64_t m = targets; m; m &= m - 1)
        ib_wake_if_waiting(&v->wake[__builtin_ctzll(m)]);
    /* the source has room again: blocking producers park on our entry too
     * (LAYOUT.md 5.9); while we route, its waiters are theirs */
    ib_wake_if_waiting(&v->wake[v->producer_wake]);
    if (res != NULL) {
        res->routed = 1;
        res->delivered = (uint32_t)__builtin_popcountll(targets);
        res->dropped_full = (uint32_t)__builtin_popcountll(fm);
        res->dropped_no_credit = (uint32_t)__builtin_popcountll(nc);
        res->delivered_mask = targets;
        res->dropped_full_mask = fm;
        res->dropped_no_credit_mask = nc;
    }
    return INDEXBUS_OK;
}

static int route_checked(indexbus_router *r, uint32_t source, uint32_t mode, uint64_t eligible,
                         uint64_t no_credit, uint64_t full, indexbus_route_result *res)
{
    if (r == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (res != NULL) {
        if (res->size < sizeof(*res))
            return INDEXBUS_INVALID_ARGUMENT;
        memset(res, 0, sizeof(*res));
        res->size = sizeof(*res);
    }
    return route(r, source, mode, eligible, no_credit, full, res);
}

INDEXBUS_API int indexbus_route_once(indexbus_router *r, uint32_t source, uint32_t mode)
{
    return route_checked(r, source, mode, ~0ull, 0, 0, NULL);
}

INDEXBUS_API int indexbus_route_once_stats(indexbus_router *r, uint32_t source, uint32_t mode,
                                           indexbus_route_result *res)
{
    if (res == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    return route_checked(r, source, mode, ~0ull, 0, 0, res);
}

INDEXBUS_API int indexbus_route_once_credit(indexbus_router *r, uint32_t source, uint32_t mode,
                                            uint64_t eligible_mask, uint64_t no_credit_mask,
                                            uint64_t full_mask, indexbus_route_result *res)
{
    if (res == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    return route_checked(r, source, mode, eligible_mask, no_credit_mask, full_mask, res);
}

/* ---- loop ---------------------------------------------------------------------------- */

static int sources_busy(void *ctx)
{
    indexbus_router *r = ctx;
    /* stop: pairs with the seq_cst store in indexbus_router_stop; epoch:
     * with ib_bump_consumer_epoch's acq_rel increment */
    return ib_spsc_depth(r->h.v->spsc, r->h.v->queue_capacity) ||
           ib_mpsc_depth(r->h.v->mpsc, r->h.v->queue_capacity) || ib_load_acquire(&r->stop) ||
           ib_load_acquire(&r->h.v->parts->ctl.consumer_epoch) != r->epoch;
}

/* Blocked on full or absent consumers: they do not wake the router, so it
 * parks in short slices, but comes back at once for a stop or a consumer
 * joining or leaving. */
static int stop_or_consumers_changed(void *ctx)
{
    indexbus_router *r = ctx;
    /* stop: pairs with the seq_cst store in indexbus_router_stop; epoch:
     * with ib_bump_consumer_epoch's acq_rel increment */
    return ib_load_acquire(&r->stop) ||
           ib_load_acquire(&r->h.v->parts->ctl.consumer_epoch) != r->epoch;
}

#define IB_STALL_PARK_NS 1000000ull

static int producers_done(indexbus_router *r)
{
    const indexbus_participants_ctl *pc = &r->h.v->parts->ctl;
    /* pairs with the release decrement in ib_participant_detach */
    return ib_load_acquire(&pc->producers_ever) && ib_load_acquire(&pc->producers_live) == 0 &&
           !sources_busy(r);
}

INDEXBUS_API int indexbus_router_run(indexbus_router *r, indexbus_router_loop_config *cfg)
{
    if (r == NULL || cfg == NULL || cfg->size < sizeof(*cfg) ||
        cfg->flags & ~INDEXBUS_ROUTER_EXIT_ON_DISCONNECT)
        return INDEXBUS_INVALID_ARGUMENT;
    uint32_t source = cfg->source ? cfg->source : INDEXBUS_SOURCE_ANY;
    uint32_t mode = cfg->mode ? cfg->mode : INDEXBUS_MODE_BROADCAST;
    uint32_t spins = cfg->spin_iters ? cfg->spin_iters : 4096;
    uint32_t yields = cfg->yield_iters ? cfg->yield_iters : 64;
    uint64_t park = cfg->park_ns ? cfg->park_ns : 10000000ull;
    indexbus_wake_entry *wake = &r->h.v->wake[r->h.v->consumer_count];
    uint32_t idle = 0;
    int st = INDEXBUS_OK;
    cfg->routed = 0;
    /* seq_cst with the loads of stop below and the stop/running pair in
     * indexbus_router_stop: either we see the stop or the stopper sees us;
     * pairs with the seq_cst load of running in indexbus_router_stop */
    ib_store_seq_cst(&r->running, 1);
    while (!ib_load_seq_cst(&r->stop)) { /* pairs with the store in indexbus_router_stop */
        st = route(r, source, mode, ~0ull, 0, 0, NULL);
        if (st == INDEXBUS_OK) {
            cfg->routed++;
            idle = 0;
            continue;
        }
        if (st != INDEXBUS_EMPTY && st != INDEXBUS_FULL)
            break;
        if ((cfg->flags & INDEXBUS_ROUTER_EXIT_ON_DISCONNECT) && producers_done(r)) {
            st = INDEXBUS_DISCONNECTED;
            break;
        }
        int nothing_queued = st == INDEXBUS_EMPTY;
        st = INDEXBUS_OK;
        refresh_present(r); /* ack consumers leaving even while idle */
        if (idle < spins)
            ib_cpu_relax();
        else if (idle < spins + yields)
            sched_yield();
        else if (nothing_queued)
            ib_park(wake, sources_busy, r, park);
        else
            ib_park(wake, stop_or_consumers_changed, r,
                    park < IB_STALL_PARK_NS ? park : IB_STALL_PARK_NS);
        if (idle >= spins + yields && (idle - spins - yields) % 64 == 0) {
            /* idle or stalled for a while: maybe a peer died holding things */
            indexbus_recover_report rep = {.size = sizeof(rep)};
            ib_recover(r->h.region, IB_RECOVER_BY_ROUTER, &rep);
        }
        idle++;
    }
    /* a stop consumed by this run, whatever ended it; a stop sent before
     * run started still ends that run at once */
    ib_store_release(&r->running, 0); /* pairs with the load in indexbus_router_stop */
    ib_store_relaxed(&r->stop, 0);
    return st;
}

INDEXBUS_API int indexbus_router_stop(indexbus_router *r)
{
    if (r == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_store_seq_cst(&r->stop, 1); /* pairs with the loop's load in indexbus_router_run */
    /* only a run can be parked; leaving the region alone otherwise keeps a
     * quiet region's bytes independent of how a binding closes routers */
    if (ib_load_seq_cst(&r->running)) /* pairs with the store of running in the run */
        ib_wake_kick(&r->h.v->wake[r->h.v->consumer_count]);
    return INDEXBUS_OK;
}
