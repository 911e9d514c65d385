/*
 * writer.c - the rogue: maps the region read-write and rewrites it while
 * the traffic processes run, with the strategy it was started with, until
 * its deadline. Section offsets come from the header's section directory,
 * read once at start. Writes go in bursts; about a third of them are undone
 * after the pause that follows the burst, so readers also see values that
 * flicker (the read-twice class of bug). The rogue never writes canary bytes
 * (rg_canary_map): those must still be zero when the round ends.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rogue.h"

#define NUNDO 64
#define NWRITERS 19 /* writers in `writers` below */
#define NSLOT_WRITERS 11 /* the first 11: the ones for events / fanout regions */

typedef struct rogue {
    rg_rng rng;
    uint8_t *base;
    uint64_t size;
    rg_geo g;
    uint8_t *canary;
    uint8_t hdr0[INDEXBUS_HEADER_BYTES]; /* the header as it was at start */
    struct {
        uint64_t off;
        uint32_t width;
        uint64_t old;
    } undo[NUNDO];
    uint32_t nundo;
    int keep_undo; /* 0: this write is not undone */
    uint64_t writes, undone, sweeps;
    uint64_t per_writer[NWRITERS];
} rogue;

/* ---- primitive accesses (never into a canary byte, never out of bounds) -- */

static uint64_t get(rogue *R, uint64_t off, uint32_t width)
{
    uint8_t *p = R->base + off;
    switch (width) {
    case 1: return __atomic_load_n(p, __ATOMIC_RELAXED);
    case 2: return __atomic_load_n((uint16_t *)p, __ATOMIC_RELAXED);
    case 4: return __atomic_load_n((uint32_t *)p, __ATOMIC_RELAXED);
    default: return __atomic_load_n((uint64_t *)p, __ATOMIC_RELAXED);
    }
}

static void raw_put(rogue *R, uint64_t off, uint32_t width, uint64_t v)
{
    uint8_t *p = R->base + off;
    switch (width) {
    case 1: __atomic_store_n(p, (uint8_t)v, __ATOMIC_RELAXED); break;
    case 2: __atomic_store_n((uint16_t *)p, (uint16_t)v, __ATOMIC_RELAXED); break;
    case 4: __atomic_store_n((uint32_t *)p, (uint32_t)v, __ATOMIC_RELAXED); break;
    default: __atomic_store_n((uint64_t *)p, v, __ATOMIC_RELAXED); break;
    }
}

static int writable(rogue *R, uint64_t off, uint32_t width)
{
    if (off % width || off + width > R->g.total)
        return 0;
    for (uint32_t i = 0; i < width; i++)
        if (rg_is_canary(R->canary, off + i))
            return 0;
    return 1;
}

static void put(rogue *R, uint64_t off, uint32_t width, uint64_t v)
{
    if (!writable(R, off, width)) {
        /* a bug in this test, not in the library: say so loudly */
        fprintf(stderr, "rogue: internal error: write of %u bytes at %#llx is not allowed\n",
                width, (unsigned long long)off);
        exit(RG_EXIT_SETUP);
    }
    if (R->keep_undo && R->nundo < NUNDO) {
        R->undo[R->nundo].off = off;
        R->undo[R->nundo].width = width;
        R->undo[R->nundo].old = get(R, off, width);
        R->nundo++;
    }
    raw_put(R, off, width, v);
    R->writes++;
}

static void undo_all(rogue *R)
{
    while (R->nundo > 0) {
        R->nundo--;
        raw_put(R, R->undo[R->nundo].off, R->undo[R->nundo].width, R->undo[R->nundo].old);
        R->undone++;
    }
}

/* ---- addresses ------------------------------------------------------------ */

#define OFF(kind) (R->g.off[INDEXBUS_SECTION_##kind])

static uint32_t nqueues(rogue *R) /* SPSC producer queue + fanout consumer queues */
{
    return 1 + (R->g.kind == INDEXBUS_KIND_FANOUT ? R->g.consumers : 0);
}

static uint64_t spsc_q(rogue *R, uint32_t i)
{
    return i == 0 ? OFF(SPSC_QUEUE) : OFF(CONSUMER_QUEUES) + (uint64_t)(i - 1) * R->g.spsc_bytes;
}

static uint64_t slot_hdr(rogue *R, uint32_t idx)
{
    return OFF(SLOT_POOL) + 64 + (uint64_t)idx * R->g.stride;
}

static uint64_t mpsc_cell(rogue *R, uint64_t pos)
{
    return OFF(MPSC_QUEUE) + 128 + 16 * (pos & (R->g.queue - 1));
}

static uint64_t entry(rogue *R, uint32_t e)
{
    return OFF(PARTICIPANTS) + 320 + 64ull * e;
}

/* A queue position where readers look next: [head, tail + 1] when the two
 * look sane, else anywhere. */
static uint64_t near_head(rogue *R, uint64_t head, uint64_t tail)
{
    if (tail - head <= R->g.queue)
        return head + rg_below(&R->rng, tail - head + 2);
    return rg_below(&R->rng, R->g.queue);
}

static uint64_t spsc_cell_near_head(rogue *R, uint32_t q)
{
    uint64_t b = spsc_q(R, q);
    uint64_t pos = near_head(R, get(R, b, 8), get(R, b + 64, 8));
    return b + 128 + 4 * (pos & (R->g.queue - 1));
}

static uint32_t bad_index(rogue *R)
{
    uint32_t S = R->g.slots;
    switch (rg_below(&R->rng, 9)) {
    case 0: return S;
    case 1: return S + 1;
    case 2: return 0xFFFFFFF0u;
    case 3: return INDEXBUS_SLOT_NIL - 1;
    case 4: return INDEXBUS_SLOT_NIL;
    case 5: return 0x80000000u;
    case 6: return S + (uint32_t)rg_below(&R->rng, 1u << 20);
    case 7: return S * 2;
    default: return (uint32_t)rg_next(&R->rng) | S; /* >= S: S is a power of two */
    }
}

/* A slot a reader is about to look at, or any slot. */
static uint32_t hot_slot(rogue *R)
{
    uint32_t S = R->g.slots;
    if (rg_chance(&R->rng, 1, 3))
        return (uint32_t)rg_below(&R->rng, S);
    if (rg_chance(&R->rng, 1, 2)) {
        uint32_t idx = (uint32_t)get(R, spsc_cell_near_head(R, (uint32_t)rg_below(&R->rng, nqueues(R))), 4);
        return idx < S ? idx : (uint32_t)rg_below(&R->rng, S);
    }
    uint64_t h = get(R, OFF(MPSC_QUEUE) + 64, 8);
    uint32_t idx = (uint32_t)get(R, mpsc_cell(R, h + rg_below(&R->rng, 4)) + 8, 4);
    return idx < S ? idx : (uint32_t)rg_below(&R->rng, S);
}

