# lib.sh - shared by the outside-the-tree tests (sourced). Each test builds a
# fresh project in a temporary folder from an installed or packaged artifact
# alone, then proves it exchanges messages with the C CLI in another process.
#   IB      the installed C CLI (the C peer)
#   work    a scratch folder of the test's own (streams_and_requests)
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
# streams_and_requests LABEL PEER-COMMAND...: 300 kB of random bytes through a
# byte stream each way (peer write -> CLI stream read, CLI stream write ->
# peer read; 64 KiB rings, so each side waits for the other), compared with
# cmp; requests each way (peer call -> CLI serve --echo, CLI request -> peer
# serve, which answers "peer:" + the request). Each side in its own process.
streams_and_requests() {
    label=$1; shift
    name=/ibout-sr-$$-$pass-$fail
    head -c 300000 /dev/urandom >"$work/in.bin"
    "$IB" create "$name-a" --kind stream --bytes 65536 >/dev/null &&
        "$IB" create "$name-b" --kind stream --bytes 65536 >/dev/null &&
        "$IB" create "$name-c" --kind rpc >/dev/null &&
        "$IB" create "$name-d" --kind rpc >/dev/null || { bad "$label: create"; return; }
    "$IB" stream read "$name-a" --timeout-ms 10000 >"$work/out-a.bin" & rd=$!
    "$@" write "$name-a" <"$work/in.bin" || bad "$label: stream write"
    wait $rd || bad "$label: CLI stream read"
    cmp -s "$work/in.bin" "$work/out-a.bin" && ok "$label stream -> C" ||
        { bad "$label stream -> C"; ls -l "$work/in.bin" "$work/out-a.bin"; }
    "$IB" stream write "$name-b" --timeout-ms 10000 <"$work/in.bin" & wr=$!
    "$@" read "$name-b" >"$work/out-b.bin" || bad "$label: stream read"
    wait $wr || bad "$label: CLI stream write"
    cmp -s "$work/in.bin" "$work/out-b.bin" && ok "C stream -> $label" ||
        { bad "C stream -> $label"; ls -l "$work/in.bin" "$work/out-b.bin"; }
    "$IB" serve "$name-c" --echo --count 2 >/dev/null 2>&1 & sv=$!
    expect "$label request -> C server" "$(printf 'ping\nhello world')" \
        "$("$@" call "$name-c" ping "hello world")"
    wait $sv || bad "$label: CLI serve"
    "$@" serve "$name-d" 2 & sv=$!
    expect "C request -> $label server" "$(printf 'peer:one\npeer:two words')" \
        "$("$IB" request "$name-d" --data one --timeout-ms 10000 &&
           "$IB" request "$name-d" --data "two words" --timeout-ms 10000)"
    wait $sv || bad "$label: serve"
    for s in a b c d; do "$IB" unlink "$name-$s" 2>/dev/null; done
}
done_() { echo "$1: $pass passed, $fail failed"; [ "$fail" -eq 0 ]; }
