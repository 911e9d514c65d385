/* producer.c - SPSC and MPSC producers: claim/commit/abort, copy publish,
 * batch publish. Publish is claim + copy + commit; there is one path. */
#include <stdlib.h>
#include <string.h>

#include "../common/mpsc.h"
#include "../common/slots.h"
#include "../common/space.h"
#include "../common/wake.h"
#include "../durable/durable.h"
#include "producer.h"

INDEXBUS_API int indexbus_producer_open(indexbus_region *region, uint32_t type,
                                        indexbus_producer **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL || (type != INDEXBUS_PRODUCER_SPSC && type != INDEXBUS_PRODUCER_MPSC))
        return INDEXBUS_INVALID_ARGUMENT;
    /* streams write through stream writers; request/response has no producer */
    if (region->v.kind == INDEXBUS_KIND_STREAM || region->v.kind == INDEXBUS_KIND_RPC)
        return INDEXBUS_WRONG_KIND;
    return ib_producer_open(region, type, out);
}

int ib_producer_open(indexbus_region *region, uint32_t type, indexbus_producer **out)
{
    ib_view *v = &region->v;
    int st;
    indexbus_producer *p = ib_handle_attach(
        region, sizeof(*p),
        type == INDEXBUS_PRODUCER_SPSC ? INDEXBUS_ROLE_SPSC_PRODUCER : INDEXBUS_ROLE_MPSC_PRODUCER, 0, &st);
    if (p == NULL)
        return st;
    p->type = type;
    p->claimed = INDEXBUS_SLOT_NIL;
    if (ib_has_log(v) && (st = ib_log_producer_init(p)) != INDEXBUS_OK) {
        ib_handle_detach(&p->h);
        return st;
    }
    if (type == INDEXBUS_PRODUCER_SPSC) {
        if (!ib_has_log(v))
            ib_spsc_attach_writer(&p->q, v->spsc, v->queue_capacity);
        p->published = ib_load_relaxed(&v->counters->published_spsc);
        if (v->durable != NULL) { /* a journal a dead producer left (5.20) */
            ib_mark_settle(v);
            p->mark = ib_mark_current(v);
        }
    }
    p->wake = &v->wake[v->kind == INDEXBUS_KIND_FANOUT ? v->consumer_count : 0];
    ib_notify_register();
    *out = p;
    return INDEXBUS_OK;
}

/* Every consumer that ever attached has closed. */
int ib_consumers_gone(const ib_view *v)
{
    const indexbus_participants_ctl *c = &v->parts->ctl;
    return ib_load_relaxed(&c->consumers_ever) && ib_load_relaxed(&c->consumers_live) == 0;
}

/* A slot from the pool, owned by us; in an MPSC-recycling region (5.22) a
 * dry pool borrows a slot parked in an MPSC cell instead (taken as ours). */
static int pool_slot(indexbus_producer *p, uint32_t *idx)
{
    const ib_view *v = p->h.v;
    int st = ib_pool_alloc(v, idx);
    if (st == INDEXBUS_OK) {
        ib_store_relaxed(&ib_slot(v, *idx)->owner, p->h.part + 1); /* read by reclaim_owned */
        return st;
    }
    if (st == INDEXBUS_FULL && v->mpsc_recycle &&
        (*idx = ib_mpsc_borrow_parked(v, p->h.part + 1)) != INDEXBUS_SLOT_NIL)
        return INDEXBUS_OK;
    return st;
}

/* Take a free slot and, for SPSC, make sure the queue can take it. An SPSC
 * producer first reuses the slot parked in the cell it writes next. */
static int take_slot(indexbus_producer *p, uint32_t *idx)
{
    const ib_view *v = p->h.v;
    if (p->type == INDEXBUS_PRODUCER_SPSC) {
        int64_t space = ib_spsc_space(&p->q);
        if (space <= 0)
            return space < 0 ? (int)-space : INDEXBUS_FULL;
        if ((v->recycle || v->fanout_recycle) && (*idx = ib_spsc_unpark(v, &p->q)) != INDEXBUS_SLOT_NIL) {
            ib_store_relaxed(&ib_slot(v, *idx)->owner, p->h.part + 1); /* read by reclaim_owned */
            return INDEXBUS_OK;
        }
    }
    return pool_slot(p, idx);
}

/* Copy a message into a slot we own, ready for its push: len, then the
 * refcount, both published by the release of the queue write. */
