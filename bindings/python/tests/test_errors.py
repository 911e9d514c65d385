"""Every status of enum indexbus_status maps to its own exception class."""
import os
import re

import pytest

import indexbus
from indexbus import ffi, lib

STATUSES = {v: k for v, k in ffi.typeof("enum indexbus_status").elements.items()}


def camel(c_name):
    return "".join(w.capitalize() if w != "IO" else w
                   for w in c_name[len("INDEXBUS_"):].split("_"))


def test_enum_from_header_is_complete():
    assert len(STATUSES) == lib.INDEXBUS_STATUS_COUNT
    assert STATUSES[0] == "INDEXBUS_OK"


@pytest.mark.parametrize("status", sorted(v for v in STATUSES if v != 0))
def test_each_status_has_its_class(status):
    cls = indexbus.ERRORS[status]
    assert cls.status == status
    assert cls.__name__ == camel(STATUSES[status])
    assert getattr(indexbus, cls.__name__) is cls
    assert issubclass(cls, indexbus.Error)
    e = indexbus._errors.error(status)
    assert type(e) is cls
    assert e.status == status
    assert e.name == STATUSES[status]
    assert e.strerror == ffi.string(lib.indexbus_strerror(status)).decode()
    assert e.strerror and e.strerror in str(e)
    with pytest.raises(indexbus.Error):
        indexbus._errors.check(status)


def test_distinct_classes_and_unknown_status():
    assert len(set(indexbus.ERRORS.values())) == len(STATUSES) - 1
    e = indexbus._errors.error(999)
    assert type(e) is indexbus.Error and e.status == 999
    assert e.strerror == "unknown status"


# ---- the statuses, raised by real calls ----------------------------------------

def test_exists_and_not_found(name, region):
    with pytest.raises(indexbus.Exists):
        indexbus.Region.create(name)
    with pytest.raises(indexbus.NotFound):
        indexbus.Region.open(name + "-missing")
    with pytest.raises(indexbus.NotFound):
        indexbus.unlink(name + "-missing")


def test_busy_out_of_range_wrong_kind(region):
    with region.producer():
        with pytest.raises(indexbus.Busy):
            region.producer()
    with pytest.raises(indexbus.OutOfRange):
        region.consumer(5)
    with pytest.raises(indexbus.WrongKind):
        region.router()


def test_invalid_argument(name):
    with pytest.raises(indexbus.InvalidArgument):
        indexbus.Region.create(name, slot_count=3)


def test_timeout_too_large_buffer_too_small_full(region):
    with region.producer() as tx, region.consumer() as rx:
        with pytest.raises(indexbus.Timeout) as ei:
            rx.recv(timeout=0.05)
        assert ei.value.status == lib.INDEXBUS_TIMEOUT
        with pytest.raises(indexbus.TooLarge):
            tx.publish(b"x" * (region.slot_data_size + 1))
        tx.publish(b"0123456789")
        small = bytearray(4)
        with pytest.raises(indexbus.BufferTooSmall) as ei:
            rx.recv_into(small)
        assert ei.value.length == 10
        assert rx.recv(timeout=1) == b"0123456789"  # it stayed queued
        sent = 0
        with pytest.raises(indexbus.Full):
            while True:
                tx.publish(b"m")
                sent += 1
        assert sent >= 2
        assert len(list(rx.recv_batch(sent + 10))) == sent


def test_disconnected(region):
    with region.consumer() as rx:
        with region.producer() as tx:
            tx.publish(b"last")
        assert rx.recv(timeout=1) == b"last"
        with pytest.raises(indexbus.Disconnected):
            rx.recv(timeout=1)
        with pytest.raises(indexbus.Disconnected):
            rx.try_recv()


def test_bad_state(region):
    with region.producer() as tx, region.consumer() as rx:
        tx.publish(b"a")
        with rx.borrow(timeout=1):
            with pytest.raises(indexbus.BadState):
                rx.recv(timeout=0)
        assert lib.indexbus_commit(tx._ptr, 0) == lib.INDEXBUS_BAD_STATE
        with pytest.raises(indexbus.BadState):
            indexbus._errors.check(lib.indexbus_recv_end(rx._ptr))


def _file_region(tmp_path):
    path = str(tmp_path / "region")
    with indexbus.Region.create("./" + os.path.relpath(path)) as r:
        size = r.info().total_bytes
    return path, size


def test_incompatible(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with open("junk", "wb") as f:
        f.write(b"\0" * 65536)
    with pytest.raises((indexbus.Incompatible, indexbus.NotReady)):
        indexbus.Region.open("./junk", ready_timeout=0.05)
    with open("junk", "r+b") as f:
        f.write(b"NOPE" + b"\1" * 1020)
    with pytest.raises(indexbus.Incompatible):
        indexbus.Region.open("./junk", ready_timeout=0.05)


def test_not_ready_and_corrupt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with indexbus.Region.create("./r") as r:
        assert r.info().slot_count > 0
    data = bytearray(open("r", "rb").read())
    ready = data[72:76]
    data[72:76] = b"\0\0\0\0"  # header.ready, LAYOUT.md: written last by the creator
    open("r", "wb").write(data)
    with pytest.raises(indexbus.NotReady):
        indexbus.Region.open("./r", ready_timeout=0.05)
    data[72:76] = ready
    data[32:36] = (3).to_bytes(4, "little")  # slot_count: not a power of two
    open("r", "wb").write(data)
    with pytest.raises(indexbus.Corrupt):
        indexbus.Region.open("./r", ready_timeout=0.05)


def test_permission_symlink(tmp_path, monkeypatch):
    # Regions are opened with O_NOFOLLOW: a symlink is refused, for root as well.
    monkeypatch.chdir(tmp_path)
    with indexbus.Region.create("./real"):
        os.symlink("real", "link")
        with pytest.raises(indexbus.Permission):
            indexbus.Region.open("./link")


def test_permission_mode(name):
    if os.geteuid() == 0:
        pytest.skip("root bypasses file modes (the symlink case provokes PERMISSION)")
    with indexbus.Region.create(name, mode=0o200):
        with pytest.raises(indexbus.Permission):
            indexbus.Region.open(name)


def test_error_text_mentions_name(name):
    with pytest.raises(indexbus.NotFound) as ei:
        indexbus.Region.open(name)
    assert name in str(ei.value)
    assert re.search("INDEXBUS_NOT_FOUND", str(ei.value))
