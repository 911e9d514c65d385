/* in.c - `indexbus-bridge in`: a durable JetStream pull consumer that
 * publishes into a durable region as its SPSC producer. Each message goes
 * in with publish_batch_marked, its mark being its stream sequence, so the
 * region remembers exactly the last one applied; a restarted bridge
 * re-creates its consumer from mark + 1 and skips anything at or below
 * the mark, and acknowledges to JetStream (AckAll) only after the commit
 * (docs/BRIDGE.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge.h"

#define FETCH_WAIT_MS 500 /* one fetch's longest wait, to see a stop */
#define STALL_MS 3000     /* no message this long: is the consumer stuck? */

typedef struct in_state {
    const br_opts *o;
    indexbus_region *r;
    indexbus_producer *p;
    br_nats n;
    natsSubscription *sub;
    size_t maxlen;     /* largest message the region takes */
    uint64_t mark;     /* stream sequence of the last message applied */
    char *data;        /* the batch's new messages, back to back */
    size_t data_len, data_cap;
    uint32_t *lens;
    uint64_t *marks;
    size_t queued;     /* messages in data */
    int done_upto;     /* list index up to which everything is applied or skipped; -1 none */
    int noted_gone;    /* "no consumer attached" said (again after one came) */
    int refused;
    int halt;          /* a commit stopped short: leave the rest of the list */
    uint64_t committed;
    br_counts delta, total;
} in_state;

/* Room for one more message of len bytes in the batch buffer. */
static int reserve(in_state *s, size_t len)
{
    if (s->data_len + len <= s->data_cap)
        return BR_OK;
    size_t cap = s->data_cap ? s->data_cap : 65536;
    while (cap < s->data_len + len)
        cap *= 2;
    char *d = realloc(s->data, cap);
    if (d == NULL) {
        br_err(s->o, "out of memory");
        return BR_FAIL;
    }
    s->data = d;
    s->data_cap = cap;
    return BR_OK;
}

/* Commit the queued messages, waiting while the region is full. Returns
 * how many went in; a stop signal while full, or the region's consumers
 * gone, ends the wait (the rest are not acknowledged, so not lost). */
static size_t commit_queued(in_state *s, int *err)
{
    size_t done = 0, off = 0;
    unsigned naps = 0;
    while (done < s->queued) {
        size_t n = 0;
        int st = indexbus_publish_batch_marked(s->p, s->data + off, s->lens + done,
                                               s->marks + done, s->queued - done, &n);
        for (size_t i = 0; i < n; i++)
            off += s->lens[done + i];
        done += n;
        if (n > 0) {
            s->mark = s->marks[done - 1];
            s->noted_gone = 0;
        }
        if (st == INDEXBUS_OK || done == s->queued)
            break;
        if (st != INDEXBUS_FULL && st != INDEXBUS_DISCONNECTED) {
            br_err(s->o, "region %s: publish: %s", s->o->region, indexbus_strerror(st));
            *err = BR_FAIL;
            break;
        }
        if (br_stop)
            break;
        /* flow control: wait for the consumer to make room, or (DISCONNECTED)
         * for one to attach again; nothing is acknowledged meanwhile */
        if (st == INDEXBUS_DISCONNECTED && !s->noted_gone) {
            br_note(s->o, "region %s: no consumer attached; waiting for one", s->o->region);
            s->noted_gone = 1;
        }
        br_sleep_ms(naps++ < 50 ? 0 : 1);
    }
    return done;
}

/* Commit what is queued; the list's messages up to `upto` are then done
 * if all went in. */
static int flush_batch(in_state *s, int upto)
{
    int err = BR_OK;
    size_t want = s->queued;
    size_t n = want ? commit_queued(s, &err) : 0;
    s->delta.forwarded += n;
    s->committed += n;
    if (n == want)
        s->done_upto = upto;
    else
        s->halt = 1; /* nothing after an unapplied message may go in */
    s->queued = 0;
    s->data_len = 0;
    return err;
}

static int oversize(in_state *s, int i, uint64_t seq, int len)
{
    int rc = flush_batch(s, i - 1); /* everything before it goes in first */
    if (rc != BR_OK || s->halt)
        return rc;
    s->delta.refused++;
    br_err(s->o, "stream %s sequence %" PRIu64 " is %d bytes; region %s takes at most %zu%s",
           s->o->stream, seq, len, s->o->region, s->maxlen,
           s->o->skip_oversize ? ": skipped (--skip-oversize)" : ": refused, not acknowledged");
    if (!s->o->skip_oversize) {
        s->refused = 1;
        return BR_OVERSIZE;
    }
    if (s->done_upto == i - 1)
        s->done_upto = i;
    return BR_OK;
}

