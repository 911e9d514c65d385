/* producer.c - producer API: open arguments, SPSC exclusivity, many
 * MPSC producers, publish argument checks and sizes, the claim/commit/abort
 * state machine, publish_batch (full, partial, TOO_LARGE mid-batch), pool
 * exhaustion and DISCONNECTED once the only consumer closed. */
#include "bad_util.h"

#define SLOTS 8u
#define DATA 64u

static indexbus_region *events(const char *tag, uint32_t slots, uint32_t queue)
{
    const char *name = ib_test_name(tag);
    indexbus_region_config cfg;
    indexbus_region *r;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    cfg.slot_count = slots;
    cfg.queue_capacity = queue;
    cfg.slot_data_size = DATA;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    REQUIRE_OK(indexbus_region_unlink(name)); /* the mapping is all we need */
    return r;
}

/* The next message must be exactly len bytes of data. */
static void expect_msg(indexbus_consumer *c, const void *data, size_t len)
{
    uint8_t buf[DATA];
    size_t got = 0;
    int st = indexbus_try_recv(c, buf, sizeof buf, &got);
    CHECK_ST(st, INDEXBUS_OK);
    if (st == INDEXBUS_OK) {
        CHECK(got == len);
        CHECK(got != len || len == 0 || memcmp(buf, data, len) == 0);
    }
}

static void expect_empty(indexbus_consumer *c)
{
    uint8_t buf[DATA];
    size_t got;
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &got), INDEXBUS_EMPTY);
}

static void test_open_args(void)
{
    indexbus_region *r = events("popen", SLOTS, SLOTS);
    indexbus_producer *p = (indexbus_producer *)r;
    CHECK_ST(indexbus_producer_open(r, 0, &p), INDEXBUS_INVALID_ARGUMENT);
    CHECK(p == NULL);
    CHECK_ST(indexbus_producer_open(r, 3, &p), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_producer_open(r, 0xffffffffu, &p), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_producer_open(NULL, INDEXBUS_PRODUCER_SPSC, &p), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_producer_close(NULL), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(NULL, "x", 1), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_commit(NULL, 1), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_abort(NULL), INDEXBUS_INVALID_ARGUMENT);
    void *buf;
    CHECK_ST(indexbus_claim(NULL, &buf, NULL), INDEXBUS_INVALID_ARGUMENT);
    indexbus_region_close(r);
}

static void test_spsc_exclusive_mpsc_many(void)
{
    indexbus_region *r = events("pexcl", SLOTS, SLOTS);
    indexbus_producer *s1, *s2 = (indexbus_producer *)r, *m[SLOTS];
    indexbus_consumer *c;
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &s1));
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &s2), INDEXBUS_BUSY);
    CHECK(s2 == NULL);
    for (uint32_t i = 0; i < SLOTS; i++)
        REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &m[i]));
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.producers_live == SLOTS + 1);
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &s2), INDEXBUS_BUSY);
    for (uint32_t i = 0; i < SLOTS; i++)
        CHECK_ST(indexbus_publish(m[i], &i, sizeof i), INDEXBUS_OK);
    for (uint32_t i = 0; i < SLOTS; i++)
        expect_msg(c, &i, sizeof i);
    for (uint32_t i = 0; i < SLOTS; i++)
        REQUIRE_OK(indexbus_producer_close(m[i]));

    REQUIRE_OK(indexbus_producer_close(s1));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &s2));
    CHECK_ST(indexbus_publish(s2, "again", 5), INDEXBUS_OK);
    expect_msg(c, "again", 5);
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.producers_live == 1);
    indexbus_producer_close(s2);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

static void test_publish_sizes(uint32_t type)
{
    indexbus_region *r = events("psize", SLOTS, SLOTS);
    indexbus_producer *p;
    indexbus_consumer *c;
    uint8_t full[DATA + 1];
    for (size_t i = 0; i < sizeof full; i++)
        full[i] = (uint8_t)(i * 7 + 1);
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, NULL, 5), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_publish(p, full, DATA + 1), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_publish(p, full, (size_t)-1), INDEXBUS_TOO_LARGE);
    CHECK(bad_free_slots(r) == SLOTS); /* refusals took no slot */
    CHECK_ST(indexbus_publish(p, full, DATA), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, NULL, 0), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, full, 1), INDEXBUS_OK);
    expect_msg(c, full, DATA);
    expect_msg(c, NULL, 0);
    expect_msg(c, full, 1);
    expect_empty(c);
    CHECK(bad_free_slots(r) == SLOTS);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

