#!/usr/bin/env bash
# Man pages: each renders without groff warnings, and dstack.1 documents every subcommand that
# `dstack --help` lists (so a new subcommand cannot ship undocumented).
# Usage: check_man.sh <dstack binary> <docs/man folder>
set -euo pipefail
cli=$1
dir=$2
fail=0
for page in "$dir"/*.1; do
    if ! command -v groff >/dev/null; then
        echo "FAIL: groff is not installed (scripts/deps.sh --test installs it)"
        exit 1
    fi
    warn=$(groff -man -Tutf8 -ww -z "$page" 2>&1 || true)
    if [[ -n "$warn" ]]; then
        echo "FAIL: $page: $warn"
        fail=1
    fi
done
text=$(groff -man -Tutf8 "$dir/dstack.1" 2>/dev/null | sed 's/\x1b\[[0-9;]*m//g; s/.\x08//g')
cmds=$("$cli" --help | sed -n '/^commands:/,$p' | awk 'NR > 1 && NF {print $1}')
n=0
for c in $cmds; do
    n=$((n + 1))
    if ! grep -Eq "^ {7}$c( |$)" <<<"$text"; then
        echo "FAIL: dstack.1 has no entry for '$c'"
        fail=1
    fi
done
if ((n < 20)); then
    echo "FAIL: only $n commands in dstack --help"
    fail=1
fi
((fail == 0)) && echo "man pages: $(ls "$dir"/*.1 | wc -l) render cleanly; $n commands documented"
exit $fail
