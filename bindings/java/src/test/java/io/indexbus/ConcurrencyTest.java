package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Several threads, each with its own MPSC producer, into one consumer: per-producer order holds. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConcurrencyTest {
    private static final int PRODUCERS = 4;
    private static final int PER_PRODUCER = 20_000;

    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    @Test
    void mpscProducersKeepTheirOrder() throws Exception {
        RegionConfig cfg = RegionConfig.builder(RegionKind.EVENTS).slotCount(128).slotDataSize(64).build();
        ExecutorService pool = Executors.newFixedThreadPool(PRODUCERS);
        try (Region region = regions.create("mpsc", cfg); Consumer consumer = region.openConsumer()) {
            // open them all first: one that finishes early must not look like "all gone"
            List<Producer> handles = new ArrayList<>();
            for (int id = 0; id < PRODUCERS; id++) {
                handles.add(region.openProducer(ProducerType.MPSC));
            }
            List<Future<?>> producers = new ArrayList<>();
            for (int id = 0; id < PRODUCERS; id++) {
                final int me = id;
                final Producer handle = handles.get(id);
                producers.add(pool.submit(() -> {
                    try (Producer p = handle) {
                        byte[] msg = new byte[12];
                        ByteBuffer b = ByteBuffer.wrap(msg);
                        for (int seq = 0; seq < PER_PRODUCER; seq++) {
                            b.putInt(0, me).putInt(4, seq).putInt(8, me ^ seq);
                            if ((seq & 1) == 0) {
                                while (!p.offer(msg)) {
                                    Thread.onSpinWait();
                                }
                            } else {
                                publishZeroCopy(p, msg);
                            }
                        }
                    }
                    return null;
                }));
            }
            int[] next = new int[PRODUCERS];
            byte[] buf = new byte[64];
            ByteBuffer in = ByteBuffer.wrap(buf);
            for (int total = 0; total < PRODUCERS * PER_PRODUCER; total++) {
                assertEquals(12, consumer.recv(buf, Duration.ofSeconds(30)));
                int id = in.getInt(0);
                int seq = in.getInt(4);
                assertEquals(next[id], seq, "producer " + id + " out of order");
                assertEquals(id ^ seq, in.getInt(8));
                next[id]++;
            }
            for (Future<?> f : producers) {
                f.get(30, TimeUnit.SECONDS);
            }
            for (int id = 0; id < PRODUCERS; id++) {
                assertEquals(PER_PRODUCER, next[id]);
            }
            // every producer has closed and everything was received
            assertThrows(DisconnectedException.class, () -> consumer.tryRecv(buf));
        } finally {
            pool.shutdownNow();
        }
    }

    private static void publishZeroCopy(Producer p, byte[] msg) {
        for (;;) {
            try {
                p.claim().put(msg);
                p.commit();
                return;
            } catch (FullException full) {
                Thread.onSpinWait();
            }
        }
    }
}
