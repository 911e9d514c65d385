package io.indexbus;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * Shared setup for tests over one events region: a fresh region with one producer and
 * one consumer opened before each test, all closed (and the region unlinked) after it.
 */
abstract class EventsFixture {
    final TestRegions regions = new TestRegions();
    Region region;
    Producer producer;
    Consumer consumer;

    private final String tag;
    private final int slots;
    private final int slotData;
    private final ProducerType producerType;

    EventsFixture(String tag, int slots, int slotData, ProducerType producerType) {
        this.tag = tag;
        this.slots = slots;
        this.slotData = slotData;
        this.producerType = producerType;
    }

    @BeforeEach
    void open() {
        region = regions.events(tag, slots, slotData);
        producer = region.openProducer(producerType);
        consumer = region.openConsumer();
    }

    @AfterEach
    void close() {
        consumer.close();
        producer.close();
        region.close();
        regions.close();
    }
}
