package io.indexbus.peers;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * The protocol every peer program of {@code make bench} follows (tools/bench/peers.c): set up,
 * print {@code ready}, read {@code MEASURE_START MEASURE_END END} (CLOCK_MONOTONIC ns, which is
 * what {@link System#nanoTime()} reads on Linux) from stdin, run, print one {@code ok ...} line
 * ({@code err WHAT} and exit 1 on failure).
 */
final class Peer {
    long ms;
    long me;
    long end;

    private Peer() {}

    static Peer readyThenTimes() {
        System.out.println("ready");
        System.out.flush();
        String line;
        try {
            line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))
                    .readLine();
        } catch (IOException e) {
            throw fail("stdin: " + e);
        }
        String[] f = line == null ? new String[0] : line.trim().split("\\s+");
        if (f.length != 3) {
            throw fail("bad times line '" + line + "'");
        }
        Peer p = new Peer();
        p.ms = Long.parseLong(f[0]);
        p.me = Long.parseLong(f[1]);
        p.end = Long.parseLong(f[2]);
        return p;
    }

    static RuntimeException fail(String what) {
        System.out.println("err " + what);
        System.out.flush();
        System.exit(1);
        return new IllegalStateException(what);
    }

    /** The consumer's line: messages per second inside the window, all received, and lost. */
    void printRate(long inWindow, long got, long lost) {
        double rate = inWindow / ((me - ms) / 1e9);
        System.out.printf(Locale.ROOT, "ok %.0f %d %d%n", rate, got, lost);
    }

    /** The pinger's line from round trips in ns: one-way p50 and mean, and the count. */
    static void printLatency(long[] rtt, int n) {
        if (n == 0) {
            throw fail("no round trip in the window");
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            sum += rtt[i];
        }
        Arrays.sort(rtt, 0, n);
        System.out.printf(Locale.ROOT, "ok %.1f %.1f %d%n", rtt[n / 2] / 2.0, sum / n / 2.0, n);
    }
}
