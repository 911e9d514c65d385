/* cmd_recover.c - `indexbus recover` (hand a dead participant's resources
 * back, optionally rebuild the pool of a quiet region) and `indexbus gc`
 * (remove regions nobody alive uses). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "json.h"

#define LABEL "  %-18s" /* as in `info` */
#define MICRO "\xc2\xb5"  /* U+00B5 MICRO SIGN, UTF-8 */

/* Participants of r whose process is alive (our own handle attaches none). */
static uint32_t count_alive(indexbus_region *r)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++) {
        indexbus_participant_info pi = {.size = sizeof pi};
        if (indexbus_region_participant(r, i, &pi) == INDEXBUS_OK && pi.alive)
            n++;
    }
    return n;
}

/* ---- recover ------------------------------------------------------------ */

enum { RC_SWEEP, RC_JSON, RC_NOPTS };

static const cli_opt recover_opts[] = {
    [RC_SWEEP] = {"--sweep", 0},
    [RC_JSON] = {"--json", 0},
    [RC_NOPTS] = {NULL, 0},
};

typedef struct recover_args {
    const char *name;
    uint32_t flags;
    int json;
} recover_args;

static int recover_arg(void *ctx, int opt, const char *v)
{
    recover_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("recover", &a->name, v);
    case RC_SWEEP: a->flags |= INDEXBUS_RECOVER_SWEEP; return CLI_OK;
    case RC_JSON: a->json = 1; return CLI_OK;
    default: return CLI_USAGE;
    }
}

static void print_report(const char *name, const char *what, const indexbus_recover_report *rep)
{
    printf("region %s: %s\n", name, what);
    printf(LABEL "%" PRIu32 "\n", "dead participants", rep->dead);
    printf(LABEL "%" PRIu32 "\n", "slots reclaimed", rep->slots_reclaimed);
    printf(LABEL "%" PRIu32 "\n", "cells skipped", rep->cells_skipped);
    printf(LABEL "%" PRIu64 "\n", "messages dropped", rep->dropped);
    printf(LABEL "%" PRIu64 " " MICRO "s\n", "elapsed", (rep->elapsed_ns + 500) / 1000);
}

/* --json: the "recover" shape of docs/CLI.md. swept says whether the
 * sweep ran (false without --sweep, and when it was refused). */
static void print_json(const char *name, int swept, const indexbus_recover_report *rep)
{
    cli_json j;
    cli_json_init(&j, stdout);
    cli_json_object(&j, NULL);
    cli_json_u64(&j, "version", CLI_JSON_VERSION);
    cli_json_str(&j, "name", name);
    cli_json_bool(&j, "swept", swept);
    cli_json_u64(&j, "dead_participants", rep->dead);
    cli_json_u64(&j, "slots_reclaimed", rep->slots_reclaimed);
    cli_json_u64(&j, "cells_skipped", rep->cells_skipped);
    cli_json_u64(&j, "messages_dropped", rep->dropped);
    cli_json_u64(&j, "elapsed_ns", rep->elapsed_ns);
    cli_json_end(&j);
    cli_json_done(&j);
}

static void report(const recover_args *a, const char *what, int swept,
                   const indexbus_recover_report *rep)
{
    if (a->json)
        print_json(a->name, swept, rep);
    else
        print_report(a->name, what, rep);
}

int cmd_recover(int argc, char **argv)
{
    recover_args a = {0};
    indexbus_region *r;
    int rc = cli_parse_all("recover", argc, argv, recover_opts, recover_arg, &a);
    if (rc == CLI_ARG_HELP)
        return CLI_OK;
    if (rc != CLI_OK || (rc = cli_need_name("recover", a.name)) != CLI_OK)
        return rc;
    if ((rc = cli_open_region(a.name, &r)) != CLI_OK)
        return rc;
    indexbus_recover_report rep;
    memset(&rep, 0, sizeof rep);
    rep.size = sizeof rep;
    int sweep = (a.flags & INDEXBUS_RECOVER_SWEEP) != 0;
    int st = indexbus_region_recover(r, a.flags, &rep);
    if (st == INDEXBUS_OK) {
        report(&a, sweep ? "recovered and swept" : "recovered", sweep, &rep);
    } else if (st == INDEXBUS_BUSY && sweep) {
        /* the dead were recovered; only the sweep was refused */
        report(&a, "recovered, not swept", 0, &rep);
        cli_error("region %s: recover --sweep: participants are still attached; --sweep "
                  "needs a quiet region (%" PRIu32 " alive)",
                  a.name, count_alive(r));
        rc = CLI_ERROR;
    } else {
        rc = cli_region_error(a.name, "recover", st);
    }
    indexbus_region_close(r);
    return rc;
}

