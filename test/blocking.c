/* blocking.c - blocking receive across processes.
 *  A (events): a consumer process parked in indexbus_recv (long timeout) is
 *    woken by a message published from another process; parked again, it
 *    wakes with DISCONNECTED when that producer process closes.
 *  B (fanout): two consumer processes and a router process (router_run) all
 *    parked; one publish wakes the router, which wakes both consumers; the
 *    producer closing ends the router (DISCONNECTED) and both consumers.
 *  C: recv / wait with a short (and a zero) timeout on an empty region return
 *    TIMEOUT, with and without a live producer; try_recv says EMPTY.
 * "Parked" is observed through the frozen layout (the wake entry's waiters
 * word, via a private read-only mapping), never by sleeping. Only outcomes
 * are asserted, never how fast. */
#include "mp_util.h"

#include <fcntl.h>
#include <sys/stat.h>

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

/* ---- read-only raw view of the wake section ------------------------------ */

typedef struct raw_map {
    uint8_t *base;
    size_t len;
    indexbus_wake_entry *wake;
} raw_map;

static raw_map raw_open(const char *name)
{
    raw_map m = {0};
    int fd = shm_open(name, O_RDONLY, 0);
    REQUIRE(fd >= 0);
    struct stat sb;
    REQUIRE(fstat(fd, &sb) == 0 && sb.st_size >= (off_t)INDEXBUS_HEADER_BYTES);
    m.len = (size_t)sb.st_size;
    m.base = mmap(NULL, m.len, PROT_READ, MAP_SHARED, fd, 0);
    REQUIRE(m.base != MAP_FAILED);
    close(fd);
    const indexbus_region_header *h = (const indexbus_region_header *)m.base;
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == INDEXBUS_SECTION_WAKE)
            m.wake = (indexbus_wake_entry *)(m.base + h->sections[i].offset);
    REQUIRE(m.wake != NULL);
    return m;
}

static void raw_close(raw_map *m) { munmap(m->base, m->len); }

/* Somebody is parked (or about to park) on wake entry i. */
static int parked(const raw_map *m, uint32_t i)
{
    return __atomic_load_n(&m->wake[i].waiters, __ATOMIC_SEQ_CST) != 0;
}

/* ---- A: events ------------------------------------------------------------ */

/* Consumer child `index`: a blocking recv (long timeout) must give exactly
 * want (want_len bytes), the next one DISCONNECTED. */
static int recv_one_then_disconnected(int index, const char *want, size_t want_len)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, (uint32_t)index, &r);
    char buf[64];
    size_t len = 0;
    CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, MP_HANG_NS), INDEXBUS_OK);
    CHECK(len == want_len && memcmp(buf, want, want_len) == 0);
    CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    mp_close_consumer(r, c);
    return 0;
}

static int a_consumer(int arg)
{
    (void)arg;
    return recv_one_then_disconnected(0, "wake-up", 7);
}

static int a_producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    raw_map m = raw_open(g_name);
    MP_WAIT(parked(&m, 0));
    CHECK_ST(indexbus_publish(p, "wake-up", 7), INDEXBUS_OK);
    MP_WAIT(mp_cstats(r, 0).delivered == 1);
    MP_WAIT(parked(&m, 0)); /* blocked again */
    raw_close(&m);
    mp_close_producer(r, p);
    return 0;
}

static void test_a(void)
{
    g_name = ib_test_name("blk-a");
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_EVENTS, 16, 64, 0, 0);
    pid_t pids[2] = {ib_spawn(a_consumer, 0), ib_spawn(a_producer, 0)};
    if (mp_join_all(pids, 2))
        ib_test_failures++;
    CHECK(mp_info(r).free_slots == 16);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ---- B: fanout ------------------------------------------------------------ */

#define B_CONSUMERS 2u

static int b_consumer(int index) { return recv_one_then_disconnected(index, "fanout", 6); }

