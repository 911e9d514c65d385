/* results.c - every figure a run collects, the targets the ratios are
 * judged by, the printed table and build/bench/latest.json. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* ---- the targets (from the "Benchmarks and speed" issue; byte logs: issue 14; streams and request/response: issue 15; the bridge: issue 16; peers: issue 18) ------- */

typedef struct target {
    const char *key;
    const char *op; /* "<=", ">=" or "<" */
    double limit;
    const char *what;
} target;

static const target targets[] = {
    {"spsc_64_p50_over_floor", "<=", 1.3, "SPSC 64 B one-way p50 / two-line ping-pong p50"},
    {"spsc_64_tput_over_ring", ">=", 1.0, "SPSC 64 B msgs/s (publish) / minimal ring msgs/s"},
    {"spsc_64_tput_batch_over_ring", ">=", 1.0,
     "SPSC 64 B msgs/s (batch 32) / minimal ring msgs/s"},
    {"pipe_rtt_over_spsc", ">=", 100, "pipe 64 B one-way p50 / SPSC 64 B one-way p50"},
    /* the multi-party keys (issue 18) measure layout-1.3 regions: fanout
     * created with INDEXBUS_CREATE_RECYCLE, MPSC with INDEXBUS_CREATE_MPSC_BATCH
     * and INDEXBUS_CREATE_RECYCLE (bench.h: BENCH_FANOUT_FLAGS,
     * BENCH_MPSC_FLAGS); the *_plain_* keys are
     * the same rows in regions without them, recorded as diagnostics */
    {"fanout1_over_spsc", ">=", 0.5,
     "fanout broadcast (RECYCLE region), 1 consumer, msgs/s / SPSC msgs/s"},
    {"mpsc2_over_spsc", ">=", 0.5, "MPSC (MPSC_BATCH+RECYCLE region), 2 producers, msgs/s / SPSC msgs/s"},
    {"broadcast3_per_consumer_over_1", ">=", 0.5,
     "fanout broadcast (RECYCLE region), 3 consumers, msgs/s per consumer / 1 consumer msgs/s"},
    {"fanout1_plain_over_spsc", "rec", 0,
     "fanout broadcast (plain region), 1 consumer, msgs/s / SPSC msgs/s"},
    {"broadcast3_plain_per_consumer_over_1", "rec", 0,
     "fanout broadcast (plain regions), 3 consumers per consumer / 1 consumer msgs/s"},
    {"mpsc2_batch32_over_spsc_batch32", "rec", 0,
     "MPSC (MPSC_BATCH+RECYCLE), 2 producers, publish_batch 32 / SPSC batch 32, msgs/s"},
    {"futex_wake_over_raw", "<=", 1.2, "parked-consumer wake p50 / raw futex wake p50"},
    {"rust_b32_over_c", ">=", 0.95, "Rust / C publish+recv msgs/s at batch 32"},
    {"java_b32_over_c", ">=", 0.8, "Java / C publish+recv msgs/s at batch 32"},
    {"go_b32_over_c", ">=", 0.8, "Go / C publish+recv msgs/s at batch 32"},
    {"cxx_b32_over_c", ">=", 0.95, "C++ / C publish+recv msgs/s at batch 32"},
    {"python_b32_over_c", "rec", 0, "Python / C publish+recv msgs/s at batch 32"},
    {"python_b1", ">=", 1e6, "Python publish+recv msgs/s of CPU time, one message a call"},
    {"parked_consumer_cpu_pct", "<", 1.0, "CPU % of a consumer parked in recv"},
    /* byte logs (issue 14) */
    {"log_64_tput_over_ring", ">=", 1.0, "byte log 64 B msgs/s (publish) / minimal ring msgs/s"},
    {"log_64_tput_batch_over_ring", ">=", 1.5,
     "byte log 64 B msgs/s (publish_batch 32) / minimal ring msgs/s"},
    {"log_64_p50_over_floor", "<=", 1.3, "byte log 64 B one-way p50 / two-line ping-pong p50"},
    {"log_mpsc2_over_log", ">=", 0.5, "byte log, 2 MPSC producers, msgs/s / 1 SPSC producer msgs/s"},
    {"log_packing", ">=", 0.8,
     "byte log 64 KiB, 16..1024 B records until FULL: payload bytes / ring bytes (a count)"},
    /* byte streams and request/response (issue 15) */
    {"stream_gbps_over_pipe", ">=", 5.0,
     "byte stream GB/s / pipe GB/s, 64 KiB writes and reads, same bytes"},
    {"rpc_rtt_over_floor", "<=", 2.0,
     "rpc_call 64 B round trip p50 / twice the two-line ping-pong p50 (its round trip)"},
    {"uds_rpc_rtt_over_rpc", ">=", 50,
     "Unix socketpair 64 B request + reply round trip p50 / rpc_call round trip p50"},
    /* thread twins of the multi-party rows (issue 18; multiparty_threads.c, a full run only) */
    {"fanout1_over_spsc_threads", "rec", 0,
     "fanout broadcast, 1 consumer, msgs/s / SPSC msgs/s, every party a thread of one process"},
    {"mpsc2_over_spsc_threads", "rec", 0,
     "MPSC, 2 producers, msgs/s / SPSC msgs/s, every party a thread of one process"},
    {"broadcast3_per_consumer_over_1_threads", "rec", 0,
     "fanout broadcast, 3 consumers, msgs/s per consumer / 1 consumer msgs/s, threads"},
    {"fanout1_plain_over_spsc_threads", "rec", 0,
     "fanout1_plain_over_spsc, every party a thread of one process"},
    {"broadcast3_plain_per_consumer_over_1_threads", "rec", 0,
     "broadcast3_plain_per_consumer_over_1, every party a thread of one process"},
    /* work per message in one thread (issue 18; work.c): every party's calls
     * made by one thread in bursts of 32 (publish 32, route them, receive
     * 32), no second CPU and no scheduler; each key is SPSC ns/msg over the
     * path's ns/msg, a rate ratio as the process keys are */
    {"st_fanout1_over_spsc", "rec", 0,
     "one thread: SPSC ns/msg / fanout (RECYCLE) publish+route+recv ns/msg, 1 consumer"},
    {"st_fanout1_plain_over_spsc", "rec", 0,
     "one thread: SPSC ns/msg / fanout (plain) publish+route+recv ns/msg, 1 consumer"},
    {"st_mpsc_over_spsc", "rec", 0,
     "one thread: SPSC ns/msg / MPSC producer (MPSC_BATCH+RECYCLE) ns/msg, publish 1"},
    {"st_mpsc_plain_over_spsc", "rec", 0,
     "one thread: SPSC ns/msg / MPSC producer (plain region) ns/msg, publish 1"},
    {"st_mpsc_batch32_over_spsc_batch32", "rec", 0,
     "one thread: SPSC / MPSC (MPSC_BATCH+RECYCLE) ns/msg, publish_batch + recv_batch 32"},
    /* the NATS JetStream bridge (issue 16; bridge.c, a full run only) */
    {"bridge_over_nats", ">=", 0.8,
     "bridge out 64 B msgs/s / plain cnats JetStream publisher msgs/s, 256 in flight each"},
    {"bridge_msgs_per_s_64", "rec", 0, "bridge out msgs/s, region -> JetStream, 64 B"},
    {"bridge_msgs_per_s_1k", "rec", 0, "bridge out msgs/s, region -> JetStream, 1 KiB"},
    {"nats_js_msgs_per_s_64", "rec", 0,
     "plain cnats JetStream publisher msgs/s, 64 B, 256 async publishes in flight"},
    {"bridge_e2e_p50_us", "rec", 0,
     "region -> bridge out -> server 1 -> server 2 -> bridge in -> region, p50 us"},
    {"bridge_e2e_p99_us", "rec", 0, "the same, p99 us"},
    /* peers in the same run (issue 18; peers.c, a full run only), 64 B, two pinned processes */
    {"iox2_p50_over_ours", ">=", 1.5, "iceoryx2 one-way p50 / our SPSC one-way p50, 64 B"},
    {"ours_tput_over_iox2", ">=", 10, "our C copy msgs/s / iceoryx2 copy msgs/s, 64 B"},
    {"ours_java_tput_over_aeron", ">=", 1.0,
     "our Java binding copy msgs/s / Aeron IPC offer msgs/s (Java to Java), 64 B"},
    {"ours_c_tput_over_aeron", ">=", 1.0, "our C copy msgs/s / Aeron IPC offer msgs/s, 64 B"},
};
#define NTARGETS (sizeof(targets) / sizeof(targets[0]))

