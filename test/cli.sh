#!/bin/sh
# cli.sh BUILD_DIR - the CLI test (make check-cli): exercise every indexbus
# subcommand and its error paths, checking exit statuses and exact output
# fragments. Prints
# "cli: N passed, M failed" and exits non-zero if anything failed.
set -u

B=${1:-build}
IB=$B/indexbus
if [ ! -x "$IB" ]; then
    echo "cli: $IB not found (run: make cli B=$B)" >&2
    exit 2
fi

T=$(mktemp -d "${TMPDIR:-/tmp}/ibcli.XXXXXX") || exit 2
P=/ibcli-$$ # prefix of every shm region this run creates
pass=0
fail=0
STDIN=/dev/null # stdin for the next `t` (reset after each run)

cleanup() {
    exec 3>&- 2>/dev/null
    for r in x ev tmo data seq fan wq spsc log logd lgt lgw lgp lgx lgm stc sw1 sr1 sw2 sr2 smw sab \
        sin sfl sie skl sto sto2 sgn rpc rpd dev dfo dlg frf fmb fev fmb2 dead swp gc perm; do "$IB" unlink "$P-$r" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); }

bad() {
    fail=$((fail + 1))
    echo "FAIL: $1"
    shift
    for line in "$@"; do echo "      $line"; done
    echo "      --- stdout:"; sed -n '1,10s/^/      /p' "$T/out"
    echo "      --- stderr:"; sed -n '1,10s/^/      /p' "$T/err"
}

# t DESC STATUS FRAGMENT CMD...: run CMD (stdin from $STDIN), pass if it exits
# STATUS and, unless FRAGMENT is empty, stdout or stderr contains FRAGMENT.
t() {
    desc=$1 want=$2 frag=$3
    shift 3
    "$@" <"$STDIN" >"$T/out" 2>"$T/err"
    got=$?
    STDIN=/dev/null
    if [ "$got" -ne "$want" ]; then
        bad "$desc" "exit status $got, want $want"
    elif [ -n "$frag" ] && ! cat "$T/out" "$T/err" | grep -F -q -e "$frag"; then
        bad "$desc" "output lacks: $frag"
    else
        ok
    fi
}

# has DESC FRAGMENT: the last command's stdout or stderr contains FRAGMENT.
has() {
    if cat "$T/out" "$T/err" | grep -F -q -e "$2"; then ok; else bad "$1" "output lacks: $2"; fi
}

# stdout_is DESC TEXT: the last command's stdout is exactly TEXT (printf %b).
stdout_is() {
    printf '%b' "$2" >"$T/want"
    if cmp -s "$T/want" "$T/out"; then ok; else bad "$1" "stdout is not exactly: $2"; fi
}

# file_has DESC FILE FRAGMENT: FILE contains FRAGMENT.
file_has() {
    if grep -F -q -e "$3" "$2"; then
        ok
    else
        fail=$((fail + 1))
        echo "FAIL: $1: $2 lacks: $3"
        sed 's/^/      /' "$2"
    fi
}

# status_is DESC GOT WANT
status_is() {
    if [ "$2" -eq "$3" ]; then ok; else fail=$((fail + 1)); echo "FAIL: $1: exit $2, want $3"; fi
}

nap() { sleep 0.05 2>/dev/null || sleep 1; }

# wait_live REGION ROLE N: poll `info` until "ROLE live" shows N (about 5 s).
wait_live() {
    i=0
    while [ $i -lt 100 ]; do
        v=$("$IB" info "$1" 2>/dev/null | awk -v r="$2" '$1 == r && $2 == "live" { print $3 }')
        [ "$v" = "$3" ] && return 0
        nap
        i=$((i + 1))
    done
    echo "FAIL: $1: $2 live never reached $3" >&2
    return 1
}

# wait_attached REGION INDEX: poll `info` until consumer INDEX shows as
# attached in the consumer table (about 5 s).
wait_attached() {
    i=0
    while [ $i -lt 100 ]; do
        "$IB" info "$1" 2>/dev/null | awk -v c="$2" '$1 == c && $2 == "yes" { f = 1 } END { exit !f }' &&
            return 0
        nap
        i=$((i + 1))
    done
    echo "FAIL: $1: consumer $2 never showed as attached" >&2
    return 1
}

# wait_info REGION FRAGMENT: poll `info` until its output contains FRAGMENT.
wait_info() {
    i=0
    while [ $i -lt 100 ]; do
        "$IB" info "$1" 2>/dev/null | grep -F -q -e "$2" && return 0
        nap
        i=$((i + 1))
    done
    echo "FAIL: $1: info never showed: $2" >&2
    return 1
}

# Attach times and elapsed times vary: section_is compares with them masked.
TS='YYYY-MM-DD hh:mm:ss.mmm +zzzz' # as wide as a real attach time
# row ...: one line of the participant table, as `info` formats it.
row() { printf '  %4s  %-13s  %8s  %8s  %-29s  %s\n' "$@"; }
# section_is DESC FIRST_LINE: the last command's stdout, from the line
# FIRST_LINE to the end, times masked, is exactly the content of $T/want.
section_is() {
    sed -E -e "s/[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3} [-+][0-9]{4}/$TS/" \
        -e 's/^(  elapsed +)[0-9]+ /\1N /' "$T/out" |
        awk -v h="$2" '$0 == h { f = 1 } f' >"$T/got"
    if cmp -s "$T/want" "$T/got"; then
        ok
    else
        fail=$((fail + 1))
        echo "FAIL: $1: from \"$2\" on, stdout is not exactly:"
        sed 's/^/      /' "$T/want"
        echo "      --- got:"
        sed 's/^/      /' "$T/got"
    fi
}
# paragraph_is DESC FIRST_LINE: the last command's stdout, from the line
# FIRST_LINE to the next empty line, is exactly the content of $T/want.
paragraph_is() {
    awk -v h="$2" '$0 == h { f = 1 } f && $0 == "" { exit } f' "$T/out" >"$T/got"
    if cmp -s "$T/want" "$T/got"; then
        ok
    else
        fail=$((fail + 1))
        echo "FAIL: $1: the \"$2\" paragraph is not exactly:"
        sed 's/^/      /' "$T/want"
        echo "      --- got:"
        sed 's/^/      /' "$T/got"
    fi
}
# stdout_file_is DESC FILE: the last command's stdout is exactly FILE.
stdout_file_is() {
    if cmp -s "$2" "$T/out"; then ok; else bad "$1" "stdout is not exactly $2:" "$(sed -n 1,10p "$2")"; fi
}
# hex FILE: FILE as `sub --hex` prints a message (lowercase hex, then newline).
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; echo; }
# log_counters PUBLISHED USED FREE PADDING WAITING PRODUCERS CONSUMERS PARTICIPANTS:
# the counters paragraph of `info` on a 4096-byte log.
log_counters() {
    printf 'counters\n  published         %s\n  bytes used        %s of 4096\n' "$1" "$2"
    printf '  bytes free        %s\n  bytes padding     %s\n  records waiting   %s\n' "$3" "$4" "$5"
    printf '  producers live    %s\n  consumers live    %s\n  participants live %s\n' "$6" "$7" "$8"
}
# stream_para STATE WRITERS ABORTED READ: the stream paragraph of `info`.
stream_para() {
    printf 'stream\n  state             %s\n  writers           %s\n' "$1" "$2"
    printf '  writers aborted   %s\n  bytes read        %s\n' "$3" "$4"
}
# rpc_counters FREE ABANDONED FAILED CLIENTS SERVERS PARTICIPANTS: the counters
# paragraph of `info` on an rpc region of 4 cells.
rpc_counters() {
    printf 'counters\n  free cells        %s of 4\n  replies abandoned %s\n' "$1" "$2"
    printf '  requests failed   %s\n  clients live      %s\n  servers live      %s\n' "$3" "$4" "$5"
    printf '  participants live %s\n' "$6"
}
# wait_gone PID DESC: poll until PID has exited (about 5 s); if it has not, fail
# DESC and kill it, so that the `wait` after it cannot hang.
wait_gone() {
    i=0
    while [ $i -lt 100 ]; do
        case $(ps -o stat= -p "$1" 2>/dev/null) in '' | Z*) return 0 ;; esac
        nap
        i=$((i + 1))
    done
    fail=$((fail + 1))
    echo "FAIL: $2: process $1 did not exit"
    kill -KILL "$1" 2>/dev/null
}
# wait_stopped PID: poll until PID is stopped (SIGSTOP took effect; about 5 s).
wait_stopped() {
    i=0
    while [ $i -lt 100 ]; do
        case $(ps -o stat= -p "$1" 2>/dev/null) in T*) return 0 ;; esac
        nap
        i=$((i + 1))
    done
    echo "FAIL: process $1 never stopped" >&2
    return 1
}
# report DEAD SLOTS CELLS DROPPED: the five lines of a recover report.
report() {
    printf '  dead participants %s\n  slots reclaimed   %s\n  cells skipped     %s\n' "$1" "$2" "$3"
    printf '  messages dropped  %s\n  elapsed           N \302\265s\n' "$4"
}

# ---- usage --------------------------------------------------------------------
t "help" 0 "usage:" "$IB" help
has "help lists route" "indexbus route NAME"
t "no arguments" 2 "usage:" "$IB"
t "unknown command" 2 "indexbus: unknown command 'frob'" "$IB" frob
t "version" 0 "region layout 1.3" "$IB" version
t "create without NAME" 2 "indexbus create: missing region NAME" "$IB" create
t "bad number" 2 "--slots wants a whole number" "$IB" create "$P-x" --slots abc
t "bad kind" 2 "--kind is events, fanout, log, stream or rpc, not 'foo'" "$IB" create "$P-x" --kind foo
t "bad mode" 2 "--mode wants an octal mode" "$IB" create "$P-x" --mode 999
t "unknown option" 2 "indexbus sub: unknown option '--bogus'" "$IB" sub "$P-x" --bogus
t "option needs value" 2 "option --consumer needs a value" "$IB" sub "$P-x" --consumer
t "flag takes no value" 2 "option --quiet takes no value" "$IB" sub "$P-x" --quiet=1
t "two names" 2 "unexpected argument 'y'" "$IB" info "$P-x" y
t "--size needs --count" 2 "--size needs --count" "$IB" pub "$P-x" --size 16
t "--file and --count" 2 "--file and --count exclude each other" \
    "$IB" pub "$P-x" --file /dev/null --count 1
