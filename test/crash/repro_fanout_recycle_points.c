/*
 * repro_fanout_recycle_points.c - a router killed at every store of a
 * recycling step (layout 1.3, LAYOUT.md 5.21): before and after the
 * hand-back's source cell store, its next_free store and its owner store,
 * a surplus slot's owner = 0 and the pool CAS, the step journal's stores,
 * and each push into a consumer queue.
 *
 * Each variant sets up a recycling fanout region (16 slots, queues of 4, 2
 * consumers) so that the next step finds slots parked under the cells it
 * writes; a router child is single-stepped (ptrace) through one route_once
 * and every instruction after which the region's bytes changed is a store
 * point. A first pass counts them; then, for each k = 0..n, the variant
 * is rebuilt and its router SIGKILLed right after its k-th store, and:
 *
 *   1. recovery (the parent's region_recover) finds the dead router;
 *   2. every slot is in exactly one place (raw_acct.h: free, parked in a
 *      queue cell, queued); none nowhere, except a surplus slot the step had
 *      already cleared (owner 0) and not yet freed: LAYOUT.md 5.12 limit 2,
 *      reclaimed by the final sweep, and that sweep reclaims nothing else;
 *   3. a new router drains the source: broadcast, each consumer gets the
 *      step's message exactly once; work queue, exactly once in all;
 *   4. 24 more messages (SPSC and MPSC, so the handed-back slots are reused)
 *      arrive intact, exactly once per consumer, in order;
 *   5. everyone closed, a sweep: free_slots == slot_count, accounting exact.
 *
 * Variants: A broadcast, SPSC source, one parked cell (the hand-back to the
 * producer); B broadcast, SPSC source, two parked cells (queues offset by a
 * drop: one to the producer, one to the pool); C broadcast, MPSC source
 * (to the pool); D work queue, SPSC source; E work queue, starved pool:
 * the router's idle refill, each slot to the pool with its own CAS. A kill
 * may leave at most one slot for the sweep (limit 2); --reclaim runs E
 * alone and allows none.
 * Exit 0 = every point recovers exactly, 1 = some point breaks an
 * invariant, 2 = setup failed. The number of points where a hand-back
 * happened is printed: a variant whose full step hands nothing back does
 * not exercise recycling (exit 1 once bit 37 is implemented, as it is).
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <indexbus/indexbus.h>

#include "raw_acct.h"
#include "trace.h"
#define REPRO_PROG "repro_fanout_recycle_points"
#include "repro_util.h"

#define NSLOTS 16u
#define QCAP 4u

static const char *name = "/ibcrash-repro-recycle-points";
static raw_view W;
static indexbus_region *r;
static indexbus_consumer *c[2];
static indexbus_producer *ps, *pm;

enum { VA, VB, VC, VD, VE, NV };
static const char *vname[NV] = {"A broadcast, SPSC source, one parked cell",
                                "B broadcast, SPSC source, two parked cells (queues offset by a drop)",
                                "C broadcast, MPSC source", "D work queue, SPSC source",
                                "E work queue, starved pool: the router's idle reclaim"};
static uint32_t vmode(int v);
/* --reclaim: variant E only, and a slot its kill leaves for the sweep fails */
static int strict_reclaim;
static uint32_t vmode(int v) { return v >= VD ? INDEXBUS_MODE_WORK_QUEUE : INDEXBUS_MODE_BROADCAST; }

/* per consumer: how often each message seq arrived, and the last seq */
#define MAXSEQ 256u
static uint8_t got[2][MAXSEQ];
static int last[2];
static uint32_t seq;
static int bad;

static void failx(const char *fmt, const char *v, int k, const char *what)
{
    printf("  FAIL %s, kill after store %d: ", v, k);
    printf(fmt, what);
    printf("\n");
    bad = 1;
}

static int try_pub(indexbus_producer *p)
{
    char m[64];
    memset(m, 'a' + (int)(seq % 26), sizeof m);
    snprintf(m, sizeof m, "m%05u", seq);
    int st = indexbus_publish(p, m, 40);
    seq += st == INDEXBUS_OK;
    return st;
}

