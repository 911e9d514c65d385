/* stream.c - byte streams (LAYOUT.md 4.10, 5.18): write what fits, reads
 * in pieces, the read end handed over, end of stream and reader-gone
 * latched, write_all all-or-nothing up to max_record, seats, and writers
 * and readers in separate processes, killed ones included. */
#include <signal.h>
#include <unistd.h>

#include "mp_util.h"

#define KIB 1024u
#define FRAME 100u /* multi-writer frames: one write_all each, so never split */

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

static indexbus_region *create(const char *name, uint64_t bytes, uint32_t max_record)
{
    return mp_create_ring(name, INDEXBUS_KIND_STREAM, bytes, max_record);
}

static void state_is(indexbus_region *r, uint32_t want_flags, uint32_t want_aborted)
{
    uint32_t flags = 99, aborted = 99;
    CHECK_ST(indexbus_stream_state(r, &flags, &aborted), INDEXBUS_OK);
    if (flags != want_flags || aborted != want_aborted)
        fprintf(stderr, "state: flags %u aborted %u, want %u %u\n", flags, aborted, want_flags,
                want_aborted);
    CHECK(flags == want_flags && aborted == want_aborted);
}

/* Read exactly n bytes (in as many reads as it takes) into buf. */
static int read_exact(indexbus_stream_reader *rd, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        size_t k = 0;
        int st = indexbus_stream_read(rd, buf + got, n - got, &k, MP_HANG_NS);
        if (st != INDEXBUS_OK)
            return st;
        got += k;
    }
    return INDEXBUS_OK;
}

static void basics(void)
{
    const char *name = ib_test_name("stream-basics");
    indexbus_region *r = create(name, 4 * KIB, 0);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.kind == INDEXBUS_KIND_STREAM && info.layout_minor == 1);
    CHECK((info.capabilities & INDEXBUS_CAP_BYTE_STREAM) && info.max_record == 2040);
    indexbus_producer *p;
    indexbus_consumer *c;
    CHECK_ST(indexbus_producer_open(r, INDEXBUS_PRODUCER_MPSC, &p), INDEXBUS_WRONG_KIND);
    CHECK_ST(indexbus_consumer_open(r, 0, &c), INDEXBUS_WRONG_KIND);
    indexbus_stream_writer *w;
    indexbus_stream_reader *rd, *rd2;
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    CHECK_ST(indexbus_stream_reader_open(r, &rd2), INDEXBUS_BUSY);
    uint8_t out[64];
    size_t n = 7;
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, 0), INDEXBUS_EMPTY);
    CHECK(n == 0);
    CHECK_ST(indexbus_stream_write(w, "", 0, &n), INDEXBUS_OK);
    CHECK(n == 0);
    CHECK_ST(indexbus_stream_write(w, "hello", 5, &n), INDEXBUS_OK);
    CHECK(n == 5);
    CHECK_ST(indexbus_stream_write(w, " world", 6, &n), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_read(rd, out, 3, &n, 0), INDEXBUS_OK);
    CHECK(n == 3 && memcmp(out, "hel", 3) == 0);
    /* no message boundaries: the rest of one write and the next together */
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, 0), INDEXBUS_OK);
    CHECK(n == 8 && memcmp(out, "lo world", 8) == 0);
    state_is(r, 0, 0);
    CHECK_ST(indexbus_stream_write(NULL, "x", 1, &n), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_stream_read(rd, NULL, 1, &n, 0), INDEXBUS_INVALID_ARGUMENT);
    CHECK_ST(indexbus_stream_read(rd, out, 0, &n, 0), INDEXBUS_INVALID_ARGUMENT);
    indexbus_stream_writer_close(w);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
    /* the wrong kind the other way round */
    name = ib_test_name("stream-kind");
    r = mp_create_log(name, 4 * KIB, 0);
    CHECK_ST(indexbus_stream_writer_open(r, &w), INDEXBUS_WRONG_KIND);
    CHECK_ST(indexbus_stream_reader_open(r, &rd), INDEXBUS_WRONG_KIND);
    uint32_t flags;
    CHECK_ST(indexbus_stream_state(r, &flags, NULL), INDEXBUS_WRONG_KIND);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* write takes what fits, one contiguous run at most half the ring. */
