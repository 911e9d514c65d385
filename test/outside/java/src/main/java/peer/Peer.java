package peer;

import io.indexbus.Consumer;
import io.indexbus.Producer;
import io.indexbus.ProducerType;
import io.indexbus.Region;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The outside-the-tree Java program: uses the io.indexbus:indexbus jar from a local
 * Maven repository, with no java.library.path and no LD_LIBRARY_PATH.
 *
 * <pre>
 *   Peer pub NAME MSG...   publish each MSG (SPSC producer)
 *   Peer sub NAME COUNT    receive COUNT messages (5 s each), one per line
 * </pre>
 */
public final class Peer {
    public static void main(String[] args) {
        if (args.length < 3 || !(args[0].equals("pub") || args[0].equals("sub"))) {
            System.err.println("usage: Peer pub NAME MSG... | Peer sub NAME COUNT");
            System.exit(2);
        }
        try (Region region = Region.open(args[1])) {
            if (args[0].equals("pub")) {
                try (Producer tx = region.openProducer(ProducerType.SPSC)) {
                    for (int i = 2; i < args.length; i++) {
                        tx.publish(args[i].getBytes(StandardCharsets.UTF_8));
                    }
                }
            } else {
                try (Consumer rx = region.openConsumer(0)) {
                    byte[] buf = new byte[4096];
                    for (int i = Integer.parseInt(args[2]); i > 0; i--) {
                        int n = rx.recv(buf, Duration.ofSeconds(5));
                        System.out.println(new String(buf, 0, n, StandardCharsets.UTF_8));
                    }
                }
            }
        }
    }
}
