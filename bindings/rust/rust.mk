# bindings/rust/rust.mk - Rust binding; -include'd by the top Makefile.
#   make check-rust      cargo test (unit, integration, doc tests) + clippy -D warnings
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

.PHONY: check-rust rust-binding rust-deps rust-demo rust-bench

rust-deps:
	@sh tools/deps.sh check --for check-rust cargo libclang

rust-binding: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) build --locked --all-targets

rust-demo: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) build --locked --release --example demo_sub

rust-bench: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) build --locked --release --example bench

check-rust: rust-deps $(ALIB)
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) test --locked
	cd $(RUST_DIR) && $(RUST_ENV) $(CARGO) clippy --locked --all-targets -- -D warnings
