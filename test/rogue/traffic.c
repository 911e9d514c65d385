/*
 * traffic.c - the traffic processes of the live-rogue test. Each one is a
 * fresh exec of the test binary with a role:
 *
 *   prod-spsc / prod-mpsc  publish (copy), claim/commit/abort (zero copy),
 *                          publish_batch (up to 32 x up to 1 KiB); on a
 *                          byte log also claim_len (shorter commits),
 *                          claim_batch / commit_batch, the blocking
 *                          publish_wait / claim_wait and producer_space
 *   cons                   try_recv, recv_begin/recv_end, recv_batch,
 *                          blocking recv and wait with short timeouts
 *   router                 router_run in a thread stopped from the main
 *                          thread (sometimes EXIT_ON_DISCONNECT), or
 *                          route_once / _stats / _credit; broadcast and
 *                          work-queue modes
 *   observer               info, consumer_stats, participant, recover
 *   recover                one indexbus_region_recover after a kill
 *   swriter                byte streams: write (what fits) and write_all
 *                          (short timeouts), 1 byte .. 3 records; clones
 *                          itself (a second writer, then the first closes)
 *   sreader                byte streams: takes the read end (BUSY while the
 *                          other reader holds it), reads with short
 *                          timeouts into buffers of 1 byte .. 16 KiB, hands
 *                          it over (release), sometimes closes it
 *   rclient                request/response: request, claim + send, call,
 *                          wait (short timeouts) in any order, reply_done,
 *                          cancel, waits and cancels of forged tokens
 *   rserver                request/response: serve (short timeouts), hold
 *                          up to 4, reply by copy or in place, a second
 *                          reply and forged tokens (NOT_FOUND)
 *
 * A region under attack may make any call fail: every status is fine and
 * counted (per call, per status), the process retries or carries on, and
 * ends by itself at its deadline with exit 0. What it does not accept are
 * broken promises of the API that hold whatever the region contains (a
 * status outside the enum, a length beyond the buffer or the slot size,
 * ...): those exit RG_EXIT_CONTRACT. Payloads are checked only for
 * statistics: the rogue may rewrite them.
 */
#include <pthread.h>
#include <stdarg.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rogue.h"

enum op {
    OP_REGION_OPEN, OP_PRODUCER_OPEN, OP_CONSUMER_OPEN, OP_ROUTER_OPEN,
    OP_PUBLISH, OP_PUBLISH_BATCH, OP_CLAIM, OP_COMMIT, OP_ABORT,
    OP_TRY_RECV, OP_RECV_BEGIN, OP_RECV_END, OP_RECV_BATCH, OP_RECV, OP_WAIT,
    OP_ROUTE_ONCE, OP_ROUTE_STATS, OP_ROUTE_CREDIT, OP_ROUTER_RUN, OP_ROUTER_STOP,
    OP_INFO, OP_CONSUMER_STATS, OP_PARTICIPANT, OP_RECOVER, OP_CLOSE,
    OP_CLAIM_LEN, OP_CLAIM_BATCH, OP_COMMIT_BATCH, OP_PUBLISH_WAIT, OP_CLAIM_WAIT, OP_SPACE,
    OP_WRITER_OPEN, OP_READER_OPEN, OP_STREAM_WRITE, OP_STREAM_WRITE_ALL, OP_STREAM_READ,
    OP_READER_RELEASE, OP_STREAM_STATE,
    OP_CLIENT_OPEN, OP_SERVER_OPEN, OP_RPC_REQUEST, OP_RPC_CLAIM, OP_RPC_SEND, OP_RPC_WAIT,
    OP_RPC_DONE, OP_RPC_CANCEL, OP_RPC_CALL, OP_RPC_SERVE, OP_RPC_REPLY, OP_RPC_REPLY_BUFFER,
    OP_RPC_REPLY_COMMIT, OP_WRITER_ABORT, OP_RPC_ABORT, OP_RPC_FAIL,
    /* 1.2 durable regions */
    OP_CONSUMER_OPEN_HOLD, OP_RECV_HELD, OP_RELEASE, OP_PUBLISH_MARKED, OP_PRODUCER_MARK,
    OP_BRIDGE_COUNTERS, OP_REGION_ID,
    NOPS
};

static const char *op_names[NOPS] = {
    "region_open", "producer_open", "consumer_open", "router_open",
    "publish", "publish_batch", "claim", "commit", "abort",
    "try_recv", "recv_begin", "recv_end", "recv_batch", "recv", "wait",
    "route_once", "route_once_stats", "route_once_credit", "router_run", "router_stop",
    "region_info", "consumer_stats", "participant", "region_recover", "close",
    "claim_len", "claim_batch", "commit_batch", "publish_wait", "claim_wait", "producer_space",
    "stream_writer_open", "stream_reader_open", "stream_write", "stream_write_all", "stream_read",
    "stream_reader_release", "stream_state",
    "rpc_client_open", "rpc_server_open", "rpc_request", "rpc_claim", "rpc_send", "rpc_wait",
    "rpc_reply_done", "rpc_cancel", "rpc_call", "rpc_serve", "rpc_reply", "rpc_reply_buffer",
    "rpc_reply_commit", "stream_writer_abort", "rpc_abort", "rpc_fail",
    "consumer_open_config", "recv_held", "release", "publish_batch_marked", "producer_mark",
    "bridge_counters", "region_id",
};

#define NST (INDEXBUS_STATUS_COUNT + 1) /* last column: not a status at all */

static uint64_t hist[NOPS][NST];
static const rg_args *A;
static uint64_t pay_ok, pay_bad, pay_other, msgs_in, msgs_out;
static uint32_t geo_mismatch; /* handle geometry differs from what was created */
static uint32_t handle_data;  /* slot data size (byte log: max_record) the current handle validated at open */
static uint32_t len_limit;    /* no length the API returns may exceed this */
static int is_log(void) { return A->kind == INDEXBUS_KIND_LOG; }
static int is_ring(void) { return A->kind == INDEXBUS_KIND_LOG || A->kind == INDEXBUS_KIND_STREAM; }
static uint32_t max_reply; /* request/response: max_reply the current handle validated at open */
static int durable;        /* the current handle's region has durable state (region_id OK) */

static void dump_stats(void)
{
    for (int o = 0; o < NOPS; o++)
        for (int s = 0; s < NST; s++) {
            uint64_t n = __atomic_load_n(&hist[o][s], __ATOMIC_RELAXED);
            if (n)
                printf("@@h %s %s %llu\n", op_names[o],
                       s < INDEXBUS_STATUS_COUNT ? indexbus_status_name(s) : "NOT_A_STATUS",
                       (unsigned long long)n);
        }
    printf("@@t role=%s msgs_out=%llu msgs_in=%llu payload_ok=%llu payload_bad=%llu "
           "payload_foreign=%llu geo_mismatch=%u\n",
           A->role, (unsigned long long)msgs_out, (unsigned long long)msgs_in,
           (unsigned long long)pay_ok, (unsigned long long)pay_bad,
           (unsigned long long)pay_other, geo_mismatch);
    fflush(stdout);
}

__attribute__((format(printf, 1, 2))) static void contract(const char *fmt, ...);
static void contract(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "CONTRACT VIOLATION (%s): ", A->role);
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    fflush(stderr);
    dump_stats();
    _exit(RG_EXIT_CONTRACT);
}

static int note(int op, int st)
{
    if (st < 0 || st >= INDEXBUS_STATUS_COUNT) {
        __atomic_fetch_add(&hist[op][NST - 1], 1, __ATOMIC_RELAXED);
        contract("%s returned %d, not a status", op_names[op], st);
    }
    __atomic_fetch_add(&hist[op][st], 1, __ATOMIC_RELAXED);
    return st;
}

static int time_left(void) { return rg_now_ns() < A->until_ns; }

static uint64_t left_ns(void)
{
    uint64_t now = rg_now_ns();
    return now < A->until_ns ? A->until_ns - now : 0;
}

static uint64_t min_u64(uint64_t a, uint64_t b) { return a < b ? a : b; }

static void backoff(rg_rng *rng)
{
    if (rg_chance(rng, 1, 2))
        sched_yield();
    else
        rg_sleep_ns(20000 + rg_below(rng, 200000));
}

/* ---- payloads ---------------------------------------------------------------- */

#define MSG_MAGIC 0x5247534du /* "MSGR" */
typedef struct msg_hdr {
    uint32_t magic, producer;
    uint64_t seq;
    uint32_t len, sum;
} msg_hdr;

static uint32_t fnv(const uint8_t *p, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 16777619u;
    return h;
}

