# IndexBus - plain Makefile (zstd style).
#   make                 shared + static library and the indexbus CLI
#   make check           every test           make check-asan / check-tsan
#   make demo            fanout demo          make install / uninstall
# Install honours PREFIX, DESTDIR, LIBDIR, INCLUDEDIR, BINDIR, PKGCONFIGDIR, CMAKEDIR.

VERSION      := 1.0.0
SOMAJOR      := 1
PREFIX       ?= /usr/local
LIBDIR       ?= $(PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
BINDIR       ?= $(PREFIX)/bin
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=

CC      ?= cc
B       ?= build
V       ?= 0
ifeq ($(V),0)
Q       := @
say      = @echo "  $(1) $(2)";
else
Q       :=
say      =
endif
OPT     ?= -O2
SAN     ?=
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CFLAGS  ?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -fPIC $(WARN) -Iabi/include $(CFLAGS) $(SAN)
LIB_CFLAGS := $(ALL_CFLAGS) -fvisibility=hidden -DINDEXBUS_BUILDING
LDLIBS  := -lrt -pthread

SONAME  := libindexbus.so.$(SOMAJOR)
SOLIB   := $(B)/libindexbus.so.$(VERSION)
ALIB    := $(B)/libindexbus.a
CLI     := $(B)/indexbus

LIB_SRC := $(wildcard lib/*/*.c)
LIB_HDR := $(wildcard lib/*/*.h)
LIB_OBJ := $(LIB_SRC:%.c=$(B)/%.o)
CLI_SRC := $(wildcard tools/indexbus/*.c)
CLI_OBJ := $(CLI_SRC:%.c=$(B)/%.o)
# One program per feature (test/*.c), plus the recovery programs among the
# crash tests (test/crash/); the support code in TEST_LIB is linked into each.
TEST_LIB := test/harness.c test/mp_util.c test/fixture.c
TEST_SRC := $(wildcard test/*.c) test/crash/recover.c test/crash/router-step.c
TEST_BIN := $(patsubst test/%.c,$(B)/test/%,$(filter-out $(TEST_LIB),$(TEST_SRC)))
TEST_LIB_OBJ := $(TEST_LIB:%.c=$(B)/%.o)

.PHONY: all lib cli tests deps check-deps check check-c check-ordering check-install check-cli check-cli-pipe check-asan check-tsan \
        check-clang check-bindings demo install uninstall clean distclean
all: lib cli

lib: $(SOLIB) $(B)/$(SONAME) $(B)/libindexbus.so $(ALIB)
cli: $(CLI)

$(B)/lib/%.o: lib/%.c $(LIB_HDR) $(wildcard abi/include/indexbus/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(LIB_CFLAGS) -c $< -o $@

$(SOLIB): $(LIB_OBJ) abi/libindexbus.map
	$(call say,LD,$@)$(CC) -shared $(SAN) -Wl,-soname,$(SONAME) -Wl,--version-script=abi/libindexbus.map \
	    -Wl,-z,defs -o $@ $(LIB_OBJ) $(LDLIBS)

$(B)/$(SONAME): $(SOLIB)
	$(Q)ln -sf $(notdir $(SOLIB)) $@
$(B)/libindexbus.so: $(B)/$(SONAME)
	$(Q)ln -sf $(SONAME) $@

$(ALIB): $(LIB_OBJ)
	$(Q)rm -f $@
	$(call say,AR,$@)ar rcs $@ $^

$(B)/tools/%.o: tools/%.c $(wildcard tools/indexbus/*.h) $(wildcard abi/include/indexbus/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -c $< -o $@

# The CLI links the shared library and finds it beside itself in the tree.
$(CLI): $(CLI_OBJ) $(B)/libindexbus.so
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $(CLI_OBJ) -L$(B) -lindexbus -Wl,-rpath,'$$ORIGIN:$$ORIGIN/../lib' $(LDLIBS)

# ---- tests -------------------------------------------------------------------
$(B)/test/%.o: test/%.c $(wildcard test/*.h) $(wildcard abi/include/indexbus/*.h)
	@mkdir -p $(@D)
	$(call say,CC,$<)$(CC) $(ALL_CFLAGS) -Ilib -Itest -c $< -o $@

$(B)/test/%: $(B)/test/%.o $(TEST_LIB_OBJ) $(B)/libindexbus.so
	$(call say,LD,$@)$(CC) $(SAN) -o $@ $< $(TEST_LIB_OBJ) -L$(B) -lindexbus -Wl,-rpath,'$$ORIGIN/..:$$ORIGIN/../..' $(LDLIBS)

tests: $(TEST_BIN)

# Every tool a target here uses; `make deps` is the one place that installs
# them (apt-get, as root), every other target only checks (tools/deps.sh).
DEPS := pkg-config readelf nm setarch python3 clang libfuzzer abidw abidiff \
        swig go javac mvn cargo libclang python3-venv python3-dev \
        g++ clang++ cmake nats-server libnats tmux

deps:
	@PATH="$(GO_PATH)" sh tools/deps.sh install $(DEPS)

check-deps:
	@PATH="$(GO_PATH)" sh tools/deps.sh check --for check $(DEPS)

# The feature tests (unit, scripted seed and multi-process cases of each) and
# the crash-recovery tests: one program each.
check-c: all tests
	@B=$(B) IB_TSAN=$(IB_TSAN) sh test/run.sh $(TEST_BIN)

# Every ordered atomic in lib/ names its pair (the fixture proves the check
# bites), every file the architecture map names exists, and the README's C
# and C++ examples are the programs the tests run.
check-ordering:
	@python3 tools/check_ordering.py
	@if python3 tools/check_ordering.py test/ordering/unannotated.c >/dev/null; then \
	    echo "ordering: the check missed the fixture's unannotated site" >&2; exit 1; fi
	@python3 tools/check_doc_paths.py docs/ARCHITECTURE.md
	@python3 tools/check_readme_examples.py

check-install: all
	@sh test/install_check.sh $(B)

check-cli: all
	@sh test/cli.sh $(B)

check-cli-pipe: all
	@sh test/cli-pipe.sh $(B)

# The CLI's observers as another user with read access only (root: a
# temporary user and group; skipped otherwise).
.PHONY: check-readonly
check-readonly: all
	@sh test/readonly-user.sh $(B)

check: check-deps
	$(MAKE) check-ordering
	$(MAKE) check-c
	$(MAKE) check-fuzz
	$(MAKE) crash-repro
	$(MAKE) check-crash
	$(MAKE) check-rogue
	$(MAKE) abi-check
	$(MAKE) check-abi-gate
	$(MAKE) check-cli
	$(MAKE) check-cli-pipe
	$(MAKE) check-cli-operators
	$(MAKE) check-readonly
	$(MAKE) check-bridge
	$(MAKE) check-install
	$(MAKE) check-outside
	$(MAKE) check-clang
	$(MAKE) check-headers
	$(MAKE) check-cxx
	$(MAKE) check-bindings
	$(MAKE) check-python
	$(MAKE) conformance
	$(MAKE) bench-quick

# Go, Java and Rust suites (each fragment installs or names what it needs).
check-bindings:
	$(MAKE) check-go
	$(MAKE) check-java
	$(MAKE) check-rust

check-asan:
	$(MAKE) check-c B=build/asan OPT=-O1 SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all"

# TSan maps shadow memory at fixed addresses; a high-entropy ASLR kernel can
# collide with it, so the runner disables ASLR for the test processes.
check-tsan:
	$(MAKE) check-c B=build/tsan OPT=-O1 SAN="-fsanitize=thread" IB_TSAN=1

# Build everything with clang as well (warnings are errors there too).
check-clang:
	$(MAKE) all tests B=build/clang CC=clang

# ---- bindings: each owns a fragment defining check-<lang> -------------------------
include bindings/go/go.mk
include bindings/java/java.mk
include bindings/rust/rust.mk
include bindings/python/python.mk
include abi/abi.mk
include conformance/conformance.mk
include test/fuzz/fuzz.mk
include test/crash/crash.mk
include test/rogue/rogue.mk
include tools/bench/bench.mk
include tools/bridge/bridge.mk
include test/headers/headers.mk
include test/cxx/cxx.mk
include test/outside/outside.mk
include tools/demo/demo.mk
include test/bridge/bridge.mk
include tools/indexbus/cli.mk

# ---- demo ------------------------------------------------------------------------
# One fanout region: a C producer and router, and C, Go, Java, Rust, C++ and
# Python consumers.
demo: all go-demo java-binding rust-demo demo-cxx python-apps
	@JAVA_JAR=$(abspath $(JAVA_JAR)) sh tools/demo.sh $(B)

# ---- install -----------------------------------------------------------------------
# The .pc and the CMake package files name PREFIX, LIBDIR and INCLUDEDIR.
# $(B)/install.vars holds the values they were made with and is rewritten
# whenever one changes, so a later install with another prefix remakes them.
CMAKEDIR     ?= $(LIBDIR)/cmake/IndexBus
INSTALL_VARS := $(VERSION) $(PREFIX) $(LIBDIR) $(INCLUDEDIR)
CMAKE_FILES  := $(addprefix $(B)/cmake/,IndexBusConfig.cmake IndexBusConfigVersion.cmake \
                IndexBusTargets.cmake)
SUBST_VARS    = sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
                -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
                -e 's|@SOMAJOR@|$(SOMAJOR)|g'

.PHONY: FORCE
$(B)/install.vars: FORCE
	@mkdir -p $(@D)
	@[ "$$(cat $@ 2>/dev/null)" = '$(INSTALL_VARS)' ] || echo '$(INSTALL_VARS)' > $@
$(B)/indexbus.pc: pkgconfig/indexbus.pc.in $(B)/install.vars
	$(SUBST_VARS) $< > $@
$(B)/cmake/%: cmake/%.in $(B)/install.vars
	@mkdir -p $(@D)
	$(SUBST_VARS) $< > $@

install: all $(B)/indexbus.pc $(CMAKE_FILES)
	install -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR)/indexbus $(DESTDIR)$(BINDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(CMAKEDIR)
	install -m 0755 $(SOLIB) $(DESTDIR)$(LIBDIR)/
	ln -sf $(notdir $(SOLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libindexbus.so
	install -m 0644 $(ALIB) $(DESTDIR)$(LIBDIR)/
	install -m 0644 abi/include/indexbus/indexbus.h abi/include/indexbus/layout.h \
	    abi/include/indexbus/indexbus.hpp $(DESTDIR)$(INCLUDEDIR)/indexbus/
	install -m 0644 $(B)/indexbus.pc $(DESTDIR)$(PKGCONFIGDIR)/
	install -m 0644 $(CMAKE_FILES) $(DESTDIR)$(CMAKEDIR)/
	install -m 0755 $(CLI) $(DESTDIR)$(BINDIR)/

uninstall:
	rm -f $(DESTDIR)$(LIBDIR)/$(notdir $(SOLIB)) $(DESTDIR)$(LIBDIR)/$(SONAME) \
	    $(DESTDIR)$(LIBDIR)/libindexbus.so $(DESTDIR)$(LIBDIR)/libindexbus.a \
	    $(DESTDIR)$(INCLUDEDIR)/indexbus/indexbus.h $(DESTDIR)$(INCLUDEDIR)/indexbus/layout.h \
	    $(DESTDIR)$(INCLUDEDIR)/indexbus/indexbus.hpp \
	    $(DESTDIR)$(PKGCONFIGDIR)/indexbus.pc $(DESTDIR)$(BINDIR)/indexbus \
	    $(addprefix $(DESTDIR)$(CMAKEDIR)/,$(notdir $(CMAKE_FILES)))
	-rmdir $(DESTDIR)$(CMAKEDIR) $(DESTDIR)$(LIBDIR)/cmake 2>/dev/null
	-rmdir $(DESTDIR)$(INCLUDEDIR)/indexbus 2>/dev/null

clean:
	rm -rf build
distclean: clean
.SECONDARY:
