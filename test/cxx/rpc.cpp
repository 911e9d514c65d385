// rpc.cpp - request/response through RpcClient / RpcServer
// (Region::create_rpc): call, request + wait with the Reply borrowed in
// place until its guard ends (the cell then recycled), zero-copy requests
// (RequestClaim; one that ends unsent is given back: the client keeps its
// cell for the next request, or frees it if it keeps one already) and
// replies (reply_buffer + commit), a deferred reply by token, exactly one
// reply per token (a second, a stale or a forged token: NOT_FOUND), a
// Request that ends unanswered fails (its client gets DISCONNECTED,
// counted), cancel and timeouts, the size limits, servers that close or die
// holding deferred requests, and several servers sharing the work. Then the
// tests of seed 004 (multishot's reusable one-shot channel): a reply sent
// once never blocks the server; a request the server drops unanswered (the
// sender dropped unsent) makes the client's wait fail with DISCONNECTED
// while that server goes on serving; and recycling always succeeds once the
// previous reply was read (1,000 round trips through one cell). Servers run
// in other processes where it matters.
#include "check.hpp"

#include <atomic>
#include <cstring>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/wait.h>
#include <unistd.h>

using indexbus::Region;
using indexbus::Reply;
using indexbus::Request;
using indexbus::RequestClaim;
using indexbus::RpcClient;
using indexbus::RpcServer;
using indexbus::Status;
using indexbus::Token;
using namespace std::chrono_literals;

