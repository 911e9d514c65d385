/* stream.c - byte-stream throughput between two processes, against a pipe
 * moving the same bytes the same way.
 *
 * A writer process writes STREAM_CHUNK (64 KiB) chunks, a reader process
 * reads into a 64 KiB buffer until end of stream:
 *  - IndexBus: a stream region (default geometry: 1 MiB ring, max_record
 *    64 KiB, prefaulted), indexbus_stream_write_all of each chunk and
 *    indexbus_stream_read; the writer closes, the reader gets
 *    DISCONNECTED (end of stream);
 *  - pipe: pipe(2) with its default size (64 KiB), write(2) of each chunk
 *    (repeated until all of it went in) and read(2); the writer closes,
 *    the reader gets 0. STREAM_PIPE_1M is the same pipe grown to the
 *    stream's 1 MiB ring with F_SETPIPE_SZ (a diagnostic row).
 * Both move warm + bytes bytes (a whole number of chunks) and the reader
 * times the bytes after the first `warm` (from the read that crossed
 * `warm` to the one that reached the total), so that the rate is a steady
 * state's. The writer cycles through STREAM_PAT bytes of fixed
 * pseudo-random contents (four distinct chunks, the same for both), so
 * byte o of the stream is pat[o % STREAM_PAT]. The reader checks the
 * count (exactly warm + bytes, then the end) and compares every 16th read
 * byte for byte with the pattern at its stream offset (a reordered, lost
 * or repeated chunk mismatches); any mismatch fails the run. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define STREAM_PAT (4u * STREAM_CHUNK)
#define STREAM_CHECK_EVERY 16u /* reads */
#define STREAM_TIMEOUT_NS 10000000000ull

typedef struct stream_args {
    int kind;          /* STREAM_IB, STREAM_PIPE, STREAM_PIPE_1M */
    char name[128];    /* the region (STREAM_IB) */
    int rfd, wfd;      /* the pipe's ends (pipe kinds) */
    uint64_t warm, bytes;
} stream_args;

typedef struct stream_area {
    uint64_t checked; /* bytes compared with the pattern */
    uint64_t reads;
} stream_area;

/* The pattern: a 64-bit LCG (Knuth's MMIX constants), fixed seed. */
static uint8_t *make_pattern(void)
{
    uint8_t *p = malloc(STREAM_PAT);
    if (p == NULL)
        die("out of memory");
    uint64_t s = 0x5eed;
    for (uint32_t i = 0; i < STREAM_PAT; i += 8) {
        s = s * 6364136223846793005ull + 1442695040888963407ull;
        memcpy(p + i, &s, 8);
    }
    return p;
}

/* Does buf[0..n) match the stream from offset `at`? */
static int matches(const uint8_t *pat, uint64_t at, const uint8_t *buf, size_t n)
{
    while (n > 0) {
        uint64_t off = at % STREAM_PAT;
        size_t k = STREAM_PAT - off < n ? STREAM_PAT - off : n;
        if (memcmp(buf, pat + off, k) != 0)
            return 0;
        buf += k;
        at += k;
        n -= k;
    }
    return 1;
}

static const char *kind_name(int kind)
{
    return kind == STREAM_IB ? "stream" : kind == STREAM_PIPE ? "pipe" : "pipe 1 MiB";
}

/* ---- the writer ------------------------------------------------------------------- */

static int role_writer(shared_ctl *ctl, int slot, void *arg)
{
    const stream_args *sa = arg;
    party_result *r = &ctl->party[slot];
    uint8_t *pat = make_pattern();
    uint64_t total = sa->warm + sa->bytes, chunks = total / STREAM_CHUNK;
    indexbus_region *reg = NULL;
    indexbus_stream_writer *w = NULL;
    if (sa->kind == STREAM_IB) {
        reg = open_region(sa->name);
        check_ib(indexbus_stream_writer_open(reg, &w), "stream_writer_open");
    } else {
        close(sa->rfd);
    }
    role_ready(ctl);
    int st = 0;
    uint64_t k;
    for (k = 0; k < chunks && st == 0; k++) {
        const uint8_t *src = pat + (k % (STREAM_PAT / STREAM_CHUNK)) * STREAM_CHUNK;
        if (sa->kind == STREAM_IB) {
            size_t done;
            st = indexbus_stream_write_all(w, src, STREAM_CHUNK, STREAM_TIMEOUT_NS, &done);
            if (st == INDEXBUS_OK && done != STREAM_CHUNK)
                st = INDEXBUS_CORRUPT;
        } else {
            for (size_t n = 0; n < STREAM_CHUNK && st == 0;) {
                ssize_t got = write(sa->wfd, src + n, STREAM_CHUNK - n);
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0)
                    st = -errno;
                else
                    n += (size_t)got;
            }
        }
    }
    r->total = k * STREAM_CHUNK;
    r->error = st;
    if (sa->kind == STREAM_IB) {
        if (st != 0)
            warnx_("stream writer: %s", indexbus_strerror(st));
        indexbus_stream_writer_close(w); /* the last writer out: end of stream */
        indexbus_region_close(reg);
    } else {
        if (st != 0)
            warnx_("pipe writer: %s", strerror(-st));
        close(sa->wfd); /* the reader reads end of file */
    }
    free(pat);
    return st == 0 ? 0 : 2;
}

/* ---- the reader ------------------------------------------------------------------- */

