#!/bin/sh
# deps.sh TOOL... - make sure build tools exist. Installs missing ones with
# apt-get when running as root on Debian/Ubuntu; otherwise says what to
# install and fails.
missing=""
for t in "$@"; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] && exit 0
pkgs=""
for t in $missing; do
    case $t in
    clang) pkgs="$pkgs clang" ;;
    pkg-config) pkgs="$pkgs pkg-config" ;;
    readelf|nm) pkgs="$pkgs binutils" ;;
    setarch) pkgs="$pkgs util-linux" ;;
    *) pkgs="$pkgs $t" ;;
    esac
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "deps: installing$pkgs" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs) >&2 &&
        exit 0
fi
echo "deps: missing$missing; install the Debian packages:$pkgs" >&2
exit 1