static void copy_in(const ib_view *v, uint32_t idx, const void *src, uint32_t len)
{
    indexbus_slot_header *s = ib_slot(v, idx);
    if (len)
        memcpy(ib_slot_data(v, idx), src, len);
    s->len = len;
    ib_store_relaxed(&s->refcount, 1);
}

/* Publish our slot idx in our reserved cell pos (5.4.1): owner 0 just
 * before, as 5.7 says; 0 if a recoverer that took us for dead skipped the
 * cell, and the slot is ours again. */
static int mpsc_fill_one(indexbus_producer *p, uint64_t pos, uint32_t idx)
{
    const ib_view *v = p->h.v;
    uint32_t *owner = &ib_slot(v, idx)->owner;
    ib_store_relaxed(owner, 0); /* the queue holds it from the fill on */
    if (ib_mpsc_fill(v->mpsc, v->queue_mask, pos, idx))
        return 1;
    ib_store_relaxed(owner, p->h.part + 1); /* not queued: still ours */
    return 0;
}

/* Push our filled slot idx: reserve a cell, fill it; a cell skipped under
 * us is reserved again. In a recycling region (5.22) the slot parked in
 * the cell goes to the pool: ours takes its place. */
static int mpsc_push_own(indexbus_producer *p, uint32_t idx)
{
    const ib_view *v = p->h.v;
    uint64_t *journal = &p->h.entry->mpsc_reserve;
    for (;;) {
        uint64_t pos;
        int st = ib_mpsc_reserve1(v->mpsc, v->queue_mask, journal, &pos);
        if (st != INDEXBUS_OK)
            return st;
        if (v->mpsc_recycle)
            ib_mpsc_displace(v, pos, p->h.part + 1);
        int ok = mpsc_fill_one(p, pos, idx);
        ib_store_relaxed(journal, 0);
        if (ok)
            return INDEXBUS_OK;
    }
}

/* Queue a filled slot; for SPSC it stays invisible until flush. */
static int enqueue(indexbus_producer *p, uint32_t idx, uint32_t len)
{
    indexbus_slot_header *s = ib_slot(p->h.v, idx);
    s->len = len;
    ib_store_relaxed(&s->refcount, 1); /* published by the queue's release below */
    if (p->type == INDEXBUS_PRODUCER_SPSC) {
        ib_spsc_put(&p->q, idx); /* owner stays ours until flush publishes it */
        p->pending[p->npending++] = idx;
        return INDEXBUS_OK;
    }
    return mpsc_push_own(p, idx); /* owner stays ours unless queued */
}

/* Make n enqueued messages visible, count them and wake the reader. */
static void flush(indexbus_producer *p, uint64_t n)
{
    indexbus_counters_global *c = p->h.v->counters;
    if (p->type == INDEXBUS_PRODUCER_SPSC) {
        /* hand the batch's slots to the queue: clear owners, then publish.
         * The indices come from pending[], never from the cells we wrote:
         * another process may have rewritten those since (LAYOUT.md 7,
         * "never read back what we wrote"; test/hostile-reread.c). */
        for (uint32_t i = 0; i < p->npending; i++)
            ib_store_relaxed(&ib_slot(p->h.v, p->pending[i])->owner, 0);
        p->npending = 0;
        ib_spsc_publish(&p->q);
        p->published += n;
        ib_store_relaxed(&c->published_spsc, p->published); /* single writer */
    } else {
        ib_fetch_add_relaxed(&c->published_mpsc, n);
    }
    ib_wake_notify(p->wake);
}

