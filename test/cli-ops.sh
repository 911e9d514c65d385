#!/bin/sh
# cli-ops.sh BUILD_DIR VENV_PYTHON - the operators' commands (make check-cli-ops):
# list (text and --json, --dir with other files skipped and counted, a broken
# region reported), info --json, recover --json, top --once [--json] with a
# producer running and stopped, stat --prometheus parsed by prometheus_client's
# text parser (VENV_PYTHON has it) and served by --listen on 127.0.0.1 (a port
# the kernel picks), sub --follow across producers that come and go. Every JSON
# document is checked against its shape (test/cli_json_check.py, which also
# checks docs/CLI.md's examples). Prints "cli-ops: N passed, M failed".
set -u
B=${1:-build}
PY=${2:-python3}
IB=$B/indexbus
[ -x "$IB" ] || { echo "cli-ops: $IB not found" >&2; exit 2; }
HERE=$(cd "$(dirname "$0")" && pwd)
JC="python3 $HERE/cli_json_check.py"
PC="$PY $HERE/cli_prom_check.py"
T=$(mktemp -d "${TMPDIR:-/tmp}/ibops.XXXXXX") || exit 2
P=/ibops-$$
pass=0 fail=0 pids=""

cleanup() {
    for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    for r in ev fan log top fol nof gone; do "$IB" unlink "$P-$r" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); }
bad() {
    fail=$((fail + 1))
    echo "FAIL: $1"
    [ -f "$T/out" ] && sed -n '1,8s/^/      out: /p' "$T/out"
    [ -f "$T/err" ] && sed -n '1,8s/^/      err: /p' "$T/err"
}
# t DESC STATUS CMD...: CMD exits STATUS (stdout in $T/out, stderr in $T/err)
t() {
    d=$1 want=$2
    shift 2
    "$@" >"$T/out" 2>"$T/err"
    got=$?
    [ "$got" = "$want" ] && ok || bad "$d: exit $got, want $want"
}
# j DESC PYEXPR: PYEXPR (over d, the JSON in $T/out) is true
j() {
    if python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($2) else 1)" 2>"$T/jerr"; then
        ok
    else
        bad "$1: not true: $2"; sed 's/^/      /' "$T/jerr"
    fi
}
shape() { $JC "$2" "$T/out" >"$T/shape" 2>&1 && ok || { bad "$1: $2 shape"; cat "$T/shape"; }; }
has() { grep -q -e "$2" "$T/out" && ok || bad "$1: stdout lacks /$2/"; }
bg() { "$@" & pids="$pids $!"; LAST=$!; }
# wait until region $1's info --json makes $2 true (5 s at most)
until_json() {
    i=0
    while [ $i -lt 100 ]; do
        "$IB" info "$1" --json >"$T/out" 2>/dev/null &&
            python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($2) else 1)" 2>/dev/null && return 0
        sleep 0.05
        i=$((i + 1))
    done
    return 1
}

# ---- docs: every shape has a valid example in docs/CLI.md ---------------------------
$JC --docs "$HERE/../docs/CLI.md" >"$T/out" 2>&1 && ok || { bad "docs/CLI.md JSON examples"; cat "$T/out"; }