static int role_reader(shared_ctl *ctl, int slot, void *arg)
{
    const stream_args *sa = arg;
    party_result *r = &ctl->party[slot];
    stream_area *a = (stream_area *)ctl->area;
    uint8_t *pat = make_pattern();
    static uint8_t buf[STREAM_CHUNK];
    uint64_t total = sa->warm + sa->bytes;
    indexbus_region *reg = NULL;
    indexbus_stream_reader *rd = NULL;
    if (sa->kind == STREAM_IB) {
        reg = open_region(sa->name);
        check_ib(indexbus_stream_reader_open(reg, &rd), "stream_reader_open");
    } else {
        close(sa->wfd);
    }
    memset(buf, 0, sizeof(buf)); /* its pages in */
    role_ready(ctl);
    uint64_t got = 0, reads = 0, checked = 0;
    int st = 0, eof = 0;
    while (!eof) {
        size_t n = 0;
        if (sa->kind == STREAM_IB) {
            int s = indexbus_stream_read(rd, buf, sizeof(buf), &n, STREAM_TIMEOUT_NS);
            if (s == INDEXBUS_DISCONNECTED)
                eof = 1;
            else if (s != INDEXBUS_OK)
                st = s;
        } else {
            ssize_t k = read(sa->rfd, buf, sizeof(buf));
            if (k < 0 && errno == EINTR)
                continue;
            if (k == 0)
                eof = 1;
            else if (k < 0)
                st = -errno;
            else
                n = (size_t)k;
        }
        if (st != 0)
            break;
        if (n == 0)
            continue;
        if (got + n > total) { /* more than was written */
            st = sa->kind == STREAM_IB ? INDEXBUS_CORRUPT : -EPROTO;
            break;
        }
        if (reads++ % STREAM_CHECK_EVERY == 0) {
            if (!matches(pat, got, buf, n)) {
                warnx_("%s reader: bytes %llu..%llu differ from what was written",
                       kind_name(sa->kind), (unsigned long long)got,
                       (unsigned long long)(got + n));
                st = sa->kind == STREAM_IB ? INDEXBUS_CORRUPT : -EPROTO;
                break;
            }
            checked += n;
        }
        uint64_t before = got;
        got += n;
        if (before < sa->warm && got >= sa->warm) {
            r->t_start = now_ns();
            r->count_start = got;
        }
        if (got == total) {
            r->t_end = now_ns();
            r->count_end = got;
        }
    }
    if (st == 0 && got != total) {
        warnx_("%s reader: end after %llu bytes, %llu written", kind_name(sa->kind),
               (unsigned long long)got, (unsigned long long)total);
        st = sa->kind == STREAM_IB ? INDEXBUS_CORRUPT : -EPROTO;
    }
    if (st != 0 && sa->kind == STREAM_IB)
        warnx_("stream reader: %s", indexbus_strerror(st));
    else if (st != 0)
        warnx_("pipe reader: %s", strerror(-st));
    r->total = got;
    r->error = st;
    a->checked = checked;
    a->reads = reads;
    if (sa->kind == STREAM_IB) {
        indexbus_stream_reader_close(rd);
        indexbus_region_close(reg);
    } else {
        close(sa->rfd);
    }
    free(pat);
    return st == 0 ? 0 : 2;
}

/* ---- the run ------------------------------------------------------------------------ */

static void close_pipe(void *ctx)
{
    stream_args *sa = ctx;
    if (sa->kind != STREAM_IB) {
        close(sa->rfd);
        close(sa->wfd);
    }
}

int stream_tput(int kind, uint64_t warm, uint64_t bytes, double *gb_per_s)
{
    stream_args sa = {.kind = kind, .rfd = -1, .wfd = -1,
                      .warm = warm / STREAM_CHUNK * STREAM_CHUNK,
                      .bytes = bytes / STREAM_CHUNK * STREAM_CHUNK};
    indexbus_region *reg = NULL;
    *gb_per_s = NAN;
    if (kind == STREAM_IB) {
        region_name(sa.name, sizeof(sa.name), "stream");
        indexbus_region_config cfg;
        check_ib(indexbus_region_config_init(&cfg, INDEXBUS_KIND_STREAM), "region_config_init");
        cfg.flags = INDEXBUS_CREATE_PREFAULT; /* the default ring and max_record */
        check_ib(indexbus_region_create(sa.name, &cfg, &reg), sa.name);
    } else {
        int p[2];
        if (pipe(p) != 0)
            die("pipe: %s", strerror(errno));
        sa.rfd = p[0];
        sa.wfd = p[1];
        if (kind == STREAM_PIPE_1M && fcntl(sa.wfd, F_SETPIPE_SZ, 1 << 20) < 0)
            warnx_("F_SETPIPE_SZ 1 MiB: %s (left at its default)", strerror(errno));
    }
    shared_ctl *ctl = ctl_map(sizeof(stream_area));
    run_spec spec = {.parties = 2, .fn = {role_writer, role_reader}, .arg = {&sa, &sa},
                     .pin = 1, .after_fork = close_pipe, .ctx = &sa};
    /* no timed window: the roles move their bytes and end */
    int st = run_parties(ctl, &spec, 0, 0);
    const party_result *r = &ctl->party[1];
    const stream_area *a = (const stream_area *)ctl->area;
    if (st == 0 && r->t_end > r->t_start && r->count_end > r->count_start) {
        *gb_per_s = (double)(r->count_end - r->count_start) / (double)(r->t_end - r->t_start);
        if (g_opts.verbose)
            fprintf(stderr, "  %s: %llu bytes in %llu reads, %llu checked, %.3f GB/s\n",
                    kind_name(kind), (unsigned long long)r->total, (unsigned long long)a->reads,
                    (unsigned long long)a->checked, *gb_per_s);
    } else if (st == 0) {
        st = 1;
    }
    ctl_unmap(ctl);
    if (reg != NULL) {
        indexbus_region_close(reg);
        indexbus_region_unlink(sa.name);
    }
    return st;
}
