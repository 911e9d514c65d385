/* common.c - geometry, canary map, mapping and the strategy table (rogue.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "rogue.h"

const rg_strategy_info rg_strategies[RG_NSTRATEGIES] = {
    [RG_RANDOM_BYTES] = {"random-bytes", "random 1/2/4/8-byte values at random offsets of every section"},
    [RG_INDEX_BOUNDS] = {"index-bounds",
                         "slot indices just past each bound (slot_count, slot_count+1, 0xFFFFFFF0, "
                         "NIL-1, NIL, ...) into queue cells, MPSC values, free_head, next_free, "
                         "held_slot, step_slot"},
    [RG_HUGE_LEN] = {"huge-len", "huge lengths into slot len (slot_data_size+1 .. 0xFFFFFFFF)"},
    [RG_QUEUE_WORDS] = {"queue-words",
                        "flipped / incremented / decremented / forged SPSC and consumer queue "
                        "head/tail, MPSC head/tail and cell seq words"},
    [RG_REFCOUNTS] = {"refcounts", "slot refcount, owner and next_free words"},
    [RG_HEADER] = {"header",
                   "zeroed or altered magic, version, ready, geometry and section directory "
                   "(restored now and then so new opens sometimes succeed)"},
    [RG_PARTICIPANTS] = {"participants",
                         "random participant entries (state, role, index, journal), live/ever "
                         "counts, exclusive owner words, consumer_owner, consumer_epoch"},
    [RG_WAKE_COUNTERS] = {"wake-counters", "wake seq/waiters words and every counter"},
    [RG_ROUTER_JOURNAL] = {"router-journal",
                           "router section: rr_next, seen_epoch and the step journal (random and "
                           "plausible forged steps); the router is the favourite kill victim"},
    [RG_POOL] = {"pool", "pool free_head (bad, NIL, in-use indices, tags) and free-list next_free"},
    [RG_SPSC_CELLS] = {"spsc-cells",
                       "issue 10 scenario: SPSC producer looping publish_batch(32 x 1 KiB) and "
                       "publish on an events region, a consumer draining it, the rogue writing "
                       "0xFFFFFFF0 into all SPSC cells continuously"},
    [RG_MIXED] = {"mixed", "every burst picks one of the writers above (those the region's kind has)"},
    [RG_LOG_RING] = {"log-ring",
                     "byte log: tail, head and read flipped, +-8, +-ring, misaligned, one past "
                     "another, zeroed or random"},
    [RG_LOG_HEADERS] = {"log-headers",
                        "byte log: record headers at the reader's and the writers' positions: PADs "
                        "and RECORDs of bad, straddling, lapping and huge lengths, CLAIMED by "
                        "anyone, zeroed committed records, unknown types"},
    [RG_LOG_JOURNALS] = {"log-journals",
                         "byte log: producers' journals (log_reserve / log_size) naming "
                         "RESERVING / RESERVED reservations at tail, read, the wrap or anywhere, "
                         "with sane and insane sizes"},
    [RG_STREAM_CTL] = {"stream-ctl",
                       "byte stream: the state word (seat bits set and cleared, ENDED, READER_GONE "
                       "and ABORTED set and cleared, the abort count), seat owners naming live, "
                       "dead or no entries, read_skip inside, at and past the record, bytes_read"},
    [RG_RPC_CELLS] = {"rpc-cells",
                      "request/response: cell state words (every state and some past ABANDONED, "
                      "clients and servers live, dead or past the table, generations +-1, "
                      "reserved bits), request and reply lengths past the maximum, cell wake "
                      "words, pending bits (all, none, past the table), the RPC_CTL counters"},
    [RG_DURABLE] = {"durable",
                    "durable region (events, fanout or byte log; HOLD consumers, a marked SPSC "
                    "producer): the mark, pend_mark and pend_pos of the mark journal (published, "
                    "unpublished, far, misaligned, at the mark), hold_mask (all, none, flipped, "
                    "past the consumers), bridge counters; and the held queues (queue words, "
                    "cells and lengths, or the ring and its headers)"},
    [RG_RECYCLE] = {"recycle",
                    "recycling fanout region (1.3): forged parks under the cells the router "
                    "rewrites next (owner PARKED_CONSUMER of the queue, of another or of none, "
                    "PARKED; next_free the position checked, one or a lap off, an index), "
                    "consumer and SPSC source cells naming used or bad slots, a whole queue "
                    "naming one slot, the pool's head at a parked slot"},
    [RG_MPSC_BATCH] = {"mpsc-batch",
                       "MPSC batch reservation (1.3): MPSC producers' reserved counts (0, 1, a "
                       "batch, the queue, past it, huge) and reservation starts (head, behind, "
                       "tail, random), the tail moved past a batch nobody fills, cells inside "
                       "a reservation filled, skipped, stale or a lap ahead"},
};

int rg_strategy_by_name(const char *name)
{
    for (int i = 0; i < RG_NSTRATEGIES; i++)
        if (strcmp(rg_strategies[i].name, name) == 0)
            return i;
    return -1;
}

uint64_t rg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void rg_sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000ull), (long)(ns % 1000000000ull)};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int is_pow2(uint64_t x) { return x != 0 && (x & (x - 1)) == 0; }

static int read_directory(const indexbus_region_header *h, rg_geo *g, char *err, size_t errlen)
{
    for (uint32_t i = 0; i < g->section_count; i++) {
        const indexbus_section_entry *e = &h->sections[i];
        if (e->kind == 0 || e->kind >= RG_NSEC)
            continue;
        if (e->offset % 64 || e->offset < INDEXBUS_HEADER_BYTES || e->length > g->total ||
            e->offset > g->total - e->length) {
            snprintf(err, errlen, "section %u out of bounds", e->kind);
            return -1;
        }
        g->off[e->kind] = e->offset;
        g->len[e->kind] = e->length;
    }
    return 0;
}

/* Request/response (1.1): participants, counters, wake (2), RPC_CTL, RPC_CELLS. */
static int geo_read_rpc(const indexbus_region_header *h, uint64_t map_size, rg_geo *g, char *err,
                        size_t errlen)
{
    g->kind = h->region_kind;
    g->consumers = h->consumer_count;
    g->section_count = h->section_count;
    g->total = h->total_bytes;
    g->cells = h->slot_count;
    g->max_request = h->slot_data_size;
    g->max_reply = h->log_max_record;
    g->cell_stride = h->slot_stride;
    g->data = g->max_request;
    if (g->cells < 1 || g->cells > INDEXBUS_RPC_MAX_CELLS || g->max_request > INDEXBUS_RPC_MAX_MESSAGE ||
        g->max_reply > INDEXBUS_RPC_MAX_MESSAGE ||
        g->cell_stride != 128 + ((g->max_request + 63ull) & ~63ull) + ((g->max_reply + 63ull) & ~63ull) ||
        g->consumers != 1 || g->section_count > INDEXBUS_MAX_SECTIONS || g->total > map_size) {
        snprintf(err, errlen, "implausible request/response geometry");
        return -1;
    }
    if (read_directory(h, g, err, errlen) != 0)
        return -1;
    if (g->len[INDEXBUS_SECTION_PARTICIPANTS] < sizeof(indexbus_participants_section) ||
        g->len[INDEXBUS_SECTION_COUNTERS] < 192 + 64ull || g->len[INDEXBUS_SECTION_WAKE] < 2 * 64ull ||
        g->len[INDEXBUS_SECTION_RPC_CTL] < sizeof(indexbus_rpc_ctl) ||
        g->len[INDEXBUS_SECTION_RPC_CELLS] < (uint64_t)g->cells * g->cell_stride) {
        snprintf(err, errlen, "a section is missing or too short");
        return -1;
    }
    return 0;
}

