#!/usr/bin/env bash
# The custody consumer killed with -9 mid-stream, three times, and stopped
# with SIGTERM once (a clean exit), then restarted: every daily count is exactly the generator's (duplicate
# deliveries included in the stream), and the figures are those of the
# final counts. Small batches make many transactions, so each kill lands
# mid-stream.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
A1=E07000008
A2=E07000009
census=$EQM_TEST_DIR/census.csv
cat >"$census" <<EOF
area_code,area_name,census_category,population
$A1,Test one,White,100000
$A1,Test one,Black,4000
$A1,Test one,Asian,15000
$A2,Test two,White,80000
$A2,Test two,Black,1000
$A2,Test two,Asian,3000
EOF
"$BIN/eqm-admin" load-population "$census" >/dev/null
"$BIN/eqm-admin" define-area force "$A1,$A2" >/dev/null

exp=$EQM_TEST_DIR/expected.tsv
"$BIN/eqm-replay" synth custody --seed 9 --events 8000 --area "$A1,$A2" --census "$census" \
    --days 91 -m black=2.5 --duplicates 0.1 --expected "$exp" 2>/dev/null
total=$(awk -F'\t' '$3 == "gender" && $5 ~ /^(arrests|detentions|strip_searches|use_of_force|disposals)$/ {
                     s += $6 } END { print s }' "$exp")
assert_eq 8000 "$total" "the generator made 8,000 events"

consumer=("$BIN/eqm-custody" --batch-max-messages 5 --batch-max-ms 20
          -X session.timeout.ms=3000 -X heartbeat.interval.ms=500 --log-level error)
counted() {
    psql_val "SELECT coalesce(sum(arrests + detentions + strip_searches + use_of_force
                                  + disposals), 0)
                FROM equality.custody_daily WHERE area = 'force' AND dimension = 'gender'"
}

# Each round: start, wait until the consumer has committed something beyond
# what was there, let it run a little longer, then kill it: -9 three times,
# and once SIGTERM, which must stop it cleanly (exit 0) mid-stream.
eqm_crash_rounds "$total" "KILL:0.05 TERM:0.1 KILL:0.1 KILL:0.05" -- "${consumer[@]}"
kills=$EQM_KILLS
[ "$kills" -ge 3 ] || fail "only $kills kills landed mid-stream: make the stream longer"

timeout 180 "${consumer[@]}" --exit-when-idle 4
assert_eq "$total" "$(counted)" "every event counted exactly once after $kills mid-stream kills"
eqm_dump_counts equality.custody_daily "$EQM_TEST_DIR/counts.tsv"
python3 "$here/expected_custody.py" counts --force force "$exp" -- "$EQM_TEST_DIR/counts.tsv" \
    || fail "daily counts differ from the generator's after the crashes"
eqm_test_log "ok: every daily count exact after the crashes"
assert_eq 8000 "$(psql_val "SELECT count(*) FROM equality.event_keys WHERE source = 'custody'")" \
    "one de-duplication key per distinct event"
eqm_dump_figures 'custody.%' "$EQM_TEST_DIR/disparity.tsv"
python3 "$here/expected_custody.py" figures --force "force=$A1,$A2" --census "$census" "$exp" \
    -- "$EQM_TEST_DIR/disparity.tsv" || fail "figures are not those of the final counts"
eqm_test_log "ok: the figures are those of the final counts"
echo "PASS test_custody_crash ($kills mid-stream kills)"
