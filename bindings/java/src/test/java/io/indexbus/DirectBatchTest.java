package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The fast calls over direct buffers: publishBatch and recvBatch with a lengths IntBuffer,
 * publish and tryRecv with a direct ByteBuffer, and the other buffer kinds they accept.
 */
class DirectBatchTest extends EventsFixture {
    DirectBatchTest() {
        super("dbatch", 8, 64, ProducerType.SPSC);
    }

    /** A direct buffer holding {@code bytes}, position 0, limit = their count. */
    private static ByteBuffer direct(int... bytes) {
        ByteBuffer b = ByteBuffer.allocateDirect(bytes.length + 8);
        for (int x : bytes) {
            b.put((byte) x);
        }
        return b.flip();
    }

    private static IntBuffer lengths(int... lens) {
        return Batches.lengths(lens.length).put(lens).flip();
    }

    /** Elements [from, to) whatever the position and limit. */
    private static byte[] bytes(ByteBuffer b, int from, int to) {
        byte[] out = new byte[to - from];
        b.duplicate().clear().get(from, out);
        return out;
    }

    private static int[] ints(IntBuffer b, int from, int to) {
        int[] out = new int[to - from];
        b.duplicate().clear().get(from, out);
        return out;
    }

    @Test
    void lengthsBuffer() {
        IntBuffer lens = Batches.lengths(5);
        assertTrue(lens.isDirect());
        assertEquals(ByteOrder.nativeOrder(), lens.order());
        assertEquals(0, lens.position());
        assertEquals(5, lens.limit());
        assertEquals(5, lens.capacity());
        assertTrue(Batches.isInPlace(lens));
        assertEquals(0, Batches.lengths(0).capacity());
        assertThrows(IllegalArgumentException.class, () -> Batches.lengths(-1));
        assertThrows(IllegalArgumentException.class, () -> Batches.lengths(Integer.MAX_VALUE));

        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN
                ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        assertFalse(Batches.isInPlace(ByteBuffer.allocateDirect(8).order(other).asIntBuffer()));
        assertFalse(Batches.isInPlace(IntBuffer.allocate(2)));
    }

    @Test
    void roundTripInPlace() {
        ByteBuffer packed = direct(1, 2, 2, 4, 4, 4, 4, 5, 5, 5, 5, 5);
        IntBuffer lens = lengths(1, 2, 0, 4, 5);
        assertEquals(5, producer.publishBatch(packed, lens));
        assertEquals(12, packed.position(), "past the bytes sent");
        assertEquals(5, lens.position(), "past the lengths sent");

        ByteBuffer dst = ByteBuffer.allocateDirect(64);
        IntBuffer rlens = Batches.lengths(8);
        assertEquals(5, consumer.recvBatch(dst, rlens));
        assertEquals(12, dst.position());
        assertEquals(5, rlens.position());
        assertArrayEquals(new int[] {1, 2, 0, 4, 5}, ints(rlens, 0, 5));
        assertArrayEquals(new byte[] {1, 2, 2, 4, 4, 4, 4, 5, 5, 5, 5, 5}, bytes(dst, 0, 12));
        assertEquals(0, consumer.recvBatch(dst, rlens), "0 when nothing is waiting");
        assertEquals(12, dst.position());
        assertEquals(5, rlens.position());
    }

    @Test
    void positionsAndLimitsAreTheRanges() {
        ByteBuffer packed = direct(9, 9, 1, 2, 2, 3, 3, 3, 9);
        packed.position(2).limit(8);
        IntBuffer lens = lengths(7, 1, 2, 3, 7);
        lens.position(1).limit(4);
        assertEquals(3, producer.publishBatch(packed, lens));
        assertEquals(8, packed.position());
        assertEquals(4, lens.position());

        ByteBuffer dst = ByteBuffer.allocateDirect(32);
        dst.put(0, (byte) 77).position(1).limit(4);
        IntBuffer rlens = Batches.lengths(6);
        rlens.put(0, 99).position(1).limit(3);
        assertEquals(2, consumer.recvBatch(dst, rlens), "at most rlens.remaining() messages");
        assertEquals(4, dst.position());
        assertEquals(3, rlens.position());
        assertArrayEquals(new int[] {99, 1, 2, 0}, ints(rlens, 0, 4));
        assertArrayEquals(new byte[] {77, 1, 2, 2}, bytes(dst, 0, 4));

        dst.limit(5);
        rlens.limit(6);
        BufferTooSmallException e = assertThrows(BufferTooSmallException.class,
                () -> consumer.recvBatch(dst, rlens), "3 bytes left in the queue, room for 1");
        assertEquals(3, e.requiredLength());
        assertEquals(1, e.available());
        assertEquals(4, dst.position(), "unchanged by a failure");
        assertEquals(3, rlens.position(), "unchanged by a failure");
        dst.limit(32);
        assertEquals(1, consumer.recvBatch(dst, rlens));
        assertArrayEquals(new byte[] {3, 3, 3}, bytes(dst, 4, 7));
        assertEquals(3, rlens.get(3));
    }