static uint64_t mutate64(rogue *R, uint64_t v)
{
    uint64_t Q = R->g.queue;
    switch (rg_below(&R->rng, 12)) {
    case 0: return v ^ (1ull << rg_below(&R->rng, 64));
    case 1: return v + 1;
    case 2: return v - 1;
    case 3: return v + Q;
    case 4: return v - Q;
    case 5: return v + Q + 1;
    case 6: return 0;
    case 7: return ~0ull;
    case 8: return rg_next(&R->rng);
    case 9: return v | 1ull << 63;
    case 10: return v ^ (1ull << rg_below(&R->rng, 24));
    default: return v + 2 + rg_below(&R->rng, 2 * Q);
    }
}

static uint32_t mutate32(rogue *R, uint32_t v)
{
    switch (rg_below(&R->rng, 8)) {
    case 0: return v ^ (1u << rg_below(&R->rng, 32));
    case 1: return v + 1;
    case 2: return v - 1;
    case 3: return 0;
    case 4: return ~0u;
    case 5: return (uint32_t)rg_next(&R->rng);
    case 6: return v | 0x80000000u;
    default: return 1 + (uint32_t)rg_below(&R->rng, 8);
    }
}

/* ---- writers ---------------------------------------------------------------- */

static void w_random_bytes(rogue *R)
{
    static const uint32_t widths[4] = {1, 2, 4, 8};
    for (int tries = 0; tries < 16; tries++) {
        int k = (int)rg_below(&R->rng, RG_NSEC); /* 0 = header */
        uint64_t from, len;
        if (k == 0) {
            from = 0;
            len = 640;
        } else {
            if (!R->g.len[k])
                continue;
            from = R->g.off[k];
            len = R->g.len[k];
        }
        uint32_t w = widths[rg_below(&R->rng, 4)];
        uint64_t off = (from + rg_below(&R->rng, len)) & ~(uint64_t)(w - 1);
        if (!writable(R, off, w))
            continue;
        uint64_t v = rg_chance(&R->rng, 1, 4) ? mutate64(R, get(R, off, w)) : rg_next(&R->rng);
        put(R, off, w, v);
        return;
    }
}

static void w_index_bounds(rogue *R)
{
    switch (rg_below(&R->rng, 9)) {
    case 0:
    case 1:
    case 2:
        put(R, spsc_cell_near_head(R, (uint32_t)rg_below(&R->rng, nqueues(R))), 4, bad_index(R));
        break;
    case 3: { /* MPSC value of a cell at or just after head */
        uint64_t h = get(R, OFF(MPSC_QUEUE) + 64, 8);
        put(R, mpsc_cell(R, h + rg_below(&R->rng, 4)) + 8, 4, bad_index(R));
        break;
    }
    case 4: { /* free_head: keep the tag moving so CASes still see a change */
        uint64_t fh = get(R, OFF(SLOT_POOL), 8);
        put(R, OFF(SLOT_POOL), 8, (((fh >> 32) + 1) << 32) | bad_index(R));
        break;
    }
    case 5:
        put(R, slot_hdr(R, (uint32_t)rg_below(&R->rng, R->g.slots)) + 12, 4, bad_index(R));
        break;
    case 6:
        put(R, entry(R, (uint32_t)rg_below(&R->rng, 16)) + 24, 4, bad_index(R) + 1);
        break;
    case 7:
        if (R->g.len[INDEXBUS_SECTION_ROUTER])
            put(R, OFF(ROUTER) + 8, 4, bad_index(R) + 1);
        else
            put(R, spsc_cell_near_head(R, 0), 4, bad_index(R));
        break;
    default: { /* a whole queue's cells at once */
        uint64_t b = spsc_q(R, (uint32_t)rg_below(&R->rng, nqueues(R)));
        uint32_t v = bad_index(R);
        for (uint32_t i = 0; i < R->g.queue; i++)
            raw_put(R, b + 128 + 4ull * i, 4, v);
        R->writes++;
        break;
    }
    }
}

static void w_huge_len(rogue *R)
{
    uint32_t D = R->g.data, v;
    switch (rg_below(&R->rng, 9)) {
    case 0: v = D + 1; break;
    case 1: v = D + 8; break;
    case 2: v = D + R->g.stride; break;
    case 3: v = 2 * D; break;
    case 4: v = 0x7FFFFFFFu; break;
    case 5: v = 0x80000000u; break;
    case 6: v = 0xFFFFFFFFu; break;
    case 7: v = 0xFFFFFFF0u; break;
    default: v = D + 1 + (uint32_t)rg_below(&R->rng, 1u << 16); break;
    }
    put(R, slot_hdr(R, hot_slot(R)), 4, v);
}

static void w_queue_words(rogue *R)
{
    uint64_t Q = R->g.queue;
    switch (rg_below(&R->rng, 6)) {
    case 0:
    case 1: { /* SPSC / consumer queue head or tail */
        uint64_t b = spsc_q(R, (uint32_t)rg_below(&R->rng, nqueues(R)));
        uint64_t w = rg_chance(&R->rng, 1, 2) ? b : b + 64;
        uint64_t v = get(R, w, 8);
        if (rg_chance(&R->rng, 1, 5)) /* the other end, or one lap past it */
            v = get(R, w == b ? b + 64 : b, 8) + (rg_chance(&R->rng, 1, 2) ? 0 : Q + 1);
        else
            v = mutate64(R, v);
        put(R, w, 8, v);
        break;
    }
    case 2: { /* MPSC tail or head */
        uint64_t w = OFF(MPSC_QUEUE) + (rg_chance(&R->rng, 1, 2) ? 0 : 64);
        put(R, w, 8, mutate64(R, get(R, w, 8)));
        break;
    }
    default: { /* MPSC cell seq at a position readers or writers use next */
        uint64_t h = get(R, OFF(MPSC_QUEUE) + 64, 8), t = get(R, OFF(MPSC_QUEUE), 8);
        uint64_t p = rg_chance(&R->rng, 1, 2) ? near_head(R, h, t) : t + rg_below(&R->rng, 3);
        uint64_t c = mpsc_cell(R, p), v;
        switch (rg_below(&R->rng, 9)) {
        case 0: v = p; break;
        case 1: v = p + 1; break;
        case 2: v = p + 2; break;
        case 3: v = p - 1; break;
        case 4: v = p + Q; break;
        case 5: v = (p + 1) | INDEXBUS_MPSC_SKIP; break;
        case 6: v = (p + Q + 1) | INDEXBUS_MPSC_SKIP; break;
        case 7: v = INDEXBUS_MPSC_SKIP | rg_next(&R->rng); break;
        default: v = mutate64(R, get(R, c, 8)); break;
        }
        put(R, c, 8, v);
        break;
    }
    }
}

