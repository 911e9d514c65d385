/*
 * rawlog.h - a byte-log region (or a byte stream: its ring and STREAM_CTL)
 * seen through the frozen public layout (indexbus/layout.h, LAYOUT.md 4.9,
 * 4.10) only, for the byte-log repros and the kill campaign: the ring's
 * control words, record headers and the producers' journals (participant
 * log_reserve / log_size), read at the instant a party dies.
 * rawlog_map(..., 1) maps it writable, for the repros that write a
 * half-made state directly (what a writer killed at a given instruction
 * would have left); the campaign maps it read-only.
 */
#ifndef IB_CRASH_RAWLOG_H
#define IB_CRASH_RAWLOG_H

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <indexbus/layout.h>

typedef struct rawlog {
    uint8_t *base;
    size_t len;
    indexbus_region_header *h;
    indexbus_participants_section *parts;
    indexbus_log_ctl *ctl;
    indexbus_stream_ctl *stream; /* byte streams (1.1): STREAM_CTL; NULL in a byte log */
    uint8_t *ring;
    uint64_t bytes, mask;
    uint32_t max_record;
} rawlog;

/* Map POSIX shm byte-log region `name` ("/x"), read-only or writable. 0 on success. */
static inline int rawlog_map(rawlog *w, const char *name, int writable)
{
    memset(w, 0, sizeof *w);
    int fd = shm_open(name, writable ? O_RDWR : O_RDONLY, 0);
    if (fd < 0)
        return -1;
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (size_t)sb.st_size < INDEXBUS_HEADER_BYTES) {
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)sb.st_size, writable ? PROT_READ | PROT_WRITE : PROT_READ,
                   MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    w->base = p;
    w->len = (size_t)sb.st_size;
    w->h = (indexbus_region_header *)w->base;
    if (w->h->region_kind != INDEXBUS_KIND_LOG && w->h->region_kind != INDEXBUS_KIND_STREAM)
        return -1; /* a byte stream's ring is a byte log's (LAYOUT.md 4.10) */
    for (uint32_t i = 0; i < w->h->section_count && i < INDEXBUS_MAX_SECTIONS; i++) {
        const indexbus_section_entry *e = &w->h->sections[i];
        if (e->kind == INDEXBUS_SECTION_PARTICIPANTS)
            w->parts = (indexbus_participants_section *)(w->base + e->offset);
        else if (e->kind == INDEXBUS_SECTION_LOG_RING)
            w->ctl = (indexbus_log_ctl *)(w->base + e->offset);
        else if (e->kind == INDEXBUS_SECTION_STREAM_CTL)
            w->stream = (indexbus_stream_ctl *)(w->base + e->offset);
    }
    if (w->parts == NULL || w->ctl == NULL)
        return -1;
    w->ring = (uint8_t *)(w->ctl + 1);
    w->bytes = w->h->log_bytes;
    w->mask = w->bytes - 1;
    w->max_record = w->h->log_max_record;
    return 0;
}

static inline void rawlog_unmap(rawlog *w)
{
    if (w->base != NULL)
        munmap(w->base, w->len);
    memset(w, 0, sizeof *w);
}

static inline uint64_t rl_ld(const uint64_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void rl_st(uint64_t *p, uint64_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

#define RL_TYPE(w) ((uint32_t)((w) >> 32) & 0xffu)
#define RL_OWNER(w) ((uint32_t)((w) >> 40)) /* CLAIMED: entry + 1 */
#define RL_LEN(w) ((uint32_t)(w))
#define RL_WORD(len, type) ((uint64_t)(uint32_t)(len) | (uint64_t)(type) << 32)
#define RL_CLAIMED(entry, bytes) RL_WORD((bytes), INDEXBUS_LOG_CLAIMED | ((uint32_t)(entry) + 1u) << 8)

static inline uint64_t rl_stride(uint64_t len) { return (INDEXBUS_LOG_HEADER_BYTES + len + 7u) & ~7ull; }

/* The header word at byte position pos. */
static inline uint64_t *rl_hdr_at(const rawlog *w, uint64_t pos)
{
    return (uint64_t *)(w->ring + (pos & w->mask));
}
static inline uint64_t rl_hdr(const rawlog *w, uint64_t pos) { return rl_ld(rl_hdr_at(w, pos)); }

static inline uint64_t rl_tail(const rawlog *w) { return rl_ld(&w->ctl->tail); }
static inline uint64_t rl_head(const rawlog *w) { return rl_ld(&w->ctl->head); }
static inline uint64_t rl_read(const rawlog *w) { return rl_ld(&w->ctl->read); }

/* A participant entry's journal: log_reserve (position | flag) and log_size. */
static inline uint64_t rl_journal(const rawlog *w, uint32_t entry)
{
    return rl_ld(&w->parts->entries[entry].log_reserve);
}
static inline uint32_t rl_journal_size(const rawlog *w, uint32_t entry)
{
    return __atomic_load_n(&w->parts->entries[entry].log_size, __ATOMIC_ACQUIRE);
}

/* The ACTIVE participant entry of pid, or -1. */
static inline int rl_entry_of(const rawlog *w, pid_t pid)
{
    for (uint32_t i = 0; i < INDEXBUS_MAX_PARTICIPANTS; i++)
        if (__atomic_load_n(&w->parts->entries[i].state, __ATOMIC_ACQUIRE) ==
                INDEXBUS_PARTICIPANT_ACTIVE &&
            w->parts->entries[i].pid == (uint32_t)pid)
            return (int)i;
    return -1;
}

/* A reservation as its journal describes it (LAYOUT.md 5.17): where it
 * starts, the wrap pad in front of its records (0 if none), where its first
 * record header is, and its record bytes. */
typedef struct rl_rsv {
    uint64_t pos, pad, rec, bytes;
} rl_rsv;

static inline rl_rsv rl_reservation(const rawlog *w, uint64_t pos, uint64_t size)
{
    rl_rsv r;
    uint64_t off = pos & w->mask;
    r.pos = pos;
    r.pad = off + size > w->bytes ? w->bytes - off : 0;
    r.rec = pos + r.pad;
    r.bytes = size - r.pad;
    return r;
}

/* Nonzero bytes of the ring: with head == read == tail (everything read and
 * given back) free space is zero (LAYOUT.md 4.9), so every byte must be.
 * Returns the count; *first the ring offset of the first one. */
static inline uint64_t rl_nonzero(const rawlog *w, uint64_t *first)
{
    uint64_t n = 0;
    *first = UINT64_MAX;
    for (uint64_t i = 0; i < w->bytes; i += 8) {
        uint64_t x = __atomic_load_n((const uint64_t *)(w->ring + i), __ATOMIC_RELAXED);
        if (x != 0) {
            if (n == 0)
                *first = i;
            n++;
        }
    }
    return n;
}

#endif
