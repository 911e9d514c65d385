/* participants.c - register handles in the region's participant table,
 * keep the live counts that disconnect detection reads, and keep the
 * router informed of the consumer set. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/atomics.h"
#include "../common/clock.h"
#include "../common/wake.h"
#include "liveness.h"

static uint32_t *exclusive_owner(ib_view *v, uint32_t role, uint32_t index)
{
    indexbus_participants_ctl *c = &v->parts->ctl;
    switch (role) {
    case INDEXBUS_ROLE_SPSC_PRODUCER: return &c->spsc_owner;
    case INDEXBUS_ROLE_ROUTER: return &c->router_owner;
    case INDEXBUS_ROLE_CONSUMER: return &v->parts->consumer_owner[index];
    default: return NULL;
    }
}

uint32_t *ib_live_count(ib_view *v, uint32_t role, uint32_t **ever)
{
    indexbus_participants_ctl *c = &v->parts->ctl;
    uint32_t *live, *once;
    switch (role) {
    case INDEXBUS_ROLE_SPSC_PRODUCER:
    case INDEXBUS_ROLE_MPSC_PRODUCER:
    case INDEXBUS_ROLE_RPC_CLIENT: live = &c->producers_live, once = &c->producers_ever; break;
    case INDEXBUS_ROLE_CONSUMER:
    case INDEXBUS_ROLE_RPC_SERVER: live = &c->consumers_live, once = &c->consumers_ever; break;
    case INDEXBUS_ROLE_ROUTER: live = &c->routers_live, once = &c->routers_ever; break;
    default: return NULL; /* role not written yet (or garbage): never counted */
    }
    if (ever != NULL)
        *ever = once;
    return live;
}

/* Tell the router the set of consumers changed. acq_rel: pairs with the
 * router's acquire load of consumer_epoch, so a router that sees the new
 * epoch also sees the owner change made before it. */
uint32_t ib_bump_consumer_epoch(ib_view *v)
{
    /* pairs with the acquire loads of consumer_epoch in refresh_present */
    return ib_fetch_add_acq_rel(&v->parts->ctl.consumer_epoch, 1) + 1;
}

/* A closing consumer stops being routed to but keeps its index. */
uint32_t ib_consumer_leaving(ib_view *v, uint32_t index, uint32_t slot)
{
    /* pairs with the router's loads of consumer_owner after its acquire of
     * consumer_epoch (refresh_present), through the bump below */
    ib_store_release(&v->parts->consumer_owner[index], (slot + 1) | INDEXBUS_OWNER_LEAVING);
    return ib_bump_consumer_epoch(v);
}

static int attach_once(indexbus_region *r, uint32_t role, uint32_t index, uint32_t *slot_out);

/* Is what refused us (the role's holder; for a full table, any entry)
 * being recovered by another process right now? */
static int refusal_being_recovered(indexbus_region *r, uint32_t role, uint32_t index)
{
    ib_view *v = &r->v;
    uint32_t *owner = exclusive_owner(v, role, index);
    if (owner != NULL) {
        /* pairs with the release in attach_once's CAS and detach's store (5.2) */
        uint32_t o = ib_load_acquire(owner) & ~INDEXBUS_OWNER_LEAVING;
        if (o != 0 && o <= INDEXBUS_MAX_PARTICIPANTS)
            return ib_being_recovered(r, o - 1);
    }
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        /* pairs with the release CAS in ib_take_entry */
        if (ib_load_acquire(&v->parts->entries[i].state) == INDEXBUS_PARTICIPANT_ACTIVE &&
            !ib_is_mine(r, i) && ib_being_recovered(r, i))
            return 1;
    return 0;
}

/* Has what refused us gone meanwhile (recovered by somebody else, or
 * released)? The role is free and so is a table entry. */
static int refusal_gone(ib_view *v, uint32_t role, uint32_t index)
{
    uint32_t *owner = exclusive_owner(v, role, index);
    /* pairs with detach's and recovery's release store of 0 */
    if (owner != NULL && ib_load_acquire(owner) != 0)
        return 0;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        /* pairs with detach's and recovery's release store of FREE */
        if (ib_load_acquire(&v->parts->entries[i].state) == INDEXBUS_PARTICIPANT_FREE)
            return 1;
    return 0;
}

#define IB_ATTACH_WAIT_NS 500000000ull /* recovery takes ms; this is a backstop */

/* A role held by a dead process (or a table full of dead entries) frees up
 * once recovered, so a refused attach recovers and tries again; while
 * another process is recovering one, it waits for that to finish. */
