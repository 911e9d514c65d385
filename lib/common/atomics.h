/*
 * atomics.h - every atomic operation and fence libindexbus uses on region
 * memory. Nothing else in lib/ touches shared memory atomically except
 * through these, so the memory-ordering contract lives in one place.
 *
 * Call sites say which operation each acquire, release, acq_rel and
 * seq_cst site pairs with ("pairs with ..." or a row of LAYOUT.md 5.2);
 * tools/check_ordering.py fails the build's checks on a site that does not.
 * Process-local atomics (handle state shared by threads) use these too.
 */
#ifndef IB_ATOMICS_H
#define IB_ATOMICS_H

#include <stdint.h>

#define ib_load_relaxed(p) __atomic_load_n((p), __ATOMIC_RELAXED)
#define ib_load_acquire(p) __atomic_load_n((p), __ATOMIC_ACQUIRE)
#define ib_store_relaxed(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)
#define ib_store_release(p, v) __atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ib_load_seq_cst(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define ib_store_seq_cst(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)

#define ib_fetch_add_relaxed(p, v) __atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define ib_fetch_add_acq_rel(p, v) __atomic_fetch_add((p), (v), __ATOMIC_ACQ_REL)
#define ib_fetch_sub_acq_rel(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_ACQ_REL)
#define ib_fetch_or_acq_rel(p, v) __atomic_fetch_or((p), (v), __ATOMIC_ACQ_REL)
#define ib_fetch_and_acq_rel(p, v) __atomic_fetch_and((p), (v), __ATOMIC_ACQ_REL)
#define ib_fetch_add_seq_cst(p, v) __atomic_fetch_add((p), (v), __ATOMIC_SEQ_CST)
#define ib_fetch_sub_seq_cst(p, v) __atomic_fetch_sub((p), (v), __ATOMIC_SEQ_CST)

/* Compare-and-swap; on failure *expected gets the current value. */
#define ib_cas_acq_rel(p, expected, desired)                                          \
    __atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_ACQ_REL, \
                                __ATOMIC_ACQUIRE)
#define ib_cas_release(p, expected, desired)                                          \
    __atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_RELEASE, \
                                __ATOMIC_RELAXED)
#define ib_cas_relaxed(p, expected, desired) \
    __atomic_compare_exchange_n((p), (expected), (desired), 0, __ATOMIC_RELAXED, __ATOMIC_RELAXED)

/*
 * Store-load barrier for the park/wake handshake (a Dekker pattern): the
 * waker publishes then reads `waiters`; the sleeper bumps `waiters` (seq_cst
 * RMW) then re-reads the queue. One of the two must see the other.
 * ThreadSanitizer does not model standalone fences, so under TSan a seq_cst
 * RMW on a private word stands in (same ordering strength on real hardware).
 */
#if defined(__SANITIZE_THREAD__)
static inline void ib_fence_seq_cst(void)
{
    static uint32_t ib_fence_word;
    __atomic_fetch_add(&ib_fence_word, 0, __ATOMIC_SEQ_CST);
}
#else
#define ib_fence_seq_cst() __atomic_thread_fence(__ATOMIC_SEQ_CST)
#endif

/*
 * The same handshake made asymmetric: wakers (producers, the router) run it
 * on every publish, sleepers only when they park. Where the kernel has
 * membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), a process that registered
 * for it (ib_notify_register, at producer and router open) needs only a
 * compiler barrier on the waker side, because the sleeper's
 * membarrier in ib_park (wake.c) makes every running thread of every registered process
 * execute a full barrier before the sleeper re-reads the queue. A process
 * that is not registered (or a forked child, which the kernel does not
 * register) keeps the seq_cst fence. TSan does not model membarrier, so
 * sanitized builds always fence.
 */
extern int ib_notify_registered; /* 1 once this process registered; reset in a forked child */

static inline void ib_notify_fence(void)
{
#if !defined(__SANITIZE_THREAD__)
    if (ib_load_relaxed(&ib_notify_registered) == 1) {
        __atomic_signal_fence(__ATOMIC_SEQ_CST); /* the sleeper's membarrier does the rest */
        return;
    }
#endif
    ib_fence_seq_cst(); /* pairs with the seq_cst add of waiters in ib_park */
}

/* Polite spin-wait hint. */
#if defined(__x86_64__) || defined(__i386__)
#define ib_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define ib_cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define ib_cpu_relax() ((void)0)
#endif

#endif /* IB_ATOMICS_H */
