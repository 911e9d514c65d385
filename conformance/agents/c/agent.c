/*
 * agent.c - the C conformance agent (conformance/PROTOCOL.md).
 *
 *   agent-c <command> --region NAME [options]   (golden: then its op list)
 *
 * A thin user of <indexbus/indexbus.h>: JSON lines on stdout, free text on
 * stderr; exit 0 = done, 1 = failed (after an {"ev":"fail"} line), 2 = usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <indexbus/indexbus.h>

#define EXIT_FAIL 1
#define EXIT_USAGE 2

#define WAIT_CONSUMERS_NS 10000000000ull /* --wait-consumers bound: 10 s */
#define FULL_RETRY_NS 20000000000ull     /* publish retry bound: 20 s */
#define MAX_SIZES 1024

/* ---- small helpers ---------------------------------------------------------- */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

/* {"ev":"fail","status":NAME,"what":WHAT}, then exit 1. */
static _Noreturn void fail(int status, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    fprintf(stderr, "agent-c: %s: %s\n", what, indexbus_status_name(status));
    fputs("{\"ev\":\"fail\",\"status\":", stdout);
    json_str(stdout, indexbus_status_name(status));
    fputs(",\"what\":", stdout);
    json_str(stdout, what);
    fputs("}\n", stdout);
    fflush(stdout);
    exit(EXIT_FAIL);
}

static _Noreturn void usage(const char *fmt, ...)
{
    va_list ap;
    fputs("agent-c: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nusage: agent-c <create|produce|route|consume|stream-write|stream-read|serve|request|"
          "error|golden|unlink> --region NAME "
          "[options] (see conformance/PROTOCOL.md)\n",
          stderr);
    exit(EXIT_USAGE);
}

/* Payload rule: message k of producer p, s bytes. */
static void payload(uint8_t *b, uint32_t p, uint32_t k, size_t s)
{
    for (size_t j = 0; j < s; j++) {
        if (j < 4)
            b[j] = (uint8_t)(p >> (8 * j));
        else if (j < 8)
            b[j] = (uint8_t)(k >> (8 * (j - 4)));
        else
            b[j] = (uint8_t)((p * 31u + k * 17u + (uint32_t)j * 7u) & 0xffu);
    }
}

static void print_msg(const uint8_t *data, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    printf("{\"ev\":\"msg\",\"len\":%zu,\"hex\":\"", len);
    for (size_t i = 0; i < len; i++) {
        putchar(hexd[data[i] >> 4]);
        putchar(hexd[data[i] & 15]);
    }
    fputs("\"}\n", stdout);
}

/* ---- options ---------------------------------------------------------------- */

enum {
    O_REGION, O_KIND, O_SLOTS, O_SLOT_SIZE, O_QUEUE, O_CONSUMERS, O_TYPE, O_PRODUCER, O_COUNT,
    O_SIZES, O_ZERO_COPY, O_BATCH, O_WAIT_CONSUMERS, O_MODE, O_SOURCE, O_INDEX, O_BORROW,
    O_TIMEOUT_MS, O_CASE, O_NAME, O_FROM, O_BYTES, O_MAX_RECORD, O_WAIT, O_DELAY_MS,
    O_CELLS, O_MAX_REQUEST, O_MAX_REPLY, O_WRITER, O_CHUNK, O_WAIT_READER, O_HOLD,
    O_READ_SIZE, O_MAX_BYTES, O_RELEASE, O_HEX, O_CLIENT, O_RETRY_DISCONNECTED,
    O_RECYCLE, O_MPSC_BATCH, O_COUNT_OPTS
};
#define OPT(o) (1ull << (o)) /* option sets are bit masks */

static const struct {
    const char *name;
    int has_value;
} opt_names[O_COUNT_OPTS] = {
    [O_REGION] = {"--region", 1},       [O_KIND] = {"--kind", 1},
    [O_SLOTS] = {"--slots", 1},         [O_SLOT_SIZE] = {"--slot-size", 1},
    [O_QUEUE] = {"--queue", 1},         [O_CONSUMERS] = {"--consumers", 1},
    [O_TYPE] = {"--type", 1},           [O_PRODUCER] = {"--producer", 1},
    [O_COUNT] = {"--count", 1},         [O_SIZES] = {"--sizes", 1},
    [O_ZERO_COPY] = {"--zero-copy", 0}, [O_BATCH] = {"--batch", 1},
    [O_WAIT_CONSUMERS] = {"--wait-consumers", 1},
    [O_MODE] = {"--mode", 1},           [O_SOURCE] = {"--source", 1},
    [O_INDEX] = {"--index", 1},         [O_BORROW] = {"--borrow", 0},
    [O_TIMEOUT_MS] = {"--timeout-ms", 1},
    [O_CASE] = {"--case", 1},           [O_NAME] = {"--name", 1},
    [O_FROM] = {"--from", 1},
    [O_BYTES] = {"--bytes", 1},         [O_MAX_RECORD] = {"--max-record", 1},
    [O_WAIT] = {"--wait", 0},           [O_DELAY_MS] = {"--delay-ms", 1},
    [O_CELLS] = {"--cells", 1},         [O_MAX_REQUEST] = {"--max-request", 1},
    [O_MAX_REPLY] = {"--max-reply", 1}, [O_WRITER] = {"--writer", 1},
    [O_CHUNK] = {"--chunk", 1},         [O_WAIT_READER] = {"--wait-reader", 0},
    [O_HOLD] = {"--hold", 0},           [O_READ_SIZE] = {"--read-size", 1},
    [O_MAX_BYTES] = {"--max-bytes", 1}, [O_RELEASE] = {"--release", 0},
    [O_HEX] = {"--hex", 0},             [O_CLIENT] = {"--client", 1},
    [O_RETRY_DISCONNECTED] = {"--retry-disconnected", 0},
    [O_RECYCLE] = {"--recycle", 0},     [O_MPSC_BATCH] = {"--mpsc-batch", 0},
};

static const char *opt_val[O_COUNT_OPTS];
static int opt_set[O_COUNT_OPTS];

/* Parse the options of `cmd` from argv[i..] up to the first word that is not an
 * option, whose index is returned; `allowed` and `required` are OPT() masks. */
static int parse_opts(const char *cmd, int argc, char **argv, int i, uint64_t allowed,
                      uint64_t required)
{
    memset(opt_set, 0, sizeof opt_set);
    for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
        int found = -1;
        for (int o = 0; o < O_COUNT_OPTS; o++)
            if ((allowed & OPT(o)) && strcmp(argv[i], opt_names[o].name) == 0)
                found = o;
        if (found < 0)
            usage("%s: unknown option '%s'", cmd, argv[i]);
        if (opt_set[found])
            usage("%s: option %s given twice", cmd, argv[i]);
        opt_set[found] = 1;
        if (opt_names[found].has_value) {
            if (i + 1 >= argc)
                usage("%s: option %s needs a value", cmd, argv[i]);
            opt_val[found] = argv[++i];
        }
    }
    for (int o = 0; o < O_COUNT_OPTS; o++)
        if ((required & OPT(o)) && !opt_set[o])
            usage("%s: %s is required", cmd, opt_names[o].name);
    return i;
}

static uint64_t num_opt(int o, uint64_t dflt)
{
    if (!opt_set[o])
        return dflt;
    const char *s = opt_val[o];
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
        usage("%s: not a number: '%s'", opt_names[o].name, s);
    return v;
}

static uint32_t u32_opt(int o, uint32_t dflt)
{
    uint64_t v = num_opt(o, dflt);
    if (v > UINT32_MAX)
        usage("%s: out of range", opt_names[o].name);
    return (uint32_t)v;
}

/* "--sizes 0,8,64" -> sizes[], count */
static size_t parse_sizes(const char *s, uint32_t *sizes)
{
    size_t n = 0;
    while (*s) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (end == s || errno != 0 || v > UINT32_MAX || n == MAX_SIZES || s[0] == '-')
            usage("--sizes: bad list");
        sizes[n++] = (uint32_t)v;
        s = end;
        if (*s == ',')
            s++;
        else if (*s != '\0')
            usage("--sizes: bad list");
    }
    if (n == 0)
        usage("--sizes: empty list");
    return n;
}

static uint32_t kind_of(const char *s)
{
    if (strcmp(s, "events") == 0)
        return INDEXBUS_KIND_EVENTS;
    if (strcmp(s, "fanout") == 0)
        return INDEXBUS_KIND_FANOUT;
    if (strcmp(s, "log") == 0)
        return INDEXBUS_KIND_LOG;
    if (strcmp(s, "stream") == 0)
        return INDEXBUS_KIND_STREAM;
    if (strcmp(s, "rpc") == 0)
        return INDEXBUS_KIND_RPC;
    usage("bad kind '%s'", s);
}

static uint32_t type_of(const char *s)
{
    if (strcmp(s, "spsc") == 0)
        return INDEXBUS_PRODUCER_SPSC;
    if (strcmp(s, "mpsc") == 0)
        return INDEXBUS_PRODUCER_MPSC;
    usage("bad producer type '%s'", s);
}

static uint32_t mode_of(const char *s)
{
    if (strcmp(s, "broadcast") == 0)
        return INDEXBUS_MODE_BROADCAST;
    if (strcmp(s, "work-queue") == 0)
        return INDEXBUS_MODE_WORK_QUEUE;
    usage("bad mode '%s'", s);
}

static uint32_t source_of(const char *s)
{
    if (strcmp(s, "any") == 0)
        return INDEXBUS_SOURCE_ANY;
    if (strcmp(s, "spsc") == 0)
        return INDEXBUS_SOURCE_SPSC;
    if (strcmp(s, "mpsc") == 0)
        return INDEXBUS_SOURCE_MPSC;
    usage("bad source '%s'", s);
}

