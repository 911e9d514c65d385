/* events.c - events region: publish/recv round trip, order, zero-length,
 * EMPTY, BUFFER_TOO_SMALL keeps the message, back-pressure FULL then drain. */
#include "harness.h"

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, NULL);
    const char *name = ib_test_name("evb");
    indexbus_region *r = ib_test_create(name, INDEXBUS_KIND_EVENTS, 8, 64, 0);
    indexbus_producer *p;
    indexbus_consumer *c;
    char buf[64];
    size_t len = 0;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));

    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_publish(p, "hello", 5), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, "", 0), INDEXBUS_OK);
    CHECK_ST(indexbus_try_recv(c, buf, 2, &len), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 5);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 5 && memcmp(buf, "hello", 5) == 0);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 0);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_EMPTY);

    /* back-pressure: 8 slots, then FULL, then succeeds after a drain */
    for (int i = 0; i < 8; i++)
        CHECK_ST(indexbus_publish(p, &i, sizeof i), INDEXBUS_OK);
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_FULL);
    int v;
    CHECK_ST(indexbus_try_recv(c, &v, sizeof v, &len), INDEXBUS_OK);
    CHECK(v == 0);
    CHECK_ST(indexbus_publish(p, "x", 1), INDEXBUS_OK);
    for (int i = 1; i < 8; i++) {
        CHECK_ST(indexbus_try_recv(c, &v, sizeof v, &len), INDEXBUS_OK);
        CHECK(v == i);
    }
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 1 && buf[0] == 'x');

    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.published == 11);
    CHECK(info.free_slots == 8);

    /* disconnect: producer gone and queue drained */
    CHECK_ST(indexbus_publish(p, "last", 4), INDEXBUS_OK);
    REQUIRE_OK(indexbus_producer_close(p));
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_OK);
    CHECK(len == 4 && memcmp(buf, "last", 4) == 0);
    CHECK_ST(indexbus_try_recv(c, buf, sizeof buf, &len), INDEXBUS_DISCONNECTED);

    indexbus_consumer_close(c);
    indexbus_region_close(r);
    REQUIRE_OK(indexbus_region_unlink(name));
    return ib_test_done("events");
}
