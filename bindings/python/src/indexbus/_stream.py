"""Byte streams (kind "stream", layout 1.1) as file-like objects.

A stream is a byte pipe in shared memory: any number of writers (up to 48 at once),
one reader, no message boundaries. ``StreamWriter`` and ``StreamReader`` are
``io.RawIOBase`` objects: ``read``/``readinto``/``readall``/``write``/``close``, context
managers, and ``io.BufferedReader``/``io.BufferedWriter``/``io.TextIOWrapper`` stack on
them. End of stream (every writer gone and everything read) is ``b''`` from ``read``
and 0 from ``readinto``; a write after the reader has closed raises ``Disconnected``.

Both have a ``timeout`` (seconds; None, the default, waits for ever, like a blocking
file): a read waits that long for the first byte, a write for room, and ``Timeout`` is
raised when it is spent. With ``timeout=0`` they are non-blocking in the ``io`` sense:
``readinto`` and ``write`` return None when they would block.
"""
import io
import time
from typing import Any, Iterator, NamedTuple, Optional, Tuple

from ._bus import _SLICE_NS
from ._errors import error
from ._ffi import ffi, lib

__all__ = ["StreamWriter", "StreamReader", "StreamState"]

_OK = lib.INDEXBUS_OK
_FULL = lib.INDEXBUS_FULL
_EMPTY = lib.INDEXBUS_EMPTY
_TIMEOUT = lib.INDEXBUS_TIMEOUT
_DISCONNECTED = lib.INDEXBUS_DISCONNECTED
_READ_BUF = 64 * 1024  # read()'s buffer starts at this and grows to the largest size asked

# the default of a `timeout` argument: the object's own timeout attribute
_OWN: Any = object()


class StreamState(NamedTuple):
    """indexbus_stream_state: the latched INDEXBUS_STREAM_* flags and how many writers
    died (were recovered) instead of closing."""

    flags: int
    writers_aborted: int

    @property
    def ended(self) -> bool:
        """Every writer has left (latched): the reader gets EOF once it has read all."""
        return bool(self.flags & lib.INDEXBUS_STREAM_ENDED)

    @property
    def reader_gone(self) -> bool:
        """The reader has closed or died (latched): every write raises Disconnected."""
        return bool(self.flags & lib.INDEXBUS_STREAM_READER_GONE)

    @property
    def aborted(self) -> bool:
        """At least one writer died instead of closing."""
        return bool(self.flags & lib.INDEXBUS_STREAM_ABORTED)

    @property
    def clean(self) -> bool:
        """The stream ended cleanly: ENDED, and no writer died."""
        return self.ended and not self.aborted


def stream_state(region_ptr: Any) -> StreamState:
    flags, aborted = ffi.new("uint32_t *"), ffi.new("uint32_t *")
    st = lib.indexbus_stream_state(region_ptr, flags, aborted)
    if st != _OK:
        raise error(st)
    return StreamState(int(flags[0]), int(aborted[0]))


def _slices(timeout: Optional[float]) -> Iterator[int]:
    """The nanoseconds of each slice of a wait of `timeout` seconds (None: for ever),
    until it is spent; Python runs signal handlers between slices."""
    if timeout is None:
        while True:
            yield _SLICE_NS
    deadline = time.monotonic() + timeout
    while True:
        left = int((deadline - time.monotonic()) * 1e9)
        yield max(0, min(left, _SLICE_NS))
        if left <= _SLICE_NS:
            return


class _Stream(io.RawIOBase):
    _ptr: Any = None
    _close_fn: Any = None
    _what = "stream handle"

    def __init__(self, region: Any, timeout: Optional[float]) -> None:
        super().__init__()
        self._region = region
        self.timeout: Optional[float] = timeout

    def _p(self) -> Any:
        p = self._ptr
        if p is None:
            raise ValueError(f"I/O operation on a closed {type(self).__name__}")
        return p

    def _timeout(self, timeout: Any) -> Optional[float]:
        return self.timeout if timeout is _OWN else timeout

    def state(self) -> StreamState:
        """The stream's latched state (Region.stream_state)."""
        return stream_state(self._region._p())

    def close(self) -> None:
        """Close the handle (idempotent)."""
        p, self._ptr = self._ptr, None
        try:
            if p is not None:
                st = type(self)._close_fn(p)
                if st != _OK:
                    raise error(st)
        finally:
            super().close()

    def seekable(self) -> bool:
        return False

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else "open"
        return f"<indexbus.{type(self).__name__} {self._region.name!r} {state}>"


