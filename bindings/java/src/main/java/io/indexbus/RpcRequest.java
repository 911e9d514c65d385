package io.indexbus;

import java.nio.ByteBuffer;

/**
 * A request an {@link RpcServer} took: its {@link #token()} and its bytes, lent in place
 * ({@link #data()}) until the reply (or the server's close). Reply once: {@link #reply(byte[])},
 * the zero-copy {@link #replyBuffer()} + {@link #commit(int)}, or {@link #fail()} to drop it
 * unanswered. One thread at a time, like its server.
 */
public final class RpcRequest {
    private final RpcServer server;
    private final long token;
    private final ByteBuffer data;

    RpcRequest(RpcServer server, long token, ByteBuffer data) {
        this.server = server;
        this.token = token;
        this.data = data;
    }

    /** The token naming this request: its cell's generation (high 32 bits) and cell (low). */
    public long token() {
        return token;
    }

    /**
     * The request in shared memory: a read-only direct buffer (position 0, limit = its
     * length), valid only until the reply; do not keep it.
     */
    public ByteBuffer data() {
        return data.duplicate();
    }

    /** A copy of the request's bytes. */
    public byte[] bytes() {
        byte[] out = new byte[data.remaining()];
        data.duplicate().get(out);
        return out;
    }

    /** Replies with a copy of {@code reply}; see {@link RpcServer#reply(long, byte[])}. */
    public void reply(byte[] reply) {
        server.reply(token, reply);
    }

    /** Replies with the remaining bytes of {@code reply}; see {@link RpcServer#reply(long, ByteBuffer)}. */
    public void reply(ByteBuffer reply) {
        server.reply(token, reply);
    }

    /** The reply buffer for a zero-copy reply; see {@link RpcServer#replyBuffer(long)}. */
    public ByteBuffer replyBuffer() {
        return server.replyBuffer(token);
    }

    /** Replies with the first {@code len} bytes of the reply buffer. */
    public void commit(int len) {
        server.replyCommit(token, len);
    }

    /** Drops the request unanswered: its client gets {@link DisconnectedException}. */
    public void fail() {
        server.fail(token);
    }

    @Override
    public String toString() {
        return "RpcRequest{cell=" + (token & 0xffffffffL) + ", generation=" + (token >>> 32)
                + ", length=" + data.remaining() + "}";
    }
}