/* A byte log (1.1): participants, counters, wake (2 entries), LOG_RING; a
 * byte stream also STREAM_CTL. */
static int geo_read_log(const indexbus_region_header *h, uint64_t map_size, rg_geo *g, char *err,
                        size_t errlen)
{
    g->kind = h->region_kind;
    g->consumers = h->consumer_count;
    g->section_count = h->section_count;
    g->total = h->total_bytes;
    g->log_bytes = h->log_bytes;
    g->max_record = h->log_max_record;
    g->data = h->log_max_record;
    if (!is_pow2(g->log_bytes) || g->log_bytes < INDEXBUS_LOG_MIN_BYTES ||
        g->log_bytes > INDEXBUS_LOG_MAX_BYTES || g->max_record > g->log_bytes / 2 || g->consumers != 1 ||
        g->section_count > INDEXBUS_MAX_SECTIONS || g->total > map_size) {
        snprintf(err, errlen, "implausible byte-log geometry");
        return -1;
    }
    if (read_directory(h, g, err, errlen) != 0)
        return -1;
    if (g->len[INDEXBUS_SECTION_PARTICIPANTS] < sizeof(indexbus_participants_section) ||
        g->len[INDEXBUS_SECTION_COUNTERS] < 192 + 64ull ||
        g->len[INDEXBUS_SECTION_WAKE] < 2 * 64ull ||
        g->len[INDEXBUS_SECTION_LOG_RING] < sizeof(indexbus_log_ctl) + g->log_bytes ||
        (g->kind == INDEXBUS_KIND_STREAM && g->len[INDEXBUS_SECTION_STREAM_CTL] < sizeof(indexbus_stream_ctl))) {
        snprintf(err, errlen, "a section is missing or too short");
        return -1;
    }
    return 0;
}

