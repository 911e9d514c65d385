/* region.c - create, open (with validation), close, unlink. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/atomics.h"
#include "../common/clock.h"
#include "../common/slots.h"
#include "region.h"

#define IB_DEFAULT_READY_TIMEOUT_NS 1000000000ull

static int errno_status(int e)
{
    switch (e) {
    case EEXIST: return INDEXBUS_EXISTS;
    case ENOENT: return INDEXBUS_NOT_FOUND;
    case EACCES:
    case EPERM: return INDEXBUS_PERMISSION;
    case ENOMEM: return INDEXBUS_NO_MEMORY;
    case EINVAL:
    case ENAMETOOLONG: return INDEXBUS_INVALID_ARGUMENT;
    case ELOOP: return INDEXBUS_PERMISSION; /* O_NOFOLLOW refused a symlink */
    default: return INDEXBUS_IO;
    }
}

/* Mappings on hugetlbfs must be whole huge pages; st_blksize says how big. */
static uint64_t map_unit(int fd)
{
    struct stat sb;
    if (fstat(fd, &sb) == 0 && sb.st_blksize > (blksize_t)INDEXBUS_PAGE)
        return (uint64_t)sb.st_blksize;
    return INDEXBUS_PAGE;
}

/* A name with no '/' after its first character is POSIX shm. */
static int is_shm_name(const char *name)
{
    return strchr(name[0] == '/' ? name + 1 : name, '/') == NULL;
}

/* Check a region name; for POSIX shm, write shm_open's "/name" form. */
static int parse_name(const char *name, char shm[258], int *is_shm)
{
    if (name == NULL || name[0] == '\0' || strlen(name) >= 255)
        return INDEXBUS_INVALID_ARGUMENT;
    *is_shm = is_shm_name(name);
    if (*is_shm) {
        shm[0] = '/';
        strcpy(shm + 1, name[0] == '/' ? name + 1 : name);
        if (shm[1] == '\0')
            return INDEXBUS_INVALID_ARGUMENT;
    }
    return INDEXBUS_OK;
}

static int open_name(const char *name, int flags, mode_t mode, int *fd)
{
    char shm[258];
    int is_shm, st = parse_name(name, shm, &is_shm);
    if (st != INDEXBUS_OK)
        return st;
    *fd = is_shm ? shm_open(shm, flags, mode) : open(name, flags | O_NOFOLLOW, mode);
    return *fd < 0 ? errno_status(errno) : INDEXBUS_OK;
}

static indexbus_region *region_new(const char *name, int fd, uint8_t *base, size_t len,
                                   const ib_geometry *g, const indexbus_region_header *hdr)
{
    indexbus_region *r = calloc(1, sizeof(*r));
    if (r == NULL)
        return NULL;
    ib_view_init(&r->v, base, g);
    r->hdr = *hdr;
    r->fd = fd;
    r->probe_fd = -1;
    r->map_len = len;
    r->refs = 1;
    strncpy(r->name, name, sizeof(r->name) - 1);
    return r;
}

void ib_region_ref(indexbus_region *r) { ib_fetch_add_relaxed(&r->refs, 1); }

void ib_region_unref(indexbus_region *r)
{
    /* process-local; pairs with the other handles' decrements: the last one
     * sees every use of the mapping done */
    if (ib_fetch_sub_acq_rel(&r->refs, 1) != 1)
        return;
    munmap(r->v.base, r->map_len);
    if (r->probe_fd >= 0 && r->probe_fd != r->fd) /* read-only: the same (open) */
        close(r->probe_fd);
    close(r->fd);
    free(r);
}

/* ---- create ----------------------------------------------------------------- */

