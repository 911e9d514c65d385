package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbusConstants;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.Objects;

/**
 * Publishes messages into a region: by copy from a {@code byte[]} or {@link ByteBuffer}, in
 * batches, or zero-copy by writing straight into a claimed slot.
 *
 * <p>Copying calls copy once, from the Java array (pinned for the call, not copied) or the
 * direct buffer's memory into the shared slot. They throw {@link FullException} when no slot
 * is free; the {@code offer} variants return {@code false} instead. Other failures:
 * {@link TooLargeException} (longer than the slot data size) and
 * {@link DisconnectedException} (every consumer that attached has closed).
 *
 * <p>One thread at a time: open one MPSC producer per thread instead of sharing one.
 * Obtained from {@link Region#openProducer(ProducerType)}; {@link #close()} aborts a pending
 * claim.
 */
public final class Producer extends NativeHandle {
    private final ProducerType type;
    private final ByteBuffer[] view = new ByteBuffer[1];
    private ByteBuffer claimed;
    // the direct buffers last published from (by publish, by publishBatch) and their addresses
    private final DirectAddress messageBuffer = new DirectAddress();
    private final DirectAddress batchBuffer = new DirectAddress();
    private final DirectAddress lensBuffer = new DirectAddress();

    Producer(long handle, ProducerType type, String region) {
        super(handle, type + " producer on " + region);
        this.type = type;
    }

    /** SPSC or MPSC. */
    public ProducerType type() {
        return type;
    }

    // ---- copy publish ------------------------------------------------------------------

    /** Publishes all of {@code message} (may be empty). */
    public void publish(byte[] message) {
        Status.check(indexbus.indexbus_publish(handle(), message), "publish");
    }

    /** Publishes {@code message[off, off + len)}. */
    public void publish(byte[] message, int off, int len) {
        Status.check(publishRange(message, off, len), "publish");
    }

    /**
     * Publishes the bytes of {@code message} from its position to its limit and moves the
     * position to the limit. A direct buffer is read in place (no extra copy); a heap buffer
     * through its array.
     */
    public void publish(ByteBuffer message) {
        Status.check(publishBuffer(message), "publish");
    }

    /** As {@link #publish(byte[])}, returning {@code false} instead of throwing when full. */
    public boolean offer(byte[] message) {
        return offered(indexbus.indexbus_publish(handle(), message));
    }

    /** As {@link #publish(byte[], int, int)}, returning {@code false} when full. */
    public boolean offer(byte[] message, int off, int len) {
        return offered(publishRange(message, off, len));
    }

    /** As {@link #publish(ByteBuffer)}, returning {@code false} (position unchanged) when full. */
    public boolean offer(ByteBuffer message) {
        return offered(publishBuffer(message));
    }

    private int publishRange(byte[] message, int off, int len) {
        long h = handle();
        Objects.checkFromIndexSize(off, len, message.length);
        return indexbus.ibj_publish_bytes(h, message, off, len);
    }

    private int publishBuffer(ByteBuffer message) {
        long h = handle();
        int pos = message.position();
        int len = message.remaining();
        int st;
        if (message.isDirect()) {
            st = indexbus.ibj_publish_at(h, messageBuffer.of(message), message.capacity(), pos, len);
        } else if (message.hasArray()) {
            st = indexbus.ibj_publish_bytes(h, message.array(), message.arrayOffset() + pos, len);
        } else {
            st = publishReadOnlyHeap(message);
        }
        if (st == Status.OK) {
            message.position(message.limit());
        }
        return st;
    }

    /** A read-only heap buffer hides its array: copy it into a claimed slot instead. */
    private int publishReadOnlyHeap(ByteBuffer message) {
        long h = handle();
        int st = indexbus.indexbus_claim(h, view);
        if (st != Status.OK) {
            return st;
        }
        ByteBuffer slot = takeView();
        if (message.remaining() > slot.capacity()) {
            indexbus.indexbus_abort(h);
            return Status.TOO_LARGE;
        }
        slot.put(message.duplicate());
        st = indexbus.indexbus_commit(h, slot.position());
        if (st != Status.OK) {
            indexbus.indexbus_abort(h);
        }
        return st;
    }

