#!/usr/bin/env bash
# The benchmark's plumbing, not its speed: eqm-bench on 2,000 events (200
# for the naive baseline) must see every produced event counted exactly once
# by eqm-stop-search (counts, event ids and stored offsets), kcat must read
# them all, and the table must be printed. No timing is asserted.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up

args=(--bin "$BIN" --work-dir "$EQM_TEST_DIR" -n 2000 --naive-events 200 --partitions 4)
command -v kcat >/dev/null || args+=(--skip-kcat)
out=$(timeout 180 "$BIN/eqm-bench" "${args[@]}") || fail "eqm-bench exited $? (counts differ?)"
printf '%s\n' "$out" >&2

grep -Eq '^\| eqm-stop-search end to end +\| +2000 \|.*\| exact +\|$' <<<"$out" ||
    fail "no exact end-to-end row for 2000 events"
grep -Eq '^\| naive: 1 transaction per event +\| +200 \|.*\| exact +\|$' <<<"$out" ||
    fail "no exact naive row for 200 events"
[[ -s $EQM_TEST_DIR/e2e.stats ]] || fail "the consumer wrote no stats file"
assert_eq 2000 "$(sed -n 's/^messages=//p' "$EQM_TEST_DIR/e2e.stats")" \
    "stats file: every message of the end-to-end run committed"
assert_eq 200 "$(sed -n 's/^events=//p' "$EQM_TEST_DIR/naive.stats")" \
    "stats file: every event of the naive run counted"
echo "PASS test_bench_smoke"
