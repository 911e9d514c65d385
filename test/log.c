/* log.c - byte-log regions (LAYOUT.md 4.9, 5.17) in one process: records
 * of every length 0..max_record round trip byte for byte, also across the
 * wrap; claim_len, a shorter commit, abort, the batch claim and its partial
 * commit; FULL, TOO_LARGE, BAD_STATE, WRONG_KIND; the free space; info;
 * the producer kinds exclude each other; 1.0-sized structs still work; the
 * header is checked (a byte log without its incompat bit is CORRUPT). */
#include "mp_util.h"

#define RING 4096u
#define MAXREC 1000u

static void expect_record(indexbus_consumer *c, uint64_t tag, uint64_t seq, size_t len)
{
    uint8_t buf[MAXREC + 8];
    size_t got = 0;
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &got), INDEXBUS_OK);
    CHECK(mp_check_fill(buf, got, tag, seq, len));
}

/* Every length 0..MAXREC, in an order that lands records on every offset
 * of the ring, several laps: each comes back exactly. */
static void every_length(void)
{
    const char *name = ib_test_name("log-len");
    indexbus_region *r = mp_create_log(name, RING, MAXREC);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint8_t msg[MAXREC];
    for (uint32_t i = 0; i <= MAXREC; i++) {
        size_t len = (i * 37u) % (MAXREC + 1);
        mp_fill(msg, 7, i, len);
        CHECK_ST(indexbus_publish(p, msg, len), INDEXBUS_OK);
        expect_record(c, 7, i, len);
    }
    indexbus_info info = mp_info(r);
    CHECK(info.kind == INDEXBUS_KIND_LOG && info.layout_major == 1 && info.layout_minor == 1);
    CHECK(info.capabilities == (INDEXBUS_CAP_MPSC | INDEXBUS_CAP_BLOCKING | INDEXBUS_CAP_COUNTERS |
                                INDEXBUS_CAP_PARTICIPANTS | INDEXBUS_CAP_LOG | INDEXBUS_CAP_BYTE_LOG));
    CHECK(info.byte_capacity == RING && info.max_record == MAXREC);
    CHECK(info.published == MAXREC + 1);
    CHECK(info.records_waiting == 0);
    CHECK_ST(indexbus_try_recv(c, msg, sizeof msg, &(size_t){0}), INDEXBUS_EMPTY);
    indexbus_producer_close(p);
    CHECK_ST(indexbus_try_recv(c, msg, sizeof msg, &(size_t){0}), INDEXBUS_DISCONNECTED);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* Fill the ring without reading: FULL at the byte the geometry predicts,
 * the free space says so, and a record that would straddle the end waits
 * behind a pad at the wrap. */
static void full_and_wrap(void)
{
    const char *name = ib_test_name("log-full");
    indexbus_region *r = mp_create_log(name, RING, MAXREC);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint64_t space = 0;
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == RING);
    uint8_t msg[MAXREC];
    /* 56-byte payloads: 64-byte records, 64 fill the ring exactly */
    uint32_t n = 0;
    for (; n < 100; n++) {
        mp_fill(msg, 3, n, 56);
        int st = indexbus_publish(p, msg, 56);
        if (st != INDEXBUS_OK) {
            CHECK_ST(st, INDEXBUS_FULL);
            break;
        }
    }
    CHECK(n == RING / 64);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 0);
    indexbus_info info = mp_info(r);
    CHECK(info.bytes_used == RING && info.bytes_free == 0 && info.records_waiting == n);
    /* read 3 (192 bytes); they come back only once a quarter of the ring
     * is read or the ring is empty, so the producer still sees it full */
    for (uint32_t i = 0; i < 3; i++)
        expect_record(c, 3, i, 56);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == 0);
    for (uint32_t i = 3; i < 16; i++) /* 16 * 64 = a quarter */
        expect_record(c, 3, i, 56);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == RING / 4);
    mp_fill(msg, 4, 0, 56);
    CHECK_ST(indexbus_publish(p, msg, 56), INDEXBUS_OK); /* offset 0 of the second lap */
    for (uint32_t i = 16; i < n; i++)
        expect_record(c, 3, i, 56);
    expect_record(c, 4, 0, 56);
    CHECK_ST(indexbus_try_recv(c, msg, sizeof msg, &(size_t){0}), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == RING);
    /* now at offset 64: 4032 bytes to the end, and 1000-byte records take
     * 1008 bytes: four fit exactly, no pad */
    for (uint32_t i = 0; i < 4; i++) {
        mp_fill(msg, 5, i, 1000);
        CHECK_ST(indexbus_publish(p, msg, 1000), INDEXBUS_OK);
    }
    info = mp_info(r);
    CHECK(info.bytes_used == 4 * 1008 && info.bytes_padding == 0 && info.records_waiting == 4);
    for (uint32_t i = 0; i < 2; i++)
        expect_record(c, 5, i, 1000);
    CHECK_ST(indexbus_try_recv(c, msg, 0, &(size_t){0}), INDEXBUS_BUFFER_TOO_SMALL);
    for (uint32_t i = 2; i < 4; i++)
        expect_record(c, 5, i, 1000);
    CHECK_ST(indexbus_try_recv(c, msg, sizeof msg, &(size_t){0}), INDEXBUS_EMPTY);
    /* back at offset 0 */
    CHECK_ST(indexbus_publish(p, msg, MAXREC + 1), INDEXBUS_TOO_LARGE);
    for (uint32_t i = 0; i < 3; i++) { /* 3 * 1008 = 3024: offsets 0..3024 */
        mp_fill(msg, 6, i, 1000);
        CHECK_ST(indexbus_publish(p, msg, 1000), INDEXBUS_OK);
    }
    for (uint32_t i = 0; i < 3; i++)
        expect_record(c, 6, i, 1000);
    CHECK_ST(indexbus_try_recv(c, msg, sizeof msg, &(size_t){0}), INDEXBUS_EMPTY); /* all back */
    /* 1072 bytes left to the end: one 1008-byte record fits there; the
     * next would straddle, so a 64-byte pad fills the end and it goes to 0 */
    mp_fill(msg, 8, 0, 1000);
    CHECK_ST(indexbus_publish(p, msg, 1000), INDEXBUS_OK); /* 3024..4032 */
    mp_fill(msg, 8, 1, 1000);
    CHECK_ST(indexbus_publish(p, msg, 1000), INDEXBUS_OK); /* pad 4032..4096, then 0..1008 */
    info = mp_info(r);
    CHECK(info.bytes_padding == 64 && info.records_waiting == 2 && info.bytes_used == 1008 + 64 + 1008);
    expect_record(c, 8, 0, 1000);
    expect_record(c, 8, 1, 1000);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* One batch receive over a full ring: the 64 records once each, then
 * EMPTY; what lies after them is the batch's own lap, not yet zeroed. */
