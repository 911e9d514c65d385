#!/bin/sh
# abi_gate_test.sh - test the ABI gate itself (make check-abi-gate).
#
# Copies the working tree (tracked and untracked, not ignored files: so
# uncommitted work is included) into scratch directories, breaks the ABI or
# the layout in one way per sub-case, builds only the library there and
# checks that `make abi-check` fails for the right reason (or passes, for the
# unmodified tree and for a properly recorded additive change).
set -u
root=$(cd "$(dirname "$0")/.." && pwd)
CC=${CC:-cc}
# isolate the scratch builds from a calling make (jobserver, command-line vars)
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
B=build/gate
tmp=$(mktemp -d "${TMPDIR:-/tmp}/abi-gate.XXXXXX") || exit 1
# ABI_GATE_KEEP=1 keeps the scratch trees and the per-case logs
if [ "${ABI_GATE_KEEP:-0}" = 1 ]; then echo "abi-gate: scratch trees in $tmp"
else trap 'rm -rf "$tmp"' EXIT; fi
trap 'exit 130' INT TERM
passed=0 failed=0

pristine=$tmp/pristine
mkdir -p "$pristine"
if git -C "$root" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$root" && git ls-files -z --cached --others --exclude-standard |
        tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -xf - -C "$pristine"
else
    (cd "$root" && tar --exclude=./build --exclude=./.git -cf - .) | tar -xf - -C "$pristine"
fi
[ -f "$pristine/Makefile" ] && [ -f "$pristine/abi/abi.mk" ] || { echo "abi-gate: could not copy the tree"; exit 1; }

# case NAME - start a fresh scratch copy in $w
w=""
new_case() { w=$tmp/$1; rm -rf "$w"; cp -a "$pristine" "$w"; log=$tmp/$1.log; : >"$log"; }
# edit FILE SED-SCRIPT - fails (setup error) if the file does not change
edit() {
    cp "$w/$1" "$tmp/.before"
    sed -i "$2" "$w/$1"
    ! cmp -s "$tmp/.before" "$w/$1"
}
mk() { make -C "$w" --no-print-directory CC="$CC" B=$B "$@" >>"$log" 2>&1; }
result() { # result OK DESCRIPTION
    if [ "$1" = 1 ]; then
        echo "PASS $2"; passed=$((passed + 1))
    else
        echo "FAIL $2"; failed=$((failed + 1))
        sed 's/^/    | /' "$log" | tail -40
    fi
}
# expect_fail DESCRIPTION PATTERN - library builds, abi-check fails saying PATTERN
expect_fail() {
    ok=0
    if ! mk -j2 lib; then
        echo "setup: the modified library did not build" >>"$log"
    elif mk abi-check; then
        echo "expected make abi-check to fail, it passed" >>"$log"
    elif grep -q -- "$2" "$log"; then
        ok=1
    else
        echo "abi-check failed, but without the expected message: $2" >>"$log"
    fi
    result $ok "$1"
}
expect_pass() {
    ok=0
    if mk -j2 lib && mk abi-check; then ok=1; fi
    result $ok "$1"
}
setup_failed() { echo "setup: an edit did not apply" >>"$log"; result 0 "$1"; }

add_probe() { # declare + define indexbus_gate_probe (not in the map)
    edit abi/include/indexbus/indexbus.h \
        's|^INDEXBUS_API size_t indexbus_struct_size(uint32_t which);|&\n/* gate test */\nINDEXBUS_API int indexbus_gate_probe(void);|' &&
    printf '\nINDEXBUS_API int indexbus_gate_probe(void)\n{\n    return 42;\n}\n' >>"$w/lib/common/status.c"
}
new_node() { # put indexbus_gate_probe at a new node INDEXBUS_1.4, after the newest (1.3)
    printf 'INDEXBUS_1.4 {\n    global:\n        indexbus_gate_probe;\n} INDEXBUS_1.3;\n' >>"$w/abi/libindexbus.map"
}

# (a) the tree as it is
d="(a) unmodified tree: abi-check passes"
new_case a; expect_pass "$d"

