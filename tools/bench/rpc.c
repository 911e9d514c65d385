/* rpc.c - request/response round trips between two processes: a client
 * process sends a request of `size` bytes and waits for the reply, an echo
 * server process replies with the same bytes, over one request/response
 * region (default geometry: 64 cells, requests and replies up to 4096 B,
 * prefaulted). One round trip at a time; one-way = round trip / 2, as the
 * ping-pongs of latency.c and baseline.c. Two ways through the API:
 *  - RPC_CALL: the client calls indexbus_rpc_call (copy in, wait, copy
 *    out, done); the server takes the request with indexbus_rpc_serve,
 *    copies it out and replies with indexbus_rpc_reply (copy in);
 *  - RPC_ZERO_COPY: the client claims a request buffer, writes the
 *    request in place, sends, waits and reads the reply in place, done;
 *    the server reads the request in place and writes the echo straight
 *    into the reply buffer (reply_buffer + reply_commit).
 * The server polls indexbus_rpc_serve with no timeout, as the other
 * latency servers poll try_recv; the client waits in indexbus_rpc_wait
 * (inside rpc_call in the first mode) with a timeout of 1 s, which spins
 * before it parks. Every reply is checked: its length and its bytes
 * against the request (which carries a sequence number in its first 8
 * bytes), in place before reply_done on the zero-copy path. */
#include <string.h>

#include "bench.h"

#define RPC_TIMEOUT_NS 1000000000ull

typedef struct rpc_args {
    char name[128];
    uint32_t size;
    int mode;
} rpc_args;

typedef struct rpc_area {
    hist h;
} rpc_area;

static int rpc_client(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const rpc_args *ra = arg;
    rpc_area *a = (rpc_area *)ctl->area;
    indexbus_region *reg = open_region(ra->name);
    indexbus_rpc_client *c;
    check_ib(indexbus_rpc_client_open(reg, &c), "rpc_client_open");
    uint8_t msg[4096], reply[4096];
    memset(msg, 0x5a, sizeof(msg));
    hist_init(&a->h);
    role_ready(ctl);
    int st = 0;
    for (uint64_t seq = 1;; seq++) {
        uint32_t ph = phase_of(ctl);
        if (ph >= PHASE_STOP)
            break;
        memcpy(msg, &seq, sizeof(seq));
        size_t len = 0;
        int same = 0;
        uint64_t t0 = now_ns();
        if (ra->mode == RPC_CALL) {
            st = indexbus_rpc_call(c, msg, ra->size, reply, sizeof(reply), &len, RPC_TIMEOUT_NS);
            if (st != INDEXBUS_OK)
                break;
            same = len == ra->size && memcmp(reply, msg, len) == 0;
        } else {
            void *buf;
            uint64_t token;
            const void *data;
            if ((st = indexbus_rpc_claim(c, ra->size, &buf)) != INDEXBUS_OK)
                break;
            memcpy(buf, msg, ra->size); /* the request, written in place */
            if ((st = indexbus_rpc_send(c, ra->size, &token)) != INDEXBUS_OK)
                break;
            if ((st = indexbus_rpc_wait(c, token, &data, &len, RPC_TIMEOUT_NS)) != INDEXBUS_OK)
                break;
            /* the reply, read in place */
            same = len == ra->size && memcmp(data, msg, len) == 0;
            if ((st = indexbus_rpc_reply_done(c, token)) != INDEXBUS_OK)
                break;
        }
        uint64_t t1 = now_ns();
        if (!same) {
            warnx_("rpc client: the reply (%zu bytes) to request %llu (%u bytes) is not its echo",
                   len, (unsigned long long)seq, ra->size);
            st = INDEXBUS_CORRUPT; /* not the echo of what we sent */
            break;
        }
        if (ph == PHASE_MEASURE)
            hist_add(&a->h, t1 - t0);
    }
    /* the server stops on its own once it sees PHASE_STOP: a request it
     * left unserved is a clean end then, not an error */
    if ((st == INDEXBUS_DISCONNECTED || st == INDEXBUS_TIMEOUT) && phase_of(ctl) >= PHASE_STOP)
        st = 0;
    if (st != 0)
        warnx_("rpc client: %s", indexbus_strerror(st));
    ctl->party[0].error = st;
    indexbus_rpc_client_close(c);
    indexbus_region_close(reg);
    return st ? 2 : 0;
}

