/* cmd_info.c - `indexbus info`: header, geometry, counters (a byte log:
 * its ring's bytes), a per-consumer table and the participant table, as
 * one aligned "label  value" listing. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "snapshot.h"

#define LABEL "  %-18s" /* every "label value" line starts like this */

/* Capability bits by name; unknown ones as "bitN" (incompat ones flagged). */
static void print_capabilities(uint64_t caps)
{
    printf(LABEL, "capabilities");
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(caps & (1ull << bit)))
            continue;
        const char *name = cli_capability_name(bit);
        if (name != NULL)
            printf("%s ", name);
        else
            printf("bit%u%s ", bit, bit >= 32 ? "(incompat)" : "");
    }
    printf("(0x%" PRIx64 ")\n", caps);
}

/* "2025-01-31 12:00:00.123 +0100" in local time (29 characters). */
static void format_time(char *buf, size_t cap, uint64_t realtime_ns)
{
    time_t secs = (time_t)(realtime_ns / 1000000000u);
    unsigned ms = (unsigned)(realtime_ns % 1000000000u / 1000000u);
    struct tm tm;
    char day[32], zone[8];
    if (localtime_r(&secs, &tm) == NULL) {
        snprintf(buf, cap, "%" PRIu64 " ns since the epoch", realtime_ns);
        return;
    }
    strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
    strftime(zone, sizeof zone, "%z", &tm);
    snprintf(buf, cap, "%s.%03u %s", day, ms, zone);
}

static void print_time(const char *label, uint64_t realtime_ns)
{
    char when[64];
    format_time(when, sizeof when, realtime_ns);
    printf(LABEL "%s\n", label, when);
}

static void print_header(const char *name, const indexbus_info *in)
{
    printf("region %s\n", name);
    printf(LABEL "%s\n", "kind", cli_kind_name(in->kind));
    printf(LABEL "%" PRIu32 ".%" PRIu32 "\n", "layout version", in->layout_major,
           in->layout_minor);
    print_capabilities(in->capabilities);
    printf(LABEL "%" PRIu64 " (%.1f KiB)\n", "total bytes", in->total_bytes,
           (double)in->total_bytes / 1024.0);
    printf(LABEL "%" PRIu32 "\n", "creator pid", in->creator_pid);
    print_time("created", in->creation_time_ns);
    if (in->capabilities & INDEXBUS_CAP_DURABLE_STATE)
        printf(LABEL "yes\n", "durable");
    if (in->capabilities & INDEXBUS_CAP_FANOUT_RECYCLE)
        printf(LABEL "yes\n", "fanout recycle");
    if (in->capabilities & INDEXBUS_CAP_MPSC_BATCH)
        printf(LABEL "yes\n", "mpsc batch");
    if (in->capabilities & INDEXBUS_CAP_MPSC_RECYCLE)
        printf(LABEL "yes\n", "mpsc recycle");
}

/* A byte log or stream: one ring of bytes instead of slots and queues. */
static void print_log_geometry(const indexbus_info *in)
{
    printf("\ngeometry\n");
    printf(LABEL "%" PRIu64 " bytes\n", "byte capacity", in->byte_capacity);
    printf(LABEL "%" PRIu32 " bytes\n", "max record", in->max_record);
    if (in->kind == INDEXBUS_KIND_LOG)
        printf(LABEL "%" PRIu32 "\n", "consumers", in->consumer_count);
}

/* Request/response: a table of reply cells. */
static void print_rpc_geometry(const indexbus_info *in)
{
    printf("\ngeometry\n");
    printf(LABEL "%" PRIu32 "\n", "cells", in->rpc_cells);
    printf(LABEL "%" PRIu32 " bytes\n", "max request", in->max_request);
    printf(LABEL "%" PRIu32 " bytes\n", "max reply", in->max_reply);
}

static void print_geometry(const indexbus_info *in)
{
    if (in->kind == INDEXBUS_KIND_LOG || in->kind == INDEXBUS_KIND_STREAM) {
        print_log_geometry(in);
        return;
    }
    if (in->kind == INDEXBUS_KIND_RPC) {
        print_rpc_geometry(in);
        return;
    }
    printf("\ngeometry\n");
    printf(LABEL "%" PRIu32 "\n", "slots", in->slot_count);
    printf(LABEL "%" PRIu32 " bytes\n", "slot data size", in->slot_data_size);
    printf(LABEL "%" PRIu32 "\n", "queue capacity", in->queue_capacity);
    printf(LABEL "%" PRIu32 "\n", "consumers", in->consumer_count);
}

