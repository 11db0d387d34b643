#!/usr/bin/env bash
#
# tools/lint.sh - ./dev.sh lint, run by ./dev.sh test too:
#   1. every C file formatted as .clang-format says (clang-format --dry-run -Werror);
#   2. every include allowed by ARCHITECTURE.md's layers (tools/check_layers.py);
#   3. no more duplicated code than tools/duplicates-budget allows, where the
#      `duplicates` command is installed (it is a developer tool, not a Debian
#      package: without it this step says so and is skipped). The budget only
#      goes down: when the count falls, lower the file to it.
# Exit 1 if any step fails.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 2

rc=0
say() { printf 'lint: %s\n' "$*"; }

mapfile -t files < <(git ls-files --cached --others --exclude-standard -- '*.c' '*.h' |
    while read -r f; do [[ -f $f ]] && printf '%s\n' "$f"; done)
if ! command -v clang-format >/dev/null 2>&1; then
    say "clang-format not installed (./dev.sh setup installs it)"
    rc=1
elif ! clang-format --dry-run -Werror "${files[@]}" 2>/tmp/eqm-lint-format.$$; then
    grep -oE '^[^:]+\.[ch]:[0-9]+:[0-9]+: error' /tmp/eqm-lint-format.$$ | cut -d: -f1 | sort -u | sed 's/^/lint: not formatted: /'
    say "run: clang-format -i FILE (the style is .clang-format)"
    rc=1
else
    say "clang-format: ${#files[@]} files formatted"
fi
rm -f /tmp/eqm-lint-format.$$

python3 tools/check_layers.py || rc=1

budget=$(tr -dc '0-9' <tools/duplicates-budget)
if command -v duplicates >/dev/null 2>&1; then
    first=$(duplicates --seconds 120 | head -n 1)
    case $first in
    "no duplicates"*) n=0 ;;
    *) n=$(printf '%s\n' "$first" | grep -o '^[0-9]*') ;;
    esac
    if [[ -z $n ]]; then
        say "duplicates: could not read its count from: $first"
        rc=1
    elif ((n > budget)); then
        say "duplicates: $n pairs, over the budget of $budget (duplicates --most 80 lists them)"
        rc=1
    elif ((n < budget)); then
        say "duplicates: $n pairs, under the budget of $budget: lower tools/duplicates-budget to $n"
    else
        say "duplicates: $n pairs (budget $budget)"
    fi
else
    say "duplicates: command not on this machine; budget ($budget pairs) not checked"
fi
exit "$rc"
