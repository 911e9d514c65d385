package io.indexbus;

/** What one routing step did. These are normal outcomes, not errors. */
public enum RouteOutcome {
    /** A message left the source queue for one or more consumers. */
    ROUTED,
    /** Nothing was waiting ({@link Status#EMPTY}). */
    EMPTY,
    /** No consumer could take the next message, so it stays queued ({@link Status#FULL}). */
    FULL
}
