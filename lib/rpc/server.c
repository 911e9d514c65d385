/*
 * server.c - request/response servers (LAYOUT.md 5.19): take a pending bit,
 * move its cell REQUESTED -> SERVING (one server wins), read the request in
 * place, reply into the same cell and mark it REPLIED, waking its client.
 * Any number of servers share the bitmap (a work queue); each may hold many
 * requests. Every shared word is read once and checked (LAYOUT.md 7).
 */
#include <string.h>

#include "../common/clock.h"
#include "../common/wake.h"
#include "rpc.h"
#include "rpc_cell.h"

INDEXBUS_API int indexbus_rpc_server_open(indexbus_region *region, indexbus_rpc_server **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (region->v.kind != INDEXBUS_KIND_RPC || region->v.rpc == NULL)
        return INDEXBUS_WRONG_KIND;
    int st;
    indexbus_rpc_server *s =
        ib_handle_attach(region, sizeof(*s), INDEXBUS_ROLE_RPC_SERVER, 0, &st);
    if (s == NULL)
        return st;
    s->me = s->h.part + 1;
    ib_notify_register();
    *out = s;
    return INDEXBUS_OK;
}

/* Let go of a request this server holds, last read as *w (SERVING or
 * ABANDONED, naming us): SERVING -> FAILED (its client wakes and gets
 * DISCONNECTED), ABANDONED -> FREE. 1 if done, 0 if the word moved (*w
 * has the new value): the caller reads it again. */
static int let_go(ib_view *v, indexbus_rpc_cell *cell, uint64_t *w, uint32_t *failed)
{
    uint32_t g = ib_rpc_gen(*w), client1 = ib_rpc_client(*w);
    if (ib_rpc_state(*w) == INDEXBUS_RPC_SERVING) {
        /* release: pairs with the client's acquire load of state in wait
         * (it recycles the cell); loses to a client that gives up
         * (ABANDONED) */
        if (!ib_cas_acq_rel(&cell->state, w, ib_rpc_word(g, 0, client1, INDEXBUS_RPC_FAILED)))
            return 0;
        ib_fetch_add_relaxed(&v->rpc->requests_failed, 1);
        ib_wake_notify(&cell->wake);
        (*failed)++;
        return 1;
    }
    /* ABANDONED: pairs with the claimers' acq_rel CAS from FREE */
    return ib_cas_acq_rel(&cell->state, w, ib_rpc_word(g, 0, 0, INDEXBUS_RPC_FREE));
}

/* Let go of cell's request if server1 holds it (SERVING or ABANDONED),
 * reading the word again after a lost CAS, a bounded number of times. */
static void let_go_cell(ib_view *v, indexbus_rpc_cell *cell, uint32_t server1, uint32_t *failed)
{
    uint64_t w = ib_load_relaxed(&cell->state);
    for (uint32_t tries = 0; tries < IB_RPC_CAS_TRIES; tries++) {
        uint32_t st = ib_rpc_state(w);
        if (!ib_rpc_word_ok(w) || ib_rpc_server(w) != server1 ||
            (st != INDEXBUS_RPC_SERVING && st != INDEXBUS_RPC_ABANDONED))
            return; /* no other state names a server */
        if (let_go(v, cell, &w, failed))
            return;
    }
}

uint32_t ib_rpc_server_release(ib_view *v, uint32_t server1)
{
    uint32_t failed = 0;
    for (uint32_t i = 0; i < v->rpc_cell_count; i++)
        let_go_cell(v, ib_rpc_cell_at(v, i), server1, &failed);
    return failed;
}

void ib_rpc_rearm_requested(ib_view *v)
{
    uint32_t found = 0;
    for (uint32_t i = 0; i < v->rpc_cell_count; i++) {
        /* a snapshot decides only whether to set a hint bit (LAYOUT.md 7) */
        uint64_t w = ib_load_relaxed(&ib_rpc_cell_at(v, i)->state);
        if (!ib_rpc_word_ok(w) || ib_rpc_state(w) != INDEXBUS_RPC_REQUESTED)
            continue;
        /* as the client's or.ar in send: pairs with a server's and.ar that
         * takes the bit, after which it reads the state with acquire */
        ib_fetch_or_acq_rel(&v->rpc->pending[i / 64u], 1ull << (i % 64u));
        found++;
    }
    if (found)
        ib_wake_notify(&v->rpc->server_wake);
}

INDEXBUS_API int indexbus_rpc_server_close(indexbus_rpc_server *s)
{
    if (s == NULL)
        return INDEXBUS_OK;
    /* fail what we hold before the live count drops (ib_handle_detach):
     * a client that sees no server left finds its request FAILED already */
    ib_rpc_server_release(s->h.v, s->me);
    ib_handle_detach(&s->h);
    return INDEXBUS_OK;
}

