/*
 * indexbus/indexbus.h - the whole public contract of libindexbus.
 *
 * Conventions
 *  - Every function returns an int status (enum indexbus_status) unless it
 *    says otherwise; results come back through out-parameters.
 *  - Handles are opaque. A handle must not be used by two threads at once;
 *    open one producer per thread instead (MPSC producers are built for it).
 *  - No thread-local error state, no callbacks, no inline functions.
 *  - Structs passed in or out start with a `size` field that the caller sets
 *    to sizeof(struct); newer libraries only append fields and keep
 *    accepting every size an older release used.
 */
#ifndef INDEXBUS_H
#define INDEXBUS_H

#include <stddef.h>
#include <stdint.h>

#include <indexbus/layout.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(INDEXBUS_BUILDING) && defined(__GNUC__)
#define INDEXBUS_API __attribute__((visibility("default")))
#else
#define INDEXBUS_API
#endif

/* ---- versions ------------------------------------------------------------ */

#define INDEXBUS_VERSION_MAJOR 1
#define INDEXBUS_VERSION_MINOR 0
#define INDEXBUS_VERSION_PATCH 0
#define INDEXBUS_VERSION_STRING "1.0.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define INDEXBUS_VERSION_NUMBER \
    (INDEXBUS_VERSION_MAJOR * 10000 + INDEXBUS_VERSION_MINOR * 100 + INDEXBUS_VERSION_PATCH)

/* Runtime library version as INDEXBUS_VERSION_NUMBER. */
INDEXBUS_API uint32_t indexbus_version(void);
/* Runtime library version as "MAJOR.MINOR.PATCH". */
INDEXBUS_API const char *indexbus_version_string(void);
/* Newest region layout this library writes: (major << 16) | minor. (It
 * writes events and fanout regions as 1.0, byte logs as 1.1.) */
INDEXBUS_API uint32_t indexbus_layout_version(void);

/* ---- status codes (values are frozen) ------------------------------------ */

enum indexbus_status {
    INDEXBUS_OK = 0,
    INDEXBUS_FULL = 1,              /* no free slot or queue space; retry later */
    INDEXBUS_EMPTY = 2,             /* nothing to receive or route */
    INDEXBUS_TOO_LARGE = 3,         /* payload longer than the slot data size (byte log: max_record) */
    INDEXBUS_BUFFER_TOO_SMALL = 4,  /* message left in place; *len says how big */
    INDEXBUS_INCOMPATIBLE = 5,      /* not an IndexBus region, or a newer major */
    INDEXBUS_NOT_READY = 6,         /* creator has not finished initialising */
    INDEXBUS_INVALID_ARGUMENT = 7,  /* NULL, bad flag, bad geometry, ... */
    INDEXBUS_WRONG_KIND = 8,        /* call does not apply to this region kind */
    INDEXBUS_TIMEOUT = 9,
    INDEXBUS_DISCONNECTED = 10,     /* every peer on the other side has closed */
    INDEXBUS_CORRUPT = 11,          /* region contents fail validation */
    INDEXBUS_PERMISSION = 12,
    INDEXBUS_EXISTS = 13,
    INDEXBUS_NOT_FOUND = 14,
    INDEXBUS_IO = 15,               /* an OS call failed */
    INDEXBUS_BUSY = 16,             /* exclusive role already attached, or participant table full */
    INDEXBUS_NO_MEMORY = 17,
    INDEXBUS_OUT_OF_RANGE = 18,     /* consumer index >= consumer_count */
    INDEXBUS_BAD_STATE = 19,        /* e.g. commit without claim, recv while borrowing */
};
#define INDEXBUS_STATUS_COUNT 20

/* Text for any status, never NULL ("unknown status" for unknown values). */
INDEXBUS_API const char *indexbus_strerror(int status);
/* Symbolic name, e.g. "INDEXBUS_FULL"; never NULL. */
INDEXBUS_API const char *indexbus_status_name(int status);

/* ---- handles ------------------------------------------------------------- */

typedef struct indexbus_region indexbus_region;
typedef struct indexbus_producer indexbus_producer;
typedef struct indexbus_router indexbus_router;
typedef struct indexbus_consumer indexbus_consumer;

/* ---- region lifecycle ---------------------------------------------------- */

/*
 * Names: a name with no '/' after its first character ("orders" or
 * "/orders") is POSIX shared memory (shm_open). Anything else ("/dev/hugepages/x",
 * "./x") is a file path, opened with O_NOFOLLOW.
 */

#define INDEXBUS_CREATE_PREFAULT 0x1u /* touch every page at creation */
/* 1.3: give the region durable state (layout 1.2, LAYOUT.md 4.12): marked
 * publishes, held fanout queues that survive their consumer, bridge
 * counters. Events, fanout and byte-log regions (INVALID_ARGUMENT for the
 * others). Readers before 1.3 refuse such a region (INCOMPATIBLE). */
#define INDEXBUS_CREATE_DURABLE 0x2u
/* 1.3: slots recycle through queue cells, so producers and consumers do
 * not touch the slot pool per message (layout 1.3). Fanout: the consumers'
 * slots travel back to the SPSC producer through the router (LAYOUT.md
 * 5.21). Events: MPSC slots recycle through the MPSC cells (5.22), as SPSC
 * slots always do when the geometry allows (5.16). Needs slot_count >=
 * 2 * queue_capacity (more for fanout work queues: 5.21), else
 * INVALID_ARGUMENT; INVALID_ARGUMENT for the other kinds. Readers before
 * 1.3 refuse such a region (INCOMPATIBLE). */