/* ---- library wrappers shared by the commands ----------------------------------- */

static indexbus_region *open_region(const char *name)
{
    indexbus_region *r;
    int st = indexbus_region_open(name, NULL, &r);
    if (st != INDEXBUS_OK)
        fail(st, "open region %s", name);
    return r;
}

static indexbus_info region_info(const indexbus_region *r)
{
    indexbus_info in;
    memset(&in, 0, sizeof in);
    in.size = sizeof in;
    int st = indexbus_region_info(r, &in);
    if (st != INDEXBUS_OK)
        fail(st, "region info");
    return in;
}

/* The largest message a region takes: a slot's data, or a byte log's max_record. */
static size_t max_message(const indexbus_info *in)
{
    return in->kind == INDEXBUS_KIND_LOG ? in->max_record : in->slot_data_size;
}

/* Create the region the options of `create` describe (the command or the golden op):
 * --slots/--slot-size/--queue/--consumers for events and fanout regions, --bytes and
 * --max-record for byte logs and streams, --cells/--max-request/--max-reply for
 * request/response (0 or absent = library default); --recycle and --mpsc-batch
 * (layout 1.3) set INDEXBUS_CREATE_RECYCLE and INDEXBUS_CREATE_MPSC_BATCH, and
 * the library says which kinds take them. */
static void create_region(const char *name, indexbus_region **out)
{
    uint32_t kind = kind_of(opt_val[O_KIND]);
    indexbus_region_config cfg;
    int st = indexbus_region_config_init(&cfg, kind);
    if (st != INDEXBUS_OK)
        fail(st, "region config init");
    int slot_opts = opt_set[O_SLOTS] || opt_set[O_SLOT_SIZE] || opt_set[O_QUEUE] ||
                    opt_set[O_CONSUMERS];
    int ring_opts = opt_set[O_BYTES] || opt_set[O_MAX_RECORD];
    int rpc_opts = opt_set[O_CELLS] || opt_set[O_MAX_REQUEST] || opt_set[O_MAX_REPLY];
    if (kind == INDEXBUS_KIND_RPC) {
        if (slot_opts || ring_opts)
            usage("create: only --cells, --max-request and --max-reply for --kind rpc");
        uint32_t cells = u32_opt(O_CELLS, 0), req = u32_opt(O_MAX_REQUEST, 0);
        uint32_t rep = u32_opt(O_MAX_REPLY, 0);
        if (cells)
            cfg.slot_count = cells;
        if (req)
            cfg.slot_data_size = req;
        if (rep)
            cfg.max_record = rep;
    } else if (rpc_opts) {
        usage("create: --cells, --max-request and --max-reply are for --kind rpc only");
    } else if (kind == INDEXBUS_KIND_LOG || kind == INDEXBUS_KIND_STREAM) {
        if (slot_opts)
            usage("create: --slots, --slot-size, --queue and --consumers are not for byte "
                  "logs and streams");
        uint64_t bytes = num_opt(O_BYTES, 0);
        if (bytes)
            cfg.byte_capacity = bytes;
        uint32_t max_record = u32_opt(O_MAX_RECORD, 0);
        if (max_record)
            cfg.max_record = max_record;
    } else {
        if (ring_opts)
            usage("create: --bytes and --max-record are for byte logs and streams only");
        uint32_t slots = u32_opt(O_SLOTS, 0), slot_size = u32_opt(O_SLOT_SIZE, 0);
        uint32_t queue = u32_opt(O_QUEUE, 0), consumers = u32_opt(O_CONSUMERS, 0);
        if (slots)
            cfg.slot_count = slots;
        if (slot_size)
            cfg.slot_data_size = slot_size;
        if (queue)
            cfg.queue_capacity = queue;
        if (consumers)
            cfg.consumer_count = consumers;
    }
    cfg.flags |= (opt_set[O_RECYCLE] ? INDEXBUS_CREATE_RECYCLE : 0u) |
                 (opt_set[O_MPSC_BATCH] ? INDEXBUS_CREATE_MPSC_BATCH : 0u);
    st = indexbus_region_create(name, &cfg, out);
    if (st != INDEXBUS_OK)
        fail(st, "create region %s", name);
}

/* How a publishing loop reacts to FULL: fail at once (golden ops), retry with a
 * yield (20 s bound), or call the blocking calls (publish_wait / claim_wait). */
enum full_mode { FULL_FAILS, FULL_RETRY, FULL_WAITS };

/* A 20 s retry bound that starts at the first FULL; fails once it has passed. */
static void full_retry(uint64_t *deadline, const char *what, uint32_t k)
{
    if (*deadline == 0)
        *deadline = now_ns() + FULL_RETRY_NS;
    else if (now_ns() > *deadline)
        fail(INDEXBUS_TIMEOUT, "%s %" PRIu32 ": FULL for 20 s", what, k);
    sched_yield();
}

/* Publish message k of producer p (size s). zero_copy: claim, write the payload into the
 * claimed buffer, commit; the claim is of exactly s bytes (claim_len) on a byte log, a slot
 * (claim) elsewhere. */
static void publish_one(indexbus_producer *tx, uint8_t *buf, uint32_t p, uint32_t k, uint32_t s,
                        int zero_copy, int is_log, enum full_mode full)
{
    uint64_t deadline = 0;
    int st;
    if (!zero_copy) {
        payload(buf, p, k, s);
        for (;;) {
            if (full == FULL_WAITS)
                st = indexbus_publish_wait(tx, buf, s, FULL_RETRY_NS);
            else
                st = indexbus_publish(tx, buf, s);
            if (st != INDEXBUS_FULL || full != FULL_RETRY)
                break;
            full_retry(&deadline, "publish", k);
        }
        if (st != INDEXBUS_OK)
            fail(st, "publish message %" PRIu32, k);
        return;
    }
    void *slot;
    size_t cap = s;
    for (;;) {
        if (full == FULL_WAITS)
            st = indexbus_claim_wait(tx, s, &slot, FULL_RETRY_NS);
        else if (is_log)
            st = indexbus_claim_len(tx, s, &slot);
        else
            st = indexbus_claim(tx, &slot, &cap);
        if (st != INDEXBUS_FULL || full != FULL_RETRY)
            break;
        full_retry(&deadline, "claim", k);
    }
    if (st != INDEXBUS_OK)
        fail(st, "claim for message %" PRIu32, k);
    if (cap < s)
        fail(INDEXBUS_TOO_LARGE, "claimed capacity %zu < %" PRIu32, cap, s);
    payload(slot, p, k, s);
    for (;;) {
        st = indexbus_commit(tx, s);
        if (st != INDEXBUS_FULL || full == FULL_FAILS)
            break;
        full_retry(&deadline, "commit", k);
    }
    if (st != INDEXBUS_OK)
        fail(st, "commit message %" PRIu32, k);
}

/* Publish messages k = from..from+count-1 of producer p in batches of up to `batch`.
 * Copy: the batch publish call (a FULL after some messages goes on with the rest).
 * zero_copy (byte logs): the in-place batch claim, filled, then committed whole; a
 * batch the call finds TOO_LARGE (more than half the ring) is halved. */
static void publish_batches(indexbus_producer *tx, uint32_t p, uint32_t from, uint32_t count,
                            const uint32_t *sizes, size_t nsizes, uint32_t batch, size_t maxmsg,
                            int zero_copy, enum full_mode full)
{
    uint8_t *buf = malloc((size_t)batch * maxmsg + 1);
    uint32_t *lens = malloc(sizeof(uint32_t) * batch);
    void **bufs = malloc(sizeof(void *) * batch);
    if (buf == NULL || lens == NULL || bufs == NULL)
        fail(INDEXBUS_NO_MEMORY, "malloc");
    uint32_t k = from, end = from + count, n = batch;
    uint64_t deadline = 0;
    int st;
    while (k < end) {
        if (n > end - k)
            n = end - k;
        for (uint32_t i = 0; i < n; i++)
            lens[i] = sizes[(k + i) % nsizes];
        if (zero_copy) {
            st = indexbus_claim_batch(tx, lens, n, bufs);
            if (st == INDEXBUS_OK) {
                for (uint32_t i = 0; i < n; i++)
                    payload(bufs[i], p, k + i, lens[i]);
                if ((st = indexbus_commit_batch(tx, n)) != INDEXBUS_OK)
                    fail(st, "commit batch at message %" PRIu32, k);
                k += n;
                n = batch;
                deadline = 0;
                continue;
            }
            if (st == INDEXBUS_TOO_LARGE && n > 1) {
                n /= 2;
                continue;
            }
        } else {
            size_t off = 0, done = 0;
            for (uint32_t i = 0; i < n; i++) {
                payload(buf + off, p, k + i, lens[i]);
                off += lens[i];
            }
            st = indexbus_publish_batch(tx, buf, lens, n, &done);
            k += (uint32_t)done;
            if (st == INDEXBUS_OK || (st == INDEXBUS_FULL && done > 0 && full != FULL_FAILS)) {
                deadline = 0;
                continue;
            }
        }
        if (st != INDEXBUS_FULL || full != FULL_RETRY)
            fail(st, "%s at message %" PRIu32, zero_copy ? "claim batch" : "publish batch", k);
        full_retry(&deadline, "batch at", k);
    }
    free(bufs);
    free(lens);
    free(buf);
}

/* ---- commands ------------------------------------------------------------------ */

static int cmd_create(const char *name)
{
    indexbus_region *r;
    create_region(name, &r);
    indexbus_region_close(r);
    puts("{\"ev\":\"created\"}");
    return 0;
}

static int cmd_unlink(const char *name)
{
    int st = indexbus_region_unlink(name);
    if (st != INDEXBUS_OK)
        fail(st, "unlink %s", name);
    puts("{\"ev\":\"unlinked\"}");
    return 0;
}

