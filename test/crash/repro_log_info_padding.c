/*
 * repro_log_info_padding.c - deterministic repro of a hostile-input info
 * inconsistency (found by the live-rogue test, log-headers: "info: byte
 * capacity 16384, used 16384, free 0, padding 25472"): indexbus_info's
 * bytes_padding is "of the unread bytes, padding", so at most bytes_used
 * and the ring, but ib_log_scan (lib/common/logring.c) adds up what
 * ib_log_peek passes, and one peek may pass PADs up to a ring past where
 * the walk started and then one more PAD: a forged PAD (here one of a
 * whole ring, after the reader's wrap PAD) makes bytes_padding exceed
 * bytes_used and byte_capacity. Clamping the walk's padding to tail - read
 * (the unread bytes it walks) keeps the promise.
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPRO_PROG "repro_log_info_padding"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-infopad";

int main(void)
{
    rawlog W;
    indexbus_region *r = rl_create(name, 4096, 0, &W, 1);
    indexbus_consumer *c = NULL;
    indexbus_producer *p = NULL;
    int st;
    if ((st = indexbus_consumer_open(r, 0, &c)) || (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p)))
        die("open", st);
    rl_got g = {0};
    rl_pub(p, 0, 0, 2040); /* stride 2048 */
    rl_pub(p, 0, 1, 2032); /* stride 2040: tail 4088 */
    rl_drain(c, &g);
    rl_pub(p, 0, 2, 16); /* PAD 8 at 4088, the record at 4096 */
    rl_st(rl_hdr_at(&W, 4096), RL_WORD(W.bytes, INDEXBUS_LOG_PAD)); /* forged: a PAD of a whole ring */
    indexbus_info info = {.size = sizeof info};
    if ((st = indexbus_region_info(r, &info)))
        die("info", st);
    printf("read %llu tail %llu: info byte capacity %llu, used %llu, padding %llu, records waiting %llu\n",
           (unsigned long long)rl_read(&W), (unsigned long long)rl_tail(&W),
           (unsigned long long)info.byte_capacity, (unsigned long long)info.bytes_used,
           (unsigned long long)info.bytes_padding, (unsigned long long)info.records_waiting);
    int bug = info.bytes_padding > info.bytes_used || info.bytes_padding > info.byte_capacity;
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    rawlog_unmap(&W);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (bytes_padding more than the unread bytes and the ring)"
                                    : "not reproduced (fixed)");
    return bug;
}