static void full_ring_batch(void)
{
    const char *name = ib_test_name("log-fullbatch");
    indexbus_region *r = mp_create_log(name, RING, MAXREC);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint8_t msg[56];
    for (uint32_t i = 0; i < RING / 64; i++) {
        mp_fill(msg, 11, i, sizeof msg);
        CHECK_ST(indexbus_publish(p, msg, sizeof msg), INDEXBUS_OK);
    }
    static uint8_t out[RING];
    uint32_t lens[RING / 64 + 1];
    size_t count = 0;
    CHECK_ST(indexbus_recv_batch(c, out, sizeof out, lens, RING / 64 + 1, &count), INDEXBUS_OK);
    CHECK(count == RING / 64);
    for (uint32_t i = 0; i < count && i < RING / 64; i++)
        CHECK(lens[i] == 56 && mp_check_fill(out + 56 * i, 56, 11, i, 56));
    CHECK_ST(indexbus_recv_batch(c, out, sizeof out, lens, 1, &count), INDEXBUS_EMPTY);
    indexbus_info info = mp_info(r);
    CHECK(info.bytes_used == 0 && info.records_waiting == 0);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* claim_len, a shorter commit, abort, zero-length records, the claim that
 * indexbus_claim makes on a byte log, and the states they refuse. */
static void claims(void)
{
    const char *name = ib_test_name("log-claim");
    indexbus_region *r = mp_create_log(name, RING, MAXREC);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    void *buf;
    size_t cap = 0;
    CHECK_ST(indexbus_claim_len(p, MAXREC + 1, &buf), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_commit(p, 0), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_abort(p), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_claim_len(p, 100, &buf), INDEXBUS_OK);
    CHECK_ST(indexbus_claim_len(p, 100, &buf), INDEXBUS_BAD_STATE);
    mp_fill(buf, 1, 1, 100);
    CHECK_ST(indexbus_commit(p, 101), INDEXBUS_TOO_LARGE); /* kept */
    CHECK_ST(indexbus_commit(p, 40), INDEXBUS_OK);         /* 64 bytes of pad follow */
    CHECK_ST(indexbus_claim_len(p, 30, &buf), INDEXBUS_OK);
    CHECK_ST(indexbus_abort(p), INDEXBUS_OK);
    CHECK_ST(indexbus_claim(p, &buf, &cap), INDEXBUS_OK);
    CHECK(cap == MAXREC);
    mp_fill(buf, 2, 2, 3);
    CHECK_ST(indexbus_commit(p, 3), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, NULL, 0), INDEXBUS_OK);
    indexbus_info info = mp_info(r);
    CHECK(info.records_waiting == 3);
    CHECK(info.bytes_padding == 64 + 40 + 992); /* 112-48, 40, 1008-16 */
    expect_record(c, 1, 1, 40);
    expect_record(c, 2, 2, 3);
    uint8_t b[8];
    size_t len = 99;
    CHECK_ST(indexbus_try_recv(c, b, sizeof b, &len), INDEXBUS_OK);
    CHECK(len == 0);
    /* borrow: in place, until recv_end */
    mp_fill(b, 9, 9, 8);
    CHECK_ST(indexbus_publish(p, b, 8), INDEXBUS_OK);
    const void *d;
    CHECK_ST(indexbus_recv_begin(c, &d, &len), INDEXBUS_OK);
    CHECK(len == 8 && mp_check_fill(d, len, 9, 9, 8));
    CHECK_ST(indexbus_try_recv(c, b, sizeof b, &len), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_recv_end(c), INDEXBUS_OK);
    CHECK_ST(indexbus_recv_end(c), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_claim_batch(p, (uint32_t[]){1}, 1, &buf), INDEXBUS_OK);
    CHECK_ST(indexbus_commit(p, 1), INDEXBUS_BAD_STATE); /* a batch: commit_batch */
    CHECK_ST(indexbus_commit_batch(p, 2), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_commit_batch(p, 0), INDEXBUS_OK); /* all padding */
    CHECK_ST(indexbus_try_recv(c, b, sizeof b, &len), INDEXBUS_EMPTY);
    /* a consumer about to park gives back what it read first: a producer
     * waiting for room would otherwise wait on a sleeping consumer */
    uint64_t space = 0;
    CHECK_ST(indexbus_publish(p, b, 8), INDEXBUS_OK);
    CHECK_ST(indexbus_recv_begin(c, &d, &len), INDEXBUS_OK);
    CHECK_ST(indexbus_recv_end(c), INDEXBUS_OK); /* 16 bytes read, not given back */
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == RING - 16);
    CHECK_ST(indexbus_wait(c, 1000000), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_producer_space(p, &space), INDEXBUS_OK);
    CHECK(space == RING);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* The in-place batch claim: one reservation, filled in place, invisible
 * until commit_batch publishes n of them with one store; recv_batch reads
 * them back in order. */
