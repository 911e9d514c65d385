#!/bin/sh
# demo.sh BUILD_DIR - IndexBus polyglot fanout demo (run by `make demo`).
#
# One fanout region, six languages' worth of processes: the C CLI publishes
# synthetic sequence-numbered messages (`indexbus pub`), the C router
# broadcasts them (`indexbus route`), and six consumer processes receive
# every message and check the order:
#   consumer 0  C       indexbus sub --check-seq          ($B/indexbus)
#   consumer 1  Go      bindings/go/cmd/indexbus-demo-sub ($B/go/indexbus-demo-sub)
#   consumer 2  Java    io.indexbus.demo.DemoSub          (bindings/java/target/indexbus-VERSION.jar)
#   consumer 3  Rust    indexbus/examples/demo_sub.rs     (bindings/rust/target/release/examples/demo_sub)
#   consumer 4  C++     tools/demo/demo_sub.cpp           ($B/demo/demo-sub-cxx, on indexbus.hpp)
#   consumer 5  Python  bindings/python/examples/demo_sub.py (the indexbus package, in
#                       the venv $B/python-apps/venv)
# The region has no more slots than a consumer queue holds (1024 and 1024,
# the fanout defaults, given explicitly): a broadcast slot stays taken until
# every consumer has read it, so the pool runs dry - and the producer waits -
# before the slowest consumer's queue can fill, and the router never drops a
# message for it. The slowest consumer (Python) sets the pace; nothing is lost.
# Prints a table of what each consumer received and `indexbus info`; exits
# non-zero unless every consumer got every message, in order, without gaps.
#
# This script builds nothing: `make demo` builds the CLI and the five
# consumers first (targets all, go-demo, java-binding, rust-demo, demo-cxx,
# python-apps).
#
# Environment: DEMO_MESSAGES (default 100000), DEMO_SIZE (bytes, 8..slot
# size, default 64), DEMO_ATTACH_TIMEOUT (seconds, default 60), JAVA (the
# java command, default java), DEMO_PYTHON (the Python with the indexbus
# package, default $B/python-apps/venv/bin/python).
set -u

B=${1:-build}
IB=$B/indexbus
ROOT=$(cd "$(dirname "$0")/.." && pwd)
GO_SUB=$B/go/indexbus-demo-sub
JAVA=${JAVA:-java}
JAVA_JAR=${JAVA_JAR:-$(ls "$ROOT"/bindings/java/target/indexbus-*.jar 2>/dev/null | grep -v -e '-sources\.jar$' -e '-javadoc\.jar$' | head -n 1)}
RUST_SUB=$ROOT/bindings/rust/target/release/examples/demo_sub
CXX_SUB=$B/demo/demo-sub-cxx
PYTHON=${DEMO_PYTHON:-$B/python-apps/venv/bin/python}
PY_SUB=$ROOT/bindings/python/examples/demo_sub.py
MESSAGES=${DEMO_MESSAGES:-100000}
SIZE=${DEMO_SIZE:-64}
ATTACH_TIMEOUT=${DEMO_ATTACH_TIMEOUT:-60}
CONSUMERS=6
LANGS="C Go Java Rust C++ Python" # consumer i is the (i+1)th
SUBS="sub0 sub1 sub2 sub3 sub4 sub5" # their files under $T: subI.pid, subI.log, subI.rc
NAME=/indexbus-demo-$$

missing=""
[ -x "$IB" ] || missing="$missing $IB"
[ -x "$GO_SUB" ] || missing="$missing $GO_SUB"
[ -f "$JAVA_JAR" ] || missing="$missing $JAVA_JAR"
[ -x "$RUST_SUB" ] || missing="$missing $RUST_SUB"
[ -x "$CXX_SUB" ] || missing="$missing $CXX_SUB"
[ -x "$PYTHON" ] || missing="$missing $PYTHON"
if [ -n "$missing" ]; then
    echo "demo: not built:$missing (run: make demo B=$B)" >&2
    exit 2
fi
if ! command -v "$JAVA" >/dev/null 2>&1; then
    echo "demo: no '$JAVA' command (set JAVA, or run: make java-binding)" >&2
    exit 2
fi
if ! "$PYTHON" -c 'import indexbus' 2>/dev/null; then
    echo "demo: $PYTHON cannot import the indexbus package (run: make demo B=$B)" >&2
    exit 2
fi
T=$(mktemp -d "${TMPDIR:-/tmp}/indexbus-demo.XXXXXX") || exit 2
pids=""  # background processes still running
created=0 # unlink the region on exit only if this run created it