static int cmd_produce(const char *name)
{
    static uint32_t sizes[MAX_SIZES];
    uint32_t type = type_of(opt_set[O_TYPE] ? opt_val[O_TYPE] : "spsc");
    uint32_t p = u32_opt(O_PRODUCER, 0);
    uint32_t count = u32_opt(O_COUNT, 0);
    size_t nsizes = parse_sizes(opt_set[O_SIZES] ? opt_val[O_SIZES] : "0", sizes);
    int zero_copy = opt_set[O_ZERO_COPY];
    uint32_t batch = u32_opt(O_BATCH, 0);
    uint32_t want = u32_opt(O_WAIT_CONSUMERS, 0);
    enum full_mode full = opt_set[O_WAIT] ? FULL_WAITS : FULL_RETRY;
    if (opt_set[O_BATCH] && batch == 0)
        usage("produce: --batch must be at least 1");
    if (batch && full == FULL_WAITS)
        usage("produce: --wait and --batch exclude each other");

    indexbus_region *r = open_region(name);
    indexbus_info in = region_info(r);
    int is_log = in.kind == INDEXBUS_KIND_LOG;
    size_t maxmsg = max_message(&in);
    if (zero_copy && batch && !is_log)
        usage("produce: --zero-copy with --batch (the batch claim) is for byte logs only");
    for (size_t i = 0; i < nsizes; i++)
        if (sizes[i] > maxmsg)
            usage("produce: size %" PRIu32 " > the largest message, %zu", sizes[i], maxmsg);
    indexbus_producer *tx;
    int st = indexbus_producer_open(r, type, &tx);
    if (st != INDEXBUS_OK)
        fail(st, "open producer");
    if (want) {
        uint64_t deadline = now_ns() + WAIT_CONSUMERS_NS;
        while (region_info(r).consumers_live < want) {
            if (now_ns() > deadline)
                fail(INDEXBUS_TIMEOUT, "waiting for %" PRIu32 " consumers", want);
            struct timespec nap = {0, 1000000};
            nanosleep(&nap, NULL);
        }
    }
    if (batch == 0) {
        uint8_t *buf = malloc(maxmsg ? maxmsg : 1);
        if (buf == NULL)
            fail(INDEXBUS_NO_MEMORY, "malloc");
        for (uint32_t k = 0; k < count; k++)
            publish_one(tx, buf, p, k, sizes[k % nsizes], zero_copy, is_log, full);
        free(buf);
    } else {
        publish_batches(tx, p, 0, count, sizes, nsizes, batch, maxmsg, zero_copy, full);
    }
    indexbus_producer_close(tx);
    indexbus_region_close(r);
    printf("{\"ev\":\"done\",\"published\":%" PRIu32 "}\n", count);
    return 0;
}

static int cmd_route(const char *name)
{
    uint32_t mode = mode_of(opt_set[O_MODE] ? opt_val[O_MODE] : "broadcast");
    uint32_t source = source_of(opt_set[O_SOURCE] ? opt_val[O_SOURCE] : "any");
    indexbus_region *r = open_region(name);
    indexbus_router *rt;
    int st = indexbus_router_open(r, &rt);
    if (st != INDEXBUS_OK)
        fail(st, "open router");
    indexbus_router_loop_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.source = source;
    cfg.mode = mode;
    cfg.flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT;
    st = indexbus_router_run(rt, &cfg);
    if (st != INDEXBUS_DISCONNECTED && st != INDEXBUS_OK)
        fail(st, "router run");
    indexbus_router_close(rt);
    indexbus_region_close(r);
    printf("{\"ev\":\"done\",\"routed\":%" PRIu64 "}\n", cfg.routed);
    return 0;
}

static int cmd_consume(const char *name)
{
    uint32_t index = u32_opt(O_INDEX, 0);
    int borrow = opt_set[O_BORROW];
    uint32_t batch = u32_opt(O_BATCH, 0);
    uint64_t timeout_ns = num_opt(O_TIMEOUT_MS, 10000) * 1000000ull;
    int limited = opt_set[O_COUNT];
    uint64_t want = num_opt(O_COUNT, 0);
    uint64_t delay_ms = num_opt(O_DELAY_MS, 0);
    if (opt_set[O_BATCH] && batch == 0)
        usage("consume: --batch must be at least 1");
    if (borrow && batch)
        usage("consume: --borrow and --batch exclude each other");

    indexbus_region *r = open_region(name);
    indexbus_info in = region_info(r);
    indexbus_consumer *rx;
    int st = indexbus_consumer_open(r, index, &rx);
    if (st != INDEXBUS_OK)
        fail(st, "open consumer %" PRIu32, index);
    if (delay_ms) { /* attached, but nothing received yet: producers may fill the region */
        struct timespec nap = {(time_t)(delay_ms / 1000), (long)(delay_ms % 1000) * 1000000L};
        nanosleep(&nap, NULL);
    }
    size_t cap = max_message(&in) * (batch ? batch : 1);
    uint8_t *buf = malloc(cap ? cap : 1);
    uint32_t *lens = malloc(sizeof(uint32_t) * (batch ? batch : 1));
    if (buf == NULL || lens == NULL)
        fail(INDEXBUS_NO_MEMORY, "malloc");
    uint64_t got = 0;
    int end = INDEXBUS_OK;
    uint64_t idle_since = 0;
    while (!limited || got < want) {
        if (batch) {
            size_t max = batch;
            if (limited && want - got < max)
                max = (size_t)(want - got);
            size_t n = 0;
            st = indexbus_recv_batch(rx, buf, cap, lens, max, &n);
            if (st == INDEXBUS_OK) {
                size_t off = 0;
                for (size_t i = 0; i < n; i++) {
                    print_msg(buf + off, lens[i]);
                    off += lens[i];
                }
                got += n;
                idle_since = 0;
                continue;
            }
            if (st == INDEXBUS_EMPTY) {
                uint64_t t = now_ns();
                if (idle_since == 0)
                    idle_since = t;
                else if (t - idle_since > timeout_ns)
                    fail(INDEXBUS_TIMEOUT, "batch receive: idle for %" PRIu64 " ms",
                         timeout_ns / 1000000);
                sched_yield();
                continue;
            }
        } else if (borrow) {
            st = indexbus_wait(rx, timeout_ns);
            if (st == INDEXBUS_OK) {
                const void *data;
                size_t len;
                st = indexbus_recv_begin(rx, &data, &len);
                if (st == INDEXBUS_OK) {
                    print_msg(data, len);
                    st = indexbus_recv_end(rx);
                    if (st != INDEXBUS_OK)
                        fail(st, "recv_end");
                    got++;
                    continue;
                }
            }
        } else {
            size_t len = 0;
            st = indexbus_recv(rx, buf, cap, &len, timeout_ns);
            if (st == INDEXBUS_OK) {
                print_msg(buf, len);
                got++;
                continue;
            }
        }
        if (st == INDEXBUS_DISCONNECTED) {
            end = st;
            break;
        }
        fail(st, "receive after %" PRIu64 " messages", got);
    }
    free(lens);
    free(buf);
    indexbus_consumer_close(rx);
    indexbus_region_close(r);
    printf("{\"ev\":\"end\",\"status\":\"%s\",\"count\":%" PRIu64 "}\n", indexbus_status_name(end),
           got);
    return 0;
}

/* ---- byte streams and request/response ----------------------------------------- */

#define HOLD_NS 120000000000ull /* --hold: sleep until killed, at most 120 s */
#define RETRY_NS 20000000000ull /* retry bounds: 20 s */
#define FNV_BASIS 0xcbf29ce484222325ull
#define FNV_PRIME 0x100000001b3ull

/* Stream rule: byte i of writer w's stream. */
static uint8_t stream_byte(uint32_t w, uint64_t i)
{
    uint32_t x = (uint32_t)i * 2654435761u + w * 40503u;
    return (uint8_t)(((x >> 24) ^ (x >> 8)) & 0xffu);
}

static void stream_bytes(uint8_t *b, uint32_t w, uint64_t from, size_t n)
{
    for (size_t j = 0; j < n; j++)
        b[j] = stream_byte(w, from + j);
}

static uint64_t fnv(uint64_t h, const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * FNV_PRIME;
    return h;
}

/* Reply rule: n as u32 LE, then the request reversed, each byte ^ 0x5A (n + 4 bytes). */
static void reply_rule(uint8_t *out, const uint8_t *req, size_t n)
{
    for (int j = 0; j < 4; j++)
        out[j] = (uint8_t)((uint32_t)n >> (8 * j));
    for (size_t j = 0; j < n; j++)
        out[4 + j] = req[n - 1 - j] ^ 0x5a;
}

static void print_hex_event(const char *ev, const uint8_t *data, size_t len)
{
    static const char hexd[] = "0123456789abcdef";
    printf("{\"ev\":\"%s\",\"hex\":\"", ev);
    for (size_t i = 0; i < len; i++) {
        putchar(hexd[data[i] >> 4]);
        putchar(hexd[data[i] & 15]);
    }
    fputs("\"}\n", stdout);
}

static void sleep_ms(uint64_t ms)
{
    struct timespec nap = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
    nanosleep(&nap, NULL);
}

/* --hold: the handles stay open; sleep until the runner kills us. */
static _Noreturn void hold(void)
{
    fflush(stdout);
    uint64_t end = now_ns() + HOLD_NS;
    while (now_ns() < end)
        sleep_ms(100);
    fail(INDEXBUS_TIMEOUT, "held for 120 s and nobody killed us");
}

/* Write len bytes of data as one call of the chosen mode: write_all (20 s), or write
 * what fits, repeated for the rest (yield on FULL, 20 s without progress). */
