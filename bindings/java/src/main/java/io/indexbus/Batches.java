package io.indexbus;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * Buffers for the fast batch calls, {@link Producer#publishBatch(ByteBuffer, IntBuffer)} and
 * {@link Consumer#recvBatch(ByteBuffer, IntBuffer)}: those read and write a direct payload
 * {@link ByteBuffer} and a direct lengths {@link IntBuffer} in place when the lengths are in
 * native byte order. Allocate both once and reuse them:
 *
 * <pre>{@code
 * ByteBuffer packed = ByteBuffer.allocateDirect(32 * 64);
 * IntBuffer lens = Batches.lengths(32);
 * ...
 * packed.clear().put(first).put(second);
 * lens.clear().put(first.length).put(second.length);
 * int sent = producer.publishBatch(packed.flip(), lens.flip());
 * }</pre>
 */
public final class Batches {
    private Batches() {
    }

    /**
     * A direct buffer of {@code count} message lengths in native byte order (position 0,
     * limit = capacity = {@code count}), the form the batch calls use in place.
     *
     * @throws IllegalArgumentException if {@code count} is negative or too large
     */
    public static IntBuffer lengths(int count) {
        if (count < 0 || count > Integer.MAX_VALUE / Integer.BYTES) {
            throw new IllegalArgumentException("bad length count " + count);
        }
        return ByteBuffer.allocateDirect(count * Integer.BYTES).order(ByteOrder.nativeOrder())
                .asIntBuffer();
    }

    /** True if the batch calls use {@code lens} in place: direct, in native byte order. */
    public static boolean isInPlace(IntBuffer lens) {
        return lens.isDirect() && lens.order() == ByteOrder.nativeOrder();
    }
}