static void w_refcounts(rogue *R)
{
    uint64_t s = slot_hdr(R, hot_slot(R));
    uint32_t C = R->g.consumers;
    switch (rg_below(&R->rng, 4)) {
    case 0:
    case 1: { /* refcount */
        static const uint32_t fixed[6] = {0, 1, 2, 0xFFFFFFFFu, 0x80000000u, 65};
        uint32_t v = rg_chance(&R->rng, 1, 3) ? mutate32(R, (uint32_t)get(R, s + 4, 4))
                     : rg_chance(&R->rng, 1, 4) ? C + 1
                                                : fixed[rg_below(&R->rng, 6)];
        put(R, s + 4, 4, v);
        break;
    }
    case 2: { /* owner: nobody, a (maybe live) participant, parked, garbage */
        uint32_t v;
        switch (rg_below(&R->rng, 5)) {
        case 0: v = 0; break;
        case 1: v = 1 + (uint32_t)rg_below(&R->rng, 8); break;
        case 2: v = 1 + (uint32_t)rg_below(&R->rng, 256); break;
        case 3: v = INDEXBUS_SLOT_PARKED; break;
        default: v = (uint32_t)rg_next(&R->rng); break;
        }
        put(R, s + 8, 4, v);
        break;
    }
    default: /* next_free: out of bounds, itself, or another slot */
        put(R, s + 12, 4,
            rg_chance(&R->rng, 1, 2)  ? bad_index(R)
            : rg_chance(&R->rng, 1, 2) ? (uint32_t)((s - slot_hdr(R, 0)) / R->g.stride)
                                       : (uint32_t)rg_below(&R->rng, R->g.slots));
        break;
    }
}

static const struct {
    uint16_t off, width;
} header_fields[] = {
    {0, 4}, {4, 2}, {6, 2}, {8, 4}, {12, 4}, {16, 8}, {24, 8}, {32, 4}, {36, 4},
    {40, 4}, {44, 4}, {48, 4}, {52, 4}, {56, 4}, {64, 8}, {72, 4},
};
#define NHEADER_FIELDS (sizeof(header_fields) / sizeof(header_fields[0]))

static void w_header(rogue *R)
{
    uint64_t off;
    uint32_t w;
    uint32_t nf = (uint32_t)NHEADER_FIELDS + 3 * R->g.section_count;
    uint32_t f = (uint32_t)rg_below(&R->rng, nf);
    if (rg_chance(&R->rng, 1, 3)) /* magic, ready or geometry most of all */
        f = (uint32_t[]){0, 15, 7, 8, 9, 10, 11, 6}[rg_below(&R->rng, 8)];
    if (R->g.kind >= INDEXBUS_KIND_LOG && rg_chance(&R->rng, 1, 4)) {
        /* a byte log's or stream's geometry: log_bytes (80) or log_max_record
         * (88); request/response: max_reply (88) */
        off = R->g.kind != INDEXBUS_KIND_RPC && rg_chance(&R->rng, 1, 2) ? 80 : 88;
        w = off == 80 ? 8 : 4;
    } else if (f < NHEADER_FIELDS) {
        off = header_fields[f].off;
        w = header_fields[f].width;
    } else {
        uint32_t e = (f - (uint32_t)NHEADER_FIELDS) / 3, which = (f - (uint32_t)NHEADER_FIELDS) % 3;
        off = 128 + 32ull * e + (which == 0 ? 0 : which == 1 ? 8 : 16);
        w = which == 0 ? 4 : 8;
    }
    uint64_t v = get(R, off, w);
    switch (rg_below(&R->rng, 6)) {
    case 0:
    case 1: v = 0; break;
    case 2: v = v + 1; break;
    case 3: v = v - 1; break;
    case 4: v = v ^ (1ull << rg_below(&R->rng, 8 * w)); break;
    default: v = rg_next(&R->rng); break;
    }
    put(R, off, w, v);
}

/* Put the whole header back as it was (so that new opens succeed again). */
static void header_restore(rogue *R)
{
    for (uint32_t f = 0; f < NHEADER_FIELDS; f++) {
        uint64_t v = 0;
        memcpy(&v, R->hdr0 + header_fields[f].off, header_fields[f].width);
        raw_put(R, header_fields[f].off, header_fields[f].width, v);
    }
    if (R->g.kind >= INDEXBUS_KIND_LOG) {
        uint64_t v = 0;
        memcpy(&v, R->hdr0 + 80, 8);
        raw_put(R, 80, 8, v);
        v = 0;
        memcpy(&v, R->hdr0 + 88, 4);
        raw_put(R, 88, 4, v);
    }
    for (uint32_t e = 0; e < R->g.section_count; e++) {
        uint64_t b = 128 + 32ull * e, v = 0;
        memcpy(&v, R->hdr0 + b, 4);
        raw_put(R, b, 4, v);
        memcpy(&v, R->hdr0 + b + 8, 8);
        raw_put(R, b + 8, 8, v);
        memcpy(&v, R->hdr0 + b + 16, 8);
        raw_put(R, b + 16, 8, v);
    }
}

static uint32_t pick_entry(rogue *R)
{
    return (uint32_t)(rg_chance(&R->rng, 7, 10) ? rg_below(&R->rng, 16) : rg_below(&R->rng, 256));
}

