"""Layout 1.3 create features: Region.create(recycle=True, mpsc_batch=True) gives a
fanout region capability bits 37 and 38 and layout 1.3; a byte log refuses them with
InvalidArgument and nothing is created."""
import pytest

import indexbus
from indexbus import lib

BOTH = lib.INDEXBUS_CAP_FANOUT_RECYCLE | lib.INDEXBUS_CAP_MPSC_BATCH
ALL = BOTH | lib.INDEXBUS_CAP_MPSC_RECYCLE


def test_constants():
    assert (lib.INDEXBUS_CREATE_RECYCLE, lib.INDEXBUS_CREATE_MPSC_BATCH) == (0x4, 0x8)
    assert (lib.INDEXBUS_CAP_FANOUT_RECYCLE, lib.INDEXBUS_CAP_MPSC_BATCH,
            lib.INDEXBUS_CAP_MPSC_RECYCLE) == (1 << 37, 1 << 38, 1 << 39)
    assert lib.INDEXBUS_LAYOUT_MINOR == 3


def test_fanout_with_recycle_and_mpsc_batch(name):
    # recycling: at least twice as many slots as queue cells
    with indexbus.Region.create(name, "fanout", slot_count=32, queue_capacity=16,
                                slot_data_size=64, consumer_count=2, recycle=True,
                                mpsc_batch=True) as r:
        info = r.info()
        assert info.kind == indexbus.KIND_FANOUT
        assert (info.layout_major, info.layout_minor) == (1, 3)
        assert info.capabilities & ALL == BOTH  # MPSC recycling is for events
        with indexbus.Region.open(name) as other:
            assert other.info().capabilities == info.capabilities
            assert other.info().layout_minor == 3


def test_plain_fanout_has_neither(name):
    with indexbus.Region.create(name, "fanout") as r:
        info = r.info()
        assert info.layout_minor == 0
        assert info.capabilities & BOTH == 0


def test_events_recycle_mpsc_slots(name):
    with indexbus.Region.create(name, slot_count=16, queue_capacity=8, recycle=True,
                                mpsc_batch=True) as r:
        info = r.info()
        assert info.layout_minor == 3
        assert info.capabilities & ALL == lib.INDEXBUS_CAP_MPSC_BATCH | lib.INDEXBUS_CAP_MPSC_RECYCLE


@pytest.mark.parametrize("kind", ["fanout", "events"])
def test_recycle_needs_twice_the_queue_in_slots(name, kind):
    with pytest.raises(indexbus.InvalidArgument):
        indexbus.Region.create(name, kind, slot_count=16, queue_capacity=16, recycle=True)
    with pytest.raises(indexbus.NotFound):
        indexbus.Region.open(name)


@pytest.mark.parametrize("recycle,mpsc_batch", [(True, False), (False, True), (True, True)])
def test_a_byte_log_refuses_them(name, recycle, mpsc_batch):
    with pytest.raises(indexbus.InvalidArgument):
        indexbus.Region.create(name, "log", byte_capacity=4096, recycle=recycle,
                               mpsc_batch=mpsc_batch)
    with pytest.raises(indexbus.NotFound):
        indexbus.Region.open(name)
