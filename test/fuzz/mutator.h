/*
 * mutator.h - the concurrent rogue writer of fuzz_region: a second thread
 * that writes into the region file's rogue mapping WHILE one call of the
 * public API runs on the fuzzer's thread. mutator.c implements it; it is
 * compiled without coverage instrumentation (like shim.c), so its
 * timing-dependent loops add no noise to libFuzzer's features.
 *
 * The harness resolves each queued mutation record into ibm_write entries
 * (address, width, the values to write) before the call, then:
 *
 *     ibm_release(writes, n, lead);   the batch goes to the mutator thread;
 *                                     returns once that thread is running
 *                                     it (and, with lead, once it has made
 *                                     its first round of writes)
 *     ... the call ...
 *     ibm_finish();                   stop hammering; returns once every
 *                                     write of the batch is done
 *
 * Per batch, the mutator makes rounds over the entries in order. Round r
 * writes entry e if e is hammered (rep == 0) or r <= e->rep; the value is
 * e->target, except that a flickering entry writes e->orig on even rounds.
 * Rounds go on until every finite entry has made its rep writes and, if
 * any entry is hammered, the call has returned; then each hammered entry
 * gets target written once more (settle), so the words the batch writes
 * end up as the input says whatever the timing. So the set and order of
 * writes is fixed by the input; only where they fall inside the call, and
 * how many times a hammered entry is rewritten, depend on timing.
 */
#ifndef IB_FUZZ_MUTATOR_H
#define IB_FUZZ_MUTATOR_H

#include <stddef.h>
#include <stdint.h>

typedef struct ibm_write {
    uint8_t *addr;  /* inside the rogue mapping, aligned to width */
    uint8_t width;  /* 1, 2, 4 or 8 bytes, stored atomically (relaxed) */
    uint8_t flicker; /* alternate target (odd rounds) and orig (even rounds) */
    uint8_t hammer; /* rewrite every round until the call returns, then settle */
    uint8_t rep;    /* not hammered: rounds that write it (>= 1) */
    uint32_t delay; /* spin this many pause iterations before its first write */
    uint64_t target, orig;
} ibm_write;

#define IBM_MAX_WRITES 1024u

void ibm_release(const ibm_write *w, size_t n, int lead);
void ibm_finish(void);

/* IBFUZZ_MUTATOR_STATS set in the environment: at exit, print batches run,
 * "late" batches (the call returned before the first round of writes was
 * over) and hammer rounds, to stderr. */

#endif /* IB_FUZZ_MUTATOR_H */