/* The bridge section's keys (bridge_*, nats_js_*) are not in the quick run
 * (it needs nats-servers and tens of seconds), nor the peers' (they need
 * cargo, java and mvn, and minutes), nor the thread twins' (*_threads, a
 * full-run diagnostic): no value expected there. */
static int in_quick_run(const char *key)
{
    size_t n = strlen(key);
    return strncmp(key, "bridge_", 7) != 0 && strncmp(key, "nats_js_", 8) != 0 &&
           strstr(key, "iox2") == NULL && strstr(key, "aeron") == NULL &&
           (n < 8 || strcmp(key + n - 8, "_threads") != 0);
}

/* ---- storage ------------------------------------------------------------------------ */

#define MAX_LAT 48
#define MAX_TPUT 128
#define MAX_LANG 16
#define MAX_VALUES 96
#define MAX_REPS 32

typedef struct tput_result {
    char name[32];
    uint32_t size, batch;
    int parties, place;
    double msgs_per_s, extra_per_s;
    uint64_t drops;
} tput_result;

typedef struct lang_result {
    char lang[16];
    uint32_t batch;
    double per_cpu_s, per_s, c_per_cpu_s, ratio; /* medians over the repetitions */
} lang_result;

typedef struct value_result {
    char key[64];
    double v;
} value_result;

