/* rpc.c - request/response regions (LAYOUT.md 4.11, 5.19): config defaults
 * and limits; round trips by copy and in place with every length 0..max on
 * both sides; TOO_LARGE, BAD_STATE, WRONG_KIND; tokens (stale, second
 * reply, forged, another server's or client's) give NOT_FOUND and leave the
 * cell's word as it was; cancel before and after a server took the request
 * (a late reply counted); FULL, and the cached cell that still recycles;
 * client and server close; bad region contents (pending bits past the
 * table, lengths past the maximum, state words out of range: skipped,
 * FAILED or CORRUPT, never touched); then several clients and servers in separate
 * processes (every request answered exactly once), a server SIGKILLed
 * under waiting clients (DISCONNECTED, counted, a new server takes over)
 * and a client SIGKILLed holding cells (recovery frees them). */
#include <fcntl.h>
#include <sys/stat.h>

#include "mp_util.h"

#define NO_WAIT 0ull

/* ---- a read-only view of the cells, for exact assertions on their words --- */

typedef struct cells_view {
    uint8_t *base;
    size_t len;
    uint64_t off;
    uint32_t stride, count;
} cells_view;

static cells_view cells_map(const char *name)
{
    cells_view cv = {0};
    int fd = shm_open(name, O_RDONLY, 0);
    REQUIRE(fd >= 0);
    struct stat stt;
    REQUIRE(fstat(fd, &stt) == 0);
    cv.len = (size_t)stt.st_size;
    cv.base = mmap(NULL, cv.len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    REQUIRE(cv.base != MAP_FAILED);
    const indexbus_region_header *h = (const indexbus_region_header *)cv.base;
    for (uint32_t i = 0; i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == INDEXBUS_SECTION_RPC_CELLS)
            cv.off = h->sections[i].offset;
    REQUIRE(cv.off != 0);
    cv.stride = h->slot_stride;
    cv.count = h->slot_count;
    return cv;
}

static void cells_unmap(cells_view *cv) { munmap(cv->base, cv->len); }

static uint64_t cell_word(const cells_view *cv, uint32_t i)
{
    return __atomic_load_n((const uint64_t *)(cv->base + cv->off + (uint64_t)i * cv->stride),
                           __ATOMIC_ACQUIRE);
}

static uint32_t cell_state(const cells_view *cv, uint32_t i) { return (uint32_t)(cell_word(cv, i) & 0xff); }

static uint32_t cells_in(const cells_view *cv, uint32_t state)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < cv->count; i++)
        n += cell_state(cv, i) == state;
    return n;
}

static uint32_t free_cells(const char *name)
{
    cells_view cv = cells_map(name);
    uint32_t n = cells_in(&cv, INDEXBUS_RPC_FREE);
    cells_unmap(&cv);
    return n;
}

static const indexbus_rpc_ctl *rpc_ctl(const cells_view *cv)
{
    const indexbus_region_header *h = (const indexbus_region_header *)cv->base;
    for (uint32_t i = 0; i < INDEXBUS_MAX_SECTIONS; i++)
        if (h->sections[i].kind == INDEXBUS_SECTION_RPC_CTL)
            return (const indexbus_rpc_ctl *)(cv->base + h->sections[i].offset);
    REQUIRE(0);
    return NULL;
}

/* (replies_abandoned, requests_failed), from the region itself */
static void rpc_counts(const char *name, uint64_t *abandoned, uint64_t *failed)
{
    cells_view cv = cells_map(name);
    const indexbus_rpc_ctl *ctl = rpc_ctl(&cv);
    *abandoned = __atomic_load_n(&ctl->replies_abandoned, __ATOMIC_RELAXED);
    *failed = __atomic_load_n(&ctl->requests_failed, __ATOMIC_RELAXED);
    cells_unmap(&cv);
}

#define CHECK_COUNTS(name, ab, fa)                                 \
    do {                                                           \
        uint64_t ab_, fa_;                                         \
        rpc_counts((name), &ab_, &fa_);                            \
        if (ab_ != (ab) || fa_ != (fa)) {                          \
            fprintf(stderr, "%s:%d: abandoned %llu failed %llu, want %llu %llu\n", __FILE__, \
                    __LINE__, (unsigned long long)ab_, (unsigned long long)fa_,               \
                    (unsigned long long)(ab), (unsigned long long)(fa));                      \
            ib_test_failures++;                                    \
        }                                                          \
    } while (0)

#define TOKEN_CELL(t) ((uint32_t)(t))
#define TOKEN_GEN(t) ((uint32_t)((t) >> 32))

/* serve one request now; it must be `want` bytes of mp_fill(tag, seq) */
static uint64_t serve_expect(indexbus_rpc_server *s, uint64_t tag, uint64_t seq, size_t want)
{
    uint64_t t = 0;
    const void *req = NULL;
    size_t len = 0;
    CHECK_ST(indexbus_rpc_serve(s, &t, &req, &len, NO_WAIT), INDEXBUS_OK);
    if (req != NULL)
        CHECK(mp_check_fill(req, len, tag, seq, want));
    return t;
}

/* serve one request now (any content): its token */
static uint64_t serve_any(indexbus_rpc_server *s)
{
    uint64_t t = 0;
    const void *req = NULL;
    size_t len = 0;
    CHECK_ST(indexbus_rpc_serve(s, &t, &req, &len, NO_WAIT), INDEXBUS_OK);
    return t;
}

static void expect_reply(indexbus_rpc_client *c, uint64_t t, uint64_t tag, uint64_t seq,
                         size_t want)
{
    const void *rep = NULL;
    size_t len = 0;
    CHECK_ST(indexbus_rpc_wait(c, t, &rep, &len, NO_WAIT), INDEXBUS_OK);
    if (rep != NULL)
        CHECK(mp_check_fill(rep, len, tag, seq, want));
    CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_OK);
}

/* ---- config ------------------------------------------------------------------ */

