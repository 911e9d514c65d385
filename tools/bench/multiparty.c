/* multiparty.c - more than two parties, each its own process:
 *  - MPSC: N producer processes publishing into one events region (or one
 *    byte log), one consumer; the rate is everything the consumer received;
 *  - fanout: one SPSC producer, the router (indexbus_router_run, default
 *    idle policy, exits on disconnect) and N consumers, in broadcast
 *    (every consumer gets every message, unless its queue is full) or
 *    work-queue mode (each message to one consumer). Every message crosses
 *    the router hop.
 * The caller picks the region's 1.3 features (BENCH_FANOUT_FLAGS,
 * BENCH_MPSC_FLAGS, or 0 for the plain regions the diagnostics keep).
 * With more processes than CPUs the placement is SPLIT (bench.h): the
 * producers and the router on one CPU, the consumers on the other. */
#include <stdio.h>
#include <string.h>

#include "bench.h"

int mpsc_tput(uint32_t kind, int producers, uint32_t batch, uint32_t flags, double *msgs_per_s)
{
    if (producers < 1 || producers + 1 > MAX_PARTIES)
        die("mpsc_tput: %d producers", producers);
    tput_args ta = {.size = 64, .batch = batch, .producer_type = INDEXBUS_PRODUCER_MPSC};
    region_name(ta.name, sizeof(ta.name), kind == INDEXBUS_KIND_LOG ? "log-mpsc" : "mpsc");
    indexbus_region *reg = make_region_flags(ta.name, kind, ta.size, 1, 0, flags);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = producers + 1, .pin = 1};
    for (int i = 0; i < producers; i++) {
        spec.fn[i] = role_ib_producer;
        spec.arg[i] = &ta;
    }
    spec.fn[producers] = role_ib_consumer;
    spec.arg[producers] = &ta;
    spec.downstream[producers] = 1;
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[producers]);
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(ta.name);
    return st;
}

uint32_t fanout_slots(int consumers, uint32_t mode)
{
    uint64_t want = (uint64_t)INDEXBUS_DEFAULT_SLOTS *
                    (1u + (mode == INDEXBUS_MODE_WORK_QUEUE ? (uint32_t)consumers : 1u));
    uint32_t n = INDEXBUS_DEFAULT_SLOTS;
    while (n < want)
        n <<= 1;
    return n;
}

typedef struct router_args {
    const char *name;
    uint32_t mode;
} router_args;

static int role_router(shared_ctl *ctl, int slot, void *arg)
{
    const router_args *ra = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(ra->name);
    indexbus_router *rt;
    check_ib(indexbus_router_open(reg, &rt), "router_open");
    role_ready(ctl);
    indexbus_router_loop_config cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.size = sizeof(cfg);
    cfg.mode = ra->mode;
    cfg.flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT;
    int st = indexbus_router_run(rt, &cfg);
    r->total = cfg.routed;
    r->error = st == INDEXBUS_DISCONNECTED || st == INDEXBUS_OK ? 0 : st;
    indexbus_router_close(rt);
    indexbus_region_close(reg);
    return r->error ? 2 : 0;
}

int fanout_tput(int consumers, uint32_t mode, uint32_t flags, double *per_consumer,
                double *total, uint64_t *drops)
{
    if (consumers < 1 || consumers + 2 > MAX_PARTIES)
        die("fanout_tput: %d consumers", consumers);
    tput_args prod = {.size = 64, .batch = 1, .producer_type = INDEXBUS_PRODUCER_SPSC};
    region_name(prod.name, sizeof(prod.name), "fanout");
    indexbus_region *reg =
        make_region_flags(prod.name, INDEXBUS_KIND_FANOUT, prod.size, (uint32_t)consumers,
                          fanout_slots(consumers, mode), flags);
    tput_args cons[MAX_PARTIES];
    router_args ra = {prod.name, mode};
    run_spec spec = {.parties = consumers + 2, .pin = 1};
    spec.fn[0] = role_ib_producer;
    spec.arg[0] = &prod;
    spec.fn[1] = role_router;
    spec.arg[1] = &ra;
    for (int i = 0; i < consumers; i++) {
        cons[i] = prod;
        cons[i].consumer_index = i;
        spec.fn[2 + i] = role_ib_consumer;
        spec.arg[2 + i] = &cons[i];
        spec.downstream[2 + i] = 1;
    }
    shared_ctl *ctl = ctl_map(0);
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0) {
        double sum = 0;
        for (int i = 0; i < consumers; i++)
            sum += party_rate(&ctl->party[2 + i]);
        *total = sum;
        *per_consumer = sum / consumers;
        *drops = 0;
        for (int i = 0; i < consumers; i++) {
            indexbus_consumer_stats cs = {.size = sizeof(cs)};
            if (indexbus_region_consumer_stats(reg, (uint32_t)i, &cs) == INDEXBUS_OK)
                *drops += cs.dropped_full;
        }
        indexbus_info info = {.size = sizeof(info)};
        if (g_opts.verbose && indexbus_region_info(reg, &info) == INDEXBUS_OK)
            fprintf(stderr,
                    "  %d consumers, mode %u: routed %llu, router stalls %llu, producer FULL %llu\n",
                    consumers, mode, (unsigned long long)info.routed,
                    (unsigned long long)info.route_no_space,
                    (unsigned long long)ctl->party[0].value);
    }
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(prod.name);
    return st;
}
