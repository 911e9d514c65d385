package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbus_region_config;
import java.util.Objects;

/**
 * Geometry and options for {@link Region#create(String, RegionConfig)}. Immutable; build one
 * with {@link #builder(RegionKind)}, or take the defaults with {@link #events()},
 * {@link #fanout(int)} or {@link #log(long)}. A value of 0 means "library default" (slots of
 * 256 bytes: events 2048, fanout 1024; a queue of 1024, or as deep as the slot count when
 * that is set, so default events regions recycle SPSC slots; 1 events consumer or 4 fanout
 * consumers, file mode 0600; a byte log of 1 MiB with records of up to 64 KiB). The
 * library validates the geometry: slot and queue counts are powers of two, the slot data
 * size a multiple of 8 between 64 bytes and 1 MiB, fanout has 1..64 consumers; a byte log's
 * ring is a power of two between 4 KiB and 1 GiB and its max record at most half of it
 * minus 8. A byte log has no slots (leave the slot settings 0) and only byte logs and
 * streams take {@link Builder#byteCapacity(long)} and {@link Builder#maxRecord(int)}. A
 * request/response region ({@link #rpc(int, int, int)}) is sized by its cells, largest request
 * and largest reply only.
 */
public final class RegionConfig {
    private final RegionKind kind;
    private final int slotCount;
    private final int slotDataSize;
    private final int queueCapacity;
    private final int consumerCount;
    private final int mode;
    private final boolean prefault;
    private final boolean recycle;
    private final boolean mpscBatch;
    private final long byteCapacity;
    private final int maxRecord;
    private final int cells;
    private final int maxRequest;
    private final int maxReply;

    private RegionConfig(Builder b) {
        kind = b.kind;
        slotCount = b.slotCount;
        slotDataSize = b.slotDataSize;
        queueCapacity = b.queueCapacity;
        consumerCount = b.consumerCount;
        mode = b.mode;
        prefault = b.prefault;
        recycle = b.recycle;
        mpscBatch = b.mpscBatch;
        byteCapacity = b.byteCapacity;
        maxRecord = b.maxRecord;
        cells = b.cells;
        maxRequest = b.maxRequest;
        maxReply = b.maxReply;
    }

    /** An events region with the library defaults. */
    public static RegionConfig events() {
        return builder(RegionKind.EVENTS).build();
    }

    /** A fanout region with {@code consumers} consumer queues and otherwise the defaults. */
    public static RegionConfig fanout(int consumers) {
        return builder(RegionKind.FANOUT).consumerCount(consumers).build();
    }

    /**
     * A byte log of {@code byteCapacity} ring bytes (a power of two, 4 KiB..1 GiB; 0 = 1 MiB)
     * with the default max record (64 KiB, or half the ring minus 8 if that is less).
     */
    public static RegionConfig log(long byteCapacity) {
        return builder(RegionKind.LOG).byteCapacity(byteCapacity).build();
    }

    /**
     * A byte stream of {@code byteCapacity} ring bytes (a power of two, 4 KiB..1 GiB; 0 = 1
     * MiB) with the default max record (64 KiB, or half the ring minus 8 if that is less): the
     * most one write keeps in one piece.
     */
    public static RegionConfig stream(long byteCapacity) {
        return builder(RegionKind.STREAM).byteCapacity(byteCapacity).build();
    }

    /**
     * A request/response region of {@code cells} reply cells (1..4096; 0 = 64), requests of up
     * to {@code maxRequest} and replies of up to {@code maxReply} bytes (8 bytes..16 MiB each;
     * 0 = 4096).
     */
    public static RegionConfig rpc(int cells, int maxRequest, int maxReply) {
        return builder(RegionKind.RPC).cells(cells).maxRequest(maxRequest).maxReply(maxReply).build();
    }

    /** A builder for a region of the given kind, every other setting at its default. */
    public static Builder builder(RegionKind kind) {
        return new Builder(kind);
    }

    /** The region kind. */
    public RegionKind kind() {
        return kind;
    }

    /** Slots in the pool (power of two), 0 = default. */
    public int slotCount() {
        return slotCount;
    }

    /** Bytes per slot, i.e. the largest message, 0 = default. */
    public int slotDataSize() {
        return slotDataSize;
    }

    /** Capacity of each index queue (power of two), 0 = slot count. */
    public int queueCapacity() {
        return queueCapacity;
    }

