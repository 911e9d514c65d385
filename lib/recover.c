/* recover.c - hand a dead participant's resources back, list participants,
 * and remove regions nobody alive uses. A participant is dead when its
 * entry is ACTIVE but the OFD lock its process held is gone (the kernel
 * drops it at exit). A recoverer takes that lock itself through a second
 * open file description, which also keeps two recoverers apart. */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ring.h"

/* Threads of one process share the probe descriptor, whose locks do not
 * exclude each other, so they take turns here. */
static pthread_mutex_t ib_recover_mutex = PTHREAD_MUTEX_INITIALIZER;

static void dec_saturating(uint32_t *count)
{
    uint32_t n = ib_load_relaxed(count);
    while (n != 0 && !ib_cas_acq_rel(count, &n, n - 1))
        ;
}

/* Slots a dead producer claimed (or put but never published) go back. */
static uint32_t reclaim_owned(const ib_view *v, uint32_t owner)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->slot_count; i++) {
        indexbus_slot_header *s = ib_slot(v, i);
        if (ib_load_relaxed(&s->owner) != owner)
            continue;
        s->owner = 0;
        ib_pool_free(v, i);
        n++;
    }
    return n;
}

/* A reader that died between freeing an MPSC cell and moving head leaves
 * head on a cell already marked free for the next lap: finish the move. */
static void settle_mpsc_head(const ib_view *v)
{
    uint64_t h = ib_load_acquire(&v->mpsc->head);
    if (ib_load_acquire(&v->mpsc_cells[h & v->queue_mask].seq) == h + v->queue_capacity)
        ib_store_release(&v->mpsc->head, h + 1);
}

/* The cell a dead MPSC producer reserved but never filled would stall the
 * queue for ever: mark it skipped. A live producer that turns out to own it
 * fails its publishing CAS and reserves again, so nothing is lost. */
static uint32_t skip_reservation(const ib_view *v, uint64_t reserve)
{
    if (reserve == 0)
        return 0;
    uint64_t pos = reserve - 1;
    if ((int64_t)(ib_load_acquire(&v->mpsc->tail) - pos) <= 0)
        return 0; /* never reserved */
    uint64_t expect = pos;
    return ib_cas_acq_rel(&v->mpsc_cells[pos & v->queue_mask].seq, &expect,
                          (pos + 1) | INDEXBUS_MPSC_SKIP);
}

static void release_ref(const ib_view *v, uint32_t idx, uint32_t *reclaimed)
{
    if (idx < v->slot_count && ib_slot_unref(v, idx) == 1) {
        ib_pool_free(v, idx);
        (*reclaimed)++;
    }
}

/* A dead consumer's slot in hand: released only if it had already moved
 * the queue past it (otherwise the slot is still queued). */
static void release_held(const ib_view *v, const indexbus_participant *e, uint64_t head,
                         uint32_t *reclaimed)
{
    uint32_t held = ib_load_relaxed(&e->held_slot);
    if (held != 0 && head == ib_load_relaxed(&e->held_pos) + 1)
        release_ref(v, held - 1, reclaimed);
}

static indexbus_spsc_ctl *consumer_queue(const ib_view *v, uint32_t index)
{
    return (indexbus_spsc_ctl *)(v->consumer_queues + index * v->cq_stride);
}

static void recover_fanout_consumer(indexbus_region *r, uint32_t slot, uint32_t index,
                                    indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    indexbus_participant *e = &v->parts->entries[slot];
    /* stop routing to it, as a closing consumer would; if it died before
     * owning the index, the index and its queue are not its to touch */
    uint32_t owner = slot + 1;
    if (!ib_cas_acq_rel(&v->parts->consumer_owner[index], &owner,
                        (slot + 1) | INDEXBUS_OWNER_LEAVING) &&
        owner != ((slot + 1) | INDEXBUS_OWNER_LEAVING))
        return;
    ib_await_router(v, ib_bump_consumer_epoch(v));
    ib_spsc q;
    ib_spsc_attach_reader(&q, consumer_queue(v, index), v->queue_capacity);
    release_held(v, e, q.pos, &rep->slots_reclaimed);
    uint32_t idx;
    for (uint32_t n = 0; n < v->queue_capacity && ib_spsc_peek(&q, &idx) == INDEXBUS_OK; n++) {
        ib_spsc_advance(&q);
        release_ref(v, idx, &rep->slots_reclaimed);
        rep->dropped++;
    }
}