# ---- list --dir: regions as files, others skipped, a broken one reported ------------
D=$T/dir
mkdir -p "$D/subdir"
echo "not a region" >"$D/notes.txt"
t "create file region ev" 0 "$IB" create "$D/ev"
t "create file region fan" 0 "$IB" create "$D/fan" --kind fanout --consumers 2 --durable
t "pub 5 into ev" 0 "$IB" pub "$D/ev" --count 5
t "list --dir" 0 "$IB" list --dir "$D/"
has "list header" '^NAME  *KIND  *LAYOUT  *SIZE  *ALIVE  *DEAD  *PUBLISHED  *LAST ACTIVE$'
has "list ev row" "^$D/ev  *events  *1\.0  .*  *0  *0  *5 "
has "list fan row" "^$D/fan  *fanout  *1\.2 "
has "list summary" "^2 regions in $D; 2 other files skipped$"
t "list --dir --json" 0 "$IB" list --dir "$D" --json
shape "list --json" list
j "list --json rows" "[r['name'] for r in d['regions']] == ['$D/ev', '$D/fan'] and d['skipped'] == 2 and d['failed'] == 0 and d['dir'] == '$D'"
j "list --json ev" "d['regions'][0]['published'] == 5 and d['regions'][0]['kind'] == 'events' and d['regions'][0]['layout'] == '1.0' and not d['regions'][0]['durable'] and d['regions'][0]['last_activity_age_s'] < 60"
j "list --json fan" "d['regions'][1]['durable'] and d['regions'][1]['layout'] == '1.2'"
j "list --json: no 1.3 features" "[(r['fanout_recycle'], r['mpsc_batch'], r['mpsc_recycle']) for r in d['regions']] == [(False, False, False), (False, False, False)]"
# the IndexBus magic and a header that is nonsense: a row with its error, exit 1
head -c 8 "$D/ev" >"$D/broken"
head -c 8192 /dev/zero >>"$D/broken"
t "list with a broken region" 1 "$IB" list --dir "$D"
has "list broken row" "^$D/broken  *[a-z]"
has "list summary with broken" "^3 regions in $D; 2 other files skipped$"
t "list --json with a broken region" 1 "$IB" list --dir "$D" --json
shape "list --json (broken)" list
j "list --json broken row" "d['regions'][0]['name'] == '$D/broken' and isinstance(d['regions'][0]['error'], str) and d['failed'] == 1"
t "list --dir missing" 1 "$IB" list --dir "$T/nope"
t "list stray argument" 2 "$IB" list extra

# ---- layout 1.3 features in list --json and info --json -------------------------------
D13=$T/dir13
mkdir -p "$D13"
t "create fanout --recycle --mpsc-batch" 0 "$IB" create "$D13/frm" --kind fanout --consumers 2 --recycle --mpsc-batch
t "create events --mpsc-batch --recycle" 0 "$IB" create "$D13/mb" --mpsc-batch --recycle
t "list --json (1.3)" 0 "$IB" list --dir "$D13" --json
shape "list --json (1.3)" list
j "list --json 1.3 rows" "[(r['name'], r['layout'], r['fanout_recycle'], r['mpsc_batch'], r['mpsc_recycle']) for r in d['regions']] == [('$D13/frm', '1.3', True, True, False), ('$D13/mb', '1.3', False, True, True)]"
t "info --json (1.3 fanout)" 0 "$IB" info "$D13/frm" --json
shape "info --json (1.3)" info
j "info --json 1.3 features" "d['layout'] == '1.3' and d['fanout_recycle'] is True and d['mpsc_batch'] is True and d['mpsc_recycle'] is False and d['capabilities']['mask'] == 0x600000003e and d['capabilities']['names'][-2:] == ['fanout-recycle', 'mpsc-batch']"
t "info --json (1.3 events)" 0 "$IB" info "$D13/mb" --json
j "info --json events mpsc batch, mpsc recycle" "d['fanout_recycle'] is False and d['mpsc_batch'] is True and d['mpsc_recycle'] is True and d['capabilities']['names'][-2:] == ['mpsc-batch', 'mpsc-recycle']"

