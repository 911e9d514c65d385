/* recover.c - hand a dead participant's resources back (LAYOUT.md 5.14).
 * A participant is dead when its
 * entry is ACTIVE but the OFD lock its process held is gone (the kernel
 * drops it at exit). A recoverer takes that lock itself through a second
 * open file description, which also keeps two recoverers apart. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/logring.h"
#include "../common/mpsc.h"
#include "../common/slots.h"
#include "../common/wake.h"
#include "../durable/durable.h"
#include "../handles/step.h"
#include "../rpc/rpc.h"
#include "../stream/stream.h"
#include "liveness.h"

/* Threads of one process share the probe descriptor, whose locks do not
 * exclude each other, so they take turns here. */
static pthread_mutex_t ib_recover_mutex = PTHREAD_MUTEX_INITIALIZER;

static void dec_saturating(uint32_t *count)
{
    uint32_t n = ib_load_relaxed(count);
    /* as detach's sub.ar: pairs with the acquire loads of *_live (5.2) */
    while (n != 0 && !ib_cas_acq_rel(count, &n, n - 1))
        ;
}

/* Slots a dead producer claimed (or put but never published) go back. */
static uint32_t reclaim_owned(const ib_view *v, uint32_t owner)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->slot_count; i++) {
        if (ib_load_relaxed(&ib_slot(v, i)->owner) != owner)
            continue;
        ib_slot_to_pool(v, i);
        n++;
    }
    return n;
}

/* The cells a dead MPSC producer reserved but never filled would stall the
 * queue for ever: mark them skipped. A live producer that turns out to own
 * one fails its publishing CAS and reserves again, so nothing is lost. One
 * cell, or in a batch-reservation region (5.4.1) the journal's count of
 * them: read once, clamped to 1..min(64, Q) (LAYOUT.md 7: a forged count
 * can only skip cells below tail still unfilled, whose live owners, if
 * any, reserve again). In an MPSC-recycling region (5.22) the slot parked
 * in a skipped cell goes to the pool (taken by CAS, as `as`: the dead
 * entry's owner value): nobody would take it there any more. */
static uint32_t skip_reservation(const ib_view *v, uint64_t reserve, uint32_t reserved,
                                 uint32_t as, uint32_t *reclaimed)
{
    if (reserve == 0)
        return 0;
    uint64_t pos = reserve - 1;
    uint32_t count = 1, n = 0;
    if (v->mpsc_batch && reserved > 1)
        count = reserved > IB_MPSC_BATCH_MAX ? IB_MPSC_BATCH_MAX : reserved;
    if (count > v->queue_capacity)
        count = v->queue_capacity;
    /* no data to pair with (LAYOUT.md 5.2: tail is a reservation only) */
    uint64_t tail = ib_load_acquire(&v->mpsc->tail);
    for (uint32_t j = 0; j < count && (int64_t)(tail - (pos + j)) > 0; j++) {
        uint64_t expect = pos + j; /* never reserved from the first at or past tail on */
        /* pairs with the reader's acquire load of seq in ib_mpsc_peek (5.2) */
        if (!ib_cas_acq_rel(&v->mpsc_cells[(pos + j) & v->queue_mask].seq, &expect,
                            (pos + j + 1) | INDEXBUS_MPSC_SKIP))
            continue;
        n++;
        if (v->mpsc_recycle)
            *reclaimed += (uint32_t)ib_mpsc_displace(v, pos + j, as);
    }
    return n;
}

static void release_ref(const ib_view *v, uint32_t idx, uint32_t *reclaimed)
{
    if (idx < v->slot_count)
        *reclaimed += (uint32_t)ib_slot_release(v, idx);
}

/* A dead consumer's slot in hand: released only if it had already moved
 * the queue past it (otherwise the slot is still queued). */
static void release_held(const ib_view *v, const indexbus_participant *e, uint64_t head,
                         uint32_t *reclaimed)
{
    uint32_t held = ib_load_relaxed(&e->held_slot); /* once; release_ref checks it (LAYOUT.md 7) */
    if (held != 0 && head == ib_load_relaxed(&e->held_pos) + 1)
        release_ref(v, held - 1, reclaimed);
}

