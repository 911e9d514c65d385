/*
 * view.h - where a mapped region's sections are, as this process resolved
 * them once at open from a validated header (ib_view), and the geometry
 * they were derived from. Everything in lib/ reaches region memory through
 * an ib_view; nothing re-reads the shared header.
 *
 * The rule (LAYOUT.md 7): another process may rewrite any word of the
 * region at any moment, even between two of our reads. A word that decides
 * where we write, how much we copy or how far we loop is read once into a
 * local, checked, and only the local is used; and a word we wrote ourselves
 * is never read back to index with (keep a private copy). Geometry (slot
 * count, masks, section bases) comes from the validated ib_view only.
 */
#ifndef IB_VIEW_H
#define IB_VIEW_H

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
    uint32_t log_max_record; /* byte logs (1.1): largest payload */
    uint32_t durable;        /* 1.2: a DURABLE section (INDEXBUS_CAP_DURABLE_STATE) */
    uint32_t fanout_recycle; /* 1.3: INDEXBUS_CAP_FANOUT_RECYCLE (LAYOUT.md 5.21) */
    uint32_t mpsc_batch;     /* 1.3: INDEXBUS_CAP_MPSC_BATCH (LAYOUT.md 5.4.1) */
    uint32_t mpsc_recycle;   /* 1.3: INDEXBUS_CAP_MPSC_RECYCLE (LAYOUT.md 5.22) */
    uint64_t log_bytes;      /* byte logs (1.1): ring bytes; 0 in slot regions */
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
    uint32_t fanout_recycle; /* 1.3: INDEXBUS_CAP_FANOUT_RECYCLE (fanout only) */
    uint32_t mpsc_batch;     /* 1.3: INDEXBUS_CAP_MPSC_BATCH */
    uint32_t mpsc_recycle;   /* 1.3: INDEXBUS_CAP_MPSC_RECYCLE (events only) */
    /* byte logs (1.1) only; NULL / 0 in slot regions, whose sections above
     * are NULL / 0 in a byte log: code that reaches one checks kind first */
    indexbus_log_ctl *log;
    uint8_t *log_data;      /* log_bytes of records */
    uint64_t log_bytes;
    uint64_t log_mask;
    uint32_t log_max_record;
    uint32_t producer_wake; /* wake entry blocking producers park on: consumer_count */
    /* byte streams (1.1): the latched state, seats; NULL otherwise */
    indexbus_stream_ctl *stream;
    /* request/response (1.1); NULL / 0 otherwise */
    indexbus_rpc_ctl *rpc;
    uint8_t *rpc_cells;
    uint32_t rpc_cell_count;
    uint32_t rpc_max_request;
    uint32_t rpc_max_reply;
    uint32_t rpc_cell_stride;
    /* durable state (1.2); NULL otherwise */
    indexbus_durable_ctl *durable;
    indexbus_durable_counters *bridge_counters; /* [1 + consumer_count] */
} ib_view;

/* Byte logs and byte streams share the ring and its paths. */
static inline int ib_has_log(const ib_view *v) { return v->log != NULL; }

/* Producer queues, as held_src and step_source name them (LAYOUT.md 4.1, 4.4). */
#define IB_SRC_SPSC 0u
#define IB_SRC_MPSC 1u

#endif /* IB_VIEW_H */
