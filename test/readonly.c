/*
 * readonly.c - read-only observers (INDEXBUS_OPEN_READ_ONLY, 1.3).
 *
 * On a region of each kind (durable events, fanout and byte log; stream;
 * rpc) with live participants, a dead one and counts in it:
 *  - every observer call on a read-only handle works and says exactly what
 *    the writer's handle says (info, consumer_stats, participant of every
 *    entry, stream_state, bridge_counters_get, region_id);
 *  - every call that would write (producer, consumer, held consumer,
 *    router, stream writer and reader, rpc client and server open;
 *    recover, with and without SWEEP; bridge_counters_add) gives
 *    PERMISSION;
 *  - the region file is byte for byte what it was before the read-only
 *    open, with the handle open and after it closed; it is mapped r--s;
 *  - a dead participant is left for a writer to recover (one dead).
 * And a region of mode 0440 (owner) and 0640 (shared group), opened by a
 * process without write permission: the plain open gives PERMISSION, the
 * read-only open works (and refuses writes), gc gives PERMISSION.
 */
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable_util.h"

#define RO_SLOTS 64u
#define RO_DATA 64u
#define RO_RING 16384u
#define RO_NOBODY 65534u /* uid and gid of the process without write permission */

static const char *IB_SHARED ro_name;    /* region the helpers open */
static uint32_t *IB_SHARED ro_ready;      /* a helper says it is attached */
static uint32_t IB_SHARED ro_published;  /* what the no-permission child expects */

/* ---- the region file ------------------------------------------------------- */

typedef struct file_bytes {
    uint8_t *b;
    size_t n;
} file_bytes;

static void region_path(const char *name, char *buf, size_t cap)
{
    snprintf(buf, cap, "/dev/shm/%s", name[0] == '/' ? name + 1 : name);
}

static file_bytes snapshot(const char *name)
{
    char path[300];
    struct stat sb;
    region_path(name, path, sizeof path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0 && fstat(fd, &sb) == 0);
    file_bytes f = {malloc((size_t)sb.st_size), (size_t)sb.st_size};
    REQUIRE(f.b != NULL && pread(fd, f.b, f.n, 0) == (ssize_t)f.n);
    close(fd);
    return f;
}

/* 1 if the file still holds exactly `before`; prints the first difference. */
static int unchanged(const char *name, const file_bytes *before, const char *when)
{
    file_bytes now = snapshot(name);
    int same = now.n == before->n && memcmp(now.b, before->b, now.n) == 0;
    for (size_t i = 0; !same && i < now.n && i < before->n; i++)
        if (now.b[i] != before->b[i]) {
            fprintf(stderr, "%s %s: byte %zu changed 0x%02x -> 0x%02x\n", name, when, i,
                    before->b[i], now.b[i]);
            break;
        }
    free(now.b);
    return same;
}

/* How many mappings of the region file this process has with perms `perms`. */
static int mappings(const char *name, const char *perms)
{
    char path[300], line[512];
    region_path(name, path, sizeof path);
    FILE *f = fopen("/proc/self/maps", "r");
    REQUIRE(f != NULL);
    int n = 0;
    size_t pl = strlen(path);
    while (fgets(line, sizeof line, f) != NULL) {
        size_t l = strcspn(line, "\n");
        line[l] = '\0';
        char *sp = strchr(line, ' ');
        if (sp != NULL && l >= pl && strcmp(line + l - pl, path) == 0 &&
            strncmp(sp + 1, perms, 4) == 0)
            n++;
    }
    fclose(f);
    return n;
}

static indexbus_region *open_ro(const char *name, int *st)
{
    indexbus_open_config oc = {.size = sizeof oc, .flags = INDEXBUS_OPEN_READ_ONLY,
                               .ready_timeout_ns = 1000000000ull};
    indexbus_region *r = NULL;
    *st = indexbus_region_open(name, &oc, &r);
    return r;
}

/* ---- observers: the read-only handle says what the writer's says ------------ */