int ib_participant_attach(indexbus_region *r, uint32_t role, uint32_t index, uint32_t *slot_out)
{
    uint64_t deadline = 0;
    for (uint32_t tries = 0;; tries++) {
        int st = attach_once(r, role, index, slot_out);
        if (st != INDEXBUS_BUSY)
            return st;
        indexbus_recover_report rep = {.size = sizeof(rep)};
        if (ib_recover(r, 0, &rep) != INDEXBUS_OK)
            return st;
        if ((rep.dead != 0 || refusal_gone(&r->v, role, index)) && tries < INDEXBUS_MAX_PARTICIPANTS)
            continue;
        if (!refusal_being_recovered(r, role, index))
            return st; /* the holder is alive */
        uint64_t now = ib_now_monotonic_ns();
        if (deadline == 0)
            deadline = now + IB_ATTACH_WAIT_NS;
        else if (now > deadline)
            return st;
        struct timespec ts = {0, 100000};
        nanosleep(&ts, NULL);
    }
}

static int attach_once(indexbus_region *r, uint32_t role, uint32_t index, uint32_t *slot_out)
{
    ib_view *v = &r->v;
    indexbus_participant *e = v->parts->entries;
    uint32_t slot = ib_take_entry(r);
    if (slot == INDEXBUS_MAX_PARTICIPANTS)
        return INDEXBUS_BUSY; /* table full */
    uint32_t *owner = exclusive_owner(v, role, index);
    if (owner != NULL) {
        uint32_t expect = 0;
        /* a consumer arrives "leaving": owned, but not routed to until it
         * has cleared what a previous occupant left (consumer.c) */
        uint32_t mine = (slot + 1) | (role == INDEXBUS_ROLE_CONSUMER ? INDEXBUS_OWNER_LEAVING : 0);
        /* pairs with the previous holder's release store of 0 (detach,
         * recovery): its private positions and totals are visible (5.2) */
        if (!ib_cas_acq_rel(owner, &expect, mine)) {
            ib_release_entry(r, slot);
            return INDEXBUS_BUSY;
        }
    }
    /* count first, name the role last: recovery only uncounts an entry
     * whose role is written, so a death in between leaves the count one too
     * high (a missed DISCONNECTED), never too low (a false one) */
    uint32_t *ever = NULL; /* consumers tell the router themselves (consumer.c) */
    uint32_t *live = ib_live_count(v, role, &ever);
    /* the increment pairs with the acquire loads of *_live in disconnect
     * checks; ever's release pairs with their acquire of *_ever, which
     * they read first, so a reader seeing ever = 1 sees the count (5.2) */
    ib_fetch_add_acq_rel(live, 1);
    ib_store_release(ever, 1); /* pairs with the disconnect checks' acquire of *_ever */
    e[slot].index = index;
    e[slot].pid = (uint32_t)getpid();
    e[slot].attach_time_ns = ib_now_realtime_ns();
    /* pairs with the recoverer's acquire load of role (recover_entry) */
    ib_store_release(&e[slot].role, role);
    *slot_out = slot;
    return INDEXBUS_OK;
}

void *ib_handle_attach(indexbus_region *r, size_t size, uint32_t role, uint32_t index, int *st)
{
    /* every producer, consumer, router, stream end and rpc end starts here:
     * a read-only handle takes no entry and writes nothing (indexbus.h) */
    if (r->read_only) {
        *st = INDEXBUS_PERMISSION;
        return NULL;
    }
    ib_handle *h = calloc(1, size);
    if (h == NULL) {
        *st = INDEXBUS_NO_MEMORY;
        return NULL;
    }
    *st = ib_participant_attach(r, role, index, &h->part);
    if (*st != INDEXBUS_OK) {
        free(h);
        return NULL;
    }
    ib_region_ref(r);
    h->region = r;
    h->v = &r->v;
    h->role = role;
    h->index = index;
    h->entry = &r->v.parts->entries[h->part];
    return h;
}

void ib_handle_detach(ib_handle *h)
{
    ib_participant_detach(h->region, h->part, h->role, h->index);
    ib_region_unref(h->region);
    free(h);
}

