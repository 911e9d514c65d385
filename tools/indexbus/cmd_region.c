/* cmd_region.c - `indexbus create` and `indexbus unlink`. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

/* ---- create ------------------------------------------------------------- */

enum {
    C_KIND, C_SLOTS, C_SLOT_SIZE, C_QUEUE, C_CONSUMERS, /* slot regions */
    C_BYTES, C_MAX_RECORD,                               /* byte logs and streams */
    C_CELLS, C_MAX_REQUEST, C_MAX_REPLY,                 /* request/response */
    C_MODE, C_PREFAULT, C_DURABLE, C_RECYCLE, C_MPSC_BATCH, C_NOPTS
};

static const cli_opt create_opts[] = {
    [C_KIND] = {"--kind", 1},           [C_SLOTS] = {"--slots", 1},
    [C_SLOT_SIZE] = {"--slot-size", 1}, [C_QUEUE] = {"--queue", 1},
    [C_CONSUMERS] = {"--consumers", 1}, [C_BYTES] = {"--bytes", 1},
    [C_MAX_RECORD] = {"--max-record", 1}, [C_CELLS] = {"--cells", 1},
    [C_MAX_REQUEST] = {"--max-request", 1}, [C_MAX_REPLY] = {"--max-reply", 1},
    [C_MODE] = {"--mode", 1},           [C_PREFAULT] = {"--prefault", 0},
    [C_DURABLE] = {"--durable", 0},     [C_RECYCLE] = {"--recycle", 0},
    [C_MPSC_BATCH] = {"--mpsc-batch", 0}, [C_NOPTS] = {NULL, 0},
};

/* 0 in a geometry field means "library default" (and "not given"). */
typedef struct create_args {
    const char *name;
    uint32_t kind, slots, slot_size, queue, consumers, mode, flags;
    cli_ring_args ring;  /* byte logs and streams */
    cli_rpc_args rpc;    /* request/response */
} create_args;

const char *cli_kind_name(uint32_t kind)
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

static int parse_kind(const char *text, uint32_t *kind)
{
    for (uint32_t k = INDEXBUS_KIND_EVENTS; k <= INDEXBUS_KIND_RPC; k++)
        if (strcmp(text, cli_kind_name(k)) == 0) {
            *kind = k;
            return CLI_OK;
        }
    return cli_usage_error("create", "--kind is events, fanout, log, stream or rpc, not '%s'",
                           text);
}

int cli_ring_arg(const char *cmd, cli_ring_args *ring, int is_max_record, const char *v)
{
    if (is_max_record)
        return cli_parse_u32(cmd, "--max-record", v, 1, UINT32_MAX, &ring->max_record);
    return cli_parse_u64(cmd, "--bytes", v, 1, UINT64_MAX, &ring->bytes);
}

int cli_rpc_arg(const char *cmd, cli_rpc_args *rpc, const char *opt, const char *v)
{
    if (strcmp(opt, "--cells") == 0)
        return cli_parse_u32(cmd, opt, v, 1, UINT32_MAX, &rpc->cells);
    if (strcmp(opt, "--max-request") == 0)
        return cli_parse_u32(cmd, opt, v, 1, UINT32_MAX, &rpc->max_request);
    return cli_parse_u32(cmd, opt, v, 1, UINT32_MAX, &rpc->max_reply);
}

void cli_config_init(indexbus_region_config *cfg, uint32_t kind, const cli_ring_args *ring,
                     const cli_rpc_args *rpc)
{
    indexbus_region_config_init(cfg, kind); /* LOG, STREAM, RPC: the whole 1.1 struct */
    if (ring != NULL && (kind == INDEXBUS_KIND_LOG || kind == INDEXBUS_KIND_STREAM)) {
        if (ring->bytes)
            cfg->byte_capacity = ring->bytes;
        cfg->max_record = ring->max_record; /* 0: the library's default */
    }
    if (rpc != NULL && kind == INDEXBUS_KIND_RPC) {
        if (rpc->cells)
            cfg->slot_count = rpc->cells;
        if (rpc->max_request)
            cfg->slot_data_size = rpc->max_request;
        if (rpc->max_reply)
            cfg->max_record = rpc->max_reply;
    }
}