/* A byte log's ring: used counts what the consumer has not given back yet
 * (it returns space in batches), padding what the unread part skips. */
static void print_log_ring(const indexbus_info *in)
{
    printf(LABEL "%" PRIu64 " of %" PRIu64 "\n", "bytes used", in->bytes_used,
           in->byte_capacity);
    printf(LABEL "%" PRIu64 "\n", "bytes free", in->bytes_free);
    printf(LABEL "%" PRIu64 "\n", "bytes padding", in->bytes_padding);
    printf(LABEL "%" PRIu64 "\n", "records waiting", in->records_waiting);
}

/* A stream's latched state: "open" until a flag is latched. */
static void print_stream(const indexbus_info *in)
{
    static const struct {
        uint32_t flag;
        const char *name;
    } flags[] = {{INDEXBUS_STREAM_ENDED, "ENDED"},
                 {INDEXBUS_STREAM_READER_GONE, "READER_GONE"},
                 {INDEXBUS_STREAM_ABORTED, "ABORTED"}};
    uint32_t known = 0;
    printf("\nstream\n");
    printf(LABEL, "state");
    if (in->stream_flags == 0)
        printf("open");
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++) {
        if (in->stream_flags & flags[i].flag)
            printf("%s%s", known ? " " : "", flags[i].name);
        known |= in->stream_flags & flags[i].flag;
    }
    if (in->stream_flags & ~known)
        printf("%s0x%" PRIx32, known ? " " : "", in->stream_flags & ~known);
    printf("\n");
    printf(LABEL "%" PRIu32 "\n", "writers", in->stream_writers);
    printf(LABEL "%" PRIu32 "\n", "writers aborted", in->writers_aborted);
    printf(LABEL "%" PRIu64 "\n", "bytes read", in->stream_bytes_read);
}

/* Request/response: cells and what became of requests that did not
 * complete. Clients count as producers, servers as consumers. */
static void print_rpc_counters(const indexbus_info *in)
{
    printf("\ncounters\n");
    printf(LABEL "%" PRIu32 " of %" PRIu32 "\n", "free cells", in->rpc_cells_free,
           in->rpc_cells);
    printf(LABEL "%" PRIu64 "\n", "replies abandoned", in->rpc_replies_abandoned);
    printf(LABEL "%" PRIu64 "\n", "requests failed", in->rpc_requests_failed);
    printf(LABEL "%" PRIu32 "\n", "clients live", in->producers_live);
    printf(LABEL "%" PRIu32 "\n", "servers live", in->consumers_live);
    printf(LABEL "%" PRIu32 "\n", "participants live", in->participants_live);
}

static void print_counters(const indexbus_info *in)
{
    if (in->kind == INDEXBUS_KIND_RPC) {
        print_rpc_counters(in);
        return;
    }
    int fanout = in->kind == INDEXBUS_KIND_FANOUT;
    int log = in->kind == INDEXBUS_KIND_LOG || in->kind == INDEXBUS_KIND_STREAM;
    printf("\ncounters\n");
    printf(LABEL "%" PRIu64 "\n", "published", in->published);
    if (fanout) {
        printf(LABEL "%" PRIu64 "\n", "routed", in->routed);
        printf(LABEL "%" PRIu64 "\n", "route no space", in->route_no_space);
    }
    if (log)
        print_log_ring(in);
    else
        printf(LABEL "%" PRIu32 " of %" PRIu32 "\n", "free slots", in->free_slots,
               in->slot_count);
    printf(LABEL "%" PRIu32 "\n", "producers live", in->producers_live);
    printf(LABEL "%" PRIu32 "\n", "consumers live", in->consumers_live);
    if (fanout)
        printf(LABEL "%" PRIu32 "\n", "routers live", in->routers_live);
    printf(LABEL "%" PRIu32 "\n", "participants live", in->participants_live);
    if (in->kind == INDEXBUS_KIND_STREAM)
        print_stream(in);
    if (log)
        return; /* no producer queues: records waiting says it */
    printf(LABEL "%" PRIu64 "\n", "spsc depth", in->spsc_depth);
    printf(LABEL "%" PRIu64 "\n", "mpsc depth", in->mpsc_depth);
}

static int print_consumers(const char *name, const indexbus_region *r, uint32_t count)
{
    printf("\nconsumers\n");
    printf("  %8s  %8s  %12s  %12s  %17s  %8s\n", "consumer", "attached", "delivered",
           "dropped_full", "dropped_no_credit", "depth");
    for (uint32_t i = 0; i < count; i++) {
        indexbus_consumer_stats cs = {.size = sizeof cs};
        int st = indexbus_region_consumer_stats(r, i, &cs);
        if (st != INDEXBUS_OK)
            return cli_region_error(name, "consumer stats", st);
        printf("  %8" PRIu32 "  %8s  %12" PRIu64 "  %12" PRIu64 "  %17" PRIu64 "  %8" PRIu64 "\n",
               i, cs.attached ? "yes" : "no", cs.delivered, cs.dropped_full,
               cs.dropped_no_credit, cs.depth);
    }
    return CLI_OK;
}

