#!/usr/bin/env python3
"""The Python conformance agent (conformance/PROTOCOL.md).

    agent.py <command> --region NAME [options]   (golden: then its op list)

A thin user of the ``indexbus`` package (bindings/python, cffi): statuses come from
its exception classes, names from ``indexbus.status_name``; nothing is copied from
the C header. conformance.mk runs it with the Python of a venv the package is
installed in. JSON lines on stdout, free text on stderr; exit 0 done, 1 failed,
2 usage.
"""
import json
import sys
import time

import indexbus

EXIT_FAIL = 1
EXIT_USAGE = 2

WAIT_CONSUMERS_S = 10.0
FULL_RETRY_S = 20.0
RETRY_S = 20.0    # stream writes, requests: their waits and retry bounds
HOLD_S = 120.0    # --hold: sleep until killed, at most this long
FNV_BASIS, FNV_PRIME, MASK64 = 0xCBF29CE484222325, 0x100000001B3, (1 << 64) - 1
KINDS = ("events", "fanout", "log", "stream", "rpc")
TYPES = ("spsc", "mpsc")
SOURCES = ("any", "spsc", "mpsc")
MODES = ("broadcast", "work-queue")


class Fail(Exception):
    """A failure with a status no call raised (our own bounds, a bad handle name)."""

    def __init__(self, status, what):
        super().__init__(what)
        self.status = status
        self.what = what


class Usage(Exception):
    pass


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def payload(p, k, s):
    """Message k of producer p, s bytes (PROTOCOL.md payload rule)."""
    head = p.to_bytes(4, "little") + k.to_bytes(4, "little")
    return head[:s] + bytes((p * 31 + k * 17 + j * 7) & 0xFF for j in range(8, s))


def stream_bytes(w, start, n):
    """Bytes start..start+n-1 of writer w's stream (PROTOCOL.md stream rule)."""
    base = w * 40503
    return bytes(((x >> 24) ^ (x >> 8)) & 0xFF
                 for x in (((i & 0xFFFFFFFF) * 2654435761 + base) & 0xFFFFFFFF
                           for i in range(start, start + n)))


def reply_rule(req):
    """The reply to a request (PROTOCOL.md reply rule)."""
    return len(req).to_bytes(4, "little") + bytes(b ^ 0x5A for b in reversed(req))


def fnv(data, h=FNV_BASIS):
    """FNV-1a 64 of data, going on from h."""
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK64
    return h


def hold():
    """--hold: keep every handle open and sleep until the runner kills us."""
    sys.stdout.flush()
    deadline = time.monotonic() + HOLD_S
    while time.monotonic() < deadline:
        time.sleep(0.1)
    raise Fail(indexbus.Timeout.status, "held for 120 s and nobody killed us")


# ---- options ------------------------------------------------------------------------

FLAGS = {"--zero-copy", "--borrow", "--wait", "--wait-reader", "--hold", "--release", "--hex",
         "--retry-disconnected"}
GEOMETRY = {"--kind", "--slots", "--slot-size", "--queue", "--consumers", "--bytes",
            "--max-record", "--cells", "--max-request", "--max-reply"}
