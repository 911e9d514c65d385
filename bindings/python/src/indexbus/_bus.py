"""Regions, producers, consumers and routers over libindexbus (cffi, API mode).

cffi releases the GIL around every call into the library, so a thread blocked in
``recv`` lets the other Python threads run. Blocking calls wait in slices of at most
``SLICE_SECONDS`` so that signal handlers (Ctrl-C's KeyboardInterrupt) run between
slices: an interrupted wait raises within about one slice.
"""
import threading
import time
from typing import Any, Iterable, Iterator, List, Optional, Union

from ._errors import BufferTooSmall, Disconnected, check, error
from ._ffi import ffi, lib

__all__ = [
    "Region", "Producer", "Consumer", "Router", "Claim", "Borrow", "Record",
    "unlink", "gc", "SLICE_SECONDS",
]

Buffer = Union[bytes, bytearray, memoryview, Any]

SLICE_SECONDS = 0.05
_SLICE_NS = int(SLICE_SECONDS * 1e9)

_OK = lib.INDEXBUS_OK
_EMPTY = lib.INDEXBUS_EMPTY
_FULL = lib.INDEXBUS_FULL
_TIMEOUT = lib.INDEXBUS_TIMEOUT
_DISCONNECTED = lib.INDEXBUS_DISCONNECTED
_BUFFER_TOO_SMALL = lib.INDEXBUS_BUFFER_TOO_SMALL
_publish = lib.indexbus_publish
_try_recv = lib.indexbus_try_recv

_KINDS = {"events": lib.INDEXBUS_KIND_EVENTS, "fanout": lib.INDEXBUS_KIND_FANOUT}
_SOURCES = {"spsc": lib.INDEXBUS_SOURCE_SPSC, "mpsc": lib.INDEXBUS_SOURCE_MPSC,
            "any": lib.INDEXBUS_SOURCE_ANY}
_MODES = {"broadcast": lib.INDEXBUS_MODE_BROADCAST,
          "work-queue": lib.INDEXBUS_MODE_WORK_QUEUE,
          "work_queue": lib.INDEXBUS_MODE_WORK_QUEUE}


def _pick(table: dict, value: Union[str, int], what: str) -> int:
    if isinstance(value, str):
        try:
            return table[value]
        except KeyError:
            raise ValueError(f"unknown {what} {value!r}; one of {sorted(table)}") from None
    return int(value)


class Record(dict):
    """A C out-struct as a dict whose keys are also attributes (``info.slot_count``)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    @classmethod
    def of(cls, cdata: Any) -> "Record":
        return cls((name, getattr(cdata, name)) for name, _ in ffi.typeof(cdata).item.fields
                   if name != "size" and not name.startswith("reserved"))


def _new_sized(ctype: str) -> Any:
    p = ffi.new(ctype + " *")
    p.size = ffi.sizeof(ctype)
    return p


def _sliced(call: Any, timeout: Optional[float]) -> int:
    """call(ns) -> status, repeated in slices until it is not TIMEOUT or the timeout
    (seconds, None = forever) is spent. Python runs signal handlers between slices."""
    if timeout is None:
        while True:
            st = call(_SLICE_NS)
            if st != _TIMEOUT:
                return st
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        ns = _SLICE_NS if left * 1e9 > _SLICE_NS else max(0, int(left * 1e9))
        st = call(ns)
        if st != _TIMEOUT or ns < _SLICE_NS and time.monotonic() >= deadline:
            return st


def _interruptible(call: Any, stop: Any) -> int:
    """call() -> status for a loop that only stop() ends. Python runs signal handlers
    only on the main thread, between bytecodes: there the loop runs on a worker thread
    while the main thread waits in slices, and a KeyboardInterrupt (or any exception)
    raised while waiting calls stop(), waits for the loop to return, and propagates."""
    if threading.current_thread() is not threading.main_thread():
        return int(call())
    result: List[int] = []
    worker = threading.Thread(target=lambda: result.append(call()), name="indexbus-router",
                              daemon=True)
    worker.start()
    try:
        while worker.is_alive():
            worker.join(SLICE_SECONDS)
    except BaseException:
        stop()
        worker.join()
        raise
    return result[0]


class _Handle:
    _ptr: Any = None
    _close_fn: Any = None

    @property
    def closed(self) -> bool:
        return self._ptr is None

    def _p(self) -> Any:
        p = self._ptr
        if p is None:
            raise ValueError(f"{type(self).__name__} is closed")
        return p

    def close(self) -> None:
        """Close the handle (idempotent)."""
        p, self._ptr = self._ptr, None
        if p is not None:
            check(type(self)._close_fn(p))

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# ---- region ---------------------------------------------------------------------

def unlink(name: str) -> None:
    """Remove a region's name; processes that have it mapped keep working."""
    check(lib.indexbus_region_unlink(name.encode()), name)


