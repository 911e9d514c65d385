/* cmd_stream.c - `indexbus stream write|read`: a byte stream as a pipe for
 * the shell.
 *
 * `stream write NAME < file` copies stdin into the stream with large
 * indexbus_stream_write_all calls and leaves cleanly at the end of input;
 * `stream read NAME > file` copies the stream to stdout until its end.
 * Either one creates the stream when there is none, so the two may start
 * in either order. A stream is written once: the reader removes its name
 * when it closes the read end (unless --keep).
 *
 * A writer that stops before the end of its input (SIGINT or SIGTERM,
 * stdin fails, --timeout-ms) does not close: it leaves as a failed writer
 * (indexbus_stream_writer_abort), so the stream is marked ABORTED at once
 * and the reader sees it end ABORTED instead of a clean end after truncated
 * data. A writer killed by any other signal dies holding its seat, and
 * recovery (the reader's own, periodically) counts it the same way. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

#define STREAM_CHUNK (1u << 20)       /* bytes per read(2) of stdin / stream read */
#define STREAM_PIPE_BYTES (1 << 20)   /* pipe buffer asked for on stdin / stdout */
#define STREAM_SLICE_NS 100000000ull  /* a waiting reader or writer checks for a stop this often */
#define STREAM_SLICE_MS 100            /* the same, for a writer waiting for stdin */
#define STREAM_MAX_TIMEOUT_MS 1000000000000ull /* ~31 years: keeps ms * 1e6 in range */

enum { S_BYTES, S_MAX_RECORD, S_TIMEOUT, S_KEEP, S_STATS, S_NOPTS };

static const cli_opt stream_opts[] = {
    [S_BYTES] = {"--bytes", 1},        [S_MAX_RECORD] = {"--max-record", 1},
    [S_TIMEOUT] = {"--timeout-ms", 1}, [S_KEEP] = {"--keep", 0},
    [S_STATS] = {"--stats", 0},        [S_NOPTS] = {NULL, 0},
};

typedef struct stream_args {
    const char *verb; /* "write" or "read" */
    const char *name;
    cli_ring_args ring; /* if this command creates the stream */
    uint64_t timeout_ms;
    int have_timeout;
    int keep, stats;
} stream_args;

/* ---- arguments ------------------------------------------------------------ */

static int stream_arg(void *ctx, int opt, const char *v)
{
    stream_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL:
        if (a->verb != NULL)
            return cli_take_name("stream", &a->name, v);
        if (strcmp(v, "write") != 0 && strcmp(v, "read") != 0)
            return cli_usage_error("stream", "'%s' is not write or read", v);
        a->verb = v;
        return CLI_OK;
    case S_BYTES: return cli_ring_arg("stream", &a->ring, 0, v);
    case S_MAX_RECORD: return cli_ring_arg("stream", &a->ring, 1, v);
    case S_TIMEOUT:
        a->have_timeout = 1;
        return cli_parse_u64("stream", "--timeout-ms", v, 0, STREAM_MAX_TIMEOUT_MS,
                             &a->timeout_ms);
    case S_KEEP: a->keep = 1; return CLI_OK;
    case S_STATS: a->stats = 1; return CLI_OK;
    default: return CLI_USAGE;
    }
}

static int check_stream_args(const stream_args *a)
{
    if (a->verb == NULL)
        return cli_usage_error("stream", "missing write or read");
    int rc = cli_need_name("stream", a->name);
    if (rc == CLI_OK && a->keep && strcmp(a->verb, "read") != 0)
        rc = cli_usage_error("stream", "--keep applies to stream read only");
    return rc;
}

/* ---- shared ----------------------------------------------------------------- */

/* "written 12 bytes in 0.001 s (0.0 MB/s)" on stderr, with --stats. */
static void stream_stats(const stream_args *a, const char *what, uint64_t bytes, uint64_t ns)
{
    if (!a->stats)
        return;
    double secs = (double)ns / 1e9;
    fprintf(stderr, "stream %s: %s %" PRIu64 " bytes in %.3f s (%.1f MB/s)\n", a->name, what,
            bytes, secs, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
}

/* The stream's latched state, for messages. */
static uint32_t stream_flags(const indexbus_region *r, uint32_t *aborted)
{
    uint32_t flags = 0;
    *aborted = 0;
    indexbus_stream_state(r, &flags, aborted);
    return flags;
}

/* A larger pipe buffer on fd: fewer wake-ups per byte. Not a pipe, or not
 * allowed: no matter. */
static void grow_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
    (void)fcntl(fd, F_SETPIPE_SZ, STREAM_PIPE_BYTES);
#else
    (void)fd;
#endif
}