static void w_participants(rogue *R)
{
    uint64_t P = OFF(PARTICIPANTS);
    uint32_t C = R->g.consumers;
    switch (rg_below(&R->rng, 4)) {
    case 0: { /* control block word */
        uint64_t off = P + 4 * rg_below(&R->rng, 9);
        uint32_t v = get(R, off, 4);
        switch (rg_below(&R->rng, 5)) {
        case 0: v = 0; break;
        case 1: v = 1 + (uint32_t)rg_below(&R->rng, 3); break;
        case 2: v = 1 + (uint32_t)rg_below(&R->rng, 300); break;
        case 3: v = (1 + (uint32_t)rg_below(&R->rng, 16)) | INDEXBUS_OWNER_LEAVING; break;
        default: v = mutate32(R, v); break;
        }
        put(R, off, 4, v);
        break;
    }
    case 1: { /* consumer_owner[i] */
        uint64_t off = P + 64 + 4 * rg_below(&R->rng, C);
        uint32_t v;
        switch (rg_below(&R->rng, 5)) {
        case 0: v = 0; break;
        case 1: v = 1 + (uint32_t)rg_below(&R->rng, 16); break;
        case 2: v = (1 + (uint32_t)rg_below(&R->rng, 16)) | INDEXBUS_OWNER_LEAVING; break;
        case 3: v = 257 + (uint32_t)rg_below(&R->rng, 4); break;
        default: v = (uint32_t)rg_next(&R->rng); break;
        }
        put(R, off, 4, v);
        break;
    }
    default: { /* a participant entry field */
        uint64_t e = entry(R, pick_entry(R));
        switch (rg_below(&R->rng, 9)) {
        case 0: /* state: forged ACTIVE entries look dead and get "recovered" */
            put(R, e, 4, rg_chance(&R->rng, 3, 4) ? (uint32_t)rg_below(&R->rng, 2) : mutate32(R, 1));
            break;
        case 1: put(R, e + 4, 4, rg_chance(&R->rng, 3, 4) ? rg_below(&R->rng, 6) : rg_next(&R->rng)); break;
        case 2: {
            static const uint32_t idx[4] = {63, 64, 0xFFFFFFFFu, 0x80000000u};
            put(R, e + 8, 4, rg_chance(&R->rng, 1, 2) ? rg_below(&R->rng, C + 1) : idx[rg_below(&R->rng, 4)]);
            break;
        }
        case 3: put(R, e + 12, 4, rg_next(&R->rng)); break;
        case 4:
            put(R, e + 24, 4,
                rg_chance(&R->rng, 1, 3)   ? 0
                : rg_chance(&R->rng, 1, 2) ? 1 + rg_below(&R->rng, R->g.slots)
                                           : (uint64_t)bad_index(R) + 1);
            break;
        case 5: put(R, e + 28, 4, rg_chance(&R->rng, 3, 4) ? rg_below(&R->rng, 3) : rg_next(&R->rng)); break;
        case 6: { /* held_pos near the head it is compared with */
            uint64_t h = rg_chance(&R->rng, 1, 2) ? get(R, spsc_q(R, (uint32_t)rg_below(&R->rng, nqueues(R))), 8)
                                                  : get(R, OFF(MPSC_QUEUE) + 64, 8);
            put(R, e + 32, 8, rg_chance(&R->rng, 3, 4) ? h - 1 + rg_below(&R->rng, 3) : rg_next(&R->rng));
            break;
        }
        case 7: { /* mpsc_reserve near tail */
            uint64_t t = get(R, OFF(MPSC_QUEUE), 8);
            uint64_t v;
            switch (rg_below(&R->rng, 5)) {
            case 0: v = 0; break;
            case 1: v = t; break;
            case 2: v = t + 1; break;
            case 3: v = t - R->g.queue; break;
            default: v = rg_next(&R->rng); break;
            }
            put(R, e + 40, 8, v);
            break;
        }
        default: put(R, e + 16, 8, rg_next(&R->rng)); break;
        }
        break;
    }
    }
}

static void w_wake_counters(rogue *R)
{
    uint32_t C = R->g.consumers;
    if (rg_chance(&R->rng, 1, 2)) {
        uint64_t w = OFF(WAKE) + 64 * rg_below(&R->rng, C + 1);
        if (rg_chance(&R->rng, 1, 2)) {
            put(R, w, 4, rg_chance(&R->rng, 2, 3) ? get(R, w, 4) + 1 : rg_next(&R->rng));
        } else {
            static const uint32_t v[5] = {0, 0, 1, 0xFFFFFFFFu, 1000};
            put(R, w + 4, 4, rg_chance(&R->rng, 4, 5) ? v[rg_below(&R->rng, 5)] : rg_next(&R->rng));
        }
        return;
    }
    uint64_t K = OFF(COUNTERS), off;
    if (rg_chance(&R->rng, 1, 2))
        off = K + (uint64_t[]){0, 64, 128, 136}[rg_below(&R->rng, 4)];
    else
        off = K + 192 + 64 * rg_below(&R->rng, C) + 8 * rg_below(&R->rng, 3);
    put(R, off, 8, mutate64(R, get(R, off, 8)));
}

static void w_router_journal(rogue *R)
{
    if (!R->g.len[INDEXBUS_SECTION_ROUTER]) {
        w_wake_counters(R);
        return;
    }
    uint64_t Rs = OFF(ROUTER);
    uint32_t C = R->g.consumers, S = R->g.slots;
    uint64_t all = C >= 64 ? ~0ull : (1ull << C) - 1;
    uint64_t spsc_head = get(R, OFF(SPSC_QUEUE), 8), mpsc_head = get(R, OFF(MPSC_QUEUE) + 64, 8);
    if (rg_chance(&R->rng, 1, 4)) {
        /* a plausible open step: the next router_open or a recoverer finishes it */
        uint32_t src = (uint32_t)rg_below(&R->rng, 2);
        uint32_t slot = rg_chance(&R->rng, 3, 4) ? (uint32_t)rg_below(&R->rng, S) : bad_index(R);
        put(R, Rs + 12, 4, src);
        put(R, Rs + 16, 8, src == 0 ? spsc_head : mpsc_head);
        put(R, Rs + 24, 8, rg_next(&R->rng) & all);
        put(R, Rs + 32, 8, rg_chance(&R->rng, 1, 2) ? 0 : rg_next(&R->rng) & all);
        put(R, Rs + 40, 8, rg_chance(&R->rng, 1, 2) ? 0 : rg_next(&R->rng) & all);
        put(R, Rs + 48, 8,
            rg_chance(&R->rng, 1, 2) ? 0
                                     : INDEXBUS_STEP_CURSOR(1 + rg_below(&R->rng, 5), rg_below(&R->rng, C + 1),
                                                            rg_next(&R->rng)));
        put(R, Rs + 8, 4, slot + 1);
        return;
    }
    switch (rg_below(&R->rng, 9)) {
    case 0: put(R, Rs, 4, rg_chance(&R->rng, 1, 2) ? C + rg_below(&R->rng, 3) : rg_next(&R->rng)); break;
    case 1: put(R, Rs + 4, 4, mutate32(R, (uint32_t)get(R, Rs + 4, 4))); break;
    case 2:
        put(R, Rs + 8, 4,
            rg_chance(&R->rng, 1, 3)   ? 0
            : rg_chance(&R->rng, 1, 2) ? 1 + rg_below(&R->rng, S)
                                       : (uint64_t)bad_index(R) + 1);
        break;
    case 3: put(R, Rs + 12, 4, rg_chance(&R->rng, 2, 3) ? rg_below(&R->rng, 3) : rg_next(&R->rng)); break;
    case 4: {
        uint64_t h = rg_chance(&R->rng, 1, 2) ? spsc_head : mpsc_head;
        put(R, Rs + 16, 8, rg_chance(&R->rng, 3, 4) ? h - 1 + rg_below(&R->rng, 3) : rg_next(&R->rng));
        break;
    }
    case 5:
    case 6:
    case 7: {
        uint64_t masks[5] = {all, rg_next(&R->rng), 1ull << 63, ~0ull, C < 64 ? 1ull << C : 0};
        put(R, Rs + 24 + 8 * rg_below(&R->rng, 3), 8, masks[rg_below(&R->rng, 5)]);
        break;
    }
    default:
        put(R, Rs + 48, 8,
            rg_chance(&R->rng, 1, 2)
                ? INDEXBUS_STEP_CURSOR(rg_below(&R->rng, 8), rg_below(&R->rng, 70), rg_next(&R->rng))
                : rg_next(&R->rng));
        break;
    }
}

