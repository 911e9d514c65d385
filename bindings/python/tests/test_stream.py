"""Byte streams (kind "stream"): the writer and the reader as file-like objects
(io.RawIOBase), what fits and write_all, end of stream and reader-gone latched, the read
end handed over, the stream state, several writers, and seed 003's tests (back-pressure,
end of stream after the writer drops, a write after the reader is gone, a cloned writer)
with the other side in another process."""
import io
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import indexbus
from indexbus import lib

RING = 4096
CHUNK = 2040  # the largest record of a 4 KiB ring (max_record): two of them fill it
HANG = 30.0  # seconds: only a broken stream waits this long

ctx = multiprocessing.get_context("spawn")


def make_stream(name, byte_capacity=RING, max_record=0):
    return indexbus.Region.create(name, "stream", byte_capacity=byte_capacity,
                                  max_record=max_record)


@pytest.fixture
def stream(name):
    with make_stream(name) as r:
        yield r


def drain(rd):
    """Read until end of stream, with a hang guard."""
    out = bytearray()
    while True:
        b = rd.read(1 << 16, timeout=HANG)
        if not b:
            return bytes(out)
        out += b


# ---- the region -------------------------------------------------------------------

def test_region_attributes(name, stream):
    assert stream.kind == indexbus.KIND_STREAM == lib.INDEXBUS_KIND_STREAM
    assert stream.is_stream and not stream.is_log and not stream.is_rpc
    assert stream.byte_capacity == RING and stream.max_record == CHUNK
    info = stream.info()
    assert (info.layout_major, info.layout_minor) == (1, 1)
    assert info.capabilities & lib.INDEXBUS_CAP_BYTE_STREAM
    assert (info.stream_flags, info.stream_writers, info.writers_aborted) == (0, 0, 0)
    assert stream.stream_state() == (0, 0)
    with make_stream(name + "-m", max_record=100) as m:
        m.unlink()
        assert m.max_record == 100
    with pytest.raises(indexbus.InvalidArgument):  # slot geometry on a stream
        indexbus.Region.create(name + "-x", "stream", slot_count=8)
    with pytest.raises(indexbus.InvalidArgument):  # more than half the ring
        make_stream(name + "-y", max_record=RING)


def test_other_kinds_refuse_stream_handles(name, region):
    with pytest.raises(indexbus.WrongKind):
        region.writer()
    with pytest.raises(indexbus.WrongKind):
        region.reader()
    with make_stream(name + "-s") as s:
        s.unlink()
        with pytest.raises(indexbus.WrongKind):
            s.producer()
        with pytest.raises(indexbus.WrongKind):
            s.consumer()


# ---- file-like objects ---------------------------------------------------------------

def test_file_like(stream):
    with stream.writer() as w, stream.reader() as rd:
        assert isinstance(w, io.RawIOBase) and isinstance(rd, io.RawIOBase)
        assert w.writable() and not w.readable() and not w.seekable()
        assert rd.readable() and not rd.writable() and not rd.seekable()
        assert not w.closed and not rd.closed
        assert "StreamWriter" in repr(w) and "StreamReader" in repr(rd)
        with pytest.raises(io.UnsupportedOperation):
            w.read(1)
        with pytest.raises(io.UnsupportedOperation):
            rd.write(b"x")
        with pytest.raises(io.UnsupportedOperation):
            rd.fileno()
        assert w.write(b"hello") == 5
        assert w.write(bytearray(b", ")) == 2
        assert w.write(memoryview(b"world!")[:5]) == 5
        assert w.write(b"") == 0
        assert rd.read(4) == b"hell"
        buf = bytearray(100)
        assert rd.readinto(buf) == 8 and buf[:8] == b"o, world"
        w.write(b"tail")
    assert w.closed and rd.closed
    with pytest.raises(ValueError):
        w.write(b"x")
    with pytest.raises(ValueError):
        rd.read(1)
    w.close()  # idempotent
    rd.close()


