package io.indexbus;

import io.indexbus.internal.indexbus;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;

/**
 * The write end of a byte stream ({@link RegionKind#STREAM}), from
 * {@link Region#openStreamWriter()}. Several writers may feed one stream
 * ({@link #openAnother()} joins another); the stream ends once every writer has closed and the
 * reader has drained it.
 *
 * <ul>
 *   <li>{@code write} writes all the bytes, waiting while the stream is full (back-pressure),
 *       up to a timeout if one is given ({@link StreamWriteTimeoutException} says how many bytes
 *       went in: always a complete prefix). A write of at most the stream's max record goes in
 *       whole or not at all, and stays contiguous with several writers.</li>
 *   <li>{@code tryWrite} writes what fits now, in one contiguous run, and returns how much
 *       (0 when the stream is full).</li>
 *   <li>Once the reader has closed or died every write throws {@link DisconnectedException}.
 *   </li>
 * </ul>
 * A byte array is never pinned while a write waits: what does not fit at once is copied to a
 * direct buffer first. {@link #outputStream()} is the {@link OutputStream} view.
 *
 * <p>One thread at a time. {@link #close()} leaves cleanly (the last writer out ends the
 * stream); {@link #abort()} leaves as a failed writer.
 */
public final class StreamWriter extends NativeHandle {
    private static final long FOREVER = Long.MAX_VALUE;
    private static final int SCRATCH_MIN = 64 * 1024;

    private final Region region;
    private final int maxRecord;
    // a write that must wait copies what is left of a byte[] here (a pinned array would stall the GC)
    private ByteBuffer scratch;
    private final DirectAddress scratchBuffer = new DirectAddress();
    private final DirectAddress messageBuffer = new DirectAddress();
    private OutputStream view;

    StreamWriter(long handle, Region region) {
        super(handle, "stream writer on " + region.name());
        this.region = region;
        int max;
        try {
            max = region.info().maxRecord();
        } catch (RuntimeException e) {
            indexbus.indexbus_stream_writer_close(handle);
            throw e;
        }
        this.maxRecord = max;
    }

    /**
     * Joins the same stream as another writer (the seed's "clone"): the stream ends only once
     * every writer has closed. Opened through the {@link Region} this writer came from, which
     * must still be open.
     */
    public StreamWriter openAnother() {
        return region.openStreamWriter();
    }

    // ---- blocking ----------------------------------------------------------------------

    /** Writes all of {@code data}, waiting for room as long as it takes. */
    public void write(byte[] data) {
        write(data, 0, data.length);
    }

    /** Writes all of {@code data[off, off + len)}, waiting for room as long as it takes. */
    public void write(byte[] data, int off, int len) {
        writeAll(data, off, len, FOREVER);
    }

    /**
     * Writes all of {@code data[off, off + len)}, waiting for room up to {@code timeout}.
     *
     * @throws StreamWriteTimeoutException if the timeout passed first, with the bytes written
     * @throws DisconnectedException       if the reader has closed or died
     */
    public void write(byte[] data, int off, int len, Duration timeout) {
        writeAll(data, off, len, Durations.toNanos(timeout));
    }

    /**
     * Writes the bytes of {@code src} from its position to its limit, waiting for room up to
     * {@code timeout}, and moves the position past them. A direct buffer is written from in
     * place, also while waiting. On a timeout the position moves past the bytes written.
     *
     * @throws StreamWriteTimeoutException if the timeout passed first, with the bytes written
     */
    public void write(ByteBuffer src, Duration timeout) {
        long h = handle();
        long nanos = Durations.toNanos(timeout);
        int pos = src.position();
        int len = src.remaining();
        if (!src.isDirect()) {
            try {
                if (src.hasArray()) {
                    writeAll(src.array(), src.arrayOffset() + pos, len, nanos);
                } else { // a read-only heap buffer hides its array
                    writeAll(Buffers.copy(src), 0, len, nanos);
                }
            } catch (StreamWriteTimeoutException e) {
                src.position(pos + e.bytesWritten());
                throw e;
            }
            src.position(pos + len);
            return;
        }
        long r = indexbus.ibj_stream_write_all_at(h, messageBuffer.of(src), src.capacity(), pos, len,
                nanos);
        int written = (int) (r >>> 32);
        src.position(pos + written);
        writeAllDone((int) r, written);
    }

