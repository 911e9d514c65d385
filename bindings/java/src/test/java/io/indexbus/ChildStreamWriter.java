package io.indexbus;

import java.time.Duration;

/**
 * Child-process writer for {@link StreamTest}: opens a byte stream by name and writes
 * {@code count} bytes of {@link #bytes(int)} in writes of 10,000 bytes, blocking while the
 * parent JVM has not read; then closes the writer ({@code close}) or halts with it still open
 * ({@code die}, exit status 3).
 *
 * <p>Usage: {@code ChildStreamWriter <region> <count> <close|die>}
 */
public final class ChildStreamWriter {
    private ChildStreamWriter() {
    }

    static byte[] bytes(int count) {
        return LogTest.pattern(7, 0, count);
    }

    public static void main(String[] args) {
        String name = args[0];
        int count = Integer.parseInt(args[1]);
        byte[] src = bytes(count);
        try (Region region = Region.open(name); StreamWriter w = region.openStreamWriter()) {
            for (int off = 0; off < count; off += 10_000) {
                w.write(src, off, Math.min(10_000, count - off), Duration.ofSeconds(60));
            }
            if (args[2].equals("die")) {
                Runtime.getRuntime().halt(3); // no close: the writer dies attached
            }
        }
    }
}
