/*
 * hold_util.h - shared helpers of the held-receive tests (test/hold.c,
 * test/hold-procs.c): regions at file paths (so a rogue mapping can read
 * heads and hold_mask), deterministic messages, exact held receives.
 * Header-only, test-local.
 */
#ifndef IB_TEST_HOLD_UTIL_H
#define IB_TEST_HOLD_UTIL_H

#include "bad_util.h"
#include "mp_util.h"

#define HD_DATA 64u      /* slot_data_size */
#define HD_RING 4096u    /* byte logs */
#define HD_MAXREC 1000u
#define HD_MPSC (1ull << 63)

/* Message i: 8..63 bytes of mp_fill(tag 16). Byte logs: up to 600. */
static inline size_t hd_len(uint32_t i) { return 8u + (i * 13u) % 56u; }
static inline size_t hd_log_len(uint32_t i) { return (i * 97u) % 601u; }

static inline indexbus_region *hd_create(const char *path, uint32_t kind, uint32_t slots,
                                         uint32_t queue, uint32_t consumers, int durable)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    if (kind == INDEXBUS_KIND_LOG) {
        cfg.byte_capacity = HD_RING;
        cfg.max_record = HD_MAXREC;
    } else {
        cfg.slot_count = slots;
        cfg.queue_capacity = queue;
        cfg.slot_data_size = HD_DATA;
        cfg.consumer_count = consumers;
    }
    if (durable)
        cfg.flags |= INDEXBUS_CREATE_DURABLE;
    int st = indexbus_region_create(path, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", path, indexbus_status_name(st));
        exit(1);
    }
    return r;
}

static inline indexbus_consumer *hd_holder(indexbus_region *r, uint32_t index, uint32_t max_held)
{
    indexbus_consumer_config cc = {.size = sizeof cc, .index = index,
                                   .flags = INDEXBUS_CONSUMER_HOLD, .max_held = max_held};
    indexbus_consumer *c = NULL;
    int st = indexbus_consumer_open_config(r, &cc, &c);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "open holder %u: %s\n", index, indexbus_status_name(st));
        exit(1);
    }
    return c;
}

/* Publish message i (hd_len bytes, or hd_log_len in a byte log). */
static inline int hd_pub(indexbus_producer *p, uint32_t i, int log)
{
    uint8_t b[HD_MAXREC];
    size_t n = log ? hd_log_len(i) : hd_len(i);
    mp_fill(b, 16, i, n);
    return indexbus_publish(p, b, n);
}

/* recv_held must give message i, exactly, at position pos. */
#define HD_HELD(c, i, pos, log) hd_held_((c), (i), (pos), (log), __FILE__, __LINE__)
static inline void hd_held_(indexbus_consumer *c, uint32_t i, uint64_t pos, int log,
                            const char *file, int line)
{
    uint8_t b[HD_MAXREC + 8];
    size_t n = 0;
    uint64_t got = ~0ull;
    int st = indexbus_recv_held(c, b, sizeof b, &n, &got);
    size_t want = log ? hd_log_len(i) : hd_len(i);
    if (st != INDEXBUS_OK || got != pos || !mp_check_fill(b, n, 16, i, want)) {
        fprintf(stderr, "%s:%d: recv_held: %s, position %llx (want message %u at %llx)\n", file,
                line, indexbus_status_name(st), (unsigned long long)got, i,
                (unsigned long long)pos);
        ib_test_failures++;
    }
}

/* recv_held must say want. */
static inline int hd_held_st(indexbus_consumer *c)
{
    uint8_t b[HD_MAXREC + 8];
    size_t n;
    uint64_t pos;
    return indexbus_recv_held(c, b, sizeof b, &n, &pos);
}

/* try_recv must give message i exactly. */
static inline void hd_expect(indexbus_consumer *c, uint32_t i, int log)
{
    uint8_t b[HD_MAXREC + 8];
    size_t n = 0;
    CHECK_ST(indexbus_try_recv(c, b, sizeof b, &n), INDEXBUS_OK);
    CHECK(mp_check_fill(b, n, 16, i, log ? hd_log_len(i) : hd_len(i)));
}

static inline uint64_t hd_delivered(const indexbus_region *r, uint32_t i)
{
    return mp_cstats(r, i).delivered;
}

static inline uint64_t hd_load64(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }

static inline indexbus_durable_ctl *hd_durable(const bad_map *m)
{
    return bad_sec(m, INDEXBUS_SECTION_DURABLE);
}

static inline indexbus_log_ctl *hd_log(const bad_map *m)
{
    return bad_sec(m, INDEXBUS_SECTION_LOG_RING);
}

/* Byte position of the record after one of len bytes at pos (a record
 * never straddles the ring's end: a pad fills the rest of a lap). */
static inline uint64_t hd_log_next(uint64_t pos, size_t len)
{
    return pos + ((8u + len + 7u) & ~(uint64_t)7u);
}
static inline uint64_t hd_log_place(uint64_t pos, size_t len)
{
    uint64_t stride = (8u + len + 7u) & ~(uint64_t)7u;
    uint64_t off = pos % HD_RING;
    return off + stride > HD_RING ? pos + (HD_RING - off) : pos;
}

#endif /* IB_TEST_HOLD_UTIL_H */
