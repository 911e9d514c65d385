/*
 * repro_log_head_past_tail.c - deterministic repro of a hostile-input hang
 * (LAYOUT.md 7: whatever the region holds, a call returns a status; found
 * by the fuzzer, test/fuzz/pending/seed-log-live-*): a byte-log producer
 * whose region says head > tail loops for ever in ib_log_reserve
 * (lib/common/logring.c). fits() answers EMPTY ("our tail is stale, read it
 * again") whenever head is past the producer's position; the reserve loop
 * then `continue`s - an SPSC producer with its own position, which it
 * never re-reads, and an MPSC producer with a tail that nobody moves.
 *
 * Three ways to get there, each with a producer opened before the forgery
 * in a child process that then publishes (200 times at most) and is given
 * 3 s (its cached head lets the first ones through):
 *   head forged 3 rings past tail, then an SPSC producer publishes;
 *   tail forged back below head, then an MPSC producer publishes;
 *   a PAD of a whole ring forged at the reader's position: try_recv passes
 *   it (up to a ring, as a full ring would allow) and gives back, moving
 *   head past tail with no forged control word at all; then a publish.
 * Each must return (CORRUPT is the honest answer) instead of hanging.
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_head_past_tail"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-headpast";

static volatile uint32_t *flags; /* [0] child ready, [1] go */

/* A producer of `type` in a child, opened (and its view of head taken)
 * before the region is forged; it publishes once told to. */
static pid_t spawn_producer(uint32_t type)
{
    flags[0] = flags[1] = 0;
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        indexbus_region *r;
        indexbus_producer *p;
        uint8_t buf[64] = {0};
        uint64_t space;
        if (indexbus_region_open(name, NULL, &r) || indexbus_producer_open(r, type, &p) ||
            indexbus_producer_space(p, &space))
            _exit(2);
        __atomic_store_n(&flags[0], 1, __ATOMIC_SEQ_CST);
        repro_wait_flag(&flags[1]);
        int st = INDEXBUS_OK, n = 0;
        while (n < 200 && (st = indexbus_publish(p, buf, 40)) == INDEXBUS_OK) /* past its cached head */
            n++;
        printf("  %s producer: %d publishes OK, then %s\n", type == INDEXBUS_PRODUCER_SPSC ? "SPSC" : "MPSC",
               n, indexbus_status_name(st));
        fflush(stdout);
        _exit(0);
    }
    repro_wait_flag(&flags[0]);
    return pid;
}

/* Let it publish (up to 200 times, until a call does not say OK): 1 if
 * that ended within 3 s. */
static int publish_returns(pid_t pid)
{
    __atomic_store_n(&flags[1], 1, __ATOMIC_SEQ_CST);
    for (int i = 0; i < 300; i++) {
        int status;
        if (waitpid(pid, &status, WNOHANG) == pid)
            return WIFEXITED(status) && WEXITSTATUS(status) == 0;
        usleep(10000);
    }
    printf("  the producer HANGS in publish (killed after 3 s)\n");
    repro_kill(pid);
    return 0;
}

int main(void)
{
    rawlog W;
    int bug = 0, st;
    flags = repro_shared_page();
    for (int k = 0; k < 3; k++) {
        indexbus_region *r = rl_create(name, 4096, 0, &W, 1);
        indexbus_consumer *c;
        indexbus_producer *p;
        uint32_t type = k == 1 ? INDEXBUS_PRODUCER_MPSC : INDEXBUS_PRODUCER_SPSC;
        if ((st = indexbus_consumer_open(r, 0, &c)) || (st = indexbus_producer_open(r, type, &p)))
            die("open", st);
        rl_got g = {0};
        for (uint32_t s = 0; s < 64; s++) /* a whole ring: read at ring offset 0 */
            rl_pub(p, 0, s, 56);
        rl_drain(c, &g);
        indexbus_producer_close(p);
        pid_t pid = spawn_producer(type);
        uint64_t t = rl_tail(&W);
        if (k == 0) {
            printf("head forged past tail (tail %llu, head := tail + 3 rings):\n", (unsigned long long)t);
            rl_st(&W.ctl->head, t + 3 * W.bytes);
        } else if (k == 1) {
            printf("tail forged below head (head %llu, tail := head - 64):\n", (unsigned long long)t);
            rl_st(&W.ctl->tail, t - 64);
        } else {
            printf("a PAD of a whole ring forged at the reader (ring offset 0), no control word touched:\n");
            rl_st(rl_hdr_at(&W, t), RL_WORD(W.bytes, INDEXBUS_LOG_PAD));
            uint8_t buf[64];
            size_t len;
            st = indexbus_try_recv(c, buf, sizeof buf, &len);
            printf("  try_recv %s; now tail %llu read %llu head %llu\n", indexbus_status_name(st),
                   (unsigned long long)rl_tail(&W), (unsigned long long)rl_read(&W),
                   (unsigned long long)rl_head(&W));
        }
        if (!publish_returns(pid))
            bug = 1;
        indexbus_consumer_close(c);
        indexbus_region_close(r);
        rawlog_unmap(&W);
        indexbus_region_unlink(name);
    }
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (a producer loops for ever when head is past tail)"
                                    : "not reproduced (fixed)");
    return bug;
}
