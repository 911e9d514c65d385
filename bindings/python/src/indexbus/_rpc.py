"""Request/response (kind "rpc", layout 1.1): clients and servers over a table of
reusable reply cells.

    # a server (any number of them: a work queue)
    with region.server() as server:
        while True:
            req = server.serve()           # a Request: .data (memoryview), .token
            req.reply(bytes(req.data).upper())

    # a client
    with region.client() as client:
        print(client.request(b"ping", timeout=1.0))     # the reply, as bytes

A request is named by its token (an int): ``client.send(data)`` returns it,
``client.wait(token, timeout)`` borrows the reply in place until it is released
(``with client.wait(token) as view:``), ``client.cancel(token)`` gives it up. A token
names one request only: a second reply, a stale or a forged token raise NotFound,
never another request's reply. A server that closes or dies fails the requests it
held: their clients get Disconnected.
"""
from typing import Any, Optional

from ._bus import _Handle
from ._errors import check, error
from ._ffi import ffi, lib
from ._stream import _slices

__all__ = ["Client", "Server", "Request", "Reply", "RequestClaim", "ReplyClaim"]

_OK = lib.INDEXBUS_OK
_EMPTY = lib.INDEXBUS_EMPTY
_TIMEOUT = lib.INDEXBUS_TIMEOUT
_TOO_LARGE = lib.INDEXBUS_TOO_LARGE
_BAD_STATE = lib.INDEXBUS_BAD_STATE


def _release(view: Optional[memoryview]) -> None:
    if view is not None:
        try:
            view.release()
        except BufferError:
            pass  # a derived view (numpy) still exists; it must not outlive the borrow


# ---- client -----------------------------------------------------------------------

class Client(_Handle):
    """A request/response client (Region.client). ``request(data, timeout)`` is a whole
    round trip with copies; ``send``/``claim`` + ``wait`` + ``Reply.release`` the
    zero-copy path. Closing it gives up its outstanding requests."""

    _close_fn = lib.indexbus_rpc_client_close

    def __init__(self, region: Any) -> None:
        out = ffi.new("indexbus_rpc_client **")
        check(lib.indexbus_rpc_client_open(region._p(), out), f"rpc client on {region.name}")
        self._ptr = out[0]
        self._region = region
        #: the largest request and reply of the region, in bytes
        self.max_request: int = region.max_request
        self.max_reply: int = region.max_reply
        self._token = ffi.new("uint64_t *")
        self._data = ffi.new("void **")
        self._len = ffi.new("size_t *")

    def send(self, data: Any) -> int:
        """Copy a request in and send it (indexbus_rpc_request); its token. Full if
        every cell is taken, TooLarge past max_request, Disconnected if every server
        that attached has left, BadState while a claim is open."""
        p = self._p()
        buf = data if type(data) is bytes else ffi.from_buffer(data)
        n = len(buf)
        tok = self._token
        check(lib.indexbus_rpc_request(p, buf, n, tok), f"request of {n} bytes")
        return int(tok[0])

    def claim(self, length: int) -> "RequestClaim":
        """Zero-copy request: ``with client.claim(n) as view:`` gives a writable
        memoryview of n bytes in a cell of the region; a normal exit sends it (its
        token is then ``claim.token``; ``claim.send(k)`` sends the first k bytes), an
        exception gives the cell back unsent. One claim at a time (BadState)."""
        return RequestClaim(self, length)

    def wait(self, token: int, timeout: Optional[float] = None) -> "Reply":
        """Wait up to `timeout` seconds (None: for ever) for the reply to `token` and
        borrow it in place: ``with client.wait(token) as view:`` (a read-only
        memoryview), or ``reply.view`` then ``reply.release()``; the cell is recycled
        when it is released. Timeout leaves the request outstanding (wait again, or
        cancel); Disconnected if its server left or died; NotFound for a token that
        is not an outstanding request of this client."""
        p = self._p()
        data, n = self._data, self._len
        st = _TIMEOUT
        for ns in _slices(timeout):
            st = lib.indexbus_rpc_wait(p, token, data, n, ns)
            if st != _TIMEOUT:
                break
        check(st, f"token {token:#x}")
        return Reply(self, token, data[0], int(n[0]))

    def result(self, token: int, timeout: Optional[float] = None) -> bytes:
        """The reply to `token` as bytes (wait, copy, release)."""
        reply = self.wait(token, timeout)
        try:
            return bytes(reply.view)
        finally:
            reply.release()

    def request(self, data: Any, timeout: Optional[float] = None) -> bytes:
        """A whole round trip: send `data`, wait up to `timeout` seconds (None: for
        ever) for the reply, return it as bytes. On Timeout (or Ctrl-C) the request is
        cancelled: a late reply is dropped."""
        token = self.send(data)
        try:
            reply = self.wait(token, timeout)
        except BaseException:
            lib.indexbus_rpc_cancel(self._p(), token)  # NOT_FOUND if it is gone already
            raise
        try:
            return bytes(reply.view)
        finally:
            reply.release()

    def cancel(self, token: int) -> None:
        """Give up an outstanding request: a late reply is dropped and counted
        (rpc_replies_abandoned). NotFound if `token` is not outstanding."""
        check(lib.indexbus_rpc_cancel(self._p(), token), f"token {token:#x}")


