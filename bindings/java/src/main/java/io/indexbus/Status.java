package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbus_status;

/**
 * The libindexbus status codes ({@code enum indexbus_status}). The values are frozen by the
 * C ABI and are compile-time constants here, so they work in {@code switch}. The binding
 * turns every failure into an {@link IndexBusException} carrying one of them; only
 * {@link #EMPTY} (and {@link #FULL} for the {@code offer} calls) is reported by a return
 * value instead.
 */
public final class Status {
    /** Success. */
    public static final int OK = indexbus_status.INDEXBUS_OK;
    /** No free slot or queue space; retry later. */
    public static final int FULL = indexbus_status.INDEXBUS_FULL;
    /** Nothing to receive or route. */
    public static final int EMPTY = indexbus_status.INDEXBUS_EMPTY;
    /** Payload longer than the slot data size. */
    public static final int TOO_LARGE = indexbus_status.INDEXBUS_TOO_LARGE;
    /** Receive buffer too small; the message was kept. */
    public static final int BUFFER_TOO_SMALL = indexbus_status.INDEXBUS_BUFFER_TOO_SMALL;
    /** Not an IndexBus region, a newer layout major, or a mismatched library version. */
    public static final int INCOMPATIBLE = indexbus_status.INDEXBUS_INCOMPATIBLE;
    /** The creator has not finished initialising the region. */
    public static final int NOT_READY = indexbus_status.INDEXBUS_NOT_READY;
    /** Bad argument: geometry, flag, range, ... */
    public static final int INVALID_ARGUMENT = indexbus_status.INDEXBUS_INVALID_ARGUMENT;
    /** The call does not apply to this region kind (e.g. a router on an events region). */
    public static final int WRONG_KIND = indexbus_status.INDEXBUS_WRONG_KIND;
    /** A blocking call timed out. */
    public static final int TIMEOUT = indexbus_status.INDEXBUS_TIMEOUT;
    /** Every peer on the other side has closed. */
    public static final int DISCONNECTED = indexbus_status.INDEXBUS_DISCONNECTED;
    /** Region contents fail validation. */
    public static final int CORRUPT = indexbus_status.INDEXBUS_CORRUPT;
    /** Permission denied. */
    public static final int PERMISSION = indexbus_status.INDEXBUS_PERMISSION;
    /** The region name is taken. */
    public static final int EXISTS = indexbus_status.INDEXBUS_EXISTS;
    /** No such region. */
    public static final int NOT_FOUND = indexbus_status.INDEXBUS_NOT_FOUND;
    /** An operating-system call failed. */
    public static final int IO = indexbus_status.INDEXBUS_IO;
    /** An exclusive role is already attached. */
    public static final int BUSY = indexbus_status.INDEXBUS_BUSY;
    /** Out of memory. */
    public static final int NO_MEMORY = indexbus_status.INDEXBUS_NO_MEMORY;
    /** Consumer index out of range. */
    public static final int OUT_OF_RANGE = indexbus_status.INDEXBUS_OUT_OF_RANGE;
    /** Call not valid in the handle's current state (e.g. commit without claim). */
    public static final int BAD_STATE = indexbus_status.INDEXBUS_BAD_STATE;
    /** Number of status codes this binding was built with. */
    public static final int COUNT = io.indexbus.internal.indexbusConstants.INDEXBUS_STATUS_COUNT;

    private Status() {
    }

    /** Symbolic name of a status, e.g. {@code "INDEXBUS_FULL"} ({@code indexbus_status_name}). */
    public static String name(int status) {
        try {
            return indexbus.indexbus_status_name(status);
        } catch (LinkageError e) { // no native library: still say something useful
            return "INDEXBUS_STATUS_" + status;
        }
    }

    /** The library's text for a status ({@code indexbus_strerror}); never null. */
    public static String describe(int status) {
        try {
            return indexbus.indexbus_strerror(status);
        } catch (LinkageError e) {
            return "status " + status;
        }
    }

    /** Throws the exception mapped to {@code status} unless it is {@link #OK}. */
    static void check(int status, String context) {
        if (status != OK) {
            throw exception(status, context);
        }
    }

    /** The exception for a failed call: the subclass made for the status, if there is one. */
    static IndexBusException exception(int status, String context) {
        switch (status) {
            case FULL:
                return new FullException(context);
            case TOO_LARGE:
                return new TooLargeException(context);
            case BUFFER_TOO_SMALL:
                return new BufferTooSmallException(context, -1, -1);
            case INCOMPATIBLE:
                return new IncompatibleException(context);
            case TIMEOUT:
                return new IndexBusTimeoutException(context);
            case DISCONNECTED:
                return new DisconnectedException(context);
            case BUSY:
                return new BusyException(context);
            case EXISTS:
                return new ExistsException(context);
            case NOT_FOUND:
                return new NotFoundException(context);
            default:
                return new IndexBusException(status, context);
        }
    }
}
