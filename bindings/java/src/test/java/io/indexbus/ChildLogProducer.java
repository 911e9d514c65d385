package io.indexbus;

import java.time.Duration;

/**
 * Child-process producer for {@link LogTest}: opens a byte log by name and sends
 * {@code count} records made by {@link #record(int, int)} with the blocking
 * {@link Producer#publishWait(byte[], Duration)}, so it parks whenever the ring is full until
 * the parent JVM reads.
 *
 * <p>Usage: {@code ChildLogProducer <region> <count> <SPSC|MPSC>}
 */
public final class ChildLogProducer {
    private ChildLogProducer() {
    }

    /** Record {@code i}: {@code (i * 7) % (maxRecord + 1)} bytes of a pattern of {@code i}. */
    static byte[] record(int i, int maxRecord) {
        byte[] m = new byte[(i * 7) % (maxRecord + 1)];
        for (int k = 0; k < m.length; k++) {
            m[k] = (byte) (i * 5 + k * 3 + (k >> 8));
        }
        return m;
    }

    public static void main(String[] args) {
        String name = args[0];
        int count = Integer.parseInt(args[1]);
        ProducerType type = ProducerType.valueOf(args[2]);
        try (Region region = Region.open(name); Producer producer = region.openProducer(type)) {
            int max = region.info().maxRecord();
            for (int i = 0; i < count; i++) {
                producer.publishWait(record(i, max), Duration.ofSeconds(60));
            }
        }
        System.out.println("published " + count);
    }
}
