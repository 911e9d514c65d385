/*
 * mp_util.h - helpers for the multi-process cases of the feature tests
 * (declarations; the code is in mp_util.c, linked into every test program
 * like harness.c).
 *
 * Children are helper processes started with ib_spawn (a fresh exec of the
 * test program, see harness.h) and open the region BY NAME themselves
 * (mp_open). Coordination between the test's processes (never between the
 * library's handles) goes through ib_shared() memory (mp_shared / mp_ctl),
 * handed to the children in IB_SHARED pointers. Waits are poll loops with
 * sched_yield and a deadline that only guards against hangs; every process
 * also arms alarm() so a stuck process dies with SIGALRM instead of
 * hanging the run.
 */
#ifndef IB_MP_UTIL_H
#define IB_MP_UTIL_H

#include "harness.h"

#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define MP_SEC 1000000000ull
#define MP_HANG_NS (30 * MP_SEC)   /* blocking recv: hang guard only */
#define MP_ALARM_S 120u            /* whole process: hang guard only */

uint64_t mp_now_ns(void);

/* Arm the per-process hang guard. */
void mp_guard(void);

/* First call in every child: own hang guard, and a clean failure count. */
void mp_child(void);

/* Zeroed memory shared with every child spawned afterwards (ib_shared). */
void *mp_shared(size_t len);

/* Open an existing region by name, as an unrelated process would. */
indexbus_region *mp_open(const char *name);

/* Create with full control over the geometry (0 = default). */
indexbus_region *mp_create(const char *name, uint32_t kind, uint32_t slots,
                           uint32_t data_size, uint32_t queue_cap,
                           uint32_t consumers);

/* Create a byte log (1.1) of `bytes` ring bytes; max_record 0 = default. */
indexbus_region *mp_create_log(const char *name, uint64_t bytes, uint32_t max_record);
/* A byte log or byte stream (kind) of `bytes`, max_record 0 = default. */
indexbus_region *mp_create_ring(const char *name, uint32_t kind, uint64_t bytes,
                                uint32_t max_record);

/* Create a request/response region (1.1): cells, largest request and
 * reply (0 = default). */
indexbus_region *mp_create_rpc(const char *name, uint32_t cells, uint32_t max_request,
                               uint32_t max_reply);

/* Join every child; returns how many failed. */
int mp_join_all(const pid_t *pids, int n);

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

uint64_t mp_mix(uint64_t x);

/* Binary content from (tag, seq, len): NUL bytes at regular places and
 * every other byte value possible. */
void mp_fill(uint8_t *buf, uint64_t tag, uint64_t seq, size_t len);

/* Check buf against mp_fill; prints the first differing byte. */
int mp_check_fill(const uint8_t *buf, size_t got_len, uint64_t tag, uint64_t seq,
                  size_t want_len);

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

mp_ctl *mp_ctl_new(void);

uint32_t mp_load(const uint32_t *p);
void mp_store(uint32_t *p, uint32_t v);
uint32_t mp_inc(uint32_t *p);

/* Parent: start phase k (children blocked in mp_child_phase(k) go on). */
void mp_phase_start(mp_ctl *c, uint32_t k);

/* Parent: wait until n children have finished phase k. */
void mp_phase_wait(mp_ctl *c, uint32_t k, uint32_t n);

void mp_phase(mp_ctl *c, uint32_t k, uint32_t n);

/* Child: wait for phase k to start. */
void mp_child_phase(mp_ctl *c, uint32_t k);

/* Child: report phase k done. */
void mp_child_done(mp_ctl *c, uint32_t k);

/* Barrier on a monotonic counter: bump it and wait until it reaches n. */
void mp_barrier(uint32_t *counter, uint32_t n);

/* ---- region observation ------------------------------------------------- */

indexbus_info mp_info(const indexbus_region *r);

indexbus_consumer_stats mp_cstats(const indexbus_region *r, uint32_t i);

/* All consumers 0..n-1 hold a handle (consumer_stats().attached). */
int mp_consumers_attached(const indexbus_region *r, uint32_t n);

/* Consumer children announce "indexbus_consumer_open has returned" on a
 * shared counter; producers that need every consumer served from the first
 * message wait for it. (consumer_stats().attached turns 1 inside
 * consumer_open, a moment before the router is told the consumer set
 * changed, so on its own it is not quite enough.) */
void mp_consumer_ready(uint32_t *counter);
void mp_wait_consumers_ready(uint32_t *counter, uint32_t n);

/* Publish, retrying on FULL (sched_yield) until OK or another status. */
int mp_publish(indexbus_producer *p, const void *data, size_t len);

/* mp_publish that must succeed: any other status is printed as
 * "<what> <seq>: <status>" and 0 returned (the child then fails). */
int mp_publish_ok(indexbus_producer *p, const void *data, size_t len,
                  const char *what, uint32_t seq);

