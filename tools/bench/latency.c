/* latency.c - IndexBus SPSC one-way latency: a ping-pong between two
 * processes over two events regions, or two byte logs (one each way). The pinger publishes
 * a message of `size` bytes into A and spins on B until the echo arrives;
 * one-way = round trip / 2. Both sides poll with try_recv (no parking). */
#include <string.h>

#include "bench.h"

typedef struct lat_args {
    char there[128], back[128]; /* pinger -> ponger, ponger -> pinger */
    uint32_t size;
} lat_args;

typedef struct lat_area {
    hist h;
} lat_area;

static int ib_pinger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const lat_args *la = arg;
    lat_area *a = (lat_area *)ctl->area;
    indexbus_region *ra = open_region(la->there), *rb = open_region(la->back);
    indexbus_producer *p;
    indexbus_consumer *c;
    check_ib(indexbus_producer_open(ra, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    check_ib(indexbus_consumer_open(rb, 0, &c), "consumer_open");
    uint8_t msg[4096], buf[4096];
    memset(msg, 0x5a, sizeof(msg));
    hist_init(&a->h);
    role_ready(ctl);
    int st = 0;
    for (uint64_t seq = 1;; seq++) {
        uint32_t ph = phase_of(ctl);
        if (ph >= PHASE_STOP)
            break;
        memcpy(msg, &seq, sizeof(seq));
        uint64_t t0 = now_ns();
        while ((st = indexbus_publish(p, msg, la->size)) == INDEXBUS_FULL)
            lat_wait();
        if (st != INDEXBUS_OK)
            break;
        size_t len;
        for (uint32_t spins = 1; (st = indexbus_try_recv(c, buf, sizeof(buf), &len)) ==
                                 INDEXBUS_EMPTY;
             spins++) {
            lat_wait();
            if ((spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
                goto out;
        }
        uint64_t t1 = now_ns();
        if (st != INDEXBUS_OK)
            break;
        if (len != la->size || memcmp(buf, &seq, sizeof(seq) < len ? sizeof(seq) : len) != 0) {
            st = INDEXBUS_CORRUPT; /* the echo is not the message we sent */
            break;
        }
        if (ph == PHASE_MEASURE)
            hist_add(&a->h, t1 - t0);
    }
out:
    /* The ponger stops on its own once it sees PHASE_STOP, so a publish or
     * receive that finds it gone after the stop is a clean end, not an error. */
    if (st == INDEXBUS_EMPTY || (st == INDEXBUS_DISCONNECTED && phase_of(ctl) >= PHASE_STOP))
        st = 0;
    if (st != 0)
        warnx_("spsc pinger: %s", indexbus_strerror(st));
    ctl->party[0].error = st;
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(ra);
    indexbus_region_close(rb);
    return ctl->party[0].error ? 2 : 0;
}

static int ib_ponger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const lat_args *la = arg;
    indexbus_region *ra = open_region(la->there), *rb = open_region(la->back);
    indexbus_consumer *c;
    indexbus_producer *p;
    check_ib(indexbus_consumer_open(ra, 0, &c), "consumer_open");
    check_ib(indexbus_producer_open(rb, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    uint8_t buf[4096];
    role_ready(ctl);
    int st = 0;
    for (uint32_t spins = 0;;) {
        size_t len;
        st = indexbus_try_recv(c, buf, sizeof(buf), &len);
        if (st == INDEXBUS_OK) {
            while ((st = indexbus_publish(p, buf, len)) == INDEXBUS_FULL)
                lat_wait();
            if (st != INDEXBUS_OK)
                break;
            continue;
        }
        if (st != INDEXBUS_EMPTY)
            break; /* DISCONNECTED: the pinger is done */
        lat_wait();
        if ((++spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
            break;
    }
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(ra);
    indexbus_region_close(rb);
    return st == INDEXBUS_OK || st == INDEXBUS_EMPTY || st == INDEXBUS_DISCONNECTED ? 0 : 2;
}

int spsc_latency(uint32_t size, lat_result *out, hist *h)
{
    return region_latency(INDEXBUS_KIND_EVENTS, size, out, h);
}

int region_latency(uint32_t kind, uint32_t size, lat_result *out, hist *h)
{
    lat_args la = {.size = size};
    int log = kind == INDEXBUS_KIND_LOG;
    region_name(la.there, sizeof(la.there), log ? "log-lat-a" : "lat-a");
    region_name(la.back, sizeof(la.back), log ? "log-lat-b" : "lat-b");
    indexbus_region *ra = make_region(la.there, kind, size, 1);
    indexbus_region *rb = make_region(la.back, kind, size, 1);
    shared_ctl *ctl = ctl_map(sizeof(lat_area));
    run_spec spec = {.parties = 2, .fn = {ib_pinger, ib_ponger}, .arg = {&la, &la}, .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    lat_area *a = (lat_area *)ctl->area;
    if (st == 0) {
        lat_from_hist(out, log ? "log" : "spsc", size, &a->h, 1);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &a->h);
    }
    ctl_unmap(ctl);
    indexbus_region_close(ra);
    indexbus_region_close(rb);
    indexbus_region_unlink(la.there);
    indexbus_region_unlink(la.back);
    return st;
}
