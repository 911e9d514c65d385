/*
 * crash_durable.h - durable regions (layout 1.2) in the kill campaign: the
 * roles. Included by crash.c before run_producer; the parent's checks are
 * in crash_durable_check.h.
 *
 * Scenarios durable-events, durable-fanout and durable-log run on regions
 * created with INDEXBUS_CREATE_DURABLE. Every consumer is a HOLD consumer
 * (indexbus_consumer_open_config with INDEXBUS_CONSUMER_HOLD): it reads a
 * batch of 1..8 with indexbus_recv_held, logs each message when read, and
 * lets go of them with indexbus_release, in half the turns keeping up to
 * three held across waits (the contract it is killed under: what a dead holder did
 * not release is read again by its successor, at the same positions).
 * The SPSC producer publishes with indexbus_publish_batch_marked, batches
 * of 1..8 marked dmark(iter, producer, seq): strictly increasing across
 * iterations (the region lives for REUSE of them) and across a killed
 * producer's replacements (a later producer record). The MPSC producers
 * of durable-fanout publish unmarked.
 *
 * Bookkeeping in the shared records: crec.rel (log entries released: the
 * release returned), crec.rel_in (a release of that many in flight),
 * prec.mark_open (indexbus_producer_mark right after the producer's open,
 * which settles a dead predecessor's journal).
 */
#ifndef CRASH_DURABLE_H
#define CRASH_DURABLE_H

/* The mark of message (p, s) of iteration iter: increasing in all three. */
static uint64_t dmark(uint32_t iter, uint32_t p, uint32_t s)
{
    return (uint64_t)iter << 36 | (uint64_t)(p + 1) << 32 | (uint64_t)(s + 1);
}

/* One indexbus_publish_batch_marked of 1..8 messages (byte logs: at most
 * half the ring; the first aimed at the ring's end for a traced wrap).
 * Returns 0 to go on, 1 when stopped (or PCAP reached), 2 on failure. */
static int marked_produce(prec *P, indexbus_producer *pr, uint32_t iter, uint32_t me, uint32_t *sp,
                          uint8_t *batch, uint64_t *rs, int *stp)
{
    uint32_t s = *sp, lens[8], n, off = 0, bytes = 0;
    uint64_t marks[8];
    int log = sh->kind == INDEXBUS_KIND_LOG;
    uint32_t want = 1 + (uint32_t)(mix64((*rs)++) % 8u);
    *stp = INDEXBUS_OK;
    for (n = 0; n < want && s + n < PCAP; n++) {
        uint32_t l = log && n == 0 ? log_len(P, iter, me, s) : msg_len(iter, me, s + n);
        if (log && n > 0 && bytes + log_stride(l) > LW.bytes / 2)
            break;
        lens[n] = l;
        bytes += log_stride(l);
        marks[n] = dmark(iter, me, s + n);
        msg_fill(batch + off, iter, me, s + n, l);
        off += l;
    }
    if (n == 0)
        return 1;
    if (ld(&P->started) < s + n)
        st32(&P->started, s + n);
    size_t done = 0;
    int st;
    while (log_transient(st = indexbus_publish_batch_marked(pr, batch, lens, marks, n, &done)) &&
           done == 0 && !ld(&sh->stop))
        sched_yield();
    s += (uint32_t)done;
    *sp = s;
    st32(&P->committed, s);
    *stp = st;
    if (st == INDEXBUS_OK || (done > 0 && log_transient(st)))
        return 0;
    return log_transient(st) ? 1 : 2;
}

/* After the open of a marked producer: the mark it resumes from. */
static void marked_opened(prec *P, indexbus_producer *pr)
{
    uint64_t m = 0;
    P->mark_open_st = (uint32_t)indexbus_producer_mark(pr, &m);
    P->mark_open = m;
}

/* Let go of `count` held messages, with the bookkeeping the parent's
 * re-read check needs (rel_in while in flight). */
static int hold_release(crec *C, indexbus_consumer *c, uint32_t *held, uint32_t count)
{
    if (count == 0)
        return INDEXBUS_OK;
    st32(&C->rel_in, count);
    int st = indexbus_release(c, count);
    if (st == INDEXBUS_OK) {
        st32(&C->rel, C->rel + count);
        *held -= count;
    }
    st32(&C->rel_in, 0);
    return st;
}

/* A HOLD consumer's turn: read up to 1..8 held, log each, then release all
 * but 0..3 of them (one turn in two keeps some). Returns 0, or the
 * failing status (a log overflow: -1). */
static int hold_turn(int k, indexbus_consumer *c, uint8_t *buf, size_t cap, uint32_t *held,
                     uint64_t *last_pos, uint64_t *rs)
{
    crec *C = &sh->c[k];
    uint32_t max = 1 + (uint32_t)(mix64((*rs)++) % 8u);
    int st = INDEXBUS_OK;
    for (uint32_t i = 0; i < max; i++) {
        size_t len = 0;
        uint64_t pos = 0;
        st = indexbus_recv_held(c, buf, cap, &len, &pos);
        if (st == INDEXBUS_EMPTY || st == INDEXBUS_FULL || st == INDEXBUS_DISCONNECTED)
            break;
        if (st != INDEXBUS_OK)
            return st;
        /* positions increase per queue (events: the MPSC queue's have bit 63) */
        uint32_t q = (uint32_t)(pos >> 63);
        if (last_pos[q] != UINT64_MAX && pos <= last_pos[q] && C->corrupt++ == 0)
            snprintf(C->err, sizeof C->err, "held position %#" PRIx64 " after %#" PRIx64, pos,
                     last_pos[q]);
        last_pos[q] = pos;
        (*held)++;
        if (log_msg(k, buf, len) < 0)
            return -1;
    }
    uint32_t keep = mix64((*rs)++) % 2u == 0 ? (uint32_t)(mix64((*rs)++) % 4u) : 0;
    if (*held > keep && (st = hold_release(C, c, held, *held - keep)) != INDEXBUS_OK)
        return st;
    return INDEXBUS_OK;
}

/* The HOLD consumer's loop, from its open to its close (run_consumer's
 * for a durable scenario). 0 at the end; a failing status otherwise. */
static int hold_loop(int k, indexbus_consumer *c, uint8_t *buf, size_t cap)
{
    uint64_t rs = sh->seed ^ mix64((uint64_t)k << 24 ^ sh->iter ^ 0xd0);
    uint64_t last_pos[2] = {UINT64_MAX, UINT64_MAX};
    uint32_t held = 0;
    for (;;) {
        int st = indexbus_wait(c, 20000000ull);
        if (st == INDEXBUS_TIMEOUT)
            continue;
        if (st == INDEXBUS_DISCONNECTED) {
            if (ld(&sh->stop))
                break;
            sleep_ns(100000);
            continue;
        }
        if (st != INDEXBUS_OK)
            return st;
        if ((st = hold_turn(k, c, buf, cap, &held, last_pos, &rs)) != INDEXBUS_OK)
            return st;
    }
    return hold_release(&sh->c[k], c, &held, held); /* what is kept goes before the close */
}

#endif /* CRASH_DURABLE_H */