typedef struct ratio_result {
    double value;
    int n;
    double reps[MAX_REPS];
    int set;
} ratio_result;

static lat_result lats[MAX_LAT];
static int nlats;
static tput_result tputs[MAX_TPUT];
static int ntputs;
static lang_result langs[MAX_LANG];
static int nlangs;
static value_result values[MAX_VALUES];
static int nvalues;
static ratio_result ratios[NTARGETS];

/* Median of the finite values among v[0..n) (v is left alone); NAN if none. */
double median(const double *v, int n)
{
    double t[64];
    int k = 0;
    for (int i = 0; i < n && k < 64; i++)
        if (isfinite(v[i]))
            t[k++] = v[i];
    for (int i = 1; i < k; i++) /* insertion sort: k is a handful */
        for (int j = i; j > 0 && t[j - 1] > t[j]; j--) {
            double x = t[j];
            t[j] = t[j - 1];
            t[j - 1] = x;
        }
    if (k == 0)
        return NAN;
    return k % 2 ? t[k / 2] : (t[k / 2 - 1] + t[k / 2]) / 2;
}

void lat_from_hist(lat_result *out, const char *name, uint32_t size, const hist *h, int rtt)
{
    double div = rtt ? 2.0 : 1.0;
    memset(out, 0, sizeof(*out));
    snprintf(out->name, sizeof(out->name), "%s", name);
    out->size = size;
    out->samples = h->count;
    if (h->count == 0) {
        out->p50 = out->p90 = out->p99 = out->p999 = out->max = out->mean = NAN;
        return;
    }
    out->p50 = (double)hist_pct(h, 50) / div;
    out->p90 = (double)hist_pct(h, 90) / div;
    out->p99 = (double)hist_pct(h, 99) / div;
    out->p999 = (double)hist_pct(h, 99.9) / div;
    out->max = (double)h->max / div;
    out->mean = (double)h->sum / (double)h->count / div;
}

void res_latency(const lat_result *r)
{
    if (nlats < MAX_LAT)
        lats[nlats++] = *r;
}

void res_tput(const char *name, uint32_t size, uint32_t batch, int parties, double msgs_per_s,
              double extra_per_s, uint64_t drops, int place)
{
    if (ntputs >= MAX_TPUT)
        return;
    tput_result *t = &tputs[ntputs++];
    snprintf(t->name, sizeof(t->name), "%s", name);
    t->size = size;
    t->batch = batch;
    t->parties = parties;
    t->msgs_per_s = msgs_per_s;
    t->extra_per_s = extra_per_s;
    t->drops = drops;
    t->place = place;
}

void res_lang(const char *lang, uint32_t batch, double per_cpu_s, double per_s,
              double c_per_cpu_s, double ratio)
{
    if (nlangs >= MAX_LANG)
        return;
    lang_result *l = &langs[nlangs++];
    snprintf(l->lang, sizeof(l->lang), "%s", lang);
    l->batch = batch;
    l->per_cpu_s = per_cpu_s;
    l->per_s = per_s;
    l->c_per_cpu_s = c_per_cpu_s;
    l->ratio = ratio;
}

