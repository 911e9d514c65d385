package io.indexbus;

import java.nio.ByteBuffer;
import java.nio.IntBuffer;
import java.time.Duration;

/**
 * Child process for {@link JniCheckTest}: drives every JNI entry point that takes a payload,
 * an out-parameter or a struct, including the paths where the wrapper throws, so that a JVM
 * run with {@code -Xcheck:jni} can report any misuse of JNI by the generated code.
 *
 * <p>Usage: {@code JniWorkout <events region> <fanout region> <byte-log region> <stream region>
 * <rpc region>}
 */
public final class JniWorkout {
    private JniWorkout() {
    }

    public static void main(String[] args) {
        events(args[0]);
        fanout(args[1]);
        log(args[2]);
        stream(args[3]);
        rpc(args[4]);
        System.out.println("workout done");
    }

    private static void events(String name) {
        RegionConfig cfg = RegionConfig.builder(RegionKind.EVENTS).slotCount(8).slotDataSize(64).build();
        try (Region r = Region.create(name, cfg);
             Producer p = r.openProducer(ProducerType.SPSC);
             Consumer c = r.openConsumer()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            byte[] arr = new byte[64];
            int[] lens = new int[8];
            IntBuffer ilens = Batches.lengths(8);
            for (int round = 0; round < 50; round++) {
                p.publish(new byte[] {1, 2, 3});
                p.publish(arr, 1, 5);
                direct.clear().limit(7);
                p.publish(direct);
                p.publish(ByteBuffer.allocate(4).asReadOnlyBuffer());
                c.tryRecv(arr);
                c.tryRecv(arr, 2, 10);
                direct.clear();
                c.tryRecv(direct);
                direct.clear();
                c.recv(direct, Duration.ofSeconds(1));
                c.tryRecv(arr); // EMPTY
                p.publishBatch(new byte[] {1, 2, 3, 4}, new int[] {1, 3});
                direct.clear().limit(6);
                p.publishBatch(direct, new int[] {2, 2, 2});
                c.recvBatch(arr, lens);
                direct.clear();
                c.recvBatch(direct, lens);
                direct.clear().limit(6);
                ilens.clear().put(2).put(2).put(2).flip();
                p.publishBatch(direct, ilens);
                direct.clear();
                c.recvBatch(direct, ilens.clear());
                p.publishBatch(ByteBuffer.wrap(arr, 0, 3), IntBuffer.wrap(new int[] {1, 2}));
                c.recvBatch(ByteBuffer.wrap(arr), IntBuffer.allocate(4));
                p.claim().put((byte) 1);
                p.commit();
                p.claim();
                p.abort();
                c.recvBegin();
                c.recvEnd();
                c.recvBegin(); // EMPTY
                c.await(Duration.ZERO);
                r.info();
                r.consumerStats(0);
            }
            p.publish(new byte[20]);
            expect(() -> c.tryRecv(new byte[2]));                  // BUFFER_TOO_SMALL
            expect(() -> c.recvBatch(new byte[2], new int[2]));    // BUFFER_TOO_SMALL
            expect(() -> c.recvBatch(ByteBuffer.allocateDirect(2), Batches.lengths(2)));
            expect(() -> p.publishBatch(ByteBuffer.allocateDirect(1), Batches.lengths(1).put(0, 2)));
            expect(() -> c.recv(ByteBuffer.allocateDirect(2), Duration.ZERO));
            c.tryRecv(arr);
            expect(() -> p.publish((byte[]) null));                 // NPE thrown by the wrapper
            expect(() -> c.tryRecv((byte[]) null));
            expect(() -> p.publish(new byte[65]));                  // TOO_LARGE
            expect(() -> c.recv(direct, Duration.ofMillis(1)));     // TIMEOUT
            expect(() -> Region.open(name + "-missing"));           // NOT_FOUND
        } finally {
            Region.unlink(name);
        }
    }

