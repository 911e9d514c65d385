#!/usr/bin/env python3
"""The Python conformance agent (conformance/PROTOCOL.md).

    agent.py <command> --region NAME [options]   (golden: then its op list)

A thin ctypes user of libindexbus.so (path from $INDEXBUS_LIB, default
build/libindexbus.so). The public structs are mirrored with ctypes.Structure
and their sizes checked against indexbus_struct_size() at start-up.
JSON lines on stdout, free text on stderr; exit 0 done, 1 failed, 2 usage.
"""
import ctypes
import json
import os
import sys
import time

EXIT_FAIL = 1
EXIT_USAGE = 2

WAIT_CONSUMERS_S = 10.0
FULL_RETRY_S = 20.0

# ---- constants of indexbus.h / layout.h -----------------------------------------

OK, FULL, EMPTY, TOO_LARGE = 0, 1, 2, 3
DISCONNECTED, TIMEOUT = 10, 9
INVALID_ARGUMENT, NO_MEMORY, IO = 7, 17, 15

KIND = {"events": 1, "fanout": 2}
PRODUCER = {"spsc": 1, "mpsc": 2}
SOURCE = {"spsc": 1, "mpsc": 2, "any": 3}
MODE = {"broadcast": 1, "work-queue": 2}
ROUTER_EXIT_ON_DISCONNECT = 0x1
# enum indexbus_struct: what indexbus_struct_size() measures
INDEXBUS_STRUCT_REGION_CONFIG, INDEXBUS_STRUCT_OPEN_CONFIG, INDEXBUS_STRUCT_INFO = 1, 2, 3
INDEXBUS_STRUCT_CONSUMER_STATS, INDEXBUS_STRUCT_ROUTE_RESULT = 4, 5
INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG = 6

u32, u64, c_size_t = ctypes.c_uint32, ctypes.c_uint64, ctypes.c_size_t
vp = ctypes.c_void_p


class RegionConfig(ctypes.Structure):
    _fields_ = [("size", u32), ("kind", u32), ("slot_count", u32),
                ("slot_data_size", u32), ("queue_capacity", u32),
                ("consumer_count", u32), ("mode", u32), ("flags", u32)]


class OpenConfig(ctypes.Structure):
    _fields_ = [("size", u32), ("flags", u32), ("ready_timeout_ns", u64)]


class Info(ctypes.Structure):
    _fields_ = [("size", u32), ("kind", u32), ("layout_major", u32),
                ("layout_minor", u32), ("capabilities", u64), ("total_bytes", u64),
                ("slot_count", u32), ("slot_data_size", u32), ("queue_capacity", u32),
                ("consumer_count", u32), ("creator_pid", u32), ("free_slots", u32),
                ("creation_time_ns", u64), ("published", u64), ("routed", u64),
                ("route_no_space", u64), ("producers_live", u32),
                ("consumers_live", u32), ("routers_live", u32),
                ("participants_live", u32), ("spsc_depth", u64), ("mpsc_depth", u64)]


class ConsumerStats(ctypes.Structure):
    _fields_ = [("size", u32), ("attached", u32), ("delivered", u64),
                ("dropped_full", u64), ("dropped_no_credit", u64), ("depth", u64)]


class RouteResult(ctypes.Structure):
    _fields_ = [("size", u32), ("routed", u32), ("delivered", u32),
                ("dropped_full", u32), ("dropped_no_credit", u32), ("reserved", u32),
                ("delivered_mask", u64), ("dropped_full_mask", u64),
                ("dropped_no_credit_mask", u64)]


class RouterLoopConfig(ctypes.Structure):
    _fields_ = [("size", u32), ("source", u32), ("mode", u32), ("flags", u32),
                ("spin_iters", u32), ("yield_iters", u32), ("park_ns", u64),
                ("routed", u64)]


# the mirrors, by their indexbus_struct_size() selector
MIRRORS = {INDEXBUS_STRUCT_REGION_CONFIG: RegionConfig, INDEXBUS_STRUCT_OPEN_CONFIG: OpenConfig,
           INDEXBUS_STRUCT_INFO: Info, INDEXBUS_STRUCT_CONSUMER_STATS: ConsumerStats,
           INDEXBUS_STRUCT_ROUTE_RESULT: RouteResult,
           INDEXBUS_STRUCT_ROUTER_LOOP_CONFIG: RouterLoopConfig}

