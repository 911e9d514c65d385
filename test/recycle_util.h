/*
 * recycle_util.h - what the slot-recycling tests (test/recycle.c,
 * test/fanout-recycle.c) share: the pool's word as a rogue mapping sees it
 * (it stays put while nobody touches the pool), and numbered 6-byte
 * messages sent and expected in order.
 */
#ifndef RECYCLE_UTIL_H
#define RECYCLE_UTIL_H

#include "bad_util.h"

static inline uint64_t pool_word(const bad_map *m)
{
    return __atomic_load_n(&bad_pool(m)->free_head, __ATOMIC_ACQUIRE);
}

static inline void msg(char *b, uint32_t i) { snprintf(b, 16, "m%05u", i); }

static inline void send(indexbus_producer *p, uint32_t i)
{
    char b[16];
    msg(b, i);
    CHECK_ST(indexbus_publish(p, b, 6), INDEXBUS_OK);
}

static inline void expect(indexbus_consumer *c, uint32_t i)
{
    char b[16], got[64] = {0};
    size_t len = 0;
    msg(b, i);
    CHECK_ST(indexbus_try_recv(c, got, sizeof got, &len), INDEXBUS_OK);
    CHECK(len == 6 && memcmp(got, b, 6) == 0);
}

#endif /* RECYCLE_UTIL_H */
