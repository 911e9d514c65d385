package io.indexbus.peers;

import io.aeron.Aeron;
import io.aeron.ExclusivePublication;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.ThreadingMode;
import io.aeron.logbuffer.BufferClaim;
import io.aeron.logbuffer.FragmentHandler;
import java.nio.ByteBuffer;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * The Aeron IPC peer: {@code AeronPeer MODE ROLE NAME SIZE [SUBSCRIBERS]}, MODE lat | copy | zc
 * | bcast, ROLE a (pinger / publisher: runs the embedded media driver) | b (ponger /
 * subscriber). An exclusive publication and a subscription on {@code aeron:ipc}; copy offers
 * from a local buffer ({@code offer}) and the subscriber copies each fragment out; zc writes
 * the seq in place ({@code tryClaim} + commit) and the subscriber reads it in place; the
 * application's loops busy-spin (Thread.onSpinWait, Aeron's BusySpinIdleStrategy), except the
 * broadcast subscribers, which share a CPU and yield when idle. The media driver runs SHARED
 * (one conductor/sender/receiver thread) with its default backoff idle strategy, in role a's
 * process, default term lengths. Every message carries its seq in its first 8 bytes, checked
 * by the receiver (from the first it sees) and by the pinger.
 */
public final class AeronPeer {
    private static final String CHANNEL = "aeron:ipc";
    private static final int STREAM = 1001;
    private static final int PONG_STREAM = 1002;
    private static final long STOP = -1L;

    private final Aeron aeron;
    private final int size;
    private final UnsafeBuffer local;
    private final BufferClaim claim = new BufferClaim();
    private long expect = -2; // -2: nothing seen yet
    private long got;
    private final byte[] copy;

    private AeronPeer(Aeron aeron, int size) {
        this.aeron = aeron;
        this.size = size;
        this.local = new UnsafeBuffer(ByteBuffer.allocateDirect(size));
        this.copy = new byte[size];
        for (int i = 0; i < size; i++) {
            local.putByte(i, (byte) 0x5a);
        }
    }

    public static void main(String[] a) {
        if (a.length < 4) {
            System.err.println("usage: AeronPeer lat|copy|zc|bcast a|b NAME SIZE [SUBSCRIBERS]");
            System.exit(2);
        }
        String mode = a[0];
        boolean roleA = a[1].equals("a");
        // the harness removes this directory after the run, whatever became of us (peers.c)
        String dir = "/dev/shm/aeron-ibbench-" + a[2].replace("/", "");
        int size = Integer.parseInt(a[3]);
        MediaDriver driver = null;
        if (roleA) {
            driver = MediaDriver.launch(new MediaDriver.Context()
                    .aeronDirectoryName(dir)
                    .threadingMode(ThreadingMode.SHARED)
                    .sharedIdleStrategy(new BackoffIdleStrategy())
                    .dirDeleteOnStart(true)
                    .dirDeleteOnShutdown(true));
        }
        try (Aeron aeron = Aeron.connect(new Aeron.Context().aeronDirectoryName(dir))) {
            AeronPeer p = new AeronPeer(aeron, size);
            switch (mode + "/" + (roleA ? "a" : "b")) {
                case "lat/a" -> p.pinger();
                case "lat/b" -> p.ponger();
                case "copy/a", "bcast/a" -> p.producer(false);
                case "zc/a" -> p.producer(true);
                case "copy/b", "bcast/b" -> p.consumer(false, mode.equals("bcast"));
                case "zc/b" -> p.consumer(true, false);
                default -> throw Peer.fail("unknown mode/role " + a[0] + " " + a[1]);
            }
        } finally {
            if (driver != null) {
                driver.close();
            }
        }
        System.out.flush();
    }

    private void awaitConnected(Publication pub) {
        long t0 = System.nanoTime();
        while (!pub.isConnected()) {
            if (System.nanoTime() - t0 > 10_000_000_000L) {
                throw Peer.fail("publication not connected after 10 s");
            }
            Thread.onSpinWait();
        }
    }

    /** Publishes one message, spinning while back-pressured, until the deadline. */
    private boolean send(ExclusivePublication pub, long seq, boolean zc, long deadline) {
        for (int spins = 0; ; spins++) {
            long r;
            if (zc) {
                r = pub.tryClaim(size, claim);
                if (r > 0) {
                    claim.buffer().putLong(claim.offset(), seq);
                    claim.commit();
                    return true;
                }
            } else {
                local.putLong(0, seq);
                r = pub.offer(local, 0, size);
                if (r > 0) {
                    return true;
                }
            }
            if (r == Publication.CLOSED || r == Publication.MAX_POSITION_EXCEEDED) {
                throw Peer.fail("offer: " + r);
            }
            if ((spins & 1023) == 1023 && System.nanoTime() > deadline) {
                return false;
            }
            Thread.onSpinWait();
        }
    }

