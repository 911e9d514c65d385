/* cmd_pub.c - `indexbus pub`: publish stdin lines, whole files, or
 * synthetic sequence-numbered messages, waiting (parked in
 * indexbus_publish_wait) while the bus is full. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define PUB_BATCH 32                /* synthetic messages per publish_batch call, at most */
#define PUB_BATCH_BYTES (1u << 20)  /* ... and at most this many bytes of them */
#define PUB_SEQ_BYTES 8             /* little-endian sequence number prefix */
#define FULL_HINT_NS 2000000000u    /* say why we wait after 2 s of FULL */
#define PUB_SLICE_NS 100000000u     /* while waiting, re-check for a stop signal this often */
#define PUB_MAX_TIMEOUT_MS 1000000000000ull /* ~31 years: keeps ms * 1e6 in range */

enum { P_MPSC, P_FILE, P_COUNT, P_SIZE, P_TIMEOUT, P_NOPTS };

static const cli_opt pub_opts[] = {
    [P_MPSC] = {"--mpsc", 0},
    [P_FILE] = {"--file", 1},
    [P_COUNT] = {"--count", 1},
    [P_SIZE] = {"--size", 1},
    [P_TIMEOUT] = {"--timeout-ms", 1},
    [P_NOPTS] = {NULL, 0},
};

typedef struct pub_args {
    const char *name;
    uint32_t type;       /* INDEXBUS_PRODUCER_* */
    const char **files;  /* --file mode when nfiles > 0 */
    int nfiles;
    uint64_t count;      /* synthetic mode when have_count */
    int have_count;
    uint32_t size;       /* synthetic message size */
    int have_size;
    uint64_t timeout_ms; /* give up after this long full, if have_timeout */
    int have_timeout;
} pub_args;

typedef struct pub_ctx {
    const char *name;
    const pub_args *a;
    indexbus_producer *p;
    uint32_t max_len;     /* slot data size, or a byte log's max record */
    const char *limit;    /* what max_len is called */
    uint64_t msgs, bytes;
    int hinted;           /* FULL hint already printed */
} pub_ctx;

/* ---- arguments ---------------------------------------------------------- */

static int pub_arg(void *ctx, int opt, const char *v)
{
    pub_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL:
        if (a->name != NULL && a->nfiles > 0) { /* "--file a b c" */
            a->files[a->nfiles++] = v;
            return CLI_OK;
        }
        return cli_take_name("pub", &a->name, v);
    case P_MPSC: a->type = INDEXBUS_PRODUCER_MPSC; return CLI_OK;
    case P_FILE: a->files[a->nfiles++] = v; return CLI_OK;
    case P_COUNT:
        a->have_count = 1;
        return cli_parse_u64("pub", "--count", v, 0, UINT64_MAX, &a->count);
    case P_SIZE:
        a->have_size = 1;
        return cli_parse_u32("pub", "--size", v, PUB_SEQ_BYTES, UINT32_MAX, &a->size);
    case P_TIMEOUT:
        a->have_timeout = 1;
        return cli_parse_u64("pub", "--timeout-ms", v, 0, PUB_MAX_TIMEOUT_MS, &a->timeout_ms);
    default: return CLI_USAGE;
    }
}

static int check_pub_args(const pub_args *a)
{
    int rc = cli_need_name("pub", a->name);
    if (rc != CLI_OK)
        return rc;
    if (a->nfiles > 0 && a->have_count)
        return cli_usage_error("pub", "--file and --count exclude each other");
    if (a->have_size && !a->have_count)
        return cli_usage_error("pub", "--size needs --count");
    return CLI_OK;
}

/* ---- publishing, waiting while full ---------------------------------------- */

/* After FULL: publish with indexbus_publish_wait, which parks until the
 * consumer (or router) frees space, in slices so a stop signal is
 * noticed; after a while say what we wait for. Returns a library status
 * (TIMEOUT once --timeout-ms passed) or CLI_STOPPED. */
static int wait_publish(pub_ctx *c, const void *data, size_t len)
{
    uint64_t start = cli_now_ns();
    uint64_t deadline = c->a->have_timeout ? start + c->a->timeout_ms * 1000000u : UINT64_MAX;
    for (;;) {
        if (cli_stop_requested)
            return CLI_STOPPED;
        uint64_t now = cli_now_ns();
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        if (!c->hinted && now - start > FULL_HINT_NS) {
            cli_error("region %s: bus full for 2 s, still waiting (is a consumer or router "
                      "running?)",
                      c->name);
            c->hinted = 1;
        }
        uint64_t left = deadline - now;
        int st = indexbus_publish_wait(c->p, data, len, left < PUB_SLICE_NS ? left : PUB_SLICE_NS);
        if (st != INDEXBUS_TIMEOUT)
            return st;
    }
}

