/*
 * step.h - the router's step journal (LAYOUT.md 5.10.1): a routing step
 * recorded as it is made, so that whoever recovers a dead router completes
 * its last step instead of repeating it (duplicates, a double free) or
 * dropping it half made.
 */
#ifndef IB_STEP_H
#define IB_STEP_H

#include "../common/spsc.h"
#include "../common/view.h"

typedef struct ib_step {
    uint32_t slot;      /* the message's slot */
    uint32_t src;       /* IB_SRC_* */
    uint64_t pos;       /* its position in that source queue */
    uint64_t targets;   /* consumer queues it goes into */
    uint64_t full;      /* broadcast drops: queue full */
    uint64_t no_credit; /* broadcast drops: no credit */
} ib_step;

/* Set the slot's refcount and open the journal. */
void ib_step_begin(ib_view *v, const ib_step *s);
/* Make the step's effects (queue pushes, then counters), skipping those the
 * journal cursor `resume` says were made; 0 = none were. `out` holds the
 * caller's writer side of every consumer queue, or NULL to attach them here. */
void ib_step_effects(ib_view *v, const ib_step *s, ib_spsc *out, uint64_t resume);
/* Close the journal; the caller has advanced the source. */
void ib_step_end(ib_view *v);
/* The router that owned the journal is dead: finish its open step, if any.
 * OK, or CORRUPT if the journal made no sense (it is closed either way). */
int ib_step_finish(ib_view *v);

#endif /* IB_STEP_H */