    private static void fanout(String name) {
        try (Region r = Region.create(name, RegionConfig.fanout(2));
             Producer p = r.openProducer(ProducerType.MPSC);
             Router router = r.openRouter();
             Consumer c0 = r.openConsumer(0);
             Consumer c1 = r.openConsumer(1)) {
            byte[] buf = new byte[256];
            for (int i = 0; i < 50; i++) {
                p.publish(new byte[] {(byte) i});
                p.publish(new byte[] {(byte) i});
                p.publish(new byte[] {(byte) i});
                router.routeOnce();
                router.routeOnceStats(RouteSource.ANY, RouteMode.WORK_QUEUE);
                router.routeOnceCredit(RouteSource.MPSC, RouteMode.BROADCAST, -1L, 0, 0);
                c0.tryRecv(buf);
                c0.tryRecv(buf);
                c1.tryRecv(buf);
                c1.tryRecv(buf);
            }
            router.stop();
            router.run(RouterLoopConfig.defaults());
        } finally {
            Region.unlink(name);
        }
    }

    /** The 1.1 calls: claims of exactly len bytes, the batch claim, blocking producers. */
    private static void log(String name) {
        try (Region r = Region.create(name, RegionConfig.log(64 << 10));
             Producer p = r.openProducer(ProducerType.MPSC);
             Consumer c = r.openConsumer()) {
            byte[] arr = new byte[2048];
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            int[] lens = new int[8];
            int[] many = new int[300];
            java.util.Arrays.fill(many, 1);
            for (int round = 0; round < 50; round++) {
                try (Claim claim = p.claim(5)) {
                    claim.buffer().put(new byte[] {1, 2, 3, 4, 5});
                    claim.commit();
                }
                p.claim(3).close();
                try (Claim claim = p.claimWait(7, Duration.ofSeconds(1))) {
                    claim.commit(2);
                }
                try (BatchClaim b = p.claimBatch(0, 1, 9)) {
                    b.buffer(2).put((byte) 1);
                    b.commit(2);
                }
                p.claimBatch(many).close();
                p.publishWait(new byte[] {1, 2, 3}, Duration.ofSeconds(1));
                p.publishWait(arr, 1, 40, Duration.ofSeconds(1));
                direct.clear().limit(9);
                p.publishWait(direct, Duration.ofSeconds(1));
                p.publishWait(ByteBuffer.allocate(4).asReadOnlyBuffer(), Duration.ofSeconds(1));
                p.space();
                c.recvBatch(arr, lens);
                while (c.tryRecv(arr) >= 0) {
                    continue;
                }
                r.info();
            }
            // a full ring: publishWait copies to its direct buffer and waits (in vain)
            while (p.offer(new byte[100])) {
                continue;
            }
            expect(() -> p.publishWait(new byte[100], Duration.ofMillis(1)));   // TIMEOUT
            expect(() -> p.claimWait(100, Duration.ofMillis(1)));                // TIMEOUT
            expect(() -> p.claimBatch(100, 100));                                // FULL
            expect(() -> p.claim(40000));                                        // TOO_LARGE
            expect(() -> p.claimBatch(new int[0]));                              // no lengths
        } finally {
            Region.unlink(name);
        }
    }

