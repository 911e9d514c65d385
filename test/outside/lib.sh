# lib.sh - shared by the outside-the-tree tests (sourced). Each test builds a
# fresh project in a temporary folder from an installed or packaged artifact
# alone, then proves it exchanges messages with the C CLI in another process.
#   IB      the installed C CLI (the C peer)
pass=0; fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
# expect LABEL WANT GOT
expect() {
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1"; printf '    want: %s\n    got:  %s\n' "$2" "$3"; fi
}
# exchange LABEL PEER-COMMAND...: the peer publishes three messages that the CLI
# receives, and receives two that the CLI publishes, each side in its own
# process. One fresh region per direction: once a region's consumer has come
# and gone, publishing there is DISCONNECTED until another consumer attaches.
exchange() {
    label=$1; shift
    name=/ibout-$$-$pass-$fail
    "$IB" create "$name-a" >/dev/null && "$IB" create "$name-b" >/dev/null ||
        { bad "$label: create"; return; }
    "$@" pub "$name-a" one "two words" three
    expect "$label -> C" "$(printf 'one\ntwo words\nthree')" \
        "$("$IB" sub "$name-a" --count 3 --timeout-ms 5000 2>/dev/null)"
    printf 'from C\nagain\n' | "$IB" pub "$name-b" 2>/dev/null
    expect "C -> $label" "$(printf 'from C\nagain')" "$("$@" sub "$name-b" 2)"
    "$IB" unlink "$name-a" 2>/dev/null; "$IB" unlink "$name-b" 2>/dev/null
}
done_() { echo "$1: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
