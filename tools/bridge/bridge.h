/*
 * bridge.h - indexbus-bridge: carries a region's messages to a NATS
 * JetStream stream (out.c) and a stream's messages into a region (in.c),
 * exactly once across the bridge's own crashes (docs/BRIDGE.md).
 * main.c parses options and maps outcomes to exit codes, nats.c connects
 * and finds or makes the stream, crash.c holds the kill-campaign trace
 * points.
 */
#ifndef IB_BRIDGE_H
#define IB_BRIDGE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <indexbus/indexbus.h>
#include <nats/nats.h>

/* Exit codes (docs/BRIDGE.md). */
enum {
    BR_OK = 0,       /* stopped, --count reached, or the region ended */
    BR_FAIL = 1,     /* runtime failure */
    BR_USAGE = 2,    /* bad command line */
    BR_REGION = 3,   /* region not found, wrong kind, not durable, busy */
    BR_NATS = 4,     /* unreachable, auth refused, stream missing */
    BR_OVERSIZE = 5, /* a record too large for the other side, refused */
};

typedef struct br_opts {
    int out;               /* 1: out (region -> JetStream), 0: in */
    const char *region;
    const char *nats;      /* URL[,URL...] */
    const char *subject;
    const char *stream;    /* default: "IB_" + subject, sanitised */
    const char *durable;   /* in: the durable consumer's name */
    uint32_t consumer;     /* out: consumer index */
    uint32_t batch;        /* messages in flight (out) / per fetch (in) */
    uint64_t dup_window_s; /* out: the stream's duplicates window if we create it */
    uint64_t count;        /* 0: no limit */
    const char *token, *user, *password, *creds;
    int tls;
    const char *tls_ca, *tls_cert, *tls_key, *tls_hostname;
    int quiet, stats, skip_oversize;
    char stream_buf[256];
} br_opts;

/* This run's counts (the region keeps the running totals). */
typedef indexbus_bridge_counters br_counts;

/* ---- main.c ---- */
extern volatile sig_atomic_t br_stop; /* SIGINT / SIGTERM seen */
/* "indexbus-bridge DIR: <message>" on stderr. */
void br_err(const br_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The same, unless --quiet. */
void br_note(const br_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Sleep ms milliseconds (cut short by a signal). */
void br_sleep_ms(unsigned ms);
uint64_t br_now_ms(void); /* CLOCK_MONOTONIC */

/* ---- nats.c ---- */
typedef struct br_nats {
    natsConnection *nc;
    jsCtx *js;
} br_nats;

/* Connect with the options' servers, auth, TLS and unlimited reconnects,
 * and make a JetStream context whose async publishes report to ack_cb.
 * Errors are reported; BR_OK or BR_NATS. */
int br_nats_connect(const br_opts *o, br_nats *n, jsPubAckHandler ack_cb, void *ack_closure,
                    int64_t max_pending);
void br_nats_close(br_nats *n);
/* out: find the stream, or create it (subjects [SUBJ], file storage,
 * duplicates window). in: wait up to 10 s for it. BR_OK or BR_NATS. */
int br_stream_ensure(const br_opts *o, br_nats *n);
int br_stream_wait(const br_opts *o, br_nats *n);
/* How many times the connection came back (changes after each reconnect). */
unsigned br_reconnects_seen(void);
/* "<status text>[: <last error>]" for a cnats failure. */
const char *br_nats_text(natsStatus s);

/* ---- region.c ---- */
/* Open o->region and check it is durable and of a kind the bridge takes.
 * *maxlen gets the largest message it holds (slot size or max record).
 * Errors are reported; BR_OK, BR_REGION or BR_FAIL. */
int br_region_open(const br_opts *o, indexbus_region **r, size_t *maxlen);
/* Add this step's counts to the region's (which: consumer index or
 * INDEXBUS_BRIDGE_IN) and to the run's totals, then zero *delta. */
void br_counts_flush(indexbus_region *r, uint32_t which, br_counts *delta, br_counts *total);
/* --stats: the run's counts and the region's totals on stderr. */
void br_print_stats(const br_opts *o, indexbus_region *r, uint32_t which, const br_counts *run);

/* ---- crash.c ---- */
enum br_point { BR_OUT_READ, BR_OUT_PUBLISHED, BR_OUT_ACKED, BR_IN_FETCHED, BR_IN_COMMITTED };
/* Read INDEXBUS_BRIDGE_CRASH="POINT:N"; BR_OK or BR_USAGE (reported). */
int br_crash_init(void);
/* SIGKILL ourselves the Nth time `p` is reached. */
void br_crash_point(enum br_point p);

/* ---- out.c, in.c ---- */
int br_run_out(const br_opts *o);
int br_run_in(const br_opts *o);

#endif /* IB_BRIDGE_H */
