#!/bin/sh
# python.sh PREFIX - `python -m build` makes the indexbus sdist and wheel from
# bindings/python; each is installed into its own fresh virtual environment
# outside the tree (the wheel as is, the sdist compiled by pip), with no
# INDEXBUS_* setting, and a program there (test/outside/python/peer.py)
# exchanges messages with the installed C CLI. The wheel carries libindexbus
# compiled in: its extension needs no libindexbus.so; `peer.py log` uses a byte log
# (batch claim, claim, blocking publish, free space), the library's 1.1 sources;
# and a byte stream and requests go each way with the CLI (streams_and_requests).
set -u
PREFIX=$1; IB=$PREFIX/bin/indexbus
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
unset INDEXBUS_PREFIX INDEXBUS_INCLUDE_DIR INDEXBUS_LIB_DIR INDEXBUS_SYSTEM
python3 -m venv "$work/tools" && "$work/tools/bin/pip" install -q build >"$work/tools.log" 2>&1 ||
    { bad "a venv with build"; cat "$work/tools.log"; done_ outside-python; exit 1; }
if "$work/tools/bin/python" -m build --outdir "$work/dist" "$here/../../bindings/python" \
        >"$work/build.log" 2>&1; then
    ok "python -m build: sdist and wheel"
else
    bad "python -m build: sdist and wheel"; tail -n 30 "$work/build.log"
fi
rm -rf "$here/../../bindings/python/build" "$here/../../bindings/python/src/indexbus.egg-info"
# the sdist carries every C source of lib/ (csrc/ is a copy setup.py makes), and the
# extension defines every indexbus_* symbol that the installed library exports
sdist=$(ls "$work"/dist/indexbus-*.tar.gz 2>/dev/null | head -n 1)
if [ -n "$sdist" ]; then
    expect "sdist: csrc/ carries every source of lib/" \
        "$(cd "$here/../.." && ls lib/*/*.[ch] | sort)" \
        "$(tar tzf "$sdist" | sed -n 's|^indexbus-[^/]*/csrc/\(lib/.*\.[ch]\)$|\1|p' | sort)"
fi
exports() { nm -D --defined-only "$1" | awk '{print $3}' | sed -n 's/^\(indexbus_[^@]*\).*/\1/p' | sort -u; }
cp "$here/python/peer.py" "$work/"
for kind in whl tar.gz; do
    art=$(ls "$work"/dist/indexbus-*."$kind" 2>/dev/null | head -n 1)
    [ -n "$art" ] || { bad "$kind: built"; continue; }
    env=$work/venv-$kind
    if python3 -m venv "$env" && (cd "$work" && "$env/bin/pip" install -q "$art") >"$work/$kind.log" 2>&1; then
        ok "pip install $(basename "$art") into a fresh venv"
    else
        bad "pip install $(basename "$art") into a fresh venv"; tail -n 20 "$work/$kind.log"; continue
    fi
    ext=$(ls "$env"/lib/python3*/site-packages/indexbus/_ffi*.so | head -n 1)
    if readelf -d "$ext" | grep -q 'NEEDED.*libindexbus'; then
        bad "$kind: libindexbus compiled into the extension"
    else
        ok "$kind: libindexbus compiled into the extension"
    fi
    expect "$kind: the extension defines the library's every indexbus_* symbol" \
        "$(exports "$PREFIX/lib/libindexbus.so")" "$(exports "$ext")"
    exchange "Python ($kind)" "$env/bin/python" "$work/peer.py"
    streams_and_requests "Python ($kind)" "$env/bin/python" "$work/peer.py"
    expect "Python ($kind): byte log" "$(printf '4024\none\n(empty)\nthree\ntwo\nfour')" \
        "$("$env/bin/python" "$work/peer.py" log "/ibout-log-$$-$kind" 2>&1)"
done
done_ outside-python
