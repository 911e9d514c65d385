/*
 * repro_log_forged_router.c - deterministic repro of a hostile-input crash
 * (LAYOUT.md 7; found by the live-rogue test, `mixed` on a byte log, an
 * UBSan report "member access within null pointer of type 'struct
 * indexbus_mpsc_ctl'" in every process that recovered): a participant
 * entry forged ACTIVE with role ROUTER in a byte-log region. Nobody holds
 * its lock, so recovery takes it for dead, and recover_entry
 * (lib/liveness/recover.c) settles the MPSC head a dead router may have
 * been moving - `ib_mpsc_settle_head(v->mpsc, ...)` - but a byte log has
 * no MPSC queue: v->mpsc is NULL, and the recoverer (an explicit recover,
 * a refused attach, a park loop) crashes.
 *
 * The forged entry is written through a writable mapping; the recovery
 * runs in a child. Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_forged_router"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-router";

int main(void)
{
    rawlog W;
    indexbus_region *r = rl_create(name, 4096, 0, &W, 1);
    indexbus_participant *e = &W.parts->entries[7]; /* a free entry, forged */
    e->role = INDEXBUS_ROLE_ROUTER;
    e->pid = 0x7ffffff0u;
    __atomic_store_n(&e->state, INDEXBUS_PARTICIPANT_ACTIVE, __ATOMIC_RELEASE);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        indexbus_recover_report rep = {.size = sizeof rep};
        int st = indexbus_region_recover(r, 0, &rep);
        printf("recover: %s, dead %u\n", indexbus_status_name(st), rep.dead);
        fflush(stdout);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    int bug = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    if (bug)
        printf("the recovering process %s %d\n", WIFSIGNALED(status) ? "died of signal" : "exited with",
               WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    indexbus_region_close(r);
    rawlog_unmap(&W);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (recovery of a forged router entry in a byte log"
                                      " dereferences the missing MPSC queue)"
                                    : "not reproduced (fixed)");
    return bug;
}
