#!/bin/sh
# readonly-user.sh B - the CLI's observers as another user, with read access only.
#
# As root: a temporary group and user (groupadd, useradd; removed in a trap),
# a region of mode 0640 owned by root and that group, with a live producer, a
# dead one and five messages. As that user (setpriv, or runuser): info,
# info --json, list --json, stat --prometheus and top --once --json succeed
# and say what is there; pub, sub and recover fail with a clear permission
# error. The region file is byte for byte what it was before. Also a POSIX
# shm region (shm_open) the same way. Not root: skipped, saying why.
B=${1:-build}
IB=$B/indexbus
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL $1"; [ -n "${2:-}" ] && printf '%s\n' "$2" | sed 's/^/    /'; }

if [ "$(id -u)" -ne 0 ]; then
    echo "readonly-user: SKIP: needs root (to add a temporary user and group with useradd/groupadd)"
    exit 0
fi
for tool in groupadd useradd userdel groupdel python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "readonly-user: SKIP: $tool not found"
        exit 0
    fi
done
[ -x "$IB" ] || { echo "readonly-user: $IB not built"; exit 1; }

U=ibro$$
G=ibrog$$
T=$(mktemp -d /tmp/ib-readonly.XXXXXX)
SHM=ib-readonly-$$
pids=""
cleanup() {
    for p in $pids; do kill -9 "$p" 2>/dev/null; done
    exec 3>&- 4>&- 2>/dev/null
    userdel "$U" 2>/dev/null
    groupdel "$G" 2>/dev/null
    rm -f "/dev/shm/$SHM"
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

groupadd "$G" || { echo "readonly-user: groupadd failed"; exit 1; }
useradd -M -N -g nogroup -G "$G" -s /bin/sh -d /nonexistent "$U" ||
    { echo "readonly-user: useradd failed"; exit 1; }

# The binaries where the user can run them (the library beside the CLI: rpath $ORIGIN).
mkdir "$T/bin" "$T/regions"
cp "$IB" "$T/bin/indexbus" && cp -L "$B/libindexbus.so.1" "$T/bin/" || exit 1
chmod 755 "$T" "$T/bin" "$T/regions"
UIB="$T/bin/indexbus"

if command -v setpriv >/dev/null 2>&1; then
    as_user() { setpriv --reuid="$U" --regid=nogroup --init-groups "$@"; }
else
    as_user() { runuser -u "$U" -- "$@"; }
fi
if ! as_user id -G | tr ' ' '\n' | grep -qx "$(getent group "$G" | cut -d: -f3)"; then
    bad "the user runs in group $G" "$(as_user id 2>&1)"
    exit 1
fi

# ---- the region: 0640 root:G, five messages, a live producer, a dead one -------------
R="$T/regions/orders"
"$IB" create "$R" --slots 16 --mode 640 >/dev/null || exit 1
chgrp "$G" "$R"
"$IB" pub "$R" --count 5 >/dev/null 2>&1 || exit 1
mkfifo "$T/live" "$T/dead"
"$IB" pub "$R" <"$T/live" >/dev/null 2>&1 &
pids="$pids $!"
exec 3>"$T/live"
"$IB" pub "$R" --mpsc <"$T/dead" >/dev/null 2>&1 &
dead=$!
exec 4>"$T/dead"
i=0 # both attached (info as root, read-only too)
until "$IB" info --json "$R" 2>/dev/null | grep -q '"participants_live":2'; do
    i=$((i + 1)); [ $i -lt 200 ] || { bad "producers attached"; exit 1; }; sleep 0.05
done
kill -9 "$dead"; wait "$dead" 2>/dev/null
exec 4>&-
cp "$R" "$T/before"
[ "$(stat -c '%a %U %G' "$R")" = "640 root $G" ] && ok || bad "region mode" "$(stat -c '%a %U %G' "$R")"

# run NAME EXPECT-RC CMD...: run as the user; stdout in $T/out, stderr in $T/err
run() {
    what=$1 want=$2; shift 2
    as_user "$@" >"$T/out" 2>"$T/err" </dev/null
    rc=$?
    if [ "$rc" -eq "$want" ]; then ok; else bad "$what: exit $rc, want $want" "$(cat "$T/err")"; fi
}
has() { # what file text
    if grep -qF -- "$3" "$2"; then ok; else bad "$1: no '$3'" "$(head -c 2000 "$2")"; fi
}
json() { # what python-expression-on-d
    if python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($2) else 1)" 2>/dev/null; then ok
    else bad "$1: $2" "$(head -c 2000 "$T/out")"; fi
}

