# test/rogue/rogue.mk - the live-rogue test (issue 10); included by the top Makefile.
#   make check-rogue   the library sources built with ASan + UBSan into
#                      $(B)/rogue-asan, the test into $(B)/rogue/live_rogue; runs
#                      rounds of traffic processes against a region a rogue
#                      process rewrites meanwhile, for about ROGUE_TIME seconds
#                      (fixed seed ROGUE_SEED); prints per-round lines, status
#                      histograms and "rogue: N passed, M failed" (rounds)
#   make fuzz-live     the same checks in long mode: random seed (printed), random
#                      strategy and round length per round, for FUZZ_TIME seconds
#                      (600 when FUZZ_TIME is unset or 0)
# Logs of failing rounds stay in $(B)/rogue/{check,long}/rounds; their seeds and
# the command that re-runs each are in .../findings.txt. ROGUE_ARGS passes more
# options (e.g. ROGUE_ARGS="--strategy pool -v"); see test/rogue/README.md.

ROGUE_DIR  := $(B)/rogue
ROGUE_LIBB := $(B)/rogue-asan
ROGUE_BIN  := $(ROGUE_DIR)/live_rogue
ROGUE_SAN  := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
ROGUE_SRC  := $(wildcard test/rogue/*.c)
ROGUE_HDR  := $(wildcard test/rogue/*.h) $(wildcard abi/include/indexbus/*.h)
ROGUE_TIME ?= 25
ROGUE_SEED ?= 1
ROGUE_ARGS ?=
FUZZ_LIVE_TIME = $(if $(filter-out 0,$(FUZZ_TIME)),$(FUZZ_TIME),600)

.PHONY: rogue-lib rogue-build check-rogue fuzz-live

# The library, sanitized, in its own build dir (as check-asan builds it).
rogue-lib:
	@$(MAKE) --no-print-directory lib B=$(ROGUE_LIBB) OPT=-O1 SAN="$(ROGUE_SAN)"

$(ROGUE_BIN): $(ROGUE_SRC) $(ROGUE_HDR) | rogue-lib
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) -std=c11 -D_GNU_SOURCE $(WARN) -Iabi/include -O1 -g $(ROGUE_SAN) \
	    -o $@ $(ROGUE_SRC) -L$(ROGUE_LIBB) -lindexbus -Wl,-rpath,$(abspath $(ROGUE_LIBB)) $(LDLIBS)

rogue-build: $(ROGUE_BIN)

check-rogue: rogue-build
	@ASAN_OPTIONS=detect_leaks=0 $(ROGUE_BIN) --seed $(ROGUE_SEED) --time $(ROGUE_TIME) --out $(ROGUE_DIR)/check $(ROGUE_ARGS)

fuzz-live: rogue-build
	@ASAN_OPTIONS=detect_leaks=0 $(ROGUE_BIN) --long --time $(FUZZ_LIVE_TIME) --out $(ROGUE_DIR)/long $(ROGUE_ARGS)