int rg_geo_read(const uint8_t *base, uint64_t map_size, rg_geo *g, char *err, size_t errlen)
{
    indexbus_region_header h;
    memset(g, 0, sizeof(*g));
    if (map_size < INDEXBUS_HEADER_BYTES) {
        snprintf(err, errlen, "mapping of %llu bytes is shorter than a header",
                 (unsigned long long)map_size);
        return -1;
    }
    memcpy(&h, base, sizeof(h)); /* once */
    if (h.magic != INDEXBUS_MAGIC || h.header_bytes != INDEXBUS_HEADER_BYTES ||
        h.region_kind < INDEXBUS_KIND_EVENTS || h.region_kind > INDEXBUS_KIND_RPC) {
        snprintf(err, errlen, "not a v1 header (magic %#x)", h.magic);
        return -1;
    }
    if (h.region_kind == INDEXBUS_KIND_LOG || h.region_kind == INDEXBUS_KIND_STREAM)
        return geo_read_log(&h, map_size, g, err, errlen);
    if (h.region_kind == INDEXBUS_KIND_RPC)
        return geo_read_rpc(&h, map_size, g, err, errlen);
    g->kind = h.region_kind;
    g->slots = h.slot_count;
    g->data = h.slot_data_size;
    g->stride = h.slot_stride;
    g->queue = h.queue_capacity;
    g->consumers = h.consumer_count;
    g->section_count = h.section_count;
    g->total = h.total_bytes;
    g->caps = h.capabilities;
    if (!is_pow2(g->slots) || !is_pow2(g->queue) || g->data < 64 || g->data % 8 ||
        g->stride < g->data + 16 || g->consumers < 1 || g->consumers > 64 ||
        g->section_count > INDEXBUS_MAX_SECTIONS || g->total > map_size) {
        snprintf(err, errlen, "implausible geometry");
        return -1;
    }
    g->spsc_bytes = 128 + ((4ull * g->queue + 63) & ~63ull);
    if (read_directory(&h, g, err, errlen) != 0)
        return -1;
    int fan = g->kind == INDEXBUS_KIND_FANOUT;
    if (g->len[INDEXBUS_SECTION_PARTICIPANTS] < sizeof(indexbus_participants_section) ||
        g->len[INDEXBUS_SECTION_COUNTERS] < 192 + 64ull * g->consumers ||
        g->len[INDEXBUS_SECTION_WAKE] < 64ull * (g->consumers + 1) ||
        (fan && g->len[INDEXBUS_SECTION_ROUTER] < 64) ||
        g->len[INDEXBUS_SECTION_SPSC_QUEUE] < g->spsc_bytes ||
        g->len[INDEXBUS_SECTION_MPSC_QUEUE] < 128 + 16ull * g->queue ||
        (fan && g->len[INDEXBUS_SECTION_CONSUMER_QUEUES] < g->consumers * g->spsc_bytes) ||
        g->len[INDEXBUS_SECTION_SLOT_POOL] < 64 + (uint64_t)g->slots * g->stride) {
        snprintf(err, errlen, "a section is missing or too short");
        return -1;
    }
    return 0;
}

static void mark(uint8_t *map, uint64_t total, uint64_t from, uint64_t to)
{
    if (to > total)
        to = total;
    for (uint64_t o = from; o < to; o++)
        map[o >> 3] |= (uint8_t)(1u << (o & 7));
}

static void mark_spsc(uint8_t *m, const rg_geo *g, uint64_t q)
{
    mark(m, g->total, q + 8, q + 64);
    mark(m, g->total, q + 72, q + 128);
    mark(m, g->total, q + 128 + 4ull * g->queue, q + g->spsc_bytes);
}