static int rpc_server(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const rpc_args *ra = arg;
    indexbus_region *reg = open_region(ra->name);
    indexbus_rpc_server *s;
    check_ib(indexbus_rpc_server_open(reg, &s), "rpc_server_open");
    uint8_t buf[4096];
    role_ready(ctl);
    int st = 0;
    uint64_t served = 0;
    for (uint32_t spins = 0;;) {
        uint64_t token;
        const void *req;
        size_t len;
        st = indexbus_rpc_serve(s, &token, &req, &len, 0);
        if (st == INDEXBUS_OK) {
            if (len > sizeof(buf)) {
                st = INDEXBUS_CORRUPT;
                break;
            }
            if (ra->mode == RPC_CALL) {
                memcpy(buf, req, len); /* the request, copied out */
                st = indexbus_rpc_reply(s, token, buf, len);
            } else {
                void *out;
                size_t cap;
                if ((st = indexbus_rpc_reply_buffer(s, token, &out, &cap)) == INDEXBUS_OK) {
                    memcpy(out, req, len); /* the echo, written in place */
                    st = indexbus_rpc_reply_commit(s, token, len);
                }
            }
            if (st != INDEXBUS_OK)
                break;
            served++;
            continue;
        }
        if (st != INDEXBUS_EMPTY)
            break;
        lat_wait();
        if ((++spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP) {
            st = 0;
            break;
        }
    }
    if (st != 0)
        warnx_("rpc server: %s", indexbus_strerror(st));
    ctl->party[1].total = served;
    ctl->party[1].error = st;
    indexbus_rpc_server_close(s);
    indexbus_region_close(reg);
    return st ? 2 : 0;
}

int rpc_latency(int mode, uint32_t size, lat_result *out, hist *h)
{
    rpc_args ra = {.size = size, .mode = mode};
    if (size > 4096)
        die("rpc_latency: %u B", size);
    region_name(ra.name, sizeof(ra.name), "rpc");
    indexbus_region_config cfg;
    check_ib(indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC), "region_config_init");
    cfg.flags = INDEXBUS_CREATE_PREFAULT; /* cells and message sizes: the defaults */
    indexbus_region *reg;
    check_ib(indexbus_region_create(ra.name, &cfg, &reg), ra.name);
    shared_ctl *ctl = ctl_map(sizeof(rpc_area));
    run_spec spec = {.parties = 2, .fn = {rpc_client, rpc_server}, .arg = {&ra, &ra}, .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    rpc_area *a = (rpc_area *)ctl->area;
    if (st == 0) {
        lat_from_hist(out, mode == RPC_CALL ? "rpc call" : "rpc zero-copy", size, &a->h, 1);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &a->h);
    }
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(ra.name);
    return st;
}

/* ---- diagnostics: the cell exchange without the library ------------------------- */

/* A minimal request/response over one cell laid out as a region's cell is
 * (LAYOUT.md 4.11: the state word at +0, the request at +128, the reply
 * at +128 + 4096), with the same orderings, to split the round trip into
 * what the line transfers cost and what the library's calls add:
 *  - 0: the client writes the request and its length, then the state
 *    REQUESTED (release); the server polls the state (acquire), copies the
 *    request into the reply, writes the reply's length and the state
 *    REPLIED (release); the client polls the state and copies the reply
 *    out; a new generation per request;
 *  - RPC_MINI_BITMAP: the client also sets the cell's bit in a pending
 *    word on its own line (fetch_or) after REQUESTED; the server polls that
 *    word, takes the bit (fetch_and), then reads the state;
 *  - RPC_MINI_CAS: the server takes the request with a CAS REQUESTED ->
 *    SERVING and replies with a CAS SERVING -> REPLIED; the client
 *    recycles the cell with a CAS REPLIED -> OWNED, as the library does.
 * Never in a ratio. */
typedef struct mini_area {
    hist h;
    _Alignas(64) uint64_t pending;
    _Alignas(64) uint8_t cell[128 + 4096 + 4096];
} mini_area;

enum { MINI_OWNED = 1, MINI_REQUESTED = 2, MINI_SERVING = 3, MINI_REPLIED = 4 };
#define MINI_STATE(a) ((uint64_t *)(a)->cell)
#define MINI_REQ_LEN(a) ((uint32_t *)((a)->cell + 8))
#define MINI_REP_LEN(a) ((uint32_t *)((a)->cell + 12))
#define MINI_REQ(a) ((a)->cell + 128)
#define MINI_REP(a) ((a)->cell + 128 + 4096)

typedef struct mini_args {
    uint32_t size, flags;
} mini_args;