static int create_arg(void *ctx, int opt, const char *v)
{
    create_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("create", &a->name, v);
    case C_KIND: return parse_kind(v, &a->kind);
    /* ranges here only reject nonsense; the library validates the geometry */
    case C_SLOTS: return cli_parse_u32("create", "--slots", v, 1, UINT32_MAX, &a->slots);
    case C_SLOT_SIZE:
        return cli_parse_u32("create", "--slot-size", v, 1, UINT32_MAX, &a->slot_size);
    case C_QUEUE: return cli_parse_u32("create", "--queue", v, 1, UINT32_MAX, &a->queue);
    case C_CONSUMERS:
        return cli_parse_u32("create", "--consumers", v, 1, UINT32_MAX, &a->consumers);
    case C_BYTES: return cli_ring_arg("create", &a->ring, 0, v);
    case C_MAX_RECORD: return cli_ring_arg("create", &a->ring, 1, v);
    case C_CELLS:
    case C_MAX_REQUEST:
    case C_MAX_REPLY: return cli_rpc_arg("create", &a->rpc, create_opts[opt].name, v);
    case C_MODE: return cli_parse_octal("create", "--mode", v, 0777, &a->mode);
    case C_PREFAULT: a->flags |= INDEXBUS_CREATE_PREFAULT; return CLI_OK;
    case C_DURABLE: a->flags |= INDEXBUS_CREATE_DURABLE; return CLI_OK;
    case C_RECYCLE: a->flags |= INDEXBUS_CREATE_RECYCLE; return CLI_OK;
    case C_MPSC_BATCH: a->flags |= INDEXBUS_CREATE_MPSC_BATCH; return CLI_OK;
    default: return CLI_USAGE;
    }
}

/* Geometry options of the other kind are usage errors, not silently ignored. */
static int check_create_args(const create_args *a)
{
    int rc = cli_need_name("create", a->name);
    if (rc != CLI_OK)
        return rc;
    int slots = a->kind == INDEXBUS_KIND_EVENTS || a->kind == INDEXBUS_KIND_FANOUT;
    int ring = a->kind == INDEXBUS_KIND_LOG || a->kind == INDEXBUS_KIND_STREAM;
    int rpc = a->kind == INDEXBUS_KIND_RPC;
    const char *stray = !slots && a->slots           ? "--slots"
                        : !slots && a->slot_size     ? "--slot-size"
                        : !slots && a->queue         ? "--queue"
                        : !slots && a->consumers     ? "--consumers"
                        : !ring && a->ring.bytes     ? "--bytes"
                        : !ring && a->ring.max_record ? "--max-record"
                        : !rpc && a->rpc.cells       ? "--cells"
                        : !rpc && a->rpc.max_request ? "--max-request"
                        : !rpc && a->rpc.max_reply   ? "--max-reply"
                        : (a->flags & INDEXBUS_CREATE_DURABLE) &&
                                a->kind != INDEXBUS_KIND_LOG && !slots
                            ? "--durable"
                        /* 1.3 features: slot regions only */
                        : (a->flags & INDEXBUS_CREATE_RECYCLE) && !slots ? "--recycle"
                        : (a->flags & INDEXBUS_CREATE_MPSC_BATCH) && !slots ? "--mpsc-batch"
                            : NULL;
    if (stray == NULL)
        return CLI_OK;
    return cli_usage_error("create", "%s does not apply to --kind %s", stray,
                           cli_kind_name(a->kind));
}

static void apply_args(const create_args *a, indexbus_region_config *cfg)
{
    cli_config_init(cfg, a->kind, &a->ring, &a->rpc);
    if (a->slots) {
        cfg->slot_count = a->slots;
        cfg->queue_capacity = a->slots; /* follow slot_count unless --queue says */
    }
    if (a->slot_size)
        cfg->slot_data_size = a->slot_size;
    /* a recycling region needs slots for the queue's cells and as many again
     * in flight (LAYOUT.md 5.21, 5.22): half the slots unless --queue says */
    if (a->flags & INDEXBUS_CREATE_RECYCLE)
        cfg->queue_capacity = cfg->slot_count / 2;
    if (a->queue)
        cfg->queue_capacity = a->queue;
    if (a->consumers)
        cfg->consumer_count = a->consumers;
    if (a->mode)
        cfg->mode = a->mode;
    cfg->flags = a->flags;
}

int cli_create_error(const char *name, uint32_t kind, int st)
{
    if (st != INDEXBUS_INVALID_ARGUMENT)
        return cli_region_error(name, NULL, st);
    if (kind == INDEXBUS_KIND_RPC) {
        cli_error("region %s: %s (cells: 1..%u; max request and max reply: %u..%u bytes; "
                  "name: 1..254 bytes)",
                  name, indexbus_strerror(st), INDEXBUS_RPC_MAX_CELLS, INDEXBUS_RPC_MIN_MESSAGE,
                  INDEXBUS_RPC_MAX_MESSAGE);
        return CLI_ERROR;
    }
    if (kind == INDEXBUS_KIND_LOG || kind == INDEXBUS_KIND_STREAM) {
        cli_error("region %s: %s (bytes: a power of two in %u..%u; max record: at most "
                  "bytes / 2 - %u; name: 1..254 bytes)",
                  name, indexbus_strerror(st), INDEXBUS_LOG_MIN_BYTES, INDEXBUS_LOG_MAX_BYTES,
                  INDEXBUS_LOG_HEADER_BYTES);
        return CLI_ERROR;
    }
    cli_error("region %s: %s (slots and queue: powers of two in %u..%u; slot size: a "
              "multiple of 8 in %u..%u; consumers: 1 for events, 1..%u for fanout; "
              "--recycle: slots at least twice the queue; name: 1..254 bytes)",
              name, indexbus_strerror(st), INDEXBUS_MIN_SLOTS, INDEXBUS_MAX_SLOTS,
              INDEXBUS_MIN_SLOT_DATA, INDEXBUS_MAX_SLOT_DATA, INDEXBUS_MAX_CONSUMERS);
    return CLI_ERROR;
}

