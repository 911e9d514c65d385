/*
 * fuzz_region.c - libFuzzer harness: the region file is hostile input.
 *
 * The rule under test (abi/LAYOUT.md section 7): whatever a region holds,
 * and whatever another process writes into it while we run, every call
 * returns a defined status; no crash, hang or out-of-bounds access. Each
 * input is turned into a region file, opened, and driven through the whole
 * public API while the input keeps scribbling on the file through a second
 * ("rogue") mapping: between calls (live patches) and WHILE a call runs
 * (mutations, written by a second thread: mutator.h).
 *
 * Input format (all little-endian; missing bytes read as 0):
 *   byte 0     variant: baseline image = variants[byte0 % NVARIANTS] (48:
 *              0-15 events/fanout, kind x geometry x state, see geoms[] and
 *              build_variant; 16-23 byte logs, see log_geoms[] and
 *              build_log_variant; 24-27 byte streams, build_stream_variant;
 *              28-31 request/response, build_rpc_variant; 32-39 durable,
 *              build_durable_variant; 40-47 layout 1.3, fuzz13.h)
 *   byte 1     flags: F_TRUNCATE, F_READY_WAIT, F_EARLY_CLOSE, F_OTHER_KIND
 *              (byte logs: open the other producer kind first)
 *   bytes 2-3  u16 T: with F_TRUNCATE the file is resized to
 *              (T * 16) % (image size + 16384) bytes before open
 *   then records, until the input ends:
 *     tag >= 0x80   patch: n = (tag & 0x1f) + 1 data bytes, u16 offset, data
 *                   tag & 0x40: live (applied at this point of the call
 *                   sequence, after open, through the rogue mapping);
 *                   otherwise applied to the image before open
 *                   tag & 0x20: XOR the data in; otherwise overwrite
 *                   offset is taken modulo the image (file) size
 *     0x60 <= tag < 0x80   mutation: queued for the mutator thread, which
 *                   writes it while the NEXT call runs (all mutations queued
 *                   since the previous call form that call's batch, at most
 *                   MAX_MUTS; after the last call: during the fixed tail).
 *                   tag & 0x03: word width 1 << (tag & 3) = 1, 2, 4, 8 bytes
 *                   tag & 0x0c: target value, from v and the word's value
 *                     at release (orig): 0 SET v, 1 XOR orig ^ v,
 *                     2 ADD orig + v, 3 STEP v + k for the k-th word
 *                   tag & 0x10: flicker: alternate target and orig
 *                   then u8 sel, u16 off, u8 rep, u8 span, v (width bytes)
 *                   sel % 10: 0 the whole file (header at 0), 1-9 the section
 *                     of that kind (INDEXBUS_SECTION_*; 9 = LOG_RING) where
 *                     the baseline's directory puts it; a kind the region
 *                     lacks: ignored. 4 (ROUTER, fanout only) also names a
 *                     1.1 kind's control section (STREAM_CTL, RPC_CTL) and
 *                     9 its data (LOG_RING, RPC_CELLS), so older inputs
 *                     keep their meaning
 *                   off % that length, rounded down to the width
 *                   rep & 0x7f: 0 = hammer (rewrite for as long as the call
 *                     runs, then once more: the word ends as target),
 *                     n = write it in the first n rounds only
 *                   rep & 0x80: lead - the call starts only after the
 *                     mutator's first round (the value is in place at entry)
 *                   span & 0x3f: 1 + that many consecutive words (clipped
 *                     to the section); span >> 6: pause 0 / 64 / 1024 /
 *                     16384 iterations before the first write
 *     tag <  0x60   call: op = tag % OP_COUNT, then two argument bytes a, b
 *   (at most MAX_RECORDS records count; the rest of the input is ignored)
 *   Inputs made before mutation records existed keep their meaning unless
 *   they hold call tags 0x60-0x7f (the seeds never did: their ops are < 20).
 *   The byte-log ops (claim_len, claim_batch, commit_batch, publish_wait and
 *   claim_wait with timeout 0, producer_space) came after op 19, so older
 *   seeds keep their meaning; they run on every kind. The byte-stream and
 *   request/response ops (OP_STREAM_*, OP_RPC_*) came after op 25, and
 *   variants 24-31 after 23, the same way; the 1.3 ops (54-56: a recycling
 *   cycle, an MPSC batch of up to 64, a starved SPSC producer) after op 53
 *   and variants 40-47 after 39 (fuzz13.h); the seeds' call tags are below
 *   OP_COUNT and their variants below NVARIANTS, so they keep their meaning.
 *
 * Reproducibility: the batch (addresses, values, orig snapshots, order of
 * writes, the call it races) is fixed by the input; nothing else writes the
 * mapping while it is resolved. Which of the call's loads see which write,
 * and how often a hammered word is rewritten, is timing: a race hit in one
 * execution may be missed in the next, and a call's result (and so the
 * state later calls see) can differ from run to run. Replay a finding with
 * -runs=N (README.md). IBFUZZ_TRACE=1 prints each batch, call and status.
 *
 * Baseline images are made once per process with the library itself (small
 * geometry), read back into memory and the scratch file removed; each
 * iteration rewrites the per-process file /dev/shm/ibfuzz-<pid>.region (a
 * file PATH, not a POSIX shm name), which is unlinked at exit.
 *
 * Nothing here blocks: blocking receive and wait run with timeout 0 (a
 * bounded spin, at most MAX_WAITS per input), open uses ready timeout 0 (or
 * 1 ms), the router loop is only entered with a stop already pending, and
 * every loop is bounded. Handles are always closed, so LeakSanitizer stays
 * quiet. The library is compiled into this binary with test/fuzz/shim.h
 * (guard pages around its mappings, warped monotonic time, in-process
 * futexes); see there.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <indexbus/indexbus.h>
#include <indexbus/layout.h>

#include "mutator.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- checks ------------------------------------------------------------------ */

static int trace; /* IBFUZZ_TRACE set: print each mutation batch, call and status */

static int ck(int st, int line, const char *what)
{
    if (trace)
        fprintf(stderr, "    %s -> %s\n", what, indexbus_status_name(st));
    if (st < 0 || st >= INDEXBUS_STATUS_COUNT) {
        fprintf(stderr, "fuzz_region.c:%d: %s returned undefined status %d\n", line, what, st);
        abort();
    }
    return st;
}
#define CK(call) ck((call), __LINE__, #call)

#define EXPECT(cond)                                                                    \
    do {                                                                                \
        if (!(cond)) {                                                                  \
            fprintf(stderr, "fuzz_region.c:%d: API contract violated: %s\n", __LINE__, \
                    #cond);                                                             \
            abort();                                                                    \
        }                                                                               \
    } while (0)

#define SETUP(call)                                                                  \
    do {                                                                             \
        int st_ = (call);                                                            \
        if (st_ != INDEXBUS_OK) {                                                    \
            fprintf(stderr, "fuzz_region.c:%d: baseline setup: %s: %s\n", __LINE__, \
                    #call, indexbus_status_name(st_));                               \
            abort();                                                                 \
        }                                                                            \
    } while (0)

/* ---- baseline images ------------------------------------------------------------ */

enum { ST_FRESH = 0, ST_TRAFFIC = 1, ST_CRASHED = 2 };
/* byte-log states (build_log_variant) */
enum { LS_FRESH, LS_TRAFFIC, LS_WRAP, LS_CRASHED, LS_CRASHED_WRAP, LS_CRASHED_SPSC };
/* byte-stream and request/response states (build_stream_variant, build_rpc_variant) */
enum { SS_FRESH, SS_ENDED, SS_CRASHED };
enum { RS_FRESH, RS_TRAFFIC, RS_CRASHED, RS_STALE };
/* durable states (build_durable_variant): FRESH, HELD (a holder closed with
 * messages held, clean), CRASHED (snapshot with every handle open) */
enum { DS_FRESH, DS_HELD, DS_CRASHED };
/* the mark journal a durable baseline is left with: none, a piece published,
 * a piece not published, the producer died after setting the mark */
enum { PJ_NONE, PJ_PUBLISHED, PJ_UNPUBLISHED, PJ_MARK_SET };
#define NVARIANTS 48u
#define DEAD_PID 0x7ffffff0u /* above any pid_max: "the owner is gone" */

/* Where mutation records aim (SEL_*): 0 = the whole file, 1-9 = the
 * section of that kind as the baseline image's directory places it. */
#define NSEL 10u

typedef struct variant {
    uint32_t kind, slots, data, queue, consumers, state;
    uint32_t log_bytes, max_record, mpsc; /* byte logs: ring, max record, MPSC producers */
    uint32_t durable, pend;               /* 1.2: INDEXBUS_CREATE_DURABLE; the journal (PJ_*) */
    uint32_t flags13;                     /* 1.3 create flags (fuzz13.h) */
    uint8_t *img;
    size_t len;
    uint64_t sec_off[NSEL], sec_len[NSEL]; /* sec_len 0: no such section */
} variant;

static variant variants[NVARIANTS];
static char work_path[128], base_path[128];
static uint8_t payload[4096]; /* what producers publish */
static uint8_t rxbuf[4096];   /* where consumers receive */

static void cleanup_files(void)
{
    if (work_path[0])
        unlink(work_path);
    if (base_path[0])
        unlink(base_path);
}

static uint8_t *read_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0)
        abort();
    uint8_t *buf = malloc((size_t)sb.st_size);
    if (buf == NULL || pread(fd, buf, (size_t)sb.st_size, 0) != sb.st_size)
        abort();
    close(fd);
    *len = (size_t)sb.st_size;
    return buf;
}

/* 1.3 baselines: the router whose idle poll gives a starved pool parked
 * slots back (LAYOUT.md 5.21), so that a build never stops on FULL */
static indexbus_router *refill_rt;

static void pub(indexbus_producer *p, size_t len)
{
    int st = indexbus_publish(p, payload, len);
    for (int k = 0; st == INDEXBUS_FULL && refill_rt != NULL && k < 4; k++) {
        (void)indexbus_route_once(refill_rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST);
        st = indexbus_publish(p, payload, len);
    }
    SETUP(st);
}

static void recv_one(indexbus_consumer *c)
{
    size_t len;
    SETUP(indexbus_try_recv(c, rxbuf, sizeof rxbuf, &len));
}

static void *img_section(uint8_t *img, size_t len, uint32_t kind, uint64_t need)
{
    const indexbus_region_header *h = (const indexbus_region_header *)img;
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == kind && h->sections[i].offset + need <= len)
            return img + h->sections[i].offset;
    return NULL;
}

/* A "crashed" image: the owners of its participant entries are gone (a
 * snapshot carries no entry locks; the pid is only informational). In a
 * fanout image the router also dies just after opening its step journal
 * for the message at the SPSC source's head (LAYOUT.md 5.10.1), so that
 * recovery finishes a step, and mutations reach every journal field. */
static void crash_image(uint8_t *img, size_t len)
{
    const indexbus_region_header *h = (const indexbus_region_header *)img;
    indexbus_participants_section *ps =
        img_section(img, len, INDEXBUS_SECTION_PARTICIPANTS, sizeof(*ps));
    for (uint32_t j = 0; ps != NULL && j < INDEXBUS_MAX_PARTICIPANTS; j++)
        if (ps->entries[j].state == INDEXBUS_PARTICIPANT_ACTIVE)
            ps->entries[j].pid = DEAD_PID;
    indexbus_router_section *rs = img_section(img, len, INDEXBUS_SECTION_ROUTER, sizeof(*rs));
    indexbus_spsc_ctl *q = img_section(img, len, INDEXBUS_SECTION_SPSC_QUEUE,
                                       sizeof(*q) + 4ull * h->queue_capacity);
    uint8_t *pool = img_section(img, len, INDEXBUS_SECTION_SLOT_POOL,
                                sizeof(indexbus_pool_ctl) + (uint64_t)h->slot_count * h->slot_stride);
    if (rs == NULL || q == NULL || pool == NULL || q->tail == q->head)
        return;
    uint32_t idx = ((uint32_t *)(q + 1))[q->head & (h->queue_capacity - 1)];
    if (idx >= h->slot_count)
        return;
    uint64_t all = h->consumer_count >= 64 ? ~0ull : (1ull << h->consumer_count) - 1;
    indexbus_slot_header *slot =
        (indexbus_slot_header *)(pool + sizeof(indexbus_pool_ctl) + (uint64_t)idx * h->slot_stride);
    slot->refcount = (uint32_t)__builtin_popcountll(all);
    rs->step_source = 0;
    rs->step_pos = q->head;
    rs->step_targets = all;
    rs->step_full = rs->step_no_credit = rs->step_cursor = 0;
    rs->step_slot = idx + 1;
}

