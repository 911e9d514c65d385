/*
 * crash_stream.h - byte streams in the kill campaign (part of crash.c,
 * included once after its infrastructure; not a stand-alone header).
 *
 * Two scenarios (scen.mode):
 *   stream-bytes  (SM_BYTES) one writer process and two reader processes
 *                 that hand the read end to each other (reader_release,
 *                 then the other's reader_open continues at the next
 *                 byte), a 4 KiB ring, max_record 256. The writer calls
 *                 write (what fits, often less than asked) and write_all
 *                 of 1..3000 bytes (more than max_record: several
 *                 reservations), now and then clones itself (opens a
 *                 second writer, closes the first) and at the end leaves
 *                 by close or, one in six, stream_writer_abort (counted as
 *                 an aborted writer). The stream is one
 *                 deterministic byte sequence (sbyte), checked byte by
 *                 byte as it arrives.
 *   stream-frames (SM_FRAMES) three writer processes (a killed one is
 *                 replaced) writing frames of 16..480 bytes with write_all
 *                 (at most max_record 512: all of it or none of it), one
 *                 reader, an 8 KiB ring; they clone and close or abort
 *                 as above. Frames carry (writer, seq) and
 *                 bytes derived from them; the reader parses them across
 *                 reads (and hand-overs), so a torn or interleaved frame
 *                 fails the check.
 * Writers are prec records (role R_PROD), readers crec (R_CONS). The
 * reader's parse state lives in sh->ss, shared by whichever reader process
 * holds the read end.
 *
 * Invariants (the campaign's S, I1, I2, I3 for a stream):
 *   S   every process ends by itself; a write that failed says how much
 *       went in (write_all of at most max_record: 0 or all of it);
 *       DISCONNECTED for a writer only once the read end is gone
 *   I1  nobody attached at the end, no writer seat taken, the free part of
 *       the ring is zero (LAYOUT.md 4.9) and, when the reader read to the
 *       end, head == read == tail
 *   I2  the reader saw exactly the bytes written, in order per writer, once:
 *       for a writer that closed, everything it was told was written; for a
 *       killed one, at least that and at most what its last call was given
 *       (a prefix of it; a frame whole or not at all); with the read end
 *       gone, at most that. The stream ended: ENDED latched, the reader got
 *       end of stream (unless it died), stream_writers 0, writers_aborted
 *       exactly the seats the killed writer held (a range only when it died
 *       inside an open or a close) plus the writers that aborted, ABORTED
 *       iff any; READER_GONE iff a
 *       reader holding the end died or the last one closed it;
 *       stream_bytes_read == the bytes delivered (no reader killed)
 *   I3  the latch holds: a late writer_open gets DISCONNECTED; a late reader
 *       gets DISCONNECTED (the read end closed or gone) or end of stream
 *       at once, never data
 */

#define S_WRITE_MAX 3000u /* stream-bytes: the longest write */

/* Byte i of writer w's byte sequence in iteration iter (stream-bytes: w 0). */
static uint8_t sbyte(uint32_t iter, uint32_t w, uint64_t i)
{
    uint64_t x = mix64(((uint64_t)iter << 44) ^ ((uint64_t)w << 40) ^ (i >> 3) ^ 0x5ea3u);
    return (uint8_t)(x >> ((i & 7u) * 8));
}

static void sfill(uint8_t *buf, uint32_t iter, uint32_t w, uint64_t at, uint32_t n)
{
    for (uint32_t j = 0; j < n; j++)
        buf[j] = sbyte(iter, w, at + j);
}

/* ---- writers (children) ---- */

static void sw_bump(uint32_t *p, int d) { st32(p, ld(p) + (uint32_t)d); }

/* Open a writer, counting it: seats is exact outside open/close calls. */
static int sw_open(indexbus_region *r, swrec *X, indexbus_stream_writer **w)
{
    st32(&X->opening, 1);
    int st = indexbus_stream_writer_open(r, w);
    if (st == INDEXBUS_OK)
        sw_bump(&X->seats, 1);
    st32(&X->opening, 0);
    return st;
}

static void sw_close(swrec *X, indexbus_stream_writer *w)
{
    st32(&X->closing, 1);
    indexbus_stream_writer_close(w);
    sw_bump(&X->seats, -1);
    st32(&X->closing, 0);
}

/* Clone: a second writer feeds the same stream, then the first closes (a
 * writer process always holds a seat, so the stream cannot end under it).
 * 0 OK or the read end is gone (keep the old one), 1 failure. */
