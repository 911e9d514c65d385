"""IndexBus for Python: the shared-memory message bus of libindexbus.so, through cffi.

    import indexbus
    with indexbus.Region.create("/hello") as region, \\
            region.producer() as tx, region.consumer() as rx:
        tx.publish(b"hello, bus")
        print(rx.recv(timeout=1.0))

Kinds: "events" (fixed-size slots), "fanout" (a router copies to up to 64 consumers)
and "log" (a byte log: records of any length up to max_record stored inline in a ring
of bytes; ``producer.claim(n)``, ``producer.claim_batch([...])``, ``producer.space()``).
A producer given a ``timeout`` (``publish(data, timeout=None)``) waits for room.

"stream" is a byte pipe: ``region.writer()`` and ``region.reader()`` are file-like
objects (io.RawIOBase: ``write``, ``read``, ``readinto``, ``readall``, ``close``; ``b''``
at end of stream), ``region.stream_state()`` says whether it ended cleanly. "rpc" is
request/response: ``region.client().request(data, timeout=1.0)`` returns the reply, and
``region.server().serve()`` a request (``.data``, ``.token``, ``.reply(bytes)``).

Every libindexbus status is an exception class deriving from ``indexbus.Error``
(``Full``, ``Timeout``, ``Disconnected``, ``Corrupt``, ...). Every integer constant of
<indexbus/indexbus.h> and <indexbus/layout.h> is in ``indexbus.lib`` under its C name
(``indexbus.lib.INDEXBUS_KIND_FANOUT``); the declarations were read from the header
when the package was built.
"""
from ._bus import (SLICE_SECONDS, BatchClaim, Borrow, Claim, Consumer, Producer, Record, Region,
                   Router, gc, unlink)
from ._rpc import Client, Reply, ReplyClaim, Request, RequestClaim, Server
from ._stream import StreamReader, StreamState, StreamWriter
from ._errors import (ERRORS, IO, BadState, BufferTooSmall, Busy, Corrupt, Disconnected, Empty,
                      Error, Exists, Full, Incompatible, InvalidArgument, NoMemory, NotFound,
                      NotReady, OutOfRange, Permission, TooLarge, Timeout, WrongKind,
                      status_name, strerror)
from ._ffi import ffi, lib

__version__ = "1.0.0"

#: The library's version at run time, e.g. "1.0.0".
library_version: str = ffi.string(lib.indexbus_version_string()).decode()
#: The C header's version this package was built against.
header_version: str = ffi.string(lib.INDEXBUS_VERSION_STRING).decode()

KIND_EVENTS: int = lib.INDEXBUS_KIND_EVENTS
KIND_FANOUT: int = lib.INDEXBUS_KIND_FANOUT
KIND_LOG: int = lib.INDEXBUS_KIND_LOG
KIND_STREAM: int = lib.INDEXBUS_KIND_STREAM
KIND_RPC: int = lib.INDEXBUS_KIND_RPC
STREAM_ENDED: int = lib.INDEXBUS_STREAM_ENDED
STREAM_READER_GONE: int = lib.INDEXBUS_STREAM_READER_GONE
STREAM_ABORTED: int = lib.INDEXBUS_STREAM_ABORTED
SOURCE_SPSC: int = lib.INDEXBUS_SOURCE_SPSC
SOURCE_MPSC: int = lib.INDEXBUS_SOURCE_MPSC
SOURCE_ANY: int = lib.INDEXBUS_SOURCE_ANY
MODE_BROADCAST: int = lib.INDEXBUS_MODE_BROADCAST
MODE_WORK_QUEUE: int = lib.INDEXBUS_MODE_WORK_QUEUE
MAX_CONSUMERS: int = lib.INDEXBUS_MAX_CONSUMERS

__all__ = [
    "Region", "Producer", "Consumer", "Router", "Claim", "BatchClaim", "Borrow", "Record",
    "unlink", "gc", "StreamWriter", "StreamReader", "StreamState", "Client", "Server",
    "Request", "Reply", "RequestClaim", "ReplyClaim",
    "Error", "Full", "Empty", "TooLarge", "BufferTooSmall", "Incompatible", "NotReady",
    "InvalidArgument", "WrongKind", "Timeout", "Disconnected", "Corrupt", "Permission",
    "Exists", "NotFound", "IO", "Busy", "NoMemory", "OutOfRange", "BadState", "ERRORS",
    "status_name", "strerror", "ffi", "lib", "library_version", "header_version",
    "KIND_EVENTS", "KIND_FANOUT", "KIND_LOG", "KIND_STREAM", "KIND_RPC", "STREAM_ENDED",
    "STREAM_READER_GONE", "STREAM_ABORTED", "SOURCE_SPSC", "SOURCE_MPSC", "SOURCE_ANY",
    "MODE_BROADCAST", "MODE_WORK_QUEUE", "MAX_CONSUMERS", "SLICE_SECONDS",
]
