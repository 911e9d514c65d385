package io.indexbus;

/**
 * A snapshot of a region's geometry, counters and participants ({@code indexbus_info}).
 * Counters are read without stopping anyone, so they are exact only when the region is
 * quiet.
 *
 * @param kind              events, fanout or log
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
        long recordsWaiting) {
}
