#!/usr/bin/env bash
# Builds dstack-c in Release (build-bench/) and runs every benchmark in bench/, printing one
# table: figure, measured value, target, PASS/FAIL. See docs/performance.md.
#   DSTACK_BENCH_SCALE=0.2 scripts/bench.sh     # a quick pass (fewer iterations)
#   DSTACK_BENCH_PRELIMINARY=1 ...              # marks every row "(prelim.)": loaded machine
#   scripts/bench.sh crypto transport           # only some programs
# Figure 1 is judged by instruction counts (callgrind, scripts/bench-callgrind.sh, run last), so
# PASS/FAIL does not move with the machine's load; its CPU-time rows are INFO.
# Exit status: 0 when every row passes, 3 when a target is missed, 1 when a program failed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=${DSTACK_BENCH_BUILD:-build-bench}
jobs=${DSTACK_BENCH_JOBS:-2}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null || exit 1
cmake --build "$build" -j"$jobs" >/dev/null || { echo "build failed" >&2; exit 1; }

benches=("$@")
if [[ ${#benches[@]} -eq 0 ]]; then
    benches=(crypto transport scaling memory startup quote_pressure sdk verify callgrind)
fi

echo "dstack-c benchmarks — $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), scale ${DSTACK_BENCH_SCALE:-1}"
echo
echo "| figure | measured | target | result |"
echo "| --- | --- | --- | --- |"
status=0
for b in "${benches[@]}"; do
    if [[ $b == callgrind ]]; then # figure 1 in instructions, on the same Release build
        DSTACK_BENCH_BUILD=$build scripts/bench-callgrind.sh --rows-only
        rc=$?
        if [[ $rc -ne 0 && $status -eq 0 ]]; then
            status=3
        fi
        continue
    fi
    bin="$build/bench/bench_$b"
    if [[ ! -x "$bin" ]]; then
        echo "| bench_$b | not built | - | FAIL |"
        status=1
        continue
    fi
    "$bin"
    rc=$?
    if [[ $rc -ne 0 && $rc -ne 3 ]]; then
        echo "| bench_$b | exited with $rc | - | FAIL |"
        status=1
    elif [[ $rc -eq 3 && $status -eq 0 ]]; then
        status=3
    fi
done
exit $status
