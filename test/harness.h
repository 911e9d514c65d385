/*
 * harness.h - tiny test support: CHECK macros, unique region names, shared
 * memory between a test and its helpers, and helper processes.
 *
 * Helper processes work the way libuv's run-tests does: ib_spawn(fn, arg)
 * forks and at once re-executes this test program (/proc/self/exe) with
 * "--ib-helper <fn's name> <arg> ..." on its command line; ib_test_init, the
 * first call in every main(), sees that and runs fn(arg) instead of the
 * tests. A helper is therefore a fresh process, like an unrelated process
 * that opens the region by name: it inherits none of the library's process
 * state (its atfork handler, its recovery mutex, open handles) and none of
 * the parent's heap. What it does get from its parent:
 *   - fn and arg (fn must be listed in the program's helper table);
 *   - every global marked IB_SHARED, copied by value when ib_spawn runs (so
 *     set them before spawning); a pointer among them must be NULL or point
 *     into ib_shared() memory, never at the parent's own statics or heap;
 *   - ib_shared() memory: one MAP_SHARED arena that every helper maps at the
 *     same address as the parent, so pointers into it are valid everywhere.
 *     ib_test_name() strings live there too.
 * No test here needs a plain forked child; one that did (to inherit a
 * private mapping, or to test fork itself) would fork itself and say why.
 */
#ifndef IB_TEST_HARNESS_H
#define IB_TEST_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <indexbus/indexbus.h>

extern int ib_test_failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
            ib_test_failures++;                                                 \
        }                                                                       \
    } while (0)

/* Compare two status codes and print both names on mismatch. */
#define CHECK_ST(expr, want)                                                    \
    do {                                                                        \
        int got_ = (expr);                                                      \
        if (got_ != (want)) {                                                   \
            fprintf(stderr, "%s:%d: %s = %s, want %s\n", __FILE__, __LINE__, #expr, \
                    indexbus_status_name(got_), indexbus_status_name(want));    \
            ib_test_failures++;                                                 \
        }                                                                       \
    } while (0)

/* Abort the test at once (for setup that later checks depend on). */
#define REQUIRE(cond)                                                           \
    do {                                                                        \
        if (!(cond)) {                                                          \
            fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond); \
            exit(1);                                                            \
        }                                                                       \
    } while (0)

#define REQUIRE_OK(expr) REQUIRE((expr) == INDEXBUS_OK)

/* ---- helper processes (see the top of this file) -------------------------- */

typedef int (*ib_child_fn)(int arg);

/* A program's helper table: every function a helper may start in, by name,
 * ended by {NULL, NULL}. Entries are stored as a generic function pointer;
 * ib_spawn takes ib_child_fn ones, mp_util's scripts their step functions. */
typedef void (*ib_fn)(void);
typedef struct ib_helper {
    const char *name;
    ib_fn fn;
} ib_helper;
#define IB_HELPER(f) {#f, (ib_fn)(f)}

/* Globals a helper receives from its parent, by value (see above). */
#define IB_SHARED __attribute__((section("ib_shared_state"), used))

/* First call in main(): in a helper, run the helper and exit (never
 * returns); in the test itself, remember `helpers` (may be NULL) and set up
 * the shared arena. */
void ib_test_init(int argc, char **argv, const ib_helper *helpers);

/* The table entry's name for fn / the function for name; NULL if not listed. */
const char *ib_helper_name(ib_fn fn);
ib_fn ib_helper_fn(const char *name);

/* Run fn(arg) in a helper process (fork, then exec of this program); the
 * helper exits with fn's return value (0 = pass), or 1 if any CHECK failed. */
pid_t ib_spawn(ib_child_fn fn, int arg);
/* Wait for a child; returns 0 if it exited 0, else prints why and returns 1. */
int ib_join(pid_t pid);
/* SIGKILL a child and reap it; returns the signal that ended it, 0 if none. */
int ib_kill(pid_t pid);

/* Zeroed memory shared with this program's helpers (and their helpers),
 * mapped at the same address in each; never freed. */
void *ib_shared(size_t len);

/* ---- regions -------------------------------------------------------------- */

/* A region name unique to this test process: "/ibt-<tag>-<pid>". Unlinked
 * first in case a crashed earlier run left it. The string is in ib_shared()
 * memory, so it can be handed to a helper in an IB_SHARED pointer. */
const char *ib_test_name(const char *tag);

/* Create a region with the given geometry (0 = default). */
indexbus_region *ib_test_create(const char *name, uint32_t kind, uint32_t slots,
                                uint32_t data_size, uint32_t consumers);

/* Print the test's result line and return its exit code. */
int ib_test_done(const char *test);

#endif
