/* util.c - clocks, CPU pinning, the shared control block and the child
 * processes every measurement runs in. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void sleep_ns(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    while (clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, &ts) == EINTR)
        ;
}

void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(1);
}

void warnx_(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "bench: warning: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

void check_ib(int st, const char *what)
{
    if (st != INDEXBUS_OK)
        die("%s: %s", what, indexbus_strerror(st));
}

int g_unpinned;

/* ---- CPUs ------------------------------------------------------------------- */

static int cpus[CPU_SETSIZE];
static int ncpus = -1;

static void load_cpus(void)
{
    cpu_set_t set;
    ncpus = 0;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        for (int i = 0; i < n && i < CPU_SETSIZE; i++)
            cpus[ncpus++] = i;
        return;
    }
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set))
            cpus[ncpus++] = i;
}

int cpu_count(void)
{
    if (ncpus < 0)
        load_cpus();
    return ncpus;
}

int placement_of(int parties)
{
    if (cpu_count() < 2 || g_opts.no_pin)
        return PLACE_NONE;
    return parties <= ncpus ? PLACE_OWN : PLACE_SPLIT;
}

const char *placement_name(int place)
{
    return place == PLACE_OWN ? "own-cpu" : place == PLACE_SPLIT ? "split" : "none";
}

static void pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof(set), &set); /* not allowed: run unpinned */
}

/* ---- control block and children ----------------------------------------------- */

shared_ctl *ctl_map(size_t extra)
{
    size_t len = sizeof(shared_ctl) + extra;
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        die("mmap control block: %s", strerror(errno));
    memset(p, 0, len); /* touch every page before the children share it */
    shared_ctl *c = p;
    c->map_len = len;
    return c;
}

void ctl_unmap(shared_ctl *c)
{
    if (c != NULL)
        munmap(c, c->map_len);
}

void role_ready(shared_ctl *ctl)
{
    __atomic_fetch_add(&ctl->ready, 1, __ATOMIC_ACQ_REL);
    while (phase_of(ctl) < PHASE_WARMUP)
        sleep_ns(20000);
}

double party_rate(const party_result *r)
{
    if (r->t_end <= r->t_start || r->count_end < r->count_start)
        return 0;
    return (double)(r->count_end - r->count_start) * 1e9 / (double)(r->t_end - r->t_start);
}

#define WATCHDOG_S 60       /* a child still running this long is stuck */
#define READY_TIMEOUT_NS 15000000000ull
#define REAP_TIMEOUT_NS 30000000000ull

void set_phase(shared_ctl *ctl, uint32_t ph)
{
    __atomic_store_n(&ctl->phase, ph, __ATOMIC_RELEASE); /* pairs with phase_of's acquire */
}

/* Reap every child in pids[0..n), waiting at most until deadline, then
 * killing stragglers. 0 if all exited 0. */
static int reap(pid_t *pids, int n, uint64_t deadline)
{
    int bad = 0, left = n;
    while (left > 0) {
        for (int i = 0; i < n; i++) {
            if (pids[i] <= 0)
                continue;
            int ws;
            pid_t r = waitpid(pids[i], &ws, WNOHANG);
            if (r == 0)
                continue;
            if (r < 0 || !WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
                if (r > 0 && WIFSIGNALED(ws))
                    warnx_("role %d killed by signal %d", i, WTERMSIG(ws));
                else if (r > 0)
                    warnx_("role %d exited %d", i, WEXITSTATUS(ws));
                bad = 1;
            }
            pids[i] = 0;
            left--;
        }
        if (left == 0)
            break;
        if (now_ns() > deadline) {
            for (int i = 0; i < n; i++)
                if (pids[i] > 0) {
                    warnx_("role %d still running: killed", i);
                    kill(pids[i], SIGKILL);
                    waitpid(pids[i], NULL, 0);
                    pids[i] = 0;
                }
            return 1;
        }
        sleep_ns(200000);
    }
    return bad;
}

