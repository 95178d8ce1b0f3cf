#!/usr/bin/env bash
# The curl examples of upstream's API document (sdk/curl/api.md), run verbatim with curl against the
# simulator on upstream's simulator files, with their answers checked.
# Usage: curl_examples.sh <dstack-simulator> <fixture dir>
set -euo pipefail
sim_bin=$1
up="$2/upstream/simulator"
if [[ ! -f "$up/appkeys.json" ]]; then
    echo "FAIL: fixture $up/appkeys.json is missing (tests/fixtures/PROVENANCE.md)"
    exit 1
fi
command -v jq >/dev/null || { echo "FAIL: jq is missing (scripts/deps.sh --test installs it)"; exit 1; }

dir=$(mktemp -d /tmp/dstack-curl-XXXXXX)
"$sim_bin" --dir "$dir" --keys "$up/appkeys.json" --compose "$up/app-compose.json" \
    --sys-config "$up/sys-config.json" >"$dir/log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 1 250); do grep -q " ready (" "$dir/log" 2>/dev/null && break; sleep 0.02; done
sock="$dir/dstack.sock"

passed=0
failed=0
# Each answer goes to $res; checks read it from there (answers contain quotes of every kind).
res="$dir/answer.json"
check() { # description, command producing "ok"
    if [[ "$(eval "$2" 2>&1)" == "ok" ]]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "FAIL: $1"
    fi
}

# 1. GetTlsKey, as in the seed.
out=$(curl -s --unix-socket "$sock" -X POST \
  http://dstack/GetTlsKey \
  -H 'Content-Type: application/json' \
  -d '{
    "subject": "example.com",
    "alt_names": ["www.example.com", "api.example.com"],
    "usage_ra_tls": true,
    "usage_server_auth": true,
    "usage_client_auth": false
  }')
check "GetTlsKey key" "jq -r '.key' <<<'$out' | head -1 | grep -qx -- '-----BEGIN PRIVATE KEY-----' && echo ok"
check "GetTlsKey chain of 2" "[[ \$(jq '.certificate_chain | length' <<<'$out') == 2 ]] && echo ok"
leaf=$(jq -r '.certificate_chain[0]' <<<"$out")
check "GetTlsKey SANs" "openssl x509 -noout -ext subjectAltName <<<'$leaf' | grep -q 'DNS:www.example.com, DNS:api.example.com' && echo ok"
check "GetTlsKey CN" "openssl x509 -noout -subject <<<'$leaf' | grep -q 'CN *= *example.com' && echo ok"

# 2. GetKey as the seed writes it: its JSON has a trailing comma, which upstream rejects too.
out=$(curl -s -w '\n%{http_code}' --unix-socket "$sock" -X POST \
  http://dstack/GetKey \
  -H 'Content-Type: application/json' \
  -d '{
    "path": "my/key/path",
    "purpose": "signing",
    "algorithm": "ed25519",
  }')
check "GetKey trailing comma is a 400 with a JSON error" "[[ \$(tail -1 <<<'$out') == 400 ]] && head -n -1 <<<'$out' | jq -e .error >/dev/null && echo ok"
# ... and without the comma, the vector of docs/api/GetKey.md.
out=$(curl -s --unix-socket "$sock" -X POST http://dstack/GetKey -H 'Content-Type: application/json' \
  -d '{"path": "my/key/path", "purpose": "signing", "algorithm": "ed25519"}')
check "GetKey ed25519 key" "[[ \$(jq -r .key <<<'$out') == 866d0884686e5afdbdaace8bd77c0b4f69a30dbe9506d69270a07bf247c8f4f0 ]] && echo ok"
check "GetKey ed25519 chain[0]" "[[ \$(jq -r '.signature_chain[0]' <<<'$out') == bdcf39cde546877d89884b708d82470d866b8f1abc6e6e67e1cb37c243eb45aa20984c8943eae83091655125c339b94108e9c4ae800e463b7fbae44cea26167300 ]] && echo ok"

# 3. GetKey by GET (quoted: the document's unquoted '&' would split the shell command).
out=$(curl -s --unix-socket "$sock" "http://dstack/GetKey?path=my/key/path&purpose=signing&algorithm=ed25519")
check "GetKey GET" "[[ \$(jq -r '.signature_chain[0]' <<<'$out') == bdcf39cde546877d89884b708d82470d866b8f1abc6e6e67e1cb37c243eb45aa20984c8943eae83091655125c339b94108e9c4ae800e463b7fbae44cea26167300 ]] && echo ok"
out=$(curl -s --unix-socket "$sock" 'http://dstack/GetKey?path=my/key/path&purpose=signing')
check "GetKey GET secp256k1 (docs/api/GetKey.md example)" "[[ \$(jq -r '.signature_chain[0]' <<<'$out') == 4e9bccd54a86c85b72d04453183a9aa8c989861142cc5caf2cdba12f99e834c81c0117311cf290357f9db94b79faba8074e3fe8764e6576a5fb657a89060fe3301 ]] && echo ok"

# 4. GetQuote by POST and by GET.
out=$(curl -s --unix-socket "$sock" -X POST \
  http://dstack/GetQuote \
  -H 'Content-Type: application/json' \
  -d '{
    "report_data": "1234deadbeaf"
  }')
check "GetQuote report_data padded" "[[ \$(jq -r .report_data <<<'$out') == 1234deadbeaf\$(printf '0%.0s' {1..116}) ]] && echo ok"
check "GetQuote report data inside the quote" "[[ \$(jq -r .quote <<<'$out' | cut -c1137-1148) == 1234deadbeaf ]] && echo ok"
check "GetQuote event_log is JSON" "jq -r .event_log <<<'$out' | jq -e 'length > 10' >/dev/null && echo ok"
check "GetQuote vm_config is JSON" "jq -r .vm_config <<<'$out' | jq -e .os_image_hash >/dev/null && echo ok"
out=$(curl -s --unix-socket "$sock" http://dstack/GetQuote?report_data=00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000)
check "GetQuote GET" "[[ \$(jq -r .report_data <<<'$out') == \$(printf '0%.0s' {1..128}) ]] && echo ok"

# 5. Info.
curl -s --unix-socket "$sock" http://dstack/Info >"$res"
check "Info fields in order" "[[ \$(jq -c keys_unsorted \"$res\") == '[\"app_id\",\"instance_id\",\"app_cert\",\"tcb_info\",\"app_name\",\"device_id\",\"mr_aggregated\",\"os_image_hash\",\"key_provider_info\",\"compose_hash\",\"vm_config\",\"cloud_vendor\",\"cloud_product\"]' ]] && echo ok"
check "Info app_name" "[[ \$(jq -r .app_name \"$res\") == guest-agent ]] && echo ok"
check "Info tcb_info" "jq -r .tcb_info \"$res\" | jq -e '(.mrtd | length) == 96' >/dev/null && echo ok"

# 6. EmitEvent, then the event is in the log.
code=$(curl -s -o /dev/null -w '%{http_code}' --unix-socket "$sock" -X POST \
  http://dstack/EmitEvent \
  -H 'Content-Type: application/json' \
  -d '{
    "event": "custom-event",
    "payload": "deadbeef"
  }')
check "EmitEvent 200" "[[ $code == 200 ]] && echo ok"
curl -s --unix-socket "$sock" http://dstack/Info >"$res"
check "EmitEvent in Info's log" "jq -r .tcb_info \"$res\" | jq -e '.event_log[-1] | .event == \"custom-event\" and .event_payload == \"deadbeef\"' >/dev/null && echo ok"

# 7. Sign, then Verify its answer; the document's placeholder Verify is a clear 400.
out=$(curl -s --unix-socket "$sock" -X POST \
  http://dstack/Sign \
  -H 'Content-Type: application/json' \
  -d '{
    "algorithm": "ed25519",
    "data": "deadbeef"
  }')
check "Sign chain of 3" "[[ \$(jq '.signature_chain | length' <<<'$out') == 3 ]] && echo ok"
sig=$(jq -r .signature <<<"$out")
pk=$(jq -r .public_key <<<"$out")
out=$(curl -s --unix-socket "$sock" -X POST http://dstack/Verify -H 'Content-Type: application/json' \
  -d "{\"algorithm\":\"ed25519\",\"data\":\"deadbeef\",\"signature\":\"$sig\",\"public_key\":\"$pk\"}")
check "Verify true (a JSON boolean)" "[[ '$out' == '{\"valid\":true}' ]] && echo ok"
out=$(curl -s -w '\n%{http_code}' --unix-socket "$sock" -X POST \
  http://dstack/Verify \
  -H 'Content-Type: application/json' \
  -d '{
    "algorithm": "ed25519",
    "data": "deadbeef",
    "signature": "deadbeef",
    "public_key": "deadbeef"
  }')
check "Verify placeholder values: 400 with a message" "[[ \$(tail -1 <<<'$out') == 400 ]] && head -n -1 <<<'$out' | jq -e '.error | length > 0' >/dev/null && echo ok"

echo "curl examples: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
