package io.indexbus;

/**
 * An exclusive role is already attached ({@link Status#BUSY}): the SPSC producer, the
 * router, or a consumer index is taken, or the participant table is full.
 */
public class BusyException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public BusyException(String context) {
        super(Status.BUSY, context);
    }
}
