#!/usr/bin/env bash
# Fails when a C source or header differs from .clang-format (fix: clang-format -i <file>).
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(git ls-files '*.c' '*.h' | grep -v '^tests/fuzz/corpus/')
if ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/clang-format.$$; then
    grep -E '^[^ ].*(warning|error):' /tmp/clang-format.$$ | cut -d: -f1 | sort -u | sed 's/^/not formatted: /' >&2
    rm -f /tmp/clang-format.$$
    exit 1
fi
rm -f /tmp/clang-format.$$
echo "check-format: ok (${#files[@]} files)"
