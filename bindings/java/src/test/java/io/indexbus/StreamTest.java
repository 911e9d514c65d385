package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Byte streams ({@link RegionKind#STREAM}): blocking and non-blocking writes and reads, the
 * {@link OutputStream} / {@link InputStream} views with -1 at the end of the stream,
 * reader-gone as {@link DisconnectedException}, several writers, the read end handed over, a
 * writer in another JVM; the tests of seed 003.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class StreamTest {
    static final int RING = 4096;
    static final int CHUNK = RING / 2 - 8; // the default max record of a 4 KiB ring: two fill it
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

    private Region stream() {
        return keep(regions.create("stream", RegionConfig.stream(RING)));
    }

    /** Exactly {@code n} bytes, each read within a minute. */
    private static byte[] readN(StreamReader r, int n) {
        byte[] out = new byte[n];
        for (int got = 0; got < n;) {
            int k = r.read(out, got, n - got, LONG);
            assertTrue(k > 0, "read " + k + " before " + n + " bytes");
            got += k;
        }
        return out;
    }

    private static byte[] repeat(char c, int n) {
        byte[] b = new byte[n];
        Arrays.fill(b, (byte) c);
        return b;
    }

    @Test
    void createAndInfo() {
        Region r = keep(regions.create("info", RegionConfig.builder(RegionKind.STREAM).byteCapacity(8192)
                .maxRecord(1000).build()));
        RegionInfo i = r.info();
        assertEquals(RegionKind.STREAM, i.kind());
        assertEquals(8192, i.byteCapacity());
        assertEquals(1000, i.maxRecord());
        assertEquals(0, i.streamFlags());
        assertEquals(0, i.streamWriters());
        assertEquals(new StreamState(0, 0), r.streamState());
        assertThrows(IllegalArgumentException.class,
                () -> RegionConfig.builder(RegionKind.STREAM).cells(4).build());
        assertThrows(IllegalArgumentException.class,
                () -> RegionConfig.builder(RegionKind.EVENTS).maxRequest(64).build());
        assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class,
                () -> r.openProducer(ProducerType.MPSC)).status());
        Region ev = keep(regions.events("ev", 8, 64));
        IndexBusException e = assertThrows(IndexBusException.class, ev::openStreamWriter);
        assertEquals(Status.WRONG_KIND, e.status());
        assertEquals("INDEXBUS_WRONG_KIND", e.statusName());
        assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class, ev::openStreamReader).status());
        assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class, ev::streamState).status());
    }

    /** Many rings through the stream views: every byte in order, -1 at the end, a clean end. */
    @Test
    void streamViews() throws Exception {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        StreamReader rd = keep(r.openStreamReader());
        byte[] src = LogTest.pattern(1, 2, 300_000);
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = w.outputStream()) {
                out.write(src, 0, 1000);
                out.write(src[1000]);
                out.write(src, 1001, src.length - 1001);
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        StreamState s;
        try (InputStream in = rd.inputStream()) {
            assertEquals(src[0] & 0xff, in.read());
            got.write(src[0]);
            in.transferTo(got); // up to -1
            assertEquals(-1, in.read());
            assertEquals(-1, in.read(new byte[4], 0, 4));
            s = r.streamState();
        }
        writer.get(60, TimeUnit.SECONDS);
        assertArrayEquals(src, got.toByteArray());
        assertTrue(s.clean() && s.ended() && !s.aborted() && !s.readerGone(), s.toString());
        assertEquals(new StreamState(StreamState.ENDED | StreamState.READER_GONE, 0), r.streamState());
        RegionInfo i = r.info();
        assertEquals(src.length, i.streamBytesRead());
        assertEquals(0, i.streamWriters());
        assertEquals(StreamState.ENDED | StreamState.READER_GONE, i.streamFlags());
        assertThrows(DisconnectedException.class, r::openStreamWriter); // a late writer cannot reopen it
        assertTrue(w.isClosed() && rd.isClosed());
    }

    /** tryWrite what fits, tryRead what is there, timeouts with the bytes written. */
    @Test
    void nonBlockingAndTimeouts() {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        StreamReader rd = keep(r.openStreamReader());
        byte[] buf = new byte[RING];
        assertEquals(0, rd.tryRead(buf));
        assertThrows(IndexBusTimeoutException.class, () -> rd.read(buf, 0, 10, Duration.ofMillis(5)));
        assertThrows(IndexBusTimeoutException.class, () -> rd.read(buf, 0, 10, Duration.ZERO));
        byte[] src = LogTest.pattern(3, 0, 3 * CHUNK);
        assertEquals(CHUNK, w.tryWrite(src)); // one record of at most the max record
        int n = CHUNK + w.tryWrite(src, CHUNK, src.length - CHUNK);
        assertTrue(n > CHUNK && n <= 2 * CHUNK, "second tryWrite: " + n);
        assertEquals(0, w.tryWrite(src, n, src.length - n)); // full
        // a write of at most the max record is all or nothing
        StreamWriteTimeoutException t = assertThrows(StreamWriteTimeoutException.class,
                () -> w.write(src, n, 100, Duration.ofMillis(20)));
        assertEquals(0, t.bytesWritten());
        assertEquals(Status.TIMEOUT, t.status());
        ByteBuffer direct = ByteBuffer.allocateDirect(100);
        assertThrows(StreamWriteTimeoutException.class, () -> w.write(direct, Duration.ofMillis(5)));
        assertEquals(0, direct.position());
        ByteArrayOutputStream got = new ByteArrayOutputStream();
        while (got.size() < n) {
            int k = rd.tryRead(buf);
            assertTrue(k > 0);
            got.write(buf, 0, k);
        }
        assertArrayEquals(Arrays.copyOf(src, n), got.toByteArray());
        assertEquals(0, rd.tryRead(buf));
        assertEquals(0, rd.read(new byte[0]));
    }

    /** A write longer than the max record times out with exactly the prefix that went in. */
    @Test
    void partialWriteTimeout() throws Exception {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        StreamReader rd = keep(r.openStreamReader());
        byte[] src = LogTest.pattern(4, 0, 5 * CHUNK);
        StreamWriteTimeoutException t = assertThrows(StreamWriteTimeoutException.class,
                () -> w.write(src, 0, src.length, Duration.ofMillis(20)));
        int n = t.bytesWritten();
        assertTrue(n > 0 && n < src.length, "written " + n);
        assertArrayEquals(Arrays.copyOf(src, n), readN(rd, n));
        assertEquals(0, rd.tryRead(new byte[10]));
        CompletableFuture<Void> rest = CompletableFuture.runAsync(() -> w.write(src, n, src.length - n));
        assertArrayEquals(Arrays.copyOfRange(src, n, src.length), readN(rd, src.length - n));
        rest.get(60, TimeUnit.SECONDS);
        // direct buffers, in place both ways
        ByteBuffer out = ByteBuffer.allocateDirect(3 * CHUNK);
        out.put(src, 0, 3 * CHUNK).flip();
        CompletableFuture<Void> d = CompletableFuture.runAsync(() -> w.write(out, LONG));
        ByteBuffer in = ByteBuffer.allocateDirect(3 * CHUNK);
        while (in.hasRemaining()) {
            assertTrue(rd.read(in, LONG) > 0);
        }
        d.get(60, TimeUnit.SECONDS);
        assertFalse(out.hasRemaining());
        byte[] back = new byte[3 * CHUNK];
        in.flip().get(back);
        assertArrayEquals(Arrays.copyOf(src, 3 * CHUNK), back);
    }

    /**
     * Seed 003, writer_applies_backpressure_until_the_reader_drains: two chunks fill the
     * stream; a third write is still pending after 20 ms and completes after a read.
     */
    @Test
    void seedBackpressureUntilTheReaderDrains() throws Exception {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        StreamReader rd = keep(r.openStreamReader());
        w.write(repeat('1', 2 * CHUNK)); // fills the stream
        CompletableFuture<Void> second = CompletableFuture.runAsync(() -> w.write(repeat('2', CHUNK)));
        Thread.sleep(20);
        assertFalse(second.isDone(), "the second write must block while the stream is full");
        assertArrayEquals(repeat('1', CHUNK), readN(rd, CHUNK)); // drain frees room
        second.get(60, TimeUnit.SECONDS);
        w.close();
        ByteArrayOutputStream rest = new ByteArrayOutputStream();
        byte[] buf = new byte[RING];
        for (int k; (k = rd.read(buf, 0, buf.length, LONG)) >= 0;) {
            rest.write(buf, 0, k);
        }
        byte[] want = new byte[2 * CHUNK];
        Arrays.fill(want, 0, CHUNK, (byte) '1');
        Arrays.fill(want, CHUNK, 2 * CHUNK, (byte) '2');
        assertArrayEquals(want, rest.toByteArray());
    }

    /** Seed 003, read_returns_none_after_the_writer_drops. */
    @Test
    void seedReadReturnsEndAfterTheWriterDrops() {
        Region r = stream();
        StreamReader rd = keep(r.openStreamReader());
        try (StreamWriter w = r.openStreamWriter()) {
            w.write("x".getBytes(StandardCharsets.US_ASCII));
        }
        byte[] buf = new byte[8];
        assertEquals(1, rd.read(buf, 0, 8, LONG));
        assertEquals('x', buf[0]);
        assertEquals(-1, rd.read(buf, 0, 8, LONG)); // end of stream
        assertEquals(-1, rd.read(buf));
        assertEquals(-1, rd.tryRead(buf));
        assertTrue(r.streamState().clean());
    }

    /** Seed 003, write_fails_once_the_reader_is_gone: the write is refused whole. */
    @Test
    void seedWriteFailsOnceTheReaderIsGone() {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        r.openStreamReader().close();
        DisconnectedException e = assertThrows(DisconnectedException.class,
                () -> w.write(new byte[] {'x'}));
        assertEquals("INDEXBUS_DISCONNECTED", e.statusName());
        assertThrows(DisconnectedException.class, () -> w.tryWrite(new byte[] {'x'}));
        IOException io = assertThrows(IOException.class, () -> w.outputStream().write('x'));
        assertTrue(io.getCause() instanceof DisconnectedException, io.toString());
        assertEquals(0, r.info().bytesUsed());
        StreamState s = r.streamState();
        assertTrue(s.readerGone() && !s.ended(), s.toString());
        assertThrows(DisconnectedException.class, r::openStreamReader); // closed for good
        assertThrows(DisconnectedException.class, r::openStreamWriter);
    }

    /** Seed 003, a_cloned_writer_fans_into_the_same_stream: the end only once both dropped. */
    @Test
    void seedClonedWriterFansIntoTheSameStream() {
        Region r = stream();
        StreamReader rd = keep(r.openStreamReader());
        StreamWriter w = r.openStreamWriter();
        StreamWriter w2 = w.openAnother();
        w.write(new byte[] {'1'});
        w2.write(new byte[] {'2'});
        String got = new String(readN(rd, 2), StandardCharsets.US_ASCII);
        assertTrue(Set.of("12", "21").contains(got), got);
        assertEquals(2, r.info().streamWriters());
        w.close();
        assertThrows(IndexBusTimeoutException.class, () -> rd.read(new byte[1], 0, 1, Duration.ofMillis(20)));
        w2.close();
        assertEquals(-1, rd.read(new byte[1], 0, 1, LONG));
        assertTrue(r.streamState().clean());
    }

    /** Seed 003 (the Rust-only Debug test): the handles say what they are. */
    @Test
    void handlesDescribeThemselves() {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        StreamReader rd = keep(r.openStreamReader());
        assertTrue(w.toString().contains("stream writer on " + r.name()), w.toString());
        assertTrue(rd.toString().contains("stream reader"), rd.toString());
        w.close();
        assertTrue(w.toString().endsWith("(closed)"));
    }

    /** The read end handed over continues at the very next byte. */
    @Test
    void releaseHandsOver() {
        Region r = stream();
        StreamWriter w = keep(r.openStreamWriter());
        StreamReader rd = r.openStreamReader();
        assertThrows(BusyException.class, r::openStreamReader);
        byte[] src = LogTest.pattern(5, 0, 1000);
        w.write(src);
        byte[] first = readN(rd, 300);
        rd.release();
        assertTrue(rd.isClosed());
        assertThrows(IllegalStateException.class, () -> rd.tryRead(new byte[1]));
        StreamReader rd2 = keep(r.openStreamReader());
        byte[] rest = readN(rd2, 700);
        byte[] all = Arrays.copyOf(first, 1000);
        System.arraycopy(rest, 0, all, 300, 700);
        assertArrayEquals(src, all);
        w.close();
        assertEquals(-1, rd2.read(new byte[1]));
    }

    /** abort: the writer leaves as failed, the stream ends aborted, its bytes stay readable. */
    @Test
    void writerAbort() {
        Region r = stream();
        StreamReader rd = keep(r.openStreamReader());
        StreamWriter w = r.openStreamWriter();
        w.write("partial".getBytes(StandardCharsets.US_ASCII));
        w.abort();
        assertTrue(w.isClosed());
        assertEquals("partial", new String(readN(rd, 7), StandardCharsets.US_ASCII));
        assertEquals(-1, rd.read(new byte[1]));
        StreamState s = r.streamState();
        assertTrue(s.ended() && s.aborted() && !s.clean(), s.toString());
        assertEquals(1, s.writersAborted());
    }

    /**
     * A writer in another JVM: its bytes arrive in order and the stream ends cleanly when it
     * closes; one that dies without closing (halt) ends it aborted, which the state tells.
     */
    @Test
    void childWriter() throws Exception {
        final int total = 200_000;
        for (String mode : List.of("close", "die")) {
            String name = regions.name("mp-stream-" + mode);
            try (Region r = Region.create(name, RegionConfig.stream(RING));
                 StreamReader rd = r.openStreamReader()) {
                Process child = ChildJvm.start(ChildStreamWriter.class, List.of(), name,
                        Integer.toString(total), mode);
                child.getOutputStream().close();
                ByteArrayOutputStream got = new ByteArrayOutputStream();
                byte[] buf = new byte[8192];
                for (int k; (k = rd.read(buf, 0, buf.length, LONG)) >= 0;) {
                    got.write(buf, 0, k);
                }
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "child exits");
                String err = new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
                assertArrayEquals(ChildStreamWriter.bytes(total), got.toByteArray(), mode + ": " + err);
                StreamState s = r.streamState();
                if (mode.equals("close")) {
                    assertEquals(0, child.exitValue(), err);
                    assertTrue(s.clean(), s.toString());
                } else {
                    assertEquals(3, child.exitValue(), err);
                    assertTrue(s.ended() && s.aborted(), s.toString());
                    assertEquals(1, s.writersAborted());
                }
            }
        }
    }
}
