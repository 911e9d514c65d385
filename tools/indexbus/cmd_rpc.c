/* cmd_rpc.c - `indexbus serve` and `indexbus request`: request/response
 * from the shell. serve --echo runs N worker threads, each its own server
 * handle on the region (a work queue), replying to every request with its
 * bytes; request sends one request and prints the reply, or times
 * --count round trips and prints their percentiles. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define RPC_SLICE_NS 100000000ull   /* waits re-check for a stop signal this often */
#define RPC_FULL_NAP_NS 1000000l    /* every cell taken: try again after 1 ms */
#define RPC_MAX_TIMEOUT_MS 1000000000000ull /* ~31 years: keeps ms * 1e6 in range */
#define RPC_MAX_WORKERS 64u
#define RPC_MAX_COUNT 100000000ull  /* --count: round-trip times are kept (8 bytes each) */
#define RPC_SEQ_BYTES 8

/* ---- serve ---------------------------------------------------------------- */

enum { V_ECHO, V_WORKERS, V_COUNT, V_CELLS, V_MAX_REQUEST, V_MAX_REPLY, V_NOPTS };

static const cli_opt serve_opts[] = {
    [V_ECHO] = {"--echo", 0},          [V_WORKERS] = {"--workers", 1},
    [V_COUNT] = {"--count", 1},        [V_CELLS] = {"--cells", 1},
    [V_MAX_REQUEST] = {"--max-request", 1}, [V_MAX_REPLY] = {"--max-reply", 1},
    [V_NOPTS] = {NULL, 0},
};

typedef struct serve_args {
    const char *name;
    int echo;
    uint32_t workers;
    uint64_t count; /* stop after this many requests, if have_count */
    int have_count;
    cli_rpc_args rpc; /* if serve creates the region */
} serve_args;

/* What the workers share. */
typedef struct serve_ctx {
    const serve_args *a;
    indexbus_region *r;
    uint32_t max_reply;
    atomic_int stop;          /* a signal, --count reached, or a worker failed */
    atomic_uint_fast64_t tickets; /* --count: requests still to take */
    atomic_uint_fast64_t served, bytes, truncated;
    atomic_uint finished;     /* workers that returned */
    pthread_mutex_t err_lock; /* the first error wins */
    int err_status;           /* a library status, INDEXBUS_OK if none */
    const char *err_what;
} serve_ctx;

typedef struct worker {
    serve_ctx *c;
    pthread_t tid;
    int started;
} worker;

static int serve_arg(void *ctx, int opt, const char *v)
{
    serve_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("serve", &a->name, v);
    case V_ECHO: a->echo = 1; return CLI_OK;
    case V_WORKERS:
        return cli_parse_u32("serve", "--workers", v, 1, RPC_MAX_WORKERS, &a->workers);
    case V_COUNT:
        a->have_count = 1;
        return cli_parse_u64("serve", "--count", v, 1, UINT64_MAX, &a->count);
    case V_CELLS:
    case V_MAX_REQUEST:
    case V_MAX_REPLY: return cli_rpc_arg("serve", &a->rpc, serve_opts[opt].name, v);
    default: return CLI_USAGE;
    }
}

static void serve_fail(serve_ctx *c, const char *what, int st)
{
    pthread_mutex_lock(&c->err_lock);
    if (c->err_status == INDEXBUS_OK) {
        c->err_status = st;
        c->err_what = what;
    }
    pthread_mutex_unlock(&c->err_lock);
    atomic_store(&c->stop, 1);
}

/* --count: take one request's ticket; 0 once every ticket is taken. */
static int take_ticket(serve_ctx *c)
{
    uint_fast64_t t = atomic_load(&c->tickets);
    while (t > 0)
        if (atomic_compare_exchange_weak(&c->tickets, &t, t - 1))
            return 1;
    return 0;
}

/* Serve until stopped: each request is echoed (cut to max_reply). A worker
 * holds at most one --count ticket, so exactly --count requests are
 * served in all. */
