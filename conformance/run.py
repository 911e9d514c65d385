#!/usr/bin/env python3
"""conformance/run.py - the IndexBus cross-language conformance matrix.

Starts language agents (conformance/PROTOCOL.md) as separate processes on one
named region per cell, regenerates the expected bytes from the payload rule
and compares them with what every consumer reports. Python 3 stdlib only.

    python3 conformance/run.py --agent c=build/conformance/agent-c \\
        --agent cxx=build/conformance/agent-cxx \\
        --agent python="build/python-apps/venv/bin/python conformance/agents/python/agent.py" \\
        [--only c,python] [--rows spsc,golden] [--regen-golden]

Exit status: 0 when every cell passed, 1 when any failed, 2 for usage errors.
"""
import argparse
import glob
import heapq
import json
import os
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
from collections import Counter

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
SCENARIOS = os.path.join(HERE, "scenarios")
GOLDEN_DIR = os.path.join(HERE, "golden")

# Display order of the languages we know; others follow in command-line order.
LANG_ORDER = ["c", "cxx", "python", "go", "java", "rust"]
ROW_ORDER = ["spsc", "mpsc", "mpsc-recycle", "broadcast", "work-queue", "work-queue-recycle",
             "work-queue-batch", "zero-copy", "blocking", "batch",
             "log", "log-mpsc", "log-blocking", "stream", "stream-writers", "stream-handover",
             "stream-kill", "rpc", "rpc-clients", "rpc-kill", "errors", "golden"]
# Region kinds of layout 1.1 that an agent may not speak yet: their cells (rows, error
# cases and golden images on such a region) are SKIPPED for the languages named here,
# with the reason, instead of run. Empty once every agent has them.
NEW_KINDS = ("stream", "rpc")
NEW_KINDS_PENDING = {
}
DEFAULT_AGENTS = {
    "c": "build/conformance/agent-c",
    "cxx": "build/conformance/agent-cxx",
    "python": "build/python-apps/venv/bin/python conformance/agents/python/agent.py",
}

# creator_pid (56, 4 bytes) and creation_time_ns (64, 8 bytes): LAYOUT.md 2.4
GOLDEN_MASK = [(56, 4), (64, 8)]
SECTION_NAMES = {1: "PARTICIPANTS", 2: "COUNTERS", 3: "WAKE", 4: "ROUTER", 5: "SPSC_QUEUE",
                 6: "MPSC_QUEUE", 7: "CONSUMER_QUEUES", 8: "SLOT_POOL", 9: "LOG_RING",
                 10: "STREAM_CTL", 11: "RPC_CTL", 12: "RPC_CELLS"}
# Region kinds (header region_kind)
KIND_LOG, KIND_STREAM, KIND_RPC = 3, 4, 5
# stream_ctl.state (layout.h): 48 seat bits, then ENDED, READER_GONE, ABORTED, and the count
# of writers that died from bit 52
STREAM_SEATS = (1 << 48) - 1
STREAM_ENDED, STREAM_READER_GONE, STREAM_ABORTED = 1 << 48, 1 << 49, 1 << 50
# rpc cell state word: the state in bits 0..7 (layout.h INDEXBUS_RPC_*)
RPC_STATES = ["FREE", "OWNED", "REQUESTED", "SERVING", "REPLIED", "FAILED", "ABANDONED"]
# Byte-log records (LAYOUT.md 4.9): an 8-byte header, the payload, 8-aligned.
LOG_HEADER = 8


# ---- payload rule ---------------------------------------------------------------------------

def payload(p, k, s):
    """Message k (0-based) of producer p, s bytes (PROTOCOL.md, payload rule)."""
    head = (p & 0xFFFFFFFF).to_bytes(4, "little") + (k & 0xFFFFFFFF).to_bytes(4, "little")
    return head[:s] + bytes((p * 31 + k * 17 + j * 7) & 0xFF for j in range(8, s))


def expected_stream(p, count, sizes, first=0):
    return [payload(p, k, sizes[k % len(sizes)]) for k in range(first, first + count)]


def stream_bytes(w, start, n):
    """Bytes start..start+n-1 of writer w's stream (PROTOCOL.md, stream rule)."""
    out = bytearray(n)
    for j in range(n):
        x = (((start + j) & 0xFFFFFFFF) * 2654435761 + w * 40503) & 0xFFFFFFFF
        out[j] = ((x >> 24) ^ (x >> 8)) & 0xFF
    return bytes(out)


def reply_rule(req):
    """The reply to a request (PROTOCOL.md, reply rule)."""
    return len(req).to_bytes(4, "little") + bytes(b ^ 0x5A for b in reversed(req))


FNV_BASIS, FNV_PRIME = 0xCBF29CE484222325, 0x100000001B3


def fnv(data, h=FNV_BASIS):
    """FNV-1a 64 (PROTOCOL.md, checksum), continuing from h."""
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & 0xFFFFFFFFFFFFFFFF
    return h


def fnv_hex(data):
    return f"{fnv(data):016x}"


def show(b, limit=24):
    h = b.hex()
    return f"len {len(b)} {h[:2 * limit]}{'...' if len(b) > limit else ''}"


# ---- failures --------------------------------------------------------------------------------

class CellFail(Exception):
    """A cell failed; the message is its reason."""


# ---- reading a region (the runner's own view, for attach waits and totals) -------------------

def shm_path(name):
    """The file behind a region name (LAYOUT.md 1.3)."""
    if "/" in name[1:]:
        return name
    return "/dev/shm/" + name.lstrip("/")


def check_features(name, want_caps):
    """The region has layout 1.3 and the capability bits its scenario asked for (so a
    cell on it exercises those algorithms, whoever created it)."""
    with open(shm_path(name), "rb") as f:
        hdr = f.read(24)
    minor = struct.unpack_from("<H", hdr, 6)[0]
    caps = struct.unpack_from("<Q", hdr, 16)[0]
    if minor != 3 or caps & want_caps != want_caps:
        raise CellFail(f"region {name}: layout 1.{minor}, capabilities {caps:#x}; want 1.3 "
                       f"with {want_caps:#x}")


def region_state(name):
    """A few live values of a ready region, or None if it is not there yet. Events and
    fanout regions: the producer queues' depths; fanout regions also how many consumers
    the router routes to; byte logs (kind 3): the ring's tail, head and read positions and
    the parked producers (waiters of WAKE entry consumer_count)."""
    try:
        with open(shm_path(name), "rb") as f:
            hdr = f.read(1024)
            if len(hdr) < 1024 or hdr[:4] != b"IBUS" or struct.unpack_from("<I", hdr, 72)[0] != 1:
                return None
            secs = {}
            for i in range(min(struct.unpack_from("<I", hdr, 52)[0], 16)):
                kind, _flags, off, _len = struct.unpack_from("<IIQQ", hdr, 128 + 32 * i)
                secs[kind] = off

            def rd(kind, rel, fmt):
                f.seek(secs[kind] + rel)
                return struct.unpack("<" + fmt, f.read(struct.calcsize(fmt)))[0]

            st = {
                "kind": struct.unpack_from("<I", hdr, 12)[0],
                "producers_live": rd(1, 0, "I"),
                "producers_ever": rd(1, 4, "I"),
                "consumers_live": rd(1, 8, "I"),
                "routers_live": rd(1, 16, "I"),
                "published": rd(2, 0, "Q") + rd(2, 64, "Q"),
                "routed": rd(2, 128, "Q"),
            }
            if st["kind"] in (KIND_LOG, KIND_STREAM):
                consumers = struct.unpack_from("<I", hdr, 48)[0]
                st.update(log_tail=rd(9, 0, "Q"), log_head=rd(9, 64, "Q"),
                          log_read=rd(9, 128, "Q"),
                          producers_parked=rd(3, 64 * consumers + 4, "I"))
            if st["kind"] == KIND_STREAM:
                s = rd(10, 0, "Q")
                st.update(stream_writers=bin(s & STREAM_SEATS).count("1"),
                          stream_ended=bool(s & STREAM_ENDED),
                          stream_reader_gone=bool(s & STREAM_READER_GONE),
                          stream_aborted=bool(s & STREAM_ABORTED),
                          writers_aborted=s >> 52, stream_bytes_read=rd(10, 264, "Q"))
            elif st["kind"] == KIND_RPC:
                # cells (header slot_count), stride (slot_stride); per state, how many cells
                cells = struct.unpack_from("<I", hdr, 32)[0]
                stride = struct.unpack_from("<I", hdr, 40)[0]
                count = Counter()
                for i in range(min(cells, 4096)):
                    state = rd(12, i * stride, "Q") & 0xFF
                    count[RPC_STATES[state] if state < len(RPC_STATES) else "BAD"] += 1
                st.update(rpc_servers=st["consumers_live"], rpc_clients=st["producers_live"],
                          rpc_cells=dict(count), rpc_requests_failed=rd(11, 584, "Q"),
                          rpc_replies_abandoned=rd(11, 576, "Q"))
            elif st["kind"] != KIND_LOG:
                st.update(spsc_depth=rd(5, 64, "Q") - rd(5, 0, "Q"),
                          mpsc_depth=rd(6, 0, "Q") - rd(6, 64, "Q"))
            if st["kind"] == 2:
                # consumers_live counts a consumer from early in its open; the router routes
                # to it once its consumer_owner is set and the router has acknowledged the
                # consumer_epoch that followed (LAYOUT.md 4.1, 4.4, 5.10): only then does
                # every message published reach it
                consumers = struct.unpack_from("<I", hdr, 48)[0]
                acked = rd(4, 4, "I") == rd(1, 32, "I")
                owners = [rd(1, 64 + 4 * i, "I") for i in range(min(consumers, 64))]
                st["consumers_routed"] = sum(1 for o in owners if o and not o & 0x80000000) \
                    if acked else 0
            return st
    except (OSError, KeyError, struct.error):
        return None