# ---- a dead participant: info --json, list, stat, recover --json -------------------------
t "create ev" 0 "$IB" create "$P-ev"
bg "$IB" sub "$P-ev" --quiet --follow
until_json "$P-ev" "d['participants_alive'] == 1" && ok || bad "sub never attached"
kill -KILL "$LAST"
wait "$LAST" 2>/dev/null
t "pub 3 into ev" 0 "$IB" pub "$P-ev" --count 3
t "info --json" 0 "$IB" info "$P-ev" --json
shape "info --json" info
j "info --json header" "d['version'] == 1 and d['name'] == '$P-ev' and d['kind'] == 'events' and d['layout'] == '1.0' and 'events' in d['capabilities']['names'] and d['durable_state'] is None and not d['durable'] and d['fanout_recycle'] is False and d['mpsc_batch'] is False and d['mpsc_recycle'] is False"
j "info --json counters" "d['counters']['published'] == 3 and d['geometry']['slots'] == 2048 and d['geometry']['consumers'] == 1"
j "info --json dead consumer" "d['participants_dead'] == 1 and d['participants_alive'] == 0 and d['participants'][0]['role'] == 'consumer' and d['participants'][0]['consumer'] == 0 and d['participants'][0]['alive'] is False"
t "list --json (shm)" 0 sh -c "'$IB' list --json >'$T/out' 2>/dev/null; true"
j "list --json shows the dead participant" "[(r['participants_dead'], r['published']) for r in d['regions'] if r['name'] == '$P-ev'] == [(1, 3)]"
t "stat --prometheus" 0 "$IB" stat --prometheus "$P-ev"
cp "$T/out" "$T/prom1"
$PC "$T/prom1" "indexbus_up{region=$P-ev}=1" "indexbus_published_total{region=$P-ev}=3" \
    "indexbus_participants_dead{region=$P-ev}=1" "indexbus_participant_alive{region=$P-ev,role=consumer}=0" \
    "indexbus_consumer_attached{region=$P-ev,consumer=0}=1" "indexbus_free_slots{region=$P-ev}>0" \
    "indexbus_region_info{region=$P-ev,kind=events,layout=1.0,durable=no}=1" >"$T/pc" 2>&1 &&
    ok || { bad "prometheus parse (dead participant)"; cat "$T/pc"; }
t "recover --json" 0 "$IB" recover "$P-ev" --json
shape "recover --json" recover
j "recover --json report" "d['name'] == '$P-ev' and d['dead_participants'] == 1 and d['swept'] is False"
t "recover --sweep --json" 0 "$IB" recover "$P-ev" --sweep --json
j "recover --sweep --json" "d['swept'] is True and d['dead_participants'] == 0"
t "info --json after recover" 0 "$IB" info "$P-ev" --json
j "no dead after recover" "d['participants_dead'] == 0 and d['participants'] == []"

# ---- top --once: rates while a producer runs, and after it stops ---------------------
t "create top" 0 "$IB" create "$P-top"
bg "$IB" sub "$P-top" --quiet --follow
until_json "$P-top" "d['participants_alive'] == 1" && ok || bad "top: sub never attached"
bg "$IB" pub "$P-top" --count 4000000000 --size 16
PUB=$LAST
until_json "$P-top" "d['counters']['published'] > 0" && ok || bad "top: producer never published"
t "top --once --json" 0 "$IB" top "$P-top" --once --json --interval 0.3
shape "top --once --json" top
j "top rates while producing" "d['interval_s'] == 0.3 and d['regions'][0]['rates']['published'] > 0 and d['regions'][0]['rates']['consumers'][0]['delivered'] > 0 and d['regions'][0]['rates']['seconds'] >= 0.29"
j "top participants" "d['regions'][0]['participants_alive'] == 2 and sorted(p['role'] for p in d['regions'][0]['participants']) == ['consumer', 'spsc-producer']"
t "top --once (text)" 0 "$IB" top "$P-top" --once --interval 0.2
has "top text title" "^indexbus top  1 region  every 0.2 s"
has "top text changed line" "^changed: $P-top published +[0-9]"
has "top text published rate" "^  published [0-9.]*[kM]*/s  free slots [0-9]*/2048"
has "top text consumer row" "^         0      yes "
has "top text participants" "^  participants 2 alive, 0 dead: "
kill -KILL "$PUB"
wait "$PUB" 2>/dev/null
t "recover the killed producer" 0 "$IB" recover "$P-top"
until_json "$P-top" "d['participants_alive'] == 1 and d['participants_dead'] == 0" && ok || bad "top: producer never left"
t "top --once --json stopped" 0 "$IB" top "$P-top" --once --json --interval 0.2
j "top rates after the producer stopped" "d['regions'][0]['rates']['published'] == 0 and d['regions'][0]['rates']['consumers'][0]['delivered'] == 0"
t "top --once missing region" 1 "$IB" top "$P-top" "$P-gone" --once --json --interval 0.05
shape "top --once --json (missing)" top
j "top errors" "[e['name'] for e in d['errors']] == ['$P-gone'] and len(d['regions']) == 1"
t "top --json without --once" 2 "$IB" top "$P-top" --json
t "top bad interval" 2 "$IB" top "$P-top" --interval 0
t "top no name" 2 "$IB" top --once

