# bindings/python/python.mk - the Python package (cffi, API mode); included by the top Makefile.
#   make check-python   a fresh venv in $(B)/python-venv, `pip install ./bindings/python`
#                       (cffi, pytest and numpy from PyPI), then pytest on bindings/python/tests
# The package is built against abi/include and $(B)/libindexbus.so (INDEXBUS_INCLUDE_DIR,
# INDEXBUS_LIB_DIR; bindings/python/README.md has the other ways it finds them).

PYTHON      ?= python3
PY_VENV     := $(B)/python-venv
PY_ENV      := INDEXBUS_INCLUDE_DIR=$(abspath abi/include) INDEXBUS_LIB_DIR=$(abspath $(B))
# numpy is optional: the numpy test skips without it.
PY_TEST_PKGS ?= pytest numpy

.PHONY: check-python python-deps

python-deps:
	@sh tools/deps.sh check --for check-python python3 python3-venv python3-dev

check-python: python-deps lib cli
	rm -rf $(PY_VENV)
	$(PYTHON) -m venv $(PY_VENV)
	$(PY_ENV) $(PY_VENV)/bin/python -m pip install -q ./bindings/python $(PY_TEST_PKGS)
	@rm -rf bindings/python/build bindings/python/src/indexbus.egg-info
	cd bindings/python && INDEXBUS_CLI=$(abspath $(CLI)) $(abspath $(PY_VENV))/bin/python \
	    -m pytest -p no:cacheprovider -q tests; rc=$$?; \
	    if [ $$rc = 5 ]; then echo "check-python: pytest collected no tests" >&2; exit 1; fi; exit $$rc
