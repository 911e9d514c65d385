/* reference.c - the floor every IndexBus figure is compared with, built
 * from nothing but shared memory between two processes:
 *  - the hardware floor: two cache lines ping-ponged (one written by each
 *    side), so one round trip is two cache-line transfers;
 *  - the best case for a ring: a minimal SPSC ring of inline message
 *    slots, head and tail on their own lines, each side caching the
 *    other's index, one release store per message, memcpy in and out.
 * Two variants of the ring, for diagnosis only (never in a ratio), each add
 * one thing the IndexBus publish path does: a seq_cst fence after every
 * publish (RING_FENCE, as ib_wake_notify), or slots taken from and given
 * back to a shared tagged free list with a CAS on each side (RING_POOL, as
 * the slot pool), the ring then carrying slot indices. */
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

typedef struct ring_args {
    uint32_t size;
    uint32_t flags; /* RING_* diagnostics; 0 for the reference */
} ring_args;

typedef struct ring_area {
    _Alignas(64) uint64_t head;      /* written by the reader */
    _Alignas(64) uint64_t tail;      /* written by the writer */
    _Alignas(64) uint32_t done;      /* the writer has stopped at tail */
    _Alignas(64) uint64_t free_head; /* RING_POOL: (tag << 32) | first free slot */
    _Alignas(64) uint32_t cells[RING_CAP]; /* RING_POOL: slot index per position */
    _Alignas(64) uint8_t data[]; /* RING_CAP slots, each on its own line(s) */
} ring_area;

/* RING_POOL slots carry a 16-byte header like IndexBus's (next_free first). */
#define POOL_HDR 16u
static uint32_t ring_stride(const ring_args *ra)
{
    uint32_t need = ra->size + (ra->flags & RING_POOL ? POOL_HDR : 0);
    return (need + 63u) & ~63u;
}

static uint32_t *slot_next(ring_area *a, uint32_t stride, uint32_t idx)
{
    return (uint32_t *)&a->data[(size_t)idx * stride];
}

/* The diagnostic pool: a tagged Treiber stack, as lib/ring.h's. */
static uint32_t pool_pop(ring_area *a, uint32_t stride)
{
    uint64_t old = __atomic_load_n(&a->free_head, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t idx = (uint32_t)old;
        if (idx == UINT32_MAX)
            return idx;
        uint32_t next = __atomic_load_n(slot_next(a, stride, idx), __ATOMIC_RELAXED);
        uint64_t neu = (((old >> 32) + 1) << 32) | next;
        if (__atomic_compare_exchange_n(&a->free_head, &old, neu, 0, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE))
            return idx;
    }
}

