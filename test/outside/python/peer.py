"""The outside-the-tree Python program: uses the indexbus package as installed from a
wheel or an sdist into a fresh virtual environment, nothing else.

    python peer.py pub NAME MSG...   publish each MSG
    python peer.py sub NAME COUNT    receive COUNT messages (5 s each), one per line
    python peer.py log NAME          a byte log in this process: a batch claim, a claim,
                                     a blocking publish; prints the free space, then
                                     the records (the library's 1.1 sources compiled in)
    python peer.py write NAME        copy stdin into byte stream NAME (shutil.copyfileobj
                                     through an io.BufferedWriter on the stream writer)
    python peer.py read NAME         copy byte stream NAME to stdout until its end, then
                                     check that it ended cleanly
    python peer.py call NAME MSG...  request each MSG from the servers of NAME (the first
                                     one zero-copy: a claim, a borrowed reply), print
                                     each reply
    python peer.py serve NAME COUNT  serve COUNT requests of NAME, replying "peer:" + the
                                     request, written in place
"""
import io
import shutil
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
    if argv[:1] in (["write"], ["read"]) and len(argv) == 2:
        with indexbus.Region.open(argv[1]) as region:
            if argv[0] == "write":
                # write() takes what fits; BufferedWriter writes until all is in
                with io.BufferedWriter(region.writer(timeout=10.0), 1 << 16) as out:
                    shutil.copyfileobj(sys.stdin.buffer, out)
            else:
                with region.reader(timeout=10.0) as rd:
                    shutil.copyfileobj(rd, sys.stdout.buffer)  # until read() gives b""
                    sys.stdout.flush()
                    if not rd.state().clean:
                        sys.stderr.write(f"stream did not end cleanly: {rd.state()}\n")
                        return 1
        return 0
    if argv[:1] == ["call"] and len(argv) >= 3:
        with indexbus.Region.open(argv[1]) as region, region.client() as client:
            first = argv[2].encode()
            claim = client.claim(len(first))
            with claim as view:
                view[:] = first
            with client.wait(claim.token, timeout=10.0) as reply:
                print(bytes(reply).decode())
            for m in argv[3:]:
                print(client.request(m.encode(), timeout=10.0).decode())
        return 0
    if argv[:1] == ["serve"] and len(argv) == 3:
        with indexbus.Region.open(argv[1]) as region, region.server() as server:
            for _ in range(int(argv[2])):
                req = server.serve(timeout=10.0)
                out = b"peer:" + bytes(req.data)
                with req.reply_buffer(len(out)) as view:
                    view[:] = out
        return 0
    if len(argv) < 3 or argv[0] not in ("pub", "sub"):
        sys.stderr.write("usage: peer.py pub NAME MSG... | peer.py sub NAME COUNT | "
                         "peer.py log NAME | peer.py write|read NAME | "
                         "peer.py call NAME MSG... | peer.py serve NAME COUNT\n")
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