#define INDEXBUS_CREATE_RECYCLE 0x4u
/* 1.3: MPSC producers reserve queue cells for a whole publish_batch with
 * one atomic step (layout 1.3, LAYOUT.md 5.4.1). Events and fanout only
 * (INVALID_ARGUMENT for the other kinds). Readers before 1.3 refuse such a
 * region (INCOMPATIBLE). */
#define INDEXBUS_CREATE_MPSC_BATCH 0x8u

typedef struct indexbus_region_config {
    uint32_t size;           /* sizeof(indexbus_region_config), or INDEXBUS_REGION_CONFIG_SIZE_1_0 */
    uint32_t kind;           /* INDEXBUS_KIND_EVENTS, _FANOUT or (1.1) _LOG, _STREAM, _RPC */
    uint32_t slot_count;     /* power of two; 0 = default. RPC (1.1): cells, 1..4096
                              * (any count); 0 = 64 */
    uint32_t slot_data_size; /* bytes, multiple of 8, 64..1 MiB; 0 = default. RPC:
                              * largest request, 8..16 MiB (any); 0 = 4096 */
    uint32_t queue_capacity; /* power of two; 0 = slot_count if that is set, else the
                              * default (1024: events then recycle SPSC slots) */
    uint32_t consumer_count; /* events: 1; fanout: 1..64; 0 = default */
    uint32_t mode;           /* file mode; 0 = 0600 */
    uint32_t flags;          /* INDEXBUS_CREATE_* */
    /* 1.1 (read when size covers them and kind is LOG, STREAM or RPC): */
    uint32_t max_record;     /* LOG, STREAM: largest record payload (a stream splits
                              * a write into records of at most this); 0 = default
                              * (64 KiB, or the most the ring allows: byte_capacity
                              * / 2 - 8). RPC: largest reply, 8..16 MiB; 0 = 4096 */
    uint32_t reserved;       /* 0 */
    uint64_t byte_capacity;  /* LOG, STREAM: ring bytes, power of two, 4 KiB..1 GiB;
                              * 0 = 1 MiB */
} indexbus_region_config;
/* The size of indexbus_region_config in 1.0 (before max_record). */
#define INDEXBUS_REGION_CONFIG_SIZE_1_0 32u

/* Fill *cfg with defaults for `kind`. For events and fanout it writes the
 * 1.0 struct only (32 bytes, size = INDEXBUS_REGION_CONFIG_SIZE_1_0), so a
 * caller built against 1.0 keeps working; for INDEXBUS_KIND_LOG (1.1) the
 * whole struct. */
INDEXBUS_API int indexbus_region_config_init(indexbus_region_config *cfg, uint32_t kind);

/* Create exclusively (EXISTS if the name is taken) and map. */
INDEXBUS_API int indexbus_region_create(const char *name, const indexbus_region_config *cfg,
                                        indexbus_region **out);

/*
 * 1.3: open an observer's handle (indexbus_open_config.flags). The region
 * is opened O_RDONLY and mapped PROT_READ, so read permission on its file
 * is enough (a region of mode 0640 shared with a group, say). Such a handle
 * takes no participant entry, runs no recovery and writes nothing, ever:
 * no byte of the region changes because of it. What works: region_info,
 * region_consumer_stats, region_participant (live and dead participants
 * are told apart as usual), stream_state, bridge_counters_get, region_id,
 * region_read_only, region_close. What would write gives
 * INDEXBUS_PERMISSION and changes nothing: opening a producer, consumer
 * (held or not), router, stream writer or reader, rpc client or server;
 * region_recover (with or without INDEXBUS_RECOVER_SWEEP);
 * bridge_counters_add. (indexbus_region_gc takes a name and opens the
 * region for writing itself: PERMISSION without write permission.)
 * Libraries before 1.3 refuse the flag (INVALID_ARGUMENT).
 */
#define INDEXBUS_OPEN_READ_ONLY 0x1u

typedef struct indexbus_open_config {
    uint32_t size;             /* sizeof(indexbus_open_config) */
    uint32_t flags;            /* 0, or (1.3) INDEXBUS_OPEN_READ_ONLY */
    uint64_t ready_timeout_ns; /* wait this long for a racing creator */
} indexbus_open_config;

/* Open and validate. cfg may be NULL: ready timeout 1 s, read and write.
 * NOT_READY if the creator did not finish in time, NOT_FOUND if there is
 * no such region, PERMISSION if the file may not be opened for reading
 * and writing (for reading, with INDEXBUS_OPEN_READ_ONLY), INVALID_ARGUMENT
 * for an unknown flag. */
INDEXBUS_API int indexbus_region_open(const char *name, const indexbus_open_config *cfg,
                                      indexbus_region **out);

/* Drop the caller's reference. The mapping lives until every handle opened
 * on it is closed too. NULL is OK. */
INDEXBUS_API int indexbus_region_close(indexbus_region *region);

/* Remove the name; processes that have it mapped keep working. */
INDEXBUS_API int indexbus_region_unlink(const char *name);