def gc(name: str) -> bool:
    """Remove region `name` if every participant in it is dead: True if removed,
    False if someone is alive (BUSY); other statuses raise."""
    st = lib.indexbus_region_gc(name.encode())
    if st == lib.INDEXBUS_BUSY:
        return False
    check(st, name)
    return True


class Region(_Handle):
    """A mapped region. Make one with ``Region.create`` or ``Region.open``."""

    _close_fn = lib.indexbus_region_close

    def __init__(self, ptr: Any, name: str) -> None:
        self._ptr = ptr
        self.name = name
        info = self.info()
        self.kind: int = info.kind
        self.slot_data_size: int = info.slot_data_size
        self.consumer_count: int = info.consumer_count

    @classmethod
    def create(cls, name: str, kind: Union[str, int] = "events", *, slot_count: int = 0,
               slot_data_size: int = 0, queue_capacity: int = 0, consumer_count: int = 0,
               mode: int = 0, prefault: bool = False) -> "Region":
        """Create region `name` exclusively (Exists if taken); 0 means the default."""
        cfg = _new_sized("indexbus_region_config")
        check(lib.indexbus_region_config_init(cfg, _pick(_KINDS, kind, "kind")))
        if slot_count:
            cfg.slot_count = slot_count
        if slot_data_size:
            cfg.slot_data_size = slot_data_size
        if queue_capacity:
            cfg.queue_capacity = queue_capacity
        if consumer_count:
            cfg.consumer_count = consumer_count
        if mode:
            cfg.mode = mode
        if prefault:
            cfg.flags |= lib.INDEXBUS_CREATE_PREFAULT
        out = ffi.new("indexbus_region **")
        check(lib.indexbus_region_create(name.encode(), cfg, out), name)
        return cls(out[0], name)

    @classmethod
    def open(cls, name: str, *, ready_timeout: float = 1.0) -> "Region":
        """Open and validate region `name`, waiting up to `ready_timeout` seconds for
        a racing creator (NotReady, NotFound)."""
        cfg = _new_sized("indexbus_open_config")
        cfg.ready_timeout_ns = int(ready_timeout * 1e9)
        out = ffi.new("indexbus_region **")
        check(lib.indexbus_region_open(name.encode(), cfg, out), name)
        return cls(out[0], name)

    def unlink(self) -> None:
        """Remove this region's name (the mapping stays valid)."""
        unlink(self.name)

    def info(self) -> Record:
        """indexbus_region_info: kind, geometry, counters, live counts."""
        info = _new_sized("indexbus_info")
        check(lib.indexbus_region_info(self._p(), info))
        return Record.of(info)

    def consumer_stats(self, index: int) -> Record:
        stats = _new_sized("indexbus_consumer_stats")
        check(lib.indexbus_region_consumer_stats(self._p(), index, stats))
        return Record.of(stats)

    def participant(self, slot: int) -> Optional[Record]:
        """Entry `slot` of the participant table, None if it is free."""
        info = _new_sized("indexbus_participant_info")
        st = lib.indexbus_region_participant(self._p(), slot, info)
        if st == lib.INDEXBUS_NOT_FOUND:
            return None
        check(st)
        return Record.of(info)

    def recover(self, sweep: bool = False) -> Record:
        """Hand back what dead participants held (indexbus_region_recover)."""
        report = _new_sized("indexbus_recover_report")
        flags = lib.INDEXBUS_RECOVER_SWEEP if sweep else 0
        check(lib.indexbus_region_recover(self._p(), flags, report))
        return Record.of(report)

    def producer(self, mpsc: bool = False) -> "Producer":
        return Producer(self, mpsc=mpsc)

    def consumer(self, index: int = 0) -> "Consumer":
        return Consumer(self, index)

    def router(self) -> "Router":
        return Router(self)


