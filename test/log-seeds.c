/* log-seeds.c - the tests of the seeds this kind grew from, against the C
 * API, with senders and receivers as separate processes.
 * Seed 001 (the MPSC byte log): basic round trip, cloned senders, 4 x 100
 * records from 4 senders, disconnect from either side, a 50 ms receive
 * timeout, zero-length sends, and 4 x 10,000 records through 64 KiB with
 * FIFO order per sender. Seed 002 (the SPSC claim/publish ring): blocking
 * send and claim when full, the in-place batch claim published with one
 * store, and the free-space query. */
#include "mp_util.h"

#define KIB 1024u

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

/* seed 001 basic_send_recv: claim exactly len, fill, commit; recv gets it. */
static void basic_send_recv(void)
{
    const char *name = ib_test_name("seed-basic");
    indexbus_region *r = mp_create_log(name, 1 * KIB * 4, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    void *buf;
    CHECK_ST(indexbus_claim_len(p, 11, &buf), INDEXBUS_OK);
    memcpy(buf, "hello world", 11);
    CHECK_ST(indexbus_commit(p, 11), INDEXBUS_OK);
    char out[32];
    size_t len = 0;
    CHECK_ST(indexbus_recv(c, out, sizeof out, &len, MP_HANG_NS), INDEXBUS_OK);
    CHECK(len == 11 && memcmp(out, "hello world", 11) == 0);
    /* sender_is_clone: a second sender on the same log, in this process */
    indexbus_producer *p2;
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p2), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p2, "two", 3), INDEXBUS_OK);
    MP_EXPECT(c, "two");
    indexbus_producer_close(p2);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* A sender process: `per` records "id:i" (text, as the seed sends), or
 * 16-byte (id, seq) records when per > 1000; blocking sends. */
static int sender(int id)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    uint32_t per = (uint32_t)g_ctl->data[0];
    mp_barrier(&g_ctl->counter[0], (uint32_t)g_ctl->data[1]);
    for (uint32_t i = 0; i < per; i++) {
        uint8_t msg[32];
        size_t len;
        if (per > 1000) {
            uint64_t rec[2] = {(uint64_t)id, i};
            memcpy(msg, rec, 16);
            len = 16;
        } else {
            len = (size_t)snprintf((char *)msg, sizeof msg, "%d:%u", id, i);
        }
        int st = indexbus_publish_wait(p, msg, len, MP_HANG_NS);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "sender %d record %u: %s\n", id, i, indexbus_status_name(st));
            return 1;
        }
    }
    mp_close_producer(r, p);
    return 0;
}

/* seed 001 multiple_senders and stress_multiple_senders: every record
 * arrives once, in order per sender; the receiver ends on DISCONNECTED. */
