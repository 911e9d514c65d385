/* snapshot.c - one look at a region for the observers (snapshot.h), and
 * its JSON form (the "region" shape of docs/CLI.md). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "snapshot.h"

/* ---- opening ------------------------------------------------------------- */

/* How long an observer waits for a region whose creator is still making
 * it: info as long as the other commands; list, top and stat, which look
 * at many regions or look again soon, only briefly (NOT_READY then). */
#define OBSERVE_READY_NS 1000000000u
#define GLANCE_READY_NS 100000000u

static int observe(const char *name, uint64_t ready_ns, indexbus_region **out)
{
    indexbus_open_config oc;
    memset(&oc, 0, sizeof oc);
    oc.size = sizeof oc;
    oc.ready_timeout_ns = ready_ns;
#ifdef INDEXBUS_OPEN_READ_ONLY
    /* mapped PROT_READ, no participant entry, nothing written: read
     * permission on the region file is enough */
    oc.flags = INDEXBUS_OPEN_READ_ONLY;
#endif
    return indexbus_region_open(name, &oc, out);
}

int cli_observe(const char *name, indexbus_region **out)
{
    return observe(name, OBSERVE_READY_NS, out);
}

int cli_open_observer(const char *name, indexbus_region **out)
{
    int st = cli_observe(name, out);
    return st == INDEXBUS_OK ? CLI_OK : cli_open_error(name, st);
}

/* ---- names ------------------------------------------------------------------ */

const char *cli_capability_name(unsigned bit)
{
    static const char *const names[64] = {
        [0] = "events",   [1] = "fanout",       [2] = "mpsc",
        [3] = "blocking", [4] = "counters",     [5] = "participants",
        [6] = "log",           /* INDEXBUS_CAP_LOG */
        [7] = "stream",        /* INDEXBUS_CAP_STREAM */
        [8] = "rpc",           /* INDEXBUS_CAP_RPC */
        [9] = "durable",       /* INDEXBUS_CAP_DURABLE */
        [32] = "spsc-recycle", /* INDEXBUS_CAP_SPSC_RECYCLE */
        [33] = "byte-log",     /* INDEXBUS_CAP_BYTE_LOG */
        [34] = "byte-stream",  /* INDEXBUS_CAP_BYTE_STREAM */
        [35] = "rpc-cells",    /* INDEXBUS_CAP_RPC_CELLS */
        [36] = "durable-state", /* INDEXBUS_CAP_DURABLE_STATE */
        [37] = "fanout-recycle", /* INDEXBUS_CAP_FANOUT_RECYCLE */
        [38] = "mpsc-batch",    /* INDEXBUS_CAP_MPSC_BATCH */
        [39] = "mpsc-recycle",  /* INDEXBUS_CAP_MPSC_RECYCLE */
    };
    return bit < 64 ? names[bit] : NULL;
}

/* A stream's writers are MPSC producers and its reader consumer 0. */
const char *cli_role_name(uint32_t kind, uint32_t role, char *buf, size_t cap)
{
    if (kind == INDEXBUS_KIND_STREAM && role == INDEXBUS_ROLE_MPSC_PRODUCER)
        return "stream-writer";
    if (kind == INDEXBUS_KIND_STREAM && role == INDEXBUS_ROLE_CONSUMER)
        return "stream-reader";
    switch (role) {
    case INDEXBUS_ROLE_RPC_CLIENT: return "rpc-client";
    case INDEXBUS_ROLE_RPC_SERVER: return "rpc-server";
    case INDEXBUS_ROLE_SPSC_PRODUCER: return "spsc-producer";
    case INDEXBUS_ROLE_MPSC_PRODUCER: return "mpsc-producer";
    case INDEXBUS_ROLE_ROUTER: return "router";
    case INDEXBUS_ROLE_CONSUMER: return "consumer";
    default: snprintf(buf, cap, "role-%" PRIu32, role); return buf;
    }
}

