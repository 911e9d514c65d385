/* consumer.c - consumer API: open (OUT_OF_RANGE, BUSY), try_recv
 * argument checks and BUFFER_TOO_SMALL, zero-copy borrow state machine and
 * slot lifetime, recv_batch packing and partial results, wait/recv
 * timeouts and wake-up, and SPSC/MPSC fairness of events consumers. */
#include <pthread.h>
#include <time.h>

#include "bad_util.h"

#define SLOTS 16u
#define DATA 64u

typedef struct fixture {
    indexbus_region *r;
    indexbus_producer *p; /* SPSC */
    indexbus_producer *m; /* MPSC */
    indexbus_consumer *c;
} fixture;

static fixture setup(const char *tag)
{
    const char *name = ib_test_name(tag);
    fixture f;
    f.r = ib_test_create(name, INDEXBUS_KIND_EVENTS, SLOTS, DATA, 0);
    REQUIRE_OK(indexbus_region_unlink(name));
    REQUIRE_OK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_SPSC, &f.p));
    REQUIRE_OK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_MPSC, &f.m));
    REQUIRE_OK(indexbus_consumer_open(f.r, 0, &f.c));
    return f;
}

static void teardown(fixture *f)
{
    indexbus_consumer_close(f->c);
    indexbus_producer_close(f->m);
    indexbus_producer_close(f->p);
    indexbus_region_close(f->r);
}

static void pub(indexbus_producer *p, const char *s)
{
    REQUIRE_OK(indexbus_publish(p, s, strlen(s)));
}

