"""The Python example of the top README runs and prints what it says."""
import os
import subprocess
import sys

EXAMPLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "docs", "examples",
                       "hello.py")
README = os.path.join(os.path.dirname(EXAMPLE), "..", "..", "README.md")


def test_hello_example_runs():
    out = subprocess.run([sys.executable, EXAMPLE], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    assert out.splitlines() == ["hello, bus", "again"]


def test_readme_shows_the_example():
    readme = open(README).read()
    code = open(EXAMPLE).read()
    body = code[code.index("import os"):]
    assert body.strip() in readme, "README.md's Python example differs from docs/examples/hello.py"
