/* geometry.c - section placement from the geometry, and header validation.
 * One function computes where everything sits; create writes its result
 * into the header and open checks the header against it. */
#include <string.h>

#include "../common/atomics.h"
#include "region.h"

static int is_pow2(uint32_t x) { return x != 0 && (x & (x - 1)) == 0; }

static uint64_t spsc_queue_bytes(uint32_t cap)
{
    return sizeof(indexbus_spsc_ctl) + IB_ALIGN_UP((uint64_t)cap * 4u, INDEXBUS_CACHE_LINE);
}

static void add_section(ib_geometry *g, uint64_t *off, uint32_t kind, uint64_t len,
                        uint64_t align)
{
    indexbus_section_entry *e = &g->sections[g->section_count++];
    *off = IB_ALIGN_UP(*off, align);
    e->kind = kind;
    e->flags = 0;
    e->offset = *off;
    e->length = len;
    e->reserved = 0;
    *off += len;
}

/* The sections every 1.1 kind starts with: participants, counters (one
 * consumer line) and wake (consumer, producers). */
static void add_common_1_1(ib_geometry *g, uint64_t *off)
{
    const uint64_t line = INDEXBUS_CACHE_LINE;
    add_section(g, off, INDEXBUS_SECTION_PARTICIPANTS, sizeof(indexbus_participants_section), line);
    add_section(g, off, INDEXBUS_SECTION_COUNTERS,
                sizeof(indexbus_counters_global) + sizeof(indexbus_counters_consumer), line);
    add_section(g, off, INDEXBUS_SECTION_WAKE, 2 * sizeof(indexbus_wake_entry), line);
}

/* A byte log or byte stream (1.1): the common sections, a stream's
 * STREAM_CTL, and the ring, page-aligned (LAYOUT.md 3.6). */
int ib_geometry_compute_log(uint32_t kind, uint64_t log_bytes, uint32_t max_record,
                            ib_geometry *g)
{
    if (kind != INDEXBUS_KIND_LOG && kind != INDEXBUS_KIND_STREAM)
        return INDEXBUS_INVALID_ARGUMENT;
    if (log_bytes < INDEXBUS_LOG_MIN_BYTES || log_bytes > INDEXBUS_LOG_MAX_BYTES ||
        (log_bytes & (log_bytes - 1)) != 0)
        return INDEXBUS_INVALID_ARGUMENT;
    if ((uint64_t)max_record > log_bytes / 2 - INDEXBUS_LOG_HEADER_BYTES)
        return INDEXBUS_INVALID_ARGUMENT;
    memset(g, 0, sizeof(*g));
    g->kind = kind;
    g->consumer_count = 1;
    g->log_bytes = log_bytes;
    g->log_max_record = max_record;
    uint64_t off = INDEXBUS_HEADER_BYTES;
    add_common_1_1(g, &off);
    if (kind == INDEXBUS_KIND_STREAM)
        add_section(g, &off, INDEXBUS_SECTION_STREAM_CTL, sizeof(indexbus_stream_ctl),
                    INDEXBUS_CACHE_LINE);
    add_section(g, &off, INDEXBUS_SECTION_LOG_RING, sizeof(indexbus_log_ctl) + log_bytes,
                INDEXBUS_PAGE);
    g->total_bytes = IB_ALIGN_UP(off, INDEXBUS_PAGE);
    return INDEXBUS_OK;
}

/* Bytes per reply cell: its two lines, the request, the reply (LAYOUT.md 4.11). */
static uint64_t rpc_cell_stride(uint32_t max_request, uint32_t max_reply)
{
    return sizeof(indexbus_rpc_cell) + IB_ALIGN_UP((uint64_t)max_request, INDEXBUS_CACHE_LINE) +
           IB_ALIGN_UP((uint64_t)max_reply, INDEXBUS_CACHE_LINE);
}

/* A request/response region (1.1): the common sections, RPC_CTL and the
 * cells, page-aligned (LAYOUT.md 3.7). */