static void pub(indexbus_producer *p)
{
    int st = try_pub(p);
    if (st)
        die("publish", st);
}

static void route(indexbus_router *rt, int v)
{
    int st = indexbus_route_once(rt, INDEXBUS_SOURCE_ANY, vmode(v));
    if (st != INDEXBUS_OK && st != INDEXBUS_EMPTY)
        die("route_once", st);
}

/* Receive everything queued for consumer i; 0 if some message was not intact. */
static int drain(int i)
{
    char buf[64];
    size_t len;
    int st, ok = 1;
    while ((st = indexbus_try_recv(c[i], buf, sizeof buf, &len)) == INDEXBUS_OK) {
        unsigned s = 0;
        char want[64];
        if (len != 40 || sscanf(buf, "m%05u", &s) != 1 || s >= MAXSEQ) {
            ok = 0;
            continue;
        }
        memset(want, 'a' + (int)(s % 26), sizeof want);
        snprintf(want, sizeof want, "m%05u", s);
        ok &= memcmp(buf, want, 40) == 0 && (int)s > last[i];
        got[i][s]++;
        last[i] = (int)s;
    }
    if (st != INDEXBUS_EMPTY)
        die("try_recv", st);
    return ok;
}

static void setup(int v)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_FANOUT);
    cfg.slot_count = v == VE ? 8 : NSLOTS; /* E: two queues of parked slots hold them all */
    cfg.slot_data_size = 64;
    cfg.queue_capacity = QCAP;
    cfg.consumer_count = 2;
    cfg.flags = INDEXBUS_CREATE_RECYCLE;
    r = repro_create_mapped(name, &cfg, &W);
    int st;
    if ((st = indexbus_consumer_open(r, 0, &c[0])) || (st = indexbus_consumer_open(r, 1, &c[1])) ||
        (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &ps)) ||
        (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &pm)))
        die("open", st);
    memset(got, 0, sizeof got);
    last[0] = last[1] = -1;
    seq = 0;
    indexbus_router *rt;
    if ((st = indexbus_router_open(r, &rt)))
        die("router_open", st);
    indexbus_producer *p = v == VC ? pm : ps;
    if (v == VB) {
        /* c1's queue fills, msg 4 is dropped for it: q0 runs one ahead */
        for (int i = 0; i < 4; i++)
            pub(p), route(rt, v);
        drain(0);
        pub(p), route(rt, v);
        drain(1); /* c1 last: msgs 0..3 parked in q1 cells */
        drain(0); /* msg 4, c0 its only holder: parked in q0 cell 0 */
        for (int i = 0; i < 3; i++)
            pub(p), route(rt, v);
        drain(0), drain(1);
        /* the next step writes q0 pos 8 (msg 4 parked there) and q1 pos 7 (msg 3) */
    } else if (v == VE) {
        /* 8 messages, alternately into q0 and q1, no lap: every slot ends
         * parked in a consumer cell and the pool is empty; the traced
         * route_once finds the source empty and reclaims them all */
        for (int i = 0; i < 8; i++) {
            pub(p);
            if (i % 4 == 3)
                for (int j = 0; j < 4; j++)
                    route(rt, v);
        }
        drain(0), drain(1);
        indexbus_router_close(rt);
        return;
    } else {
        for (int lap = 0; lap < (v == VD ? 3 : 1); lap++) {
            for (int i = 0; i < 4; i++)
                pub(p), route(rt, v);
            drain(0), drain(1); /* c1 last (broadcast): parked in q1's cells */
        }
    }
    pub(p); /* the message of the traced step */
    indexbus_router_close(rt);
}

static void teardown(void)
{
    indexbus_producer_close(ps);
    indexbus_producer_close(pm);
    indexbus_consumer_close(c[0]);
    indexbus_consumer_close(c[1]);
    indexbus_region_close(r);
    raw_unmap(&W);
    indexbus_region_unlink(name);
}