static void same_info(indexbus_region *w, indexbus_region *ro)
{
    indexbus_info a = mp_info(w), b = mp_info(ro);
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    for (uint32_t i = 0; i < a.consumer_count; i++) {
        indexbus_consumer_stats x = {.size = sizeof x}, y = {.size = sizeof y};
        CHECK_ST(indexbus_region_consumer_stats(w, i, &x), INDEXBUS_OK);
        CHECK_ST(indexbus_region_consumer_stats(ro, i, &y), INDEXBUS_OK);
        CHECK(memcmp(&x, &y, sizeof x) == 0);
    }
    indexbus_consumer_stats y = {.size = sizeof y};
    CHECK_ST(indexbus_region_consumer_stats(ro, a.consumer_count, &y), INDEXBUS_OUT_OF_RANGE);
}

/* Every entry of the table as the writer sees it; returns alive and dead counts. */
static void same_participants(indexbus_region *w, indexbus_region *ro, uint32_t *alive,
                              uint32_t *dead)
{
    *alive = *dead = 0;
    for (uint32_t s = 0; s < INDEXBUS_MAX_PARTICIPANTS; s++) {
        indexbus_participant_info a = {.size = sizeof a}, b = {.size = sizeof b};
        int sa = indexbus_region_participant(w, s, &a), sb = indexbus_region_participant(ro, s, &b);
        CHECK_ST(sb, sa);
        if (sa != INDEXBUS_OK)
            continue;
        CHECK(memcmp(&a, &b, sizeof a) == 0);
        *alive += b.alive == 1;
        *dead += b.alive == 0;
    }
    indexbus_participant_info b = {.size = sizeof b};
    CHECK_ST(indexbus_region_participant(ro, INDEXBUS_MAX_PARTICIPANTS, &b), INDEXBUS_OUT_OF_RANGE);
}

static void same_durable(indexbus_region *w, indexbus_region *ro, uint32_t consumers)
{
    uint8_t ia[16], ib[16];
    CHECK_ST(indexbus_region_id(w, ia), INDEXBUS_OK);
    CHECK_ST(indexbus_region_id(ro, ib), INDEXBUS_OK);
    CHECK(memcmp(ia, ib, 16) == 0);
    for (uint32_t which = 0; which <= consumers; which++) {
        uint32_t q = which == consumers ? INDEXBUS_BRIDGE_IN : which;
        indexbus_bridge_counters a = {.size = sizeof a}, b = {.size = sizeof b};
        CHECK_ST(indexbus_bridge_counters_get(w, q, &a), INDEXBUS_OK);
        CHECK_ST(indexbus_bridge_counters_get(ro, q, &b), INDEXBUS_OK);
        CHECK(memcmp(&a, &b, sizeof a) == 0);
    }
}

/* ---- writers: PERMISSION, and no handle ------------------------------------- */

#define CHECK_REFUSED(call, handle)                                             \
    do {                                                                        \
        handle = (void *)1;                                                     \
        CHECK_ST(call, INDEXBUS_PERMISSION);                                    \
        CHECK(handle == NULL);                                                  \
    } while (0)

static void slot_writers_refused(indexbus_region *ro, uint32_t kind, uint32_t consumers)
{
    indexbus_producer *p;
    indexbus_consumer *c;
    indexbus_router *rt;
    CHECK_REFUSED(indexbus_producer_open(ro, INDEXBUS_PRODUCER_SPSC, &p), p);
    CHECK_REFUSED(indexbus_producer_open(ro, INDEXBUS_PRODUCER_MPSC, &p), p);
    for (uint32_t i = 0; i < consumers; i++) {
        CHECK_REFUSED(indexbus_consumer_open(ro, i, &c), c);
        indexbus_consumer_config cc = {.size = sizeof cc, .index = i,
                                       .flags = INDEXBUS_CONSUMER_HOLD};
        CHECK_REFUSED(indexbus_consumer_open_config(ro, &cc, &c), c);
        cc.flags = 0;
        CHECK_REFUSED(indexbus_consumer_open_config(ro, &cc, &c), c);
    }
    if (kind == INDEXBUS_KIND_FANOUT)
        CHECK_REFUSED(indexbus_router_open(ro, &rt), rt);
    else
        CHECK_ST(indexbus_router_open(ro, &rt), INDEXBUS_WRONG_KIND); /* nothing to write */
}

