/* cmd_recover.c - `indexbus recover` (hand a dead participant's resources
 * back, optionally rebuild the pool of a quiet region) and `indexbus gc`
 * (remove regions nobody alive uses). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

#define LABEL "  %-18s" /* as in `info` */
#define MICRO "\xc2\xb5"  /* U+00B5 MICRO SIGN, UTF-8 */
#define SHM_DIR "/dev/shm"

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

enum { RC_SWEEP, RC_NOPTS };

static const cli_opt recover_opts[] = {
    [RC_SWEEP] = {"--sweep", 0},
    [RC_NOPTS] = {NULL, 0},
};

typedef struct recover_args {
    const char *name;
    uint32_t flags;
} recover_args;

static int recover_arg(void *ctx, int opt, const char *v)
{
    recover_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: return cli_take_name("recover", &a->name, v);
    case RC_SWEEP: a->flags |= INDEXBUS_RECOVER_SWEEP; return CLI_OK;
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
        print_report(a.name, sweep ? "recovered and swept" : "recovered", &rep);
    } else if (st == INDEXBUS_BUSY && sweep) {
        /* the dead were recovered; only the sweep was refused */
        print_report(a.name, "recovered, not swept", &rep);
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

/* A regular file (not followed through a link) starting with the magic. */
static int has_magic(const char *path)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat sb;
    uint8_t b[4];
    int yes = fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode) && pread(fd, b, sizeof b, 0) == 4 &&
              ((uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
               (uint32_t)b[3] << 24) == INDEXBUS_MAGIC;
    close(fd);
    return yes;
}

/* Every IndexBus region in dir; names in /dev/shm are POSIX shm names. */
static int gc_scan(const char *dir, int shm, gc_tally *t)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort);
    if (n < 0) {
        cli_error("%s: %s", dir, strerror(errno));
        return CLI_ERROR;
    }
    unsigned found = 0;
    for (int i = 0; i < n; i++) {
        const char *f = list[i]->d_name;
        char path[4096], name[sizeof path + 2];
        if (strcmp(f, ".") != 0 && strcmp(f, "..") != 0 &&
            (size_t)snprintf(path, sizeof path, "%s/%s", dir, f) < sizeof path &&
            has_magic(path)) {
            snprintf(name, sizeof name, "%s%s", shm ? "/" : "", shm ? f : path);
            found++;
            gc_one(name, t);
        }
        free(list[i]);
    }
    free(list);
    printf("gc: %u IndexBus region%s in %s: %u removed, %u in use, %u failed\n", found,
           found == 1 ? "" : "s", dir, t->removed, t->in_use, t->failed);
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
        size_t n = strlen(a.dir != NULL ? a.dir : SHM_DIR);
        if (n >= sizeof dir) {
            cli_error("%s: %s", a.dir, strerror(ENAMETOOLONG));
            rc = CLI_ERROR;
        } else {
            memcpy(dir, a.dir != NULL ? a.dir : SHM_DIR, n + 1);
            while (n > 1 && dir[n - 1] == '/') /* "DIR/" lists as "DIR/NAME" */
                dir[--n] = '\0';
            rc = gc_scan(dir, a.dir == NULL, &t);
        }
    }
    free(a.names);
    return rc;
}
