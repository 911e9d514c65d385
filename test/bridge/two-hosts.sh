#!/bin/bash
# two-hosts.sh - two nats-servers clustered on loopback stand in for two hosts:
#
#   ibgen produce -> region A -> bridge out -> server 1 ~~route~~ server 2 -> bridge in
#     -> region B -> consume.py (Python package)
#
# IB_TWO_HOSTS_COUNT messages (default 1,000,000) of 64 bytes, each with its sequence
# number and a CRC: the consumer must see every one, in order, none missing, none
# twice; the stream holds exactly that many (the out side stored each once); the
# bridges' counters say so too; every program exits 0 on its own (the out bridge when
# region A ends, the in bridge at --count, the consumer when region B ends).
B=${B:-build} . "$(dirname "$0")/common.sh" two-hosts
N=${IB_TWO_HOSTS_COUNT:-1000000}
T=$NATS_DIR

check "cluster of two servers" nats_cluster || finish
S1=$(nats_url s1)
S2=$(nats_url s2)
A=$(region A)
Bn=$(region B)
check "create A" "$GEN" create "$A" events --slots 8192 --slot-size 64
check "create B" "$GEN" create "$Bn" events --slots 8192 --slot-size 64

t0=$(now)
$CONSUME "$Bn" --count "$N" --timeout 400 >"$T/consume.out" 2>&1 &
consumer=$!
nats_track $consumer
bridge_bg "$T/out.log" out "$A" --nats "$S1" --subject ib.two --stats
out=$!
# `in` waits up to 10 s for the stream that `out` makes.
bridge_bg "$T/in.log" in --nats "$S2" --subject ib.two --durable two "$Bn" --count "$N" --stats
in=$!
"$GEN" produce "$A" --count "$N" >"$T/produce.out" 2>&1 &
producer=$!
nats_track $producer

wait_rc $producer 400; expect_eq "producer exit" 0 $?
wait_rc $out 400; expect_eq "bridge out exit (region A ended)" 0 $?
wait_rc $in 400; expect_eq "bridge in exit (--count $N)" 0 $?
wait_rc $consumer 400; expect_eq "consumer exit" 0 $?
t1=$(now)
secs=$(elapsed "$t0" "$t1")

cat "$T/consume.out"
expect_grep "consumer saw all" "^consume: received $N first 1 last $N lost 0 duplicated 0 corrupt 0 " \
    "$T/consume.out"
stored=0
for s in s1 s2; do
    m=$(nats_stream_msgs $s IB_ib_two 2>/dev/null) && stored=$m
done
expect_eq "messages in stream IB_ib_two" "$N" "$stored"
expect_eq "A out counters (consumer 0): every message acknowledged and released once" \
    "$N" "$("$GEN" counters "$A" 0 | sed -n 's/.*acknowledged=\([0-9]*\).*/\1/p')"
expect_eq "B in counters: every message committed once" \
    "$N" "$("$GEN" counters "$Bn" in | sed -n 's/^forwarded=\([0-9]*\).*/\1/p')"
if [ "$BT_FAILS" -ne 0 ]; then
    for f in produce.out out.log in.log; do echo "--- $f"; tail -n 5 "$T/$f"; done
fi
rate=$(python3 -c "import sys; print('%.0f' % (int(sys.argv[1]) / float(sys.argv[2])))" "$N" "$secs")
finish "$N messages A -> server 1 -> server 2 -> B in $secs s, $rate msg/s end to end; consumer $(sed -n "s/.*rate \([0-9]*\) msg.s.*/\1/p" "$T/consume.out") msg/s"
