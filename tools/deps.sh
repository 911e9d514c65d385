#!/bin/sh
# deps.sh install|check [--for TARGET] TOOL... - the build tools.
#   install  installs the missing ones with apt-get (as root, on Debian); only
#            `make deps` runs this, so no test target ever installs anything
#   check    fails naming what is missing, its Debian package, and `make deps`
# "libclang" and "libnats" (the NATS C client, for the bridge) are checked as
# libraries; "libfuzzer" (clang's libFuzzer runtime)
# by linking a fuzz target with clang; "python3-venv" and "python3-dev" (venv with pip,
# Python.h for the cffi extension) by asking python3.
have_libfuzzer() {
    command -v clang >/dev/null 2>&1 || return 1
    d=$(mktemp -d) || return 1
    printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\n%s\n' \
        'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
        >"$d/t.c"
    clang -fsanitize=fuzzer "$d/t.c" -o "$d/t" >/dev/null 2>&1
    rc=$?
    rm -rf "$d"
    return $rc
}
# The runtime of the clang that is installed, else the default one's.
libfuzzer_package() {
    v=$(clang --version 2>/dev/null | sed -n 's/.*clang version \([0-9][0-9]*\).*/\1/p' | head -n 1)
    if [ -n "$v" ]; then echo "libclang-rt-$v-dev"; else echo libclang-rt-dev; fi
}
have() {
    case $1 in
    libclang) ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* \
                  >/dev/null 2>&1 ;;
    libnats) pkg-config --exists libnats 2>/dev/null ;;
    libfuzzer) have_libfuzzer ;;
    python3-venv) python3 -c 'import venv, ensurepip' >/dev/null 2>&1 ;;
    python3-dev) python3 -c 'import os, sys, sysconfig
sys.exit(not os.path.isfile(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
                     >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}
package_of() {
    case $1 in
    readelf|nm) echo binutils ;;
    abidw|abidiff) echo abigail-tools ;;
    setarch) echo util-linux ;;
    libclang) echo libclang-dev ;;
    libnats) echo libnats-dev ;;
    libfuzzer) libfuzzer_package ;;
    javac|java) echo openjdk-17-jdk-headless ;;
    mvn) echo maven ;;
    go) echo golang-go ;;
    cargo) echo cargo ;;
    g++) echo g++ ;;
    clang++) echo clang ;;
    *) echo "$1" ;;
    esac
}
mode=$1; shift
case $mode in install|check) ;; *) echo "usage: deps.sh install|check [--for TARGET] TOOL..." >&2; exit 2 ;; esac
target="make check"
if [ "${1:-}" = --for ]; then target="make $2"; shift 2; fi
missing=""; pkgs=""
for t in "$@"; do
    have "$t" && continue
    missing="$missing $t"
    pkgs="$pkgs $(package_of "$t")"
done
[ -z "$missing" ] && exit 0
if [ "$mode" = check ]; then
    echo "deps: $target needs$missing (Debian:$pkgs); run \`make deps\` (as root) to install them" >&2
    exit 1
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing$pkgs" >&2
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs) >&2; then
        exit 0
    fi
fi
echo "deps: missing$missing; install the Debian packages:$pkgs" >&2
exit 1
