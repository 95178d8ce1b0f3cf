#!/usr/bin/env bash
# Builds dstack-c and runs the simulator in ./sim-data, ready for an app.
# Extra arguments go to dstack-simulator (see --help), e.g. --listen 127.0.0.1:8090.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/deps.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" --target dstack-simulator dstack >/dev/null

mkdir -p sim-data
cat <<MSG

dstack simulator — files and sockets in $root/sim-data
  dstack API:  $root/sim-data/dstack.sock
  tappd API:   $root/sim-data/tappd.sock
  Worker API:  $root/sim-data/external.sock   (public Info, Version, GetAttestationForAppKey)
  Quote root:  $root/sim-data/tdx-root-ca.pem  (verify simulated quotes against it)

Point an SDK at it:
  export DSTACK_SIMULATOR_ENDPOINT=$root/sim-data/dstack.sock
  export TAPPD_SIMULATOR_ENDPOINT=$root/sim-data/tappd.sock
Try it:
  curl --unix-socket $root/sim-data/dstack.sock http://dstack/Info

MSG
exec build/agent/dstack-simulator --dir sim-data "$@"
