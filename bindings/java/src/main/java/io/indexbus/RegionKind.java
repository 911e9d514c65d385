package io.indexbus;

import io.indexbus.internal.indexbus;

/** The two kinds of region. */
public enum RegionKind {
    /** SPSC and MPSC producers feed one consumer (index 0). */
    EVENTS,
    /** Producers feed a {@link Router}, which broadcasts to or load-balances over consumers. */
    FANOUT;

    /** The C value ({@code INDEXBUS_KIND_*}). */
    long code() {
        return this == EVENTS ? indexbus.INDEXBUS_KIND_EVENTS : indexbus.INDEXBUS_KIND_FANOUT;
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