static int sw_clone(indexbus_region *r, prec *P, swrec *X, indexbus_stream_writer **w)
{
    indexbus_stream_writer *nw;
    int st = sw_open(r, X, &nw);
    if (st == INDEXBUS_DISCONNECTED) {
        uint32_t flags = 0;
        indexbus_stream_state(r, &flags, NULL);
        if (flags & INDEXBUS_STREAM_READER_GONE)
            return 0;
        snprintf(P->err, sizeof P->err, "clone: writer_open DISCONNECTED while holding a seat,"
                                        " read end not gone (flags %#x)", flags);
        return 1;
    }
    if (st != INDEXBUS_OK) {
        snprintf(P->err, sizeof P->err, "clone: writer_open: %s", indexbus_status_name(st));
        return 1;
    }
    sw_close(X, *w);
    *w = nw;
    X->clones++;
    return 0;
}

/* One write_all of a frame of at most max_record bytes: all or nothing. */
static int sw_frame(prec *P, swrec *X, indexbus_stream_writer *w, const uint8_t *f, uint32_t len,
                    int *gone)
{
    size_t n = 99;
    int st = indexbus_stream_write_all(w, f, len, 20000000ull, &n);
    if (st == INDEXBUS_OK && n == len)
        return 1;
    if ((st == INDEXBUS_TIMEOUT || st == INDEXBUS_DISCONNECTED) && n == 0) {
        *gone = st == INDEXBUS_DISCONNECTED;
        return 0;
    }
    snprintf(P->err, sizeof P->err, "write_all of a %u-byte frame (max_record %u): %s, written %zu"
                                    " (all or nothing)", len, LW.max_record, indexbus_status_name(st), n);
    (void)X;
    return -1;
}

