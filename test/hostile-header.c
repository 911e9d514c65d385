/* hostile-header.c - opening damaged region files: truncation, identity
 * (magic, versions, capabilities, kind), the ready word, geometry that does
 * not match the file or itself, the section directory, newer-minor
 * regions that must still open, and a seeded fuzz of the header. Every
 * case must give a defined status code, never a crash. */
#include <errno.h>
#include <pthread.h>
#include <time.h>

#include "bad_util.h"

#define SLOTS 8u
#define DATA 64u
#define FANOUT_CONSUMERS 3u

static indexbus_region_header good; /* pristine header of the last fresh file */

static uint32_t consumers_of(uint32_t kind)
{
    return kind == INDEXBUS_KIND_FANOUT ? FANOUT_CONSUMERS : 1;
}

/* A good, closed region file; its header is kept in `good`. */
static const char *fresh(int n, uint32_t kind)
{
    const char *path = bad_path(n);
    bad_create(path, kind, SLOTS, 0, DATA, consumers_of(kind), NULL);
    bad_read_header(path, &good);
    REQUIRE(good.magic == INDEXBUS_MAGIC && good.ready == INDEXBUS_READY_VALUE);
    return path;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void expect_open(const char *what, const char *path, uint64_t timeout, int want)
{
    int st = bad_open_status(path, timeout);
    if (st != want) {
        fprintf(stderr, "%s: open = %s, want %s\n", what, indexbus_status_name(st),
                indexbus_status_name(want));
        ib_test_failures++;
    }
}

/* The region opens and carries messages end to end (router for fanout). */
static void expect_works(const char *what, const char *path)
{
    indexbus_region *r;
    indexbus_producer *p;
    indexbus_consumer *c;
    indexbus_router *rt = NULL;
    char buf[DATA];
    size_t len = 0;
    int st = bad_open(path, 0, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "%s: open = %s, want OK\n", what, indexbus_status_name(st));
        ib_test_failures++;
        return;
    }
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, what, strlen(what) % DATA), INDEXBUS_OK);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    if (info.kind == INDEXBUS_KIND_FANOUT) {
        REQUIRE_OK(indexbus_router_open(r, &rt));
        CHECK_ST(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST),
                 INDEXBUS_OK);
    }
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == strlen(what) % DATA && memcmp(buf, what, len) == 0);
    indexbus_router_close(rt);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(r);
}

/* ---- truncation --------------------------------------------------------------- */

static void test_truncated(void)
{
    const char *path = fresh(1, INDEXBUS_KIND_EVENTS);
    uint64_t t0;
    bad_truncate(path, 0);
    t0 = now_ns();
    expect_open("size 0", path, 5000000, INDEXBUS_NOT_READY);
    CHECK(now_ns() - t0 >= 5000000 && now_ns() - t0 < 1000000000u);
    expect_open("size 0, timeout 0", path, 0, INDEXBUS_NOT_READY);

    const uint64_t short_sizes[] = {1, 100, INDEXBUS_HEADER_BYTES - 1};
    for (int i = 0; i < 3; i++) {
        path = fresh(1, INDEXBUS_KIND_EVENTS);
        bad_truncate(path, short_sizes[i]);
        expect_open("size < header", path, 1000000, INDEXBUS_CORRUPT);
    }
    const uint64_t total = good.total_bytes;
    const uint64_t sizes[] = {INDEXBUS_HEADER_BYTES, INDEXBUS_PAGE, total - INDEXBUS_PAGE,
                              total - 1};
    for (int i = 0; i < 4; i++) {
        path = fresh(1, INDEXBUS_KIND_EVENTS);
        bad_truncate(path, sizes[i]);
        expect_open("size < total_bytes", path, 0, INDEXBUS_CORRUPT);
    }
    /* the file may be larger than the layout (e.g. whole huge pages) */
    path = fresh(1, INDEXBUS_KIND_EVENTS);
    bad_truncate(path, total + 3 * INDEXBUS_PAGE + 17);
    expect_works("file larger than layout", path);

    /* not a region at all: no magic, text everywhere */
    path = bad_path(1);
    char junk[INDEXBUS_PAGE];
    for (size_t i = 0; i < sizeof junk; i++)
        junk[i] = "not a region\n"[i % 13];
    FILE *f = fopen(path, "wb");
    REQUIRE(f != NULL && fwrite(junk, 1, sizeof junk, f) == sizeof junk);
    fclose(f);
    expect_open("text file", path, 0, INDEXBUS_INCOMPATIBLE);
    /* all zero: looks like a creator that has not started yet */
    bad_truncate(path, 0);
    bad_truncate(path, INDEXBUS_PAGE * 8);
    expect_open("zero file", path, 1000000, INDEXBUS_NOT_READY);
    unlink(path);
}