# ---- observers ----------------------------------------------------------------------
run "info" 0 "$UIB" info "$R"
has "info" "$T/out" "published         5"
has "info" "$T/out" "producers live    2"
run "info --json" 0 "$UIB" info --json "$R"
json "info --json" "d['version'] >= 1 and d['read_only'] is True and d['counters']['published'] == 5 and d['participants_alive'] == 1 and d['participants_dead'] == 1"
run "list --json" 0 "$UIB" list --dir "$T/regions" --json
json "list --json" "d['version'] >= 1 and [r['name'] for r in d['regions']] == ['$R'] and d['regions'][0]['published'] == 5"
run "stat --prometheus" 0 "$UIB" stat --prometheus "$R"
has "stat" "$T/out" "indexbus_up{region=\"$R\"} 1"
has "stat" "$T/out" "indexbus_published_total{region=\"$R\"} 5"
run "top --once --json" 0 "$UIB" top --once --json --interval 0.2 "$R"
json "top --once --json" "d['version'] >= 1 and d['errors'] == [] and d['regions'][0]['counters']['published'] == 5 and d['regions'][0]['read_only'] is True"

# ---- writers: a clear permission error ----------------------------------------------
nw="permission denied ($R is readable but not writable by this user: this command writes to the region; info, list, top and stat need read access only)"
run "pub" 1 "$UIB" pub "$R" --count 1
has "pub" "$T/err" "indexbus: region $R: $nw"
run "sub" 1 "$UIB" sub "$R" --count 1 --timeout-ms 100
has "sub" "$T/err" "indexbus: region $R: $nw"
run "recover" 1 "$UIB" recover "$R"
has "recover" "$T/err" "indexbus: region $R: $nw"

# ---- nothing changed; the dead producer is still there for a writer -----------------
if cmp -s "$R" "$T/before"; then ok; else bad "region file changed" "$(cmp "$R" "$T/before" 2>&1)"; fi
"$IB" recover "$R" --json >"$T/out" 2>"$T/err" && ok || bad "recover as root" "$(cat "$T/err")"
json "recover as root" "d['dead_participants'] == 1"

# ---- a POSIX shm region, group-readable --------------------------------------------
"$IB" create "$SHM" --slots 16 --mode 640 >/dev/null && chgrp "$G" "/dev/shm/$SHM" || exit 1
"$IB" pub "$SHM" --count 3 >/dev/null 2>&1 || exit 1
cp "/dev/shm/$SHM" "$T/before"
run "shm info --json" 0 "$UIB" info --json "$SHM"
json "shm info --json" "d['counters']['published'] == 3 and d['read_only'] is True"
run "shm stat" 0 "$UIB" stat --prometheus "$SHM"
run "shm pub" 1 "$UIB" pub "$SHM" --count 1
has "shm pub" "$T/err" "is readable but not writable by this user"
if cmp -s "/dev/shm/$SHM" "$T/before"; then ok; else bad "shm region file changed"; fi
# without the group, not even the observers may look
chgrp root "/dev/shm/$SHM"
run "shm info without the group" 1 "$UIB" info "$SHM"
has "shm info without the group" "$T/err" "indexbus: region $SHM: permission denied"

echo "readonly-user: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
