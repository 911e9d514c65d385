/* log_producer.c - producers on byte-log regions (LAYOUT.md 5.17): claim
 * of exactly len bytes, commit, abort, batch publish and the in-place batch
 * claim. Publish is claim + copy + commit, as on slot regions. */
#include <stdlib.h>
#include <string.h>

#include "../common/wake.h"
#include "../durable/durable.h"
#include "producer.h"

/* The ring takes one producer kind at a time: one SPSC producer (its path
 * has no RMW, so it must be alone) or any number of MPSC producers. Each
 * side checks for the other after announcing itself, with a full fence in
 * between, so two racing openers cannot both miss each other (at worst
 * both get BUSY). */
static int exclusive_with_other_kind(const ib_view *v, uint32_t type)
{
    const indexbus_participants_ctl *pc = &v->parts->ctl;
    ib_fence_seq_cst(); /* pairs with the other opener's fence, as in a Dekker handshake */
    if (type == INDEXBUS_PRODUCER_SPSC)
        return ib_load_relaxed(&pc->producers_live) == 1;
    return ib_load_relaxed(&pc->spsc_owner) == 0;
}

int ib_log_producer_init(indexbus_producer *p)
{
    const ib_view *v = p->h.v;
    if (!exclusive_with_other_kind(v, p->type)) {
        /* the other kind may be a dead producer nobody recovered yet */
        indexbus_recover_report rep = {.size = sizeof(rep)};
        ib_recover(p->h.region, 0, &rep);
        if (rep.dead == 0 || !exclusive_with_other_kind(v, p->type))
            return INDEXBUS_BUSY;
    }
    p->log.spsc = p->type == INDEXBUS_PRODUCER_SPSC;
    p->log.part = p->h.part;
    /* pairs with the previous producer's release of tail in ib_log_reserve */
    p->log.pos = ib_load_acquire(&v->log->tail);
    if (p->log.pos % 8u != 0)
        return INDEXBUS_CORRUPT;
    int64_t space = ib_log_space(v, &p->log);
    return space < 0 ? (int)-space : INDEXBUS_OK;
}

static int check_claim(indexbus_producer *p)
{
    if (p->log_claim != 0)
        return INDEXBUS_BAD_STATE;
    if (ib_consumers_gone(p->h.v))
        return INDEXBUS_DISCONNECTED;
    return INDEXBUS_OK;
}

/* Payload address of the record at byte position pos. */
static void *payload(const ib_view *v, uint64_t pos)
{
    return v->log_data + (pos & v->log_mask) + INDEXBUS_LOG_HEADER_BYTES;
}

int ib_log_claim_len(indexbus_producer *p, size_t len, void **buf)
{
    const ib_view *v = p->h.v;
    int st = check_claim(p);
    if (st != INDEXBUS_OK)
        return st;
    if (len > v->log_max_record)
        return INDEXBUS_TOO_LARGE;
    if ((st = ib_log_reserve(v, &p->log, p->h.entry, ib_log_stride(len))) != INDEXBUS_OK)
        return st;
    p->log_claim = 1;
    p->log_len = (uint32_t)len;
    *buf = payload(v, p->log.rec_pos);
    return INDEXBUS_OK;
}

/* n records just published: count them and wake the consumer. */
static void published(indexbus_producer *p, uint64_t n)
{
    indexbus_counters_global *c = p->h.v->counters;
    if (p->log.spsc) {
        p->published += n;
        ib_store_relaxed(&c->published_spsc, p->published); /* single writer */
    } else {
        ib_fetch_add_relaxed(&c->published_mpsc, n);
    }
    ib_wake_notify(p->wake); /* the consumer */
}

int ib_log_commit(indexbus_producer *p, size_t len)
{
    if (p->log_claim != 1) /* nothing claimed, or a batch (commit_batch) */
        return INDEXBUS_BAD_STATE;
    if (len > p->log_len)
        return INDEXBUS_TOO_LARGE; /* the claim is kept */
    uint32_t n = (uint32_t)len;
    ib_log_publish(p->h.v, &p->log, p->h.entry, &n, 1);
    p->log_claim = 0;
    published(p, 1);
    return INDEXBUS_OK;
}

