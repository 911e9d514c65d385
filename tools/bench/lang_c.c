/* lang_c.c - the C twin of the binding benches (see langs.c for the
 * definition every language follows):
 *     bench-lang-c NAME SIZE BATCH WARMUP COUNT
 * One process creates events region NAME (SIZE-byte slots, at least 64,
 * default slot count), attaches an SPSC producer and the consumer, then
 * alternates: publish BATCH messages of SIZE bytes (indexbus_publish when
 * BATCH is 1, else one indexbus_publish_batch from a packed buffer), then
 * receive them (indexbus_try_recv, or indexbus_recv_batch of up to BATCH
 * until all BATCH are in). WARMUP messages first, untimed; then COUNT
 * timed, in SEGMENTS equal segments, each on the wall clock and on the CPU
 * clock of the thread that runs the loop (time spent preempted by other
 * load does not count there). Prints one JSON line:
 *     {"lang":"c","size":64,"batch":32,"msgs":N,"segments":5,"secs":S,
 *      "cpu_secs":C,"msgs_per_s":N/S,"msgs_per_cpu_s_all":N/C,
 *      "msgs_per_cpu_s":<the fastest segment's msgs per CPU second>} */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <indexbus/indexbus.h>

#define SEGMENTS 5

static void fail(const char *what, int st)
{
    fprintf(stderr, "bench-lang-c: %s: %s\n", what, indexbus_strerror(st));
    exit(1);
}

static double clock_s(clockid_t clk)
{
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Publish and receive `rounds` batches. */
static void run(indexbus_producer *p, indexbus_consumer *c, const uint8_t *msgs,
                const uint32_t *lens, uint8_t *buf, size_t cap, uint32_t *rlens, uint32_t size,
                uint32_t batch, uint64_t rounds)
{
    int st;
    for (uint64_t r = 0; r < rounds; r++) {
        if (batch == 1) {
            size_t len;
            if ((st = indexbus_publish(p, msgs, size)) != INDEXBUS_OK)
                fail("publish", st);
            if ((st = indexbus_try_recv(c, buf, cap, &len)) != INDEXBUS_OK)
                fail("try_recv", st);
            if (len != size)
                fail("try_recv length", INDEXBUS_CORRUPT);
            continue;
        }
        size_t n = 0;
        if ((st = indexbus_publish_batch(p, msgs, lens, batch, &n)) != INDEXBUS_OK)
            fail("publish_batch", st);
        for (size_t got = 0; got < batch;) {
            size_t k;
            if ((st = indexbus_recv_batch(c, buf, cap, rlens, batch - got, &k)) != INDEXBUS_OK)
                fail("recv_batch", st);
            got += k;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: bench-lang-c NAME SIZE BATCH WARMUP COUNT\n");
        return 2;
    }
    const char *name = argv[1];
    uint32_t size = (uint32_t)strtoul(argv[2], NULL, 10);
    uint32_t batch = (uint32_t)strtoul(argv[3], NULL, 10);
    uint64_t warmup = strtoull(argv[4], NULL, 10), count = strtoull(argv[5], NULL, 10);
    if (size == 0 || batch == 0 || batch > 1024 || count < (uint64_t)batch * SEGMENTS) {
        fprintf(stderr, "bench-lang-c: bad arguments\n");
        return 2;
    }
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS);
    cfg.slot_data_size = size < 64 ? 64 : (size + 7u) & ~7u;
    cfg.flags = INDEXBUS_CREATE_PREFAULT;
    indexbus_region *reg;
    indexbus_region_unlink(name);
    int st = indexbus_region_create(name, &cfg, &reg);
    if (st != INDEXBUS_OK)
        fail("create", st);
    indexbus_producer *p;
    indexbus_consumer *c;
    if ((st = indexbus_producer_open(reg, INDEXBUS_PRODUCER_SPSC, &p)) != INDEXBUS_OK)
        fail("producer_open", st);
    if ((st = indexbus_consumer_open(reg, 0, &c)) != INDEXBUS_OK)
        fail("consumer_open", st);

    uint8_t *msgs = malloc((size_t)batch * size);
    uint32_t *lens = malloc(batch * sizeof(uint32_t)), *rlens = malloc(batch * sizeof(uint32_t));
    size_t cap = (size_t)batch * cfg.slot_data_size;
    uint8_t *buf = malloc(cap);
    if (msgs == NULL || lens == NULL || rlens == NULL || buf == NULL)
        fail("malloc", INDEXBUS_NO_MEMORY);
    memset(msgs, 0x42, (size_t)batch * size);
    for (uint32_t i = 0; i < batch; i++)
        lens[i] = size;

    run(p, c, msgs, lens, buf, cap, rlens, size, batch, warmup / batch);
    uint64_t rounds = count / batch / SEGMENTS;
    double secs = 0, cpu = 0, best = 0;
    for (int seg = 0; seg < SEGMENTS; seg++) {
        double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_THREAD_CPUTIME_ID);
        run(p, c, msgs, lens, buf, cap, rlens, size, batch, rounds);
        double dc = clock_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        secs += clock_s(CLOCK_MONOTONIC) - t0;
        cpu += dc;
        if ((double)(rounds * batch) / dc > best)
            best = (double)(rounds * batch) / dc;
    }
    uint64_t n = rounds * batch * SEGMENTS;
    printf("{\"lang\":\"c\",\"size\":%u,\"batch\":%u,\"msgs\":%llu,\"segments\":%d,"
           "\"secs\":%.6f,\"cpu_secs\":%.6f,\"msgs_per_s\":%.0f,\"msgs_per_cpu_s_all\":%.0f,"
           "\"msgs_per_cpu_s\":%.0f}\n",
           size, batch, (unsigned long long)n, SEGMENTS, secs, cpu, (double)n / secs,
           (double)n / cpu, best);

    indexbus_consumer_close(c);
    indexbus_producer_close(p);
    indexbus_region_close(reg);
    indexbus_region_unlink(name);
    free(msgs);
    free(lens);
    free(rlens);
    free(buf);
    return 0;
}
