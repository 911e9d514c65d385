package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ReadOnlyBufferException;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Events region: every copy send and receive form, and their error mappings. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ProducerConsumerTest extends EventsFixture {
    ProducerConsumerTest() {
        super("pc", 8, 64, ProducerType.SPSC);
    }

    private byte[] next() {
        byte[] buf = new byte[64];
        int n = consumer.tryRecv(buf);
        assertTrue(n >= 0, "a message is waiting");
        return Arrays.copyOf(buf, n);
    }

    @Test
    void publishByteArrays() {
        producer.publish(new byte[] {1, 2, 3});
        producer.publish(new byte[] {0, 9, 8, 7, 0}, 1, 3);
        producer.publish(new byte[0]);
        assertArrayEquals(new byte[] {1, 2, 3}, next());
        assertArrayEquals(new byte[] {9, 8, 7}, next());
        assertArrayEquals(new byte[0], next());
        assertEquals(-1, consumer.tryRecv(new byte[64]));
        assertThrows(IndexOutOfBoundsException.class, () -> producer.publish(new byte[4], 2, 3));
        assertThrows(IndexOutOfBoundsException.class, () -> producer.publish(new byte[4], -1, 1));
        assertThrows(NullPointerException.class, () -> producer.publish((byte[]) null));
    }

    @Test
    void publishByteBuffers() {
        ByteBuffer direct = ByteBuffer.allocateDirect(16);
        direct.put(new byte[] {5, 6, 7, 8}).flip().position(1);
        producer.publish(direct);
        assertEquals(direct.limit(), direct.position());

        ByteBuffer heap = ByteBuffer.wrap(new byte[] {0, 0, 1, 2, 3, 4}).position(2).slice(); // arrayOffset 2
        heap.limit(3);
        producer.publish(heap);
        assertEquals(3, heap.position());

        ByteBuffer readOnly = ByteBuffer.wrap(new byte[] {4, 3, 2}).asReadOnlyBuffer();
        producer.publish(readOnly);
        assertEquals(3, readOnly.position());

        assertArrayEquals(new byte[] {6, 7, 8}, next());
        assertArrayEquals(new byte[] {1, 2, 3}, next());
        assertArrayEquals(new byte[] {4, 3, 2}, next());
    }

    @Test
    void receiveIntoEveryDestination() {
        for (int i = 1; i <= 5; i++) {
            producer.publish(new byte[] {(byte) i, (byte) (i + 10)});
        }
        byte[] arr = new byte[6];
        assertEquals(2, consumer.tryRecv(arr, 3, 3));
        assertArrayEquals(new byte[] {0, 0, 0, 1, 11, 0}, arr);

        ByteBuffer direct = ByteBuffer.allocateDirect(8).position(1);
        assertEquals(2, consumer.tryRecv(direct));
        assertEquals(3, direct.position());
        assertEquals(2, direct.get(1));
        assertEquals(12, direct.get(2));

        ByteBuffer heap = ByteBuffer.allocate(8).position(4);
        assertEquals(2, consumer.tryRecv(heap));
        assertEquals(6, heap.position());
        assertEquals(3, heap.get(4));

        ByteBuffer recvDirect = ByteBuffer.allocateDirect(4);
        assertEquals(2, consumer.recv(recvDirect, Duration.ofSeconds(1)));
        assertEquals(2, recvDirect.position());
        assertEquals(4, recvDirect.get(0));

        ByteBuffer recvHeap = ByteBuffer.allocate(4).position(1);
        assertEquals(2, consumer.recv(recvHeap, Duration.ofSeconds(1)));
        assertEquals(3, recvHeap.position());
        assertEquals(15, recvHeap.get(2));

        assertEquals(-1, consumer.tryRecv(ByteBuffer.allocateDirect(8)));
        assertEquals(-1, consumer.tryRecv(ByteBuffer.allocate(8)));
        assertEquals(-1, consumer.tryRecv(new byte[8], 0, 8));
        assertThrows(IndexOutOfBoundsException.class, () -> consumer.tryRecv(new byte[4], 3, 2));
        assertThrows(ReadOnlyBufferException.class,
                () -> consumer.tryRecv(ByteBuffer.allocate(4).asReadOnlyBuffer()));
        assertThrows(ReadOnlyBufferException.class,
                () -> consumer.recv(ByteBuffer.allocateDirect(4).asReadOnlyBuffer(), Duration.ZERO));
    }

    @Test
    void tooLarge() {
        TooLargeException e = assertThrows(TooLargeException.class, () -> producer.publish(new byte[65]));
        assertEquals(Status.TOO_LARGE, e.status());
        assertThrows(TooLargeException.class, () -> producer.offer(new byte[65]));
        assertThrows(TooLargeException.class, () -> producer.publish(ByteBuffer.allocateDirect(100)));
        assertThrows(TooLargeException.class,
                () -> producer.publish(ByteBuffer.allocate(100).asReadOnlyBuffer()));
        producer.publish(new byte[64]); // exactly the slot size is fine
        assertEquals(64, next().length);
        assertEquals(8, region.info().freeSlots());
    }

    @Test
    void bufferTooSmallKeepsTheMessage() {
        producer.publish(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10});
        BufferTooSmallException e = assertThrows(BufferTooSmallException.class,
                () -> consumer.tryRecv(new byte[4]));
        assertEquals(Status.BUFFER_TOO_SMALL, e.status());
        assertEquals(10, e.requiredLength());
        assertEquals(4, e.available());
        ByteBuffer small = ByteBuffer.allocateDirect(9);
        assertEquals(10, assertThrows(BufferTooSmallException.class, () -> consumer.tryRecv(small))
                .requiredLength());
        assertEquals(0, small.position());
        assertThrows(BufferTooSmallException.class, () -> consumer.recv(small, Duration.ofSeconds(1)));
        assertThrows(BufferTooSmallException.class, () -> consumer.recv(new byte[2], Duration.ofSeconds(1)));
        assertEquals(10, consumer.tryRecv(new byte[e.requiredLength()]));
    }

    @Test
    void full() {
        for (int i = 0; i < 8; i++) {
            producer.publish(new byte[] {(byte) i});
        }
        FullException e = assertThrows(FullException.class, () -> producer.publish(new byte[] {8}));
        assertEquals(Status.FULL, e.status());
        assertTrue(e.getMessage().startsWith("publish: no free slot or queue space"), e.getMessage());
        assertFalse(producer.offer(new byte[] {8}));
        assertFalse(producer.offer(new byte[] {8}, 0, 1));
        ByteBuffer b = ByteBuffer.allocateDirect(1);
        assertFalse(producer.offer(b));
        assertEquals(0, b.position(), "position unchanged when not published");
        assertThrows(FullException.class, producer::claim);
        assertEquals(0, next()[0]);
        assertTrue(producer.offer(new byte[] {8}));
    }

    @Test
    void timeouts() {
        long t0 = System.nanoTime();
        IndexBusTimeoutException e = assertThrows(IndexBusTimeoutException.class,
                () -> consumer.recv(ByteBuffer.allocateDirect(64), Duration.ofMillis(50)));
        assertTrue(System.nanoTime() - t0 >= 40_000_000L, "waited for the timeout");
        assertEquals(Status.TIMEOUT, e.status());
        assertThrows(IndexBusTimeoutException.class, () -> consumer.recv(new byte[64], Duration.ofMillis(20)));
        assertThrows(IndexBusTimeoutException.class,
                () -> consumer.recv(ByteBuffer.allocate(64), Duration.ofMillis(20)));
        assertFalse(consumer.await(Duration.ofMillis(20)));
        producer.publish(new byte[] {1});
        assertTrue(consumer.await(Duration.ofMillis(20)));
        assertTrue(consumer.await(Duration.ZERO));
        assertEquals(1, consumer.recv(new byte[64], Duration.ZERO));
    }

    @Test
    void blockingReceiveWakesUpForALaterMessage() throws Exception {
        CompletableFuture<Void> later = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(100);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            producer.publish(new byte[] {42, 43});
        });
        byte[] buf = new byte[8];
        assertEquals(2, consumer.recv(buf, Duration.ofSeconds(10)));
        assertEquals(42, buf[0]);
        later.get();
        CompletableFuture<Void> later2 = CompletableFuture.runAsync(() -> {
            try {
                Thread.sleep(50);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            producer.publish(new byte[] {44});
        });
        ByteBuffer direct = ByteBuffer.allocateDirect(8);
        assertEquals(1, consumer.recv(direct, Duration.ofSeconds(10)));
        assertEquals(44, direct.get(0));
        later2.get();
    }

    @Test
    void consumerSeesDisconnectOnceDrained() {
        producer.publish(new byte[] {1});
        producer.close();
        assertTrue(consumer.await(Duration.ZERO), "the last message is still there");
        assertEquals(1, consumer.tryRecv(new byte[4]));
        DisconnectedException e = assertThrows(DisconnectedException.class, () -> consumer.tryRecv(new byte[4]));
        assertEquals(Status.DISCONNECTED, e.status());
        assertThrows(DisconnectedException.class, () -> consumer.recv(new byte[4], Duration.ofSeconds(5)));
        assertThrows(DisconnectedException.class,
                () -> consumer.recv(ByteBuffer.allocateDirect(4), Duration.ofSeconds(5)));
        assertThrows(DisconnectedException.class, () -> consumer.await(Duration.ofSeconds(5)));
        assertThrows(DisconnectedException.class, consumer::recvBegin);
        assertThrows(DisconnectedException.class, () -> consumer.recvBatch(new byte[4], new int[2]));
    }

    @Test
    void producerSeesDisconnectWhenConsumersLeave() {
        consumer.close();
        DisconnectedException e = assertThrows(DisconnectedException.class, () -> producer.publish(new byte[1]));
        assertEquals(Status.DISCONNECTED, e.status());
        assertThrows(DisconnectedException.class, () -> producer.offer(new byte[1]));
        assertThrows(DisconnectedException.class, producer::claim);
        assertThrows(DisconnectedException.class, () -> producer.publishBatch(new byte[1], new int[] {1}));
    }

    @Test
    void spscAndMpscProducersFeedTheSameConsumer() {
        try (Producer mpsc = region.openProducer(ProducerType.MPSC)) {
            assertEquals(ProducerType.SPSC, producer.type());
            assertEquals(ProducerType.MPSC, mpsc.type());
            producer.publish(new byte[] {1});
            mpsc.publish(new byte[] {2});
            int sum = next()[0] + next()[0];
            assertEquals(3, sum);
        }
    }
}
