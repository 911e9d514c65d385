/*
 * stream.h - byte streams (LAYOUT.md 4.10, 5.18): writer seats and the
 * latched state word, on top of the byte-log ring. Internal.
 */
#ifndef IB_STREAM_H
#define IB_STREAM_H

#include "../common/view.h"

/* Recovery of dead entry `slot` in a stream region: free the writer seats
 * it held (counting it as an aborted writer if it still held one), and, if
 * it was the reader, latch READER_GONE. */
void ib_stream_recover_entry(ib_view *v, uint32_t slot, int was_reader);

#endif /* IB_STREAM_H */
