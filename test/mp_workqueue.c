/* mp_workqueue.c - fanout work-queue across processes: producer process(es),
 * a router process (indexbus_router_run, WORK_QUEUE, EXIT_ON_DISCONNECT) and
 * 4 consumer processes. Each consumer marks what it got in a shared table;
 * the parent checks every message was received exactly once in total, that
 * the per-consumer counts add up to N and match the delivered counters, and
 * that each consumer saw each sender's messages in increasing order.
 *
 * Round A: queue_capacity == slot_count, so no consumer queue can ever be
 * full and round robin is exact: message k goes to consumer k % 4.
 * Round B: small consumer queues (8) and a slow consumer, one SPSC and one
 * MPSC producer: full queues are skipped, still exactly once in total. */
#include "mp_util.h"

#define N 40000u
#define CONSUMERS 4u
#define SLOTS 256u

static const char *g_name;
static int g_round;             /* 0 = A, 1 = B */
static uint8_t (*g_hits)[N];    /* [consumer][seq], shared */
static mp_ctl *g_ctl;

static uint32_t producers(void) { return g_round == 0 ? 1 : 2; }

static int producer(int id)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, id == 0 ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC,
                                      &p));
    mp_wait_consumers_ready(&g_ctl->counter[1], CONSUMERS);
    /* no producer may finish before all have attached (router and consumers
     * would see "every producer closed") */
    mp_barrier(&g_ctl->counter[0], producers());
    uint32_t per = N / producers();
    for (uint32_t seq = id * per; seq < (uint32_t)(id + 1) * per; seq++) {
        mp_rec rec = {.sender = (uint32_t)id, .seq = seq};
        int st = mp_publish(p, &rec, sizeof rec);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "producer %d publish %u: %s\n", id, seq, indexbus_status_name(st));
            return 1;
        }
    }
    REQUIRE_OK(indexbus_producer_close(p));
    indexbus_region_close(r);
    return 0;
}

static int router(int arg)
{
    (void)arg;
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_router *rt;
    REQUIRE_OK(indexbus_router_open(r, &rt));
    indexbus_router_loop_config lc = {.size = sizeof lc,
                                      .source = INDEXBUS_SOURCE_ANY,
                                      .mode = INDEXBUS_MODE_WORK_QUEUE,
                                      .flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT};
    CHECK_ST(indexbus_router_run(rt, &lc), INDEXBUS_DISCONNECTED);
    CHECK(lc.routed == N);
    REQUIRE_OK(indexbus_router_close(rt));
    indexbus_region_close(r);
    return 0;
}

static int consumer(int index)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, (uint32_t)index, &c));
    mp_consumer_ready(&g_ctl->counter[1]);
    int64_t last[2] = {-1, -1};
    uint64_t got = 0;
    for (;;) {
        mp_rec rec;
        size_t len = 0;
        int st = indexbus_recv(c, &rec, sizeof rec, &len, MP_HANG_NS);
        if (st == INDEXBUS_DISCONNECTED)
            break;
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "consumer %d recv: %s\n", index, indexbus_status_name(st));
            return 1;
        }
        if (len != sizeof rec || rec.sender >= producers() || rec.seq >= N ||
            (int64_t)rec.seq <= last[rec.sender]) {
            fprintf(stderr, "consumer %d: bad record len %zu sender %u seq %u (last %lld)\n",
                    index, len, rec.sender, rec.seq,
                    rec.sender < 2 ? (long long)last[rec.sender] : -1LL);
            return 1;
        }
        last[rec.sender] = rec.seq;
        g_hits[index][rec.seq]++;
        got++;
        if (g_round == 1 && index == 0)
            sched_yield(); /* a slow worker: its small queue fills up */
    }
    g_ctl->data[index] = got;
    REQUIRE_OK(indexbus_consumer_close(c));
    indexbus_region_close(r);
    return 0;
}

static void run_round(int round)
{
    g_round = round;
    g_name = ib_test_name(round == 0 ? "wq-a" : "wq-b");
    g_ctl = mp_ctl_new();
    g_hits = mp_shared(sizeof(uint8_t[CONSUMERS][N]));
    indexbus_region *r =
        mp_create(g_name, INDEXBUS_KIND_FANOUT, SLOTS, 64, round == 0 ? SLOTS : 8, CONSUMERS);
    pid_t pids[CONSUMERS + 3];
    int n = 0;
    for (uint32_t i = 0; i < CONSUMERS; i++)
        pids[n++] = ib_spawn(consumer, (int)i);
    pids[n++] = ib_spawn(router, 0);
    for (uint32_t i = 0; i < producers(); i++)
        pids[n++] = ib_spawn(producer, (int)i);
    if (mp_join_all(pids, n)) {
        fprintf(stderr, "round %c: a child failed\n", 'A' + round);
        ib_test_failures++;
    }

    uint64_t total = 0;
    uint32_t bad = 0;
    for (uint32_t seq = 0; seq < N; seq++) {
        uint32_t sum = 0;
        for (uint32_t i = 0; i < CONSUMERS; i++)
            sum += g_hits[i][seq];
        if (sum != 1 && bad++ < 5)
            fprintf(stderr, "round %c: message %u received %u times\n", 'A' + round, seq, sum);
        /* round A: exact round robin */
        if (round == 0 && g_hits[seq % CONSUMERS][seq] != 1 && bad++ < 5)
            fprintf(stderr, "round A: message %u not at consumer %u\n", seq, seq % CONSUMERS);
    }
    CHECK(bad == 0);
    for (uint32_t i = 0; i < CONSUMERS; i++) {
        indexbus_consumer_stats s = mp_cstats(r, i);
        total += g_ctl->data[i];
        CHECK(s.delivered == g_ctl->data[i]);
        CHECK(s.dropped_full == 0 && s.dropped_no_credit == 0 && s.depth == 0);
        if (round == 0)
            CHECK(g_ctl->data[i] == N / CONSUMERS);
    }
    CHECK(total == N);
    indexbus_info info = mp_info(r);
    CHECK(info.published == N && info.routed == N);
    CHECK(info.free_slots == SLOTS);
    if (round == 0)
        CHECK(info.route_no_space == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
    mp_unshare(g_hits, sizeof(uint8_t[CONSUMERS][N]));
    mp_unshare(g_ctl, sizeof *g_ctl);
}

int main(void)
{
    mp_guard();
    run_round(0);
    run_round(1);
    return ib_test_done("mp_workqueue");
}
