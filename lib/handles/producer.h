/*
 * producer.h - the producer handle, shared by the slot-region paths
 * (producer.c), the byte-log paths (log_producer.c) and blocking
 * (blocking.c).
 */
#ifndef IB_PRODUCER_H
#define IB_PRODUCER_H

#include "../common/logring.h"
#include "../common/mpsc.h"
#include "../common/spsc.h"
#include "../liveness/liveness.h"

/* SPSC slots put into cells but not yet published, at most this many at a
 * time: a longer batch is published in pieces of this size. */
#define IB_PENDING_MAX 64u
/* an MPSC batch chunk is at most one reservation (LAYOUT.md 5.4.1) */
_Static_assert(IB_PENDING_MAX <= IB_MPSC_BATCH_MAX, "MPSC chunk larger than a reservation");

struct indexbus_producer {
    ib_handle h; /* first: region, view, entry */
    uint32_t type;
    uint32_t claimed;   /* slot index, or NIL */
    uint32_t npending;  /* SPSC: entries of pending[] put, not yet published */
    uint32_t pending[IB_PENDING_MAX]; /* their slot indices: our copy, not the cells' */
    ib_spsc q;          /* SPSC producer queue, writer side */
    uint64_t published; /* SPSC: mirror of counters.published_spsc */
    uint64_t mark;      /* SPSC on durable regions: the region's mark, our copy (5.20) */
    indexbus_wake_entry *wake; /* whom to wake: events consumer or fanout router */
    /* byte logs */
    ib_log_writer log;
    uint32_t log_claim;  /* 0 none, 1 a record (claim_len), 2 a batch */
    uint32_t log_len;    /* record claimed: its length */
    uint32_t *log_lens;  /* batch claimed: our copy of the lengths */
    size_t log_count, log_lens_cap;
};

/* producer.c */
int ib_consumers_gone(const ib_view *v);
/* publish_batch on slot regions; with marks (else NULL), each piece goes
 * through the mark journal (5.20): the caller checked the marks */
int ib_slot_publish_batch(indexbus_producer *p, const void *data, const uint32_t *lens,
                          const uint64_t *marks, size_t count, size_t *published);
/* indexbus_producer_open without the kind check (stream writers use it) */
int ib_producer_open(indexbus_region *region, uint32_t type, indexbus_producer **out);

/* log_producer.c: the byte-log paths of the public calls */
int ib_log_producer_init(indexbus_producer *p);
int ib_log_claim_len(indexbus_producer *p, size_t len, void **buf);
int ib_log_commit(indexbus_producer *p, size_t len);
int ib_log_abort(indexbus_producer *p);
/* Copy n records of lens[i] bytes, packed back to back at src, into the
 * reservation in hand, publish them with one header store, count them and
 * wake the consumer; returns the bytes copied. */
size_t ib_log_fill_publish(indexbus_producer *p, const uint8_t *src, const uint32_t *lens,
                           size_t n);
/* marks: as for ib_slot_publish_batch */
int ib_log_publish_batch(indexbus_producer *p, const void *data, const uint32_t *lens,
                         const uint64_t *marks, size_t count, size_t *published);

#endif /* IB_PRODUCER_H */
