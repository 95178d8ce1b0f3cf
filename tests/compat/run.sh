#!/usr/bin/env bash
# Runs the official JS SDK (@phala/dstack-sdk, pinned in package.json) against our simulator:
#   - SIM:       a simulator on its own generated files      -> DSTACK_SIMULATOR_ENDPOINT
#   - UPSTREAM:  a simulator on upstream's simulator files    -> DSTACK_UPSTREAM_ENDPOINT
#   - LIMITED:   a dstack listener restricted to GetKey, Info -> DSTACK_LIMITED_ENDPOINT
#   - DSTACK_CLI: the dstack command (libdstack), for the cross-check tests
# Usage: run.sh <dstack-simulator binary> <fixture dir> [dstack binary]
# Fails when any JS test is skipped: a missing fixture or CLI is a broken setup, not a pass.
set -euo pipefail
sim_bin=$1
fixtures=$2
if [[ -n "${3:-}" ]]; then
    export DSTACK_CLI="$3"
fi
here=$(cd "$(dirname "$0")" && pwd)

if [[ ! -d "$here/node_modules/@phala/dstack-sdk" ]]; then
    echo "FAIL: the JS SDK is not installed; run 'npm ci' in tests/compat (scripts/test.sh does)" >&2
    exit 1
fi

work=$(mktemp -d /tmp/dstack-compat-XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

wait_socket() {
    for _ in $(seq 1 250); do
        [[ -S "$1" ]] && return 0
        sleep 0.02
    done
    echo "FAIL: $1 did not appear" >&2
    cat "$work"/*.log >&2 || true
    return 1
}

mkdir -p "$work/sim" "$work/up"
"$sim_bin" --dir "$work/sim" \
    --listen "unix:$work/sim/limited.sock" --methods GetKey,Info \
    >"$work/sim.log" 2>&1 &
pids+=($!)
wait_socket "$work/sim/dstack.sock"
export DSTACK_SIMULATOR_ENDPOINT="$work/sim/dstack.sock"
export TAPPD_SIMULATOR_ENDPOINT="$work/sim/tappd.sock"
export DSTACK_LIMITED_ENDPOINT="$work/sim/limited.sock"
export DSTACK_SIM_DIR="$work/sim"

up="$fixtures/upstream/simulator"
if [[ ! -f "$up/appkeys.json" ]]; then
    echo "FAIL: fixture $up/appkeys.json is missing (tests/fixtures/PROVENANCE.md)" >&2
    exit 1
fi
"$sim_bin" --dir "$work/up" --keys "$up/appkeys.json" --compose "$up/app-compose.json" \
    --sys-config "$up/sys-config.json" >"$work/up.log" 2>&1 &
pids+=($!)
wait_socket "$work/up/dstack.sock"
export DSTACK_UPSTREAM_ENDPOINT="$work/up/dstack.sock"
export DSTACK_UPSTREAM_TAPPD_ENDPOINT="$work/up/tappd.sock"
export DSTACK_UPSTREAM_FIXTURES="$up"

cd "$here"
node --test --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$work/tap.txt" ./*.test.mjs
skipped=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$work/tap.txt")
if [[ "$skipped" != "0" ]]; then
    echo "FAIL: ${skipped:-an unknown number of} JS tests were skipped" >&2
    grep -E '# SKIP' "$work/tap.txt" >&2 || true
    exit 1
fi