    private static boolean offered(int status) {
        if (status == Status.FULL) {
            return false;
        }
        Status.check(status, "offer");
        return true;
    }

    // ---- batches -----------------------------------------------------------------------

    /**
     * Publishes each message in order. Copies them into one packed array first; use
     * {@link #publishBatch(byte[], int[])} or {@link #publishBatch(ByteBuffer, int[])} to
     * avoid that.
     *
     * @return how many went out, as {@link #publishBatch(byte[], int[])}
     */
    public int publishBatch(byte[]... messages) {
        int total = 0;
        int[] lens = new int[messages.length];
        for (int i = 0; i < messages.length; i++) {
            lens[i] = messages[i].length;
            total = Math.addExact(total, lens[i]);
        }
        byte[] packed = new byte[total];
        int at = 0;
        for (byte[] m : messages) {
            System.arraycopy(m, 0, packed, at, m.length);
            at += m.length;
        }
        return publishBatch(packed, lens);
    }

    /**
     * Publishes {@code lens.length} messages packed back to back in {@code packed}, message
     * {@code i} being {@code lens[i]} bytes, in one call.
     *
     * @return how many went out, in order. Fewer than {@code lens.length} when the region
     *         filled up (0 if none fit; no exception), or when a later message failed: that
     *         failure is then thrown by the next call, which starts with that message.
     * @throws IndexOutOfBoundsException if the lengths add up to more than {@code packed}
     * @throws IndexBusException         if the first message cannot go out for a reason other
     *                                   than {@link Status#FULL}
     */
    public int publishBatch(byte[] packed, int[] lens) {
        long h = handle();
        long r = indexbus.ibj_publish_batch_bytes(h, packed, 0, packed.length, lens);
        return r >= 0 ? (int) (r >>> 32) : batchFailed((int) -r, lens, packed.length);
    }

    /**
     * As {@link #publishBatch(byte[], int[])} with the messages packed between the
     * position and limit of {@code packed}, which is read in place if direct. The position
     * advances past the messages that went out.
     */
    public int publishBatch(ByteBuffer packed, int[] lens) {
        long h = handle();
        int pos = packed.position();
        int len = packed.remaining();
        long r;
        if (packed.isDirect()) {
            r = indexbus.ibj_publish_batch_direct(h, packed, pos, len, lens);
        } else if (packed.hasArray()) {
            r = indexbus.ibj_publish_batch_bytes(h, packed.array(), packed.arrayOffset() + pos,
                    len, lens);
        } else {
            checkLens(lens, len);
            byte[] copy = new byte[len];
            packed.duplicate().get(copy);
            r = indexbus.ibj_publish_batch_bytes(h, copy, 0, len, lens);
        }
        if (r < 0) {
            return batchFailed((int) -r, lens, len);
        }
        packed.position(pos + (int) r);
        return (int) (r >>> 32);
    }

    /**
     * Publishes {@code lens.remaining()} messages in one call: message {@code i} is
     * {@code lens.get(lens.position() + i)} bytes, and the messages are packed back to back in
     * {@code packed} from its position (they must fit before its limit). Both positions
     * advance past what went out: {@code lens} by the number of messages, {@code packed} by
     * their bytes.
     *
     * <p>This is the fast batch call. When {@code packed} is direct and {@code lens} is a
     * direct buffer in native byte order (see {@link Batches#lengths(int)}), both are read in
     * place: nothing is allocated, pinned or copied on the Java side, and no exception is
     * made unless the call fails. Other buffers work too, through a copy of the lengths.
     *
     * @return how many went out, as {@link #publishBatch(byte[], int[])}
     * @throws IndexOutOfBoundsException if the lengths add up to more than
     *                                   {@code packed.remaining()} (nothing is sent)
     * @throws IllegalArgumentException  if a length is negative (nothing is sent)
     * @throws IndexBusException         if the first message cannot go out for a reason other
     *                                   than {@link Status#FULL}
     */
    public int publishBatch(ByteBuffer packed, IntBuffer lens) {
        long h = handle();
        if (!packed.isDirect() || !Batches.isInPlace(lens)) {
            return publishBatchCopy(packed, lens);
        }
        int pos = packed.position();
        int room = packed.limit() - pos;
        int lpos = lens.position();
        int count = lens.limit() - lpos;
        long r = indexbus.ibj_publish_batch_at(h, batchBuffer.of(packed), packed.capacity(), pos,
                room, lensBuffer.of(lens), lens.capacity(), lpos, count);
        if (r < 0) {
            int[] copy = new int[count];
            lens.get(lpos, copy);
            return batchFailed((int) -r, copy, room);
        }
        int n = (int) (r >>> 32);
        packed.position(pos + (int) r);
        lens.position(lpos + n);
        return n;
    }