COMMAND_OPTS = {
    "create": {"--region"} | GEOMETRY,
    "produce": {"--region", "--type", "--producer", "--count", "--sizes", "--zero-copy",
                "--batch", "--wait", "--wait-consumers"},
    "route": {"--region", "--mode", "--source"},
    "consume": {"--region", "--index", "--borrow", "--batch", "--timeout-ms", "--count",
                "--delay-ms"},
    "stream-write": {"--region", "--writer", "--bytes", "--chunk", "--count", "--sizes", "--mode",
                     "--wait-reader", "--hold"},
    "stream-read": {"--region", "--read-size", "--timeout-ms", "--max-bytes", "--release",
                    "--hold", "--hex"},
    "serve": {"--region", "--count", "--zero-copy", "--timeout-ms", "--hold"},
    "request": {"--region", "--client", "--count", "--sizes", "--mode", "--timeout-ms",
                "--retry-disconnected"},
    "error": {"--region", "--case"},
    "golden": {"--region"},
    "unlink": {"--region"},
}
# The ops of the golden command's list: (options, required ones).
GOLDEN_OPS = {
    "create": (GEOMETRY, ["--kind"]),
    "producer": ({"--name", "--type"}, ["--name", "--type"]),
    "router": ({"--name"}, ["--name"]),
    "consumer": ({"--name", "--index"}, ["--name", "--index"]),
    "publish": ({"--name", "--producer", "--from", "--count", "--sizes", "--zero-copy",
                 "--batch"}, ["--name", "--producer", "--count", "--sizes"]),
    "route": ({"--name", "--count", "--mode", "--source"}, ["--name", "--count"]),
    "recv": ({"--name", "--count", "--borrow"}, ["--name", "--count"]),
    "close": ({"--name"}, ["--name"]),
    "writer": ({"--name"}, ["--name"]),
    "reader": ({"--name"}, ["--name"]),
    "write": ({"--name", "--writer", "--from", "--bytes", "--chunk", "--mode"},
              ["--name", "--bytes"]),
    "read": ({"--name", "--bytes", "--read-size"}, ["--name", "--bytes"]),
    "release": ({"--name"}, ["--name"]),
    "client": ({"--name"}, ["--name"]),
    "server": ({"--name"}, ["--name"]),
    "request": ({"--name", "--client", "--from", "--count", "--sizes", "--zero-copy"},
                ["--name", "--count", "--sizes"]),
    "serve": ({"--name", "--count", "--zero-copy", "--hold"}, ["--name", "--count"]),
    "reply": ({"--name", "--count", "--zero-copy"}, ["--name", "--count"]),
    "wait": ({"--name", "--count"}, ["--name", "--count"]),
    "cancel": ({"--name", "--count"}, ["--name", "--count"]),
}


def parse_opts(what, allowed, required, argv, i):
    """The options of `what` from argv[i:] up to the first word that is not an option,
    and that word's index."""
    opts = {}
    while i < len(argv) and argv[i].startswith("--"):
        a = argv[i]
        if a not in allowed:
            raise Usage(f"{what}: unknown option '{a}'")
        if a in opts:
            raise Usage(f"{what}: option {a} given twice")
        if a in FLAGS:
            opts[a] = True
        else:
            if i + 1 >= len(argv):
                raise Usage(f"{what}: option {a} needs a value")
            i += 1
            opts[a] = argv[i]
        i += 1
    for key in required:
        if key not in opts:
            raise Usage(f"{what}: {key} is required")
    return opts, i


def parse_args(argv):
    if not argv:
        raise Usage("no command")
    cmd = argv[0]
    if cmd not in COMMAND_OPTS:
        raise Usage(f"unknown command '{cmd}'")
    required = {"serve": ["--count"], "request": ["--count", "--sizes"]}.get(cmd, [])
    opts, i = parse_opts(cmd, COMMAND_OPTS[cmd], ["--region"] + required, argv, 1)
    if cmd == "golden":
        opts["ops"] = argv[i:]
    elif i < len(argv):
        raise Usage(f"{cmd}: unexpected argument '{argv[i]}'")
    return cmd, opts


def golden_ops(argv):
    """The golden op list argv, as (op, its options) pairs."""
    i = 0
    while i < len(argv):
        what = argv[i]
        if what not in GOLDEN_OPS:
            raise Usage(f"golden: unknown op '{what}'")
        op, i = parse_opts(what, *GOLDEN_OPS[what], argv, i + 1)
        yield what, op


def num(opts, key, default):
    if key not in opts:
        return default
    v = opts[key]
    if not v.isdigit():
        raise Usage(f"{key}: not a number: '{v}'")
    return int(v)


def choice(values, value, what):
    if value not in values:
        raise Usage(f"bad {what} '{value}'")
    return value


def parse_sizes(text):
    try:
        sizes = [int(x) for x in text.split(",")]
    except ValueError:
        raise Usage("--sizes: bad list") from None
    if not sizes or any(s < 0 for s in sizes):
        raise Usage("--sizes: bad list")
    return sizes