static int run_writer(int k)
{
    prec *P = &sh->p[k];
    swrec *X = &sh->sw[k];
    indexbus_region *r;
    indexbus_stream_writer *w = NULL;
    if (child_open(&r, P->err) != INDEXBUS_OK)
        return 1;
    int st = sw_open(r, X, &w);
    st32(&X->open_st, (uint32_t)st);
    if (st == INDEXBUS_DISCONNECTED) { /* a late writer: the parent judges it */
        st32(&P->ready, 1);
        indexbus_region_close(r);
        return 0;
    }
    if (st != INDEXBUS_OK) {
        snprintf(P->err, sizeof P->err, "stream_writer_open: %s", indexbus_status_name(st));
        return 1;
    }
    st32(&P->ready, 1);
    while (!ld(&sh->go) && !ld(&sh->stop))
        sched_yield();
    const uint32_t iter = sh->iter, me = (uint32_t)k, maxrec = LW.max_record;
    static uint8_t buf[S_WRITE_MAX + 64];
    uint64_t rs = sh->seed ^ mix64((uint64_t)k << 20 ^ iter ^ 0x57);
    uint64_t off = 0; /* bytes (SM_BYTES) or frames (SM_FRAMES) acked */
    int gone = 0;
    while (!ld(&sh->stop) && !gone) {
        /* a traced kill steers us (np_setup): 1 clone at every call, 2 writes
         * of several records, 3 short writes; 1 and 3 also keep the calls
         * short, so that single-stepping reaches the point sooner */
        uint32_t force = ld(&P->force);
        if ((force == 1 || mix64(rs++) % 48u == 0) && sw_clone(r, P, X, &w))
            return 1;
        if (sh->mode == SM_FRAMES) {
            if (off >= PCAP)
                break;
            uint32_t len = force ? HDR + (uint32_t)(off % 16u) : msg_len(iter, me, (uint32_t)off);
            msg_fill(buf, iter, me, (uint32_t)off, len); /* (the header carries the length) */
            st32(&P->plan0, len);
            __atomic_store_n(&X->started, off + 1, __ATOMIC_SEQ_CST);
            int rc = sw_frame(P, X, w, buf, len, &gone);
            if (rc < 0)
                return 1;
            off += (uint64_t)rc;
        } else {
            uint32_t kind = (uint32_t)(mix64(rs++) % 3u), len;
            if (force == 2) /* several records, in one reservation if the ring has room */
                len = maxrec + 1 + (uint32_t)(mix64(rs++) % (S_WRITE_MAX - maxrec));
            else if (force)
                len = 1 + (uint32_t)(mix64(rs++) % 64u);
            else if (kind == 0)
                len = 1 + (uint32_t)(mix64(rs++) % maxrec); /* at most one record */
            else
                len = 1 + (uint32_t)(mix64(rs++) % S_WRITE_MAX); /* often several */
            sfill(buf, iter, 0, off, len);
            st32(&P->plan0, len < maxrec ? len : maxrec); /* the first record (NP_W_IN_COMMIT) */
            __atomic_store_n(&X->started, off + len, __ATOMIC_SEQ_CST);
            size_t n = 99;
            if (force != 2 && mix64(rs++) % 2u) {
                st = indexbus_stream_write(w, buf, len, &n);
                if ((st == INDEXBUS_OK && (n == 0 || n > len)) ||
                    ((st == INDEXBUS_FULL || st == INDEXBUS_DISCONNECTED) && n != 0) ||
                    (st != INDEXBUS_OK && st != INDEXBUS_FULL && st != INDEXBUS_DISCONNECTED)) {
                    snprintf(P->err, sizeof P->err, "stream_write(%u) at %" PRIu64 ": %s, written %zu",
                             len, off, indexbus_status_name(st), n);
                    return 1;
                }
                if (st == INDEXBUS_FULL)
                    sched_yield();
            } else {
                st = indexbus_stream_write_all(w, buf, len, 20000000ull, &n);
                if ((st == INDEXBUS_OK && n != len) ||
                    ((st == INDEXBUS_TIMEOUT || st == INDEXBUS_DISCONNECTED) &&
                     (n > len || (len <= maxrec && n != 0 && n != len))) ||
                    (st != INDEXBUS_OK && st != INDEXBUS_TIMEOUT && st != INDEXBUS_DISCONNECTED)) {
                    snprintf(P->err, sizeof P->err, "stream_write_all(%u) at %" PRIu64 ": %s, written %zu"
                             " (max_record %u)", len, off, indexbus_status_name(st), n, maxrec);
                    return 1;
                }
            }
            gone = st == INDEXBUS_DISCONNECTED;
            off += n;
        }
        __atomic_store_n(&X->acked, off, __ATOMIC_SEQ_CST);
        __atomic_store_n(&X->started, off, __ATOMIC_SEQ_CST);
        st32(&P->committed, (uint32_t)off); /* statistics */
    }
    if (gone) {
        uint32_t flags = 0;
        indexbus_stream_state(r, &flags, NULL);
        st32(&X->disc, 1);
        if (!(flags & INDEXBUS_STREAM_READER_GONE)) {
            snprintf(P->err, sizeof P->err, "a write got DISCONNECTED, the read end is not gone (flags %#x)",
                     flags);
            return 1;
        }
    } else {
        while (!ld(&sh->stop)) /* hold the seat until the parent stops us */
            sleep_ns(200000);
    }
    if (mix64(rs++) % 6u == 0) { /* leave as a failed writer: counted as if it had died */
        st32(&X->closing, 1);
        indexbus_stream_writer_abort(w);
        sw_bump(&X->seats, -1);
        sw_bump(&X->aborted, 1);
        st32(&X->closing, 0);
    } else {
        sw_close(X, w);
    }
    indexbus_region_close(r);
    return 0;
}

/* ---- readers (children) ---- */

static void ss_fail(crec *C, const char *fmt, ...)
{
    va_list ap;
    if (sh->ss.corrupt++ != 0)
        return;
    va_start(ap, fmt);
    vsnprintf(C->err, sizeof C->err, fmt, ap);
    va_end(ap);
}

/* Check and account n bytes the read end delivered (sh->ss, exclusive to
 * the holder of the read end). */
