package peer;

import io.indexbus.Consumer;
import io.indexbus.Producer;
import io.indexbus.ProducerType;
import io.indexbus.Region;
import io.indexbus.RpcClient;
import io.indexbus.RpcRequest;
import io.indexbus.RpcServer;
import io.indexbus.StreamReader;
import io.indexbus.StreamState;
import io.indexbus.StreamWriter;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The outside-the-tree Java program: uses the io.indexbus:indexbus jar from a local
 * Maven repository, with no java.library.path and no LD_LIBRARY_PATH.
 *
 * <pre>
 *   Peer pub NAME MSG...    publish each MSG (SPSC producer)
 *   Peer sub NAME COUNT     receive COUNT messages (5 s each), one per line
 *   Peer write NAME         copy stdin into byte stream NAME (InputStream.transferTo into
 *                           the writer's OutputStream view), then close it
 *   Peer read NAME          copy byte stream NAME to stdout through the reader's
 *                           InputStream view, up to -1, then check that it ended cleanly
 *   Peer call NAME MSG...   request each MSG from the servers of NAME (the first one
 *                           zero-copy: a claim, a borrowed reply; the others through
 *                           callAsync futures), print each reply
 *   Peer serve NAME COUNT   serve COUNT requests of NAME, replying "peer:" + the request,
 *                           written in place
 * </pre>
 */
public final class Peer {
    private static final Duration PATIENCE = Duration.ofSeconds(10);

    public static void main(String[] args) throws Exception {
        if (!usageOk(args)) {
            System.err.println("usage: Peer pub NAME MSG... | Peer sub NAME COUNT | Peer write|read NAME"
                    + " | Peer call NAME MSG... | Peer serve NAME COUNT");
            System.exit(2);
        }
        try (Region region = Region.open(args[1])) {
            switch (args[0]) {
                case "pub":
                    try (Producer tx = region.openProducer(ProducerType.SPSC)) {
                        for (int i = 2; i < args.length; i++) {
                            tx.publish(args[i].getBytes(StandardCharsets.UTF_8));
                        }
                    }
                    break;
                case "sub":
                    try (Consumer rx = region.openConsumer(0)) {
                        byte[] buf = new byte[4096];
                        for (int i = Integer.parseInt(args[2]); i > 0; i--) {
                            int n = rx.recv(buf, Duration.ofSeconds(5));
                            System.out.println(new String(buf, 0, n, StandardCharsets.UTF_8));
                        }
                    }
                    break;
                case "write":
                    write(region);
                    break;
                case "read":
                    if (!read(region)) {
                        System.exit(1);
                    }
                    break;
                case "call":
                    call(region, args);
                    break;
                default:
                    serve(region, Integer.parseInt(args[2]));
                    break;
            }
        }
    }

    private static boolean usageOk(String[] a) {
        if (a.length < 2) {
            return false;
        }
        switch (a[0]) {
            case "write":
            case "read":
                return a.length == 2;
            case "pub":
            case "call":
                return a.length >= 3;
            case "sub":
            case "serve":
                return a.length == 3;
            default:
                return false;
        }
    }

    /** stdin into the stream: each write waits for room while the reader drains it. */
    private static void write(Region region) throws IOException {
        StreamWriter w = region.openStreamWriter();
        try {
            System.in.transferTo(w.outputStream());
        } catch (IOException | RuntimeException e) {
            w.abort(); // the reader learns that the stream did not end cleanly
            throw e;
        }
        w.close(); // the last writer out ends the stream
    }

    /** The stream to stdout up to its end (-1), then whether it ended cleanly. */
    private static boolean read(Region region) throws IOException {
        try (StreamReader r = region.openStreamReader();
             InputStream in = r.inputStream()) {
            OutputStream out = new BufferedOutputStream(System.out, 1 << 16);
            in.transferTo(out);
            out.flush();
            StreamState state = region.streamState();
            if (!state.clean()) {
                System.err.println("stream did not end cleanly: " + state);
                return false;
            }
            return true;
        }
    }

    private static void call(Region region, String[] args) throws Exception {
        try (RpcClient c = region.openRpcClient()) {
            byte[] first = args[2].getBytes(StandardCharsets.UTF_8);
            ByteBuffer claim = c.claim(first.length); // the request written in place
            claim.put(first);
            long token = c.send(first.length);
            ByteBuffer reply = c.awaitReply(token, PATIENCE); // the reply borrowed in place
            System.out.println(StandardCharsets.UTF_8.decode(reply));
            c.replyDone(token);
            for (int i = 3; i < args.length; i++) {
                CompletableFuture<byte[]> f = c.callAsync(args[i].getBytes(StandardCharsets.UTF_8), PATIENCE);
                System.out.println(new String(f.get(), StandardCharsets.UTF_8));
            }
        }
    }

    private static void serve(Region region, int count) {
        byte[] prefix = "peer:".getBytes(StandardCharsets.UTF_8);
        try (RpcServer s = region.openRpcServer()) {
            for (int i = 0; i < count; i++) {
                RpcRequest req = s.serve(PATIENCE);
                ByteBuffer out = req.replyBuffer();
                out.put(prefix).put(req.data());
                req.commit(out.position());
            }
        }
    }
}
