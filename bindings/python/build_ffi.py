"""cffi build script (API mode): the declarations come from the public C header.

Run by setuptools through ``cffi_modules`` (setup.py). Two ways to get libindexbus:

- **bundled** (the default, and what wheels and the sdist use): the library's C sources
  are compiled into the extension itself, so ``pip install`` needs nothing but a C
  compiler for the sdist, and nothing at all for a wheel. The sources are ``csrc/`` (an
  sdist carries them; setup.py copies them there from the repository) or, in the tree,
  ``../../lib`` and ``../../abi/include``.
- **system**: link an installed or built ``libindexbus.so`` when INDEXBUS_PREFIX,
  INDEXBUS_INCLUDE_DIR / INDEXBUS_LIB_DIR or INDEXBUS_SYSTEM=1 (pkg-config) is set
  (``make check-python`` does this, to test the library of the build).

It

1. finds the IndexBus headers and the library or its sources (``locate``, ``bundled``),
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
import glob
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


def system_wanted():
    return any(os.environ.get(v) for v in
               ("INDEXBUS_PREFIX", "INDEXBUS_INCLUDE_DIR", "INDEXBUS_LIB_DIR")) or \
        os.environ.get("INDEXBUS_SYSTEM") == "1"


def bundled():
    """(include_dir, lib_dir, C sources) to compile in: csrc/ (an sdist), else the tree."""
    for base in (os.path.join(HERE, "csrc"), os.path.normpath(os.path.join(HERE, "..", ".."))):
        inc, lib = os.path.join(base, "abi", "include"), os.path.join(base, "lib")
        # setuptools wants source paths relative to setup.py's directory
        srcs = sorted(os.path.relpath(f, HERE) for f in glob.glob(os.path.join(lib, "*", "*.c")))
        if srcs and os.path.isfile(os.path.join(inc, "indexbus", "indexbus.h")):
            return inc, lib, srcs
    raise SystemExit("indexbus: no C sources to bundle (csrc/ or the repository's lib/); "
                     "set INDEXBUS_PREFIX or INDEXBUS_SYSTEM=1 to link an installed library")


def locate():
    """(include_dir, lib_dir) of an installed IndexBus, first match wins:

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


ffibuilder = FFI()
if system_wanted():
    INCLUDE_DIR, LIB_DIR = locate()
    ffibuilder.set_source(
        "indexbus._ffi",
        "#include <indexbus/indexbus.h>\n",
        include_dirs=[INCLUDE_DIR],
        library_dirs=[LIB_DIR],
        runtime_library_dirs=[LIB_DIR],
        libraries=["indexbus"],
    )
else:
    INCLUDE_DIR, _, SOURCES = bundled()
    # the library's own flags (Makefile): C11, GNU extensions, only INDEXBUS_API exported
    ffibuilder.set_source(
        "indexbus._ffi",
        "#include <indexbus/indexbus.h>\n",
        sources=SOURCES,
        include_dirs=[INCLUDE_DIR],
        define_macros=[("_GNU_SOURCE", None), ("INDEXBUS_BUILDING", None)],
        extra_compile_args=["-std=c11", "-fvisibility=hidden"],
        libraries=["rt", "pthread"],
    )
ffibuilder.cdef(header_cdef(INCLUDE_DIR))

if __name__ == "__main__":
    print(header_cdef(INCLUDE_DIR))