typedef struct indexbus_info {
    uint32_t size; /* caller sets sizeof(indexbus_info) */
    uint32_t kind;
    uint32_t layout_major;
    uint32_t layout_minor;
    uint64_t capabilities;
    uint64_t total_bytes;
    uint32_t slot_count;
    uint32_t slot_data_size;
    uint32_t queue_capacity;
    uint32_t consumer_count;
    uint32_t creator_pid;
    uint32_t free_slots; /* snapshot; exact only when the region is quiet */
    uint64_t creation_time_ns;
    uint64_t published; /* SPSC + MPSC */
    uint64_t routed;
    uint64_t route_no_space;
    uint32_t producers_live;
    uint32_t consumers_live;
    uint32_t routers_live;
    uint32_t participants_live;
    uint64_t spsc_depth; /* messages waiting in the SPSC producer queue */
    uint64_t mpsc_depth; /* messages waiting in the MPSC producer queue */
    /* 1.1 (filled when size covers them; 0 unless the region is a byte log): */
    uint64_t byte_capacity; /* ring bytes */
    uint32_t max_record;    /* largest record payload */
    uint32_t reserved;
    uint64_t bytes_used;    /* reserved and not yet given back by the consumer */
    uint64_t bytes_free;    /* byte_capacity - bytes_used */
    uint64_t bytes_padding; /* of the unread bytes, padding (wrap, aborts, dead writers) */
    uint64_t records_waiting; /* committed records not yet read */
    /* 1.1 streams and request/response (0 for other kinds): */
    uint32_t stream_flags;    /* INDEXBUS_STREAM_* latched state */
    uint32_t stream_writers;  /* writers attached now */
    uint32_t writers_aborted; /* writers that died (recovered) or aborted
                               * (indexbus_stream_writer_abort), saturating at 4095 */
    uint32_t rpc_cells;       /* reply cells */
    uint32_t rpc_cells_free;  /* snapshot */
    uint32_t max_request;     /* largest request */
    uint32_t max_reply;       /* largest reply */
    uint32_t reserved2;
    uint64_t stream_bytes_read; /* bytes the reader has taken */
    uint64_t rpc_replies_abandoned; /* replies whose client had given up or died */
    uint64_t rpc_requests_failed;   /* requests failed unanswered: dropped by their server
                                     * (indexbus_rpc_fail), or their server closed or died */
} indexbus_info;
/* The size of indexbus_info in 1.0 (before byte_capacity). */
#define INDEXBUS_INFO_SIZE_1_0 120u

INDEXBUS_API int indexbus_region_info(const indexbus_region *region, indexbus_info *info);

typedef struct indexbus_consumer_stats {
    uint32_t size; /* caller sets sizeof(indexbus_consumer_stats) */
    uint32_t attached; /* 1 if a consumer holds this index and (fanout) the router routes to it */
    uint64_t delivered;
    uint64_t dropped_full;
    uint64_t dropped_no_credit;
    uint64_t depth; /* messages waiting for this consumer */
} indexbus_consumer_stats;

INDEXBUS_API int indexbus_region_consumer_stats(const indexbus_region *region, uint32_t consumer,
                                                indexbus_consumer_stats *stats);

/* ---- liveness and recovery ---------------------------------------------- */

/* Every attached handle holds an OFD lock on its participant entry, which
 * the kernel drops when the process dies: death is definitive and a reused
 * pid cannot fool it. Recovery hands a dead participant's resources back. */

typedef struct indexbus_participant_info {
    uint32_t size;   /* caller sets sizeof(indexbus_participant_info) */
    uint32_t role;   /* INDEXBUS_ROLE_* */
    uint32_t index;  /* consumer index */
    uint32_t pid;    /* as recorded at attach; informational only */
    uint32_t alive;  /* 1 alive, 0 dead and awaiting recovery */
    uint32_t reserved;
    uint64_t attach_time_ns;
} indexbus_participant_info;

/* Entry `slot` (0 .. INDEXBUS_MAX_PARTICIPANTS-1) of the participant table:
 * OK, NOT_FOUND if the entry is free, OUT_OF_RANGE past the table. */
INDEXBUS_API int indexbus_region_participant(indexbus_region *region, uint32_t slot,
                                             indexbus_participant_info *info);

#define INDEXBUS_RECOVER_SWEEP 0x1u /* also rebuild the pool; only when nobody is attached */

typedef struct indexbus_recover_report {
    uint32_t size;            /* caller sets sizeof(indexbus_recover_report) */
    uint32_t dead;            /* dead participants cleaned up */
    uint32_t slots_reclaimed; /* claimed, held or unaccounted slots back in the pool */
    uint32_t cells_skipped;   /* MPSC cells a dead producer reserved but never filled */
    uint64_t dropped;         /* messages discarded with a dead fanout consumer's queue */
    uint64_t elapsed_ns;      /* time recovery took */
} indexbus_recover_report;

/* Find dead participants and undo what they held: exclusive roles and live
 * counts, claimed slots, a dead fanout consumer's queue, held slots, MPSC
 * reservations. Safe while others run. With INDEXBUS_RECOVER_SWEEP and no
 * participant attached, also rebuilds the free pool from what the queues
 * still reference (BUSY if someone is attached). report may be NULL.
 * PERMISSION on a handle opened with INDEXBUS_OPEN_READ_ONLY (1.3). */
INDEXBUS_API int indexbus_region_recover(indexbus_region *region, uint32_t flags,
                                         indexbus_recover_report *report);

/* Remove region `name` if every participant in it is dead (after recovering
 * it): OK if removed, BUSY if someone is alive, or the open error. */
INDEXBUS_API int indexbus_region_gc(const char *name);

/* ---- producers ----------------------------------------------------------- */