void res_value(const char *key, double v)
{
    for (int i = 0; i < nvalues; i++)
        if (strcmp(values[i].key, key) == 0) {
            values[i].v = v;
            return;
        }
    if (nvalues >= MAX_VALUES)
        return;
    snprintf(values[nvalues].key, sizeof(values[nvalues].key), "%s", key);
    values[nvalues++].v = v;
}

static int target_index(const char *key)
{
    for (size_t i = 0; i < NTARGETS; i++)
        if (strcmp(targets[i].key, key) == 0)
            return (int)i;
    die("unknown ratio key %s", key);
}

void res_ratio(const char *key, const double *per_rep, int n)
{
    ratio_result *r = &ratios[target_index(key)];
    double tmp[MAX_REPS];
    int k = 0;
    for (int i = 0; i < n && k < MAX_REPS; i++)
        if (isfinite(per_rep[i]))
            tmp[k++] = per_rep[i];
    r->n = k;
    memcpy(r->reps, tmp, (size_t)k * sizeof(double));
    r->value = median(tmp, k);
    r->set = 1;
}

/* op "rec": recorded, no target */
static int target_met(const target *t, double v)
{
    if (!isfinite(v))
        return 0;
    if (strcmp(t->op, "rec") == 0)
        return 1;
    if (strcmp(t->op, "<=") == 0)
        return v <= t->limit;
    if (strcmp(t->op, ">=") == 0)
        return v >= t->limit;
    return v < t->limit;
}

/* ---- machine ------------------------------------------------------------------------ */

static void cpu_model(char *buf, size_t cap)
{
    snprintf(buf, cap, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL)
        return;
    char line[512];
    while (fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "model name", 10) != 0)
            continue;
        char *p = strchr(line, ':');
        if (p == NULL)
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        p[strcspn(p, "\n")] = 0;
        snprintf(buf, cap, "%s", p);
        break;
    }
    fclose(f);
}

static void loadavg(char *buf, size_t cap)
{
    snprintf(buf, cap, "?");
    FILE *f = fopen("/proc/loadavg", "r");
    if (f == NULL)
        return;
    double a, b, c;
    if (fscanf(f, "%lf %lf %lf", &a, &b, &c) == 3)
        snprintf(buf, cap, "%.2f %.2f %.2f", a, b, c);
    fclose(f);
}

static char load_start[64];

void res_machine_start(void) { loadavg(load_start, sizeof(load_start)); }

/* ---- JSON ---------------------------------------------------------------------------- */

static void jnum(FILE *f, double v)
{
    if (!isfinite(v))
        fputs("null", f);
    else if (v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "%.0f", v);
    else
        fprintf(f, "%.6g", v);
}

static void jstr(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(f, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(f, "\\u%04x", *s);
        else
            fputc(*s, f);
    }
    fputc('"', f);
}

