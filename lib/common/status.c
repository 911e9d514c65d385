/* status.c - versions and status-code text. */
#include <indexbus/indexbus.h>

static const struct {
    const char *name;
    const char *text;
} ib_status_table[INDEXBUS_STATUS_COUNT] = {
    [INDEXBUS_OK] = {"INDEXBUS_OK", "success"},
    [INDEXBUS_FULL] = {"INDEXBUS_FULL", "no free slot or queue space"},
    [INDEXBUS_EMPTY] = {"INDEXBUS_EMPTY", "no message available"},
    [INDEXBUS_TOO_LARGE] = {"INDEXBUS_TOO_LARGE", "message larger than the slot data size"},
    [INDEXBUS_BUFFER_TOO_SMALL] = {"INDEXBUS_BUFFER_TOO_SMALL",
                                   "buffer too small for the message (message kept)"},
    [INDEXBUS_INCOMPATIBLE] = {"INDEXBUS_INCOMPATIBLE",
                               "not an IndexBus region, or a layout this library cannot read"},
    [INDEXBUS_NOT_READY] = {"INDEXBUS_NOT_READY", "region is not initialised yet"},
    [INDEXBUS_INVALID_ARGUMENT] = {"INDEXBUS_INVALID_ARGUMENT", "invalid argument"},
    [INDEXBUS_WRONG_KIND] = {"INDEXBUS_WRONG_KIND", "operation does not apply to this region kind"},
    [INDEXBUS_TIMEOUT] = {"INDEXBUS_TIMEOUT", "timed out"},
    [INDEXBUS_DISCONNECTED] = {"INDEXBUS_DISCONNECTED", "every peer on the other side has closed"},
    [INDEXBUS_CORRUPT] = {"INDEXBUS_CORRUPT", "region contents are corrupt"},
    [INDEXBUS_PERMISSION] = {"INDEXBUS_PERMISSION", "permission denied"},
    [INDEXBUS_EXISTS] = {"INDEXBUS_EXISTS", "region already exists"},
    [INDEXBUS_NOT_FOUND] = {"INDEXBUS_NOT_FOUND", "no such region"},
    [INDEXBUS_IO] = {"INDEXBUS_IO", "operating system call failed"},
    [INDEXBUS_BUSY] = {"INDEXBUS_BUSY", "exclusive role is already attached"},
    [INDEXBUS_NO_MEMORY] = {"INDEXBUS_NO_MEMORY", "out of memory"},
    [INDEXBUS_OUT_OF_RANGE] = {"INDEXBUS_OUT_OF_RANGE", "consumer index out of range"},
    [INDEXBUS_BAD_STATE] = {"INDEXBUS_BAD_STATE", "call not valid in the handle's current state"},
};

INDEXBUS_API const char *indexbus_strerror(int status)
{
    if (status < 0 || status >= INDEXBUS_STATUS_COUNT)
        return "unknown status";
    return ib_status_table[status].text;
}

INDEXBUS_API const char *indexbus_status_name(int status)
{
    if (status < 0 || status >= INDEXBUS_STATUS_COUNT)
        return "INDEXBUS_UNKNOWN";
    return ib_status_table[status].name;
}

INDEXBUS_API uint32_t indexbus_version(void) { return INDEXBUS_VERSION_NUMBER; }
INDEXBUS_API const char *indexbus_version_string(void) { return INDEXBUS_VERSION_STRING; }
INDEXBUS_API uint32_t indexbus_layout_version(void)
{
    return (INDEXBUS_LAYOUT_MAJOR << 16) | INDEXBUS_LAYOUT_MINOR;
}

INDEXBUS_API size_t indexbus_struct_size(uint32_t which)
{
    switch (which) {
    case INDEXBUS_STRUCT_REGION_CONFIG: return sizeof(indexbus_region_config);
    case INDEXBUS_STRUCT_OPEN_CONFIG: return sizeof(indexbus_open_config);
    case INDEXBUS_STRUCT_INFO: return sizeof(indexbus_info);
    case INDEXBUS_STRUCT_CONSUMER_STATS: return sizeof(indexbus_consumer_stats);
    case INDEXBUS_STRUCT_ROUTE_RESULT: return sizeof(indexbus_route_result);
    case INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG: return sizeof(indexbus_router_loop_config);
    case INDEXBUS_STRUCT_PARTICIPANT_INFO: return sizeof(indexbus_participant_info);
    case INDEXBUS_STRUCT_RECOVER_REPORT: return sizeof(indexbus_recover_report);
    case INDEXBUS_STRUCT_CONSUMER_CONFIG: return sizeof(indexbus_consumer_config);
    case INDEXBUS_STRUCT_BRIDGE_COUNTERS: return sizeof(indexbus_bridge_counters);
    default: return 0;
    }
}
