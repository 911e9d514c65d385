/* cmd_top.c - `indexbus top NAME...`: every --interval (1 s) a snapshot of
 * each region (snapshot.h) and, against the last one, rates per second
 * (published, routed, no space; delivered and dropped per consumer),
 * depths, free slots or bytes, the participants alive or dead, and a line
 * naming what changed. On a terminal it redraws in place (top_term.c);
 * otherwise it prints one plain frame per refresh. --once [--json]: one
 * sample (two snapshots --interval apart, for the rates), then exit. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "snapshot.h"
#include "top.h"

#define TOP_MAX_CONSUMER_ROWS 8 /* per region; the rest are summed up in one line */

enum { T_INTERVAL, T_ONCE, T_JSON, T_NOPTS };

static const cli_opt top_opts[] = {
    [T_INTERVAL] = {"--interval", 1},
    [T_ONCE] = {"--once", 0},
    [T_JSON] = {"--json", 0},
    [T_NOPTS] = {NULL, 0},
};

typedef struct top_region {
    const char *name;
    cli_snapshot *prev, *cur; /* cur->name == NULL: no snapshot */
    int have_prev;
    int status; /* of the last snapshot */
} top_region;

typedef struct top_args {
    const char **names;
    int nnames;
    double interval; /* seconds */
    int once, json;
} top_args;

static int top_arg(void *ctx, int opt, const char *v)
{
    top_args *a = ctx;
    char *end;
    switch (opt) {
    case CLI_ARG_POSITIONAL: a->names[a->nnames++] = v; return CLI_OK;
    case T_INTERVAL:
        a->interval = strtod(v, &end);
        if (end == v || *end != '\0' || !(a->interval >= 0.05 && a->interval <= 3600))
            return cli_usage_error("top", "--interval is seconds in 0.05..3600, not '%s'", v);
        return CLI_OK;
    case T_ONCE: a->once = 1; return CLI_OK;
    case T_JSON: a->json = 1; return CLI_OK;
    default: return CLI_USAGE;
    }
}

/* ---- sampling ---------------------------------------------------------------- */

static void sample(top_region *t)
{
    cli_snapshot *s = t->prev;
    t->prev = t->cur;
    t->cur = s;
    t->have_prev = t->status == INDEXBUS_OK && t->prev->name != NULL;
    t->status = cli_snapshot_name(t->name, t->cur);
    if (t->status != INDEXBUS_OK)
        t->cur->name = NULL;
    /* a region made afresh under the same name: no rates across it */
    if (t->have_prev && t->status == INDEXBUS_OK &&
        t->prev->info.creation_time_ns != t->cur->info.creation_time_ns)
        t->have_prev = 0;
}

static double secs_between(const cli_snapshot *a, const cli_snapshot *b)
{
    return (double)(b->taken_ns - a->taken_ns) / 1e9;
}

/* Counter increase per second; a counter that went back counts as 0. */
static double rate(uint64_t before, uint64_t after, double secs)
{
    return secs > 0 && after > before ? (double)(after - before) / secs : 0.0;
}

static uint64_t dropped(const indexbus_consumer_stats *c)
{
    return c->dropped_full + c->dropped_no_credit;
}

/* ---- text frame -------------------------------------------------------------- */

static void add(top_frame *f, int hl, const char *fmt, ...) CLI_PRINTF(3, 4);
static void add(top_frame *f, int hl, const char *fmt, ...)
{
    if (f->n >= TOP_LINES)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->line[f->n], TOP_WIDTH, fmt, ap);
    va_end(ap);
    f->highlight[f->n++] = hl;
}

/* "12.3k", "1.25M", "0" for a rate. */
static void fmt_rate(char *buf, size_t cap, double r)
{
    if (r >= 1e6)
        snprintf(buf, cap, "%.2fM", r / 1e6);
    else if (r >= 1e3)
        snprintf(buf, cap, "%.1fk", r / 1e3);
    else if (r > 0)
        snprintf(buf, cap, "%.1f", r);
    else
        snprintf(buf, cap, "0");
}

static void rate_str(char *buf, size_t cap, const top_region *t, uint64_t before,
                     uint64_t after)
{
    if (!t->have_prev) {
        snprintf(buf, cap, "-");
        return;
    }
    fmt_rate(buf, cap, rate(before, after, secs_between(t->prev, t->cur)));
}

