/* fixture.c - see fixture.h (moved here from unit_router.c). */
#include "fixture.h"

fx fx_setup(const char *tag, uint32_t slots, uint32_t queue)
{
    const char *name = ib_test_name(tag);
    indexbus_region_config cfg;
    fx f;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT));
    cfg.slot_count = slots;
    cfg.queue_capacity = queue;
    cfg.slot_data_size = FX_DATA;
    cfg.consumer_count = FX_NC;
    REQUIRE_OK(indexbus_region_create(name, &cfg, &f.r));
    REQUIRE_OK(indexbus_region_unlink(name));
    REQUIRE_OK(indexbus_router_open(f.r, &f.rt));
    REQUIRE_OK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_SPSC, &f.p));
    REQUIRE_OK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_MPSC, &f.m));
    for (uint32_t i = 0; i < FX_NC; i++)
        REQUIRE_OK(indexbus_consumer_open(f.r, i, &f.c[i]));
    return f;
}

void fx_teardown(fx *f)
{
    for (uint32_t i = 0; i < FX_NC; i++)
        indexbus_consumer_close(f->c[i]);
    indexbus_producer_close(f->m);
    indexbus_producer_close(f->p);
    indexbus_router_close(f->rt);
    indexbus_region_close(f->r);
}

void fx_pub_u32(indexbus_producer *p, uint32_t v)
{
    REQUIRE_OK(indexbus_publish(p, &v, sizeof v));
}

void fx_expect_u32(indexbus_consumer *c, uint32_t want)
{
    uint32_t v = ~want;
    size_t len = 0;
    CHECK_ST(indexbus_try_recv(c, &v, sizeof v, &len), INDEXBUS_OK);
    CHECK(len == sizeof v && v == want);
}

void fx_expect_st(indexbus_consumer *c, int want)
{
    uint32_t v;
    size_t len;
    CHECK_ST(indexbus_try_recv(c, &v, sizeof v, &len), want);
}

indexbus_info fx_info(indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    return info;
}
