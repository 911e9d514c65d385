/* mp_broadcast.c - fanout broadcast across processes: one producer process,
 * one router process (indexbus_router_run, EXIT_ON_DISCONNECT), 4 consumer
 * processes. The producer starts only once all 4 consumers are attached.
 * Every consumer receives every message exactly once, in order, with exact
 * bytes, then DISCONNECTED; the router returns DISCONNECTED having routed
 * all N; the parent checks delivered == N and dropped_full == 0 for each.
 * With queue_capacity == slot_count a consumer queue can never be full (it
 * only holds distinct live slots), so nothing may be dropped.
 * The consumers use the four receive styles: recv, try_recv polling,
 * recv_begin/end and recv_batch.
 *
 * Churn: the router serves attached consumers only, and a closing consumer
 * hands back what it left unread. Consumer 0 reads everything while a
 * process keeps opening and closing consumer 1 (reading a few messages each
 * time) under a running router. Consumer 0 still gets all N in order;
 * consumer 1 only ever sees increasing sequence numbers; and once everybody
 * has closed no slot may stay pinned: every slot is free, queue 1 is empty. */
#include "mp_util.h"

#define N 50000u
#define CHURN_N 150000u /* churn: enough open/close cycles to hit narrow races */

static uint32_t g_n = N; /* messages in the current part */
static mp_ctl *g_ctl;     /* counter[0]: consumers whose open returned */
#define CONSUMERS 4u
#define DATA 128u

static const char *g_name;

static size_t msg_len(uint32_t seq) { return seq % 5 == 0 ? DATA : (seq * 13u) % (DATA + 1); }

static int producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_SPSC, &r);
    /* every consumer attached before the first message */
    mp_wait_consumers_ready(&g_ctl->counter[0], CONSUMERS);
    /* a parked router acks the new consumers when woken, a moment after
     * their open returned (routing to them is already certain then) */
    MP_WAIT(mp_consumers_attached(r, CONSUMERS));
    CHECK(mp_info(r).consumers_live == CONSUMERS);
    uint8_t msg[DATA];
    for (uint32_t seq = 0; seq < N; seq++) {
        mp_fill(msg, 2, seq, msg_len(seq));
        if (!mp_publish_ok(p, msg, msg_len(seq), "publish", seq))
            return 1;
    }
    mp_close_producer(r, p);
    return 0;
}

static int router(int arg)
{
    (void)arg;
    return mp_router_run_to_disconnect(g_name, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, 0,
                                       g_n);
}

/* One receive in the consumer's style; returns the status. */
static int recv_one(indexbus_consumer *c, int style, uint8_t *buf, size_t *len)
{
    switch (style) {
    case 0:
        return indexbus_recv(c, buf, DATA, len, MP_HANG_NS);
    case 1: {
        uint64_t deadline = mp_now_ns() + MP_HANG_NS;
        for (;;) {
            int st = indexbus_try_recv(c, buf, DATA, len);
            if (st != INDEXBUS_EMPTY || mp_now_ns() > deadline)
                return st;
            sched_yield();
        }
    }
    default: {
        const void *data;
        int st = indexbus_wait(c, MP_HANG_NS);
        if (st != INDEXBUS_OK)
            return st;
        st = indexbus_recv_begin(c, &data, len);
        if (st != INDEXBUS_OK)
            return st;
        memcpy(buf, data, *len);
        return indexbus_recv_end(c);
    }
    }
}

static int consumer(int index)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)index, &r);
    mp_consumer_ready(&g_ctl->counter[0]);
    uint8_t buf[16 * DATA];
    uint32_t seq = 0;
    while (seq < N) {
        if (index == 3) { /* batch style */
            uint32_t lens[16];
            size_t count = 0, off = 0;
            int st = indexbus_wait(c, MP_HANG_NS);
            if (st != INDEXBUS_OK) {
                fprintf(stderr, "consumer %d wait at %u: %s\n", index, seq,
                        indexbus_status_name(st));
                return 1;
            }
            REQUIRE_OK(indexbus_recv_batch(c, buf, sizeof buf, lens, 16, &count));
            for (size_t i = 0; i < count; i++, seq++) {
                if (seq >= N || !mp_check_fill(buf + off, lens[i], 2, seq, msg_len(seq))) {
                    fprintf(stderr, "consumer %d: bad message at %u\n", index, seq);
                    return 1;
                }
                off += lens[i];
            }
            continue;
        }
        size_t len = 0;
        int st = recv_one(c, index, buf, &len);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "consumer %d recv at %u: %s\n", index, seq, indexbus_status_name(st));
            return 1;
        }
        if (!mp_check_fill(buf, len, 2, seq, msg_len(seq))) {
            fprintf(stderr, "consumer %d: bad message at %u\n", index, seq);
            return 1;
        }
        seq++;
    }
    size_t len;
    CHECK_ST(indexbus_recv(c, buf, DATA, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    mp_close_consumer(r, c);
    return 0;
}

/* ---- churn ------------------------------------------------------------------ */

static int churn_producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_SPSC, &r);
    mp_wait_consumers_ready(&g_ctl->counter[0], 1); /* consumer 0 */
    for (uint32_t seq = 0; seq < g_n; seq++) {
        mp_rec rec = {.sender = 0, .seq = seq};
        REQUIRE_OK(mp_publish(p, &rec, sizeof rec));
    }
    mp_close_producer(r, p);
    return 0;
}