# ---- stat --prometheus: kinds, durable bridge counters, --listen --------------------
t "create fan" 0 "$IB" create "$P-fan" --kind fanout --consumers 3 --durable
t "create log" 0 "$IB" create "$P-log" --kind log
t "pub 4 into log" 0 "$IB" pub "$P-log" --count 4
# bridge counters as a bridge would add them (the library call, through ctypes)
python3 - "$B" "$P-fan" <<'PYEOF' && ok || bad "bridge counters added"
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1] + "/libindexbus.so")
class C(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint32), ("reserved", ctypes.c_uint32)] + \
               [(n, ctypes.c_uint64) for n in ("fwd", "ack", "resent", "dedup", "refused")]
r = ctypes.c_void_p()
assert lib.indexbus_region_open(sys.argv[2].encode(), None, ctypes.byref(r)) == 0
assert lib.indexbus_bridge_counters_add(r, 64, ctypes.byref(C(48, 0, 11, 10, 2, 1, 0))) == 0
assert lib.indexbus_bridge_counters_add(r, 2, ctypes.byref(C(48, 0, 7, 7, 0, 3, 1))) == 0
lib.indexbus_region_close(r)
PYEOF
t "info --json durable" 0 "$IB" info "$P-fan" --json
shape "info --json (durable)" info
j "info --json durable state" "d['durable'] and len(d['durable_state']['region_id']) == 32 and d['durable_state']['bridge_in']['forwarded'] == 11 and d['durable_state']['bridge_out'][2] == {'forwarded': 7, 'acknowledged': 7, 'resent': 0, 'deduplicated': 3, 'refused': 1, 'consumer': 2} and d['durable_state']['held_queues'] == []"
t "stat --prometheus three regions and a missing one" 1 "$IB" stat --prometheus "$P-fan" "$P-log" "$P-ev" "$P-gone"
$PC "$T/out" "indexbus_up{region=$P-gone}=0" "indexbus_up{region=$P-fan}=1" \
    "indexbus_published_total{region=$P-log}=4" "indexbus_records_waiting{region=$P-log}=4" \
    "indexbus_routed_total{region=$P-fan}=0" "indexbus_consumer_delivered_total{region=$P-fan,consumer=2}=0" \
    "indexbus_bridge_in_forwarded_total{region=$P-fan}=11" "indexbus_bridge_in_resent_total{region=$P-fan}=2" \
    "indexbus_bridge_out_deduplicated_total{region=$P-fan,consumer=2}=3" \
    "indexbus_bridge_out_refused_total{region=$P-fan,consumer=2}=1" \
    "indexbus_bridge_out_forwarded_total{region=$P-fan,consumer=0}=0" \
    "indexbus_durable_mark{region=$P-fan}=0" "indexbus_ring_bytes_free{region=$P-log}>0" >"$T/pc" 2>&1 &&
    ok || { bad "prometheus parse (kinds, durable)"; cat "$T/pc"; }
grep -q "region $P-gone: no such region" "$T/err" && ok || bad "stat: missing region not named"
t "stat without --prometheus" 2 "$IB" stat "$P-ev"
t "stat --listen bad address" 2 "$IB" stat --prometheus "$P-ev" --listen localhost:80
bg "$IB" stat --prometheus "$P-ev" "$P-log" --listen 127.0.0.1:0 2>"$T/listen"
LP=$LAST
i=0; port=""
while [ $i -lt 100 ] && [ -z "$port" ]; do
    port=$(sed -n 's|^indexbus stat: serving http://127.0.0.1:\([0-9]*\)/metrics$|\1|p' "$T/listen")
    [ -z "$port" ] && sleep 0.05
    i=$((i + 1))
