/*
 * bench.h - the IndexBus benchmark harness (make bench / bench-quick).
 *
 * One program, one concern per file:
 *   util.c        clocks, CPU pinning, shared control block, child processes
 *   hist.c        log-linear latency histogram
 *   results.c     the figures collected in a run, the table and the JSON file
 *   reference.c   the floor: cache-line ping-pong and a minimal SPSC ring
 *   latency.c     IndexBus SPSC ping-pong latency
 *   throughput.c  IndexBus SPSC throughput, single and batched
 *   multiparty.c  MPSC producers, fanout broadcast and work-queue consumers
 *   work.c        the library's work per message on each multi-party path, one
 *                 thread making every party's calls in bursts (keys st_*)
 *   multiparty_threads.c  the multi-party ratio rows with threads of one
 *                 process for parties (keys *_threads; not in the quick run)
 *   log.c         byte-log regions: packing (no timing); their latency and
 *                 throughput reuse latency.c and throughput.c
 *   blocking.c    futex wake latency and the idle CPU of a parked consumer
 *   baseline.c    pipe and Unix socketpair ping-pong and stream
 *   stream.c      byte streams (64 KiB writes) against a pipe
 *   rpc.c         request/response round trips (call, zero-copy) and the
 *                 diagnostic cell exchange without the library
 *   langs.c       the binding benches (C, Go, Java, Rust) run as children
 *   bridge.c      indexbus-bridge against local nats-servers (bridge.h,
 *                 nats_srv.c; not in the quick run)
 *   peers.c       iceoryx2 and Aeron IPC beside us (peers.h, peers_ours.c;
 *                 not in the quick run)
 *   main.c        the plan: which runs, how many repetitions, the ratios
 * lang_c.c is a separate program: the C twin of the binding benches;
 * nats_pub.c another (bench-nats-pub, links libnats): the plain cnats
 * JetStream publisher the bridge is measured against.
 *
 * Every C measurement forks its participants (the harness process only
 * orchestrates); they meet in an anonymous shared control block created
 * before the fork, and open IndexBus regions by name after it.
 */
#ifndef IB_BENCH_H
#define IB_BENCH_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <indexbus/indexbus.h>

/* ---- run settings (main.c fills them from the mode) --------------------- */

typedef struct bench_opts {
    int quick;           /* smoke run: short windows, one repetition */
    int reps;            /* alternating repetitions behind each ratio */
    int row_runs;        /* runs behind each other table row (median) */
    uint32_t warmup_ms;  /* per measurement, before the window opens */
    uint32_t measure_ms; /* the measured window */
    uint32_t wake_gap_us; /* blocking test: sender pause, so the receiver parks */
    uint32_t idle_ms;    /* parked-consumer CPU test: how long recv blocks */
    uint64_t lang_warmup; /* binding benches: messages before timing */
    uint64_t lang_count;  /* binding benches: messages timed */
    const char *lang_c;   /* the binding bench programs (NULL: skipped) */
    const char *lang_go;
    const char *lang_rust;
    const char *lang_cxx;
    const char *python;       /* a python with the indexbus package */
    const char *python_bench; /* bindings/python/examples/bench.py */
    const char *java_jar;
    const char *java;     /* the java command */
    const char *bridge;      /* indexbus-bridge (NULL or missing: bridge section skipped) */
    const char *nats_pub;    /* bench-nats-pub (built only with libnats) */
    const char *nats_server; /* NULL: nats-server from PATH, /usr/sbin, /usr/local/bin */
    const char *peer_iox2;   /* bench-iox2 (NULL or missing: the iceoryx2 rows skipped) */
    const char *peer_java_cp; /* a file holding the Aeron peers' classpath (peers.c) */
    int no_pin;           /* --no-pin: never pin (placement none) */
    int threads;          /* run_parties runs the roles as pinned threads of this
                           * process, not forked children (the threads section) */
    int verbose;
} bench_opts;

extern bench_opts g_opts;

/* ---- util.c --------------------------------------------------------------- */

uint64_t now_ns(void); /* CLOCK_MONOTONIC: comparable across processes */
void sleep_ns(uint64_t ns);
void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void check_ib(int st, const char *what); /* die unless INDEXBUS_OK */
/* main.c: a "[  12.3s] ..." progress line on stderr */
void progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CPUs this process may run on (sched_getaffinity), in order. */
int cpu_count(void);
/* Where the roles of a run go (sched_setaffinity; refused: left unpinned):
 *  OWN    as many CPUs as parties: each role on a CPU of its own;
 *  SPLIT  more parties than CPUs: the upstream roles (producers, router)
 *         share the first CPU, the downstream ones (consumers) the second,
 *         so every message still crosses between two CPUs, as in the
 *         pinned two-process runs, and the split does not depend on the
 *         scheduler's mood;
 *  NONE   a single CPU: nothing is pinned. */
