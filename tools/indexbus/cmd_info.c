/* cmd_info.c - `indexbus info`: header, geometry, counters (a byte log:
 * its ring's bytes), a per-consumer table and the participant table, as
 * one aligned "label  value" listing. */
#include <inttypes.h>
#include <stdio.h>
#include <time.h>

#include "cli.h"

#define LABEL "  %-18s" /* every "label value" line starts like this */

static const char *kind_name(uint32_t kind)
{
    switch (kind) {
    case INDEXBUS_KIND_EVENTS: return "events";
    case INDEXBUS_KIND_FANOUT: return "fanout";
    case INDEXBUS_KIND_LOG: return "log";
    default: return "unknown";
    }
}

/* Capability bits by name; unknown ones as "bitN" (incompat ones flagged). */
static void print_capabilities(uint64_t caps)
{
    static const char *const names[64] = {
        [0] = "events",   [1] = "fanout",       [2] = "mpsc",
        [3] = "blocking", [4] = "counters",     [5] = "participants",
        [6] = "log",           /* INDEXBUS_CAP_LOG */
        [32] = "spsc-recycle", /* INDEXBUS_CAP_SPSC_RECYCLE */
        [33] = "byte-log",     /* INDEXBUS_CAP_BYTE_LOG */
    };
    printf(LABEL, "capabilities");
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(caps & (1ull << bit)))
            continue;
        if (names[bit] != NULL)
            printf("%s ", names[bit]);
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
    printf(LABEL "%s\n", "kind", kind_name(in->kind));
    printf(LABEL "%" PRIu32 ".%" PRIu32 "\n", "layout version", in->layout_major,
           in->layout_minor);
    print_capabilities(in->capabilities);
    printf(LABEL "%" PRIu64 " (%.1f KiB)\n", "total bytes", in->total_bytes,
           (double)in->total_bytes / 1024.0);
    printf(LABEL "%" PRIu32 "\n", "creator pid", in->creator_pid);
    print_time("created", in->creation_time_ns);
}

/* A byte log: one ring of bytes instead of slots and queues. */
static void print_log_geometry(const indexbus_info *in)
{
    printf("\ngeometry\n");
    printf(LABEL "%" PRIu64 " bytes\n", "byte capacity", in->byte_capacity);
    printf(LABEL "%" PRIu32 " bytes\n", "max record", in->max_record);
    printf(LABEL "%" PRIu32 "\n", "consumers", in->consumer_count);
}

static void print_geometry(const indexbus_info *in)
{
    if (in->kind == INDEXBUS_KIND_LOG) {
        print_log_geometry(in);
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

static void print_counters(const indexbus_info *in)
{
    int fanout = in->kind == INDEXBUS_KIND_FANOUT, log = in->kind == INDEXBUS_KIND_LOG;
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

static const char *role_name(uint32_t role, char *buf, size_t cap)
{
    switch (role) {
    case INDEXBUS_ROLE_SPSC_PRODUCER: return "spsc-producer";
    case INDEXBUS_ROLE_MPSC_PRODUCER: return "mpsc-producer";
    case INDEXBUS_ROLE_ROUTER: return "router";
    case INDEXBUS_ROLE_CONSUMER: return "consumer";
    default: snprintf(buf, cap, "role-%" PRIu32, role); return buf;
    }
}

/* Every entry of the participant table that is not free. A dead one (its
 * process exited without detaching) stays until someone recovers it. */
static int print_participants(const char *name, indexbus_region *r)
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
        const char *rn = role_name(pi.role, role, sizeof role);
        if (pi.role == INDEXBUS_ROLE_CONSUMER)
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

static const cli_opt no_opts[] = {{NULL, 0}};

static int name_arg(void *ctx, int opt, const char *v)
{
    (void)opt; /* no options: only positionals arrive */
    return cli_take_name("info", (const char **)ctx, v);
}

int cmd_info(int argc, char **argv)
{
    const char *name = NULL;
    indexbus_region *r;
    indexbus_info in;
    int rc = cli_parse_all("info", argc, argv, no_opts, name_arg, &name);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("info", name)) != CLI_OK)
        return rc;
    if ((rc = cli_open_region(name, &r)) != CLI_OK)
        return rc;
    if ((rc = cli_region_info(name, r, &in)) == CLI_OK) {
        print_header(name, &in);
        print_geometry(&in);
        print_counters(&in);
        rc = print_consumers(name, r, in.consumer_count);
        if (rc == CLI_OK)
            rc = print_participants(name, r);
    }
    indexbus_region_close(r);
    return rc;
}