/* Cell i's pending bit was ours: make it SERVING if it is REQUESTED. */
static int serve_cell(indexbus_rpc_server *s, uint32_t i, uint64_t *token, const void **request,
                      size_t *len)
{
    ib_view *v = s->h.v;
    indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
    /* the request and its length before REQUESTED; pairs with the
     * client's release store of REQUESTED in send */
    uint64_t w = ib_load_acquire(&cell->state);
    if (!ib_rpc_word_ok(w) || ib_rpc_state(w) != INDEXBUS_RPC_REQUESTED || ib_rpc_client(w) == 0)
        return 0; /* a stale bit (cancelled, or taken after a re-send) */
    uint32_t g = ib_rpc_gen(w), client1 = ib_rpc_client(w);
    /* one taker: pairs with the client's acq_rel CAS in cancel and close
     * (REQUESTED -> OWNED / FREE) */
    if (!ib_cas_acq_rel(&cell->state, &w, ib_rpc_word(g, s->me, client1, INDEXBUS_RPC_SERVING)))
        return 0;
    uint32_t n = ib_load_relaxed(&cell->request_len);
    if (n > v->rpc_max_request) { /* bad contents: fail it, its client wakes */
        uint32_t failed = 0;
        let_go_cell(v, cell, s->me, &failed);
        return 0;
    }
    s->hint = i + 1 < v->rpc_cell_count ? i + 1 : 0;
    *token = ib_rpc_token(g, i);
    *request = ib_rpc_request_area(v, i);
    *len = n;
    return 1;
}

/* One pass over the pending bitmap, from the hint round to it again. */
static int take_request(indexbus_rpc_server *s, uint64_t *token, const void **request,
                        size_t *len)
{
    ib_view *v = s->h.v;
    uint32_t count = v->rpc_cell_count;
    uint32_t nwords = (count + 63) / 64;
    uint32_t start = s->hint < count ? s->hint : 0;
    uint32_t sw = start / 64, sb = start % 64;
    uint32_t budget = 2 * count + 128; /* bits taken per pass; bounds a forging peer */
    for (uint32_t k = 0; k <= nwords; k++) {
        uint32_t wi = sw + k < nwords ? sw + k : sw + k - nwords;
        uint64_t mask = ~0ull;
        if (k == 0)
            mask = ~0ull << sb;
        else if (k == nwords)
            mask = sb != 0 ? (1ull << sb) - 1 : 0; /* the first word's low bits, last */
        uint64_t *word = &v->rpc->pending[wi];
        for (;;) {
            uint64_t bits = ib_load_relaxed(word) & mask;
            if (bits == 0)
                break;
            if (budget-- == 0)
                return INDEXBUS_EMPTY;
            uint64_t bit = 1ull << __builtin_ctzll(bits);
            /* pairs with the client's acq_rel fetch_or in send: its
             * REQUESTED store is then visible to serve_cell */
            uint64_t old = ib_fetch_and_acq_rel(word, ~bit);
            if ((old & bit) == 0)
                continue; /* another server took it */
            uint32_t i = wi * 64 + (uint32_t)__builtin_ctzll(bit);
            if (i >= count)
                continue; /* a forged bit past the table */
            if (serve_cell(s, i, token, request, len))
                return INDEXBUS_OK;
        }
    }
    return INDEXBUS_EMPTY;
}

static int any_pending(void *arg)
{
    const ib_view *v = arg;
    uint32_t nwords = (v->rpc_cell_count + 63) / 64;
    for (uint32_t i = 0; i < nwords; i++)
        if (ib_load_relaxed(&v->rpc->pending[i]) != 0)
            return 1;
    return 0;
}