static void w_pool(rogue *R)
{
    uint64_t L = OFF(SLOT_POOL);
    uint64_t fh = get(R, L, 8), tag = (fh >> 32) + 1;
    uint32_t S = R->g.slots;
    switch (rg_below(&R->rng, 5)) {
    case 0: put(R, L, 8, tag << 32 | INDEXBUS_SLOT_NIL); break;
    case 1: put(R, L, 8, tag << 32 | bad_index(R)); break;
    case 2: put(R, L, 8, tag << 32 | (uint32_t)rg_below(&R->rng, S)); break; /* maybe in use */
    case 3: put(R, L, 8, rg_next(&R->rng)); break;
    default: { /* next_free of the head slot (or any slot) */
        uint32_t idx = (uint32_t)fh < S && rg_chance(&R->rng, 2, 3) ? (uint32_t)fh
                                                                  : (uint32_t)rg_below(&R->rng, S);
        uint32_t v = rg_chance(&R->rng, 1, 2)   ? bad_index(R)
                     : rg_chance(&R->rng, 1, 2) ? idx
                                                : (uint32_t)rg_below(&R->rng, S);
        put(R, slot_hdr(R, idx) + 12, 4, v);
        break;
    }
    }
}

/* The scenario: every SPSC producer-queue cell := 0xFFFFFFF0. */
static void w_spsc_cells_sweep(rogue *R)
{
    uint64_t b = OFF(SPSC_QUEUE) + 128;
    for (uint32_t i = 0; i < R->g.queue; i++)
        raw_put(R, b + 4ull * i, 4, 0xFFFFFFF0u);
    R->writes += R->g.queue;
    R->sweeps++;
}

/* ---- byte logs ------------------------------------------------------------- */

#define LOG_CTL OFF(LOG_RING)
static uint64_t log_tail(rogue *R) { return get(R, LOG_CTL, 8); }
static uint64_t log_head(rogue *R) { return get(R, LOG_CTL + 64, 8); }
static uint64_t log_read(rogue *R) { return get(R, LOG_CTL + 128, 8); }

/* The file offset of ring byte position pos (rounded down to 8). */
static uint64_t log_at(rogue *R, uint64_t pos)
{
    return LOG_CTL + 256 + ((pos & (R->g.log_bytes - 1)) & ~7ull);
}

/* A ring position worth hitting: where the reader reads next, just after
 * it, where the next reservation goes, the wrap, or anywhere. */
static uint64_t log_hot_pos(rogue *R)
{
    uint64_t L = R->g.log_bytes;
    switch (rg_below(&R->rng, 6)) {
    case 0:
    case 1: return log_read(R);
    case 2: return log_read(R) + 8 * rg_below(&R->rng, 16);
    case 3: return log_tail(R) + 8 * rg_below(&R->rng, 4);
    case 4: return L - 8 * (1 + rg_below(&R->rng, 8)); /* just before the end */
    default: return 8 * rg_below(&R->rng, L / 8);
    }
}

static void w_log_ring(rogue *R)
{
    static const uint64_t words[3] = {0, 64, 128}; /* tail, head, read */
    uint64_t L = R->g.log_bytes, off = LOG_CTL + words[rg_below(&R->rng, 3)];
    uint64_t v = get(R, off, 8), t = log_tail(R), h = log_head(R), rd = log_read(R);
    switch (rg_below(&R->rng, 12)) {
    case 0: v += 8; break;
    case 1: v -= 8; break;
    case 2: v += L; break;
    case 3: v -= L; break;
    case 4: v += 1 + rg_below(&R->rng, 7); break; /* misaligned */
    case 5: v = t + 8 * (1 + rg_below(&R->rng, 8)); break; /* past tail */
    case 6: v = h + L + 8 * rg_below(&R->rng, 2); break; /* a ring or more past head */
    case 7: v = rd; break;
    case 8: v = rg_chance(&R->rng, 1, 2) ? 0 : ~0ull; break;
    case 9: v ^= 1ull << rg_below(&R->rng, 64); break;
    case 10: v = rg_next(&R->rng); break;
    default: v = h - 8 * rg_below(&R->rng, 4); break;
    }
    put(R, off, 8, v);
}

static uint64_t log_word(uint64_t len, uint64_t type) { return (uint32_t)len | type << 32; }

static void w_log_headers(rogue *R)
{
    uint64_t L = R->g.log_bytes, M = R->g.max_record;
    uint64_t pos = log_hot_pos(R), off_in = pos & (L - 1) & ~7ull, left = L - off_in;
    uint64_t v;
    switch (rg_below(&R->rng, 14)) {
    case 0: v = log_word(M + 1 + rg_below(&R->rng, 64), INDEXBUS_LOG_RECORD); break;
    case 1: v = log_word(left, INDEXBUS_LOG_RECORD); break;           /* straddles the end */
    case 2: v = log_word(0xffffffffu, INDEXBUS_LOG_RECORD); break;
    case 3: v = log_word(rg_below(&R->rng, M + 1), INDEXBUS_LOG_RECORD); break; /* plausible */
    case 4: v = log_word(left, INDEXBUS_LOG_PAD); break;              /* a wrap PAD */
    case 5: v = log_word(left + 8, INDEXBUS_LOG_PAD); break;          /* past the end */
    case 6: v = log_word(L, INDEXBUS_LOG_PAD); break;                 /* a whole ring */
    case 7: v = log_word(8 * rg_below(&R->rng, 2), INDEXBUS_LOG_PAD); break; /* 0 or 8 */
    case 8: v = log_word(4 + 8 * rg_below(&R->rng, 8), INDEXBUS_LOG_PAD); break; /* misaligned */
    case 9: /* CLAIMED by a participant (maybe live), or by nobody sane */
        v = log_word(8 * (1 + rg_below(&R->rng, 32)),
                     INDEXBUS_LOG_CLAIMED | (uint64_t)(rg_chance(&R->rng, 1, 2) ? 1 + rg_below(&R->rng, 16)
                                                                                : rg_next(&R->rng) & 0xffffff)
                                                << 8);
        break;
    case 10: v = 0; break; /* a committed record unwritten */
    case 11: v = log_word(rg_below(&R->rng, 64), 4 + rg_below(&R->rng, 252)); break; /* unknown type */
    case 12: v = mutate64(R, get(R, log_at(R, pos), 8)); break;
    default: v = rg_next(&R->rng); break;
    }
    put(R, log_at(R, pos), 8, v);
}