static void frame_room(top_frame *f, const cli_snapshot *s, const top_region *t)
{
    const indexbus_info *in = &s->info;
    char r1[16], r2[16], r3[16];
    const indexbus_info *pi = t->have_prev ? &t->prev->info : in;
    rate_str(r1, sizeof r1, t, pi->published, in->published);
    if (in->kind == INDEXBUS_KIND_RPC) {
        add(f, 0, "  cells free %" PRIu32 "/%" PRIu32 "  replies abandoned %" PRIu64
                  "  requests failed %" PRIu64,
            in->rpc_cells_free, in->rpc_cells, in->rpc_replies_abandoned,
            in->rpc_requests_failed);
        return;
    }
    if (in->kind == INDEXBUS_KIND_LOG || in->kind == INDEXBUS_KIND_STREAM) {
        rate_str(r2, sizeof r2, t, pi->stream_bytes_read, in->stream_bytes_read);
        add(f, 0, "  published %s/s  free bytes %" PRIu64 "/%" PRIu64 "  waiting %" PRIu64, r1,
            in->bytes_free, in->byte_capacity, in->records_waiting);
        if (in->kind == INDEXBUS_KIND_STREAM) {
            char st[64];
            add(f, 0, "  stream %s  writers %" PRIu32 "  aborted %" PRIu32 "  read %s B/s",
                cli_stream_state(in->stream_flags, st, sizeof st), in->stream_writers,
                in->writers_aborted, r2);
        }
        return;
    }
    add(f, 0, "  published %s/s  free slots %" PRIu32 "/%" PRIu32 "  depth spsc %" PRIu64
              " mpsc %" PRIu64,
        r1, in->free_slots, in->slot_count, in->spsc_depth, in->mpsc_depth);
    if (in->kind == INDEXBUS_KIND_FANOUT) {
        rate_str(r2, sizeof r2, t, pi->routed, in->routed);
        rate_str(r3, sizeof r3, t, pi->route_no_space, in->route_no_space);
        add(f, 0, "  routed %s/s  no space %s/s  routers %" PRIu32, r2, r3, in->routers_live);
    }
}

static void frame_consumers(top_frame *f, const cli_snapshot *s, const top_region *t)
{
    uint32_t shown = 0, idle = 0;
    if (s->nconsumers == 0)
        return;
    add(f, 0, "  %8s %8s %12s %10s %8s %14s", "consumer", "attached", "delivered/s",
        "dropped/s", "depth", "delivered");
    for (uint32_t i = 0; i < s->nconsumers; i++) {
        const indexbus_consumer_stats *c = &s->consumers[i];
        const indexbus_consumer_stats *p = t->have_prev ? &t->prev->consumers[i] : c;
        int busy = c->attached || c->depth || c->delivered != p->delivered ||
                   dropped(c) != dropped(p);
        if (!busy || shown == TOP_MAX_CONSUMER_ROWS) {
            idle++;
            continue;
        }
        char d[16], x[16];
        rate_str(d, sizeof d, t, p->delivered, c->delivered);
        rate_str(x, sizeof x, t, dropped(p), dropped(c));
        add(f, 0, "  %8" PRIu32 " %8s %12s %10s %8" PRIu64 " %14" PRIu64, i,
            c->attached ? "yes" : "no", d, x, c->depth, c->delivered);
        shown++;
    }
    if (idle)
        add(f, 0, "  (%" PRIu32 " more consumer%s idle or not shown)", idle, idle == 1 ? "" : "s");
}

/* "router 812, consumer#2 815, DEAD spsc-producer 790" wrapped at 76. */
static void frame_participants(top_frame *f, const cli_snapshot *s)
{
    char line[TOP_WIDTH];
    size_t n = (size_t)snprintf(line, sizeof line, "  participants %" PRIu32 " alive, %" PRIu32
                                                   " dead:",
                                s->alive, s->dead);
    if (s->nparts == 0)
        snprintf(line + n, sizeof line - n, " none");
    for (uint32_t i = 0; i < s->nparts; i++) {
        const cli_participant *p = &s->parts[i];
        char role[32], item[64];
        const char *rn = cli_role_name(s->info.kind, p->role, role, sizeof role);
        int idx = p->role == INDEXBUS_ROLE_CONSUMER && s->info.kind != INDEXBUS_KIND_STREAM;
        const char *dead = p->alive ? "" : "DEAD ";
        if (idx)
            snprintf(item, sizeof item, " %s%s#%" PRIu32 " %" PRIu32, dead, rn, p->index, p->pid);
        else
            snprintf(item, sizeof item, " %s%s %" PRIu32, dead, rn, p->pid);
        if (n + strlen(item) > 78) {
            add(f, 0, "%s", line);
            n = (size_t)snprintf(line, sizeof line, "   ");
        }
        n += (size_t)snprintf(line + n, sizeof line - n, "%s", item);
    }
    add(f, 0, "%s", line);
}