uint8_t *rg_canary_map(const rg_geo *g)
{
    uint8_t *m = calloc(1, g->total / 8 + 1);
    if (m == NULL)
        return NULL;
    uint64_t T = g->total;
    int log = g->kind == INDEXBUS_KIND_LOG || g->kind == INDEXBUS_KIND_STREAM;
    int rpc = g->kind == INDEXBUS_KIND_RPC;
    /* header: reserved words, unused directory entries, flags/reserved of used ones
     * (a byte log or stream uses log_bytes at 80 and log_max_record at 88;
     * request/response log_max_record (max_reply) at 88) */
    mark(m, T, 60, 64);
    mark(m, T, 76, log ? 80 : rpc ? 88 : 128);
    if (log || rpc)
        mark(m, T, 92, 128);
    for (uint32_t i = 0; i < INDEXBUS_MAX_SECTIONS; i++) {
        uint64_t e = 128 + 32ull * i;
        if (i >= g->section_count) {
            mark(m, T, e, e + 32);
        } else {
            mark(m, T, e + 4, e + 8);
            mark(m, T, e + 24, e + 32);
        }
    }
    mark(m, T, 640, 1024);
    /* everything outside a section: gaps and the tail up to total_bytes */
    uint64_t covered_to = INDEXBUS_HEADER_BYTES;
    for (;;) {
        uint64_t next = T;
        int k = -1;
        for (int s = 1; s < RG_NSEC; s++)
            if (g->len[s] && g->off[s] >= covered_to && g->off[s] < next) {
                next = g->off[s];
                k = s;
            }
        mark(m, T, covered_to, next);
        if (k < 0)
            break;
        covered_to = g->off[k] + g->len[k];
    }
    uint64_t p = g->off[INDEXBUS_SECTION_PARTICIPANTS];
    mark(m, T, p + 36, p + 64);
    for (uint32_t i = g->consumers; i < 64; i++)
        mark(m, T, p + 64 + 4ull * i, p + 68 + 4ull * i);
    /* an entry's last 16 bytes: the byte-log journal (log_reserve, log_size),
     * then reserved; in other regions nobody writes them, but for `reserved`
     * (+60) in 1.3 regions with MPSC batch reservation (bit 38) */
    int batch = (g->caps & INDEXBUS_CAP_MPSC_BATCH) != 0;
    for (uint32_t e = 0; e < INDEXBUS_MAX_PARTICIPANTS; e++)
        mark(m, T, p + 320 + 64ull * e + (log ? 60 : 48), p + 320 + 64ull * e + (batch ? 60 : 64));
    uint64_t k = g->off[INDEXBUS_SECTION_COUNTERS];
    mark(m, T, k + 8, k + 64);
    mark(m, T, k + 72, k + 128);
    mark(m, T, k + 144, k + 192);
    for (uint32_t i = 0; i < g->consumers; i++)
        mark(m, T, k + 192 + 64ull * i + 24, k + 192 + 64ull * i + 64);
    uint64_t w = g->off[INDEXBUS_SECTION_WAKE];
    for (uint32_t i = 0; i <= g->consumers; i++)
        mark(m, T, w + 64ull * i + 8, w + 64ull * i + 64);
    if (g->len[INDEXBUS_SECTION_DURABLE] >= sizeof(indexbus_durable_ctl)) {
        /* 1.2 (LAYOUT.md 4.12): the journal's line past pend_pos, the pads
         * after region_id (random, written once at create) and hold_mask;
         * each counter line's pad */
        uint64_t d = g->off[INDEXBUS_SECTION_DURABLE], len = g->len[INDEXBUS_SECTION_DURABLE];
        mark(m, T, d + 24, d + 64);
        mark(m, T, d + 80, d + 128);
        mark(m, T, d + 136, d + 192);
        for (uint64_t c = d + 192; c + 64 <= d + len; c += 64)
            mark(m, T, c + 40, c + 64);
    }
    if (log) { /* the ring's control block: tail, head and read on their lines */
        uint64_t r = g->off[INDEXBUS_SECTION_LOG_RING];
        mark(m, T, r + 8, r + 64);
        mark(m, T, r + 72, r + 128);
        mark(m, T, r + 136, r + 256);
        if (g->len[INDEXBUS_SECTION_STREAM_CTL]) { /* state; seat owners, read_skip, bytes_read */
            uint64_t s = g->off[INDEXBUS_SECTION_STREAM_CTL];
            mark(m, T, s + 8, s + 64);
            mark(m, T, s + 272, s + 320);
        }
        return m;
    }
    if (rpc) { /* RPC_CTL: the server wake entry, pending bits, counters; cells */
        uint64_t c = g->off[INDEXBUS_SECTION_RPC_CTL];
        mark(m, T, c + 8, c + 64);
        mark(m, T, c + 592, c + 640);
        for (uint32_t i = 0; i < g->cells; i++) {
            uint64_t b = g->off[INDEXBUS_SECTION_RPC_CELLS] + (uint64_t)i * g->cell_stride;
            uint64_t req = (g->max_request + 63ull) & ~63ull, rep = (g->max_reply + 63ull) & ~63ull;
            mark(m, T, b + 16, b + 64);   /* pad after state and the lengths */
            mark(m, T, b + 72, b + 128);  /* the wake entry's pad */
            mark(m, T, b + 128 + g->max_request, b + 128 + req); /* past max_request */
            mark(m, T, b + 128 + req + g->max_reply, b + 128 + req + rep);
        }
        return m;
    }
    if (g->len[INDEXBUS_SECTION_ROUTER])
        mark(m, T, g->off[INDEXBUS_SECTION_ROUTER] + 56, g->off[INDEXBUS_SECTION_ROUTER] + 64);
    mark_spsc(m, g, g->off[INDEXBUS_SECTION_SPSC_QUEUE]);
    if (g->len[INDEXBUS_SECTION_CONSUMER_QUEUES])
        for (uint32_t i = 0; i < g->consumers; i++)
            mark_spsc(m, g, g->off[INDEXBUS_SECTION_CONSUMER_QUEUES] + i * g->spsc_bytes);
    uint64_t q = g->off[INDEXBUS_SECTION_MPSC_QUEUE];
    mark(m, T, q + 8, q + 64);
    mark(m, T, q + 72, q + 128);
    for (uint32_t i = 0; i < g->queue; i++)
        mark(m, T, q + 128 + 16ull * i + 12, q + 128 + 16ull * i + 16);
    uint64_t l = g->off[INDEXBUS_SECTION_SLOT_POOL];
    mark(m, T, l + 8, l + 64);
    for (uint32_t i = 0; i < g->slots; i++) {
        uint64_t s = l + 64 + (uint64_t)i * g->stride;
        mark(m, T, s + 16 + g->data, s + g->stride);
    }
    return m;
}

