/* baseline.c - what the kernel gives without shared memory, measured the
 * same way: a ping-pong (one-way = round trip / 2, blocking reads) and a
 * stream (one write per message; the reader reads whatever is there, up
 * to 64 KiB a call) over a pipe (one each way) and over a Unix stream
 * socketpair. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"

typedef struct base_fds {
    int a_read, a_write; /* the pinger's / writer's ends */
    int b_read, b_write; /* the ponger's / reader's ends */
    uint32_t size;
} base_fds;

typedef struct base_area {
    hist h;
} base_area;

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

/* The parent's copies, once the roles have theirs: EOF must reach readers. */
static void close_all(void *ctx)
{
    base_fds *f = ctx;
    int fds[4] = {f->a_read, f->a_write, f->b_read, f->b_write};
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < i; j++)
            if (fds[j] == fds[i])
                fds[i] = -1; /* a socketpair end used both ways: close once */
    for (int i = 0; i < 4; i++)
        close_fd(&fds[i]);
}

/* Keep only the ends of side a (0) or b (1). */
static void keep_side(base_fds *f, int side)
{
    int *mine[2], *theirs[2];
    mine[0] = side ? &f->b_read : &f->a_read;
    mine[1] = side ? &f->b_write : &f->a_write;
    theirs[0] = side ? &f->a_read : &f->b_read;
    theirs[1] = side ? &f->a_write : &f->b_write;
    for (int i = 0; i < 2; i++)
        if (*theirs[i] != *mine[0] && *theirs[i] != *mine[1])
            close_fd(theirs[i]);
}

static int write_full(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n > 0) {
        ssize_t k = write(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 0;
}

/* 1 read, 0 end of file, -1 error */
static int read_full(int fd, void *p, size_t n)
{
    uint8_t *b = p;
    while (n > 0) {
        ssize_t k = read(fd, b, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k == 0)
            return 0;
        if (k < 0)
            return -1;
        b += k;
        n -= (size_t)k;
    }
    return 1;
}

/* ---- ping-pong ------------------------------------------------------------------- */

static int base_pinger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    base_fds f = *(const base_fds *)arg;
    keep_side(&f, 0);
    base_area *a = (base_area *)ctl->area;
    uint8_t msg[4096], buf[4096];
    memset(msg, 0x11, sizeof(msg));
    hist_init(&a->h);
    role_ready(ctl);
    for (;;) {
        uint32_t ph = phase_of(ctl);
        if (ph >= PHASE_STOP)
            break;
        uint64_t t0 = now_ns();
        if (write_full(f.a_write, msg, f.size) != 0 || read_full(f.a_read, buf, f.size) != 1)
            return 2;
        uint64_t t1 = now_ns();
        if (ph == PHASE_MEASURE)
            hist_add(&a->h, t1 - t0);
    }
    close_fd(&f.a_write); /* the ponger reads end of file */
    return 0;
}

static int base_ponger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    base_fds f = *(const base_fds *)arg;
    keep_side(&f, 1);
    uint8_t buf[4096];
    role_ready(ctl);
    for (;;) {
        int r = read_full(f.b_read, buf, f.size);
        if (r == 0)
            return 0;
        if (r < 0 || write_full(f.b_write, buf, f.size) != 0)
            return 2;
    }
}

static const char *base_name(int kind) { return kind == BASE_PIPE ? "pipe" : "socketpair"; }

static int make_fds(int kind, base_fds *f, int both_ways)
{
    if (kind == BASE_PIPE) {
        int p1[2], p2[2] = {-1, -1};
        if (pipe(p1) != 0 || (both_ways && pipe(p2) != 0))
            return -1;
        f->a_write = p1[1];
        f->b_read = p1[0];
        f->b_write = p2[1];
        f->a_read = p2[0];
        return 0;
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0)
        return -1;
    f->a_read = f->a_write = sv[0];
    f->b_read = f->b_write = sv[1];
    return 0;
}

int base_pingpong(int kind, uint32_t size, lat_result *out, hist *h)
{
    base_fds f = {.size = size};
    if (size > 4096 || make_fds(kind, &f, 1) != 0)
        die("%s: %s", base_name(kind), strerror(errno));
    shared_ctl *ctl = ctl_map(sizeof(base_area));
    run_spec spec = {.parties = 2, .fn = {base_pinger, base_ponger}, .arg = {&f, &f},
                     .pin = 1, .after_fork = close_all, .ctx = &f};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    base_area *a = (base_area *)ctl->area;
    if (st == 0) {
        lat_from_hist(out, base_name(kind), size, &a->h, 1);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &a->h);
    }
    ctl_unmap(ctl);
    return st;
}

/* ---- stream ----------------------------------------------------------------------- */

static int stream_writer(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    base_fds f = *(const base_fds *)arg;
    keep_side(&f, 0);
    uint8_t msg[4096];
    memset(msg, 0x22, sizeof(msg));
    role_ready(ctl);
    while (phase_of(ctl) < PHASE_STOP)
        if (write_full(f.a_write, msg, f.size) != 0)
            return 2;
    close_fd(&f.a_write);
    return 0;
}

static int stream_reader(shared_ctl *ctl, int slot, void *arg)
{
    base_fds f = *(const base_fds *)arg;
    keep_side(&f, 1);
    party_result *r = &ctl->party[slot];
    static uint8_t buf[65536];
    role_ready(ctl);
    uint64_t bytes = 0;
    uint32_t seen = PHASE_SETUP;
    for (;;) {
        window_note(ctl, r, bytes / f.size, &seen);
        ssize_t k = read(f.b_read, buf, sizeof(buf));
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            return 2;
        if (k == 0)
            break;
        bytes += (uint64_t)k;
    }
    window_note(ctl, r, bytes / f.size, &seen);
    r->total = bytes / f.size;
    return 0;
}

int base_stream(int kind, uint32_t size, double *msgs_per_s)
{
    base_fds f = {.size = size};
    if (size > 4096 || make_fds(kind, &f, 0) != 0)
        die("%s: %s", base_name(kind), strerror(errno));
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = 2, .fn = {stream_writer, stream_reader}, .arg = {&f, &f},
                     .pin = 1, .after_fork = close_all, .ctx = &f};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[1]);
    ctl_unmap(ctl);
    return st;
}
