/* harness.c - see harness.h. */
#include "harness.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

int ib_test_failures;

const char *ib_test_name(const char *tag)
{
    static char names[8][64];
    static int next;
    char *n = names[next++ % 8];
    snprintf(n, sizeof(names[0]), "/ibt-%s-%d", tag, (int)getpid());
    indexbus_region_unlink(n);
    return n;
}

indexbus_region *ib_test_create(const char *name, uint32_t kind, uint32_t slots,
                                uint32_t data_size, uint32_t consumers)
{
    indexbus_region_config cfg;
    indexbus_region *r = NULL;
    REQUIRE_OK(indexbus_region_config_init(&cfg, kind));
    if (slots)
        cfg.slot_count = cfg.queue_capacity = slots;
    if (data_size)
        cfg.slot_data_size = data_size;
    if (consumers)
        cfg.consumer_count = consumers;
    int st = indexbus_region_create(name, &cfg, &r);
    if (st != INDEXBUS_OK) {
        fprintf(stderr, "create %s: %s\n", name, indexbus_strerror(st));
        exit(1);
    }
    return r;
}

pid_t ib_spawn(ib_child_fn fn, int arg)
{
    fflush(NULL);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc != 0 ? rc : ib_test_failures != 0);
    }
    return pid;
}

int ib_join(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid) {
        perror("waitpid");
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        fprintf(stderr, "child %d killed by signal %d\n", (int)pid, WTERMSIG(status));
    else
        fprintf(stderr, "child %d exited %d\n", (int)pid, WEXITSTATUS(status));
    return 1;
}

int ib_kill(pid_t pid)
{
    int status;
    kill(pid, SIGKILL);
    if (waitpid(pid, &status, 0) != pid)
        return 0;
    return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

int ib_test_done(const char *test)
{
    if (ib_test_failures) {
        fprintf(stderr, "%s: %d check(s) failed\n", test, ib_test_failures);
        return 1;
    }
    return 0;
}
