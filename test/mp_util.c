/* mp_util.c - see mp_util.h. */
#include "mp_util.h"

#include <time.h>
#include <unistd.h>

uint64_t mp_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * MP_SEC + (uint64_t)ts.tv_nsec;
}

void mp_guard(void) { alarm(MP_ALARM_S); }

void mp_child(void)
{
    ib_test_failures = 0;
    mp_guard();
}

void *mp_shared(size_t len) { return ib_shared(len); }

indexbus_region *mp_open(const char *name)
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

indexbus_region *mp_create(const char *name, uint32_t kind, uint32_t slots,
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

indexbus_region *mp_create_log(const char *name, uint64_t bytes, uint32_t max_record)
{
    return mp_create_ring(name, INDEXBUS_KIND_LOG, bytes, max_record);
}

indexbus_region *mp_create_ring(const char *name, uint32_t kind, uint64_t bytes,
                                uint32_t max_record)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    cfg.byte_capacity = bytes;
    cfg.max_record = max_record;
    int st = indexbus_region_create(name, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", name, indexbus_status_name(st));
        exit(1);
    }
    return r;
}

indexbus_region *mp_create_rpc(const char *name, uint32_t cells, uint32_t max_request,
                               uint32_t max_reply)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC));
    cfg.slot_count = cells;
    cfg.slot_data_size = max_request;
    cfg.max_record = max_reply;
    int st = indexbus_region_create(name, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", name, indexbus_status_name(st));
        exit(1);
    }
    return r;
}

int mp_join_all(const pid_t *pids, int n)
{
    int bad = 0;
    for (int i = 0; i < n; i++)
        bad += ib_join(pids[i]);
    return bad;
}

uint64_t mp_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

void mp_fill(uint8_t *buf, uint64_t tag, uint64_t seq, size_t len)
{
    uint64_t h = mp_mix(tag * 0x100000001b3ull ^ seq), x = 0;
    for (size_t i = 0; i < len; i++) {
        if (i % 8 == 0)
            x = mp_mix(h + i);
        buf[i] = i % 13 == 5 ? 0 : (uint8_t)(x >> (8 * (i % 8)));
    }
}

int mp_check_fill(const uint8_t *buf, size_t got_len, uint64_t tag, uint64_t seq,
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

mp_ctl *mp_ctl_new(void) { return mp_shared(sizeof(mp_ctl)); }

uint32_t mp_load(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_SEQ_CST); }

void mp_store(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_SEQ_CST); }

uint32_t mp_inc(uint32_t *p) { return __atomic_add_fetch(p, 1, __ATOMIC_SEQ_CST); }

void mp_phase_start(mp_ctl *c, uint32_t k)
{
    REQUIRE(k < MP_MAX_PHASES);
    mp_store(&c->phase, k);
}

void mp_phase_wait(mp_ctl *c, uint32_t k, uint32_t n)
{
    MP_WAIT(mp_load(&c->done[k]) >= n);
    REQUIRE(mp_load(&c->done[k]) == n);
}

void mp_phase(mp_ctl *c, uint32_t k, uint32_t n)
{
    mp_phase_start(c, k);
    mp_phase_wait(c, k, n);
}

void mp_child_phase(mp_ctl *c, uint32_t k) { MP_WAIT(mp_load(&c->phase) >= k); }

void mp_child_done(mp_ctl *c, uint32_t k) { mp_inc(&c->done[k]); }

void mp_barrier(uint32_t *counter, uint32_t n)
{
    mp_inc(counter);
    MP_WAIT(mp_load(counter) >= n);
}

indexbus_info mp_info(const indexbus_region *r)
{
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    return info;
}

indexbus_consumer_stats mp_cstats(const indexbus_region *r, uint32_t i)
{
    indexbus_consumer_stats s = {.size = sizeof s};
    REQUIRE_OK(indexbus_region_consumer_stats(r, i, &s));
    return s;
}

int mp_consumers_attached(const indexbus_region *r, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (!mp_cstats(r, i).attached)
            return 0;
    return 1;
}

void mp_consumer_ready(uint32_t *counter) { mp_inc(counter); }

void mp_wait_consumers_ready(uint32_t *counter, uint32_t n)
{
    MP_WAIT(mp_load(counter) >= n);
}

int mp_publish(indexbus_producer *p, const void *data, size_t len)
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

int mp_publish_ok(indexbus_producer *p, const void *data, size_t len,
                  const char *what, uint32_t seq)
{
    int st = mp_publish(p, data, len);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "%s %u: %s\n", what, seq, indexbus_status_name(st));
        return 0;
    }
    return 1;
}

int mp_publish_recs(indexbus_producer *p, uint32_t sender, uint32_t from,
                    uint32_t to, const char *what)
{
    for (uint32_t seq = from; seq < to; seq++) {
        mp_rec rec = {.sender = sender, .seq = seq};
        if (!mp_publish_ok(p, &rec, sizeof rec, what, seq))
            return 0;
    }
    return 1;
}