/* ---- single-field patches ----------------------------------------------------- */

enum { SET, OR, ADD };

struct patch {
    const char *what;
    uint32_t kind;
    uint32_t off, size; /* field in the header */
    int op;
    uint64_t val;
    int want;
};

#define H(f) (uint32_t) offsetof(indexbus_region_header, f), \
             (uint32_t) sizeof(((indexbus_region_header *)0)->f)
#define EV INDEXBUS_KIND_EVENTS
#define FO INDEXBUS_KIND_FANOUT
static const struct patch patches[] = {
    {"wrong magic", EV, H(magic), SET, 0x12345678, INDEXBUS_INCOMPATIBLE},
    {"magic 0", EV, H(magic), SET, 0, INDEXBUS_INCOMPATIBLE},
    {"byte-swapped magic", EV, H(magic), SET, 0x49425553, INDEXBUS_INCOMPATIBLE},
    {"major 2", EV, H(layout_major), SET, 2, INDEXBUS_INCOMPATIBLE},
    {"major 0", EV, H(layout_major), SET, 0, INDEXBUS_INCOMPATIBLE},
    {"major 0xffff", FO, H(layout_major), SET, 0xffff, INDEXBUS_INCOMPATIBLE},
    {"incompat cap bit 40", EV, H(capabilities), OR, 1ull << 40, INDEXBUS_INCOMPATIBLE},
    {"incompat cap bit 41", FO, H(capabilities), OR, 1ull << 41, INDEXBUS_INCOMPATIBLE},
    /* 1.3 bits (37, 38, 39) on a minor-0 region, or on a kind that has no such path */
    {"fanout-recycle bit, minor 0", FO, H(capabilities), OR, INDEXBUS_CAP_FANOUT_RECYCLE,
     INDEXBUS_CORRUPT},
    {"mpsc-batch bit, minor 0", EV, H(capabilities), OR, INDEXBUS_CAP_MPSC_BATCH, INDEXBUS_CORRUPT},
    {"mpsc-recycle bit, minor 0", EV, H(capabilities), OR, INDEXBUS_CAP_MPSC_RECYCLE,
     INDEXBUS_CORRUPT},
    {"byte-log cap bit on fanout", FO, H(capabilities), OR, INDEXBUS_CAP_BYTE_LOG, INDEXBUS_CORRUPT},
    {"byte-stream cap bit on fanout", FO, H(capabilities), OR, INDEXBUS_CAP_BYTE_STREAM,
     INDEXBUS_CORRUPT},
    {"rpc cap bit on events", EV, H(capabilities), OR, INDEXBUS_CAP_RPC_CELLS, INDEXBUS_CORRUPT},
    {"kind 4 (byte stream) in a 1.0 events header", EV, H(region_kind), SET, 4, INDEXBUS_CORRUPT},
    {"kind 5 (rpc) in a 1.0 events header", EV, H(region_kind), SET, 5, INDEXBUS_CORRUPT},
    {"SPSC_RECYCLE on a fanout region", FO, H(capabilities), OR, INDEXBUS_CAP_SPSC_RECYCLE,
     INDEXBUS_CORRUPT},
    {"incompat cap bit 63", EV, H(capabilities), OR, 1ull << 63, INDEXBUS_INCOMPATIBLE},
    {"kind 0", EV, H(region_kind), SET, 0, INDEXBUS_INCOMPATIBLE},
    {"kind 6", EV, H(region_kind), SET, 6, INDEXBUS_INCOMPATIBLE},
    {"kind 3 (byte log) in a 1.0 events header", EV, H(region_kind), SET, 3, INDEXBUS_CORRUPT},
    {"kind ~0", FO, H(region_kind), SET, 0xffffffffu, INDEXBUS_INCOMPATIBLE},
    {"events file says fanout", EV, H(region_kind), SET, FO, INDEXBUS_CORRUPT},
    {"fanout file says events", FO, H(region_kind), SET, EV, INDEXBUS_CORRUPT},
    {"header_bytes 2048", EV, H(header_bytes), SET, 2048, INDEXBUS_CORRUPT},
    {"header_bytes 0", EV, H(header_bytes), SET, 0, INDEXBUS_CORRUPT},
    {"header_bytes 1023", FO, H(header_bytes), SET, 1023, INDEXBUS_CORRUPT},
    {"total_bytes > file", EV, H(total_bytes), ADD, INDEXBUS_PAGE, INDEXBUS_CORRUPT},
    {"total_bytes -page", EV, H(total_bytes), ADD, 0 - (uint64_t)INDEXBUS_PAGE, INDEXBUS_CORRUPT},
    {"total_bytes 0", EV, H(total_bytes), SET, 0, INDEXBUS_CORRUPT},
    {"total_bytes ~0", FO, H(total_bytes), SET, ~0ull, INDEXBUS_CORRUPT},
    {"slot_count doubled", EV, H(slot_count), SET, 2 * SLOTS, INDEXBUS_CORRUPT},
    {"slot_count halved", EV, H(slot_count), SET, SLOTS / 2, INDEXBUS_CORRUPT},
    {"slot_count 12", EV, H(slot_count), SET, 12, INDEXBUS_CORRUPT},
    {"slot_count 0", FO, H(slot_count), SET, 0, INDEXBUS_CORRUPT},
    {"slot_count 1", EV, H(slot_count), SET, 1, INDEXBUS_CORRUPT},
    {"slot_count 2^31", EV, H(slot_count), SET, 1u << 31, INDEXBUS_CORRUPT},
    {"slot_data_size 60", EV, H(slot_data_size), SET, 60, INDEXBUS_CORRUPT},
    {"slot_data_size 128 (stride differs)", EV, H(slot_data_size), SET, 128, INDEXBUS_CORRUPT},
    {"slot_data_size 72 (same stride)", EV, H(slot_data_size), SET, 72, INDEXBUS_OK},
    {"slot_data_size 0", FO, H(slot_data_size), SET, 0, INDEXBUS_CORRUPT},
    {"slot_data_size 2 MiB", EV, H(slot_data_size), SET, 2u << 20, INDEXBUS_CORRUPT},
    {"slot_stride +64", EV, H(slot_stride), ADD, 64, INDEXBUS_CORRUPT},
    {"slot_stride 80", EV, H(slot_stride), SET, 80, INDEXBUS_CORRUPT},
    {"slot_stride 0", FO, H(slot_stride), SET, 0, INDEXBUS_CORRUPT},
    {"queue_capacity 6", EV, H(queue_capacity), SET, 6, INDEXBUS_CORRUPT},
    {"queue_capacity doubled", EV, H(queue_capacity), SET, 2 * SLOTS, INDEXBUS_CORRUPT},
    {"queue_capacity 0", FO, H(queue_capacity), SET, 0, INDEXBUS_CORRUPT},
    {"queue_capacity 2^31", FO, H(queue_capacity), SET, 1u << 31, INDEXBUS_CORRUPT},
    {"events consumer_count 2", EV, H(consumer_count), SET, 2, INDEXBUS_CORRUPT},
    {"events consumer_count 0", EV, H(consumer_count), SET, 0, INDEXBUS_CORRUPT},
    {"fanout consumer_count +1", FO, H(consumer_count), ADD, 1, INDEXBUS_CORRUPT},
    {"fanout consumer_count 65", FO, H(consumer_count), SET, 65, INDEXBUS_CORRUPT},
    {"fanout consumer_count 0", FO, H(consumer_count), SET, 0, INDEXBUS_CORRUPT},
    {"section_count 17", EV, H(section_count), SET, INDEXBUS_MAX_SECTIONS + 1, INDEXBUS_CORRUPT},
    {"section_count ~0", FO, H(section_count), SET, 0xffffffffu, INDEXBUS_CORRUPT},
    {"section_count 0", EV, H(section_count), SET, 0, INDEXBUS_CORRUPT},
    {"section_count -1", FO, H(section_count), ADD, 0xffffffffu, INDEXBUS_CORRUPT},
    {"ready 7", EV, H(ready), SET, 7, INDEXBUS_CORRUPT},
    {"ready 2", FO, H(ready), SET, 2, INDEXBUS_CORRUPT},
    {"ready ~0", EV, H(ready), SET, 0xffffffffu, INDEXBUS_CORRUPT},
    {"unknown compat cap bit", EV, H(capabilities), OR, 1ull << 20, INDEXBUS_OK},
    {"all compat cap bits", FO, H(capabilities), OR, 0xffffffffull, INDEXBUS_OK},
    {"creator_pid garbage", EV, H(creator_pid), SET, 0xdeadbeef, INDEXBUS_OK},
    {"creation_time garbage", EV, H(creation_time_ns), SET, ~0ull, INDEXBUS_OK},
};
#undef H

