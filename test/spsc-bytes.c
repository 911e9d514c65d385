/* spsc-bytes.c - events region, producer process -> consumer process:
 * 20000 messages of every length 0..slot_data_size (exactly max included),
 * binary content with NUL bytes, derived from (seq, len). The consumer checks
 * exact bytes and order, then DISCONNECTED once the producer has closed.
 * Variants: SPSC publish / recv, MPSC publish / recv, SPSC
 * claim+commit / recv_begin+recv_end, MPSC publish_batch / wait+recv_batch,
 * and an SPSC hand-over: process A sends the first half while process B
 * (holding an MPSC "keeper" producer so the consumer is not disconnected in
 * between) gets BUSY for the SPSC role, then takes it over once A closes and
 * sends the second half - one unbroken, ordered stream. */
#include "mp_util.h"

#define N 20000u
#define SLOTS 64u
#define DATA 256u /* slot_data_size */
#define BATCH 7u

enum { V_SPSC, V_MPSC, V_ZERO_COPY, V_BATCH, V_HANDOFF, V_COUNT };

IB_SHARED static const char *g_name;
IB_SHARED static int g_variant;
IB_SHARED static mp_ctl *g_ctl; /* V_HANDOFF: counter[0] A holds SPSC, [1] B saw BUSY */

/* Length of message seq: cycles through every value 0..DATA, plus extra
 * zero-length and max-length messages. */
static size_t msg_len(uint32_t seq)
{
    if (seq % 10 == 3)
        return DATA;
    if (seq % 10 == 7)
        return 0;
    return (size_t)(seq * 37u) % (DATA + 1);
}

/* arg: 0 = the producer (V_HANDOFF: A, first half), 1 = V_HANDOFF's B */
static int producer(int arg)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_producer *p, *keeper = NULL;
    uint32_t type = (g_variant == V_MPSC || g_variant == V_BATCH) ? INDEXBUS_PRODUCER_MPSC
                                                                 : INDEXBUS_PRODUCER_SPSC;
    uint32_t seq = 0, end = N;
    if (arg == 0) {
        REQUIRE_OK(indexbus_producer_open(r, type, &p));
        if (g_variant == V_HANDOFF) {
            mp_store(&g_ctl->counter[0], 1);
            MP_WAIT(mp_load(&g_ctl->counter[1]) == 1);
            end = N / 2;
        }
    } else {
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &keeper));
        MP_WAIT(mp_load(&g_ctl->counter[0]) == 1);
        CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p), INDEXBUS_BUSY);
        CHECK(p == NULL);
        mp_store(&g_ctl->counter[1], 1);
        int st;
        uint64_t deadline = mp_now_ns() + MP_HANG_NS;
        while ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p)) == INDEXBUS_BUSY) {
            REQUIRE(mp_now_ns() < deadline);
            sched_yield();
        }
        REQUIRE_OK(st);
        seq = N / 2;
    }
    uint8_t msg[BATCH * DATA];
    while (seq < end) {
        if (g_variant == V_ZERO_COPY) {
            void *buf;
            size_t cap = 0;
            int st = indexbus_claim(p, &buf, &cap);
            if (st == INDEXBUS_FULL) {
                sched_yield();
                continue;
            }
            REQUIRE(st == INDEXBUS_OK && cap == DATA);
            mp_fill(buf, 1, seq, msg_len(seq));
            REQUIRE_OK(indexbus_commit(p, msg_len(seq)));
            seq++;
        } else if (g_variant == V_BATCH) {
            uint32_t lens[BATCH];
            size_t n = 0, off = 0, sent = 0;
            for (; n < BATCH && seq + n < N; n++) {
                lens[n] = (uint32_t)msg_len(seq + (uint32_t)n);
                mp_fill(msg + off, 1, seq + n, lens[n]);
                off += lens[n];
            }
            int st = indexbus_publish_batch(p, msg, lens, n, &sent);
            REQUIRE(st == INDEXBUS_OK || st == INDEXBUS_FULL);
            REQUIRE(st == INDEXBUS_FULL || sent == n);
            REQUIRE(sent <= n);
            seq += (uint32_t)sent;
            if (st == INDEXBUS_FULL)
                sched_yield();
        } else {
            mp_fill(msg, 1, seq, msg_len(seq));
            if (!mp_publish_ok(p, msg, msg_len(seq), "publish", seq))
                return 1;
            seq++;
        }
    }
    REQUIRE_OK(indexbus_producer_close(p));
    REQUIRE_OK(indexbus_producer_close(keeper)); /* NULL unless V_HANDOFF's B */
    indexbus_region_close(r);
    return 0;
}