static void fill_msg(uint8_t *buf, size_t len, uint32_t producer, uint64_t seq)
{
    for (size_t i = 0; i < len; i++)
        buf[i] = (uint8_t)(seq * 131 + i * 7 + producer);
    if (len >= sizeof(msg_hdr)) {
        msg_hdr h = {MSG_MAGIC, producer, seq, (uint32_t)len, 0};
        h.sum = fnv(buf + sizeof h, len - sizeof h);
        memcpy(buf, &h, sizeof h);
    }
}

/* Only statistics: the rogue may have rewritten the bytes, or another
 * message's slot may have been handed to us by a forged queue entry. */
static void check_msg(const volatile uint8_t *data, size_t len)
{
    uint8_t tmp[sizeof(msg_hdr)];
    uint8_t acc = 0;
    for (size_t i = 0; i < len; i++) /* touch every byte we were given */
        acc ^= data[i];
    (void)acc;
    msgs_in++;
    if (len < sizeof(msg_hdr)) {
        pay_other++;
        return;
    }
    for (size_t i = 0; i < sizeof tmp; i++)
        tmp[i] = data[i];
    msg_hdr h;
    memcpy(&h, tmp, sizeof h);
    if (h.magic != MSG_MAGIC || h.len != len) {
        pay_other++;
        return;
    }
    /* copy out before summing: the bytes may change under us */
    static uint8_t copy[1u << 20];
    size_t n = len - sizeof h < sizeof copy ? len - sizeof h : sizeof copy;
    for (size_t i = 0; i < n; i++)
        copy[i] = data[sizeof h + i];
    if (fnv(copy, n) == h.sum)
        pay_ok++;
    else
        pay_bad++;
}

/* ---- region --------------------------------------------------------------------- */

static indexbus_region *open_region(rg_rng *rng)
{
    indexbus_open_config oc = {sizeof oc, 0, 20000000ull};
    while (time_left()) {
        indexbus_region *r = NULL;
        if (note(OP_REGION_OPEN, indexbus_region_open(A->region, &oc, &r)) == INDEXBUS_OK) {
            /* the handle's own geometry (validated at open): a header forged
             * into another consistent geometry would be a different region */
            indexbus_info info = {.size = sizeof info};
            handle_data = A->data;
            if (note(OP_INFO, indexbus_region_info(r, &info)) == INDEXBUS_OK) {
                if (A->kind == INDEXBUS_KIND_RPC
                        ? info.kind != INDEXBUS_KIND_RPC || info.rpc_cells != A->slots ||
                              info.max_request != A->data || info.max_reply != A->queue
                    : is_ring() ? info.kind != A->kind || info.max_record != A->data ||
                                      info.byte_capacity != A->slots || info.consumer_count != 1
                                : info.slot_data_size != A->data || info.slot_count != A->slots ||
                                      info.queue_capacity != A->queue || info.consumer_count != A->consumers)
                    geo_mismatch++;
                handle_data = A->kind == INDEXBUS_KIND_RPC ? info.max_request
                              : is_ring()                   ? info.max_record
                                                            : info.slot_data_size;
                max_reply = info.max_reply;
            }
            len_limit = handle_data > A->data ? handle_data : A->data;
            uint8_t id[16];
            durable = note(OP_REGION_ID, indexbus_region_id(r, id)) == INDEXBUS_OK;
            return r;
        }
        rg_sleep_ns(500000 + rg_below(rng, 3000000));
    }
    return NULL;
}

/* A session: how long to keep one set of handles before closing and
 * opening again (attach and detach run under attack too). */
static uint64_t session_end(rg_rng *rng)
{
    return rg_now_ns() + 50000000ull + rg_below(rng, 1500000000ull);
}

/* ---- producers ------------------------------------------------------------------ */

typedef struct prod_ctx {
    rg_rng rng;
    indexbus_producer *p;
    uint32_t id;
    uint64_t seq;
    int scenario; /* spsc-cells: only batch 32 x 1 KiB and publish 1 KiB */
    int marked;   /* 1.2: the SPSC producer of a durable region; mark = its own (producer_mark) */
    uint64_t mark;
    uint8_t *buf; /* 32 x up to 1 KiB, and one oversize message */
} prod_ctx;

static size_t msg_len(prod_ctx *P, size_t max)
{
    switch (rg_below(&P->rng, 4)) {
    case 0: return rg_below(&P->rng, 32 < max ? 32 : max + 1);
    case 1: return max;
    default: return rg_below(&P->rng, max + 1);
    }
}

static void after_publish_status(prod_ctx *P, int st)
{
    if (st == INDEXBUS_FULL || st == INDEXBUS_CORRUPT)
        backoff(&P->rng);
    else if (st == INDEXBUS_DISCONNECTED)
        rg_sleep_ns(500000);
}

static void do_publish(prod_ctx *P, size_t len)
{
    fill_msg(P->buf, len, P->id, P->seq);
    int st = note(OP_PUBLISH, indexbus_publish(P->p, P->buf, len));
    if (st == INDEXBUS_OK) {
        P->seq++;
        msgs_out++;
    }
    after_publish_status(P, st);
}

static void do_batch(prod_ctx *P, size_t count, size_t each_max, int fixed)
{
    uint32_t lens[32];
    size_t off = 0;
    for (size_t i = 0; i < count; i++) {
        lens[i] = (uint32_t)(fixed ? each_max : msg_len(P, each_max));
        fill_msg(P->buf + off, lens[i], P->id, P->seq + i);
        off += lens[i];
    }
    size_t published = 12345;
    int st = note(OP_PUBLISH_BATCH, indexbus_publish_batch(P->p, P->buf, lens, count, &published));
    if (published > count || (st == INDEXBUS_OK && published != count))
        contract("publish_batch(%zu) = %s with *published = %zu", count, indexbus_status_name(st),
                 published);
    P->seq += published;
    msgs_out += published;
    after_publish_status(P, st);
}

static void do_claim(prod_ctx *P, int then_abort)
{
    void *buf = NULL;
    size_t cap = 0;
    int st = note(OP_CLAIM, indexbus_claim(P->p, &buf, &cap));
    if (st != INDEXBUS_OK) {
        after_publish_status(P, st);
        return;
    }
    if (buf == NULL || cap != handle_data)
        contract("claim gave buf %p capacity %zu, slot data size is %u", buf, cap, handle_data);
    if (cap > A->data)
        cap = A->data; /* our buffers are sized for the region as created */
    if (then_abort) {
        if (rg_chance(&P->rng, 1, 2))
            memset(buf, 0xAB, cap);
        note(OP_ABORT, indexbus_abort(P->p));
        return;
    }
    size_t len = msg_len(P, cap);
    fill_msg(buf, len, P->id, P->seq); /* writes only [0, len) of what we were given */
    if (rg_chance(&P->rng, 1, 20)) { /* oversize commit: refused, claim kept */
        st = note(OP_COMMIT, indexbus_commit(P->p, cap + 1 + rg_below(&P->rng, 100)));
        if (st != INDEXBUS_TOO_LARGE)
            contract("commit(capacity + n) = %s, want INDEXBUS_TOO_LARGE", indexbus_status_name(st));
    }
    for (int tries = 0;; tries++) {
        st = note(OP_COMMIT, indexbus_commit(P->p, len));
        if (st == INDEXBUS_OK) {
            P->seq++;
            msgs_out++;
            return;
        }
        if (st == INDEXBUS_BAD_STATE)
            contract("commit of a pending claim = INDEXBUS_BAD_STATE");
        if (tries == 3 || !time_left())
            break;
        backoff(&P->rng);
    }
    st = note(OP_ABORT, indexbus_abort(P->p)); /* the claim stays pending after a failed commit */
    if (st != INDEXBUS_OK)
        contract("abort after failed commits = %s", indexbus_status_name(st));
}

/* ---- byte-log producers ---- */

static size_t min_sz(size_t a, size_t b) { return a < b ? a : b; }

/* claim_len of len + extra (extra: the commit is shorter), fill, commit */
static void do_claim_len(prod_ctx *P)
{
    size_t M = A->data, len = msg_len(P, M);
    size_t extra = rg_chance(&P->rng, 1, 4) ? rg_below(&P->rng, min_sz(64, M - len) + 1) : 0;
    void *buf = NULL;
    int st = note(OP_CLAIM_LEN, indexbus_claim_len(P->p, len + extra, &buf));
    if (st != INDEXBUS_OK) {
        after_publish_status(P, st);
        return;
    }
    if (buf == NULL)
        contract("claim_len(%zu) = OK with buf NULL", len + extra);
    fill_msg(buf, len, P->id, P->seq); /* only [0, len) of what we claimed */
    if (rg_chance(&P->rng, 1, 20)) { /* longer than the claim: refused, claim kept */
        st = note(OP_COMMIT, indexbus_commit(P->p, len + extra + 1 + rg_below(&P->rng, 100)));
        if (st != INDEXBUS_TOO_LARGE)
            contract("commit(claimed + n) = %s, want INDEXBUS_TOO_LARGE", indexbus_status_name(st));
    }
    st = note(OP_COMMIT, indexbus_commit(P->p, len));
    if (st != INDEXBUS_OK) /* a byte-log commit is a store: nothing to fail on */
        contract("commit of a pending byte-log claim = %s", indexbus_status_name(st));
    P->seq++;
    msgs_out++;
}