static int mini_client(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const mini_args *ma = arg;
    mini_area *a = (mini_area *)ctl->area;
    uint8_t msg[4096], reply[4096];
    memset(msg, 0x5a, sizeof(msg));
    hist_init(&a->h);
    role_ready(ctl);
    for (uint64_t gen = 1;; gen++) {
        uint32_t ph = phase_of(ctl);
        if (ph >= PHASE_STOP)
            break;
        memcpy(msg, &gen, sizeof(gen));
        uint64_t t0 = now_ns();
        memcpy(MINI_REQ(a), msg, ma->size);
        __atomic_store_n(MINI_REQ_LEN(a), ma->size, __ATOMIC_RELAXED);
        /* pairs with the server's acquire load of the state */
        __atomic_store_n(MINI_STATE(a), gen << 32 | MINI_REQUESTED, __ATOMIC_RELEASE);
        if (ma->flags & RPC_MINI_BITMAP)
            __atomic_fetch_or(&a->pending, 1, __ATOMIC_ACQ_REL); /* pairs with the server's fetch_and */
        uint64_t want = gen << 32 | MINI_REPLIED;
        /* pairs with the server's release of REPLIED */
        for (uint32_t spins = 1; __atomic_load_n(MINI_STATE(a), __ATOMIC_ACQUIRE) != want;
             spins++) {
            lat_wait();
            if ((spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
                return 0;
        }
        uint32_t len = __atomic_load_n(MINI_REP_LEN(a), __ATOMIC_RELAXED);
        if (len != ma->size)
            return 2;
        memcpy(reply, MINI_REP(a), len);
        if (ma->flags & RPC_MINI_CAS) {
            uint64_t w = want;
            if (!__atomic_compare_exchange_n(MINI_STATE(a), &w, (gen + 1) << 32 | MINI_OWNED, 0,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return 2; /* pairs with the server's CASes */
        }
        uint64_t t1 = now_ns();
        if (memcmp(reply, msg, len) != 0)
            return 2;
        if (ph == PHASE_MEASURE)
            hist_add(&a->h, t1 - t0);
    }
    return 0;
}

static int mini_server(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const mini_args *ma = arg;
    mini_area *a = (mini_area *)ctl->area;
    role_ready(ctl);
    uint64_t last = 0;
    for (uint32_t spins = 0;;) {
        uint64_t w;
        if (ma->flags & RPC_MINI_BITMAP) {
            if (__atomic_load_n(&a->pending, __ATOMIC_RELAXED) == 0 ||
                (__atomic_fetch_and(&a->pending, ~1ull, __ATOMIC_ACQ_REL) & 1) == 0) {
                lat_wait();
                if ((++spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
                    return 0;
                continue;
            }
            /* pairs with the client's release of REQUESTED */
            w = __atomic_load_n(MINI_STATE(a), __ATOMIC_ACQUIRE);
            if ((w & 0xff) != MINI_REQUESTED)
                return 2;
        } else {
            w = __atomic_load_n(MINI_STATE(a), __ATOMIC_ACQUIRE); /* as above */
            if ((w & 0xff) != MINI_REQUESTED || w == last) {
                lat_wait();
                if ((++spins & 0xfff) == 0 && phase_of(ctl) >= PHASE_STOP)
                    return 0;
                continue;
            }
        }
        last = w;
        uint64_t gen = w >> 32;
        if ((ma->flags & RPC_MINI_CAS) &&
            !__atomic_compare_exchange_n(MINI_STATE(a), &w, gen << 32 | MINI_SERVING, 0,
                                         __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
            return 2; /* pairs with the client's CAS */
        uint32_t len = __atomic_load_n(MINI_REQ_LEN(a), __ATOMIC_RELAXED);
        if (len > 4096)
            return 2;
        memcpy(MINI_REP(a), MINI_REQ(a), len);
        __atomic_store_n(MINI_REP_LEN(a), len, __ATOMIC_RELAXED);
        if (ma->flags & RPC_MINI_CAS) {
            uint64_t s = gen << 32 | MINI_SERVING;
            if (!__atomic_compare_exchange_n(MINI_STATE(a), &s, gen << 32 | MINI_REPLIED, 0,
                                             __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
                return 2; /* pairs with the client's acquire load */
        } else {
            /* pairs with the client's acquire load */
            __atomic_store_n(MINI_STATE(a), gen << 32 | MINI_REPLIED, __ATOMIC_RELEASE);
        }
    }
}

int rpc_mini_latency(uint32_t size, uint32_t flags, lat_result *out, hist *h)
{
    mini_args ma = {.size = size, .flags = flags};
    if (size > 4096)
        die("rpc_mini_latency: %u B", size);
    shared_ctl *ctl = ctl_map(sizeof(mini_area));
    run_spec spec = {.parties = 2, .fn = {mini_client, mini_server}, .arg = {&ma, &ma}, .pin = 1};
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    mini_area *a = (mini_area *)ctl->area;
    if (st == 0) {
        lat_from_hist(out, "rpc cell", size, &a->h, 1);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &a->h);
    }
    ctl_unmap(ctl);
    return st;
}
