/*
 * peers.h - the peers section of indexbus-bench (`--only peers`): iceoryx2
 * and Aeron IPC beside IndexBus in the same repetitions (issue 18).
 *   peers.c       the section: the peer programs as pinned child processes,
 *                 our sides between them, the rows and the keys
 *   peers_ours.c  our side with the peers' checks: seq-numbered messages,
 *                 copy and zero-copy, an SPSC producer and a consumer
 * The peer programs are built by tools/bench/bench.mk from their registry
 * packages: tools/bench/peers/iox2 (the iceoryx2 crate, its own release
 * profile) and tools/bench/peers/aeron (io.aeron:aeron-all, and IbPeer, the
 * same shape on our Java binding). Not part of the quick run (CI).
 */
#ifndef IB_BENCH_PEERS_H
#define IB_BENCH_PEERS_H

#include <stdint.h>

/* Our SPSC events path, seq-checked (peers_ours.c): msgs/s the consumer
 * received in the window, and the seqs it found missing. */
int ours_seq_tput(uint32_t size, int zc, double *msgs_per_s, uint64_t *lost);

void peers_section(void);

#endif /* IB_BENCH_PEERS_H */
