/* recover_rpc.c - the cells of a dead client or server (LAYOUT.md 5.19). */
#include "rpc.h"

void ib_rpc_recover_entry(ib_view *v, uint32_t slot, uint32_t role)
{
    if (slot >= INDEXBUS_MAX_PARTICIPANTS)
        return;
    /* role as read from the entry: a role it never named (it died first) or
     * garbage means either; both match on the entry id inside each word */
    if (role != INDEXBUS_ROLE_RPC_SERVER)
        ib_rpc_client_release(v, slot + 1, 1);
    if (role != INDEXBUS_ROLE_RPC_CLIENT) {
        ib_rpc_server_release(v, slot + 1);
        ib_rpc_rearm_requested(v); /* a request whose bit it took and never served */
    }
}
