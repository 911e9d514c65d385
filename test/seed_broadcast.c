/* seed_broadcast.c - broadcast delivers every message to every consumer,
 * from the SPSC and the MPSC source. Processes: an SPSC producer, an MPSC
 * producer and 4 consumers, each opening the region by name; the parent is
 * the router and steps the script phase by phase (mp_ctl), checking every
 * route_once_stats result exactly:
 *   - SOURCE_SPSC / SOURCE_MPSC: routed 1, delivered 4, mask 0xf, no drops;
 *     an empty source gives EMPTY with a zeroed result;
 *   - SOURCE_ANY alternates SPSC, MPSC, ... and falls back to the other
 *     source when one is empty;
 *   - a consumer whose queue is full is skipped (dropped_full, its mask bit)
 *     while the others still get the message; it keeps what it had;
 *   - consumers see everything in order, then DISCONNECTED after the
 *     producers close. */
#include "mp_util.h"

#define CONSUMERS 4u
#define QCAP 8u
#define ALL 0xfull

enum { R_SPSC, R_MPSC, R_C0 }; /* child roles; consumers are R_C0 + i */
#define CHILDREN (2 + CONSUMERS)
#define LAST_PHASE 11

static const char *g_name;
static mp_ctl *g_ctl;

static void producer_step(indexbus_producer *p, int role, int k)
{
    char s[16];
    if (k == 2) {
        MP_PUB(p, role == R_SPSC ? "s0" : "m0", INDEXBUS_OK);
        MP_PUB(p, role == R_SPSC ? "s1" : "m1", INDEXBUS_OK);
    } else if (k == 4) {
        for (int i = 1; i <= (role == R_SPSC ? 3 : 4); i++) {
            snprintf(s, sizeof s, "%c%d", role == R_SPSC ? 'a' : 'b', i);
            MP_PUB(p, s, INDEXBUS_OK);
        }
    } else if (k == 6 && role == R_SPSC) {
        for (int i = 0; i < (int)QCAP; i++)
            MP_PUBF(p, "f%d", i, INDEXBUS_OK);
    } else if (k == 8 && role == R_SPSC) {
        MP_PUB(p, "x", INDEXBUS_OK);
    }
}

static void consumer_step(indexbus_consumer *c, indexbus_region *r, uint32_t idx, int k)
{
    if (k == 3) {
        MP_EXPECT(c, "s0");
        MP_EXPECT(c, "s1");
        MP_EXPECT(c, "m0");
        MP_EXPECT(c, "m1");
        MP_EXPECT_ST(c, INDEXBUS_EMPTY); /* producers still attached */
    } else if (k == 5) {
        static const char *order[] = {"a1", "b1", "a2", "b2", "a3", "b3", "b4"};
        for (int i = 0; i < 7; i++)
            MP_EXPECT(c, order[i]);
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if ((k == 7 && idx != 2) || (k == 9 && idx == 2)) {
        for (int i = 0; i < (int)QCAP; i++)
            MP_EXPECTF(c, "f%d", i);
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if (k == 9) {
        MP_EXPECT(c, "x");
        MP_EXPECT_ST(c, INDEXBUS_EMPTY);
    } else if (k == 11) {
        MP_WAIT(mp_info(r).producers_live == 0);
        MP_EXPECT_ST(c, INDEXBUS_DISCONNECTED);
    }
}

/* Phase k of child `role` (mp_script): producers close in phase 10,
 * consumers after the last phase. */
static void child_step(int role, int k)
{
    if (k == 1) {
        if (role == R_SPSC || role == R_MPSC)
            mp_role_open_producer(role == R_SPSC ? INDEXBUS_PRODUCER_SPSC
                                                 : INDEXBUS_PRODUCER_MPSC);
        else
            mp_role_open_consumer((uint32_t)(role - R_C0));
    } else if (mp_role_p != NULL) {
        if (k == 10)
            mp_role_close_producer();
        else
            producer_step(mp_role_p, role, k);
    } else if (mp_role_c != NULL) {
        consumer_step(mp_role_c, mp_child_region, (uint32_t)(role - R_C0), k);
        if (k == LAST_PHASE)
            mp_role_close_consumer();
    }
}

int main(void)
{
    mp_guard();
    static const mp_script script = {CHILDREN, LAST_PHASE, child_step, NULL};
    g_name = ib_test_name("sbc");
    indexbus_region *r = mp_create(g_name, INDEXBUS_KIND_FANOUT, 64, 64, QCAP, CONSUMERS);
    g_ctl = mp_script_spawn(&script, g_name);
    indexbus_router *rt;
    REQUIRE_OK(indexbus_router_open(r, &rt));

    mp_phase(g_ctl, 1, CHILDREN);
    indexbus_info info = mp_info(r);
    CHECK(info.producers_live == 2 && info.consumers_live == CONSUMERS && info.routers_live == 1);

    /* phase 2: two messages on each source; route each source explicitly */
    mp_phase(g_ctl, 2, CHILDREN);
    CHECK(mp_info(r).spsc_depth == 2 && mp_info(r).mpsc_depth == 2);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, 4, 0, 0, 4);
    /* a slot is shared by all four queues: 4 messages hold 4 slots */
    CHECK(mp_info(r).free_slots == 64 - 4);
    mp_phase(g_ctl, 3, CHILDREN);
    CHECK(mp_info(r).free_slots == 64);

    /* phase 4: 3 on SPSC, 4 on MPSC; SOURCE_ANY alternates, then drains MPSC */
    mp_phase(g_ctl, 4, CHILDREN);
    for (int i = 0; i < 7; i++)
        MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    MP_ROUTE(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST, INDEXBUS_EMPTY, 0, 0, 0);
    mp_phase(g_ctl, 5, CHILDREN);

    /* phase 6: fill every consumer queue (QCAP) */
    mp_phase(g_ctl, 6, CHILDREN);
    for (int i = 0; i < (int)QCAP; i++)
        MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, ALL, 0, 0);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, 4 + 7 + QCAP, 0, 0, QCAP);
    /* phase 7: consumers 0, 1, 3 drain; consumer 2 stays full */
    mp_phase(g_ctl, 7, CHILDREN);
    /* phase 8: one more message: consumer 2 is skipped, the others get it */
    mp_phase(g_ctl, 8, CHILDREN);
    MP_ROUTE(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST, INDEXBUS_OK, 0xbull, 0x4ull, 0);
    MP_CHECK_CSTATS(r, 2, 4 + 7 + QCAP, 1, 0, QCAP);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        if (i != 2)
            MP_CHECK_CSTATS(r, i, 4 + 7 + QCAP + 1, 0, 0, 1);
    CHECK(mp_info(r).route_no_space == 0);
    mp_phase(g_ctl, 9, CHILDREN);

    /* phases 10-11: producers close, consumers then see DISCONNECTED */
    mp_phase(g_ctl, 10, CHILDREN);
    mp_phase(g_ctl, 11, CHILDREN);
    if (mp_script_join())
        ib_test_failures++;

    info = mp_info(r);
    CHECK(info.published == 2 + 2 + 7 + QCAP + 1);
    CHECK(info.routed == 2 + 2 + 7 + QCAP + 1);
    CHECK(info.route_no_space == 0);
    CHECK(info.free_slots == 64);
    for (uint32_t i = 0; i < CONSUMERS; i++)
        MP_CHECK_CSTATS(r, i, 4 + 7 + QCAP + (i != 2), i == 2, 0, 0);
    REQUIRE_OK(indexbus_router_close(rt));
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(g_name), INDEXBUS_OK);
    return ib_test_done("seed_broadcast");
}