static void expect_str(indexbus_consumer *c, const char *s)
{
    char buf[DATA + 1];
    size_t len = 0;
    CHECK_ST(indexbus_try_recv(c, buf, DATA, &len), INDEXBUS_OK);
    buf[len <= DATA ? len : DATA] = '\0';
    if (strcmp(buf, s) != 0) {
        fprintf(stderr, "received '%s', want '%s'\n", buf, s);
        ib_test_failures++;
    }
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void test_open(void)
{
    const char *name = ib_test_name("copen");
    indexbus_region *ev = ib_test_create(name, INDEXBUS_KIND_EVENTS, SLOTS, DATA, 0);
    indexbus_consumer *c, *c2 = (indexbus_consumer *)ev;
    REQUIRE_OK(indexbus_region_unlink(name));
    CHECK_ST(indexbus_consumer_open(ev, 1, &c2), INDEXBUS_OUT_OF_RANGE);
    CHECK(c2 == NULL);
    CHECK_ST(indexbus_consumer_open(ev, 0xffffffffu, &c2), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_consumer_open(NULL, 0, &c2), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_consumer_open(ev, 0, NULL), INDEXBUS_INVALID_ARGUMENT);
    REQUIRE_OK(indexbus_consumer_open(ev, 0, &c));
    CHECK_ST(indexbus_consumer_open(ev, 0, &c2), INDEXBUS_BUSY);
    CHECK(c2 == NULL);
    REQUIRE_OK(indexbus_consumer_close(c));
    REQUIRE_OK(indexbus_consumer_open(ev, 0, &c)); /* free again after close */
    indexbus_consumer_close(c);
    CHECK_ST(indexbus_consumer_close(NULL), INDEXBUS_OK);
    indexbus_region_close(ev);

    name = ib_test_name("copenf");
    indexbus_region *fo = ib_test_create(name, INDEXBUS_KIND_FANOUT, SLOTS, DATA, 3);
    REQUIRE_OK(indexbus_region_unlink(name));
    CHECK_ST(indexbus_consumer_open(fo, 3, &c2), INDEXBUS_OUT_OF_RANGE);
    REQUIRE_OK(indexbus_consumer_open(fo, 2, &c));
    CHECK_ST(indexbus_consumer_open(fo, 2, &c2), INDEXBUS_BUSY);
    REQUIRE_OK(indexbus_consumer_open(fo, 0, &c2)); /* other indexes are independent */
    indexbus_consumer_close(c2);
    indexbus_consumer_close(c);
    indexbus_region_close(fo);
}

static void test_try_recv(void)
{
    fixture f = setup("ctry");
    char buf[DATA];
    size_t len = 12345;
    CHECK_ST(indexbus_try_recv(NULL, buf, sizeof buf, &len), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_try_recv(f.c, buf, sizeof buf, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_try_recv(f.c, NULL, 1, &len), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_try_recv(f.c, buf, sizeof buf, &len), INDEXBUS_EMPTY);

    pub(f.p, "0123456789");
    CHECK_ST(indexbus_try_recv(f.c, NULL, 0, &len), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 10);
    len = 0;
    CHECK_ST(indexbus_try_recv(f.c, buf, 9, &len), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 10);
    CHECK(bad_free_slots(f.r) == SLOTS - 1); /* message kept */
    expect_str(f.c, "0123456789");
    CHECK(bad_free_slots(f.r) == SLOTS);

    pub(f.p, "exact");
    CHECK_ST(indexbus_try_recv(f.c, buf, 5, &len), INDEXBUS_OK);
    CHECK(len == 5 && memcmp(buf, "exact", 5) == 0);
    CHECK_ST(indexbus_publish(f.p, NULL, 0), INDEXBUS_OK);
    len = 99;
    CHECK_ST(indexbus_try_recv(f.c, NULL, 0, &len), INDEXBUS_OK); /* zero-length fits anywhere */
    CHECK(len == 0);

    indexbus_consumer_stats cs = {.size = sizeof cs};
    REQUIRE_OK(indexbus_region_consumer_stats(f.r, 0, &cs));
    CHECK(cs.delivered == 3 && cs.depth == 0 && cs.attached == 1);
    teardown(&f);
}

static void test_borrow(void)
{
    fixture f = setup("cborrow");
    const void *data = NULL;
    size_t len = 0;
    char buf[DATA];
    uint32_t lens[4];
    size_t count;
    CHECK_ST(indexbus_recv_begin(NULL, &data, &len), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_begin(f.c, NULL, &len), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_begin(f.c, &data, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_end(NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_end(f.c), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_begin(f.c, &data, &len), INDEXBUS_EMPTY);

    pub(f.p, "zero-copy!");
    pub(f.m, "second");
    CHECK(bad_free_slots(f.r) == SLOTS - 2);
    REQUIRE_OK(indexbus_recv_begin(f.c, &data, &len));
    CHECK(len == 10 && memcmp(data, "zero-copy!", 10) == 0);
    CHECK_ST(indexbus_try_recv(f.c, buf, sizeof buf, &len), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_begin(f.c, &data, &len), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 4, &count), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_wait(f.c, 0), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv(f.c, buf, sizeof buf, &len, 0), INDEXBUS_BAD_STATE);
    CHECK(memcmp(data, "zero-copy!", 10) == 0); /* still ours */
    CHECK(bad_free_slots(f.r) == SLOTS - 2);    /* slot held until recv_end */
    CHECK_ST(indexbus_recv_end(f.c), INDEXBUS_OK);
    CHECK(bad_free_slots(f.r) == SLOTS - 1);
    CHECK_ST(indexbus_recv_end(f.c), INDEXBUS_BAD_STATE);

    /* closing with a borrow pending ends it */
    REQUIRE_OK(indexbus_recv_begin(f.c, &data, &len));
    CHECK(len == 6 && memcmp(data, "second", 6) == 0);
    CHECK(bad_free_slots(f.r) == SLOTS - 1);
    REQUIRE_OK(indexbus_consumer_close(f.c));
    CHECK(bad_free_slots(f.r) == SLOTS);
    REQUIRE_OK(indexbus_consumer_open(f.r, 0, &f.c));
    CHECK_ST(indexbus_try_recv(f.c, buf, sizeof buf, &len), INDEXBUS_EMPTY); /* it was taken */
    teardown(&f);
}

static void test_recv_batch(void)
{
    fixture f = setup("cbatch");
    char buf[64];
    uint32_t lens[8];
    size_t count = 99;
    CHECK_ST(indexbus_recv_batch(NULL, buf, sizeof buf, lens, 8, &count),
             INDEXBUS_INVALID_ARGUMENT);
    CHECK(count == 0);
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, NULL, 8, &count), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 0, &count), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 8, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv_batch(f.c, NULL, 4, lens, 8, &count), INDEXBUS_INVALID_ARGUMENT);
    count = 99;
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 8, &count), INDEXBUS_EMPTY);
    CHECK(count == 0);

    /* packing: back to back, zero-length included */
    pub(f.p, "alpha");
    CHECK_ST(indexbus_publish(f.p, NULL, 0), INDEXBUS_OK);
    pub(f.p, "0123456789");
    pub(f.p, "xyz");
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 8, &count), INDEXBUS_OK);
    CHECK(count == 4 && lens[0] == 5 && lens[1] == 0 && lens[2] == 10 && lens[3] == 3);
    CHECK(memcmp(buf, "alpha0123456789xyz", 18) == 0);
    CHECK(bad_free_slots(f.r) == SLOTS);

    /* first message does not fit: count 0, lens[0] = its size, message kept */
    pub(f.p, "twenty-bytes-long!!!");
    lens[0] = 0;
    CHECK_ST(indexbus_recv_batch(f.c, buf, 10, lens, 8, &count), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(count == 0 && lens[0] == 20);
    CHECK(bad_free_slots(f.r) == SLOTS - 1);
    CHECK_ST(indexbus_recv_batch(f.c, buf, 20, lens, 8, &count), INDEXBUS_OK);
    CHECK(count == 1 && lens[0] == 20 && memcmp(buf, "twenty-bytes-long!!!", 20) == 0);

    /* later ones do not fit: partial, the rest stay queued */
    pub(f.p, "aaaaaa");
    pub(f.p, "bbbbbb");
    pub(f.p, "cccccc");
    CHECK_ST(indexbus_recv_batch(f.c, buf, 14, lens, 8, &count), INDEXBUS_OK);
    CHECK(count == 2 && lens[0] == 6 && lens[1] == 6 && memcmp(buf, "aaaaaabbbbbb", 12) == 0);
    expect_str(f.c, "cccccc");

    /* max_msgs caps the count */
    for (int i = 0; i < 5; i++)
        pub(f.p, "m");
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 3, &count), INDEXBUS_OK);
    CHECK(count == 3);
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 1, &count), INDEXBUS_OK);
    CHECK(count == 1 && lens[0] == 1 && buf[0] == 'm');
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 8, &count), INDEXBUS_OK);
    CHECK(count == 1);
    CHECK(bad_free_slots(f.r) == SLOTS);

    /* drained and every producer gone: DISCONNECTED */
    indexbus_producer_close(f.p);
    indexbus_producer_close(f.m);
    f.p = f.m = NULL;
    CHECK_ST(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 8, &count), INDEXBUS_DISCONNECTED);
    CHECK(count == 0);
    teardown(&f);
}

