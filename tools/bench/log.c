/* log.c - how densely a byte log packs records, against an events region;
 * a count, not a timing (the byte log's latency and throughput runs are
 * latency.c's and throughput.c's on a region of kind INDEXBUS_KIND_LOG).
 *
 * A byte log of LOG_PACK_BYTES (64 KiB, the default largest record) is
 * filled with publish, records of 16..1024 B drawn from a fixed-seed
 * generator, without reading, until publish says FULL; payload bytes held
 * / ring bytes is one fill's figure. Then everything is read (the count
 * must match) and the next fill starts where the last one ended, so the
 * fills start at different offsets and most of them pad at the wrap; the
 * figure is the mean over PACK_FILLS fills. The same records go into an
 * events region with 1024-B slots (the smallest slot that takes them all)
 * until FULL, per byte of slot area (slot_count x slot_stride, LAYOUT.md
 * 4), with 1024 slots and 1024-entry queues, so that every slot can hold
 * a message (the default geometry has twice the slots, for SPSC slot
 * recycling, and holds half as much per byte). It runs in a child, as
 * every measurement. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

#define PACK_FILLS 8
#define PACK_MIN 16u
#define PACK_MAX 1024u

typedef struct pack_area {
    double log_ratio, events_ratio;
} pack_area;

/* 16..1024 B, a 64-bit LCG (Knuth's MMIX constants). */
static uint32_t next_len(uint64_t *s)
{
    *s = *s * 6364136223846793005ull + 1442695040888963407ull;
    return PACK_MIN + (uint32_t)((*s >> 33) % (PACK_MAX - PACK_MIN + 1u));
}

/* Publish records from the generator until FULL; payload bytes held. */
static int fill(indexbus_producer *p, uint64_t *seed, const uint8_t *msg, uint64_t *bytes,
                uint64_t *records)
{
    *bytes = *records = 0;
    for (;;) {
        uint32_t len = next_len(seed);
        int st = indexbus_publish(p, msg, len);
        if (st == INDEXBUS_FULL)
            return INDEXBUS_OK;
        if (st != INDEXBUS_OK)
            return st;
        *bytes += len;
        ++*records;
    }
}

/* Read everything back: the count must be what fill published. */
static int drain(indexbus_consumer *c, uint8_t *buf, uint64_t records)
{
    uint64_t n = 0;
    size_t len;
    int st;
    while ((st = indexbus_try_recv(c, buf, PACK_MAX, &len)) == INDEXBUS_OK)
        n++;
    if (st != INDEXBUS_EMPTY)
        return st;
    return n == records ? INDEXBUS_OK : INDEXBUS_CORRUPT;
}

static int pack_log(double *ratio, const uint8_t *msg, uint8_t *buf)
{
    char name[128];
    region_name(name, sizeof(name), "log-pack");
    indexbus_region_config cfg;
    check_ib(indexbus_region_config_init(&cfg, INDEXBUS_KIND_LOG), "region_config_init");
    cfg.byte_capacity = LOG_PACK_BYTES;
    cfg.flags = INDEXBUS_CREATE_PREFAULT;
    indexbus_region *reg;
    check_ib(indexbus_region_create(name, &cfg, &reg), name);
    indexbus_producer *p;
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, 0, &c), "consumer_open");
    check_ib(indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    uint64_t seed = 1, bytes, records;
    double sum = 0;
    int st = INDEXBUS_OK;
    for (int i = 0; i < PACK_FILLS && st == INDEXBUS_OK; i++) {
        if ((st = fill(p, &seed, msg, &bytes, &records)) == INDEXBUS_OK)
            st = drain(c, buf, records);
        sum += (double)bytes / LOG_PACK_BYTES;
        if (g_opts.verbose)
            fprintf(stderr, "  log packing, fill %d: %llu records, %llu payload bytes\n", i,
                   (unsigned long long)records, (unsigned long long)bytes);
    }
    *ratio = sum / PACK_FILLS;
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    indexbus_region_unlink(name);
    return st;
}

static int pack_events(double *ratio, const uint8_t *msg, uint8_t *buf)
{
    char name[128];
    region_name(name, sizeof(name), "events-pack");
    indexbus_region_config cfg;
    check_ib(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS), "region_config_init");
    cfg.slot_count = cfg.queue_capacity = 1024;
    cfg.slot_data_size = PACK_MAX;
    cfg.flags = INDEXBUS_CREATE_PREFAULT;
    indexbus_region *reg;
    check_ib(indexbus_region_create(name, &cfg, &reg), name);
    indexbus_producer *p;
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, 0, &c), "consumer_open");
    check_ib(indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    uint64_t seed = 1, bytes, records;
    int st = fill(p, &seed, msg, &bytes, &records);
    if (st == INDEXBUS_OK)
        st = drain(c, buf, records);
    indexbus_info info;
    memset(&info, 0, sizeof(info));
    info.size = sizeof(info);
    if (st == INDEXBUS_OK)
        st = indexbus_region_info(reg, &info);
    /* the slot stride of LAYOUT.md 4: header + data, to a multiple of 64 */
    uint64_t stride = (INDEXBUS_SLOT_HEADER_BYTES + info.slot_data_size + 63u) & ~(uint64_t)63u;
    *ratio = st == INDEXBUS_OK ? (double)bytes / ((double)info.slot_count * (double)stride) : 0;
    if (g_opts.verbose)
        fprintf(stderr, "  events packing: %llu messages, %llu payload bytes, %u slots of %llu bytes\n",
               (unsigned long long)records, (unsigned long long)bytes, info.slot_count,
               (unsigned long long)stride);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    indexbus_region_unlink(name);
    return st;
}

static int role_pack(shared_ctl *ctl, int slot, void *arg)
{
    (void)arg;
    pack_area *a = (pack_area *)ctl->area;
    static uint8_t msg[PACK_MAX], buf[PACK_MAX];
    memset(msg, 0x6c, sizeof(msg));
    int st = pack_log(&a->log_ratio, msg, buf);
    if (st == INDEXBUS_OK)
        st = pack_events(&a->events_ratio, msg, buf);
    if (st != INDEXBUS_OK)
        warnx_("packing: %s", indexbus_strerror(st));
    ctl->party[slot].error = st;
    role_ready(ctl);
    return st == INDEXBUS_OK ? 0 : 2;
}

int log_packing(double *log_ratio, double *events_ratio)
{
    shared_ctl *ctl = ctl_map(sizeof(pack_area));
    run_spec spec = {.parties = 1, .fn = {role_pack}};
    int st = run_parties(ctl, &spec, 0, 0);
    pack_area *a = (pack_area *)ctl->area;
    if (st == 0) {
        *log_ratio = a->log_ratio;
        *events_ratio = a->events_ratio;
    }
    ctl_unmap(ctl);
    return st;
}
