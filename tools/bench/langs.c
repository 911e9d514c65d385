/* langs.c - the binding benches: one program per language (lang_c.c,
 * bindings/go/cmd/indexbus-bench, io.indexbus.bench.Bench in the Java jar,
 * bindings/rust/indexbus/examples/bench.rs, tools/bench/lang_cxx.cpp,
 * bindings/python/examples/bench.py), each run here as a child
 * process with the same arguments
 *     NAME SIZE BATCH WARMUP COUNT
 * and each doing the same thing: create events region NAME, attach an SPSC
 * producer and the consumer in the one process, then alternate publishing
 * BATCH messages of SIZE bytes (publish for 1, publish_batch otherwise)
 * and receiving them (try_recv / recv_batch), WARMUP messages untimed then
 * COUNT timed. Each prints one JSON line with "msgs_per_s" (wall clock)
 * and "msgs_per_cpu_s" (the CPU clock of the thread running the loop; the
 * Go goroutine is locked to its thread). The ratios use the CPU figure:
 * the loops are single-threaded and allocate nothing (so a runtime's GC
 * and JIT threads are idle once warm), and on a shared machine the wall
 * clock also counts the time other load preempted them. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

#define LANG_TIMEOUT_NS 120000000000ull

static int exists(const char *path) { return path != NULL && access(path, R_OK) == 0; }

/* Is `cmd` runnable (an absolute path, or found on PATH)? */
static int on_path(const char *cmd)
{
    if (cmd == NULL)
        return 0;
    if (strchr(cmd, '/') != NULL)
        return access(cmd, X_OK) == 0;
    const char *path = getenv("PATH");
    if (path == NULL)
        return 0;
    char buf[4096];
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, p, cmd);
        if (access(buf, X_OK) == 0)
            return 1;
        p += n;
        if (*p == ':')
            p++;
    }
    return 0;
}

int lang_available(const char *lang, char *why, size_t cap)
{
    const char *need = NULL;
    if (strcmp(lang, "c") == 0)
        need = exists(g_opts.lang_c) ? NULL : "the C bench program (--lang-c)";
    else if (strcmp(lang, "go") == 0)
        need = exists(g_opts.lang_go) ? NULL : "the Go bench program (--go)";
    else if (strcmp(lang, "rust") == 0)
        need = exists(g_opts.lang_rust) ? NULL : "the Rust bench example (--rust)";
    else if (strcmp(lang, "cxx") == 0)
        need = exists(g_opts.lang_cxx) ? NULL : "the C++ bench program (--cxx)";
    else if (strcmp(lang, "python") == 0)
        need = !exists(g_opts.python_bench) ? "the Python bench script (--python-bench)"
               : !on_path(g_opts.python)   ? "a python with the indexbus package (--python)"
                                            : NULL;
    else if (strcmp(lang, "java") == 0)
        need = !exists(g_opts.java_jar) ? "the Java jar (--java-jar)"
               : !on_path(g_opts.java)  ? "a java command"
                                        : NULL;
    else
        need = "a known language";
    if (need != NULL)
        snprintf(why, cap, "%s: no %s", lang, need);
    return need == NULL;
}

/* Pull "key": <number> out of the program's output. */
static int parse_rate(const char *out, const char *key, double *rate)
{
    const char *p = strstr(out, key);
    if (p == NULL || (p = strchr(p, ':')) == NULL)
        return -1;
    char *end;
    *rate = strtod(p + 1, &end);
    return end == p + 1 || *rate <= 0 ? -1 : 0;
}

int lang_run(const char *lang, uint32_t size, uint32_t batch, double *per_cpu_s, double *per_s)
{
    char name[128], a_size[16], a_batch[16], a_warm[32], a_count[32];
    region_name(name, sizeof(name), lang);
    snprintf(a_size, sizeof(a_size), "%u", size);
    snprintf(a_batch, sizeof(a_batch), "%u", batch);
    snprintf(a_warm, sizeof(a_warm), "%llu", (unsigned long long)g_opts.lang_warmup);
    snprintf(a_count, sizeof(a_count), "%llu", (unsigned long long)g_opts.lang_count);
    const char *argv[16];
    int n = 0;
    if (strcmp(lang, "java") == 0) {
        argv[n++] = g_opts.java;
        argv[n++] = "-cp";
        argv[n++] = g_opts.java_jar;
        argv[n++] = "io.indexbus.bench.Bench";
    } else if (strcmp(lang, "c") == 0) {
        argv[n++] = g_opts.lang_c;
    } else if (strcmp(lang, "go") == 0) {
        argv[n++] = g_opts.lang_go;
    } else if (strcmp(lang, "cxx") == 0) {
        argv[n++] = g_opts.lang_cxx;
    } else if (strcmp(lang, "python") == 0) {
        argv[n++] = g_opts.python;
        argv[n++] = g_opts.python_bench;
    } else {
        argv[n++] = g_opts.lang_rust;
    }
    argv[n++] = name;
    argv[n++] = a_size;
    argv[n++] = a_batch;
    argv[n++] = a_warm;
    argv[n++] = a_count;
    argv[n] = NULL;

    int pfd[2];
    if (pipe(pfd) != 0)
        die("pipe: %s", strerror(errno));
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        die("fork: %s", strerror(errno));
    if (pid == 0) {
        dup2(pfd[1], 1);
        close(pfd[0]);
        close(pfd[1]);
        execvp(argv[0], (char *const *)argv);
        fprintf(stderr, "bench: exec %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    char out[8192];
    size_t used = 0;
    uint64_t deadline = now_ns() + LANG_TIMEOUT_NS;
    for (;;) {
        struct pollfd pf = {.fd = pfd[0], .events = POLLIN};
        if (now_ns() > deadline)
            break;
        if (poll(&pf, 1, 500) == 0)
            continue;
        ssize_t k = read(pfd[0], out + used, sizeof(out) - 1 - used);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            break;
        used += (size_t)k;
        if (used == sizeof(out) - 1)
            break;
    }
    out[used] = 0;
    close(pfd[0]);
    int ws = 0;
    while (waitpid(pid, &ws, WNOHANG) == 0) {
        if (now_ns() > deadline) {
            kill(pid, SIGKILL);
            waitpid(pid, &ws, 0);
            break;
        }
        sleep_ns(1000000);
    }
    indexbus_region_unlink(name); /* in case the program died before it could */
    if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0) {
        warnx_("%s bench (batch %u) failed (status %d): %s", lang, batch,
               WIFEXITED(ws) ? WEXITSTATUS(ws) : -1, out);
        return 1;
    }
    if (parse_rate(out, "\"msgs_per_cpu_s\"", per_cpu_s) != 0 ||
        parse_rate(out, "\"msgs_per_s\"", per_s) != 0) {
        warnx_("%s bench printed no msgs_per_cpu_s / msgs_per_s: %s", lang, out);
        return 1;
    }
    if (g_opts.verbose)
        fprintf(stderr, "  %s", out);
    return 0;
}
