"""consume.py - the far consumer of the bridge tests, on the project's Python package.

    python consume.py REGION [--count N] [--start S] [--skip SEQ,...] [--until FILE]
                             [--progress FILE] [--timeout SECONDS]

Reads consumer 0 of REGION and checks every message ibgen made (test/bridge/ibgen.c):
the CRC-32 of bytes 0-7 and 16 to the end in bytes 8-11, the length in bytes 12-15,
and the sequence number in bytes 0-7, which must be exactly one more than the one
before (S first, default 1), or past numbers that --skip names (records a bridge
refused and skipped: they must not come). A gap counts the missing messages as lost; a number at
or below the last counts as duplicated; the count goes on after either.

It stops:
  --count N       once N messages came and then the producers are gone (DISCONNECTED),
                  or 2 s passed with nothing more (anything extra counts as duplicated)
  --until FILE    at the first DISCONNECTED after FILE exists (the producer side comes
                  and goes meanwhile: a bridge killed and restarted)
--progress FILE gets the count now and then; --timeout (default 600 s) is a hard limit.
Prints one line, "consume: received N first F last L lost X duplicated D corrupt C
rate R msg/s", and exits 0 only if every check held.
"""
import argparse
import os
import struct
import sys
import time
import zlib

import indexbus


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("region")
    ap.add_argument("--count", type=int, default=0)
    ap.add_argument("--start", type=int, default=1)
    ap.add_argument("--skip", default="")
    ap.add_argument("--until")
    ap.add_argument("--progress")
    ap.add_argument("--timeout", type=float, default=600.0)
    a = ap.parse_args()

    skip = {int(x) for x in a.skip.split(",") if x}
    expect = a.start
    received = lost = dup = corrupt = 0
    first = last = None
    t0 = time.monotonic()
    t_first = None
    deadline = t0 + a.timeout
    next_progress = 0.0
    quiet_since = None
    unpack = struct.Struct("<QII").unpack_from
    crc32 = zlib.crc32

    def progress(force=False):
        nonlocal next_progress
        now = time.monotonic()
        if a.progress and (force or now >= next_progress):
            tmp = a.progress + ".tmp"
            with open(tmp, "w") as f:
                f.write("%d\n" % received)
            os.replace(tmp, a.progress)
            next_progress = now + 0.2

    region = indexbus.Region.open(a.region, ready_timeout=5.0)
    rx = region.consumer(0)
    while True:
        if time.monotonic() > deadline:
            print("consume: timed out after %.0f s" % a.timeout, file=sys.stderr)
            break
        try:
            batch = rx.recv_batch(256, timeout=0.2)
        except indexbus.Disconnected:
            batch = None
        if batch:
            quiet_since = None
            if t_first is None:
                t_first = time.monotonic()
            for m in batch:
                seq, crc, length = unpack(m)
                if length != len(m) or crc != crc32(m[16:], crc32(m[:8])):
                    corrupt += 1
                    continue
                if first is None:
                    first = seq
                if seq == expect:
                    pass
                elif seq > expect:
                    lost += sum(1 for k in range(expect, seq) if k not in skip)
                if seq in skip or seq < expect:
                    dup += 1
                    continue
                expect = seq + 1
                last = seq
                received += 1
            progress()
            continue
        progress(True)
        if batch is None:  # DISCONNECTED: the producer side is gone for now
            if a.until and os.path.exists(a.until):
                break
            if a.count and received + dup >= a.count and not a.until:
                break
            time.sleep(0.01)
            continue
        if a.count and not a.until and received + dup >= a.count:
            if quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                break
    rx.close()
    region.close()
    progress(True)
    end = a.start + a.count + len(skip)
    if a.count and end > expect:
        lost += sum(1 for k in range(expect, end) if k not in skip)  # never came: the tail
    span = time.monotonic() - (t_first or t0)
    rate = received / span if span > 0 else 0.0
    print("consume: received %d first %s last %s lost %d duplicated %d corrupt %d "
          "rate %.0f msg/s" % (received, first, last, lost, dup, corrupt, rate))
    ok = lost == 0 and dup == 0 and corrupt == 0 and first in (a.start, None)
    if a.count:
        ok = ok and received == a.count
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
