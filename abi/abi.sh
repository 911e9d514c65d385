#!/bin/sh
# abi.sh check|baseline BUILD_DIR [LIBRARY] - the ABI gate (see abi/README.md).
#
#   check     compare the library built in BUILD_DIR with abi/baseline/ and
#             check the version script against the header and the library.
#   baseline  rewrite abi/baseline/ from BUILD_DIR, after the same structural
#             checks; refuses changes that are never allowed in this soname /
#             layout major unless ABI_BASELINE_FORCE=1.
#
#   check also compares the struct tables of abi/LAYOUT.md with the layout dump
#   of the headers (abi/layout_doc_check.py).
#
# Run from the repository root (the Makefile does). Uses $CC, nm, abidw,
# abidiff and python3. Intermediate files go to BUILD_DIR/abi/.
set -eu
mode=${1:?usage: abi.sh check|baseline BUILD_DIR}
B=${2:?usage: abi.sh check|baseline BUILD_DIR}
LIB=${3:-$B/libindexbus.so.1}
HDR=abi/include/indexbus/indexbus.h
MAP=abi/libindexbus.map
BASE=abi/baseline
OUT=$B/abi
export LC_ALL=C

problems=0
fail() { echo "abi-check: FAIL: $*" >&2; problems=$((problems + 1)); return 0; }
note() { echo "abi-check: $*"; }
die() { echo "abi-check: $*" >&2; exit 2; }

[ -f "$LIB" ] || die "$LIB not built (make lib B=$B)"
for t in nm abidw abidiff python3; do
    command -v $t >/dev/null 2>&1 || die "$t not found (Debian: binutils, abigail-tools, python3; make abi-deps)"
done
readelf -S "$LIB" 2>/dev/null | grep -q '\.debug_info' ||
    die "$LIB has no debug info: the gate needs the default -g build"
mkdir -p "$OUT"

# ---- the three views of the exported interface -------------------------------