# ---- producer -------------------------------------------------------------------

class Producer(_Handle):
    """An SPSC (exclusive, the default) or MPSC producer."""

    _close_fn = lib.indexbus_producer_close

    def __init__(self, region: Region, mpsc: bool = False) -> None:
        out = ffi.new("indexbus_producer **")
        kind = lib.INDEXBUS_PRODUCER_MPSC if mpsc else lib.INDEXBUS_PRODUCER_SPSC
        check(lib.indexbus_producer_open(region._p(), kind, out))
        self._ptr = out[0]
        self.capacity: int = region.slot_data_size

    def publish(self, data: Buffer, timeout: float = 0.0) -> None:
        """Copy `data` (any bytes-like object) into a slot and publish it. While the
        bus is Full, retry for up to `timeout` seconds (0: raise Full at once)."""
        p = self._ptr
        if p is None:
            p = self._p()
        if type(data) is bytes:  # cffi passes bytes to a const void * as is
            buf: Any = data
        else:
            buf = ffi.from_buffer(data)
        st = _publish(p, buf, len(buf))
        if st == _OK:
            return
        if st == _FULL and timeout:
            deadline = time.monotonic() + timeout
            while st == _FULL and time.monotonic() < deadline:
                time.sleep(0.0002)
                st = _publish(p, buf, len(buf))
        check(st)

    def publish_batch(self, messages: Iterable[Buffer]) -> int:
        """Publish the messages in order; returns how many went out (fewer than given
        when the bus filled up). Raises only if not even the first one went out."""
        msgs = [m if isinstance(m, bytes) else bytes(m) for m in messages]
        if not msgs:
            return 0
        lens = ffi.new("uint32_t[]", [len(m) for m in msgs])
        data = b"".join(msgs)
        published = ffi.new("size_t *")
        st = lib.indexbus_publish_batch(self._p(), data, lens, len(msgs), published)
        if st != _OK and published[0] == 0:
            raise error(st)
        return int(published[0])

    def claim(self, length: Optional[int] = None) -> "Claim":
        """Zero-copy publish: ``with producer.claim(n) as view:`` gives a writable
        memoryview of n bytes (default: the whole slot) in the slot itself; a normal
        exit commits ``claim.length`` bytes (n unless changed), an exception aborts."""
        return Claim(self, length)


class Claim:
    """Context manager of Producer.claim. Set ``length`` (or call ``commit(n)``) in
    the block to publish fewer bytes than the view holds."""

    def __init__(self, producer: Producer, length: Optional[int]) -> None:
        self._producer = producer
        self._want = length
        self._view: Optional[memoryview] = None
        self._done = True
        self.length = 0
        self.capacity = 0

    def __enter__(self) -> memoryview:
        p = self._producer._p()
        buf = ffi.new("void **")
        cap = ffi.new("size_t *")
        check(lib.indexbus_claim(p, buf, cap))
        self.capacity = int(cap[0])
        n = self.capacity if self._want is None else self._want
        if n > self.capacity or n < 0:
            lib.indexbus_abort(p)
            raise error(lib.INDEXBUS_TOO_LARGE, f"claim of {n} bytes, slot holds {self.capacity}")
        self.length = n
        self._done = False
        self._view = memoryview(ffi.buffer(ffi.cast("char *", buf[0]), n))
        return self._view

    def _release(self) -> None:
        view, self._view = self._view, None
        if view is not None:
            try:
                view.release()
            except BufferError:
                pass  # a derived view (numpy) still exists; it must not outlive the block

    def commit(self, length: Optional[int] = None) -> None:
        """Publish the first `length` bytes now (default ``self.length``)."""
        if self._done:
            raise error(lib.INDEXBUS_BAD_STATE, "no claim pending")
        n = self.length if length is None else length
        p = self._producer._p()
        self._release()
        self._done = True
        st = lib.indexbus_commit(p, n)
        if st != _OK:
            lib.indexbus_abort(p)
            raise error(st)

    def abort(self) -> None:
        """Give the slot back unpublished."""
        if self._done:
            return
        self._release()
        self._done = True
        check(lib.indexbus_abort(self._producer._p()))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.commit()


