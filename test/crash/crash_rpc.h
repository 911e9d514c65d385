/*
 * crash_rpc.h - request/response in the kill campaign (part of crash.c,
 * included once after its infrastructure; not a stand-alone header).
 *
 * Two scenarios: rpc-1s (one server process, 2..3 clients, 16 cells) and
 * rpc-2s (two servers, a work queue, 3 clients, 16 cells); requests and
 * replies of 16..256 bytes (max 256 each way). Clients are prec records
 * (role R_PROD), servers crec (R_CONS). A client keeps 1..4 requests
 * outstanding and sends by copy (rpc_request), in place (rpc_claim +
 * rpc_send; one claim in sixteen is given back unsent with rpc_abort) or
 * whole round trips (rpc_call); it waits for them in any order (timeouts
 * 0 or 2 ms), sometimes cancels one right after sending it, and
 * after a reply checks that waiting again and a second reply_done give
 * NOT_FOUND. A server holds 1..4 requests and replies in any order, in
 * place (reply_buffer + reply_commit) or by copy, sometimes replies
 * twice (the second must be NOT_FOUND), and drops one request in 32
 * unanswered (rpc_fail: its client gets DISCONNECTED). Every request carries (client,
 * seq) and bytes derived from them; every reply carries the same (client,
 * seq) and other derived bytes, both checked byte for byte.
 *
 * Invariants (the campaign's S, I1, I2, I3 for request/response):
 *   S   every process ends by itself; every request of a live client has
 *       an outcome within 3 s of the stop (its reply, DISCONNECTED, or its
 *       cancel)
 *   I1  nobody attached at the end; every cell FREE with no client or
 *       server named (indexbus_info.rpc_cells_free == rpc_cells)
 *   I2  exactly one outcome per request of a live client; a reply is the
 *       reply to that request (never another's); a request was served at
 *       most once overall, and every reply came from a server that served
 *       it; DISCONNECTED exactly for the requests the dead server held when
 *       it died (SERVING, read from the cells at death) and those a server
 *       dropped with rpc_fail, except in rpc-1s, where requests waiting
 *       while no server was attached (between the kill and the
 *       replacement's attach) may also get it (counted); held and dropped
 *       requests never get a reply; requests_failed moved by at least the
 *       held ones that got DISCONNECTED and at most the held and dropped
 *   I3  a fresh server and client still make a round trip, and the cells
 *       are all free again afterwards
 */

#define RPC_STOP_NS 3000000000ull /* after the stop: every request has its outcome by then */

/* ---- the raw view: cells through the frozen layout (LAYOUT.md 4.11) ---- */

typedef struct rawrpc {
    const indexbus_rpc_ctl *ctl;
    const uint8_t *cells;
    uint32_t n, stride, maxreq;
} rawrpc;

static rawrpc RW;

static int rawrpc_map(rawrpc *q, const raw_view *w)
{
    memset(q, 0, sizeof *q);
    q->ctl = (const indexbus_rpc_ctl *)raw_section(w->h, w->base, INDEXBUS_SECTION_RPC_CTL);
    q->cells = raw_section(w->h, w->base, INDEXBUS_SECTION_RPC_CELLS);
    q->n = w->h->slot_count;
    q->stride = w->h->slot_stride;
    q->maxreq = w->h->slot_data_size;
    return q->ctl != NULL && q->cells != NULL ? 0 : -1;
}

static const indexbus_rpc_cell *rr_cell(uint32_t i)
{
    return (const indexbus_rpc_cell *)(RW.cells + (uint64_t)i * RW.stride);
}
static uint64_t rr_state(uint32_t i) { return raw_ld64(&rr_cell(i)->state); }
static uint32_t rr_st(uint64_t w) { return (uint32_t)(w & 0xffu); }
static uint32_t rr_client(uint64_t w) { return (uint32_t)((w >> 8) & 0x1ffu); }
static uint32_t rr_server(uint64_t w) { return (uint32_t)((w >> 17) & 0x1ffu); }
static int rr_pending(uint32_t i) { return (int)((raw_ld64(&RW.ctl->pending[i / 64]) >> (i % 64)) & 1u); }

/* ---- messages ---- */

