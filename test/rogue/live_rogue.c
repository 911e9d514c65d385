/*
 * live_rogue.c - the live-rogue test (issue 10; make check-rogue, make
 * fuzz-live). Proves the promise of LAYOUT.md section 7 while the region is
 * being rewritten during the calls: bad region contents give a status,
 * never a crash, a hang or an out-of-bounds write.
 *
 * Each round the driver creates a region (events or fanout, a random
 * geometry), starts traffic processes (producers, consumers, a router, an
 * observer) and a rogue process, each a fresh exec of this binary
 * (/proc/self/exe --helper ROLE ...), all built with ASan + UBSan. The
 * rogue rewrites the region with the round's strategy; now and then the
 * driver SIGKILLs a traffic process, runs indexbus_region_recover (in a
 * helper process, so that a crash there is reported, not fatal to the
 * driver) and starts a replacement. A round passes when every process
 * ends by itself with exit 0 (no signal, no sanitizer report, no broken
 * API promise, nothing running past its deadline plus a margin) and no
 * canary byte (layout padding nobody may write) changed.
 *
 * The driver prints a line per round, histograms of every status the
 * calls returned, and "rogue: N passed, M failed" (rounds). A failing
 * round's logs are kept and its seed, round and strategy are appended to
 * the findings file with the command that re-runs it. See README.md.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "rogue.h"

#define MAXPROCS 48
#define MAXKILLS 3
#define MAXHIST 1024

/* ---- options -------------------------------------------------------------------- */

static struct {
    int long_mode;        /* fuzz-live: random strategies, random round lengths */
    uint64_t seed;
    int seed_given;
    double time_s;        /* total budget for starting rounds */
    uint64_t round_ns;    /* 0: the mode's default */
    long only_round;      /* -1: all */
    int repeat;
    int strategy;         /* -1: by mode */
    int max_rounds;       /* 0: no limit */
    const char *out;
    uint64_t margin_ns;   /* past its deadline a process counts as hung */
    int keep, verbose, no_gdb;
} opt = {.time_s = 25, .only_round = -1, .repeat = 1, .strategy = -1, .out = "rogue-out",
         .margin_ns = 4000000000ull};

static char self_exe[4096];
static uint64_t max_overrun; /* longest a process took past its deadline (not a hang) */
static char run_findings[32768]; /* this run's findings, for the summary */
static volatile sig_atomic_t interrupted;

/* check mode: every 4th round is the issue's scenario (spsc-cells: a race
 * that one 1.2 s round on a busy 2-CPU box hits about half the time), the
 * rounds 2, 6, 10, ... are byte-log rounds (log_order, in turn), the odd
 * rounds take the slot-region strategies in turn */
#define NCHECK 14
static const int check_order[NCHECK] = {
    RG_INDEX_BOUNDS, RG_DURABLE,  RG_RECYCLE,   RG_HUGE_LEN,      RG_QUEUE_WORDS,  RG_MPSC_BATCH,
    RG_REFCOUNTS,    RG_PARTICIPANTS, RG_ROUTER_JOURNAL, RG_POOL, RG_HEADER,       RG_WAKE_COUNTERS,
    RG_RANDOM_BYTES, RG_MIXED,
};
/* rounds 2, 6, 10, ...: byte logs, and every other one a byte stream or a
 * request/response region, in turn (strategy, region kind) */
static const struct {
    int strategy;
    uint32_t kind;
} log_order[12] = {
    {RG_LOG_RING, INDEXBUS_KIND_LOG},     {RG_STREAM_CTL, INDEXBUS_KIND_STREAM},
    {RG_LOG_HEADERS, INDEXBUS_KIND_LOG},  {RG_RPC_CELLS, INDEXBUS_KIND_RPC},
    {RG_LOG_JOURNALS, INDEXBUS_KIND_LOG}, {RG_MIXED, INDEXBUS_KIND_STREAM},
    {RG_MIXED, INDEXBUS_KIND_LOG},        {RG_MIXED, INDEXBUS_KIND_RPC},
    {RG_PARTICIPANTS, INDEXBUS_KIND_LOG}, {RG_LOG_HEADERS, INDEXBUS_KIND_STREAM},
    {RG_RANDOM_BYTES, INDEXBUS_KIND_LOG}, {RG_PARTICIPANTS, INDEXBUS_KIND_RPC},
};

/* ---- statistics ------------------------------------------------------------------ */

typedef struct hist_row {
    char op[64], st[64];
    uint64_t n[RG_NSTRATEGIES];
} hist_row;

static hist_row hist[MAXHIST];
static int nhist;

static struct {
    uint64_t rounds, passed, failed, kills, hangs, procs;
    uint64_t msgs_out, msgs_in, pay_bad, writes;
} strat_tot[RG_NSTRATEGIES];
static uint64_t strat_log[RG_NSTRATEGIES]; /* of those rounds, on a byte log */
static uint64_t strat_s11[RG_NSTRATEGIES], strat_r11[RG_NSTRATEGIES]; /* ... on a stream, on rpc */

static void hist_add(const char *op, const char *st, int strategy, uint64_t n)
{
    for (int i = 0; i < nhist; i++)
        if (strcmp(hist[i].op, op) == 0 && strcmp(hist[i].st, st) == 0) {
            hist[i].n[strategy] += n;
            return;
        }
    if (nhist == MAXHIST)
        return;
    snprintf(hist[nhist].op, sizeof hist[nhist].op, "%s", op);
    snprintf(hist[nhist].st, sizeof hist[nhist].st, "%s", st);
    hist[nhist].n[strategy] = n;
    nhist++;
}

/* ---- processes -------------------------------------------------------------------- */

enum { P_TRAFFIC, P_ROGUE, P_RECOVER };

typedef struct proc {
    pid_t pid;
    int kind; /* P_* */
    char role[24];
    uint32_t arg;
    uint64_t seed, until, hard;
    char log[1024];
    int running;
    int killed;  /* we sent SIGKILL on purpose */
    int hung;    /* overran its deadline: killed as a hang */
    int status;
    int replace; /* P_RECOVER: index of the proc to replace when done, else -1 */
    uint64_t ended; /* when it was reaped */
    char verdict[160];
} proc;