/*
 * FRESH: as created. TRAFFIC: every queue position wrapped past the
 * capacity, a few messages still waiting upstream, every handle closed.
 * CRASHED: a snapshot taken with every handle still open: messages in the
 * consumer queues, a borrowed slot, a claimed slot, all roles held.
 */
static void build_variant(variant *vr)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    indexbus_consumer *c[INDEXBUS_MAX_CONSUMERS] = {0};
    indexbus_router *rt = NULL;
    indexbus_producer *sp = NULL, *mp = NULL;
    int fanout = vr->kind == INDEXBUS_KIND_FANOUT;

    unlink(base_path);
    SETUP(indexbus_region_config_init(&cfg, vr->kind));
    cfg.slot_count = vr->slots;
    cfg.slot_data_size = vr->data;
    cfg.queue_capacity = vr->queue;
    cfg.consumer_count = vr->consumers;
    cfg.flags = vr->flags13;
    SETUP(indexbus_region_create(base_path, &cfg, &r));
    if (vr->state != ST_FRESH) {
        for (uint32_t i = 0; i < vr->consumers; i++)
            SETUP(indexbus_consumer_open(r, i, &c[i]));
        if (fanout)
            SETUP(indexbus_router_open(r, &rt)); /* after the consumers: no ack wait */
        refill_rt = vr->flags13 ? rt : NULL;
        SETUP(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
        SETUP(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
        /* wrap every position: 20 rounds > any queue capacity used here */
        for (uint32_t k = 0; k < 20; k++) {
            pub(sp, k % (vr->data + 1));
            pub(mp, (k * 7) % (vr->data + 1));
            if (fanout) {
                SETUP(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY,
                                          k & 1 ? INDEXBUS_MODE_WORK_QUEUE
                                                : INDEXBUS_MODE_BROADCAST));
                SETUP(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST));
                for (uint32_t i = 0; i < vr->consumers; i++) {
                    size_t len;
                    for (int j = 0; j < 2; j++)
                        if (CK(indexbus_try_recv(c[i], rxbuf, sizeof rxbuf, &len)) !=
                            INDEXBUS_OK)
                            break;
                }
            } else {
                recv_one(c[0]);
                recv_one(c[0]);
            }
        }
        /* left waiting upstream (as many as the smallest pool allows) */
        pub(sp, 3);
        if (vr->slots >= 4)
            pub(sp, vr->data);
        pub(mp, 0);
    }
    if (vr->state == ST_CRASHED) {
        const void *d;
        size_t len;
        void *buf;
        if (fanout) {
            pub(sp, 9);
            SETUP(indexbus_route_once(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST));
            SETUP(indexbus_route_once(rt, INDEXBUS_SOURCE_MPSC, INDEXBUS_MODE_BROADCAST));
        }
        SETUP(indexbus_recv_begin(c[0], &d, &len));
        SETUP(indexbus_claim(mp, &buf, &len));
        memset(buf, 0x5a, len);
        vr->img = read_file(base_path, &vr->len); /* the snapshot: everyone "dies" here */
        crash_image(vr->img, vr->len);
        SETUP(indexbus_recv_end(c[0]));
        SETUP(indexbus_abort(mp));
    }
    refill_rt = NULL;
    SETUP(indexbus_producer_close(sp));
    SETUP(indexbus_producer_close(mp));
    SETUP(indexbus_router_close(rt)); /* before the consumers: no ack wait */
    for (uint32_t i = 0; i < vr->consumers; i++)
        SETUP(indexbus_consumer_close(c[i]));
    SETUP(indexbus_region_close(r));
    if (vr->img == NULL)
        vr->img = read_file(base_path, &vr->len);
    SETUP(indexbus_region_unlink(base_path));
}

/* ---- byte-log baselines ---- */

static uint64_t log_stride(uint64_t len) { return (INDEXBUS_LOG_HEADER_BYTES + len + 7u) & ~7ull; }

/* Receive one record by copy, borrow or batch (k % 3); SETUP on failure. */
static void log_recv(indexbus_consumer *c, uint32_t k)
{
    size_t len, count;
    const void *d;
    uint32_t lens[4];
    if (k % 3 == 0) {
        SETUP(indexbus_try_recv(c, rxbuf, sizeof rxbuf, &len));
    } else if (k % 3 == 1) {
        SETUP(indexbus_recv_begin(c, &d, &len));
        SETUP(indexbus_recv_end(c));
    } else {
        SETUP(indexbus_recv_batch(c, rxbuf, sizeof rxbuf, lens, 1, &count));
    }
}

/* Publish len bytes and read them back: the ring moves on by their stride. */
static uint64_t log_through(indexbus_producer *p, indexbus_consumer *c, uint32_t len, uint32_t k)
{
    pub(p, len);
    log_recv(c, k);
    return log_stride(len);
}

/* The participant entry of the k-th (0, 1, ...) MPSC producer in an image. */
static indexbus_participant *img_entry(uint8_t *img, size_t len, uint32_t role, uint32_t k)
{
    indexbus_participants_section *ps =
        img_section(img, len, INDEXBUS_SECTION_PARTICIPANTS, sizeof(*ps));
    for (uint32_t j = 0; ps != NULL && j < INDEXBUS_MAX_PARTICIPANTS; j++)
        if (ps->entries[j].state == INDEXBUS_PARTICIPANT_ACTIVE && ps->entries[j].role == role &&
            k-- == 0)
            return &ps->entries[j];
    return NULL;
}

/*
 * Byte logs. FRESH: as created. TRAFFIC: three laps of mixed lengths (0 ..
 * max_record) read by copy, borrow and batch, three records left waiting,
 * every handle closed. WRAP: the same, then the waiting records straddle
 * the ring's end (a record, a PAD to the end, a record at offset 0, another).
 * CRASHED (MPSC): snapshot with a borrowed record, a CLAIMED record and a
 * pending claim_batch. CRASHED_WRAP (MPSC): a wrapping claim (PAD, then
 * CLAIMED at offset 0) and a second producer's journal naming the same
 * reservation as RESERVING (what a producer killed before its CAS leaves).
 * CRASHED_SPSC: an SPSC producer holding a claim, a borrowed record.
 */
static void build_log_variant(variant *vr)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    indexbus_consumer *c = NULL;
    indexbus_producer *p = NULL, *p2 = NULL;
    uint32_t type = vr->mpsc ? INDEXBUS_PRODUCER_MPSC : INDEXBUS_PRODUCER_SPSC;
    unlink(base_path);
    SETUP(indexbus_region_config_init(&cfg, INDEXBUS_KIND_LOG));
    cfg.byte_capacity = vr->log_bytes;
    cfg.max_record = vr->max_record;
    SETUP(indexbus_region_create(base_path, &cfg, &r));
    indexbus_info info = {.size = sizeof info};
    SETUP(indexbus_region_info(r, &info));
    uint32_t maxrec = info.max_record;
    uint64_t L = info.byte_capacity, tail = 0;
    if (vr->state != LS_FRESH) {
        SETUP(indexbus_consumer_open(r, 0, &c));
        SETUP(indexbus_producer_open(r, type, &p));
        for (uint32_t k = 0; tail < 3 * L; k++)
            tail += log_through(p, c, k % 11 == 0 ? maxrec : (k * 37u) % (maxrec < 300 ? maxrec + 1 : 300u), k);
    }
    if (vr->state == LS_WRAP || vr->state == LS_CRASHED_WRAP) {
        /* to 64 bytes before the end: one record of the odd remainder, then 64s */
        uint64_t gap = (L - 64 - (tail & (L - 1))) & (L - 1);
        if (gap % 64)
            tail += log_through(p, c, (uint32_t)(gap % 64) - 8, 0);
        while ((tail & (L - 1)) != L - 64)
            tail += log_through(p, c, 56, 0);
    }
    if (vr->state == LS_TRAFFIC) {
        pub(p, 0);
        pub(p, 17);
        pub(p, maxrec);
    } else if (vr->state == LS_WRAP) {
        pub(p, 40);  /* to 16 before the end */
        pub(p, 100); /* PAD 16, then at offset 0 */
        pub(p, 24);
    } else if (vr->state == LS_CRASHED || vr->state == LS_CRASHED_SPSC) {
        const void *d;
        size_t len;
        void *buf, *bufs[3];
        static const uint32_t lens[3] = {30, 0, 60};
        pub(p, 9);
        pub(p, 33);
        SETUP(indexbus_recv_begin(c, &d, &len));
        SETUP(indexbus_claim_len(p, 100, &buf));
        memset(buf, 0x5a, 100);
        if (vr->mpsc) {
            SETUP(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p2));
            SETUP(indexbus_claim_batch(p2, lens, 3, bufs));
            memset(bufs[0], 0x6b, lens[0]);
        }
        vr->img = read_file(base_path, &vr->len); /* everyone "dies" here */
        crash_image(vr->img, vr->len);
        SETUP(indexbus_recv_end(c));
        SETUP(indexbus_abort(p));
        if (p2 != NULL)
            SETUP(indexbus_commit_batch(p2, 1));
    } else if (vr->state == LS_CRASHED_WRAP) {
        const void *d;
        size_t len;
        void *buf;
        pub(p, 40); /* to 16 before the end, left waiting and borrowed */
        SETUP(indexbus_recv_begin(c, &d, &len));
        SETUP(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p2));
        SETUP(indexbus_claim_len(p, 100, &buf)); /* PAD 16, CLAIMED at offset 0 */
        memset(buf, 0x5a, 100);
        vr->img = read_file(base_path, &vr->len);
        crash_image(vr->img, vr->len);
        indexbus_participant *e1 = img_entry(vr->img, vr->len, INDEXBUS_ROLE_MPSC_PRODUCER, 0);
        indexbus_participant *e2 = img_entry(vr->img, vr->len, INDEXBUS_ROLE_MPSC_PRODUCER, 1);
        if (e1 == NULL || e2 == NULL)
            abort();
        e2->log_reserve = (e1->log_reserve & ~7ull) | INDEXBUS_LOG_RESERVING;
        e2->log_size = e1->log_size;
        SETUP(indexbus_recv_end(c));
        SETUP(indexbus_abort(p));
    }
    SETUP(indexbus_producer_close(p));
    SETUP(indexbus_producer_close(p2));
    SETUP(indexbus_consumer_close(c));
    SETUP(indexbus_region_close(r));
    if (vr->img == NULL)
        vr->img = read_file(base_path, &vr->len);
    SETUP(indexbus_region_unlink(base_path));
}

/* ---- byte-stream and request/response baselines ---- */

/* Write len bytes with write_all (room is there: the reader keeps up). */
static void s_write(indexbus_stream_writer *w, size_t len)
{
    size_t n;
    SETUP(indexbus_stream_write_all(w, payload, len, 0, &n));
}

/* Read exactly len bytes in pieces of at most cap. */
static void s_read(indexbus_stream_reader *rd, size_t len, size_t cap)
{
    while (len > 0) {
        size_t n;
        SETUP(indexbus_stream_read(rd, rxbuf, len < cap ? len : cap, &n, 0));
        len -= n;
    }
}

/*
 * Byte streams. FRESH: as created, no writer ever joined. ENDED: three laps
 * of writes of 1 .. 2 * max_record bytes (several records each), read in
 * pieces; then bytes left waiting, the reader hands the end over in the
 * middle of a record (read_skip > 0) and the writer leaves: ENDED, clean.
 * CRASHED: the same traffic, then a second writer (a clone) joins and the
 * next reader takes over from read_skip and reads a little more; the
 * snapshot has two seats and the read end held, with a record half read.
 */
static void build_stream_variant(variant *vr)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    indexbus_stream_writer *w = NULL, *w2 = NULL;
    indexbus_stream_reader *rd = NULL;
    unlink(base_path);
    SETUP(indexbus_region_config_init(&cfg, INDEXBUS_KIND_STREAM));
    cfg.byte_capacity = vr->log_bytes;
    cfg.max_record = vr->max_record;
    SETUP(indexbus_region_create(base_path, &cfg, &r));
    indexbus_info info = {.size = sizeof info};
    SETUP(indexbus_region_info(r, &info));
    uint32_t m = info.max_record;
    if (vr->state != SS_FRESH) {
        SETUP(indexbus_stream_writer_open(r, &w));
        SETUP(indexbus_stream_reader_open(r, &rd));
        uint64_t moved = 0;
        for (uint32_t k = 0; moved < 3 * info.byte_capacity; k++) {
            size_t len = 1 + (k * 97u) % (2 * m < sizeof payload ? 2 * m : sizeof payload);
            if (len > info.byte_capacity / 4)
                len = info.byte_capacity / 4;
            s_write(w, len);
            s_read(rd, len, 1 + k % 300);
            moved += len + 64;
        }
        s_write(w, m / 2 + 3);
        s_write(w, 40);
        s_read(rd, 5, 5); /* five bytes into the first waiting record */
        SETUP(indexbus_stream_reader_release(rd));
        rd = NULL;
    }
    if (vr->state == SS_CRASHED) {
        SETUP(indexbus_stream_writer_open(r, &w2));
        s_write(w2, 24);
        SETUP(indexbus_stream_reader_open(r, &rd));
        s_read(rd, 3, 3);
        vr->img = read_file(base_path, &vr->len); /* everyone "dies" here */
        crash_image(vr->img, vr->len);
    }
    SETUP(indexbus_stream_writer_close(w2));
    SETUP(indexbus_stream_writer_close(w));
    SETUP(indexbus_stream_reader_release(rd));
    SETUP(indexbus_region_close(r));
    if (vr->img == NULL)
        vr->img = read_file(base_path, &vr->len);
    SETUP(indexbus_region_unlink(base_path));
}

