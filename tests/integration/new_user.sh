#!/usr/bin/env bash
# A new user's two paths, as the documentation describes them:
#  1. upstream's simulator folder (its dstack.toml, appkeys.json, app-compose.json, sys-config.json,
#     attestation.bin) with dstack-simulator started there without arguments: upstream's sockets
#     and upstream's app id;
#  2. scripts/simulator.sh's command line in a fresh folder (sim-data does not exist yet), then
#     `dstack compose-hash sim-data/app-compose.json`: one compose hash, the one Info reports;
#  3. upstream's appkeys.json without attestation.bin: the compose's app id, and the start-up
#     warning that explains why GetKey's chain will not verify against upstream's KMS key.
# Usage: new_user.sh <dstack-simulator> <fixture dir>
set -euo pipefail
sim_bin=$(realpath "$1")
dstack=$(realpath "$(dirname "$sim_bin")/../cli/dstack")
up="$(realpath "$2")/upstream/simulator"
src=$(realpath "$(dirname "$0")/../..")
for f in dstack.toml appkeys.json app-compose.json sys-config.json attestation.bin; do
    [[ -f "$up/$f" ]] || { echo "FAIL: fixture $up/$f is missing (tests/fixtures/PROVENANCE.md)"; exit 1; }
done
command -v jq >/dev/null || { echo "FAIL: jq is missing (scripts/deps.sh --test installs it)"; exit 1; }
[[ -x "$dstack" ]] || { echo "FAIL: $dstack is not built"; exit 1; }

top=$(mktemp -d /tmp/dstack-newuser-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$top"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
wait_ready() { # log file
    for _ in $(seq 1 500); do grep -q " ready (" "$1" 2>/dev/null && return 0; sleep 0.02; done
    echo "simulator did not start; log:"; cat "$1"; return 1
}

# 1. Upstream's folder, as upstream's simulator documentation runs it: ./dstack-simulator there.
mkdir "$top/upstream" && cp "$up"/* "$top/upstream/" && chmod u+w "$top/upstream"/*
cd "$top/upstream"
"$sim_bin" >sim.log 2>&1 &
pid=$!
wait_ready sim.log
for s in dstack.sock tappd.sock external.sock; do
    [[ -S "$s" ]] || fail "$s was not created in upstream's folder"
done
grep -q "loaded config file ./dstack.toml" sim.log || fail "./dstack.toml was not read"
grep -q "default.max_blocking (line 7) is not used here" sim.log || fail "max_blocking not named"
[[ -S guest.sock ]] || fail "upstream's [guest-api] unix:./guest.sock was not created"
curl -sf --unix-socket ./guest.sock -X POST 'http://localhost/api/SysInfo?json' -d null |
    jq -e '.total_memory > 0' >/dev/null || fail "the Guest API on ./guest.sock"
"$dstack" call SysInfo --endpoint ./guest.sock | jq -e '.total_memory > 0' >/dev/null ||
    fail "dstack call SysInfo on ./guest.sock (the Guest API lives under /api/)"
app_id=$("$dstack" info --endpoint ./dstack.sock | jq -r .app_id)
[[ "$app_id" == "5bb4ff9a3837357f19dc176407a5709c62eb6c56" ]] || fail "app id $app_id, upstream's is 5bb4ff9a..."
DSTACK_SIMULATOR_ENDPOINT=$PWD/dstack.sock "$dstack" get-key wallet/eth >/dev/null ||
    fail "get-key through DSTACK_SIMULATOR_ENDPOINT"
curl -sf --unix-socket ./external.sock http://localhost/prpc/Worker.Version >/dev/null ||
    fail "the Worker service on ./external.sock"
kill $pid; wait $pid || fail "the simulator did not stop cleanly"
pid=""

# 2. scripts/simulator.sh ends with this command line; sim-data does not exist yet.
grep -q '^exec build/agent/dstack-simulator --dir sim-data "\$@"$' "$src/scripts/simulator.sh" ||
    fail "scripts/simulator.sh no longer runs 'dstack-simulator --dir sim-data'"
mkdir "$top/fresh" && cd "$top/fresh"
"$sim_bin" --dir sim-data >sim.log 2>&1 &
pid=$!
wait_ready sim.log
info_hash=$("$dstack" info --endpoint sim-data/dstack.sock | jq -r .compose_hash)
file_hash=$("$dstack" compose-hash sim-data/app-compose.json | jq -r .compose_hash)
raw_hash=$(sha256sum sim-data/app-compose.json | cut -d' ' -f1)
[[ "$info_hash" == "$file_hash" && "$file_hash" == "$raw_hash" ]] ||
    fail "compose hashes differ: Info $info_hash, dstack compose-hash $file_hash, sha256 $raw_hash"
kill $pid; wait $pid || fail "the simulator did not stop cleanly"
pid=""

# 3. Upstream's keys without attestation.bin: the app id is the compose's, and the simulator says
#    why the chains will not verify against upstream's KMS key.
mkdir "$top/keys-only" && cd "$top/keys-only"
cp "$up/appkeys.json" "$up/app-compose.json" "$up/sys-config.json" . && chmod u+w ./*
"$sim_bin" >sim.log 2>&1 &
pid=$!
wait_ready sim.log
app_id=$("$dstack" info --endpoint ./dstack.sock | jq -r .app_id)
[[ "$app_id" == "$(sha256sum app-compose.json | cut -c1-40)" ]] || fail "app id $app_id is not the compose's"
grep -q "appkeys.json holds upstream's simulator keys: its k256_signature was issued by upstream's KMS key 0321529e458424ab... for app id 5bb4ff9a3837357f19dc176407a5709c62eb6c56. Without upstream's attestation.bin this simulator's app id is $app_id" sim.log ||
    fail "no explanation of upstream's keys without attestation.bin: $(grep WARN sim.log)"
kill $pid; wait $pid || fail "the simulator did not stop cleanly"
pid=""
# Its own generated keys: no such warning.
grep -q "was not issued for this simulator" "$top/fresh/sim.log" && fail "a warning on generated keys"

[[ $failed -eq 0 ]] || exit 1
echo "new user paths: ok"