template <class F>
static pid_t spawn(F f)
{
    std::fflush(stderr);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ibx::failures = 0; // the child's own checks
        int code = 0;
        try {
            code = f();
        } catch (const indexbus::Error &e) {
            std::fprintf(stderr, "child: %s (%s)\n", e.what(),
                         indexbus_status_name(e.code().value()));
            code = 1;
        }
        std::fflush(stderr);
        _exit(code == 0 && ibx::failures == 0 ? 0 : 1);
    }
    return pid;
}
static int join(pid_t pid)
{
    int status = 0;
    REQUIRE(waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// An echo server in a child process: answers `count` requests with
// "echo:" + the request, through the reply buffer (zero-copy).
static pid_t echo_server(const std::string &name, int count, int ready_fd)
{
    return spawn([=] {
        Region r = Region::open(name);
        RpcServer s = RpcServer::open(r);
        CHECK(write(ready_fd, "r", 1) == 1);
        for (int k = 0; k < count; k++) {
            Request q = s.serve(10s);
            indexbus::mutable_bytes out = q.reply_buffer();
            std::memcpy(out.data(), "echo:", 5);
            std::memcpy(out.data() + 5, q.data(), q.size());
            q.commit(5 + q.size());
            CHECK(!q);
        }
        return 0;
    });
}

static void wait_ready(int fd)
{
    char c;
    REQUIRE(read(fd, &c, 1) == 1);
}

// call and request/wait against a server in another process.
static void test_round_trips()
{
    const std::string n = ibx::name("rpc-rt");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 8, 256, 512);
    indexbus_info i = r.info();
    CHECK(i.kind == INDEXBUS_KIND_RPC && i.rpc_cells == 8 && i.max_request == 256 &&
          i.max_reply == 512 && i.rpc_cells_free == 8);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = echo_server(n, 5, fds[1]);
    wait_ready(fds[0]);
    RpcClient c = RpcClient::open(r);
    CHECK(c.max_request() == 256 && c.max_reply() == 512);
    CHECK(c.call("ping", 10s) == "echo:ping");
    const std::vector<std::byte> bin = {std::byte{0}, std::byte{0xff}, std::byte{7}};
    std::vector<std::byte> got = c.call(bin, 10s);
    CHECK(got.size() == 8 && std::memcmp(got.data(), "echo:", 5) == 0 &&
          std::memcmp(got.data() + 5, bin.data(), 3) == 0);
    char buf[16];
    CHECK(c.call(indexbus::as_bytes("abc"), indexbus::as_writable_bytes(buf, sizeof buf), 10s) ==
          8);
    CHECK(std::memcmp(buf, "echo:abc", 8) == 0);
    // two outstanding at once, waited for in the other order
    Token t1 = c.request("one"), t2 = c.request("two");
    CHECK(t1 != t2);
    {
        Reply r2 = c.wait(t2, 10s);
        CHECK(r2 && r2.token() == t2 && r2.view() == "echo:two");
        Reply r1 = c.wait(t1, 10s);
        CHECK(r1.view() == "echo:one");
    } // both recycled here
    CHECK_THROWS(c.wait(t1, 1s), Status::not_found); // stale now
    CHECK_ST(c.try_cancel(t2), INDEXBUS_NOT_FOUND);
    CHECK(join(pid) == 0);
    close(fds[0]);
    close(fds[1]);
}

// Zero-copy both ways, a claim left unsent, a deferred reply, one reply
// per token, forged tokens, the limits; client and server in one thread.
static void test_in_place()
{
    const std::string n = ibx::name("rpc-ip");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 4, 64, 32);
    RpcServer s = RpcServer::open(r);
    RpcClient c = RpcClient::open(r);

    RequestClaim cl = c.claim(10);
    CHECK(cl && cl.capacity() == 10);
    std::byte *cell_buf = cl.data();
    std::memcpy(cl.data(), "0123456789", 10);
    CHECK_THROWS(c.claim(1), Status::bad_state); // one claim at a time
    CHECK_THROWS(c.request("x"), Status::bad_state);
    CHECK_THROWS(cl.send(11), Status::too_large);
    CHECK(cl); // still pending
    Token t = cl.send(4);
    CHECK(!cl);
    Request q = s.serve(1s);
    CHECK(q && q.token() == t && q.view() == "0123");
    indexbus::mutable_bytes out = q.reply_buffer();
    CHECK(out.size() == 32);
    std::memcpy(out.data(), q.data(), 4); // the request stays readable
    std::memcpy(out.data() + 4, "!", 1);
    CHECK_THROWS(q.commit(33), Status::too_large);
    CHECK(q); // still held
    q.commit(5);
    CHECK(!q);
    CHECK_THROWS(s.reply(t, "again"), Status::not_found); // exactly once
    CHECK_ST(q.try_reply("again"), INDEXBUS_BAD_STATE);
    {
        Reply rep = c.wait(t, 1s);
        CHECK(rep.view() == "0123!");
    }

    // a claim dropped unsent is given back: the client keeps its cell, which
    // carries the next claim, then request
    CHECK(r.info().rpc_cells_free == 3); // the client keeps one cell
    {
        RequestClaim unsent = c.claim(5);
        CHECK(unsent.data() == cell_buf); // the cell kept from the last request
        std::memcpy(unsent.data(), "lost!", 5);
    }
    Request nothing;
    CHECK_ST(s.try_serve(nothing), INDEXBUS_EMPTY); // nothing was sent
    CHECK(r.info().rpc_cells_free == 3);
    {
        RequestClaim again = c.claim(64);
        CHECK(again.data() == cell_buf && again.capacity() == 64);
        again.abort(); // the same, at once
        CHECK(!again && again.capacity() == 0);
        CHECK_THROWS(again.send(0), Status::bad_state);
        again.abort(); // nothing now
        RequestClaim third = c.claim(1);
        CHECK(third.data() == cell_buf);
        RequestClaim moved = std::move(third);
        CHECK(!third && moved.data() == cell_buf);
        moved = RequestClaim(); // given back by the assignment
        CHECK(!moved);
    }
    CHECK_ST(s.try_serve(nothing), INDEXBUS_EMPTY);
    CHECK(r.info().rpc_cells_free == 3);
    // given back while the client keeps a cell already: freed, not kept
    {
        Token tk = c.request("keep"); // the kept cell
        RequestClaim other = c.claim(3);
        CHECK(other.data() != cell_buf);
        CHECK(r.info().rpc_cells_free == 2);
        Request qk = s.serve(1s);
        CHECK(qk.token() == tk);
        qk.reply("kept");
        c.wait(tk, 1s).release(); // its cell is kept again
        CHECK(r.info().rpc_cells_free == 2);
    } // `other` given back: freed
    CHECK(r.info().rpc_cells_free == 3);
    CHECK_ST(s.try_serve(nothing), INDEXBUS_EMPTY);
    CHECK_THROWS(c.claim(65), Status::too_large);
    CHECK_THROWS(c.request(std::string(65, 'x')), Status::too_large);
    Token t2 = c.request("kept");
    Request q2 = s.serve(1s);
    CHECK(q2.view() == "kept" && q2.data() == cell_buf);

    // deferred: the guard lets go, the server answers by token later
    Token held = q2.defer();
    CHECK(!q2 && held == t2);
    CHECK_THROWS(c.wait(t2, 20ms), Status::timeout);
    CHECK_THROWS(s.reply(held, std::string(33, 'y')), Status::too_large);
    s.reply(held, "late");
    CHECK(c.wait(t2, 1s).view() == "late");
    CHECK_THROWS(s.fail(held), Status::not_found); // answered already

    // forged and stale tokens
    Token t3 = c.request("three");
    Request q3 = s.serve(1s);
    const Token forged[] = {t3 ^ (1ull << 32), t3 + 1, (t3 & ~0xffffffffull) | 4, 0, ~0ull};
    for (Token f : forged) {
        CHECK_THROWS(c.wait(f, 1ms), Status::not_found);
        CHECK_ST(c.try_cancel(f), INDEXBUS_NOT_FOUND);
        CHECK_THROWS(s.reply(f, "no"), Status::not_found);
        CHECK_THROWS(s.reply_buffer(f), Status::not_found);
    }
    q3.reply("three!");
    CHECK(c.wait(t3, 1s).view() == "three!");

    // empty request and reply
    Token t4 = c.request("");
    Request q4 = s.serve(1s);
    CHECK(q4.size() == 0);
    q4.reply("");
    CHECK(c.wait(t4, 1s).size() == 0);

    // no request waiting
    Request none;
    CHECK_ST(s.try_serve(none), INDEXBUS_EMPTY);
    CHECK_THROWS(s.serve(20ms), Status::timeout);
    CHECK(!none);

    // a reply too large for the caller's buffer: BUFFER_TOO_SMALL, dropped
    std::thread th([&] {
        Request q5 = s.serve(10s);
        q5.reply("twelve bytes");
    });
    char small[4];
    std::size_t len = 0;
    CHECK_ST(c.try_call(indexbus::as_bytes("x"), indexbus::as_writable_bytes(small, 4), len, 10s),
             INDEXBUS_BUFFER_TOO_SMALL);
    CHECK(len == 12);
    th.join();
    CHECK(r.info().rpc_cells_free + 1 == 4); // the client keeps one cell for its next request

    // empty handles
    RpcClient nc;
    CHECK_THROWS(nc.request("x"), Status::invalid_argument);
    RpcServer ns;
    CHECK_THROWS(ns.serve(1ms), Status::invalid_argument);
    const std::string evn = ibx::name("rpc-ev");
    ibx::Unlink evu(evn);
    Region ev = ibx::small_events(evn);
    CHECK_THROWS(RpcClient::open(ev), Status::wrong_kind);
    CHECK_THROWS(RpcServer::open(ev), Status::wrong_kind);
}

