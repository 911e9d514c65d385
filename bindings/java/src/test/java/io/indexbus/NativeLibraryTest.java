package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NativeLibraryTest {
    @Test
    void loadsTheBundledLibraryFromTheClassPath() {
        Version.runtime(); // any native call loads it
        assertEquals("jar:" + NativeLibrary.resourcePath(), NativeLibrary.loadedFrom());
        assertEquals("/native/linux-x86_64/libindexbus_jni.so".replace("x86_64",
                NativeLibrary.platform().substring("linux-".length())), NativeLibrary.resourcePath());
        assertNotNull(NativeLibrary.class.getResource(NativeLibrary.resourcePath()));
        NativeLibrary.load(); // idempotent
    }

    @Test
    void overridePropertyLoadsThatFile(@TempDir Path dir) throws Exception {
        Path lib = dir.resolve("custom-libindexbus_jni.so");
        try (InputStream in = NativeLibrary.class.getResourceAsStream(NativeLibrary.resourcePath())) {
            Files.copy(in, lib, StandardCopyOption.REPLACE_EXISTING);
        }
        ChildJvm.Result r = ChildJvm.run(ChildInfo.class,
                List.of("-D" + NativeLibrary.PATH_PROPERTY + "=" + lib), 60);
        assertEquals(0, r.exitCode(), r.stderr());
        assertTrue(r.stdout().contains("version " + Version.BUILT), r.stdout());
        assertTrue(r.stdout().contains("loaded " + lib), r.stdout());
    }

    @Test
    void badOverridePathFailsClearly(@TempDir Path dir) throws Exception {
        Path missing = dir.resolve("nope.so");
        ChildJvm.Result r = ChildJvm.run(ChildInfo.class,
                List.of("-D" + NativeLibrary.PATH_PROPERTY + "=" + missing), 60);
        assertNotEquals(0, r.exitCode());
        assertTrue(r.stderr().contains("UnsatisfiedLinkError"), r.stderr());
        assertTrue(r.stderr().contains(missing.toString()), r.stderr());
    }
}