static uint32_t rpc_len(uint32_t iter, uint32_t p, uint32_t s, uint32_t salt)
{
    return HDR + (uint32_t)(mix64(msg_key(iter, p, s) ^ salt) % (RPC_MSG - HDR + 1));
}

/* A request (salt 0) or its reply (salt 1): header {iter, p, s, len}, then
 * bytes from (iter, p, s, salt). */
static void rpc_fill(uint8_t *buf, uint32_t iter, uint32_t p, uint32_t s, uint32_t len, uint32_t salt)
{
    uint32_t h[4] = {iter, p, s, len};
    memcpy(buf, h, HDR);
    uint64_t x = mix64(msg_key(iter, p, s) ^ (salt ? 0x7e91ull << 48 : 0));
    for (uint32_t i = HDR; i < len; i++)
        buf[i] = msg_byte(x, i);
}

/* 1 if d[0..len) is an intact request/reply of iteration iter (its length
 * is rpc_len's, or, from a party a traced kill steers, just the header). */
static int rpc_check(const uint8_t *d, size_t len, uint32_t iter, uint32_t salt, uint32_t *p,
                     uint32_t *s)
{
    uint32_t h[4];
    if (len < HDR || len > RPC_MSG)
        return 0;
    memcpy(h, d, HDR);
    if (h[0] != iter || h[1] >= MAXP || h[3] != len || (len != HDR && len != rpc_len(iter, h[1], h[2], salt)))
        return 0;
    uint64_t x = mix64(msg_key(iter, h[1], h[2]) ^ (salt ? 0x7e91ull << 48 : 0));
    for (uint32_t i = HDR; i < len; i++)
        if (d[i] != msg_byte(x, i))
            return 0;
    *p = h[1];
    *s = h[2];
    return 1;
}

/* ---- clients (children) ---- */

typedef struct outst {
    uint32_t seq;
    uint64_t tok;
} outst;

static void set_out(uint32_t k, uint32_t s, uint8_t o) { __atomic_store_n(&sh->rq[k].out[s], o, __ATOMIC_SEQ_CST); }

/* The reply to (me, seq) in d[0..n)? Else the error, in P->err. */
static int reply_ok(prec *P, const void *d, size_t n, uint32_t me, uint32_t seq, const char *how)
{
    uint32_t p, s;
    if (rpc_check(d, n, sh->iter, 1, &p, &s) && p == me && s == seq)
        return 1;
    uint32_t h[4] = {0, 0, 0, 0};
    memcpy(h, d, n < HDR ? n : HDR);
    snprintf(P->err, sizeof P->err, "%s of request %u: %zu bytes, header iter %u client %u seq %u len %u"
             " (not its reply%s)", how, seq, n, h[0], h[1], h[2], h[3],
             h[0] == sh->iter && (h[1] != me || h[2] != seq) ? ": another request's" : "");
    return 0;
}

