/*
 * logring.h - the byte-log ring (LAYOUT.md 4.9, 5.17): records stored
 * inline, each an 8-byte header (one atomic u64: len | type << 32) and its
 * payload, 8-byte aligned, never straddling the ring's end. Producers
 * reserve with one step (SPSC: a store; MPSC: one CAS on tail), write a
 * CLAIMED header, fill, then publish with a release store of the header.
 * The consumer reads headers in order, zeroes what it read and gives the
 * space back in batches (head). Values read from the region are checked
 * before use (LAYOUT.md 7).
 */
#ifndef IB_LOGRING_H
#define IB_LOGRING_H

#include "atomics.h"
#include "view.h"

#define IB_LOG_TYPE(w) ((uint32_t)((w) >> 32) & 0xffu)
#define IB_LOG_LEN(w) ((uint32_t)(w))
#define IB_LOG_WORD(len, type) ((uint64_t)(len) | (uint64_t)(type) << 32)
/* what a producer whose entry is `part` writes over a reservation it fills */
#define IB_LOG_CLAIMED(part, bytes) \
    IB_LOG_WORD((bytes), INDEXBUS_LOG_CLAIMED | ((uint32_t)(part) + 1u) << 8)

/* Bytes a record of len payload bytes takes: header + payload, to 8. */
static inline uint64_t ib_log_stride(uint64_t len)
{
    return IB_ALIGN_UP(INDEXBUS_LOG_HEADER_BYTES + len, 8u);
}

/* The header word of the record at byte position pos (any multiple of 8). */
static inline uint64_t *ib_log_hdr(const ib_view *v, uint64_t pos)
{
    return (uint64_t *)(v->log_data + (pos & v->log_mask));
}

/* ---- producer side ------------------------------------------------------------ */

typedef struct ib_log_writer {
    int spsc;       /* the only producer: reserves with a store, no RMW */
    uint32_t part;  /* our participant entry */
    uint64_t pos;   /* SPSC: next tail (ours; never re-read) */
    uint64_t head;  /* last head seen */
    /* the reservation in hand (claim or batch), from our own copies only */
    uint64_t rec_pos;  /* where the first record starts (after a wrap pad, if any) */
    uint64_t rec_size; /* bytes of records */
} ib_log_writer;

/* Free bytes as the writer sees them (refreshing head), or -CORRUPT. */
int64_t ib_log_space(const ib_view *v, ib_log_writer *w);

/* Reserve `bytes` (a sum of strides, at most half the ring) for records,
 * journaled in entry e (5.17): OK with rec_pos set, FULL, or CORRUPT. */
int ib_log_reserve(const ib_view *v, ib_log_writer *w, indexbus_participant *e, uint64_t bytes);

/* Publish the records of the reservation, of lens[0..n-1] bytes, laid out
 * back to back: their headers, the first last, with release; what is left
 * of the reservation becomes one pad. n = 0: all of it is padding (abort). */
void ib_log_publish(const ib_view *v, ib_log_writer *w, indexbus_participant *e,
                    const uint32_t *lens, size_t n);

/* ---- consumer side ------------------------------------------------------------ */

typedef struct ib_log_reader {
    uint64_t read;   /* next record (ours; ctl.read mirrors it for recovery) */
    uint64_t head;   /* bytes below it are zeroed and given back */
    uint64_t keep;   /* borrowing: do not give back from here on; else UINT64_MAX */
} ib_log_reader;

/* Attach: take up read and head from the region and give back anything a
 * previous consumer read but did not (it is zeroed first). */
int ib_log_attach_reader(const ib_view *v, ib_log_reader *r);

/* The next record: OK with its payload and length (passing pads), EMPTY
 * (nothing committed at read yet), or CORRUPT (a bad header; not passed). */
int ib_log_peek(const ib_view *v, ib_log_reader *r, const uint8_t **data, uint32_t *len);
/* Count the record peek returned as read (its bytes stay until given back). */
void ib_log_take(const ib_view *v, ib_log_reader *r, uint32_t len);
/* Zero the read bytes and give them back (head) if at least `min` are
 * waiting; wakes parked producers. */
void ib_log_give_back(const ib_view *v, ib_log_reader *r, uint64_t min);

/* ---- observers and recovery --------------------------------------------------- */

/* Walk the unread records: bytes of padding and committed records. */
void ib_log_scan(const ib_view *v, uint64_t *padding, uint64_t *records);
/* Turn a dead producer's unfinished reservation into padding (5.17): 1
 * padded, 0 nothing to pad, -1 cannot tell yet (a live producer's journal
 * moved while we looked): recover this entry again later. */
int ib_log_recover_producer(const ib_view *v, uint32_t part, uint64_t reserve, uint32_t size);
/* Give back what a dead consumer read and did not give back. */
void ib_log_recover_consumer(const ib_view *v);

#endif /* IB_LOGRING_H */