static void ss_take(crec *C, const uint8_t *d, size_t n)
{
    sstate *S = &sh->ss;
    const uint32_t iter = sh->iter;
    uint64_t at = S->bytes;
    if (sh->mode == SM_BYTES) {
        for (size_t j = 0; j < n; j++)
            if (d[j] != sbyte(iter, 0, at + j)) {
                ss_fail(C, "byte %" PRIu64 " is %#x, the writer's is %#x", at + j, d[j],
                        sbyte(iter, 0, at + j));
                break;
            }
    } else {
        for (size_t j = 0; j < n; j++) {
            S->pbuf[S->plen++] = d[j];
            uint32_t h[4];
            if (S->plen < HDR)
                continue;
            memcpy(h, S->pbuf, HDR);
            if (h[3] < HDR || h[3] > g_maxlen) {
                ss_fail(C, "frame at stream byte %" PRIu64 ": header iter %u writer %u seq %u len %u"
                           " (torn or interleaved)", at + j + 1 - S->plen, h[0], h[1], h[2], h[3]);
                S->plen = 0;
                continue;
            }
            if (S->plen < h[3])
                continue;
            uint32_t p, s;
            if (!msg_check(S->pbuf, h[3], iter, &p, &s))
                ss_fail(C, "frame at stream byte %" PRIu64 " (writer %u seq %u len %u) not intact",
                        at + j + 1 - S->plen, h[1], h[2], h[3]);
            else if (s != S->next[p])
                ss_fail(C, "writer %u: frame seq %u after %" PRIu64 " (lost, duplicated or out of order)",
                        p, s, S->next[p]);
            else
                __atomic_store_n(&S->next[p], (uint64_t)s + 1, __ATOMIC_SEQ_CST);
            S->plen = 0;
        }
    }
    __atomic_store_n(&S->bytes, at + n, __ATOMIC_SEQ_CST);
}

static int run_reader(int k)
{
    crec *C = &sh->c[k];
    sstate *S = &sh->ss;
    indexbus_region *r;
    indexbus_stream_reader *rd = NULL;
    if (child_open(&r, C->err) != INDEXBUS_OK)
        return 1;
    int st;
    if (k == 0) { /* the first reader holds the end from the start */
        if ((st = indexbus_stream_reader_open(r, &rd)) != INDEXBUS_OK) {
            snprintf(C->err, sizeof C->err, "stream_reader_open: %s", indexbus_status_name(st));
            return 1;
        }
        S->opens++;
    }
    st32(&C->ready, 1);
    while (!ld(&sh->go) && !ld(&sh->stop))
        sched_yield();
    static uint8_t buf[8192];
    uint64_t rs = sh->seed ^ mix64((uint64_t)k << 24 ^ sh->iter ^ 0x5d);
    int handover = sh->ncons > 1;
    uint32_t hold = 1 + (uint32_t)(mix64(rs++) % 16u); /* reads before handing the end over */
    for (;;) {
        if (rd == NULL) {
            if (ld(&S->ended))
                break; /* the other reader saw the end */
            st32(&C->in_open, 1);
            st = indexbus_stream_reader_open(r, &rd);
            st32(&C->in_open, 0);
            if (st == INDEXBUS_BUSY) {
                sleep_ns(20000 + mix64(rs++) % 200000u);
                continue;
            }
            if (st == INDEXBUS_DISCONNECTED)
                break; /* the read end was closed, or its holder died */
            if (st != INDEXBUS_OK) {
                snprintf(C->err, sizeof C->err, "stream_reader_open: %s", indexbus_status_name(st));
                return 1;
            }
            S->opens++;
            hold = 1 + (uint32_t)(mix64(rs++) % 16u);
        }
        /* small reads now and then; always while a traced kill steps us (C->mode) */
        size_t small = C->mode || mix64(rs++) % 2u, cap = 1 + mix64(rs++) % (small ? 64u : sizeof buf), n = 0;
        st32(&C->in_recv, 1);
        /* steered (C->mode): no spin before the park, and a hand-over after every read */
        st = indexbus_stream_read(rd, buf, cap, &n, C->mode ? 0 : 20000000ull);
        if (C->mode)
            hold = 1;
        if (st == INDEXBUS_OK) {
            if (n == 0 || n > cap) {
                snprintf(C->err, sizeof C->err, "stream_read(cap %zu): OK with %zu bytes", cap, n);
                return 1;
            }
            ss_take(C, buf, n);
            S->reads++;
        }
        st32(&C->in_recv, 0);
        if (st == INDEXBUS_TIMEOUT || st == INDEXBUS_EMPTY || (st == INDEXBUS_OK && !(handover && --hold == 0)))
            continue;
        if (st == INDEXBUS_OK) { /* hand the read end over */
            indexbus_stream_reader_release(rd);
            rd = NULL;
            sleep_ns(mix64(rs++) % 300000u);
            continue;
        }
        if (st != INDEXBUS_DISCONNECTED || n != 0) {
            snprintf(C->err, sizeof C->err, "stream_read after %" PRIu64 " bytes: %s (%zu bytes)", S->bytes,
                     indexbus_status_name(st), n);
            return 1;
        }
        st32(&S->ended, 1); /* end of stream */
        if (mix64(rs++) % 2u) {
            st32(&S->closed, 1);
            indexbus_stream_reader_close(rd);
        } else {
            indexbus_stream_reader_release(rd);
        }
        rd = NULL;
        break;
    }
    indexbus_region_close(r);
    return 0;
}

