/*
 * hostile-reread.c - regressions for shared values the library read twice,
 * or read back after writing them (LAYOUT.md 7: read once, check, use the
 * copy). Each case makes a rogue write land at the exact moment between the
 * library's write and its re-read, deterministically:
 *
 *   batch_cells_rewritten  publish_batch copies message 1 from a page that
 *       is PROT_NONE; the fault handler rewrites every SPSC cell with
 *       0xFFFFFFF0 (cell 0 already names message 0's slot), then lets the
 *       copy go on. flush() used to read the slot indices back from the
 *       cells and clear `owner` through them: a write far out of bounds.
 *   batch_longer_than_pending  a batch longer than the producer's private
 *       list of unpublished slots arrives whole and in order.
 *   info_header_rewritten  indexbus_region_info reports the header as
 *       validated at open, not what a rogue wrote over it since.
 */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bad_util.h"

#define MSG 100u

static bad_map rogue;
static uint8_t *guard;    /* the PROT_NONE page message 1 starts on */
static size_t page;
static volatile sig_atomic_t rewrites;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)ctx;
    uint8_t *a = si->si_addr;
    if (a < guard || a >= guard + page) {
        signal(SIGSEGV, SIG_DFL); /* a real fault: die on the retry */
        return;
    }
    indexbus_spsc_ctl *q = bad_spsc(&rogue);
    uint32_t *cells = bad_spsc_cells(q);
    for (uint32_t i = 0; i < rogue.h->queue_capacity; i++)
        cells[i] = 0xFFFFFFF0u;
    rewrites++;
    mprotect(guard, page, PROT_READ | PROT_WRITE);
}

static int batch_cells_rewritten(int arg)
{
    (void)arg;
    const char *path = bad_path(1);
    indexbus_region *r;
    indexbus_producer *p;
    indexbus_consumer *c;
    bad_create(path, INDEXBUS_KIND_EVENTS, 0, 0, 0, 0, &r);
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    rogue = bad_map_file(path);

    page = (size_t)sysconf(_SC_PAGESIZE);
    uint8_t *buf = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    REQUIRE(buf != MAP_FAILED);
    guard = buf + page;
    uint8_t *m0 = guard - MSG, *m1 = guard;
    memset(m0, 0xA0, MSG);
    memset(m1, 0xB1, MSG);
    REQUIRE(mprotect(guard, page, PROT_NONE) == 0);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    REQUIRE(sigaction(SIGSEGV, &sa, NULL) == 0);

    uint32_t lens[2] = {MSG, MSG};
    size_t published = 0;
    CHECK_ST(indexbus_publish_batch(p, m0, lens, 2, &published), INDEXBUS_OK);
    CHECK(published == 2);
    CHECK(rewrites == 1);
    signal(SIGSEGV, SIG_DFL);

    /* cell 0 now names no slot: skipped and reported; message 1 is whole */
    uint8_t out[MSG];
    size_t len = 0;
    CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_CORRUPT);
    CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_OK);
    CHECK(len == MSG && out[0] == 0xB1 && out[MSG - 1] == 0xB1);
    CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_EMPTY);

    /* message 0's slot was handed to the queue and lost with the cell: only
     * a sweep of the quiet region finds it again */
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == info.slot_count - 1);
    indexbus_recover_report rep = {.size = sizeof rep};
    CHECK_ST(indexbus_region_recover(r, INDEXBUS_RECOVER_SWEEP, &rep), INDEXBUS_OK);
    CHECK(rep.slots_reclaimed == 1);
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.free_slots == info.slot_count);
    bad_unmap(&rogue);
    indexbus_region_close(r);
    unlink(path);
    return 0;
}

static void batch_longer_than_pending(void)
{
    enum { N = 300, LEN = 8 };
    const char *path = bad_path(2);
    indexbus_region *r;
    indexbus_producer *p;
    indexbus_consumer *c;
    bad_create(path, INDEXBUS_KIND_EVENTS, 0, 0, 0, 0, &r);
    REQUIRE_OK(indexbus_consumer_open(r, 0, &c));
    REQUIRE_OK(indexbus_producer_open(r, INDEXBUS_PRODUCER_SPSC, &p));
    static uint8_t data[N * LEN];
    uint32_t lens[N];
    for (uint32_t i = 0; i < N; i++) {
        lens[i] = LEN;
        memcpy(data + i * LEN, &i, sizeof i);
        memset(data + i * LEN + 4, (int)(i & 0xff), LEN - 4);
    }
    size_t published = 0;
    CHECK_ST(indexbus_publish_batch(p, data, lens, N, &published), INDEXBUS_OK);
    CHECK(published == N);
    for (uint32_t i = 0; i < N; i++) {
        uint8_t out[LEN];
        size_t len = 0;
        uint32_t seq = UINT32_MAX;
        CHECK_ST(indexbus_try_recv(c, out, sizeof out, &len), INDEXBUS_OK);
        memcpy(&seq, out, sizeof seq);
        CHECK(len == LEN && seq == i && out[LEN - 1] == (i & 0xff));
    }
    size_t len;
    CHECK_ST(indexbus_try_recv(c, NULL, 0, &len), INDEXBUS_EMPTY);
    indexbus_info info = {.size = sizeof info};
    REQUIRE_OK(indexbus_region_info(r, &info));
    CHECK(info.published == N);
    indexbus_producer_close(p);
    indexbus_consumer_close(c);
    indexbus_region_close(r);
    unlink(path);
}

static void info_header_rewritten(void)
{
    const char *path = bad_path(3);
    indexbus_region *r;
    bad_create(path, INDEXBUS_KIND_FANOUT, 0, 0, 0, 0, &r);
    indexbus_info before = {.size = sizeof before}, after = {.size = sizeof after};
    REQUIRE_OK(indexbus_region_info(r, &before));
    bad_map m = bad_map_file(path);
    m.h->capabilities |= 1ull << 40;
    m.h->total_bytes = UINT64_MAX;
    m.h->layout_minor = 77;
    m.h->creator_pid = 0xDEADBEEF;
    m.h->creation_time_ns = 1;
    REQUIRE_OK(indexbus_region_info(r, &after));
    CHECK(after.capabilities == before.capabilities);
    CHECK(after.total_bytes == before.total_bytes);
    CHECK(after.layout_minor == before.layout_minor);
    CHECK(after.creator_pid == before.creator_pid && before.creator_pid == (uint32_t)getpid());
    CHECK(after.creation_time_ns == before.creation_time_ns);
    bad_unmap(&m);
    indexbus_region_close(r);
    unlink(path);
}

static const ib_helper helpers[] = {
    IB_HELPER(batch_cells_rewritten),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    /* in a child: before the fix, the flush write kills the process */
    CHECK(ib_join(ib_spawn(batch_cells_rewritten, 0)) == 0);
    batch_longer_than_pending();
    info_header_rewritten();
    return ib_test_done("hostile-reread");
}