/* The dead consumer owns `index` (its owner word says so). */
static void recover_fanout_consumer(indexbus_region *r, uint32_t slot, uint32_t index,
                                    uint32_t flags, indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    indexbus_participant *e = &v->parts->entries[slot];
    /* stop routing to it, as a closing consumer would; pairs with the
     * router's loads of consumer_owner after its acquire of consumer_epoch */
    ib_store_release(&v->parts->consumer_owner[index], (slot + 1) | INDEXBUS_OWNER_LEAVING);
    uint32_t epoch = ib_bump_consumer_epoch(v);
    if (!(flags & IB_RECOVER_BY_ROUTER)) /* a router between steps has nothing in flight */
        ib_await_router(r, epoch, 0);
    ib_spsc q;
    ib_spsc_attach_reader(&q, ib_consumer_queue(v, index), v->queue_capacity);
    release_held(v, e, q.pos, &rep->slots_reclaimed);
    if (ib_durable_holds(v, index))
        return; /* a holder's queue waits for the next holder (5.20) */
    uint32_t idx;
    for (uint32_t n = 0; n < v->queue_capacity && ib_spsc_peek(&q, &idx) == INDEXBUS_OK; n++) {
        /* parked before it died: released already (5.21) */
        int parked = ib_slot_parked_in(v, idx, index, q.pos);
        ib_spsc_advance(&q);
        if (!parked)
            release_ref(v, idx, &rep->slots_reclaimed);
        rep->dropped++;
    }
}

/* A dead consumer borrowed a slot that parks (5.16): the message counts as
 * taken, as it would had the slot come from the pool. If head has not moved
 * past it yet, park it and move head, as recv_end would have; if head has
 * moved, the slot is parked already and may be in use again: leave it. */
static void finish_parking_borrow(const ib_view *v, const indexbus_participant *e)
{
    /* each journal word and head read once, checked, then only the copies
     * are used (LAYOUT.md 7) */
    uint32_t held = ib_load_relaxed(&e->held_slot);
    uint64_t head = ib_load_acquire(&v->spsc->head); /* pairs with ib_spsc_commit */
    if (held == 0 || held - 1 >= v->slot_count || head != ib_load_relaxed(&e->held_pos) ||
        /* pairs with the release store of tail in ib_spsc_publish */
        ib_load_acquire(&v->spsc->tail) == head ||
        ib_load_relaxed(&v->spsc_cells[head & v->queue_mask]) != held - 1)
        return;
    ib_slot_park(v, held - 1, head);
    /* pairs with the acquire load of head in ib_spsc_space */
    ib_store_release(&v->spsc->head, head + 1);
    uint64_t *delivered = &v->consumer_counters[0].delivered;
    ib_store_relaxed(delivered, ib_load_relaxed(delivered) + 1); /* its writer is dead */
}

/* The same for a borrow off the MPSC queue of an MPSC-recycling region
 * (5.22): if head is still at it, park it and free its cell, as recv_end
 * would have; if head has moved, it is parked already: leave it. */
static void finish_parking_borrow_mpsc(const ib_view *v, const indexbus_participant *e)
{
    /* each journal word, head and the cell read once, checked, then only
     * the copies are used (LAYOUT.md 7) */
    uint32_t held = ib_load_relaxed(&e->held_slot);
    uint64_t head = ib_load_acquire(&v->mpsc->head); /* pairs with ib_mpsc_advance's release */
    if (held == 0 || held - 1 >= v->slot_count || head != ib_load_relaxed(&e->held_pos))
        return;
    indexbus_mpsc_cell *cell = &v->mpsc_cells[head & v->queue_mask];
    /* pairs with the release CAS of seq in ib_mpsc_fill */
    if (ib_load_acquire(&cell->seq) != head + 1 || ib_load_relaxed(&cell->value) != held - 1)
        return;
    ib_slot_park_mpsc(v, held - 1, head);
    ib_mpsc_advance(v->mpsc, v->queue_mask, &head);
    uint64_t *delivered = &v->consumer_counters[0].delivered;
    ib_store_relaxed(delivered, ib_load_relaxed(delivered) + 1); /* its writer is dead */
}

static void recover_events_consumer(const ib_view *v, const indexbus_participant *e,
                                    indexbus_recover_report *rep)
{
    ib_mpsc_settle_head(v->mpsc, v->queue_mask); /* whatever it was doing when it died */
    uint32_t src = ib_load_relaxed(&e->held_src); /* read once (LAYOUT.md 7) */
    if (src == IB_SRC_SPSC && v->recycle) {
        finish_parking_borrow(v, e);
        return;
    }
    if (src == IB_SRC_MPSC && v->mpsc_recycle) { /* only borrows journal there */
        finish_parking_borrow_mpsc(v, e);
        return;
    }
    /* pairs with the head releases in ib_spsc_commit / ib_mpsc_advance */
    uint64_t head = src == IB_SRC_SPSC ? ib_load_acquire(&v->spsc->head)
                                       : ib_load_acquire(&v->mpsc->head);
    release_held(v, e, head, &rep->slots_reclaimed);
    /* its backlog stays queued for the next consumer */
}