int run_parties(shared_ctl *ctl, const run_spec *spec, uint32_t warmup_ms, uint32_t measure_ms)
{
    pid_t pids[MAX_PARTIES] = {0};
    int n = spec->parties;
    if (n < 1 || n > MAX_PARTIES)
        die("run_parties: %d parties", n);
    if (g_opts.threads)
        return run_threads(ctl, spec, warmup_ms, measure_ms);
    set_phase(ctl, PHASE_SETUP);
    __atomic_store_n(&ctl->ready, 0, __ATOMIC_RELEASE);
    memset(ctl->party, 0, sizeof(ctl->party));
    fflush(NULL);
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            warnx_("fork: %s", strerror(errno));
            set_phase(ctl, PHASE_STOP);
            reap(pids, i, now_ns() + REAP_TIMEOUT_NS);
            return 1;
        }
        if (pid == 0) {
            alarm(WATCHDOG_S);
            signal(SIGPIPE, SIG_IGN); /* a peer gone early is an error return, not a death */
            int place = spec->pin ? placement_of(n) : PLACE_NONE;
            g_unpinned = place != PLACE_OWN;
            if (place == PLACE_OWN)
                pin_to(cpus[i]);
            else if (place == PLACE_SPLIT)
                pin_to(cpus[spec->downstream[i] ? 1 : 0]);
            _exit(spec->fn[i](ctl, i, spec->arg[i]));
        }
        pids[i] = pid;
    }
    if (spec->after_fork != NULL)
        spec->after_fork(spec->ctx);
    /* every role set up (or one died trying) */
    uint64_t deadline = now_ns() + READY_TIMEOUT_NS;
    while (__atomic_load_n(&ctl->ready, __ATOMIC_ACQUIRE) < (uint32_t)n) {
        int died = 0;
        for (int i = 0; i < n; i++) {
            int ws;
            if (pids[i] > 0 && waitpid(pids[i], &ws, WNOHANG) == pids[i]) {
                warnx_("role %d ended during setup (status %d)", i,
                       WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
                pids[i] = 0;
                died = 1;
            }
        }
        if (died || now_ns() > deadline) {
            set_phase(ctl, PHASE_STOP);
            reap(pids, n, now_ns() + REAP_TIMEOUT_NS);
            return 1;
        }
        sleep_ns(100000);
    }
    set_phase(ctl, PHASE_WARMUP);
    sleep_ns((uint64_t)warmup_ms * 1000000u);
    set_phase(ctl, PHASE_MEASURE);
    sleep_ns((uint64_t)measure_ms * 1000000u);
    set_phase(ctl, PHASE_STOP);
    return reap(pids, n, now_ns() + REAP_TIMEOUT_NS);
}

/* ---- regions ------------------------------------------------------------------ */

void region_name(char *buf, size_t cap, const char *tag)
{
    static unsigned seq;
    snprintf(buf, cap, "/ibbench-%d-%u-%s", (int)getpid(), seq++, tag);
}

uint64_t log_capacity(uint32_t size)
{
    uint64_t need = (uint64_t)LOG_RECORDS * ((8u + size + 7u) & ~7u), cap = INDEXBUS_LOG_MIN_BYTES;
    while (cap < need)
        cap <<= 1;
    return cap;
}

indexbus_region *make_region(const char *name, uint32_t kind, uint32_t size, uint32_t consumers)
{
    return make_region_flags(name, kind, size, consumers, 0, 0);
}

indexbus_region *make_region_flags(const char *name, uint32_t kind, uint32_t size,
                                   uint32_t consumers, uint32_t slots, uint32_t flags)
{
    indexbus_region_config cfg;
    check_ib(indexbus_region_config_init(&cfg, kind), "region_config_init");
    if (kind == INDEXBUS_KIND_LOG) {
        cfg.byte_capacity = log_capacity(size); /* max_record: the default */
    } else {
        uint32_t data = (size + 7u) & ~7u;
        cfg.slot_data_size = data < INDEXBUS_MIN_SLOT_DATA ? INDEXBUS_MIN_SLOT_DATA : data;
        if (kind == INDEXBUS_KIND_FANOUT)
            cfg.consumer_count = consumers;
        if (slots != 0) /* the queues keep their default capacity */
            cfg.slot_count = slots;
    }
    cfg.flags = INDEXBUS_CREATE_PREFAULT | flags;
    indexbus_region *r = NULL;
    int st = indexbus_region_create(name, &cfg, &r);
    if (st == INDEXBUS_EXISTS) {
        indexbus_region_unlink(name);
        st = indexbus_region_create(name, &cfg, &r);
    }
    check_ib(st, name);
    return r;
}

indexbus_region *open_region(const char *name)
{
    indexbus_region *r = NULL;
    check_ib(indexbus_region_open(name, NULL, &r), name);
    return r;
}
