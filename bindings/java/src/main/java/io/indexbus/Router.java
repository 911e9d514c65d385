package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbus_route_result;
import io.indexbus.internal.indexbus_router_loop_config;
import java.util.Objects;

/**
 * Moves messages from a fanout region's producer queues to its consumer queues, one step
 * at a time ({@code routeOnce*}) or in a loop on the calling thread ({@link #run}) until
 * {@link #stop()}.
 *
 * <p>A message no consumer can take stays queued ({@link RouteOutcome#FULL}); nothing is
 * dropped for everyone. Exclusive: one router per region. Obtained from
 * {@link Region#openRouter()}.
 *
 * <p>Threads: {@link #stop()} may be called from any thread (and is a no-op once closed);
 * {@link #close()} from another thread stops a running loop and waits for it to return
 * before releasing the handle. Everything else belongs to one thread at a time, and the
 * single-step calls are refused while {@link #run} is active.
 */
public final class Router extends NativeHandle {
    /**
     * How a {@link #run} ended.
     *
     * @param routed       messages routed by this run
     * @param disconnected true if it returned because the producers were gone and drained
     *                     ({@link RouterLoopConfig#exitOnDisconnect()}), false if stopped
     */
    public record RunResult(long routed, boolean disconnected) {
    }

    private final indexbus_route_result result = new indexbus_route_result();
    private boolean running; // guarded by this

    Router(long handle, String region) {
        super(handle, "router on " + region);
    }

    // ---- single steps ------------------------------------------------------------------

    /** Routes one message from either producer queue, broadcasting it. */
    public RouteOutcome routeOnce() {
        return routeOnce(RouteSource.ANY, RouteMode.BROADCAST);
    }

    /** Routes one message. */
    public RouteOutcome routeOnce(RouteSource source, RouteMode mode) {
        int st = indexbus.indexbus_route_once(stepHandle(), source.code(), mode.code());
        return outcome(st, "routeOnce");
    }

    /** Routes one message and reports which consumers got it. */
    public RouteResult routeOnceStats(RouteSource source, RouteMode mode) {
        int st = indexbus.indexbus_route_once_stats(stepHandle(), source.code(), mode.code(), result);
        return result(outcome(st, "routeOnceStats"));
    }

    /**
     * Credit-aware step: only consumers in {@code eligibleMask}, not in {@code noCreditMask}
     * and not in {@code fullMask} are candidates; the others count as dropped (no credit or
     * full). Bit {@code i} stands for consumer {@code i}.
     */
    public RouteResult routeOnceCredit(RouteSource source, RouteMode mode, long eligibleMask,
                                       long noCreditMask, long fullMask) {
        int st = indexbus.indexbus_route_once_credit(stepHandle(), source.code(), mode.code(),
                eligibleMask, noCreditMask, fullMask, result);
        return result(outcome(st, "routeOnceCredit"));
    }

    private long stepHandle() {
        synchronized (this) {
            long h = handle();
            if (running) {
                throw new IllegalStateException(this + " is running its loop");
            }
            return h;
        }
    }

    private static RouteOutcome outcome(int status, String op) {
        switch (status) {
            case Status.OK:
                return RouteOutcome.ROUTED;
            case Status.EMPTY:
                return RouteOutcome.EMPTY;
            case Status.FULL:
                return RouteOutcome.FULL;
            default:
                throw Status.exception(status, op);
        }
    }

    private RouteResult result(RouteOutcome outcome) {
        return new RouteResult(outcome, (int) result.getDelivered(), (int) result.getDropped_full(),
                (int) result.getDropped_no_credit(), result.getDelivered_mask(),
                result.getDropped_full_mask(), result.getDropped_no_credit_mask());
    }

    // ---- loop --------------------------------------------------------------------------

    /**
     * Routes on the calling thread until {@link #stop()} is called (from another thread), or,
     * with {@link RouterLoopConfig#exitOnDisconnect()}, until every producer has closed and
     * the queues are drained. Idles by spinning, yielding, then parking on a futex.
     *
     * @throws IllegalStateException if the loop is already running
     */
    public RunResult run(RouterLoopConfig config) {
        Objects.requireNonNull(config, "config");
        long h;
        synchronized (this) {
            h = handle();
            if (running) {
                throw new IllegalStateException(this + " is already running");
            }
            running = true;
        }
        indexbus_router_loop_config c = new indexbus_router_loop_config();
        try {
            config.applyTo(c);
            int st = indexbus.indexbus_router_run(h, c);
            long routed = c.getRouted();
            if (st == Status.DISCONNECTED) {
                return new RunResult(routed, true);
            }
            Status.check(st, "router run");
            return new RunResult(routed, false);
        } finally {
            c.delete();
            synchronized (this) {
                running = false;
                notifyAll();
            }
        }
    }

    /**
     * Asks a running {@link #run} to return. Safe from any thread; a stop requested before
     * the loop starts makes the next run return at once. No-op on a closed router.
     */
    public synchronized void stop() {
        if (!isClosed()) {
            indexbus.indexbus_router_stop(handle());
        }
    }

    /** True while {@link #run} is routing on some thread. */
    public synchronized boolean isRunning() {
        return running;
    }

    /** Stops a running loop, waits for it to return, then releases the router. */
    @Override
    public void close() {
        synchronized (this) {
            if (isClosed()) {
                return;
            }
            boolean interrupted = false;
            while (running) {
                indexbus.indexbus_router_stop(handle());
                try {
                    wait(100);
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            super.close();
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    void release(long pointer) {
        indexbus.indexbus_router_close(pointer);
        result.delete();
    }
}