/* claim_batch of 1..8 records, fill, commit the first k (the rest: padding) */
static void do_claim_batch(prod_ctx *P)
{
    uint32_t lens[8];
    void *bufs[8] = {0};
    size_t n = 1 + rg_below(&P->rng, 8), M = min_sz(A->data, 1024);
    for (size_t i = 0; i < n; i++)
        lens[i] = (uint32_t)msg_len(P, M);
    int st = note(OP_CLAIM_BATCH, indexbus_claim_batch(P->p, lens, n, bufs));
    if (st != INDEXBUS_OK) {
        after_publish_status(P, st);
        return;
    }
    for (size_t i = 0; i < n; i++) {
        if (bufs[i] == NULL)
            contract("claim_batch = OK with bufs[%zu] NULL", i);
        fill_msg(bufs[i], lens[i], P->id, P->seq + i);
    }
    if (rg_chance(&P->rng, 1, 20)) {
        st = note(OP_COMMIT_BATCH, indexbus_commit_batch(P->p, n + 1));
        if (st != INDEXBUS_INVALID_ARGUMENT)
            contract("commit_batch(claimed + 1) = %s, want INVALID_ARGUMENT", indexbus_status_name(st));
    }
    size_t k = rg_chance(&P->rng, 1, 4) ? rg_below(&P->rng, n + 1) : n;
    st = note(OP_COMMIT_BATCH, indexbus_commit_batch(P->p, k));
    if (st != INDEXBUS_OK)
        contract("commit_batch(%zu of %zu) after claim_batch OK = %s", k, n, indexbus_status_name(st));
    P->seq += k;
    msgs_out += k;
}

/* the blocking producers: publish_wait, or claim_wait then commit */
static void do_blocking(prod_ctx *P)
{
    uint64_t timeout = min_u64(200000 + rg_below(&P->rng, 10000000), left_ns());
    size_t len = msg_len(P, A->data);
    int st;
    if (rg_chance(&P->rng, 1, 2)) {
        fill_msg(P->buf, len, P->id, P->seq);
        st = note(OP_PUBLISH_WAIT, indexbus_publish_wait(P->p, P->buf, len, timeout));
    } else {
        void *buf = NULL;
        st = note(OP_CLAIM_WAIT, indexbus_claim_wait(P->p, len, &buf, timeout));
        if (st == INDEXBUS_OK) {
            if (buf == NULL)
                contract("claim_wait(%zu) = OK with buf NULL", len);
            fill_msg(buf, len, P->id, P->seq);
            if ((st = note(OP_COMMIT, indexbus_commit(P->p, len))) != INDEXBUS_OK)
                contract("commit after claim_wait OK = %s", indexbus_status_name(st));
        }
    }
    if (st == INDEXBUS_OK) {
        P->seq++;
        msgs_out++;
    } else if (st != INDEXBUS_TIMEOUT) {
        after_publish_status(P, st);
    }
}

/* 1.2: publish_batch_marked of 1..32 with marks above the producer's own
 * (now and then forged: repeated, 0, below it: INVALID_ARGUMENT). Whatever
 * the region holds, *published <= count, OK means all, and the mark is
 * then exactly that of the last one published (the producer's own copy). */
static void do_marked(prod_ctx *P)
{
    uint32_t lens[32];
    uint64_t marks[32];
    size_t count = 1 + rg_below(&P->rng, 32), off = 0, each = A->data < 1024 ? A->data : 1024;
    if (is_log() && each * count > A->slots / 4)
        count = 1 + A->slots / 4 / (each + 8); /* a batch is one reservation */
    for (size_t i = 0; i < count; i++) {
        lens[i] = (uint32_t)msg_len(P, each);
        fill_msg(P->buf + off, lens[i], P->id, P->seq + i);
        off += lens[i];
        marks[i] = (i ? marks[i - 1] : P->mark) + 1 + rg_below(&P->rng, 3); /* increasing, gaps allowed */
    }
    int forged = count >= 2 && rg_chance(&P->rng, 1, 16);
    if (forged)
        marks[count - 1] = rg_chance(&P->rng, 1, 2) ? marks[count - 2] : rg_chance(&P->rng, 1, 2) ? 0 : P->mark;
    if (marks[0] <= P->mark) /* the mark forged near ~0 by the rogue: nothing can go above it */
        forged = 1;
    size_t published = 12345;
    int st = note(OP_PUBLISH_MARKED,
                  indexbus_publish_batch_marked(P->p, P->buf, lens, marks, count, &published));
    if (published > count || (st == INDEXBUS_OK && published != count))
        contract("publish_batch_marked(%zu) = %s with *published = %zu", count, indexbus_status_name(st),
                 published);
    if (forged && (st != INDEXBUS_INVALID_ARGUMENT || published != 0))
        contract("publish_batch_marked with marks not increasing = %s, %zu published",
                 indexbus_status_name(st), published);
    uint64_t mark = 0;
    if (note(OP_PRODUCER_MARK, indexbus_producer_mark(P->p, &mark)) != INDEXBUS_OK ||
        mark != (published ? marks[published - 1] : P->mark))
        contract("producer_mark = %#llx after %zu of %zu published (marks %#llx..), was %#llx",
                 (unsigned long long)mark, published, count, (unsigned long long)marks[0],
                 (unsigned long long)P->mark);
    P->mark = mark;
    P->seq += published;
    msgs_out += published;
    after_publish_status(P, st);
}

static void produce_log_once(prod_ctx *P)
{
    if (P->marked && rg_chance(&P->rng, 2, 5)) {
        do_marked(P);
        return;
    }
    size_t D = A->data, each = D < 1024 ? D : 1024;
    uint32_t r = (uint32_t)rg_below(&P->rng, 100);
    if (r < 20) {
        do_publish(P, msg_len(P, D));
    } else if (r < 35) {
        do_batch(P, 1 + rg_below(&P->rng, 32), each, rg_chance(&P->rng, 1, 3));
    } else if (r < 55) {
        do_claim_len(P);
    } else if (r < 65) {
        do_claim(P, rg_chance(&P->rng, 1, 3)); /* claim (max_record), commit or abort */
    } else if (r < 77) {
        do_claim_batch(P);
    } else if (r < 90) {
        do_blocking(P);
    } else if (r < 93) {
        uint64_t space = 0;
        int st = note(OP_SPACE, indexbus_producer_space(P->p, &space));
        if (st == INDEXBUS_OK && space > A->slots && !geo_mismatch)
            contract("producer_space = %llu, the ring has %u bytes", (unsigned long long)space, A->slots);
    } else if (r < 96) { /* longer than max_record: refused whatever the ring holds */
        int st = note(OP_PUBLISH, indexbus_publish(P->p, P->buf, D + 1 + rg_below(&P->rng, 64)));
        if (st != INDEXBUS_TOO_LARGE && st != INDEXBUS_DISCONNECTED && handle_data <= D)
            contract("publish(max_record + n) = %s, want INDEXBUS_TOO_LARGE", indexbus_status_name(st));
    } else if (r < 98) { /* commit / abort / commit_batch with nothing claimed */
        int st = note(OP_COMMIT, indexbus_commit(P->p, 1));
        if (st != INDEXBUS_BAD_STATE)
            contract("commit without claim = %s, want INDEXBUS_BAD_STATE", indexbus_status_name(st));
        st = note(OP_COMMIT_BATCH, indexbus_commit_batch(P->p, 0));
        if (st != INDEXBUS_BAD_STATE)
            contract("commit_batch without claim = %s, want INDEXBUS_BAD_STATE", indexbus_status_name(st));
    } else {
        do_publish(P, msg_len(P, D));
    }
}