def create_region(name, o):
    kind = choice(KINDS, o["--kind"], "kind")
    slots = ("--slots", "--slot-size", "--queue", "--consumers")
    ring = ("--bytes", "--max-record")
    rpc = ("--cells", "--max-request", "--max-reply")
    if kind != "rpc" and any(k in o for k in rpc):
        raise Usage("create: --cells, --max-request and --max-reply are for --kind rpc only")
    if kind == "rpc" and any(k in o for k in slots + ring):
        raise Usage("create: only --cells, --max-request and --max-reply for --kind rpc")
    if kind in ("log", "stream") and any(k in o for k in slots):
        raise Usage("create: --slots, --slot-size, --queue and --consumers are not for byte "
                    "logs and streams")
    if kind in ("events", "fanout") and any(k in o for k in ring):
        raise Usage("create: --bytes and --max-record are for byte logs and streams only")
    return indexbus.Region.create(
        name, kind, slot_count=num(o, "--slots", 0),
        slot_data_size=num(o, "--slot-size", 0), queue_capacity=num(o, "--queue", 0),
        consumer_count=num(o, "--consumers", 0), byte_capacity=num(o, "--bytes", 0),
        max_record=num(o, "--max-record", 0), cells=num(o, "--cells", 0),
        max_request=num(o, "--max-request", 0), max_reply=num(o, "--max-reply", 0))


def retrying(call, what, retry):
    """call() until it does not raise Full (at once if not retry); Full for longer
    than FULL_RETRY_S is a TIMEOUT failure."""
    deadline = None
    while True:
        try:
            return call()
        except indexbus.Full:
            if not retry:
                raise
            now = time.monotonic()
            if deadline is None:
                deadline = now + FULL_RETRY_S
            elif now > deadline:
                raise Fail(indexbus.Timeout.status, f"{what}: FULL for 20 s") from None
            time.sleep(0)


def claim_and_commit(tx, data, timeout=0.0):
    """Zero copy: a claim of exactly len(data) bytes (a slot in events and fanout
    regions), filled in place; the block's end commits."""
    with tx.claim(len(data), timeout=timeout) as view:
        view[:] = data


def publish_one(tx, p, k, s, zero_copy, retry, wait=False):
    """retry: on Full, try again (20 s bound); wait: the blocking publish or claim
    (a timeout of 20 s) instead."""
    data = payload(p, k, s)
    timeout = FULL_RETRY_S if wait else 0.0
    if zero_copy:
        retrying(lambda: claim_and_commit(tx, data, timeout), f"claim {k}", retry)
    else:
        retrying(lambda: tx.publish(data, timeout=timeout), f"publish {k}", retry)


def claim_batch_and_commit(tx, msgs):
    """The in-place batch claim: reserve every record, fill each, commit all at the
    block's end."""
    with tx.claim_batch([len(m) for m in msgs]) as views:
        for view, m in zip(views, msgs):
            view[:] = m


def publish_batches(tx, p, start, count, sizes, batch, zero_copy, retry):
    """Messages start..start+count-1 in batches of up to `batch`: the batch publish
    (goes on after a partial one), or with zero_copy the batch claim (halved when the
    library finds the batch TooLarge: more than half the ring)."""
    k, end, n = start, start + count, batch
    while k < end:
        n = min(n, end - k)
        msgs = [payload(p, j, sizes[j % len(sizes)]) for j in range(k, k + n)]
        if not zero_copy:
            done = retrying(lambda: tx.publish_batch(msgs), f"batch at {k}", retry)
            if not retry and done != n:
                raise Fail(indexbus.Full.status, f"batch at {k}: {done} of {n} published")
            k += done
            continue
        try:
            retrying(lambda: claim_batch_and_commit(tx, msgs), f"batch claim at {k}", retry)
        except indexbus.TooLarge:
            if n == 1:
                raise
            n //= 2
            continue
        k += n
        n = batch


def msg_line(data):
    return {"ev": "msg", "len": len(data), "hex": bytes(data).hex()}


# ---- commands -------------------------------------------------------------------------

def cmd_create(name, o):
    create_region(name, o).close()
    emit({"ev": "created"})


def cmd_unlink(name, o):
    indexbus.unlink(name)
    emit({"ev": "unlinked"})


def cmd_produce(name, o):
    mpsc = choice(TYPES, o.get("--type", "spsc"), "producer type") == "mpsc"
    p, count = num(o, "--producer", 0), num(o, "--count", 0)
    sizes = parse_sizes(o.get("--sizes", "0"))
    zero_copy, wait = o.get("--zero-copy", False), o.get("--wait", False)
    batch, want = num(o, "--batch", 0), num(o, "--wait-consumers", 0)
    if "--batch" in o and batch == 0:
        raise Usage("produce: --batch must be at least 1")
    if wait and batch:
        raise Usage("produce: --wait and --batch exclude each other")
    with indexbus.Region.open(name) as r:
        if zero_copy and batch and not r.is_log:
            raise Usage("produce: --zero-copy with --batch (the batch claim) is for byte logs only")
        for s in sizes:
            if s > r.record_capacity:
                raise Usage(f"produce: size {s} > the largest message, {r.record_capacity}")
        with r.producer(mpsc=mpsc) as tx:
            if want:
                deadline = time.monotonic() + WAIT_CONSUMERS_S
                while r.info().consumers_live < want:
                    if time.monotonic() > deadline:
                        raise Fail(indexbus.Timeout.status, f"waiting for {want} consumers")
                    time.sleep(0.001)
            if not batch:
                for k in range(count):
                    publish_one(tx, p, k, sizes[k % len(sizes)], zero_copy, not wait, wait)
            else:
                publish_batches(tx, p, 0, count, sizes, batch, zero_copy, True)
    emit({"ev": "done", "published": count})


