package io.indexbus;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** Unique region names for one test, all unlinked again by {@link #close()}. */
final class TestRegions implements AutoCloseable {
    private static final AtomicInteger SEQ = new AtomicInteger();

    private final List<String> names = new ArrayList<>();

    /** A fresh POSIX shm name, e.g. {@code /ibj-1234-full-7}. */
    String name(String tag) {
        String n = "/ibj-" + ProcessHandle.current().pid() + "-" + tag + "-" + SEQ.incrementAndGet();
        names.add(n);
        return n;
    }

    /** A fresh file path under /tmp (a name with a '/' inside is a file). */
    String file(String tag) {
        String n = "/tmp/ibj-" + ProcessHandle.current().pid() + "-" + tag + "-" + SEQ.incrementAndGet()
                + ".region";
        names.add(n);
        return n;
    }

    Region create(String tag, RegionConfig config) {
        return Region.create(name(tag), config);
    }

    /** Events region with small slots so tests can fill it. */
    Region events(String tag, int slots, int slotData) {
        return create(tag, RegionConfig.builder(RegionKind.EVENTS).slotCount(slots)
                .slotDataSize(slotData).build());
    }

    @Override
    public void close() {
        for (String n : names) {
            try {
                Region.unlink(n);
            } catch (NotFoundException ignored) {
                // already gone, or never created
            }
        }
        names.clear();
    }
}