typedef struct round_ctx {
    long round;
    int strategy;
    uint64_t seed;
    rg_rng rng;
    char name[96];  /* region (POSIX shm) */
    char dir[600];  /* logs */
    uint32_t kind, slots, data, queue, consumers; /* byte log, stream: slots = ring bytes, data =
                                                   * max_record; rpc: slots = cells, data =
                                                   * max_request, queue = max_reply */
    int log;        /* a byte-log region (not a stream: R->kind says which 1.1 kind) */
    int durable;    /* INDEXBUS_CREATE_DURABLE (strategy durable, 1.2) */
    uint32_t flags13; /* 1.3: INDEXBUS_CREATE_RECYCLE, INDEXBUS_CREATE_MPSC_BATCH */
    uint64_t t0, deadline, round_ns, rogue_at;
    uint64_t kill_at[MAXKILLS];
    int nkills, kills_done;
    proc p[MAXPROCS];
    int np;
    int nlogs;
    /* round statistics */
    uint64_t st_count[INDEXBUS_STATUS_COUNT + 1];
    uint64_t msgs_out, msgs_in, pay_bad, writes;
    char killed_roles[128];
    int failed;
    char canary_msg[600]; /* out-of-bounds writes the canaries caught */
} round_ctx;

static void set_env(void)
{
    setenv("ASAN_OPTIONS",
           "halt_on_error=1:abort_on_error=0:exitcode=86:detect_leaks=0:disable_coredump=1:"
           "handle_abort=1:print_summary=1:symbolize=1",
           1);
    setenv("UBSAN_OPTIONS", "halt_on_error=1:abort_on_error=0:exitcode=87:print_stacktrace=1", 1);
}

static int spawn(round_ctx *R, int kind, const char *role, uint32_t arg, uint64_t seed,
                 uint64_t until)
{
    if (R->np == MAXPROCS)
        return -1;
    proc *p = &R->p[R->np];
    memset(p, 0, sizeof *p);
    p->kind = kind;
    snprintf(p->role, sizeof p->role, "%s", role);
    p->arg = arg;
    p->seed = seed;
    p->until = until;
    p->hard = until + opt.margin_ns;
    p->replace = -1;
    snprintf(p->log, sizeof p->log, "%s/%02d-%s.log", R->dir, R->nlogs++, role);
    char a_until[32], a_seed[32], a_arg[16], a_kind[16], a_slots[16], a_data[16], a_queue[16],
        a_cons[16];
    snprintf(a_until, sizeof a_until, "%" PRIu64, until);
    snprintf(a_seed, sizeof a_seed, "%" PRIu64, seed);
    snprintf(a_arg, sizeof a_arg, "%u", arg);
    snprintf(a_kind, sizeof a_kind, "%u", R->kind);
    snprintf(a_slots, sizeof a_slots, "%u", R->slots);
    snprintf(a_data, sizeof a_data, "%u", R->data);
    snprintf(a_queue, sizeof a_queue, "%u", R->queue);
    snprintf(a_cons, sizeof a_cons, "%u", R->consumers);
    char *argv[] = {self_exe, "--helper", (char *)role, R->name, a_until, a_seed, a_arg, a_kind,
                    a_slots, a_data, a_queue, a_cons, NULL};
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    p->pid = pid;
    p->running = 1;
    R->np++;
    return R->np - 1;
}

/* All threads' stacks of a hung process, into its log (gdb, if there is one). */
static void dump_stacks(proc *p)
{
    if (opt.no_gdb || access("/usr/bin/gdb", X_OK) != 0)
        return;
    char cmd[1400];
    snprintf(cmd, sizeof cmd,
             "timeout 20 gdb -p %d -batch -nx -ex 'set pagination off' -ex 'thread apply all bt' "
             ">>'%s' 2>&1 </dev/null",
             (int)p->pid, p->log);
    FILE *f = fopen(p->log, "a");
    if (f) {
        fprintf(f, "\n==== live_rogue: hang: all-thread stacks (gdb) ====\n");
        fclose(f);
    }
    if (system(cmd) != 0) {
        /* no stacks: nothing more to do */
    }
}

static const char *sanitizer_markers[] = {
    "ERROR: AddressSanitizer", "runtime error:", "ERROR: LeakSanitizer",
    "SUMMARY: UndefinedBehaviorSanitizer", "CONTRACT VIOLATION", "rogue: internal error",
    NULL,
};

/* Read a finished process's log: add its histograms, find reports. */
static int scan_log(round_ctx *R, proc *p)
{
    FILE *f = fopen(p->log, "r");
    if (f == NULL)
        return 0;
    char line[1024];
    int report = 0;
    while (fgets(line, sizeof line, f)) {
        for (int i = 0; sanitizer_markers[i]; i++)
            if (strstr(line, sanitizer_markers[i]))
                report = 1;
        char op[64], st[64];
        unsigned long long n, a, b, c, d;
        if (sscanf(line, "@@h %63s %63s %llu", op, st, &n) == 3) {
            hist_add(op, st, R->strategy, n);
            int s = INDEXBUS_STATUS_COUNT;
            for (int k = 0; k < INDEXBUS_STATUS_COUNT; k++)
                if (strcmp(indexbus_status_name(k), st) == 0)
                    s = k;
            R->st_count[s] += n;
        } else if (sscanf(line, "@@t role=%63s msgs_out=%llu msgs_in=%llu payload_ok=%llu payload_bad=%llu",
                          op, &a, &b, &c, &d) == 5) {
            R->msgs_out += a;
            if (strcmp(op, "router") != 0) /* a router's "in" is a message routed */
                R->msgs_in += b;
            R->pay_bad += d;
        } else if (strncmp(line, "@@rogue ", 8) == 0) {
            char *w = strstr(line, "writes=");
            if (w)
                R->writes += strtoull(w + 7, NULL, 10);
        }
    }
    fclose(f);
    return report;
}

