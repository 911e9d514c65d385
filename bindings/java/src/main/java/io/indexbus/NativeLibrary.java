package io.indexbus;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;

/**
 * Loads the JNI library, {@code libindexbus_jni.so}, which has libindexbus linked in.
 *
 * <p>Nothing to do for users: the generated JNI class calls {@link #load()} from its static
 * initialiser, so the library is loaded the first time the binding touches native code. By
 * default it is taken from the jar ({@code /native/<os>-<arch>/libindexbus_jni.so}),
 * copied to a temporary file, loaded with {@link System#load(String)}, and the temporary
 * file is deleted again (the loaded mapping stays valid). Set the system property
 * {@value #PATH_PROPERTY} to a file path to load that library instead.
 */
public final class NativeLibrary {
    /** System property naming a {@code libindexbus_jni.so} to load instead of the bundled one. */
    public static final String PATH_PROPERTY = "indexbus.jni.path";

    private static final String LIBRARY_FILE = "libindexbus_jni.so";

    private static String loadedFrom;

    private NativeLibrary() {
    }

    /**
     * Loads the JNI library once; later calls return at once.
     *
     * @throws UnsatisfiedLinkError if it cannot be found or loaded
     */
    public static synchronized void load() {
        if (loadedFrom != null) {
            return;
        }
        String override = System.getProperty(PATH_PROPERTY);
        if (override != null && !override.isEmpty()) {
            String path = Path.of(override).toAbsolutePath().toString();
            System.load(path);
            loadedFrom = path;
            return;
        }
        loadedFrom = loadBundled(resourcePath());
    }

    /** Where the library came from: a file path or {@code "jar:<resource>"}; null if not loaded. */
    public static synchronized String loadedFrom() {
        return loadedFrom;
    }

    /** The class-path resource holding the library for this platform. */
    public static String resourcePath() {
        return "/native/" + platform() + "/" + LIBRARY_FILE;
    }

    /** This platform as the jar names it, e.g. {@code linux-x86_64}. */
    static String platform() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (os.startsWith("linux")) {
            os = "linux";
        }
        if (arch.equals("amd64") || arch.equals("x86-64")) {
            arch = "x86_64";
        } else if (arch.equals("arm64")) {
            arch = "aarch64";
        }
        return os + "-" + arch;
    }

    private static String loadBundled(String resource) {
        try (InputStream in = NativeLibrary.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new UnsatisfiedLinkError("IndexBus JNI library " + resource
                        + " is not on the class path (platform " + platform()
                        + " not bundled?); build it with `make java-binding` or set -D"
                        + PATH_PROPERTY + "=/path/to/" + LIBRARY_FILE);
            }
            Path tmp = Files.createTempFile("libindexbus_jni-", ".so");
            try {
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
                System.load(tmp.toAbsolutePath().toString());
            } finally {
                Files.deleteIfExists(tmp); // Linux keeps the loaded mapping
            }
            return "jar:" + resource;
        } catch (IOException e) {
            UnsatisfiedLinkError error = new UnsatisfiedLinkError(
                    "cannot extract IndexBus JNI library " + resource + ": " + e
                            + "; set -D" + PATH_PROPERTY + "=/path/to/" + LIBRARY_FILE);
            error.initCause(e);
            throw error;
        }
    }
}
