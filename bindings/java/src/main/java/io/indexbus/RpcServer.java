package io.indexbus;

import io.indexbus.internal.indexbus;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Objects;

/**
 * A request/response server ({@link RegionKind#RPC}), from {@link Region#openRpcServer()}. It
 * takes requests ({@link #serve(Duration)}) and replies to each exactly once. Several servers,
 * in any processes, share the requests as a work queue; a server may hold many requests at
 * once.
 *
 * <pre>{@code
 * try (RpcServer server = region.openRpcServer()) {
 *     RpcRequest req = server.serve(Duration.ofSeconds(1));
 *     req.reply(handle(req.bytes()));
 * }
 * }</pre>
 *
 * <p>A second reply, or a reply to a stale or forged token, throws {@link NotFoundException}
 * and never touches another request. A server that closes or dies fails the requests it holds
 * (their clients get {@link DisconnectedException}); a new server can take over.
 *
 * <p>One thread at a time. {@link #close()} fails the requests this server holds.
 */
public final class RpcServer extends NativeHandle {
    private final long[] tokenOut = new long[1];
    private final ByteBuffer[] view = new ByteBuffer[1];
    private final DirectAddress replyBuffer = new DirectAddress();

    RpcServer(long handle, String region) {
        super(handle, "rpc server on " + region);
    }

    /**
     * Takes the next request, waiting up to {@code timeout} for one.
     *
     * @throws IndexBusTimeoutException if none came in time
     */
    public RpcRequest serve(Duration timeout) {
        RpcRequest r = serveFor(Durations.toNanos(timeout));
        if (r == null) {
            throw new IndexBusTimeoutException("rpc serve");
        }
        return r;
    }

    /** Takes the next request without waiting; null if none is waiting. */
    public RpcRequest tryServe() {
        return serveFor(0);
    }

    private RpcRequest serveFor(long nanos) {
        int st = indexbus.indexbus_rpc_serve(handle(), tokenOut, view, nanos);
        ByteBuffer b = view[0];
        view[0] = null;
        if (st == Status.EMPTY || st == Status.TIMEOUT) {
            return null;
        }
        Status.check(st, "rpc serve");
        return new RpcRequest(this, tokenOut[0], b.asReadOnlyBuffer());
    }

    /**
     * Replies to the request {@code token} with a copy of {@code reply}: once per request. If
     * its client has given up meanwhile, the reply is dropped and counted, and this returns
     * normally.
     *
     * @throws NotFoundException for a token this server does not hold (stale, already replied,
     *                           forged)
     * @throws TooLargeException if the reply is longer than the region's max reply (the
     *                           request stays held)
     */
    public void reply(long token, byte[] reply) {
        reply(token, reply, 0, reply.length);
    }

    /** As {@link #reply(long, byte[])} with {@code reply[off, off + len)}. */
    public void reply(long token, byte[] reply, int off, int len) {
        long h = handle();
        Objects.checkFromIndexSize(off, len, reply.length);
        Status.check(indexbus.ibj_rpc_reply_bytes(h, token, reply, off, len), "rpc reply");
    }

    /**
     * As {@link #reply(long, byte[])} with the bytes of {@code reply} from its position to its
     * limit; the position moves to the limit. A direct buffer is read in place.
     */
    public void reply(long token, ByteBuffer reply) {
        long h = handle();
        int pos = reply.position();
        int len = reply.remaining();
        if (reply.isDirect()) {
            Status.check(indexbus.ibj_rpc_reply_at(h, token, replyBuffer.of(reply), reply.capacity(),
                    pos, len), "rpc reply");
        } else if (reply.hasArray()) {
            Status.check(indexbus.ibj_rpc_reply_bytes(h, token, reply.array(),
                    reply.arrayOffset() + pos, len), "rpc reply");
        } else { // a read-only heap buffer hides its array
            Status.check(indexbus.ibj_rpc_reply_bytes(h, token, Buffers.copy(reply), 0, len),
                    "rpc reply");
        }
        reply.position(pos + len);
    }

    /**
     * Zero-copy reply: the reply buffer of the request {@code token}, the region's max reply
     * bytes of shared memory (a direct buffer, position 0, limit = capacity). Write the reply
     * into it and {@link #replyCommit(long, int)} its length; the buffer is valid until then.
     *
     * @throws NotFoundException for a token this server does not hold
     */
    public ByteBuffer replyBuffer(long token) {
        int st = indexbus.indexbus_rpc_reply_buffer(handle(), token, view);
        ByteBuffer b = view[0];
        view[0] = null;
        Status.check(st, "rpc reply buffer");
        return b;
    }

    /**
     * Replies to {@code token} with the first {@code len} bytes of its reply buffer, as
     * {@link #reply(long, byte[])}.
     */
    public void replyCommit(long token, int len) {
        if (len < 0) {
            throw new IllegalArgumentException("len must be >= 0: " + len);
        }
        Status.check(indexbus.indexbus_rpc_reply_commit(handle(), token, len), "rpc reply commit");
    }

    /**
     * Drops the request {@code token} unanswered: its client's wait throws
     * {@link DisconnectedException} (counted in {@link RegionInfo#rpcRequestsFailed()}), as when
     * a one-shot sender is dropped unsent.
     *
     * @throws NotFoundException for a token this server does not hold
     */
    public void fail(long token) {
        Status.check(indexbus.indexbus_rpc_fail(handle(), token), "rpc fail");
    }

    @Override
    void release(long pointer) {
        replyBuffer.clear();
        indexbus.indexbus_rpc_server_close(pointer);
    }
}