static void w_log_journals(rogue *R)
{
    uint64_t L = R->g.log_bytes, e = entry(R, pick_entry(R));
    if (rg_chance(&R->rng, 1, 3)) { /* log_size */
        static const uint32_t sizes[8] = {0, 7, 8, 64, 0xfffffff8u, 0xffffffffu, 16, 192};
        uint32_t v = rg_chance(&R->rng, 1, 2)  ? sizes[rg_below(&R->rng, 8)]
                     : rg_chance(&R->rng, 1, 2) ? (uint32_t)(8 * (1 + rg_below(&R->rng, L / 8)))
                                                : (uint32_t)rg_next(&R->rng);
        put(R, e + 56, 4, v);
        return;
    }
    uint64_t pos;
    switch (rg_below(&R->rng, 6)) {
    case 0: pos = log_tail(R); break;
    case 1: pos = log_tail(R) - 8 * rg_below(&R->rng, 16); break;
    case 2: pos = log_read(R); break;
    case 3: pos = (log_tail(R) | (L - 1)) - 63; break; /* just before a wrap */
    case 4: pos = log_tail(R) + L * (1 + rg_below(&R->rng, 3)); break;
    default: pos = rg_next(&R->rng); break;
    }
    uint64_t flag = rg_chance(&R->rng, 4, 5) ? 1 + rg_below(&R->rng, 2) : rg_below(&R->rng, 8);
    put(R, e + 48, 8, rg_chance(&R->rng, 1, 10) ? 0 : (pos & ~7ull) | flag);
}

/* ---- byte streams ---------------------------------------------------------- */

static void w_stream_ctl(rogue *R)
{
    uint64_t S = OFF(STREAM_CTL);
    switch (rg_below(&R->rng, 8)) {
    case 0:
    case 1:
    case 2: { /* the state word */
        uint64_t v = get(R, S, 8);
        switch (rg_below(&R->rng, 10)) {
        case 0: v ^= 1ull << rg_below(&R->rng, 48); break;     /* a seat comes or goes */
        case 1: v |= INDEXBUS_STREAM_SEAT_MASK; break;        /* every seat taken */
        case 2: v &= ~INDEXBUS_STREAM_SEAT_MASK; break;       /* nobody seated */
        case 3: v ^= INDEXBUS_STREAM_ST_ENDED; break;         /* the latches set and unset */
        case 4: v ^= INDEXBUS_STREAM_ST_READER_GONE; break;
        case 5: v ^= INDEXBUS_STREAM_ST_ABORTED | 1ull << 51; break;
        case 6: v |= 0xfffull << INDEXBUS_STREAM_ST_ABORTS_SHIFT; break; /* the count saturated */
        case 7: v = 0; break;
        case 8: v = mutate64(R, v); break;
        default: v = rg_next(&R->rng); break;
        }
        put(R, S, 8, v);
        break;
    }
    case 3:
    case 4: { /* a seat owner */
        uint64_t off = S + 64 + 4 * rg_below(&R->rng, INDEXBUS_STREAM_SEATS);
        uint32_t v;
        switch (rg_below(&R->rng, 5)) {
        case 0: v = 0; break;
        case 1: v = 1 + (uint32_t)rg_below(&R->rng, 16); break; /* a live or dead entry */
        case 2: v = 257 + (uint32_t)rg_below(&R->rng, 4); break; /* past the table */
        case 3: v = mutate32(R, get(R, off, 4)); break;
        default: v = (uint32_t)rg_next(&R->rng); break;
        }
        put(R, off, 4, v);
        break;
    }
    case 5:
    case 6: { /* read_skip: the next reader's start inside the record at read */
        static const uint64_t v[6] = {0, 1, 7, 8, 4096, ~0ull};
        put(R, S + 256, 8, rg_chance(&R->rng, 2, 3) ? v[rg_below(&R->rng, 6)] : rg_below(&R->rng, R->g.max_record + 16));
        break;
    }
    default: /* bytes_read: statistics */
        put(R, S + 264, 8, mutate64(R, get(R, S + 264, 8)));
        break;
    }
}

/* ---- request/response -------------------------------------------------------- */

static uint64_t rpc_cell(rogue *R, uint32_t i)
{
    return OFF(RPC_CELLS) + (uint64_t)i * R->g.cell_stride;
}

static uint64_t rpc_word(uint64_t gen, uint64_t server1, uint64_t client1, uint64_t state)
{
    return gen << 32 | (server1 & 0x1ff) << 17 | (client1 & 0x1ff) << 8 | (state & 0xff);
}

static void w_rpc_cells(rogue *R)
{
    uint64_t C = OFF(RPC_CTL), c = rpc_cell(R, (uint32_t)rg_below(&R->rng, R->g.cells));
    uint64_t w = get(R, c, 8), gen = w >> 32;
    switch (rg_below(&R->rng, 12)) {
    case 0:
    case 1:
    case 2: { /* the state word: another state, client or server, generation */
        uint64_t v;
        switch (rg_below(&R->rng, 9)) {
        case 0: v = (w & ~0xffull) | rg_below(&R->rng, 7); break;             /* any state */
        case 1: v = (w & ~0xffull) | (7 + rg_below(&R->rng, 249)); break;     /* no state */
        case 2: v = rpc_word(gen, 0, 1 + rg_below(&R->rng, 16), 1 + rg_below(&R->rng, 6)); break;
        case 3: v = rpc_word(gen, 1 + rg_below(&R->rng, 16), 1 + rg_below(&R->rng, 16), 3); break;
        case 4: v = rpc_word(gen, 257 + rg_below(&R->rng, 255), 257 + rg_below(&R->rng, 255),
                             rg_below(&R->rng, 7)); break;                      /* past the table */
        case 5: v = w + (rg_chance(&R->rng, 1, 2) ? 1ull << 32 : -(1ull << 32)); break; /* gen +-1 */
        case 6: v = w | (1ull + rg_below(&R->rng, 63)) << 26; break;           /* reserved bits */
        case 7: v = rpc_word(gen, 0, 0, INDEXBUS_RPC_FREE) | (w & 0x1ff00); break; /* FREE, a stray id */
        default: v = rg_chance(&R->rng, 1, 2) ? mutate64(R, w) : rg_next(&R->rng); break;
        }
        put(R, c, 8, v);
        break;
    }
    case 3:
    case 4: { /* request_len or reply_len */
        uint32_t max = rg_chance(&R->rng, 1, 2) ? R->g.max_request : R->g.max_reply;
        static const uint32_t huge[3] = {0x7fffffffu, 0xffffffffu, 1u << 24};
        uint32_t v = rg_chance(&R->rng, 1, 2) ? max + 1 + (uint32_t)rg_below(&R->rng, 64)
                     : rg_chance(&R->rng, 1, 2) ? huge[rg_below(&R->rng, 3)] : (uint32_t)rg_below(&R->rng, max + 1);
        put(R, c + 8 + 4 * rg_below(&R->rng, 2), 4, v);
        break;
    }
    case 5: { /* the cell's wake entry: seq (spurious wake-ups) or waiters */
        static const uint32_t v[4] = {0, 1, 0xffffffffu, 1000};
        put(R, c + 64 + 4 * rg_below(&R->rng, 2), 4, rg_chance(&R->rng, 3, 4) ? v[rg_below(&R->rng, 4)] : rg_next(&R->rng));
        break;
    }
    case 6:
    case 7:
    case 8: { /* pending bits: all, none, flipped, past the table */
        uint32_t words = (R->g.cells + 63) / 64, k = (uint32_t)rg_below(&R->rng, 64);
        if (rg_chance(&R->rng, 3, 4))
            k = (uint32_t)rg_below(&R->rng, words);
        uint64_t off = C + 64 + 8ull * k, v = get(R, off, 8);
        switch (rg_below(&R->rng, 4)) {
        case 0: v = ~0ull; break;
        case 1: v = 0; break;
        case 2: v ^= 1ull << rg_below(&R->rng, 64); break;
        default: v = rg_next(&R->rng); break;
        }
        put(R, off, 8, v);
        break;
    }
    case 9: /* the server wake entry */
        put(R, C + 4 * rg_below(&R->rng, 2), 4, rg_chance(&R->rng, 1, 2) ? get(R, C, 4) + 1 : rg_next(&R->rng));
        break;
    default: /* replies_abandoned, requests_failed */
        put(R, C + 576 + 8 * rg_below(&R->rng, 2), 8, mutate64(R, get(R, C + 576, 8)));
        break;
    }
}