static void apply(const char *path, uint32_t off, uint32_t size, int op, uint64_t val)
{
    uint64_t cur = 0;
    REQUIRE(size <= sizeof cur);
    memcpy(&cur, (const uint8_t *)&good + off, size); /* little-endian, like the layout */
    cur = op == SET ? val : op == OR ? cur | val : cur + val;
    bad_pwrite(path, off, &cur, size);
}

static void test_field_patches(void)
{
    for (size_t i = 0; i < sizeof patches / sizeof patches[0]; i++) {
        const struct patch *t = &patches[i];
        const char *path = fresh(2, t->kind);
        apply(path, t->off, t->size, t->op, t->val);
        if (t->want == INDEXBUS_OK)
            expect_works(t->what, path);
        else
            expect_open(t->what, path, 0, t->want);
    }
    /* ready 0: a creator that never finished - NOT_READY once the timeout passes */
    const char *path = fresh(2, INDEXBUS_KIND_EVENTS);
    uint32_t zero = 0;
    bad_pwrite(path, offsetof(indexbus_region_header, ready), &zero, sizeof zero);
    uint64_t t0 = now_ns();
    expect_open("ready 0", path, 20000000, INDEXBUS_NOT_READY);
    uint64_t took = now_ns() - t0;
    CHECK(took >= 20000000 && took < 1000000000u);
    expect_open("ready 0, timeout 0", path, 0, INDEXBUS_NOT_READY);
    /* not ready and not ours: refused at once */
    uint32_t magic = 0x12345678;
    bad_pwrite(path, 0, &magic, sizeof magic);
    t0 = now_ns();
    expect_open("ready 0, wrong magic", path, 2000000000ull, INDEXBUS_INCOMPATIBLE);
    CHECK(now_ns() - t0 < 1000000000u);
    unlink(path);
}

