/*
 * harness.h - tiny test support: CHECK macros, unique region names, and
 * helper processes (fork, then the child opens the region by name itself,
 * as an unrelated process would).
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

/* A region name unique to this test process: "/ibt-<tag>-<pid>". Unlinked
 * first in case a crashed earlier run left it. */
const char *ib_test_name(const char *tag);

/* Create a region with the given geometry (0 = default). */
indexbus_region *ib_test_create(const char *name, uint32_t kind, uint32_t slots,
                                uint32_t data_size, uint32_t consumers);

/* Run fn(arg) in a child process; the child exits with fn's return value
 * (0 = pass), or 1 if any CHECK failed. */
typedef int (*ib_child_fn)(int arg);
pid_t ib_spawn(ib_child_fn fn, int arg);
/* Wait for a child; returns 0 if it exited 0, else prints why and returns 1. */
int ib_join(pid_t pid);
/* SIGKILL a child and reap it; returns the signal that ended it, 0 if none. */
int ib_kill(pid_t pid);

/* Print the test's result line and return its exit code. */
int ib_test_done(const char *test);

#endif
