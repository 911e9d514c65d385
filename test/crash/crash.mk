# test/crash/crash.mk - the SIGKILL campaign; included by the top Makefile.
#   make check-crash   build test/crash/crash.c against the shared library in
#                      $(B), run CRASH_ITERS kill iterations (default 1000,
#                      fixed seed; CRASH_SEED=n to change), print the results
#                      and "crash: N passed, M failed" (N/M = iterations);
#                      results also in $(CRASH_RESULTS). 1000 iterations take
#                      about 25 s on 2 CPUs (the quick run in make check);
#                      the events, fanout and byte-log scenarios, the
#                      durable ones (1.2: HOLD consumers, a marked producer),
#                      the byte-stream and request/response ones and the 1.3
#                      ones (fanout-recycle-bcast/-wq, mpsc-batch-events/
#                      -fanout, mpsc-recycle-events) share them
#                      (670 / 78 / 112 / 140)
#   make crash-long    the same, CRASH_LONG_ITERS iterations (default 20000)
#   make crash-repro   build and run the deterministic repros of the library
#                      bugs the campaign found (each exits 1 while its bug is
#                      there, 0 once fixed); part of make check. Among them
#                      the byte-log kill points, ptrace-exact: every point of
#                      a claim, a commit and a wrap for SPSC and MPSC
#                      producers (repro_log_kill_points) and of a receive
#                      (repro_log_consumer_points), each exits 1 while any
#                      point breaks an invariant; repro_rpc_* and
#                      repro_stream_* are the byte-stream and request/response
#                      bugs; repro_fanout_recycle_points: a router killed
#                      after every store of a recycling step or of an idle
#                      refill (1.3), at most one slot left for the sweep
# Programs are linked with -z now: lazy PLT binding would add a few hundred
# single-steps to every traced call. Programs go to $(B)/crash; the results
# to $(B)/crash/results.txt, or to $(B)/results.txt when B already ends in
# /crash (so B=build and B=build/crash both write build/crash/results.txt).
# recover.c and router-step.c in this directory are harness tests (recovery
# of SIGKILLed participants, of a router killed at each point of a step):
# the top Makefile builds them with the feature tests, into $(B)/test/crash,
# and check-c runs them.

CRASH_DIR     := $(B)/crash
CRASH_BIN     := $(CRASH_DIR)/crash
CRASH_RESULTS ?= $(if $(filter %/crash,$(B)),$(B),$(CRASH_DIR))/results.txt
CRASH_ITERS   ?= 1000
CRASH_LONG_ITERS ?= 20000
CRASH_SEED    ?=
CRASH_HDR := $(wildcard test/crash/*.h) $(wildcard abi/include/indexbus/*.h)
CRASH_REPROS  := $(patsubst test/crash/%.c,$(CRASH_DIR)/%,$(wildcard test/crash/repro_*.c))

.PHONY: check-crash crash-long crash-build crash-repro

# The campaign (crash.c) and every repro: one program per source file.
$(CRASH_DIR)/%: test/crash/%.c $(CRASH_HDR) $(B)/libindexbus.so
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(ALL_CFLAGS) -o $@ $< -L$(B) -lindexbus \
	    -Wl,-rpath,$(abspath $(B)) -Wl,-z,now $(LDLIBS)

crash-build: $(CRASH_BIN) $(CRASH_REPROS)

check-crash: lib $(CRASH_BIN)
	@CRASH_ITERS=$(CRASH_ITERS) CRASH_SEED=$(CRASH_SEED) CRASH_RESULTS=$(CRASH_RESULTS) $(CRASH_BIN)

crash-long: lib $(CRASH_BIN)
	@CRASH_ITERS=$(CRASH_LONG_ITERS) CRASH_SEED=$(CRASH_SEED) CRASH_RESULTS=$(CRASH_RESULTS) $(CRASH_BIN)

crash-repro: lib $(CRASH_REPROS)
	@fail=0; for t in $(CRASH_REPROS); do echo "== $$(basename $$t)"; $$t || fail=$$((fail + 1)); done; \
	    echo "crash-repro: $$fail of $(words $(CRASH_REPROS)) repros still reproduce"; [ $$fail -eq 0 ]

