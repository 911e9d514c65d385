/*
 * wake.h - park and wake on the region's wake section (LAYOUT.md 5.9): the
 * waker's side is inline (it runs on every publish), the sleeper's side,
 * the futex calls and the membarrier registration are in wake.c.
 */
#ifndef IB_WAKE_H
#define IB_WAKE_H

#include "atomics.h"
#include "view.h"

/* Bump w's sequence and wake its sleepers: the one way to end a park. */
void ib_wake_kick(indexbus_wake_entry *w);
/* Wake every parked party of the region, e.g. after a peer closed. */
void ib_wake_all(ib_view *v);

/* Waker side, after publishing: syscall only if somebody is parked. */
/* Wake w's sleepers if any; the caller has already issued the fence. */
static inline void ib_wake_if_waiting(indexbus_wake_entry *w)
{
    if (ib_load_relaxed(&w->waiters) != 0)
        ib_wake_kick(w);
}

static inline void ib_wake_notify(indexbus_wake_entry *w)
{
    /* store-load barrier; pairs with the seq_cst fetch_add of waiters and
     * the barriers after it in ib_park (wake.c), so either we see the
     * waiter or it sees our publish */
    ib_notify_fence();
    ib_wake_if_waiting(w);
}

/* Once per process, before it first notifies: register for the sleepers'
 * membarrier so that ib_notify_fence can be a compiler barrier. */
void ib_notify_register(void);

/* Sleeper side: park on w until woken, timeout_ns passes, or ready(ctx). */
typedef int (*ib_ready_fn)(void *ctx);
void ib_park(indexbus_wake_entry *w, ib_ready_fn ready, void *ctx, uint64_t timeout_ns);

#endif /* IB_WAKE_H */
