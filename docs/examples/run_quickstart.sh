#!/bin/sh
# Runs the quick-start example against a fresh dstack-simulator (ctest: docs.quickstart.run).
# usage: run_quickstart.sh SIMULATOR EXAMPLE FIXTURE_DIR (upstream's simulator files are used)
set -eu
sim=$1 example=$2 fixtures=$3
dir=$(mktemp -d /tmp/dstack-quickstart.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
set --
f=$fixtures/upstream/simulator
if [ ! -f "$f/appkeys.json" ]; then
    echo "FAIL: fixture $f/appkeys.json is missing (tests/fixtures/PROVENANCE.md)" >&2
    exit 1
fi
set -- --keys "$f/appkeys.json" --compose "$f/app-compose.json" \
    --sys-config "$f/sys-config.json" --attestation "$f/attestation.bin"
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