class StreamWriter(_Stream):
    """A writer of a byte stream (Region.writer). ``write`` takes what fits (waiting
    for room when none is free, unless the timeout is 0) and returns how many bytes;
    ``write_all`` writes everything. ``close()`` leaves the stream cleanly: the last
    writer out ends it; ``abort()`` leaves as a failed writer (so does a ``with`` block
    that raises). ``clone()`` opens another writer on the same stream."""

    _close_fn = lib.indexbus_stream_writer_close

    def __init__(self, region: Any, timeout: Optional[float] = None) -> None:
        super().__init__(region, timeout)
        out = ffi.new("indexbus_stream_writer **")
        st = lib.indexbus_stream_writer_open(region._p(), out)
        if st != _OK:
            super().close()
            raise error(st, f"stream writer on {region.name}")
        self._ptr = out[0]
        #: the largest run written contiguously (the region's max_record)
        self.max_record: int = region.max_record
        self._written = ffi.new("size_t *")

    def writable(self) -> bool:
        return True

    def abort(self) -> None:
        """Leave as a writer that failed (indexbus_stream_writer_abort): counted as an
        aborted writer, exactly as if it had died (the stream ends ABORTED if it was the
        last), at once. What it wrote stays readable. Idempotent; closes this object."""
        p, self._ptr = self._ptr, None
        try:
            if p is not None:
                st = lib.indexbus_stream_writer_abort(p)
                if st != _OK:
                    raise error(st)
        finally:
            io.RawIOBase.close(self)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """A ``with`` block that ends with an exception aborts the writer (the reader
        can tell: the stream does not end clean); a normal end closes it."""
        if exc_type is not None:
            self.abort()
        else:
            self.close()

    def readinto(self, b: Any) -> Optional[int]:
        raise io.UnsupportedOperation("a stream writer does not read")

    def clone(self, timeout: Any = _OWN) -> "StreamWriter":
        """Another writer on the same stream (a seat of its own): the stream ends only
        when every writer has closed."""
        self._p()
        return StreamWriter(self._region, self._timeout(timeout))

    def write(self, b: Any, *, timeout: Any = _OWN) -> Optional[int]:  # type: ignore[override]
        """Write what fits now and return how many bytes went in (one contiguous run).
        When nothing fits it waits for room for the first ``max_record`` bytes of `b`
        (all of them or none) up to `timeout` (default ``self.timeout``; None: for
        ever) and raises Timeout when it is spent; with timeout 0 it returns None
        instead. Disconnected once the reader is gone."""
        p = self._p()
        buf = b if type(b) is bytes else ffi.from_buffer(b)
        n = len(buf)
        w = self._written
        st = lib.indexbus_stream_write(p, buf, n, w)
        if st == _OK:
            return int(w[0])
        if st == _FULL:
            t = self._timeout(timeout)
            if t == 0:
                return None
            chunk = min(n, self.max_record)
            st, done = self._write_all(p, ffi.from_buffer(b), chunk, t)
            if st == _OK:
                return done
        e = error(st)
        e.written = 0  # type: ignore[attr-defined]
        raise e

    def write_all(self, data: Any, timeout: Any = _OWN) -> None:
        """Write all of `data`, waiting for room up to `timeout` (default
        ``self.timeout``; None: for ever). On Timeout or Disconnected the exception's
        ``written`` says exactly how many bytes went in (a prefix of `data`); at most
        ``max_record`` bytes go in as one piece: then ``written`` is 0 or all. A
        KeyboardInterrupt raised while it waits carries ``written`` too."""
        p = self._p()
        buf = ffi.from_buffer(data)
        n = len(buf)
        st, done = self._write_all(p, buf, n, self._timeout(timeout))
        if st != _OK:
            e = error(st, f"{done} of {n} bytes written")
            e.written = done  # type: ignore[attr-defined]
            raise e

    def _write_all(self, p: Any, buf: Any, n: int,
                   timeout: Optional[float]) -> Tuple[int, int]:
        """indexbus_stream_write_all of the first n bytes of `buf` (a cffi char[]) in
        slices: (status, how many bytes went in)."""
        w = self._written
        done = 0
        st = _TIMEOUT
        try:
            for ns in _slices(timeout):
                st = lib.indexbus_stream_write_all(p, buf + done, n - done, ns, w)
                done += int(w[0])
                if st != _TIMEOUT:
                    break
        except BaseException as e:  # Ctrl-C between slices: say how much went in
            e.written = done  # type: ignore[attr-defined]
            raise
        return st, done


