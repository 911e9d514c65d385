/*
 * repro_refused_attach.c - deterministic repro: "a refused exclusive attach
 * (BUSY) recovers and retries once" retries only when ITS OWN recovery
 * found a dead participant. If another process is recovering the dead
 * owner at that moment (it holds the dead entry's lock through its probe
 * descriptor for the whole of recover_entry), the refused attach's
 * recovery sees the entry locked, counts it alive, finds nobody dead, and
 * the attach returns BUSY although the role's owner is dead and about to be
 * released. In the campaign this is hit when survivors (blocking waits,
 * router_run) recover concurrently with a replacement's open.
 *
 * Fixed: a recoverer holds the entry's recovery byte while it works
 * (LAYOUT.md 5.13), and a refused attach that finds it held waits for the
 * recovery and tries again.
 *
 * Here a real recoverer process is single-stepped (ptrace) until it holds
 * the dead SPSC producer's entry lock, and left stopped there while a
 * thread attaches; the recoverer is let go 50 ms later.
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <indexbus/indexbus.h>

#include "raw.h"
#include "trace.h"
#define REPRO_PROG "repro_refused_attach"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-refused";
static raw_view W;

typedef struct attacher {
    indexbus_region *r;
    indexbus_producer *p;
    int st;
    int done;
} attacher;

static void *attach_thread(void *arg)
{
    attacher *a = arg;
    a->st = indexbus_producer_open(a->r, INDEXBUS_PRODUCER_SPSC, &a->p);
    __atomic_store_n(&a->done, 1, __ATOMIC_RELEASE);
    return NULL;
}
static int lockfd;
static off_t entry_off;

/* Someone holds the liveness lock byte of the dead entry. */
static int entry_locked(void *arg)
{
    (void)arg;
    struct flock fl = {0};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = entry_off;
    fl.l_len = 1;
    return fcntl(lockfd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
}

int main(void)
{
    volatile uint32_t *flag = repro_shared_page();
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS);
    cfg.slot_count = 16;
    indexbus_region *r = repro_create_mapped(name, &cfg, &W);
    char path[128];
    snprintf(path, sizeof path, "/dev/shm%s", name);
    if ((lockfd = open(path, O_RDWR)) < 0)
        die("open region file", INDEXBUS_IO);

    pid_t owner = fork(); /* the SPSC producer, killed */
    if (owner == 0) {
        indexbus_region *cr;
        indexbus_producer *p;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_producer_open(cr, INDEXBUS_PRODUCER_SPSC, &p))
            _exit(2);
        __atomic_store_n(flag, 1, __ATOMIC_SEQ_CST);
        for (;;)
            pause();
    }
    repro_wait_flag(flag);
    int entry = -1;
    for (int i = 0; i < (int)INDEXBUS_MAX_PARTICIPANTS; i++)
        if (W.parts->entries[i].state && W.parts->entries[i].pid == (uint32_t)owner)
            entry = i;
    entry_off = (off_t)((const uint8_t *)&W.parts->entries[entry] - W.base);
    repro_kill(owner);

    pid_t rec = fork(); /* another participant's recovery, caught holding the entry */
    if (rec == 0) {
        indexbus_region *cr;
        if (indexbus_region_open(name, NULL, &cr))
            _exit(2);
        trace_me_and_stop();
        indexbus_recover_report rep = {.size = sizeof rep};
        indexbus_region_recover(cr, 0, &rep);
        _exit(rep.dead == 1 ? 0 : 4);
    }
    if (trace_wait_stop(rec))
        die("recoverer did not stop", INDEXBUS_IO);
    long steps = trace_step_until(rec, entry_locked, NULL, 5000000);
    if (steps < 0)
        die("recoverer never locked the dead entry", INDEXBUS_IO);
    printf("SPSC producer (entry %d) killed; another process's recovery stopped %ld instructions in,"
           " holding the dead entry's lock\n", entry, steps);

    /* the refused attach runs in a thread; the recovery is let go 50 ms
     * later: a fixed attach is still waiting then, and gets the role */
    attacher a = {.r = r};
    pthread_t th;
    pthread_create(&th, NULL, attach_thread, &a);
    struct timespec ts = {0, 50000000};
    nanosleep(&ts, NULL);
    int waited = !__atomic_load_n(&a.done, __ATOMIC_ACQUIRE);
    printf("producer_open(SPSC) while that recovery is in progress: %s after 50 ms\n",
           waited ? "still waiting" : indexbus_status_name(a.st));
    trace_release(rec);
    int rs;
    waitpid(rec, &rs, 0);
    pthread_join(th, NULL);
    printf("that recovery finished (exit %d); producer_open(SPSC) = %s (want OK)\n",
           WIFEXITED(rs) ? WEXITSTATUS(rs) : -1, indexbus_status_name(a.st));
    if (a.st == INDEXBUS_OK)
        indexbus_producer_close(a.p);
    int bug = !waited || a.st != INDEXBUS_OK;
    indexbus_region_close(r);
    raw_unmap(&W);
    close(lockfd);
    indexbus_region_unlink(name);
    printf("repro_refused_attach: %s\n",
           bug ? "REPRODUCED (refused attach returns BUSY while another process recovers the dead owner)"
               : "not reproduced (fixed)");
    return bug;
}
