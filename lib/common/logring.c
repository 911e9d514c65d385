/* logring.c - the byte-log ring's algorithms (LAYOUT.md 5.17). */
#include <string.h>

#include "logring.h"
#include "wake.h"

/* ---- producer side ------------------------------------------------------------ */

/* The reservation point: ours (SPSC) or the shared tail (MPSC); tail is a
 * reservation only, the headers carry the ordering (5.2). */
static uint64_t reserve_point(const ib_view *v, const ib_log_writer *w)
{
    return w->spsc ? w->pos : ib_load_relaxed(&v->log->tail);
}

/* Read head afresh into w->head, checked against pos (LAYOUT.md 7): OK,
 * EMPTY (an MPSC tail read before others moved it: read it again), or
 * CORRUPT. */
static int refresh_head(const ib_view *v, ib_log_writer *w, uint64_t pos)
{
    /* pairs with the consumer's release of head in ib_log_give_back: the
     * bytes below it are zeroed and no longer read */
    uint64_t h = ib_load_acquire(&v->log->head);
    if ((int64_t)(pos - h) < 0) {
        /* head past our tail. An MPSC tail read before others moved it is
         * stale: read it again. But head never passes tail, so a fresh
         * tail behind the head read before it is a forged word, as is our
         * own SPSC position behind it (LAYOUT.md 7): CORRUPT, never a loop */
        if (w->spsc || (int64_t)(ib_load_relaxed(&v->log->tail) - h) < 0) /* reservation only (5.2) */
            return INDEXBUS_CORRUPT;
        return INDEXBUS_EMPTY;
    }
    if (pos - h > v->log_bytes || (pos | h) % 8u != 0)
        return INDEXBUS_CORRUPT;
    w->head = h;
    return INDEXBUS_OK;
}

int64_t ib_log_space(const ib_view *v, ib_log_writer *w)
{
    for (;;) {
        uint64_t pos = reserve_point(v, w);
        int st = refresh_head(v, w, pos);
        if (st == INDEXBUS_CORRUPT)
            return -INDEXBUS_CORRUPT;
        if (st == INDEXBUS_OK)
            return (int64_t)(v->log_bytes - (pos - w->head));
    }
}

/* Would `need` bytes from pos fit, by the cached head or a fresh one? */
static int fits(const ib_view *v, ib_log_writer *w, uint64_t pos, uint64_t need)
{
    if (pos + need - w->head <= v->log_bytes && (int64_t)(pos - w->head) >= 0)
        return INDEXBUS_OK;
    int st = refresh_head(v, w, pos);
    if (st != INDEXBUS_OK)
        return st;
    return pos + need - w->head <= v->log_bytes ? INDEXBUS_OK : INDEXBUS_FULL;
}

int ib_log_reserve(const ib_view *v, ib_log_writer *w, indexbus_participant *e, uint64_t bytes)
{
    uint64_t pos, pad, need;
    for (;;) {
        pos = reserve_point(v, w);
        if (pos % 8u != 0)
            return INDEXBUS_CORRUPT;
        uint64_t off = pos & v->log_mask;
        pad = off + bytes > v->log_bytes ? v->log_bytes - off : 0; /* records never straddle */
        need = pad + bytes;
        int st = fits(v, w, pos, need);
        if (st == INDEXBUS_EMPTY) /* a stale MPSC tail: others moved on */
            continue;
        if (st != INDEXBUS_OK)
            return st;
        /* journal before reserving: a death right after the reservation
         * still names it (5.17); read by a recoverer only */
        ib_store_relaxed(&e->log_size, (uint32_t)need);
        /* pairs with a recoverer's acquire of log_reserve in covered_by_other:
         * the size written before it is seen with it */
        ib_store_release(&e->log_reserve, pos | INDEXBUS_LOG_RESERVING);
        if (w->spsc) {
            w->pos = pos + need;
            /* orders the journal before it; pairs with the recoverer's
             * acquire load of tail (ib_log_recover_producer) */
            ib_store_release(&v->log->tail, pos + need);
            break;
        }
        /* one CAS per reservation; release orders the journal before it.
         * pairs with the recoverer's acquire load of tail, as above */
        if (ib_cas_release(&v->log->tail, &pos, pos + need))
            break;
    }
    if (pad) /* pairs with the consumer's acquire of the header in ib_log_peek */
        ib_store_release(ib_log_hdr(v, pos), IB_LOG_WORD(pad, INDEXBUS_LOG_PAD));
    w->rec_pos = pos + pad;
    w->rec_size = bytes;
    /* marks it ours, for recovery; the consumer treats it as not yet written */
    ib_store_relaxed(ib_log_hdr(v, w->rec_pos), IB_LOG_CLAIMED(w->part, bytes));
    ib_store_relaxed(&e->log_reserve, pos | INDEXBUS_LOG_RESERVED);
    return INDEXBUS_OK;
}