static void r_roundtrip(indexbus_rpc_client *c, indexbus_rpc_server *sv, size_t len)
{
    uint64_t tok, stok;
    const void *d;
    size_t n;
    SETUP(indexbus_rpc_request(c, payload, len, &tok));
    SETUP(indexbus_rpc_serve(sv, &stok, &d, &n, 0));
    SETUP(indexbus_rpc_reply(sv, stok, payload, len / 2));
    SETUP(indexbus_rpc_wait(c, tok, &d, &n, 0));
    SETUP(indexbus_rpc_reply_done(c, tok));
}

/*
 * Request/response. FRESH: as created. TRAFFIC: forty round trips of two
 * clients through every cell (generations past 1), a cancelled request
 * and a cancelled reply, every handle closed. CRASHED: snapshot with two
 * clients and a server attached and a cell in every state: REPLIED (not yet
 * read), SERVING, ABANDONED (its client cancelled while served), FAILED (a
 * second server closed holding it), REQUESTED (pending bit set), OWNED (a
 * claim not sent). STALE (130 cells: three pending words): seventy
 * requests cancelled unserved, so their pending bits stay behind, every
 * handle closed.
 */
static void build_rpc_variant(variant *vr)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    indexbus_rpc_client *a = NULL, *b = NULL;
    indexbus_rpc_server *s1 = NULL, *s2 = NULL;
    uint64_t t[8], st;
    const void *d;
    size_t n;
    void *buf;
    unlink(base_path);
    SETUP(indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC));
    cfg.slot_count = vr->slots;
    cfg.slot_data_size = vr->data;
    cfg.max_record = vr->max_record;
    SETUP(indexbus_region_create(base_path, &cfg, &r));
    if (vr->state != RS_FRESH) {
        SETUP(indexbus_rpc_client_open(r, &a));
        SETUP(indexbus_rpc_client_open(r, &b));
        SETUP(indexbus_rpc_server_open(r, &s1));
    }
    if (vr->state == RS_TRAFFIC) {
        for (uint32_t k = 0; k < 40; k++)
            r_roundtrip(k % 2 ? a : b, s1, k % (vr->data + 1));
        SETUP(indexbus_rpc_request(a, payload, 8, &t[0]));
        SETUP(indexbus_rpc_cancel(a, t[0]));
        SETUP(indexbus_rpc_request(b, payload, 9, &t[1]));
        SETUP(indexbus_rpc_serve(s1, &st, &d, &n, 0));
        SETUP(indexbus_rpc_reply(s1, st, payload, 3));
        SETUP(indexbus_rpc_cancel(b, t[1]));
    } else if (vr->state == RS_CRASHED) {
        r_roundtrip(a, s1, 5);
        SETUP(indexbus_rpc_request(a, payload, 10, &t[0])); /* REPLIED */
        SETUP(indexbus_rpc_serve(s1, &st, &d, &n, 0));
        SETUP(indexbus_rpc_reply(s1, st, payload, 7));
        SETUP(indexbus_rpc_request(a, payload, 11, &t[1])); /* SERVING */
        SETUP(indexbus_rpc_serve(s1, &st, &d, &n, 0));
        SETUP(indexbus_rpc_request(b, payload, 12, &t[2])); /* ABANDONED */
        SETUP(indexbus_rpc_serve(s1, &st, &d, &n, 0));
        SETUP(indexbus_rpc_cancel(b, t[2]));
        SETUP(indexbus_rpc_server_open(r, &s2));             /* FAILED */
        SETUP(indexbus_rpc_request(b, payload, 13, &t[3]));
        SETUP(indexbus_rpc_serve(s2, &st, &d, &n, 0));
        SETUP(indexbus_rpc_server_close(s2));
        s2 = NULL;
        SETUP(indexbus_rpc_request(b, payload, vr->data, &t[4])); /* REQUESTED */
        SETUP(indexbus_rpc_claim(a, vr->data, &buf));             /* OWNED */
        memset(buf, 0x5a, vr->data);
        vr->img = read_file(base_path, &vr->len); /* everyone "dies" here */
        crash_image(vr->img, vr->len);
    } else if (vr->state == RS_STALE) {
        r_roundtrip(a, s1, 8);
        for (uint32_t k = 0; k < 70; k++) {
            SETUP(indexbus_rpc_request(k % 2 ? a : b, payload, k % 9, &t[0]));
            SETUP(indexbus_rpc_cancel(k % 2 ? a : b, t[0]));
        }
    }
    SETUP(indexbus_rpc_server_close(s1));
    SETUP(indexbus_rpc_client_close(a));
    SETUP(indexbus_rpc_client_close(b));
    SETUP(indexbus_region_close(r));
    if (vr->img == NULL)
        vr->img = read_file(base_path, &vr->len);
    SETUP(indexbus_region_unlink(base_path));
}

/* ---- durable baselines (layout 1.2) ---- */

/* Open consumer i with INDEXBUS_CONSUMER_HOLD (max_held 0: the default). */
static int hold_open(indexbus_region *r, uint32_t i, uint32_t max_held, indexbus_consumer **c)
{
    indexbus_consumer_config cc = {.size = sizeof cc, .index = i, .flags = INDEXBUS_CONSUMER_HOLD,
                                   .max_held = max_held};
    return indexbus_consumer_open_config(r, &cc, c);
}

/* Marked publish of one message (mark *next, then *next + 1 ...); any status. */
static void pub_marked(indexbus_producer *p, uint32_t len, uint64_t *next)
{
    uint64_t mark = (*next)++;
    size_t done;
    CK(indexbus_publish_batch_marked(p, payload, &len, &mark, 1, &done));
}

/* The holder reads one message and (release) lets go of it again. */
static void hold_cycle(indexbus_consumer *c, int release)
{
    size_t len;
    uint64_t pos;
    if (CK(indexbus_recv_held(c, rxbuf, sizeof rxbuf, &len, &pos)) == INDEXBUS_OK && release)
        CK(indexbus_release(c, 1));
}

/* Leave the image's mark journal as a producer killed mid-piece would
 * (LAYOUT.md 5.20). Slot regions: the piece showed (pend_pos = the SPSC
 * tail) or not (tail + 1). Byte logs: pend_pos is the last reservation,
 * `last` bytes back from the tail: the 15-byte RECORD (published) or, in
 * CRASHED, the SPSC claim still CLAIMED (unpublished). PJ_MARK_SET: the
 * producer died after setting the mark. */
static void journal_image(variant *vr, uint64_t last)
{
    indexbus_durable_ctl *d =
        img_section(vr->img, vr->len, INDEXBUS_SECTION_DURABLE, sizeof(indexbus_durable_ctl));
    indexbus_spsc_ctl *q = img_section(vr->img, vr->len, INDEXBUS_SECTION_SPSC_QUEUE, sizeof(*q));
    indexbus_log_ctl *lc = img_section(vr->img, vr->len, INDEXBUS_SECTION_LOG_RING, sizeof(*lc));
    if (d == NULL || (q == NULL && lc == NULL))
        abort();
    uint64_t at = lc != NULL ? lc->tail - last : q->tail + (vr->pend == PJ_UNPUBLISHED);
    d->mark.pend_mark = d->mark.mark + (vr->pend == PJ_MARK_SET ? 0 : 5);
    d->mark.pend_pos = at;
}

/*
 * Durable events, fanout and byte-log regions. The holders (consumer 0;
 * on fanout every even index) read with INDEXBUS_CONSUMER_HOLD; the SPSC
 * producer publishes marked. FRESH: as created. HELD: twenty rounds of
 * traffic (held and released, so positions wrap), then messages left
 * held and waiting, every handle closed (a fanout holder's hold bit and
 * queue stay), and the journal left as PJ_* says. CRASHED: the same, but
 * the snapshot is taken with every handle open (owners gone) and, on a
 * byte log, an SPSC claim in flight. Traffic accepts any status: held
 * messages fill small pools, which is the point.
 */
static void build_durable_variant(variant *vr)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    indexbus_consumer *c[INDEXBUS_MAX_CONSUMERS] = {0};
    indexbus_router *rt = NULL;
    indexbus_producer *sp = NULL, *mp = NULL;
    int fanout = vr->kind == INDEXBUS_KIND_FANOUT, log = vr->kind == INDEXBUS_KIND_LOG;
    uint64_t next = 1, last = log_stride(15);

    unlink(base_path);
    SETUP(indexbus_region_config_init(&cfg, vr->kind));
    cfg.flags |= INDEXBUS_CREATE_DURABLE;
    if (log) {
        cfg.byte_capacity = vr->log_bytes;
        cfg.max_record = vr->max_record;
    } else {
        cfg.slot_count = vr->slots;
        cfg.slot_data_size = vr->data;
        cfg.queue_capacity = vr->queue;
        cfg.consumer_count = vr->consumers;
    }
    SETUP(indexbus_region_create(base_path, &cfg, &r));
    indexbus_info info = {.size = sizeof info};
    SETUP(indexbus_region_info(r, &info));
    uint32_t maxlen = log ? info.max_record : vr->data;
    if (vr->state != DS_FRESH) {
        for (uint32_t i = 0; i < vr->consumers; i++) {
            if (i % 2 == 0)
                SETUP(hold_open(r, i, 0, &c[i]));
            else
                SETUP(indexbus_consumer_open(r, i, &c[i]));
        }
        if (fanout)
            SETUP(indexbus_router_open(r, &rt));
        SETUP(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &sp));
        if (!log)
            SETUP(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &mp));
        for (uint32_t k = 0; k < 20; k++) {
            pub_marked(sp, (k * 37u) % (maxlen < 300 ? maxlen + 1 : 300u), &next);
            if (mp != NULL)
                CK(indexbus_publish(mp, payload, (k * 7) % (vr->data + 1)));
            if (fanout)
                CK(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST));
            for (uint32_t i = 0; i < vr->consumers; i++) {
                size_t len;
                for (int j = 0; j < 2; j++) {
                    if (i % 2 == 0)
                        hold_cycle(c[i], 1);
                    else
                        CK(indexbus_try_recv(c[i], rxbuf, sizeof rxbuf, &len));
                }
            }
        }
        /* held (two) and waiting behind them */
        for (uint32_t k = 0; k < 4; k++) {
            pub_marked(sp, k * 5u, &next);
            if (mp != NULL && k == 0)
                CK(indexbus_publish(mp, payload, 3));
            if (fanout)
                CK(indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, INDEXBUS_MODE_BROADCAST));
        }
        for (uint32_t i = 0; i < vr->consumers; i += 2) {
            hold_cycle(c[i], 0);
            hold_cycle(c[i], 0);
        }
    }
    if (vr->state == DS_CRASHED) {
        void *buf;
        if (log && CK(indexbus_claim_len(sp, 40, &buf)) == INDEXBUS_OK) {
            memset(buf, 0x5a, 40);
            last = log_stride(40); /* the claim: CLAIMED, unpublished */
        }
        vr->img = read_file(base_path, &vr->len); /* everyone "dies" here */
        crash_image(vr->img, vr->len);
        if (log)
            CK(indexbus_abort(sp));
    }
    if (vr->img == NULL && vr->state != DS_FRESH) {
        SETUP(indexbus_producer_close(sp));
        SETUP(indexbus_producer_close(mp));
        sp = mp = NULL;
        SETUP(indexbus_router_close(rt)); /* before the consumers: no ack wait */
        rt = NULL;
        for (uint32_t i = 0; i < vr->consumers; i++)
            SETUP(indexbus_consumer_close(c[i])); /* holders: what they hold stays */
        SETUP(indexbus_region_close(r));
        r = NULL;
        vr->img = read_file(base_path, &vr->len);
    }
    if (vr->img != NULL && vr->pend != PJ_NONE)
        journal_image(vr, last);
    SETUP(indexbus_producer_close(sp));
    SETUP(indexbus_producer_close(mp));
    SETUP(indexbus_router_close(rt));
    for (uint32_t i = 0; i < vr->consumers; i++)
        if (r != NULL)
            SETUP(indexbus_consumer_close(c[i]));
    SETUP(indexbus_region_close(r));
    if (vr->img == NULL)
        vr->img = read_file(base_path, &vr->len);
    SETUP(indexbus_region_unlink(base_path));
}