# A hung run should end, not block: bound each process if timeout(1) exists
# (our tools stop cleanly on its SIGTERM). The bound covers the attach wait.
LIMIT=""
if command -v timeout >/dev/null 2>&1; then
    LIMIT="timeout $((ATTACH_TIMEOUT + 60))"
fi

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null; done
    [ "$created" = 1 ] && "$IB" unlink "$NAME" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nap() { sleep 0.1 2>/dev/null || sleep 1; }

# lang_of I: the language of consumer I.
lang_of() {
    n=$1
    set -- $LANGS
    shift "$n"
    echo "$1"
}

# live ROLE: the "ROLE live" count from `indexbus info`.
live() {
    "$IB" info "$NAME" 2>/dev/null | awk -v r="$1" '$1 == r && $2 == "live" { print $3 }'
}

# attached I: is consumer index I attached, per the consumer table of `indexbus info`?
attached() {
    "$IB" info "$NAME" 2>/dev/null |
        awk -v i="$1" '/^consumers$/ { t = 1; next } t && $1 == i { print $2 }' | grep -qx yes
}

# running I: is consumer I's process still running?
running() { kill -0 "$(cat "$T/sub$1.pid")" 2>/dev/null; }

# start_consumer I CMD...: run consumer I in the background, output to $T/subI.log.
start_consumer() {
    i=$1
    shift
    $LIMIT "$@" >"$T/sub$i.log" 2>&1 &
    echo $! >"$T/sub$i.pid"
    pids="$pids $!"
}

start_pipeline() {
    $LIMIT "$IB" route "$NAME" --mode broadcast --exit-on-disconnect 2>"$T/router.log" &
    echo $! >"$T/router.pid"
    pids="$pids $!"
    start_consumer 0 "$IB" sub "$NAME" --consumer 0 --quiet --check-seq
    start_consumer 1 "$GO_SUB" "$NAME" 1 "$MESSAGES"
    start_consumer 2 "$JAVA" -XX:+UseSerialGC -cp "$JAVA_JAR" io.indexbus.demo.DemoSub \
        "$NAME" 2 "$MESSAGES"
    start_consumer 3 "$RUST_SUB" "$NAME" 3 "$MESSAGES"
    start_consumer 4 "$CXX_SUB" "$NAME" 4 "$MESSAGES"
    start_consumer 5 "$PYTHON" "$PY_SUB" "$NAME" 5 "$MESSAGES"
}

# Consumer queues fill while nobody reads them, so start the producer only
# once every consumer and the router are attached. The JVM takes a second or
# so to start, Python a fraction of one; a consumer that exits or never
# attaches ends the demo.
wait_attached() {
    start=$(date +%s)
    while [ "$(live consumers)" != "$CONSUMERS" ] || [ "$(live routers)" != 1 ]; do
        i=0
        while [ $i -lt "$CONSUMERS" ]; do
            if ! attached $i && ! running $i; then
                wait "$(cat "$T/sub$i.pid")"
                echo "demo: consumer $i ($(lang_of $i)) exited (status $?) before attaching:" >&2
                sed 's/^/  /' "$T/sub$i.log" >&2
                return 1
            fi
            i=$((i + 1))
        done
        if ! kill -0 "$(cat "$T/router.pid")" 2>/dev/null; then
            echo "demo: the router exited before the demo started:" >&2
            sed 's/^/  /' "$T/router.log" >&2
            return 1
        fi
        if [ $(($(date +%s) - start)) -gt "$ATTACH_TIMEOUT" ]; then
            i=0
            while [ $i -lt "$CONSUMERS" ]; do
                attached $i ||
                    echo "demo: consumer $i ($(lang_of $i)) did not attach within $ATTACH_TIMEOUT s" >&2
                i=$((i + 1))
            done
            [ "$(live routers)" = 1 ] ||
                echo "demo: the router did not attach within $ATTACH_TIMEOUT s" >&2
            "$IB" info "$NAME" >&2
            return 1
        fi
        nap
    done
}

# reap WHO: 0 once WHO's process ($T/WHO.pid) has ended, with its exit status
# in $T/WHO.rc; 1 while it runs.
reap() {
    [ -f "$T/$1.rc" ] && return 0
    kill -0 "$(cat "$T/$1.pid")" 2>/dev/null && return 1
    wait "$(cat "$T/$1.pid")"
    echo $? >"$T/$1.rc"
}

