#!/usr/bin/env python3
"""cli_prom_check.py FILE|URL [EXPECT...] - parse `indexbus stat --prometheus`
output with prometheus_client's text parser (the real one, from PyPI) and check
it: every family has a type and help, counters are counters, every sample has a
region label, and each EXPECT holds. EXPECT is NAME{k=v,...}=VALUE (the sample
with exactly those labels, among others, has VALUE) or NAME{k=v,...}>VALUE.
A URL (http://127.0.0.1:PORT/metrics) is scraped first. Exit 0 if all hold."""
import re
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def load(src):
    if src.startswith("http://"):
        with urllib.request.urlopen(src, timeout=5) as r:
            ctype = r.headers.get("Content-Type", "")
            if not ctype.startswith("text/plain") or "version=0.0.4" not in ctype:
                raise SystemExit(f"FAIL {src}: Content-Type {ctype!r}")
            return r.read().decode()
    return open(src).read()


def raw_checks(text):
    """What the parser forgives: each sample's name is exactly the family its
    TYPE line declared (no suffix magic), counters' names end in _total, and
    each family's lines are together, HELP and TYPE before its samples."""
    errors = []
    declared = {}
    current = None
    for line in text.splitlines():
        m = re.match(r"# TYPE (\S+) (\S+)$", line)
        if m:
            if m.group(1) in declared:
                errors.append(f"family {m.group(1)} declared twice")
            declared[m.group(1)] = m.group(2)
            current = m.group(1)
            if m.group(2) == "counter" and not current.endswith("_total"):
                errors.append(f"counter {current} does not end in _total")
            continue
        if line.startswith("#") or not line:
            continue
        name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", line).group(0)
        if name != current:
            errors.append(f"sample {name} outside its family (current: {current})")
    return errors


def parse_expect(e):
    m = re.fullmatch(r"([a-z_]+)\{(.*)\}([=>])(-?[0-9.]+)", e)
    if not m:
        raise SystemExit(f"bad EXPECT {e!r}")
    labels = dict(kv.split("=", 1) for kv in m.group(2).split(",")) if m.group(2) else {}
    return m.group(1), labels, m.group(3), float(m.group(4))


def main(argv):
    text = load(argv[1])
    samples = {}
    bad = 0
    for err in raw_checks(text):
        print(f"FAIL {err}")
        bad += 1
    nfam = 0
    for fam in text_string_to_metric_families(text):
        nfam += 1
        if fam.type not in ("counter", "gauge"):
            print(f"FAIL family {fam.name}: type {fam.type}")
            bad += 1
        if not fam.documentation:
            print(f"FAIL family {fam.name}: no HELP")
            bad += 1
        for s in fam.samples:
            if fam.type == "counter" and not s.name.endswith("_total"):
                print(f"FAIL counter sample {s.name} does not end in _total")
                bad += 1
            if "region" not in s.labels:
                print(f"FAIL sample {s.name} {s.labels} has no region label")
                bad += 1
            samples.setdefault(s.name, []).append((s.labels, s.value))
    for e in argv[2:]:
        name, labels, op, want = parse_expect(e)
        got = [v for (l, v) in samples.get(name, [])
               if all(l.get(k) == v2 for k, v2 in labels.items())]
        if len(got) != 1:
            print(f"FAIL {e}: {len(got)} matching samples")
            bad += 1
        elif (op == "=" and got[0] != want) or (op == ">" and not got[0] > want):
            print(f"FAIL {e}: value {got[0]}")
            bad += 1
    nsamp = sum(len(v) for v in samples.values())
    if bad:
        return 1
    print(f"PASS prometheus: {nfam} families, {nsamp} samples parsed; {len(argv) - 2} expectations hold")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