static indexbus_producer *late_producer;

static void *publish_later(void *arg)
{
    (void)arg;
    struct timespec nap = {0, 20000000}; /* 20 ms: the receiver parks first */
    nanosleep(&nap, NULL);
    CHECK_ST(indexbus_publish(late_producer, "late", 4), INDEXBUS_OK);
    return NULL;
}

static void test_wait_and_timeouts(void)
{
    fixture f = setup("cwait");
    char buf[DATA];
    size_t len;
    CHECK_ST(indexbus_wait(NULL, 0), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_recv(NULL, buf, sizeof buf, &len, 0), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_wait(f.c, 0), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_recv(f.c, buf, sizeof buf, &len, 0), INDEXBUS_TIMEOUT);
    const uint64_t timeouts[] = {1000, 1000000, 5000000};
    for (size_t i = 0; i < 3; i++) {
        uint64_t t0 = now_ns();
        CHECK_ST(indexbus_wait(f.c, timeouts[i]), INDEXBUS_TIMEOUT);
        CHECK_ST(indexbus_recv(f.c, buf, sizeof buf, &len, timeouts[i]), INDEXBUS_TIMEOUT);
        uint64_t took = now_ns() - t0;
        CHECK(took >= timeouts[i]);
        CHECK(took < 1000000000u); /* a small timeout stays small */
    }

    /* wait does not take the message; recv does */
    pub(f.m, "here");
    CHECK_ST(indexbus_wait(f.c, 0), INDEXBUS_OK);
    CHECK_ST(indexbus_wait(f.c, 1000000), INDEXBUS_OK);
    CHECK_ST(indexbus_recv(f.c, buf, 2, &len, 0), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 4);
    CHECK_ST(indexbus_recv(f.c, buf, sizeof buf, &len, 0), INDEXBUS_OK);
    CHECK(len == 4 && memcmp(buf, "here", 4) == 0);
    CHECK_ST(indexbus_wait(f.c, 0), INDEXBUS_TIMEOUT);

    /* a parked receiver is woken by a publish from another thread */
    pthread_t t;
    late_producer = f.m;
    REQUIRE(pthread_create(&t, NULL, publish_later, NULL) == 0);
    CHECK_ST(indexbus_recv(f.c, buf, sizeof buf, &len, 2000000000ull), INDEXBUS_OK);
    CHECK(len == 4 && memcmp(buf, "late", 4) == 0);
    pthread_join(t, NULL);

    /* every producer closed and drained: DISCONNECTED, not TIMEOUT */
    indexbus_producer_close(f.p);
    indexbus_producer_close(f.m);
    f.p = f.m = NULL;
    CHECK_ST(indexbus_wait(f.c, 1000000), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_recv(f.c, buf, sizeof buf, &len, 1000000), INDEXBUS_DISCONNECTED);
    teardown(&f);
}

