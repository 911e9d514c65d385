#!/usr/bin/env python3
"""check_ordering.py [FILES...] - every ordered atomic in lib/ names its pair.

A site is a call of an acquire, release, acq_rel or seq_cst helper from
lib/atomics.h (or a raw __atomic_* call, which belongs in atomics.h). It is
annotated when its own line, or the comment right above it (only earlier
lines of the same statement may stand between), says "pairs with" or cites
a row of LAYOUT.md 5.2. Prints each unannotated site as FILE:LINE and exits
1 if there is any.
"""
import glob
import re
import sys

SITE = re.compile(r"\bib_(load|store)_(acquire|release|seq_cst)\b|"
                  r"\bib_fetch_(add|sub)_(acq_rel|seq_cst)\b|\bib_cas_(acq_rel|release)\b|"
                  r"\bib_fence_seq_cst\s*\(|\bib_notify_fence\s*\(|\b__atomic_\w+")
NOTE = re.compile(r"pairs with|LAYOUT\.md 5\.2|\(5\.2\)", re.IGNORECASE)


def is_comment(s):
    return s.startswith(("/*", "*", "//")) or s.endswith("*/")


def context(lines, i):
    """Line i, the earlier lines of its statement, and the comment above."""
    out = [lines[i]]
    in_comment = False
    for j in range(i - 1, max(-1, i - 12), -1):
        s = lines[j].strip()
        if is_comment(s):
            in_comment = True
        elif in_comment or not s or s.endswith((";", "{", "}")) or s.startswith("#"):
            break  # the comment above has ended, or an earlier statement begins
        out.append(lines[j])
    return out


def sites(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        code = re.sub(r"/\*.*?\*/|//.*", "", line)
        if not SITE.search(code) or code.lstrip().startswith("#define"):
            continue
        if path.endswith("atomics.h") and not code.lstrip().startswith(("ib_", "if", "return")):
            continue  # the helpers' own definitions
        yield i + 1, line, any(NOTE.search(w) for w in context(lines, i))


def main(argv):
    files = argv[1:] or sorted(glob.glob("lib/**/*.[ch]", recursive=True))
    bad = 0
    total = 0
    for path in files:
        for lineno, line, ok in sites(path):
            total += 1
            if not ok:
                bad += 1
                print(f"{path}:{lineno}: ordered atomic without 'pairs with': {line.strip()}")
    print(f"ordering: {total - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
