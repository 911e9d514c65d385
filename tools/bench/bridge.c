/* bridge.c - the bridge section: indexbus-bridge against real local
 * nats-servers (nats_srv.c starts them on 127.0.0.1, random ports, a
 * temporary store, and stops them by pid).
 *
 * Throughput (one standalone server): a producer process publishes
 * WARM + COUNT messages into a durable events region; `indexbus-bridge out
 * --batch BRIDGE_BATCH` carries them to a JetStream stream (up to
 * BRIDGE_BATCH asynchronous publishes in flight, each message let go in the
 * region once acknowledged). The harness reads the bridge's "acknowledged"
 * counter in the region: the rate is COUNT over the time from the warm-up's
 * last ack to the last. In the same repetition, bench-nats-pub (nats_pub.c)
 * publishes as many messages of the same size from memory the same way:
 * up to BRIDGE_BATCH asynchronous publishes in flight, message ids of the
 * bridge's form, a stream with the bridge's settings. bridge_over_nats =
 * bridge rate / that rate, the median of the repetitions' ratios (the two
 * measured back to back).
 *
 * End to end (two servers clustered on loopback, as two hosts): a producer
 * writes region A at E2E_RATE msgs/s, each message carrying its sequence
 * and CLOCK_MONOTONIC send time; `bridge out` A -> server 1, `bridge in`
 * server 2 -> region B; a consumer of B adds now - send time to a
 * histogram. A probe message first (until it arrives both bridges, the
 * stream and the durable consumer are up), then E2E_WARM untimed, then
 * E2E_COUNT timed.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bridge.h"

#define BRIDGE_BATCH 256u
#define BRIDGE_REPS 5          /* full run; quick (--only bridge --quick): 1 */
#define RUN_TIMEOUT_NS 60000000000ull
#define STOP_TIMEOUT_NS 10000000000ull
#define E2E_RATE 2000u         /* messages per second, fixed */

static unsigned seq;

/* ---- regions and the producer ------------------------------------------------------ */

static int make_durable(const char *name, uint32_t size, indexbus_region **out)
{
    indexbus_region_config cfg;
    check_ib(indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS), "region_config_init");
    uint32_t data = (size + 7u) & ~7u;
    cfg.slot_data_size = data < INDEXBUS_MIN_SLOT_DATA ? INDEXBUS_MIN_SLOT_DATA : data;
    cfg.flags = INDEXBUS_CREATE_PREFAULT | INDEXBUS_CREATE_DURABLE;
    indexbus_region_unlink(name);
    int st = indexbus_region_create(name, &cfg, out);
    if (st != INDEXBUS_OK)
        warnx_("create durable region %s: %s", name, indexbus_strerror(st));
    return st == INDEXBUS_OK ? 0 : -1;
}

/* Child: `total` messages of `size` bytes (the first 8: the sequence) into
 * region `name` as fast as the bridge takes them (publish_wait parks while
 * the region is full), then close: the region side ends. */
static int produce_all(const char *name, uint32_t size, uint64_t total)
{
    indexbus_region *r = NULL;
    indexbus_producer *p = NULL;
    if (indexbus_region_open(name, NULL, &r) != INDEXBUS_OK ||
        indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p) != INDEXBUS_OK)
        return 1;
    char buf[4096] = {0};
    for (uint64_t i = 0; i < total; i++) {
        memcpy(buf, &i, sizeof(i));
        int st = indexbus_publish_wait(p, buf, size, 10000000000ull);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "bench: bridge producer: message %llu: %s\n",
                    (unsigned long long)i, indexbus_strerror(st));
            return 1;
        }
    }
    indexbus_producer_close(p);
    indexbus_region_close(r);
    return 0;
}

static pid_t fork_producer(const char *name, uint32_t size, uint64_t total)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(produce_all(name, size, total));
    return pid;
}

/* ---- throughput -------------------------------------------------------------------- */

