package io.indexbus;

/**
 * The destination cannot hold the next message ({@link Status#BUFFER_TOO_SMALL}). The
 * message was left in place: receive again with at least {@link #requiredLength()} bytes
 * of room.
 */
public class BufferTooSmallException extends IndexBusException {
    private static final long serialVersionUID = 1L;

    private final int requiredLength;
    private final int available;

    /**
     * @param context        what was being done, e.g. {@code "tryRecv"}
     * @param requiredLength length of the waiting message, or -1 if unknown
     * @param available      room that was offered, or -1 if unknown
     */
    public BufferTooSmallException(String context, int requiredLength, int available) {
        super(Status.BUFFER_TOO_SMALL, context, requiredLength < 0 ? null
                : "message is " + requiredLength + " bytes, room for " + available);
        this.requiredLength = requiredLength;
        this.available = available;
    }

    /** Length in bytes of the message that did not fit, or -1 if unknown. */
    public int requiredLength() {
        return requiredLength;
    }

    /** Room in bytes that the receive call offered, or -1 if unknown. */
    public int available() {
        return available;
    }
}