enum { PLACE_NONE = 0, PLACE_OWN = 1, PLACE_SPLIT = 2 };
int placement_of(int parties);
const char *placement_name(int place);

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define cpu_relax() ((void)0)
#endif

/* Waiting for a peer in throughput runs: spin briefly, then yield the CPU
 * (the machine may have fewer CPUs than busy processes). Latency runs
 * spin only, unless the run is not pinned. */
#define BACKOFF_SPINS 128u
static inline void backoff(uint32_t *spins)
{
    if (++*spins < BACKOFF_SPINS)
        cpu_relax();
    else
        sched_yield();
}

/* Set in each child: it may share its CPU with another role, so latency
 * spin loops yield instead of burning a CPU the peer needs. */
extern int g_unpinned;
static inline void lat_wait(void)
{
    if (g_unpinned)
        sched_yield();
    else
        cpu_relax();
}

/* The shared control block: phases set by the orchestrator, a ready count
 * set by the children, and a results area the children fill. */
enum { PHASE_SETUP = 0, PHASE_WARMUP = 1, PHASE_MEASURE = 2, PHASE_STOP = 3 };

#define MAX_PARTIES 16

typedef struct party_result {
    uint64_t count_start, count_end; /* messages seen when the window opened / closed */
    uint64_t t_start, t_end;         /* when this party saw the window open / close */
    uint64_t total;                  /* messages over the whole run */
    uint64_t value;                  /* test-specific (e.g. CPU ns) */
    int32_t error;                   /* 0, or what went wrong (IndexBus status or -errno) */
    uint32_t pad;
} party_result;

struct hist; /* hist.c */

typedef struct shared_ctl {
    uint64_t map_len; /* set by ctl_map */
    _Alignas(64) uint32_t phase;
    _Alignas(64) uint32_t ready;
    _Alignas(64) party_result party[MAX_PARTIES];
    _Alignas(64) uint8_t area[]; /* test-specific: histograms, reference lines */
} shared_ctl;

static inline uint32_t phase_of(const shared_ctl *c)
{
    return __atomic_load_n(&c->phase, __ATOMIC_ACQUIRE);
}

/* Map a control block with `extra` bytes of test area (zeroed). */
shared_ctl *ctl_map(size_t extra);
void ctl_unmap(shared_ctl *c);

/* A role body runs in a forked child: fn(ctl, slot, arg); its return is
 * the exit code. */
typedef int (*role_fn)(shared_ctl *ctl, int slot, void *arg);

typedef struct run_spec {
    int parties;
    role_fn fn[MAX_PARTIES];
    void *arg[MAX_PARTIES];
    int pin;                        /* place the roles (placement_of) */
    int downstream[MAX_PARTIES];    /* SPLIT placement: 1 for consumers */
    void (*after_fork)(void *ctx); /* parent, once every role is forked */
    void *ctx;
} run_spec;

/* Fork every role, wait until all are ready, run warmup then the measured
 * window, stop, and reap them. 0 if every child exited 0. */
int run_parties(shared_ctl *ctl, const run_spec *spec, uint32_t warmup_ms, uint32_t measure_ms);
/* run_parties with every role a pinned thread of this process
 * (multiparty_threads.c); run_parties calls it when g_opts.threads is set. */
int run_threads(shared_ctl *ctl, const run_spec *spec, uint32_t warmup_ms, uint32_t measure_ms);
void set_phase(shared_ctl *ctl, uint32_t ph);

/* Called by a role once it is set up; then waits for the warmup phase. */
void role_ready(shared_ctl *ctl);

/* Window bookkeeping a consumer role does each time it sees a message or
 * polls: notes the count and time the first time it sees MEASURE and STOP. */
static inline void window_note(shared_ctl *ctl, party_result *r, uint64_t count, uint32_t *seen)
{
    uint32_t ph = phase_of(ctl);
    if (ph == *seen)
        return;
    if (ph >= PHASE_MEASURE && *seen < PHASE_MEASURE) {
        r->t_start = now_ns();
        r->count_start = count;
    }
    if (ph >= PHASE_STOP && *seen < PHASE_STOP) {
        r->t_end = now_ns();
        r->count_end = count;
    }
    *seen = ph;
}

