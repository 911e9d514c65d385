# conformance/agents/bindings.mk - the Go, Java and Rust conformance agents
# (conformance/PROTOCOL.md); -include'd by conformance/conformance.mk, after the
# top Makefile and the binding fragments (it uses their variables and targets).
#
#   make conformance-agents-bindings   build all three agents
#
# Each agent is a thin user of its binding's public API only:
#   Go    conformance/agents/go      module of its own; package indexbus through a replace
#                                    directive; binary $(B)/conformance/go/indexbus-conformance-agent
#   Java  conformance/agents/java    io.indexbus.conformance.Agent, compiled against the binding
#                                    jar into $(B)/conformance/java
#   Rust  conformance/agents/rust    cargo package of its own (Cargo.lock committed) on the
#                                    indexbus crate; release binary under its own target/
#
# AGENT_GO, AGENT_JAVA and AGENT_RUST are the command lines that run each agent, relative
# to the repository root (where the runner runs); they are exported to sub-processes too.

CONF_AGENTS_DIR   := conformance/agents
CONF_GO_DIR       := $(CONF_AGENTS_DIR)/go
CONF_GO_BIN       := $(B)/conformance/go/indexbus-conformance-agent
CONF_JAVA_SRC     := $(CONF_AGENTS_DIR)/java/Agent.java
CONF_JAVA_CLASSES := $(B)/conformance/java
CONF_JAVA_JAR     := $(JAVA_JAR)
CONF_RUST_DIR     := $(CONF_AGENTS_DIR)/rust
CONF_RUST_BIN     := $(CONF_RUST_DIR)/target/release/indexbus-conformance-agent
# As RUST_ENV (bindings/rust/rust.mk), with the agent's own target directory.
CONF_RUST_ENV     := INDEXBUS_LIB_DIR=$(abspath $(B)) \
                     INDEXBUS_INCLUDE_DIR=$(abspath abi/include) \
                     CARGO_TARGET_DIR=$(abspath $(CONF_RUST_DIR)/target)
JAVA              ?= java
JAVAC             ?= javac

AGENT_GO   := $(CONF_GO_BIN)
AGENT_JAVA := $(JAVA) -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -cp $(CONF_JAVA_JAR):$(CONF_JAVA_CLASSES) io.indexbus.conformance.Agent
AGENT_RUST := $(CONF_RUST_BIN)
export AGENT_GO AGENT_JAVA AGENT_RUST

.PHONY: conformance-agents-bindings conformance-agent-go conformance-agent-java \
        conformance-agent-rust

conformance-agents-bindings: conformance-agent-go conformance-agent-java conformance-agent-rust

# Like go-demo: the tools first, then the binding build in a sub-make that sees them
# (lib is built here so the sub-make finds it up to date even under -j), then the agent
# with the binding's cgo environment (GO_ENV: the library in $(B), rpath included).
# Go's build cache does not key on what pkg-config says, so a binding package built
# for another B (another build directory on this machine) would be linked with that
# directory's rpath; naming $(B) in CGO_LDFLAGS, which is keyed, keeps them apart.
CONF_GO_LDFLAGS := -O2 -g -L$(abspath $(B)) -Wl,-rpath,$(abspath $(B))
conformance-agent-go: go-deps lib
	$(Q)$(MAKE) --no-print-directory go-binding
	@mkdir -p $(dir $(CONF_GO_BIN))
	$(call say,GO,build $(CONF_GO_BIN))cd $(CONF_GO_DIR) && $(GO_ENV) \
	    CGO_LDFLAGS='$(CONF_GO_LDFLAGS)' $(GO) build -o $(abspath $(CONF_GO_BIN)) .

# java-binding builds the jar (JNI library with libindexbus linked in) from $(B).
conformance-agent-java: java-binding
	@mkdir -p $(CONF_JAVA_CLASSES)
	$(call say,JAVAC,$(CONF_JAVA_SRC))$(JAVAC) --release 17 -Xlint:all -Werror \
	    -cp $(CONF_JAVA_JAR) -d $(CONF_JAVA_CLASSES) $(CONF_JAVA_SRC)

# libindexbus.a from $(B) is linked statically (INDEXBUS_LIB_DIR), as for the binding.
conformance-agent-rust: rust-deps $(ALIB)
	$(call say,CARGO,build --release $(CONF_RUST_DIR))cd $(CONF_RUST_DIR) && \
	    $(CONF_RUST_ENV) $(CARGO) build --locked --release --quiet
