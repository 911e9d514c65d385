#!/bin/bash
# bad-input.sh - each bad input gives a clear error and its documented exit status
# (2 usage, 3 region, 4 NATS, 5 oversize), and nothing is lost:
#   - an unreachable server (a closed port on 127.0.0.1): 4, both directions;
#   - a wrong subject: one with blanks (2), an invalid one (4), one the named stream
#     does not take (4, both directions), a stream that never comes (in: 4 after 10 s);
#   - a region of the wrong kind (byte stream, request/response), a region without
#     durable state, no region at all: 3, both directions;
#   - an oversize record: the server's max_payload (1024) is less than a 2000-byte
#     record in region A: `out` forwards what comes before it, then exits 5 naming the
#     size and the limit, twice (the record is still there, held, the second time);
#     with --skip-oversize it is let go, counted refused, and the rest goes on.
#     A 512-byte stream message for region D of 256-byte slots: `in` commits what
#     comes before it and exits 5, twice (not acknowledged, so fetched again); with
#     --skip-oversize it is acknowledged, counted refused, and the rest goes in.
# After all of it, every other message arrives exactly once, in order.
B=${B:-build} . "$(dirname "$0")/common.sh" bad-input
T=$NATS_DIR
N=10

check "server (max_payload 1024)" nats_start s --max-payload 1024 || finish
check "JetStream ready" nats_wait_js s || finish
U=$(nats_url s)
A=$(region A)
check "create A" "$GEN" create "$A" events --slots 1024 --slot-size 4096 || finish
"$GEN" produce "$A" --count $N >/dev/null 2>&1
cases=0

# expect_exit DESC RC PATTERN ARGS...: the bridge exits RC with PATTERN in its message.
expect_exit() {
    local desc=$1 rc=$2 pat=$3
    shift 3
    bridge_run "$T/bad.log" 30 "$@"
    expect_eq "$desc: exit status" "$rc" $?
    expect_grep "$desc: message" "$pat" "$T/bad.log"
    cases=$((cases + 1))
}
depth() { "$IB" info "$1" | sed -n 's/^ *spsc depth *\([0-9]*\).*/\1/p'; }

# ---- unreachable
closed=$(free_port)
expect_exit "out, unreachable server" 4 "cannot connect to nats://127.0.0.1:$closed" \
    out "$A" --nats "nats://127.0.0.1:$closed" --subject ib.bad
expect_exit "in, unreachable server" 4 "cannot connect to nats://127.0.0.1:$closed" \
    in --nats "nats://127.0.0.1:$closed" --subject ib.bad --durable bad "$A"

# ---- wrong subjects (the stream IB_ib_bad, subject ib.bad, is made by a good run below)
expect_exit "out, a subject with a blank" 2 "subject" out "$A" --nats "$U" --subject "ib bad"
expect_exit "out, an invalid subject" 4 "invalid subject" out "$A" --nats "$U" --subject "ib..bad"
expect_exit "out, a wildcard subject" 2 "without wildcards" out "$A" --nats "$U" --subject "ib.>"
expect_exit "in, a wildcard subject" 2 "without wildcards" in --nats "$U" --subject "ib.*" --durable bad "$A"
expect_exit "in, a stream that never comes" 4 "stream IB_ib_none .*not found after 10 s" \
    in --nats "$U" --subject ib.none --durable bad "$A"
expect_eq "A after the unreachable server and the wrong subjects: every message still there" \
    "$N" "$(depth "$A")"

# ---- wrong regions
for kind in stream rpc; do
    R=$(region "$kind")
    check "create a $kind region" "$GEN" create "$R" "$kind" --plain
    expect_exit "out, a $kind region" 3 "is a $kind region" out "$R" --nats "$U" --subject ib.bad
    expect_exit "in, a $kind region" 3 "is a $kind region" \
        in --nats "$U" --subject ib.bad --durable bad "$R"
done
P=$(region plain)
check "create a region without durable state" "$GEN" create "$P" events --plain
"$GEN" produce "$P" --count 3 >/dev/null 2>&1
expect_exit "out, a region without durable state" 3 "not durable" out "$P" --nats "$U" --subject ib.bad
expect_exit "in, a region without durable state" 3 "not durable" \
    in --nats "$U" --subject ib.bad --durable bad "$P"
expect_eq "the plain region keeps its messages" 3 "$(depth "$P")"
expect_exit "out, no such region" 3 "ibbr-$$-nothing" out "$(region nothing)" --nats "$U" --subject ib.bad
expect_exit "in, no such region" 3 "ibbr-$$-nothing" \
    in --nats "$U" --subject ib.bad --durable bad "$(region nothing)"

