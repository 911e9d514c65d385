/*
 * mp_util.h - shared helpers for the multi-process tests (mp_*.c, seed_*.c).
 * Header-only, every function static inline so unused ones cost nothing.
 *
 * Children are forked with ib_spawn and open the region BY NAME themselves
 * (mp_open). Coordination between the test's processes (never between the
 * library's handles) goes through an anonymous MAP_SHARED block created
 * before forking (mp_shared / mp_ctl). Waits are poll loops with
 * sched_yield and a deadline that only guards against hangs; every process
 * also arms alarm() so a stuck process dies with SIGALRM instead of
 * hanging the run.
 */
#ifndef IB_MP_UTIL_H
#define IB_MP_UTIL_H

#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MP_SEC 1000000000ull
#define MP_HANG_NS (30 * MP_SEC)   /* blocking recv: hang guard only */
#define MP_ALARM_S 120u            /* whole process: hang guard only */

static inline uint64_t mp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * MP_SEC + (uint64_t)ts.tv_nsec;
}

/* Arm the per-process hang guard (alarms are not inherited across fork). */
static inline void mp_guard(void) { alarm(MP_ALARM_S); }

/* First call in every child: own hang guard, and start with a clean failure
 * count (a fork inherits the parent's, which would fail an innocent child). */
static inline void mp_child(void)
{
    ib_test_failures = 0;
    mp_guard();
}

/* Zeroed memory shared with every child forked afterwards. */
static inline void *mp_shared(size_t len)
{
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    REQUIRE(p != MAP_FAILED);
    return p;
}

static inline void mp_unshare(void *p, size_t len) { munmap(p, len); }

/* Open an existing region by name, as an unrelated process would. */
static inline indexbus_region *mp_open(const char *name)
{
    indexbus_open_config oc = {.size = sizeof oc, .flags = 0, .ready_timeout_ns = 10 * MP_SEC};
    indexbus_region *r = NULL;
    int st = indexbus_region_open(name, &oc, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "open %s: %s\n", name, indexbus_status_name(st));
        exit(1);
    }
    return r;
}

/* Create with full control over the geometry (0 = default). */
static inline indexbus_region *mp_create(const char *name, uint32_t kind, uint32_t slots,
                                         uint32_t data_size, uint32_t queue_cap,
                                         uint32_t consumers)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    if (slots)
        cfg.slot_count = slots;
    if (data_size)
        cfg.slot_data_size = data_size;
    cfg.queue_capacity = queue_cap ? queue_cap : cfg.slot_count;
    if (consumers)
        cfg.consumer_count = consumers;
    int st = indexbus_region_create(name, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", name, indexbus_status_name(st));
        exit(1);
    }
    return r;
}

/* Join every child; returns how many failed. */
static inline int mp_join_all(const pid_t *pids, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += ib_join(pids[i]);
    return bad;
}

/* Poll `cond` with sched_yield until true; a deadline guards against hangs. */
#define MP_WAIT(cond)                                                            \
    do {                                                                         \
        uint64_t mp_deadline_ = mp_now_ns() + MP_HANG_NS;                        \
        while (!(cond)) {                                                        \
            if (mp_now_ns() > mp_deadline_) {                                    \
                fprintf(stderr, "%s:%d: timed out waiting for %s\n", __FILE__,   \
                        __LINE__, #cond);                                        \
                exit(1);                                                         \
            }                                                                    \
            sched_yield();                                                       \
        }                                                                        \
    } while (0)

/* ---- deterministic payloads ----------------------------------------------- */

static inline uint64_t mp_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* Binary content from (tag, seq, len): NUL bytes at regular places and
 * every other byte value possible. */
static inline void mp_fill(uint8_t *buf, uint64_t tag, uint64_t seq, size_t len)
{
    uint64_t h = mp_mix(tag * 0x100000001b3ull ^ seq), x = 0;
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0)
            x = mp_mix(h + i);
        buf[i] = i % 13 == 5 ? 0 : (uint8_t)(x >> (8 * (i % 8)));
    }
}

