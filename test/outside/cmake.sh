#!/bin/sh
# cmake.sh PREFIX - a CMake project outside the tree (test/outside/cmake),
# configured with find_package(IndexBus 1.0 CONFIG REQUIRED) against the
# install in PREFIX, built with g++ and with clang++: the C++ peer links
# IndexBus::indexbus, the C peer IndexBus::indexbus_static; both exchange
# messages with the installed CLI; the C++ peer also sends a byte stream and
# requests each way (streams_and_requests). A request for 2.0 must be refused.
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# streams_and_requests LABEL PEER-COMMAND...: 300 kB of random bytes through a
# byte stream each way (peer write -> CLI stream read, CLI stream write ->
# peer read; 64 KiB rings, so each side waits for the other), compared with
# cmp; requests each way (peer call -> CLI serve --echo, CLI request -> peer
# serve, which answers "peer:" + the request). Each side in its own process.
streams_and_requests() {
    label=$1; shift
    name=/ibout-sr-$$-$pass-$fail
    head -c 300000 /dev/urandom >"$work/in.bin"
    "$IB" create "$name-a" --kind stream --bytes 65536 >/dev/null &&
        "$IB" create "$name-b" --kind stream --bytes 65536 >/dev/null &&
        "$IB" create "$name-c" --kind rpc >/dev/null &&
        "$IB" create "$name-d" --kind rpc >/dev/null || { bad "$label: create"; return; }
    "$IB" stream read "$name-a" --timeout-ms 10000 >"$work/out-a.bin" & rd=$!
    "$@" write "$name-a" <"$work/in.bin" || bad "$label: stream write"
    wait $rd
    cmp -s "$work/in.bin" "$work/out-a.bin" && ok "$label stream -> C" ||
        { bad "$label stream -> C"; ls -l "$work/in.bin" "$work/out-a.bin"; }
    "$IB" stream write "$name-b" --timeout-ms 10000 <"$work/in.bin" & wr=$!
    "$@" read "$name-b" >"$work/out-b.bin" || bad "$label: stream read"
    wait $wr
    cmp -s "$work/in.bin" "$work/out-b.bin" && ok "C stream -> $label" ||
        { bad "C stream -> $label"; ls -l "$work/in.bin" "$work/out-b.bin"; }
    "$IB" serve "$name-c" --echo --count 2 >/dev/null 2>&1 & sv=$!
    expect "$label request -> C server" "$(printf 'ping\nhello world')" \
        "$("$@" call "$name-c" ping "hello world")"
    wait $sv
    "$@" serve "$name-d" 2 & sv=$!
    expect "C request -> $label server" "$(printf 'peer:one\npeer:two words')" \
        "$("$IB" request "$name-d" --data one --timeout-ms 10000 &&
           "$IB" request "$name-d" --data "two words" --timeout-ms 10000)"
    wait $sv || bad "$label: serve"
    for s in a b c d; do "$IB" unlink "$name-$s" 2>/dev/null; done
}
cp "$here/cmake/CMakeLists.txt" "$here/peer.c" "$here/peer.cpp" "$work/"
for cxx in g++ clang++; do
    cc=gcc; [ "$cxx" = clang++ ] && cc=clang
    out=$work/build-$cxx
    if cmake -S "$work" -B "$out" -DCMAKE_PREFIX_PATH="$PREFIX" -DCMAKE_CXX_COMPILER=$cxx \
            -DCMAKE_C_COMPILER=$cc >"$work/$cxx.log" 2>&1 &&
       cmake --build "$out" >>"$work/$cxx.log" 2>&1; then
        ok "cmake ($cxx): find_package and build"
        exchange "C++ (cmake, $cxx)" "$out/peer-cxx"
        streams_and_requests "C++ (cmake, $cxx)" "$out/peer-cxx"
        exchange "C static (cmake, $cc)" "$out/peer-static"
    else
        bad "cmake ($cxx): find_package and build"; sed 's/^/    /' "$work/$cxx.log" | tail -n 20
    fi
done
sed -i 's/find_package(IndexBus 1.0/find_package(IndexBus 2.0/' "$work/CMakeLists.txt"
if cmake -S "$work" -B "$work/build-v2" -DCMAKE_PREFIX_PATH="$PREFIX" >/dev/null 2>&1; then
    bad "cmake: a request for IndexBus 2.0 is refused"
else
    ok "cmake: a request for IndexBus 2.0 is refused"
fi
done_ outside-cmake
