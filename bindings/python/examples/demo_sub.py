"""The Python consumer of `make demo` (tools/demo.sh): a small user of the ``indexbus``
package.

    python demo_sub.py NAME INDEX [EXPECTED]

Opens region NAME, attaches consumer INDEX and receives until every producer is gone
and everything is drained (``indexbus.Disconnected``), checking that the 8-byte
little-endian sequence numbers at the start of each message are 0, 1, 2, ... Then
prints one summary line on stdout, in the format of ``indexbus sub --check-seq`` with
the language in front (the time is from the first to the last message):

    python consumer 5: 100000 messages, 6400000 bytes in 0.081 s (1.23M msg/s); seq order ok, 0 gaps

Exits 1 if a message was missing, out of order or shorter than 8 bytes, if EXPECTED
was given and a different number arrived, or on any error; 2 on a usage error.
Messages are taken in batches (``Consumer.recv_batch``), waiting up to a second at a
time for the first of each.
"""
import signal
import sys
import time

import indexbus

USAGE = "usage: demo_sub.py NAME INDEX [EXPECTED]"
WAIT = 1.0  # each blocking receive waits at most this long, then simply waits again
BATCH = 256


class SeqCheck:
    """Follows the sequence numbers the way ``indexbus sub --check-seq`` does: numbers
    skipped relative to 0, 1, 2, ... are gaps, a number not above the highest seen so
    far is out of order."""

    def __init__(self):
        self.expect = self.gaps = self.missing = self.out_of_order = self.too_short = 0

    def observe(self, msg):
        if len(msg) < 8:
            self.too_short += 1
            return
        seq = int.from_bytes(msg[:8], "little")
        if seq < self.expect:
            self.out_of_order += 1
            return
        if seq > self.expect:
            self.gaps += 1
            self.missing += seq - self.expect
        self.expect = seq + 1

    def ok(self):
        return self.gaps == 0 and self.out_of_order == 0 and self.too_short == 0

    def __str__(self):
        s = f"seq {self.out_of_order} out of order" if self.out_of_order else "seq order ok"
        s += f", {self.gaps} gaps"
        if self.gaps:
            s += f" ({self.missing} missing)"
        if self.too_short:
            s += f", {self.too_short} shorter than 8 bytes"
        return s


def rate(n, secs):
    """n per secs like the CLI: "812.3k", "1.25M", "n/a"."""
    if secs <= 0:
        return "n/a"
    r = n / secs
    if r >= 1e6:
        return f"{r / 1e6:.2f}M"
    if r >= 1e3:
        return f"{r / 1e3:.1f}k"
    return f"{r:.1f}"


def main(argv):
    if not 3 <= len(argv) <= 4:
        print(f"demo_sub.py: NAME and INDEX are required\n{USAGE}", file=sys.stderr)
        return 2
    name = argv[1]
    try:
        index = int(argv[2])
        if index < 0:
            raise ValueError
    except ValueError:
        print(f"demo_sub.py: bad consumer index '{argv[2]}'\n{USAGE}", file=sys.stderr)
        return 2
    expected = None
    if len(argv) == 4:
        try:
            expected = int(argv[3])
        except ValueError:
            print(f"demo_sub.py: bad expected count '{argv[3]}'\n{USAGE}", file=sys.stderr)
            return 2
    who = f"python consumer {index}"
    # SIGTERM (timeout(1), the demo stopping the others) ends the loop like Ctrl-C,
    # so the consumer is closed on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)

    msgs = nbytes = 0
    first = last = 0.0
    seq = SeqCheck()
    failure = None
    try:
        with indexbus.Region.open(name) as region, region.consumer(index) as rx:
            while True:
                try:
                    batch = rx.recv_batch(BATCH, timeout=WAIT)
                except indexbus.Disconnected:
                    break  # producers gone, everything received
                if not batch:
                    continue  # nothing yet: keep waiting
                last = time.monotonic()
                if msgs == 0:
                    first = last
                msgs += len(batch)
                for m in batch:
                    nbytes += len(m)
                    seq.observe(m)
    except indexbus.Error as e:
        failure = f"{name}: {e}"
    except KeyboardInterrupt:
        failure = "interrupted"

    secs = last - first
    print(f"{who}: {msgs} message{'' if msgs == 1 else 's'}, {nbytes} bytes in {secs:.3f} s "
          f"({rate(msgs, secs)} msg/s); {seq}", flush=True)
    if failure is not None:
        print(f"{who}: {failure}", file=sys.stderr)
        return 1
    if not seq.ok():
        print(f"{who}: sequence check failed", file=sys.stderr)
        return 1
    if expected is not None and msgs != expected:
        print(f"{who}: got {msgs} of {expected} messages", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
