/* peers.c - the peers section (`--only peers`, a full run; not --quick):
 * iceoryx2 (tools/bench/peers/iox2, its Rust crate) and Aeron IPC
 * (tools/bench/peers/aeron, the Java client with an embedded media driver)
 * beside our C path and our Java binding, taking turns in each repetition.
 *
 * Every peer program follows one protocol (see tools/bench/peers/iox2/src/
 * main.rs): it sets up, prints "ready", reads "MEASURE_START MEASURE_END END"
 * (CLOCK_MONOTONIC ns) from stdin, runs, and prints one "ok ..." line
 * ("err WHAT" on failure). Each process is pinned before exec: two parties
 * on a CPU each, more than the CPUs (the 1-to-3 broadcast) split as our
 * multi-party runs are (the publisher on the first CPU, the subscribers on
 * the second). The window is the harness's warmup + measure, as in our runs.
 *
 * Keys (64 B; each the median of per-repetition ratios):
 *   iox2_p50_over_ours         iceoryx2 one-way p50 / our SPSC one-way p50
 *   ours_tput_over_iox2        our C copy msgs/s / iceoryx2 copy msgs/s
 *   ours_java_tput_over_aeron  our Java binding copy / Aeron offer (Java to Java)
 *   ours_c_tput_over_aeron     our C copy / Aeron offer
 * Zero-copy ratios and the 1 KiB and broadcast rows are recorded beside them. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bridge.h"
#include "peers.h"

#define PEER_READY_NS 30000000000ull /* a JVM under load can take seconds to start */
#define PEER_MAX 4
#define PEER_LINE 256

typedef struct child {
    pid_t pid;
    int in, out;
    char buf[PEER_LINE];
    size_t n;
} child;

/* The n-th CPU this process may run on, -1 if there are not that many. */
static int nth_cpu(int n)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0)
        return -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set) && n-- == 0)
            return i;
    return -1;
}