static void pool_push(ring_area *a, uint32_t stride, uint32_t idx)
{
    uint64_t old = __atomic_load_n(&a->free_head, __ATOMIC_RELAXED), neu;
    do {
        __atomic_store_n(slot_next(a, stride, idx), (uint32_t)old, __ATOMIC_RELAXED);
        neu = (((old >> 32) + 1) << 32) | idx;
    } while (!__atomic_compare_exchange_n(&a->free_head, &old, neu, 0, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
}

/* One side's private view of a ring: its position and its cached copy of
 * the other side's index. */
typedef struct ring_side {
    ring_area *a;
    uint32_t size, stride;
    int fence, pool;
    uint64_t pos, cached;
} ring_side;

static void side_init(ring_side *s, ring_area *a, const ring_args *ra)
{
    s->a = a;
    s->size = ra->size;
    s->stride = ring_stride(ra);
    s->fence = ra->flags & RING_FENCE;
    s->pool = ra->flags & RING_POOL;
    s->pos = s->cached = 0;
}

/* Writer: publish one message; 0 if the ring (or the pool) is full. */
static inline int ring_put(ring_side *s, const uint8_t *msg)
{
    ring_area *a = s->a;
    if (s->pos - s->cached == RING_CAP) {
        s->cached = __atomic_load_n(&a->head, __ATOMIC_ACQUIRE);
        if (s->pos - s->cached == RING_CAP)
            return 0;
    }
    if (!s->pool) {
        memcpy(&a->data[(s->pos & (RING_CAP - 1)) * s->stride], msg, s->size);
    } else {
        uint32_t idx = pool_pop(a, s->stride);
        if (idx == UINT32_MAX)
            return 0;
        memcpy(&a->data[(size_t)idx * s->stride + POOL_HDR], msg, s->size);
        __atomic_store_n(&a->cells[s->pos & (RING_CAP - 1)], idx, __ATOMIC_RELAXED);
    }
    __atomic_store_n(&a->tail, ++s->pos, __ATOMIC_RELEASE);
    if (s->fence) /* what ib_wake_notify adds to every publish */
        __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return 1;
}

/* Reader: take one message into out; 0 if the ring is empty. */
static inline int ring_get(ring_side *s, uint8_t *out)
{
    ring_area *a = s->a;
    if (s->pos == s->cached) {
        s->cached = __atomic_load_n(&a->tail, __ATOMIC_ACQUIRE);
        if (s->pos == s->cached)
            return 0;
    }
    if (!s->pool) {
        memcpy(out, &a->data[(s->pos & (RING_CAP - 1)) * s->stride], s->size);
        __atomic_store_n(&a->head, ++s->pos, __ATOMIC_RELEASE);
    } else {
        uint32_t idx = __atomic_load_n(&a->cells[s->pos & (RING_CAP - 1)], __ATOMIC_RELAXED);
        memcpy(out, &a->data[(size_t)idx * s->stride + POOL_HDR], s->size);
        __atomic_store_n(&a->head, ++s->pos, __ATOMIC_RELEASE);
        pool_push(a, s->stride, idx);
    }
    return 1;
}

static int ring_writer(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    ring_side w;
    side_init(&w, (ring_area *)ctl->area, arg);
    uint8_t msg[4096];
    memset(msg, 0xab, sizeof(msg));
    role_ready(ctl);
    uint32_t spins = 0;
    while (phase_of(ctl) < PHASE_STOP) {
        if (ring_put(&w, msg))
            spins = 0;
        else
            backoff(&spins);
    }
    ctl->party[0].total = w.pos;
    __atomic_store_n(&w.a->done, 1, __ATOMIC_RELEASE);
    return 0;
}

static int ring_reader(shared_ctl *ctl, int slot, void *arg)
{
    ring_side rd;
    side_init(&rd, (ring_area *)ctl->area, arg);
    party_result *r = &ctl->party[slot];
    uint8_t out[4096];
    out[0] = 0xab;
    role_ready(ctl);
    uint64_t count = 0;
    uint32_t spins = 0, seen = PHASE_SETUP;
    for (;;) {
        window_note(ctl, r, count, &seen);
        if (ring_get(&rd, out)) {
            count++;
            spins = 0;
            continue;
        }
        if (__atomic_load_n(&rd.a->done, __ATOMIC_ACQUIRE) &&
            __atomic_load_n(&rd.a->tail, __ATOMIC_ACQUIRE) == rd.pos)
            break;
        backoff(&spins);
    }
    window_note(ctl, r, count, &seen);
    r->total = count;
    return out[0] == 0xab ? 0 : 3;
}

static size_t ring_bytes(const ring_args *ra)
{
    size_t n = sizeof(ring_area) + (size_t)RING_CAP * ring_stride(ra);
    return (n + 63u) & ~(size_t)63u;
}

static void ring_setup(ring_area *a, const ring_args *ra)
{
    if (ra->flags & RING_POOL) { /* every slot free, linked in order */
        uint32_t stride = ring_stride(ra);
        for (uint32_t i = 0; i < RING_CAP; i++)
            *slot_next(a, stride, i) = i + 1 < RING_CAP ? i + 1 : UINT32_MAX;
        a->free_head = 0;
    }
}

int ref_ring(uint32_t size, uint32_t flags, double *msgs_per_s)
{
    if (size > 4096)
        die("ref_ring: size %u", size);
    ring_args ra = {size, flags};
    shared_ctl *ctl = ctl_map(ring_bytes(&ra));
    ring_setup((ring_area *)ctl->area, &ra);
    run_spec spec = {.parties = 2, .fn = {ring_writer, ring_reader}, .arg = {&ra, &ra},
                     .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    if (st == 0)
        *msgs_per_s = party_rate(&ctl->party[1]);
    ctl_unmap(ctl);
    return st;
}

/* ---- ping-pong over two rings (diagnostic) ------------------------------------------ */

typedef struct ring_pp_area {
    hist h;
    _Alignas(64) uint8_t rings[]; /* ring there, then ring back */
} ring_pp_area;

static ring_area *pp_ring(shared_ctl *ctl, const ring_args *ra, int which)
{
    ring_pp_area *pa = (ring_pp_area *)ctl->area;
    return (ring_area *)(pa->rings + (size_t)which * ring_bytes(ra));
}

static int ring_pinger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const ring_args *ra = arg;
    ring_pp_area *pa = (ring_pp_area *)ctl->area;
    ring_side there, back;
    side_init(&there, pp_ring(ctl, ra, 0), ra);
    side_init(&back, pp_ring(ctl, ra, 1), ra);
    uint8_t msg[4096], buf[4096];
    memset(msg, 0x5a, sizeof(msg));
    hist_init(&pa->h);
    role_ready(ctl);
    for (;;) {
        uint32_t ph = phase_of(ctl);
        if (ph >= PHASE_STOP)
            break;
        uint64_t t0 = now_ns();
        while (!ring_put(&there, msg))
            lat_wait();
        for (uint32_t spins = 1; !ring_get(&back, buf); spins++) {
            lat_wait();
            if ((spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
                return 0;
        }
        uint64_t t1 = now_ns();
        if (ph == PHASE_MEASURE)
            hist_add(&pa->h, t1 - t0);
    }
    return 0;
}

static int ring_ponger(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const ring_args *ra = arg;
    ring_side there, back;
    side_init(&there, pp_ring(ctl, ra, 0), ra);
    side_init(&back, pp_ring(ctl, ra, 1), ra);
    uint8_t buf[4096];
    role_ready(ctl);
    for (uint32_t spins = 0;;) {
        if (ring_get(&there, buf)) {
            while (!ring_put(&back, buf))
                lat_wait();
            continue;
        }
        lat_wait();
        if ((++spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
            return 0;
    }
}

int ring_pingpong(uint32_t size, uint32_t flags, lat_result *out, hist *h)
{
    if (size > 4096)
        die("ring_pingpong: size %u", size);
    ring_args ra = {size, flags};
    shared_ctl *ctl = ctl_map(sizeof(ring_pp_area) + 2 * ring_bytes(&ra));
    ring_setup(pp_ring(ctl, &ra, 0), &ra);
    ring_setup(pp_ring(ctl, &ra, 1), &ra);
    run_spec spec = {.parties = 2, .fn = {ring_pinger, ring_ponger}, .arg = {&ra, &ra},
                     .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    ring_pp_area *pa = (ring_pp_area *)ctl->area;
    if (st == 0) {
        lat_from_hist(out, "ring", size, &pa->h, 1);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &pa->h);
    }
    ctl_unmap(ctl);
    return st;
}
