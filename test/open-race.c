/* open-race.c - opening a region while it is being created.
 *
 * Race rounds: 16 opener processes race two creator processes, 6 rounds with
 * different geometries. The openers start first and retry
 * indexbus_region_open (5 s ready timeout) while it says NOT_FOUND; both
 * creators call indexbus_region_create with the same geometry once every
 * opener is spinning. Exactly one creator wins, the other gets EXISTS (and
 * must not disturb the winner). Each opener must either succeed - and then
 * see exactly the creator's geometry and creator pid and be able to publish
 * through it - or get NOT_READY / TIMEOUT; never CORRUPT or anything else,
 * never a crash. The winner then receives one message from every opener that
 * succeeded, and nothing else.
 *
 * Slow-creator round: a region whose header says "not ready yet" (a real
 * region with header.ready put back to 0 through a raw mapping, i.e. a
 * creator that has sized the file but not finished). Openers with a zero
 * ready timeout must get NOT_READY; openers with ready_timeout_ns =
 * UINT64_MAX ("wait as long as it takes") must keep waiting and succeed once
 * ready is set. The parent sets ready only after the zero-timeout openers
 * have returned, and after a short detection window; the window never
 * decides pass/fail for a correct library (any length is correct). */
#include "mp_util.h"

#include <fcntl.h>

#define OPENERS 16
#define ROUNDS 6
#define CREATORS 2

typedef struct geo {
    uint32_t kind, slots, data, queue, consumers;
} geo;

static const geo g_geos[ROUNDS] = {
    {INDEXBUS_KIND_EVENTS, 32, 64, 32, 1},       {INDEXBUS_KIND_FANOUT, 64, 128, 32, 3},
    {INDEXBUS_KIND_EVENTS, 1024, 256, 64, 1},    {INDEXBUS_KIND_FANOUT, 32, 64, 32, 64},
    {INDEXBUS_KIND_EVENTS, 4096, 4096, 4096, 1}, {INDEXBUS_KIND_FANOUT, 16384, 64, 16384, 1},
};

IB_SHARED static const char *g_name;
IB_SHARED static int g_round;
IB_SHARED static mp_ctl *g_ctl;
/* counter[0]: openers spinning, [1]: openers finished
 * data[i]: opener i's open status; data[OPENERS + i]: 1 if it published;
 * data[2 * OPENERS + i]: creator pid opener i saw;
 * D_MASK: ids the winner received (bit mask), D_COUNT: how many;
 * D_PID + j: creator j's pid, D_CREATE + j: creator j's create status */
enum { D_MASK = 100, D_COUNT = 101, D_PID = 110, D_CREATE = 120 };

static void opener_use(indexbus_region *r, int id, const geo *g)
{
    indexbus_info info = mp_info(r);
    CHECK(info.kind == g->kind);
    CHECK(info.layout_major == INDEXBUS_LAYOUT_MAJOR && info.layout_minor == 0 /* events: 1.0 */);
    CHECK(info.slot_count == g->slots && info.slot_data_size == g->data);
    CHECK(info.queue_capacity == g->queue && info.consumer_count == g->consumers);
    CHECK(info.total_bytes > (uint64_t)g->slots * g->data);
    g_ctl->data[2 * OPENERS + id] = info.creator_pid;
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    mp_rec rec = {.sender = (uint32_t)id, .seq = (uint32_t)g_round};
    CHECK_ST(indexbus_publish(p, &rec, sizeof rec), INDEXBUS_OK);
    g_ctl->data[OPENERS + id] = 1;
    REQUIRE_OK(indexbus_producer_close(p));
}

static int opener(int id)
{
    mp_child();
    const geo *g = &g_geos[g_round];
    indexbus_open_config oc = {.size = sizeof oc, .ready_timeout_ns = 5 * MP_SEC};
    indexbus_region *r = NULL;
    mp_inc(&g_ctl->counter[0]);
    uint64_t deadline = mp_now_ns() + MP_HANG_NS;
    int st;
    while ((st = indexbus_region_open(g_name, &oc, &r)) == INDEXBUS_NOT_FOUND) {
        REQUIRE(mp_now_ns() < deadline);
        sched_yield();
    }
    g_ctl->data[id] = (uint64_t)st;
    if (st == INDEXBUS_OK) {
        opener_use(r, id, g);
        indexbus_region_close(r);
    } else if (st != INDEXBUS_NOT_READY && st != INDEXBUS_TIMEOUT) {
        fprintf(stderr, "round %d opener %d: open = %s\n", g_round, id, indexbus_status_name(st));
        ib_test_failures++;
    }
    mp_inc(&g_ctl->counter[1]);
    return 0;
}

