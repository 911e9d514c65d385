#!/usr/bin/env python3
"""check_readme_examples.py - the README's C and C++ examples are the programs
the tests build and run (docs/examples/hello.c, hello.cpp): each fenced block
must equal the program from its first #include on."""
import re
import sys

PAIRS = [("c", "docs/examples/hello.c"), ("cpp", "docs/examples/hello.cpp")]


def main() -> int:
    readme = open("README.md").read()
    bad = 0
    for lang, path in PAIRS:
        prog = open(path).read()
        body = prog[prog.index("#include"):].strip()
        blocks = [b.strip() for b in re.findall(r"```%s\n(.*?)```" % lang, readme, re.S)]
        if body in blocks:
            print(f"PASS README {lang} example is {path}")
        else:
            print(f"FAIL README {lang} example differs from {path}")
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
