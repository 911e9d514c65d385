/* region.c - create, open (with validation), close, unlink, info. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

#define IB_DEFAULT_READY_TIMEOUT_NS 1000000000ull

uint64_t ib_now_realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t ib_now_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

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

static uint64_t deadline_after(uint64_t timeout_ns)
{
    uint64_t now = ib_now_monotonic_ns();
    return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
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
    if (r->probe_fd >= 0)
        close(r->probe_fd);
    close(r->fd);
    free(r);
}

/* ---- create ----------------------------------------------------------------- */

INDEXBUS_API int indexbus_region_config_init(indexbus_region_config *cfg, uint32_t kind)
{
    if (cfg == NULL || (kind != INDEXBUS_KIND_EVENTS && kind != INDEXBUS_KIND_FANOUT))
        return INDEXBUS_INVALID_ARGUMENT;
    memset(cfg, 0, sizeof(*cfg));
    cfg->size = sizeof(*cfg);
    cfg->kind = kind;
    /* events: twice the queue, so SPSC slots recycle through their cells */
    cfg->slot_count = kind == INDEXBUS_KIND_EVENTS ? 2 * INDEXBUS_DEFAULT_SLOTS : INDEXBUS_DEFAULT_SLOTS;
    cfg->slot_data_size = INDEXBUS_DEFAULT_SLOT_DATA;
    cfg->queue_capacity = INDEXBUS_DEFAULT_SLOTS;
    cfg->consumer_count = kind == INDEXBUS_KIND_EVENTS ? 1 : INDEXBUS_DEFAULT_FANOUT_CONSUMERS;
    cfg->mode = 0600;
    return INDEXBUS_OK;
}

/* Lay out a fresh region; *h gets the header, built here and copied in, so
 * that the caller keeps what it wrote rather than reading it back. */