/* Check buf against mp_fill; prints the first differing byte. */
static inline int mp_check_fill(const uint8_t *buf, size_t got_len, uint64_t tag, uint64_t seq,
                                size_t want_len)
{
    uint8_t want[INDEXBUS_MAX_SLOT_DATA > 4096 ? 4096 : INDEXBUS_MAX_SLOT_DATA];
    if (got_len != want_len) {
        fprintf(stderr, "tag %llu seq %llu: len %zu, want %zu\n", (unsigned long long)tag,
                (unsigned long long)seq, got_len, want_len);
        return 0;
    }
    REQUIRE(want_len <= sizeof want);
    mp_fill(want, tag, seq, want_len);
    for (size_t i = 0; i < want_len; i++) {
        if (buf[i] != want[i]) {
            fprintf(stderr, "tag %llu seq %llu len %zu: byte %zu is %02x, want %02x\n",
                    (unsigned long long)tag, (unsigned long long)seq, want_len, i, buf[i],
                    want[i]);
            return 0;
        }
    }
    return 1;
}

/* A record header for tests that tag messages with (sender, seq). */
typedef struct mp_rec {
    uint32_t sender;
    uint32_t seq;
} mp_rec;

/* ---- phase script: the parent drives, every child acknowledges ------------ */

#define MP_MAX_PHASES 64

typedef struct mp_ctl {
    uint32_t phase;                /* set by the parent */
    uint32_t done[MP_MAX_PHASES];  /* children finished with phase k */
    uint32_t counter[16];          /* free use: barriers, flags */
    uint64_t data[1024];           /* free use: results */
} mp_ctl;

static inline mp_ctl *mp_ctl_new(void) { return mp_shared(sizeof(mp_ctl)); }

static inline uint32_t mp_load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }
static inline void mp_store(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }
static inline uint32_t mp_inc(uint32_t *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }

/* Parent: start phase k (children blocked in mp_child_phase(k) go on). */
static inline void mp_phase_start(mp_ctl *c, uint32_t k)
{
    REQUIRE(k < MP_MAX_PHASES);
    mp_store(&c->phase, k);
}

/* Parent: wait until n children have finished phase k. */
static inline void mp_phase_wait(mp_ctl *c, uint32_t k, uint32_t n)
{
    MP_WAIT(mp_load(&c->done[k]) >= n);
    REQUIRE(mp_load(&c->done[k]) == n);
}

static inline void mp_phase(mp_ctl *c, uint32_t k, uint32_t n)
{
    mp_phase_start(c, k);
    mp_phase_wait(c, k, n);
}

/* Child: wait for phase k to start. */
static inline void mp_child_phase(mp_ctl *c, uint32_t k) { MP_WAIT(mp_load(&c->phase) >= k); }

/* Child: report phase k done. */
static inline void mp_child_done(mp_ctl *c, uint32_t k) { mp_inc(&c->done[k]); }

/* Barrier on a monotonic counter: bump it and wait until it reaches n. */
static inline void mp_barrier(uint32_t *counter, uint32_t n)
{
    mp_inc(counter);
    MP_WAIT(mp_load(counter) >= n);
}

/* ---- region observation ------------------------------------------------- */

static inline indexbus_info mp_info(const indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    return info;
}

static inline indexbus_consumer_stats mp_cstats(const indexbus_region *r, uint32_t i)
{
    indexbus_consumer_stats s = {.size = sizeof s};
    REQUIRE_OK(indexbus_region_consumer_stats(r, i, &s));
    return s;
}

/* All consumers 0..n-1 hold a handle (consumer_stats().attached). */
static inline int mp_consumers_attached(const indexbus_region *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!mp_cstats(r, i).attached)
            return 0;
    return 1;
}

/* Consumer children announce "indexbus_consumer_open has returned" on a
 * shared counter; producers that need every consumer served from the first
 * message wait for it. (consumer_stats().attached turns 1 inside
 * consumer_open, a moment before the router is told the consumer set
 * changed, so on its own it is not quite enough.) */