static int run_client(int k)
{
    prec *P = &sh->p[k];
    indexbus_region *r;
    indexbus_rpc_client *c;
    if (child_open(&r, P->err) != INDEXBUS_OK)
        return 1;
    int st = indexbus_rpc_client_open(r, &c);
    if (st != INDEXBUS_OK) {
        snprintf(P->err, sizeof P->err, "rpc_client_open: %s", indexbus_status_name(st));
        return 1;
    }
    st32(&P->ready, 1);
    while (!ld(&sh->go) && !ld(&sh->stop))
        sched_yield();
    const uint32_t iter = sh->iter, me = (uint32_t)k;
    uint64_t rs = sh->seed ^ mix64((uint64_t)k << 20 ^ iter ^ 0x4c);
    uint32_t maxout = 1 + (uint32_t)(mix64(rs++) % 4u), no = 0, s = 0;
    outst o[4];
    uint8_t req[RPC_MSG], rep[RPC_MSG];
    uint64_t stop_at = 0;
    for (;;) {
        int stopping = ld(&sh->stop);
        if (stopping && no == 0)
            break;
        if (stopping && stop_at == 0)
            stop_at = now_ns();
        if (!stopping && no == maxout && ld(&P->force)) { /* a traced kill wants a send */
            if ((st = indexbus_rpc_cancel(c, o[0].tok)) != INDEXBUS_OK) {
                snprintf(P->err, sizeof P->err, "rpc_cancel of request %u: %s", o[0].seq,
                         indexbus_status_name(st));
                return 1;
            }
            set_out(me, o[0].seq, O_CANCEL);
            o[0] = o[--no];
        }
        if (!stopping && no < maxout && s < RPC_CAP) {
            /* steered by a traced kill (force): header-only requests, quick to step */
            uint32_t len = ld(&P->force) ? HDR : rpc_len(iter, me, s, 0), mode = (uint32_t)(mix64(rs++) % 8u);
            if (ld(&P->force) && mode == 0)
                mode = 1; /* (and no rpc_call: its wait spins) */
            rpc_fill(req, iter, me, s, len, 0);
            st32(&P->started, s + 1);
            if (mode == 0 && no == 0) { /* a whole round trip */
                size_t n = 0;
                st = indexbus_rpc_call(c, req, len, rep, sizeof rep, &n, 2000000000ull);
                if (st == INDEXBUS_OK && !reply_ok(P, rep, n, me, s, "rpc_call's reply"))
                    return 1;
                if (st != INDEXBUS_OK && st != INDEXBUS_DISCONNECTED && st != INDEXBUS_FULL) {
                    snprintf(P->err, sizeof P->err, "rpc_call of request %u: %s", s, indexbus_status_name(st));
                    return 1;
                }
                if (st == INDEXBUS_FULL) {
                    sched_yield();
                    continue;
                }
                set_out(me, s, st == INDEXBUS_OK ? O_REPLY : O_DISC);
                st32(&P->committed, ++s);
                continue;
            }
            uint64_t tok = 0;
            if (mode < 4) { /* in place */
                void *buf;
                if ((st = indexbus_rpc_claim(c, len, &buf)) == INDEXBUS_OK && mix64(rs++) % 16u == 0) {
                    /* given back unsent: no request, the cell comes back */
                    if ((st = indexbus_rpc_abort(c)) != INDEXBUS_OK) {
                        snprintf(P->err, sizeof P->err, "rpc_abort of a claim: %s", indexbus_status_name(st));
                        return 1;
                    }
                    sh->rq[me].aborts++;
                    continue;
                }
                if (st == INDEXBUS_OK) {
                    memcpy(buf, req, len);
                    st = indexbus_rpc_send(c, len, &tok);
                }
            } else {
                st = indexbus_rpc_request(c, req, len, &tok);
            }
            if (st == INDEXBUS_FULL) {
                sched_yield();
            } else if (st == INDEXBUS_DISCONNECTED) { /* no server attached */
                set_out(me, s, O_SEND_DISC);
                st32(&P->committed, ++s);
                sleep_ns(100000);
            } else if (st != INDEXBUS_OK) {
                snprintf(P->err, sizeof P->err, "sending request %u: %s", s, indexbus_status_name(st));
                return 1;
            } else if (mix64(rs++) % 24u == 0) { /* given up at once */
                if ((st = indexbus_rpc_cancel(c, tok)) != INDEXBUS_OK) {
                    snprintf(P->err, sizeof P->err, "rpc_cancel of request %u: %s", s, indexbus_status_name(st));
                    return 1;
                }
                set_out(me, s, O_CANCEL);
                st32(&P->committed, ++s);
            } else {
                o[no++] = (outst){s, tok};
                set_out(me, s, O_PENDING);
                st32(&P->committed, ++s);
            }
        }
        if (no == 0)
            continue;
        uint32_t i = (uint32_t)(mix64(rs++) % no);
        const void *d;
        size_t n = 0;
        /* (steered: timeout 0, no spinning before a park) */
        uint64_t tmo = stopping || (mix64(rs++) % 2u && !ld(&P->force)) ? 2000000ull : 0;
        st = indexbus_rpc_wait(c, o[i].tok, &d, &n, tmo);
        if (st == INDEXBUS_TIMEOUT) {
            if (stopping && now_ns() - stop_at > RPC_STOP_NS) {
                uint64_t w = rr_state((uint32_t)o[i].tok);
                snprintf(P->err, sizeof P->err, "request %u (token %#" PRIx64 ") has no outcome 3 s after the"
                         " stop: cell state %u client %u server %u, pending bit %d", o[i].seq, o[i].tok,
                         rr_st(w), rr_client(w), rr_server(w), rr_pending((uint32_t)o[i].tok));
                return 1;
            }
            continue;
        }
        if (st == INDEXBUS_OK) {
            if (!reply_ok(P, d, n, me, o[i].seq, "rpc_wait's reply"))
                return 1;
            if ((st = indexbus_rpc_reply_done(c, o[i].tok)) != INDEXBUS_OK) {
                snprintf(P->err, sizeof P->err, "reply_done of request %u: %s", o[i].seq, indexbus_status_name(st));
                return 1;
            }
            if (mix64(rs++) % 16u == 0) { /* the token is spent */
                int a = indexbus_rpc_wait(c, o[i].tok, &d, &n, 0), b = indexbus_rpc_reply_done(c, o[i].tok);
                if (a != INDEXBUS_NOT_FOUND || b != INDEXBUS_NOT_FOUND) {
                    snprintf(P->err, sizeof P->err, "request %u answered: a second wait %s, reply_done %s"
                             " (want NOT_FOUND)", o[i].seq, indexbus_status_name(a), indexbus_status_name(b));
                    return 1;
                }
            }
            set_out(me, o[i].seq, O_REPLY);
        } else if (st == INDEXBUS_DISCONNECTED) {
            set_out(me, o[i].seq, O_DISC);
        } else {
            snprintf(P->err, sizeof P->err, "rpc_wait of request %u (token %#" PRIx64 "): %s", o[i].seq,
                     o[i].tok, indexbus_status_name(st));
            return 1;
        }
        o[i] = o[--no];
    }
    indexbus_rpc_client_close(c);
    indexbus_region_close(r);
    return 0;
}