#define INDEXBUS_PRODUCER_SPSC 1u /* exclusive: one per region (BUSY otherwise) */
#define INDEXBUS_PRODUCER_MPSC 2u /* any number, from any processes */

INDEXBUS_API int indexbus_producer_open(indexbus_region *region, uint32_t type,
                                        indexbus_producer **out);
/* Aborts a pending claim. NULL is OK. */
INDEXBUS_API int indexbus_producer_close(indexbus_producer *producer);

/* Copy len bytes (0 allowed) into a slot and publish it. */
INDEXBUS_API int indexbus_publish(indexbus_producer *producer, const void *data, size_t len);

/* Publish up to `count` messages packed back to back in `data`, message i
 * being lens[i] bytes. *published gets how many went out, in order; the
 * status is OK if all did, else the reason the first one did not. */
INDEXBUS_API int indexbus_publish_batch(indexbus_producer *producer, const void *data,
                                        const uint32_t *lens, size_t count, size_t *published);

/* Zero-copy: reserve a slot and get its buffer (capacity = slot data size). */
INDEXBUS_API int indexbus_claim(indexbus_producer *producer, void **buf, size_t *capacity);
/* Publish the first len bytes of the claimed buffer. On FULL or TOO_LARGE the
 * claim stays pending: retry, or abort. */
INDEXBUS_API int indexbus_commit(indexbus_producer *producer, size_t len);
/* Give the claimed slot back unpublished. */
INDEXBUS_API int indexbus_abort(indexbus_producer *producer);

/* ---- router (fanout regions) --------------------------------------------- */

#define INDEXBUS_SOURCE_SPSC 1u
#define INDEXBUS_SOURCE_MPSC 2u
#define INDEXBUS_SOURCE_ANY 3u /* alternate between the two */

#define INDEXBUS_MODE_BROADCAST 1u /* every consumer gets every message */
#define INDEXBUS_MODE_WORK_QUEUE 2u /* one consumer each, round robin, skipping full */

typedef struct indexbus_route_result {
    uint32_t size;              /* caller sets sizeof(indexbus_route_result) */
    uint32_t routed;            /* 1 if a message left the source queue */
    uint32_t delivered;         /* consumer queues it went into */
    uint32_t dropped_full;      /* consumers skipped: queue full */
    uint32_t dropped_no_credit; /* consumers skipped: no credit / not eligible */
    uint32_t reserved;
    uint64_t delivered_mask;
    uint64_t dropped_full_mask;
    uint64_t dropped_no_credit_mask;
} indexbus_route_result;

/* Exclusive: one router per region (BUSY otherwise). */
INDEXBUS_API int indexbus_router_open(indexbus_region *region, indexbus_router **out);
INDEXBUS_API int indexbus_router_close(indexbus_router *router);

/* Route one message to the consumers that are attached right now (an absent
 * consumer is skipped, not counted as a drop). OK: routed; EMPTY: nothing
 * waiting; FULL: no consumer could take it, so it stays queued (never
 * dropped for everyone). */
INDEXBUS_API int indexbus_route_once(indexbus_router *router, uint32_t source, uint32_t mode);
/* As route_once, reporting per-consumer outcome in *result. */
INDEXBUS_API int indexbus_route_once_stats(indexbus_router *router, uint32_t source,
                                           uint32_t mode, indexbus_route_result *result);
/* Credit-aware step. Only consumers in eligible_mask, not in no_credit_mask
 * and not in full_mask are candidates; the rest count as dropped_no_credit
 * (not eligible or no credit) or dropped_full (full_mask or queue full). */
INDEXBUS_API int indexbus_route_once_credit(indexbus_router *router, uint32_t source,
                                            uint32_t mode, uint64_t eligible_mask,
                                            uint64_t no_credit_mask, uint64_t full_mask,
                                            indexbus_route_result *result);

#define INDEXBUS_ROUTER_EXIT_ON_DISCONNECT 0x1u /* return once producers are gone and drained */

typedef struct indexbus_router_loop_config {
    uint32_t size;        /* sizeof(indexbus_router_loop_config) */
    uint32_t source;      /* INDEXBUS_SOURCE_*; 0 = ANY */
    uint32_t mode;        /* INDEXBUS_MODE_*; 0 = BROADCAST */
    uint32_t flags;       /* INDEXBUS_ROUTER_* */
    uint32_t spin_iters;  /* idle: busy polls before yielding; 0 = default */
    uint32_t yield_iters; /* idle: sched_yield polls before parking; 0 = default */
    uint64_t park_ns;     /* idle: longest park before re-checking stop; 0 = default */
    uint64_t routed;      /* out: messages routed by this run */
} indexbus_router_loop_config;

/* Route until indexbus_router_stop() (returns OK), or, with
 * EXIT_ON_DISCONNECT, until producers are gone and drained (DISCONNECTED).
 * A step that meets bad region contents ends the run with CORRUPT
 * (LAYOUT.md 7; a bad slot index is skipped first, other damage stays). */
INDEXBUS_API int indexbus_router_run(indexbus_router *router, indexbus_router_loop_config *cfg);
/* Ask a running indexbus_router_run to return. Safe from another thread or a
 * signal handler. */
INDEXBUS_API int indexbus_router_stop(indexbus_router *router);

/* ---- consumers ----------------------------------------------------------- */

/* Exclusive per index (BUSY otherwise). Events regions have index 0 only. */
INDEXBUS_API int indexbus_consumer_open(indexbus_region *region, uint32_t index,
                                        indexbus_consumer **out);