    @Test
    void otherBufferKindsGoThroughACopy() {
        ByteOrder other = ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN
                ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
        IntBuffer swapped = ByteBuffer.allocateDirect(16).order(other).asIntBuffer();
        swapped.put(new int[] {2, 1}).flip();
        assertEquals(2, producer.publishBatch(direct(6, 6, 7), swapped));
        assertEquals(2, swapped.position());

        IntBuffer heap = IntBuffer.wrap(new int[] {5, 1, 3}, 1, 2);
        ByteBuffer heapPacked = ByteBuffer.wrap(new byte[] {8, 9, 9, 9});
        assertEquals(2, producer.publishBatch(heapPacked, heap));
        assertEquals(3, heap.position());
        assertEquals(4, heapPacked.position());

        ByteBuffer readOnly = direct(4, 4).asReadOnlyBuffer();
        assertEquals(1, producer.publishBatch(readOnly, lengths(2)));
        assertEquals(2, readOnly.position());

        // a direct IntBuffer that is not 4-byte aligned in memory
        IntBuffer unaligned = ByteBuffer.allocateDirect(4 * 8 + 1).position(1).slice()
                .order(ByteOrder.nativeOrder()).asIntBuffer();
        assertTrue(Batches.isInPlace(unaligned));
        ByteBuffer heapDst = ByteBuffer.allocate(16);
        IntBuffer swappedOut = ByteBuffer.allocateDirect(8).order(other).asIntBuffer();
        assertEquals(2, consumer.recvBatch(heapDst, swappedOut));
        assertArrayEquals(new int[] {2, 1}, ints(swappedOut, 0, 2));
        assertArrayEquals(new byte[] {6, 6, 7}, bytes(heapDst, 0, 3));
        assertEquals(2, swappedOut.position());

        IntBuffer heapOut = IntBuffer.allocate(4).position(1);
        ByteBuffer dst = ByteBuffer.allocateDirect(16);
        assertEquals(2, consumer.recvBatch(dst, heapOut.limit(3)));
        assertArrayEquals(new int[] {0, 1, 3, 0}, heapOut.array());
        assertArrayEquals(new byte[] {8, 9, 9, 9}, bytes(dst, 0, 4));

        assertEquals(1, consumer.recvBatch(dst.clear(), unaligned));
        assertEquals(2, unaligned.get(0));
        assertArrayEquals(new byte[] {4, 4}, bytes(dst, 0, 2));

        producer.publishBatch(direct(1, 2, 3), unaligned.clear().put(new int[] {1, 2}).flip());
        assertEquals(2, consumer.recvBatch(dst.clear(), Batches.lengths(4)));
        assertArrayEquals(new byte[] {1, 2, 3}, bytes(dst, 0, 3));
    }

    @Test
    void stopsWhenFull() {
        ByteBuffer packed = ByteBuffer.allocateDirect(10);
        for (int i = 0; i < 10; i++) {
            packed.put((byte) i);
        }
        packed.flip();
        IntBuffer lens = Batches.lengths(10);
        while (lens.hasRemaining()) {
            lens.put(1);
        }
        lens.flip();
        assertEquals(8, producer.publishBatch(packed, lens), "8 slots");
        assertEquals(8, packed.position());
        assertEquals(8, lens.position());
        assertEquals(0, producer.publishBatch(packed, lens), "0, not an exception, when full");
        assertEquals(8, packed.position());
        assertEquals(8, lens.position());

        ByteBuffer dst = ByteBuffer.allocateDirect(10);
        IntBuffer rlens = Batches.lengths(10);
        assertEquals(8, consumer.recvBatch(dst, rlens));
        assertArrayEquals(new byte[] {0, 1, 2, 3, 4, 5, 6, 7}, bytes(dst, 0, 8));
        assertEquals(2, producer.publishBatch(packed, lens), "the rest");
        assertEquals(2, consumer.recvBatch(dst.clear(), rlens.clear()));
        assertArrayEquals(new byte[] {8, 9}, bytes(dst, 0, 2));
    }

    @Test
    void manyLengths() {
        // more lengths than the C side keeps on its stack: the region fills at 8
        IntBuffer lens = Batches.lengths(1000);
        assertEquals(8, producer.publishBatch(ByteBuffer.allocateDirect(0), lens));
        assertEquals(8, lens.position());
        IntBuffer rlens = Batches.lengths(1000);
        assertEquals(8, consumer.recvBatch(ByteBuffer.allocateDirect(0), rlens));
        assertEquals(8, rlens.position());
        assertEquals(8, producer.publishBatch(new byte[0], new int[1000]));
        int[] many = new int[1000];
        many[999] = 42;
        assertEquals(8, consumer.recvBatch(new byte[0], many));
        assertEquals(42, many[999], "lengths past the count stay as they were");
    }

