/* stream-seeds.c - the tests of seed 003 (rusm_otp's bounded byte stream)
 * against the C API, the writer and the reader in separate processes:
 * back-pressure until the reader drains (a stream that holds one write:
 * the second is still pending after 20 ms and completes after a read),
 * end of stream after the writer drops, a write that fails once the
 * reader is gone, and a cloned writer feeding the same stream, which ends
 * only after both writers drop. */
#include <unistd.h>

#include "mp_util.h"

#define CHUNK 2040u /* the largest record of a 4 KiB ring: two fill it */

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

static indexbus_region *create(const char *name)
{
    return mp_create_ring(name, INDEXBUS_KIND_STREAM, 4096, 0);
}

/* A writer process: fills the stream with two chunks of '1', then writes a
 * chunk of '2' (blocking), telling the parent when each is done. */
static int pressing_writer(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_stream_writer *w;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    static uint8_t one[2 * CHUNK], two[CHUNK];
    memset(one, '1', sizeof one);
    memset(two, '2', sizeof two);
    size_t done;
    REQUIRE_OK(indexbus_stream_write_all(w, one, sizeof one, MP_HANG_NS, &done));
    mp_store(&g_ctl->counter[0], 1); /* the first write is in */
    int st = indexbus_stream_write_all(w, two, sizeof two, MP_HANG_NS, &done);
    mp_store(&g_ctl->counter[1], st == INDEXBUS_OK && done == CHUNK ? 1 : 2);
    indexbus_stream_writer_close(w);
    indexbus_region_close(r);
    return 0;
}

/* writer_applies_backpressure_until_the_reader_drains */
static void backpressure(void)
{
    g_name = ib_test_name("seed3-bp");
    g_ctl = mp_ctl_new();
    indexbus_region *r = create(g_name);
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    pid_t pid = ib_spawn(pressing_writer, 0);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == 1);
    usleep(20000);
    CHECK(mp_load(&g_ctl->counter[1]) == 0); /* still pending: the stream is full */
    static uint8_t buf[2 * CHUNK];
    size_t n = 0, got = 0;
    while (got < CHUNK) { /* a read frees room for the second write */
        CHECK_ST(indexbus_stream_read(rd, buf + got, CHUNK - got, &n, MP_HANG_NS), INDEXBUS_OK);
        got += n;
    }
    MP_WAIT(mp_load(&g_ctl->counter[1]) != 0);
    CHECK(mp_load(&g_ctl->counter[1]) == 1);
    got = 0;
    for (;;) {
        int st = indexbus_stream_read(rd, buf, sizeof buf, &n, MP_HANG_NS);
        if (st != INDEXBUS_OK) {
            CHECK_ST(st, INDEXBUS_DISCONNECTED);
            break;
        }
        for (size_t i = 0; i < n; i++)
            CHECK(buf[i] == (got + i < CHUNK ? '1' : '2'));
        got += n;
    }
    CHECK(got == 2 * CHUNK);
    CHECK(ib_join(pid) == 0);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* A writer process: writes `arg` as one byte ('0' + arg), then drops. With
 * g_ctl->counter[2] set it first waits for its clone to have written. */
static int one_byte_writer(int arg)
{
    indexbus_region *r;
    indexbus_stream_writer *w;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    mp_inc(&g_ctl->counter[3]); /* joined */
    char c = (char)('0' + arg);
    size_t n;
    REQUIRE_OK(indexbus_stream_write_all(w, &c, 1, MP_HANG_NS, &n));
    mp_child_phase(g_ctl, (uint32_t)arg); /* drop when the parent says */
    indexbus_stream_writer_close(w);
    indexbus_region_close(r);
    return 0;
}

/* read_returns_none_after_the_writer_drops, and
 * a_cloned_writer_fans_into_the_same_stream (n = 2). */
static void end_after_writers_drop(int n)
{
    g_name = ib_test_name("seed3-eos");
    g_ctl = mp_ctl_new();
    indexbus_region *r = create(g_name);
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    pid_t pids[2];
    for (int i = 0; i < n; i++)
        pids[i] = ib_spawn(one_byte_writer, i + 1);
    MP_WAIT(mp_load(&g_ctl->counter[3]) == (uint32_t)n);
    char got[2] = {0, 0};
    size_t k = 0, len;
    while (k < (size_t)n) {
        CHECK_ST(indexbus_stream_read(rd, got + k, 2 - k, &len, MP_HANG_NS), INDEXBUS_OK);
        k += len;
    }
    CHECK(n == 1 ? got[0] == '1' : (got[0] == '1' && got[1] == '2') || (got[0] == '2' && got[1] == '1'));
    mp_phase_start(g_ctl, 1); /* the first writer drops */
    CHECK(ib_join(pids[0]) == 0);
    char more;
    if (n == 2) /* the clone is still there: no end yet */
        CHECK_ST(indexbus_stream_read(rd, &more, 1, &len, 20000000), INDEXBUS_TIMEOUT);
    mp_phase_start(g_ctl, 2);
    if (n == 2)
        CHECK(ib_join(pids[1]) == 0);
    CHECK_ST(indexbus_stream_read(rd, &more, 1, &len, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    uint32_t flags, aborted;
    CHECK_ST(indexbus_stream_state(r, &flags, &aborted), INDEXBUS_OK);
    CHECK(flags == INDEXBUS_STREAM_ENDED && aborted == 0); /* ended cleanly */
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* A reader process that drops the read end at once. */
static int dropping_reader(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    return 0;
}

/* write_fails_once_the_reader_is_gone: the write is refused whole (the
 * seed hands the chunk back; here nothing of it is written). */
static void reader_gone(void)
{
    g_name = ib_test_name("seed3-gone");
    g_ctl = mp_ctl_new();
    indexbus_region *r = create(g_name);
    indexbus_stream_writer *w;
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    CHECK(ib_join(ib_spawn(dropping_reader, 0)) == 0);
    size_t n = 9;
    CHECK_ST(indexbus_stream_write(w, "x", 1, &n), INDEXBUS_DISCONNECTED);
    CHECK(n == 0);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.bytes_used == 0);
    indexbus_stream_writer_close(w);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

static const ib_helper helpers[] = {IB_HELPER(pressing_writer), IB_HELPER(one_byte_writer),
                                    IB_HELPER(dropping_reader), {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    backpressure();
    end_after_writers_drop(1);
    end_after_writers_drop(2);
    reader_gone();
    return ib_test_done("stream-seeds");
}
