/* out.c - `indexbus-bridge out`: a held consumer of a durable region
 * publishes each message to JetStream with a message id made of the
 * region id, the consumer index and the message's position, keeps up to
 * --batch publishes in flight, and lets go of messages in the region, in
 * order, once JetStream has acknowledged them (docs/BRIDGE.md).
 *
 * Order across failures: a message is published expecting the stream's
 * last message id to be its predecessor's while that predecessor is still
 * unacknowledged, so JetStream never stores a message after a lost one;
 * after a failure every unacknowledged message is re-sent in order, with
 * the same id (JetStream drops the ones it had as duplicates). */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

#define MSG_ID_HDR "Nats-Msg-Id"
#define EXPECT_HDR "Nats-Expected-Last-Msg-Id"
#define ACK_TIMEOUT_MS 3000 /* no PubAck at all this long: take back and re-send */
#define STOP_GRACE_MS 10000  /* after a signal, wait this long for the acks in flight */

enum { E_FLIGHT, E_ACKED, E_FAILED, E_SKIP };

typedef struct out_entry {
    uint64_t pos;
    natsMsg *msg; /* ours after a failure: the re-send publishes it again */
    int state;
} out_entry;

typedef struct out_state {
    const br_opts *o;
    indexbus_region *r;
    indexbus_consumer *c;
    br_nats n;
    char rid[33];           /* region id, hex */
    size_t maxlen, limit;   /* largest region message, largest the server takes */
    char *buf;              /* one message read from the region */
    pthread_mutex_t mu;     /* guards the window, the states and delta */
    pthread_cond_t cv;      /* an entry left E_FLIGHT */
    out_entry *ring;
    uint32_t cap, head, len, flight, failed;
    uint32_t wake_at;       /* the main thread waits for flight <= this */
    uint64_t answers;       /* acks and failures seen (progress, for take_back) */
    br_counts delta, total;
    uint64_t read, released;
    uint64_t resend_left;   /* messages an earlier run published and did not release */
    int ended;              /* the region is DISCONNECTED */
    int refused;            /* an oversize record waits at the window's end */
} out_state;

static out_entry *entry_at(out_state *s, uint32_t i) { return &s->ring[(s->head + i) % s->cap]; }

static void msg_id(const out_state *s, uint64_t pos, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s-%u-%016" PRIx64, s->rid, s->o->consumer, pos);
}

/* The position in a message id: its last 16 hex digits. */
static int id_pos(const char *id, uint64_t *pos)
{
    size_t n = id ? strlen(id) : 0;
    if (n < 17 || id[n - 17] != '-')
        return 0;
    char *end = NULL;
    *pos = strtoull(id + n - 16, &end, 16);
    return end == id + n;
}

/* The window entry in flight for `pos`, or NULL (a stale answer). */
static out_entry *find_flight(out_state *s, uint64_t pos)
{
    for (uint32_t i = 0; i < s->len; i++) {
        out_entry *e = entry_at(s, i);
        if (e->pos == pos && e->state == E_FLIGHT)
            return e;
    }
    return NULL;
}

/* cnats thread: a PubAck (pa) or a failure (pae: error, timeout, wrong
 * last id) for one message. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    out_state *s = closure;
    const char *id = NULL;
    uint64_t pos = 0;
    natsMsgHeader_Get(msg, MSG_ID_HDR, &id);
    pthread_mutex_lock(&s->mu);
    out_entry *e = id_pos(id, &pos) ? find_flight(s, pos) : NULL;
    if (e != NULL && pa != NULL) {
        e->state = E_ACKED;
        s->delta.deduplicated += pa->Duplicate;
    } else if (e != NULL) {
        (void)pae;
        e->state = E_FAILED;
        e->msg = msg; /* kept for the re-send */
        msg = NULL;
        s->failed++;
    }
    if (e != NULL) {
        s->flight--;
        s->answers++;
        if (s->flight <= s->wake_at || s->failed) /* wake in batches, not per ack */
            pthread_cond_signal(&s->cv);
    }
    pthread_mutex_unlock(&s->mu);
    natsMsg_Destroy(msg);
}