/* ---- servers (children) ---- */

typedef struct heldreq {
    uint64_t tok;
    uint32_t p, s;
} heldreq;

static int srv_reply(crec *C, indexbus_rpc_server *sv, const heldreq *h, uint64_t *rs)
{
    if (mix64((*rs)++) % 32u == 0) { /* dropped unanswered: its client gets DISCONNECTED */
        __atomic_store_n(&sh->rq[h->p].failed[h->s], 1, __ATOMIC_SEQ_CST);
        int st = indexbus_rpc_fail(sv, h->tok);
        if (st != INDEXBUS_OK) {
            snprintf(C->err, sizeof C->err, "rpc_fail of client %u request %u (token %#" PRIx64 "): %s", h->p,
                     h->s, h->tok, indexbus_status_name(st));
            return 1;
        }
        __atomic_store_n(&sh->rq[h->p].failed[h->s], 2, __ATOMIC_SEQ_CST);
        return 0;
    }
    /* steered by a traced kill (C->mode): header-only replies, quick to step */
    uint32_t len = C->mode ? HDR : rpc_len(sh->iter, h->p, h->s, 1);
    uint8_t rep[RPC_MSG];
    int st;
    if (mix64((*rs)++) % 2u) { /* in place */
        void *buf;
        size_t cap = 0;
        st = indexbus_rpc_reply_buffer(sv, h->tok, &buf, &cap);
        if (st == INDEXBUS_OK && cap != RPC_MSG) {
            snprintf(C->err, sizeof C->err, "reply_buffer: capacity %zu, max_reply %u", cap, RPC_MSG);
            return 1;
        }
        if (st == INDEXBUS_OK) {
            rpc_fill(buf, sh->iter, h->p, h->s, len, 1);
            st = indexbus_rpc_reply_commit(sv, h->tok, len);
        }
    } else {
        rpc_fill(rep, sh->iter, h->p, h->s, len, 1);
        st = indexbus_rpc_reply(sv, h->tok, rep, len);
    }
    if (st != INDEXBUS_OK) {
        snprintf(C->err, sizeof C->err, "reply to client %u request %u (token %#" PRIx64 "): %s", h->p, h->s,
                 h->tok, indexbus_status_name(st));
        return 1;
    }
    if (mix64((*rs)++) % 16u == 0 && (st = indexbus_rpc_reply(sv, h->tok, rep, 16)) != INDEXBUS_NOT_FOUND) {
        snprintf(C->err, sizeof C->err, "a second reply to token %#" PRIx64 ": %s (want NOT_FOUND)", h->tok,
                 indexbus_status_name(st));
        return 1;
    }
    return 0;
}

