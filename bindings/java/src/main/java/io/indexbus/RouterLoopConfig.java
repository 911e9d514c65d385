package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbus_router_loop_config;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings for {@link Router#run(RouterLoopConfig)}: source, mode, whether to return once
 * the producers are gone, and the idle strategy (spin, then yield, then park). Zero idle
 * settings mean the library defaults. Immutable; see {@link #builder()}.
 */
public final class RouterLoopConfig {
    private final RouteSource source;
    private final RouteMode mode;
    private final boolean exitOnDisconnect;
    private final int spinIterations;
    private final int yieldIterations;
    private final Duration park;

    private RouterLoopConfig(Builder b) {
        source = b.source;
        mode = b.mode;
        exitOnDisconnect = b.exitOnDisconnect;
        spinIterations = b.spinIterations;
        yieldIterations = b.yieldIterations;
        park = b.park;
    }

    /** Broadcast from both producer queues until stopped, default idle strategy. */
    public static RouterLoopConfig defaults() {
        return builder().build();
    }

    /** A builder starting from {@link #defaults()}. */
    public static Builder builder() {
        return new Builder();
    }

    /** The producer queue(s) to route from. */
    public RouteSource source() {
        return source;
    }

    /** Broadcast or work queue. */
    public RouteMode mode() {
        return mode;
    }

    /** Whether the loop returns once every producer has closed and the queues are drained. */
    public boolean exitOnDisconnect() {
        return exitOnDisconnect;
    }

    /** Idle busy polls before yielding; 0 = default. */
    public int spinIterations() {
        return spinIterations;
    }

    /** Idle {@code sched_yield} polls before parking; 0 = default. */
    public int yieldIterations() {
        return yieldIterations;
    }

    /** Longest idle park before re-checking stop; zero = default. */
    public Duration park() {
        return park;
    }

    void applyTo(indexbus_router_loop_config c) {
        c.setSource(source.code());
        c.setMode(mode.code());
        c.setFlags(exitOnDisconnect ? indexbus.INDEXBUS_ROUTER_EXIT_ON_DISCONNECT : 0);
        c.setSpin_iters(spinIterations);
        c.setYield_iters(yieldIterations);
        c.setPark_ns(Durations.toNanos(park));
    }

    /** Builds a {@link RouterLoopConfig}. */
    public static final class Builder {
        private RouteSource source = RouteSource.ANY;
        private RouteMode mode = RouteMode.BROADCAST;
        private boolean exitOnDisconnect;
        private int spinIterations;
        private int yieldIterations;
        private Duration park = Duration.ZERO;

        private Builder() {
        }

        /** Producer queue(s) to route from; default {@link RouteSource#ANY}. */
        public Builder source(RouteSource s) {
            source = Objects.requireNonNull(s, "source");
            return this;
        }

        /** Broadcast (default) or work queue. */
        public Builder mode(RouteMode m) {
            mode = Objects.requireNonNull(m, "mode");
            return this;
        }

        /** Return once producers are gone and drained (run reports it as disconnected). */
        public Builder exitOnDisconnect(boolean on) {
            exitOnDisconnect = on;
            return this;
        }

        /** Idle busy polls before yielding; 0 = default. */
        public Builder spinIterations(int n) {
            spinIterations = nonNegative(n, "spinIterations");
            return this;
        }

        /** Idle yields before parking; 0 = default. */
        public Builder yieldIterations(int n) {
            yieldIterations = nonNegative(n, "yieldIterations");
            return this;
        }

        /** Longest idle park before re-checking stop; zero = default (10 ms). */
        public Builder park(Duration d) {
            park = Objects.requireNonNull(d, "park");
            return this;
        }

        /** The configuration. */
        public RouterLoopConfig build() {
            return new RouterLoopConfig(this);
        }

        private static int nonNegative(int n, String what) {
            if (n < 0) {
                throw new IllegalArgumentException(what + " must be >= 0: " + n);
            }
            return n;
        }
    }
}
