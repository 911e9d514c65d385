/* cmd_route.c - `indexbus route`: run a fanout region's router until a
 * stop signal or, with --exit-on-disconnect, until the producers are gone. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

enum { R_MODE, R_SOURCE, R_EXIT, R_NOPTS };

static const cli_opt route_opts[] = {
    [R_MODE] = {"--mode", 1},
    [R_SOURCE] = {"--source", 1},
    [R_EXIT] = {"--exit-on-disconnect", 0},
    [R_NOPTS] = {NULL, 0},
};

typedef struct route_args {
    const char *name;
    uint32_t mode, source, flags;
} route_args;

/* The signal handler's only way to reach the router; set before the handler
 * is installed. indexbus_router_stop is async-signal-safe. */
static indexbus_router *stop_target;

static void stop_router(int sig)
{
    (void)sig;
    cli_stop_requested = 1;
    indexbus_router_stop(stop_target);
}

static int parse_mode(const char *v, uint32_t *mode)
{
    if (strcmp(v, "broadcast") == 0)
        *mode = INDEXBUS_MODE_BROADCAST;
    else if (strcmp(v, "work-queue") == 0)
        *mode = INDEXBUS_MODE_WORK_QUEUE;
    else
        return cli_usage_error("route", "--mode is broadcast or work-queue, not '%s'", v);
    return CLI_OK;
}

static int parse_source(const char *v, uint32_t *source)
{
    if (strcmp(v, "spsc") == 0)
        *source = INDEXBUS_SOURCE_SPSC;
    else if (strcmp(v, "mpsc") == 0)
        *source = INDEXBUS_SOURCE_MPSC;
    else if (strcmp(v, "any") == 0)
        *source = INDEXBUS_SOURCE_ANY;
    else
        return cli_usage_error("route", "--source is spsc, mpsc or any, not '%s'", v);
    return CLI_OK;
}

static int route_arg(void *ctx, int opt, const char *v)
{
    route_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("route", &a->name, v);
    case R_MODE: return parse_mode(v, &a->mode);
    case R_SOURCE: return parse_source(v, &a->source);
    case R_EXIT: a->flags |= INDEXBUS_ROUTER_EXIT_ON_DISCONNECT; return CLI_OK;
    default: return CLI_USAGE;
    }
}

static int open_router(const char *name, indexbus_region *r, indexbus_router **out)
{
    int st = indexbus_router_open(r, out);
    if (st == INDEXBUS_OK)
        return CLI_OK;
    if (st == INDEXBUS_WRONG_KIND)
        cli_error("region %s: router: %s (only fanout regions have a router)", name,
                  indexbus_strerror(st));
    else if (st == INDEXBUS_BUSY)
        cli_error("region %s: router: %s (another router is running)", name,
                  indexbus_strerror(st));
    else
        cli_region_error(name, "router", st);
    return CLI_ERROR;
}

static int run_router(const route_args *a, indexbus_router *rt)
{
    indexbus_router_loop_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.size = sizeof cfg;
    cfg.source = a->source;
    cfg.mode = a->mode;
    cfg.flags = a->flags;
    stop_target = rt;
    cli_catch_stop_signals(stop_router);
    uint64_t t0 = cli_now_ns();
    int st = indexbus_router_run(rt, &cfg);
    const char *why = st == INDEXBUS_DISCONNECTED ? "; producers gone and drained"
                      : st == INDEXBUS_OK         ? "; stopped by signal"
                                                  : "";
    double secs = (double)(cli_now_ns() - t0) / 1e9;
    char rate[32];
    cli_format_rate(rate, sizeof rate, cfg.routed, secs);
    fprintf(stderr, "router: routed %" PRIu64 " message%s in %.3f s (%s msg/s)%s\n", cfg.routed,
            cfg.routed == 1 ? "" : "s", secs, rate, why);
    if (st == INDEXBUS_OK || st == INDEXBUS_DISCONNECTED)
        return CLI_OK;
    return cli_region_error(a->name, "router", st);
}

int cmd_route(int argc, char **argv)
{
    route_args a = {.mode = INDEXBUS_MODE_BROADCAST, .source = INDEXBUS_SOURCE_ANY};
    indexbus_region *r;
    indexbus_router *rt;
    int rc = cli_parse_all("route", argc, argv, route_opts, route_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("route", a.name)) != CLI_OK)
        return rc;
    if ((rc = cli_open_region(a.name, &r)) != CLI_OK)
        return rc;
    if ((rc = open_router(a.name, r, &rt)) == CLI_OK) {
        rc = run_router(&a, rt);
        indexbus_router_close(rt);
    }
    indexbus_region_close(r);
    return rc;
}
