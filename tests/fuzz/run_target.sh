#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time: run_target.sh <binary> <workdir> <seeds> <secs>
# New corpus entries land in <workdir>/corpus; crashes in <workdir>/ (the test then fails and
# prints the reproducer's path). Extra arguments pass through to libFuzzer.
set -euo pipefail
bin=$1 work=$2 seeds=$3 secs=$4
shift 4
mkdir -p "$work/corpus" "$seeds"
seeds=$(cd "$seeds" && pwd) # absolute: we cd into the work folder below
cd "$work"
exec "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 -artifact_prefix="$work/" "$@" "$work/corpus" "$seeds"
