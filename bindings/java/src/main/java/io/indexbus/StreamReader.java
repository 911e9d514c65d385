package io.indexbus;

import io.indexbus.internal.indexbus;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import java.util.Objects;

/**
 * The read end of a byte stream ({@link RegionKind#STREAM}), from
 * {@link Region#openStreamReader()}. There is one read end.
 *
 * <ul>
 *   <li>{@code read} reads up to the room given, waiting for the first byte (up to a timeout
 *       if one is given: {@link IndexBusTimeoutException}); it returns <b>-1 at the end of the
 *       stream</b>: every writer has left and everything is read.</li>
 *   <li>{@code tryRead} never waits: 0 when nothing is there, -1 at the end.</li>
 *   <li>{@link StreamState} (from {@link Region#streamState()}) says whether the stream ended
 *       cleanly or a writer died.</li>
 * </ul>
 * A byte array is never pinned while a read waits: the wait goes to a direct buffer, copied
 * over once bytes came. {@link #inputStream()} is the {@link InputStream} view.
 *
 * <p>One thread at a time. {@link #close()} closes the read end for good (writers then get
 * {@link DisconnectedException}); {@link #release()} hands it to the next
 * {@link Region#openStreamReader()}, in any process, which continues at the very next byte.
 */
public final class StreamReader extends NativeHandle {
    private static final long FOREVER = Long.MAX_VALUE;
    private static final int SCRATCH_MAX = 64 * 1024;

    // a read that must wait lands here first (a pinned array would stall the GC)
    private ByteBuffer scratch;
    private final DirectAddress scratchBuffer = new DirectAddress();
    private final DirectAddress messageBuffer = new DirectAddress();
    private InputStream view;

    StreamReader(long handle, Region region) {
        super(handle, "stream reader on " + region.name());
    }

    // ---- blocking ----------------------------------------------------------------------

    /**
     * Reads up to {@code dst.length} bytes, waiting for the first as long as it takes.
     *
     * @return how many bytes were read (at least 1 unless {@code dst} is empty), or -1 at the
     *         end of the stream
     */
    public int read(byte[] dst) {
        return read(dst, 0, dst.length);
    }

    /** As {@link #read(byte[])} into {@code dst[off, off + len)}. */
    public int read(byte[] dst, int off, int len) {
        return readBytes(dst, off, len, FOREVER, true);
    }

    /**
     * As {@link #read(byte[], int, int)}, waiting up to {@code timeout} for the first byte.
     *
     * @throws IndexBusTimeoutException if nothing came in time
     */
    public int read(byte[] dst, int off, int len, Duration timeout) {
        return readBytes(dst, off, len, Durations.toNanos(timeout), true);
    }

    /**
     * Reads into {@code dst} between its position and limit, waiting up to {@code timeout}
     * for the first byte, and advances the position by the bytes read. A direct buffer is
     * filled by the library in place.
     *
     * @return how many bytes were read, or -1 at the end of the stream
     * @throws IndexBusTimeoutException if nothing came in time
     */
    public int read(ByteBuffer dst, Duration timeout) {
        long h = handle();
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int pos = dst.position();
        int room = dst.remaining();
        int n;
        if (dst.isDirect()) {
            if (room == 0) {
                return 0;
            }
            n = readResult(indexbus.ibj_stream_read_at(h, messageBuffer.of(dst), dst.capacity(), pos,
                    room, Durations.toNanos(timeout)), true);
        } else {
            n = readBytes(dst.array(), dst.arrayOffset() + pos, room, Durations.toNanos(timeout), true);
        }
        if (n > 0) {
            dst.position(pos + n);
        }
        return n;
    }

    // ---- non-blocking ------------------------------------------------------------------

    /**
     * Reads what is there, up to {@code len} bytes, without waiting.
     *
     * @return how many bytes were read, 0 if nothing is there, or -1 at the end of the stream
     */
    public int tryRead(byte[] dst, int off, int len) {
        return readBytes(dst, off, len, 0, false);
    }

    /** As {@link #tryRead(byte[], int, int)} into all of {@code dst}. */
    public int tryRead(byte[] dst) {
        return tryRead(dst, 0, dst.length);
    }

    private int readBytes(byte[] dst, int off, int len, long nanos, boolean wait) {
        long h = handle();
        Objects.checkFromIndexSize(off, len, dst.length);
        if (len == 0) {
            return 0;
        }
        // what is there, in place, without waiting
        long r = indexbus.ibj_stream_read_bytes(h, dst, off, len);
        if (r != -Status.EMPTY || !wait || nanos == 0) {
            return readResult(r == -Status.EMPTY && wait ? -Status.TIMEOUT : r, wait);
        }
        ByteBuffer s = scratch(Math.min(len, SCRATCH_MAX));
        r = indexbus.ibj_stream_read_at(h, scratchBuffer.of(s), s.capacity(), 0,
                Math.min(len, s.capacity()), nanos);
        int n = readResult(r, true);
        if (n > 0) {
            s.get(0, dst, off, n);
        }
        return n;
    }

    /** A read's result: the bytes read, -1 at the end, 0 for nothing (not waiting), or throws. */
    private static int readResult(long r, boolean wait) {
        if (r >= 0) {
            return (int) r;
        }
        int st = (int) -r;
        switch (st) {
            case Status.DISCONNECTED:
                return -1;
            case Status.EMPTY:
                if (!wait) {
                    return 0;
                }
                throw new IndexBusTimeoutException("stream read");
            default:
                throw Status.exception(st, "stream read");
        }
    }

    private ByteBuffer scratch(int len) {
        ByteBuffer s = scratch;
        if (s == null || s.capacity() < len) {
            s = ByteBuffer.allocateDirect(Math.max(len, 256));
            scratch = s;
        }
        return s.clear();
    }

    // ---- leaving -----------------------------------------------------------------------

    /**
     * Hands the read end over without closing the stream: the next
     * {@link Region#openStreamReader()}, in this or any process, continues at the very next
     * byte. Closes this reader.
     */
    public void release() {
        long p = take();
        clearBuffers();
        Status.check(indexbus.indexbus_stream_reader_release(p), "stream reader release");
    }

    /**
     * An {@link InputStream} over this reader: {@code read} blocks as
     * {@link #read(byte[], int, int)} does and returns -1 at the end of the stream (a failure
     * is an {@link IOException} whose cause is the {@link IndexBusException}); {@code close}
     * closes this reader.
     */
    public InputStream inputStream() {
        if (view == null) {
            view = new InputStream() {
                private final byte[] one = new byte[1];

                @Override
                public int read() throws IOException {
                    int n = read(one, 0, 1);
                    return n < 0 ? -1 : one[0] & 0xff;
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    try {
                        return StreamReader.this.read(b, off, len);
                    } catch (IndexBusException e) {
                        throw new IOException(e.getMessage(), e);
                    } catch (IllegalStateException e) {
                        throw new IOException("stream closed", e);
                    }
                }

                @Override
                public void close() {
                    StreamReader.this.close();
                }
            };
        }
        return view;
    }

    private void clearBuffers() {
        scratchBuffer.clear();
        messageBuffer.clear();
        scratch = null;
    }

    @Override
    void release(long pointer) {
        clearBuffers();
        indexbus.indexbus_stream_reader_close(pointer);
    }
}
