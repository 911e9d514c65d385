#!/bin/sh
# cli-pipe.sh BUILD_DIR - the CLI pipe test (make check-cli-pipe): 1 GiB of
# pseudo-random bytes through `indexbus stream write | indexbus stream read`,
# two processes sharing a byte stream in shared memory, compared by SHA-256.
#
#   generator | tee TAP | indexbus stream write S      TAP -> sha256 (want)
#                         indexbus stream read S | sha256 (got)
#
# The generator is AES-128-CTR with a fixed key (a seeded PRNG: the same
# bytes every run, so the digest is known in advance) when openssl is
# there, else /dev/urandom; the digests come from openssl (SHA-NI), else
# sha256sum. Both commands start at once, so either may create the stream.
# IB_PIPE_BYTES=N pipes N bytes instead. Prints "cli-pipe: ok ..." and
# exits 0, or "FAIL: ..." lines and exits 1.
set -u

B=${1:-build}
IB=$B/indexbus
BYTES=${IB_PIPE_BYTES:-1073741824}
# the first GiB of the generator below
GIB_SHA256=aaa24880c67fbb5a10af34ad26980444194f2111abe4c772524b50a969438817

if [ ! -x "$IB" ]; then
    echo "cli-pipe: $IB not found (run: make cli B=$B)" >&2
    exit 2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/ibpipe.XXXXXX") || exit 2
S=/ibpipe-$$
cleanup() {
    "$IB" unlink "$S" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if command -v openssl >/dev/null 2>&1; then
    gen() {
        openssl enc -aes-128-ctr -K 000102030405060708090a0b0c0d0e0f \
            -iv 00000000000000000000000000000000 </dev/zero 2>/dev/null | head -c "$BYTES"
    }
    digest() { openssl dgst -sha256 -r | cut -d' ' -f1; }
    source="AES-128-CTR keystream"
else
    gen() { head -c "$BYTES" /dev/urandom; }
    digest() { sha256sum | cut -d' ' -f1; }
    source="/dev/urandom"
fi

fail=0
check() { # check DESC CONDITION-STATUS DETAIL
    if [ "$2" -ne 0 ]; then
        fail=1
        echo "FAIL: $1"
        [ -n "$3" ] && echo "$3" | sed 's/^/      /'
    fi
}

mkfifo "$T/tap"
digest <"$T/tap" >"$T/want" &
tapper=$!
# the timeouts only stop a hung run: each one is a minute without progress
(gen | tee "$T/tap" | {
    "$IB" stream write "$S" --stats --timeout-ms 60000 2>"$T/w.err"
    echo $? >"$T/w.rc"
}) &
writer=$!
{
    "$IB" stream read "$S" --keep --stats --timeout-ms 60000 2>"$T/r.err"
    echo $? >"$T/r.rc"
} | digest >"$T/got"
wait $writer
wait $tapper

check "stream write exit status $(cat "$T/w.rc")" "$(cat "$T/w.rc")" "$(cat "$T/w.err")"
check "stream read exit status $(cat "$T/r.rc")" "$(cat "$T/r.rc")" "$(cat "$T/r.err")"
grep -q "^stream $S: wrote $BYTES bytes in " "$T/w.err"
check "stream write wrote $BYTES bytes" $? "$(cat "$T/w.err")"
grep -q "^stream $S: read $BYTES bytes in " "$T/r.err"
check "stream read read $BYTES bytes" $? "$(cat "$T/r.err")"
want=$(cat "$T/want") got=$(cat "$T/got")
[ -n "$want" ] && [ "$want" = "$got" ]
check "sha256 of what went in ($want) and what came out ($got)" $? ""
if [ "$source" != /dev/urandom ] && [ "$BYTES" -eq 1073741824 ]; then
    [ "$want" = "$GIB_SHA256" ]
    check "sha256 of the generator's GiB is $GIB_SHA256, not $want" $? ""
fi
"$IB" info "$S" >"$T/info" 2>&1
printf 'stream\n  state             ENDED READER_GONE\n  writers           0\n' >"$T/para"
printf '  writers aborted   0\n  bytes read        %s\n' "$BYTES" >>"$T/para"
awk '$0 == "stream" { f = 1 } f && $0 == "" { exit } f' "$T/info" | cmp -s - "$T/para"
check "info: a clean end, every byte read" $? "$(cat "$T/info")"

if [ "$fail" -ne 0 ]; then
    exit 1
fi
echo "cli-pipe: ok, $BYTES bytes ($source) through $S, sha256 $got;" \
    "$(sed -n "s|^stream $S: read [0-9]* bytes in ||p" "$T/r.err")"