# ---- consumer -------------------------------------------------------------------

class Consumer(_Handle):
    """The consumer of an events region (index 0) or of fanout queue `index`.
    Iterating yields messages (bytes) until the producers are gone and everything is
    drained (DISCONNECTED)."""

    _close_fn = lib.indexbus_consumer_close

    def __init__(self, region: Region, index: int = 0) -> None:
        out = ffi.new("indexbus_consumer **")
        check(lib.indexbus_consumer_open(region._p(), index, out))
        self._ptr = out[0]
        self.index = index
        self.capacity: int = region.slot_data_size
        self._buf = ffi.new("char[]", self.capacity)
        self._len = ffi.new("size_t *")
        # slicing a reused buffer view makes the bytes result faster than ffi.unpack
        self._bview = ffi.buffer(self._buf)
        self._batch_buf: Any = None
        self._batch_lens: Any = None

    def try_recv(self) -> Optional[bytes]:
        """The next message, or None if none is waiting (Disconnected when drained)."""
        p = self._ptr
        if p is None:
            p = self._p()
        n = self._len
        st = _try_recv(p, self._buf, self.capacity, n)
        if st == _OK:
            return self._bview[:n[0]]
        if st == _EMPTY:
            return None
        raise error(st)

    def recv(self, timeout: Optional[float] = None) -> bytes:
        """The next message, waiting up to `timeout` seconds (None: forever): raises
        Timeout, or Disconnected once the producers are gone and all is drained."""
        p, buf, cap, n = self._p(), self._buf, self.capacity, self._len
        st = lib.indexbus_try_recv(p, buf, cap, n)
        if st == _EMPTY:
            st = _sliced(lambda ns: lib.indexbus_recv(p, buf, cap, n, ns), timeout)
        if st == _OK:
            return self._bview[:n[0]]
        raise error(st)

    def recv_into(self, buffer: Buffer, timeout: Optional[float] = None) -> int:
        """Receive into a writable bytes-like object; returns the length. If it is too
        small, BufferTooSmall (with ``.length``) is raised and the message stays."""
        p, n = self._p(), self._len
        dst = ffi.from_buffer(buffer, require_writable=True)
        cap = len(dst)
        st = _sliced(lambda ns: lib.indexbus_recv(p, dst, cap, n, ns), timeout)
        if st == _OK:
            return int(n[0])
        e = error(st)
        if isinstance(e, BufferTooSmall):
            e.length = int(n[0])
        raise e

    def wait(self, timeout: Optional[float] = None) -> None:
        """Wait until a message is ready without taking it (Timeout, Disconnected)."""
        p = self._p()
        check(_sliced(lambda ns: lib.indexbus_wait(p, ns), timeout))

    def borrow(self, timeout: Optional[float] = None) -> "Borrow":
        """Zero-copy receive: ``with consumer.borrow() as view:`` gives a read-only
        memoryview of the message in its slot, handed back when the block ends."""
        return Borrow(self, timeout)

    def recv_batch(self, max_msgs: int = 64, timeout: Optional[float] = 0.0) -> List[bytes]:
        """Up to `max_msgs` waiting messages; waits up to `timeout` seconds (None:
        forever) for the first; [] if none came. Disconnected when drained."""
        p = self._p()
        if self._batch_lens is None or len(self._batch_lens) < max_msgs:
            self._batch_lens = ffi.new("uint32_t[]", max_msgs)
            self._batch_buf = ffi.new("char[]", max_msgs * self.capacity)
        buf, lens, cap = self._batch_buf, self._batch_lens, max_msgs * self.capacity
        count = ffi.new("size_t *")
        st = lib.indexbus_recv_batch(p, buf, cap, lens, max_msgs, count)
        if st == _EMPTY and timeout != 0:
            st = _sliced(lambda ns: lib.indexbus_wait(p, ns), timeout)
            if st == _OK:
                st = lib.indexbus_recv_batch(p, buf, cap, lens, max_msgs, count)
        if st in (_EMPTY, _TIMEOUT):
            return []
        check(st)
        k = int(count[0])
        sizes = ffi.unpack(lens, k)
        raw = ffi.buffer(buf, sum(sizes))[:]
        out, off = [], 0
        for s in sizes:
            out.append(raw[off:off + s])
            off += s
        return out

    def __iter__(self) -> Iterator[bytes]:
        while True:
            try:
                yield self.recv()
            except Disconnected:
                return