/* The baseline's own directory, read once: mutation records address
 * sections through it, so they keep pointing at the same field whatever
 * patches do to the header later. The 1.1 kinds' sections past 9 are
 * reached through the selectors their kind does not use: 4 (ROUTER, fanout
 * only) for STREAM_CTL / RPC_CTL, 9 (LOG_RING) for RPC_CELLS. */
static void note_sections(variant *vr)
{
    const indexbus_region_header *h = (const indexbus_region_header *)vr->img;
    vr->sec_off[0] = 0;
    vr->sec_len[0] = vr->len;
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++) {
        const indexbus_section_entry *e = &h->sections[i];
        uint32_t sel = e->kind == INDEXBUS_SECTION_STREAM_CTL || e->kind == INDEXBUS_SECTION_RPC_CTL ? 4u
                       : e->kind == INDEXBUS_SECTION_RPC_CELLS ? 9u
                                                               : e->kind;
        if (e->kind == INDEXBUS_SECTION_DURABLE)
            continue; /* below, once the others are placed */
        if (sel >= 1 && sel < NSEL && e->offset < vr->len && e->length <= vr->len - e->offset) {
            vr->sec_off[sel] = e->offset;
            vr->sec_len[sel] = e->length;
        }
    }
    /* 1.2: the DURABLE section through selector 9 where the region has no
     * LOG_RING (events, fanout), else 4 (a byte log has no ROUTER) */
    for (uint32_t i = 0; i < h->section_count && i < INDEXBUS_MAX_SECTIONS; i++) {
        const indexbus_section_entry *e = &h->sections[i];
        uint32_t sel = vr->sec_len[9] == 0 ? 9u : 4u;
        if (e->kind == INDEXBUS_SECTION_DURABLE && vr->sec_len[sel] == 0 && e->offset < vr->len &&
            e->length <= vr->len - e->offset) {
            vr->sec_off[sel] = e->offset;
            vr->sec_len[sel] = e->length;
        }
    }
}

/* Variants 0-11: the four small geometries x FRESH / TRAFFIC / CRASHED;
 * 12-15: the limits (fewest slots and queue cells; 64 consumers, so every
 * consumer mask is full width) x FRESH / TRAFFIC. make_corpus.py mirrors this. */
static const struct geom {
    uint32_t kind, slots, data, queue, consumers;
} geoms[6] = {
    {INDEXBUS_KIND_EVENTS, 16, 64, 16, 1}, {INDEXBUS_KIND_FANOUT, 16, 64, 16, 2},
    {INDEXBUS_KIND_EVENTS, 8, 128, 4, 1},  {INDEXBUS_KIND_FANOUT, 8, 128, 4, 3},
    {INDEXBUS_KIND_EVENTS, 2, 64, 2, 1},   {INDEXBUS_KIND_FANOUT, 4, 64, 2, 64},
};

/* Variants 16-23: byte logs (make_corpus.py mirrors this too). */
static const struct log_geom {
    uint32_t bytes, max_record, mpsc, state;
} log_geoms[8] = {
    {4096, 0, 0, LS_FRESH},   {4096, 0, 1, LS_TRAFFIC},      {4096, 0, 0, LS_WRAP},
    {4096, 0, 1, LS_CRASHED}, {4096, 0, 1, LS_CRASHED_WRAP}, {4096, 0, 0, LS_CRASHED_SPSC},
    {8192, 256, 1, LS_FRESH}, {8192, 256, 0, LS_TRAFFIC},
};

/* Variants 24-27: byte streams; 28-31: request/response (make_corpus.py too). */
static const struct new_geom {
    uint32_t kind, bytes_or_cells, max_record, max_request, state;
} new_geoms[8] = {
    {INDEXBUS_KIND_STREAM, 4096, 0, 0, SS_FRESH},    {INDEXBUS_KIND_STREAM, 8192, 256, 0, SS_FRESH},
    {INDEXBUS_KIND_STREAM, 4096, 0, 0, SS_ENDED},    {INDEXBUS_KIND_STREAM, 8192, 256, 0, SS_CRASHED},
    {INDEXBUS_KIND_RPC, 4, 64, 64, RS_FRESH},        {INDEXBUS_KIND_RPC, 4, 64, 64, RS_TRAFFIC},
    {INDEXBUS_KIND_RPC, 8, 64, 128, RS_CRASHED},     {INDEXBUS_KIND_RPC, 130, 8, 8, RS_STALE},
};

/* Variants 32-39: durable regions (1.2; make_corpus.py DURABLE_GEOMS):
 * kind, slots or ring bytes, slot data or max_record, queue, consumers,
 * state (DS_*), the journal left behind (PJ_*). */
static const struct durable_geom {
    uint32_t kind, slots_or_bytes, data, queue, consumers, state, pend;
} durable_geoms[8] = {
    {INDEXBUS_KIND_EVENTS, 16, 64, 16, 1, DS_HELD, PJ_PUBLISHED},
    {INDEXBUS_KIND_EVENTS, 8, 128, 4, 1, DS_CRASHED, PJ_UNPUBLISHED},
    {INDEXBUS_KIND_FANOUT, 16, 64, 16, 2, DS_HELD, PJ_PUBLISHED},
    {INDEXBUS_KIND_FANOUT, 8, 128, 4, 3, DS_CRASHED, PJ_UNPUBLISHED},
    {INDEXBUS_KIND_LOG, 4096, 0, 0, 1, DS_HELD, PJ_PUBLISHED},
    {INDEXBUS_KIND_LOG, 4096, 0, 0, 1, DS_CRASHED, PJ_UNPUBLISHED},
    {INDEXBUS_KIND_LOG, 8192, 256, 0, 1, DS_FRESH, PJ_NONE},
    {INDEXBUS_KIND_FANOUT, 4, 64, 2, 64, DS_HELD, PJ_MARK_SET},
};

#include "fuzz13.h"

static void build_variants(void)
{
    for (uint32_t i = 0; i < NVARIANTS; i++) {
        variant *vr = &variants[i];
        if (i >= 40) { /* layout 1.3 (fuzz13.h) */
            const struct geom13 *g = &geoms13[i - 40];
            vr->kind = g->kind;
            vr->slots = g->slots;
            vr->data = g->data;
            vr->queue = g->queue;
            vr->consumers = g->consumers;
            vr->state = g->state;
            vr->flags13 = g->flags;
            build_variant(vr);
            hostile13(vr, g);
            note_sections(vr);
            continue;
        }
        if (i >= 32) {
            const struct durable_geom *dg = &durable_geoms[i - 32];
            vr->kind = dg->kind;
            vr->durable = 1;
            vr->consumers = dg->consumers;
            vr->state = dg->state;
            vr->pend = dg->pend;
            if (dg->kind == INDEXBUS_KIND_LOG) {
                vr->log_bytes = dg->slots_or_bytes;
                vr->max_record = dg->data;
            } else {
                vr->slots = dg->slots_or_bytes;
                vr->data = dg->data;
                vr->queue = dg->queue;
            }
            build_durable_variant(vr);
            note_sections(vr);
            continue;
        }
        if (i >= 24) {
            const struct new_geom *ng = &new_geoms[i - 24];
            vr->kind = ng->kind;
            vr->consumers = 1;
            vr->state = ng->state;
            vr->max_record = ng->max_record;
            if (ng->kind == INDEXBUS_KIND_STREAM) {
                vr->log_bytes = ng->bytes_or_cells;
                build_stream_variant(vr);
            } else {
                vr->slots = ng->bytes_or_cells;
                vr->data = ng->max_request;
                build_rpc_variant(vr);
            }
            note_sections(vr);
            continue;
        }
        if (i >= 16) {
            const struct log_geom *lg = &log_geoms[i - 16];
            vr->kind = INDEXBUS_KIND_LOG;
            vr->consumers = 1;
            vr->log_bytes = lg->bytes;
            vr->max_record = lg->max_record;
            vr->mpsc = lg->mpsc;
            vr->state = lg->state;
            build_log_variant(vr);
            note_sections(vr);
            continue;
        }
        const struct geom *g = i < 12 ? &geoms[i % 4] : &geoms[4 + (i - 12) % 2];
        vr->kind = g->kind;
        vr->slots = g->slots;
        vr->data = g->data;
        vr->queue = g->queue;
        vr->consumers = g->consumers;
        vr->state = i < 12 ? i / 4 : (i - 12) / 2;
        build_variant(vr);
        note_sections(vr);
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    struct stat sb;
    const char *dir = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) &&
                              access("/dev/shm", W_OK) == 0
                          ? "/dev/shm"
                          : "/tmp";
    snprintf(work_path, sizeof work_path, "%s/ibfuzz-%d.region", dir, (int)getpid());
    snprintf(base_path, sizeof base_path, "%s/ibfuzz-%d-base.region", dir, (int)getpid());
    atexit(cleanup_files);
    trace = getenv("IBFUZZ_TRACE") != NULL;
    for (size_t i = 0; i < sizeof payload; i++)
        payload[i] = (uint8_t)(i * 131u + 7u);
    build_variants();
    return 0;
}

/* ---- input reader --------------------------------------------------------------- */

typedef struct reader {
    const uint8_t *d;
    size_t n, pos;
} reader;

static uint8_t rd_u8(reader *r) { return r->pos < r->n ? r->d[r->pos++] : 0; }

static uint16_t rd_u16(reader *r)
{
    uint16_t lo = rd_u8(r);
    return (uint16_t)(lo | (uint16_t)rd_u8(r) << 8);
}

enum { F_TRUNCATE = 0x01, F_READY_WAIT = 0x02, F_EARLY_CLOSE = 0x04, F_OTHER_KIND = 0x08,
       F_NO_HOLD = 0x10, /* durable variants: open no consumer with HOLD at first */
       F_HOLD = 0x20 };  /* other variants: open consumer 0 with HOLD at first */
#define HEADER_BYTES 4u
#define MAX_RECORDS 256u
#define TAG_MUTATE 0x60u /* tags 0x60-0x7f: mutation records; below: calls */
#define MAX_MUTS 16u     /* queued per call; more before the same call are dropped */

/* how a mutation's target value comes from v and the word's value at release */
enum { MV_SET, MV_XOR, MV_ADD, MV_STEP };
/* pause iterations before a mutation's first write, by span >> 6 */
static const uint32_t delays[4] = {0, 64, 1024, 16384};

typedef struct record {
    int is_patch, live, xor_in, is_mut;
    uint16_t off;
    const uint8_t *bytes;
    size_t n;
    uint8_t op, a, b;
    /* mutation: tag bits, then sel, off (above), rep, span, value */
    uint8_t width, vop, flicker, sel, rep, span;
    uint64_t value;
} record;

/* Next record, or 0 at the end of the input. */
static int next_record(reader *r, record *rec)
{
    if (r->pos >= r->n)
        return 0;
    uint8_t tag = rd_u8(r);
    memset(rec, 0, sizeof *rec);
    if (tag & 0x80) {
        rec->is_patch = 1;
        rec->live = (tag & 0x40) != 0;
        rec->xor_in = (tag & 0x20) != 0;
        rec->off = rd_u16(r);
        size_t want = (size_t)(tag & 0x1f) + 1, left = r->n - (r->pos < r->n ? r->pos : r->n);
        rec->n = want < left ? want : left;
        rec->bytes = r->d + r->pos;
        r->pos += rec->n;
    } else if (tag >= TAG_MUTATE) {
        rec->is_mut = 1;
        rec->width = (uint8_t)(1u << (tag & 3));
        rec->vop = (tag >> 2) & 3;
        rec->flicker = (tag >> 4) & 1;
        rec->sel = rd_u8(r);
        rec->off = rd_u16(r);
        rec->rep = rd_u8(r);
        rec->span = rd_u8(r);
        for (uint32_t i = 0; i < rec->width; i++)
            rec->value |= (uint64_t)rd_u8(r) << (8 * i);
    } else {
        rec->op = tag;
        rec->a = rd_u8(r);
        rec->b = rd_u8(r);
    }
    return 1;
}

