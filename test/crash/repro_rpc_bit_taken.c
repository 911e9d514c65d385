/*
 * repro_rpc_bit_taken.c - deterministic repro of a lost request (found by
 * the kill campaign, rpc-1s and rpc-2s: "request N has no outcome 3 s
 * after the stop: cell state 2 (REQUESTED) client c server 0, pending bit
 * 0", with random kills and at the traced point "server: a pending bit
 * taken, the cell still REQUESTED").
 *
 * A server takes a request in two steps (lib/rpc/server.c): take_request
 * clears the cell's pending bit (ib_fetch_and_acq_rel on
 * rpc->pending[wi]), then serve_cell moves the cell REQUESTED -> SERVING
 * (CAS). A server killed between the two leaves the cell REQUESTED with no
 * pending bit and no server named in its word. Recovery of the dead server
 * (ib_rpc_server_release) only looks at cells whose word names it, so it
 * does nothing; no other server ever finds the request (servers scan the
 * pending bits only), and the client's rpc_wait sees REQUESTED with a
 * server attached, so it never gets DISCONNECTED either: the request has
 * no outcome for ever (a client with a deadline gets TIMEOUT every time).
 *
 * Here a child server is single-stepped with ptrace until the pending bit
 * of the client's cell is gone while the cell is still REQUESTED, then
 * SIGKILLed and recovered; a second server then serves for 500 ms while the
 * client waits. Fixed: the request is served (and its reply reaches the
 * client) or the client gets an outcome. Reproduced: neither.
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>
#include <string.h>

#include "raw.h"
#include "trace.h"
#define REPRO_PROG "repro_rpc_bit_taken"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-rpc-bit";

typedef struct view {
    const indexbus_rpc_ctl *ctl;
    const uint8_t *cells;
    uint32_t stride, cell;
} view;

static uint64_t cell_state(const view *q)
{
    return raw_ld64(&((const indexbus_rpc_cell *)(q->cells + (uint64_t)q->cell * q->stride))->state);
}

/* The kill point: the cell's pending bit taken, the cell still REQUESTED. */
static int bit_taken(void *arg)
{
    const view *q = arg;
    uint64_t bits = raw_ld64(&q->ctl->pending[q->cell / 64]);
    return !(bits >> (q->cell % 64) & 1) && (cell_state(q) & 0xffu) == INDEXBUS_RPC_REQUESTED;
}

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC);
    cfg.slot_count = 4;
    cfg.slot_data_size = 64;
    cfg.max_record = 64;
    raw_view w;
    indexbus_region *r = repro_create_mapped(name, &cfg, &w);
    view q = {(const indexbus_rpc_ctl *)raw_section(w.h, w.base, INDEXBUS_SECTION_RPC_CTL),
              raw_section(w.h, w.base, INDEXBUS_SECTION_RPC_CELLS), w.h->slot_stride, 0};
    indexbus_rpc_client *c;
    indexbus_rpc_server *s2;
    uint64_t tok, stok;
    int st;
    if ((st = indexbus_rpc_client_open(r, &c)))
        die("client_open", st);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) { /* the server that dies mid-take */
        indexbus_region *cr;
        indexbus_rpc_server *sv;
        const void *d;
        size_t n;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_rpc_server_open(cr, &sv))
            _exit(3);
        trace_me_and_stop();
        indexbus_rpc_serve(sv, &stok, &d, &n, 100000000ull);
        _exit(0);
    }
    if (trace_wait_stop(pid))
        die("trace", INDEXBUS_IO);
    if ((st = indexbus_rpc_request(c, "ping", 4, &tok)))
        die("request", st);
    q.cell = (uint32_t)tok;
    long steps = trace_step_until(pid, bit_taken, &q, 200000);
    if (steps < 0) {
        trace_kill(pid);
        die("the server never reached the point", INDEXBUS_IO);
    }
    trace_kill(pid);
    indexbus_recover_report rep = {.size = sizeof rep};
    indexbus_region_recover(r, 0, &rep);
    uint64_t w0 = cell_state(&q);
    printf("server killed %ld steps into serve, with the pending bit of cell %u taken: cell state %u,"
           " client %u, server %u; recovery: dead %u\n", steps, q.cell, (uint32_t)(w0 & 0xff),
           (uint32_t)(w0 >> 8 & 0x1ff), (uint32_t)(w0 >> 17 & 0x1ff), rep.dead);
    if ((st = indexbus_rpc_server_open(r, &s2)))
        die("second server_open", st);
    int served = 0, outcome = -1;
    for (int i = 0; i < 50 && !served && outcome < 0; i++) {
        const void *d;
        size_t n;
        st = indexbus_rpc_serve(s2, &stok, &d, &n, 5000000ull);
        if (st == INDEXBUS_OK && stok == tok) {
            served = 1;
            indexbus_rpc_reply(s2, stok, "pong", 4);
        }
        st = indexbus_rpc_wait(c, tok, &d, &n, 5000000ull);
        if (st != INDEXBUS_TIMEOUT)
            outcome = st;
    }
    printf("a second server for 500 ms: %s; the client's wait: %s\n",
           served ? "served the request" : "never saw it",
           outcome < 0 ? "TIMEOUT every time" : indexbus_status_name(outcome));
    int bug = !served && outcome < 0;
    indexbus_rpc_server_close(s2);
    indexbus_rpc_client_close(c);
    indexbus_region_close(r);
    raw_unmap(&w);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (a request whose server died between taking its pending"
                                      " bit and its cell is lost: no server sees it, its client waits for ever)"
                                    : "not reproduced (fixed)");
    return bug;
}
