package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ReadOnlyBufferException;
import org.junit.jupiter.api.Test;

/** claim/commit/abort and recvBegin/recvEnd: direct buffers over the shared slots. */
class ZeroCopyTest extends EventsFixture {
    ZeroCopyTest() {
        super("zc", 4, 128, ProducerType.MPSC);
    }

    private static int badState(Runnable r) {
        IndexBusException e = assertThrows(IndexBusException.class, r::run);
        return e.status();
    }

    @Test
    void claimCommitRoundTrip() {
        ByteBuffer slot = producer.claim();
        assertTrue(slot.isDirect());
        assertEquals(128, slot.capacity());
        assertEquals(0, slot.position());
        assertEquals(128, slot.limit());
        slot.order(ByteOrder.LITTLE_ENDIAN).putLong(0x1122334455667788L).put((byte) 9);
        producer.commit(9);

        byte[] got = new byte[16];
        assertEquals(9, consumer.tryRecv(got));
        ByteBuffer check = ByteBuffer.wrap(got).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(0x1122334455667788L, check.getLong());
        assertEquals(9, check.get());
    }

    @Test
    void commitWithoutLengthUsesThePosition() {
        producer.claim().put(new byte[] {3, 1, 4, 1, 5});
        producer.commit();
        byte[] got = new byte[8];
        assertEquals(5, consumer.tryRecv(got));
        assertEquals(5, got[4]);
    }

    @Test
    void abortGivesTheSlotBack() {
        producer.claim().put((byte) 1);
        assertEquals(3, region.info().freeSlots());
        producer.abort();
        assertEquals(4, region.info().freeSlots());
        assertEquals(-1, consumer.tryRecv(new byte[8]));
    }

    @Test
    void claimStateErrors() {
        assertEquals(Status.BAD_STATE, badState(() -> producer.commit(1)));
        assertEquals(Status.BAD_STATE, badState(producer::commit));
        assertEquals(Status.BAD_STATE, badState(producer::abort));
        producer.claim();
        assertEquals(Status.BAD_STATE, badState(producer::claim));
        assertEquals(Status.BAD_STATE, badState(() -> producer.publishBatch(new byte[1], new int[] {1})));
        TooLargeException e = assertThrows(TooLargeException.class, () -> producer.commit(129));
        assertEquals(Status.TOO_LARGE, e.status());
        assertThrows(IllegalArgumentException.class, () -> producer.commit(-1));
        producer.commit(0); // the claim survived the failed commit
        assertEquals(0, consumer.tryRecv(new byte[1]));
    }

    @Test
    void closingAProducerAbortsItsClaim() {
        producer.claim();
        producer.close();
        assertEquals(4, region.info().freeSlots());
    }

    @Test
    void borrowRoundTrip() {
        producer.publish(new byte[] {10, 20, 30});
        producer.publish(new byte[0]);
        ByteBuffer view = consumer.recvBegin();
        assertTrue(view.isDirect());
        assertTrue(view.isReadOnly());
        assertEquals(0, view.position());
        assertEquals(3, view.remaining());
        byte[] got = new byte[3];
        view.get(got);
        assertArrayEquals(new byte[] {10, 20, 30}, got);
        assertThrows(ReadOnlyBufferException.class, () -> view.put(0, (byte) 1));
        assertEquals(2, region.info().freeSlots(), "the borrowed slot is still held, the next one queued");
        consumer.recvEnd();

        ByteBuffer empty = consumer.recvBegin();
        assertEquals(0, empty.capacity());
        consumer.recvEnd();
        assertEquals(4, region.info().freeSlots());
        assertNull(consumer.recvBegin(), "nothing waiting");
    }

    @Test
    void borrowStateErrors() {
        assertEquals(Status.BAD_STATE, badState(consumer::recvEnd));
        producer.publish(new byte[] {1});
        producer.publish(new byte[] {2});
        consumer.recvBegin();
        assertEquals(Status.BAD_STATE, badState(consumer::recvBegin));
        assertEquals(Status.BAD_STATE, badState(() -> consumer.tryRecv(new byte[4])));
        assertEquals(Status.BAD_STATE, badState(() -> consumer.recvBatch(new byte[4], new int[1])));
        assertEquals(Status.BAD_STATE, badState(() -> consumer.await(java.time.Duration.ZERO)));
        consumer.recvEnd();
        assertEquals(Status.BAD_STATE, badState(consumer::recvEnd));
        ByteBuffer second = consumer.recvBegin();
        assertEquals(2, second.get(0));
        consumer.close(); // ends the borrow
        assertEquals(4, region.info().freeSlots());
    }

    @Test
    void zeroCopyBothWays() {
        for (int round = 0; round < 20; round++) {
            ByteBuffer slot = producer.claim();
            for (int i = 0; i < 100; i++) {
                slot.put((byte) (round + i));
            }
            producer.commit();
            ByteBuffer view = consumer.recvBegin();
            assertEquals(100, view.remaining());
            for (int i = 0; i < 100; i++) {
                assertEquals((byte) (round + i), view.get(i));
            }
            consumer.recvEnd();
        }
        assertEquals(20, region.consumerStats(0).delivered());
    }
}