static void judge(round_ctx *R, proc *p)
{
    int st = p->status;
    int report = scan_log(R, p);
    p->verdict[0] = '\0';
    if (p->hung)
        snprintf(p->verdict, sizeof p->verdict, "HANG: still running %.1f s past its deadline",
                 opt.margin_ns / 1e9);
    else if (WIFSIGNALED(st) && !(WTERMSIG(st) == SIGKILL && p->killed))
        snprintf(p->verdict, sizeof p->verdict, "killed by signal %d (%s)", WTERMSIG(st),
                 strsignal(WTERMSIG(st)));
    else if (WIFEXITED(st) && WEXITSTATUS(st) == RG_EXIT_CONTRACT)
        snprintf(p->verdict, sizeof p->verdict, "broke an API promise (exit %d)", WEXITSTATUS(st));
    else if (WIFEXITED(st) && WEXITSTATUS(st) == RG_EXIT_SETUP)
        snprintf(p->verdict, sizeof p->verdict, "test setup error (exit %d)", WEXITSTATUS(st));
    else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
        snprintf(p->verdict, sizeof p->verdict, "exit status %d%s", WEXITSTATUS(st),
                 WEXITSTATUS(st) == 86 || WEXITSTATUS(st) == 87 ? " (sanitizer)" : "");
    else if (report)
        snprintf(p->verdict, sizeof p->verdict, "sanitizer or contract report in its log");
    if (p->verdict[0])
        R->failed = 1;
}

static void kill_and_mark(proc *p)
{
    if (p->running)
        kill(p->pid, SIGKILL);
}

/* ---- a round ------------------------------------------------------------------------ */

static uint64_t round_seed(uint64_t seed, long round)
{
    return rg_mix(seed * 0x100000001b3ull ^ rg_mix((uint64_t)round + 1));
}

static int pick_strategy(long round)
{
    if (opt.strategy >= 0)
        return opt.strategy;
    if (!opt.long_mode)
        return round % 4 == 0   ? RG_SPSC_CELLS
               : round % 4 == 2 ? log_order[(round / 4) % 12].strategy
                                : check_order[((round - 1) / 2) % NCHECK];
    rg_rng r;
    rg_seed(&r, round_seed(opt.seed, round) ^ 0x5eed5eedull);
    return (int)rg_below(&r, RG_NSTRATEGIES);
}

/* The round's region kind, for the 1.1 kinds and byte logs (0: events or
 * fanout, plan decides). stream-ctl and rpc-cells their kind; the log
 * strategies a byte log, or one round in three a byte stream (it has the
 * same ring); in check mode rounds 2, 6, 10, ... as log_order says;
 * otherwise a strategy that fits any region: a byte log one round in
 * four, a stream one in eight, request/response one in eight. */
static uint32_t pick_kind11(long round, int strategy, rg_rng *g)
{
    if (strategy == RG_STREAM_CTL)
        return INDEXBUS_KIND_STREAM;
    if (strategy == RG_RPC_CELLS)
        return INDEXBUS_KIND_RPC;
    if (!opt.long_mode && opt.strategy < 0 && round % 4 == 2)
        return log_order[(round / 4) % 12].kind;
    if (rg_log_only(strategy))
        return rg_chance(g, 1, 3) ? INDEXBUS_KIND_STREAM : INDEXBUS_KIND_LOG;
    if (!rg_any_kind(strategy) || (!opt.long_mode && opt.strategy < 0))
        return 0;
    uint64_t x = rg_below(g, 8);
    return x < 2 ? INDEXBUS_KIND_LOG : x == 2 ? INDEXBUS_KIND_STREAM : x == 3 ? INDEXBUS_KIND_RPC : 0;
}

/* 1.3 (strategies recycle and mpsc-batch): a recycling fanout region
 * (slots >= 2 * queue, as the creator wants), now and then with MPSC batch
 * reservation too; or an events or fanout region with MPSC batches, an
 * events one half the time with MPSC recycling (bit 39) */
static void plan13(round_ctx *R)
{
    rg_rng *g = &R->rng;
    static const uint32_t datas[3] = {64, 256, 1024};
    static const uint32_t queues[4] = {8, 16, 64, 256};
    int recycle = R->strategy == RG_RECYCLE || rg_chance(g, 1, 3);
    R->kind = recycle || rg_chance(g, 1, 2) ? INDEXBUS_KIND_FANOUT : INDEXBUS_KIND_EVENTS;
    if (R->kind == INDEXBUS_KIND_EVENTS && rg_chance(g, 1, 2))
        recycle = 1; /* events: MPSC slot recycling, bit 39 (5.22) */
    R->data = datas[rg_below(g, 3)];
    R->queue = queues[rg_below(g, 4)];
    R->slots = R->queue * (2u << rg_below(g, 3)); /* 2, 4 or 8 queues: with and without starving */
    R->consumers = R->kind == INDEXBUS_KIND_FANOUT ? 1 + (uint32_t)rg_below(g, 4) : 1;
    R->flags13 = (recycle ? INDEXBUS_CREATE_RECYCLE : 0) |
                 (R->strategy == RG_MPSC_BATCH || rg_chance(g, 1, 3) ? INDEXBUS_CREATE_MPSC_BATCH : 0);
}

