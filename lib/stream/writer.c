/* writer.c - byte-stream writers (LAYOUT.md 5.18): an MPSC byte-log
 * producer holding a seat. A write is one reservation of up to
 * IB_STREAM_WRITE_RECORDS records of at most max_record bytes each, so its
 * bytes stay contiguous whoever else writes; write_all waits for room. */
#include <stdlib.h>

#include "../common/clock.h"
#include "../common/wake.h"
#include "../handles/producer.h"
#include "stream.h"

#define IB_STREAM_WRITE_RECORDS 64u  /* records per reservation (a stack array) */
#define IB_STREAM_SPIN_POLLS 200u
#define IB_STREAM_MAX_PARK_NS 1000000ull /* re-check at least every 1 ms */
#define IB_STREAM_RECOVER_EVERY 64u      /* parks between recoveries */

struct indexbus_stream_writer {
    indexbus_producer *p; /* MPSC, on the stream's ring */
    uint32_t seat;
};

INDEXBUS_API int indexbus_stream_writer_open(indexbus_region *region,
                                             indexbus_stream_writer **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (region->v.stream == NULL)
        return INDEXBUS_WRONG_KIND;
    indexbus_stream_writer *w = calloc(1, sizeof(*w));
    if (w == NULL)
        return INDEXBUS_NO_MEMORY;
    int st = ib_producer_open(region, INDEXBUS_PRODUCER_MPSC, &w->p);
    if (st == INDEXBUS_OK && (st = ib_stream_join(&region->v, w->p->h.part, &w->seat)) != INDEXBUS_OK)
        indexbus_producer_close(w->p);
    if (st != INDEXBUS_OK) {
        free(w);
        return st;
    }
    *out = w;
    return INDEXBUS_OK;
}