t "bad route mode" 2 "--mode is broadcast or work-queue" "$IB" route "$P-x" --mode all
t "command --help" 0 "usage: indexbus create NAME" "$IB" create --help
t "recover without NAME" 2 "indexbus recover: missing region NAME" "$IB" recover
t "recover unknown option" 2 "indexbus recover: unknown option '--all'" "$IB" recover "$P-x" --all
t "gc NAMEs and --dir" 2 "indexbus gc: give region NAMEs or --dir, not both" \
    "$IB" gc "$P-x" --dir /tmp
t "help lists recover" 0 "indexbus recover NAME [--sweep]" "$IB" help
has "help lists gc" "indexbus gc [NAME...] [--dir DIR]"

# ---- create / info / unlink ----------------------------------------------------
t "create events" 0 "created $P-ev: events, 16 slots x 64 bytes, queue 16, 1 consumer," \
    "$IB" create "$P-ev" --slots 16 --slot-size 64
t "create existing" 1 "indexbus: region $P-ev: region already exists" \
    "$IB" create "$P-ev" --slots 16
t "create bad geometry" 1 "indexbus: region $P-x: invalid argument (slots and queue" \
    "$IB" create "$P-x" --slots 3
t "info" 0 "region $P-ev" "$IB" info "$P-ev"
has "info kind" "kind              events"
has "info layout" "layout version    1.0"
has "info capabilities" "capabilities      events mpsc blocking counters participants (0x3d)"
has "info slots" "slots             16"
has "info slot size" "slot data size    64 bytes"
has "info queue" "queue capacity    16"
has "info free slots" "free slots        16 of 16"
has "info consumer table" "consumer  attached     delivered"
has "info creator" "creator pid       "
# the header of a region without 1.3 features ends at "created" (lines end at \n)
awk 'NR > 1 && $0 == "" { exit } 1' "$T/out" | tail -n 1 | grep -q '^  created  ' && ok ||
    bad "a 1.0 header ends with its creation time"
t "info missing" 1 "indexbus: region $P-none: no such region" "$IB" info "$P-none"
t "create default events" 0 "created $P-dflt: events, 2048 slots x 256 bytes, queue 1024," \
    "$IB" create "$P-dflt"
t "info default events" 0 \
    "capabilities      events mpsc blocking counters participants spsc-recycle (0x10000003d)" \
    "$IB" info "$P-dflt"
t "unlink default events" 0 "" "$IB" unlink "$P-dflt"

# ---- pub lines, sub prints them exactly, in order -------------------------------
printf 'alpha\nbeta\n\ngamma delta' >"$T/lines"
STDIN=$T/lines
t "pub lines" 0 "published 4 messages, 20 bytes in " "$IB" pub "$P-ev"
t "sub --count" 0 "consumer 0: 3 messages, 9 bytes in " \
    "$IB" sub "$P-ev" --count 3 --timeout-ms 2000
stdout_is "sub prints lines in order" 'alpha\nbeta\n\n'
t "sub until disconnected" 0 "consumer 0: 1 message, 11 bytes" "$IB" sub "$P-ev"
stdout_is "sub prints the last line" 'gamma delta\n'
t "info counters" 0 "published         4" "$IB" info "$P-ev"
has "info delivered" "       0        no             4"
STDIN=$T/lines
t "pub with every consumer gone" 1 \
    "indexbus: region $P-ev: publish: every peer on the other side has closed" "$IB" pub "$P-ev"
t "unlink" 0 "" "$IB" unlink "$P-ev"
t "unlink missing" 1 "indexbus: region $P-ev: no such region" "$IB" unlink "$P-ev"
t "sub missing" 1 "indexbus: region $P-ev: no such region" "$IB" sub "$P-ev"

# ---- timeouts, consumer index, exclusive consumer --------------------------------
"$IB" create "$P-tmo" --slots 16 --slot-size 64 >/dev/null
t "sub times out" 0 "consumer 0: 0 messages, 0 bytes" "$IB" sub "$P-tmo" --timeout-ms 100
t "sub --count not reached" 1 \
    "indexbus: region $P-tmo: consumer 0: got 0 of 1 messages: no message for 100 ms" \
    "$IB" sub "$P-tmo" --count 1 --timeout-ms 100
t "consumer out of range" 1 \
    "indexbus: region $P-tmo: consumer 1: consumer index out of range (the region has 1)" \
    "$IB" sub "$P-tmo" --consumer 1
"$IB" sub "$P-tmo" >"$T/held.out" 2>"$T/held.err" &
held=$!
wait_live "$P-tmo" consumers 1
t "consumer busy" 1 "indexbus: region $P-tmo: consumer 0: exclusive role is already attached" \
    "$IB" sub "$P-tmo"
kill -INT $held
wait $held
status_is "sub ends cleanly on SIGINT" $? 0
file_has "sub summary after SIGINT" "$T/held.err" "consumer 0: 0 messages"
t "consumer released after SIGINT" 0 "consumers live    0" "$IB" info "$P-tmo"
t "route on events region" 1 \
    "indexbus: region $P-tmo: router: operation does not apply to this region kind" \
    "$IB" route "$P-tmo"

# ---- files, hex, synthetic messages, size limits ---------------------------------
"$IB" create "$P-data" --slots 16 --slot-size 64 >/dev/null
printf 'hello\nworld' >"$T/f1"
printf 'AB' >"$T/f2"
head -c 100 /dev/zero >"$T/big"
t "pub --file" 0 "published 2 messages, 13 bytes" "$IB" pub "$P-data" --file "$T/f1" "$T/f2"
t "pub --file missing" 1 "indexbus: $T/nope: No such file or directory" \
    "$IB" pub "$P-data" --file "$T/nope"
t "pub --file too large" 1 \
    "indexbus: region $P-data: $T/big is larger than the slot data size (64 bytes)" \
    "$IB" pub "$P-data" --file "$T/big"
t "pub --size too large" 1 \
    "indexbus: region $P-data: --size 128 is larger than the slot data size (64 bytes)" \
    "$IB" pub "$P-data" --count 1 --size 128
awk 'BEGIN { s = ""; for (i = 0; i < 100; i++) s = s "x"; print s }' >"$T/longline"
STDIN=$T/longline
t "pub line too large" 1 \
    "indexbus: region $P-data: message 1: message larger than the slot data size (64 bytes)" \
    "$IB" pub "$P-data"
t "pub --count" 0 "published 5 messages, 80 bytes" "$IB" pub "$P-data" --count 5 --size 16
t "sub a whole file" 0 "" "$IB" sub "$P-data" --count 1
stdout_is "file is one message" 'hello\nworld\n'
t "sub --hex" 0 "" "$IB" sub "$P-data" --count 1 --hex
stdout_is "hex output" '4142\n'
t "sub --check-seq" 0 "consumer 0: 5 messages, 80 bytes in " \
    "$IB" sub "$P-data" --quiet --check-seq --timeout-ms 2000
has "seq ok" "; seq order ok, 0 gaps"
stdout_is "--quiet prints nothing" ''

# ---- sequence check failures -------------------------------------------------------
"$IB" create "$P-seq" --slots 16 --slot-size 64 >/dev/null
"$IB" pub "$P-seq" --count 3 --size 8 2>/dev/null
"$IB" pub "$P-seq" --count 3 --size 8 2>/dev/null
printf 'x\n' >"$T/short"
STDIN=$T/short
"$IB" pub "$P-seq" 2>/dev/null <"$T/short"
t "seq out of order" 1 "; seq 3 out of order, 0 gaps, 1 shorter than 8 bytes" \
    "$IB" sub "$P-seq" --quiet --check-seq
has "seq failure named" "indexbus: region $P-seq: consumer 0: sequence check failed"

# ---- SPSC producer is exclusive; MPSC producers are not ----------------------------
"$IB" create "$P-spsc" --slots 16 --slot-size 64 >/dev/null
mkfifo "$T/fifo"
"$IB" pub "$P-spsc" <"$T/fifo" >/dev/null 2>"$T/spsc.err" &
spsc=$!
exec 3>"$T/fifo"
wait_live "$P-spsc" producers 1
t "SPSC producer busy" 1 \
    "indexbus: region $P-spsc: SPSC producer: exclusive role is already attached (another pub" \
    "$IB" pub "$P-spsc" --count 1
t "MPSC beside SPSC" 0 "published 2 messages" "$IB" pub "$P-spsc" --mpsc --count 2 --size 8
echo "from the fifo" >&3
exec 3>&-
wait $spsc
status_is "pub ends at end of input" $? 0
file_has "pub summary" "$T/spsc.err" "published 1 message, 13 bytes"
t "events consumer reads SPSC and MPSC" 0 "consumer 0: 3 messages" \
    "$IB" sub "$P-spsc" --quiet --count 3 --timeout-ms 2000

# ---- fanout: router, broadcast to two consumers -------------------------------------
t "create fanout" 0 "created $P-fan: fanout, 64 slots x 64 bytes, queue 64, 2 consumers," \
    "$IB" create "$P-fan" --kind fanout --slots 64 --slot-size 64 --consumers 2
"$IB" route "$P-fan" --exit-on-disconnect 2>"$T/route.err" &
router=$!
"$IB" sub "$P-fan" --consumer 0 --quiet --check-seq 2>"$T/sub0.err" &
sub0=$!
"$IB" sub "$P-fan" --consumer 1 --quiet --check-seq 2>"$T/sub1.err" &
sub1=$!
wait_live "$P-fan" consumers 2
wait_live "$P-fan" routers 1
t "pub to fanout" 0 "published 1000 messages, 64000 bytes" "$IB" pub "$P-fan" --count 1000 --size 64
wait $router
status_is "router exits on disconnect" $? 0
wait $sub0
status_is "consumer 0 exit" $? 0
wait $sub1
status_is "consumer 1 exit" $? 0
file_has "router summary" "$T/route.err" "router: routed 1000 messages in "
file_has "router reason" "$T/route.err" "; producers gone and drained"
for i in 0 1; do
    file_has "broadcast consumer $i" "$T/sub$i.err" \
        "consumer $i: 1000 messages, 64000 bytes in "
    file_has "broadcast consumer $i order" "$T/sub$i.err" "; seq order ok, 0 gaps"
