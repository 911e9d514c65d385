/* clock.h - the two clocks: realtime for attach and creation stamps,
 * monotonic for every timeout. */
#ifndef IB_CLOCK_H
#define IB_CLOCK_H

#include <stdint.h>

uint64_t ib_now_realtime_ns(void);
uint64_t ib_now_monotonic_ns(void);

#endif /* IB_CLOCK_H */