    private static void stream(String name) {
        try (Region r = Region.create(name, RegionConfig.stream(4096));
             StreamWriter w = r.openStreamWriter();
             StreamReader rd = r.openStreamReader()) {
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            byte[] arr = new byte[3000];
            for (int round = 0; round < 50; round++) {
                w.write(new byte[] {1, 2, 3});
                w.write(arr, 1, 40, Duration.ofSeconds(1));
                w.tryWrite(arr, 0, 10);
                w.tryWrite(ByteBuffer.wrap(arr, 0, 5));
                direct.clear().limit(9);
                w.tryWrite(direct);
                direct.clear().limit(7);
                w.write(direct, Duration.ofSeconds(1));
                w.write(ByteBuffer.allocate(4).asReadOnlyBuffer(), Duration.ofSeconds(1));
                rd.tryRead(arr, 0, 20);
                rd.read(arr, 5, 10, Duration.ofSeconds(1));
                direct.clear().limit(16);
                rd.read(direct, Duration.ofSeconds(1));
                rd.read(ByteBuffer.wrap(arr, 0, 8), Duration.ofSeconds(1)); // 54 of the 74 bytes
                while (rd.tryRead(arr) > 0) {
                    continue;
                }
                r.streamState();
                r.info();
            }
            // a full stream: the write copies to its direct buffer and waits (in vain); the
            // read waits on its direct buffer (in vain)
            while (w.tryWrite(arr, 0, 100) > 0) {
                continue;
            }
            expect(() -> w.write(arr, 0, 100, Duration.ofMillis(1)));         // TIMEOUT
            expect(() -> w.write(arr, 0, 3000, Duration.ofMillis(1)));        // TIMEOUT, chunks
            while (rd.tryRead(arr) > 0) {
                continue;
            }
            expect(() -> rd.read(arr, 0, 10, Duration.ofMillis(1)));          // TIMEOUT
            expect(() -> w.tryWrite(arr, 0, -1));                             // range
            expect(() -> rd.tryRead(arr, 10, arr.length));                    // range
        } finally {
            Region.unlink(name);
        }
    }

    private static void rpc(String name) {
        try (Region r = Region.create(name, RegionConfig.rpc(6, 64, 64));
             RpcClient c = r.openRpcClient();
             RpcServer s = r.openRpcServer()) {
            byte[] arr = new byte[64];
            ByteBuffer direct = ByteBuffer.allocateDirect(64);
            for (int round = 0; round < 50; round++) {
                long t1 = c.request(new byte[] {1, 2, 3});
                long t2 = c.request(arr, 2, 10);
                direct.clear().limit(5);
                long t3 = c.request(direct);
                ByteBuffer claim = c.claim(8);
                claim.put(0, (byte) 1);
                long t4 = c.send(8);
                c.claim(3);
                c.abort();
                RpcRequest q1 = s.serve(Duration.ofSeconds(1));
                RpcRequest q2 = s.serve(Duration.ofSeconds(1));
                RpcRequest q3 = s.serve(Duration.ofSeconds(1));
                RpcRequest q4 = s.tryServe();
                q1.reply(q1.bytes());
                q2.reply(ByteBuffer.wrap(arr, 0, 7));
                direct.clear().limit(6);
                q3.reply(direct);
                q4.replyBuffer().put(0, (byte) 9);
                q4.commit(1);
                for (long t : new long[] {t1, t2, t3, t4}) {
                    c.awaitReply(t, Duration.ofSeconds(1));
                    c.replyDone(t);
                }
                long t5 = c.request(arr);
                s.serve(Duration.ofSeconds(1)).fail();
                expect(() -> c.awaitReply(t5, Duration.ofSeconds(1)));        // DISCONNECTED
                java.util.concurrent.CompletableFuture<byte[]> f = c.callAsync(arr, Duration.ofSeconds(1));
                s.serve(Duration.ofSeconds(1)).reply(arr);
                f.join();
                r.info();
            }
            long t6 = c.request(ByteBuffer.wrap(arr, 0, 4).asReadOnlyBuffer());
            s.serve(Duration.ofSeconds(1)).reply(ByteBuffer.allocate(3).asReadOnlyBuffer());
            c.awaitReply(t6, Duration.ofSeconds(1));
            c.replyDone(t6);
            expect(() -> c.request(new byte[65]));                            // TOO_LARGE
            expect(() -> c.request(arr, 60, 10));                             // range
            expect(() -> s.reply(12345L, arr));                               // NOT_FOUND
            expect(() -> s.replyBuffer(12345L));                              // NOT_FOUND
            expect(() -> c.awaitReply(12345L, Duration.ZERO));                // NOT_FOUND
            expect(() -> c.call(arr, Duration.ofMillis(1)));                  // TIMEOUT
            expect(() -> s.serve(Duration.ofMillis(1)));                      // TIMEOUT
        } finally {
            Region.unlink(name);
        }
    }

    private static void expect(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException expected) {
            return;
        }
        throw new AssertionError("expected an exception");
    }
}