done
if [ -n "$port" ]; then
    ok
    $PC "http://127.0.0.1:$port/metrics" "indexbus_published_total{region=$P-ev}=3" >"$T/pc" 2>&1 && ok ||
        { bad "scrape 1"; cat "$T/pc"; }
    "$IB" pub "$P-log" --count 2 2>/dev/null
    $PC "http://127.0.0.1:$port/metrics" "indexbus_published_total{region=$P-ev}=3" \
        "indexbus_published_total{region=$P-log}=6" >"$T/pc" 2>&1 && ok || { bad "scrape 2 (fresh)"; cat "$T/pc"; }
    python3 -c "
import urllib.request, urllib.error, sys
try:
    urllib.request.urlopen('http://127.0.0.1:$port/other', timeout=5)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code == 404 else 1)
sys.exit(1)" && ok || bad "scrape of another path is not 404"
else
    bad "stat --listen: no port on stderr"; cat "$T/listen"
fi
kill -INT "$LP"
wait "$LP"
rc=$?
[ "$rc" = 0 ] && ok || bad "stat --listen: exit $rc after SIGINT, want 0"

# ---- sub --follow: producers come and go -----------------------------------------------
t "create fol" 0 "$IB" create "$P-fol"
bg "$IB" sub "$P-fol" --follow --count 3 >"$T/fol.out" 2>"$T/fol.err"
FP=$LAST
until_json "$P-fol" "d['participants_alive'] == 1" && ok || bad "follow: sub never attached"
printf 'one\ntwo\n' | "$IB" pub "$P-fol" 2>/dev/null
sleep 0.5 # every producer gone and drained: a plain sub would have ended here
kill -0 "$FP" 2>/dev/null && ok || bad "sub --follow left when the first producer did"
printf 'three\n' | "$IB" pub "$P-fol" 2>/dev/null && ok || bad "second pub refused"
wait "$FP"
rc=$?
[ "$rc" = 0 ] && ok || bad "sub --follow --count 3: exit $rc"
[ "$(cat "$T/fol.out")" = "$(printf 'one\ntwo\nthree')" ] && ok || bad "sub --follow printed: $(cat "$T/fol.out")"
# Ctrl-C ends it (exit 0, summary printed)
bg "$IB" sub "$P-fol" --follow >"$T/fol.out" 2>"$T/fol.err"
FP=$LAST
until_json "$P-fol" "d['participants_alive'] == 1" && ok || bad "follow 2: sub never attached"
printf 'four\n' | "$IB" pub "$P-fol" 2>/dev/null
sleep 0.3
kill -INT "$FP"
wait "$FP"
rc=$?
[ "$rc" = 0 ] && ok || bad "sub --follow after SIGINT: exit $rc"
grep -q '^consumer 0: 1 message,' "$T/fol.err" && ok || bad "sub --follow summary: $(cat "$T/fol.err")"
# without --follow the same sequence ends at the first producer's end
t "create nof" 0 "$IB" create "$P-nof"
bg "$IB" sub "$P-nof" >"$T/nof.out" 2>"$T/nof.err"
NP=$LAST
until_json "$P-nof" "d['participants_alive'] == 1" && ok || bad "nofollow: sub never attached"
printf 'one\n' | "$IB" pub "$P-nof" 2>/dev/null
i=0
while [ $i -lt 100 ] && kill -0 "$NP" 2>/dev/null; do sleep 0.05; i=$((i + 1)); done
kill -0 "$NP" 2>/dev/null && bad "plain sub stayed 5 s after its producer left" || ok
printf 'two\n' | "$IB" pub "$P-nof" >/dev/null 2>&1 && bad "pub with no consumer left succeeded" || ok

echo "cli-ops: $pass passed, $fail failed"
[ "$fail" = 0 ]