/* "; fanout recycle, mpsc batch": the 1.3 features after the sizes, so the
 * line's start reads as it did before 1.3. */
static void print_features(const indexbus_info *in)
{
    static const struct {
        uint64_t cap;
        const char *name;
    } features[] = {{INDEXBUS_CAP_FANOUT_RECYCLE, "fanout recycle"},
                    {INDEXBUS_CAP_MPSC_BATCH, "mpsc batch"},
                    {INDEXBUS_CAP_MPSC_RECYCLE, "mpsc recycle"}};
    const char *sep = "; ";
    for (size_t i = 0; i < sizeof features / sizeof features[0]; i++)
        if (in->capabilities & features[i].cap) {
            printf("%s%s", sep, features[i].name);
            sep = ", ";
        }
}

void cli_print_created(const char *name, const indexbus_info *in)
{
    /* "durable events", "durable log": durable state (1.2) first */
    const char *d = (in->capabilities & INDEXBUS_CAP_DURABLE_STATE) ? "durable " : "";
    if (in->kind == INDEXBUS_KIND_LOG) {
        printf("created %s: %slog, %" PRIu64 "-byte ring, records up to %" PRIu32
               " bytes, 1 consumer, %" PRIu64 " bytes\n",
               name, d, in->byte_capacity, in->max_record, in->total_bytes);
        return;
    }
    if (in->kind == INDEXBUS_KIND_STREAM) {
        printf("created %s: stream, %" PRIu64 "-byte ring, records up to %" PRIu32
               " bytes, %" PRIu64 " bytes\n",
               name, in->byte_capacity, in->max_record, in->total_bytes);
        return;
    }
    if (in->kind == INDEXBUS_KIND_RPC) {
        printf("created %s: rpc, %" PRIu32 " cells, requests up to %" PRIu32
               " bytes, replies up to %" PRIu32 " bytes, %" PRIu64 " bytes\n",
               name, in->rpc_cells, in->max_request, in->max_reply, in->total_bytes);
        return;
    }
    printf("created %s: %s%s, %" PRIu32 " slots x %" PRIu32 " bytes, queue %" PRIu32
           ", %" PRIu32 " consumer%s, %" PRIu64 " bytes",
           name, d, in->kind == INDEXBUS_KIND_FANOUT ? "fanout" : "events", in->slot_count,
           in->slot_data_size, in->queue_capacity, in->consumer_count,
           in->consumer_count == 1 ? "" : "s", in->total_bytes);
    print_features(in);
    printf("\n");
}

int cmd_create(int argc, char **argv)
{
    create_args a = {.kind = INDEXBUS_KIND_EVENTS};
    int rc = cli_parse_all("create", argc, argv, create_opts, create_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = check_create_args(&a)) != CLI_OK)
        return rc;

    indexbus_region_config cfg;
    indexbus_region *r;
    indexbus_info info;
    apply_args(&a, &cfg);
    int st = indexbus_region_create(a.name, &cfg, &r);
    if (st != INDEXBUS_OK)
        return cli_create_error(a.name, a.kind, st);
    rc = cli_region_info(a.name, r, &info);
    if (rc == CLI_OK)
        cli_print_created(a.name, &info);
    indexbus_region_close(r);
    return rc;
}

/* ---- unlink --------------------------------------------------------------- */

static const cli_opt no_opts[] = {{NULL, 0}};

static int name_arg(void *ctx, int opt, const char *v)
{
    (void)opt; /* no options: only positionals arrive */
    return cli_take_name("unlink", (const char **)ctx, v);
}

int cmd_unlink(int argc, char **argv)
{
    const char *name = NULL;
    int rc = cli_parse_all("unlink", argc, argv, no_opts, name_arg, &name);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("unlink", name)) != CLI_OK)
        return rc;
    int st = indexbus_region_unlink(name);
    return st == INDEXBUS_OK ? CLI_OK : cli_region_error(name, NULL, st);
}