typedef struct tput_fig {
    double rate;          /* msgs/s in the timed window */
    double client_cpu_us; /* the bridge's (or the publisher's) CPU per message, window */
    double server_cpu_us; /* nats-server's CPU per message, whole run */
    double producer_cpu_us; /* the region producer's CPU per message, window (bridge runs) */
} tput_fig;

static uint64_t acked(const indexbus_region *r)
{
    indexbus_bridge_counters c;
    memset(&c, 0, sizeof(c));
    c.size = sizeof(c);
    return indexbus_bridge_counters_get(r, 0, &c) == INDEXBUS_OK ? c.acknowledged : 0;
}

/* Wait until the bridge has `n` acknowledged; 0, or -1 if it ended or
 * the run's deadline passed. */
static int wait_acked(const indexbus_region *r, pid_t bridge, uint64_t n, uint64_t deadline)
{
    while (acked(r) < n) {
        int st;
        if (child_exited(bridge, &st)) {
            warnx_("indexbus-bridge out ended (status %d) at %llu of %llu acknowledged", st,
                   (unsigned long long)acked(r), (unsigned long long)n);
            return -1;
        }
        if (now_ns() > deadline) {
            warnx_("indexbus-bridge out: %llu of %llu acknowledged after %llu s",
                   (unsigned long long)acked(r), (unsigned long long)n,
                   (unsigned long long)(RUN_TIMEOUT_NS / 1000000000ull));
            child_stop(bridge, STOP_TIMEOUT_NS);
            return -1;
        }
        sleep_ns(500000);
    }
    return 0;
}

static void drop_stream(const nats_srv *s, const char *subject)
{
    char out[256];
    const char *argv[] = {g_opts.nats_pub, "rm", s->url, subject, NULL};
    run_capture(argv, out, sizeof(out), STOP_TIMEOUT_NS);
}

static int bridge_tput(const nats_srv *s, uint32_t size, uint64_t warm, uint64_t count,
                       tput_fig *f)
{
    char name[128], subject[96], a_count[32];
    region_name(name, sizeof(name), "bridge");
    snprintf(subject, sizeof(subject), "ibbench.%d.b%u", (int)getpid(), seq++);
    snprintf(a_count, sizeof(a_count), "%llu", (unsigned long long)(warm + count));
    indexbus_region *r = NULL;
    if (make_durable(name, size, &r) != 0)
        return -1;
    const char *argv[] = {g_opts.bridge, "out",    name,   "--nats", s->url,  "--subject",
                          subject,       "--batch", "256", "--count", a_count, "--quiet", NULL};
    double srv0 = proc_cpu_s(s->pid);
    pid_t prod = fork_producer(name, size, warm + count);
    pid_t br = spawn(argv, -1, NULL);
    uint64_t deadline = now_ns() + RUN_TIMEOUT_NS, t0 = 0, t1 = 0;
    double c0 = 0, c1 = 0, p0 = 0, p1 = 0;
    int rc = prod < 0 || br < 0 ? -1 : wait_acked(r, br, warm, deadline);
    if (rc == 0) {
        t0 = now_ns();
        c0 = proc_cpu_s(br);
        p0 = proc_cpu_s(prod);
        rc = wait_acked(r, br, warm + count, deadline);
        t1 = now_ns();
        c1 = proc_cpu_s(br);
        p1 = proc_cpu_s(prod); /* not yet reaped: readable even if it has ended */
    }
    double srv1 = proc_cpu_s(s->pid);
    int st = br > 0 ? child_wait(br, STOP_TIMEOUT_NS) : -1;
    if (rc == 0 && st != 0) {
        warnx_("indexbus-bridge out exited %d after its --count", st);
        rc = -1;
    }
    /* after a failure nobody drains the region: the producer is killed */
    if (prod > 0 && child_wait(prod, rc == 0 ? STOP_TIMEOUT_NS : 0) != 0 && rc == 0)
        rc = -1;
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    drop_stream(s, subject);
    if (rc != 0)
        return -1;
    f->rate = (double)count * 1e9 / (double)(t1 - t0);
    f->client_cpu_us = c0 >= 0 && c1 >= 0 ? (c1 - c0) * 1e6 / (double)count : NAN;
    f->producer_cpu_us = p0 >= 0 && p1 >= 0 ? (p1 - p0) * 1e6 / (double)count : NAN;
    f->server_cpu_us = srv0 >= 0 && srv1 >= 0 ? (srv1 - srv0) * 1e6 / (double)(warm + count)
                                              : NAN;
    return 0;
}