static void stream_put(indexbus_stream_writer *w, const uint8_t *data, size_t len, int some,
                       uint64_t at)
{
    int st;
    if (!some) {
        size_t n = 0;
        st = indexbus_stream_write_all(w, data, len, RETRY_NS, &n);
        if (st != INDEXBUS_OK)
            fail(st, "write_all of %zu bytes at byte %" PRIu64 " (%zu written)", len, at, n);
        return;
    }
    size_t done = 0;
    uint64_t deadline = 0;
    while (done < len) {
        size_t n = 0;
        st = indexbus_stream_write(w, data + done, len - done, &n);
        if (st == INDEXBUS_OK) {
            done += n;
            deadline = 0;
            continue;
        }
        if (st != INDEXBUS_FULL)
            fail(st, "write at byte %" PRIu64, at + done);
        if (deadline == 0)
            deadline = now_ns() + RETRY_NS;
        else if (now_ns() > deadline)
            fail(INDEXBUS_TIMEOUT, "write at byte %" PRIu64 ": FULL for 20 s", at + done);
        sched_yield();
    }
}

static int some_mode(const char *cmd)
{
    const char *m = opt_set[O_MODE] ? opt_val[O_MODE] : "all";
    if (strcmp(m, "all") == 0)
        return 0;
    if (strcmp(m, "some") == 0)
        return 1;
    usage("%s: bad --mode '%s' (all or some)", cmd, m);
}

static int cmd_stream_write(const char *name)
{
    static uint32_t sizes[MAX_SIZES];
    uint32_t w = u32_opt(O_WRITER, 0);
    int some = some_mode("stream-write");
    int by_bytes = opt_set[O_BYTES];
    if (by_bytes == (opt_set[O_COUNT] || opt_set[O_SIZES]))
        usage("stream-write: either --bytes or --count and --sizes");
    if (!by_bytes && !(opt_set[O_COUNT] && opt_set[O_SIZES]))
        usage("stream-write: --count and --sizes go together");
    if (opt_set[O_CHUNK] && !by_bytes)
        usage("stream-write: --chunk is for --bytes");
    uint64_t total = num_opt(O_BYTES, 0);
    uint64_t chunk = num_opt(O_CHUNK, 4096);
    uint32_t count = u32_opt(O_COUNT, 0);
    size_t nsizes = by_bytes ? 0 : parse_sizes(opt_val[O_SIZES], sizes);
    if (chunk == 0)
        usage("stream-write: --chunk must be at least 1");

    indexbus_region *r = open_region(name);
    indexbus_info in = region_info(r);
    for (size_t i = 0; i < nsizes; i++)
        if (sizes[i] > in.max_record)
            usage("stream-write: size %" PRIu32 " > max_record %" PRIu32, sizes[i],
                  in.max_record);
    indexbus_stream_writer *wr;
    int st = indexbus_stream_writer_open(r, &wr);
    if (st != INDEXBUS_OK)
        fail(st, "open stream writer");
    if (opt_set[O_WAIT_READER]) {
        uint64_t deadline = now_ns() + WAIT_CONSUMERS_NS;
        while (region_info(r).consumers_live < 1) {
            if (now_ns() > deadline)
                fail(INDEXBUS_TIMEOUT, "waiting for the reader");
            sleep_ms(1);
        }
    }
    uint64_t written = 0;
    size_t bufcap = by_bytes ? (size_t)chunk : in.max_record;
    uint8_t *buf = malloc(bufcap ? bufcap : 1);
    if (buf == NULL)
        fail(INDEXBUS_NO_MEMORY, "malloc");
    if (by_bytes) {
        while (written < total) {
            size_t n = total - written < chunk ? (size_t)(total - written) : (size_t)chunk;
            stream_bytes(buf, w, written, n);
            stream_put(wr, buf, n, some, written);
            written += n;
        }
    } else {
        for (uint32_t k = 0; k < count; k++) {
            size_t n = sizes[k % nsizes];
            payload(buf, w, k, n);
            stream_put(wr, buf, n, some, written);
            written += n;
        }
    }
    free(buf);
    if (opt_set[O_HOLD]) {
        printf("{\"ev\":\"holding\",\"written\":%" PRIu64 "}\n", written);
        hold();
    }
    indexbus_stream_writer_close(wr);
    indexbus_region_close(r);
    printf("{\"ev\":\"done\",\"written\":%" PRIu64 "}\n", written);
    return 0;
}

static int cmd_stream_read(const char *name)
{
    uint64_t rsize = num_opt(O_READ_SIZE, 65536);
    uint64_t timeout_ns = num_opt(O_TIMEOUT_MS, 20000) * 1000000ull;
    int limited = opt_set[O_MAX_BYTES];
    uint64_t max = num_opt(O_MAX_BYTES, 0);
    if (rsize == 0)
        usage("stream-read: --read-size must be at least 1");
    if (opt_set[O_RELEASE] && opt_set[O_HOLD])
        usage("stream-read: --release and --hold exclude each other");
    indexbus_region *r = open_region(name);
    indexbus_stream_reader *rd;
    int st = indexbus_stream_reader_open(r, &rd);
    if (st != INDEXBUS_OK)
        fail(st, "open stream reader");
    uint8_t *buf = malloc((size_t)rsize);
    if (buf == NULL)
        fail(INDEXBUS_NO_MEMORY, "malloc");
    uint64_t total = 0, h = FNV_BASIS;
    int end = INDEXBUS_OK;
    while (!limited || total < max) {
        size_t cap = (size_t)rsize, n = 0;
        if (limited && max - total < cap)
            cap = (size_t)(max - total);
        st = indexbus_stream_read(rd, buf, cap, &n, timeout_ns);
        if (st == INDEXBUS_DISCONNECTED) {
            end = st;
            break;
        }
        if (st != INDEXBUS_OK)
            fail(st, "read after %" PRIu64 " bytes", total);
        if (opt_set[O_HEX])
            print_hex_event("data", buf, n);
        h = fnv(h, buf, n);
        total += n;
    }
    free(buf);
    uint32_t flags = 0, aborted = 0;
    if ((st = indexbus_stream_state(r, &flags, &aborted)) != INDEXBUS_OK)
        fail(st, "stream state");
    printf("{\"ev\":\"end\",\"status\":\"%s\",\"bytes\":%" PRIu64 ",\"fnv\":\"%016" PRIx64
           "\",\"ended\":%s,\"reader_gone\":%s,\"aborted\":%s,\"writers_aborted\":%" PRIu32 "}\n",
           indexbus_status_name(end), total, h,
           flags & INDEXBUS_STREAM_ENDED ? "true" : "false",
           flags & INDEXBUS_STREAM_READER_GONE ? "true" : "false",
           flags & INDEXBUS_STREAM_ABORTED ? "true" : "false", aborted);
    if (opt_set[O_HOLD]) {
        puts("{\"ev\":\"holding\"}");
        hold();
    }
    if (opt_set[O_RELEASE])
        st = indexbus_stream_reader_release(rd);
    else
        st = indexbus_stream_reader_close(rd);
    if (st != INDEXBUS_OK)
        fail(st, "%s the read end", opt_set[O_RELEASE] ? "release" : "close");
    indexbus_region_close(r);
    return 0;
}

/* Answer a served request by the reply rule: copied in, or written in place. */
static void answer(indexbus_rpc_server *sv, uint64_t token, const uint8_t *req, size_t n,
                   int zero_copy, uint8_t *scratch)
{
    int st;
    if (zero_copy) {
        void *out;
        size_t cap;
        if ((st = indexbus_rpc_reply_buffer(sv, token, &out, &cap)) != INDEXBUS_OK)
            fail(st, "reply buffer");
        if (cap < n + 4)
            fail(INDEXBUS_TOO_LARGE, "reply buffer of %zu bytes for a %zu-byte reply", cap, n + 4);
        reply_rule(out, req, n);
        st = indexbus_rpc_reply_commit(sv, token, n + 4);
    } else {
        reply_rule(scratch, req, n);
        st = indexbus_rpc_reply(sv, token, scratch, n + 4);
    }
    if (st != INDEXBUS_OK)
        fail(st, "reply");
}

static int cmd_serve(const char *name)
{
    uint32_t count = u32_opt(O_COUNT, 0);
    uint64_t timeout_ns = num_opt(O_TIMEOUT_MS, 20000) * 1000000ull;
    indexbus_region *r = open_region(name);
    indexbus_info in = region_info(r);
    indexbus_rpc_server *sv;
    int st = indexbus_rpc_server_open(r, &sv);
    if (st != INDEXBUS_OK)
        fail(st, "open server");
    uint8_t *scratch = malloc((size_t)in.max_request + 4);
    if (scratch == NULL)
        fail(INDEXBUS_NO_MEMORY, "malloc");
    for (uint32_t k = 0; k < count; k++) {
        uint64_t token;
        const void *req;
        size_t n;
        if ((st = indexbus_rpc_serve(sv, &token, &req, &n, timeout_ns)) != INDEXBUS_OK)
            fail(st, "serve request %" PRIu32, k);
        if (!opt_set[O_HOLD])
            answer(sv, token, req, n, opt_set[O_ZERO_COPY], scratch);
    }
    if (opt_set[O_HOLD]) {
        printf("{\"ev\":\"holding\",\"count\":%" PRIu32 "}\n", count);
        hold();
    }
    free(scratch);
    indexbus_rpc_server_close(sv);
    indexbus_region_close(r);
    printf("{\"ev\":\"done\",\"served\":%" PRIu32 "}\n", count);
    return 0;
}

enum rpc_mode { RPC_CALL, RPC_WAIT, RPC_ZERO_COPY };

/* One round trip of request k (req, n bytes) in the chosen mode; the reply is copied to
 * out (cap bytes), its length to *len. Returns the status (OK or DISCONNECTED; anything
 * else fails). */