class StreamReader(_Stream):
    """The read end of a byte stream (Region.reader; one at a time: Busy). Reads wait
    for the first byte up to the timeout; end of stream is ``b''`` (``read``) or 0
    (``readinto``). ``close()`` closes the read end for good (writers then get
    Disconnected); ``release()`` hands it over instead: the next reader to open it, in
    any process, continues at the very next byte."""

    _close_fn = lib.indexbus_stream_reader_close

    def __init__(self, region: Any, timeout: Optional[float] = None) -> None:
        super().__init__(region, timeout)
        out = ffi.new("indexbus_stream_reader **")
        st = lib.indexbus_stream_reader_open(region._p(), out)
        if st != _OK:
            super().close()
            raise error(st, f"stream reader on {region.name}")
        self._ptr = out[0]
        self._len = ffi.new("size_t *")
        self._buf: Any = None
        self._cap = 0

    def readable(self) -> bool:
        return True

    def write(self, b: Any) -> Optional[int]:
        raise io.UnsupportedOperation("a stream reader does not write")

    def release(self) -> None:
        """Detach without closing the stream (indexbus_stream_reader_release): another
        reader may open it and continues at the very next byte. This object is closed
        afterwards."""
        p, self._ptr = self._ptr, None
        try:
            if p is not None:
                st = lib.indexbus_stream_reader_release(p)
                if st != _OK:
                    raise error(st)
        finally:
            io.RawIOBase.close(self)

    def _read(self, dst: Any, cap: int, timeout: Any) -> Optional[int]:
        p = self._p()
        if cap == 0:
            return 0
        n = self._len
        t = self._timeout(timeout)
        st = lib.indexbus_stream_read(p, dst, cap, n, 0)
        if st == _EMPTY and t != 0:
            for ns in _slices(t):
                st = lib.indexbus_stream_read(p, dst, cap, n, ns)
                if st != _TIMEOUT:
                    break
        if st == _OK:
            return int(n[0])
        if st == _DISCONNECTED:
            return 0  # end of stream
        if st == _EMPTY:
            return None
        raise error(st)

    def readinto(self, b: Any, *, timeout: Any = _OWN) -> Optional[int]:  # type: ignore[override]
        """Read up to len(b) bytes into the writable buffer `b`, waiting up to
        `timeout` (default ``self.timeout``) for the first; returns how many, 0 at end
        of stream, None when the timeout is 0 and nothing is there. Timeout."""
        dst = ffi.from_buffer(b, require_writable=True)
        return self._read(dst, len(dst), timeout)

    def read(self, size: int = -1, *, timeout: Any = _OWN) -> Optional[bytes]:  # type: ignore[override]
        """Up to `size` bytes (at least one) as soon as there are some; ``b''`` at end
        of stream; None when the timeout is 0 and nothing is there. size < 0 or None:
        readall()."""
        if size is None or size < 0:
            return self.readall(timeout=timeout)
        if size > self._cap:
            self._cap = max(size, min(_READ_BUF, 2 * size))
            self._buf = ffi.new("char[]", self._cap)
        n = self._read(self._buf, size, timeout)
        if n is None:
            return None
        return ffi.buffer(self._buf, n)[:]

    def readall(self, *, timeout: Any = _OWN) -> Optional[bytes]:  # type: ignore[override]
        """Everything up to end of stream. Each read waits up to `timeout` (Timeout);
        with timeout 0 it returns what is there now (None if nothing)."""
        parts = []
        while True:
            data = self.read(_READ_BUF, timeout=timeout)
            if data is None:
                return b"".join(parts) if parts else None
            if not data:
                return b"".join(parts)
            parts.append(data)