/* Release whatever exclusive role word names `slot`, found by looking at
 * the words themselves rather than trusting the entry. Returns the consumer
 * index it owned, or -1. */
static int release_roles(indexbus_region *r, uint32_t slot, uint32_t flags,
                         indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    indexbus_participants_ctl *c = &v->parts->ctl;
    int consumer = -1;
    uint32_t *words[2] = {&c->spsc_owner, &c->router_owner};
    for (int i = 0; i < 2; i++) {
        uint32_t cur = slot + 1;
        /* as detach's store.rel(0): pairs with the next holder's acquire CAS */
        ib_cas_acq_rel(words[i], &cur, 0);
    }
    for (uint32_t i = 0; i < v->consumer_count; i++) {
        /* pairs with attach's CAS and leave's release store */
        uint32_t cur = ib_load_acquire(&v->parts->consumer_owner[i]);
        if ((cur & ~INDEXBUS_OWNER_LEAVING) != slot + 1)
            continue;
        consumer = (int)i;
        if (v->kind == INDEXBUS_KIND_FANOUT)
            recover_fanout_consumer(r, slot, i, flags, rep);
        if (ib_has_log(v)) /* while the index is still its own */
            ib_log_recover_consumer(v);
        ib_store_relaxed(&v->wake[i].waiters, 0); /* only its consumer parks there */
        /* as detach's store.rel(0): pairs with the next holder's acquire CAS */
        ib_store_release(&v->parts->consumer_owner[i], 0);
        ib_bump_consumer_epoch(v);
    }
    return consumer;
}

/* Undo one dead participant; we hold its entry's lock. 0 when it must
 * wait for a later recovery (a byte-log journal we cannot judge yet): the
 * entry is left as it is, dead and ACTIVE, for the next recoverer. */
static int recover_entry(indexbus_region *r, uint32_t slot, uint32_t flags,
                         indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    indexbus_participant *e = &v->parts->entries[slot];
    uint32_t role = ib_load_acquire(&e->role); /* pairs with attach_once's release of role */
    /* a marked publish it left half done: judged before padding below
     * (5.20), and only while the SPSC role is still its own, so a forged
     * role word cannot make us settle under a live producer; pairs with the
     * producer's acquire CAS of spsc_owner in attach_once */
    if (v->durable != NULL && ib_load_acquire(&v->parts->ctl.spsc_owner) == slot + 1)
        ib_mark_settle(v);
    if (ib_has_log(v)) {
        /* a byte-log producer's unfinished record becomes padding (5.17);
         * the journal words are read once and checked there (LAYOUT.md 7) */
        int padded = ib_log_recover_producer(v, slot, ib_load_relaxed(&e->log_reserve),
                                             ib_load_relaxed(&e->log_size));
        if (padded < 0)
            return 0;
        rep->cells_skipped += (uint32_t)padded;
    } else if (v->pool != NULL) {
        /* producers: what they claimed, and a reservation they never filled */
        rep->slots_reclaimed += reclaim_owned(v, slot + 1);
        rep->cells_skipped += skip_reservation(v, ib_load_relaxed(&e->mpsc_reserve),
                                               ib_load_relaxed(&e->reserved), slot + 1,
                                               &rep->slots_reclaimed);
    }
    /* a dead router's half-made step, while the role is still its own;
     * pairs with the router's acquire CAS of router_owner in attach_once */
    if (v->kind == INDEXBUS_KIND_FANOUT && ib_load_acquire(&v->parts->ctl.router_owner) == slot + 1) {
        ib_step_finish(v);
        /* killed parked: its waiter count would read as "parked" for ever */
        ib_store_relaxed(&v->wake[v->consumer_count].waiters, 0);
    }
    int consumer = release_roles(r, slot, flags, rep);
    if (consumer >= 0 && v->kind == INDEXBUS_KIND_EVENTS)
        recover_events_consumer(v, e, rep);
    if (v->stream != NULL) /* its seats (an aborted writer), or the read end */
        ib_stream_recover_entry(v, slot, consumer >= 0);
    if (v->rpc != NULL) /* the cells it held as a client or a server */
        ib_rpc_recover_entry(v, slot, role);
    if (role == INDEXBUS_ROLE_ROUTER && v->kind == INDEXBUS_KIND_FANOUT) /* a forged role elsewhere */
        ib_mpsc_settle_head(v->mpsc, v->queue_mask); /* a router reads the MPSC source too */
    uint32_t *live = ib_live_count(v, role, NULL);
    ib_store_relaxed(&e->role, 0); /* a recoverer dying here does not uncount it twice */
    if (live != NULL)
        dec_saturating(live);
    memset((uint8_t *)e + 4, 0, sizeof(*e) - 4); /* all but state */
    /* pairs with the acquire CAS in ib_take_entry: the cleared entry is seen */
    ib_store_release(&e->state, INDEXBUS_PARTICIPANT_FREE);
    rep->dead++;
    return 1;
}