static int round_trip(indexbus_rpc_client *c, enum rpc_mode mode, const uint8_t *req, size_t n,
                      uint8_t *out, size_t cap, size_t *len, uint64_t timeout_ns, uint32_t k)
{
    int st;
    uint64_t token;
    if (mode == RPC_CALL) {
        st = indexbus_rpc_call(c, req, n, out, cap, len, timeout_ns);
        if (st != INDEXBUS_OK && st != INDEXBUS_DISCONNECTED)
            fail(st, "call %" PRIu32, k);
        return st;
    }
    if (mode == RPC_ZERO_COPY) {
        void *buf;
        if ((st = indexbus_rpc_claim(c, n, &buf)) != INDEXBUS_OK)
            fail(st, "claim request %" PRIu32, k);
        memcpy(buf, req, n); /* the request is written in place */
        st = indexbus_rpc_send(c, n, &token);
    } else {
        st = indexbus_rpc_request(c, req, n, &token);
    }
    if (st == INDEXBUS_DISCONNECTED)
        return st;
    if (st != INDEXBUS_OK)
        fail(st, "send request %" PRIu32, k);
    const void *data;
    size_t got;
    st = indexbus_rpc_wait(c, token, &data, &got, timeout_ns);
    if (st == INDEXBUS_DISCONNECTED)
        return st;
    if (st != INDEXBUS_OK)
        fail(st, "wait for reply %" PRIu32, k);
    if (got > cap)
        fail(INDEXBUS_CORRUPT, "reply %" PRIu32 " has %zu bytes, more than max_reply", k, got);
    memcpy(out, data, got);
    *len = got;
    if ((st = indexbus_rpc_reply_done(c, token)) != INDEXBUS_OK)
        fail(st, "reply done %" PRIu32, k);
    return INDEXBUS_OK;
}

static int cmd_request(const char *name)
{
    static uint32_t sizes[MAX_SIZES];
    uint32_t p = u32_opt(O_CLIENT, 0);
    uint32_t count = u32_opt(O_COUNT, 0);
    size_t nsizes = parse_sizes(opt_val[O_SIZES], sizes);
    uint64_t timeout_ns = num_opt(O_TIMEOUT_MS, 20000) * 1000000ull;
    const char *m = opt_set[O_MODE] ? opt_val[O_MODE] : "wait";
    enum rpc_mode mode;
    if (strcmp(m, "call") == 0)
        mode = RPC_CALL;
    else if (strcmp(m, "wait") == 0)
        mode = RPC_WAIT;
    else if (strcmp(m, "zero-copy") == 0)
        mode = RPC_ZERO_COPY;
    else
        usage("request: bad --mode '%s' (call, wait or zero-copy)", m);
    indexbus_region *r = open_region(name);
    indexbus_info in = region_info(r);
    for (size_t i = 0; i < nsizes; i++)
        if (sizes[i] > in.max_request)
            usage("request: size %" PRIu32 " > max_request %" PRIu32, sizes[i], in.max_request);
    indexbus_rpc_client *c;
    int st = indexbus_rpc_client_open(r, &c);
    if (st != INDEXBUS_OK)
        fail(st, "open client");
    uint8_t *req = malloc((size_t)in.max_request + 1);
    uint8_t *want = malloc((size_t)in.max_request + 4);
    uint8_t *got = malloc((size_t)in.max_reply + 1);
    if (req == NULL || want == NULL || got == NULL)
        fail(INDEXBUS_NO_MEMORY, "malloc");
    uint64_t h = FNV_BASIS, reply_bytes = 0;
    for (uint32_t k = 0; k < count; k++) {
        size_t n = sizes[k % nsizes], len = 0;
        payload(req, p, k, n);
        int told = 0;
        uint64_t deadline = 0;
        for (;;) {
            st = round_trip(c, mode, req, n, got, in.max_reply, &len, timeout_ns, k);
            if (st == INDEXBUS_OK)
                break;
            if (!opt_set[O_RETRY_DISCONNECTED])
                fail(st, "request %" PRIu32, k);
            if (!told) {
                printf("{\"ev\":\"disconnected\",\"k\":%" PRIu32 "}\n", k);
                fflush(stdout);
                told = 1;
            }
            if (deadline == 0)
                deadline = now_ns() + RETRY_NS;
            else if (now_ns() > deadline)
                fail(st, "request %" PRIu32 ": DISCONNECTED for 20 s", k);
            sleep_ms(1);
        }
        reply_rule(want, req, n);
        if (len != n + 4)
            fail(INDEXBUS_CORRUPT, "reply %" PRIu32 ": %zu bytes, want %zu", k, len, n + 4);
        for (size_t j = 0; j < len; j++)
            if (got[j] != want[j])
                fail(INDEXBUS_CORRUPT, "reply %" PRIu32 " differs at byte %zu: 0x%02x, want 0x%02x",
                     k, j, got[j], want[j]);
        h = fnv(h, got, len);
        reply_bytes += len;
    }
    free(req);
    free(want);
    free(got);
    indexbus_rpc_client_close(c);
    indexbus_region_close(r);
    printf("{\"ev\":\"done\",\"requests\":%" PRIu32 ",\"reply_bytes\":%" PRIu64
           ",\"fnv\":\"%016" PRIx64 "\"}\n",
           count, reply_bytes, h);
    return 0;
}

