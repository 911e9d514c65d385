/*
 * repro_rpc_sweep.c - deterministic repro of a NULL dereference (found by
 * the kill campaign's rpc scenarios, which sweep every quiet region after
 * its round trip): indexbus_region_recover(INDEXBUS_RECOVER_SWEEP) on a
 * request/response region nobody is attached to runs sweep()
 * (lib/liveness/sweep.c), which skips only byte logs (`if (ib_has_log(v))`)
 * and then rebuilds the slot pool: ib_count_free_slots reads
 * v->pool->free_head, but an RPC region has no SLOT_POOL (nor queues):
 * v->pool is NULL, SIGSEGV. The same call is `indexbus recover NAME
 * --sweep`. A quiet rpc region has nothing to sweep: OK. The call runs in
 * a child, so the repro reports the signal.
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define REPRO_PROG "repro_rpc_sweep"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-rpc-sweep";

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_RPC);
    indexbus_region *r = repro_create(name, &cfg);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        indexbus_recover_report rep = {.size = sizeof rep};
        int st = indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep);
        printf("recover(SWEEP) on a quiet rpc region: %s, reclaimed %u\n", indexbus_status_name(st),
               rep.slots_reclaimed);
        _exit(st == INDEXBUS_OK ? 0 : 4);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    int bug = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
    if (WIFSIGNALED(status))
        printf("recover(SWEEP) on a quiet rpc region: killed by signal %d\n", WTERMSIG(status));
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (the sweep of an rpc region crashes or fails)"
                                    : "not reproduced (fixed)");
    return bug;
}
