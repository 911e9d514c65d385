"""Request/response (kind "rpc"): request() round trips, the zero-copy paths (a claimed
request, a borrowed reply, a reply buffer), tokens (one reply each; stale, forged and
other clients' tokens are NotFound), timeouts and cancel, full cells, servers that close
or die, a work queue of server processes, and seed 004's tests (a value sent once never
blocks the sender; a sender dropped unsent fails the receive; recycling guaranteed once
the previous value was read) with the other side in another process."""
import multiprocessing
import os
import signal
import subprocess
import threading

import pytest

import indexbus
from indexbus import lib

HANG = 30.0  # seconds: only a broken exchange waits this long
ctx = multiprocessing.get_context("spawn")


def make_rpc(name, cells=4, max_request=256, max_reply=512):
    return indexbus.Region.create(name, "rpc", cells=cells, max_request=max_request,
                                  max_reply=max_reply)


@pytest.fixture
def rpc(name):
    with make_rpc(name) as r:
        yield r


def serve_one(server, fn=bytes, timeout=HANG):
    """Serve one request: reply fn(request bytes); the request's bytes."""
    req = server.serve(timeout=timeout)
    data = bytes(req.data)
    req.reply(fn(data))
    return data


# ---- the region ---------------------------------------------------------------------

def test_region_attributes_and_defaults(name, rpc):
    assert rpc.kind == indexbus.KIND_RPC == lib.INDEXBUS_KIND_RPC
    assert rpc.is_rpc and not rpc.is_stream and not rpc.is_log
    assert (rpc.cells, rpc.max_request, rpc.max_reply) == (4, 256, 512)
    info = rpc.info()
    assert (info.layout_major, info.layout_minor) == (1, 1)
    assert info.capabilities & lib.INDEXBUS_CAP_RPC_CELLS
    assert (info.rpc_cells, info.rpc_cells_free) == (4, 4)
    assert (info.rpc_replies_abandoned, info.rpc_requests_failed) == (0, 0)
    with indexbus.Region.create(name + "-d", "rpc") as d:
        d.unlink()
        assert (d.cells, d.max_request, d.max_reply) == (64, 4096, 4096)
    with indexbus.Region.open(name) as again:
        assert (again.cells, again.max_request, again.max_reply) == (4, 256, 512)
    for bad in ({"byte_capacity": 4096}, {"slot_count": 8}, {"cells": 5000},
                {"max_request": 4}):
        with pytest.raises(indexbus.InvalidArgument):
            indexbus.Region.create(name + "-x", "rpc", **bad)
    with pytest.raises(indexbus.InvalidArgument):  # rpc geometry on another kind
        indexbus.Region.create(name + "-x", "events", cells=4)


def test_other_kinds_refuse_rpc_handles(name, region):
    with pytest.raises(indexbus.WrongKind):
        region.client()
    with pytest.raises(indexbus.WrongKind):
        region.server()
    with make_rpc(name + "-r") as r:
        r.unlink()
        with pytest.raises(indexbus.WrongKind):
            r.writer()
        with pytest.raises(indexbus.WrongKind):
            r.producer()


# ---- round trips --------------------------------------------------------------------

def test_request_round_trips_with_a_server_thread(rpc):
    sizes = [0, 1, 7, 8, 255, 256]
    with rpc.server() as server, rpc.client() as client:
        seen = []
        t = threading.Thread(target=lambda: seen.extend(
            serve_one(server, lambda b: b[::-1] + b"!" * 256) for _ in sizes))
        t.start()
        for n in sizes:
            data = os.urandom(n)
            assert client.request(data, timeout=HANG) == data[::-1] + b"!" * 256
        t.join(HANG)
        assert [len(b) for b in seen] == sizes
        assert rpc.info().rpc_cells_free == 3  # the client keeps one for its next request
    assert rpc.info().rpc_cells_free == 4


