#!/usr/bin/env bash
# core.simulator.mock_attestation_seed, upstream's meaning (guest-agent-simulator/src/main.rs,
# simulator.rs prepare_attestation): in upstream's simulator folder, with the seed added to its
# dstack.toml, every quote is signed afresh by the mock PCK chain of that seed, carrying the
# attestation file's MRTD and RTMR0-3 and the caller's report_data. Checked with our verifier:
#  - `dstack verify-quote --root tdx-root-ca.pem --report-data` (the chain and signatures);
#  - `dstack verify-quote --collateral tdx-collateral.json --root tdx-root-ca.pem` (DCAP in full,
#    as upstream's seeded_simulator_resigns_certificate_attestation test verifies);
#  - the measurements are the file's (the same as without the seed), the report data ours;
#  - without the seed the file's quote does not verify under that root;
#  - a seed that is not 64 hex digits stops start-up, as upstream's parse_seed does.
# The root key for a seed is upstream's derivation: tests/unit/test_sim_pck.c.
# Usage: mock_seed.sh <dstack-simulator> <fixture dir>
set -euo pipefail
sim_bin=$(realpath "$1")
dstack=$(realpath "$(dirname "$sim_bin")/../cli/dstack")
up="$(realpath "$2")/upstream/simulator"
for f in dstack.toml appkeys.json app-compose.json sys-config.json attestation.bin; do
    [[ -f "$up/$f" ]] || { echo "FAIL: fixture $up/$f is missing (tests/fixtures/PROVENANCE.md)"; exit 1; }
done
command -v jq >/dev/null || { echo "FAIL: jq is missing (scripts/deps.sh --test installs it)"; exit 1; }
[[ -x "$dstack" ]] || { echo "FAIL: $dstack is not built"; exit 1; }

# upstream's example seed (docs/development-without-tee.md)
seed=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
rd=00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
top=$(mktemp -d /tmp/dstack-mockseed-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill $pid 2>/dev/null; wait 2>/dev/null; [[ -n "${KEEP:-}" ]] || rm -rf "$top"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
wait_ready() { # log file
    for _ in $(seq 1 500); do grep -q " ready (" "$1" 2>/dev/null && return 0; sleep 0.02; done
    echo "simulator did not start; log:"; cat "$1"; return 1
}
measurements() { # decode-quote JSON -> "mrtd rtmr0 rtmr1 rtmr2 rtmr3"
    jq -r '[.mr_td, .rtmr0, .rtmr1, .rtmr2, .rtmr3] | join(" ")'
}
# A simulator in folder $1 (upstream's files, dstack.toml edited by $2 as a sed script):
# GetQuote over $rd into $1/quote.json.
quote_in() {
    mkdir "$top/$1" && cp "$up"/* "$top/$1/" && chmod u+w "$top/$1"/* && cd "$top/$1"
    sed -i "$2" dstack.toml
    "$sim_bin" >sim.log 2>&1 &
    pid=$!
    wait_ready sim.log
    "$dstack" get-quote --endpoint ./dstack.sock --hex "$rd" >quote.json
    kill $pid; wait $pid || fail "the simulator in $1 did not stop cleanly"
    pid=""
}

quote_in seeded "/^patch_report_data/a mock_attestation_seed = \"$seed\""
quote_in plain "s/^patch_report_data.*//"
cd "$top"
[[ -s seeded/tdx-root-ca.pem && -s seeded/tdx-collateral.json ]] ||
    fail "the seeded simulator wrote no tdx-root-ca.pem / tdx-collateral.json"

"$dstack" verify-quote --file seeded/quote.json --root seeded/tdx-root-ca.pem --report-data "$rd" \
    >verify.json || fail "the seeded quote does not verify under the seed's root (rc $?)"
jq -e '.valid == true' verify.json >/dev/null || fail "verify-quote: $(cat verify.json)"
"$dstack" verify-quote --file seeded/quote.json --collateral seeded/tdx-collateral.json \
    --root seeded/tdx-root-ca.pem >dcap.json || fail "DCAP verification of the seeded quote (rc $?)"
jq -e '.status == "UpToDate"' dcap.json >/dev/null || fail "verify-quote --collateral: $(cat dcap.json)"

"$dstack" decode-quote --file seeded/quote.json >seeded.dec
"$dstack" decode-quote --file plain/quote.json >plain.dec
[[ "$(measurements <seeded.dec)" =~ ^[0-9a-f]{96}( [0-9a-f]{96}){4}$ ]] || fail "decode-quote: $(head -c 300 seeded.dec)"
[[ "$(measurements <seeded.dec)" == "$(measurements <plain.dec)" ]] ||
    fail "measurements differ from the file's: $(measurements <seeded.dec) vs $(measurements <plain.dec)"
[[ "$(jq -r .report_data seeded.dec)" == "$rd" ]] || fail "report_data is not the caller's"
[[ "$(jq -r .report_data plain.dec)" == "$rd" ]] || fail "plain fixture: report_data not patched"

rc=0
"$dstack" verify-quote --file plain/quote.json --root seeded/tdx-root-ca.pem >plain-verify.json \
    2>plain-verify.err || rc=$?
[[ $rc -eq 1 ]] || fail "the file's own quote verified under the seed's root (rc $rc)"

mkdir bad && cp "$up"/* bad/ && chmod u+w bad/* && cd bad
sed -i '/^patch_report_data/a mock_attestation_seed = "abcd"' dstack.toml
rc=0
timeout 20 "$sim_bin" >sim.log 2>&1 || rc=$?
[[ $rc -ne 0 ]] && grep -q "mock_attestation_seed must be 64 hex digits" sim.log ||
    fail "a short seed: rc $rc, $(tail -1 sim.log)"

if [[ $failed -ne 0 ]]; then
    echo "$failed check(s) failed"
    exit 1
fi
echo "mock_attestation_seed: seeded quote verifies (chain and DCAP), measurements are the file's"
