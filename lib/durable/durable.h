/*
 * durable.h - durable delivery (LAYOUT.md 4.12, 5.20): held receive
 * (hold.c), the mark journal of marked publishes (mark.c), and the
 * region's identity and bridge counters (counters.c), on the DURABLE
 * section of a region created with INDEXBUS_CREATE_DURABLE. Internal.
 */
#ifndef IB_DURABLE_H
#define IB_DURABLE_H

#include "../common/view.h"

/* hold.c */
/* Does consumer `index` of this fanout region hold its queue (hold_mask,
 * read once)? Recovery and close keep a holder's queue for the next one. */
int ib_durable_holds(const ib_view *v, uint32_t index);

/* mark.c */
/* Resolve a pending mark journal left by an SPSC producer that died
 * mid-publish: the pending mark becomes the mark if its piece was
 * published, and is dropped if not. Called by recovery of a dead SPSC
 * producer (before a byte log's unfinished record is padded) and by a new
 * SPSC producer at open; its caller holds the SPSC producer role. */
void ib_mark_settle(const ib_view *v);

#endif /* IB_DURABLE_H */
