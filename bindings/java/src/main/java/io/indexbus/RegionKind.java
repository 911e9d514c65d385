package io.indexbus;

import io.indexbus.internal.indexbus;

/** The kinds of region. */
public enum RegionKind {
    /** SPSC and MPSC producers feed one consumer (index 0). */
    EVENTS,
    /** Producers feed a {@link Router}, which broadcasts to or load-balances over consumers. */
    FANOUT,
    /**
     * A byte log (layout 1.1): records of any length up to the max record stored inline in a
     * byte ring; one SPSC producer or any number of MPSC producers (not both at once) feed
     * one consumer (index 0). See {@link RegionConfig#log(long)}.
     */
    LOG,
    /**
     * A byte stream (layout 1.1): a pipe in shared memory on a byte ring, with any number of
     * {@link StreamWriter}s and one {@link StreamReader}; end of stream and reader-gone are
     * latched in the region. See {@link RegionConfig#stream(long)}.
     */
    STREAM,
    /**
     * Request/response (layout 1.1): {@link RpcClient}s send requests through reusable reply
     * cells to {@link RpcServer}s (a work queue), which reply to each once. See
     * {@link RegionConfig#rpc(int, int, int)}.
     */
    RPC;

    /** The C value ({@code INDEXBUS_KIND_*}). */
    long code() {
        switch (this) {
            case EVENTS:
                return indexbus.INDEXBUS_KIND_EVENTS;
            case FANOUT:
                return indexbus.INDEXBUS_KIND_FANOUT;
            case LOG:
                return indexbus.INDEXBUS_KIND_LOG;
            case STREAM:
                return indexbus.INDEXBUS_KIND_STREAM;
            default:
                return indexbus.INDEXBUS_KIND_RPC;
        }
    }

    static RegionKind of(long code) {
        for (RegionKind k : values()) {
            if (k.code() == code) {
                return k;
            }
        }
        throw new IndexBusException(Status.CORRUPT, "unknown region kind " + code);
    }
}