def cmd_route(name, o):
    mode = choice(MODES, o.get("--mode", "broadcast"), "mode")
    source = choice(SOURCES, o.get("--source", "any"), "source")
    with indexbus.Region.open(name) as r, r.router() as rt:
        routed = rt.run(source=source, mode=mode, exit_on_disconnect=True)
    emit({"ev": "done", "routed": routed})


def receive(rx, borrow, batch, max_msgs, timeout):
    """The next message(s) as a list; [] when a batch poll found none."""
    if batch:
        return rx.recv_batch(max_msgs, timeout=0)
    if borrow:
        with rx.borrow(timeout=timeout) as view:
            return [bytes(view)]
    return [rx.recv(timeout=timeout)]


def cmd_consume(name, o):
    index, batch = num(o, "--index", 0), num(o, "--batch", 0)
    borrow = o.get("--borrow", False)
    timeout = num(o, "--timeout-ms", 10000) / 1000.0
    limited, want = "--count" in o, num(o, "--count", 0)
    delay = num(o, "--delay-ms", 0) / 1000.0
    if "--batch" in o and batch == 0:
        raise Usage("consume: --batch must be at least 1")
    if borrow and batch:
        raise Usage("consume: --borrow and --batch exclude each other")
    got, end, idle_since = 0, "INDEXBUS_OK", None
    with indexbus.Region.open(name) as r, r.consumer(index) as rx:
        if delay:  # attached, reading nothing: producers may fill the region
            time.sleep(delay)
        while not limited or got < want:
            max_msgs = min(batch, want - got) if limited else batch
            try:
                msgs = receive(rx, borrow, batch, max_msgs, timeout)
            except indexbus.Disconnected as e:
                end = e.name
                break
            if not msgs:  # a batch poll: yield, up to the timeout
                idle_since = idle_since or time.monotonic()
                if time.monotonic() - idle_since > timeout:
                    raise Fail(indexbus.Timeout.status, f"batch receive: idle for {timeout} s")
                time.sleep(0)
                continue
            idle_since = None
            for m in msgs:
                emit(msg_line(m))
            got += len(msgs)
    emit({"ev": "end", "status": end, "count": got})


# ---- byte streams and request/response ---------------------------------------------------

def write_mode(o, what):
    mode = o.get("--mode", "all")
    if mode not in ("all", "some"):
        raise Usage(f"{what}: bad --mode '{mode}' (all or some)")
    return mode == "some"


def stream_put(wr, data, some, at, timeout=RETRY_S, bounded=True):
    """One call's bytes: write_all (waiting up to `timeout`), or with `some` writes that
    take what fits, again for the rest (yielding while nothing fits: 20 s bound, or none
    at all when not `bounded`)."""
    if not some:
        try:
            wr.write_all(data, timeout=timeout)
        except indexbus.Error as e:
            raise Fail(e.status, f"write_all of {len(data)} bytes at byte {at} "
                                 f"({getattr(e, 'written', '?')} written)") from None
        return
    view, done, deadline = memoryview(data), 0, None
    while done < len(data):
        n = wr.write(view[done:], timeout=0)
        if n is not None:
            done += n
            deadline = None
            continue
        if not bounded:
            raise Fail(indexbus.Full.status, f"write at byte {at + done}: FULL")
        now = time.monotonic()
        if deadline is None:
            deadline = now + RETRY_S
        elif now > deadline:
            raise Fail(indexbus.Timeout.status, f"write at byte {at + done}: FULL for 20 s")
        time.sleep(0)