static void region_writers_refused(indexbus_region *ro, int durable)
{
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(ro, 0, &rep), INDEXBUS_PERMISSION);
    CHECK(rep.dead == 0 && rep.slots_reclaimed == 0 && rep.cells_skipped == 0);
    CHECK_ST(indexbus_region_recover(ro, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_PERMISSION);
    CHECK_ST(indexbus_region_recover(ro, 0, NULL), INDEXBUS_PERMISSION);
    indexbus_bridge_counters d = {.size = sizeof d, .forwarded = 1, .refused = 1};
    CHECK_ST(indexbus_bridge_counters_add(ro, 0, &d), INDEXBUS_PERMISSION);
    CHECK_ST(indexbus_bridge_counters_add(ro, INDEXBUS_BRIDGE_IN, &d), INDEXBUS_PERMISSION);
    (void)durable;
}

/* The read-only part, common to every kind: open, check the handle, run
 * `observe` and `refuse`, close; the file never changes. */
typedef void (*ro_fn)(indexbus_region *w, indexbus_region *ro);

static void read_only_pass(const char *name, indexbus_region *w, ro_fn observe, ro_fn refuse)
{
    file_bytes before = snapshot(name);
    int rw_maps = mappings(name, "rw-s");
    int st;
    indexbus_region *ro = open_ro(name, &st);
    REQUIRE(st == INDEXBUS_OK && ro != NULL);
    uint32_t flag = 7;
    CHECK_ST(indexbus_region_read_only(ro, &flag), INDEXBUS_OK);
    CHECK(flag == 1);
    CHECK_ST(indexbus_region_read_only(w, &flag), INDEXBUS_OK);
    CHECK(flag == 0);
    CHECK(mappings(name, "r--s") == 1 && mappings(name, "rw-s") == rw_maps);
    observe(w, ro);
    refuse(w, ro);
    observe(w, ro); /* the refusals changed nothing either side can see */
    CHECK(unchanged(name, &before, "with the read-only handle open"));
    CHECK_ST(indexbus_region_close(ro), INDEXBUS_OK);
    CHECK(mappings(name, "r--s") == 0);
    CHECK(unchanged(name, &before, "after the read-only handle closed"));
    free(before.b);
}

/* ---- helpers -------------------------------------------------------------------- */

/* Attach an MPSC producer, publish two messages, say so, and wait to be killed. */
static int mpsc_then_die(int arg)
{
    (void)arg;
    mp_child();
    indexbus_region *r = mp_open(ro_name);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p));
    for (uint32_t i = 0; i < 2; i++)
        REQUIRE_OK(mp_publish(p, &i, sizeof i));
    mp_store(ro_ready, 1);
    for (;;)
        pause();
}

/* A dead MPSC producer in region ro_name: spawned, attached, SIGKILLed. */
static void dead_mpsc_producer(const char *name)
{
    ro_name = name;
    ro_ready = mp_shared(sizeof *ro_ready);
    pid_t pid = ib_spawn(mpsc_then_die, 0);
    MP_WAIT(mp_load(ro_ready) == 1);
    CHECK(ib_kill(pid) == SIGKILL);
}

/* ---- events (durable): SPSC producer and consumer live, MPSC producer dead ------- */

