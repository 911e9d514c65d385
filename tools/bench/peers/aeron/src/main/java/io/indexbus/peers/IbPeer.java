package io.indexbus.peers;

import io.indexbus.Claim;
import io.indexbus.Batches;
import io.indexbus.Consumer;
import io.indexbus.DisconnectedException;
import io.indexbus.FullException;
import io.indexbus.Producer;
import io.indexbus.ProducerType;
import io.indexbus.Region;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;

/**
 * Our Java binding in the same two-process shape as {@link AeronPeer}, for the Java-to-Java
 * comparison: {@code IbPeer MODE ROLE REGION SIZE}, MODE copy | zc, ROLE a (the SPSC producer)
 * | b (consumer 0); the events region is made by the harness (tools/bench/peers.c). copy:
 * {@link Producer#offer(ByteBuffer)} from a direct buffer, one message per call as Aeron's
 * offer, and {@link Consumer#recvBatch(ByteBuffer, java.nio.IntBuffer)} of up to 256 into one,
 * as the Aeron subscriber polls up to 256 fragments per call; zc: {@link Producer#claim(int)} (a full region throws FullException: caught, and
 * tried again), the seq written in place, commit; the consumer
 * reads it in place ({@link Consumer#recvBegin()}, recvEnd). Loops busy-spin. Every message
 * carries its seq in its first 8 bytes, checked by the consumer.
 */
public final class IbPeer {
    private IbPeer() {}

    public static void main(String[] a) {
        if (a.length < 4) {
            System.err.println("usage: IbPeer copy|zc a|b REGION SIZE");
            System.exit(2);
        }
        boolean zc = a[0].equals("zc");
        int size = Integer.parseInt(a[3]);
        try (Region region = Region.open(a[2])) {
            if (a[1].equals("a")) {
                try (Producer tx = region.openProducer(ProducerType.SPSC)) {
                    producer(tx, size, zc);
                }
            } else {
                try (Consumer rx = region.openConsumer(0)) {
                    consumer(rx, size, zc);
                }
            }
        }
        System.out.flush();
    }

    /**
     * One zero-copy message, or false if the region is full. Not {@link Producer#space()}
     * first: on an events region it walks the slot pool's free list (16-50 us a call here),
     * so a FullException (a throw per full poll) is the cheaper way to learn there is no room.
     */
    private static boolean claimed(Producer tx, int size, long seq) {
        Claim c;
        try {
            c = tx.claim(size);
        } catch (FullException e) {
            return false;
        }
        c.buffer().order(ByteOrder.LITTLE_ENDIAN).putLong(0, seq);
        try {
            c.commit();
        } catch (FullException e) {
            c.abort(); // a slot but no queue room: give the slot back, try again later
            return false;
        }
        return true;
    }

    private static void producer(Producer tx, int size, boolean zc) {
        ByteBuffer local = ByteBuffer.allocateDirect(size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < size; i++) {
            local.put(i, (byte) 0x5a);
        }
        Peer t = Peer.readyThenTimes();
        long seq = 0;
        outer:
        while (System.nanoTime() < t.end) {
            for (int i = 0; i < 64; i++) {
                for (int spins = 0; ; spins++) {
                    if (zc) {
                        if (claimed(tx, size, seq)) {
                            break;
                        }
                    } else {
                        local.clear();
                        local.putLong(0, seq);
                        if (tx.offer(local)) {
                            break;
                        }
                    }
                    if ((spins & 1023) == 1023 && System.nanoTime() > t.end) {
                        break outer;
                    }
                    Thread.onSpinWait();
                }
                seq++;
            }
        }
        System.out.println("ok " + seq);
    }

    private static final long EMPTY = -1;
    private static final long GONE = -2;

    /** The next message's seq (copied out, or read in place), EMPTY, or GONE. */
    private static long recvSeq(Consumer rx, ByteBuffer dst, boolean zc, int size) {
        long s;
        int n;
        try {
            if (zc) {
                ByteBuffer b = rx.recvBegin();
                if (b == null) {
                    return EMPTY;
                }
                n = b.remaining();
                s = b.order(ByteOrder.LITTLE_ENDIAN).getLong(0);
                rx.recvEnd();
            } else {
                dst.clear();
                n = rx.tryRecv(dst);
                if (n < 0) {
                    return EMPTY;
                }
                s = dst.getLong(0);
            }
        } catch (DisconnectedException e) {
            return GONE;
        }
        if (n != size || s < 0) {
            throw Peer.fail("received " + n + " bytes (seq " + s + "), expected " + size);
        }
        return s;
    }

    /** Up to this many messages per receive call in copy mode, as Aeron's poll takes 256. */
    private static final int POLL = 256;

    /**
     * copy mode: one recvBatch call takes up to POLL waiting messages, as the Aeron
     * subscriber's {@code poll(handler, 256)} does; the seq of each is checked.
     */
    private static void batchConsumer(Consumer rx, int size) {
        ByteBuffer dst = ByteBuffer.allocateDirect(POLL * size).order(ByteOrder.LITTLE_ENDIAN);
        IntBuffer lens = Batches.lengths(POLL);
        Peer t = Peer.readyThenTimes();
        long expect = -1, got = 0, lost = 0, c0 = -1, c1 = -1;
        for (;;) {
            long now = System.nanoTime();
            if (c0 < 0 && now >= t.ms) {
                c0 = got;
            }
            if (c1 < 0 && now >= t.me) {
                c1 = got;
            }
            if (now > t.end + 300_000_000L) {
                break;
            }
            dst.clear();
            lens.clear();
            int n;
            try {
                n = rx.recvBatch(dst, lens);
            } catch (DisconnectedException e) {
                break; // the producer has closed (at END) and everything is in
            }
            if (n == 0) {
                Thread.onSpinWait();
                continue;
            }
            for (int i = 0; i < n; i++) {
                long s = dst.getLong(i * size);
                if (lens.get(i) != size || s < 0) {
                    throw Peer.fail("received " + lens.get(i) + " bytes (seq " + s + "), expected " + size);
                }
                if (expect >= 0 && s != expect) {
                    if (s < expect) {
                        throw Peer.fail("seq " + s + ", expected " + expect);
                    }
                    lost += s - expect;
                }
                expect = s + 1;
            }
            got += n;
        }
        t.printRate((c1 < 0 ? got : c1) - Math.max(c0, 0), got, lost);
    }

    private static void consumer(Consumer rx, int size, boolean zc) {
        if (!zc) {
            batchConsumer(rx, size);
            return;
        }
        ByteBuffer dst = ByteBuffer.allocateDirect(Math.max(size, 64)).order(ByteOrder.LITTLE_ENDIAN);
        Peer t = Peer.readyThenTimes();
        long expect = -1, got = 0, lost = 0, c0 = -1, c1 = -1;
        for (;;) {
            long now = System.nanoTime();
            if (c0 < 0 && now >= t.ms) {
                c0 = got;
            }
            if (c1 < 0 && now >= t.me) {
                c1 = got;
            }
            if (now > t.end + 300_000_000L) {
                break;
            }
            long s = recvSeq(rx, dst, zc, size);
            if (s == EMPTY) {
                Thread.onSpinWait();
                continue;
            }
            if (s == GONE) {
                break; // the producer has closed (at END) and everything is in
            }
            if (expect >= 0 && s != expect) {
                if (s < expect) {
                    throw Peer.fail("seq " + s + ", expected " + expect);
                }
                lost += s - expect;
            }
            expect = s + 1;
            got++;
        }
        t.printRate((c1 < 0 ? got : c1) - Math.max(c0, 0), got, lost);
    }
}