void ib_log_publish(const ib_view *v, ib_log_writer *w, indexbus_participant *e,
                    const uint32_t *lens, size_t n)
{
    uint64_t at = w->rec_pos;
    /* every record but the first, and the unused rest as one pad: all
     * published by the first header's release below */
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            ib_store_relaxed(ib_log_hdr(v, at), IB_LOG_WORD(lens[i], INDEXBUS_LOG_RECORD));
        at += ib_log_stride(lens[i]);
    }
    uint64_t rest = w->rec_size - (at - w->rec_pos);
    if (n > 0 && rest > 0)
        ib_store_relaxed(ib_log_hdr(v, at), IB_LOG_WORD(rest, INDEXBUS_LOG_PAD));
    uint64_t first = n > 0 ? IB_LOG_WORD(lens[0], INDEXBUS_LOG_RECORD)
                           : IB_LOG_WORD(w->rec_size, INDEXBUS_LOG_PAD);
    /* publishes the payloads and every header above; pairs with the
     * consumer's acquire of the header in ib_log_peek */
    ib_store_release(ib_log_hdr(v, w->rec_pos), first);
    /* after the header: a recoverer that finds this journal checks that
     * the header is still CLAIMED before it touches it (5.17) */
    ib_store_relaxed(&e->log_reserve, 0);
}

/* ---- consumer side ------------------------------------------------------------ */

/* Zero [from, to) of the ring (to - from <= log_bytes), in up to two pieces. */
static void zero_range(const ib_view *v, uint64_t from, uint64_t to)
{
    while (from != to) {
        uint64_t off = from & v->log_mask;
        uint64_t n = to - from;
        if (n > v->log_bytes - off)
            n = v->log_bytes - off;
        memset(v->log_data + off, 0, n);
        from += n;
    }
}

int ib_log_attach_reader(const ib_view *v, ib_log_reader *r)
{
    /* pairs with the previous reader's release of head in ib_log_give_back */
    uint64_t h = ib_load_acquire(&v->log->head);
    /* pairs with the previous reader's release of read in ib_log_take */
    uint64_t rd = ib_load_acquire(&v->log->read);
    /* read once, checked (LAYOUT.md 7) */
    if (rd - h > v->log_bytes || (h | rd) % 8u != 0)
        return INDEXBUS_CORRUPT;
    r->head = h;
    r->read = rd;
    r->keep = UINT64_MAX;
    ib_log_give_back(v, r, 0);
    return INDEXBUS_OK;
}

