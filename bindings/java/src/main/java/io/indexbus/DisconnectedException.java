package io.indexbus;

/**
 * Every peer on the other side has closed ({@link Status#DISCONNECTED}): for a
 * consumer, all producers are gone and everything they sent has been received; for a
 * producer, every consumer that ever attached has closed.
 */
public class DisconnectedException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    /** @param context what was being done, e.g. {@code "publish"} */
    public DisconnectedException(String context) {
        super(Status.DISCONNECTED, context);
    }
}
