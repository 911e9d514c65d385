#!/bin/sh
# deps.sh TOOL... - make sure build tools exist. Installs missing ones with
# apt-get when running as root on Debian/Ubuntu; otherwise names the
# packages to install and fails. "libclang" is checked as a library.
have() {
    case $1 in
    libclang) ls /usr/lib/llvm-*/lib/libclang*.so* /usr/lib/x86_64-linux-gnu/libclang*.so* \
                  >/dev/null 2>&1 ;;
    *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}
package_of() {
    case $1 in
    readelf|nm) echo binutils ;;
    setarch) echo util-linux ;;
    libclang) echo libclang-dev ;;
    javac|java) echo openjdk-17-jdk-headless ;;
    mvn) echo maven ;;
    go) echo golang-go ;;
    cargo) echo cargo ;;
    *) echo "$1" ;;
    esac
}
missing=""; pkgs=""
for t in "$@"; do
    have "$t" && continue
    missing="$missing $t"
    pkgs="$pkgs $(package_of "$t")"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing$pkgs" >&2
    if (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs) >&2; then
        exit 0
    fi
fi
echo "deps: missing$missing; install the Debian packages:$pkgs" >&2
exit 1
