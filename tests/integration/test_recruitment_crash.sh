#!/usr/bin/env bash
# The recruitment consumer killed with -9 mid-stream, several times, then
# restarted: the funnel and workforce counts are exactly the generator's,
# and the figures match the counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
exp=$EQM_TEST_DIR/expected.tsv
"$BIN/eqm-replay" synth recruitment --seed 11 --area E1 --candidates white=300,black=300,asian=150 \
    --multiplier black:assessment_centre=0.7 --headcount white=800,black=50 --joiners white=40,black=10 \
    --leaver-rate 0.05 --expected "$exp" 2>/dev/null
total=$(awk -F'\t' '$1 == "funnel" && $3 == "*" && $5 == "sex" { s += $7 } END { print s }' "$exp")

consumer=("$BIN/eqm-recruitment" --batch-max-messages 5 --batch-max-ms 20 --metrics-interval-ms 50
          -X session.timeout.ms=3000 -X heartbeat.interval.ms=500 --log-level error)
counted() {
    psql_val "SELECT coalesce(sum(entered), 0) FROM equality.recruitment_daily
              WHERE campaign = '*' AND dimension = 'sex'"
}

eqm_crash_rounds "$total" "KILL:0.05 KILL:0.2 KILL:0.1" -- "${consumer[@]}"
kills=$EQM_KILLS
[ "$kills" -ge 1 ] || fail "no kill landed mid-stream"

timeout 180 "${consumer[@]}" --exit-when-idle 4
expected=$(awk -F'\t' '$1 == "funnel" { print $2 "|" $3 "|" $4 "|" $5 "|" $6 "|" $7 "|" $8 "|" $9 "|" $10 }' \
    "$exp" | LC_ALL=C sort)
actual=$(psql_val "SELECT role, campaign, stage, dimension, grp, sum(entered), sum(passed),
                          sum(failed), sum(withdrawn)
                     FROM equality.recruitment_daily GROUP BY 1, 2, 3, 4, 5" | LC_ALL=C sort)
assert_eq "$expected" "$actual" "funnel counts exact after $kills mid-stream kills"
expected=$(awk -F'\t' '$1 == "workforce" { print $4 "|" $5 "|" $7 "|" $8 }' "$exp" | LC_ALL=C sort)
actual=$(psql_val "SELECT dimension, grp, sum(joiners), sum(leavers) FROM equality.workforce_daily
                    WHERE area = 'E1' GROUP BY 1, 2 HAVING sum(joiners) + sum(leavers) > 0" | LC_ALL=C sort)
assert_eq "$expected" "$actual" "joiners and leavers exact after the crashes"
assert_eq "0" "$(psql_val "SELECT count(*) FROM equality.attrition a
                           JOIN (SELECT role, stage, dimension, grp, sum(entered) AS e
                                   FROM equality.recruitment_daily WHERE campaign = '*'
                                  GROUP BY 1, 2, 3, 4) d USING (role, stage, dimension, grp)
                          WHERE a.window_days = 28 AND a.entered <> d.e")" \
    "the figures were recomputed from the final counts"
echo "PASS test_recruitment_crash ($kills mid-stream kills)"