static void plan(round_ctx *R)
{
    rg_rng *g = &R->rng;
    int s = R->strategy;
    uint32_t k11 = pick_kind11(R->round, s, g);
    /* durable (1.2): an events, fanout or byte-log region with durable state */
    if ((R->durable = s == RG_DURABLE)) {
        uint64_t x = rg_below(g, 3);
        k11 = x == 2 ? INDEXBUS_KIND_LOG : 0;
        if (x < 2) {
            R->kind = x ? INDEXBUS_KIND_FANOUT : INDEXBUS_KIND_EVENTS;
            static const uint32_t datas[3] = {64, 256, 1024};
            static const uint32_t slots[3] = {64, 256, 1024};
            static const uint32_t queues[4] = {8, 16, 64, 256};
            R->data = datas[rg_below(g, 3)];
            R->slots = slots[rg_below(g, 3)];
            R->queue = queues[rg_below(g, 4)];
            R->consumers = x ? 1 + (uint32_t)rg_below(g, 4) : 1;
            return;
        }
    }
    if (k11 == INDEXBUS_KIND_RPC) {
        /* 1 .. 130 cells (pending words 1..3); requests and replies of 8 B .. 4 KiB */
        static const uint32_t cells[5] = {1, 4, 16, 64, 130};
        static const uint32_t sizes[4] = {8, 64, 256, 4096};
        uint64_t x = rg_next(g) >> 32;
        R->kind = INDEXBUS_KIND_RPC;
        R->slots = cells[x % 5];
        R->data = sizes[(x >> 3) % 4];
        R->queue = sizes[(x >> 5) % 4];
        R->consumers = 1;
        return;
    }
    if ((R->log = k11 == INDEXBUS_KIND_LOG || k11 == INDEXBUS_KIND_STREAM)) {
        /* ring 4 KiB .. 1 MiB; max_record the default, or small */
        static const uint32_t rings[4] = {4096, 16384, 65536, 1u << 20};
        R->kind = k11;
        uint64_t x = rg_next(g) >> 32; /* the high bits: the first draw's low ones repeat */
        R->slots = rings[x % 4];
        R->data = (x >> 2) % 2 ? (R->slots / 2 - 8 < 65536 ? R->slots / 2 - 8 : 65536)
                               : 64 + 8 * (uint32_t)((x >> 3) % 64);
        R->queue = 0;
        R->consumers = 1;
        return;
    }
    if (s == RG_RECYCLE || s == RG_MPSC_BATCH) {
        plan13(R);
        return;
    }
    if (s == RG_SPSC_CELLS) {
        R->kind = INDEXBUS_KIND_EVENTS;
        R->data = 1024;
        /* a big pool: every slot the consumer skips as CORRUPT leaks, and
         * the producer only reaches flush while slots last (about 15000
         * messages here rather than 2000) */
        R->slots = 16384;
        R->queue = 1024;
        R->consumers = 1;
        return;
    }
    R->kind = s == RG_ROUTER_JOURNAL || rg_chance(g, 1, 2) ? INDEXBUS_KIND_FANOUT : INDEXBUS_KIND_EVENTS;
    static const uint32_t datas[5] = {64, 256, 1024, 1024, 2048};
    static const uint32_t slots[4] = {64, 256, 1024, 2048};
    static const uint32_t queues[5] = {8, 16, 64, 256, 1024};
    R->data = datas[rg_below(g, 5)];
    R->slots = slots[rg_below(g, 4)];
    R->queue = queues[rg_below(g, 5)];
    while ((uint64_t)R->slots * (R->data + 64) > (4u << 20) && R->slots > 64)
        R->slots /= 2;
    R->consumers = R->kind == INDEXBUS_KIND_FANOUT ? 1 + (uint32_t)rg_below(g, 4) : 1;
}

static int create_region(round_ctx *R, uint8_t **map, uint64_t *map_size, rg_geo *geo)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    indexbus_region_config_init(&cfg, R->kind);
    if (R->durable)
        cfg.flags |= INDEXBUS_CREATE_DURABLE;
    cfg.flags |= R->flags13;
    if (R->log) {
        cfg.byte_capacity = R->slots;
        cfg.max_record = R->data;
    } else if (R->kind == INDEXBUS_KIND_RPC) {
        cfg.slot_count = R->slots;
        cfg.slot_data_size = R->data;
        cfg.max_record = R->queue;
    } else {
        cfg.slot_count = R->slots;
        cfg.slot_data_size = R->data;
        cfg.queue_capacity = R->queue;
        cfg.consumer_count = R->consumers;
    }
    indexbus_region_unlink(R->name);
    int st = indexbus_region_create(R->name, &cfg, &r);
    if (st != INDEXBUS_OK) {
        printf("  create %s: %s\n", R->name, indexbus_status_name(st));
        return -1;
    }
    indexbus_region_close(r);
    char err[160];
    if (rg_map(R->name, 0, map, map_size) != 0 || rg_geo_read(*map, *map_size, geo, err, sizeof err) != 0) {
        printf("  cannot read back the fresh region %s\n", R->name);
        return -1;
    }
    return 0;
}

/* Canaries: every byte no participant may write must still be zero. */
static int check_canaries(round_ctx *R, const uint8_t *map, const rg_geo *geo)
{
    uint8_t *cm = rg_canary_map(geo);
    if (cm == NULL)
        return 0;
    int bad = 0;
    for (uint64_t o = 0; o < geo->total; o++) {
        if (!rg_is_canary(cm, o) || map[o] == 0)
            continue;
        if (bad < 4) {
            char where[160];
            size_t l = strlen(R->canary_msg);
            rg_describe(geo, o, where, sizeof where);
            snprintf(R->canary_msg + l, sizeof R->canary_msg - l, "%sbyte %#llx (%s) = %#x",
                     l ? "; " : "", (unsigned long long)o, where, map[o]);
        }
        bad++;
        o |= 7; /* one report per word */
    }
    free(cm);
    if (bad)
        R->failed = 1;
    return bad;
}

static int traffic_running(round_ctx *R)
{
    for (int i = 0; i < R->np; i++)
        if (R->p[i].running && R->p[i].kind == P_TRAFFIC)
            return 1;
    return 0;
}

static void start_traffic(round_ctx *R)
{
    rg_rng *g = &R->rng;
    uint64_t until = R->deadline;
    if (R->strategy == RG_SPSC_CELLS) {
        spawn(R, P_TRAFFIC, "cons-scenario", 0, rg_next(g), until);
        spawn(R, P_TRAFFIC, "prod-scenario", 1, rg_next(g), until);
        return;
    }
    if (R->kind == INDEXBUS_KIND_STREAM) {
        /* two readers handing the read end over, 2-3 writers */
        spawn(R, P_TRAFFIC, "sreader", 0, rg_next(g), until);
        spawn(R, P_TRAFFIC, "sreader", 1, rg_next(g), until);
        for (uint32_t i = 0, n = 2 + (uint32_t)rg_below(g, 2); i < n; i++)
            spawn(R, P_TRAFFIC, "swriter", 2 + i, rg_next(g), until);
        if (rg_chance(g, 1, 2))
            spawn(R, P_TRAFFIC, "observer", 0, rg_next(g), until);
        return;
    }
    if (R->kind == INDEXBUS_KIND_RPC) {
        /* 1-2 servers (a work queue), 2-3 clients */
        for (uint32_t i = 0, n = 1 + (uint32_t)rg_below(g, 2); i < n; i++)
            spawn(R, P_TRAFFIC, "rserver", i, rg_next(g), until);
        for (uint32_t i = 0, n = 2 + (uint32_t)rg_below(g, 2); i < n; i++)
            spawn(R, P_TRAFFIC, "rclient", 2 + i, rg_next(g), until);
        if (rg_chance(g, 1, 2))
            spawn(R, P_TRAFFIC, "observer", 0, rg_next(g), until);
        return;
    }
    if (R->log) {
        /* one consumer; SPSC producer, 2-3 MPSC producers, or both kinds
         * (they exclude each other: the later ones retry their open) */
        spawn(R, P_TRAFFIC, "cons", 0, rg_next(g), until);
        uint32_t mix = R->durable ? 0 : (uint32_t)rg_below(g, 3); /* durable: the marked SPSC one */
        if (mix != 1)
            spawn(R, P_TRAFFIC, "prod-spsc", 1, rg_next(g), until);
        for (uint32_t i = 0, n = mix == 0 ? 0 : 2 + (uint32_t)rg_below(g, 2); i < n; i++)
            spawn(R, P_TRAFFIC, "prod-mpsc", 2 + i, rg_next(g), until);
        if (rg_chance(g, 1, 2))
            spawn(R, P_TRAFFIC, "observer", 0, rg_next(g), until);
        return;
    }
    if (R->kind == INDEXBUS_KIND_EVENTS) {
        spawn(R, P_TRAFFIC, "cons", 0, rg_next(g), until);
    } else {
        int any = 0;
        for (uint32_t i = 0; i < R->consumers; i++)
            if (rg_chance(g, 4, 5) || (i + 1 == R->consumers && !any)) {
                spawn(R, P_TRAFFIC, "cons", i, rg_next(g), until);
                any = 1;
            }
        spawn(R, P_TRAFFIC, "router", 0, rg_next(g), until);
    }
    if (R->kind == INDEXBUS_KIND_EVENTS || R->durable || (R->flags13 & INDEXBUS_CREATE_RECYCLE) ||
        rg_chance(g, 4, 5)) /* recycling: the SPSC producer the slots come back to */
        spawn(R, P_TRAFFIC, "prod-spsc", 1, rg_next(g), until);
    for (uint32_t i = 0, n = 1 + (uint32_t)rg_below(g, 2); i < n; i++)
        spawn(R, P_TRAFFIC, "prod-mpsc", 2 + i, rg_next(g), until);
    if (rg_chance(g, 1, 2))
        spawn(R, P_TRAFFIC, "observer", 0, rg_next(g), until);
}

