/* region.c - region lifecycle: config defaults, every invalid geometry,
 * EXISTS / NOT_FOUND / IO / PERMISSION, file-path regions and their modes,
 * symlink refusal, prefault, info and consumer_stats, open config checks,
 * and handles keeping the mapping alive after region_close. */
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"

static indexbus_region_config cfg_for(uint32_t kind)
{
    indexbus_region_config cfg;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    return cfg;
}

static void tmp_path(char *buf, size_t n, const char *tag)
{
    snprintf(buf, n, "/tmp/ibt-%s-%d.region", tag, (int)getpid());
    unlink(buf);
}

static uint32_t file_mode(const char *path)
{
    struct stat sb;
    REQUIRE(lstat(path, &sb) == 0);
    CHECK(S_ISREG(sb.st_mode));
    return (uint32_t)(sb.st_mode & 07777);
}

/* One message through an events region: proves the mapping works. */
static void roundtrip(indexbus_region *r)
{
    indexbus_producer *p;
    indexbus_consumer *c;
    char buf[16];
    size_t len = 0;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    CHECK_ST(indexbus_publish(p, "ping", 4), INDEXBUS_OK);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 4 && memcmp(buf, "ping", 4) == 0);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
}

static void test_config_init(void)
{
    indexbus_region_config cfg;
    memset(&cfg, 0xa5, sizeof cfg);
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS));
    /* the 1.0 struct only: a caller built against 1.0 has no more (indexbus.h) */
    CHECK(cfg.size == INDEXBUS_REGION_CONFIG_SIZE_1_0 && cfg.kind == INDEXBUS_KIND_EVENTS);
    CHECK(cfg.max_record == 0xa5a5a5a5u && cfg.byte_capacity == 0xa5a5a5a5a5a5a5a5ull);
    /* twice the queue: SPSC slots recycle through their cells (LAYOUT.md 5.16) */
    CHECK(cfg.slot_count == 2 * INDEXBUS_DEFAULT_SLOTS &&
          cfg.queue_capacity == INDEXBUS_DEFAULT_SLOTS);
    CHECK(cfg.slot_data_size == INDEXBUS_DEFAULT_SLOT_DATA);
    CHECK(cfg.consumer_count == 1 && cfg.mode == 0600 && cfg.flags == 0);

    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT));
    CHECK(cfg.kind == INDEXBUS_KIND_FANOUT);
    CHECK(cfg.consumer_count == INDEXBUS_DEFAULT_FANOUT_CONSUMERS);

    CHECK_ST(indexbus_region_config_init(NULL, INDEXBUS_KIND_EVENTS), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_config_init(&cfg, 0), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_config_init(&cfg, 6), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_config_init(&cfg, 0xffffffffu), INDEXBUS_INVALID_ARGUMENT);
}

/* A geometry mutation that create must refuse. */
struct bad_cfg {
    const char *what;
    uint32_t kind;
    uint32_t field; /* offsetof into indexbus_region_config */
    uint32_t value;
};