    /** Consumers (events: 1; fanout: 1..64), 0 = default. */
    public int consumerCount() {
        return consumerCount;
    }

    /** File mode of the region (e.g. {@code 0660}), 0 = 0600. */
    public int mode() {
        return mode;
    }

    /** Whether every page is touched at creation. */
    public boolean prefault() {
        return prefault;
    }

    /** Whether the region recycles slots through its queue cells (layout 1.3). */
    public boolean recycle() {
        return recycle;
    }

    /** Whether MPSC producers reserve a whole batch's queue cells at once (layout 1.3). */
    public boolean mpscBatch() {
        return mpscBatch;
    }

    /** Byte logs and streams: ring bytes, 0 = default (1 MiB); 0 for other kinds. */
    public long byteCapacity() {
        return byteCapacity;
    }

    /** Byte logs and streams: the largest record payload, 0 = default; 0 for other kinds. */
    public int maxRecord() {
        return maxRecord;
    }

    /** Request/response: reply cells, 0 = default (64); 0 for other kinds. */
    public int cells() {
        return cells;
    }

    /** Request/response: the largest request, 0 = default (4096); 0 for other kinds. */
    public int maxRequest() {
        return maxRequest;
    }

    /** Request/response: the largest reply, 0 = default (4096); 0 for other kinds. */
    public int maxReply() {
        return maxReply;
    }

    /** The {@code INDEXBUS_CREATE_*} flags this configuration asks for. */
    private long flags() {
        return (prefault ? indexbus.INDEXBUS_CREATE_PREFAULT : 0)
                | (recycle ? indexbus.INDEXBUS_CREATE_RECYCLE : 0)
                | (mpscBatch ? indexbus.INDEXBUS_CREATE_MPSC_BATCH : 0);
    }

    void applyTo(indexbus_region_config c) {
        c.setKind(kind.code());
        if (kind == RegionKind.RPC) {
            // the C config's slot count, slot data size and max record are the cells, the
            // largest request and the largest reply (0: the library's defaults)
            c.setSlot_count(cells);
            c.setSlot_data_size(maxRequest);
            c.setQueue_capacity(queueCapacity);
            c.setConsumer_count(consumerCount);
            c.setMode(mode);
            c.setFlags(flags());
            c.setMax_record(maxReply);
            c.setByte_capacity(byteCapacity);
            return;
        }
        c.setSlot_count(slotCount);
        c.setSlot_data_size(slotDataSize);
        c.setQueue_capacity(queueCapacity);
        c.setConsumer_count(consumerCount);
        c.setMode(mode);
        c.setFlags(flags());
        // read by the library for byte logs and streams only (the struct has its 1.1 size)
        c.setMax_record(maxRecord);
        c.setByte_capacity(byteCapacity);
    }

    @Override
    public String toString() {
        return "RegionConfig{kind=" + kind + ", slotCount=" + slotCount + ", slotDataSize="
                + slotDataSize + ", queueCapacity=" + queueCapacity + ", consumerCount="
                + consumerCount + ", mode=0" + Integer.toOctalString(mode) + ", prefault="
                + prefault + (recycle ? ", recycle=true" : "")
                + (mpscBatch ? ", mpscBatch=true" : "") + (kind == RegionKind.LOG || kind == RegionKind.STREAM
                        ? ", byteCapacity=" + byteCapacity + ", maxRecord=" + maxRecord : "")
                + (kind == RegionKind.RPC ? ", cells=" + cells + ", maxRequest=" + maxRequest
                        + ", maxReply=" + maxReply : "") + "}";
    }

    /** Builds a {@link RegionConfig}. Values are checked by the library at creation. */
    public static final class Builder {
        private final RegionKind kind;
        private int slotCount;
        private int slotDataSize;
        private int queueCapacity;
        private int consumerCount;
        private int mode;
        private boolean prefault;
        private boolean recycle;
        private boolean mpscBatch;
        private long byteCapacity;
        private int maxRecord;
        private int cells;
        private int maxRequest;
        private int maxReply;

        private Builder(RegionKind kind) {
            this.kind = Objects.requireNonNull(kind, "kind");
        }

        /** Slots in the pool: a power of two, 2..2^20; 0 = 1024. */
        public Builder slotCount(int n) {
            slotCount = nonNegative(n, "slotCount");
            return this;
        }

        /** Bytes per slot: a multiple of 8, 64..2^20; 0 = 256. */
        public Builder slotDataSize(int n) {
            slotDataSize = nonNegative(n, "slotDataSize");
            return this;
        }

