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
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(
        g_name, id == 0 ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC, &r);
    mp_wait_consumers_ready(&g_ctl->counter[1], CONSUMERS);
    /* no producer may finish before all have attached (router and consumers
     * would see "every producer closed") */
    mp_barrier(&g_ctl->counter[0], producers());
    uint32_t per = N / producers();
    char what[32];
    snprintf(what, sizeof what, "producer %d publish", id);
    if (!mp_publish_recs(p, (uint32_t)id, id * per, (uint32_t)(id + 1) * per, what))
        return 1;
    mp_close_producer(r, p);
    return 0;
}

static int router(int arg)
{
    (void)arg;
    return mp_router_run_to_disconnect(g_name, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_WORK_QUEUE, 0,
                                       N);
}

static int consumer(int index)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)index, &r);
    mp_consumer_ready(&g_ctl->counter[1]);
    char who[32];
    snprintf(who, sizeof who, "consumer %d", index);
    int64_t last[2] = {-1, -1};
    uint64_t got = 0;
    mp_rec rec;
    size_t len;
    int st;
    while ((st = mp_recv_next(c, &rec, sizeof rec, &len, who)) == INDEXBUS_OK) {
        if (len != sizeof rec || rec.sender >= producers() || rec.seq >= N ||
            (int64_t)rec.seq <= last[rec.sender]) {
            fprintf(stderr, "%s: bad record len %zu sender %u seq %u (last %lld)\n", who, len,
                    rec.sender, rec.seq, rec.sender < 2 ? (long long)last[rec.sender] : -1LL);
            return 1;
        }
        last[rec.sender] = rec.seq;
        g_hits[index][rec.seq]++;
        got++;
        if (g_round == 1 && index == 0)
            sched_yield(); /* a slow worker: its small queue fills up */
    }
    if (st != INDEXBUS_DISCONNECTED)
        return 1;
    g_ctl->data[index] = got;
    mp_close_consumer(r, c);
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