static void batches(void)
{
    const char *name = ib_test_name("log-batch");
    indexbus_region *r = mp_create_log(name, RING, MAXREC);
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    uint32_t lens[5] = {0, 1, 7, 8, 300};
    void *bufs[5];
    CHECK_ST(indexbus_claim_batch(p, lens, 5, bufs), INDEXBUS_OK);
    for (int i = 0; i < 5; i++)
        mp_fill(bufs[i], 20, (uint64_t)i, lens[i]);
    uint8_t out[1024];
    uint32_t got[8];
    size_t count = 9;
    CHECK_ST(indexbus_recv_batch(c, out, sizeof out, got, 8, &count), INDEXBUS_EMPTY);
    CHECK(count == 0);
    CHECK_ST(indexbus_commit_batch(p, 4), INDEXBUS_OK); /* the 300-byte one is padding */
    CHECK_ST(indexbus_recv_batch(c, out, sizeof out, got, 8, &count), INDEXBUS_OK);
    CHECK(count == 4);
    size_t off = 0;
    for (size_t i = 0; i < count && i < 4; i++) {
        CHECK(got[i] == lens[i] && mp_check_fill(out + off, got[i], 20, i, lens[i]));
        off += got[i];
    }
    uint32_t big[3] = {MAXREC, MAXREC, 100}; /* 2016 + 112 > half the ring */
    CHECK_ST(indexbus_claim_batch(p, big, 3, bufs), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_claim_batch(p, (uint32_t[]){MAXREC + 1}, 1, bufs), INDEXBUS_TOO_LARGE);
    /* publish_batch packs runs into one reservation each */
    uint8_t data[10 * 50];
    uint32_t bl[10];
    for (uint32_t i = 0; i < 10; i++) {
        bl[i] = 50;
        mp_fill(data + i * 50, 21, i, 50);
    }
    size_t published = 0;
    CHECK_ST(indexbus_publish_batch(p, data, bl, 10, &published), INDEXBUS_OK);
    CHECK(published == 10);
    for (uint32_t i = 0; i < 10; i++)
        expect_record(c, 21, i, 50);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* Producer kinds, wrong kinds, configs and headers. */
static void rules(void)
{
    const char *name = ib_test_name("log-rules");
    indexbus_region *r = mp_create_log(name, RING, 8);
    indexbus_producer *s, *m;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &s));
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &m), INDEXBUS_BUSY);
    CHECK_ST(indexbus_publish(s, "123456789", 9), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_publish(s, NULL, 0), INDEXBUS_OK);
    indexbus_producer_close(s);
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &m));
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &s), INDEXBUS_BUSY);
    indexbus_router *rt;
    CHECK_ST(indexbus_router_open(r, &rt), INDEXBUS_WRONG_KIND);
    indexbus_consumer *c;
    CHECK_ST(indexbus_consumer_open(r, 1, &c), INDEXBUS_OUT_OF_RANGE);
    indexbus_producer_close(m);
    /* a 1.0-sized info is filled up to its size */
    indexbus_info old;
    memset(&old, 0xab, sizeof old);
    old.size = INDEXBUS_INFO_SIZE_1_0;
    CHECK_ST(indexbus_region_info(r, &old), INDEXBUS_OK);
    CHECK(old.size == INDEXBUS_INFO_SIZE_1_0 && old.byte_capacity == 0xababababababababull);
    old.size = INDEXBUS_INFO_SIZE_1_0 - 8;
    CHECK_ST(indexbus_region_info(r, &old), INDEXBUS_INVALID_ARGUMENT);
    indexbus_region_close(r);
    indexbus_region_unlink(name);

    /* config: the defaults of a byte log; 1.0 size for events; bad log geometry */
    indexbus_region_config cfg;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_LOG));
    CHECK(cfg.size == sizeof cfg && cfg.byte_capacity == INDEXBUS_LOG_DEFAULT_BYTES &&
          cfg.max_record == 0 /* the default for the ring's size */);
    memset(&cfg, 0xcd, sizeof cfg);
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    CHECK(cfg.size == INDEXBUS_REGION_CONFIG_SIZE_1_0 && cfg.max_record == 0xcdcdcdcdu);
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_LOG));
    indexbus_region *bad;
    const char *n2 = ib_test_name("log-bad");
    uint64_t caps[] = {1000, 2048, (uint64_t)INDEXBUS_LOG_MAX_BYTES * 2};
    for (int i = 0; i < 3; i++) {
        cfg.byte_capacity = caps[i];
        CHECK_ST(indexbus_region_create(n2, &cfg, &bad), INDEXBUS_INVALID_ARGUMENT);
    }
    cfg.byte_capacity = RING;
    cfg.max_record = RING / 2 - 7; /* a record may take at most half the ring */
    CHECK_ST(indexbus_region_create(n2, &cfg, &bad), INDEXBUS_INVALID_ARGUMENT);
    cfg.max_record = 0;
    cfg.slot_count = 16; /* slot geometry means nothing in a byte log */
    CHECK_ST(indexbus_region_create(n2, &cfg, &bad), INDEXBUS_INVALID_ARGUMENT);
    cfg.slot_count = 0;
    cfg.size = INDEXBUS_REGION_CONFIG_SIZE_1_0; /* log fields not covered: defaults */
    REQUIRE_OK(indexbus_region_create(n2, &cfg, &bad));
    indexbus_info info = mp_info(bad);
    CHECK(info.byte_capacity == INDEXBUS_LOG_DEFAULT_BYTES &&
          info.max_record == INDEXBUS_LOG_DEFAULT_MAX_RECORD);
    indexbus_region_close(bad);
    indexbus_region_unlink(n2);
}