done
t "info after fanout" 0 "routed            1000" "$IB" info "$P-fan"
has "consumer 1 row" "       1        no          1000             0                  0         0"

"$IB" route "$P-fan" 2>"$T/route2.err" &
router=$!
wait_live "$P-fan" routers 1
t "router busy" 1 "indexbus: region $P-fan: router: exclusive role is already attached" \
    "$IB" route "$P-fan"
kill -TERM $router
wait $router
status_is "router stops on SIGTERM" $? 0
file_has "router stop summary" "$T/route2.err" "router: routed 0 messages in "
file_has "router stop reason" "$T/route2.err" "; stopped by signal"

# ---- fanout: work queue from MPSC producers ---------------------------------------
"$IB" create "$P-wq" --kind fanout --slots 64 --slot-size 64 --consumers 2 >/dev/null
"$IB" route "$P-wq" --mode work-queue --source mpsc --exit-on-disconnect 2>"$T/wq.err" &
router=$!
"$IB" sub "$P-wq" --consumer 0 --quiet --check-seq 2>"$T/wq0.err" &
sub0=$!
"$IB" sub "$P-wq" --consumer 1 --quiet --check-seq 2>"$T/wq1.err" &
sub1=$!
wait_live "$P-wq" consumers 2
t "pub --mpsc to work queue" 0 "published 500 messages" \
    "$IB" pub "$P-wq" --mpsc --count 500 --size 16
wait $router
wait $sub0
status_is "worker 0 exit" $? 0
wait $sub1
status_is "worker 1 exit" $? 0
file_has "work-queue router" "$T/wq.err" "router: routed 500 messages"
n0=$(sed -n 's/^consumer 0: \([0-9]*\) message.*/\1/p' "$T/wq0.err")
n1=$(sed -n 's/^consumer 1: \([0-9]*\) message.*/\1/p' "$T/wq1.err")
status_is "work queue splits 500 messages (got ${n0:-?} + ${n1:-?})" $((${n0:-0} + ${n1:-0})) 500
file_has "worker 0 order" "$T/wq0.err" "; seq order ok"
file_has "worker 1 order" "$T/wq1.err" "; seq order ok"

# ---- byte logs (layout 1.1): create, info, pub, sub --------------------------------
LOGBAD="invalid argument (bytes: a power of two in 4096..1073741824; max record: at most bytes / 2 - 8; name: 1..254 bytes)"
t "create log: --bytes not a power of two" 1 "indexbus: region $P-x: $LOGBAD" \
    "$IB" create "$P-x" --kind log --bytes 3000
t "create log: --bytes below 4096" 1 "indexbus: region $P-x: $LOGBAD" \
    "$IB" create "$P-x" --kind log --bytes 1000
t "create log: --bytes above 1 GiB" 1 "indexbus: region $P-x: $LOGBAD" \
    "$IB" create "$P-x" --kind log --bytes 2147483648
t "create log: --max-record too large" 1 "indexbus: region $P-x: $LOGBAD" \
    "$IB" create "$P-x" --kind log --bytes 4096 --max-record 2041
t "create log: --bytes 0" 2 \
    "indexbus create: --bytes wants a whole number in 1..18446744073709551615, not '0'" \
    "$IB" create "$P-x" --kind log --bytes 0
t "--bytes on an events region" 2 "indexbus create: --bytes does not apply to --kind events" \
    "$IB" create "$P-x" --bytes 4096
t "--max-record on a fanout region" 2 \
    "indexbus create: --max-record does not apply to --kind fanout" \
    "$IB" create "$P-x" --max-record 100 --kind fanout
t "--slots on a log" 2 "indexbus create: --slots does not apply to --kind log" \
    "$IB" create "$P-x" --kind log --slots 16
t "--consumers on a log" 2 "indexbus create: --consumers does not apply to --kind log" \
    "$IB" create "$P-x" --kind log --consumers 2
t "no region after the refusals" 1 "indexbus: region $P-x: no such region" "$IB" info "$P-x"
t "create default log" 0 \
    "created $P-logd: log, 1048576-byte ring, records up to 65536 bytes, 1 consumer, " \
    "$IB" create "$P-logd" --kind log
t "unlink default log" 0 "" "$IB" unlink "$P-logd"

t "create log" 0 \
    "created $P-log: log, 4096-byte ring, records up to 2040 bytes, 1 consumer, 28672 bytes" \
    "$IB" create "$P-log" --kind log --bytes 4096
t "info log" 0 "region $P-log" "$IB" info "$P-log"
has "info log kind" "kind              log"
has "info log layout" "layout version    1.1"
has "info log capabilities" \
    "capabilities      mpsc blocking counters participants log byte-log (0x20000007c)"
{
    printf 'geometry\n  byte capacity     4096 bytes\n  max record        2040 bytes\n'
    printf '  consumers         1\n\n'
    log_counters 0 0 4096 0 0 0 0 0
    printf '\nconsumers\n'
    printf '  consumer  attached     delivered  dropped_full  dropped_no_credit     depth\n'
    printf '         0        no             0             0                  0         0\n\n'
    echo participants; row slot role consumer pid attached alive; echo "  (none attached)"
} >"$T/want"
section_is "info of an empty log" geometry

# records of several lengths, 0 and max_record included, come back byte-exact
for n in 0 1 7 8 9 100 2040 2041; do head -c $n /dev/urandom >"$T/r$n"; done
t "pub --file to a log" 0 "published 7 messages, 2165 bytes" \
    "$IB" pub "$P-log" --file "$T/r0" "$T/r1" "$T/r7" "$T/r8" "$T/r9" "$T/r100" "$T/r2040"
t "pub --file over max record" 1 \
    "indexbus: region $P-log: $T/r2041 is larger than the max record (2040 bytes)" \
    "$IB" pub "$P-log" --file "$T/r2041"
awk 'BEGIN { s = ""; for (i = 0; i < 2041; i++) s = s "x"; print s }' >"$T/line2041"
STDIN=$T/line2041
t "pub line over max record" 1 \
    "indexbus: region $P-log: message 1: message larger than the max record (2040 bytes)" \
    "$IB" pub "$P-log"
t "pub --size over max record" 1 \
    "indexbus: region $P-log: --size 2048 is larger than the max record (2040 bytes)" \
    "$IB" pub "$P-log" --count 1 --size 2048
# strides 8 + 16 + 16 + 16 + 24 + 112 + 2048: 8-byte header, length rounded up to 8
t "info after 7 records" 0 "" "$IB" info "$P-log"
log_counters 7 2240 1856 0 7 0 0 0 >"$T/want"
paragraph_is "log counters: 7 records waiting" counters
has "log consumer depth" "         0        no             0             0                  0         7"
t "sub a log" 0 "consumer 0: 7 messages, 2165 bytes in " "$IB" sub "$P-log" --hex --count 7
for n in 0 1 7 8 9 100 2040; do hex "$T/r$n"; done >"$T/want"
stdout_file_is "sub --hex: every record byte-exact, in order" "$T/want"
t "info after sub" 0 "" "$IB" info "$P-log"
log_counters 7 0 4096 0 0 0 0 0 >"$T/want"
paragraph_is "log counters: drained, space given back" counters
has "log delivered" "         0        no             7             0                  0         0"
t "pub to a log whose consumer left" 1 \
    "indexbus: region $P-log: publish: every peer on the other side has closed (no consumer left); stopping" \
    "$IB" pub "$P-log" --count 1
t "route on a log" 1 "indexbus: region $P-log: router: operation does not apply to this region kind" \
    "$IB" route "$P-log"
t "log consumer 1" 1 \
    "indexbus: region $P-log: consumer 1: consumer index out of range (the region has 1)" \
    "$IB" sub "$P-log" --consumer 1

# a full log: pub waits, --timeout-ms gives up
"$IB" create "$P-lgt" --kind log --bytes 4096 >/dev/null
t "pub gives up on a full log" 1 "indexbus: region $P-lgt: message 3: bus full for 100 ms; giving up" \
    "$IB" pub "$P-lgt" --count 3 --size 2040 --timeout-ms 100
has "... after publishing what fitted" "published 2 messages, 4080 bytes in "
t "info of a full log" 0 "" "$IB" info "$P-lgt"
log_counters 2 4096 0 0 2 0 0 0 >"$T/want"
paragraph_is "log counters: full" counters
t "--timeout-ms 0 does not wait" 1 "indexbus: region $P-lgt: message 1: bus full for 0 ms; giving up" \
    "$IB" pub "$P-lgt" --timeout-ms 0 --count 1

# a pub parked on a full log is woken by the sub that drains it
"$IB" create "$P-lgw" --kind log --bytes 4096 >/dev/null
"$IB" pub "$P-lgw" --count 200 --size 1000 >/dev/null 2>"$T/lgw.err" &
parked=$!
wait_info "$P-lgw" "published         4"
t "info with a pub waiting" 0 "" "$IB" info "$P-lgw"
log_counters 4 4032 64 0 4 1 0 1 >"$T/want" # 4 x 1008 bytes; the 5th does not fit
paragraph_is "log counters: producer waiting" counters
t "sub drains what a waiting pub publishes" 0 "consumer 0: 200 messages, 200000 bytes in " \
    "$IB" sub "$P-lgw" --quiet --check-seq --count 200 --timeout-ms 20000
has "... in order" "; seq order ok, 0 gaps"
wait $parked
status_is "the waiting pub finished" $? 0
file_has "the waiting pub's summary" "$T/lgw.err" "published 200 messages, 200000 bytes in "

