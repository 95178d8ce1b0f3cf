#!/usr/bin/env bash
# The production agent carries no simulator: none of the simulator backend's symbols (the
# backend, its state and files, the development key generator, the simulated PCK quote builder)
# is in dstack-guest-agent, while dstack-simulator has them; and `--backend simulator` is refused
# with a message naming the separate program.
# Usage: no_simulator.sh <dstack-guest-agent> <dstack-simulator>
set -euo pipefail
agent=$1 sim=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
sim_syms='^(tee_sim|sim_[a-z_]+|quote_pki_[a-z_]+|quote_build_v4|appkeys_generate|appkeys_dev_seed)$'
in_sim=$(nm "$sim" | awk '{print $NF}' | grep -Ec "$sim_syms" || true)
[[ $in_sim -gt 10 ]] || fail "dstack-simulator has only $in_sim simulator symbols: is it stripped?"
in_agent=$(nm "$agent" | awk '{print $NF}' | grep -E "$sim_syms" || true)
[[ -z "$in_agent" ]] || fail "dstack-guest-agent carries simulator code: $(echo $in_agent)"
echo "simulator symbols: $in_sim in dstack-simulator, 0 in dstack-guest-agent"
echo "sizes: agent $(stat -c %s "$agent") bytes, simulator $(stat -c %s "$sim") bytes"

dir=$(mktemp -d /tmp/dstack-nosim-XXXXXX)
trap 'rm -rf "$dir"' EXIT
rc=0
(cd "$dir" && "$agent" --backend simulator --no-default-listeners --listen "unix:$dir/d.sock") \
    >"$dir/out" 2>&1 || rc=$?
[[ $rc -ne 0 ]] || fail "dstack-guest-agent --backend simulator started"
grep -q "separate program, dstack-simulator" "$dir/out" ||
    fail "no pointer to dstack-simulator: $(cat "$dir/out")"
[[ ! -e "$dir/appkeys.json" ]] || fail "the agent wrote simulator files"
echo "ok: --backend simulator refused: $(tail -1 "$dir/out")"
