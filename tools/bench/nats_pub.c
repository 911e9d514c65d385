/* nats_pub.c - bench-nats-pub: the plain cnats JetStream publisher the
 * bridge section (bridge.c) measures `indexbus-bridge out` against, and a
 * readiness probe for the servers it starts. A separate program, so that
 * only it and the bridge link libnats (the harness does not).
 *
 *   bench-nats-pub ready URL [TIMEOUT_S]
 *       connect and ask for the JetStream account info until it answers
 *       (a clustered server has JetStream only once the cluster has
 *       elected its metadata leader); exit 0, or 1 at the timeout.
 *   bench-nats-pub pub URL SUBJECT SIZE WINDOW WARMUP COUNT
 *       create the stream the bridge would (name "IB_" + SUBJECT with every
 *       char outside [A-Za-z0-9_-] made '_', subjects [SUBJECT], file
 *       storage, duplicates window 600 s), then publish WARMUP + COUNT
 *       messages of SIZE bytes the way `indexbus-bridge out` does (its
 *       --batch is a window): up to WINDOW asynchronous publishes in
 *       flight (cnats's MaxPending stalls the next publish until an ack
 *       frees room), each with a Nats-Msg-Id of the bridge's form
 *       ("<32 hex>-0-<16 hex position>"), an ack handler seeing every PubAck
 *       (as the bridge's must, to know duplicates); all acks are waited for
 *       after the warm-up and at the end. Prints one JSON line
 *       {"msgs_per_s": R, "cpu_us_per_msg": C, "dups": D} for the COUNT
 *       messages after the warm-up (wall clock, from the warm-up's last ack
 *       to the last ack; C: this process's CPU time over the same window).
 *   bench-nats-pub rm URL SUBJECT
 *       delete that subject's stream (the harness keeps the store small).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nats/nats.h>

static uint64_t clock_ns(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t now_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static void nap_ms(unsigned ms)
{
    struct timespec ts = {.tv_sec = ms / 1000u, .tv_nsec = (long)(ms % 1000u) * 1000000L};
    nanosleep(&ts, NULL);
}

static int fail(const char *what, natsStatus s)
{
    fprintf(stderr, "bench-nats-pub: %s: %s (%s)\n", what, natsStatus_GetText(s),
            nats_GetLastError(NULL) ? nats_GetLastError(NULL) : "-");
    return 1;
}

/* ---- ready ------------------------------------------------------------------------ */

static int ready(const char *url, unsigned timeout_s)
{
    uint64_t deadline = now_ns() + (uint64_t)timeout_s * 1000000000ull;
    natsStatus s = NATS_OK;
    while (now_ns() < deadline) {
        natsConnection *nc = NULL;
        jsCtx *js = NULL;
        jsAccountInfo *ai = NULL;
        s = natsConnection_ConnectTo(&nc, url);
        if (s == NATS_OK)
            s = natsConnection_JetStream(&js, nc, NULL);
        if (s == NATS_OK)
            s = js_GetAccountInfo(&ai, js, NULL, NULL);
        if (ai != NULL)
            jsAccountInfo_Destroy(ai);
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        if (s == NATS_OK)
            return 0;
        nap_ms(100);
    }
    return fail("JetStream not ready", s);
}

/* ---- pub -------------------------------------------------------------------------- */

typedef struct acks {
    volatile int64_t acked, dups, errors; /* written by cnats's callback thread */
} acks;

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    acks *a = closure;
    if (pa != NULL) {
        __atomic_fetch_add(&a->acked, 1, __ATOMIC_RELAXED); /* a count; Complete orders */
        if (pa->Duplicate)
            __atomic_fetch_add(&a->dups, 1, __ATOMIC_RELAXED);
    } else if (pae != NULL) {
        __atomic_fetch_add(&a->errors, 1, __ATOMIC_RELAXED);
    }
    natsMsg_Destroy(msg);
}