    private void writeAll(byte[] data, int off, int len, long nanos) {
        long h = handle();
        Objects.checkFromIndexSize(off, len, data.length);
        long deadline = System.nanoTime() + nanos;
        // first in place, without waiting (a short spin, no park)
        long r = indexbus.ibj_stream_write_all_bytes(h, data, off, len);
        int done = (int) (r >>> 32);
        int st = (int) r;
        while (st == Status.TIMEOUT && done < len) {
            long wait = nanos == FOREVER ? FOREVER : deadline - System.nanoTime();
            if (wait <= 0) {
                break; // the timeout has passed: TIMEOUT with what went in
            }
            int left = len - done;
            // one piece if the rest is at most the max record (all or nothing), else chunks
            int chunk = Math.min(left, Math.max(maxRecord, SCRATCH_MIN));
            ByteBuffer s = scratch(chunk);
            s.put(data, off + done, chunk);
            r = indexbus.ibj_stream_write_all_at(h, scratchBuffer.of(s), s.capacity(), 0, chunk, wait);
            done += (int) (r >>> 32);
            st = (int) r;
            if (st == Status.OK && done < len) {
                st = Status.TIMEOUT; // the next chunk
            }
        }
        writeAllDone(st, done);
    }

    private static void writeAllDone(int status, int written) {
        if (status == Status.TIMEOUT) {
            throw new StreamWriteTimeoutException("stream write", written);
        }
        Status.check(status, "stream write");
    }

    private ByteBuffer scratch(int len) {
        ByteBuffer s = scratch;
        if (s == null || s.capacity() < len) {
            s = ByteBuffer.allocateDirect(Math.max(len, 256));
            scratch = s;
        }
        return s.clear();
    }

    // ---- non-blocking ------------------------------------------------------------------

    /**
     * Writes what fits of {@code data[off, off + len)} now, in one contiguous run.
     *
     * @return how many bytes were written; 0 if the stream is full (or {@code len} is 0)
     * @throws DisconnectedException if the reader has closed or died
     */
    public int tryWrite(byte[] data, int off, int len) {
        long h = handle();
        Objects.checkFromIndexSize(off, len, data.length);
        return written(indexbus.ibj_stream_write_bytes(h, data, off, len));
    }

    /** As {@link #tryWrite(byte[], int, int)} for all of {@code data}. */
    public int tryWrite(byte[] data) {
        return tryWrite(data, 0, data.length);
    }

    /**
     * Writes what fits now of the bytes of {@code src} from its position to its limit, and
     * moves the position past them. A direct buffer is written from in place.
     *
     * @return how many bytes were written; 0 if the stream is full
     */
    public int tryWrite(ByteBuffer src) {
        long h = handle();
        int pos = src.position();
        int len = src.remaining();
        int n;
        if (src.isDirect()) {
            n = written(indexbus.ibj_stream_write_at(h, messageBuffer.of(src), src.capacity(), pos, len));
        } else if (src.hasArray()) {
            n = written(indexbus.ibj_stream_write_bytes(h, src.array(), src.arrayOffset() + pos, len));
        } else { // a read-only heap buffer hides its array
            n = written(indexbus.ibj_stream_write_bytes(h, Buffers.copy(src), 0, len));
        }
        src.position(pos + n);
        return n;
    }

    private static int written(long r) {
        if (r >= 0) {
            return (int) r;
        }
        int st = (int) -r;
        if (st == Status.FULL) {
            return 0;
        }
        throw Status.exception(st, "stream tryWrite");
    }

    // ---- leaving -----------------------------------------------------------------------

    /**
     * Leaves as a writer that failed: counted as an aborted writer, exactly as if it had died
     * but at once, so the reader can tell ({@link StreamState#aborted()}; if it was the last
     * writer the stream ends aborted). What it wrote stays readable. Closes this writer.
     */
    public void abort() {
        long p = take();
        clearBuffers();
        Status.check(indexbus.indexbus_stream_writer_abort(p), "stream writer abort");
    }

    /**
     * An {@link OutputStream} over this writer: {@code write} blocks as
     * {@link #write(byte[], int, int)} does (a reader gone is an {@link IOException} whose
     * cause is the {@link DisconnectedException}), {@code flush} does nothing (every write is
     * in the stream when it returns), {@code close} closes this writer.
     */
    public OutputStream outputStream() {
        if (view == null) {
            view = new OutputStream() {
                private final byte[] one = new byte[1];

                @Override
                public void write(int b) throws IOException {
                    one[0] = (byte) b;
                    write(one, 0, 1);
                }

                @Override
                public void write(byte[] b, int off, int len) throws IOException {
                    try {
                        StreamWriter.this.write(b, off, len);
                    } catch (IndexBusException e) {
                        throw new IOException(e.getMessage(), e);
                    } catch (IllegalStateException e) {
                        throw new IOException("stream closed", e);
                    }
                }

                @Override
                public void close() {
                    StreamWriter.this.close();
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
        indexbus.indexbus_stream_writer_close(pointer);
    }
}
