package io.indexbus;

import io.indexbus.internal.indexbus;

/** Which producer queue a {@link Router} takes messages from. */
public enum RouteSource {
    /** The SPSC producer queue only. */
    SPSC,
    /** The MPSC producer queue only. */
    MPSC,
    /** Both, alternating. */
    ANY;

    long code() {
        switch (this) {
            case SPSC:
                return indexbus.INDEXBUS_SOURCE_SPSC;
            case MPSC:
                return indexbus.INDEXBUS_SOURCE_MPSC;
            default:
                return indexbus.INDEXBUS_SOURCE_ANY;
        }
    }
}