class RequestClaim:
    """Context manager of Client.claim: a writable memoryview of the request in its
    cell. A normal exit sends ``claim.length`` bytes (unless ``send`` or ``abort`` ran
    in the block); ``token`` names the request once it is sent."""

    def __init__(self, client: Client, length: int) -> None:
        self._client = client
        self.length = int(length)
        self.token: Optional[int] = None
        self._view: Optional[memoryview] = None
        self._done = True

    def __enter__(self) -> memoryview:
        c = self._client
        p = c._p()
        n = self.length
        if n < 0:
            raise error(_TOO_LARGE, f"a request of {n} bytes")
        out = ffi.new("void **")
        check(lib.indexbus_rpc_claim(p, n, out), f"claim of {n} bytes")
        self._done = False
        self._view = memoryview(ffi.buffer(ffi.cast("char *", out[0]), n))
        return self._view

    def _finish(self) -> None:
        view, self._view = self._view, None
        _release(view)
        self._done = True

    def send(self, length: Optional[int] = None) -> int:
        """Send the first `length` bytes (default ``self.length``); the token.
        TooLarge (the claim stays open) past the claimed length."""
        if self._done:
            raise error(_BAD_STATE, "no claim pending")
        c = self._client
        n = self.length if length is None else length
        if n < 0 or n > self.length:
            raise error(_TOO_LARGE, f"send of {n} of {self.length} claimed bytes")
        p = c._p()
        self._finish()
        tok = c._token
        check(lib.indexbus_rpc_send(p, n, tok), f"send of {n} bytes")
        self.token = int(tok[0])
        return self.token

    def abort(self) -> None:
        """Send nothing: the cell goes back (indexbus_rpc_abort; the client keeps it
        for its next request)."""
        if not self._done:
            self._finish()
            check(lib.indexbus_rpc_abort(self._client._p()))

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.send()


class Reply:
    """A reply borrowed in place (Client.wait): ``view`` is a read-only memoryview of
    it until ``release()`` (or the end of a ``with`` block), which recycles the cell.
    Views derived from it must not outlive the release."""

    def __init__(self, client: Client, token: int, data: Any, length: int) -> None:
        self._client = client
        self.token = token
        self.length = length
        self._view: Optional[memoryview] = memoryview(
            ffi.buffer(ffi.cast("char *", data), length)).toreadonly()

    @property
    def view(self) -> memoryview:
        if self._view is None:
            raise ValueError("the reply was released")
        return self._view

    @property
    def released(self) -> bool:
        return self._view is None

    def __len__(self) -> int:
        return self.length

    def __bytes__(self) -> bytes:
        return bytes(self.view)

    def release(self) -> None:
        """Done with the reply (indexbus_rpc_reply_done): the cell is recycled for the
        client's next request. Idempotent."""
        view, self._view = self._view, None
        if view is None:
            return
        _release(view)
        p = self._client._ptr
        if p is not None:  # a closed client gave its cells back already
            check(lib.indexbus_rpc_reply_done(p, self.token))

    def __enter__(self) -> memoryview:
        return self.view

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __del__(self) -> None:
        try:
            self.release()
        except Exception:
            pass


# ---- server -----------------------------------------------------------------------

class Server(_Handle):
    """A request/response server (Region.server); several may serve one region (a work
    queue). Closing it fails the requests it holds: their clients get Disconnected."""

    _close_fn = lib.indexbus_rpc_server_close

    def __init__(self, region: Any) -> None:
        out = ffi.new("indexbus_rpc_server **")
        check(lib.indexbus_rpc_server_open(region._p(), out), f"rpc server on {region.name}")
        self._ptr = out[0]
        self._region = region
        self.max_request: int = region.max_request
        self.max_reply: int = region.max_reply
        self._token = ffi.new("uint64_t *")
        self._data = ffi.new("void **")
        self._len = ffi.new("size_t *")

    def _serve(self, timeout: Optional[float]) -> int:
        p = self._p()
        tok, data, n = self._token, self._data, self._len
        st = lib.indexbus_rpc_serve(p, tok, data, n, 0)
        if st == _EMPTY and timeout != 0:
            for ns in _slices(timeout):
                st = lib.indexbus_rpc_serve(p, tok, data, n, ns)
                if st != _TIMEOUT:
                    break
        return st

    def serve(self, timeout: Optional[float] = None) -> "Request":
        """The next request, waiting up to `timeout` seconds (None: for ever): Timeout
        when it is spent, Empty with timeout 0 and none waiting. It is borrowed in
        place until this server replies to it; a server may hold many at once."""
        st = self._serve(timeout)
        check(st)
        return Request(self, int(self._token[0]), self._data[0], int(self._len[0]))

    def try_serve(self) -> Optional["Request"]:
        """The next request, or None if none is waiting."""
        st = self._serve(0)
        if st == _EMPTY:
            return None
        check(st)
        return Request(self, int(self._token[0]), self._data[0], int(self._len[0]))

    def reply(self, token: int, data: Any) -> None:
        """Reply to `token` with a copy of `data`, once: NotFound for a token this
        server does not hold (stale, already replied, forged), TooLarge past
        max_reply (the request stays held)."""
        buf = data if type(data) is bytes else ffi.from_buffer(data)
        check(lib.indexbus_rpc_reply(self._p(), token, buf, len(buf)), f"token {token:#x}")

    def fail(self, token: int) -> None:
        """Drop the request `token` unanswered: its client gets Disconnected (counted
        in rpc_requests_failed). NotFound as for reply."""
        check(lib.indexbus_rpc_fail(self._p(), token), f"token {token:#x}")

    def reply_buffer(self, token: int, length: Optional[int] = None) -> "ReplyClaim":
        """Zero-copy reply: ``with server.reply_buffer(token, n) as view:`` a writable
        memoryview of n bytes (default max_reply) of the cell's reply area; a normal
        exit replies with ``claim.length`` bytes (or ``claim.commit(k)``), an
        exception does not reply (the request stays held)."""
        return ReplyClaim(self, token, length)


