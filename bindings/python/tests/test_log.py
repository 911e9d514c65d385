"""Byte-log regions (kind "log"): records of any length 0..max_record stored inline in
a ring of bytes. Round trips across the wrap, claims of exactly n bytes, the batch
claim, the free space, info, blocking producers, and the errors; seed 001's behaviours
(several senders, disconnect from either side, a receive timeout, zero-length records,
a 4 x 10,000 stress through 64 KiB) with senders in threads and in processes."""
import multiprocessing
import os
import random
import signal
import struct
import threading
import time

import pytest

import indexbus
from indexbus import lib

RING = 4096
MAXREC = 1000
HDR = 8  # the record header (LAYOUT.md 4.9)

_POOL_LEN = 1 << 16
POOL = random.Random(1).getrandbits(8 * _POOL_LEN).to_bytes(_POOL_LEN, "little") * 8


def stride(n):
    """Ring bytes a record of n payload bytes takes: header + payload, 8-aligned."""
    return (HDR + n + 7) & ~7


def payload(tag, seq, n):
    """n deterministic bytes, different for every (tag, seq)."""
    off = (tag * 7919 + seq * 104729) % _POOL_LEN
    assert n <= len(POOL) - _POOL_LEN
    return POOL[off:off + n]


def make_log(name, byte_capacity=RING, max_record=MAXREC):
    return indexbus.Region.create(name, "log", byte_capacity=byte_capacity,
                                  max_record=max_record)


@pytest.fixture
def log(name):
    with make_log(name) as r:
        yield r


def fill(tx, n=56):
    """Publish n-byte records until Full; how many went in."""
    k = 0
    while True:
        try:
            tx.publish(payload(9, k, n))
        except indexbus.Full:
            return k
        k += 1


# ---- round trips ----------------------------------------------------------------

def test_region_attributes_and_defaults(name, log):
    assert log.kind == indexbus.KIND_LOG == lib.INDEXBUS_KIND_LOG
    assert log.is_log and log.byte_capacity == RING and log.max_record == MAXREC
    assert log.record_capacity == MAXREC and log.slot_data_size == 0
    info = log.info()
    assert (info.layout_major, info.layout_minor) == (1, 1)
    assert info.capabilities & lib.INDEXBUS_CAP_BYTE_LOG
    assert info.consumer_count == 1 and info.slot_count == 0
    with indexbus.Region.create(name + "-d", "log") as d:  # defaults: 1 MiB, 64 KiB
        d.unlink()
        assert d.byte_capacity == 1 << 20 and d.max_record == 64 * 1024
    with indexbus.Region.create(name + "-s", lib.INDEXBUS_KIND_LOG, byte_capacity=4096) as s:
        s.unlink()  # a small ring: max_record defaults to half of it less a header
        assert s.max_record == 4096 // 2 - HDR
    with indexbus.Region.open(name) as again:
        assert again.is_log and again.max_record == MAXREC and again.byte_capacity == RING


@pytest.mark.parametrize("mpsc", [False, True])
def test_every_length_round_trips_across_the_wrap(log, mpsc):
    """Every length 0..max_record, in an order that lands records on every offset,
    through publish, claim(n) and claim() + commit(n), one, two or three in flight:
    each comes back byte for byte, many laps around the 4 KiB ring."""
    order = [(i * 37) % (MAXREC + 1) for i in range(MAXREC + 1)]
    assert sorted(order) == list(range(MAXREC + 1))
    pads, sent_bytes = 0, 0
    with log.producer(mpsc=mpsc) as tx, log.consumer() as rx:
        i = 0
        while i < len(order):
            batch = order[i:i + 1 + i % 3]
            for j, n in enumerate(batch):
                data = payload(1, i + j, n)
                form = (i + j) % 3
                if form == 0:
                    tx.publish(data)
                elif form == 1:
                    with tx.claim(n) as view:
                        assert len(view) == n
                        view[:] = data
                else:
                    claim = tx.claim()
                    with claim as view:
                        assert len(view) == claim.capacity == MAXREC
                        view[:n] = data
                        claim.commit(n)
                sent_bytes += stride(n)
            pads = max(pads, log.info().bytes_padding)
            for j, n in enumerate(batch):
                got = rx.recv(timeout=5) if j % 2 else rx.try_recv()
                assert got == payload(1, i + j, n), (i + j, n)
            i += len(batch)
        assert rx.try_recv() is None
        info = log.info()
        assert info.published == MAXREC + 1 and info.records_waiting == 0
        assert log.consumer_stats(0).delivered == MAXREC + 1
    assert sent_bytes > 50 * RING  # many laps
    assert pads > 0  # records waited behind padding at the wrap (and claim() + commit)