def test_end_of_stream(stream):
    rd = stream.reader()
    with stream.writer() as w:
        w.write(b"abc")
    assert stream.stream_state().ended
    assert rd.read(1) == b"a"
    assert rd.readall() == b"bc"
    assert rd.read(10) == b"" and rd.read() == b"" and rd.readall() == b""
    assert rd.readinto(bytearray(4)) == 0  # EOF, again and again
    assert rd.read(0) == b""
    st = rd.state()
    assert st.ended and st.clean and not st.aborted and not st.reader_gone
    assert st.flags == indexbus.STREAM_ENDED and st.writers_aborted == 0
    with pytest.raises(indexbus.Disconnected):  # a late writer cannot reopen it
        stream.writer()
    rd.close()


def test_buffered_and_text_layers(stream):
    """io.BufferedWriter / TextIOWrapper stack on the raw objects."""
    rd = io.TextIOWrapper(io.BufferedReader(stream.reader()), encoding="utf-8")
    with io.TextIOWrapper(io.BufferedWriter(stream.writer()), encoding="utf-8") as out:
        for i in range(50):
            print(f"line {i} \u00e9", file=out)
    assert rd.readlines() == [f"line {i} \u00e9\n" for i in range(50)]
    assert rd.read() == ""
    rd.close()


def test_what_fits_non_blocking(stream):
    with stream.writer(timeout=0) as w, stream.reader(timeout=0) as rd:
        assert rd.read(10) is None and rd.readinto(bytearray(10)) is None
        assert rd.readall() is None
        # one write: one record of at most max_record; two fill the 4 KiB ring
        assert w.write(b"1" * 10000) == CHUNK
        assert w.write(b"2" * 10000) == CHUNK
        assert w.write(b"3") is None  # would block
        info = stream.info()
        assert (info.bytes_used, info.bytes_free, info.records_waiting) == (RING, 0, 2)
        assert rd.read(100000) == b"1" * CHUNK + b"2" * CHUNK
        assert rd.read(1) is None
        assert stream.info().stream_bytes_read == 2 * CHUNK
        assert w.write(b"3") == 1
        assert rd.readall() == b"3"


def test_timeouts(stream):
    with stream.writer(timeout=0.05) as w, stream.reader(timeout=0.05) as rd:
        with pytest.raises(indexbus.Timeout):
            rd.read(1)
        with pytest.raises(indexbus.Timeout):
            rd.readinto(bytearray(1))
        w.write_all(b"a" * (2 * CHUNK))
        with pytest.raises(indexbus.Timeout) as e:
            w.write(b"b")
        assert e.value.written == 0
        with pytest.raises(indexbus.Timeout) as e:  # up to max_record: all or nothing
            w.write_all(b"c" * CHUNK, timeout=0.05)
        assert e.value.written == 0
        assert rd.read(10, timeout=None) == b"a" * 10
        assert w.write(b"b", timeout=0) is None  # room is given back in batches
        assert rd.read(RING) == b"a" * (2 * CHUNK - 10)
        # more than max_record: the pieces that fit go in, and `written` says how many
        w.write(b"d" * 100)
        with pytest.raises(indexbus.Timeout) as e:
            w.write_all(b"e" * 6000, timeout=0.05)
        n = e.value.written
        assert n == RING - 112 - 2 * 8  # the 'd' record (8 + 100, 8-aligned), two headers
        assert rd.read(RING) == b"d" * 100 + b"e" * n
        assert rd.read(1, timeout=0) is None


def test_write_all_waits_for_the_reader(stream):
    data = os.urandom(300_000)
    with stream.reader() as rd:
        got = []
        t = threading.Thread(target=lambda: got.append(drain(rd)))
        t.start()
        with stream.writer() as w:
            w.write_all(data, timeout=HANG)
        t.join(HANG)
        assert got == [data]


