/* peers_ours.c - our side of the peers section (peers.c): an SPSC producer
 * and a consumer in two processes, as the peer programs run, every message
 * carrying its seq in its first 8 bytes and the consumer checking it (a seq
 * below the expected one fails the run, a gap is counted lost).
 *   copy       indexbus_publish from a local message / indexbus_try_recv into
 *              a local buffer (the seq read from the copy)
 *   zero-copy  indexbus_claim + the seq written in place + indexbus_commit /
 *              indexbus_recv_begin, the seq read in place, indexbus_recv_end
 * The rate is what the consumer received inside the measured window, as in
 * throughput.c, whose harness (run_parties) these roles run under. */
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "peers.h"

typedef struct seq_args {
    char name[128];
    uint32_t size;
    int zc;
} seq_args;

static int seq_producer(shared_ctl *ctl, int slot, void *arg)
{
    const seq_args *a = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(a->name);
    indexbus_producer *p;
    check_ib(indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    uint8_t *msg = malloc(a->size);
    if (msg == NULL)
        die("out of memory");
    memset(msg, 0x5a, a->size);
    role_ready(ctl);
    uint64_t seq = 0;
    uint32_t spins = 0;
    int st = INDEXBUS_OK;
    while (phase_of(ctl) < PHASE_STOP) {
        if (a->zc) {
            void *buf;
            size_t cap;
            st = indexbus_claim(p, &buf, &cap);
            if (st == INDEXBUS_OK) {
                memcpy(buf, &seq, sizeof(seq));
                if ((st = indexbus_commit(p, a->size)) != INDEXBUS_OK)
                    break;
            }
        } else {
            memcpy(msg, &seq, sizeof(seq));
            st = indexbus_publish(p, msg, a->size);
        }
        if (st == INDEXBUS_OK) {
            seq++;
            spins = 0;
            continue;
        }
        if (st != INDEXBUS_FULL)
            break;
        backoff(&spins);
    }
    r->total = seq;
    r->error = st == INDEXBUS_FULL ? 0 : st;
    indexbus_producer_close(p);
    indexbus_region_close(reg);
    free(msg);
    return r->error ? 2 : 0;
}

/* The next message's seq and length (copied out, or read in place). */
static int next_seq(indexbus_consumer *c, int zc, uint8_t *buf, size_t cap, uint64_t *seq,
                    size_t *len)
{
    if (!zc) {
        int st = indexbus_try_recv(c, buf, cap, len);
        if (st == INDEXBUS_OK && *len >= sizeof(*seq))
            memcpy(seq, buf, sizeof(*seq));
        return st;
    }
    const void *data;
    int st = indexbus_recv_begin(c, &data, len);
    if (st != INDEXBUS_OK)
        return st;
    if (*len >= sizeof(*seq))
        memcpy(seq, data, sizeof(*seq));
    return indexbus_recv_end(c);
}

static int seq_consumer(shared_ctl *ctl, int slot, void *arg)
{
    const seq_args *a = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(a->name);
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, 0, &c), "consumer_open");
    size_t cap = a->size < 64 ? 64 : a->size;
    uint8_t *buf = malloc(cap);
    if (buf == NULL)
        die("out of memory");
    role_ready(ctl);
    uint64_t count = 0, expect = 0, lost = 0;
    uint32_t spins = 0, seen = PHASE_SETUP;
    int st;
    for (;;) {
        window_note(ctl, r, count, &seen);
        uint64_t seq = 0;
        size_t len = 0;
        st = next_seq(c, a->zc, buf, cap, &seq, &len);
        if (st == INDEXBUS_OK) {
            if (len != a->size || seq < expect) {
                st = INDEXBUS_CORRUPT; /* wrong length, a duplicate or a reordering */
                break;
            }
            lost += seq - expect;
            expect = seq + 1;
            count++;
            spins = 0;
            continue;
        }
        if (st != INDEXBUS_EMPTY)
            break;
        backoff(&spins);
    }
    window_note(ctl, r, count, &seen);
    r->total = count;
    r->value = lost;
    r->error = st == INDEXBUS_DISCONNECTED ? 0 : st;
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    free(buf);
    return r->error ? 2 : 0;
}

int ours_seq_tput(uint32_t size, int zc, double *msgs_per_s, uint64_t *lost)
{
    seq_args a = {.size = size, .zc = zc};
    region_name(a.name, sizeof(a.name), "peer-ours");
    indexbus_region *reg = make_region(a.name, INDEXBUS_KIND_EVENTS, size, 1);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = 2, .fn = {seq_producer, seq_consumer}, .arg = {&a, &a}, .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0) {
        *msgs_per_s = party_rate(&ctl->party[1]);
        *lost = ctl->party[1].value;
    }
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(a.name);
    return st;
}
