/* nats_srv.c - what the bridge section (bridge.c) needs around its
 * measurements: local nats-servers (127.0.0.1, client port -p -1 read back
 * from the ports file, a temporary store, stopped by pid), child programs
 * (the bridge, bench-nats-pub) and the CPU time a process has used. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "bridge.h"

#define SERVER_START_NS 10000000000ull /* ports file written */
#define SERVER_STOP_NS 5000000000ull   /* SIGTERM honoured */

/* ---- programs ---------------------------------------------------------------------- */

static int runnable(const char *path) { return path != NULL && access(path, X_OK) == 0; }

/* `cmd` as an absolute path: itself if it has a '/', else the first of
 * PATH, /usr/sbin, /usr/local/bin that holds it (Debian puts nats-server in
 * /usr/sbin, which a user's PATH may lack). */
static int resolve(const char *cmd, char *buf, size_t cap)
{
    if (cmd == NULL)
        return 0;
    if (strchr(cmd, '/') != NULL) {
        snprintf(buf, cap, "%s", cmd);
        return runnable(buf);
    }
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof(dirs), "%s:/usr/sbin:/usr/local/bin", path ? path : "/usr/bin");
    for (char *p = dirs; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, cap, "%.*s/%s", (int)n, p, cmd);
        if (n > 0 && runnable(buf))
            return 1;
        p += n;
        if (*p == ':')
            p++;
    }
    return 0;
}

static char server_path[1024];

int bridge_available(char *why, size_t cap)
{
    const char *need = NULL;
    if (!resolve(g_opts.nats_server ? g_opts.nats_server : "nats-server", server_path,
                 sizeof(server_path)))
        need = "no nats-server (make deps installs it; or --nats-server PATH)";
    else if (!runnable(g_opts.nats_pub))
        need = "no bench-nats-pub (--nats-pub): libnats was missing when it was built "
               "(make deps installs libnats-dev)";
    else if (!runnable(g_opts.bridge))
        need = "no indexbus-bridge (--bridge): not built (it needs libnats)";
    if (need != NULL)
        snprintf(why, cap, "%s", need);
    return need == NULL;
}

/* ---- children ---------------------------------------------------------------------- */

pid_t spawn(const char *const argv[], int out_fd, const char *log_path)
{
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        warnx_("fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (log_path != NULL) {
            int fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
            if (fd >= 0) {
                dup2(fd, 1);
                dup2(fd, 2);
            }
        }
        if (out_fd >= 0)
            dup2(out_fd, 1);
        execv(argv[0], (char *const *)argv);
        fprintf(stderr, "bench: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    return pid;
}

int child_wait(pid_t pid, uint64_t timeout_ns)
{
    uint64_t deadline = now_ns() + timeout_ns;
    int ws = 0;
    for (;;) {
        pid_t r = waitpid(pid, &ws, WNOHANG);
        if (r == pid)
            return WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
        if (r < 0)
            return -1;
        if (now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, NULL, 0);
            return -1;
        }
        sleep_ns(1000000);
    }
}

int child_exited(pid_t pid, int *status)
{
    int ws = 0;
    if (waitpid(pid, &ws, WNOHANG) != pid)
        return 0;
    *status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    return 1;
}

int child_stop(pid_t pid, uint64_t timeout_ns)
{
    kill(pid, SIGTERM);
    return child_wait(pid, timeout_ns);
}

int run_capture(const char *const argv[], char *out, size_t cap, uint64_t timeout_ns)
{
    int pfd[2];
    if (pipe2(pfd, O_CLOEXEC) != 0)
        return -1;
    pid_t pid = spawn(argv, pfd[1], NULL);
    close(pfd[1]);
    size_t used = 0;
    for (;;) { /* the child's output is one short line: read it to the end */
        ssize_t k = read(pfd[0], out + used, cap - 1 - used);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        used += (size_t)k;
        if (used == cap - 1)
            break;
    }
    out[used] = 0;
    close(pfd[0]);
    return pid < 0 ? -1 : child_wait(pid, timeout_ns);
}

double proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long ut = 0, st = 0;
    if (p == NULL ||
        sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* ---- servers ----------------------------------------------------------------------- */

int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* The client URL out of the server's ports file ({"nats":["nats://..."],...}). */
static int read_ports(const nats_srv *s, char *url, size_t cap)
{
    char path[512], buf[1024];
    snprintf(path, sizeof(path), "%s/nats-server_%d.ports", s->dir, (int)s->pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = 0;
    char *p = strstr(buf, "\"nats\"");
    if (p == NULL || (p = strstr(p, "nats://")) == NULL)
        return -1;
    size_t len = strcspn(p, "\"");
    if (p[len] != '"' || len >= cap)
        return -1;
    snprintf(url, cap, "%.*s", (int)len, p);
    return 0;
}

int nats_start(nats_srv *s, const char *root, const char *name, int cluster_port, int route_port)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->dir, sizeof(s->dir), "%s/%s", root, name);
    if (mkdir(s->dir, 0700) != 0 && errno != EEXIST) {
        warnx_("mkdir %s: %s", s->dir, strerror(errno));
        return -1;
    }
    char store[320], log[320], listen[64], routes[64];
    snprintf(store, sizeof(store), "%s/store", s->dir);
    snprintf(log, sizeof(log), "%s/server.log", s->dir);
    const char *argv[24];
    int n = 0;
    argv[n++] = server_path;
    argv[n++] = "-js";
    argv[n++] = "-a";
    argv[n++] = "127.0.0.1";
    argv[n++] = "-p";
    argv[n++] = "-1";
    argv[n++] = "-sd";
    argv[n++] = store;
    argv[n++] = "--ports_file_dir";
    argv[n++] = s->dir;
    if (cluster_port != 0) { /* a JetStream cluster: named servers, routes */
        snprintf(listen, sizeof(listen), "nats://127.0.0.1:%d", cluster_port);
        snprintf(routes, sizeof(routes), "nats://127.0.0.1:%d", route_port);
        argv[n++] = "-n";
        argv[n++] = name;
        argv[n++] = "--cluster_name";
        argv[n++] = "ibbench";
        argv[n++] = "--cluster";
        argv[n++] = listen;
        argv[n++] = "--routes";
        argv[n++] = routes;
    }
    argv[n] = NULL;
    s->pid = spawn(argv, -1, log);
    if (s->pid < 0)
        return -1;
    uint64_t deadline = now_ns() + SERVER_START_NS;
    while (read_ports(s, s->url, sizeof(s->url)) != 0) {
        int st;
        if (child_exited(s->pid, &st) || now_ns() > deadline) {
            warnx_("nats-server did not start (see %s)", log);
            nats_stop(s);
            return -1;
        }
        sleep_ns(10000000);
    }
    return 0;
}

void nats_stop(nats_srv *s)
{
    if (s->pid > 0)
        child_stop(s->pid, SERVER_STOP_NS);
    s->pid = 0;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void rm_tree(const char *dir) { nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS); }
