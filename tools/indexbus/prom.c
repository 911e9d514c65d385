/* prom.c - regions' snapshots in the Prometheus text exposition format
 * (version 0.0.4): each family's HELP and TYPE, then its samples for every
 * region, labelled region="NAME" (and consumer="I", ...). Counters end in
 * _total. docs/OPERATIONS.md says what each one means. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "prom.h"

typedef enum { P_REGION, P_SLOTS, P_RING, P_STREAM, P_RPC, P_FANOUT } prom_scope;

/* One region-level family: which regions have it, and its value. */
typedef struct prom_family {
    const char *name, *type, *help;
    prom_scope scope;
    uint64_t (*value)(const cli_snapshot *s);
} prom_family;

static int in_scope(prom_scope sc, uint32_t kind)
{
    switch (sc) {
    case P_SLOTS: return kind == INDEXBUS_KIND_EVENTS || kind == INDEXBUS_KIND_FANOUT;
    case P_FANOUT: return kind == INDEXBUS_KIND_FANOUT;
    case P_RING: return kind == INDEXBUS_KIND_LOG || kind == INDEXBUS_KIND_STREAM;
    case P_STREAM: return kind == INDEXBUS_KIND_STREAM;
    case P_RPC: return kind == INDEXBUS_KIND_RPC;
    default: return 1;
    }
}

/* label values escape \, " and newline */
static void put_label(FILE *o, const char *key, const char *v, int first)
{
    fprintf(o, "%s%s=\"", first ? "" : ",", key);
    for (; *v; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', o), fputc(*v, o);
        else if (*v == '\n')
            fputs("\\n", o);
        else
            fputc(*v, o);
    }
    fputc('"', o);
}

