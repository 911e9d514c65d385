package io.indexbus.bench;

import io.indexbus.Batches;
import io.indexbus.Consumer;
import io.indexbus.IndexBusException;
import io.indexbus.Producer;
import io.indexbus.ProducerType;
import io.indexbus.Region;
import io.indexbus.RegionConfig;
import io.indexbus.RegionKind;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.util.Locale;

/**
 * The Java side of the binding benchmarks that {@code make bench} runs ({@code tools/bench/langs.c}
 * defines the protocol; the C twin is {@code tools/bench/lang_c.c}).
 *
 * <pre>java -cp indexbus-VERSION.jar io.indexbus.bench.Bench NAME SIZE BATCH WARMUP COUNT</pre>
 *
 * <p>One process creates events region {@code NAME} ({@code SIZE}-byte slots, at least 64,
 * default slot count), opens an SPSC producer and the consumer, then alternates: publish
 * {@code BATCH} messages of {@code SIZE} bytes ({@link Producer#publish(ByteBuffer)} when
 * {@code BATCH} is 1, else one {@link Producer#publishBatch(ByteBuffer, IntBuffer)} from a
 * packed buffer), then receive them ({@link Consumer#tryRecv(ByteBuffer)}, or
 * {@link Consumer#recvBatch(ByteBuffer, IntBuffer)} of up to {@code BATCH} minus those already
 * in, until all are in): the C twin's calls, through the binding's fastest calls, the ones that
 * take direct buffers allocated once (the lengths from {@link Batches#lengths(int)}).
 * {@code WARMUP} messages first, untimed (the JIT compiles the loop then); then {@code COUNT}
 * timed, in 5 equal segments, each on the wall clock and on the CPU clock of the thread that
 * runs the loop (time spent preempted by other load does not count there, nor do the JIT and GC
 * threads, idle by then: the loop allocates nothing). Prints one JSON line,
 * {@code msgs_per_cpu_s} being the fastest segment's:
 *
 * <pre>{"lang":"java","size":64,"batch":32,"msgs":N,"segments":5,"secs":S,"cpu_secs":C,
 *  "msgs_per_s":N/S,"msgs_per_cpu_s_all":N/C,"msgs_per_cpu_s":R}</pre>
 */
public final class Bench {
    /** How many equal parts the timed messages are run in. */
    private static final int SEGMENTS = 5;

    private static final String USAGE =
            "usage: java -cp indexbus-VERSION.jar io.indexbus.bench.Bench NAME SIZE BATCH WARMUP COUNT";

    private final Producer tx;
    private final Consumer rx;
    private final ByteBuffer packed;
    private final IntBuffer lens;
    private final ByteBuffer dst;
    private final IntBuffer rlens;
    private final int size;
    private final int batch;

    private Bench(Producer tx, Consumer rx, int size, int batch, int slot) {
        this.tx = tx;
        this.rx = rx;
        this.size = size;
        this.batch = batch;
        this.packed = ByteBuffer.allocateDirect(batch * size);
        while (packed.hasRemaining()) {
            packed.put((byte) 0x42);
        }
        this.lens = Batches.lengths(batch);
        while (lens.hasRemaining()) {
            lens.put(size);
        }
        this.dst = ByteBuffer.allocateDirect(batch * slot);
        this.rlens = Batches.lengths(batch);
    }

    /** Publishes and receives {@code rounds} batches. */
    private void run(long rounds) {
        for (long r = 0; r < rounds; r++) {
            if (batch == 1) {
                packed.clear();
                tx.publish(packed);
                dst.clear();
                int n = rx.tryRecv(dst);
                if (n != size) {
                    throw new IllegalStateException("received " + n + " bytes, sent " + size);
                }
                continue;
            }
            packed.clear();
            lens.clear();
            int n = tx.publishBatch(packed, lens);
            if (n != batch) {
                throw new IllegalStateException("published " + n + " of " + batch);
            }
            for (int got = 0; got < batch; ) {
                dst.clear();
                rlens.clear().limit(batch - got);
                int k = rx.recvBatch(dst, rlens);
                if (k <= 0) {
                    throw new IllegalStateException("a published batch is not there to receive");
                }
                got += k;
            }
        }
    }

    public static void main(String[] args) {
        System.exit(realMain(args));
    }

    private static int realMain(String[] args) {
        if (args.length != 5) {
            System.err.println(USAGE);
            return 2;
        }
        String name = args[0];
        long[] nums = new long[4];
        for (int i = 0; i < 4; i++) {
            try {
                nums[i] = Long.parseLong(args[i + 1]);
            } catch (NumberFormatException e) {
                System.err.println("bench: bad number '" + args[i + 1] + "'\n" + USAGE);
                return 2;
            }
        }
        int size = (int) nums[0];
        int batch = (int) nums[1];
        long warmup = nums[2];
        long count = nums[3];
        if (size <= 0 || batch <= 0 || batch > 1024 || count < (long) batch * SEGMENTS || warmup < 0) {
            System.err.println("bench: bad arguments\n" + USAGE);
            return 2;
        }
        int slot = Math.max(64, (size + 7) & ~7);
        unlinkQuietly(name);
        RegionConfig cfg =
                RegionConfig.builder(RegionKind.EVENTS).slotDataSize(slot).prefault(true).build();
        try (Region region = Region.create(name, cfg);
                Producer tx = region.openProducer(ProducerType.SPSC);
                Consumer rx = region.openConsumer(0)) {
            Bench b = new Bench(tx, rx, size, batch, slot);
            b.run(warmup / batch);
            long rounds = count / batch / SEGMENTS;
            double secs = 0;
            double cpu = 0;
            double best = 0;
            for (int seg = 0; seg < SEGMENTS; seg++) {
                long t0 = System.nanoTime();
                long c0 = threadCpuNanos();
                b.run(rounds);
                double dc = (threadCpuNanos() - c0) / 1e9;
                secs += (System.nanoTime() - t0) / 1e9;
                cpu += dc;
                best = Math.max(best, rounds * batch / dc);
            }
            long n = rounds * batch * SEGMENTS;
            System.out.printf(Locale.ROOT,
                    "{\"lang\":\"java\",\"size\":%d,\"batch\":%d,\"msgs\":%d,\"segments\":%d,"
                            + "\"secs\":%.6f,\"cpu_secs\":%.6f,\"msgs_per_s\":%.0f,"
                            + "\"msgs_per_cpu_s_all\":%.0f,\"msgs_per_cpu_s\":%.0f}%n",
                    size, batch, n, SEGMENTS, secs, cpu, n / secs, n / cpu, best);
        } catch (IndexBusException | IllegalStateException e) {
            System.err.println("bench: " + e.getMessage());
            return 1;
        } finally {
            unlinkQuietly(name);
        }
        return 0;
    }

    /** CPU time of the calling thread so far, in nanoseconds. */
    private static long threadCpuNanos() {
        return ManagementFactory.getThreadMXBean().getCurrentThreadCpuTime();
    }

    private static void unlinkQuietly(String name) {
        try {
            Region.unlink(name);
        } catch (IndexBusException e) {
            // not there: fine
        }
    }
}
