"""cffi build script (API mode): the declarations come from the public C header.

Run by setuptools through ``cffi_modules`` (setup.py). It

1. finds the IndexBus headers and library (see ``locate``),
2. runs the C preprocessor on ``<indexbus/indexbus.h>`` (``$CC -E -dD``, default
   ``cc``) and keeps only what comes from ``indexbus/*.h``: the typedefs, structs,
   enums and prototypes become the cdef verbatim (``_Static_assert`` dropped), and
   every integer object-like ``INDEXBUS_*`` macro becomes ``#define NAME ...``, so the
   C compiler supplies its value; string macros become ``static const char *const``,
3. compiles ``indexbus._ffi`` against the header and links ``-lindexbus`` with an
   rpath to the library directory it found.

cffi checks every struct it is given field by field against the compiler's layout,
so the Python side can never drift from the header.
"""
import os
import re
import shlex
import shutil
import subprocess

from cffi import FFI

HERE = os.path.dirname(os.path.abspath(__file__))


def _pkg_config(*args):
    exe = shutil.which(os.environ.get("PKG_CONFIG", "pkg-config"))
    if not exe:
        return None
    try:
        out = subprocess.run([exe, *args, "indexbus"], check=True, capture_output=True,
                             text=True).stdout
    except subprocess.CalledProcessError:
        return None
    return shlex.split(out)


def locate():
    """(include_dir, lib_dir) of IndexBus, first match wins:

    1. INDEXBUS_INCLUDE_DIR and INDEXBUS_LIB_DIR (each on its own),
    2. INDEXBUS_PREFIX: $INDEXBUS_PREFIX/include and $INDEXBUS_PREFIX/lib,
    3. pkg-config indexbus (an installed copy, `make install`),
    4. the source tree this package sits in: ../../abi/include and ../../build.
    """
    inc = os.environ.get("INDEXBUS_INCLUDE_DIR")
    lib = os.environ.get("INDEXBUS_LIB_DIR")
    prefix = os.environ.get("INDEXBUS_PREFIX")
    if prefix:
        inc = inc or os.path.join(prefix, "include")
        lib = lib or os.path.join(prefix, "lib")
    if not (inc and lib):
        cflags = _pkg_config("--cflags-only-I")
        libs = _pkg_config("--libs-only-L")
        if cflags is not None and libs is not None:
            inc = inc or next((f[2:] for f in cflags if f.startswith("-I")), None)
            lib = lib or next((f[2:] for f in libs if f.startswith("-L")), None)
            if not inc or not lib:
                dirs = _pkg_config("--variable=includedir"), _pkg_config("--variable=libdir")
                inc = inc or (dirs[0] or [None])[0]
                lib = lib or (dirs[1] or [None])[0]
    tree = os.path.normpath(os.path.join(HERE, "..", ".."))
    inc = inc or os.path.join(tree, "abi", "include")
    lib = lib or os.path.join(tree, "build")
    header = os.path.join(inc, "indexbus", "indexbus.h")
    if not os.path.isfile(header):
        raise SystemExit(f"indexbus: no {header}; set INDEXBUS_PREFIX, or INDEXBUS_INCLUDE_DIR "
                         "and INDEXBUS_LIB_DIR, or install IndexBus where pkg-config finds it")
    if not any(os.path.exists(os.path.join(lib, n)) for n in ("libindexbus.so", "libindexbus.a")):
        raise SystemExit(f"indexbus: no libindexbus.so in {lib}; build it (make) or set "
                         "INDEXBUS_LIB_DIR / INDEXBUS_PREFIX")
    return os.path.abspath(inc), os.path.abspath(lib)


_LINE = re.compile(r'^# (\d+) "(.*)"')
_DEFINE = re.compile(r"^#define (INDEXBUS_[A-Za-z0-9_]+)(\(?)\s*(.*)$")
_ASSERT = re.compile(r"_Static_assert\s*\(.*?\)\s*;", re.S)


def header_cdef(inc):
    """The cdef text for cffi, from the preprocessed public header."""
    cc = shlex.split(os.environ.get("CC", "cc"))
    res = subprocess.run([*cc, "-E", "-dD", "-I", inc, "-x", "c", "-"],
                         input="#include <indexbus/indexbus.h>\n", capture_output=True,
                         text=True, check=True)
    ours = os.path.realpath(os.path.join(inc, "indexbus")) + os.sep
    decls, defines, in_ours = [], [], False
    for line in res.stdout.splitlines():
        m = _LINE.match(line)
        if m:
            in_ours = os.path.realpath(os.path.join(inc, m.group(2))).startswith(ours) or \
                os.path.realpath(m.group(2)).startswith(ours)
            continue
        if not in_ours:
            continue
        if line.startswith("#"):
            d = _DEFINE.match(line)
            if not d or d.group(2) or not d.group(3) or d.group(1).endswith("_H"):
                continue  # include guards, INDEXBUS_API, function-like macros
            name, value = d.group(1), d.group(3)
            if value.startswith('"'):
                defines.append(f"static const char *const {name};")
            else:
                defines.append(f"#define {name} ...")
            continue
        decls.append(line)
    text = _ASSERT.sub("", "\n".join(decls))
    return text + "\n" + "\n".join(defines) + "\n"


INCLUDE_DIR, LIB_DIR = locate()

ffibuilder = FFI()
ffibuilder.cdef(header_cdef(INCLUDE_DIR))
ffibuilder.set_source(
    "indexbus._ffi",
    "#include <indexbus/indexbus.h>\n",
    include_dirs=[INCLUDE_DIR],
    library_dirs=[LIB_DIR],
    runtime_library_dirs=[LIB_DIR],
    libraries=["indexbus"],
)

if __name__ == "__main__":
    print(header_cdef(INCLUDE_DIR))
