package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Every call on a closed handle is a clear IllegalStateException, never a native crash. */
class ClosedHandleTest {
    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    private static void allRefused(String what, List<Executable> calls) {
        for (Executable call : calls) {
            IllegalStateException e = assertThrows(IllegalStateException.class, call);
            assertTrue(e.getMessage().startsWith(what) && e.getMessage().endsWith("is closed"), e.getMessage());
        }
    }

    @Test
    void closedProducer() {
        try (Region r = regions.create("cp", RegionConfig.events())) {
            Producer p = r.openProducer(ProducerType.MPSC);
            p.close();
            p.close();
            assertTrue(p.isClosed());
            ByteBuffer direct = ByteBuffer.allocateDirect(4);
            allRefused("MPSC producer on " + r.name(), List.of(
                    () -> p.publish(new byte[1]),
                    () -> p.publish(new byte[1], 0, 1),
                    () -> p.publish(direct),
                    () -> p.publish(ByteBuffer.allocate(1)),
                    () -> p.offer(new byte[1]),
                    () -> p.offer(new byte[1], 0, 1),
                    () -> p.offer(direct),
                    () -> p.publishBatch(new byte[][] {{1}}),
                    () -> p.publishBatch(new byte[1], new int[] {1}),
                    () -> p.publishBatch(direct, new int[] {1}),
                    () -> p.publishBatch(direct, Batches.lengths(1)),
                    p::claim,
                    () -> p.commit(1),
                    p::commit,
                    p::abort));
        }
    }

    @Test
    void closedConsumer() {
        try (Region r = regions.create("cc", RegionConfig.events())) {
            Consumer c = r.openConsumer();
            c.close();
            c.close();
            ByteBuffer direct = ByteBuffer.allocateDirect(4);
            allRefused("consumer 0 on " + r.name(), List.of(
                    () -> c.tryRecv(new byte[1]),
                    () -> c.tryRecv(new byte[1], 0, 1),
                    () -> c.tryRecv(direct),
                    () -> c.recv(new byte[1], Duration.ZERO),
                    () -> c.recv(new byte[1], 0, 1, Duration.ZERO),
                    () -> c.recv(direct, Duration.ZERO),
                    () -> c.await(Duration.ZERO),
                    c::recvBegin,
                    c::recvEnd,
                    () -> c.recvBatch(new byte[1], new int[1]),
                    () -> c.recvBatch(direct, new int[1]),
                    () -> c.recvBatch(direct, Batches.lengths(1))));
            assertEquals(0, c.index());
        }
    }

    @Test
    void closedRouter() {
        try (Region r = regions.create("cr", RegionConfig.fanout(1))) {
            Router router = r.openRouter();
            router.close();
            router.close();
            router.stop(); // documented no-op
            allRefused("router on " + r.name(), List.of(
                    router::routeOnce,
                    () -> router.routeOnce(RouteSource.ANY, RouteMode.BROADCAST),
                    () -> router.routeOnceStats(RouteSource.ANY, RouteMode.BROADCAST),
                    () -> router.routeOnceCredit(RouteSource.ANY, RouteMode.BROADCAST, -1, 0, 0),
                    () -> router.run(RouterLoopConfig.defaults())));
        }
    }

    @Test
    void closedRegion() {
        Region r = regions.create("cr", RegionConfig.fanout(1));
        r.close();
        allRefused("region " + r.name(), List.of(
                r::info,
                () -> r.consumerStats(0),
                () -> r.openProducer(ProducerType.SPSC),
                r::openConsumer,
                () -> r.openConsumer(0),
                r::openRouter));
    }

    @Test
    void handlesOutliveTheirRegionObject() {
        Region r = regions.create("outlive", RegionConfig.events());
        try (Producer p = r.openProducer(ProducerType.SPSC); Consumer c = r.openConsumer()) {
            r.close();
            ByteBuffer slot = p.claim();
            slot.put((byte) 5);
            p.commit();
            ByteBuffer view = c.recvBegin();
            assertEquals(5, view.get(0));
            c.recvEnd();
        }
    }
}