static int open_stream(const stream_args *a, indexbus_region **r)
{
    indexbus_region_config cfg;
    int created;
    cli_config_init(&cfg, INDEXBUS_KIND_STREAM, &a->ring, NULL);
    int rc = cli_open_or_create(a->name, &cfg, r, &created);
    if (rc == CLI_OK && (rc = cli_want_kind(a->name, *r, INDEXBUS_KIND_STREAM)) != CLI_OK)
        indexbus_region_close(*r);
    return rc;
}

/* ---- write ------------------------------------------------------------------ */

/* Write all n bytes, waiting while the stream is full (in slices, to see a
 * stop signal); with --timeout-ms, give up once no byte went in for that
 * long. *total counts what went in. Returns a library status, or
 * CLI_STOPPED. */
static int write_chunk(const stream_args *a, indexbus_stream_writer *w, const uint8_t *p,
                       size_t n, uint64_t *total)
{
    uint64_t limit = a->timeout_ms * 1000000u, last = cli_now_ns();
    while (n > 0) {
        if (cli_stop_requested)
            return CLI_STOPPED;
        uint64_t wait = STREAM_SLICE_NS;
        if (a->have_timeout) {
            uint64_t spent = cli_now_ns() - last, left = spent < limit ? limit - spent : 0;
            if (left < wait)
                wait = left;
        }
        size_t done = 0;
        int st = indexbus_stream_write_all(w, p, n, wait, &done);
        p += done;
        n -= done;
        *total += done;
        if (st != INDEXBUS_TIMEOUT)
            return st; /* OK: all of it */
        if (done > 0)
            last = cli_now_ns(); /* progress: the timeout counts from here */
        else if (a->have_timeout && cli_now_ns() - last >= limit)
            return INDEXBUS_TIMEOUT;
    }
    return INDEXBUS_OK;
}

/* Read up to STREAM_CHUNK bytes of stdin into buf: *n bytes, 0 at the end
 * of input. Waits in slices, so that a stop signal that comes just before
 * a read would block is seen. 0, CLI_STOPPED, or CLI_ERROR with errno. */
static int read_in(uint8_t *buf, ssize_t *n)
{
    for (;;) {
        if (cli_stop_requested)
            return CLI_STOPPED;
        struct pollfd pfd = {.fd = STDIN_FILENO, .events = POLLIN};
        int k = poll(&pfd, 1, STREAM_SLICE_MS);
        if (k == 0 || (k < 0 && errno == EINTR))
            continue;
        /* ready, at its end, failed, or not pollable: read says which */
        *n = read(STDIN_FILENO, buf, STREAM_CHUNK);
        if (*n >= 0)
            return 0;
        if (errno != EINTR && errno != EAGAIN)
            return CLI_ERROR;
    }
}

static int writer_refused(const stream_args *a, const indexbus_region *r, int st)
{
    uint32_t aborted, flags = stream_flags(r, &aborted);
    if (st == INDEXBUS_DISCONNECTED && (flags & INDEXBUS_STREAM_READER_GONE)) {
        cli_error("stream %s: its reader is gone (the read end was closed); 'indexbus unlink "
                  "%s' removes it",
                  a->name, a->name);
        return CLI_BROKEN_PIPE;
    }
    if (st == INDEXBUS_DISCONNECTED)
        cli_error("stream %s: has ended (its writers have left; a stream is written once); "
                  "'indexbus unlink %s' removes it",
                  a->name, a->name);
    else if (st == INDEXBUS_BUSY)
        cli_error("stream %s: writer: %s (every writer seat is taken)", a->name,
                  indexbus_strerror(st));
    else
        cli_region_error(a->name, "writer", st);
    return CLI_ERROR;
}

