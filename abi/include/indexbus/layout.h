/*
 * indexbus/layout.h - the IndexBus v1 shared-memory region format.
 *
 * FROZEN. This file and abi/LAYOUT.md are the contract between every process
 * that maps a region, whatever its language. Never move, resize or reuse a
 * field. A minor version may only add: new sections in the directory, new
 * meanings for reserved (zero) bytes, new compat capability bits, and new
 * incompat bits for optional features (set only in regions created with the
 * feature, which older readers then refuse). Anything else is a new major
 * version.
 *
 * All integers are little-endian, fixed-width, naturally aligned. No
 * pointers, no `long`, no `bool`. Every offset here is from the start of the
 * region. Once the region is ready, fields marked (atomic) are only ever
 * accessed with atomic operations; see LAYOUT.md section 5 for the
 * memory-ordering contract.
 */
#ifndef INDEXBUS_LAYOUT_H
#define INDEXBUS_LAYOUT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- identity ---------------------------------------------------------- */

#define INDEXBUS_MAGIC 0x53554249u /* bytes "IBUS" in memory order */
#define INDEXBUS_LAYOUT_MAJOR 1u
/* The highest minor this header describes. Creators write minor 0 for events
 * and fanout regions (1.0 images stay byte-identical), minor 1 only for the
 * kinds 1.1 added, minor 2 for regions with a DURABLE section, and minor 3
 * for regions created with fanout recycling or MPSC batch reservation
 * (INDEXBUS_LAYOUT_MINOR_FOR in LAYOUT.md 8). */
#define INDEXBUS_LAYOUT_MINOR 3u
#define INDEXBUS_READY_VALUE 1u /* header.ready once initialised */

#define INDEXBUS_CACHE_LINE 64u
#define INDEXBUS_PAGE 4096u
#define INDEXBUS_HEADER_BYTES 1024u
#define INDEXBUS_MAX_SECTIONS 16u

/* region kinds (header.region_kind) */
#define INDEXBUS_KIND_EVENTS 1u
#define INDEXBUS_KIND_FANOUT 2u
#define INDEXBUS_KIND_LOG 3u /* 1.1: byte log, records stored inline (LAYOUT.md 4.9) */
#define INDEXBUS_KIND_STREAM 4u /* 1.1: byte stream on a byte-log ring (LAYOUT.md 4.10) */
#define INDEXBUS_KIND_RPC 5u    /* 1.1: request/response, reusable reply cells (LAYOUT.md 4.11) */

/*
 * Capability bits (header.capabilities). Bits 0..31 are "compat": a reader
 * that does not know one may ignore it. Bits 32..63 are "incompat": a reader
 * that finds one it does not know must refuse the region (INCOMPATIBLE).
 */
#define INDEXBUS_CAP_EVENTS (1ull << 0)
#define INDEXBUS_CAP_FANOUT (1ull << 1)
#define INDEXBUS_CAP_MPSC (1ull << 2)
#define INDEXBUS_CAP_BLOCKING (1ull << 3)
#define INDEXBUS_CAP_COUNTERS (1ull << 4)
#define INDEXBUS_CAP_PARTICIPANTS (1ull << 5)
/* incompat: in an events region, the consumer hands each slot it took off
 * the SPSC queue back to the SPSC producer through that queue cell instead
 * of the pool (INDEXBUS_SLOT_PARKED; LAYOUT.md 5.16). Set when
 * slot_count >= 2 * queue_capacity. A reader that does not know it would
 * leave parked slots unused, so it must refuse the region. */
#define INDEXBUS_CAP_SPSC_RECYCLE (1ull << 32)
/* 1.1, compat: the region is a byte log (informational, like bits 0 and 1). */
#define INDEXBUS_CAP_LOG (1ull << 6)
/* 1.1, incompat: the region is a byte log (kind 3, LOG_RING section). Every
 * byte-log region sets it, so 1.0 readers refuse it (INCOMPATIBLE). */
#define INDEXBUS_CAP_BYTE_LOG (1ull << 33)
/* 1.1, compat: the region is a byte stream / a request-response region. */
#define INDEXBUS_CAP_STREAM (1ull << 7)
#define INDEXBUS_CAP_RPC (1ull << 8)
/* 1.1, incompat: the region is a byte stream (kind 4: LOG_RING and
 * STREAM_CTL sections) / a request-response region (kind 5: RPC_CTL and
 * RPC_CELLS). Set by every region of that kind, so readers that do not
 * know the kind refuse it (INCOMPATIBLE). */
#define INDEXBUS_CAP_BYTE_STREAM (1ull << 34)
#define INDEXBUS_CAP_RPC_CELLS (1ull << 35)
/* 1.2, compat: the region has a DURABLE section (informational). */
#define INDEXBUS_CAP_DURABLE (1ull << 9)
/* 1.2, incompat: the region has a DURABLE section (LAYOUT.md 4.12, 5.20):
 * marked publishes, held fanout queues that recovery keeps, bridge
 * counters. A reader that does not know it would drain a held queue of a
 * dead consumer and ignore the mark journal, so it must refuse the region.
 * Events, fanout and byte-log regions only; layout minor 2. */