class Borrow:
    """Context manager of Consumer.borrow: a read-only memoryview of the message in
    place; views derived from it (numpy.frombuffer) must not outlive the block."""

    def __init__(self, consumer: Consumer, timeout: Optional[float]) -> None:
        self._consumer = consumer
        self._timeout = timeout
        self._view: Optional[memoryview] = None

    def __enter__(self) -> memoryview:
        p = self._consumer._p()
        data = ffi.new("void **")
        n = ffi.new("size_t *")
        st = lib.indexbus_recv_begin(p, data, n)
        if st == _EMPTY:
            deadline = None if self._timeout is None else time.monotonic() + self._timeout
            while st == _EMPTY:
                left = None if deadline is None else max(0.0, deadline - time.monotonic())
                check(_sliced(lambda ns: lib.indexbus_wait(p, ns), left))
                st = lib.indexbus_recv_begin(p, data, n)
        check(st)
        self._view = memoryview(ffi.buffer(ffi.cast("char *", data[0]), n[0])).toreadonly()
        return self._view

    def __exit__(self, *exc: Any) -> None:
        view, self._view = self._view, None
        if view is not None:
            try:
                view.release()
            except BufferError:
                pass
        check(lib.indexbus_recv_end(self._consumer._p()))


# ---- router ---------------------------------------------------------------------

class Router(_Handle):
    """The router of a fanout region (exclusive: Busy if one is attached)."""

    _close_fn = lib.indexbus_router_close

    def __init__(self, region: Region) -> None:
        out = ffi.new("indexbus_router **")
        check(lib.indexbus_router_open(region._p(), out))
        self._ptr = out[0]

    def route_once(self, source: Union[str, int] = "any",
                   mode: Union[str, int] = "broadcast") -> bool:
        """Route one message: True if one left the source, False if none waited;
        Full if no consumer could take it (it stays queued)."""
        st = lib.indexbus_route_once(self._p(), _pick(_SOURCES, source, "source"),
                                     _pick(_MODES, mode, "mode"))
        if st == _EMPTY:
            return False
        check(st)
        return True

    def route_once_stats(self, source: Union[str, int] = "any",
                         mode: Union[str, int] = "broadcast") -> Record:
        """As route_once, with the per-consumer outcome (routed 0 when empty)."""
        res = _new_sized("indexbus_route_result")
        st = lib.indexbus_route_once_stats(self._p(), _pick(_SOURCES, source, "source"),
                                           _pick(_MODES, mode, "mode"), res)
        if st not in (_OK, _EMPTY):
            raise error(st)
        return Record.of(res)

    def run(self, source: Union[str, int] = "any", mode: Union[str, int] = "broadcast",
            exit_on_disconnect: bool = False) -> int:
        """Route on this thread until stop() (call it from another thread) or, with
        exit_on_disconnect, until the producers are gone and drained. Returns how many
        messages this run routed. Ctrl-C (KeyboardInterrupt) stops the loop within
        about SLICE_SECONDS and is raised here once the loop has returned."""
        p = self._p()
        cfg = _new_sized("indexbus_router_loop_config")
        cfg.source = _pick(_SOURCES, source, "source")
        cfg.mode = _pick(_MODES, mode, "mode")
        if exit_on_disconnect:
            cfg.flags = lib.INDEXBUS_ROUTER_EXIT_ON_DISCONNECT
        st = _interruptible(lambda: lib.indexbus_router_run(p, cfg), self.stop)
        if st not in (_OK, _DISCONNECTED):
            raise error(st)
        return int(cfg.routed)

    def stop(self) -> None:
        """Ask a running run() to return; safe from any thread."""
        check(lib.indexbus_router_stop(self._p()))