static int consumer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, 0, &r);
    uint8_t buf[BATCH * DATA + 8];
    uint32_t seq = 0;
    int st;
    while (seq < N) {
        if (g_variant == V_ZERO_COPY) {
            const void *data;
            size_t len;
            st = indexbus_wait(c, MP_HANG_NS);
            if (st != INDEXBUS_OK) {
                fprintf(stderr, "wait at seq %u: %s\n", seq, indexbus_status_name(st));
                return 1;
            }
            REQUIRE_OK(indexbus_recv_begin(c, &data, &len));
            if (!mp_check_fill(data, len, 1, seq, msg_len(seq)))
                return 1;
            REQUIRE_OK(indexbus_recv_end(c));
            seq++;
        } else if (g_variant == V_BATCH) {
            uint32_t lens[BATCH];
            size_t count = 0, off = 0;
            st = indexbus_wait(c, MP_HANG_NS);
            if (st != INDEXBUS_OK) {
                fprintf(stderr, "wait at seq %u: %s\n", seq, indexbus_status_name(st));
                return 1;
            }
            REQUIRE_OK(indexbus_recv_batch(c, buf, sizeof buf, lens, BATCH, &count));
            REQUIRE(count >= 1 && count <= BATCH);
            for (size_t i = 0; i < count; i++, seq++) {
                if (!mp_check_fill(buf + off, lens[i], 1, seq, msg_len(seq)))
                    return 1;
                off += lens[i];
            }
        } else {
            size_t len = 0;
            /* poison so a short copy cannot pass by accident */
            memset(buf, 0xa5, DATA + 8);
            st = indexbus_recv(c, buf, DATA, &len, MP_HANG_NS);
            if (st != INDEXBUS_OK) {
                fprintf(stderr, "recv at seq %u: %s\n", seq, indexbus_status_name(st));
                return 1;
            }
            if (!mp_check_fill(buf, len, 1, seq, msg_len(seq)))
                return 1;
            CHECK(buf[len] == 0xa5); /* nothing written past len */
            seq++;
        }
    }
    size_t len = 0;
    /* producer closed after the last message: DISCONNECTED, never more data */
    CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_DISCONNECTED);
    mp_close_consumer(r, c);
    return 0;
}

static void run_variant(int variant)
{
    static const char *tags[V_COUNT] = {"sb-spsc", "sb-mpsc", "sb-zc", "sb-batch", "sb-hand"};
    g_variant = variant;
    g_name = ib_test_name(tags[variant]);
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_EVENTS, SLOTS, DATA, 0, 0);
    pid_t pids[3];
    int n = 0;
    pids[n++] = ib_spawn(consumer, 0);
    pids[n++] = ib_spawn(producer, 0);
    if (variant == V_HANDOFF)
        pids[n++] = ib_spawn(producer, 1);
    if (mp_join_all(pids, n)) {
        fprintf(stderr, "variant %s failed\n", tags[variant]);
        ib_test_failures++;
    }
    indexbus_info info = mp_info(r);
    CHECK(info.published == N);
    CHECK(info.free_slots == SLOTS);
    CHECK(info.producers_live == 0 && info.consumers_live == 0);
    CHECK(info.spsc_depth == 0 && info.mpsc_depth == 0);
    indexbus_consumer_stats cs = mp_cstats(r, 0);
    CHECK(cs.delivered == N);
    CHECK(cs.depth == 0 && cs.attached == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(producer),
    IB_HELPER(consumer),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    for (int v = 0; v < V_COUNT; v++)
        run_variant(v);
    return ib_test_done("spsc-bytes");
}