static void apply_patch(uint8_t *dst, size_t len, const record *rec)
{
    if (len == 0)
        return;
    size_t off = rec->off % len;
    for (size_t i = 0; i < rec->n && off + i < len; i++)
        dst[off + i] = rec->xor_in ? (uint8_t)(dst[off + i] ^ rec->bytes[i]) : rec->bytes[i];
}

/* ---- the driven handles ----------------------------------------------------------- */

enum { P_SPSC = 0, P_MPSC1 = 1, P_MPSC2 = 2, NPROD = 3 };

typedef struct fz {
    indexbus_region *r; /* NULL once closed early (F_EARLY_CLOSE) */
    indexbus_consumer *c[INDEXBUS_MAX_CONSUMERS];
    indexbus_router *rt;
    indexbus_producer *p[NPROD];
    uint32_t nc;        /* consumer_count as info reports it (<= 64) */
    uint32_t data_size; /* slot_data_size as info reports it; byte logs: max_record */
    uint32_t queue;     /* queue_capacity as info reports it */
    uint32_t kind;      /* region kind as info reports it */
    uint64_t log_bytes; /* byte logs: byte_capacity as info reports it */
    uint8_t *rogue;     /* second mapping of the file: the rogue writer */
    size_t rogue_len;
    uint32_t waits;     /* blocking calls so far in this input */
    const variant *vr;  /* the baseline: where mutation records aim */
    record mut[MAX_MUTS]; /* mutation records queued for the next call */
    uint32_t nmut;
    /* 1.1: byte streams (two writers, the read end) and request/response
     * (two clients, two servers, the tokens each was given) */
    indexbus_stream_writer *sw[2];
    indexbus_stream_reader *sr;
    indexbus_rpc_client *rc[2];
    indexbus_rpc_server *rs[2];
    uint64_t ctok[2][8], stok[2][8]; /* rings of the last tokens (kept after use: stale ones) */
    uint32_t nctok[2], nstok[2];
    uint32_t max_request, max_reply; /* as info reports them */
    /* 1.2: held receive and marked publish */
    int durable;                              /* the region has durable state (region_id OK) */
    uint8_t hold[INDEXBUS_MAX_CONSUMERS];     /* consumer i is (re)opened with HOLD */
    uint32_t max_held[INDEXBUS_MAX_CONSUMERS]; /* ... with this max_held (0: the default) */
    uint32_t held[INDEXBUS_MAX_CONSUMERS];    /* messages consumer i holds (its FIFO, private) */
} fz;

/* ---- the concurrent rogue writer (mutator.h) ------------------------------------- */

static uint64_t peek_word(const uint8_t *a, uint32_t width)
{
    switch (width) {
    case 1:
        return __atomic_load_n(a, __ATOMIC_RELAXED);
    case 2:
        return __atomic_load_n((const uint16_t *)(const void *)a, __ATOMIC_RELAXED);
    case 4:
        return __atomic_load_n((const uint32_t *)(const void *)a, __ATOMIC_RELAXED);
    default:
        return __atomic_load_n((const uint64_t *)(const void *)a, __ATOMIC_RELAXED);
    }
}

/*
 * Resolve the queued mutation records against the mapping as it stands now
 * (nothing else writes it at this point, so orig is fixed by the input and
 * the calls before) and hand the writes to the mutator thread. Returns 1 if
 * a batch is out: the caller makes its call, then ibm_finish().
 */
static int release_batch(fz *f)
{
    static ibm_write w[IBM_MAX_WRITES];
    size_t n = 0;
    int lead = 0;
    for (uint32_t i = 0; i < f->nmut; i++) {
        const record *m = &f->mut[i];
        uint32_t sel = m->sel % NSEL, wd = m->width;
        uint64_t base = f->vr->sec_off[sel], len = sel == 0 ? f->rogue_len : f->vr->sec_len[sel];
        if (len == 0 || base >= f->rogue_len)
            continue; /* no such section in this kind (router, consumer queues) */
        if (len > f->rogue_len - base)
            len = f->rogue_len - base;
        uint64_t off = (m->off % len) & ~(uint64_t)(wd - 1);
        uint64_t mask = wd == 8 ? ~0ull : (1ull << (8 * wd)) - 1;
        lead |= m->rep >> 7;
        for (uint32_t k = 0; k < 1u + (m->span & 63) && off + (k + 1ull) * wd <= len &&
                             n < IBM_MAX_WRITES;
             k++) {
            ibm_write *e = &w[n++];
            e->addr = f->rogue + base + off + (uint64_t)k * wd;
            e->width = (uint8_t)wd;
            e->orig = peek_word(e->addr, wd);
            switch (m->vop) {
            case MV_SET:
                e->target = m->value;
                break;
            case MV_XOR:
                e->target = e->orig ^ m->value;
                break;
            case MV_ADD:
                e->target = e->orig + m->value;
                break;
            default: /* MV_STEP: v, v + 1, v + 2, ... over the span */
                e->target = m->value + k;
                break;
            }
            e->target &= mask;
            e->flicker = m->flicker;
            e->rep = m->rep & 0x7f;
            e->hammer = e->rep == 0;
            e->delay = k == 0 ? delays[m->span >> 6] : 0;
        }
    }
    f->nmut = 0;
    if (n == 0)
        return 0;
    if (trace) {
        fprintf(stderr, "batch: %zu writes%s\n", n, lead ? ", lead" : "");
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  file+%zu w%u %#llx (orig %#llx)%s, rep %u%s, delay %u\n",
                    (size_t)(w[i].addr - f->rogue), w[i].width, (unsigned long long)w[i].target,
                    (unsigned long long)w[i].orig, w[i].flicker ? " flicker" : "", w[i].rep,
                    w[i].hammer ? " (hammer)" : "", w[i].delay);
    }
    ibm_release(w, n, lead);
    return 1;
}

/* recv / wait with timeout 0 still spin a couple of thousand polls before
 * they give up; a few per input cover them without eating the run */
#define MAX_WAITS 4u

static const size_t caps[8] = {0, 1, 8, 16, 63, 64, 128, sizeof rxbuf};

static void check_info(fz *f)
{
    indexbus_info info = {.size = sizeof info};
    if (f->r == NULL)
        return;
    if (CK(indexbus_region_info(f->r, &info)) == INDEXBUS_OK) {
        EXPECT(info.free_slots <= info.slot_count);
        EXPECT(info.spsc_depth <= info.queue_capacity);
        EXPECT(info.mpsc_depth <= info.queue_capacity);
        if (f->kind == INDEXBUS_KIND_LOG || f->kind == INDEXBUS_KIND_STREAM) { /* clamped snapshots */
            EXPECT(info.byte_capacity == f->log_bytes);
            EXPECT(info.bytes_used <= info.byte_capacity);
            EXPECT(info.bytes_used + info.bytes_free == info.byte_capacity);
            EXPECT(info.bytes_padding <= info.byte_capacity);
            EXPECT(info.records_waiting <= info.byte_capacity / 8);
        }
        /* a stream's state word decoded, whatever it holds */
        EXPECT((info.stream_flags & ~7u) == 0 && info.stream_writers <= INDEXBUS_STREAM_SEATS &&
               info.writers_aborted <= 4095);
        if (f->kind == INDEXBUS_KIND_RPC)
            EXPECT(info.rpc_cells == f->vr->slots && info.rpc_cells_free <= info.rpc_cells &&
                   info.max_request == f->max_request && info.max_reply == f->max_reply);
        else
            EXPECT(info.rpc_cells == 0 && info.rpc_cells_free == 0);
    }
    /* a byte log's depth is its records waiting: at most a ring of 8-byte ones */
    int ring = f->kind == INDEXBUS_KIND_LOG || f->kind == INDEXBUS_KIND_STREAM;
    uint64_t most = ring ? f->log_bytes / 8 : 2ull * f->queue;
    for (uint32_t i = 0; i <= f->nc + 1; i++) {
        indexbus_consumer_stats cs = {.size = sizeof cs};
        int st = CK(indexbus_region_consumer_stats(f->r, i, &cs));
        if (i >= f->nc)
            EXPECT(st == INDEXBUS_OUT_OF_RANGE);
        else if (st == INDEXBUS_OK)
            EXPECT(cs.depth <= most && cs.attached <= 1);
    }
    indexbus_consumer_stats cs = {.size = sizeof cs};
    EXPECT(CK(indexbus_region_consumer_stats(f->r, UINT32_MAX, &cs)) == INDEXBUS_OUT_OF_RANGE);
}

static void open_consumer(fz *f, uint32_t i)
{
    int st;
    f->held[i] = 0;
    if (f->hold[i]) {
        indexbus_consumer_config cc = {.size = sizeof cc, .index = i,
                                       .flags = INDEXBUS_CONSUMER_HOLD, .max_held = f->max_held[i]};
        st = CK(indexbus_consumer_open_config(f->r, &cc, &f->c[i]));
        /* a fanout holder needs durable state; streams and rpc have no consumers */
        if (f->kind == INDEXBUS_KIND_FANOUT && !f->durable)
            EXPECT(st != INDEXBUS_OK);
    } else {
        st = CK(indexbus_consumer_open(f->r, i, &f->c[i]));
    }
    if (st != INDEXBUS_OK)
        EXPECT(f->c[i] == NULL);
}

static void open_router(fz *f)
{
    int st = CK(indexbus_router_open(f->r, &f->rt));
    if (st != INDEXBUS_OK)
        EXPECT(f->rt == NULL);
}

static void open_producer(fz *f, uint32_t k)
{
    uint32_t type = k == P_SPSC ? INDEXBUS_PRODUCER_SPSC : INDEXBUS_PRODUCER_MPSC;
    int st = CK(indexbus_producer_open(f->r, type, &f->p[k]));
    if (st != INDEXBUS_OK)
        EXPECT(f->p[k] == NULL);
}

/*
 * Recovery over hostile contents: right after open (where = 0, before any
 * handle of ours exists, so the quiet-region sweep runs too) and from
 * OP_RECOVER (where = 1, with handles open and the rogue writer active);
 * f->r is NULL after F_EARLY_CLOSE. The ST_CRASHED baselines hold ACTIVE
 * entries nobody owns any more (no process holds their entry lock) for it
 * to find.
 */
static void recovery_point(fz *f, int where)
{
    if (f->r == NULL)
        return;
    indexbus_recover_report rep = {.size = sizeof rep};
    CK(indexbus_region_recover(f->r, where == 0 ? INDEXBUS_RECOVER_SWEEP : 0, &rep));
}

enum {
    OP_TRY_RECV,
    OP_RECV_BEGIN,
    OP_RECV_END,
    OP_RECV_BATCH,
    OP_RECV_TIMEOUT0,
    OP_WAIT0,
    OP_PUBLISH,
    OP_PUBLISH_BATCH,
    OP_CLAIM,
    OP_COMMIT,
    OP_ABORT,
    OP_ROUTE,
    OP_ROUTE_STATS,
    OP_ROUTE_CREDIT,
    OP_INFO,
    OP_REOPEN_CONSUMER,
    OP_REOPEN_PRODUCER,
    OP_REOPEN_ROUTER,
    OP_RECOVER,
    OP_ROUTER_RUN_STOPPED,
    /* 1.1 (byte logs; claim_len, the waits and space on every kind) */
    OP_CLAIM_LEN,
    OP_CLAIM_BATCH,
    OP_COMMIT_BATCH,
    OP_PUBLISH_WAIT0,
    OP_CLAIM_WAIT0,
    OP_PRODUCER_SPACE,
    /* 1.1 byte streams and request/response (WRONG_KIND or NULL handles
     * elsewhere); waits with timeout 0 */
    OP_STREAM_WRITE,
    OP_STREAM_WRITE_ALL0,
    OP_STREAM_READ,
    OP_STREAM_WRITER,
    OP_STREAM_READER,
    OP_STREAM_STATE,
    OP_RPC_REQUEST,
    OP_RPC_CLAIM,
    OP_RPC_SEND,
    OP_RPC_WAIT0,
    OP_RPC_DONE,
    OP_RPC_CANCEL,
    OP_RPC_CALL0,
    OP_RPC_SERVE0,
    OP_RPC_REPLY,
    OP_RPC_REPLY_BUFFER,
    OP_RPC_CLIENT,
    OP_RPC_SERVER,
    /* 1.2: a writer that leaves as failed, a claim given back, a request dropped */
    OP_STREAM_WRITER_ABORT,
    OP_RPC_ABORT,
    OP_RPC_FAIL,
    /* 1.2: durable state - held receive, marked publish, bridge counters */
    OP_HOLD_REOPEN,
    OP_RECV_HELD,
    OP_RELEASE,
    OP_PUBLISH_MARKED,
    OP_PRODUCER_MARK,
    OP_BRIDGE_COUNTERS,
    OP_REGION_ID,
    /* 1.3: fanout recycling and MPSC batch reservation (fuzz13.h) */
    OP_RECYCLE_CYCLE,
    OP_MPSC_BATCH64,
    OP_RECYCLE_STARVE,
    OP_COUNT
};