/* ---- a creator that finishes while we wait ---------------------------------------- */

static const char *race_path;

static void *finish_creator(void *arg)
{
    (void)arg;
    nanosleep(&(struct timespec){0, 30000000}, NULL);
    uint32_t one = INDEXBUS_READY_VALUE;
    bad_pwrite(race_path, offsetof(indexbus_region_header, ready), &one, sizeof one);
    return NULL;
}

/* The ready timeout is a duration: any value, up to UINT64_MAX ("forever"),
 * must wait for the creator rather than wrap around into the past. */
static void test_racing_creator(void)
{
    const uint64_t timeouts[] = {2000000000ull, UINT64_MAX / 2, UINT64_MAX - 1000, UINT64_MAX};
    for (int i = 0; i < 4; i++) {
        race_path = fresh(6, EV);
        uint32_t zero = 0;
        bad_pwrite(race_path, offsetof(indexbus_region_header, ready), &zero, sizeof zero);
        pthread_t t;
        REQUIRE(pthread_create(&t, NULL, finish_creator, NULL) == 0);
        int st = bad_open_status(race_path, timeouts[i]);
        pthread_join(t, NULL);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "ready after 30 ms, timeout %llu ns: open = %s, want OK\n",
                    (unsigned long long)timeouts[i], indexbus_status_name(st));
            ib_test_failures++;
        }
    }
    unlink(bad_path(6));
}

/* ---- section directory ---------------------------------------------------------- */

static void test_directory(void)
{
    for (uint32_t kind = EV; kind <= FO; kind++) {
        fresh(3, kind);
        uint32_t n = good.section_count;
        REQUIRE(n > 0 && n <= INDEXBUS_MAX_SECTIONS);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t base = (uint32_t)offsetof(indexbus_region_header, sections) +
                            i * (uint32_t)sizeof(indexbus_section_entry);
            const uint32_t koff = base + (uint32_t)offsetof(indexbus_section_entry, kind);
            const uint32_t ooff = base + (uint32_t)offsetof(indexbus_section_entry, offset);
            const uint32_t loff = base + (uint32_t)offsetof(indexbus_section_entry, length);
            const char *path = fresh(3, kind);
            apply(path, ooff, 8, ADD, INDEXBUS_CACHE_LINE);
            expect_open("section moved", path, 0, INDEXBUS_CORRUPT);
            path = fresh(3, kind);
            apply(path, ooff, 8, SET, ~0ull - 8);
            expect_open("section offset ~0", path, 0, INDEXBUS_CORRUPT);
            path = fresh(3, kind);
            apply(path, loff, 8, ADD, 8);
            expect_open("section longer", path, 0, INDEXBUS_CORRUPT);
            path = fresh(3, kind);
            apply(path, koff, 4, SET, 0);
            expect_open("section missing", path, 0, INDEXBUS_CORRUPT);
            path = fresh(3, kind);
            apply(path, koff, 4, SET, 99);
            expect_open("section kind unknown", path, 0, INDEXBUS_CORRUPT);
        }
    }
    unlink(bad_path(3));
}