/* Messages per second a party saw inside the window (0 if unusable). */
double party_rate(const party_result *r);

/* A fresh region name for this run. */
void region_name(char *buf, size_t cap, const char *tag);
/* Create a region (prefaulted) for messages of `size`: events or fanout
 * with the default slot count and slot data = size (at least 64 B); a byte
 * log (INDEXBUS_KIND_LOG) of log_capacity(size) bytes, the default
 * max_record. */
indexbus_region *make_region(const char *name, uint32_t kind, uint32_t size, uint32_t consumers);
/* The same with `slots` slots (events, fanout; 0: the default) and
 * INDEXBUS_CREATE_* flags besides PREFAULT (layout 1.3: INDEXBUS_CREATE_RECYCLE
 * for fanout, INDEXBUS_CREATE_MPSC_BATCH). */
indexbus_region *make_region_flags(const char *name, uint32_t kind, uint32_t size,
                                   uint32_t consumers, uint32_t slots, uint32_t flags);
/* A fanout region's slot count in the bench: LAYOUT.md 5.21's size for
 * recycling without starvation, queue capacity x (1 + queues that receive
 * in turn: 1 in broadcast, every consumer in work-queue mode), rounded up
 * to a power of two; the same in plain regions, so that the plain
 * diagnostics differ from the keys' regions by the flag only. */
uint32_t fanout_slots(int consumers, uint32_t mode);
/* A byte log's ring for records of `size`: the power of two that holds at
 * least LOG_RECORDS of them, as many as the reference ring and an events
 * region's default slot count (1024). */
#define LOG_RECORDS 1024u
uint64_t log_capacity(uint32_t size);
indexbus_region *open_region(const char *name);

/* ---- hist.c --------------------------------------------------------------- */

#define HIST_SUB_BITS 5u
#define HIST_BUCKETS (64u + 40u * (1u << HIST_SUB_BITS))

typedef struct hist {
    uint64_t count;
    uint64_t sum; /* of the values: the mean */
    uint64_t min, max;
    uint64_t bucket[HIST_BUCKETS];
} hist;

void hist_init(hist *h);
void hist_add(hist *h, uint64_t v);
void hist_merge(hist *into, const hist *from);
uint64_t hist_pct(const hist *h, double pct); /* value at percentile pct (0..100) */

/* ---- results.c -------------------------------------------------------------- */

typedef struct lat_result {
    char name[32]; /* floor, spsc, pipe, socketpair, futex_raw, futex_indexbus */
    uint32_t size;
    int place; /* PLACE_* */
    uint64_t samples;
    double p50, p90, p99, p999, max; /* one-way ns */
    double mean;                     /* one-way ns, of the exact values */
} lat_result;

/* Latency from a histogram of round trips (halved) or one-way times. */
void lat_from_hist(lat_result *out, const char *name, uint32_t size, const hist *h, int rtt);

void res_latency(const lat_result *r);
void res_tput(const char *name, uint32_t size, uint32_t batch, int parties, double msgs_per_s,
              double extra_per_s, uint64_t drops, int place);
void res_lang(const char *lang, uint32_t batch, double per_cpu_s, double per_s,
              double c_per_cpu_s, double ratio);
void res_machine_start(void); /* note the load average before the run */
void res_value(const char *key, double v); /* a scalar figure under raw.values */
void res_ratio(const char *key, const double *per_rep, int n); /* median of per-rep ratios */
void res_write(const char *path, double elapsed_s);
void res_print_table(void);
int res_check_keys(void); /* quick mode: every ratio present and finite */
double median(const double *v, int n); /* of the finite values; NAN if none */

/* ---- measurement entry points ---------------------------------------------- */