def test_write_all_across_slices(stream):
    """A write_all that waits longer than one slice (SLICE_SECONDS) continues where the
    slice stopped: the reader starts after three slices."""
    data = bytes(range(256)) * 40  # 10,240 bytes: more than twice the ring
    with stream.reader() as rd, stream.writer() as w:
        got = []

        def late_reader():
            time.sleep(3 * indexbus.SLICE_SECONDS)
            got.append(rd.read(len(data), timeout=HANG))
            while sum(map(len, got)) < len(data):
                got.append(rd.read(len(data), timeout=HANG))

        t = threading.Thread(target=late_reader)
        t.start()
        w.write_all(data, timeout=None)
        t.join(HANG)
        assert b"".join(got) == data


def test_reader_gone(stream):
    w = stream.writer()
    rd = stream.reader()
    w.write(b"unread")
    rd.close()
    st = stream.stream_state()
    assert st.reader_gone and not st.ended and st.flags == indexbus.STREAM_READER_GONE
    with pytest.raises(indexbus.Disconnected):
        w.write(b"x")
    with pytest.raises(indexbus.Disconnected) as e:
        w.write_all(b"x" * 10)
    assert e.value.written == 0
    with pytest.raises(indexbus.Disconnected):  # no reader can attach any more
        stream.reader()
    with pytest.raises(indexbus.Disconnected):  # nor a writer join
        stream.writer()
    w.close()
    st = stream.stream_state()
    assert st.ended and st.reader_gone and st.clean


def test_a_writer_that_aborts(stream):
    with stream.reader() as rd:
        w = stream.writer()
        w2 = w.clone()
        w.write(b"half")
        w.abort()  # as if it had died, at once
        assert w.closed
        w.abort()  # idempotent
        st = stream.stream_state()
        assert not st.ended and st.aborted and st.writers_aborted == 1
        with pytest.raises(RuntimeError):
            with w2:  # a block that raises aborts too
                w2.write(b" and half")
                raise RuntimeError
        assert rd.readall() == b"half and half"  # what it wrote stays readable
        st = rd.state()
        assert st.ended and st.aborted and not st.clean and st.writers_aborted == 2
        assert st.flags == indexbus.STREAM_ENDED | indexbus.STREAM_ABORTED


def test_one_reader_and_release(stream):
    w = stream.writer()
    rd = stream.reader()
    with pytest.raises(indexbus.Busy):
        stream.reader()
    w.write(b"0123456789")
    assert rd.read(4) == b"0123"
    rd.release()  # hand over: not closed for good
    assert rd.closed
    assert not stream.stream_state().reader_gone
    w.write(b"abc")
    with stream.reader() as rd2:
        assert rd2.read(100) == b"456789abc"  # at the very next byte
        w.close()
        assert rd2.read(1) == b""


def test_reader_before_any_writer_waits(stream):
    with stream.reader(timeout=0.05) as rd:
        with pytest.raises(indexbus.Timeout):  # not end of stream: no writer yet
            rd.read(1)
        with stream.writer() as w:
            w.write(b"late")
        assert rd.readall() == b"late"


def test_writer_seats(stream):
    writers = [stream.writer() for _ in range(48)]
    assert stream.info().stream_writers == 48
    with pytest.raises(indexbus.Busy):
        stream.writer()
    for w in writers[1:]:
        w.close()
    assert stream.info().stream_writers == 1
    assert not stream.stream_state().ended
    extra = writers[0].clone()
    writers[0].close()
    assert not stream.stream_state().ended  # the clone keeps it open
    extra.close()
    assert stream.stream_state().ended


# ---- seed 003, the other side in another process ------------------------------------

def _pressing_writer(name, q):
    """Fills the stream with 2 * CHUNK of '1', then writes CHUNK of '2' (waiting)."""
    with indexbus.Region.open(name) as r, r.writer() as w:
        w.write_all(b"1" * (2 * CHUNK), timeout=HANG)
        q.put("first")
        w.write_all(b"2" * CHUNK, timeout=HANG)
        q.put("second")


