#!/bin/bash
# auth.sh - a server with token auth: `bridge out` and `bridge in` without the token,
# and with a wrong one, exit 4 saying the server refused them, and nothing is
# delivered (the stream is never made, region A keeps its messages, region B gets
# none); with the token (--token, or INDEXBUS_NATS_TOKEN) both work and every
# message arrives once.
B=${B:-build} . "$(dirname "$0")/common.sh" auth
T=$NATS_DIR
N=100
TOKEN=ib-token-$$-$RANDOM

check "server with token auth" nats_start s --token "$TOKEN" || finish
U=$(nats_url s)
check "JetStream ready" nats_wait_js s || finish
A=$(region A)
Bn=$(region B)
check "create A" "$GEN" create "$A" events --slots 1024 --slot-size 64 || finish
check "create B" "$GEN" create "$Bn" events --slots 1024 --slot-size 64 || finish
"$GEN" produce "$A" --count $N >/dev/null 2>&1

refused() { # DESC ARGS...: exit 4 and the server's refusal in the message
    local desc=$1
    shift
    bridge_run "$T/refused.log" 30 "$@"
    expect_eq "$desc: exit status" 4 $?
    expect_grep "$desc: says why" "[Aa]uthoriz|[Aa]uthentic" "$T/refused.log"
}
refused "out without a token" out "$A" --nats "$U" --subject ib.auth
refused "out with a wrong token" out "$A" --nats "$U" --subject ib.auth --token wrong-$TOKEN
INDEXBUS_NATS_TOKEN=wrong-$TOKEN refused "out with a wrong INDEXBUS_NATS_TOKEN" \
    out "$A" --nats "$U" --subject ib.auth
refused "in without a token" in --nats "$U" --subject ib.auth --durable auth "$Bn"
refused "in with a wrong token" in --nats "$U" --subject ib.auth --durable auth "$Bn" \
    --token wrong-$TOKEN

# Nothing went anywhere: A still has every message, B none, no stream.
expect_eq "A's messages after the refusals" \
    "forwarded=0 acknowledged=0 resent=0 deduplicated=0 refused=0" "$("$GEN" counters "$A" 0)"
depth=$("$IB" info "$A" | sed -n 's/^ *spsc depth *\([0-9]*\).*/\1/p')
expect_eq "A's depth after the refusals" "$N" "$depth"
depth=$("$IB" info "$Bn" | sed -n 's/^ *published *\([0-9]*\).*/\1/p')
expect_eq "B's published after the refusals" 0 "$depth"
nats_stream_msgs s IB_ib_auth >/dev/null 2>&1 && fail_note "a stream exists after the refusals"

# With the token: everything, once.
# (through the CLI: `indexbus bridge` runs indexbus-bridge, its exit status is the bridge's)
"$IB" bridge out "$A" --nats "$U" --subject ib.auth --token wrong-$TOKEN >"$T/cli.log" 2>&1
expect_eq "indexbus bridge out with a wrong token: exit 4" 4 $?
"$IB" bridge out "$A" --nats "$U" --subject ib.auth --token "$TOKEN" --quiet >"$T/out.log" 2>&1 &
out=$!
nats_track $out
wait_rc $out 60
expect_eq "indexbus bridge out with the token: exit 0 (A ended)" 0 $?
$CONSUME "$Bn" --count $N --timeout 60 >"$T/consume.out" 2>&1 &
consumer=$!
nats_track $consumer
INDEXBUS_NATS_TOKEN=$TOKEN bridge_run "$T/in.log" 60 in --nats "$U" --subject ib.auth \
    --durable auth "$Bn" --count $N --quiet
expect_eq "in with INDEXBUS_NATS_TOKEN: exit 0 (--count)" 0 $?
wait_rc $consumer 60
expect_eq "consumer" 0 $?
expect_grep "every message once" "^consume: received $N first 1 last $N lost 0 duplicated 0 corrupt 0" \
    "$T/consume.out"
expect_eq "stream IB_ib_auth" "$N" "$(nats_stream_msgs s IB_ib_auth)"
finish "6 refusals exit 4, nothing delivered; with the token $N of $N once"