def test_zero_copy_both_sides(rpc):
    with rpc.server() as server, rpc.client() as client:
        claim = client.claim(11)
        with claim as view:
            assert len(view) == 11 and not view.readonly
            view[:] = b"hello world"
        token = claim.token
        assert token is not None and token >> 32 != 0 and (token & 0xFFFFFFFF) < 4
        req = server.serve(timeout=0)
        assert req.token == token and len(req) == 11
        assert req.data.readonly and bytes(req) == b"hello world"
        rb = req.reply_buffer()
        with rb as out:
            assert len(out) == 512 == rb.capacity
            out[:5] = bytes(req.data[:5]).upper()
            rb.length = 5
        with pytest.raises(ValueError):  # the request's view went with the reply
            req.data
        with client.wait(token, timeout=HANG) as view:
            assert view.readonly and bytes(view) == b"HELLO"
        with pytest.raises(ValueError):
            view.tobytes()  # released at the end of the block
        # a shorter send of a claim, a shorter commit of a reply buffer
        claim = client.claim(100)
        with claim as view:
            view[:3] = b"abc"
            claim.send(3)
        req = server.serve(timeout=0)
        assert bytes(req) == b"abc"
        with req.reply_buffer(50) as out:
            out[:] = b"z" * 50
        reply = client.wait(claim.token, timeout=HANG)
        assert len(reply) == 50 and bytes(reply) == b"z" * 50
        reply.release()
        reply.release()  # idempotent
        assert reply.released
        with pytest.raises(ValueError):
            reply.view


def test_server_side_token_calls(rpc):
    with rpc.server() as server, rpc.client() as client:
        t1, t2 = client.send(b"one"), client.send(bytearray(b"two"))
        r1 = server.serve(timeout=0)
        r2 = server.serve(timeout=0)  # a server may hold several at once
        assert (r1.token, r2.token) == (t1, t2)
        assert server.try_serve() is None
        with pytest.raises(indexbus.Empty):
            server.serve(timeout=0)
        with pytest.raises(indexbus.Timeout):
            server.serve(timeout=0.02)
        server.reply(t2, memoryview(b"2!"))
        with server.reply_buffer(t1, 2) as out:
            out[:] = b"1!"
        assert client.result(t1, timeout=HANG) == b"1!"
        assert client.result(t2, timeout=HANG) == b"2!"


def test_echo_of_the_request_view_itself(rpc):
    with rpc.server() as server, rpc.client() as client:
        t = client.send(b"echo me")
        req = server.serve(timeout=0)
        req.reply(req.data)
        assert client.result(t, timeout=HANG) == b"echo me"


def test_too_large(rpc):
    with rpc.server() as server, rpc.client() as client:
        with pytest.raises(indexbus.TooLarge):
            client.send(b"x" * 257)
        with pytest.raises(indexbus.TooLarge):
            client.request(b"x" * 257, timeout=1)
        with pytest.raises(indexbus.TooLarge):
            with client.claim(257):
                pass
        t = client.send(b"x" * 256)
        req = server.serve(timeout=0)
        with pytest.raises(indexbus.TooLarge):  # the request stays held
            req.reply(b"y" * 513)
        with pytest.raises(indexbus.TooLarge):
            with req.reply_buffer(513):
                pass
        req.reply(b"y" * 512)
        assert client.result(t, timeout=HANG) == b"y" * 512


# ---- tokens -------------------------------------------------------------------------

def test_one_reply_per_token_and_forged_tokens(rpc):
    with rpc.server() as server, rpc.client() as client, rpc.client() as other:
        t = client.send(b"q")
        req = server.serve(timeout=0)
        req.reply(b"a")
        with pytest.raises(indexbus.NotFound):  # a second reply
            req.reply(b"b")
        with pytest.raises(indexbus.NotFound):
            server.reply(t, b"b")
        with pytest.raises(indexbus.NotFound):  # not other's request
            other.wait(t, timeout=0)
        assert client.result(t, timeout=HANG) == b"a"
        with pytest.raises(indexbus.NotFound):  # stale: the reply was read
            client.wait(t, timeout=0)
        with pytest.raises(indexbus.NotFound):
            client.cancel(t)
        t2 = client.send(b"again")  # the same cell, the next generation
        assert t2 & 0xFFFFFFFF == t & 0xFFFFFFFF and t2 != t
        with pytest.raises(indexbus.NotFound):
            client.wait(t, timeout=0)
        for forged in (0, 4, 1 << 32 | 9, t2 + (1 << 32), t2 & 0xFFFFFFFF):
            with pytest.raises(indexbus.NotFound):
                client.wait(forged, timeout=0)
            with pytest.raises(indexbus.NotFound):
                server.reply(forged, b"x")
        req = server.serve(timeout=0)
        with pytest.raises(indexbus.NotFound):  # an earlier generation of its cell
            server.reply(t, b"stale")
        req.reply(b"fresh")
        assert client.result(t2, timeout=HANG) == b"fresh"


