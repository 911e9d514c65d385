package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbus_consumer_stats;
import io.indexbus.internal.indexbus_info;
import io.indexbus.internal.indexbus_open_config;
import io.indexbus.internal.indexbus_region_config;
import java.time.Duration;
import java.util.Objects;

/**
 * A mapped IndexBus region, and the factory for its {@link Producer}s, {@link Consumer}s and
 * {@link Router}; for a byte stream its {@link StreamWriter}s and {@link StreamReader}, for a
 * request/response region its {@link RpcClient}s and {@link RpcServer}s.
 *
 * <p>Names: a name with no '/' after its first character ({@code "orders"} or
 * {@code "/orders"}) is POSIX shared memory; anything else ({@code "/dev/hugepages/x"},
 * {@code "./x"}) is a file path.
 *
 * <p>{@link #close()} drops this object's reference only: producers, consumers and routers
 * opened from it hold their own, so they keep working and the mapping lives until the last
 * of them is closed too. The name stays until {@link #unlink(String)}.
 *
 * <pre>{@code
 * try (Region region = Region.create("/orders", RegionConfig.events())) { ... }
 * }</pre>
 */
public final class Region extends NativeHandle {
    private final String name;

    private Region(long handle, String name) {
        super(handle, "region " + name);
        this.name = name;
    }

