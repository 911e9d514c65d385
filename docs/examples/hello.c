/* hello.c - the README example: one process creates an events region,
 * publishes, receives, and cleans up. Build with
 *   cc hello.c $(pkg-config --cflags --libs indexbus)                       */
#include <indexbus/indexbus.h>
#include <stdio.h>

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region *region;
    indexbus_producer *tx;
    indexbus_consumer *rx;
    char buf[256];
    size_t len;

    indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS);
    int st = indexbus_region_create("/hello-indexbus", &cfg, &region);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create: %s\n", indexbus_strerror(st));
        return 1;
    }
    indexbus_producer_open(region, INDEXBUS_PRODUCER_SPSC, &tx);
    indexbus_consumer_open(region, 0, &rx);

    indexbus_publish(tx, "hello, bus", 10);
    st = indexbus_recv(rx, buf, sizeof buf, &len, 1000000000); /* 1 s */
    printf("%s: %.*s\n", indexbus_status_name(st), (int)len, buf);

    indexbus_consumer_close(rx);
    indexbus_producer_close(tx);
    indexbus_region_close(region);
    indexbus_region_unlink("/hello-indexbus");
    return st == INDEXBUS_OK ? 0 : 1;
}
