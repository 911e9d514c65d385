"""The outside-the-tree Python program: uses the indexbus package as installed from a
wheel or an sdist into a fresh virtual environment, nothing else.

    python peer.py pub NAME MSG...   publish each MSG
    python peer.py sub NAME COUNT    receive COUNT messages (5 s each), one per line
    python peer.py log NAME          a byte log in this process: a batch claim, a claim,
                                     a blocking publish; prints the free space, then
                                     the records (the library's 1.1 sources compiled in)
"""
import sys

import indexbus


def main(argv):
    if argv[:1] == ["log"] and len(argv) == 2:
        with indexbus.Region.create(argv[1], "log", byte_capacity=4096) as region:
            region.unlink()
            with region.producer(mpsc=True) as tx, region.consumer() as rx:
                with tx.claim_batch([3, 0, 5]) as views:
                    views[0][:] = b"one"
                    views[2][:] = b"three"
                with tx.claim(3) as view:
                    view[:] = b"two"
                tx.publish(b"four", timeout=1.0)
                print(tx.space())
                for m in rx.recv_batch(8):
                    print(m.decode() or "(empty)")
        return 0
    if len(argv) < 3 or argv[0] not in ("pub", "sub"):
        sys.stderr.write("usage: peer.py pub NAME MSG... | peer.py sub NAME COUNT | "
                         "peer.py log NAME\n")
        return 2
    with indexbus.Region.open(argv[1]) as region:
        if argv[0] == "pub":
            with region.producer() as tx:
                for m in argv[2:]:
                    tx.publish(m.encode())
        else:
            with region.consumer() as rx:
                for _ in range(int(argv[2])):
                    print(rx.recv(timeout=5.0).decode())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
