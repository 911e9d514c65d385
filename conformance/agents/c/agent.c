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
    fputs("\nusage: agent-c <create|produce|route|consume|error|golden|unlink> --region NAME "
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
    O_COUNT_OPTS
};
#define OPT(o) (1u << (o)) /* option sets are bit masks */

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
};

static const char *opt_val[O_COUNT_OPTS];
static int opt_set[O_COUNT_OPTS];

/* Parse the options of `cmd` from argv[i..] up to the first word that is not an
 * option, whose index is returned; `allowed` and `required` are OPT() masks. */
static int parse_opts(const char *cmd, int argc, char **argv, int i, uint32_t allowed,
                      uint32_t required)
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
 * --max-record for byte logs (0 or absent = library default). */
static void create_region(const char *name, indexbus_region **out)
{
    uint32_t kind = kind_of(opt_val[O_KIND]);
    indexbus_region_config cfg;
    int st = indexbus_region_config_init(&cfg, kind);
    if (st != INDEXBUS_OK)
        fail(st, "region config init");
    if (kind == INDEXBUS_KIND_LOG) {
        if (opt_set[O_SLOTS] || opt_set[O_SLOT_SIZE] || opt_set[O_QUEUE] || opt_set[O_CONSUMERS])
            usage("create: --slots, --slot-size, --queue and --consumers are not for byte logs");
        uint64_t bytes = num_opt(O_BYTES, 0);
        if (bytes)
            cfg.byte_capacity = bytes;
        uint32_t max_record = u32_opt(O_MAX_RECORD, 0);
        if (max_record)
            cfg.max_record = max_record;
    } else {
        if (opt_set[O_BYTES] || opt_set[O_MAX_RECORD])
            usage("create: --bytes and --max-record are for byte logs only");
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

/* One wrong call per case; the status it returns is what we report. */
static int cmd_error(const char *name)
{
    const char *c = opt_val[O_CASE];
    int st;
    indexbus_region *r = NULL;
    indexbus_producer *tx = NULL;
    indexbus_consumer *rx = NULL;
    uint8_t buf[80];
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
    } else {
        usage("error: unknown case '%s'", c);
    }
    indexbus_consumer_close(rx);
    indexbus_producer_close(tx);
    indexbus_region_close(r);
    fputs("{\"ev\":\"error\",\"case\":", stdout);
    json_str(stdout, c);
    printf(",\"status\":\"%s\"}\n", indexbus_status_name(st));
    return 0;
}

/* ---- golden: run an op list ------------------------------------------------------ */

enum htype { H_PRODUCER, H_ROUTER, H_CONSUMER };

typedef struct {
    const char *name;
    enum htype t;
    void *h;
    int open;
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
    n_handles++;
}

static void close_handle(handle *h)
{
    switch (h->t) {
    case H_PRODUCER: indexbus_producer_close(h->h); break;
    case H_ROUTER: indexbus_router_close(h->h); break;
    case H_CONSUMER: indexbus_consumer_close(h->h); break;
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
        uint32_t allowed, required;
    } ops[] = {
        {"create", OPT(O_KIND) | OPT(O_SLOTS) | OPT(O_SLOT_SIZE) | OPT(O_QUEUE) | OPT(O_CONSUMERS) |
         OPT(O_BYTES) | OPT(O_MAX_RECORD), OPT(O_KIND)},
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
        uint32_t allowed, required;
        int (*run)(const char *);
    } cmds[] = {
        {"create", OPT(O_REGION) | OPT(O_KIND) | OPT(O_SLOTS) | OPT(O_SLOT_SIZE) | OPT(O_QUEUE) |
         OPT(O_CONSUMERS) | OPT(O_BYTES) | OPT(O_MAX_RECORD), OPT(O_REGION) | OPT(O_KIND),
         cmd_create},
        {"produce", OPT(O_REGION) | OPT(O_TYPE) | OPT(O_PRODUCER) | OPT(O_COUNT) | OPT(O_SIZES) |
         OPT(O_ZERO_COPY) | OPT(O_BATCH) | OPT(O_WAIT_CONSUMERS) | OPT(O_WAIT), OPT(O_REGION),
         cmd_produce},
        {"route", OPT(O_REGION) | OPT(O_MODE) | OPT(O_SOURCE), OPT(O_REGION), cmd_route},
        {"consume", OPT(O_REGION) | OPT(O_INDEX) | OPT(O_BORROW) | OPT(O_BATCH) |
         OPT(O_TIMEOUT_MS) | OPT(O_COUNT) | OPT(O_DELAY_MS), OPT(O_REGION), cmd_consume},
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
