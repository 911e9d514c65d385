package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A producer, a router thread and three consumer threads: everyone gets everything, in order. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class FanoutBroadcastTest {
    private static final int CONSUMERS = 3;
    private static final int MESSAGES = 5000;

    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    @Test
    void broadcastThroughARouterThread() throws Exception {
        RegionConfig cfg = RegionConfig.builder(RegionKind.FANOUT).consumerCount(CONSUMERS)
                .slotCount(64).slotDataSize(64).build();
        try (Region region = regions.create("fanout", cfg);
             Router router = region.openRouter()) {
            List<Consumer> consumers = new ArrayList<>();
            for (int i = 0; i < CONSUMERS; i++) {
                consumers.add(region.openConsumer(i));
            }
            CompletableFuture<Router.RunResult> routing = CompletableFuture.supplyAsync(
                    () -> router.run(RouterLoopConfig.builder().mode(RouteMode.BROADCAST)
                            .exitOnDisconnect(true).build()));
            List<CompletableFuture<Integer>> receiving = new ArrayList<>();
            for (Consumer c : consumers) {
                receiving.add(CompletableFuture.supplyAsync(() -> receiveAll(c)));
            }
            try (Producer producer = region.openProducer(ProducerType.SPSC)) {
                ByteBuffer msg = ByteBuffer.allocateDirect(8);
                for (int i = 0; i < MESSAGES; i++) {
                    msg.clear();
                    msg.putInt(i).putInt(~i).flip();
                    while (!producer.offer(msg)) {
                        Thread.onSpinWait();
                    }
                }
            }
            // the producer has closed: the router drains and returns, the consumers see DISCONNECTED
            Router.RunResult run = routing.get(60, TimeUnit.SECONDS);
            assertEquals(MESSAGES, run.routed());
            for (CompletableFuture<Integer> r : receiving) {
                assertEquals(MESSAGES, r.get(60, TimeUnit.SECONDS));
            }
            for (int i = 0; i < CONSUMERS; i++) {
                ConsumerStats s = region.consumerStats(i);
                assertEquals(MESSAGES, s.delivered());
                assertEquals(0, s.droppedFull());
                assertEquals(0, s.depth());
            }
            assertEquals(MESSAGES, region.info().routed());
            consumers.forEach(Consumer::close);
        }
    }

    /** Receives until disconnected, checking every message is the next one. */
    private static int receiveAll(Consumer c) {
        ByteBuffer buf = ByteBuffer.allocateDirect(64);
        int expected = 0;
        for (;;) {
            buf.clear();
            try {
                assertEquals(8, c.recv(buf, Duration.ofSeconds(30)));
            } catch (DisconnectedException done) {
                return expected;
            }
            assertEquals(expected, buf.getInt(0), "consumer " + c.index());
            assertEquals(~expected, buf.getInt(4));
            expected++;
        }
    }
}