// A Request that ends unanswered fails (unless deferred): by its guard's
// end, by fail(), by a move onto it, by an exception past it, or by token
// for a deferred one (RpcServer::fail). Each client wait gets DISCONNECTED
// once, each counted in rpc_requests_failed, and the cells come back.
static void test_unanswered_fails()
{
    const std::string n = ibx::name("rpc-fail");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 4, 64, 64);
    RpcServer s = RpcServer::open(r);
    RpcClient c = RpcClient::open(r);
    auto failed = [&] { return r.info().rpc_requests_failed; };

    Token t1 = c.request("dropped");
    {
        Request q = s.serve(1s);
        CHECK(q.token() == t1);
    } // unanswered
    CHECK(failed() == 1);
    CHECK_THROWS(s.reply(t1, "too late"), Status::not_found);
    CHECK_THROWS(c.wait(t1, 1s), Status::disconnected);
    CHECK_THROWS(c.wait(t1, 1ms), Status::not_found); // once

    Token t2 = c.request("failed");
    Request q2 = s.serve(1s);
    q2.fail();
    CHECK(!q2 && q2.size() == 0);
    CHECK_ST(q2.try_reply("no"), INDEXBUS_BAD_STATE);
    q2.fail(); // nothing now
    CHECK(failed() == 2);
    CHECK_THROWS(c.wait(t2, 1s), Status::disconnected);

    // a move onto a held Request fails the one it held
    Token t3 = c.request("three"), t4 = c.request("four");
    Request qa = s.serve(1s), qb = s.serve(1s);
    Token ta = qa.token(), tb = qb.token();
    CHECK((ta == t3 && tb == t4) || (ta == t4 && tb == t3));
    qa = std::move(qb);
    CHECK(failed() == 3 && qa.token() == tb && !qb);
    CHECK_THROWS(c.wait(ta, 1s), Status::disconnected);
    qa.reply("answered");
    CHECK(c.wait(tb, 1s).view() == "answered");
    CHECK(failed() == 3);

    // a handler that throws: the request fails on the way out
    Token t5 = c.request("boom");
    try {
        Request q = s.serve(1s);
        throw std::runtime_error("handler failed");
    } catch (const std::runtime_error &) {
    }
    CHECK(failed() == 4);
    CHECK_THROWS(c.wait(t5, 1s), Status::disconnected);

    // a reply too large leaves it held; the guard's end then fails it
    Token t6 = c.request("six");
    {
        Request q = s.serve(1s);
        CHECK_THROWS(q.reply(std::string(65, 'z')), Status::too_large);
        CHECK(q);
    }
    CHECK(failed() == 5);
    CHECK_THROWS(c.wait(t6, 1s), Status::disconnected);

    // deferred: kept (not failed) until RpcServer::fail by token
    Token t7 = c.request("seven");
    Token held = 0;
    {
        Request q = s.serve(1s);
        held = q.defer();
    }
    CHECK(held == t7 && failed() == 5);
    CHECK_THROWS(c.wait(t7, 20ms), Status::timeout);
    CHECK_ST(s.try_fail(held + (1ull << 32)), INDEXBUS_NOT_FOUND); // stale
    s.fail(held);
    CHECK_THROWS(s.fail(held), Status::not_found); // once
    CHECK(failed() == 6);
    CHECK_THROWS(c.wait(t7, 1s), Status::disconnected);

    // a request whose client gave up, dropped: not counted, the cell freed
    Token t8 = c.request("eight");
    {
        Request q = s.serve(1s);
        c.cancel(t8);
    }
    CHECK(failed() == 6);
    // an empty guard fails nothing; the client goes on
    {
        Request none;
        none.fail();
    }
    Token t9 = c.request("nine");
    s.serve(1s).reply("nine!");
    CHECK(c.wait(t9, 1s).view() == "nine!");
    CHECK(failed() == 6);
    c.close();
    CHECK(r.info().rpc_cells_free == 4);
}

