package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class StatusTest {
    @Test
    void valuesAreTheFrozenAbi() {
        int[] all = {Status.OK, Status.FULL, Status.EMPTY, Status.TOO_LARGE, Status.BUFFER_TOO_SMALL,
            Status.INCOMPATIBLE, Status.NOT_READY, Status.INVALID_ARGUMENT, Status.WRONG_KIND,
            Status.TIMEOUT, Status.DISCONNECTED, Status.CORRUPT, Status.PERMISSION, Status.EXISTS,
            Status.NOT_FOUND, Status.IO, Status.BUSY, Status.NO_MEMORY, Status.OUT_OF_RANGE,
            Status.BAD_STATE};
        for (int i = 0; i < all.length; i++) {
            assertEquals(i, all[i]);
        }
        assertEquals(all.length, Status.COUNT);
    }

    @Test
    void namesAndTextComeFromTheLibrary() {
        assertEquals("INDEXBUS_FULL", Status.name(Status.FULL));
        assertEquals("INDEXBUS_BAD_STATE", Status.name(Status.BAD_STATE));
        assertEquals("no free slot or queue space", Status.describe(Status.FULL));
        assertEquals("INDEXBUS_UNKNOWN", Status.name(999));
        assertEquals("unknown status", Status.describe(-1));
    }

    @Test
    void everyStatusMapsToItsException() {
        Map<Integer, Class<? extends IndexBusException>> special = Map.of(
                Status.FULL, FullException.class,
                Status.TOO_LARGE, TooLargeException.class,
                Status.BUFFER_TOO_SMALL, BufferTooSmallException.class,
                Status.INCOMPATIBLE, IncompatibleException.class,
                Status.TIMEOUT, IndexBusTimeoutException.class,
                Status.DISCONNECTED, DisconnectedException.class,
                Status.BUSY, BusyException.class,
                Status.EXISTS, ExistsException.class,
                Status.NOT_FOUND, NotFoundException.class);
        for (int st = 1; st < Status.COUNT; st++) {
            IndexBusException e = Status.exception(st, "doing things");
            assertSame(special.getOrDefault(st, IndexBusException.class), e.getClass(), Status.name(st));
            assertEquals(st, e.status());
            assertEquals(Status.name(st), e.statusName());
            assertEquals(Status.describe(st), e.description());
            assertTrue(e.getMessage().startsWith("doing things: " + Status.describe(st)), e.getMessage());
            assertTrue(e.getMessage().contains(Status.name(st)), e.getMessage());
        }
    }

    @Test
    void bufferTooSmallCarriesTheLength() {
        BufferTooSmallException e = new BufferTooSmallException("tryRecv", 100, 10);
        assertEquals(100, e.requiredLength());
        assertEquals(10, e.available());
        assertTrue(e.getMessage().contains("message is 100 bytes, room for 10"), e.getMessage());
    }
}
