#!/usr/bin/env bash
# Fails when a banned C function (style guide) is called anywhere in our sources.
set -euo pipefail
cd "$(dirname "$0")/.."
banned='strcpy|strcat|sprintf|vsprintf|strtok|atoi|atol|sscanf|gets|rand|srand'
# A call is the name followed by "(", not preceded by an identifier character or "_".
hits=$(grep -rnE "(^|[^A-Za-z0-9_.>])($banned)[[:space:]]*\(" \
        --include='*.c' --include='*.h' agent lib cli sidecar tests bench include internal 2>/dev/null \
        | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(\*|//)' || true)
if [[ -n "$hits" ]]; then
    echo "banned functions used (see style-guide.md):" >&2
    echo "$hits" >&2
    exit 1
fi
echo "check-banned: ok"