    /**
     * Creates a region exclusively and maps it.
     *
     * @throws ExistsException       if the name is taken
     * @throws IndexBusException     {@link Status#INVALID_ARGUMENT} for a bad geometry or name,
     *                               {@link Status#PERMISSION}, {@link Status#IO}, ...
     * @throws IncompatibleException if the native library does not match this binding
     */
    public static Region create(String name, RegionConfig config) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(config, "config");
        Version.ensureCompatible();
        indexbus_region_config c = new indexbus_region_config();
        try {
            config.applyTo(c);
            long[] out = new long[1];
            Status.check(indexbus.indexbus_region_create(name, c, out), "create region " + name);
            return new Region(out[0], name);
        } finally {
            c.delete();
        }
    }

    /**
     * Opens and validates an existing region, waiting up to 1 s for a creator that is still
     * initialising it.
     *
     * @throws NotFoundException     if there is no such region
     * @throws IncompatibleException if it is not an IndexBus region or has a newer layout major
     * @throws IndexBusException     {@link Status#NOT_READY}, {@link Status#CORRUPT}, ...
     */
    public static Region open(String name) {
        Objects.requireNonNull(name, "name");
        Version.ensureCompatible();
        long[] out = new long[1];
        Status.check(indexbus.indexbus_region_open(name, null, out), "open region " + name);
        return new Region(out[0], name);
    }

    /**
     * As {@link #open(String)}, waiting up to {@code readyTimeout} for a racing creator
     * ({@link Status#NOT_READY} after that).
     */
    public static Region open(String name, Duration readyTimeout) {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(readyTimeout, "readyTimeout");
        Version.ensureCompatible();
        indexbus_open_config c = new indexbus_open_config();
        try {
            c.setReady_timeout_ns(Durations.toNanos(readyTimeout));
            long[] out = new long[1];
            Status.check(indexbus.indexbus_region_open(name, c, out), "open region " + name);
            return new Region(out[0], name);
        } finally {
            c.delete();
        }
    }

    /**
     * Removes a region's name; processes that have it mapped keep working.
     *
     * @throws NotFoundException if there is no such region
     */
    public static void unlink(String name) {
        Objects.requireNonNull(name, "name");
        Version.ensureCompatible();
        Status.check(indexbus.indexbus_region_unlink(name), "unlink region " + name);
    }

    /** The name this region was created or opened with. */
    public String name() {
        return name;
    }

    /** A snapshot of geometry, counters and participants. */
    public RegionInfo info() {
        long h = handle();
        indexbus_info i = new indexbus_info();
        try {
            Status.check(indexbus.indexbus_region_info(h, i), "info of " + this);
            return new RegionInfo(
                    RegionKind.of(i.getKind()),
                    (int) i.getLayout_major(),
                    (int) i.getLayout_minor(),
                    i.getCapabilities(),
                    i.getTotal_bytes(),
                    (int) i.getSlot_count(),
                    (int) i.getSlot_data_size(),
                    (int) i.getQueue_capacity(),
                    (int) i.getConsumer_count(),
                    i.getCreator_pid(),
                    (int) i.getFree_slots(),
                    i.getCreation_time_ns(),
                    i.getPublished(),
                    i.getRouted(),
                    i.getRoute_no_space(),
                    (int) i.getProducers_live(),
                    (int) i.getConsumers_live(),
                    (int) i.getRouters_live(),
                    (int) i.getParticipants_live(),
                    i.getSpsc_depth(),
                    i.getMpsc_depth(),
                    i.getByte_capacity(),
                    (int) i.getMax_record(),
                    i.getBytes_used(),
                    i.getBytes_free(),
                    i.getBytes_padding(),
                    i.getRecords_waiting(),
                    (int) i.getStream_flags(),
                    (int) i.getStream_writers(),
                    (int) i.getWriters_aborted(),
                    i.getStream_bytes_read(),
                    (int) i.getRpc_cells(),
                    (int) i.getRpc_cells_free(),
                    (int) i.getMax_request(),
                    (int) i.getMax_reply(),
                    i.getRpc_replies_abandoned(),
                    i.getRpc_requests_failed());
        } finally {
            i.delete();
        }
    }

    /**
     * Counters of consumer {@code index}.
     *
     * @throws IndexBusException {@link Status#OUT_OF_RANGE} if {@code index >= consumerCount}
     */
    public ConsumerStats consumerStats(int index) {
        long h = handle();
        requireIndex(index);
        indexbus_consumer_stats s = new indexbus_consumer_stats();
        try {
            Status.check(indexbus.indexbus_region_consumer_stats(h, index, s),
                    "stats of consumer " + index + " of " + this);
            return new ConsumerStats(index, s.getAttached() != 0, s.getDelivered(),
                    s.getDropped_full(), s.getDropped_no_credit(), s.getDepth());
        } finally {
            s.delete();
        }
    }

    /**
     * Attaches a producer.
     *
     * @throws BusyException for a second {@link ProducerType#SPSC} producer, and on a byte log
     *                       for an SPSC producer next to MPSC ones or the other way round
     */
    public Producer openProducer(ProducerType type) {
        Objects.requireNonNull(type, "type");
        long[] out = new long[1];
        Status.check(indexbus.indexbus_producer_open(handle(), type.code(), out),
                "open " + type + " producer on " + this);
        return new Producer(out[0], type, name);
    }

    /** Attaches consumer 0, the only consumer of an events region or a byte log. */
    public Consumer openConsumer() {
        return openConsumer(0);
    }

    /**
     * Attaches consumer {@code index} (exclusive per index).
     *
     * @throws BusyException     if another handle holds that index
     * @throws IndexBusException {@link Status#OUT_OF_RANGE} if {@code index >= consumerCount}
     */
    public Consumer openConsumer(int index) {
        long h = handle();
        requireIndex(index);
        long[] out = new long[1];
        Status.check(indexbus.indexbus_consumer_open(h, index, out),
                "open consumer " + index + " on " + this);
        return new Consumer(out[0], index, name);
    }

    /**
     * Attaches the router of a fanout region (one per region).
     *
     * @throws IndexBusException {@link Status#WRONG_KIND} on an events region or a byte log
     * @throws BusyException     if another router is attached
     */
    public Router openRouter() {
        long[] out = new long[1];
        Status.check(indexbus.indexbus_router_open(handle(), out), "open router on " + this);
        return new Router(out[0], name);
    }

    // ---- byte streams ------------------------------------------------------------------

    /**
     * Joins a byte stream as a writer (up to 48 at once). The stream ends once every writer
     * has closed.
     *
     * @throws DisconnectedException if the stream has ended or its reader is gone
     * @throws BusyException         if 48 writers are attached
     * @throws IndexBusException     {@link Status#WRONG_KIND} if this is not a stream
     */
    public StreamWriter openStreamWriter() {
        long[] out = new long[1];
        Status.check(indexbus.indexbus_stream_writer_open(handle(), out),
                "open stream writer on " + this);
        return new StreamWriter(out[0], this);
    }

    /**
     * Takes the read end of a byte stream. A reader that attaches before any writer waits
     * for one.
     *
     * @throws BusyException         if a reader holds it
     * @throws DisconnectedException if a reader closed it (writes fail from then on)
     * @throws IndexBusException     {@link Status#WRONG_KIND} if this is not a stream
     */
    public StreamReader openStreamReader() {
        long[] out = new long[1];
        Status.check(indexbus.indexbus_stream_reader_open(handle(), out),
                "open stream reader on " + this);
        return new StreamReader(out[0], this);
    }

    /**
     * The latched state of a byte stream: whether every writer has left, whether the reader
     * has, and how many writers died or aborted. A reader that reached the end asks it whether
     * the stream ended cleanly ({@link StreamState#clean()}).
     *
     * @throws IndexBusException {@link Status#WRONG_KIND} if this is not a stream
     */
    public StreamState streamState() {
        long r = indexbus.ibj_stream_state(handle());
        if (r < 0) {
            throw Status.exception((int) -r, "stream state of " + this);
        }
        return new StreamState((int) r, (int) (r >>> 32));
    }

    // ---- request/response --------------------------------------------------------------

    /**
     * Attaches a request/response client (any number of them).
     *
     * @throws IndexBusException {@link Status#WRONG_KIND} if this is not a request/response
     *                           region
     */
    public RpcClient openRpcClient() {
        long[] out = new long[1];
        Status.check(indexbus.indexbus_rpc_client_open(handle(), out), "open rpc client on " + this);
        return new RpcClient(out[0], name);
    }

    /**
     * Attaches a request/response server. Several servers share the requests as a work queue.
     *
     * @throws IndexBusException {@link Status#WRONG_KIND} if this is not a request/response
     *                           region
     */
    public RpcServer openRpcServer() {
        long[] out = new long[1];
        Status.check(indexbus.indexbus_rpc_server_open(handle(), out), "open rpc server on " + this);
        return new RpcServer(out[0], name);
    }

    private static void requireIndex(int index) {
        if (index < 0) {
            throw new IllegalArgumentException("consumer index must be >= 0: " + index);
        }
    }

    @Override
    void release(long pointer) {
        indexbus.indexbus_region_close(pointer);
    }
}