#define F(f) (uint32_t) offsetof(indexbus_region_config, f)
static const struct bad_cfg bad_cfgs[] = {
    {"slots not pow2", INDEXBUS_KIND_EVENTS, F(slot_count), 1000},
    {"slots 3", INDEXBUS_KIND_EVENTS, F(slot_count), 3},
    {"slots too few", INDEXBUS_KIND_EVENTS, F(slot_count), 1},
    {"slots too many", INDEXBUS_KIND_EVENTS, F(slot_count), INDEXBUS_MAX_SLOTS * 2},
    {"queue not pow2", INDEXBUS_KIND_EVENTS, F(queue_capacity), 12},
    {"queue too small", INDEXBUS_KIND_EVENTS, F(queue_capacity), 1},
    {"queue too big", INDEXBUS_KIND_FANOUT, F(queue_capacity), INDEXBUS_MAX_QUEUE * 2},
    {"data not mult 8", INDEXBUS_KIND_EVENTS, F(slot_data_size), 100},
    {"data < 64", INDEXBUS_KIND_EVENTS, F(slot_data_size), 56},
    {"data 8", INDEXBUS_KIND_EVENTS, F(slot_data_size), 8},
    {"data > 1 MiB", INDEXBUS_KIND_EVENTS, F(slot_data_size), INDEXBUS_MAX_SLOT_DATA + 8},
    {"fanout consumers 65", INDEXBUS_KIND_FANOUT, F(consumer_count), 65},
    {"fanout consumers huge", INDEXBUS_KIND_FANOUT, F(consumer_count), 0xffffffffu},
    {"events consumers 2", INDEXBUS_KIND_EVENTS, F(consumer_count), 2},
    {"flags bit 4", INDEXBUS_KIND_EVENTS, F(flags), 0x10}, /* 0x4, 0x8: 1.3 features */
    {"recycle fanout slots == queue", INDEXBUS_KIND_FANOUT, F(flags), INDEXBUS_CREATE_RECYCLE},
    {"recycle log", INDEXBUS_KIND_LOG, F(flags), INDEXBUS_CREATE_RECYCLE},
    {"mpsc batch stream", INDEXBUS_KIND_STREAM, F(flags), INDEXBUS_CREATE_MPSC_BATCH},
    {"mpsc batch rpc", INDEXBUS_KIND_RPC, F(flags), INDEXBUS_CREATE_MPSC_BATCH},
    {"durable stream", INDEXBUS_KIND_STREAM, F(flags), INDEXBUS_CREATE_DURABLE},
    {"durable rpc", INDEXBUS_KIND_RPC, F(flags), INDEXBUS_CREATE_DURABLE},
    {"flags high", INDEXBUS_KIND_EVENTS, F(flags), 0x80000000u},
    {"mode setuid", INDEXBUS_KIND_EVENTS, F(mode), 04600},
    {"mode sticky", INDEXBUS_KIND_EVENTS, F(mode), 01600},
    {"mode garbage", INDEXBUS_KIND_EVENTS, F(mode), 0x10000},
    {"kind 0", INDEXBUS_KIND_EVENTS, F(kind), 0},
    {"kind 4", INDEXBUS_KIND_EVENTS, F(kind), 4},
    {"byte log with slot geometry", INDEXBUS_KIND_EVENTS, F(kind), INDEXBUS_KIND_LOG},
    {"size too small", INDEXBUS_KIND_EVENTS, F(size), INDEXBUS_REGION_CONFIG_SIZE_1_0 - 1},
    {"size 0", INDEXBUS_KIND_EVENTS, F(size), 0},
};
#undef F