// Every cell taken: FULL; a cancelled request whose reply comes late is
// dropped and counted.
static void test_full_and_cancel()
{
    const std::string n = ibx::name("rpc-full");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 2);
    RpcServer s = RpcServer::open(r);
    RpcClient c = RpcClient::open(r);
    Token a = c.request("a"), b = c.request("b");
    CHECK_THROWS(c.request("c"), Status::full);
    CHECK_THROWS(c.claim(1), Status::full);
    CHECK(r.info().rpc_cells_free == 0);
    Request qa = s.serve(1s), qb = s.serve(1s);
    if (qa.token() == b)
        std::swap(qa, qb); // any order
    CHECK(qa.token() == a && qb.token() == b);
    // timeout: call cancels it
    CHECK_THROWS(c.wait(a, 20ms), Status::timeout);
    c.cancel(a);
    CHECK_THROWS(c.wait(a, 1ms), Status::not_found);
    qa.reply("too late"); // OK for the server: abandoned
    CHECK(r.info().rpc_replies_abandoned == 1);
    qb.reply("b!");
    CHECK(c.wait(b, 1s).view() == "b!");
    // a call that times out cancels its request: no server sees it
    std::size_t len = 0;
    char buf[8];
    CHECK_ST(c.try_call(indexbus::as_bytes("t"), indexbus::as_writable_bytes(buf, 8), len, 20ms),
             INDEXBUS_TIMEOUT);
    Request none;
    CHECK_ST(s.try_serve(none), INDEXBUS_EMPTY);
    CHECK_THROWS(c.call("u", 20ms), Status::timeout);
    CHECK_ST(s.try_serve(none), INDEXBUS_EMPTY);
    CHECK(r.info().rpc_replies_abandoned == 1);
}

