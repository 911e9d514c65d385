package io.indexbus;

import java.time.Duration;
import java.util.Objects;

/** Duration to the library's unsigned nanoseconds. */
final class Durations {
    private Durations() {
    }

    /** Nanoseconds, negative as 0, too long to count as {@link Long#MAX_VALUE} (about 292 years). */
    static long toNanos(Duration d) {
        Objects.requireNonNull(d, "timeout");
        if (d.isNegative()) {
            return 0;
        }
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