static void write_what_fits(void)
{
    const char *name = ib_test_name("stream-fits");
    indexbus_region *r = create(name, 4 * KIB, 0); /* max_record 2040 */
    indexbus_stream_writer *w;
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    static uint8_t src[10000], out[10000];
    mp_fill(src, 5, 0, sizeof src);
    size_t n1 = 0, n2 = 0, n3 = 9;
    CHECK_ST(indexbus_stream_write(w, src, sizeof src, &n1), INDEXBUS_OK);
    CHECK(n1 == 2040); /* half the ring: one record of 8 + 2040 */
    CHECK_ST(indexbus_stream_write(w, src + n1, sizeof src - n1, &n2), INDEXBUS_OK);
    CHECK(n2 == 2040);
    CHECK_ST(indexbus_stream_write(w, src + n1 + n2, sizeof src - n1 - n2, &n3), INDEXBUS_FULL);
    CHECK(n3 == 0);
    CHECK_ST(read_exact(rd, out, n1 + n2), INDEXBUS_OK);
    CHECK(memcmp(out, src, n1 + n2) == 0);
    size_t k = 9;
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &k, 0), INDEXBUS_EMPTY);
    /* write_all up to max_record: all or nothing. Fill to 8 bytes short */
    size_t done = 0;
    CHECK_ST(indexbus_stream_write_all(w, src, 2040, MP_HANG_NS, &done), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_write_all(w, src, 2032, MP_HANG_NS, &done), INDEXBUS_OK);
    CHECK(done == 2032);
    CHECK_ST(indexbus_stream_write_all(w, src, 1, 1000000, &done), INDEXBUS_TIMEOUT);
    CHECK(done == 0);
    /* longer than max_record: pieces, and TIMEOUT says exactly how much */
    CHECK_ST(read_exact(rd, out, 2040), INDEXBUS_OK); /* frees 2048 */
    CHECK_ST(indexbus_stream_write_all(w, src, 5000, 1000000, &done), INDEXBUS_TIMEOUT);
    CHECK(done == 2040);
    CHECK_ST(read_exact(rd, out, 2032 + 2040), INDEXBUS_OK);
    CHECK(memcmp(out, src, 2032) == 0 && memcmp(out + 2032, src, 2040) == 0);
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &k, 0), INDEXBUS_EMPTY);
    indexbus_stream_writer_close(w);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* The read end handed over mid-record: the next reader goes on at the
 * very next byte. */
static void hand_over(void)
{
    const char *name = ib_test_name("stream-handover");
    indexbus_region *r = create(name, 4 * KIB, 0);
    indexbus_stream_writer *w;
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    uint8_t src[100], out[100];
    mp_fill(src, 6, 0, sizeof src);
    size_t n;
    CHECK_ST(indexbus_stream_write(w, src, 100, &n), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_read(rd, out, 30, &n, 0), INDEXBUS_OK);
    CHECK(n == 30);
    CHECK_ST(indexbus_stream_reader_release(rd), INDEXBUS_OK);
    state_is(r, 0, 0); /* handed over, not gone: writes go on */
    CHECK_ST(indexbus_stream_write(w, src, 10, &n), INDEXBUS_OK);
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    CHECK_ST(read_exact(rd, out + 30, 70), INDEXBUS_OK);
    CHECK(memcmp(out, src, 100) == 0);
    CHECK_ST(read_exact(rd, out, 10), INDEXBUS_OK);
    CHECK(memcmp(out, src, 10) == 0);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.stream_bytes_read == 110);
    indexbus_stream_writer_close(w);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* End of stream and reader-gone are latched. */
