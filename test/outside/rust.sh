#!/bin/sh
# rust.sh PREFIX [SRC] - the Rust crates as crates.io would get them: `cargo
# package` (verified with the bundled feature) in a copy of what the crates
# need (bindings/rust, lib, abi, the licenses) holding only committed files
# (`git archive HEAD`), the two .crate files unpacked, and a fresh crate
# outside the tree that depends on them (indexbus by path, indexbus-sys
# through [patch.crates-io]). It builds and runs (a) with the `bundled`
# feature and nothing installed in sight, and (b) without it, against the
# install in PREFIX through pkg-config (libindexbus.a, so no LD_LIBRARY_PATH);
# each exchanges messages with the installed CLI, and a byte stream and requests
# each way (streams_and_requests). (c) Without either, the build fails and says
# how to get the library.
# SRC: take those files from SRC's working tree instead (to try uncommitted
# changes: sh test/outside/rust.sh PREFIX "$PWD").
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus; SRC=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
unset INDEXBUS_LIB_DIR INDEXBUS_INCLUDE_DIR INDEXBUS_LINK PKG_CONFIG_PATH
export CARGO_TARGET_DIR=$work/target
mkdir -p "$work/repo" "$work/crates" "$work/app/src"
parts="bindings/rust lib abi LICENSE LICENSE-MIT LICENSE-APACHE"
if [ -n "$SRC" ]; then
    # shellcheck disable=SC2086
    (cd "$SRC" && tar -cf - --exclude=bindings/rust/target $parts) | tar -x -C "$work/repo"
else
    # shellcheck disable=SC2086
    (cd "$here/../.." && git archive HEAD $parts) | tar -x -C "$work/repo"
fi
if (cd "$work/repo/bindings/rust" && cargo package --locked --workspace \
        --features indexbus-sys/bundled,indexbus/bundled) >"$work/package.log" 2>&1; then
    ok "cargo package: both crates, verified"
else
    bad "cargo package: both crates, verified"; tail -n 20 "$work/package.log"
fi
for c in "$CARGO_TARGET_DIR"/package/indexbus-*.crate; do tar -xzf "$c" -C "$work/crates"; done
cp "$here/rust/main.rs" "$work/app/src/"
app_toml() { # FEATURES
    cat > "$work/app/Cargo.toml" <<TOML
[package]
name = "peer"
version = "0.1.0"
edition = "2021"

[dependencies]
indexbus = { path = "$work/crates/indexbus-1.0.0", features = [$1] }

[patch.crates-io]
indexbus-sys = { path = "$work/crates/indexbus-sys-1.0.0" }

[workspace]
TOML
}
app_toml '"bundled"'
if (cd "$work/app" && cargo build -q) >"$work/bundled.log" 2>&1; then
    ok "bundled: builds with nothing installed"
    readelf -d "$CARGO_TARGET_DIR/debug/peer" | grep -q 'NEEDED.*libindexbus' &&
        bad "bundled: no libindexbus.so needed" || ok "bundled: no libindexbus.so needed"
    exchange "Rust (bundled)" "$CARGO_TARGET_DIR/debug/peer"
    streams_and_requests "Rust (bundled)" "$CARGO_TARGET_DIR/debug/peer"
else
    bad "bundled: builds with nothing installed"; tail -n 20 "$work/bundled.log"
fi
app_toml ''
if (cd "$work/app" && PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" cargo build -q) \
        >"$work/system.log" 2>&1; then
    ok "system: builds against the install through pkg-config"
    grep -qs "rustc-link-search=native=$PREFIX/lib\$" "$CARGO_TARGET_DIR"/debug/build/indexbus-sys-*/output &&
        ok "system: linked from $PREFIX/lib" || bad "system: linked from $PREFIX/lib"
    readelf -d "$CARGO_TARGET_DIR/debug/peer" | grep -q 'NEEDED.*libindexbus' &&
        bad "system: libindexbus.a linked in" || ok "system: libindexbus.a linked in"
    exchange "Rust (pkg-config)" "$CARGO_TARGET_DIR/debug/peer"
    streams_and_requests "Rust (pkg-config)" "$CARGO_TARGET_DIR/debug/peer"
else
    bad "system: builds against the install through pkg-config"; tail -n 20 "$work/system.log"
fi
mkdir -p "$work/no-pc"
if (cd "$work/app" && PKG_CONFIG_LIBDIR="$work/no-pc" cargo build -q) >"$work/none.log" 2>&1; then
    bad "neither bundled nor an install: the build fails"
else
    grep -q 'libindexbus not found: enable the `bundled` feature' "$work/none.log" &&
        ok "neither bundled nor an install: the build fails, naming bundled and pkg-config" ||
        { bad "neither bundled nor an install: the build fails, naming bundled and pkg-config"
          tail -n 20 "$work/none.log"; }
fi
done_ outside-rust