const char *cli_stream_state(uint32_t flags, char *buf, size_t cap)
{
    static const struct {
        uint32_t flag;
        const char *name;
    } names[] = {{INDEXBUS_STREAM_ENDED, "ENDED"},
                 {INDEXBUS_STREAM_READER_GONE, "READER_GONE"},
                 {INDEXBUS_STREAM_ABORTED, "ABORTED"}};
    size_t n = 0;
    uint32_t known = 0;
    buf[0] = '\0';
    if (flags == 0)
        snprintf(buf, cap, "open");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if ((flags & names[i].flag) && n < cap)
            n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? " " : "", names[i].name);
        known |= flags & names[i].flag;
    }
    if ((flags & ~known) && n < cap)
        snprintf(buf + n, cap - n, "%s0x%" PRIx32, n ? " " : "", flags & ~known);
    return buf;
}

/* ---- taking ------------------------------------------------------------------ */

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int take_participants(indexbus_region *r, cli_snapshot *s)
{
    s->nparts = s->alive = s->dead = 0;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        indexbus_participant_info pi = {.size = sizeof pi};
        int st = indexbus_region_participant(r, i, &pi);
        if (st == INDEXBUS_NOT_FOUND)
            continue; /* free entry */
        if (st != INDEXBUS_OK)
            return st;
        cli_participant *p = &s->parts[s->nparts++];
        *p = (cli_participant){i, pi.role, pi.index, pi.pid, pi.alive != 0, pi.attach_time_ns};
        if (p->alive)
            s->alive++;
        else
            s->dead++;
        if (pi.attach_time_ns > s->last_activity_ns)
            s->last_activity_ns = pi.attach_time_ns;
    }
    return INDEXBUS_OK;
}

static int take_durable(indexbus_region *r, cli_snapshot *s)
{
    s->durable = 1;
    int st = indexbus_region_id(r, s->region_id);
    if (st != INDEXBUS_OK)
        return st;
    s->have_ctl = cli_read_durable(s->name, &s->ctl) == 0;
    s->bridge_in = (indexbus_bridge_counters){.size = sizeof s->bridge_in};
    if ((st = indexbus_bridge_counters_get(r, INDEXBUS_BRIDGE_IN, &s->bridge_in)) != INDEXBUS_OK)
        return st;
    for (uint32_t i = 0; i < s->info.consumer_count && i < INDEXBUS_MAX_CONSUMERS; i++) {
        s->bridge_out[i] = (indexbus_bridge_counters){.size = sizeof s->bridge_out[i]};
        if ((st = indexbus_bridge_counters_get(r, i, &s->bridge_out[i])) != INDEXBUS_OK)
            return st;
    }
    return INDEXBUS_OK;
}

int cli_snapshot_take(const char *name, indexbus_region *r, cli_snapshot *s)
{
    memset(s, 0, sizeof *s);
    s->name = name;
    s->info.size = sizeof s->info;
    s->taken_ns = cli_now_ns();
    s->taken_real_ns = realtime_ns();
    int st = indexbus_region_info(r, &s->info);
    if (st != INDEXBUS_OK)
        return st;
#ifdef INDEXBUS_OPEN_READ_ONLY
    uint32_t ro = 0;
    if (indexbus_region_read_only(r, &ro) == INDEXBUS_OK)
        s->read_only = ro != 0;
#endif
    s->last_activity_ns = s->info.creation_time_ns;
    uint32_t kind = s->info.kind;
    /* a stream's reader and an rpc region's servers consume no records */
    if (kind != INDEXBUS_KIND_STREAM && kind != INDEXBUS_KIND_RPC) {
        uint32_t n = s->info.consumer_count;
        if (n > INDEXBUS_MAX_CONSUMERS)
            return INDEXBUS_CORRUPT;
        for (uint32_t i = 0; i < n; i++) {
            s->consumers[i] = (indexbus_consumer_stats){.size = sizeof s->consumers[i]};
            if ((st = indexbus_region_consumer_stats(r, i, &s->consumers[i])) != INDEXBUS_OK)
                return st;
        }
        s->nconsumers = n;
    }
    if ((st = take_participants(r, s)) != INDEXBUS_OK)
        return st;
    if (s->info.capabilities & INDEXBUS_CAP_DURABLE_STATE)
        return take_durable(r, s);
    return INDEXBUS_OK;
}

int cli_snapshot_name(const char *name, cli_snapshot *s)
{
    indexbus_region *r;
    int st = observe(name, GLANCE_READY_NS, &r);
    if (st != INDEXBUS_OK)
        return st;
    st = cli_snapshot_take(name, r, s);
    indexbus_region_close(r);
    return st;
}

/* ---- JSON ----------------------------------------------------------------------- */