static void produce_once(prod_ctx *P)
{
    if (is_log()) {
        produce_log_once(P);
        return;
    }
    if (P->marked && rg_chance(&P->rng, 2, 5)) {
        do_marked(P);
        return;
    }
    size_t D = A->data, each = D < 1024 ? D : 1024;
    if (P->scenario) {
        if (rg_chance(&P->rng, 3, 4))
            do_batch(P, 32, each, 1);
        else
            do_publish(P, each);
        return;
    }
    uint32_t r = (uint32_t)rg_below(&P->rng, 100);
    if (r < 30) {
        do_publish(P, msg_len(P, D));
    } else if (r < 55) {
        do_batch(P, 1 + rg_below(&P->rng, 32), each, rg_chance(&P->rng, 1, 3));
    } else if (r < 80) {
        do_claim(P, 0);
    } else if (r < 88) {
        do_claim(P, 1);
    } else if (r < 91) { /* oversize copy publish: refused whatever the region says */
        int st = note(OP_PUBLISH, indexbus_publish(P->p, P->buf, D + 1 + rg_below(&P->rng, 64)));
        if (st != INDEXBUS_TOO_LARGE && handle_data <= D)
            contract("publish(slot size + n) = %s, want INDEXBUS_TOO_LARGE", indexbus_status_name(st));
    } else if (r < 93) { /* commit / abort with nothing claimed */
        int st = note(OP_COMMIT, indexbus_commit(P->p, 1));
        if (st != INDEXBUS_BAD_STATE)
            contract("commit without claim = %s, want INDEXBUS_BAD_STATE", indexbus_status_name(st));
        st = note(OP_ABORT, indexbus_abort(P->p));
        if (st != INDEXBUS_BAD_STATE)
            contract("abort without claim = %s, want INDEXBUS_BAD_STATE", indexbus_status_name(st));
    } else {
        do_publish(P, msg_len(P, D));
    }
}

static int producer_main(uint32_t type)
{
    static prod_ctx P;
    rg_seed(&P.rng, A->seed);
    P.id = A->arg;
    P.scenario = strcmp(A->role, "prod-scenario") == 0;
    size_t bufsize = 32 * 1024 + (size_t)A->data + 128;
    if ((P.buf = malloc(bufsize)) == NULL)
        return RG_EXIT_SETUP;
    memset(P.buf, 0x5A, bufsize);
    while (time_left()) {
        indexbus_region *r = open_region(&P.rng);
        if (r == NULL)
            break;
        uint64_t end = P.scenario ? A->until_ns : session_end(&P.rng);
        P.p = NULL;
        while (time_left() && P.p == NULL) {
            if (note(OP_PRODUCER_OPEN, indexbus_producer_open(r, type, &P.p)) != INDEXBUS_OK)
                rg_sleep_ns(500000 + rg_below(&P.rng, 2000000));
        }
        /* 1.2: the mark it resumes from (the open settled a dead one's journal) */
        P.marked = 0;
        if (P.p != NULL && durable && type == INDEXBUS_PRODUCER_SPSC) {
            int st = note(OP_PRODUCER_MARK, indexbus_producer_mark(P.p, &P.mark));
            if (st != INDEXBUS_OK)
                contract("producer_mark on the SPSC producer of a durable region = %s",
                         indexbus_status_name(st));
            P.marked = 1;
        }
        while (P.p != NULL && time_left() && rg_now_ns() < end)
            produce_once(&P);
        if (P.p != NULL)
            note(OP_CLOSE, indexbus_producer_close(P.p));
        note(OP_CLOSE, indexbus_region_close(r));
    }
    free(P.buf);
    return 0;
}

/* ---- consumers -------------------------------------------------------------------- */

typedef struct cons_ctx {
    rg_rng rng;
    int scenario; /* spsc-cells: drain as fast as possible, no back-off on CORRUPT */
    indexbus_consumer *c;
    uint8_t *buf;
    size_t bufsize;
    uint32_t lens[64];
    int hold;          /* 1.2: opened with INDEXBUS_CONSUMER_HOLD */
    uint32_t held, max_held; /* messages it holds (its own count); max_held as opened (0: 4096) */
} cons_ctx;

static void after_recv_status(cons_ctx *C, int st)
{
    if (C->scenario && st == INDEXBUS_CORRUPT)
        return; /* skip the bad cell and go on draining: the producer needs room */
    if (st == INDEXBUS_EMPTY || st == INDEXBUS_CORRUPT)
        backoff(&C->rng);
    else if (st == INDEXBUS_DISCONNECTED)
        rg_sleep_ns(500000);
}

/* OK / BUFFER_TOO_SMALL of a copy receive into cap bytes */
static void check_copy(const char *what, int st, size_t len, size_t cap, const uint8_t *buf)
{
    if (st == INDEXBUS_OK) {
        if (len > cap || len > len_limit)
            contract("%s = OK with len %zu, cap %zu, slot data size %u", what, len, cap, len_limit);
        check_msg(buf, len);
    } else if (st == INDEXBUS_BUFFER_TOO_SMALL) {
        if (len <= cap || len > len_limit)
            contract("%s = BUFFER_TOO_SMALL with len %zu, cap %zu, slot data size %u", what, len,
                     cap, len_limit);
    }
}

static size_t pick_cap(cons_ctx *C)
{
    switch (rg_below(&C->rng, 10)) {
    case 0: return rg_below(&C->rng, A->data);
    case 1: return 0;
    default: return A->data;
    }
}

static uint64_t short_timeout(cons_ctx *C)
{
    return min_u64(200000 + rg_below(&C->rng, 10000000), left_ns());
}

/* 1.2: a HOLD consumer's turn - recv_held, release of what it holds (OK
 * whatever the region holds), of more (OUT_OF_RANGE), the plain receives
 * (BAD_STATE on a holder), wait then recv_held. */
static void hold_once(cons_ctx *C)
{
    uint32_t r = (uint32_t)rg_below(&C->rng, 100), most = C->max_held ? C->max_held : 4096;
    size_t len = 0;
    int st = INDEXBUS_OK;
    if (r < 50) {
        size_t cap = pick_cap(C);
        uint64_t pos = 0;
        st = note(OP_RECV_HELD, indexbus_recv_held(C->c, cap ? C->buf : NULL, cap, &len, &pos));
        if (C->held >= most && st != INDEXBUS_FULL)
            contract("recv_held with %u of max_held %u held = %s, want FULL", C->held, most,
                     indexbus_status_name(st));
        check_copy("recv_held", st, len, cap, C->buf);
        C->held += st == INDEXBUS_OK;
    } else if (r < 85) {
        uint32_t n = C->held ? (uint32_t)rg_below(&C->rng, C->held + 1) : 0;
        st = note(OP_RELEASE, indexbus_release(C->c, n));
        if (st != INDEXBUS_OK)
            contract("release(%u) holding %u = %s", n, C->held, indexbus_status_name(st));
        C->held -= n;
    } else if (r < 90) {
        st = note(OP_RELEASE, indexbus_release(C->c, C->held + 1 + rg_below(&C->rng, 8)));
        if (st != INDEXBUS_OUT_OF_RANGE)
            contract("release of more than the %u held = %s", C->held, indexbus_status_name(st));
        st = INDEXBUS_OK;
    } else if (r < 93) {
        st = note(OP_TRY_RECV, indexbus_try_recv(C->c, C->buf, A->data, &len));
        if (st != INDEXBUS_BAD_STATE)
            contract("try_recv on a HOLD consumer = %s, want BAD_STATE", indexbus_status_name(st));
        st = INDEXBUS_OK;
    } else {
        st = note(OP_WAIT, indexbus_wait(C->c, short_timeout(C)));
        if (st == INDEXBUS_OK && C->held < most) {
            uint64_t pos;
            st = note(OP_RECV_HELD, indexbus_recv_held(C->c, C->buf, A->data, &len, &pos));
            check_copy("recv_held", st, len, A->data, C->buf);
            C->held += st == INDEXBUS_OK;
        }
    }
    after_recv_status(C, st == INDEXBUS_FULL ? INDEXBUS_EMPTY : st);
}

/* Open consumer A->arg; on a durable region with INDEXBUS_CONSUMER_HOLD in
 * 3 sessions of 4 (max_held the default, 1, 8 or 64). */
static int consumer_open_session(cons_ctx *C, indexbus_region *r)
{
    static const uint32_t caps[4] = {0, 1, 8, 64};
    C->held = 0;
    C->hold = !C->scenario && durable && rg_chance(&C->rng, 3, 4);
    if (!C->hold)
        return note(OP_CONSUMER_OPEN, indexbus_consumer_open(r, A->arg, &C->c));
    C->max_held = caps[rg_below(&C->rng, 4)];
    indexbus_consumer_config cc = {.size = sizeof cc, .index = A->arg, .flags = INDEXBUS_CONSUMER_HOLD,
                                   .max_held = C->max_held};
    return note(OP_CONSUMER_OPEN_HOLD, indexbus_consumer_open_config(r, &cc, &C->c));
}

