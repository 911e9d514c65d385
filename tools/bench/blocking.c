/* blocking.c - blocking mode.
 *  - Wake latency, one way: the sender pauses (wake_gap_us, long enough for
 *    the receiver to stop spinning and park), stamps CLOCK_MONOTONIC into
 *    the message and publishes; the receiver, parked in indexbus_recv,
 *    stamps again when recv returns. The raw twin does the same with a
 *    shared futex word: the sender stores the stamp of message n in a
 *    stamp ring, sets the word to n and calls FUTEX_WAKE; the receiver
 *    sleeps in FUTEX_WAIT and times every message since its last wake. The
 *    sender keeps its schedule (open loop) in both. Two more raw
 *    variants, for diagnosis only, each add one thing indexbus_recv does:
 *    spin first (as long as recv spins before it parks, measured), or run
 *    the recovery scan recv runs after every park (indexbus_region_recover
 *    on a region with one live producer) before taking the stamp.
 *  - Idle CPU of a parked consumer: getrusage around one indexbus_recv that
 *    blocks for idle_ms with a producer attached but silent.
 *  - Diagnostics for the report: the cost of the recovery scan indexbus_wait
 *    runs after every park, and how long recv spins before it parks (the
 *    median of many calls each). */
#include <limits.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

/* The raw twin keeps every stamp, indexed by sequence number, so a
 * receiver that falls behind by more than one message (a busy machine)
 * still times each message against its own stamp, as the IndexBus
 * receiver does with the stamp inside each message; keeping only the
 * latest stamp would drop exactly the late samples. */
#define STAMPS 1024u

typedef struct wake_area {
    hist h;
    _Alignas(64) uint32_t word;          /* raw: the futex word = messages sent */
    _Alignas(64) uint64_t stamp[STAMPS]; /* raw: send time of message n, at n % STAMPS */
} wake_area;

typedef struct wake_args {
    char name[128];
    uint64_t spin_ns; /* raw receiver: poll this long before FUTEX_WAIT */
    int scan;         /* raw: recovery scan of region `name` after each wake */
} wake_args;

static long futex(uint32_t *word, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, word, op, val, ts, NULL, 0);
}

/* ---- raw futex ----------------------------------------------------------------- */

