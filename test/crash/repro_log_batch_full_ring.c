/*
 * repro_log_batch_full_ring.c - deterministic repro, no kill and no hostile
 * input: indexbus_recv_batch on a byte log that producers filled to the
 * last byte reads records it has already read.
 *
 * A producer may reserve up to head + ring bytes (lib/common/logring.c,
 * fits: `pos + need - head <= log_bytes`), so a full ring ends exactly at
 * head + log_bytes, i.e. at head's ring offset. The consumer gives read
 * bytes back (zeroes them, moves head) only in batches - a quarter of the
 * ring, or when it finds the ring empty, or at the end of a recv_batch -
 * so the bytes at [head, read) are records it read and has not zeroed yet.
 * recv_batch peeks record after record without giving back in between
 * (ib_log_recv_batch -> ib_log_peek): once it has read up to tail == head +
 * log_bytes it peeks at tail, finds the stale header of a record it read
 * earlier at that ring offset, and delivers it again - and the records
 * after it - moving read past tail. Its give-back then moves head past
 * tail: the next MPSC reservation spins for ever in ib_log_reserve ("tail
 * stale", fits() returns EMPTY while head > tail), an SPSC producer_open
 * returns CORRUPT. The kill campaign hit it as duplicates plus a hang.
 *
 * Here: 3 records waiting and read (copy, borrow: not yet given back), a
 * record that fills the ring exactly to head + 4096, then recv_batch(8).
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REPRO_PROG "repro_log_batch_full_ring"
#include "repro_log.h"

static const char *name = "/ibcrash-repro-log-fullring";
static rawlog W;

static void hang(int sig)
{
    (void)sig;
    static const char m[] = REPRO_PROG ": REPRODUCED (a producer hangs: head was moved past tail)\n";
    if (write(2, m, sizeof m - 1) < 0) {
        /* nothing to do */
    }
    _exit(1);
}

int main(void)
{
    indexbus_region *r = rl_create(name, 4096, 0, &W, 0);
    indexbus_consumer *c;
    indexbus_producer *a;
    int st, bug = 0;
    if ((st = indexbus_consumer_open(r, 0, &c)) || (st = indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &a)))
        die("open", st);
    rl_got g = {0};
    uint32_t s = 0;
    for (; s < 32; s++) /* half a ring, read and given back */
        rl_pub(a, 0, s, 56);
    rl_drain(c, &g);
    /* head == read == tail == 2048: three records read, not given back */
    rl_pub(a, 0, s++, 16);
    rl_pub(a, 0, s++, 24);
    rl_pub(a, 0, s++, 40); /* strides 24 + 32 + 48 = 104 */
    uint8_t buf[4096];
    size_t len;
    const void *d;
    if (indexbus_try_recv(c, buf, sizeof buf, &len) || (rl_note(&g, buf, len), indexbus_recv_begin(c, &d, &len)))
        die("receive", INDEXBUS_CORRUPT);
    rl_note(&g, d, len);
    indexbus_recv_end(c);
    if (indexbus_try_recv(c, buf, sizeof buf, &len))
        die("receive", INDEXBUS_CORRUPT);
    rl_note(&g, buf, len);
    /* fill to head + 4096 exactly: a record of 2048 - 104 = 1944 bytes at
     * 2152 wraps (PAD 1944 + the record at offset 0, stride 2048) */
    uint64_t head = rl_head(&W), tail = rl_tail(&W);
    uint64_t room = head + W.bytes - tail;
    printf("head %llu read %llu tail %llu: %llu bytes of room\n", (unsigned long long)head,
           (unsigned long long)rl_read(&W), (unsigned long long)tail, (unsigned long long)room);
    rl_pub(a, 0, s++, 2040);
    printf("after a 2040-byte record: tail %llu = head + %llu\n", (unsigned long long)rl_tail(&W),
           (unsigned long long)(rl_tail(&W) - head));
    signal(SIGALRM, hang);
    alarm(10);
    uint32_t lens[8];
    size_t count = 0;
    st = indexbus_recv_batch(c, buf, sizeof buf, lens, 8, &count);
    for (size_t i = 0, off = 0; st == INDEXBUS_OK && i < count; off += lens[i++])
        rl_note(&g, buf + off, lens[i]);
    printf("recv_batch(8): %s, %zu record(s) (want 1); tail %llu read %llu head %llu\n",
           indexbus_status_name(st), count, (unsigned long long)rl_tail(&W),
           (unsigned long long)rl_read(&W), (unsigned long long)rl_head(&W));
    bug |= count != 1 || rl_read(&W) != rl_tail(&W);
    /* the ring goes on working */
    for (uint32_t end = s + 40; s < end; s++) {
        rl_pub(a, 0, s, 16 + (s * 37u) % 300u);
        rl_drain(c, &g);
    }
    alarm(0);
    if (!rl_expect_seq("every committed record", &g, 0, 0, s))
        bug = 1;
    if (!rl_ring_clean("ring", &W))
        bug = 1;
    indexbus_producer_close(a);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (recv_batch on a full ring delivered records again and"
                                      " moved read past tail)"
                                    : "not reproduced (fixed)");
    return bug;
}