static int stream_write(const stream_args *a, indexbus_region *r)
{
    indexbus_stream_writer *w;
    int st = indexbus_stream_writer_open(r, &w);
    if (st != INDEXBUS_OK)
        return writer_refused(a, r, st);
    uint8_t *buf = malloc(STREAM_CHUNK);
    if (buf == NULL) {
        cli_error("out of memory; stream %s ends ABORTED", a->name);
        indexbus_stream_writer_abort(w);
        return CLI_ERROR;
    }
    /* a stop signal ends the copy, not the process: the writer aborts */
    cli_catch_stop_signals(NULL);
    grow_pipe(STDIN_FILENO);
    uint64_t t0 = cli_now_ns(), total = 0;
    int read_errno = 0;
    for (;;) {
        ssize_t n = 0;
        int rc = read_in(buf, &n);
        if (rc == CLI_STOPPED) {
            st = CLI_STOPPED;
            break;
        }
        if (rc == CLI_ERROR) {
            read_errno = errno;
            break;
        }
        if (n == 0)
            break; /* end of input */
        st = write_chunk(a, w, buf, (size_t)n, &total);
        if (st != INDEXBUS_OK)
            break;
    }
    free(buf);
    if (read_errno == 0 && st == INDEXBUS_OK) {
        indexbus_stream_writer_close(w); /* the last writer out ends the stream cleanly */
        stream_stats(a, "wrote", total, cli_now_ns() - t0);
        return CLI_OK;
    }
    if (st == INDEXBUS_DISCONNECTED) { /* only the reader going makes writes fail */
        cli_error("stream %s: the reader is gone (it closed the read end or died) after %" PRIu64
                  " bytes",
                  a->name, total);
        indexbus_stream_writer_close(w);
        return CLI_BROKEN_PIPE;
    }
    /* stopped short of the end of input: leave as a failed writer (see the top) */
    indexbus_stream_writer_abort(w);
    if (read_errno != 0)
        cli_error("stdin: %s; stream %s ends ABORTED after %" PRIu64 " bytes",
                  strerror(read_errno), a->name, total);
    else if (st == CLI_STOPPED)
        cli_error("stream %s: interrupted after %" PRIu64 " bytes; the stream ends ABORTED",
                  a->name, total);
    else if (st == INDEXBUS_TIMEOUT)
        cli_error("stream %s: full for %" PRIu64 " ms; giving up after %" PRIu64
                  " bytes (the stream ends ABORTED)",
                  a->name, a->timeout_ms, total);
    else
        cli_region_error(a->name, "write", st);
    return CLI_ERROR;
}

/* ---- read ------------------------------------------------------------------- */

/* Write all n bytes to stdout (short writes, EINTR). 0, or the errno;
 * EINTR when a stop signal interrupted it. */
