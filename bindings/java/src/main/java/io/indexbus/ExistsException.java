package io.indexbus;

/**
 * A region with that name already exists ({@link Status#EXISTS}).
 */
public class ExistsException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public ExistsException(String context) {
        super(Status.EXISTS, context);
    }
}