static void serve_loop(serve_ctx *c, indexbus_rpc_server *s)
{
    int ticket = 0;
    while (!atomic_load(&c->stop)) {
        if (c->a->have_count && !ticket && !(ticket = take_ticket(c)))
            return; /* the others serve the last ones */
        uint64_t token;
        const void *req;
        size_t len;
        int st = indexbus_rpc_serve(s, &token, &req, &len, RPC_SLICE_NS);
        if (st == INDEXBUS_TIMEOUT || st == INDEXBUS_EMPTY)
            continue;
        if (st != INDEXBUS_OK) {
            serve_fail(c, "serve", st);
            return;
        }
        size_t n = len <= c->max_reply ? len : c->max_reply;
        if ((st = indexbus_rpc_reply(s, token, req, n)) != INDEXBUS_OK) {
            serve_fail(c, "reply", st);
            return;
        }
        ticket = 0;
        atomic_fetch_add(&c->bytes, len);
        atomic_fetch_add(&c->truncated, n < len);
        if (atomic_fetch_add(&c->served, 1) + 1 == c->a->count && c->a->have_count)
            atomic_store(&c->stop, 1); /* the last ticket's request */
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    serve_ctx *c = w->c;
    indexbus_rpc_server *s;
    int st = indexbus_rpc_server_open(c->r, &s);
    if (st != INDEXBUS_OK) {
        serve_fail(c, "server", st);
    } else {
        serve_loop(c, s);
        indexbus_rpc_server_close(s); /* fails nothing: every request got its reply */
    }
    atomic_fetch_add(&c->finished, 1);
    return NULL;
}

/* Wait for the workers to finish, or for SIGINT / SIGTERM (blocked in
 * every thread and taken here) to stop them. Returns 1 if a signal did. */
static int supervise(serve_ctx *c, const sigset_t *stops, uint32_t n)
{
    int signalled = 0;
    while (atomic_load(&c->finished) < n) {
        struct timespec slice = {0, (long)RPC_SLICE_NS};
        if (sigtimedwait(stops, NULL, &slice) > 0) {
            signalled = 1;
            atomic_store(&c->stop, 1);
        }
    }
    return signalled;
}

static void serve_summary(const serve_ctx *c, uint64_t ns, int signalled)
{
    char rate[32], cut[64] = "";
    uint64_t served = atomic_load(&c->served), truncated = atomic_load(&c->truncated);
    double secs = (double)ns / 1e9;
    cli_format_rate(rate, sizeof rate, served, secs);
    if (truncated)
        snprintf(cut, sizeof cut, ", %" PRIu64 " repl%s cut to %" PRIu32 " bytes", truncated,
                 truncated == 1 ? "y" : "ies", c->max_reply);
    fprintf(stderr, "serve %s: %" PRIu64 " request%s, %" PRIu64 " bytes in %.3f s (%s req/s)%s%s\n",
            c->a->name, served, served == 1 ? "" : "s", (uint64_t)atomic_load(&c->bytes), secs,
            rate, cut,
            signalled ? "; stopped by signal" : c->err_status == INDEXBUS_OK ? "; --count reached" : "");
}

static int open_rpc_region(const char *name, const cli_rpc_args *rpc, indexbus_region **r,
                           indexbus_info *in)
{
    indexbus_region_config cfg;
    int created, rc;
    cli_config_init(&cfg, INDEXBUS_KIND_RPC, NULL, rpc);
    if ((rc = cli_open_or_create(name, &cfg, r, &created)) != CLI_OK)
        return rc;
    if ((rc = cli_want_kind(name, *r, INDEXBUS_KIND_RPC)) == CLI_OK)
        rc = cli_region_info(name, *r, in);
    if (rc != CLI_OK)
        indexbus_region_close(*r);
    return rc;
}

static int run_workers(serve_ctx *c, uint32_t n)
{
    worker *ws = calloc(n, sizeof *ws);
    sigset_t stops, old;
    if (ws == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    /* the signals go to supervise(), never to a worker */
    sigemptyset(&stops);
    sigaddset(&stops, SIGINT);
    sigaddset(&stops, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stops, &old);
    uint64_t t0 = cli_now_ns();
    uint32_t started = 0;
    for (uint32_t i = 0; i < n; i++) {
        ws[i].c = c;
        if (pthread_create(&ws[i].tid, NULL, worker_main, &ws[i]) != 0) {
            cli_error("serve %s: cannot start worker %" PRIu32, c->a->name, i);
            atomic_store(&c->stop, 1);
            break;
        }
        started++;
    }
    int signalled = supervise(c, &stops, started);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(ws[i].tid, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    free(ws);
    serve_summary(c, cli_now_ns() - t0, signalled);
    if (c->err_status != INDEXBUS_OK)
        return cli_region_error(c->a->name, c->err_what, c->err_status);
    return started == n ? CLI_OK : CLI_ERROR;
}

int cmd_serve(int argc, char **argv)
{
    serve_args a = {.workers = 1};
    indexbus_region *r;
    indexbus_info in;
    int rc = cli_parse_all("serve", argc, argv, serve_opts, serve_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("serve", a.name)) != CLI_OK)
        return rc;
    if (!a.echo)
        return cli_usage_error("serve", "missing --echo (the only way to serve so far)");
    if ((rc = open_rpc_region(a.name, &a.rpc, &r, &in)) != CLI_OK)
        return rc;
    serve_ctx c = {.a = &a, .r = r, .max_reply = in.max_reply, .err_status = INDEXBUS_OK};
    pthread_mutex_init(&c.err_lock, NULL);
    atomic_init(&c.stop, 0);
    atomic_init(&c.tickets, a.have_count ? a.count : 0);
    atomic_init(&c.served, 0);
    atomic_init(&c.bytes, 0);
    atomic_init(&c.truncated, 0);
    atomic_init(&c.finished, 0);
    rc = run_workers(&c, a.workers);
    pthread_mutex_destroy(&c.err_lock);
    indexbus_region_close(r);
    return rc;
}

/* ---- request ---------------------------------------------------------------- */

enum { Q_DATA, Q_SIZE, Q_COUNT, Q_TIMEOUT, Q_HEX, Q_NOPTS };

static const cli_opt request_opts[] = {
    [Q_DATA] = {"--data", 1},  [Q_SIZE] = {"--size", 1}, [Q_COUNT] = {"--count", 1},
    [Q_TIMEOUT] = {"--timeout-ms", 1}, [Q_HEX] = {"--hex", 0}, [Q_NOPTS] = {NULL, 0},
};

typedef struct request_args {
    const char *name;
    const char *data; /* --data */
    uint32_t size;    /* --size */
    int have_size;
    uint64_t count; /* round trips, if have_count */
    int have_count;
    uint64_t timeout_ms; /* per request, if have_timeout */
    int have_timeout;
    int hex;
} request_args;

typedef struct request_ctx {
    const request_args *a;
    indexbus_rpc_client *cl;
    uint32_t max_request;
} request_ctx;

static int request_arg(void *ctx, int opt, const char *v)
{
    request_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("request", &a->name, v);
    case Q_DATA: a->data = v; return CLI_OK;
    case Q_SIZE:
        a->have_size = 1;
        return cli_parse_u32("request", "--size", v, 0, UINT32_MAX, &a->size);
    case Q_COUNT:
        a->have_count = 1;
        return cli_parse_u64("request", "--count", v, 1, RPC_MAX_COUNT, &a->count);
    case Q_TIMEOUT:
        a->have_timeout = 1;
        return cli_parse_u64("request", "--timeout-ms", v, 0, RPC_MAX_TIMEOUT_MS, &a->timeout_ms);
    case Q_HEX: a->hex = 1; return CLI_OK;
    default: return CLI_USAGE;
    }
}

static int check_request_args(const request_args *a)
{
    int rc = cli_need_name("request", a->name);
    if (rc == CLI_OK && a->data != NULL && a->have_size)
        rc = cli_usage_error("request", "--data and --size exclude each other");
    if (rc == CLI_OK && a->hex && a->have_count)
        rc = cli_usage_error("request", "--hex prints a reply; --count prints none");
    return rc;
}

/* Send one request, waiting while every cell is taken. Returns a library
 * status or CLI_STOPPED; TIMEOUT once the deadline passed. */
static int send_one(request_ctx *q, const void *data, size_t len, uint64_t deadline,
                    uint64_t *token)
{
    for (;;) {
        int st = indexbus_rpc_request(q->cl, data, len, token);
        if (st != INDEXBUS_FULL)
            return st;
        if (cli_stop_requested)
            return CLI_STOPPED;
        if (cli_now_ns() >= deadline)
            return INDEXBUS_TIMEOUT;
        struct timespec nap = {0, RPC_FULL_NAP_NS};
        nanosleep(&nap, NULL);
    }
}

/* Wait for the reply to `token` and borrow it; on TIMEOUT or a stop
 * signal the request is cancelled. */
static int wait_reply(request_ctx *q, uint64_t token, uint64_t deadline, const void **reply,
                      size_t *len)
{
    for (;;) {
        uint64_t now = cli_now_ns(), left = deadline > now ? deadline - now : 0;
        int st = indexbus_rpc_wait(q->cl, token, reply, len,
                                   left < RPC_SLICE_NS ? left : RPC_SLICE_NS);
        if (st != INDEXBUS_TIMEOUT)
            return st;
        if (cli_stop_requested || cli_now_ns() >= deadline) {
            indexbus_rpc_cancel(q->cl, token);
            return cli_stop_requested ? CLI_STOPPED : INDEXBUS_TIMEOUT;
        }
    }
}

static uint64_t deadline_of(const request_args *a)
{
    return a->have_timeout ? cli_now_ns() + a->timeout_ms * 1000000u : UINT64_MAX;
}

static int request_error(const request_ctx *q, uint64_t done, size_t len, int st)
{
    const request_args *a = q->a;
    char which[48] = "";
    if (a->have_count)
        snprintf(which, sizeof which, "request %" PRIu64 ": ", done + 1);
    if (st == CLI_STOPPED)
        cli_error("region %s: %sinterrupted", a->name, which);
    else if (st == INDEXBUS_DISCONNECTED)
        cli_error("region %s: %sno server (none attached, or it left or died before replying)",
                  a->name, which);
    else if (st == INDEXBUS_TIMEOUT)
        cli_error("region %s: %sno reply within %" PRIu64 " ms", a->name, which, a->timeout_ms);
    else if (st == INDEXBUS_TOO_LARGE)
        cli_error("region %s: a request of %zu bytes is larger than the max request (%" PRIu32
                  " bytes)",
                  a->name, len, q->max_request);
    else
        cli_region_error(a->name, "request", st);
    return CLI_ERROR;
}

/* One round trip: send, wait, hand the reply to print (if any), done. */
static int round_trip(request_ctx *q, const void *data, size_t len, int print)
{
    uint64_t deadline = deadline_of(q->a), token;
    const void *reply;
    size_t rlen;
    int st = send_one(q, data, len, deadline, &token);
    if (st == INDEXBUS_OK && (st = wait_reply(q, token, deadline, &reply, &rlen)) == INDEXBUS_OK) {
        if (print) {
            static const char digits[] = "0123456789abcdef";
            const uint8_t *b = reply;
            for (size_t i = 0; q->a->hex && i < rlen; i++) {
                putchar(digits[b[i] >> 4]);
                putchar(digits[b[i] & 15]);
            }
            if (!q->a->hex)
                fwrite(reply, 1, rlen, stdout);
            putchar('\n');
        }
        indexbus_rpc_reply_done(q->cl, token);
    }
    return st;
}

static int cmp_u64(const void *x, const void *y)
{
    uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
    return a < b ? -1 : a > b;
}

/* The nearest-rank percentile p of n sorted values. */
static uint64_t percentile(const uint64_t *v, uint64_t n, unsigned p)
{
    uint64_t rank = (n * p + 99) / 100;
    return v[rank > 0 ? rank - 1 : 0];
}

/* --count round trips, timed one by one; the summary on stdout. */
static int timed_round_trips(request_ctx *q, uint8_t *data, size_t len)
{
    const request_args *a = q->a;
    uint64_t *rtt = malloc(a->count * sizeof *rtt), done = 0;
    int st = INDEXBUS_OK;
    if (rtt == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    for (; done < a->count; done++) {
        if (len >= RPC_SEQ_BYTES && a->have_size)
            for (int i = 0; i < RPC_SEQ_BYTES; i++)
                data[i] = (uint8_t)(done >> (8 * i));
        uint64_t t0 = cli_now_ns();
        if ((st = round_trip(q, data, len, 0)) != INDEXBUS_OK)
            break;
        rtt[done] = cli_now_ns() - t0;
    }
    if (done > 0) {
        qsort(rtt, done, sizeof *rtt, cmp_u64);
        printf("%" PRIu64 " round trip%s of %zu bytes: rtt p50 %.1f us, p99 %.1f us, max %.1f us\n",
               done, done == 1 ? "" : "s", len, (double)percentile(rtt, done, 50) / 1e3,
               (double)percentile(rtt, done, 99) / 1e3, (double)rtt[done - 1] / 1e3);
    }
    free(rtt);
    return st == INDEXBUS_OK ? CLI_OK : request_error(q, done, len, st);
}

int cmd_request(int argc, char **argv)
{
    request_args a = {0};
    request_ctx q = {.a = &a};
    indexbus_region *r;
    indexbus_info in;
    int rc = cli_parse_all("request", argc, argv, request_opts, request_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = check_request_args(&a)) != CLI_OK)
        return rc;
    if ((rc = cli_open_region(a.name, &r)) != CLI_OK)
        return rc;
    if ((rc = cli_want_kind(a.name, r, INDEXBUS_KIND_RPC)) != CLI_OK ||
        (rc = cli_region_info(a.name, r, &in)) != CLI_OK) {
        indexbus_region_close(r);
        return rc;
    }
    q.max_request = in.max_request;
    size_t len = a.data != NULL ? strlen(a.data) : a.size;
    uint8_t *data = calloc(len + 1, 1);
    int st = data == NULL ? INDEXBUS_NO_MEMORY : indexbus_rpc_client_open(r, &q.cl);
    if (st != INDEXBUS_OK) {
        rc = cli_region_error(a.name, "client", st);
    } else {
        if (a.data != NULL)
            memcpy(data, a.data, len);
        cli_catch_stop_signals(NULL);
        if (a.have_count)
            rc = timed_round_trips(&q, data, len);
        else if ((st = round_trip(&q, data, len, 1)) != INDEXBUS_OK)
            rc = request_error(&q, 0, len, st);
        indexbus_rpc_client_close(q.cl);
    }
    free(data);
    indexbus_region_close(r);
    return rc;
}
