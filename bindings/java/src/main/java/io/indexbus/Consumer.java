package io.indexbus;

import io.indexbus.internal.indexbus;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import java.util.Objects;

/**
 * Receives messages from a region: one consumer index (an events region has only index 0).
 *
 * <p>Receive contract:
 * <ul>
 *   <li>{@code tryRecv} never blocks: it returns the message length, or <b>-1 when nothing is
 *       waiting</b> ({@link Status#EMPTY}).</li>
 *   <li>{@code recv} waits up to a timeout and throws {@link IndexBusTimeoutException} if
 *       nothing came.</li>
 *   <li>When every producer has closed and everything they sent has been received, receive
 *       calls throw {@link DisconnectedException}.</li>
 *   <li>A message longer than the room offered stays queued and
 *       {@link BufferTooSmallException} says how long it is.</li>
 * </ul>
 * Into a {@link ByteBuffer} the message is written at the position, which then advances;
 * a direct buffer is written in place by the library, a heap one through its array.
 *
 * <p>One thread at a time. Obtained from {@link Region#openConsumer(int)}; {@link #close()}
 * ends a pending borrow.
 */
public final class Consumer extends NativeHandle {
    private final int index;
    private final int[] len = new int[1];
    private final ByteBuffer[] view = new ByteBuffer[1];
    // the direct buffers last received into (by tryRecv, by recvBatch) and their addresses
    private final DirectAddress messageBuffer = new DirectAddress();
    private final DirectAddress batchBuffer = new DirectAddress();
    private final DirectAddress lensBuffer = new DirectAddress();

    Consumer(long handle, int index, String region) {
        super(handle, "consumer " + index + " on " + region);
        this.index = index;
    }

    /** The consumer index in the region. */
    public int index() {
        return index;
    }

    // ---- non-blocking ------------------------------------------------------------------

    /**
     * Copies the next message into {@code dst} from index 0.
     *
     * @return its length, or -1 if nothing is waiting
     * @throws BufferTooSmallException if it does not fit (it stays queued)
     * @throws DisconnectedException   if producers are gone and everything was received
     */
    public int tryRecv(byte[] dst) {
        return received(indexbus.indexbus_try_recv(handle(), dst, len), "tryRecv", dst.length);
    }

    /** Copies the next message into {@code dst[off, off + cap)}; as {@link #tryRecv(byte[])}. */
    public int tryRecv(byte[] dst, int off, int cap) {
        long h = handle();
        Objects.checkFromIndexSize(off, cap, dst.length);
        return received(indexbus.ibj_try_recv_bytes(h, dst, off, cap, len), "tryRecv", cap);
    }