/* Ends a pending borrow. A fanout consumer's unread messages are released
 * (its queue holds broadcast slots everyone shares); an events consumer's
 * stay for the next one. NULL is OK. */
INDEXBUS_API int indexbus_consumer_close(indexbus_consumer *consumer);

/* Copy the next message into buf. On BUFFER_TOO_SMALL the message stays and
 * *len is its length. EMPTY, or DISCONNECTED once producers are gone and
 * everything is drained. */
INDEXBUS_API int indexbus_try_recv(indexbus_consumer *consumer, void *buf, size_t cap,
                                   size_t *len);
/* As try_recv, waiting up to timeout_ns (spin, then futex park). TIMEOUT. */
INDEXBUS_API int indexbus_recv(indexbus_consumer *consumer, void *buf, size_t cap, size_t *len,
                               uint64_t timeout_ns);
/* Wait until a message is ready (OK), without taking it. */
INDEXBUS_API int indexbus_wait(indexbus_consumer *consumer, uint64_t timeout_ns);

/* Zero-copy: borrow the next message in place until recv_end. */
INDEXBUS_API int indexbus_recv_begin(indexbus_consumer *consumer, const void **data,
                                     size_t *len);
INDEXBUS_API int indexbus_recv_end(indexbus_consumer *consumer);

/* Receive up to max_msgs messages packed back to back into buf; lens[i] is
 * message i's length, *count how many. OK if at least one, else EMPTY /
 * DISCONNECTED / BUFFER_TOO_SMALL (first message does not fit; *count = 0). */
INDEXBUS_API int indexbus_recv_batch(indexbus_consumer *consumer, void *buf, size_t cap,
                                     uint32_t *lens, size_t max_msgs, size_t *count);

/* ---- 1.1: byte logs, variable-length claims, blocking producers ------------ */

/*
 * Byte-log regions (INDEXBUS_KIND_LOG) store each record inline in a byte
 * ring: publish, publish_batch, claim/commit/abort, try_recv, recv,
 * recv_batch, recv_begin/recv_end and wait work on them as on events
 * regions. One consumer (index 0). Producers: one SPSC producer (no atomic
 * read-modify-write on its path) or any number of MPSC producers, not both
 * at once (BUSY). On a byte log, indexbus_claim reserves max_record bytes
 * and commit(len) publishes len of them.
 */

/* Zero-copy claim of exactly len bytes (0 allowed). Byte logs: len <= the
 * region's max_record; events and fanout: len <= slot_data_size (a slot).
 * TOO_LARGE otherwise. Publish with indexbus_commit(len) (or fewer bytes). */
INDEXBUS_API int indexbus_claim_len(indexbus_producer *producer, size_t len, void **buf);

/* Blocking producers, every region kind: as indexbus_claim_len and
 * indexbus_publish, but when the region is full spin, then park until the
 * consumer (or router) frees space, up to timeout_ns (TIMEOUT). A parked
 * producer re-checks at least every millisecond, so a peer that never wakes
 * producers (a 1.0 library) only slows it down. DISCONNECTED as for
 * publish; a consumer that leaves or dies wakes parked producers. */
INDEXBUS_API int indexbus_claim_wait(indexbus_producer *producer, size_t len, void **buf,
                                     uint64_t timeout_ns);
INDEXBUS_API int indexbus_publish_wait(indexbus_producer *producer, const void *data, size_t len,
                                       uint64_t timeout_ns);

/* In-place batch claim (byte logs): reserve count records of lens[i] bytes
 * with one reservation; bufs[i] gets record i's buffer. Nothing is visible
 * until indexbus_commit_batch, which publishes the first n (n <= count)
 * with one store; the rest become padding. FULL if the ring cannot take the
 * whole batch now; TOO_LARGE if a record exceeds max_record or the batch
 * half the ring. WRONG_KIND on events and fanout regions (use
 * indexbus_publish_batch there). */
INDEXBUS_API int indexbus_claim_batch(indexbus_producer *producer, const uint32_t *lens,
                                      size_t count, void **bufs);
INDEXBUS_API int indexbus_commit_batch(indexbus_producer *producer, size_t n);

/* Free space as this producer sees it now (a snapshot: others may take or
 * free space meanwhile). Byte logs: free ring bytes (a record of len bytes
 * needs 8 + len rounded up to 8, plus padding to the ring's end when it
 * would straddle it). Events and fanout: messages it could publish without
 * FULL, the lesser of free cells in its queue and free slots. */
INDEXBUS_API int indexbus_producer_space(indexbus_producer *producer, uint64_t *space);

/* ---- 1.2 symbols: byte streams (INDEXBUS_KIND_STREAM, layout 1.1) ------------ */

/*
 * A byte pipe in shared memory, with no message boundaries, on a byte-log
 * ring. Any number of writers (up to 48 at once), one reader. End of stream
 * and reader-gone are latched in the region (LAYOUT.md 5.18):
 *  - when the last writer leaves (closes, or dies and is recovered), the
 *    stream has ENDED: the reader drains what is there, then gets
 *    DISCONNECTED, and no writer can join any more (DISCONNECTED);
 *  - when the reader closes or dies, READER_GONE: every write fails with
 *    DISCONNECTED and no reader can attach.
 * A reader that attaches before any writer waits for one. The bytes of one
 * indexbus_stream_write call stay contiguous even with several writers, and
 * so do those of an indexbus_stream_write_all of at most
 * indexbus_info.max_record bytes (like PIPE_BUF): all of it or none of it.
 */