# the wrap: a record that does not fit before the end is preceded by padding.
# The pub stays attached (its stdin a fifo), so the sub does not see the
# producers gone; the sub is stopped while the record after the wrap goes in.
"$IB" create "$P-lgp" --kind log --bytes 4096 >/dev/null
for n in 500 500 500 750; do head -c $n /dev/urandom | od -An -tx1 -v | tr -d ' \n'; echo; done >"$T/wrap"
mkfifo "$T/wfifo"
"$IB" pub "$P-lgp" <"$T/wfifo" >/dev/null 2>"$T/lgp-pub.err" &
writer=$!
exec 3>"$T/wfifo"
"$IB" sub "$P-lgp" --count 4 >"$T/lgp.out" 2>"$T/lgp.err" &
reader=$!
sed -n 1,3p "$T/wrap" >&3                   # 3 records of 1000 bytes, 1008 each: tail at 3024
wait_info "$P-lgp" "records waiting   0"
wait_info "$P-lgp" "bytes used        0 of 4096" # read, and the space given back
kill -STOP $reader
wait_stopped $reader
sed -n 4p "$T/wrap" >&3                     # 1500 bytes do not fit in the 1072 left
wait_info "$P-lgp" "published         4"
t "info with padding" 0 "" "$IB" info "$P-lgp"
log_counters 4 2584 1512 1072 1 1 1 2 >"$T/want" # 1072 padded to the end, then 1512
paragraph_is "log counters: padding at the wrap" counters
kill -CONT $reader
wait $reader
status_is "sub across the wrap" $? 0
if cmp -s "$T/wrap" "$T/lgp.out"; then ok; else bad "records across the wrap byte-exact" "$(cat "$T/lgp.err")"; fi
t "info after the wrap" 0 "" "$IB" info "$P-lgp"
log_counters 4 0 4096 0 0 1 0 1 >"$T/want"
paragraph_is "log counters: padding read past and given back" counters
exec 3>&-
wait $writer
status_is "pub across the wrap" $? 0
file_has "pub across the wrap: summary" "$T/lgp-pub.err" "published 4 messages, 4500 bytes in "

# producers: one SPSC or any number of MPSC, not both
"$IB" create "$P-lgx" --kind log --bytes 4096 >/dev/null
mkfifo "$T/lfifo"
"$IB" pub "$P-lgx" <"$T/lfifo" >/dev/null 2>"$T/lgx.err" &
spsc=$!
exec 3>"$T/lfifo"
wait_live "$P-lgx" producers 1
t "MPSC beside SPSC on a log" 1 \
    "indexbus: region $P-lgx: MPSC producer: exclusive role is already attached (a log takes one SPSC producer or MPSC producers, not both at once)" \
    "$IB" pub "$P-lgx" --mpsc --count 1
exec 3>&-
wait $spsc
status_is "the SPSC pub on a log ends" $? 0
# two MPSC pubs fill the ring and wait; then a sub drains both
"$IB" create "$P-lgm" --kind log --bytes 4096 >/dev/null
"$IB" pub "$P-lgm" --mpsc --count 300 --size 24 2>"$T/lgm1.err" &
m1=$!
"$IB" pub "$P-lgm" --mpsc --count 300 --size 40 2>"$T/lgm2.err" &
m2=$!
wait_live "$P-lgm" producers 2
t "SPSC beside MPSC on a log" 1 \
    "indexbus: region $P-lgm: SPSC producer: exclusive role is already attached (a log takes one SPSC producer or MPSC producers, not both at once)" \
    "$IB" pub "$P-lgm" --count 1
t "sub of two MPSC pubs" 0 "consumer 0: 600 messages, 19200 bytes in " \
    "$IB" sub "$P-lgm" --quiet --count 600 --timeout-ms 20000
wait $m1
status_is "MPSC pub 1 on a log" $? 0
wait $m2
status_is "MPSC pub 2 on a log" $? 0
file_has "MPSC pub 1 summary" "$T/lgm1.err" "published 300 messages, 7200 bytes in "
file_has "MPSC pub 2 summary" "$T/lgm2.err" "published 300 messages, 12000 bytes in "

# ---- byte streams (layout 1.1): create, info, stream write / stream read -------------
t "stream without verb" 2 "indexbus stream: missing write or read" "$IB" stream
t "stream bad verb" 2 "indexbus stream: 'frob' is not write or read" "$IB" stream frob "$P-x"
t "stream without NAME" 2 "indexbus stream: missing region NAME" "$IB" stream write
t "stream write --keep" 2 "indexbus stream: --keep applies to stream read only" \
    "$IB" stream write "$P-x" --keep
t "help lists stream" 0 "indexbus stream write|read NAME [--bytes N] [--max-record BYTES]" "$IB" help
t "--slots on a stream" 2 "indexbus create: --slots does not apply to --kind stream" \
    "$IB" create "$P-x" --kind stream --slots 16
t "--cells on a stream" 2 "indexbus create: --cells does not apply to --kind stream" \
    "$IB" create "$P-x" --kind stream --cells 4
t "create stream: --bytes not a power of two" 1 "indexbus: region $P-x: $LOGBAD" \
    "$IB" create "$P-x" --kind stream --bytes 5000
t "create stream" 0 "" "$IB" create "$P-stc" --kind stream --bytes 4096
stdout_is "create stream says" "created $P-stc: stream, 4096-byte ring, records up to 2040 bytes, 28672 bytes\n"
t "info stream" 0 "region $P-stc" "$IB" info "$P-stc"
has "info stream kind" "kind              stream"
has "info stream layout" "layout version    1.1"
has "info stream capabilities" \
    "capabilities      mpsc blocking counters participants stream byte-stream (0x4000000bc)"
{
    printf 'geometry\n  byte capacity     4096 bytes\n  max record        2040 bytes\n\n'
    log_counters 0 0 4096 0 0 0 0 0
    echo; stream_para open 0 0 0
    echo; echo participants; row slot role consumer pid attached alive; echo "  (none attached)"
} >"$T/want"
section_is "info of a new stream" geometry
t "stream read on an events region" 1 "indexbus: region $P-tmo: is an events region, not a stream region" \
    "$IB" stream read "$P-tmo"
t "stream write on a log" 1 "indexbus: region $P-lgt: is a log region, not a stream region" \
    "$IB" stream write "$P-lgt"

# the writer first: it creates the stream, writes and leaves; the stream has ended
printf 'hello, stream\n' >"$T/s1"
STDIN=$T/s1
t "stream write creates the stream" 0 "stream $P-sw1: wrote 14 bytes in " \
    "$IB" stream write "$P-sw1" --stats
stdout_is "stream write prints nothing on stdout" ''
t "info: the writer left" 0 "byte capacity     1048576 bytes" "$IB" info "$P-sw1"
stream_para ENDED 0 0 0 >"$T/want"
paragraph_is "stream ended by its only writer" stream
t "an ended stream takes no writer" 1 \
    "indexbus: stream $P-sw1: has ended (its writers have left; a stream is written once); 'indexbus unlink $P-sw1' removes it" \
    "$IB" stream write "$P-sw1"
t "stream read --keep" 0 "stream $P-sw1: read 14 bytes in " "$IB" stream read "$P-sw1" --keep --stats
stdout_file_is "stream read: the bytes written" "$T/s1"
t "info after the read" 0 "" "$IB" info "$P-sw1"
stream_para "ENDED READER_GONE" 0 0 14 >"$T/want"
paragraph_is "stream read to the end" stream
t "stream write once the reader is gone" 141 \
    "indexbus: stream $P-sw1: its reader is gone (the read end was closed); 'indexbus unlink $P-sw1' removes it" \
    "$IB" stream write "$P-sw1"
t "stream read once the read end is closed" 1 \
    "indexbus: stream $P-sw1: its read end was closed (the stream is finished); 'indexbus unlink $P-sw1' removes it" \
    "$IB" stream read "$P-sw1"
t "unlink a kept stream" 0 "" "$IB" unlink "$P-sw1"

# the reader first: it creates the stream (a 4 KiB ring) and waits for a writer;
# 300000 bytes go through it, wrapping many times
head -c 300000 /dev/urandom >"$T/s300k"
"$IB" stream read "$P-sr1" --bytes 4096 --timeout-ms 20000 >"$T/sr1.out" 2>"$T/sr1.err" &
reader=$!
wait_info "$P-sr1" "consumers live    1"
t "info: a reader waits for a writer" 0 "byte capacity     4096 bytes" "$IB" info "$P-sr1"
{ stream_para open 0 0 0; echo; echo participants; row slot role consumer pid attached alive
  row 0 stream-reader - $reader "$TS" yes; } >"$T/want"
section_is "a reader waiting" stream
t "a second reader" 1 \
    "indexbus: stream $P-sr1: reader: exclusive role is already attached (another reader holds the read end)" \
    "$IB" stream read "$P-sr1"
STDIN=$T/s300k
t "stream write to a waiting reader" 0 "" "$IB" stream write "$P-sr1"
wait $reader
status_is "stream read to the end" $? 0
if cmp -s "$T/s300k" "$T/sr1.out"; then ok; else bad "300000 bytes through a 4 KiB stream" "$(cat "$T/sr1.err")"; fi
t "the reader removed the stream" 1 "indexbus: region $P-sr1: no such region" "$IB" info "$P-sr1"

# the writer first, with more than the ring holds: it waits for a reader
"$IB" stream write "$P-sw2" --bytes 4096 <"$T/s300k" 2>"$T/sw2.err" &
writer=$!
wait_info "$P-sw2" "bytes used        4096 of 4096"
t "info: a writer waits for a reader" 0 "" "$IB" info "$P-sw2"
{ log_counters 2 4096 0 0 2 1 0 1; echo; stream_para open 1 0 0; echo; echo participants
  row slot role consumer pid attached alive; row 0 stream-writer - $writer "$TS" yes; } >"$T/want"
section_is "a writer waiting on a full stream" counters
t "stream read from a waiting writer" 0 "" "$IB" stream read "$P-sw2" --timeout-ms 20000
stdout_file_is "300000 bytes, the writer first" "$T/s300k"
wait $writer
status_is "the waiting writer finished" $? 0
t "stream read removed the stream" 1 "indexbus: region $P-sw2: no such region" "$IB" info "$P-sw2"

