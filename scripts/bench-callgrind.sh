#!/usr/bin/env bash
# Figure 1 in instructions (valgrind --tool=callgrind): noise-free where CPU time is not, on a
# shared machine. For each RPC: the in-process cryptography per call (bench_crypto under
# --toggle-collect='crypto_*') against the simulator's instructions per request over one
# keep-alive connection (counters zeroed after a warm-up, dumped after N requests). Prints the
# same table rows as scripts/bench.sh. See docs/performance.md.
#   scripts/bench-callgrind.sh            # build-bench (Release), 200 requests per RPC
#   DSTACK_CG_REQUESTS=400 scripts/bench-callgrind.sh
set -uo pipefail
cd "$(dirname "$0")/.."
build=${DSTACK_BENCH_BUILD:-build-bench}
n=${DSTACK_CG_REQUESTS:-200}
command -v valgrind >/dev/null || { echo "valgrind is not installed" >&2; exit 1; }
rows_only=false
[[ ${1:-} == --rows-only ]] && rows_only=true # inside scripts/bench.sh's table: no header
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null || exit 1
cmake --build "$build" -j2 >/dev/null || { echo "build failed" >&2; exit 1; }
tmp=$(mktemp -d /tmp/dstack-cg-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# In-process cryptography: instructions per call of each crypto_* loop body.
DSTACK_BENCH_CRYPTO_ONLY=1 DSTACK_BENCH_SCALE=0.05 valgrind --tool=callgrind \
    --callgrind-out-file="$tmp/crypto.out" --toggle-collect='crypto_*' \
    "$build/bench/bench_crypto" >"$tmp/iters" 2>/dev/null || { echo "bench_crypto failed" >&2; exit 1; }
crypto_ir() { # <function> -> inclusive instructions
    callgrind_annotate --inclusive=yes --threshold=100 "$tmp/crypto.out" 2>/dev/null |
        awk -v f=":$1 " '{ if (index($0, f)) { gsub(",", "", $1); print $1; exit } }'
}
iters() { awk -v n="$1" '{ name = $0; sub(/ [0-9]+$/, "", name); if (name == n) print $NF }' "$tmp/iters"; }

# The daemon: one simulator under callgrind for all RPCs, one pool thread.
valgrind --tool=callgrind --callgrind-out-file="$tmp/daemon.%p" "$build/agent/dstack-simulator" \
    --dir "$tmp" --threads 1 >"$tmp/sim.log" 2>&1 &
vpid=$!
for _ in $(seq 1 600); do [[ -S $tmp/dstack.sock ]] && break; sleep 0.1; done
sleep 1
sock=$tmp/dstack.sock
data=0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20
sign=$(curl -s --unix-socket "$sock" -X POST -H 'Content-Type: application/json' \
    -d "{\"algorithm\":\"secp256k1\",\"data\":\"$data\"}" http://localhost/Sign)
sig=$(sed 's/.*"signature":"\([0-9a-f]*\)".*/\1/' <<<"$sign")
pub=$(sed 's/.*"public_key":"\([0-9a-f]*\)".*/\1/' <<<"$sign")
rd=$(printf '01%.0s' $(seq 1 64))
daemon_ir() { # <path> <json> -> instructions per request
    "$build/bench/bench_load" "$sock" "$1" "$2" 1 20 >/dev/null
    callgrind_control -z "$vpid" >/dev/null 2>&1
    "$build/bench/bench_load" "$sock" "$1" "$2" 1 "$n" >/dev/null
    callgrind_control -d "$vpid" >/dev/null 2>&1
    local f
    f=$(ls -t "$tmp"/daemon.* | head -1)
    callgrind_annotate --threshold=100 "$f" 2>/dev/null |
        awk -v n="$n" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.0f", $1 / n; exit }'
    rm -f "$f"
}
row() { # <figure> <crypto fn> <bench_crypto name> <path> <json>
    local c it d
    c=$(crypto_ir "$2")
    it=$(iters "$3")
    d=$(daemon_ir "$4" "$5")
    if [[ -z $c || -z $it || -z $d || $d -eq 0 ]]; then
        echo "| 1. instructions, $1 | measurement failed | >= 0.80 | FAIL |"
        return 1
    fi
    awk -v f="$1" -v c="$c" -v it="$it" -v d="$d" 'BEGIN {
        per = c / it; r = per / d;
        printf "| 1. instructions: crypto / daemon per request, %s | %.2f (crypto %.0fk, daemon %.0fk) | >= 0.80 | %s |\n",
               f, r, per / 1000, d / 1000, (r >= 0.80 ? "PASS" : "FAIL") }'
}
if ! $rows_only; then
    echo "| figure | measured | target | result |"
    echo "| --- | --- | --- | --- |"
fi
status=0
row "GetKey secp256k1" crypto_get_key_k256 "GetKey secp256k1" /GetKey \
    '{"path":"bench/key","purpose":"signing","algorithm":"secp256k1"}' || status=1
row "GetKey ed25519" crypto_get_key_ed "GetKey ed25519" /GetKey \
    '{"path":"bench/key","purpose":"signing","algorithm":"ed25519"}' || status=1
row "Sign secp256k1" crypto_sign_k256 "Sign secp256k1" /Sign \
    "{\"algorithm\":\"secp256k1\",\"data\":\"$data\"}" || status=1
row "Sign ed25519" crypto_sign_ed "Sign ed25519" /Sign \
    "{\"algorithm\":\"ed25519\",\"data\":\"$data\"}" || status=1
row "Verify secp256k1" crypto_verify_k256 "Verify secp256k1" /Verify \
    "{\"algorithm\":\"secp256k1\",\"data\":\"$data\",\"signature\":\"$sig\",\"public_key\":\"$pub\"}" || status=1
row "GetQuote" crypto_get_quote "GetQuote" /GetQuote "{\"report_data\":\"$rd\"}" || status=1
v=$(daemon_ir /Version '{}')
echo "| 2. instructions, Version (whole request) | ${v} | - | INFO |"
kill "$vpid" 2>/dev/null
wait "$vpid" 2>/dev/null
exit $status
