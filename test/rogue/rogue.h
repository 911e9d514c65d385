/*
 * rogue.h - shared pieces of the live-rogue test (make check-rogue,
 * make fuzz-live): PRNG, clock, the region geometry as the rogue and the
 * driver read it from the header's section directory, the map of canary
 * bytes (padding nobody may write), the strategy table, and the helper
 * entry points. See test/rogue/README.md.
 */
#ifndef IB_ROGUE_H
#define IB_ROGUE_H

#include <stddef.h>
#include <stdint.h>

#include <indexbus/indexbus.h>
#include <indexbus/layout.h>

/* ---- PRNG (splitmix64 seeding, xorshift64* stream) ----------------------- */

static inline uint64_t rg_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

typedef struct rg_rng {
    uint64_t s;
} rg_rng;

static inline void rg_seed(rg_rng *r, uint64_t seed)
{
    r->s = rg_mix(seed) | 1;
}

static inline uint64_t rg_next(rg_rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return x * 0x2545f4914f6cdd1dull;
}

/* uniform in [0, n); n > 0 */
static inline uint64_t rg_below(rg_rng *r, uint64_t n)
{
    return n ? rg_next(r) % n : 0;
}

/* 1 with probability num/den */
static inline int rg_chance(rg_rng *r, uint32_t num, uint32_t den)
{
    return rg_below(r, den) < num;
}

uint64_t rg_now_ns(void); /* CLOCK_MONOTONIC: the same clock in every process */
void rg_sleep_ns(uint64_t ns);

/* ---- geometry from the header ------------------------------------------- */

#define RG_NSEC 14 /* section kinds 1..13 (9: LOG_RING, 10: STREAM_CTL, 11: RPC_CTL, 12: RPC_CELLS,
                   * 13: DURABLE) */

typedef struct rg_geo {
    uint32_t kind, slots, data, stride, queue, consumers, section_count;
    uint64_t total;
    uint64_t log_bytes;   /* byte logs, byte streams: ring bytes (0 otherwise) */
    uint32_t max_record;  /* byte logs, byte streams: largest record */
    uint32_t cells, max_request, max_reply, cell_stride; /* request/response */
    uint64_t off[RG_NSEC], len[RG_NSEC]; /* by section kind; len 0 = absent */
    uint64_t spsc_bytes;                 /* one SPSC index queue */
    uint64_t caps;                       /* header capabilities (slot regions) */
} rg_geo;

/* Read the geometry and section directory from a header (once, at start).
 * 0 on success; else -1 and a reason in err. */
int rg_geo_read(const uint8_t *base, uint64_t map_size, rg_geo *g, char *err, size_t errlen);

/* Canary bytes: padding and reserved bytes of the layout that no
 * participant ever writes (the rogue avoids them too). Any non-zero canary
 * byte after a round is an out-of-bounds write by the library. One bit per
 * byte of [0, total). */
uint8_t *rg_canary_map(const rg_geo *g);
static inline int rg_is_canary(const uint8_t *map, uint64_t off)
{
    return (map[off >> 3] >> (off & 7)) & 1;
}
/* Describe offset `off` ("SLOT_POOL+0x1234 (slot 3 pad)") into buf. */
void rg_describe(const rg_geo *g, uint64_t off, char *buf, size_t len);

/* Map a region (POSIX shm name) read-write or read-only. 0 on success. */
int rg_map(const char *name, int writable, uint8_t **base, uint64_t *size);

/* ---- strategies --------------------------------------------------------- */