# both at once: whichever comes second opens what the first created
"$IB" stream write "$P-sr2" <"$T/s300k" 2>"$T/race-w.err" &
writer=$!
"$IB" stream read "$P-sr2" --timeout-ms 20000 >"$T/race.out" 2>"$T/race-r.err" &
reader=$!
wait $writer
status_is "racing stream write" $? 0
wait $reader
status_is "racing stream read" $? 0
if cmp -s "$T/s300k" "$T/race.out"; then ok; else bad "racing write and read" "$(cat "$T/race-w.err" "$T/race-r.err")"; fi

# two writers: the stream ends when the last one leaves
"$IB" stream read "$P-smw" --keep --timeout-ms 20000 >"$T/smw.out" 2>"$T/smw.err" &
reader=$!
wait_info "$P-smw" "consumers live    1"
mkfifo "$T/sfifo"
"$IB" stream write "$P-smw" <"$T/sfifo" 2>"$T/smw-a.err" &
writer=$!
exec 3>"$T/sfifo"
wait_info "$P-smw" "writers           1"
printf 'from B\n' >"$T/sb"
STDIN=$T/sb
t "a second writer" 0 "" "$IB" stream write "$P-smw"
wait_info "$P-smw" "bytes read        7"
t "info: one writer left" 0 "" "$IB" info "$P-smw"
{ stream_para open 1 0 7; echo; echo participants; row slot role consumer pid attached alive
  row 0 stream-reader - $reader "$TS" yes; row 1 stream-writer - $writer "$TS" yes; } >"$T/want"
section_is "the stream stays open while a writer is left" stream
echo 'from A' >&3
exec 3>&-
wait $writer
status_is "the first writer ends" $? 0
wait $reader
status_is "the reader of two writers" $? 0
printf 'from B\nfrom A\n' >"$T/want"
if cmp -s "$T/want" "$T/smw.out"; then ok; else bad "two writers' bytes" "$(cat "$T/smw.out")"; fi
t "info after two writers" 0 "" "$IB" info "$P-smw"
stream_para "ENDED READER_GONE" 0 0 14 >"$T/want"
paragraph_is "ended once both writers left" stream

# a writer stopped by SIGTERM mid-stream: it aborts (exit 1); the reader gets its
# bytes, then ABORTED
"$IB" stream read "$P-sab" --keep --timeout-ms 20000 >"$T/sab.out" 2>"$T/sab.err" &
reader=$!
wait_info "$P-sab" "consumers live    1"
mkfifo "$T/sfifo2"
"$IB" stream write "$P-sab" <"$T/sfifo2" 2>"$T/sab-w.err" &
writer=$!
exec 3>"$T/sfifo2"
printf 'partial' >&3
wait_info "$P-sab" "bytes read        7"
kill -TERM $writer
wait_gone $writer "SIGTERM stops stream write"
wait $writer
status_is "stream write stopped by SIGTERM" $? 1
file_has "the writer says ABORTED" "$T/sab-w.err" \
    "indexbus: stream $P-sab: interrupted after 7 bytes; the stream ends ABORTED"
exec 3>&-
wait $reader
status_is "stream read of an aborted stream" $? 1
file_has "the reader says ABORTED" "$T/sab.err" \
    "indexbus: stream $P-sab: ended ABORTED: 1 writer stopped short (gave up or died); the 7 bytes read may be incomplete"
printf 'partial' >"$T/want"
if cmp -s "$T/want" "$T/sab.out"; then ok; else bad "bytes before the abort" "$(cat "$T/sab.out")"; fi
t "info of an aborted stream" 0 "" "$IB" info "$P-sab"
stream_para "ENDED READER_GONE ABORTED" 0 1 7 >"$T/want"
paragraph_is "a writer that aborted is counted" stream

# SIGINT with no reader: the stream is ABORTED at once (nobody recovered anything:
# no participant is left for recovery), and its bytes are still read
mkfifo "$T/sfifo3"
"$IB" stream write "$P-sin" --bytes 4096 <"$T/sfifo3" 2>"$T/sin-w.err" &
writer=$!
exec 3>"$T/sfifo3"
printf 'cut short' >&3
wait_info "$P-sin" "records waiting   1"
kill -INT $writer
wait_gone $writer "SIGINT stops stream write"
wait $writer
status_is "stream write stopped by SIGINT" $? 1
file_has "SIGINT: the writer says ABORTED" "$T/sin-w.err" \
    "indexbus: stream $P-sin: interrupted after 9 bytes; the stream ends ABORTED"
exec 3>&-
t "info: ABORTED at once" 0 "" "$IB" info "$P-sin"
{ stream_para "ENDED ABORTED" 0 1 0; echo; echo participants
  row slot role consumer pid attached alive; echo "  (none attached)"; } >"$T/want"
section_is "an aborted writer left no participant to recover" stream
t "stream read after SIGINT" 1 \
    "indexbus: stream $P-sin: ended ABORTED: 1 writer stopped short (gave up or died); the 9 bytes read may be incomplete" \
    "$IB" stream read "$P-sin" --timeout-ms 20000
printf 'cut short' >"$T/want"
stdout_file_is "the bytes before SIGINT" "$T/want"

# SIGTERM while the writer waits for room in a full stream: it aborts too
"$IB" stream write "$P-sfl" --bytes 4096 <"$T/s300k" 2>"$T/sfl-w.err" &
writer=$!
wait_info "$P-sfl" "bytes used        4096 of 4096"
kill -TERM $writer
wait_gone $writer "SIGTERM stops a waiting stream write"
wait $writer
status_is "a waiting stream write stopped by SIGTERM" $? 1
file_has "a waiting writer says ABORTED" "$T/sfl-w.err" \
    "indexbus: stream $P-sfl: interrupted after 4080 bytes; the stream ends ABORTED"
t "info: ABORTED while full" 0 "" "$IB" info "$P-sfl"
stream_para "ENDED ABORTED" 0 1 0 >"$T/want"
paragraph_is "a waiting writer that aborted is counted at once" stream
t "unlink after a waiting writer aborted" 0 "" "$IB" unlink "$P-sfl"

# stdin fails (a directory): the writer aborts at once
STDIN=$T
t "stream write: stdin fails" 1 "indexbus: stdin: Is a directory; stream $P-sie ends ABORTED after 0 bytes" \
    "$IB" stream write "$P-sie" --bytes 4096
t "info: ABORTED after a stdin error" 0 "" "$IB" info "$P-sie"
{ stream_para "ENDED ABORTED" 0 1 0; echo; echo participants
  row slot role consumer pid attached alive; echo "  (none attached)"; } >"$T/want"
section_is "a writer whose stdin failed" stream
t "unlink after a stdin error" 0 "" "$IB" unlink "$P-sie"

# a writer killed by SIGKILL cannot abort: it dies holding its seat, and the waiting
# reader's own recovery ends the stream ABORTED
"$IB" stream read "$P-skl" --keep --timeout-ms 20000 >"$T/skl.out" 2>"$T/skl.err" &
reader=$!
wait_info "$P-skl" "consumers live    1"
mkfifo "$T/sfifo4"
"$IB" stream write "$P-skl" <"$T/sfifo4" 2>/dev/null &
writer=$!
exec 3>"$T/sfifo4"
printf 'killed' >&3
wait_info "$P-skl" "bytes read        6"
kill -KILL $writer
wait $writer 2>/dev/null
exec 3>&-
wait $reader
status_is "stream read after a SIGKILL" $? 1
file_has "SIGKILL: the reader says ABORTED" "$T/skl.err" \
    "indexbus: stream $P-skl: ended ABORTED: 1 writer stopped short (gave up or died); the 6 bytes read may be incomplete"
t "info after a writer died" 0 "" "$IB" info "$P-skl"
stream_para "ENDED READER_GONE ABORTED" 0 1 6 >"$T/want"
paragraph_is "a writer that died is counted" stream

# --timeout-ms: a writer that gives up leaves the stream ABORTED, at once
"$IB" create "$P-sto" --kind stream --bytes 4096 >/dev/null
STDIN=$T/s300k
t "stream write gives up on a full stream" 1 \
    "indexbus: stream $P-sto: full for 100 ms; giving up after 4080 bytes (the stream ends ABORTED)" \
    "$IB" stream write "$P-sto" --timeout-ms 100
t "info: ABORTED after a give-up" 0 "" "$IB" info "$P-sto"
stream_para "ENDED ABORTED" 0 1 0 >"$T/want"
paragraph_is "a writer that gave up is counted at once" stream
t "stream read after a writer gave up" 1 \
    "indexbus: stream $P-sto: ended ABORTED: 1 writer stopped short (gave up or died); the 4080 bytes read may be incomplete" \
    "$IB" stream read "$P-sto" --timeout-ms 20000
head -c 4080 "$T/s300k" >"$T/want"
stdout_file_is "the bytes before the give-up" "$T/want"
t "stream read gives up" 1 "indexbus: stream $P-sto2: no data for 100 ms; giving up after 0 bytes" \
    "$IB" stream read "$P-sto2" --timeout-ms 100
t "... and removed the stream it made" 1 "indexbus: region $P-sto2: no such region" "$IB" info "$P-sto2"

# the reader's stdout closes: it closes the read end (141), and the writer stops (141)
head -c 4194304 /dev/urandom >"$T/s4m" # more than a pipe buffer holds
"$IB" stream write "$P-sgn" --bytes 4096 <"$T/s4m" 2>"$T/sgn-w.err" &
writer=$!
{ "$IB" stream read "$P-sgn" --timeout-ms 20000 2>"$T/sgn-r.err"; echo $? >"$T/sgn-r.rc"; } | head -c 100 >"$T/sgn.out"
status_is "stream read: stdout closed" "$(cat "$T/sgn-r.rc")" 141
file_has "stream read: broken pipe" "$T/sgn-r.err" "indexbus: stdout: Broken pipe; stream $P-sgn: the read end is closed after "
wait $writer
status_is "stream write: the reader is gone" $? 141
file_has "stream write: reader gone" "$T/sgn-w.err" \
    "indexbus: stream $P-sgn: the reader is gone (it closed the read end or died) after "