/* ---- durable regions (1.2) ------------------------------------------------ */

#define DUR OFF(DURABLE) /* indexbus_durable_ctl: mark +0, pend_mark +8, pend_pos +16,
                          * hold_mask +128, counter lines from +192 (64 bytes each) */

/* Where a marked piece would show: the SPSC tail (slot regions), the
 * ring's tail or read position (byte logs), and values around them. */
static uint64_t pend_pos_value(rogue *R)
{
    int log = R->g.kind == INDEXBUS_KIND_LOG;
    uint64_t t = log ? log_tail(R) : get(R, OFF(SPSC_QUEUE) + 64, 8);
    uint64_t Q = log ? R->g.log_bytes : R->g.queue;
    switch (rg_below(&R->rng, 10)) {
    case 0: return t;                                         /* published (slots) */
    case 1: return t + 1 + rg_below(&R->rng, 64);             /* not yet (slots), misaligned (log) */
    case 2: return t + 65 + rg_below(&R->rng, 1u << 20);      /* further than a piece can be */
    case 3: return t - 8 * (1 + rg_below(&R->rng, 8));        /* a record just behind the tail */
    case 4: return log ? log_read(R) : get(R, OFF(SPSC_QUEUE), 8); /* where the reader is */
    case 5: return t - Q - 1 - rg_below(&R->rng, 64);         /* more than a ring / queue behind */
    case 6: return t + 1 + (rg_below(&R->rng, 2) ? 0 : 7);    /* misaligned */
    case 7: return ~0ull - rg_below(&R->rng, 64);
    case 8: return 0;
    default: return mutate64(R, get(R, DUR + 16, 8));
    }
}

/* The mark journal and the mark: a pending piece (plausible or not) for a
 * settle to decide, the mark moved under a marked producer. */
static void w_durable_journal(rogue *R)
{
    uint64_t mark = get(R, DUR, 8);
    switch (rg_below(&R->rng, 6)) {
    case 0: /* a journal as a producer killed mid-piece leaves it */
        put(R, DUR + 16, 8, pend_pos_value(R));
        put(R, DUR + 8, 8, mark + 1 + rg_below(&R->rng, 64));
        break;
    case 1: { /* pend_mark: 0, the mark itself, below it, huge, mutated */
        uint64_t v;
        switch (rg_below(&R->rng, 5)) {
        case 0: v = 0; break;
        case 1: v = mark; break;
        case 2: v = mark - 1 - rg_below(&R->rng, 4); break;
        case 3: v = ~0ull - rg_below(&R->rng, 4); break;
        default: v = mutate64(R, get(R, DUR + 8, 8)); break;
        }
        put(R, DUR + 8, 8, v);
        break;
    }
    case 2:
        put(R, DUR + 16, 8, pend_pos_value(R));
        break;
    default: /* the mark: a little ahead or behind, far ahead, now and then anything
              * (mutated: 0, ~0 - a producer that opens on ~0 can mark nothing) */
        switch (rg_below(&R->rng, 16)) {
        case 0: put(R, DUR, 8, mutate64(R, mark)); break;
        case 1:
        case 2: put(R, DUR, 8, 1ull << (20 + rg_below(&R->rng, 20))); break; /* far ahead */
        case 3:
        case 4: put(R, DUR, 8, rg_below(&R->rng, 1u << 20)); break; /* back, below what was committed */
        case 5:
        case 6:
        case 7: put(R, DUR, 8, mark - 1 - rg_below(&R->rng, 64)); break;
        default: put(R, DUR, 8, mark + 1 + rg_below(&R->rng, 64)); break;
        }
        break;
    }
}

/* hold_mask: every bit, none, a consumer's bit flipped, bits past the
 * consumers, random: recovery, close and open keep or drain queues by it. */
static void w_durable_hold_mask(rogue *R)
{
    uint64_t v = get(R, DUR + 128, 8), C = R->g.consumers;
    switch (rg_below(&R->rng, 6)) {
    case 0: v = ~0ull; break;
    case 1: v = 0; break;
    case 2: v ^= 1ull << rg_below(&R->rng, C); break;
    case 3: v |= C < 64 ? ~0ull << C : 0; break;
    case 4: v = rg_next(&R->rng); break;
    default: v ^= 1ull << rg_below(&R->rng, 64); break;
    }
    put(R, DUR + 128, 8, v);
}

/* A bridge counter (any line, any of the five): 0, ~0, mutated. */
static void w_durable_counters(rogue *R)
{
    uint64_t lines = (R->g.len[INDEXBUS_SECTION_DURABLE] - 192) / 64;
    uint64_t off = DUR + 192 + 64 * rg_below(&R->rng, lines) + 8 * rg_below(&R->rng, 5);
    uint64_t v = get(R, off, 8);
    put(R, off, 8, rg_chance(&R->rng, 1, 4) ? ~0ull - rg_below(&R->rng, 4) : mutate64(R, v));
}