def test_seed3_writer_applies_backpressure_until_the_reader_drains(stream):
    with stream.reader() as rd:
        q = ctx.Queue()
        p = ctx.Process(target=_pressing_writer, args=(stream.name, q))
        p.start()
        try:
            assert q.get(timeout=HANG) == "first"
            time.sleep(0.02)
            assert q.empty()  # still pending: the stream is full
            got = b""
            while len(got) < CHUNK:  # a read frees room for the second write
                got += rd.read(CHUNK - len(got), timeout=HANG)
            assert got == b"1" * CHUNK
            assert q.get(timeout=HANG) == "second"
            assert drain(rd) == b"1" * CHUNK + b"2" * CHUNK
        finally:
            p.join(HANG)
        assert p.exitcode == 0
    assert stream.stream_state().clean


def _writers(name, tags, joined, drop):
    """Writes each tag (one byte) on its own writer (clones of the first), tells the
    parent, then drops the writers one by one as it is told."""
    with indexbus.Region.open(name) as r:
        first = r.writer()
        ws = [first] + [first.clone() for _ in tags[1:]]
        for w, tag in zip(ws, tags):
            w.write_all(tag, timeout=HANG)
        joined.put(len(ws))
        for w in ws:
            assert drop.get(timeout=HANG) == "drop"
            w.close()
            joined.put("dropped")


@pytest.mark.parametrize("tags", [[b"x"], [b"1", b"2"]], ids=["one", "cloned"])
def test_seed3_eof_after_every_writer_drops(stream, tags):
    """read_returns_none_after_the_writer_drops, and a_cloned_writer_fans_into_the_
    same_stream: end of stream only after both writers drop."""
    with stream.reader() as rd:
        joined, drop = ctx.Queue(), ctx.Queue()
        p = ctx.Process(target=_writers, args=(stream.name, tags, joined, drop))
        p.start()
        try:
            assert joined.get(timeout=HANG) == len(tags)
            assert stream.info().stream_writers == len(tags)
            got = b""
            while len(got) < len(tags):
                got += rd.read(2, timeout=HANG)
            assert sorted(got) == sorted(b"".join(tags))
            for k in range(len(tags)):
                drop.put("drop")
                assert joined.get(timeout=HANG) == "dropped"
                if k < len(tags) - 1:  # a writer is still there: no end yet
                    with pytest.raises(indexbus.Timeout):
                        rd.read(1, timeout=0.02)
            assert rd.read(1, timeout=HANG) == b""  # end of stream
        finally:
            p.join(HANG)
        assert p.exitcode == 0
    st = stream.stream_state()
    assert st.clean and st.writers_aborted == 0


def test_seed3_cloned_writer_in_one_process(stream):
    with stream.reader(timeout=0.02) as rd:
        w = stream.writer()
        w2 = w.clone()
        w.write(b"1")
        w2.write(b"2")
        assert rd.read(2) == b"12"
        w.close()
        with pytest.raises(indexbus.Timeout):
            rd.read(1)
        w2.close()
        assert rd.read(1) == b""


def _dropping_reader(name):
    with indexbus.Region.open(name) as r:
        r.reader().close()


def test_seed3_write_fails_once_the_reader_is_gone(stream):
    with stream.writer() as w:
        p = ctx.Process(target=_dropping_reader, args=(stream.name,))
        p.start()
        p.join(HANG)
        assert p.exitcode == 0
        with pytest.raises(indexbus.Disconnected) as e:
            w.write(b"x")
        assert e.value.written == 0  # refused whole: nothing of it is written
        assert stream.info().bytes_used == 0


# ---- across processes: contiguity, hand-over, a writer that dies ---------------------

def _tagged_writer(name, tag, count, size, joined):
    with indexbus.Region.open(name) as r, r.writer() as w:
        joined.put(tag)
        for _ in range(count):
            w.write_all(bytes([tag]) * size, timeout=HANG)