/* Publish entry i (new, or again after a failure). Its predecessor's id
 * is expected as the stream's last while the predecessor is not yet
 * acknowledged. Called with s->mu held. */
static natsStatus publish_entry(out_state *s, uint32_t i)
{
    out_entry *e = entry_at(s, i);
    char id[64], prev[64];
    jsPubOptions po;
    jsPubOptions_Init(&po);
    msg_id(s, e->pos, id, sizeof id);
    po.MsgId = id; /* no MaxWait: one timer per message costs; see take_back */
    out_entry *p = NULL; /* the nearest published predecessor in the window */
    for (uint32_t j = i; j > 0 && p == NULL; j--)
        if (entry_at(s, j - 1)->state != E_SKIP)
            p = entry_at(s, j - 1);
    if (p != NULL && p->state != E_ACKED) {
        msg_id(s, p->pos, prev, sizeof prev);
        po.ExpectLastMsgId = prev;
    } else {
        natsMsgHeader_Delete(e->msg, EXPECT_HDR);
    }
    natsMsg *m = e->msg;
    e->state = E_FLIGHT;
    s->flight++;
    natsStatus st = js_PublishMsgAsync(s->n.js, &m, &po);
    if (st != NATS_OK) {
        e->state = E_FAILED; /* still ours: m was not taken */
        s->flight--;
        s->failed++;
    } else {
        e->msg = NULL;
    }
    return st;
}

/* No answer at all for ACK_TIMEOUT_MS while publishes are in flight (a
 * server restarting, a lost connection): take every pending publish back
 * from cnats (late acks for them are then dropped) and mark it failed, so
 * the re-send round publishes it again, in order, with the same id. */
static void take_back(out_state *s, uint64_t *seen, uint64_t *since)
{
    pthread_mutex_lock(&s->mu);
    uint64_t answers = s->answers;
    uint32_t flight = s->flight;
    pthread_mutex_unlock(&s->mu);
    uint64_t now = br_now_ms();
    if (flight == 0 || answers != *seen) {
        *seen = answers;
        *since = now;
        return;
    }
    if (now - *since < ACK_TIMEOUT_MS)
        return;
    *since = now;
    natsMsgList list = {0};
    if (js_PublishAsyncGetPendingList(&list, s->n.js) != NATS_OK)
        return;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < list.Count; i++) {
        const char *id = NULL;
        uint64_t pos = 0;
        natsMsgHeader_Get(list.Msgs[i], MSG_ID_HDR, &id);
        out_entry *e = id_pos(id, &pos) ? find_flight(s, pos) : NULL;
        if (e == NULL)
            continue;
        e->state = E_FAILED;
        e->msg = list.Msgs[i];
        list.Msgs[i] = NULL; /* ours now */
        s->flight--;
        s->failed++;
    }
    pthread_mutex_unlock(&s->mu);
    natsMsgList_Destroy(&list);
}

/* After a failure, once nothing is in flight: every unacknowledged entry
 * again, in order. Stops at a publish that fails at once (it and the rest
 * stay E_FAILED for the next round). Called with s->mu held. */
static void resend_failed(out_state *s)
{
    for (uint32_t i = 0; i < s->len; i++) {
        out_entry *e = entry_at(s, i);
        if (e->state != E_FAILED)
            continue;
        s->failed--;
        if (publish_entry(s, i) != NATS_OK)
            return;
        s->delta.resent++;
    }
}

/* Move the counts gathered so far into the region (the ack handler adds
 * to them too, hence the copy under the lock). */
static void flush_counts(out_state *s)
{
    pthread_mutex_lock(&s->mu);
    br_counts d = s->delta;
    memset(&s->delta, 0, sizeof s->delta);
    pthread_mutex_unlock(&s->mu);
    br_counts_flush(s->r, s->o->consumer, &d, &s->total);
}

