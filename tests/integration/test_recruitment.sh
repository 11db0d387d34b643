#!/usr/bin/env bash
# The recruitment service end to end on generated events: funnel counts
# exact; every attrition figure (pass rates, adverse impact ratio, Katz
# interval, Fisher p, four-fifths breach, significance, end-to-end and
# withdrawal stages) equal to an independent Python computation from the
# generator's expected counts; a 0.7 pass-rate multiplier at one stage is a
# four-fifths breach that is significant with 400 candidates a group and not
# with 10; the workforce view reproduces the force's own figures (4.6% BME
# officers against 9.7% BME population: representation ratio 0.47); bad
# events become dead letters; a replay counts nothing twice.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
T=recruitment.events
AREA=E07000008
# A district whose population is 9.7% BME (9,700 of 100,000).
POP="$AREA:white=90300,$AREA:asian=4000,$AREA:black=2500,$AREA:mixed=2200,$AREA:other=1000"
psql_val "INSERT INTO equality.population_district VALUES
    ('$AREA', 'Test', 'White', 'white', 90300), ('$AREA', 'Test', 'Asian', 'asian', 4000),
    ('$AREA', 'Test', 'Black', 'black', 2500), ('$AREA', 'Test', 'Mixed', 'mixed', 2200),
    ('$AREA', 'Test', 'Other', 'other', 1000)"

synth() { "$BIN/eqm-replay" synth recruitment --area "$AREA" "$@" 2>/dev/null; }
large=$EQM_TEST_DIR/large.tsv
small=$EQM_TEST_DIR/small.tsv
# Officers: 400 white, 400 black, 200 asian, 30 not stated applicants; black
# candidates pass the interview at 0.7 times the rate. Workforce: the force's
# figures -- 46 BME officers of 1,000, BME joiners 7 of 102 (6.86%), as many
# leavers as joiners, BME leavers with 6.2 years of service, white 10.
synth --seed 7 --role police_officer --campaign 2025-a \
    --candidates white=400,black=400,asian=200,not_stated=30 --multiplier black:interview=0.7 \
    --headcount white=954,asian=20,black=12,mixed=10,other=4 \
    --joiners white=95,asian=3,black=3,mixed=1 --leavers white=95,asian=3,black=3,mixed=1 \
    --service-years white=10,asian=6.2,black=6.2,mixed=6.2 --expected "$large"
# Staff: the same multiplier with 10 candidates a group; leavers at twice the
# rate for black staff.
synth --seed 8 --role police_staff --campaign 2025-s --candidates white=10,black=10 \
    --multiplier black:interview=0.7 --headcount white=500,black=100 --leaver-rate 0.1 \
    --leaver-multiplier black=2 --expected "$small"

produce() { printf '%s\n' "$1" | kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -k x; }
env_='"occurred_at":"2025-06-20T10:00:00Z","area":"'$AREA'"'
produce '{"event_id":"bad-1","event_type":"application_stage",'"$env_"',"role":"pcso","result":"passed"}'
produce '{"event_id":"bad-2","event_type":"application_stage",'"$env_"',"role":"pcso","stage":"interview","result":"maybe"}'
produce '{"event_id":"bad-3","event_type":"promotion",'"$env_"',"role":"pcso"}'
produce '{"event_id":"bad-4","event_type":"headcount",'"$env_"',"role":"pcso","dimension":"ethnicity","counts":{"white":-3}}'
produce '{"event_id":"bad-5","event_type":"joined",'"$env_"',"role":"chief"}'
produce 'not json'

# Default batch sizes: a batch of thousands of events spans several of the
# engine's 64 KiB string chunks, which once corrupted keys.
consumer=("$BIN/eqm-recruitment" --exit-when-idle 3 -X session.timeout.ms=6000
          --log-level error --force-area force)
timeout 180 "${consumer[@]}"

# 1. Funnel counts exact, per campaign and for all campaigns.
expected=$(awk -F'\t' '$1 == "funnel" { print $2 "|" $3 "|" $4 "|" $5 "|" $6 "|" $7 "|" $8 "|" $9 "|" $10 }' \
    "$large" "$small" | LC_ALL=C sort)
