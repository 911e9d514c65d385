package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.indexbus.internal.indexbus;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Layout 1.3 create features: {@code recycle} and {@code mpscBatch} reach the region as
 * capability bits 37 and 38 with layout 1.3; a byte log refuses them with
 * {@link Status#INVALID_ARGUMENT} and nothing is created.
 */
class FeaturesTest {
    private static final long BOTH = RegionInfo.CAP_FANOUT_RECYCLE | RegionInfo.CAP_MPSC_BATCH;

    private final TestRegions regions = new TestRegions();

    @AfterEach
    void cleanup() {
        regions.close();
    }

    @Test
    void constantsMatchTheHeader() {
        assertEquals(indexbus.INDEXBUS_CAP_FANOUT_RECYCLE, RegionInfo.CAP_FANOUT_RECYCLE);
        assertEquals(indexbus.INDEXBUS_CAP_MPSC_BATCH, RegionInfo.CAP_MPSC_BATCH);
        assertEquals(indexbus.INDEXBUS_CAP_MPSC_RECYCLE, RegionInfo.CAP_MPSC_RECYCLE);
        assertEquals(0x4, indexbus.INDEXBUS_CREATE_RECYCLE);
        assertEquals(0x8, indexbus.INDEXBUS_CREATE_MPSC_BATCH);
    }

    @Test
    void fanoutWithRecycleAndMpscBatch() {
        String name = regions.name("feat");
        // recycling: at least twice as many slots as queue cells
        RegionConfig cfg = RegionConfig.builder(RegionKind.FANOUT).slotCount(32).queueCapacity(16)
                .slotDataSize(64).consumerCount(2).recycle(true).mpscBatch(true).build();
        assertTrue(cfg.recycle() && cfg.mpscBatch());
        try (Region r = Region.create(name, cfg); Region other = Region.open(name)) {
            RegionInfo info = r.info();
            assertEquals(RegionKind.FANOUT, info.kind());
            assertEquals(1, info.layoutMajor());
            assertEquals(3, info.layoutMinor());
            assertEquals(BOTH, info.capabilities() & BOTH);
            assertTrue(info.fanoutRecycle());
            assertTrue(info.mpscBatch());
            assertFalse(info.mpscRecycle()); // events only
            assertEquals(info.capabilities(), other.info().capabilities());
            assertEquals(3, other.info().layoutMinor());
        }
    }

    @Test
    void plainFanoutHasNeither() {
        try (Region r = regions.create("feat-plain", RegionConfig.fanout(2))) {
            RegionInfo info = r.info();
            assertEquals(0, info.layoutMinor());
            assertEquals(0, info.capabilities() & BOTH);
            assertFalse(info.fanoutRecycle());
            assertFalse(info.mpscBatch());
        }
    }

    @Test
    void eventsRecycleMpscSlots() {
        RegionConfig cfg = RegionConfig.builder(RegionKind.EVENTS).slotCount(16).queueCapacity(8)
                .recycle(true).mpscBatch(true).build();
        try (Region r = regions.create("feat-ev", cfg)) {
            RegionInfo info = r.info();
            assertEquals(3, info.layoutMinor());
            assertEquals(RegionInfo.CAP_MPSC_BATCH | RegionInfo.CAP_MPSC_RECYCLE,
                    info.capabilities() & (BOTH | RegionInfo.CAP_MPSC_RECYCLE));
            assertFalse(info.fanoutRecycle());
            assertTrue(info.mpscBatch());
            assertTrue(info.mpscRecycle());
        }
    }

    @Test
    void recycleNeedsTwiceTheQueueInSlots() {
        for (RegionKind kind : new RegionKind[] {RegionKind.FANOUT, RegionKind.EVENTS}) {
            String name = regions.name("feat-few");
            RegionConfig cfg = RegionConfig.builder(kind).slotCount(16).queueCapacity(16)
                    .recycle(true).build();
            IndexBusException e = assertThrows(IndexBusException.class,
                    () -> Region.create(name, cfg));
            assertEquals(Status.INVALID_ARGUMENT, e.status(), kind.toString());
            assertThrows(NotFoundException.class, () -> Region.open(name));
        }
    }

    @Test
    void aByteLogRefusesThem() {
        boolean[][] cases = {{true, false}, {false, true}, {true, true}};
        for (boolean[] c : cases) {
            String name = regions.name("feat-log");
            RegionConfig cfg = RegionConfig.builder(RegionKind.LOG).byteCapacity(4096)
                    .recycle(c[0]).mpscBatch(c[1]).build();
            IndexBusException e = assertThrows(IndexBusException.class,
                    () -> Region.create(name, cfg));
            assertEquals(Status.INVALID_ARGUMENT, e.status(), "recycle " + c[0] + ", mpscBatch " + c[1]);
            assertThrows(NotFoundException.class, () -> Region.open(name));
        }
    }
}
