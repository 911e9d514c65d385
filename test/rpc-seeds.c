/* rpc-seeds.c - the tests of seed 004 (multishot, a reusable one-shot
 * channel: the reply half of request/response) against the C API, the
 * cell being the channel, the server's reply its sender and the client's
 * wait its receiver:
 *  - a value is sent once and never blocks the sender: replies go out with
 *    nobody waiting, to a client that gave up, and a second send of the
 *    same token fails (NOT_FOUND) without touching the cell;
 *  - a sender dropped unsent makes the receive fail: the server closes, or
 *    is SIGKILLed, holding the request -> DISCONNECTED;
 *  - recycling the sender is guaranteed once the previous value was read:
 *    the client's next request gets the same cell at once, even when every
 *    other cell is taken (and before the read, it is not kept: FULL);
 *  - the value is sent from another thread and from another process. */
#include <pthread.h>
#include <sys/wait.h>

#include "mp_util.h"

#define NO_WAIT 0ull

IB_SHARED static const char *g_name;
IB_SHARED static mp_ctl *g_ctl;

/* A server process for one request: 0 replies "42", 1 closes without
 * replying (the sender dropped unsent), 2 dies without replying. */
static int one_shot_server(int mode)
{
    mp_child();
    indexbus_region *r = mp_open(g_name);
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    mp_inc(&g_ctl->counter[0]);
    uint64_t t;
    const void *q;
    size_t n;
    CHECK_ST(indexbus_rpc_serve(s, &t, &q, &n, MP_HANG_NS), INDEXBUS_OK);
    CHECK(n == 1 && memcmp(q, "?", 1) == 0);
    if (mode == 2)
        raise(SIGKILL);
    if (mode == 0) {
        CHECK_ST(indexbus_rpc_reply(s, t, "42", 2), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_reply(s, t, "43", 2), INDEXBUS_NOT_FOUND); /* sent once */
    }
    indexbus_rpc_server_close(s);
    indexbus_region_close(r);
    return 0;
}

static pid_t start_server(int mode, uint32_t nth)
{
    pid_t pid = ib_spawn(one_shot_server, mode);
    MP_WAIT(mp_load(&g_ctl->counter[0]) == nth);
    return pid;
}

/* the seed's own example: send "42" from elsewhere, receive it, recycle the
 * sender, drop it unsent, receive an error */
