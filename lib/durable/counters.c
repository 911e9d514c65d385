/*
 * counters.c - the region's identity and the bridge counters kept in the
 * DURABLE section (LAYOUT.md 4.12): line 0 for the bridge into the region,
 * line 1 + i for the bridge out through consumer i. Counts are added with
 * RMWs (a restarted bridge and a dying one never lose one) and read as
 * snapshots; none of them guards other memory, so all are relaxed.
 */
#include <string.h>

#include "../common/atomics.h"
#include "../region/region.h"
#include "durable.h"

/* The line `which` names: OK, WRONG_KIND without durable state, or OUT_OF_RANGE. */
static int counters_line(const indexbus_region *region, uint32_t which,
                         indexbus_durable_counters **line)
{
    const ib_view *v = &region->v;
    if (v->durable == NULL)
        return INDEXBUS_WRONG_KIND;
    if (which == INDEXBUS_BRIDGE_IN)
        *line = &v->bridge_counters[0];
    else if (which < v->consumer_count) /* our geometry's count, not the header's */
        *line = &v->bridge_counters[1u + which];
    else
        return INDEXBUS_OUT_OF_RANGE;
    return INDEXBUS_OK;
}

static void add_nonzero(uint64_t *word, uint64_t n)
{
    if (n != 0)
        ib_fetch_add_relaxed(word, n);
}

INDEXBUS_API int indexbus_bridge_counters_add(indexbus_region *region, uint32_t which,
                                              const indexbus_bridge_counters *delta)
{
    if (region == NULL || delta == NULL || delta->size < sizeof(*delta))
        return INDEXBUS_INVALID_ARGUMENT;
    if (region->read_only)
        return INDEXBUS_PERMISSION; /* an observer writes nothing (indexbus.h) */
    indexbus_durable_counters *c;
    int st = counters_line(region, which, &c);
    if (st != INDEXBUS_OK)
        return st;
    add_nonzero(&c->forwarded, delta->forwarded);
    add_nonzero(&c->acknowledged, delta->acknowledged);
    add_nonzero(&c->resent, delta->resent);
    add_nonzero(&c->deduplicated, delta->deduplicated);
    add_nonzero(&c->refused, delta->refused);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_bridge_counters_get(const indexbus_region *region, uint32_t which,
                                              indexbus_bridge_counters *out)
{
    if (region == NULL || out == NULL || out->size < sizeof(*out))
        return INDEXBUS_INVALID_ARGUMENT;
    indexbus_durable_counters *c;
    int st = counters_line(region, which, &c);
    if (st != INDEXBUS_OK)
        return st;
    *out = (indexbus_bridge_counters){
        .size = sizeof(*out),
        .forwarded = ib_load_relaxed(&c->forwarded), /* statistics */
        .acknowledged = ib_load_relaxed(&c->acknowledged),
        .resent = ib_load_relaxed(&c->resent),
        .deduplicated = ib_load_relaxed(&c->deduplicated),
        .refused = ib_load_relaxed(&c->refused),
    };
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_region_id(const indexbus_region *region, uint8_t id[16])
{
    if (region == NULL || id == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (region->v.durable == NULL)
        return INDEXBUS_WRONG_KIND;
    /* written at create before ready, read-only since (ready's acquire at
     * open orders it) */
    memcpy(id, region->v.durable->region_id, 16);
    return INDEXBUS_OK;
}
