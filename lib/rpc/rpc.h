/*
 * rpc.h - request/response regions (LAYOUT.md 4.11, 5.19): reply cells,
 * the pending bitmap, tokens. Internal: the client (client.c), the server
 * (server.c) and recovery of a dead one (recover_rpc.c).
 */
#ifndef IB_RPC_H
#define IB_RPC_H

#include "../common/view.h"
#include "../liveness/liveness.h"

struct indexbus_rpc_client {
    ib_handle h;          /* first: region, view, entry */
    uint32_t me;          /* our entry + 1, as cell words name us */
    uint32_t cached;      /* a cell kept OWNED for the next request, or NIL */
    uint32_t claimed;     /* the cell of a pending claim, or NIL */
    uint32_t claimed_gen; /* its generation (our copy, never re-read) */
    uint32_t hint;        /* where the next scan for a FREE cell starts */
};

struct indexbus_rpc_server {
    ib_handle h;   /* first: region, view, entry */
    uint32_t me;   /* our entry + 1 */
    uint32_t hint; /* the cell the next scan of the pending bitmap starts at */
};

/* Give up every cell client entry+1 `client1` holds: OWNED, REQUESTED,
 * REPLIED, FAILED -> FREE; SERVING -> ABANDONED (its server frees it).
 * `dead`: also clear the waiters count its parks may have left. Close and
 * recovery of a dead client share it. Returns the cells changed. */
uint32_t ib_rpc_client_release(ib_view *v, uint32_t client1, int dead);

/* Fail every request server entry+1 `server1` holds: SERVING -> FAILED
 * (its client wakes and gets DISCONNECTED), ABANDONED -> FREE. Close and
 * recovery of a dead server share it. Returns the requests failed. */
uint32_t ib_rpc_server_release(ib_view *v, uint32_t server1);

/* Set the pending bit of every REQUESTED cell again and wake the servers:
 * a server that died between taking a cell's bit and its CAS to SERVING
 * left the request with no bit (a bit too many is harmless: servers pass
 * over a cell that is not REQUESTED). Recovery of a dead server runs it. */
void ib_rpc_rearm_requested(ib_view *v);

/* Recovery of dead entry `slot` (role as it was named) in a request/response
 * region: cells it held as a client are freed (or ABANDONED while a server
 * holds them), requests it held as a server FAIL and their clients wake. */
void ib_rpc_recover_entry(ib_view *v, uint32_t slot, uint32_t role);

#endif /* IB_RPC_H */