/* Let go of the acknowledged (or skipped) messages at the window's head. */
static int release_acked(out_state *s)
{
    pthread_mutex_lock(&s->mu);
    uint32_t k = 0;
    while (k < s->len && (entry_at(s, k)->state == E_ACKED || entry_at(s, k)->state == E_SKIP))
        k++;
    pthread_mutex_unlock(&s->mu);
    if (k == 0)
        return BR_OK;
    br_crash_point(BR_OUT_ACKED);
    int st = indexbus_release(s->c, k);
    if (st != INDEXBUS_OK) {
        br_err(s->o, "region %s: release: %s", s->o->region, indexbus_strerror(st));
        return BR_FAIL;
    }
    pthread_mutex_lock(&s->mu);
    for (uint32_t i = 0; i < k; i++)
        if (entry_at(s, i)->state == E_ACKED)
            s->delta.acknowledged++;
    s->head = (s->head + k) % s->cap;
    s->len -= k;
    pthread_mutex_unlock(&s->mu);
    s->released += k;
    flush_counts(s);
    return BR_OK;
}

/* A record larger than the server takes: refuse it (counted, reported);
 * with --skip-oversize it is let go in its turn, else it stays held and
 * the bridge stops once the messages before it are acknowledged. */
static int refuse(out_state *s, size_t len, uint64_t pos)
{
    s->delta.refused++;
    br_err(s->o, "message at position %016" PRIx64 " is %zu bytes; the NATS server takes at "
           "most %zu (max_payload less the message id header)%s", pos, len, s->limit,
           s->o->skip_oversize ? ": skipped (--skip-oversize)" : ": refused, left in the region");
    if (s->o->skip_oversize)
        return E_SKIP;
    s->refused = 1;
    return -1;
}

/* Add one message read from the region to the window and publish it. */
static int add_entry(out_state *s, size_t len, uint64_t pos, int *published)
{
    pthread_mutex_lock(&s->mu);
    out_entry *e = entry_at(s, s->len);
    e->pos = pos;
    e->msg = NULL;
    s->len++;
    s->read++;
    int state = len > s->limit ? refuse(s, len, pos) : E_FLIGHT;
    if (state != E_FLIGHT) {
        e->state = E_SKIP;
        if (state < 0) /* refused: stays held, out of the window */
            s->len--;
        pthread_mutex_unlock(&s->mu);
        return BR_OK;
    }
    natsStatus st = natsMsg_Create(&e->msg, s->o->subject, NULL, s->buf, (int)len);
    if (st != NATS_OK) {
        s->len--;
        pthread_mutex_unlock(&s->mu);
        br_err(s->o, "message: %s", br_nats_text(st));
        return BR_FAIL;
    }
    if (s->resend_left > 0) { /* read again after a restart: published before */
        s->resend_left--;
        s->delta.resent++;
    } else {
        s->delta.forwarded++;
    }
    if (publish_entry(s, s->len - 1) == NATS_OK) /* else E_FAILED: the re-send round has it */
        (*published)++;
    pthread_mutex_unlock(&s->mu);
    return BR_OK;
}

/* Read what the region has, up to the window's room, and publish it. */
/* No failure waits for its re-send round (new messages wait behind it). */
static int no_failure(out_state *s)
{
    pthread_mutex_lock(&s->mu);
    int ok = s->failed == 0;
    pthread_mutex_unlock(&s->mu);
    return ok;
}