def cmd_stream_write(name, o):
    w = num(o, "--writer", 0)
    some = write_mode(o, "stream-write")
    by_bytes = "--bytes" in o
    if by_bytes == ("--count" in o or "--sizes" in o):
        raise Usage("stream-write: either --bytes or --count and --sizes")
    if not by_bytes and not ("--count" in o and "--sizes" in o):
        raise Usage("stream-write: --count and --sizes go together")
    if "--chunk" in o and not by_bytes:
        raise Usage("stream-write: --chunk is for --bytes")
    total, chunk = num(o, "--bytes", 0), num(o, "--chunk", 4096)
    count = num(o, "--count", 0)
    sizes = [] if by_bytes else parse_sizes(o["--sizes"])
    if chunk == 0:
        raise Usage("stream-write: --chunk must be at least 1")
    written = 0
    with indexbus.Region.open(name) as r:
        for s in sizes:
            if s > r.max_record:
                raise Usage(f"stream-write: size {s} > max_record {r.max_record}")
        wr = r.writer()
        try:
            if "--wait-reader" in o:
                deadline = time.monotonic() + WAIT_CONSUMERS_S
                while r.info().consumers_live < 1:
                    if time.monotonic() > deadline:
                        raise Fail(indexbus.Timeout.status, "waiting for the reader")
                    time.sleep(0.001)
            if by_bytes:
                while written < total:
                    n = min(chunk, total - written)
                    stream_put(wr, stream_bytes(w, written, n), some, written)
                    written += n
            else:
                for k in range(count):
                    data = payload(w, k, sizes[k % len(sizes)])
                    stream_put(wr, data, some, written)
                    written += len(data)
            if "--hold" in o:
                emit({"ev": "holding", "written": written})
                hold()
        finally:
            if "--hold" not in o:
                wr.close()
    emit({"ev": "done", "written": written})


def cmd_stream_read(name, o):
    rsize = num(o, "--read-size", 65536)
    timeout = num(o, "--timeout-ms", 20000) / 1000.0
    limited, most = "--max-bytes" in o, num(o, "--max-bytes", 0)
    if rsize == 0:
        raise Usage("stream-read: --read-size must be at least 1")
    if "--release" in o and "--hold" in o:
        raise Usage("stream-read: --release and --hold exclude each other")
    buf = bytearray(rsize)
    view = memoryview(buf)
    total, h, end = 0, FNV_BASIS, "INDEXBUS_OK"
    with indexbus.Region.open(name) as r:
        rd = r.reader(timeout=timeout)
        while not limited or total < most:
            cap = min(rsize, most - total) if limited else rsize
            n = rd.readinto(view[:cap])
            if n == 0:  # end of stream
                end = indexbus.status_name(indexbus.Disconnected.status)
                break
            if "--hex" in o:
                emit({"ev": "data", "hex": buf[:n].hex()})
            h = fnv(view[:n], h)
            total += n
        st = r.stream_state()
        emit({"ev": "end", "status": end, "bytes": total, "fnv": f"{h:016x}",
              "ended": st.ended, "reader_gone": st.reader_gone, "aborted": st.aborted,
              "writers_aborted": st.writers_aborted})
        if "--hold" in o:
            emit({"ev": "holding"})
            hold()
        if "--release" in o:
            rd.release()
        else:
            rd.close()


def answer(req, zero_copy):
    """Reply to a served request by the reply rule: copied in, or written in place."""
    out = reply_rule(bytes(req.data))
    if zero_copy:
        with req.reply_buffer(len(out)) as view:
            view[:] = out
    else:
        req.reply(out)


def cmd_serve(name, o):
    count = num(o, "--count", 0)
    timeout = num(o, "--timeout-ms", 20000) / 1000.0
    held = []
    with indexbus.Region.open(name) as r, r.server() as sv:
        for k in range(count):
            try:
                req = sv.serve(timeout=timeout)
            except indexbus.Error as e:
                raise Fail(e.status, f"serve request {k}") from None
            if "--hold" in o:
                held.append(req)
            else:
                answer(req, o.get("--zero-copy", False))
        if "--hold" in o:
            emit({"ev": "holding", "count": count})
            hold()
    emit({"ev": "done", "served": count})


def round_trip(c, mode, req, timeout):
    """One round trip in the chosen mode; the reply as bytes."""
    if mode == "call":
        return c.request(req, timeout=timeout)
    if mode == "zero-copy":
        claim = c.claim(len(req))
        with claim as view:
            view[:] = req  # the request is written in place
        token = claim.token
    else:
        token = c.send(req)
    with c.wait(token, timeout=timeout) as view:
        return bytes(view)