/* ---- the parent ---- */

static void stream_config(indexbus_region_config *cfg, const scen *S)
{
    cfg->byte_capacity = S->log_bytes;
    cfg->max_record = S->cap;
}

/* After the victim (kid vk, entries ve[0..nve)) is dead, before recovery. */
static void stream_snapshot(kinfo *K, const int *ve, int nve)
{
    if (K->role == R_PROD) {
        const swrec *X = &sh->sw[K->rec];
        K->ab_min = ld(&X->seats) - ld(&X->closing);
        K->ab_max = ld(&X->seats) + ld(&X->opening);
        K->attaching = (int)ld(&X->opening);
    } else {
        K->attaching = (int)ld(&sh->c[K->rec].in_open);
        uint32_t own = __atomic_load_n(&LW.parts->consumer_owner[0], __ATOMIC_ACQUIRE) &
                       ~INDEXBUS_OWNER_LEAVING;
        K->held_end = 0;
        for (int i = 0; i < nve; i++)
            if (own == (uint32_t)ve[i] + 1)
                K->held_end = 1;
        K->maybe_end = (nve > 0 || K->attaching) && !K->held_end; /* inside an open or a release */
    }
}

/* stream-bytes: the only writer is gone; after the parent's recovery the
 * stream has ENDED and a new writer cannot reopen it. */
static void stream_after_writer_kill(void)
{
    indexbus_stream_writer *w = NULL;
    uint32_t flags = 0;
    indexbus_stream_state(g_region, &flags, NULL);
    int st = indexbus_stream_writer_open(g_region, &w);
    if (!(flags & INDEXBUS_STREAM_ENDED) || st != INDEXBUS_DISCONNECTED)
        failf(I_DELIV, "the only writer killed and recovered: flags %#x, a new writer_open %s"
                       " (want ENDED and DISCONNECTED)", flags, indexbus_status_name(st));
    if (st == INDEXBUS_OK)
        indexbus_stream_writer_close(w);
}

static void stream_check_region(const indexbus_info *info)
{
    const kinfo *K = &I.K;
    if (info->stream_writers)
        failf(I_LEAK, "every process ended, %u writer seat(s) still taken", info->stream_writers);
    int to_end = ld(&sh->ss.ended) && !(K->role == R_CONS && (K->held_end || K->maybe_end));
    uint64_t first = 0, nz = 0, t = rl_tail(&LW), h = rl_head(&LW), rd = rl_read(&LW);
    if ((int64_t)(rd - h) < 0 || (int64_t)(t - rd) < 0 || t - h > LW.bytes)
        failf(I_LEAK, "ring positions out of order: head %" PRIu64 " read %" PRIu64 " tail %" PRIu64, h, rd, t);
    else
        for (uint64_t pos = t; pos != h + LW.bytes; pos += 8) /* free space is zero */
            if (rl_hdr(&LW, pos) != 0 && nz++ == 0)
                first = pos & LW.mask;
    if (nz)
        failf(I_LEAK, "%" PRIu64 " nonzero word(s) in the free part of the ring (first at offset %" PRIu64
                      "; head %" PRIu64 " tail %" PRIu64 ")", nz, first, h, t);
    if (to_end && (h != t || rd != t))
        failf(I_LEAK, "the reader read to the end, but head %" PRIu64 " read %" PRIu64 " tail %" PRIu64, h, rd, t);
}