static inline void mp_consumer_ready(uint32_t *counter) { mp_inc(counter); }
static inline void mp_wait_consumers_ready(uint32_t *counter, uint32_t n)
{
    MP_WAIT(mp_load(counter) >= n);
}

/* Publish, retrying on FULL (sched_yield) until OK or another status. */
static inline int mp_publish(indexbus_producer *p, const void *data, size_t len)
{
    uint64_t deadline = mp_now_ns() + MP_HANG_NS;
    for (;;) {
        int st = indexbus_publish(p, data, len);
        if (st != INDEXBUS_FULL)
            return st;
        if (mp_now_ns() > deadline)
            return INDEXBUS_TIMEOUT;
        sched_yield();
    }
}

/* mp_publish that must succeed: any other status is printed as
 * "<what> <seq>: <status>" and 0 returned (the child then fails). */
static inline int mp_publish_ok(indexbus_producer *p, const void *data, size_t len,
                                const char *what, uint32_t seq)
{
    int st = mp_publish(p, data, len);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "%s %u: %s\n", what, seq, indexbus_status_name(st));
        return 0;
    }
    return 1;
}

/* Publish the records {sender, seq} for seq = from..to-1 in order, each with
 * mp_publish_ok; 0 at the first failure. */
static inline int mp_publish_recs(indexbus_producer *p, uint32_t sender, uint32_t from,
                                  uint32_t to, const char *what)
{
    for (uint32_t seq = from; seq < to; seq++) {
        mp_rec rec = {.sender = sender, .seq = seq};
        if (!mp_publish_ok(p, &rec, sizeof rec, what, seq))
            return 0;
    }
    return 1;
}

/* Blocking receive for a consumer that reads until every producer has closed
 * (MP_HANG_NS only guards against hangs). Returns the status: OK with a
 * message in buf / *len, DISCONNECTED at the end; any other status is printed
 * as "<who> recv: <status>". */
static inline int mp_recv_next(indexbus_consumer *c, void *buf, size_t cap, size_t *len,
                               const char *who)
{
    *len = 0;
    int st = indexbus_recv(c, buf, cap, len, MP_HANG_NS);
    if (st != INDEXBUS_OK && st != INDEXBUS_DISCONNECTED)
        fprintf(stderr, "%s recv: %s\n", who, indexbus_status_name(st));
    return st;
}

/* ---- child processes: one role each ------------------------------------------
 * A producer or consumer child starts with mp_child_producer/_consumer (its
 * mp_child, then the region by name and one handle on it) and ends with
 * mp_close_producer/_consumer (the handle, then the region). */

/* Start a producer child: mp_child, region `name` (into *r), a producer of `type`. */
static inline indexbus_producer *mp_child_producer(const char *name, uint32_t type,
                                                   indexbus_region **r)
{
    indexbus_producer *p;
    mp_child();
    *r = mp_open(name);
    REQUIRE_OK(indexbus_producer_open(*r, type, &p));
    return p;
}

/* Start a consumer child: mp_child, region `name` (into *r), consumer `index`. */
static inline indexbus_consumer *mp_child_consumer(const char *name, uint32_t index,
                                                   indexbus_region **r)
{
    indexbus_consumer *c;
    mp_child();
    *r = mp_open(name);
    REQUIRE_OK(indexbus_consumer_open(*r, index, &c));
    return c;
}

static inline void mp_close_producer(indexbus_region *r, indexbus_producer *p)
{
    REQUIRE_OK(indexbus_producer_close(p));
    indexbus_region_close(r);
}

static inline void mp_close_consumer(indexbus_region *r, indexbus_consumer *c)
{
    REQUIRE_OK(indexbus_consumer_close(c));
    indexbus_region_close(r);
}