def test_lengths_straddling_the_wrap_exact_accounting(log):
    """The C test's geometry: after 3 x 1000 B from offset 0, 1072 bytes are left to
    the end; one 1008-byte record fits, the next goes behind a 64-byte pad."""
    with log.producer() as tx, log.consumer() as rx:
        for i in range(3):
            tx.publish(payload(2, i, 1000))
        assert [rx.recv(timeout=1) for _ in range(3)] == [payload(2, i, 1000) for i in range(3)]
        assert rx.try_recv() is None  # caught up: the space goes back
        assert tx.space() == RING
        tx.publish(payload(3, 0, 1000))  # 3024..4032
        tx.publish(payload(3, 1, 1000))  # pad 4032..4096, then 0..1008
        info = log.info()
        assert info.bytes_padding == 64
        assert info.records_waiting == 2
        assert info.bytes_used == 1008 + 64 + 1008
        assert info.bytes_free == RING - info.bytes_used
        assert rx.recv_batch(8) == [payload(3, 0, 1000), payload(3, 1, 1000)]


@pytest.mark.parametrize("mpsc", [False, True])
def test_recv_batch_of_a_full_ring(log, mpsc):
    """The ring full to the last byte, then one batch reads it all: every record
    once (the header after the last is the first one's, read but not yet zeroed)."""
    with log.producer(mpsc=mpsc) as tx, log.consumer() as rx:
        k = fill(tx, 56)
        assert k == RING // 64 and log.info().bytes_free == 0
        assert rx.recv_batch(k + 1) == [payload(9, i, 56) for i in range(k)]
        assert rx.try_recv() is None
        tx.publish(b"next")
        assert rx.recv_batch(k + 1) == [b"next"]


def test_zero_length_and_borrow_and_recv_into(log):
    with log.producer() as tx, log.consumer() as rx:
        tx.publish(b"")
        with tx.claim(0) as view:
            assert len(view) == 0
        tx.publish_batch([b"", b"x", b""])
        assert log.info().records_waiting == 5
        assert [rx.recv(timeout=1) for _ in range(5)] == [b"", b"", b"", b"x", b""]
        tx.publish(payload(4, 0, 300))
        with rx.borrow(timeout=1) as view:
            assert view.readonly and view == payload(4, 0, 300)
        tx.publish(payload(4, 1, 20))
        small = bytearray(10)
        with pytest.raises(indexbus.BufferTooSmall) as ei:
            rx.recv_into(small)
        assert ei.value.length == 20
        big = bytearray(MAXREC)
        assert rx.recv_into(big, timeout=1) == 20 and big[:20] == payload(4, 1, 20)