static void stream_check_delivery(const indexbus_info *info)
{
    const kinfo *K = &I.K;
    const sstate *S = &sh->ss;
    uint32_t flags = info->stream_flags;
    int gone = (flags & INDEXBUS_STREAM_READER_GONE) != 0;
    int rkill = K->role == R_CONS;
    if (S->corrupt)
        failf(I_DELIV, "%u bad frame(s) or byte(s): %s", S->corrupt,
              sh->c[0].err[0] ? sh->c[0].err : sh->c[1].err);
    if (!(flags & INDEXBUS_STREAM_ENDED))
        failf(I_DELIV, "every writer left, but the stream has not ENDED (flags %#x)", flags);
    /* who closed the read end for good */
    int want_gone = ld(&S->closed) || (rkill && K->held_end);
    if (gone != want_gone && !(rkill && K->maybe_end))
        failf(I_DELIV, "READER_GONE %s: a reader closed it %u, a killed reader held the end %d",
              gone ? "latched" : "not latched", ld(&S->closed), rkill ? K->held_end : 0);
    if (!gone && !ld(&S->ended) && !(rkill && K->maybe_end))
        failf(I_DELIV, "the reader never got end of stream (%" PRIu64 " bytes read)", S->bytes);
    /* writers_aborted: the seats the killed writer held, and the writers
     * that left with stream_writer_abort */
    uint32_t amin = K->role == R_PROD ? K->ab_min : 0, amax = K->role == R_PROD ? K->ab_max : 0;
    for (int p = 0; p < I.nprec; p++) {
        amin += sh->sw[p].aborted;
        amax += sh->sw[p].aborted;
    }
    if (info->writers_aborted < amin || info->writers_aborted > amax ||
        !!(flags & INDEXBUS_STREAM_ABORTED) != (info->writers_aborted > 0))
        failf(I_DELIV, "writers_aborted %u, ABORTED %s; want %u..%u (killed seats and aborts)",
              info->writers_aborted, flags & INDEXBUS_STREAM_ABORTED ? "set" : "clear", amin, amax);
    if (!rkill && info->stream_bytes_read != S->bytes)
        failf(I_DELIV, "stream_bytes_read %" PRIu64 ", the readers took %" PRIu64, info->stream_bytes_read,
              S->bytes);
    I.T->msgs += sh->mode == SM_BYTES ? S->bytes : 0;
    I.T->stream_bytes += S->bytes;
    I.T->handovers += S->opens;
    I.T->ab_iters += info->writers_aborted > 0;
    I.T->gone_iters += gone;
    for (int p = 0; p < I.nprec; p++)
        I.T->clones += sh->sw[p].clones;
    for (int p = 0; p < I.nprec; p++) {
        const prec *P = &sh->p[p];
        const swrec *X = &sh->sw[p];
        if (!P->used || X->open_st != INDEXBUS_OK)
            continue;
        uint64_t d = sh->mode == SM_BYTES ? S->bytes : S->next[p];
        uint64_t a = X->acked, s = X->started;
        const char *unit = sh->mode == SM_BYTES ? "byte(s)" : "frame(s)";
        if (sh->mode == SM_FRAMES)
            I.T->msgs += d;
        if (X->disc && !gone)
            failf(I_DELIV, "writer %d got DISCONNECTED, the read end is not gone", p);
        if (d > s || (!gone && d < a) || (!gone && !P->killed && d != a))
            failf(I_DELIV, "writer %d%s: the reader got %" PRIu64 " %s; it wrote %" PRIu64 ", %" PRIu64
                           " with its last call%s", p, P->killed ? " (killed)" : "", d, unit, a, s,
                  gone ? " (read end gone)" : "");
    }
}

/* I3: the end is latched. */
static int stream_round_trip(char *why)
{
    indexbus_stream_writer *w = NULL;
    indexbus_stream_reader *rd = NULL;
    int st = indexbus_stream_writer_open(g_region, &w);
    if (st != INDEXBUS_DISCONNECTED) {
        snprintf(why, 200, "a late writer_open: %s (want DISCONNECTED)", indexbus_status_name(st));
        indexbus_stream_writer_close(w);
        return 0;
    }
    uint32_t flags = 0;
    indexbus_stream_state(g_region, &flags, NULL);
    st = indexbus_stream_reader_open(g_region, &rd);
    if (flags & INDEXBUS_STREAM_READER_GONE) {
        if (st != INDEXBUS_DISCONNECTED) {
            snprintf(why, 200, "READER_GONE, a late reader_open: %s", indexbus_status_name(st));
            indexbus_stream_reader_close(rd);
            return 0;
        }
        return 1;
    }
    if (st != INDEXBUS_OK) {
        snprintf(why, 200, "a late reader_open: %s", indexbus_status_name(st));
        return 0;
    }
    uint8_t b[64];
    size_t n = 0;
    st = indexbus_stream_read(rd, b, sizeof b, &n, 0);
    indexbus_stream_reader_close(rd);
    if (st != INDEXBUS_DISCONNECTED || n != 0) {
        snprintf(why, 200, "a late reader's read: %s with %zu bytes (want end of stream)",
                 indexbus_status_name(st), n);
        return 0;
    }
    return 1;
}
