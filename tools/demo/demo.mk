# tools/demo/demo.mk - the demo's C++ and Python consumers, and the venv the
# Python programs (demo, bench) run in; included by the top Makefile.
#   make demo-cxx      $(B)/demo/demo-sub-cxx (tools/demo/demo_sub.cpp, on indexbus.hpp)
#   make python-apps   $(B)/python-apps/venv: a venv with the indexbus package
#                      (pip install ./bindings/python, built against this tree)

DEMO_CXX   := $(B)/demo/demo-sub-cxx
PY_APPS    := $(B)/python-apps/venv
PY_APPS_PY := $(PY_APPS)/bin/python

.PHONY: demo-cxx python-apps

$(DEMO_CXX): tools/demo/demo_sub.cpp $(wildcard abi/include/indexbus/*.h*) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CXX,$@)$(CXX) -std=c++17 -O2 -Wall -Wextra -pedantic -Werror -Iabi/include \
	    -o $@ $< -L$(B) -lindexbus -Wl,-rpath,$(abspath $(B))

demo-cxx: $(DEMO_CXX)

# Rebuilt when the package or the library changes (the stamp is the venv's python).
$(PY_APPS)/.stamp: $(wildcard bindings/python/src/indexbus/*) bindings/python/build_ffi.py \
                   bindings/python/setup.py bindings/python/pyproject.toml $(B)/libindexbus.so
	@sh tools/deps.sh check --for python-apps python3 python3-venv python3-dev
	rm -rf $(PY_APPS)
	python3 -m venv $(PY_APPS)
	INDEXBUS_INCLUDE_DIR=$(abspath abi/include) INDEXBUS_LIB_DIR=$(abspath $(B)) \
	    $(PY_APPS_PY) -m pip install -q ./bindings/python
	@rm -rf bindings/python/build bindings/python/src/indexbus.egg-info
	@touch $@

python-apps: $(PY_APPS)/.stamp
