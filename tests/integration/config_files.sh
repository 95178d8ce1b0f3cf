#!/usr/bin/env bash
# The simulator on configuration files (docs/configuration.md): limits.<Method> enforced on the
# real sockets, a profile's address, unknown keys named in the log, a broken file refused with
# its line and column, RUST_LOG levels and targets, --log-level over RUST_LOG, log_level of a
# file not used (as upstream).
# Usage: config_files.sh <dstack-simulator> <fixture dir>
set -euo pipefail
sim_bin=$(realpath "$1")
top=$(mktemp -d /tmp/dstack-cfgfiles-XXXXXX)
pid=""
trap '[[ -n "$pid" ]] && kill $pid 2>/dev/null; wait 2>/dev/null; rm -rf "$top"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
start() { # log file, args...
    local log=$1
    shift
    "$sim_bin" "$@" >"$log" 2>&1 &
    pid=$!
    for _ in $(seq 1 500); do
        # a log filtered to nothing has no "ready" line: the socket answering says it then
        grep -q " ready (" "$log" 2>/dev/null && return 0
        [[ ! -s "$log" ]] && curl -sf --unix-socket dstack.sock http://dstack/Version >/dev/null 2>&1 &&
            return 0
        sleep 0.02
    done
    echo "simulator did not start; log:"; cat "$log"; return 1
}
stop() { kill $pid; wait $pid || fail "unclean stop"; pid=""; }
post() { # socket, path, body -> "status body"
    curl -s --unix-socket "$1" -H 'Content-Type: application/json' -d "$3" \
        -w ' %{http_code}' "http://dstack$2"
}
cd "$top"

# limits, a profile's socket, an unknown key.
cat >limits.toml <<'TOML'
[default]
keep_alive = 5
workerz = 2

[default.limits]
GetQuote = "200B"

[internal]
address = "unix:./d.sock"
limits.Version = 2
TOML
start sim.log --dir "$top" -c limits.toml
small='{"report_data":"0011"}'
big="{\"report_data\":\"0011\",\"pad\":\"$(printf 'x%.0s' $(seq 1 300))\"}"
[[ "$(post d.sock /GetQuote "$small")" == *" 200" ]] || fail "a small GetQuote body was refused"
out=$(post d.sock /GetQuote "$big")
[[ "$out" == *'"error": "failed to read data: payload too large"'*" 400" ]] ||
    fail "a 300-byte GetQuote body under limits.GetQuote = \"200B\": $out"
[[ "$(post d.sock /Info "$big")" == *" 200" ]] || fail "Info has no limit but was refused"
[[ "$(post d.sock /Version '{"a":1}')" == *" 400" ]] || fail "the profile's limits.Version = 2 was not applied"
grep -q "unknown key default.workerz (line 3) is not used" sim.log || fail "default.workerz not named"
[[ -S d.sock && ! -e dstack.sock ]] || fail "[internal] address not used"
stop

# A broken file: start-up refused with the place.
printf '[default]\nworkers = 8.5\n' >broken.toml
if "$sim_bin" --dir "$top" -c broken.toml >broken.log 2>&1; then fail "broken.toml accepted"; fi
grep -q "config file broken.toml: line 2, column 11: floats are not supported" broken.log ||
    fail "broken.toml: $(cat broken.log)"

# RUST_LOG: a level, a target=level list, a typo; --log-level wins over it.
RUST_LOG=warn start warn.log --dir "$top"
stop
grep -q " INFO " warn.log && fail "RUST_LOG=warn still printed INFO lines"
RUST_LOG="warn,dstack_guest_agent_simulator=debug" start debug.log --dir "$top"
post dstack.sock /Version '{}' >/dev/null
stop
grep -q "DEBUG .*request done" debug.log || fail "RUST_LOG target=debug did not enable debug lines"
RUST_LOG="rocket=debug" start off.log --dir "$top"
stop
[[ ! -s off.log ]] || fail "RUST_LOG naming only another target still printed: $(head -2 off.log)"
RUST_LOG=debgu start typo.log --dir "$top"
stop
grep -q 'RUST_LOG=debgu: "debgu" is neither a level' typo.log || fail "a RUST_LOG typo was not reported"
RUST_LOG=trace start flag.log --dir "$top" --log-level warn
stop
grep -q " INFO " flag.log && fail "--log-level warn did not win over RUST_LOG=trace"

# log_level in a file, as upstream's simulator folder has it: upstream logs at info then (its
# tracing logger is installed before Rocket's, the only reader of log_level); so do we, and say so.
printf '[default]\nlog_level = "debug"\n' >level.toml
RUST_LOG= start level.log --dir "$top" -c level.toml
post dstack.sock /Version '{}' >/dev/null
stop
grep -q " INFO .* ready (" level.log || fail "log_level = debug: no INFO lines: $(head -3 level.log)"
grep -q " DEBUG " level.log && fail "log_level = debug in a file enabled debug lines"
grep -q 'default.log_level (line 2) is not used here' level.log || fail "log_level not named"
RUST_LOG= start level2.log --dir "$top" -c level.toml --log-level debug
post dstack.sock /Version '{}' >/dev/null
stop
grep -q "DEBUG .*request done" level2.log || fail "--log-level debug with the file: no debug lines"

[[ $failed -eq 0 ]] || exit 1
echo "configuration files: ok"