head -c 100 "$T/s4m" >"$T/want"
if cmp -s "$T/want" "$T/sgn.out"; then ok; else bad "the first 100 bytes" ""; fi

# ---- request/response (layout 1.1): create, info, serve --echo, request --------------
RPCBAD="invalid argument (cells: 1..4096; max request and max reply: 8..16777216 bytes; name: 1..254 bytes)"
t "--bytes on an rpc region" 2 "indexbus create: --bytes does not apply to --kind rpc" \
    "$IB" create "$P-x" --kind rpc --bytes 4096
t "--slots on an rpc region" 2 "indexbus create: --slots does not apply to --kind rpc" \
    "$IB" create "$P-x" --kind rpc --slots 16
t "--max-request on an events region" 2 \
    "indexbus create: --max-request does not apply to --kind events" "$IB" create "$P-x" --max-request 64
t "create rpc: --cells 4097" 1 "indexbus: region $P-x: $RPCBAD" "$IB" create "$P-x" --kind rpc --cells 4097
t "create rpc: --max-reply 4" 1 "indexbus: region $P-x: $RPCBAD" "$IB" create "$P-x" --kind rpc --max-reply 4
t "create rpc" 0 "" "$IB" create "$P-rpc" --kind rpc --cells 4 --max-request 64 --max-reply 16
stdout_is "create rpc says" \
    "created $P-rpc: rpc, 4 cells, requests up to 64 bytes, replies up to 16 bytes, 24576 bytes\n"
t "create default rpc" 0 \
    "created $P-rpd: rpc, 64 cells, requests up to 4096 bytes, replies up to 4096 bytes, " \
    "$IB" create "$P-rpd" --kind rpc
t "unlink default rpc" 0 "" "$IB" unlink "$P-rpd"
t "info rpc" 0 "kind              rpc" "$IB" info "$P-rpc"
has "info rpc capabilities" "capabilities      mpsc blocking counters participants rpc rpc-cells (0x80000013c)"
{
    printf 'geometry\n  cells             4\n  max request       64 bytes\n  max reply         16 bytes\n\n'
    rpc_counters 4 0 0 0 0 0
    echo; echo participants; row slot role consumer pid attached alive; echo "  (none attached)"
} >"$T/want"
section_is "info of a new rpc region" geometry
t "help lists serve" 0 "indexbus serve NAME --echo [--workers N] [--count N]" "$IB" help
has "help lists request" "indexbus request NAME [--data STR | --size BYTES] [--count N] [--timeout-ms MS]"
t "serve without --echo" 2 "indexbus serve: missing --echo (the only way to serve so far)" \
    "$IB" serve "$P-rpc"
t "serve --workers 0" 2 "indexbus serve: --workers wants a whole number in 1..64, not '0'" \
    "$IB" serve "$P-rpc" --echo --workers 0
t "request --data and --size" 2 "indexbus request: --data and --size exclude each other" \
    "$IB" request "$P-rpc" --data x --size 4
t "request --hex and --count" 2 "indexbus request: --hex prints a reply; --count prints none" \
    "$IB" request "$P-rpc" --hex --count 2
t "request --count 0" 2 "indexbus request: --count wants a whole number in 1..100000000, not '0'" \
    "$IB" request "$P-rpc" --count 0
t "request on an events region" 1 "indexbus: region $P-tmo: is an events region, not an rpc region" \
    "$IB" request "$P-tmo"
t "serve on a stream" 1 "indexbus: region $P-stc: is a stream region, not an rpc region" \
    "$IB" serve "$P-stc" --echo
t "request does not create" 1 "indexbus: region $P-rpn: no such region" "$IB" request "$P-rpn"
t "request too large" 1 \
    "indexbus: region $P-rpc: a request of 65 bytes is larger than the max request (64 bytes)" \
    "$IB" request "$P-rpc" --size 65
t "request before any server, --timeout-ms" 1 "indexbus: region $P-rpc: no reply within 100 ms" \
    "$IB" request "$P-rpc" --data x --timeout-ms 100

# a request sent before any server has attached waits for the first one;
# one server, --count 5: replies are the requests' bytes (cut to max reply)
"$IB" request "$P-rpc" --data early --timeout-ms 20000 >"$T/early.out" 2>"$T/early.err" &
client=$!
wait_info "$P-rpc" "clients live      1"
"$IB" serve "$P-rpc" --echo --count 5 2>"$T/serve1.err" &
server=$!
wait $client
status_is "a request before the first server" $? 0
printf 'early\n' >"$T/want"
if cmp -s "$T/want" "$T/early.out"; then ok; else bad "the early request's echo" "$(cat "$T/early.err")"; fi
wait_info "$P-rpc" "servers live      1"
t "info: a server waits" 0 "" "$IB" info "$P-rpc"
{ rpc_counters 4 0 0 0 1 1; echo; echo participants; row slot role consumer pid attached alive
  row 1 rpc-server - $server "$TS" yes; } >"$T/want" # entry 0 was the early client's
section_is "a server attached" counters
t "request --data" 0 "" "$IB" request "$P-rpc" --data hello
stdout_is "the echo of --data" 'hello\n'
t "request --hex" 0 "" "$IB" request "$P-rpc" --data AB --hex
stdout_is "the echo in hex" '4142\n'
t "an empty request" 0 "" "$IB" request "$P-rpc"
stdout_is "the echo of nothing" '\n'
t "a reply cut to max reply" 0 "" "$IB" request "$P-rpc" --data 0123456789abcdefXYZ
stdout_is "the echo, cut" '0123456789abcdef\n'
wait $server
status_is "serve --count 5" $? 0
file_has "serve summary" "$T/serve1.err" "serve $P-rpc: 5 requests, 31 bytes in "
file_has "serve summary: cut replies, --count" "$T/serve1.err" ", 1 reply cut to 16 bytes; --count reached"
t "info after serve" 0 "" "$IB" info "$P-rpc"
rpc_counters 4 0 0 0 0 0 >"$T/want"
paragraph_is "every cell free, nobody attached" counters
t "request once the server has left" 1 \
    "indexbus: region $P-rpc: no server (none attached, or it left or died before replying)" \
    "$IB" request "$P-rpc" --data x

# two workers, two clients: every request answered, exactly --count served
"$IB" serve "$P-rpc" --echo --workers 2 --count 300 2>"$T/serve2.err" &
server=$!
wait_info "$P-rpc" "servers live      2"
"$IB" request "$P-rpc" --count 100 --size 16 >"$T/req1.out" 2>"$T/req1.err" &
c1=$!
t "request --count" 0 "200 round trips of 3 bytes: rtt p50 " "$IB" request "$P-rpc" --count 200 --data abc
wait $c1
status_is "a second client's --count" $? 0
file_has "a second client's summary" "$T/req1.out" "100 round trips of 16 bytes: rtt p50 "
wait $server
status_is "serve --workers 2 --count 300" $? 0
file_has "two workers' summary" "$T/serve2.err" "serve $P-rpc: 300 requests, 2200 bytes in "
file_has "two workers stop at --count" "$T/serve2.err" "; --count reached"
# ... and exactly --count: the third request finds the server gone
"$IB" serve "$P-rpc" --echo --workers 2 --count 2 2>"$T/serve4.err" &
server=$!
wait_info "$P-rpc" "servers live      2"
t "more requests than serve --count" 1 \
    "indexbus: region $P-rpc: request 3: no server (none attached, or it left or died before replying)" \
    "$IB" request "$P-rpc" --count 3 --data abcd
has "... the round trips before" "2 round trips of 4 bytes: rtt p50 "
wait $server
status_is "serve --workers 2 --count 2" $? 0
file_has "two workers serve exactly --count" "$T/serve4.err" "serve $P-rpc: 2 requests, 8 bytes in "

# SIGINT and SIGTERM stop serve cleanly
for sig in INT TERM; do
    "$IB" serve "$P-rpc" --echo 2>"$T/serve3.err" &
    server=$!
    wait_info "$P-rpc" "servers live      1"
    t "request before SIG$sig" 0 "" "$IB" request "$P-rpc" --data "$sig"
    stdout_is "the echo before SIG$sig" "$sig\n"
    kill -$sig $server
    wait $server
    status_is "serve ends cleanly on SIG$sig" $? 0
    file_has "serve summary after SIG$sig" "$T/serve3.err" "serve $P-rpc: 1 request, ${#sig} bytes in "
    file_has "serve says SIG$sig stopped it" "$T/serve3.err" "; stopped by signal"
    t "no server after SIG$sig" 0 "servers live      0" "$IB" info "$P-rpc"
done

# a server that does not answer: --timeout-ms gives up and cancels
"$IB" serve "$P-rpc" --echo 2>/dev/null &
server=$!
wait_info "$P-rpc" "servers live      1"
kill -STOP $server
wait_stopped $server
t "request times out" 1 "indexbus: region $P-rpc: no reply within 100 ms" \
    "$IB" request "$P-rpc" --data x --timeout-ms 100
t "info after a cancelled request" 0 "" "$IB" info "$P-rpc"
rpc_counters 4 0 0 0 1 1 >"$T/want"
paragraph_is "the cancelled request's cell is free" counters
# ... and dies while a client waits: the client gets no server
"$IB" request "$P-rpc" --data x --timeout-ms 20000 >"$T/req2.out" 2>"$T/req2.err" &
client=$!
wait_info "$P-rpc" "clients live      1"
kill -9 $server
kill -CONT $server 2>/dev/null
wait $server 2>/dev/null
wait $client
status_is "a waiting client whose server died" $? 1
file_has "the client says no server" "$T/req2.err" \
    "indexbus: region $P-rpc: no server (none attached, or it left or died before replying)"
t "info after the server died" 0 "" "$IB" info "$P-rpc"
{ rpc_counters 4 0 0 0 0 0; echo; echo participants; row slot role consumer pid attached alive
  echo "  (none attached)"; } >"$T/want"
