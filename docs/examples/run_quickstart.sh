#!/bin/sh
# Runs the quick-start example against a fresh dstack-simulator (ctest: docs.quickstart.run).
# usage: run_quickstart.sh SIMULATOR EXAMPLE [SHARED_DIR]
set -eu
sim=$1 example=$2 shared=${3:-}
dir=$(mktemp -d /tmp/dstack-quickstart.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
set --
if [ -n "$shared" ] && [ -f "$shared/fixtures/upstream-simulator/appkeys.json" ]; then
    f=$shared/fixtures/upstream-simulator
    set -- --keys "$f/appkeys.json" --compose "$f/app-compose.json" \
        --sys-config "$f/sys-config.json" --attestation "$f/attestation.bin"
fi
"$sim" --dir "$dir" "$@" >"$dir/sim.log" 2>&1 &
pid=$!
i=0
while [ ! -S "$dir/dstack.sock" ]; do
    i=$((i + 1))
    if [ $i -gt 100 ]; then
        cat "$dir/sim.log" >&2
        exit 1
    fi
    sleep 0.1
done
DSTACK_SIMULATOR_ENDPOINT=$dir/dstack.sock "$example"