def cmd_request(name, o):
    p, count = num(o, "--client", 0), num(o, "--count", 0)
    sizes = parse_sizes(o["--sizes"])
    timeout = num(o, "--timeout-ms", 20000) / 1000.0
    mode = choice(("call", "wait", "zero-copy"), o.get("--mode", "wait"), "--mode")
    h, reply_bytes = FNV_BASIS, 0
    with indexbus.Region.open(name) as r:
        for s in sizes:
            if s > r.max_request:
                raise Usage(f"request: size {s} > max_request {r.max_request}")
        with r.client() as c:
            for k in range(count):
                req = payload(p, k, sizes[k % len(sizes)])
                told, deadline = False, None
                while True:
                    try:
                        got = round_trip(c, mode, req, timeout)
                        break
                    except indexbus.Disconnected:
                        if "--retry-disconnected" not in o:
                            raise
                        if not told:
                            emit({"ev": "disconnected", "k": k})
                            sys.stdout.flush()
                            told = True
                        now = time.monotonic()
                        if deadline is None:
                            deadline = now + RETRY_S
                        elif now > deadline:
                            raise Fail(indexbus.Disconnected.status,
                                       f"request {k}: DISCONNECTED for 20 s") from None
                        time.sleep(0.001)
                    except indexbus.Error as e:
                        raise Fail(e.status, f"request {k}") from None
                want = reply_rule(req)
                if got != want:
                    if len(got) != len(want):
                        what = f"{len(got)} bytes, want {len(want)}"
                    else:
                        j = next(j for j in range(len(want)) if got[j] != want[j])
                        what = f"differs at byte {j}: {got[j]:#04x}, want {want[j]:#04x}"
                    raise Fail(indexbus.Corrupt.status, f"reply {k}: {what}")
                h = fnv(got, h)
                reply_bytes += len(got)
    emit({"ev": "done", "requests": count, "reply_bytes": reply_bytes, "fnv": f"{h:016x}"})


def error_case(name, case):
    """Run one wrong call; the exception it raises is the answer."""
    if case in ("too_large", "buffer_too_small"):
        with indexbus.Region.open(name) as r, r.producer() as tx:
            tx.publish(payload(0, 0, 65 if case == "too_large" else 10))
            with r.consumer(0) as rx:
                rx.recv_into(bytearray(4), timeout=1.0)
    elif case == "wrong_kind":
        with indexbus.Region.open(name) as r:
            r.router().close()
    elif case == "newer_major":
        indexbus.Region.open(name).close()
    elif case == "not_ready":
        indexbus.Region.open(name, ready_timeout=0.05).close()
    elif case == "timeout":
        with indexbus.Region.open(name) as r, r.consumer(0) as rx:
            rx.recv(timeout=0.05)
    elif case == "log_too_large":
        with indexbus.Region.open(name) as r, r.producer() as tx:
            tx.publish(payload(0, 0, 65))
    elif case == "log_claim_too_large":
        with indexbus.Region.open(name) as r, r.producer() as tx:
            with tx.claim(65):
                pass
    elif case == "log_busy":
        with indexbus.Region.open(name) as r, r.producer():
            r.producer(mpsc=True).close()
    elif case == "log_wait_timeout":
        with indexbus.Region.open(name) as r, r.producer() as tx:
            data = payload(0, 0, 56)
            for _ in range(1000000):
                try:
                    tx.publish(data)
                except indexbus.Full:
                    break
            else:
                raise Fail(indexbus.InvalidArgument.status, "the byte log never filled")
            tx.publish(data, timeout=0.05)
    elif case == "stream_reader_busy":
        with indexbus.Region.open(name) as r:
            first = r.reader()
            try:
                r.reader().release()
            finally:
                first.release()  # hand over: leaves no READER_GONE behind
    elif case == "stream_reader_gone":
        with indexbus.Region.open(name) as r, r.writer() as wr:
            r.reader().close()
            wr.write(stream_bytes(0, 0, 1), timeout=0)
    elif case == "stream_ended":
        with indexbus.Region.open(name) as r:
            r.writer().close()
            r.writer().close()
    elif case == "stream_read_timeout":
        with indexbus.Region.open(name) as r, r.writer(), r.reader() as rd:
            rd.read(1024, timeout=0.05)
    elif case == "stream_write_timeout":
        with indexbus.Region.open(name) as r, r.writer() as wr:
            at = 0
            for _ in range(1000):
                try:
                    wr.write_all(stream_bytes(0, at, 1000), timeout=0.05)
                except indexbus.Error as e:
                    if e.written != 0:  # at most max_record: all of it or none
                        raise Fail(indexbus.InvalidArgument.status,
                                   f"write_all half-written: {e.written} of 1000") from None
                    raise
                at += 1000
            raise Fail(indexbus.InvalidArgument.status, "the stream never filled")
    elif case == "rpc_wrong_kind":
        with indexbus.Region.open(name) as r:
            r.client().close()
    elif case == "rpc_too_large":
        with indexbus.Region.open(name) as r, r.client() as c:
            c.send(payload(0, 0, 65))
    elif case == "rpc_second_reply":
        with indexbus.Region.open(name) as r, r.client() as c, r.server() as sv:
            c.send(payload(0, 0, 8))
            req = sv.serve(timeout=1.0)
            out = reply_rule(bytes(req.data))
            sv.reply(req.token, out)
            sv.reply(req.token, out)
    elif case == "rpc_wait_timeout":
        with indexbus.Region.open(name) as r, r.client() as c:
            c.wait(c.send(payload(0, 0, 8)), timeout=0.05)
    elif case == "rpc_no_server":
        with indexbus.Region.open(name) as r:
            r.server().close()
            with r.client() as c:
                c.send(payload(0, 0, 8))
    else:
        raise Usage(f"error: unknown case '{case}'")


