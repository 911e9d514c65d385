/*
 * rpc_cell.h - the reply cell's state word (LAYOUT.md 4.11, 5.19), inline:
 *   gen (bits 32..63) | server entry+1 (17..25) | client entry+1 (8..16) | state (0..7)
 * Bits 26..31 are zero. A word read from the region is checked with
 * ib_rpc_word_ok before any field of it is used (LAYOUT.md 7).
 */
#ifndef IB_RPC_CELL_H
#define IB_RPC_CELL_H

#include <stdint.h>

#include "../common/view.h"

#define IB_RPC_NIL 0xffffffffu
/* CAS attempts on one cell before giving up: a word that keeps changing
 * under us is a peer rewriting the region (LAYOUT.md 7), not progress */
#define IB_RPC_CAS_TRIES 64u
/* waits (clients for a reply, servers for a request): spin, then park */
#define IB_RPC_SPIN_POLLS 1000u
#define IB_RPC_MAX_PARK_NS 1000000ull /* re-check at least every 1 ms */
#define IB_RPC_RECOVER_EVERY 64u      /* client parks between recoveries */
#define IB_RPC_HDR sizeof(indexbus_rpc_cell) /* 128: the cell lines before the request bytes */

static inline uint32_t ib_rpc_state(uint64_t w) { return (uint32_t)(w & 0xffu); }
static inline uint32_t ib_rpc_client(uint64_t w) { return (uint32_t)((w >> 8) & 0x1ffu); }
static inline uint32_t ib_rpc_server(uint64_t w) { return (uint32_t)((w >> 17) & 0x1ffu); }
static inline uint32_t ib_rpc_gen(uint64_t w) { return (uint32_t)(w >> 32); }

static inline uint64_t ib_rpc_word(uint32_t gen, uint32_t server1, uint32_t client1, uint32_t state)
{
    return (uint64_t)gen << 32 | (uint64_t)server1 << 17 | (uint64_t)client1 << 8 | state;
}

/* Fields in range: state <= ABANDONED, entries+1 <= 256, bits 26..31 zero. */
static inline int ib_rpc_word_ok(uint64_t w)
{
    return ib_rpc_state(w) <= INDEXBUS_RPC_ABANDONED &&
           ib_rpc_client(w) <= INDEXBUS_MAX_PARTICIPANTS &&
           ib_rpc_server(w) <= INDEXBUS_MAX_PARTICIPANTS && (w & 0xfc000000ull) == 0;
}

/* The next generation: never 0, so every token has gen >= 1. */
static inline uint32_t ib_rpc_next_gen(uint32_t g) { return g + 1 != 0 ? g + 1 : 1; }

static inline uint64_t ib_rpc_token(uint32_t gen, uint32_t cell)
{
    return (uint64_t)gen << 32 | cell;
}

/* Cell i; the caller has checked i < v->rpc_cell_count. */
static inline indexbus_rpc_cell *ib_rpc_cell_at(const ib_view *v, uint32_t i)
{
    return (indexbus_rpc_cell *)(v->rpc_cells + (uint64_t)i * v->rpc_cell_stride);
}

static inline uint8_t *ib_rpc_request_area(const ib_view *v, uint32_t i)
{
    return (uint8_t *)ib_rpc_cell_at(v, i) + IB_RPC_HDR;
}

static inline uint8_t *ib_rpc_reply_area(const ib_view *v, uint32_t i)
{
    return ib_rpc_request_area(v, i) + IB_ALIGN_UP((uint64_t)v->rpc_max_request, INDEXBUS_CACHE_LINE);
}

#endif /* IB_RPC_CELL_H */