INDEXBUS_API int indexbus_region_config_init(indexbus_region_config *cfg, uint32_t kind)
{
    if (cfg == NULL || kind < INDEXBUS_KIND_EVENTS || kind > INDEXBUS_KIND_RPC)
        return INDEXBUS_INVALID_ARGUMENT;
    /* a caller built against 1.0 has a 32-byte struct and never asks for a
     * 1.1 kind: write only what it has (indexbus.h) */
    int v1_1 = ib_kind_incompat_bit(kind) != 0;
    size_t n = v1_1 ? sizeof(*cfg) : INDEXBUS_REGION_CONFIG_SIZE_1_0;
    memset(cfg, 0, n);
    cfg->size = (uint32_t)n;
    cfg->kind = kind;
    cfg->mode = 0600;
    if (kind == INDEXBUS_KIND_RPC) {
        cfg->consumer_count = 1;
        cfg->slot_count = INDEXBUS_RPC_DEFAULT_CELLS;
        cfg->slot_data_size = INDEXBUS_RPC_DEFAULT_MAX_MESSAGE;
        cfg->max_record = INDEXBUS_RPC_DEFAULT_MAX_MESSAGE;
        return INDEXBUS_OK;
    }
    if (v1_1) {
        cfg->consumer_count = 1;
        cfg->byte_capacity = INDEXBUS_LOG_DEFAULT_BYTES;
        /* max_record 0: the default for whatever byte_capacity ends up */
        return INDEXBUS_OK;
    }
    /* events: twice the queue, so SPSC slots recycle through their cells */
    cfg->slot_count = kind == INDEXBUS_KIND_EVENTS ? 2 * INDEXBUS_DEFAULT_SLOTS : INDEXBUS_DEFAULT_SLOTS;
    cfg->slot_data_size = INDEXBUS_DEFAULT_SLOT_DATA;
    cfg->queue_capacity = INDEXBUS_DEFAULT_SLOTS;
    cfg->consumer_count = kind == INDEXBUS_KIND_EVENTS ? 1 : INDEXBUS_DEFAULT_FANOUT_CONSUMERS;
    return INDEXBUS_OK;
}

/* 64 KiB, or the most a record may take of this ring (half of it). */
uint32_t ib_log_default_max_record(uint64_t log_bytes)
{
    uint64_t most = log_bytes / 2 - INDEXBUS_LOG_HEADER_BYTES;
    return (uint32_t)(most < INDEXBUS_LOG_DEFAULT_MAX_RECORD ? most : INDEXBUS_LOG_DEFAULT_MAX_RECORD);
}

/* The geometry a config asks for, defaults filled in. Byte-log fields are
 * read only from a config whose size covers them. */
static int config_geometry(const indexbus_region_config *cfg, ib_geometry *g)
{
    indexbus_region_config def;
    if (indexbus_region_config_init(&def, cfg->kind) != INDEXBUS_OK)
        return INDEXBUS_INVALID_ARGUMENT;
    int full = cfg->size >= sizeof(*cfg);
    if (cfg->kind == INDEXBUS_KIND_RPC) {
        if (cfg->queue_capacity || (full && cfg->byte_capacity) ||
            (cfg->consumer_count && cfg->consumer_count != 1))
            return INDEXBUS_INVALID_ARGUMENT;
        return ib_geometry_compute_rpc(cfg->slot_count ? cfg->slot_count : def.slot_count,
                                       cfg->slot_data_size ? cfg->slot_data_size
                                                           : def.slot_data_size,
                                       full && cfg->max_record ? cfg->max_record : def.max_record,
                                       g);
    }
    if (ib_kind_incompat_bit(cfg->kind) != 0) { /* byte log or byte stream */
        uint64_t bytes = full && cfg->byte_capacity ? cfg->byte_capacity : def.byte_capacity;
        if (cfg->slot_count || cfg->slot_data_size || cfg->queue_capacity ||
            (cfg->consumer_count && cfg->consumer_count != 1))
            return INDEXBUS_INVALID_ARGUMENT; /* slot geometry means nothing here */
        if (bytes < INDEXBUS_LOG_MIN_BYTES || bytes > INDEXBUS_LOG_MAX_BYTES)
            return INDEXBUS_INVALID_ARGUMENT;
        return ib_geometry_compute_log(cfg->kind, bytes,
                                       full && cfg->max_record ? cfg->max_record
                                                               : ib_log_default_max_record(bytes),
                                       g);
    }
    uint32_t slots = cfg->slot_count ? cfg->slot_count : def.slot_count;
    return ib_geometry_compute(cfg->kind, slots,
                               cfg->slot_data_size ? cfg->slot_data_size : def.slot_data_size,
                               cfg->queue_capacity ? cfg->queue_capacity
                               : cfg->slot_count   ? slots
                                                   : def.queue_capacity,
                               cfg->consumer_count ? cfg->consumer_count : def.consumer_count, g);
}

