/* util.c - error reporting, region opening (with a diagnosis of regions
 * the library refuses), timing, rate reports and stop signals. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

volatile sig_atomic_t cli_stop_requested;

void cli_error(const char *fmt, ...)
{
    va_list ap;
    fputs("indexbus: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

int cli_region_error(const char *name, const char *what, int status)
{
    if (what != NULL)
        cli_error("region %s: %s: %s", name, what, indexbus_strerror(status));
    else
        cli_error("region %s: %s", name, indexbus_strerror(status));
    return CLI_ERROR;
}

/* ---- raw header diagnosis ------------------------------------------------ */

/* Where the bytes of `name` live, by the same rule the library uses: no '/'
 * after the first character means POSIX shm (Linux mounts it on /dev/shm). */
void cli_raw_path(const char *name, char *buf, size_t cap)
{
    const char *rest = name[0] == '/' ? name + 1 : name;
    if (strchr(rest, '/') == NULL)
        snprintf(buf, cap, "/dev/shm/%s", rest);
    else
        snprintf(buf, cap, "%s", name);
}

/* The layout is little-endian whatever the host is. */
static uint64_t le_bytes(const uint8_t *b, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | b[i];
    return v;
}

/* Read the first bytes of the region file; returns how many (-1: no file). */
static ssize_t read_raw_header(const char *name, uint8_t *buf, size_t cap)
{
    char path[4096];
    cli_raw_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = pread(fd, buf, cap, 0);
    close(fd);
    return n;
}

/* Explain why the library refused `name` (INCOMPATIBLE or CORRUPT), when
 * the raw header says more than the status code. Returns 1 if it did. */
static int explain_refusal(const char *name, int status)
{
    uint8_t h[24];
    ssize_t n = read_raw_header(name, h, sizeof h);
    if (n < 0)
        return 0;
    if (n < 8 || le_bytes(h, 4) != INDEXBUS_MAGIC) {
        cli_error("region %s: not an IndexBus region (no \"IBUS\" magic at offset 0)", name);
        return 1;
    }
    unsigned major = (unsigned)le_bytes(h + 4, 2), minor = (unsigned)le_bytes(h + 6, 2);
    unsigned ours = indexbus_layout_version() >> 16;
    if (major != ours) {
        cli_error("region %s: layout version %u.%u is %s this library (%u.x)", name, major,
                  minor, major > ours ? "newer than" : "older than supported by", ours);
        return 1;
    }
    if (status != INDEXBUS_INCOMPATIBLE || n < (ssize_t)sizeof h)
        return 0;
    uint32_t kind = (uint32_t)le_bytes(h + 12, 4);
    uint64_t caps = le_bytes(h + 16, 8);
    uint64_t unknown = caps & INDEXBUS_CAP_INCOMPAT_MASK & ~INDEXBUS_CAP_KNOWN_INCOMPAT;
    if (unknown != 0) {
        cli_error("region %s: uses incompatible features this library does not know "
                  "(capability bits 0x%016" PRIx64 ")",
                  name, unknown);
        return 1;
    }
    if (kind < INDEXBUS_KIND_EVENTS || kind > INDEXBUS_KIND_RPC) {
        cli_error("region %s: unknown region kind %" PRIu32, name, kind);
        return 1;
    }
    return 0;
}

/* PERMISSION: name the file the library could not open, and why. */
static void explain_permission(const char *name, int status)
{
    char path[4096];
    struct stat sb;
    cli_raw_path(name, path, sizeof path);
    if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
        cli_error("region %s: %s (%s is a symbolic link; regions are opened without "
                  "following links)",
                  name, indexbus_strerror(status), path);
    else if (faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0 &&
             faccessat(AT_FDCWD, path, W_OK, AT_EACCESS) != 0)
        cli_error("region %s: %s (%s is readable but not writable by this user: this "
                  "command writes to the region; info, list, top and stat need read "
                  "access only)",
                  name, indexbus_strerror(status), path);
    else
        cli_error("region %s: %s (%s needs read and write access)", name,
                  indexbus_strerror(status), path);
}

