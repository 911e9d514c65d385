package io.indexbus;

import io.indexbus.internal.indexbus;
import io.indexbus.internal.indexbusConstants;

/**
 * Versions: the libindexbus headers this binding was built against (compile-time constants
 * taken from {@code indexbus.h} when the binding was generated) and the native library
 * actually loaded. The binding refuses to work, with an {@link IncompatibleException},
 * unless the runtime major equals the built major and the runtime minor is at least the
 * built minor ({@link #requireCompatible(int, int, long)}); {@link Region} checks this
 * before its first native call.
 */
public final class Version {
    /** {@code INDEXBUS_VERSION_MAJOR} the binding was built against. */
    public static final int BUILT_MAJOR = indexbusConstants.INDEXBUS_VERSION_MAJOR;
    /** {@code INDEXBUS_VERSION_MINOR} the binding was built against. */
    public static final int BUILT_MINOR = indexbusConstants.INDEXBUS_VERSION_MINOR;
    /** {@code INDEXBUS_VERSION_PATCH} the binding was built against. */
    public static final int BUILT_PATCH = indexbusConstants.INDEXBUS_VERSION_PATCH;
    /** {@code INDEXBUS_VERSION_STRING} the binding was built against. */
    public static final String BUILT = indexbusConstants.INDEXBUS_VERSION_STRING;

    private static final String CHECK = "libindexbus version check";

    private Version() {
    }

    /** Runtime library version as {@code MAJOR * 10000 + MINOR * 100 + PATCH}. */
    public static long runtimeNumber() {
        return indexbus.indexbus_version();
    }

    /** Runtime library version as {@code "MAJOR.MINOR.PATCH"}. */
    public static String runtime() {
        return indexbus.indexbus_version_string();
    }

    /**
     * Newest region layout the runtime library writes, as {@code (major << 16) | minor}: 1.1
     * (byte logs; events and fanout regions are still written as 1.0).
     */
    public static long layoutVersion() {
        return indexbus.indexbus_layout_version();
    }

    /** Major part of a version number ({@code MAJOR * 10000 + MINOR * 100 + PATCH}). */
    public static int major(long number) {
        return (int) (number / 10000);
    }

    /** Minor part of a version number. */
    public static int minor(long number) {
        return (int) (number / 100 % 100);
    }

    /** Patch part of a version number. */
    public static int patch(long number) {
        return (int) (number % 100);
    }

    /**
     * Checks that a runtime library can serve a binding built against
     * {@code builtMajor.builtMinor}: the majors must be equal and the runtime minor must be
     * at least {@code builtMinor}.
     *
     * @param builtMajor    major version the binding was built against
     * @param builtMinor    minor version the binding was built against
     * @param runtimeNumber {@code indexbus_version()} of the loaded library
     * @throws IncompatibleException naming both versions, if not
     */
    public static void requireCompatible(int builtMajor, int builtMinor, long runtimeNumber) {
        String problem = incompatibility(builtMajor, builtMinor, runtimeNumber);
        if (problem != null) {
            throw new IncompatibleException(CHECK, problem);
        }
    }

    /** Why the versions do not match, or null if they do. */
    private static String incompatibility(int builtMajor, int builtMinor, long runtimeNumber) {
        int major = major(runtimeNumber);
        int minor = minor(runtimeNumber);
        if (major == builtMajor && minor >= builtMinor) {
            return null;
        }
        return "the loaded library is " + major + "." + minor + "." + patch(runtimeNumber)
                + " but the Java binding was built against " + builtMajor + "." + builtMinor
                + " (needs major " + builtMajor + ", minor >= " + builtMinor + ")";
    }

    /** Checks the loaded library against {@link #BUILT_MAJOR}.{@link #BUILT_MINOR}, once. */
    static void ensureCompatible() {
        String problem = RuntimeCheck.PROBLEM;
        if (problem != null) {
            throw new IncompatibleException(CHECK, problem);
        }
    }

    /** Runs the check on first use; a failure is kept and reported on every call. */
    private static final class RuntimeCheck {
        static final String PROBLEM = run();

        private static String run() {
            return incompatibility(BUILT_MAJOR, BUILT_MINOR, runtimeNumber());
        }
    }
}