    /**
     * Copies the next message into {@code dst} between its position and limit, and advances
     * the position by its length.
     *
     * @return its length, or -1 if nothing is waiting (position unchanged)
     */
    public int tryRecv(ByteBuffer dst) {
        long h = handle();
        int pos = dst.position();
        int room = dst.remaining();
        int n;
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        } else if (dst.isDirect()) {
            long r = indexbus.ibj_try_recv_at(h, messageBuffer.of(dst), dst.capacity(), pos, room);
            if (r < 0) {
                return notReceived(-r, "tryRecv", room);
            }
            n = (int) r;
        } else {
            int st = indexbus.ibj_try_recv_bytes(h, dst.array(), dst.arrayOffset() + pos, room, len);
            n = received(st, "tryRecv", room);
        }
        if (n > 0) {
            dst.position(pos + n);
        }
        return n;
    }

    // ---- blocking ----------------------------------------------------------------------

    /**
     * Waits up to {@code timeout} until a message is ready, without taking it.
     *
     * @return true if one is ready, false if the timeout passed
     * @throws DisconnectedException if producers are gone and everything was received
     */
    public boolean await(Duration timeout) {
        int st = indexbus.indexbus_wait(handle(), Durations.toNanos(timeout));
        if (st == Status.TIMEOUT) {
            return false;
        }
        Status.check(st, "await");
        return true;
    }

    /**
     * Receives the next message into {@code dst}, waiting up to {@code timeout} for one.
     * The array is not pinned while waiting.
     *
     * @return its length
     * @throws IndexBusTimeoutException if nothing came in time
     */
    public int recv(byte[] dst, Duration timeout) {
        return recv(dst, 0, dst.length, timeout);
    }

    /** As {@link #recv(byte[], Duration)} into {@code dst[off, off + cap)}. */
    public int recv(byte[] dst, int off, int cap, Duration timeout) {
        long h = handle();
        Objects.checkFromIndexSize(off, cap, dst.length);
        long deadline = System.nanoTime() + Durations.toNanos(timeout);
        for (;;) {
            int n = received(indexbus.ibj_try_recv_bytes(h, dst, off, cap, len), "recv", cap);
            if (n >= 0) {
                return n;
            }
            long left = deadline - System.nanoTime();
            int st = indexbus.indexbus_wait(h, Math.max(left, 0));
            if (st == Status.TIMEOUT) {
                throw new IndexBusTimeoutException("recv");
            }
            Status.check(st, "recv");
        }
    }

    /**
     * Receives the next message into {@code dst} at its position, waiting up to
     * {@code timeout}; advances the position by its length. A direct buffer is filled by
     * the library in place.
     *
     * @return its length
     * @throws IndexBusTimeoutException if nothing came in time
     */
    public int recv(ByteBuffer dst, Duration timeout) {
        long h = handle();
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int pos = dst.position();
        int room = dst.remaining();
        int n;
        if (dst.isDirect()) {
            long r = indexbus.ibj_recv_at(h, messageBuffer.of(dst), dst.capacity(), pos, room,
                    Durations.toNanos(timeout));
            n = r >= 0 ? (int) r : notReceived(-r, "recv", room);
        } else {
            n = recv(dst.array(), dst.arrayOffset() + pos, room, timeout);
        }
        dst.position(pos + n);
        return n;
    }

    // ---- zero copy ---------------------------------------------------------------------

    /**
     * Borrows the next message in place: returns a read-only direct buffer over it
     * (position 0, limit = length), or {@code null} if nothing is waiting. The message is
     * consumed; its slot stays reserved until {@link #recvEnd()}, and the buffer must not be
     * used after that (nor after {@link #close()}).
     *
     * @throws DisconnectedException if producers are gone and everything was received
     * @throws IndexBusException     {@link Status#BAD_STATE} if a borrow is already pending
     */
    public ByteBuffer recvBegin() {
        int st = indexbus.indexbus_recv_begin(handle(), view);
        ByteBuffer b = view[0];
        view[0] = null;
        if (st == Status.EMPTY) {
            return null;
        }
        Status.check(st, "recvBegin");
        return b.asReadOnlyBuffer();
    }

    /**
     * Ends the borrow started by {@link #recvBegin()}, releasing the slot.
     *
     * @throws IndexBusException {@link Status#BAD_STATE} if nothing is borrowed
     */
    public void recvEnd() {
        Status.check(indexbus.indexbus_recv_end(handle()), "recvEnd");
    }

    // ---- batches -----------------------------------------------------------------------

    /**
     * Receives up to {@code lens.length} messages packed back to back into {@code dst};
     * {@code lens[i]} gets message {@code i}'s length.
     *
     * @return how many were received; 0 if nothing was waiting
     * @throws BufferTooSmallException if the first message does not fit (it stays queued)
     * @throws DisconnectedException   if producers are gone and everything was received
     */
    public int recvBatch(byte[] dst, int[] lens) {
        long h = handle();
        requireLens(lens);
        long r = indexbus.ibj_recv_batch_bytes(h, dst, 0, dst.length, lens);
        return r >= 0 ? (int) (r >>> 32) : batchFailed((int) -r, lens[0], dst.length);
    }

    /**
     * As {@link #recvBatch(byte[], int[])} into {@code dst} between its position and limit;
     * the position advances past the messages received.
     */
    public int recvBatch(ByteBuffer dst, int[] lens) {
        long h = handle();
        requireLens(lens);
        if (dst.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        int pos = dst.position();
        int room = dst.remaining();
        long r;
        if (dst.isDirect()) {
            r = indexbus.ibj_recv_batch_direct(h, dst, pos, room, lens);
        } else {
            r = indexbus.ibj_recv_batch_bytes(h, dst.array(), dst.arrayOffset() + pos, room, lens);
        }
        if (r < 0) {
            return batchFailed((int) -r, lens[0], room);
        }
        dst.position(pos + (int) r);
        return (int) (r >>> 32);
    }

    /**
     * Receives up to {@code lens.remaining()} messages packed back to back into {@code dst}
     * from its position (up to its limit); their lengths are put into {@code lens} from its
     * position. Both positions advance past what was received: {@code dst} by the bytes,
     * {@code lens} by the number of messages.
     *
     * <p>This is the fast batch call. When {@code dst} is direct and {@code lens} is a direct
     * buffer in native byte order (see {@link Batches#lengths(int)}), both are written in
     * place: nothing is allocated, pinned or copied on the Java side, and no exception is
     * made unless the call fails (nothing waiting returns 0). Other buffers work too, through
     * a copy of the lengths.
     *
     * @return how many were received; 0 if nothing was waiting
     * @throws IllegalArgumentException if {@code lens} has no room
     * @throws ReadOnlyBufferException  if {@code dst} or {@code lens} is read-only
     * @throws BufferTooSmallException  if the first message does not fit (it stays queued)
     * @throws DisconnectedException    if producers are gone and everything was received
     */
    public int recvBatch(ByteBuffer dst, IntBuffer lens) {
        long h = handle();
        int lpos = lens.position();
        int max = lens.limit() - lpos;
        if (max <= 0) {
            throw new IllegalArgumentException("lens must have room for at least one message");
        }
        if (dst.isReadOnly() || lens.isReadOnly()) {
            throw new ReadOnlyBufferException();
        }
        if (!dst.isDirect() || !Batches.isInPlace(lens)) {
            return recvBatchCopy(dst, lens, max);
        }
        int pos = dst.position();
        int room = dst.limit() - pos;
        long r = indexbus.ibj_recv_batch_at(h, batchBuffer.of(dst), dst.capacity(), pos, room,
                lensBuffer.of(lens), lens.capacity(), lpos, max);
        if (r < 0) {
            return batchFailed((int) -r, lens.get(lpos), room);
        }
        int n = (int) (r >>> 32);
        dst.position(pos + (int) r);
        lens.position(lpos + n);
        return n;
    }

    /** The lengths are not a direct native-order buffer (or the payload is on the heap). */
    private int recvBatchCopy(ByteBuffer dst, IntBuffer lens, int max) {
        int[] copy = new int[max];
        int n = recvBatch(dst, copy);
        lens.put(copy, 0, n);
        return n;
    }

    private static void requireLens(int[] lens) {
        if (lens.length == 0) {
            throw new IllegalArgumentException("lens must have room for at least one message");
        }
    }

    /**
     * A batch receive got nothing: 0 if nothing was waiting, else the exception.
     * {@code first} is the first length slot, which holds the length needed for
     * {@link Status#BUFFER_TOO_SMALL}.
     */
    private static int batchFailed(int status, int first, int room) {
        if (status == Status.EMPTY) {
            return 0;
        }
        if (status == Status.BUFFER_TOO_SMALL) {
            throw new BufferTooSmallException("recvBatch", first, room);
        }
        throw Status.exception(status, "recvBatch");
    }

    /** A failed ibj_try_recv_at or ibj_recv_at: {@code failure} is its result negated. */
    private static int notReceived(long failure, String op, int room) {
        int status = (int) failure;
        if (status == Status.EMPTY) {
            return -1;
        }
        if (status == Status.BUFFER_TOO_SMALL) {
            throw new BufferTooSmallException(op, (int) (failure >>> 32), room);
        }
        throw Status.exception(status, op);
    }

    private int received(int status, String op, int room) {
        switch (status) {
            case Status.OK:
                return len[0];
            case Status.EMPTY:
                return -1;
            case Status.BUFFER_TOO_SMALL:
                throw new BufferTooSmallException(op, len[0], room);
            default:
                throw Status.exception(status, op);
        }
    }

    @Override
    void release(long pointer) {
        messageBuffer.clear();
        batchBuffer.clear();
        lensBuffer.clear();
        indexbus.indexbus_consumer_close(pointer);
    }
}
