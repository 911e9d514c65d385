#!/bin/bash
# counters.sh - the bridge counters, exactly, on one server:
#   1. a clean run: 1,000 messages A -> stream -> B. A's line for consumer 0 and B's
#      line for the bridge in say forwarded 1000, acknowledged 1000, resent 0,
#      deduplicated 0, refused 0, read through the library (ibgen counters) and
#      shown by `indexbus info`.
#   2. `bridge out` killed at out-acked (JetStream has acknowledged messages the
#      region has not let go of) with a window of 100: forwarded 100, acknowledged 0;
#      the next run publishes those 100 again (resent 100) and JetStream drops the
#      ones it had: deduplicated is exactly the number the stream held before it, and
#      the stream ends with each message once.
B=${B:-build} . "$(dirname "$0")/common.sh" counters
T=$NATS_DIR
N=1000

check "server" nats_start s || finish
check "JetStream ready" nats_wait_js s || finish
U=$(nats_url s)
A=$(region A)
Bn=$(region B)
check "create A" "$GEN" create "$A" events --slots 2048 --slot-size 64 || finish
check "create B" "$GEN" create "$Bn" events --slots 2048 --slot-size 64 || finish

"$GEN" produce "$A" --count $N >"$T/produce.out" 2>&1
expect_eq "producer" 0 $?
bridge_run "$T/out.log" 60 out "$A" --nats "$U" --subject ib.count --quiet
expect_eq "bridge out exit (A ended)" 0 $?
$CONSUME "$Bn" --count $N --timeout 60 >"$T/consume.out" 2>&1 &
consumer=$!
nats_track $consumer
bridge_run "$T/in.log" 60 in --nats "$U" --subject ib.count --durable count "$Bn" --count $N --quiet
expect_eq "bridge in exit (--count)" 0 $?
wait_rc $consumer 60
expect_eq "consumer" 0 $?
want="forwarded=$N acknowledged=$N resent=0 deduplicated=0 refused=0"
expect_eq "A counters, consumer 0" "$want" "$("$GEN" counters "$A" 0)"
expect_eq "B counters, bridge in" "$want" "$("$GEN" counters "$Bn" in)"

# `indexbus info` shows the same numbers: the line of the bridge out through
# consumer 0 in A, the line of the bridge in in B.
"$IB" info "$A" >"$T/infoA" 2>&1
"$IB" info "$Bn" >"$T/infoB" 2>&1
info_line() { # FILE LABEL: that counters line ("  bridge in   forwarded F, ...") as "F A R D X"
    sed -n "s/^ *$2 *forwarded \([0-9]*\), acknowledged \([0-9]*\), resent \([0-9]*\), deduplicated \([0-9]*\), refused \([0-9]*\)\$/\1 \2 \3 \4 \5/p" "$1"
}
expect_eq "indexbus info A: bridge out via consumer 0" "$N $N 0 0 0" "$(info_line "$T/infoA" "bridge out 0")"
expect_eq "indexbus info B: bridge in" "$N $N 0 0 0" "$(info_line "$T/infoB" "bridge in")"
if [ "$BT_FAILS" -ne 0 ]; then echo "--- indexbus info A"; cat "$T/infoA"; fi

# 2. killed between the PubAcks and the release.
A2=$(region A2)
check "create A2" "$GEN" create "$A2" events --slots 2048 --slot-size 64 || finish
"$GEN" produce "$A2" --count $N >/dev/null 2>&1
INDEXBUS_BRIDGE_CRASH=out-acked:1 bridge_run "$T/out2.log" 60 out "$A2" --nats "$U" \
    --subject ib.count2 --batch 100 --quiet
expect_eq "bridge out killed at out-acked:1" 137 $?
stored1=$(nats_stream_msgs s IB_ib_count2)
expect_eq "A2 counters after the kill (a window of 100 published, none released)" \
    "forwarded=100 acknowledged=0 resent=0 deduplicated=0 refused=0" "$("$GEN" counters "$A2" 0)"
[ "${stored1:-0}" -ge 1 ] && [ "${stored1:-0}" -le 100 ] ||
    fail_note "stream held 1..100 messages at the kill, not '$stored1'"
bridge_run "$T/out3.log" 60 out "$A2" --nats "$U" --subject ib.count2 --batch 100 --quiet
expect_eq "bridge out after the kill: exit 0 (A2 ended)" 0 $?
expect_eq "A2 counters: the window re-sent, what JetStream had deduplicated" \
    "forwarded=$N acknowledged=$N resent=100 deduplicated=${stored1:-?} refused=0" \
    "$("$GEN" counters "$A2" 0)"
expect_eq "stream IB_ib_count2 holds each message once" "$N" "$(nats_stream_msgs s IB_ib_count2)"

finish "clean run: $want on both sides, shown by indexbus info; killed at out-acked: $stored1 stored before the kill, deduplicated $stored1 after it"
