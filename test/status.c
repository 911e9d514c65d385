/* status.c - status text and names for every code, unknown codes,
 * library/layout versions and indexbus_struct_size. */
#include "harness.h"

#define E(x) {x, #x}
static const struct {
    int code;
    const char *name;
} codes[] = {
    E(INDEXBUS_OK),           E(INDEXBUS_FULL),          E(INDEXBUS_EMPTY),
    E(INDEXBUS_TOO_LARGE),    E(INDEXBUS_BUFFER_TOO_SMALL), E(INDEXBUS_INCOMPATIBLE),
    E(INDEXBUS_NOT_READY),    E(INDEXBUS_INVALID_ARGUMENT), E(INDEXBUS_WRONG_KIND),
    E(INDEXBUS_TIMEOUT),      E(INDEXBUS_DISCONNECTED),  E(INDEXBUS_CORRUPT),
    E(INDEXBUS_PERMISSION),   E(INDEXBUS_EXISTS),        E(INDEXBUS_NOT_FOUND),
    E(INDEXBUS_IO),           E(INDEXBUS_BUSY),          E(INDEXBUS_NO_MEMORY),
    E(INDEXBUS_OUT_OF_RANGE), E(INDEXBUS_BAD_STATE),
};
#undef E
#define NCODES ((int)(sizeof codes / sizeof codes[0]))

static void test_names_and_text(void)
{
    REQUIRE(NCODES == INDEXBUS_STATUS_COUNT);
    for (int i = 0; i < NCODES; i++) {
        CHECK(codes[i].code == i); /* frozen values 0..COUNT-1 */
        const char *name = indexbus_status_name(i), *text = indexbus_strerror(i);
        REQUIRE(name != NULL && text != NULL);
        if (strcmp(name, codes[i].name) != 0) {
            fprintf(stderr, "status %d: name %s, want %s\n", i, name, codes[i].name);
            ib_test_failures++;
        }
        CHECK(text[0] != '\0');
        CHECK(strcmp(text, "unknown status") != 0);
        for (int j = 0; j < i; j++) {
            CHECK(strcmp(text, indexbus_strerror(j)) != 0);
            CHECK(strcmp(name, indexbus_status_name(j)) != 0);
        }
    }
    const int unknown[] = {-1, INDEXBUS_STATUS_COUNT, 999, -2147483647 - 1, 2147483647};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK(strcmp(indexbus_strerror(unknown[i]), "unknown status") == 0);
        CHECK(strcmp(indexbus_status_name(unknown[i]), "INDEXBUS_UNKNOWN") == 0);
    }
}

static void test_versions(void)
{
    char want[32];
    CHECK(indexbus_version() == INDEXBUS_VERSION_NUMBER);
    CHECK(INDEXBUS_VERSION_NUMBER == INDEXBUS_VERSION_MAJOR * 10000 +
                                         INDEXBUS_VERSION_MINOR * 100 + INDEXBUS_VERSION_PATCH);
    REQUIRE(indexbus_version_string() != NULL);
    CHECK(strcmp(indexbus_version_string(), INDEXBUS_VERSION_STRING) == 0);
    snprintf(want, sizeof want, "%d.%d.%d", INDEXBUS_VERSION_MAJOR, INDEXBUS_VERSION_MINOR,
             INDEXBUS_VERSION_PATCH);
    CHECK(strcmp(indexbus_version_string(), want) == 0);
    CHECK(indexbus_layout_version() == ((1u << 16) | 3u) /* 1.3: recycling, MPSC batches */);
    CHECK(indexbus_layout_version() == ((INDEXBUS_LAYOUT_MAJOR << 16) | INDEXBUS_LAYOUT_MINOR));
}

static void test_struct_sizes(void)
{
    CHECK(indexbus_struct_size(1) == sizeof(indexbus_region_config));
    CHECK(indexbus_struct_size(2) == sizeof(indexbus_open_config));
    CHECK(indexbus_struct_size(3) == sizeof(indexbus_info));
    CHECK(indexbus_struct_size(4) == sizeof(indexbus_consumer_stats));
    CHECK(indexbus_struct_size(5) == sizeof(indexbus_route_result));
    CHECK(indexbus_struct_size(6) == sizeof(indexbus_router_loop_config));
    CHECK(indexbus_struct_size(7) == sizeof(indexbus_participant_info));
    CHECK(indexbus_struct_size(8) == sizeof(indexbus_recover_report));
    CHECK(indexbus_struct_size(9) == sizeof(indexbus_consumer_config));
    CHECK(indexbus_struct_size(10) == sizeof(indexbus_bridge_counters));
    const uint32_t others[] = {0, 11, 100, 0x80000000u, 0xffffffffu};
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        CHECK(indexbus_struct_size(others[i]) == 0);
}

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    test_names_and_text();
    test_versions();
    test_struct_sizes();
    return ib_test_done("status");
}