static void test_claim_state_machine(uint32_t type)
{
    indexbus_region *r = events("pclaim", SLOTS, SLOTS);
    indexbus_producer *p;
    indexbus_consumer *c;
    void *buf = NULL, *buf2 = NULL;
    size_t cap = 0, published = 99;
    uint32_t len1 = 1;
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));

    CHECK_ST(indexbus_commit(p, 0), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_abort(p), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_claim(p, NULL, &cap), INDEXBUS_INVALID_ARGUMENT);
    CHECK(bad_free_slots(r) == SLOTS);

    REQUIRE_OK(indexbus_claim(p, &buf, &cap));
    CHECK(buf != NULL && cap == DATA);
    CHECK(bad_free_slots(r) == SLOTS - 1);
    CHECK_ST(indexbus_claim(p, &buf2, &cap), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_publish_batch(p, "x", &len1, 1, &published), INDEXBUS_BAD_STATE);
    CHECK(published == 0);
    memcpy(buf, "claimed-data", 12);
    CHECK_ST(indexbus_commit(p, DATA + 1), INDEXBUS_TOO_LARGE);
    CHECK(bad_free_slots(r) == SLOTS - 1); /* claim kept */
    expect_empty(c);
    CHECK_ST(indexbus_commit(p, 12), INDEXBUS_OK);
    expect_msg(c, "claimed-data", 12);
    CHECK(bad_free_slots(r) == SLOTS);
    CHECK_ST(indexbus_commit(p, 1), INDEXBUS_BAD_STATE);

    /* abort gives the slot back, unpublished */
    REQUIRE_OK(indexbus_claim(p, &buf, NULL));
    CHECK(bad_free_slots(r) == SLOTS - 1);
    CHECK_ST(indexbus_abort(p), INDEXBUS_OK);
    CHECK(bad_free_slots(r) == SLOTS);
    CHECK_ST(indexbus_abort(p), INDEXBUS_BAD_STATE);
    expect_empty(c);

    /* a full-size zero-copy message */
    REQUIRE_OK(indexbus_claim(p, &buf, &cap));
    memset(buf, 0x5a, cap);
    CHECK_ST(indexbus_commit(p, cap), INDEXBUS_OK);
    uint8_t want[DATA];
    memset(want, 0x5a, sizeof want);
    expect_msg(c, want, DATA);

    /* close with a claim pending aborts it */
    REQUIRE_OK(indexbus_claim(p, &buf, NULL));
    CHECK(bad_free_slots(r) == SLOTS - 1);
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK(bad_free_slots(r) == SLOTS);
    uint8_t tmp[DATA];
    size_t got;
    CHECK_ST(indexbus_try_recv(c, tmp, sizeof tmp, &got), INDEXBUS_DISCONNECTED); /* nothing sent */
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

/* MPSC queue shorter than the pool: commit says FULL and keeps the claim. */
static void test_mpsc_commit_full_keeps_claim(void)
{
    indexbus_region *r = events("pmfull", SLOTS, 2);
    indexbus_producer *p;
    indexbus_consumer *c;
    void *buf;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, "a", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, "b", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, "c", 1), INDEXBUS_FULL);
    CHECK(bad_free_slots(r) == SLOTS - 2); /* the failed publish returned its slot */
    REQUIRE_OK(indexbus_claim(p, &buf, NULL));
    memcpy(buf, "d", 1);
    CHECK_ST(indexbus_commit(p, 1), INDEXBUS_FULL);
    CHECK(bad_free_slots(r) == SLOTS - 3);
    expect_msg(c, "a", 1);
    CHECK_ST(indexbus_commit(p, 1), INDEXBUS_OK);
    expect_msg(c, "b", 1);
    expect_msg(c, "d", 1);
    expect_empty(c);
    CHECK(bad_free_slots(r) == SLOTS);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

/* Pack lens.size messages into buf: message i is lens[i] bytes of i + 1. */
static size_t pack(uint8_t *buf, const uint32_t *lens, size_t n)
{
    size_t off = 0;
    for (size_t i = 0; i < n; i++) {
        memset(buf + off, (int)(i + 1), lens[i] > DATA ? DATA : lens[i]);
        off += lens[i] > DATA ? DATA : lens[i];
    }
    return off;
}