/* ---- newer minor -------------------------------------------------------------- */

static const char *minor1(int n, uint32_t kind)
{
    const char *path = fresh(n, kind);
    apply(path, offsetof(indexbus_region_header, layout_minor), 2, SET, 1);
    good.layout_minor = 1;
    return path;
}

/* Append one section of kind `kind` (offset, length) and grow the region. */
static void append_section(const char *path, uint32_t skind, uint64_t off, uint64_t len,
                           uint64_t total)
{
    indexbus_region_header h = good;
    REQUIRE(h.section_count < INDEXBUS_MAX_SECTIONS);
    indexbus_section_entry *e = &h.sections[h.section_count++];
    e->kind = skind;
    e->flags = 0;
    e->offset = off;
    e->length = len;
    h.total_bytes = total;
    bad_truncate(path, total > good.total_bytes ? total : good.total_bytes);
    bad_write_header(path, &h);
}

static void test_newer_minor(void)
{
    for (uint32_t kind = EV; kind <= FO; kind++) {
        const char *path = minor1(4, kind);
        expect_works("minor 1", path);

        indexbus_region *r;
        path = minor1(4, kind);
        uint64_t t = good.total_bytes;
        append_section(path, 99, t, INDEXBUS_PAGE, t + INDEXBUS_PAGE);
        expect_works("minor 1 + unknown section", path);
        REQUIRE_OK(bad_open(path, 0, &r));
        indexbus_info info = {.size = sizeof info};
        REQUIRE_OK(indexbus_region_info(r, &info));
        CHECK(info.layout_major == 1 && info.layout_minor == 1);
        CHECK(info.total_bytes == t + INDEXBUS_PAGE);
        CHECK(info.slot_count == SLOTS && info.slot_data_size == DATA);
        indexbus_region_close(r);

        path = minor1(4, kind);
        apply(path, offsetof(indexbus_region_header, capabilities), 8, OR, 1ull << 17);
        expect_works("minor 1 + unknown compat cap", path);

        /* reserved bytes may gain meaning in a newer minor: ignored (and
         * 80..127, which 1.1 gave the byte-log fields, too: an events or
         * fanout region does not read them) */
        path = minor1(4, kind);
        uint8_t junk[48];
        memset(junk, 0xa5, sizeof junk);
        bad_pwrite(path, offsetof(indexbus_region_header, log_bytes), junk, sizeof junk);
        bad_pwrite(path, offsetof(indexbus_region_header, reserved3), junk, sizeof junk);
        bad_pwrite(path, offsetof(indexbus_region_header, reserved0), junk, 4);
        expect_works("minor 1 + reserved bytes", path);

        /* still refused: appended sections outside the region */
        path = minor1(4, kind);
        append_section(path, 99, t, 2 * INDEXBUS_PAGE, t + INDEXBUS_PAGE);
        expect_open("minor 1, section past total_bytes", path, 0, INDEXBUS_CORRUPT);
        path = minor1(4, kind);
        append_section(path, 99, t + 2 * INDEXBUS_PAGE, 0, t + INDEXBUS_PAGE);
        expect_open("minor 1, section offset past end", path, 0, INDEXBUS_CORRUPT);
        path = minor1(4, kind);
        append_section(path, 99, INDEXBUS_PAGE, ~0ull - 100, t + INDEXBUS_PAGE);
        expect_open("minor 1, section length wraps", path, 0, INDEXBUS_CORRUPT);
        path = minor1(4, kind);
        append_section(path, 99, t, INDEXBUS_PAGE, t + INDEXBUS_PAGE);
        bad_truncate(path, t + INDEXBUS_PAGE - 1);
        expect_open("minor 1, total_bytes > file", path, 0, INDEXBUS_CORRUPT);
        /* minor 0 may not grow total_bytes */
        path = fresh(4, kind);
        append_section(path, 99, t, INDEXBUS_PAGE, t + INDEXBUS_PAGE);
        expect_open("minor 0, grown total_bytes", path, 0, INDEXBUS_CORRUPT);
        /* a newer major with everything else fine */
        path = minor1(4, kind);
        apply(path, offsetof(indexbus_region_header, layout_major), 2, SET, 2);
        expect_open("major 2 minor 1", path, 0, INDEXBUS_INCOMPATIBLE);
    }
    unlink(bad_path(4));
}