static int churn_consumer(int index)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_consumer *c = NULL;
    int64_t last = -1;
    uint32_t leftovers = 0;
    uint64_t deadline = mp_now_ns() + MP_HANG_NS;
    for (uint32_t cycle = 0;; cycle++) {
        int st = INDEXBUS_OK;
        if (c == NULL) {
            REQUIRE_OK(indexbus_consumer_open(r, (uint32_t)index, &c));
            if (index == 0)
                mp_consumer_ready(&g_ctl->counter[0]);
        }
        /* consumer 0 reads everything with recv; consumer 1 a few, then leaves */
        for (uint32_t k = 0; index == 0 || k < cycle % 7; k++) {
            mp_rec rec;
            size_t len = 0;
            st = index == 0 ? indexbus_recv(c, &rec, sizeof rec, &len, MP_HANG_NS)
                            : indexbus_try_recv(c, &rec, sizeof rec, &len);
            if (st != INDEXBUS_OK)
                break;
            int ok = len == sizeof rec && (index == 0 ? (int64_t)rec.seq == last + 1
                                                      : (int64_t)rec.seq > last);
            if (!ok) {
                fprintf(stderr, "churn consumer %d: seq %u after %lld\n", index, rec.seq,
                        (long long)last);
                return 1;
            }
            last = rec.seq;
        }
        if (index == 1 || st == INDEXBUS_DISCONNECTED) {
            REQUIRE_OK(indexbus_consumer_close(c));
            c = NULL;
        }
        if (index == 1) {
            /* closed: nothing may land in queue 1 any more. Let any route
             * that was in flight finish (routed moves on, or the sources are
             * empty - a route takes its message off the source last). */
            uint64_t routed0 = mp_info(r).routed;
            MP_WAIT(mp_info(r).routed > routed0 ||
                    (mp_info(r).spsc_depth == 0 && mp_info(r).mpsc_depth == 0));
            uint64_t left = mp_cstats(r, 1).depth;
            if (left != 0 && leftovers++ < 3)
                fprintf(stderr, "churn: %llu message(s) routed into consumer 1's queue after "
                                "it closed (cycle %u)\n",
                        (unsigned long long)left, cycle);
        }
        if (st == INDEXBUS_DISCONNECTED)
            break;
        if (st != INDEXBUS_OK && st != INDEXBUS_EMPTY) {
            fprintf(stderr, "churn consumer %d: %s\n", index, indexbus_status_name(st));
            return 1;
        }
        REQUIRE(mp_now_ns() < deadline);
    }
    if (index == 0)
        CHECK(last == (int64_t)g_n - 1);
    CHECK(leftovers == 0);
    indexbus_region_close(r);
    return 0;
}

static void run_churn(void)
{
    g_n = CHURN_N;
    g_name = ib_test_name("bcast-churn");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 256, DATA, 0, 2);
    pid_t pids[4] = {ib_spawn(churn_consumer, 0), ib_spawn(churn_consumer, 1),
                     ib_spawn(router, 0), ib_spawn(churn_producer, 0)};
    if (mp_join_all(pids, 4))
        ib_test_failures++;
    indexbus_info info = mp_info(r);
    CHECK(info.published == g_n && info.routed == g_n);
    if (info.free_slots != 256 || mp_cstats(r, 1).depth != 0) {
        fprintf(stderr, "churn: %u of 256 slots free, %llu messages left in queue 1 after "
                        "everyone closed\n",
                info.free_slots, (unsigned long long)mp_cstats(r, 1).depth);
        ib_test_failures++;
    }
    MP_CHECK_CSTATS(r, 0, g_n, 0, 0, 0);
    CHECK(info.consumers_live == 0 && info.participants_live == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
    mp_unshare(g_ctl, sizeof *g_ctl);
}

static void run_steady(void)
{
    g_n = N;
    g_name = ib_test_name("bcast");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 256, DATA, 0, CONSUMERS);
    pid_t pids[CONSUMERS + 2];
    for (uint32_t i = 0; i < CONSUMERS; i++)
        pids[i] = ib_spawn(consumer, (int)i);
    pids[CONSUMERS] = ib_spawn(router, 0);
    pids[CONSUMERS + 1] = ib_spawn(producer, 0);
    if (mp_join_all(pids, CONSUMERS + 2))
        ib_test_failures++;

    for (uint32_t i = 0; i < CONSUMERS; i++) {
        indexbus_consumer_stats s = mp_cstats(r, i);
        if (s.delivered != N || s.dropped_full != 0 || s.dropped_no_credit != 0 || s.depth != 0 ||
            s.attached != 0) {
            fprintf(stderr, "consumer %u: delivered %llu dropped_full %llu no_credit %llu depth %llu\n",
                    i, (unsigned long long)s.delivered, (unsigned long long)s.dropped_full,
                    (unsigned long long)s.dropped_no_credit, (unsigned long long)s.depth);
            ib_test_failures++;
        }
    }
    indexbus_info info = mp_info(r);
    CHECK(info.published == N);
    CHECK(info.routed == N);
    CHECK(info.route_no_space == 0); /* no consumer queue can fill (see top) */
    CHECK(info.free_slots == 256);
    CHECK(info.producers_live == 0 && info.consumers_live == 0 && info.routers_live == 0);
    CHECK(info.participants_live == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
    mp_unshare(g_ctl, sizeof *g_ctl);
}

int main(void)
{
    mp_guard();
    run_steady();
    run_churn();
    return ib_test_done("mp_broadcast");
}