void res_write(const char *path, double elapsed_s)
{
    char model[256], load_end[64], when[64];
    struct utsname u;
    uname(&u);
    cpu_model(model, sizeof(model));
    loadavg(load_end, sizeof(load_end));
    time_t now = time(NULL);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    char tmp[1024];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f == NULL)
        die("cannot write %s", tmp);
    fprintf(f, "{\n  \"schema\": 1,\n  \"mode\": \"%s\",\n  \"date\": \"%s\",\n",
            g_opts.quick ? "quick" : "full", when);
    fprintf(f, "  \"elapsed_s\": %.1f,\n  \"reps\": %d,\n", elapsed_s, g_opts.reps);
    /* the ratio keys, at the top level */
    for (size_t i = 0; i < NTARGETS; i++) {
        fprintf(f, "  ");
        jstr(f, targets[i].key);
        fprintf(f, ": ");
        jnum(f, ratios[i].set ? ratios[i].value : NAN);
        fprintf(f, ",\n");
    }
    fprintf(f, "  \"machine\": {\"nproc\": %ld, \"cpus_allowed\": %d, \"cpu_model\": ",
            sysconf(_SC_NPROCESSORS_ONLN), cpu_count());
    jstr(f, model);
    fprintf(f, ", \"kernel\": ");
    jstr(f, u.release);
    fprintf(f, ", \"loadavg_start\": ");
    jstr(f, load_start);
    fprintf(f, ", \"loadavg_end\": ");
    jstr(f, load_end);
    fprintf(f, ", \"pairs_placement\": \"%s\"},\n", placement_name(placement_of(2)));
    fprintf(f, "  \"settings\": {\"warmup_ms\": %u, \"measure_ms\": %u, \"wake_gap_us\": %u, "
               "\"idle_ms\": %u, \"lang_warmup\": %llu, \"lang_count\": %llu},\n",
            g_opts.warmup_ms, g_opts.measure_ms, g_opts.wake_gap_us, g_opts.idle_ms,
            (unsigned long long)g_opts.lang_warmup, (unsigned long long)g_opts.lang_count);
    fprintf(f, "  \"targets\": {\n");
    for (size_t i = 0; i < NTARGETS; i++) {
        const target *t = &targets[i];
        double v = ratios[i].set ? ratios[i].value : NAN;
        fprintf(f, "    ");
        jstr(f, t->key);
        fprintf(f, ": {\"op\": \"%s\", \"limit\": ", t->op);
        jnum(f, t->limit);
        fprintf(f, ", \"value\": ");
        jnum(f, v);
        fprintf(f, ", \"met\": %s, \"reps\": [", target_met(t, v) ? "true" : "false");
        for (int k = 0; k < ratios[i].n; k++) {
            if (k)
                fputs(", ", f);
            jnum(f, ratios[i].reps[k]);
        }
        fprintf(f, "], \"what\": ");
        jstr(f, t->what);
        fprintf(f, "}%s\n", i + 1 < NTARGETS ? "," : "");
    }
    fprintf(f, "  },\n  \"raw\": {\n    \"latency_ns\": [\n");
    for (int i = 0; i < nlats; i++) {
        const lat_result *l = &lats[i];
        fprintf(f, "      {\"name\": ");
        jstr(f, l->name);
        fprintf(f, ", \"size\": %u, \"samples\": %llu, \"placement\": \"%s\", \"p50\": ",
                l->size, (unsigned long long)l->samples, placement_name(l->place));
        jnum(f, l->p50);
        fprintf(f, ", \"p90\": ");
        jnum(f, l->p90);
        fprintf(f, ", \"p99\": ");
        jnum(f, l->p99);
        fprintf(f, ", \"p99_9\": ");
        jnum(f, l->p999);
        fprintf(f, ", \"max\": ");
        jnum(f, l->max);
        fprintf(f, ", \"mean\": ");
        jnum(f, round(l->mean));
        fprintf(f, "}%s\n", i + 1 < nlats ? "," : "");
    }
    fprintf(f, "    ],\n    \"throughput\": [\n");
    for (int i = 0; i < ntputs; i++) {
        const tput_result *t = &tputs[i];
        fprintf(f, "      {\"name\": ");
        jstr(f, t->name);
        fprintf(f, ", \"size\": %u, \"batch\": %u, \"parties\": %d, \"placement\": \"%s\", "
                   "\"msgs_per_s\": ",
                t->size, t->batch, t->parties, placement_name(t->place));
        jnum(f, round(t->msgs_per_s));
        fprintf(f, ", \"gb_per_s\": ");
        jnum(f, t->msgs_per_s * t->size / 1e9);
        fprintf(f, ", \"per_consumer_msgs_per_s\": ");
        jnum(f, round(t->extra_per_s));
        fprintf(f, ", \"dropped_full\": %llu}%s\n", (unsigned long long)t->drops,
                i + 1 < ntputs ? "," : "");
    }
    fprintf(f, "    ],\n    \"bindings\": [\n");
    for (int i = 0; i < nlangs; i++) {
        const lang_result *l = &langs[i];
        fprintf(f, "      {\"lang\": ");
        jstr(f, l->lang);
        fprintf(f, ", \"size\": 64, \"batch\": %u, \"msgs_per_cpu_s\": ", l->batch);
        jnum(f, round(l->per_cpu_s));
        fprintf(f, ", \"msgs_per_s\": ");
        jnum(f, round(l->per_s));
        fprintf(f, ", \"c_msgs_per_cpu_s\": ");
        jnum(f, round(l->c_per_cpu_s));
        fprintf(f, ", \"over_c\": ");
        jnum(f, l->ratio);
        fprintf(f, "}%s\n", i + 1 < nlangs ? "," : "");
    }
    fprintf(f, "    ],\n    \"values\": {");
    for (int i = 0; i < nvalues; i++) {
        fprintf(f, "%s\n      ", i ? "," : "");
        jstr(f, values[i].key);
        fprintf(f, ": ");
        jnum(f, values[i].v);
    }
    fprintf(f, "\n    }\n  }\n}\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0)
        die("cannot write %s", path);
}