static int raw_sender(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const wake_args *wa = arg;
    wake_area *a = (wake_area *)ctl->area;
    indexbus_region *reg = NULL;
    indexbus_producer *p = NULL; /* scan variant: the live peer the scan probes */
    if (wa->scan) {
        reg = open_region(wa->name);
        check_ib(indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    }
    role_ready(ctl);
    while (phase_of(ctl) < PHASE_STOP) {
        sleep_ns((uint64_t)g_opts.wake_gap_us * 1000u);
        uint32_t n = __atomic_load_n(&a->word, __ATOMIC_RELAXED) + 1; /* single writer */
        __atomic_store_n(&a->stamp[n % STAMPS], now_ns(), __ATOMIC_RELAXED);
        __atomic_store_n(&a->word, n, __ATOMIC_RELEASE);
        futex(&a->word, FUTEX_WAKE, INT_MAX, NULL);
    }
    indexbus_producer_close(p);
    indexbus_region_close(reg);
    return 0;
}

static int raw_receiver(shared_ctl *ctl, int slot, void *arg)
{
    (void)slot;
    const wake_args *wa = arg;
    wake_area *a = (wake_area *)ctl->area;
    indexbus_region *reg = wa->scan ? open_region(wa->name) : NULL;
    indexbus_recover_report rep = {.size = sizeof(rep)};
    if (reg != NULL)
        indexbus_region_recover(reg, 0, &rep); /* opens the probe descriptor once */
    hist_init(&a->h);
    role_ready(ctl);
    struct timespec slice = {0, 50000000}; /* re-check the phase now and then */
    uint32_t seen = __atomic_load_n(&a->word, __ATOMIC_ACQUIRE);
    for (;;) {
        uint32_t w;
        if (wa->spin_ns != 0)
            for (uint64_t t = now_ns(); __atomic_load_n(&a->word, __ATOMIC_ACQUIRE) == seen &&
                                        now_ns() - t < wa->spin_ns;)
                cpu_relax();
        while ((w = __atomic_load_n(&a->word, __ATOMIC_ACQUIRE)) == seen) {
            if (phase_of(ctl) >= PHASE_STOP) {
                indexbus_region_close(reg);
                return 0;
            }
            futex(&a->word, FUTEX_WAIT, seen, &slice);
        }
        if (reg != NULL)
            indexbus_region_recover(reg, 0, &rep);
        uint64_t t1 = now_ns();
        int measure = phase_of(ctl) == PHASE_MEASURE;
        for (uint32_t n = seen + 1; n != w + 1; n++) { /* every message since the last wake */
            uint64_t t0 = __atomic_load_n(&a->stamp[n % STAMPS], __ATOMIC_RELAXED);
            if (measure && t1 > t0)
                hist_add(&a->h, t1 - t0);
        }
        seen = w;
    }
}

/* ---- IndexBus -------------------------------------------------------------------- */

static int ib_sender(shared_ctl *ctl, int slot, void *arg)
{
    const wake_args *wa = arg;
    indexbus_region *reg = open_region(wa->name);
    indexbus_producer *p;
    check_ib(indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    role_ready(ctl);
    int st = INDEXBUS_OK;
    while (phase_of(ctl) < PHASE_STOP) {
        sleep_ns((uint64_t)g_opts.wake_gap_us * 1000u);
        uint64_t t0 = now_ns();
        st = indexbus_publish(p, &t0, sizeof(t0));
        if (st != INDEXBUS_OK && st != INDEXBUS_FULL)
            break;
    }
    ctl->party[slot].error = st == INDEXBUS_FULL ? 0 : st;
    indexbus_producer_close(p);
    indexbus_region_close(reg);
    return ctl->party[slot].error ? 2 : 0;
}

static int ib_receiver(shared_ctl *ctl, int slot, void *arg)
{
    const wake_args *wa = arg;
    wake_area *a = (wake_area *)ctl->area;
    indexbus_region *reg = open_region(wa->name);
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, 0, &c), "consumer_open");
    hist_init(&a->h);
    role_ready(ctl);
    int st;
    for (;;) {
        uint64_t t0;
        size_t len;
        st = indexbus_recv(c, &t0, sizeof(t0), &len, 50000000u);
        uint64_t t1 = now_ns();
        if (st == INDEXBUS_OK) {
            if (phase_of(ctl) == PHASE_MEASURE && len == sizeof(t0) && t1 > t0)
                hist_add(&a->h, t1 - t0);
            continue;
        }
        if (st == INDEXBUS_TIMEOUT && phase_of(ctl) < PHASE_STOP)
            continue;
        break;
    }
    ctl->party[slot].error =
        st == INDEXBUS_DISCONNECTED || st == INDEXBUS_TIMEOUT ? 0 : st;
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    return ctl->party[slot].error ? 2 : 0;
}

int wake_latency(int mode, uint64_t spin_ns, lat_result *out, hist *h)
{
    int raw = mode != WAKE_INDEXBUS;
    wake_args wa = {.spin_ns = mode == WAKE_RAW_SPIN ? spin_ns : 0, .scan = mode == WAKE_RAW_SCAN};
    region_name(wa.name, sizeof(wa.name), "wake");
    indexbus_region *reg =
        raw && !wa.scan ? NULL : make_region(wa.name, INDEXBUS_KIND_EVENTS, 64, 1);
    shared_ctl *ctl = ctl_map(sizeof(wake_area));
    run_spec spec = {.parties = 2, .pin = 1, .arg = {&wa, &wa}};
    spec.fn[0] = raw ? raw_sender : ib_sender;
    spec.fn[1] = raw ? raw_receiver : ib_receiver;
    int st = run_parties(ctl, &spec, g_opts.warmup_ms, g_opts.measure_ms);
    wake_area *a = (wake_area *)ctl->area;
    if (st == 0) {
        static const char *const names[] = {"wake: parked recv", "wake: raw futex",
                                            "wake: raw, spin first", "wake: raw, scan after"};
        lat_from_hist(out, names[mode], 8, &a->h, 0);
        out->place = placement_of(2);
        if (h != NULL)
            hist_merge(h, &a->h);
    }
    ctl_unmap(ctl);
    if (reg != NULL) {
        indexbus_region_close(reg);
        indexbus_region_unlink(wa.name);
    }
    return st;
}

