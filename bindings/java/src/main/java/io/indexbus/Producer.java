package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbusConstants;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.function.LongToIntFunction;

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
 * <p>Blocking producers ({@link #publishWait(byte[], Duration)},
 * {@link #claimWait(int, Duration)}, every region kind) wait for room instead of throwing
 * {@link FullException}: they spin, then park until the consumer (or router) frees space, up
 * to a timeout ({@link IndexBusTimeoutException}); a consumer that leaves or dies wakes them
 * ({@link DisconnectedException}). {@link #space()} is the room this producer sees.
 *
 * <p>Byte logs ({@link RegionKind#LOG}) store records of any length inline: {@link #claim(int)}
 * claims exactly the bytes a record needs, {@link #claimBatch(int...)} several records at once,
 * published with one store.
 *
 * <p>One thread at a time: open one MPSC producer per thread instead of sharing one.
 * Obtained from {@link Region#openProducer(ProducerType)}; {@link #close()} aborts a pending
 * claim.
 */
public final class Producer extends NativeHandle {
    private final ProducerType type;
    private final ByteBuffer[] view = new ByteBuffer[1];
    private ByteBuffer claimed;
    private Object pending; // the Claim or BatchClaim this producer has open, if any
    private final long[] spaceOut = new long[1];
    // publishWait copies a byte[] here before it blocks (a pinned array would stall the GC)
    private ByteBuffer scratch;
    private final DirectAddress scratchBuffer = new DirectAddress();
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
        pending = null;
        return claimed;
    }

    /**
     * Claims exactly {@code len} bytes (0 allowed) and returns them as a {@link Claim}, whose
     * buffer is the region's shared memory: write the record there and commit it; closing the
     * claim without committing aborts it. On a byte log {@code len} may be up to the max
     * record; on events and fanout regions it claims a slot and {@code len} may be up to the
     * slot data size.
     *
     * @throws TooLargeException     if {@code len} is more than that
     * @throws FullException         if there is no room now
     * @throws DisconnectedException if the consumer has gone
     * @throws IndexBusException     {@link Status#BAD_STATE} if a claim is already pending
     */
    public Claim claim(int len) {
        long h = handle();
        requireLength(len);
        Status.check(indexbus.ibj_claim_len(h, len, view), "claim");
        return claimed(new Claim(this, takeView()));
    }

    /**
     * As {@link #claim(int)}, but when the region is full it waits for room, up to
     * {@code timeout} (spinning, then parked until the consumer frees space). Every region
     * kind.
     *
     * @throws IndexBusTimeoutException if no room came in time
     * @throws DisconnectedException    if the consumer leaves or dies meanwhile
     */
    public Claim claimWait(int len, Duration timeout) {
        long h = handle();
        requireLength(len);
        int st = indexbus.ibj_claim_wait(h, len, Durations.toNanos(timeout), view);
        Status.check(st, "claimWait");
        return claimed(new Claim(this, takeView()));
    }

    /**
     * Reserves room for {@code lens.length} records of {@code lens[i]} bytes at once, in a
     * byte log, and returns them as a {@link BatchClaim}: fill the buffers in place, then
     * commit all or the first n with one store; closing it without committing publishes
     * none. Nothing is visible to the consumer before the commit.
     *
     * @throws IllegalArgumentException if {@code lens} is empty or a length is negative
     * @throws TooLargeException        if a record exceeds the max record, or the batch half
     *                                  the ring
     * @throws FullException            if the batch does not fit now (nothing is reserved)
     * @throws IndexBusException        {@link Status#WRONG_KIND} on events and fanout regions
     *                                  (use {@link #publishBatch(byte[], int[])}),
     *                                  {@link Status#BAD_STATE} if a claim is pending
     */
    public BatchClaim claimBatch(int... lens) {
        long h = handle();
        if (lens.length == 0) {
            throw new IllegalArgumentException("a batch claim needs at least one length");
        }
        for (int len : lens) {
            requireLength(len);
        }
        ByteBuffer[] views = new ByteBuffer[lens.length];
        Status.check(indexbus.ibj_claim_batch(h, lens, views), "claimBatch");
        return claimed(new BatchClaim(this, views));
    }

    private <T> T claimed(T claim) {
        claimed = null;
        pending = claim;
        return claim;
    }

    private static void requireLength(int len) {
        if (len < 0) {
            throw new IllegalArgumentException("negative length " + len);
        }
    }

    /** True if {@code claim} is this open producer's pending claim or batch. */
    boolean isPending(Object claim) {
        return !isClosed() && pending == claim;
    }

    /** Ends {@code claim} with {@code call} (commit or abort), if it is still pending. */
    void finish(Object claim, String op, LongToIntFunction call) {
        long h = handle();
        if (pending != claim) {
            throw new IndexBusException(Status.BAD_STATE, op + ": the claim has ended");
        }
        Status.check(call.applyAsInt(h), op);
        pending = null;
    }

    // ---- blocking ----------------------------------------------------------------------

    /**
     * Publishes all of {@code message}, waiting up to {@code timeout} for room when the
     * region is full (spinning, then parked until the consumer frees space). Every region
     * kind. No array is pinned while it waits: if it has to wait, the message is first copied
     * to a direct buffer this producer keeps.
     *
     * @throws IndexBusTimeoutException if no room came in time (nothing is published)
     * @throws DisconnectedException    if the consumer leaves or dies meanwhile
     * @throws TooLargeException        if the message is longer than the max record or slot
     */
    public void publishWait(byte[] message, Duration timeout) {
        publishWait(message, 0, message.length, timeout);
    }

    /** As {@link #publishWait(byte[], Duration)} for {@code message[off, off + len)}. */
    public void publishWait(byte[] message, int off, int len, Duration timeout) {
        long h = handle();
        Objects.checkFromIndexSize(off, len, message.length);
        long nanos = Durations.toNanos(timeout);
        int st = indexbus.ibj_publish_bytes(h, message, off, len);
        if (st == Status.FULL) {
            ByteBuffer s = scratch(len);
            s.put(message, off, len);
            st = indexbus.ibj_publish_wait_at(h, scratchBuffer.of(s), s.capacity(), 0, len, nanos);
        }
        Status.check(st, "publishWait");
    }

    /**
     * As {@link #publishWait(byte[], Duration)} for the bytes of {@code message} from its
     * position to its limit; the position moves to the limit once published. A direct buffer
     * is read in place, also while waiting.
     */
    public void publishWait(ByteBuffer message, Duration timeout) {
        long h = handle();
        long nanos = Durations.toNanos(timeout);
        int pos = message.position();
        int len = message.remaining();
        if (message.isDirect()) {
            Status.check(indexbus.ibj_publish_wait_at(h, messageBuffer.of(message),
                    message.capacity(), pos, len, nanos), "publishWait");
        } else if (message.hasArray()) {
            publishWait(message.array(), message.arrayOffset() + pos, len, timeout);
        } else {
            ByteBuffer s = scratch(len);
            s.put(message.duplicate());
            Status.check(indexbus.ibj_publish_wait_at(h, scratchBuffer.of(s), s.capacity(), 0,
                    len, nanos), "publishWait");
        }
        message.position(message.limit());
    }

    /** The scratch buffer, cleared, with room for {@code len} bytes. */
    private ByteBuffer scratch(int len) {
        ByteBuffer s = scratch;
        if (s == null || s.capacity() < len) {
            s = ByteBuffer.allocateDirect(Math.max(len, 256));
            scratch = s;
        }
        return s.clear();
    }

    /**
     * The free space as this producer sees it now: on a byte log the free ring bytes (a
     * record of n bytes takes 8 + n rounded up to a multiple of 8, plus padding where it
     * would straddle the ring's end); on events and fanout regions the number of messages it
     * could publish now.
     */
    public long space() {
        Status.check(indexbus.indexbus_producer_space(handle(), spaceOut), "space");
        return spaceOut[0];
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
        pending = null;
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
        pending = null;
    }

    private ByteBuffer takeView() {
        ByteBuffer b = view[0];
        view[0] = null;
        return b;
    }

    @Override
    void release(long pointer) {
        claimed = null;
        pending = null;
        scratch = null;
        scratchBuffer.clear();
        messageBuffer.clear();
        batchBuffer.clear();
        lensBuffer.clear();
        indexbus.indexbus_producer_close(pointer);
    }
}
