/* clock.h - the two clocks: realtime for attach and creation stamps,
 * monotonic for every timeout. */
#ifndef IB_CLOCK_H
#define IB_CLOCK_H

#include <stdint.h>

uint64_t ib_now_realtime_ns(void);
uint64_t ib_now_monotonic_ns(void);

/* The monotonic time timeout_ns after now, saturating (UINT64_MAX: never). */
static inline uint64_t ib_deadline(uint64_t now, uint64_t timeout_ns)
{
    return timeout_ns > UINT64_MAX - now ? UINT64_MAX : now + timeout_ns;
}

#endif /* IB_CLOCK_H */
