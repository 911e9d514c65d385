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
    LOG;

    /** The C value ({@code INDEXBUS_KIND_*}). */
    long code() {
        switch (this) {
            case EVENTS:
                return indexbus.INDEXBUS_KIND_EVENTS;
            case FANOUT:
                return indexbus.INDEXBUS_KIND_FANOUT;
            default:
                return indexbus.INDEXBUS_KIND_LOG;
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
