package io.indexbus;

/**
 * A snapshot of a region's geometry, counters and participants ({@code indexbus_info}).
 * Counters are read without stopping anyone, so they are exact only when the region is
 * quiet.
 *
 * @param kind              events, fanout, log, stream or rpc
 * @param layoutMajor       region layout major version
 * @param layoutMinor       region layout minor version
 * @param capabilities      {@code INDEXBUS_CAP_*} bits
 * @param totalBytes        layout size in bytes
 * @param slotCount         slots in the pool
 * @param slotDataSize      bytes per slot (the largest message)
 * @param queueCapacity     capacity of each index queue
 * @param consumerCount     consumer queues (1 for events)
 * @param creatorPid        process that created the region
 * @param freeSlots         free slots in the pool
 * @param creationTimeNanos creation time, nanoseconds since the epoch
 * @param published         messages published (SPSC + MPSC)
 * @param routed            messages routed (fanout)
 * @param routeNoSpace      routing steps that found no room (fanout)
 * @param producersLive     attached producers
 * @param consumersLive     attached consumers
 * @param routersLive       attached routers
 * @param participantsLive  attached handles of any role
 * @param spscDepth         messages waiting in the SPSC producer queue
 * @param mpscDepth         messages waiting in the MPSC producer queue
 * @param byteCapacity      byte logs: ring bytes (0 for other kinds, as the next five)
 * @param maxRecord         byte logs: the largest record payload
 * @param bytesUsed         byte logs: ring bytes reserved and not yet given back by the
 *                          consumer
 * @param bytesFree         byte logs: {@code byteCapacity - bytesUsed}
 * @param bytesPadding      byte logs: of the unread bytes, padding (the wrap, aborts, dead
 *                          writers)
 * @param recordsWaiting    byte logs: committed records not yet received
 * @param streamFlags       byte streams: the latched state, {@link StreamState} flags (0 for
 *                          other kinds, as the next three)
 * @param streamWriters     byte streams: writers attached now
 * @param writersAborted    byte streams: writers that died or aborted (saturating at 4095)
 * @param streamBytesRead   byte streams: bytes the reader has taken
 * @param rpcCells          request/response: reply cells (0 for other kinds, as the next five)
 * @param rpcCellsFree      request/response: free cells (a snapshot)
 * @param maxRequest        request/response: the largest request
 * @param maxReply          request/response: the largest reply
 * @param rpcRepliesAbandoned request/response: replies whose client had given up or died
 * @param rpcRequestsFailed request/response: requests failed because their server closed, died
 *                          or dropped them
 */
public record RegionInfo(
        RegionKind kind,
        int layoutMajor,
        int layoutMinor,
        long capabilities,
        long totalBytes,
        int slotCount,
        int slotDataSize,
        int queueCapacity,
        int consumerCount,
        long creatorPid,
        int freeSlots,
        long creationTimeNanos,
        long published,
        long routed,
        long routeNoSpace,
        int producersLive,
        int consumersLive,
        int routersLive,
        int participantsLive,
        long spscDepth,
        long mpscDepth,
        long byteCapacity,
        int maxRecord,
        long bytesUsed,
        long bytesFree,
        long bytesPadding,
        long recordsWaiting,
        int streamFlags,
        int streamWriters,
        int writersAborted,
        long streamBytesRead,
        int rpcCells,
        int rpcCellsFree,
        int maxRequest,
        int maxReply,
        long rpcRepliesAbandoned,
        long rpcRequestsFailed) {

    /** Capability bit 37 ({@code INDEXBUS_CAP_FANOUT_RECYCLE}, layout 1.3). */
    public static final long CAP_FANOUT_RECYCLE = 1L << 37;
    /** Capability bit 38 ({@code INDEXBUS_CAP_MPSC_BATCH}, layout 1.3). */
    public static final long CAP_MPSC_BATCH = 1L << 38;
    /** Capability bit 39 ({@code INDEXBUS_CAP_MPSC_RECYCLE}, layout 1.3, events only). */
    public static final long CAP_MPSC_RECYCLE = 1L << 39;

    /**
     * Whether the region recycles fanout slots through its queue cells (created with
     * {@link RegionConfig.Builder#recycle(boolean)}).
     */
    public boolean fanoutRecycle() {
        return (capabilities & CAP_FANOUT_RECYCLE) != 0;
    }

    /**
     * Whether MPSC producers reserve a whole batch's queue cells at once (created with
     * {@link RegionConfig.Builder#mpscBatch(boolean)}).
     */
    public boolean mpscBatch() {
        return (capabilities & CAP_MPSC_BATCH) != 0;
    }

    /**
     * Whether the events region recycles MPSC slots through its MPSC cells (created with
     * {@link RegionConfig.Builder#recycle(boolean)}).
     */
    public boolean mpscRecycle() {
        return (capabilities & CAP_MPSC_RECYCLE) != 0;
    }
}