// Two servers on threads share the work; four clients on threads, 100
// calls each: every request answered once, by one server, to its client.
static void test_work_queue()
{
    const std::string n = ibx::name("rpc-wq");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 16);
    std::atomic<bool> stop{false};
    std::atomic<int> served[2] = {{0}, {0}};
    std::vector<std::thread> servers;
    for (int k = 0; k < 2; k++)
        servers.emplace_back([&, k, s = RpcServer::open(r)]() mutable {
            while (!stop.load()) {
                Request q;
                int st = s.try_serve(q, 5ms);
                if (st == INDEXBUS_TIMEOUT)
                    continue;
                CHECK_ST(st, INDEXBUS_OK);
                if (st != INDEXBUS_OK)
                    return;
                q.reply(std::string(q.view()) + "/" + std::to_string(k));
                served[k]++;
            }
        });
    std::vector<std::thread> clients;
    for (int k = 0; k < 4; k++)
        clients.emplace_back([&, k, c = RpcClient::open(r)]() mutable {
            for (int m = 0; m < 100; m++) {
                std::string req = "c" + std::to_string(k) + "m" + std::to_string(m);
                std::string rep = c.call(req, 10s);
                CHECK(rep == req + "/0" || rep == req + "/1");
            }
        });
    for (auto &t : clients)
        t.join();
    stop = true;
    for (auto &t : servers)
        t.join();
    CHECK(served[0] + served[1] == 400);
    CHECK(r.info().rpc_cells_free == 16); // every client closed with its thread
}

// ---- seed 004 ----

// A value sent once never blocks the sender: the server replies while the
// client is not waiting (another process), and returns at once; the client
// finds the reply later.
static void test_seed_send_never_blocks()
{
    const std::string n = ibx::name("rpc-s1");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 4);
    RpcClient c = RpcClient::open(r);
    Token t = c.request("42?");
    pid_t pid = spawn([&] {
        Region sr = Region::open(n);
        RpcServer s = RpcServer::open(sr);
        Request q = s.serve(10s);
        CHECK(q.view() == "42?");
        q.reply("42"); // nobody waits: it returns all the same
        return 0;
    });
    CHECK(join(pid) == 0); // the server replied and left
    Reply rep = c.wait(t, 10s);
    CHECK(rep.view() == "42");
}