/* ---- table --------------------------------------------------------------------------- */

static void fmt_rate(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "-");
    else if (v >= 1e6)
        snprintf(buf, cap, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, cap, "%.1fk", v / 1e3);
    else
        snprintf(buf, cap, "%.0f", v);
}

static void fmt_ns(char *buf, size_t cap, double v)
{
    if (!isfinite(v))
        snprintf(buf, cap, "-");
    else if (v >= 100000)
        snprintf(buf, cap, "%.0fus", v / 1000);
    else if (v >= 10000)
        snprintf(buf, cap, "%.1fus", v / 1000);
    else
        snprintf(buf, cap, "%.0f", v);
}

void res_print_table(void)
{
    char model[256];
    struct utsname u;
    uname(&u);
    cpu_model(model, sizeof(model));
    printf("\nIndexBus benchmarks (%s, %d reps): %s, %d CPUs, Linux %s\n",
           g_opts.quick ? "quick smoke run, not a measurement" : "full", g_opts.reps, model,
           cpu_count(), u.release);
    printf("\nLatency, one way, ns              size      p50      p90      p99    p99.9      max     mean  samples\n");
    for (int i = 0; i < nlats; i++) {
        const lat_result *l = &lats[i];
        char a[6][16];
        fmt_ns(a[5], 16, l->mean);
        fmt_ns(a[0], 16, l->p50);
        fmt_ns(a[1], 16, l->p90);
        fmt_ns(a[2], 16, l->p99);
        fmt_ns(a[3], 16, l->p999);
        fmt_ns(a[4], 16, l->max);
        printf("  %-30s %5u %8s %8s %8s %8s %8s %8s %8llu\n", l->name, l->size, a[0], a[1], a[2],
               a[3], a[4], a[5], (unsigned long long)l->samples);
    }
    printf("\nThroughput                        size batch procs cpus        msgs/s      GB/s  per-consumer  drops\n");
    for (int i = 0; i < ntputs; i++) {
        const tput_result *t = &tputs[i];
        char r[16], e[16];
        fmt_rate(r, sizeof(r), t->msgs_per_s);
        if (t->extra_per_s > 0)
            fmt_rate(e, sizeof(e), t->extra_per_s);
        else
            snprintf(e, sizeof(e), "-");
        printf("  %-30s %5u %5u %5d %-8s %10s %9.3f %13s %6llu\n", t->name, t->size, t->batch,
               t->parties, placement_name(t->place), r, t->msgs_per_s * t->size / 1e9, e,
               (unsigned long long)t->drops);
    }
    if (nlangs) {
        printf("\nBindings, 64 B publish+recv       batch  msgs/cpu-s  C msgs/cpu-s  over C   "
               "msgs/s (wall)\n");
        for (int i = 0; i < nlangs; i++) {
            const lang_result *l = &langs[i];
            char a[16], b[16], c[16];
            fmt_rate(a, sizeof(a), l->per_cpu_s);
            fmt_rate(b, sizeof(b), l->c_per_cpu_s);
            fmt_rate(c, sizeof(c), l->per_s);
            printf("  %-30s %6u %11s %13s %7.3f %15s\n", l->lang, l->batch, a, b, l->ratio, c);
        }
    }
    if (nvalues) {
        printf("\nOther figures\n");
        for (int i = 0; i < nvalues; i++)
            printf("  %-48s %12.3f\n", values[i].key, values[i].v);
    }
    printf("\nRatios (median of per-repetition ratios)          value   target   met   reps\n");
    for (size_t i = 0; i < NTARGETS; i++) {
        const target *t = &targets[i];
        double v = ratios[i].set ? ratios[i].value : NAN;
        char lim[32];
        if (strcmp(t->op, "rec") == 0)
            snprintf(lim, sizeof(lim), "recorded");
        else
            snprintf(lim, sizeof(lim), "%s %g", t->op, t->limit);
        printf("  %-46s %9.3f %8s %5s %6d\n", t->key, v, lim,
               !isfinite(v) ? "n/a" : target_met(t, v) ? "yes" : "NO", ratios[i].n);
    }
}

int res_check_keys(void)
{
    int bad = 0;
    for (size_t i = 0; i < NTARGETS; i++)
        if (in_quick_run(targets[i].key) && (!ratios[i].set || !isfinite(ratios[i].value))) {
            fprintf(stderr, "bench: %s has no value\n", targets[i].key);
            bad = 1;
        }
    return bad;
}
