/* blocking-producer.c - indexbus_publish_wait and indexbus_claim_wait on
 * every region kind (LAYOUT.md 5.9): a producer parked on a full region is
 * woken by the consumer (events, byte log) or the router (fanout) of
 * another process as it frees space, and every message arrives once, in
 * order; a consumer killed while the producer is parked ends the wait with
 * DISCONNECTED (the parked producer's own recovery finds it dead), not a
 * hang. */
#include <sys/wait.h>

#include "mp_util.h"

#define COUNT 2000u
#define LEN 100u

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

static indexbus_region *make(const char *name, uint32_t kind)
{
    if (kind != INDEXBUS_KIND_LOG) /* 8 slots, queue 8: full after 8 messages */
        return mp_create(name, kind, 8, 128, 8, 1);
    return mp_create_log(name, 4096, 0); /* 36 records of 112 bytes */
}

/* Consumer process: wait for the go, then read COUNT messages in order. */
static int reader(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, 0, &r);
    mp_inc(&g_ctl->counter[1]);
    mp_child_phase(g_ctl, 1);
    for (uint32_t i = 0; i < COUNT; i++) {
        uint8_t buf[LEN];
        size_t len = 0;
        if (mp_recv_next(c, buf, sizeof buf, &len, "reader") != INDEXBUS_OK ||
            !mp_check_fill(buf, len, 50, i, LEN))
            return 1;
    }
    mp_close_consumer(r, c);
    return 0;
}

/* Consumer process that attaches, says so, and waits to be killed. */
static int victim(int arg)
{
    (void)arg;
    indexbus_region *r;
    mp_child_consumer(g_name, 0, &r);
    mp_inc(&g_ctl->counter[1]);
    for (;;)
        pause();
    return 0; /* not reached: killed */
}

static int router(int arg)
{
    (void)arg;
    mp_child();
    return mp_router_run_to_disconnect(g_name, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, 0,
                                       COUNT);
}

/* The producer parks (the reader waits for the go until the region is
 * full), then every message goes through, alternating publish_wait and
 * claim_wait. */
static void woken(uint32_t kind, uint32_t type)
{
    g_name = ib_test_name("bp-woken");
    g_ctl = mp_ctl_new();
    indexbus_region *r = make(g_name, kind);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    pid_t pids[2];
    int n = 0;
    pids[n++] = ib_spawn(reader, 0);
    if (kind == INDEXBUS_KIND_FANOUT)
        pids[n++] = ib_spawn(router, 0);
    MP_WAIT(mp_load(&g_ctl->counter[1]) == 1);
    if (kind == INDEXBUS_KIND_FANOUT)
        MP_WAIT(mp_consumers_attached(r, 1));
    uint8_t msg[LEN];
    int parked_once = 0;
    for (uint32_t i = 0; i < COUNT; i++) {
        mp_fill(msg, 50, i, LEN);
        if (!parked_once) {
            int st = indexbus_publish(p, msg, LEN); /* fill it first */
            if (st == INDEXBUS_OK)
                continue;
            CHECK_ST(st, INDEXBUS_FULL);
            CHECK_ST(indexbus_publish_wait(p, msg, LEN, 10000000ull), INDEXBUS_TIMEOUT);
            parked_once = 1;
            mp_phase_start(g_ctl, 1); /* now the reader starts */
        }
        int st;
        if (i % 2) {
            st = indexbus_publish_wait(p, msg, LEN, MP_HANG_NS);
        } else {
            void *buf;
            st = indexbus_claim_wait(p, LEN, &buf, MP_HANG_NS);
            if (st == INDEXBUS_OK) {
                memcpy(buf, msg, LEN);
                st = indexbus_commit(p, LEN);
            }
        }
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "kind %u type %u message %u: %s\n", kind, type, i,
                    indexbus_status_name(st));
            CHECK_ST(st, INDEXBUS_OK);
            break;
        }
    }
    CHECK(parked_once);
    indexbus_producer_close(p);
    CHECK(mp_join_all(pids, n) == 0);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* A consumer dies while the producer is parked: DISCONNECTED. */
static void consumer_dies(uint32_t kind)
{
    g_name = ib_test_name("bp-dies");
    g_ctl = mp_ctl_new();
    indexbus_region *r = make(g_name, kind);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    pid_t v = ib_spawn(victim, 0);
    MP_WAIT(mp_load(&g_ctl->counter[1]) == 1);
    uint8_t msg[LEN] = {0};
    while (indexbus_publish(p, msg, LEN) == INDEXBUS_OK)
        ;
    CHECK_ST(indexbus_publish_wait(p, msg, LEN, 5000000ull), INDEXBUS_TIMEOUT);
    CHECK(ib_kill(v) == SIGKILL);
    CHECK_ST(indexbus_publish_wait(p, msg, LEN, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

static const ib_helper helpers[] = {IB_HELPER(reader), IB_HELPER(victim), IB_HELPER(router),
                                    {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    woken(INDEXBUS_KIND_EVENTS, INDEXBUS_PRODUCER_SPSC);
    woken(INDEXBUS_KIND_EVENTS, INDEXBUS_PRODUCER_MPSC);
    woken(INDEXBUS_KIND_FANOUT, INDEXBUS_PRODUCER_SPSC);
    woken(INDEXBUS_KIND_LOG, INDEXBUS_PRODUCER_SPSC);
    woken(INDEXBUS_KIND_LOG, INDEXBUS_PRODUCER_MPSC);
    consumer_dies(INDEXBUS_KIND_EVENTS);
    consumer_dies(INDEXBUS_KIND_LOG);
    return ib_test_done("blocking-producer");
}
