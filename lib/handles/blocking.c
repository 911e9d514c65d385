/* blocking.c - producers that wait for room (LAYOUT.md 5.9): claim_wait
 * and publish_wait, for every region kind. Spin, then park on the
 * producers' wake entry until the consumer (events, byte logs) or the
 * router (fanout) frees space. Parks are short, because a 1.0 consumer
 * never wakes producers, and recovery runs now and then, because a dead
 * consumer may be what holds the space. */
#include <string.h>

#include "../common/clock.h"
#include "../common/wake.h"
#include "producer.h"

#define IB_PRODUCER_SPIN_POLLS 1000u
#define IB_PRODUCER_MAX_PARK_NS 1000000ull /* re-check at least every 1 ms */
#define IB_PRODUCER_RECOVER_EVERY 64u      /* parks between recoveries */

/* Words that change when space comes free; a park ends when their sum
 * does. Statistics-grade reads: never used as an index (LAYOUT.md 7). */
static uint64_t progress(const ib_view *v)
{
    if (ib_has_log(v))
        return ib_load_relaxed(&v->log->head);
    return ib_load_relaxed(&v->spsc->head) + ib_load_relaxed(&v->mpsc->head) +
           ib_load_relaxed(&v->pool->free_head);
}

typedef struct park_ctx {
    const ib_view *v;
    uint64_t seen;
} park_ctx;

static int room_or_gone(void *arg)
{
    park_ctx *c = arg;
    return progress(c->v) != c->seen || ib_consumers_gone(c->v);
}

typedef int (*attempt_fn)(indexbus_producer *p, const void *data, size_t len, void **buf);

static int try_claim(indexbus_producer *p, const void *data, size_t len, void **buf)
{
    (void)data;
    return indexbus_claim_len(p, len, buf);
}

static int try_publish(indexbus_producer *p, const void *data, size_t len, void **buf)
{
    (void)buf;
    return indexbus_publish(p, data, len);
}

/* Retry `attempt` while it says FULL, until timeout_ns has passed. */
static int wait_for_room(indexbus_producer *p, attempt_fn attempt, const void *data, size_t len,
                         void **buf, uint64_t timeout_ns)
{
    const ib_view *v = p->h.v;
    uint64_t deadline = 0;
    uint32_t parks = 0;
    for (uint32_t polls = 0;; polls++) {
        park_ctx c = {v, progress(v)}; /* before the attempt: a change after it ends the park */
        int st = attempt(p, data, len, buf);
        if (st != INDEXBUS_FULL)
            return st;
        if (polls < IB_PRODUCER_SPIN_POLLS) {
            ib_cpu_relax();
            continue;
        }
        uint64_t now = ib_now_monotonic_ns();
        if (deadline == 0)
            deadline = ib_deadline(now, timeout_ns);
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        uint64_t left = deadline - now;
        ib_park(&p->h.v->wake[v->producer_wake], room_or_gone, &c,
                left < IB_PRODUCER_MAX_PARK_NS ? left : IB_PRODUCER_MAX_PARK_NS);
        /* the first park of a call, then every so often: a short timeout
         * must still find a dead consumer */
        if (++parks % IB_PRODUCER_RECOVER_EVERY == 1) {
            indexbus_recover_report rep = {.size = sizeof(rep)};
            ib_recover(p->h.region, 0, &rep);
        }
    }
}

INDEXBUS_API int indexbus_claim_wait(indexbus_producer *p, size_t len, void **buf,
                                     uint64_t timeout_ns)
{
    if (p == NULL || buf == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    return wait_for_room(p, try_claim, NULL, len, buf, timeout_ns);
}

INDEXBUS_API int indexbus_publish_wait(indexbus_producer *p, const void *data, size_t len,
                                       uint64_t timeout_ns)
{
    if (p == NULL || (data == NULL && len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    return wait_for_room(p, try_publish, data, len, NULL, timeout_ns);
}