static int put_out(const uint8_t *p, size_t n)
{
    while (n > 0) {
        ssize_t k = write(STDOUT_FILENO, p, n);
        if (k < 0 && errno == EINTR && !cli_stop_requested)
            continue;
        if (k < 0)
            return errno;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

typedef struct read_end {
    int st;          /* library status, or CLI_STOPPED */
    int out_errno;   /* stdout failed */
    uint64_t total;  /* bytes written to stdout */
} read_end;

/* Copy the stream to stdout until it ends, a signal, --timeout-ms without
 * a byte, or stdout fails. */
static void copy_out(const stream_args *a, indexbus_stream_reader *rd, uint8_t *buf,
                     read_end *e)
{
    uint64_t limit = a->timeout_ms * 1000000u, last = cli_now_ns();
    for (;;) {
        if (cli_stop_requested) {
            e->st = CLI_STOPPED;
            return;
        }
        uint64_t wait = STREAM_SLICE_NS;
        if (a->have_timeout) {
            uint64_t spent = cli_now_ns() - last, left = spent < limit ? limit - spent : 0;
            if (left < wait)
                wait = left;
        }
        size_t len = 0;
        int st = indexbus_stream_read(rd, buf, STREAM_CHUNK, &len, wait);
        if (st == INDEXBUS_OK) {
            if ((e->out_errno = put_out(buf, len)) != 0) {
                e->st = e->out_errno == EINTR ? CLI_STOPPED : INDEXBUS_OK;
                return;
            }
            e->total += len;
            last = cli_now_ns();
            continue;
        }
        if (st == INDEXBUS_TIMEOUT || st == INDEXBUS_EMPTY) {
            if (a->have_timeout && cli_now_ns() - last >= limit) {
                e->st = INDEXBUS_TIMEOUT;
                return;
            }
            continue;
        }
        e->st = st; /* DISCONNECTED: the end of the stream */
        return;
    }
}

/* Exit status for how copy_out ended, with a message when it is not a
 * clean end of stream. */
static int read_status(const stream_args *a, const indexbus_region *r, const read_end *e)
{
    if (e->st == CLI_STOPPED) {
        cli_error("stream %s: interrupted after %" PRIu64 " bytes; the read end is closed",
                  a->name, e->total);
        return CLI_ERROR;
    }
    if (e->out_errno != 0) {
        cli_error("stdout: %s; stream %s: the read end is closed after %" PRIu64 " bytes",
                  strerror(e->out_errno), a->name, e->total);
        return e->out_errno == EPIPE ? CLI_BROKEN_PIPE : CLI_ERROR;
    }
    if (e->st == INDEXBUS_TIMEOUT) {
        cli_error("stream %s: no data for %" PRIu64 " ms; giving up after %" PRIu64 " bytes",
                  a->name, a->timeout_ms, e->total);
        return CLI_ERROR;
    }
    if (e->st != INDEXBUS_DISCONNECTED)
        return cli_region_error(a->name, "read", e->st);
    uint32_t aborted, flags = stream_flags(r, &aborted);
    if (flags & INDEXBUS_STREAM_ABORTED) {
        cli_error("stream %s: ended ABORTED: %" PRIu32 " writer%s stopped short (gave up or "
                  "died); the %" PRIu64 " bytes read may be incomplete",
                  a->name, aborted, aborted == 1 ? "" : "s", e->total);
        return CLI_ERROR;
    }
    return CLI_OK;
}

static int reader_refused(const stream_args *a, int st)
{
    if (st == INDEXBUS_BUSY)
        cli_error("stream %s: reader: %s (another reader holds the read end)", a->name,
                  indexbus_strerror(st));
    else if (st == INDEXBUS_DISCONNECTED)
        cli_error("stream %s: its read end was closed (the stream is finished); 'indexbus "
                  "unlink %s' removes it",
                  a->name, a->name);
    else
        cli_region_error(a->name, "reader", st);
    return CLI_ERROR;
}

static int stream_read(const stream_args *a, indexbus_region *r)
{
    indexbus_stream_reader *rd;
    int st = indexbus_stream_reader_open(r, &rd);
    if (st != INDEXBUS_OK)
        return reader_refused(a, st);
    read_end e = {0};
    uint8_t *buf = malloc(STREAM_CHUNK);
    if (buf == NULL) {
        cli_error("out of memory");
        e.st = INDEXBUS_NO_MEMORY;
    } else {
        /* a closed stdout must end the copy, not kill us: the read end is
         * closed (writers told) only by indexbus_stream_reader_close */
        signal(SIGPIPE, SIG_IGN);
        cli_catch_stop_signals(NULL);
        grow_pipe(STDOUT_FILENO);
        uint64_t t0 = cli_now_ns();
        copy_out(a, rd, buf, &e);
        stream_stats(a, "read", e.total, cli_now_ns() - t0);
        free(buf);
    }
    int rc = buf == NULL ? CLI_ERROR : read_status(a, r, &e);
    indexbus_stream_reader_close(rd);
    /* nobody can read or write it any more: its name goes */
    if (!a->keep) {
        st = indexbus_region_unlink(a->name);
        if (st != INDEXBUS_OK && st != INDEXBUS_NOT_FOUND)
            cli_region_error(a->name, "unlink", st);
    }
    return rc;
}

/* ---- command ------------------------------------------------------------------ */

int cmd_stream(int argc, char **argv)
{
    stream_args a = {0};
    indexbus_region *r;
    int rc = cli_parse_all("stream", argc, argv, stream_opts, stream_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = check_stream_args(&a)) != CLI_OK)
        return rc;
    if ((rc = open_stream(&a, &r)) != CLI_OK)
        return rc;
    rc = strcmp(a.verb, "write") == 0 ? stream_write(&a, r) : stream_read(&a, r);
    indexbus_region_close(r);
    return rc;
}
