#!/usr/bin/env bash
# Long libFuzzer runs, two targets at a time (the machine is shared):
#   scripts/fuzz-long.sh <fuzz build dir> <seconds per target> <target>...
# e.g. scripts/fuzz-long.sh build-fuzz 600 fuzz_request fuzz_quote fuzz_evlog fuzz_attestation
# Each run's log is <build>/tests/fuzz/long/<target>.log; crashes land next to it. Prints the
# execution count of every target at the end (non-zero exit if any target found a crash).
set -uo pipefail
cd "$(dirname "$0")/.."
build=$(cd "$1" && pwd) secs=$2
shift 2
out="$build/tests/fuzz/long"
mkdir -p "$out"
run() {
    local t=$1 parser=${1#fuzz_}
    tests/fuzz/run_target.sh "$build/tests/fuzz/$t" "$out/$parser" \
        "$PWD/tests/fuzz/corpus/$parser" "$secs" >"$out/$t.log" 2>&1
    echo "$t exit $?" >>"$out/$t.log"
}
pending=("$@")
while ((${#pending[@]})); do
    run "${pending[0]}" &
    if ((${#pending[@]} > 1)); then
        run "${pending[1]}" &
    fi
    wait
    pending=("${pending[@]:2}")
done
status=0
for t in "$@"; do
    execs=$(grep -o 'number_of_executed_units: [0-9]*' "$out/$t.log" | awk '{print $2}')
    rc=$(tail -1 "$out/$t.log" | awk '{print $3}')
    echo "$t: ${execs:-?} executions in ${secs}s, exit ${rc:-?}"
    [[ "$rc" == 0 ]] || status=1
done
exit $status