static int json_num(const char *out, const char *key, double *v)
{
    const char *p = strstr(out, key);
    if (p == NULL || (p = strchr(p, ':')) == NULL)
        return -1;
    char *end;
    *v = strtod(p + 1, &end);
    return end == p + 1 ? -1 : 0;
}

static int nats_tput(const nats_srv *s, uint32_t size, uint64_t warm, uint64_t count,
                     tput_fig *f)
{
    char subject[96], a_size[16], a_batch[16], a_warm[32], a_count[32], out[512];
    snprintf(subject, sizeof(subject), "ibbench.%d.n%u", (int)getpid(), seq++);
    snprintf(a_size, sizeof(a_size), "%u", size);
    snprintf(a_batch, sizeof(a_batch), "%u", BRIDGE_BATCH);
    snprintf(a_warm, sizeof(a_warm), "%llu", (unsigned long long)warm);
    snprintf(a_count, sizeof(a_count), "%llu", (unsigned long long)count);
    const char *argv[] = {g_opts.nats_pub, "pub", s->url, subject, a_size, a_batch, a_warm,
                          a_count, NULL};
    double srv0 = proc_cpu_s(s->pid);
    int st = run_capture(argv, out, sizeof(out), RUN_TIMEOUT_NS);
    double srv1 = proc_cpu_s(s->pid);
    drop_stream(s, subject);
    if (st != 0 || json_num(out, "\"msgs_per_s\"", &f->rate) != 0 || !(f->rate > 0)) {
        warnx_("bench-nats-pub failed (status %d): %s", st, out);
        return -1;
    }
    if (json_num(out, "\"cpu_us_per_msg\"", &f->client_cpu_us) != 0)
        f->client_cpu_us = NAN;
    f->server_cpu_us = srv0 >= 0 && srv1 >= 0 ? (srv1 - srv0) * 1e6 / (double)(warm + count)
                                              : NAN;
    return 0;
}

/* ---- end to end -------------------------------------------------------------------- */

typedef struct e2e_area {
    uint32_t seen; /* the consumer has the probe */
    uint32_t pad;
    uint64_t received;
    hist h;
} e2e_area;

typedef struct e2e_msg {
    uint64_t seq; /* 0: the probe */
    uint64_t sent_ns;
    uint8_t pad[48];
} e2e_msg;

static int e2e_produce(const char *name, uint64_t warm, uint64_t count, e2e_area *a)
{
    indexbus_region *r = NULL;
    indexbus_producer *p = NULL;
    if (indexbus_region_open(name, NULL, &r) != INDEXBUS_OK ||
        indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p) != INDEXBUS_OK)
        return 1;
    e2e_msg m;
    memset(&m, 0, sizeof(m));
    m.sent_ns = now_ns();
    if (indexbus_publish(p, &m, sizeof(m)) != INDEXBUS_OK)
        return 1;
    uint64_t deadline = now_ns() + RUN_TIMEOUT_NS;
    while (__atomic_load_n(&a->seen, __ATOMIC_ACQUIRE) == 0) /* pairs: the consumer's release */
        if (now_ns() > deadline)
            return 1;
        else
            sleep_ns(1000000);
    uint64_t period = 1000000000ull / E2E_RATE, t0 = now_ns();
    for (uint64_t i = 1; i <= warm + count; i++) {
        uint64_t at = t0 + i * period;
        struct timespec ts = {(time_t)(at / 1000000000ull), (long)(at % 1000000000ull)};
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
            ;
        m.seq = i;
        m.sent_ns = now_ns();
        if (indexbus_publish_wait(p, &m, sizeof(m), 10000000000ull) != INDEXBUS_OK)
            return 1;
    }
    indexbus_producer_close(p);
    indexbus_region_close(r);
    return 0;
}

