package io.indexbus.conformance;

import io.indexbus.BatchClaim;
import io.indexbus.Claim;
import io.indexbus.Consumer;
import io.indexbus.DisconnectedException;
import io.indexbus.FullException;
import io.indexbus.IndexBusException;
import io.indexbus.IndexBusTimeoutException;
import io.indexbus.Producer;
import io.indexbus.ProducerType;
import io.indexbus.Region;
import io.indexbus.RegionConfig;
import io.indexbus.RegionKind;
import io.indexbus.RouteMode;
import io.indexbus.RouteOutcome;
import io.indexbus.RouteSource;
import io.indexbus.RegionInfo;
import io.indexbus.Router;
import io.indexbus.RouterLoopConfig;
import io.indexbus.RpcClient;
import io.indexbus.RpcRequest;
import io.indexbus.RpcServer;
import io.indexbus.Status;
import io.indexbus.StreamReader;
import io.indexbus.StreamState;
import io.indexbus.StreamWriteTimeoutException;
import io.indexbus.StreamWriter;
import io.indexbus.TooLargeException;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Java conformance agent: a thin user of the public {@code io.indexbus} binding speaking
 * the agent protocol of {@code conformance/PROTOCOL.md}.
 *
 * <pre>
 * java -cp indexbus-1.0.0.jar:CLASSES io.indexbus.conformance.Agent &lt;command&gt; --region NAME [options]
 *     (golden: then its op list)
 * </pre>
 *
 * JSON lines on stdout, free text on stderr; exit 0 when the command did what was asked, 1
 * when it failed (after an {@code {"ev":"fail",...}} line), 2 on a usage error.
 */
public final class Agent {
    private static final long FULL_BOUND_NS = 20_000_000_000L; // publish: no progress while FULL
    private static final Duration FULL_BOUND = Duration.ofNanos(FULL_BOUND_NS); // blocking calls
    private static final long WAIT_CONSUMERS_NS = 10_000_000_000L;
    private static final long DEFAULT_RECV_MS = 10_000;
    private static final Duration NOT_READY_TIMEOUT = Duration.ofMillis(50);
    private static final Duration ERROR_TIMEOUT = Duration.ofMillis(50);

    private static final PrintStream OUT = new PrintStream(
            new BufferedOutputStream(new FileOutputStream(FileDescriptor.out), 1 << 16), false,
            StandardCharsets.UTF_8);

    private Agent() {
    }

    // ---- usage errors ---------------------------------------------------------------------

