# conformance/conformance.mk - the cross-language conformance suite; -include'd by the
# top Makefile after the binding fragments.
#   make conformance-agents   the C and C++ agents and the Python venv, plus the Go/Java/Rust agents when
#                             conformance/agents/bindings.mk exists
#   make conformance          build the agents, then run the whole matrix
#                             (conformance/run.py); CONF_ARGS adds runner options,
#                             e.g. CONF_ARGS="--rows spsc,golden -v"
#   make conformance-golden   rewrite conformance/golden/*.bin with the C agent
# Honours B (the library build dir). The C++ agent is built on indexbus.hpp; the
# Python agent runs on the indexbus package in the $(PY_APPS) venv (python-apps).

CONF_AGENT_C   := $(B)/conformance/agent-c
CONF_AGENT_CXX := $(B)/conformance/agent-cxx
CONF_PYTHON    ?= python3
CONF_ARGS      ?=

.PHONY: conformance conformance-agents conformance-golden

# C11, the library's own warning set (-Werror), linked against the shared library,
# which it finds beside itself in the tree.
$(CONF_AGENT_C): conformance/agents/c/agent.c $(wildcard abi/include/indexbus/*.h) \
                 $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -o $@ $< -L$(B) -lindexbus \
	    -Wl,-rpath,'$$ORIGIN/..' $(LDLIBS)

# C++17 on the header-only <indexbus/indexbus.hpp>, linked the same way.
$(CONF_AGENT_CXX): conformance/agents/cxx/agent.cpp $(wildcard abi/include/indexbus/*.h*) \
                   $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CXX,$@)$(CXX) -std=c++17 -O2 -Wall -Wextra -pedantic -Werror -Iabi/include \
	    -o $@ $< -L$(B) -lindexbus -Wl,-rpath,'$$ORIGIN/..'

# The Go, Java and Rust agents: their fragment defines conformance-agents-bindings
# and AGENT_GO / AGENT_JAVA / AGENT_RUST. Without it, the suite runs C and Python.
-include conformance/agents/bindings.mk

ifneq ($(wildcard conformance/agents/bindings.mk),)
CONF_BINDINGS_DEP := conformance-agents-bindings
else
CONF_BINDINGS_DEP :=
endif

# The Python agent runs on the indexbus package, in the venv tools/demo/demo.mk
# makes (python-apps); `=`, as that fragment is included after this one.
CONF_AGENT_ARGS  = --agent c=$(CONF_AGENT_C) --agent cxx=$(CONF_AGENT_CXX) \
                   --agent python='$(PY_APPS_PY) conformance/agents/python/agent.py'
ifneq ($(strip $(AGENT_GO)),)
CONF_AGENT_ARGS += --agent go='$(AGENT_GO)'
endif
ifneq ($(strip $(AGENT_JAVA)),)
CONF_AGENT_ARGS += --agent java='$(AGENT_JAVA)'
endif
ifneq ($(strip $(AGENT_RUST)),)
CONF_AGENT_ARGS += --agent rust='$(AGENT_RUST)'
endif

conformance-agents: lib $(CONF_AGENT_C) $(CONF_AGENT_CXX) python-apps $(CONF_BINDINGS_DEP)

conformance: conformance-agents
	@[ -n '$(CONF_BINDINGS_DEP)' ] || echo "  conformance: no conformance/agents/bindings.mk," \
	    "so no Go/Java/Rust agents: running C, C++ and Python only"
	$(call say,RUN,conformance/run.py)$(CONF_PYTHON) conformance/run.py \
	    --lib $(B)/libindexbus.so $(CONF_AGENT_ARGS) $(CONF_ARGS)

conformance-golden: lib $(CONF_AGENT_C)
	$(CONF_PYTHON) conformance/run.py --lib $(B)/libindexbus.so --agent c=$(CONF_AGENT_C) \
	    --regen-golden --rows golden
