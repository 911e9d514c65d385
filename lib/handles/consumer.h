/*
 * consumer.h - the consumer handle, shared by the slot-region paths
 * (consumer.c) and the byte-log paths (log_consumer.c).
 */
#ifndef IB_CONSUMER_H
#define IB_CONSUMER_H

#include "../common/logring.h"
#include "../common/spsc.h"
#include "../liveness/liveness.h"

struct indexbus_consumer {
    ib_handle h; /* first: region, view, entry, index */
    ib_spsc q;         /* events: SPSC producer queue; fanout: own queue */
    uint64_t mpsc_pos; /* events: MPSC head */
    uint32_t turn;     /* events: queue to try first */
    uint32_t borrowed; /* slot index, or NIL; byte logs: 0 while borrowing, else NIL */
    uint32_t borrowed_parks; /* the borrowed slot goes back through its SPSC cell */
    uint32_t spsc_pending;   /* SPSC head moved locally, not yet published */
    uint64_t delivered; /* events, byte logs: mirror of the consumer's delivered counter */
    indexbus_wake_entry *wake;
    /* events: the blocking producers' wake entry, notified as we free room;
     * NULL in fanout, where the router frees the producers' room and the
     * entry is the router's own */
    indexbus_wake_entry *room;
    ib_log_reader log; /* byte logs */
};

/* consumer.c */
int ib_producers_gone(const ib_view *v);
/* indexbus_consumer_open without the kind check (the stream reader uses it) */
int ib_consumer_open(indexbus_region *region, uint32_t index, indexbus_consumer **out);
int ib_consumer_empty_status(indexbus_consumer *c);

/* log_consumer.c: the byte-log paths of the public calls */
int ib_log_disconnected(indexbus_consumer *c);
int ib_log_peek_any(indexbus_consumer *c);
int ib_log_try_recv(indexbus_consumer *c, void *buf, size_t cap, size_t *len);
int ib_log_recv_begin(indexbus_consumer *c, const void **data, size_t *len);
int ib_log_recv_end(indexbus_consumer *c);
int ib_log_recv_batch(indexbus_consumer *c, void *buf, size_t cap, uint32_t *lens,
                      size_t max_msgs, size_t *count);

#endif /* IB_CONSUMER_H */