/* Sort one fetched message: already applied (skip, acked), too large, or
 * queued for the commit. *hi is the highest sequence taken so far. */
static int take(in_state *s, natsMsgList *list, int i, uint64_t *hi)
{
    natsMsg *m = list->Msgs[i];
    jsMsgMetaData *meta = NULL;
    natsStatus ns = natsMsg_GetMetaData(&meta, m);
    if (ns != NATS_OK) {
        br_err(s->o, "message metadata: %s", br_nats_text(ns));
        return BR_FAIL;
    }
    uint64_t seq = meta->Sequence.Stream;
    jsMsgMetaData_Destroy(meta);
    if (seq <= *hi) { /* applied before (a redelivery, or a replay after a crash) */
        s->delta.deduplicated++;
        if (s->queued == 0 && s->done_upto == i - 1)
            s->done_upto = i;
        return BR_OK;
    }
    int len = natsMsg_GetDataLength(m);
    if ((size_t)len > s->maxlen) {
        *hi = seq;
        return oversize(s, i, seq, len);
    }
    if (reserve(s, (size_t)len) != BR_OK)
        return BR_FAIL;
    memcpy(s->data + s->data_len, natsMsg_GetData(m), (size_t)len);
    s->data_len += (size_t)len;
    s->lens[s->queued] = (uint32_t)len;
    s->marks[s->queued] = seq;
    s->queued++;
    *hi = seq;
    return BR_OK;
}

/* Apply one fetched list, then acknowledge (AckAll) the last message of
 * the applied prefix. */
static int apply(in_state *s, natsMsgList *list)
{
    uint64_t hi = s->mark;
    int rc = BR_OK, i = 0;
    s->done_upto = -1;
    s->halt = 0;
    if (list->Count > 0)
        br_crash_point(BR_IN_FETCHED);
    for (; i < list->Count && rc == BR_OK && !s->halt; i++) {
        if (s->o->count && s->committed + s->queued >= s->o->count)
            break;
        rc = take(s, list, i, &hi);
    }
    if (rc == BR_OK && !s->halt)
        rc = flush_batch(s, i - 1);
    if (s->delta.forwarded) {
        br_counts_flush(s->r, INDEXBUS_BRIDGE_IN, &s->delta, &s->total); /* with the commit */
        br_crash_point(BR_IN_COMMITTED);
    }
    if (s->done_upto >= 0) {
        natsMsg_Ack(list->Msgs[s->done_upto], NULL);
        s->delta.acknowledged += (uint64_t)s->done_upto + 1;
    }
    br_counts_flush(s->r, INDEXBUS_BRIDGE_IN, &s->delta, &s->total);
    return rc;
}

static int finished(const in_state *s)
{
    return br_stop || s->refused || (s->o->count && s->committed >= s->o->count);
}

/* Delete the durable consumer if it exists and create it afresh from
 * mark + 1, then bind a pull subscription to it. */
static int make_consumer(in_state *s, int report)
{
    const br_opts *o = s->o;
    jsErrCode jerr = 0;
    natsStatus ns = js_DeleteConsumer(s->n.js, o->stream, o->durable, NULL, &jerr);
    if (ns != NATS_OK && ns != NATS_NOT_FOUND && jerr != JSConsumerNotFoundErr) {
        if (report)
            br_err(o, "delete consumer %s on stream %s: %s", o->durable, o->stream,
                   br_nats_text(ns));
        return BR_NATS;
    }
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = o->durable;
    cc.FilterSubject = o->subject;
    cc.AckPolicy = js_AckAll;
    cc.DeliverPolicy = s->mark ? js_DeliverByStartSequence : js_DeliverAll;
    cc.OptStartSeq = s->mark ? s->mark + 1 : 0;
    cc.MaxAckPending = o->batch * 2 > 1000 ? (int64_t)o->batch * 2 : 1000;
    jsConsumerInfo *ci = NULL;
    ns = js_AddConsumer(&ci, s->n.js, o->stream, &cc, NULL, &jerr);
    if (ci)
        jsConsumerInfo_Destroy(ci);
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = o->stream;
    so.Consumer = o->durable;
    if (ns == NATS_OK)
        ns = js_PullSubscribe(&s->sub, s->n.js, o->subject, o->durable, NULL, &so, &jerr);
    if (ns != NATS_OK) {
        if (report)
            br_err(o, "consumer %s on stream %s: %s", o->durable, o->stream, br_nats_text(ns));
        return BR_NATS;
    }
    return BR_OK;
}

/* Is the consumer stuck? Messages wait or acks are still counted pending
 * while nothing of ours is outstanding (seen after a nats-server 2.9
 * restart: deliveries stop once stale acks fill MaxAckPending), or it is
 * gone. Not when the server cannot be asked. */