static void head(FILE *o, const char *name, const char *type, const char *help)
{
    fprintf(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

#define V(field) static uint64_t v_##field(const cli_snapshot *s) { return s->info.field; }
V(published) V(routed) V(route_no_space) V(free_slots) V(slot_count) V(spsc_depth)
V(mpsc_depth) V(byte_capacity) V(bytes_free) V(bytes_used) V(bytes_padding)
V(records_waiting) V(stream_bytes_read) V(stream_writers) V(writers_aborted) V(rpc_cells)
V(rpc_cells_free) V(rpc_replies_abandoned) V(rpc_requests_failed) V(producers_live)
V(consumers_live) V(routers_live) V(total_bytes)
#undef V
static uint64_t v_alive(const cli_snapshot *s) { return s->alive; }
static uint64_t v_dead(const cli_snapshot *s) { return s->dead; }
static uint64_t v_activity(const cli_snapshot *s) { return s->last_activity_ns / 1000000000u; }

static const prom_family families[] = {
    {"indexbus_published_total", "counter", "Messages (records) published into the region.",
     P_REGION, v_published},
    {"indexbus_routed_total", "counter", "Messages the router handed to consumer queues.",
     P_FANOUT, v_routed},
    {"indexbus_route_no_space_total", "counter",
     "Times the router found no room in a consumer queue.", P_FANOUT, v_route_no_space},
    {"indexbus_free_slots", "gauge", "Slots free in the shared pool (snapshot).", P_SLOTS,
     v_free_slots},
    {"indexbus_slots", "gauge", "Slots in the shared pool.", P_SLOTS, v_slot_count},
    {"indexbus_spsc_depth", "gauge", "Messages waiting in the SPSC producer queue.", P_SLOTS,
     v_spsc_depth},
    {"indexbus_mpsc_depth", "gauge", "Messages waiting in the MPSC producer queue.", P_SLOTS,
     v_mpsc_depth},
    {"indexbus_ring_bytes", "gauge", "Bytes in a log's or stream's ring.", P_RING,
     v_byte_capacity},
    {"indexbus_ring_bytes_free", "gauge", "Ring bytes free.", P_RING, v_bytes_free},
    {"indexbus_ring_bytes_used", "gauge",
     "Ring bytes reserved and not yet given back by the consumer.", P_RING, v_bytes_used},
    {"indexbus_ring_bytes_padding", "gauge", "Unread ring bytes that are padding.", P_RING,
     v_bytes_padding},
    {"indexbus_records_waiting", "gauge", "Committed records not yet read.", P_RING,
     v_records_waiting},
    {"indexbus_stream_bytes_read_total", "counter", "Bytes the stream's reader has taken.",
     P_STREAM, v_stream_bytes_read},
    {"indexbus_stream_writers", "gauge", "Writers attached to the stream.", P_STREAM,
     v_stream_writers},
    {"indexbus_stream_writers_aborted_total", "counter",
     "Stream writers that died or aborted (saturates at 4095).", P_STREAM, v_writers_aborted},
    {"indexbus_rpc_cells", "gauge", "Reply cells of a request/response region.", P_RPC,
     v_rpc_cells},
    {"indexbus_rpc_cells_free", "gauge", "Reply cells free (snapshot).", P_RPC,
     v_rpc_cells_free},
    {"indexbus_rpc_replies_abandoned_total", "counter",
     "Replies whose client had given up or died.", P_RPC, v_rpc_replies_abandoned},
    {"indexbus_rpc_requests_failed_total", "counter",
     "Requests failed unanswered (server dropped them, closed or died).", P_RPC,
     v_rpc_requests_failed},
    {"indexbus_producers_live", "gauge", "Producers attached (rpc: clients).", P_REGION,
     v_producers_live},
    {"indexbus_consumers_live", "gauge", "Consumers attached (rpc: servers).", P_REGION,
     v_consumers_live},
    {"indexbus_routers_live", "gauge", "Routers attached.", P_FANOUT, v_routers_live},
    {"indexbus_participants_alive", "gauge", "Participant entries whose process is alive.",
     P_REGION, v_alive},
    {"indexbus_participants_dead", "gauge",
     "Participant entries whose process died without closing (awaiting recovery).", P_REGION,
     v_dead},
    {"indexbus_region_bytes", "gauge", "Size of the region.", P_REGION, v_total_bytes},
    {"indexbus_last_activity_seconds", "gauge",
     "Unix time of the region's creation or newest attach.", P_REGION, v_activity},
};

static void region_families(FILE *o, const prom_region *rs, int n)
{
    for (size_t f = 0; f < sizeof families / sizeof families[0]; f++) {
        const prom_family *fam = &families[f];
        head(o, fam->name, fam->type, fam->help);
        for (int i = 0; i < n; i++) {
            if (rs[i].status != INDEXBUS_OK || !in_scope(fam->scope, rs[i].s->info.kind))
                continue;
            fprintf(o, "%s{", fam->name);
            put_label(o, "region", rs[i].name, 1);
            fprintf(o, "} %" PRIu64 "\n", fam->value(rs[i].s));
        }
    }
}

static void up_and_info(FILE *o, const prom_region *rs, int n)
{
    head(o, "indexbus_up", "gauge", "1 if the region could be opened and read, else 0.");
    for (int i = 0; i < n; i++) {
        fputs("indexbus_up{", o);
        put_label(o, "region", rs[i].name, 1);
        fprintf(o, "} %d\n", rs[i].status == INDEXBUS_OK);
    }
    head(o, "indexbus_region_info", "gauge", "Always 1; the labels describe the region.");
    for (int i = 0; i < n; i++) {
        if (rs[i].status != INDEXBUS_OK)
            continue;
        const indexbus_info *in = &rs[i].s->info;
        char layout[24];
        snprintf(layout, sizeof layout, "%" PRIu32 ".%" PRIu32, in->layout_major,
                 in->layout_minor);
        fputs("indexbus_region_info{", o);
        put_label(o, "region", rs[i].name, 1);
        put_label(o, "kind", cli_kind_name(in->kind), 0);
        put_label(o, "layout", layout, 0);
        put_label(o, "durable", rs[i].s->durable ? "yes" : "no", 0);
        fputs("} 1\n", o);
    }
}

/* ---- per consumer ----------------------------------------------------------------- */

typedef struct consumer_family {
    const char *name, *type, *help;
    uint64_t (*value)(const indexbus_consumer_stats *c);
} consumer_family;

static uint64_t c_delivered(const indexbus_consumer_stats *c) { return c->delivered; }
static uint64_t c_full(const indexbus_consumer_stats *c) { return c->dropped_full; }
static uint64_t c_credit(const indexbus_consumer_stats *c) { return c->dropped_no_credit; }
static uint64_t c_depth(const indexbus_consumer_stats *c) { return c->depth; }
static uint64_t c_attached(const indexbus_consumer_stats *c) { return c->attached != 0; }

static const consumer_family consumer_families[] = {
    {"indexbus_consumer_delivered_total", "counter", "Messages delivered to the consumer.",
     c_delivered},
    {"indexbus_consumer_dropped_full_total", "counter",
     "Messages dropped for this consumer because its queue was full.", c_full},
    {"indexbus_consumer_dropped_no_credit_total", "counter",
     "Messages dropped for this consumer because it had no credit (not attached, or dead).",
     c_credit},
    {"indexbus_consumer_depth", "gauge", "Messages waiting for the consumer.", c_depth},
    {"indexbus_consumer_attached", "gauge",
     "1 if a consumer holds this index (fanout: and the router routes to it).", c_attached},
};

static void consumer_label(FILE *o, const char *region, uint32_t i)
{
    char idx[16];
    snprintf(idx, sizeof idx, "%" PRIu32, i);
    put_label(o, "region", region, 1);
    put_label(o, "consumer", idx, 0);
}

static void consumers(FILE *o, const prom_region *rs, int n)
{
    for (size_t f = 0; f < sizeof consumer_families / sizeof consumer_families[0]; f++) {
        const consumer_family *fam = &consumer_families[f];
        head(o, fam->name, fam->type, fam->help);
        for (int i = 0; i < n; i++) {
            for (uint32_t c = 0; rs[i].status == INDEXBUS_OK && c < rs[i].s->nconsumers; c++) {
                fprintf(o, "%s{", fam->name);
                consumer_label(o, rs[i].name, c);
                fprintf(o, "} %" PRIu64 "\n", fam->value(&rs[i].s->consumers[c]));
            }
        }
    }
}

/* Liveness of each participant entry: 1 alive, 0 dead awaiting recovery. */
static void participants(FILE *o, const prom_region *rs, int n)
{
    head(o, "indexbus_participant_alive", "gauge",
         "1 if the participant's process is alive, 0 if it died without closing.");
    for (int i = 0; i < n; i++) {
        const cli_snapshot *s = rs[i].s;
        for (uint32_t k = 0; rs[i].status == INDEXBUS_OK && k < s->nparts; k++) {
            const cli_participant *p = &s->parts[k];
            char slot[16], pid[16], role[32];
            snprintf(slot, sizeof slot, "%" PRIu32, p->slot);
            snprintf(pid, sizeof pid, "%" PRIu32, p->pid);
            fputs("indexbus_participant_alive{", o);
            put_label(o, "region", rs[i].name, 1);
            put_label(o, "slot", slot, 0);
            put_label(o, "role", cli_role_name(s->info.kind, p->role, role, sizeof role), 0);
            put_label(o, "pid", pid, 0);
            fprintf(o, "} %" PRIu32 "\n", p->alive);
        }
    }
}

/* ---- durable regions ---------------------------------------------------------------- */

static const char *const bridge_fields[5] = {"forwarded", "acknowledged", "resent",
                                             "deduplicated", "refused"};

static uint64_t bridge_field(const indexbus_bridge_counters *c, int f)
{
    const uint64_t v[5] = {c->forwarded, c->acknowledged, c->resent, c->deduplicated,
                           c->refused};
    return v[f];
}

static void durable(FILE *o, const prom_region *rs, int n)
{
    head(o, "indexbus_durable_mark", "gauge",
         "Mark of the last marked message committed (bridge in: the JetStream sequence).");
    for (int i = 0; i < n; i++) {
        if (rs[i].status != INDEXBUS_OK || !rs[i].s->durable || !rs[i].s->have_ctl)
            continue;
        fputs("indexbus_durable_mark{", o);
        put_label(o, "region", rs[i].name, 1);
        fprintf(o, "} %" PRIu64 "\n", rs[i].s->ctl.mark.mark);
    }
    for (int dir = 0; dir < 2; dir++) {
        for (int f = 0; f < 5; f++) {
            char name[64], help[128];
            snprintf(name, sizeof name, "indexbus_bridge_%s_%s_total", dir ? "out" : "in",
                     bridge_fields[f]);
            snprintf(help, sizeof help, "Bridge %s: messages %s (docs/BRIDGE.md).",
                     dir ? "out through the consumer" : "into the region", bridge_fields[f]);
            head(o, name, "counter", help);
            for (int i = 0; i < n; i++) {
                const cli_snapshot *s = rs[i].s;
                if (rs[i].status != INDEXBUS_OK || !s->durable)
                    continue;
                if (!dir) {
                    fprintf(o, "%s{", name);
                    put_label(o, "region", rs[i].name, 1);
                    fprintf(o, "} %" PRIu64 "\n", bridge_field(&s->bridge_in, f));
                    continue;
                }
                for (uint32_t c = 0; c < s->info.consumer_count && c < INDEXBUS_MAX_CONSUMERS;
                     c++) {
                    fprintf(o, "%s{", name);
                    consumer_label(o, rs[i].name, c);
                    fprintf(o, "} %" PRIu64 "\n", bridge_field(&s->bridge_out[c], f));
                }
            }
        }
    }
}

void cli_prom_write(FILE *o, const prom_region *rs, int n)
{
    up_and_info(o, rs, n);
    region_families(o, rs, n);
    consumers(o, rs, n);
    participants(o, rs, n);
    durable(o, rs, n);
}