/* The winner receives everything the openers published. */
static void drain(indexbus_region *r, uint32_t kind)
{
    indexbus_router *rt = NULL;
    indexbus_consumer *c;
    /* attach before routing: the router only serves attached consumers */
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    if (kind == INDEXBUS_KIND_FANOUT) {
        REQUIRE_OK(indexbus_router_open(r, &rt));
        int st;
        while ((st = indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST)) ==
               INDEXBUS_OK)
            ;
        CHECK_ST(st, INDEXBUS_EMPTY);
    }
    uint64_t ok = 0, mask = 0, n = 0;
    for (int i = 0; i < OPENERS; i++)
        ok += g_ctl->data[OPENERS + i];
    for (;;) {
        mp_rec rec;
        size_t len = 0;
        int st = indexbus_try_recv(c, &rec, sizeof rec, &len);
        if (st != INDEXBUS_OK) {
            /* every producer closed and drained; EMPTY if none ever attached */
            CHECK_ST(st, ok ? INDEXBUS_DISCONNECTED : INDEXBUS_EMPTY);
            break;
        }
        CHECK(len == sizeof rec && rec.sender < OPENERS && rec.seq == (uint32_t)g_round);
        if (rec.sender < OPENERS)
            mask |= 1ull << rec.sender;
        n++;
    }
    g_ctl->data[D_MASK] = mask;
    g_ctl->data[D_COUNT] = n;
    REQUIRE_OK(indexbus_consumer_close(c));
    REQUIRE_OK(indexbus_router_close(rt));
}

static int creator(int j)
{
    mp_child();
    const geo *g = &g_geos[g_round];
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, g->kind));
    cfg.slot_count = g->slots;
    cfg.slot_data_size = g->data;
    cfg.queue_capacity = g->queue;
    cfg.consumer_count = g->consumers;
    g_ctl->data[D_PID + j] = (uint64_t)getpid();
    MP_WAIT(mp_load(&g_ctl->counter[0]) == OPENERS);
    int st = indexbus_region_create(g_name, &cfg, &r);
    g_ctl->data[D_CREATE + j] = (uint64_t)st;
    if (st != INDEXBUS_OK) {
        CHECK(r == NULL);
        return 0; /* the parent checks there is exactly one winner */
    }
    MP_WAIT(mp_load(&g_ctl->counter[1]) == OPENERS);
    drain(r, g->kind);
    indexbus_region_close(r);
    return 0;
}