/* reference.c */
int ref_pingpong(lat_result *out, hist *h);              /* two-line ping-pong */
enum { RING_FENCE = 1, RING_POOL = 2 }; /* diagnostic variants of the ring */
int ref_ring(uint32_t size, uint32_t flags, double *msgs_per_s); /* minimal SPSC ring */
int ring_pingpong(uint32_t size, uint32_t flags, lat_result *out, hist *h); /* diagnostic */
/* latency.c */
int region_latency(uint32_t kind, uint32_t size, lat_result *out, hist *h); /* events or log */
int spsc_latency(uint32_t size, lat_result *out, hist *h);                   /* events */
/* throughput.c */
typedef struct tput_args {
    char name[128];
    uint32_t size;
    uint32_t batch;          /* 1: publish / try_recv; n: publish_batch / recv_batch */
    uint32_t producer_type;  /* INDEXBUS_PRODUCER_SPSC or _MPSC */
    int consumer_index;
    int claim;               /* batch > 1 on a byte log: claim_batch + commit_batch */
} tput_args;
int role_ib_producer(shared_ctl *ctl, int slot, void *arg);
int role_ib_consumer(shared_ctl *ctl, int slot, void *arg);
int spsc_tput(uint32_t size, uint32_t batch, double *msgs_per_s); /* events */
/* one SPSC producer into an events region or a byte log; claim as in tput_args */
int region_tput(uint32_t kind, uint32_t size, uint32_t batch, int claim, double *msgs_per_s);
/* multiparty.c (kind: INDEXBUS_KIND_EVENTS or _LOG). `batch`: publish_batch
 * and recv_batch of that many (1: publish, try_recv); `flags`: the
 * region's INDEXBUS_CREATE_* besides PREFAULT (MPSC: BENCH_MPSC_FLAGS or 0;
 * fanout: BENCH_FANOUT_FLAGS or 0, "plain"). */
int mpsc_tput(uint32_t kind, int producers, uint32_t batch, uint32_t flags, double *msgs_per_s);
int fanout_tput(int consumers, uint32_t mode, uint32_t flags, double *per_consumer,
                double *total, uint64_t *drops);
/* The regions the bench's multi-party keys and rows measure (layout 1.3):
 * fanout recycling (LAYOUT.md 5.21); MPSC batch reservations (5.4.1) with
 * MPSC slot recycling (5.22). */
#define BENCH_FANOUT_FLAGS INDEXBUS_CREATE_RECYCLE
#define BENCH_MPSC_FLAGS (INDEXBUS_CREATE_MPSC_BATCH | INDEXBUS_CREATE_RECYCLE)
/* work.c: the "work" section, one thread doing every party's calls in
 * bursts (publish B, route, receive B): the library's cost per message
 * without the scheduler (keys st_*) */
void work_section(void);
/* multiparty_threads.c: the "threads" section */
void threads_section(void);
/* blocking.c */
enum { WAKE_INDEXBUS = 0, WAKE_RAW = 1, WAKE_RAW_SPIN = 2, WAKE_RAW_SCAN = 3 };
int wake_latency(int mode, uint64_t spin_ns, lat_result *out, hist *h);
int parked_cpu(double *pct);
int recover_cost(double *recover_ns, double *spin_ns);
/* log.c: payload bytes a byte log of LOG_PACK_BYTES holds when filled until
 * FULL with records of 16..1024 B (fixed seed), per ring byte, mean of
 * several fills from different start offsets; the same mix in an events
 * region with 1024-B slots, per byte of slot area. No timing. */
#define LOG_PACK_BYTES 65536u
int log_packing(double *log_ratio, double *events_ratio);
/* baseline.c */
enum { BASE_PIPE = 0, BASE_SOCKETPAIR = 1 };
int base_pingpong(int kind, uint32_t size, lat_result *out, hist *h);
int base_stream(int kind, uint32_t size, double *msgs_per_s);
/* stream.c: warm + bytes through a stream region or a pipe in 64 KiB
 * chunks, the reader timing the bytes after the first `warm`; GB/s */
enum { STREAM_IB = 0, STREAM_PIPE = 1, STREAM_PIPE_1M = 2 };
#define STREAM_CHUNK 65536u
int stream_tput(int kind, uint64_t warm, uint64_t bytes, double *gb_per_s);
/* rpc.c: a client process and an echo server process over a
 * request/response region, 64 B each way; one-way = round trip / 2 */
enum { RPC_CALL = 0, RPC_ZERO_COPY = 1 };
int rpc_latency(int mode, uint32_t size, lat_result *out, hist *h);
/* diagnostic: the cell exchange without the library (rpc.c) */
enum { RPC_MINI_BITMAP = 1, RPC_MINI_CAS = 2 };
int rpc_mini_latency(uint32_t size, uint32_t flags, lat_result *out, hist *h);
/* langs.c */
int lang_run(const char *lang, uint32_t size, uint32_t batch, double *per_cpu_s, double *per_s);
int lang_available(const char *lang, char *why, size_t cap);

#endif /* IB_BENCH_H */
