/* wake.c - futex park/wake on the region's wake section (shared futexes:
 * the waiters are in other processes, so no FUTEX_PRIVATE_FLAG). */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

int ib_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns)
{
    struct timespec ts = {(time_t)(timeout_ns / 1000000000u), (long)(timeout_ns % 1000000000u)};
    long rc = syscall(SYS_futex, word, FUTEX_WAIT, expected, &ts, NULL, 0);
    return rc == 0 ? 0 : errno;
}

void ib_futex_wake(uint32_t *word) { syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0); }

void ib_park(indexbus_wake_entry *w, ib_ready_fn ready, void *ctx, uint64_t timeout_ns)
{
    /* seq_cst RMW: pairs with the fence in ib_wake_notify */
    ib_fetch_add_seq_cst(&w->waiters, 1);
    ib_fence_seq_cst(); /* the RMW is a full barrier on x86/arm64; C11 wants the fence */
    /* read seq before re-checking: a publish after the check bumps seq and
     * makes FUTEX_WAIT return at once */
    uint32_t seq = ib_load_acquire(&w->seq);
    if (!ready(ctx))
        ib_futex_wait(&w->seq, seq, timeout_ns);
    ib_fetch_sub_seq_cst(&w->waiters, 1);
}

/* Wake every parked party, e.g. after a peer closed, so it re-checks state. */
void ib_wake_all(ib_view *v)
{
    for (uint32_t i = 0; i <= v->consumer_count; i++) {
        ib_fetch_add_seq_cst(&v->wake[i].seq, 1);
        ib_futex_wake(&v->wake[i].seq);
    }
}
