"""Status codes of <indexbus/indexbus.h> as exceptions: one class per status."""
from typing import Dict, Optional, Type

from ._ffi import ffi, lib


def status_name(status: int) -> str:
    """The symbolic name, e.g. ``"INDEXBUS_FULL"`` (indexbus_status_name)."""
    return ffi.string(lib.indexbus_status_name(status)).decode()


def strerror(status: int) -> str:
    """The text of a status (indexbus_strerror)."""
    return ffi.string(lib.indexbus_strerror(status)).decode()


class Error(Exception):
    """A libindexbus call failed. ``status`` is the C status code, ``strerror`` its
    text and ``name`` its symbolic name; each status has a subclass."""

    status: int = -1

    def __init__(self, status: Optional[int] = None, message: Optional[str] = None) -> None:
        if status is None:
            status = type(self).status
        self.status = status
        self.name = status_name(status)
        self.strerror = strerror(status)
        text = f"{self.name}: {self.strerror}"
        if message:
            text = f"{message}: {text}"
        super().__init__(text)


class Full(Error):
    """INDEXBUS_FULL: no free slot, queue or ring space; retry later (or give
    publish/claim a timeout to wait for room)."""
    status = lib.INDEXBUS_FULL


class Empty(Error):
    """INDEXBUS_EMPTY: nothing to receive or route."""
    status = lib.INDEXBUS_EMPTY


class TooLarge(Error):
    """INDEXBUS_TOO_LARGE: payload longer than the slot data size (a byte log:
    max_record; a batch claim: half the ring)."""
    status = lib.INDEXBUS_TOO_LARGE


class BufferTooSmall(Error):
    """INDEXBUS_BUFFER_TOO_SMALL: the message stays queued; ``length`` is its size."""
    status = lib.INDEXBUS_BUFFER_TOO_SMALL
    length: int = 0


class Incompatible(Error):
    """INDEXBUS_INCOMPATIBLE: not an IndexBus region, or a newer major layout."""
    status = lib.INDEXBUS_INCOMPATIBLE


class NotReady(Error):
    """INDEXBUS_NOT_READY: the creator has not finished initialising."""
    status = lib.INDEXBUS_NOT_READY


class InvalidArgument(Error):
    """INDEXBUS_INVALID_ARGUMENT."""
    status = lib.INDEXBUS_INVALID_ARGUMENT


class WrongKind(Error):
    """INDEXBUS_WRONG_KIND: the call does not apply to this region kind."""
    status = lib.INDEXBUS_WRONG_KIND


class Timeout(Error):
    """INDEXBUS_TIMEOUT."""
    status = lib.INDEXBUS_TIMEOUT


class Disconnected(Error):
    """INDEXBUS_DISCONNECTED: every peer on the other side has closed."""
    status = lib.INDEXBUS_DISCONNECTED


class Corrupt(Error):
    """INDEXBUS_CORRUPT: region contents fail validation."""
    status = lib.INDEXBUS_CORRUPT


class Permission(Error):
    """INDEXBUS_PERMISSION."""
    status = lib.INDEXBUS_PERMISSION


class Exists(Error):
    """INDEXBUS_EXISTS: the region name is taken."""
    status = lib.INDEXBUS_EXISTS


class NotFound(Error):
    """INDEXBUS_NOT_FOUND: no such region (or participant entry); in
    request/response a token that names no request held (stale, already replied,
    cancelled, forged)."""
    status = lib.INDEXBUS_NOT_FOUND


class IO(Error):
    """INDEXBUS_IO: an OS call failed."""
    status = lib.INDEXBUS_IO


class Busy(Error):
    """INDEXBUS_BUSY: exclusive role already attached, or participant table full."""
    status = lib.INDEXBUS_BUSY


class NoMemory(Error):
    """INDEXBUS_NO_MEMORY."""
    status = lib.INDEXBUS_NO_MEMORY


class OutOfRange(Error):
    """INDEXBUS_OUT_OF_RANGE: consumer index >= consumer_count."""
    status = lib.INDEXBUS_OUT_OF_RANGE


class BadState(Error):
    """INDEXBUS_BAD_STATE: e.g. commit without claim, recv while borrowing."""
    status = lib.INDEXBUS_BAD_STATE


# status value -> class; every non-OK value of enum indexbus_status must have one
# (tests/test_errors.py checks this against the header's enum).
ERRORS: Dict[int, Type[Error]] = {
    cls.status: cls for cls in Error.__subclasses__()
}


def error(status: int, message: Optional[str] = None) -> Error:
    """The exception for a status (the base Error for a value the header lacks)."""
    cls = ERRORS.get(status)
    if cls is None:
        return Error(status, message)
    return cls(status, message)


def check(status: int, message: Optional[str] = None) -> None:
    """Raise the exception for a non-OK status."""
    if status != 0:
        raise error(status, message)
