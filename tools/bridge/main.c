/* main.c - indexbus-bridge: options, signals and exit codes (docs/BRIDGE.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bridge.h"

volatile sig_atomic_t br_stop = 0;

static const char usage_text[] =
    "usage: indexbus-bridge out REGION --nats URL[,URL...] --subject SUBJ [--consumer I]\n"
    "           [--stream NAME] [--batch N] [--dup-window SECONDS] [--count N] [AUTH] [TLS]\n"
    "       indexbus-bridge in --nats URL[,URL...] --subject SUBJ --durable NAME REGION\n"
    "           [--stream NAME] [--batch N] [--count N] [AUTH] [TLS]\n"
    "  AUTH: --token T | --user U --password P | --creds FILE\n"
    "        (or INDEXBUS_NATS_TOKEN, INDEXBUS_NATS_USER, INDEXBUS_NATS_PASSWORD,\n"
    "        INDEXBUS_NATS_CREDS)\n"
    "  TLS:  --tls --tls-ca FILE --tls-cert FILE --tls-key FILE --tls-hostname NAME\n"
    "  both: --quiet --stats --skip-oversize\n"
    "exit status: 0 ok (SIGINT/SIGTERM, --count reached, region ended), 1 failure,\n"
    "  2 usage, 3 region problem, 4 NATS problem, 5 oversize record refused\n";

static void vreport(const br_opts *o, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    fprintf(stderr, "indexbus-bridge%s: %s\n", o == NULL ? "" : o->out ? " out" : " in", msg);
}

void br_err(const br_opts *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(o, fmt, ap);
    va_end(ap);
}

void br_note(const br_opts *o, const char *fmt, ...)
{
    if (o != NULL && o->quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vreport(o, fmt, ap);
    va_end(ap);
}

void br_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

uint64_t br_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(NULL, fmt, ap);
    va_end(ap);
    fputs(usage_text, stderr);
    return BR_USAGE;
}

static void on_stop(int sig)
{
    (void)sig;
    br_stop = 1;
}

/* SIGINT/SIGTERM: finish the batch in hand and leave (no SA_RESTART, so
 * sleeps end early). */
static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
}

static int parse_u64(const char *opt, const char *v, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long long x = (v[0] >= '0' && v[0] <= '9') ? strtoull(v, &end, 10) : 0;
    if (end == NULL || *end != '\0' || errno != 0 || x < min || x > max)
        return usage("%s: '%s' is not a number in %llu..%llu", opt, v,
                     (unsigned long long)min, (unsigned long long)max);
    *out = x;
    return BR_OK;
}

enum { O_NATS, O_SUBJECT, O_CONSUMER, O_STREAM, O_BATCH, O_DUP, O_COUNT, O_DURABLE, O_TOKEN,
       O_USER, O_PASSWORD, O_CREDS, O_TLS, O_TLS_CA, O_TLS_CERT, O_TLS_KEY, O_TLS_HOST,
       O_QUIET, O_STATS, O_SKIP, O_HELP, NOPTS };
static const struct { const char *name; int value; } opt_table[NOPTS] = {
    {"--nats", 1},    {"--subject", 1}, {"--consumer", 1}, {"--stream", 1},
    {"--batch", 1},   {"--dup-window", 1}, {"--count", 1}, {"--durable", 1},
    {"--token", 1},   {"--user", 1},    {"--password", 1}, {"--creds", 1},
    {"--tls", 0},     {"--tls-ca", 1},  {"--tls-cert", 1}, {"--tls-key", 1},
    {"--tls-hostname", 1}, {"--quiet", 0}, {"--stats", 0}, {"--skip-oversize", 0},
    {"--help", 0},
};

/* The option named by arg ("--x" or "--x=v"); *inline_v gets v. */
static int find_opt(const char *arg, const char **inline_v)
{
    const char *eq = strchr(arg, '=');
    size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
    *inline_v = eq ? eq + 1 : NULL;
    for (int i = 0; i < NOPTS; i++)
        if (strlen(opt_table[i].name) == len && memcmp(opt_table[i].name, arg, len) == 0)
            return i;
    return -1;
}

static int set_value(br_opts *o, int id, const char *v, uint64_t *consumer)
{
    uint64_t x = 0;
    int rc = BR_OK;
    switch (id) {
    case O_NATS: o->nats = v; break;
    case O_SUBJECT: o->subject = v; break;
    case O_CONSUMER: rc = parse_u64("--consumer", v, 0, 63, consumer); break;
    case O_STREAM: o->stream = v; break;
    case O_BATCH: rc = parse_u64("--batch", v, 1, 65536, &x); o->batch = (uint32_t)x; break;
    case O_DUP: rc = parse_u64("--dup-window", v, 1, 315360000, &o->dup_window_s); break;
    case O_COUNT: rc = parse_u64("--count", v, 1, UINT64_MAX, &o->count); break;
    case O_DURABLE: o->durable = v; break;
    case O_TOKEN: o->token = v; break;
    case O_USER: o->user = v; break;
    case O_PASSWORD: o->password = v; break;
    case O_CREDS: o->creds = v; break;
    case O_TLS_CA: o->tls_ca = v; break;
    case O_TLS_CERT: o->tls_cert = v; break;
    case O_TLS_KEY: o->tls_key = v; break;
    case O_TLS_HOST: o->tls_hostname = v; break;
    default: break;
    }
    return rc;
}

