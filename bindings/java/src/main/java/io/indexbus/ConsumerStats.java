package io.indexbus;

/**
 * Per-consumer counters of a region ({@code indexbus_consumer_stats}).
 *
 * @param index           consumer index
 * @param attached        whether a consumer handle holds this index now
 * @param delivered       messages delivered to this consumer
 * @param droppedFull     broadcast messages skipped because its queue was full
 * @param droppedNoCredit broadcast messages skipped for want of credit or eligibility
 * @param depth           messages waiting for this consumer
 */
public record ConsumerStats(
        int index,
        boolean attached,
        long delivered,
        long droppedFull,
        long droppedNoCredit,
        long depth) {
}
