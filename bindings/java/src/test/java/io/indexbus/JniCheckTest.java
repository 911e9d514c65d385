package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs {@link JniWorkout} in a JVM with {@code -Xcheck:jni}, which prints a warning for
 * every JNI rule the wrapper breaks (a JNI call inside a critical array region, a call with
 * an exception pending, ...). The run must be clean.
 */
class JniCheckTest {
    private final TestRegions regions = new TestRegions();

    @AfterEach
    void unlink() {
        regions.close();
    }

    @Test
    void wrapperKeepsTheJniRules() throws Exception {
        ChildJvm.Result r = ChildJvm.run(JniWorkout.class, List.of(), 120,
                regions.name("jni-events"), regions.name("jni-fanout"), regions.name("jni-log"),
                regions.name("jni-stream"), regions.name("jni-rpc"));
        String all = r.stdout() + r.stderr();
        assertEquals(0, r.exitCode(), all);
        assertEquals("workout done", r.stdout().strip(), all);
        assertFalse(all.toLowerCase(java.util.Locale.ROOT).contains("warning"), all);
    }
}
