import itertools
import os
import sys

import pytest

import indexbus

_seq = itertools.count()


@pytest.fixture
def name():
    """A fresh POSIX shared-memory region name, unlinked afterwards."""
    n = f"/ibpy-{os.getpid()}-{next(_seq)}"
    yield n
    try:
        indexbus.unlink(n)
    except indexbus.NotFound:
        pass


@pytest.fixture
def region(name):
    with indexbus.Region.create(name, slot_data_size=256) as r:
        yield r


@pytest.fixture
def cli():
    """The C command-line tool, $(B)/indexbus (INDEXBUS_CLI, set by make check-python)."""
    path = os.environ.get("INDEXBUS_CLI")
    if not path:
        pytest.skip("INDEXBUS_CLI not set (make check-python sets it)")
    assert os.access(path, os.X_OK), path
    return path


@pytest.fixture
def child_env():
    env = dict(os.environ)
    env["PYTHONUNBUFFERED"] = "1"
    return env


PY = sys.executable
