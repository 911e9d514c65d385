package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Byte-log regions ({@link RegionKind#LOG}): records of any length stored inline in a byte
 * ring, claims of exactly {@code len} bytes, blocking producers, the in-place batch claim and
 * the free space.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class LogTest {
    private static final int RING = 4096;
    private static final int MAX = RING / 2 - 8; // the default max record of a 4 KiB ring
    private static final Duration LONG = Duration.ofSeconds(60);

    private final TestRegions regions = new TestRegions();
    private final List<AutoCloseable> opened = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = opened.size() - 1; i >= 0; i--) {
            opened.get(i).close();
        }
        regions.close();
    }

    private <T extends AutoCloseable> T keep(T handle) {
        opened.add(handle);
        return handle;
    }

    private Region log(RegionConfig cfg) {
        return keep(regions.create("log", cfg));
    }

    private Region log() {
        return log(RegionConfig.log(RING));
    }

    /** Record (tag, seq): {@code n} bytes that depend on all three. */
    static byte[] pattern(int tag, int seq, int n) {
        byte[] b = new byte[n];
        for (int j = 0; j < n; j++) {
            b[j] = (byte) (tag * 31 + seq * 7 + j * 13 + (j >> 8));
        }
        return b;
    }

    private static byte[] recv(Consumer c) {
        byte[] buf = new byte[MAX + 1];
        int n = c.recv(buf, LONG);
        return Arrays.copyOf(buf, n);
    }

    private static int status(Runnable r) {
        return assertThrows(IndexBusException.class, r::run).status();
    }

    @Test
    void createAndInfo() {
        Region r = log(RegionConfig.builder(RegionKind.LOG).byteCapacity(8192).maxRecord(1000).build());
        RegionInfo i = r.info();
        assertEquals(RegionKind.LOG, i.kind());
        assertEquals(1, i.layoutMajor());
        assertEquals(1, i.layoutMinor());
        assertNotEquals(0, i.capabilities() & io.indexbus.internal.indexbus.INDEXBUS_CAP_LOG);
        assertNotEquals(0, i.capabilities() & io.indexbus.internal.indexbus.INDEXBUS_CAP_BYTE_LOG);
        assertEquals(8192, i.byteCapacity());
        assertEquals(1000, i.maxRecord());
        assertEquals(0, i.bytesUsed());
        assertEquals(8192, i.bytesFree());
        assertEquals(0, i.bytesPadding());
        assertEquals(0, i.recordsWaiting());
        assertEquals(0, i.slotCount());
        assertEquals(1, i.consumerCount());

        RegionInfo d = log(RegionConfig.log(0)).info();
        assertEquals(1 << 20, d.byteCapacity());
        assertEquals(65536, d.maxRecord());
        assertEquals(MAX, log().info().maxRecord());

        try (Region o = Region.open(r.name())) {
            RegionInfo oi = o.info();
            assertEquals(RegionKind.LOG, oi.kind());
            assertEquals(8192, oi.byteCapacity());
            assertEquals(1000, oi.maxRecord());
        }
        RegionInfo e = keep(regions.events("ev", 8, 64)).info();
        assertEquals(0, e.byteCapacity());
        assertEquals(0, e.maxRecord());
        assertEquals(0, e.layoutMinor());
    }

    @Test
    void createErrors() {
        for (RegionConfig bad : List.of(RegionConfig.log(5000), RegionConfig.log(2048), RegionConfig.log(1L << 31),
                RegionConfig.builder(RegionKind.LOG).byteCapacity(RING).maxRecord(MAX + 1).build(),
                RegionConfig.builder(RegionKind.LOG).slotCount(8).build(),
                RegionConfig.builder(RegionKind.LOG).consumerCount(2).build())) {
            IndexBusException e = assertThrows(IndexBusException.class, () -> regions.create("bad", bad),
                    bad.toString());
            assertEquals(Status.INVALID_ARGUMENT, e.status(), bad.toString());
        }
        assertThrows(IllegalArgumentException.class,
                () -> RegionConfig.builder(RegionKind.EVENTS).byteCapacity(RING).build());
        assertThrows(IllegalArgumentException.class,
                () -> RegionConfig.builder(RegionKind.FANOUT).maxRecord(10).build());
        assertThrows(IllegalArgumentException.class, () -> RegionConfig.builder(RegionKind.LOG).byteCapacity(-1));

        Region r = log();
        assertEquals(Status.WRONG_KIND, status(r::openRouter));
        assertEquals(Status.OUT_OF_RANGE, status(() -> r.openConsumer(1)));
        Producer spsc = r.openProducer(ProducerType.SPSC);
        assertThrows(BusyException.class, () -> r.openProducer(ProducerType.MPSC));
        spsc.close();
        keep(r.openProducer(ProducerType.MPSC));
        assertThrows(BusyException.class, () -> r.openProducer(ProducerType.SPSC));
    }

    /**
     * Every length 0..max record through a 4 KiB ring, so the records wrap around it hundreds
     * of times: published by copy, by claim and by publishWait, from byte[] and ByteBuffers,
     * read back by copy, by borrow and in batches, byte for byte.
     */
    @Test
    void everyLengthAcrossTheWrap() {
        for (ProducerType type : ProducerType.values()) {
            try (Region r = regions.create("every-" + type, RegionConfig.log(RING));
                 Producer p = r.openProducer(type);
                 Consumer c = r.openConsumer()) {
                byte[] buf = new byte[MAX];
                ByteBuffer direct = ByteBuffer.allocateDirect(MAX);
                int[] lens = new int[4];
                long ring = 0;
                for (int n = 0; n <= MAX; n++) {
                    byte[] want = pattern(1, n, n);
                    switch (n % 5) {
                        case 0 -> p.publish(want);
                        case 1 -> {
                            try (Claim claim = p.claim(n)) {
                                ByteBuffer b = claim.buffer();
                                assertTrue(b.isDirect());
                                assertEquals(n, b.capacity());
                                assertEquals(n, b.limit());
                                assertEquals(0, b.position());
                                b.put(want);
                                claim.commit();
                            }
                        }
                        case 2 -> p.publishWait(want, Duration.ofSeconds(1));
                        case 3 -> {
                            direct.clear().put(want).flip();
                            p.publishWait(direct, Duration.ofSeconds(1));
                            assertEquals(n, direct.position());
                        }
                        default -> p.publishWait(ByteBuffer.wrap(want).asReadOnlyBuffer(), Duration.ofSeconds(1));
                    }
                    ring += (8 + n + 7) & ~7;
                    byte[] got;
                    switch (n % 3) {
                        case 0 -> got = Arrays.copyOf(buf, c.tryRecv(buf));
                        case 1 -> {
                            ByteBuffer b = c.recvBegin();
                            got = new byte[b.remaining()];
                            b.get(got);
                            c.recvEnd();
                        }
                        default -> {
                            assertEquals(1, c.recvBatch(buf, lens));
                            got = Arrays.copyOf(buf, lens[0]);
                        }
                    }
                    assertArrayEquals(want, got, "record of " + n + " bytes");
                }
                assertTrue(ring > 100L * RING, "bytes through the ring: " + ring);
                assertEquals(-1, c.tryRecv(buf));
                RegionInfo i = r.info();
                assertEquals(MAX + 1, i.published());
                assertEquals(0, i.recordsWaiting());
            }
        }
    }

    /** A record that would straddle the ring's end goes to its start behind a pad. */
    @Test
    void wrapPadding() {
        Region r = log();
        Producer p = keep(r.openProducer(ProducerType.SPSC));
        Consumer c = keep(r.openConsumer());
        for (int i = 0; i < 3; i++) {
            p.publish(pattern(2, i, 1000)); // 3 * 1008 = 3024 bytes
        }
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(pattern(2, i, 1000), recv(c));
        }
        assertEquals(-1, c.tryRecv(new byte[8]));
        p.publish(pattern(3, 0, 1000)); // 3024..4032
        try (Claim claim = p.claim(1000)) { // would straddle: a 64-byte pad, then offset 0
            claim.buffer().put(pattern(3, 1, 1000));
            claim.commit();
        }
        RegionInfo i = r.info();
        assertEquals(64, i.bytesPadding());
        assertEquals(2, i.recordsWaiting());
        assertEquals(1008 + 64 + 1008, i.bytesUsed());
        assertEquals(RING - (1008 + 64 + 1008), i.bytesFree());
        assertArrayEquals(pattern(3, 0, 1000), recv(c));
        assertArrayEquals(pattern(3, 1, 1000), recv(c));
    }

    @Test
    void claimsCommitAbortClose() {
        Region r = log();
        Producer p = keep(r.openProducer(ProducerType.MPSC));
        Consumer c = keep(r.openConsumer());
        assertEquals(MAX, p.claim().capacity()); // the slot-style claim: max record bytes
        p.abort();

        Claim a = p.claim(100);
        assertEquals(100, a.length());
        assertTrue(a.isPending());
        assertEquals(Status.BAD_STATE, status(() -> p.claim(1)));
        a.buffer().put("hello, log".getBytes(StandardCharsets.US_ASCII));
        assertThrows(TooLargeException.class, () -> a.commit(101)); // kept
        a.commit(5);
        assertFalse(a.isPending());
        assertThrows(IllegalStateException.class, a::buffer);
        assertEquals(Status.BAD_STATE, status(a::commit));
        assertEquals(Status.BAD_STATE, status(a::abort));
        a.close(); // nothing to do

        try (Claim b = p.claim(30)) {
            b.buffer().put(new byte[30]); // closed without commit: aborted
        }
        Claim d = p.claim(7);
        d.abort();
        assertFalse(d.isPending());
        try (Claim z = p.claim(0)) {
            assertEquals(0, z.buffer().capacity());
            z.commit();
        }
        // the producer's own commit ends a Claim too
        Claim e = p.claim(3);
        e.buffer().put(new byte[] {7, 8, 9});
        p.commit(3);
        assertFalse(e.isPending());
        assertEquals(Status.BAD_STATE, status(e::commit));
        assertThrows(IllegalArgumentException.class, () -> p.claim(-1));

        assertEquals("hello", new String(recv(c), StandardCharsets.US_ASCII));
        assertEquals(0, recv(c).length);
        assertArrayEquals(new byte[] {7, 8, 9}, recv(c));
        assertEquals(-1, c.tryRecv(new byte[8]));
        assertEquals(3, r.info().published());

        // closing the producer ends its claim
        Claim f = p.claim(4);
        p.close();
        assertFalse(f.isPending());
        f.close();
        assertThrows(IllegalStateException.class, () -> f.commit());
    }

    @Test
    void tooLarge() {
        Region r = log(RegionConfig.builder(RegionKind.LOG).byteCapacity(RING).maxRecord(100).build());
        Producer p = keep(r.openProducer(ProducerType.SPSC));
        Consumer c = keep(r.openConsumer());
        byte[] big = new byte[101];
        assertThrows(TooLargeException.class, () -> p.publish(big));
        assertThrows(TooLargeException.class, () -> p.publishWait(big, LONG));
        assertThrows(TooLargeException.class, () -> p.publishWait(ByteBuffer.allocateDirect(101), LONG));
        assertThrows(TooLargeException.class, () -> p.claim(101));
        assertThrows(TooLargeException.class, () -> p.claimWait(101, LONG));
        assertThrows(TooLargeException.class, () -> p.claimBatch(1, 101));
        int[] many = new int[19]; // 19 records of 112 bytes: more than half the ring
        Arrays.fill(many, 100);
        assertThrows(TooLargeException.class, () -> p.claimBatch(many));
        p.publish(new byte[100]);
        assertEquals(100, c.tryRecv(new byte[200]));

        // events: the slot is the bound
        Region e = keep(regions.events("ev", 8, 64));
        Producer ep = keep(e.openProducer(ProducerType.SPSC));
        assertThrows(TooLargeException.class, () -> ep.claim(65));
        try (Claim claim = ep.claim(10)) {
            assertEquals(10, claim.buffer().capacity());
        }
        assertEquals(8, e.info().freeSlots());
    }

    /** The free space, to the byte. */
    @Test
    void space() {
        Region r = log();
        Producer p = keep(r.openProducer(ProducerType.MPSC));
        Consumer c = keep(r.openConsumer());
        byte[] buf = new byte[64];
        assertEquals(RING, p.space());
        p.publish(new byte[10]); // 24 bytes
        assertEquals(RING - 24, p.space());
        assertEquals(10, c.tryRecv(buf));
        assertEquals(-1, c.tryRecv(buf)); // finds the ring empty: everything comes back
        assertEquals(RING, p.space());
        // from offset 24, 63 records of 64 bytes reach 4056; the 64th would straddle
        int n = 0;
        while (p.offer(pattern(4, n, 56))) {
            n++;
        }
        assertEquals(63, n);
        assertEquals(64, p.space());
        RegionInfo i = r.info();
        assertEquals(63 * 64, i.bytesUsed());
        assertEquals(64, i.bytesFree());
        assertEquals(0, i.bytesPadding());
        assertEquals(63, i.recordsWaiting());
        for (int k = 0; k < 3; k++) {
            assertEquals(56, c.tryRecv(buf));
        }
        assertEquals(64, p.space()); // given back a quarter of the ring at a time
        for (int k = 3; k < 16; k++) {
            assertEquals(56, c.tryRecv(buf));
        }
        assertEquals(64 + RING / 4, p.space());
        for (int k = 16; k < n; k++) {
            assertArrayEquals(pattern(4, k, 56), Arrays.copyOf(buf, c.tryRecv(buf)));
        }
        assertEquals(-1, c.tryRecv(buf));
        assertEquals(RING, p.space());

        Region e = keep(regions.events("ev", 8, 64));
        Producer ep = keep(e.openProducer(ProducerType.SPSC));
        assertEquals(8, ep.space());
        for (int k = 0; k < 3; k++) {
            ep.publish(new byte[] {(byte) k});
        }
        assertEquals(5, ep.space());
        ep.close();
        assertThrows(IllegalStateException.class, ep::space);
    }

    /** The batch claim: invisible until commit, which publishes exactly the first k. */
    @Test
    void batchClaim() {
        Region r = log();
        Producer p = keep(r.openProducer(ProducerType.MPSC));
        Consumer c = keep(r.openConsumer());
        byte[] buf = new byte[1024];
        int[] lens = {0, 1, 7, 8, 300};
        int published = 0;
        for (int k = 0; k <= lens.length; k++) {
            BatchClaim b = p.claimBatch(lens);
            assertEquals(lens.length, b.size());
            assertEquals(lens.length, b.buffers().size());
            for (int i = 0; i < lens.length; i++) {
                ByteBuffer w = b.buffer(i);
                assertTrue(w.isDirect());
                assertEquals(lens[i], w.capacity());
                assertEquals(lens[i], w.limit());
                w.put(pattern(10 + k, i, lens[i]));
            }
            assertEquals(-1, c.tryRecv(buf));
            assertEquals(Status.BAD_STATE, status(() -> p.claim(1)));
            assertEquals(Status.BAD_STATE, status(() -> p.commit(1)));
            assertThrows(IllegalArgumentException.class, () -> b.commit(lens.length + 1));
            if (k == lens.length) {
                b.commit();
            } else {
                b.commit(k);
            }
            assertFalse(b.isPending());
            assertThrows(IllegalStateException.class, () -> b.buffer(0));
            assertEquals(Status.BAD_STATE, status(() -> b.commit(0)));
            assertEquals(Status.BAD_STATE, status(b::abort));
            b.close();
            for (int i = 0; i < k; i++) {
                int got = c.tryRecv(buf);
                assertTrue(got >= 0, "commit(" + k + ") record " + i + " is missing");
                assertArrayEquals(pattern(10 + k, i, lens[i]), Arrays.copyOf(buf, got),
                        "commit(" + k + ") record " + i);
            }
            assertEquals(-1, c.tryRecv(buf), "after commit(" + k + ")");
            published += k;
        }
        // abort and close without commit: nothing
        BatchClaim a = p.claimBatch(lens);
        a.abort();
        try (BatchClaim b = p.claimBatch(lens)) {
            b.buffer(4).put(new byte[300]);
        }
        assertEquals(-1, c.tryRecv(buf));
        assertEquals(RING, p.space());
        assertEquals(published, r.info().published());

        // ended by the producer's abort or close
        BatchClaim x = p.claimBatch(4);
        p.abort();
        assertFalse(x.isPending());
        assertEquals(Status.BAD_STATE, status(() -> x.commit(1)));
        BatchClaim y = p.claimBatch(4);
        p.close();
        assertFalse(y.isPending());
        y.close();
        assertThrows(DisconnectedException.class, () -> c.tryRecv(buf));

        Producer q = keep(r.openProducer(ProducerType.MPSC));
        assertThrows(IllegalArgumentException.class, q::claimBatch);
        assertThrows(IllegalArgumentException.class, () -> q.claimBatch(1, -1));
        // a batch of 300 records: more views than the wrapper keeps on its stack
        Region big = log(RegionConfig.log(64 << 10));
        Producer bp = keep(big.openProducer(ProducerType.SPSC));
        Consumer bc = keep(big.openConsumer());
        int[] small = new int[300];
        Arrays.fill(small, 1);
        try (BatchClaim b = bp.claimBatch(small)) {
            for (int i = 0; i < small.length; i++) {
                b.buffer(i).put((byte) i);
            }
            b.commit(299);
        }
        for (int i = 0; i < 299; i++) {
            assertEquals(1, bc.tryRecv(buf));
            assertEquals((byte) i, buf[0]);
        }
        assertEquals(-1, bc.tryRecv(buf));

        Region e = keep(regions.events("ev", 8, 64));
        Producer ep = keep(e.openProducer(ProducerType.SPSC));
        assertEquals(Status.WRONG_KIND, status(() -> ep.claimBatch(1)));
        Region f = keep(regions.create("fan", RegionConfig.fanout(2)));
        Producer fp = keep(f.openProducer(ProducerType.MPSC));
        assertEquals(Status.WRONG_KIND, status(() -> fp.claimBatch(1)));
    }

    /** A batch that does not fit now reserves nothing. */
    @Test
    void batchFull() {
        Region r = log();
        Producer p = keep(r.openProducer(ProducerType.SPSC));
        Consumer c = keep(r.openConsumer());
        for (int i = 0; i < 3; i++) {
            p.publish(new byte[1000]); // 3024 used, 1072 free
        }
        assertThrows(FullException.class, () -> p.claimBatch(1000, 100));
        assertEquals(RING - 3024, p.space());
        try (BatchClaim b = p.claimBatch(1000, 50)) { // 1008 + 64: exactly the rest
            b.commit();
        }
        assertEquals(0, p.space());
        for (int i = 0; i < 5; i++) {
            assertTrue(c.tryRecv(new byte[1000]) >= 0);
        }
    }

    /** Four threads, each with its own MPSC producer, send through a 64 KiB ring. */
    @Test
    void multipleSenders() throws Exception {
        final int senders = 4;
        final int perSender = 5000;
        Region r = log(RegionConfig.log(64 << 10));
        Consumer c = keep(r.openConsumer());
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        for (int id = 0; id < senders; id++) {
            Producer p = keep(r.openProducer(ProducerType.MPSC));
            final int sender = id;
            Thread t = new Thread(() -> {
                try (p) {
                    for (int seq = 0; seq < perSender; seq++) {
                        byte[] m = senderRecord(sender, seq);
                        if (seq % 2 == 0) {
                            p.publishWait(m, LONG);
                        } else {
                            try (Claim claim = p.claimWait(m.length, LONG)) {
                                claim.buffer().put(m);
                                claim.commit();
                            }
                        }
                    }
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            threads.add(t);
            t.start();
        }
        int[] next = new int[senders];
        byte[] buf = new byte[1024];
        for (int got = 0; got < senders * perSender; got++) {
            int n;
            try {
                n = c.recv(buf, LONG);
            } catch (IndexBusException e) {
                throw new AssertionError("after " + got + " records; senders: " + failures, e);
            }
            ByteBuffer h = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
            int id = h.getInt();
            assertTrue(id >= 0 && id < senders, "sender " + id);
            assertArrayEquals(senderRecord(id, next[id]), Arrays.copyOf(buf, n),
                    "sender " + id + " record " + next[id]);
            next[id]++;
        }
        for (Thread t : threads) {
            t.join(TimeUnit.SECONDS.toMillis(60));
        }
        assertEquals(List.of(), failures);
        assertThrows(DisconnectedException.class, () -> c.tryRecv(buf));
    }

    private static byte[] senderRecord(int id, int seq) {
        byte[] m = pattern(id, seq, 12 + (seq * 37 + id) % 500);
        ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putInt(id).putLong(seq);
        return m;
    }

    private static int fill(Producer p) {
        int n = 0;
        while (p.offer(pattern(5, n, 56))) {
            n++;
        }
        return n;
    }

    /** A producer blocked on a full ring is woken by a consumer thread; another times out. */
    @Test
    void blockingProducer() throws Exception {
        for (boolean claim : new boolean[] {false, true}) {
            try (Region r = regions.create("block", RegionConfig.log(RING));
                 Producer p = r.openProducer(ProducerType.SPSC);
                 Consumer c = r.openConsumer()) {
                int n = fill(p);
                assertEquals(RING / 64, n);
                if (claim) {
                    assertThrows(IndexBusTimeoutException.class, () -> p.claimWait(56, Duration.ofMillis(20)));
                } else {
                    assertThrows(IndexBusTimeoutException.class,
                            () -> p.publishWait(pattern(6, 0, 56), Duration.ofMillis(20)));
                    assertThrows(IndexBusTimeoutException.class,
                            () -> p.publishWait(ByteBuffer.allocateDirect(56), Duration.ofMillis(20)));
                }
                assertThrows(IndexBusTimeoutException.class, () -> p.claimWait(56, Duration.ZERO));
                RegionInfo i = r.info();
                assertEquals(n, i.recordsWaiting());
                assertEquals(n, i.published());

                CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> {
                    byte[] want = pattern(6, 1, 56);
                    if (!claim) {
                        p.publishWait(want, LONG);
                        return;
                    }
                    try (Claim cl = p.claimWait(56, LONG)) {
                        cl.buffer().put(want);
                        cl.commit();
                    }
                });
                assertThrows(TimeoutException.class, () -> blocked.get(50, TimeUnit.MILLISECONDS),
                        "the blocked producer returned before anything was read");
                CompletableFuture<Void> drained = CompletableFuture.runAsync(() -> {
                    for (int k = 0; k < n; k++) {
                        assertArrayEquals(pattern(5, k, 56), recv(c));
                    }
                });
                blocked.get(60, TimeUnit.SECONDS);
                drained.get(60, TimeUnit.SECONDS);
                assertArrayEquals(pattern(6, 1, 56), recv(c));
            }
        }
    }

    /** Disconnect both ways, and a parked producer woken by the consumer's close. */
    @Test
    void disconnect() throws Exception {
        Region r = log();
        Consumer c = r.openConsumer();
        Producer a = r.openProducer(ProducerType.MPSC);
        Producer b = r.openProducer(ProducerType.MPSC);
        a.publish("from a".getBytes(StandardCharsets.US_ASCII));
        a.close();
        b.publish("from b".getBytes(StandardCharsets.US_ASCII));
        b.close();
        assertEquals("from a", new String(recv(c), StandardCharsets.US_ASCII));
        assertEquals("from b", new String(recv(c), StandardCharsets.US_ASCII));
        assertThrows(DisconnectedException.class, () -> c.tryRecv(new byte[8]));
        assertThrows(DisconnectedException.class, () -> c.recv(new byte[8], LONG));
        c.close();

        Region r2 = log();
        Consumer c2 = r2.openConsumer();
        Producer p = keep(r2.openProducer(ProducerType.SPSC));
        p.publish(new byte[] {1});
        c2.close();
        assertThrows(DisconnectedException.class, () -> p.publish(new byte[] {2}));
        assertThrows(DisconnectedException.class, () -> p.publishWait(new byte[] {2}, LONG));
        assertThrows(DisconnectedException.class, () -> p.claim(1));
        assertThrows(DisconnectedException.class, () -> p.claimWait(1, LONG));
        assertThrows(DisconnectedException.class, () -> p.claimBatch(1));

        Region r3 = log();
        Consumer c3 = r3.openConsumer();
        Producer q = keep(r3.openProducer(ProducerType.MPSC));
        fill(q);
        Future<?> parked = CompletableFuture.runAsync(() -> q.publishWait(new byte[56], LONG));
        assertThrows(TimeoutException.class, () -> parked.get(50, TimeUnit.MILLISECONDS));
        c3.close();
        ExecutionException e = assertThrows(ExecutionException.class, () -> parked.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof DisconnectedException, e.getCause().toString());
    }

    @Test
    void recvTimeout() {
        Region r = log();
        Consumer c = keep(r.openConsumer());
        keep(r.openProducer(ProducerType.SPSC));
        long start = System.nanoTime();
        assertThrows(IndexBusTimeoutException.class, () -> c.recv(new byte[16], Duration.ofMillis(50)));
        assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "returned before 50 ms");
        assertThrows(IndexBusTimeoutException.class,
                () -> c.recv(ByteBuffer.allocateDirect(16), Duration.ofMillis(20)));
        assertFalse(c.await(Duration.ofMillis(20)));
    }

    /** Blocking producers on an events region. */
    @Test
    void eventsPublishWait() throws Exception {
        Region r = keep(regions.events("ev", 4, 64));
        Producer p = keep(r.openProducer(ProducerType.SPSC));
        Consumer c = keep(r.openConsumer());
        for (int i = 0; i < 4; i++) {
            p.publish(new byte[] {(byte) i});
        }
        assertThrows(IndexBusTimeoutException.class, () -> p.publishWait(new byte[] {9}, Duration.ofMillis(10)));
        CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> p.publishWait(new byte[] {4}, LONG));
        for (int i = 0; i < 5; i++) {
            assertArrayEquals(new byte[] {(byte) i}, recv(c), "message " + i);
        }
        blocked.get(60, TimeUnit.SECONDS);
    }

    /**
     * A child JVM sends records of many lengths into a 4 KiB log with publishWait, parking on
     * the full ring; this JVM, the consumer, wakes it by reading and checks every byte.
     */
    @Test
    void childBlockingProducer() throws Exception {
        final int count = 3000;
        for (ProducerType type : ProducerType.values()) {
            String name = regions.name("mp-log-" + type);
            try (Region r = Region.create(name, RegionConfig.builder(RegionKind.LOG).byteCapacity(RING)
                    .maxRecord(1000).build()); Consumer c = r.openConsumer()) {
                Process child = ChildJvm.start(ChildLogProducer.class, List.of(), name,
                        Integer.toString(count), type.name());
                child.getOutputStream().close();
                Thread.sleep(20); // let the child fill the ring and park
                byte[] buf = new byte[1000];
                for (int i = 0; i < count; i++) {
                    int n;
                    try {
                        n = c.recv(buf, LONG);
                    } catch (IndexBusException e) {
                        throw new AssertionError("record " + i + "; child stderr: "
                                + new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8), e);
                    }
                    assertArrayEquals(ChildLogProducer.record(i, 1000), Arrays.copyOf(buf, n), "record " + i);
                }
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child exits");
                String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertEquals(0, child.exitValue(), err);
                assertFalse(err.toLowerCase(java.util.Locale.ROOT).contains("warning"), err);
                assertEquals("published " + count,
                        new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim());
                assertThrows(DisconnectedException.class, () -> c.tryRecv(buf));
                RegionInfo i = r.info();
                assertEquals(count, i.published());
                assertEquals(0, i.recordsWaiting());
                assertEquals(0, i.producersLive());
            } catch (RuntimeException | AssertionError e) {
                fail(type + ": " + e, e);
            }
        }
    }
}
