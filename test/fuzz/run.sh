#!/bin/sh
# run.sh smoke|long FUZZER WORKDIR - run the region fuzzer from the seed corpus.
#   smoke  one process, fixed seed, FUZZ_RUNS executions or FUZZ_TIME seconds,
#          whichever comes first; new inputs go to WORKDIR/corpus (recreated),
#          never into the committed seed corpus
#   long   FUZZ_JOBS jobs (one worker each) of FUZZ_RUNS executions each, or
#          FUZZ_TIME seconds each when FUZZ_TIME > 0; WORKDIR/corpus is kept
#          and grows from run to run
# Prints executions, exec/s, coverage and findings; exits non-zero on any
# finding (crash, hang, leak, out-of-memory, sanitizer report).
set -u
mode=$1; bin=$2; work=$3
here=$(cd "$(dirname "$0")" && pwd)
seeds=$here/corpus
dict=$here/fuzz.dict
runs=${FUZZ_RUNS:-20000}
time=${FUZZ_TIME:-0}
jobs=${FUZZ_JOBS:-2}
case $bin in /*) ;; *) bin=$(pwd)/$bin ;; esac

[ "$mode" = smoke ] && rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts" || exit 1
work=$(cd "$work" && pwd)
rm -f "$work"/fuzz-*.log "$work/log"
common="-dict=$dict -max_len=1024 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix=$work/artifacts/ -runs=$runs -max_total_time=$time"

# Findings are the artifacts libFuzzer writes; slow-unit-* are only notes.
findings() {
    ls "$work/artifacts" 2>/dev/null | grep -E '^(crash|leak|timeout|oom)-' || true
}

# One line of totals from one libFuzzer log.
summarise() {
    awk '
        /^#[0-9]+/ { for (i = 1; i <= NF; i++) { if ($i == "cov:") cov = $(i + 1); if ($i == "ft:") ft = $(i + 1); if ($i == "corp:") corp = $(i + 1) } }
        /^stat::number_of_executed_units:/ { units = $2 }
        /^stat::average_exec_per_sec:/ { eps = $2 }
        /^stat::peak_rss_mb:/ { rss = $2 }
        /^Done [0-9]+ runs in/ { secs = $5 }
        END { printf "%s executions, %s exec/s, %s s, cov %s, ft %s, corpus %s, peak rss %s MB\n",
                     units == "" ? "?" : units, eps == "" ? "?" : eps, secs == "" ? "?" : secs,
                     cov == "" ? "?" : cov, ft == "" ? "?" : ft, corp == "" ? "?" : corp,
                     rss == "" ? "?" : rss }' "$1"
}

start=$(date +%s)
if [ "$mode" = smoke ]; then
    # shellcheck disable=SC2086
    "$bin" $common -seed=1 "$work/corpus" "$seeds" >"$work/log" 2>&1
    rc=$?
    echo "fuzz smoke: $(summarise "$work/log")"
    logs=$work/log
else
    # shellcheck disable=SC2086
    (cd "$work" && "$bin" $common -jobs="$jobs" -workers="$jobs" corpus "$seeds" \
        >"$work/log" 2>&1)
    rc=$?
    total=0
    for l in "$work"/fuzz-*.log; do
        [ -f "$l" ] || continue
        s=$(summarise "$l")
        echo "fuzz long: $(basename "$l"): $s"
        n=${s%% executions*}
        case $n in *[!0-9]*|'') ;; *) total=$((total + n)) ;; esac
    done
    echo "fuzz long: $total executions in $(( $(date +%s) - start )) s over $jobs jobs;" \
         "corpus now $(ls "$work/corpus" | wc -l) inputs"
    logs="$work/log $work/fuzz-*.log"
fi
found=$(findings)
if [ "$rc" -ne 0 ] || [ -n "$found" ]; then
    echo "fuzz $mode: FAILED (exit $rc); findings:"
    for a in $found; do echo "    $work/artifacts/$a"; done
    for l in $logs; do
        [ -f "$l" ] || continue
        if grep -qE 'ERROR: |==ERROR|runtime error|API contract|undefined status|deadly signal' "$l"; then
            echo "--- $l"
            grep -E -A 30 'ERROR: |==ERROR|runtime error|API contract|undefined status' "$l" | head -n 60
        fi
    done
    echo "reproduce: $bin <artifact>"
    exit 1
fi
echo "fuzz $mode: 0 findings ($(( $(date +%s) - start )) s)"
