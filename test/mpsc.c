/* mpsc.c - events region, 4 MPSC producer processes x 100000 messages,
 * one consumer process: per-producer order preserved, nothing lost, nothing
 * duplicated, payload = (producer id, seq) plus bytes derived from both.
 * All producers attach before any publishes, so the consumer cannot see
 * "every producer closed" early; it ends on DISCONNECTED. */
#include "mp_util.h"

#define PRODUCERS 4u
#define PER 100000u
#define DATA 64u

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

static size_t msg_len(uint32_t seq) { return sizeof(mp_rec) + seq % (DATA - sizeof(mp_rec) + 1); }

static int producer(int id)
{
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    mp_barrier(&g_ctl->counter[0], PRODUCERS);
    char what[32];
    snprintf(what, sizeof what, "producer %d publish", id);
    uint8_t msg[DATA];
    for (uint32_t seq = 0; seq < PER; seq++) {
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

static const ib_helper helpers[] = {
    IB_HELPER(producer),
    IB_HELPER(consumer),
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
    return ib_test_done("mpsc");
}