# (b) layout: a constant changed together with its static asserts
d="(b1) layout: INDEXBUS_MAX_PARTICIPANTS 256u -> 128u (asserts follow it) fails"
new_case b1
if edit abi/include/indexbus/layout.h 's/^#define INDEXBUS_MAX_PARTICIPANTS 256u/#define INDEXBUS_MAX_PARTICIPANTS 128u/'
then
    expect_fail "$d" "layout or constants differ"
    d="(b1) ... and make abi-baseline refuses to record it"
    : >"$log"; ok=0
    if mk abi-baseline; then echo "expected abi-baseline to refuse" >>"$log"
    elif grep -q "frozen layout line changed or gone: define INDEXBUS_MAX_PARTICIPANTS" "$log" &&
         cmp -s "$pristine/abi/baseline/layout.txt" "$w/abi/baseline/layout.txt"; then ok=1
    fi
    result $ok "$d"
else setup_failed "$d"; fi

d="(b2) layout: header.ready moved to offset 76 (swapped with reserved1, assert edited) fails"
new_case b2
if edit abi/include/indexbus/layout.h '/^    uint32_t ready; /{h;d};/^    uint32_t reserved1; /{G}' &&
   edit abi/include/indexbus/layout.h 's/INDEXBUS_ASSERT_OFF(indexbus_region_header, ready, 72);/INDEXBUS_ASSERT_OFF(indexbus_region_header, ready, 76);/'
then expect_fail "$d" "field indexbus_region_header.ready offset 76"; else setup_failed "$d"; fi

d="(b3) layout: INDEXBUS_HEADER_BYTES 1024u -> 2048u (reserved3 grown to match) fails"
new_case b3
if edit abi/include/indexbus/layout.h 's/^#define INDEXBUS_HEADER_BYTES 1024u/#define INDEXBUS_HEADER_BYTES 2048u/' &&
   edit abi/include/indexbus/layout.h 's/uint8_t reserved3\[384\];/uint8_t reserved3[1408];/'
then expect_fail "$d" "struct indexbus_region_header size 2048"; else setup_failed "$d"; fi

# (c) a public function's signature, in header and library alike
d="(c) abi: indexbus_publish len size_t -> uint32_t (header + lib) fails"
new_case c
if edit abi/include/indexbus/indexbus.h 's/indexbus_publish(indexbus_producer \*producer, const void \*data, size_t len)/indexbus_publish(indexbus_producer *producer, const void *data, uint32_t len)/' &&
   edit lib/handles/producer.c 's/indexbus_publish(indexbus_producer \*p, const void \*data, size_t len)/indexbus_publish(indexbus_producer *p, const void *data, uint32_t len)/'
then
    expect_fail "$d" "ABI change to existing interfaces"
    d="(c) ... and make abi-baseline refuses to record it"
    : >"$log"; ok=0
    if mk abi-baseline; then echo "expected abi-baseline to refuse" >>"$log"
    elif grep -q "not additive: existing functions or public types changed" "$log" &&
         cmp -s "$pristine/abi/baseline/libindexbus.abi" "$w/abi/baseline/libindexbus.abi"; then ok=1
    fi
    result $ok "$d"
else setup_failed "$d"; fi

# (c2) the one compatible type change: a public struct grows at the end
d="(c2) abi: indexbus_info grows a field at the end: fails, then abi-baseline records it and it passes"
new_case c2
if edit abi/include/indexbus/indexbus.h 's|^} indexbus_info;|    uint64_t gate_extra;\n&|'; then
    expect_fail "$d [abi-check]" "ABI change to existing interfaces"
    : >"$log"; ok=0
    if mk abi-baseline && grep -q "NOTE: public structs grew at the end" "$log" && mk abi-check; then ok=1; fi
    result $ok "$d [abi-baseline]"
else setup_failed "$d"; fi

# (d) a symbol dropped from the version script
d="(d) abi: indexbus_wait removed from the version script fails"
new_case d
if edit abi/libindexbus.map '/^ *indexbus_wait;$/d'
then expect_fail "$d" "INCOMPATIBLE ABI change"; else setup_failed "$d"; fi

# (e) a new INDEXBUS_API function that the map does not list
d="(e) abi: new indexbus_gate_probe in header + lib, not in the map, fails"
new_case e
if add_probe
then expect_fail "$d" "indexbus_gate_probe is declared INDEXBUS_API in abi/include/indexbus/indexbus.h but not listed"
else setup_failed "$d"; fi