int ib_geometry_compute_rpc(uint32_t cells, uint32_t max_request, uint32_t max_reply,
                            ib_geometry *g)
{
    if (cells < 1 || cells > INDEXBUS_RPC_MAX_CELLS)
        return INDEXBUS_INVALID_ARGUMENT;
    if (max_request < INDEXBUS_RPC_MIN_MESSAGE || max_request > INDEXBUS_RPC_MAX_MESSAGE ||
        max_reply < INDEXBUS_RPC_MIN_MESSAGE || max_reply > INDEXBUS_RPC_MAX_MESSAGE)
        return INDEXBUS_INVALID_ARGUMENT;
    memset(g, 0, sizeof(*g));
    g->kind = INDEXBUS_KIND_RPC;
    g->consumer_count = 1;
    g->slot_count = cells;
    g->slot_data_size = max_request;
    g->log_max_record = max_reply;
    uint64_t stride = rpc_cell_stride(max_request, max_reply);
    g->slot_stride = (uint32_t)stride; /* at most 128 + 2 * 16 MiB */
    uint64_t off = INDEXBUS_HEADER_BYTES;
    add_common_1_1(g, &off);
    add_section(g, &off, INDEXBUS_SECTION_RPC_CTL, sizeof(indexbus_rpc_ctl), INDEXBUS_CACHE_LINE);
    add_section(g, &off, INDEXBUS_SECTION_RPC_CELLS, (uint64_t)cells * stride, INDEXBUS_PAGE);
    g->total_bytes = IB_ALIGN_UP(off, INDEXBUS_PAGE);
    return INDEXBUS_OK;
}

int ib_geometry_compute(uint32_t kind, uint32_t slot_count, uint32_t slot_data_size,
                        uint32_t queue_capacity, uint32_t consumer_count, ib_geometry *g)
{
    if (kind != INDEXBUS_KIND_EVENTS && kind != INDEXBUS_KIND_FANOUT)
        return INDEXBUS_INVALID_ARGUMENT;
    if (!is_pow2(slot_count) || slot_count < INDEXBUS_MIN_SLOTS || slot_count > INDEXBUS_MAX_SLOTS)
        return INDEXBUS_INVALID_ARGUMENT;
    if (slot_data_size < INDEXBUS_MIN_SLOT_DATA || slot_data_size > INDEXBUS_MAX_SLOT_DATA ||
        slot_data_size % 8 != 0)
        return INDEXBUS_INVALID_ARGUMENT;
    if (!is_pow2(queue_capacity) || queue_capacity < INDEXBUS_MIN_QUEUE ||
        queue_capacity > INDEXBUS_MAX_QUEUE)
        return INDEXBUS_INVALID_ARGUMENT;
    if (kind == INDEXBUS_KIND_EVENTS ? consumer_count != 1
                                     : (consumer_count < 1 || consumer_count > INDEXBUS_MAX_CONSUMERS))
        return INDEXBUS_INVALID_ARGUMENT;

    memset(g, 0, sizeof(*g));
    g->kind = kind;
    g->slot_count = slot_count;
    g->slot_data_size = slot_data_size;
    g->slot_stride =
        (uint32_t)IB_ALIGN_UP(INDEXBUS_SLOT_HEADER_BYTES + slot_data_size, INDEXBUS_CACHE_LINE);
    g->queue_capacity = queue_capacity;
    g->consumer_count = consumer_count;
    /* the SPSC producer keeps at most queue_capacity slots parked in its
     * cells, so MPSC producers always have the other half (LAYOUT.md 5.16) */
    g->recycle = kind == INDEXBUS_KIND_EVENTS && slot_count >= 2ull * queue_capacity;

    uint64_t off = INDEXBUS_HEADER_BYTES;
    const uint64_t line = INDEXBUS_CACHE_LINE;
    add_section(g, &off, INDEXBUS_SECTION_PARTICIPANTS, sizeof(indexbus_participants_section), line);
    add_section(g, &off, INDEXBUS_SECTION_COUNTERS,
                sizeof(indexbus_counters_global) +
                    (uint64_t)consumer_count * sizeof(indexbus_counters_consumer),
                line);
    add_section(g, &off, INDEXBUS_SECTION_WAKE,
                (uint64_t)(consumer_count + 1) * sizeof(indexbus_wake_entry), line);
    if (kind == INDEXBUS_KIND_FANOUT)
        add_section(g, &off, INDEXBUS_SECTION_ROUTER, sizeof(indexbus_router_section), line);
    add_section(g, &off, INDEXBUS_SECTION_SPSC_QUEUE, spsc_queue_bytes(queue_capacity), line);
    add_section(g, &off, INDEXBUS_SECTION_MPSC_QUEUE,
                sizeof(indexbus_mpsc_ctl) + (uint64_t)queue_capacity * sizeof(indexbus_mpsc_cell),
                line);
    if (kind == INDEXBUS_KIND_FANOUT)
        add_section(g, &off, INDEXBUS_SECTION_CONSUMER_QUEUES,
                    (uint64_t)consumer_count * spsc_queue_bytes(queue_capacity), line);
    add_section(g, &off, INDEXBUS_SECTION_SLOT_POOL,
                sizeof(indexbus_pool_ctl) + (uint64_t)slot_count * g->slot_stride, INDEXBUS_PAGE);
    g->total_bytes = IB_ALIGN_UP(off, INDEXBUS_PAGE);
    return INDEXBUS_OK;
}

