/*
 * shim.h - force-included (-include) into the library sources of the fuzzer
 * build only; shim.c implements it. Two test doubles for the OS:
 *
 *  - Guarded mappings. Every mmap/munmap the library makes gets PROT_NONE
 *    guard space on both sides. ASan does not instrument file mappings, so
 *    without guards an access just past a region could land silently in a
 *    neighbouring mapping; with them it is a SEGV at once, which libFuzzer
 *    reports as a crash.
 *
 *  - Warped time. The library's bounded waits (a consumer waiting up to
 *    50 ms for a router ack, the open loop waiting for `ready`) are correct
 *    but would cut the fuzzer to a few hundred executions a second whenever
 *    the region says a router is attached. Here sched_yield() and
 *    nanosleep() return at once and move CLOCK_MONOTONIC forward instead
 *    (1 ms per yield, the requested time per sleep), so every deadline still
 *    expires after the same number of polls. CLOCK_REALTIME is untouched.
 *    A wait that does not poll the clock would still hang, and libFuzzer's
 *    -timeout reports it.
 *
 *  - Futexes. The region file is private to the fuzzing process, so there
 *    is never a waiter in another process: FUTEX_WAKE returns at once
 *    (saving a syscall per wake, a good share of an execution), and a timed
 *    FUTEX_WAIT on an unchanged word "sleeps" by moving the warped clock
 *    (nothing else could wake it). An untimed wait aborts: it would hang.
 *    Any other syscall() goes to the kernel.
 */
#ifndef IB_FUZZ_SHIM_H
#define IB_FUZZ_SHIM_H

#include <sched.h>
#include <unistd.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>

void *ibfuzz_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int ibfuzz_munmap(void *addr, size_t len);
int ibfuzz_clock_gettime(clockid_t clk, struct timespec *ts);
int ibfuzz_sched_yield(void);
int ibfuzz_nanosleep(const struct timespec *req, struct timespec *rem);
long ibfuzz_syscall(long nr, ...);

#define mmap ibfuzz_mmap
#define munmap ibfuzz_munmap
#define clock_gettime ibfuzz_clock_gettime
#define sched_yield ibfuzz_sched_yield
#define nanosleep ibfuzz_nanosleep
#define syscall ibfuzz_syscall

#endif /* IB_FUZZ_SHIM_H */
