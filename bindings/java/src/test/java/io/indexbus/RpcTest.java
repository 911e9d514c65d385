package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Request/response regions ({@link RegionKind#RPC}): call, the CompletableFuture path, the
 * zero-copy paths on both sides, tokens that name one request only, cancel, a work queue of
 * servers on threads, a server in another JVM; the tests of seed 004.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class RpcTest {
    static final int MAX_REQUEST = 256;
    static final int MAX_REPLY = 512;
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

    private Region rpc(int cells) {
        return keep(regions.create("rpc", RegionConfig.rpc(cells, MAX_REQUEST, MAX_REPLY)));
    }

    /** The echo servers' reply: "echo:" and the request, cut to the max reply. */
    static byte[] echo(byte[] request) {
        byte[] prefix = "echo:".getBytes(StandardCharsets.US_ASCII);
        byte[] out = new byte[Math.min(prefix.length + request.length, MAX_REPLY)];
        System.arraycopy(prefix, 0, out, 0, prefix.length);
        System.arraycopy(request, 0, out, prefix.length, out.length - prefix.length);
        return out;
    }

    /**
     * A server attached now, serving echo replies on a thread of its own, which alone uses
     * it (handles are one thread at a time): {@link #close()} stops the thread, which closes
     * the server, and says how many requests it served.
     */
    private static final class EchoServer implements AutoCloseable {
        private final AtomicBoolean stop = new AtomicBoolean();
        private final CompletableFuture<Integer> served;

        EchoServer(Region r) {
            RpcServer s = r.openRpcServer();
            // a thread of its own, not a pool's: a pool may have fewer threads than tasks
            served = new CompletableFuture<>();
            Thread t = new Thread(() -> {
                int n = 0;
                try (s) {
                    while (!stop.get()) {
                        RpcRequest q;
                        try {
                            q = s.serve(Duration.ofMillis(20));
                        } catch (IndexBusTimeoutException e) {
                            continue;
                        }
                        n++;
                        q.reply(echo(q.bytes()));
                    }
                } catch (RuntimeException e) {
                    served.completeExceptionally(e);
                    return;
                }
                served.complete(n);
            }, "echo-server");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void close() {
            stop.set(true);
            served.join();
        }

        int served() {
            close();
            return served.join();
        }
    }

    private EchoServer echoServer(Region r) {
        return keep(new EchoServer(r));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String ascii(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @Test
    void createAndInfo() {
        Region r = rpc(5);
        RegionInfo i = r.info();
        assertEquals(RegionKind.RPC, i.kind());
        assertEquals(5, i.rpcCells());
        assertEquals(5, i.rpcCellsFree());
        assertEquals(MAX_REQUEST, i.maxRequest());
        assertEquals(MAX_REPLY, i.maxReply());
        RegionInfo d = keep(regions.create("rpc-default", RegionConfig.rpc(0, 0, 0))).info();
        assertEquals(64, d.rpcCells());
        assertEquals(4096, d.maxRequest());
        assertEquals(4096, d.maxReply());
        assertThrows(IllegalArgumentException.class, () -> RegionConfig.builder(RegionKind.RPC).slotCount(8).build());
        assertThrows(IllegalArgumentException.class, () -> RegionConfig.builder(RegionKind.RPC).byteCapacity(4096).build());
        assertEquals(Status.INVALID_ARGUMENT, assertThrows(IndexBusException.class,
                () -> regions.create("bad", RegionConfig.rpc(4097, 0, 0))).status());
        assertEquals(Status.INVALID_ARGUMENT, assertThrows(IndexBusException.class,
                () -> regions.create("bad", RegionConfig.rpc(1, 7, 0))).status());
        assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class, r::openStreamWriter).status());
        Region ev = keep(regions.events("ev", 8, 64));
        assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class, ev::openRpcClient).status());
        assertEquals(Status.WRONG_KIND, assertThrows(IndexBusException.class, ev::openRpcServer).status());
    }

    /** call with every request length, then the zero-copy request and the borrowed reply. */
    @Test
    void roundTrips() throws Exception {
        Region r = rpc(4);
        RpcClient c = keep(r.openRpcClient());
        EchoServer server = echoServer(r);
        for (int n : new int[] {0, 1, 7, 8, 100, MAX_REQUEST}) {
            byte[] req = LogTest.pattern(11, n, n);
            assertArrayEquals(echo(req), c.call(req, LONG), n + " bytes");
        }
        assertThrows(TooLargeException.class, () -> c.call(new byte[MAX_REQUEST + 1], LONG));
        assertThrows(TooLargeException.class, () -> c.request(new byte[MAX_REQUEST + 1]));
        assertThrows(TooLargeException.class, () -> c.claim(MAX_REQUEST + 1));

        ByteBuffer claim = c.claim(MAX_REQUEST);
        assertTrue(claim.isDirect());
        assertEquals(MAX_REQUEST, claim.capacity());
        assertEquals(Status.BAD_STATE, assertThrows(IndexBusException.class, () -> c.claim(1)).status());
        c.abort(); // given back unsent
        assertEquals(Status.BAD_STATE, assertThrows(IndexBusException.class, c::abort).status());
        claim = c.claim(MAX_REQUEST);
        claim.put(ascii("zero copy"));
        long t = c.send(9);
        ByteBuffer reply = c.awaitReply(t, LONG);
        assertTrue(reply.isReadOnly());
        assertEquals("echo:zero copy", ascii(reply));
        assertEquals("echo:zero copy", ascii(c.awaitReply(t, Duration.ZERO))); // lent again
        c.replyDone(t);
        assertThrows(NotFoundException.class, () -> c.replyDone(t));
        assertEquals(Status.BAD_STATE, assertThrows(IndexBusException.class, () -> c.send(1)).status());

        // direct and heap ByteBuffer requests
        ByteBuffer direct = ByteBuffer.allocateDirect(16).put(ascii("direct")).flip();
        long t2 = c.request(direct);
        assertFalse(direct.hasRemaining());
        assertEquals("echo:direct", ascii(c.awaitReply(t2, LONG)));
        c.replyDone(t2);
        long t3 = c.request(ByteBuffer.wrap(ascii("xheapx"), 1, 4));
        assertEquals("echo:heap", ascii(c.awaitReply(t3, LONG)));
        c.replyDone(t3);
        server.close();
    }

    /** The future path: completes with the reply, times out, cancels, fails to send. */
    @Test
    void callAsync() throws Exception {
        Region r = rpc(8);
        RpcClient c = keep(r.openRpcClient());
        RpcServer s = keep(r.openRpcServer());
        CompletableFuture<byte[]> f1 = c.callAsync(ascii("one"), LONG);
        CompletableFuture<byte[]> f2 = c.callAsync(ascii("two"), LONG);
        // served out of order: each future gets its own reply
        RpcRequest q1 = s.serve(LONG);
        RpcRequest q2 = s.serve(LONG);
        q2.reply(echo(q2.bytes()));
        assertEquals("echo:two", new String(f2.get(60, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        assertFalse(f1.isDone());
        // the caller's thread uses the client meanwhile
        CompletableFuture<byte[]> f3 = c.callAsync(ascii("three"), LONG);
        q1.reply(echo(q1.bytes()));
        assertEquals("echo:one", new String(f1.get(60, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        RpcRequest q3 = s.serve(LONG);
        q3.reply(echo(q3.bytes()));
        assertEquals("echo:three", new String(f3.join(), StandardCharsets.US_ASCII));

        // no reply in time: IndexBusTimeoutException, the request withdrawn
        CompletableFuture<byte[]> late = c.callAsync(ascii("late"), Duration.ofMillis(10));
        ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof IndexBusTimeoutException, e.toString());
        assertNull(s.tryServe());
        // cancelled by the caller before the reply: the waiter gives the request up (on an
        // executor run by hand, so the cancel comes first)
        List<Runnable> tasks = new ArrayList<>();
        CompletableFuture<byte[]> gone = c.callAsync(ascii("gone"), LONG, tasks::add);
        assertEquals(1, tasks.size());
        assertTrue(gone.cancel(false));
        tasks.get(0).run();
        assertNull(s.tryServe()); // withdrawn
        // waited for on a caller's executor
        CompletableFuture<byte[]> mine = c.callAsync(ascii("mine"), LONG, tasks::add);
        RpcRequest q4 = s.serve(LONG);
        q4.reply(echo(q4.bytes()));
        tasks.get(1).run();
        assertEquals("echo:mine", new String(mine.get(0, TimeUnit.SECONDS), StandardCharsets.US_ASCII));
        // a request that cannot be sent fails the future at once
        CompletableFuture<byte[]> big = c.callAsync(new byte[MAX_REQUEST + 1], LONG);
        assertTrue(big.isCompletedExceptionally());
        assertThrows(ExecutionException.class, big::get);
        // the server drops it: DisconnectedException
        CompletableFuture<byte[]> dropped = c.callAsync(ascii("x"), LONG);
        s.serve(LONG).fail();
        e = assertThrows(ExecutionException.class, () -> dropped.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof DisconnectedException, e.toString());
    }

    /** Tokens name one request only: second replies, stale and forged tokens are NOT_FOUND. */
    @Test
    void tokens() {
        Region r = rpc(2);
        RpcClient c = keep(r.openRpcClient());
        RpcServer s = keep(r.openRpcServer());
        long t1 = c.request(ascii("a"));
        RpcRequest q = s.serve(LONG);
        assertEquals(t1, q.token());
        assertEquals("a", ascii(q.data()));
        assertTrue(q.data().isReadOnly());
        q.reply(ascii("A"));
        NotFoundException nf = assertThrows(NotFoundException.class, () -> q.reply(ascii("again")));
        assertEquals("INDEXBUS_NOT_FOUND", nf.statusName());
        assertEquals("A", ascii(c.awaitReply(t1, LONG)));
        c.replyDone(t1);
        long t2 = c.request(ascii("b")); // t1's cell recycled: a new generation
        assertEquals(t1 & 0xffffffffL, t2 & 0xffffffffL);
        assertNotEquals(t1 >>> 32, t2 >>> 32);
        RpcRequest q2 = s.serve(LONG);
        assertThrows(NotFoundException.class, () -> s.reply(t1, ascii("X")));
        assertThrows(NotFoundException.class, () -> s.replyBuffer(t1));
        assertThrows(NotFoundException.class, () -> c.awaitReply(t1, Duration.ZERO));
        assertThrows(NotFoundException.class, () -> c.cancel(t1));
        for (long forged : new long[] {((t2 >>> 32) + 7) << 32 | (t2 & 0xffffffffL), 1L << 32 | 9999, -1L}) {
            assertThrows(NotFoundException.class, () -> s.reply(forged, ascii("X")));
            assertThrows(NotFoundException.class, () -> s.replyCommit(forged, 0));
            assertThrows(NotFoundException.class, () -> s.fail(forged));
            assertThrows(NotFoundException.class, () -> c.awaitReply(forged, Duration.ZERO));
            assertThrows(NotFoundException.class, () -> c.replyDone(forged));
        }
        RpcClient c2 = keep(r.openRpcClient());
        RpcServer s2 = keep(r.openRpcServer());
        assertThrows(NotFoundException.class, () -> c2.awaitReply(t2, Duration.ZERO));
        assertThrows(NotFoundException.class, () -> s2.reply(t2, ascii("Y")));
        // the zero-copy reply, and its limits
        ByteBuffer rb = q2.replyBuffer();
        assertEquals(MAX_REPLY, rb.capacity());
        assertThrows(TooLargeException.class, () -> q2.commit(MAX_REPLY + 1));
        assertThrows(TooLargeException.class, () -> q2.reply(new byte[MAX_REPLY + 1]));
        rb.put(ascii("B"));
        q2.commit(1);
        assertEquals("B", ascii(c.awaitReply(t2, LONG)));
        c.replyDone(t2);
    }

    /** A timed-out wait leaves the request outstanding; call cancels it; cancel while served. */
    @Test
    void cancelAndTimeouts() {
        Region r = rpc(4);
        RpcClient c = keep(r.openRpcClient());
        RpcServer s = keep(r.openRpcServer());
        long t = c.request(ascii("a"));
        c.cancel(t);
        assertThrows(NotFoundException.class, () -> c.cancel(t));
        assertNull(s.tryServe());
        assertThrows(IndexBusTimeoutException.class, () -> s.serve(Duration.ofMillis(1)));
        long t2 = c.request(ascii("b"));
        RpcRequest q = s.serve(LONG);
        assertThrows(IndexBusTimeoutException.class, () -> c.awaitReply(t2, Duration.ofMillis(5)));
        c.cancel(t2);
        q.reply(ascii("B")); // dropped and counted
        long t3 = c.request(ascii("c"));
        assertThrows(IndexBusTimeoutException.class, () -> c.awaitReply(t3, Duration.ofMillis(2)));
        s.serve(LONG).reply(ascii("C"));
        assertEquals("C", ascii(c.awaitReply(t3, LONG)));
        c.replyDone(t3);
        assertThrows(IndexBusTimeoutException.class, () -> c.call(ascii("late"), Duration.ofMillis(5)));
        assertNull(s.tryServe()); // the call withdrew it
        RegionInfo i = r.info();
        assertEquals(1, i.rpcRepliesAbandoned());
        assertEquals(0, i.rpcRequestsFailed());
    }

    /** Seed 004, a value sent once never blocks the sender: the reply returns before the wait. */
    @Test
    void seedSendNeverBlocks() {
        Region r = rpc(1);
        RpcClient c = keep(r.openRpcClient());
        RpcServer s = keep(r.openRpcServer());
        long t = c.request(ascii("42?"));
        s.serve(LONG).reply(ascii("42")); // nobody waits yet
        assertEquals("42", ascii(c.awaitReply(t, Duration.ZERO)));
        c.replyDone(t);
    }

    /**
     * Seed 004, a sender dropped unsent makes the receive fail: a request the server drops
     * (fail), or holds while it closes, fails the client's wait with DisconnectedException;
     * the cell is recycled and a new server takes over.
     */
    @Test
    void seedDroppedSenderFailsTheReceive() throws Exception {
        Region r = rpc(1);
        RpcClient c = keep(r.openRpcClient());
        RpcServer s = r.openRpcServer();
        for (int round = 0; round < 3; round++) {
            long t = c.request(ascii("x"));
            RpcRequest q = s.serve(LONG);
            q.fail();
            assertThrows(NotFoundException.class, q::fail);
            assertThrows(NotFoundException.class, () -> q.reply(ascii("late")));
            DisconnectedException d = assertThrows(DisconnectedException.class, () -> c.awaitReply(t, LONG));
            assertEquals("INDEXBUS_DISCONNECTED", d.statusName());
            assertThrows(NotFoundException.class, () -> c.awaitReply(t, Duration.ZERO));
        }
        long t = c.request(ascii("held"));
        s.serve(LONG);
        CompletableFuture<byte[]> waiting = CompletableFuture.supplyAsync(() -> {
            ByteBuffer b = c.awaitReply(t, LONG);
            return new byte[b.remaining()];
        });
        Thread.sleep(5);
        s.close(); // drops the held request unsent
        ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(60, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof DisconnectedException, e.toString());
        assertEquals(4, r.info().rpcRequestsFailed());
        EchoServer server = echoServer(r);
        assertArrayEquals(echo(ascii("again")), c.call(ascii("again"), LONG));
        server.close();
    }

    /**
     * Seed 004, recycling is guaranteed once the previous value was read: one cell serves
     * round after round without FULL, and is not recycled while its reply is unread.
     */
    @Test
    void seedRecyclingOnceTheReplyWasRead() {
        Region r = rpc(1);
        RpcClient c = keep(r.openRpcClient());
        RpcServer s = keep(r.openRpcServer());
        long last = 0;
        for (int i = 0; i < 100; i++) {
            long t = c.request(new byte[] {(byte) i});
            assertEquals(0, t & 0xffffffffL);
            assertNotEquals(last >>> 32, t >>> 32);
            s.serve(LONG).reply(new byte[] {(byte) i, 'r'});
            assertThrows(FullException.class, () -> c.request(ascii("more"))); // the reply unread
            ByteBuffer b = c.awaitReply(t, LONG);
            assertEquals(2, b.remaining());
            assertEquals((byte) i, b.get(0));
            c.replyDone(t);
            last = t;
        }
        assertEquals(0, r.info().rpcCellsFree()); // the client keeps its cell
        c.close();
        assertEquals(1, r.info().rpcCellsFree());
    }

    /** Clients on threads, two servers as a work queue: every request answered once. */
    @Test
    void workQueue() throws Exception {
        Region r = rpc(8);
        EchoServer s1 = echoServer(r);
        EchoServer s2 = echoServer(r);
        final int clients = 4;
        final int calls = 200;
        List<CompletableFuture<Void>> done = new ArrayList<>();
        AtomicInteger ok = new AtomicInteger();
        for (int k = 0; k < clients; k++) {
            RpcClient c = keep(r.openRpcClient());
            int id = k;
            done.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < calls; i++) {
                    byte[] req = ascii("client " + id + " call " + i);
                    assertArrayEquals(echo(req), c.call(req, LONG));
                    ok.incrementAndGet();
                }
            }));
        }
        for (CompletableFuture<Void> f : done) {
            f.get(60, TimeUnit.SECONDS);
        }
        assertEquals(clients * calls, ok.get());
        assertEquals(clients * calls, s1.served() + s2.served());
    }

    /**
     * A server in another JVM: calls across processes; a server JVM that dies holding a
     * request gives the waiting client DisconnectedException, and the next request says no
     * server is left.
     */
    @Test
    void childServer() throws Exception {
        for (String mode : List.of("echo", "die")) {
            String name = regions.name("mp-rpc-" + mode);
            try (Region r = Region.create(name, RegionConfig.rpc(4, MAX_REQUEST, MAX_REPLY));
                 RpcClient c = r.openRpcClient()) {
                Process child = ChildJvm.start(ChildRpcServer.class, List.of(), name, mode);
                child.getOutputStream().close();
                if (mode.equals("echo")) {
                    for (int i = 0; i < 100; i++) {
                        byte[] req = LogTest.pattern(13, i, i % MAX_REQUEST);
                        assertArrayEquals(echo(req), c.call(req, LONG), "call " + i);
                    }
                    assertEquals("bye", new String(c.call(ascii("quit"), LONG), StandardCharsets.US_ASCII));
                    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
                    assertEquals(0, child.exitValue(),
                            new String(child.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
                } else {
                    assertThrows(DisconnectedException.class, () -> c.call(ascii("die"), LONG));
                    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
                    assertEquals(3, child.exitValue());
                    assertThrows(DisconnectedException.class, () -> c.request(ascii("anyone?")));
                }
            }
        }
    }
}
