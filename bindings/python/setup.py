# The cffi extension indexbus._ffi is built by build_ffi.py (API mode, declarations
# taken from <indexbus/indexbus.h>); everything else is in pyproject.toml.
#
# In the repository, the C sources (lib/, abi/include) and the license files are
# copied next to this file first (csrc/, LICENSE*), so that the sdist carries them
# and a wheel built from it compiles libindexbus in (build_ffi.py, "bundled").
# From an unpacked sdist the copies are already here.
import glob
import os
import shutil

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
TREE = os.path.normpath(os.path.join(HERE, "..", ".."))


def copy_from_tree():
    if not os.path.isfile(os.path.join(TREE, "abi", "include", "indexbus", "indexbus.h")):
        return  # an sdist: csrc/ and the licenses came with it
    csrc = os.path.join(HERE, "csrc")
    shutil.rmtree(csrc, ignore_errors=True)
    for part, pattern in (("lib", "*/*.[ch]"), (os.path.join("abi", "include"), "indexbus/*.h")):
        for src in glob.glob(os.path.join(TREE, part, pattern)):
            dst = os.path.join(csrc, part, os.path.relpath(src, os.path.join(TREE, part)))
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            shutil.copyfile(src, dst)
    for lic in ("LICENSE", "LICENSE-MIT", "LICENSE-APACHE"):
        shutil.copyfile(os.path.join(TREE, lic), os.path.join(HERE, lic))


copy_from_tree()
setup(cffi_modules=["build_ffi.py:ffibuilder"])