static void events_observe(indexbus_region *w, indexbus_region *ro)
{
    same_info(w, ro);
    indexbus_info in = mp_info(ro);
    CHECK(in.kind == INDEXBUS_KIND_EVENTS && in.published == 7);
    CHECK(in.producers_live == 2 && in.consumers_live == 1 && in.participants_live == 3);
    CHECK(in.spsc_depth == 3 && in.mpsc_depth == 2); /* 2 of the 5 SPSC ones read */
    indexbus_consumer_stats cs = mp_cstats(ro, 0);
    CHECK(cs.attached == 1 && cs.delivered == 2 && cs.depth == 5);
    uint32_t alive, dead;
    same_participants(w, ro, &alive, &dead);
    CHECK(alive == 2 && dead == 1);
    same_durable(w, ro, 1);
    indexbus_bridge_counters b = {.size = sizeof b};
    CHECK_ST(indexbus_bridge_counters_get(ro, INDEXBUS_BRIDGE_IN, &b), INDEXBUS_OK);
    CHECK(b.forwarded == 11 && b.acknowledged == 10 && b.refused == 1);
    uint32_t flags, writers;
    CHECK_ST(indexbus_stream_state(ro, &flags, &writers), INDEXBUS_WRONG_KIND);
}

static void events_refuse(indexbus_region *w, indexbus_region *ro)
{
    (void)w;
    slot_writers_refused(ro, INDEXBUS_KIND_EVENTS, 1);
    region_writers_refused(ro, 1);
}

static void events_case(void)
{
    const char *name = ib_test_name("ro-events");
    indexbus_region *w = NULL;
    REQUIRE_OK(du_create_st(name, INDEXBUS_KIND_EVENTS, INDEXBUS_CREATE_DURABLE, &w));
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(w, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < 5; i++)
        REQUIRE_OK(indexbus_publish(p, &i, sizeof i));
    REQUIRE_OK(indexbus_consumer_open(w, 0, &c));
    uint8_t buf[RO_DATA];
    size_t len;
    for (int i = 0; i < 2; i++)
        REQUIRE_OK(indexbus_try_recv(c, buf, sizeof buf, &len));
    dead_mpsc_producer(name);
    indexbus_bridge_counters d = {.size = sizeof d, .forwarded = 11, .acknowledged = 10, .refused = 1};
    REQUIRE_OK(indexbus_bridge_counters_add(w, INDEXBUS_BRIDGE_IN, &d));
    read_only_pass(name, w, events_observe, events_refuse);
    /* the dead producer was left for a writer: recovered now, once */
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(w, 0, &rep), INDEXBUS_OK);
    CHECK(rep.dead == 1);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

/* ---- fanout (durable): routed, one consumer live -------------------------------- */

static void fanout_observe(indexbus_region *w, indexbus_region *ro)
{
    same_info(w, ro);
    indexbus_info in = mp_info(ro);
    CHECK(in.kind == INDEXBUS_KIND_FANOUT && in.published == 4 && in.routed == 4);
    CHECK(in.consumers_live == 1 && in.routers_live == 0 && in.participants_live == 1);
    indexbus_consumer_stats c0 = mp_cstats(ro, 0), c1 = mp_cstats(ro, 1);
    CHECK(c0.attached == 1 && c0.delivered == 4 && c0.depth == 3); /* delivered: into its queue */
    CHECK(c1.attached == 0 && c1.delivered == 0 && c1.depth == 0);
    uint32_t alive, dead;
    same_participants(w, ro, &alive, &dead);
    CHECK(alive == 1 && dead == 0);
    same_durable(w, ro, DU_FANOUT);
}

static void fanout_refuse(indexbus_region *w, indexbus_region *ro)
{
    (void)w;
    slot_writers_refused(ro, INDEXBUS_KIND_FANOUT, DU_FANOUT);
    region_writers_refused(ro, 1);
}