def cmd_error(name, o):
    case = o["--case"]
    try:
        error_case(name, case)
        status = indexbus.status_name(0)
    except indexbus.Error as e:
        status = e.name
    emit({"ev": "error", "case": case, "status": status})


# ---- golden ---------------------------------------------------------------------------

ROLE_CLASSES = {"producer": indexbus.Producer, "router": indexbus.Router,
                "consumer": indexbus.Consumer, "writer": indexbus.StreamWriter,
                "reader": indexbus.StreamReader, "client": indexbus.Client,
                "server": indexbus.Server}


def cmd_golden(name, o):
    region, handles = None, []  # [name, handle], in opening order
    queues = {}  # id(client) -> outstanding tokens; id(server) -> held requests; oldest first

    def find(hname, role):
        for hn, h in reversed(handles):
            if hn == hname and not h.closed:
                if role is not None and not isinstance(h, ROLE_CLASSES[role]):
                    raise Fail(indexbus.InvalidArgument.status,
                               f"golden: handle '{hname}' has the wrong role")
                return h
        raise Fail(indexbus.InvalidArgument.status, f"golden: no open handle '{hname}'")

    for i, (what, op) in enumerate(golden_ops(o["ops"])):
        count = num(op, "--count", 0)
        if what == "create":
            region = create_region(name, op)
            continue
        if region is None:
            raise Fail(indexbus.InvalidArgument.status, f"golden: op {i} before create")
        if what == "producer":
            mpsc = choice(TYPES, op["--type"], "type") == "mpsc"
            handles.append((op["--name"], region.producer(mpsc=mpsc)))
        elif what == "router":
            handles.append((op["--name"], region.router()))
        elif what == "consumer":
            handles.append((op["--name"], region.consumer(num(op, "--index", 0))))
        elif what == "publish":
            tx = find(op["--name"], "producer")
            sizes = parse_sizes(op["--sizes"])
            pid, start = num(op, "--producer", 0), num(op, "--from", 0)
            zero_copy, batch = op.get("--zero-copy", False), num(op, "--batch", 0)
            if "--batch" in op and batch == 0:
                raise Usage(f"golden op {i}: --batch must be at least 1")
            if batch and zero_copy and not region.is_log:
                raise Usage(f"golden op {i}: --zero-copy with --batch is for byte logs only")
            if batch:
                publish_batches(tx, pid, start, count, sizes, batch, zero_copy, False)
            else:
                for k in range(start, start + count):
                    publish_one(tx, pid, k, sizes[k % len(sizes)], zero_copy, False)
        elif what == "route":
            rt = find(op["--name"], "router")
            mode = choice(MODES, op.get("--mode", "broadcast"), "mode")
            source = choice(SOURCES, op.get("--source", "any"), "source")
            for k in range(count):
                if not rt.route_once(source=source, mode=mode):
                    raise Fail(indexbus.Empty.status, f"golden op {i}: route step {k}")
        elif what == "recv":
            rx = find(op["--name"], "consumer")
            for k in range(count):
                if op.get("--borrow", False):
                    with rx.borrow(timeout=0):
                        pass
                elif rx.try_recv() is None:
                    raise Fail(indexbus.Empty.status, f"golden op {i}: recv {k}")
        elif what in ("writer", "reader", "client", "server"):
            opener = {"writer": region.writer, "reader": region.reader,
                      "client": region.client, "server": region.server}[what]
            h = opener()
            handles.append((op["--name"], h))
            queues[id(h)] = []
        elif what == "write":
            wr = find(op["--name"], "writer")
            w, at, n = num(op, "--writer", 0), num(op, "--from", 0), num(op, "--bytes", 0)
            chunk = num(op, "--chunk", n or 1)
            some = write_mode(op, f"golden op {i}")
            if chunk == 0:
                raise Usage(f"golden op {i}: --chunk must be at least 1")
            end = at + n
            while at < end:
                k = min(chunk, end - at)
                stream_put(wr, stream_bytes(w, at, k), some, at, timeout=0, bounded=False)
                at += k
        elif what == "read":
            rd = find(op["--name"], "reader")
            n, rs = num(op, "--bytes", 0), num(op, "--read-size", 65536)
            if rs == 0:
                raise Usage(f"golden op {i}: --read-size must be at least 1")
            buf = memoryview(bytearray(rs))
            got = 0
            while got < n:
                k = rd.readinto(buf[:min(rs, n - got)], timeout=0)
                if not k:
                    raise Fail(indexbus.Empty.status if k is None else
                               indexbus.Disconnected.status,
                               f"golden op {i}: read after {got} bytes")
                got += k
        elif what == "release":
            find(op["--name"], "reader").release()
        elif what == "request":
            c = find(op["--name"], "client")
            sizes = parse_sizes(op["--sizes"])
            pid, start = num(op, "--client", 0), num(op, "--from", 0)
            for k in range(start, start + count):
                data = payload(pid, k, sizes[k % len(sizes)])
                if op.get("--zero-copy", False):
                    claim = c.claim(len(data))
                    with claim as view:
                        view[:] = data
                    queues[id(c)].append(claim.token)
                else:
                    queues[id(c)].append(c.send(data))
        elif what == "serve":
            sv = find(op["--name"], "server")
            for k in range(count):
                req = sv.serve(timeout=0)
                if op.get("--hold", False):
                    queues[id(sv)].append(req)
                else:
                    answer(req, op.get("--zero-copy", False))
        elif what == "reply":
            sv = find(op["--name"], "server")
            for k in range(count):
                if not queues[id(sv)]:
                    raise Fail(indexbus.InvalidArgument.status, f"golden op {i}: no held request")
                answer(queues[id(sv)].pop(0), op.get("--zero-copy", False))
        elif what in ("wait", "cancel"):
            c = find(op["--name"], "client")
            for k in range(count):
                if not queues[id(c)]:
                    raise Fail(indexbus.InvalidArgument.status,
                               f"golden op {i}: no outstanding request")
                token = queues[id(c)].pop(0)
                if what == "cancel":
                    c.cancel(token)
                else:
                    c.wait(token, timeout=0).release()
        else:  # close
            find(op["--name"], None).close()
    if region is None:
        raise Fail(indexbus.InvalidArgument.status, "golden: no create op")
    for _, h in reversed(handles):
        h.close()
    region.close()
    emit({"ev": "done"})


COMMANDS = {"create": cmd_create, "produce": cmd_produce, "route": cmd_route,
            "consume": cmd_consume, "stream-write": cmd_stream_write,
            "stream-read": cmd_stream_read, "serve": cmd_serve, "request": cmd_request,
            "error": cmd_error, "golden": cmd_golden, "unlink": cmd_unlink}


def main(argv):
    try:
        cmd, opts = parse_args(argv)
        COMMANDS[cmd](opts["--region"], opts)
    except Usage as e:
        sys.stderr.write(f"agent.py: {e}\nusage: agent.py <command> --region NAME [options] "
                         "(see conformance/PROTOCOL.md)\n")
        return EXIT_USAGE
    except (Fail, indexbus.Error) as e:
        status = indexbus.status_name(e.status)
        what = e.what if isinstance(e, Fail) else str(e)
        sys.stderr.write(f"agent.py: {what}: {status}\n")
        emit({"ev": "fail", "status": status, "what": what})
        return EXIT_FAIL
    finally:
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
