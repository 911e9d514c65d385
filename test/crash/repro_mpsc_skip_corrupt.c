/*
 * repro_mpsc_skip_corrupt.c - deterministic repro: an MPSC producer killed
 * after reserving a cell (tail CAS) but before filling it leaves the cell
 * for recovery to mark skipped: seq = (pos + 1) | INDEXBUS_MPSC_SKIP. Until
 * the reader passes over it, a producer that comes round to that cell one
 * lap later (queue full) computes dif = (int64_t)(seq - pos) =
 * 2^63 + 1 - capacity, which is POSITIVE, takes the "cell ahead of every
 * reservation" branch in ib_mpsc_push, finds tail == pos and returns
 * INDEXBUS_CORRUPT - where the queue is merely full (FULL is right: once
 * the reader passes the skipped cell the same publish succeeds).
 *
 * The kill point is exact: the producer is single-stepped (ptrace) until the
 * region's MPSC tail moves, then SIGKILLed.
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <indexbus/indexbus.h>

#include "raw.h"
#include "trace.h"
#define REPRO_PROG "repro_mpsc_skip_corrupt"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-skip";
static raw_view W;

static int tail_moved(void *arg) { return raw_ld64(&W.mpsc->tail) != *(uint64_t *)arg; }

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_EVENTS);
    cfg.slot_count = 16;
    cfg.slot_data_size = 64;
    cfg.queue_capacity = 4;
    indexbus_region *r = repro_create_mapped(name, &cfg, &W);
    int st;
    indexbus_consumer *c; /* attached, not reading yet */
    if ((st = indexbus_consumer_open(r, 0, &c)))
        die("consumer_open", st);

    pid_t pid = fork();
    if (pid == 0) {
        indexbus_region *cr;
        indexbus_producer *p;
        if (indexbus_region_open(name, NULL, &cr) || indexbus_producer_open(cr, INDEXBUS_PRODUCER_MPSC, &p))
            _exit(2);
        trace_me_and_stop();
        indexbus_publish(p, "dead", 4);
        _exit(0);
    }
    if (trace_wait_stop(pid))
        die("child did not stop", INDEXBUS_IO);
    uint64_t tail0 = raw_ld64(&W.mpsc->tail);
    long steps = trace_step_until(pid, tail_moved, &tail0, 2000000);
    trace_kill(pid);
    if (steps < 0)
        die("producer never reserved a cell", INDEXBUS_IO);
    printf("MPSC producer killed %ld instructions into publish: tail %llu, cell 0 seq %llu"
           " (reserved, not filled)\n",
           steps, (unsigned long long)raw_ld64(&W.mpsc->tail),
           (unsigned long long)raw_ld64(&W.mpsc_cells[0].seq));
    indexbus_recover_report rep = {.size = sizeof rep};
    indexbus_region_recover(r, 0, &rep);
    printf("recover: dead %u cells_skipped %u slots_reclaimed %u\n", rep.dead, rep.cells_skipped,
           rep.slots_reclaimed);

    indexbus_producer *p;
    if ((st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p)))
        die("producer_open", st);
    for (int i = 1; i < 4; i++)
        if ((st = indexbus_publish(p, "live", 4)))
            die("publish 1..3", st);
    int full = indexbus_publish(p, "more", 4); /* queue full: positions 0 (skipped) .. 3 */
    printf("publish into the full queue: %s (want INDEXBUS_FULL)\n", indexbus_status_name(full));
    char buf[8];
    size_t len;
    int got = 0;
    while (indexbus_try_recv(c, buf, sizeof buf, &len) == INDEXBUS_OK)
        got++;
    int again = indexbus_publish(p, "more", 4);
    printf("consumer read %d messages (passing the skipped cell); the same publish now: %s\n", got,
           indexbus_status_name(again));
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    raw_unmap(&W);
    indexbus_region_unlink(name);
    int bug = full == INDEXBUS_CORRUPT;
    printf("repro_mpsc_skip_corrupt: %s\n",
           bug ? "REPRODUCED (full queue with a skipped head cell reports CORRUPT)"
               : "not reproduced (fixed)");
    return bug;
}