static int read_more(out_state *s, int *got)
{
    int published = 0;
    *got = 0;
    while (s->len < s->cap && !s->refused && !br_stop && no_failure(s) &&
           !(s->o->count && s->read >= s->o->count)) {
        size_t len = 0;
        uint64_t pos = 0;
        int st = indexbus_recv_held(s->c, s->buf, s->maxlen, &len, &pos);
        if (st == INDEXBUS_EMPTY || st == INDEXBUS_FULL)
            break;
        if (st == INDEXBUS_DISCONNECTED) {
            s->ended = 1;
            break;
        }
        if (st != INDEXBUS_OK) {
            br_err(s->o, "region %s: receive: %s", s->o->region, indexbus_strerror(st));
            return BR_FAIL;
        }
        if (*got == 0)
            br_crash_point(BR_OUT_READ);
        (*got)++;
        if (add_entry(s, len, pos, &published) != BR_OK)
            return BR_FAIL;
    }
    if (*got > 0) /* forwarded goes in before any ack: a restart knows what it re-sends */
        flush_counts(s);
    /* From an empty window (a quiet region): send now rather than after
     * cnats's flusher pause (a PING round trip; busy windows do not wait) */
    if (published > 0 && (uint32_t)published == s->len)
        natsConnection_FlushTimeout(s->n.nc, 100);
    if (published > 0)
        br_crash_point(BR_OUT_PUBLISHED);
    return BR_OK;
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_nsec += ms * 1000000L;
    ts->tv_sec += ts->tv_nsec / 1000000000L;
    ts->tv_nsec %= 1000000000L;
}

/* Wait for acks: with the window full, until half of it is back (so the
 * region is released and refilled in batches) or 100 ms (to look for a
 * stall); else for any ack, or 1 ms to look at the region again. */
static void wait_acks(out_state *s)
{
    struct timespec ts;
    pthread_mutex_lock(&s->mu);
    int full = s->len == s->cap;
    deadline_in(&ts, full ? 100 : 1);
    s->wake_at = full ? s->cap / 2 : (s->flight ? s->flight - 1 : 0);
    while (s->flight > s->wake_at && s->failed == 0 && !br_stop)
        if (pthread_cond_timedwait(&s->cv, &s->mu, &ts) != 0)
            break;
    s->wake_at = 0;
    pthread_mutex_unlock(&s->mu);
}

/* Re-send after failures once nothing is in flight (a pause first if the
 * server is away, so a dead link is not hammered). */
static void retry_failures(out_state *s, uint64_t *last_retry)
{
    pthread_mutex_lock(&s->mu);
    int due = s->failed > 0 && s->flight == 0;
    pthread_mutex_unlock(&s->mu);
    if (!due)
        return;
    uint64_t now = br_now_ms();
    if (now - *last_retry < 100)
        br_sleep_ms((unsigned)(100 - (now - *last_retry)));
    *last_retry = br_now_ms();
    pthread_mutex_lock(&s->mu);
    resend_failed(s);
    pthread_mutex_unlock(&s->mu);
}

static int done(out_state *s, uint64_t stop_at)
{
    if (s->len > 0)
        return br_stop && br_now_ms() >= stop_at;
    return br_stop || s->ended || s->refused || (s->o->count && s->released >= s->o->count);
}

static int pump(out_state *s)
{
    uint64_t last_retry = 0, stop_at = UINT64_MAX, seen = 0, since = br_now_ms();
    for (;;) {
        if (br_stop && stop_at == UINT64_MAX)
            stop_at = br_now_ms() + STOP_GRACE_MS;
        if (release_acked(s) != BR_OK)
            return BR_FAIL;
        if (done(s, stop_at))
            break;
        take_back(s, &seen, &since);
        retry_failures(s, &last_retry);
        int got = 0;
        if (read_more(s, &got) != BR_OK)
            return BR_FAIL;
        if (got > 0)
            continue;
        if (s->len > 0) {
            wait_acks(s); /* acks, or a new message in the region */
            continue;
        }
        int st = indexbus_wait(s->c, 100000000u); /* 100 ms, to see a stop */
        if (st == INDEXBUS_DISCONNECTED)
            s->ended = 1;
        else if (st != INDEXBUS_OK && st != INDEXBUS_TIMEOUT && st != INDEXBUS_EMPTY) {
            br_err(s->o, "region %s: wait: %s", s->o->region, indexbus_strerror(st));
            return BR_FAIL;
        }
    }
    if (s->len > 0) {
        br_err(s->o, "stopped with %u message(s) not acknowledged; they stay in the region",
               s->len);
        return BR_FAIL;
    }
    if (s->refused)
        return BR_OVERSIZE;
    if (s->ended)
        br_note(s->o, "region %s: every producer has left and everything is forwarded",
                s->o->region);
    return BR_OK;
}

