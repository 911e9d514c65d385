package io.indexbus;

import io.indexbus.internal.indexbus;
import java.nio.Buffer;

/**
 * The memory address of the direct buffer a handle used last, looked up again (one JNI call)
 * only when a different buffer comes. Asking JNI for a direct buffer's address and capacity on
 * every call costs more than the library work of a small batch; a buffer's address never
 * changes and its capacity is final, so the hot paths pass both as plain numbers and the C side
 * checks every range against that capacity. The buffer stays referenced here while its address
 * is kept (and every caller uses the buffer again after the native call, to move its position,
 * so it is reachable during the call too). One thread at a time, like the handle that owns it.
 */
final class DirectAddress {
    private Buffer buffer;
    private long address;

    /** The address of {@code direct}, which must be a direct buffer. */
    long of(Buffer direct) {
        if (direct != buffer) {
            address = indexbus.ibj_direct_address(direct);
            buffer = direct;
        }
        return address;
    }

    /** Forgets the buffer (on close, so that the handle does not keep it alive). */
    void clear() {
        buffer = null;
        address = 0;
    }
}
