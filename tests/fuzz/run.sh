#!/usr/bin/env bash
# tests/fuzz/run.sh BINARY (--runs N | --seconds S) SEED_DIR...
# (EQM_FUZZ_SECONDS=S in the environment replaces either.)
#
# Runs one libFuzzer target over its seeds, with new inputs kept in a
# scratch corpus (never in the source tree), and prints libFuzzer's last
# status line (executions, coverage). Exit 0 when nothing was found;
# otherwise libFuzzer's own status, with the input that failed saved in
# $EQM_FUZZ_ARTIFACTS (default: a directory it names) -- make it a
# regression file under tests/fuzz/regressions/<target>/ once fixed.
set -euo pipefail
bin=$1
shift
limit=()
case ${1:-} in
--runs) limit=(-runs="$2") ;;
--seconds) limit=(-max_total_time="$2") ;;
*) echo "usage: $0 BINARY --runs N|--seconds S SEED_DIR..." >&2; exit 2 ;;
esac
shift 2
# ./dev.sh fuzz SECONDS: a longer run of every target, whatever ctest gave.
if [[ -n ${EQM_FUZZ_SECONDS:-} ]]; then
    limit=(-max_total_time="$EQM_FUZZ_SECONDS")
fi
name=$(basename "$bin")
work=$(mktemp -d /tmp/eqm-"$name".XXXXXX)
artifacts=${EQM_FUZZ_ARTIFACTS:-$work/artifacts}
mkdir -p "$work/corpus" "$artifacts"
seeds=()
for d in "$@"; do [[ -d $d ]] && seeds+=("$d"); done
rc=0
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    "$bin" "${limit[@]}" -seed=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$work/corpus" "${seeds[@]}" \
    >"$work/log" 2>&1 || rc=$?
# The last status line (executions, coverage: cov = edges, ft = features)
# and the totals.
grep -E '^#[0-9]+[[:space:]]' "$work/log" | tail -n 1 || true
grep -E 'stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss' "$work/log" || true
if ((rc != 0)); then
    tail -n 40 "$work/log" >&2
    echo "$name: failed (exit $rc); inputs kept in $artifacts" >&2
    exit "$rc"
fi
echo "$name: nothing found ($(find "$work/corpus" -type f | wc -l) new corpus inputs)"
rm -rf -- "$work"