/* Append the DURABLE section (1.2, LAYOUT.md 3.9): after everything
 * else, so the sections before it sit where they would without it. */
int ib_geometry_add_durable(ib_geometry *g)
{
    if (g->kind != INDEXBUS_KIND_EVENTS && g->kind != INDEXBUS_KIND_FANOUT &&
        g->kind != INDEXBUS_KIND_LOG)
        return INDEXBUS_INVALID_ARGUMENT;
    uint64_t off = g->total_bytes;
    add_section(g, &off, INDEXBUS_SECTION_DURABLE,
                sizeof(indexbus_durable_ctl) +
                    (1u + (uint64_t)g->consumer_count) * sizeof(indexbus_durable_counters),
                INDEXBUS_CACHE_LINE);
    g->durable = 1;
    g->total_bytes = IB_ALIGN_UP(off, INDEXBUS_PAGE);
    return INDEXBUS_OK;
}

#define KIND_BITS (INDEXBUS_CAP_BYTE_LOG | INDEXBUS_CAP_BYTE_STREAM | INDEXBUS_CAP_RPC_CELLS)

/* The incompat bit every region of a 1.1 kind sets; 0 for 1.0 kinds. */
uint64_t ib_kind_incompat_bit(uint32_t kind)
{
    switch (kind) {
    case INDEXBUS_KIND_LOG: return INDEXBUS_CAP_BYTE_LOG;
    case INDEXBUS_KIND_STREAM: return INDEXBUS_CAP_BYTE_STREAM;
    case INDEXBUS_KIND_RPC: return INDEXBUS_CAP_RPC_CELLS;
    default: return 0;
    }
}

/* The geometry the header's fields claim, each kind checking that the
 * fields it does not use are 0 (LAYOUT.md 3.6, 3.7). */
static int header_geometry(const indexbus_region_header *h, ib_geometry *g)
{
    switch (h->region_kind) {
    case INDEXBUS_KIND_LOG:
    case INDEXBUS_KIND_STREAM:
        if (h->slot_count != 0 || h->slot_data_size != 0 || h->slot_stride != 0 ||
            h->queue_capacity != 0 || h->consumer_count != 1)
            return INDEXBUS_CORRUPT;
        return ib_geometry_compute_log(h->region_kind, h->log_bytes, h->log_max_record, g);
    case INDEXBUS_KIND_RPC:
        if (h->log_bytes != 0 || h->queue_capacity != 0 || h->consumer_count != 1)
            return INDEXBUS_CORRUPT;
        return ib_geometry_compute_rpc(h->slot_count, h->slot_data_size, h->log_max_record, g);
    default: /* a later minor may use the 1.1 fields: not checked */
        return ib_geometry_compute(h->region_kind, h->slot_count, h->slot_data_size,
                                   h->queue_capacity, h->consumer_count, g);
    }
}

/* The 1.3 features a header's bits claim, checked against its kind and
 * minor (LAYOUT.md 8). */
static int header_features(const indexbus_region_header *h, ib_geometry *g)
{
    g->fanout_recycle = (h->capabilities & INDEXBUS_CAP_FANOUT_RECYCLE) != 0;
    g->mpsc_batch = (h->capabilities & INDEXBUS_CAP_MPSC_BATCH) != 0;
    g->mpsc_recycle = (h->capabilities & INDEXBUS_CAP_MPSC_RECYCLE) != 0;
    if ((g->fanout_recycle || g->mpsc_batch || g->mpsc_recycle) && h->layout_minor < 3)
        return INDEXBUS_CORRUPT;
    if (g->fanout_recycle && h->region_kind != INDEXBUS_KIND_FANOUT)
        return INDEXBUS_CORRUPT;
    if (g->mpsc_recycle && h->region_kind != INDEXBUS_KIND_EVENTS)
        return INDEXBUS_CORRUPT;
    if (g->mpsc_batch && h->region_kind != INDEXBUS_KIND_EVENTS &&
        h->region_kind != INDEXBUS_KIND_FANOUT)
        return INDEXBUS_CORRUPT;
    return INDEXBUS_OK;
}