static int report_publish_error(const pub_ctx *c, int st)
{
    if (st == CLI_STOPPED)
        return CLI_ERROR;
    if (st == INDEXBUS_DISCONNECTED)
        cli_error("region %s: publish: %s (no consumer left); stopping", c->name,
                  indexbus_strerror(st));
    else if (st == INDEXBUS_TOO_LARGE)
        cli_error("region %s: message %" PRIu64 ": message larger than the %s (%u bytes)",
                  c->name, c->msgs + 1, c->limit, c->max_len);
    else if (st == INDEXBUS_TIMEOUT)
        cli_error("region %s: message %" PRIu64 ": bus full for %" PRIu64 " ms; giving up",
                  c->name, c->msgs + 1, c->a->timeout_ms);
    else
        cli_region_error(c->name, "publish", st);
    return CLI_ERROR;
}

/* Publish one message, waiting while FULL. Returns a library status or
 * CLI_STOPPED. */
static int publish_one(pub_ctx *c, const void *data, size_t len)
{
    int st = indexbus_publish(c->p, data, len);
    if (st == INDEXBUS_FULL)
        st = wait_publish(c, data, len);
    if (st == INDEXBUS_OK) {
        c->msgs++;
        c->bytes += len;
    }
    return st;
}

/* Publish n packed messages of `size` bytes; when the bus is full, wait to
 * publish the next one alone, then batch the rest again. */
static int publish_batch(pub_ctx *c, const uint8_t *data, const uint32_t *lens, size_t n,
                         uint32_t size)
{
    size_t done = 0;
    while (done < n) {
        size_t sent = 0;
        int st = indexbus_publish_batch(c->p, data + done * size, lens + done, n - done, &sent);
        done += sent;
        c->msgs += sent;
        c->bytes += (uint64_t)sent * size;
        if (st == INDEXBUS_OK)
            break;
        if (st != INDEXBUS_FULL || (st = publish_one(c, data + done * size, size)) != INDEXBUS_OK)
            return st;
        done++;
    }
    return INDEXBUS_OK;
}

/* ---- sources -------------------------------------------------------------- */

static int pub_lines(pub_ctx *c, FILE *in)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int st = INDEXBUS_OK;
    while (st == INDEXBUS_OK && !cli_stop_requested && (n = getline(&line, &cap, in)) >= 0) {
        if (n > 0 && line[n - 1] == '\n')
            n--;
        st = publish_one(c, line, (size_t)n);
    }
    /* a stop signal interrupts a blocked read: that is not a read error */
    int read_failed = st == INDEXBUS_OK && ferror(in) && !cli_stop_requested;
    int err = errno;
    free(line);
    if (read_failed) {
        cli_error("stdin: %s", strerror(err));
        return CLI_ERROR;
    }
    return st == INDEXBUS_OK ? CLI_OK : report_publish_error(c, st);
}

/* Read all of `path` into buf (cap bytes); *len gets its size. Returns
 * CLI_OK, or CLI_ERROR after saying why (unreadable, larger than cap). */
static int read_file(const pub_ctx *c, const char *path, uint8_t *buf, size_t cap, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        cli_error("%s: %s", path, strerror(errno));
        return CLI_ERROR;
    }
    /* read one byte more than fits to notice a file that is too large */
    size_t n = fread(buf, 1, cap + 1, f);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        cli_error("%s: read failed", path);
        return CLI_ERROR;
    }
    if (n > cap) {
        cli_error("region %s: %s is larger than the %s (%zu bytes)", c->name, path, c->limit,
                  cap);
        return CLI_ERROR;
    }
    *len = n;
    return CLI_OK;
}