#define INDEXBUS_CAP_DURABLE_STATE (1ull << 36)
/* 1.3, incompat: fanout slots recycle through queue cells (LAYOUT.md 5.21):
 * the consumer that releases a slot last parks it in its own queue cell
 * (INDEXBUS_SLOT_PARKED_CONSUMER), and the router, about to write that cell
 * again, hands it to the SPSC producer through the source cell it consumes
 * (INDEXBUS_SLOT_PARKED). A reader that does not know it would free parked
 * slots twice or never, so it must refuse the region. Fanout only; layout
 * minor 3; set by INDEXBUS_CREATE_RECYCLE. */
#define INDEXBUS_CAP_FANOUT_RECYCLE (1ull << 37)
/* 1.3, incompat: an MPSC producer reserves the cells of a whole batch with
 * one CAS on tail (LAYOUT.md 5.4.1); its entry's `reserved` word (+60) says
 * how many cells from mpsc_reserve - 1 the reservation covers, and recovery
 * skips each one left unfilled. A reader that does not know it would skip
 * only the first and stall the queue. Events and fanout; layout minor 3;
 * set by INDEXBUS_CREATE_MPSC_BATCH. */
#define INDEXBUS_CAP_MPSC_BATCH (1ull << 38)
/* 1.3, incompat: MPSC slots recycle through MPSC cells (LAYOUT.md 5.22): the
 * events consumer parks each slot it took off the MPSC queue in that cell
 * (INDEXBUS_SLOT_PARKED_MPSC), and the producer that reserves the cell one
 * lap later reuses it. A reader that does not know it would leave parked
 * slots unused, so it must refuse the region. Events only; layout minor 3;
 * set by INDEXBUS_CREATE_RECYCLE on an events region. */
#define INDEXBUS_CAP_MPSC_RECYCLE (1ull << 39)
#define INDEXBUS_CAP_INCOMPAT_MASK 0xffffffff00000000ull
#define INDEXBUS_CAP_KNOWN_INCOMPAT                                              \
    (INDEXBUS_CAP_SPSC_RECYCLE | INDEXBUS_CAP_BYTE_LOG | INDEXBUS_CAP_BYTE_STREAM | \
     INDEXBUS_CAP_RPC_CELLS | INDEXBUS_CAP_DURABLE_STATE | INDEXBUS_CAP_FANOUT_RECYCLE |    \
     INDEXBUS_CAP_MPSC_BATCH | INDEXBUS_CAP_MPSC_RECYCLE)

/* ---- geometry limits ----------------------------------------------------- */

#define INDEXBUS_MIN_SLOTS 2u
#define INDEXBUS_MAX_SLOTS (1u << 20)
#define INDEXBUS_MIN_SLOT_DATA 64u
#define INDEXBUS_MAX_SLOT_DATA (1u << 20)
#define INDEXBUS_MIN_QUEUE 2u
#define INDEXBUS_MAX_QUEUE (1u << 20)
#define INDEXBUS_MAX_CONSUMERS 64u
#define INDEXBUS_MAX_PARTICIPANTS 256u

#define INDEXBUS_DEFAULT_SLOTS 1024u
#define INDEXBUS_DEFAULT_SLOT_DATA 256u
#define INDEXBUS_DEFAULT_FANOUT_CONSUMERS 4u

/* byte logs (1.1): ring bytes a power of two; a record's header and payload,
 * rounded up to 8, take at most half the ring (LAYOUT.md 3.6) */
#define INDEXBUS_LOG_MIN_BYTES 4096u
#define INDEXBUS_LOG_MAX_BYTES (1u << 30)
#define INDEXBUS_LOG_DEFAULT_BYTES (1u << 20)
#define INDEXBUS_LOG_DEFAULT_MAX_RECORD 65536u /* or the largest the ring allows, if less */

/* request/response (1.1): cells (header.slot_count), each with room for a
 * request of max_request bytes (header.slot_data_size) and a reply of
 * max_reply bytes (header.log_max_record) */
#define INDEXBUS_RPC_MAX_CELLS 4096u
#define INDEXBUS_RPC_DEFAULT_CELLS 64u
#define INDEXBUS_RPC_DEFAULT_MAX_MESSAGE 4096u
#define INDEXBUS_RPC_MIN_MESSAGE 8u
#define INDEXBUS_RPC_MAX_MESSAGE (1u << 24)

/* ---- header (offset 0, INDEXBUS_HEADER_BYTES long) ------------------------ */

