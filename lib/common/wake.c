/* wake.c - futex park/wake on the region's wake section (shared futexes:
 * the waiters are in other processes, so no FUTEX_PRIVATE_FLAG). */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "wake.h"

static int ib_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns)
{
    struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
    return rc == 0 ? 0 : errno;
}

static void ib_futex_wake(uint32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); }

/* ---- asymmetric store-load barrier (atomics.h) ------------------------------ */

int ib_notify_registered; /* 0 unknown, 1 registered, -1 cannot */
static int ib_membarrier_global; /* 1 if MEMBARRIER_CMD_GLOBAL_EXPEDITED works here */
static pthread_once_t ib_membarrier_once = PTHREAD_ONCE_INIT;

static long membarrier(int cmd) { return syscall(SYS_membarrier, cmd, 0, 0); }

/* The kernel gives a forked child a fresh, unregistered mm. */
static void notify_forked(void) { ib_store_relaxed(&ib_notify_registered, 0); }

static void membarrier_probe(void)
{
    long cmds = membarrier(MEMBARRIER_CMD_QUERY);
    ib_membarrier_global = cmds > 0 && (cmds & MEMBARRIER_CMD_GLOBAL_EXPEDITED) &&
                           (cmds & MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED);
    pthread_atfork(NULL, NULL, notify_forked);
}

void ib_notify_register(void)
{
    pthread_once(&ib_membarrier_once, membarrier_probe);
    if (ib_load_relaxed(&ib_notify_registered) != 0)
        return;
    int ok = ib_membarrier_global && membarrier(MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED) == 0;
    ib_store_relaxed(&ib_notify_registered, ok ? 1 : -1);
}

/* Sleeper side: every registered waker executes a full barrier now. */
static void park_barrier(void)
{
    pthread_once(&ib_membarrier_once, membarrier_probe);
    if (ib_membarrier_global)
        membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED);
}

void ib_park(indexbus_wake_entry *w, ib_ready_fn ready, void *ctx, uint64_t timeout_ns)
{
    /* seq_cst RMW: pairs with ib_notify_fence in ib_wake_notify (a fence,
     * or for registered wakers the membarrier below) */
    ib_fetch_add_seq_cst(&w->waiters, 1);
    /* the RMW is a full barrier on x86/arm64; C11 wants the fence.
     * Like the RMW, it pairs with the wakers' ib_notify_fence */
    ib_fence_seq_cst();
    park_barrier();
    /* read seq before re-checking: a publish after the check bumps seq and
     * makes FUTEX_WAIT return at once; pairs with the bump in ib_wake_kick */
    uint32_t seq = ib_load_acquire(&w->seq);
    if (!ready(ctx))
        ib_futex_wait(&w->seq, seq, timeout_ns);
    ib_fetch_sub_seq_cst(&w->waiters, 1); /* pairs with the wakers' fence, as the add above */
}

void ib_wake_kick(indexbus_wake_entry *w)
{
    /* pairs with the sleeper's acquire load of seq in ib_park: a bump
     * after that load makes its FUTEX_WAIT return at once */
    ib_fetch_add_seq_cst(&w->seq, 1);
    ib_futex_wake(&w->seq);
}

/* Wake every parked party, e.g. after a peer closed, so it re-checks state. */
void ib_wake_all(ib_view *v)
{
    for (uint32_t i = 0; i <= v->consumer_count; i++)
        ib_wake_kick(&v->wake[i]);
}
