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


BINDING_README = os.path.join(os.path.dirname(__file__), "..", "README.md")


def test_binding_readme_stream_and_rpc_examples_run(name):
    """The byte-stream and request/response examples of bindings/python/README.md run
    (on names of their own) and print what their comments say."""
    import re
    blocks = re.findall(r"```python\n(.*?)```", open(BINDING_README).read(), re.S)
    pipe = next(b for b in blocks if '"/pipe", "stream"' in b)
    svc = next(b for b in blocks if '"/svc", "rpc"' in b)
    code = "import threading\nimport indexbus\n" + \
        pipe.replace('"/pipe"', repr(name + "-pipe")) + \
        f"indexbus.unlink({name + '-pipe'!r})\n" + \
        svc.replace('"/svc"', repr(name + "-svc")) + \
        f"indexbus.unlink({name + '-svc'!r})\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["b'hello, stream'", "b'' 0", "True", "b'PING'"]