    @Test
    void reportsProgressThenTheError() {
        ByteBuffer packed = ByteBuffer.allocateDirect(10 + 65);
        IntBuffer lens = lengths(10, 65);
        assertEquals(1, producer.publishBatch(packed, lens));
        assertEquals(10, packed.position());
        assertEquals(1, lens.position());
        TooLargeException e = assertThrows(TooLargeException.class,
                () -> producer.publishBatch(packed, lens));
        assertEquals(Status.TOO_LARGE, e.status());
        assertEquals(10, packed.position());
        assertEquals(1, lens.position());
    }

    @Test
    void argumentChecks() {
        ByteBuffer packed = direct(1, 2, 3);
        IntBuffer lens = lengths(2, 2);
        assertThrows(IndexOutOfBoundsException.class, () -> producer.publishBatch(packed, lens));
        IntBuffer negative = lengths(1, -1);
        assertThrows(IllegalArgumentException.class, () -> producer.publishBatch(packed, negative));
        assertEquals(0, packed.position(), "nothing sent");
        assertEquals(0, lens.position());
        assertEquals(0, negative.position());
        assertEquals(0, producer.publishBatch(packed, Batches.lengths(0)));
        assertEquals(0, consumer.recvBatch(ByteBuffer.allocateDirect(8), Batches.lengths(8)),
                "nothing was sent");

        assertThrows(IllegalArgumentException.class,
                () -> consumer.recvBatch(ByteBuffer.allocateDirect(8), Batches.lengths(0)));
        assertThrows(ReadOnlyBufferException.class,
                () -> consumer.recvBatch(ByteBuffer.allocateDirect(8).asReadOnlyBuffer(), Batches.lengths(1)));
        assertThrows(ReadOnlyBufferException.class,
                () -> consumer.recvBatch(ByteBuffer.allocateDirect(8), Batches.lengths(1).asReadOnlyBuffer()));
        assertThrows(NullPointerException.class, () -> producer.publishBatch(packed, (IntBuffer) null));
        assertThrows(NullPointerException.class, () -> producer.publishBatch(null, lens));
        assertThrows(NullPointerException.class, () -> consumer.recvBatch(null, Batches.lengths(1)));
        assertThrows(NullPointerException.class,
                () -> consumer.recvBatch(ByteBuffer.allocateDirect(1), (IntBuffer) null));
    }

    @Test
    void singleMessagesThroughDirectBuffers() {
        ByteBuffer a = direct(1, 1, 1);
        ByteBuffer b = direct(2, 2);
        producer.publish(a);
        producer.publish(b);
        a.position(1);
        producer.publish(a); // the first buffer again
        assertEquals(3, a.position());

        ByteBuffer x = ByteBuffer.allocateDirect(8);
        ByteBuffer y = ByteBuffer.allocateDirect(8).position(5);
        assertEquals(3, consumer.tryRecv(x));
        assertEquals(3, x.position());
        assertEquals(2, consumer.tryRecv(y));
        assertEquals(7, y.position());
        assertEquals(2, consumer.tryRecv(x));
        assertEquals(5, x.position());
        assertArrayEquals(new byte[] {1, 1, 1, 1, 1}, bytes(x, 0, 5));
        assertArrayEquals(new byte[] {2, 2}, bytes(y, 5, 7));
        assertEquals(-1, consumer.tryRecv(x), "-1 when nothing is waiting");
        assertEquals(5, x.position());

        producer.publish(direct(new int[20]));
        x.limit(7);
        BufferTooSmallException e = assertThrows(BufferTooSmallException.class, () -> consumer.tryRecv(x));
        assertEquals(20, e.requiredLength());
        assertEquals(2, e.available());
        assertEquals(5, x.position());
        assertEquals(20, consumer.tryRecv(ByteBuffer.allocateDirect(20)));

        assertThrows(TooLargeException.class, () -> producer.publish(ByteBuffer.allocateDirect(65)));
        for (int i = 0; i < 8; i++) {
            assertTrue(producer.offer(direct(i)));
        }
        ByteBuffer last = direct(9);
        assertFalse(producer.offer(last), "false when full");
        assertEquals(0, last.position(), "unchanged when full");

        ByteBuffer z = ByteBuffer.allocateDirect(4).position(3);
        for (int i = 0; i < 8; i++) {
            assertEquals(1, consumer.recv(z, Duration.ofSeconds(1)));
            assertEquals(4, z.position());
            assertEquals(i, z.get(3));
            z.position(3);
        }
        assertThrows(IndexBusTimeoutException.class, () -> consumer.recv(z, Duration.ofMillis(1)));
        assertEquals(3, z.position());
        producer.publish(direct(5, 5));
        BufferTooSmallException small = assertThrows(BufferTooSmallException.class,
                () -> consumer.recv(z, Duration.ZERO));
        assertEquals(2, small.requiredLength());
        assertEquals(1, small.available());
        assertEquals(3, z.position());
        assertEquals(2, consumer.recv(z.clear(), Duration.ZERO));
    }
}