def log_stride(n):
    """Bytes a record of n payload bytes takes in a byte log (LAYOUT.md 4.9)."""
    return (LOG_HEADER + n + 7) & ~7


def log_wraps(ring, sizes, count):
    """How many of count single-record publications (sizes cycled, SPSC, from position 0)
    find the ring's end in their way and go behind a pad, and how many end on it exactly:
    positions in a byte log depend only on the records, never on timing (LAYOUT.md 5.17)."""
    pos = pads = exact = 0
    for k in range(count):
        n = log_stride(sizes[k % len(sizes)])
        room = ring - pos % ring
        if n > room:
            pos += room
            pads += 1
        elif n == room:
            exact += 1
        pos += n
    return pads, exact


# ---- agent processes -----------------------------------------------------------------------

class Proc:
    """One agent process; stdout and stderr go to files (no pipe deadlocks)."""

    def __init__(self, run, role, lang, args):
        self.role, self.lang = role, lang
        self.argv = run.agents[lang] + args
        base = os.path.join(run.tmp, f"p{run.next_id()}-{lang}-{role.split()[0]}")
        self.out_path, self.err_path = base + ".out", base + ".err"
        self.rc = None
        self.killed = False
        self.p = None
        with open(self.out_path, "wb") as out, open(self.err_path, "wb") as err:
            try:
                self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=out,
                                          stderr=err, cwd=REPO, env=run.env,
                                          start_new_session=True)
            except OSError as e:
                err.write(f"cannot start {self.argv!r}: {e}\n".encode())
                self.rc = 127
        run.live.append(self)

    def name(self):
        return f"{self.role} ({self.lang})"

    def exited(self):
        if self.rc is None and self.p is not None:
            self.rc = self.p.poll()
        return self.rc is not None

    def wait(self, deadline):
        if self.rc is None and self.p is not None:
            try:
                self.rc = self.p.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                return None
        return self.rc

    def kill(self):
        """Kill this agent's own process group (it was started in a new session)."""
        if self.p is not None and self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.p.wait()
            self.killed = True
            self.rc = self.p.returncode

    def stderr_tail(self, n=4):
        try:
            with open(self.err_path, "rb") as f:
                lines = f.read().decode("utf-8", "replace").strip().splitlines()
        except OSError:
            return ""
        tail = " | ".join(lines[-n:])
        return f"; stderr: {tail}" if tail else ""

    def events(self):
        """The JSON lines of stdout; a line that is not a JSON object fails the cell."""
        evs = []
        with open(self.out_path, "rb") as f:
            for no, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    ev = json.loads(line)
                except ValueError:
                    raise CellFail(f"{self.name()}: stdout line {no} is not JSON: "
                                   f"{line[:80]!r}") from None
                if not isinstance(ev, dict) or "ev" not in ev:
                    raise CellFail(f"{self.name()}: stdout line {no} has no \"ev\"")
                evs.append(ev)
        return evs

    def events_so_far(self):
        """The complete JSON lines printed so far by a running agent (a last line still
        being written is left for later)."""
        try:
            with open(self.out_path, "rb") as f:
                data = f.read()
        except OSError:
            return []
        evs = []
        for line in data.split(b"\n")[:-1]:
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if isinstance(ev, dict):
                evs.append(ev)
        return evs

    def fail_status(self):
        """The status of this agent's {"ev":"fail"} line, or None."""
        try:
            for ev in self.events():
                if ev.get("ev") == "fail":
                    return ev.get("status")
        except CellFail:
            pass
        return None

    def failure(self):
        """Why this process did not succeed, or None."""
        if self.killed:
            return f"{self.name()} did not finish in time (killed){self.stderr_tail()}"
        if self.rc == 0:
            return None
        what = ""
        try:
            for ev in self.events():
                if ev.get("ev") == "fail":
                    what = f" {ev.get('status')} ({ev.get('what', '')})"
        except CellFail:
            pass
        return f"{self.name()} exit {self.rc}{what}{self.stderr_tail()}"

    def event(self, kind):
        evs = [e for e in self.events() if e["ev"] == kind]
        if len(evs) != 1:
            raise CellFail(f"{self.name()}: expected one {{\"ev\":\"{kind}\"}} line, got {len(evs)}")
        return evs[0]

    def messages(self):
        """(list of message bytes, end event) of a consume run."""
        msgs, end = [], None
        for ev in self.events():
            if ev["ev"] == "msg":
                if end is not None:
                    raise CellFail(f"{self.name()}: message after the end line")
                try:
                    data = bytes.fromhex(ev["hex"])
                except (KeyError, TypeError, ValueError):
                    raise CellFail(f"{self.name()}: bad hex in message {len(msgs)}") from None
                if ev.get("hex") != data.hex():
                    raise CellFail(f"{self.name()}: hex of message {len(msgs)} is not lowercase")
                if ev.get("len") != len(data):
                    raise CellFail(f"{self.name()}: message {len(msgs)} says len {ev.get('len')}"
                                   f" but has {len(data)} bytes")
                msgs.append(data)
            elif ev["ev"] == "end":
                end = ev
        if end is None:
            raise CellFail(f"{self.name()}: no end line")
        if end.get("count") != len(msgs):
            raise CellFail(f"{self.name()}: end line count {end.get('count')} but "
                           f"{len(msgs)} messages printed")
        return msgs, end


# ---- checks ------------------------------------------------------------------------------------

def first_diff(w, g):
    """Where two messages first differ (byte index), for failure reports."""
    return next((j for j, (x, y) in enumerate(zip(w, g)) if x != y), min(len(w), len(g)))


def check_exact(who, want, got):
    """got must equal want, message for message."""
    for i, (w, g) in enumerate(zip(want, got)):
        if w != g:
            j = first_diff(w, g)
            at = f" (first at byte {j}: {g[j]:#04x}, want {w[j]:#04x})" \
                if j < min(len(w), len(g)) else ""
            raise CellFail(f"{who}: message {i} differs{at}: expected {show(w)}, got {show(g)}")
    if len(want) != len(got):
        raise CellFail(f"{who}: expected {len(want)} messages, got {len(got)}")


def check_interleaving(who, streams, got):
    """got must be an interleaving of the producer streams ({P: [bytes]}): each
    producer's messages in its order, nothing missing, nothing extra. Byte 0 of a
    non-empty message names its producer (ids have distinct low bytes); empty
    messages are indistinguishable, so they are matched to the producers' gaps
    by earliest deadline (exact for unit-length jobs on intervals)."""
    by_low = {p & 0xFF: p for p in streams}
    if len(by_low) != len(streams):
        raise CellFail(f"{who}: producer ids need distinct low bytes")
    # For each producer: positions in got of its non-empty messages.
    pos = {p: [] for p in streams}
    nonempty = {p: [m for m in s if m] for p, s in streams.items()}
    for i, m in enumerate(got):
        if not m:
            continue
        p = by_low.get(m[0])
        if p is None:
            raise CellFail(f"{who}: message {i} ({show(m)}) is from no producer")
        j = len(pos[p])
        if j >= len(nonempty[p]):
            raise CellFail(f"{who}: message {i} is an extra one from producer {p}: {show(m)}")
        if m != nonempty[p][j]:
            raise CellFail(f"{who}: producer {p} message {j} (non-empty) differs at position "
                           f"{i}: expected {show(nonempty[p][j])}, got {show(m)}")
        pos[p].append(i)
    for p in streams:
        if len(pos[p]) != len(nonempty[p]):
            raise CellFail(f"{who}: producer {p}: {len(pos[p])} of {len(nonempty[p])} "
                           f"non-empty messages arrived")
    # Empty messages: producer p's r-th empty must arrive after its previous
    # non-empty message and before its next one.
    jobs = []  # (release position, deadline position, producer)
    for p, s in streams.items():
        seen = 0
        for m in s:
            if m:
                seen += 1
            else:
                rel = pos[p][seen - 1] if seen else -1
                dl = pos[p][seen] if seen < len(pos[p]) else len(got)
                jobs.append((rel, dl, p))
    empties = [i for i, m in enumerate(got) if not m]
    if len(empties) != len(jobs):
        raise CellFail(f"{who}: expected {len(jobs)} empty messages, got {len(empties)}")
    jobs.sort()
    pending, j = [], 0
    for i in empties:
        while j < len(jobs) and jobs[j][0] < i:
            heapq.heappush(pending, (jobs[j][1], jobs[j][2]))
            j += 1
        if not pending:
            raise CellFail(f"{who}: empty message at position {i} fits no producer's order")
        dl, p = heapq.heappop(pending)
        if dl < i:
            raise CellFail(f"{who}: an empty message of producer {p} arrived out of order")


