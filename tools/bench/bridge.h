/*
 * bridge.h - the bridge section of indexbus-bench (`--only bridge`):
 * indexbus-bridge against real local nats-servers.
 *   nats_srv.c  the servers, child programs, process CPU time
 *   bridge.c    the measurements and the section's plan
 *   nats_pub.c  bench-nats-pub, a separate program linking libnats: the
 *               plain cnats JetStream publisher and a readiness probe
 * Not part of the quick run (CI): only a run that names it or a full run.
 */
#ifndef IB_BENCH_BRIDGE_H
#define IB_BENCH_BRIDGE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether nats-server, bench-nats-pub and indexbus-bridge are all there;
 * if not, why (for the skip message). Resolves nats-server's path. */
int bridge_available(char *why, size_t cap);

/* ---- child programs (nats_srv.c) ---------------------------------------------- */

/* fork + execv argv (argv[0] a path). out_fd >= 0 becomes its stdout; with
 * log_path its stdout and stderr go to that file. -1 if fork failed. */
pid_t spawn(const char *const argv[], int out_fd, const char *log_path);
/* Its exit status (128 + signal if killed), waiting at most timeout_ns,
 * then SIGKILL and -1. */
int child_wait(pid_t pid, uint64_t timeout_ns);
/* 1 and *status if it has ended (reaped), else 0. */
int child_exited(pid_t pid, int *status);
/* SIGTERM, then child_wait. */
int child_stop(pid_t pid, uint64_t timeout_ns);
/* Run argv to its end, its stdout into out (NUL-terminated); its status. */
int run_capture(const char *const argv[], char *out, size_t cap, uint64_t timeout_ns);
/* User + system CPU seconds of a live process (/proc), -1 if unknown. */
double proc_cpu_s(pid_t pid);

/* ---- servers (nats_srv.c) ------------------------------------------------------ */

typedef struct nats_srv {
    pid_t pid;
    char dir[256]; /* store, ports file and log */
    char url[128]; /* nats://127.0.0.1:PORT from the ports file */
} nats_srv;

/* A free loopback TCP port (bound and closed: the cluster listen port a
 * second server's routes must name before the first has started). */
int free_port(void);
/* nats-server -js on 127.0.0.1, client port -p -1, store in root/name.
 * cluster_port 0: standalone; else a JetStream cluster member named `name`
 * listening for routes on cluster_port (-1: any) with routes to route_port. */
int nats_start(nats_srv *s, const char *root, const char *name, int cluster_port, int route_port);
void nats_stop(nats_srv *s); /* by pid: SIGTERM, then SIGKILL */
void rm_tree(const char *dir);

/* ---- the section (bridge.c) ----------------------------------------------------- */

void bridge_section(void);

#endif /* IB_BENCH_BRIDGE_H */
