/* reader.c - the read end of a byte stream (LAYOUT.md 5.18): the byte-log
 * consumer, reading records in pieces. A record partly read is finished by
 * the next read; a reader that hands the stream over leaves how much of it
 * was read in stream_ctl.read_skip for the next one. End of stream is the
 * latched ENDED with nothing left to read. */
#include <stdlib.h>
#include <string.h>

#include "../common/clock.h"
#include "../common/wake.h"
#include "../handles/consumer.h"
#include "stream.h"

#define IB_READ_SPIN_POLLS 200u
#define IB_READ_MAX_PARK_NS 5000000ull /* re-check every 5 ms */
#define IB_READ_RECOVER_EVERY 20u      /* parks between recoveries (a dead writer) */

struct indexbus_stream_reader {
    indexbus_consumer *c; /* index 0, on the stream's ring */
    uint64_t skip;        /* bytes of the record at read already delivered */
    uint64_t bytes_read;  /* mirror of stream_ctl.bytes_read (single writer) */
};

INDEXBUS_API int indexbus_stream_reader_open(indexbus_region *region,
                                             indexbus_stream_reader **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = &region->v;
    if (v->stream == NULL)
        return INDEXBUS_WRONG_KIND;
    if (ib_stream_load(v) & INDEXBUS_STREAM_ST_READER_GONE)
        return INDEXBUS_DISCONNECTED;
    indexbus_stream_reader *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return INDEXBUS_NO_MEMORY;
    int st = ib_consumer_open(region, 0, &r->c);
    /* a reader that closed while we attached: the read end is gone */
    if (st == INDEXBUS_OK && (ib_stream_load(v) & INDEXBUS_STREAM_ST_READER_GONE)) {
        indexbus_consumer_close(r->c);
        st = INDEXBUS_DISCONNECTED;
    }
    if (st != INDEXBUS_OK) {
        free(r);
        return st;
    }
    /* the previous reader's hand-over; checked against the record when
     * used (LAYOUT.md 7). Ordered by the consumer role's acquire CAS,
     * which pairs with that reader's release at detach */
    r->skip = ib_load_relaxed(&v->stream->read_skip);
    r->bytes_read = ib_load_relaxed(&v->stream->bytes_read);
    *out = r;
    return INDEXBUS_OK;
}

static void reader_free(indexbus_stream_reader *r)
{
    indexbus_consumer_close(r->c);
    free(r);
}

INDEXBUS_API int indexbus_stream_reader_close(indexbus_stream_reader *r)
{
    if (r == NULL)
        return INDEXBUS_OK;
    ib_stream_latch(r->c->h.v, INDEXBUS_STREAM_ST_READER_GONE);
    reader_free(r);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_stream_reader_release(indexbus_stream_reader *r)
{
    if (r == NULL)
        return INDEXBUS_OK;
    /* published by the consumer's detach (its release of the role) */
    ib_store_relaxed(&r->c->h.v->stream->read_skip, r->skip);
    reader_free(r);
    return INDEXBUS_OK;
}

/* Copy what is committed, up to cap bytes: OK with *got (maybe 0), or
 * CORRUPT with nothing read. */
static int read_some(indexbus_stream_reader *r, uint8_t *dst, size_t cap, size_t *got)
{
    indexbus_consumer *c = r->c;
    const ib_view *v = c->h.v;
    size_t n = 0;
    int st = INDEXBUS_OK;
    while (n < cap) {
        const uint8_t *d;
        uint32_t len;
        if ((st = ib_log_peek(v, &c->log, &d, &len)) != INDEXBUS_OK)
            break;
        if (r->skip > len) { /* a forged hand-over, or a record rewritten under us */
            st = INDEXBUS_CORRUPT;
            break;
        }
        size_t k = len - r->skip < cap - n ? len - r->skip : cap - n;
        memcpy(dst + n, d + r->skip, k);
        n += k;
        r->skip += k;
        if (r->skip < len)
            break; /* the buffer is full */
        ib_log_take(v, &c->log, len);
        r->skip = 0;
    }
    /* caught up: give everything back now (a writer may wait on it) */
    ib_log_give_back(v, &c->log, st == INDEXBUS_EMPTY ? 0 : v->log_bytes / 4u);
    if (n > 0) {
        r->bytes_read += n;
        ib_store_relaxed(&v->stream->bytes_read, r->bytes_read); /* single writer, statistics */
    }
    *got = n;
    /* bytes taken are delivered: a bad header after them is reported by
     * the next read (it is not passed), never with bytes in hand */
    return st == INDEXBUS_CORRUPT && n == 0 ? st : INDEXBUS_OK;
}

typedef struct news_ctx {
    indexbus_consumer *c;
    uint64_t state;
} news_ctx;

/* Bytes to read, or the state changed (the last writer left). */
static int data_or_news(void *arg)
{
    news_ctx *n = arg;
    return ib_log_peek_any(n->c) != INDEXBUS_EMPTY || ib_stream_load(n->c->h.v) != n->state;
}

INDEXBUS_API int indexbus_stream_read(indexbus_stream_reader *r, void *buf, size_t cap,
                                      size_t *len, uint64_t timeout_ns)
{
    if (r == NULL || len == NULL || buf == NULL || cap == 0)
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = r->c->h.v;
    uint64_t deadline = 0;
    uint32_t parks = 0;
    *len = 0;
    for (uint32_t polls = 0;; polls++) {
        /* the state before the bytes: ENDED seen here means every writer
         * published before it left, so an empty read after it is the end */
        uint64_t s = ib_stream_load(v);
        int st = read_some(r, buf, cap, len);
        if (st != INDEXBUS_OK || *len > 0)
            return st;
        if (s & INDEXBUS_STREAM_ST_ENDED)
            return INDEXBUS_DISCONNECTED; /* end of stream */
        if (timeout_ns == 0)
            return INDEXBUS_EMPTY;
        if (polls < IB_READ_SPIN_POLLS) {
            ib_cpu_relax();
            continue;
        }
        uint64_t now = ib_now_monotonic_ns();
        if (deadline == 0)
            deadline = ib_deadline(now, timeout_ns);
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        uint64_t left = deadline - now;
        news_ctx c = {r->c, s};
        ib_park(r->c->wake, data_or_news, &c, left < IB_READ_MAX_PARK_NS ? left : IB_READ_MAX_PARK_NS);
        /* a writer that died ends the stream only once recovered */
        if (++parks % IB_READ_RECOVER_EVERY == 1) {
            indexbus_recover_report rep = {.size = sizeof(rep)};
            ib_recover(r->c->h.region, 0, &rep);
        }
    }
}
