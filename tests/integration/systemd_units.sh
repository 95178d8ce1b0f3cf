#!/usr/bin/env bash
# The systemd units of packaging/systemd: systemd-analyze verify accepts them (with ExecStart
# pointed at the binaries just built), and the agent's unit keeps what docs/tdx.md relies on:
# Restart=always and OOMScoreAdjust=-1000 as upstream's unit, Type=notify with a watchdog, and a
# LimitNOFILE that gives every listener its full connection share (internal/server/srv_budget.c:
# 4096 connections per listener at most). Usage: systemd_units.sh <dstack-simulator> <unused>
set -euo pipefail
bin_dir=$(cd "$(dirname "$1")" && pwd)
src=$(cd "$(dirname "$0")/../../packaging/systemd" && pwd)
command -v systemd-analyze >/dev/null ||
    { echo "FAIL: systemd-analyze is needed (scripts/deps.sh --test installs systemd)"; exit 1; }
dir=$(mktemp -d /tmp/dstack-units-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cp "$src"/*.service "$src"/*.socket "$dir"/
sed -i "s|/usr/bin/dstack-guest-agent|$bin_dir/dstack-guest-agent|" "$dir/dstack-guest-agent.service"
sidecar="$bin_dir/../sidecar/dstack-quote-sidecar"
sed -i "s|/usr/bin/dstack-quote-sidecar|$(realpath "$sidecar" 2>/dev/null || echo /bin/true)|" \
    "$dir/dstack-quote-sidecar.service"

failed=0
check() { # description, then a command that must succeed
    local what=$1
    shift
    if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; failed=$((failed + 1)); fi
}
unit="$dir/dstack-guest-agent.service"
value() { sed -n "s/^$1=//p" "$unit" | tail -1; }
check "systemd-analyze verify" systemd-analyze verify "$dir"/*.service "$dir"/*.socket
check "Restart=always" test "$(value Restart)" = always
check "OOMScoreAdjust=-1000" test "$(value OOMScoreAdjust)" = -1000
check "Type=notify" test "$(value Type)" = notify
check "WatchdogSec set" test -n "$(value WatchdogSec)"
nofile=$(value LimitNOFILE)
# Two default sockets plus the Guest API and external listeners: 4 x 4096, plus the agent's own.
check "LimitNOFILE ($nofile) covers 4 listeners x 4096 connections" \
    test "${nofile:-0}" -ge $((4 * 4096 + 1024))
[[ $failed -eq 0 ]] || { echo "$failed checks failed"; exit 1; }
