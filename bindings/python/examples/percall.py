"""Where the time of one Python publish + receive goes, per call (docs/PERFORMANCE.md).

    python percall.py [N]

On one events region (64-byte messages, one SPSC producer and the consumer in this
process), each row times N rounds of one publish and one receive and reports the
CPU time per round (``time.thread_time``), the best of 5 runs:

  - empty loop: the Python ``for`` loop alone;
  - cffi lib: the two C calls through cffi's compiled wrappers, with arguments
    prepared once (``lib.indexbus_publish``, ``lib.indexbus_try_recv``);
  - one package method with the other call raw, to split the package's share;
  - package: ``Producer.publish`` and ``Consumer.try_recv``, which add the handle
    check, the status check and the ``bytes`` result;
and the C loop's figure for comparison comes from ``make bench`` (lang c, batch 1).
"""
import os
import sys
import time

import indexbus
from indexbus import ffi, lib

N = int(sys.argv[1]) if len(sys.argv) > 1 else 200_000
MSG = bytes(64)


def best(fn):
    out = []
    for _ in range(5):
        t0 = time.thread_time()
        fn()
        out.append(time.thread_time() - t0)
    return min(out) / N * 1e9


def main():
    name = f"/ib-percall-{os.getpid()}"
    with indexbus.Region.create(name, slot_data_size=64, prefault=True) as r, \
            r.producer() as tx, r.consumer() as rx:
        r.unlink()
        p, c = tx._p(), rx._p()
        buf, n = ffi.new("char[]", 64), ffi.new("size_t *")
        pub, rcv = lib.indexbus_publish, lib.indexbus_try_recv

        def empty():
            for _ in range(N):
                pass

        def raw():
            for _ in range(N):
                pub(p, MSG, 64)
                rcv(c, buf, 64, n)

        def pub_only():
            publish = tx.publish
            for _ in range(N):
                publish(MSG)
                rcv(c, buf, 64, n)

        def recv_only():
            try_recv = rx.try_recv
            for _ in range(N):
                pub(p, MSG, 64)
                try_recv()

        def package():
            publish, try_recv = tx.publish, rx.try_recv
            for _ in range(N):
                publish(MSG)
                try_recv()

        rows = [("empty loop", best(empty)), ("cffi lib (2 C calls)", best(raw)),
                ("package publish + cffi recv", best(pub_only)),
                ("cffi publish + package try_recv", best(recv_only)),
                ("package (publish + try_recv)", best(package))]
    for what, ns in rows:
        print(f"{what:32s} {ns:8.1f} ns per round")


if __name__ == "__main__":
    main()
