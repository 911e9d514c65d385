/* main.c - indexbus-bench: the plan of a run.
 *
 *   indexbus-bench [--quick] [--out FILE] [--reps N] [--only SECTIONS]
 *                  [--lang-c PROG] [--go PROG] [--rust PROG]
 *                  [--java-jar JAR] [--java CMD] [--no-pin] [-v]
 *                  [--bridge PROG --nats-pub PROG [--nats-server PATH]]
 *                  [--peer-iox2 PROG] [--peer-java-cp FILE]
 *
 * Every ratio is the median of per-repetition ratios, the two sides of
 * each measured back to back within one repetition (A, B, A, B, ...), so
 * a machine that gets busier or quieter during the run moves both. The
 * remaining rows of the tables (other sizes, other party counts) are one
 * run each. --quick is a smoke run: short windows, one repetition, fewer
 * rows; it checks that everything runs and that every ratio has a value
 * (a timed repetition that comes out without one, on a machine too busy
 * for its short windows, is run again, up to 3 times).
 * SECTIONS is a comma list of latency, throughput, multi, work, log, blocking,
 * baseline, stream, rpc, bindings, threads, bridge, peers (default: all;
 * the quick run leaves threads, bridge and peers out unless --only names them: bridge needs
 * real nats-servers and tens of seconds, bridge.c; peers needs the peer
 * programs bench.mk builds with cargo and mvn, and minutes, peers.c). --no-pin leaves every process where
 * the scheduler puts it (placement "none"), for comparison. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bridge.h"
#include "peers.h"

/* Diagnostic rings: what each part of the publish path adds to a minimal
 * ring, for both the latency and the throughput rows. */
static const struct {
    const char *name;
    uint32_t flags;
} variants[] = {{"ring (diagnostic)", 0},
                {"ring + fence (diagnostic)", RING_FENCE},
                {"ring + slot pool (diagnostic)", RING_POOL},
                {"ring + both (diagnostic)", RING_FENCE | RING_POOL}};
enum { NV = sizeof(variants) / sizeof(variants[0]) };

bench_opts g_opts;

static double t_begin;
static const char *only;

static double elapsed(void) { return (double)(now_ns()) / 1e9 - t_begin; }