static void json_capabilities(cli_json *j, uint64_t caps)
{
    char other[16];
    cli_json_object(j, "capabilities");
    cli_json_u64(j, "mask", caps);
    cli_json_array(j, "names");
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(caps & (1ull << bit)))
            continue;
        const char *n = cli_capability_name(bit);
        snprintf(other, sizeof other, "bit%u", bit);
        cli_json_str(j, NULL, n != NULL ? n : other);
    }
    cli_json_end(j);
    cli_json_end(j);
}

/* Every key always, 0 where the kind has no such thing: one shape. */
static void json_geometry(cli_json *j, const indexbus_info *in)
{
    int ring = in->kind == INDEXBUS_KIND_LOG || in->kind == INDEXBUS_KIND_STREAM;
    int rpc = in->kind == INDEXBUS_KIND_RPC;
    cli_json_object(j, "geometry");
    cli_json_u64(j, "slots", ring || rpc ? 0 : in->slot_count);
    cli_json_u64(j, "slot_data_size", ring || rpc ? 0 : in->slot_data_size);
    cli_json_u64(j, "queue_capacity", ring || rpc ? 0 : in->queue_capacity);
    cli_json_u64(j, "consumers", rpc ? 0 : in->consumer_count);
    cli_json_u64(j, "byte_capacity", in->byte_capacity);
    cli_json_u64(j, "max_record", ring ? in->max_record : 0);
    cli_json_u64(j, "cells", in->rpc_cells);
    cli_json_u64(j, "max_request", in->max_request);
    cli_json_u64(j, "max_reply", in->max_reply);
    cli_json_end(j);
}

static void json_counters(cli_json *j, const indexbus_info *in)
{
    char state[64];
    cli_json_object(j, "counters");
    cli_json_u64(j, "published", in->published);
    cli_json_u64(j, "routed", in->routed);
    cli_json_u64(j, "route_no_space", in->route_no_space);
    cli_json_u64(j, "free_slots", in->free_slots);
    cli_json_u64(j, "spsc_depth", in->spsc_depth);
    cli_json_u64(j, "mpsc_depth", in->mpsc_depth);
    cli_json_u64(j, "bytes_used", in->bytes_used);
    cli_json_u64(j, "bytes_free", in->bytes_free);
    cli_json_u64(j, "bytes_padding", in->bytes_padding);
    cli_json_u64(j, "records_waiting", in->records_waiting);
    cli_json_str(j, "stream_state",
                 in->kind == INDEXBUS_KIND_STREAM
                     ? cli_stream_state(in->stream_flags, state, sizeof state)
                     : NULL);
    cli_json_u64(j, "stream_writers", in->stream_writers);
    cli_json_u64(j, "writers_aborted", in->writers_aborted);
    cli_json_u64(j, "stream_bytes_read", in->stream_bytes_read);
    cli_json_u64(j, "rpc_cells_free", in->rpc_cells_free);
    cli_json_u64(j, "rpc_replies_abandoned", in->rpc_replies_abandoned);
    cli_json_u64(j, "rpc_requests_failed", in->rpc_requests_failed);
    cli_json_u64(j, "producers_live", in->producers_live);
    cli_json_u64(j, "consumers_live", in->consumers_live);
    cli_json_u64(j, "routers_live", in->routers_live);
    cli_json_u64(j, "participants_live", in->participants_live);
    cli_json_end(j);
}

static void json_consumers(cli_json *j, const cli_snapshot *s)
{
    cli_json_array(j, "consumers");
    for (uint32_t i = 0; i < s->nconsumers; i++) {
        const indexbus_consumer_stats *c = &s->consumers[i];
        cli_json_object(j, NULL);
        cli_json_u64(j, "index", i);
        cli_json_bool(j, "attached", c->attached != 0);
        cli_json_u64(j, "delivered", c->delivered);
        cli_json_u64(j, "dropped_full", c->dropped_full);
        cli_json_u64(j, "dropped_no_credit", c->dropped_no_credit);
        cli_json_u64(j, "depth", c->depth);
        cli_json_end(j);
    }
    cli_json_end(j);
}