static void expect_packed(indexbus_consumer *c, const uint32_t *lens, size_t n)
{
    uint8_t want[DATA];
    for (size_t i = 0; i < n; i++) {
        memset(want, (int)(i + 1), lens[i]);
        expect_msg(c, want, lens[i]);
    }
}

static void test_publish_batch(uint32_t type)
{
    indexbus_region *r = events("pbatch", SLOTS, SLOTS);
    indexbus_producer *p;
    indexbus_consumer *c;
    uint8_t data[DATA * 16];
    size_t published = 99;
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));

    const uint32_t lens[] = {0, 1, DATA, 7, 33};
    pack(data, lens, 5);
    CHECK_ST(indexbus_publish_batch(NULL, data, lens, 5, &published), INDEXBUS_INVALID_ARGUMENT);
    CHECK(published == 0);
    CHECK_ST(indexbus_publish_batch(p, data, NULL, 5, &published), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_publish_batch(p, NULL, lens, 5, &published), INDEXBUS_INVALID_ARGUMENT);
    published = 99;
    CHECK_ST(indexbus_publish_batch(p, NULL, lens, 0, &published), INDEXBUS_OK);
    CHECK(published == 0);
    expect_empty(c);

    CHECK_ST(indexbus_publish_batch(p, data, lens, 5, &published), INDEXBUS_OK);
    CHECK(published == 5);
    expect_packed(c, lens, 5);
    expect_empty(c);
    CHECK_ST(indexbus_publish_batch(p, data, lens, 2, NULL), INDEXBUS_OK); /* published optional */
    expect_packed(c, lens, 2);

    /* the pool runs out: exactly SLOTS go out, in order, then FULL */
    uint32_t many[SLOTS + 4];
    for (size_t i = 0; i < SLOTS + 4; i++)
        many[i] = (uint32_t)(i % 5 + 1);
    pack(data, many, SLOTS + 4);
    CHECK_ST(indexbus_publish_batch(p, data, many, SLOTS + 4, &published), INDEXBUS_FULL);
    CHECK(published == SLOTS);
    CHECK(bad_free_slots(r) == 0);
    expect_packed(c, many, SLOTS);
    expect_empty(c);
    CHECK(bad_free_slots(r) == SLOTS);

    /* TOO_LARGE in the middle stops at that message */
    const uint32_t big[] = {3, 4, DATA + 1, 5};
    pack(data, big, 4);
    CHECK_ST(indexbus_publish_batch(p, data, big, 4, &published), INDEXBUS_TOO_LARGE);
    CHECK(published == 2);
    expect_packed(c, big, 2);
    expect_empty(c);
    CHECK(bad_free_slots(r) == SLOTS);

    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.published == 5 + 2 + SLOTS + 2);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

/* MPSC batch into a queue shorter than the pool: stops when the queue is full. */
static void test_mpsc_batch_queue_full(void)
{
    indexbus_region *r = events("pbq", SLOTS, 4);
    indexbus_producer *p;
    indexbus_consumer *c;
    uint8_t data[DATA * 8];
    uint32_t lens[6] = {1, 2, 3, 4, 5, 6};
    size_t published = 0;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    pack(data, lens, 6);
    CHECK_ST(indexbus_publish_batch(p, data, lens, 6, &published), INDEXBUS_FULL);
    CHECK(published == 4);
    CHECK(bad_free_slots(r) == SLOTS - 4);
    expect_packed(c, lens, 4);
    expect_empty(c);
    CHECK(bad_free_slots(r) == SLOTS);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

static void test_pool_exhaustion(uint32_t type)
{
    indexbus_region *r = events("pexh", SLOTS, SLOTS);
    indexbus_producer *p;
    indexbus_consumer *c;
    void *buf;
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    for (uint32_t i = 0; i < SLOTS; i++)
        CHECK_ST(indexbus_publish(p, &i, sizeof i), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_FULL);
    CHECK_ST(indexbus_claim(p, &buf, NULL), INDEXBUS_FULL);
    CHECK_ST(indexbus_commit(p, 1), INDEXBUS_BAD_STATE); /* the failed claim left no claim */
    CHECK(bad_free_slots(r) == 0);
    uint32_t first = 0;
    expect_msg(c, &first, sizeof first);
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_OK);
    for (uint32_t i = 1; i < SLOTS; i++)
        expect_msg(c, &i, sizeof i);
    expect_msg(c, "x", 1);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

static void test_disconnected(uint32_t kind, uint32_t type)
{
    const char *name = ib_test_name("pdisc");
    indexbus_region *r = ib_test_create(name, kind, SLOTS, DATA, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    void *buf;
    size_t published = 99;
    uint32_t len1 = 1;
    REQUIRE_OK(indexbus_region_unlink(name));
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    /* no consumer ever attached: publishing is fine (messages wait) */
    CHECK_ST(indexbus_publish(p, "early", 5), INDEXBUS_OK);
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_OK);
    REQUIRE_OK(indexbus_consumer_close(c));
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_claim(p, &buf, NULL), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_publish_batch(p, "x", &len1, 1, &published), INDEXBUS_DISCONNECTED);
    CHECK(published == 0);
    /* a consumer coming back reconnects the producer */
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, "y", 1), INDEXBUS_OK);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(r);
}