/* The capability bits that name a region's kind (LAYOUT.md 9). */
static uint64_t kind_caps(uint32_t kind)
{
    switch (kind) {
    case INDEXBUS_KIND_FANOUT: return INDEXBUS_CAP_FANOUT;
    case INDEXBUS_KIND_LOG: return INDEXBUS_CAP_LOG | INDEXBUS_CAP_BYTE_LOG;
    case INDEXBUS_KIND_STREAM: return INDEXBUS_CAP_STREAM | INDEXBUS_CAP_BYTE_STREAM;
    case INDEXBUS_KIND_RPC: return INDEXBUS_CAP_RPC | INDEXBUS_CAP_RPC_CELLS;
    default: return INDEXBUS_CAP_EVENTS;
    }
}

/* Random bytes for a region's identity; a clock and pid mix if the kernel
 * has none to give (the identity must differ between regions, nothing more). */
static void ib_random_bytes(uint8_t *out, size_t n)
{
    ssize_t got = getrandom(out, n, GRND_NONBLOCK);
    if (got == (ssize_t)n)
        return;
    uint64_t x = ib_now_realtime_ns() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)out;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        out[i] = (uint8_t)x;
    }
}

/* Lay out a fresh region; *h gets the header, built here and copied in, so
 * that the caller keeps what it wrote rather than reading it back. */
static void region_init(uint8_t *base, const ib_geometry *g, indexbus_region_header *h)
{
    ib_view v;
    ib_view_init(&v, base, g);
    /* the file is fresh (all zero): only non-zero state needs writing */
    if (v.pool != NULL) { /* 1.1 kinds have no pool; they start all zero */
        for (uint32_t i = 0; i < g->slot_count; i++)
            ib_slot(&v, i)->next_free = i + 1 < g->slot_count ? i + 1 : INDEXBUS_SLOT_NIL;
        v.pool->free_head = 0; /* tag 0, slot 0 */
    }
    for (uint32_t i = 0; i < g->queue_capacity; i++)
        v.mpsc_cells[i].seq = i;
    if (v.durable != NULL)
        ib_random_bytes(v.durable->region_id, sizeof(v.durable->region_id));

    *h = (indexbus_region_header){
        .magic = INDEXBUS_MAGIC,
        .layout_major = INDEXBUS_LAYOUT_MAJOR,
        .layout_minor = ib_layout_minor_for(g),
        .header_bytes = INDEXBUS_HEADER_BYTES,
        .region_kind = g->kind,
        .capabilities = INDEXBUS_CAP_MPSC | INDEXBUS_CAP_BLOCKING | INDEXBUS_CAP_COUNTERS |
                        INDEXBUS_CAP_PARTICIPANTS |
                        kind_caps(g->kind) |
                        (g->recycle ? INDEXBUS_CAP_SPSC_RECYCLE : 0) |
                        (g->durable ? INDEXBUS_CAP_DURABLE | INDEXBUS_CAP_DURABLE_STATE : 0) |
                        (g->fanout_recycle ? INDEXBUS_CAP_FANOUT_RECYCLE : 0) |
                        (g->mpsc_batch ? INDEXBUS_CAP_MPSC_BATCH : 0) |
                        (g->mpsc_recycle ? INDEXBUS_CAP_MPSC_RECYCLE : 0),
        .total_bytes = g->total_bytes,
        .slot_count = g->slot_count,
        .slot_data_size = g->slot_data_size,
        .slot_stride = g->slot_stride,
        .queue_capacity = g->queue_capacity,
        .consumer_count = g->consumer_count,
        .log_bytes = g->log_bytes,
        .log_max_record = g->log_max_record,
        .section_count = g->section_count,
        .creator_pid = (uint32_t)getpid(),
        .creation_time_ns = ib_now_realtime_ns(),
    };
    memcpy(h->sections, g->sections, sizeof(h->sections));
    indexbus_region_header *shared = (indexbus_region_header *)base;
    memcpy(shared, h, sizeof(*h)); /* ready is still 0 in both */
    /* written last; pairs with the acquire load of ready in wait_ready */
    ib_store_release(&shared->ready, INDEXBUS_READY_VALUE);
    h->ready = INDEXBUS_READY_VALUE;
}

