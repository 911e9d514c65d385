/*
 * bad_util.h - helpers for the bad-region tests (header-only, test-local).
 *
 * A bad region is a FILE-path region: create a good one at
 * /tmp/ibt-bad-<pid>-N.region, close it, patch bytes with pwrite/truncate,
 * then open it. For live regions a "rogue" second mapping of the same file
 * lets the test scribble on queues while handles are attached. Section
 * offsets always come from the header's own section directory.
 */
#ifndef IB_TEST_BAD_UTIL_H
#define IB_TEST_BAD_UTIL_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <indexbus/layout.h>

#include "harness.h"

/* "/tmp/ibt-bad-<pid>-<n>.region", removed first. Eight rotating buffers. */
static inline const char *bad_path(int n)
{
    static char names[8][96];
    static int next;
    char *p = names[next++ % 8];
    snprintf(p, sizeof(names[0]), "/tmp/ibt-bad-%d-%d.region", (int)getpid(), n);
    unlink(p);
    return p;
}

/* Create a region at path with the given geometry (0 = default). The
 * region stays open if keep != NULL, else it is closed. */
static inline void bad_create(const char *path, uint32_t kind, uint32_t slots, uint32_t queue,
                              uint32_t data, uint32_t consumers, indexbus_region **keep)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    if (slots)
        cfg.slot_count = cfg.queue_capacity = slots;
    if (queue)
        cfg.queue_capacity = queue;
    if (data)
        cfg.slot_data_size = data;
    if (consumers)
        cfg.consumer_count = consumers;
    int st = indexbus_region_create(path, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", path, indexbus_status_name(st));
        exit(1);
    }
    if (keep != NULL)
        *keep = r;
    else
        indexbus_region_close(r);
}

/* Open with a ready timeout (ns); *out is closed by the caller if OK. */
static inline int bad_open(const char *path, uint64_t ready_timeout_ns, indexbus_region **out)
{
    indexbus_open_config oc = {.size = sizeof oc, .flags = 0, .ready_timeout_ns = ready_timeout_ns};
    return indexbus_region_open(path, &oc, out);
}

/* Open, and close again at once if it worked; returns the status. */
static inline int bad_open_status(const char *path, uint64_t ready_timeout_ns)
{
    indexbus_region *r = NULL;
    int st = bad_open(path, ready_timeout_ns, &r);
    if (st == INDEXBUS_OK)
        indexbus_region_close(r);
    else
        CHECK(r == NULL);
    return st;
}

static inline void bad_pwrite(const char *path, uint64_t off, const void *data, size_t n)
{
    int fd = open(path, O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(pwrite(fd, data, n, (off_t)off) == (ssize_t)n);
    close(fd);
}

static inline void bad_pread(const char *path, uint64_t off, void *data, size_t n)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(pread(fd, data, n, (off_t)off) == (ssize_t)n);
    close(fd);
}

static inline void bad_truncate(const char *path, uint64_t size)
{
    REQUIRE(truncate(path, (off_t)size) == 0);
}

static inline uint64_t bad_file_size(const char *path)
{
    struct stat sb;
    REQUIRE(stat(path, &sb) == 0);
    return (uint64_t)sb.st_size;
}

static inline void bad_read_header(const char *path, indexbus_region_header *h)
{
    bad_pread(path, 0, h, sizeof *h);
}

static inline void bad_write_header(const char *path, const indexbus_region_header *h)
{
    bad_pwrite(path, 0, h, sizeof *h);
}

/* Directory index of the section of `kind`; exits if there is none. */
static inline uint32_t bad_section_index(const indexbus_region_header *h, uint32_t kind)
{
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == kind)
            return i;
    fprintf(stderr, "section %u not in the directory\n", kind);
    exit(1);
}

/* ---- rogue mapping of a live region ------------------------------------------ */

typedef struct bad_map {
    uint8_t *base;
    size_t len;
    indexbus_region_header *h;
} bad_map;

static inline bad_map bad_map_file(const char *path)
{
    bad_map m;
    int fd = open(path, O_RDWR | O_CLOEXEC);
    REQUIRE(fd >= 0);
    m.len = (size_t)bad_file_size(path);
    m.base = mmap(NULL, m.len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    REQUIRE(m.base != MAP_FAILED);
    close(fd);
    m.h = (indexbus_region_header *)m.base;
    REQUIRE(m.h->magic == INDEXBUS_MAGIC && m.h->total_bytes <= m.len);
    return m;
}

static inline void bad_unmap(bad_map *m)
{
    munmap(m->base, m->len);
    m->base = NULL;
}

static inline void *bad_sec(const bad_map *m, uint32_t kind)
{
    const indexbus_section_entry *e = &m->h->sections[bad_section_index(m->h, kind)];
    REQUIRE(e->offset + e->length <= m->len);
    return m->base + e->offset;
}

static inline indexbus_spsc_ctl *bad_spsc(const bad_map *m)
{
    return bad_sec(m, INDEXBUS_SECTION_SPSC_QUEUE);
}

static inline uint32_t *bad_spsc_cells(indexbus_spsc_ctl *q) { return (uint32_t *)(q + 1); }

static inline indexbus_mpsc_ctl *bad_mpsc(const bad_map *m)
{
    return bad_sec(m, INDEXBUS_SECTION_MPSC_QUEUE);
}

static inline indexbus_mpsc_cell *bad_mpsc_cells(indexbus_mpsc_ctl *q)
{
    return (indexbus_mpsc_cell *)(q + 1);
}

/* Fanout consumer queue i: the section holds consumer_count equal queues. */
static inline indexbus_spsc_ctl *bad_cq(const bad_map *m, uint32_t i)
{
    const indexbus_section_entry *e =
        &m->h->sections[bad_section_index(m->h, INDEXBUS_SECTION_CONSUMER_QUEUES)];
    uint64_t stride = e->length / m->h->consumer_count;
    REQUIRE(i < m->h->consumer_count && stride % INDEXBUS_CACHE_LINE == 0);
    return (indexbus_spsc_ctl *)(m->base + e->offset + i * stride);
}

static inline indexbus_pool_ctl *bad_pool(const bad_map *m)
{
    return bad_sec(m, INDEXBUS_SECTION_SLOT_POOL);
}

static inline indexbus_slot_header *bad_slot(const bad_map *m, uint32_t idx)
{
    uint8_t *slots = (uint8_t *)(bad_pool(m) + 1);
    REQUIRE(idx < m->h->slot_count);
    return (indexbus_slot_header *)(slots + (uint64_t)idx * m->h->slot_stride);
}

static inline indexbus_participants_section *bad_parts(const bad_map *m)
{
    return bad_sec(m, INDEXBUS_SECTION_PARTICIPANTS);
}

/* A status the library may legitimately return. */
static inline int bad_status_defined(int st) { return st >= 0 && st < INDEXBUS_STATUS_COUNT; }

/* info.free_slots right now. */
static inline uint32_t bad_free_slots(const indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    return info.free_slots;
}

#endif /* IB_TEST_BAD_UTIL_H */
