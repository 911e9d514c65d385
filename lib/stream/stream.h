/*
 * stream.h - byte streams (LAYOUT.md 4.10, 5.18): the writer seats and the
 * latched state word (state.c), writers (writer.c) and the reader
 * (reader.c), on top of the byte-log ring (common/logring.h) and the
 * producer and consumer handles. Internal.
 */
#ifndef IB_STREAM_H
#define IB_STREAM_H

#include "../common/view.h"

#include "../common/atomics.h"

/* The state word, read once per use (LAYOUT.md 7). */
static inline uint64_t ib_stream_load(const ib_view *v)
{
    /* pairs with the release CASes of state.c: a writer that left
     * published its bytes before the bit it cleared */
    return ib_load_acquire(&v->stream->state);
}

/* state.c */
/* Take a free seat for entry `part` and join: OK with *seat set,
 * DISCONNECTED (ended or reader gone), BUSY (every seat taken), CORRUPT. */
int ib_stream_join(ib_view *v, uint32_t part, uint32_t *seat);
/* Leave seat `seat`, cleanly or (aborted) as a writer that died would;
 * the last writer out latches ENDED. */
void ib_stream_leave(ib_view *v, uint32_t seat, int aborted);
/* Latch a state flag (READER_GONE) and wake everyone parked. */
void ib_stream_latch(ib_view *v, uint64_t flag);
/* Recovery of dead entry `slot`: free the seats it held (an aborted writer
 * if it still held one) and, if it was the reader, latch READER_GONE. */
void ib_stream_recover_entry(ib_view *v, uint32_t slot, int was_reader);
/* Public flags (INDEXBUS_STREAM_*), writers attached and writers aborted
 * of a state word. */
static inline void ib_stream_decode(uint64_t s, uint32_t *flags, uint32_t *writers,
                                    uint32_t *aborted)
{
    uint32_t f = 0;
    if (s & INDEXBUS_STREAM_ST_ENDED)
        f |= INDEXBUS_STREAM_ENDED;
    if (s & INDEXBUS_STREAM_ST_READER_GONE)
        f |= INDEXBUS_STREAM_READER_GONE;
    if (s & INDEXBUS_STREAM_ST_ABORTED)
        f |= INDEXBUS_STREAM_ABORTED;
    *flags = f;
    *writers = (uint32_t)__builtin_popcountll(s & INDEXBUS_STREAM_SEAT_MASK);
    *aborted = (uint32_t)(s >> INDEXBUS_STREAM_ST_ABORTS_SHIFT);
}

#endif /* IB_STREAM_H */