enum rg_strategy {
    RG_RANDOM_BYTES,
    RG_INDEX_BOUNDS,
    RG_HUGE_LEN,
    RG_QUEUE_WORDS,
    RG_REFCOUNTS,
    RG_HEADER,
    RG_PARTICIPANTS,
    RG_WAKE_COUNTERS,
    RG_ROUTER_JOURNAL,
    RG_POOL,
    RG_SPSC_CELLS,
    RG_MIXED,
    /* byte-log regions (1.1); also the ring of a byte stream */
    RG_LOG_RING,     /* tail, head and read */
    RG_LOG_HEADERS,  /* record headers where the reader and the writers are */
    RG_LOG_JOURNALS, /* producers' journals (participant log_reserve / log_size) */
    /* byte streams and request/response (1.1) */
    RG_STREAM_CTL, /* the state word, seat owners, read_skip, bytes_read */
    RG_RPC_CELLS,  /* cell state words, lengths and wake words, pending bits, RPC_CTL */
    /* durable regions (1.2): events, fanout and byte logs created with
     * INDEXBUS_CREATE_DURABLE; HOLD consumers and a marked SPSC producer */
    RG_DURABLE, /* the DURABLE section (mark journal, hold_mask, counters) and the held queues */
    /* layout 1.3 (writer_13.h) */
    RG_RECYCLE,    /* fanout recycling: parked owners and positions, consumer and SPSC cells */
    RG_MPSC_BATCH, /* MPSC batch reservation: entries' reserved counts and starts, tail, cells */
    RG_NSTRATEGIES
};

/* Strategies that need a ring (byte logs and byte streams), and those that
 * work on any region (the rest write what only one kind has). */
static inline int rg_log_only(int s) { return s >= RG_LOG_RING && s <= RG_LOG_JOURNALS; }
static inline int rg_any_kind(int s)
{
    return s == RG_RANDOM_BYTES || s == RG_HEADER || s == RG_PARTICIPANTS || s == RG_WAKE_COUNTERS ||
           s == RG_MIXED;
}
/* Does strategy s fit a region of `kind`? */
static inline int rg_fits(int s, uint32_t kind)
{
    if (rg_any_kind(s))
        return 1;
    if (s == RG_DURABLE)
        return kind == INDEXBUS_KIND_EVENTS || kind == INDEXBUS_KIND_FANOUT || kind == INDEXBUS_KIND_LOG;
    if (s == RG_RECYCLE)
        return kind == INDEXBUS_KIND_FANOUT;
    if (s == RG_MPSC_BATCH)
        return kind == INDEXBUS_KIND_EVENTS || kind == INDEXBUS_KIND_FANOUT;
    switch (kind) {
    case INDEXBUS_KIND_LOG: return rg_log_only(s);
    case INDEXBUS_KIND_STREAM: return rg_log_only(s) || s == RG_STREAM_CTL;
    case INDEXBUS_KIND_RPC: return s == RG_RPC_CELLS;
    default: return s < RG_LOG_RING;
    }
}

typedef struct rg_strategy_info {
    const char *name;
    const char *what;
} rg_strategy_info;

extern const rg_strategy_info rg_strategies[RG_NSTRATEGIES];
int rg_strategy_by_name(const char *name); /* -1 if unknown */

/* ---- helper processes (each one a fresh exec of this binary) ------------ */

/* Geometry the driver created the region with: traffic sizes its buffers
 * and checks the API's promises against these, never against the region.
 * A byte log (kind 3) or a byte stream (kind 4) passes its ring bytes in
 * `slots`, its max_record in `data`, and queue 0; request/response (kind 5)
 * its cells in `slots`, max_request in `data` and max_reply in `queue`. */
typedef struct rg_args {
    const char *role;
    const char *region;
    uint64_t until_ns; /* CLOCK_MONOTONIC deadline: end by then */
    uint64_t seed;
    uint32_t arg;      /* consumer index, producer id, router flavour, strategy */
    uint32_t kind, slots, data, queue, consumers;
} rg_args;

int rg_traffic_main(const rg_args *a); /* roles prod-spsc, prod-mpsc, cons, router, observer, recover,
                                        * swriter, sreader, rclient, rserver */
int rg_rogue_main(const rg_args *a);   /* role rogue */

/* exit code of a helper that saw the API break its own promises */
#define RG_EXIT_CONTRACT 3
/* exit code of a helper that could not set up (a test problem) */
#define RG_EXIT_SETUP 4

#endif /* IB_ROGUE_H */