static int e2e_consume(const char *name, uint64_t warm, uint64_t count, e2e_area *a)
{
    indexbus_region *r = NULL;
    indexbus_consumer *c = NULL;
    if (indexbus_region_open(name, NULL, &r) != INDEXBUS_OK ||
        indexbus_consumer_open(r, 0, &c) != INDEXBUS_OK)
        return 1;
    uint64_t deadline = now_ns() + 2 * RUN_TIMEOUT_NS, got = 0;
    while (got < warm + count + 1 && now_ns() < deadline) {
        e2e_msg m;
        size_t len = 0;
        int st = indexbus_recv(c, &m, sizeof(m), &len, 100000000ull);
        if (st == INDEXBUS_DISCONNECTED) { /* bridge in not attached (yet, or again) */
            sleep_ns(1000000);
            continue;
        }
        if (st != INDEXBUS_OK)
            continue;
        uint64_t now = now_ns();
        if (len != sizeof(m))
            return 1;
        got++;
        if (m.seq == 0)
            __atomic_store_n(&a->seen, 1, __ATOMIC_RELEASE); /* pairs: the producer's acquire */
        else if (m.seq > warm)
            hist_add(&a->h, now - m.sent_ns);
    }
    a->received = got;
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    return got == warm + count + 1 ? 0 : 1;
}

static pid_t fork_role(int (*fn)(const char *, uint64_t, uint64_t, e2e_area *), const char *name,
                       uint64_t warm, uint64_t count, e2e_area *a)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0)
        _exit(fn(name, warm, count, a));
    return pid;
}

/* Wait for the producer to finish while both bridges live; a pid reaped
 * here is set to 0. 0 if the producer exited 0. */
static int watch(pid_t *out, pid_t *in, pid_t *prod)
{
    uint64_t deadline = now_ns() + 2 * RUN_TIMEOUT_NS;
    for (;;) {
        int st;
        if (child_exited(*prod, &st)) {
            *prod = 0;
            return st == 0 ? 0 : -1;
        }
        pid_t *gone = child_exited(*out, &st) ? out : child_exited(*in, &st) ? in : NULL;
        if (gone != NULL || now_ns() > deadline) {
            if (gone != NULL) {
                warnx_("indexbus-bridge %s ended early (status %d)", gone == out ? "out" : "in",
                       st);
                *gone = 0;
            }
            return -1;
        }
        sleep_ns(10000000);
    }
}