static void recover_events_consumer(const ib_view *v, const indexbus_participant *e,
                                    indexbus_recover_report *rep)
{
    if (ib_load_relaxed(&e->held_src) == 0) {
        release_held(v, e, ib_load_acquire(&v->spsc->head), &rep->slots_reclaimed);
    } else {
        settle_mpsc_head(v);
        release_held(v, e, ib_load_acquire(&v->mpsc->head), &rep->slots_reclaimed);
    }
    /* its backlog stays queued for the next consumer */
}

static uint32_t *exclusive_owner(ib_view *v, uint32_t role, uint32_t index)
{
    switch (role) {
    case INDEXBUS_ROLE_SPSC_PRODUCER: return &v->parts->ctl.spsc_owner;
    case INDEXBUS_ROLE_ROUTER: return &v->parts->ctl.router_owner;
    case INDEXBUS_ROLE_CONSUMER: return &v->parts->consumer_owner[index];
    default: return NULL;
    }
}

static uint32_t *live_count(ib_view *v, uint32_t role)
{
    indexbus_participants_ctl *c = &v->parts->ctl;
    if (role == INDEXBUS_ROLE_CONSUMER)
        return &c->consumers_live;
    if (role == INDEXBUS_ROLE_ROUTER)
        return &c->routers_live;
    return &c->producers_live;
}

/* Undo one dead participant; we hold its entry's lock. */
static void recover_entry(indexbus_region *r, uint32_t slot, indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    indexbus_participant *e = &v->parts->entries[slot];
    uint32_t role = ib_load_relaxed(&e->role), index = ib_load_relaxed(&e->index);
    int known = role >= INDEXBUS_ROLE_SPSC_PRODUCER && role <= INDEXBUS_ROLE_CONSUMER &&
                (role != INDEXBUS_ROLE_CONSUMER || index < v->consumer_count) &&
                (role != INDEXBUS_ROLE_ROUTER || v->kind == INDEXBUS_KIND_FANOUT);
    if (known) {
        if (role == INDEXBUS_ROLE_SPSC_PRODUCER || role == INDEXBUS_ROLE_MPSC_PRODUCER) {
            rep->slots_reclaimed += reclaim_owned(v, slot + 1);
            rep->cells_skipped += skip_reservation(v, ib_load_relaxed(&e->mpsc_reserve));
        } else if (role == INDEXBUS_ROLE_CONSUMER && v->kind == INDEXBUS_KIND_FANOUT) {
            recover_fanout_consumer(r, slot, index, rep);
        } else if (role == INDEXBUS_ROLE_CONSUMER) {
            recover_events_consumer(v, e, rep);
        } else {
            settle_mpsc_head(v); /* a router reads the MPSC source too */
        }
        uint32_t *owner = exclusive_owner(v, role, index);
        if (owner != NULL) {
            uint32_t cur = ib_load_relaxed(owner);
            if ((cur & ~INDEXBUS_OWNER_LEAVING) == slot + 1)
                ib_cas_acq_rel(owner, &cur, 0);
        }
        if (role == INDEXBUS_ROLE_CONSUMER)
            ib_bump_consumer_epoch(v);
        dec_saturating(live_count(v, role));
    }
    memset((uint8_t *)e + 4, 0, sizeof(*e) - 4); /* all but state */
    ib_store_release(&e->state, INDEXBUS_PARTICIPANT_FREE);
    rep->dead++;
}

/* Rebuild the pool when nobody is attached: every slot no queue references
 * is free, and a queued slot's refcount is the number of references. */
