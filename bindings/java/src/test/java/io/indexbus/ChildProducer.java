package io.indexbus;

/**
 * Child-process producer for {@link MultiProcessTest}: opens the region by name and
 * publishes {@code count} messages made by {@link #message(int)}, retrying while full.
 *
 * <p>Usage: {@code ChildProducer <region> <count> <SPSC|MPSC>}
 */
public final class ChildProducer {
    private ChildProducer() {
    }

    /** Message {@code i}: its number as text, then a pattern, 1..200 bytes long. */
    static byte[] message(int i) {
        byte[] head = ("msg-" + i + ":").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int len = Math.max(head.length, 1 + (i * 37) % 200);
        byte[] m = new byte[len];
        System.arraycopy(head, 0, m, 0, head.length);
        for (int k = head.length; k < len; k++) {
            m[k] = (byte) (i * 31 + k);
        }
        return m;
    }

    public static void main(String[] args) {
        String name = args[0];
        int count = Integer.parseInt(args[1]);
        ProducerType type = ProducerType.valueOf(args[2]);
        try (Region region = Region.open(name); Producer producer = region.openProducer(type)) {
            for (int i = 0; i < count; i++) {
                byte[] m = message(i);
                while (!producer.offer(m)) {
                    Thread.onSpinWait();
                }
            }
        }
        System.out.println("published " + count);
    }
}