/* section kinds (indexbus_section_entry.kind); 0 = unused entry */
#define INDEXBUS_SECTION_PARTICIPANTS 1u
#define INDEXBUS_SECTION_COUNTERS 2u
#define INDEXBUS_SECTION_WAKE 3u
#define INDEXBUS_SECTION_ROUTER 4u    /* fanout only */
#define INDEXBUS_SECTION_SPSC_QUEUE 5u
#define INDEXBUS_SECTION_MPSC_QUEUE 6u
#define INDEXBUS_SECTION_CONSUMER_QUEUES 7u /* fanout only */
#define INDEXBUS_SECTION_SLOT_POOL 8u
#define INDEXBUS_SECTION_LOG_RING 9u /* 1.1, byte logs and byte streams */
#define INDEXBUS_SECTION_STREAM_CTL 10u /* 1.1, byte streams only */
#define INDEXBUS_SECTION_RPC_CTL 11u    /* 1.1, request/response only */
#define INDEXBUS_SECTION_RPC_CELLS 12u  /* 1.1, request/response only */
#define INDEXBUS_SECTION_DURABLE 13u    /* 1.2, regions created with INDEXBUS_CREATE_DURABLE */

typedef struct indexbus_section_entry {
    uint32_t kind;     /* INDEXBUS_SECTION_* */
    uint32_t flags;    /* 0 in v1.0 */
    uint64_t offset;   /* from region start, multiple of 64 */
    uint64_t length;   /* bytes */
    uint64_t reserved; /* 0 */
} indexbus_section_entry;

typedef struct indexbus_region_header {
    uint32_t magic;            /*   0 INDEXBUS_MAGIC */
    uint16_t layout_major;     /*   4 */
    uint16_t layout_minor;     /*   6 */
    uint32_t header_bytes;     /*   8 INDEXBUS_HEADER_BYTES */
    uint32_t region_kind;      /*  12 INDEXBUS_KIND_* */
    uint64_t capabilities;     /*  16 INDEXBUS_CAP_* */
    uint64_t total_bytes;      /*  24 layout size; file may be larger */
    uint32_t slot_count;       /*  32 power of two */
    uint32_t slot_data_size;   /*  36 multiple of 8 */
    uint32_t slot_stride;      /*  40 bytes per slot, multiple of 64 */
    uint32_t queue_capacity;   /*  44 power of two */
    uint32_t consumer_count;   /*  48 events: 1, fanout: 1..64 */
    uint32_t section_count;    /*  52 used directory entries */
    uint32_t creator_pid;      /*  56 masked in golden images */
    uint32_t reserved0;        /*  60 */
    uint64_t creation_time_ns; /*  64 CLOCK_REALTIME, masked in golden images */
    uint32_t ready;            /*  72 (atomic) 0, then READY_VALUE, written last */
    uint32_t reserved1;        /*  76 */
    uint64_t log_bytes;        /*  80 1.1 byte logs: ring bytes; 0 otherwise */
    uint32_t log_max_record;   /*  88 1.1 byte logs: largest payload; 0 otherwise */
    uint32_t reserved4;        /*  92 */
    uint8_t reserved2[32];     /*  96 */
    indexbus_section_entry sections[INDEXBUS_MAX_SECTIONS]; /* 128 */
    uint8_t reserved3[384];    /* 640 */
} indexbus_region_header;

/* ---- participants section (one per region) ------------------------------ */

#define INDEXBUS_ROLE_SPSC_PRODUCER 1u
#define INDEXBUS_ROLE_MPSC_PRODUCER 2u
#define INDEXBUS_ROLE_ROUTER 3u
#define INDEXBUS_ROLE_CONSUMER 4u
/* 1.1 request/response; counted in producers_live / consumers_live */
#define INDEXBUS_ROLE_RPC_CLIENT 5u
#define INDEXBUS_ROLE_RPC_SERVER 6u

#define INDEXBUS_PARTICIPANT_FREE 0u
#define INDEXBUS_PARTICIPANT_ACTIVE 1u

typedef struct indexbus_participants_ctl {
    uint32_t producers_live; /* (atomic) attached SPSC + MPSC producers */
    uint32_t producers_ever; /* (atomic) 1 once any producer attached */
    uint32_t consumers_live; /* (atomic) */
    uint32_t consumers_ever; /* (atomic) */
    uint32_t routers_live;   /* (atomic) */
    uint32_t routers_ever;   /* (atomic) */
    uint32_t spsc_owner;     /* (atomic) participant index + 1, 0 = none */
    uint32_t router_owner;   /* (atomic) participant index + 1, 0 = none */
    uint32_t consumer_epoch; /* (atomic) bumped on every consumer attach/detach */
    uint8_t reserved[28];
} indexbus_participants_ctl;

/* consumer_owner[i]: 0 = free, participant index + 1 = attached; with this
 * bit also set the consumer is closing: still owned, no longer routed to. */
#define INDEXBUS_OWNER_LEAVING 0x80000000u

/*
 * Liveness: while a participant is attached, its process holds an OFD write
 * lock (F_OFD_SETLK) on the first byte of its entry in the region file. The
 * kernel drops it when the process dies, so an ACTIVE entry whose byte is
 * unlocked belongs to a dead process, whatever became of its pid. A
 * recoverer holds the second byte while it recovers that entry (taken
 * before the first), so a refused attach can tell "being recovered" from
 * "alive" and wait.
 */