/* A whole router child: opens `name` and a router, runs indexbus_router_run
 * (source, mode and park_ns as given, 0 = the library default) with
 * EXIT_ON_DISCONNECT, which must end DISCONNECTED once every producer has
 * closed, having routed exactly want_routed; closes both. */
static inline int mp_router_run_to_disconnect(const char *name, uint32_t source, uint32_t mode,
                                              uint64_t park_ns, uint64_t want_routed)
{
    mp_child();
    indexbus_region *r = mp_open(name);
    indexbus_router *rt;
    REQUIRE_OK(indexbus_router_open(r, &rt));
    indexbus_router_loop_config lc = {.size = sizeof lc,
                                      .source = source,
                                      .mode = mode,
                                      .flags = INDEXBUS_ROUTER_EXIT_ON_DISCONNECT,
                                      .park_ns = park_ns};
    CHECK_ST(indexbus_router_run(rt, &lc), INDEXBUS_DISCONNECTED);
    CHECK(lc.routed == want_routed);
    REQUIRE_OK(indexbus_router_close(rt));
    indexbus_region_close(r);
    return 0;
}

/* ---- exact expectations ----------------------------------------------------- */

/* try_recv must give exactly the string `want` (no NUL). */
#define MP_EXPECT(c, want) mp_expect_((c), (want), __FILE__, __LINE__)
static inline void mp_expect_(indexbus_consumer *c, const char *want, const char *file, int line)
{
    char buf[512];
    size_t len = 0;
    int st = indexbus_try_recv(c, buf, sizeof buf, &len);
    if (st != INDEXBUS_OK || len != strlen(want) || memcmp(buf, want, len) != 0) {
        fprintf(stderr, "%s:%d: try_recv = %s \"%.*s\", want OK \"%s\"\n", file, line,
                indexbus_status_name(st), st == INDEXBUS_OK ? (int)len : 0, buf, want);
        ib_test_failures++;
    }
}

/* try_recv must return status `want` (EMPTY, DISCONNECTED, ...). */
#define MP_EXPECT_ST(c, want) mp_expect_st_((c), (want), __FILE__, __LINE__)
static inline void mp_expect_st_(indexbus_consumer *c, int want, const char *file, int line)
{
    char buf[512];
    size_t len = 0;
    int st = indexbus_try_recv(c, buf, sizeof buf, &len);
    if (st != want) {
        fprintf(stderr, "%s:%d: try_recv = %s (len %zu), want %s\n", file, line,
                indexbus_status_name(st), st == INDEXBUS_OK ? len : 0,
                indexbus_status_name(want));
        ib_test_failures++;
    }
}

/* A route step's status and result must match exactly: routed = 1 iff OK,
 * the counts are the popcounts of the masks. */
#define MP_CHECK_ROUTE(st, res, want_st, dmask, fmask, ncmask) \
    mp_check_route_((st), &(res), (want_st), (dmask), (fmask), (ncmask), __FILE__, __LINE__)
static inline void mp_check_route_(int st, const indexbus_route_result *res, int want_st,
                                   uint64_t dmask, uint64_t fmask, uint64_t ncmask,
                                   const char *file, int line)
{
    uint32_t routed = want_st == INDEXBUS_OK;
    if (st != want_st || res->size != sizeof *res || res->routed != routed ||
        res->delivered != (uint32_t)__builtin_popcountll(dmask) ||
        res->dropped_full != (uint32_t)__builtin_popcountll(fmask) ||
        res->dropped_no_credit != (uint32_t)__builtin_popcountll(ncmask) ||
        res->delivered_mask != dmask || res->dropped_full_mask != fmask ||
        res->dropped_no_credit_mask != ncmask) {
        fprintf(stderr,
                "%s:%d: route = %s routed %u delivered %u/%#llx full %u/%#llx no_credit %u/%#llx;"
                " want %s delivered %#llx full %#llx no_credit %#llx\n",
                file, line, indexbus_status_name(st), res->routed, res->delivered,
                (unsigned long long)res->delivered_mask, res->dropped_full,
                (unsigned long long)res->dropped_full_mask, res->dropped_no_credit,
                (unsigned long long)res->dropped_no_credit_mask, indexbus_status_name(want_st),
                (unsigned long long)dmask, (unsigned long long)fmask, (unsigned long long)ncmask);
        ib_test_failures++;
    }
}

