/*
 * repro_stream_read_corrupt.c - deterministic repro of an API
 * inconsistency under hostile input (found by the fuzzer,
 * fuzz_region.c OP_STREAM_READ on a byte stream: "stream_read -> CORRUPT"
 * with *len > 0). indexbus_stream_read copies and takes whole records
 * until its buffer is full or ib_log_peek fails; read_some
 * (lib/stream/reader.c) then returns CORRUPT if the failure was a bad
 * header, with *got = the bytes already copied and taken from the ring.
 * indexbus_stream_read returns that CORRUPT with *len > 0. The header
 * (indexbus.h) promises OK with *len > 0, or an error with nothing read;
 * a caller that treats CORRUPT as "nothing read" (every binding's error
 * path) silently loses the bytes before the bad record: they were taken
 * and given back. Keeping the promise: return OK with those bytes (the
 * bad header is not passed, so the next read reports CORRUPT with 0
 * bytes), as recv_batch returns OK with the records before a failure.
 *
 * Here: two records written, the second's header forged to an impossible
 * length, one read with room for both.
 *
 * Exit 0 = the bug is gone, 1 = reproduced.
 */
#include <stdio.h>

#define REPRO_PROG "repro_stream_read_corrupt"
#include "rawlog.h"
#include "repro_util.h"

static const char *name = "/ibcrash-repro-stream-corrupt";

int main(void)
{
    indexbus_region_config cfg;
    indexbus_region_config_init(&cfg, INDEXBUS_KIND_STREAM);
    cfg.byte_capacity = 4096;
    cfg.max_record = 64;
    indexbus_region *r = repro_create(name, &cfg);
    rawlog w;
    if (rawlog_map(&w, name, 1))
        die("rawlog map", INDEXBUS_IO);
    indexbus_stream_writer *wr = NULL;
    indexbus_stream_reader *rd = NULL;
    int st;
    size_t n;
    uint8_t buf[256];
    if ((st = indexbus_stream_writer_open(r, &wr)) || (st = indexbus_stream_reader_open(r, &rd)))
        die("open", st);
    if ((st = indexbus_stream_write_all(wr, "0123456789abcdef", 16, 0, &n)) ||
        (st = indexbus_stream_write_all(wr, "ghijklmnopqrstuv", 16, 0, &n)))
        die("write", st);
    /* records at 0 (stride 24) and 24: the second's length past max_record */
    rl_st(rl_hdr_at(&w, 24), RL_WORD(0x7ffffff0u, INDEXBUS_LOG_RECORD));
    n = 0;
    st = indexbus_stream_read(rd, buf, sizeof buf, &n, 0);
    printf("read(cap %zu) over a good record and a forged one: %s, *len %zu\n", sizeof buf,
           indexbus_status_name(st), n);
    int bug = st != INDEXBUS_OK && n != 0;
    size_t n2 = 0;
    int st2 = indexbus_stream_read(rd, buf, sizeof buf, &n2, 0);
    printf("the next read: %s, *len %zu\n", indexbus_status_name(st2), n2);
    indexbus_stream_writer_close(wr);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    rawlog_unmap(&w);
    indexbus_region_unlink(name);
    printf(REPRO_PROG ": %s\n", bug ? "REPRODUCED (an error status with bytes delivered: a caller that"
                                      " trusts the status loses them)"
                                    : "not reproduced (fixed)");
    return bug;
}
