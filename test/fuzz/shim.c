/*
 * shim.c - the OS test doubles of shim.h for the library sources of the
 * fuzzer build. Compiled WITHOUT the -include, so the calls below are the
 * real ones.
 */
#include <errno.h>
#include <linux/futex.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h" /* prototypes only: the renaming macros are undone below */
#undef mmap
#undef munmap
#undef clock_gettime
#undef sched_yield
#undef nanosleep
#undef syscall

/* ---- guarded mappings ---------------------------------------------------------- */

#define GUARD_BYTES ((size_t)1 << 20) /* 1 MiB of PROT_NONE each side */
#define PAGE_ROUND(n) (((n) + 4095u) & ~(size_t)4095u)

void *ibfuzz_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    if (addr != NULL || (flags & MAP_FIXED) || len == 0 || len > ((size_t)1 << 40)) {
        /* not a shape the library used when this was written: the guard
         * bookkeeping in munmap would be wrong, so stop loudly */
        fprintf(stderr, "shim: unexpected mmap(%p, %zu, flags %#x); update test/fuzz/shim.c\n",
                addr, len, (unsigned)flags);
        abort();
    }
    size_t span = PAGE_ROUND(len) + 2 * GUARD_BYTES;
    uint8_t *res = mmap(NULL, span, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res == MAP_FAILED)
        return MAP_FAILED;
    void *m = mmap(res + GUARD_BYTES, len, prot, flags | MAP_FIXED, fd, off);
    if (m == MAP_FAILED) {
        int e = errno;
        munmap(res, span);
        errno = e;
        return MAP_FAILED;
    }
    return m;
}

int ibfuzz_munmap(void *addr, size_t len)
{
    /* every mapping the library unmaps came from ibfuzz_mmap with the same
     * length (it keeps map_len / unit for exactly that) */
    if (addr == NULL || len == 0) {
        errno = EINVAL;
        return -1;
    }
    return munmap((uint8_t *)addr - GUARD_BYTES, PAGE_ROUND(len) + 2 * GUARD_BYTES);
}

/* ---- warped time ------------------------------------------------------------------ */

static uint64_t warp_ns; /* added to CLOCK_MONOTONIC; only ever grows */

int ibfuzz_clock_gettime(clockid_t clk, struct timespec *ts)
{
    int rc = clock_gettime(clk, ts);
    if (rc == 0 && clk == CLOCK_MONOTONIC && warp_ns != 0) {
        uint64_t ns = (uint64_t)ts->tv_nsec + warp_ns % 1000000000u;
        ts->tv_sec += (time_t)(warp_ns / 1000000000u + ns / 1000000000u);
        ts->tv_nsec = (long)(ns % 1000000000u);
    }
    return rc;
}

int ibfuzz_sched_yield(void)
{
    warp_ns += 1000000u;
    return 0;
}

int ibfuzz_nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (req == NULL || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L || req->tv_sec < 0) {
        errno = EINVAL;
        return -1;
    }
    warp_ns += (uint64_t)req->tv_sec * 1000000000u + (uint64_t)req->tv_nsec;
    if (rem != NULL)
        rem->tv_sec = 0, rem->tv_nsec = 0;
    return 0;
}

/* ---- futexes ---------------------------------------------------------------------- */

long ibfuzz_syscall(long nr, ...)
{
    va_list ap;
    va_start(ap, nr);
    if (nr == SYS_futex) {
        uint32_t *word = va_arg(ap, uint32_t *);
        int op = va_arg(ap, int) & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        uint32_t val = va_arg(ap, unsigned int);
        const struct timespec *ts = va_arg(ap, const struct timespec *);
        va_end(ap);
        if (op == FUTEX_WAKE)
            return 0; /* nobody else maps the fuzzer's region */
        if (op == FUTEX_WAIT) {
            if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != val) {
                errno = EAGAIN;
                return -1;
            }
            if (ts == NULL) {
                fprintf(stderr, "shim: untimed FUTEX_WAIT in a single-process fuzzer: a hang\n");
                abort();
            }
            ibfuzz_nanosleep(ts, NULL);
            errno = ETIMEDOUT;
            return -1;
        }
        fprintf(stderr, "shim: unexpected futex op %d\n", op);
        abort();
    }
    long a1 = va_arg(ap, long), a2 = va_arg(ap, long), a3 = va_arg(ap, long);
    long a4 = va_arg(ap, long), a5 = va_arg(ap, long), a6 = va_arg(ap, long);
    va_end(ap);
    return syscall(nr, a1, a2, a3, a4, a5, a6);
}