static int sweep(ib_view *v, indexbus_recover_report *rep)
{
    uint32_t *refs = calloc(v->slot_count, sizeof(uint32_t));
    if (refs == NULL)
        return INDEXBUS_NO_MEMORY;
    ib_spsc q;
    uint32_t idx;
    ib_spsc_attach_reader(&q, v->spsc, v->queue_capacity);
    for (uint32_t n = 0; n < v->queue_capacity && ib_spsc_peek(&q, &idx) == INDEXBUS_OK; n++, q.pos++)
        if (idx < v->slot_count)
            refs[idx]++;
    settle_mpsc_head(v);
    uint64_t pos = ib_load_acquire(&v->mpsc->head);
    for (uint32_t n = 0; n < v->queue_capacity; n++, pos++) {
        uint64_t seq = ib_load_acquire(&v->mpsc_cells[pos & v->queue_mask].seq);
        if (seq != pos + 1 && seq != ((pos + 1) | INDEXBUS_MPSC_SKIP))
            break;
        idx = ib_load_relaxed(&v->mpsc_cells[pos & v->queue_mask].value);
        if (seq == pos + 1 && idx < v->slot_count)
            refs[idx]++;
    }
    for (uint32_t c = 0; v->kind == INDEXBUS_KIND_FANOUT && c < v->consumer_count; c++) {
        ib_spsc_attach_reader(&q, consumer_queue(v, c), v->queue_capacity);
        for (uint32_t n = 0; n < v->queue_capacity && ib_spsc_peek(&q, &idx) == INDEXBUS_OK;
             n++, q.pos++)
            if (idx < v->slot_count)
                refs[idx]++;
    }
    uint32_t before = 0;
    for (uint32_t i = (uint32_t)ib_load_acquire(&v->pool->free_head);
         i < v->slot_count && before < v->slot_count; i = ib_slot(v, i)->next_free)
        before++;
    uint32_t first = INDEXBUS_SLOT_NIL, free_count = 0;
    for (uint32_t i = v->slot_count; i-- > 0;) {
        indexbus_slot_header *s = ib_slot(v, i);
        s->owner = 0;
        s->refcount = refs[i];
        if (refs[i] == 0) {
            s->next_free = first;
            first = i;
            free_count++;
        }
    }
    uint64_t old = ib_load_relaxed(&v->pool->free_head);
    ib_store_release(&v->pool->free_head, (((old >> 32) + 1) << 32) | first);
    if (free_count > before)
        rep->slots_reclaimed += free_count - before;
    free(refs);
    return INDEXBUS_OK;
}

int ib_recover(indexbus_region *r, uint32_t flags, indexbus_recover_report *rep)
{
    ib_view *v = &r->v;
    int probe = -1, alive = 0, st = INDEXBUS_OK;
    pthread_mutex_lock(&ib_recover_mutex);
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        if (ib_load_acquire(&v->parts->entries[i].state) != INDEXBUS_PARTICIPANT_ACTIVE)
            continue;
        if (ib_is_mine(r, i)) {
            alive++;
            continue;
        }
        if (probe < 0 && (probe = ib_open_probe(r)) < 0) {
            st = INDEXBUS_IO;
            break;
        }
        if (!ib_lock_entry(probe, v, i, F_WRLCK)) {
            alive++; /* its process still holds the lock */
            continue;
        }
        if (ib_load_acquire(&v->parts->entries[i].state) == INDEXBUS_PARTICIPANT_ACTIVE)
            recover_entry(r, i, rep);
        ib_lock_entry(probe, v, i, F_UNLCK);
    }
    if (rep->dead)
        ib_wake_all(v); /* parked peers re-check for DISCONNECTED */
    if (st == INDEXBUS_OK && (flags & INDEXBUS_RECOVER_SWEEP))
        st = alive ? INDEXBUS_BUSY : sweep(v, rep);
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
        return INDEXBUS_NOT_FOUND;
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
    info->role = ib_load_relaxed(&e->role);
    info->index = ib_load_relaxed(&e->index);
    info->pid = ib_load_relaxed(&e->pid);
    info->alive = (uint32_t)alive;
    info->attach_time_ns = ib_load_relaxed(&e->attach_time_ns);
    return INDEXBUS_OK;
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
        busy |= ib_load_acquire(&r->v.parts->entries[i].state) != INDEXBUS_PARTICIPANT_FREE;
    indexbus_region_close(r);
    if (st != INDEXBUS_OK)
        return st;
    return busy ? INDEXBUS_BUSY : indexbus_region_unlink(name);
}
