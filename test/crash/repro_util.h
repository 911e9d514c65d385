/*
 * repro_util.h - setup shared by the deterministic repros (repro_*.c).
 * Define REPRO_PROG (the program name, for error messages) before including.
 * Everything is static inline so a repro pays only for what it uses.
 */
#ifndef IB_CRASH_REPRO_UTIL_H
#define IB_CRASH_REPRO_UTIL_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <indexbus/indexbus.h>

#ifndef REPRO_PROG
#error "define REPRO_PROG before including repro_util.h"
#endif

/* A setup step failed: report it and exit 2 (neither fixed nor reproduced). */
static inline void die(const char *what, int st)
{
    fprintf(stderr, REPRO_PROG ": %s: %s\n", what, indexbus_status_name(st));
    exit(2);
}

/* A fresh region `name` (any leftover unlinked first) created from cfg. */
static inline indexbus_region *repro_create(const char *name, const indexbus_region_config *cfg)
{
    indexbus_region_unlink(name);
    indexbus_region *r;
    int st = indexbus_region_create(name, cfg, &r);
    if (st)
        die("create", st);
    return r;
}

/* A page of flags shared with forked children. */
static inline volatile uint32_t *repro_shared_page(void)
{
    return mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

/* Wait until a child sets *flag. */
static inline void repro_wait_flag(volatile uint32_t *flag)
{
    while (!__atomic_load_n(flag, __ATOMIC_SEQ_CST))
        usleep(100);
}

/* SIGKILL a child and reap it. */
static inline void repro_kill(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

#ifdef IB_CRASH_RAW_H
/* repro_create, then map the region read-only into *w as well. */
static inline indexbus_region *repro_create_mapped(const char *name, const indexbus_region_config *cfg,
                                                   raw_view *w)
{
    indexbus_region *r = repro_create(name, cfg);
    if (raw_map(w, name))
        die("raw map", INDEXBUS_IO);
    return r;
}
#endif

#endif
