package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RegionTest {
    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    @Test
    void createOpenAndInfo() {
        String name = regions.name("info");
        RegionConfig cfg = RegionConfig.builder(RegionKind.EVENTS).slotCount(16).slotDataSize(128).build();
        try (Region created = Region.create(name, cfg); Region opened = Region.open(name)) {
            assertEquals(name, opened.name());
            RegionInfo i = opened.info();
            assertEquals(RegionKind.EVENTS, i.kind());
            assertEquals(1, i.layoutMajor());
            assertEquals(0, i.layoutMinor());
            assertEquals(16, i.slotCount());
            assertEquals(128, i.slotDataSize());
            assertEquals(16, i.queueCapacity());
            assertEquals(1, i.consumerCount());
            assertEquals(ProcessHandle.current().pid(), i.creatorPid());
            assertEquals(16, i.freeSlots());
            assertTrue(i.totalBytes() > 16 * 128);
            assertTrue(i.creationTimeNanos() > 0);
            assertTrue((i.capabilities() & 1) != 0, "events capability bit");
            assertEquals(0, i.published());
            assertEquals(0, i.participantsLive());
            try (Producer p = created.openProducer(ProducerType.SPSC); Consumer c = opened.openConsumer()) {
                p.publish(new byte[] {1, 2, 3});
                RegionInfo j = created.info();
                assertEquals(1, j.published());
                assertEquals(1, j.spscDepth());
                assertEquals(0, j.mpscDepth());
                assertEquals(15, j.freeSlots());
                assertEquals(1, j.producersLive());
                assertEquals(1, j.consumersLive());
                assertEquals(0, j.routersLive());
                assertEquals(2, j.participantsLive());
                assertEquals(3, c.tryRecv(new byte[8]));
            }
        }
    }

    @Test
    void defaultsAndFanoutGeometry() {
        try (Region ev = regions.create("ev", RegionConfig.events());
             Region fan = regions.create("fan", RegionConfig.fanout(3))) {
            RegionInfo e = ev.info();
            assertEquals(2048, e.slotCount());
            assertEquals(1024, e.queueCapacity());
            assertEquals(256, e.slotDataSize());
            RegionInfo f = fan.info();
            assertEquals(RegionKind.FANOUT, f.kind());
            assertEquals(3, f.consumerCount());
            assertTrue((f.capabilities() & 2) != 0, "fanout capability bit");
        }
    }

    @Test
    void modeAndPrefault() throws Exception {
        String name = regions.name("mode");
        RegionConfig cfg = RegionConfig.builder(RegionKind.EVENTS).slotCount(8).mode(0640)
                .prefault(true).queueCapacity(4).build();
        try (Region r = Region.create(name, cfg)) {
            assertEquals(4, r.info().queueCapacity());
            Path shm = Path.of("/dev/shm", name.substring(1));
            assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(shm)));
        }
    }

    @Test
    void consumerStats() {
        try (Region r = regions.create("stats", RegionConfig.fanout(2))) {
            ConsumerStats s = r.consumerStats(1);
            assertEquals(1, s.index());
            assertFalse(s.attached());
            try (Consumer c = r.openConsumer(1)) {
                assertTrue(r.consumerStats(1).attached());
                assertEquals(1, c.index());
            }
            assertEquals(0, r.consumerStats(0).delivered());
            assertEquals(0, r.consumerStats(0).depth());
            IndexBusException e = assertThrows(IndexBusException.class, () -> r.consumerStats(2));
            assertEquals(Status.OUT_OF_RANGE, e.status());
            e = assertThrows(IndexBusException.class, () -> r.openConsumer(2));
            assertEquals(Status.OUT_OF_RANGE, e.status());
            assertThrows(IllegalArgumentException.class, () -> r.consumerStats(-1));
        }
    }

    @Test
    void existsAndNotFound() {
        String name = regions.name("exists");
        try (Region r = Region.create(name, RegionConfig.events())) {
            ExistsException e = assertThrows(ExistsException.class, () -> Region.create(name, RegionConfig.events()));
            assertEquals(Status.EXISTS, e.status());
            assertTrue(e.getMessage().contains(name), e.getMessage());
        }
        Region.unlink(name);
        assertThrows(NotFoundException.class, () -> Region.open(name));
        assertThrows(NotFoundException.class, () -> Region.unlink(name));
        assertThrows(NotFoundException.class, () -> Region.open(name, Duration.ofMillis(10)));
    }

    @Test
    void openWithReadyTimeout() {
        String name = regions.name("ready");
        try (Region r = Region.create(name, RegionConfig.events());
             Region o = Region.open(name, Duration.ofMillis(100))) {
            assertEquals(r.info().creationTimeNanos(), o.info().creationTimeNanos());
        }
    }

    @Test
    void unlinkedRegionKeepsWorkingForItsHolders() {
        String name = regions.name("unlinked");
        try (Region r = Region.create(name, RegionConfig.events());
             Producer p = r.openProducer(ProducerType.MPSC);
             Consumer c = r.openConsumer()) {
            Region.unlink(name);
            p.publish(new byte[] {9});
            assertEquals(1, c.tryRecv(new byte[1]));
        }
    }

    @Test
    void invalidGeometry() {
        IndexBusException e = assertThrows(IndexBusException.class,
                () -> regions.create("geom", RegionConfig.builder(RegionKind.EVENTS).slotCount(3).build()));
        assertEquals(Status.INVALID_ARGUMENT, e.status());
        e = assertThrows(IndexBusException.class,
                () -> regions.create("geom", RegionConfig.builder(RegionKind.FANOUT).consumerCount(65).build()));
        assertEquals(Status.INVALID_ARGUMENT, e.status());
        e = assertThrows(IndexBusException.class, () -> Region.create("", RegionConfig.events()));
        assertEquals(Status.INVALID_ARGUMENT, e.status());
        assertThrows(IllegalArgumentException.class,
                () -> RegionConfig.builder(RegionKind.EVENTS).slotCount(-1));
    }

    @Test
    void routerOnEventsRegionIsWrongKind() {
        try (Region r = regions.create("kind", RegionConfig.events())) {
            IndexBusException e = assertThrows(IndexBusException.class, r::openRouter);
            assertSame(IndexBusException.class, e.getClass());
            assertEquals(Status.WRONG_KIND, e.status());
            assertEquals("INDEXBUS_WRONG_KIND", e.statusName());
            assertTrue(e.getMessage().contains("operation does not apply to this region kind"), e.getMessage());
        }
    }

    @Test
    void exclusiveRolesAreBusy() {
        try (Region r = regions.create("busy", RegionConfig.fanout(2));
             Producer p = r.openProducer(ProducerType.SPSC);
             Consumer c = r.openConsumer(0);
             Router router = r.openRouter()) {
            assertEquals(Status.BUSY,
                    assertThrows(BusyException.class, () -> r.openProducer(ProducerType.SPSC)).status());
            assertThrows(BusyException.class, () -> r.openConsumer(0));
            assertThrows(BusyException.class, r::openRouter);
            try (Producer m1 = r.openProducer(ProducerType.MPSC);
                 Producer m2 = r.openProducer(ProducerType.MPSC)) {
                assertEquals(ProducerType.MPSC, m2.type());
            }
        }
    }

    /** A region whose header says layout major 2 is refused with INCOMPATIBLE. */
    @Test
    void newerLayoutMajorIsIncompatible() throws Exception {
        String path = regions.file("major2");
        Region.create(path, RegionConfig.builder(RegionKind.EVENTS).slotCount(8).build()).close();
        try (RandomAccessFile f = new RandomAccessFile(path, "rw")) {
            f.seek(4); // uint16 layout_major, little-endian
            f.write(2);
            f.write(0);
        }
        IncompatibleException e = assertThrows(IncompatibleException.class, () -> Region.open(path));
        assertEquals(Status.INCOMPATIBLE, e.status());
        assertTrue(e.getMessage().contains(path), e.getMessage());
    }

    @Test
    void foreignFileIsIncompatible() throws Exception {
        String path = regions.file("foreign");
        Files.write(Path.of(path), "not a region at all ".repeat(256).getBytes());
        assertThrows(IncompatibleException.class, () -> Region.open(path));
    }

    @Test
    void truncatedFileIsCorrupt() throws Exception {
        String path = regions.file("short");
        Files.write(Path.of(path), new byte[100]);
        IndexBusException e = assertThrows(IndexBusException.class, () -> Region.open(path));
        assertEquals(Status.CORRUPT, e.status());
    }

    @Test
    void closedRegionIsRefusedAndItsHandlesLiveOn() {
        Region r = regions.create("closed", RegionConfig.events());
        Producer p = r.openProducer(ProducerType.SPSC);
        Consumer c = r.openConsumer();
        r.close();
        r.close(); // idempotent
        assertTrue(r.isClosed());
        assertTrue(r.toString().endsWith("(closed)"));
        IllegalStateException e = assertThrows(IllegalStateException.class, r::info);
        assertTrue(e.getMessage().contains("is closed"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> r.consumerStats(0));
        assertThrows(IllegalStateException.class, () -> r.openProducer(ProducerType.MPSC));
        assertThrows(IllegalStateException.class, () -> r.openConsumer(0));
        assertThrows(IllegalStateException.class, r::openRouter);
        p.publish(new byte[] {7, 7});
        assertEquals(2, c.tryRecv(new byte[4]));
        p.close();
        c.close();
    }
}
