# The cffi extension indexbus._ffi is built by build_ffi.py (API mode, declarations
# taken from <indexbus/indexbus.h>); everything else is in pyproject.toml.
from setuptools import setup

setup(cffi_modules=["build_ffi.py:ffibuilder"])