typedef struct indexbus_stream_writer indexbus_stream_writer;
typedef struct indexbus_stream_reader indexbus_stream_reader;

#define INDEXBUS_STREAM_ENDED 0x1u       /* every writer has left; latched */
#define INDEXBUS_STREAM_READER_GONE 0x2u /* the reader has closed or died; latched */
#define INDEXBUS_STREAM_ABORTED 0x4u     /* at least one writer died instead of closing */

/* Join as a writer: DISCONNECTED if the stream has ended or its reader is
 * gone, BUSY if 48 writers are attached, WRONG_KIND if not a stream. */
INDEXBUS_API int indexbus_stream_writer_open(indexbus_region *region,
                                             indexbus_stream_writer **out);
/* Leave cleanly; the last writer to leave ends the stream. NULL is OK. */
INDEXBUS_API int indexbus_stream_writer_close(indexbus_stream_writer *writer);
/* Leave as a writer that failed: counted as an aborted writer (the stream
 * ends ABORTED if it was the last), exactly as if it had died, but at
 * once. What it wrote stays readable. NULL is OK. */
INDEXBUS_API int indexbus_stream_writer_abort(indexbus_stream_writer *writer);
/* Write what fits now, without waiting: *written gets how many bytes (one
 * contiguous run). OK if *written > 0 or len == 0; FULL if nothing fits;
 * DISCONNECTED once the reader is gone. */
INDEXBUS_API int indexbus_stream_write(indexbus_stream_writer *writer, const void *data,
                                       size_t len, size_t *written);
/* Write all len bytes, waiting for room up to timeout_ns. OK: all written.
 * TIMEOUT or DISCONNECTED: *written says exactly how many bytes went in,
 * and they are complete (a prefix of data). len <= max_record is written
 * in one piece, so then *written is 0 or len. */
INDEXBUS_API int indexbus_stream_write_all(indexbus_stream_writer *writer, const void *data,
                                           size_t len, uint64_t timeout_ns, size_t *written);

/* Take the read end: BUSY if a reader holds it, DISCONNECTED if a reader
 * closed it (READER_GONE). */
INDEXBUS_API int indexbus_stream_reader_open(indexbus_region *region,
                                             indexbus_stream_reader **out);
/* Close the read end for good: writers get DISCONNECTED. NULL is OK. */
INDEXBUS_API int indexbus_stream_reader_close(indexbus_stream_reader *reader);
/* Hand the read end over: detach without closing the stream. The next
 * reader to open it (in any process) continues at the very next byte. */
INDEXBUS_API int indexbus_stream_reader_release(indexbus_stream_reader *reader);
/* Read up to cap bytes (at least one), waiting up to timeout_ns for the
 * first. OK with *len > 0; EMPTY when timeout_ns is 0 and nothing is
 * there; TIMEOUT; DISCONNECTED at end of stream (every writer gone and
 * everything read). */
INDEXBUS_API int indexbus_stream_read(indexbus_stream_reader *reader, void *buf, size_t cap,
                                      size_t *len, uint64_t timeout_ns);
/* The stream's latched state (INDEXBUS_STREAM_* flags) and how many
 * writers died. A stream that ended cleanly: ENDED without ABORTED. */
INDEXBUS_API int indexbus_stream_state(const indexbus_region *region, uint32_t *flags,
                                       uint32_t *writers_aborted);

/* ---- 1.2 symbols: request/response (INDEXBUS_KIND_RPC, layout 1.1) ---------- */

/*
 * A server region holds a table of reply cells (LAYOUT.md 4.11, 5.19). A
 * client takes a free cell, writes its request into it and sends; the
 * request carries the cell's token (generation << 32 | cell). Any server
 * (several may serve at once: a work queue) takes the request, reads it in
 * place and replies into the same cell, exactly once. The client reads the
 * reply in place and recycles the cell for its next request: no allocation.
 * A token names one request only; a reply to an earlier generation, a
 * second reply, or a forged token gives NOT_FOUND, never another request's
 * reply. A server that closes or dies fails the requests it held
 * (DISCONNECTED to their clients); a client waiting while no server is
 * attached any more gets DISCONNECTED, and so does a send once a server has
 * attached and none is left (until one attaches again); a dead client's
 * cells are recovered. Each client keeps one cell for its next request
 * once it has had a reply, so give a region at least as many cells as
 * clients at once (more for clients with several requests outstanding).
 */
typedef struct indexbus_rpc_client indexbus_rpc_client;
typedef struct indexbus_rpc_server indexbus_rpc_server;

INDEXBUS_API int indexbus_rpc_client_open(indexbus_region *region, indexbus_rpc_client **out);
/* Gives up the client's outstanding requests and frees its cells. NULL is OK. */
INDEXBUS_API int indexbus_rpc_client_close(indexbus_rpc_client *client);
/* Zero-copy request: a cell's request buffer of len bytes (len <= max_request,
 * else TOO_LARGE); FULL if every cell is taken. Send with rpc_send. One
 * claim at a time per client (BAD_STATE). */
INDEXBUS_API int indexbus_rpc_claim(indexbus_rpc_client *client, size_t len, void **buf);
/* Give the claimed cell back unsent (the client keeps it for its next
 * request, or frees it). BAD_STATE without a claim. */
