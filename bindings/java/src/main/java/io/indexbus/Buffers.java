package io.indexbus;

import java.nio.ByteBuffer;

/** Small ByteBuffer helpers. */
final class Buffers {
    private Buffers() {
    }

    /** A copy of the bytes of {@code b} from its position to its limit; b is unchanged. */
    static byte[] copy(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
