package io.indexbus;

import io.indexbus.internal.indexbus;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A request/response client ({@link RegionKind#RPC}), from {@link Region#openRpcClient()}. Each
 * outstanding request holds one reply cell of the region, which is recycled for the client's
 * next request once its reply has been read: nothing is allocated in shared memory.
 *
 * <ul>
 *   <li>{@link #call(byte[], Duration)}: the whole round trip, returning a copy of the reply.
 *   </li>
 *   <li>{@link #callAsync(byte[], Duration)}: the same as a {@link CompletableFuture}; the
 *       request goes out at once, the reply is waited for on another thread.</li>
 *   <li>Zero copy: {@link #request(byte[])} (or {@link #claim(int)} + {@link #send(int)}) sends
 *       and returns the request's token; {@link #awaitReply(long, Duration)} lends the reply in
 *       place until {@link #replyDone(long)}; {@link #cancel(long)} gives a request up.</li>
 * </ul>
 * A token names its request only: a stale or forged one gives {@link NotFoundException}. When
 * the server holding a request closes, dies or drops it, or no server is attached any more,
 * the wait throws {@link DisconnectedException}.
 *
 * <p>Unlike the other handles, a client may be used from several threads: its calls are
 * serialised by a fair lock, and waits give it up every few milliseconds (so the threads that
 * complete {@link #callAsync} futures can share it). {@link #close()} gives up every outstanding
 * request and completes pending futures exceptionally.
 */
public final class RpcClient extends NativeHandle {
    private static final long FOREVER = Long.MAX_VALUE;
    /** Longest library wait while holding the lock. */
    private static final long SLICE_NANOS = 5_000_000L;

    private final ReentrantLock lock = new ReentrantLock(true);
    // guarded by lock
    private final long[] tokenOut = new long[1];
    private final ByteBuffer[] view = new ByteBuffer[1];
    private final DirectAddress requestBuffer = new DirectAddress();

    RpcClient(long handle, String region) {
        super(handle, "rpc client on " + region);
    }

    // ---- sending -----------------------------------------------------------------------

    /**
     * Copies {@code request} into a free reply cell and sends it. Never waits.
     *
     * @return the request's token, for {@link #awaitReply(long, Duration)} or
     *         {@link #cancel(long)}
     * @throws FullException         if every cell is taken
     * @throws TooLargeException     if the request is longer than the region's max request
     * @throws DisconnectedException if the servers that were attached have all gone
     */
    public long request(byte[] request) {
        return request(request, 0, request.length);
    }

    /** As {@link #request(byte[])} for {@code request[off, off + len)}. */
    public long request(byte[] request, int off, int len) {
        Objects.checkFromIndexSize(off, len, request.length);
        lock.lock();
        try {
            Status.check(indexbus.ibj_rpc_request_bytes(handle(), request, off, len, tokenOut),
                    "rpc request");
            return tokenOut[0];
        } finally {
            lock.unlock();
        }
    }

    /**
     * As {@link #request(byte[])} for the bytes of {@code request} from its position to its
     * limit; the position moves to the limit once sent. A direct buffer is read in place.
     */
    public long request(ByteBuffer request) {
        int pos = request.position();
        int len = request.remaining();
        long token;
        if (!request.isDirect()) {
            token = request.hasArray() ? request(request.array(), request.arrayOffset() + pos, len)
                    : request(Buffers.copy(request)); // a read-only heap buffer hides its array
        } else {
            lock.lock();
            try {
                Status.check(indexbus.ibj_rpc_request_at(handle(), requestBuffer.of(request),
                        request.capacity(), pos, len, tokenOut), "rpc request");
                token = tokenOut[0];
            } finally {
                lock.unlock();
            }
        }
        request.position(pos + len);
        return token;
    }

    /**
     * Zero-copy request: takes a free reply cell and returns its request buffer, exactly
     * {@code len} bytes of shared memory (a direct buffer, position 0, limit = capacity =
     * {@code len}). Write the request into it, then {@link #send(int)} it, or {@link #abort()}.
     * One claim at a time; the buffer is valid only until then.
     *
     * @throws TooLargeException if {@code len} is above the region's max request
     * @throws FullException     if every cell is taken
     * @throws IndexBusException {@link Status#BAD_STATE} if a claim is pending
     */
    public ByteBuffer claim(int len) {
        if (len < 0) {
            throw new IllegalArgumentException("len must be >= 0: " + len);
        }
        lock.lock();
        try {
            int st = indexbus.ibj_rpc_claim(handle(), len, view);
            ByteBuffer b = view[0];
            view[0] = null;
            Status.check(st, "rpc claim");
            return b;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Sends the first {@code len} bytes of the claimed request buffer.
     *
     * @return the request's token
     * @throws IndexBusException {@link Status#BAD_STATE} without a claim
     */
    public long send(int len) {
        if (len < 0) {
            throw new IllegalArgumentException("len must be >= 0: " + len);
        }
        lock.lock();
        try {
            Status.check(indexbus.indexbus_rpc_send(handle(), len, tokenOut), "rpc send");
            return tokenOut[0];
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives the claimed cell back unsent (the client keeps it for its next request).
     *
     * @throws IndexBusException {@link Status#BAD_STATE} without a claim
     */
    public void abort() {
        lock.lock();
        try {
            Status.check(indexbus.indexbus_rpc_abort(handle()), "rpc abort");
        } finally {
            lock.unlock();
        }
    }

    // ---- replies -----------------------------------------------------------------------

    /**
     * Waits up to {@code timeout} for the reply to {@code token} and lends it in place: a
     * read-only direct buffer over the reply in shared memory (position 0, limit = its
     * length), valid only until {@link #replyDone(long)}, which recycles the cell. Waiting
     * again before that lends the same reply again.
     *
     * @throws IndexBusTimeoutException if no reply came in time: the request stays
     *                                  outstanding (wait again, or {@link #cancel(long)})
     * @throws DisconnectedException    if its server closed, died or dropped it, or no server
     *                                  is attached any more (the cell is recycled)
     * @throws NotFoundException        if {@code token} is not an outstanding request of this
     *                                  client
     */
    public ByteBuffer awaitReply(long token, Duration timeout) {
        long nanos = Durations.toNanos(timeout);
        long deadline = nanos == FOREVER ? 0 : System.nanoTime() + nanos;
        for (;;) {
            long slice = nanos == FOREVER ? SLICE_NANOS
                    : Math.min(SLICE_NANOS, Math.max(deadline - System.nanoTime(), 0));
            lock.lock();
            try {
                int st = indexbus.indexbus_rpc_wait(handle(), token, view, slice);
                ByteBuffer b = view[0];
                view[0] = null;
                if (st == Status.OK) {
                    return b.asReadOnlyBuffer();
                }
                if (st != Status.TIMEOUT || (nanos != FOREVER && deadline - System.nanoTime() <= 0)) {
                    throw Status.exception(st, "rpc wait");
                }
            } finally {
                lock.unlock();
            }
        }
    }

    /**
     * Done with the reply lent by {@link #awaitReply(long, Duration)}: its cell is recycled
     * for the next request.
     *
     * @throws NotFoundException if {@code token} has no reply lent
     */
    public void replyDone(long token) {
        lock.lock();
        try {
            Status.check(indexbus.indexbus_rpc_reply_done(handle(), token), "rpc reply done");
        } finally {
            lock.unlock();
        }
    }

    /**
     * Gives up the outstanding request {@code token}: a late reply is dropped and counted
     * ({@link RegionInfo#rpcRepliesAbandoned()}).
     *
     * @throws NotFoundException if {@code token} is not an outstanding request of this client
     */
    public void cancel(long token) {
        lock.lock();
        try {
            Status.check(indexbus.indexbus_rpc_cancel(handle(), token), "rpc cancel");
        } finally {
            lock.unlock();
        }
    }

    // ---- round trips -------------------------------------------------------------------

    /**
     * Sends {@code request} and waits up to {@code timeout} for its reply.
     *
     * @return a copy of the reply
     * @throws IndexBusTimeoutException if no reply came in time (the request is cancelled)
     * @throws DisconnectedException    if its server closed, died or dropped it, or no server
     *                                  is attached any more
     */
    public byte[] call(byte[] request, Duration timeout) {
        long nanos = Durations.toNanos(timeout);
        long deadline = nanos == FOREVER ? 0 : System.nanoTime() + nanos;
        long token = request(request);
        for (;;) {
            byte[] reply = takeReply(token, slice(nanos, deadline));
            if (reply != null) {
                return reply;
            }
            if (nanos != FOREVER && deadline - System.nanoTime() <= 0) {
                cancelQuietly(token);
                throw new IndexBusTimeoutException("rpc call");
            }
        }
    }

    private static long slice(long nanos, long deadline) {
        return nanos == FOREVER ? SLICE_NANOS
                : Math.min(SLICE_NANOS, Math.max(deadline - System.nanoTime(), 0));
    }

    /**
     * One wait of at most {@code slice} for the reply to {@code token}; if it came, a copy of
     * it, the cell recycled, all under the lock (so no other thread can close the client while
     * the reply is read). Null on a timeout; throws for any other failure.
     */
    private byte[] takeReply(long token, long slice) {
        lock.lock();
        try {
            long h = handle();
            int st = indexbus.indexbus_rpc_wait(h, token, view, slice);
            ByteBuffer b = view[0];
            view[0] = null;
            if (st == Status.TIMEOUT) {
                return null;
            }
            Status.check(st, "rpc call");
            byte[] out = new byte[b.remaining()];
            b.get(out);
            Status.check(indexbus.indexbus_rpc_reply_done(h, token), "rpc call");
            return out;
        } finally {
            lock.unlock();
        }
    }

    /**
     * {@link #call(byte[], Duration)} as a future: the request goes out now (a failure to send
     * completes the future exceptionally at once), and a thread of a shared daemon pool waits
     * for the reply. The future completes with a copy of the reply, or exceptionally with the
     * exception {@link #call} would throw ({@link IndexBusTimeoutException} after
     * {@code timeout}, the request cancelled). Cancelling the future cancels the request.
     */
    public CompletableFuture<byte[]> callAsync(byte[] request, Duration timeout) {
        return callAsync(request, timeout, ReplyWaiters.pool());
    }

    /** As {@link #callAsync(byte[], Duration)}, waiting for the reply on {@code executor}. */
    public CompletableFuture<byte[]> callAsync(byte[] request, Duration timeout, Executor executor) {
        Objects.requireNonNull(executor, "executor");
        long nanos = Durations.toNanos(timeout);
        CompletableFuture<byte[]> future = new CompletableFuture<>();
        long token;
        try {
            token = request(request);
        } catch (RuntimeException e) {
            future.completeExceptionally(e);
            return future;
        }
        long deadline = nanos == FOREVER ? 0 : System.nanoTime() + nanos;
        try {
            executor.execute(() -> complete(future, token, nanos, deadline));
        } catch (RejectedExecutionException e) {
            cancelQuietly(token);
            future.completeExceptionally(e);
        }
        return future;
    }

    /** Waits for the reply to {@code token} in slices, stopping when the future was cancelled. */
    private void complete(CompletableFuture<byte[]> future, long token, long nanos, long deadline) {
        try {
            for (;;) {
                if (future.isDone()) { // cancelled by the caller
                    cancelQuietly(token);
                    return;
                }
                byte[] reply = takeReply(token, slice(nanos, deadline));
                if (reply != null) {
                    future.complete(reply);
                    return;
                }
                if (nanos != FOREVER && deadline - System.nanoTime() <= 0) {
                    cancelQuietly(token);
                    future.completeExceptionally(new IndexBusTimeoutException("rpc call"));
                    return;
                }
            }
        } catch (RuntimeException e) {
            future.completeExceptionally(e);
        }
    }

    private void cancelQuietly(long token) {
        lock.lock();
        try {
            if (!isClosed()) {
                indexbus.indexbus_rpc_cancel(handle(), token);
            }
        } finally {
            lock.unlock();
        }
    }

    /** Gives up every outstanding request and frees the client's cells. */
    @Override
    public void close() {
        lock.lock();
        try {
            super.close();
        } finally {
            lock.unlock();
        }
    }

    @Override
    void release(long pointer) {
        requestBuffer.clear();
        indexbus.indexbus_rpc_client_close(pointer);
    }

    /** The shared daemon threads that wait for the replies of {@link #callAsync} futures. */
    private static final class ReplyWaiters {
        private static final ExecutorService POOL = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "indexbus-rpc-reply");
            t.setDaemon(true);
            return t;
        });

        static Executor pool() {
            return POOL;
        }
    }
}