static size_t len_of(const fz *f, uint8_t b);

/* Keep a token in a ring of the last eight. */
static void keep_token(uint64_t *ring, uint32_t *n, uint64_t tok) { ring[(*n)++ % 8] = tok; }

/* A token for argument b: one kept (b < 0x80), else forged: 0, a
 * generation of 0, one past the table, anything, or a kept one a
 * generation older or newer. */
static uint64_t pick_token(const uint64_t *ring, uint32_t n, uint8_t a, uint8_t b, uint32_t cells)
{
    uint64_t kept = n ? ring[b % (n < 8 ? n : 8)] : (1ull << 32);
    if (!(b & 0x80))
        return kept;
    switch (b % 6) {
    case 0: return 0;
    case 1: return a % (cells + 1u);
    case 2: return (1ull << 32) | cells;
    case 3: return (uint64_t)a << 56 | (uint64_t)b << 32 | (uint32_t)(a * 131u);
    case 4: return kept - (1ull << 32);
    default: return kept + (1ull << 32);
    }
}

/* Touch every byte of a buffer the library handed out: guards catch a bad pointer. */
static void touch(const void *p, size_t n)
{
    const volatile uint8_t *v = p;
    uint8_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum ^= v[i];
    (void)sum;
}

static void open_stream(fz *f)
{
    for (uint32_t k = 0; k < 2; k++)
        if (CK(indexbus_stream_writer_open(f->r, &f->sw[k])) != INDEXBUS_OK)
            EXPECT(f->sw[k] == NULL);
    if (CK(indexbus_stream_reader_open(f->r, &f->sr)) != INDEXBUS_OK)
        EXPECT(f->sr == NULL);
}

static void open_rpc(fz *f)
{
    for (uint32_t k = 0; k < 2; k++) {
        if (CK(indexbus_rpc_server_open(f->r, &f->rs[k])) != INDEXBUS_OK)
            EXPECT(f->rs[k] == NULL);
        if (CK(indexbus_rpc_client_open(f->r, &f->rc[k])) != INDEXBUS_OK)
            EXPECT(f->rc[k] == NULL);
    }
}

static void close_new(fz *f)
{
    for (uint32_t k = 0; k < 2; k++) {
        EXPECT(CK(indexbus_stream_writer_close(f->sw[k])) == INDEXBUS_OK);
        EXPECT(CK(indexbus_rpc_client_close(f->rc[k])) == INDEXBUS_OK);
        EXPECT(CK(indexbus_rpc_server_close(f->rs[k])) == INDEXBUS_OK);
        f->sw[k] = NULL;
        f->rc[k] = NULL;
        f->rs[k] = NULL;
    }
    EXPECT(CK(indexbus_stream_reader_release(f->sr)) == INDEXBUS_OK);
    f->sr = NULL;
}

/* The byte-stream and request/response calls (do_op's 1.1 half). */
static void do_op11(fz *f, uint32_t opc, uint8_t a, uint8_t b)
{
    indexbus_stream_writer *w = f->sw[a % 2];
    indexbus_rpc_client *c = f->rc[a % 2];
    indexbus_rpc_server *sv = f->rs[a % 2];
    uint64_t *ct = f->ctok[a % 2], *stk = f->stok[a % 2];
    uint32_t *nct = &f->nctok[a % 2], *nst = &f->nstok[a % 2], cells = f->vr->slots;
    size_t len = len_of(f, b), n = 99, cap;
    if (len > sizeof payload)
        len = sizeof payload;
    const void *d = NULL;
    void *buf = NULL;
    uint64_t tok = 0;
    int st;
    switch (opc) {
    case OP_STREAM_WRITE:
        st = CK(indexbus_stream_write(w, payload, len, &n));
        if (st == INDEXBUS_INVALID_ARGUMENT) /* no writer (the stream refused it) */
            break;
        EXPECT(n <= len);
        if (st == INDEXBUS_OK)
            EXPECT(len == 0 || n > 0);
        else
            EXPECT(n == 0);
        break;
    case OP_STREAM_WRITE_ALL0:
        if (f->waits++ >= MAX_WAITS)
            break;
        st = CK(indexbus_stream_write_all(w, payload, len, 0, &n));
        if (st == INDEXBUS_INVALID_ARGUMENT)
            break;
        EXPECT(n <= len);
        if (st == INDEXBUS_OK)
            EXPECT(n == len);
        else if (len <= f->data_size) /* all of it or none of it, whatever the region holds */
            EXPECT(n == 0 || n == len);
        break;
    case OP_STREAM_READ:
        cap = caps[b % 8];
        st = CK(indexbus_stream_read(f->sr, rxbuf, cap, &n, 0));
        if (st == INDEXBUS_OK)
            EXPECT(n >= 1 && n <= cap);
        else if (st != INDEXBUS_INVALID_ARGUMENT) /* (no reader, or cap 0); a bad record after
                                                   * some bytes: OK with them first
                                                   * (repro_stream_read_corrupt) */
            EXPECT(n == 0);
        break;
    case OP_STREAM_WRITER:
        EXPECT(CK(indexbus_stream_writer_close(w)) == INDEXBUS_OK);
        f->sw[a % 2] = NULL;
        if ((b & 1) && f->r != NULL && CK(indexbus_stream_writer_open(f->r, &f->sw[a % 2])) != INDEXBUS_OK)
            EXPECT(f->sw[a % 2] == NULL);
        break;
    case OP_STREAM_READER:
        if (b % 3 == 0) {
            EXPECT(CK(indexbus_stream_reader_release(f->sr)) == INDEXBUS_OK);
            f->sr = NULL;
        } else if (b % 3 == 1) {
            EXPECT(CK(indexbus_stream_reader_close(f->sr)) == INDEXBUS_OK);
            f->sr = NULL;
        } else if (f->sr == NULL && f->r != NULL &&
                   CK(indexbus_stream_reader_open(f->r, &f->sr)) != INDEXBUS_OK) {
            EXPECT(f->sr == NULL);
        }
        break;
    case OP_STREAM_STATE: {
        uint32_t flags = 99, ab = 99999;
        st = CK(indexbus_stream_state(f->r, &flags, &ab));
        if (st == INDEXBUS_OK)
            EXPECT((flags & ~7u) == 0 && ab <= 4095);
        break;
    }
    case OP_RPC_REQUEST:
        if (CK(indexbus_rpc_request(c, payload, len, &tok)) == INDEXBUS_OK)
            keep_token(ct, nct, tok);
        break;
    case OP_RPC_CLAIM:
        if (CK(indexbus_rpc_claim(c, len, &buf)) == INDEXBUS_OK) {
            EXPECT(buf != NULL && len <= f->max_request);
            memset(buf, a, len); /* write it all: guards catch a bad pointer */
        }
        break;
    case OP_RPC_SEND:
        if (CK(indexbus_rpc_send(c, len, &tok)) == INDEXBUS_OK)
            keep_token(ct, nct, tok);
        break;
    case OP_RPC_WAIT0:
        st = CK(indexbus_rpc_wait(c, pick_token(ct, *nct, a, b, cells), &d, &n, 0));
        if (st == INDEXBUS_OK) {
            EXPECT(d != NULL && n <= f->max_reply);
            touch(d, n);
        }
        break;
    case OP_RPC_DONE:
        CK(indexbus_rpc_reply_done(c, pick_token(ct, *nct, a, b, cells)));
        break;
    case OP_RPC_CANCEL:
        CK(indexbus_rpc_cancel(c, pick_token(ct, *nct, a, b, cells)));
        break;
    case OP_RPC_CALL0:
        if (f->waits++ >= MAX_WAITS)
            break;
        cap = caps[a % 8];
        st = CK(indexbus_rpc_call(c, payload, len, rxbuf, cap, &n, 0));
        if (st == INDEXBUS_OK)
            EXPECT(n <= cap && n <= f->max_reply);
        else if (st == INDEXBUS_BUFFER_TOO_SMALL)
            EXPECT(n > cap && n <= f->max_reply);
        break;
    case OP_RPC_SERVE0:
        st = CK(indexbus_rpc_serve(sv, &tok, &d, &n, 0));
        if (st == INDEXBUS_OK) {
            EXPECT(d != NULL && n <= f->max_request);
            touch(d, n);
            keep_token(stk, nst, tok);
        }
        break;
    case OP_RPC_REPLY:
        CK(indexbus_rpc_reply(sv, pick_token(stk, *nst, a, b, cells), payload,
                              b & 1 ? f->max_reply + (size_t)(b & 2) : (size_t)(b % 64)));
        break;
    case OP_RPC_REPLY_BUFFER:
        tok = pick_token(stk, *nst, a, b, cells);
        if (CK(indexbus_rpc_reply_buffer(sv, tok, &buf, &cap)) == INDEXBUS_OK) {
            EXPECT(buf != NULL && cap == f->max_reply);
            memset(buf, a, cap);
            CK(indexbus_rpc_reply_commit(sv, tok, b % (cap + 2)));
        }
        break;
    case OP_RPC_CLIENT:
        EXPECT(CK(indexbus_rpc_client_close(c)) == INDEXBUS_OK);
        f->rc[a % 2] = NULL;
        if ((b & 1) && f->r != NULL && CK(indexbus_rpc_client_open(f->r, &f->rc[a % 2])) != INDEXBUS_OK)
            EXPECT(f->rc[a % 2] == NULL);
        break;
    case OP_STREAM_WRITER_ABORT:
        EXPECT(CK(indexbus_stream_writer_abort(w)) == INDEXBUS_OK);
        f->sw[a % 2] = NULL;
        break;
    case OP_RPC_ABORT:
        st = CK(indexbus_rpc_abort(c));
        if (c != NULL)
            EXPECT(st == INDEXBUS_OK || st == INDEXBUS_BAD_STATE || st == INDEXBUS_CORRUPT);
        break;
    case OP_RPC_FAIL:
        CK(indexbus_rpc_fail(sv, pick_token(stk, *nst, a, b, cells)));
        break;
    case OP_RPC_SERVER:
        EXPECT(CK(indexbus_rpc_server_close(sv)) == INDEXBUS_OK);
        f->rs[a % 2] = NULL;
        if ((b & 1) && f->r != NULL && CK(indexbus_rpc_server_open(f->r, &f->rs[a % 2])) != INDEXBUS_OK)
            EXPECT(f->rs[a % 2] == NULL);
        break;
    }
}

/* Lengths a 1.1 op asks for, by an argument byte: around every bound. */
static size_t len_of(const fz *f, uint8_t b)
{
    switch (b % 8) {
    case 0: return 0;
    case 1: return f->data_size;          /* the largest allowed */
    case 2: return (size_t)f->data_size + 1;
    case 3: return 8;
    case 4: return (size_t)b * 3u;
    case 5: return f->data_size / 2;
    case 6: return (size_t)f->log_bytes / 2; /* > max_record in a byte log */
    default: return b;
    }
}

/* ---- 1.2: held receive, marked publish, bridge counters ---- */

/* max_held by an argument: the default, tiny, around the limit (1 << 20). */
static const uint32_t held_caps[8] = {0, 1, 2, 3, 7, 4096, 1u << 20, (1u << 20) + 1};

/* Close consumer i and open it again: b & 1 HOLD, max_held held_caps[b >> 1],
 * b & 0x80 a bad config (unknown flag, short size): INVALID_ARGUMENT. */
static void hold_reopen(fz *f, uint32_t i, uint8_t b)
{
    int had_router = f->rt != NULL; /* as OP_REOPEN_CONSUMER: no ack wait on ourselves */
    EXPECT(CK(indexbus_router_close(f->rt)) == INDEXBUS_OK);
    f->rt = NULL;
    EXPECT(CK(indexbus_consumer_close(f->c[i])) == INDEXBUS_OK);
    f->c[i] = NULL;
    f->held[i] = 0;
    if (b & 0x80) {
        indexbus_consumer_config cc = {.size = b & 0x40 ? sizeof cc - 4 : sizeof cc, .index = i,
                                       .flags = b & 0x40 ? INDEXBUS_CONSUMER_HOLD : 0x2u};
        indexbus_consumer *x = (indexbus_consumer *)&cc;
        EXPECT(CK(indexbus_consumer_open_config(f->r, &cc, &x)) == INDEXBUS_INVALID_ARGUMENT);
        EXPECT(x == NULL);
    } else {
        f->hold[i] = b & 1;
        f->max_held[i] = held_caps[(b >> 1) % 8];
        if (f->hold[i] && f->max_held[i] > (1u << 20)) {
            indexbus_consumer_config cc = {.size = sizeof cc, .index = i,
                                           .flags = INDEXBUS_CONSUMER_HOLD,
                                           .max_held = f->max_held[i]};
            EXPECT(CK(indexbus_consumer_open_config(f->r, &cc, &f->c[i])) ==
                   INDEXBUS_INVALID_ARGUMENT);
            EXPECT(f->c[i] == NULL);
            f->max_held[i] = 0;
        } else {
            open_consumer(f, i);
        }
    }
    if (had_router)
        open_router(f);
}

