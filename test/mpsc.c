/* mpsc.c - events region, 4 MPSC producer processes x 100000 messages,
 * one consumer process: per-producer order preserved, nothing lost, nothing
 * duplicated, payload = (producer id, seq) plus bytes derived from both.
 * Producers 0 and 1 publish one message at a time, 2 and 3 with
 * publish_batch of 1 to 70 messages (slots taken from the pool several at
 * a time, a batch cut short by a full queue or pool). All producers attach
 * before any publishes, so the consumer cannot see "every producer closed"
 * early; it ends on DISCONNECTED. Then the kill case: MPSC producers
 * SIGKILLed while publishing batches into a small region (queue smaller
 * than the pool), a consumer draining meanwhile: each victim's messages
 * arrive as an exact prefix of what it published, bytes intact, the
 * queue passes its skipped cells, and every slot comes back. Last, the
 * same batches from threads of one process, for TSan. The kill and thread
 * cases run again in a region with batch reservation (layout 1.3,
 * LAYOUT.md 5.4.1; test/mpsc-batch.c has its exact cases). */
#include <pthread.h>

#include "mp_util.h"

#define PRODUCERS 4u
#define PER 100000u
#define DATA 64u

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

static size_t msg_len(uint32_t seq) { return sizeof(mp_rec) + seq % (DATA - sizeof(mp_rec) + 1); }

/* publish_batch of seq..seq+n-1; FULL (queue or pool) publishes a part
 * and the rest is tried again */
static int publish_batch_recs(indexbus_producer *p, uint32_t id, uint32_t seq, uint32_t n,
                              uint32_t *committed)
{
    uint8_t buf[70 * DATA]; /* on the stack: the thread case calls this from several threads */
    uint32_t lens[70];
    size_t off = 0;
    for (uint32_t i = 0; i < n; i++) {
        lens[i] = (uint32_t)msg_len(seq + i);
        mp_rec rec = {.sender = id, .seq = seq + i};
        memcpy(buf + off, &rec, sizeof rec);
        mp_fill(buf + off + sizeof rec, (uint64_t)id + 10, seq + i, lens[i] - sizeof rec);
        off += lens[i];
    }
    uint64_t deadline = mp_now_ns() + MP_HANG_NS;
    for (uint32_t done = 0; done < n;) {
        size_t k = 99;
        const uint8_t *src = buf;
        for (uint32_t i = 0; i < done; i++)
            src += lens[i];
        int st = indexbus_publish_batch(p, src, lens + done, n - done, &k);
        if (k > n - done || (st == INDEXBUS_OK && k != n - done)) {
            fprintf(stderr, "publish_batch: %zu of %u published, %s\n", k, n - done,
                    indexbus_status_name(st));
            return 0;
        }
        done += (uint32_t)k;
        if (committed != NULL)
            mp_store(committed, seq + done);
        if (st != INDEXBUS_OK && st != INDEXBUS_FULL) {
            fprintf(stderr, "publish_batch %u: %s\n", seq + done, indexbus_status_name(st));
            return 0;
        }
        if (st == INDEXBUS_FULL) {
            if (mp_now_ns() > deadline)
                return 0;
            sched_yield();
        }
    }
    return 1;
}

static int producer(int id)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    mp_barrier(&g_ctl->counter[0], PRODUCERS);
    char what[32];
    snprintf(what, sizeof what, "producer %d publish", id);
    uint8_t msg[DATA];
    for (uint32_t seq = 0, n; id >= 2 && seq < PER; seq += n) {
        n = 1 + (seq * 7u + (uint32_t)id) % 70u;
        n = n < PER - seq ? n : PER - seq;
        if (!publish_batch_recs(p, (uint32_t)id, seq, n, NULL))
            return 1;
    }
    for (uint32_t seq = 0; id < 2 && seq < PER; seq++) {
        size_t len = msg_len(seq);
        mp_rec rec = {.sender = (uint32_t)id, .seq = seq};
        memcpy(msg, &rec, sizeof rec);
        mp_fill(msg + sizeof rec, (uint64_t)id + 10, seq, len - sizeof rec);
        if (!mp_publish_ok(p, msg, len, what, seq))
            return 1;
    }
    mp_close_producer(r, p);
    return 0;
}

