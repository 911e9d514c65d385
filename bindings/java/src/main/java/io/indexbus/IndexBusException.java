package io.indexbus;

/**
 * A libindexbus call failed. Carries the C status code ({@link #status()}, one of the
 * {@link Status} constants) and the library's text for it ({@code indexbus_strerror}).
 *
 * <p>Unchecked. Callers that branch on a particular failure catch the subclass made for it:
 * {@link FullException}, {@link IndexBusTimeoutException}, {@link DisconnectedException},
 * {@link IncompatibleException}, {@link TooLargeException}, {@link BufferTooSmallException},
 * {@link BusyException}, {@link ExistsException}, {@link NotFoundException}. Every other
 * status (for example {@link Status#WRONG_KIND}) arrives as a plain {@code IndexBusException};
 * test {@link #status()}.
 */
public class IndexBusException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;

    /**
     * @param status  the libindexbus status code
     * @param context what was being done, e.g. {@code "publish"}; goes first in the message
     */
    public IndexBusException(int status, String context) {
        this(status, context, null);
    }

    /**
     * @param status  the libindexbus status code
     * @param context what was being done
     * @param detail  extra text appended to the message, or {@code null}
     */
    protected IndexBusException(int status, String context, String detail) {
        super(message(status, context, detail));
        this.status = status;
    }

    private static String message(int status, String context, String detail) {
        StringBuilder sb = new StringBuilder();
        if (context != null && !context.isEmpty()) {
            sb.append(context).append(": ");
        }
        sb.append(Status.describe(status)).append(" (").append(Status.name(status)).append(')');
        if (detail != null && !detail.isEmpty()) {
            sb.append("; ").append(detail);
        }
        return sb.toString();
    }

    /** The libindexbus status code, one of the {@link Status} constants. */
    public int status() {
        return status;
    }

    /** The symbolic name of {@link #status()}, e.g. {@code "INDEXBUS_FULL"}. */
    public String statusName() {
        return Status.name(status);
    }

    /** The library's description of {@link #status()} ({@code indexbus_strerror}). */
    public String description() {
        return Status.describe(status);
    }
}
