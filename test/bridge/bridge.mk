# test/bridge/bridge.mk - the bridge tests, against real nats-servers on 127.0.0.1 (random
# ports, temporary stores, stopped by pid); included by the top Makefile.
#   make check-bridge        every test below (test/bridge/run.sh): two-hosts (1,000,000
#                            messages region A -> server 1 -> server 2 -> region B, read and
#                            checked by a Python consumer), counters (`indexbus info`),
#                            auth, bad-input and the kill campaign
#   make check-bridge-kill   the kill campaign alone: 100 SIGKILLs of `bridge out` and 100 of
#                            `bridge in` (random times and traced points), a nats-server
#                            restarted mid-stream; figures in $(BRIDGE_CAMPAIGN)
# Needs nats-server and libnats-dev (`make deps`). BRIDGE_TESTS="auth bad-input" runs a subset.

BRIDGE_T        := $(B)/bridge-test
BRIDGE_GEN      := $(BRIDGE_T)/ibgen
BRIDGE_EXE      := $(B)/indexbus-bridge
BRIDGE_CAMPAIGN := $(B)/bridge-campaign.txt
BRIDGE_TESTS    ?= two-hosts counters auth bad-input kill

.PHONY: check-bridge check-bridge-kill bridge-test-deps bridge-test-build

bridge-test-deps:
	@sh tools/deps.sh check --for check-bridge nats-server libnats pkg-config python3 \
	    python3-venv python3-dev

$(BRIDGE_GEN): test/bridge/ibgen.c $(wildcard abi/include/indexbus/*.h) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,LD,$@)$(CC) $(ALL_CFLAGS) -o $@ $< -L$(B) -lindexbus \
	    -Wl,-rpath,'$$ORIGIN/..' $(LDLIBS)

# In sequence: the deps message comes before any build step that needs them.
bridge-test-build: bridge-test-deps
	$(MAKE) all $(BRIDGE_EXE) $(BRIDGE_GEN) python-apps

check-bridge: bridge-test-build
	@bash test/bridge/run.sh $(B) $(BRIDGE_TESTS)

check-bridge-kill: bridge-test-build
	@bash test/bridge/run.sh $(B) kill