int ib_log_peek(const ib_view *v, ib_log_reader *r, const uint8_t **data, uint32_t *len)
{
    /* at most a ring's worth of pads, so a hostile ring cannot loop us */
    for (uint64_t n = 0; n <= v->log_bytes / 8u; n++) {
        /* a whole ring read and not yet given back: what lies at read now
         * is our own last lap, not zeroed yet (a batch gives back at its end) */
        if (r->read - r->head >= v->log_bytes)
            return INDEXBUS_EMPTY;
        uint64_t off = r->read & v->log_mask;
        /* read once, checked below (LAYOUT.md 7); pairs with the
         * producer's release of the header in ib_log_publish / reserve */
        uint64_t w = ib_load_acquire(ib_log_hdr(v, r->read));
        uint32_t type = IB_LOG_TYPE(w), l = IB_LOG_LEN(w);
        if (type == INDEXBUS_LOG_EMPTY || type == INDEXBUS_LOG_CLAIMED)
            return INDEXBUS_EMPTY;
        if (type == INDEXBUS_LOG_RECORD) {
            if (l > v->log_max_record || off + ib_log_stride(l) > v->log_bytes)
                return INDEXBUS_CORRUPT;
            *data = v->log_data + off + INDEXBUS_LOG_HEADER_BYTES;
            *len = l;
            return INDEXBUS_OK;
        }
        if (type != INDEXBUS_LOG_PAD || l < 8u || l % 8u != 0 || off + l > v->log_bytes)
            return INDEXBUS_CORRUPT;
        r->read += l; /* given back with the records around it */
    }
    return INDEXBUS_EMPTY;
}

void ib_log_take(const ib_view *v, ib_log_reader *r, uint32_t len)
{
    r->read += ib_log_stride(len);
    /* a recoverer gives back below it; pairs with the acquire loads in
     * ib_log_recover_producer and ib_log_attach_reader */
    ib_store_release(&v->log->read, r->read);
}

void ib_log_give_back(const ib_view *v, ib_log_reader *r, uint64_t min)
{
    uint64_t to = r->keep < r->read ? r->keep : r->read;
    if (to - r->head < min || to == r->head)
        return;
    /* pads passed since the last take; pairs with the acquire loads of read,
     * as in ib_log_take */
    ib_store_release(&v->log->read, r->read);
    zero_range(v, r->head, to); /* free space reads as EMPTY to the next lap */
    r->head = to;
    /* publishes the zeroes; pairs with the producers' acquire of head */
    ib_store_release(&v->log->head, to);
    ib_wake_notify(&v->wake[v->producer_wake]); /* blocking producers */
}

/* ---- observers and recovery --------------------------------------------------- */

void ib_log_scan(const ib_view *v, uint64_t *padding, uint64_t *records)
{
    /* statistics from snapshots: read and tail only bound the walk */
    uint64_t tail = ib_load_acquire(&v->log->tail); /* pairs with ib_log_reserve's release */
    uint64_t rd = ib_load_acquire(&v->log->read); /* pairs with ib_log_take */
    ib_log_reader r = {.read = rd, .head = rd, .keep = UINT64_MAX};
    *padding = *records = 0;
    if (r.read % 8u != 0 || tail - r.read > v->log_bytes)
        return;
    while ((int64_t)(tail - r.read) > 0) { /* at most log_bytes / 8 steps */
        uint64_t before = r.read;
        const uint8_t *d;
        uint32_t len;
        int st = ib_log_peek(v, &r, &d, &len);
        /* only what lies below tail counts: a forged pad may reach past it */
        int past = (int64_t)(tail - r.read) < 0;
        *padding += (past ? tail : r.read) - before;
        if (st != INDEXBUS_OK || past)
            return;
        (*records)++;
        r.read += ib_log_stride(len);
    }
}

/* CAS a reservation piece from what its writer left to padding. */
static int pad_piece(const ib_view *v, uint64_t pos, uint64_t bytes, uint64_t expect)
{
    /* pairs with the consumer's acquire of the header in ib_log_peek */
    return ib_cas_acq_rel(ib_log_hdr(v, pos), &expect, IB_LOG_WORD(bytes, INDEXBUS_LOG_PAD));
}

/* Does another participant's journal cover any byte of [lo, hi)? 1 yes,
 * 0 no, -1 cannot tell (a journal changed while we read it: its producer is
 * alive and moving; ask again later). */
