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

    /** Fanout region with one producer, the router and consumers {@code 0..consumers-1}. */
    Fanout fanout(String tag, RegionConfig config, ProducerType producerType, int consumers) {
        return new Fanout(create(tag, config), producerType, consumers);
    }

    /** Handles over one fanout region; {@link #close()} closes them in reverse opening order. */
    static final class Fanout implements AutoCloseable {
        final Region region;
        final Producer producer;
        final Router router;
        private final List<NativeHandle> opened = new ArrayList<>();
        private final Consumer[] consumers;

        private Fanout(Region region, ProducerType producerType, int consumers) {
            this.region = region;
            opened.add(region);
            try {
                producer = keep(region.openProducer(producerType));
                router = keep(region.openRouter());
                this.consumers = new Consumer[consumers];
                for (int i = 0; i < consumers; i++) {
                    this.consumers[i] = keep(region.openConsumer(i));
                }
            } catch (RuntimeException e) {
                close();
                throw e;
            }
        }

        private <T extends NativeHandle> T keep(T handle) {
            opened.add(handle);
            return handle;
        }

        Consumer consumer(int i) {
            return consumers[i];
        }

        @Override
        public void close() {
            for (int i = opened.size() - 1; i >= 0; i--) {
                opened.get(i).close();
            }
            opened.clear();
        }
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
