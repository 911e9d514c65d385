package io.indexbus.demo;

import io.indexbus.Consumer;
import io.indexbus.DisconnectedException;
import io.indexbus.IndexBusException;
import io.indexbus.IndexBusTimeoutException;
import io.indexbus.Region;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.Locale;

/**
 * The Java consumer of {@code make demo} ({@code tools/demo.sh}): a small user of the
 * {@code io.indexbus} API.
 *
 * <pre>java -cp indexbus-VERSION.jar io.indexbus.demo.DemoSub NAME INDEX [EXPECTED]</pre>
 *
 * <p>Opens region {@code NAME}, attaches consumer {@code INDEX} and receives until every
 * producer is gone and everything is drained ({@link DisconnectedException}), checking that
 * the 8-byte little-endian sequence numbers at the start of each message are 0, 1, 2, ...
 * Then prints one summary line on stdout, in the format of {@code indexbus sub --check-seq}
 * with the language in front (the time is from the first to the last message):
 *
 * <pre>java consumer 2: 100000 messages, 6400000 bytes in 0.081 s (1.23M msg/s); seq order ok, 0 gaps</pre>
 *
 * <p>Exits 1 if a message was missing, out of order or shorter than 8 bytes, if
 * {@code EXPECTED} was given and a different number arrived, or on any error; 2 on a usage
 * error.
 */
public final class DemoSub {
    private static final String USAGE =
            "usage: java -cp indexbus-VERSION.jar io.indexbus.demo.DemoSub NAME INDEX [EXPECTED]";
    /** Each blocking receive waits at most this long, then simply waits again. */
    private static final Duration WAIT = Duration.ofSeconds(1);

    private DemoSub() {
    }

    /**
     * Follows the sequence numbers the way {@code indexbus sub --check-seq} does: numbers
     * skipped relative to 0, 1, 2, ... are gaps, a number not above the highest seen so far
     * is out of order.
     */
    private static final class SeqCheck {
        long expect;
        long gaps;
        long missing;
        long outOfOrder;
        long tooShort;

        void observe(ByteBuffer msg, int len) {
            if (len < 8) {
                tooShort++;
                return;
            }
            long seq = msg.getLong(0);
            if (Long.compareUnsigned(seq, expect) < 0) {
                outOfOrder++;
                return;
            }
            if (seq != expect) {
                gaps++;
                missing += seq - expect;
            }
            expect = seq + 1;
        }

        boolean ok() {
            return gaps == 0 && outOfOrder == 0 && tooShort == 0;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder("seq ");
            sb.append(outOfOrder != 0 ? outOfOrder + " out of order" : "order ok");
            sb.append(", ").append(gaps).append(" gaps");
            if (gaps != 0) {
                sb.append(" (").append(missing).append(" missing)");
            }
            if (tooShort != 0) {
                sb.append(", ").append(tooShort).append(" shorter than 8 bytes");
            }
            return sb.toString();
        }
    }

    /** {@code n} per {@code secs} like the CLI: "812.3k", "1.25M", "n/a". */
    static String rate(long n, double secs) {
        if (secs <= 0) {
            return "n/a";
        }
        double r = n / secs;
        if (r >= 1e6) {
            return String.format(Locale.ROOT, "%.2fM", r / 1e6);
        }
        if (r >= 1e3) {
            return String.format(Locale.ROOT, "%.1fk", r / 1e3);
        }
        return String.format(Locale.ROOT, "%.1f", r);
    }

    public static void main(String[] args) {
        System.exit(run(args));
    }

    static int run(String[] args) {
        if (args.length < 2 || args.length > 3) {
            System.err.println(USAGE);
            return 2;
        }
        String name = args[0];
        int index;
        long expected = -1;
        try {
            index = Integer.parseInt(args[1]);
            if (args.length == 3) {
                expected = Long.parseLong(args[2]);
            }
        } catch (NumberFormatException e) {
            System.err.println("DemoSub: bad number: " + e.getMessage() + "\n" + USAGE);
            return 2;
        }
        if (index < 0 || args.length == 3 && expected < 0) {
            System.err.println("DemoSub: negative number\n" + USAGE);
            return 2;
        }
        String who = "java consumer " + index;

        long msgs = 0;
        long bytes = 0;
        long first = 0;
        long last = 0;
        SeqCheck seq = new SeqCheck();
        String error = null;
        Region region;
        Consumer consumer;
        try {
            region = Region.open(name);
        } catch (IndexBusException e) {
            System.err.println(who + ": " + e.getMessage());
            return 1;
        }
        try (region) {
            try {
                consumer = region.openConsumer(index);
            } catch (IndexBusException e) {
                System.err.println(who + ": " + e.getMessage());
                return 1;
            }
            try (consumer) {
                byte[] buf = new byte[region.info().slotDataSize()];
                ByteBuffer view = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
                for (;;) {
                    int n;
                    try {
                        n = consumer.recv(buf, WAIT);
                    } catch (IndexBusTimeoutException e) {
                        continue; // nothing yet: keep waiting
                    } catch (DisconnectedException e) {
                        break; // producers gone, everything received
                    }
                    last = System.nanoTime();
                    if (msgs++ == 0) {
                        first = last;
                    }
                    bytes += n;
                    seq.observe(view, n);
                }
            } catch (IndexBusException e) {
                error = e.getMessage();
            }
        }

        double secs = (last - first) / 1e9;
        System.out.printf(Locale.ROOT, "%s: %d message%s, %d bytes in %.3f s (%s msg/s); %s%n",
                who, msgs, msgs == 1 ? "" : "s", bytes, secs, rate(msgs, secs), seq);
        System.out.flush();
        if (error != null) {
            System.err.println(who + ": " + error);
            return 1;
        }
        if (!seq.ok()) {
            System.err.println(who + ": sequence check failed");
            return 1;
        }
        if (expected >= 0 && msgs != expected) {
            System.err.println(who + ": got " + msgs + " of " + expected + " messages");
            return 1;
        }
        return 0;
    }
}
