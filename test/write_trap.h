/*
 * write_trap.h - stop a process after each of its stores into a memory
 * range, deterministically (x86-64 Linux): the range is made read-only, a
 * store faults (SIGSEGV), the handler opens the range and sets the trap
 * flag, the store runs, the single-step trap (SIGTRAP) calls the hook and
 * closes the range again. A hook may look at the region between any two
 * stores, change it (as another process would), or SIGKILL the process:
 * test/mpsc-batch.c kills an MPSC producer after every store of a batch.
 * Loads are never stopped. One range per process; not thread-safe.
 */
#ifndef IB_TEST_WRITE_TRAP_H
#define IB_TEST_WRITE_TRAP_H

#if defined(__x86_64__) && defined(__linux__)
#define WT_SUPPORTED 1
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

/* Called after each store into the range completes; addr: where it wrote. */
typedef void (*wt_hook)(uintptr_t addr);

static struct {
    uintptr_t lo, hi; /* page-aligned range */
    uintptr_t addr;   /* the store being stepped */
    wt_hook hook;
    volatile sig_atomic_t armed;
} wt;

static void wt_protect(int prot) { mprotect((void *)wt.lo, wt.hi - wt.lo, prot); }

static void wt_segv(int sig, siginfo_t *si, void *ctx)
{
    uintptr_t a = (uintptr_t)si->si_addr;
    if (!wt.armed || a < wt.lo || a >= wt.hi) { /* a real fault: die of it */
        signal(sig, SIG_DFL);
        return;
    }
    wt.addr = a;
    wt_protect(PROT_READ | PROT_WRITE);
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL] |= 0x100; /* TF: stop after the store */
}

static void wt_step(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL] &= ~0x100;
    if (wt.hook != NULL)
        wt.hook(wt.addr); /* the range is writable here */
    if (wt.armed)
        wt_protect(PROT_READ);
}

/* Stop after every store into the pages of [base, base + len). */
static inline void wt_arm(const void *base, size_t len, wt_hook hook)
{
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sa.sa_sigaction = wt_segv;
    sigaction(SIGSEGV, &sa, NULL);
    sa.sa_sigaction = wt_step;
    sigaction(SIGTRAP, &sa, NULL);
    wt.lo = (uintptr_t)base & ~(pg - 1);
    wt.hi = ((uintptr_t)base + len + pg - 1) & ~(pg - 1);
    wt.hook = hook;
    wt.armed = 1;
    wt_protect(PROT_READ);
}

static inline void wt_disarm(void)
{
    wt.armed = 0;
    wt_protect(PROT_READ | PROT_WRITE);
}

/* The start of this process's mapping of shm region `name` ("/x"), from
 * /proc/self/maps (the library's own mapping), or NULL. */
static inline void *wt_find_mapping(const char *name)
{
    char line[512], want[300];
    snprintf(want, sizeof want, "/dev/shm%s", name);
    FILE *f = fopen("/proc/self/maps", "r");
    void *base = NULL;
    while (f != NULL && base == NULL && fgets(line, sizeof line, f) != NULL) {
        size_t n = strlen(line);
        if (n > 0 && line[n - 1] == '\n')
            line[--n] = 0;
        size_t w = strlen(want);
        unsigned long lo;
        if (n >= w && strcmp(line + n - w, want) == 0 && sscanf(line, "%lx-", &lo) == 1)
            base = (void *)lo;
    }
    if (f != NULL)
        fclose(f);
    return base;
}
#else
#define WT_SUPPORTED 0
#endif

#endif /* IB_TEST_WRITE_TRAP_H */
