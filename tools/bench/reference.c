/* reference.c - the floor every IndexBus figure is compared with, built
 * from nothing but shared memory between two processes:
 *  - the hardware floor: two cache lines ping-ponged (one written by each
 *    side), so one round trip is two cache-line transfers;
 *  - the best case for a ring: a minimal SPSC ring of inline message
 *    slots, head and tail on their own lines, each side caching the
 *    other's index, one release store per message, memcpy in and out. */
#include <string.h>

#include "bench.h"

/* ---- two-line ping-pong -------------------------------------------------------- */

typedef struct pingpong_area {
    hist h;
    _Alignas(64) uint64_t ping; /* written by the pinger */
    _Alignas(64) uint64_t pong; /* written by the ponger */
    _Alignas(64) uint8_t pad[64];
} pingpong_area;

static int pinger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    (void)arg;
    pingpong_area *a = (pingpong_area *)ctl->area;
    hist_init(&a->h);
    role_ready(ctl);
    for (uint64_t seq = 1;; seq++) {
        uint32_t ph = phase_of(ctl);
        if (ph >= PHASE_STOP)
            break;
        uint64_t t0 = now_ns();
        __atomic_store_n(&a->ping, seq, __ATOMIC_RELEASE);
        for (uint32_t spins = 1; __atomic_load_n(&a->pong, __ATOMIC_ACQUIRE) != seq; spins++) {
            lat_wait();
            if ((spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
                return 0;
        }
        uint64_t t1 = now_ns();
        if (ph == PHASE_MEASURE)
            hist_add(&a->h, t1 - t0);
    }
    return 0;
}

static int ponger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    (void)arg;
    pingpong_area *a = (pingpong_area *)ctl->area;
    role_ready(ctl);
    uint64_t last = 0;
    for (uint32_t spins = 0;;) {
        uint64_t v = __atomic_load_n(&a->ping, __ATOMIC_ACQUIRE);
        if (v != last) {
            last = v;
            __atomic_store_n(&a->pong, v, __ATOMIC_RELEASE);
            continue;
        }
        lat_wait();
        if ((++spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
            return 0;
    }
}

int ref_pingpong(lat_result *out, hist *h)
{
    shared_ctl *ctl = ctl_map(sizeof(pingpong_area));
    run_spec spec = {.parties = 2, .fn = {pinger, ponger}, .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    pingpong_area *a = (pingpong_area *)ctl->area;
    if (st == 0) {
        lat_from_hist(out, "floor", 8, &a->h, 1);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &a->h);
    }
    ctl_unmap(ctl);
    return st;
}

/* ---- minimal SPSC ring ---------------------------------------------------------- */

#define RING_CAP 1024u /* as many entries as IndexBus's default slot count */

typedef struct ring_area {
    _Alignas(64) uint64_t head; /* written by the reader */
    _Alignas(64) uint64_t tail; /* written by the writer */
    _Alignas(64) uint32_t done; /* the writer has stopped at tail */
    _Alignas(64) uint8_t data[]; /* RING_CAP slots, each on its own line(s) */
} ring_area;

static int ring_writer(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    uint32_t size = *(const uint32_t *)arg, stride = (size + 63u) & ~63u;
    ring_area *a = (ring_area *)ctl->area;
    uint8_t msg[4096];
    memset(msg, 0xab, sizeof(msg));
    role_ready(ctl);
    uint64_t pos = 0, cached = 0;
    uint32_t spins = 0;
    while (phase_of(ctl) < PHASE_STOP) {
        if (pos - cached == RING_CAP) {
            cached = __atomic_load_n(&a->head, __ATOMIC_ACQUIRE);
            if (pos - cached == RING_CAP) {
                backoff(&spins);
                continue;
            }
        }
        memcpy(&a->data[(pos & (RING_CAP - 1)) * stride], msg, size);
        __atomic_store_n(&a->tail, ++pos, __ATOMIC_RELEASE);
        spins = 0;
    }
    ctl->party[0].total = pos;
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return 0;
}

static int ring_reader(shared_ctl *ctl, int slot, void *arg)
{
    uint32_t size = *(const uint32_t *)arg, stride = (size + 63u) & ~63u;
    ring_area *a = (ring_area *)ctl->area;
    party_result *r = &ctl->party[slot];
    uint8_t out[4096];
    role_ready(ctl);
    uint64_t pos = 0, cached = 0, count = 0;
    uint32_t spins = 0, seen = PHASE_SETUP;
    for (;;) {
        window_note(ctl, r, count, &seen);
        if (pos == cached) {
            cached = __atomic_load_n(&a->tail, __ATOMIC_ACQUIRE);
            if (pos == cached) {
                if (__atomic_load_n(&a->done, __ATOMIC_ACQUIRE) &&
                    __atomic_load_n(&a->tail, __ATOMIC_ACQUIRE) == pos)
                    break;
                backoff(&spins);
                continue;
            }
        }
        memcpy(out, &a->data[(pos & (RING_CAP - 1)) * stride], size);
        __atomic_store_n(&a->head, ++pos, __ATOMIC_RELEASE);
        count++;
        spins = 0;
    }
    window_note(ctl, r, count, &seen);
    r->total = count;
    return out[0] == 0xab || count == 0 ? 0 : 3;
}

int ref_ring(uint32_t size, double *msgs_per_s)
{
    if (size > 4096)
        die("ref_ring: size %u", size);
    uint32_t stride = (size + 63u) & ~63u;
    shared_ctl *ctl = ctl_map(sizeof(ring_area) + (size_t)RING_CAP * stride);
    run_spec spec = {.parties = 2, .fn = {ring_writer, ring_reader}, .arg = {&size, &size},
                     .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[1]);
    ctl_unmap(ctl);
    return st;
}