INDEXBUS_API int indexbus_claim(indexbus_producer *p, void **buf, size_t *capacity)
{
    if (p == NULL || buf == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (ib_has_log(p->h.v)) {
        if (capacity != NULL)
            *capacity = p->h.v->log_max_record;
        return indexbus_claim_len(p, p->h.v->log_max_record, buf);
    }
    if (p->claimed != INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    if (ib_consumers_gone(p->h.v))
        return INDEXBUS_DISCONNECTED;
    uint32_t idx;
    int st = take_slot(p, &idx);
    if (st != INDEXBUS_OK)
        return st;
    p->claimed = idx;
    *buf = ib_slot_data(p->h.v, idx);
    if (capacity != NULL)
        *capacity = p->h.v->slot_data_size;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_commit(indexbus_producer *p, size_t len)
{
    if (p == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (ib_has_log(p->h.v))
        return ib_log_commit(p, len);
    if (p->claimed == INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    if (len > p->h.v->slot_data_size)
        return INDEXBUS_TOO_LARGE;
    int st = enqueue(p, p->claimed, (uint32_t)len);
    if (st != INDEXBUS_OK)
        return st; /* MPSC queue full (queue_capacity < slot_count): claim kept */
    p->claimed = INDEXBUS_SLOT_NIL;
    flush(p, 1);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_abort(indexbus_producer *p)
{
    if (p != NULL && ib_has_log(p->h.v))
        return ib_log_abort(p);
    if (p == NULL || p->claimed == INDEXBUS_SLOT_NIL) /* nothing to hand back */
        return p == NULL ? INDEXBUS_INVALID_ARGUMENT : INDEXBUS_BAD_STATE;
    ib_slot_to_pool(p->h.v, p->claimed);
    p->claimed = INDEXBUS_SLOT_NIL;
    return INDEXBUS_OK;
}

static int mpsc_publish_one(indexbus_producer *p, const void *data, size_t len);

INDEXBUS_API int indexbus_publish(indexbus_producer *p, const void *data, size_t len)
{
    void *buf;
    if (p == NULL || (data == NULL && len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    if (p->type == INDEXBUS_PRODUCER_MPSC && p->h.v->mpsc_recycle)
        return mpsc_publish_one(p, data, len);
    int st = indexbus_claim_len(p, len, &buf);
    if (st != INDEXBUS_OK)
        return st;
    if (len)
        memcpy(buf, data, len);
    st = indexbus_commit(p, len);
    if (st != INDEXBUS_OK)
        indexbus_abort(p);
    return st;
}

INDEXBUS_API int indexbus_publish_batch(indexbus_producer *p, const void *data,
                                        const uint32_t *lens, size_t count, size_t *published)
{
    if (published != NULL)
        *published = 0;
    if (p == NULL || lens == NULL || (data == NULL && count != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    if (ib_has_log(p->h.v))
        return ib_log_publish_batch(p, data, lens, NULL, count, published);
    return ib_slot_publish_batch(p, data, lens, NULL, count, published);
}

/* Publish a piece; a marked one between the journal's two steps (5.20). */
static void flush_piece(indexbus_producer *p, uint64_t n, const uint64_t *mark)
{
    if (mark == NULL) {
        flush(p, n);
        return;
    }
    ib_mark_begin(p, p->q.pos, *mark); /* q.pos: the tail this flush publishes */
    flush(p, n);
    ib_mark_end(p, *mark);
}

/* MPSC batch: the slots for up to n messages come off the pool in one CAS,
 * each then owned as take_slot owns it (recovery frees it if we die before
 * its push). A forged list that names a slot twice (its owner is already
 * ours) keeps the slots before it; the rest are lost to this region. */
static int mpsc_take_slots(indexbus_producer *p, uint32_t *idx, uint32_t n, uint32_t *got)
{
    const ib_view *v = p->h.v;
    int st = ib_pool_alloc_n(v, idx, n, got);
    if (st != INDEXBUS_OK)
        return st;
    for (uint32_t i = 0; i < *got; i++) {
        uint32_t *owner = &ib_slot(v, idx[i])->owner;
        if (ib_load_relaxed(owner) == p->h.part + 1) {
            *got = i;
            break;
        }
        ib_store_relaxed(owner, p->h.part + 1); /* read by recoverers (reclaim_owned) */
    }
    return *got ? INDEXBUS_OK : INDEXBUS_CORRUPT;
}

/* Slots taken for messages that were not queued go back in one CAS, as
 * abort gives one back: owner 0 first, linked in our own order. */
static void mpsc_give_back(indexbus_producer *p, const uint32_t *idx, uint32_t n)
{
    const ib_view *v = p->h.v;
    for (uint32_t i = 0; i < n; i++) {
        ib_store_relaxed(&ib_slot(v, idx[i])->owner, 0);
        if (i + 1 < n)
            ib_store_relaxed(&ib_slot(v, idx[i])->next_free, idx[i + 1]);
    }
    ib_pool_free_chain(v, idx[0], idx[n - 1]);
}

/* Messages from n on that fit a slot, at most IB_PENDING_MAX. */
static uint32_t mpsc_chunk(const ib_view *v, const uint32_t *lens, size_t n, size_t count)
{
    uint32_t k = 0;
    while (k < IB_PENDING_MAX && n + k < count && lens[n + k] <= v->slot_data_size)
        k++;
    return k;
}

/* Fill the n cells reserved from pos with idx[0..got) (got <= n) in
 * order, give up the cells left (the reader passes over them), clear the
 * journal: how many were queued. A fill that fails means a recoverer
 * skipped that cell under us; it ends the fills, and that cell is skipped
 * already. */
static uint32_t mpsc_fill_run(indexbus_producer *p, ib_mpsc_journal j, uint64_t pos, uint32_t n,
                              const uint32_t *idx, uint32_t got)
{
    const ib_view *v = p->h.v;
    uint32_t k = 0;
    while (k < got && mpsc_fill_one(p, pos + k, idx[k]))
        k++;
    for (uint32_t s = k < got ? k + 1 : k; s < n; s++)
        ib_mpsc_skip_own(v->mpsc, v->queue_mask, pos + s);
    ib_mpsc_journal_clear(j);
    return k;
}

/* 1.3 batch reservation (5.4.1): push the filled slots idx[0..got) with one
 * reservation CAS per run of free cells. A cell a recoverer skipped under
 * us ends the run: we skip the rest of it ourselves and push its messages
 * again in a later reservation, so they keep their order. *done: how many
 * were queued, a prefix of idx[]. */
static int mpsc_push_reserved(indexbus_producer *p, const uint32_t *idx, uint32_t got,
                              uint32_t *done)
{
    const ib_view *v = p->h.v;
    ib_mpsc_journal j = {&p->h.entry->mpsc_reserve, &p->h.entry->reserved};
    *done = 0;
    while (*done < got) {
        uint64_t pos;
        int n = ib_mpsc_reserve_n(v->mpsc, v->queue_mask, got - *done, j, &pos);
        if (n < 0)
            return -n;
        *done += mpsc_fill_run(p, j, pos, (uint32_t)n, idx + *done, (uint32_t)n);
    }
    return INDEXBUS_OK;
}

/* A chunk of got messages in slots we own: copied, then queued; the slots
 * of messages not queued (queue full or corrupt) go back. *done: queued. */
static int mpsc_push_chunk(indexbus_producer *p, const uint32_t *idx, uint32_t got,
                           const uint8_t *src, const uint32_t *lens, uint32_t *done)
{
    const ib_view *v = p->h.v;
    int st = INDEXBUS_OK;
    *done = 0;
    if (v->mpsc_batch && got > 1) { /* one message: the same path as today */
        for (uint32_t i = 0; i < got; src += lens[i], i++)
            copy_in(v, idx[i], src, lens[i]);
        st = mpsc_push_reserved(p, idx, got, done);
    } else {
        for (; *done < got; src += lens[*done], (*done)++) {
            memcpy(ib_slot_data(v, idx[*done]), src, lens[*done]);
            if ((st = enqueue(p, idx[*done], lens[*done])) != INDEXBUS_OK)
                break;
        }
    }
    if (*done < got) /* the queue is full (or corrupt) */
        mpsc_give_back(p, idx + *done, got - *done);
    return st;
}

/* ---- MPSC slot recycling (1.3, INDEXBUS_CAP_MPSC_RECYCLE, LAYOUT.md 5.22) ----
 * A copy publish reserves its cell first and then takes the slot the
 * consumer parked there a lap earlier: no pool CAS on either side. Only a
 * cell without one (first lap, a skipped cell, a claim's slot there) costs
 * a pool slot, and a dry pool borrows another cell's parked slot. */

/* One message: reserve, take the cell's parked slot (else a spare), copy,
 * fill. A cell skipped under us is reserved again with the slot we have
 * (the new cell's parked slot goes to the pool). No slot at all: the cell
 * is skipped, FULL. */
static int mpsc_put(indexbus_producer *p, const void *src, uint32_t len)
{
    const ib_view *v = p->h.v;
    uint64_t *journal = &p->h.entry->mpsc_reserve;
    uint32_t me = p->h.part + 1, idx = INDEXBUS_SLOT_NIL;
    for (;;) {
        uint64_t pos;
        int st = ib_mpsc_reserve1(v->mpsc, v->queue_mask, journal, &pos);
        if (st != INDEXBUS_OK) {
            if (idx != INDEXBUS_SLOT_NIL)
                mpsc_give_back(p, &idx, 1);
            return st;
        }
        if (idx != INDEXBUS_SLOT_NIL) {
            ib_mpsc_displace(v, pos, me); /* pushing again: the data is in idx */
        } else if ((idx = ib_mpsc_unpark(v, pos, me)) == INDEXBUS_SLOT_NIL &&
                   (st = pool_slot(p, &idx)) != INDEXBUS_OK) {
            ib_mpsc_skip_own(v->mpsc, v->queue_mask, pos); /* the reader passes over it */
            ib_store_relaxed(journal, 0);
            return st;
        } else {
            copy_in(v, idx, src, len);
        }
        int ok = mpsc_fill_one(p, pos, idx);
        ib_store_relaxed(journal, 0);
        if (ok)
            return INDEXBUS_OK;
    }
}

/* Slots for the n cells reserved from pos: each cell's parked one, then
 * spares for the rest (one pool CAS, then borrows). *got: how many. */
static int mpsc_slots_for(indexbus_producer *p, uint64_t pos, uint32_t n, uint32_t *idx,
                          uint32_t *got)
{
    const ib_view *v = p->h.v;
    uint32_t k = 0, g = 0;
    int st = INDEXBUS_OK;
    for (uint32_t i = 0; i < n; i++)
        if ((idx[k] = ib_mpsc_unpark(v, pos + i, p->h.part + 1)) != INDEXBUS_SLOT_NIL)
            k++;
    if (k < n && (st = mpsc_take_slots(p, idx + k, n - k, &g)) == INDEXBUS_OK)
        k += g;
    while (k < n && pool_slot(p, &idx[k]) == INDEXBUS_OK)
        k++;
    *got = k;
    return k == n ? INDEXBUS_OK : st != INDEXBUS_OK ? st : INDEXBUS_FULL;
}

/* Bit 38 and 5.22: one reservation for up to want messages, their cells'
 * parked slots, copy, fill in order. *done: how many were queued (a
 * prefix). A cell skipped under us ends it: OK with *done short, the
 * caller pushes the rest in a later reservation; cells without a slot are
 * skipped and give FULL. */
static int mpsc_put_reserved(indexbus_producer *p, const uint8_t *src, const uint32_t *lens,
                             uint32_t want, uint32_t *done)
{
    const ib_view *v = p->h.v;
    ib_mpsc_journal j = {&p->h.entry->mpsc_reserve, &p->h.entry->reserved};
    uint32_t idx[IB_PENDING_MAX], got;
    uint64_t pos;
    *done = 0;
    int n = ib_mpsc_reserve_n(v->mpsc, v->queue_mask, want, j, &pos);
    if (n < 0)
        return -n;
    int st = mpsc_slots_for(p, pos, (uint32_t)n, idx, &got);
    for (uint32_t i = 0; i < got; src += lens[i], i++)
        copy_in(v, idx[i], src, lens[i]);
    uint32_t k = mpsc_fill_run(p, j, pos, (uint32_t)n, idx, got);
    if (k < got) { /* skipped under us: the rest is pushed again */
        mpsc_give_back(p, idx + k, got - k);
        st = INDEXBUS_OK;
    }
    *done = k;
    return st;
}

/* A chunk of want messages in a recycling region: one reservation (bit
 * 38) or one per message; *done: queued. */
static int mpsc_put_chunk(indexbus_producer *p, const uint8_t *src, const uint32_t *lens,
                          uint32_t want, uint32_t *done)
{
    if (p->h.v->mpsc_batch && want > 1)
        return mpsc_put_reserved(p, src, lens, want, done);
    int st = INDEXBUS_OK;
    for (*done = 0; *done < want; src += lens[*done], (*done)++)
        if ((st = mpsc_put(p, src, lens[*done])) != INDEXBUS_OK)
            break;
    return st;
}

/* indexbus_publish, MPSC in a recycling region: the checks of claim_len
 * and claim, in their order, then mpsc_put. */
static int mpsc_publish_one(indexbus_producer *p, const void *data, size_t len)
{
    if (len > p->h.v->slot_data_size)
        return INDEXBUS_TOO_LARGE;
    if (p->claimed != INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    if (ib_consumers_gone(p->h.v))
        return INDEXBUS_DISCONNECTED;
    int st = mpsc_put(p, data, (uint32_t)len);
    if (st == INDEXBUS_OK)
        flush(p, 1);
    return st;
}

static int mpsc_publish_batch(indexbus_producer *p, const uint8_t *src, const uint32_t *lens,
                              size_t count, size_t *published)
{
    const ib_view *v = p->h.v;
    uint32_t idx[IB_PENDING_MAX];
    size_t n = 0;
    int st = INDEXBUS_OK;
    while (n < count && st == INDEXBUS_OK) {
        uint32_t want = mpsc_chunk(v, lens, n, count), got, done = 0;
        if (want == 0)
            st = INDEXBUS_TOO_LARGE;
        else if (v->mpsc_recycle)
            st = mpsc_put_chunk(p, src, lens + n, want, &done);
        else if ((st = mpsc_take_slots(p, idx, want, &got)) == INDEXBUS_OK)
            st = mpsc_push_chunk(p, idx, got, src, lens + n, &done);
        for (uint32_t i = 0; i < done; i++)
            src += lens[n++];
        if (done > 0)
            flush(p, done);
    }
    if (published != NULL)
        *published = n;
    return st;
}

int ib_slot_publish_batch(indexbus_producer *p, const void *data, const uint32_t *lens,
                          const uint64_t *marks, size_t count, size_t *published)
{
    if (p->claimed != INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    if (ib_consumers_gone(p->h.v))
        return INDEXBUS_DISCONNECTED;
    if (p->type == INDEXBUS_PRODUCER_MPSC && marks == NULL)
        return mpsc_publish_batch(p, data, lens, count, published);
    const uint8_t *src = data;
    size_t n = 0, unflushed = 0;
    int st = INDEXBUS_OK;
    for (; n < count; n++) {
        uint32_t idx;
        if (lens[n] > p->h.v->slot_data_size) {
            st = INDEXBUS_TOO_LARGE;
            break;
        }
        if ((st = take_slot(p, &idx)) != INDEXBUS_OK)
            break;
        memcpy(ib_slot_data(p->h.v, idx), src, lens[n]);
        if ((st = enqueue(p, idx, lens[n])) != INDEXBUS_OK) {
            ib_slot_to_pool(p->h.v, idx);
            break;
        }
        src += lens[n];
        if (++unflushed == IB_PENDING_MAX) { /* pending[] is full: publish this piece */
            flush_piece(p, unflushed, marks ? &marks[n] : NULL);
            unflushed = 0;
        }
    }
    if (unflushed > 0)
        flush_piece(p, unflushed, marks ? &marks[n - 1] : NULL);
    if (published != NULL)
        *published = n;
    return st;
}

INDEXBUS_API int indexbus_producer_close(indexbus_producer *p)
{
    if (p == NULL)
        return INDEXBUS_OK;
    indexbus_abort(p); /* a claim still open goes back (BAD_STATE if none) */
    free(p->log_lens);
    ib_handle_detach(&p->h);
    return INDEXBUS_OK;
}

/* A slot claim of exactly len bytes (the slot's capacity is the bound). */
INDEXBUS_API int indexbus_claim_len(indexbus_producer *p, size_t len, void **buf)
{
    if (p == NULL || buf == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (ib_has_log(p->h.v))
        return ib_log_claim_len(p, len, buf);
    if (len > p->h.v->slot_data_size)
        return INDEXBUS_TOO_LARGE;
    return indexbus_claim(p, buf, NULL);
}

INDEXBUS_API int indexbus_producer_space(indexbus_producer *p, uint64_t *space)
{
    if (p == NULL || space == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = p->h.v;
    int64_t n;
    if (ib_has_log(v))
        n = ib_log_space(v, &p->log);
    else if (p->type == INDEXBUS_PRODUCER_SPSC)
        n = ib_spsc_space_at(&p->q, 1); /* what the reader has freed by now */
    else
        n = (int64_t)(v->queue_capacity - ib_mpsc_depth(v->mpsc, v->queue_capacity));
    if (n < 0)
        return (int)-n;
    if (!ib_has_log(v) && n > 0) {
        /* each message also needs a slot: the pool's, and the ones parked
         * in the cells it writes next (SPSC 5.16, 5.21; MPSC 5.22) too; counted only up to n, so the call costs O(n) */
        uint32_t want = n > (int64_t)v->slot_count ? v->slot_count : (uint32_t)n, have = 0;
        if (p->type == INDEXBUS_PRODUCER_SPSC && (v->recycle || v->fanout_recycle))
            have = ib_spsc_parked_ahead(v, &p->q, want);
        else if (p->type == INDEXBUS_PRODUCER_MPSC && v->mpsc_recycle)
            have = ib_mpsc_parked_ahead(v, want); /* 5.22: the next cells' parked slots */
        n = have + ib_pool_count_upto(v, want - have);
    }
    *space = (uint64_t)n;
    return INDEXBUS_OK;
}