/* Consumer-parked slots the router could take back (owner PARKED_CONSUMER). */
static uint32_t consumer_parked(void)
{
    static raw_acct A;
    raw_account(&W, 1, &A);
    uint32_t n = 0;
    for (uint32_t s = 0; s < W.slot_count; s++)
        n += (A.where[s] & RA_PARKED) && raw_ld32(&raw_slot(&W, s)->owner) != INDEXBUS_SLOT_PARKED;
    return n;
}

/* What the store at region offset off wrote: a name for the report. */
static void store_name(size_t off, char *b, size_t n)
{
    const uint8_t *a = W.base + off;
    const uint8_t *sp = (const uint8_t *)W.spsc, *mp = (const uint8_t *)W.mpsc;
    if (a >= W.slots && a < W.slots + (uint64_t)W.slot_count * W.slot_stride) {
        static const char *f[4] = {"len", "refcount", "owner", "next_free"};
        uint64_t d = (uint64_t)(a - W.slots);
        uint32_t s = (uint32_t)(d / W.slot_stride), o = (uint32_t)(d % W.slot_stride);
        snprintf(b, n, o < 16 ? "slot%u.%s" : "slot%u.data", s, o < 16 ? f[o / 4] : "");
    } else if (a >= (const uint8_t *)W.pool && a < W.slots) {
        snprintf(b, n, "pool.free_head");
    } else if (a >= sp && a < sp + sizeof(indexbus_spsc_ctl)) {
        snprintf(b, n, "spsc.ctl+%u", (unsigned)(a - sp));
    } else if (a >= (const uint8_t *)W.spsc_cells && a < (const uint8_t *)(W.spsc_cells + W.cap)) {
        snprintf(b, n, "spsc.cell%u", (unsigned)((a - (const uint8_t *)W.spsc_cells) / 4));
    } else if (a >= mp && a < (const uint8_t *)(W.mpsc_cells + W.cap)) {
        snprintf(b, n, "mpsc+%u", (unsigned)(a - mp));
    } else if (a >= W.cq && a < W.cq + W.ncons * W.cq_stride) {
        uint64_t d = (uint64_t)(a - W.cq);
        uint32_t q = (uint32_t)(d / W.cq_stride), o = (uint32_t)(d % W.cq_stride);
        if (o >= sizeof(indexbus_spsc_ctl))
            snprintf(b, n, "q%u.cell%u", q, (unsigned)((o - sizeof(indexbus_spsc_ctl)) / 4));
        else
            snprintf(b, n, "q%u.%s", q, o == offsetof(indexbus_spsc_ctl, tail) ? "tail"
                                        : o == offsetof(indexbus_spsc_ctl, head) ? "head" : "ctl");
    } else {
        snprintf(b, n, "+%zu", off); /* the router's section, participants, counters */
    }
}

static char names[4096];
/* limit2[k]: after store k of the full step, a surplus slot's owner = 0 is
 * written and the pool CAS that frees it is not (LAYOUT.md 5.12 limit 2) */
static uint8_t limit2[256];

/* Fork a router, single-step its route_once; kill it right after its
 * kill_at-th store (-1: let it finish). Returns the stores it made. */
