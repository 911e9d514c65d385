package io.indexbus;

/**
 * A blocking stream write timed out ({@link Status#TIMEOUT}) after writing
 * {@link #bytesWritten()} bytes: a complete prefix of what was asked, which the reader gets,
 * none of the rest. A write of at most the stream's max record goes in whole or not at all,
 * so then it is 0.
 */
public class StreamWriteTimeoutException extends IndexBusTimeoutException {
    private static final long serialVersionUID = 1L;

    private final int bytesWritten;

    /**
     * @param context      what was being done, e.g. {@code "stream write"}
     * @param bytesWritten how many bytes went in before the timeout
     */
    public StreamWriteTimeoutException(String context, int bytesWritten) {
        super(context + " (" + bytesWritten + " bytes written)");
        this.bytesWritten = bytesWritten;
    }

    /** How many bytes were written, a prefix of the data, before the timeout. */
    public int bytesWritten() {
        return bytesWritten;
    }
}