/* Held receive into cap caps[b]: the FIFO count is ours to check. */
static void recv_held(fz *f, uint32_t i, uint8_t b)
{
    indexbus_consumer *c = f->c[i];
    size_t cap = caps[b % 8], len = 99999;
    uint64_t pos = 0;
    int st = CK(indexbus_recv_held(c, rxbuf, cap, &len, &pos));
    if (c == NULL)
        return;
    if (!f->hold[i]) {
        EXPECT(st == INDEXBUS_BAD_STATE);
        return;
    }
    uint32_t most = f->max_held[i] ? f->max_held[i] : 4096u;
    if (f->held[i] >= most)
        EXPECT(st == INDEXBUS_FULL);
    if (st == INDEXBUS_OK) {
        EXPECT(len <= cap && len <= f->data_size);
        f->held[i]++;
    } else if (st == INDEXBUS_BUFFER_TOO_SMALL) {
        EXPECT(len > cap && len <= f->data_size);
    }
}

/* Release count n of a holder: OK iff it holds n, else OUT_OF_RANGE;
 * whatever the region holds (the count is the consumer's own). */
static void release_held(fz *f, uint32_t i, uint8_t b)
{
    indexbus_consumer *c = f->c[i];
    size_t n = b & 0x80 ? (size_t)f->held[i] + (b & 0x7f) : (size_t)(b % 8);
    if (b == 0xff)
        n = SIZE_MAX;
    int st = CK(indexbus_release(c, n));
    if (c == NULL)
        return;
    if (!f->hold[i]) {
        EXPECT(st == INDEXBUS_BAD_STATE);
    } else if (n <= f->held[i]) {
        EXPECT(st == INDEXBUS_OK);
        f->held[i] -= (uint32_t)n;
    } else {
        EXPECT(st == INDEXBUS_OUT_OF_RANGE);
    }
}

/* Marked publish of 1 + b % 6 messages. Marks above the producer's own
 * (b & 0x80: forged - 0, repeated, decreasing: INVALID_ARGUMENT). The
 * producer's mark is then exactly that of the last one published. */
static void publish_marked(fz *f, indexbus_producer *p, uint8_t a, uint8_t b)
{
    uint32_t lens[6];
    uint64_t marks[6], mark0 = 0;
    size_t n = 1 + b % 6, done = 99;
    int have = p != NULL && CK(indexbus_producer_mark(p, &mark0)) == INDEXBUS_OK;
    for (size_t i = 0; i < n; i++) {
        lens[i] = (uint32_t)((b * (i + 1) * 13u) % (f->data_size + 1u));
        marks[i] = mark0 + 1 + i * (1u + a % 4);
    }
    int forged = (b & 0x80) && n >= 2;
    if (forged)
        marks[n - 1] = a & 1 ? marks[n - 2] : a & 2 ? 0 : marks[0] - 1;
    int st = CK(indexbus_publish_batch_marked(p, payload, lens, marks, n, &done));
    EXPECT(done <= n);
    if (st == INDEXBUS_OK)
        EXPECT(done == n);
    if (forged && have)
        EXPECT(st == INDEXBUS_INVALID_ARGUMENT && done == 0);
    uint64_t mark = 0;
    if (have && CK(indexbus_producer_mark(p, &mark)) == INDEXBUS_OK)
        EXPECT(mark == (done ? marks[done - 1] : mark0));
}

/* The durable calls (do_op's 1.2 part). */
static void do_op12(fz *f, uint32_t opc, uint8_t a, uint8_t b)
{
    uint32_t i = f->nc ? a % f->nc : 0;
    indexbus_producer *p = f->p[a % NPROD];
    switch (opc) {
    case OP_HOLD_REOPEN:
        if (f->r != NULL && f->nc != 0)
            hold_reopen(f, i, b);
        break;
    case OP_RECV_HELD:
        if (f->nc != 0)
            recv_held(f, i, b);
        break;
    case OP_RELEASE:
        if (f->nc != 0)
            release_held(f, i, b);
        break;
    case OP_PUBLISH_MARKED:
        publish_marked(f, p, a, b);
        break;
    case OP_PRODUCER_MARK: {
        uint64_t mark = 0;
        int st = CK(indexbus_producer_mark(p, &mark));
        if (p != NULL && !f->durable)
            EXPECT(st == INDEXBUS_WRONG_KIND);
        break;
    }
    case OP_BRIDGE_COUNTERS: {
        /* which: every consumer line, one past them, 63, IN (64), 65, ~0 */
        static const uint32_t odd[4] = {63, INDEXBUS_BRIDGE_IN, 65, UINT32_MAX};
        uint32_t which = b & 4 ? odd[(b >> 3) % 4] : a % (f->nc + 1);
        indexbus_bridge_counters d = {.size = sizeof d, .forwarded = a, .acknowledged = b,
                                      .resent = 1, .deduplicated = (uint64_t)a << 40,
                                      .refused = UINT64_MAX};
        int valid = which == INDEXBUS_BRIDGE_IN || which < f->nc;
        int st = b & 1 ? CK(indexbus_bridge_counters_add(f->r, which, &d))
                       : CK(indexbus_bridge_counters_get(f->r, which, &d));
        if (f->r != NULL && !f->durable)
            EXPECT(st == INDEXBUS_WRONG_KIND);
        else if (f->r != NULL && !valid)
            EXPECT(st == INDEXBUS_OUT_OF_RANGE);
        else if (f->r != NULL && !(b & 1))
            EXPECT(st == INDEXBUS_OK && d.size == sizeof d);
        break;
    }
    case OP_REGION_ID: {
        uint8_t id[16];
        int st = CK(indexbus_region_id(f->r, id));
        if (f->r != NULL)
            EXPECT(st == (f->durable ? INDEXBUS_OK : INDEXBUS_WRONG_KIND));
        break;
    }
    }
}

static void check_route_result(fz *f, int st, const indexbus_route_result *res)
{
    uint64_t all = res->delivered_mask | res->dropped_full_mask | res->dropped_no_credit_mask;
    if (f->nc < 64)
        EXPECT((all >> f->nc) == 0);
    EXPECT((res->delivered_mask & res->dropped_full_mask) == 0);
    EXPECT((res->delivered_mask & res->dropped_no_credit_mask) == 0);
    EXPECT(res->delivered == (uint32_t)__builtin_popcountll(res->delivered_mask));
    EXPECT(res->dropped_full == (uint32_t)__builtin_popcountll(res->dropped_full_mask));
    EXPECT(res->dropped_no_credit == (uint32_t)__builtin_popcountll(res->dropped_no_credit_mask));
    if (st == INDEXBUS_OK)
        EXPECT(res->routed == 1 && res->delivered >= 1);
    else
        EXPECT(res->routed == 0 && all == 0);
}

#include "fuzz13_ops.h"

static void do_op(fz *f, const record *rec)
{
    uint8_t a = rec->a, b = rec->b;
    if (rec->op % OP_COUNT >= OP_RECYCLE_CYCLE) {
        do_op13(f, rec->op % OP_COUNT, a, b);
        return;
    }
    if (rec->op % OP_COUNT >= OP_HOLD_REOPEN) {
        do_op12(f, rec->op % OP_COUNT, a, b);
        return;
    }
    if (rec->op % OP_COUNT >= OP_STREAM_WRITE) {
        do_op11(f, rec->op % OP_COUNT, a, b);
        return;
    }
    indexbus_consumer *c = f->nc ? f->c[a % f->nc] : NULL;
    indexbus_producer *p = f->p[a % NPROD];
    size_t len = 0;
    int st;
    switch (rec->op % OP_COUNT) {
    case OP_TRY_RECV: {
        size_t cap = caps[b % 8];
        st = CK(indexbus_try_recv(c, rxbuf, cap, &len));
        if (st == INDEXBUS_OK)
            EXPECT(len <= cap && len <= f->data_size);
        else if (st == INDEXBUS_BUFFER_TOO_SMALL)
            EXPECT(len > cap && len <= f->data_size);
        break;
    }
    case OP_RECV_BEGIN: {
        const void *d = NULL;
        st = CK(indexbus_recv_begin(c, &d, &len));
        if (st == INDEXBUS_OK) {
            EXPECT(d != NULL && len <= f->data_size);
            const volatile uint8_t *v = d; /* touch it all: guards catch a bad pointer */
            uint8_t sum = 0;
            for (size_t i = 0; i < len; i++)
                sum ^= v[i];
            (void)sum;
            if (b & 1)
                EXPECT(CK(indexbus_recv_end(c)) == INDEXBUS_OK);
        }
        break;
    }
    case OP_RECV_END:
        CK(indexbus_recv_end(c));
        break;
    case OP_RECV_BATCH: {
        uint32_t lens[8];
        size_t max = 1 + b % 8, cap = caps[(b >> 3) % 8], count = 99;
        st = CK(indexbus_recv_batch(c, rxbuf, cap, lens, max, &count));
        EXPECT(count <= max);
        uint64_t sum = 0;
        for (size_t i = 0; i < count; i++) {
            EXPECT(lens[i] <= f->data_size);
            sum += lens[i];
        }
        EXPECT(sum <= cap);
        if (st == INDEXBUS_OK)
            EXPECT(count >= 1);
        else
            EXPECT(count == 0);
        if (st == INDEXBUS_BUFFER_TOO_SMALL)
            EXPECT(lens[0] > cap);
        break;
    }
    case OP_RECV_TIMEOUT0:
        if (f->waits++ < MAX_WAITS)
            CK(indexbus_recv(c, rxbuf, caps[b % 8], &len, 0));
        break;
    case OP_WAIT0:
        if (f->waits++ < MAX_WAITS)
            CK(indexbus_wait(c, 0));
        break;
    case OP_PUBLISH:
        CK(indexbus_publish(p, payload, b));
        break;
    case OP_PUBLISH_BATCH: {
        uint32_t lens[6];
        size_t n = 1 + b % 6, done = 99;
        for (size_t i = 0; i < n; i++)
            lens[i] = (uint32_t)((b * (i + 1) * 7u) % 80u);
        st = CK(indexbus_publish_batch(p, payload, lens, n, &done));
        EXPECT(done <= n);
        if (st == INDEXBUS_OK)
            EXPECT(done == n);
        break;
    }
    case OP_CLAIM: {
        void *buf = NULL;
        size_t cap = 0;
        st = CK(indexbus_claim(p, &buf, &cap));
        if (st == INDEXBUS_OK) {
            EXPECT(buf != NULL && cap == f->data_size);
            memset(buf, b, cap); /* write it all: guards catch a bad pointer */
        }
        break;
    }
    case OP_COMMIT:
        CK(indexbus_commit(p, b));
        break;
    case OP_ABORT:
        CK(indexbus_abort(p));
        break;
    case OP_ROUTE:
        /* 0 and 3 / 0 are out-of-range source / mode values on purpose */
        CK(indexbus_route_once(f->rt, a % 4, b % 3));
        break;
    case OP_ROUTE_STATS: {
        indexbus_route_result res = {.size = sizeof res};
        st = CK(indexbus_route_once_stats(f->rt, a % 4, b % 3, &res));
        if (f->rt != NULL && (a % 4) != 0 && (b % 3) != 0)
            check_route_result(f, st, &res);
        break;
    }
    case OP_ROUTE_CREDIT: {
        indexbus_route_result res = {.size = sizeof res};
        uint32_t source = 1 + a % 3, mode = 1 + (a >> 2) % 2;
        uint64_t pat = (uint64_t)b * 0x0101010101010101ull;
        uint64_t eligible = a & 0x10 ? ~0ull : pat;
        uint64_t no_credit = a & 0x20 ? pat >> 4 : 0;
        uint64_t full = a & 0x40 ? pat >> 2 : 0;
        st = CK(indexbus_route_once_credit(f->rt, source, mode, eligible, no_credit, full, &res));
        if (f->rt != NULL)
            check_route_result(f, st, &res);
        break;
    }
    case OP_INFO:
        check_info(f);
        break;
    case OP_REOPEN_CONSUMER: {
        if (f->r == NULL || f->nc == 0)
            break;
        uint32_t i = a % f->nc;
        /* close the router first: a consumer joining or leaving waits (bounded)
         * for an attached router to ack, and this thread is that router */
        int had_router = f->rt != NULL;
        EXPECT(CK(indexbus_router_close(f->rt)) == INDEXBUS_OK);
        f->rt = NULL;
        EXPECT(CK(indexbus_consumer_close(f->c[i])) == INDEXBUS_OK);
        f->c[i] = NULL;
        f->held[i] = 0;
        if (b & 1)
            open_consumer(f, i);
        if (had_router || (b & 2))
            open_router(f);
        break;
    }
    case OP_REOPEN_PRODUCER: {
        if (f->r == NULL)
            break;
        uint32_t k = a % NPROD;
        EXPECT(CK(indexbus_producer_close(f->p[k])) == INDEXBUS_OK);
        f->p[k] = NULL;
        if (b & 1)
            open_producer(f, k);
        break;
    }
    case OP_REOPEN_ROUTER:
        if (f->r == NULL)
            break;
        EXPECT(CK(indexbus_router_close(f->rt)) == INDEXBUS_OK);
        f->rt = NULL;
        if (b & 1)
            open_router(f);
        break;
    case OP_RECOVER:
        recovery_point(f, 1);
        break;
    case OP_CLAIM_LEN: {
        void *buf = NULL;
        size_t want = len_of(f, b);
        st = CK(indexbus_claim_len(p, want, &buf));
        if (st == INDEXBUS_OK) {
            EXPECT(buf != NULL && want <= f->data_size);
            memset(buf, a, want); /* write it all: guards catch a bad pointer */
        }
        break;
    }
    case OP_CLAIM_BATCH: {
        uint32_t lens[6];
        void *bufs[6] = {0};
        size_t n = 1 + b % 6;
        for (size_t i = 0; i < n; i++)
            lens[i] = (uint32_t)(i == 0 ? len_of(f, (uint8_t)(b >> 3)) : (b * (i + 3) * 11u) % 200u);
        st = CK(indexbus_claim_batch(p, lens, n, bufs));
        if (st == INDEXBUS_OK)
            for (size_t i = 0; i < n; i++) {
                EXPECT(bufs[i] != NULL && lens[i] <= f->data_size);
                memset(bufs[i], a, lens[i]);
            }
        break;
    }
    case OP_COMMIT_BATCH:
        CK(indexbus_commit_batch(p, b % 8));
        break;
    case OP_PUBLISH_WAIT0:
        if (f->waits++ < MAX_WAITS)
            CK(indexbus_publish_wait(p, payload, len_of(f, b), 0));
        break;
    case OP_CLAIM_WAIT0: {
        void *buf = NULL;
        size_t want = len_of(f, b);
        if (f->waits++ >= MAX_WAITS)
            break;
        st = CK(indexbus_claim_wait(p, want, &buf, 0));
        if (st == INDEXBUS_OK) {
            EXPECT(buf != NULL && want <= f->data_size);
            memset(buf, a, want);
        }
        break;
    }
    case OP_PRODUCER_SPACE: {
        uint64_t space = UINT64_MAX;
        st = CK(indexbus_producer_space(p, &space));
        if (st == INDEXBUS_OK) /* (streams and rpc: WRONG_KIND) */
            EXPECT(space <= (f->kind == INDEXBUS_KIND_LOG ? f->log_bytes : f->queue));
        break;
    }
    case OP_ROUTER_RUN_STOPPED: {
        /* a stop sent before run ends that run at once; without one it
         * would route forever, so never enter it without */
        if (f->rt == NULL)
            break;
        indexbus_router_loop_config lc = {.size = sizeof lc,
                                          .source = a % 4,
                                          .mode = b % 3,
                                          .flags = a & 0x80 ? INDEXBUS_ROUTER_EXIT_ON_DISCONNECT : 0};
        EXPECT(CK(indexbus_router_stop(f->rt)) == INDEXBUS_OK);
        CK(indexbus_router_run(f->rt, &lc));
        break;
    }
    }
}