static int pub_files(pub_ctx *c, const char **files, int nfiles)
{
    uint8_t *buf = malloc((size_t)c->max_len + 1);
    int rc = CLI_OK;
    if (buf == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    for (int i = 0; i < nfiles && rc == CLI_OK; i++) {
        size_t len;
        rc = read_file(c, files[i], buf, c->max_len, &len);
        if (rc == CLI_OK) {
            int st = publish_one(c, buf, len);
            if (st != INDEXBUS_OK)
                rc = report_publish_error(c, st);
        }
    }
    free(buf);
    return rc;
}

static void put_le64(uint8_t *dst, uint64_t v)
{
    for (int i = 0; i < PUB_SEQ_BYTES; i++)
        dst[i] = (uint8_t)(v >> (8 * i));
}

static int pub_synthetic(pub_ctx *c, uint64_t count, uint32_t size)
{
    if (size > c->max_len) {
        cli_error("region %s: --size %u is larger than the %s (%u bytes)", c->name, size,
                  c->limit, c->max_len);
        return CLI_ERROR;
    }
    size_t batch = PUB_BATCH_BYTES / size; /* large records (a byte log's) go fewer at a time */
    batch = batch < 1 ? 1 : batch > PUB_BATCH ? PUB_BATCH : batch;
    uint8_t *buf = calloc(batch, size);
    uint32_t lens[PUB_BATCH];
    if (buf == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    for (int i = 0; i < PUB_BATCH; i++)
        lens[i] = size;
    int st = INDEXBUS_OK;
    for (uint64_t seq = 0; seq < count && st == INDEXBUS_OK && !cli_stop_requested;) {
        size_t n = count - seq < batch ? (size_t)(count - seq) : batch;
        for (size_t i = 0; i < n; i++)
            put_le64(buf + i * size, seq + i);
        st = publish_batch(c, buf, lens, n, size);
        seq += n;
    }
    free(buf);
    return st == INDEXBUS_OK ? CLI_OK : report_publish_error(c, st);
}

/* ---- command --------------------------------------------------------------- */

static int open_producer(pub_ctx *c, indexbus_region *r, uint32_t type)
{
    indexbus_info in;
    int rc = cli_region_info(c->name, r, &in);
    if (rc != CLI_OK)
        return rc;
    int log = in.kind == INDEXBUS_KIND_LOG;
    c->max_len = log ? in.max_record : in.slot_data_size;
    c->limit = log ? "max record" : "slot data size";
    int st = indexbus_producer_open(r, type, &c->p);
    if (st == INDEXBUS_BUSY && log) {
        cli_error("region %s: %s producer: %s (a log takes one SPSC producer or MPSC "
                  "producers, not both at once)",
                  c->name, type == INDEXBUS_PRODUCER_SPSC ? "SPSC" : "MPSC",
                  indexbus_strerror(st));
        return CLI_ERROR;
    }
    if (st == INDEXBUS_BUSY && type == INDEXBUS_PRODUCER_SPSC) {
        cli_error("region %s: SPSC producer: %s (another pub is running; try --mpsc)", c->name,
                  indexbus_strerror(st));
        return CLI_ERROR;
    }
    if (st != INDEXBUS_OK)
        return cli_region_error(c->name, "producer", st);
    return CLI_OK;
}

static int run_pub(const pub_args *a, pub_ctx *c)
{
    if (a->have_count)
        return pub_synthetic(c, a->count, a->size);
    if (a->nfiles > 0)
        return pub_files(c, a->files, a->nfiles);
    return pub_lines(c, stdin);
}

int cmd_pub(int argc, char **argv)
{
    const char **files = calloc((size_t)argc + 1, sizeof *files); /* at most argc */
    pub_args a = {.type = INDEXBUS_PRODUCER_SPSC, .files = files, .size = 64};
    pub_ctx c = {0};
    indexbus_region *r;
    if (files == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    int rc = cli_parse_all("pub", argc, argv, pub_opts, pub_arg, &a);
    if (rc == CLI_OK)
        rc = check_pub_args(&a);
    if (rc == CLI_OK && (rc = cli_open_region(a.name, &r)) == CLI_OK) {
        c.name = a.name;
        c.a = &a;
        if ((rc = open_producer(&c, r, a.type)) == CLI_OK) {
            cli_catch_stop_signals(NULL);
            uint64_t t0 = cli_now_ns();
            rc = run_pub(&a, &c);
            if (rc == CLI_OK && cli_stop_requested)
                rc = CLI_ERROR; /* interrupted before the input ended */
            cli_report("published ", c.msgs, c.bytes, cli_now_ns() - t0,
                       cli_stop_requested ? " (interrupted)" : "");
            indexbus_producer_close(c.p);
        }
        indexbus_region_close(r);
    }
    free(files);
    return rc == CLI_ARG_HELP ? CLI_OK : rc;
}
