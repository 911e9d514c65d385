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
 * minus 8. A byte log has no slots (leave the slot settings 0) and only byte logs take
 * {@link Builder#byteCapacity(long)} and {@link Builder#maxRecord(int)}.
 */
public final class RegionConfig {
    private final RegionKind kind;
    private final int slotCount;
    private final int slotDataSize;
    private final int queueCapacity;
    private final int consumerCount;
    private final int mode;
    private final boolean prefault;
    private final long byteCapacity;
    private final int maxRecord;

    private RegionConfig(Builder b) {
        kind = b.kind;
        slotCount = b.slotCount;
        slotDataSize = b.slotDataSize;
        queueCapacity = b.queueCapacity;
        consumerCount = b.consumerCount;
        mode = b.mode;
        prefault = b.prefault;
        byteCapacity = b.byteCapacity;
        maxRecord = b.maxRecord;
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

    /** Byte logs: ring bytes, 0 = default (1 MiB); 0 for other kinds. */
    public long byteCapacity() {
        return byteCapacity;
    }

    /** Byte logs: the largest record payload, 0 = default; 0 for other kinds. */
    public int maxRecord() {
        return maxRecord;
    }

    void applyTo(indexbus_region_config c) {
        c.setKind(kind.code());
        c.setSlot_count(slotCount);
        c.setSlot_data_size(slotDataSize);
        c.setQueue_capacity(queueCapacity);
        c.setConsumer_count(consumerCount);
        c.setMode(mode);
        c.setFlags(prefault ? indexbus.INDEXBUS_CREATE_PREFAULT : 0);
        // read by the library for byte logs only (the struct has its 1.1 size)
        c.setMax_record(maxRecord);
        c.setByte_capacity(byteCapacity);
    }

    @Override
    public String toString() {
        return "RegionConfig{kind=" + kind + ", slotCount=" + slotCount + ", slotDataSize="
                + slotDataSize + ", queueCapacity=" + queueCapacity + ", consumerCount="
                + consumerCount + ", mode=0" + Integer.toOctalString(mode) + ", prefault="
                + prefault + (kind == RegionKind.LOG ? ", byteCapacity=" + byteCapacity
                        + ", maxRecord=" + maxRecord : "") + "}";
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
        private long byteCapacity;
        private int maxRecord;

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

        /** Byte logs: ring bytes, a power of two, 4 KiB..1 GiB; 0 = 1 MiB. */
        public Builder byteCapacity(long bytes) {
            if (bytes < 0) {
                throw new IllegalArgumentException("byteCapacity must be >= 0: " + bytes);
            }
            byteCapacity = bytes;
            return this;
        }

        /**
         * Byte logs: the largest record payload, at most {@code byteCapacity / 2 - 8}; 0 = 64
         * KiB, or that bound if it is less.
         */
        public Builder maxRecord(int bytes) {
            maxRecord = nonNegative(bytes, "maxRecord");
            return this;
        }

        /**
         * The configuration.
         *
         * @throws IllegalArgumentException if {@code byteCapacity} or {@code maxRecord} is set
         *                                  for a kind other than {@link RegionKind#LOG}
         */
        public RegionConfig build() {
            if (kind != RegionKind.LOG && (byteCapacity != 0 || maxRecord != 0)) {
                throw new IllegalArgumentException(
                        "byteCapacity and maxRecord apply to byte logs (RegionKind.LOG) only");
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