def test_large_records_grow_the_receive_buffer(name):
    """max_record over the consumer's first buffer (64 KiB): it grows on demand."""
    with make_log(name, 1 << 20, 300_000) as r, r.producer() as tx, r.consumer() as rx:
        sizes = [100, 70_000, 300_000, 5, 200_000]
        for i, n in enumerate(sizes):
            tx.publish(payload(5, i, n))
        assert rx.try_recv() == payload(5, 0, 100)
        assert rx.recv(timeout=1) == payload(5, 1, 70_000)
        assert rx.recv(timeout=1) == payload(5, 2, 300_000)
        assert rx.recv_batch(8) == [payload(5, 3, 5), payload(5, 4, 200_000)]
        with tx.claim(300_000) as view:
            view[:] = payload(5, 5, 300_000)
        assert rx.recv(timeout=1) == payload(5, 5, 300_000)


# ---- claims ---------------------------------------------------------------------

def test_claim_commit_shorter_and_abort(log):
    with log.producer() as tx, log.consumer() as rx:
        claim = tx.claim(100)
        with claim as view:
            assert len(view) == claim.capacity == claim.length == 100
            view[:] = payload(6, 0, 100)
            claim.commit(40)  # k <= n: exactly k bytes go out
        with pytest.raises(RuntimeError):
            with tx.claim(30) as view:
                view[:] = payload(6, 1, 30)
                raise RuntimeError("aborted")
        c = tx.claim(10)
        with pytest.raises(indexbus.TooLarge):  # more than claimed: aborted, raised
            with c:
                c.commit(11)
        c = tx.claim(8)
        with c as view:
            view[:] = b"12345678"
            c.length = 3
        info = log.info()
        assert info.records_waiting == 2
        # the shorter commit leaves 112 - 48, the aborted claims their whole records,
        # and 8 -> 3 bytes keeps the same 16-byte stride
        assert info.bytes_padding == (stride(100) - stride(40)) + stride(30) + stride(10)
        assert stride(8) == stride(3)
        assert rx.recv(timeout=1) == payload(6, 0, 40)
        assert rx.recv(timeout=1) == b"123"
        assert rx.try_recv() is None


def test_claim_states(log):
    with log.producer() as tx:
        with tx.claim(4):
            with pytest.raises(indexbus.BadState):
                with tx.claim(4):
                    pass
            with pytest.raises(indexbus.BadState):
                with tx.claim_batch([1]):
                    pass
            with pytest.raises(indexbus.BadState):
                tx.publish(b"x")
        c = tx.claim(4)
        with pytest.raises(indexbus.BadState):
            c.commit()


# ---- batch claim ----------------------------------------------------------------

def test_batch_claim_commits_all_on_exit(log):
    lens = [0, 1, 7, 8, 300]
    with log.producer() as tx, log.consumer() as rx:
        with tx.claim_batch(lens) as views:
            assert [len(v) for v in views] == lens
            assert all(isinstance(v, memoryview) and not v.readonly for v in views)
            for i, v in enumerate(views):
                v[:] = payload(7, i, lens[i])
            assert rx.try_recv() is None  # nothing visible before the block ends
            assert log.info().records_waiting == 0
        assert rx.recv_batch(16) == [payload(7, i, n) for i, n in enumerate(lens)]
        with tx.claim_batch([]) as views:  # an empty batch: nothing to do
            assert views == []
        assert rx.try_recv() is None


def test_batch_claim_commit_k_publishes_exactly_k(log):
    lens = [10, 20, 30, 40, 50]
    with log.producer(mpsc=True) as tx, log.consumer() as rx:
        for k in range(len(lens) + 1):
            batch = tx.claim_batch(lens)
            with batch as views:
                for i, v in enumerate(views):
                    v[:] = payload(8, 10 * k + i, lens[i])
                batch.commit(k)
                with pytest.raises(indexbus.BadState):
                    batch.commit()
            assert rx.recv_batch(16) == [payload(8, 10 * k + i, lens[i]) for i in range(k)]
            assert rx.try_recv() is None
        batch = tx.claim_batch([1, 2])
        with pytest.raises(indexbus.InvalidArgument):
            with batch:
                batch.commit(3)  # over the batch: none published
        assert rx.try_recv() is None
        assert log.info().published == sum(range(len(lens) + 1))