actual=$(psql_val "SELECT role, campaign, stage, dimension, grp, sum(entered), sum(passed),
                          sum(failed), sum(withdrawn)
                     FROM equality.recruitment_daily GROUP BY 1, 2, 3, 4, 5" | LC_ALL=C sort)
[ "$(wc -l <<<"$expected")" -gt 100 ] || fail "the generator wrote too few funnel lines"
assert_eq "$expected" "$actual" "funnel counts exact ($(wc -l <<<"$expected") rows)"

# 2. Every attrition figure (28-day window, all campaigns), recomputed in Python.
psql_val "SELECT role, stage, dimension, grp, coalesce(comparison_grp, ''), entered, passed,
                 failed, withdrawn, pass_rate, adverse_impact_ratio, ci_low, ci_high, p_value,
                 four_fifths_breach, significant
            FROM equality.attrition WHERE window_days = 28" >"$EQM_TEST_DIR/attrition.psv"
python3 "$here/expected_recruitment.py" attrition "$large" "$small" -- \
    "$EQM_TEST_DIR/attrition.psv" || fail "attrition figures differ from the formulas"
eqm_test_log "ok: every attrition figure agrees with the independent computation"
assert_eq 3 "$(psql_val "SELECT count(DISTINCT window_days) FROM equality.attrition")" \
    "figures for the three default windows"

# 3. The 0.7 multiplier: a breach, significant with 400 a group, not with 10.
# Large: interview entrants per group are quotas of the generator:
# white: 400 -> application w=20, p=round(380*0.8)=304; eligibility w=15,
# p=round(289*0.8)=231; assessment w=12, p=round(219*0.8)=175; interview
# (175 entrants) w=9, p=round(166*0.8)=133, f=33; black the same up to the interview,
# p=round(166*0.8*0.7)=93, f=73: ratio (93/166)/(133/166) = 0.699.
assert_eq "175|9|133|33|175|9|93|73" \
    "$(psql_val "SELECT string_agg(entered || '|' || withdrawn || '|' || passed || '|' || failed, '|' ORDER BY grp DESC)
                 FROM equality.attrition WHERE role = 'police_officer' AND stage = 'interview'
                  AND dimension = 'ethnicity' AND grp IN ('white', 'black') AND window_days = 28")" \
    "interview quotas as worked out by hand"
assert_eq "0.699|true|true" \
    "$(psql_val "SELECT round(adverse_impact_ratio::numeric, 3) || '|' || four_fifths_breach || '|' || significant
                 FROM equality.attrition WHERE role = 'police_officer' AND stage = 'interview'
                  AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 28")" \
    "400 a group: 93/166 against 133/166 is a significant four-fifths breach"
# Small: 10 -> application w=round(0.5)=1, p=round(7.2)=7; eligibility w=0,
# p=round(5.6)=6; assessment p=round(4.8)=5; interview white p=4 of 5, black
# p=round(2.8)=3 of 5: ratio 0.75, Fisher p = 1 (not significant).
assert_eq "0.750|true|false" \
    "$(psql_val "SELECT round(adverse_impact_ratio::numeric, 3) || '|' || four_fifths_breach || '|' || significant
                 FROM equality.attrition WHERE role = 'police_staff' AND stage = 'interview'
                  AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 28")" \
    "10 a group: 3/5 against 4/5 is a breach but not significant"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.attrition WHERE grp = 'not_stated'
                          AND adverse_impact_ratio IS NOT NULL")" "not_stated is left out of ratios"

# 4. Workforce: every ethnicity figure recomputed; the force's own figures.
psql_val "SELECT role, area, grp, headcount, headcount_total, representation_ratio, joiners,
                 leavers, leaver_rate, leaver_rate_ratio, mean_service_years_of_leavers
            FROM equality.workforce WHERE dimension = 'ethnicity' AND window_days = 28" \
    >"$EQM_TEST_DIR/workforce.psv"
python3 "$here/expected_recruitment.py" workforce "$POP" "$large" "$small" -- \
    "$EQM_TEST_DIR/workforce.psv" || fail "workforce figures differ from the formulas"
eqm_test_log "ok: every workforce figure agrees with the independent computation"
assert_eq "46|1000|4.6|9.7|0.47|6.86|6.2" \
    "$(psql_val "SELECT headcount || '|' || headcount_total || '|' || round(100 * share::numeric, 1)
                        || '|' || round(100 * population_share::numeric, 1) || '|'
                        || round(representation_ratio::numeric, 2) || '|'
                        || round(100 * joiners_share::numeric, 2) || '|'
                        || round(mean_service_years_of_leavers::numeric, 1)
                   FROM equality.workforce WHERE role = 'police_officer' AND area = '$AREA'
                    AND dimension = 'ethnicity' AND grp = 'bme' AND window_days = 28")" \
    "BME officers 4.6% against 9.7% of the population: 0.47; joiners 6.86%; 6.2 years"
# Staff: leavers round(100*0.1*2)=20 black and round(500*0.1)=50 white, no
# joiners: average headcounts 90 and 475, ratio (20/90)/(50/475) = 2.111.
assert_eq "2.111" \
    "$(psql_val "SELECT round(leaver_rate_ratio::numeric, 3) FROM equality.workforce
                 WHERE role = 'police_staff' AND area = '$AREA' AND dimension = 'ethnicity'
                   AND grp = 'black' AND window_days = 28")" "leaver rate ratio worked out by hand"

# 5. Measures for the alerts in equality.metrics.
assert_eq "0.699|166|133" \
    "$(psql_val "SELECT round(ratio::numeric, 3) || '|' || base || '|' || ref_n FROM equality.metrics
                 WHERE measure = 'recruitment.adverse_impact.interview.police_officer'
                   AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 28")" \
    "adverse impact in equality.metrics"
assert_eq "0.47" \
    "$(psql_val "SELECT round(ratio::numeric, 2) FROM equality.metrics
                 WHERE measure = 'workforce.representation.police_officer' AND area = '$AREA'
                   AND grp = 'bme' AND window_days = 28")" "representation in equality.metrics"

# 6. Bad input: dead letters with actionable codes, nothing counted.
assert_eq "bad_counts
bad_result
bad_role
missing_stage
not_json
unknown_event_type" "$(psql_val "SELECT reason_code FROM equality.dead_letters ORDER BY 1")" \
    "each bad event is a dead letter with its reason"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.recruitment_daily WHERE role = 'pcso'")" \
    "nothing of a bad event counted"

# 7. No personal identifier at rest.
assert_eq 0 "$(pg_dump -a "$EQM_PG_URL" | grep -c 'cand-' || true)" \
    "no candidate_ref anywhere in the database"

# 8. A replay of the same scenario changes nothing.
before=$(psql_val "SELECT sum(entered) FROM equality.recruitment_daily")
synth --seed 8 --role police_staff --campaign 2025-s --candidates white=10,black=10 \
    --multiplier black:interview=0.7 --headcount white=500,black=100 --leaver-rate 0.1 \
    --leaver-multiplier black=2
timeout 120 "${consumer[@]}"
assert_eq "$before" "$(psql_val "SELECT sum(entered) FROM equality.recruitment_daily")" \
    "a replayed scenario counts nothing twice"
echo "PASS test_recruitment"
