package io.indexbus;

/**
 * A libindexbus handle owned by a Java object. {@link #close()} releases it explicitly (there
 * is no finalizer or cleaner) and zeroes the pointer; every later call finds it zero and
 * throws {@link IllegalStateException} instead of passing a dangling pointer to C.
 *
 * <p>Like the C handles, these objects are not thread-safe: use each from one thread at a
 * time, and do not close one while another thread is inside a call on it.
 */
abstract class NativeHandle implements AutoCloseable {
    private final String description;
    private long pointer;

    NativeHandle(long pointer, String description) {
        this.pointer = pointer;
        this.description = description;
    }

    /** The live native pointer. @throws IllegalStateException if closed */
    final long handle() {
        long p = pointer;
        if (p == 0) {
            throw new IllegalStateException(description + " is closed");
        }
        return p;
    }

    /**
     * Takes the live native pointer away from this object without calling {@link #release}:
     * for the calls that end a handle some other way (a stream reader's hand-over, a writer's
     * abort). Later calls find it closed.
     *
     * @throws IllegalStateException if closed
     */
    final long take() {
        long p = handle();
        pointer = 0;
        return p;
    }

    /** True once {@link #close()} has run. */
    public boolean isClosed() {
        return pointer == 0;
    }

    /** Releases the native handle; later calls are no-ops. */
    @Override
    public void close() {
        long p = pointer;
        if (p == 0) {
            return;
        }
        pointer = 0;
        release(p);
    }

    /** Calls the C close function for this kind of handle. */
    abstract void release(long pointer);

    @Override
    public String toString() {
        return description + (isClosed() ? " (closed)" : "");
    }
}
