/*
 * raw.h - a read-only observer of a region, through the frozen public
 * layout (indexbus/layout.h) only: the campaign maps the region file itself
 * to snapshot queue positions and slot contents at the instant a party
 * dies, and to walk the free list for double frees. Never writes.
 */
#ifndef IB_CRASH_RAW_H
#define IB_CRASH_RAW_H

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <indexbus/layout.h>

typedef struct raw_view {
    const uint8_t *base;
    size_t len;
    const indexbus_region_header *h;
    const indexbus_participants_section *parts;
    const indexbus_spsc_ctl *spsc;
    const uint32_t *spsc_cells;
    const indexbus_mpsc_ctl *mpsc;
    const indexbus_mpsc_cell *mpsc_cells;
    const uint8_t *cq; /* fanout consumer queues */
    uint64_t cq_stride;
    const indexbus_pool_ctl *pool;
    const uint8_t *slots;
    uint32_t slot_stride, slot_count, cap, ncons, data;
} raw_view;

static inline const uint8_t *raw_section(const indexbus_region_header *h, const uint8_t *base,
                                         uint32_t kind)
{
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == kind)
            return base + h->sections[i].offset;
    return NULL;
}

/* Map POSIX shm region `name` ("/x") read-only. 0 on success. */
static inline int raw_map(raw_view *w, const char *name)
{
    memset(w, 0, sizeof *w);
    int fd = shm_open(name, O_RDONLY, 0);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    w->base = p;
    w->len = (size_t)sb.st_size;
    w->h = (const indexbus_region_header *)w->base;
    w->parts = (const indexbus_participants_section *)raw_section(w->h, w->base,
                                                                  INDEXBUS_SECTION_PARTICIPANTS);
    w->spsc = (const indexbus_spsc_ctl *)raw_section(w->h, w->base, INDEXBUS_SECTION_SPSC_QUEUE);
    w->spsc_cells = (const uint32_t *)(w->spsc + 1);
    w->mpsc = (const indexbus_mpsc_ctl *)raw_section(w->h, w->base, INDEXBUS_SECTION_MPSC_QUEUE);
    w->mpsc_cells = (const indexbus_mpsc_cell *)(w->mpsc + 1);
    w->cq = raw_section(w->h, w->base, INDEXBUS_SECTION_CONSUMER_QUEUES);
    w->pool = (const indexbus_pool_ctl *)raw_section(w->h, w->base, INDEXBUS_SECTION_SLOT_POOL);
    w->slots = (const uint8_t *)(w->pool + 1);
    w->slot_stride = w->h->slot_stride;
    w->slot_count = w->h->slot_count;
    w->cap = w->h->queue_capacity;
    w->ncons = w->h->consumer_count;
    w->data = w->h->slot_data_size;
    /* spsc queue bytes: ctl + cells rounded up to a cache line (LAYOUT.md) */
    w->cq_stride = sizeof(indexbus_spsc_ctl) +
                   (((uint64_t)w->cap * 4u + INDEXBUS_CACHE_LINE - 1) & ~(uint64_t)(INDEXBUS_CACHE_LINE - 1));
    return 0;
}

static inline void raw_unmap(raw_view *w)
{
    if (w->base != NULL)
        munmap((void *)w->base, w->len);
    memset(w, 0, sizeof *w);
}

static inline const indexbus_spsc_ctl *raw_cq(const raw_view *w, uint32_t i)
{
    return (const indexbus_spsc_ctl *)(w->cq + (uint64_t)i * w->cq_stride);
}

static inline const indexbus_slot_header *raw_slot(const raw_view *w, uint32_t idx)
{
    return (const indexbus_slot_header *)(w->slots + (uint64_t)idx * w->slot_stride);
}

static inline uint64_t raw_ld64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline uint32_t raw_ld32(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

#endif
