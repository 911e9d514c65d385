/* recover_rpc.c - placeholder until the request/response core lands */
#include "rpc.h"

void ib_rpc_recover_entry(ib_view *v, uint32_t slot, uint32_t role)
{
    (void)v, (void)slot, (void)role;
}
