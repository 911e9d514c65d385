/*
 * ibgen.c - the C side of the bridge tests (the scripts in test/bridge): makes the
 * regions, produces the checked messages and reads the bridge counters.
 *
 *   ibgen create NAME KIND [--plain] [--slots N] [--slot-size B] [--consumers N]
 *                          [--bytes N] [--max-record B]
 *       KIND events|fanout|log|stream|rpc; durable (INDEXBUS_CREATE_DURABLE)
 *       unless --plain
 *   ibgen produce NAME --count N [--start S] [--size B] [--rate R] [--out FILE]
 *       the SPSC producer: messages S, S+1, ... (default 1), B bytes each
 *       (default 64, at least 16), R per second at most (0: as fast as it
 *       goes); waits while the region is full or its consumer is away (a
 *       bridge out killed and not yet back), nothing is dropped. --count 0:
 *       until SIGTERM/SIGINT. Prints "produced N last S" (also to FILE).
 *   ibgen counters NAME WHICH
 *       the bridge counters (`which`: a consumer index, or "in"), one line:
 *       forwarded=F acknowledged=A resent=R deduplicated=D refused=X
 *
 * A message: bytes 0-7 its sequence number (little endian), 8-11 the CRC-32
 * (zlib's) of bytes 0-7 followed by bytes 16 to the end, 12-15 its length,
 * then filler that depends on the sequence number. consume.py checks all of
 * it.
 */
#include <indexbus/indexbus.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop_now;
static void on_stop(int sig) { (void)sig; stop_now = 1; }

