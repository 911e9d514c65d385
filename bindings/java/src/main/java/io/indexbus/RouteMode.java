package io.indexbus;

import io.indexbus.internal.indexbus;

/** How a {@link Router} spreads messages over consumers. */
public enum RouteMode {
    /** Every consumer gets every message (consumers with a full queue miss it). */
    BROADCAST,
    /** Each message goes to one consumer, round robin, skipping full queues. */
    WORK_QUEUE;

    long code() {
        return this == BROADCAST ? indexbus.INDEXBUS_MODE_BROADCAST : indexbus.INDEXBUS_MODE_WORK_QUEUE;
    }
}
