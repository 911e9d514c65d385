/*
 * rpc.h - request/response regions (LAYOUT.md 4.11, 5.19): reply cells,
 * the pending bitmap, tokens. Internal.
 */
#ifndef IB_RPC_H
#define IB_RPC_H

#include "../common/view.h"

/* Recovery of dead entry `slot` (role as it was named) in a request/response
 * region: cells it held as a client are freed (or ABANDONED while a server
 * holds them), requests it held as a server FAIL and their clients wake. */
void ib_rpc_recover_entry(ib_view *v, uint32_t slot, uint32_t role);

#endif /* IB_RPC_H */