static int run_server(int k)
{
    crec *C = &sh->c[k];
    indexbus_region *r;
    indexbus_rpc_server *sv;
    if (child_open(&r, C->err) != INDEXBUS_OK)
        return 1;
    int st = indexbus_rpc_server_open(r, &sv);
    if (st != INDEXBUS_OK) {
        snprintf(C->err, sizeof C->err, "rpc_server_open: %s", indexbus_status_name(st));
        return 1;
    }
    st32(&C->ready, 1);
    while (!ld(&sh->go) && !ld(&sh->stop))
        sched_yield();
    uint64_t rs = sh->seed ^ mix64((uint64_t)k << 24 ^ sh->iter ^ 0x5e);
    uint32_t maxhold = 1 + (uint32_t)(mix64(rs++) % 4u), nh = 0;
    heldreq h[4];
    for (;;) {
        int done = ld(&sh->stop) && ld(&sh->cdone);
        if (done && nh == 0)
            break;
        int got = 0;
        if (!done && nh < maxhold) {
            const void *d;
            size_t n = 0;
            uint64_t tok = 0;
            /* (steered: timeout 0, no spinning before a park) */
            st = indexbus_rpc_serve(sv, &tok, &d, &n, mix64(rs++) % 2u && !C->mode ? 2000000ull : 0);
            if (st == INDEXBUS_OK) {
                uint32_t p, s;
                if (!rpc_check(d, n, sh->iter, 0, &p, &s)) {
                    uint32_t hd[4] = {0, 0, 0, 0};
                    memcpy(hd, d, n < HDR ? n : HDR);
                    snprintf(C->err, sizeof C->err, "request (token %#" PRIx64 ", %zu bytes, header client %u"
                             " seq %u len %u) is not intact", tok, n, hd[1], hd[2], hd[3]);
                    return 1;
                }
                if (C->n >= LOG_CAP) {
                    snprintf(C->err, sizeof C->err, "log overflow");
                    return 1;
                }
                sh->log[k][C->n] = (ent){p, s};
                st32(&C->n, C->n + 1);
                h[nh++] = (heldreq){tok, p, s};
                got = 1;
            } else if (st != INDEXBUS_EMPTY && st != INDEXBUS_TIMEOUT) {
                snprintf(C->err, sizeof C->err, "rpc_serve: %s", indexbus_status_name(st));
                return 1;
            }
        }
        if (nh > 0 && (nh == maxhold || done || !got || mix64(rs++) % 2u)) {
            uint32_t i = (uint32_t)(mix64(rs++) % nh);
            if (srv_reply(C, sv, &h[i], &rs))
                return 1;
            h[i] = h[--nh];
        }
    }
    indexbus_rpc_server_close(sv);
    indexbus_region_close(r);
    return 0;
}

/* ---- the parent ---- */

static void rpc_config(indexbus_region_config *cfg, const scen *S)
{
    cfg->slot_count = S->slots;
    cfg->slot_data_size = S->cap;
    cfg->max_record = S->cap;
}

/* A server died (entries ve[0..nve)): the requests it held, from the
 * cells, before anybody recovers it. */
static void rpc_snapshot(kinfo *K, const int *ve, int nve)
{
    K->nheld = 0;
    if (K->role != R_CONS)
        return;
    for (int p = 0; p < MAXP; p++) { /* from its oldest request then waiting */
        uint32_t c = ld(&sh->p[p].committed), lo = c;
        for (uint32_t s = 0; s < c && s < RPC_CAP; s++)
            if (__atomic_load_n(&sh->rq[p].out[s], __ATOMIC_SEQ_CST) == O_PENDING) {
                lo = s;
                break;
            }
        K->c_at_kill[p] = lo;
    }
    for (uint32_t i = 0; i < RW.n; i++) {
        uint64_t w = rr_state(i);
        int mine = 0;
        for (int e = 0; e < nve; e++)
            mine |= rr_server(w) == (uint32_t)ve[e] + 1;
        if (!mine || rr_st(w) != INDEXBUS_RPC_SERVING)
            continue;
        uint32_t h[4];
        memcpy(h, (const uint8_t *)rr_cell(i) + sizeof(indexbus_rpc_cell), HDR);
        if (K->nheld < (int)(sizeof K->held / sizeof K->held[0]))
            K->held[K->nheld++] = (ent){h[1], h[2]};
    }
}