/* A newer-minor header claiming a gigantic (sparse) region: the OS cannot map
 * it, which must come back as NO_MEMORY rather than a crash. tmpfs allows
 * huge sparse files, so the file lives in /dev/shm (as a file path). */
static void test_unmappable(void)
{
    char path[96];
    snprintf(path, sizeof path, "/dev/shm/ibt-bad-%d-huge.region", (int)getpid());
    unlink(path);
    if (access("/dev/shm", W_OK) != 0) {
        printf("note: no writable /dev/shm; NO_MEMORY check skipped\n");
        return;
    }
    bad_create(path, EV, SLOTS, 0, DATA, 1, NULL);
    bad_read_header(path, &good);
    const uint64_t huge = 1ull << 60; /* beyond any user address space */
    if (truncate(path, (off_t)(huge + INDEXBUS_PAGE)) != 0) {
        printf("note: cannot make a sparse 2^60 file (%s); NO_MEMORY check skipped\n",
               strerror(errno));
        unlink(path);
        return;
    }
    indexbus_region_header h = good;
    h.layout_minor = 1;
    h.total_bytes = huge;
    bad_write_header(path, &h);
    expect_open("2^60-byte region", path, 0, INDEXBUS_NO_MEMORY);
    unlink(path);
}

/* ---- fuzz ----------------------------------------------------------------------- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull; /* fixed seed: deterministic */

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Bias patches towards the fields that are validated. */
static uint32_t fuzz_offset(void)
{
    switch (rng() % 4) {
    case 0: return (uint32_t)(rng() % 80);                    /* fixed fields */
    case 1: return 128 + (uint32_t)(rng() % (32 * 9));         /* directory */
    default: return (uint32_t)(rng() % INDEXBUS_HEADER_BYTES); /* anywhere */
    }
}

static void test_fuzz(void)
{
    int counts[INDEXBUS_STATUS_COUNT] = {0};
    const int rounds = 400;
    for (int round = 0; round < rounds; round++) {
        uint32_t kind = round % 2 ? FO : EV;
        const char *path = fresh(5, kind);
        uint8_t hdr[INDEXBUS_HEADER_BYTES];
        bad_read_header(path, (indexbus_region_header *)hdr);
        if (round % 16 == 15) {
            for (size_t i = 0; i < sizeof hdr; i++) /* a fully random header */
                hdr[i] = (uint8_t)rng();
            if (round % 32 == 15)
                memcpy(hdr, &(uint32_t){INDEXBUS_MAGIC}, 4);
        } else {
            int n = 1 + (int)(rng() % 8);
            for (int k = 0; k < n; k++) {
                uint32_t off = fuzz_offset();
                uint64_t v = rng();
                switch (rng() % 4) {
                case 0: hdr[off] = (uint8_t)v; break;
                case 1: hdr[off] ^= (uint8_t)(1u << (v % 8)); break;
                case 2: hdr[off] = (uint8_t)(v % 3 ? 0 : 0xff); break;
                default: /* a small aligned word */
                    off &= ~3u;
                    memcpy(hdr + off, &(uint32_t){(uint32_t)(v % 130)}, 4);
                    break;
                }
            }
        }
        bad_pwrite(path, 0, hdr, sizeof hdr);
        if (rng() % 8 == 0)
            bad_truncate(path, rng() % (bad_file_size(path) + 1));

        indexbus_region *r = NULL;
        int st = bad_open(path, 0, &r);
        if (!bad_status_defined(st)) {
            fprintf(stderr, "fuzz round %d: undefined status %d\n", round, st);
            ib_test_failures++;
            continue;
        }
        counts[st]++;
        if (st == INDEXBUS_OK) { /* whatever opened must be usable */
            indexbus_info info = {.size = sizeof info};
            CHECK_ST(indexbus_region_info(r, &info), INDEXBUS_OK);
            indexbus_region_close(r);
            expect_works("fuzzed header that opened", path);
        } else {
            CHECK(r == NULL);
        }
    }
    printf("fuzz: %d rounds:", rounds);
    for (int i = 0; i < INDEXBUS_STATUS_COUNT; i++)
        if (counts[i])
            printf(" %s=%d", indexbus_status_name(i), counts[i]);
    printf("\n");
    CHECK(counts[INDEXBUS_CORRUPT] > 0 && counts[INDEXBUS_INCOMPATIBLE] > 0);
    unlink(bad_path(5));
}

