package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class VersionTest {
    @Test
    void builtVersionIsTheHeaders() {
        assertEquals(1, Version.BUILT_MAJOR);
        assertEquals(0, Version.BUILT_MINOR);
        assertEquals(Version.BUILT_MAJOR + "." + Version.BUILT_MINOR + "." + Version.BUILT_PATCH,
                Version.BUILT);
    }

    @Test
    void runtimeIsTheLinkedLibrary() {
        assertEquals(Version.BUILT, Version.runtime());
        long n = Version.runtimeNumber();
        assertEquals(Version.BUILT_MAJOR, Version.major(n));
        assertEquals(Version.BUILT_MINOR, Version.minor(n));
        assertEquals(Version.BUILT_PATCH, Version.patch(n));
        assertEquals((1L << 16) | 3, Version.layoutVersion()); // 1.3: fanout recycling, MPSC batches
        assertDoesNotThrow(Version::ensureCompatible);
    }

    @Test
    void decodesVersionNumbers() {
        assertEquals(1, Version.major(10203));
        assertEquals(2, Version.minor(10203));
        assertEquals(3, Version.patch(10203));
        assertEquals(12, Version.major(121314));
    }

    @Test
    void sameMajorAndNewerOrEqualMinorIsCompatible() {
        assertDoesNotThrow(() -> Version.requireCompatible(1, 0, 10000));
        assertDoesNotThrow(() -> Version.requireCompatible(1, 0, 10203));
        assertDoesNotThrow(() -> Version.requireCompatible(1, 2, 10200));
        assertDoesNotThrow(() -> Version.requireCompatible(1, 2, 10399));
    }

    @Test
    void newerRuntimeMajorIsIncompatible() {
        IncompatibleException e = assertThrows(IncompatibleException.class,
                () -> Version.requireCompatible(1, 0, 20000));
        assertEquals(Status.INCOMPATIBLE, e.status());
        assertTrue(e.getMessage().contains("2.0.0"), e.getMessage());
        assertTrue(e.getMessage().contains("built against 1.0"), e.getMessage());
    }

    @Test
    void olderRuntimeMajorIsIncompatible() {
        IncompatibleException e = assertThrows(IncompatibleException.class,
                () -> Version.requireCompatible(2, 0, 10500));
        assertTrue(e.getMessage().contains("1.5.0"), e.getMessage());
        assertTrue(e.getMessage().contains("built against 2.0"), e.getMessage());
    }

    @Test
    void olderRuntimeMinorIsIncompatible() {
        IncompatibleException e = assertThrows(IncompatibleException.class,
                () -> Version.requireCompatible(1, 3, 10201));
        assertTrue(e.getMessage().contains("1.2.1"), e.getMessage());
        assertTrue(e.getMessage().contains("built against 1.3"), e.getMessage());
        assertTrue(e.getMessage().contains("minor >= 3"), e.getMessage());
        assertTrue(e.getMessage().contains(Status.describe(Status.INCOMPATIBLE)), e.getMessage());
    }
}
