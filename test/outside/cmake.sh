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
