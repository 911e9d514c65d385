/* recover.c - SIGKILLed participants are detected by their dropped
 * OFD lock and recovered: roles can be taken again, claimed slots and a
 * dead fanout consumer's queue go back to the pool, live peers carry on,
 * and DISCONNECTED still comes when the last (dead) producer is gone. */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

IB_SHARED static const char *g_name;
IB_SHARED static volatile uint32_t *g_flag; /* shared: child says "I hold what you want" */

static void wait_flag(uint32_t v)
{
    while (__atomic_load_n(g_flag, __ATOMIC_SEQ_CST) != v)
        usleep(100);
}

static void set_flag(uint32_t v) { __atomic_store_n(g_flag, v, __ATOMIC_SEQ_CST); }

static void kill_child(pid_t pid) { CHECK(ib_kill(pid) == SIGKILL); }

static indexbus_recover_report recover(indexbus_region *r, int want_st)
{
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), want_st);
    return rep;
}

static uint32_t free_slots(indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    return info.free_slots;
}

/* child: SPSC producer that claims 1 slot and publishes 2 more, then hangs */
static int claimer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_producer *p;
    void *buf;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_publish(p, "a", 1));
    REQUIRE_OK(indexbus_publish(p, "b", 1));
    REQUIRE_OK(indexbus_claim(p, &buf, NULL));
    set_flag(1);
    for (;;)
        pause();
}

static void test_dead_producer(void)
{
    g_name = ib_test_name("crp");
    indexbus_region *r = ib_test_create(g_name, INDEXBUS_KIND_EVENTS, 8, 64, 0);
    indexbus_consumer *c;
    indexbus_producer *p;
    char buf[8];
    size_t len;
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    set_flag(0);
    pid_t pid = ib_spawn(claimer, 0);
    wait_flag(1);
    CHECK(free_slots(r) == 5);
    indexbus_participant_info pi = {.size = sizeof pi};
    int alive_seen = 0;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        if (indexbus_region_participant(r, i, &pi) == INDEXBUS_OK && pi.pid == (uint32_t)pid)
            alive_seen = pi.alive;
    CHECK(alive_seen == 1);
    kill_child(pid);
    /* alive no more, whatever the pid table says */
    int dead_seen = 0;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        if (indexbus_region_participant(r, i, &pi) == INDEXBUS_OK && pi.pid == (uint32_t)pid)
            dead_seen = !pi.alive;
    CHECK(dead_seen);
    indexbus_recover_report rep = recover(r, INDEXBUS_OK);
    CHECK(rep.dead == 1 && rep.slots_reclaimed == 1);
    CHECK(rep.elapsed_ns < 10000000ull); /* recovery itself takes under 10 ms */
    CHECK(free_slots(r) == 6);
    /* the two published messages survive; then DISCONNECTED (producer gone) */
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 1 && buf[0] == 'a');
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 1 && buf[0] == 'b');
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_DISCONNECTED);
    /* the SPSC role is free again */
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    CHECK_ST(indexbus_publish(p, "c", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 1 && buf[0] == 'c');
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    CHECK(free_slots(r) == 8);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* child: fanout consumer 1 that borrows one message and hangs */
static int borrower(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_consumer *c;
    const void *data;
    size_t len;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_consumer_open(r, 1, &c));
    set_flag(1);
    while (indexbus_recv_begin(c, &data, &len) != INDEXBUS_OK)
        usleep(100);
    set_flag(2);
    for (;;)
        pause();
}

static void test_dead_consumer(void)
{
    g_name = ib_test_name("crc");
    indexbus_region *r = ib_test_create(g_name, INDEXBUS_KIND_FANOUT, 16, 64, 2);
    indexbus_producer *p;
    indexbus_router *rt;
    indexbus_consumer *c0, *c1;
    char buf[8];
    size_t len;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_router_open(r, &rt));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c0));
    set_flag(0);
    pid_t pid = ib_spawn(borrower, 0);
    wait_flag(1);
    for (int i = 0; i < 5; i++) {
        CHECK_ST(indexbus_publish(p, &i, 1), INDEXBUS_OK);
        CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_OK);
    }
    wait_flag(2); /* consumer 1 holds message 0 and has 4 queued */
    CHECK_ST(indexbus_consumer_open(r, 1, &c1), INDEXBUS_BUSY);
    kill_child(pid);
    /* consumer 0 still gets everything; the dead one's share comes back */
    for (int i = 0; i < 5; i++) {
        CHECK_ST(indexbus_try_recv(c0, buf, sizeof buf, &len), INDEXBUS_OK);
        CHECK(len == 1 && buf[0] == i);
    }
    indexbus_recover_report rep = recover(r, INDEXBUS_OK);
    CHECK(rep.dead == 1 && rep.dropped == 4);
    CHECK(free_slots(r) == 16); /* nothing leaked: the borrowed slot too */
    /* the index can be attached again and is routed to */
    REQUIRE_OK(indexbus_consumer_open(r, 1, &c1));
    CHECK_ST(indexbus_publish(p, "z", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST), INDEXBUS_OK);
    CHECK_ST(indexbus_try_recv(c1, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 1 && buf[0] == 'z');
    CHECK_ST(indexbus_try_recv(c0, buf, sizeof buf, &len), INDEXBUS_OK);
    indexbus_consumer_close(c1);
    indexbus_consumer_close(c0);
    indexbus_router_close(rt);
    indexbus_producer_close(p);
    CHECK(free_slots(r) == 16);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* child: attaches as consumer 0 of an events region and hangs */
static int idle_consumer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    set_flag(1);
    for (;;)
        pause();
}

static void test_gc_and_reattach(void)
{
    g_name = ib_test_name("crg");
    indexbus_region *r = ib_test_create(g_name, INDEXBUS_KIND_EVENTS, 8, 64, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    set_flag(0);
    pid_t pid = ib_spawn(idle_consumer, 0);
    wait_flag(1);
    CHECK_ST(indexbus_region_gc(g_name), INDEXBUS_BUSY); /* we are alive */
    kill_child(pid);
    /* attaching the dead consumer's index recovers it on the way */
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    indexbus_consumer_close(c);
    /* every consumer gone: the producer is told */
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_DISCONNECTED);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    /* nobody alive: gc removes it */
    set_flag(0);
    pid = ib_spawn(idle_consumer, 0);
    wait_flag(1);
    kill_child(pid);
    CHECK_ST(indexbus_region_gc(g_name), INDEXBUS_OK);
    CHECK_ST(indexbus_region_open(g_name, NULL, &r), INDEXBUS_NOT_FOUND);
}

static const ib_helper helpers[] = {
    IB_HELPER(claimer),
    IB_HELPER(borrower),
    IB_HELPER(idle_consumer),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    g_flag = ib_shared(4096);
    REQUIRE(g_flag != NULL);
    test_dead_producer();
    test_dead_consumer();
    test_gc_and_reattach();
    return ib_test_done("crash/recover");
}