#define INDEXBUS_LOCK_LIVENESS 0u /* entry byte the participant's process locks */
#define INDEXBUS_LOCK_RECOVERY 1u /* entry byte a recoverer locks while at work */
typedef struct indexbus_participant {
    uint32_t state;          /* (atomic) INDEXBUS_PARTICIPANT_* */
    uint32_t role;           /* INDEXBUS_ROLE_* */
    uint32_t index;          /* consumer index, else 0 */
    uint32_t pid;
    uint64_t attach_time_ns; /* CLOCK_REALTIME */
    /* journal for recovery, written only by the participant itself: */
    uint32_t held_slot;      /* consumer: slot + 1 taken off a queue, not yet released; 0 = none */
    uint32_t held_src;       /* consumer: queue it came from: 0 own/SPSC, 1 MPSC */
    uint64_t held_pos;       /* consumer: that queue's position it was taken from */
    uint64_t mpsc_reserve;   /* MPSC producer: position + 1 it is reserving or filling; 0 = none */
    /* 1.1 byte logs, producer journal (LAYOUT.md 5.17): */
    uint64_t log_reserve;    /* byte position | INDEXBUS_LOG_RESERVING or _RESERVED; 0 = none */
    uint32_t log_size;       /* bytes of that reservation */
    uint32_t reserved;       /* 1.3, INDEXBUS_CAP_MPSC_BATCH: cells the MPSC reservation
                              * at mpsc_reserve - 1 covers (0 or 1: one) */
} indexbus_participant;

typedef struct indexbus_participants_section {
    indexbus_participants_ctl ctl;                           /* +0 */
    uint32_t consumer_owner[INDEXBUS_MAX_CONSUMERS];         /* +64 (atomic) */
    indexbus_participant entries[INDEXBUS_MAX_PARTICIPANTS]; /* +320 */
} indexbus_participants_section;

/* ---- counters section ---------------------------------------------------- */

/* Each line has exactly one writer, so no counter needs a contended RMW
 * except published_mpsc. */
typedef struct indexbus_counters_global {
    uint64_t published_spsc; /* (atomic) written by the SPSC producer */
    uint8_t pad0[56];
    uint64_t published_mpsc; /* (atomic) added to by MPSC producers */
    uint8_t pad1[56];
    uint64_t routed;         /* (atomic) router: messages taken off a source */
    uint64_t route_no_space; /* (atomic) router: stalls, a message held back for want of space */
    uint8_t pad2[48];
} indexbus_counters_global;

typedef struct indexbus_counters_consumer {
    uint64_t delivered;         /* (atomic) fanout: router; events: the consumer */
    uint64_t dropped_full;      /* (atomic) router */
    uint64_t dropped_no_credit; /* (atomic) router */
    uint8_t pad[40];
} indexbus_counters_consumer;

/* ---- wake section: consumer_count + 1 entries (last one = router) -------- */

typedef struct indexbus_wake_entry {
    uint32_t seq;     /* (atomic) futex word, bumped by a waker */
    uint32_t waiters; /* (atomic) parked (or about to park) waiters */
    uint8_t pad[56];
} indexbus_wake_entry;

/* ---- router section (fanout) --------------------------------------------- */

/* step_cursor: which effect of the step was about to be made, and the low
 * 32 bits of the word it changes as they were before (LAYOUT.md 5.10.1). */
#define INDEXBUS_STEP_PUSH 1u              /* consumer queue tail */
#define INDEXBUS_STEP_DELIVERED 2u         /* consumer counter delivered */
#define INDEXBUS_STEP_DROPPED_FULL 3u      /* consumer counter dropped_full */
#define INDEXBUS_STEP_DROPPED_NO_CREDIT 4u /* consumer counter dropped_no_credit */
#define INDEXBUS_STEP_ROUTED 5u            /* global counter routed */
#define INDEXBUS_STEP_CURSOR(phase, consumer, before) \
    ((uint64_t)(phase) << 40 | (uint64_t)(consumer) << 32 | (uint32_t)(before))

typedef struct indexbus_router_section {
    uint32_t rr_next;    /* (atomic) next work-queue candidate */
    uint32_t seen_epoch; /* (atomic) consumer_epoch the router routes by */
    /* step journal, written only by the router (or whoever recovers it): */
    uint32_t step_slot;       /* (atomic) slot + 1 being routed; 0 = no step open */
    uint32_t step_source;     /* 0 = SPSC queue, 1 = MPSC queue */
    uint64_t step_pos;        /* source position the slot is taken from */
    uint64_t step_targets;    /* consumers whose queues get it */
    uint64_t step_full;       /* broadcast: consumers skipped, queue full */
    uint64_t step_no_credit;  /* broadcast: consumers skipped, no credit */
    uint64_t step_cursor;     /* (atomic) INDEXBUS_STEP_CURSOR of the effect in hand */
    uint8_t pad[8];
} indexbus_router_section;

/* ---- SPSC index queue: ctl then queue_capacity uint32 cells --------------
 * Used for the SPSC producer queue and for every fanout consumer queue. */

