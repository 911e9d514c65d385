package io.indexbus;

import java.time.Duration;

/**
 * Child-process server for {@link RpcTest}: opens a request/response region by name and
 * replies {@link RpcTest#echo(byte[])} to every request until "quit" (replied "bye"); with
 * {@code die} it halts (exit status 3) on the first request, holding it unanswered.
 *
 * <p>Usage: {@code ChildRpcServer <region> <echo|die>}
 */
public final class ChildRpcServer {
    private ChildRpcServer() {
    }

    public static void main(String[] args) {
        try (Region region = Region.open(args[0]); RpcServer s = region.openRpcServer()) {
            for (;;) {
                RpcRequest q = s.serve(Duration.ofSeconds(60));
                if (args[1].equals("die")) {
                    Runtime.getRuntime().halt(3);
                }
                byte[] req = q.bytes();
                if (new String(req, java.nio.charset.StandardCharsets.US_ASCII).equals("quit")) {
                    q.reply("bye".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
                    return;
                }
                q.reply(RpcTest.echo(req));
            }
        }
    }
}
