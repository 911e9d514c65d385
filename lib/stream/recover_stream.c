/* placeholder */
#include "stream.h"

void ib_stream_recover_entry(ib_view *v, uint32_t slot, int was_reader)
{
    (void)v, (void)slot, (void)was_reader;
}