/* route_once_stats in one call, result checked exactly. */
#define MP_ROUTE(rt, source, mode, want_st, dmask, fmask, ncmask)                        \
    do {                                                                                 \
        indexbus_route_result mp_res_ = {.size = sizeof mp_res_};                        \
        int mp_st_ = indexbus_route_once_stats((rt), (source), (mode), &mp_res_);        \
        mp_check_route_(mp_st_, &mp_res_, (want_st), (dmask), (fmask), (ncmask), __FILE__, \
                        __LINE__);                                                       \
    } while (0)

/* Consumer counters must match exactly. */
#define MP_CHECK_CSTATS(r, i, deliv, full, nc, dep) \
    mp_check_cstats_((r), (i), (deliv), (full), (nc), (dep), __FILE__, __LINE__)
static inline void mp_check_cstats_(const indexbus_region *r, uint32_t i, uint64_t deliv,
                                    uint64_t full, uint64_t nc, uint64_t dep, const char *file,
                                    int line)
{
    indexbus_consumer_stats s = mp_cstats(r, i);
    if (s.delivered != deliv || s.dropped_full != full || s.dropped_no_credit != nc ||
        s.depth != dep) {
        fprintf(stderr,
                "%s:%d: consumer %u: delivered %llu full %llu no_credit %llu depth %llu;"
                " want %llu %llu %llu %llu\n",
                file, line, i, (unsigned long long)s.delivered, (unsigned long long)s.dropped_full,
                (unsigned long long)s.dropped_no_credit, (unsigned long long)s.depth,
                (unsigned long long)deliv, (unsigned long long)full, (unsigned long long)nc,
                (unsigned long long)dep);
        ib_test_failures++;
    }
}

/* Publish a string (no NUL), expecting status want. */
#define MP_PUB(p, s, want) CHECK_ST(indexbus_publish((p), (s), strlen(s)), (want))

/* MP_PUB / MP_EXPECT of the string printf(fmt, i), e.g. "f%d". */
#define MP_PUBF(p, fmt, i, want)                                                 \
    do {                                                                         \
        char mp_s_[16];                                                          \
        snprintf(mp_s_, sizeof mp_s_, fmt, i);                                   \
        MP_PUB(p, mp_s_, want);                                                  \
    } while (0)
#define MP_EXPECTF(c, fmt, i)                                                    \
    do {                                                                         \
        char mp_s_[16];                                                          \
        snprintf(mp_s_, sizeof mp_s_, fmt, i);                                   \
        MP_EXPECT(c, mp_s_);                                                     \
    } while (0)

/* ---- scripted scenarios ----------------------------------------------------
 * A scenario is a list of phases. Every child (role 0..children-1) opens the
 * region by name (mp_child_region), then for each phase k = 1..phases waits
 * for the parent to start it, runs child_step(role, k) and acknowledges. The
 * parent runs parent_step(region, k) after all children finished phase k
 * (mp_script_run), or drives the phases itself between mp_script_spawn and
 * mp_script_join. A child's handles live in mp_role_p / _c / _rt (opened and
 * closed with the mp_role_* helpers); steps must close them. */

typedef struct mp_script {
    int children;
    int phases;
    void (*child_step)(int role, int phase);
    void (*parent_step)(indexbus_region *r, int phase); /* may be NULL */
} mp_script;

static const mp_script *mp_cur_script;
static const char *mp_cur_name;
static mp_ctl *mp_cur_ctl;
static pid_t mp_cur_pids[64];
static indexbus_region *mp_child_region; /* the child's own handle */
static indexbus_producer *mp_role_p;     /* the child's role handles, NULL when closed */
static indexbus_consumer *mp_role_c;
static indexbus_router *mp_role_rt;

