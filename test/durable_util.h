/*
 * durable_util.h - what the durable-state tests (durable.c, durable-kill.c)
 * share: creating a durable region of each kind, marked messages that carry
 * their own mark, and a receive that drains a region (routing a fanout one).
 */
#ifndef IB_DURABLE_UTIL_H
#define IB_DURABLE_UTIL_H

#include "mp_util.h"

#define DU_SLOTS 256u
#define DU_DATA 64u
#define DU_RING 65536u
#define DU_MAXREC 1024u
#define DU_FANOUT 2u
#define DU_LEN 24u /* a marked message: its mark, its sequence number, filler */

static inline uint32_t du_consumers(uint32_t kind)
{
    return kind == INDEXBUS_KIND_FANOUT ? DU_FANOUT : 1u;
}

static inline const char *du_kind_name(uint32_t kind)
{
    return kind == INDEXBUS_KIND_EVENTS ? "events" : kind == INDEXBUS_KIND_FANOUT ? "fanout" : "log";
}

/* Create a region of `kind` with flags (INDEXBUS_CREATE_DURABLE or 0). */
static inline int du_create_st(const char *name, uint32_t kind, uint32_t flags,
                               indexbus_region **r)
{
    indexbus_region_config cfg;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    cfg.size = sizeof cfg;
    cfg.flags = flags;
    if (kind == INDEXBUS_KIND_LOG || kind == INDEXBUS_KIND_STREAM) {
        cfg.byte_capacity = DU_RING;
        cfg.max_record = DU_MAXREC;
    } else if (kind == INDEXBUS_KIND_RPC) {
        cfg.slot_count = 4;
    } else {
        cfg.slot_count = cfg.queue_capacity = DU_SLOTS;
        cfg.slot_data_size = DU_DATA;
        cfg.consumer_count = du_consumers(kind);
    }
    return indexbus_region_create(name, &cfg, r);
}

static inline indexbus_region *du_create(const char *name, uint32_t kind)
{
    indexbus_region *r = NULL;
    REQUIRE_OK(du_create_st(name, kind, INDEXBUS_CREATE_DURABLE, &r));
    return r;
}

/* Message `seq` with mark `mark`, DU_LEN bytes at buf. */
static inline void du_msg(uint8_t *buf, uint64_t mark, uint32_t seq)
{
    memcpy(buf, &mark, 8);
    memcpy(buf + 8, &seq, 4);
    mp_fill(buf + 12, mark, seq, DU_LEN - 12);
}

/* Check a received message; its mark and sequence number out. */
static inline int du_check(const uint8_t *buf, size_t len, uint64_t *mark, uint32_t *seq)
{
    if (len != DU_LEN)
        return 0;
    memcpy(mark, buf, 8);
    memcpy(seq, buf + 8, 4);
    return mp_check_fill(buf + 12, len - 12, *mark, *seq, DU_LEN - 12);
}

/* Fill a batch of n messages: seq from..from+n-1, marks[i] = markf(seq). */
static inline void du_batch(uint8_t *data, uint32_t *lens, uint64_t *marks, uint32_t from,
                            uint32_t n, uint64_t (*markf)(uint32_t))
{
    for (uint32_t i = 0; i < n; i++) {
        marks[i] = markf(from + i);
        lens[i] = DU_LEN;
        du_msg(data + (size_t)i * DU_LEN, marks[i], from + i);
    }
}

/* Route everything waiting (fanout; rt may be NULL for other kinds). */
static inline void du_route(indexbus_router *rt)
{
    if (rt == NULL)
        return;
    for (int n = 0; n < 100000; n++) {
        int st = indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST);
        if (st != INDEXBUS_OK)
            break;
    }
}

/* Receive one waiting message (routing first); its mark and seq. OK,
 * EMPTY, DISCONNECTED, or 99 for a message that is not ours. */
static inline int du_recv(indexbus_consumer *c, indexbus_router *rt, uint64_t *mark, uint32_t *seq)
{
    uint8_t buf[DU_MAXREC];
    size_t len = 0;
    int st = indexbus_try_recv(c, buf, sizeof buf, &len);
    if (st == INDEXBUS_EMPTY && rt != NULL) {
        du_route(rt);
        st = indexbus_try_recv(c, buf, sizeof buf, &len);
    }
    if (st == INDEXBUS_OK && !du_check(buf, len, mark, seq))
        return 99;
    return st;
}

#endif /* IB_DURABLE_UTIL_H */