        /** Capacity of each index queue: a power of two; 0 = slot count. */
        public Builder queueCapacity(int n) {
            queueCapacity = nonNegative(n, "queueCapacity");
            return this;
        }

        /** Consumers: events 1, fanout 1..64; 0 = default (1 or 4). */
        public Builder consumerCount(int n) {
            consumerCount = nonNegative(n, "consumerCount");
            return this;
        }

        /** File mode bits (e.g. {@code 0660}); 0 = 0600. */
        public Builder mode(int bits) {
            mode = nonNegative(bits, "mode");
            return this;
        }

        /** Touch every page at creation. */
        public Builder prefault(boolean on) {
            prefault = on;
            return this;
        }

        /**
         * Events and fanout: recycle slots through the queue cells instead of the slot pool
         * ({@code INDEXBUS_CREATE_RECYCLE}, layout 1.3): a fanout region's consumers hand
         * slots back to the SPSC producer through the router ({@link RegionInfo#fanoutRecycle()}),
         * an events region's MPSC slots recycle through the MPSC cells
         * ({@link RegionInfo#mpscRecycle()}). Needs a slot count at least twice the queue
         * capacity; other kinds refuse it ({@link IndexBusException} with
         * {@link Status#INVALID_ARGUMENT}).
         */
        public Builder recycle(boolean on) {
            recycle = on;
            return this;
        }

        /**
         * Events and fanout: MPSC producers reserve the queue cells of a whole batch at once
         * ({@code INDEXBUS_CREATE_MPSC_BATCH}, layout 1.3; {@link RegionInfo#mpscBatch()});
         * other kinds refuse it ({@link IndexBusException} with
         * {@link Status#INVALID_ARGUMENT}).
         */
        public Builder mpscBatch(boolean on) {
            mpscBatch = on;
            return this;
        }

        /** Byte logs and streams: ring bytes, a power of two, 4 KiB..1 GiB; 0 = 1 MiB. */
        public Builder byteCapacity(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("byteCapacity must be >= 0: " + bytes);
            }
            byteCapacity = bytes;
            return this;
        }

        /**
         * Byte logs and streams: the largest record payload, at most
         * {@code byteCapacity / 2 - 8}; 0 = 64 KiB, or that bound if it is less. A stream keeps
         * one write of at most this many bytes in one piece.
         */
        public Builder maxRecord(int bytes) {
            maxRecord = nonNegative(bytes, "maxRecord");
            return this;
        }

        /** Request/response: reply cells, 1..4096; 0 = 64. */
        public Builder cells(int n) {
            cells = nonNegative(n, "cells");
            return this;
        }

        /** Request/response: the largest request, 8 bytes..16 MiB; 0 = 4096. */
        public Builder maxRequest(int bytes) {
            maxRequest = nonNegative(bytes, "maxRequest");
            return this;
        }

        /** Request/response: the largest reply, 8 bytes..16 MiB; 0 = 4096. */
        public Builder maxReply(int bytes) {
            maxReply = nonNegative(bytes, "maxReply");
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalArgumentException if {@code byteCapacity} or {@code maxRecord} is set
         *                                  for a kind other than {@link RegionKind#LOG} or
         *                                  {@link RegionKind#STREAM}, {@code cells},
         *                                  {@code maxRequest} or {@code maxReply} for a kind
         *                                  other than {@link RegionKind#RPC}, or slot settings
         *                                  for {@link RegionKind#RPC}
         */
        public RegionConfig build() {
            if (kind != RegionKind.LOG && kind != RegionKind.STREAM
                    && (byteCapacity != 0 || maxRecord != 0)) {
                throw new IllegalArgumentException(
                        "byteCapacity and maxRecord apply to byte logs and streams only");
            }
            if (kind != RegionKind.RPC && (cells != 0 || maxRequest != 0 || maxReply != 0)) {
                throw new IllegalArgumentException(
                        "cells, maxRequest and maxReply apply to request/response regions only");
            }
            if (kind == RegionKind.RPC && (slotCount != 0 || slotDataSize != 0)) {
                throw new IllegalArgumentException(
                        "a request/response region is sized by cells, maxRequest and maxReply");
            }
            return new RegionConfig(this);
        }

        private static int nonNegative(int n, String what) {
            if (n < 0) {
                throw new IllegalArgumentException(what + " must be >= 0: " + n);
            }
            return n;
        }
    }
}