static int consumer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, 0, &r);
    uint32_t next[PRODUCERS] = {0};
    uint64_t total = 0;
    uint8_t buf[DATA];
    for (;;) {
        size_t len = 0;
        int st = indexbus_recv(c, buf, sizeof buf, &len, MP_HANG_NS);
        if (st == INDEXBUS_DISCONNECTED)
            break;
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "recv after %llu: %s\n", (unsigned long long)total,
                    indexbus_status_name(st));
            return 1;
        }
        mp_rec rec;
        REQUIRE(len >= sizeof rec);
        memcpy(&rec, buf, sizeof rec);
        if (rec.sender >= PRODUCERS || rec.seq != next[rec.sender]) {
            fprintf(stderr, "got sender %u seq %u, want seq %u\n", rec.sender, rec.seq,
                    rec.sender < PRODUCERS ? next[rec.sender] : 0);
            return 1;
        }
        if (!mp_check_fill(buf + sizeof rec, len - sizeof rec, (uint64_t)rec.sender + 10, rec.seq,
                           msg_len(rec.seq) - sizeof rec))
            return 1;
        next[rec.sender]++;
        total++;
    }
    for (uint32_t i = 0; i < PRODUCERS; i++)
        if (next[i] != PER) {
            fprintf(stderr, "producer %u: got %u of %u\n", i, next[i], PER);
            ib_test_failures++;
        }
    CHECK(total == (uint64_t)PRODUCERS * PER);
    mp_close_consumer(r, c);
    return 0;
}

/* ---- producers killed in the middle of batches ---------------------------- */

#define VICTIMS 24u
#define KSLOTS 64u
#define KQUEUE 16u

IB_SHARED static const char *g_kname;

/* Publish batches of 1..40 until killed; counter[1 + id % 8] holds the
 * sequence published so far (a lower bound of what arrives), counter[9]
 * says the first batch is out. */
static int victim(int id)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_kname, INDEXBUS_PRODUCER_MPSC, &r);
    uint32_t *committed = &g_ctl->counter[1 + id % 8];
    for (uint32_t seq = 0, n;; seq += n) {
        n = 1 + (seq * 13u + (uint32_t)id) % 40u;
        if (!publish_batch_recs(p, (uint32_t)id, seq, n, committed))
            return 1;
        mp_store(&g_ctl->counter[9], 1);
    }
}

/* Drain what is there; each message must be the next of its sender. */
static int drain(indexbus_consumer *c, uint32_t *next, uint64_t *total)
{
    uint8_t buf[DATA];
    size_t len = 0;
    int st;
    while ((st = indexbus_try_recv(c, buf, sizeof buf, &len)) == INDEXBUS_OK) {
        mp_rec rec;
        REQUIRE(len >= sizeof rec);
        memcpy(&rec, buf, sizeof rec);
        if (rec.sender > VICTIMS || rec.seq != next[rec.sender] ||
            !mp_check_fill(buf + sizeof rec, len - sizeof rec, (uint64_t)rec.sender + 10, rec.seq,
                           msg_len(rec.seq) - sizeof rec)) {
            fprintf(stderr, "kill: got sender %u seq %u, want %u\n", rec.sender, rec.seq,
                    rec.sender <= VICTIMS ? next[rec.sender] : 0);
            return 0;
        }
        next[rec.sender]++;
        (*total)++;
    }
    /* DISCONNECTED: between a victim's recovery and the next one's attach */
    if (st != INDEXBUS_EMPTY && st != INDEXBUS_DISCONNECTED)
        fprintf(stderr, "kill: try_recv: %s\n", indexbus_status_name(st));
    return st == INDEXBUS_EMPTY || st == INDEXBUS_DISCONNECTED;
}

/* mp_create's geometry, with create flags (INDEXBUS_CREATE_MPSC_BATCH). */
static indexbus_region *create_flags(const char *name, uint32_t slots, uint32_t queue,
                                     uint32_t flags)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    cfg.slot_count = slots;
    cfg.slot_data_size = DATA;
    cfg.queue_capacity = queue;
    cfg.flags = flags;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    return r;
}

