package io.indexbus;

/**
 * There is no region with that name ({@link Status#NOT_FOUND}).
 */
public class NotFoundException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public NotFoundException(String context) {
        super(Status.NOT_FOUND, context);
    }
}