static void example(void)
{
    const char *name = ib_test_name("seed-ex");
    indexbus_region *r = mp_create_rpc(name, 4, 64, 64);
    g_name = name;
    g_ctl = mp_ctl_new();
    indexbus_rpc_client *c;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    const void *d;
    size_t n;
    uint64_t t1, t2, t3;
    pid_t pid = start_server(0, 1);
    CHECK_ST(indexbus_rpc_request(c, "?", 1, &t1), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_wait(c, t1, &d, &n, MP_HANG_NS), INDEXBUS_OK);
    CHECK(n == 2 && memcmp(d, "42", 2) == 0);
    CHECK_ST(indexbus_rpc_reply_done(c, t1), INDEXBUS_OK);
    CHECK(ib_join(pid) == 0);
    /* recycle: the same cell, the next generation; dropped unsent */
    pid = start_server(1, 2);
    CHECK_ST(indexbus_rpc_request(c, "?", 1, &t2), INDEXBUS_OK);
    CHECK((uint32_t)t2 == (uint32_t)t1 && (t2 >> 32) == (t1 >> 32) + 1);
    CHECK_ST(indexbus_rpc_wait(c, t2, &d, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    CHECK(ib_join(pid) == 0);
    /* and once more, the sender's process dying with it */
    pid = start_server(2, 3);
    CHECK_ST(indexbus_rpc_request(c, "?", 1, &t3), INDEXBUS_OK);
    CHECK((uint32_t)t3 == (uint32_t)t1 && (t3 >> 32) == (t2 >> 32) + 1);
    CHECK_ST(indexbus_rpc_wait(c, t3, &d, &n, MP_HANG_NS), INDEXBUS_DISCONNECTED);
    int ws = 0;
    CHECK(waitpid(pid, &ws, 0) == pid && WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
    indexbus_info info = mp_info(r);
    CHECK(info.rpc_requests_failed == 2 && info.rpc_replies_abandoned == 0);
    CHECK(info.rpc_cells_free == 3 && info.consumers_live == 0);
    /* no sender can come any more: the request fails at once */
    CHECK_ST(indexbus_rpc_request(c, "?", 1, &t3), INDEXBUS_DISCONNECTED);
    indexbus_rpc_client_close(c);
    CHECK(mp_info(r).rpc_cells_free == 4);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* sending never waits for the receiver, and a value goes out once */
static void send_never_blocks(void)
{
    const char *name = ib_test_name("seed-send");
    indexbus_region *r = mp_create_rpc(name, 8, 64, 64);
    indexbus_rpc_client *c;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    uint64_t t[8], x;
    const void *d;
    size_t n;
    for (int i = 0; i < 8; i++)
        CHECK_ST(indexbus_rpc_request(c, &i, sizeof i, &t[i]), INDEXBUS_OK);
    /* every reply goes out while nobody waits */
    for (int i = 0; i < 8; i++) {
        int v;
        CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK(n == sizeof v);
        memcpy(&v, d, sizeof v);
        CHECK(v >= 0 && v < 8 && x == t[v]);
        v = v * 1000;
        CHECK_ST(indexbus_rpc_reply(s, x, &v, sizeof v), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_reply(s, x, &v, sizeof v), INDEXBUS_NOT_FOUND);
    }
    /* read in any order, later */
    for (int i = 7; i >= 0; i--) {
        int v;
        CHECK_ST(indexbus_rpc_wait(c, t[i], &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK(n == sizeof v);
        memcpy(&v, d, sizeof v);
        CHECK(v == i * 1000);
        CHECK_ST(indexbus_rpc_reply_done(c, t[i]), INDEXBUS_OK);
    }
    /* to a receiver that gave up: still OK for the sender, counted */
    CHECK_ST(indexbus_rpc_request(c, "g", 1, &t[0]), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_cancel(c, t[0]), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply(s, x, "late", 4), INDEXBUS_OK);
    CHECK_ST(indexbus_rpc_reply(s, x, "late", 4), INDEXBUS_NOT_FOUND);
    indexbus_info info = mp_info(r);
    CHECK(info.rpc_replies_abandoned == 1 && info.rpc_cells_free == 8); /* kept cell given up */
    indexbus_rpc_client_close(c);
    indexbus_rpc_server_close(s);
    CHECK(mp_info(r).rpc_cells_free == 8);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* recycling succeeds once the value was read, however full the table */
static void recycle_guaranteed(void)
{
    const char *name = ib_test_name("seed-recycle");
    indexbus_region *r = mp_create_rpc(name, 2, 64, 64);
    indexbus_rpc_client *a, *b;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_client_open(r, &a));
    REQUIRE_OK(indexbus_rpc_client_open(r, &b));
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    uint64_t ta, tb, x, first = 0;
    const void *d;
    size_t n;
    for (int round = 0; round < 100; round++) {
        CHECK_ST(indexbus_rpc_request(a, "a", 1, &ta), INDEXBUS_OK);
        if (round == 0)
            first = ta;
        CHECK((uint32_t)ta == (uint32_t)first && (ta >> 32) == (first >> 32) + (uint64_t)round);
        /* b takes the other cell and can take no more */
        CHECK_ST(indexbus_rpc_request(b, "b", 1, &tb), INDEXBUS_OK);
        CHECK_ST(indexbus_rpc_request(b, "b", 1, &x), INDEXBUS_FULL);
        for (int k = 0; k < 2; k++) {
            CHECK_ST(indexbus_rpc_serve(s, &x, &d, &n, NO_WAIT), INDEXBUS_OK);
            CHECK_ST(indexbus_rpc_reply(s, x, x == ta ? "A" : "B", 1), INDEXBUS_OK);
        }
        CHECK_ST(indexbus_rpc_wait(a, ta, &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK(n == 1 && memcmp(d, "A", 1) == 0);
        /* not yet read to the end (reply_done): a has no cell to recycle */
        CHECK_ST(indexbus_rpc_request(a, "a", 1, &x), INDEXBUS_FULL);
        CHECK_ST(indexbus_rpc_reply_done(a, ta), INDEXBUS_OK);
        /* b is done with its cell, which goes to its own cache; a's stays a's */
        CHECK_ST(indexbus_rpc_wait(b, tb, &d, &n, NO_WAIT), INDEXBUS_OK);
        CHECK(n == 1 && memcmp(d, "B", 1) == 0);
        CHECK_ST(indexbus_rpc_reply_done(b, tb), INDEXBUS_OK);
        CHECK(mp_info(r).rpc_cells_free == 0);
    }
    indexbus_rpc_client_close(a);
    indexbus_rpc_client_close(b);
    indexbus_rpc_server_close(s);
    CHECK(mp_info(r).rpc_cells_free == 2);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

/* ---- the value sent from another thread ------------------------------------------ */

#define THREAD_ROUNDS 2000u

static void *thread_server(void *arg)
{
    indexbus_region *r = arg;
    indexbus_rpc_server *s;
    REQUIRE_OK(indexbus_rpc_server_open(r, &s));
    for (uint32_t i = 0; i < THREAD_ROUNDS; i++) {
        uint64_t t;
        const void *q;
        size_t n;
        int st = indexbus_rpc_serve(s, &t, &q, &n, MP_HANG_NS);
        CHECK_ST(st, INDEXBUS_OK);
        if (st != INDEXBUS_OK)
            break;
        uint8_t out[64];
        CHECK(mp_check_fill(q, n, 5, i, i % 65));
        mp_fill(out, 6, i, (i * 7) % 65);
        CHECK_ST(indexbus_rpc_reply(s, t, out, (i * 7) % 65), INDEXBUS_OK);
    }
    indexbus_rpc_server_close(s);
    return NULL;
}

static void from_thread(void)
{
    const char *name = ib_test_name("seed-thread");
    indexbus_region *r = mp_create_rpc(name, 1, 64, 64); /* one cell, recycled every time */
    indexbus_rpc_client *c;
    REQUIRE_OK(indexbus_rpc_client_open(r, &c));
    pthread_t th;
    REQUIRE(pthread_create(&th, NULL, thread_server, r) == 0);
    uint8_t q[64], out[64];
    for (uint32_t i = 0; i < THREAD_ROUNDS; i++) {
        mp_fill(q, 5, i, i % 65);
        size_t n = 0;
        int st = indexbus_rpc_call(c, q, i % 65, out, sizeof out, &n, MP_HANG_NS);
        CHECK_ST(st, INDEXBUS_OK);
        if (st != INDEXBUS_OK)
            break;
        CHECK(mp_check_fill(out, n, 6, i, (i * 7) % 65));
    }
    REQUIRE(pthread_join(th, NULL) == 0);
    indexbus_info info = mp_info(r);
    CHECK(info.rpc_replies_abandoned == 0 && info.rpc_requests_failed == 0);
    CHECK(info.rpc_cells_free == 0); /* the one cell, kept by the client */
    indexbus_rpc_client_close(c);
    CHECK(mp_info(r).rpc_cells_free == 1);
    indexbus_region_close(r);
    indexbus_region_unlink(name);
}

static const ib_helper helpers[] = {
    IB_HELPER(one_shot_server),
    {NULL, NULL},
};

int main(int argc, char **argv)
{
    ib_test_init(argc, argv, helpers);
    mp_guard();
    example();
    send_never_blocks();
    recycle_guaranteed();
    from_thread();
    return ib_test_done("rpc-seeds");
}