static int open_consumer(out_state *s)
{
    indexbus_consumer_config cc;
    memset(&cc, 0, sizeof cc);
    cc.size = sizeof cc;
    cc.index = s->o->consumer;
    cc.flags = INDEXBUS_CONSUMER_HOLD;
    cc.max_held = s->cap;
    int st = indexbus_consumer_open_config(s->r, &cc, &s->c);
    if (st != INDEXBUS_OK) {
        br_err(s->o, "region %s: consumer %u: %s", s->o->region, s->o->consumer,
               indexbus_strerror(st));
        return st == INDEXBUS_NO_MEMORY ? BR_FAIL : BR_REGION;
    }
    /* forwarded (or re-sent) and not acknowledged by earlier runs: these
     * are still held in the region and come first */
    br_counts before;
    memset(&before, 0, sizeof before);
    before.size = sizeof before;
    if (indexbus_bridge_counters_get(s->r, s->o->consumer, &before) == INDEXBUS_OK &&
        before.forwarded > before.acknowledged)
        s->resend_left = before.forwarded - before.acknowledged;
    uint8_t id[16];
    indexbus_region_id(s->r, id);
    for (int i = 0; i < 16; i++)
        snprintf(s->rid + 2 * i, 3, "%02x", id[i]);
    return BR_OK;
}

/* The largest payload the server takes beside our headers: the message id
 * and the expected last id ("NATS/1.0\r\n" + "Key: value\r\n" each + "\r\n"). */
static void set_limit(out_state *s)
{
    char id[64];
    msg_id(s, 0, id, sizeof id);
    size_t hdr = 10 + (strlen(MSG_ID_HDR) + 4 + strlen(id)) +
                 (strlen(EXPECT_HDR) + 4 + strlen(id)) + 2;
    int64_t max = natsConnection_GetMaxPayload(s->n.nc);
    s->limit = max > (int64_t)hdr ? (size_t)max - hdr : 0;
}

static int setup(out_state *s)
{
    int rc = br_region_open(s->o, &s->r, &s->maxlen);
    if (rc == BR_OK)
        rc = open_consumer(s);
    if (rc != BR_OK)
        return rc;
    s->buf = malloc(s->maxlen ? s->maxlen : 1);
    s->ring = calloc(s->cap, sizeof *s->ring);
    if (s->buf == NULL || s->ring == NULL) {
        br_err(s->o, "out of memory");
        return BR_FAIL;
    }
    rc = br_nats_connect(s->o, &s->n, on_ack, s, (int64_t)s->cap * 2);
    if (rc == BR_OK)
        rc = br_stream_ensure(s->o, &s->n);
    if (rc == BR_OK)
        set_limit(s);
    return rc;
}

int br_run_out(const br_opts *o)
{
    static out_state s;
    s.o = o;
    s.cap = o->batch;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    int rc = setup(&s);
    if (rc == BR_OK) {
        br_note(o, "region %s consumer %u -> stream %s subject %s", o->region, o->consumer,
                o->stream, o->subject);
        rc = pump(&s);
    }
    if (s.r != NULL) {
        flush_counts(&s);
        if (o->stats)
            br_print_stats(o, s.r, o->consumer, &s.total);
    }
    br_nats_close(&s.n); /* before the consumer: no ack callback after this */
    indexbus_consumer_close(s.c);
    indexbus_region_close(s.r);
    return rc;
}
