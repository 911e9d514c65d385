#!/bin/sh
# c.sh PREFIX - a C program outside the tree, built through pkg-config from an
# install in PREFIX: dynamically (found at run time by the rpath pkg-config's
# libdir gives) and fully static (--static: Libs.private too); each exchanges
# messages with the installed CLI.
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cp "$(dirname "$0")/peer.c" "$work/"
export PKG_CONFIG_PATH="$PREFIX/lib/pkgconfig"
expect "the .pc names the install's prefix" "$PREFIX" "$(pkg-config --variable=prefix indexbus)"
libdir=$(pkg-config --variable=libdir indexbus)
if ${CC:-cc} -o "$work/peer" "$work/peer.c" $(pkg-config --cflags --libs indexbus) \
        -Wl,-rpath,"$libdir"; then
    ok "pkg-config: dynamic build"
    readelf -d "$work/peer" | grep -q 'NEEDED.*libindexbus.so.1' && ok "dynamic: needs libindexbus.so.1" \
        || bad "dynamic: needs libindexbus.so.1"
    exchange "C (pkg-config)" "$work/peer"
else
    bad "pkg-config: dynamic build"
fi
if ${CC:-cc} -static -o "$work/peer-static" "$work/peer.c" \
        $(pkg-config --static --cflags --libs indexbus); then
    ok "pkg-config --static: static build"
    readelf -d "$work/peer-static" 2>/dev/null | grep -q NEEDED && bad "static: no shared libraries" \
        || ok "static: no shared libraries"
    exchange "C (pkg-config --static)" "$work/peer-static"
else
    bad "pkg-config --static: static build"
fi
done_ outside-c