/* SIGKILL one running traffic process; recovery and a replacement follow
 * once it is reaped (see reaped()). */
static void do_kill(round_ctx *R)
{
    int cand[MAXPROCS], n = 0, router = -1;
    for (int i = 0; i < R->np; i++)
        if (R->p[i].running && R->p[i].kind == P_TRAFFIC && !R->p[i].killed &&
            strcmp(R->p[i].role, "observer") != 0) {
            cand[n++] = i;
            if (strcmp(R->p[i].role, "router") == 0)
                router = i;
        }
    if (n == 0)
        return;
    int v = cand[rg_below(&R->rng, (uint64_t)n)];
    if (router >= 0 && R->strategy == RG_ROUTER_JOURNAL && rg_chance(&R->rng, 7, 10))
        v = router;
    R->p[v].killed = 1;
    kill(R->p[v].pid, SIGKILL);
    size_t l = strlen(R->killed_roles);
    snprintf(R->killed_roles + l, sizeof R->killed_roles - l, "%s%s", l ? "," : "", R->p[v].role);
    strat_tot[R->strategy].kills++;
}

static void replace(round_ctx *R, int victim)
{
    if (R->deadline < rg_now_ns() + 150000000ull)
        return; /* too little time left to be worth it */
    proc *p = &R->p[victim];
    spawn(R, P_TRAFFIC, p->role, p->arg, rg_next(&R->rng), R->deadline);
}

static void reaped(round_ctx *R, int i)
{
    proc *p = &R->p[i];
    if (p->kind == P_TRAFFIC && p->killed && WIFSIGNALED(p->status) && WTERMSIG(p->status) == SIGKILL &&
        !p->hung) {
        /* 3 in 4: the driver recovers (in a helper) before the replacement
         * starts; else the replacement's attach and the survivors heal it */
        if (rg_chance(&R->rng, 3, 4)) {
            /* it retries opening (the header may be under attack) until the
             * round's deadline, or for 300 ms if that is sooner */
            uint64_t until = rg_now_ns() + 300000000ull;
            int k = spawn(R, P_RECOVER, "recover", rg_chance(&R->rng, 1, 10), rg_next(&R->rng),
                          until > R->deadline ? until : R->deadline);
            if (k >= 0)
                R->p[k].replace = i;
        } else {
            replace(R, i);
        }
    } else if (p->kind == P_RECOVER && p->replace >= 0) {
        replace(R, p->replace);
    }
}

static void print_excerpt(const proc *p)
{
    FILE *f = fopen(p->log, "r");
    if (f == NULL)
        return;
    char line[1024];
    int printed = 0, in_report = 0;
    while (fgets(line, sizeof line, f) && printed < 80) {
        if (!in_report)
            for (int i = 0; sanitizer_markers[i]; i++)
                if (strstr(line, sanitizer_markers[i]) || strstr(line, "live_rogue: hang"))
                    in_report = 1;
        if (in_report && strncmp(line, "@@", 2) != 0) {
            printf("      | %s", line);
            printed++;
        }
    }
    if (!printed) { /* no report: the last lines */
        rewind(f);
        long n = 0;
        while (fgets(line, sizeof line, f))
            n++;
        rewind(f);
        for (long k = 0; fgets(line, sizeof line, f); k++)
            if (k >= n - 15)
                printf("      | %s", line);
    }
    fclose(f);
}

static void repro_cmd(const round_ctx *R, char *buf, size_t len)
{
    snprintf(buf, len, "%s --seed %" PRIu64 " --round %ld --strategy %s --round-ms %llu%s --out %s",
             self_exe, opt.seed, R->round, rg_strategies[R->strategy].name,
             (unsigned long long)(R->round_ns / 1000000), opt.long_mode ? " --long" : "", opt.out);
}

static void rm_rf(const char *dir)
{
    char cmd[800];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) {
        /* leave it */
    }
}