static int rpc_is_held(const kinfo *K, uint32_t p, uint32_t s)
{
    for (int i = 0; i < K->nheld; i++)
        if (K->held[i].p == p && K->held[i].s == s)
            return 1;
    return 0;
}

static void rpc_check_region(const indexbus_info *info)
{
    uint32_t busy = 0, first = UINT32_MAX;
    for (uint32_t i = 0; i < RW.n; i++) {
        uint64_t w = rr_state(i);
        if (rr_st(w) != INDEXBUS_RPC_FREE || rr_client(w) || rr_server(w)) {
            if (busy++ == 0)
                first = i;
        }
    }
    if (busy || info->rpc_cells_free != info->rpc_cells) {
        uint64_t w = first != UINT32_MAX ? rr_state(first) : 0;
        failf(I_LEAK, "every process ended: rpc_cells_free %u of %u, %u cell(s) not FREE (cell %u: state %u"
                      " client %u server %u)", info->rpc_cells_free, info->rpc_cells, busy, first, rr_st(w),
              rr_client(w), rr_server(w));
    }
}

static void rpc_check_delivery(const indexbus_info *info)
{
    const kinfo *K = &I.K;
    int server_died = K->role == R_CONS, one_server = I.S->ncons == 1;
    static uint8_t served[MAXP][RPC_CAP];
    memset(served, 0, sizeof served);
    int err = 0;
    for (int q = 0; q < I.ncrec; q++) {
        const crec *C = &sh->c[q];
        if (!C->used)
            continue;
        for (uint32_t i = 0; i < C->n; i++) {
            ent e = sh->log[q][i];
            if (e.p >= (uint32_t)I.nprec || e.s >= sh->p[e.p].started) {
                if (err++ < 3)
                    failf(I_DELIV, "server rec %d served client %u request %u, never sent", q, e.p, e.s);
                continue;
            }
            if (++served[e.p][e.s] == 2 && err++ < 3)
                failf(I_DELIV, "client %u request %u served twice", e.p, e.s);
        }
    }
    uint32_t held_disc = 0, fails_done = 0, fails_tried = 0;
    for (int p = 0; p < I.nprec; p++) {
        const prec *P = &sh->p[p];
        if (!P->used || P->killed)
            continue;
        for (uint32_t s = 0; s < P->committed && s < RPC_CAP; s++) {
            uint8_t o = sh->rq[p].out[s], f = sh->rq[p].failed[s];
            int held = server_died && rpc_is_held(K, (uint32_t)p, s);
            fails_tried += f != 0;
            fails_done += f == 2;
            if (f && o == O_REPLY) {
                if (err++ < 3)
                    failf(I_DELIV, "client %d request %u was dropped by its server (rpc_fail), yet got a reply", p, s);
                continue;
            }
            if (f && (o == O_DISC || o == O_CANCEL)) { /* what rpc_fail promises (or cancelled first) */
                I.T->rpc_out[o]++;
                continue;
            }
            I.T->msgs++;
            if (o == O_NONE || o == O_PENDING) {
                if (err++ < 3)
                    failf(I_DELIV, "client %d request %u has no outcome", p, s);
            } else if (o == O_REPLY && !served[p][s]) {
                if (err++ < 3)
                    failf(I_DELIV, "client %d request %u got a reply, but no server logged serving it", p, s);
            } else if (o == O_REPLY && held) {
                if (err++ < 3)
                    failf(I_DELIV, "client %d request %u was held by the dead server, yet got a reply", p, s);
            } else if ((o == O_DISC || o == O_SEND_DISC) && !held) {
                /* rpc-1s: sent or waited for while no server was attached,
                 * between the kill and the replacement's attach (a request
                 * outstanding at either end of that window included) */
                if (server_died && one_server && s >= K->c_at_kill[p] && s < K->c_at_ready[p] + 8)
                    I.T->nosrv_disc++;
                else if (err++ < 3)
                    failf(I_DELIV, "client %d request %u got DISCONNECTED (%s); the dead server did not hold"
                                   " it%s (no-server window: requests %u..%u)", p, s, o == O_DISC ? "wait" : "send",
                          server_died ? "" : " (no server died)", server_died ? K->c_at_kill[p] : 0,
                          server_died ? K->c_at_ready[p] : 0);
            } else if (held && o != O_DISC && o != O_CANCEL) {
                if (err++ < 3)
                    failf(I_DELIV, "client %d request %u, held by the dead server: outcome %u", p, s, o);
            }
            held_disc += held && o == O_DISC;
            I.T->rpc_out[o < N_OUT ? o : 0]++;
        }
    }
    /* rpc_fail of a request a client had cancelled (ABANDONED) frees it
     * uncounted; of one it still waits for, FAILED and counted */
    for (int p = 0; p < I.nprec; p++) /* a killed client's requests count there too */
        for (uint32_t s = 0; sh->p[p].used && sh->p[p].killed && s < sh->p[p].started && s < RPC_CAP; s++)
            fails_tried += sh->rq[p].failed[s] != 0;
    uint64_t failed = info->rpc_requests_failed - I.rpc_failed0;
    if (failed < held_disc || failed > (uint64_t)K->nheld + fails_tried)
        failf(I_DELIV, "requests_failed moved by %" PRIu64 "; the dead server held %d (%u of them DISCONNECTED),"
                       " servers dropped %u (%u tried)", failed, K->nheld, held_disc, fails_done, fails_tried);
    I.T->rpc_fails += fails_done;
    for (int p = 0; p < I.nprec; p++)
        I.T->rpc_aborts += sh->rq[p].aborts;
    I.T->rpc_held += (uint32_t)K->nheld;
}