static void test_bad_geometry(void)
{
    const char *name = ib_test_name("rgeo");
    indexbus_region *r;
    for (size_t i = 0; i < sizeof bad_cfgs / sizeof bad_cfgs[0]; i++) {
        indexbus_region_config cfg = cfg_for(bad_cfgs[i].kind);
        memcpy((char *)&cfg + bad_cfgs[i].field, &bad_cfgs[i].value, sizeof(uint32_t));
        r = (indexbus_region *)&cfg; /* must be overwritten with NULL */
        int st = indexbus_region_create(name, &cfg, &r);
        if (st != INDEXBUS_INVALID_ARGUMENT)
            fprintf(stderr, "bad geometry '%s': got %s\n", bad_cfgs[i].what,
                    indexbus_status_name(st));
        CHECK(st == INDEXBUS_INVALID_ARGUMENT);
        CHECK(r == NULL);
        if (st == INDEXBUS_OK) {
            indexbus_region_close(r);
            indexbus_region_unlink(name);
        }
    }
    /* nothing was left behind by the refusals */
    CHECK_ST(indexbus_region_open(name, NULL, &r), INDEXBUS_NOT_FOUND);

    indexbus_region_config cfg = cfg_for(INDEXBUS_KIND_EVENTS);
    char longname[300];
    memset(longname, 'x', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    CHECK_ST(indexbus_region_create(NULL, &cfg, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_create("", &cfg, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_create("/", &cfg, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_create(longname, &cfg, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_create(name, NULL, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_create(name, &cfg, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_open(NULL, NULL, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_open("", NULL, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_open(longname, NULL, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_unlink(NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_unlink(""), INDEXBUS_INVALID_ARGUMENT);

    /* 0 means "default" for every geometry field (fanout consumer_count too) */
    cfg = cfg_for(INDEXBUS_KIND_FANOUT);
    cfg.slot_count = cfg.slot_data_size = cfg.queue_capacity = cfg.consumer_count = cfg.mode = 0;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.slot_count == INDEXBUS_DEFAULT_SLOTS);
    CHECK(info.queue_capacity == INDEXBUS_DEFAULT_SLOTS);
    CHECK(info.slot_data_size == INDEXBUS_DEFAULT_SLOT_DATA);
    CHECK(info.consumer_count == INDEXBUS_DEFAULT_FANOUT_CONSUMERS);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

static void test_exists_not_found_io(void)
{
    const char *name = ib_test_name("rex");
    indexbus_region_config cfg = cfg_for(INDEXBUS_KIND_EVENTS);
    indexbus_region *r, *r2 = NULL;
    cfg.slot_count = cfg.queue_capacity = 8;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    CHECK_ST(indexbus_region_create(name, &cfg, &r2), INDEXBUS_EXISTS);
    CHECK(r2 == NULL);
    roundtrip(r); /* the failed second create did not disturb the first */
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_region_open(name, NULL, &r), INDEXBUS_NOT_FOUND);
    CHECK(r == NULL);

    char path[128], file[96];
    tmp_path(path, sizeof path, "missing");
    CHECK_ST(indexbus_region_open(path, NULL, &r), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_region_unlink(path), INDEXBUS_NOT_FOUND);
    snprintf(path, sizeof path, "/tmp/ibt-nodir-%d/x.region", (int)getpid());
    CHECK_ST(indexbus_region_create(path, &cfg, &r), INDEXBUS_NOT_FOUND);

    /* a path through a regular file: ENOTDIR, which maps to IO */
    tmp_path(file, sizeof file, "notdir");
    FILE *f = fopen(file, "w");
    REQUIRE(f != NULL);
    fclose(f);
    snprintf(path, sizeof path, "%s/x", file);
    CHECK_ST(indexbus_region_create(path, &cfg, &r), INDEXBUS_IO);
    CHECK(r == NULL);
    CHECK_ST(indexbus_region_open(path, NULL, &r), INDEXBUS_IO);
    CHECK_ST(indexbus_region_unlink(path), INDEXBUS_IO);
    unlink(file);
}

static void test_file_paths(void)
{
    char path[96], rel[96];
    indexbus_region_config cfg = cfg_for(INDEXBUS_KIND_EVENTS);
    indexbus_region *r, *r2;
    cfg.slot_count = cfg.queue_capacity = 8;
    mode_t old = umask(0); /* permissive: the library must not rely on umask */

    tmp_path(path, sizeof path, "file");
    cfg.mode = 0; /* default */
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    CHECK(file_mode(path) == 0600);
    CHECK_ST(indexbus_region_create(path, &cfg, &r2), INDEXBUS_EXISTS);
    REQUIRE_OK(indexbus_region_open(path, NULL, &r2));
    roundtrip(r2);
    indexbus_region_close(r2);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(path), INDEXBUS_OK);
    CHECK(access(path, F_OK) != 0);

    umask(077); /* restrictive: an explicit mode is still applied exactly */
    cfg.mode = 0640;
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    CHECK(file_mode(path) == 0640);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(path), INDEXBUS_OK);

    umask(0);
    snprintf(rel, sizeof rel, "./ibt-rel-%d.region", (int)getpid());
    unlink(rel);
    cfg.mode = 0;
    REQUIRE_OK(indexbus_region_create(rel, &cfg, &r));
    CHECK(file_mode(rel) == 0600);
    REQUIRE_OK(indexbus_region_open(rel, NULL, &r2));
    roundtrip(r2);
    indexbus_region_close(r2);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(rel), INDEXBUS_OK);

    /* POSIX shm regions get the same default mode */
    const char *name = ib_test_name("rshm");
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    char shm[96];
    snprintf(shm, sizeof shm, "/dev/shm%s", name);
    if (access(shm, F_OK) == 0)
        CHECK(file_mode(shm) == 0600);
    else
        printf("note: %s not visible, shm mode check skipped\n", shm);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
    umask(old);
}

static void test_symlink(void)
{
    char path[96], link[96];
    indexbus_region_config cfg = cfg_for(INDEXBUS_KIND_EVENTS);
    indexbus_region *r, *r2 = NULL;
    cfg.slot_count = cfg.queue_capacity = 8;
    tmp_path(path, sizeof path, "target");
    tmp_path(link, sizeof link, "link");
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    REQUIRE(symlink(path, link) == 0);
    CHECK_ST(indexbus_region_open(link, NULL, &r2), INDEXBUS_PERMISSION);
    CHECK(r2 == NULL);
    CHECK_ST(indexbus_region_create(link, &cfg, &r2), INDEXBUS_EXISTS);
    CHECK(access(path, F_OK) == 0); /* the refused create did not unlink the target */
    unlink(link);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(path), INDEXBUS_OK);
}

IB_SHARED static char perm_path[96];
IB_SHARED static char perm_shm[64];

/* Child: drop to nobody and touch the parent's 0600 root-owned regions. */
static int perm_child(int arg)
{
    (void)arg;
    indexbus_region *r = NULL;
    if (setgid(65534) != 0 || setuid(65534) != 0) {
        printf("note: cannot drop privileges (%s); PERMISSION via setuid skipped\n",
               strerror(errno));
        return 0;
    }
    CHECK_ST(indexbus_region_open(perm_path, NULL, &r), INDEXBUS_PERMISSION);
    CHECK(r == NULL);
    CHECK_ST(indexbus_region_open(perm_shm, NULL, &r), INDEXBUS_PERMISSION);
    CHECK_ST(indexbus_region_unlink(perm_path), INDEXBUS_PERMISSION); /* sticky /tmp */
    return 0;
}

static void test_permission(void)
{
    indexbus_region_config cfg = cfg_for(INDEXBUS_KIND_EVENTS);
    indexbus_region *r, *r2, *r3 = NULL;
    cfg.slot_count = cfg.queue_capacity = 8;
    tmp_path(perm_path, sizeof perm_path, "perm");
    snprintf(perm_shm, sizeof perm_shm, "%s", ib_test_name("rperm"));
    REQUIRE_OK(indexbus_region_create(perm_path, &cfg, &r));
    REQUIRE_OK(indexbus_region_create(perm_shm, &cfg, &r2));
    if (geteuid() != 0) {
        REQUIRE(chmod(perm_path, 0) == 0);
        CHECK_ST(indexbus_region_open(perm_path, NULL, &r3), INDEXBUS_PERMISSION);
        CHECK(r3 == NULL);
    } else {
        printf("note: running as root, mode 0000 does not deny root; "
               "checking PERMISSION from a child that drops to uid 65534\n");
        CHECK(ib_join(ib_spawn(perm_child, 0)) == 0);
    }
    indexbus_region_close(r);
    indexbus_region_close(r2);
    CHECK_ST(indexbus_region_unlink(perm_path), INDEXBUS_OK);
    CHECK_ST(indexbus_region_unlink(perm_shm), INDEXBUS_OK);
}

static void test_prefault(void)
{
    const char *name = ib_test_name("rpre");
    indexbus_region_config cfg = cfg_for(INDEXBUS_KIND_EVENTS);
    indexbus_region *r;
    cfg.slot_count = cfg.queue_capacity = 64;
    cfg.slot_data_size = 4096;
    cfg.flags = INDEXBUS_CREATE_PREFAULT;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.slot_count == 64 && info.slot_data_size == 4096 && info.free_slots == 64);
    roundtrip(r);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* Expected layout size, from the header's own directory (slot pool is last). */
static uint64_t layout_bytes(const char *path)
{
    indexbus_region_header h;
    FILE *f = fopen(path, "rb");
    REQUIRE(f != NULL && fread(&h, sizeof h, 1, f) == 1);
    fclose(f);
    uint64_t end = 0;
    for (uint32_t i = 0; i < h.section_count && i < INDEXBUS_MAX_SECTIONS; i++)
        if (h.sections[i].offset + h.sections[i].length > end)
            end = h.sections[i].offset + h.sections[i].length;
    CHECK(h.total_bytes == ((end + INDEXBUS_PAGE - 1) & ~(uint64_t)(INDEXBUS_PAGE - 1)));
    return h.total_bytes;
}

static void check_info(uint32_t kind, uint32_t slots, uint32_t queue, uint32_t data,
                       uint32_t consumers)
{
    char path[96];
    indexbus_region_config cfg = cfg_for(kind);
    indexbus_region *r;
    cfg.slot_count = slots;
    cfg.queue_capacity = queue;
    cfg.slot_data_size = data;
    cfg.consumer_count = consumers;
    tmp_path(path, sizeof path, "info");
    struct timespec t0, t1;
    clock_gettime(CLOCK_REALTIME, &t0);
    REQUIRE_OK(indexbus_region_create(path, &cfg, &r));
    clock_gettime(CLOCK_REALTIME, &t1);

    indexbus_info info;
    memset(&info, 0xee, sizeof info);
    info.size = sizeof info;
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.size == sizeof info);
    CHECK(info.kind == kind && info.layout_major == 1 && info.layout_minor == 0);
    uint64_t caps = INDEXBUS_CAP_MPSC | INDEXBUS_CAP_BLOCKING | INDEXBUS_CAP_COUNTERS |
                    INDEXBUS_CAP_PARTICIPANTS |
                    (kind == INDEXBUS_KIND_FANOUT ? INDEXBUS_CAP_FANOUT : INDEXBUS_CAP_EVENTS) |
                    (kind == INDEXBUS_KIND_EVENTS && slots >= 2 * queue ? INDEXBUS_CAP_SPSC_RECYCLE
                                                                        : 0);
    CHECK(info.capabilities == caps);
    CHECK(info.slot_count == slots && info.queue_capacity == queue);
    CHECK(info.slot_data_size == data && info.consumer_count == consumers);
    CHECK(info.total_bytes == layout_bytes(path));
    struct stat sb;
    REQUIRE(stat(path, &sb) == 0);
    CHECK((uint64_t)sb.st_size >= info.total_bytes && info.total_bytes % INDEXBUS_PAGE == 0);
    CHECK(info.creator_pid == (uint32_t)getpid());
    uint64_t ns0 = (uint64_t)t0.tv_sec * 1000000000u + (uint64_t)t0.tv_nsec;
    uint64_t ns1 = (uint64_t)t1.tv_sec * 1000000000u + (uint64_t)t1.tv_nsec;
    CHECK(info.creation_time_ns >= ns0 && info.creation_time_ns <= ns1);
    CHECK(info.free_slots == slots && info.published == 0 && info.routed == 0);
    CHECK(info.route_no_space == 0 && info.spsc_depth == 0 && info.mpsc_depth == 0);
    CHECK(info.producers_live == 0 && info.consumers_live == 0 && info.routers_live == 0);
    CHECK(info.participants_live == 0);

    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, consumers - 1, &c));
    CHECK_ST(indexbus_publish(p, "abc", 3), INDEXBUS_OK);
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.published == 1 && info.spsc_depth == 1 && info.free_slots == slots - 1);
    CHECK(info.producers_live == 1 && info.consumers_live == 1 && info.participants_live == 2);

    indexbus_consumer_stats cs;
    memset(&cs, 0xee, sizeof cs);
    cs.size = sizeof cs;
    REQUIRE_OK(indexbus_region_consumer_stats(r, consumers - 1, &cs));
    CHECK(cs.size == sizeof cs && cs.attached == 1 && cs.delivered == 0);
    CHECK(cs.dropped_full == 0 && cs.dropped_no_credit == 0);
    CHECK(cs.depth == (kind == INDEXBUS_KIND_EVENTS ? 1u : 0u)); /* fanout: not routed yet */
    if (consumers > 1) {
        REQUIRE_OK(indexbus_region_consumer_stats(r, 0, &cs));
        CHECK(cs.attached == 0);
    }
    CHECK_ST(indexbus_region_consumer_stats(r, consumers, &cs), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_region_consumer_stats(r, 0xffffffffu, &cs), INDEXBUS_OUT_OF_RANGE);
    CHECK_ST(indexbus_region_consumer_stats(r, 0, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_consumer_stats(NULL, 0, &cs), INDEXBUS_INVALID_ARGUMENT);
    cs.size = sizeof cs - 1;
    CHECK_ST(indexbus_region_consumer_stats(r, 0, &cs), INDEXBUS_INVALID_ARGUMENT);

    CHECK_ST(indexbus_region_info(r, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_info(NULL, &info), INDEXBUS_INVALID_ARGUMENT);
    info.size = INDEXBUS_INFO_SIZE_1_0 - 1; /* a 1.0 caller's size is still enough */
    CHECK_ST(indexbus_region_info(r, &info), INDEXBUS_INVALID_ARGUMENT);
    info.size = 0;
    CHECK_ST(indexbus_region_info(r, &info), INDEXBUS_INVALID_ARGUMENT);

    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(path), INDEXBUS_OK);
}

static void test_open_config(void)
{
    const char *name = ib_test_name("rocf");
    indexbus_region *r = ib_test_create(name, INDEXBUS_KIND_EVENTS, 8, 64, 0), *r2;
    indexbus_open_config oc = {.size = sizeof oc, .flags = 0, .ready_timeout_ns = 0};
    REQUIRE_OK(indexbus_region_open(name, &oc, &r2)); /* ready: timeout 0 is fine */
    indexbus_region_close(r2);
    REQUIRE_OK(indexbus_region_open(name, NULL, &r2));
    indexbus_region_close(r2);
    oc.size = sizeof oc - 1;
    r2 = r;
    CHECK_ST(indexbus_region_open(name, &oc, &r2), INDEXBUS_INVALID_ARGUMENT);
    CHECK(r2 == NULL);
    oc.size = 0;
    CHECK_ST(indexbus_region_open(name, &oc, &r2), INDEXBUS_INVALID_ARGUMENT);
    oc.size = sizeof oc;
    oc.flags = 2; /* 1 is INDEXBUS_OPEN_READ_ONLY (1.3) */
    CHECK_ST(indexbus_region_open(name, &oc, &r2), INDEXBUS_INVALID_ARGUMENT);
    oc.flags = 0x80000000u;
    CHECK_ST(indexbus_region_open(name, &oc, &r2), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_open(name, NULL, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_close(NULL), INDEXBUS_OK);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

/* Producer and consumer handles outlive every region handle and the name. */
static void test_handles_keep_mapping(void)
{
    const char *name = ib_test_name("rkeep");
    indexbus_region *r = ib_test_create(name, INDEXBUS_KIND_EVENTS, 8, 64, 0), *r2;
    indexbus_producer *p;
    indexbus_consumer *c;
    char buf[64];
    size_t len = 0;
    REQUIRE_OK(indexbus_region_open(name, NULL, &r2));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r2, 0, &c));
    CHECK_ST(indexbus_region_close(r), INDEXBUS_OK);
    CHECK_ST(indexbus_region_close(r2), INDEXBUS_OK);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
    for (int round = 0; round < 20; round++) { /* wraps the 8-slot queue */
        CHECK_ST(indexbus_publish(p, &round, sizeof round), INDEXBUS_OK);
        CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
        CHECK(len == sizeof round && memcmp(buf, &round, sizeof round) == 0);
    }
    CHECK_ST(indexbus_producer_close(p), INDEXBUS_OK);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_consumer_close(c), INDEXBUS_OK); /* last reference: unmaps */
}

static const ib_helper helpers[] = {
    IB_HELPER(perm_child),
    {NULL, NULL},
};

/* Consumer stats, sweep and gc of a quiet region of each 1.1 kind (no
 * queues, no pool): OK, and gc removes it. */
static void test_sweep_1_1_kinds(void)
{
    static const uint32_t kinds[] = {INDEXBUS_KIND_LOG, INDEXBUS_KIND_STREAM, INDEXBUS_KIND_RPC};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        const char *name = ib_test_name("sweep-1-1");
        indexbus_region_config cfg;
        indexbus_region *r, *again;
        REQUIRE_OK(indexbus_region_config_init(&cfg, kinds[i]));
        REQUIRE_OK(indexbus_region_create(name, &cfg, &r));
        indexbus_consumer_stats cs = {.size = sizeof cs};
        CHECK_ST(indexbus_region_consumer_stats(r, 0, &cs), INDEXBUS_OK);
        CHECK(cs.attached == 0 && cs.depth == 0);
        indexbus_recover_report rep = {.size = sizeof rep};
        CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
        CHECK(rep.dead == 0 && rep.slots_reclaimed == 0);
        indexbus_region_close(r);
        CHECK_ST(indexbus_region_gc(name), INDEXBUS_OK);
        CHECK_ST(indexbus_region_open(name, NULL, &again), INDEXBUS_NOT_FOUND);
    }
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    test_sweep_1_1_kinds();
    test_config_init();
    test_bad_geometry();
    test_exists_not_found_io();
    test_file_paths();
    test_symlink();
    test_permission();
    test_prefault();
    check_info(INDEXBUS_KIND_EVENTS, 16, 8, 128, 1);
    check_info(INDEXBUS_KIND_FANOUT, 32, 64, 256, 3);
    check_info(INDEXBUS_KIND_FANOUT, 2, 2, 64, 64);
    test_open_config();
    test_handles_keep_mapping();
    return ib_test_done("region");
}
