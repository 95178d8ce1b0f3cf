#!/usr/bin/env bash
# Certificates checked with the openssl command line, as an operator would: every chain from
# GetTlsKey and tappd DeriveKey verifies against the CA of the keys file, `openssl x509 -text`
# shows the expected subject, SANs, KeyUsage, EKU and dstack extensions, and the returned private
# key matches the leaf. Usage: openssl_chains.sh <dstack-simulator> <fixture dir (unused)>
set -euo pipefail
sim_bin=$1
command -v jq >/dev/null && command -v openssl >/dev/null ||
    { echo "FAIL: jq and openssl are needed (scripts/deps.sh --test installs them)"; exit 1; }

dir=$(mktemp -d /tmp/dstack-openssl-XXXXXX)
"$sim_bin" --dir "$dir" >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 250); do grep -q " ready (" "$dir/log" 2>/dev/null && break; sleep 0.02; done
jq -r .ca_cert "$dir/appkeys.json" >"$dir/ca.pem"

passed=0
failed=0
expect() { # description, then a command that must succeed
    local what=$1
    shift
    if "$@" >/dev/null 2>&1; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $what"
    fi
}

# One answer: the leaf verifies against the CA, the key matches, the text shows what was asked.
check_answer() { # name, answer file, subject, san-regex, eku-regex
    local name=$1 answer=$2 subject=$3 sans=$4 eku=$5
    jq -r '.certificate_chain[0]' "$answer" >"$dir/$name.leaf.pem"
    jq -r '.certificate_chain[1]' "$answer" >"$dir/$name.chain1.pem"
    jq -r '.key' "$answer" >"$dir/$name.key.pem"
    expect "$name: chain[1] is the CA, verbatim" cmp "$dir/$name.chain1.pem" "$dir/ca.pem"
    expect "$name: openssl verify against the CA" \
        openssl verify -CAfile "$dir/ca.pem" "$dir/$name.leaf.pem"
    openssl x509 -in "$dir/$name.leaf.pem" -noout -text >"$dir/$name.txt"
    expect "$name: subject" grep -qE "Subject: CN ?= ?$subject\$" "$dir/$name.txt"
    expect "$name: SANs" grep -qE "$sans" "$dir/$name.txt"
    expect "$name: KeyUsage critical, digitalSignature" \
        grep -A1 -q "X509v3 Key Usage: critical" "$dir/$name.txt"
    expect "$name: digitalSignature" grep -q "Digital Signature" "$dir/$name.txt"
    expect "$name: EKU" grep -qE "$eku" "$dir/$name.txt"
    expect "$name: dstack cert-usage extension" grep -q "1.3.6.1.4.1.62397.1.4" "$dir/$name.txt"
    expect "$name: signed ecdsa-with-SHA256" grep -q "ecdsa-with-SHA256" "$dir/$name.txt"
    openssl x509 -in "$dir/$name.leaf.pem" -noout -pubkey >"$dir/$name.pub1"
    openssl pkey -in "$dir/$name.key.pem" -pubout >"$dir/$name.pub2"
    expect "$name: the private key matches the leaf" cmp "$dir/$name.pub1" "$dir/$name.pub2"
}

curl -s --unix-socket "$dir/dstack.sock" -X POST http://dstack/GetTlsKey \
    -H 'Content-Type: application/json' \
    -d '{"subject":"app.example","alt_names":["app.example","10.0.0.7","::1"],
         "usage_ra_tls":true,"usage_server_auth":true,"usage_client_auth":true,
         "with_app_info":true}' >"$dir/a.json"
check_answer tls "$dir/a.json" "app.example" \
    "DNS:app.example, IP Address:10.0.0.7, IP Address:0:0:0:0:0:0:0:1" \
    "TLS Web Server Authentication, TLS Web Client Authentication"
expect "tls: RA-TLS attestation extension" grep -q "1.3.6.1.4.1.62397.1.8" "$dir/tls.txt"
expect "tls: app-info extension" grep -q "1.3.6.1.4.1.62397.1.9" "$dir/tls.txt"

curl -s --unix-socket "$dir/dstack.sock" -X POST http://dstack/GetTlsKey \
    -H 'Content-Type: application/json' -d '{"subject":"client","usage_client_auth":true}' \
    >"$dir/b.json"
check_answer client "$dir/b.json" "client" "." "TLS Web Client Authentication"
expect "client: no SAN extension" bash -c "! grep -q 'Subject Alternative Name' '$dir/client.txt'"
expect "two calls, two keys" bash -c "! cmp -s '$dir/tls.key.pem' '$dir/client.key.pem'"

curl -s --unix-socket "$dir/tappd.sock" -X POST http://dstack/prpc/Tappd.DeriveKey \
    -H 'Content-Type: application/json' \
    -d '{"path":"/my/path","subject":"derived.example","alt_names":["derived.example"],
         "usage_server_auth":true}' >"$dir/c.json"
check_answer derive "$dir/c.json" "derived.example" "DNS:derived.example" \
    "TLS Web Server Authentication"
curl -s --unix-socket "$dir/tappd.sock" -X POST http://dstack/prpc/Tappd.DeriveKey \
    -H 'Content-Type: application/json' -d '{"path":"/my/path","subject":"again"}' >"$dir/d.json"
expect "DeriveKey: same path, same key" \
    bash -c "[[ \$(jq -r .key '$dir/c.json') == \$(jq -r .key '$dir/d.json') ]]"

echo "openssl chains: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
