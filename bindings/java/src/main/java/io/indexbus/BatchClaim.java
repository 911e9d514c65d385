package io.indexbus;

import java.nio.ByteBuffer;
import java.util.List;

/**
 * An in-place batch claim on a byte log, from {@link Producer#claimBatch(int...)}: room for
 * {@link #size()} records reserved at once, filled where they lie, and published with a
 * single store by {@link #commit(int)}. Nothing is visible to the consumer before that.
 * Closing a batch that was not committed publishes none of it (the reservation becomes
 * padding the consumer skips):
 *
 * <pre>{@code
 * try (BatchClaim batch = producer.claimBatch(16, 200, 0)) {
 *     for (int i = 0; i < batch.size(); i++) {
 *         fill(batch.buffer(i));   // exactly 16, 200 and 0 bytes
 *     }
 *     batch.commit();              // all three with one store
 * }
 * }</pre>
 *
 * <p>The buffers are the region's shared memory: valid only until the batch ends (commit,
 * abort, close, or the producer's close). One thread at a time, like its {@link Producer}.
 */
public final class BatchClaim implements AutoCloseable {
    private final Producer producer;
    private final int size;
    private ByteBuffer[] buffers; // null once ended

    BatchClaim(Producer producer, ByteBuffer[] buffers) {
        this.producer = producer;
        this.buffers = buffers;
        this.size = buffers.length;
    }

    /** How many records the batch holds. */
    public int size() {
        return size;
    }

    /**
     * Record {@code i}'s bytes: a direct buffer of exactly the length asked for (position 0,
     * limit = capacity = that length).
     *
     * @throws IllegalStateException     once the batch has ended
     * @throws IndexOutOfBoundsException if {@code i} is not in {@code 0..size()-1}
     */
    public ByteBuffer buffer(int i) {
        return live()[i];
    }

    /** All the records' buffers, in the order they will be received (unmodifiable). */
    public List<ByteBuffer> buffers() {
        return List.of(live());
    }

    /** True until the batch is committed or aborted (or its producer closed). */
    public boolean isPending() {
        return buffers != null && producer.isPending(this);
    }

    /** Publishes every record of the batch. */
    public void commit() {
        commit(size);
    }

    /**
     * Publishes the first {@code n} records ({@code 0 <= n <= size()}) with one store; the
     * rest become padding.
     *
     * @throws IllegalArgumentException if {@code n} is outside {@code 0..size()}
     * @throws IndexBusException        {@link Status#BAD_STATE} if the batch has ended
     */
    public void commit(int n) {
        if (n < 0 || n > size) {
            throw new IllegalArgumentException("commit " + n + " of a batch of " + size);
        }
        producer.finish(this, "commitBatch",
                h -> io.indexbus.internal.indexbus.indexbus_commit_batch(h, n));
        buffers = null;
    }

    /**
     * Publishes none of the records: the whole reservation becomes padding.
     *
     * @throws IndexBusException {@link Status#BAD_STATE} if the batch has ended
     */
    public void abort() {
        producer.finish(this, "abortBatch", io.indexbus.internal.indexbus::indexbus_abort);
        buffers = null;
    }

    /** Aborts the batch if it is still pending (none of it is published); otherwise nothing. */
    @Override
    public void close() {
        if (isPending()) {
            abort();
        }
        buffers = null;
    }

    private ByteBuffer[] live() {
        ByteBuffer[] b = buffers;
        if (b == null || !producer.isPending(this)) {
            buffers = null;
            throw new IllegalStateException("the batch has ended");
        }
        return b;
    }

    @Override
    public String toString() {
        return "BatchClaim{" + size + " records" + (isPending() ? "" : ", ended") + "}";
    }
}