static void consume_once(cons_ctx *C)
{
    if (C->hold) {
        hold_once(C);
        return;
    }
    uint32_t r = (uint32_t)rg_below(&C->rng, 100);
    size_t len = 0;
    int st;
    if (C->scenario) /* mostly batches and copies: drain */
        r = r < 50 ? 50 : r < 80 ? 0 : r;
    if (r < 25) {
        size_t cap = pick_cap(C);
        st = note(OP_TRY_RECV, indexbus_try_recv(C->c, cap ? C->buf : NULL, cap, &len));
        check_copy("try_recv", st, len, cap, C->buf);
    } else if (r < 45) {
        const void *data = NULL;
        st = note(OP_RECV_BEGIN, indexbus_recv_begin(C->c, &data, &len));
        if (st == INDEXBUS_OK) {
            if (len > len_limit || (data == NULL && len != 0))
                contract("recv_begin = OK with data %p len %zu, slot data size %u", data, len, len_limit);
            check_msg(data, len);
            if (rg_chance(&C->rng, 1, 10)) {
                size_t l2;
                int st2 = note(OP_TRY_RECV, indexbus_try_recv(C->c, C->buf, A->data, &l2));
                if (st2 != INDEXBUS_BAD_STATE)
                    contract("try_recv while borrowing = %s, want INDEXBUS_BAD_STATE",
                             indexbus_status_name(st2));
            }
            int st2 = note(OP_RECV_END, indexbus_recv_end(C->c));
            if (st2 != INDEXBUS_OK)
                contract("recv_end after recv_begin OK = %s", indexbus_status_name(st2));
        }
    } else if (r < 65) {
        size_t max = 1 + rg_below(&C->rng, 64);
        size_t cap = rg_chance(&C->rng, 4, 5) ? max * A->data : rg_below(&C->rng, max * A->data + 1);
        size_t count = 777;
        st = note(OP_RECV_BATCH, indexbus_recv_batch(C->c, cap ? C->buf : NULL, cap, C->lens, max, &count));
        if (st == INDEXBUS_OK) {
            size_t sum = 0;
            if (count < 1 || count > max)
                contract("recv_batch = OK with count %zu of max %zu", count, max);
            for (size_t i = 0; i < count; i++) {
                if (C->lens[i] > len_limit)
                    contract("recv_batch message %zu len %u > slot data size %u", i, C->lens[i], len_limit);
                check_msg(C->buf + sum, C->lens[i]);
                sum += C->lens[i];
            }
            if (sum > cap)
                contract("recv_batch = OK with %zu bytes in a %zu-byte buffer", sum, cap);
        } else {
            if (count != 0)
                contract("recv_batch = %s with count %zu", indexbus_status_name(st), count);
            if (st == INDEXBUS_BUFFER_TOO_SMALL && (C->lens[0] <= cap || C->lens[0] > len_limit))
                contract("recv_batch = BUFFER_TOO_SMALL with lens[0] %u, cap %zu", C->lens[0], cap);
        }
    } else if (r < 85) {
        size_t cap = pick_cap(C);
        st = note(OP_RECV, indexbus_recv(C->c, cap ? C->buf : NULL, cap, &len, short_timeout(C)));
        check_copy("recv", st, len, cap, C->buf);
    } else {
        st = note(OP_WAIT, indexbus_wait(C->c, short_timeout(C)));
        if (st == INDEXBUS_OK) {
            st = note(OP_TRY_RECV, indexbus_try_recv(C->c, C->buf, A->data, &len));
            check_copy("try_recv", st, len, A->data, C->buf);
        }
    }
    after_recv_status(C, st);
}

static int consumer_main(void)
{
    static cons_ctx C;
    rg_seed(&C.rng, A->seed);
    C.bufsize = 64 * (size_t)A->data;
    C.scenario = strcmp(A->role, "cons-scenario") == 0;
    if ((C.buf = malloc(C.bufsize)) == NULL)
        return RG_EXIT_SETUP;
    while (time_left()) {
        indexbus_region *r = open_region(&C.rng);
        if (r == NULL)
            break;
        uint64_t end = C.scenario ? A->until_ns : session_end(&C.rng);
        C.c = NULL;
        while (time_left() && C.c == NULL) {
            if (consumer_open_session(&C, r) != INDEXBUS_OK)
                rg_sleep_ns(500000 + rg_below(&C.rng, 2000000));
        }
        while (C.c != NULL && time_left() && rg_now_ns() < end)
            consume_once(&C);
        /* a holder lets go before its close, or (one in two) leaves them held */
        if (C.c != NULL && C.hold && C.held && rg_chance(&C.rng, 1, 2) &&
            note(OP_RELEASE, indexbus_release(C.c, C.held)) != INDEXBUS_OK)
            contract("release of all %u held before close failed", C.held);
        if (C.c != NULL)
            note(OP_CLOSE, indexbus_consumer_close(C.c));
        note(OP_CLOSE, indexbus_region_close(r));
    }
    free(C.buf);
    return 0;
}

/* ---- router -------------------------------------------------------------------------- */

typedef struct router_ctx {
    rg_rng rng;       /* main thread */
    rg_rng run_rng;   /* run thread */
    indexbus_router *rt;
    int quit, done;   /* atomic */
} router_ctx;

static void *run_thread(void *arg)
{
    router_ctx *R = arg;
    while (!__atomic_load_n(&R->quit, __ATOMIC_ACQUIRE)) {
        indexbus_router_loop_config cfg = {.size = sizeof cfg};
        cfg.source = (uint32_t)rg_below(&R->run_rng, 4);
        cfg.mode = (uint32_t)rg_below(&R->run_rng, 3);
        cfg.flags = rg_chance(&R->run_rng, 1, 4) ? INDEXBUS_ROUTER_EXIT_ON_DISCONNECT : 0;
        cfg.spin_iters = rg_chance(&R->run_rng, 1, 2) ? 0 : (uint32_t)rg_below(&R->run_rng, 200);
        cfg.yield_iters = rg_chance(&R->run_rng, 1, 2) ? 0 : (uint32_t)rg_below(&R->run_rng, 20);
        cfg.park_ns = 200000 + rg_below(&R->run_rng, 5000000);
        int st = note(OP_ROUTER_RUN, indexbus_router_run(R->rt, &cfg));
        if (st != INDEXBUS_OK)
            rg_sleep_ns(200000 + rg_below(&R->run_rng, 1000000));
    }
    __atomic_store_n(&R->done, 1, __ATOMIC_RELEASE);
    return NULL;
}

static void route_steps(router_ctx *R, uint64_t end)
{
    uint64_t all = A->consumers >= 64 ? ~0ull : (1ull << A->consumers) - 1;
    uint32_t source = 1 + (uint32_t)rg_below(&R->rng, 3), mode = 1 + (uint32_t)rg_below(&R->rng, 2);
    while (time_left() && rg_now_ns() < end) {
        if (rg_chance(&R->rng, 1, 50)) {
            source = 1 + (uint32_t)rg_below(&R->rng, 3);
            mode = 1 + (uint32_t)rg_below(&R->rng, 2);
        }
        indexbus_route_result res = {.size = sizeof res};
        int st, which = (int)rg_below(&R->rng, 3);
        if (which == 0) {
            st = note(OP_ROUTE_ONCE, indexbus_route_once(R->rt, source, mode));
        } else if (which == 1) {
            st = note(OP_ROUTE_STATS, indexbus_route_once_stats(R->rt, source, mode, &res));
        } else {
            uint64_t el = rg_chance(&R->rng, 1, 2) ? ~0ull : rg_next(&R->rng);
            uint64_t nc = rg_chance(&R->rng, 1, 2) ? 0 : rg_next(&R->rng) & all;
            uint64_t fm = rg_chance(&R->rng, 1, 2) ? 0 : rg_next(&R->rng) & all;
            st = note(OP_ROUTE_CREDIT, indexbus_route_once_credit(R->rt, source, mode, el, nc, fm, &res));
        }
        if (which != 0) {
            uint64_t m = res.delivered_mask | res.dropped_full_mask | res.dropped_no_credit_mask;
            if (res.size != sizeof res || (m & ~all) ||
                res.delivered != (uint32_t)__builtin_popcountll(res.delivered_mask) ||
                res.dropped_full != (uint32_t)__builtin_popcountll(res.dropped_full_mask) ||
                res.dropped_no_credit != (uint32_t)__builtin_popcountll(res.dropped_no_credit_mask) ||
                (st == INDEXBUS_OK && (res.routed != 1 || res.delivered == 0)) ||
                (st != INDEXBUS_OK && res.routed != 0))
                contract("route result (%s): routed %u delivered %u/%#llx full %u/%#llx "
                         "no_credit %u/%#llx, %u consumers",
                         indexbus_status_name(st), res.routed, res.delivered,
                         (unsigned long long)res.delivered_mask, res.dropped_full,
                         (unsigned long long)res.dropped_full_mask, res.dropped_no_credit,
                         (unsigned long long)res.dropped_no_credit_mask, A->consumers);
        }
        if (st == INDEXBUS_OK)
            msgs_in++;
        else
            backoff(&R->rng);
    }
}