static void config(void)
{
    indexbus_region_config cfg;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC));
    CHECK(cfg.size == sizeof cfg && cfg.kind == INDEXBUS_KIND_RPC);
    CHECK(cfg.slot_count == 64 && cfg.slot_data_size == 4096 && cfg.max_record == 4096);
    const char *name = ib_test_name("rpc-cfg");
    static const struct {
        uint32_t cells, req, rep;
        int want;
    } cases[] = {
        {0, 0, 0, INDEXBUS_OK},          {1, 8, 8, INDEXBUS_OK},
        {4096, 8, 8, INDEXBUS_OK},       {4097, 0, 0, INDEXBUS_INVALID_ARGUMENT},
        {3, 7, 0, INDEXBUS_INVALID_ARGUMENT}, {3, 0, 7, INDEXBUS_INVALID_ARGUMENT},
        {2, 1u << 24, 13, INDEXBUS_OK},  {2, (1u << 24) + 1, 0, INDEXBUS_INVALID_ARGUMENT},
        {2, 0, (1u << 24) + 1, INDEXBUS_INVALID_ARGUMENT}, {5, 100, 9, INDEXBUS_OK},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC));
        cfg.slot_count = cases[k].cells;
        cfg.slot_data_size = cases[k].req;
        cfg.max_record = cases[k].rep;
        indexbus_region *r = NULL;
        int st = indexbus_region_create(name, &cfg, &r);
        CHECK_ST(st, cases[k].want);
        if (st != INDEXBUS_OK)
            continue;
        cells_view cv = cells_map(name);
        uint32_t want_cells = cases[k].cells ? cases[k].cells : 64;
        CHECK(cv.count == want_cells);
        CHECK(cells_in(&cv, INDEXBUS_RPC_FREE) == want_cells);
        const indexbus_region_header *h = (const indexbus_region_header *)cv.base;
        CHECK(h->slot_data_size == (cases[k].req ? cases[k].req : 4096));
        CHECK(h->log_max_record == (cases[k].rep ? cases[k].rep : 4096));
        uint32_t maxreq = h->slot_data_size;
        cells_unmap(&cv);
        indexbus_info info = mp_info(r);
        CHECK(info.kind == INDEXBUS_KIND_RPC && info.layout_minor == 1);
        CHECK(info.rpc_cells == want_cells && info.rpc_cells_free == want_cells);
        CHECK(info.max_request == (cases[k].req ? cases[k].req : 4096));
        CHECK(info.max_reply == (cases[k].rep ? cases[k].rep : 4096));
        /* the sizes are the limits, to the byte */
        indexbus_rpc_client *c;
        REQUIRE_OK(indexbus_rpc_client_open(r, &c));
        void *buf;
        if (maxreq <= (1u << 20)) {
            CHECK_ST(indexbus_rpc_claim(c, (size_t)maxreq + 1, &buf), INDEXBUS_TOO_LARGE);
            CHECK_ST(indexbus_rpc_claim(c, maxreq, &buf), INDEXBUS_OK);
            memset(buf, 0xa5, maxreq); /* the whole request area is writable */
        }
        indexbus_rpc_client_close(c);
        indexbus_region_close(r);
        indexbus_region_unlink(name);
    }
    /* handles of the other kinds refuse the region, and ours refuse theirs */
    indexbus_region *r = mp_create_rpc(name, 4, 64, 64);
    indexbus_producer *p;
    indexbus_consumer *cons;
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p), INDEXBUS_WRONG_KIND);
    CHECK_ST(indexbus_consumer_open(r, 0, &cons), INDEXBUS_WRONG_KIND);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    r = ib_test_create(name, INDEXBUS_KIND_EVENTS, 0, 0, 0);
    indexbus_rpc_client *c = (indexbus_rpc_client *)1;
    indexbus_rpc_server *s = (indexbus_rpc_server *)1;
    CHECK_ST(indexbus_rpc_client_open(r, &c), INDEXBUS_WRONG_KIND);
    CHECK(c == NULL);
    CHECK_ST(indexbus_rpc_server_open(r, &s), INDEXBUS_WRONG_KIND);
    CHECK(s == NULL);
    CHECK_ST(indexbus_rpc_client_open(NULL, &c), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_rpc_client_open(r, NULL), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_rpc_client_close(NULL), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_server_close(NULL), INDEXBUS_OK);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- round trips ------------------------------------------------------------------ */

#define MAXREQ 200u
#define MAXREP 136u

