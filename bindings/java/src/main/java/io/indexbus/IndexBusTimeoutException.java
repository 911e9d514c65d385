package io.indexbus;

/**
 * A blocking receive or wait timed out ({@link Status#TIMEOUT}). Named so as not to clash
 * with {@link java.util.concurrent.TimeoutException}.
 */
public class IndexBusTimeoutException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public IndexBusTimeoutException(String context) {
        super(Status.TIMEOUT, context);
    }
}