typedef struct indexbus_spsc_ctl {
    uint64_t head; /* (atomic) next position to read; written by the reader */
    uint8_t pad0[56];
    uint64_t tail; /* (atomic) next position to write; written by the writer */
    uint8_t pad1[56];
} indexbus_spsc_ctl;

/* ---- MPSC index queue: ctl then queue_capacity cells ---------------------- */

typedef struct indexbus_mpsc_ctl {
    uint64_t tail; /* (atomic) next position to reserve; CAS by writers */
    uint8_t pad0[56];
    uint64_t head; /* (atomic) next position to read; written by the reader */
    uint8_t pad1[56];
} indexbus_mpsc_ctl;

/* A recoverer marks a cell that a dead producer reserved but never filled:
 * seq = (pos + 1) | SKIP. Readers pass over it without a message; writers
 * publish with a CAS pos -> pos + 1, so a skipped writer notices and retries. */
#define INDEXBUS_MPSC_SKIP (1ull << 63)

typedef struct indexbus_mpsc_cell {
    uint64_t seq;   /* (atomic) pos: free for pos; pos+1: holds pos's value; see SKIP */
    uint32_t value; /* slot index */
    uint32_t reserved;
} indexbus_mpsc_cell;

/* ---- slot pool: ctl line, then slot_count slots of slot_stride bytes ----- */

#define INDEXBUS_SLOT_NIL 0xffffffffu

typedef struct indexbus_pool_ctl {
    uint64_t free_head; /* (atomic) (tag << 32) | first free slot, NIL if none */
    uint8_t pad[56];
} indexbus_pool_ctl;

typedef struct indexbus_slot_header {
    uint32_t len;       /* message length, <= slot_data_size */
    uint32_t refcount;  /* (atomic) consumer queues still holding the slot */
    uint32_t owner;     /* (atomic) participant index + 1 of the claimer, 0 = none */
    uint32_t next_free; /* (atomic) next slot in the free list, NIL = end */
} indexbus_slot_header;
#define INDEXBUS_SLOT_HEADER_BYTES 16u
/* slot.owner of a slot parked in an SPSC queue cell (INDEXBUS_CAP_SPSC_RECYCLE):
 * free, for the SPSC producer only; next_free holds the low 32 bits of the
 * queue position the consumer took it from, whose cell still names it. */
#define INDEXBUS_SLOT_PARKED 0xffffffffu
/* 1.3, INDEXBUS_CAP_FANOUT_RECYCLE: slot.owner of a slot parked in fanout
 * consumer queue i's cell (i < 64): free, for the router only; next_free
 * holds the low 32 bits of that queue's position (LAYOUT.md 5.21). */
#define INDEXBUS_SLOT_PARKED_CONSUMER(i) (0xffffff00u | (uint32_t)(i))
#define INDEXBUS_SLOT_PARKED_CONSUMER_BASE 0xffffff00u
/* 1.3, INDEXBUS_CAP_MPSC_RECYCLE: slot.owner of a slot parked in an MPSC
 * cell: free, for the producer that reserves that cell next; next_free
 * holds the low 32 bits of the position it was read from (LAYOUT.md 5.22). */
#define INDEXBUS_SLOT_PARKED_MPSC 0xfffffffeu


/* ---- byte log (1.1): LOG_RING section = ctl, then log_bytes of records ----- */

typedef struct indexbus_log_ctl {
    uint64_t tail; /* (atomic) next byte position to reserve; producers */
    uint8_t pad0[56];
    uint64_t head; /* (atomic) bytes below it are zeroed and free again; consumer */
    uint8_t pad1[56];
    uint64_t read; /* (atomic) next record the consumer reads; consumer */
    uint8_t pad2[56];
    uint8_t reserved[64];
} indexbus_log_ctl;

/* A record starts at a multiple of 8 with this 8-byte header, accessed as
 * one little-endian u64 (atomic): len in bits 0..31, type in bits 32..63.
 * Its payload follows; the next record starts at align8(pos + 8 + len). */
typedef struct indexbus_log_header {
    uint32_t len;  /* RECORD: payload bytes; PAD and CLAIMED: bytes covered, header included */
    uint32_t type; /* INDEXBUS_LOG_* (bits 0..7); CLAIMED: owner entry + 1 in bits 8..31 */
} indexbus_log_header;
#define INDEXBUS_LOG_HEADER_BYTES 8u
#define INDEXBUS_LOG_EMPTY 0u   /* not written yet (free space is zero) */
#define INDEXBUS_LOG_RECORD 1u  /* committed */
#define INDEXBUS_LOG_PAD 2u     /* skip len bytes: the wrap, an abort, a dead writer */
#define INDEXBUS_LOG_CLAIMED 3u /* reserved, being written */
/* log_reserve flags in bits 0..2 (positions are multiples of 8) */
#define INDEXBUS_LOG_RESERVING 1u /* about to reserve (MPSC: CAS in flight) */
#define INDEXBUS_LOG_RESERVED 2u  /* reserved, header CLAIMED */

