# bindings/rust/rust.mk - Rust binding; -include'd by the top Makefile.
#   make check-rust      cargo test (unit, integration, doc tests; and again with the
#                        `bundled` feature), clippy -D warnings, check-rust-bindings
#   make check-rust-bindings  regenerate the bindings with bindgen (libclang) and fail
#                        on any difference from the committed indexbus-sys/src/bindings.rs
#   make rust-bindings   regenerate and replace the committed bindings
#   make rust-package    cargo package for both crates (into bindings/rust/target/package)
#   make rust-binding    build the workspace (all targets)
#   make rust-demo       target/release/examples/demo_sub, the Rust consumer of `make demo`
#   make rust-bench      target/release/examples/bench, the Rust side of `make bench`
# The static $(ALIB) from this build dir is linked (INDEXBUS_LIB_DIR), so
# test binaries need no rpath. Cargo output goes to bindings/rust/target.

RUST_DIR   := bindings/rust
CARGO      ?= cargo
RUST_ENV   := INDEXBUS_LIB_DIR=$(abspath $(B)) \
              INDEXBUS_INCLUDE_DIR=$(abspath abi/include) \
              CARGO_TARGET_DIR=$(abspath $(RUST_DIR)/target)

.PHONY: check-rust rust-binding rust-deps rust-demo rust-bench check-rust-bindings rust-bindings \
        rust-package

RUST_BINDINGS := $(RUST_DIR)/indexbus-sys/src/bindings.rs

rust-deps:
	@sh tools/deps.sh check --for check-rust cargo

# bindgen writes a copy of what it generated to INDEXBUS_BINDINGS_OUT (build.rs).
$(B)/rust-bindings.rs: $(wildcard abi/include/indexbus/*.h) $(RUST_DIR)/indexbus-sys/build.rs
	@sh tools/deps.sh check --for check-rust-bindings cargo libclang
	@mkdir -p $(@D)
	cd $(RUST_DIR) && $(RUST_ENV) INDEXBUS_BINDINGS_OUT=$(abspath $@) \
	    $(CARGO) build --locked -q -p indexbus-sys --features bindgen

check-rust-bindings: $(B)/rust-bindings.rs
	@if cmp -s $< $(RUST_BINDINGS); then echo "PASS $(RUST_BINDINGS) is bindgen's output"; \
	else echo "FAIL $(RUST_BINDINGS) differs from bindgen's output (make rust-bindings, then commit)"; \
	    diff -u $(RUST_BINDINGS) $< | head -n 20; exit 1; fi

rust-bindings: $(B)/rust-bindings.rs
	cp $< $(RUST_BINDINGS)

# Both crates as crates.io would get them (symlinked C sources and licenses become
# files), each verified by building it with the `bundled` feature; the safe crate is
# packaged against the -sys crate of the same run. The .crate files end up in
# bindings/rust/target/package.
# That -sys crate reaches the safe crate's verification through a local registry
# under the target directory, and cargo takes a registry crate of a given version
# as immutable: it extracts it into $CARGO_HOME/registry/src once and never
# rebuilds it. Packaging changed sources under the same version would verify the
# safe crate against the first run's copy. So the packaging runs in its own target
# directory, emptied first, after removing the extracted copies that directory's
# earlier runs used (named in its build outputs).
RUST_PKG_DIR  := $(RUST_DIR)/target/packaging
RUST_STALE_RE := /[^ :=]*/registry/src/-[0-9a-f]+/indexbus(-sys)?-$(subst .,\.,$(VERSION))
rust-package: rust-deps
	@for d in $$(grep -ohsE '$(RUST_STALE_RE)' $(RUST_PKG_DIR)/debug/deps/*.d \
	        $(RUST_PKG_DIR)/debug/build/indexbus-sys-*/output | sort -u); do \
	    echo "rm -rf $$d (an earlier run's extracted copy)"; rm -rf "$$d"; done
	rm -rf $(RUST_PKG_DIR)
	cd $(RUST_DIR) && $(CARGO) package --locked --workspace --allow-dirty \
	    --features indexbus-sys/bundled,indexbus/bundled \
	    --target-dir $(abspath $(RUST_PKG_DIR))
	@mkdir -p $(RUST_DIR)/target/package
	cp $(RUST_PKG_DIR)/package/indexbus-sys-$(VERSION).crate \
	    $(RUST_PKG_DIR)/package/indexbus-$(VERSION).crate $(RUST_DIR)/target/package/

rust-binding: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) build --locked --all-targets

rust-demo: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) build --locked --release --example demo_sub

rust-bench: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) build --locked --release --example bench

check-rust: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) test --locked
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) test --locked -p indexbus --features bundled
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) clippy --locked --all-targets -- -D warnings
	$(MAKE) --no-print-directory check-rust-bindings