static int covered_by_other(const ib_view *v, uint32_t part, uint64_t lo, uint64_t hi)
{
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        const indexbus_participant *e = &v->parts->entries[i];
        /* journal words, used only in this comparison (LAYOUT.md 7).
         * pairs with the producer's release of log_reserve in ib_log_reserve */
        uint64_t j = ib_load_acquire(&e->log_reserve);
        if (i == part || j == 0)
            continue;
        uint64_t n = ib_load_relaxed(&e->log_size);
        /* again: pairs with the producer's release of log_reserve, as above */
        if (ib_load_acquire(&e->log_reserve) != j)
            return -1;
        uint64_t p = j & ~(uint64_t)7u;
        if (n > v->log_bytes)
            n = v->log_bytes;
        if ((int64_t)(p - hi) < 0 && (int64_t)(lo - (p + n)) < 0)
            return 1;
    }
    return 0;
}

/* Has the consumer read past position pos? (Its published read; pairs
 * with the release stores of read in ib_log_take / ib_log_give_back.) */
static int read_past(const ib_view *v, uint64_t pos)
{
    uint64_t rd = ib_load_acquire(&v->log->read); /* pairs with ib_log_take's release */
    return (int64_t)(rd - pos) > 0;
}

int ib_log_recover_producer(const ib_view *v, uint32_t part, uint64_t reserve, uint32_t size)
{
    uint64_t pos = reserve & ~(uint64_t)7u, flag = reserve & 7u;
    /* journal words read once by the caller; checked here (LAYOUT.md 7) */
    if (reserve == 0 || size < 8u || size % 8u != 0 || size > v->log_bytes)
        return 0;
    uint64_t off = pos & v->log_mask;
    uint64_t first = off + size > v->log_bytes ? v->log_bytes - off : size;
    uint64_t rec = pos + first == pos + size ? pos : pos + first; /* the CLAIMED header's place */
    uint64_t rec_bytes = rec == pos ? size : size - first;
    /* pairs with the reserving producer's release of tail. The reader
     * cannot pass an unpublished record, so tail is at most a ring past
     * rec (not pos: a wrap pad before it may be read and given back). */
    uint64_t tail = ib_load_acquire(&v->log->tail);
    if ((int64_t)(tail - pos) <= 0 || (int64_t)(tail - rec) <= 0 || tail - rec > v->log_bytes)
        return 0; /* never reserved (or nonsense) */
    if (pad_piece(v, rec, rec_bytes, IB_LOG_CLAIMED(part, rec_bytes)))
        return 1; /* the usual case: claimed, never published (its wrap pad came first) */
    if (flag != INDEXBUS_LOG_RESERVING || (int64_t)(tail - (pos + size)) < 0 || read_past(v, rec))
        return 0; /* published, read, or (past tail) never reserved by it */
    /* It died around its reservation, before its CLAIMED store. The bytes
     * were its own unless another producer's journal covers them (a live
     * winner journals before its CAS and until it publishes): then, or
     * while a journal moves under us, ask again later */
    int other = covered_by_other(v, part, pos, pos + size);
    if (other != 0)
        return other < 0 ? -1 : 0;
    if (!pad_piece(v, rec, rec_bytes, 0))
        return 0;
    /* Maybe before its wrap pad too. If the reader stands at pos, the pad
     * is not there (the reader cannot pass a zero): write it. If the reader
     * passed it meanwhile, the zero our CAS saw may be its zeroing: take
     * our pad back (LAYOUT.md 5.17). */
    if (rec != pos && !read_past(v, pos) && pad_piece(v, pos, first, 0) && read_past(v, pos)) {
        uint64_t mine = IB_LOG_WORD(first, INDEXBUS_LOG_PAD);
        /* pairs with the consumer's acquire of the header, as pad_piece */
        ib_cas_acq_rel(ib_log_hdr(v, pos), &mine, 0);
    }
    return 1;
}

void ib_log_recover_consumer(const ib_view *v)
{
    ib_log_reader r;
    ib_log_attach_reader(v, &r); /* gives back what it read (CORRUPT: leave it) */
}
