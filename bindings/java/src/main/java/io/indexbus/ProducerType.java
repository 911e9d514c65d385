package io.indexbus;

import io.indexbus.internal.indexbus;

/** Producer flavours. */
public enum ProducerType {
    /** Single producer: exclusive, at most one per region ({@link BusyException} otherwise). */
    SPSC,
    /** Multi producer: any number, from any threads and processes (one handle per thread). */
    MPSC;

    long code() {
        return this == SPSC ? indexbus.INDEXBUS_PRODUCER_SPSC : indexbus.INDEXBUS_PRODUCER_MPSC;
    }
}