def test_writes_stay_contiguous_across_processes(name):
    size, count = 100, 300
    with make_stream(name, byte_capacity=8192) as s, s.reader() as rd:
        hold = s.writer()  # the stream must not end before every writer has joined
        joined = ctx.Queue()
        ps = [ctx.Process(target=_tagged_writer, args=(name, tag, count, size, joined))
              for tag in (ord("a"), ord("b"), ord("c"))]
        for p in ps:
            p.start()
        try:
            assert sorted(joined.get(timeout=HANG) for _ in ps) == [97, 98, 99]
            hold.close()
            data = drain(rd)
        finally:
            for p in ps:
                p.join(HANG)
        assert [p.exitcode for p in ps] == [0, 0, 0]
        assert len(data) == 3 * count * size
        runs = [data[i:i + size] for i in range(0, len(data), size)]
        assert all(run == run[:1] * size for run in runs)  # no write was split
        assert sorted(run[:1] for run in runs) == [b"a"] * count + [b"b"] * count + \
            [b"c"] * count
        assert s.stream_state().clean


def _next_reader(name, q):
    with indexbus.Region.open(name) as r, r.reader() as rd:
        q.put(drain(rd))


def test_reader_handed_to_another_process(stream):
    w = stream.writer()
    rd = stream.reader()
    w.write_all(b"first part|second part")
    assert rd.read(11) == b"first part|"
    rd.release()
    q = ctx.Queue()
    p = ctx.Process(target=_next_reader, args=(stream.name, q))
    p.start()
    try:
        w.write_all(b"|more")
        w.close()
        assert q.get(timeout=HANG) == b"second part|more"
    finally:
        p.join(HANG)
    assert p.exitcode == 0


DYING_WRITER = r"""
import os, signal, sys, indexbus
with indexbus.Region.open(sys.argv[1]) as r:
    w = r.writer()
    w.write_all(b"before death")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_writer_that_dies_is_told_apart(stream, child_env):
    with stream.reader() as rd, stream.writer() as w:
        child = subprocess.run([sys.executable, "-c", DYING_WRITER, stream.name],
                               env=child_env, timeout=HANG)
        assert child.returncode == -signal.SIGKILL
        w.write(b"|clean")
        w.close()  # not the last writer out: the dead one still holds its seat
        assert not stream.stream_state().ended
        # the reader's wait recovers the dead writer: then the stream has ended
        assert drain(rd) == b"before death|clean"
        st = rd.state()
        assert st.ended and st.aborted and not st.clean and st.writers_aborted == 1
        assert st.flags == indexbus.STREAM_ENDED | indexbus.STREAM_ABORTED
        assert stream.info().writers_aborted == 1


# ---- the C CLI: indexbus stream write | read --------------------------------------

def test_python_writes_c_cli_reads(stream, cli):
    data = os.urandom(300_000)
    rd = subprocess.Popen([cli, "stream", "read", stream.name], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    try:
        with stream.writer() as w:
            w.write_all(data, timeout=HANG)
        out, err = rd.communicate(timeout=HANG)
    finally:
        if rd.poll() is None:
            rd.kill()
            rd.wait()
    assert rd.returncode == 0, err
    assert out == data
    assert stream.stream_state() == (indexbus.STREAM_ENDED | indexbus.STREAM_READER_GONE, 0)


def test_c_cli_writes_python_reads(stream, cli):
    data = os.urandom(300_000)
    with stream.reader() as rd:
        wr = subprocess.Popen([cli, "stream", "write", stream.name], stdin=subprocess.PIPE,
                              stderr=subprocess.PIPE)
        try:
            t = threading.Thread(target=wr.communicate, args=(data,), kwargs={"timeout": HANG})
            t.start()
            got = drain(rd)
            t.join(HANG)
        finally:
            if wr.poll() is None:
                wr.kill()
                wr.wait()
        assert wr.returncode == 0
        assert got == data
        assert rd.state().clean