class Request:
    """A request borrowed in place (Server.serve): ``data`` is a read-only memoryview of
    it, ``token`` names it; ``reply(data)`` or ``reply_buffer()`` answers it, once.
    The view is released when the request is replied to (or at the end of a ``with``
    block); views derived from it must not outlive that."""

    def __init__(self, server: Server, token: int, data: Any, length: int) -> None:
        self._server = server
        self.token = token
        self.length = length
        self._view: Optional[memoryview] = memoryview(
            ffi.buffer(ffi.cast("char *", data), length)).toreadonly()

    @property
    def data(self) -> memoryview:
        if self._view is None:
            raise ValueError("the request was replied to or released")
        return self._view

    def __len__(self) -> int:
        return self.length

    def __bytes__(self) -> bytes:
        return bytes(self.data)

    def release(self) -> None:
        """Drop the view of the request (it stays held until replied to)."""
        view, self._view = self._view, None
        _release(view)

    def reply(self, data: Any) -> None:
        """Reply with a copy of `data` (which may be ``req.data`` itself: an echo).
        NotFound for a second reply."""
        self._server.reply(self.token, data)
        self.release()

    def reply_buffer(self, length: Optional[int] = None) -> "ReplyClaim":
        """Zero-copy reply (Server.reply_buffer)."""
        return ReplyClaim(self._server, self.token, length, self)

    def fail(self) -> None:
        """Drop the request unanswered (indexbus_rpc_fail): its client's wait raises
        Disconnected, as when a one-shot sender is dropped unsent. NotFound once it
        was answered."""
        self._server.fail(self.token)
        self.release()

    def __enter__(self) -> "Request":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.release()

    def __repr__(self) -> str:
        return f"<indexbus.Request token={self.token:#x} length={self.length}>"


class ReplyClaim:
    """Context manager of Server.reply_buffer / Request.reply_buffer: a writable
    memoryview of the reply area. A normal exit replies with ``claim.length`` bytes
    (unless ``commit`` or ``abort`` ran in the block), an exception does not reply."""

    def __init__(self, server: Server, token: int, length: Optional[int],
                 request: Optional[Request] = None) -> None:
        self._server = server
        self.token = token
        self._want = length
        self._request = request
        self._view: Optional[memoryview] = None
        self._done = True
        self.length = 0
        self.capacity = 0

    def __enter__(self) -> memoryview:
        p = self._server._p()
        buf = ffi.new("void **")
        cap = ffi.new("size_t *")
        check(lib.indexbus_rpc_reply_buffer(p, self.token, buf, cap), f"token {self.token:#x}")
        self.capacity = int(cap[0])
        n = self.capacity if self._want is None else self._want
        if n < 0 or n > self.capacity:
            raise error(_TOO_LARGE, f"a reply of {n} bytes, at most {self.capacity}")
        self.length = n
        self._done = False
        self._view = memoryview(ffi.buffer(ffi.cast("char *", buf[0]), n))
        return self._view

    def commit(self, length: Optional[int] = None) -> None:
        """Reply with the first `length` bytes (default ``self.length``), once."""
        if self._done:
            raise error(_BAD_STATE, "no reply buffer pending")
        n = self.length if length is None else length
        p = self._server._p()
        _release(self._view)
        self._view = None
        self._done = True
        if n < 0 or n > self.length:
            raise error(_TOO_LARGE, f"commit of {n} of {self.length} bytes")
        check(lib.indexbus_rpc_reply_commit(p, self.token, n), f"reply of {n} bytes")
        if self._request is not None:
            self._request.release()

    def abort(self) -> None:
        """Do not reply (the request stays held)."""
        if not self._done:
            _release(self._view)
            self._view = None
            self._done = True

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is not None:
            self.abort()
        elif not self._done:
            self.commit()