/* ---- byte stream (1.1): LOG_RING (as a byte log) + STREAM_CTL ------------- */

/* stream_ctl.state, one atomic u64 changed only by CAS (LAYOUT.md 5.18):
 * bit i < 48: writer seat i is taken (seat_owner[i] names the holder);
 * then the latched flags and the count of writers that died. */
#define INDEXBUS_STREAM_SEATS 48u
#define INDEXBUS_STREAM_SEAT_MASK ((1ull << INDEXBUS_STREAM_SEATS) - 1)
#define INDEXBUS_STREAM_ST_ENDED (1ull << 48)       /* the last writer left: no writer may join */
#define INDEXBUS_STREAM_ST_READER_GONE (1ull << 49) /* the reader closed or died: writes fail */
#define INDEXBUS_STREAM_ST_ABORTED (1ull << 50)     /* a writer died (not a clean close) */
#define INDEXBUS_STREAM_ST_ABORTS_SHIFT 52          /* bits 52..63: writers that died, saturating */

typedef struct indexbus_stream_ctl {
    uint64_t state;          /*   0 (atomic) seats | flags | aborted writers */
    uint8_t pad0[56];
    uint32_t seat_owner[INDEXBUS_STREAM_SEATS]; /* 64 (atomic) participant entry + 1; 0 = free */
    uint64_t read_skip;      /* 256 reader: bytes of the record at log.read already read */
    uint64_t bytes_read;     /* 264 (atomic) reader: bytes delivered */
    uint8_t pad1[48];
} indexbus_stream_ctl;

/* ---- request/response (1.1): RPC_CTL, then RPC_CELLS ---------------------- */

/* Cell state, one atomic u64 (LAYOUT.md 5.19): generation in bits 32..63,
 * the server holding it (entry + 1) in bits 17..25, the client (entry + 1)
 * in bits 8..16, the state in bits 0..7. A token is generation << 32 | cell. */
#define INDEXBUS_RPC_FREE 0u      /* nobody's */
#define INDEXBUS_RPC_OWNED 1u     /* a client's: composing a request, or kept for reuse */
#define INDEXBUS_RPC_REQUESTED 2u /* request written, pending bit set, no server yet */
#define INDEXBUS_RPC_SERVING 3u   /* a server took the request */
#define INDEXBUS_RPC_REPLIED 4u   /* the reply is in the cell */
#define INDEXBUS_RPC_FAILED 5u    /* its server closed or died before replying */
#define INDEXBUS_RPC_ABANDONED 6u /* its client gave up or died while a server held it */

typedef struct indexbus_rpc_ctl {
    indexbus_wake_entry server_wake; /*   0 servers park here; clients notify */
    uint64_t pending[INDEXBUS_RPC_MAX_CELLS / 64]; /* 64 (atomic) bit c: cell c requested */
    uint64_t replies_abandoned; /* 576 (atomic) replies nobody waited for any more */
    uint64_t requests_failed;   /* 584 (atomic) requests failed: server closed or died */
    uint8_t pad[48];
} indexbus_rpc_ctl;

typedef struct indexbus_rpc_cell {
    uint64_t state;        /*   0 (atomic) see above */
    uint32_t request_len;  /*   8 written by the client before REQUESTED */
    uint32_t reply_len;    /*  12 written by the server before REPLIED */
    uint8_t pad[48];
    indexbus_wake_entry wake; /* 64 the waiting client parks here */
} indexbus_rpc_cell; /* then align64(max_request) request bytes, align64(max_reply) reply bytes */

/* ---- frozen sizes and offsets ------------------------------------------ */

/* ---- durable section (1.2, INDEXBUS_CAP_DURABLE_STATE; LAYOUT.md 4.12) ---- */

/* The mark journal of the SPSC producer (5.20): the mark of the last
 * message it committed with indexbus_publish_batch_marked, exactly, across
 * its death. Written only by the SPSC producer (and by recovery of a dead
 * one, which holds its role). */
typedef struct indexbus_durable_mark {
    uint64_t mark;      /* (atomic) the last committed mark; 0 = none yet */
    uint64_t pend_mark; /* (atomic) the mark of the piece being published; 0 = none */
    uint64_t pend_pos;  /* (atomic) events, fanout: the SPSC tail once that piece is
                         * published; byte logs: the byte position of its first record */
    uint8_t pad0[40];
} indexbus_durable_mark;

/* One bridge's counters (LAYOUT.md 4.12): line 0 the bridge into the region
 * (its producer), line 1 + i the bridge out of it through consumer i. Each
 * line has one writer, the bridge holding that role, which adds with RMWs
 * so that a restarted bridge and a dying one never lose a count. */
typedef struct indexbus_durable_counters {
    uint64_t forwarded;    /* (atomic) out: published to the remote; in: committed here */
    uint64_t acknowledged; /* (atomic) out: acknowledged and let go of here; in: acked there */
    uint64_t resent;       /* (atomic) out: published again (after a failure or restart) */
    uint64_t deduplicated; /* (atomic) out: the remote had it; in: applied before, skipped */
    uint64_t refused;      /* (atomic) too large for the other side: refused, not cut */
    uint8_t pad0[24];
} indexbus_durable_counters;