/* The header's geometry, with the DURABLE section its bit says it has. */
static int header_geometry_all(const indexbus_region_header *h, ib_geometry *g)
{
    int st = header_geometry(h, g);
    if (st == INDEXBUS_OK)
        st = header_features(h, g);
    if (st != INDEXBUS_OK || !(h->capabilities & INDEXBUS_CAP_DURABLE_STATE))
        return st;
    if (h->layout_minor < 2 || !(h->capabilities & INDEXBUS_CAP_DURABLE))
        return INDEXBUS_CORRUPT;
    return ib_geometry_add_durable(g) == INDEXBUS_OK ? INDEXBUS_OK : INDEXBUS_CORRUPT;
}

/* Validate a header that reads as ready. Fills *g with the geometry the
 * header claims, after checking that the directory agrees with it. A newer
 * minor may append sections (unknown kinds are skipped) and grow total_bytes. */
int ib_header_validate(const indexbus_region_header *h, uint64_t file_size, ib_geometry *g)
{
    if (h->magic != INDEXBUS_MAGIC)
        return INDEXBUS_INCOMPATIBLE;
    if (h->layout_major != INDEXBUS_LAYOUT_MAJOR)
        return INDEXBUS_INCOMPATIBLE;
    if (h->capabilities & INDEXBUS_CAP_INCOMPAT_MASK & ~INDEXBUS_CAP_KNOWN_INCOMPAT)
        return INDEXBUS_INCOMPATIBLE;
    uint32_t kind = h->region_kind;
    if (kind < INDEXBUS_KIND_EVENTS || kind > INDEXBUS_KIND_RPC)
        return INDEXBUS_INCOMPATIBLE;
    if (h->header_bytes != INDEXBUS_HEADER_BYTES || h->section_count > INDEXBUS_MAX_SECTIONS)
        return INDEXBUS_CORRUPT;
    /* each 1.1 kind goes with its incompat bit both ways */
    if (ib_kind_incompat_bit(kind) != (h->capabilities & KIND_BITS) ||
        (ib_kind_incompat_bit(kind) != 0 && h->layout_minor < 1))
        return INDEXBUS_CORRUPT;
    if (header_geometry_all(h, g) != INDEXBUS_OK)
        return INDEXBUS_CORRUPT;
    if (h->slot_stride != g->slot_stride)
        return INDEXBUS_CORRUPT;
    /* the header says whether slots recycle; the creator's rule is not re-derived */
    g->recycle = (h->capabilities & INDEXBUS_CAP_SPSC_RECYCLE) != 0;
    if (g->recycle && h->region_kind != INDEXBUS_KIND_EVENTS)
        return INDEXBUS_CORRUPT;
    if (h->total_bytes < g->total_bytes || h->total_bytes > file_size)
        return INDEXBUS_CORRUPT;
    if (h->layout_minor == ib_layout_minor_for(g) &&
        h->total_bytes != g->total_bytes)
        return INDEXBUS_CORRUPT;
    if (h->section_count < g->section_count)
        return INDEXBUS_CORRUPT;
    /* every section v1.0 needs must be listed exactly where the geometry puts it */
    for (uint32_t i = 0; i < g->section_count; i++) {
        const indexbus_section_entry *want = &g->sections[i];
        int found = 0;
        for (uint32_t j = 0; j < h->section_count; j++) {
            const indexbus_section_entry *e = &h->sections[j];
            if (e->kind != want->kind)
                continue;
            if (e->offset != want->offset || e->length != want->length)
                return INDEXBUS_CORRUPT;
            found = 1;
            break;
        }
        if (!found)
            return INDEXBUS_CORRUPT;
    }
    /* sections a newer minor appended must still lie inside the region */
    for (uint32_t j = 0; j < h->section_count; j++) {
        const indexbus_section_entry *e = &h->sections[j];
        if (e->offset > h->total_bytes || e->length > h->total_bytes - e->offset)
            return INDEXBUS_CORRUPT;
    }
    return INDEXBUS_OK;
}