static void route_run(router_ctx *R, uint64_t end)
{
    pthread_t th;
    rg_seed(&R->run_rng, rg_next(&R->rng));
    __atomic_store_n(&R->quit, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&R->done, 0, __ATOMIC_RELAXED);
    if (pthread_create(&th, NULL, run_thread, R) != 0) {
        route_steps(R, end);
        return;
    }
    while (time_left() && rg_now_ns() < end) {
        rg_sleep_ns(min_u64(2000000 + rg_below(&R->rng, 150000000), left_ns()));
        note(OP_ROUTER_STOP, indexbus_router_stop(R->rt)); /* run returns OK, the thread runs again */
    }
    __atomic_store_n(&R->quit, 1, __ATOMIC_RELEASE);
    /* a stop can land between two runs and be consumed by the first; keep
     * stopping until the thread is out (a run that never returns is a hang) */
    while (!__atomic_load_n(&R->done, __ATOMIC_ACQUIRE)) {
        note(OP_ROUTER_STOP, indexbus_router_stop(R->rt));
        rg_sleep_ns(1000000);
    }
    pthread_join(th, NULL);
}

static int router_main(void)
{
    static router_ctx R;
    rg_seed(&R.rng, A->seed);
    while (time_left()) {
        indexbus_region *r = open_region(&R.rng);
        if (r == NULL)
            break;
        uint64_t end = session_end(&R.rng);
        R.rt = NULL;
        while (time_left() && R.rt == NULL) {
            if (note(OP_ROUTER_OPEN, indexbus_router_open(r, &R.rt)) != INDEXBUS_OK)
                rg_sleep_ns(500000 + rg_below(&R.rng, 2000000));
        }
        if (R.rt != NULL) {
            if (rg_chance(&R.rng, 1, 2))
                route_run(&R, end);
            else
                route_steps(&R, end);
            note(OP_CLOSE, indexbus_router_close(R.rt));
        }
        note(OP_CLOSE, indexbus_region_close(r));
    }
    return 0;
}

/* ---- observer and recoverer ------------------------------------------------------------ */

static void observe(indexbus_region *r, rg_rng *rng)
{
    indexbus_info info = {.size = sizeof info};
    if (note(OP_INFO, indexbus_region_info(r, &info)) == INDEXBUS_OK &&
        (info.free_slots > info.slot_count || info.spsc_depth > info.queue_capacity ||
         info.mpsc_depth > info.queue_capacity))
        contract("info: free_slots %u of %u, depths %llu/%llu of %u", info.free_slots,
                 info.slot_count, (unsigned long long)info.spsc_depth,
                 (unsigned long long)info.mpsc_depth, info.queue_capacity);
    if (is_ring() && !geo_mismatch && /* byte logs and streams: clamped snapshots of the ring */
        (info.bytes_used > info.byte_capacity || info.bytes_used + info.bytes_free != info.byte_capacity ||
         info.bytes_padding > info.byte_capacity || info.records_waiting > info.byte_capacity / 8))
        contract("info: byte capacity %llu, used %llu, free %llu, padding %llu, records %llu",
                 (unsigned long long)info.byte_capacity, (unsigned long long)info.bytes_used,
                 (unsigned long long)info.bytes_free, (unsigned long long)info.bytes_padding,
                 (unsigned long long)info.records_waiting);
    if (!geo_mismatch && ((info.stream_flags & ~7u) != 0 || info.stream_writers > INDEXBUS_STREAM_SEATS ||
                          info.writers_aborted > 4095 || info.rpc_cells_free > info.rpc_cells ||
                          (A->kind == INDEXBUS_KIND_RPC) != (info.rpc_cells != 0)))
        contract("info: stream flags %#x, writers %u, aborted %u; rpc cells %u, free %u", info.stream_flags,
                 info.stream_writers, info.writers_aborted, info.rpc_cells, info.rpc_cells_free);
    if (A->kind == INDEXBUS_KIND_STREAM) {
        uint32_t flags = 99, ab = 99999;
        if (note(OP_STREAM_STATE, indexbus_stream_state(r, &flags, &ab)) == INDEXBUS_OK &&
            ((flags & ~7u) != 0 || ab > 4095))
            contract("stream_state: flags %#x, writers aborted %u", flags, ab);
    }
    for (uint32_t i = 0; i <= A->consumers; i++) {
        indexbus_consumer_stats cs = {.size = sizeof cs};
        int st = note(OP_CONSUMER_STATS, indexbus_region_consumer_stats(r, i, &cs));
        if (i == A->consumers && st != INDEXBUS_OUT_OF_RANGE && !geo_mismatch)
            contract("consumer_stats(consumer_count) = %s", indexbus_status_name(st));
        /* each queue's depth is clamped to Q; an events consumer has two queues;
         * a byte log's depth is its records waiting, at most a ring of 8-byte ones */
        uint64_t most = is_ring() ? A->slots / 8u
                                 : (uint64_t)A->queue * (A->kind == INDEXBUS_KIND_EVENTS ? 2 : 1);
        if (st == INDEXBUS_OK && cs.depth > most && !geo_mismatch)
            contract("consumer_stats(%u).depth %llu > %llu", i, (unsigned long long)cs.depth,
                     (unsigned long long)most);
    }
    for (int n = 0; n < 4; n++) {
        indexbus_participant_info pi = {.size = sizeof pi};
        uint32_t slot = rg_chance(rng, 1, 8) ? 256 + (uint32_t)rg_below(rng, 10) : (uint32_t)rg_below(rng, 32);
        int st = note(OP_PARTICIPANT, indexbus_region_participant(r, slot, &pi));
        if (slot >= INDEXBUS_MAX_PARTICIPANTS && st != INDEXBUS_OUT_OF_RANGE)
            contract("participant(%u) = %s", slot, indexbus_status_name(st));
    }
    if (durable) { /* 1.2: every bridge line, one past them, IN; add and get */
        for (uint32_t w = 0; w <= A->consumers + 1; w++) {
            uint32_t which = w == A->consumers + 1 ? INDEXBUS_BRIDGE_IN : w;
            indexbus_bridge_counters bc = {.size = sizeof bc, .forwarded = 1, .acknowledged = 1};
            int st = note(OP_BRIDGE_COUNTERS, rg_chance(rng, 1, 2) ? indexbus_bridge_counters_add(r, which, &bc)
                                                                   : indexbus_bridge_counters_get(r, which, &bc));
            int want = which == A->consumers ? INDEXBUS_OUT_OF_RANGE : INDEXBUS_OK;
            if (st != want && !geo_mismatch)
                contract("bridge_counters(%u) = %s, want %s", which, indexbus_status_name(st),
                         indexbus_status_name(want));
        }
    }
    if (rg_chance(rng, 1, 8)) {
        indexbus_recover_report rep = {.size = sizeof rep};
        note(OP_RECOVER, indexbus_region_recover(r, rg_chance(rng, 1, 8) ? INDEXBUS_RECOVER_SWEEP : 0, &rep));
    }
}

static int observer_main(void)
{
    rg_rng rng;
    rg_seed(&rng, A->seed);
    while (time_left()) {
        indexbus_region *r = open_region(&rng);
        if (r == NULL)
            break;
        uint64_t end = session_end(&rng);
        while (time_left() && rg_now_ns() < end) {
            observe(r, &rng);
            rg_sleep_ns(min_u64(1000000 + rg_below(&rng, 15000000), left_ns()));
        }
        note(OP_CLOSE, indexbus_region_close(r));
    }
    return 0;
}

static int recover_main(void)
{
    rg_rng rng;
    rg_seed(&rng, A->seed);
    indexbus_region *r = open_region(&rng);
    if (r == NULL)
        return 0; /* the header is under attack: nothing to recover with */
    indexbus_recover_report rep = {.size = sizeof rep};
    int st = note(OP_RECOVER, indexbus_region_recover(r, A->arg ? INDEXBUS_RECOVER_SWEEP : 0, &rep));
    printf("@@recover %s dead=%u reclaimed=%u skipped=%u dropped=%llu elapsed_us=%llu\n",
           indexbus_status_name(st), rep.dead, rep.slots_reclaimed, rep.cells_skipped,
           (unsigned long long)rep.dropped, (unsigned long long)(rep.elapsed_ns / 1000));
    note(OP_CLOSE, indexbus_region_close(r));
    return 0;
}

/* --selftest: make this process fail the way the driver must detect */
static void selftest(void)
{
    const char *t = getenv("LIVE_ROGUE_SELFTEST");
    if (t == NULL)
        return;
    int prod = strncmp(A->role, "prod-", 5) == 0, cons = strncmp(A->role, "cons", 4) == 0;
    if (strcmp(t, "asan") == 0 && prod) {
        char *p = malloc(16);
        volatile size_t at = 16;
        p[at] = 1; /* heap-buffer-overflow */
        free(p);
    } else if (strcmp(t, "ubsan") == 0 && prod) {
        volatile int big = 0x7fffffff;
        printf("%d\n", big + 1); /* signed overflow */
    } else if (strcmp(t, "signal") == 0 && prod) {
        raise(SIGSEGV);
    } else if (strcmp(t, "hang") == 0 && cons) {
        for (;;)
            rg_sleep_ns(1000000000ull);
    } else if (strcmp(t, "contract") == 0 && cons) {
        contract("selftest");
    } else if (strcmp(t, "exit") == 0 && cons) {
        exit(9);
    }
}