static int child_start(child *c, char *const argv[], int cpu)
{
    int in[2], out[2];
    memset(c, 0, sizeof(*c));
    if (pipe(in) != 0)
        return -1;
    if (pipe(out) != 0) {
        close(in[0]);
        close(in[1]);
        return -1;
    }
    fflush(NULL);
    c->pid = fork();
    if (c->pid == 0) {
        if (cpu >= 0) {
            cpu_set_t set;
            CPU_ZERO(&set);
            CPU_SET(cpu, &set);
            (void)sched_setaffinity(0, sizeof(set), &set); /* kept across exec */
        }
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        execvp(argv[0], argv);
        printf("err exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    c->in = in[1];
    c->out = out[0];
    if (c->pid < 0) {
        close(c->in);
        close(c->out);
        return -1;
    }
    return 0;
}

/* The child's next line (without the newline) by the deadline; -1 if none. */
static int child_line(child *c, char *line, size_t cap, uint64_t deadline)
{
    for (;;) {
        char *nl = memchr(c->buf, '\n', c->n);
        if (nl != NULL) {
            size_t k = (size_t)(nl - c->buf);
            snprintf(line, cap, "%.*s", (int)k, c->buf);
            memmove(c->buf, nl + 1, c->n - k - 1);
            c->n -= k + 1;
            return 0;
        }
        uint64_t now = now_ns();
        if (now >= deadline || c->n == sizeof(c->buf))
            return -1;
        struct pollfd p = {.fd = c->out, .events = POLLIN};
        int ms = (int)((deadline - now) / 1000000u) + 1;
        if (poll(&p, 1, ms) <= 0)
            continue;
        ssize_t r = read(c->out, c->buf + c->n, sizeof(c->buf) - c->n);
        if (r <= 0)
            return -1;
        c->n += (size_t)r;
    }
}

static void child_end(child *c, int kill_it)
{
    if (c->pid <= 0)
        return;
    if (kill_it)
        kill(c->pid, SIGTERM);
    close(c->in);
    close(c->out);
    (void)child_wait(c->pid, 3000000000ull); /* SIGKILL after 3 s */
    c->pid = 0;
}

/* Run n peer processes together, out[i] = each one's "ok ..." line without
 * the "ok". 0 on success; otherwise says why and returns -1. */
static int peer_run(const char *what, int n, char *const *argv[], char out[][PEER_LINE])
{
    child c[PEER_MAX];
    int place = placement_of(n), bad = 0;
    char line[PEER_LINE];
    for (int i = 0; i < n; i++) {
        int cpu = place == PLACE_OWN ? nth_cpu(i) : place == PLACE_SPLIT ? nth_cpu(i ? 1 : 0) : -1;
        if (child_start(&c[i], argv[i], cpu) != 0) {
            warnx_("peers: %s: cannot start %s", what, argv[i][0]);
            for (int k = 0; k < i; k++)
                child_end(&c[k], 1);
            return -1;
        }
    }
    uint64_t deadline = now_ns() + PEER_READY_NS;
    for (int i = 0; i < n && !bad; i++)
        if (child_line(&c[i], line, sizeof(line), deadline) != 0 || strcmp(line, "ready") != 0) {
            warnx_("peers: %s: process %d not ready: %s", what, i, line);
            bad = 1;
        }
    if (!bad) {
        uint64_t ms = now_ns() + 20000000ull + (uint64_t)g_opts.warmup_ms * 1000000u;
        uint64_t me = ms + (uint64_t)g_opts.measure_ms * 1000000u, end = me + 100000000ull;
        int k = snprintf(line, sizeof(line), "%llu %llu %llu\n", (unsigned long long)ms,
                         (unsigned long long)me, (unsigned long long)end);
        for (int i = 0; i < n; i++)
            if (write(c[i].in, line, (size_t)k) != k)
                bad = 1;
        for (int i = 0; i < n && !bad; i++) {
            if (child_line(&c[i], line, sizeof(line), end + 10000000000ull) != 0 ||
                strncmp(line, "ok", 2) != 0) {
                warnx_("peers: %s: process %d: %s", what, i, line);
                bad = 1;
            } else {
                snprintf(out[i], PEER_LINE, "%s", line + 2);
            }
        }
    }
    for (int i = 0; i < n; i++)
        child_end(&c[i], bad);
    return bad ? -1 : 0;
}

/* ---- the peers' runs ------------------------------------------------------------- */

enum { P_IOX2 = 0, P_AERON = 1, P_IBJAVA = 2 };
static const char *peer_names[] = {"iox2", "aeron", "ours-java"};
static char java_cp[8192];
static int have[3];

/* argv for peer `p`: MODE ROLE NAME SIZE SUBS */
static void peer_argv(int p, char **v, char *bufs, const char *mode, const char *role,
                      const char *name, uint32_t size, int subs)
{
    char *sz = bufs, *sb = bufs + 16;
    snprintf(sz, 16, "%u", size);
    snprintf(sb, 16, "%d", subs);
    int k = 0;
    if (p == P_IOX2) {
        v[k++] = (char *)g_opts.peer_iox2;
    } else {
        v[k++] = (char *)g_opts.java;
        v[k++] = "-cp";
        v[k++] = java_cp;
        v[k++] = p == P_AERON ? "io.indexbus.peers.AeronPeer" : "io.indexbus.peers.IbPeer";
    }
    v[k++] = (char *)mode;
    v[k++] = (char *)role;
    v[k++] = (char *)name;
    v[k++] = sz;
    v[k++] = sb;
    v[k] = NULL;
}

/* After an Aeron run: its media driver's directory (AeronPeer names it so),
 * which a driver process that failed or was stopped leaves behind (hundreds
 * of MB of term buffers in /dev/shm). */
static void peer_cleanup(int p, const char *name)
{
    if (p != P_AERON)
        return;
    char dir[256];
    size_t k = (size_t)snprintf(dir, sizeof(dir), "/dev/shm/aeron-ibbench-");
    for (const char *c = name; *c && k + 1 < sizeof(dir); c++)
        if (*c != '/')
            dir[k++] = *c;
    dir[k] = 0;
    rm_tree(dir);
}

/* One-way p50 and mean of a peer's ping-pong (ns). */
static int peer_latency(int p, uint32_t size, double *p50, double *mean)
{
    char name[128], b[2][32], out[2][PEER_LINE];
    char *v[2][12];
    region_name(name, sizeof(name), "peer-lat");
    peer_argv(p, v[0], b[0], "lat", "a", name, size, 1);
    peer_argv(p, v[1], b[1], "lat", "b", name, size, 1);
    char *const *argv[2] = {v[0], v[1]};
    int st = peer_run(peer_names[p], 2, argv, out);
    peer_cleanup(p, name);
    if (st != 0)
        return -1;
    return sscanf(out[0], "%lf %lf", p50, mean) == 2 ? 0 : -1;
}

/* A peer's throughput (mode copy or zc) or 1-to-subs broadcast (bcast):
 * the subscribers' mean msgs/s, and the seqs they found missing. */
static int peer_tput(int p, const char *mode, uint32_t size, int subs, double *rate,
                     uint64_t *lost)
{
    char name[128], b[PEER_MAX][32], out[PEER_MAX][PEER_LINE];
    char *v[PEER_MAX][12];
    char *const *argv[PEER_MAX];
    indexbus_region *reg = NULL;
    region_name(name, sizeof(name), "peer-tput");
    if (p == P_IBJAVA) /* our Java side opens a region the harness makes */
        reg = make_region(name, INDEXBUS_KIND_EVENTS, size, 1);
    for (int i = 0; i <= subs; i++) {
        peer_argv(p, v[i], b[i], mode, i ? "b" : "a", name, size, subs);
        argv[i] = v[i];
    }
    int st = peer_run(peer_names[p], subs + 1, argv, out);
    peer_cleanup(p, name);
    if (reg != NULL) {
        indexbus_region_close(reg);
        indexbus_region_unlink(name);
    }
    if (st != 0)
        return -1;
    double sum = 0;
    *lost = 0;
    for (int i = 1; i <= subs; i++) {
        double r;
        unsigned long long got, l;
        if (sscanf(out[i], "%lf %llu %llu", &r, &got, &l) != 3)
            return -1;
        sum += r;
        *lost += l;
    }
    *rate = sum / subs;
    return 0;
}

/* ---- availability ------------------------------------------------------------------ */

static void find_peers(void)
{
    have[P_IOX2] = g_opts.peer_iox2 != NULL && access(g_opts.peer_iox2, X_OK) == 0;
    if (!have[P_IOX2])
        printf("peers: iceoryx2 skipped: %s not built (needs cargo; the build log is "
               "beside it: make bench says why)\n",
               g_opts.peer_iox2 ? g_opts.peer_iox2 : "bench-iox2");
    FILE *f = g_opts.peer_java_cp ? fopen(g_opts.peer_java_cp, "r") : NULL;
    if (f != NULL && fgets(java_cp, sizeof(java_cp), f) != NULL) {
        java_cp[strcspn(java_cp, "\r\n")] = 0;
        have[P_AERON] = have[P_IBJAVA] = java_cp[0] != 0;
    }
    if (f != NULL)
        fclose(f);
    if (!have[P_AERON])
        printf("peers: Aeron and our Java twin skipped: no classpath in %s (needs java and mvn; "
               "make bench says why)\n",
               g_opts.peer_java_cp ? g_opts.peer_java_cp : "(--peer-java-cp not given)");
}

/* ---- the section -------------------------------------------------------------------- */

#define PR_MAX 32

static void lat_row(const char *name, uint32_t size, const double *p50, const double *mean,
                    int n)
{
    lat_result l;
    memset(&l, 0, sizeof(l));
    snprintf(l.name, sizeof(l.name), "%s", name);
    l.size = size;
    l.samples = (uint64_t)n;
    l.p50 = median(p50, n);
    l.mean = median(mean, n);
    l.p90 = l.p99 = l.p999 = l.max = NAN;
    l.place = placement_of(2);
    res_latency(&l);
}

/* Latency at one size: ours (spsc_latency), iceoryx2, Aeron, taking turns. */
static void latency_size(uint32_t size, int reps)
{
    double p[3][PR_MAX], m[3][PR_MAX], q[PR_MAX];
    static hist h;
    for (int r = 0; r < reps; r++) {
        progress("peers: latency %u B, repetition %d/%d", size, r + 1, reps);
        lat_result l;
        hist_init(&h);
        p[0][r] = m[0][r] = NAN;
        if (spsc_latency(size, &l, &h) == 0) {
            lat_from_hist(&l, "spsc", size, &h, 1);
            p[0][r] = l.p50;
            m[0][r] = l.mean;
        }
        for (int k = P_IOX2; k <= P_AERON; k++) {
            p[k + 1][r] = m[k + 1][r] = NAN;
            if (have[k])
                (void)peer_latency(k, size, &p[k + 1][r], &m[k + 1][r]);
        }
        q[r] = p[1][r] / p[0][r];
    }
    lat_row("spsc (peers run)", size, p[0], m[0], reps);
    if (have[P_IOX2])
        lat_row("iceoryx2 (peer)", size, p[1], m[1], reps);
    if (have[P_AERON])
        lat_row("aeron ipc java (peer)", size, p[2], m[2], reps);
    if (size == 64 && have[P_IOX2])
        res_ratio("iox2_p50_over_ours", q, reps);
}

typedef struct tside {
    const char *row;
    int peer; /* -1: our C path */
    const char *mode;
} tside;

/* Throughput at one size, copy and zero-copy, every side taking turns. */
static void tput_size(uint32_t size, int reps)
{
    static const tside sides[] = {
        {"ours c copy", -1, "copy"},          {"ours c zero-copy", -1, "zc"},
        {"ours java copy", P_IBJAVA, "copy"}, {"ours java zero-copy", P_IBJAVA, "zc"},
        {"iceoryx2 copy", P_IOX2, "copy"},    {"iceoryx2 zero-copy", P_IOX2, "zc"},
        {"aeron offer", P_AERON, "copy"},     {"aeron tryClaim", P_AERON, "zc"},
    };
    enum { NS = sizeof(sides) / sizeof(sides[0]) };
    double v[NS][PR_MAX];
    uint64_t lost[NS] = {0};
    for (int r = 0; r < reps; r++) {
        progress("peers: throughput %u B, repetition %d/%d", size, r + 1, reps);
        for (int s = 0; s < NS; s++) {
            uint64_t l = 0;
            v[s][r] = NAN;
            int zc = strcmp(sides[s].mode, "zc") == 0;
            if (sides[s].peer < 0) {
                if (ours_seq_tput(size, zc, &v[s][r], &l) != 0)
                    v[s][r] = NAN;
            } else if (have[sides[s].peer]) {
                if (peer_tput(sides[s].peer, sides[s].mode, size, 1, &v[s][r], &l) != 0)
                    v[s][r] = NAN;
            }
            lost[s] += l;
        }
    }
    char key[64];
    for (int s = 0; s < NS; s++) {
        if (sides[s].peer >= 0 && !have[sides[s].peer])
            continue;
        res_tput(sides[s].row, size, 1, 2, median(v[s], reps), 0, lost[s], placement_of(2));
    }
    double q[PR_MAX];
    /* ratios: ours over the peer, copy against copy and zero-copy against zero-copy */
    static const struct {
        const char *key;
        int ours, peer;
    } ks[] = {{"ours_tput_over_iox2", 0, 4},        {"ours_zc_tput_over_iox2_zc", 1, 5},
              {"ours_java_tput_over_aeron", 2, 6},  {"ours_java_zc_over_aeron_claim", 3, 7},
              {"ours_c_tput_over_aeron", 0, 6},     {"ours_c_zc_over_aeron_claim", 1, 7}};
    for (size_t k = 0; k < sizeof(ks) / sizeof(ks[0]); k++) {
        if (!have[sides[ks[k].peer].peer] || (sides[ks[k].ours].peer >= 0 &&
                                              !have[sides[ks[k].ours].peer]))
            continue;
        for (int r = 0; r < reps; r++)
            q[r] = v[ks[k].ours][r] / v[ks[k].peer][r];
        if (size == 64 && strstr(ks[k].key, "_zc") == NULL) {
            res_ratio(ks[k].key, q, reps);
        } else {
            snprintf(key, sizeof(key), "peers_%s_%u", ks[k].key, size);
            res_value(key, median(q, reps));
        }
    }
}

/* 1-to-3 broadcast, 64 B copy: our fanout (broadcast mode, a recycling
 * region: BENCH_FANOUT_FLAGS) and the peers. */
static void broadcast(int reps)
{
    double v[3][PR_MAX];
    uint64_t lost[3] = {0};
    for (int r = 0; r < reps; r++) {
        progress("peers: 1-to-3 broadcast 64 B, repetition %d/%d", r + 1, reps);
        double total;
        uint64_t drops;
        v[0][r] = NAN;
        if (fanout_tput(3, INDEXBUS_MODE_BROADCAST, BENCH_FANOUT_FLAGS, &v[0][r], &total,
                        &drops) != 0)
            v[0][r] = NAN;
        for (int k = P_IOX2; k <= P_AERON; k++) {
            uint64_t l = 0;
            v[k + 1][r] = NAN;
            if (have[k] && peer_tput(k, "bcast", 64, 3, &v[k + 1][r], &l) != 0)
                v[k + 1][r] = NAN;
            lost[k + 1] += l;
        }
    }
    int place = placement_of(4);
    res_tput("ours fanout broadcast", 64, 1, 4, median(v[0], reps), 0, 0, place);
    if (have[P_IOX2])
        res_tput("iceoryx2 broadcast", 64, 1, 4, median(v[1], reps), 0, lost[1], place);
    if (have[P_AERON])
        res_tput("aeron broadcast", 64, 1, 4, median(v[2], reps), 0, lost[2], place);
}

void peers_section(void)
{
    find_peers();
    if (!have[P_IOX2] && !have[P_AERON]) {
        printf("peers: no peer to run: section skipped\n");
        return;
    }
    int reps = g_opts.reps < 5 ? g_opts.reps : 5; /* the section's time: about 3 minutes */
    latency_size(64, reps);
    tput_size(64, reps);
    latency_size(1024, 1);
    tput_size(1024, 1);
    broadcast(reps < 3 ? reps : 3);
}
