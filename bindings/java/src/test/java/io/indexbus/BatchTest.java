package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** publishBatch and recvBatch, packed buffers plus lengths. */
class BatchTest extends EventsFixture {
    BatchTest() {
        super("batch", 8, 64, ProducerType.SPSC);
    }

    @Test
    void arraysOfMessages() {
        byte[][] msgs = {{1}, {2, 2}, {}, {4, 4, 4, 4}, {5, 5, 5, 5, 5}};
        assertEquals(5, producer.publishBatch(msgs));
        byte[] buf = new byte[64];
        int[] lens = new int[8];
        assertEquals(5, consumer.recvBatch(buf, lens));
        assertArrayEquals(new int[] {1, 2, 0, 4, 5}, Arrays.copyOf(lens, 5));
        int at = 0;
        for (byte[] m : msgs) {
            assertArrayEquals(m, Arrays.copyOfRange(buf, at, at + m.length));
            at += m.length;
        }
        assertEquals(0, consumer.recvBatch(buf, lens), "0 when nothing is waiting");
    }

    @Test
    void packedArrayAndDirectBuffers() {
        byte[] packed = {1, 2, 3, 4, 5, 6};
        assertEquals(3, producer.publishBatch(packed, new int[] {1, 2, 3}));

        ByteBuffer src = ByteBuffer.allocateDirect(16);
        src.put(new byte[] {9, 7, 7, 6, 6, 6}).flip().position(1);
        assertEquals(2, producer.publishBatch(src, new int[] {2, 3}));
        assertEquals(6, src.position());

        ByteBuffer heap = ByteBuffer.wrap(new byte[] {0, 8, 8}).position(1).slice();
        assertEquals(1, producer.publishBatch(heap, new int[] {2}));
        assertEquals(2, heap.position());

        ByteBuffer dst = ByteBuffer.allocateDirect(32).position(2);
        int[] lens = new int[4];
        assertEquals(4, consumer.recvBatch(dst, lens), "at most lens.length");
        assertArrayEquals(new int[] {1, 2, 3, 2}, lens);
        assertEquals(2 + 8, dst.position());
        assertEquals(1, dst.get(2));
        assertEquals(6, dst.get(7));
        assertEquals(7, dst.get(9));

        ByteBuffer heapDst = ByteBuffer.allocate(16);
        assertEquals(2, consumer.recvBatch(heapDst, lens));
        assertEquals(5, heapDst.position());
        assertEquals(6, heapDst.get(2));
        assertEquals(8, heapDst.get(4));
    }

    @Test
    void stopsWhenFull() {
        byte[][] msgs = new byte[10][];
        for (int i = 0; i < msgs.length; i++) {
            msgs[i] = new byte[] {(byte) i};
        }
        assertEquals(8, producer.publishBatch(msgs));
        assertEquals(0, producer.publishBatch(msgs), "0, not an exception, when full");
        int[] lens = new int[10];
        byte[] buf = new byte[10];
        assertEquals(8, consumer.recvBatch(buf, lens));
        assertEquals(7, buf[7]);
    }

    @Test
    void reportsProgressThenTheError() {
        byte[] packed = new byte[10 + 65];
        int[] lens = {10, 65};
        assertEquals(1, producer.publishBatch(packed, lens));
        TooLargeException e = assertThrows(TooLargeException.class,
                () -> producer.publishBatch(new byte[65], new int[] {65}));
        assertEquals(Status.TOO_LARGE, e.status());
    }

    @Test
    void argumentChecks() {
        assertThrows(IndexOutOfBoundsException.class, () -> producer.publishBatch(new byte[3], new int[] {2, 2}));
        assertThrows(IndexOutOfBoundsException.class,
                () -> producer.publishBatch(ByteBuffer.allocateDirect(8).position(6), new int[] {3}));
        assertThrows(IllegalArgumentException.class, () -> producer.publishBatch(new byte[3], new int[] {-1}));
        assertThrows(IllegalArgumentException.class, () -> consumer.recvBatch(new byte[3], new int[0]));
        assertEquals(0, producer.publishBatch(new byte[0], new int[0]));
    }

    @Test
    void bufferTooSmallForTheFirstMessage() {
        producer.publish(new byte[20]);
        BufferTooSmallException e = assertThrows(BufferTooSmallException.class,
                () -> consumer.recvBatch(new byte[10], new int[4]));
        assertEquals(20, e.requiredLength());
        assertEquals(10, e.available());
        ByteBuffer direct = ByteBuffer.allocateDirect(30).position(15);
        assertThrows(BufferTooSmallException.class, () -> consumer.recvBatch(direct, new int[4]));
        assertEquals(15, direct.position());
        int[] lens = new int[4];
        assertEquals(1, consumer.recvBatch(new byte[20], lens));
        assertEquals(20, lens[0]);
    }
}