/* One wrong call per case; the status it returns is what we report. */
static int cmd_error(const char *name)
{
    const char *c = opt_val[O_CASE];
    int st;
    indexbus_region *r = NULL;
    indexbus_producer *tx = NULL;
    indexbus_consumer *rx = NULL;
    indexbus_stream_writer *sw = NULL;
    indexbus_stream_reader *sr = NULL;
    indexbus_rpc_client *cl = NULL;
    indexbus_rpc_server *sv = NULL;
    static uint8_t buf[1024];
    if (strcmp(c, "too_large") == 0) {
        r = open_region(name);
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &tx)) != INDEXBUS_OK)
            fail(st, "open producer");
        payload(buf, 0, 0, 65);
        st = indexbus_publish(tx, buf, 65);
    } else if (strcmp(c, "buffer_too_small") == 0) {
        r = open_region(name);
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &tx)) != INDEXBUS_OK)
            fail(st, "open producer");
        payload(buf, 0, 0, 10);
        if ((st = indexbus_publish(tx, buf, 10)) != INDEXBUS_OK)
            fail(st, "publish 10 bytes");
        if ((st = indexbus_consumer_open(r, 0, &rx)) != INDEXBUS_OK)
            fail(st, "open consumer");
        size_t len = 0;
        st = indexbus_recv(rx, buf, 4, &len, 1000000000ull);
    } else if (strcmp(c, "wrong_kind") == 0) {
        indexbus_router *rt = NULL;
        r = open_region(name);
        st = indexbus_router_open(r, &rt);
        indexbus_router_close(rt);
    } else if (strcmp(c, "newer_major") == 0) {
        st = indexbus_region_open(name, NULL, &r);
    } else if (strcmp(c, "not_ready") == 0) {
        indexbus_open_config oc;
        memset(&oc, 0, sizeof oc);
        oc.size = sizeof oc;
        oc.ready_timeout_ns = 50000000ull;
        st = indexbus_region_open(name, &oc, &r);
    } else if (strcmp(c, "timeout") == 0) {
        r = open_region(name);
        if ((st = indexbus_consumer_open(r, 0, &rx)) != INDEXBUS_OK)
            fail(st, "open consumer");
        size_t len = 0;
        st = indexbus_recv(rx, buf, sizeof buf, &len, 50000000ull);
    } else if (strcmp(c, "log_too_large") == 0) {
        r = open_region(name);
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &tx)) != INDEXBUS_OK)
            fail(st, "open producer");
        payload(buf, 0, 0, 65);
        st = indexbus_publish(tx, buf, 65);
    } else if (strcmp(c, "log_claim_too_large") == 0) {
        void *slot;
        r = open_region(name);
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &tx)) != INDEXBUS_OK)
            fail(st, "open producer");
        st = indexbus_claim_len(tx, 65, &slot);
    } else if (strcmp(c, "log_busy") == 0) {
        indexbus_producer *tx2 = NULL;
        r = open_region(name);
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &tx)) != INDEXBUS_OK)
            fail(st, "open SPSC producer");
        st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &tx2);
        indexbus_producer_close(tx2);
    } else if (strcmp(c, "log_wait_timeout") == 0) {
        r = open_region(name);
        if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &tx)) != INDEXBUS_OK)
            fail(st, "open producer");
        payload(buf, 0, 0, 56);
        uint32_t k = 0;
        while ((st = indexbus_publish(tx, buf, 56)) == INDEXBUS_OK)
            if (++k > 1000000)
                fail(INDEXBUS_INVALID_ARGUMENT, "the byte log never filled");
        if (st != INDEXBUS_FULL)
            fail(st, "filling the byte log");
        st = indexbus_publish_wait(tx, buf, 56, 50000000ull);
    } else if (strcmp(c, "stream_reader_busy") == 0) {
        indexbus_stream_reader *sr2 = NULL;
        r = open_region(name);
        if ((st = indexbus_stream_reader_open(r, &sr)) != INDEXBUS_OK)
            fail(st, "open the first reader");
        st = indexbus_stream_reader_open(r, &sr2);
        indexbus_stream_reader_release(sr2);
        indexbus_stream_reader_release(sr); /* hand over: leaves no READER_GONE behind */
        sr = NULL;
    } else if (strcmp(c, "stream_reader_gone") == 0) {
        size_t n;
        r = open_region(name);
        if ((st = indexbus_stream_writer_open(r, &sw)) != INDEXBUS_OK)
            fail(st, "open writer");
        if ((st = indexbus_stream_reader_open(r, &sr)) != INDEXBUS_OK)
            fail(st, "open reader");
        if ((st = indexbus_stream_reader_close(sr)) != INDEXBUS_OK)
            fail(st, "close reader");
        sr = NULL;
        stream_bytes(buf, 0, 0, 1);
        st = indexbus_stream_write(sw, buf, 1, &n);
    } else if (strcmp(c, "stream_ended") == 0) {
        r = open_region(name);
        if ((st = indexbus_stream_writer_open(r, &sw)) != INDEXBUS_OK)
            fail(st, "open the first writer");
        if ((st = indexbus_stream_writer_close(sw)) != INDEXBUS_OK)
            fail(st, "close the first writer");
        sw = NULL;
        st = indexbus_stream_writer_open(r, &sw);
    } else if (strcmp(c, "stream_read_timeout") == 0) {
        size_t n;
        r = open_region(name);
        if ((st = indexbus_stream_writer_open(r, &sw)) != INDEXBUS_OK)
            fail(st, "open writer");
        if ((st = indexbus_stream_reader_open(r, &sr)) != INDEXBUS_OK)
            fail(st, "open reader");
        st = indexbus_stream_read(sr, buf, sizeof buf, &n, 50000000ull);
    } else if (strcmp(c, "stream_write_timeout") == 0) {
        size_t n = 0;
        uint64_t at = 0;
        r = open_region(name);
        if ((st = indexbus_stream_writer_open(r, &sw)) != INDEXBUS_OK)
            fail(st, "open writer");
        for (int i = 0;; i++) {
            stream_bytes(buf, 0, at, 1000);
            st = indexbus_stream_write_all(sw, buf, 1000, 50000000ull, &n);
            if (st != INDEXBUS_OK)
                break;
            if (n != 1000 || i > 1000)
                fail(INDEXBUS_INVALID_ARGUMENT, "write_all wrote %zu of 1000 (call %d)", n, i);
            at += n;
        }
        if (n != 0) /* at most max_record: all of it or none */
            fail(INDEXBUS_INVALID_ARGUMENT, "write_all half-written: %zu of 1000", n);
    } else if (strcmp(c, "rpc_too_large") == 0) {
        uint64_t token;
        r = open_region(name);
        if ((st = indexbus_rpc_client_open(r, &cl)) != INDEXBUS_OK)
            fail(st, "open client");
        payload(buf, 0, 0, 65);
        st = indexbus_rpc_request(cl, buf, 65, &token);
    } else if (strcmp(c, "rpc_second_reply") == 0) {
        uint64_t token, served;
        const void *req;
        size_t n;
        r = open_region(name);
        if ((st = indexbus_rpc_client_open(r, &cl)) != INDEXBUS_OK)
            fail(st, "open client");
        if ((st = indexbus_rpc_server_open(r, &sv)) != INDEXBUS_OK)
            fail(st, "open server");
        payload(buf, 0, 0, 8);
        if ((st = indexbus_rpc_request(cl, buf, 8, &token)) != INDEXBUS_OK)
            fail(st, "request");
        if ((st = indexbus_rpc_serve(sv, &served, &req, &n, 1000000000ull)) != INDEXBUS_OK)
            fail(st, "serve");
        reply_rule(buf + 64, req, n);
        if ((st = indexbus_rpc_reply(sv, served, buf + 64, n + 4)) != INDEXBUS_OK)
            fail(st, "first reply");
        st = indexbus_rpc_reply(sv, served, buf + 64, n + 4);
    } else if (strcmp(c, "rpc_wait_timeout") == 0) {
        uint64_t token;
        const void *data;
        size_t n;
        r = open_region(name);
        if ((st = indexbus_rpc_client_open(r, &cl)) != INDEXBUS_OK)
            fail(st, "open client");
        payload(buf, 0, 0, 8);
        if ((st = indexbus_rpc_request(cl, buf, 8, &token)) != INDEXBUS_OK)
            fail(st, "request");
        st = indexbus_rpc_wait(cl, token, &data, &n, 50000000ull);
    } else if (strcmp(c, "rpc_no_server") == 0) {
        uint64_t token;
        r = open_region(name);
        if ((st = indexbus_rpc_server_open(r, &sv)) != INDEXBUS_OK)
            fail(st, "open server");
        if ((st = indexbus_rpc_server_close(sv)) != INDEXBUS_OK)
            fail(st, "close server");
        sv = NULL;
        if ((st = indexbus_rpc_client_open(r, &cl)) != INDEXBUS_OK)
            fail(st, "open client");
        payload(buf, 0, 0, 8);
        st = indexbus_rpc_request(cl, buf, 8, &token);
    } else if (strcmp(c, "rpc_wrong_kind") == 0) {
        r = open_region(name);
        st = indexbus_rpc_client_open(r, &cl);
    } else {
        usage("error: unknown case '%s'", c);
    }
    indexbus_rpc_client_close(cl);
    indexbus_rpc_server_close(sv);
    indexbus_stream_reader_close(sr);
    indexbus_stream_writer_close(sw);
    indexbus_consumer_close(rx);
    indexbus_producer_close(tx);
    indexbus_region_close(r);
    fputs("{\"ev\":\"error\",\"case\":", stdout);
    json_str(stdout, c);
    printf(",\"status\":\"%s\"}\n", indexbus_status_name(st));
    return 0;
}

/* ---- golden: run an op list ------------------------------------------------------ */

enum htype { H_PRODUCER, H_ROUTER, H_CONSUMER, H_WRITER, H_READER, H_CLIENT, H_SERVER };

/* A request a golden server holds: its token and the request, borrowed in place. */
typedef struct {
    uint64_t token;
    const uint8_t *req;
    size_t len;
} held_req;

typedef struct {
    const char *name;
    enum htype t;
    void *h;
    int open;
    /* clients: outstanding tokens, oldest first; servers: held requests, oldest first */
    uint64_t *tokens;
    held_req *held;
    size_t head, tail;
} handle;

#define MAX_HANDLES 64

static handle handles[MAX_HANDLES];
static size_t n_handles;

static handle *find_handle(const char *name, enum htype t)
{
    for (size_t i = n_handles; i-- > 0;)
        if (handles[i].open && strcmp(handles[i].name, name) == 0) {
            if (handles[i].t != t)
                fail(INDEXBUS_INVALID_ARGUMENT, "golden: handle '%s' has the wrong role", name);
            return &handles[i];
        }
    fail(INDEXBUS_INVALID_ARGUMENT, "golden: no open handle '%s'", name);
}

static void add_handle(const char *name, enum htype t, void *h)
{
    if (n_handles == MAX_HANDLES)
        fail(INDEXBUS_INVALID_ARGUMENT, "golden: too many handles");
    handles[n_handles].name = name;
    handles[n_handles].t = t;
    handles[n_handles].h = h;
    handles[n_handles].open = 1;
    handles[n_handles].tokens = NULL;
    handles[n_handles].held = NULL;
    handles[n_handles].head = handles[n_handles].tail = 0;
    if (t == H_CLIENT || t == H_SERVER) {
        handles[n_handles].tokens = calloc(INDEXBUS_RPC_MAX_CELLS, sizeof(uint64_t));
        handles[n_handles].held = calloc(INDEXBUS_RPC_MAX_CELLS, sizeof(held_req));
        if (handles[n_handles].tokens == NULL || handles[n_handles].held == NULL)
            fail(INDEXBUS_NO_MEMORY, "malloc");
    }
    n_handles++;
}

static void close_handle(handle *h)
{
    switch (h->t) {
    case H_PRODUCER: indexbus_producer_close(h->h); break;
    case H_ROUTER: indexbus_router_close(h->h); break;
    case H_CONSUMER: indexbus_consumer_close(h->h); break;
    case H_WRITER: indexbus_stream_writer_close(h->h); break;
    case H_READER: indexbus_stream_reader_close(h->h); break;
    case H_CLIENT: indexbus_rpc_client_close(h->h); break;
    case H_SERVER: indexbus_rpc_server_close(h->h); break;
    }
    h->open = 0;
}

/* The golden op list: argv[golden_i..] (main sets it), each op a word and its options. */
static char **golden_argv;
static int golden_argc, golden_i;