# ---- oversize, out: records 1-5 64 bytes, 6 2000 bytes, 7-10 64 bytes
A2=$(region A2)
check "create A2" "$GEN" create "$A2" events --slots 1024 --slot-size 4096
"$GEN" produce "$A2" --count 5 >/dev/null 2>&1
"$GEN" produce "$A2" --start 6 --count 1 --size 2000 >/dev/null 2>&1
"$GEN" produce "$A2" --start 7 --count 4 >/dev/null 2>&1
for run in 1 2; do
    expect_exit "out, oversize record (run $run)" 5 "is 2000 bytes; the NATS server takes at most [0-9]+" \
        out "$A2" --nats "$U" --subject ib.big
    expect_eq "out, oversize (run $run): the records before it stored" 5 "$(nats_stream_msgs s IB_ib_big)"
    expect_eq "out, oversize (run $run): it and the rest still in A2" 5 "$(depth "$A2")"
done
expect_exit "out --skip-oversize" 0 "is 2000 bytes.*skipped" \
    out "$A2" --nats "$U" --subject ib.big --skip-oversize
expect_eq "out --skip-oversize: the rest stored" 9 "$(nats_stream_msgs s IB_ib_big)"
expect_eq "A2 counters" "forwarded=9 acknowledged=9 resent=0 deduplicated=0 refused=3" \
    "$("$GEN" counters "$A2" 0)"
B2=$(region B2)
check "create B2" "$GEN" create "$B2" events --slots 1024 --slot-size 64
bridge_run "$T/in-big.log" 30 in --nats "$U" --subject ib.big --durable big "$B2" --count 9 --quiet
expect_eq "in of the 9: exit 0" 0 $?
$CONSUME "$B2" --count 9 --skip 6 --timeout 30 >"$T/consume-big.out" 2>&1
expect_eq "B2: 1-5 and 7-10, once each, in order" 0 $?

# ---- the wrong subject for a stream that exists (IB_ib_big takes ib.big only)
expect_exit "out, a subject the stream does not take" 4 "stream IB_ib_big does not take subject ib.other" \
    out "$A" --nats "$U" --subject ib.other --stream IB_ib_big
expect_exit "in, a subject the stream does not take" 4 "stream IB_ib_big does not take subject ib.other" \
    in --nats "$U" --subject ib.other --stream IB_ib_big --durable bad "$B2"
expect_eq "A still has every message" "$N" "$(depth "$A")"

# ---- oversize, in: stream messages 1-3 64 bytes, 4 512 bytes, 5-6 64 bytes; D has 256-byte slots
C=$(region C)
D=$(region D)
check "create C" "$GEN" create "$C" events --slots 1024 --slot-size 4096
check "create D" "$GEN" create "$D" events --slots 1024 --slot-size 256
"$GEN" produce "$C" --count 3 >/dev/null 2>&1
"$GEN" produce "$C" --start 4 --count 1 --size 512 >/dev/null 2>&1
"$GEN" produce "$C" --start 5 --count 2 >/dev/null 2>&1
bridge_run "$T/out-c.log" 30 out "$C" --nats "$U" --subject ib.big2 --quiet
expect_eq "out of C: exit 0" 0 $?
published() { "$IB" info "$1" | sed -n 's/^ *published *\([0-9]*\).*/\1/p'; }
for run in 1 2; do
    expect_exit "in, oversize message (run $run)" 5 "sequence 4 is 512 bytes; region $D takes at most 256" \
        in --nats "$U" --subject ib.big2 --durable big2 "$D"
    expect_eq "in, oversize (run $run): the messages before it committed once" 3 "$(published "$D")"
done
expect_exit "in --skip-oversize" 0 "sequence 4 is 512 bytes.*skipped" \
    in --nats "$U" --subject ib.big2 --durable big2 "$D" --skip-oversize --count 2
expect_eq "D counters" "forwarded=5 acknowledged=6 resent=0 deduplicated=0 refused=3" \
    "$("$GEN" counters "$D" in)"
$CONSUME "$D" --count 5 --skip 4 --timeout 30 >"$T/consume-d.out" 2>&1
expect_eq "D: 1-3 and 5-6, once each, in order" 0 $?

# ---- and A, after every refusal: all of it, once
bridge_run "$T/out-a.log" 30 out "$A" --nats "$U" --subject ib.bad --quiet
expect_eq "out of A at last: exit 0" 0 $?
B3=$(region B3)
check "create B3" "$GEN" create "$B3" events --slots 1024 --slot-size 64
bridge_run "$T/in-a.log" 30 in --nats "$U" --subject ib.bad --durable bad "$B3" --count $N --quiet
expect_eq "in of A's messages: exit 0" 0 $?
$CONSUME "$B3" --count $N --timeout 30 >"$T/consume-a.out" 2>&1
expect_eq "A's $N messages once each, in order" 0 $?
finish "$cases refusals with their exit status and message; nothing lost"
