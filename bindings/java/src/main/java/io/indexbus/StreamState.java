package io.indexbus;

import io.indexbus.internal.indexbus;

/**
 * The latched state of a byte stream ({@code indexbus_stream_state}), from
 * {@link Region#streamState()}.
 *
 * @param flags          {@link #ENDED}, {@link #READER_GONE} and {@link #ABORTED} bits
 * @param writersAborted writers that died or aborted instead of closing (saturating at 4095)
 */
public record StreamState(int flags, int writersAborted) {
    /** Every writer has left: the reader gets the end of stream once it has read everything. */
    public static final int ENDED = (int) indexbus.INDEXBUS_STREAM_ENDED;
    /** The reader has closed or died: every write fails with {@link DisconnectedException}. */
    public static final int READER_GONE = (int) indexbus.INDEXBUS_STREAM_READER_GONE;
    /** At least one writer died or aborted instead of closing. */
    public static final int ABORTED = (int) indexbus.INDEXBUS_STREAM_ABORTED;

    /** True once every writer has left. */
    public boolean ended() {
        return (flags & ENDED) != 0;
    }

    /** True once the reader has closed or died. */
    public boolean readerGone() {
        return (flags & READER_GONE) != 0;
    }

    /** True if at least one writer died or aborted. */
    public boolean aborted() {
        return (flags & ABORTED) != 0;
    }

    /** True if the stream ended cleanly: every writer has left and none died or aborted. */
    public boolean clean() {
        return ended() && !aborted();
    }
}