int mp_recv_next(indexbus_consumer *c, void *buf, size_t cap, size_t *len,
                 const char *who)
{
    *len = 0;
    int st = indexbus_recv(c, buf, cap, len, MP_HANG_NS);
    if (st != INDEXBUS_OK && st != INDEXBUS_DISCONNECTED)
        fprintf(stderr, "%s recv: %s\n", who, indexbus_status_name(st));
    return st;
}

indexbus_producer *mp_child_producer(const char *name, uint32_t type,
                                     indexbus_region **r)
{
    indexbus_producer *p;
    mp_child();
    *r = mp_open(name);
    REQUIRE_OK(indexbus_producer_open(*r, type, &p));
    return p;
}

indexbus_consumer *mp_child_consumer(const char *name, uint32_t index,
                                     indexbus_region **r)
{
    indexbus_consumer *c;
    mp_child();
    *r = mp_open(name);
    REQUIRE_OK(indexbus_consumer_open(*r, index, &c));
    return c;
}

void mp_close_producer(indexbus_region *r, indexbus_producer *p)
{
    REQUIRE_OK(indexbus_producer_close(p));
    indexbus_region_close(r);
}

void mp_close_consumer(indexbus_region *r, indexbus_consumer *c)
{
    REQUIRE_OK(indexbus_consumer_close(c));
    indexbus_region_close(r);
}

int mp_router_run_to_disconnect(const char *name, uint32_t source, uint32_t mode,
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

void mp_expect_(indexbus_consumer *c, const char *want, const char *file, int line)
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

void mp_expect_st_(indexbus_consumer *c, int want, const char *file, int line)
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

void mp_check_route_(int st, const indexbus_route_result *res, int want_st,
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

void mp_check_cstats_(const indexbus_region *r, uint32_t i, uint64_t deliv,
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

/* The script being run, as its children need it: IB_SHARED, so copied into
 * each child when it is spawned. The step function goes by its name in the
 * helper table (a function address means nothing in another process). */
IB_SHARED static struct {
    int children, phases;
    char step[64];   /* child_step's name in the helper table */
    char name[128];  /* the region */
    mp_ctl *ctl;     /* ib_shared() memory */
} mp_cur;
static const mp_script *mp_cur_script; /* parent only */
static pid_t mp_cur_pids[64];          /* parent only */

indexbus_region *mp_child_region;
indexbus_producer *mp_role_p;
indexbus_consumer *mp_role_c;
indexbus_router *mp_role_rt;

void mp_role_open_producer(uint32_t type)
{
    REQUIRE_OK(indexbus_producer_open(mp_child_region, type, &mp_role_p));
}

void mp_role_open_consumer(uint32_t index)
{
    REQUIRE_OK(indexbus_consumer_open(mp_child_region, index, &mp_role_c));
}

void mp_role_open_router(void)
{
    REQUIRE_OK(indexbus_router_open(mp_child_region, &mp_role_rt));
}

void mp_role_close_producer(void)
{
    REQUIRE_OK(indexbus_producer_close(mp_role_p));
    mp_role_p = NULL;
}

void mp_role_close_consumer(void)
{
    REQUIRE_OK(indexbus_consumer_close(mp_role_c));
    mp_role_c = NULL;
}

void mp_role_close_router(void)
{
    REQUIRE_OK(indexbus_router_close(mp_role_rt));
    mp_role_rt = NULL;
}

void mp_role_close_all(void)
{
    mp_role_close_producer();
    mp_role_close_consumer();
    mp_role_close_router();
}

int mp_script_child(int role)
{
    mp_child();
    void (*step)(int role, int phase) = (void (*)(int, int))ib_helper_fn(mp_cur.step);
    REQUIRE(step != NULL);
    mp_child_region = mp_open(mp_cur.name);
    for (int k = 1; k <= mp_cur.phases; k++) {
        mp_child_phase(mp_cur.ctl, (uint32_t)k);
        step(role, k);
        mp_child_done(mp_cur.ctl, (uint32_t)k);
    }
    indexbus_region_close(mp_child_region);
    return 0;
}

mp_ctl *mp_script_spawn(const mp_script *s, const char *name)
{
    REQUIRE(s->children <= 64 && s->phases < MP_MAX_PHASES);
    const char *step = ib_helper_name((ib_fn)s->child_step);
    if (step == NULL) {
        fprintf(stderr, "mp_script_spawn: child_step is not in the helper table\n");
        exit(1);
    }
    REQUIRE(strlen(step) < sizeof mp_cur.step && strlen(name) < sizeof mp_cur.name);
    mp_cur_script = s;
    mp_cur.children = s->children;
    mp_cur.phases = s->phases;
    snprintf(mp_cur.step, sizeof mp_cur.step, "%s", step);
    snprintf(mp_cur.name, sizeof mp_cur.name, "%s", name);
    mp_cur.ctl = mp_ctl_new();
    for (int i = 0; i < s->children; i++)
        mp_cur_pids[i] = ib_spawn(mp_script_child, i);
    return mp_cur.ctl;
}

int mp_script_join(void)
{
    return mp_join_all(mp_cur_pids, mp_cur_script->children);
}

void mp_script_run(const mp_script *s, const char *name, indexbus_region *r)
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

void mp_script_run_new_region(const mp_script *s, const char *tag, uint32_t kind,
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
