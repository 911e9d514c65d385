/* cmd_sub.c - `indexbus sub`: receive as one consumer, print messages,
 * optionally verify sequence numbers, and summarise. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

#define SUB_SLICE_NS 100000000ull /* while waiting, re-check for a stop signal this often */
#define SUB_MAX_TIMEOUT_MS 1000000000000ull /* ~31 years: keeps ms * 1e6 in range */
#define SUB_WRITE_FAILED (-2)     /* pseudo-status: stdout write failed */
#define SEQ_BYTES 8

#define SUB_FOLLOW_POLL_NS 10000000ull /* --follow: look for a new producer this often */

enum { S_CONSUMER, S_COUNT, S_TIMEOUT, S_QUIET, S_HEX, S_CHECK_SEQ, S_FOLLOW, S_NOPTS };

static const cli_opt sub_opts[] = {
    [S_CONSUMER] = {"--consumer", 1}, [S_COUNT] = {"--count", 1},
    [S_TIMEOUT] = {"--timeout-ms", 1}, [S_QUIET] = {"--quiet", 0},
    [S_HEX] = {"--hex", 0},           [S_CHECK_SEQ] = {"--check-seq", 0},
    [S_FOLLOW] = {"--follow", 0},     [S_NOPTS] = {NULL, 0},
};

typedef struct sub_args {
    const char *name;
    uint32_t consumer;
    uint64_t count; /* stop after this many, if have_count */
    int have_count;
    uint64_t timeout_ms; /* per message, if have_timeout */
    int have_timeout;
    int quiet, hex, check_seq;
    int follow; /* stay attached when every producer has gone */
} sub_args;

/* Sequence check: each message's 8-byte LE prefix must exceed the last;
 * numbers skipped relative to 0, 1, 2, ... count as gaps. */
typedef struct seq_check {
    uint64_t expect; /* next number if nothing was skipped */
    uint64_t gaps, missing, out_of_order, too_short;
} seq_check;

typedef struct sub_ctx {
    const sub_args *a;
    indexbus_consumer *c;
    uint8_t *buf;
    size_t cap;
    uint64_t msgs, bytes;
    uint64_t t_first, t_last; /* monotonic ns of the first and last message */
    int write_errno;
    seq_check seq;
} sub_ctx;

/* ---- arguments ---------------------------------------------------------- */

static int sub_arg(void *ctx, int opt, const char *v)
{
    sub_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("sub", &a->name, v);
    case S_CONSUMER:
        return cli_parse_u32("sub", "--consumer", v, 0, INDEXBUS_MAX_CONSUMERS - 1,
                             &a->consumer);
    case S_COUNT:
        a->have_count = 1;
        return cli_parse_u64("sub", "--count", v, 0, UINT64_MAX, &a->count);
    case S_TIMEOUT:
        a->have_timeout = 1;
        return cli_parse_u64("sub", "--timeout-ms", v, 0, SUB_MAX_TIMEOUT_MS, &a->timeout_ms);
    case S_QUIET: a->quiet = 1; return CLI_OK;
    case S_HEX: a->hex = 1; return CLI_OK;
    case S_CHECK_SEQ: a->check_seq = 1; return CLI_OK;
    case S_FOLLOW: a->follow = 1; return CLI_OK;
    default: return CLI_USAGE;
    }
}

/* ---- receiving ------------------------------------------------------------ */

/* Next message into s->buf. Waits in slices so a stop signal is noticed
 * (the library's wait resumes after EINTR). With --follow, "every producer
 * gone and drained" (DISCONNECTED) is waited out too: the consumer stays
 * attached, so the next producer finds it, and is polled until one comes
 * (the library's wait returns at once while no producer is attached).
 * Returns a library status (TIMEOUT once --timeout-ms passed) or
 * CLI_STOPPED. */
