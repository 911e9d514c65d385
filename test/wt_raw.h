/*
 * wt_raw.h - the library's own mapping of a slot region (write_trap.h's
 * wt_find_mapping), seen through layout.h: the sections the MPSC tests
 * read and forge (test/mpsc-batch.c, test/mpsc-recycle.c).
 */
#ifndef WT_RAW_H
#define WT_RAW_H

#include "write_trap.h"

typedef struct raw {
    uint8_t *base;
    indexbus_region_header *h;
    indexbus_participants_section *parts;
    indexbus_mpsc_ctl *mpsc;
    indexbus_mpsc_cell *cells;
    indexbus_spsc_ctl *spsc;
    indexbus_pool_ctl *pool;
} raw;

static inline uint8_t *raw_section(indexbus_region_header *h, uint32_t kind)
{
    for (uint32_t i = 0; i < h->section_count; i++)
        if (h->sections[i].kind == kind)
            return (uint8_t *)h + h->sections[i].offset;
    return NULL;
}

/* Region `name` as this process has it mapped (events or fanout). */
static inline raw raw_of(const char *name)
{
    raw w = {0};
    w.base = wt_find_mapping(name);
    REQUIRE(w.base != NULL);
    w.h = (indexbus_region_header *)w.base;
    w.parts = (indexbus_participants_section *)raw_section(w.h, INDEXBUS_SECTION_PARTICIPANTS);
    w.mpsc = (indexbus_mpsc_ctl *)raw_section(w.h, INDEXBUS_SECTION_MPSC_QUEUE);
    w.cells = (indexbus_mpsc_cell *)(w.mpsc + 1);
    w.spsc = (indexbus_spsc_ctl *)raw_section(w.h, INDEXBUS_SECTION_SPSC_QUEUE);
    w.pool = (indexbus_pool_ctl *)raw_section(w.h, INDEXBUS_SECTION_SLOT_POOL);
    REQUIRE(w.parts != NULL && w.mpsc != NULL && w.spsc != NULL && w.pool != NULL);
    return w;
}

#endif /* WT_RAW_H */