static void latches(void)
{
    const char *name = ib_test_name("stream-latch");
    indexbus_region *r = create(name, 4 * KIB, 0);
    indexbus_stream_writer *w, *w2;
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    uint8_t out[16];
    size_t n;
    /* a reader before any writer waits: no end yet */
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, 20000000), INDEXBUS_TIMEOUT);
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    CHECK_ST(indexbus_stream_write(w, "abc", 3, &n), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_writer_close(w), INDEXBUS_OK);
    state_is(r, INDEXBUS_STREAM_ENDED, 0);
    CHECK_ST(indexbus_stream_writer_open(r, &w2), INDEXBUS_DISCONNECTED); /* no reopening */
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, MP_HANG_NS), INDEXBUS_OK);
    CHECK(n == 3 && memcmp(out, "abc", 3) == 0);
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, 0), INDEXBUS_DISCONNECTED);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(name);

    name = ib_test_name("stream-gone");
    r = create(name, 4 * KIB, 0);
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    CHECK_ST(indexbus_stream_reader_close(rd), INDEXBUS_OK);
    state_is(r, INDEXBUS_STREAM_READER_GONE, 0);
    n = 9;
    CHECK_ST(indexbus_stream_write(w, "x", 1, &n), INDEXBUS_DISCONNECTED);
    CHECK(n == 0);
    CHECK_ST(indexbus_stream_write_all(w, "x", 1, MP_HANG_NS, &n), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_stream_writer_open(r, &w2), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_stream_reader_open(r, &rd), INDEXBUS_DISCONNECTED);
    indexbus_stream_writer_close(w);
    state_is(r, INDEXBUS_STREAM_READER_GONE | INDEXBUS_STREAM_ENDED, 0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* A writer that gives up (abort) ends the stream as one that died would:
 * ABORTED, counted, at once; what it wrote is still read. */
static void writer_abort(void)
{
    const char *name = ib_test_name("stream-abort");
    indexbus_region *r = create(name, 4 * KIB, 0);
    indexbus_stream_writer *w, *w2;
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    REQUIRE_OK(indexbus_stream_writer_open(r, &w2));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    size_t n;
    CHECK_ST(indexbus_stream_write(w, "part", 4, &n), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_writer_abort(w), INDEXBUS_OK);
    state_is(r, INDEXBUS_STREAM_ABORTED, 1); /* the other writer is still there */
    CHECK_ST(indexbus_stream_writer_close(w2), INDEXBUS_OK);
    state_is(r, INDEXBUS_STREAM_ENDED | INDEXBUS_STREAM_ABORTED, 1);
    char out[8];
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, 0), INDEXBUS_OK);
    CHECK(n == 4 && memcmp(out, "part", 4) == 0);
    CHECK_ST(indexbus_stream_read(rd, out, sizeof out, &n, 0), INDEXBUS_DISCONNECTED);
    CHECK_ST(indexbus_stream_writer_abort(NULL), INDEXBUS_OK);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* 48 writer seats; the 49th is BUSY, and a seat freed is reusable. */
static void seats(void)
{
    const char *name = ib_test_name("stream-seats");
    indexbus_region *r = create(name, 4 * KIB, 0);
    indexbus_stream_writer *w[INDEXBUS_STREAM_SEATS], *extra;
    for (uint32_t i = 0; i < INDEXBUS_STREAM_SEATS; i++)
        CHECK_ST(indexbus_stream_writer_open(r, &w[i]), INDEXBUS_OK);
    CHECK_ST(indexbus_stream_writer_open(r, &extra), INDEXBUS_BUSY);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.stream_writers == INDEXBUS_STREAM_SEATS);
    indexbus_stream_writer_close(w[7]);
    CHECK_ST(indexbus_stream_writer_open(r, &w[7]), INDEXBUS_OK);
    for (uint32_t i = 0; i < INDEXBUS_STREAM_SEATS; i++)
        indexbus_stream_writer_close(w[i]);
    state_is(r, INDEXBUS_STREAM_ENDED, 0);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- processes -------------------------------------------------------------- */

/* A frame: writer id, sequence, then mp_fill bytes of both. */
static void make_frame(uint8_t *f, uint64_t id, uint64_t seq)
{
    memcpy(f, &id, 8);
    memcpy(f + 8, &seq, 8);
    mp_fill(f + 16, id, seq, FRAME - 16);
}

static int frame_ok(const uint8_t *f, uint64_t id, uint64_t seq)
{
    uint8_t want[FRAME];
    make_frame(want, id, seq);
    return memcmp(f, want, FRAME) == 0;
}

/* A writer process: g_ctl->data[0] frames of FRAME bytes, each one
 * write_all (so contiguous); frame = (id, seq) + fill. */
static int frame_writer(int id)
{
    indexbus_region *r;
    indexbus_stream_writer *w;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    mp_barrier(&g_ctl->counter[0], (uint32_t)g_ctl->data[1]);
    for (uint64_t i = 0; i < g_ctl->data[0]; i++) {
        uint8_t f[FRAME];
        make_frame(f, (uint64_t)id, i);
        size_t done;
        int st = indexbus_stream_write_all(w, f, FRAME, MP_HANG_NS, &done);
        if (st != INDEXBUS_OK) {
            fprintf(stderr, "writer %d frame %llu: %s\n", id, (unsigned long long)i,
                    indexbus_status_name(st));
            return 1;
        }
    }
    if (id == 99) { /* the killed one: wait to be killed, holding its seat */
        mp_inc(&g_ctl->counter[1]);
        pause();
    }
    indexbus_stream_writer_close(w);
    indexbus_region_close(r);
    return 0;
}

/* n writer processes, `frames` frames each, through a 64 KiB ring; the
 * reader checks every frame whole, in order per writer, and the end. With
 * kill: one more writer (id 99) is SIGKILLed holding its seat; the stream
 * still ends, as ABORTED with one aborted writer. */
