package io.indexbus;

/**
 * No free slot or queue space ({@link Status#FULL}): the consumer side is behind.
 * Nothing was published; retry later.
 */
public class FullException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public FullException(String context) {
        super(Status.FULL, context);
    }
}