def split_messages(who, data, streams):
    """Cut the bytes several stream writers wrote (streams: {W: [message bytes]}, each
    message starting with W as a u32 LE and written in one call) back into messages:
    each must be whole, be its writer's next one, and every message must be there."""
    nxt = {w: 0 for w in streams}
    msgs, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 4:
            raise CellFail(f"{who}: {len(data) - pos} stray bytes at the end (offset {pos})")
        w = int.from_bytes(data[pos:pos + 4], "little")
        if w not in streams:
            raise CellFail(f"{who}: the bytes at offset {pos} start no writer's message: "
                           f"{show(data[pos:pos + 24])}")
        if nxt[w] >= len(streams[w]):
            raise CellFail(f"{who}: an extra message of writer {w} at offset {pos}")
        m = streams[w][nxt[w]]
        got = data[pos:pos + len(m)]
        if got != m:
            j = first_diff(m, got)
            raise CellFail(f"{who}: writer {w} message {nxt[w]} at offset {pos} is not whole "
                           f"or differs (first at byte {j}): expected {show(m)}, got {show(got)}")
        msgs.append(m)
        nxt[w] += 1
        pos += len(m)
    for w, s in streams.items():
        if nxt[w] != len(s):
            raise CellFail(f"{who}: writer {w}: {nxt[w]} of {len(s)} messages arrived")
    return msgs


def check_subsequence(who, want, got):
    """got must appear in want's order (a subsequence)."""
    j = 0
    for i, m in enumerate(got):
        while j < len(want) and want[j] != m:
            j += 1
        if j == len(want):
            raise CellFail(f"{who}: message {i} ({show(m)}) is out of order or unexpected")
        j += 1


# ---- the run -----------------------------------------------------------------------------------

class CellSkip(Exception):
    """A cell is not run; the message is why."""


class Cell:
    def __init__(self, row, key, label):
        self.row, self.key, self.label = row, key, label
        self.ok = None
        self.skipped = False
        self.reason = ""
        self.note = ""
        self.seconds = 0.0


