/*
 * cli.h - shared pieces of the indexbus command-line tool: argument
 * parsing, error reporting, region opening with diagnosis, timing and
 * signal handling, and the subcommand entry points.
 */
#ifndef INDEXBUS_CLI_H
#define INDEXBUS_CLI_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <indexbus/indexbus.h>

/* Exit statuses. CLI_BROKEN_PIPE is what a shell reports for a process a
 * broken pipe killed (128 + SIGPIPE): `stream write` once the reader is
 * gone, `stream read` once its stdout is. */
enum { CLI_OK = 0, CLI_ERROR = 1, CLI_USAGE = 2, CLI_BROKEN_PIPE = 141 };

/* Internal pseudo-status (never a library status): a stop signal arrived. */
#define CLI_STOPPED (-1)

#if defined(__GNUC__)
#define CLI_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CLI_PRINTF(f, a)
#endif

/* ---- main.c: subcommands and their synopses ------------------------------ */

/* "NAME [--kind ...]" for `cmd`, or "" if unknown. */
const char *cli_synopsis(const char *cmd);

int cmd_create(int argc, char **argv);
int cmd_unlink(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_pub(int argc, char **argv);
int cmd_sub(int argc, char **argv);
int cmd_route(int argc, char **argv);
int cmd_recover(int argc, char **argv);
int cmd_gc(int argc, char **argv);
int cmd_stream(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_request(int argc, char **argv);
int cmd_bridge(int argc, char **argv); /* bridge.c: runs indexbus-bridge */
int cmd_list(int argc, char **argv);   /* cmd_list.c */
int cmd_top(int argc, char **argv);    /* cmd_top.c */
int cmd_stat(int argc, char **argv);   /* cmd_stat.c: Prometheus text, --listen */

/* ---- args.c: option parsing --------------------------------------------- */

typedef struct cli_opt {
    const char *name; /* "--slots"; NULL ends a table */
    int has_value;    /* takes "--opt VALUE" or "--opt=VALUE" */
} cli_opt;

typedef struct cli_parser {
    const char *cmd; /* subcommand, for messages */
    int argc;
    char **argv;
    int next;
    int positional_only; /* seen "--" */
    const cli_opt *opts;
} cli_parser;

#define CLI_ARG_END (-1)        /* no arguments left */
#define CLI_ARG_POSITIONAL (-2) /* *value is a non-option argument */
#define CLI_ARG_BAD (-3)        /* usage error already printed */
#define CLI_ARG_HELP (-4)       /* --help: usage already printed on stdout */

void cli_parser_init(cli_parser *p, const char *cmd, int argc, char **argv,
                     const cli_opt *opts);
/* Next argument: an index into opts (value in *value if it takes one), or
 * one of the CLI_ARG_* codes above. */
int cli_next(cli_parser *p, const char **value);

/* Run a parser to the end, handing each option (index into opts) or
 * positional (CLI_ARG_POSITIONAL) to handle(ctx, opt, value), stopping at
 * the first non-CLI_OK answer. Returns CLI_OK, CLI_USAGE, or CLI_ARG_HELP. */
typedef int (*cli_handler)(void *ctx, int opt, const char *value);
int cli_parse_all(const char *cmd, int argc, char **argv, const cli_opt *opts,
                  cli_handler handle, void *ctx);

/* Take a positional argument as the region name: a second one is a usage
 * error. Returns CLI_OK or CLI_USAGE. */
int cli_take_name(const char *cmd, const char **name, const char *value);
/* CLI_OK if *name was given, else a usage error. */
int cli_need_name(const char *cmd, const char *name);

/* Print "indexbus CMD: <message>" plus the command's usage; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CLI_PRINTF(2, 3);

/* Strict decimal / octal parsing with a range; on failure print a usage
 * error naming `opt` and return CLI_USAGE, else CLI_OK. */
int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t min,
                  uint64_t max, uint64_t *out);
int cli_parse_u32(const char *cmd, const char *opt, const char *text, uint32_t min,
                  uint32_t max, uint32_t *out);
int cli_parse_octal(const char *cmd, const char *opt, const char *text, uint32_t max,
                    uint32_t *out);

/* ---- cmd_region.c: geometry shared by create, stream and serve ----------- */

/* A byte log's or stream's ring (0: the library's default). */
typedef struct cli_ring_args {
    uint64_t bytes;
    uint32_t max_record;
} cli_ring_args;

/* A request/response region's cells (0: the library's default). */
typedef struct cli_rpc_args {
    uint32_t cells, max_request, max_reply;
} cli_rpc_args;

/* "events", "fanout", "log", "stream", "rpc" or "unknown". */
const char *cli_kind_name(uint32_t kind);
/* Parse --bytes (is_max_record 0) or --max-record into *ring. */
int cli_ring_arg(const char *cmd, cli_ring_args *ring, int is_max_record, const char *v);
/* Parse --cells, --max-request or --max-reply (opt) into *rpc. */
int cli_rpc_arg(const char *cmd, cli_rpc_args *rpc, const char *opt, const char *v);
/* The library's defaults for kind, then what ring / rpc (may be NULL) say. */
void cli_config_init(indexbus_region_config *cfg, uint32_t kind, const cli_ring_args *ring,
                     const cli_rpc_args *rpc);
/* Report a failed indexbus_region_create (the valid geometry for an
 * INVALID_ARGUMENT); returns CLI_ERROR. */
int cli_create_error(const char *name, uint32_t kind, int status);
/* "created NAME: <kind>, <geometry>, N bytes" on stdout. */
void cli_print_created(const char *name, const indexbus_info *info);

/* ---- util.c: errors, regions, time, signals ---------------------------- */

/* "indexbus: <message>" on stderr. */
void cli_error(const char *fmt, ...) CLI_PRINTF(1, 2);
/* "indexbus: region NAME: [WHAT: ]<indexbus_strerror(status)>"; returns CLI_ERROR. */
int cli_region_error(const char *name, const char *what, int status);

/* The file that holds region `name`'s bytes, as the library finds it. */
void cli_raw_path(const char *name, char *buf, size_t cap);

/* Open a region; on failure explain why (reading the raw header for an
 * incompatible one) and return CLI_ERROR. */
int cli_open_region(const char *name, indexbus_region **out);
/* Report a failure to open region `name` as cli_open_region does; returns
 * CLI_ERROR. */
int cli_open_error(const char *name, int status);
/* Open region `name`, or create it with *cfg if there is none (a racing
 * creator's region is opened instead). *created says which. Errors are
 * reported; returns CLI_OK or CLI_ERROR. */
int cli_open_or_create(const char *name, const indexbus_region_config *cfg,
                       indexbus_region **out, int *created);
/* CLI_OK if the region is of `kind`, else "region NAME: is a K, not a
 * <kind>" and CLI_ERROR. */
int cli_want_kind(const char *name, const indexbus_region *r, uint32_t kind);
/* indexbus_region_info with the size field set; errors are reported. */
int cli_region_info(const char *name, const indexbus_region *r, indexbus_info *info);

uint64_t cli_now_ns(void); /* CLOCK_MONOTONIC */

/* n per secs as "653.6k", "1.25M", "12.0"; "n/a" if secs <= 0. */
void cli_format_rate(char *buf, size_t cap, uint64_t n, double secs);
/* An age as "now", "42s ago", "17m ago", "5h ago", "3d ago" (cmd_list.c). */
void cli_format_age(char *buf, size_t cap, uint64_t age_ns);
/* "<prefix>N messages, B bytes in S s (R msg/s)<suffix>\n" on stderr. */
void cli_report(const char *prefix, uint64_t msgs, uint64_t bytes, uint64_t ns,
                const char *suffix);

/* Set by the default stop handler on SIGINT / SIGTERM. */
extern volatile sig_atomic_t cli_stop_requested;
/* Route SIGINT and SIGTERM to handler (NULL: set cli_stop_requested). The
 * handler is installed without SA_RESTART so blocking reads return. */
void cli_catch_stop_signals(void (*handler)(int));

/* ---- scan.c: the regions in a directory (gc, list) ----------------------- */

typedef struct cli_scan_tally {
    unsigned found;   /* IndexBus regions handed to the callback */
    unsigned skipped; /* other entries: not regular files, or no magic */
} cli_scan_tally;
typedef void (*cli_scan_fn)(void *ctx, const char *name);
/* dir_arg (NULL: /dev/shm, *shm = 1) into dir without trailing slashes;
 * CLI_OK or CLI_ERROR (reported). */
int cli_scan_dir(const char *dir_arg, char *dir, size_t cap, int *shm);
/* fn(ctx, NAME) for each file in dir that starts with the IndexBus magic,
 * in name order; NAME is "/file" for /dev/shm, else "dir/file". CLI_OK, or
 * CLI_ERROR if dir cannot be read (reported). */
int cli_scan_regions(const char *dir, int shm, cli_scan_fn fn, void *ctx, cli_scan_tally *t);

/* ---- info_durable.c: the durable paragraph of `info` --------------------- */

/* Regions with durable state: region id, mark, held queues (fanout), the
 * bridge counters. The mark and hold mask have no call of their own: they
 * are read from the region file's DURABLE section, checked first. */
int cli_print_durable(const char *name, const indexbus_region *r, const indexbus_info *in);

#endif /* INDEXBUS_CLI_H */
