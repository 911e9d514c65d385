"""The README's Python example (bindings/python/tests/test_examples.py runs it)."""
import os

import indexbus

name = f"/hello-indexbus-py-{os.getpid()}"
with indexbus.Region.create(name) as region, \
        region.producer() as tx, region.consumer() as rx:
    region.unlink()  # the mapping stays valid until the handles close
    tx.publish(b"hello, bus")
    print(rx.recv(timeout=1.0).decode())  # bytes; Timeout after 1 s
    with tx.claim(5) as view:  # zero-copy: write straight into the slot
        view[:] = b"again"
    with rx.borrow(timeout=1.0) as view:  # read-only memoryview of the slot
        print(bytes(view).decode())
