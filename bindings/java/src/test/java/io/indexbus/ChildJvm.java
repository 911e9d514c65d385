package io.indexbus;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a main class of the test classes in a second JVM (same java binary and class path). */
final class ChildJvm {
    /** What a finished child printed. */
    record Result(int exitCode, String stdout, String stderr) {
    }

    private ChildJvm() {
    }

    /** Starts the child with its standard streams as pipes. */
    static Process start(Class<?> main, List<String> jvmOptions, String... args) throws IOException {
        return new ProcessBuilder(command(main, jvmOptions, args)).start();
    }

    private static List<String> command(Class<?> main, List<String> jvmOptions, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xcheck:jni");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main.getName());
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Runs the child to completion (killing it after {@code seconds}); output goes via files. */
    static Result run(Class<?> main, List<String> jvmOptions, long seconds, String... args)
            throws IOException, InterruptedException {
        Path out = Files.createTempFile("ibj-child-", ".out");
        Path err = Files.createTempFile("ibj-child-", ".err");
        try {
            List<String> cmd = command(main, jvmOptions, args);
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("child " + main.getSimpleName() + " did not finish in "
                        + seconds + " s; stderr: " + Files.readString(err));
            }
            return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }
}