static uint8_t *section_at(uint8_t *base, const ib_geometry *g, uint32_t kind)
{
    for (uint32_t i = 0; i < g->section_count; i++)
        if (g->sections[i].kind == kind)
            return base + g->sections[i].offset;
    return NULL;
}

void ib_view_init(ib_view *v, uint8_t *base, const ib_geometry *g)
{
    memset(v, 0, sizeof(*v));
    v->base = base;
    v->parts = (indexbus_participants_section *)section_at(base, g, INDEXBUS_SECTION_PARTICIPANTS);
    v->counters = (indexbus_counters_global *)section_at(base, g, INDEXBUS_SECTION_COUNTERS);
    v->consumer_counters = (indexbus_counters_consumer *)(v->counters + 1);
    v->wake = (indexbus_wake_entry *)section_at(base, g, INDEXBUS_SECTION_WAKE);
    v->router = (indexbus_router_section *)section_at(base, g, INDEXBUS_SECTION_ROUTER);
    v->spsc = (indexbus_spsc_ctl *)section_at(base, g, INDEXBUS_SECTION_SPSC_QUEUE);
    v->spsc_cells = v->spsc ? (uint32_t *)(v->spsc + 1) : NULL;
    v->mpsc = (indexbus_mpsc_ctl *)section_at(base, g, INDEXBUS_SECTION_MPSC_QUEUE);
    v->mpsc_cells = v->mpsc ? (indexbus_mpsc_cell *)(v->mpsc + 1) : NULL;
    v->consumer_queues = section_at(base, g, INDEXBUS_SECTION_CONSUMER_QUEUES);
    v->cq_stride = spsc_queue_bytes(g->queue_capacity);
    v->pool = (indexbus_pool_ctl *)section_at(base, g, INDEXBUS_SECTION_SLOT_POOL);
    v->slots = v->pool ? (uint8_t *)(v->pool + 1) : NULL;
    v->kind = g->kind;
    v->slot_count = g->slot_count;
    v->slot_data_size = g->slot_data_size;
    v->slot_stride = g->slot_stride;
    v->queue_capacity = g->queue_capacity;
    v->queue_mask = g->queue_capacity - 1;
    v->consumer_count = g->consumer_count;
    v->recycle = g->recycle;
    v->fanout_recycle = g->fanout_recycle;
    v->mpsc_batch = g->mpsc_batch;
    v->mpsc_recycle = g->mpsc_recycle;
    v->producer_wake = g->consumer_count;
    v->log = (indexbus_log_ctl *)section_at(base, g, INDEXBUS_SECTION_LOG_RING);
    v->log_data = v->log ? (uint8_t *)(v->log + 1) : NULL;
    v->log_bytes = g->log_bytes;
    v->log_mask = g->log_bytes ? g->log_bytes - 1 : 0;
    v->log_max_record = g->log_max_record;
    v->stream = (indexbus_stream_ctl *)section_at(base, g, INDEXBUS_SECTION_STREAM_CTL);
    v->rpc = (indexbus_rpc_ctl *)section_at(base, g, INDEXBUS_SECTION_RPC_CTL);
    v->rpc_cells = section_at(base, g, INDEXBUS_SECTION_RPC_CELLS);
    if (v->rpc != NULL) { /* the cell table reuses the slot geometry fields */
        v->rpc_cell_count = g->slot_count;
        v->rpc_max_request = g->slot_data_size;
        v->rpc_max_reply = g->log_max_record;
        v->rpc_cell_stride = g->slot_stride;
        v->slot_count = v->slot_data_size = v->slot_stride = 0;
        v->log_max_record = 0;
    }
    v->durable = (indexbus_durable_ctl *)section_at(base, g, INDEXBUS_SECTION_DURABLE);
    v->bridge_counters = v->durable ? (indexbus_durable_counters *)(v->durable + 1) : NULL;
}

/* The minor a creator of this library writes for a geometry: 1.0 kinds
 * keep minor 0, so their images stay byte-identical; durable state is 1.2,
 * fanout recycling and MPSC batch reservation 1.3 (LAYOUT.md 8). */
uint16_t ib_layout_minor_for(const ib_geometry *g)
{
    if (g->fanout_recycle || g->mpsc_batch || g->mpsc_recycle)
        return 3;
    if (g->durable)
        return 2;
    return ib_kind_incompat_bit(g->kind) != 0 ? 1 : 0;
}