/* ---- byte streams -------------------------------------------------------------------- */

/* A stream write's promises, whatever the region holds: *written at most
 * len; write: OK with something written, else nothing; write_all: OK with
 * all of it, and of at most max_record bytes all of it or none of it. */
static void check_write(const char *what, int all, int st, size_t n, size_t len)
{
    if (st == INDEXBUS_INVALID_ARGUMENT)
        return;
    if (n > len)
        contract("%s(%zu) = %s with %zu written", what, len, indexbus_status_name(st), n);
    if (st == INDEXBUS_OK && (all ? n != len : len != 0 && n == 0))
        contract("%s(%zu) = OK with %zu written", what, len, n);
    if (st != INDEXBUS_OK && !all && n != 0)
        contract("%s(%zu) = %s with %zu written", what, len, indexbus_status_name(st), n);
    if (st != INDEXBUS_OK && all && len <= handle_data && n != 0 && n != len)
        contract("%s(%zu <= max_record %u) = %s with %zu written (all or nothing)", what, len, handle_data,
                 indexbus_status_name(st), n);
}

static int swriter_main(void)
{
    rg_rng rng;
    rg_seed(&rng, A->seed);
    size_t bufsize = 3 * (size_t)A->data + 64;
    uint8_t *buf = malloc(bufsize);
    if (buf == NULL)
        return RG_EXIT_SETUP;
    uint64_t seq = 0;
    while (time_left()) {
        indexbus_region *r = open_region(&rng);
        if (r == NULL)
            break;
        uint64_t end = session_end(&rng);
        indexbus_stream_writer *w = NULL;
        while (time_left() && w == NULL)
            if (note(OP_WRITER_OPEN, indexbus_stream_writer_open(r, &w)) != INDEXBUS_OK)
                rg_sleep_ns(500000 + rg_below(&rng, 2000000));
        while (w != NULL && time_left() && rg_now_ns() < end) {
            if (rg_chance(&rng, 1, 40)) { /* a clone feeds the same stream; then the first leaves */
                indexbus_stream_writer *w2 = NULL;
                if (note(OP_WRITER_OPEN, indexbus_stream_writer_open(r, &w2)) == INDEXBUS_OK) {
                    note(OP_CLOSE, indexbus_stream_writer_close(w));
                    w = w2;
                }
            }
            size_t len = rg_chance(&rng, 1, 4) ? 1 + rg_below(&rng, 32) : rg_below(&rng, bufsize + 1);
            fill_msg(buf, len, A->arg, seq);
            size_t n = 777;
            int st;
            if (rg_chance(&rng, 1, 2)) {
                st = note(OP_STREAM_WRITE, indexbus_stream_write(w, buf, len, &n));
                check_write("stream_write", 0, st, n, len);
            } else {
                st = note(OP_STREAM_WRITE_ALL,
                          indexbus_stream_write_all(w, buf, len, min_u64(rg_below(&rng, 5000000), left_ns()), &n));
                check_write("stream_write_all", 1, st, n, len);
            }
            if (st == INDEXBUS_OK) {
                seq++;
                msgs_out++;
            } else if (st == INDEXBUS_FULL || st == INDEXBUS_CORRUPT || st == INDEXBUS_TIMEOUT) {
                backoff(&rng);
            } else if (st == INDEXBUS_DISCONNECTED) {
                rg_sleep_ns(500000);
            }
        }
        if (w != NULL && rg_chance(&rng, 1, 6)) /* now and then leave as a failed writer */
            note(OP_WRITER_ABORT, indexbus_stream_writer_abort(w));
        else if (w != NULL)
            note(OP_CLOSE, indexbus_stream_writer_close(w));
        note(OP_CLOSE, indexbus_region_close(r));
    }
    free(buf);
    return 0;
}

static int sreader_main(void)
{
    rg_rng rng;
    rg_seed(&rng, A->seed);
    size_t bufsize = 16384;
    uint8_t *buf = malloc(bufsize);
    if (buf == NULL)
        return RG_EXIT_SETUP;
    while (time_left()) {
        indexbus_region *r = open_region(&rng);
        if (r == NULL)
            break;
        uint64_t end = session_end(&rng);
        indexbus_stream_reader *rd = NULL;
        while (time_left() && rg_now_ns() < end) {
            if (rd == NULL) {
                int st = note(OP_READER_OPEN, indexbus_stream_reader_open(r, &rd));
                if (st != INDEXBUS_OK) {
                    rg_sleep_ns(200000 + rg_below(&rng, 2000000));
                    continue;
                }
            }
            size_t cap = rg_chance(&rng, 1, 3) ? 1 + rg_below(&rng, 16) : 1 + rg_below(&rng, bufsize);
            size_t n = 777;
            int st = note(OP_STREAM_READ,
                          indexbus_stream_read(rd, buf, cap, &n, rg_chance(&rng, 1, 3) ? 0
                                                                  : min_u64(rg_below(&rng, 5000000), left_ns())));
            if (st == INDEXBUS_OK && (n == 0 || n > cap))
                contract("stream_read(cap %zu) = OK with %zu bytes", cap, n);
            /* (a bad record after some bytes: OK with them first, repro_stream_read_corrupt) */
            if (st != INDEXBUS_OK && st != INDEXBUS_INVALID_ARGUMENT && n != 0)
                contract("stream_read(cap %zu) = %s with %zu bytes", cap, indexbus_status_name(st), n);
            if (st == INDEXBUS_OK) {
                msgs_in++;
                pay_ok += n;
            } else if (st == INDEXBUS_EMPTY || st == INDEXBUS_CORRUPT || st == INDEXBUS_TIMEOUT) {
                backoff(&rng);
            } else if (st == INDEXBUS_DISCONNECTED) {
                rg_sleep_ns(500000);
            }
            if (rg_chance(&rng, 1, 30)) { /* hand the read end over (the other reader may take it) */
                note(OP_READER_RELEASE, indexbus_stream_reader_release(rd));
                rd = NULL;
                rg_sleep_ns(rg_below(&rng, 1000000));
            }
        }
        if (rd != NULL) /* mostly hand it over; now and then close it for good */
            note(OP_CLOSE, rg_chance(&rng, 1, 8) ? indexbus_stream_reader_close(rd)
                                                 : indexbus_stream_reader_release(rd));
        note(OP_CLOSE, indexbus_region_close(r));
    }
    free(buf);
    return 0;
}

/* ---- request/response ------------------------------------------------------------------ */

/* A token worth trying: one of ours, or forged (0, past the table, another
 * generation, anything). */
static uint64_t some_token(rg_rng *rng, const uint64_t *mine, uint32_t n)
{
    uint64_t t = n ? mine[rg_below(rng, n)] : 1ull << 32;
    if (rg_chance(rng, 3, 4))
        return t;
    switch (rg_below(rng, 5)) {
    case 0: return 0;
    case 1: return (1ull << 32) | (A->slots + rg_below(rng, 4));
    case 2: return t + (1ull << 32);
    case 3: return t - (1ull << 32);
    default: return rg_next(rng);
    }
}

static void drop_token(uint64_t *toks, uint32_t *n, uint32_t i) { toks[i] = toks[--*n]; }