    /** The lengths are not a direct native-order buffer (or the payload is on the heap). */
    private int publishBatchCopy(ByteBuffer packed, IntBuffer lens) {
        int[] copy = new int[lens.remaining()];
        lens.duplicate().get(copy);
        int n = publishBatch(packed, copy);
        lens.position(lens.position() + n);
        return n;
    }

    /**
     * A batch call sent nothing: 0 when full, else the exception. {@code lens} are the lengths
     * asked for (a copy for an IntBuffer), to say what was wrong with them.
     */
    private static int batchFailed(int status, int[] lens, int room) {
        if (status == Status.FULL) {
            return 0;
        }
        if (status == indexbusConstants.IBJ_LENS_DONT_FIT) {
            checkLens(lens, room);
            // they fit now: another thread changed them during the call
            throw new IndexOutOfBoundsException(
                    "lengths add up to more than the " + room + " bytes given");
        }
        throw Status.exception(status, "publishBatch");
    }

    private static void checkLens(int[] lens, int room) {
        long total = 0;
        for (int len : lens) {
            if (len < 0) {
                throw new IllegalArgumentException("negative message length " + len);
            }
            total += len;
        }
        if (total > room) {
            throw new IndexOutOfBoundsException(
                    "lengths add up to " + total + " bytes but only " + room + " are given");
        }
    }

    // ---- zero copy ---------------------------------------------------------------------

    /**
     * Reserves a slot and returns a direct buffer over it: position 0, limit = capacity =
     * the slot data size. Write the message into it, then {@link #commit(int)} (or
     * {@link #commit()}) to publish it, or {@link #abort()} to give the slot back. The buffer
     * is only valid until then: do not touch it afterwards.
     *
     * @throws FullException         if no slot is free
     * @throws DisconnectedException if every consumer has closed
     * @throws IndexBusException     {@link Status#BAD_STATE} if a claim is already pending
     */
    public ByteBuffer claim() {
        Status.check(indexbus.indexbus_claim(handle(), view), "claim");
        claimed = takeView();
        return claimed;
    }

    /**
     * Publishes the first {@code len} bytes of the claimed slot.
     *
     * @throws TooLargeException if {@code len} exceeds the slot; the claim stays pending
     * @throws FullException     if the queue is full; the claim stays pending: retry or abort
     * @throws IndexBusException {@link Status#BAD_STATE} if nothing is claimed
     */
    public void commit(int len) {
        long h = handle();
        if (len < 0) {
            throw new IllegalArgumentException("negative length " + len);
        }
        Status.check(indexbus.indexbus_commit(h, len), "commit");
        claimed = null;
    }

    /** Commits the claimed buffer's bytes up to its position (what relative puts wrote). */
    public void commit() {
        ByteBuffer b = claimed;
        if (b == null) {
            handle();
            throw new IndexBusException(Status.BAD_STATE, "commit without claim");
        }
        commit(b.position());
    }

    /**
     * Gives the claimed slot back unpublished.
     *
     * @throws IndexBusException {@link Status#BAD_STATE} if nothing is claimed
     */
    public void abort() {
        Status.check(indexbus.indexbus_abort(handle()), "abort");
        claimed = null;
    }

    private ByteBuffer takeView() {
        ByteBuffer b = view[0];
        view[0] = null;
        return b;
    }

    @Override
    void release(long pointer) {
        claimed = null;
        messageBuffer.clear();
        batchBuffer.clear();
        lensBuffer.clear();
        indexbus.indexbus_producer_close(pointer);
    }
}