static int run_round(long round, int attempt)
{
    static round_ctx R;
    memset(&R, 0, sizeof R);
    R.round = round;
    R.strategy = pick_strategy(round);
    R.seed = round_seed(opt.seed, round);
    rg_seed(&R.rng, R.seed ^ (uint64_t)R.strategy * 0x9e3779b97f4a7c15ull);
    plan(&R);
    if (opt.round_ns)
        R.round_ns = opt.round_ns;
    else if (opt.long_mode)
        R.round_ns = 800000000ull + rg_below(&R.rng, 2500000000ull);
    else
        R.round_ns = 1200000000ull;
    snprintf(R.name, sizeof R.name, "/ibrogue-%d-%ld-%d", (int)getpid(), round, attempt);
    snprintf(R.dir, sizeof R.dir, "%s/rounds/r%04ld-%s", opt.out, round, rg_strategies[R.strategy].name);
    if (attempt) /* --repeat: one log dir per run */
        snprintf(R.dir + strlen(R.dir), sizeof R.dir - strlen(R.dir), "-%d", attempt);
    rm_rf(R.dir);
    char cmd[800];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", R.dir);
    if (system(cmd) != 0) {
        printf("cannot create %s\n", R.dir);
        return -1;
    }

    uint8_t *map = NULL;
    uint64_t map_size = 0;
    rg_geo geo;
    if (create_region(&R, &map, &map_size, &geo) != 0)
        return -1;

    R.t0 = rg_now_ns();
    R.deadline = R.t0 + R.round_ns;
    R.rogue_at = R.t0 + rg_below(&R.rng, 100000000ull);
    if (R.strategy != RG_SPSC_CELLS) {
        static const int nk[5] = {0, 1, 1, 1, 2};
        R.nkills = nk[rg_below(&R.rng, 5)];
        if (R.strategy == RG_ROUTER_JOURNAL && R.nkills == 0)
            R.nkills = 1;
        for (int k = 0; k < R.nkills; k++)
            R.kill_at[k] = R.t0 + R.round_ns / 7 + rg_below(&R.rng, R.round_ns * 4 / 7);
        if (R.nkills == 2 && R.kill_at[1] < R.kill_at[0]) {
            uint64_t t = R.kill_at[0];
            R.kill_at[0] = R.kill_at[1];
            R.kill_at[1] = t;
        }
    }
    start_traffic(&R);
    int rogue_started = 0;

    for (;;) {
        uint64_t now = rg_now_ns();
        if (!rogue_started && now >= R.rogue_at) {
            spawn(&R, P_ROGUE, "rogue", (uint32_t)R.strategy, rg_next(&R.rng), R.deadline + 100000000ull);
            rogue_started = 1;
        }
        while (R.kills_done < R.nkills && now >= R.kill_at[R.kills_done]) {
            do_kill(&R);
            R.kills_done++;
        }
        int status;
        pid_t pid;
        while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
            for (int i = 0; i < R.np; i++)
                if (R.p[i].pid == pid && R.p[i].running) {
                    R.p[i].running = 0;
                    R.p[i].ended = rg_now_ns();
                    R.p[i].status = status;
                    reaped(&R, i);
                }
        }
        int running = 0;
        for (int i = 0; i < R.np; i++) {
            proc *p = &R.p[i];
            if (!p->running)
                continue;
            running++;
            if (now > p->hard && !p->hung) {
                p->hung = 1;
                dump_stacks(p);
                kill_and_mark(p);
            }
            if (interrupted)
                kill_and_mark(p);
        }
        if (!running && rogue_started && R.kills_done == R.nkills)
            break;
        if (!running && interrupted)
            break;
        /* the rogue outliving the traffic is pointless: end it with the traffic */
        if (!traffic_running(&R) && now > R.deadline + 2 * opt.margin_ns)
            for (int i = 0; i < R.np; i++)
                if (R.p[i].running && R.p[i].kind == P_ROGUE && !R.p[i].hung) {
                    R.p[i].hung = 1;
                    kill_and_mark(&R.p[i]);
                }
        rg_sleep_ns(2000000);
    }
    uint64_t took = rg_now_ns() - R.t0;

    for (int i = 0; i < R.np; i++)
        judge(&R, &R.p[i]);
    check_canaries(&R, map, &geo);
    munmap(map, map_size);
    indexbus_region_unlink(R.name);

    strat_tot[R.strategy].rounds++;
    strat_tot[R.strategy].procs += (uint64_t)R.np;
    strat_tot[R.strategy].msgs_out += R.msgs_out;
    strat_tot[R.strategy].msgs_in += R.msgs_in;
    strat_tot[R.strategy].pay_bad += R.pay_bad;
    strat_tot[R.strategy].writes += R.writes;
    if (R.failed)
        strat_tot[R.strategy].failed++;
    else
        strat_tot[R.strategy].passed++;

    char geo_s[80];
    if (R.log)
        snprintf(geo_s, sizeof geo_s, "%s L=%u M=%u", R.kind == INDEXBUS_KIND_STREAM ? "stream" : "log",
                 R.slots, R.data);
    else if (R.kind == INDEXBUS_KIND_RPC)
        snprintf(geo_s, sizeof geo_s, "rpc cells=%u req=%u rep=%u", R.slots, R.data, R.queue);
    else
        snprintf(geo_s, sizeof geo_s, "%s S=%u D=%u Q=%u C=%u",
                 R.kind == INDEXBUS_KIND_FANOUT ? "fanout" : "events", R.slots, R.data, R.queue,
                 R.consumers);
    if (R.durable)
        strncat(geo_s, " durable", sizeof geo_s - strlen(geo_s) - 1);
    if (R.flags13 & INDEXBUS_CREATE_RECYCLE)
        strncat(geo_s, " recycle", sizeof geo_s - strlen(geo_s) - 1);
    if (R.flags13 & INDEXBUS_CREATE_MPSC_BATCH)
        strncat(geo_s, " batch", sizeof geo_s - strlen(geo_s) - 1);
    printf("round %ld [%s] %s procs=%d kills=%d%s%s%s %.2fs: %s\n", round, rg_strategies[R.strategy].name,
           geo_s, R.np, R.kills_done, R.kills_done ? " (" : "", R.killed_roles, R.kills_done ? ")" : "",
           took / 1e9, R.failed ? "FAIL" : "pass");
    if (R.kind == INDEXBUS_KIND_LOG)
        strat_log[R.strategy]++;
    else if (R.kind == INDEXBUS_KIND_STREAM)
        strat_s11[R.strategy]++;
    else if (R.kind == INDEXBUS_KIND_RPC)
        strat_r11[R.strategy]++;
    printf("  msgs out %llu in %llu (payload changed under us: %llu), rogue writes %llu\n",
           (unsigned long long)R.msgs_out, (unsigned long long)R.msgs_in,
           (unsigned long long)R.pay_bad, (unsigned long long)R.writes);
    /* slow but not hung: how long the slowest process needed past its deadline */
    int slow = -1;
    for (int i = 0; i < R.np; i++)
        if (!R.p[i].killed && !R.p[i].hung && R.p[i].ended > R.p[i].until &&
            (slow < 0 || R.p[i].ended - R.p[i].until > R.p[slow].ended - R.p[slow].until))
            slow = i;
    if (slow >= 0 && R.p[slow].ended - R.p[slow].until > max_overrun)
        max_overrun = R.p[slow].ended - R.p[slow].until;
    if (slow >= 0 && R.p[slow].ended - R.p[slow].until > 250000000ull)
        printf("  slowest to end: %s (pid %d), %.2f s past its deadline (log %s)\n", R.p[slow].role,
               (int)R.p[slow].pid, (R.p[slow].ended - R.p[slow].until) / 1e9, R.p[slow].log);
    printf("  statuses:");
    for (int s = 0; s <= INDEXBUS_STATUS_COUNT; s++)
        if (R.st_count[s])
            printf(" %s=%llu", s < INDEXBUS_STATUS_COUNT ? indexbus_status_name(s) + 9 : "NOT_A_STATUS",
                   (unsigned long long)R.st_count[s]);
    printf("\n");
    if (R.failed) {
        if (R.canary_msg[0])
            printf("  FINDING: OUT-OF-BOUNDS WRITE: canary bytes (layout padding no participant "
                   "writes) changed: %s\n", R.canary_msg);
        for (int i = 0; i < R.np; i++) {
            proc *p = &R.p[i];
            if (!p->verdict[0])
                continue;
            printf("  FINDING: %s (pid %d): %s\n    log: %s\n", p->role, (int)p->pid, p->verdict, p->log);
            print_excerpt(p);
            if (p->hung)
                strat_tot[R.strategy].hangs++;
        }
        char rc[8192];
        repro_cmd(&R, rc, sizeof rc);
        printf("  re-run: %s\n", rc);
        char entry[12000];
        size_t l = (size_t)snprintf(entry, sizeof entry, "seed=%" PRIu64 " round=%ld strategy=%s:",
                                    opt.seed, round, rg_strategies[R.strategy].name);
        for (int i = 0; i < R.np && l < sizeof entry; i++)
            if (R.p[i].verdict[0])
                l += (size_t)snprintf(entry + l, sizeof entry - l, " [%s: %s]", R.p[i].role,
                                      R.p[i].verdict);
        if (R.canary_msg[0] && l < sizeof entry)
            l += (size_t)snprintf(entry + l, sizeof entry - l, " [out-of-bounds write: %s]",
                                  R.canary_msg);
        if (l < sizeof entry)
            snprintf(entry + l, sizeof entry - l, "\n  logs: %s\n  re-run: %s\n", R.dir, rc);
        char path[700];
        snprintf(path, sizeof path, "%s/findings.txt", opt.out);
        FILE *f = fopen(path, "a");
        if (f) {
            fputs(entry, f);
            fclose(f);
        }
        size_t used = strlen(run_findings);
        snprintf(run_findings + used, sizeof run_findings - used, "%s", entry);
    } else if (!opt.keep) {
        rm_rf(R.dir);
    }
    fflush(stdout);
    return R.failed;
}