/* Every entry of the participant table that is not free. A dead one (its
 * process exited without detaching) stays until someone recovers it. */
static int print_participants(const char *name, indexbus_region *r, uint32_t kind)
{
    uint32_t shown = 0, dead = 0;
    printf("\nparticipants\n");
    printf("  %4s  %-13s  %8s  %8s  %-29s  %s\n", "slot", "role", "consumer", "pid",
           "attached", "alive");
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        indexbus_participant_info pi = {.size = sizeof pi};
        int st = indexbus_region_participant(r, i, &pi);
        if (st == INDEXBUS_NOT_FOUND)
            continue; /* free entry */
        if (st != INDEXBUS_OK)
            return cli_region_error(name, "participants", st);
        char role[32], index[16], when[64];
        const char *rn = cli_role_name(kind, pi.role, role, sizeof role);
        if (pi.role == INDEXBUS_ROLE_CONSUMER && kind != INDEXBUS_KIND_STREAM)
            snprintf(index, sizeof index, "%" PRIu32, pi.index);
        else
            snprintf(index, sizeof index, "-");
        format_time(when, sizeof when, pi.attach_time_ns);
        printf("  %4" PRIu32 "  %-13s  %8s  %8" PRIu32 "  %-29s  %s\n", i, rn, index, pi.pid,
               when, pi.alive ? "yes" : "NO");
        shown++;
        dead += !pi.alive;
    }
    if (shown == 0)
        printf("  (none attached)\n");
    if (dead != 0)
        printf("  NO: %" PRIu32 " dead participant%s awaiting recovery ('indexbus recover %s')\n",
               dead, dead == 1 ? "" : "s", name);
    return CLI_OK;
}

enum { I_JSON, I_NOPTS };

static const cli_opt info_opts[] = {[I_JSON] = {"--json", 0}, [I_NOPTS] = {NULL, 0}};

typedef struct info_args {
    const char *name;
    int json;
} info_args;

static int info_arg(void *ctx, int opt, const char *v)
{
    info_args *a = ctx;
    if (opt == I_JSON) {
        a->json = 1;
        return CLI_OK;
    }
    return cli_take_name("info", &a->name, v);
}

/* --json: the "region" shape of docs/CLI.md, one line. */
static int print_json(const char *name, indexbus_region *r)
{
    cli_snapshot *s = malloc(sizeof *s);
    if (s == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    int st = cli_snapshot_take(name, r, s);
    if (st == INDEXBUS_OK) {
        cli_json j;
        cli_json_init(&j, stdout);
        cli_json_object(&j, NULL);
        cli_json_u64(&j, "version", CLI_JSON_VERSION);
        cli_snapshot_json(&j, s);
        cli_json_end(&j);
        cli_json_done(&j);
    }
    free(s);
    return st == INDEXBUS_OK ? CLI_OK : cli_region_error(name, "info", st);
}

static int print_text(const char *name, indexbus_region *r)
{
    indexbus_info in;
    int rc = cli_region_info(name, r, &in);
    if (rc != CLI_OK)
        return rc;
    print_header(name, &in);
    print_geometry(&in);
    print_counters(&in);
    if (in.capabilities & INDEXBUS_CAP_DURABLE_STATE)
        rc = cli_print_durable(name, r, &in);
    /* a stream's reader and an rpc region's servers are no consumers
     * of records: the stream and counters paragraphs say it */
    if (rc == CLI_OK && in.kind != INDEXBUS_KIND_STREAM && in.kind != INDEXBUS_KIND_RPC)
        rc = print_consumers(name, r, in.consumer_count);
    if (rc == CLI_OK)
        rc = print_participants(name, r, in.kind);
    return rc;
}

int cmd_info(int argc, char **argv)
{
    info_args a = {0};
    indexbus_region *r;
    int rc = cli_parse_all("info", argc, argv, info_opts, info_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("info", a.name)) != CLI_OK)
        return rc;
    if ((rc = cli_open_observer(a.name, &r)) != CLI_OK)
        return rc;
    rc = a.json ? print_json(a.name, r) : print_text(a.name, r);
    indexbus_region_close(r);
    return rc;
}