    private long seqOf(org.agrona.DirectBuffer b, int off, int len, boolean zc) {
        if (len != size) {
            throw Peer.fail("received " + len + " bytes, expected " + size);
        }
        if (zc) {
            return b.getLong(off);
        }
        b.getBytes(off, copy, 0, len);
        return ((long) copy[0] & 0xff) | ((long) copy[1] & 0xff) << 8 | ((long) copy[2] & 0xff) << 16
                | ((long) copy[3] & 0xff) << 24 | ((long) copy[4] & 0xff) << 32
                | ((long) copy[5] & 0xff) << 40 | ((long) copy[6] & 0xff) << 48
                | ((long) copy[7] & 0xff) << 56;
    }

    private long lost;

    /** A seq below the expected one (a duplicate or reordering) fails; a gap is counted lost. */
    private void check(long s) {
        if (expect != -2 && s != expect) {
            if (s < expect) {
                throw Peer.fail("seq " + s + ", expected " + expect);
            }
            lost += s - expect;
        }
        expect = s + 1;
        got++;
    }

    private void producer(boolean zc) {
        try (ExclusivePublication pub = aeron.addExclusivePublication(CHANNEL, STREAM)) {
            awaitConnected(pub);
            Peer t = Peer.readyThenTimes();
            long seq = 0;
            while (System.nanoTime() < t.end) {
                for (int i = 0; i < 64 && send(pub, seq, zc, t.end); i++) {
                    seq++;
                }
            }
            System.out.println("ok " + seq);
            System.out.flush();
            // The media driver lives in this process: keep it until the subscribers have
            // drained (they stop at END + 300 ms).
            while (System.nanoTime() < t.end + 600_000_000L) {
                Thread.yield();
            }
        }
    }

    private void consumer(boolean zc, boolean yieldIdle) {
        try (Subscription sub = aeron.addSubscription(CHANNEL, STREAM)) {
            Peer t = Peer.readyThenTimes();
            FragmentHandler h = (b, off, len, hdr) -> check(seqOf(b, off, len, zc));
            long c0 = -1, c1 = -1;
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
                if (sub.poll(h, 256) == 0) {
                    if (yieldIdle) {
                        Thread.yield();
                    } else {
                        Thread.onSpinWait();
                    }
                }
            }
            t.printRate((c1 < 0 ? got : c1) - Math.max(c0, 0), got, lost);
        }
    }

    private void pinger() {
        try (ExclusivePublication ping = aeron.addExclusivePublication(CHANNEL, STREAM);
                Subscription pong = aeron.addSubscription(CHANNEL, PONG_STREAM)) {
            awaitConnected(ping);
            while (!pong.isConnected()) {
                Thread.onSpinWait();
            }
            Peer t = Peer.readyThenTimes();
            long[] rtt = new long[1 << 22];
            int n = 0;
            final long[] last = {-2};
            FragmentHandler h = (b, off, len, hdr) -> last[0] = seqOf(b, off, len, false);
            for (long seq = 0; ; seq++) {
                long t0 = System.nanoTime();
                if (t0 >= t.end) {
                    break;
                }
                send(ping, seq, false, Long.MAX_VALUE);
                last[0] = -2;
                while (pong.poll(h, 1) == 0) {
                    if (System.nanoTime() > t.end + 2_000_000_000L) {
                        throw Peer.fail("no pong for seq " + seq);
                    }
                    Thread.onSpinWait();
                }
                long t1 = System.nanoTime();
                if (last[0] != seq) {
                    throw Peer.fail("pong seq " + last[0] + ", expected " + seq);
                }
                if (t0 >= t.ms && t0 < t.me && n < rtt.length) {
                    rtt[n++] = t1 - t0;
                }
            }
            send(ping, STOP, false, System.nanoTime() + 1_000_000_000L);
            Peer.printLatency(rtt, n);
        }
    }

    private void ponger() {
        try (Subscription ping = aeron.addSubscription(CHANNEL, STREAM);
                ExclusivePublication pong = aeron.addExclusivePublication(CHANNEL, PONG_STREAM)) {
            awaitConnected(pong);
            Peer t = Peer.readyThenTimes();
            final long[] last = {-2};
            FragmentHandler h = (b, off, len, hdr) -> last[0] = seqOf(b, off, len, false);
            long expectPing = 0;
            for (;;) {
                if (ping.poll(h, 1) == 0) {
                    if (System.nanoTime() > t.end + 2_000_000_000L) {
                        break;
                    }
                    Thread.onSpinWait();
                    continue;
                }
                if (last[0] == STOP) {
                    break;
                }
                if (last[0] != expectPing) {
                    throw Peer.fail("ping seq " + last[0] + ", expected " + expectPing);
                }
                send(pong, last[0], false, Long.MAX_VALUE);
                expectPing++;
            }
            System.out.println("ok " + expectPing);
        }
    }
}