static int writer_leave(indexbus_stream_writer *w, int aborted)
{
    if (w == NULL)
        return INDEXBUS_OK;
    /* every byte we wrote is published: leaving last ends the stream */
    ib_stream_leave(w->p->h.v, w->seat, aborted);
    indexbus_producer_close(w->p);
    free(w);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_stream_writer_close(indexbus_stream_writer *w)
{
    return writer_leave(w, 0);
}

INDEXBUS_API int indexbus_stream_writer_abort(indexbus_stream_writer *w)
{
    return writer_leave(w, 1);
}

/* Payload bytes that records of at most `max` bytes carry in `bytes` of
 * ring (whole strides), at most IB_STREAM_WRITE_RECORDS of them. */
static uint64_t payload_in(uint64_t bytes, uint32_t max)
{
    uint64_t full = ib_log_stride(max), k = bytes / full;
    if (k >= IB_STREAM_WRITE_RECORDS)
        return (uint64_t)IB_STREAM_WRITE_RECORDS * max;
    uint64_t rest = bytes - k * full;
    return k * max + (rest > INDEXBUS_LOG_HEADER_BYTES ? rest - INDEXBUS_LOG_HEADER_BYTES : 0);
}

/* Ring bytes (strides) for len payload bytes in records of at most max. */
static uint64_t strides_for(uint64_t len, uint32_t max, uint32_t *lens, size_t *n)
{
    uint64_t bytes = 0;
    size_t k = 0;
    while (len > 0) {
        uint32_t l = len > max ? max : (uint32_t)len;
        lens[k++] = l;
        bytes += ib_log_stride(l);
        len -= l;
    }
    *n = k;
    return bytes;
}

/* Reserve and write up to len bytes in one reservation (whole: all len or
 * nothing). OK with *done > 0, FULL, DISCONNECTED, CORRUPT. */
static int write_some(indexbus_stream_writer *w, const uint8_t *src, size_t len, int whole,
                      size_t *done)
{
    indexbus_producer *p = w->p;
    const ib_view *v = p->h.v;
    uint32_t lens[IB_STREAM_WRITE_RECORDS];
    size_t n;
    *done = 0;
    if (ib_stream_load(v) & INDEXBUS_STREAM_ST_READER_GONE)
        return INDEXBUS_DISCONNECTED;
    int64_t space = ib_log_space(v, &p->log);
    if (space < 0)
        return (int)-space;
    /* a reservation never straddles the ring's end: take the larger of the
     * run up to the end and what lies past a pad (the tail is a hint here) */
    uint64_t off = ib_load_relaxed(&v->log->tail) & v->log_mask; /* a hint only (5.18) */
    uint64_t room = (uint64_t)space, to_end = v->log_bytes - off;
    if (room > to_end && room - to_end < to_end)
        room = to_end;
    else if (room > to_end)
        room -= to_end;
    if (room > v->log_bytes / 2)
        room = v->log_bytes / 2;
    uint64_t take = payload_in(room, v->log_max_record);
    if (take > len || whole) /* whole: len <= max_record, one record; reserve says if it fits */
        take = len;
    for (;;) {
        if (take == 0)
            return INDEXBUS_FULL;
        uint64_t bytes = strides_for(take, v->log_max_record, lens, &n);
        int st = ib_log_reserve(v, &p->log, p->h.entry, bytes);
        if (st == INDEXBUS_OK)
            break;
        if (st != INDEXBUS_FULL || whole)
            return st;
        take /= 2; /* others took room meanwhile: try a smaller run */
    }
    ib_log_fill_publish(p, src, lens, n);
    *done = take;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_stream_write(indexbus_stream_writer *w, const void *data, size_t len,
                                       size_t *written)
{
    if (w == NULL || written == NULL || (data == NULL && len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    *written = 0;
    if (len == 0)
        return ib_stream_load(w->p->h.v) & INDEXBUS_STREAM_ST_READER_GONE ? INDEXBUS_DISCONNECTED
                                                                          : INDEXBUS_OK;
    return write_some(w, data, len, 0, written);
}

typedef struct room_ctx {
    const ib_view *v;
    uint64_t head, state;
} room_ctx;

/* Room was given back, or the state changed (the reader left). */
static int room_or_news(void *arg)
{
    room_ctx *c = arg;
    return ib_load_relaxed(&c->v->log->head) != c->head || ib_stream_load(c->v) != c->state;
}

INDEXBUS_API int indexbus_stream_write_all(indexbus_stream_writer *w, const void *data,
                                           size_t len, uint64_t timeout_ns, size_t *written)
{
    if (w == NULL || written == NULL || (data == NULL && len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = w->p->h.v;
    const uint8_t *src = data;
    /* up to max_record: all in one record or nothing (like PIPE_BUF) */
    int whole = len <= v->log_max_record;
    uint64_t deadline = 0;
    uint32_t parks = 0, polls = 0;
    size_t done = 0;
    *written = 0;
    if (len == 0)
        return indexbus_stream_write(w, data, 0, written);
    while (done < len) {
        room_ctx c = {v, ib_load_relaxed(&v->log->head), ib_stream_load(v)}; /* before trying */
        size_t n;
        int st = write_some(w, src + done, len - done, whole, &n);
        done += n;
        *written = done;
        if (st == INDEXBUS_OK)
            continue;
        if (st != INDEXBUS_FULL)
            return st;
        if (polls++ < IB_STREAM_SPIN_POLLS) {
            ib_cpu_relax();
            continue;
        }
        uint64_t now = ib_now_monotonic_ns();
        if (deadline == 0)
            deadline = ib_deadline(now, timeout_ns);
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        uint64_t left = deadline - now;
        ib_park(&w->p->h.v->wake[v->producer_wake], room_or_news, &c,
                left < IB_STREAM_MAX_PARK_NS ? left : IB_STREAM_MAX_PARK_NS);
        /* the first park of a call, then now and then: a dead reader holds
         * the room it read and must be found */
        if (++parks % IB_STREAM_RECOVER_EVERY == 1) {
            indexbus_recover_report rep = {.size = sizeof(rep)};
            ib_recover(w->p->h.region, 0, &rep);
        }
    }
    return INDEXBUS_OK;
}
