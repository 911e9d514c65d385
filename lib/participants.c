/* participants.c - register handles in the region's participant table and
 * keep the live counts that disconnect detection reads. */
#include <unistd.h>

#include "atomics.h"
#include "internal.h"

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

static void live_counts(ib_view *v, uint32_t role, uint32_t **live, uint32_t **ever)
{
    indexbus_participants_ctl *c = &v->parts->ctl;
    if (role == INDEXBUS_ROLE_CONSUMER) {
        *live = &c->consumers_live;
        *ever = &c->consumers_ever;
    } else if (role == INDEXBUS_ROLE_ROUTER) {
        *live = &c->routers_live;
        *ever = &c->routers_ever;
    } else {
        *live = &c->producers_live;
        *ever = &c->producers_ever;
    }
}

/* Tell the router the set of consumers changed. acq_rel: pairs with the
 * router's acquire load of consumer_epoch, so a router that sees the new
 * epoch also sees the owner change made before it. */
uint32_t ib_bump_consumer_epoch(ib_view *v)
{
    return ib_fetch_add_acq_rel(&v->parts->ctl.consumer_epoch, 1) + 1;
}

/* A closing consumer stops being routed to but keeps its index. */
uint32_t ib_consumer_leaving(ib_view *v, uint32_t index, uint32_t slot)
{
    ib_store_release(&v->parts->consumer_owner[index], (slot + 1) | INDEXBUS_OWNER_LEAVING);
    return ib_bump_consumer_epoch(v);
}

int ib_participant_attach(ib_view *v, uint32_t role, uint32_t index, uint32_t *slot_out)
{
    indexbus_participant *e = v->parts->entries;
    uint32_t slot = INDEXBUS_MAX_PARTICIPANTS;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        uint32_t expect = INDEXBUS_PARTICIPANT_FREE;
        if (ib_cas_acq_rel(&e[i].state, &expect, INDEXBUS_PARTICIPANT_ACTIVE)) {
            slot = i;
            break;
        }
    }
    if (slot == INDEXBUS_MAX_PARTICIPANTS)
        return INDEXBUS_BUSY; /* table full */
    e[slot].role = role;
    e[slot].index = index;
    e[slot].pid = (uint32_t)getpid();
    e[slot].attach_time_ns = ib_now_realtime_ns();

    uint32_t *owner = exclusive_owner(v, role, index);
    if (owner != NULL) {
        uint32_t expect = 0;
        if (!ib_cas_acq_rel(owner, &expect, slot + 1)) {
            ib_store_release(&e[slot].state, INDEXBUS_PARTICIPANT_FREE);
            return INDEXBUS_BUSY;
        }
    }
    uint32_t *live, *ever; /* consumers tell the router themselves (consumer.c) */
    live_counts(v, role, &live, &ever);
    ib_fetch_add_acq_rel(live, 1);
    ib_store_release(ever, 1);
    *slot_out = slot;
    return INDEXBUS_OK;
}

/* role and index come from the caller's handle, not from shared memory */
void ib_participant_detach(ib_view *v, uint32_t slot, uint32_t role, uint32_t index)
{
    indexbus_participant *e = &v->parts->entries[slot];
    uint32_t *owner = exclusive_owner(v, role, index);
    uint32_t *live, *ever;
    live_counts(v, role, &live, &ever);
    if (owner != NULL)
        ib_store_release(owner, 0);
    if (role == INDEXBUS_ROLE_CONSUMER)
        ib_bump_consumer_epoch(v);
    /* release: everything this participant published happens-before a peer
     * that reads the lower count with acquire (disconnect checks) */
    ib_fetch_sub_acq_rel(live, 1);
    /* clear the entry so a quiet region's bytes do not depend on who was
     * attached (golden images), then free it */
    e->role = 0;
    e->index = 0;
    e->pid = 0;
    e->attach_time_ns = 0;
    ib_store_release(&e->state, INDEXBUS_PARTICIPANT_FREE);
    ib_wake_all(v); /* parked peers re-check for DISCONNECTED */
}