/* Recover entry i if it is dead: 1 if it is alive, 0 if not, -1 on I/O. */
static int recover_if_dead(indexbus_region *r, uint32_t i, int *probe, uint32_t flags,
                           indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    /* pairs with the release CAS in ib_take_entry */
    if (ib_load_acquire(&v->parts->entries[i].state) != INDEXBUS_PARTICIPANT_ACTIVE)
        return 0;
    if (ib_is_mine(r, i))
        return 1;
    if (*probe < 0 && (*probe = ib_open_probe(r)) < 0)
        return -1;
    /* the recovery byte first: a refused attach that sees it waits */
    if (!ib_lock_entry(*probe, v, i, INDEXBUS_LOCK_RECOVERY, F_WRLCK))
        return 1; /* another process is recovering it */
    int alive = !ib_lock_entry(*probe, v, i, INDEXBUS_LOCK_LIVENESS, F_WRLCK);
    if (!alive) {
        /* again, now that we hold the lock (5.2): pairs with release_entry */
        if (ib_load_acquire(&v->parts->entries[i].state) == INDEXBUS_PARTICIPANT_ACTIVE &&
            !recover_entry(r, i, flags, rep))
            alive = 1; /* not yet: counts as alive until a later recovery */
        ib_lock_entry(*probe, v, i, INDEXBUS_LOCK_LIVENESS, F_UNLCK);
    }
    ib_lock_entry(*probe, v, i, INDEXBUS_LOCK_RECOVERY, F_UNLCK);
    return alive;
}

int ib_recover(indexbus_region *r, uint32_t flags, indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    int probe = -1, alive = 0, st = INDEXBUS_OK;
    if (r->read_only)
        return INDEXBUS_PERMISSION; /* an observer writes nothing (indexbus.h) */
    pthread_mutex_lock(&ib_recover_mutex);
    /* the router first: its last step completes before any dead
     * consumer's queue is drained, so nothing lands in a drained queue */
    /* pairs with the router's acquire CAS of router_owner in attach_once */
    uint32_t first = ib_load_acquire(&v->parts->ctl.router_owner) - 1;
    for (uint32_t n = 0; n <= INDEXBUS_MAX_PARTICIPANTS; n++) {
        uint32_t i = n == 0 ? first : n - 1;
        if (i >= INDEXBUS_MAX_PARTICIPANTS || (n != 0 && i == first))
            continue;
        int a = recover_if_dead(r, i, &probe, flags, rep);
        if (a < 0) {
            st = INDEXBUS_IO;
            break;
        }
        alive += a;
    }
    if (rep->dead)
        ib_wake_all(v); /* parked peers re-check for DISCONNECTED */
    if (st == INDEXBUS_OK && (flags & INDEXBUS_RECOVER_SWEEP))
        st = alive ? INDEXBUS_BUSY : ib_sweep_quiet(r, rep);
    pthread_mutex_unlock(&ib_recover_mutex);
    return st;
}

INDEXBUS_API int indexbus_region_recover(indexbus_region *region, uint32_t flags,
                                         indexbus_recover_report *report)
{
    indexbus_recover_report local;
    if (region == NULL || flags & ~INDEXBUS_RECOVER_SWEEP ||
        (report != NULL && report->size < sizeof(*report)))
        return INDEXBUS_INVALID_ARGUMENT;
    if (report == NULL)
        report = &local;
    memset(report, 0, sizeof(*report));
    report->size = sizeof(*report);
    uint64_t t0 = ib_now_monotonic_ns();
    int st = ib_recover(region, flags, report);
    report->elapsed_ns = ib_now_monotonic_ns() - t0;
    return st;
}
