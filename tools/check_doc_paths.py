#!/usr/bin/env python3
"""check_doc_paths.py DOC... - every file a map names exists.

Takes each `backticked` token that looks like a path in the tree (it has a
'/' or ends in a source suffix) and checks it, trying it as written and
under lib/ (a bare file name: anywhere in the tree). A `*` is a glob. Exits 1 naming each one that does not exist.
"""
import glob
import re
import sys

TOKEN = re.compile(r"`([A-Za-z0-9_./*<>-]+)`")
SUFFIX = (".c", ".h", ".py", ".sh", ".md", ".mk", ".map")


def exists(path):
    if "/" not in path:  # a bare file name: somewhere in the tree
        return bool(glob.glob("**/" + path, recursive=True))
    return any(glob.glob(cand) for cand in (path, "lib/" + path))


def main(docs):
    bad = total = 0
    for doc in docs:
        for n, line in enumerate(open(doc, encoding="utf-8"), 1):
            for tok in TOKEN.findall(line):
                if "<" in tok or not ("/" in tok or tok.endswith(SUFFIX)):
                    continue
                if "/" not in tok and not tok.endswith(SUFFIX):
                    continue
                total += 1
                if not exists(tok.rstrip("/")):
                    bad += 1
                    print(f"{doc}:{n}: names {tok}, which does not exist")
    print(f"doc-paths: {total - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["docs/ARCHITECTURE.md"]))
