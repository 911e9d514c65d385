package io.indexbus;

/**
 * Something cannot be used by this binding ({@link Status#INCOMPATIBLE}): a region that is
 * not an IndexBus region or uses a layout major version this library cannot read, or a
 * native library whose version does not match the one the binding was built against
 * (see {@link Version#requireCompatible(int, int, long)}).
 */
public class IncompatibleException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "open region /orders"} */
    public IncompatibleException(String context) {
        super(Status.INCOMPATIBLE, context);
    }

    /**
     * @param context what was being done
     * @param detail  why it is incompatible, appended to the message
     */
    public IncompatibleException(String context, String detail) {
        super(Status.INCOMPATIBLE, context, detail);
    }
}