static int cmd_golden(const char *name)
{
    static const struct {
        const char *op;
        uint64_t allowed, required;
    } ops[] = {
        {"create", OPT(O_KIND) | OPT(O_SLOTS) | OPT(O_SLOT_SIZE) | OPT(O_QUEUE) | OPT(O_CONSUMERS) |
         OPT(O_BYTES) | OPT(O_MAX_RECORD) | OPT(O_CELLS) | OPT(O_MAX_REQUEST) | OPT(O_MAX_REPLY),
         OPT(O_KIND)},
        {"writer", OPT(O_NAME), OPT(O_NAME)},
        {"reader", OPT(O_NAME), OPT(O_NAME)},
        {"write", OPT(O_NAME) | OPT(O_WRITER) | OPT(O_FROM) | OPT(O_BYTES) | OPT(O_CHUNK) |
         OPT(O_MODE), OPT(O_NAME) | OPT(O_BYTES)},
        {"read", OPT(O_NAME) | OPT(O_BYTES) | OPT(O_READ_SIZE), OPT(O_NAME) | OPT(O_BYTES)},
        {"release", OPT(O_NAME), OPT(O_NAME)},
        {"client", OPT(O_NAME), OPT(O_NAME)},
        {"server", OPT(O_NAME), OPT(O_NAME)},
        {"request", OPT(O_NAME) | OPT(O_CLIENT) | OPT(O_FROM) | OPT(O_COUNT) | OPT(O_SIZES) |
         OPT(O_ZERO_COPY), OPT(O_NAME) | OPT(O_COUNT) | OPT(O_SIZES)},
        {"serve", OPT(O_NAME) | OPT(O_COUNT) | OPT(O_ZERO_COPY) | OPT(O_HOLD),
         OPT(O_NAME) | OPT(O_COUNT)},
        {"reply", OPT(O_NAME) | OPT(O_COUNT) | OPT(O_ZERO_COPY), OPT(O_NAME) | OPT(O_COUNT)},
        {"wait", OPT(O_NAME) | OPT(O_COUNT), OPT(O_NAME) | OPT(O_COUNT)},
        {"cancel", OPT(O_NAME) | OPT(O_COUNT), OPT(O_NAME) | OPT(O_COUNT)},
        {"producer", OPT(O_NAME) | OPT(O_TYPE), OPT(O_NAME) | OPT(O_TYPE)},
        {"router", OPT(O_NAME), OPT(O_NAME)},
        {"consumer", OPT(O_NAME) | OPT(O_INDEX), OPT(O_NAME) | OPT(O_INDEX)},
        {"publish", OPT(O_NAME) | OPT(O_PRODUCER) | OPT(O_FROM) | OPT(O_COUNT) | OPT(O_SIZES) |
         OPT(O_ZERO_COPY) | OPT(O_BATCH), OPT(O_NAME) | OPT(O_PRODUCER) | OPT(O_COUNT) | OPT(O_SIZES)},
        {"route", OPT(O_NAME) | OPT(O_COUNT) | OPT(O_MODE) | OPT(O_SOURCE),
         OPT(O_NAME) | OPT(O_COUNT)},
        {"recv", OPT(O_NAME) | OPT(O_COUNT) | OPT(O_BORROW), OPT(O_NAME) | OPT(O_COUNT)},
        {"close", OPT(O_NAME), OPT(O_NAME)},
    };
    static uint32_t sizes[MAX_SIZES];
    indexbus_region *r = NULL;
    uint8_t *buf = NULL;
    size_t bufcap = 0;
    int is_log = 0;
    for (int a = golden_i, i = 0; a < golden_argc; i++) {
        const char *what = golden_argv[a];
        size_t o = 0;
        while (o < sizeof ops / sizeof ops[0] && strcmp(ops[o].op, what) != 0)
            o++;
        if (o == sizeof ops / sizeof ops[0])
            usage("golden: unknown op '%s'", what);
        a = parse_opts(what, golden_argc, golden_argv, a + 1, ops[o].allowed, ops[o].required);
        const char *hn = opt_val[O_NAME];
        int st;
        if (strcmp(what, "create") == 0) {
            if (r != NULL)
                fail(INDEXBUS_INVALID_ARGUMENT, "golden: second create");
            create_region(name, &r);
            indexbus_info in = region_info(r);
            is_log = in.kind == INDEXBUS_KIND_LOG;
            bufcap = max_message(&in);
            if (in.kind == INDEXBUS_KIND_STREAM)
                bufcap = 1u << 16; /* write chunks and reads of up to 64 KiB */
            else if (in.kind == INDEXBUS_KIND_RPC)
                bufcap = (size_t)in.max_request + 4;
            if ((buf = malloc(bufcap ? bufcap : 1)) == NULL)
                fail(INDEXBUS_NO_MEMORY, "malloc");
            continue;
        }
        if (r == NULL)
            fail(INDEXBUS_INVALID_ARGUMENT, "golden: op %d before create", i);
        if (strcmp(what, "producer") == 0) {
            indexbus_producer *tx;
            st = indexbus_producer_open(r, type_of(opt_val[O_TYPE]), &tx);
            if (st != INDEXBUS_OK)
                fail(st, "golden op %d: open producer", i);
            add_handle(hn, H_PRODUCER, tx);
        } else if (strcmp(what, "router") == 0) {
            indexbus_router *rt;
            st = indexbus_router_open(r, &rt);
            if (st != INDEXBUS_OK)
                fail(st, "golden op %d: open router", i);
            add_handle(hn, H_ROUTER, rt);
        } else if (strcmp(what, "consumer") == 0) {
            indexbus_consumer *rx;
            st = indexbus_consumer_open(r, u32_opt(O_INDEX, 0), &rx);
            if (st != INDEXBUS_OK)
                fail(st, "golden op %d: open consumer", i);
            add_handle(hn, H_CONSUMER, rx);
        } else if (strcmp(what, "publish") == 0) {
            handle *h = find_handle(hn, H_PRODUCER);
            uint32_t p = u32_opt(O_PRODUCER, 0), from = u32_opt(O_FROM, 0);
            uint32_t count = u32_opt(O_COUNT, 0);
            size_t nsizes = parse_sizes(opt_val[O_SIZES], sizes);
            for (size_t j = 0; j < nsizes; j++)
                if (sizes[j] > bufcap)
                    usage("golden op %d: size %" PRIu32 " > the largest message", i, sizes[j]);
            uint32_t batch = u32_opt(O_BATCH, 0);
            if (opt_set[O_BATCH] && batch == 0)
                usage("golden op %d: --batch must be at least 1", i);
            if (batch && opt_set[O_ZERO_COPY] && !is_log)
                usage("golden op %d: --zero-copy with --batch is for byte logs only", i);
            if (batch)
                publish_batches(h->h, p, from, count, sizes, nsizes, batch, bufcap,
                                opt_set[O_ZERO_COPY], FULL_FAILS);
            else
                for (uint32_t k = from; k < from + count; k++)
                    publish_one(h->h, buf, p, k, sizes[k % nsizes], opt_set[O_ZERO_COPY], is_log,
                                FULL_FAILS);
        } else if (strcmp(what, "route") == 0) {
            handle *h = find_handle(hn, H_ROUTER);
            uint32_t count = u32_opt(O_COUNT, 0);
            uint32_t mode = mode_of(opt_set[O_MODE] ? opt_val[O_MODE] : "broadcast");
            uint32_t source = source_of(opt_set[O_SOURCE] ? opt_val[O_SOURCE] : "any");
            for (uint32_t k = 0; k < count; k++)
                if ((st = indexbus_route_once(h->h, source, mode)) != INDEXBUS_OK)
                    fail(st, "golden op %d: route step %" PRIu32, i, k);
        } else if (strcmp(what, "recv") == 0) {
            handle *h = find_handle(hn, H_CONSUMER);
            uint32_t count = u32_opt(O_COUNT, 0);
            for (uint32_t k = 0; k < count; k++) {
                size_t len;
                if (opt_set[O_BORROW]) {
                    const void *data;
                    if ((st = indexbus_recv_begin(h->h, &data, &len)) != INDEXBUS_OK)
                        fail(st, "golden op %d: recv_begin %" PRIu32, i, k);
                    if ((st = indexbus_recv_end(h->h)) != INDEXBUS_OK)
                        fail(st, "golden op %d: recv_end %" PRIu32, i, k);
                } else if ((st = indexbus_try_recv(h->h, buf, bufcap, &len)) != INDEXBUS_OK) {
                    fail(st, "golden op %d: recv %" PRIu32, i, k);
                }
            }
        } else if (strcmp(what, "writer") == 0) {
            indexbus_stream_writer *w;
            if ((st = indexbus_stream_writer_open(r, &w)) != INDEXBUS_OK)
                fail(st, "golden op %d: open writer", i);
            add_handle(hn, H_WRITER, w);
        } else if (strcmp(what, "reader") == 0) {
            indexbus_stream_reader *rd;
            if ((st = indexbus_stream_reader_open(r, &rd)) != INDEXBUS_OK)
                fail(st, "golden op %d: open reader", i);
            add_handle(hn, H_READER, rd);
        } else if (strcmp(what, "client") == 0) {
            indexbus_rpc_client *c;
            if ((st = indexbus_rpc_client_open(r, &c)) != INDEXBUS_OK)
                fail(st, "golden op %d: open client", i);
            add_handle(hn, H_CLIENT, c);
        } else if (strcmp(what, "server") == 0) {
            indexbus_rpc_server *sv;
            if ((st = indexbus_rpc_server_open(r, &sv)) != INDEXBUS_OK)
                fail(st, "golden op %d: open server", i);
            add_handle(hn, H_SERVER, sv);
        } else if (strcmp(what, "write") == 0) {
            /* bytes from..from+n-1 of writer W's stream, in calls of --chunk bytes
             * (default all at once), each a write_all that must not wait (timeout 0),
             * or with --mode some writes that each take something */
            handle *h = find_handle(hn, H_WRITER);
            uint32_t w = u32_opt(O_WRITER, 0);
            uint64_t at = num_opt(O_FROM, 0), n = num_opt(O_BYTES, 0);
            uint64_t chunk = num_opt(O_CHUNK, n ? n : 1), end = at + n;
            int some = some_mode("golden write");
            if (chunk == 0 || chunk > bufcap)
                usage("golden op %d: --chunk must be 1..%zu", i, bufcap);
            while (at < end) {
                size_t len = end - at < chunk ? (size_t)(end - at) : (size_t)chunk, done = 0;
                stream_bytes(buf, w, at, len);
                if (!some) {
                    if ((st = indexbus_stream_write_all(h->h, buf, len, 0, &done)) != INDEXBUS_OK)
                        fail(st, "golden op %d: write_all at byte %" PRIu64, i, at);
                } else {
                    while (done < len) {
                        size_t k;
                        st = indexbus_stream_write(h->h, buf + done, len - done, &k);
                        if (st != INDEXBUS_OK)
                            fail(st, "golden op %d: write at byte %" PRIu64, i, at + done);
                        done += k;
                    }
                }
                at += len;
            }
        } else if (strcmp(what, "read") == 0) {
            /* exactly n bytes in reads of at most --read-size, none waiting */
            handle *h = find_handle(hn, H_READER);
            uint64_t n = num_opt(O_BYTES, 0), rs = num_opt(O_READ_SIZE, bufcap);
            if (rs == 0 || rs > bufcap)
                usage("golden op %d: --read-size must be 1..%zu", i, bufcap);
            for (uint64_t got = 0; got < n;) {
                size_t cap = n - got < rs ? (size_t)(n - got) : (size_t)rs, k;
                if ((st = indexbus_stream_read(h->h, buf, cap, &k, 0)) != INDEXBUS_OK)
                    fail(st, "golden op %d: read after %" PRIu64 " bytes", i, got);
                got += k;
            }
        } else if (strcmp(what, "release") == 0) {
            handle *h = find_handle(hn, H_READER);
            if ((st = indexbus_stream_reader_release(h->h)) != INDEXBUS_OK)
                fail(st, "golden op %d: release", i);
            h->open = 0;
        } else if (strcmp(what, "request") == 0) {
            /* send requests k = from..from+count-1 of client id P, none waited for */
            handle *h = find_handle(hn, H_CLIENT);
            uint32_t p = u32_opt(O_CLIENT, 0), from = u32_opt(O_FROM, 0);
            uint32_t count = u32_opt(O_COUNT, 0);
            size_t nsizes = parse_sizes(opt_val[O_SIZES], sizes);
            for (size_t j = 0; j < nsizes; j++)
                if (sizes[j] + 4 > bufcap)
                    usage("golden op %d: size %" PRIu32 " > max_request", i, sizes[j]);
            for (uint32_t k = from; k < from + count; k++) {
                size_t n = sizes[k % nsizes];
                uint64_t token;
                if (h->tail - h->head == INDEXBUS_RPC_MAX_CELLS)
                    fail(INDEXBUS_FULL, "golden op %d: too many outstanding requests", i);
                if (opt_set[O_ZERO_COPY]) {
                    void *b;
                    if ((st = indexbus_rpc_claim(h->h, n, &b)) != INDEXBUS_OK)
                        fail(st, "golden op %d: claim request %" PRIu32, i, k);
                    payload(b, p, k, n);
                    st = indexbus_rpc_send(h->h, n, &token);
                } else {
                    payload(buf, p, k, n);
                    st = indexbus_rpc_request(h->h, buf, n, &token);
                }
                if (st != INDEXBUS_OK)
                    fail(st, "golden op %d: request %" PRIu32, i, k);
                h->tokens[h->tail++ % INDEXBUS_RPC_MAX_CELLS] = token;
            }
        } else if (strcmp(what, "serve") == 0) {
            /* take count requests without waiting; answer each by the reply rule at
             * once, or with --hold keep them for a later reply op */
            handle *h = find_handle(hn, H_SERVER);
            uint32_t count = u32_opt(O_COUNT, 0);
            for (uint32_t k = 0; k < count; k++) {
                uint64_t token;
                const void *req;
                size_t n;
                if ((st = indexbus_rpc_serve(h->h, &token, &req, &n, 0)) != INDEXBUS_OK)
                    fail(st, "golden op %d: serve %" PRIu32, i, k);
                if (opt_set[O_HOLD]) {
                    if (h->tail - h->head == INDEXBUS_RPC_MAX_CELLS)
                        fail(INDEXBUS_FULL, "golden op %d: too many held requests", i);
                    held_req *q = &h->held[h->tail++ % INDEXBUS_RPC_MAX_CELLS];
                    q->token = token;
                    q->req = req;
                    q->len = n;
                } else {
                    answer(h->h, token, req, n, opt_set[O_ZERO_COPY], buf);
                }
            }
        } else if (strcmp(what, "reply") == 0) {
            handle *h = find_handle(hn, H_SERVER);
            uint32_t count = u32_opt(O_COUNT, 0);
            for (uint32_t k = 0; k < count; k++) {
                if (h->head == h->tail)
                    fail(INDEXBUS_INVALID_ARGUMENT, "golden op %d: no held request", i);
                held_req *q = &h->held[h->head++ % INDEXBUS_RPC_MAX_CELLS];
                answer(h->h, q->token, q->req, q->len, opt_set[O_ZERO_COPY], buf);
            }
        } else if (strcmp(what, "wait") == 0 || strcmp(what, "cancel") == 0) {
            /* the oldest count outstanding requests: wait without waiting for the reply
             * (borrowed, then done), or cancel them */
            handle *h = find_handle(hn, H_CLIENT);
            uint32_t count = u32_opt(O_COUNT, 0);
            for (uint32_t k = 0; k < count; k++) {
                if (h->head == h->tail)
                    fail(INDEXBUS_INVALID_ARGUMENT, "golden op %d: no outstanding request", i);
                uint64_t token = h->tokens[h->head++ % INDEXBUS_RPC_MAX_CELLS];
                if (what[0] == 'c') {
                    if ((st = indexbus_rpc_cancel(h->h, token)) != INDEXBUS_OK)
                        fail(st, "golden op %d: cancel %" PRIu32, i, k);
                    continue;
                }
                const void *data;
                size_t n;
                if ((st = indexbus_rpc_wait(h->h, token, &data, &n, 0)) != INDEXBUS_OK)
                    fail(st, "golden op %d: wait %" PRIu32, i, k);
                if ((st = indexbus_rpc_reply_done(h->h, token)) != INDEXBUS_OK)
                    fail(st, "golden op %d: reply done %" PRIu32, i, k);
            }
        } else { /* close */
            handle *h = NULL;
            for (size_t j = n_handles; j-- > 0;)
                if (handles[j].open && strcmp(handles[j].name, hn) == 0) {
                    h = &handles[j];
                    break;
                }
            if (h == NULL)
                fail(INDEXBUS_INVALID_ARGUMENT, "golden op %d: no open handle '%s'", i, hn);
            close_handle(h);
        }
    }
    if (r == NULL)
        fail(INDEXBUS_INVALID_ARGUMENT, "golden: no create op");
    for (size_t j = n_handles; j-- > 0;)
        if (handles[j].open)
            close_handle(&handles[j]);
    indexbus_region_close(r);
    free(buf);
    puts("{\"ev\":\"done\"}");
    return 0;
}

