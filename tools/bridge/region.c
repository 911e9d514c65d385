/* region.c - the region side shared by both directions: opening a
 * durable region of a kind the bridge carries, and the bridge counters
 * kept in it. */
#include <stdio.h>
#include <string.h>

#include "bridge.h"

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case INDEXBUS_KIND_EVENTS: return "events";
    case INDEXBUS_KIND_FANOUT: return "fanout";
    case INDEXBUS_KIND_LOG: return "log";
    case INDEXBUS_KIND_STREAM: return "stream";
    case INDEXBUS_KIND_RPC: return "rpc";
    default: return "unknown";
    }
}

static int check_region(const br_opts *o, indexbus_region *r, size_t *maxlen)
{
    indexbus_info info;
    memset(&info, 0, sizeof info);
    info.size = sizeof info;
    int st = indexbus_region_info(r, &info);
    if (st != INDEXBUS_OK) {
        br_err(o, "region %s: %s", o->region, indexbus_strerror(st));
        return BR_REGION;
    }
    if (info.kind != INDEXBUS_KIND_EVENTS && info.kind != INDEXBUS_KIND_FANOUT &&
        info.kind != INDEXBUS_KIND_LOG) {
        br_err(o, "region %s: is a %s region; the bridge carries events, fanout and log "
               "regions", o->region, kind_name(info.kind));
        return BR_REGION;
    }
    uint8_t id[16];
    st = indexbus_region_id(r, id);
    if (st == INDEXBUS_WRONG_KIND) {
        br_err(o, "region %s: not durable (create it with 'indexbus create %s --durable')",
               o->region, o->region);
        return BR_REGION;
    }
    if (st != INDEXBUS_OK) {
        br_err(o, "region %s: region id: %s", o->region, indexbus_strerror(st));
        return BR_REGION;
    }
    *maxlen = info.kind == INDEXBUS_KIND_LOG ? info.max_record : info.slot_data_size;
    return BR_OK;
}

int br_region_open(const br_opts *o, indexbus_region **r, size_t *maxlen)
{
    int st = indexbus_region_open(o->region, NULL, r);
    if (st != INDEXBUS_OK) {
        br_err(o, "region %s: %s", o->region, indexbus_strerror(st));
        return BR_REGION;
    }
    int rc = check_region(o, *r, maxlen);
    if (rc != BR_OK) {
        indexbus_region_close(*r);
        *r = NULL;
    }
    return rc;
}

void br_counts_flush(indexbus_region *r, uint32_t which, br_counts *delta, br_counts *total)
{
    if (delta->forwarded | delta->acknowledged | delta->resent | delta->deduplicated |
        delta->refused) {
        delta->size = sizeof *delta;
        indexbus_bridge_counters_add(r, which, delta);
        total->forwarded += delta->forwarded;
        total->acknowledged += delta->acknowledged;
        total->resent += delta->resent;
        total->deduplicated += delta->deduplicated;
        total->refused += delta->refused;
    }
    memset(delta, 0, sizeof *delta);
}

static void print_counts(const br_opts *o, const char *what, const br_counts *c)
{
    fprintf(stderr,
            "indexbus-bridge %s: %s: forwarded %llu, acknowledged %llu, resent %llu, "
            "deduplicated %llu, refused %llu\n",
            o->out ? "out" : "in", what, (unsigned long long)c->forwarded,
            (unsigned long long)c->acknowledged, (unsigned long long)c->resent,
            (unsigned long long)c->deduplicated, (unsigned long long)c->refused);
}

void br_print_stats(const br_opts *o, indexbus_region *r, uint32_t which, const br_counts *run)
{
    print_counts(o, "this run", run);
    br_counts all;
    memset(&all, 0, sizeof all);
    all.size = sizeof all;
    if (r != NULL && indexbus_bridge_counters_get(r, which, &all) == INDEXBUS_OK)
        print_counts(o, "region totals", &all);
}
