/*
 * repro_rpc_consumer_stats.c - deterministic repro of a NULL dereference
 * (found by the kill campaign's rpc scenarios, whose iteration start asks
 * every region for its consumer stats): indexbus_region_consumer_stats on
 * a request/response region (consumer_count 1, index 0 valid) falls to the
 * events branch of lib/region/info.c (`stats->depth =
 * ib_spsc_depth(v->spsc, ...) + ib_mpsc_depth(v->mpsc, ...)`), but an RPC
 * region has no SPSC or MPSC queue: v->spsc is NULL, SIGSEGV. A public call
 * on a valid region must give a status (0 depth, or WRONG_KIND), never a
 * crash. The call runs in a child, so the repro reports the signal.
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPRO_PROG "repro_rpc_consumer_stats"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-rpc-cstats";

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC);
    indexbus_region *r = repro_create(name, &cfg);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        indexbus_consumer_stats cs = {.size = sizeof cs};
        int st = indexbus_region_consumer_stats(r, 0, &cs);
        printf("consumer_stats(0) on an rpc region: %s, depth %llu\n", indexbus_status_name(st),
               (unsigned long long)cs.depth);
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int bug = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (WIFSIGNALED(status))
        printf("consumer_stats(0) on an rpc region: killed by signal %d\n", WTERMSIG(status));
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (indexbus_region_consumer_stats crashes on an rpc region)"
                                    : "not reproduced (fixed)");
    return bug;
}