def test_batch_claim_exception_publishes_nothing(log):
    with log.producer() as tx, log.consumer() as rx:
        with pytest.raises(KeyError):
            with tx.claim_batch([16, 16, 16]) as views:
                for v in views:
                    v[:] = b"z" * 16
                raise KeyError("no")
        info = log.info()
        assert info.records_waiting == 0 and info.bytes_padding == 3 * stride(16)
        assert rx.try_recv() is None
        tx.publish(b"after")  # the ring goes on after the padding
        assert rx.recv(timeout=1) == b"after"
        assert rx.try_recv() is None


def test_batch_claim_limits(name, log):
    with log.producer() as tx, log.consumer():
        with pytest.raises(indexbus.TooLarge):
            tx.claim_batch([MAXREC + 1]).__enter__()
        with pytest.raises(indexbus.TooLarge):  # 1008 + 1008 + 112 > half the ring
            tx.claim_batch([MAXREC, MAXREC, 100]).__enter__()
        with pytest.raises(indexbus.TooLarge):
            tx.claim_batch([-1]).__enter__()
        k = fill(tx, 56)
        assert k == RING // 64
        with pytest.raises(indexbus.Full):
            tx.claim_batch([1]).__enter__()
    with indexbus.Region.create(name + "-ev") as ev, ev.producer() as tx, ev.consumer():
        ev.unlink()
        with pytest.raises(indexbus.WrongKind):  # events: publish_batch there
            tx.claim_batch([1]).__enter__()


# ---- free space and info ---------------------------------------------------------

@pytest.mark.parametrize("mpsc", [False, True])
def test_space_exact_values(log, mpsc):
    with log.producer(mpsc=mpsc) as tx, log.consumer() as rx:
        assert tx.space() == RING
        assert fill(tx, 56) == RING // 64  # 64-byte records fill it exactly
        assert tx.space() == 0
        info = log.info()
        assert info.bytes_used == RING and info.bytes_free == 0
        assert info.records_waiting == RING // 64 and info.bytes_padding == 0
        for i in range(3):
            assert rx.try_recv() == payload(9, i, 56)
        # read space goes back in quarters of the ring, or when caught up
        assert tx.space() == 0
        for i in range(3, 16):
            assert rx.try_recv() == payload(9, i, 56)
        assert tx.space() == RING // 4
        assert log.info().records_waiting == RING // 64 - 16
        assert len(rx.recv_batch(64)) == RING // 64 - 16
        assert tx.space() == RING  # caught up: everything back
        tx.publish(b"")
        assert tx.space() == RING - 8
        tx.publish(b"x" * 9)
        assert tx.space() == RING - 8 - 24
        c = tx.claim(100)
        with c:
            assert tx.space() == RING - 8 - 24 - 112  # a claim holds its space
            c.abort()
        assert tx.space() == RING - 8 - 24 - 112  # and an abort leaves padding
        info = log.info()
        assert (info.bytes_used, info.bytes_padding, info.records_waiting) == (144, 112, 2)
        assert rx.recv_batch(8) == [b"", b"x" * 9]  # the batch end gives it back
        assert tx.space() == RING


def test_space_events_region(name):
    with indexbus.Region.create(name, slot_count=16, queue_capacity=16) as r:
        with r.producer() as tx, r.consumer():
            assert tx.space() == 16
            for i in range(5):
                tx.publish(b"m")
            assert tx.space() == 11
            assert fill(tx, 1) == 11
            assert tx.space() == 0


# ---- errors ---------------------------------------------------------------------