static void frame_region(top_frame *f, const top_region *t)
{
    const cli_snapshot *s = t->cur;
    if (t->status != INDEXBUS_OK) {
        add(f, 0, "%s  %s", t->name, indexbus_strerror(t->status));
        return;
    }
    char size[16];
    snprintf(size, sizeof size, "%.1f KiB", (double)s->info.total_bytes / 1024.0);
    add(f, 0, "%s  %s%s %" PRIu32 ".%" PRIu32 "  %s", t->name, s->durable ? "durable " : "",
        cli_kind_name(s->info.kind), s->info.layout_major, s->info.layout_minor, size);
    frame_room(f, s, t);
    frame_consumers(f, s, t);
    frame_participants(f, s);
}

/* ---- what changed ------------------------------------------------------------- */

typedef struct change_line {
    char buf[TOP_WIDTH * 2];
    size_t n;
} change_line;

static void note(change_line *c, const char *fmt, ...) CLI_PRINTF(2, 3);
static void note(change_line *c, const char *fmt, ...)
{
    if (c->n >= sizeof c->buf - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(c->buf + c->n, sizeof c->buf - c->n, fmt, ap);
    va_end(ap);
    if (k > 0)
        c->n += (size_t)k < sizeof c->buf - c->n ? (size_t)k : sizeof c->buf - c->n - 1;
}

static int find_part(const cli_snapshot *s, const cli_participant *p)
{
    for (uint32_t i = 0; i < s->nparts; i++)
        if (s->parts[i].slot == p->slot && s->parts[i].pid == p->pid &&
            s->parts[i].attach_time_ns == p->attach_time_ns)
            return (int)i;
    return -1;
}

static void changes_of(change_line *c, const top_region *t)
{
    const cli_snapshot *a = t->prev, *b = t->cur;
    char role[32];
    if (b->info.published != a->info.published)
        note(c, " %s published +%" PRIu64 ";", t->name, b->info.published - a->info.published);
    if (b->info.routed != a->info.routed)
        note(c, " routed +%" PRIu64 ";", b->info.routed - a->info.routed);
    for (uint32_t i = 0; i < b->nconsumers; i++) {
        const indexbus_consumer_stats *x = &a->consumers[i], *y = &b->consumers[i];
        if (y->delivered != x->delivered)
            note(c, " c%" PRIu32 " delivered +%" PRIu64 ";", i, y->delivered - x->delivered);
        if (dropped(y) != dropped(x))
            note(c, " c%" PRIu32 " DROPPED +%" PRIu64 ";", i, dropped(y) - dropped(x));
        if (y->attached != x->attached)
            note(c, " c%" PRIu32 " %s;", i, y->attached ? "attached" : "detached");
    }
    for (uint32_t i = 0; i < b->nparts; i++) {
        int k = find_part(a, &b->parts[i]);
        const char *rn = cli_role_name(b->info.kind, b->parts[i].role, role, sizeof role);
        if (k < 0)
            note(c, " %s %" PRIu32 " joined;", rn, b->parts[i].pid);
        else if (a->parts[k].alive && !b->parts[i].alive)
            note(c, " %s %" PRIu32 " DIED;", rn, b->parts[i].pid);
    }
    for (uint32_t i = 0; i < a->nparts; i++)
        if (find_part(b, &a->parts[i]) < 0)
            note(c, " %s %" PRIu32 " left;",
                 cli_role_name(a->info.kind, a->parts[i].role, role, sizeof role),
                 a->parts[i].pid);
}

/* The changed line, highlighted, wrapped after a ';' to fit 80 columns
 * (at most TOP_CHANGE_LINES lines; the rest is cut with "..."). */
#define TOP_CHANGE_LINES 3
static void wrap_changes(top_frame *f, const char *text)
{
    for (int line = 0; *text && line < TOP_CHANGE_LINES; line++) {
        const size_t width = line ? 71 : 79; /* continuation lines are indented 8 */
        size_t len = strlen(text), cut = len;
        if (len > width) {
            cut = 0;
            for (size_t i = 0; i < width; i++)
                if (text[i] == ';')
                    cut = i + 1;
            if (cut == 0)
                cut = width;
        }
        if (line == TOP_CHANGE_LINES - 1 && cut < len)
            add(f, 1, "        %.*s...", (int)(cut < width - 3 ? cut : width - 3), text);
        else
            add(f, 1, "%s%.*s", line ? "        " : "", (int)cut, text);
        text += cut;
        while (*text == ' ')
            text++;
    }
}

static void frame_changes(top_frame *f, top_region *ts, int n)
{
    change_line c = {.n = 0};
    c.buf[0] = '\0';
    note(&c, "changed:");
    size_t empty = c.n;
    for (int i = 0; i < n; i++) {
        if (ts[i].status != INDEXBUS_OK)
            note(&c, " %s %s;", ts[i].name, indexbus_strerror(ts[i].status));
        else if (ts[i].have_prev)
            changes_of(&c, &ts[i]);
    }
    if (c.n == empty)
        note(&c, " nothing since the last refresh");
    wrap_changes(f, c.buf);
}

static void build_frame(top_frame *f, top_region *ts, int n, double interval, int tty)
{
    char when[16];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(when, sizeof when, "%H:%M:%S", &tm);
    f->n = 0;
    add(f, 0, "indexbus top  %d region%s  every %.2g s  %s%s", n, n == 1 ? "" : "s", interval,
        when, tty ? "  (q quits)" : "");
    frame_changes(f, ts, n);
    for (int i = 0; i < n; i++) {
        add(f, 0, "%s", "");
        frame_region(f, &ts[i]);
    }
}

/* ---- JSON (top --once --json) ------------------------------------------------- */

static void json_rates(cli_json *j, const top_region *t)
{
    const cli_snapshot *a = t->prev, *b = t->cur;
    double secs = t->have_prev ? secs_between(a, b) : 0;
    cli_json_object(j, "rates");
    cli_json_double(j, "seconds", secs);
    cli_json_double(j, "published", rate(a->info.published, b->info.published, secs));
    cli_json_double(j, "routed", rate(a->info.routed, b->info.routed, secs));
    cli_json_double(j, "route_no_space",
                    rate(a->info.route_no_space, b->info.route_no_space, secs));
    cli_json_array(j, "consumers");
    for (uint32_t i = 0; i < b->nconsumers; i++) {
        const indexbus_consumer_stats *x = &a->consumers[i], *y = &b->consumers[i];
        cli_json_object(j, NULL);
        cli_json_u64(j, "index", i);
        cli_json_double(j, "delivered", rate(x->delivered, y->delivered, secs));
        cli_json_double(j, "dropped", rate(dropped(x), dropped(y), secs));
        cli_json_end(j);
    }
    cli_json_end(j);
    cli_json_end(j);
}

static void print_json(top_region *ts, int n, double interval)
{
    cli_json j;
    cli_json_init(&j, stdout);
    cli_json_object(&j, NULL);
    cli_json_u64(&j, "version", CLI_JSON_VERSION);
    cli_json_double(&j, "interval_s", interval);
    cli_json_array(&j, "regions");
    for (int i = 0; i < n; i++) {
        if (ts[i].status != INDEXBUS_OK)
            continue;
        cli_json_object(&j, NULL);
        cli_snapshot_json(&j, ts[i].cur);
        if (!ts[i].have_prev) /* the first look failed: no rates */
            ts[i].prev = ts[i].cur;
        json_rates(&j, &ts[i]);
        cli_json_end(&j);
    }
    cli_json_end(&j);
    cli_json_array(&j, "errors");
    for (int i = 0; i < n; i++) {
        if (ts[i].status == INDEXBUS_OK)
            continue;
        cli_json_object(&j, NULL);
        cli_json_str(&j, "name", ts[i].name);
        cli_json_str(&j, "error", indexbus_strerror(ts[i].status));
        cli_json_end(&j);
    }
    cli_json_end(&j);
    cli_json_end(&j);
    cli_json_done(&j);
}

/* ---- loop ----------------------------------------------------------------------- */

static void print_plain(const top_frame *f)
{
    for (int i = 0; i < f->n; i++)
        printf("%s\n", f->line[i]);
    fflush(stdout);
}

/* Sleep `secs`, waking early for 'q' or a stop signal: 1 means quit. */
static int pause_for(int keys, double secs)
{
    uint64_t end = cli_now_ns() + (uint64_t)(secs * 1e9);
    for (;;) {
        uint64_t now = cli_now_ns();
        if (cli_stop_requested)
            return 1;
        if (now >= end)
            return 0;
        uint64_t ms = (end - now + 999999) / 1000000;
        if (top_term_wait(keys, ms > 200 ? 200 : (int)ms))
            return 1;
    }
}

static int all_ok(const top_region *ts, int n)
{
    for (int i = 0; i < n; i++)
        if (ts[i].status != INDEXBUS_OK)
            return 0;
    return 1;
}

static int run_once(const top_args *a, top_region *ts, top_frame *f)
{
    for (int i = 0; i < a->nnames; i++)
        sample(&ts[i]);
    if (pause_for(0, a->interval))
        return CLI_ERROR; /* interrupted before the second look */
    for (int i = 0; i < a->nnames; i++)
        sample(&ts[i]);
    if (a->json) {
        print_json(ts, a->nnames, a->interval);
    } else {
        build_frame(f, ts, a->nnames, a->interval, 0);
        print_plain(f);
    }
    for (int i = 0; i < a->nnames; i++)
        if (ts[i].status != INDEXBUS_OK)
            cli_region_error(ts[i].name, NULL, ts[i].status);
    return all_ok(ts, a->nnames) ? CLI_OK : CLI_ERROR;
}

static int run_live(const top_args *a, top_region *ts, top_frame *f)
{
    int tty = isatty(STDOUT_FILENO);
    int keys = tty && isatty(STDIN_FILENO);
    signal(SIGHUP, SIG_DFL);
    cli_catch_stop_signals(NULL);
    if (tty)
        top_term_enter(keys);
    for (;;) {
        for (int i = 0; i < a->nnames; i++)
            sample(&ts[i]);
        build_frame(f, ts, a->nnames, a->interval, tty);
        if (tty)
            top_term_draw(f);
        else
            print_plain(f), printf("\n");
        if (pause_for(keys, a->interval))
            break;
    }
    if (tty)
        top_term_restore();
    return CLI_OK;
}

int cmd_top(int argc, char **argv)
{
    top_args a = {.interval = 1.0};
    top_region *ts = NULL;
    top_frame *f = NULL;
    int rc;
    if ((a.names = calloc((size_t)argc + 1, sizeof *a.names)) == NULL)
        goto oom;
    rc = cli_parse_all("top", argc, argv, top_opts, top_arg, &a);
    if (rc == CLI_ARG_HELP) {
        free(a.names);
        return CLI_OK;
    }
    if (rc == CLI_OK && a.nnames == 0)
        rc = cli_usage_error("top", "name at least one region");
    if (rc == CLI_OK && a.json && !a.once)
        rc = cli_usage_error("top", "--json needs --once (one sample, then exit)");
    if (rc != CLI_OK) {
        free(a.names);
        return rc;
    }
    if ((ts = calloc((size_t)a.nnames, sizeof *ts)) == NULL || (f = malloc(sizeof *f)) == NULL)
        goto oom;
    for (int i = 0; i < a.nnames; i++) {
        ts[i].name = a.names[i];
        ts[i].status = INDEXBUS_NOT_FOUND;
        ts[i].prev = calloc(1, sizeof *ts[i].prev);
        ts[i].cur = calloc(1, sizeof *ts[i].cur);
        if (ts[i].prev == NULL || ts[i].cur == NULL)
            goto oom;
    }
    rc = a.once ? run_once(&a, ts, f) : run_live(&a, ts, f);
    goto out;
oom:
    cli_error("out of memory");
    rc = CLI_ERROR;
out:
    for (int i = 0; ts != NULL && i < a.nnames; i++) {
        free(ts[i].prev);
        free(ts[i].cur);
    }
    free(ts);
    free(f);
    free(a.names);
    return rc;
}
