#!/bin/bash
# kill.sh - the bridge's kill campaign (make check-bridge-kill).
#
#   ibgen produce (R msg/s, throughout) -> region A -> bridge out -> server 1 ~~ server 2
#     -> bridge in -> region B -> consume.py (throughout)
#
# 100 SIGKILLs of `bridge out` and 100 of `bridge in`, each side in a loop of its own:
# every other run is killed at a random time (0.05 to 1.2 s after its start), the others
# at a traced point (INDEXBUS_BRIDGE_CRASH=POINT:N, N from 1 to 8, the points in turn:
# out-read, out-published, out-acked; in-fetched, in-committed), and the killed side is
# started again at once; a side done with its kills runs on, unharmed, until the
# other is done too, and is stopped with SIGTERM (exit 0). When half the kills are done, server 1 (the out side's) is
# restarted (same ports, same store). Then the producer stops, a last clean `bridge out`
# drains A (exit 0 when A ends), a last `bridge in` runs until the consumer has every
# message and is stopped with SIGTERM (exit 0). The consumer must have seen every
# message exactly once and in order, and the stream must hold each exactly once.
#
# A bridge that exits on its own is a failure, except with 4 (NATS unreachable at its
# start) while server 1 restarts. Figures: stdout and $B/bridge-campaign.txt.
# IB_CAMPAIGN_KILLS (per side, 100), IB_CAMPAIGN_RATE (msg/s, 5000), IB_CAMPAIGN_SEED.
B=${B:-build} . "$(dirname "$0")/common.sh" bridge-campaign
KILLS=${IB_CAMPAIGN_KILLS:-100}
RATE=${IB_CAMPAIGN_RATE:-5000}
SEED=${IB_CAMPAIGN_SEED:-16}
T=$NATS_DIR
RESULTS=$B/bridge-campaign.txt
campaign_t0=$(date +%s)
exec 3>&2 # IB_CAMPAIGN_TRACE=1: a line per bridge run

check "cluster of two servers" nats_cluster || finish
S1=$(nats_url s1)
S2=$(nats_url s2)
A=$(region A)
Bn=$(region B)
check "create A" "$GEN" create "$A" events --slots 4096 --slot-size 64 || finish
check "create B" "$GEN" create "$Bn" events --slots 4096 --slot-size 64 || finish

out_args=(out "$A" --nats "$S1" --subject ib.kill --quiet)
in_args=(in --nats "$S2" --subject ib.kill --durable kill "$Bn" --quiet)

# wait_limit PID SECONDS: its status, or 124 after SIGKILL at the limit.
wait_limit() {
    local pid=$1 end=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$SECONDS" -ge "$end" ]; then
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            return 124
        fi
        sleep 0.02
    done
    wait "$pid" 2>/dev/null
}