static uint32_t crc_table[256];
static void crc_init(void)
{
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc_update(uint32_t crc, const uint8_t *p, size_t n)
{
    crc = ~crc;
    while (n--)
        crc = crc_table[(crc ^ *p++) & 0xffu] ^ (crc >> 8);
    return ~crc;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* Fill msg (len >= 16 bytes) as message `seq`. */
static void make_message(uint8_t *msg, size_t len, uint64_t seq)
{
    put_le(msg, seq, 8);
    for (size_t i = 16; i < len; i++)
        msg[i] = (uint8_t)(seq * 131u + i * 7u);
    uint32_t crc = crc_update(0, msg, 8);
    crc = crc_update(crc, msg + 16, len - 16);
    put_le(msg + 8, crc, 4);
    put_le(msg + 12, (uint64_t)len, 4);
}

static int fail(const char *what, int st)
{
    fprintf(stderr, "ibgen: %s: %s\n", what, indexbus_strerror(st));
    return 1;
}

static const char *opt(int argc, char **argv, const char *name, const char *dflt)
{
    for (int i = 0; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return dflt;
}
static int flag(int argc, char **argv, const char *name)
{
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}
static uint64_t num(int argc, char **argv, const char *name, uint64_t dflt)
{
    const char *s = opt(argc, argv, name, NULL);
    return s ? strtoull(s, NULL, 0) : dflt;
}

static int kind_of(const char *s, uint32_t *kind)
{
    static const struct { const char *name; uint32_t kind; } kinds[] = {
        {"events", INDEXBUS_KIND_EVENTS}, {"fanout", INDEXBUS_KIND_FANOUT},
        {"log", INDEXBUS_KIND_LOG},       {"stream", INDEXBUS_KIND_STREAM},
        {"rpc", INDEXBUS_KIND_RPC},
    };
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (strcmp(s, kinds[i].name) == 0) {
            *kind = kinds[i].kind;
            return 0;
        }
    return -1;
}

static int cmd_create(int argc, char **argv)
{
    indexbus_region_config cfg;
    indexbus_region *r;
    uint32_t kind;
    if (argc < 2 || kind_of(argv[1], &kind) != 0) {
        fprintf(stderr, "ibgen create NAME KIND ...\n");
        return 2;
    }
    memset(&cfg, 0, sizeof cfg);
    int st = indexbus_region_config_init(&cfg, kind);
    if (st != INDEXBUS_OK)
        return fail("config", st);
    cfg.size = sizeof cfg; /* the whole struct, whatever the kind */
    cfg.slot_count = (uint32_t)num(argc, argv, "--slots", cfg.slot_count);
    cfg.slot_data_size = (uint32_t)num(argc, argv, "--slot-size", cfg.slot_data_size);
    cfg.consumer_count = (uint32_t)num(argc, argv, "--consumers", cfg.consumer_count);
    cfg.byte_capacity = num(argc, argv, "--bytes", cfg.byte_capacity);
    cfg.max_record = (uint32_t)num(argc, argv, "--max-record", cfg.max_record);
    if (!flag(argc, argv, "--plain"))
        cfg.flags |= INDEXBUS_CREATE_DURABLE;
    st = indexbus_region_create(argv[0], &cfg, &r);
    if (st != INDEXBUS_OK)
        return fail(argv[0], st);
    indexbus_region_close(r);
    return 0;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Publish n messages from seq on, waiting while the region is full: a
 * batch, then one blocking publish for the first that did not fit. */
static int publish_run(indexbus_producer *p, uint8_t *buf, uint32_t *lens, size_t size,
                       uint64_t seq, size_t n, size_t *done)
{
    for (size_t i = 0; i < n; i++) {
        make_message(buf + i * size, size, seq + i);
        lens[i] = (uint32_t)size;
    }
    *done = 0;
    while (*done < n) {
        size_t k = 0;
        int st = indexbus_publish_batch(p, buf + *done * size, lens + *done, n - *done, &k);
        *done += k;
        if (st == INDEXBUS_OK)
            continue;
        if (st == INDEXBUS_DISCONNECTED) {
            /* the consumer (a bridge out) is gone for now: its restart comes */
            nanosleep(&(struct timespec){0, 1000000}, NULL);
            st = INDEXBUS_TIMEOUT;
        } else if (st != INDEXBUS_FULL) {
            return st;
        } else {
            st = indexbus_publish_wait(p, buf + *done * size, size, 100000000ull);
            if (st == INDEXBUS_OK)
                (*done)++;
            else if (st == INDEXBUS_DISCONNECTED)
                st = INDEXBUS_TIMEOUT;
            else if (st != INDEXBUS_TIMEOUT)
                return st;
        }
        if (stop_now && st == INDEXBUS_TIMEOUT)
            return INDEXBUS_TIMEOUT; /* told to stop while full: what is out is out */
    }
    return INDEXBUS_OK;
}

static int cmd_produce(int argc, char **argv)
{
    indexbus_region *r;
    indexbus_producer *p;
    uint64_t count = num(argc, argv, "--count", 0), seq = num(argc, argv, "--start", 1);
    size_t size = (size_t)num(argc, argv, "--size", 64);
    double rate = (double)num(argc, argv, "--rate", 0);
    const char *out = opt(argc, argv, "--out", NULL);
    enum { BATCH = 64 };
    if (argc < 1 || size < 16) {
        fprintf(stderr, "ibgen produce NAME --count N [--start S] [--size B>=16] [--rate R]\n");
        return 2;
    }
    int st = indexbus_region_open(argv[0], NULL, &r);
    if (st != INDEXBUS_OK)
        return fail(argv[0], st);
    st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p);
    if (st != INDEXBUS_OK)
        return fail("producer", st);
    uint8_t *buf = malloc(BATCH * size);
    uint32_t lens[BATCH];
    if (buf == NULL)
        return fail("malloc", INDEXBUS_NO_MEMORY);
    uint64_t produced = 0;
    double t0 = now_s();
    while (!stop_now && (count == 0 || produced < count)) {
        size_t n = BATCH, done = 0;
        if (count != 0 && count - produced < n)
            n = (size_t)(count - produced);
        if (rate > 0) { /* pace: batches of 8 at the given rate */
            n = n < 8 ? n : 8;
            double due = t0 + (double)produced / rate;
            while (!stop_now && now_s() < due)
                nanosleep(&(struct timespec){0, 200000}, NULL);
        }
        st = publish_run(p, buf, lens, size, seq + produced, n, &done);
        produced += done;
        if (st != INDEXBUS_OK && st != INDEXBUS_TIMEOUT) {
            fail("publish", st);
            break;
        }
    }
    double dt = now_s() - t0;
    indexbus_producer_close(p);
    indexbus_region_close(r);
    free(buf);
    printf("produced %llu last %llu in %.2f s\n", (unsigned long long)produced,
           (unsigned long long)(seq + produced - 1), dt);
    if (out != NULL) {
        FILE *f = fopen(out, "w");
        if (f != NULL) {
            fprintf(f, "%llu\n", (unsigned long long)produced);
            fclose(f);
        }
    }
    return st == INDEXBUS_OK || (stop_now && st == INDEXBUS_TIMEOUT) ? 0 : 1;
}

static int cmd_counters(int argc, char **argv)
{
    indexbus_region *r;
    indexbus_bridge_counters c = {.size = sizeof c};
    if (argc < 2) {
        fprintf(stderr, "ibgen counters NAME WHICH\n");
        return 2;
    }
    uint32_t which = strcmp(argv[1], "in") == 0 ? INDEXBUS_BRIDGE_IN : (uint32_t)atoi(argv[1]);
    int st = indexbus_region_open(argv[0], NULL, &r);
    if (st != INDEXBUS_OK)
        return fail(argv[0], st);
    st = indexbus_bridge_counters_get(r, which, &c);
    indexbus_region_close(r);
    if (st != INDEXBUS_OK)
        return fail("counters", st);
    printf("forwarded=%llu acknowledged=%llu resent=%llu deduplicated=%llu refused=%llu\n",
           (unsigned long long)c.forwarded, (unsigned long long)c.acknowledged,
           (unsigned long long)c.resent, (unsigned long long)c.deduplicated,
           (unsigned long long)c.refused);
    return 0;
}

int main(int argc, char **argv)
{
    crc_init();
    signal(SIGTERM, on_stop);
    signal(SIGINT, on_stop);
    if (argc >= 2 && strcmp(argv[1], "create") == 0)
        return cmd_create(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "produce") == 0)
        return cmd_produce(argc - 2, argv + 2);
    if (argc >= 2 && strcmp(argv[1], "counters") == 0)
        return cmd_counters(argc - 2, argv + 2);
    fprintf(stderr, "usage: ibgen create|produce|counters ... (see test/bridge/ibgen.c)\n");
    return 2;
}
