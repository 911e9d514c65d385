package io.indexbus.examples;

import io.indexbus.Consumer;
import io.indexbus.Producer;
import io.indexbus.ProducerType;
import io.indexbus.Region;
import io.indexbus.RegionConfig;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

public final class HelloIndexBus {
    public static void main(String[] args) {
        String name = args.length > 0 ? args[0] : "/hello-indexbus-java";
        try (Region region = Region.create(name, RegionConfig.events())) {
            try (Producer producer = region.openProducer(ProducerType.SPSC);
                 Consumer consumer = region.openConsumer()) {
                producer.publish("hello, bus".getBytes(StandardCharsets.UTF_8));

                ByteBuffer slot = producer.claim();        // zero-copy: write into the slot
                slot.put("zero-copy".getBytes(StandardCharsets.UTF_8));
                producer.commit();                         // publishes slot.position() bytes

                byte[] buf = new byte[256];
                int n = consumer.recv(buf, Duration.ofSeconds(1));
                System.out.println("received: " + new String(buf, 0, n, StandardCharsets.UTF_8));

                ByteBuffer view = consumer.recvBegin();    // zero-copy: read in place
                System.out.println("borrowed: " + StandardCharsets.UTF_8.decode(view));
                consumer.recvEnd();
            } finally {
                Region.unlink(name);                       // the name goes; open handles keep working
            }
        }
    }
}