def test_too_large_wrong_kind_and_rules(name, log):
    with log.producer() as tx:
        with pytest.raises(indexbus.TooLarge):
            tx.publish(b"x" * (MAXREC + 1))
        with pytest.raises(indexbus.TooLarge):
            with tx.claim(MAXREC + 1):
                pass
        with pytest.raises(indexbus.TooLarge):
            tx.publish_batch([b"x" * (MAXREC + 1)])
        with pytest.raises(indexbus.Busy):  # one SPSC producer, or MPSC ones, not both
            log.producer(mpsc=True)
    with log.producer(mpsc=True), log.producer(mpsc=True):
        with pytest.raises(indexbus.Busy):
            log.producer()
    with pytest.raises(indexbus.WrongKind):
        log.router()
    with pytest.raises(indexbus.OutOfRange):
        log.consumer(1)
    with log.consumer():
        with pytest.raises(indexbus.Busy):
            log.consumer()
    bad = name + "-bad"
    for kw in ({"byte_capacity": 1000}, {"byte_capacity": 2048},
               {"byte_capacity": RING, "max_record": RING // 2 - 7},
               {"slot_count": 16}, {"slot_data_size": 64}):
        with pytest.raises(indexbus.InvalidArgument):
            indexbus.Region.create(bad, "log", **kw)
    with pytest.raises(indexbus.InvalidArgument):  # byte-log geometry on a slot region
        indexbus.Region.create(bad, "events", byte_capacity=RING)
    with pytest.raises(indexbus.InvalidArgument):
        indexbus.Region.create(bad, "fanout", max_record=100)
    with pytest.raises(ValueError):
        indexbus.Region.create(bad, "bytelog")
    with pytest.raises(indexbus.NotFound):
        indexbus.Region.open(bad)


# ---- seed 001: receiver and senders ----------------------------------------------

def test_seed_basic_and_cloned_senders(log):
    with log.consumer() as rx:
        with log.producer(mpsc=True) as a, log.producer(mpsc=True) as b:
            a.publish(b"hello")
            b.publish(b"from a clone")
            a.publish(b"again")
            assert log.info().producers_live == 2
        assert list(rx) == [b"hello", b"from a clone", b"again"]  # then DISCONNECTED


def _send_thread(region, sender, count, size_of, errors):
    try:
        with region.producer(mpsc=True) as tx:
            for seq in range(count):
                n = size_of(seq)
                tx.publish(struct.pack("<II", sender, seq) + payload(sender, seq, n)[8:],
                           timeout=30)
    except BaseException as e:  # reported by the test
        errors.append(e)


def check_fifo(records, senders, count, size_of):
    nxt = [0] * senders
    for rec in records:
        sender, seq = struct.unpack_from("<II", rec)
        assert seq == nxt[sender], f"sender {sender}: {seq} after {nxt[sender] - 1}"
        n = size_of(seq)
        assert rec == struct.pack("<II", sender, seq) + payload(sender, seq, n)[8:n]
        nxt[sender] += 1
    assert nxt == [count] * senders


def _size_100(seq):
    return 8 + seq % 90


def test_seed_four_senders_in_threads(log):
    errors = []
    with log.consumer() as rx:
        threads = [threading.Thread(target=_send_thread, args=(log, s, 100, _size_100, errors))
                   for s in range(4)]
        for t in threads:
            t.start()
        got = list(rx)  # until all four are gone and the ring is drained
        for t in threads:
            t.join(30)
    assert not errors, errors
    check_fifo(got, 4, 100, _size_100)


def _send_process(name, sender, count, size_kind, q):
    size_of = _size_100 if size_kind == "100" else _size_stress
    with indexbus.Region.open(name) as region, region.producer(mpsc=True) as tx:
        q.put(sender)
        for seq in range(count):
            n = size_of(seq)
            tx.publish(struct.pack("<II", sender, seq) + payload(sender, seq, n)[8:], timeout=30)


def _size_stress(seq):
    return 8 + (seq * 13) % 120


@pytest.mark.parametrize("senders,count,ring,size_kind", [
    (4, 100, RING, "100"),
    (4, 10_000, 64 * 1024, "stress"),  # seed 001's stress: FIFO per sender
])
def test_seed_senders_in_processes(name, senders, count, ring, size_kind):
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    with make_log(name, ring, 256) as r, r.consumer() as rx:
        # a producer attached until the children have theirs, so the consumer does
        # not see DISCONNECTED before they start
        with r.producer(mpsc=True):
            procs = [ctx.Process(target=_send_process, args=(name, s, count, size_kind, q))
                     for s in range(senders)]
            for p in procs:
                p.start()
            assert sorted(q.get(timeout=60) for _ in procs) == list(range(senders))
        try:
            got = []
            while True:
                try:
                    got.append(rx.recv(timeout=60))
                except indexbus.Disconnected:
                    break
        finally:
            for p in procs:
                p.join(60)
        assert [p.exitcode for p in procs] == [0] * senders
    check_fifo(got, senders, count, _size_100 if size_kind == "100" else _size_stress)


def test_seed_receive_timeout(log):
    with log.producer(), log.consumer() as rx:
        t0 = time.monotonic()
        with pytest.raises(indexbus.Timeout):
            rx.recv(timeout=0.05)
        assert time.monotonic() - t0 >= 0.05
        with pytest.raises(indexbus.Timeout):
            rx.wait(timeout=0.05)


def test_seed_disconnect_receiver_side(log):
    """Every sender gone and the ring drained: the receiver sees Disconnected (not
    before: what was committed is still delivered)."""
    with log.consumer() as rx:
        b = log.producer(mpsc=True)
        with log.producer(mpsc=True) as a:
            a.publish(b"a")
        assert rx.recv(timeout=1) == b"a"
        with pytest.raises(indexbus.Timeout):  # b is still there
            rx.recv(timeout=0.05)
        b.publish(b"b")
        b.close()
        assert rx.recv(timeout=1) == b"b"  # committed before it left: still delivered
        with pytest.raises(indexbus.Disconnected):
            rx.recv(timeout=5)
        with pytest.raises(indexbus.Disconnected):
            rx.try_recv()


def test_seed_disconnect_sender_side(log):
    with log.producer() as tx:
        with log.consumer() as rx:
            tx.publish(b"seen")
            assert rx.recv(timeout=1) == b"seen"
        with pytest.raises(indexbus.Disconnected):
            tx.publish(b"nobody")
        with pytest.raises(indexbus.Disconnected):
            with tx.claim(4):
                pass
        with pytest.raises(indexbus.Disconnected):
            tx.publish(b"nobody", timeout=1)


# ---- blocking producers ----------------------------------------------------------

@pytest.mark.parametrize("form", ["publish", "claim"])
def test_blocking_producer_woken_by_a_consumer_thread(log, form):
    with log.producer() as tx, log.consumer() as rx:
        k = fill(tx, 56)
        with pytest.raises(indexbus.Full):
            tx.publish(b"y" * 56)  # timeout 0: at once
        got = []

        def drain():
            time.sleep(0.2)
            while len(got) < k + 1:
                got.append(rx.recv(timeout=10))

        t = threading.Thread(target=drain)
        t.start()
        t0 = time.monotonic()
        if form == "publish":
            tx.publish(b"y" * 56, timeout=30)
        else:
            with tx.claim(56, timeout=None) as view:
                view[:] = b"y" * 56
        waited = time.monotonic() - t0
        t.join(30)
        assert not t.is_alive()
    assert waited >= 0.1  # it did wait for the consumer
    assert got == [payload(9, i, 56) for i in range(k)] + [b"y" * 56]


def test_blocking_producer_times_out(log):
    with log.producer() as tx, log.consumer():
        k = fill(tx, 56)
        for call in (lambda: tx.publish(b"z" * 56, timeout=0.1),
                     lambda: tx.claim(56, timeout=0.1).__enter__(),
                     lambda: tx.claim(timeout=0.1).__enter__()):
            t0 = time.monotonic()
            with pytest.raises(indexbus.Timeout):
                call()
            assert time.monotonic() - t0 >= 0.1
        info = log.info()
        assert info.records_waiting == k and info.bytes_padding == 0


def test_blocking_producer_on_an_events_region(name):
    with indexbus.Region.create(name, slot_count=8, queue_capacity=8) as r, \
            r.producer() as tx, r.consumer() as rx:
        k = fill(tx, 4)
        with pytest.raises(indexbus.Timeout):
            tx.publish(b"late", timeout=0.05)
        t = threading.Timer(0.1, rx.recv, kwargs={"timeout": 5})
        t.start()
        tx.publish(b"late", timeout=30)
        t.join()
        assert rx.recv_batch(64) == [payload(9, i, 4) for i in range(1, k)] + [b"late"]


def test_leaving_consumer_wakes_a_blocked_producer(log):
    with log.producer() as tx:
        rx = log.consumer()
        fill(tx)
        threading.Timer(0.2, rx.close).start()
        t0 = time.monotonic()
        with pytest.raises(indexbus.Disconnected):
            tx.publish(b"w", timeout=30)
        assert time.monotonic() - t0 < 20


def _slow_consumer(name, q, go):
    with indexbus.Region.open(name) as r, r.consumer() as rx:
        q.put("ready")
        go.wait(60)
        got = []
        while True:
            try:
                got.append(rx.recv(timeout=30))
            except indexbus.Disconnected:
                break
        q.put(got)


def test_blocking_producer_woken_by_a_consumer_process(name):
    ctx = multiprocessing.get_context("spawn")
    q, go = ctx.Queue(), ctx.Event()
    with make_log(name) as r:
        child = ctx.Process(target=_slow_consumer, args=(name, q, go))
        child.start()
        try:
            assert q.get(timeout=60) == "ready"
            with r.producer() as tx:
                k = fill(tx, 100)
                assert tx.space() < stride(100)
                threading.Timer(0.2, go.set).start()
                # more than a ring's worth: blocks, and is woken, again and again
                for i in range(3 * k):
                    tx.publish(payload(10, i, 100), timeout=30)
            got = q.get(timeout=60)
        finally:
            go.set()
            child.join(60)
        assert child.exitcode == 0
    assert got == [payload(9, i, 100) for i in range(k)] + \
        [payload(10, i, 100) for i in range(3 * k)]


def _hold_consumer(name, q):
    with indexbus.Region.open(name) as r, r.consumer():
        q.put("ready")
        time.sleep(120)


def test_dying_consumer_wakes_a_blocked_producer(name):
    """A consumer process killed while a producer waits: the producer gets
    Disconnected (not a hang; iceoryx2#314)."""
    ctx = multiprocessing.get_context("spawn")
    q = ctx.Queue()
    with make_log(name) as r, r.producer() as tx:
        child = ctx.Process(target=_hold_consumer, args=(name, q))
        child.start()
        try:
            assert q.get(timeout=60) == "ready"
            fill(tx)
            threading.Timer(0.2, os.kill, args=(child.pid, signal.SIGKILL)).start()
            with pytest.raises(indexbus.Disconnected):
                tx.publish(b"after the kill", timeout=30)
        finally:
            child.join(60)
        assert child.exitcode == -signal.SIGKILL


def test_readme_byte_log_example_runs(name, capsys):
    readme = open(os.path.join(os.path.dirname(__file__), "..", "README.md")).read()
    section = readme[readme.index("## Byte logs"):]
    code = section[section.index("```python\n") + 10:section.index("```\n", 10)]
    assert '"/log"' in code
    exec(compile(code.replace('"/log"', repr(name)), "README.md", "exec"), {"indexbus": indexbus})
    assert capsys.readouterr().out.splitlines() == [
        f"{(1 << 20) - stride(5) - stride(3) - stride(0) - stride(1000)} 1048",
        "[b'hello', b'abc', b'']"]
