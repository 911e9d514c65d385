#!/bin/sh
# demo.sh BUILD_DIR - IndexBus fanout demo (run by `make demo`).
#
# One producer process publishes synthetic sequence-numbered messages, a
# router process broadcasts them, and several consumer processes each
# receive every message and check the order. Exits non-zero unless every
# consumer got every message in order.
#
# Environment: DEMO_MESSAGES (default 200000), DEMO_SIZE (bytes, default 64),
# DEMO_CONSUMERS (1..64, default 4).
set -u

B=${1:-build}
IB=$B/indexbus
MESSAGES=${DEMO_MESSAGES:-200000}
SIZE=${DEMO_SIZE:-64}
CONSUMERS=${DEMO_CONSUMERS:-4}
NAME=/indexbus-demo-$$

if [ ! -x "$IB" ]; then
    echo "demo: $IB not found (run: make B=$B)" >&2
    exit 2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/indexbus-demo.XXXXXX") || exit 2
pids=""  # background processes still running
created=0 # unlink the region on exit only if this run created it

# A hung run should end, not block: bound each process if timeout(1) exists
# (our tools stop cleanly on its SIGTERM).
LIMIT=""
if command -v timeout >/dev/null 2>&1; then
    LIMIT="timeout 60"
fi

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    [ "$created" = 1 ] && "$IB" unlink "$NAME" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nap() { sleep 0.1 2>/dev/null || sleep 1; }

# live ROLE: the "ROLE live" count from `indexbus info`.
live() {
    "$IB" info "$NAME" 2>/dev/null | awk -v r="$1" '$1 == r && $2 == "live" { print $3 }'
}

# Consumer queues fill while nobody reads them, so start the producer only
# once every consumer and the router are attached (about 5 s at most).
wait_attached() {
    i=0
    while [ "$(live consumers)" != "$CONSUMERS" ] || [ "$(live routers)" != 1 ]; do
        i=$((i + 1))
        if [ $i -gt 50 ]; then
            echo "demo: consumers or router did not attach; see below" >&2
            "$IB" info "$NAME" >&2
            return 1
        fi
        nap
    done
}

start_pipeline() {
    $LIMIT "$IB" route "$NAME" --mode broadcast --exit-on-disconnect 2>"$T/router.log" &
    echo $! >"$T/router.pid"
    pids="$pids $!"
    i=0
    while [ $i -lt "$CONSUMERS" ]; do
        $LIMIT "$IB" sub "$NAME" --consumer $i --quiet --check-seq 2>"$T/sub$i.log" &
        echo $! >"$T/sub$i.pid"
        pids="$pids $!"
        i=$((i + 1))
    done
}

# Wait for every background process; record each exit status in $T/*.rc.
wait_pipeline() {
    wait "$(cat "$T/router.pid")"
    echo $? >"$T/router.rc"
    i=0
    while [ $i -lt "$CONSUMERS" ]; do
        wait "$(cat "$T/sub$i.pid")"
        echo $? >"$T/sub$i.rc"
        i=$((i + 1))
    done
    pids=""
}

# check_consumer I: did consumer I get every message, in order, without gaps?
check_consumer() {
    [ "$(cat "$T/sub$1.rc")" = 0 ] &&
        grep -q "^consumer $1: $MESSAGES messages, " "$T/sub$1.log" &&
        grep -q "; seq order ok, 0 gaps" "$T/sub$1.log"
}

report() {
    echo
    echo "== results"
    sed 's/^/  producer: /' "$T/pub.log"
    sed 's/^/  /' "$T/router.log"
    i=0
    failed=0
    while [ $i -lt "$CONSUMERS" ]; do
        verdict="OK"
        if ! check_consumer $i; then
            verdict="FAILED (exit $(cat "$T/sub$i.rc"))"
            failed=1
        fi
        sed "s/\$/  [$verdict]/; s/^/  /" "$T/sub$i.log"
        i=$((i + 1))
    done
    echo
    echo "== indexbus info $NAME"
    "$IB" info "$NAME"
    echo
    return $failed
}

echo "== IndexBus fanout demo: 1 producer -> router (broadcast) -> $CONSUMERS consumers"
"$IB" create "$NAME" --kind fanout --consumers "$CONSUMERS" || exit 1
created=1
start_pipeline
wait_attached || exit 1
echo "== router and $CONSUMERS consumers attached; publishing $MESSAGES messages of $SIZE bytes"
$LIMIT "$IB" pub "$NAME" --count "$MESSAGES" --size "$SIZE" 2>"$T/pub.log"
pub_rc=$?
wait_pipeline
if report && [ "$pub_rc" -eq 0 ] && [ "$(cat "$T/router.rc")" = 0 ]; then
    echo "demo: OK - all $CONSUMERS consumers got all $MESSAGES messages in order"
    exit 0
fi
echo "demo: FAILED - see above" >&2
exit 1