static void kill_case(uint32_t flags)
{
    g_kname = ib_test_name("mpsc-kill");
    indexbus_region *r = create_flags(g_kname, KSLOTS, KQUEUE, flags);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint32_t next[VICTIMS + 1] = {0};
    uint64_t total = 0, skipped = 0;
    for (uint32_t v = 0; v < VICTIMS; v++) {
        mp_store(&g_ctl->counter[9], 0);
        pid_t pid = ib_spawn(victim, (int)v);
        /* vary where the kill lands: drain for 0.2..5 ms after the first batch */
        uint64_t hang = mp_now_ns() + MP_HANG_NS;
        while (mp_load(&g_ctl->counter[9]) == 0 && mp_now_ns() < hang)
            REQUIRE(drain(c, next, &total)); /* the first batch may need room */
        uint64_t until = mp_now_ns() + 200000u + (uint64_t)(mp_mix(v) % 4800000u);
        while (mp_now_ns() < until)
            REQUIRE(drain(c, next, &total));
        CHECK(ib_kill(pid) == SIGKILL);
        indexbus_recover_report rep = {.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
        /* one cell, or with batch reservation (5.4.1) at most a queue's worth */
        CHECK(rep.dead == 1 && rep.cells_skipped <= (flags ? KQUEUE : 1u));
        skipped += rep.cells_skipped;
        REQUIRE(drain(c, next, &total));
        /* an exact prefix: at least what publish_batch returned, at most the batch it was in */
        uint32_t committed = mp_load(&g_ctl->counter[1 + v % 8]);
        CHECK(next[v] >= committed && next[v] <= committed + 40);
    }
    /* the queue still moves: a live producer's batches of 30 (more than
     * the queue holds: cut short, their unqueued slots given back) all
     * arrive, and it leaves the pool as it found it */
    uint32_t free0 = mp_info(r).free_slots, full = 0;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    static uint8_t buf[30 * DATA];
    uint32_t lens[30];
    for (uint32_t seq = 0; seq < 1000;) {
        size_t off = 0, k = 99;
        for (uint32_t i = 0; i < 30; i++) {
            lens[i] = (uint32_t)msg_len(seq + i);
            mp_rec rec = {.sender = VICTIMS, .seq = seq + i};
            memcpy(buf + off, &rec, sizeof rec);
            mp_fill(buf + off + sizeof rec, VICTIMS + 10, seq + i, lens[i] - sizeof rec);
            off += lens[i];
        }
        int st = indexbus_publish_batch(p, buf, lens, 30, &k);
        CHECK(st == INDEXBUS_OK ? k == 30 : st == INDEXBUS_FULL && k < 30);
        full += st == INDEXBUS_FULL;
        seq += (uint32_t)k;
        REQUIRE(drain(c, next, &total));
    }
    CHECK(next[VICTIMS] >= 1000 && full > 0);
    CHECK(mp_info(r).free_slots == free0);
    CHECK(mp_cstats(r, 0).delivered == total);
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    indexbus_info info = mp_info(r);
    CHECK(info.mpsc_depth == 0);
    /* slots lost in the windows of 5.12 item 2 come back with the sweep */
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    info = mp_info(r);
    CHECK(info.free_slots == KSLOTS);
    printf("mpsc kill (%s): %u victims, %llu messages, %llu cells skipped, %u of %u slots swept, "
           "%u batches cut short\n", flags ? "batch reservation" : "plain", VICTIMS,
           (unsigned long long)total, (unsigned long long)skipped, rep.slots_reclaimed, KSLOTS, full);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_kname), INDEXBUS_OK);
}

/* ---- batches from threads (TSan sees both sides) --------------------------- */

#define TPRODUCERS 3u
#define TPER 20000u

static indexbus_producer *g_tprod[TPRODUCERS];

static void *thread_producer(void *arg)
{
    uint32_t id = (uint32_t)(uintptr_t)arg;
    for (uint32_t seq = 0, n; seq < TPER; seq += n) {
        n = 1 + (seq * 11u + id) % 40u;
        n = n < TPER - seq ? n : TPER - seq;
        REQUIRE(publish_batch_recs(g_tprod[id], id, seq, n, NULL));
    }
    return NULL;
}

static void thread_case(uint32_t flags)
{
    const char *name = ib_test_name("mpsc-threads");
    indexbus_region *r = create_flags(name, 256, 64, flags);
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    pthread_t t[TPRODUCERS];
    for (uint32_t i = 0; i < TPRODUCERS; i++)
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &g_tprod[i]));
    for (uint32_t i = 0; i < TPRODUCERS; i++)
        REQUIRE(pthread_create(&t[i], NULL, thread_producer, (void *)(uintptr_t)i) == 0);
    uint32_t next[VICTIMS + 1] = {0};
    uint64_t total = 0, hang = mp_now_ns() + MP_HANG_NS;
    while (total < (uint64_t)TPRODUCERS * TPER && mp_now_ns() < hang) {
        REQUIRE(drain(c, next, &total));
        sched_yield();
    }
    for (uint32_t i = 0; i < TPRODUCERS; i++) {
        pthread_join(t[i], NULL);
        CHECK(next[i] == TPER);
        CHECK_ST(indexbus_producer_close(g_tprod[i]), INDEXBUS_OK);
    }
    CHECK(total == (uint64_t)TPRODUCERS * TPER);
    CHECK(mp_info(r).published == total && mp_cstats(r, 0).delivered == total);
    CHECK(mp_info(r).free_slots == 256);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(producer),
    IB_HELPER(consumer),
    IB_HELPER(victim),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    g_name = ib_test_name("mpsc");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_EVENTS, 1024, DATA, 0, 0);
    pid_t pids[PRODUCERS + 1];
    pids[0] = ib_spawn(consumer, 0);
    for (uint32_t i = 0; i < PRODUCERS; i++)
        pids[i + 1] = ib_spawn(producer, (int)i);
    if (mp_join_all(pids, PRODUCERS + 1))
        ib_test_failures++;
    indexbus_info info = mp_info(r);
    CHECK(info.published == (uint64_t)PRODUCERS * PER);
    CHECK(mp_cstats(r, 0).delivered == (uint64_t)PRODUCERS * PER);
    CHECK(info.free_slots == 1024);
    CHECK(info.mpsc_depth == 0 && info.producers_live == 0 && info.consumers_live == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
    kill_case(0);
    kill_case(INDEXBUS_CREATE_MPSC_BATCH);
    thread_case(0);
    thread_case(INDEXBUS_CREATE_MPSC_BATCH);
    return ib_test_done("mpsc");
}