/* I3: a fresh server and client make a round trip. */
static int rpc_round_trip(char *why)
{
    indexbus_rpc_server *sv = NULL;
    indexbus_rpc_client *c = NULL;
    uint8_t req[RPC_MSG], rep[RPC_MSG];
    const void *d;
    size_t n = 0;
    uint64_t tok = 0, stok = 0;
    int st, ok = 0;
    uint32_t len = rpc_len(g_iter, 0, 0xfffff, 0), p, s;
    rpc_fill(req, g_iter, 0, 0xfffff, len, 0);
    if ((st = indexbus_rpc_server_open(g_region, &sv)) || (st = indexbus_rpc_client_open(g_region, &c))) {
        snprintf(why, 200, "open: %s", indexbus_status_name(st));
        goto out;
    }
    if ((st = indexbus_rpc_request(c, req, len, &tok)) ||
        (st = indexbus_rpc_serve(sv, &stok, &d, &n, 0))) {
        snprintf(why, 200, "request/serve: %s", indexbus_status_name(st));
        goto out;
    }
    if (stok != tok || !rpc_check(d, n, g_iter, 0, &p, &s) || s != 0xfffff) {
        snprintf(why, 200, "served token %#" PRIx64 " (sent %#" PRIx64 "), not the request sent", stok, tok);
        goto out;
    }
    len = rpc_len(g_iter, 0, 0xfffff, 1);
    rpc_fill(rep, g_iter, 0, 0xfffff, len, 1);
    if ((st = indexbus_rpc_reply(sv, stok, rep, len)) || (st = indexbus_rpc_wait(c, tok, &d, &n, 0))) {
        snprintf(why, 200, "reply/wait: %s", indexbus_status_name(st));
        goto out;
    }
    if (n != len || memcmp(d, rep, len) != 0) {
        snprintf(why, 200, "got %zu bytes, not the reply sent", n);
        goto out;
    }
    if ((st = indexbus_rpc_reply_done(c, tok))) {
        snprintf(why, 200, "reply_done: %s", indexbus_status_name(st));
        goto out;
    }
    ok = 1;
out:
    indexbus_rpc_client_close(c);
    indexbus_rpc_server_close(sv);
    return ok;
}