void progress(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[%6.1fs] ", elapsed());
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static int wanted(const char *section)
{
    if (only == NULL)
        return 1;
    size_t n = strlen(section);
    for (const char *p = only; (p = strstr(p, section)) != NULL; p += n)
        if ((p == only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return 1;
    return 0;
}

#define R_MAX 32

/* ---- retries in the quick run ------------------------------------------------------ */

/* A repetition's ratio that a quick run would report as missing: a run
 * failed, or a window too short for a busy machine to fit one round trip
 * (no latency sample) or one message (a zero rate) into it. */
static int unusable(double q) { return !isfinite(q) || q <= 0; }

/* Attempts at each repetition: the quick run (part of make check) retries
 * one that came out unusable, so that a machine too busy for a 60 ms
 * window does not leave a key without a value; the full run takes what it
 * gets (an unusable repetition drops out of the median). */
static int attempts(void) { return g_opts.quick ? 3 : 1; }

/* ---- latency ---------------------------------------------------------------------- */

static void latency(void)
{
    static hist h_floor, h_spsc, h_pipe;
    hist_init(&h_floor);
    hist_init(&h_spsc);
    hist_init(&h_pipe);
    double r_floor[R_MAX], r_pipe[R_MAX];
    int reps = g_opts.reps;
    for (int r = 0; r < reps; r++) {
        r_floor[r] = r_pipe[r] = NAN;
        for (int t = 0; t < attempts() && (unusable(r_floor[r]) || unusable(r_pipe[r])); t++) {
            progress("latency: repetition %d/%d (floor, spsc 64 B, pipe 64 B)%s", r + 1, reps,
                     t ? ", again" : "");
            lat_result lf, ls, lp;
            int a = ref_pingpong(&lf, &h_floor);
            int b = spsc_latency(64, &ls, &h_spsc);
            int c = base_pingpong(BASE_PIPE, 64, &lp, &h_pipe);
            r_floor[r] = !a && !b ? ls.p50 / lf.p50 : NAN;
            r_pipe[r] = !b && !c ? lp.p50 / ls.p50 : NAN;
        }
    }
    res_ratio("spsc_64_p50_over_floor", r_floor, reps);
    res_ratio("pipe_rtt_over_spsc", r_pipe, reps);

    lat_result l;
    lat_from_hist(&l, "floor (2-line ping-pong)", 8, &h_floor, 1);
    l.place = placement_of(2);
    res_latency(&l);
    static const uint32_t sizes[] = {8, 64, 1024};
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        if (sizes[i] == 64) {
            lat_from_hist(&l, "spsc", 64, &h_spsc, 1);
            l.place = placement_of(2);
        } else {
            static hist h;
            hist_init(&h);
            for (int k = 0; k < g_opts.row_runs; k++) {
                progress("latency: spsc %u B (%d/%d)", sizes[i], k + 1, g_opts.row_runs);
                spsc_latency(sizes[i], &l, &h);
            }
            lat_from_hist(&l, "spsc", sizes[i], &h, 1);
            l.place = placement_of(2);
        }
        res_latency(&l);
    }
    lat_from_hist(&l, "pipe", 64, &h_pipe, 1);
    l.place = placement_of(2);
    res_latency(&l);
    if (!g_opts.quick) {
        /* diagnostics: what the publish path adds to a ring's latency; the
         * variants take turns in each round, as the machine drifts */
        static hist hv[NV + 1];
        for (size_t i = 0; i <= NV; i++)
            hist_init(&hv[i]);
        for (int k = 0; k < g_opts.row_runs; k++) {
            progress("latency: ring diagnostics 64 B (%d/%d)", k + 1, g_opts.row_runs);
            for (size_t i = 0; i < NV; i++)
                ring_pingpong(64, variants[i].flags, &l, &hv[i]);
            spsc_latency(64, &l, &hv[NV]);
        }
        for (size_t i = 0; i <= NV; i++) {
            lat_from_hist(&l, i < NV ? variants[i].name : "spsc (diagnostic round)", 64, &hv[i],
                          1);
            l.place = placement_of(2);
            res_latency(&l);
        }
    }
    static hist h_sock;
    hist_init(&h_sock);
    for (int k = 0; k < g_opts.row_runs; k++) {
        progress("latency: socketpair 64 B (%d/%d)", k + 1, g_opts.row_runs);
        base_pingpong(BASE_SOCKETPAIR, 64, &l, &h_sock);
    }
    lat_from_hist(&l, "socketpair", 64, &h_sock, 1);
    l.place = placement_of(2);
    res_latency(&l);
}

/* ---- throughput --------------------------------------------------------------------- */

/* One repetition's multi-party rows next to SPSC: the keys' regions
 * (BENCH_MPSC_FLAGS, BENCH_FANOUT_FLAGS) and the plain ones kept as
 * diagnostics; NAN where a run failed. */
typedef struct mp_rep {
    double mpsc2, mpsc2_b32, fan1, fan1_plain, fan3, fan3_plain; /* msgs/s (fan3: per consumer) */
} mp_rep;

static double fanout_rate(int consumers, uint32_t flags)
{
    double pc, total;
    uint64_t drops;
    return fanout_tput(consumers, INDEXBUS_MODE_BROADCAST, flags, &pc, &total, &drops) == 0
               ? pc
               : NAN;
}

static void mp_measure(mp_rep *m)
{
    if (mpsc_tput(INDEXBUS_KIND_EVENTS, 2, 1, BENCH_MPSC_FLAGS, &m->mpsc2) != 0)
        m->mpsc2 = NAN;
    if (mpsc_tput(INDEXBUS_KIND_EVENTS, 2, 32, BENCH_MPSC_FLAGS, &m->mpsc2_b32) != 0)
        m->mpsc2_b32 = NAN;
    m->fan1 = fanout_rate(1, BENCH_FANOUT_FLAGS);
    m->fan1_plain = fanout_rate(1, 0);
    m->fan3 = fanout_rate(3, BENCH_FANOUT_FLAGS);
    m->fan3_plain = fanout_rate(3, 0);
}

static void throughput(void)
{
    int reps = g_opts.reps;
    double ring[R_MAX], single[R_MAX], batched[R_MAX], mpsc2[R_MAX], fan1[R_MAX];
    double q_single[R_MAX], q_batch[R_MAX], q_fan[R_MAX], q_mpsc[R_MAX];
    double q_fan_plain[R_MAX], q_mpsc_b32[R_MAX], q_b3[R_MAX], q_b3_plain[R_MAX];
    for (int r = 0; r < reps; r++) {
        q_single[r] = q_batch[r] = q_fan[r] = q_mpsc[r] = NAN;
        q_fan_plain[r] = q_mpsc_b32[r] = q_b3[r] = q_b3_plain[r] = NAN;
        for (int t = 0; t < attempts() && (unusable(q_single[r]) || unusable(q_batch[r]) ||
                                           unusable(q_fan[r]) || unusable(q_mpsc[r]) ||
                                           unusable(q_fan_plain[r]) || unusable(q_mpsc_b32[r]) ||
                                           unusable(q_b3[r]) || unusable(q_b3_plain[r]));
             t++) {
            progress("throughput: repetition %d/%d (ring, spsc, spsc batch 32, mpsc x2, "
                     "mpsc x2 batch 32, fanout x1, x1 plain, x3, x3 plain)%s", r + 1, reps,
                     t ? ", again" : "");
            ring[r] = single[r] = batched[r] = NAN;
            if (ref_ring(64, 0, &ring[r]) != 0)
                ring[r] = NAN;
            if (spsc_tput(64, 1, &single[r]) != 0)
                single[r] = NAN;
            if (spsc_tput(64, 32, &batched[r]) != 0)
                batched[r] = NAN;
            mp_rep m;
            mp_measure(&m);
            mpsc2[r] = m.mpsc2;
            fan1[r] = m.fan1;
            q_single[r] = single[r] / ring[r];
            q_batch[r] = batched[r] / ring[r];
            q_fan[r] = m.fan1 / single[r];
            q_mpsc[r] = m.mpsc2 / single[r];
            q_fan_plain[r] = m.fan1_plain / single[r];
            q_mpsc_b32[r] = m.mpsc2_b32 / batched[r];
            q_b3[r] = m.fan3 / m.fan1;
            q_b3_plain[r] = m.fan3_plain / m.fan1_plain;
        }
    }
    res_ratio("spsc_64_tput_over_ring", q_single, reps);
    res_ratio("spsc_64_tput_batch_over_ring", q_batch, reps);
    res_ratio("fanout1_over_spsc", q_fan, reps);
    res_ratio("mpsc2_over_spsc", q_mpsc, reps);
    res_ratio("broadcast3_per_consumer_over_1", q_b3, reps);
    res_ratio("fanout1_plain_over_spsc", q_fan_plain, reps);
    res_ratio("broadcast3_plain_per_consumer_over_1", q_b3_plain, reps);
    res_ratio("mpsc2_batch32_over_spsc_batch32", q_mpsc_b32, reps);

    double m_ring = median(ring, reps), m_single = median(single, reps);
    double m_batched = median(batched, reps);
    res_tput("ring (reference)", 64, 1, 2, m_ring, 0, 0, placement_of(2));
    if (!g_opts.quick) {
        /* diagnostics: what the publish path adds to a ring, the variants
         * and IndexBus taking turns in each round */
        double runs[NV + 1][R_MAX];
        for (int k = 0; k < g_opts.row_runs; k++) {
            progress("throughput: ring diagnostics 64 B (%d/%d)", k + 1, g_opts.row_runs);
            for (size_t i = 0; i < NV; i++)
                if (ref_ring(64, variants[i].flags, &runs[i][k]) != 0)
                    runs[i][k] = NAN;
            if (spsc_tput(64, 1, &runs[NV][k]) != 0)
                runs[NV][k] = NAN;
        }
        for (size_t i = 0; i < NV; i++)
            res_tput(variants[i].name, 64, 1, 2, median(runs[i], g_opts.row_runs), 0, 0,
                     placement_of(2));
        res_tput("spsc (diagnostic round)", 64, 1, 2, median(runs[NV], g_opts.row_runs), 0, 0,
                 placement_of(2));
    }
    static const uint32_t sizes[] = {8, 64, 256, 1024, 4096};
    static const uint32_t batches[] = {1, 16, 32};
    size_t nsizes = g_opts.quick ? 2 : sizeof(sizes) / sizeof(sizes[0]);
    for (size_t b = 0; b < sizeof(batches) / sizeof(batches[0]); b++) {
        if (g_opts.quick && batches[b] == 16)
            continue;
        for (size_t s = 0; s < nsizes; s++) {
            double v;
            if (sizes[s] == 64 && batches[b] == 1) {
                v = m_single;
            } else if (sizes[s] == 64 && batches[b] == 32) {
                v = m_batched;
            } else {
                double runs[R_MAX];
                for (int k = 0; k < g_opts.row_runs; k++) {
                    progress("throughput: spsc %u B, batch %u (%d/%d)", sizes[s], batches[b],
                             k + 1, g_opts.row_runs);
                    if (spsc_tput(sizes[s], batches[b], &runs[k]) != 0)
                        runs[k] = NAN;
                }
                v = median(runs, g_opts.row_runs);
            }
            res_tput("spsc", sizes[s], batches[b], 2, v, 0, 0, placement_of(2));
        }
    }
    /* kept for the multi-party section */
    res_value("mpsc2_msgs_per_s_median", median(mpsc2, reps));
    res_value("fanout1_msgs_per_s_median", median(fan1, reps));
}

/* ---- multi-party -------------------------------------------------------------------- */

/* The rows by party count, on the regions the keys measure: MPSC in an
 * INDEXBUS_CREATE_MPSC_BATCH + _RECYCLE region, fanout in an INDEXBUS_CREATE_RECYCLE
 * one (bench.h: BENCH_MPSC_FLAGS, BENCH_FANOUT_FLAGS). */
static void multiparty(void)
{
    int max_p = g_opts.quick ? 2 : 4, max_c = g_opts.quick ? 2 : 8, n = g_opts.row_runs;
    for (int k = 1; k <= max_p; k++) {
        double v[R_MAX];
        for (int i = 0; i < n; i++) {
            progress("multi-party: mpsc, %d producer%s (%d/%d)", k, k > 1 ? "s" : "", i + 1, n);
            if (mpsc_tput(INDEXBUS_KIND_EVENTS, k, 1, BENCH_MPSC_FLAGS, &v[i]) != 0)
                v[i] = NAN;
        }
        res_tput("mpsc", 64, 1, k + 1, median(v, n), 0, 0, placement_of(k + 1));
    }
    static const struct {
        const char *name;
        uint32_t mode;
    } modes[] = {{"fanout broadcast", INDEXBUS_MODE_BROADCAST},
                 {"fanout work-queue", INDEXBUS_MODE_WORK_QUEUE}};
    for (size_t m = 0; m < 2; m++)
        for (int k = 1; k <= max_c; k++) {
            double pc[R_MAX], total[R_MAX];
            uint64_t drops = 0, d;
            for (int i = 0; i < n; i++) {
                progress("multi-party: %s, %d consumer%s (%d/%d)", modes[m].name, k,
                         k > 1 ? "s" : "", i + 1, n);
                if (fanout_tput(k, modes[m].mode, BENCH_FANOUT_FLAGS, &pc[i], &total[i], &d) != 0)
                    pc[i] = total[i] = NAN;
                else
                    drops += d;
            }
            res_tput(modes[m].name, 64, 1, k + 2, median(total, n), median(pc, n), drops,
                     placement_of(k + 2));
        }
}

/* ---- byte logs ------------------------------------------------------------------------- */

/* The byte-log keys, each against its own reference measured in the same
 * repetition (the floor and the ring of reference.c, as the spsc keys), and
 * rows by record size next to the events rows of throughput(). */
static void bytelog(void)
{
    int reps = g_opts.reps;
    static hist h_floor, h_log;
    hist_init(&h_floor);
    hist_init(&h_log);
    double q_lat[R_MAX];
    for (int r = 0; r < reps; r++) {
        q_lat[r] = NAN;
        for (int t = 0; t < attempts() && unusable(q_lat[r]); t++) {
            progress("byte log: latency repetition %d/%d (floor, log 64 B)%s", r + 1, reps,
                     t ? ", again" : "");
            lat_result lf, ll;
            int a = ref_pingpong(&lf, &h_floor);
            int b = region_latency(INDEXBUS_KIND_LOG, 64, &ll, &h_log);
            q_lat[r] = !a && !b ? ll.p50 / lf.p50 : NAN;
        }
    }
    res_ratio("log_64_p50_over_floor", q_lat, reps);
    lat_result l;
    lat_from_hist(&l, "floor (byte-log rounds)", 8, &h_floor, 1);
    l.place = placement_of(2);
    res_latency(&l);
    static const uint32_t lat_sizes[] = {8, 64, 1024};
    for (size_t i = 0; i < sizeof(lat_sizes) / sizeof(lat_sizes[0]); i++) {
        if (lat_sizes[i] == 64) {
            lat_from_hist(&l, "log", 64, &h_log, 1);
        } else {
            if (g_opts.quick)
                continue;
            static hist h;
            hist_init(&h);
            for (int k = 0; k < g_opts.row_runs; k++) {
                progress("byte log: latency %u B (%d/%d)", lat_sizes[i], k + 1, g_opts.row_runs);
                region_latency(INDEXBUS_KIND_LOG, lat_sizes[i], &l, &h);
            }
            lat_from_hist(&l, "log", lat_sizes[i], &h, 1);
        }
        l.place = placement_of(2);
        res_latency(&l);
    }

    double ring[R_MAX], single[R_MAX], batched[R_MAX], claimed[R_MAX], mpsc2[R_MAX];
    double q_single[R_MAX], q_batch[R_MAX], q_mpsc[R_MAX];
    for (int r = 0; r < reps; r++) {
        q_single[r] = q_batch[r] = q_mpsc[r] = NAN;
        for (int t = 0; t < attempts() &&
                        (unusable(q_single[r]) || unusable(q_batch[r]) || unusable(q_mpsc[r]));
             t++) {
            progress("byte log: throughput repetition %d/%d (ring, log, log batch 32, "
                     "log claim_batch 32, log mpsc x2)%s", r + 1, reps, t ? ", again" : "");
            ring[r] = single[r] = batched[r] = claimed[r] = mpsc2[r] = NAN;
            if (ref_ring(64, 0, &ring[r]) != 0)
                ring[r] = NAN;
            if (region_tput(INDEXBUS_KIND_LOG, 64, 1, 0, &single[r]) != 0)
                single[r] = NAN;
            if (region_tput(INDEXBUS_KIND_LOG, 64, 32, 0, &batched[r]) != 0)
                batched[r] = NAN;
            if (region_tput(INDEXBUS_KIND_LOG, 64, 32, 1, &claimed[r]) != 0)
                claimed[r] = NAN;
            if (mpsc_tput(INDEXBUS_KIND_LOG, 2, 1, 0, &mpsc2[r]) != 0)
                mpsc2[r] = NAN;
            q_single[r] = single[r] / ring[r];
            q_batch[r] = batched[r] / ring[r];
            q_mpsc[r] = mpsc2[r] / single[r];
        }
    }
    res_ratio("log_64_tput_over_ring", q_single, reps);
    res_ratio("log_64_tput_batch_over_ring", q_batch, reps);
    res_ratio("log_mpsc2_over_log", q_mpsc, reps);
    res_tput("ring (byte-log rounds)", 64, 1, 2, median(ring, reps), 0, 0, placement_of(2));

    /* by record size, as the events rows: publish, publish_batch and the
     * in-place claim_batch of 32 */
    static const uint32_t sizes[] = {8, 64, 256, 1024, 4096};
    static const struct {
        const char *name;
        uint32_t batch;
        int claim;
    } modes[] = {{"log", 1, 0}, {"log", 32, 0}, {"log claim_batch", 32, 1}};
    size_t nsizes = g_opts.quick ? 2 : sizeof(sizes) / sizeof(sizes[0]);
    for (size_t m = 0; m < sizeof(modes) / sizeof(modes[0]); m++)
        for (size_t s = 0; s < nsizes; s++) {
            double v;
            if (sizes[s] == 64) {
                v = median(modes[m].claim ? claimed : modes[m].batch == 1 ? single : batched,
                           reps);
            } else {
                double runs[R_MAX];
                for (int k = 0; k < g_opts.row_runs; k++) {
                    progress("byte log: %s %u B, batch %u (%d/%d)", modes[m].name, sizes[s],
                             modes[m].batch, k + 1, g_opts.row_runs);
                    if (region_tput(INDEXBUS_KIND_LOG, sizes[s], modes[m].batch,
                                    modes[m].claim, &runs[k]) != 0)
                        runs[k] = NAN;
                }
                v = median(runs, g_opts.row_runs);
            }
            res_tput(modes[m].name, sizes[s], modes[m].batch, 2, v, 0, 0, placement_of(2));
        }
    res_tput("log mpsc", 64, 1, 3, median(mpsc2, reps), 0, 0, placement_of(3));

    progress("byte log: packing (a count, no timing)");
    double pk = NAN, pe = NAN;
    if (log_packing(&pk, &pe) != 0)
        pk = pe = NAN;
    res_ratio("log_packing", &pk, 1);
    res_value("events_packing (same mix, 1024 x 1024 B slots)", pe);
}

/* ---- blocking ------------------------------------------------------------------------- */

static void blocking(void)
{
    static hist h_raw, h_ib, h_spin, h_scan;
    hist_init(&h_raw);
    hist_init(&h_ib);
    hist_init(&h_spin);
    hist_init(&h_scan);
    double rec = NAN, spin = NAN;
    if (recover_cost(&rec, &spin) == 0) {
        res_value("recover_scan_ns (p50, hot loop)", rec);
        res_value("recv_spin_before_park_ns (p50)", spin);
    }
    int reps = g_opts.reps, diag = !g_opts.quick && isfinite(spin);
    double q[R_MAX];
    for (int r = 0; r < reps; r++) {
        q[r] = NAN;
        for (int t = 0; t < attempts() && unusable(q[r]); t++) {
            progress("blocking: repetition %d/%d (raw futex wake, parked recv wake%s)%s", r + 1,
                     reps, diag ? ", raw + spin, raw + scan" : "", t ? ", again" : "");
            lat_result lr, li;
            int a = wake_latency(WAKE_RAW, 0, &lr, &h_raw);
            int b = wake_latency(WAKE_INDEXBUS, 0, &li, &h_ib);
            q[r] = !a && !b ? li.p50 / lr.p50 : NAN;
        }
        lat_result ld;
        if (diag) {
            wake_latency(WAKE_RAW_SPIN, (uint64_t)spin, &ld, &h_spin);
            wake_latency(WAKE_RAW_SCAN, 0, &ld, &h_scan);
        }
    }
    res_ratio("futex_wake_over_raw", q, reps);
    lat_result l;
    static const struct {
        const char *name;
        hist *h;
    } rows[] = {{"wake: raw futex", &h_raw},
                {"wake: parked recv", &h_ib},
                {"wake: raw, spin first", &h_spin},
                {"wake: raw, scan after", &h_scan}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        if (rows[i].h->count == 0)
            continue;
        lat_from_hist(&l, rows[i].name, 8, rows[i].h, 0);
        l.place = placement_of(2);
        res_latency(&l);
    }

    double pct[R_MAX];
    for (int k = 0; k < g_opts.row_runs; k++) {
        progress("blocking: idle CPU of a consumer parked for %u ms (%d/%d)", g_opts.idle_ms,
                 k + 1, g_opts.row_runs);
        if (parked_cpu(&pct[k]) != 0)
            pct[k] = NAN;
    }
    res_ratio("parked_consumer_cpu_pct", pct, g_opts.row_runs);
}

/* ---- baselines -------------------------------------------------------------------------- */

static void baselines(void)
{
    static const struct {
        const char *name;
        int kind;
    } kinds[] = {{"pipe stream", BASE_PIPE}, {"socketpair stream", BASE_SOCKETPAIR}};
    int n = g_opts.row_runs;
    for (size_t i = 0; i < 2; i++) {
        double v[R_MAX];
        for (int k = 0; k < n; k++) {
            progress("baseline: %s 64 B (%d/%d)", kinds[i].name, k + 1, n);
            if (base_stream(kinds[i].kind, 64, &v[k]) != 0)
                v[k] = NAN;
        }
        res_tput(kinds[i].name, 64, 1, 2, median(v, n), 0, 0, placement_of(2));
    }
}

/* ---- byte streams ---------------------------------------------------------------------- */

/* stream_gbps_over_pipe: the same bytes through a stream region and a pipe
 * (stream.c), back to back in each repetition; GB/s rows for both, and
 * (full run) the pipe grown to the stream's 1 MiB ring. */
static void streams(void)
{
    uint64_t warm = g_opts.quick ? 4u << 20 : 16u << 20;
    uint64_t bytes = g_opts.quick ? 32u << 20 : 128u << 20;
    int reps = g_opts.reps;
    double ib[R_MAX], pp[R_MAX], q[R_MAX];
    for (int r = 0; r < reps; r++) {
        q[r] = NAN;
        for (int t = 0; t < attempts() && unusable(q[r]); t++) {
            progress("stream: repetition %d/%d (stream, pipe; %llu MiB of 64 KiB writes)%s",
                     r + 1, reps, (unsigned long long)(bytes >> 20), t ? ", again" : "");
            if (stream_tput(STREAM_IB, warm, bytes, &ib[r]) != 0)
                ib[r] = NAN;
            if (stream_tput(STREAM_PIPE, warm, bytes, &pp[r]) != 0)
                pp[r] = NAN;
            q[r] = ib[r] / pp[r];
        }
    }
    res_ratio("stream_gbps_over_pipe", q, reps);
    const double per = 1e9 / STREAM_CHUNK; /* GB/s -> 64 KiB writes per second */
    res_tput("stream write_all / read", STREAM_CHUNK, 1, 2, median(ib, reps) * per, 0, 0,
             placement_of(2));
    res_tput("pipe (64 KiB)", STREAM_CHUNK, 1, 2, median(pp, reps) * per, 0, 0,
             placement_of(2));
    if (!g_opts.quick) {
        double v[R_MAX];
        for (int k = 0; k < g_opts.row_runs; k++) {
            progress("stream: pipe grown to 1 MiB (%d/%d)", k + 1, g_opts.row_runs);
            if (stream_tput(STREAM_PIPE_1M, warm, bytes, &v[k]) != 0)
                v[k] = NAN;
        }
        res_tput("pipe (1 MiB, diagnostic)", STREAM_CHUNK, 1, 2, median(v, g_opts.row_runs) * per,
                 0, 0, placement_of(2));
    }
}

/* ---- request/response ------------------------------------------------------------------ */

/* rpc_rtt_over_floor: an rpc_call round trip of 64 B each way against
 * twice the two-line floor (the floor's own round trip); uds_rpc_rtt_over_rpc:
 * the same exchange over a Unix socketpair (write and read of 64 B each
 * way, baseline.c) against the rpc_call round trip. The floor, rpc_call,
 * the zero-copy path and the socketpair take turns in each repetition.
 * One-way rows (round trip / 2) in the latency table; round-trip p50 and
 * mean (all repetitions' samples) under Other figures. */
static void rpc(void)
{
    static hist h_floor, h_call, h_zc, h_uds;
    hist_init(&h_floor);
    hist_init(&h_call);
    hist_init(&h_zc);
    hist_init(&h_uds);
    int reps = g_opts.reps;
    double q_floor[R_MAX], q_uds[R_MAX];
    for (int r = 0; r < reps; r++) {
        q_floor[r] = q_uds[r] = NAN;
        for (int t = 0; t < attempts() && (unusable(q_floor[r]) || unusable(q_uds[r])); t++) {
            progress("rpc: repetition %d/%d (floor, rpc call 64 B, rpc zero-copy 64 B, "
                     "socketpair 64 B)%s", r + 1, reps, t ? ", again" : "");
            lat_result lf, lc, lz, lu;
            int a = ref_pingpong(&lf, &h_floor);
            int b = rpc_latency(RPC_CALL, 64, &lc, &h_call);
            rpc_latency(RPC_ZERO_COPY, 64, &lz, &h_zc);
            int d = base_pingpong(BASE_SOCKETPAIR, 64, &lu, &h_uds);
            /* both sides one-way (round trip / 2): the same ratio of round trips */
            q_floor[r] = !a && !b ? lc.p50 / lf.p50 : NAN;
            q_uds[r] = !b && !d ? lu.p50 / lc.p50 : NAN;
        }
    }
    res_ratio("rpc_rtt_over_floor", q_floor, reps);
    res_ratio("uds_rpc_rtt_over_rpc", q_uds, reps);
    static const struct {
        const char *name, *key;
        uint32_t size;
        hist *h;
    } rows[] = {{"floor (rpc rounds)", "floor_rtt_ns (rpc rounds)", 8, &h_floor},
                {"rpc call", "rpc_call_64_rtt_ns", 64, &h_call},
                {"rpc zero-copy", "rpc_zero_copy_64_rtt_ns", 64, &h_zc},
                {"socketpair (rpc rounds)", "socketpair_64_rtt_ns", 64, &h_uds}};
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        lat_result l;
        lat_from_hist(&l, rows[i].name, rows[i].size, rows[i].h, 1);
        l.place = placement_of(2);
        res_latency(&l);
        char key[64];
        snprintf(key, sizeof(key), "%s p50", rows[i].key);
        res_value(key, 2 * l.p50);
        snprintf(key, sizeof(key), "%s mean", rows[i].key);
        res_value(key, 2 * l.mean);
    }
    if (!g_opts.quick) {
        /* diagnostics: the cell exchange without the library, then with the
         * pending bitmap, then with the CASes too; taking turns with the
         * floor and rpc call in each round, as the machine drifts */
        static const struct {
            const char *name;
            uint32_t flags;
        } mini[] = {{"rpc cell (diagnostic)", 0},
                    {"rpc cell+bits (diagnostic)", RPC_MINI_BITMAP},
                    {"rpc cell+bits+CAS (diagnostic)", RPC_MINI_BITMAP | RPC_MINI_CAS}};
        enum { NM = sizeof(mini) / sizeof(mini[0]) };
        static hist hm[NM + 2];
        for (size_t i = 0; i < NM + 2; i++)
            hist_init(&hm[i]);
        for (int k = 0; k < g_opts.row_runs; k++) {
            progress("rpc: diagnostics 64 B (%d/%d)", k + 1, g_opts.row_runs);
            lat_result l;
            ref_pingpong(&l, &hm[NM]);
            for (size_t i = 0; i < NM; i++)
                rpc_mini_latency(64, mini[i].flags, &l, &hm[i]);
            rpc_latency(RPC_CALL, 64, &l, &hm[NM + 1]);
        }
        static const size_t order[NM + 2] = {NM, 0, 1, 2, NM + 1}; /* floor first */
        for (size_t j = 0; j < NM + 2; j++) {
            size_t i = order[j];
            lat_result l;
            lat_from_hist(&l, i < NM ? mini[i].name
                              : i == NM ? "floor (rpc diagnostic round)"
                                        : "rpc call (diagnostic round)",
                          i == NM ? 8 : 64, &hm[i], 1);
            l.place = placement_of(2);
            res_latency(&l);
        }
    }
}

/* ---- bindings --------------------------------------------------------------------------- */

static void bindings(void)
{
    static const char *const langs[] = {"go", "java", "rust", "cxx", "python"};
    static const uint32_t batches[] = {1, 32};
    enum { NL = 5, NB = 2 };
    char why[256];
    if (!lang_available("c", why, sizeof(why))) {
        warnx_("bindings skipped: %s", why);
        return;
    }
    int have[NL];
    for (int l = 0; l < NL; l++)
        if (!(have[l] = lang_available(langs[l], why, sizeof(why))))
            warnx_("skipped: %s", why);
    int reps = g_opts.reps;
    double c[NB][R_MAX], cw[NB][R_MAX], v[NB][NL][R_MAX], w[NB][NL][R_MAX], q[NB][NL][R_MAX];
    for (int r = 0; r < reps; r++)
        for (int b = 0; b < NB; b++) {
            progress("bindings: repetition %d/%d, batch %u (c, go, java, rust, cxx, python)", r + 1, reps,
                     batches[b]);
            if (lang_run("c", 64, batches[b], &c[b][r], &cw[b][r]) != 0)
                c[b][r] = cw[b][r] = NAN;
            for (int l = 0; l < NL; l++) {
                v[b][l][r] = w[b][l][r] = q[b][l][r] = NAN;
                if (have[l] && lang_run(langs[l], 64, batches[b], &v[b][l][r], &w[b][l][r]) == 0)
                    q[b][l][r] = v[b][l][r] / c[b][r];
            }
        }
    for (int b = 0; b < NB; b++) {
        double mc = median(c[b], reps);
        res_lang("c", batches[b], mc, median(cw[b], reps), mc, 1.0);
        for (int l = 0; l < NL; l++) {
            double tmp[R_MAX];
            memcpy(tmp, q[b][l], sizeof(double) * (size_t)reps);
            double ratio = median(tmp, reps);
            res_lang(langs[l], batches[b], median(v[b][l], reps), median(w[b][l], reps), mc,
                     ratio);
            if (batches[b] == 32) {
                char key[64];
                snprintf(key, sizeof(key), "%s_b32_over_c", langs[l]);
                res_ratio(key, q[b][l], reps);
            }
            if (batches[b] == 1 && strcmp(langs[l], "python") == 0)
                res_ratio("python_b1", v[b][l], reps); /* msgs/s of CPU time, not a ratio */
        }
    }
}

/* ---- main ---------------------------------------------------------------------------------- */

static void usage(void)
{
    fprintf(stderr,
            "usage: indexbus-bench [--quick] [--out FILE] [--reps N] [--only SECTIONS]\n"
            "                      [--lang-c PROG] [--go PROG] [--rust PROG] [--cxx PROG]\n"
            "                      [--python PY --python-bench SCRIPT]\n"
            "                      [--java-jar JAR] [--java CMD] [--no-pin] [-v]\n"
            "                      [--bridge PROG --nats-pub PROG [--nats-server PATH]]\n"
            "                      [--peer-iox2 PROG] [--peer-java-cp FILE]\n"
            "SECTIONS: comma list of latency,throughput,multi,work,log,blocking,baseline,stream,\n"
            "          rpc,bindings,threads,bridge,peers (--quick leaves threads, bridge and\n"
            "          peers out unless named)\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *out = "build/bench/latest.json";
    int reps = 0;
    g_opts.java = "java";
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *next = i + 1 < argc ? argv[i + 1] : NULL;
#define OPT(flag, field)                                                                \
    if (strcmp(a, flag) == 0) {                                                          \
        if (next == NULL)                                                               \
            usage();                                                                    \
        field = next;                                                                   \
        i++;                                                                            \
        continue;                                                                       \
    }
        if (strcmp(a, "--quick") == 0) {
            g_opts.quick = 1;
            continue;
        }
        if (strcmp(a, "--no-pin") == 0) {
            g_opts.no_pin = 1;
            continue;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            g_opts.verbose = 1;
            continue;
        }
        if (strcmp(a, "--reps") == 0 && next != NULL) {
            reps = atoi(next);
            i++;
            continue;
        }
        OPT("--out", out)
        OPT("--only", only)
        OPT("--lang-c", g_opts.lang_c)
        OPT("--go", g_opts.lang_go)
        OPT("--rust", g_opts.lang_rust)
        OPT("--cxx", g_opts.lang_cxx)
        OPT("--python", g_opts.python)
        OPT("--python-bench", g_opts.python_bench)
        OPT("--java-jar", g_opts.java_jar)
        OPT("--java", g_opts.java)
        OPT("--bridge", g_opts.bridge)
        OPT("--nats-pub", g_opts.nats_pub)
        OPT("--nats-server", g_opts.nats_server)
        OPT("--peer-iox2", g_opts.peer_iox2)
        OPT("--peer-java-cp", g_opts.peer_java_cp)
        usage();
#undef OPT
    }
    if (g_opts.quick) {
        g_opts.reps = 1;
        g_opts.row_runs = 1;
        g_opts.warmup_ms = 20;
        g_opts.measure_ms = 60;
        g_opts.wake_gap_us = 300;
        g_opts.idle_ms = 200;
        g_opts.lang_warmup = 20000;
        g_opts.lang_count = 100000;
    } else {
        g_opts.reps = 7;
        g_opts.row_runs = 3;
        g_opts.warmup_ms = 100;
        g_opts.measure_ms = 400;
        g_opts.wake_gap_us = 1000;
        g_opts.idle_ms = 1000;
        g_opts.lang_warmup = 500000;
        g_opts.lang_count = 3000000;
    }
    if (reps > 0)
        g_opts.reps = reps < R_MAX ? reps : R_MAX;
    setvbuf(stdout, NULL, _IOLBF, 0);
    t_begin = (double)now_ns() / 1e9;
    res_machine_start();
    if (placement_of(2) == PLACE_NONE)
        warnx_("fewer than 2 CPUs allowed: nothing is pinned and spinners yield");
    if (wanted("latency"))
        latency();
    if (wanted("throughput"))
        throughput();
    if (wanted("multi"))
        multiparty();
    if (wanted("work"))
        work_section();
    if (wanted("log"))
        bytelog();
    if (wanted("blocking"))
        blocking();
    if (wanted("baseline"))
        baselines();
    if (wanted("stream"))
        streams();
    if (wanted("rpc"))
        rpc();
    if (wanted("bindings"))
        bindings();
    if (only != NULL ? wanted("threads") : !g_opts.quick)
        threads_section();
    if (only != NULL ? wanted("bridge") : !g_opts.quick)
        bridge_section();
    if (only != NULL ? wanted("peers") : !g_opts.quick)
        peers_section();
    double secs = elapsed();
    res_write(out, secs);
    res_print_table();
    printf("\nwrote %s in %.1f s\n", out, secs);
    if (g_opts.quick && only == NULL && res_check_keys() != 0) {
        fprintf(stderr, "bench: the quick run left ratio keys without a value\n");
        return 1;
    }
    return 0;
}