static int bridge_e2e(const nats_srv *s1, const nats_srv *s2, uint64_t warm, uint64_t count,
                      hist *h)
{
    char a_name[128], b_name[128], subject[96];
    region_name(a_name, sizeof(a_name), "bridge-a");
    region_name(b_name, sizeof(b_name), "bridge-b");
    snprintf(subject, sizeof(subject), "ibbench.%d.e%u", (int)getpid(), seq++);
    indexbus_region *ra = NULL, *rb = NULL;
    if (make_durable(a_name, sizeof(e2e_msg), &ra) != 0 ||
        make_durable(b_name, sizeof(e2e_msg), &rb) != 0)
        return -1;
    shared_ctl *ctl = ctl_map(sizeof(e2e_area));
    e2e_area *a = (e2e_area *)ctl->area;
    hist_init(&a->h);
    const char *out_argv[] = {g_opts.bridge, "out", a_name, "--nats", s1->url, "--subject",
                              subject, "--quiet", NULL};
    const char *in_argv[] = {g_opts.bridge, "in", "--nats", s2->url, "--subject", subject,
                             "--durable", "ibbench", b_name, "--quiet", NULL};
    pid_t out = spawn(out_argv, -1, NULL), in = spawn(in_argv, -1, NULL);
    pid_t cons = fork_role(e2e_consume, b_name, warm, count, a);
    pid_t prod = fork_role(e2e_produce, a_name, warm, count, a);
    int rc = out > 0 && in > 0 && cons > 0 && prod > 0 ? watch(&out, &in, &prod) : -1;
    if (rc != 0)
        warnx_("bridge end to end: the run failed (probe seen: %u)", a->seen);
    if (cons > 0 && child_wait(cons, rc == 0 ? RUN_TIMEOUT_NS : 1000000000ull) != 0) {
        warnx_("bridge end to end: the consumer got %llu of %llu",
               (unsigned long long)a->received, (unsigned long long)(warm + count + 1));
        rc = -1;
    }
    if (prod > 0)
        child_wait(prod, 0);
    if (out > 0 && child_stop(out, STOP_TIMEOUT_NS) != 0)
        warnx_("indexbus-bridge out: exit status not 0 after SIGTERM");
    if (in > 0 && child_stop(in, STOP_TIMEOUT_NS) != 0)
        warnx_("indexbus-bridge in: exit status not 0 after SIGTERM");
    if (rc == 0)
        hist_merge(h, &a->h);
    ctl_unmap(ctl);
    indexbus_region_close(ra);
    indexbus_region_close(rb);
    indexbus_region_unlink(a_name);
    indexbus_region_unlink(b_name);
    return rc;
}

/* ---- the section --------------------------------------------------------------------- */

static int server_ready(const nats_srv *s)
{
    char out[256];
    const char *argv[] = {g_opts.nats_pub, "ready", s->url, "20", NULL};
    int st = run_capture(argv, out, sizeof(out), 30000000000ull);
    if (st != 0)
        warnx_("nats-server %s: JetStream not ready (status %d)", s->url, st);
    return st == 0 ? 0 : -1;
}

#define R_MAX_B 16