section_is "the dead server recovered" counters
# a new server takes over
"$IB" serve "$P-rpc" --echo --count 1 2>/dev/null &
server=$!
wait_info "$P-rpc" "servers live      1"
t "a new server answers" 0 "" "$IB" request "$P-rpc" --data again
stdout_is "the new server's echo" 'again\n'
wait $server
status_is "the new server's --count" $? 0

# ---- durable regions (layout 1.2): create --durable, info ----------------------------
# put64 REGION OFFSET VALUE: write a little-endian u64 into a region's file, as a
# writer in another process would (the mark, the hold mask, a bridge's counters).
shm() { echo "/dev/shm/${1#/}"; }
put64() {
    python3 -c 'import struct, sys
with open(sys.argv[1], "r+b") as f:
    f.seek(int(sys.argv[2])); f.write(struct.pack("<Q", int(sys.argv[3])))' "$(shm "$1")" "$2" "$3"
}
# durable_off REGION: the DURABLE section's offset (the directory's last entry).
durable_off() {
    n=$(od -An -t u4 -j 52 -N 4 "$(shm "$1")" | tr -d ' ')
    od -An -t u8 -j $((128 + 32 * (n - 1) + 8)) -N 8 "$(shm "$1")" | tr -d ' '
}
# lacks DESC FRAGMENT: the last command's stdout and stderr do not contain FRAGMENT.
lacks() {
    if cat "$T/out" "$T/err" | grep -F -q -e "$2"; then bad "$1" "output has: $2"; else ok; fi
}
ZEROS="forwarded 0, acknowledged 0, resent 0, deduplicated 0, refused 0"
t "create durable events" 0 \
    "created $P-dev: durable events, 16 slots x 64 bytes, queue 16, 1 consumer, 28672 bytes" \
    "$IB" create "$P-dev" --slots 16 --slot-size 64 --durable
t "info durable events" 0 "layout version    1.2" "$IB" info "$P-dev"
has "durable capabilities" \
    "capabilities      events mpsc blocking counters participants durable durable-state (0x100000023d)"
has "durable: yes" "durable           yes"
has "mark 0" "mark              0"
has "bridge in at zero" "bridge in         $ZEROS"
lacks "no held queues on events" "held queues"
lacks "no bridge out lines at zero" "bridge out"
grep -E -q '^  region id         [0-9a-f]{32}$' "$T/out" && ok || bad "region id is 32 hex digits"
id1=$(awk '$1 == "region" && $2 == "id" { print $3 }' "$T/out")
t "info again" 0 "" "$IB" info "$P-dev"
has "the region id stays" "region id         $id1"
t "create durable fanout" 0 "created $P-dfo: durable fanout, 16 slots x 64 bytes, queue 16, 3 consumers," \
    "$IB" create "$P-dfo" --kind fanout --slots 16 --slot-size 64 --consumers 3 --durable
t "create durable log" 0 \
    "created $P-dlg: durable log, 4096-byte ring, records up to 2040 bytes, 1 consumer, 32768 bytes" \
    "$IB" create "$P-dlg" --kind log --bytes 4096 --durable
t "info durable log" 0 \
    "capabilities      mpsc blocking counters participants log durable byte-log durable-state (0x120000027c)" \
    "$IB" info "$P-dlg"
id3=$(awk '$1 == "region" && $2 == "id" { print $3 }' "$T/out")
[ -n "$id3" ] && [ "$id3" != "$id1" ] && ok || bad "two regions have different ids ($id1, $id3)"
t "--durable on a stream" 2 "indexbus create: --durable does not apply to --kind stream" \
    "$IB" create "$P-x" --kind stream --durable
t "--durable on an rpc region" 2 "indexbus create: --durable does not apply to --kind rpc" \
    "$IB" create "$P-x" --kind rpc --durable
t "no region after the --durable refusals" 1 "indexbus: region $P-x: no such region" \
    "$IB" info "$P-x"
# unmarked publishes leave the mark alone
STDIN=$T/lines
t "pub into a durable log" 0 "published 4 messages" "$IB" pub "$P-dlg"
t "sub from a durable log" 0 "consumer 0: 4 messages" "$IB" sub "$P-dlg" --quiet
t "info after unmarked publishes" 0 "mark              0" "$IB" info "$P-dlg"
# what a bridge leaves in the region: the mark, a held queue, counters
D=$(durable_off "$P-dfo")
put64 "$P-dfo" "$D" 41      # mark
put64 "$P-dfo" $((D + 128)) 4 # hold_mask: queue 2
put64 "$P-dfo" $((D + 192)) 7 # in: forwarded
put64 "$P-dfo" $((D + 200)) 6 # in: acknowledged
put64 "$P-dfo" $((D + 216)) 1 # in: deduplicated
put64 "$P-dfo" $((D + 192 + 64 * 2 + 16)) 3 # out via consumer 1: resent
put64 "$P-dfo" $((D + 192 + 64 * 2 + 32)) 2 # out via consumer 1: refused
t "info durable fanout" 0 "" "$IB" info "$P-dfo"
{
    printf 'durable\n'
    printf '  region id         %s\n' "$(awk '$1 == "region" && $2 == "id" { print $3 }' "$T/out")"
    printf '  mark              41\n  held queues       2\n'
    printf '  bridge in         forwarded 7, acknowledged 6, resent 0, deduplicated 1, refused 0\n'
    printf '  bridge out 1      forwarded 0, acknowledged 0, resent 3, deduplicated 0, refused 2\n'
} >"$T/want"
paragraph_is "the durable paragraph" durable
put64 "$P-dfo" $((D + 8)) 45 # pend_mark: a marked publish in flight
t "info with a publish in flight" 0 "mark              41 (publishing up to 45)" "$IB" info "$P-dfo"
for r in dev dfo dlg; do t "unlink durable $r" 0 "" "$IB" unlink "$P-$r"; done

# ---- layout 1.3 features: create --recycle / --mpsc-batch, info, list ----------------
# header_is DESC: the last command's header paragraph, without its pid and time
# lines, is exactly $T/want.
header_is() {
    awk 'NR > 1 && $0 == "" { exit } $1 == "creator" || $1 == "created" { next } 1' "$T/out" >"$T/got"
    if cmp -s "$T/want" "$T/got"; then ok; else
        fail=$((fail + 1)); echo "FAIL: $1: the header is not exactly:"
        sed 's/^/      /' "$T/want"; echo "      --- got:"; sed 's/^/      /' "$T/got"
    fi
}
t "create fanout --recycle --mpsc-batch" 0 "" \
    "$IB" create "$P-frf" --kind fanout --slots 32 --slot-size 64 --consumers 3 --recycle --mpsc-batch
# with --recycle the queue follows half the slots
stdout_is "the created line names both features" \
    "created $P-frf: fanout, 32 slots x 64 bytes, queue 16, 3 consumers, 28672 bytes; fanout recycle, mpsc batch\n"
t "info fanout recycle + mpsc batch" 0 "" "$IB" info "$P-frf"
{
    printf 'region %s\n  kind              fanout\n  layout version    1.3\n' "$P-frf"
    printf '  capabilities      fanout mpsc blocking counters participants fanout-recycle mpsc-batch (0x600000003e)\n'
    printf '  total bytes       28672 (28.0 KiB)\n'
    printf '  fanout recycle    yes\n  mpsc batch        yes\n'
} >"$T/want"
header_is "the 1.3 header"
t "create fanout --recycle" 0 "" "$IB" create "$P-fmb" --kind fanout --slots 16 --consumers 2 --recycle
stdout_is "the created line: recycle alone" \
    "created $P-fmb: fanout, 16 slots x 256 bytes, queue 8, 2 consumers, 28672 bytes; fanout recycle\n"
t "info fanout --recycle" 0 "capabilities      fanout mpsc blocking counters participants fanout-recycle (0x200000003e)" \
    "$IB" info "$P-fmb"
has "recycle: yes" "fanout recycle    yes"
lacks "no mpsc batch line" "mpsc batch"
# events: --recycle recycles MPSC slots (bit 39; SPSC slots recycle by geometry, bit 32)
t "create events --recycle --mpsc-batch" 0 "" "$IB" create "$P-fev" --slots 16 --recycle --mpsc-batch
stdout_is "the created line: events, mpsc batch, mpsc recycle" \
    "created $P-fev: events, 16 slots x 256 bytes, queue 8, 1 consumer, 28672 bytes; mpsc batch, mpsc recycle\n"
t "info events --recycle --mpsc-batch" 0 "" "$IB" info "$P-fev"
{
    printf 'region %s\n  kind              events\n  layout version    1.3\n' "$P-fev"
    printf '  capabilities      events mpsc blocking counters participants spsc-recycle mpsc-batch mpsc-recycle (0xc10000003d)\n'
    printf '  total bytes       28672 (28.0 KiB)\n'
    printf '  mpsc batch        yes\n  mpsc recycle      yes\n'
} >"$T/want"
header_is "the 1.3 events header"
lacks "events: no fanout recycle" "fanout recycle"
t "create events --mpsc-batch" 0 "" "$IB" create "$P-fmb2" --slots 16 --mpsc-batch
stdout_is "the created line: mpsc batch alone" \
    "created $P-fmb2: events, 16 slots x 256 bytes, queue 16, 1 consumer, 28672 bytes; mpsc batch\n"
t "info events --mpsc-batch" 0 "capabilities      events mpsc blocking counters participants mpsc-batch (0x400000003d)" \
    "$IB" info "$P-fmb2"
lacks "--mpsc-batch alone: no mpsc recycle" "mpsc recycle"
for k in log stream rpc; do
    t "--recycle on --kind $k" 2 "indexbus create: --recycle does not apply to --kind $k" \
        "$IB" create "$P-x" --kind $k --recycle
    t "--mpsc-batch on --kind $k" 2 "indexbus create: --mpsc-batch does not apply to --kind $k" \
        "$IB" create "$P-x" --kind $k --mpsc-batch
done
t "--recycle with the queue as large as the slots" 1 \
    "indexbus: region $P-x: invalid argument (slots and queue: powers of two in 2..1048576; slot size: a multiple of 8 in 64..1048576; consumers: 1 for events, 1..64 for fanout; --recycle: slots at least twice the queue; name: 1..254 bytes)" \
    "$IB" create "$P-x" --kind fanout --slots 16 --queue 16 --recycle