static void json_participants(cli_json *j, const cli_snapshot *s)
{
    char buf[32];
    cli_json_array(j, "participants");
    for (uint32_t i = 0; i < s->nparts; i++) {
        const cli_participant *p = &s->parts[i];
        cli_json_object(j, NULL);
        cli_json_u64(j, "slot", p->slot);
        cli_json_str(j, "role", cli_role_name(s->info.kind, p->role, buf, sizeof buf));
        if (p->role == INDEXBUS_ROLE_CONSUMER && s->info.kind != INDEXBUS_KIND_STREAM)
            cli_json_u64(j, "consumer", p->index);
        else
            cli_json_null(j, "consumer");
        cli_json_u64(j, "pid", p->pid);
        cli_json_bool(j, "alive", p->alive);
        cli_json_u64(j, "attached_ns", p->attach_time_ns);
        cli_json_end(j);
    }
    cli_json_end(j);
}

static void json_bridge(cli_json *j, const char *key, const indexbus_bridge_counters *c)
{
    cli_json_object(j, key);
    cli_json_u64(j, "forwarded", c->forwarded);
    cli_json_u64(j, "acknowledged", c->acknowledged);
    cli_json_u64(j, "resent", c->resent);
    cli_json_u64(j, "deduplicated", c->deduplicated);
    cli_json_u64(j, "refused", c->refused);
}

static void json_durable(cli_json *j, const cli_snapshot *s)
{
    char id[33];
    if (!s->durable) {
        cli_json_null(j, "durable_state");
        return;
    }
    for (int i = 0; i < 16; i++)
        snprintf(id + 2 * i, 3, "%02x", s->region_id[i]);
    cli_json_object(j, "durable_state");
    cli_json_str(j, "region_id", id);
    /* snapshots of live words: statistics only */
    if (s->have_ctl) {
        cli_json_u64(j, "mark", s->ctl.mark.mark);
        cli_json_u64(j, "pending_mark", s->ctl.mark.pend_mark);
    } else {
        cli_json_null(j, "mark");
        cli_json_null(j, "pending_mark");
    }
    cli_json_array(j, "held_queues");
    for (uint32_t i = 0; s->have_ctl && s->info.kind == INDEXBUS_KIND_FANOUT &&
                         i < s->info.consumer_count && i < 64; i++)
        if (s->ctl.hold_mask & (1ull << i))
            cli_json_u64(j, NULL, i);
    cli_json_end(j);
    json_bridge(j, "bridge_in", &s->bridge_in);
    cli_json_end(j);
    cli_json_array(j, "bridge_out");
    for (uint32_t i = 0; i < s->info.consumer_count && i < INDEXBUS_MAX_CONSUMERS; i++) {
        json_bridge(j, NULL, &s->bridge_out[i]);
        cli_json_u64(j, "consumer", i);
        cli_json_end(j);
    }
    cli_json_end(j);
    cli_json_end(j);
}

void cli_snapshot_json(cli_json *j, const cli_snapshot *s)
{
    const indexbus_info *in = &s->info;
    char layout[24];
    snprintf(layout, sizeof layout, "%" PRIu32 ".%" PRIu32, in->layout_major, in->layout_minor);
    cli_json_str(j, "name", s->name);
    cli_json_str(j, "kind", cli_kind_name(in->kind));
    cli_json_str(j, "layout", layout);
    json_capabilities(j, in->capabilities);
    cli_json_u64(j, "total_bytes", in->total_bytes);
    cli_json_u64(j, "creator_pid", in->creator_pid);
    cli_json_u64(j, "created_ns", in->creation_time_ns);
    cli_json_u64(j, "last_activity_ns", s->last_activity_ns);
    cli_json_bool(j, "read_only", s->read_only);
    cli_json_bool(j, "durable", s->durable);
    cli_json_bool(j, "fanout_recycle", (in->capabilities & INDEXBUS_CAP_FANOUT_RECYCLE) != 0);
    cli_json_bool(j, "mpsc_batch", (in->capabilities & INDEXBUS_CAP_MPSC_BATCH) != 0);
    cli_json_bool(j, "mpsc_recycle", (in->capabilities & INDEXBUS_CAP_MPSC_RECYCLE) != 0);
    json_geometry(j, in);
    json_counters(j, in);
    json_consumers(j, s);
    cli_json_u64(j, "participants_alive", s->alive);
    cli_json_u64(j, "participants_dead", s->dead);
    json_participants(j, s);
    json_durable(j, s);
}