static void region_init(uint8_t *base, const ib_geometry *g, indexbus_region_header *h)
{
    ib_view v;
    ib_view_init(&v, base, g);
    /* the file is fresh (all zero): only non-zero state needs writing */
    for (uint32_t i = 0; i < g->slot_count; i++)
        ib_slot(&v, i)->next_free = i + 1 < g->slot_count ? i + 1 : INDEXBUS_SLOT_NIL;
    v.pool->free_head = 0; /* tag 0, slot 0 */
    for (uint32_t i = 0; i < g->queue_capacity; i++)
        v.mpsc_cells[i].seq = i;

    *h = (indexbus_region_header){
        .magic = INDEXBUS_MAGIC,
        .layout_major = INDEXBUS_LAYOUT_MAJOR,
        .layout_minor = INDEXBUS_LAYOUT_MINOR,
        .header_bytes = INDEXBUS_HEADER_BYTES,
        .region_kind = g->kind,
        .capabilities = INDEXBUS_CAP_MPSC | INDEXBUS_CAP_BLOCKING | INDEXBUS_CAP_COUNTERS |
                        INDEXBUS_CAP_PARTICIPANTS |
                        (g->kind == INDEXBUS_KIND_FANOUT ? INDEXBUS_CAP_FANOUT : INDEXBUS_CAP_EVENTS) |
                        (g->recycle ? INDEXBUS_CAP_SPSC_RECYCLE : 0),
        .total_bytes = g->total_bytes,
        .slot_count = g->slot_count,
        .slot_data_size = g->slot_data_size,
        .slot_stride = g->slot_stride,
        .queue_capacity = g->queue_capacity,
        .consumer_count = g->consumer_count,
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

INDEXBUS_API int indexbus_region_create(const char *name, const indexbus_region_config *cfg,
                                        indexbus_region **out)
{
    indexbus_region_config def;
    ib_geometry g;
    int fd, st;
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (cfg == NULL || cfg->size < sizeof(*cfg))
        return INDEXBUS_INVALID_ARGUMENT;
    if (indexbus_region_config_init(&def, cfg->kind) != INDEXBUS_OK)
        return INDEXBUS_INVALID_ARGUMENT;
    if (cfg->flags & ~INDEXBUS_CREATE_PREFAULT || cfg->mode & ~0777u)
        return INDEXBUS_INVALID_ARGUMENT;
    uint32_t slots = cfg->slot_count ? cfg->slot_count : def.slot_count;
    st = ib_geometry_compute(cfg->kind, slots,
                             cfg->slot_data_size ? cfg->slot_data_size : def.slot_data_size,
                             cfg->queue_capacity ? cfg->queue_capacity
                             : cfg->slot_count   ? slots
                                                 : def.queue_capacity,
                             cfg->consumer_count ? cfg->consumer_count : def.consumer_count, &g);
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
    uint64_t deadline = deadline_after(timeout_ns), unit = map_unit(fd);
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

INDEXBUS_API int indexbus_region_open(const char *name, const indexbus_open_config *cfg,
                                      indexbus_region **out)
{
    uint64_t timeout = IB_DEFAULT_READY_TIMEOUT_NS, fsize = 0;
    indexbus_region_header hdr;
    ib_geometry g;
    int fd, st;
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (cfg != NULL) {
        if (cfg->size < sizeof(*cfg) || cfg->flags != 0)
            return INDEXBUS_INVALID_ARGUMENT;
        timeout = cfg->ready_timeout_ns;
    }
    st = open_name(name, O_RDWR | O_CLOEXEC, 0, &fd);
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
    uint8_t *base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
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

/* ---- info --------------------------------------------------------------------- */

INDEXBUS_API int indexbus_region_info(const indexbus_region *region, indexbus_info *info)
{
    if (region == NULL || info == NULL || info->size < sizeof(*info))
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = &region->v;
    const indexbus_region_header *h = &region->hdr; /* our copy, not the shared one */
    const indexbus_participants_ctl *pc = &v->parts->ctl;
    memset(info, 0, sizeof(*info));
    info->size = sizeof(*info);
    info->kind = v->kind;
    info->layout_major = h->layout_major;
    info->layout_minor = h->layout_minor;
    info->capabilities = h->capabilities;
    info->total_bytes = h->total_bytes;
    info->slot_count = v->slot_count;
    info->slot_data_size = v->slot_data_size;
    info->queue_capacity = v->queue_capacity;
    info->consumer_count = v->consumer_count;
    info->creator_pid = h->creator_pid;
    info->creation_time_ns = h->creation_time_ns;
    info->free_slots = ib_count_free_slots(v);
    info->published = ib_load_relaxed(&v->counters->published_spsc) +
                      ib_load_relaxed(&v->counters->published_mpsc);
    info->routed = ib_load_relaxed(&v->counters->routed);
    info->route_no_space = ib_load_relaxed(&v->counters->route_no_space);
    info->producers_live = ib_load_relaxed(&pc->producers_live);
    info->consumers_live = ib_load_relaxed(&pc->consumers_live);
    info->routers_live = ib_load_relaxed(&pc->routers_live);
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        info->participants_live +=
            ib_load_relaxed(&v->parts->entries[i].state) == INDEXBUS_PARTICIPANT_ACTIVE;
    info->spsc_depth = ib_spsc_depth(v->spsc, v->queue_capacity);
    info->mpsc_depth = ib_mpsc_depth(v->mpsc, v->queue_capacity);
    return INDEXBUS_OK;
}

/* Attached, and (fanout) already known to the router: a message published
 * now reaches it. */
static int consumer_routed_to(const ib_view *v, uint32_t i)
{
    /* pairs with consumer_open's release store of consumer_owner */
    uint32_t owner = ib_load_acquire(&v->parts->consumer_owner[i]);
    if (owner == 0 || (owner & INDEXBUS_OWNER_LEAVING))
        return 0;
    /* pairs with the router's acq_rel increment of routers_live */
    if (v->kind != INDEXBUS_KIND_FANOUT || ib_load_acquire(&v->parts->ctl.routers_live) == 0)
        return 1;
    /* pairs with ib_bump_consumer_epoch's acq_rel increment */
    uint32_t epoch = ib_load_acquire(&v->parts->ctl.consumer_epoch);
    /* pairs with the router's release store of seen_epoch in refresh_present */
    return (int32_t)(ib_load_acquire(&v->router->seen_epoch) - epoch) >= 0;
}

INDEXBUS_API int indexbus_region_consumer_stats(const indexbus_region *region, uint32_t consumer,
                                                indexbus_consumer_stats *stats)
{
    if (region == NULL || stats == NULL || stats->size < sizeof(*stats))
        return INDEXBUS_INVALID_ARGUMENT;
    const ib_view *v = &region->v;
    if (consumer >= v->consumer_count)
        return INDEXBUS_OUT_OF_RANGE;
    const indexbus_counters_consumer *cc = &v->consumer_counters[consumer];
    memset(stats, 0, sizeof(*stats));
    stats->size = sizeof(*stats);
    stats->attached = consumer_routed_to(v, consumer);
    stats->delivered = ib_load_relaxed(&cc->delivered);
    stats->dropped_full = ib_load_relaxed(&cc->dropped_full);
    stats->dropped_no_credit = ib_load_relaxed(&cc->dropped_no_credit);
    if (v->kind == INDEXBUS_KIND_FANOUT)
        stats->depth = ib_spsc_depth(ib_consumer_queue(v, consumer), v->queue_capacity);
    else
        stats->depth = ib_spsc_depth(v->spsc, v->queue_capacity) +
                       ib_mpsc_depth(v->mpsc, v->queue_capacity);
    return INDEXBUS_OK;
}
