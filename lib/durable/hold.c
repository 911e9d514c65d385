/* hold.c - held receive (LAYOUT.md 5.20): STUB, being written. */
#include "../common/atomics.h"
#include "durable.h"

int ib_durable_holds(const ib_view *v, uint32_t index)
{
    if (v->durable == NULL || index >= 64u)
        return 0;
    /* pairs with the holder's release RMW of hold_mask at open (hold.c) */
    return (int)((ib_load_acquire(&v->durable->hold_mask) >> index) & 1u);
}
