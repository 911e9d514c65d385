/* cmd_stat.c - `indexbus stat --prometheus NAME... [--listen ADDR:PORT]`:
 * the regions' counters and liveness in the Prometheus text format
 * (prom.c), printed once, or served over HTTP at /metrics (each scrape
 * takes fresh snapshots) until SIGINT/SIGTERM. The listener takes an IPv4
 * address literal; bind it to 127.0.0.1 unless a scraper elsewhere must
 * reach it (there is no authentication). PORT 0: the kernel picks one,
 * printed on stderr. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "prom.h"

#define STAT_REQUEST_MAX 8192

enum { ST_PROMETHEUS, ST_LISTEN, ST_NOPTS };

static const cli_opt stat_opts[] = {
    [ST_PROMETHEUS] = {"--prometheus", 0},
    [ST_LISTEN] = {"--listen", 1},
    [ST_NOPTS] = {NULL, 0},
};

typedef struct stat_args {
    const char **names;
    int nnames;
    int prometheus;
    const char *listen;
} stat_args;

static int stat_arg(void *ctx, int opt, const char *v)
{
    stat_args *a = ctx;
    switch (opt) {
    case CLI_ARG_POSITIONAL: a->names[a->nnames++] = v; return CLI_OK;
    case ST_PROMETHEUS: a->prometheus = 1; return CLI_OK;
    case ST_LISTEN: a->listen = v; return CLI_OK;
    default: return CLI_USAGE;
    }
}

/* Snapshot every region and write the exposition; the number that failed. */
static int write_all(FILE *o, const stat_args *a, prom_region *rs)
{
    int failed = 0;
    for (int i = 0; i < a->nnames; i++) {
        rs[i].name = a->names[i];
        rs[i].status = cli_snapshot_name(a->names[i], rs[i].s);
        failed += rs[i].status != INDEXBUS_OK;
    }
    cli_prom_write(o, rs, a->nnames);
    return failed;
}

/* ---- HTTP ------------------------------------------------------------------------ */

static int parse_addr(const char *text, struct sockaddr_in *sa)
{
    char host[64];
    const char *colon = strrchr(text, ':');
    char *end;
    if (colon == NULL || (size_t)(colon - text) >= sizeof host)
        return cli_usage_error("stat", "--listen takes ADDRESS:PORT, e.g. 127.0.0.1:9464");
    memcpy(host, text, (size_t)(colon - text));
    host[colon - text] = '\0';
    unsigned long port = strtoul(colon + 1, &end, 10);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    if (colon[1] == '\0' || *end != '\0' || port > 65535 ||
        inet_pton(AF_INET, host, &sa->sin_addr) != 1)
        return cli_usage_error("stat", "--listen takes an IPv4 ADDRESS:PORT (0..65535), not '%s'",
                               text);
    sa->sin_port = htons((uint16_t)port);
    return CLI_OK;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, p, n, MSG_NOSIGNAL);
        if (k <= 0)
            return; /* the scraper went away */
        p += k;
        n -= (size_t)k;
    }
}

static void respond(int fd, const char *status, const char *type, const char *body, size_t n)
{
    char head[256];
    int k = snprintf(head, sizeof head,
                     "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                     "Connection: close\r\n\r\n",
                     status, type, n);
    send_all(fd, head, (size_t)k);
    send_all(fd, body, n);
}

/* Read up to the end of the request head (or a 2 s timeout). */
static ssize_t read_request(int fd, char *buf, size_t cap)
{
    struct timeval tv = {2, 0};
    size_t n = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    while (n + 1 < cap) {
        ssize_t k = recv(fd, buf + n, cap - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
        buf[n] = '\0';
        if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
            return (ssize_t)n;
    }
    buf[n] = '\0';
    return n > 0 ? (ssize_t)n : -1;
}

static void serve_one(int fd, const stat_args *a, prom_region *rs)
{
    char req[STAT_REQUEST_MAX];
    if (read_request(fd, req, sizeof req) < 0)
        return;
    int get = strncmp(req, "GET ", 4) == 0, head = strncmp(req, "HEAD ", 5) == 0;
    if (!get && !head) {
        respond(fd, "405 Method Not Allowed", "text/plain", "GET /metrics\n", 13);
        return;
    }
    const char *path = req + (get ? 4 : 5);
    size_t len = strcspn(path, " ?\r\n");
    if (!((len == 8 && strncmp(path, "/metrics", 8) == 0) || (len == 1 && path[0] == '/'))) {
        respond(fd, "404 Not Found", "text/plain", "GET /metrics\n", 13);
        return;
    }
    char *body = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&body, &n);
    if (m == NULL)
        return;
    write_all(m, a, rs);
    fclose(m);
    respond(fd, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body, head ? 0 : n);
    free(body);
}

static int serve(const stat_args *a, prom_region *rs)
{
    struct sockaddr_in sa;
    socklen_t sl = sizeof sa;
    int one = 1, rc = parse_addr(a->listen, &sa);
    if (rc != CLI_OK)
        return rc;
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 16) != 0 ||
        getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
        cli_error("stat: --listen %s: %s", a->listen, strerror(errno));
        if (ls >= 0)
            close(ls);
        return CLI_ERROR;
    }
    char host[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
    fprintf(stderr, "indexbus stat: serving http://%s:%u/metrics\n", host, ntohs(sa.sin_port));
    cli_catch_stop_signals(NULL);
    while (!cli_stop_requested) {
        struct pollfd p = {.fd = ls, .events = POLLIN};
        if (poll(&p, 1, 200) <= 0)
            continue; /* timeout, or EINTR from a stop signal */
        int fd = accept4(ls, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve_one(fd, a, rs);
        close(fd);
    }
    close(ls);
    return CLI_OK;
}

int cmd_stat(int argc, char **argv)
{
    stat_args a = {0};
    prom_region *rs = NULL;
    int rc;
    if ((a.names = calloc((size_t)argc + 1, sizeof *a.names)) == NULL) {
        cli_error("out of memory");
        return CLI_ERROR;
    }
    rc = cli_parse_all("stat", argc, argv, stat_opts, stat_arg, &a);
    if (rc == CLI_OK && !a.prometheus)
        rc = cli_usage_error("stat", "say the format: --prometheus");
    if (rc == CLI_OK && a.nnames == 0)
        rc = cli_usage_error("stat", "name at least one region");
    if (rc == CLI_OK && (rs = calloc((size_t)a.nnames, sizeof *rs)) == NULL)
        rc = CLI_ERROR;
    for (int i = 0; rc == CLI_OK && i < a.nnames; i++)
        if ((rs[i].s = malloc(sizeof *rs[i].s)) == NULL)
            rc = CLI_ERROR;
    if (rc == CLI_ERROR)
        cli_error("out of memory");
    if (rc == CLI_OK && a.listen != NULL) {
        rc = serve(&a, rs);
    } else if (rc == CLI_OK && write_all(stdout, &a, rs) != 0) {
        for (int i = 0; i < a.nnames; i++)
            if (rs[i].status != INDEXBUS_OK)
                cli_open_error(rs[i].name, rs[i].status);
        rc = CLI_ERROR;
    }
    for (int i = 0; rs != NULL && i < a.nnames; i++)
        free(rs[i].s);
    free(rs);
    free(a.names);
    return rc == CLI_ARG_HELP ? CLI_OK : rc;
}