static int stalled(in_state *s)
{
    jsConsumerInfo *ci = NULL;
    jsErrCode jerr = 0;
    natsStatus ns = js_GetConsumerInfo(&ci, s->n.js, s->o->stream, s->o->durable, NULL, &jerr);
    if (ns != NATS_OK)
        return ns == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr;
    int stuck = ci->NumPending > 0 || ci->NumAckPending > 0;
    jsConsumerInfo_Destroy(ci);
    return stuck;
}

/* Fetch and apply until stopped. After a reconnect, or when the consumer
 * has stalled, it is made afresh from mark + 1, as at start. */
static int pump(in_state *s)
{
    int rc = BR_OK, remake = 0;
    unsigned seen = br_reconnects_seen();
    uint64_t last_note = 0, idle_since = br_now_ms();
    while (rc == BR_OK && !finished(s)) {
        if (br_reconnects_seen() != seen) {
            seen = br_reconnects_seen();
            remake = 1;
        }
        if (remake || (br_now_ms() - idle_since >= STALL_MS && stalled(s))) {
            int report = br_now_ms() - last_note >= 10000;
            remake = make_consumer(s, report) != BR_OK;
            if (remake && report)
                last_note = br_now_ms();
            idle_since = br_now_ms();
            if (remake) {
                br_sleep_ms(200);
                continue;
            }
        }
        natsMsgList list = {0};
        jsErrCode jerr = 0;
        natsStatus ns = natsSubscription_Fetch(&list, s->sub, (int)s->o->batch, FETCH_WAIT_MS,
                                               &jerr);
        if (ns == NATS_TIMEOUT)
            continue;
        if (ns != NATS_OK) { /* the server restarting: try again */
            natsMsgList_Destroy(&list);
            if (br_now_ms() - last_note >= 10000) {
                br_note(s->o, "fetch: %s; retrying", br_nats_text(ns));
                last_note = br_now_ms();
            }
            br_sleep_ms(100);
            continue;
        }
        if (list.Count > 0)
            idle_since = br_now_ms();
        rc = apply(s, &list);
        natsMsgList_Destroy(&list);
    }
    return rc;
}

static int open_producer(in_state *s)
{
    int st = indexbus_producer_open(s->r, INDEXBUS_PRODUCER_SPSC, &s->p);
    if (st == INDEXBUS_OK)
        st = indexbus_producer_mark(s->p, &s->mark);
    if (st != INDEXBUS_OK) {
        br_err(s->o, "region %s: SPSC producer: %s", s->o->region, indexbus_strerror(st));
        return st == INDEXBUS_NO_MEMORY ? BR_FAIL : BR_REGION;
    }
    s->lens = calloc(s->o->batch, sizeof *s->lens);
    s->marks = calloc(s->o->batch, sizeof *s->marks);
    if (s->lens == NULL || s->marks == NULL) {
        br_err(s->o, "out of memory");
        return BR_FAIL;
    }
    return BR_OK;
}

static int setup(in_state *s)
{
    int rc = br_region_open(s->o, &s->r, &s->maxlen);
    if (rc == BR_OK)
        rc = open_producer(s);
    if (rc == BR_OK)
        rc = br_nats_connect(s->o, &s->n, NULL, NULL, 0);
    if (rc == BR_OK)
        rc = br_stream_wait(s->o, &s->n);
    /* a cluster restarting a server answers "temporarily unavailable" for
     * a while: try for up to 10 s, as for the stream, before giving up */
    if (rc != BR_OK)
        return rc;
    uint64_t deadline = br_now_ms() + 10000;
    while (make_consumer(s, 0) != BR_OK) {
        if (br_stop || br_now_ms() >= deadline)
            return make_consumer(s, 1); /* once more, saying why it fails */
        br_sleep_ms(200);
    }
    return BR_OK;
}

int br_run_in(const br_opts *o)
{
    static in_state s;
    s.o = o;
    int rc = setup(&s);
    if (rc == BR_OK) {
        br_note(o, "stream %s subject %s (consumer %s, from sequence %" PRIu64 ") -> region %s",
                o->stream, o->subject, o->durable, s.mark + 1, o->region);
        rc = pump(&s);
    }
    if (s.r != NULL) {
        br_counts_flush(s.r, INDEXBUS_BRIDGE_IN, &s.delta, &s.total);
        if (o->stats)
            br_print_stats(o, s.r, INDEXBUS_BRIDGE_IN, &s.total);
    }
    if (s.sub != NULL)
        natsSubscription_Destroy(s.sub); /* the durable consumer stays on the server */
    br_nats_close(&s.n);
    indexbus_producer_close(s.p);
    indexbus_region_close(s.r);
    return rc;
}