typedef struct indexbus_durable_ctl {
    indexbus_durable_mark mark; /* +0 */
    uint8_t region_id[16];      /* +64 random at create, then read-only: names the
                                 * region in message ids (masked in golden images) */
    uint8_t pad0[48];
    uint64_t hold_mask;         /* +128 (atomic) fanout: bit i = consumer i holds
                                 * (INDEXBUS_CONSUMER_HOLD); recovery keeps its queue */
    uint8_t pad1[56];
    /* +192: indexbus_durable_counters[1 + consumer_count] */
} indexbus_durable_ctl;

#if !defined(SWIG) /* SWIG's parser does not know _Static_assert */

/* C11 spells it _Static_assert, C++11 static_assert (C++ has no _Static_assert). */
#ifdef __cplusplus
#define INDEXBUS_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define INDEXBUS_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
#define INDEXBUS_ASSERT_OFF(t, f, o) \
    INDEXBUS_STATIC_ASSERT(offsetof(t, f) == (o), #t "." #f " offset is frozen")
#define INDEXBUS_ASSERT_SIZE(t, s) INDEXBUS_STATIC_ASSERT(sizeof(t) == (s), #t " size is frozen")

INDEXBUS_ASSERT_SIZE(indexbus_section_entry, 32);
INDEXBUS_ASSERT_OFF(indexbus_section_entry, offset, 8);
INDEXBUS_ASSERT_OFF(indexbus_section_entry, length, 16);
INDEXBUS_ASSERT_SIZE(indexbus_region_header, INDEXBUS_HEADER_BYTES);
INDEXBUS_ASSERT_OFF(indexbus_region_header, layout_major, 4);
INDEXBUS_ASSERT_OFF(indexbus_region_header, layout_minor, 6);
INDEXBUS_ASSERT_OFF(indexbus_region_header, header_bytes, 8);
INDEXBUS_ASSERT_OFF(indexbus_region_header, region_kind, 12);
INDEXBUS_ASSERT_OFF(indexbus_region_header, capabilities, 16);
INDEXBUS_ASSERT_OFF(indexbus_region_header, total_bytes, 24);
INDEXBUS_ASSERT_OFF(indexbus_region_header, slot_count, 32);
INDEXBUS_ASSERT_OFF(indexbus_region_header, slot_data_size, 36);
INDEXBUS_ASSERT_OFF(indexbus_region_header, slot_stride, 40);
INDEXBUS_ASSERT_OFF(indexbus_region_header, queue_capacity, 44);
INDEXBUS_ASSERT_OFF(indexbus_region_header, consumer_count, 48);
INDEXBUS_ASSERT_OFF(indexbus_region_header, section_count, 52);
INDEXBUS_ASSERT_OFF(indexbus_region_header, creator_pid, 56);
INDEXBUS_ASSERT_OFF(indexbus_region_header, creation_time_ns, 64);
INDEXBUS_ASSERT_OFF(indexbus_region_header, ready, 72);
INDEXBUS_ASSERT_OFF(indexbus_region_header, log_bytes, 80);
INDEXBUS_ASSERT_OFF(indexbus_region_header, log_max_record, 88);
INDEXBUS_ASSERT_OFF(indexbus_region_header, sections, 128);
INDEXBUS_ASSERT_SIZE(indexbus_participants_ctl, 64);
INDEXBUS_ASSERT_OFF(indexbus_participants_ctl, spsc_owner, 24);
INDEXBUS_ASSERT_OFF(indexbus_participants_ctl, router_owner, 28);
INDEXBUS_ASSERT_OFF(indexbus_participants_ctl, consumer_epoch, 32);
INDEXBUS_ASSERT_SIZE(indexbus_participant, 64);
INDEXBUS_ASSERT_OFF(indexbus_participant, pid, 12);
INDEXBUS_ASSERT_OFF(indexbus_participant, attach_time_ns, 16);
INDEXBUS_ASSERT_OFF(indexbus_participant, held_slot, 24);
INDEXBUS_ASSERT_OFF(indexbus_participant, held_src, 28);
INDEXBUS_ASSERT_OFF(indexbus_participant, held_pos, 32);
INDEXBUS_ASSERT_OFF(indexbus_participant, mpsc_reserve, 40);
INDEXBUS_ASSERT_OFF(indexbus_participant, log_reserve, 48);
INDEXBUS_ASSERT_OFF(indexbus_participant, log_size, 56);
INDEXBUS_ASSERT_OFF(indexbus_participants_section, consumer_owner, 64);
INDEXBUS_ASSERT_OFF(indexbus_participants_section, entries, 320);
INDEXBUS_ASSERT_SIZE(indexbus_participants_section, 320 + 64 * INDEXBUS_MAX_PARTICIPANTS);
INDEXBUS_ASSERT_SIZE(indexbus_counters_global, 192);
INDEXBUS_ASSERT_OFF(indexbus_counters_global, published_mpsc, 64);
INDEXBUS_ASSERT_OFF(indexbus_counters_global, routed, 128);
INDEXBUS_ASSERT_OFF(indexbus_counters_global, route_no_space, 136);
INDEXBUS_ASSERT_SIZE(indexbus_counters_consumer, 64);
INDEXBUS_ASSERT_OFF(indexbus_counters_consumer, dropped_full, 8);
INDEXBUS_ASSERT_OFF(indexbus_counters_consumer, dropped_no_credit, 16);
INDEXBUS_ASSERT_SIZE(indexbus_wake_entry, 64);
INDEXBUS_ASSERT_OFF(indexbus_wake_entry, waiters, 4);
INDEXBUS_ASSERT_SIZE(indexbus_router_section, 64);
INDEXBUS_ASSERT_OFF(indexbus_router_section, seen_epoch, 4);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_slot, 8);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_source, 12);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_pos, 16);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_targets, 24);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_full, 32);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_no_credit, 40);
INDEXBUS_ASSERT_OFF(indexbus_router_section, step_cursor, 48);
INDEXBUS_ASSERT_SIZE(indexbus_spsc_ctl, 128);
INDEXBUS_ASSERT_OFF(indexbus_spsc_ctl, tail, 64);
INDEXBUS_ASSERT_SIZE(indexbus_mpsc_ctl, 128);
INDEXBUS_ASSERT_OFF(indexbus_mpsc_ctl, head, 64);
INDEXBUS_ASSERT_SIZE(indexbus_mpsc_cell, 16);
INDEXBUS_ASSERT_OFF(indexbus_mpsc_cell, value, 8);
INDEXBUS_ASSERT_SIZE(indexbus_pool_ctl, 64);
INDEXBUS_ASSERT_SIZE(indexbus_slot_header, INDEXBUS_SLOT_HEADER_BYTES);
INDEXBUS_ASSERT_OFF(indexbus_slot_header, refcount, 4);
INDEXBUS_ASSERT_OFF(indexbus_slot_header, owner, 8);
INDEXBUS_ASSERT_OFF(indexbus_slot_header, next_free, 12);
INDEXBUS_ASSERT_SIZE(indexbus_log_ctl, 256);
INDEXBUS_ASSERT_OFF(indexbus_log_ctl, head, 64);
INDEXBUS_ASSERT_OFF(indexbus_log_ctl, read, 128);
INDEXBUS_ASSERT_SIZE(indexbus_log_header, INDEXBUS_LOG_HEADER_BYTES);
INDEXBUS_ASSERT_OFF(indexbus_log_header, type, 4);
INDEXBUS_ASSERT_SIZE(indexbus_stream_ctl, 320);
INDEXBUS_ASSERT_OFF(indexbus_stream_ctl, seat_owner, 64);
INDEXBUS_ASSERT_OFF(indexbus_stream_ctl, read_skip, 256);
INDEXBUS_ASSERT_OFF(indexbus_stream_ctl, bytes_read, 264);
INDEXBUS_ASSERT_SIZE(indexbus_rpc_ctl, 640);
INDEXBUS_ASSERT_OFF(indexbus_rpc_ctl, pending, 64);
INDEXBUS_ASSERT_OFF(indexbus_rpc_ctl, replies_abandoned, 576);
INDEXBUS_ASSERT_OFF(indexbus_rpc_ctl, requests_failed, 584);
INDEXBUS_ASSERT_SIZE(indexbus_rpc_cell, 128);
INDEXBUS_ASSERT_OFF(indexbus_rpc_cell, request_len, 8);
INDEXBUS_ASSERT_OFF(indexbus_rpc_cell, reply_len, 12);
INDEXBUS_ASSERT_OFF(indexbus_rpc_cell, wake, 64);
INDEXBUS_ASSERT_SIZE(indexbus_durable_mark, 64);
INDEXBUS_ASSERT_OFF(indexbus_durable_mark, pend_mark, 8);
INDEXBUS_ASSERT_OFF(indexbus_durable_mark, pend_pos, 16);
INDEXBUS_ASSERT_SIZE(indexbus_durable_counters, 64);
INDEXBUS_ASSERT_OFF(indexbus_durable_counters, acknowledged, 8);
INDEXBUS_ASSERT_OFF(indexbus_durable_counters, resent, 16);
INDEXBUS_ASSERT_OFF(indexbus_durable_counters, deduplicated, 24);
INDEXBUS_ASSERT_OFF(indexbus_durable_counters, refused, 32);
INDEXBUS_ASSERT_SIZE(indexbus_durable_ctl, 192);
INDEXBUS_ASSERT_OFF(indexbus_durable_ctl, region_id, 64);
INDEXBUS_ASSERT_OFF(indexbus_durable_ctl, hold_mask, 128);
#endif

#ifdef __cplusplus
}
#endif
#endif /* INDEXBUS_LAYOUT_H */
