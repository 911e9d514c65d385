"""Regions, producers, consumers and routers over libindexbus (cffi, API mode).

cffi releases the GIL around every call into the library, so a thread blocked in
``recv`` (or in a blocking ``publish`` or ``claim``) lets the other Python threads run.
Blocking calls wait in slices of at most ``SLICE_SECONDS`` so that signal handlers
(Ctrl-C's KeyboardInterrupt) run between slices: an interrupted wait raises within
about one slice.
"""
import threading
import time
from typing import TYPE_CHECKING, Any, Iterable, Iterator, List, Optional, Union

from ._errors import BufferTooSmall, Disconnected, check, error
from ._ffi import ffi, lib

if TYPE_CHECKING:  # the handles of 1.1's kinds live in their own modules
    from ._rpc import Client, Server
    from ._stream import StreamReader, StreamState, StreamWriter

__all__ = [
    "Region", "Producer", "Consumer", "Router", "Claim", "BatchClaim", "Borrow", "Record",
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
_TOO_LARGE = lib.INDEXBUS_TOO_LARGE
_KIND_LOG = lib.INDEXBUS_KIND_LOG
_U32_MAX = 0xFFFFFFFF
# a byte-log consumer's receive buffer starts this big and grows to max_record on demand
_LOG_RECV_BUF = 64 * 1024
# and recv_batch's buffer holds at most this much (at least one record of max_record)
_LOG_BATCH_BUF = 1024 * 1024
_publish = lib.indexbus_publish
_try_recv = lib.indexbus_try_recv

_KIND_STREAM = lib.INDEXBUS_KIND_STREAM
_KIND_RPC = lib.INDEXBUS_KIND_RPC

_KINDS = {"events": lib.INDEXBUS_KIND_EVENTS, "fanout": lib.INDEXBUS_KIND_FANOUT,
          "log": lib.INDEXBUS_KIND_LOG, "stream": _KIND_STREAM, "rpc": _KIND_RPC}
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


def _sliced(call: Any, timeout: Optional[float], between: Any = None) -> int:
    """call(ns) -> status, repeated in slices until it is not TIMEOUT or the timeout
    (seconds, None = forever) is spent. Python runs signal handlers between slices,
    and between() if given."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        ns = _SLICE_NS
        if deadline is not None:
            left = deadline - time.monotonic()
            if left * 1e9 <= _SLICE_NS:
                ns = max(0, int(left * 1e9))
        st = call(ns)
        if st != _TIMEOUT or ns < _SLICE_NS and deadline is not None and \
                time.monotonic() >= deadline:
            return st
        if between is not None:
            between()


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
        #: byte logs and streams: ring bytes and the largest record's payload (0 in
        #: other kinds)
        self.byte_capacity: int = info.byte_capacity
        self.max_record: int = info.max_record
        #: request/response: reply cells, the largest request and reply (0 otherwise)
        self.cells: int = info.rpc_cells
        self.max_request: int = info.max_request
        self.max_reply: int = info.max_reply

    @property
    def is_log(self) -> bool:
        """True for a byte-log region (kind "log")."""
        return self.kind == _KIND_LOG

    @property
    def is_stream(self) -> bool:
        """True for a byte stream (kind "stream")."""
        return self.kind == _KIND_STREAM

    @property
    def is_rpc(self) -> bool:
        """True for a request/response region (kind "rpc")."""
        return self.kind == _KIND_RPC

    @property
    def record_capacity(self) -> int:
        """The largest message: max_record in a byte log, else slot_data_size."""
        return self.max_record if self.kind == _KIND_LOG else self.slot_data_size

    @classmethod
    def create(cls, name: str, kind: Union[str, int] = "events", *, slot_count: int = 0,
               slot_data_size: int = 0, queue_capacity: int = 0, consumer_count: int = 0,
               mode: int = 0, prefault: bool = False, byte_capacity: int = 0,
               max_record: int = 0, cells: int = 0, max_request: int = 0,
               max_reply: int = 0, recycle: bool = False,
               mpsc_batch: bool = False) -> "Region":
        """Create region `name` exclusively (Exists if taken); 0 means the default.

        kind "events" and "fanout" take the slot geometry (slot_count, slot_data_size,
        queue_capacity, consumer_count); kind "log" (a byte log: records stored inline
        in a ring of bytes) and kind "stream" (a byte stream on such a ring) take
        byte_capacity (ring bytes, a power of two, 4 KiB .. 1 GiB; default 1 MiB) and
        max_record (the largest record's payload, for a stream the largest piece
        written contiguously; default 64 KiB, or byte_capacity / 2 - 8 if less); kind
        "rpc" (request/response) takes cells (reply cells, 1..4096; default 64),
        max_request and max_reply (bytes, 8 .. 16 MiB; default 4096 each). Geometry of
        another kind raises InvalidArgument.

        Layout 1.3 features of events and fanout regions (the region then has layout
        1.3, and readers of older layouts refuse it; other kinds raise InvalidArgument):
        recycle (INDEXBUS_CREATE_RECYCLE) makes slots recycle through the queue cells
        (slot_count at least twice queue_capacity): info().capabilities then has bit 37
        (INDEXBUS_CAP_FANOUT_RECYCLE) in a fanout region, bit 39
        (INDEXBUS_CAP_MPSC_RECYCLE) in an events region. mpsc_batch
        (INDEXBUS_CREATE_MPSC_BATCH, bit 38, INDEXBUS_CAP_MPSC_BATCH) lets MPSC
        producers reserve a whole batch's queue cells at once."""
        k = _pick(_KINDS, kind, "kind")
        if k not in (_KIND_LOG, _KIND_STREAM) and (byte_capacity or max_record):
            raise error(lib.INDEXBUS_INVALID_ARGUMENT,
                        "byte_capacity and max_record apply to kinds 'log' and 'stream'")
        if k != _KIND_RPC and (cells or max_request or max_reply):
            raise error(lib.INDEXBUS_INVALID_ARGUMENT,
                        "cells, max_request and max_reply apply to kind 'rpc'")
        if k == _KIND_RPC and (slot_count or slot_data_size):
            raise error(lib.INDEXBUS_INVALID_ARGUMENT,
                        "kind 'rpc' takes cells, max_request and max_reply")
        # the C config names an rpc region's geometry with the slot and record fields
        slot_count, slot_data_size = cells or slot_count, max_request or slot_data_size
        max_record = max_reply or max_record
        cfg = _new_sized("indexbus_region_config")
        check(lib.indexbus_region_config_init(cfg, k))
        if byte_capacity:
            cfg.byte_capacity = byte_capacity
        if max_record:
            cfg.max_record = max_record
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
        if recycle:
            cfg.flags |= lib.INDEXBUS_CREATE_RECYCLE
        if mpsc_batch:
            cfg.flags |= lib.INDEXBUS_CREATE_MPSC_BATCH
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
        """indexbus_region_info: kind, geometry, counters, live counts; in a byte log
        or stream also byte_capacity, max_record, bytes_used, bytes_free, bytes_padding
        and records_waiting; in a stream stream_flags, stream_writers, writers_aborted
        and stream_bytes_read; in a request/response region rpc_cells,
        rpc_cells_free, max_request, max_reply, rpc_replies_abandoned and
        rpc_requests_failed."""
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

    # ---- byte streams (kind "stream") ----

    def writer(self, timeout: Optional[float] = None) -> "StreamWriter":
        """Join the stream as a writer: a file-like object (io.RawIOBase). Disconnected
        if the stream has ended or its reader is gone, Busy if 48 writers are in."""
        from ._stream import StreamWriter
        return StreamWriter(self, timeout)

    def reader(self, timeout: Optional[float] = None) -> "StreamReader":
        """Take the stream's read end: a file-like object (io.RawIOBase). Busy if a
        reader holds it, Disconnected if a reader closed it."""
        from ._stream import StreamReader
        return StreamReader(self, timeout)

    def stream_state(self) -> "StreamState":
        """The stream's latched state: ``ended``, ``reader_gone``, ``aborted``,
        ``writers_aborted`` and ``clean`` (ended, no writer died)."""
        from ._stream import stream_state
        return stream_state(self._p())

    # ---- request/response (kind "rpc") ----

    def client(self) -> "Client":
        """A request/response client: ``client.request(data, timeout)`` -> bytes."""
        from ._rpc import Client
        return Client(self)

    def server(self) -> "Server":
        """A request/response server (any number: a work queue): ``serve(timeout)``."""
        from ._rpc import Server
        return Server(self)


# ---- producer -------------------------------------------------------------------

class Producer(_Handle):
    """An SPSC (exclusive, the default) or MPSC producer. ``capacity`` is the largest
    message: the slot data size, or a byte log's max_record."""

    _close_fn = lib.indexbus_producer_close

    def __init__(self, region: Region, mpsc: bool = False) -> None:
        out = ffi.new("indexbus_producer **")
        kind = lib.INDEXBUS_PRODUCER_MPSC if mpsc else lib.INDEXBUS_PRODUCER_SPSC
        check(lib.indexbus_producer_open(region._p(), kind, out))
        self._ptr = out[0]
        self._region = region
        self.capacity: int = region.record_capacity
        self.is_log: bool = region.is_log

    def _recover(self) -> None:
        """Between the slices of a blocking publish or claim: recover dead peers. The
        library recovers every 64 parks of one wait (a dead consumer may hold the
        space, and its death ends the wait with Disconnected), which a 50 ms slice of
        1 ms parks never reaches."""
        r = self._region._ptr
        if r is not None:
            lib.indexbus_region_recover(r, 0, ffi.NULL)

    def publish(self, data: Buffer, timeout: Optional[float] = 0.0) -> None:
        """Copy `data` (any bytes-like object) into the region and publish it.

        `timeout` in seconds: 0 raises Full at once when there is no room; otherwise
        this is a blocking producer (indexbus_publish_wait) that waits for the
        consumer (or router) to free space, up to `timeout` (None: forever), and
        raises Timeout when it is spent, Disconnected when the consumer is gone.
        Ctrl-C interrupts the wait within about SLICE_SECONDS."""
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
        if st == _FULL and timeout != 0:
            st = self._publish_wait(p, buf, timeout)
        check(st)

    def _publish_wait(self, p: Any, buf: Any, timeout: Optional[float]) -> int:
        # apart from publish: a closure there would make its locals cells, and the
        # fast path slower (about 6% of a round of bench.py at batch 1)
        n = len(buf)
        return _sliced(lambda ns: lib.indexbus_publish_wait(p, buf, n, ns), timeout,
                       self._recover)

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

    def claim(self, length: Optional[int] = None, timeout: Optional[float] = 0.0) -> "Claim":
        """Zero-copy publish: ``with producer.claim(n) as view:`` gives a writable
        memoryview of exactly n bytes in the region itself (default: the whole slot,
        or max_record bytes in a byte log); a normal exit commits ``claim.length``
        bytes (n unless changed, or ``claim.commit(k)`` with k <= n), an exception
        aborts. `timeout` as for publish: 0 raises Full at once, else wait for room
        (None: forever; Timeout)."""
        return Claim(self, length, timeout)

    def claim_batch(self, lengths: Iterable[int]) -> "BatchClaim":
        """In-place batch claim (byte logs): ``with producer.claim_batch([4, 0, 9]) as
        views:`` reserves the records at once and gives a writable memoryview of each
        (exactly its length). Nothing is visible until the block ends, which publishes
        them all with one store; ``batch.commit(k)`` publishes only the first k; an
        exception publishes none (their space becomes padding). Full if the ring
        cannot take the whole batch now, TooLarge if a record exceeds max_record or
        the batch half the ring, WrongKind in events and fanout regions."""
        return BatchClaim(self, lengths)

    def space(self) -> int:
        """Free space as this producer sees it now (indexbus_producer_space): in a byte
        log, free ring bytes (a record of n bytes takes 8 + n rounded up to 8, plus
        padding at the wrap); in events and fanout regions, how many messages it could
        publish without Full."""
        out = ffi.new("uint64_t *")
        check(lib.indexbus_producer_space(self._p(), out))
        return int(out[0])


class Claim:
    """Context manager of Producer.claim. Set ``length`` (or call ``commit(n)``) in
    the block to publish fewer bytes than the view holds."""

    def __init__(self, producer: Producer, length: Optional[int],
                 timeout: Optional[float] = 0.0) -> None:
        self._producer = producer
        self._want = length
        self._timeout = timeout
        self._view: Optional[memoryview] = None
        self._done = True
        self.length = 0
        self.capacity = 0

    def __enter__(self) -> memoryview:
        producer = self._producer
        p = producer._p()
        buf = ffi.new("void **")
        want = self._want
        if want is None:
            n = producer.capacity
        elif want < 0 or want > producer.capacity:
            raise error(_TOO_LARGE, f"claim of {want} bytes, a message holds at most "
                                    f"{producer.capacity}")
        else:
            n = want
        if want is None and self._timeout == 0:
            cap = ffi.new("size_t *")
            st = lib.indexbus_claim(p, buf, cap)
            n = int(cap[0]) if st == _OK else n
        else:
            st = lib.indexbus_claim_len(p, n, buf)
            if st == _FULL and self._timeout != 0:
                st = _sliced(lambda ns: lib.indexbus_claim_wait(p, n, buf, ns), self._timeout,
                             producer._recover)
        check(st, f"claim of {n} bytes")
        # a slot holds slot_data_size whatever the claim; a byte-log record exactly n
        self.capacity = n if producer.is_log else producer.capacity
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
        """Publish the first `length` bytes now (default ``self.length``). A failed
        commit (TooLarge: more than claimed) aborts the claim and raises."""
        if self._done:
            raise error(lib.INDEXBUS_BAD_STATE, "no claim pending")
        n = self.length if length is None else length
        p = self._producer._p()
        self._release()
        self._done = True
        st = lib.indexbus_commit(p, n) if 0 <= n <= _U32_MAX else _TOO_LARGE
        if st != _OK:
            lib.indexbus_abort(p)
            raise error(st, f"commit of {n} bytes")

    def abort(self) -> None:
        """Give the claim back unpublished (in a byte log its space becomes padding
        the consumer skips)."""
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


class BatchClaim:
    """Context manager of Producer.claim_batch: a list of writable memoryviews, one
    per record. A normal exit publishes every record (unless ``commit`` or ``abort``
    ran in the block), an exception none."""

    def __init__(self, producer: Producer, lengths: Iterable[int]) -> None:
        self._producer = producer
        self.lengths: List[int] = [int(n) for n in lengths]
        self._views: List[memoryview] = []
        self._done = True

    def __enter__(self) -> List[memoryview]:
        p = self._producer._p()
        lens = self.lengths
        if not lens:
            return []  # nothing to reserve; nothing to publish
        for n in lens:
            if n < 0 or n > _U32_MAX:
                raise error(_TOO_LARGE, f"a record of {n} bytes")
        c_lens = ffi.new("uint32_t[]", lens)
        bufs = ffi.new("void *[]", len(lens))
        check(lib.indexbus_claim_batch(p, c_lens, len(lens), bufs),
              f"batch claim of {len(lens)} records")
        self._done = False
        self._views = [memoryview(ffi.buffer(ffi.cast("char *", bufs[i]), n))
                       for i, n in enumerate(lens)]
        return list(self._views)

    def _release(self) -> None:
        views, self._views = self._views, []
        for view in views:
            try:
                view.release()
            except BufferError:
                pass

    def commit(self, count: Optional[int] = None) -> None:
        """Publish the first `count` records (default: all) with one store; the rest
        become padding. A count over the batch raises InvalidArgument (nothing
        published)."""
        if self._done:
            if not self.lengths:
                if count:
                    raise error(lib.INDEXBUS_INVALID_ARGUMENT, f"commit of {count} of 0")
                return
            raise error(lib.INDEXBUS_BAD_STATE, "no batch claim pending")
        n = len(self.lengths) if count is None else count
        p = self._producer._p()
        self._release()
        self._done = True
        st = lib.indexbus_commit_batch(p, n) if 0 <= n else lib.INDEXBUS_INVALID_ARGUMENT
        if st != _OK:
            lib.indexbus_commit_batch(p, 0)
            raise error(st, f"commit of {n} of {len(self.lengths)} records")

    def abort(self) -> None:
        """Publish none of the records (their space becomes padding)."""
        if self._done:
            return
        self._release()
        self._done = True
        check(lib.indexbus_commit_batch(self._producer._p(), 0))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.commit()


# ---- consumer -------------------------------------------------------------------

class Consumer(_Handle):
    """The consumer of an events region or a byte log (index 0) or of fanout queue
    `index`. Iterating yields messages (bytes) until the producers are gone and
    everything is drained (DISCONNECTED)."""

    _close_fn = lib.indexbus_consumer_close

    def __init__(self, region: Region, index: int = 0) -> None:
        out = ffi.new("indexbus_consumer **")
        check(lib.indexbus_consumer_open(region._p(), index, out))
        self._ptr = out[0]
        self.index = index
        self.capacity: int = region.record_capacity
        self._is_log = region.is_log
        # a byte log's max_record may be large: its buffer grows when a record needs it
        self._cap = min(self.capacity, _LOG_RECV_BUF) if self._is_log else self.capacity
        self._buf = ffi.new("char[]", self._cap)
        self._len = ffi.new("size_t *")
        # slicing a reused buffer view makes the bytes result faster than ffi.unpack
        self._bview = ffi.buffer(self._buf)
        self._batch_buf: Any = None
        self._batch_lens: Any = None
        self._batch_cap = 0

    def _grow(self, need: int) -> bool:
        """Make the receive buffer hold `need` bytes; False if it already does."""
        if need <= self._cap:
            return False
        self._cap = max(need, min(self.capacity, 2 * self._cap))
        self._buf = ffi.new("char[]", self._cap)
        self._bview = ffi.buffer(self._buf)
        return True

    def try_recv(self) -> Optional[bytes]:
        """The next message, or None if none is waiting (Disconnected when drained)."""
        p = self._ptr
        if p is None:
            p = self._p()
        n = self._len
        st = _try_recv(p, self._buf, self._cap, n)
        if st == _OK:
            return self._bview[:n[0]]
        if st == _EMPTY:
            return None
        if st == _BUFFER_TOO_SMALL and self._grow(n[0]):
            return self.try_recv()
        raise error(st)

    def recv(self, timeout: Optional[float] = None) -> bytes:
        """The next message, waiting up to `timeout` seconds (None: forever): raises
        Timeout, or Disconnected once the producers are gone and all is drained."""
        p, buf, cap, n = self._p(), self._buf, self._cap, self._len
        st = lib.indexbus_try_recv(p, buf, cap, n)
        if st == _EMPTY:
            st = _sliced(lambda ns: lib.indexbus_recv(p, buf, cap, n, ns), timeout)
        if st == _OK:
            return self._bview[:n[0]]
        if st == _BUFFER_TOO_SMALL and self._grow(n[0]):
            return self.recv(timeout=0)  # it is there: take it
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
        cap = max_msgs * self.capacity
        if self._is_log:  # records are packed: a bounded buffer that holds the largest
            cap = max(self.capacity, min(cap, _LOG_BATCH_BUF))
        if self._batch_lens is None or len(self._batch_lens) < max_msgs:
            self._batch_lens = ffi.new("uint32_t[]", max_msgs)
        if self._batch_cap < cap:
            self._batch_buf = ffi.new("char[]", cap)
            self._batch_cap = cap
        buf, lens = self._batch_buf, self._batch_lens
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

