/* throughput.c - IndexBus streaming throughput between processes: one
 * producer publishing messages of `size` bytes as fast as the region takes
 * them (publish, or publish_batch of `batch`; on a byte log optionally
 * claim_batch of `batch` records filled in place by memcpy, then
 * commit_batch), one consumer receiving them (try_recv, or recv_batch of
 * up to `batch`). The rate is what the consumer received inside the
 * measured window. The region is an events region or a byte log
 * (make_region). The producer and consumer roles here are shared with
 * multiparty.c. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"

int role_ib_producer(shared_ctl *ctl, int slot, void *arg)
{
    const tput_args *ta = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(ta->name);
    indexbus_producer *p;
    check_ib(indexbus_producer_open(reg, ta->producer_type, &p), "producer_open");
    uint32_t batch = ta->batch ? ta->batch : 1;
    uint8_t *msgs = malloc((size_t)batch * ta->size + 1);
    uint32_t *lens = malloc(batch * sizeof(uint32_t));
    void **bufs = malloc(batch * sizeof(void *));
    if (msgs == NULL || lens == NULL || bufs == NULL)
        die("out of memory");
    memset(msgs, 0x3c, (size_t)batch * ta->size + 1);
    for (uint32_t i = 0; i < batch; i++)
        lens[i] = ta->size;
    role_ready(ctl);
    uint64_t sent = 0;
    uint32_t spins = 0;
    int st = INDEXBUS_OK;
    while (phase_of(ctl) < PHASE_STOP) {
        if (batch == 1) {
            st = indexbus_publish(p, msgs, ta->size);
            if (st == INDEXBUS_OK) {
                sent++;
                spins = 0;
                continue;
            }
        } else if (ta->claim) { /* all of the batch or nothing (FULL) */
            st = indexbus_claim_batch(p, lens, batch, bufs);
            if (st == INDEXBUS_OK) {
                for (uint32_t i = 0; i < batch; i++)
                    memcpy(bufs[i], msgs + (size_t)i * ta->size, ta->size);
                if ((st = indexbus_commit_batch(p, batch)) != INDEXBUS_OK)
                    break;
                sent += batch;
                spins = 0;
                continue;
            }
        } else {
            size_t n = 0;
            st = indexbus_publish_batch(p, msgs, lens, batch, &n);
            sent += n;
            if (n > 0) {
                spins = 0;
                continue;
            }
        }
        if (st != INDEXBUS_FULL)
            break;
        r->value++; /* FULL returns: the producer waited for room */
        backoff(&spins);
    }
    r->total = sent;
    r->error = st == INDEXBUS_FULL ? 0 : st;
    indexbus_producer_close(p);
    indexbus_region_close(reg);
    free(msgs);
    free(lens);
    free(bufs);
    return r->error ? 2 : 0;
}

int role_ib_consumer(shared_ctl *ctl, int slot, void *arg)
{
    const tput_args *ta = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(ta->name);
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, (uint32_t)ta->consumer_index, &c), "consumer_open");
    uint32_t batch = ta->batch ? ta->batch : 1;
    size_t cap = (size_t)batch * (ta->size < 64 ? 64 : ta->size);
    uint8_t *buf = malloc(cap);
    uint32_t *lens = malloc(batch * sizeof(uint32_t));
    if (buf == NULL || lens == NULL)
        die("out of memory");
    role_ready(ctl);
    uint64_t count = 0;
    uint32_t spins = 0, seen = PHASE_SETUP;
    int st;
    for (;;) {
        window_note(ctl, r, count, &seen);
        if (batch == 1) {
            size_t len;
            st = indexbus_try_recv(c, buf, cap, &len);
            if (st == INDEXBUS_OK) {
                count++;
                spins = 0;
                continue;
            }
        } else {
            size_t k;
            st = indexbus_recv_batch(c, buf, cap, lens, batch, &k);
            if (st == INDEXBUS_OK) {
                count += k;
                spins = 0;
                continue;
            }
        }
        if (st != INDEXBUS_EMPTY)
            break;
        backoff(&spins);
    }
    window_note(ctl, r, count, &seen);
    r->total = count;
    r->error = st == INDEXBUS_DISCONNECTED ? 0 : st;
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    free(buf);
    free(lens);
    return r->error ? 2 : 0;
}

int spsc_tput(uint32_t size, uint32_t batch, double *msgs_per_s)
{
    return region_tput(INDEXBUS_KIND_EVENTS, size, batch, 0, msgs_per_s);
}

int region_tput(uint32_t kind, uint32_t size, uint32_t batch, int claim, double *msgs_per_s)
{
    tput_args ta = {.size = size, .batch = batch, .producer_type = INDEXBUS_PRODUCER_SPSC,
                    .claim = claim};
    region_name(ta.name, sizeof(ta.name), kind == INDEXBUS_KIND_LOG ? "log-tput" : "tput");
    indexbus_region *reg = make_region(ta.name, kind, size, 1);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = 2, .fn = {role_ib_producer, role_ib_consumer},
                     .arg = {&ta, &ta}, .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[1]);
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(ta.name);
    return st;
}