INDEXBUS_API int indexbus_rpc_abort(indexbus_rpc_client *client);
/* Send the first len bytes of the claimed buffer; *token names the request. */
INDEXBUS_API int indexbus_rpc_send(indexbus_rpc_client *client, size_t len, uint64_t *token);
/* Copy a request in and send it: claim + send. */
INDEXBUS_API int indexbus_rpc_request(indexbus_rpc_client *client, const void *data, size_t len,
                                      uint64_t *token);
/* Wait up to timeout_ns for the reply to `token` and borrow it in place
 * until rpc_reply_done (waiting again before that lends the same reply
 * again). TIMEOUT leaves the request outstanding (wait
 * again, or cancel); DISCONNECTED if its server left or died, or no server
 * is attached (the cell is recycled); NOT_FOUND for a token that is not
 * this client's outstanding request. */
INDEXBUS_API int indexbus_rpc_wait(indexbus_rpc_client *client, uint64_t token,
                                   const void **data, size_t *len, uint64_t timeout_ns);
/* Done with the reply: the cell is recycled for the next request. */
INDEXBUS_API int indexbus_rpc_reply_done(indexbus_rpc_client *client, uint64_t token);
/* Give up an outstanding request: a late reply is dropped and counted. */
INDEXBUS_API int indexbus_rpc_cancel(indexbus_rpc_client *client, uint64_t token);
/* A whole round trip with copies: request, wait, copy the reply out (on
 * BUFFER_TOO_SMALL *reply_len says how big; the reply is dropped), done.
 * On TIMEOUT the request is cancelled. */
INDEXBUS_API int indexbus_rpc_call(indexbus_rpc_client *client, const void *request,
                                   size_t request_len, void *reply, size_t reply_cap,
                                   size_t *reply_len, uint64_t timeout_ns);

/* Any number of servers (work queue). Closing one fails the requests it
 * holds (their clients get DISCONNECTED). NULL is OK for close. */
INDEXBUS_API int indexbus_rpc_server_open(indexbus_region *region, indexbus_rpc_server **out);
INDEXBUS_API int indexbus_rpc_server_close(indexbus_rpc_server *server);
/* Take the next request, waiting up to timeout_ns (EMPTY when timeout_ns
 * is 0 and none is waiting; TIMEOUT). It is borrowed in place until this
 * server replies to *token; a server may hold many at once. */
INDEXBUS_API int indexbus_rpc_serve(indexbus_rpc_server *server, uint64_t *token,
                                    const void **request, size_t *len, uint64_t timeout_ns);
/* Zero-copy reply: the cell's reply buffer (capacity max_reply). */
INDEXBUS_API int indexbus_rpc_reply_buffer(indexbus_rpc_server *server, uint64_t token,
                                           void **buf, size_t *cap);
/* Reply with the first len bytes of the reply buffer: once per token.
 * NOT_FOUND for a token this server does not hold (stale, already replied,
 * forged); TOO_LARGE if len > max_reply (the request stays held). OK also
 * when the client has meanwhile given up (the reply is counted as
 * abandoned). */
INDEXBUS_API int indexbus_rpc_reply_commit(indexbus_rpc_server *server, uint64_t token,
                                           size_t len);
/* Copy a reply in and commit it. */
INDEXBUS_API int indexbus_rpc_reply(indexbus_rpc_server *server, uint64_t token,
                                    const void *data, size_t len);
/* Drop a held request unanswered: its client's wait gets DISCONNECTED
 * (counted in indexbus_info.rpc_requests_failed), as when a one-shot
 * sender is dropped unsent. NOT_FOUND as for reply_commit. */
INDEXBUS_API int indexbus_rpc_fail(indexbus_rpc_server *server, uint64_t token);

/* ---- 1.3 symbols: durable delivery (layout 1.2) ----------------------------- */

/*
 * What a bridge to another system needs to promise no loss and no
 * duplicate across its own crashes (LAYOUT.md 5.20, docs/RELIABILITY.md).
 *
 * Held receive (any events, fanout or byte-log region): a consumer opened
 * with INDEXBUS_CONSUMER_HOLD reads messages without letting go of them.
 * They stay in the region, in their queue or ring, until indexbus_release
 * lets go of the oldest; if the consumer dies or closes first, the next
 * consumer at that index reads them again, at the same positions. On a
 * fanout region this needs INDEXBUS_CREATE_DURABLE (the region remembers
 * which queues are held, so recovery and close keep them; BAD_STATE
 * otherwise); while no holder is attached the router skips its queue, as
 * for any absent consumer. A non-holding consumer that opens the index
 * later drains what was held. Held messages take room: producers see FULL
 * (or wait) until they are released.
 *
 * Marked publish (regions with INDEXBUS_CREATE_DURABLE, the SPSC
 * producer): each message carries a caller's mark, strictly increasing;
 * the region remembers the mark of the last message committed, exactly,
 * even if the producer dies mid-batch. A restarted producer asks for it
 * and resumes after it: exactly-once delivery from a source that can
 * replay by mark (a JetStream stream sequence, a file offset).
 */
#define INDEXBUS_CONSUMER_HOLD 0x1u /* indexbus_consumer_config.flags */

typedef struct indexbus_consumer_config {
    uint32_t size;     /* sizeof(indexbus_consumer_config) */
    uint32_t index;    /* consumer index, as for indexbus_consumer_open */
    uint32_t flags;    /* INDEXBUS_CONSUMER_* */
    uint32_t max_held; /* HOLD: most messages held at once; 0 = 4096; at most 1 << 20 */
} indexbus_consumer_config;

