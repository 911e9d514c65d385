package io.indexbus;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.indexbus.examples.HelloIndexBus;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The README's example is HelloIndexBus.java verbatim, and it runs. */
class ReadmeExampleTest {
    private static final Path SOURCE = Path.of("src/test/java/io/indexbus/examples/HelloIndexBus.java");

    @Test
    void readmeShowsTheExampleVerbatim() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        String source = Files.readString(SOURCE);
        assertTrue(readme.contains("```java\n" + source + "```\n"),
                "README.md must contain " + SOURCE + " verbatim in a ```java block");
    }

    @Test
    void exampleRuns() {
        String name = "/ibj-" + ProcessHandle.current().pid() + "-hello";
        PrintStream saved = System.out;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            HelloIndexBus.main(new String[] {name});
        } finally {
            System.setOut(saved);
        }
        assertEquals("received: hello, bus\nborrowed: zero-copy\n", out.toString(StandardCharsets.UTF_8));
        assertThrows(NotFoundException.class, () -> Region.open(name), "the example unlinks its region");
    }
}