static const char *section_name(int k)
{
    static const char *names[RG_NSEC] = {"?",           "PARTICIPANTS", "COUNTERS",        "WAKE",
                                         "ROUTER",      "SPSC_QUEUE",   "MPSC_QUEUE",      "CONSUMER_QUEUES",
                                         "SLOT_POOL",   "LOG_RING",     "STREAM_CTL",      "RPC_CTL",
                                         "RPC_CELLS",   "DURABLE"};
    return k > 0 && k < RG_NSEC ? names[k] : "?";
}

void rg_describe(const rg_geo *g, uint64_t off, char *buf, size_t len)
{
    if (off < INDEXBUS_HEADER_BYTES) {
        snprintf(buf, len, "header+%llu", (unsigned long long)off);
        return;
    }
    for (int k = 1; k < RG_NSEC; k++) {
        if (!g->len[k] || off < g->off[k] || off >= g->off[k] + g->len[k])
            continue;
        uint64_t rel = off - g->off[k];
        if (k == INDEXBUS_SECTION_SLOT_POOL && rel >= 64) {
            uint64_t s = (rel - 64) / g->stride, in = (rel - 64) % g->stride;
            snprintf(buf, len, "SLOT_POOL+%#llx (slot %llu +%llu%s)", (unsigned long long)rel,
                     (unsigned long long)s, (unsigned long long)in,
                     in >= 16 + g->data ? ", pad after data" : "");
        } else if (k == INDEXBUS_SECTION_RPC_CELLS && g->cell_stride) {
            snprintf(buf, len, "RPC_CELLS+%#llx (cell %llu +%llu)", (unsigned long long)rel,
                     (unsigned long long)(rel / g->cell_stride), (unsigned long long)(rel % g->cell_stride));
        } else if (k == INDEXBUS_SECTION_MPSC_QUEUE && rel >= 128) {
            snprintf(buf, len, "MPSC_QUEUE+%#llx (cell %llu +%llu)", (unsigned long long)rel,
                     (unsigned long long)((rel - 128) / 16), (unsigned long long)((rel - 128) % 16));
        } else {
            snprintf(buf, len, "%s+%#llx", section_name(k), (unsigned long long)rel);
        }
        return;
    }
    snprintf(buf, len, "offset %#llx (between sections / after the pool)", (unsigned long long)off);
}

int rg_map(const char *name, int writable, uint8_t **base, uint64_t *size)
{
    int fd = shm_open(name, writable ? O_RDWR : O_RDONLY, 0);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || sb.st_size < (off_t)INDEXBUS_HEADER_BYTES) {
        close(fd);
        return -1;
    }
    void *m = mmap(NULL, (size_t)sb.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        return -1;
    *base = m;
    *size = (uint64_t)sb.st_size;
    return 0;
}
