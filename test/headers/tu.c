/* tu.c - the public C headers compile cleanly on their own and together
 * (make check-headers builds this as C11 and C17 with gcc and clang, and the
 * same text as C++ through tu.cpp). Compiled only, never linked. */
#include <indexbus/layout.h>
#include <indexbus/layout.h> /* include guard */
#include <indexbus/indexbus.h>

/* A few uses so that the declarations are not only parsed. */
static const uint64_t cursor = INDEXBUS_STEP_CURSOR(INDEXBUS_STEP_PUSH, 3, 7);

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region *region = NULL;
    int st = indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS);
    if (st == INDEXBUS_OK)
        st = indexbus_region_create("/headers-tu", &cfg, &region);
    indexbus_region_close(region);
    return st + (int)(cursor == 0) +
           (int)(sizeof(indexbus_region_header) != INDEXBUS_HEADER_BYTES);
}