#define IB_CREATE_FLAGS                                                                    \
    (INDEXBUS_CREATE_PREFAULT | INDEXBUS_CREATE_DURABLE | INDEXBUS_CREATE_RECYCLE |            \
     INDEXBUS_CREATE_MPSC_BATCH)

/* The 1.3 features a creator asked for (indexbus.h says which kinds take
 * them). */
static int config_features(uint32_t flags, ib_geometry *g)
{
    int slots = g->kind == INDEXBUS_KIND_EVENTS || g->kind == INDEXBUS_KIND_FANOUT;
    if (!slots && (flags & (INDEXBUS_CREATE_RECYCLE | INDEXBUS_CREATE_MPSC_BATCH)))
        return INDEXBUS_INVALID_ARGUMENT;
    g->fanout_recycle = g->kind == INDEXBUS_KIND_FANOUT && (flags & INDEXBUS_CREATE_RECYCLE);
    g->mpsc_recycle = g->kind == INDEXBUS_KIND_EVENTS && (flags & INDEXBUS_CREATE_RECYCLE);
    /* fanout: the SPSC producer's cells and the consumers' cells each keep a
     * lap of slots; events: the SPSC and the MPSC cells do. With fewer the
     * pool starves every lap (LAYOUT.md 5.21, 5.22) */
    if ((flags & INDEXBUS_CREATE_RECYCLE) && g->slot_count < 2ull * g->queue_capacity)
        return INDEXBUS_INVALID_ARGUMENT;
    g->mpsc_batch = (flags & INDEXBUS_CREATE_MPSC_BATCH) != 0;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_region_create(const char *name, const indexbus_region_config *cfg,
                                        indexbus_region **out)
{
    ib_geometry g;
    int fd, st;
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (cfg == NULL || cfg->size < INDEXBUS_REGION_CONFIG_SIZE_1_0)
        return INDEXBUS_INVALID_ARGUMENT;
    if (cfg->flags & ~IB_CREATE_FLAGS || cfg->mode & ~0777u)
        return INDEXBUS_INVALID_ARGUMENT;
    st = config_geometry(cfg, &g);
    if (st == INDEXBUS_OK)
        st = config_features(cfg->flags, &g);
    if (st == INDEXBUS_OK && (cfg->flags & INDEXBUS_CREATE_DURABLE))
        st = ib_geometry_add_durable(&g);
    if (st != INDEXBUS_OK)
        return st;
    mode_t mode = cfg->mode ? cfg->mode : 0600;
    st = open_name(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, mode, &fd);
    if (st != INDEXBUS_OK)
        return st;
    uint64_t file_size = IB_ALIGN_UP(g.total_bytes, map_unit(fd));
    uint8_t *base = MAP_FAILED;
    if (fchmod(fd, mode) != 0 || ftruncate(fd, (off_t)file_size) != 0)
        goto fail_errno;
    base = mmap(NULL, file_size, PROT_READ | PROT_WRITE,
                MAP_SHARED | (cfg->flags & INDEXBUS_CREATE_PREFAULT ? MAP_POPULATE : 0), fd, 0);
    if (base == MAP_FAILED)
        goto fail_errno;
    indexbus_region_header hdr;
    region_init(base, &g, &hdr);
    *out = region_new(name, fd, base, file_size, &g, &hdr);
    if (*out == NULL) {
        st = INDEXBUS_NO_MEMORY;
        goto fail;
    }
    return INDEXBUS_OK;
fail_errno:
    st = errno_status(errno);
fail:
    if (base != MAP_FAILED)
        munmap(base, file_size);
    close(fd);
    indexbus_region_unlink(name);
    return st;
}

/* ---- open ------------------------------------------------------------------- */

/* Wait for the creator's ready word; on OK *hdr is a private copy of the
 * header, so later writes by others cannot change what was validated. */
static int wait_ready(int fd, uint64_t timeout_ns, indexbus_region_header *hdr, uint64_t *fsize)
{
    uint64_t deadline = ib_deadline(ib_now_monotonic_ns(), timeout_ns), unit = map_unit(fd);
    for (;;) {
        struct stat sb;
        if (fstat(fd, &sb) != 0)
            return errno_status(errno);
        *fsize = (uint64_t)sb.st_size;
        if (*fsize > 0 && *fsize < INDEXBUS_HEADER_BYTES)
            return INDEXBUS_CORRUPT; /* truncated: ftruncate sizes in one step */
        if (*fsize >= INDEXBUS_HEADER_BYTES) { /* a short last page maps fine */
            void *m = mmap(NULL, unit, PROT_READ, MAP_SHARED, fd, 0);
            if (m == MAP_FAILED)
                return errno_status(errno);
            indexbus_region_header *h = m;
            /* pairs with the release store of ready at the end of region_init */
            uint32_t ready = ib_load_acquire(&h->ready);
            memcpy(hdr, h, sizeof(*hdr));
            munmap(m, unit);
            if (ready == INDEXBUS_READY_VALUE)
                return INDEXBUS_OK;
            if (hdr->magic != 0 && hdr->magic != INDEXBUS_MAGIC)
                return INDEXBUS_INCOMPATIBLE;
            if (ready != 0)
                return INDEXBUS_CORRUPT;
        }
        if (ib_now_monotonic_ns() >= deadline)
            return INDEXBUS_NOT_READY;
        struct timespec nap = {0, 200000};
        nanosleep(&nap, NULL);
    }
}

/* A read-only handle: it holds no liveness lock, so its own descriptor
 * serves as the probe (another open of /proc/self/fd/N would want write
 * access for the O_RDWR ib_open_probe asks; F_OFD_GETLK needs none). */
static void region_set_read_only(indexbus_region *r)
{
    r->read_only = 1;
    r->probe_fd = r->fd;
}

INDEXBUS_API int indexbus_region_open(const char *name, const indexbus_open_config *cfg,
                                      indexbus_region **out)
{
    uint64_t timeout = IB_DEFAULT_READY_TIMEOUT_NS, fsize = 0;
    indexbus_region_header hdr;
    ib_geometry g;
    int fd, st, ro = 0;
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (cfg != NULL) {
        if (cfg->size < sizeof(*cfg) || (cfg->flags & ~INDEXBUS_OPEN_READ_ONLY) != 0)
            return INDEXBUS_INVALID_ARGUMENT;
        timeout = cfg->ready_timeout_ns;
        ro = (cfg->flags & INDEXBUS_OPEN_READ_ONLY) != 0;
    }
    st = open_name(name, (ro ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0, &fd);
    if (st != INDEXBUS_OK)
        return st;
    st = wait_ready(fd, timeout, &hdr, &fsize);
    if (st == INDEXBUS_OK)
        st = ib_header_validate(&hdr, fsize, &g);
    if (st != INDEXBUS_OK) {
        close(fd);
        return st;
    }
    uint64_t len = IB_ALIGN_UP(hdr.total_bytes, map_unit(fd));
    if (len > fsize) {
        close(fd);
        return INDEXBUS_CORRUPT;
    }
    /* read-only: a stray write through this mapping faults instead of
     * changing the region */
    uint8_t *base = mmap(NULL, len, ro ? PROT_READ : PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        st = errno_status(errno);
        close(fd);
        return st;
    }
    *out = region_new(name, fd, base, len, &g, &hdr);
    if (*out == NULL) {
        munmap(base, len);
        close(fd);
        return INDEXBUS_NO_MEMORY;
    }
    if (ro)
        region_set_read_only(*out);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_region_read_only(const indexbus_region *region, uint32_t *read_only)
{
    if (region == NULL || read_only == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *read_only = region->read_only;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_region_close(indexbus_region *region)
{
    if (region != NULL)
        ib_region_unref(region);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_region_unlink(const char *name)
{
    char shm[258];
    int is_shm, st = parse_name(name, shm, &is_shm);
    if (st != INDEXBUS_OK)
        return st;
    int rc = is_shm ? shm_unlink(shm) : unlink(name);
    return rc == 0 ? INDEXBUS_OK : errno_status(errno);
}
