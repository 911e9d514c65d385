#!/bin/bash
# run.sh BUILD_DIR TEST... - the bridge tests (make check-bridge): each TEST is
# test/bridge/TEST.sh, run with B=BUILD_DIR; prints each one's lines and
# "check-bridge: N passed, M failed"; exit 1 if any failed.
set -u
B=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
pass=0
failed=""
for t in "$@"; do
    start=$(date +%s)
    if B=$B bash "$here/$t.sh"; then
        pass=$((pass + 1))
    else
        failed="$failed $t"
    fi
    echo "  ($t: $(( $(date +%s) - start )) s)"
done
nfail=$(echo $failed | wc -w)
echo "check-bridge: $pass passed, $nfail failed${failed:+ (failed:$failed)}"
[ "$nfail" -eq 0 ]
