/*
 * internal.h - process-local handle structs and internal (ib_) functions.
 * Nothing here is exported; see indexbus.h for the public contract.
 */
#ifndef IB_INTERNAL_H
#define IB_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include <indexbus/indexbus.h>
#include <indexbus/layout.h>

#define IB_ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((uint64_t)(a)-1))

/* Where every v1 section sits, derived from the geometry alone. */
typedef struct ib_geometry {
    uint32_t kind;
    uint32_t slot_count;
    uint32_t slot_data_size;
    uint32_t slot_stride;
    uint32_t queue_capacity;
    uint32_t consumer_count;
    uint32_t section_count;
    uint32_t recycle; /* INDEXBUS_CAP_SPSC_RECYCLE: SPSC slots recycle through their cells */
    uint64_t total_bytes;
    indexbus_section_entry sections[INDEXBUS_MAX_SECTIONS];
} ib_geometry;

/* Mapped-region views, resolved once at open from a validated geometry. */
typedef struct ib_view {
    uint8_t *base;
    indexbus_participants_section *parts;
    indexbus_counters_global *counters;
    indexbus_counters_consumer *consumer_counters; /* [consumer_count] */
    indexbus_wake_entry *wake;                     /* [consumer_count + 1] */
    indexbus_router_section *router;               /* fanout only */
    indexbus_spsc_ctl *spsc;
    uint32_t *spsc_cells;
    indexbus_mpsc_ctl *mpsc;
    indexbus_mpsc_cell *mpsc_cells;
    uint8_t *consumer_queues; /* fanout: consumer_count queues of cq_stride bytes */
    uint64_t cq_stride;
    indexbus_pool_ctl *pool;
    uint8_t *slots;
    uint32_t kind;
    uint32_t slot_count;
    uint32_t slot_data_size;
    uint32_t slot_stride;
    uint32_t queue_capacity;
    uint32_t queue_mask;
    uint32_t consumer_count;
    uint32_t recycle; /* INDEXBUS_CAP_SPSC_RECYCLE (events only) */
} ib_view;

struct indexbus_region {
    ib_view v;
    size_t map_len;
    int fd;        /* holds this process's liveness locks (one OFD) */
    int probe_fd;  /* a second OFD: sees our own locks as conflicts; -1 until needed */
    uint32_t refs; /* user ref + one per open handle; atomic */
    uint64_t mine[INDEXBUS_MAX_PARTICIPANTS / 64]; /* atomic: entries this process locked */
    char name[256];
    /* The header as written (create) or validated (open): info reports this
     * copy, never the shared header, which anyone may rewrite (LAYOUT.md 7). */
    indexbus_region_header hdr;
};

/* geometry.c */
int ib_geometry_compute(uint32_t kind, uint32_t slot_count, uint32_t slot_data_size,
                        uint32_t queue_capacity, uint32_t consumer_count, ib_geometry *g);
int ib_header_validate(const indexbus_region_header *h, uint64_t file_size, ib_geometry *g);
void ib_view_init(ib_view *v, uint8_t *base, const ib_geometry *g);

/* region.c */
void ib_region_ref(indexbus_region *r);
void ib_region_unref(indexbus_region *r);
uint64_t ib_now_realtime_ns(void);
uint64_t ib_now_monotonic_ns(void);

/* participants.c: attach/detach in the participant table, liveness. */
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
/* 1 alive, 0 dead (ACTIVE but its lock is gone), -1 free, -2 cannot tell. */
int ib_participant_alive(indexbus_region *r, uint32_t slot);
/* Is somebody recovering entry `slot` right now? */
int ib_being_recovered(indexbus_region *r, uint32_t slot);
int ib_open_probe(indexbus_region *r);
uint64_t ib_entry_offset(const ib_view *v, uint32_t slot);
/* may_recover: recover a dead router meanwhile (not from inside ib_recover) */
void ib_await_router(indexbus_region *r, uint32_t epoch, int may_recover);
/* OFD lock (F_WRLCK) or unlock (F_UNLCK) byte INDEXBUS_LOCK_* of an entry,
 * without waiting; 1 on success. */
int ib_lock_entry(int fd, const ib_view *v, uint32_t slot, uint32_t byte, short type);
int ib_is_mine(indexbus_region *r, uint32_t slot);
/* recover.c: recover dead participants if any; cheap when all are alive. */
int ib_recover(indexbus_region *r, uint32_t flags, indexbus_recover_report *rep);
#define IB_RECOVER_BY_ROUTER 0x80000000u /* the caller is the router, between steps */
uint32_t ib_bump_consumer_epoch(ib_view *v);
uint32_t ib_consumer_leaving(ib_view *v, uint32_t index, uint32_t slot);

/* wake.c */
void ib_wake_all(ib_view *v);
int ib_futex_wait(uint32_t *word, uint32_t expected, uint64_t timeout_ns);
/* Bump w's sequence and wake its sleepers: the one way to end a park. */
void ib_wake_kick(indexbus_wake_entry *w);

#endif /* IB_INTERNAL_H */