static int traced_step(int v, int kill_at)
{
    pid_t pid = fork();
    if (pid == 0) {
        indexbus_region *cr;
        indexbus_router *rt;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_router_open(cr, &rt))
            _exit(2);
        trace_me_and_stop();
        int st = indexbus_route_once(rt, v == VC ? INDEXBUS_SOURCE_MPSC
                                         : v == VE ? INDEXBUS_SOURCE_ANY
                                                   : INDEXBUS_SOURCE_SPSC, vmode(v));
        _exit(st == (v == VE ? INDEXBUS_EMPTY : INDEXBUS_OK) ? 0 : 3);
    }
    if (trace_wait_stop(pid))
        die("router did not stop", INDEXBUS_IO);
    static uint8_t snap[1 << 20];
    if (W.len > sizeof snap)
        die("region too large for the snapshot", INDEXBUS_IO);
    memcpy(snap, W.base, W.len);
    int stores = 0, st;
    for (long n = 0; n < 5000000; n++) {
        if (memcmp(snap, W.base, W.len) != 0) {
            size_t off = 0;
            while (snap[off] == W.base[off])
                off++;
            memcpy(snap, W.base, W.len);
            stores++;
            if (kill_at < 0 && stores < (int)sizeof limit2) {
                char b[48];
                store_name(off, b, sizeof b);
                int cleared = strstr(b, ".owner") && raw_ld32((const uint32_t *)(W.base + (off & ~(size_t)3))) == 0;
                limit2[stores] = (uint8_t)(cleared || (limit2[stores - 1] && strcmp(b, "pool.free_head")));
            }
            if (kill_at < 0 && strlen(names) < sizeof names - 64) {
                char b[48];
                store_name(off, b, sizeof b);
                snprintf(names + strlen(names), sizeof names - strlen(names), " %d:%s", stores, b);
            }
        }
        if (stores == kill_at) {
            trace_kill(pid);
            return stores;
        }
        if (ptrace(PTRACE_SINGLESTEP, pid, NULL, NULL) != 0 || waitpid(pid, &st, 0) != pid)
            die("single-step", INDEXBUS_IO);
        if (WIFEXITED(st)) {
            if (WEXITSTATUS(st) != 0)
                die("router route_once failed", INDEXBUS_IO);
            return stores;
        }
    }
    trace_kill(pid);
    die("route_once did not end", INDEXBUS_IO);
    return -1;
}

/* Step 2: accounting right after recovery; returns the limit-2 leaks. */
static uint32_t check_acct(const char *vn, int k, const char *when, int allow_cleared)
{
    static raw_acct A;
    raw_account(&W, 1, &A);
    uint32_t cleared = 0;
    for (uint32_t s = 0; s < W.slot_count; s++)
        cleared += A.where[s] == 0 && raw_ld32(&raw_slot(&W, s)->owner) == 0;
    if (A.twice || A.bad || A.nowhere > (allow_cleared ? cleared : 0)) {
        char why[200];
        snprintf(why, sizeof why, "%s: free %u parked %u queued %u of %u, %u twice, %u bad, %u nowhere",
                 when, A.free, A.parked, A.queued, W.slot_count, A.twice, A.bad, A.nowhere);
        failx("%s", vn, k, why);
    }
    return A.nowhere;
}

static void check_once(int v, uint32_t s, const char *vn, int k, const char *what)
{
    char why[160];
    if (vmode(v) == INDEXBUS_MODE_BROADCAST) {
        for (int i = 0; i < 2; i++)
            if (got[i][s] != 1) {
                snprintf(why, sizeof why, "%s m%u reached consumer %d %u times", what, s, i, got[i][s]);
                failx("%s", vn, k, why);
            }
    } else if (got[0][s] + got[1][s] != 1) {
        snprintf(why, sizeof why, "%s m%u delivered %u times (work queue)", what, s, got[0][s] + got[1][s]);
        failx("%s", vn, k, why);
    }
}

static int nleak, starved;
static uint32_t maxleak;