# name: (restype, argtypes)
PROTOTYPES = {
    "indexbus_status_name": (ctypes.c_char_p, [ctypes.c_int]),
    "indexbus_struct_size": (c_size_t, [u32]),
    "indexbus_region_config_init": (ctypes.c_int, [ctypes.POINTER(RegionConfig), u32]),
    "indexbus_region_create": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(RegionConfig),
                                              ctypes.POINTER(vp)]),
    "indexbus_region_open": (ctypes.c_int, [ctypes.c_char_p, ctypes.POINTER(OpenConfig),
                                            ctypes.POINTER(vp)]),
    "indexbus_region_close": (ctypes.c_int, [vp]),
    "indexbus_region_unlink": (ctypes.c_int, [ctypes.c_char_p]),
    "indexbus_region_info": (ctypes.c_int, [vp, ctypes.POINTER(Info)]),
    "indexbus_producer_open": (ctypes.c_int, [vp, u32, ctypes.POINTER(vp)]),
    "indexbus_producer_close": (ctypes.c_int, [vp]),
    "indexbus_publish": (ctypes.c_int, [vp, vp, c_size_t]),
    "indexbus_publish_batch": (ctypes.c_int, [vp, vp, ctypes.POINTER(u32), c_size_t,
                                              ctypes.POINTER(c_size_t)]),
    "indexbus_claim": (ctypes.c_int, [vp, ctypes.POINTER(vp), ctypes.POINTER(c_size_t)]),
    "indexbus_commit": (ctypes.c_int, [vp, c_size_t]),
    "indexbus_router_open": (ctypes.c_int, [vp, ctypes.POINTER(vp)]),
    "indexbus_router_close": (ctypes.c_int, [vp]),
    "indexbus_route_once": (ctypes.c_int, [vp, u32, u32]),
    "indexbus_router_run": (ctypes.c_int, [vp, ctypes.POINTER(RouterLoopConfig)]),
    "indexbus_consumer_open": (ctypes.c_int, [vp, u32, ctypes.POINTER(vp)]),
    "indexbus_consumer_close": (ctypes.c_int, [vp]),
    "indexbus_try_recv": (ctypes.c_int, [vp, vp, c_size_t, ctypes.POINTER(c_size_t)]),
    "indexbus_recv": (ctypes.c_int, [vp, vp, c_size_t, ctypes.POINTER(c_size_t), u64]),
    "indexbus_wait": (ctypes.c_int, [vp, u64]),
    "indexbus_recv_begin": (ctypes.c_int, [vp, ctypes.POINTER(vp), ctypes.POINTER(c_size_t)]),
    "indexbus_recv_end": (ctypes.c_int, [vp]),
    "indexbus_recv_batch": (ctypes.c_int, [vp, vp, c_size_t, ctypes.POINTER(u32), c_size_t,
                                           ctypes.POINTER(c_size_t)]),
}


class Fail(Exception):
    def __init__(self, status, what):
        super().__init__(what)
        self.status = status
        self.what = what


class Usage(Exception):
    pass


def load_library():
    path = os.environ.get("INDEXBUS_LIB", "build/libindexbus.so")
    lib = ctypes.CDLL(path)
    for name, (res, args) in PROTOTYPES.items():
        fn = getattr(lib, name)
        fn.restype = res
        fn.argtypes = args
    for which, cls in MIRRORS.items():
        want = lib.indexbus_struct_size(which)
        if ctypes.sizeof(cls) != want:
            raise SystemExit(f"agent.py: ctypes mirror {cls.__name__} is {ctypes.sizeof(cls)} "
                             f"bytes, the library says {want}")
    return lib


LIB = None


def status_name(st):
    return LIB.indexbus_status_name(st).decode()


def check(st, what):
    if st != OK:
        raise Fail(st, what)


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(",", ":")) + "\n")


def payload(p, k, s):
    """Message k of producer p, s bytes (PROTOCOL.md payload rule)."""
    head = p.to_bytes(4, "little") + k.to_bytes(4, "little")
    return head[:s] + bytes((p * 31 + k * 17 + j * 7) & 0xFF for j in range(8, s))