static int recv_next(sub_ctx *s, size_t *len)
{
    int st = indexbus_try_recv(s->c, s->buf, s->cap, len);
    if (st != INDEXBUS_EMPTY && !(st == INDEXBUS_DISCONNECTED && s->a->follow))
        return st;
    fflush(stdout); /* about to wait: let whoever reads our output see it now */
    uint64_t deadline =
        s->a->have_timeout ? cli_now_ns() + s->a->timeout_ms * 1000000u : UINT64_MAX;
    for (;;) {
        if (cli_stop_requested)
            return CLI_STOPPED;
        uint64_t now = cli_now_ns();
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        uint64_t left = deadline - now;
        st = indexbus_recv(s->c, s->buf, s->cap, len, left < SUB_SLICE_NS ? left : SUB_SLICE_NS);
        if (st == INDEXBUS_DISCONNECTED && s->a->follow) {
            struct timespec ts = {0, (long)(left < SUB_FOLLOW_POLL_NS ? left : SUB_FOLLOW_POLL_NS)};
            nanosleep(&ts, NULL); /* EINTR on a stop signal: fine */
            continue;
        }
        if (st != INDEXBUS_TIMEOUT)
            return st;
    }
}

static uint64_t get_le64(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = SEQ_BYTES - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

static void seq_observe(seq_check *q, const uint8_t *buf, size_t len)
{
    if (len < SEQ_BYTES) {
        q->too_short++;
        return;
    }
    uint64_t seq = get_le64(buf);
    if (seq < q->expect) { /* not above the highest seen so far */
        q->out_of_order++;
        return;
    }
    if (seq > q->expect) {
        q->gaps++;
        q->missing += seq - q->expect;
    }
    q->expect = seq + 1;
}

/* One message per line, raw or as lowercase hex. 0, or -1 if stdout failed. */
static int print_message(const sub_args *a, const uint8_t *buf, size_t len)
{
    static const char digits[] = "0123456789abcdef";
    if (a->hex) {
        for (size_t i = 0; i < len; i++) {
            putchar(digits[buf[i] >> 4]);
            putchar(digits[buf[i] & 15]);
        }
    } else {
        fwrite(buf, 1, len, stdout);
    }
    putchar('\n');
    return ferror(stdout) ? -1 : 0;
}

static int take_message(sub_ctx *s, size_t len)
{
    s->t_last = cli_now_ns();
    if (s->msgs++ == 0)
        s->t_first = s->t_last;
    s->bytes += len;
    if (s->a->check_seq)
        seq_observe(&s->seq, s->buf, len);
    if (!s->a->quiet && print_message(s->a, s->buf, len) != 0) {
        s->write_errno = errno;
        return SUB_WRITE_FAILED;
    }
    return INDEXBUS_OK;
}

/* Receive until --count, or the first non-OK status (returned). */
static int consume(sub_ctx *s)
{
    int st = INDEXBUS_OK;
    while (st == INDEXBUS_OK && (!s->a->have_count || s->msgs < s->a->count)) {
        size_t len;
        st = recv_next(s, &len);
        if (st == INDEXBUS_OK)
            st = take_message(s, len);
    }
    return st;
}

/* ---- results -------------------------------------------------------------- */

static int seq_failed(const seq_check *q) { return q->out_of_order != 0 || q->too_short != 0; }

static void print_summary(const sub_ctx *s)
{
    char prefix[64], suffix[160] = "";
    const seq_check *q = &s->seq;
    snprintf(prefix, sizeof prefix, "consumer %" PRIu32 ": ", s->a->consumer);
    if (s->a->check_seq) {
        int n = snprintf(suffix, sizeof suffix, "; seq ");
        if (q->out_of_order)
            n += snprintf(suffix + n, sizeof suffix - (size_t)n, "%" PRIu64 " out of order",
                          q->out_of_order);
        else
            n += snprintf(suffix + n, sizeof suffix - (size_t)n, "order ok");
        n += snprintf(suffix + n, sizeof suffix - (size_t)n, ", %" PRIu64 " gaps", q->gaps);
        if (q->gaps)
            n += snprintf(suffix + n, sizeof suffix - (size_t)n, " (%" PRIu64 " missing)",
                          q->missing);
        if (q->too_short)
            snprintf(suffix + n, sizeof suffix - (size_t)n,
                     ", %" PRIu64 " shorter than 8 bytes", q->too_short);
    }
    cli_report(prefix, s->msgs, s->bytes, s->t_last - s->t_first, suffix);
}

/* Why receiving ended early, as text for an error message. */
static const char *end_reason(int st, char *buf, size_t cap, const sub_args *a)
{
    if (st == CLI_STOPPED)
        return "interrupted";
    if (st == INDEXBUS_TIMEOUT) {
        snprintf(buf, cap, "no message for %" PRIu64 " ms", a->timeout_ms);
        return buf;
    }
    return indexbus_strerror(st); /* DISCONNECTED */
}

/* Exit status for how consume() ended, with a message when it is an error. */
static int sub_status(const sub_ctx *s, int st)
{
    const sub_args *a = s->a;
    char what[64], why[64];
    snprintf(what, sizeof what, "consumer %" PRIu32, a->consumer);
    if (st == SUB_WRITE_FAILED) {
        cli_error("stdout: %s", strerror(s->write_errno));
        return CLI_ERROR;
    }
    int normal_end = st == INDEXBUS_OK || st == INDEXBUS_DISCONNECTED ||
                     st == INDEXBUS_TIMEOUT || st == CLI_STOPPED;
    if (!normal_end)
        return cli_region_error(a->name, what, st);
    if (a->have_count && s->msgs < a->count) {
        cli_error("region %s: %s: got %" PRIu64 " of %" PRIu64 " messages: %s", a->name, what,
                  s->msgs, a->count, end_reason(st, why, sizeof why, a));
        return CLI_ERROR;
    }
    if (a->check_seq && seq_failed(&s->seq)) {
        cli_error("region %s: %s: sequence check failed", a->name, what);
        return CLI_ERROR;
    }
    return CLI_OK;
}

/* ---- command --------------------------------------------------------------- */

static int open_consumer(sub_ctx *s, indexbus_region *r)
{
    const sub_args *a = s->a;
    indexbus_info in;
    char what[64];
    int rc = cli_region_info(a->name, r, &in);
    if (rc != CLI_OK)
        return rc;
    s->cap = in.kind == INDEXBUS_KIND_LOG ? in.max_record : in.slot_data_size;
    if ((s->buf = malloc(s->cap)) == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    snprintf(what, sizeof what, "consumer %" PRIu32, a->consumer);
    int st = indexbus_consumer_open(r, a->consumer, &s->c);
    if (st == INDEXBUS_OUT_OF_RANGE)
        cli_error("region %s: %s: %s (the region has %" PRIu32 ")", a->name, what,
                  indexbus_strerror(st), in.consumer_count);
    else if (st == INDEXBUS_BUSY)
        cli_error("region %s: %s: %s (held by another sub, or by one that died without "
                  "closing)",
                  a->name, what, indexbus_strerror(st));
    else if (st != INDEXBUS_OK)
        cli_region_error(a->name, what, st);
    return st == INDEXBUS_OK ? CLI_OK : CLI_ERROR;
}

int cmd_sub(int argc, char **argv)
{
    sub_args a = {0};
    sub_ctx s = {.a = &a};
    indexbus_region *r;
    int rc = cli_parse_all("sub", argc, argv, sub_opts, sub_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("sub", a.name)) != CLI_OK)
        return rc;
    if ((rc = cli_open_region(a.name, &r)) != CLI_OK)
        return rc;
    if ((rc = open_consumer(&s, r)) == CLI_OK) {
        cli_catch_stop_signals(NULL);
        /* a closed pipe must end the loop, not kill us: the consumer index
         * is only released by indexbus_consumer_close */
        signal(SIGPIPE, SIG_IGN);
        int st = consume(&s);
        fflush(stdout);
        print_summary(&s);
        rc = sub_status(&s, st);
        indexbus_consumer_close(s.c);
    }
    free(s.buf);
    indexbus_region_close(r);
    return rc;
}