/* ---- summary ---------------------------------------------------------------------------- */

static void summary(void)
{
    printf("\nper strategy (rounds passed/failed, kills, hangs, processes, msgs out/in, rogue writes):\n");
    for (int s = 0; s < RG_NSTRATEGIES; s++) {
        if (!strat_tot[s].rounds)
            continue;
        printf("  %-15s %3llu/%-3llu (on byte logs %llu, streams %llu, rpc %llu) kills %-3llu hangs %-2llu"
               " procs %-4llu msgs %llu/%llu writes %llu\n",
               rg_strategies[s].name, (unsigned long long)strat_tot[s].passed,
               (unsigned long long)strat_tot[s].failed, (unsigned long long)strat_log[s],
               (unsigned long long)strat_s11[s], (unsigned long long)strat_r11[s],
               (unsigned long long)strat_tot[s].kills, (unsigned long long)strat_tot[s].hangs,
               (unsigned long long)strat_tot[s].procs, (unsigned long long)strat_tot[s].msgs_out,
               (unsigned long long)strat_tot[s].msgs_in, (unsigned long long)strat_tot[s].writes);
    }
    printf("status histogram per call (all strategies):\n");
    const char *last = "";
    for (int i = 0; i < nhist; i++) { /* group by call, in first-seen order */
        if (strcmp(hist[i].op, last) == 0)
            continue;
        last = hist[i].op;
        int already = 0;
        for (int j = 0; j < i; j++)
            if (strcmp(hist[j].op, last) == 0)
                already = 1;
        if (already)
            continue;
        printf("  %-18s", last);
        for (int j = i; j < nhist; j++) {
            if (strcmp(hist[j].op, last) != 0)
                continue;
            uint64_t n = 0;
            for (int s = 0; s < RG_NSTRATEGIES; s++)
                n += hist[j].n[s];
            printf(" %s=%llu", strncmp(hist[j].st, "INDEXBUS_", 9) == 0 ? hist[j].st + 9 : hist[j].st,
                   (unsigned long long)n);
        }
        printf("\n");
    }
    if (opt.verbose) {
        printf("status histogram per strategy:\n");
        for (int s = 0; s < RG_NSTRATEGIES; s++) {
            if (!strat_tot[s].rounds)
                continue;
            printf("  %s:\n", rg_strategies[s].name);
            for (int i = 0; i < nhist; i++)
                if (hist[i].n[s])
                    printf("    %-18s %-26s %llu\n", hist[i].op, hist[i].st, (unsigned long long)hist[i].n[s]);
        }
    }
}

/* ---- main ------------------------------------------------------------------------------ */

static void usage(void)
{
    printf("usage: live_rogue [--long] [--seed N] [--time SECONDS] [--rounds N] [--round R [--repeat N]]\n"
           "                  [--strategy NAME] [--round-ms MS] [--margin-ms MS] [--out DIR] [--keep]\n"
           "                  [--no-gdb] [-v] [--list] [--selftest asan|ubsan|signal|hang|contract|exit|canary]\n"
           "  default (check): fixed seed 1, the strategies in turn, 1.2 s rounds, rounds started\n"
           "  while the --time budget (25 s) lasts. --long: random seed (printed), random strategy\n"
           "  and round length per round. --round R runs only round R (what a finding prints).\n");
}

