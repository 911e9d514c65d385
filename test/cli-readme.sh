#!/bin/sh
# cli-readme.sh BUILD_DIR - the README's `indexbus` example, run exactly as
# written (the first ```sh block under "## The `indexbus` tool", extracted
# from README.md at run time) with BUILD_DIR first on PATH, in a scratch
# directory holding the `big` file it streams. It must exit 0; then the
# background subscriber must have printed one, two, three (two pub runs),
# the request its reply, the pipe a copy of big. The background route, sub
# and serve are stopped by their process group. Uses the README's names
# (/orders, /jobs, /journal, /pipe) and refuses to run if any exists.
set -u
B=$(cd "${1:-build}" && pwd) || exit 2
[ -x "$B/indexbus" ] || { echo "cli-readme: $B/indexbus not found" >&2; exit 2; }
ROOT=$(cd "$(dirname "$0")/.." && pwd)
T=$(mktemp -d "${TMPDIR:-/tmp}/ibreadme.XXXXXX") || exit 2
pass=0 fail=0 pg="" ran=0
NAMES="orders jobs journal pipe"

cleanup() {
    [ -n "$pg" ] && kill -TERM "-$pg" 2>/dev/null
    # only names this run made (it refuses to start if one exists)
    [ "$ran" = 1 ] && for n in $NAMES; do "$B/indexbus" unlink "/$n" 2>/dev/null; done
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $*"; }

for n in $NAMES; do
    if [ -e "/dev/shm/$n" ]; then
        echo "cli-readme: /dev/shm/$n exists; the README example would use it (remove it, or run elsewhere)" >&2
        exit 1
    fi
done

# the block, as written
awk '/^## The `indexbus` tool/ {sec = 1; next}
     sec && /^```sh$/ {inblk = 1; next}
     inblk && /^```$/ {exit}
     inblk {print}' "$ROOT/README.md" >"$T/example.sh"
lines=$(grep -c . "$T/example.sh")
if [ "$lines" -lt 10 ] || ! grep -q -- '--follow' "$T/example.sh"; then
    echo "cli-readme: could not extract the example from README.md ($lines lines)" >&2
    exit 1
fi
ran=1
head -c 3000000 /dev/urandom >"$T/big"

# In its own session, so everything it leaves running is one process group.
(cd "$T" && PATH="$B:$PATH" exec setsid sh -e example.sh >"$T/stdout" 2>"$T/stderr") &
pg=$!
# a watchdog: 60 s at most (it ends by itself once the example has)
(i=0; while [ $i -lt 600 ] && kill -0 "$pg" 2>/dev/null; do sleep 0.1; i=$((i + 1)); done
 kill -0 "$pg" 2>/dev/null && echo "cli-readme: the example ran 60 s; killed" >&2 && kill -KILL "-$pg") &
wait "$pg"
rc=$?
kill -TERM "-$pg" 2>/dev/null # route, sub --follow, serve
sleep 0.3
pg=""
[ "$rc" = 0 ] && ok || { bad "README example exited $rc"; sed 's/^/      /' "$T/stderr" | tail -20; }

# sub --follow printed the three lines of the two pub runs, in order
if grep -x -e one -e two -e three "$T/stdout" | tr '\n' ' ' | grep -q '^one two three $'; then ok; else
    bad "sub --follow: want one two three across two pub runs; got: $(grep -x -e one -e two -e three "$T/stdout" | tr '\n' ' ')"
fi
grep -q "consumer 2: 3 messages" "$T/stderr" && ok || { bad "sub summary lacks consumer 2: 3 messages"; cat "$T/stderr"; }
grep -x -q ping "$T/stdout" && ok || bad "request --data ping: no 'ping' reply"
grep -q '10000 round trips' "$T/stdout" && ok || bad "request --count 10000: no summary"
cmp -s "$T/big" "$T/out" && ok || bad "stream: out differs from big"
grep -q '^/orders  *fanout' "$T/stdout" && ok || bad "list: no /orders fanout row"
grep -q '^{"version":1,"name":"/orders","kind":"fanout"' "$T/stdout" && ok || bad "info --json: no /orders object"
grep -q '^indexbus_published_total{region="/orders"} 3$' "$T/stdout" && ok ||
    bad "stat --prometheus: indexbus_published_total for /orders is not 3"
grep -q '^/journal: removed$' "$T/stdout" && ok || bad "gc /journal: not removed"
for n in $NAMES; do
    [ -e "/dev/shm/$n" ] && [ "$n" != jobs ] && bad "/dev/shm/$n left behind"
done
"$B/indexbus" unlink /jobs 2>/dev/null || bad "serve's /jobs was not there to remove"
ran=0
[ -e /dev/shm/jobs ] && bad "/jobs still there"
echo "cli-readme: $pass passed, $fail failed ($lines commands from README.md)"
[ "$fail" = 0 ]
