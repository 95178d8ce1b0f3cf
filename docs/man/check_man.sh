#!/usr/bin/env bash
# Man pages: each renders without groff warnings, dstack.1 documents every subcommand that
# `dstack --help` lists (so a new subcommand cannot ship undocumented), and each subcommand's
# --help and its dstack.1 entry name the same options.
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
# Each command's --help against its entry: every option the help lists is in the entry (the
# common ones in COMMON OPTIONS), and every option of the entry's synopsis is in the help.
# (awk without interval expressions: mawk has none, so the indents are written out.)
common=$(awk '/^COMMON OPTIONS/{on=1; next} /^[A-Z]/{on=0} on' <<<"$text")
for c in $cmds; do
    help=$("$cli" "$c" --help) || { echo "FAIL: dstack $c --help exits non-zero"; fail=1; continue; }
    entry=$(awk -v c="$c" '$0 ~ "^       " c "( |$)" {on=1; print; next}
                           /^       [a-z]/ || /^[A-Z]/ {on=0} on' <<<"$text")
    for o in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u); do
        case $o in
        --endpoint | --timeout | --file | --hex | --help)
            grep -q -- "$o" <<<"$common" || { echo "FAIL: COMMON OPTIONS lacks $o"; fail=1; } ;;
        *)
            grep -q -- "$o" <<<"$entry" || { echo "FAIL: dstack.1 '$c' lacks $o of its --help"; fail=1; } ;;
        esac
    done
    synopsis=$(awk -v c="$c" '$0 ~ "^       " c "( |$)" {on=1; print; next}
                              /^              / && on {print; next} {on=0}' <<<"$text" | head -4)
    for o in $(grep -oE -- '--[a-z][a-z0-9-]*' <<<"$synopsis" | sort -u); do
        grep -q -- "$o" <<<"$help" || { echo "FAIL: dstack $c --help lacks $o of dstack.1"; fail=1; }
    done
done
if ((n < 20)); then
    echo "FAIL: only $n commands in dstack --help"
    fail=1
fi
((fail == 0)) && echo "man pages: $(ls "$dir"/*.1 | wc -l) render cleanly; $n commands documented"
exit $fail