/* ---- main -------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        uint64_t allowed, required;
        int (*run)(const char *);
    } cmds[] = {
        {"create", OPT(O_REGION) | OPT(O_KIND) | OPT(O_SLOTS) | OPT(O_SLOT_SIZE) | OPT(O_QUEUE) |
         OPT(O_CONSUMERS) | OPT(O_BYTES) | OPT(O_MAX_RECORD) | OPT(O_CELLS) | OPT(O_MAX_REQUEST) |
         OPT(O_MAX_REPLY) | OPT(O_RECYCLE) | OPT(O_MPSC_BATCH), OPT(O_REGION) | OPT(O_KIND),
         cmd_create},
        {"produce", OPT(O_REGION) | OPT(O_TYPE) | OPT(O_PRODUCER) | OPT(O_COUNT) | OPT(O_SIZES) |
         OPT(O_ZERO_COPY) | OPT(O_BATCH) | OPT(O_WAIT_CONSUMERS) | OPT(O_WAIT), OPT(O_REGION),
         cmd_produce},
        {"route", OPT(O_REGION) | OPT(O_MODE) | OPT(O_SOURCE), OPT(O_REGION), cmd_route},
        {"consume", OPT(O_REGION) | OPT(O_INDEX) | OPT(O_BORROW) | OPT(O_BATCH) |
         OPT(O_TIMEOUT_MS) | OPT(O_COUNT) | OPT(O_DELAY_MS), OPT(O_REGION), cmd_consume},
        {"stream-write", OPT(O_REGION) | OPT(O_WRITER) | OPT(O_BYTES) | OPT(O_CHUNK) |
         OPT(O_COUNT) | OPT(O_SIZES) | OPT(O_MODE) | OPT(O_WAIT_READER) | OPT(O_HOLD),
         OPT(O_REGION), cmd_stream_write},
        {"stream-read", OPT(O_REGION) | OPT(O_READ_SIZE) | OPT(O_TIMEOUT_MS) | OPT(O_MAX_BYTES) |
         OPT(O_RELEASE) | OPT(O_HOLD) | OPT(O_HEX), OPT(O_REGION), cmd_stream_read},
        {"serve", OPT(O_REGION) | OPT(O_COUNT) | OPT(O_ZERO_COPY) | OPT(O_TIMEOUT_MS) |
         OPT(O_HOLD), OPT(O_REGION) | OPT(O_COUNT), cmd_serve},
        {"request", OPT(O_REGION) | OPT(O_CLIENT) | OPT(O_COUNT) | OPT(O_SIZES) | OPT(O_MODE) |
         OPT(O_TIMEOUT_MS) | OPT(O_RETRY_DISCONNECTED), OPT(O_REGION) | OPT(O_COUNT) | OPT(O_SIZES),
         cmd_request},
        {"error", OPT(O_REGION) | OPT(O_CASE), OPT(O_REGION) | OPT(O_CASE), cmd_error},
        {"golden", OPT(O_REGION), OPT(O_REGION), cmd_golden},
        {"unlink", OPT(O_REGION), OPT(O_REGION), cmd_unlink},
    };
    if (argc < 2)
        usage("no command");
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        if (strcmp(argv[1], cmds[i].name) == 0) {
            int end = parse_opts(argv[1], argc, argv, 2, cmds[i].allowed, cmds[i].required);
            if (end < argc && cmds[i].run != cmd_golden)
                usage("%s: unexpected argument '%s'", argv[1], argv[end]);
            golden_argv = argv, golden_argc = argc, golden_i = end;
            const char *region = opt_val[O_REGION]; /* before golden re-parses */
            int rc = cmds[i].run(region);
            fflush(stdout);
            return rc;
        }
    }
    usage("unknown command '%s'", argv[1]);
}