/* The durable writer: the DURABLE section, or the queues the holders read
 * at their cursors (queue words, cells, lengths; a byte log's ring and
 * headers), where held messages stay until they are released. */
static void w_durable(rogue *R)
{
    int log = R->g.kind == INDEXBUS_KIND_LOG;
    uint32_t x = (uint32_t)rg_below(&R->rng, 20);
    if (x < 10)
        w_durable_journal(R);
    else if (x < 12)
        w_durable_hold_mask(R);
    else if (x < 14)
        w_durable_counters(R);
    else if (x < 15 || (x < 16 && !log)) /* (index-bounds' pool words, and ring words */
        log ? w_log_ring(R) : w_queue_words(R); /* often, would break them for good) */
    else
        log ? w_log_headers(R) : w_huge_len(R);
}

#include "writer_13.h"

typedef void (*writer_fn)(rogue *R);
static const writer_fn writers[NWRITERS] = {
    w_random_bytes, w_index_bounds, w_huge_len,      w_queue_words,    w_refcounts,
    w_header,       w_participants, w_wake_counters, w_router_journal, w_pool,
    w_spsc_cells_sweep, w_log_ring, w_log_headers,   w_log_journals,   w_stream_ctl,
    w_rpc_cells,    w_durable,      w_recycle,       w_mpsc_batch,
};

/* what `mixed` picks from on a byte log, a byte stream, request/response:
 * the writers that know its sections */
static const int log_writers[7] = {0, 5, 6, 7, 11, 12, 13};
static const int stream_writers[8] = {0, 5, 6, 7, 11, 12, 13, 14};
static const int rpc_writers[5] = {0, 5, 6, 7, 15};

/* strategy -> writer (RG_MIXED picks per burst) */
static int writer_of(int strategy)
{
    switch (strategy) {
    case RG_RANDOM_BYTES: return 0;
    case RG_INDEX_BOUNDS: return 1;
    case RG_HUGE_LEN: return 2;
    case RG_QUEUE_WORDS: return 3;
    case RG_REFCOUNTS: return 4;
    case RG_HEADER: return 5;
    case RG_PARTICIPANTS: return 6;
    case RG_WAKE_COUNTERS: return 7;
    case RG_ROUTER_JOURNAL: return 8;
    case RG_POOL: return 9;
    case RG_SPSC_CELLS: return 10;
    case RG_LOG_RING: return 11;
    case RG_LOG_HEADERS: return 12;
    case RG_LOG_JOURNALS: return 13;
    case RG_STREAM_CTL: return 14;
    case RG_RPC_CELLS: return 15;
    case RG_DURABLE: return 16;
    case RG_RECYCLE: return 17;
    case RG_MPSC_BATCH: return 18;
    default: return -1;
    }
}

static void pause_a_little(rogue *R)
{
    switch (rg_below(&R->rng, 10)) {
    case 0:
    case 1:
    case 2:
    case 3:
        for (uint32_t n = (uint32_t)rg_below(&R->rng, 2000); n > 0; n--)
            __asm__ __volatile__("" ::: "memory");
        break;
    case 4:
    case 5:
    case 6: sched_yield(); break;
    default: rg_sleep_ns(20000 + rg_below(&R->rng, 480000)); break;
    }
}

int rg_rogue_main(const rg_args *a)
{
    static rogue R; /* large: keep it off the stack */
    char err[160];
    rg_seed(&R.rng, a->seed);
    int strategy = (int)a->arg;
    if (strategy < 0 || strategy >= RG_NSTRATEGIES) {
        fprintf(stderr, "rogue: bad strategy %d\n", strategy);
        return RG_EXIT_SETUP;
    }
    if (rg_map(a->region, 1, &R.base, &R.size) != 0) {
        fprintf(stderr, "rogue: cannot map %s\n", a->region);
        return RG_EXIT_SETUP;
    }
    if (rg_geo_read(R.base, R.size, &R.g, err, sizeof err) != 0) {
        fprintf(stderr, "rogue: %s: %s\n", a->region, err);
        return RG_EXIT_SETUP;
    }
    memcpy(R.hdr0, R.base, sizeof R.hdr0);
    if ((R.canary = rg_canary_map(&R.g)) == NULL)
        return RG_EXIT_SETUP;
    int fixed = writer_of(strategy);
    if (!rg_fits(strategy, R.g.kind)) {
        fprintf(stderr, "rogue: strategy %s does not fit a region of kind %u\n", rg_strategies[strategy].name,
                R.g.kind);
        return RG_EXIT_SETUP;
    }
    uint64_t bursts = 0;
    while (rg_now_ns() < a->until_ns) {
        if (strategy == RG_SPSC_CELLS) { /* continuously, no pauses */
            for (int i = 0; i < 64; i++)
                w_spsc_cells_sweep(&R);
            bursts++;
            continue;
        }
        int w = fixed >= 0                              ? fixed
                : R.g.kind == INDEXBUS_KIND_LOG    ? log_writers[rg_below(&R.rng, 7)]
                : R.g.kind == INDEXBUS_KIND_STREAM ? stream_writers[rg_below(&R.rng, 8)]
                : R.g.kind == INDEXBUS_KIND_RPC    ? rpc_writers[rg_below(&R.rng, 5)]
                                                   : (int)rg_below(&R.rng, NSLOT_WRITERS);
        uint32_t n = 1 + (uint32_t)rg_below(&R.rng, 16);
        R.keep_undo = rg_chance(&R.rng, 1, 3);
        for (uint32_t i = 0; i < n; i++)
            writers[w](&R);
        R.per_writer[w] += n;
        bursts++;
        pause_a_little(&R);
        undo_all(&R);
        if (w == 5 && rg_chance(&R.rng, 1, 3)) {
            rg_sleep_ns(rg_below(&R.rng, 3000000)); /* let an open in */
            header_restore(&R);
        }
    }
    const char *t = getenv("LIVE_ROGUE_SELFTEST");
    if (t != NULL && strcmp(t, "canary") == 0) /* a stray write the driver must find */
        raw_put(&R, R.g.len[INDEXBUS_SECTION_LOG_RING] ? R.g.off[INDEXBUS_SECTION_LOG_RING] + 200
                    : R.g.kind == INDEXBUS_KIND_RPC   ? R.g.off[INDEXBUS_SECTION_RPC_CTL] + 600
                                                      : R.g.off[INDEXBUS_SECTION_SLOT_POOL] + 64 + 16 + R.g.data,
                1, 0x5a);
    printf("@@rogue strategy=%s bursts=%llu writes=%llu undone=%llu sweeps=%llu\n",
           rg_strategies[strategy].name, (unsigned long long)bursts, (unsigned long long)R.writes,
           (unsigned long long)R.undone, (unsigned long long)R.sweeps);
    return 0;
}