# (f) the same at a new node: fails until the baseline is regenerated, then passes
d="(f1) abi: indexbus_gate_probe at new node INDEXBUS_1.4, baseline not updated, fails"
new_case f
if add_probe && new_node
then expect_fail "$d" "exported symbols differ from abi/baseline/libindexbus.symbols"; else setup_failed "$d"; fi
d="(f2) abi: ... after make abi-baseline, abi-check passes"
: >"$log"
ok=0
if mk abi-baseline && grep -qx 'indexbus_gate_probe@@INDEXBUS_1.4' "$w/abi/baseline/libindexbus.symbols" &&
   mk abi-check; then ok=1; fi
result $ok "$d"

# (g) adding to a released node is refused, even through abi-baseline
d="(g) abi: indexbus_gate_probe added to existing node INDEXBUS_1.0: abi-check fails, abi-baseline refuses"
new_case g
if add_probe && edit abi/libindexbus.map 's/^\( *\)indexbus_recv_batch;$/&\n\1indexbus_gate_probe;/'; then
    expect_fail "$d [abi-check]" "exported symbols differ"
    : >"$log"; ok=0
    if mk abi-baseline; then echo "expected abi-baseline to refuse" >>"$log"
    elif grep -q "added to node INDEXBUS_1.0, which the baseline already has" "$log" &&
         cmp -s "$pristine/abi/baseline/libindexbus.symbols" "$w/abi/baseline/libindexbus.symbols"; then ok=1
    fi
    result $ok "$d [abi-baseline]"
else setup_failed "$d"; fi

# (h) the spec: abi/LAYOUT.md's struct tables must describe layout.h. The
# edits touch only the document, so one scratch tree and one library build
# serve every sub-case: each starts from the pristine LAYOUT.md.
new_case h
doc_case() { # doc_case NAME DESCRIPTION PATTERN SED-SCRIPT
    cp "$pristine/abi/LAYOUT.md" "$w/abi/LAYOUT.md"
    log=$tmp/$1.log; : >"$log"
    if edit abi/LAYOUT.md "$4"; then expect_fail "$2" "$3"; else setup_failed "$2"; fi
}
doc_case h1 "(h1) doc: WAKE table says waiters is at +12 (layout.h: +4) fails" \
    "struct indexbus_wake_entry: field waiters: LAYOUT.md says offset +12, layout.h says +4" \
    's/^| +4 | 4 | u32 (atomic) | `waiters` |/| +12 | 4 | u32 (atomic) | `waiters` |/'
doc_case h2 "(h2) doc: ROUTER table renames seen_epoch to seen_epoc fails" \
    "field seen_epoch of struct indexbus_router_section (+4, 4 bytes, uint32_t) is missing from the table" \
    's/^\(| +4 | 4 | u32 (atomic) | `\)seen_epoch`/\1seen_epoc`/'
doc_case h3 "(h3) doc: SPSC table swaps head and tail (tail documented at +0) fails" \
    "struct indexbus_spsc_ctl: field tail: LAYOUT.md says offset +0, layout.h says +64" \
    's/^| +0 | 8 | u64 (atomic) | `head` |/| +0 | 8 | u64 (atomic) | `tail` |/; s/^| +64 | 8 | u64 (atomic) | `tail` | next position to write/| +64 | 8 | u64 (atomic) | `head` | next position to write/'
doc_case h4 "(h4) doc: ROUTER step-journal rows pasted into the SLOT_POOL table again fails" \
    "field step_slot (+8, 4 bytes) is not a field of struct indexbus_pool_ctl" \
    's/^| +0 | 8 | u64 (atomic) | `free_head` |.*/&\n| +8 | 4 | u32 (atomic) | `step_slot` | step journal |\n| +12 | 4 | u32 | `step_source` | 0 = SPSC, 1 = MPSC |\n\nThe journal fields other than `step_slot` keep the last values./'
doc_case h5 "(h5) doc: the MPSC cell table (struct indexbus_mpsc_cell) deleted fails" \
    "no table 2 (struct indexbus_mpsc_cell)" \
    '/^Cell (16 bytes):/,/^Initial state: `seq`/{/^|/d}'

echo "abi-gate: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