static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static int helper(int argc, char **argv)
{
    if (argc != 12) {
        fprintf(stderr, "live_rogue --helper: want 10 arguments, got %d\n", argc - 2);
        return RG_EXIT_SETUP;
    }
    rg_args a = {0};
    a.role = argv[2];
    a.region = argv[3];
    a.until_ns = strtoull(argv[4], NULL, 10);
    a.seed = strtoull(argv[5], NULL, 10);
    a.arg = (uint32_t)strtoul(argv[6], NULL, 10);
    a.kind = (uint32_t)strtoul(argv[7], NULL, 10);
    a.slots = (uint32_t)strtoul(argv[8], NULL, 10);
    a.data = (uint32_t)strtoul(argv[9], NULL, 10);
    a.queue = (uint32_t)strtoul(argv[10], NULL, 10);
    a.consumers = (uint32_t)strtoul(argv[11], NULL, 10);
    setvbuf(stdout, NULL, _IOLBF, 0);
    int rc = strcmp(a.role, "rogue") == 0 ? rg_rogue_main(&a) : rg_traffic_main(&a);
    fflush(NULL);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--helper") == 0)
        return helper(argc, argv);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
#define NEEDV                                              \
    do {                                                   \
        if (v == NULL) {                                   \
            fprintf(stderr, "%s needs a value\n", a);      \
            return 2;                                      \
        }                                                  \
        i++;                                               \
    } while (0)
        if (strcmp(a, "--long") == 0) {
            opt.long_mode = 1;
        } else if (strcmp(a, "--seed") == 0) {
            NEEDV;
            opt.seed = strtoull(v, NULL, 0);
            opt.seed_given = 1;
        } else if (strcmp(a, "--time") == 0) {
            NEEDV;
            opt.time_s = atof(v);
        } else if (strcmp(a, "--rounds") == 0) {
            NEEDV;
            opt.max_rounds = atoi(v);
        } else if (strcmp(a, "--round") == 0) {
            NEEDV;
            opt.only_round = atol(v);
        } else if (strcmp(a, "--repeat") == 0) {
            NEEDV;
            opt.repeat = atoi(v) > 0 ? atoi(v) : 1;
        } else if (strcmp(a, "--strategy") == 0) {
            NEEDV;
            if ((opt.strategy = rg_strategy_by_name(v)) < 0) {
                fprintf(stderr, "unknown strategy %s (--list)\n", v);
                return 2;
            }
        } else if (strcmp(a, "--round-ms") == 0) {
            NEEDV;
            opt.round_ns = strtoull(v, NULL, 10) * 1000000ull;
        } else if (strcmp(a, "--margin-ms") == 0) {
            NEEDV;
            opt.margin_ns = strtoull(v, NULL, 10) * 1000000ull;
        } else if (strcmp(a, "--out") == 0) {
            NEEDV;
            opt.out = v;
        } else if (strcmp(a, "--keep") == 0) {
            opt.keep = 1;
        } else if (strcmp(a, "--selftest") == 0) {
            NEEDV; /* asan, ubsan, signal, hang, contract, exit, canary: a failure to detect */
            setenv("LIVE_ROGUE_SELFTEST", v, 1);
        } else if (strcmp(a, "--no-gdb") == 0) {
            opt.no_gdb = 1;
        } else if (strcmp(a, "-v") == 0) {
            opt.verbose = 1;
        } else if (strcmp(a, "--list") == 0) {
            for (int s = 0; s < RG_NSTRATEGIES; s++)
                printf("%-15s %s\n", rg_strategies[s].name, rg_strategies[s].what);
            return 0;
        } else {
            usage();
            return strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0 ? 0 : 2;
        }
    }
    ssize_t n = readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (n <= 0) {
        perror("readlink /proc/self/exe");
        return 2;
    }
    self_exe[n] = '\0';
    if (!opt.seed_given)
        opt.seed = opt.long_mode ? rg_mix((uint64_t)time(NULL) ^ (uint64_t)getpid() << 32) % 1000000000ull : 1;
    set_env();
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    setvbuf(stdout, NULL, _IOLBF, 0);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s'", opt.out);
    if (system(cmd) != 0)
        return 2;
    if (opt.only_round < 0) { /* a fresh run starts a fresh findings file */
        snprintf(cmd, sizeof cmd, "%s/findings.txt", opt.out);
        unlink(cmd);
    }

    printf("live_rogue: %s mode, seed %" PRIu64 ", %s, %u CPUs, logs in %s\n",
           opt.long_mode ? "long" : "check", opt.seed,
           opt.only_round >= 0 ? "one round" : "rounds while the time budget lasts",
           (unsigned)sysconf(_SC_NPROCESSORS_ONLN), opt.out);
    uint64_t start = rg_now_ns(), budget = (uint64_t)(opt.time_s * 1e9);
    uint64_t passed = 0, failed = 0, setup = 0;
    if (opt.only_round >= 0) {
        for (int k = 0; k < opt.repeat && !interrupted; k++) {
            int rc = run_round(opt.only_round, k);
            if (rc < 0)
                setup++;
            else if (rc)
                failed++;
            else
                passed++;
        }
    } else {
        uint64_t longest = 0;
        for (long round = 0; !interrupted; round++) {
            if (opt.max_rounds && round >= opt.max_rounds)
                break;
            uint64_t now = rg_now_ns();
            /* start a round only if a round as long as the longest so far still fits */
            if (round > 0 && now - start + longest > budget)
                break;
            int rc = run_round(round, 0);
            uint64_t took = rg_now_ns() - now;
            if (took > longest)
                longest = took;
            if (rc < 0)
                setup++;
            else if (rc)
                failed++;
            else
                passed++;
        }
    }
    summary();
    printf("longest time a process needed past its deadline: %.2f s (a hang is %.1f s)\n",
           max_overrun / 1e9, opt.margin_ns / 1e9);
    if (run_findings[0])
        printf("findings (also in %s/findings.txt):\n%s", opt.out, run_findings);
    printf("took %.1f s\n", (rg_now_ns() - start) / 1e9);
    if (setup)
        printf("%llu round(s) could not be set up\n", (unsigned long long)setup);
    printf("rogue: %llu passed, %llu failed\n", (unsigned long long)passed,
           (unsigned long long)(failed + setup));
    return failed || setup || interrupted ? 1 : 0;
}