static void round_trips(void)
{
    const char *name = ib_test_name("rpc-rt");
    indexbus_region *r = mp_create_rpc(name, 8, MAXREQ, MAXREP);
    indexbus_rpc_client *c;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    indexbus_info info = mp_info(r);
    CHECK(info.producers_live == 1 && info.consumers_live == 1);
    uint8_t msg[MAXREQ + 8], out[MAXREP + 8];
    /* copy: every request length 0..MAXREQ, every reply length 0..MAXREP */
    for (uint32_t i = 0; i <= MAXREQ; i++) {
        size_t qlen = i, plen = (i * 7u) % (MAXREP + 1);
        if (i == MAXREQ)
            plen = MAXREP;
        mp_fill(msg, 1, i, qlen);
        uint64_t t = 0;
        CHECK_ST(indexbus_rpc_request(c, msg, qlen, &t), INDEXBUS_OK);
        CHECK(TOKEN_GEN(t) >= 1 && TOKEN_CELL(t) < 8);
        uint64_t st = serve_expect(s, 1, i, qlen);
        CHECK(st == t);
        mp_fill(out, 2, i, plen);
        CHECK_ST(indexbus_rpc_reply(s, t, out, plen), INDEXBUS_OK);
        expect_reply(c, t, 2, i, plen);
    }
    /* in place: claim, send, reply_buffer, commit, borrow */
    for (uint32_t i = 0; i <= MAXREP; i += 17) {
        void *buf;
        CHECK_ST(indexbus_rpc_claim(c, MAXREQ, &buf), INDEXBUS_OK);
        mp_fill(buf, 3, i, MAXREQ - i);
        uint64_t t;
        CHECK_ST(indexbus_rpc_send(c, MAXREQ - i, &t), INDEXBUS_OK);
        uint64_t st = serve_expect(s, 3, i, MAXREQ - i);
        CHECK(st == t);
        void *rb;
        size_t cap = 0;
        CHECK_ST(indexbus_rpc_reply_buffer(s, t, &rb, &cap), INDEXBUS_OK);
        CHECK(cap == MAXREP);
        mp_fill(rb, 4, i, i);
        CHECK_ST(indexbus_rpc_reply_commit(s, t, i), INDEXBUS_OK);
        expect_reply(c, t, 4, i, i);
    }
    /* text both ways */
    uint64_t t, st;
    const void *d, *req;
    size_t n = 0;
    char rep[8];
    CHECK_ST(indexbus_rpc_request(c, "ping", 4, &t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_serve(s, &st, &req, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(st == t && n == 4 && memcmp(req, "ping", 4) == 0);
    CHECK_ST(indexbus_rpc_reply(s, t, "pong!", 5), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(n == 5 && memcmp(d, "pong!", 5) == 0);
    CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_OK);
    /* TOO_LARGE and BAD_STATE; a claim stays pending through them */
    void *buf;
    CHECK_ST(indexbus_rpc_claim(c, MAXREQ + 1, &buf), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_rpc_request(c, msg, MAXREQ + 1, &t), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_rpc_send(c, 1, &t), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_rpc_claim(c, 3, &buf), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_claim(c, 3, &buf), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_rpc_request(c, "x", 1, &t), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_rpc_send(c, MAXREQ + 1, &t), INDEXBUS_TOO_LARGE);
    memcpy(buf, "abc", 3);
    CHECK_ST(indexbus_rpc_send(c, 3, &t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_serve(s, &st, &req, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(st == t && n == 3 && memcmp(req, "abc", 3) == 0);
    CHECK_ST(indexbus_rpc_serve(s, &st, &req, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_rpc_serve(s, &st, &req, &n, 1000000), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_rpc_reply(s, t, msg, MAXREP + 1), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_rpc_reply_commit(s, t, MAXREP + 1), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_TIMEOUT); /* still held */
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, 2000000), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_rpc_reply(s, t, "", 0), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(n == 0);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_OK); /* borrowed until done */
    CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    /* rpc_call with no reply coming: TIMEOUT, and the request is cancelled */
    CHECK_ST(indexbus_rpc_call(c, "q", 1, rep, sizeof rep, &n, 1000000), INDEXBUS_TIMEOUT);
    CHECK_ST(indexbus_rpc_serve(s, &st, &req, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK(free_cells(name) == 7); /* the one cell kept for the next request */
    indexbus_rpc_client_close(c);
    CHECK(free_cells(name) == 8);
    indexbus_rpc_server_close(s);
    info = mp_info(r);
    CHECK(info.producers_live == 0 && info.consumers_live == 0 && info.participants_live == 0);
    CHECK_COUNTS(name, 0, 0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* rpc_call against a server in another process: copy, exact fit, too small */
IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

static int echo_server(int n)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    mp_inc(&g_ctl->counter[0]); /* attached */
    for (int i = 0; i < n; i++) {
        uint64_t t;
        const void *req;
        size_t len;
        int st = indexbus_rpc_serve(s, &t, &req, &len, MP_HANG_NS);
        CHECK_ST(st, INDEXBUS_OK);
        if (st != INDEXBUS_OK)
            break;
        uint8_t out[MAXREP];
        memcpy(out, req, len < MAXREP ? len : MAXREP);
        for (size_t k = 0; k < len && k < MAXREP; k++)
            out[k] ^= 0x5a;
        CHECK_ST(indexbus_rpc_reply(s, t, out, len < MAXREP ? len : MAXREP), INDEXBUS_OK);
    }
    indexbus_rpc_server_close(s);
    indexbus_region_close(r);
    return 0;
}

static void calls(void)
{
    const char *name = ib_test_name("rpc-call");
    indexbus_region *r = mp_create_rpc(name, 4, MAXREQ, MAXREP);
    g_name = name;
    g_ctl = mp_ctl_new();
    pid_t pid = ib_spawn(echo_server, 3);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == 1);
    indexbus_rpc_client *c;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    uint8_t q[MAXREP], want[MAXREP], got[MAXREP];
    mp_fill(q, 9, 1, MAXREP);
    for (size_t k = 0; k < MAXREP; k++)
        want[k] = q[k] ^ 0x5a;
    size_t n = 0;
    CHECK_ST(indexbus_rpc_call(c, q, 50, got, sizeof got, &n, MP_HANG_NS), INDEXBUS_OK);
    CHECK(n == 50 && memcmp(got, want, 50) == 0);
    CHECK_ST(indexbus_rpc_call(c, q, MAXREP, got, MAXREP, &n, MP_HANG_NS), INDEXBUS_OK);
    CHECK(n == MAXREP && memcmp(got, want, MAXREP) == 0);
    memset(got, 0, sizeof got);
    CHECK_ST(indexbus_rpc_call(c, q, 60, got, 59, &n, MP_HANG_NS), INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(n == 60 && got[0] == 0);
    CHECK(ib_join(pid) == 0);
    CHECK(free_cells(name) == 3); /* one kept by the client, the reply dropped */
    /* the server has closed: no server is attached any more */
    CHECK_ST(indexbus_rpc_call(c, q, 1, got, sizeof got, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    indexbus_rpc_client_close(c);
    CHECK(free_cells(name) == 4);
    CHECK_COUNTS(name, 0, 0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- tokens ---------------------------------------------------------------------- */

static void tokens(void)
{
    const char *name = ib_test_name("rpc-tok");
    indexbus_region *r = mp_create_rpc(name, 3, 64, 64);
    cells_view cv = cells_map(name);
    indexbus_rpc_client *c, *c2;
    indexbus_rpc_server *s, *s2;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_client_open(r, &c2));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s2));
    uint64_t t1, t2, x;
    const void *d;
    size_t n;
    CHECK_ST(indexbus_rpc_request(c, "a", 1, &t1), INDEXBUS_OK);
    x = serve_any(s);
    CHECK(x == t1);
    CHECK_ST(indexbus_rpc_reply(s, t1, "A", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(c, t1, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply_done(c, t1), INDEXBUS_OK);
    /* the kept cell, next generation */
    CHECK_ST(indexbus_rpc_request(c, "b", 1, &t2), INDEXBUS_OK);
    CHECK(TOKEN_CELL(t2) == TOKEN_CELL(t1) && TOKEN_GEN(t2) == TOKEN_GEN(t1) + 1);
    x = serve_any(s);
    CHECK(x == t2);
    uint32_t ci = TOKEN_CELL(t2);
    uint64_t w = cell_word(&cv, ci);
    CHECK((w & 0xff) == INDEXBUS_RPC_SERVING && (w >> 32) == TOKEN_GEN(t2));
    void *rb;
    size_t cap;
    /* stale: the earlier generation */
    CHECK_ST(indexbus_rpc_reply(s, t1, "X", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_buffer(s, t1, &rb, &cap), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_commit(s, t1, 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_wait(c, t1, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_done(c, t1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_cancel(c, t1), INDEXBUS_NOT_FOUND);
    /* forged: past the table, generation 0, a later generation, garbage */
    uint64_t forged[] = {3, ((uint64_t)TOKEN_GEN(t2) << 32) | 3, ci, t2 + (1ull << 32),
                         t2 - (2ull << 32), ~0ull, ((uint64_t)TOKEN_GEN(t2) << 32) | 0xffffffffu};
    for (size_t k = 0; k < sizeof forged / sizeof forged[0]; k++) {
        CHECK_ST(indexbus_rpc_reply(s, forged[k], "X", 1), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_reply_buffer(s, forged[k], &rb, &cap), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_reply_commit(s, forged[k], 0), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_wait(c, forged[k], &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_reply_done(c, forged[k]), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_cancel(c, forged[k]), INDEXBUS_NOT_FOUND);
    }
    /* another server's request, another client's token */
    CHECK_ST(indexbus_rpc_reply(s2, t2, "X", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_buffer(s2, t2, &rb, &cap), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_wait(c2, t2, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_cancel(c2, t2), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_done(c2, t2), INDEXBUS_NOT_FOUND);
    CHECK(cell_word(&cv, ci) == w); /* untouched by all of that */
    /* the right reply, then a second one */
    CHECK_ST(indexbus_rpc_reply(s, t2, "B", 1), INDEXBUS_OK);
    uint64_t w2 = cell_word(&cv, ci);
    CHECK((w2 & 0xff) == INDEXBUS_RPC_REPLIED);
    CHECK_ST(indexbus_rpc_reply(s, t2, "Y", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_commit(s, t2, 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply_buffer(s, t2, &rb, &cap), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply(s2, t2, "Y", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_wait(c2, t2, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    CHECK(cell_word(&cv, ci) == w2);
    CHECK_ST(indexbus_rpc_wait(c, t2, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(n == 1 && memcmp(d, "B", 1) == 0);
    CHECK_ST(indexbus_rpc_reply_done(c, t2), INDEXBUS_OK);
    /* generations only grow: a hundred requests through the kept cell */
    uint64_t last = t2;
    for (int i = 0; i < 100; i++) {
        uint64_t t;
        CHECK_ST(indexbus_rpc_request(c, "c", 1, &t), INDEXBUS_OK);
        CHECK(TOKEN_CELL(t) == ci && TOKEN_GEN(t) == TOKEN_GEN(last) + 1);
        x = serve_any(s);
        CHECK(x == t);
        CHECK_ST(indexbus_rpc_reply(s, last, "Z", 1), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_reply(s, t, "C", 1), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_wait(c, last, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
        CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_OK);
        last = t;
    }
    CHECK_COUNTS(name, 0, 0);
    indexbus_rpc_client_close(c);
    indexbus_rpc_client_close(c2);
    indexbus_rpc_server_close(s);
    indexbus_rpc_server_close(s2);
    CHECK(cells_in(&cv, INDEXBUS_RPC_FREE) == 3);
    cells_unmap(&cv);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- cancel ------------------------------------------------------------------------ */

static void cancels(void)
{
    const char *name = ib_test_name("rpc-cancel");
    indexbus_region *r = mp_create_rpc(name, 4, 64, 64);
    cells_view cv = cells_map(name);
    indexbus_rpc_client *c;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    uint64_t t, x;
    const void *d;
    size_t n;
    /* before a server took it: gone, the server finds nothing (stale bit) */
    CHECK_ST(indexbus_rpc_request(c, "a", 1, &t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    CHECK(cell_state(&cv, TOKEN_CELL(t)) == INDEXBUS_RPC_OWNED); /* kept for the next */
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK_COUNTS(name, 0, 0);
    /* after: the late reply is OK for the server, dropped and counted */
    CHECK_ST(indexbus_rpc_request(c, "b", 1, &t), INDEXBUS_OK);
    x = serve_any(s);
    CHECK(x == t);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_OK);
    CHECK(cell_state(&cv, TOKEN_CELL(t)) == INDEXBUS_RPC_ABANDONED);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_NOT_FOUND);
    CHECK(free_cells(name) == 3);
    void *rb;
    size_t cap;
    CHECK_ST(indexbus_rpc_reply_buffer(s, t, &rb, &cap), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply_commit(s, t, 65), INDEXBUS_TOO_LARGE);
    CHECK_ST(indexbus_rpc_reply(s, t, "B", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply(s, t, "B", 1), INDEXBUS_NOT_FOUND);
    CHECK(cell_state(&cv, TOKEN_CELL(t)) == INDEXBUS_RPC_FREE);
    CHECK(free_cells(name) == 4);
    CHECK_COUNTS(name, 1, 0);
    /* after the reply came: dropped and counted too */
    CHECK_ST(indexbus_rpc_request(c, "c", 1, &t), INDEXBUS_OK);
    x = serve_any(s);
    CHECK_ST(indexbus_rpc_reply(s, t, "C", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_NOT_FOUND);
    CHECK_COUNTS(name, 2, 0);
    CHECK(free_cells(name) == 3); /* the kept one */
    indexbus_rpc_client_close(c);
    indexbus_rpc_server_close(s);
    CHECK(cells_in(&cv, INDEXBUS_RPC_FREE) == 4);
    cells_unmap(&cv);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* A claim given back unsent (abort), and a request dropped unanswered
 * (fail): the client's wait gets DISCONNECTED, counted; the cell comes
 * back. */
static void aborts_and_fails(void)
{
    const char *name = ib_test_name("rpc-abort-fail");
    indexbus_region *r = mp_create_rpc(name, 2, 64, 64);
    cells_view cv = cells_map(name);
    indexbus_rpc_client *c;
    indexbus_rpc_server *s, *s2;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s2));
    void *buf;
    uint64_t t, x;
    const void *d;
    size_t n;
    CHECK_ST(indexbus_rpc_abort(c), INDEXBUS_BAD_STATE);
    CHECK_ST(indexbus_rpc_claim(c, 8, &buf), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_abort(c), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_send(c, 8, &t), INDEXBUS_BAD_STATE); /* nothing claimed now */
    CHECK(free_cells(name) == 1);                               /* kept, not lost */
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_EMPTY);
    /* dropped unanswered: the wait fails, once; other servers cannot touch it */
    CHECK_ST(indexbus_rpc_request(c, "q", 1, &t), INDEXBUS_OK);
    x = serve_any(s);
    CHECK(x == t);
    CHECK_ST(indexbus_rpc_fail(s2, t), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_fail(s, t + (1ull << 32)), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_fail(s, t), INDEXBUS_OK);
    CHECK(cell_state(&cv, TOKEN_CELL(t)) == INDEXBUS_RPC_FAILED);
    CHECK_ST(indexbus_rpc_fail(s, t), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply(s, t, "A", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_DISCONNECTED);
    CHECK_COUNTS(name, 0, 1);
    /* a request whose client gave up, dropped: the cell is free again */
    CHECK_ST(indexbus_rpc_request(c, "r", 1, &t), INDEXBUS_OK);
    x = serve_any(s);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_fail(s, t), INDEXBUS_OK);
    CHECK(cell_state(&cv, TOKEN_CELL(t)) == INDEXBUS_RPC_FREE);
    CHECK_COUNTS(name, 0, 1);
    indexbus_rpc_client_close(c);
    indexbus_rpc_server_close(s);
    indexbus_rpc_server_close(s2);
    CHECK(cells_in(&cv, INDEXBUS_RPC_FREE) == 2);
    cells_unmap(&cv);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- FULL and the kept cell ----------------------------------------------------------- */

static void full(void)
{
    const char *name = ib_test_name("rpc-full");
    indexbus_region *r = mp_create_rpc(name, 4, 64, 64);
    indexbus_rpc_client *a, *b;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_client_open(r, &a));
    REQUIRE_OK(indexbus_rpc_client_open(r, &b));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    uint64_t ta, tb[4], x;
    const void *d;
    size_t n;
    void *buf;
    /* one client can hold every cell */
    for (int i = 0; i < 4; i++)
        CHECK_ST(indexbus_rpc_request(b, "r", 1, &tb[i]), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_request(b, "r", 1, &x), INDEXBUS_FULL);
    CHECK_ST(indexbus_rpc_claim(a, 1, &buf), INDEXBUS_FULL);
    CHECK(free_cells(name) == 0);
    uint32_t seen = 0;
    for (int i = 0; i < 4; i++) {
        x = serve_any(s);
        for (int k = 0; k < 4; k++)
            if (x == tb[k])
                seen |= 1u << k;
        CHECK_ST(indexbus_rpc_reply(s, x, "R", 1), INDEXBUS_OK);
    }
    CHECK(seen == 0xf); /* each once */
    /* done with the first: b keeps it; the others go back to the pool */
    for (int i = 0; i < 4; i++) {
        CHECK_ST(indexbus_rpc_wait(b, tb[i], &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_reply_done(b, tb[i]), INDEXBUS_OK);
    }
    CHECK(free_cells(name) == 3);
    /* a takes one and keeps it */
    CHECK_ST(indexbus_rpc_request(a, "a", 1, &ta), INDEXBUS_OK);
    x = serve_any(s);
    CHECK_ST(indexbus_rpc_reply(s, ta, "A", 1), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(a, ta, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply_done(a, ta), INDEXBUS_OK);
    uint32_t kept = TOKEN_CELL(ta);
    /* b takes everything else: its kept cell, then the two free ones */
    for (int i = 0; i < 3; i++)
        CHECK_ST(indexbus_rpc_request(b, "r", 1, &tb[i]), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_request(b, "r", 1, &x), INDEXBUS_FULL);
    /* no FULL for a: its kept cell recycles, round after round */
    for (int round = 0; round < 5; round++) {
        uint64_t t;
        CHECK_ST(indexbus_rpc_request(a, "a", 1, &t), INDEXBUS_OK);
        CHECK(TOKEN_CELL(t) == kept);
        /* skip b's requests: serve until ours comes (b's stay held) */
        for (;;) {
            uint64_t got;
            CHECK_ST(indexbus_rpc_serve(s, &got, &d, &n, NO_WAIT), INDEXBUS_OK);
            if (got == t)
                break;
            if (got == 0)
                break;
        }
        CHECK_ST(indexbus_rpc_reply(s, t, "A", 1), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_wait(a, t, &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_reply_done(a, t), INDEXBUS_OK);
    }
    CHECK(free_cells(name) == 0);
    /* the server's close fails b's three held requests */
    indexbus_rpc_server_close(s);
    CHECK_COUNTS(name, 0, 3);
    for (int i = 0; i < 3; i++)
        CHECK_ST(indexbus_rpc_wait(b, tb[i], &d, &n, NO_WAIT), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_rpc_wait(b, tb[0], &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    CHECK(free_cells(name) == 2); /* a's and b's kept cells */
    /* no server any more: send says so, and the cell stays kept */
    CHECK_ST(indexbus_rpc_request(a, "a", 1, &x), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_rpc_claim(a, 1, &buf), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_send(a, 1, &x), INDEXBUS_DISCONNECTED);
    CHECK(free_cells(name) == 2);
    indexbus_rpc_client_close(a);
    indexbus_rpc_client_close(b);
    CHECK(free_cells(name) == 4);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- close ------------------------------------------------------------------------------- */

static void closes(void)
{
    const char *name = ib_test_name("rpc-close");
    indexbus_region *r = mp_create_rpc(name, 8, 64, 64);
    cells_view cv = cells_map(name);
    indexbus_rpc_client *c, *w;
    indexbus_rpc_server *s;
    indexbus_info info;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_client_open(r, &w));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    uint64_t t[4], x, tw;
    const void *d;
    size_t n;
    void *buf;
    /* c holds: REPLIED, SERVING, REQUESTED, and a pending claim */
    for (int i = 0; i < 3; i++)
        CHECK_ST(indexbus_rpc_request(c, "q", 1, &t[i]), INDEXBUS_OK);
    x = serve_any(s);
    CHECK(x == t[0]);
    CHECK_ST(indexbus_rpc_reply(s, t[0], "R", 1), INDEXBUS_OK);
    x = serve_any(s);
    CHECK(x == t[1]);
    CHECK_ST(indexbus_rpc_claim(c, 1, &buf), INDEXBUS_OK);
    /* w waits while a server holds its request */
    CHECK_ST(indexbus_rpc_request(w, "w", 1, &tw), INDEXBUS_OK);
    CHECK(free_cells(name) == 3);
    indexbus_rpc_client_close(c);
    CHECK(free_cells(name) == 6); /* all but the SERVING one and w's */
    CHECK(cell_state(&cv, TOKEN_CELL(t[1])) == INDEXBUS_RPC_ABANDONED);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_OK); /* w's; c's was freed */
    CHECK(x == tw);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_rpc_reply(s, t[1], "late", 4), INDEXBUS_OK);
    CHECK(free_cells(name) == 7);
    CHECK_COUNTS(name, 1, 0);
    /* a server that closes fails what it holds: w gets DISCONNECTED */
    indexbus_rpc_server_close(s);
    CHECK_COUNTS(name, 1, 1);
    CHECK(cell_state(&cv, TOKEN_CELL(tw)) == INDEXBUS_RPC_FAILED);
    CHECK_ST(indexbus_rpc_wait(w, tw, &d, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK(cell_state(&cv, TOKEN_CELL(tw)) == INDEXBUS_RPC_OWNED);
    /* a new server: requests work again */
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    CHECK_ST(indexbus_rpc_request(w, "w2", 2, &tw), INDEXBUS_OK);
    x = serve_any(s);
    CHECK(x == tw);
    CHECK_ST(indexbus_rpc_reply(s, tw, "ok", 2), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(w, tw, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(n == 2 && memcmp(d, "ok", 2) == 0);
    /* a REQUESTED request whose servers all leave: DISCONNECTED from wait */
    CHECK_ST(indexbus_rpc_reply_done(w, tw), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_request(w, "w3", 2, &tw), INDEXBUS_OK);
    indexbus_rpc_server_close(s);
    CHECK_COUNTS(name, 1, 1); /* it held nothing */
    info = mp_info(r);
    CHECK(info.rpc_replies_abandoned == 1 && info.rpc_requests_failed == 1);
    CHECK(info.rpc_cells_free == 7 && info.consumers_live == 0 && info.producers_live == 1);
    CHECK_ST(indexbus_rpc_wait(w, tw, &d, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_rpc_wait(w, tw, &d, &n, NO_WAIT), INDEXBUS_NOT_FOUND);
    indexbus_rpc_client_close(w);
    CHECK(cells_in(&cv, INDEXBUS_RPC_FREE) == 8);
    info = mp_info(r);
    CHECK(info.participants_live == 0);
    cells_unmap(&cv);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}


/* ---- bad region contents (LAYOUT.md 7) ----------------------------------------------------- */

static uint8_t *map_rw(const char *name, size_t *len)
{
    int fd = shm_open(name, O_RDWR, 0);
    REQUIRE(fd >= 0);
    struct stat stt;
    REQUIRE(fstat(fd, &stt) == 0);
    *len = (size_t)stt.st_size;
    uint8_t *p = mmap(NULL, *len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    REQUIRE(p != MAP_FAILED);
    return p;
}

static void hostile(void)
{
    const char *name = ib_test_name("rpc-bad");
    indexbus_region *r = mp_create_rpc(name, 3, 64, 64);
    cells_view cv = cells_map(name);
    size_t rwlen;
    uint8_t *rw = map_rw(name, &rwlen);
    indexbus_rpc_ctl *ctl = (indexbus_rpc_ctl *)(rw + ((const uint8_t *)rpc_ctl(&cv) - cv.base));
    indexbus_rpc_cell *cells[3];
    for (uint32_t i = 0; i < 3; i++)
        cells[i] = (indexbus_rpc_cell *)(rw + cv.off + (uint64_t)i * cv.stride);
    indexbus_rpc_client *c;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    uint64_t t, x;
    const void *d;
    size_t n;
    /* pending bits past the table, and a word past it: skipped */
    __atomic_store_n(&ctl->pending[0], 0xf8ull, __ATOMIC_RELEASE);
    __atomic_store_n(&ctl->pending[1], ~0ull, __ATOMIC_RELEASE);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK(__atomic_load_n(&ctl->pending[0], __ATOMIC_ACQUIRE) == 0);
    /* a request length past max_request: the server fails it */
    CHECK_ST(indexbus_rpc_request(c, "abc", 3, &t), INDEXBUS_OK);
    __atomic_store_n(&cells[TOKEN_CELL(t)]->request_len, 65u, __ATOMIC_RELEASE);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK_COUNTS(name, 0, 1);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_DISCONNECTED);
    /* a reply length past max_reply: CORRUPT, and the cell can be given up */
    CHECK_ST(indexbus_rpc_request(c, "abc", 3, &t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply(s, x, "xy", 2), INDEXBUS_OK);
    __atomic_store_n(&cells[TOKEN_CELL(t)]->reply_len, 0xffffffffu, __ATOMIC_RELEASE);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_rpc_cancel(c, t), INDEXBUS_OK);
    CHECK_COUNTS(name, 1, 1);
    /* a state word out of range on the kept cell: the client takes another
     * cell, a token for it is CORRUPT, nobody's close touches it */
    uint32_t kept = TOKEN_CELL(t);
    uint64_t bad = (cell_word(&cv, kept) & ~0xffull) | 0x4000000ull | INDEXBUS_RPC_OWNED;
    __atomic_store_n(&cells[kept]->state, bad, __ATOMIC_RELEASE);
    uint64_t t2;
    CHECK_ST(indexbus_rpc_request(c, "q", 1, &t2), INDEXBUS_OK);
    CHECK(TOKEN_CELL(t2) != kept);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, NO_WAIT), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK(x == t2);
    /* a state byte past ABANDONED and a forged server id on the third cell */
    uint32_t third = 3 - kept - TOKEN_CELL(t2);
    __atomic_store_n(&cells[third]->state, (5ull << 32) | 7u, __ATOMIC_RELEASE);
    CHECK_ST(indexbus_rpc_reply(s, (5ull << 32) | third, "z", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_request(c, "q", 1, &t), INDEXBUS_FULL);
    indexbus_rpc_client_close(c);
    CHECK(cell_state(&cv, TOKEN_CELL(t2)) == INDEXBUS_RPC_ABANDONED);
    indexbus_rpc_server_close(s);
    CHECK(cell_word(&cv, kept) == bad && cell_word(&cv, third) == ((5ull << 32) | 7u));
    CHECK(cell_state(&cv, TOKEN_CELL(t2)) == INDEXBUS_RPC_FREE);
    indexbus_info info = mp_info(r);
    CHECK(info.participants_live == 0 && info.rpc_cells_free == 1);
    munmap(rw, rwlen);
    cells_unmap(&cv);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- several processes ---------------------------------------------------------------- */

#define MP_CLIENTS 3
#define MP_SERVERS 2
#define MP_PER 400u
#define MP_MAX 256u
#define MP_DEPTH 3 /* requests each client keeps outstanding */

/* g_ctl->counter: [0] servers attached, [1] stop servers, [2] clients done,
 * [3] taken by the server to be killed, [4] new server up, [5] clients
 * told DISCONNECTED; data[]: served per (client, seq) is g_served */
IB_SHARED static uint32_t *g_served;  /* [MP_CLIENTS * MP_PER] */
IB_SHARED static uint32_t *g_by;      /* [MP_SERVERS + 1] requests each server answered */

typedef struct mp_req {
    uint32_t client, seq;
} mp_req;

static size_t req_len(uint32_t seq) { return 8 + (seq * 13u) % (MP_MAX - 8 + 1); }
static size_t rep_len(uint32_t seq) { return 8 + (seq * 29u) % (MP_MAX - 8 + 1); }

/* serve until told to stop: each reply is the request's header and
 * mp_fill(100 + client, seq) */
static int work_server(int id)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    mp_inc(&g_ctl->counter[0]);
    for (;;) {
        uint64_t t;
        const void *q;
        size_t len;
        int st = indexbus_rpc_serve(s, &t, &q, &len, 20 * 1000000ull);
        if (st == INDEXBUS_TIMEOUT) {
            if (mp_load(&g_ctl->counter[1]))
                break;
            continue;
        }
        CHECK_ST(st, INDEXBUS_OK);
        if (st != INDEXBUS_OK)
            break;
        mp_req h;
        REQUIRE(len >= 8);
        memcpy(&h, q, 8);
        REQUIRE(h.client < MP_CLIENTS && h.seq < MP_PER);
        CHECK(mp_check_fill((const uint8_t *)q + 8, len - 8, h.client, h.seq, req_len(h.seq) - 8));
        void *buf;
        size_t cap;
        CHECK_ST(indexbus_rpc_reply_buffer(s, t, &buf, &cap), INDEXBUS_OK);
        CHECK(cap == MP_MAX);
        memcpy(buf, &h, 8);
        mp_fill((uint8_t *)buf + 8, 100 + h.client, h.seq, rep_len(h.seq) - 8);
        CHECK_ST(indexbus_rpc_reply_commit(s, t, rep_len(h.seq)), INDEXBUS_OK);
        __atomic_fetch_add(&g_served[h.client * MP_PER + h.seq], 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&g_by[id], 1, __ATOMIC_RELAXED);
    }
    indexbus_rpc_server_close(s);
    indexbus_region_close(r);
    return 0;
}

static void check_reply(const void *d, size_t n, uint32_t client, uint32_t seq)
{
    mp_req h;
    CHECK(n == rep_len(seq));
    if (n < 8)
        return;
    memcpy(&h, d, 8);
    CHECK(h.client == client && h.seq == seq);
    CHECK(mp_check_fill((const uint8_t *)d + 8, n - 8, 100 + client, seq, rep_len(seq) - 8));
}

/* MP_PER requests, MP_DEPTH outstanding at a time, in place and by copy */
static int work_client(int id)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_client *c;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    uint64_t tok[MP_DEPTH];
    uint32_t next = 0, done = 0;
    while (done < MP_PER) {
        while (next < MP_PER && next - done < MP_DEPTH) {
            mp_req h = {(uint32_t)id, next};
            size_t len = req_len(next);
            void *buf;
            int st;
            while ((st = indexbus_rpc_claim(c, len, &buf)) == INDEXBUS_FULL)
                sched_yield(); /* other clients hold every cell */
            CHECK_ST(st, INDEXBUS_OK);
            if (st != INDEXBUS_OK)
                return 1;
            memcpy(buf, &h, 8);
            mp_fill((uint8_t *)buf + 8, (uint64_t)id, next, len - 8);
            CHECK_ST(indexbus_rpc_send(c, len, &tok[next % MP_DEPTH]), INDEXBUS_OK);
            next++;
        }
        const void *d;
        size_t n;
        uint64_t t = tok[done % MP_DEPTH];
        int st = indexbus_rpc_wait(c, t, &d, &n, MP_HANG_NS);
        CHECK_ST(st, INDEXBUS_OK);
        if (st != INDEXBUS_OK)
            return 1;
        check_reply(d, n, (uint32_t)id, done);
        CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_OK);
        done++;
    }
    /* and a few whole calls */
    for (uint32_t i = 0; i < 20; i++) {
        uint8_t q[MP_MAX], out[MP_MAX];
        mp_req h = {(uint32_t)id, i};
        memcpy(q, &h, 8);
        mp_fill(q + 8, (uint64_t)id, i, req_len(i) - 8);
        size_t n = 0;
        CHECK_ST(indexbus_rpc_call(c, q, req_len(i), out, sizeof out, &n, MP_HANG_NS), INDEXBUS_OK);
        check_reply(out, n, (uint32_t)id, i);
    }
    mp_inc(&g_ctl->counter[2]);
    indexbus_rpc_client_close(c);
    indexbus_region_close(r);
    return 0;
}

static void many(void)
{
    const char *name = ib_test_name("rpc-many");
    indexbus_region *r = mp_create_rpc(name, 5, MP_MAX, MP_MAX); /* fewer cells than wanted */
    g_name = name;
    g_ctl = mp_ctl_new();
    g_served = mp_shared(sizeof(uint32_t) * MP_CLIENTS * MP_PER);
    g_by = mp_shared(sizeof(uint32_t) * (MP_SERVERS + 1));
    pid_t pids[MP_CLIENTS + MP_SERVERS];
    for (int i = 0; i < MP_SERVERS; i++)
        pids[i] = ib_spawn(work_server, i);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == MP_SERVERS);
    for (int i = 0; i < MP_CLIENTS; i++)
        pids[MP_SERVERS + i] = ib_spawn(work_client, i);
    CHECK(mp_join_all(pids + MP_SERVERS, MP_CLIENTS) == 0);
    mp_store(&g_ctl->counter[1], 1);
    CHECK(mp_join_all(pids, MP_SERVERS) == 0);
    uint32_t total = 0, wrong = 0;
    for (uint32_t i = 0; i < MP_CLIENTS * MP_PER; i++) {
        uint32_t k = __atomic_load_n(&g_served[i], __ATOMIC_RELAXED);
        /* seqs 0..19 also went out as calls */
        wrong += k != ((i % MP_PER) < 20 ? 2u : 1u);
        total += k;
    }
    CHECK(wrong == 0);
    CHECK(total == MP_CLIENTS * (MP_PER + 20));
    CHECK(g_by[0] + g_by[1] == MP_CLIENTS * (MP_PER + 20));
    CHECK(mp_load(&g_ctl->counter[2]) == MP_CLIENTS);
    indexbus_info info = mp_info(r);
    CHECK(info.rpc_cells_free == 5 && info.participants_live == 0);
    CHECK(info.rpc_replies_abandoned == 0 && info.rpc_requests_failed == 0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- a server killed while clients wait -------------------------------------------------- */

/* take two requests, never reply, wait to be killed */
static int taking_server(int n)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    mp_inc(&g_ctl->counter[0]);
    for (int i = 0; i < n; i++) {
        uint64_t t;
        const void *q;
        size_t len;
        CHECK_ST(indexbus_rpc_serve(s, &t, &q, &len, MP_HANG_NS), INDEXBUS_OK);
        mp_inc(&g_ctl->counter[3]);
    }
    for (;;)
        pause();
}

static int waiting_client(int id)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_client *c;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    uint64_t t;
    const void *d;
    size_t n;
    CHECK_ST(indexbus_rpc_request(c, "wait", 4, &t), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, 0), INDEXBUS_NOT_FOUND);
    mp_inc(&g_ctl->counter[5]);
    MP_WAIT(mp_load(&g_ctl->counter[4]) == 1); /* a new server took over */
    for (uint32_t i = 0; i < 10; i++) {
        uint8_t q[MP_MAX], out[MP_MAX];
        mp_req h = {(uint32_t)id, i};
        memcpy(q, &h, 8);
        mp_fill(q + 8, (uint64_t)id, i, req_len(i) - 8);
        n = 0;
        CHECK_ST(indexbus_rpc_call(c, q, req_len(i), out, sizeof out, &n, MP_HANG_NS), INDEXBUS_OK);
        check_reply(out, n, (uint32_t)id, i);
    }
    indexbus_rpc_client_close(c);
    indexbus_region_close(r);
    return 0;
}

static void server_killed(void)
{
    const char *name = ib_test_name("rpc-skill");
    indexbus_region *r = mp_create_rpc(name, 8, MP_MAX, MP_MAX);
    g_name = name;
    g_ctl = mp_ctl_new();
    g_served = mp_shared(sizeof(uint32_t) * MP_CLIENTS * MP_PER);
    g_by = mp_shared(sizeof(uint32_t) * (MP_SERVERS + 1));
    pid_t srv = ib_spawn(taking_server, 2);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == 1);
    pid_t cl[2] = {ib_spawn(waiting_client, 0), ib_spawn(waiting_client, 1)};
    MP_WAIT(mp_load(&g_ctl->counter[3]) == 2); /* it holds both */
    indexbus_info info = mp_info(r);
    CHECK(info.rpc_cells_free == 6 && info.consumers_live == 1 && info.producers_live == 2);
    CHECK(ib_kill(srv) == SIGKILL);
    /* the clients' waits recover it and fail both requests */
    MP_WAIT(mp_load(&g_ctl->counter[5]) == 2);
    info = mp_info(r);
    CHECK(info.rpc_requests_failed == 2 && info.rpc_replies_abandoned == 0);
    CHECK(info.consumers_live == 0 && info.rpc_cells_free == 6); /* both kept by their clients */
    pid_t srv2 = ib_spawn(work_server, 2);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == 2);
    mp_store(&g_ctl->counter[4], 1);
    CHECK(mp_join_all(cl, 2) == 0);
    mp_store(&g_ctl->counter[1], 1);
    CHECK(ib_join(srv2) == 0);
    CHECK(g_by[2] == 20);
    info = mp_info(r);
    CHECK(info.rpc_requests_failed == 2 && info.rpc_replies_abandoned == 0);
    CHECK(info.rpc_cells_free == 8 && info.participants_live == 0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- a client killed holding cells --------------------------------------------------------- */

IB_SHARED static uint64_t *g_tok; /* the victim's tokens: [0] kept, [1] SERVING, [2] REPLIED, [3] REQUESTED */

static int holding_client(int unused)
{
    (void)unused;
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_client *c;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    const void *d;
    size_t n;
    /* one at a time, so the parent serves exactly the one sent */
    for (uint32_t i = 0; i < 4; i++) {
        uint64_t t;
        CHECK_ST(indexbus_rpc_request(c, "h", 1, &t), INDEXBUS_OK);
        g_tok[i] = t;
        mp_inc(&g_ctl->counter[0]);
        MP_WAIT(mp_load(&g_ctl->counter[1]) == i + 1); /* the parent did its part */
        if (i == 0) { /* a round trip: its cell is kept (and taken by request 1) */
            CHECK_ST(indexbus_rpc_wait(c, t, &d, &n, MP_HANG_NS), INDEXBUS_OK);
            CHECK_ST(indexbus_rpc_reply_done(c, t), INDEXBUS_OK);
        }
    }
    void *buf;
    CHECK_ST(indexbus_rpc_claim(c, 1, &buf), INDEXBUS_OK); /* a fourth cell, OWNED */
    mp_inc(&g_ctl->counter[2]);
    /* parked on the SERVING one until killed */
    CHECK_ST(indexbus_rpc_wait(c, g_tok[1], &d, &n, MP_HANG_NS), INDEXBUS_OK);
    return 1;
}

static void client_killed(void)
{
    const char *name = ib_test_name("rpc-ckill");
    indexbus_region *r = mp_create_rpc(name, 6, 64, 64);
    cells_view cv = cells_map(name);
    g_name = name;
    g_ctl = mp_ctl_new();
    g_tok = mp_shared(4 * sizeof(uint64_t));
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    pid_t pid = ib_spawn(holding_client, 0);
    uint64_t t;
    const void *q;
    size_t n;
    for (uint32_t i = 0; i < 4; i++) {
        MP_WAIT(mp_load(&g_ctl->counter[0]) == i + 1);
        if (i < 3) {
            CHECK_ST(indexbus_rpc_serve(s, &t, &q, &n, NO_WAIT), INDEXBUS_OK);
            CHECK(t == g_tok[i]);
        }
        if (i == 0 || i == 2)
            CHECK_ST(indexbus_rpc_reply(s, t, "R", 1), INDEXBUS_OK);
        mp_store(&g_ctl->counter[1], i + 1);
    }
    MP_WAIT(mp_load(&g_ctl->counter[2]) == 1);
    uint32_t c1 = TOKEN_CELL(g_tok[1]);
    const indexbus_wake_entry *wk =
        (const indexbus_wake_entry *)(cv.base + cv.off + (uint64_t)c1 * cv.stride + 64);
    MP_WAIT(__atomic_load_n(&wk->waiters, __ATOMIC_ACQUIRE) == 1); /* parked */
    indexbus_info info = mp_info(r);
    CHECK(info.rpc_cells_free == 2 && info.producers_live == 1);
    CHECK(cell_state(&cv, TOKEN_CELL(g_tok[1])) == INDEXBUS_RPC_SERVING);
    CHECK(cell_state(&cv, TOKEN_CELL(g_tok[2])) == INDEXBUS_RPC_REPLIED);
    CHECK(cell_state(&cv, TOKEN_CELL(g_tok[3])) == INDEXBUS_RPC_REQUESTED);
    CHECK(cells_in(&cv, INDEXBUS_RPC_OWNED) == 1);
    CHECK(ib_kill(pid) == SIGKILL);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1);
    info = mp_info(r);
    CHECK(info.rpc_cells_free == 5 && info.producers_live == 0 && info.participants_live == 1);
    CHECK(cell_state(&cv, c1) == INDEXBUS_RPC_ABANDONED);
    CHECK(__atomic_load_n(&wk->waiters, __ATOMIC_RELAXED) == 0);
    /* the REQUESTED one is gone (its bit is stale); the held one still
     * takes its reply, which is dropped and counted */
    CHECK_ST(indexbus_rpc_serve(s, &t, &q, &n, NO_WAIT), INDEXBUS_EMPTY);
    CHECK_ST(indexbus_rpc_reply(s, g_tok[2], "X", 1), INDEXBUS_NOT_FOUND);
    CHECK_ST(indexbus_rpc_reply(s, g_tok[1], "late", 4), INDEXBUS_OK);
    info = mp_info(r);
    CHECK(info.rpc_cells_free == 6 && info.rpc_replies_abandoned == 1 &&
          info.rpc_requests_failed == 0);
    CHECK_ST(indexbus_region_recover(r, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 0);
    indexbus_rpc_server_close(s);
    cells_unmap(&cv);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

static const ib_helper helpers[] = {
    IB_HELPER(echo_server),
    IB_HELPER(work_server),
    IB_HELPER(work_client),
    IB_HELPER(taking_server),
    IB_HELPER(waiting_client),
    IB_HELPER(holding_client),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    config();
    round_trips();
    calls();
    tokens();
    cancels();
    aborts_and_fails();
    full();
    closes();
    hostile();
    many();
    server_killed();
    client_killed();
    return ib_test_done("rpc");
}