def test_timeout_and_cancel(rpc):
    with rpc.server() as server, rpc.client() as client:
        t = client.send(b"slow")
        with pytest.raises(indexbus.Timeout):  # left outstanding
            client.wait(t, timeout=0.02)
        with pytest.raises(indexbus.Timeout):
            client.wait(t, timeout=0)
        req = server.serve(timeout=0)
        req.reply(b"late but waited for")
        assert client.result(t, timeout=HANG) == b"late but waited for"
        # cancelled before the reply: the reply is dropped and counted
        t = client.send(b"slow")
        req = server.serve(timeout=0)
        client.cancel(t)
        req.reply(b"nobody")  # still OK for the server
        assert rpc.info().rpc_replies_abandoned == 1
        with pytest.raises(indexbus.NotFound):
            client.wait(t, timeout=0)
        # request() cancels on Timeout: before a server took it, it is gone
        with pytest.raises(indexbus.Timeout):
            client.request(b"too slow", timeout=0.02)
        assert server.try_serve() is None
        # and once a server holds it, the late reply is dropped
        taken, timed_out = threading.Event(), threading.Event()

        def late():
            req = server.serve(timeout=HANG)
            taken.set()
            timed_out.wait(HANG)
            req.reply(b"dropped")

        t = threading.Thread(target=late)
        t.start()
        with pytest.raises(indexbus.Timeout):
            while not taken.is_set():
                client.request(b"too slow", timeout=0.02)  # until the server took one
        timed_out.set()
        t.join(HANG)
        assert rpc.info().rpc_replies_abandoned == 2
        assert rpc.info().rpc_cells_free == 4


def test_full_cells_and_a_claim_given_up(name):
    with make_rpc(name, cells=2) as rpc, rpc.server() as server, rpc.client() as client:
        t1, t2 = client.send(b"1"), client.send(b"2")
        with pytest.raises(indexbus.Full):
            client.send(b"3")
        with pytest.raises(indexbus.Full):
            with client.claim(1):
                pass
        assert rpc.info().rpc_cells_free == 0
        assert sorted([serve_one(server), serve_one(server)]) == [b"1", b"2"]
        assert [client.result(t, timeout=0) for t in (t1, t2)] == [b"1", b"2"]
        assert rpc.info().rpc_cells_free == 1  # the client keeps one for its next request
        # an exception in the claim's block sends nothing: the cell goes back
        with pytest.raises(RuntimeError):
            with client.claim(5) as view:
                view[:] = b"never"
                raise RuntimeError
        assert server.try_serve() is None
        assert rpc.info().rpc_cells_free == 1
        claim = client.claim(5)
        with claim as view:
            claim.abort()
        assert claim.token is None and rpc.info().rpc_cells_free == 1
        with pytest.raises(indexbus.BadState):  # one claim at a time
            with client.claim(1):
                with client.claim(1):
                    pass
        t = client.send(b"next")  # takes the cell the claim kept
        assert serve_one(server) == b"next"
        assert client.result(t, timeout=HANG) == b"next"


# ---- servers that leave ------------------------------------------------------------

def test_server_closing_holding_a_request(rpc):
    client = rpc.client()
    server = rpc.server()
    t = client.send(b"held")
    req = server.serve(timeout=0)
    assert bytes(req) == b"held"
    server.close()  # fails the request it holds
    with pytest.raises(indexbus.Disconnected):
        client.wait(t, timeout=HANG)
    assert rpc.info().rpc_requests_failed == 1
    with pytest.raises(indexbus.Disconnected):  # every server that attached has left
        client.send(b"more")
    with rpc.server() as again:  # a new server takes over
        t = client.send(b"more")
        assert serve_one(again) == b"more"
        assert client.result(t, timeout=HANG) == b"more"
    client.close()


