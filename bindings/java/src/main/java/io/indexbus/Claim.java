package io.indexbus;

import java.nio.ByteBuffer;

/**
 * A zero-copy claim of exactly {@link #length()} bytes, from {@link Producer#claim(int)} or
 * {@link Producer#claimWait(int, java.time.Duration)}: write the record into
 * {@link #buffer()}, then {@link #commit()} it. Closing a claim that was not committed aborts
 * it (on a byte log its bytes become padding the consumer skips), so try-with-resources
 * never leaves one pending:
 *
 * <pre>{@code
 * try (Claim c = producer.claim(payload.length)) {
 *     c.buffer().put(payload);
 *     c.commit();
 * }
 * }</pre>
 *
 * <p>The buffer is the region's shared memory: it is valid only until the claim ends
 * (commit, abort, close, or the producer's close); do not touch it afterwards. One thread at
 * a time, like its {@link Producer}.
 */
public final class Claim implements AutoCloseable {
    private final Producer producer;
    private final int length;
    private ByteBuffer buffer; // null once ended

    Claim(Producer producer, ByteBuffer buffer) {
        this.producer = producer;
        this.buffer = buffer;
        this.length = buffer.capacity();
    }

    /**
     * The claimed bytes: a direct buffer of exactly {@link #length()} bytes (position 0,
     * limit = capacity = length).
     *
     * @throws IllegalStateException once the claim has ended
     */
    public ByteBuffer buffer() {
        ByteBuffer b = buffer;
        if (b == null || !producer.isPending(this)) {
            buffer = null;
            throw new IllegalStateException("the claim has ended");
        }
        return b;
    }

    /** The number of bytes claimed. */
    public int length() {
        return length;
    }

    /** True until the claim is committed or aborted (or its producer closed). */
    public boolean isPending() {
        return buffer != null && producer.isPending(this);
    }

    /** Publishes all {@link #length()} bytes, whatever the buffer's position. */
    public void commit() {
        commit(length);
    }

    /**
     * Publishes the first {@code n} bytes ({@code n <= length()}); on a byte log the rest
     * become padding.
     *
     * @throws TooLargeException if {@code n > length()}; the claim stays pending
     * @throws FullException     (events and fanout regions) if the queue is full; the claim
     *                           stays pending: retry or abort
     * @throws IndexBusException {@link Status#BAD_STATE} if the claim has ended
     */
    public void commit(int n) {
        if (n < 0) {
            throw new IllegalArgumentException("negative length " + n);
        }
        producer.finish(this, "commit", h -> io.indexbus.internal.indexbus.indexbus_commit(h, n));
        buffer = null;
    }

    /**
     * Publishes nothing: on a byte log the claimed bytes become padding, a slot goes back.
     *
     * @throws IndexBusException {@link Status#BAD_STATE} if the claim has ended
     */
    public void abort() {
        producer.finish(this, "abort", io.indexbus.internal.indexbus::indexbus_abort);
        buffer = null;
    }

    /** Aborts the claim if it is still pending; otherwise does nothing. */
    @Override
    public void close() {
        if (isPending()) {
            abort();
        }
        buffer = null;
    }

    @Override
    public String toString() {
        return "Claim{" + length + " bytes" + (isPending() ? "" : ", ended") + "}";
    }
}
