/*
 * fixture.h - the in-process fanout fixture of the router, broadcast and
 * work-queue unit cases: one fanout region (unlinked at once, the mapping is
 * all it needs) with a router, an SPSC and an MPSC producer and FX_NC
 * consumers, every handle in this process. Code in fixture.c.
 */
#ifndef IB_TEST_FIXTURE_H
#define IB_TEST_FIXTURE_H

#include "harness.h"

#define FX_DATA 64u /* slot_data_size */
#define FX_NC 3u    /* consumers */

typedef struct fx {
    indexbus_region *r;
    indexbus_router *rt;
    indexbus_producer *p; /* SPSC */
    indexbus_producer *m; /* MPSC */
    indexbus_consumer *c[FX_NC];
} fx;

/* Region ib_test_name(tag) with slots and queue capacity; every handle open. */
fx fx_setup(const char *tag, uint32_t slots, uint32_t queue);
/* Close every handle, then the region. */
void fx_teardown(fx *f);

/* Publish v (4 bytes); must succeed. */
void fx_pub_u32(indexbus_producer *p, uint32_t v);
/* try_recv must give exactly the 4 bytes of want. */
void fx_expect_u32(indexbus_consumer *c, uint32_t want);
/* try_recv must say want. */
void fx_expect_st(indexbus_consumer *c, int want);
indexbus_info fx_info(indexbus_region *r);

#endif
