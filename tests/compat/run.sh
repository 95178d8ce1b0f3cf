#!/usr/bin/env bash
# Runs the official JS SDK (@phala/dstack-sdk, pinned in package.json) against our simulator:
#   - SIM:       a simulator on its own generated files      -> DSTACK_SIMULATOR_ENDPOINT
#   - UPSTREAM:  a simulator on upstream's simulator files    -> DSTACK_UPSTREAM_ENDPOINT
#   - LIMITED:   a dstack listener restricted to GetKey, Info -> DSTACK_LIMITED_ENDPOINT
#   - DSTACK_CLI: the dstack command (libdstack), for the cross-check tests
# Usage: run.sh <dstack-simulator binary> <shared dir> [dstack binary]
set -euo pipefail
sim_bin=$1
shared=$2
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

up="$shared/fixtures/upstream-simulator"
if [[ -f "$up/appkeys.json" ]]; then
    "$sim_bin" --dir "$work/up" --keys "$up/appkeys.json" --compose "$up/app-compose.json" \
        --sys-config "$up/sys-config.json" >"$work/up.log" 2>&1 &
    pids+=($!)
    wait_socket "$work/up/dstack.sock"
    export DSTACK_UPSTREAM_ENDPOINT="$work/up/dstack.sock"
    export DSTACK_UPSTREAM_TAPPD_ENDPOINT="$work/up/tappd.sock"
    export DSTACK_UPSTREAM_FIXTURES="$up"
else
    echo "note: $up is absent; the upstream-vector tests skip" >&2
fi

cd "$here"
node --test --test-reporter=spec ./*.test.mjs