# Run the producer, then wait for every process. If one fails, stop the rest
# rather than let the bus stall until the time limit.
publish_and_wait() {
    $LIMIT "$IB" pub "$NAME" --count "$MESSAGES" --size "$SIZE" 2>"$T/pub.log" &
    echo $! >"$T/pub.pid"
    pids="$pids $!"
    stopped=0
    while :; do
        left=0
        for w in pub router $SUBS; do
            reap $w || left=1
            if [ $stopped = 0 ] && [ -f "$T/$w.rc" ] && [ "$(cat "$T/$w.rc")" != 0 ]; then
                echo "demo: $w failed (exit $(cat "$T/$w.rc")); stopping the others" >&2
                for p in $pids; do kill "$p" 2>/dev/null; done
                stopped=1
            fi
        done
        [ $left = 0 ] && break
        nap
    done
    pids=""
}

# summary I: consumer I's summary line. The C CLI writes
#   consumer I: N messages, B bytes in S s (R msg/s); seq order ok, G gaps
# and the Go, Java, Rust, C++ and Python consumers the same with "go ", "java ",
# "rust ", "c++ ", "python " in front.
summary() {
    grep -m 1 "^\([a-z+]* \)\{0,1\}consumer $1: [0-9]* messages\{0,1\}, " "$T/sub$1.log"
}

# row I: one table row for consumer I; returns non-zero unless it got every
# message in order, without gaps, and exited 0.
row() {
    rc=$(cat "$T/sub$1.rc")
    fields=$(summary "$1" | sed -n 's/^.*consumer [0-9]*: \([0-9]*\) messages\{0,1\}, \([0-9]*\) bytes in \([0-9.]*\) s (\([^ ]*\) msg\/s); seq \(.*\), \([0-9]*\) gaps\(.*\)$/\1|\2|\3|\4|\5|\6|\7/p')
    if [ -z "$fields" ]; then
        printf '  %8s  %-6s  %s\n' "$1" "$(lang_of "$1")" "no summary (exit $rc)  FAILED"
        return 1
    fi
    old_ifs=$IFS
    IFS='|'
    set -- "$1" $fields
    IFS=$old_ifs
    order=$6
    [ "$order" = "order ok" ] && order=ok
    verdict=OK
    if [ "$rc" != 0 ] || [ "$2" != "$MESSAGES" ] || [ "$order" != ok ] || [ "$7" != 0 ] ||
        [ -n "${8-}" ]; then
        verdict="FAILED (exit $rc)"
    fi
    printf '  %8s  %-6s  %9s  %10s  %-8s  %5s  %8s  %9s  %s\n' \
        "$1" "$(lang_of "$1")" "$2" "$3" "$order" "$7${8-}" "$4" "$5" "$verdict"
    [ "$verdict" = OK ]
}

report() {
    echo
    echo "== results"
    sed 's/^/  producer (C CLI): /' "$T/pub.log"
    sed 's/^/  /' "$T/router.log"
    i=0
    while [ $i -lt "$CONSUMERS" ]; do
        summary $i | sed 's/^consumer/c consumer/; s/^/  /'
        i=$((i + 1))
    done
    echo
    printf '  %8s  %-6s  %9s  %10s  %-8s  %5s  %8s  %9s  %s\n' \
        consumer lang messages bytes order gaps seconds "msg/s" result
    failed=0
    i=0
    while [ $i -lt "$CONSUMERS" ]; do
        row $i || failed=1
        i=$((i + 1))
    done
    if [ $failed = 1 ]; then
        i=0
        while [ $i -lt "$CONSUMERS" ]; do
            if [ "$(cat "$T/sub$i.rc")" != 0 ] || ! row $i >/dev/null; then
                echo
                echo "  consumer $i ($(lang_of $i)) output:"
                sed 's/^/    /' "$T/sub$i.log"
            fi
            i=$((i + 1))
        done
    fi
    echo
    echo "== indexbus info $NAME"
    "$IB" info "$NAME"
    echo
    return $failed
}

echo "== IndexBus polyglot fanout demo: C producer -> C router (broadcast) -> C, Go, Java, Rust, C++, Python consumers"
"$IB" create "$NAME" --kind fanout --consumers "$CONSUMERS" --slots 1024 --queue 1024 || exit 1
created=1
start_pipeline
if ! wait_attached; then
    echo "demo: FAILED - not every consumer attached" >&2
    exit 1
fi
echo "== router and $CONSUMERS consumers ($LANGS) attached; publishing $MESSAGES messages of $SIZE bytes"
publish_and_wait
if report && [ "$(cat "$T/pub.rc")" = 0 ] && [ "$(cat "$T/router.rc")" = 0 ]; then
    echo "demo: OK - the C, Go, Java, Rust, C++ and Python consumers each got all $MESSAGES messages in order"
    exit 0
fi
echo "demo: FAILED - see above" >&2
exit 1