/* Publish the records {sender, seq} for seq = from..to-1 in order, each with
 * mp_publish_ok; 0 at the first failure. */
int mp_publish_recs(indexbus_producer *p, uint32_t sender, uint32_t from,
                    uint32_t to, const char *what);

/* Blocking receive for a consumer that reads until every producer has closed
 * (MP_HANG_NS only guards against hangs). Returns the status: OK with a
 * message in buf / *len, DISCONNECTED at the end; any other status is printed
 * as "<who> recv: <status>". */
int mp_recv_next(indexbus_consumer *c, void *buf, size_t cap, size_t *len,
                 const char *who);

/* ---- child processes: one role each ------------------------------------------
 * A producer or consumer child starts with mp_child_producer/_consumer (its
 * mp_child, then the region by name and one handle on it) and ends with
 * mp_close_producer/_consumer (the handle, then the region). */

/* Start a producer child: mp_child, region `name` (into *r), a producer of `type`. */
indexbus_producer *mp_child_producer(const char *name, uint32_t type,
                                     indexbus_region **r);

/* Start a consumer child: mp_child, region `name` (into *r), consumer `index`. */
indexbus_consumer *mp_child_consumer(const char *name, uint32_t index,
                                     indexbus_region **r);

void mp_close_producer(indexbus_region *r, indexbus_producer *p);

void mp_close_consumer(indexbus_region *r, indexbus_consumer *c);

/* A whole router child: opens `name` and a router, runs indexbus_router_run
 * (source, mode and park_ns as given, 0 = the library default) with
 * EXIT_ON_DISCONNECT, which must end DISCONNECTED once every producer has
 * closed, having routed exactly want_routed; closes both. */
int mp_router_run_to_disconnect(const char *name, uint32_t source, uint32_t mode,
                                uint64_t park_ns, uint64_t want_routed);

/* ---- exact expectations ----------------------------------------------------- */

/* try_recv must give exactly the string `want` (no NUL). */
#define MP_EXPECT(c, want) mp_expect_((c), (want), __FILE__, __LINE__)
void mp_expect_(indexbus_consumer *c, const char *want, const char *file, int line);

/* try_recv must return status `want` (EMPTY, DISCONNECTED, ...). */
#define MP_EXPECT_ST(c, want) mp_expect_st_((c), (want), __FILE__, __LINE__)
void mp_expect_st_(indexbus_consumer *c, int want, const char *file, int line);

/* A route step's status and result must match exactly: routed = 1 iff OK,
 * the counts are the popcounts of the masks. */
#define MP_CHECK_ROUTE(st, res, want_st, dmask, fmask, ncmask) \
    mp_check_route_((st), &(res), (want_st), (dmask), (fmask), (ncmask), __FILE__, __LINE__)
void mp_check_route_(int st, const indexbus_route_result *res, int want_st,
                     uint64_t dmask, uint64_t fmask, uint64_t ncmask,
                     const char *file, int line);

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
void mp_check_cstats_(const indexbus_region *r, uint32_t i, uint64_t deliv,
                      uint64_t full, uint64_t nc, uint64_t dep, const char *file,
                      int line);

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

/* A script's children are helpers running mp_script_child: list
 * MP_SCRIPT_HELPER and every script's child_step in the program's helper
 * table (the child finds its step function there by name). */
#define MP_SCRIPT_HELPER IB_HELPER(mp_script_child)

extern indexbus_region *mp_child_region; /* the child's own handle */
extern indexbus_producer *mp_role_p;     /* the child's role handles, NULL when closed */
extern indexbus_consumer *mp_role_c;
extern indexbus_router *mp_role_rt;

void mp_role_open_producer(uint32_t type);

void mp_role_open_consumer(uint32_t index);

void mp_role_open_router(void);

void mp_role_close_producer(void);

void mp_role_close_consumer(void);

void mp_role_close_router(void);

/* Close whichever role handles are open. */
void mp_role_close_all(void);

/* The helper every script child runs. */
int mp_script_child(int role);

/* Spawn the scenario's children on region `name` (they wait for phase 1);
 * returns the control block to drive the phases with (mp_phase, ...). */
mp_ctl *mp_script_spawn(const mp_script *s, const char *name);

/* Join the children of mp_script_spawn; returns how many failed. */
int mp_script_join(void);

/* Run a scenario on region `r` (already created as `name`). */
void mp_script_run(const mp_script *s, const char *name, indexbus_region *r);

/* Create region ib_test_name(tag) (mp_create geometry), run scenario s on it,
 * check that nobody is left attached, then close and unlink it. */
void mp_script_run_new_region(const mp_script *s, const char *tag, uint32_t kind,
                              uint32_t slots, uint32_t data_size,
                              uint32_t queue_cap, uint32_t consumers);

#endif /* IB_MP_UTIL_H */