/* indexbus_producer_space (1.1) on a slot region: free cells of the
 * producer's queue, as the reader has freed them by now; claim_len's bound
 * is the slot. */
static void test_space_and_claim_len(uint32_t type)
{
    indexbus_region *r = events("space", 16, 8);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, type, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint64_t space = 0;
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 8);
    for (int i = 0; i < 3; i++)
        CHECK_ST(indexbus_publish(p, "abc", 3), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 5);
    for (int i = 0; i < 3; i++)
        expect_msg(c, "abc", 3);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 8);
    void *buf;
    CHECK_ST(indexbus_claim_len(p, 65, &buf), INDEXBUS_TOO_LARGE); /* slot data is 64 */
    CHECK_ST(indexbus_claim_len(p, 64, &buf), INDEXBUS_OK);
    memcpy(buf, "xy", 2);
    CHECK_ST(indexbus_commit(p, 2), INDEXBUS_OK);
    expect_msg(c, "xy", 2);
    CHECK_ST(indexbus_claim_batch(p, (uint32_t[]){1}, 1, &buf), INDEXBUS_WRONG_KIND);
    CHECK_ST(indexbus_commit_batch(p, 0), INDEXBUS_WRONG_KIND);
    /* slots run out before the queues do: 16 slots, queues of 16 */
    indexbus_region *r2 = events("space2", 16, 16);
    indexbus_producer *sp, *other;
    REQUIRE_OK(indexbus_producer_open(r2, INDEXBUS_PRODUCER_SPSC, &sp));
    REQUIRE_OK(indexbus_producer_open(r2, INDEXBUS_PRODUCER_MPSC, &other));
    for (int i = 0; i < 12; i++)
        CHECK_ST(indexbus_publish(other, "o", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_space(other, &space), INDEXBUS_OK);
    CHECK(space == 4); /* 4 cells of 16 free, 4 slots */
    CHECK_ST(indexbus_producer_space(sp, &space), INDEXBUS_OK);
    CHECK(space == 4); /* 16 cells free, 4 slots */
    for (int i = 0; i < 4; i++)
        CHECK_ST(indexbus_publish(sp, "s", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_producer_space(sp, &space), INDEXBUS_OK);
    CHECK(space == 0);
    CHECK_ST(indexbus_publish(sp, "s", 1), INDEXBUS_FULL);
    indexbus_producer_close(sp);
    indexbus_region_close(r2);
    indexbus_producer_close(other);
    CHECK_ST(indexbus_producer_space(NULL, &space), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_producer_space(p, NULL), INDEXBUS_INVALID_ARGUMENT);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    static const uint32_t types[] = {INDEXBUS_PRODUCER_SPSC, INDEXBUS_PRODUCER_MPSC};
    test_open_args();
    test_spsc_exclusive_mpsc_many();
    test_mpsc_commit_full_keeps_claim();
    test_mpsc_batch_queue_full();
    for (int i = 0; i < 2; i++) {
        test_publish_sizes(types[i]);
        test_claim_state_machine(types[i]);
        test_publish_batch(types[i]);
        test_pool_exhaustion(types[i]);
        test_disconnected(INDEXBUS_KIND_EVENTS, types[i]);
        test_disconnected(INDEXBUS_KIND_FANOUT, types[i]);
        test_space_and_claim_len(types[i]);
    }
    return ib_test_done("producer");
}
