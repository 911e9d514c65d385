/* log_consumer.c - the consumer of a byte-log region (LAYOUT.md 5.17):
 * copy, borrow, batch and held receive. Read space goes back to producers
 * in batches: when a quarter of the ring is waiting, when the ring is
 * found empty, at the end of a batch and on close; a HOLD consumer's at
 * each release. */
#include <string.h>

#include "consumer.h"

/* Give back once this much is read (or sooner, when caught up). */
static uint64_t give_back_batch(const ib_view *v) { return v->log_bytes / 4u; }

/* A HOLD consumer's cursor (hlog) reads ahead of the region's read and
 * head (log), which move only at release. Passing pads moves it alone;
 * with nothing held, the region's reader follows it over them. */
static int hold_peek(indexbus_consumer *c, const uint8_t **data, uint32_t *len)
{
    c->hlog.head = c->log.head; /* the ring is ours up to the given-back head */
    int st = ib_log_peek(c->h.v, &c->hlog, data, len);
    if (st == INDEXBUS_EMPTY && c->held_count == 0) {
        c->log.read = c->hlog.read;
        ib_log_give_back(c->h.v, &c->log, 0);
    }
    return st;
}

int ib_log_disconnected(indexbus_consumer *c)
{
    const uint8_t *d;
    uint32_t n;
    /* producers first, then the ring: a record committed before the last
     * producer left is seen by the peek */
    if (!ib_producers_gone(c->h.v))
        return 0;
    if (c->hold)
        return hold_peek(c, &d, &n) == INDEXBUS_EMPTY;
    return ib_log_peek(c->h.v, &c->log, &d, &n) == INDEXBUS_EMPTY;
}

/* Peek; caught up (EMPTY), give back what was read first: we may park
 * next, and a producer waiting for room would wait on us. */
static int peek_or_give_back(indexbus_consumer *c, const uint8_t **data, uint32_t *len)
{
    int st = ib_log_peek(c->h.v, &c->log, data, len);
    if (st == INDEXBUS_EMPTY)
        ib_log_give_back(c->h.v, &c->log, 0);
    return st;
}

int ib_log_peek_any(indexbus_consumer *c)
{
    const uint8_t *d;
    uint32_t n;
    if (c->hold)
        return hold_peek(c, &d, &n);
    return peek_or_give_back(c, &d, &n);
}

/* The next record, or why not. */
static int next_record(indexbus_consumer *c, const uint8_t **data, uint32_t *len)
{
    if (c->borrowed != INDEXBUS_SLOT_NIL)
        return INDEXBUS_BAD_STATE;
    int st = peek_or_give_back(c, data, len);
    return st == INDEXBUS_EMPTY ? ib_consumer_empty_status(c) : st;
}

static void count_delivered(indexbus_consumer *c, uint64_t n)
{
    c->delivered += n;
    ib_store_relaxed(&c->h.v->consumer_counters[0].delivered, c->delivered); /* single writer */
}

int ib_log_try_recv(indexbus_consumer *c, void *buf, size_t cap, size_t *len)
{
    const uint8_t *d;
    uint32_t n;
    int st = next_record(c, &d, &n);
    if (st != INDEXBUS_OK)
        return st;
    *len = n;
    if (n > cap)
        return INDEXBUS_BUFFER_TOO_SMALL;
    if (n) /* n was read once and checked by ib_log_peek (LAYOUT.md 7) */
        memcpy(buf, d, n);
    ib_log_take(c->h.v, &c->log, n);
    count_delivered(c, 1);
    ib_log_give_back(c->h.v, &c->log, give_back_batch(c->h.v));
    return INDEXBUS_OK;
}

int ib_log_recv_begin(indexbus_consumer *c, const void **data, size_t *len)
{
    const uint8_t *d;
    uint32_t n;
    int st = next_record(c, &d, &n);
    if (st != INDEXBUS_OK)
        return st;
    /* taken now (a consumer killed mid-borrow does not see it again, as
     * for slot regions); its bytes stay ours until recv_end */
    c->log.keep = c->log.read;
    ib_log_take(c->h.v, &c->log, n);
    count_delivered(c, 1);
    c->borrowed = 0; /* not NIL: a record is borrowed */
    *data = d;
    *len = n;
    return INDEXBUS_OK;
}

int ib_log_recv_end(indexbus_consumer *c)
{
    c->log.keep = UINT64_MAX;
    c->borrowed = INDEXBUS_SLOT_NIL;
    ib_log_give_back(c->h.v, &c->log, give_back_batch(c->h.v));
    return INDEXBUS_OK;
}

int ib_log_recv_batch(indexbus_consumer *c, void *buf, size_t cap, uint32_t *lens,
                      size_t max_msgs, size_t *count)
{
    uint8_t *dst = buf;
    size_t used = 0, k = 0;
    int st = INDEXBUS_OK;
    while (k < max_msgs) {
        const uint8_t *d;
        uint32_t n;
        if ((st = ib_log_peek(c->h.v, &c->log, &d, &n)) != INDEXBUS_OK)
            break;
        if (n > cap - used) {
            st = INDEXBUS_BUFFER_TOO_SMALL;
            if (k == 0)
                lens[0] = n;
            break;
        }
        if (n)
            memcpy(dst + used, d, n);
        used += n;
        lens[k++] = n;
        ib_log_take(c->h.v, &c->log, n);
    }
    count_delivered(c, k);
    ib_log_give_back(c->h.v, &c->log, st == INDEXBUS_EMPTY ? 0 : give_back_batch(c->h.v));
    *count = k;
    if (k > 0)
        return INDEXBUS_OK;
    return st == INDEXBUS_EMPTY ? ib_consumer_empty_status(c) : st;
}

/* ---- held receive (LAYOUT.md 5.20) ------------------------------------------------ */

int ib_log_recv_held(indexbus_consumer *c, void *buf, size_t cap, size_t *len, uint64_t *position)
{
    const uint8_t *d;
    uint32_t n;
    int st = hold_peek(c, &d, &n);
    if (st == INDEXBUS_EMPTY)
        return ib_consumer_empty_status(c);
    if (st != INDEXBUS_OK) /* a bad header is not passed, as for a plain receive */
        return st;
    *len = n;
    if (n > cap)
        return INDEXBUS_BUFFER_TOO_SMALL;
    if (n) /* n was read once and checked by ib_log_peek (LAYOUT.md 7) */
        memcpy(buf, d, n);
    ib_held *e = ib_hold_push(c);
    e->pos = c->hlog.read;
    e->len = n;
    c->held_msgs++;
    c->hlog.read += ib_log_stride(n);
    *position = e->pos;
    return INDEXBUS_OK;
}

/* Take the oldest `count` held records in the region, one published read
 * each (a recoverer gives back below it), then give their bytes back at
 * once: producers waiting for room are waiting for these. */
void ib_log_release_held(indexbus_consumer *c, size_t count)
{
    for (size_t k = 0; k < count; k++) {
        ib_held e = *ib_hold_at(c, 0);
        c->log.read = e.pos; /* over the pads before it */
        ib_log_take(c->h.v, &c->log, e.len);
        count_delivered(c, 1);
        ib_hold_pop(c);
        c->held_msgs--;
    }
    if (c->held_count == 0)
        c->log.read = c->hlog.read; /* the pads the cursor passed after them */
    ib_log_give_back(c->h.v, &c->log, 0);
}
