/* order.c - per-sender order holds with 4 sender processes x 10000
 * messages:
 *   A: events region, 4 MPSC senders -> 1 consumer: each sender's messages
 *      arrive complete and in order (interleaving between senders is free);
 *   B: fanout, 4 MPSC senders -> router process (broadcast) -> 2 consumers:
 *      both see every sender's messages complete and in order;
 *   C: fanout, 1 SPSC + 3 MPSC senders -> router (SOURCE_ANY, work-queue,
 *      small queues) -> 3 consumers: per consumer each sender's messages are
 *      increasing, and together every message arrives exactly once.
 * All senders attach before any publishes (so nobody sees "every producer
 * closed" early); consumers end on DISCONNECTED.
 *
 * Seed scenario (was seed_order.c).
 * "Seed" scenarios came from the seed documents the project started from:
 * each is a scenario written down there, kept as a scripted test.
 */
#include "mp_util.h"

#define SENDERS 4u
#define PER 10000u
#define MAXC 3u

enum { PART_A, PART_B, PART_C };

/* IB_SHARED: handed to the helper processes (harness.h) */
IB_SHARED static const char *g_name;
IB_SHARED static int g_part;
IB_SHARED static mp_ctl *g_ctl; /* counter[0]: senders attached; data[i]: consumer i's count */
IB_SHARED static uint8_t (*g_hits)[SENDERS * PER]; /* part C: [consumer][sender * PER + seq] */

static uint32_t consumers(void) { return g_part == PART_A ? 1 : g_part == PART_B ? 2 : MAXC; }

static int sender(int id)
{
    uint32_t type = g_part == PART_C && id == 0 ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, type, &r);
    /* the router serves attached consumers only: start once all are there */
    if (g_part != PART_A)
        mp_wait_consumers_ready(&g_ctl->counter[1], consumers());
    mp_barrier(&g_ctl->counter[0], SENDERS);
    char what[32];
    snprintf(what, sizeof what, "sender %d seq", id);
    if (!mp_publish_recs(p, (uint32_t)id, 0, PER, what))
        return 1;
    mp_close_producer(r, p);
    return 0;
}

static int router(int arg)
{
    (void)arg;
    return mp_router_run_to_disconnect(
        g_name, INDEXBUS_SOURCE_ANY,
        g_part == PART_B ? INDEXBUS_MODE_BROADCAST : INDEXBUS_MODE_WORK_QUEUE, 0, SENDERS * PER);
}

static int consumer(int idx)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)idx, &r);
    mp_consumer_ready(&g_ctl->counter[1]);
    char who[32];
    snprintf(who, sizeof who, "part %c consumer %d", 'A' + g_part, idx);
    int64_t last[SENDERS] = {-1, -1, -1, -1};
    uint64_t n = 0;
    mp_rec rec;
    size_t len;
    int st;
    while ((st = mp_recv_next(c, &rec, sizeof rec, &len, who)) == INDEXBUS_OK) {
        int ok = len == sizeof rec && rec.sender < SENDERS && rec.seq < PER;
        /* A, B: the very next one; C: any later one (others took the gaps) */
        if (ok)
            ok = g_part == PART_C ? (int64_t)rec.seq > last[rec.sender]
                                  : (int64_t)rec.seq == last[rec.sender] + 1;
        if (!ok) {
            fprintf(stderr, "%s: got sender %u seq %u after %lld\n", who, rec.sender, rec.seq,
                    rec.sender < SENDERS ? (long long)last[rec.sender] : -2LL);
            return 1;
        }
        last[rec.sender] = rec.seq;
        if (g_part == PART_C)
            g_hits[idx][rec.sender * PER + rec.seq]++;
        n++;
    }
    if (st != INDEXBUS_DISCONNECTED)
        return 1;
    if (g_part != PART_C)
        for (uint32_t s = 0; s < SENDERS; s++)
            CHECK(last[s] == PER - 1);
    g_ctl->data[idx] = n;
    mp_close_consumer(r, c);
    return 0;
}

static void run_part(int part)
{
    static const char *tags[] = {"ord-a", "ord-b", "ord-c"};
    g_part = part;
    g_name = ib_test_name(tags[part]);
    g_ctl = mp_ctl_new();
    g_hits = mp_shared(sizeof(uint8_t[MAXC][SENDERS * PER]));
    indexbus_region *r =
        part == PART_A   ? mp_create(g_name, INDEXBUS_KIND_EVENTS, 256, 64, 0, 0)
        : part == PART_B ? mp_create(g_name, INDEXBUS_KIND_FANOUT, 256, 64, 0, 2)
                         : mp_create(g_name, INDEXBUS_KIND_FANOUT, 256, 64, 16, MAXC);
    pid_t pids[SENDERS + MAXC + 1];
    int n = 0;
    for (uint32_t i = 0; i < consumers(); i++)
        pids[n++] = ib_spawn(consumer, (int)i);
    if (part != PART_A)
        pids[n++] = ib_spawn(router, 0);
    for (uint32_t i = 0; i < SENDERS; i++)
        pids[n++] = ib_spawn(sender, (int)i);
    if (mp_join_all(pids, n)) {
        fprintf(stderr, "part %c: a child failed\n", 'A' + part);
        ib_test_failures++;
    }
    uint64_t total = 0;
    for (uint32_t i = 0; i < consumers(); i++) {
        total += g_ctl->data[i];
        CHECK(mp_cstats(r, i).delivered == g_ctl->data[i]);
        CHECK(mp_cstats(r, i).dropped_full == 0);
    }
    CHECK(total == (part == PART_B ? 2ull : 1ull) * SENDERS * PER);
    if (part == PART_C) {
        uint32_t bad = 0;
        for (uint32_t m = 0; m < SENDERS * PER; m++) {
            uint32_t sum = 0;
            for (uint32_t i = 0; i < MAXC; i++)
                sum += g_hits[i][m];
            if (sum != 1 && bad++ < 5)
                fprintf(stderr, "part C: sender %u seq %u received %u times\n", m / PER, m % PER,
                        sum);
        }
        CHECK(bad == 0);
    }
    indexbus_info info = mp_info(r);
    CHECK(info.published == SENDERS * PER);
    CHECK(info.free_slots == 256);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(consumer),
    IB_HELPER(router),
    IB_HELPER(sender),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    run_part(PART_A);
    run_part(PART_B);
    run_part(PART_C);
    return ib_test_done("order");
}