# ---- options ------------------------------------------------------------------------

FLAGS = {"--zero-copy", "--borrow"}
COMMAND_OPTS = {
    "create": {"--region", "--kind", "--slots", "--slot-size", "--queue", "--consumers"},
    "produce": {"--region", "--type", "--producer", "--count", "--sizes", "--zero-copy",
                "--batch", "--wait-consumers"},
    "route": {"--region", "--mode", "--source"},
    "consume": {"--region", "--index", "--borrow", "--batch", "--timeout-ms", "--count"},
    "error": {"--region", "--case"},
    "golden": {"--region"},
    "unlink": {"--region"},
}
# The ops of the golden command's list: (options, required ones).
GOLDEN_OPS = {
    "create": ({"--kind", "--slots", "--slot-size", "--queue", "--consumers"}, ["--kind"]),
    "producer": ({"--name", "--type"}, ["--name", "--type"]),
    "router": ({"--name"}, ["--name"]),
    "consumer": ({"--name", "--index"}, ["--name", "--index"]),
    "publish": ({"--name", "--producer", "--from", "--count", "--sizes", "--zero-copy"},
                ["--name", "--producer", "--count", "--sizes"]),
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


def choice(table, value, what):
    if value not in table:
        raise Usage(f"bad {what} '{value}'")
    return table[value]


# ---- library helpers -------------------------------------------------------------------

def open_region(name, ready_timeout_ns=None):
    r = vp()
    cfg = None
    if ready_timeout_ns is not None:
        cfg = OpenConfig(size=ctypes.sizeof(OpenConfig), flags=0,
                         ready_timeout_ns=ready_timeout_ns)
    st = LIB.indexbus_region_open(name.encode(), ctypes.byref(cfg) if cfg else None,
                                  ctypes.byref(r))
    return st, r


def must_open(name):
    st, r = open_region(name)
    check(st, f"open region {name}")
    return r


def region_info(r):
    info = Info(size=ctypes.sizeof(Info))
    check(LIB.indexbus_region_info(r, ctypes.byref(info)), "region info")
    return info


def create_region(name, kind, slots=0, slot_size=0, queue=0, consumers=0):
    cfg = RegionConfig()
    check(LIB.indexbus_region_config_init(ctypes.byref(cfg), kind), "region config init")
    if slots:
        cfg.slot_count = slots
    if slot_size:
        cfg.slot_data_size = slot_size
    if queue:
        cfg.queue_capacity = queue
    if consumers:
        cfg.consumer_count = consumers
    r = vp()
    check(LIB.indexbus_region_create(name.encode(), ctypes.byref(cfg), ctypes.byref(r)),
          f"create region {name}")
    return r


def open_producer(r, ptype):
    tx = vp()
    check(LIB.indexbus_producer_open(r, ptype, ctypes.byref(tx)), "open producer")
    return tx


def open_consumer(r, index):
    rx = vp()
    check(LIB.indexbus_consumer_open(r, index, ctypes.byref(rx)), f"open consumer {index}")
    return rx


def open_router(r):
    rt = vp()
    check(LIB.indexbus_router_open(r, ctypes.byref(rt)), "open router")
    return rt


def retrying(call, what, retry):
    """call() until it is not FULL (yielding in between, 20 s bound)."""
    deadline = None
    while True:
        st = call()
        if st != FULL or not retry:
            check(st, what)
            return
        if deadline is None:
            deadline = time.monotonic() + FULL_RETRY_S
        elif time.monotonic() > deadline:
            raise Fail(TIMEOUT, f"{what}: FULL for 20 s")
        os.sched_yield()


def publish_one(tx, p, k, s, zero_copy, retry):
    data = payload(p, k, s)
    if not zero_copy:
        retrying(lambda: LIB.indexbus_publish(tx, data, s), f"publish message {k}", retry)
        return
    buf, cap = vp(), c_size_t()
    retrying(lambda: LIB.indexbus_claim(tx, ctypes.byref(buf), ctypes.byref(cap)),
             f"claim for message {k}", retry)
    if cap.value < s:
        raise Fail(TOO_LARGE, f"claimed capacity {cap.value} < {s}")
    if s:
        ctypes.memmove(buf.value, data, s)
    retrying(lambda: LIB.indexbus_commit(tx, s), f"commit message {k}", retry)


def msg_line(data):
    return '{"ev":"msg","len":%d,"hex":"%s"}\n' % (len(data), data.hex())


# ---- commands ------------------------------------------------------------------------------

def cmd_create(name, o):
    if "--kind" not in o:
        raise Usage("create: --kind is required")
    r = create_region(name, choice(KIND, o["--kind"], "kind"), num(o, "--slots", 0),
                      num(o, "--slot-size", 0), num(o, "--queue", 0), num(o, "--consumers", 0))
    LIB.indexbus_region_close(r)
    emit({"ev": "created"})


def cmd_unlink(name, o):
    check(LIB.indexbus_region_unlink(name.encode()), f"unlink {name}")
    emit({"ev": "unlinked"})


def parse_sizes(text):
    try:
        sizes = [int(x) for x in text.split(",")]
    except ValueError:
        raise Usage("--sizes: bad list") from None
    if not sizes or any(s < 0 for s in sizes):
        raise Usage("--sizes: bad list")
    return sizes


def cmd_produce(name, o):
    ptype = choice(PRODUCER, o.get("--type", "spsc"), "producer type")
    p = num(o, "--producer", 0)
    count = num(o, "--count", 0)
    sizes = parse_sizes(o.get("--sizes", "0"))
    zero_copy = o.get("--zero-copy", False)
    batch = num(o, "--batch", 0)
    want = num(o, "--wait-consumers", 0)
    if "--batch" in o and batch == 0:
        raise Usage("produce: --batch must be at least 1")
    if zero_copy and batch:
        raise Usage("produce: --zero-copy and --batch exclude each other")
    r = must_open(name)
    slot = region_info(r).slot_data_size
    if any(s > slot for s in sizes):
        raise Usage(f"produce: a size is larger than the slot data size {slot}")
    tx = open_producer(r, ptype)
    if want:
        deadline = time.monotonic() + WAIT_CONSUMERS_S
        while region_info(r).consumers_live < want:
            if time.monotonic() > deadline:
                raise Fail(TIMEOUT, f"waiting for {want} consumers")
            time.sleep(0.001)
    if not batch:
        for k in range(count):
            publish_one(tx, p, k, sizes[k % len(sizes)], zero_copy, True)
    else:
        k = 0
        done = c_size_t()
        deadline = None
        while k < count:
            n = min(batch, count - k)
            lens = (u32 * n)(*[sizes[(k + i) % len(sizes)] for i in range(n)])
            data = b"".join(payload(p, k + i, lens[i]) for i in range(n))
            st = LIB.indexbus_publish_batch(tx, data, lens, n, ctypes.byref(done))
            k += done.value
            if st == OK or (st == FULL and done.value > 0):
                deadline = None
                continue
            if st != FULL:
                raise Fail(st, f"publish batch at message {k}")
            if deadline is None:
                deadline = time.monotonic() + FULL_RETRY_S
            elif time.monotonic() > deadline:
                raise Fail(TIMEOUT, f"batch at {k}: FULL for 20 s")
            os.sched_yield()
    LIB.indexbus_producer_close(tx)
    LIB.indexbus_region_close(r)
    emit({"ev": "done", "published": count})


def cmd_route(name, o):
    mode = choice(MODE, o.get("--mode", "broadcast"), "mode")
    source = choice(SOURCE, o.get("--source", "any"), "source")
    r = must_open(name)
    rt = open_router(r)
    cfg = RouterLoopConfig(size=ctypes.sizeof(RouterLoopConfig), source=source, mode=mode,
                           flags=ROUTER_EXIT_ON_DISCONNECT)
    st = LIB.indexbus_router_run(rt, ctypes.byref(cfg))
    if st not in (OK, DISCONNECTED):
        raise Fail(st, "router run")
    LIB.indexbus_router_close(rt)
    LIB.indexbus_region_close(r)
    emit({"ev": "done", "routed": cfg.routed})


def cmd_consume(name, o):
    index = num(o, "--index", 0)
    borrow = o.get("--borrow", False)
    batch = num(o, "--batch", 0)
    timeout_ns = num(o, "--timeout-ms", 10000) * 1000000
    limited = "--count" in o
    want = num(o, "--count", 0)
    if "--batch" in o and batch == 0:
        raise Usage("consume: --batch must be at least 1")
    if borrow and batch:
        raise Usage("consume: --borrow and --batch exclude each other")
    r = must_open(name)
    slot = region_info(r).slot_data_size
    rx = open_consumer(r, index)
    cap = slot * (batch or 1)
    buf = ctypes.create_string_buffer(max(cap, 1))
    lens = (u32 * max(batch, 1))()
    n = c_size_t()
    data = vp()
    out = sys.stdout
    got = 0
    end = OK
    idle_since = None
    while not limited or got < want:
        if batch:
            mx = min(batch, want - got) if limited else batch
            st = LIB.indexbus_recv_batch(rx, buf, cap, lens, mx, ctypes.byref(n))
            if st == OK:
                raw = buf.raw
                off = 0
                for i in range(n.value):
                    out.write(msg_line(raw[off:off + lens[i]]))
                    off += lens[i]
                got += n.value
                idle_since = None
                continue
            if st == EMPTY:
                now = time.monotonic()
                if idle_since is None:
                    idle_since = now
                elif (now - idle_since) * 1e9 > timeout_ns:
                    raise Fail(TIMEOUT, f"batch receive: idle for {timeout_ns // 1000000} ms")
                os.sched_yield()
                continue
        elif borrow:
            st = LIB.indexbus_wait(rx, timeout_ns)
            if st == OK:
                st = LIB.indexbus_recv_begin(rx, ctypes.byref(data), ctypes.byref(n))
                if st == OK:
                    out.write(msg_line(ctypes.string_at(data.value, n.value) if n.value else b""))
                    check(LIB.indexbus_recv_end(rx), "recv_end")
                    got += 1
                    continue
        else:
            st = LIB.indexbus_recv(rx, buf, cap, ctypes.byref(n), timeout_ns)
            if st == OK:
                out.write(msg_line(buf.raw[:n.value]))
                got += 1
                continue
        if st == DISCONNECTED:
            end = st
            break
        raise Fail(st, f"receive after {got} messages")
    LIB.indexbus_consumer_close(rx)
    LIB.indexbus_region_close(r)
    emit({"ev": "end", "status": status_name(end), "count": got})


def cmd_error(name, o):
    case = o.get("--case")
    if case is None:
        raise Usage("error: --case is required")
    r = tx = rx = None
    if case == "too_large":
        r = must_open(name)
        tx = open_producer(r, PRODUCER["spsc"])
        st = LIB.indexbus_publish(tx, payload(0, 0, 65), 65)
    elif case == "buffer_too_small":
        r = must_open(name)
        tx = open_producer(r, PRODUCER["spsc"])
        check(LIB.indexbus_publish(tx, payload(0, 0, 10), 10), "publish 10 bytes")
        rx = open_consumer(r, 0)
        small = ctypes.create_string_buffer(4)
        n = c_size_t()
        st = LIB.indexbus_recv(rx, small, 4, ctypes.byref(n), 1000000000)
    elif case == "wrong_kind":
        r = must_open(name)
        rt = vp()
        st = LIB.indexbus_router_open(r, ctypes.byref(rt))
        if st == OK:
            LIB.indexbus_router_close(rt)
    elif case == "newer_major":
        st, r = open_region(name)
    elif case == "not_ready":
        st, r = open_region(name, ready_timeout_ns=50000000)
    elif case == "timeout":
        r = must_open(name)
        rx = open_consumer(r, 0)
        buf = ctypes.create_string_buffer(80)
        n = c_size_t()
        st = LIB.indexbus_recv(rx, buf, 80, ctypes.byref(n), 50000000)
    else:
        raise Usage(f"error: unknown case '{case}'")
    if rx:
        LIB.indexbus_consumer_close(rx)
    if tx:
        LIB.indexbus_producer_close(tx)
    if r:
        LIB.indexbus_region_close(r)
    emit({"ev": "error", "case": case, "status": status_name(st)})


def cmd_golden(name, o):
    handles = []  # [name, role, handle, open], in opening order
    closers = {"producer": LIB.indexbus_producer_close, "router": LIB.indexbus_router_close,
               "consumer": LIB.indexbus_consumer_close}

    def find(hname, role):
        for h in reversed(handles):
            if h[3] and h[0] == hname:
                if role is not None and h[1] != role:
                    raise Fail(INVALID_ARGUMENT, f"golden: handle '{hname}' has the wrong role")
                return h
        raise Fail(INVALID_ARGUMENT, f"golden: no open handle '{hname}'")

    r = run_ops(name, o["ops"], handles, closers, find)
    for h in reversed(handles):
        if h[3]:
            closers[h[1]](h[2])
            h[3] = False
    LIB.indexbus_region_close(r)
    emit({"ev": "done"})


def run_ops(name, ops, handles, closers, find):
    """Execute the op list; returns the region."""
    r = None
    buf = None
    bufcap = 0
    for i, (what, op) in enumerate(golden_ops(ops)):
        count = num(op, "--count", 0)
        if what == "create":
            r = create_region(name, choice(KIND, op["--kind"], "kind"), num(op, "--slots", 0),
                              num(op, "--slot-size", 0), num(op, "--queue", 0),
                              num(op, "--consumers", 0))
            bufcap = region_info(r).slot_data_size
            buf = ctypes.create_string_buffer(bufcap)
            continue
        if r is None:
            raise Fail(INVALID_ARGUMENT, f"golden: op {i} before create")
        if what == "producer":
            handles.append([op["--name"], "producer",
                            open_producer(r, choice(PRODUCER, op["--type"], "type")), True])
        elif what == "router":
            handles.append([op["--name"], "router", open_router(r), True])
        elif what == "consumer":
            handles.append([op["--name"], "consumer", open_consumer(r, num(op, "--index", 0)),
                            True])
        elif what == "publish":
            tx = find(op["--name"], "producer")[2]
            sizes = parse_sizes(op["--sizes"])
            pid, start = num(op, "--producer", 0), num(op, "--from", 0)
            for k in range(start, start + count):
                publish_one(tx, pid, k, sizes[k % len(sizes)], op.get("--zero-copy", False),
                            False)
        elif what == "route":
            rt = find(op["--name"], "router")[2]
            mode = choice(MODE, op.get("--mode", "broadcast"), "mode")
            source = choice(SOURCE, op.get("--source", "any"), "source")
            for k in range(count):
                check(LIB.indexbus_route_once(rt, source, mode), f"golden op {i}: route step {k}")
        elif what == "recv":
            rx = find(op["--name"], "consumer")[2]
            n = c_size_t()
            data = vp()
            for k in range(count):
                if op.get("--borrow", False):
                    check(LIB.indexbus_recv_begin(rx, ctypes.byref(data), ctypes.byref(n)),
                          f"golden op {i}: recv_begin {k}")
                    check(LIB.indexbus_recv_end(rx), f"golden op {i}: recv_end {k}")
                else:
                    check(LIB.indexbus_try_recv(rx, buf, bufcap, ctypes.byref(n)),
                          f"golden op {i}: recv {k}")
        else:  # close
            h = find(op["--name"], None)
            closers[h[1]](h[2])
            h[3] = False
    if r is None:
        raise Fail(INVALID_ARGUMENT, "golden: no create op")
    return r


COMMANDS = {"create": cmd_create, "produce": cmd_produce, "route": cmd_route,
            "consume": cmd_consume, "error": cmd_error, "golden": cmd_golden,
            "unlink": cmd_unlink}


def main(argv):
    global LIB
    try:
        cmd, opts = parse_args(argv)
    except Usage as e:
        sys.stderr.write(f"agent.py: {e}\nusage: agent.py <command> --region NAME [options] "
                         "(see conformance/PROTOCOL.md)\n")
        return EXIT_USAGE
    LIB = load_library()
    try:
        COMMANDS[cmd](opts["--region"], opts)
    except Usage as e:
        sys.stderr.write(f"agent.py: {e}\n")
        return EXIT_USAGE
    except Fail as e:
        sys.stderr.write(f"agent.py: {e.what}: {status_name(e.status)}\n")
        emit({"ev": "fail", "status": status_name(e.status), "what": e.what})
        return EXIT_FAIL
    finally:
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