/* ---- one input ---------------------------------------------------------------------- */

static uint8_t scratch[1u << 17];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    reader rd = {data, size, 0};
    record rec;
    const variant *vr = &variants[rd_u8(&rd) % NVARIANTS];
    uint8_t flags = rd_u8(&rd);
    uint16_t tsize = rd_u16(&rd);
    size_t file_len = vr->len;
    fz f;
    memset(&f, 0, sizeof f);
    f.vr = vr;

    if (vr->len > sizeof scratch)
        abort();
    memcpy(scratch, vr->img, vr->len);

    /* pass 1: patches that land before open */
    for (uint32_t n = 0; n < MAX_RECORDS && next_record(&rd, &rec); n++)
        if (rec.is_patch && !rec.live)
            apply_patch(scratch, vr->len, &rec);

    if (flags & F_TRUNCATE)
        file_len = ((size_t)tsize * 16u) % (vr->len + 16384u);
    int fd = open(work_path, O_RDWR | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        perror(work_path);
        abort();
    }
    size_t wlen = file_len < vr->len ? file_len : vr->len;
    if (pwrite(fd, scratch, wlen, 0) != (ssize_t)wlen || ftruncate(fd, (off_t)file_len) != 0) {
        perror(work_path);
        abort();
    }

    indexbus_open_config oc = {.size = sizeof oc,
                               .flags = 0,
                               .ready_timeout_ns = flags & F_READY_WAIT ? 1000000u : 0};
    int st = CK(indexbus_region_open(work_path, &oc, &f.r));
    if (st != INDEXBUS_OK) {
        EXPECT(f.r == NULL);
        close(fd);
        return 0;
    }
    f.rogue_len = file_len;
    f.rogue = mmap(NULL, file_len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (f.rogue == MAP_FAILED) {
        perror("rogue mmap");
        abort();
    }

    recovery_point(&f, 0);

    /* what the region says about itself (validated at open: fixed from here) */
    indexbus_info info = {.size = sizeof info};
    EXPECT(CK(indexbus_region_info(f.r, &info)) == INDEXBUS_OK);
    EXPECT(info.consumer_count >= 1 && info.consumer_count <= INDEXBUS_MAX_CONSUMERS);
    f.nc = info.consumer_count;
    f.kind = info.kind;
    int ring = info.kind == INDEXBUS_KIND_LOG || info.kind == INDEXBUS_KIND_STREAM;
    int new_kind = info.kind == INDEXBUS_KIND_STREAM || info.kind == INDEXBUS_KIND_RPC;
    f.data_size = ring ? info.max_record : info.kind == INDEXBUS_KIND_RPC ? info.max_request : info.slot_data_size;
    f.queue = info.queue_capacity;
    f.log_bytes = ring ? info.byte_capacity : 0;
    f.max_request = info.max_request;
    f.max_reply = info.max_reply;
    check_info(&f);

    /* 1.2: durable as the library sees it; holders: a durable baseline's
     * even consumers (as it was built), or consumer 0 with F_HOLD */
    uint8_t rid[16];
    f.durable = CK(indexbus_region_id(f.r, rid)) == INDEXBUS_OK;
    for (uint32_t i = 0; i < f.nc; i++)
        f.hold[i] = vr->durable ? !(flags & F_NO_HOLD) && i % 2 == 0 : (flags & F_HOLD) && i == 0;

    /* consumers before the router: joining then needs no router ack */
    for (uint32_t i = 0; i < f.nc; i++)
        open_consumer(&f, i);
    indexbus_consumer *extra = NULL;
    st = CK(indexbus_consumer_open(f.r, f.nc, &extra)); /* streams, rpc: WRONG_KIND first */
    EXPECT(st == (new_kind ? INDEXBUS_WRONG_KIND : INDEXBUS_OUT_OF_RANGE));
    st = CK(indexbus_consumer_open(f.r, 0, &extra)); /* BUSY unless index 0 failed above */
    if (st == INDEXBUS_OK)
        EXPECT(CK(indexbus_consumer_close(extra)) == INDEXBUS_OK);
    open_router(&f);
    if (info.kind != INDEXBUS_KIND_FANOUT)
        EXPECT(f.rt == NULL);
    /* a byte log takes one producer kind at a time: the first opened wins */
    int mpsc_first = info.kind == INDEXBUS_KIND_LOG && (vr->mpsc ^ !!(flags & F_OTHER_KIND));
    for (uint32_t k = 0; k < NPROD; k++)
        open_producer(&f, mpsc_first ? (k + 1) % NPROD : k);
    indexbus_producer *extra_p = NULL;
    st = CK(indexbus_producer_open(f.r, INDEXBUS_PRODUCER_SPSC, &extra_p)); /* BUSY, mostly */
    if (st == INDEXBUS_OK)
        EXPECT(CK(indexbus_producer_close(extra_p)) == INDEXBUS_OK);
    if (info.kind == INDEXBUS_KIND_STREAM)
        open_stream(&f);
    else if (info.kind == INDEXBUS_KIND_RPC)
        open_rpc(&f);
    if (flags & F_EARLY_CLOSE) { /* handles keep the mapping alive */
        EXPECT(CK(indexbus_region_close(f.r)) == INDEXBUS_OK);
        f.r = NULL;
    }

    /* pass 2: the calls, with live patches where they stand, and each
     * call with the mutations queued before it written while it runs */
    rd.pos = HEADER_BYTES;
    for (uint32_t n = 0; n < MAX_RECORDS && next_record(&rd, &rec); n++) {
        if (rec.is_mut) {
            if (f.nmut < MAX_MUTS)
                f.mut[f.nmut++] = rec;
        } else if (!rec.is_patch) {
            int racing = release_batch(&f);
            if (trace)
                fprintf(stderr, "call %u (%u, %u)%s\n", rec.op % OP_COUNT, rec.a, rec.b,
                        racing ? " racing" : "");
            do_op(&f, &rec);
            if (racing)
                ibm_finish();
        } else if (rec.live) {
            apply_patch(f.rogue, f.rogue_len, &rec);
        }
    }

    /* a fixed tail, so even a patch-only input drives every queue; mutations
     * queued after the last call run while the whole tail does */
    int racing = release_batch(&f);
    for (uint32_t round = 0; round < 4; round++) {
        if (f.rt != NULL)
            CK(indexbus_route_once(f.rt, INDEXBUS_SOURCE_ANY,
                                   round & 1 ? INDEXBUS_MODE_WORK_QUEUE : INDEXBUS_MODE_BROADCAST));
        for (uint32_t i = 0; i < f.nc; i++) {
            size_t len;
            if (f.c[i] != NULL && f.hold[i]) { /* 1.2: read one, hold two, let go */
                recv_held(&f, i, 7);
                if (round & 1)
                    release_held(&f, i, (uint8_t)(f.held[i] > 2 ? f.held[i] - 2 : 0));
            } else if (f.c[i] != NULL) {
                CK(indexbus_try_recv(f.c[i], rxbuf, sizeof rxbuf, &len));
            }
        }
        if (f.p[round % NPROD] != NULL)
            CK(indexbus_publish(f.p[round % NPROD], payload, round * 9));
        if (f.durable && f.p[P_SPSC] != NULL)
            publish_marked(&f, f.p[P_SPSC], (uint8_t)round, (uint8_t)(round * 5));
        /* byte streams and rpc: write and read; request, serve, reply, wait */
        do_op11(&f, OP_STREAM_WRITE, (uint8_t)round, (uint8_t)(round * 3 + 4));
        do_op11(&f, OP_STREAM_READ, 0, 7);
        do_op11(&f, OP_RPC_REQUEST, (uint8_t)round, (uint8_t)(round * 3 + 4));
        do_op11(&f, OP_RPC_SERVE0, (uint8_t)round, 0);
        do_op11(&f, OP_RPC_REPLY, (uint8_t)round, 0x7f);
        do_op11(&f, OP_RPC_WAIT0, (uint8_t)round, 0x7f);
    }
    check_info(&f);
    if (racing)
        ibm_finish();

    /* close everything; the router first, so consumers leave without an ack wait */
    for (uint32_t k = 0; k < NPROD; k++)
        EXPECT(CK(indexbus_producer_close(f.p[k])) == INDEXBUS_OK);
    EXPECT(CK(indexbus_router_close(f.rt)) == INDEXBUS_OK);
    for (uint32_t i = 0; i < f.nc; i++)
        EXPECT(CK(indexbus_consumer_close(f.c[i])) == INDEXBUS_OK);
    close_new(&f);
    EXPECT(CK(indexbus_region_close(f.r)) == INDEXBUS_OK);
    munmap(f.rogue, f.rogue_len);
    close(fd);
    return 0;
}