// A sender dropped unsent makes the receive fail: a server (in another
// process) takes the request and drops it unanswered (its Request guard
// ends), and the client's wait gets DISCONNECTED at once, counted once.
// That server is still there: the client's next request on the same cell
// is answered, and only then does the server leave.
static void test_seed_dropped_unsent()
{
    const std::string n = ibx::name("rpc-s2");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 1);
    RpcClient c = RpcClient::open(r);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = spawn([&] {
        Region sr = Region::open(n);
        RpcServer s = RpcServer::open(sr);
        CHECK(write(fds[1], "r", 1) == 1);
        {
            Request q = s.serve(10s);
            CHECK(q.view() == "hello?");
        } // dropped unanswered
        Request q = s.serve(10s);
        CHECK(q.view() == "again?");
        q.reply("again!");
        return 0;
    });
    wait_ready(fds[0]);
    Token t = c.request("hello?");
    CHECK_THROWS(c.wait(t, 10s), Status::disconnected);
    CHECK(r.info().rpc_requests_failed == 1);
    // the cell came back (one cell in all), and the same server, still
    // there (with none a request is DISCONNECTED), answers the next
    CHECK(c.call("again?", 10s) == "again!");
    CHECK(join(pid) == 0);
    CHECK(r.info().rpc_requests_failed == 1);
    close(fds[0]);
    close(fds[1]);
}

// A server (in another process) that closes while holding a deferred
// request fails it, and the waiting client gets DISCONNECTED; so does one
// that dies holding it (once recovered).
static void test_server_leaves_holding(bool dies)
{
    const std::string n = ibx::name("rpc-lv");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 4);
    RpcClient c = RpcClient::open(r);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = spawn([&] {
        Region sr = Region::open(n);
        RpcServer s = RpcServer::open(sr);
        CHECK(write(fds[1], "r", 1) == 1);
        Request q = s.serve(10s);
        CHECK(q.view() == "hello?");
        q.defer();
        if (dies) {
            std::fflush(stderr);
            _exit(ibx::failures == 0 ? 0 : 1); // holding it
        }
        s.close(); // holding it, unanswered
        return 0;
    });
    wait_ready(fds[0]);
    Token t = c.request("hello?");
    CHECK_THROWS(c.wait(t, 10s), Status::disconnected);
    CHECK(join(pid) == 0);
    CHECK(r.info().rpc_requests_failed == 1);
    // the cell came back: the client goes on (no server now: DISCONNECTED)
    CHECK_THROWS(c.request("anyone?"), Status::disconnected);
    close(fds[0]);
    close(fds[1]);
}

// Recycling is guaranteed once the previous reply was read: 1,000 round
// trips through a region of one cell never meet FULL.
static void test_seed_recycle()
{
    const std::string n = ibx::name("rpc-s3");
    ibx::Unlink u(n);
    Region r = Region::create_rpc(n, 1);
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    pid_t pid = echo_server(n, 1000, fds[1]);
    wait_ready(fds[0]);
    RpcClient c = RpcClient::open(r);
    for (int k = 0; k < 1000; k++) {
        Token t = 0;
        std::string m = std::to_string(k);
        CHECK_ST(c.try_request(m, t), INDEXBUS_OK);
        Reply rep = c.wait(t, 10s);
        CHECK(rep.view() == "echo:" + m);
    }
    CHECK(join(pid) == 0);
    c.close();
    CHECK(r.info().rpc_cells_free == 1);
    close(fds[0]);
    close(fds[1]);
}

int main()
{
    // first: fork before any thread exists
    test_round_trips();
    test_seed_send_never_blocks();
    test_seed_dropped_unsent();
    test_server_leaves_holding(false);
    test_server_leaves_holding(true);
    test_seed_recycle();
    test_in_place();
    test_unanswered_fails();
    test_full_and_cancel();
    test_work_queue();
    return ibx::summary();
}
