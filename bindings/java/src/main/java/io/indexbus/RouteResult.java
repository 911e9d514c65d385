package io.indexbus;

/**
 * Per-consumer outcome of one routing step ({@code indexbus_route_result}). Bit {@code i} of
 * a mask stands for consumer {@code i}. Only {@link RouteOutcome#ROUTED} steps have non-zero
 * counts.
 *
 * @param outcome             routed, nothing waiting, or no room anywhere
 * @param delivered           consumer queues the message went into
 * @param droppedFull         consumers skipped because their queue was full
 * @param droppedNoCredit     consumers skipped for want of credit or eligibility
 * @param deliveredMask       consumers that got it
 * @param droppedFullMask     consumers skipped: queue full
 * @param droppedNoCreditMask consumers skipped: no credit or not eligible
 */
public record RouteResult(
        RouteOutcome outcome,
        int delivered,
        int droppedFull,
        int droppedNoCredit,
        long deliveredMask,
        long droppedFullMask,
        long droppedNoCreditMask) {

    /** True if a message was routed. */
    public boolean routed() {
        return outcome == RouteOutcome.ROUTED;
    }
}