int ib_log_abort(indexbus_producer *p)
{
    if (p->log_claim == 0)
        return INDEXBUS_BAD_STATE;
    /* the space cannot be handed back (others may have reserved after
     * it): it becomes padding the consumer skips */
    ib_log_publish(p->h.v, &p->log, p->h.entry, NULL, 0);
    p->log_claim = 0;
    ib_wake_notify(p->wake); /* the consumer */
    return INDEXBUS_OK;
}

size_t ib_log_fill_publish(indexbus_producer *p, const uint8_t *src, const uint32_t *lens,
                           size_t n)
{
    const ib_view *v = p->h.v;
    uint64_t at = p->log.rec_pos;
    size_t copied = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(payload(v, at), src + copied, lens[i]);
        copied += lens[i];
        at += ib_log_stride(lens[i]);
    }
    ib_log_publish(v, &p->log, p->h.entry, lens, n);
    published(p, n);
    return copied;
}

/* Records a batch publishes with one reservation and one header store. */
#define IB_LOG_BATCH_MAX 64u

int ib_log_publish_batch(indexbus_producer *p, const void *data, const uint32_t *lens,
                         const uint64_t *marks, size_t count, size_t *out)
{
    const ib_view *v = p->h.v;
    int st = check_claim(p);
    if (st != INDEXBUS_OK)
        return st;
    const uint8_t *src = data;
    size_t done = 0;
    while (done < count && st == INDEXBUS_OK) {
        /* the longest run that fits in one reservation (half the ring) */
        size_t n = 0;
        uint64_t bytes = 0;
        while (done + n < count && n < IB_LOG_BATCH_MAX && lens[done + n] <= v->log_max_record &&
               bytes + ib_log_stride(lens[done + n]) <= v->log_bytes / 2)
            bytes += ib_log_stride(lens[done + n++]);
        if (n == 0) {
            st = INDEXBUS_TOO_LARGE;
            break;
        }
        /* FULL for the run: try what fits now, down to one record */
        while ((st = ib_log_reserve(v, &p->log, p->h.entry, bytes)) == INDEXBUS_FULL && n > 1)
            bytes -= ib_log_stride(lens[done + --n]);
        if (st != INDEXBUS_OK)
            break;
        if (marks == NULL) {
            src += ib_log_fill_publish(p, src, lens + done, n);
        } else { /* the reservation's first header store publishes it: journal first (5.20) */
            ib_mark_begin(p, p->log.rec_pos, marks[done + n - 1]);
            src += ib_log_fill_publish(p, src, lens + done, n);
            ib_mark_end(p, marks[done + n - 1]);
        }
        done += n;
    }
    if (out != NULL)
        *out = done;
    return st;
}

INDEXBUS_API int indexbus_claim_batch(indexbus_producer *p, const uint32_t *lens, size_t count,
                                      void **bufs)
{
    if (p == NULL || lens == NULL || bufs == NULL || count == 0)
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = p->h.v;
    if (!ib_has_log(v))
        return INDEXBUS_WRONG_KIND;
    int st = check_claim(p);
    if (st != INDEXBUS_OK)
        return st;
    uint64_t bytes = 0;
    for (size_t i = 0; i < count; i++) {
        if (lens[i] > v->log_max_record || (bytes += ib_log_stride(lens[i])) > v->log_bytes / 2)
            return INDEXBUS_TOO_LARGE;
    }
    if (count > p->log_lens_cap) { /* our own copy: the caller's array may change */
        uint32_t *l = realloc(p->log_lens, count * sizeof(*l));
        if (l == NULL)
            return INDEXBUS_NO_MEMORY;
        p->log_lens = l;
        p->log_lens_cap = count;
    }
    if ((st = ib_log_reserve(v, &p->log, p->h.entry, bytes)) != INDEXBUS_OK)
        return st;
    memcpy(p->log_lens, lens, count * sizeof(*lens));
    uint64_t at = p->log.rec_pos;
    for (size_t i = 0; i < count; i++) {
        bufs[i] = payload(v, at);
        at += ib_log_stride(lens[i]);
    }
    p->log_claim = 2;
    p->log_count = count;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_commit_batch(indexbus_producer *p, size_t n)
{
    if (p == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (!ib_has_log(p->h.v))
        return INDEXBUS_WRONG_KIND;
    if (p->log_claim != 2)
        return INDEXBUS_BAD_STATE;
    if (n > p->log_count)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_log_publish(p->h.v, &p->log, p->h.entry, p->log_lens, n);
    p->log_claim = 0;
    published(p, n);
    return INDEXBUS_OK;
}