/* role and index come from the caller's handle, not from shared memory */
void ib_participant_detach(indexbus_region *r, uint32_t slot, uint32_t role, uint32_t index)
{
    ib_view *v = &r->v;
    indexbus_participant *e = &v->parts->entries[slot];
    uint32_t *owner = exclusive_owner(v, role, index);
    uint32_t *live = ib_live_count(v, role, NULL);
    if (owner != NULL) /* pairs with the next holder's acquire CAS in attach_once */
        ib_store_release(owner, 0);
    if (role == INDEXBUS_ROLE_CONSUMER)
        ib_bump_consumer_epoch(v);
    /* unname the role before uncounting it (see attach_once); pairs with
     * the recoverer's acquire load of role */
    ib_store_release(&e->role, 0);
    /* release: everything this participant published happens-before a peer
     * that reads the lower count with acquire (disconnect checks);
     * pairs with those acquire loads of *_live */
    ib_fetch_sub_acq_rel(live, 1);
    /* clear the entry so a quiet region's bytes do not depend on who was
     * attached (golden images), then free it */
    e->index = 0;
    e->pid = 0;
    e->attach_time_ns = 0;
    e->held_slot = e->held_src = 0;
    e->held_pos = e->mpsc_reserve = 0;
    e->log_reserve = 0; /* 1.1: a byte-log producer's journal (0 after each publish) */
    e->log_size = 0;
    ib_release_entry(r, slot);
    ib_wake_all(v); /* parked peers re-check for DISCONNECTED */
}

#define IB_LEAVE_WAIT_NS 50000000ull /* a router that is not routing may never ack */

/* A router that died mid-step never acks: recover it (which completes
 * its step, so nothing lands in a queue after we drain it). */
static void recover_dead_router(indexbus_region *r)
{
    /* pairs with the router's acquire CAS in attach_once / release in detach */
    uint32_t owner = ib_load_acquire(&r->v.parts->ctl.router_owner);
    if (owner == 0 || owner > INDEXBUS_MAX_PARTICIPANTS || ib_participant_alive(r, owner - 1) != 0)
        return;
    indexbus_recover_report rep = {.size = sizeof(rep)};
    ib_recover(r, 0, &rep);
}

/* Wait until an attached router routes by `epoch` or later: it acks an
 * epoch at the start of a step, so every step that still used the old set
 * of consumers has finished. Bounded: a router that is not routing may
 * never ack. */
void ib_await_router(indexbus_region *r, uint32_t epoch, int may_recover)
{
    ib_view *v = &r->v;
    /* pairs with the router's acq_rel increment / decrement of routers_live */
    if (v->kind != INDEXBUS_KIND_FANOUT || ib_load_acquire(&v->parts->ctl.routers_live) == 0)
        return; /* a router that attaches later reads the owners itself */
    indexbus_wake_entry *rw = &v->wake[v->consumer_count];
    /* A parked router is between steps, and its next step re-reads the
     * consumers first: nothing to wait for (and no waiting on its being
     * scheduled). The fence pairs with the seq_cst increment of waiters and
     * the fence after it in ib_park: either we see the router parking, or
     * it sees our epoch in its last check and routes (and acks) instead.
     * Only the router parks on this entry; recovery clears a dead one's.
     * Either way it is woken, so that it acks (consumer_stats' attached)
     * now rather than at the end of its park. */
    ib_fence_seq_cst(); /* pairs with the seq_cst add of waiters in ib_park */
    int parked = ib_load_relaxed(&rw->waiters) != 0;
    ib_wake_kick(rw); /* a router about to park wakes and acks */
    if (parked)
        return;
    uint64_t deadline = ib_now_monotonic_ns() + IB_LEAVE_WAIT_NS;
    /* pairs with the router's release store of seen_epoch in refresh_present */
    for (uint32_t n = 1; ib_load_acquire(&v->parts->ctl.routers_live) != 0 &&
                         (int32_t)(ib_load_acquire(&v->router->seen_epoch) - epoch) < 0 &&
                         ib_now_monotonic_ns() < deadline;
         n++) {
        if (may_recover && n % 64 == 0)
            recover_dead_router(r);
        sched_yield();
    }
}

INDEXBUS_API int indexbus_region_participant(indexbus_region *region, uint32_t slot,
                                             indexbus_participant_info *info)
{
    if (region == NULL || info == NULL || info->size < sizeof(*info))
        return INDEXBUS_INVALID_ARGUMENT;
    if (slot >= INDEXBUS_MAX_PARTICIPANTS)
        return INDEXBUS_OUT_OF_RANGE;
    const indexbus_participant *e = &region->v.parts->entries[slot];
    int alive = ib_participant_alive(region, slot);
    if (alive < 0)
        return alive == -1 ? INDEXBUS_NOT_FOUND : INDEXBUS_IO;
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
    info->role = ib_load_relaxed(&e->role);
    info->index = ib_load_relaxed(&e->index);
    info->pid = ib_load_relaxed(&e->pid);
    info->alive = (uint32_t)alive;
    info->attach_time_ns = ib_load_relaxed(&e->attach_time_ns);
    return INDEXBUS_OK;
}