static void throughput_runs(const char *root)
{
    nats_srv s;
    if (nats_start(&s, root, "solo", 0, 0) != 0 || server_ready(&s) != 0) {
        nats_stop(&s);
        return;
    }
    int reps = g_opts.quick ? 1 : BRIDGE_REPS;
    /* about 1 s per run at 60 k msgs/s: the section stays under a minute at load 5 */
    uint64_t warm = g_opts.quick ? 2560 : 10240, n64 = g_opts.quick ? 10240 : 61440;
    uint64_t n1k = g_opts.quick ? 5120 : 30720;
    double b64[R_MAX_B], p64[R_MAX_B], b1k[R_MAX_B], q[R_MAX_B];
    double bc[R_MAX_B], bs[R_MAX_B], bp[R_MAX_B], pc[R_MAX_B], ps[R_MAX_B];
    int done = 0; /* repetitions run */
    for (int r = 0; r < reps; r++, done++) {
        progress("bridge: repetition %d/%d (bridge out 64 B, cnats publisher 64 B, "
                 "bridge out 1 KiB; %s)", r + 1, reps, s.url);
        tput_fig fb = {NAN, NAN, NAN, NAN}, fp = fb, fk = fb;
        if (bridge_tput(&s, 64, warm, n64, &fb) != 0) {
            /* a broken bridge would fail (or time out) the same way in every
             * repetition: one is enough to report it */
            warnx_("bridge: repetition %d failed; the remaining ones are skipped", r + 1);
            break;
        }
        if (nats_tput(&s, 64, warm, n64, &fp) != 0)
            fp.rate = NAN;
        if (bridge_tput(&s, 1024, warm / 2, n1k, &fk) != 0)
            fk.rate = NAN;
        b64[r] = fb.rate, p64[r] = fp.rate, b1k[r] = fk.rate, q[r] = fb.rate / fp.rate;
        bc[r] = fb.client_cpu_us, bs[r] = fb.server_cpu_us, bp[r] = fb.producer_cpu_us;
        pc[r] = fp.client_cpu_us, ps[r] = fp.server_cpu_us;
        if (g_opts.verbose)
            fprintf(stderr, "  bridge 64 B %.0f/s (cpu %.2f us/msg, producer %.2f, server %.2f), "
                            "plain %.0f/s (cpu %.2f, server %.2f), bridge 1 KiB %.0f/s\n",
                    fb.rate, fb.client_cpu_us, fb.producer_cpu_us, fb.server_cpu_us, fp.rate,
                    fp.client_cpu_us, fp.server_cpu_us, fk.rate);
    }
    nats_stop(&s);
    reps = done;
    res_ratio("bridge_over_nats", q, reps);
    res_ratio("bridge_msgs_per_s_64", b64, reps);
    res_ratio("bridge_msgs_per_s_1k", b1k, reps);
    res_ratio("nats_js_msgs_per_s_64", p64, reps);
    res_tput("bridge out -> JetStream", 64, BRIDGE_BATCH, 3, median(b64, reps), 0, 0, PLACE_NONE);
    res_tput("cnats publisher -> JetStream", 64, BRIDGE_BATCH, 2, median(p64, reps), 0, 0,
             PLACE_NONE);
    res_tput("bridge out -> JetStream", 1024, BRIDGE_BATCH, 3, median(b1k, reps), 0, 0,
             PLACE_NONE);
    res_value("bridge_out_cpu_us_per_msg_64", median(bc, reps));
    res_value("bridge_run_producer_cpu_us_per_msg_64", median(bp, reps));
    res_value("bridge_run_server_cpu_us_per_msg_64", median(bs, reps));
    res_value("nats_pub_cpu_us_per_msg_64", median(pc, reps));
    res_value("nats_pub_run_server_cpu_us_per_msg_64", median(ps, reps));
}

static void e2e_run(const char *root)
{
    nats_srv s1, s2;
    memset(&s2, 0, sizeof(s2));
    int port = free_port();
    if (port <= 0 || nats_start(&s1, root, "s1", port, port) != 0)
        return;
    uint64_t warm = g_opts.quick ? 200 : 1000, count = g_opts.quick ? 1000 : 10000;
    static hist h;
    hist_init(&h);
    if (nats_start(&s2, root, "s2", -1, port) == 0 && server_ready(&s1) == 0 &&
        server_ready(&s2) == 0) {
        progress("bridge: end to end, region -> %s -> %s -> region, %u msgs/s, %llu timed",
                 s1.url, s2.url, E2E_RATE, (unsigned long long)count);
        bridge_e2e(&s1, &s2, warm, count, &h);
    }
    nats_stop(&s2);
    nats_stop(&s1);
    double p50 = NAN, p99 = NAN;
    if (h.count > 0) {
        p50 = (double)hist_pct(&h, 50) / 1000.0;
        p99 = (double)hist_pct(&h, 99) / 1000.0;
        lat_result l;
        lat_from_hist(&l, "bridge e2e (2 servers)", 64, &h, 0);
        l.place = PLACE_NONE;
        res_latency(&l);
    }
    res_ratio("bridge_e2e_p50_us", &p50, 1);
    res_ratio("bridge_e2e_p99_us", &p99, 1);
}

void bridge_section(void)
{
    char why[256];
    if (!bridge_available(why, sizeof(why))) {
        warnx_("bridge skipped: %s", why);
        return;
    }
    char root[] = "/tmp/ibbench-nats-XXXXXX";
    if (mkdtemp(root) == NULL) {
        warnx_("bridge skipped: mkdtemp: %s", strerror(errno));
        return;
    }
    throughput_runs(root);
    e2e_run(root);
    rm_tree(root);
}