/* The header of a byte log is checked like any other: without its incompat
 * bit, or with an unknown one, it is refused. */
static void header_checks(void)
{
    const char *name = ib_test_name("log-hdr");
    indexbus_region_close(mp_create_log(name, RING, MAXREC));
    char path[300];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    struct {
        uint32_t off, width;
        uint64_t value;
        int want;
    } cases[] = {
        {16, 8, INDEXBUS_CAP_MPSC | INDEXBUS_CAP_LOG, INDEXBUS_CORRUPT}, /* no BYTE_LOG bit */
        {16, 8, INDEXBUS_CAP_BYTE_LOG | (1ull << 40), INDEXBUS_INCOMPATIBLE},
        {6, 2, 0, INDEXBUS_CORRUPT},           /* a byte log in a 1.0 header */
        {80, 8, 8192, INDEXBUS_CORRUPT},       /* ring bytes disagree with the directory */
        {88, 4, RING, INDEXBUS_CORRUPT},       /* max_record over half the ring */
        {32, 4, 16, INDEXBUS_CORRUPT},         /* slot geometry in a byte log */
        {0, 0, 0, INDEXBUS_OK},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(path, "r+b");
        REQUIRE(f != NULL);
        uint8_t hdr[128];
        REQUIRE(fread(hdr, 1, sizeof hdr, f) == sizeof hdr);
        uint8_t saved[128];
        memcpy(saved, hdr, sizeof hdr);
        memcpy(hdr + cases[i].off, &cases[i].value, cases[i].width);
        rewind(f);
        fwrite(hdr, 1, sizeof hdr, f);
        fflush(f);
        indexbus_region *r = NULL;
        int st = indexbus_region_open(name, NULL, &r);
        if (st != cases[i].want)
            fprintf(stderr, "case %zu: %s\n", i, indexbus_status_name(st));
        CHECK_ST(st, cases[i].want);
        indexbus_region_close(r);
        rewind(f);
        fwrite(saved, 1, sizeof saved, f);
        fclose(f);
    }
    indexbus_region_unlink(name);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    every_length();
    full_and_wrap();
    full_ring_batch();
    claims();
    batches();
    rules();
    header_checks();
    return ib_test_done("log");
}
