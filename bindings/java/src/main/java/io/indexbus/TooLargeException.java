package io.indexbus;

/**
 * The message is longer than the region's slot data size ({@link Status#TOO_LARGE}).
 */
public class TooLargeException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public TooLargeException(String context) {
        super(Status.TOO_LARGE, context);
    }
}