/* With both producer queues non-empty an events consumer alternates. */
static void test_fairness(void)
{
    fixture f = setup("cfair");
    char buf[DATA];
    uint32_t lens[8];
    size_t len, count;
    for (int i = 0; i < 4; i++) {
        char s[16];
        snprintf(s, sizeof s, "s%d", i);
        pub(f.p, s);
        snprintf(s, sizeof s, "m%d", i);
        pub(f.m, s);
    }
    char prev = 0;
    int next_s = 0, next_m = 0;
    for (int i = 0; i < 8; i++) {
        REQUIRE_OK(indexbus_try_recv(f.c, buf, sizeof buf, &len));
        REQUIRE(len == 2 && (buf[0] == 's' || buf[0] == 'm'));
        CHECK(buf[0] != prev); /* never twice in a row from the same queue */
        int *next = buf[0] == 's' ? &next_s : &next_m;
        CHECK(buf[1] - '0' == *next); /* in order within each queue */
        (*next)++;
        prev = buf[0];
    }
    CHECK(next_s == 4 && next_m == 4);

    /* one queue empty: the other is drained back to back */
    pub(f.m, "m4");
    pub(f.m, "m5");
    expect_str(f.c, "m4");
    expect_str(f.c, "m5");

    /* recv_batch alternates too */
    pub(f.p, "s4");
    pub(f.p, "s5");
    pub(f.m, "m6");
    pub(f.m, "m7");
    REQUIRE_OK(indexbus_recv_batch(f.c, buf, sizeof buf, lens, 8, &count));
    CHECK(count == 4);
    for (size_t i = 1; i < count; i++)
        CHECK(buf[2 * i] != buf[2 * i - 2]);
    teardown(&f);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    test_open();
    test_try_recv();
    test_borrow();
    test_recv_batch();
    test_wait_and_timeouts();
    test_fairness();
    return ib_test_done("consumer");
}