    /** A usage error: exit 2. */
    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String msg) {
            super(msg);
        }
    }

    /** A failure already reported on stdout: exit 1. */
    private static final class Failed extends Exception {
        private static final long serialVersionUID = 1L;

        Failed() {
            super(null, null, false, false);
        }
    }

    // ---- output ---------------------------------------------------------------------------

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private static void quote(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }

    /** One JSON line; fields are key, value pairs (String, Number or Boolean values). */
    private static void emit(Object... kv) {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < kv.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            quote(sb, (String) kv[i]);
            sb.append(':');
            Object v = kv[i + 1];
            if (v instanceof String) {
                quote(sb, (String) v);
            } else {
                sb.append(v);
            }
        }
        sb.append("}\n");
        OUT.print(sb);
    }

    private static final StringBuilder MSG = new StringBuilder();

    private static void emitMsg(byte[] b, int off, int len) {
        StringBuilder sb = MSG;
        sb.setLength(0);
        sb.append("{\"ev\":\"msg\",\"len\":").append(len).append(",\"hex\":\"");
        for (int i = off; i < off + len; i++) {
            sb.append(HEX[(b[i] >> 4) & 0xf]).append(HEX[b[i] & 0xf]);
        }
        sb.append("\"}\n");
        OUT.append(sb);
    }

    /**
     * Prints {@code {"ev":"fail","status":NAME,"what":"OP: TEXT",...}} (status only for binding
     * errors) and returns the exception to throw.
     */
    private static Failed fail(String op, Throwable e, Object... extra) {
        List<Object> f = new ArrayList<>(List.of("ev", "fail"));
        if (e instanceof IndexBusException) {
            f.add("status");
            f.add(((IndexBusException) e).statusName());
        }
        f.add("what");
        f.add(op + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
        f.addAll(List.of(extra));
        emit(f.toArray());
        System.err.println("java agent: " + op + ": " + e);
        return new Failed();
    }

    /** Prints a fail line with an explicit status name (none if null). */
    private static Failed failStatus(String op, String status, String msg, Object... extra) {
        List<Object> f = new ArrayList<>(List.of("ev", "fail"));
        if (status != null) {
            f.add("status");
            f.add(status);
        }
        f.add("what");
        f.add(op + ": " + msg);
        f.addAll(List.of(extra));
        emit(f.toArray());
        System.err.println("java agent: " + op + ": " + msg);
        return new Failed();
    }

    // ---- options --------------------------------------------------------------------------

    private static final Map<String, Map<String, Boolean>> SPECS = new HashMap<>();
    private static final Map<String, List<String>> REQUIRED = new HashMap<>();

    private static void spec(String cmd, List<String> required, String... opts) {
        Map<String, Boolean> m = new HashMap<>();
        for (String o : opts) {
            boolean flag = o.startsWith("!");
            m.put(flag ? o.substring(1) : o, !flag);
        }
        SPECS.put(cmd, m);
        REQUIRED.put(cmd, required);
    }

    static {
        spec("create", List.of("region", "kind"), "region", "kind", "slots", "slot-size", "queue",
                "consumers", "bytes", "max-record", "cells", "max-request", "max-reply");
        spec("produce", List.of("region", "type", "producer", "count", "sizes"), "region", "type",
                "producer", "count", "sizes", "!zero-copy", "batch", "!wait", "wait-consumers");
        spec("route", List.of("region", "mode"), "region", "mode", "source");
        spec("consume", List.of("region", "index"), "region", "index", "!borrow", "batch",
                "timeout-ms", "count", "delay-ms");
        spec("stream-write", List.of("region"), "region", "writer", "bytes", "chunk", "count",
                "sizes", "mode", "!wait-reader", "!hold");
        spec("stream-read", List.of("region"), "region", "read-size", "timeout-ms", "max-bytes",
                "!release", "!hold", "!hex");
        spec("serve", List.of("region", "count"), "region", "count", "!zero-copy", "timeout-ms",
                "!hold");
        spec("request", List.of("region", "count", "sizes"), "region", "client", "count", "sizes",
                "mode", "timeout-ms", "!retry-disconnected");
        spec("error", List.of("region", "case"), "region", "case");
        spec("golden", List.of("region"), "region");
        spec("unlink", List.of("region"), "region");
        // the ops of the golden command's list, "golden OP"
        spec("golden create", List.of("kind"), "kind", "slots", "slot-size", "queue", "consumers",
                "bytes", "max-record", "cells", "max-request", "max-reply");
        for (String h : List.of("writer", "reader", "release", "client", "server")) {
            spec("golden " + h, List.of("name"), "name");
        }
        spec("golden write", List.of("name", "bytes"), "name", "writer", "from", "bytes", "chunk",
                "mode");
        spec("golden read", List.of("name", "bytes"), "name", "bytes", "read-size");
        spec("golden request", List.of("name", "count", "sizes"), "name", "client", "from", "count",
                "sizes", "!zero-copy");
        spec("golden serve", List.of("name", "count"), "name", "count", "!zero-copy", "!hold");
        spec("golden reply", List.of("name", "count"), "name", "count", "!zero-copy");
        spec("golden wait", List.of("name", "count"), "name", "count");
        spec("golden cancel", List.of("name", "count"), "name", "count");
        spec("golden producer", List.of("name", "type"), "name", "type");
        spec("golden router", List.of("name"), "name");
        spec("golden consumer", List.of("name", "index"), "name", "index");
        spec("golden publish", List.of("name", "producer", "count", "sizes"), "name", "producer",
                "from", "count", "sizes", "!zero-copy", "batch");
        spec("golden route", List.of("name", "count"), "name", "count", "mode", "source");
        spec("golden recv", List.of("name", "count"), "name", "count", "!borrow");
        spec("golden close", List.of("name"), "name");
    }

    private static final class Options {
        final Map<String, String> vals = new HashMap<>();
        final Set<String> flags = new java.util.HashSet<>();
        int next; // the first argument after the options

        String str(String name) {
            return vals.get(name);
        }

        boolean has(String name) {
            return vals.containsKey(name);
        }

        boolean flag(String name) {
            return flags.contains(name);
        }

        long num(String name, long def) throws UsageException {
            String s = vals.get(name);
            if (s == null) {
                return def;
            }
            try {
                long v = Long.parseLong(s);
                if (v < 0 || v > 0xffffffffL) {
                    throw new NumberFormatException();
                }
                return v;
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + ": not a number: " + s);
            }
        }
    }

    /** The options of {@code cmd} from args[from..] up to the first word that is not one. */
    private static Options parse(String cmd, String[] args, int from) throws UsageException {
        Map<String, Boolean> spec = SPECS.get(cmd);
        if (spec == null) {
            throw new UsageException("unknown command \"" + cmd + "\"");
        }
        Options o = new Options();
        int i = from;
        for (; i < args.length && args[i].startsWith("--"); i++) {
            String name = args[i].substring(2);
            Boolean takesValue = spec.get(name);
            if (takesValue == null) {
                throw new UsageException("unknown option --" + name + " for " + cmd);
            }
            if (!takesValue) {
                o.flags.add(name);
                continue;
            }
            if (i + 1 >= args.length) {
                throw new UsageException("--" + name + " needs a value");
            }
            o.vals.put(name, args[++i]);
        }
        o.next = i;
        for (String r : REQUIRED.get(cmd)) {
            if (!o.has(r)) {
                throw new UsageException(cmd + " needs --" + r);
            }
        }
        return o;
    }

    private static int[] parseSizes(String s) throws UsageException {
        String[] parts = s.split(",", -1);
        int[] sizes = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                sizes[i] = Integer.parseInt(parts[i].trim());
                if (sizes[i] < 0) {
                    throw new NumberFormatException();
                }
            } catch (NumberFormatException e) {
                throw new UsageException("--sizes: bad size \"" + parts[i] + "\"");
            }
        }
        return sizes;
    }

    // ---- payload rule ---------------------------------------------------------------------

    /** Writes message k of producer p, len bytes, into b at off. */
    static void fill(byte[] b, int off, int len, long p, long k) {
        for (int j = 0; j < len; j++) {
            int v;
            if (j < 4) {
                v = (int) (p >>> (8 * j));
            } else if (j < 8) {
                v = (int) (k >>> (8 * (j - 4)));
            } else {
                v = (int) ((p * 31 + k * 17 + (long) j * 7) % 256);
            }
            b[off + j] = (byte) v;
        }
    }

    static byte[] payload(long p, long k, int size) {
        byte[] b = new byte[size];
        fill(b, 0, size, p, k);
        return b;
    }

    // ---- enums ----------------------------------------------------------------------------

    private static ProducerType producerType(String s) throws UsageException {
        switch (s) {
            case "spsc":
                return ProducerType.SPSC;
            case "mpsc":
                return ProducerType.MPSC;
            default:
                throw new UsageException("bad producer type \"" + s + "\"");
        }
    }

    private static RouteMode routeMode(String s) throws UsageException {
        if (s == null || s.equals("broadcast")) {
            return RouteMode.BROADCAST;
        }
        if (s.equals("work-queue")) {
            return RouteMode.WORK_QUEUE;
        }
        throw new UsageException("bad mode \"" + s + "\"");
    }

    private static RouteSource routeSource(String s) throws UsageException {
        if (s == null || s.equals("any")) {
            return RouteSource.ANY;
        }
        switch (s) {
            case "spsc":
                return RouteSource.SPSC;
            case "mpsc":
                return RouteSource.MPSC;
            default:
                throw new UsageException("bad source \"" + s + "\"");
        }
    }

    private static RegionKind regionKind(String s) throws UsageException {
        switch (s == null ? "" : s) {
            case "events":
                return RegionKind.EVENTS;
            case "fanout":
                return RegionKind.FANOUT;
            case "log":
                return RegionKind.LOG;
            case "stream":
                return RegionKind.STREAM;
            case "rpc":
                return RegionKind.RPC;
            default:
                throw new UsageException("bad kind \"" + s + "\"");
        }
    }

    /** The region of create's options (and the golden create op's). */
    private static RegionConfig config(Options o) throws UsageException {
        RegionKind kind = regionKind(o.str("kind"));
        boolean ring = kind == RegionKind.LOG || kind == RegionKind.STREAM;
        boolean rpc = kind == RegionKind.RPC;
        List<String> ringOpts = List.of("bytes", "max-record");
        List<String> rpcOpts = List.of("cells", "max-request", "max-reply");
        for (String opt : List.of("slots", "slot-size", "queue", "consumers", "bytes", "max-record",
                "cells", "max-request", "max-reply")) {
            boolean fits = ring ? ringOpts.contains(opt)
                    : rpc ? rpcOpts.contains(opt) : !ringOpts.contains(opt) && !rpcOpts.contains(opt);
            if (o.has(opt) && !fits) {
                throw new UsageException("--" + opt + " is not for a " + o.str("kind") + " region");
            }
        }
        RegionConfig.Builder b = RegionConfig.builder(kind);
        if (ring) {
            return b.byteCapacity(o.num("bytes", 0)).maxRecord((int) o.num("max-record", 0)).build();
        }
        if (rpc) {
            return b.cells((int) o.num("cells", 0)).maxRequest((int) o.num("max-request", 0))
                    .maxReply((int) o.num("max-reply", 0)).build();
        }
        return b.slotCount((int) o.num("slots", 0)).slotDataSize((int) o.num("slot-size", 0))
                .queueCapacity((int) o.num("queue", 0)).consumerCount((int) o.num("consumers", 0))
                .build();
    }

    /** The largest message a region takes: a slot's data, or a byte log's max record. */
    private static int maxMessage(RegionInfo info) {
        return info.kind() == RegionKind.LOG ? info.maxRecord() : info.slotDataSize();
    }

    // ---- commands -------------------------------------------------------------------------

    private static void create(Options o) throws UsageException, Failed {
        RegionConfig cfg = config(o);
        try {
            Region.create(o.str("region"), cfg).close();
        } catch (IndexBusException e) {
            throw fail("create", e);
        }
        emit("ev", "created");
    }

    /** Tracks progress for the FULL retry bound. */
    private static final class FullRetry {
        long progress = System.nanoTime();

        void progressed() {
            progress = System.nanoTime();
        }

        /** Yields and returns true, or false once the bound is spent. */
        boolean retry() {
            if (System.nanoTime() - progress > FULL_BOUND_NS) {
                return false;
            }
            Thread.yield();
            return true;
        }
    }

    /** How messages are published: produce's flags, or a golden publish op's. */
    private static final class PubMode {
        boolean zeroCopy; // claim, fill in place, commit (exactly the length on a byte log)
        boolean waiting;  // the blocking publish / claim instead of retrying on FULL
        int batch;        // the batch publish, or with zeroCopy the batch claim (byte logs)
        boolean isLog;
        boolean retry;    // FULL: yield and try again (20 s without progress); else fail
    }

    /**
     * Publishes messages {@code from..from+count-1} of producer {@code p} by the payload rule;
     * {@code done[0]} counts those that went out, {@code op[0]} names the call under way.
     */
    private static void publishRange(Producer prod, long p, long from, long count, int[] sizes,
                                     PubMode m, long[] done, String[] op) throws Failed {
        FullRetry full = new FullRetry();
        long k = from;
        long end = from + count;
        int n = m.batch;
        while (k < end) {
            done[0] = k - from;
            if (m.batch > 0 && m.zeroCopy) {
                op[0] = "claim batch";
                n = (int) Math.min(n, end - k);
                int[] lens = new int[n];
                for (int i = 0; i < n; i++) {
                    lens[i] = sizes[(int) ((k + i) % sizes.length)];
                }
                BatchClaim batch;
                try {
                    batch = prod.claimBatch(lens);
                } catch (TooLargeException e) {
                    if (n > 1) {
                        n /= 2; // more than half the ring: a smaller batch
                        continue;
                    }
                    throw e;
                } catch (FullException e) {
                    if (m.retry && full.retry()) {
                        continue;
                    }
                    throw e;
                }
                try (BatchClaim b = batch) {
                    for (int i = 0; i < n; i++) {
                        b.buffer(i).put(payload(p, k + i, lens[i]));
                    }
                    op[0] = "commit batch";
                    b.commit();
                }
                k += n;
                n = m.batch;
                full.progressed();
            } else if (m.batch > 0) {
                op[0] = "publish batch";
                int c = (int) Math.min(n, end - k);
                int[] lens = new int[c];
                int total = 0;
                for (int i = 0; i < c; i++) {
                    lens[i] = sizes[(int) ((k + i) % sizes.length)];
                    total += lens[i];
                }
                byte[] packed = new byte[total];
                int at = 0;
                for (int i = 0; i < c; i++) {
                    fill(packed, at, lens[i], p, k + i);
                    at += lens[i];
                }
                int got = prod.publishBatch(packed, lens); // 0 when full
                if (got > 0) {
                    k += got;
                    full.progressed();
                }
                if (got < c && !m.retry || got == 0 && !full.retry()) {
                    done[0] = k - from;
                    throw failStatus(op[0], Status.name(Status.FULL),
                            got + " of " + c + " published", "published", k - from);
                }
            } else if (m.zeroCopy) {
                int s = sizes[(int) (k % sizes.length)];
                byte[] msg = payload(p, k, s);
                if (m.waiting || m.isLog) {
                    op[0] = m.waiting ? "claim wait" : "claim";
                    Claim claim;
                    try {
                        claim = m.waiting ? prod.claimWait(s, FULL_BOUND) : prod.claim(s);
                    } catch (FullException e) {
                        if (m.retry && full.retry()) {
                            continue;
                        }
                        throw e;
                    }
                    try (Claim c = claim) {
                        c.buffer().put(msg);
                        op[0] = "commit";
                        c.commit();
                    }
                } else {
                    op[0] = "claim";
                    ByteBuffer slot;
                    try {
                        slot = prod.claim();
                    } catch (FullException e) {
                        if (m.retry && full.retry()) {
                            continue;
                        }
                        throw e;
                    }
                    slot.put(msg, 0, Math.min(s, slot.remaining()));
                    op[0] = "commit";
                    for (;;) {
                        try {
                            prod.commit(s);
                            break;
                        } catch (FullException e) {
                            if (!m.retry || !full.retry()) {
                                prod.abort();
                                throw e;
                            }
                        } catch (IndexBusException e) {
                            prod.abort();
                            throw e;
                        }
                    }
                }
                k++;
                full.progressed();
            } else {
                byte[] msg = payload(p, k, sizes[(int) (k % sizes.length)]);
                if (m.waiting) {
                    op[0] = "publish wait";
                    prod.publishWait(msg, FULL_BOUND);
                    k++;
                    full.progressed();
                } else {
                    op[0] = "publish";
                    if (prod.offer(msg)) {
                        k++;
                        full.progressed();
                    } else if (!m.retry || !full.retry()) {
                        throw failStatus(op[0], Status.name(Status.FULL),
                                m.retry ? "still full after 20 s" : "full", "published", k - from);
                    }
                }
            }
        }
        done[0] = count;
    }

    private static void produce(Options o) throws UsageException, Failed {
        ProducerType type = producerType(o.str("type"));
        long p = o.num("producer", 0);
        long count = o.num("count", 0);
        int[] sizes = parseSizes(o.str("sizes"));
        long batch = o.num("batch", 0);
        long wait = o.num("wait-consumers", 0);
        PubMode m = new PubMode();
        m.zeroCopy = o.flag("zero-copy");
        m.waiting = o.flag("wait");
        m.retry = !m.waiting;
        m.batch = (int) batch;
        if (o.has("batch") && batch == 0) {
            throw new UsageException("--batch must be at least 1");
        }
        if (m.waiting && batch > 0) {
            throw new UsageException("--wait and --batch do not combine");
        }
        String[] op = {"open"};
        long[] done = {0};
        try (Region region = Region.open(o.str("region"))) {
            op[0] = "info";
            RegionInfo info = region.info();
            m.isLog = info.kind() == RegionKind.LOG;
            if (m.zeroCopy && batch > 0 && !m.isLog) {
                throw new UsageException("--zero-copy with --batch (the batch claim) is for byte logs only");
            }
            for (int s : sizes) {
                if (s > maxMessage(info)) {
                    throw new UsageException("size " + s + " > the largest message, " + maxMessage(info));
                }
            }
            op[0] = "producer open";
            try (Producer prod = region.openProducer(type)) {
                if (wait > 0) {
                    op[0] = "info";
                    long deadline = System.nanoTime() + WAIT_CONSUMERS_NS;
                    for (;;) {
                        int live = region.info().consumersLive();
                        if (live >= wait) {
                            break;
                        }
                        if (System.nanoTime() - deadline > 0) {
                            throw failStatus("wait consumers", "INDEXBUS_TIMEOUT",
                                    live + " of " + wait + " consumers attached after 10 s");
                        }
                        sleepMs(1);
                    }
                }
                publishRange(prod, p, 0, count, sizes, m, done, op);
                op[0] = "producer close";
            }
        } catch (IndexBusException e) {
            throw fail(op[0], e, "published", done[0]);
        }
        emit("ev", "done", "published", count);
    }

    private static void sleepMs(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void route(Options o) throws UsageException, Failed {
        RouterLoopConfig cfg = RouterLoopConfig.builder().mode(routeMode(o.str("mode")))
                .source(routeSource(o.str("source"))).exitOnDisconnect(true).build();
        String op = "open";
        long routed;
        try (Region region = Region.open(o.str("region"))) {
            op = "router open";
            try (Router router = region.openRouter()) {
                op = "router run";
                routed = router.run(cfg).routed();
                op = "router close";
            }
        } catch (IndexBusException e) {
            throw fail(op, e);
        }
        emit("ev", "done", "routed", routed);
    }

    private static void consume(Options o) throws UsageException, Failed {
        int index = (int) o.num("index", 0);
        int batch = (int) o.num("batch", 0);
        Duration timeout = Duration.ofMillis(o.num("timeout-ms", DEFAULT_RECV_MS));
        boolean hasCount = o.has("count");
        long limit = o.num("count", 0);
        boolean borrow = o.flag("borrow");
        long delayMs = o.num("delay-ms", 0);
        if (borrow && batch > 0) {
            throw new UsageException("--borrow and --batch do not combine");
        }
        String op = "open";
        long n = 0;
        String end = "INDEXBUS_OK";
        try (Region region = Region.open(o.str("region"))) {
            op = "info";
            int slot = maxMessage(region.info());
            op = "consumer open";
            try (Consumer cons = region.openConsumer(index)) {
                sleepMs(delayMs); // attached, reading nothing: producers may fill the region
                op = batch > 0 ? "recv batch" : borrow ? "recv begin" : "recv";
                byte[] buf = new byte[Math.max(slot, 1)];
                byte[] bbuf = batch > 0 ? new byte[batch * slot] : null;
                int[] lens = batch > 0 ? new int[batch] : null;
                long last = System.nanoTime();
                try {
                    while (!hasCount || n < limit) {
                        if (batch > 0) {
                            int m = (int) (hasCount ? Math.min(batch, limit - n) : batch);
                            if (lens.length != m) {
                                lens = new int[m];
                            }
                            int got = cons.recvBatch(bbuf, lens); // 0 when empty
                            if (got == 0) {
                                if (System.nanoTime() - last > timeout.toNanos()) {
                                    throw failStatus(op, "INDEXBUS_TIMEOUT",
                                            "no message in " + timeout.toMillis() + " ms", "count", n);
                                }
                                Thread.yield();
                                continue;
                            }
                            int off = 0;
                            for (int i = 0; i < got; i++) {
                                emitMsg(bbuf, off, lens[i]);
                                off += lens[i];
                            }
                            n += got;
                            last = System.nanoTime();
                        } else if (borrow) {
                            if (!cons.await(timeout)) {
                                throw failStatus(op, "INDEXBUS_TIMEOUT",
                                        "no message in " + timeout.toMillis() + " ms", "count", n);
                            }
                            ByteBuffer msg = cons.recvBegin();
                            if (msg == null) {
                                throw failStatus(op, Status.name(Status.EMPTY),
                                        "nothing to borrow after await", "count", n);
                            }
                            int len = msg.remaining();
                            msg.get(buf, 0, len);
                            emitMsg(buf, 0, len);
                            op = "recv end";
                            cons.recvEnd();
                            op = "recv begin";
                            n++;
                        } else {
                            int len = cons.recv(buf, timeout);
                            emitMsg(buf, 0, len);
                            n++;
                        }
                    }
                } catch (DisconnectedException e) {
                    end = e.statusName();
                }
                op = "consumer close";
            }
        } catch (IndexBusException e) {
            throw fail(op, e, "count", n);
        }
        emit("ev", "end", "status", end, "count", n);
    }

    // ---- byte streams and request/response ------------------------------------------------

    private static final Duration RETRY_BOUND = Duration.ofSeconds(20); // stream writes, requests
    private static final long RETRY_BOUND_NS = RETRY_BOUND.toNanos();
    private static final long HOLD_MS = 120_000; // --hold: sleep until killed, at most this long
    private static final long FNV_BASIS = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    /** Stream rule: bytes from..from+len-1 of writer w's stream into b at off. */
    static void streamFill(byte[] b, int off, int len, long w, long from) {
        for (int j = 0; j < len; j++) {
            int x = (int) (from + j) * (int) 2654435761L + (int) w * 40503;
            b[off + j] = (byte) ((x >>> 24) ^ (x >>> 8));
        }
    }

    static byte[] streamBytes(long w, long from, int n) {
        byte[] b = new byte[n];
        streamFill(b, 0, n, w, from);
        return b;
    }

    static long fnv(long h, byte[] b, int off, int len) {
        for (int i = off; i < off + len; i++) {
            h = (h ^ (b[i] & 0xff)) * FNV_PRIME;
        }
        return h;
    }

    /** Reply rule: the request's length as a u32 LE, then the request reversed, each ^ 0x5A. */
    static byte[] replyFor(byte[] req) {
        int n = req.length;
        byte[] out = new byte[n + 4];
        for (int j = 0; j < 4; j++) {
            out[j] = (byte) (n >>> (8 * j));
        }
        for (int j = 0; j < n; j++) {
            out[4 + j] = (byte) (req[n - 1 - j] ^ 0x5a);
        }
        return out;
    }

    /** --hold: every handle stays open; sleep until the runner kills us (then exit 1 as is). */
    private static void hold() {
        OUT.flush();
        sleepMs(HOLD_MS);
        failStatus("hold", "INDEXBUS_TIMEOUT", "held for 120 s and nobody killed us");
        OUT.flush();
        Runtime.getRuntime().halt(1);
    }

    private static boolean someMode(Options o) throws UsageException {
        String m = o.str("mode");
        if (m == null || m.equals("all")) {
            return false;
        }
        if (m.equals("some")) {
            return true;
        }
        throw new UsageException("bad --mode \"" + m + "\" (all or some)");
    }

    /**
     * One call's bytes: the waiting write-all (timeout), or with {@code some} writes that take
     * what fits, again for the rest (yielding while nothing fits: 20 s without progress, or
     * failing at once unless {@code retry}). {@code op[0]} names the call under way.
     */
    private static void streamPut(StreamWriter w, byte[] data, boolean some, long at, Duration timeout,
            boolean retry, String[] op) throws Failed {
        if (!some) {
            op[0] = "write_all of " + data.length + " bytes at byte " + at;
            w.write(data, 0, data.length, timeout);
            return;
        }
        long progress = System.nanoTime();
        for (int done = 0; done < data.length;) {
            op[0] = "write at byte " + (at + done);
            int n = w.tryWrite(data, done, data.length - done);
            if (n > 0) {
                done += n;
                progress = System.nanoTime();
                continue;
            }
            if (!retry) {
                throw failStatus(op[0], Status.name(Status.FULL), "nothing fits");
            }
            if (System.nanoTime() - progress > RETRY_BOUND_NS) {
                throw failStatus(op[0], Status.name(Status.TIMEOUT), "FULL for 20 s");
            }
            Thread.yield();
        }
    }

    private static void streamWrite(Options o) throws UsageException, Failed {
        long w = o.num("writer", 0);
        boolean some = someMode(o);
        boolean byBytes = o.has("bytes");
        if (byBytes == (o.has("count") || o.has("sizes"))) {
            throw new UsageException("stream-write: either --bytes or --count and --sizes");
        }
        if (!byBytes && !(o.has("count") && o.has("sizes"))) {
            throw new UsageException("stream-write: --count and --sizes go together");
        }
        if (o.has("chunk") && !byBytes) {
            throw new UsageException("stream-write: --chunk is for --bytes");
        }
        long total = o.num("bytes", 0), chunk = o.num("chunk", 4096), count = o.num("count", 0);
        int[] sizes = byBytes ? new int[0] : parseSizes(o.str("sizes"));
        if (chunk == 0) {
            throw new UsageException("stream-write: --chunk must be at least 1");
        }
        String[] op = {"open"};
        long written = 0;
        try (Region r = Region.open(o.str("region"))) {
            RegionInfo info = r.info();
            for (int s : sizes) {
                if (s > info.maxRecord()) {
                    throw new UsageException("stream-write: size " + s + " > max_record " + info.maxRecord());
                }
            }
            op[0] = "stream writer open";
            StreamWriter wr = r.openStreamWriter();
            if (o.flag("wait-reader")) {
                op[0] = "wait reader";
                long start = System.nanoTime();
                while (r.info().consumersLive() < 1) {
                    if (System.nanoTime() - start > WAIT_CONSUMERS_NS) {
                        throw failStatus(op[0], "INDEXBUS_TIMEOUT", "no reader after 10 s");
                    }
                    sleepMs(1);
                }
            }
            if (byBytes) {
                while (written < total) {
                    int n = (int) Math.min(chunk, total - written);
                    streamPut(wr, streamBytes(w, written, n), some, written, RETRY_BOUND, true, op);
                    written += n;
                }
            } else {
                for (long k = 0; k < count; k++) {
                    byte[] msg = payload(w, k, sizes[(int) (k % sizes.length)]);
                    streamPut(wr, msg, some, written, RETRY_BOUND, true, op);
                    written += msg.length;
                }
            }
            if (o.flag("hold")) {
                emit("ev", "holding", "written", written);
                hold();
            }
            op[0] = "stream writer close";
            wr.close();
        } catch (StreamWriteTimeoutException e) {
            throw fail(op[0] + " (" + e.bytesWritten() + " written)", e);
        } catch (IndexBusException e) {
            throw fail(op[0], e);
        }
        emit("ev", "done", "written", written);
    }

    private static void streamRead(Options o) throws UsageException, Failed {
        int rsize = (int) o.num("read-size", 65536);
        Duration timeout = Duration.ofMillis(o.num("timeout-ms", 20000));
        boolean limited = o.has("max-bytes");
        long most = o.num("max-bytes", 0);
        if (rsize == 0) {
            throw new UsageException("stream-read: --read-size must be at least 1");
        }
        if (o.flag("release") && o.flag("hold")) {
            throw new UsageException("stream-read: --release and --hold exclude each other");
        }
        String op = "open";
        long total = 0;
        try (Region r = Region.open(o.str("region"))) {
            op = "stream reader open";
            StreamReader rd = r.openStreamReader();
            byte[] buf = new byte[rsize];
            long h = FNV_BASIS;
            String end = Status.name(Status.OK);
            op = "read";
            while (!limited || total < most) {
                int cap = limited ? (int) Math.min(rsize, most - total) : rsize;
                int n = rd.read(buf, 0, cap, timeout);
                if (n < 0) { // end of stream
                    end = Status.name(Status.DISCONNECTED);
                    break;
                }
                if (o.flag("hex")) {
                    StringBuilder sb = new StringBuilder(2 * n);
                    for (int i = 0; i < n; i++) {
                        sb.append(HEX[(buf[i] >> 4) & 0xf]).append(HEX[buf[i] & 0xf]);
                    }
                    emit("ev", "data", "hex", sb.toString());
                }
                h = fnv(h, buf, 0, n);
                total += n;
            }
            op = "stream state";
            StreamState st = r.streamState();
            emit("ev", "end", "status", end, "bytes", total, "fnv", String.format("%016x", h),
                    "ended", st.ended(), "reader_gone", st.readerGone(), "aborted", st.aborted(),
                    "writers_aborted", st.writersAborted());
            if (o.flag("hold")) {
                emit("ev", "holding");
                hold();
            }
            op = "give up the read end";
            if (o.flag("release")) {
                rd.release();
            } else {
                rd.close();
            }
        } catch (IndexBusException e) {
            throw fail(op, e, "bytes", total);
        }
    }

    /** Answers a served request by the reply rule: copied in, or written in place. */
    private static void answer(RpcRequest q, boolean zeroCopy) {
        byte[] reply = replyFor(q.bytes());
        if (!zeroCopy) {
            q.reply(reply);
            return;
        }
        ByteBuffer b = q.replyBuffer();
        if (b.capacity() < reply.length) {
            throw new TooLargeException("reply buffer of " + b.capacity() + " bytes");
        }
        b.put(0, reply);
        q.commit(reply.length);
    }

    private static void serve(Options o) throws UsageException, Failed {
        long count = o.num("count", 0);
        Duration timeout = Duration.ofMillis(o.num("timeout-ms", 20000));
        String op = "open";
        List<RpcRequest> held = new ArrayList<>();
        try (Region r = Region.open(o.str("region"))) {
            op = "server open";
            RpcServer sv = r.openRpcServer();
            for (long k = 0; k < count; k++) {
                op = "serve request " + k;
                RpcRequest q = sv.serve(timeout);
                if (o.flag("hold")) {
                    held.add(q); // held unanswered
                } else {
                    op = "reply " + k;
                    answer(q, o.flag("zero-copy"));
                }
            }
            if (o.flag("hold")) {
                emit("ev", "holding", "count", count);
                hold();
            }
            op = "server close";
            sv.close();
        } catch (IndexBusException e) {
            throw fail(op, e);
        }
        emit("ev", "done", "served", count);
    }

    /** One round trip in the chosen mode: a copy of the reply. op[0] names the call. */
    private static byte[] roundTrip(RpcClient c, String mode, byte[] req, Duration timeout, String[] op) {
        if (mode.equals("call")) {
            op[0] = "call";
            return c.call(req, timeout);
        }
        long t;
        if (mode.equals("zero-copy")) {
            op[0] = "claim";
            ByteBuffer b = c.claim(req.length);
            b.put(0, req); // the request is written in place
            op[0] = "send";
            t = c.send(req.length);
        } else {
            op[0] = "request";
            t = c.request(req);
        }
        op[0] = "wait";
        ByteBuffer reply = c.awaitReply(t, timeout);
        byte[] got = new byte[reply.remaining()];
        reply.get(got);
        op[0] = "reply done";
        c.replyDone(t);
        return got;
    }

    private static void request(Options o) throws UsageException, Failed {
        long p = o.num("client", 0), count = o.num("count", 0);
        int[] sizes = parseSizes(o.str("sizes"));
        Duration timeout = Duration.ofMillis(o.num("timeout-ms", 20000));
        String mode = o.str("mode") == null ? "wait" : o.str("mode");
        if (!List.of("call", "wait", "zero-copy").contains(mode)) {
            throw new UsageException("bad --mode \"" + mode + "\" (call, wait or zero-copy)");
        }
        String[] op = {"open"};
        long h = FNV_BASIS, replyBytes = 0;
        try (Region r = Region.open(o.str("region"))) {
            RegionInfo info = r.info();
            for (int s : sizes) {
                if (s > info.maxRequest()) {
                    throw new UsageException("request: size " + s + " > max_request " + info.maxRequest());
                }
            }
            op[0] = "client open";
            try (RpcClient c = r.openRpcClient()) {
                for (long k = 0; k < count; k++) {
                    byte[] req = payload(p, k, sizes[(int) (k % sizes.length)]);
                    boolean told = false;
                    long since = 0;
                    byte[] got;
                    for (;;) {
                        try {
                            got = roundTrip(c, mode, req, timeout, op);
                            break;
                        } catch (DisconnectedException e) {
                            if (!o.flag("retry-disconnected")) {
                                throw e;
                            }
                            if (!told) {
                                emit("ev", "disconnected", "k", k);
                                OUT.flush();
                                told = true;
                                since = System.nanoTime();
                            }
                            if (System.nanoTime() - since > RETRY_BOUND_NS) {
                                throw failStatus("request " + k, "INDEXBUS_DISCONNECTED",
                                        "DISCONNECTED for 20 s");
                            }
                            sleepMs(1);
                        }
                    }
                    byte[] want = replyFor(req);
                    if (got.length != want.length) {
                        throw failStatus("check", "INDEXBUS_CORRUPT", "reply " + k + ": " + got.length
                                + " bytes, want " + want.length);
                    }
                    for (int j = 0; j < want.length; j++) {
                        if (got[j] != want[j]) {
                            throw failStatus("check", "INDEXBUS_CORRUPT", "reply " + k
                                    + " differs at byte " + j);
                        }
                    }
                    h = fnv(h, got, 0, got.length);
                    replyBytes += got.length;
                }
                op[0] = "client close";
            }
        } catch (IndexBusException e) {
            throw fail(op[0], e);
        }
        emit("ev", "done", "requests", count, "reply_bytes", replyBytes, "fnv", String.format("%016x", h));
    }

    // ---- error cases ----------------------------------------------------------------------

    /** A failure before the call under test: the case could not run. */
    private static final class Setup extends Exception {
        private static final long serialVersionUID = 1L;
        final String op;

        Setup(String op, IndexBusException cause) {
            super(cause);
            this.op = op;
        }
    }

    @FunctionalInterface
    private interface Step<T> {
        T run() throws Setup;
    }

    private static <T> T setup(String op, Step<T> step) throws Setup {
        try {
            return step.run();
        } catch (IndexBusException e) {
            throw new Setup(op, e);
        }
    }

    private static void error(Options o) throws UsageException, Failed {
        String name = o.str("region");
        String c = o.str("case");
        String status = Status.name(Status.OK);
        try {
            switch (c) {
                case "too_large":
                    try (Region r = setup("open", () -> Region.open(name));
                         Producer p = setup("producer open", () -> r.openProducer(ProducerType.SPSC))) {
                        p.publish(payload(0, 0, 65));
                    }
                    break;
                case "buffer_too_small":
                    try (Region r = setup("open", () -> Region.open(name));
                         Consumer cons = setup("consumer open", () -> r.openConsumer(0));
                         Producer p = setup("producer open", () -> r.openProducer(ProducerType.SPSC))) {
                        setup("publish", () -> {
                            p.publish(payload(0, 0, 10));
                            return null;
                        });
                        cons.recv(new byte[4], Duration.ofSeconds(1));
                    }
                    break;
                case "wrong_kind":
                    try (Region r = setup("open", () -> Region.open(name))) {
                        r.openRouter().close();
                    }
                    break;
                case "newer_major":
                    Region.open(name).close();
                    break;
                case "not_ready":
                    Region.open(name, NOT_READY_TIMEOUT).close();
                    break;
                case "timeout":
                    try (Region r = setup("open", () -> Region.open(name));
                         Consumer cons = setup("consumer open", () -> r.openConsumer(0))) {
                        cons.recv(new byte[256], ERROR_TIMEOUT);
                    }
                    break;
                case "log_too_large":
                    try (Region r = setup("open", () -> Region.open(name));
                         Producer p = setup("producer open", () -> r.openProducer(ProducerType.SPSC))) {
                        p.publish(payload(0, 0, 65));
                    }
                    break;
                case "log_claim_too_large":
                    try (Region r = setup("open", () -> Region.open(name));
                         Producer p = setup("producer open", () -> r.openProducer(ProducerType.SPSC))) {
                        p.claim(65).close();
                    }
                    break;
                case "log_busy":
                    try (Region r = setup("open", () -> Region.open(name));
                         Producer p = setup("producer open", () -> r.openProducer(ProducerType.SPSC))) {
                        try (Producer second = r.openProducer(ProducerType.MPSC)) {
                            System.err.println("java agent: a second producer beside " + p.type()
                                    + ": " + second.type());
                        }
                    }
                    break;
                case "log_wait_timeout":
                    try (Region r = setup("open", () -> Region.open(name));
                         Producer p = setup("producer open", () -> r.openProducer(ProducerType.SPSC))) {
                        byte[] msg = payload(0, 0, 56);
                        int i = 0;
                        while (setup("filling the byte log", () -> p.offer(msg))) {
                            if (++i > 1_000_000) {
                                throw failStatus("filling the byte log", null, "it never filled");
                            }
                        }
                        p.publishWait(msg, ERROR_TIMEOUT);
                    }
                    break;
                case "stream_reader_busy":
                    try (Region r = setup("open", () -> Region.open(name))) {
                        StreamReader first = setup("reader open", r::openStreamReader);
                        try {
                            r.openStreamReader().release();
                        } finally {
                            first.release(); // hand over: leaves no READER_GONE behind
                        }
                    }
                    break;
                case "stream_reader_gone":
                    try (Region r = setup("open", () -> Region.open(name));
                         StreamWriter w = setup("writer open", r::openStreamWriter)) {
                        setup("reader close", () -> {
                            r.openStreamReader().close();
                            return null;
                        });
                        w.tryWrite(streamBytes(0, 0, 1));
                    }
                    break;
                case "stream_ended":
                    try (Region r = setup("open", () -> Region.open(name))) {
                        setup("writer close", () -> {
                            r.openStreamWriter().close();
                            return null;
                        });
                        r.openStreamWriter().close();
                    }
                    break;
                case "stream_read_timeout":
                    try (Region r = setup("open", () -> Region.open(name))) {
                        StreamWriter w = setup("writer open", r::openStreamWriter); // stays, silent
                        try (StreamReader rd = setup("reader open", r::openStreamReader)) {
                            rd.read(new byte[1024], 0, 1024, ERROR_TIMEOUT);
                        } finally {
                            w.close();
                        }
                    }
                    break;
                case "stream_write_timeout":
                    try (Region r = setup("open", () -> Region.open(name));
                         StreamWriter w = setup("writer open", r::openStreamWriter)) {
                        for (long at = 0;; at += 1000) {
                            if (at >= 1_000_000) {
                                throw failStatus("write_all", null, "the stream never filled");
                            }
                            try {
                                w.write(streamBytes(0, at, 1000), 0, 1000, ERROR_TIMEOUT);
                            } catch (StreamWriteTimeoutException e) {
                                if (e.bytesWritten() != 0) { // at most max_record: all or none
                                    throw failStatus("write_all", null,
                                            "half-written: " + e.bytesWritten() + " of 1000");
                                }
                                throw e;
                            }
                        }
                    }
                case "rpc_wrong_kind":
                    try (Region r = setup("open", () -> Region.open(name))) {
                        r.openRpcClient().close();
                    }
                    break;
                case "rpc_too_large":
                    try (Region r = setup("open", () -> Region.open(name));
                         RpcClient cl = setup("client open", r::openRpcClient)) {
                        cl.request(payload(0, 0, 65));
                    }
                    break;
                case "rpc_second_reply":
                    try (Region r = setup("open", () -> Region.open(name));
                         RpcClient cl = setup("client open", r::openRpcClient);
                         RpcServer sv = setup("server open", r::openRpcServer)) {
                        setup("request", () -> cl.request(payload(0, 0, 8)));
                        RpcRequest q = setup("serve", () -> sv.serve(Duration.ofSeconds(1)));
                        byte[] reply = replyFor(q.bytes());
                        setup("first reply", () -> {
                            q.reply(reply);
                            return null;
                        });
                        sv.reply(q.token(), reply);
                    }
                    break;
                case "rpc_wait_timeout":
                    try (Region r = setup("open", () -> Region.open(name));
                         RpcClient cl = setup("client open", r::openRpcClient)) {
                        long t = setup("request", () -> cl.request(payload(0, 0, 8)));
                        cl.awaitReply(t, ERROR_TIMEOUT);
                    }
                    break;
                case "rpc_no_server":
                    try (Region r = setup("open", () -> Region.open(name))) {
                        setup("server close", () -> {
                            r.openRpcServer().close();
                            return null;
                        });
                        try (RpcClient cl = setup("client open", r::openRpcClient)) {
                            cl.request(payload(0, 0, 8));
                        }
                    }
                    break;
                default:
                    throw new UsageException("unknown error case \"" + c + "\"");
            }
        } catch (Setup e) {
            throw fail(e.op, e.getCause());
        } catch (IndexBusException e) {
            status = e.statusName();
        }
        emit("ev", "error", "case", c, "status", status);
    }

    private static void unlink(Options o) throws Failed {
        try {
            Region.unlink(o.str("region"));
        } catch (IndexBusException e) {
            throw fail("unlink", e);
        }
        emit("ev", "unlinked");
    }

    // ---- golden ---------------------------------------------------------------------------

    /** Runs the op list args[o.next..], each op a word and its options (PROTOCOL.md). */
    private static void golden(Options o, String[] args) throws Failed, UsageException {
        String path = o.str("region");
        Region region = null;
        Map<String, AutoCloseable> handles = new LinkedHashMap<>(); // opening order
        Map<String, ArrayDeque<Long>> tokens = new HashMap<>(); // a client's outstanding requests
        Map<String, ArrayDeque<Object[]>> held = new HashMap<>(); // a server's: {token, reply}
        String where = "golden";
        try {
            int slot = 0;
            boolean isLog = false;
            for (int i = 0, a = o.next; a < args.length; i++) {
                String kind = args[a];
                where = "op " + i + " (" + kind + ")";
                if (!SPECS.containsKey("golden " + kind)) {
                    throw new UsageException("golden: unknown op \"" + kind + "\"");
                }
                Options op = parse("golden " + kind, args, a + 1);
                a = op.next;
                String name = op.str("name");
                switch (kind) {
                    case "create": {
                        region = Region.create(path, config(op));
                        RegionInfo info = region.info();
                        slot = maxMessage(info);
                        isLog = info.kind() == RegionKind.LOG;
                        break;
                    }
                    case "producer":
                    case "router":
                    case "consumer": {
                        if (region == null || handles.containsKey(name)) {
                            throw failStatus(where, null, "no region, or handle name in use: " + name);
                        }
                        AutoCloseable h;
                        if (kind.equals("producer")) {
                            h = region.openProducer(producerType(op.str("type")));
                        } else if (kind.equals("router")) {
                            h = region.openRouter();
                        } else {
                            h = region.openConsumer((int) op.num("index", 0));
                        }
                        handles.put(name, h);
                        break;
                    }
                    case "publish": {
                        Producer p = (Producer) handles.get(name);
                        if (p == null) {
                            throw failStatus(where, null, "no such producer");
                        }
                        int[] sizes = parseSizes(op.str("sizes"));
                        PubMode m = new PubMode();
                        m.zeroCopy = op.flag("zero-copy");
                        m.batch = (int) op.num("batch", 0);
                        m.isLog = isLog;
                        if (op.has("batch") && m.batch == 0) {
                            throw new UsageException("--batch must be at least 1");
                        }
                        if (m.zeroCopy && m.batch > 0 && !isLog) {
                            throw new UsageException("golden: --zero-copy with --batch is for byte logs only");
                        }
                        publishRange(p, op.num("producer", 0), op.num("from", 0), op.num("count", 0),
                                sizes, m, new long[1], new String[1]);
                        break;
                    }
                    case "route": {
                        Router r = (Router) handles.get(name);
                        if (r == null) {
                            throw failStatus(where, null, "no such router");
                        }
                        RouteMode mode = routeMode(op.str("mode"));
                        RouteSource src = routeSource(op.str("source"));
                        long count = op.num("count", 0);
                        for (long c = 0; c < count; c++) {
                            RouteOutcome out = r.routeOnce(src, mode);
                            if (out != RouteOutcome.ROUTED) {
                                int st = out == RouteOutcome.EMPTY ? Status.EMPTY : Status.FULL;
                                throw failStatus(where, Status.name(st), "route once: " + out);
                            }
                        }
                        break;
                    }
                    case "recv": {
                        Consumer cons = (Consumer) handles.get(name);
                        if (cons == null) {
                            throw failStatus(where, null, "no such consumer");
                        }
                        long count = op.num("count", 0);
                        byte[] buf = new byte[Math.max(slot, 1)];
                        for (long c = 0; c < count; c++) {
                            if (op.flag("borrow")) {
                                if (cons.recvBegin() == null) {
                                    throw failStatus(where, Status.name(Status.EMPTY), "recv begin: empty");
                                }
                                cons.recvEnd();
                            } else if (cons.tryRecv(buf) < 0) {
                                throw failStatus(where, Status.name(Status.EMPTY), "try recv: empty");
                            }
                        }
                        break;
                    }
                    case "writer":
                    case "reader":
                    case "client":
                    case "server": {
                        if (region == null || handles.containsKey(name)) {
                            throw failStatus(where, null, "no region, or handle name in use: " + name);
                        }
                        AutoCloseable h;
                        if (kind.equals("writer")) {
                            h = region.openStreamWriter();
                        } else if (kind.equals("reader")) {
                            h = region.openStreamReader();
                        } else if (kind.equals("client")) {
                            h = region.openRpcClient();
                        } else {
                            h = region.openRpcServer();
                        }
                        handles.put(name, h);
                        tokens.put(name, new ArrayDeque<>());
                        held.put(name, new ArrayDeque<>());
                        break;
                    }
                    case "write": {
                        StreamWriter w = (StreamWriter) handles.get(name);
                        if (w == null) {
                            throw failStatus(where, null, "no such writer");
                        }
                        long wid = op.num("writer", 0), at = op.num("from", 0), n = op.num("bytes", 0);
                        long chunk = op.num("chunk", Math.max(n, 1)), end = at + n;
                        boolean some = someMode(op);
                        if (chunk == 0) {
                            throw new UsageException("golden: --chunk must be at least 1");
                        }
                        String[] what = {where};
                        while (at < end) {
                            int len = (int) Math.min(chunk, end - at);
                            streamPut(w, streamBytes(wid, at, len), some, at, Duration.ZERO, false, what);
                            at += len;
                        }
                        break;
                    }
                    case "read": {
                        StreamReader rd = (StreamReader) handles.get(name);
                        if (rd == null) {
                            throw failStatus(where, null, "no such reader");
                        }
                        long n = op.num("bytes", 0);
                        int rs = (int) op.num("read-size", 65536);
                        if (rs == 0) {
                            throw new UsageException("golden: --read-size must be at least 1");
                        }
                        byte[] buf = new byte[rs];
                        for (long got = 0; got < n;) {
                            int k = rd.tryRead(buf, 0, (int) Math.min(rs, n - got));
                            if (k <= 0) {
                                int st = k == 0 ? Status.EMPTY : Status.DISCONNECTED;
                                throw failStatus(where, Status.name(st), "read after " + got + " bytes");
                            }
                            got += k;
                        }
                        break;
                    }
                    case "release": {
                        AutoCloseable h = handles.get(name);
                        if (!(h instanceof StreamReader)) {
                            throw failStatus(where, null, "no such reader");
                        }
                        handles.remove(name);
                        ((StreamReader) h).release();
                        break;
                    }
                    case "request": {
                        RpcClient cl = (RpcClient) handles.get(name);
                        if (cl == null) {
                            throw failStatus(where, null, "no such client");
                        }
                        int[] sizes = parseSizes(op.str("sizes"));
                        long cid = op.num("client", 0), from = op.num("from", 0), count = op.num("count", 0);
                        for (long k = from; k < from + count; k++) {
                            int size = sizes[(int) (k % sizes.length)];
                            long t;
                            if (op.flag("zero-copy")) {
                                ByteBuffer b = cl.claim(size);
                                b.put(0, payload(cid, k, size)); // written in place
                                t = cl.send(size);
                            } else {
                                t = cl.request(payload(cid, k, size));
                            }
                            tokens.get(name).add(t);
                        }
                        break;
                    }
                    case "serve":
                    case "reply": {
                        RpcServer sv = (RpcServer) handles.get(name);
                        if (sv == null) {
                            throw failStatus(where, null, "no such server");
                        }
                        long count = op.num("count", 0);
                        for (long c = 0; c < count; c++) {
                            if (kind.equals("reply")) {
                                Object[] h = held.get(name).poll();
                                if (h == null) {
                                    throw failStatus(where, null, "no held request");
                                }
                                long t = (Long) h[0];
                                byte[] reply = (byte[]) h[1];
                                if (op.flag("zero-copy")) {
                                    sv.replyBuffer(t).put(0, reply);
                                    sv.replyCommit(t, reply.length);
                                } else {
                                    sv.reply(t, reply);
                                }
                                continue;
                            }
                            RpcRequest q = sv.tryServe();
                            if (q == null) {
                                throw failStatus(where, Status.name(Status.EMPTY), "serve: none waiting");
                            }
                            if (op.flag("hold")) {
                                held.get(name).add(new Object[] {q.token(), replyFor(q.bytes())});
                            } else {
                                answer(q, op.flag("zero-copy"));
                            }
                        }
                        break;
                    }
                    case "wait":
                    case "cancel": {
                        RpcClient cl = (RpcClient) handles.get(name);
                        if (cl == null) {
                            throw failStatus(where, null, "no such client");
                        }
                        long count = op.num("count", 0);
                        for (long c = 0; c < count; c++) {
                            Long t = tokens.get(name).poll();
                            if (t == null) {
                                throw failStatus(where, null, "no outstanding request");
                            }
                            if (kind.equals("cancel")) {
                                cl.cancel(t);
                            } else {
                                cl.awaitReply(t, Duration.ZERO);
                                cl.replyDone(t);
                            }
                        }
                        break;
                    }
                    default: { // close
                        AutoCloseable h = handles.remove(name);
                        if (h == null) {
                            throw failStatus(where, null, "no open handle " + name);
                        }
                        h.close();
                        break;
                    }
                }
            }
            where = "close";
            closeAll(handles, region);
            region = null;
        } catch (IndexBusException e) {
            throw fail(where, e);
        } catch (UsageException | Failed e) {
            throw e;
        } catch (ClassCastException e) {
            throw failStatus(where, null, "bad scenario: " + e);
        } catch (Exception e) {
            throw fail(where, e);
        } finally {
            if (region != null) {
                try {
                    closeAll(handles, region);
                } catch (Exception ignored) {
                    // already failing
                }
            }
        }
        emit("ev", "done");
    }

    /** Closes the handles in reverse opening order, then the region. */
    private static void closeAll(Map<String, AutoCloseable> handles, Region region) throws Exception {
        List<AutoCloseable> open = new ArrayList<>(handles.values());
        handles.clear();
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (region != null) {
            region.close();
        }
    }

    // ---- main -----------------------------------------------------------------------------

    private static final String USAGE =
            "usage: io.indexbus.conformance.Agent <command> --region NAME [options]\n"
            + "commands: create produce route consume stream-write stream-read serve request error golden\n"
            + "unlink (see conformance/PROTOCOL.md)";

    public static void main(String[] args) {
        int code = run(args);
        OUT.flush();
        System.err.flush();
        System.exit(code);
    }

    private static int run(String[] args) {
        if (args.length == 0) {
            System.err.println(USAGE);
            return 2;
        }
        try {
            Options o = parse(args[0], args, 1);
            if (o.next < args.length && !args[0].equals("golden")) {
                throw new UsageException("unexpected argument \"" + args[o.next] + "\"");
            }
            switch (args[0]) {
                case "create":
                    create(o);
                    break;
                case "produce":
                    produce(o);
                    break;
                case "route":
                    route(o);
                    break;
                case "consume":
                    consume(o);
                    break;
                case "stream-write":
                    streamWrite(o);
                    break;
                case "stream-read":
                    streamRead(o);
                    break;
                case "serve":
                    serve(o);
                    break;
                case "request":
                    request(o);
                    break;
                case "error":
                    error(o);
                    break;
                case "golden":
                    golden(o, args);
                    break;
                case "unlink":
                    unlink(o);
                    break;
                default:
                    throw new UsageException("unknown command \"" + args[0] + "\"");
            }
            return 0;
        } catch (UsageException e) {
            System.err.println("java agent: " + e.getMessage());
            System.err.println(USAGE);
            return 2;
        } catch (Failed e) {
            return 1;
        } catch (RuntimeException e) {
            fail(args[0], e);
            return 1;
        }
    }
}