# side_loop out|in: KILLS kills of that side; one line per run in $T/SIDE.runs:
# "killed POINT", "timeout POINT" (the point not reached in 20 s: killed by us),
# "exit RC restarting|steady".
side_loop() {
    local side=$1 k=0 pid rc point n delay how
    local -a args points
    if [ "$side" = out ]; then
        args=("${out_args[@]}")
        points=(out-read out-published out-acked)
        RANDOM=$SEED
    else
        args=("${in_args[@]}")
        points=(in-fetched in-committed)
        RANDOM=$((SEED + 1))
    fi
    local stalls=0 exits=0
    while [ "$k" -lt "$KILLS" ]; do
        if [ "$stalls" -ge 3 ] || [ "$exits" -ge 50 ]; then
            # three traced points in a row not reached, or 50 exits in a row
            # (not counting exits while server 1 restarts): stuck
            echo "stalled" >>"$T/$side.runs"
            break
        fi
        if [ $((k % 2)) -eq 0 ]; then
            point=random
            "$BRIDGE" "${args[@]}" >>"$T/$side.log" 2>&1 &
        else
            point=${points[$(((k / 2) % ${#points[@]}))]}
            n=$((RANDOM % 8 + 1))
            INDEXBUS_BRIDGE_CRASH=$point:$n "$BRIDGE" "${args[@]}" >>"$T/$side.log" 2>&1 &
        fi
        pid=$!
        echo "$pid" >"$T/$side.curpid"
        if [ "$point" = random ]; then
            delay=$(printf '%d.%03d' $((RANDOM % 2)) $((RANDOM % 1000)))
            case $delay in 0.0[0-4]*) delay=0.05 ;; 1.[2-9]*) delay=1.2 ;; esac
            sleep "$delay"
            kill -KILL "$pid" 2>/dev/null
        fi
        wait_limit "$pid" 20
        rc=$?
        exits=$((exits + 1))
        if [ "$rc" -eq 137 ]; then
            how="killed $point"
            stalls=0
            exits=0
            k=$((k + 1))
        elif [ "$rc" -eq 124 ]; then
            how="timeout $point"
            k=$((k + 1))
            stalls=$((stalls + 1))
            exits=0
        elif [ -e "$T/restarting" ]; then
            how="exit $rc restarting"
            exits=0 # (allowed: not a sign of a stuck bridge)
        else
            how="exit $rc steady"
        fi
        echo "$how" >>"$T/$side.runs"
        [ -n "${IB_CAMPAIGN_TRACE:-}" ] && echo "$side: $how (kills $k)" >&3
        echo "$k" >"$T/$side.kills"
        if [ "$k" -ge $((KILLS / 2)) ] && [ ! -e "$T/$side.half" ]; then
            touch "$T/$side.half"
        fi
        case $how in exit*) sleep 0.2 ;; esac # not a tight loop while it cannot start
    done
    # Done here: keep this side running, unharmed, until the other side is done too
    # (the other side's traced points need traffic), then stop it with SIGTERM.
    "$BRIDGE" "${args[@]}" >>"$T/$side.log" 2>&1 &
    pid=$!
    echo "$pid" >"$T/$side.curpid"
    touch "$T/$side.finished"
    sleep 1 # it has started (and set up its signal handlers) before any SIGTERM
    while [ ! -e "$T/out.finished" ] || [ ! -e "$T/in.finished" ]; do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null
    wait_limit "$pid" 30
    echo "end $?" >>"$T/$side.runs"
    rm -f "$T/$side.curpid"
}

"$GEN" produce "$A" --count 0 --rate "$RATE" --out "$T/produced" >"$T/produce.out" 2>&1 &
producer=$!
nats_track $producer
$CONSUME "$Bn" --until "$T/done" --progress "$T/progress" --timeout 600 >"$T/consume.out" 2>&1 &
consumer=$!
nats_track $consumer

# (their stderr: the shell's notes on each SIGKILL)
side_loop out 2>>"$T/out.shell" &
out_loop=$!
nats_track $out_loop
side_loop in 2>>"$T/in.shell" &
in_loop=$!
nats_track $in_loop

# Server 1 restarts once both sides are half way through.
for i in $(seq 1 3000); do
    [ -e "$T/out.half" ] && [ -e "$T/in.half" ] && break
    kill -0 $out_loop 2>/dev/null || kill -0 $in_loop 2>/dev/null || break
    sleep 0.1
done
touch "$T/restarting"
restart_t0=$(now)
check "restart server 1 mid-stream" nats_restart s1
restart_secs=$(elapsed "$restart_t0" "$(now)")
sleep 3 # a bridge that started while server 1 was away may still be finding out
rm -f "$T/restarting"
restarts=1

wait $out_loop
wait $in_loop
kill -TERM $producer
wait_rc $producer 30
expect_eq "producer exit (SIGTERM)" 0 $?
produced=$(cat "$T/produced" 2>/dev/null || echo 0)

# Drain: A to the stream, the stream to B.
bridge_run "$T/final-out.log" 60 "${out_args[@]}"
expect_eq "last bridge out: exit 0 once A ended" 0 $?
bridge_bg "$T/final-in.log" "${in_args[@]}"
final_in=$!
last=-1
changed=$SECONDS
while [ $((SECONDS - changed)) -lt 20 ]; do # until all came, or nothing came for 20 s
    got=$(cat "$T/progress" 2>/dev/null || echo 0)
    [ "$got" -ge "$produced" ] && break
    kill -0 $consumer 2>/dev/null || break
    [ "$got" != "$last" ] && { changed=$SECONDS; last=$got; }
    sleep 0.1
done
sleep 1 # anything extra would come now
kill -TERM $final_in
wait_rc $final_in 30
expect_eq "last bridge in: exit 0 on SIGTERM" 0 $?
touch "$T/done"
wait_rc $consumer 60
consumer_rc=$?
cat "$T/consume.out"
expect_eq "consumer exit" 0 $consumer_rc

received=$(sed -n 's/^consume: received \([0-9]*\).*/\1/p' "$T/consume.out")
lost=$(sed -n 's/.* lost \([0-9]*\).*/\1/p' "$T/consume.out")
dup=$(sed -n 's/.* duplicated \([0-9]*\).*/\1/p' "$T/consume.out")
corrupt=$(sed -n 's/.* corrupt \([0-9]*\).*/\1/p' "$T/consume.out")
lastseq=$(sed -n 's/.* last \([0-9]*\) lost.*/\1/p' "$T/consume.out")
# the consumer counts gaps; what never came after its last message is lost too
case $lastseq in ''|*[!0-9]*) lastseq=0 ;; esac
[ -n "$lost" ] && [ "$lastseq" -lt "$produced" ] && lost=$((lost + produced - lastseq))
expect_eq "messages received" "$produced" "$received"
expect_eq "lost" 0 "$lost"
expect_eq "duplicated" 0 "$dup"
expect_eq "corrupt" 0 "$corrupt"
stored=0
for s in s1 s2; do
    m=$(nats_stream_msgs $s IB_ib_kill 2>/dev/null) && stored=$m
done
expect_eq "messages in stream IB_ib_kill (each stored once)" "$produced" "$stored"

count_runs() { grep -c "^$2" "$T/$1.runs" 2>/dev/null; }
kills_line() { # SIDE POINT...
    local side=$1 p line="" total=0 c
    shift
    for p in random "$@"; do
        c=$(count_runs "$side" "killed $p$")
        total=$((total + c))
        line="$line, $p $c"
    done
    echo "kills $side $total (${line#, })"
}
out_line=$(kills_line out out-read out-published out-acked)
in_line=$(kills_line in in-fetched in-committed)
timeouts=$(( $(count_runs out timeout) + $(count_runs in timeout) ))
exits_restart=$(( $(count_runs out "exit 4 restarting") + $(count_runs in "exit 4 restarting") ))
exits_other=$(( $(count_runs out exit) + $(count_runs in exit) - exits_restart ))
expect_eq "kills of bridge out" "$KILLS" "$(echo "$out_line" | awk '{print $3}')"
expect_eq "kills of bridge in" "$KILLS" "$(echo "$in_line" | awk '{print $3}')"
expect_eq "traced points never reached in 20 s" 0 "$timeouts"
grep -q stalled "$T/out.runs" "$T/in.runs" &&
    fail_note "a side stalled (three traced points in a row not reached, or 50 exits in a row)"
expect_eq "bridge exits of its own (other than 4 while server 1 restarted)" 0 "$exits_other"
expect_eq "bridge out left running: exit 0 on SIGTERM" "end 0" "$(grep "^end" "$T/out.runs")"
expect_eq "bridge in left running: exit 0 on SIGTERM" "end 0" "$(grep "^end" "$T/in.runs")"
if [ "$exits_other" -ne 0 ]; then
    grep -h "exit" "$T/out.runs" "$T/in.runs" | sort | uniq -c
    tail -n 5 "$T/out.log" "$T/in.log"
fi

secs=$(( $(date +%s) - campaign_t0 ))
{
    echo "bridge-campaign: $out_line"
    echo "bridge-campaign: $in_line"
    echo "bridge-campaign: server restarts $restarts (server 1, back in $restart_secs s); bridge exits 4 while it restarted $exits_restart, other exits $exits_other, traced points not reached $timeouts"
    echo "bridge-campaign: messages $produced, received ${received:-0}, lost ${lost:-?}, duplicated ${dup:-?}, corrupt ${corrupt:-?}, stored in the stream $stored"
    echo "bridge-campaign: A out counters: $("$GEN" counters "$A" 0)"
    echo "bridge-campaign: B in counters: $("$GEN" counters "$Bn" in)"
    echo "bridge-campaign: producer rate $RATE msg/s, seed $SEED, $secs s"
} | tee "$RESULTS"
finish "results in $RESULTS"