static int b_router(int arg)
{
    (void)arg;
    /* source and mode 0: the defaults (ANY, BROADCAST); park long: must be woken */
    return mp_router_run_to_disconnect(g_name, 0, 0, 30 * MP_SEC, 1);
}

static int b_producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_SPSC, &r);
    raw_map m = raw_open(g_name);
    /* both consumers and the router (wake entry consumer_count) parked */
    MP_WAIT(parked(&m, 0) && parked(&m, 1) && parked(&m, B_CONSUMERS));
    CHECK_ST(indexbus_publish(p, "fanout", 6), INDEXBUS_OK);
    MP_WAIT(mp_info(r).routed == 1);
    /* the router bumps delivered after it publishes; the consumers then
     * take their copy and park again */
    MP_WAIT(mp_cstats(r, 0).depth == 0 && mp_cstats(r, 1).depth == 0 &&
            mp_info(r).free_slots == 16);
    MP_WAIT(parked(&m, 0) && parked(&m, 1) && parked(&m, B_CONSUMERS));
    raw_close(&m);
    mp_close_producer(r, p);
    return 0;
}

static void test_b(void)
{
    g_name = ib_test_name("blk-b");
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 16, 64, 0, B_CONSUMERS);
    pid_t pids[4] = {ib_spawn(b_consumer, 0), ib_spawn(b_consumer, 1), ib_spawn(b_router, 0),
                     ib_spawn(b_producer, 0)};
    if (mp_join_all(pids, 4))
        ib_test_failures++;
    CHECK(mp_cstats(r, 0).delivered == 1 && mp_cstats(r, 1).delivered == 1);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ---- C: timeouts ---------------------------------------------------------- */

#define SHORT_NS (20 * 1000 * 1000ull)

static void expect_timeouts(indexbus_consumer *c)
{
    char buf[64];
    size_t len = 0;
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, SHORT_NS), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, 0), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_wait(c, SHORT_NS), INDEXBUS_TIMEOUT);
}

/* arg: 0 = no producer ever attached, 1 = a live, silent producer */
static int c_consumer(int with_producer)
{
    indexbus_region *r;
    indexbus_consumer *c = mp_child_consumer(g_name, 0, &r);
    if (with_producer)
        MP_WAIT(mp_info(r).producers_live == 1);
    expect_timeouts(c);
    mp_store(&g_ctl->counter[0], 1); /* tell the producer we are done */
    if (with_producer) {
        char buf[8];
        size_t len;
        CHECK_ST(indexbus_recv(c, buf, sizeof buf, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    }
    mp_close_consumer(r, c);
    return 0;
}

static int c_producer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p = mp_child_producer(g_name, INDEXBUS_PRODUCER_MPSC, &r);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == 1);
    mp_close_producer(r, p);
    return 0;
}

static void test_c(uint32_t kind, int with_producer)
{
    g_name = ib_test_name(kind == INDEXBUS_KIND_EVENTS ? "blk-ce" : "blk-cf");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, kind, 16, 64, 0, kind == INDEXBUS_KIND_FANOUT ? 2 : 0);
    pid_t pids[2];
    int n = 0;
    pids[n++] = ib_spawn(c_consumer, with_producer);
    if (with_producer)
        pids[n++] = ib_spawn(c_producer, 0);
    if (mp_join_all(pids, n))
        ib_test_failures++;
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(a_consumer),
    IB_HELPER(a_producer),
    IB_HELPER(b_consumer),
    IB_HELPER(b_router),
    IB_HELPER(b_producer),
    IB_HELPER(c_consumer),
    IB_HELPER(c_producer),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    test_a();
    test_b();
    test_c(INDEXBUS_KIND_EVENTS, 0);
    test_c(INDEXBUS_KIND_EVENTS, 1);
    test_c(INDEXBUS_KIND_FANOUT, 0);
    test_c(INDEXBUS_KIND_FANOUT, 1);
    return ib_test_done("blocking");
}