# Version script: "N node parent" for each node, "G node symbol" for each
# global entry, "W node entry" for a global wildcard, "E message" on a parse
# error.
awk '
{ text = text $0 "\n" }
END {
    while ((i = index(text, "/*")) > 0) {
        rest = substr(text, i + 2); j = index(rest, "*/")
        text = substr(text, 1, i - 1) " " (j ? substr(rest, j + 2) : "")
    }
    gsub(/#[^\n]*/, "", text)
    gsub(/[{};:]/, " & ", text)
    n = split(text, tok, /[ \t\n]+/)
    st = "top"
    for (k = 1; k <= n; k++) {
        t = tok[k]; if (t == "") continue
        if (st == "top") { node = t; st = "open"; continue }
        if (st == "open") { if (t != "{") { print "E expected { after " node; exit } st = "body"; sect = "global"; continue }
        if (st == "body") {
            if ((t == "global" || t == "local") && tok[k + 1] == ":") { sect = t; k++; continue }
            if (t == "}") { st = "close"; parent = ""; continue }
            if (t == ";") continue
            if (t == "extern") { print "E extern blocks are not supported (node " node ")"; exit }
            if (sect == "global") print (t ~ /[*?\[]/ ? "W " : "G ") node " " t
            continue
        }
        if (st == "close") {
            if (t == ";") { print "N " node " " (parent == "" ? "-" : parent); st = "top"; continue }
            parent = t; continue
        }
    }
    if (st != "top") print "E unterminated node " node
}' "$MAP" >"$OUT/map.parsed"

# Header: names of the functions declared INDEXBUS_API.
awk '
{ text = text $0 "\n" }
END {
    while ((i = index(text, "/*")) > 0) {
        rest = substr(text, i + 2); j = index(rest, "*/")
        text = substr(text, 1, i - 1) " " (j ? substr(rest, j + 2) : "")
    }
    n = split(text, line, "\n"); body = ""; cont = 0
    for (k = 1; k <= n; k++) {
        l = line[k]; sub(/\/\/.*/, "", l)
        if (cont || l ~ /^[ \t]*#/) { cont = (l ~ /\\[ \t]*$/); continue }
        body = body " " l
    }
    m = split(body, stmt, /[;{}]/)
    for (k = 1; k <= m; k++) {
        s = stmt[k]
        if (s !~ /^[ \t]*INDEXBUS_API[ \t]/) continue
        p = index(s, "("); if (!p) continue
        s = substr(s, 1, p - 1); sub(/[ \t]+$/, "", s)
        match(s, /[A-Za-z_][A-Za-z0-9_]*$/); print substr(s, RSTART, RLENGTH)
    }
}' "$HDR" | sort >"$OUT/header.api"

# Library: defined dynamic symbols as name@@VERSION (node symbols as the bare
# node name), sorted.
nm -D --defined-only "$LIB" | awk '{ print $NF }' | sort >"$OUT/libindexbus.symbols"

# ---- structural checks: library vs version script vs header -------------------
check_structure() {
    if grep '^E ' "$OUT/map.parsed" >/dev/null; then
        fail "$MAP: $(sed -n 's/^E //p' "$OUT/map.parsed" | head -1)"
        return
    fi
    awk '$1 == "W" { print "wildcard \"" $3 "\" in the global list of " $2 " (list every symbol by name)" }' \
        "$OUT/map.parsed" >"$OUT/.msg"
    while read -r msg; do fail "$MAP: $msg"; done <"$OUT/.msg"
    # every node after the first chains to the one before it
    awk '$1 == "N" { if (prev != "" && $3 != prev) print "node " $2 " must chain to " prev " (} " prev ";), not " $3;
                     if (prev == "" && $3 != "-") print "first node " $2 " must not have a parent";
                     if (seen[$2]++) print "node " $2 " defined twice"; prev = $2 }' "$OUT/map.parsed" >"$OUT/.msg"
    while read -r msg; do fail "$MAP: $msg"; done <"$OUT/.msg"
    awk '$1 == "G" { if (seen[$3]++) print $3 " listed twice" }' "$OUT/map.parsed" >"$OUT/.msg"
    while read -r msg; do fail "$MAP: $msg"; done <"$OUT/.msg"

    awk '$1 == "G" { print $3 }' "$OUT/map.parsed" | sort -u >"$OUT/map.names"
    awk '$1 == "G" { print $3 "@@" $2 }' "$OUT/map.parsed" | sort -u >"$OUT/map.expected"
    awk '$1 == "N" { print $2 }' "$OUT/map.parsed" | sort -u >"$OUT/map.nodes"

    # header vs map
    for s in $(comm -23 "$OUT/header.api" "$OUT/map.names"); do
        if grep -q "^$s@" "$BASE/libindexbus.symbols" 2>/dev/null; then
            fail "$s is declared INDEXBUS_API in $HDR but no longer listed in $MAP (released symbols stay at their node forever)"
        else
            fail "$s is declared INDEXBUS_API in $HDR but not listed in $MAP (add it at a NEW node: INDEXBUS_1.x { global: $s; } <previous node>;)"
        fi
    done
    for s in $(comm -13 "$OUT/header.api" "$OUT/map.names"); do
        fail "$s is listed in $MAP but not declared INDEXBUS_API in $HDR"
    done

    # library vs map
    while read -r sym; do
        case $sym in
        *@@*) name=${sym%%@@*}; ver=${sym#*@@}
              grep -Fqx "$ver" "$OUT/map.nodes" || { fail "$LIB exports $sym: $ver is not a node of $MAP"; continue; }
              grep -Fqx "$sym" "$OUT/map.expected" ||
                  fail "$LIB exports $sym, but $MAP does not list $name under $ver" ;;
        *@*)  ver=${sym#*@}
              grep -Fqx "$ver" "$OUT/map.nodes" || fail "$LIB exports $sym: $ver is not a node of $MAP" ;;
        *)    grep -Fqx "$sym" "$OUT/map.nodes" ||
                  fail "$LIB exports $sym without a symbol version (every export needs a node in $MAP)" ;;
        esac
    done <"$OUT/libindexbus.symbols"
    for sym in $(grep '@@' "$OUT/libindexbus.symbols" | comm -13 - "$OUT/map.expected"); do
        fail "$MAP lists $sym but $LIB does not export it (missing definition or INDEXBUS_API?)"
    done
    return 0
}

# ---- generated views ------------------------------------------------------------
abidw_lib() { # abidw_lib OUTFILE
    abidw --headers-dir abi/include/indexbus --drop-private-types --exported-interfaces-only \
        --no-corpus-path --no-comp-dir-path --short-locs --type-id-style hash \
        --out-file "$1.tmp" "$LIB" || die "abidw failed on $LIB"
    # nothing machine-specific in the committed file: no absolute paths
    sed -e "s|$(pwd)/||g" "$1.tmp" >"$1" && rm -f "$1.tmp"
}

abidw_lib "$OUT/libindexbus.abi"
sh abi/layout_dump.sh "$OUT/layout" >"$OUT/layout.txt" ||
    die "abi/layout_dump.sh failed (see above)"

check_structure

# abidiff BASELINE CURRENT -> sets abirc (exit status) and abirc_nonadd (status
# with added symbols filtered out); the report goes to $OUT/abidiff.txt.
run_abidiff() {
    abirc=0; abidiff "$1" "$2" >"$OUT/abidiff.txt" 2>&1 || abirc=$?
    abirc_nonadd=0; abidiff --no-added-syms "$1" "$2" >/dev/null 2>&1 || abirc_nonadd=$?
}

if [ "$mode" = check ]; then
    missing=""
    for f in libindexbus.abi libindexbus.symbols layout.txt; do
        [ -f "$BASE/$f" ] || missing="$missing $f"
    done
    if [ -n "$missing" ]; then
        fail "no baseline ($BASE:$missing); create it with: make abi-baseline"
        echo "abi-check: $problems problem(s)" >&2; exit 1
    fi

    # 1. exported symbols and their versions vs the committed list
    if diff -u --label "$BASE/libindexbus.symbols (baseline)" --label "$OUT/libindexbus.symbols (built)" \
        "$BASE/libindexbus.symbols" "$OUT/libindexbus.symbols" >"$OUT/symbols.diff"; then
        note "symbols: $(grep -c @ "$OUT/libindexbus.symbols") exported, versions as in $BASE/libindexbus.symbols"
    else
        sed 's/^/    /' "$OUT/symbols.diff" >&2
        fail "exported symbols differ from $BASE/libindexbus.symbols (see diff above); a deliberate addition at a NEW node needs: make abi-baseline"
    fi

    # 2. abidiff against the committed abidw corpus
    run_abidiff "$BASE/libindexbus.abi" "$OUT/libindexbus.abi"
    if [ $abirc -eq 0 ]; then
        note "abidiff: no ABI change against $BASE/libindexbus.abi"
    else
        sed 's/^/    /' "$OUT/abidiff.txt" >&2
        if [ $((abirc & 3)) -ne 0 ]; then
            fail "abidiff could not compare (exit status $abirc)"
        elif [ $((abirc & 8)) -ne 0 ]; then
            fail "abidiff: INCOMPATIBLE ABI change (exit status $abirc): a symbol was removed or changed"
        elif [ $abirc_nonadd -ne 0 ]; then
            fail "abidiff: ABI change to existing interfaces (exit status $abirc): a function signature or a public type changed"
        elif cmp -s "$BASE/libindexbus.symbols" "$OUT/libindexbus.symbols"; then
            note "abidiff: additions only, and they are in $BASE/libindexbus.symbols (accounted for)"
        else
            fail "abidiff: new exported interfaces not recorded in the baseline (exit status $abirc); if they sit at a NEW node of $MAP: make abi-baseline"
        fi
    fi

    # 3. the frozen layout and the public constants
    if diff -u --label "$BASE/layout.txt (baseline)" --label "$OUT/layout.txt (built)" \
        "$BASE/layout.txt" "$OUT/layout.txt" >"$OUT/layout.diff"; then
        note "layout: $(grep -c '^struct ' "$OUT/layout.txt") structs, $(grep -c '^define ' "$OUT/layout.txt") constants, $(grep -c '^enum ' "$OUT/layout.txt") enumerators as in $BASE/layout.txt"
    else
        sed 's/^/    /' "$OUT/layout.diff" >&2
        fail "layout.h/indexbus.h layout or constants differ from $BASE/layout.txt (see diff above); the v1 region format and released constants are frozen; a deliberate additive change needs: make abi-baseline"
    fi

    # 4. the spec's struct tables (LAYOUT.md 2.1, 2.2, 4) vs the header as built
    docrc=0
    python3 abi/layout_doc_check.py abi/LAYOUT.md "$OUT/layout.txt" >"$OUT/layout_doc.txt" 2>&1 || docrc=$?
    if [ $docrc -eq 0 ]; then
        note "$(sed -n 's/^layout-doc: //p' "$OUT/layout_doc.txt" | tail -1)"
    else
        sed 's/^/    /' "$OUT/layout_doc.txt" >&2
        fail "abi/LAYOUT.md's struct tables do not describe layout.h (see above; exit status $docrc): fix the tables (offset, size, type, field name, pads) to match layout.h"
    fi

    if [ $problems -ne 0 ]; then
        echo "abi-check: $problems problem(s); see abi/README.md" >&2
        exit 1
    fi
    note "passed"
    exit 0
fi

[ "$mode" = baseline ] || die "unknown mode $mode"

# ---- baseline ------------------------------------------------------------------
if [ $problems -ne 0 ]; then
    echo "abi-baseline: refusing: fix the version script / header / library first" >&2
    exit 1
fi
refuse=0
nope() { echo "abi-baseline: not additive: $*" >&2; refuse=$((refuse + 1)); return 0; }
if [ -f "$BASE/libindexbus.symbols" ]; then
    old=$BASE/libindexbus.symbols new=$OUT/libindexbus.symbols
    for s in $(comm -23 "$old" "$new"); do nope "$s removed or moved"; done
    for s in $(comm -13 "$old" "$new" | grep '@'); do
        ver=${s#*@}; ver=${ver#@}
        grep -Fqx "$ver" "$old" && nope "$s added to node $ver, which the baseline already has (add a new node)"
    done
fi
if [ -f "$BASE/libindexbus.abi" ]; then
    run_abidiff "$BASE/libindexbus.abi" "$OUT/libindexbus.abi"
    if [ $abirc -ne 0 ]; then
        sed 's/^/    /' "$OUT/abidiff.txt"
        [ $((abirc & 3)) -ne 0 ] && nope "abidiff could not compare (exit status $abirc)"
        [ $((abirc & 8)) -ne 0 ] && nope "abidiff reports an incompatible change (exit status $abirc)"
        if [ $((abirc & 8)) -eq 0 ] && [ $abirc_nonadd -ne 0 ]; then
            # the one compatible change to an existing type: fields appended to a
            # size-prefixed struct (abi/append-only.suppr filters exactly that)
            if abidiff --no-added-syms --suppressions abi/append-only.suppr \
                    "$BASE/libindexbus.abi" "$OUT/libindexbus.abi" >/dev/null 2>&1; then
                echo "abi-baseline: NOTE: public structs grew at the end (above); check that the library accepts every older size"
            else
                nope "existing functions or public types changed (abidiff report above); only appending fields to a public struct is compatible"
            fi
        fi
    fi
fi
if [ -f "$BASE/layout.txt" ]; then
    # Frozen for layout major 1: layout.h struct sizes, alignments and non-reserved
    # fields, layout.h constants (but the minor version and the known incompat
    # bits), and status code values. Reserved/pad bytes may gain meanings.
    awk '
    /^# / { hdr = $2; next }
    /^enum / { print; next }
    hdr ~ /layout\.h$/ && /^struct / { print; next }
    hdr ~ /layout\.h$/ && /^field / { split($2, a, "."); if (a[2] !~ /^(reserved|pad)/) print; next }
    hdr ~ /layout\.h$/ && /^define / && $2 !~ /^INDEXBUS_(LAYOUT_MINOR|CAP_KNOWN_INCOMPAT)$/ { print; next }
    ' "$BASE/layout.txt" | sort >"$OUT/layout.frozen"
    sort "$OUT/layout.txt" | comm -23 "$OUT/layout.frozen" - >"$OUT/.msg"
    while read -r l; do nope "frozen layout line changed or gone: $l"; done <"$OUT/.msg"
    if ! diff -u --label "$BASE/layout.txt (baseline)" --label "$OUT/layout.txt (new)" \
        "$BASE/layout.txt" "$OUT/layout.txt" >"$OUT/layout.diff"; then
        sed 's/^/    /' "$OUT/layout.diff"
    fi
fi
if [ $refuse -ne 0 ]; then
    if [ "${ABI_BASELINE_FORCE:-0}" = 1 ]; then
        echo "abi-baseline: ABI_BASELINE_FORCE=1: writing the baseline anyway ($refuse incompatible change(s))"
    else
        echo "abi-baseline: refusing $refuse incompatible change(s). Released nodes and the v1 layout are frozen; a break needs a new soname / layout major and ABI_BASELINE_FORCE=1." >&2
        exit 1
    fi
fi
mkdir -p "$BASE"
cp "$OUT/libindexbus.abi" "$OUT/libindexbus.symbols" "$OUT/layout.txt" "$BASE/"
echo "abi-baseline: wrote $BASE/libindexbus.abi, $BASE/libindexbus.symbols, $BASE/layout.txt"
echo "abi-baseline: commit them with a CHANGELOG line tagged abi: or layout:"