static void fanout_case(void)
{
    const char *name = ib_test_name("ro-fanout");
    indexbus_region *w = NULL;
    REQUIRE_OK(du_create_st(name, INDEXBUS_KIND_FANOUT, INDEXBUS_CREATE_DURABLE, &w));
    indexbus_producer *p;
    indexbus_consumer *c;
    indexbus_router *rt;
    REQUIRE_OK(indexbus_consumer_open(w, 0, &c));
    REQUIRE_OK(indexbus_router_open(w, &rt));
    REQUIRE_OK(indexbus_producer_open(w, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < 4; i++)
        REQUIRE_OK(indexbus_publish(p, &i, sizeof i));
    while (indexbus_route_once(rt, INDEXBUS_SOURCE_SPSC, INDEXBUS_MODE_BROADCAST) == INDEXBUS_OK)
        ;
    indexbus_producer_close(p);
    indexbus_router_close(rt);
    uint8_t buf[RO_DATA];
    size_t len;
    REQUIRE_OK(indexbus_try_recv(c, buf, sizeof buf, &len));
    read_only_pass(name, w, fanout_observe, fanout_refuse);
    indexbus_consumer_close(c);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

/* ---- byte log (durable): producer live, one record read ------------------------ */

static void log_observe(indexbus_region *w, indexbus_region *ro)
{
    same_info(w, ro);
    indexbus_info in = mp_info(ro);
    CHECK(in.kind == INDEXBUS_KIND_LOG && in.published == 3 && in.records_waiting == 2);
    CHECK(in.bytes_used > 0 && in.bytes_used + in.bytes_free == in.byte_capacity);
    indexbus_consumer_stats cs = mp_cstats(ro, 0);
    CHECK(cs.attached == 1 && cs.delivered == 1 && cs.depth == 2);
    uint32_t alive, dead;
    same_participants(w, ro, &alive, &dead);
    CHECK(alive == 2 && dead == 0);
    same_durable(w, ro, 1);
}

static void log_refuse(indexbus_region *w, indexbus_region *ro)
{
    (void)w;
    slot_writers_refused(ro, INDEXBUS_KIND_LOG, 1);
    region_writers_refused(ro, 1);
}

static void log_case(void)
{
    const char *name = ib_test_name("ro-log");
    indexbus_region *w = NULL;
    REQUIRE_OK(du_create_st(name, INDEXBUS_KIND_LOG, INDEXBUS_CREATE_DURABLE, &w));
    indexbus_producer *p;
    indexbus_consumer *c;
    REQUIRE_OK(indexbus_producer_open(w, INDEXBUS_PRODUCER_SPSC, &p));
    REQUIRE_OK(indexbus_consumer_open(w, 0, &c));
    uint8_t rec[100] = {1, 2, 3};
    for (int i = 0; i < 3; i++)
        REQUIRE_OK(indexbus_publish(p, rec, sizeof rec - (size_t)i));
    uint8_t buf[DU_MAXREC];
    size_t len;
    REQUIRE_OK(indexbus_try_recv(c, buf, sizeof buf, &len));
    read_only_pass(name, w, log_observe, log_refuse);
    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

/* ---- stream: one writer live, 100 bytes written -------------------------------- */

static void stream_observe(indexbus_region *w, indexbus_region *ro)
{
    same_info(w, ro);
    uint32_t fa, aa, fb, ab;
    CHECK_ST(indexbus_stream_state(w, &fa, &aa), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_state(ro, &fb, &ab), INDEXBUS_OK);
    CHECK(fa == fb && aa == ab && ab == 0);
    indexbus_info in = mp_info(ro);
    CHECK(in.kind == INDEXBUS_KIND_STREAM && in.stream_writers == 1 && in.stream_bytes_read == 0);
    uint8_t id[16];
    CHECK_ST(indexbus_region_id(ro, id), INDEXBUS_WRONG_KIND);
    uint32_t alive, dead;
    same_participants(w, ro, &alive, &dead);
    CHECK(alive == 1 && dead == 0);
}

static void stream_refuse(indexbus_region *w, indexbus_region *ro)
{
    (void)w;
    indexbus_stream_writer *sw;
    indexbus_stream_reader *sr;
    CHECK_REFUSED(indexbus_stream_writer_open(ro, &sw), sw);
    CHECK_REFUSED(indexbus_stream_reader_open(ro, &sr), sr);
    region_writers_refused(ro, 0);
}

static void stream_case(void)
{
    const char *name = ib_test_name("ro-stream");
    indexbus_region *w = mp_create_ring(name, INDEXBUS_KIND_STREAM, RO_RING, 0);
    indexbus_stream_writer *sw;
    REQUIRE_OK(indexbus_stream_writer_open(w, &sw));
    uint8_t data[100];
    memset(data, 0x5a, sizeof data);
    size_t written;
    REQUIRE_OK(indexbus_stream_write_all(sw, data, sizeof data, 1000000000ull, &written));
    REQUIRE(written == sizeof data);
    read_only_pass(name, w, stream_observe, stream_refuse);
    indexbus_stream_writer_close(sw);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

/* ---- rpc: one client live ------------------------------------------------------- */

static void rpc_observe(indexbus_region *w, indexbus_region *ro)
{
    same_info(w, ro);
    indexbus_info in = mp_info(ro);
    CHECK(in.kind == INDEXBUS_KIND_RPC && in.rpc_cells == 4 && in.rpc_cells_free == 4);
    CHECK(in.producers_live == 1 && in.consumers_live == 0);
    uint32_t alive, dead;
    same_participants(w, ro, &alive, &dead);
    CHECK(alive == 1 && dead == 0);
}

static void rpc_refuse(indexbus_region *w, indexbus_region *ro)
{
    (void)w;
    indexbus_rpc_client *cl;
    indexbus_rpc_server *sv;
    CHECK_REFUSED(indexbus_rpc_client_open(ro, &cl), cl);
    CHECK_REFUSED(indexbus_rpc_server_open(ro, &sv), sv);
    region_writers_refused(ro, 0);
}

static void rpc_case(void)
{
    const char *name = ib_test_name("ro-rpc");
    indexbus_region *w = mp_create_rpc(name, 4, 0, 0);
    indexbus_rpc_client *cl;
    REQUIRE_OK(indexbus_rpc_client_open(w, &cl));
    read_only_pass(name, w, rpc_observe, rpc_refuse);
    indexbus_rpc_client_close(cl);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

/* ---- without write permission --------------------------------------------------- */

/* Drop to a process that may read the region but not write it: as root,
 * uid and gid RO_NOBODY with no other group (root would bypass the mode). */
static void drop_write_permission(void)
{
    if (geteuid() != 0)
        return; /* 0440 owned by us: no write bit anyway */
    REQUIRE(setgroups(0, NULL) == 0 && setgid(RO_NOBODY) == 0 && setuid(RO_NOBODY) == 0);
}

static int no_write_child(int arg)
{
    (void)arg;
    mp_child();
    drop_write_permission();
    indexbus_region *r = NULL;
    indexbus_open_config rw = {.size = sizeof rw, .ready_timeout_ns = 1000000000ull};
    CHECK_ST(indexbus_region_open(ro_name, &rw, &r), INDEXBUS_PERMISSION);
    CHECK_ST(indexbus_region_open(ro_name, NULL, &r), INDEXBUS_PERMISSION);
    CHECK(r == NULL);
    CHECK_ST(indexbus_region_gc(ro_name), INDEXBUS_PERMISSION);
    int st;
    r = open_ro(ro_name, &st);
    CHECK_ST(st, INDEXBUS_OK);
    if (r == NULL)
        return 1;
    indexbus_info in = mp_info(r);
    CHECK(in.kind == INDEXBUS_KIND_EVENTS && in.published == ro_published);
    CHECK(in.producers_live == 1 && in.participants_live == 1);
    indexbus_participant_info pi = {.size = sizeof pi};
    uint32_t live = 0;
    for (uint32_t s = 0; s < INDEXBUS_MAX_PARTICIPANTS; s++)
        if (indexbus_region_participant(r, s, &pi) == INDEXBUS_OK)
            live += pi.alive == 1 && pi.role == INDEXBUS_ROLE_SPSC_PRODUCER;
    CHECK(live == 1); /* the creator's producer, alive, told apart without write access */
    indexbus_consumer_stats cs = mp_cstats(r, 0);
    CHECK(cs.depth == ro_published && cs.attached == 0);
    slot_writers_refused(r, INDEXBUS_KIND_EVENTS, 1);
    region_writers_refused(r, 0);
    indexbus_region_close(r);
    return 0;
}

/* The region file: mode, owner and group (-1: keep). */
static void set_file(const char *name, mode_t mode, uid_t uid, gid_t gid)
{
    char path[300];
    region_path(name, path, sizeof path);
    REQUIRE(chown(path, uid, gid) == 0 && chmod(path, mode) == 0);
}

static void no_write_case(const char *tag, mode_t mode, int group)
{
    if (group && geteuid() != 0) {
        printf("readonly: %s skipped: a group-readable region without write access needs "
               "root to set up (another uid)\n", tag);
        return;
    }
    const char *name = ib_test_name(tag);
    indexbus_region *w = mp_create(name, INDEXBUS_KIND_EVENTS, RO_SLOTS, RO_DATA, 0, 1);
    indexbus_producer *p;
    REQUIRE_OK(indexbus_producer_open(w, INDEXBUS_PRODUCER_SPSC, &p));
    for (uint32_t i = 0; i < 6; i++)
        REQUIRE_OK(indexbus_publish(p, &i, sizeof i));
    int root = geteuid() == 0;
    /* 0440: the child owns it (root) or is its owner (not root); 0640: root
     * owns it and the child is in its group */
    set_file(name, mode, root && !group ? RO_NOBODY : (uid_t)-1,
             root ? (group ? RO_NOBODY : 0) : (gid_t)-1);
    file_bytes before = snapshot(name);
    ro_name = name;
    ro_published = 6;
    CHECK(ib_join(ib_spawn(no_write_child, 0)) == 0);
    CHECK(unchanged(name, &before, tag));
    free(before.b);
    indexbus_producer_close(p);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

/* ---- the flag itself ------------------------------------------------------------ */

static void flag_checks(void)
{
    const char *name = ib_test_name("ro-flags");
    indexbus_region *w = mp_create(name, INDEXBUS_KIND_EVENTS, RO_SLOTS, RO_DATA, 0, 1), *r;
    indexbus_open_config oc = {.size = sizeof oc, .flags = INDEXBUS_OPEN_READ_ONLY << 1};
    r = (void *)1;
    CHECK_ST(indexbus_region_open(name, &oc, &r), INDEXBUS_INVALID_ARGUMENT);
    CHECK(r == NULL);
    oc.flags = INDEXBUS_OPEN_READ_ONLY | 0x80000000u;
    CHECK_ST(indexbus_region_open(name, &oc, &r), INDEXBUS_INVALID_ARGUMENT);
    uint32_t flag;
    CHECK_ST(indexbus_region_read_only(NULL, &flag), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_region_read_only(w, NULL), INDEXBUS_INVALID_ARGUMENT);
    int st;
    CHECK(open_ro("ibt-ro-no-such-region", &st) == NULL);
    CHECK_ST(st, INDEXBUS_NOT_FOUND);
    /* several read-only handles, and one beside a writer's in one process */
    indexbus_region *a = open_ro(name, &st), *b = open_ro(name, &st);
    REQUIRE(a != NULL && b != NULL);
    CHECK(mappings(name, "r--s") == 2);
    indexbus_region_close(a);
    indexbus_region_close(b);
    indexbus_region_close(w);
    indexbus_region_unlink(name);
}

static const ib_helper helpers[] = {IB_HELPER(mpsc_then_die), IB_HELPER(no_write_child),
                                    {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    flag_checks();
    events_case();
    fanout_case();
    log_case();
    stream_case();
    rpc_case();
    no_write_case("ro-0440", 0440, 0);
    no_write_case("ro-0640", 0640, 1);
    return ib_test_done("readonly");
}
