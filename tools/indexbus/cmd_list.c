/* cmd_list.c - `indexbus list [--dir D] [--json]`: one row per region in
 * /dev/shm (or D): name, kind, layout, size, participants alive and dead,
 * messages published and the age of the last activity. Other files are
 * skipped and counted. Regions are opened as observers (snapshot.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "snapshot.h"

enum { L_DIR, L_JSON, L_NOPTS };

static const cli_opt list_opts[] = {
    [L_DIR] = {"--dir", 1},
    [L_JSON] = {"--json", 0},
    [L_NOPTS] = {NULL, 0},
};

typedef struct list_args {
    const char *dir;
    int json;
} list_args;

typedef struct list_ctx {
    const list_args *a;
    cli_snapshot *s; /* one, reused per region */
    cli_json j;
    uint64_t now_real_ns;
    unsigned failed;
} list_ctx;

static int list_arg(void *ctx, int opt, const char *v)
{
    list_args *a = ctx;
    switch (opt) {
    case L_DIR: a->dir = v; return CLI_OK;
    case L_JSON: a->json = 1; return CLI_OK;
    default: return cli_usage_error("list", "unexpected argument '%s'", v);
    }
}

/* "512", "1.1K", "16.0M", "1.0G" (binary units). */
static void format_size(char *buf, size_t cap, uint64_t n)
{
    static const char units[] = "KMGT";
    double v = (double)n;
    int u = -1;
    while (v >= 1024.0 && u < 3) {
        v /= 1024.0;
        u++;
    }
    if (u < 0)
        snprintf(buf, cap, "%" PRIu64, n);
    else
        snprintf(buf, cap, "%.1f%c", v, units[u]);
}

/* "now", "42s", "17m", "5h", "3d" ago. */
void cli_format_age(char *buf, size_t cap, uint64_t age_ns)
{
    uint64_t s = age_ns / 1000000000u;
    if (s == 0)
        snprintf(buf, cap, "now");
    else if (s < 120)
        snprintf(buf, cap, "%" PRIu64 "s ago", s);
    else if (s < 7200)
        snprintf(buf, cap, "%" PRIu64 "m ago", s / 60);
    else if (s < 172800)
        snprintf(buf, cap, "%" PRIu64 "h ago", s / 3600);
    else
        snprintf(buf, cap, "%" PRIu64 "d ago", s / 86400);
}

static uint64_t age_of(const list_ctx *l, uint64_t then_ns)
{
    return l->now_real_ns > then_ns ? l->now_real_ns - then_ns : 0;
}

static void text_row(list_ctx *l, const char *name, int st)
{
    const cli_snapshot *s = l->s;
    char layout[24], size[16], age[24];
    if (st != INDEXBUS_OK) {
        printf("%-22s %s\n", name, indexbus_strerror(st));
        return;
    }
    snprintf(layout, sizeof layout, "%" PRIu32 ".%" PRIu32, s->info.layout_major,
             s->info.layout_minor);
    format_size(size, sizeof size, s->info.total_bytes);
    cli_format_age(age, sizeof age, age_of(l, s->last_activity_ns));
    printf("%-22s %-7s %-6s %9s %5" PRIu32 " %4" PRIu32 " %11" PRIu64 " %s\n", name,
           cli_kind_name(s->info.kind), layout, size, s->alive, s->dead, s->info.published,
           age);
}

/* The "list" shape's row (docs/CLI.md). */
static void json_row(list_ctx *l, const char *name, int st)
{
    const cli_snapshot *s = l->s;
    char layout[24];
    cli_json *j = &l->j;
    cli_json_object(j, NULL);
    cli_json_str(j, "name", name);
    if (st != INDEXBUS_OK) {
        cli_json_str(j, "error", indexbus_strerror(st));
        cli_json_end(j);
        return;
    }
    snprintf(layout, sizeof layout, "%" PRIu32 ".%" PRIu32, s->info.layout_major,
             s->info.layout_minor);
    cli_json_null(j, "error");
    cli_json_str(j, "kind", cli_kind_name(s->info.kind));
    cli_json_str(j, "layout", layout);
    cli_json_u64(j, "total_bytes", s->info.total_bytes);
    cli_json_bool(j, "durable", s->durable);
    cli_json_bool(j, "fanout_recycle", (s->info.capabilities & INDEXBUS_CAP_FANOUT_RECYCLE) != 0);
    cli_json_bool(j, "mpsc_batch", (s->info.capabilities & INDEXBUS_CAP_MPSC_BATCH) != 0);
    cli_json_bool(j, "mpsc_recycle", (s->info.capabilities & INDEXBUS_CAP_MPSC_RECYCLE) != 0);
    cli_json_u64(j, "participants_alive", s->alive);
    cli_json_u64(j, "participants_dead", s->dead);
    cli_json_u64(j, "published", s->info.published);
    cli_json_u64(j, "created_ns", s->info.creation_time_ns);
    cli_json_u64(j, "last_activity_ns", s->last_activity_ns);
    cli_json_double(j, "last_activity_age_s", (double)age_of(l, s->last_activity_ns) / 1e9);
    cli_json_end(j);
}

static void list_one(void *ctx, const char *name)
{
    list_ctx *l = ctx;
    int st = cli_snapshot_name(name, l->s);
    l->failed += st != INDEXBUS_OK;
    if (l->a->json)
        json_row(l, name, st);
    else
        text_row(l, name, st);
}

static uint64_t realtime_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int run_list(const list_args *a, const char *dir, int shm)
{
    list_ctx l = {.a = a, .now_real_ns = realtime_ns()};
    cli_scan_tally t = {0, 0};
    if ((l.s = malloc(sizeof *l.s)) == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    if (a->json) {
        cli_json_init(&l.j, stdout);
        cli_json_object(&l.j, NULL);
        cli_json_u64(&l.j, "version", CLI_JSON_VERSION);
        cli_json_str(&l.j, "dir", dir);
        cli_json_array(&l.j, "regions");
    } else {
        printf("%-22s %-7s %-6s %9s %5s %4s %11s %s\n", "NAME", "KIND", "LAYOUT", "SIZE",
               "ALIVE", "DEAD", "PUBLISHED", "LAST ACTIVE");
    }
    int rc = cli_scan_regions(dir, shm, list_one, &l, &t);
    if (a->json) {
        cli_json_end(&l.j);
        cli_json_u64(&l.j, "skipped", t.skipped);
        cli_json_u64(&l.j, "failed", l.failed);
        cli_json_end(&l.j);
        if (rc == CLI_OK)
            cli_json_done(&l.j);
    } else if (rc == CLI_OK) {
        printf("%u region%s in %s; %u other file%s skipped\n", t.found, t.found == 1 ? "" : "s",
               dir, t.skipped, t.skipped == 1 ? "" : "s");
    }
    free(l.s);
    return rc != CLI_OK || l.failed ? CLI_ERROR : CLI_OK;
}

int cmd_list(int argc, char **argv)
{
    list_args a = {0};
    char dir[4096];
    int shm;
    int rc = cli_parse_all("list", argc, argv, list_opts, list_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_scan_dir(a.dir, dir, sizeof dir, &shm)) != CLI_OK)
        return rc;
    return run_list(&a, dir, shm);
}
