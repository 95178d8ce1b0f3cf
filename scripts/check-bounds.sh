#!/usr/bin/env bash
# Fails when a production C file is over 600 lines or one of its functions over 80 (the project's
# bounds: small files with one job, functions that fit on a screen). A function body is the lines
# between a column-0 `{` and the next column-0 `}`, as clang-format lays our functions out; its
# name is the identifier before the first `(` of the signature above it.
set -euo pipefail
cd "$(dirname "$0")/.."

readonly FILE_MAX=${CHECK_BOUNDS_FILE_MAX:-600}
readonly FUNCTION_MAX=${CHECK_BOUNDS_FUNCTION_MAX:-80}
readonly DIRS=(agent lib cli sidecar verifier internal)

# Known exceptions, one per line: `path` (the whole file) or `path:function`, then the reason.
# Keep it empty; an entry is a debt with a name on it.
readonly ALLOW='
'

allowed() {
    grep -qxF -- "$1" <(printf '%s\n' "$ALLOW" | awk 'NF { print $1 }')
}

report=$(find "${DIRS[@]}" -name '*.c' -print0 | sort -z | xargs -0 awk -v file_max="$FILE_MAX" \
    -v fn_max="$FUNCTION_MAX" '
    FNR == 1 { if (prev != "" && prev_n > file_max) print prev " " prev_n; sig = ""; start = 0 }
    { prev = FILENAME; prev_n = FNR }
    /\(/ && !/^[ \t]/ { sig = $0 }
    /^\{$/ { start = FNR; name = sig; sub(/\(.*/, "", name); n = split(name, w, /[ *]+/); name = w[n] }
    /^\}/ && start { if (FNR - start - 1 > fn_max) print FILENAME ":" name " " FNR - start - 1; start = 0 }
    END { if (prev != "" && prev_n > file_max) print prev " " prev_n }
')

failed=0
while read -r what size; do
    [[ -n "$what" ]] || continue
    if allowed "$what"; then
        continue
    fi
    if [[ "$what" == *:* ]]; then
        echo "function ${what#*:} in ${what%%:*} is $size lines (at most $FUNCTION_MAX)" >&2
    else
        echo "$what is $size lines (at most $FILE_MAX)" >&2
    fi
    failed=1
done <<<"$report"

# An allowlist entry that no longer matches anything is stale: drop it.
while read -r entry _; do
    [[ -n "$entry" ]] || continue
    if ! grep -q "^$entry " <<<"$report"; then
        echo "check-bounds: allowlist entry $entry is within bounds now; remove it" >&2
        failed=1
    fi
done < <(printf '%s\n' "$ALLOW" | awk 'NF')

if [[ $failed -ne 0 ]]; then
    echo "check-bounds: split the code above (scripts/check-bounds.sh)" >&2
    exit 1
fi
echo "check-bounds: ok"
