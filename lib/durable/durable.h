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
/* The region's mark as it stands (any value: a caller that compares with
 * it only refuses more marks). */
uint64_t ib_mark_current(const ib_view *v);
/* The two steps around one published piece of a marked publish by the
 * SPSC producer p (5.20): begin writes the journal (pend_pos, the SPSC
 * tail once the piece is published or its first record's byte position,
 * then pend_mark, the mark of its last message) before the piece's
 * publishing store; end, after it, makes that the mark and clears the
 * journal. */
void ib_mark_begin(indexbus_producer *p, uint64_t pend_pos, uint64_t mark);
void ib_mark_end(indexbus_producer *p, uint64_t mark);

#endif /* IB_DURABLE_H */