INDEXBUS_API int indexbus_rpc_serve(indexbus_rpc_server *s, uint64_t *token,
                                    const void **request, size_t *len, uint64_t timeout_ns)
{
    if (s == NULL || token == NULL || request == NULL || len == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = s->h.v;
    uint64_t deadline = 0;
    for (uint32_t polls = 0;; polls++) {
        int st = take_request(s, token, request, len);
        if (st != INDEXBUS_EMPTY)
            return st;
        if (timeout_ns == 0)
            return INDEXBUS_EMPTY;
        if (polls < IB_RPC_SPIN_POLLS) {
            ib_cpu_relax();
            continue;
        }
        uint64_t now = ib_now_monotonic_ns();
        if (deadline == 0)
            deadline = ib_deadline(now, timeout_ns);
        if (now >= deadline)
            return INDEXBUS_TIMEOUT;
        uint64_t left = deadline - now;
        ib_park(&v->rpc->server_wake, any_pending, v,
                left < IB_RPC_MAX_PARK_NS ? left : IB_RPC_MAX_PARK_NS);
    }
}

/* Our held cell for token (SERVING, or ABANDONED by its client): its
 * index, and its word in *w; NIL otherwise. */
static uint32_t held_cell(const indexbus_rpc_server *s, uint64_t token, uint64_t *w)
{
    const ib_view *v = s->h.v;
    uint32_t i = (uint32_t)token, g = (uint32_t)(token >> 32);
    if (i >= v->rpc_cell_count || g == 0)
        return IB_RPC_NIL;
    *w = ib_load_relaxed(&ib_rpc_cell_at(v, i)->state);
    uint32_t st = ib_rpc_state(*w);
    if (!ib_rpc_word_ok(*w) || ib_rpc_server(*w) != s->me || ib_rpc_gen(*w) != g ||
        (st != INDEXBUS_RPC_SERVING && st != INDEXBUS_RPC_ABANDONED))
        return IB_RPC_NIL;
    return i;
}

INDEXBUS_API int indexbus_rpc_reply_buffer(indexbus_rpc_server *s, uint64_t token, void **buf,
                                           size_t *cap)
{
    if (s == NULL || buf == NULL || cap == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    uint64_t w;
    uint32_t i = held_cell(s, token, &w);
    if (i == IB_RPC_NIL)
        return INDEXBUS_NOT_FOUND;
    *buf = ib_rpc_reply_area(s->h.v, i);
    *cap = s->h.v->rpc_max_reply;
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_rpc_reply_commit(indexbus_rpc_server *s, uint64_t token, size_t len)
{
    if (s == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = s->h.v;
    for (uint32_t tries = 0;; tries++) {
        if (tries == IB_RPC_CAS_TRIES)
            return INDEXBUS_CORRUPT;
        uint64_t w;
        uint32_t i = held_cell(s, token, &w);
        if (i == IB_RPC_NIL)
            return INDEXBUS_NOT_FOUND;
        if (len > v->rpc_max_reply)
            return INDEXBUS_TOO_LARGE;
        indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
        uint32_t g = ib_rpc_gen(w), client1 = ib_rpc_client(w);
        if (ib_rpc_state(w) == INDEXBUS_RPC_SERVING) {
            ib_store_relaxed(&cell->reply_len, (uint32_t)len);
            /* release: the reply bytes and reply_len before REPLIED:
             * pairs with the client's acquire load of state in wait. It loses to
             * a client that gives up (ABANDONED): read it again */
            if (ib_cas_acq_rel(&cell->state, &w,
                               ib_rpc_word(g, 0, client1, INDEXBUS_RPC_REPLIED))) {
                ib_wake_notify(&cell->wake);
                return INDEXBUS_OK;
            }
        } else { /* ABANDONED: nobody waits; the cell is free again */
            /* pairs with the claimers' acq_rel CAS from FREE */
            if (ib_cas_acq_rel(&cell->state, &w, ib_rpc_word(g, 0, 0, INDEXBUS_RPC_FREE))) {
                ib_fetch_add_relaxed(&v->rpc->replies_abandoned, 1);
                return INDEXBUS_OK;
            }
        }
    }
}

INDEXBUS_API int indexbus_rpc_fail(indexbus_rpc_server *s, uint64_t token)
{
    if (s == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    uint32_t failed = 0;
    for (uint32_t tries = 0; tries < IB_RPC_CAS_TRIES; tries++) {
        uint64_t w;
        uint32_t i = held_cell(s, token, &w);
        if (i == IB_RPC_NIL)
            return INDEXBUS_NOT_FOUND;
        if (let_go(s->h.v, ib_rpc_cell_at(s->h.v, i), &w, &failed))
            return INDEXBUS_OK;
    }
    return INDEXBUS_CORRUPT;
}

INDEXBUS_API int indexbus_rpc_reply(indexbus_rpc_server *s, uint64_t token, const void *data,
                                    size_t len)
{
    if (s == NULL || (data == NULL && len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    void *buf;
    size_t cap;
    int st = indexbus_rpc_reply_buffer(s, token, &buf, &cap);
    if (st != INDEXBUS_OK)
        return st;
    if (len > cap)
        return INDEXBUS_TOO_LARGE;
    if (len != 0)
        memcpy(buf, data, len);
    return indexbus_rpc_reply_commit(s, token, len);
}