class Run:
    def __init__(self, args, agents):
        self.args = args
        self.agents = agents  # lang -> argv prefix
        self.langs = list(agents)
        self.ref = "c" if "c" in agents else self.langs[0]
        self.tmp = tempfile.mkdtemp(prefix="indexbus-conf-")
        self.env = dict(os.environ)
        if args.lib:
            self.env["INDEXBUS_LIB"] = os.path.abspath(args.lib)
        self.counter = 0
        self.live = []
        self.cells = []
        self.cell_timeout = args.cell_timeout
        self.stream_cache = {}

    def next_id(self):
        self.counter += 1
        return self.counter

    @staticmethod
    def require_new_kinds(*langs):
        """Skip the cell if one of langs does not speak streams and request/response yet."""
        for lang in langs:
            if lang in NEW_KINDS_PENDING:
                raise CellSkip(f"{lang}: {NEW_KINDS_PENDING[lang]}")

    def region_name(self, tag):
        return f"/ibconf-{os.getpid()}-{self.next_id()}-{tag}"

    def file_region(self, tag):
        return os.path.join(self.tmp, f"region-{self.next_id()}-{tag}")

    def next_lang(self, lang, step=1):
        return self.langs[(self.langs.index(lang) + step) % len(self.langs)]

    # -- process helpers --

    def start(self, role, lang, args):
        return Proc(self, role, lang, args)

    def finish(self, procs, deadline):
        """Wait for every process until deadline; kill the stragglers."""
        for p in procs:
            p.wait(deadline)
        for p in procs:
            if not p.exited():
                p.kill()
        bad = [p.failure() for p in procs if p.failure()]
        if bad:
            raise CellFail("; ".join(bad))

    def run_one(self, role, lang, args, timeout=None):
        p = self.start(role, lang, args)
        self.finish([p], time.monotonic() + (timeout or self.cell_timeout))
        return p

    # Layout 1.3 create features (scenario region key -> create flag). Agents need not
    # take these flags (PROTOCOL.md), so a region that asks for any is created by the
    # reference agent; every agent then opens it as usual.
    # The capability bit each sets: recycling is bit 37 in fanout, 39 in events regions.
    FEATURES = (("recycle", "--recycle", {"fanout": 1 << 37, "events": 1 << 39}),
                ("mpsc_batch", "--mpsc-batch", {"fanout": 1 << 38, "events": 1 << 38}))

    def create(self, lang, name, region, consumers=None):
        args = ["create", "--region", name, "--kind", region["kind"]]
        want_caps = 0
        for key, flag, cap in self.FEATURES:
            if region.get(key):
                args.append(flag)
                want_caps |= cap.get(region["kind"], 0)
                lang = self.ref
        for key, opt in (("slots", "--slots"), ("slot_size", "--slot-size"), ("queue", "--queue"),
                         ("consumers", "--consumers"), ("bytes", "--bytes"),
                         ("max_record", "--max-record"), ("cells", "--cells"),
                         ("max_request", "--max-request"), ("max_reply", "--max-reply")):
            v = region.get(key)
            if key == "consumers" and consumers is not None:
                v = consumers
            if v:
                args += [opt, str(v)]
        p = self.run_one("create", lang, args)
        p.event("created")
        if want_caps:
            check_features(name, want_caps)

    def cleanup(self, name, lang):
        """Unlink with the agent, then make sure the name is gone whatever happened."""
        path = shm_path(name)
        if os.path.exists(path):
            try:
                self.run_one("unlink", lang, ["unlink", "--region", name], timeout=10)
            except CellFail:
                pass
        if os.path.exists(path):
            try:
                os.unlink(path)
            except OSError:
                pass

    def wait_region(self, name, cond, procs, what, deadline):
        """Poll the region until cond(state); fail if a process ends first."""
        while True:
            st = region_state(name)
            if st is not None and cond(st):
                return
            for p in procs:
                if p.exited():
                    raise CellFail(f"{p.name()} ended while waiting for {what}: "
                                   f"{p.failure() or 'exit 0'}")
            if time.monotonic() > deadline:
                raise CellFail(f"timed out waiting for {what}")
            time.sleep(0.01)

    def cell(self, row, key, label, fn):
        c = Cell(row, key, label)
        t0 = time.monotonic()
        procs_before = len(self.live)
        try:
            note = fn()
            c.ok = True
            c.note = note or ""
        except CellSkip as e:
            c.ok = True
            c.skipped = True
            c.reason = str(e)
        except CellFail as e:
            c.ok = False
            c.reason = str(e)
        except Exception as e:  # a runner bug must not hide the other cells
            c.ok = False
            c.reason = f"runner error: {type(e).__name__}: {e}"
        finally:
            for p in self.live[procs_before:]:
                if not p.exited():
                    p.kill()
        c.seconds = time.monotonic() - t0
        self.cells.append(c)
        if self.args.verbose:
            verdict = f"SKIP ({c.reason})" if c.skipped else \
                "PASS" if c.ok else "FAIL " + c.reason
            print(f"  [{row}] {label}: {verdict}", flush=True)
        else:
            print("s" if c.skipped else "." if c.ok else "F", end="", flush=True)
        return c

    # -- common pieces of the message rows --

    @staticmethod
    def producer_args(name, prod, p, extra=()):
        args = ["produce", "--region", name, "--type", prod.get("type", "spsc"),
                "--producer", str(p), "--count", str(prod["count"]),
                "--sizes", ",".join(str(s) for s in prod["sizes"])]
        if prod.get("zero_copy"):
            args.append("--zero-copy")
        if prod.get("batch"):
            args += ["--batch", str(prod["batch"])]
        if prod.get("wait"):
            args.append("--wait")
        return args + list(extra)

    @staticmethod
    def consumer_args(name, cons, index, count=None):
        args = ["consume", "--region", name, "--index", str(index)]
        if cons.get("borrow"):
            args.append("--borrow")
        if cons.get("batch"):
            args += ["--batch", str(cons["batch"])]
        if cons.get("timeout_ms"):
            args += ["--timeout-ms", str(cons["timeout_ms"])]
        if cons.get("delay_ms"):
            args += ["--delay-ms", str(cons["delay_ms"])]
        if count is not None:
            args += ["--count", str(count)]
        return args

    def check_published(self, proc, count):
        done = proc.event("done")
        if done.get("published") != count:
            raise CellFail(f"{proc.name()} says published {done.get('published')}, want {count}")

    # -- rows --

    def events_pipe(self, sc, prod_lang, cons_lang, tag):
        """One producer -> one events consumer (rows spsc, zero-copy, blocking, batch)."""
        prod, cons = sc["producer"], sc.get("consumer", {})
        name = self.region_name(tag)
        deadline = time.monotonic() + self.cell_timeout
        try:
            self.create(prod_lang, name, sc["region"])
            count = prod["count"] if cons.get("count") else None
            c = self.start("consumer", cons_lang, self.consumer_args(name, cons, 0, count))
            if cons.get("wait_attached"):
                self.wait_region(name, lambda s: s["consumers_live"] >= 1, [c],
                                 "the consumer to attach", deadline)
                time.sleep(prod.get("start_delay_ms", 0) / 1000.0)
            p = self.start("producer", prod_lang, self.producer_args(name, prod, prod["id"]))
            self.finish([c, p], deadline)
            self.check_published(p, prod["count"])
            msgs, end = c.messages()
            check_exact(c.name(), expected_stream(prod["id"], prod["count"], prod["sizes"]), msgs)
            want_end = "INDEXBUS_OK" if count is not None else "INDEXBUS_DISCONNECTED"
            if end.get("status") != want_end:
                raise CellFail(f"{c.name()} ended with {end.get('status')}, want {want_end}")
        finally:
            self.cleanup(name, prod_lang)

    def row_spsc(self, sc):
        for pl in self.langs:
            for cl in self.langs:
                self.cell("spsc", (pl, cl), f"{pl} -> {cl}",
                          lambda pl=pl, cl=cl: self.events_pipe(sc, pl, cl, f"spsc-{pl}-{cl}"))

    def row_pairs(self, row, sc):
        """Each language produces into the next language's consumer."""
        for lang in self.langs:
            nxt = self.next_lang(lang)
            self.cell(row, lang, f"{lang} -> {nxt}",
                      lambda lang=lang, nxt=nxt: self.events_pipe(sc, lang, nxt,
                                                                  f"{row}-{lang}-{nxt}"))

    def row_blocking(self, sc):
        """The consumer in each language blocks; the next language produces."""
        for lang in self.langs:
            prod = self.next_lang(lang)
            self.cell("blocking", lang, f"{prod} wakes {lang}",
                      lambda lang=lang, prod=prod: self.events_pipe(sc, prod, lang,
                                                                   f"block-{lang}"))

    # -- byte logs --

    @staticmethod
    def variant(sc, who, i):
        """The scenario's producer or consumer settings with variant i (cycled) of its
        "<who>_variants" list laid over them."""
        v = dict(sc.get(who, {}))
        vs = sc.get(f"{who}_variants") or [{}]
        v.update(vs[i % len(vs)])
        return v

    @staticmethod
    def mode(opts, who):
        """A short name for a producer's or consumer's mode, for cell labels."""
        if who == "producer":
            m = ("batch claim" if opts.get("zero_copy") else "batch") if opts.get("batch") \
                else "zero-copy" if opts.get("zero_copy") else "copy"
            return m + (" + wait" if opts.get("wait") else "")
        return "batch" if opts.get("batch") else "borrow" if opts.get("borrow") else "copy"

    def check_log_ring(self, name, total):
        """After a byte-log cell: every record counted as published, read, and its space
        given back (the consumer gives back the rest when it closes): head = read = tail."""
        st = region_state(name)
        if st is None or st.get("kind") != 3:
            raise CellFail("cannot read the byte log after the run")
        if st["published"] != total or not st["log_head"] == st["log_read"] == st["log_tail"]:
            raise CellFail(f"byte log after the run: published {st['published']} (want {total}), "
                           f"tail {st['log_tail']}, read {st['log_read']}, head {st['log_head']} "
                           "(want all three equal)")
        return st

    def log_pipe(self, sc, prod_lang, cons_lang, prod, cons, tag, park=False):
        """One SPSC producer -> the consumer of a byte log. park: the producer starts alone,
        fills the ring and parks in the blocking publish (the runner sees it among the
        producer wake entry's waiters); only then does the consumer start, late."""
        name = self.region_name(tag)
        deadline = time.monotonic() + self.cell_timeout
        try:
            self.create(prod_lang, name, sc["region"])
            if park:
                p = self.start("producer", prod_lang, self.producer_args(name, prod, prod["id"]))
                self.wait_region(name, lambda s: s["producers_parked"] >= 1, [p],
                                 "the producer to park on the full ring", deadline)
                st = region_state(name)
                c = self.start("consumer", cons_lang, self.consumer_args(name, cons, 0))
            else:
                c = self.start("consumer", cons_lang, self.consumer_args(name, cons, 0))
                p = self.start("producer", prod_lang, self.producer_args(name, prod, prod["id"]))
            self.finish([c, p], deadline)
            self.check_published(p, prod["count"])
            msgs, end = c.messages()
            check_exact(c.name(), expected_stream(prod["id"], prod["count"], prod["sizes"]), msgs)
            if end.get("status") != "INDEXBUS_DISCONNECTED":
                raise CellFail(f"{c.name()} ended with {end.get('status')}, "
                               "want INDEXBUS_DISCONNECTED")
            end_st = self.check_log_ring(name, prod["count"])
            if park:
                return (f"parked at {st['log_tail'] - st['log_head']} of "
                        f"{sc['region']['bytes']} bytes used; {end_st['log_tail']} bytes in all")
            return f"{end_st['log_tail']} bytes through the ring"
        finally:
            self.cleanup(name, prod_lang)

    def row_log(self, sc):
        """Byte log, SPSC: every producer language x every consumer language. The modes
        rotate over the cells (producer variant ip + ic, consumer variant ip + 2 ic), so each
        language meets every mode on both sides."""
        prod = sc["producer"]
        pads, exact = log_wraps(sc["region"]["bytes"], prod["sizes"], prod["count"])
        if pads == 0 or max(prod["sizes"]) != sc["region"]["max_record"]:
            raise SystemExit("run.py: scenario log: its sizes must reach max_record and "
                             "straddle the ring's end")
        for ip, pl in enumerate(self.langs):
            for ic, cl in enumerate(self.langs):
                pv = self.variant(sc, "producer", ip + ic)
                cv = self.variant(sc, "consumer", ip + 2 * ic)
                label = f"{pl} -> {cl} ({self.mode(pv, 'producer')} / {self.mode(cv, 'consumer')})"

                def one(pl=pl, cl=cl, pv=pv, cv=cv):
                    note = self.log_pipe(sc, pl, cl, pv, cv, f"log-{pl}-{cl}")
                    if not pv.get("batch"):
                        note += f", {pads} wrap pads"
                    return note
                self.cell("log", (pl, cl), label, one)

    def row_log_blocking(self, sc):
        """A blocking producer in each language parked on a full byte log, woken by a
        consumer in another language that starts late: every ordered pair of different
        languages ("pairs": "all"), or each language and the next one ("next")."""
        every = sc.get("pairs", "all") == "all"
        steps = range(1, len(self.langs) if every else 2) if len(self.langs) > 1 else [0]
        i = 0
        for ip, pl in enumerate(self.langs):
            for step in steps:
                cl = self.next_lang(pl, step)
                pv = self.variant(sc, "producer", i)
                cv = self.variant(sc, "consumer", ip + step)
                i += 1
                label = (f"{cl} wakes {pl} ({self.mode(pv, 'producer')} / "
                         f"{self.mode(cv, 'consumer')})")
                self.cell("log-blocking", (pl, cl), label,
                          lambda pl=pl, cl=cl, pv=pv, cv=cv:
                          self.log_pipe(sc, pl, cl, pv, cv, f"logblk-{pl}-{cl}", park=True))

    def row_mpsc(self, sc, row="mpsc"):
        """All N languages' MPSC producers at once into one consumer, one cell per consumer
        language (rows mpsc and log-mpsc). Producer variants rotate over the languages and
        the cells (variant i + j for producer language i in cell j), consumer variants over
        the cells."""
        prod = sc["producer"]
        ids = {lang: prod["id_base"] + i for i, lang in enumerate(self.langs)}
        total = prod["count"] * len(self.langs)

        def one(j, cl):
            cons = self.variant(sc, "consumer", j)
            pvs = {pl: self.variant(sc, "producer", i + j) for i, pl in enumerate(self.langs)}
            name = self.region_name(f"{row}-{cl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(cl, name, sc["region"])
                # Every producer attaches, then waits for the consumer, so none can
                # close before the last one has attached (the consumer would see
                # DISCONNECTED early): all attached -> start the consumer.
                ps = [self.start(f"producer P={ids[pl]}", pl,
                                 self.producer_args(name, pvs[pl], ids[pl],
                                                    ["--wait-consumers", "1"]))
                      for pl in self.langs]
                self.wait_region(name, lambda s: s["producers_live"] >= len(ps), ps,
                                 "every producer to attach", deadline)
                c = self.start("consumer", cl, self.consumer_args(name, cons, 0))
                self.finish([c] + ps, deadline)
                for p in ps:
                    self.check_published(p, prod["count"])
                msgs, end = c.messages()
                if end.get("status") != "INDEXBUS_DISCONNECTED":
                    raise CellFail(f"{c.name()} ended with {end.get('status')}, "
                                   "want INDEXBUS_DISCONNECTED")
                streams = {ids[pl]: expected_stream(ids[pl], prod["count"], prod["sizes"])
                           for pl in self.langs}
                check_interleaving(c.name(), streams, msgs)
                if sc["region"]["kind"] == "log":
                    st = self.check_log_ring(name, total)
                    modes = ", ".join(f"{pl} {self.mode(pvs[pl], 'producer')}"
                                      for pl in self.langs)
                    return f"{total} records, {st['log_tail']} bytes; {modes}"
                st = region_state(name)
                if st is None:
                    raise CellFail("cannot read the region after the run")
                if st["published"] != total or st["mpsc_depth"] or st["spsc_depth"]:
                    raise CellFail(f"region after the run: published {st['published']} (want "
                                   f"{total}), mpsc depth {st['mpsc_depth']}, spsc depth "
                                   f"{st['spsc_depth']} (want 0)")
                return f"{total} messages"
            finally:
                self.cleanup(name, cl)

        for j, cl in enumerate(self.langs):
            label = f"all -> {cl}"
            if sc.get("consumer_variants"):
                label += f" ({self.mode(self.variant(sc, 'consumer', j), 'consumer')})"
            self.cell(row, cl, label, lambda j=j, cl=cl: one(j, cl))

    # -- byte streams --

    def wait_events(self, procs, pred, what, deadline, watch=()):
        """Poll the agents' output until pred(proc's events so far) holds for every proc
        in procs; fail if one of them, or of watch, exits first."""
        while True:
            if all(pred(p.events_so_far()) for p in procs):
                return
            for p in list(procs) + list(watch):
                if p.exited() and not pred(p.events_so_far()):
                    raise CellFail(f"{p.name()} ended while waiting for {what}: "
                                   f"{p.failure() or 'exit 0'}")
            if time.monotonic() > deadline:
                raise CellFail(f"timed out waiting for {what}")
            time.sleep(0.01)

    @staticmethod
    def has_ev(kind):
        return lambda evs: any(e.get("ev") == kind for e in evs)

    @staticmethod
    def writer_args(name, wr, w, extra=()):
        args = ["stream-write", "--region", name, "--writer", str(w)]
        if "bytes" in wr:
            args += ["--bytes", str(wr["bytes"])]
            if wr.get("chunk"):
                args += ["--chunk", str(wr["chunk"])]
        else:
            args += ["--count", str(wr["count"]), "--sizes", ",".join(str(x) for x in wr["sizes"])]
        if wr.get("mode"):
            args += ["--mode", wr["mode"]]
        return args + list(extra)

    @staticmethod
    def reader_args(name, rd, extra=()):
        args = ["stream-read", "--region", name]
        for key, opt in (("read_size", "--read-size"), ("timeout_ms", "--timeout-ms"),
                         ("max_bytes", "--max-bytes")):
            if rd.get(key):
                args += [opt, str(rd[key])]
        return args + list(extra)

    @staticmethod
    def stream_mode(wr=None, rd=None):
        if wr is not None:
            return f"{wr.get('mode', 'all')} x {wr.get('chunk', 4096)}"
        return f"reads of {rd.get('read_size', 65536)}"

    def check_stream_end(self, proc, want_bytes, want_fnv, status="INDEXBUS_DISCONNECTED",
                         ended=True, aborted=False, writers_aborted=0):
        """A stream-read's end line: status, byte count, checksum and the latched state."""
        end = proc.event("end")
        if end.get("status") != status:
            raise CellFail(f"{proc.name()} ended with {end.get('status')}, want {status}")
        if end.get("bytes") != want_bytes:
            raise CellFail(f"{proc.name()} read {end.get('bytes')} bytes, want {want_bytes}")
        if end.get("fnv") != want_fnv:
            raise CellFail(f"{proc.name()}: checksum {end.get('fnv')}, want {want_fnv} "
                           f"({want_bytes} bytes)")
        if ended is not None:
            got = (end.get("ended"), end.get("aborted"), end.get("writers_aborted"),
                   end.get("reader_gone"))
            want = (ended, aborted, writers_aborted, False)
            if got != want:
                raise CellFail(f"{proc.name()}: state ended/aborted/writers_aborted/"
                               f"reader_gone {got}, want {want}")
        return end

    def check_written(self, proc, n):
        done = proc.event("done")
        if done.get("written") != n:
            raise CellFail(f"{proc.name()} says written {done.get('written')}, want {n}")

    def stream_expect(self, w, n):
        key = (w, n)
        if key not in self.stream_cache:
            self.stream_cache[key] = stream_bytes(w, 0, n)
        return self.stream_cache[key]

    def row_stream(self, sc):
        """A stream written in each language and read in each (N x N); the writer's mode
        (write_all or write-what-fits, call sizes) and the reader's read size rotate."""
        wr0 = sc["writer"]
        data = self.stream_expect(wr0["id"], wr0["bytes"])
        want_fnv = fnv_hex(data)

        def one(wl, rl, wv, rv):
            self.require_new_kinds(wl, rl)
            name = self.region_name(f"stream-{wl}-{rl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(wl, name, sc["region"])
                r = self.start("reader", rl, self.reader_args(name, rv))
                w = self.start("writer", wl, self.writer_args(name, wv, wv["id"]))
                self.finish([r, w], deadline)
                self.check_written(w, wv["bytes"])
                self.check_stream_end(r, wv["bytes"], want_fnv)
                st = region_state(name)
                if st is None or not (st["stream_ended"] and st["stream_reader_gone"]) or \
                        st["stream_writers"] or st["stream_bytes_read"] != wv["bytes"]:
                    raise CellFail(f"stream after the run: {st} (want ended, reader gone, no "
                                   f"writer, {wv['bytes']} bytes read)")
                return f"{wv['bytes']} bytes, fnv {want_fnv}"
            finally:
                self.cleanup(name, wl if wl not in NEW_KINDS_PENDING else self.ref)

        for iw, wl in enumerate(self.langs):
            for ir, rl in enumerate(self.langs):
                wv = self.variant(sc, "writer", iw + ir)
                rv = self.variant(sc, "reader", iw + 2 * ir)
                label = f"{wl} -> {rl} ({self.stream_mode(wr=wv)} / {self.stream_mode(rd=rv)})"
                self.cell("stream", (wl, rl), label,
                          lambda wl=wl, rl=rl, wv=wv, rv=rv: one(wl, rl, wv, rv))

    def row_stream_writers(self, sc):
        """Writers in every language at once into one stream, read in each language in
        turn (one cell per reader language): every message of every writer arrives whole
        and in its writer's order."""
        wr = sc["writer"]
        ids = {lang: wr["id_base"] + i for i, lang in enumerate(self.langs)}
        if len({i & 0xFF for i in ids.values()}) != len(ids) or min(wr["sizes"]) < 4:
            raise SystemExit("run.py: scenario stream-writers: writer ids need distinct low "
                             "bytes and messages at least 4 bytes")
        streams = {ids[lang]: expected_stream(ids[lang], wr["count"], wr["sizes"])
                   for lang in self.langs}
        total = sum(len(m) for s in streams.values() for m in s)

        def one(j, rl):
            self.require_new_kinds(rl, *self.langs)
            rv = self.variant(sc, "reader", j)
            name = self.region_name(f"stream-writers-{rl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(rl, name, sc["region"])
                ws = [self.start(f"writer W={ids[wl]}", wl,
                                 self.writer_args(name, wr, ids[wl], ["--wait-reader"]))
                      for wl in self.langs]
                # every writer holds a seat before the reader comes, so none can end the
                # stream before the last has joined
                self.wait_region(name, lambda s: s["stream_writers"] >= len(ws), ws,
                                 "every writer to join", deadline)
                r = self.start("reader", rl, self.reader_args(name, rv, ["--hex"]))
                self.finish([r] + ws, deadline)
                for wl, w in zip(self.langs, ws):
                    self.check_written(w, sum(len(m) for m in streams[ids[wl]]))
                got = b"".join(bytes.fromhex(e.get("hex", "")) for e in r.events()
                               if e["ev"] == "data")
                self.check_stream_end(r, total, fnv_hex(got))
                msgs = split_messages(r.name(), got, streams)
                switches = sum(1 for a, b in zip(msgs, msgs[1:]) if a[:4] != b[:4])
                return f"{total} bytes, {len(msgs)} messages, {switches} writer switches"
            finally:
                self.cleanup(name, rl if rl not in NEW_KINDS_PENDING else self.ref)

        for j, rl in enumerate(self.langs):
            label = f"all -> {rl} ({self.stream_mode(rd=self.variant(sc, 'reader', j))})"
            self.cell("stream-writers", rl, label, lambda j=j, rl=rl: one(j, rl))

    def row_stream_handover(self, sc):
        """The read end handed over: a reader in the next language reads part of a stream
        (ending inside a record) and releases it; a reader in the language after that goes
        on at the very next byte."""
        wr, first, second = sc["writer"], sc["first_reader"], sc.get("second_reader", {})
        data = self.stream_expect(wr["id"], wr["bytes"])
        m = first["max_bytes"]

        def one(wl, r1l, r2l):
            self.require_new_kinds(wl, r1l, r2l)
            name = self.region_name(f"stream-handover-{wl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(wl, name, sc["region"])
                r1 = self.start("first reader", r1l, self.reader_args(name, first, ["--release"]))
                w = self.start("writer", wl, self.writer_args(name, wr, wr["id"]))
                self.finish([r1], deadline)
                self.check_stream_end(r1, m, fnv_hex(data[:m]), status="INDEXBUS_OK",
                                      ended=None)
                st = region_state(name)
                if st is None or st["stream_reader_gone"]:
                    raise CellFail("the first reader's release latched READER_GONE")
                r2 = self.start("second reader", r2l, self.reader_args(name, second))
                self.finish([r2, w], deadline)
                self.check_written(w, wr["bytes"])
                self.check_stream_end(r2, wr["bytes"] - m, fnv_hex(data[m:]))
                return f"{m} + {wr['bytes'] - m} bytes"
            finally:
                self.cleanup(name, wl if wl not in NEW_KINDS_PENDING else self.ref)

        for wl in self.langs:
            r1l, r2l = self.next_lang(wl), self.next_lang(wl, 2)
            self.cell("stream-handover", wl, f"{wl} writes, {r1l} hands over to {r2l}",
                      lambda wl=wl, r1l=r1l, r2l=r2l: one(wl, r1l, r2l))

    def row_stream_kill(self, sc):
        """SIGKILL on each side of a stream. A writer killed (in each language) after its
        bytes: the reader in the next language reads them all, then end of stream, with
        the stream marked aborted and one writer counted dead. A reader killed (in each
        language) holding the read end: the writer in the next language, waiting for room,
        gets DISCONNECTED."""
        wk, rk = sc["writer_dies"], sc["reader_dies"]

        def writer_dies(wl, rl):
            self.require_new_kinds(wl, rl)
            wr = wk["writer"]
            data = self.stream_expect(wr["id"], wr["bytes"])
            name = self.region_name(f"stream-wkill-{wl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(rl, name, sc["region"])
                r = self.start("reader", rl, self.reader_args(name, wk.get("reader", {})))
                w = self.start("writer", wl, self.writer_args(name, wr, wr["id"], ["--hold"]))
                self.wait_events([w], self.has_ev("holding"), "the writer to hold", deadline, [r])
                w.kill()
                self.finish([r], deadline)
                self.check_stream_end(r, wr["bytes"], fnv_hex(data), aborted=True,
                                      writers_aborted=1)
                return f"{wr['bytes']} bytes, then end of stream: aborted, 1 writer dead"
            finally:
                self.kill_all()
                self.cleanup(name, rl if rl not in NEW_KINDS_PENDING else self.ref)

        def reader_dies(rl, wl):
            self.require_new_kinds(wl, rl)
            wr, rd = rk["writer"], rk["reader"]
            data = self.stream_expect(wr["id"], wr["bytes"])
            name = self.region_name(f"stream-rkill-{rl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(wl, name, sc["region"])
                r = self.start("reader", rl, self.reader_args(name, rd, ["--hold"]))
                w = self.start("writer", wl, self.writer_args(name, wr, wr["id"]))
                self.wait_events([r], self.has_ev("holding"), "the reader to hold", deadline, [w])
                self.check_stream_end(r, rd["max_bytes"], fnv_hex(data[:rd["max_bytes"]]),
                                      status="INDEXBUS_OK", ended=None)
                # the writer is still writing: the ring is full of what nobody reads
                if w.exited():
                    raise CellFail(f"{w.name()} ended before the reader died: "
                                   f"{w.failure() or 'exit 0'}")
                r.kill()
                w.wait(deadline)
                if not w.exited():
                    w.kill()
                    raise CellFail(f"{w.name()} did not see the reader's death")
                if w.rc != 1 or w.fail_status() != "INDEXBUS_DISCONNECTED":
                    raise CellFail(f"{w.name()}: exit {w.rc}, status {w.fail_status()}, want "
                                   f"exit 1 with INDEXBUS_DISCONNECTED{w.stderr_tail()}")
                st = region_state(name)
                if st is None or not st["stream_reader_gone"]:
                    raise CellFail(f"stream after the run: {st} (want reader gone)")
                return "writer got INDEXBUS_DISCONNECTED"
            finally:
                self.kill_all()
                self.cleanup(name, wl if wl not in NEW_KINDS_PENDING else self.ref)

        for lang in self.langs:
            nxt = self.next_lang(lang)
            self.cell("stream-kill", ("writer", lang), f"writer {lang} killed, {nxt} reads",
                      lambda lang=lang, nxt=nxt: writer_dies(lang, nxt))
            self.cell("stream-kill", ("reader", lang), f"reader {lang} killed, {nxt} writes",
                      lambda lang=lang, nxt=nxt: reader_dies(lang, nxt))

    # -- request/response --

    @staticmethod
    def server_args(name, sv, count, extra=()):
        args = ["serve", "--region", name, "--count", str(count)]
        if sv.get("zero_copy"):
            args.append("--zero-copy")
        if sv.get("timeout_ms"):
            args += ["--timeout-ms", str(sv["timeout_ms"])]
        return args + list(extra)

    @staticmethod
    def client_args(name, cl, p, extra=()):
        args = ["request", "--region", name, "--client", str(p), "--count", str(cl["count"]),
                "--sizes", ",".join(str(x) for x in cl["sizes"])]
        if cl.get("mode"):
            args += ["--mode", cl["mode"]]
        if cl.get("timeout_ms"):
            args += ["--timeout-ms", str(cl["timeout_ms"])]
        return args + list(extra)

    @staticmethod
    def expected_replies(p, cl):
        replies = [reply_rule(m) for m in expected_stream(p, cl["count"], cl["sizes"])]
        return sum(len(x) for x in replies), fnv_hex(b"".join(replies))

    def check_client(self, proc, p, cl):
        done = proc.event("done")
        n, h = self.expected_replies(p, cl)
        got = (done.get("requests"), done.get("reply_bytes"), done.get("fnv"))
        if got != (cl["count"], n, h):
            raise CellFail(f"{proc.name()}: requests/reply_bytes/fnv {got}, want "
                           f"{(cl['count'], n, h)}")

    def check_served(self, proc, count):
        done = proc.event("done")
        if done.get("served") != count:
            raise CellFail(f"{proc.name()} says served {done.get('served')}, want {count}")

    def check_rpc_idle(self, name, failed=0):
        """After an rpc cell: every cell FREE again (the clients closed), nobody attached."""
        st = region_state(name)
        if st is None or st["rpc_cells"].keys() != {"FREE"} or st["rpc_clients"] or \
                st["rpc_servers"] or st["rpc_requests_failed"] != failed:
            raise CellFail(f"request/response region after the run: {st} (want every cell "
                           f"FREE, nobody attached, {failed} requests failed)")

    def row_rpc(self, sc):
        """Requests from each language served by a server in each language (N x N); the
        client's mode (call, wait, zero copy) and the server's (copy, zero copy) rotate."""
        def one(sl, cl, sv, cv):
            self.require_new_kinds(sl, cl)
            name = self.region_name(f"rpc-{sl}-{cl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(sl, name, sc["region"])
                s = self.start("server", sl, self.server_args(name, sv, cv["count"]))
                c = self.start("client", cl, self.client_args(name, cv, cv["id"]))
                self.finish([s, c], deadline)
                self.check_served(s, cv["count"])
                self.check_client(c, cv["id"], cv)
                self.check_rpc_idle(name)
                return f"{cv['count']} round trips"
            finally:
                self.cleanup(name, sl if sl not in NEW_KINDS_PENDING else self.ref)

        for i_s, sl in enumerate(self.langs):
            for i_c, cl in enumerate(self.langs):
                sv = self.variant(sc, "server", i_s + i_c)
                cv = self.variant(sc, "client", i_s + 2 * i_c)
                label = (f"{cl} -> {sl} ({cv.get('mode', 'wait')} / "
                         f"{'zero-copy' if sv.get('zero_copy') else 'copy'} reply)")
                self.cell("rpc", (sl, cl), label,
                          lambda sl=sl, cl=cl, sv=sv, cv=cv: one(sl, cl, sv, cv))

    def row_rpc_clients(self, sc):
        """Clients in every language at once, each with its own requests, served by one
        server per cell (one cell per server language)."""
        cl0 = sc["client"]
        ids = {lang: cl0["id_base"] + i for i, lang in enumerate(self.langs)}

        def one(j, sl):
            self.require_new_kinds(sl, *self.langs)
            sv = self.variant(sc, "server", j)
            cvs = {cl: self.variant(sc, "client", i + j) for i, cl in enumerate(self.langs)}
            name = self.region_name(f"rpc-clients-{sl}")
            deadline = time.monotonic() + self.cell_timeout
            try:
                self.create(sl, name, sc["region"])
                total = sum(cv["count"] for cv in cvs.values())
                s = self.start("server", sl, self.server_args(name, sv, total))
                cs = [self.start(f"client P={ids[cl]}", cl, self.client_args(name, cvs[cl],
                                                                             ids[cl]))
                      for cl in self.langs]
                self.finish([s] + cs, deadline)
                self.check_served(s, total)
                for cl, c in zip(self.langs, cs):
                    self.check_client(c, ids[cl], cvs[cl])
                self.check_rpc_idle(name)
                return f"{total} round trips from {len(cs)} clients"
            finally:
                self.cleanup(name, sl if sl not in NEW_KINDS_PENDING else self.ref)

        for j, sl in enumerate(self.langs):
            self.cell("rpc-clients", sl, f"all -> {sl}", lambda j=j, sl=sl: one(j, sl))

    def row_rpc_kill(self, sc):
        """A server in each language takes a request from a client in every language and
        is killed (SIGKILL) while they wait: each client gets DISCONNECTED; then a server in
        the next language takes over and serves every request, the first ones again."""
        cl0 = sc["client"]
        ids = {lang: cl0["id_base"] + i for i, lang in enumerate(self.langs)}

        def one(j, sl, nl):
            self.require_new_kinds(sl, nl, *self.langs)
            cvs = {cl: self.variant(sc, "client", i + j) for i, cl in enumerate(self.langs)}
            name = self.region_name(f"rpc-kill-{sl}")
            deadline = time.monotonic() + self.cell_timeout
            n = len(self.langs)
            try:
                self.create(sl, name, sc["region"])
                a = self.start("server", sl, self.server_args(name, sc.get("server", {}), n,
                                                              ["--hold"]))
                cs = [self.start(f"client P={ids[cl]}", cl,
                                 self.client_args(name, cvs[cl], ids[cl],
                                                  ["--retry-disconnected"]))
                      for cl in self.langs]
                self.wait_events([a], self.has_ev("holding"),
                                 "the server to hold a request of every client", deadline, cs)
                st = region_state(name)
                serving = st["rpc_cells"].get("SERVING", 0) if st else None
                if serving != n:
                    raise CellFail(f"{serving} cells SERVING while the server holds, want {n}")
                a.kill()
                self.wait_events(cs, self.has_ev("disconnected"),
                                 "every client to get DISCONNECTED", deadline)
                total = sum(cv["count"] for cv in cvs.values())
                b = self.start("new server", nl, self.server_args(name, sc.get("server", {}),
                                                                  total))
                self.finish([b] + cs, deadline)
                self.check_served(b, total)
                for cl, c in zip(self.langs, cs):
                    disc = [e for e in c.events() if e["ev"] == "disconnected"]
                    if [e.get("k") for e in disc] != [0]:
                        raise CellFail(f"{c.name()}: DISCONNECTED for requests "
                                       f"{[e.get('k') for e in disc]}, want [0]")
                    self.check_client(c, ids[cl], cvs[cl])
                self.check_rpc_idle(name, failed=n)
                return f"{n} clients DISCONNECTED, then {total} round trips with {nl}"
            finally:
                self.kill_all()
                self.cleanup(name, sl if sl not in NEW_KINDS_PENDING else self.ref)

        for j, sl in enumerate(self.langs):
            nl = self.next_lang(sl)
            self.cell("rpc-kill", sl, f"server {sl} killed, {nl} takes over",
                      lambda j=j, sl=sl, nl=nl: one(j, sl, nl))

    def router_lang(self, sc, i):
        choice = sc.get("router", {}).get("lang", "rotate")
        if choice == "rotate":
            return self.langs[(i + 1) % len(self.langs)]
        return choice if choice in self.agents else self.ref

    def fanout_cell(self, sc, row, prod_lang, router_lang):
        prod, cons, rt = sc["producer"], sc.get("consumer", {}), sc["router"]
        n = len(self.langs)
        if rt["mode"] == "broadcast" and sc["region"].get("queue", 0) < sc["region"].get("slots", 0):
            raise CellFail("scenario: queue must be >= slots, or broadcast may drop")
        name = self.region_name(f"{row}-{prod_lang}")
        deadline = time.monotonic() + self.cell_timeout
        try:
            self.create(prod_lang, name, sc["region"], consumers=n)
            r = self.start("router", router_lang, ["route", "--region", name, "--mode",
                                                   rt["mode"], "--source", rt.get("source", "any")])
            cs = [self.start(f"consumer {i}", cl, self.consumer_args(name, cons, i))
                  for i, cl in enumerate(self.langs)]
            self.wait_region(name, lambda s: s["consumers_routed"] >= n and s["routers_live"] >= 1,
                             [r] + cs, "the router to route to every consumer", deadline)
            p = self.start("producer", prod_lang,
                           self.producer_args(name, prod, prod["id"],
                                              ["--wait-consumers", str(n)]))
            self.finish([r, p] + cs, deadline)
            self.check_published(p, prod["count"])
            routed = r.event("done").get("routed")
            if routed != prod["count"]:
                raise CellFail(f"{r.name()} routed {routed}, want {prod['count']}")
            want = expected_stream(prod["id"], prod["count"], prod["sizes"])
            got = []
            for c in cs:
                msgs, end = c.messages()
                if end.get("status") != "INDEXBUS_DISCONNECTED":
                    raise CellFail(f"{c.name()} ended with {end.get('status')}, "
                                   "want INDEXBUS_DISCONNECTED")
                got.append(msgs)
            if rt["mode"] == "broadcast":
                for c, msgs in zip(cs, got):
                    check_exact(c.name(), want, msgs)
                return ""
            for c, msgs in zip(cs, got):
                check_subsequence(c.name(), want, msgs)
            union = Counter(m for msgs in got for m in msgs)
            expect = Counter(want)
            if union != expect:
                missing = sum((expect - union).values())
                extra = sum((union - expect).values())
                raise CellFail(f"union of the consumers: {missing} message(s) missing, "
                               f"{extra} duplicate or unexpected")
            return "split " + "/".join(str(len(m)) for m in got)
        finally:
            self.cleanup(name, prod_lang)

    def row_fanout(self, row, sc):
        for i, pl in enumerate(self.langs):
            rl = self.router_lang(sc, i)
            self.cell(row, pl, f"producer {pl}, router {rl}",
                      lambda pl=pl, rl=rl: self.fanout_cell(sc, row, pl, rl))

    def row_errors(self, sc):
        def one(case, lang):
            if case["region"]["kind"] in NEW_KINDS:
                self.require_new_kinds(lang, self.ref)
            file_region = case.get("file", False)
            tag = f"err-{case['case']}-{lang}"
            name = self.file_region(tag) if file_region else self.region_name(tag)
            try:
                self.create(self.ref, name, case["region"])
                for patch in case.get("patch", []):
                    with open(shm_path(name), "r+b") as f:
                        f.seek(patch["offset"])
                        f.write(int(patch["value"]).to_bytes(patch["size"], "little"))
                p = self.run_one("error", lang, ["error", "--region", name, "--case",
                                                 case["case"]])
                ev = p.event("error")
                if ev.get("case") != case["case"]:
                    raise CellFail(f"{p.name()} reported case {ev.get('case')!r}")
                if ev.get("status") != case["expect"]:
                    raise CellFail(f"{lang}: {ev.get('status')}, want {case['expect']}")
                return ev.get("status")
            finally:
                self.cleanup(name, self.ref)

        for case in sc["cases"]:
            for lang in self.langs:
                self.cell("errors", (case["case"], lang), f"{case['case']} in {lang}",
                          lambda case=case, lang=lang: one(case, lang))

    # -- golden images --

    def golden_image(self, lang, scenario):
        path = self.file_region(f"golden-{lang}")
        try:
            p = self.run_one("golden", lang, ["golden", "--region", path] +
                             golden_args(scenario))
            p.event("done")
            with open(path, "rb") as f:
                return mask(f.read())
        finally:
            if os.path.exists(path):
                os.unlink(path)

    def regen_golden(self, scenarios):
        if "c" not in self.agents:
            print("run.py: --regen-golden needs the C agent (--agent c=...)", file=sys.stderr)
            return False
        ok = True
        os.makedirs(GOLDEN_DIR, exist_ok=True)
        for sc in scenarios:
            out = golden_path(sc)
            try:
                a = self.golden_image("c", sc)
                b = self.golden_image("c", sc)
            except CellFail as e:
                print(f"regen {os.path.basename(sc)}: {e}", file=sys.stderr)
                ok = False
                continue
            if a != b:
                print(f"regen {os.path.basename(sc)}: two runs of the C agent differ: "
                      f"{diff_summary(a, b)}", file=sys.stderr)
                ok = False
                continue
            with open(out, "wb") as f:
                f.write(a)
            print(f"regen: wrote {os.path.relpath(out, REPO)} ({len(a)} bytes)")
        return ok

    def row_golden(self, scenarios):
        def one(sc, lang):
            if golden_kind(sc) in NEW_KINDS:
                self.require_new_kinds(lang)
            gp = golden_path(sc)
            try:
                with open(gp, "rb") as f:
                    want = f.read()
            except OSError:
                raise CellFail(f"no {os.path.relpath(gp, REPO)} (run with --regen-golden)") \
                    from None
            got = self.golden_image(lang, sc)
            if got != want:
                raise CellFail(f"{lang}: region differs from {os.path.relpath(gp, REPO)}: "
                               f"{diff_summary(want, got)}")
            return ""

        for sc in scenarios:
            gname = golden_name(sc)
            for lang in self.langs:
                self.cell("golden", (gname, lang), f"{gname} in {lang}",
                          lambda sc=sc, lang=lang: one(sc, lang))

    def kill_all(self):
        for p in self.live:
            if not p.exited():
                p.kill()


# A golden op's JSON field -> its option name, where it is not the field with '-' for '_'
# (PROTOCOL.md: every handle is --name, the payload's producer id is --producer).
GOLDEN_OPTS = {"producer": "name", "router": "name", "consumer": "name", "id": "producer"}


def golden_args(scenario):
    """The op list of a golden scenario as the golden command's arguments: each op is its
    name followed by its fields as options (PROTOCOL.md); true is a flag, false none."""
    with open(scenario, encoding="utf-8") as f:
        ops = json.load(f)["ops"]
    args = []
    for op in ops:
        args.append(op["op"])
        for key, v in op.items():
            if key == "op" or v is False:
                continue
            args.append("--" + GOLDEN_OPTS.get(key, key).replace("_", "-"))
            if isinstance(v, list):
                args.append(",".join(str(x) for x in v))
            elif v is not True:
                args.append(str(v))
    return args


def golden_kind(scenario):
    """The region kind a golden scenario creates."""
    with open(scenario, encoding="utf-8") as f:
        ops = json.load(f)["ops"]
    return next((op.get("kind") for op in ops if op["op"] == "create"), None)


def golden_name(scenario):
    base = os.path.splitext(os.path.basename(scenario))[0]
    return base[len("golden_"):] if base.startswith("golden_") else base


def golden_path(scenario):
    return os.path.join(GOLDEN_DIR, golden_name(scenario) + ".bin")


def mask(image):
    b = bytearray(image)
    for off, n in GOLDEN_MASK:
        b[off:off + n] = bytes(n)
    return bytes(b)


def where(image, off):
    """Name the header field or section an offset falls in."""
    if off < 1024:
        return f"header +{off}"
    try:
        for i in range(struct.unpack_from("<I", image, 52)[0]):
            kind, _f, start, length = struct.unpack_from("<IIQQ", image, 128 + 32 * i)
            if start <= off < start + length:
                return f"{SECTION_NAMES.get(kind, kind)} +{off - start}"
    except struct.error:
        pass
    return "padding"


def diff_summary(want, got):
    if len(want) != len(got):
        return f"size {len(got)}, want {len(want)}"
    diffs = [i for i in range(len(want)) if want[i] != got[i]]
    first = diffs[0]
    return (f"{len(diffs)} byte(s) differ, first at offset {first} ({where(want, first)}): "
            f"0x{got[first]:02x}, want 0x{want[first]:02x}")


# ---- reporting ----------------------------------------------------------------------------------

# Rows shown as a language x language matrix: their corner label (row key = (row lang,
# column lang)).
MATRIX_ROWS = {"spsc": "prod \\ cons", "log": "prod \\ cons", "log-blocking": "prod \\ cons",
               "stream": "writer \\ reader", "rpc": "server \\ client"}


def verdict(c):
    return "-" if c is None else "SKIP" if c.skipped else "PASS" if c.ok else "FAIL"


def report(run, rows_run, titles, expects):
    print()
    langs = run.langs
    w = max(8, max(len(x) for x in langs) + 2)
    for row in rows_run:
        cells = [c for c in run.cells if c.row == row]
        if not cells:
            continue
        print(f"\n== {row}: {titles.get(row, '')}")
        if row in MATRIX_ROWS:
            print("  " + MATRIX_ROWS[row].ljust(16) + "".join(x.ljust(w) for x in langs))
            by = {c.key: c for c in cells}
            for pl in langs:
                line = "  " + pl.ljust(16)
                for cl in langs:
                    line += verdict(by.get((pl, cl))).ljust(w)
                print(line)
        elif row in ("errors", "golden"):
            keys = []
            for c in cells:
                if c.key[0] not in keys:
                    keys.append(c.key[0])
            kw = max(len(k) for k in keys) + 2
            print("  " + "".ljust(kw) + "".join(x.ljust(w) for x in langs))
            by = {c.key: c for c in cells}
            for k in keys:
                line = "  " + k.ljust(kw)
                for lang in langs:
                    line += verdict(by.get((k, lang))).ljust(w)
                if row == "errors":
                    line += "  want " + expects.get(k, "?")
                print(line)
        else:
            lw = max(len(c.label) for c in cells) + 2
            for c in cells:
                note = f"  ({c.note})" if c.ok and c.note and not c.skipped else ""
                print(f"  {c.label.ljust(lw)}{verdict(c)}{note}")
        skips = {}
        for c in cells:
            if not c.ok:
                print(f"  FAIL {c.label}: {c.reason}")
            elif c.skipped:
                skips.setdefault(c.reason, []).append(c)
        for reason, cs in skips.items():
            print(f"  SKIP {len(cs)} cell(s): {reason}")
    passed = sum(1 for c in run.cells if c.ok and not c.skipped)
    skipped = sum(1 for c in run.cells if c.skipped)
    failed = len(run.cells) - passed - skipped
    print()
    print(f"conformance: {passed} passed, {failed} failed, {skipped} skipped")
    return failed == 0


# ---- main -----------------------------------------------------------------------------------------

def parse_agents(specs, only):
    agents = {}
    for spec in specs:
        lang, sep, cmd = spec.partition("=")
        if not sep or not lang or not cmd.strip():
            raise SystemExit(f"run.py: --agent wants LANG=COMMAND, got {spec!r}")
        agents[lang.strip()] = shlex.split(cmd)
    if not agents:
        agents = {k: shlex.split(v) for k, v in DEFAULT_AGENTS.items()}
    if only:
        want = [x.strip() for x in only.split(",") if x.strip()]
        unknown = [x for x in want if x not in agents]
        if unknown:
            raise SystemExit(f"run.py: --only names languages without an agent: "
                             f"{', '.join(unknown)}")
        agents = {k: v for k, v in agents.items() if k in want}
    order = {lang: i for i, lang in enumerate(LANG_ORDER)}
    return dict(sorted(agents.items(), key=lambda kv: order.get(kv[0], len(order))))


def main(argv):
    ap = argparse.ArgumentParser(description="IndexBus cross-language conformance matrix")
    ap.add_argument("--agent", action="append", default=[], metavar="LANG=COMMAND",
                    help="agent command for a language (split with shlex); repeatable. "
                         "Default: c, cxx and python from the default build")
    ap.add_argument("--only", metavar="LANG,...", help="restrict to these languages")
    ap.add_argument("--rows", metavar="ROW,...",
                    help=f"matrix rows to run (default all: {','.join(ROW_ORDER)})")
    ap.add_argument("--lib", metavar="PATH", help="libindexbus.so, exported to the agents "
                    "as INDEXBUS_LIB")
    ap.add_argument("--regen-golden", action="store_true",
                    help="rewrite conformance/golden/*.bin with the C agent first")
    ap.add_argument("--cell-timeout", type=float, default=120.0, metavar="SECONDS",
                    help="kill a cell's processes after this long (default 120)")
    ap.add_argument("-v", "--verbose", action="store_true", help="one line per cell as it runs")
    args = ap.parse_args(argv)

    agents = parse_agents(args.agent, args.only)
    rows = ROW_ORDER if not args.rows else [r.strip() for r in args.rows.split(",") if r.strip()]
    bad = [r for r in rows if r not in ROW_ORDER]
    if bad:
        ap.error(f"unknown row(s) {', '.join(bad)}; rows are {', '.join(ROW_ORDER)}")
    rows = [r for r in ROW_ORDER if r in rows]

    scenarios, titles = {}, {}
    for path in sorted(glob.glob(os.path.join(SCENARIOS, "*.json"))):
        with open(path, encoding="utf-8") as f:
            sc = json.load(f)
        if os.path.basename(path).startswith("golden_"):
            scenarios.setdefault("golden", []).append(path)
            titles["golden"] = "golden region images (creator_pid and creation_time_ns masked)"
        else:
            scenarios[sc["row"]] = sc
            titles[sc["row"]] = sc.get("title", "")

    run = Run(args, agents)
    print(f"conformance: languages {', '.join(run.langs)}; rows {', '.join(rows)}; "
          f"scratch {run.tmp}")
    for lang, argv_ in agents.items():
        print(f"  {lang}: {' '.join(shlex.quote(a) for a in argv_)}")

    def on_signal(signum, _frame):
        run.kill_all()
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    regen_ok = True
    t0 = time.monotonic()
    try:
        if args.regen_golden:
            regen_ok = run.regen_golden(scenarios.get("golden", []))
        for row in rows:
            if row != "golden" and row not in scenarios:
                print(f"run.py: no scenario file for row {row}", file=sys.stderr)
                return 2
            sc = scenarios.get(row)
            if row == "spsc":
                run.row_spsc(sc)
            elif row in ("zero-copy", "batch"):
                run.row_pairs(row, sc)
            elif row == "blocking":
                run.row_blocking(sc)
            elif row == "mpsc":
                run.row_mpsc(sc)
            elif row == "mpsc-recycle":
                run.row_mpsc(sc, row)
            elif row == "log":
                run.row_log(sc)
            elif row == "log-mpsc":
                run.row_mpsc(sc, row)
            elif row == "log-blocking":
                run.row_log_blocking(sc)
            elif row in ("broadcast", "work-queue", "work-queue-recycle", "work-queue-batch"):
                run.row_fanout(row, sc)
            elif row == "stream":
                run.row_stream(sc)
            elif row == "stream-writers":
                run.row_stream_writers(sc)
            elif row == "stream-handover":
                run.row_stream_handover(sc)
            elif row == "stream-kill":
                run.row_stream_kill(sc)
            elif row == "rpc":
                run.row_rpc(sc)
            elif row == "rpc-clients":
                run.row_rpc_clients(sc)
            elif row == "rpc-kill":
                run.row_rpc_kill(sc)
            elif row == "errors":
                run.row_errors(sc)
            elif row == "golden":
                run.row_golden(scenarios.get("golden", []))
    except KeyboardInterrupt:
        run.kill_all()
        print("\nconformance: interrupted")
        return 130
    finally:
        run.kill_all()
    expects = {c["case"]: c["expect"] for c in scenarios.get("errors", {}).get("cases", [])}
    ok = report(run, rows, titles, expects)
    print(f"({time.monotonic() - t0:.1f} s)")
    if ok and regen_ok:
        shutil.rmtree(run.tmp, ignore_errors=True)
    else:
        print(f"agent output kept in {run.tmp}")
    return 0 if ok and regen_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