static void stream_name(char *buf, size_t cap, const char *subject)
{
    snprintf(buf, cap, "IB_%s", subject);
    for (char *p = buf + 3; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_' || *p == '-'))
            *p = '_';
}

static natsStatus make_stream(jsCtx *js, const char *subject)
{
    char name[256];
    stream_name(name, sizeof(name), subject);
    jsStreamConfig cfg;
    jsStreamConfig_Init(&cfg);
    const char *subjects[1] = {subject};
    cfg.Name = name;
    cfg.Subjects = subjects;
    cfg.SubjectsLen = 1;
    cfg.Storage = js_FileStorage;
    cfg.Duplicates = 600ll * 1000000000ll; /* the bridge's --dup-window default */
    jsStreamInfo *si = NULL;
    jsErrCode jerr = 0;
    natsStatus s = js_AddStream(&si, js, &cfg, NULL, &jerr);
    if (si != NULL)
        jsStreamInfo_Destroy(si);
    return s;
}

/* Publish messages [from, to), up to the context's MaxPending in flight,
 * then wait for every ack; 0 when every one was acked. */
static int run_window(jsCtx *js, const char *subject, const char *id_base, char *payload,
                      size_t size, uint64_t from, uint64_t to, acks *a)
{
    for (uint64_t i = from; i < to; i++) {
        char id[64];
        snprintf(id, sizeof(id), "%s%016llx", id_base, (unsigned long long)i);
        memcpy(payload, &i, size < sizeof(i) ? size : sizeof(i));
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = id;
        natsStatus s = js_PublishAsync(js, subject, payload, (int)size, &po);
        if (s != NATS_OK)
            return fail("js_PublishAsync", s);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 30000;
    natsStatus s = js_PublishAsyncComplete(js, &po);
    if (s != NATS_OK)
        return fail("js_PublishAsyncComplete", s);
    if (__atomic_load_n(&a->errors, __ATOMIC_RELAXED) != 0) {
        fprintf(stderr, "bench-nats-pub: %lld publishes failed\n", (long long)a->errors);
        return 1;
    }
    return 0;
}

static int pub(const char *url, const char *subject, size_t size, uint64_t window, uint64_t warm,
               uint64_t count)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    acks a = {0, 0, 0};
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = (int64_t)window;
    jo.PublishAsync.StallWait = 30000; /* a full window waits for an ack, not 200 ms */
    jo.PublishAsync.AckHandler = on_ack;
    jo.PublishAsync.AckHandlerClosure = &a;
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s != NATS_OK)
        return fail("connect", s);
    if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
        return fail("JetStream context", s);
    if ((s = make_stream(js, subject)) != NATS_OK)
        return fail("add stream", s);
    /* an id of the bridge's form: a fixed "region id", consumer 0 */
    char id_base[64];
    snprintf(id_base, sizeof(id_base), "%08x%08x%08x%08x-0-", (unsigned)getpid(), 0x1b2c3d4eu,
             0x5f607182u, 0x93a4b5c6u);
    char *payload = calloc(1, size < 8 ? 8 : size);
    if (payload == NULL)
        return 1;
    int rc = run_window(js, subject, id_base, payload, size, 0, warm, &a);
    uint64_t t0 = now_ns(), c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (rc == 0)
        rc = run_window(js, subject, id_base, payload, size, warm, warm + count, &a);
    uint64_t t1 = now_ns(), c1 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
    if (rc == 0)
        printf("{\"msgs_per_s\": %.1f, \"cpu_us_per_msg\": %.3f, \"dups\": %lld}\n",
               (double)count * 1e9 / (double)(t1 - t0), (double)(c1 - c0) / 1e3 / (double)count,
               (long long)a.dups);
    free(payload);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return rc;
}

static int rm(const char *url, const char *subject)
{
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    char name[256];
    stream_name(name, sizeof(name), subject);
    natsStatus s = natsConnection_ConnectTo(&nc, url);
    if (s == NATS_OK)
        s = natsConnection_JetStream(&js, nc, NULL);
    if (s == NATS_OK)
        s = js_DeleteStream(js, name, NULL, NULL);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return s == NATS_OK ? 0 : fail("delete stream", s);
}

static int usage(void)
{
    fprintf(stderr, "usage: bench-nats-pub ready URL [TIMEOUT_S]\n"
                    "       bench-nats-pub pub URL SUBJECT SIZE WINDOW WARMUP COUNT\n"
                    "       bench-nats-pub rm URL SUBJECT\n");
    return 2;
}

int main(int argc, char **argv)
{
    int rc;
    if (argc >= 3 && strcmp(argv[1], "ready") == 0)
        rc = ready(argv[2], argc > 3 ? (unsigned)atoi(argv[3]) : 20u);
    else if (argc == 8 && strcmp(argv[1], "pub") == 0)
        rc = pub(argv[2], argv[3], (size_t)strtoull(argv[4], NULL, 10),
                 strtoull(argv[5], NULL, 10), strtoull(argv[6], NULL, 10),
                 strtoull(argv[7], NULL, 10));
    else if (argc == 4 && strcmp(argv[1], "rm") == 0)
        rc = rm(argv[2], argv[3]);
    else
        return usage();
    nats_Close();
    return rc;
}