t "events --recycle with the queue as large as the slots" 1 "--recycle: slots at least twice the queue" \
    "$IB" create "$P-x" --slots 16 --queue 16 --recycle
t "no region after the 1.3 refusals" 1 "indexbus: region $P-x: no such region" "$IB" info "$P-x"
for r in frf fmb fev fmb2; do t "unlink 1.3 $r" 0 "" "$IB" unlink "$P-$r"; done

# ---- liveness: dead participants, recover, gc ----------------------------------------
"$IB" create "$P-dead" --slots 16 --slot-size 64 >/dev/null
t "info, nobody attached" 0 "" "$IB" info "$P-dead"
{ echo participants; row slot role consumer pid attached alive; echo "  (none attached)"; } >"$T/want"
section_is "empty participant table" participants
"$IB" sub "$P-dead" --quiet >/dev/null 2>&1 &
victim=$!
wait_attached "$P-dead" 0
t "info, live consumer" 0 "" "$IB" info "$P-dead"
{ echo participants; row slot role consumer pid attached alive; row 0 consumer 0 $victim "$TS" yes; } >"$T/want"
section_is "participant table: live consumer" participants
kill -9 $victim
wait $victim 2>/dev/null
t "info, dead consumer" 0 "consumers live    1" "$IB" info "$P-dead"
{
    echo participants
    row slot role consumer pid attached alive
    row 0 consumer 0 $victim "$TS" NO
    echo "  NO: 1 dead participant awaiting recovery ('indexbus recover $P-dead')"
} >"$T/want"
section_is "participant table: dead consumer" participants
t "recover a dead consumer" 0 "" "$IB" recover "$P-dead"
{ echo "region $P-dead: recovered"; report 1 0 0 0; } >"$T/want"
section_is "recover report" "region $P-dead: recovered"
t "info after recover" 0 "consumers live    0" "$IB" info "$P-dead"
{ echo participants; row slot role consumer pid attached alive; echo "  (none attached)"; } >"$T/want"
section_is "participant table after recover" participants
t "recover again: nothing dead" 0 "" "$IB" recover "$P-dead"
{ echo "region $P-dead: recovered"; report 0 0 0 0; } >"$T/want"
section_is "second recover report" "region $P-dead: recovered"
t "sub on the recovered index" 0 "consumer 0: 0 messages" "$IB" sub "$P-dead" --timeout-ms 100
# a refused attach recovers by itself
"$IB" sub "$P-dead" --quiet >/dev/null 2>&1 &
victim=$!
wait_attached "$P-dead" 0
kill -9 $victim
wait $victim 2>/dev/null
t "sub takes over a dead consumer's index" 0 "consumer 0: 0 messages" \
    "$IB" sub "$P-dead" --timeout-ms 100
t "attach recovered on the way" 0 "  dead participants 0" "$IB" recover "$P-dead"

# a dead SPSC producer: what it published survives, the role comes back
"$IB" create "$P-swp" --slots 16 --slot-size 64 >/dev/null
"$IB" pub "$P-swp" --count 100 --size 8 >/dev/null 2>&1 &
victim=$!
wait_info "$P-swp" "free slots        0 of 16"
wait_info "$P-swp" "published         16"
kill -9 $victim
wait $victim 2>/dev/null
t "info, dead producer" 0 "producers live    1" "$IB" info "$P-swp"
{
    echo participants
    row slot role consumer pid attached alive
    row 0 spsc-producer - $victim "$TS" NO
    echo "  NO: 1 dead participant awaiting recovery ('indexbus recover $P-swp')"
} >"$T/want"
section_is "participant table: dead producer" participants
t "recover --sweep a quiet region" 0 "" "$IB" recover "$P-swp" --sweep
{ echo "region $P-swp: recovered and swept"; report 1 0 0 0; } >"$T/want"
section_is "recover --sweep report" "region $P-swp: recovered and swept"
t "info after sweep" 0 "free slots        0 of 16" "$IB" info "$P-swp"
has "producer no longer live" "producers live    0"
t "a dead producer's messages survive" 0 "consumer 0: 16 messages, 128 bytes in " \
    "$IB" sub "$P-swp" --quiet --check-seq --timeout-ms 2000
has "... in order" "; seq order ok, 0 gaps"
# attaching works (no BUSY); the consumer that left is what stops it
t "SPSC role free again" 1 "indexbus: region $P-swp: publish: every peer on the other side has closed" \
    "$IB" pub "$P-swp" --count 1 --size 8

# gc: refuses a region with a live participant, removes one whose are all dead
"$IB" create "$P-gc" --slots 16 --slot-size 64 >/dev/null
"$IB" sub "$P-gc" --quiet >/dev/null 2>&1 &
victim=$!
wait_attached "$P-gc" 0
t "recover --sweep while attached" 1 \
    "indexbus: region $P-gc: recover --sweep: participants are still attached; --sweep needs a quiet region (1 alive)" \
    "$IB" recover "$P-gc" --sweep
{ echo "region $P-gc: recovered, not swept"; report 0 0 0 0; } >"$T/want"
section_is "refused sweep still reports" "region $P-gc: recovered, not swept"
t "gc a region in use" 0 "" "$IB" gc "$P-gc"
stdout_is "gc says in use" "$P-gc: in use (1 alive)\n"
kill -9 $victim
wait $victim 2>/dev/null
t "gc a region whose participants are dead" 0 "" "$IB" gc "$P-gc"
stdout_is "gc says removed" "$P-gc: removed\n"
t "gc removed it" 1 "indexbus: region $P-gc: no such region" "$IB" info "$P-gc"
t "gc a missing region" 1 "indexbus: region $P-gc: no such region" "$IB" gc "$P-gc"

# gc without NAMEs scans a directory (here --dir, so other users' regions
# in /dev/shm are left alone); only files with the magic are regions
G=$T/gcdir
mkdir "$G"
"$IB" create "$G/quiet" --slots 16 >/dev/null
"$IB" create "$G/busy" --slots 16 >/dev/null
"$IB" sub "$G/busy" --quiet >/dev/null 2>&1 &
held=$!
printf 'not a region' >"$G/junk"
{ printf 'IBUS'; head -c 4092 /dev/zero; } >"$G/unready" # magic, never made ready
ln -s "$G/quiet" "$G/link"
wait_attached "$G/busy" 0
t "gc --dir" 1 "indexbus: region $G/unready: region is not initialised yet" "$IB" gc --dir "$G"
stdout_is "gc --dir report" \
    "$G/busy: in use (1 alive)\n$G/quiet: removed\ngc: 3 IndexBus regions in $G: 1 removed, 1 in use, 1 failed\n"
if [ -f "$G/junk" ] && [ -f "$G/unready" ] && [ -f "$G/busy" ] && [ -L "$G/link" ] &&
    [ ! -e "$G/quiet" ]; then ok; else bad "gc --dir touched only the unused region" "$(ls -l "$G")"; fi
kill -INT $held
wait $held
t "gc --dir once the last one closed" 1 "" "$IB" gc --dir "$G"
stdout_is "gc --dir second pass" "$G/busy: removed\ngc: 2 IndexBus regions in $G: 1 removed, 0 in use, 1 failed\n"

# ---- permissions: errors name the file ----------------------------------------------
"$IB" create "$P-perm" --slots 16 --mode 400 >/dev/null
if [ "$(id -u)" -ne 0 ]; then
    t "open without permission" 1 \
        "indexbus: region $P-perm: permission denied (/dev/shm/${P#/}-perm needs read and write access)" \
        "$IB" info "$P-perm"
elif setpriv --reuid=65534 --regid=65534 --clear-groups "$IB" version >/dev/null 2>&1; then
    t "open without permission" 1 \
        "indexbus: region $P-perm: permission denied (/dev/shm/${P#/}-perm needs read and write access)" \
        setpriv --reuid=65534 --regid=65534 --clear-groups "$IB" info "$P-perm"
else
    echo "cli: root, and cannot run $IB as uid 65534 (setpriv): permission check skipped"
fi
"$IB" create "$T/real.region" --slots 16 >/dev/null
ln -s "$T/real.region" "$T/link.region"
t "open through a symbolic link" 1 \
    "indexbus: region $T/link.region: permission denied ($T/link.region is a symbolic link; regions are opened without following links)" \
    "$IB" info "$T/link.region"

# ---- regions this library must refuse ----------------------------------------------
R2=$T/layout2.region
t "create file-path region" 0 "created $R2: events" "$IB" create "$R2" --slots 16
printf '\002\000' | dd of="$R2" bs=1 seek=4 conv=notrunc 2>/dev/null
t "newer layout (info)" 1 \
    "indexbus: region $R2: layout version 2.0 is newer than this library (1.x)" "$IB" info "$R2"
t "newer layout (sub)" 1 \
    "indexbus: region $R2: layout version 2.0 is newer than this library (1.x)" "$IB" sub "$R2"
t "unlink file-path region" 0 "" "$IB" unlink "$R2"
R3=$T/caps.region
"$IB" create "$R3" --slots 16 >/dev/null
printf '\200' | dd of="$R3" bs=1 seek=23 conv=notrunc 2>/dev/null # capability bit 63
t "unknown incompat capability" 1 \
    "indexbus: region $R3: uses incompatible features this library does not know (capability bits 0x8000000000000000)" \
    "$IB" info "$R3"
dd if=/dev/zero of="$R3" bs=1 seek=23 count=1 conv=notrunc 2>/dev/null # bit 63 off
printf '\006' | dd of="$R3" bs=1 seek=12 conv=notrunc 2>/dev/null
t "unknown region kind" 1 "indexbus: region $R3: unknown region kind 6" "$IB" info "$R3"
head -c 4096 /dev/zero | tr '\0' 'x' >"$T/junk.region"
t "not an IndexBus region" 1 "indexbus: region $T/junk.region: not an IndexBus region" \
    "$IB" info "$T/junk.region"

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