static int rclient_main(void)
{
    rg_rng rng;
    rg_seed(&rng, A->seed);
    size_t bufsize = (size_t)A->data + (size_t)A->queue + 64;
    uint8_t *buf = malloc(bufsize);
    if (buf == NULL)
        return RG_EXIT_SETUP;
    uint64_t seq = 0;
    while (time_left()) {
        indexbus_region *r = open_region(&rng);
        if (r == NULL)
            break;
        uint64_t end = session_end(&rng), toks[8];
        uint32_t nt = 0;
        indexbus_rpc_client *c = NULL;
        while (time_left() && c == NULL)
            if (note(OP_CLIENT_OPEN, indexbus_rpc_client_open(r, &c)) != INDEXBUS_OK)
                rg_sleep_ns(500000 + rg_below(&rng, 2000000));
        while (c != NULL && time_left() && rg_now_ns() < end) {
            uint32_t k = (uint32_t)rg_below(&rng, 100);
            size_t len = rg_chance(&rng, 1, 8) ? handle_data + 1 : rg_below(&rng, handle_data + 1);
            uint64_t tok = 0;
            const void *d = NULL;
            size_t n = 777;
            int st;
            if (k < 30 && nt < 8) {
                fill_msg(buf, len, A->arg, seq);
                if ((st = note(OP_RPC_REQUEST, indexbus_rpc_request(c, buf, len, &tok))) == INDEXBUS_OK) {
                    toks[nt++] = tok;
                    seq++;
                    msgs_out++;
                } else if (st == INDEXBUS_TOO_LARGE && len <= handle_data) {
                    contract("rpc_request(%zu <= max_request %u) = TOO_LARGE", len, handle_data);
                }
            } else if (k < 45 && nt < 8) {
                void *b = NULL;
                if ((st = note(OP_RPC_CLAIM, indexbus_rpc_claim(c, len, &b))) == INDEXBUS_OK) {
                    if (b == NULL || len > handle_data)
                        contract("rpc_claim(%zu) = OK with buffer %p (max_request %u)", len, b, handle_data);
                    fill_msg(b, len, A->arg, seq); /* all of it: ASan catches a bad buffer */
                    if (rg_chance(&rng, 1, 8)) { /* given back unsent */
                        st = note(OP_RPC_ABORT, indexbus_rpc_abort(c));
                        if (st != INDEXBUS_OK && st != INDEXBUS_CORRUPT)
                            contract("rpc_abort of a claim = %s", indexbus_status_name(st));
                        st = note(OP_RPC_ABORT, indexbus_rpc_abort(c));
                        if (st != INDEXBUS_BAD_STATE)
                            contract("rpc_abort without a claim = %s", indexbus_status_name(st));
                    } else if ((st = note(OP_RPC_SEND, indexbus_rpc_send(c, rg_below(&rng, len + 1), &tok))) == INDEXBUS_OK) {
                        toks[nt++] = tok;
                        seq++;
                        msgs_out++;
                    }
                }
            } else if (k < 80) {
                uint32_t i = nt ? (uint32_t)rg_below(&rng, nt) : 0;
                tok = some_token(&rng, toks, nt);
                st = note(OP_RPC_WAIT, indexbus_rpc_wait(c, tok, &d, &n, rg_chance(&rng, 1, 2) ? 0
                                                                      : min_u64(rg_below(&rng, 5000000), left_ns())));
                if (st == INDEXBUS_OK) {
                    if (d == NULL || n > max_reply)
                        contract("rpc_wait = OK with %p, %zu bytes (max_reply %u)", d, n, max_reply);
                    check_msg(d, n);
                    note(OP_RPC_DONE, indexbus_rpc_reply_done(c, tok));
                }
                if (nt && tok == toks[i] && st != INDEXBUS_TIMEOUT)
                    drop_token(toks, &nt, i);
            } else if (k < 90) {
                uint32_t i = nt ? (uint32_t)rg_below(&rng, nt) : 0;
                tok = some_token(&rng, toks, nt);
                note(OP_RPC_CANCEL, indexbus_rpc_cancel(c, tok));
                if (nt && tok == toks[i])
                    drop_token(toks, &nt, i);
            } else if (k < 95) {
                size_t cap = rg_chance(&rng, 1, 4) ? rg_below(&rng, max_reply + 1) : bufsize;
                fill_msg(buf, len > bufsize ? bufsize : len, A->arg, seq);
                st = note(OP_RPC_CALL, indexbus_rpc_call(c, buf, len > bufsize ? bufsize : len, buf, cap, &n,
                                                         min_u64(rg_below(&rng, 5000000), left_ns())));
                if ((st == INDEXBUS_OK && (n > cap || n > max_reply)) ||
                    (st == INDEXBUS_BUFFER_TOO_SMALL && (n <= cap || n > max_reply)))
                    contract("rpc_call(cap %zu) = %s with %zu bytes (max_reply %u)", cap, indexbus_status_name(st), n,
                             max_reply);
            } else {
                note(OP_RPC_DONE, indexbus_rpc_reply_done(c, some_token(&rng, toks, nt)));
            }
            if (rg_chance(&rng, 1, 16))
                backoff(&rng);
        }
        if (c != NULL)
            note(OP_CLOSE, indexbus_rpc_client_close(c));
        note(OP_CLOSE, indexbus_region_close(r));
    }
    free(buf);
    return 0;
}

static int rserver_main(void)
{
    rg_rng rng;
    rg_seed(&rng, A->seed);
    while (time_left()) {
        indexbus_region *r = open_region(&rng);
        if (r == NULL)
            break;
        uint64_t end = session_end(&rng), held[4];
        uint32_t nh = 0;
        indexbus_rpc_server *sv = NULL;
        while (time_left() && sv == NULL)
            if (note(OP_SERVER_OPEN, indexbus_rpc_server_open(r, &sv)) != INDEXBUS_OK)
                rg_sleep_ns(500000 + rg_below(&rng, 2000000));
        while (sv != NULL && time_left() && rg_now_ns() < end) {
            if (nh < 4 && rg_chance(&rng, 2, 3)) {
                uint64_t tok = 0;
                const void *d = NULL;
                size_t n = 777;
                int st = note(OP_RPC_SERVE, indexbus_rpc_serve(sv, &tok, &d, &n, rg_chance(&rng, 1, 2) ? 0
                                                              : min_u64(rg_below(&rng, 5000000), left_ns())));
                if (st == INDEXBUS_OK) {
                    if (d == NULL || n > handle_data)
                        contract("rpc_serve = OK with %p, %zu bytes (max_request %u)", d, n, handle_data);
                    check_msg(d, n);
                    held[nh++] = tok;
                } else if (st == INDEXBUS_EMPTY || st == INDEXBUS_CORRUPT) {
                    backoff(&rng);
                }
                continue;
            }
            uint32_t i = nh ? (uint32_t)rg_below(&rng, nh) : 0;
            uint64_t tok = some_token(&rng, held, nh);
            size_t len = rg_chance(&rng, 1, 8) ? max_reply + 1 : rg_below(&rng, max_reply + 1);
            int st;
            if (rg_chance(&rng, 1, 10)) { /* dropped unanswered: its client gets DISCONNECTED */
                st = note(OP_RPC_FAIL, indexbus_rpc_fail(sv, tok));
            } else if (rg_chance(&rng, 1, 2)) {
                void *b = NULL;
                size_t cap = 777;
                st = note(OP_RPC_REPLY_BUFFER, indexbus_rpc_reply_buffer(sv, tok, &b, &cap));
                if (st == INDEXBUS_OK) {
                    if (b == NULL || cap != max_reply)
                        contract("rpc_reply_buffer = OK with %p, capacity %zu (max_reply %u)", b, cap, max_reply);
                    fill_msg(b, len < cap ? len : cap, A->arg, tok); /* all of it: ASan catches a bad buffer */
                    st = note(OP_RPC_REPLY_COMMIT, indexbus_rpc_reply_commit(sv, tok, len));
                }
            } else {
                uint8_t rep[256];
                size_t l = len < sizeof rep ? len : sizeof rep;
                fill_msg(rep, l, A->arg, tok);
                st = note(OP_RPC_REPLY, indexbus_rpc_reply(sv, tok, rep, l));
            }
            if (st == INDEXBUS_OK)
                msgs_in++;
            if (nh && tok == held[i] && st != INDEXBUS_TOO_LARGE)
                drop_token(held, &nh, i);
        }
        if (sv != NULL) /* what it still holds fails: its clients get DISCONNECTED */
            note(OP_CLOSE, indexbus_rpc_server_close(sv));
        note(OP_CLOSE, indexbus_region_close(r));
    }
    return 0;
}

int rg_traffic_main(const rg_args *a)
{
    A = a;
    int rc;
    if (strcmp(a->role, "prod-spsc") == 0 || strcmp(a->role, "prod-scenario") == 0)
        rc = producer_main(INDEXBUS_PRODUCER_SPSC);
    else if (strcmp(a->role, "prod-mpsc") == 0)
        rc = producer_main(INDEXBUS_PRODUCER_MPSC);
    else if (strcmp(a->role, "cons") == 0 || strcmp(a->role, "cons-scenario") == 0)
        rc = consumer_main();
    else if (strcmp(a->role, "router") == 0)
        rc = router_main();
    else if (strcmp(a->role, "observer") == 0)
        rc = observer_main();
    else if (strcmp(a->role, "recover") == 0)
        rc = recover_main();
    else if (strcmp(a->role, "swriter") == 0)
        rc = swriter_main();
    else if (strcmp(a->role, "sreader") == 0)
        rc = sreader_main();
    else if (strcmp(a->role, "rclient") == 0)
        rc = rclient_main();
    else if (strcmp(a->role, "rserver") == 0)
        rc = rserver_main();
    else {
        fprintf(stderr, "unknown role %s\n", a->role);
        return RG_EXIT_SETUP;
    }
    selftest();
    dump_stats();
    return rc;
}