static void writers(int n, uint64_t frames, int kill)
{
    g_name = ib_test_name("stream-writers");
    g_ctl = mp_ctl_new();
    g_ctl->data[0] = frames;
    g_ctl->data[1] = (uint64_t)n + (kill ? 1u : 0u);
    indexbus_region *r = create(g_name, 64 * KIB, 0);
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    pid_t pids[8], victim = 0;
    for (int i = 0; i < n; i++)
        pids[i] = ib_spawn(frame_writer, i);
    if (kill)
        victim = ib_spawn(frame_writer, 99);
    uint64_t next[100] = {0};
    static uint8_t buf[FRAME * 37];
    size_t have = 0;
    int st, killed = 0;
    for (;;) {
        size_t k;
        /* the victim may say it is done after we read its last frame: until
         * it is killed, read in short waits and look again */
        int pending = kill && !killed;
        st = indexbus_stream_read(rd, buf + have, sizeof buf - have, &k,
                                  pending ? 10000000ull : MP_HANG_NS);
        if (st == INDEXBUS_TIMEOUT && pending) {
            if (mp_load(&g_ctl->counter[1]) == 1) {
                CHECK(ib_kill(victim) == SIGKILL);
                killed = 1;
            }
            continue;
        }
        if (st != INDEXBUS_OK)
            break;
        have += k;
        size_t used = 0;
        for (; have - used >= FRAME; used += FRAME) {
            uint64_t id;
            memcpy(&id, buf + used, 8);
            if (id >= 100 || !frame_ok(buf + used, id, next[id])) {
                fprintf(stderr, "frame %llu of writer %llu is wrong\n",
                        (unsigned long long)next[id < 100 ? id : 0], (unsigned long long)id);
                st = INDEXBUS_CORRUPT;
                break;
            }
            next[id]++;
        }
        memmove(buf, buf + used, have - used);
        have -= used;
        if (kill && !killed && mp_load(&g_ctl->counter[1]) == 1) {
            CHECK(ib_kill(victim) == SIGKILL);
            killed = 1;
        }
        if (st != INDEXBUS_OK)
            break;
    }
    CHECK_ST(st, INDEXBUS_DISCONNECTED);
    CHECK(have == 0);
    for (int i = 0; i < n; i++)
        CHECK(next[i] == frames);
    if (kill)
        CHECK(next[99] == frames);
    CHECK(mp_join_all(pids, n) == 0);
    state_is(r, INDEXBUS_STREAM_ENDED | (kill ? INDEXBUS_STREAM_ABORTED : 0), kill ? 1 : 0);
    indexbus_stream_reader_close(rd);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

/* A reader process killed while a writer waits for room: the writer's
 * wait ends with DISCONNECTED, having written an exact count. */
static int slow_reader(int arg)
{
    (void)arg;
    indexbus_region *r;
    indexbus_stream_reader *rd;
    REQUIRE_OK(indexbus_region_open(g_name, NULL, &r));
    REQUIRE_OK(indexbus_stream_reader_open(r, &rd));
    mp_inc(&g_ctl->counter[0]);
    pause();
    return 0;
}

static void reader_killed(void)
{
    g_name = ib_test_name("stream-reader-killed");
    g_ctl = mp_ctl_new();
    indexbus_region *r = create(g_name, 4 * KIB, 0);
    pid_t pid = ib_spawn(slow_reader, 0);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == 1);
    indexbus_stream_writer *w;
    REQUIRE_OK(indexbus_stream_writer_open(r, &w));
    static uint8_t src[3 * 2040];
    size_t done = 0;
    /* fills the ring (two records), then waits for the reader */
    CHECK_ST(indexbus_stream_write_all(w, src, sizeof src, 100000000, &done), INDEXBUS_TIMEOUT);
    CHECK(done == 2 * 2040);
    CHECK(ib_kill(pid) == SIGKILL);
    CHECK_ST(indexbus_stream_write_all(w, src, sizeof src, MP_HANG_NS, &done),
             INDEXBUS_DISCONNECTED);
    CHECK(done == 0);
    uint32_t flags, aborted;
    CHECK_ST(indexbus_stream_state(r, &flags, &aborted), INDEXBUS_OK);
    CHECK(flags == INDEXBUS_STREAM_READER_GONE && aborted == 0);
    indexbus_stream_writer_close(w);
    indexbus_region_close(r);
    indexbus_region_unlink(g_name);
}

static const ib_helper helpers[] = {IB_HELPER(frame_writer), IB_HELPER(slow_reader),
                                    {NULL, NULL}};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    basics();
    write_what_fits();
    hand_over();
    latches();
    seats();
    writer_abort();
    writers(1, 20000, 0);
    writers(3, 20000, 0);
    writers(2, 5000, 1);
    reader_killed();
    return ib_test_done("stream");
}