/* A 1.1 stream or request/response region at path. */
static void fresh_1_1(const char *path, uint32_t kind)
{
    indexbus_region_config cfg;
    indexbus_region *r;
    unlink(path);
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    if (kind == INDEXBUS_KIND_STREAM)
        cfg.byte_capacity = 4096;
    else
        cfg.slot_count = 4, cfg.slot_data_size = 64, cfg.max_record = 64;
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    indexbus_region_close(r);
}

/* Byte streams and request/response regions (1.1): each goes with its
 * incompat bit both ways, its geometry fields are checked, and a reader
 * that does not know the bit refuses it. */
static void test_new_kinds(void)
{
#define H(f) (uint32_t) offsetof(indexbus_region_header, f), \
             (uint32_t) sizeof(((indexbus_region_header *)0)->f)
    static const struct patch cases[] = {
        {"stream: as is", INDEXBUS_KIND_STREAM, H(reserved0), SET, 0, INDEXBUS_OK},
        {"rpc: as is", INDEXBUS_KIND_RPC, H(reserved0), SET, 0, INDEXBUS_OK},
        {"stream without its bit", INDEXBUS_KIND_STREAM, H(capabilities), SET, 0xBC, INDEXBUS_CORRUPT},
        {"rpc without its bit", INDEXBUS_KIND_RPC, H(capabilities), SET, 0x13C, INDEXBUS_CORRUPT},
        {"stream says byte log", INDEXBUS_KIND_STREAM, H(region_kind), SET, 3, INDEXBUS_CORRUPT},
        {"rpc says stream", INDEXBUS_KIND_RPC, H(region_kind), SET, 4, INDEXBUS_CORRUPT},
        {"stream minor 0", INDEXBUS_KIND_STREAM, H(layout_minor), SET, 0, INDEXBUS_CORRUPT},
        {"stream ring not a power of two", INDEXBUS_KIND_STREAM, H(log_bytes), SET, 6000,
         INDEXBUS_CORRUPT},
        {"stream with slots", INDEXBUS_KIND_STREAM, H(slot_count), SET, 4, INDEXBUS_CORRUPT},
        {"rpc 4097 cells", INDEXBUS_KIND_RPC, H(slot_count), SET, 4097, INDEXBUS_CORRUPT},
        {"rpc 0 cells", INDEXBUS_KIND_RPC, H(slot_count), SET, 0, INDEXBUS_CORRUPT},
        {"rpc reply bigger than its cells", INDEXBUS_KIND_RPC, H(log_max_record), SET, 4096,
         INDEXBUS_CORRUPT},
        {"rpc stride off", INDEXBUS_KIND_RPC, H(slot_stride), ADD, 64, INDEXBUS_CORRUPT},
        {"rpc with a ring", INDEXBUS_KIND_RPC, H(log_bytes), SET, 4096, INDEXBUS_CORRUPT},
        {"stream + unknown incompat bit 41", INDEXBUS_KIND_STREAM, H(capabilities), OR,
         1ull << 41, INDEXBUS_INCOMPATIBLE},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *path = bad_path(3);
        fresh_1_1(path, cases[i].kind);
        apply(path, cases[i].off, cases[i].size, cases[i].op, cases[i].val);
        expect_open(cases[i].what, path, 0, cases[i].want);
        unlink(path);
    }
#undef H
}

/* A good, closed region with durable state (1.2), or without it (flags
 * 0); its header in `good`. */
static const char *fresh_flags(int n, uint32_t kind, uint32_t flags)
{
    indexbus_region_config cfg;
    indexbus_region *r;
    const char *path = bad_path(n);
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    cfg.size = sizeof cfg;
    cfg.flags = flags;
    if (kind == INDEXBUS_KIND_LOG)
        cfg.byte_capacity = 4096, cfg.max_record = DATA;
    else
        cfg.slot_count = cfg.queue_capacity = SLOTS, cfg.slot_data_size = DATA,
        cfg.consumer_count = consumers_of(kind);
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    indexbus_region_close(r);
    bad_read_header(path, &good);
    return path;
}

