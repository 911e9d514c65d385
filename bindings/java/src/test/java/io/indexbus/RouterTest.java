package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Router single steps, credit routing, the run loop and its stop/close handshake. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RouterTest {
    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    private static int recvOne(Consumer c) {
        byte[] b = new byte[8];
        int n = c.tryRecv(b);
        return n < 0 ? -1 : b[0];
    }

    @Test
    void routerOnEventsRegionIsWrongKind() {
        try (Region r = regions.create("wk", RegionConfig.events())) {
            assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class, r::openRouter).status());
        }
    }

    @Test
    void broadcastStepByStep() {
        try (TestRegions.Fanout f = regions.fanout("bc", RegionConfig.fanout(3), ProducerType.SPSC, 3)) {
            assertEquals(RouteOutcome.EMPTY, f.router.routeOnce());
            f.producer.publish(new byte[] {7});
            f.producer.publish(new byte[] {8});
            assertEquals(RouteOutcome.ROUTED, f.router.routeOnce());
            RouteResult res = f.router.routeOnceStats(RouteSource.ANY, RouteMode.BROADCAST);
            assertTrue(res.routed());
            assertEquals(3, res.delivered());
            assertEquals(0b111, res.deliveredMask());
            assertEquals(0, res.droppedFull());
            for (Consumer c : new Consumer[] {f.consumer(0), f.consumer(1), f.consumer(2)}) {
                assertEquals(7, recvOne(c));
                assertEquals(8, recvOne(c));
                assertEquals(-1, recvOne(c));
            }
            RouteResult none = f.router.routeOnceStats(RouteSource.ANY, RouteMode.BROADCAST);
            assertEquals(RouteOutcome.EMPTY, none.outcome());
            assertFalse(none.routed());
            assertEquals(0, none.delivered());
            assertEquals(2, f.region.info().routed());
            assertEquals(2, f.region.consumerStats(2).delivered());
        }
    }

    @Test
    void workQueueRoundRobin() {
        try (TestRegions.Fanout f = regions.fanout("wq", RegionConfig.fanout(3), ProducerType.MPSC, 3)) {
            for (int i = 0; i < 3; i++) {
                f.producer.publish(new byte[] {(byte) i});
                RouteResult res = f.router.routeOnceStats(RouteSource.MPSC, RouteMode.WORK_QUEUE);
                assertEquals(1, res.delivered());
                assertEquals(1L << i, res.deliveredMask());
            }
            assertEquals(0, recvOne(f.consumer(0)));
            assertEquals(1, recvOne(f.consumer(1)));
            assertEquals(2, recvOne(f.consumer(2)));
        }
    }

    @Test
    void sourcesAreSeparate() {
        try (Region r = regions.create("src", RegionConfig.fanout(1));
             Producer spsc = r.openProducer(ProducerType.SPSC);
             Producer mpsc = r.openProducer(ProducerType.MPSC);
             Router router = r.openRouter();
             Consumer c = r.openConsumer(0)) {
            mpsc.publish(new byte[] {2});
            assertEquals(RouteOutcome.EMPTY, router.routeOnce(RouteSource.SPSC, RouteMode.BROADCAST));
            assertEquals(RouteOutcome.ROUTED, router.routeOnce(RouteSource.MPSC, RouteMode.BROADCAST));
            spsc.publish(new byte[] {1});
            assertEquals(RouteOutcome.EMPTY, router.routeOnce(RouteSource.MPSC, RouteMode.BROADCAST));
            assertEquals(RouteOutcome.ROUTED, router.routeOnce(RouteSource.SPSC, RouteMode.WORK_QUEUE));
            assertEquals(2, recvOne(c));
            assertEquals(1, recvOne(c));
        }
    }

    @Test
    void creditMasks() {
        try (TestRegions.Fanout f = regions.fanout("credit", RegionConfig.fanout(3), ProducerType.SPSC, 3)) {
            f.producer.publish(new byte[] {5});
            // consumer 1 is not eligible, consumer 2 has no credit: only consumer 0 gets it
            RouteResult res = f.router.routeOnceCredit(RouteSource.ANY, RouteMode.BROADCAST, 0b101, 0b100, 0);
            assertEquals(RouteOutcome.ROUTED, res.outcome());
            assertEquals(0b001, res.deliveredMask());
            assertEquals(2, res.droppedNoCredit());
            assertEquals(0b110, res.droppedNoCreditMask());
            assertEquals(0, res.droppedFullMask());
            assertEquals(1, f.region.consumerStats(1).droppedNoCredit());
            assertEquals(5, recvOne(f.consumer(0)));

            f.producer.publish(new byte[] {6});
            res = f.router.routeOnceCredit(RouteSource.ANY, RouteMode.BROADCAST, 0b111, 0, 0b011);
            assertEquals(0b100, res.deliveredMask());
            assertEquals(0b011, res.droppedFullMask());
            assertEquals(2, res.droppedFull());
            assertEquals(6, recvOne(f.consumer(2)));
            assertEquals(-1, recvOne(f.consumer(1)));

            f.producer.publish(new byte[] {7});
            res = f.router.routeOnceCredit(RouteSource.ANY, RouteMode.BROADCAST, 0, 0, 0);
            assertEquals(RouteOutcome.FULL, res.outcome(), "nobody eligible: the message stays");
            assertEquals(1, f.region.info().spscDepth());
        }
    }

    @Test
    void fullWhenNoConsumerHasRoom() {
        RegionConfig cfg = RegionConfig.builder(RegionKind.FANOUT).consumerCount(1).slotCount(8)
                .queueCapacity(2).build();
        try (TestRegions.Fanout f = regions.fanout("full", cfg, ProducerType.SPSC, 1)) {
            f.producer.publish(new byte[] {0});
            f.producer.publish(new byte[] {1});
            assertEquals(RouteOutcome.ROUTED, f.router.routeOnce());
            assertEquals(RouteOutcome.ROUTED, f.router.routeOnce());
            f.producer.publish(new byte[] {2}); // the consumer queue (capacity 2) is full now
            assertEquals(RouteOutcome.FULL, f.router.routeOnce());
            assertEquals(RouteOutcome.FULL, f.router.routeOnceStats(RouteSource.ANY, RouteMode.BROADCAST).outcome());
            assertEquals(1, f.region.info().routeNoSpace()); // one stall, however many polls
            assertEquals(0, recvOne(f.consumer(0)));
            assertEquals(RouteOutcome.ROUTED, f.router.routeOnce());
        }
    }

    @Test
    void runUntilStopped() throws Exception {
        try (TestRegions.Fanout f = regions.fanout("run", RegionConfig.fanout(1), ProducerType.MPSC, 1)) {
            CompletableFuture<Router.RunResult> run = CompletableFuture.supplyAsync(
                    () -> f.router.run(RouterLoopConfig.builder().park(Duration.ofMillis(1)).build()));
            for (int i = 0; i < 100; i++) {
                f.producer.publish(new byte[] {(byte) i});
                byte[] b = new byte[4];
                assertEquals(1, f.consumer(0).recv(b, Duration.ofSeconds(10)));
                assertEquals((byte) i, b[0]);
            }
            waitUntil(f.router::isRunning);
            assertThrows(IllegalStateException.class, f.router::routeOnce);
            assertThrows(IllegalStateException.class, () -> f.router.run(RouterLoopConfig.defaults()));
            f.router.stop();
            Router.RunResult res = run.get(10, TimeUnit.SECONDS);
            assertEquals(100, res.routed());
            assertFalse(res.disconnected());
            assertFalse(f.router.isRunning());
            assertEquals(RouteOutcome.EMPTY, f.router.routeOnce(), "usable again after the loop");
        }
    }

    @Test
    void runUntilProducersAreGone() throws Exception {
        try (Region r = regions.create("exit", RegionConfig.fanout(2));
             Router router = r.openRouter();
             Consumer c = r.openConsumer(1)) {
            try (Producer p = r.openProducer(ProducerType.SPSC)) {
                for (int i = 0; i < 5; i++) {
                    p.publish(new byte[] {(byte) i});
                }
            }
            RouterLoopConfig cfg = RouterLoopConfig.builder().source(RouteSource.SPSC)
                    .mode(RouteMode.WORK_QUEUE).exitOnDisconnect(true).spinIterations(10)
                    .yieldIterations(10).park(Duration.ofMillis(1)).build();
            assertTrue(cfg.exitOnDisconnect());
            Router.RunResult res = CompletableFuture.supplyAsync(() -> router.run(cfg)).get(10, TimeUnit.SECONDS);
            assertTrue(res.disconnected());
            assertEquals(5, res.routed());
        }
    }

    @Test
    void stopBeforeRunMakesItReturnAtOnce() {
        try (Region r = regions.create("early", RegionConfig.fanout(1));
             Router router = r.openRouter()) {
            router.stop();
            assertEquals(new Router.RunResult(0, false), router.run(RouterLoopConfig.defaults()));
        }
    }

    @Test
    void closeStopsARunningLoop() throws Exception {
        try (Region r = regions.create("close", RegionConfig.fanout(1))) {
            Router router = r.openRouter();
            CompletableFuture<Router.RunResult> run = CompletableFuture.supplyAsync(
                    () -> router.run(RouterLoopConfig.defaults()));
            waitUntil(router::isRunning);
            router.close();
            assertTrue(router.isClosed());
            assertFalse(run.get(10, TimeUnit.SECONDS).disconnected());
            router.stop(); // no-op once closed
            try (Router again = r.openRouter()) { // the exclusive role was released
                assertFalse(again.isRunning());
            }
        }
    }

    private static void waitUntil(java.util.function.BooleanSupplier cond) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!cond.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, "condition not met in time");
            Thread.sleep(1);
        }
    }
}
