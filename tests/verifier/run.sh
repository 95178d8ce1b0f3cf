#!/usr/bin/env bash
# Runs one of the suites that compare our DCAP verifier with @phala/dcap-qvl (pinned by
# package-lock.json): samples | differential. The npm package is installed by scripts/test.sh
# (npm ci); when this worktree has no node_modules yet it is installed here from the lockfile.
# Usage: run.sh <suite> <dstack cli> <build dir of tests/verifier>
set -euo pipefail
suite=$1
export DSTACK_CLI=$2
export DSTACK_VERIFIER_BIN=$3
here=$(cd "$(dirname "$0")" && pwd)
export DSTACK_FIXTURES="$here/../fixtures"

if [[ ! -f "$here/node_modules/@phala/dcap-qvl/package.json" ]]; then
    echo "note: installing @phala/dcap-qvl from the lockfile (npm ci)" >&2
    if ! (cd "$here" && npm ci --no-audit --no-fund --loglevel=error >&2); then
        echo "FAIL: @phala/dcap-qvl is not installed and 'npm ci' in tests/verifier failed" >&2
        exit 1
    fi
fi
exec node --test --test-reporter=spec "$here/$suite.test.mjs"