static void senders(uint32_t n, uint32_t per, uint64_t bytes)
{
    g_name = ib_test_name("seed-senders");
    g_ctl = mp_ctl_new();
    g_ctl->data[0] = per;
    g_ctl->data[1] = n;
    indexbus_region *r = mp_create_log(g_name, bytes, 0);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    pid_t pids[8];
    for (uint32_t i = 0; i < n; i++)
        pids[i] = ib_spawn(sender, (int)i);
    MP_WAIT(mp_load(&g_ctl->counter[0]) >= n); /* all attached: no early DISCONNECTED */
    uint32_t next[8] = {0};
    uint64_t total = 0;
    for (;;) {
        uint8_t buf[64];
        size_t len = 0;
        int st = mp_recv_next(c, buf, sizeof buf, &len, "receiver");
        if (st != INDEXBUS_OK)
            break;
        uint32_t id, seq;
        if (per > 1000) {
            uint64_t rec[2];
            REQUIRE(len == 16);
            memcpy(rec, buf, 16);
            id = (uint32_t)rec[0];
            seq = (uint32_t)rec[1];
        } else {
            buf[len] = 0;
            REQUIRE(sscanf((char *)buf, "%u:%u", &id, &seq) == 2);
        }
        REQUIRE(id < n);
        if (seq != next[id])
            fprintf(stderr, "sender %u: got %u, want %u\n", id, seq, next[id]);
        CHECK(seq == next[id]);
        next[id] = seq + 1;
        total++;
    }
    CHECK(total == (uint64_t)n * per);
    for (uint32_t i = 0; i < n; i++)
        CHECK(next[i] == per);
    CHECK(mp_join_all(pids, (int)n) == 0);
    indexbus_info info = mp_info(r);
    CHECK(info.published == (uint64_t)n * per && info.records_waiting == 0);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* seed 001 disconnection_*: from either side, and zero-length sends. */
static void disconnects(void)
{
    const char *name = ib_test_name("seed-disc");
    indexbus_region *r = mp_create_log(name, 4 * KIB, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, NULL, 0), INDEXBUS_OK); /* zero-length: a record like any */
    indexbus_producer_close(p);
    size_t len = 9;
    uint8_t b[4];
    CHECK_ST(indexbus_recv(c, b, sizeof b, &len, MP_HANG_NS), INDEXBUS_OK);
    CHECK(len == 0);
    CHECK_ST(indexbus_recv(c, b, sizeof b, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    indexbus_consumer_close(c);
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    void *buf;
    CHECK_ST(indexbus_claim_len(p, 8, &buf), INDEXBUS_DISCONNECTED); /* the receiver is gone */
    CHECK_ST(indexbus_publish_wait(p, "x", 1, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* seed 001 recv_timeout_works: 50 ms, and not much less (no upper bound:
 * these machines are shared). */
static void recv_timeout(void)
{
    const char *name = ib_test_name("seed-timeout");
    indexbus_region *r = mp_create_log(name, 4 * KIB, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint8_t b[4];
    size_t len;
    uint64_t t0 = mp_now_ns();
    CHECK_ST(indexbus_recv(c, b, sizeof b, &len, 50000000ull), INDEXBUS_TIMEOUT);
    CHECK(mp_now_ns() - t0 >= 40000000ull);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* A reader process: after the parent's go (phase 1), read `n` records of
 * tag 40 and check them. */
static int slow_reader(int n)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, 0, &r);
    mp_child_done(g_ctl, 0);
    mp_child_phase(g_ctl, 1);
    for (int i = 0; i < n; i++) {
        uint8_t buf[256];
        size_t len = 0;
        if (mp_recv_next(c, buf, sizeof buf, &len, "reader") != INDEXBUS_OK)
            return 1;
        if (!mp_check_fill(buf, len, 40, (uint64_t)i, 200))
            return 1;
    }
    uint8_t b[256];
    size_t len;
    if (indexbus_try_recv(c, b, sizeof b, &len) != INDEXBUS_EMPTY) /* caught up: all given back */
        return 1;
    mp_child_done(g_ctl, 1);
    mp_child_phase(g_ctl, 2);
    mp_close_consumer(r, c);
    return 0;
}

/* seed 002 send/claim block while full: a full ring, a blocking publish
 * and a blocking claim that wait until a reader in another process frees
 * space; TIMEOUT when nobody does; a parked producer woken by the reader
 * leaving, with DISCONNECTED. Also on an events region (every kind). */
static void blocking(uint32_t kind)
{
    g_name = ib_test_name("seed-block");
    g_ctl = mp_ctl_new();
    indexbus_region *r = kind == INDEXBUS_KIND_LOG
                             ? mp_create_log(g_name, 4 * KIB, 0)
                             : mp_create(g_name, kind, 16, 256, 16, 1);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    pid_t reader = ib_spawn(slow_reader, 64);
    mp_phase_wait(g_ctl, 0, 1);
    uint8_t msg[200];
    uint32_t i = 0;
    for (;; i++) { /* fill it */
        mp_fill(msg, 40, i, 200);
        int st = indexbus_publish(p, msg, 200);
        if (st != INDEXBUS_OK) {
            CHECK_ST(st, INDEXBUS_FULL);
            break;
        }
    }
    CHECK(i == (kind == INDEXBUS_KIND_LOG ? 4 * KIB / 208 : 16));
    uint64_t space = 1;
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(kind == INDEXBUS_KIND_LOG ? space < 208 : space == 0);
    mp_fill(msg, 40, i, 200);
    CHECK_ST(indexbus_publish_wait(p, msg, 200, 20000000ull), INDEXBUS_TIMEOUT);
    mp_phase_start(g_ctl, 1); /* the reader drains; this publish and claim wait for it */
    CHECK_ST(indexbus_publish_wait(p, msg, 200, MP_HANG_NS), INDEXBUS_OK);
    for (i++; i < 64; i++) {
        void *buf;
        int st = indexbus_claim_wait(p, 200, &buf, MP_HANG_NS);
        CHECK_ST(st, INDEXBUS_OK);
        if (st != INDEXBUS_OK)
            break;
        mp_fill(buf, 40, i, 200);
        CHECK_ST(indexbus_commit(p, 200), INDEXBUS_OK);
    }
    mp_phase_wait(g_ctl, 1, 1);
    for (i = 0;; i++) { /* full again, and the reader leaves while we wait */
        int st = indexbus_publish(p, msg, 200);
        if (st != INDEXBUS_OK)
            break;
    }
    mp_phase_start(g_ctl, 2);
    CHECK_ST(indexbus_publish_wait(p, msg, 200, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK(ib_join(reader) == 0);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* seed 002 claim_batch / available_slots: a batch filled in place is
 * invisible until published with one store; the free space goes down by
 * each record's bytes and comes back once the reader has caught up. */
static void batch_and_space(void)
{
    const char *name = ib_test_name("seed-batch");
    indexbus_region *r = mp_create_log(name, 4 * KIB, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint64_t space = 0;
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 4 * KIB);
    uint32_t lens[8];
    void *bufs[8];
    for (int i = 0; i < 8; i++)
        lens[i] = (uint32_t)(i * 10); /* 0, 10, .., 70: 8 + 24 + .. bytes */
    CHECK_ST(indexbus_claim_batch(p, lens, 8, bufs), INDEXBUS_OK);
    uint64_t bytes = 0;
    for (int i = 0; i < 8; i++) {
        mp_fill(bufs[i], 41, (uint64_t)i, lens[i]);
        bytes += (8u + lens[i] + 7u) & ~7u;
    }
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 4 * KIB - bytes);
    uint8_t out[128];
    size_t len;
    CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_commit_batch(p, 8), INDEXBUS_OK);
    for (int i = 0; i < 8; i++) {
        CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_OK);
        CHECK(mp_check_fill(out, len, 41, (uint64_t)i, lens[i]));
    }
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 4 * KIB - bytes); /* read, not yet given back */
    CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_EMPTY); /* caught up */
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 4 * KIB);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

static const ib_helper helpers[] = {IB_HELPER(sender), IB_HELPER(slow_reader), {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    basic_send_recv();
    senders(4, 100, 4 * KIB);     /* multiple_senders */
    senders(4, 10000, 64 * KIB);  /* stress_multiple_senders */
    disconnects();
    recv_timeout();
    blocking(INDEXBUS_KIND_LOG);
    blocking(INDEXBUS_KIND_EVENTS);
    batch_and_space();
    return ib_test_done("log-seeds");
}
