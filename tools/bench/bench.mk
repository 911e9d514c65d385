# tools/bench/bench.mk - the benchmark harness; -included by the top Makefile.
#   make bench         the full run (under 10 minutes on 2 cores): a table on stdout and
#                      $(B)/bench/latest.json (raw figures and the ratio keys)
#   make bench-quick   a smoke run for CI (seconds): checks that every part runs and
#                      that every ratio key gets a value, not the targets;
#                      writes $(B)/bench/quick.json
#   make bench-report  regenerate docs/PERFORMANCE.md's tables and docs/perf/*.png
#                      from $(B)/bench/latest.json (matplotlib in a venv under $(B)/bench)
#   make bench-bridge  the bridge section alone (indexbus-bridge against local
#                      nats-servers, about 40 s): $(B)/bench/bridge.json
#   make bench-peers   the peers section alone (iceoryx2 and Aeron IPC beside us,
#                      about 3 minutes): $(B)/bench/peers.json
# Any part alone: $(B)/bench/indexbus-bench --only SECTION[,SECTION...] with
# the arguments of BENCH_ARGS below; sections latency, throughput, multi, work,
# log, blocking, baseline, stream, rpc, bindings, threads, bridge, peers.
# The bridge section is in the full run only (not in bench-quick): it needs
# nats-server and libnats (make deps); without them it is skipped, saying so.
# So is the peers section: its programs are built here from their registry
# packages (tools/bench/peers: the iceoryx2 crate with cargo, io.aeron:aeron-all
# with mvn), under $(B)/bench/peers, the first cargo build taking minutes; a
# missing toolchain or a failed build leaves that peer's rows out, saying why.
# The harness is C (tools/bench/*.c, linked with the static library); the binding
# benches are bindings/go/cmd/indexbus-bench, io.indexbus.bench.Bench in the Java jar
# bindings/rust/indexbus/examples/bench.rs, tools/bench/lang_cxx.cpp and
# bindings/python/examples/bench.py (in the $(PY_APPS) venv), each run by the harness as a child.

