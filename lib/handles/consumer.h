/*
 * consumer.h - the consumer handle, shared by the slot-region paths
 * (consumer.c), the byte-log paths (log_consumer.c) and held receive
 * (durable/hold.c).
 */
#ifndef IB_CONSUMER_H
#define IB_CONSUMER_H

#include "../common/logring.h"
#include "../common/spsc.h"
#include "../liveness/liveness.h"

/* One entry a HOLD consumer's read-ahead cursor passed and the region has
 * not (LAYOUT.md 5.20): a held message, or a corrupt entry that release
 * passes with the messages around it. Private memory: our own copies. */
#define IB_HELD_CORRUPT 0x1u /* not a message: passed (and not counted) at release */
#define IB_HELD_UNREF 0x2u   /* corrupt with a sound index: drop our reference at release */
typedef struct ib_held {
    uint64_t pos;   /* queue position, or a byte log's record position */
    uint32_t idx;   /* slot index (slot regions) */
    uint32_t len;   /* payload bytes (byte logs) */
    uint32_t src;   /* IB_SRC_* (events) */
    uint32_t flags; /* IB_HELD_* */
} ib_held;

struct indexbus_consumer {
    ib_handle h; /* first: region, view, entry, index */
    ib_spsc q;         /* events: SPSC producer queue; fanout: own queue */
    uint64_t mpsc_pos; /* events: MPSC head */
    uint32_t turn;     /* events: queue to try first */
    uint32_t borrowed; /* slot index, or NIL; byte logs: 0 while borrowing, else NIL */
    uint32_t borrowed_parks; /* the borrowed slot goes back through its cell (5.16, 5.22) */
    uint32_t borrowed_src;   /* the queue it came from (IB_SRC_*) */
    uint32_t spsc_pending;   /* SPSC head moved locally, not yet published */
    uint64_t delivered; /* events, byte logs: mirror of the consumer's delivered counter */
    indexbus_wake_entry *wake;
    /* events: the blocking producers' wake entry, notified as we free room;
     * NULL in fanout, where the router frees the producers' room and the
     * entry is the router's own */
    indexbus_wake_entry *room;
    ib_log_reader log; /* byte logs */
    /* INDEXBUS_CONSUMER_HOLD (durable/hold.c): read-ahead cursors ahead of
     * the region-visible heads above (q, mpsc_pos, log), and the FIFO of
     * what lies between them, oldest first */
    uint32_t hold;      /* 1: opened with INDEXBUS_CONSUMER_HOLD */
    uint32_t max_held;  /* most messages held at once */
    ib_spsc hq;         /* events SPSC / fanout own queue: the cursor (reader side) */
    uint64_t hmpsc;     /* events MPSC: the cursor (SKIP cells passed locally) */
    ib_log_reader hlog; /* byte logs: the cursor (read; head mirrors log.head) */
    ib_held *held;      /* FIFO ring of held_cap entries */
    uint32_t held_cap, held_first, held_count; /* entries, messages among them below */
    uint32_t held_msgs;
    uint32_t held_src[2]; /* events: entries per source */
};

/* consumer.c */
int ib_producers_gone(const ib_view *v);
/* indexbus_consumer_open without the kind check (the stream reader uses
 * it); hold: 0, or max_held for INDEXBUS_CONSUMER_HOLD */
int ib_consumer_open(indexbus_region *region, uint32_t index, indexbus_consumer **out);
int ib_consumer_open_hold(indexbus_region *region, uint32_t index, uint32_t max_held,
                          indexbus_consumer **out);
int ib_consumer_empty_status(indexbus_consumer *c);
/* The steps a receive takes, shared with held release (durable/hold.c):
 * journal + consume the region cell (take), give the slot back, park a
 * slot in its cell (SPSC head published once, by commit), pass a bad entry. */
void ib_consumer_take(indexbus_consumer *c, uint32_t idx, uint32_t src);
void ib_consumer_give_back(indexbus_consumer *c, uint32_t idx);
int ib_consumer_parks(const indexbus_consumer *c, uint32_t src);
void ib_consumer_park(indexbus_consumer *c, uint32_t idx, uint32_t src);
void ib_consumer_commit_spsc(indexbus_consumer *c);
void ib_consumer_skip(indexbus_consumer *c, uint32_t src);

/* durable/hold.c: held receive on slot regions */
int ib_hold_init(indexbus_consumer *c, uint32_t max_held);
void ib_hold_free(indexbus_consumer *c);
/* Next entry at the cursors (events: either queue, fairly); as peek. */
int ib_hold_peek(indexbus_consumer *c, uint32_t *idx, uint32_t *src);
/* Fanout: mark index held (a holder opens) or not (a non-holder drained it). */
void ib_hold_mark(indexbus_consumer *c, int held);
ib_held *ib_hold_push(indexbus_consumer *c);
ib_held *ib_hold_at(indexbus_consumer *c, uint32_t k);
void ib_hold_pop(indexbus_consumer *c);
/* max_held messages held, or the FIFO full of them and corrupt entries */
int ib_hold_full(const indexbus_consumer *c);

/* log_consumer.c: the byte-log paths of the public calls */
int ib_log_disconnected(indexbus_consumer *c);
int ib_log_peek_any(indexbus_consumer *c);
int ib_log_try_recv(indexbus_consumer *c, void *buf, size_t cap, size_t *len);
int ib_log_recv_begin(indexbus_consumer *c, const void **data, size_t *len);
int ib_log_recv_end(indexbus_consumer *c);
int ib_log_recv_batch(indexbus_consumer *c, void *buf, size_t cap, uint32_t *lens,
                      size_t max_msgs, size_t *count);
int ib_log_recv_held(indexbus_consumer *c, void *buf, size_t cap, size_t *len, uint64_t *position);
void ib_log_release_held(indexbus_consumer *c, size_t count);

#endif /* IB_CONSUMER_H */
