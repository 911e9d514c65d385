/*
 * liveness.h - who is attached and who died: the participant table and its
 * OFD liveness locks (LAYOUT.md 5.11, 5.13), the handle base every producer,
 * consumer and router starts with, and recovery of dead participants
 * (5.14, 5.15).
 */
#ifndef IB_LIVENESS_H
#define IB_LIVENESS_H

#include "../region/region.h"

/* ---- locks.c: the liveness and recovery lock bytes of each entry ---------- */

uint64_t ib_entry_offset(const ib_view *v, uint32_t slot);
/* OFD lock (F_WRLCK) or unlock (F_UNLCK) byte INDEXBUS_LOCK_* of an entry,
 * without waiting; 1 on success. */
int ib_lock_entry(int fd, const ib_view *v, uint32_t slot, uint32_t byte, short type);
/* The second open file description (sees our own locks as conflicts). */
int ib_open_probe(indexbus_region *r);
/* Take a free entry (its liveness lock, then ACTIVE): its index, or
 * INDEXBUS_MAX_PARTICIPANTS if none is free. */
uint32_t ib_take_entry(indexbus_region *r);
/* Free our entry: FREE, then unlock. */
void ib_release_entry(indexbus_region *r, uint32_t slot);
/* Does a handle of this process hold entry `slot`? */
int ib_is_mine(indexbus_region *r, uint32_t slot);
/* 1 alive, 0 dead (ACTIVE but its lock is gone), -1 free, -2 cannot tell. */
int ib_participant_alive(indexbus_region *r, uint32_t slot);
/* Is somebody recovering entry `slot` right now? */
int ib_being_recovered(indexbus_region *r, uint32_t slot);

/* ---- participants.c: the table, roles, handles, the consumer set --------- */

int ib_participant_attach(indexbus_region *r, uint32_t role, uint32_t index, uint32_t *slot_out);
void ib_participant_detach(indexbus_region *r, uint32_t slot, uint32_t role, uint32_t index);
/* A role's live count and (ever != NULL) its ever-attached word; NULL for
 * a value that is no role (unwritten, or garbage read by recovery). */
uint32_t *ib_live_count(ib_view *v, uint32_t role, uint32_t **ever);
/* What every handle (producer, consumer, router) starts with. */
typedef struct ib_handle {
    indexbus_region *region; /* one reference held */
    ib_view *v;
    uint32_t part;               /* our participant entry */
    uint32_t role, index;        /* as attached (never re-read from the entry) */
    indexbus_participant *entry; /* our journal for recovery */
} ib_handle;
/* A zeroed handle of `size` bytes, an ib_handle first, attached as
 * role/index; NULL with *st set on failure. */
void *ib_handle_attach(indexbus_region *r, size_t size, uint32_t role, uint32_t index, int *st);
/* Undo ib_handle_attach: detach, drop the reference, free the handle. */
void ib_handle_detach(ib_handle *h);
/* The consumer set changed: bump the epoch the router acknowledges. */
uint32_t ib_bump_consumer_epoch(ib_view *v);
/* A closing consumer stops being routed to but keeps its index. */
uint32_t ib_consumer_leaving(ib_view *v, uint32_t index, uint32_t slot);
/* may_recover: recover a dead router meanwhile (not from inside ib_recover) */
void ib_await_router(indexbus_region *r, uint32_t epoch, int may_recover);

/* ---- recover.c: recover dead participants if any; cheap when all live --- */

int ib_recover(indexbus_region *r, uint32_t flags, indexbus_recover_report *rep);
#define IB_RECOVER_BY_ROUTER 0x80000000u /* the caller is the router, between steps */

/* ---- sweep.c: rebuild the pool of a region nobody is attached to --------- */

int ib_sweep_quiet(indexbus_region *r, indexbus_recover_report *rep);

#endif /* IB_LIVENESS_H */