static void kill_run(int v, int k)
{
    const char *vn = vname[v];
    setup(v);
    uint32_t step_msg = seq - 1;
    traced_step(v, k);
    indexbus_recover_report rep = {.size = sizeof rep};
    int st = indexbus_region_recover(r, 0, &rep);
    if (st != INDEXBUS_OK || rep.dead != 1) {
        char why[120];
        snprintf(why, sizeof why, "recover: %s, dead %u (want OK, 1)", indexbus_status_name(st), rep.dead);
        failx("%s", vn, k, why);
    }
    uint32_t leaked = check_acct(vn, k, "after recovery", limit2[k] && !(v == VE && strict_reclaim));
    nleak += leaked > 0;
    maxleak = leaked > maxleak ? leaked : maxleak;
    indexbus_router *rt;
    if ((st = indexbus_router_open(r, &rt)))
        die("router_open after the kill", st);
    route(rt, v), route(rt, v);
    int intact = drain(0) & drain(1);
    check_once(v, step_msg, vn, k, "the step's");
    uint32_t first = seq;
    for (int i = 0; i < 24; i++) {
        st = try_pub(i % 3 == 2 ? pm : ps);
        for (int t = 0; st == INDEXBUS_FULL && t < 3; t++) { /* starved: the router's idle reclaim */
            route(rt, v);
            st = try_pub(i % 3 == 2 ? pm : ps);
        }
        if (st == INDEXBUS_FULL) {
            if (v != VE || strict_reclaim)
                failx("%s", vn, k, "the producers starve: the pool stays empty after the kill");
            starved++;
            break;
        }
        if (st != INDEXBUS_OK)
            die("publish", st);
        route(rt, v);
        intact &= drain(0) & drain(1);
    }
    for (uint32_t s = first; s < seq; s++)
        check_once(v, s, vn, k, "later");
    if (!intact)
        failx("%s", vn, k, "a message arrived damaged or out of order");
    check_acct(vn, k, "after the traffic", limit2[k] && !(v == VE && strict_reclaim));
    indexbus_router_close(rt);
    indexbus_producer_close(ps);
    indexbus_producer_close(pm);
    indexbus_consumer_close(c[0]);
    indexbus_consumer_close(c[1]);
    ps = pm = NULL;
    c[0] = c[1] = NULL;
    indexbus_recover_report sw = {.size = sizeof sw};
    st = indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &sw);
    indexbus_info info = {.size = sizeof info};
    indexbus_region_info(r, &info);
    if (st != INDEXBUS_OK || sw.slots_reclaimed != leaked || info.free_slots != info.slot_count) {
        char why[160];
        snprintf(why, sizeof why, "sweep %s reclaimed %u (%u left by the kill), free %u of %u",
                 indexbus_status_name(st), sw.slots_reclaimed, leaked, info.free_slots, info.slot_count);
        failx("%s", vn, k, why);
    }
    check_acct(vn, k, "after the sweep", 0);
    indexbus_region_close(r);
    raw_unmap(&W);
    indexbus_region_unlink(name);
}

int main(int argc, char **argv)
{
    int unexercised = 0;
    strict_reclaim = argc > 1 && strcmp(argv[1], "--reclaim") == 0;
    for (int v = strict_reclaim ? VE : 0; v < NV; v++) {
        setup(v);
        uint32_t before = consumer_parked();
        int n = traced_step(v, -1);
        uint32_t after = consumer_parked();
        teardown();
        printf("%s: %d store points; the full step took back %u consumer-parked slot(s)\n ", vname[v], n,
               before - after);
        for (char *t = strtok(names, " "), col = 1; t != NULL; t = strtok(NULL, " "))
            printf("%s%s", (col = (char)(col + 1)) % 6 == 0 ? "\n  " : " ", t);
        printf("\n");
        names[0] = 0;
        if (before == after) {
            printf("  FAIL: the step took nothing back: no recycling exercised\n");
            unexercised = 1;
        }
        int bad0 = bad;
        nleak = starved = 0;
        maxleak = 0;
        for (int k = 0; k <= n; k++)
            kill_run(v, k);
        if (maxleak > 1) { /* limit 2 is one slot: the one between its owner store and its CAS */
            printf("  FAIL: a kill left %u slots for the sweep (limit 2 allows 1)\n", maxleak);
            bad++;
        }
        printf("  killed after each of stores 0..%d: %s (%d point(s) in limit 2: cleared slots left for"
               " the sweep, at most %u at one point%s)\n", n, bad == bad0 ? "recovered exactly" : "FAILED",
               nleak, maxleak, starved ? "; the producers starved until the sweep" : "");
        memset(limit2, 0, sizeof limit2);
    }
    printf("repro_fanout_recycle_points: %s\n",
           bad ? "REPRODUCED (a router killed mid-step broke the slot accounting or delivery)"
               : unexercised ? "a variant did not exercise recycling" : "not reproduced (every point recovers)");
    return bad || unexercised;
}
