/* router-step.c - recovery of a router that died mid-step finishes
 * the step from its journal (LAYOUT.md 5.10.1): for each point a step can
 * stop at, exactly the missing effects are made - every target consumer
 * gets the message once, each counter moves once, the source moves on,
 * the pool stays whole - and a journal that makes no sense is closed
 * without touching anything.
 *
 * The router is a real process, SIGKILLed while idle; the parent then
 * writes, through a second mapping, the state a router stopped at that
 * point would have left (the same words, in the same order). */
#include <signal.h>
#include <sys/wait.h>

#include "bad_util.h"

#define NCONS 3
#define TARGETS 0x5ull /* consumers 0 and 2 */
#define FULL 0x2ull    /* consumer 1: dropped, queue full */

IB_SHARED static char g_path[96];

/* How far the dead router got: effects made before it died. */
typedef struct stop {
    const char *what;
    uint32_t pushed;  /* queues it published to, in order (0, 1 or 2) */
    uint32_t bumped;  /* counters it moved, in order: delivered 0, 2, full 1, routed */
    int at_current;   /* the cursor names the next effect (not yet made) */
    int advanced;     /* it moved the source on too */
    int hostile;      /* 1: slot out of range; 2: a target beyond consumer_count */
} stop;

static const stop stops[] = {
    {"journal open, nothing made", 0, 0, 0, 0, 0},
    {"cursor on queue 0, tail not moved", 0, 0, 1, 0, 0},
    {"queue 0 published", 1, 0, 0, 0, 0},
    {"cursor on queue 2, tail not moved", 1, 0, 1, 0, 0},
    {"both queues published", 2, 0, 0, 0, 0},
    {"delivered[0] moved", 2, 1, 0, 0, 0},
    {"cursor on dropped_full[1], not moved", 2, 2, 1, 0, 0},
    {"every counter moved", 2, 4, 0, 0, 0},
    {"source moved, journal still open", 2, 4, 0, 1, 0},
    {"hostile: slot out of range", 0, 0, 0, 0, 1},
    {"hostile: target beyond consumer_count", 0, 0, 0, 0, 2},
};

static int router_child(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_router *rt;
    REQUIRE_OK(indexbus_region_open(g_path, NULL, &r));
    REQUIRE_OK(indexbus_router_open(r, &rt));
    for (;;)
        pause(); /* killed here, between steps */
}

static void kill_router(void)
{
    pid_t pid = ib_spawn(router_child, 0);
    /* attached once the router entry is named */
    indexbus_region *r;
    REQUIRE_OK(indexbus_region_open(g_path, NULL, &r));
    for (int n = 0; n < 20000; n++) {
        indexbus_info info = {.size = sizeof info};
        REQUIRE_OK(indexbus_region_info(r, &info));
        if (info.routers_live == 1)
            break;
        usleep(100);
    }
    indexbus_region_close(r);
    CHECK(ib_kill(pid) != 0);
}

/* Counter phases in the order the router makes them. */
static uint64_t *counter_at(bad_map *m, uint32_t n, uint32_t *phase, uint32_t *who)
{
    indexbus_counters_global *g = bad_sec(m, INDEXBUS_SECTION_COUNTERS);
    indexbus_counters_consumer *c = (indexbus_counters_consumer *)(g + 1);
    switch (n) {
    case 0: *phase = INDEXBUS_STEP_DELIVERED, *who = 0; return &c[0].delivered;
    case 1: *phase = INDEXBUS_STEP_DELIVERED, *who = 2; return &c[2].delivered;
    case 2: *phase = INDEXBUS_STEP_DROPPED_FULL, *who = 1; return &c[1].dropped_full;
    default: *phase = INDEXBUS_STEP_ROUTED, *who = 0; return &g->routed;
    }
}

