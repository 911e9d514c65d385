#!/bin/sh
# run.sh - run each test program, print one line per test and a summary
# line "N passed, M failed". Exit non-zero if any failed.
# IB_TSAN=1: run with ASLR off (TSan's fixed shadow layout vs. high-entropy ASLR).
pass=0; fail=0; failed=""
wrap=""
if [ "${IB_TSAN:-0}" = 1 ] && command -v setarch >/dev/null 2>&1; then
    wrap="setarch $(uname -m) -R"
fi
for t in "$@"; do
    name=${t#"${B:-build}"/test/} # e.g. broadcast, crash/recover
    log="${B:-build}/test/$name.log"
    if timeout 300 $wrap "$t" >"$log" 2>&1; then
        pass=$((pass + 1)); echo "PASS $name"
    else
        fail=$((fail + 1)); failed="$failed $name"; echo "FAIL $name (log: $log)"
        sed 's/^/    /' "$log" | tail -n 30
    fi
done
echo "c: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
