# test/bridge/common.sh - what every bridge test script sources (bash):
# nats.sh, the programs of the build directory, unique region names that the
# EXIT trap unlinks, and the checks.
#   B=BUILD_DIR . test/bridge/common.sh NAME
#   region X        a region name of this run (/ibbr-PID-X); unlinked at exit
#   check DESC CMD...      run CMD; a failure prints "FAIL: DESC" and counts
#   expect_eq DESC WANT GOT
#   bridge_bg OUTFILE ARGS...   start indexbus-bridge ARGS in the background
#                                (stderr and stdout to OUTFILE), pid in $!,
#                                stopped by the trap
#   wait_rc PID [SECONDS]  its exit status (SIGKILL after SECONDS, default 60: 137)
#   *.curpid files in $NATS_DIR name more pids the trap stops
#   finish          "NAME: ok (...)" or "NAME: N FAILED" (the logs kept in
#                   $B/bridge-test/logs-NAME), and the exit status
set -u
: "${B:?B=build dir}"
TEST_NAME=$1
B=$(cd "$B" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
IB=$B/indexbus
BRIDGE=$B/indexbus-bridge
GEN=$B/bridge-test/ibgen
PY=$B/python-apps/venv/bin/python
CONSUME="$PY $HERE/consume.py"
for f in "$IB" "$BRIDGE" "$GEN" "$PY"; do
    [ -x "$f" ] || { echo "$TEST_NAME: $f not found (make check-bridge builds it)" >&2; exit 2; }
done
. "$HERE/nats.sh"

BT_FAILS=0
region() { echo "/ibbr-$$-$1"; }
bt_cleanup() {
    local r
    exec 2>/dev/null # the shell's "Killed" notes about what the trap stops
    for r in "$NATS_DIR"/*.curpid; do # bridges that loops in subshells started
        [ -f "$r" ] && kill -KILL "$(cat "$r")" 2>/dev/null
    done
    nats_cleanup
    for r in /dev/shm/ibbr-$$-*; do
        [ -e "$r" ] && "$IB" unlink "/${r##*/}" >/dev/null 2>&1
    done
}
nats_init
trap bt_cleanup EXIT

fail_note() { echo "FAIL: $*"; BT_FAILS=$((BT_FAILS + 1)); }
check() {
    local desc=$1
    shift
    "$@" && return 0
    fail_note "$desc"
    return 1
}
expect_eq() {
    [ "$2" = "$3" ] || fail_note "$1: want '$2', got '$3'"
}
# The lines of FILE that say the error (stderr of a bridge).
expect_grep() { # DESC PATTERN FILE
    grep -qE -- "$2" "$3" || fail_note "$1: no /$2/ in: $(tr '\n' '|' <"$3" | cut -c1-400)"
}

bridge_bg() {
    local out=$1
    shift
    "$BRIDGE" "$@" >"$out" 2>&1 &
    nats_track $!
}
# (stderr off: the shell's note on a child that died of a signal comes here)
wait_rc() { wait_rc_ "$@" 2>/dev/null; }
wait_rc_() {
    local pid=$1 limit=${2:-60}
    local end=$((SECONDS + limit))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$end" ]; then
            echo "$TEST_NAME: pid $pid still running after $limit s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null
            break
        fi
        sleep 0.05
    done
    wait "$pid" 2>/dev/null
}
# Run the bridge in the foreground with a time limit; its status.
bridge_run() { # OUTFILE LIMIT ARGS...
    local out=$1 limit=$2
    shift 2
    "$BRIDGE" "$@" >"$out" 2>&1 &
    local pid=$!
    nats_track "$pid"
    wait_rc "$pid" "$limit"
}
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print('%.2f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$2"; }

# The logs of this run (bridges, servers) into $B/bridge-test/logs-NAME.
keep_logs() {
    local d=$B/bridge-test/logs-$TEST_NAME f
    rm -rf "$d"
    mkdir -p "$d"
    for f in "$NATS_DIR"/*.log "$NATS_DIR"/*.out "$NATS_DIR"/*.runs; do
        [ -f "$f" ] && cp "$f" "$d/"
    done
    for f in "$NATS_DIR"/srv-*/log; do
        [ -f "$f" ] && cp "$f" "$d/server-$(basename "$(dirname "$f")").log"
    done
    echo "$TEST_NAME: logs in $d"
}
finish() {
    if [ "$BT_FAILS" -eq 0 ]; then
        echo "$TEST_NAME: ok${1:+ ($1)}"
        exit 0
    fi
    echo "$TEST_NAME: $BT_FAILS FAILED"
    keep_logs
    exit 1
}
