#!/bin/sh
# cli-top.sh BUILD_DIR - `indexbus top` in a real terminal (make check-cli-top):
# tmux (its own server socket, an 80x24 window) runs `top` on a region; a
# producer runs, then stops. capture-pane shows the rates non-zero while it runs
# and zero after, a highlighted "changed:" line, the participant leaving, every
# line within 80 columns; `q` quits (exit 0), and so does Ctrl-C, and the
# terminal is restored (the alternate screen is left: the shell's screen comes back).
set -u
B=$(cd "${1:-build}" && pwd) || exit 2
IB=$B/indexbus
[ -x "$IB" ] || { echo "cli-top: $IB not found" >&2; exit 2; }
command -v tmux >/dev/null 2>&1 || { echo "cli-top: needs tmux (Debian: tmux; make deps)" >&2; exit 1; }
T=$(mktemp -d "${TMPDIR:-/tmp}/ibtop.XXXXXX") || exit 2
R=/ibtop-$$
SOCK=ibtop-$$
pass=0 fail=0 pids=""
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }

cleanup() {
    for p in $pids; do kill -KILL "$p" 2>/dev/null; done
    tm kill-server 2>/dev/null
    "$IB" unlink "$R" 2>/dev/null
    rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAIL: $1"; sed 's/^/      |/' "$T/pane"; }
W=top
cap() { tm capture-pane -p -t "$W" >"$T/pane" 2>/dev/null; }
# until_pane DESC REGEX: the pane shows a line matching REGEX within 8 s
until_pane() {
    i=0
    while [ $i -lt 80 ]; do
        cap
        grep -q -e "$2" "$T/pane" && { ok; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    bad "$1: no line matching /$2/"
    return 1
}

"$IB" create "$R" >/dev/null || exit 1
"$IB" sub "$R" --quiet --follow >/dev/null 2>&1 &
pids="$pids $!"
# a shell screen to come back to, then top in the same pane
tm new-session -d -s top -x 80 -y 24 "sh -c 'trap true INT; echo SHELL-SCREEN-MARK; $IB top $R --interval 0.5; echo top-exit=\$?; sleep 30'" || exit 1
until_pane "top draws" "^indexbus top  1 region  every 0.5 s .*(q quits)"
until_pane "idle: rates zero" "^  published 0/s  free slots"

"$IB" pub "$R" --count 4000000000 --size 16 >/dev/null 2>&1 &
PUB=$!
pids="$pids $PUB"
until_pane "producing: published rate non-zero" "^  published [0-9.]*[1-9][0-9.]*[kM]*/s  free slots"
until_pane "producing: delivered rate non-zero on consumer 0" "^         0      yes  *[0-9.]*[1-9][0-9.]*[kM]* "
until_pane "changed line names the producer" "^changed: $R published +[1-9]"
until_pane "participants show the producer" "^  participants 2 alive, 0 dead: .*spsc-producer $PUB"
# the changed line is in reverse video (ESC[7m) on the terminal
tm capture-pane -p -e -t top >"$T/esc" 2>/dev/null
grep -q "$(printf '\033')\[7mchanged: " "$T/esc" && ok || { cp "$T/esc" "$T/pane"; bad "changed line not highlighted"; }
awk 'length($0) > 80 {bad = 1} END {exit bad}' "$T/pane" && ok || bad "a line wider than 80 columns"

kill -TERM "$PUB" # pub stops cleanly on SIGTERM: the producer leaves
until_pane "stopped: published rate back to zero" "^  published 0/s  free slots"
until_pane "the producer left" "^  participants 1 alive, 0 dead: "

tm send-keys -t top q
until_pane "q quits with status 0" "^top-exit=0$"
grep -q "SHELL-SCREEN-MARK" "$T/pane" && ok || bad "the shell's screen did not come back"
grep -q "^indexbus top" "$T/pane" && bad "top's frame left on the restored screen" || ok

# Ctrl-C quits too, and restores the terminal
W=top2
tm new-session -d -s top2 -x 80 -y 24 "sh -c 'trap true INT; echo SHELL-SCREEN-MARK; $IB top $R --interval 0.5; echo top-exit=\$?; sleep 30'" || exit 1
until_pane "second top draws" "^indexbus top  1 region"
tm send-keys -t top2 C-c
until_pane "Ctrl-C quits with status 0" "^top-exit=0$"
grep -q "SHELL-SCREEN-MARK" "$T/pane" && ok || bad "the shell's screen did not come back after Ctrl-C"

echo "cli-top: $pass passed, $fail failed"
[ "$fail" = 0 ]