int cli_open_error(const char *name, int status)
{
    if ((status == INDEXBUS_INCOMPATIBLE || status == INDEXBUS_CORRUPT) &&
        explain_refusal(name, status))
        return CLI_ERROR;
    if (status == INDEXBUS_PERMISSION) {
        explain_permission(name, status);
        return CLI_ERROR;
    }
    if (status == INDEXBUS_NOT_READY) {
        cli_error("region %s: %s (its creator is still initialising it, or died doing so; "
                  "if no creator is running, 'indexbus unlink' removes it)",
                  name, indexbus_strerror(status));
        return CLI_ERROR;
    }
    return cli_region_error(name, NULL, status);
}

int cli_open_region(const char *name, indexbus_region **out)
{
    int st = indexbus_region_open(name, NULL, out);
    return st == INDEXBUS_OK ? CLI_OK : cli_open_error(name, st);
}

int cli_open_or_create(const char *name, const indexbus_region_config *cfg,
                       indexbus_region **out, int *created)
{
    *created = 0;
    /* a creator that races us wins: EXISTS, then its region opens (the
     * open waits for it to be ready); one that unlinks it again loses */
    for (int attempt = 0; attempt < 3; attempt++) {
        int st = indexbus_region_open(name, NULL, out);
        if (st != INDEXBUS_NOT_FOUND)
            return st == INDEXBUS_OK ? CLI_OK : cli_open_error(name, st);
        st = indexbus_region_create(name, cfg, out);
        if (st == INDEXBUS_OK) {
            *created = 1;
            return CLI_OK;
        }
        if (st != INDEXBUS_EXISTS)
            return cli_create_error(name, cfg->kind, st);
    }
    return cli_region_error(name, NULL, INDEXBUS_NOT_FOUND);
}

/* "an events", "an rpc", "a log" */
static const char *article(uint32_t kind)
{
    return kind == INDEXBUS_KIND_EVENTS || kind == INDEXBUS_KIND_RPC ? "an" : "a";
}

int cli_want_kind(const char *name, const indexbus_region *r, uint32_t kind)
{
    indexbus_info in;
    int rc = cli_region_info(name, r, &in);
    if (rc != CLI_OK || in.kind == kind)
        return rc;
    cli_error("region %s: is %s %s region, not %s %s region", name, article(in.kind),
              cli_kind_name(in.kind), article(kind), cli_kind_name(kind));
    return CLI_ERROR;
}

int cli_region_info(const char *name, const indexbus_region *r, indexbus_info *info)
{
    memset(info, 0, sizeof *info);
    info->size = sizeof *info;
    int st = indexbus_region_info(r, info);
    return st == INDEXBUS_OK ? CLI_OK : cli_region_error(name, "info", st);
}

/* ---- time and reports ---------------------------------------------------- */

uint64_t cli_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* "653.6k", "1.25M"; "n/a" when no time passed. */
void cli_format_rate(char *buf, size_t cap, uint64_t n, double secs)
{
    if (secs <= 0.0) {
        snprintf(buf, cap, "n/a");
        return;
    }
    double r = (double)n / secs;
    if (r >= 1e6)
        snprintf(buf, cap, "%.2fM", r / 1e6);
    else if (r >= 1e3)
        snprintf(buf, cap, "%.1fk", r / 1e3);
    else
        snprintf(buf, cap, "%.1f", r);
}

void cli_report(const char *prefix, uint64_t msgs, uint64_t bytes, uint64_t ns,
                const char *suffix)
{
    char rate[32];
    double secs = (double)ns / 1e9;
    cli_format_rate(rate, sizeof rate, msgs, secs);
    fprintf(stderr, "%s%" PRIu64 " message%s, %" PRIu64 " bytes in %.3f s (%s msg/s)%s\n",
            prefix, msgs, msgs == 1 ? "" : "s", bytes, secs, rate, suffix ? suffix : "");
}

/* ---- signals -------------------------------------------------------------- */

static void note_stop(int sig)
{
    (void)sig;
    cli_stop_requested = 1;
}

void cli_catch_stop_signals(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler != NULL ? handler : note_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: a read() blocked on stdin must return */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}