static inline void mp_role_open_producer(uint32_t type)
{
    REQUIRE_OK(indexbus_producer_open(mp_child_region, type, &mp_role_p));
}

static inline void mp_role_open_consumer(uint32_t index)
{
    REQUIRE_OK(indexbus_consumer_open(mp_child_region, index, &mp_role_c));
}

static inline void mp_role_open_router(void)
{
    REQUIRE_OK(indexbus_router_open(mp_child_region, &mp_role_rt));
}

static inline void mp_role_close_producer(void)
{
    REQUIRE_OK(indexbus_producer_close(mp_role_p));
    mp_role_p = NULL;
}

static inline void mp_role_close_consumer(void)
{
    REQUIRE_OK(indexbus_consumer_close(mp_role_c));
    mp_role_c = NULL;
}

static inline void mp_role_close_router(void)
{
    REQUIRE_OK(indexbus_router_close(mp_role_rt));
    mp_role_rt = NULL;
}

/* Close whichever role handles are open. */
static inline void mp_role_close_all(void)
{
    mp_role_close_producer();
    mp_role_close_consumer();
    mp_role_close_router();
}

static inline int mp_script_child(int role)
{
    mp_child();
    mp_child_region = mp_open(mp_cur_name);
    for (int k = 1; k <= mp_cur_script->phases; k++) {
        mp_child_phase(mp_cur_ctl, (uint32_t)k);
        mp_cur_script->child_step(role, k);
        mp_child_done(mp_cur_ctl, (uint32_t)k);
    }
    indexbus_region_close(mp_child_region);
    return 0;
}

/* Fork the scenario's children on region `name` (they wait for phase 1);
 * returns the control block to drive the phases with (mp_phase, ...). */
static inline mp_ctl *mp_script_spawn(const mp_script *s, const char *name)
{
    REQUIRE(s->children <= 64 && s->phases < MP_MAX_PHASES);
    mp_cur_script = s;
    mp_cur_name = name;
    mp_cur_ctl = mp_ctl_new();
    for (int i = 0; i < s->children; i++)
        mp_cur_pids[i] = ib_spawn(mp_script_child, i);
    return mp_cur_ctl;
}

/* Join the children of mp_script_spawn and drop its control block; returns
 * how many failed. */
static inline int mp_script_join(void)
{
    int bad = mp_join_all(mp_cur_pids, mp_cur_script->children);
    mp_unshare(mp_cur_ctl, sizeof *mp_cur_ctl);
    return bad;
}

/* Run a scenario on region `r` (already created as `name`). */
static inline void mp_script_run(const mp_script *s, const char *name, indexbus_region *r)
{
    mp_ctl *ctl = mp_script_spawn(s, name);
    for (int k = 1; k <= s->phases; k++) {
        mp_phase(ctl, (uint32_t)k, (uint32_t)s->children);
        if (s->parent_step != NULL)
            s->parent_step(r, k);
    }
    if (mp_script_join()) {
        fprintf(stderr, "scenario on %s: a child failed\n", name);
        ib_test_failures++;
    }
}

/* Create region ib_test_name(tag) (mp_create geometry), run scenario s on it,
 * check that nobody is left attached, then close and unlink it. */
static inline void mp_script_run_new_region(const mp_script *s, const char *tag, uint32_t kind,
                                            uint32_t slots, uint32_t data_size,
                                            uint32_t queue_cap, uint32_t consumers)
{
    const char *name = ib_test_name(tag);
    indexbus_region *r = mp_create(name, kind, slots, data_size, queue_cap, consumers);
    mp_script_run(s, name, r);
    indexbus_info info = mp_info(r);
    CHECK(info.producers_live == 0 && info.consumers_live == 0 && info.routers_live == 0);
    indexbus_region_close(r);
    CHECK_ST(indexbus_region_unlink(name), INDEXBUS_OK);
}

#endif /* IB_MP_UTIL_H */