/* indexbus_consumer_open with options. INVALID_ARGUMENT for unknown flags
 * or a bad size; BAD_STATE for HOLD on a fanout region without durable
 * state. */
INDEXBUS_API int indexbus_consumer_open_config(indexbus_region *region,
                                               const indexbus_consumer_config *cfg,
                                               indexbus_consumer **out);
/* HOLD consumers: copy the next message out and hold it (no wait: use
 * indexbus_wait, which looks past held messages). *position names it for
 * good: unique and increasing per region, consumer index and producer
 * queue (events: bit 63 set for the MPSC queue; byte logs: its byte
 * position), the same when it is read again after a restart. FULL when
 * max_held messages are held; BAD_STATE on a consumer without HOLD (and
 * the other receive calls give BAD_STATE on one with it). */
INDEXBUS_API int indexbus_recv_held(indexbus_consumer *consumer, void *buf, size_t cap,
                                    size_t *len, uint64_t *position);
/* Let go of the `count` oldest held messages (their room goes back to the
 * producers). OUT_OF_RANGE if fewer are held (nothing is released). */
INDEXBUS_API int indexbus_release(indexbus_consumer *consumer, size_t count);

/* Publish up to `count` messages as indexbus_publish_batch does, message i
 * with marks[i] (non-zero, strictly increasing, above the region's mark:
 * INVALID_ARGUMENT otherwise). *published gets how many were committed;
 * the region's mark is then that of the last of them. The SPSC producer of
 * a durable region only (BAD_STATE for an MPSC producer, WRONG_KIND
 * without durable state). */
INDEXBUS_API int indexbus_publish_batch_marked(indexbus_producer *producer, const void *data,
                                               const uint32_t *lens, const uint64_t *marks,
                                               size_t count, size_t *published);
/* The mark of the last message committed with a mark in this region, by
 * this producer or any before it (0: none yet). */
INDEXBUS_API int indexbus_producer_mark(indexbus_producer *producer, uint64_t *mark);

/* A bridge's counters, kept in a durable region so that `indexbus info`
 * shows them and a restarted bridge continues them. */
#define INDEXBUS_BRIDGE_IN 64u /* `which`: the bridge into the region; 0..63: out via that consumer */
typedef struct indexbus_bridge_counters {
    uint32_t size;         /* sizeof(indexbus_bridge_counters) */
    uint32_t reserved;     /* 0 */
    uint64_t forwarded;    /* out: published to the remote; in: committed to the region */
    uint64_t acknowledged; /* out: acknowledged by the remote and released; in: acknowledged to it */
    uint64_t resent;       /* out: published again after a failure or a restart */
    uint64_t deduplicated; /* out: the remote already had it; in: applied before, skipped */
    uint64_t refused;      /* records too large for the other side: refused, never cut */
} indexbus_bridge_counters;
/* Add *delta's five counts to them (add), or read them (get). WRONG_KIND without
 * durable state; OUT_OF_RANGE for a `which` past the region's consumers;
 * add on a handle opened with INDEXBUS_OPEN_READ_ONLY: PERMISSION. */
INDEXBUS_API int indexbus_bridge_counters_add(indexbus_region *region, uint32_t which,
                                              const indexbus_bridge_counters *delta);
INDEXBUS_API int indexbus_bridge_counters_get(const indexbus_region *region, uint32_t which,
                                              indexbus_bridge_counters *out);
/* The region's 16-byte random identity, made at create (durable regions
 * only, else WRONG_KIND): with a position it names a message for good. */
INDEXBUS_API int indexbus_region_id(const indexbus_region *region, uint8_t id[16]);

/* ---- 1.3 symbols: read-only observers ----------------------------------------- */

/* *read_only = 1 if `region` was opened with INDEXBUS_OPEN_READ_ONLY (every
 * call that would write to it gives PERMISSION), 0 otherwise (opened for
 * writing, or created). INVALID_ARGUMENT for NULL. */
INDEXBUS_API int indexbus_region_read_only(const indexbus_region *region, uint32_t *read_only);

/* ---- sizes for FFI users ------------------------------------------------- */

/* What indexbus_struct_size measures (values are frozen). */
enum indexbus_struct {
    INDEXBUS_STRUCT_REGION_CONFIG = 1,      /* indexbus_region_config */
    INDEXBUS_STRUCT_OPEN_CONFIG = 2,        /* indexbus_open_config */
    INDEXBUS_STRUCT_INFO = 3,               /* indexbus_info */
    INDEXBUS_STRUCT_CONSUMER_STATS = 4,     /* indexbus_consumer_stats */
    INDEXBUS_STRUCT_ROUTE_RESULT = 5,       /* indexbus_route_result */
    INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG = 6, /* indexbus_router_loop_config */
    INDEXBUS_STRUCT_PARTICIPANT_INFO = 7,   /* indexbus_participant_info */
    INDEXBUS_STRUCT_RECOVER_REPORT = 8,     /* indexbus_recover_report */
    INDEXBUS_STRUCT_CONSUMER_CONFIG = 9,    /* indexbus_consumer_config (1.3) */
    INDEXBUS_STRUCT_BRIDGE_COUNTERS = 10,   /* indexbus_bridge_counters (1.3) */
};

/* sizeof the public struct that `which` (an enum indexbus_struct value) names,
 * so bindings can check their mirrors; 0 for any other value. */
INDEXBUS_API size_t indexbus_struct_size(uint32_t which);

#ifdef __cplusplus
}
#endif
#endif /* INDEXBUS_H */
