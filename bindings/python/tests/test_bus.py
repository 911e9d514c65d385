"""Handles, receive forms, zero-copy, batches, iteration, fanout routing."""
import pytest

import indexbus
from indexbus import lib


def test_context_managers_close_everything(name):
    with indexbus.Region.create(name) as region:
        with region.producer() as tx, region.consumer() as rx:
            assert not tx.closed and not rx.closed
            assert region.info().producers_live == 1
        assert tx.closed and rx.closed
        info = region.info()
        assert info.producers_live == 0 and info.consumers_live == 0
        with pytest.raises(ValueError):
            tx.publish(b"x")
        tx.close()  # idempotent
    assert region.closed
    with indexbus.Region.open(name) as again:
        assert again.info().kind == indexbus.KIND_EVENTS


def test_router_is_a_context_manager(name):
    with indexbus.Region.create(name, "fanout", consumer_count=2) as region:
        with region.router() as router:
            with pytest.raises(indexbus.Busy):
                region.router()
        with region.router():  # the role was handed back
            pass


def test_recv_forms(region):
    with region.producer() as tx, region.consumer() as rx:
        assert rx.try_recv() is None
        tx.publish(b"one")
        tx.publish(bytearray(b"two"))
        tx.publish(memoryview(b"xthreex")[1:-1])
        tx.publish(b"")
        assert rx.recv() == b"one"
        assert isinstance(rx.recv(timeout=1), bytes)
        buf = bytearray(16)
        n = rx.recv_into(buf, timeout=1)
        assert bytes(buf[:n]) == b"three"
        assert rx.try_recv() == b""
        with pytest.raises(indexbus.Timeout):
            rx.recv(timeout=0)


def test_zero_copy_borrow_and_claim(region):
    with region.producer() as tx, region.consumer() as rx:
        with tx.claim(5) as view:
            assert isinstance(view, memoryview) and not view.readonly
            assert len(view) == 5
            view[:] = b"hello"
        claim = tx.claim()
        with claim as view:
            assert len(view) == claim.capacity == region.slot_data_size
            view[:3] = b"abc"
            claim.length = 3
        with pytest.raises(RuntimeError):
            with tx.claim(4) as view:
                view[:] = b"gone"
                raise RuntimeError("aborted")
        with pytest.raises(indexbus.TooLarge):
            with tx.claim(region.slot_data_size + 1):
                pass
        with rx.borrow(timeout=1) as view:
            assert view.readonly
            assert view == b"hello"
            with pytest.raises(TypeError):
                view[0] = 0
        with rx.borrow(timeout=1) as view:
            assert bytes(view) == b"abc"
        assert rx.try_recv() is None  # the aborted claim never went out
        with pytest.raises(indexbus.Timeout):
            with rx.borrow(timeout=0.05):
                pass


def test_numpy_views(region):
    np = pytest.importorskip("numpy")
    with region.producer() as tx, region.consumer() as rx:
        with tx.claim(8 * 4) as view:
            arr = np.frombuffer(view, dtype=np.float64)
            assert arr.flags.writeable
            arr[:] = [1.5, 2.5, 3.5, 4.5]
            del arr
        with rx.borrow(timeout=1) as view:
            arr = np.frombuffer(view, dtype=np.float64)
            assert not arr.flags.writeable
            assert arr.tolist() == [1.5, 2.5, 3.5, 4.5]
            del arr


def test_batches(region):
    msgs = [bytes([i]) * i for i in range(20)]
    with region.producer() as tx, region.consumer() as rx:
        assert tx.publish_batch(msgs) == 20
        assert tx.publish_batch([]) == 0
        got = rx.recv_batch(8)
        assert got == msgs[:8]
        got += rx.recv_batch(64, timeout=1)
        assert got == msgs
        assert rx.recv_batch(8) == []
        assert rx.recv_batch(8, timeout=0.05) == []
        with pytest.raises(indexbus.TooLarge):
            tx.publish_batch([b"x" * (region.slot_data_size + 1)])


def test_batch_partial_when_full(name):
    with indexbus.Region.create(name, slot_count=8, queue_capacity=8) as region:
        with region.producer() as tx, region.consumer() as rx:
            n = tx.publish_batch([b"m%d" % i for i in range(32)])
            assert 0 < n < 32
            assert len(rx.recv_batch(64)) == n


def test_iteration_until_disconnected(region):
    with region.consumer() as rx:
        with region.producer() as tx:
            for i in range(10):
                tx.publish(b"%d" % i)
        assert list(rx) == [b"%d" % i for i in range(10)]


def test_info_and_stats(region):
    info = region.info()
    assert info.kind == lib.INDEXBUS_KIND_EVENTS
    assert info.slot_data_size == 256
    assert "size" not in info
    with region.producer() as tx, region.consumer() as rx:
        tx.publish(b"x")
        rx.recv(timeout=1)
        assert region.consumer_stats(0).delivered == 1
        assert region.info().published == 1
    assert region.recover().dead == 0
    entries = [region.participant(i) for i in range(lib.INDEXBUS_MAX_PARTICIPANTS)]
    assert all(e is None for e in entries)
    with pytest.raises(indexbus.OutOfRange):
        region.participant(lib.INDEXBUS_MAX_PARTICIPANTS)


def test_fanout_broadcast_and_router_run(name):
    with indexbus.Region.create(name, "fanout", consumer_count=2) as region:
        with region.consumer(0) as a, region.consumer(1) as b, region.router() as router:
            with region.producer(mpsc=True) as tx:
                tx.publish(b"first")
                assert router.route_once() is True
                assert router.route_once() is False
                res = router.route_once_stats()
                assert res.routed == 0
                tx.publish(b"second")
                res = router.route_once_stats("mpsc", "broadcast")
                assert res.routed == 1 and res.delivered == 2 and res.delivered_mask == 3
                for i in range(5):
                    tx.publish(b"%d" % i)
            assert router.run(exit_on_disconnect=True) == 5
            assert a.recv_batch(16) == b.recv_batch(16) == \
                [b"first", b"second"] + [b"%d" % i for i in range(5)]
            with pytest.raises(ValueError):
                router.route_once(mode="nonsense")


def test_router_stop_from_another_thread(name):
    import threading
    with indexbus.Region.create(name, "fanout", consumer_count=1) as region:
        with region.router() as router:
            t = threading.Timer(0.1, router.stop)
            t.start()
            assert router.run() == 0
            t.join()


def test_gc(name):
    with indexbus.Region.create(name) as region:
        with region.consumer():
            assert indexbus.gc(name) is False
    assert indexbus.gc(name) is True
    with pytest.raises(indexbus.NotFound):
        indexbus.Region.open(name)
