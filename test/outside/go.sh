#!/bin/sh
# go.sh PREFIX - a Go module outside the tree (test/outside/go/main.go) uses
# the IndexBus Go module from a copy of its committed files only (`git
# archive HEAD bindings/go`: the SWIG output is committed), through a replace
# directive; libindexbus is found by `#cgo pkg-config: indexbus` with
# PKG_CONFIG_PATH as the only setting. `go build` and `go run` both work, and
# the program exchanges messages with the installed CLI, and a byte stream and
# requests each way (streams_and_requests: io.Copy through the stream writer
# and reader, a call and a server).
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
GO=go; command -v go >/dev/null 2>&1 || GO=/usr/local/go/bin/go
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/src" "$work/app"
(cd "$here/../.." && git archive HEAD bindings/go) | tar -x -C "$work/src"
cp "$here/go/main.go" "$work/app/"
cat > "$work/app/go.mod" <<MOD
module example.com/peer

go 1.22

require github.com/indexbus/indexbus/bindings/go v1.0.0

replace github.com/indexbus/indexbus/bindings/go => $work/src/bindings/go
MOD
# Only PKG_CONFIG_PATH; no CGO_* flags, no LD_LIBRARY_PATH (the .pc's rpath finds the library).
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
unset CGO_CFLAGS CGO_LDFLAGS LD_LIBRARY_PATH
if (cd "$work/app" && GOFLAGS=-mod=mod "$GO" build -o peer . ) >"$work/build.log" 2>&1; then
    ok "go build from the module's committed files"
    exchange "Go (go build)" "$work/app/peer"
    streams_and_requests "Go (go build)" "$work/app/peer"
else
    bad "go build from the module's committed files"; sed 's/^/    /' "$work/build.log" | tail -n 20
fi
expect "go run" "$(printf 'one\ntwo words\nthree')" "$(
    name=/ibout-gorun-$$; "$IB" create "$name" >/dev/null &&
    (cd "$work/app" && GOFLAGS=-mod=mod "$GO" run . pub "$name" one "two words" three) &&
    "$IB" sub "$name" --count 3 --timeout-ms 5000 2>/dev/null; "$IB" unlink "$name" 2>/dev/null)"
done_ outside-go
