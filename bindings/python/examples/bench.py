"""The Python side of the binding benchmarks that `make bench` runs
(tools/bench/langs.c defines the protocol; the C twin is tools/bench/lang_c.c):

    python bench.py NAME SIZE BATCH WARMUP COUNT

One process creates events region NAME (SIZE-byte slots, at least 64, default slot
count, prefaulted), opens an SPSC producer and the consumer through the ``indexbus``
package, then alternates: publish BATCH messages of SIZE bytes (``Producer.publish``
when BATCH is 1, else one ``Producer.publish_batch`` of BATCH messages, like the C
twin's indexbus_publish_batch), then receive them (``Consumer.try_recv``, or
``Consumer.recv_batch`` of up to BATCH until all BATCH are in). WARMUP messages first,
untimed; then COUNT timed, in 5 equal segments, each on the wall clock and on the CPU
clock of the thread that runs the loop (``time.thread_time``: time spent preempted by
other load does not count there). It prints one JSON line, ``msgs_per_cpu_s`` being
the fastest segment's:

    {"lang":"python","size":64,"batch":32,"msgs":N,"segments":5,"secs":S,"cpu_secs":C,
     "msgs_per_s":N/S,"msgs_per_cpu_s_all":N/C,"msgs_per_cpu_s":R}

Unlike the C, Go, Java and Rust loops, this one allocates: every received message is
a new ``bytes`` object, as the package returns them (freed again by reference
counting within the same round).
"""
import json
import sys
import time

import indexbus

SEGMENTS = 5
USAGE = "usage: bench.py NAME SIZE BATCH WARMUP COUNT"


def run(tx, rx, size, batch, rounds):
    """Publish and receive `rounds` batches."""
    if batch == 1:
        msg = b"\x42" * size
        publish, try_recv = tx.publish, rx.try_recv
        for _ in range(rounds):
            publish(msg)
            got = try_recv()
            if got is None or len(got) != size:
                raise SystemExit(f"bench.py: try_recv returned {got!r:.40}")
        return
    msgs = [b"\x42" * size] * batch
    publish_batch, recv_batch = tx.publish_batch, rx.recv_batch
    for _ in range(rounds):
        if publish_batch(msgs) != batch:
            raise SystemExit("bench.py: a batch went out in part")
        got = 0
        while got < batch:
            got += len(recv_batch(batch - got))


def main(argv):
    if len(argv) != 6:
        print(USAGE, file=sys.stderr)
        return 2
    name = argv[1]
    try:
        size, batch, warmup, count = (int(a) for a in argv[2:])
    except ValueError:
        print(f"bench.py: bad number\n{USAGE}", file=sys.stderr)
        return 2
    if size <= 0 or batch <= 0 or batch > 1024 or count < batch * SEGMENTS:
        print(f"bench.py: bad arguments\n{USAGE}", file=sys.stderr)
        return 2
    slot = max(64, (size + 7) & ~7)
    try:
        indexbus.unlink(name)
    except indexbus.NotFound:
        pass
    with indexbus.Region.create(name, "events", slot_data_size=slot, prefault=True) as region, \
            region.producer() as tx, region.consumer(0) as rx:
        run(tx, rx, size, batch, warmup // batch)
        rounds = count // batch // SEGMENTS
        secs = cpu = best = 0.0
        for _ in range(SEGMENTS):
            t0, c0 = time.perf_counter(), time.thread_time()
            run(tx, rx, size, batch, rounds)
            dc = time.thread_time() - c0
            secs += time.perf_counter() - t0
            cpu += dc
            best = max(best, rounds * batch / dc)
        region.unlink()
    n = rounds * batch * SEGMENTS
    print(json.dumps({"lang": "python", "size": size, "batch": batch, "msgs": n,
                      "segments": SEGMENTS, "secs": round(secs, 6), "cpu_secs": round(cpu, 6),
                      "msgs_per_s": round(n / secs), "msgs_per_cpu_s_all": round(n / cpu),
                      "msgs_per_cpu_s": round(best)}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