/* ---- parked consumer CPU ---------------------------------------------------------- */

static int idle_producer(shared_ctl *ctl, int slot, void *arg)
{
    const wake_args *wa = arg;
    indexbus_region *reg = open_region(wa->name);
    indexbus_producer *p;
    check_ib(indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p), "producer_open");
    role_ready(ctl);
    while (phase_of(ctl) < PHASE_STOP)
        sleep_ns(10000000);
    (void)slot;
    indexbus_producer_close(p);
    indexbus_region_close(reg);
    return 0;
}

static uint64_t cpu_ns(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
           ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
}

static int parked_consumer(shared_ctl *ctl, int slot, void *arg)
{
    const wake_args *wa = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(wa->name);
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, 0, &c), "consumer_open");
    role_ready(ctl);
    uint8_t buf[64];
    size_t len;
    uint64_t c0 = cpu_ns(), t0 = now_ns();
    int st = indexbus_recv(c, buf, sizeof(buf), &len, (uint64_t)g_opts.idle_ms * 1000000u);
    r->t_end = now_ns();
    r->value = cpu_ns() - c0;
    r->t_start = t0;
    r->error = st == INDEXBUS_TIMEOUT ? 0 : st;
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    return r->error ? 2 : 0;
}

int parked_cpu(double *pct)
{
    wake_args wa = {0};
    region_name(wa.name, sizeof(wa.name), "idle");
    indexbus_region *reg = make_region(wa.name, INDEXBUS_KIND_EVENTS, 64, 1);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = 2, .fn = {idle_producer, parked_consumer}, .arg = {&wa, &wa},
                     .pin = 1};
    int st = run_parties(ctl, &spec, 0, g_opts.idle_ms + 200);
    if (st == 0) {
        const party_result *r = &ctl->party[1];
        *pct = r->t_end > r->t_start ? 100.0 * (double)r->value / (double)(r->t_end - r->t_start)
                                     : -1;
    }
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(wa.name);
    return st;
}

/* ---- diagnostics ------------------------------------------------------------------ */

#define RECOVER_CALLS 2000u
#define SPIN_CALLS 50u

static int recover_timer(shared_ctl *ctl, int slot, void *arg)
{
    const wake_args *wa = arg;
    party_result *r = &ctl->party[slot];
    indexbus_region *reg = open_region(wa->name);
    indexbus_consumer *c;
    check_ib(indexbus_consumer_open(reg, 0, &c), "consumer_open");
    role_ready(ctl);
    static hist h;
    hist_init(&h);
    indexbus_recover_report rep = {.size = sizeof(rep)};
    indexbus_region_recover(reg, 0, &rep); /* first call opens the probe descriptor */
    for (uint32_t i = 0; i < RECOVER_CALLS; i++) {
        uint64_t t0 = now_ns();
        indexbus_region_recover(reg, 0, &rep);
        hist_add(&h, now_ns() - t0);
    }
    r->value = hist_pct(&h, 50);
    /* recv with a zero timeout spins its polls, then gives up */
    hist_init(&h);
    uint8_t buf[64];
    size_t len;
    for (uint32_t i = 0; i < SPIN_CALLS; i++) {
        uint64_t t0 = now_ns();
        indexbus_recv(c, buf, sizeof(buf), &len, 0);
        hist_add(&h, now_ns() - t0);
    }
    r->total = hist_pct(&h, 50);
    indexbus_consumer_close(c);
    indexbus_region_close(reg);
    return 0;
}

int recover_cost(double *recover_ns, double *spin_ns)
{
    wake_args wa = {0};
    region_name(wa.name, sizeof(wa.name), "recover");
    indexbus_region *reg = make_region(wa.name, INDEXBUS_KIND_EVENTS, 64, 1);
    shared_ctl *ctl = ctl_map(0);
    run_spec spec = {.parties = 2, .fn = {idle_producer, recover_timer}, .arg = {&wa, &wa},
                     .pin = 1};
    int st = run_parties(ctl, &spec, 0, 300); /* the producer stays until the timer is done */
    if (st == 0) {
        *recover_ns = (double)ctl->party[1].value;
        *spin_ns = (double)ctl->party[1].total;
    }
    ctl_unmap(ctl);
    indexbus_region_close(reg);
    indexbus_region_unlink(wa.name);
    return st;
}