/* Durable state (layout 1.2): the DURABLE section goes with incompat bit
 * 36, compat bit 9 and minor 2, and is listed where the geometry puts it,
 * with its exact length; anything else is CORRUPT. Bit 36 is what makes a
 * reader before 1.3 refuse the region: an incompat bit it does not know
 * (INCOMPATIBLE, as bit 41 is to this one). */
static void test_durable(void)
{
#define H(f) (uint32_t) offsetof(indexbus_region_header, f), \
             (uint32_t) sizeof(((indexbus_region_header *)0)->f)
    const uint32_t kinds[3] = {EV, FO, INDEXBUS_KIND_LOG};
    const uint64_t d9 = INDEXBUS_CAP_DURABLE, d36 = INDEXBUS_CAP_DURABLE_STATE;
    for (int k = 0; k < 3; k++) {
        const char *path = fresh_flags(7, kinds[k], INDEXBUS_CREATE_DURABLE);
        expect_works("durable: as is", path);
        CHECK(good.layout_minor == 2 && (good.capabilities & (d9 | d36)) == (d9 | d36));
        uint32_t i = bad_section_index(&good, INDEXBUS_SECTION_DURABLE);
        CHECK(i == good.section_count - 1);
        uint32_t e = (uint32_t)offsetof(indexbus_region_header, sections) +
                     i * (uint32_t)sizeof(indexbus_section_entry);
        const uint32_t len = e + (uint32_t)offsetof(indexbus_section_entry, length);
        const uint32_t off = e + (uint32_t)offsetof(indexbus_section_entry, offset);
        const uint32_t kind = e + (uint32_t)offsetof(indexbus_section_entry, kind);
        const uint64_t caps = good.capabilities;
        const struct patch cases[] = {
            {"durable: bit 36 without bit 9", 0, H(capabilities), SET, caps & ~d9, INDEXBUS_CORRUPT},
            {"durable: minor 1", 0, H(layout_minor), SET, 1, INDEXBUS_CORRUPT},
            {"durable: minor 0", 0, H(layout_minor), SET, 0, INDEXBUS_CORRUPT},
            {"durable: section longer", 0, len, 8, ADD, 64, INDEXBUS_CORRUPT},
            {"durable: section shorter", 0, len, 8, ADD, (uint64_t)-64, INDEXBUS_CORRUPT},
            {"durable: section length 0", 0, len, 8, SET, 0, INDEXBUS_CORRUPT},
            {"durable: section moved", 0, off, 8, ADD, INDEXBUS_CACHE_LINE, INDEXBUS_CORRUPT},
            {"durable: section not listed", 0, kind, 4, SET, 99, INDEXBUS_CORRUPT},
            {"durable: a page less", 0, H(total_bytes), ADD, (uint64_t)-INDEXBUS_PAGE,
             INDEXBUS_CORRUPT},
            {"durable: a page more", 0, H(total_bytes), ADD, INDEXBUS_PAGE, INDEXBUS_CORRUPT},
            {"durable + unknown incompat bit 41", 0, H(capabilities), OR, 1ull << 41,
             INDEXBUS_INCOMPATIBLE},
        };
        for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
            path = fresh_flags(7, kinds[k], INDEXBUS_CREATE_DURABLE);
            apply(path, cases[c].off, cases[c].size, cases[c].op, cases[c].val);
            expect_open(cases[c].what, path, 0, cases[c].want);
        }
        /* the bits on a region without the section */
        path = fresh_flags(7, kinds[k], 0);
        const uint64_t plain = good.capabilities;
        apply(path, offsetof(indexbus_region_header, layout_minor), 2, SET, 2);
        apply(path, offsetof(indexbus_region_header, capabilities), 8, SET, plain | d9 | d36);
        expect_open("durable: bits without the section", path, 0, INDEXBUS_CORRUPT);
        apply(path, offsetof(indexbus_region_header, capabilities), 8, SET, plain | d36);
        expect_open("durable: bit 36 alone without the section", path, 0, INDEXBUS_CORRUPT);
    }
    unlink(bad_path(7));
#undef H
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    test_new_kinds();
    test_durable();
    test_truncated();
    test_field_patches();
    test_racing_creator();
    test_directory();
    test_newer_minor();
    test_unmappable();
    test_fuzz();
    return ib_test_done("hostile-header");
}
