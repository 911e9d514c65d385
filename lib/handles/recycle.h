/*
 * recycle.h - fanout slot recycling (INDEXBUS_CAP_FANOUT_RECYCLE, LAYOUT.md
 * 5.21), the router's side: slots the consumers parked in their queue cells
 * go back to the SPSC producer through the source cell each step consumes,
 * or to the pool, without the consumers or the SPSC producer touching the
 * pool per message.
 */
#ifndef IB_RECYCLE_H
#define IB_RECYCLE_H

#include "../common/spsc.h"
#include "../common/view.h"
#include "step.h"

/* Live router, step journal open, before any push: take back the slots
 * parked in the cells the step's pushes will overwrite. */
void ib_recycle_take_back(const ib_view *v, const ib_step *s, ib_spsc *out);
/* Recovery of a dead router's open step, before its pushes are redone:
 * finish a hand-back the router left half made. */
void ib_recycle_finish(const ib_view *v, const ib_step *s);
/* Recovery, about to redo the push into q (queue i): a slot still parked
 * in the cell it overwrites would be lost, so it goes to the pool. */
void ib_recycle_orphan(const ib_view *v, ib_spsc *q, uint32_t i);
/* Live router with nothing to route: if the pool is empty, give it every
 * slot parked in a consumer cell head has passed. Returns how many. */
uint32_t ib_recycle_reclaim(const ib_view *v, ib_spsc *out);

#endif /* IB_RECYCLE_H */
