/* info.c - what a region holds right now, for tools and monitoring:
 * indexbus_region_info and indexbus_region_consumer_stats. Snapshots of
 * live words, exact only on a quiet region; hostile values are clamped. */
#include <string.h>

#include "../common/logring.h"
#include "../common/mpsc.h"
#include "../common/slots.h"
#include "../common/spsc.h"
#include "../stream/stream.h"
#include "region.h"

static void info_fill(const indexbus_region *region, indexbus_info *info);

INDEXBUS_API int indexbus_region_info(const indexbus_region *region, indexbus_info *info)
{
    /* a caller built against 1.0 has the shorter struct: fill what it has */
    if (region == NULL || info == NULL || info->size < INDEXBUS_INFO_SIZE_1_0)
        return INDEXBUS_INVALID_ARGUMENT;
    indexbus_info all;
    size_t size = info->size < sizeof(all) ? info->size : sizeof(all);
    info_fill(region, &all);
    memcpy(info, &all, size);
    info->size = (uint32_t)size;
    return INDEXBUS_OK;
}

/* Byte logs: the ring's occupancy, from clamped snapshots. */
static void log_info(const ib_view *v, indexbus_info *info)
{
    info->byte_capacity = v->log_bytes;
    info->max_record = v->log_max_record;
    uint64_t tail = ib_load_relaxed(&v->log->tail), head = ib_load_relaxed(&v->log->head);
    uint64_t used = tail - head; /* statistics only (LAYOUT.md 7): clamped */
    info->bytes_used = used > v->log_bytes ? v->log_bytes : used;
    info->bytes_free = v->log_bytes - info->bytes_used;
    ib_log_scan(v, &info->bytes_padding, &info->records_waiting);
}

/* Byte streams: the latched state and the reader's count. */
static void stream_info(const ib_view *v, indexbus_info *info)
{
    ib_stream_decode(ib_stream_load(v), &info->stream_flags, &info->stream_writers,
                     &info->writers_aborted);
    info->stream_bytes_read = ib_load_relaxed(&v->stream->bytes_read); /* statistics */
}

/* Request/response: the cell table, from snapshots of the state words. */
static void rpc_info(const ib_view *v, indexbus_info *info)
{
    info->rpc_cells = v->rpc_cell_count;
    info->max_request = v->rpc_max_request;
    info->max_reply = v->rpc_max_reply;
    for (uint32_t i = 0; i < v->rpc_cell_count; i++) {
        const indexbus_rpc_cell *c =
            (const indexbus_rpc_cell *)(v->rpc_cells + (uint64_t)i * v->rpc_cell_stride);
        info->rpc_cells_free += (ib_load_relaxed(&c->state) & 0xffu) == INDEXBUS_RPC_FREE;
    }
    info->rpc_replies_abandoned = ib_load_relaxed(&v->rpc->replies_abandoned);
    info->rpc_requests_failed = ib_load_relaxed(&v->rpc->requests_failed);
}

static void info_fill(const indexbus_region *region, indexbus_info *info)
{
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
    if (v->pool != NULL)
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
    if (v->stream != NULL)
        stream_info(v, info);
    if (ib_has_log(v)) {
        log_info(v, info);
        return;
    }
    if (v->rpc != NULL) {
        rpc_info(v, info);
        return;
    }
    info->spsc_depth = ib_spsc_depth(v->spsc, v->queue_capacity);
    info->mpsc_depth = ib_mpsc_depth(v->mpsc, v->queue_capacity);
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
    if (ib_has_log(v)) {
        uint64_t padding;
        ib_log_scan(v, &padding, &stats->depth); /* committed records not yet read */
    } else if (v->kind == INDEXBUS_KIND_FANOUT)
        stats->depth = ib_spsc_depth(ib_consumer_queue(v, consumer), v->queue_capacity);
    else if (v->spsc != NULL)
        stats->depth = ib_spsc_depth(v->spsc, v->queue_capacity) +
                       ib_mpsc_depth(v->mpsc, v->queue_capacity);
    return INDEXBUS_OK;
}