/* Leave the state of a router stopped at `s` in the message at source head. */
static void forge(const stop *s)
{
    bad_map m = bad_map_file(g_path);
    indexbus_router_section *rs = bad_sec(&m, INDEXBUS_SECTION_ROUTER);
    indexbus_spsc_ctl *src = bad_spsc(&m);
    uint32_t idx = bad_spsc_cells(src)[src->head & (m.h->queue_capacity - 1)];
    bad_slot(&m, idx)->refcount = 2;
    rs->step_source = 0;
    rs->step_pos = src->head;
    rs->step_targets = s->hostile == 2 ? TARGETS | 1ull << NCONS : TARGETS;
    rs->step_full = FULL;
    rs->step_no_credit = 0;
    rs->step_cursor = 0;
    rs->step_slot = s->hostile == 1 ? m.h->slot_count + 1 : idx + 1;
    static const uint32_t queues[2] = {0, 2};
    for (uint32_t k = 0; k < 2; k++) {
        indexbus_spsc_ctl *q = bad_cq(&m, queues[k]);
        if (k < s->pushed || (k == s->pushed && s->at_current))
            rs->step_cursor = INDEXBUS_STEP_CURSOR(INDEXBUS_STEP_PUSH, queues[k], q->tail);
        if (k < s->pushed) {
            bad_spsc_cells(q)[q->tail & (m.h->queue_capacity - 1)] = idx;
            q->tail++;
        }
    }
    for (uint32_t n = 0; n < 4; n++) {
        uint32_t phase, who;
        uint64_t *w = counter_at(&m, n, &phase, &who);
        if (n < s->bumped || (n == s->bumped && s->at_current && s->pushed == 2))
            rs->step_cursor = INDEXBUS_STEP_CURSOR(phase, who, *w);
        if (n < s->bumped)
            (*w)++;
    }
    if (s->advanced)
        src->head++;
    bad_unmap(&m);
}

static uint32_t step_slot(void)
{
    bad_map m = bad_map_file(g_path);
    uint32_t v = ((indexbus_router_section *)bad_sec(&m, INDEXBUS_SECTION_ROUTER))->step_slot;
    bad_unmap(&m);
    return v;
}

static void expect_msgs(indexbus_consumer *c, uint32_t n, const char *what)
{
    char buf[16];
    size_t len;
    for (uint32_t i = 0; i < n; i++) {
        CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
        CHECK(len == 3 && memcmp(buf, "msg", 3) == 0);
    }
    int st = indexbus_try_recv(c, buf, sizeof buf, &len);
    if (st != INDEXBUS_EMPTY)
        fprintf(stderr, "  (%s)\n", what);
    CHECK_ST(st, INDEXBUS_EMPTY);
}

static void run(const stop *s)
{
    snprintf(g_path, sizeof g_path, "%s", bad_path(0));
    indexbus_region *r;
    bad_create(g_path, INDEXBUS_KIND_FANOUT, 8, 8, 64, NCONS, &r);
    indexbus_consumer *c[NCONS];
    indexbus_producer *p;
    for (uint32_t i = 0; i < NCONS; i++)
        REQUIRE_OK(indexbus_consumer_open(r, i, &c[i]));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_publish(p, "msg", 3));
    kill_router();
    forge(s);

    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1);
    CHECK(step_slot() == 0);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    indexbus_consumer_stats cs[NCONS];
    for (uint32_t i = 0; i < NCONS; i++) {
        cs[i] = (indexbus_consumer_stats){.size = sizeof cs[i]};
        REQUIRE_OK(indexbus_region_consumer_stats(r, i, &cs[i]));
    }
    if (s->hostile) {
        /* closed and left alone: the message is still at the source */
        CHECK(info.spsc_depth == 1 && info.routed == 0);
        CHECK(cs[0].delivered == 0 && cs[2].delivered == 0 && cs[1].dropped_full == 0);
        indexbus_router *rt;
        REQUIRE_OK(indexbus_router_open(r, &rt));
        CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_OK);
        indexbus_router_close(rt);
        for (uint32_t i = 0; i < NCONS; i++)
            expect_msgs(c[i], 1, s->what);
    } else {
        CHECK(info.spsc_depth == 0 && info.routed == 1);
        CHECK(cs[0].delivered == 1 && cs[2].delivered == 1 && cs[1].delivered == 0);
        CHECK(cs[1].dropped_full == 1 && cs[0].dropped_full == 0 && cs[2].dropped_full == 0);
        expect_msgs(c[0], 1, s->what);
        expect_msgs(c[1], 0, s->what);
        expect_msgs(c[2], 1, s->what);
        /* a new router finds nothing left to route */
        indexbus_router *rt;
        REQUIRE_OK(indexbus_router_open(r, &rt));
        CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_EMPTY);
        indexbus_router_close(rt);
    }
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == info.slot_count);
    if (ib_test_failures)
        fprintf(stderr, "  after: %s\n", s->what);
    indexbus_producer_close(p);
    for (uint32_t i = 0; i < NCONS; i++)
        indexbus_consumer_close(c[i]);
    indexbus_region_close(r);
    unlink(g_path);
}

static const ib_helper helpers[] = {
    IB_HELPER(router_child),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        int before = ib_test_failures;
        run(&stops[i]);
        if (ib_test_failures != before)
            fprintf(stderr, "FAILED stop %zu: %s\n", i, stops[i].what);
    }
    return ib_test_done("crash/router-step");
}