static void set_flag(br_opts *o, int id)
{
    if (id == O_TLS)
        o->tls = 1;
    else if (id == O_QUIET)
        o->quiet = 1;
    else if (id == O_STATS)
        o->stats = 1;
    else if (id == O_SKIP)
        o->skip_oversize = 1;
}

/* Options only one direction takes. */
static int misplaced(const br_opts *o, int id)
{
    if (o->out && id == O_DURABLE)
        return usage("out: --durable is for 'in'");
    if (!o->out && (id == O_CONSUMER || id == O_DUP))
        return usage("in: %s is for 'out'", opt_table[id].name);
    return BR_OK;
}

static int parse_args(br_opts *o, int argc, char **argv, uint64_t *consumer)
{
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (a[0] != '-' || a[1] == '\0') {
            if (o->region != NULL)
                return usage("one REGION only ('%s' and '%s')", o->region, a);
            o->region = a;
            continue;
        }
        int id = find_opt(a, &v);
        if (id < 0)
            return usage("unknown option '%s'", a);
        if (id == O_HELP) {
            fputs(usage_text, stdout);
            return -1;
        }
        if (misplaced(o, id) != BR_OK)
            return BR_USAGE;
        if (!opt_table[id].value) {
            if (v != NULL)
                return usage("%s takes no value", opt_table[id].name);
            set_flag(o, id);
            continue;
        }
        if (v == NULL) {
            if (i + 1 >= argc)
                return usage("%s needs a value", opt_table[id].name);
            v = argv[++i];
        }
        if (set_value(o, id, v, consumer) != BR_OK)
            return BR_USAGE;
    }
    return BR_OK;
}

static void env_default(const char **field, const char *name)
{
    const char *v = getenv(name);
    if (*field == NULL && v != NULL && *v != '\0')
        *field = v;
}

static int check_opts(br_opts *o)
{
    if (o->region == NULL)
        return usage("%s: REGION is missing", o->out ? "out" : "in");
    if (o->nats == NULL || *o->nats == '\0')
        return usage("--nats URL is missing");
    if (o->subject == NULL || *o->subject == '\0' || strpbrk(o->subject, " \t\r\n"))
        return usage("--subject SUBJ is missing or has blanks");
    /* JetStream would store an out bridge's messages under the literal
     * "ib.>" and an in bridge's marks assume one subject's sequence */
    if (strpbrk(o->subject, "*>"))
        return usage("--subject %s: give one subject, without wildcards", o->subject);
    if (!o->out && (o->durable == NULL || *o->durable == '\0'))
        return usage("in: --durable NAME is missing");
    int given = (o->token != NULL) + (o->user != NULL || o->password != NULL) + (o->creds != NULL);
    if (given > 1)
        return usage("give one of --token, --user/--password, --creds");
    if (given == 0) {
        env_default(&o->token, "INDEXBUS_NATS_TOKEN");
        env_default(&o->user, "INDEXBUS_NATS_USER");
        env_default(&o->password, "INDEXBUS_NATS_PASSWORD");
        env_default(&o->creds, "INDEXBUS_NATS_CREDS");
    }
    if (o->password != NULL && o->user == NULL)
        return usage("--password needs --user");
    if ((o->tls_cert == NULL) != (o->tls_key == NULL))
        return usage("--tls-cert and --tls-key go together");
    return BR_OK;
}

/* "IB_" + subject with every char outside [A-Za-z0-9_-] made '_'. */
static void default_stream(br_opts *o)
{
    if (o->stream != NULL)
        return;
    size_t n = snprintf(o->stream_buf, sizeof o->stream_buf, "IB_%s", o->subject);
    if (n >= sizeof o->stream_buf)
        n = sizeof o->stream_buf - 1;
    for (size_t i = 3; i < n; i++) {
        char c = o->stream_buf[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            o->stream_buf[i] = '_';
    }
    o->stream = o->stream_buf;
}

int main(int argc, char **argv)
{
    static br_opts o;
    if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0 ||
                      strcmp(argv[1], "-h") == 0)) {
        fputs(usage_text, stdout);
        return BR_OK;
    }
    if (argc < 2 || (strcmp(argv[1], "out") != 0 && strcmp(argv[1], "in") != 0))
        return usage(argc < 2 ? "say 'out' or 'in'" : "unknown direction '%s'", argv[1]);
    o.out = strcmp(argv[1], "out") == 0;
    o.batch = 256;
    o.dup_window_s = 600;
    uint64_t consumer = 0;
    int rc = parse_args(&o, argc, argv, &consumer);
    if (rc == -1)
        return BR_OK;
    if (rc != BR_OK || (rc = check_opts(&o)) != BR_OK || (rc = br_crash_init()) != BR_OK)
        return rc;
    o.consumer = (uint32_t)consumer;
    default_stream(&o);
    catch_signals();
    rc = o.out ? br_run_out(&o) : br_run_in(&o);
    nats_Close();
    return rc;
}
