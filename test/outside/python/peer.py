"""The outside-the-tree Python program: uses the indexbus package as installed from a
wheel or an sdist into a fresh virtual environment, nothing else.

    python peer.py pub NAME MSG...   publish each MSG
    python peer.py sub NAME COUNT    receive COUNT messages (5 s each), one per line
"""
import sys

import indexbus


def main(argv):
    if len(argv) < 3 or argv[0] not in ("pub", "sub"):
        sys.stderr.write("usage: peer.py pub NAME MSG... | peer.py sub NAME COUNT\n")
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