def test_a_request_failed_unanswered(rpc):
    with rpc.server() as server, rpc.client() as client:
        t = client.send(b"no answer")
        req = server.serve(timeout=0)
        req.fail()
        with pytest.raises(ValueError):
            req.data
        with pytest.raises(indexbus.NotFound):  # it is not held any more
            req.fail()
        with pytest.raises(indexbus.NotFound):
            server.reply(t, b"late")
        with pytest.raises(indexbus.Disconnected):
            client.wait(t, timeout=HANG)
        assert rpc.info().rpc_requests_failed == 1
        t = client.send(b"answered")  # the server and the client go on
        serve_one(server)
        assert client.result(t, timeout=HANG) == b"answered"
        with pytest.raises(indexbus.NotFound):
            server.fail(t)
        with pytest.raises(indexbus.NotFound):
            server.fail(1 << 32 | 9)


def test_a_client_that_closes_gives_its_cells_back(rpc):
    with rpc.server() as server:
        client = rpc.client()
        client.send(b"a")
        client.send(b"b")
        assert rpc.info().rpc_cells_free == 2
        client.close()  # gives up its requests: no server sees them
        assert rpc.info().rpc_cells_free == 4
        assert server.try_serve() is None
        # one a server holds: its reply is dropped and counted
        client = rpc.client()
        client.send(b"c")
        req = server.serve(timeout=0)
        client.close()
        assert rpc.info().rpc_cells_free == 3  # the server holds it until it replies
        req.reply(b"nobody")
        info = rpc.info()
        assert (info.rpc_cells_free, info.rpc_replies_abandoned) == (4, 1)


# ---- seed 004, the other side in another process ------------------------------------

def _server(name, count, q, mode):
    """Serves `count` requests. mode "echo": reply b"re:" + request; "fail": drop each
    unanswered; "hold": take one and close without replying; "die": take one and
    SIGKILL itself."""
    with indexbus.Region.open(name) as r:
        server = r.server()
        q.put("ready")
        for _ in range(count):
            req = server.serve(timeout=HANG)
            if mode == "hold":
                q.put(bytes(req))
                server.close()
                return
            if mode == "fail":
                q.put(bytes(req))
                req.fail()
                continue
            if mode == "die":
                q.put(bytes(req))
                q.close()
                q.join_thread()  # the item is out before the kill
                os.kill(os.getpid(), signal.SIGKILL)
            req.reply(b"re:" + bytes(req.data))
        server.close()


def start_server(name, count, mode="echo"):
    q = ctx.Queue()
    p = ctx.Process(target=_server, args=(name, count, q, mode))
    p.start()
    assert q.get(timeout=HANG) == "ready"
    return p, q


def test_seed4_a_value_sent_once_never_blocks_the_sender(rpc):
    """The server's reply returns at once whether or not the client waits yet."""
    with rpc.server() as server, rpc.client() as client:
        tokens = [client.send(b"%d" % i) for i in range(4)]
        for _ in tokens:  # nobody waits: each reply goes in at once
            req = server.serve(timeout=0)
            req.reply(b"r" + bytes(req.data))
        assert server.try_serve() is None
        assert [client.result(t, timeout=0) for t in tokens] == [b"r0", b"r1", b"r2", b"r3"]


@pytest.mark.parametrize("mode", ["fail", "hold"])
def test_seed4_a_sender_dropped_unsent_fails_the_receive(rpc, mode):
    """A server that drops the request unanswered (fail), or closes holding it: the
    client gets Disconnected."""
    with rpc.client() as client:
        p, q = start_server(rpc.name, 1, mode)
        t = client.send(b"will not be answered")
        assert q.get(timeout=HANG) == b"will not be answered"
        with pytest.raises(indexbus.Disconnected):
            client.wait(t, timeout=HANG)
        p.join(HANG)
        assert p.exitcode == 0
        assert rpc.info().rpc_requests_failed == 1