static void race_round(void)
{
    char tag[16];
    snprintf(tag, sizeof tag, "race%d", g_round);
    g_name = ib_test_name(tag);
    g_ctl = mp_ctl_new();
    pid_t pids[OPENERS + CREATORS];
    for (int i = 0; i < OPENERS; i++)
        pids[i] = ib_spawn(opener, i);
    for (int j = 0; j < CREATORS; j++)
        pids[OPENERS + j] = ib_spawn(creator, j);
    if (mp_join_all(pids, OPENERS + CREATORS)) {
        fprintf(stderr, "round %d: a child failed\n", g_round);
        ib_test_failures++;
    }
    int winners = 0;
    uint64_t winner_pid = 0;
    for (int j = 0; j < CREATORS; j++) {
        if (g_ctl->data[D_CREATE + j] == INDEXBUS_OK) {
            winners++;
            winner_pid = g_ctl->data[D_PID + j];
        } else {
            CHECK(g_ctl->data[D_CREATE + j] == INDEXBUS_EXISTS);
        }
    }
    CHECK(winners == 1);
    uint64_t want = 0, ok = 0;
    for (int i = 0; i < OPENERS; i++) {
        if (g_ctl->data[i] == INDEXBUS_OK) {
            ok++;
            CHECK(g_ctl->data[OPENERS + i] == 1);
            CHECK(g_ctl->data[2 * OPENERS + i] == winner_pid);
            want |= 1ull << i;
        }
    }
    CHECK(g_ctl->data[D_MASK] == want);
    CHECK(g_ctl->data[D_COUNT] == ok);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

/* ---- slow creator ---------------------------------------------------------- */

#define FOREVER 8 /* openers 0..7: UINT64_MAX timeout; 8..11: zero timeout */
#define ZERO 4

static int slow_opener(int id)
{
    mp_child();
    static const geo g = {INDEXBUS_KIND_EVENTS, 64, 64, 64, 1};
    indexbus_open_config oc = {.size = sizeof oc,
                               .ready_timeout_ns = id < FOREVER ? UINT64_MAX : 0};
    indexbus_region *r = NULL;
    mp_inc(&g_ctl->counter[0]);
    int st = indexbus_region_open(g_name, &oc, &r);
    g_ctl->data[id] = (uint64_t)st;
    mp_inc(&g_ctl->counter[id < FOREVER ? 3 : 2]);
    if (st == INDEXBUS_OK) {
        opener_use(r, id, &g);
        indexbus_region_close(r);
    }
    return 0;
}

static void slow_creator_round(void)
{
    g_round = ROUNDS; /* message tag */
    g_name = ib_test_name("race-slow");
    g_ctl = mp_ctl_new();
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_EVENTS, 64, 64, 64, 1);
    /* put the creator back to "initialising": header.ready = 0 */
    int fd = shm_open(g_name, O_RDWR, 0);
    REQUIRE(fd >= 0);
    indexbus_region_header *h =
        mmap(NULL, INDEXBUS_HEADER_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(h != MAP_FAILED);
    close(fd);
    __atomic_store_n(&h->ready, 0, __ATOMIC_RELEASE);

    pid_t pids[FOREVER + ZERO];
    for (int i = 0; i < FOREVER + ZERO; i++)
        pids[i] = ib_spawn(slow_opener, i);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == FOREVER + ZERO);
    MP_WAIT(mp_load(&g_ctl->counter[2]) == ZERO); /* zero-timeout openers are back */
    /* detection window: a correct library keeps the UINT64_MAX openers
     * waiting however long this is; a wrapped deadline returns at once */
    uint64_t until = mp_now_ns() + 50 * 1000 * 1000ull;
    while (mp_now_ns() < until && mp_load(&g_ctl->counter[3]) == 0)
        sched_yield();
    __atomic_store_n(&h->ready, INDEXBUS_READY_VALUE, __ATOMIC_RELEASE);
    if (mp_join_all(pids, FOREVER + ZERO))
        ib_test_failures++;

    for (int i = 0; i < FOREVER + ZERO; i++) {
        int want = i < FOREVER ? INDEXBUS_OK : INDEXBUS_NOT_READY;
        if (g_ctl->data[i] != (uint64_t)want) {
            fprintf(stderr, "slow creator: opener %d (timeout %s) got %s, want %s\n", i,
                    i < FOREVER ? "UINT64_MAX" : "0", indexbus_status_name((int)g_ctl->data[i]),
                    indexbus_status_name(want));
            ib_test_failures++;
        }
    }
    /* every opener that got in published one message */
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint64_t mask = 0, want = 0;
    for (int i = 0; i < FOREVER; i++)
        if (g_ctl->data[OPENERS + i])
            want |= 1ull << i;
    mp_rec rec;
    size_t len;
    while (indexbus_try_recv(c, &rec, sizeof rec, &len) == INDEXBUS_OK)
        mask |= 1ull << (rec.sender & 63);
    CHECK(mask == want);
    REQUIRE_OK(indexbus_consumer_close(c));
    munmap(h, INDEXBUS_HEADER_BYTES);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
}

static const ib_helper helpers[] = {
    IB_HELPER(opener),
    IB_HELPER(creator),
    IB_HELPER(slow_opener),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    for (g_round = 0; g_round < ROUNDS; g_round++)
        race_round();
    slow_creator_round();
    return ib_test_done("open-race");
}
