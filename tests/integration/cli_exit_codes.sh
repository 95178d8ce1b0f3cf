#!/usr/bin/env bash
# The dstack command against the simulator: every subcommand with the exit codes dstack(1)
# documents (0 ok, 1 a negative answer, 2 usage, 3 agent or I/O error), the "dstack <command>:"
# error prefix, common options before the subcommand, decode-quote reading binary, hex and
# GetQuote answers by content, call on every socket kind, and a clear error naming the socket
# when it is not the dstack API.
# Usage: cli_exit_codes.sh <dstack-simulator> <fixture dir>
set -uo pipefail
sim_bin=$(realpath "$1")
D=$(realpath "$(dirname "$sim_bin")/../cli/dstack")
fixtures=$(realpath "$2")
[[ -x "$D" ]] || { echo "FAIL: $D is not built"; exit 1; }
command -v jq >/dev/null || { echo "FAIL: jq is missing (scripts/deps.sh --test installs it)"; exit 1; }
command -v openssl >/dev/null || { echo "FAIL: openssl is missing"; exit 1; }
dir=$(mktemp -d /tmp/dstack-cli-XXXXXX)
"$sim_bin" --dir "$dir/sim" >"$dir/sim.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 500); do grep -q " ready (" "$dir/sim.log" 2>/dev/null && break; sleep 0.02; done
export DSTACK_SIMULATOR_ENDPOINT=$dir/sim/dstack.sock
export TAPPD_SIMULATOR_ENDPOINT=$dir/sim/tappd.sock
none=$dir/none.sock
passed=0
failed=0
# expect CODE description command...: the exit code, stdout in $dir/out, stderr in $dir/err
expect() {
    local want=$1 what=$2
    shift 2
    "$@" >"$dir/out" 2>"$dir/err"
    local got=$?
    if [[ $got -eq $want ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what: exit $got, want $want ($*): $(head -c 300 "$dir/err")"
    fi
}
check() { # description, condition (evaluated)
    if eval "$2"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi
}
cd "$dir"

# Agent commands: ok, usage, unreachable agent.
expect 0 "info" "$D" info
expect 2 "info --bogus" "$D" info --bogus
expect 3 "info, no agent" "$D" info --endpoint "$none"
check "error prefix" 'grep -q "^dstack info: " err'
expect 0 "common options before the command" "$D" --endpoint "$DSTACK_SIMULATOR_ENDPOINT" info
expect 0 "--timeout=MS before the command" "$D" --timeout=5000 version
expect 2 "options without a command" "$D" --endpoint x
expect 0 "get-key" "$D" get-key wallet/eth
expect 2 "get-key, two paths" "$D" get-key a b
expect 3 "get-key, no agent" "$D" get-key a --endpoint "$none"
expect 0 "get-tls-key" "$D" get-tls-key --subject x --ra-tls
cp out tls.json
expect 2 "get-tls-key --not-before x" "$D" get-tls-key --not-before x
expect 3 "get-tls-key, no agent" "$D" get-tls-key --endpoint "$none"
expect 0 "get-quote" "$D" get-quote hello
cp out quote.json
expect 2 "get-quote, bad hex" "$D" get-quote --hex zz
check "bad hex names the command" 'grep -q "^dstack get-quote: " err'
expect 2 "get-quote, 65 bytes" "$D" get-quote "$(printf 'a%.0s' $(seq 1 65))"
expect 3 "get-quote, no agent" "$D" get-quote x --endpoint "$none"
expect 0 "attest" "$D" attest hello
expect 2 "attest --bogus" "$D" attest --bogus
expect 3 "attest, no agent" "$D" attest --endpoint "$none"
expect 0 "sign" "$D" sign ed25519 hello
sig=$(jq -r .signature out)
pub=$(jq -r .public_key out)
expect 2 "sign, no data" "$D" sign
expect 3 "sign, no agent" "$D" sign ed25519 x --endpoint "$none"
expect 0 "verify, valid" "$D" verify ed25519 --signature "$sig" --public-key "$pub" hello
check "verify prints valid true" '[[ $(jq -r .valid out) == true ]]'
expect 1 "verify, invalid signature" "$D" verify ed25519 --signature "$sig" --public-key "$pub" other
check "verify prints valid false" '[[ $(jq -r .valid out) == false ]]'
expect 2 "verify, no --signature" "$D" verify ed25519 --public-key "$pub" hello
expect 3 "verify, no agent" "$D" verify ed25519 --signature 00 --public-key 00 x --endpoint "$none"
expect 0 "emit-event" "$D" emit-event my-event payload
expect 2 "emit-event, no name" "$D" emit-event
expect 3 "emit-event, no agent" "$D" emit-event e --endpoint "$none"
expect 0 "version" "$D" version
expect 2 "version, extra argument" "$D" version extra
expect 3 "version, no agent" "$D" version --endpoint "$none"
expect 0 "gpu-info" "$D" gpu-info
expect 2 "gpu-info --hex" "$D" gpu-info --hex
expect 3 "gpu-info, no agent" "$D" gpu-info --endpoint "$none"
expect 0 "is-reachable" "$D" is-reachable
expect 1 "is-reachable, no agent" "$D" is-reachable --endpoint "$none"
expect 2 "is-reachable --file" "$D" is-reachable --file x

# call: one method name on every socket kind.
expect 0 "call Info" "$D" call Info
expect 0 "call Info on tappd.sock" "$D" call Info --endpoint sim/tappd.sock
expect 0 "call TdxQuote on tappd.sock" "$D" call TdxQuote '{"report_data":"00"}' --endpoint sim/tappd.sock
check "call TdxQuote answers a quote" '[[ $(jq -r ".quote | length" out) -gt 1000 ]]'
expect 0 "call Version on external.sock" "$D" call Version --endpoint sim/external.sock
expect 3 "call NoSuchMethod" "$D" call NoSuchMethod
expect 2 "call, body not an object" "$D" call Info '[1]'
expect 2 "call, no method" "$D" call

# Not the dstack API: a clear error naming the socket, no HTML page.
expect 3 "info on tappd.sock" "$D" info --endpoint sim/tappd.sock
check "the error names the socket and the cause" \
    'grep -q "sim/tappd.sock answered HTTP 404 with a body that is not JSON, not a dstack API answer" err'
check "no raw HTML page" '[[ $(grep -c "</html>" err) -eq 0 && $(wc -l <err) -eq 1 ]]'

# Utilities that never contact the agent.
expect 0 "compose-hash" "$D" compose-hash sim/app-compose.json
expect 0 "compose-hash --file" "$D" compose-hash --file sim/app-compose.json --canonical
expect 2 "compose-hash --endpoint" "$D" compose-hash sim/app-compose.json --endpoint x
check "compose-hash says why" 'grep -q "compose-hash never contacts the agent" err'
expect 2 "--endpoint before compose-hash" "$D" --endpoint x compose-hash sim/app-compose.json
expect 3 "compose-hash, missing file" "$D" compose-hash "$dir/missing.json"
expect 2 "compose-hash, not JSON" "$D" compose-hash sim.log
openssl genpkey -algorithm X25519 -out x.pem 2>/dev/null
xpub=$(openssl pkey -in x.pem -pubout -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
xsec=$(openssl pkey -in x.pem -outform DER | tail -c 32 | od -An -tx1 | tr -d ' \n')
expect 0 "encrypt-env" "$D" encrypt-env --public-key "$xpub" A=1 B=two
enc=$(jq -r .encrypted_env out 2>/dev/null || cat out)
expect 2 "encrypt-env, no key" "$D" encrypt-env A=1
expect 3 "encrypt-env, missing env file" "$D" encrypt-env --public-key "$xpub" --env-file "$dir/missing"
expect 0 "decrypt-env" "$D" decrypt-env --secret-key "$xsec" "$enc"
check "decrypt-env gives the variables back" 'grep -q "two" out'
expect 2 "decrypt-env, no key" "$D" decrypt-env "$enc"
expect 1 "decrypt-env, wrong key" "$D" decrypt-env --secret-key "$(printf '33%.0s' $(seq 1 32))" "$enc"
expect 1 "verify-env-pubkey, no signer" "$D" verify-env-pubkey --public-key "$xpub" \
    --signature "$(printf '00%.0s' $(seq 1 65))" --app-id 00112233445566778899aabbccddeeff00112233 \
    --timestamp "$(date +%s)"
expect 2 "verify-env-pubkey, no signature" "$D" verify-env-pubkey --public-key 00 --app-id 00
expect 0 "eth-address --key" "$D" eth-address --key "$(printf '11%.0s' $(seq 1 32))"
expect 0 "eth-address PATH" "$D" eth-address wallet/eth
expect 2 "eth-address, no source" "$D" eth-address
expect 3 "eth-address PATH, no agent" "$D" eth-address wallet --endpoint "$none"
expect 0 "solana-pubkey --key" "$D" solana-pubkey --key "$(printf '22%.0s' $(seq 1 32))"
expect 2 "solana-pubkey, no source" "$D" solana-pubkey
expect 3 "solana-pubkey PATH, no agent" "$D" solana-pubkey wallet --endpoint "$none"

# Quotes: decode-quote reads what verify-quote reads, by content.
jq -r .quote quote.json >quote.hex
xxd -r -p quote.hex >quote.bin 2>/dev/null || python3 -c "import sys;open('quote.bin','wb').write(bytes.fromhex(open('quote.hex').read().strip()))"
expect 0 "decode-quote, binary file" "$D" decode-quote --file quote.bin
rd_bin=$(jq -r .report_data out)
expect 0 "decode-quote, hex file without --hex" "$D" decode-quote --file quote.hex
check "hex file decodes the same" '[[ $(jq -r .report_data out) == "$rd_bin" ]]'
expect 0 "decode-quote, GetQuote answer" "$D" decode-quote --file quote.json
expect 0 "decode-quote, hex argument" "$D" decode-quote "$(cat quote.hex)"
expect 2 "decode-quote, not a quote" "$D" decode-quote --file sim.log
expect 3 "decode-quote, missing file" "$D" decode-quote --file "$dir/missing"
expect 0 "replay-rtmrs" "$D" replay-rtmrs --file quote.json
expect 2 "replay-rtmrs, not an event log" "$D" replay-rtmrs '{"x":1}'
root=sim/tdx-root-ca.pem
expect 0 "verify-quote" "$D" verify-quote --file quote.json --root "$root"
expect 0 "verify-quote, hex file" "$D" verify-quote --file quote.hex --root "$root"
expect 1 "verify-quote, other report data" "$D" verify-quote --file quote.bin --root "$root" --report-data 00
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key \
    -out other.pem -subj /CN=other -days 1 2>/dev/null
expect 1 "verify-quote, other root" "$D" verify-quote --file quote.bin --root other.pem
expect 2 "verify-quote, no --root" "$D" verify-quote --file quote.bin
expect 3 "verify-quote, missing root" "$D" verify-quote --file quote.bin --root "$dir/missing.pem"
# verify-quote with collateral (dcap-qvl's TDX sample, inside its validity): 1 for a quote or a
# collateral that does not verify (malformed JSON included), 2 usage, 3 a file not readable.
dq=$fixtures/dcap-qvl/tdx_quote
dcol=$fixtures/dcap-qvl/tdx_quote_collateral.json
dnow=1751328000
expect 0 "verify-quote --collateral" "$D" verify-quote "$dq" --collateral "$dcol" --now $dnow
check "verify-quote --collateral prints UpToDate" '[[ $(jq -r .status "$dir/out") == UpToDate ]]'
printf '{"tcb_info": ' >bad-col.json
expect 1 "verify-quote, collateral not JSON" "$D" verify-quote "$dq" --collateral bad-col.json --now $dnow
check "verify-quote, collateral not JSON: the reason" \
    'grep -q "^dstack verify-quote: invalid collateral: bad-col.json: " "$dir/err"'
echo '{"tcb_info": "{}"}' >thin-col.json
expect 1 "verify-quote, collateral missing fields" "$D" verify-quote "$dq" --collateral thin-col.json --now $dnow
check "verify-quote, collateral missing fields: the reason" \
    'grep -q "invalid collateral: thin-col.json: " "$dir/err"'
expect 3 "verify-quote, collateral not readable" "$D" verify-quote "$dq" --collateral "$dir/missing.json" --now $dnow
expect 2 "verify-quote, --root not a certificate" "$D" verify-quote "$dq" --collateral "$dcol" --now $dnow --root bad-col.json
expect 2 "verify-quote, --now not a time" "$D" verify-quote "$dq" --collateral "$dcol" --now soon
expect 0 "verify-ra-tls" "$D" verify-ra-tls tls.json --ca sim/appkeys.json --quote-root "$root"
expect 1 "verify-ra-tls, other CA" "$D" verify-ra-tls tls.json --ca "$fixtures/upstream/simulator/appkeys.json"
expect 2 "verify-ra-tls, no --ca" "$D" verify-ra-tls tls.json
expect 3 "verify-ra-tls, missing chain" "$D" verify-ra-tls "$dir/missing" --ca sim/appkeys.json

# tappd: its own defaults (TAPPD_SIMULATOR_ENDPOINT).
expect 0 "tappd info" "$D" tappd info
expect 0 "tappd tdx-quote" "$D" tappd tdx-quote hello
expect 1 "tappd is-reachable, no agent" "$D" tappd is-reachable --endpoint "$none"
expect 2 "tappd, unknown subcommand" "$D" tappd bogus
expect 3 "tappd info, no agent" "$D" tappd info --endpoint "$none"
"$D" tappd --help >help.txt
check "tappd --help shows its defaults" 'grep -q TAPPD_SIMULATOR_ENDPOINT help.txt && grep -q /var/run/tappd.sock help.txt'
"$D" compose-hash --help >help.txt
check "compose-hash --help lists no agent option" '! grep -q -- "--endpoint" help.txt'

echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
