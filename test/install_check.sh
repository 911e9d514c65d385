#!/bin/sh
# install_check.sh BUILD - `make install DESTDIR=...` lays out headers,
# libraries and indexbus.pc so that a program built with
# `pkg-config --cflags --libs indexbus` compiles and runs, in C and in C++
# (indexbus.hpp); the library has
# SONAME libindexbus.so.1 and exports only indexbus_* at INDEXBUS_1.0 / 1.1;
# `make uninstall` removes it all again.
B=${1:-build}
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { name=$1; shift; if "$@" >/dev/null 2>&1; then ok "$name"; else bad "$name"; fi; }

root=$(mktemp -d); trap 'rm -rf "$root"' EXIT
prefix=/opt/indexbus
make -s install B="$B" DESTDIR="$root" PREFIX=$prefix >/dev/null || { echo "install failed"; exit 1; }
lib=$root$prefix/lib
check "real file" test -f "$lib/libindexbus.so.1.0.0"
check "soname link" test "$(readlink "$lib/libindexbus.so.1")" = libindexbus.so.1.0.0
check "dev link" test "$(readlink "$lib/libindexbus.so")" = libindexbus.so.1
check "static lib" test -f "$lib/libindexbus.a"
inc=$root$prefix/include/indexbus
check "headers" test -f "$inc/indexbus.h" -a -f "$inc/layout.h" -a -f "$inc/indexbus.hpp"
check "cli" test -x "$root$prefix/bin/indexbus"
check "soname" sh -c "readelf -d '$lib/libindexbus.so.1.0.0' | grep -q 'SONAME.*\[libindexbus.so.1\]'"
# every dynamic symbol the library defines is indexbus_* at a version node
# INDEXBUS_1.<minor>
bad_syms=$(nm -D --defined-only "$lib/libindexbus.so.1.0.0" | awk '{print $3}' |
           grep -v '^INDEXBUS_1\.[0-9][0-9]*$' | grep -v '^indexbus_[a-z_0-9]*@@INDEXBUS_1\.[0-9][0-9]*$')
check "exports only indexbus_* @INDEXBUS_1.x" test -z "$bad_syms"
[ -z "$bad_syms" ] || echo "    unexpected: $bad_syms"

export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$root"
check "pkg-config knows indexbus" pkg-config --exists indexbus
check "pkg-config version" test "$(pkg-config --modversion indexbus)" = 1.0.0
exe=$root/hello
if ${CC:-cc} -o "$exe" docs/examples/hello.c $(pkg-config --cflags --libs indexbus) 2>&1; then
    ok "example compiles with pkg-config"
    out=$(LD_LIBRARY_PATH="$lib" "$exe")
    check "example runs" test "$out" = "INDEXBUS_OK: hello, bus"
else
    bad "example compiles with pkg-config"
fi
cxx_exe=$root/hello-cxx
if ${CXX:-c++} -std=c++17 -o "$cxx_exe" docs/examples/hello.cpp $(pkg-config --cflags --libs indexbus) 2>&1; then
    ok "C++ example compiles with pkg-config"
    out=$(LD_LIBRARY_PATH="$lib" "$cxx_exe")
    check "C++ example runs" test "$out" = "$(printf 'hello, bus\n!')"
else
    bad "C++ example compiles with pkg-config"
fi
make -s uninstall B="$B" DESTDIR="$root" PREFIX=$prefix >/dev/null
left=$(find "$root$prefix" -type f -o -type l)
check "uninstall removes everything" test -z "$left"
echo "install: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
