#!/bin/sh
# rust.sh PREFIX - the Rust crates as crates.io would get them: `cargo package`
# (verified with the bundled feature) in a `git archive` copy of the
# repository (committed files only), the two .crate files unpacked, and a
# fresh crate outside the tree that depends on them (indexbus by path,
# indexbus-sys through [patch.crates-io]). It builds and runs (a) with the
# `bundled` feature and nothing installed in sight, and (b) without it,
# against the install in PREFIX through pkg-config; each exchanges messages
# with the installed CLI.
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
unset INDEXBUS_LIB_DIR INDEXBUS_INCLUDE_DIR INDEXBUS_LINK PKG_CONFIG_PATH
export CARGO_TARGET_DIR=$work/target
mkdir -p "$work/repo" "$work/crates" "$work/app/src"
(cd "$here/../.." && git archive HEAD) | tar -x -C "$work/repo"
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
else
    bad "bundled: builds with nothing installed"; tail -n 20 "$work/bundled.log"
fi
app_toml ''
if (cd "$work/app" && PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig" cargo build -q) \
        >"$work/system.log" 2>&1; then
    ok "system: builds against the install through pkg-config"
    exchange "Rust (pkg-config)" "$CARGO_TARGET_DIR/debug/peer"
else
    bad "system: builds against the install through pkg-config"; tail -n 20 "$work/system.log"
fi
done_ outside-rust
