# test/fuzz/fuzz.mk - libFuzzer harness for hostile region contents; -include'd by
# the top Makefile.
#   make fuzz-build   $(B)/fuzz/fuzz_region: the library sources and the harness,
#                     compiled with clang -fsanitize=fuzzer,address,undefined
#                     (its own objects under $(B)/fuzz/obj, not the normal build's)
#   make check-fuzz   smoke run from the seed corpus (test/fuzz/corpus): bounded
#                     by FUZZ_SMOKE_RUNS executions and FUZZ_SMOKE_TIME seconds,
#                     fixed seed; fails on any finding
#   make fuzz-long    FUZZ_JOBS parallel jobs of FUZZ_RUNS executions each (or
#                     FUZZ_TIME seconds); prints executions, exec/s, coverage and
#                     findings (artifacts in $(B)/fuzz/long/artifacts)
#   make fuzz-corpus  regenerate the seed corpus (test/fuzz/make_corpus.py)
# clang and its libFuzzer runtime come through tools/deps.sh (clang, libfuzzer).

FUZZ_CC         ?= clang
FUZZ_DIR        := $(B)/fuzz
FUZZ_BIN        := $(FUZZ_DIR)/fuzz_region
FUZZ_SAN        := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS     := -std=c11 -D_GNU_SOURCE $(WARN) -Iabi/include -O1 -g $(FUZZ_SAN)
FUZZ_LIB_OBJ    := $(LIB_SRC:%.c=$(FUZZ_DIR)/obj/%.o)
FUZZ_SMOKE_RUNS ?= 20000
FUZZ_SMOKE_TIME ?= 35
FUZZ_RUNS       ?= 5000000
FUZZ_TIME       ?= 0
FUZZ_JOBS       ?= 2

.PHONY: fuzz-deps fuzz-build check-fuzz fuzz-long fuzz-corpus

fuzz-deps:
	@sh tools/deps.sh check --for check-fuzz clang libfuzzer

# Library sources: coverage-instrumented, sanitized, with test/fuzz/shim.h
# force-included (guard pages around every mapping, warped monotonic time).
$(FUZZ_DIR)/obj/lib/%.o: lib/%.c $(LIB_HDR) $(wildcard abi/include/indexbus/*.h) \
                         test/fuzz/shim.h | fuzz-deps
	@mkdir -p $(@D)
	$(call say,FUZZCC,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    -include test/fuzz/shim.h -c $< -o $@

$(FUZZ_DIR)/obj/fuzz_region.o: test/fuzz/fuzz_region.c test/fuzz/fuzz13.h test/fuzz/fuzz13_ops.h \
                                test/fuzz/mutator.h \
                                $(wildcard abi/include/indexbus/*.h) | fuzz-deps
	@mkdir -p $(@D)
	$(call say,FUZZCC,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_DIR)/obj/shim.o: test/fuzz/shim.c test/fuzz/shim.h | fuzz-deps
	@mkdir -p $(@D)
	$(call say,FUZZCC,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

# The concurrent rogue writer: sanitized, but (like shim.o) without coverage,
# so its timing-dependent spin loops add nothing to libFuzzer's features.
$(FUZZ_DIR)/obj/mutator.o: test/fuzz/mutator.c test/fuzz/mutator.h | fuzz-deps
	@mkdir -p $(@D)
	$(call say,FUZZCC,$<)$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BIN): $(FUZZ_DIR)/obj/fuzz_region.o $(FUZZ_DIR)/obj/shim.o $(FUZZ_DIR)/obj/mutator.o \
             $(FUZZ_LIB_OBJ)
	$(call say,FUZZLD,$@)$(FUZZ_CC) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(LDLIBS)

fuzz-build: $(FUZZ_BIN)

check-fuzz: fuzz-build
	@FUZZ_RUNS=$(FUZZ_SMOKE_RUNS) FUZZ_TIME=$(FUZZ_SMOKE_TIME) \
	    sh test/fuzz/run.sh smoke $(FUZZ_BIN) $(FUZZ_DIR)/smoke

fuzz-long: fuzz-build
	@FUZZ_RUNS=$(FUZZ_RUNS) FUZZ_TIME=$(FUZZ_TIME) FUZZ_JOBS=$(FUZZ_JOBS) \
	    sh test/fuzz/run.sh long $(FUZZ_BIN) $(FUZZ_DIR)/long

fuzz-corpus:
	python3 test/fuzz/make_corpus.py test/fuzz/corpus
