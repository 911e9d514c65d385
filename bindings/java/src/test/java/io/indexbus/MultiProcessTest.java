package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A child JVM ({@link ChildProducer}) opens the region by name and publishes; this JVM
 * receives and checks every byte and the order. The region is small, so the child keeps
 * running into FULL and must wait for this side.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class MultiProcessTest {
    private static final int MESSAGES = 3000;

    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    @Test
    void childSpscProducer() throws Exception {
        crossProcess(ProducerType.SPSC);
    }

    @Test
    void childMpscProducer() throws Exception {
        crossProcess(ProducerType.MPSC);
    }

    private void crossProcess(ProducerType type) throws Exception {
        String name = regions.name("mp-" + type);
        RegionConfig cfg = RegionConfig.builder(RegionKind.EVENTS).slotCount(16).slotDataSize(256).build();
        try (Region region = Region.create(name, cfg); Consumer consumer = region.openConsumer()) {
            Process child = ChildJvm.start(ChildProducer.class, List.of(),
                    name, Integer.toString(MESSAGES), type.name());
            child.getOutputStream().close();
            byte[] buf = new byte[256];
            for (int i = 0; i < MESSAGES; i++) {
                int n;
                try {
                    n = consumer.recv(buf, Duration.ofSeconds(60));
                } catch (IndexBusTimeoutException e) {
                    throw new AssertionError("no message " + i + "; child stderr: "
                            + new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8), e);
                }
                assertArrayEquals(ChildProducer.message(i), Arrays.copyOf(buf, n), "message " + i);
            }
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child exits");
            String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, child.exitValue(), err);
            assertEquals("published " + MESSAGES,
                    new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
            // the child's producer closed when it exited: drained and disconnected
            assertThrows(DisconnectedException.class, () -> consumer.tryRecv(buf));
            assertEquals(MESSAGES, region.info().published());
            assertEquals(MESSAGES, region.consumerStats(0).delivered());
        }
    }
}