BENCH_DIR    := $(B)/bench
BENCH_SRC    := $(filter-out tools/bench/lang_c.c tools/bench/nats_pub.c,$(wildcard tools/bench/*.c))
BENCH_OBJ    := $(BENCH_SRC:tools/bench/%.c=$(BENCH_DIR)/obj/%.o)
BENCH_BIN    := $(BENCH_DIR)/indexbus-bench
BENCH_LANG_C := $(BENCH_DIR)/bench-lang-c
BENCH_GO     := $(B)/go/indexbus-bench
BENCH_RUST   := bindings/rust/target/release/examples/bench
BENCH_CXX    := $(BENCH_DIR)/bench-lang-cxx
BENCH_JAR    := $(JAVA_JAR)
# The bridge section: the plain cnats publisher (links libnats, so built
# only where its header is) and the bridge program (tools/bridge).
BENCH_HAVE_NATS := $(if $(wildcard /usr/include/nats/nats.h /usr/local/include/nats/nats.h),1)
BENCH_NATS_PUB  := $(BENCH_DIR)/bench-nats-pub
BENCH_BRIDGE    := $(B)/indexbus-bridge
BENCH_NATS_BINS := $(if $(BENCH_HAVE_NATS),$(BENCH_NATS_PUB) $(if $(wildcard tools/bridge/*.c),$(BENCH_BRIDGE)))
# No sanitizers here, whatever SAN says: these are timings.
BENCH_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -Iabi/include -O2 -g
BENCH_ARGS    = --lang-c $(BENCH_LANG_C) --go $(BENCH_GO) --rust $(BENCH_RUST) \
                --java-jar $(BENCH_JAR) --cxx $(BENCH_CXX) --python $(PY_APPS_PY) \
                --python-bench bindings/python/examples/bench.py \
                --bridge $(BENCH_BRIDGE) --nats-pub $(BENCH_NATS_PUB) \
                --peer-iox2 $(BENCH_IOX2) --peer-java-cp $(BENCH_JAVA_CP)
# The peers (issue 18): bench-iox2 (tools/bench/peers/iox2, iceoryx2's crate, its
# own release profile) and the Aeron/our-Java programs (tools/bench/peers/aeron),
# whose run classpath goes to $(BENCH_JAVA_CP). Each recipe says why it skips a
# peer and never fails the bench: the section skips what is not there.
BENCH_PEERS   := $(BENCH_DIR)/peers
BENCH_IOX2    := $(BENCH_PEERS)/iox2/release/bench-iox2
BENCH_JAVA_CP := $(BENCH_PEERS)/aeron.cp
BENCH_VENV   := $(BENCH_DIR)/venv
BENCH_PY     := $(BENCH_VENV)/bin/python

.PHONY: bench bench-quick bench-report bench-bins bench-langs bench-bridge bench-peers \
        bench-peer-bins

$(BENCH_DIR)/obj/%.o: tools/bench/%.c $(wildcard tools/bench/*.h) $(wildcard abi/include/indexbus/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(BENCH_CFLAGS) -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ) $(ALIB)
	$(call say,LD,$@)$(CC) -o $@ $(BENCH_OBJ) $(ALIB) $(LDLIBS) -lm

$(BENCH_LANG_C): $(BENCH_DIR)/obj/lang_c.o $(ALIB)
	$(call say,LD,$@)$(CC) -o $@ $< $(ALIB) $(LDLIBS)

# The C++ twin, on indexbus.hpp, linked with the static library as lang_c.c is.
$(BENCH_CXX): tools/bench/lang_cxx.cpp $(wildcard abi/include/indexbus/*.h*) $(ALIB)
	@mkdir -p $(@D)
	$(call say,CXX,$@)$(CXX) -std=c++17 -O2 -g -Wall -Wextra -pedantic -Werror -Iabi/include \
	    -o $@ $< $(ALIB) $(LDLIBS)

bench-bins: $(BENCH_BIN) $(BENCH_LANG_C) $(BENCH_CXX)

$(BENCH_NATS_PUB): tools/bench/nats_pub.c
	@mkdir -p $(@D)
	$(call say,CC,$@)$(CC) $(BENCH_CFLAGS) -o $@ $< -lnats

# The Go, Java and Rust benches (each fragment checks its own tools), and the
# venv the Python bench runs in (tools/demo/demo.mk).
bench-langs: lib
	$(MAKE) go-bench
	$(MAKE) java-binding
	$(MAKE) rust-bench
	$(MAKE) python-apps

# cargo and mvn decide themselves whether anything is to rebuild (cargo in well
# under a second, mvn in a few seconds); the first iceoryx2 build is niced.
bench-peer-bins:
	@mkdir -p $(BENCH_PEERS)
	@if ! command -v cargo >/dev/null 2>&1; then rm -f $(BENCH_IOX2); \
	    echo "  peers: no cargo: the iceoryx2 rows will be skipped"; \
	elif echo "  CARGO $(BENCH_IOX2) (iceoryx2 0.10; the first build takes minutes)" && \
	    ( cd tools/bench/peers/iox2 && CARGO_TARGET_DIR=$(abspath $(BENCH_PEERS))/iox2 \
	      nice -n 10 cargo build --release --locked ) > $(BENCH_PEERS)/iox2.log 2>&1; then :; \
	else rm -f $(BENCH_IOX2); tail -n 20 $(BENCH_PEERS)/iox2.log; \
	    echo "  peers: the iceoryx2 build failed (log: $(BENCH_PEERS)/iox2.log): its rows will be skipped"; fi
	@rm -f $(BENCH_JAVA_CP); \
	if ! command -v java >/dev/null 2>&1 || ! command -v $(MVN) >/dev/null 2>&1; then \
	    echo "  peers: no java or mvn: the Aeron and our Java rows will be skipped"; \
	elif [ ! -f $(JAVA_JAR) ]; then \
	    echo "  peers: no $(JAVA_JAR) (make java-binding): the Aeron and our Java rows will be skipped"; \
	elif echo "  MVN   $(BENCH_PEERS)/aeron (io.aeron:aeron-all)" && \
	    ( cd tools/bench/peers/aeron && $(MVN) -B -ntp -q -Dpeers.out=$(abspath $(BENCH_PEERS))/aeron \
	      -Dindexbus.jar=$(abspath $(JAVA_JAR)) package dependency:build-classpath \
	      -Dmdep.outputFile=$(abspath $(BENCH_PEERS))/aeron.deps ) > $(BENCH_PEERS)/aeron.log 2>&1; then \
	    echo "$(abspath $(BENCH_PEERS))/aeron/bench-peers-aeron-1.jar:$$(cat $(BENCH_PEERS)/aeron.deps)" > $(BENCH_JAVA_CP); \
	else tail -n 20 $(BENCH_PEERS)/aeron.log; \
	    echo "  peers: the Aeron build failed (log: $(BENCH_PEERS)/aeron.log): its rows will be skipped"; fi

bench: bench-bins bench-langs $(BENCH_NATS_BINS)
	@$(MAKE) --no-print-directory bench-peer-bins
	@echo "  BENCH full run: about 7 minutes; load before: $$(cut -d' ' -f1-3 /proc/loadavg)"
	$(BENCH_BIN) $(BENCH_ARGS) --out $(BENCH_DIR)/latest.json

bench-bridge: $(BENCH_BIN) $(BENCH_NATS_BINS)
	$(BENCH_BIN) --only bridge $(BENCH_ARGS) --out $(BENCH_DIR)/bridge.json

bench-peers: $(BENCH_BIN)
	@$(MAKE) --no-print-directory java-binding || echo "  peers: make java-binding failed: our Java rows will be skipped"
	@$(MAKE) --no-print-directory bench-peer-bins
	$(BENCH_BIN) --only peers $(BENCH_ARGS) --out $(BENCH_DIR)/peers.json

bench-quick: bench-bins bench-langs
	$(BENCH_BIN) --quick $(BENCH_ARGS) --out $(BENCH_DIR)/quick.json

# matplotlib comes from PyPI into a venv under $(B)/bench; if that cannot be had,
# this fails and says so.
$(BENCH_PY):
	@command -v python3 >/dev/null 2>&1 || { echo "bench-report: needs python3" >&2; exit 1; }
	@echo "  VENV  $(BENCH_VENV) (matplotlib)"
	@python3 -m venv $(BENCH_VENV) || { rm -rf $(BENCH_VENV); \
	    echo "bench-report: python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; exit 1; }
	@$(BENCH_VENV)/bin/pip install -q matplotlib >$(BENCH_DIR)/venv.log 2>&1 || { cat $(BENCH_DIR)/venv.log >&2; \
	    rm -rf $(BENCH_VENV); echo "bench-report: pip install matplotlib failed (log above)" >&2; exit 1; }

bench-report: $(BENCH_PY)
	@[ -f $(BENCH_DIR)/latest.json ] || { echo "bench-report: no $(BENCH_DIR)/latest.json: run 'make bench' first" >&2; exit 1; }
	$(BENCH_PY) tools/bench/report.py $(BENCH_DIR)/latest.json docs/PERFORMANCE.md docs/perf
