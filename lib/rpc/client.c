/*
 * client.c - request/response clients (LAYOUT.md 5.19): take a cell (the
 * one kept from the last request, else a FREE one), write the request in
 * place, mark it REQUESTED and set its pending bit; wait for REPLIED (or
 * FAILED: the server left) parked on the cell's wake entry; recycle.
 * Every shared word is read once into a local and checked (LAYOUT.md 7).
 */
#include <string.h>

#include "../common/clock.h"
#include "../common/wake.h"
#include "rpc.h"
#include "rpc_cell.h"

INDEXBUS_API int indexbus_rpc_client_open(indexbus_region *region, indexbus_rpc_client **out)
{
    if (out == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    *out = NULL;
    if (region == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (region->v.kind != INDEXBUS_KIND_RPC || region->v.rpc == NULL)
        return INDEXBUS_WRONG_KIND;
    int st;
    indexbus_rpc_client *c =
        ib_handle_attach(region, sizeof(*c), INDEXBUS_ROLE_RPC_CLIENT, 0, &st);
    if (c == NULL)
        return st;
    c->me = c->h.part + 1;
    c->cached = IB_RPC_NIL;
    c->claimed = IB_RPC_NIL;
    /* clients start their scans apart */
    c->hint = (uint32_t)(((uint64_t)c->h.part * 2654435761u) % region->v.rpc_cell_count);
    ib_notify_register();
    *out = c;
    return INDEXBUS_OK;
}

uint32_t ib_rpc_client_release(ib_view *v, uint32_t client1, int dead)
{
    uint32_t changed = 0;
    for (uint32_t i = 0; i < v->rpc_cell_count; i++) {
        indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
        for (uint32_t tries = 0; tries < IB_RPC_CAS_TRIES; tries++) {
            uint64_t w = ib_load_relaxed(&cell->state);
            if (!ib_rpc_word_ok(w) || ib_rpc_client(w) != client1)
                break;
            uint32_t g = ib_rpc_gen(w), s = ib_rpc_state(w);
            uint64_t to;
            if (s == INDEXBUS_RPC_OWNED || s == INDEXBUS_RPC_REQUESTED ||
                s == INDEXBUS_RPC_REPLIED || s == INDEXBUS_RPC_FAILED)
                to = ib_rpc_word(g, 0, 0, INDEXBUS_RPC_FREE);
            else if (s == INDEXBUS_RPC_SERVING)
                to = ib_rpc_word(g, ib_rpc_server(w), client1, INDEXBUS_RPC_ABANDONED);
            else
                break; /* FREE with a stray id, or ABANDONED already */
            if (dead) /* killed parked: its count would read as "parked" for ever */
                ib_store_relaxed(&cell->wake.waiters, 0);
            /* release: our last reads of the cell happen before its next owner
             * writes it; pairs with the claimers' acq_rel CAS from FREE (and
             * for ABANDONED with the server's CAS in reply_commit). On failure
             * a server moved it (SERVING -> REPLIED): read it again */
            if (ib_cas_acq_rel(&cell->state, &w, to)) {
                changed++;
                break;
            }
        }
    }
    return changed;
}

INDEXBUS_API int indexbus_rpc_client_close(indexbus_rpc_client *c)
{
    if (c == NULL)
        return INDEXBUS_OK;
    ib_rpc_client_release(c->h.v, c->me, 0);
    ib_handle_detach(&c->h);
    return INDEXBUS_OK;
}

/* Every server that ever attached has left (closed, or died and was
 * recovered, which failed its requests first). */
static int servers_gone(const ib_view *v)
{
    const indexbus_participants_ctl *p = &v->parts->ctl;
    /* pairs with the acq_rel fetch_sub of consumers_live in
     * ib_participant_detach: a server that left failed its requests before */
    uint32_t ever = ib_load_acquire(&p->consumers_ever);
    /* pairs with the same fetch_sub (or the recoverer's decrement after
     * ib_rpc_recover_entry) */
    return ever != 0 && ib_load_acquire(&p->consumers_live) == 0;
}

/* Our cell i, last read as w (REQUESTED, REPLIED or FAILED, ours): keep it
 * OWNED as the cached cell if the cache is empty, else make it FREE. 0 if
 * the word changed meanwhile (a server took a REQUESTED cell). */
static int recycle(indexbus_rpc_client *c, uint32_t i, uint64_t w)
{
    indexbus_rpc_cell *cell = ib_rpc_cell_at(c->h.v, i);
    int keep = c->cached == IB_RPC_NIL;
    uint64_t to = keep ? ib_rpc_word(ib_rpc_gen(w), 0, c->me, INDEXBUS_RPC_OWNED)
                       : ib_rpc_word(ib_rpc_gen(w), 0, 0, INDEXBUS_RPC_FREE);
    /* release: our reads of the reply happen before the next owner writes
     * the cell; pairs with the claimers' acq_rel CAS from FREE */
    if (!ib_cas_acq_rel(&cell->state, &w, to))
        return 0;
    if (keep)
        c->cached = i;
    return 1;
}

/* A cell for a new request, OWNED by us with a new generation. */
static int take_cell(indexbus_rpc_client *c, uint32_t *cell_out, uint32_t *gen_out)
{
    const ib_view *v = c->h.v;
    uint32_t i = c->cached;
    if (i != IB_RPC_NIL) {
        c->cached = IB_RPC_NIL;
        indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
        uint64_t w = ib_load_relaxed(&cell->state); /* ours: only we write an OWNED cell */
        if (ib_rpc_word_ok(w) && ib_rpc_state(w) == INDEXBUS_RPC_OWNED &&
            ib_rpc_client(w) == c->me && ib_rpc_server(w) == 0) {
            uint32_t g = ib_rpc_next_gen(ib_rpc_gen(w));
            ib_store_relaxed(&cell->state, ib_rpc_word(g, 0, c->me, INDEXBUS_RPC_OWNED));
            *cell_out = i;
            *gen_out = g;
            return INDEXBUS_OK;
        }
        /* not ours any more (rewritten by someone): take another */
    }
    uint32_t n = v->rpc_cell_count;
    uint32_t start = c->hint < n ? c->hint : 0;
    for (uint32_t k = 0; k < n; k++) {
        i = start + k < n ? start + k : start + k - n;
        indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
        uint64_t w = ib_load_relaxed(&cell->state);
        if (!ib_rpc_word_ok(w) || ib_rpc_state(w) != INDEXBUS_RPC_FREE)
            continue;
        uint32_t g = ib_rpc_next_gen(ib_rpc_gen(w));
        /* acquire: the previous owner's use of the cell happens before
         * ours; pairs with the release CAS to FREE in recycle,
         * ib_rpc_client_release and reply_commit of an ABANDONED cell */
        if (ib_cas_acq_rel(&cell->state, &w, ib_rpc_word(g, 0, c->me, INDEXBUS_RPC_OWNED))) {
            c->hint = i + 1 < n ? i + 1 : 0;
            *cell_out = i;
            *gen_out = g;
            return INDEXBUS_OK;
        }
    }
    return INDEXBUS_FULL;
}

INDEXBUS_API int indexbus_rpc_claim(indexbus_rpc_client *c, size_t len, void **buf)
{
    if (c == NULL || buf == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    if (c->claimed != IB_RPC_NIL)
        return INDEXBUS_BAD_STATE;
    if (len > c->h.v->rpc_max_request)
        return INDEXBUS_TOO_LARGE;
    uint32_t i, g;
    int st = take_cell(c, &i, &g);
    if (st != INDEXBUS_OK)
        return st;
    c->claimed = i;
    c->claimed_gen = g;
    *buf = ib_rpc_request_area(c->h.v, i);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_rpc_send(indexbus_rpc_client *c, size_t len, uint64_t *token)
{
    if (c == NULL || token == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = c->h.v;
    uint32_t i = c->claimed, g = c->claimed_gen;
    if (i == IB_RPC_NIL)
        return INDEXBUS_BAD_STATE;
    if (len > v->rpc_max_request)
        return INDEXBUS_TOO_LARGE;
    c->claimed = IB_RPC_NIL;
    if (servers_gone(v)) {
        c->cached = i; /* empty while a claim is pending: keep the cell */
        return INDEXBUS_DISCONNECTED;
    }
    indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
    ib_store_relaxed(&cell->request_len, (uint32_t)len);
    /* the request bytes and length before REQUESTED; pairs with the
     * server's acquire load of state after it takes the pending bit */
    ib_store_release(&cell->state, ib_rpc_word(g, 0, c->me, INDEXBUS_RPC_REQUESTED));
    /* after REQUESTED: a server that takes the bit sees the state; pairs
     * with the server's acq_rel fetch_and in take_request */
    ib_fetch_or_acq_rel(&v->rpc->pending[i / 64], 1ull << (i % 64));
    ib_wake_notify(&v->rpc->server_wake);
    *token = ib_rpc_token(g, i);
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_rpc_abort(indexbus_rpc_client *c)
{
    if (c == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    uint32_t i = c->claimed;
    if (i == IB_RPC_NIL)
        return INDEXBUS_BAD_STATE;
    c->claimed = IB_RPC_NIL;
    if (c->cached == IB_RPC_NIL) {
        c->cached = i; /* still OWNED by us: the next request reuses it */
        return INDEXBUS_OK;
    }
    /* ours (nobody else writes an OWNED cell); release: pairs with the
     * claimers' acq_rel CAS from FREE */
    ib_store_release(&ib_rpc_cell_at(c->h.v, i)->state,
                     ib_rpc_word(c->claimed_gen, 0, 0, INDEXBUS_RPC_FREE));
    return INDEXBUS_OK;
}

INDEXBUS_API int indexbus_rpc_request(indexbus_rpc_client *c, const void *data, size_t len,
                                      uint64_t *token)
{
    if (c == NULL || token == NULL || (data == NULL && len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    void *buf;
    int st = indexbus_rpc_claim(c, len, &buf);
    if (st != INDEXBUS_OK)
        return st;
    if (len != 0)
        memcpy(buf, data, len);
    return indexbus_rpc_send(c, len, token);
}

/* The token's cell, or NIL if it cannot name one. */
static uint32_t token_cell(const ib_view *v, uint64_t token)
{
    uint32_t i = (uint32_t)token;
    return i < v->rpc_cell_count && (token >> 32) != 0 ? i : IB_RPC_NIL;
}

typedef struct park_ctx {
    const uint64_t *state;
    uint64_t seen;
} park_ctx;

static int state_changed(void *arg)
{
    park_ctx *p = arg;
    return ib_load_relaxed(p->state) != p->seen;
}

INDEXBUS_API int indexbus_rpc_wait(indexbus_rpc_client *c, uint64_t token, const void **data,
                                   size_t *len, uint64_t timeout_ns)
{
    if (c == NULL || data == NULL || len == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = c->h.v;
    uint32_t i = token_cell(v, token), g = (uint32_t)(token >> 32);
    if (i == IB_RPC_NIL)
        return INDEXBUS_NOT_FOUND;
    indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
    uint64_t deadline = 0;
    uint32_t parks = 0, lost = 0;
    for (uint32_t polls = 0;; polls++) {
        /* the reply bytes and reply_len before REPLIED (or FAILED):
         * pairs with the server's release CAS in reply_commit / release */
        uint64_t w = ib_load_acquire(&cell->state);
        if (!ib_rpc_word_ok(w))
            return INDEXBUS_CORRUPT;
        if (ib_rpc_client(w) != c->me || ib_rpc_gen(w) != g)
            return INDEXBUS_NOT_FOUND;
        uint32_t s = ib_rpc_state(w);
        if (s == INDEXBUS_RPC_REPLIED) {
            uint32_t n = ib_load_relaxed(&cell->reply_len);
            if (n > v->rpc_max_reply)
                return INDEXBUS_CORRUPT;
            *data = ib_rpc_reply_area(v, i);
            *len = n;
            return INDEXBUS_OK;
        }
        if (s != INDEXBUS_RPC_REQUESTED && s != INDEXBUS_RPC_SERVING && s != INDEXBUS_RPC_FAILED)
            return INDEXBUS_NOT_FOUND; /* OWNED (not sent, cancelled), ABANDONED, FREE */
        /* FAILED: its server left; REQUESTED with no server left: nobody
         * will take it. A recycle that loses a race (a server took the
         * request, or failed it) reads the word again, a few times */
        if (s == INDEXBUS_RPC_FAILED || (s == INDEXBUS_RPC_REQUESTED && servers_gone(v))) {
            if (recycle(c, i, w))
                return INDEXBUS_DISCONNECTED;
            if (++lost < IB_RPC_CAS_TRIES)
                continue;
        }
        if (timeout_ns == 0)
            return INDEXBUS_TIMEOUT;
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
        park_ctx p = {&cell->state, w};
        ib_park(&cell->wake, state_changed, &p,
                left < IB_RPC_MAX_PARK_NS ? left : IB_RPC_MAX_PARK_NS);
        /* the first park of a call, then every so often: a dead server is
         * what fails its requests */
        if (++parks % IB_RPC_RECOVER_EVERY == 1) {
            indexbus_recover_report rep = {.size = sizeof(rep)};
            ib_recover(c->h.region, 0, &rep);
        }
    }
}

/* Our cell `i` with the token's generation, last read as *w, in state s. */
static int ours(const indexbus_rpc_client *c, uint64_t w, uint32_t g)
{
    return ib_rpc_word_ok(w) && ib_rpc_client(w) == c->me && ib_rpc_gen(w) == g;
}

INDEXBUS_API int indexbus_rpc_reply_done(indexbus_rpc_client *c, uint64_t token)
{
    if (c == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    uint32_t i = token_cell(c->h.v, token), g = (uint32_t)(token >> 32);
    if (i == IB_RPC_NIL)
        return INDEXBUS_NOT_FOUND;
    /* REPLIED is final until we move it: nothing to acquire beyond wait's */
    uint64_t w = ib_load_relaxed(&ib_rpc_cell_at(c->h.v, i)->state);
    if (!ours(c, w, g) || ib_rpc_state(w) != INDEXBUS_RPC_REPLIED)
        return INDEXBUS_NOT_FOUND;
    return recycle(c, i, w) ? INDEXBUS_OK : INDEXBUS_NOT_FOUND;
}

INDEXBUS_API int indexbus_rpc_cancel(indexbus_rpc_client *c, uint64_t token)
{
    if (c == NULL)
        return INDEXBUS_INVALID_ARGUMENT;
    ib_view *v = c->h.v;
    uint32_t i = token_cell(v, token), g = (uint32_t)(token >> 32);
    if (i == IB_RPC_NIL)
        return INDEXBUS_NOT_FOUND;
    indexbus_rpc_cell *cell = ib_rpc_cell_at(v, i);
    for (uint32_t tries = 0;; tries++) {
        if (tries == IB_RPC_CAS_TRIES)
            return INDEXBUS_CORRUPT;
        uint64_t w = ib_load_relaxed(&cell->state);
        if (!ours(c, w, g))
            return INDEXBUS_NOT_FOUND;
        switch (ib_rpc_state(w)) {
        case INDEXBUS_RPC_REQUESTED: /* a stale pending bit stays: servers skip it */
        case INDEXBUS_RPC_FAILED:
            if (recycle(c, i, w))
                return INDEXBUS_OK;
            break; /* a server took it meanwhile */
        case INDEXBUS_RPC_REPLIED:
            if (recycle(c, i, w)) {
                ib_fetch_add_relaxed(&v->rpc->replies_abandoned, 1);
                return INDEXBUS_OK;
            }
            break;
        case INDEXBUS_RPC_SERVING: {
            uint64_t to = ib_rpc_word(g, ib_rpc_server(w), c->me, INDEXBUS_RPC_ABANDONED);
            /* the server's reply frees it; pairs with the server's acq_rel
             * CAS in reply_commit (one of the two wins) */
            if (ib_cas_acq_rel(&cell->state, &w, to))
                return INDEXBUS_OK;
            break; /* it replied (or failed) meanwhile */
        }
        default:
            return INDEXBUS_NOT_FOUND;
        }
    }
}

INDEXBUS_API int indexbus_rpc_call(indexbus_rpc_client *c, const void *request,
                                   size_t request_len, void *reply, size_t reply_cap,
                                   size_t *reply_len, uint64_t timeout_ns)
{
    if (c == NULL || reply_len == NULL || (reply == NULL && reply_cap != 0) ||
        (request == NULL && request_len != 0))
        return INDEXBUS_INVALID_ARGUMENT;
    uint64_t token;
    int st = indexbus_rpc_request(c, request, request_len, &token);
    if (st != INDEXBUS_OK)
        return st;
    const void *data;
    size_t n;
    st = indexbus_rpc_wait(c, token, &data, &n, timeout_ns);
    if (st == INDEXBUS_OK) {
        *reply_len = n;
        if (n > reply_cap)
            st = INDEXBUS_BUFFER_TOO_SMALL;
        else if (n != 0)
            memcpy(reply, data, n);
        indexbus_rpc_reply_done(c, token);
        return st;
    }
    if (st == INDEXBUS_TIMEOUT || st == INDEXBUS_CORRUPT)
        indexbus_rpc_cancel(c, token);
    return st;
}
