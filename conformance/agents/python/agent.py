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
KINDS = ("events", "fanout", "log")
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


# ---- options ------------------------------------------------------------------------

FLAGS = {"--zero-copy", "--borrow", "--wait"}
GEOMETRY = {"--kind", "--slots", "--slot-size", "--queue", "--consumers", "--bytes",
            "--max-record"}
COMMAND_OPTS = {
    "create": {"--region"} | GEOMETRY,
    "produce": {"--region", "--type", "--producer", "--count", "--sizes", "--zero-copy",
                "--batch", "--wait", "--wait-consumers"},
    "route": {"--region", "--mode", "--source"},
    "consume": {"--region", "--index", "--borrow", "--batch", "--timeout-ms", "--count",
                "--delay-ms"},
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
    opts, i = parse_opts(cmd, COMMAND_OPTS[cmd], ["--region"], argv, 1)
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
    if kind == "log" and any(k in o for k in slots):
        raise Usage("create: --slots, --slot-size, --queue and --consumers are not for byte logs")
    if kind != "log" and ("--bytes" in o or "--max-record" in o):
        raise Usage("create: --bytes and --max-record are for byte logs only")
    return indexbus.Region.create(
        name, kind, slot_count=num(o, "--slots", 0),
        slot_data_size=num(o, "--slot-size", 0), queue_capacity=num(o, "--queue", 0),
        consumer_count=num(o, "--consumers", 0), byte_capacity=num(o, "--bytes", 0),
        max_record=num(o, "--max-record", 0))


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
                "consumer": indexbus.Consumer}


def cmd_golden(name, o):
    region, handles = None, []  # [name, handle], in opening order

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
        else:  # close
            find(op["--name"], None).close()
    if region is None:
        raise Fail(indexbus.InvalidArgument.status, "golden: no create op")
    for _, h in reversed(handles):
        h.close()
    region.close()
    emit({"ev": "done"})


COMMANDS = {"create": cmd_create, "produce": cmd_produce, "route": cmd_route,
            "consume": cmd_consume, "error": cmd_error, "golden": cmd_golden,
            "unlink": cmd_unlink}


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