/* ---- gc -------------------------------------------------------------------- */

enum { G_DIR, G_NOPTS };

static const cli_opt gc_opts[] = {
    [G_DIR] = {"--dir", 1},
    [G_NOPTS] = {NULL, 0},
};

typedef struct gc_args {
    const char **names;
    int nnames;
    const char *dir;
} gc_args;

typedef struct gc_tally {
    unsigned removed, in_use, failed;
} gc_tally;

static int gc_arg(void *ctx, int opt, const char *v)
{
    gc_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: a->names[a->nnames++] = v; return CLI_OK;
    case G_DIR: a->dir = v; return CLI_OK;
    default: return CLI_USAGE;
    }
}

/* indexbus_region_gc one region and say what became of it. */
static void gc_one(const char *name, gc_tally *t)
{
    int st = indexbus_region_gc(name);
    if (st == INDEXBUS_OK) {
        printf("%s: removed\n", name);
        t->removed++;
        return;
    }
    if (st == INDEXBUS_BUSY) {
        indexbus_open_config oc = {sizeof oc, 0, 0};
        indexbus_region *r;
        uint32_t alive = 0;
        if (indexbus_region_open(name, &oc, &r) == INDEXBUS_OK) {
            alive = count_alive(r);
            indexbus_region_close(r);
        }
        if (alive != 0)
            printf("%s: in use (%" PRIu32 " alive)\n", name, alive);
        else /* they left between the two looks */
            printf("%s: in use (participants were attaching or leaving)\n", name);
        t->in_use++;
        return;
    }
    cli_open_error(name, st);
    t->failed++;
}

static void gc_found(void *ctx, const char *name) { gc_one(name, ctx); }

/* Every IndexBus region in dir. */
static int gc_scan(const char *dir, int shm, gc_tally *t)
{
    cli_scan_tally st = {0, 0};
    if (cli_scan_regions(dir, shm, gc_found, t, &st) != CLI_OK)
        return CLI_ERROR;
    printf("gc: %u IndexBus region%s in %s: %u removed, %u in use, %u failed\n", st.found,
           st.found == 1 ? "" : "s", dir, t->removed, t->in_use, t->failed);
    return t->failed ? CLI_ERROR : CLI_OK;
}

int cmd_gc(int argc, char **argv)
{
    gc_args a = {0};
    gc_tally t = {0};
    a.names = calloc((size_t)argc + 1, sizeof *a.names);
    if (a.names == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    int rc = cli_parse_all("gc", argc, argv, gc_opts, gc_arg, &a);
    if (rc == CLI_ARG_HELP) {
        rc = CLI_OK;
    } else if (rc == CLI_OK && a.nnames > 0 && a.dir != NULL) {
        rc = cli_usage_error("gc", "give region NAMEs or --dir, not both");
    } else if (rc == CLI_OK && a.nnames > 0) {
        for (int i = 0; i < a.nnames; i++)
            gc_one(a.names[i], &t);
        rc = t.failed ? CLI_ERROR : CLI_OK;
    } else if (rc == CLI_OK) {
        char dir[4096];
        int shm;
        rc = cli_scan_dir(a.dir, dir, sizeof dir, &shm);
        if (rc == CLI_OK)
            rc = gc_scan(dir, shm, &t);
    }
    free(a.names);
    return rc;
}