def test_a_server_that_dies_disconnects_its_client(rpc):
    with rpc.client() as client:
        p, q = start_server(rpc.name, 1, "die")
        t = client.send(b"then it dies")
        assert q.get(timeout=HANG) == b"then it dies"
        p.join(HANG)
        assert p.exitcode == -signal.SIGKILL
        with pytest.raises(indexbus.Disconnected):  # the wait recovers the dead server
            client.wait(t, timeout=HANG)
        info = rpc.info()  # the failed cell is kept for the client's next request
        assert (info.rpc_cells_free, info.rpc_requests_failed) == (3, 1)
        p, q = start_server(rpc.name, 1)  # and a new server can take over
        assert client.request(b"after", timeout=HANG) == b"re:after"
        p.join(HANG)
        assert p.exitcode == 0


def test_seed4_recycling_guaranteed_once_the_previous_value_was_read(name):
    """One cell: every request recycles it, once the previous reply was read."""
    with make_rpc(name, cells=1) as rpc, rpc.client() as client:
        p, q = start_server(name, 200)
        try:
            for i in range(100):
                assert client.request(b"%d" % i, timeout=HANG) == b"re:%d" % i
            for i in range(100, 200):
                t = client.send(b"%d" % i)
                reply = client.wait(t, timeout=HANG)
                with pytest.raises(indexbus.Full):  # not read yet: not recycled
                    client.send(b"x")
                assert bytes(reply) == b"re:%d" % i
                reply.release()  # read: the next send takes the cell at once
        finally:
            p.join(HANG)
        assert p.exitcode == 0


def _client(name, tag, count, q):
    with indexbus.Region.open(name) as r, r.client() as c:
        q.put([c.request(b"%s-%d" % (tag, i), timeout=HANG) for i in range(count)])


def test_work_queue_of_server_processes(name):
    """Two server processes, two client processes: each request served exactly once,
    each reply the one for its request."""
    count = 300
    with make_rpc(name, cells=8) as rpc:
        servers = [start_server(name, count * 2, "echo") for _ in range(2)]
        q = ctx.Queue()
        clients = [ctx.Process(target=_client, args=(name, tag, count, q))
                   for tag in (b"a", b"b")]
        for c in clients:
            c.start()
        got = [q.get(timeout=HANG) for _ in clients]
        for c in clients:
            c.join(HANG)
        assert [c.exitcode for c in clients] == [0, 0]
        want = {tag: [b"re:%s-%d" % (tag, i) for i in range(count)] for tag in (b"a", b"b")}
        assert sorted(got) == sorted(want.values())
        # each server serves until its count: end them with requests of our own
        with rpc.client() as c:
            for _ in range(count * 2):
                c.request(b"end", timeout=HANG)
        for p, _ in servers:
            p.join(HANG)
            assert p.exitcode == 0
        info = rpc.info()
        assert (info.rpc_replies_abandoned, info.rpc_requests_failed) == (0, 0)


# ---- the C CLI ----------------------------------------------------------------------

def test_c_cli_echo_server_python_client(rpc, cli):
    srv = subprocess.Popen([cli, "serve", rpc.name, "--echo", "--count", "20"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with rpc.client() as client:
            for i in range(20):
                data = b"ping %d" % i
                assert client.request(data, timeout=HANG) == data
        _, err = srv.communicate(timeout=HANG)
    finally:
        if srv.poll() is None:
            srv.kill()
            srv.wait()
    assert srv.returncode == 0, err


def test_c_cli_requests_python_serves(rpc, cli):
    with rpc.server() as server:
        req = subprocess.Popen([cli, "request", rpc.name, "--data", "hello"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            r = server.serve(timeout=HANG)
            assert bytes(r) == b"hello"
            with r.reply_buffer(7) as out:
                out[:] = b"<hello>"
            out, err = req.communicate(timeout=HANG)
        finally:
            if req.poll() is None:
                req.kill()
                req.wait()
        assert req.returncode == 0, err
        assert out == "<hello>\n"
