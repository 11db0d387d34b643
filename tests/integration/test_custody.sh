#!/usr/bin/env bash
# The custody service end to end on generated events with known disparities
# (black people arrested at twice the rate, force used on them 1.5 times as
# often once arrested, strip searched twice as often, Taser twice as often,
# diverted from court half as often): every non-zero daily count in
# equality.custody_daily, per area and for the whole force, is exactly the
# generator's; every custody figure in equality.disparity (rates, ratios and
# intervals, 20 measures x 3 windows) equals an independent Python
# computation from those counts and the population (expected_custody.py);
# duplicate deliveries count once; bad events become dead letters with
# their reason codes, on the topic and in equality.dead_letters.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
T=custody.events
A1=E07000008
A2=E07000009

# Two districts' Census population (Census TS021 wording); the force is both.
census=$EQM_TEST_DIR/census.csv
cat >"$census" <<EOF
area_code,area_name,census_category,population
$A1,Test one,"White: English, Welsh, Scottish, Northern Irish or British",100000
$A1,Test one,"Asian, Asian British or Asian Welsh: Indian",15000
$A1,Test one,"Black, Black British, Black Welsh, Caribbean or African: African",4000
$A1,Test one,Mixed or Multiple ethnic groups: White and Asian,5000
$A1,Test one,Other ethnic group: Arab,3000
$A2,Test two,"White: English, Welsh, Scottish, Northern Irish or British",80000
$A2,Test two,"Asian, Asian British or Asian Welsh: Pakistani",3000
$A2,Test two,"Black, Black British, Black Welsh, Caribbean or African: Caribbean",1000
$A2,Test two,Mixed or Multiple ethnic groups: White and Black Caribbean,2000
$A2,Test two,Other ethnic group: Any other ethnic group,1000
EOF
"$BIN/eqm-admin" load-population "$census" >/dev/null
"$BIN/eqm-admin" define-area force "$A1,$A2" >/dev/null
assert_eq "5000|214000" "$(psql_val "SELECT sum(population) FILTER (WHERE grp = 'black'),
                                            sum(population) FILTER (WHERE grp <> 'bme')
                                       FROM equality.area_population WHERE area = 'force'")" \
    "the force's population is both districts'"

# 20,000 distinct events over 365 days, 5% of them sent twice by the
# generator's producer (a retrying producer: same id, same bytes).
exp=$EQM_TEST_DIR/expected.tsv
events=$EQM_TEST_DIR/events.jsonl
# shellcheck disable=SC2054 # the commas are inside one argument
synth=(--seed 42 --events 20000 --area "$A1,$A2" --census "$census"
       -m arrest:black=2,use_of_force:black=1.5,strip_search:black=2,taser:black=2,diversion:black=0.5)
"$BIN/eqm-replay" synth custody "${synth[@]}" --duplicates 0.05 --expected "$exp" 2>/dev/null
# The same events as JSON lines: 500 of them delivered again by kcat.
"$BIN/eqm-replay" synth custody "${synth[@]}" --output "$events" 2>/dev/null
head -n 500 "$events" | kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -k "$A1"

# Bad events: one of each kind, dated inside the generated range.
produce() { printf '%s\n' "$1" | kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -k "$A1"; }
env_='"occurred_at":"2025-03-01T10:00:00Z","area":"'$A1'","ethnicity":"black"'
produce 'not json at all'
produce '{"event_type":"arrest",'"$env_"'}'
produce '{"event_id":"bad-type","event_type":"release",'"$env_"'}'
produce '{"event_id":"bad-date","event_type":"arrest","occurred_at":"1 March 2025","area":"'$A1'"}'
produce '{"event_id":"bad-outcome","event_type":"disposal",'"$env_"',"outcome":"Charged"}'
produce '{"event_id":"no-outcome","event_type":"disposal",'"$env_"',"outcome":null}'
produce '{"event_id":"bad-tactics","event_type":"use_of_force",'"$env_"',"tactics":"taser_discharged"}'
produce '{"event_id":"bad-tactic","event_type":"use_of_force",'"$env_"',"tactics":["baton",3]}'
n_bad=8

# Batches of 2,000 so that most duplicates arrive in a later batch than
# their first copy (within a batch they are dropped before PostgreSQL).
timeout 180 "$BIN/eqm-custody" --exit-when-idle 3 -X session.timeout.ms=6000 --log-level debug \
    --batch-max-messages 2000 2>"$EQM_TEST_DIR/custody.log"

# 0. Both ways of committing were taken: pipelined batches, and after a
# re-delivered event met the optimistic INSERT, the careful way, which
# filtered duplicates out (checked exactly below).
grep -q 'msg="batch committed".* pipelined=yes' "$EQM_TEST_DIR/custody.log" \
    || fail "no batch was committed pipelined"
grep -q 'msg="batch held an event counted before' "$EQM_TEST_DIR/custody.log" \
    || fail "no pipelined batch met a duplicate (the generator sends 1,531)"
grep 'msg="batch committed"' "$EQM_TEST_DIR/custody.log" | grep -v 'pipelined=yes' \
    | grep -qv ' duplicates=0 ' || fail "no careful batch filtered a duplicate"
eqm_test_log "ok: batches committed pipelined, and the careful way after a duplicate"

# 1. Every non-zero daily count, per area and for the whole force, exact.
eqm_dump_counts equality.custody_daily "$EQM_TEST_DIR/counts.tsv"
python3 "$here/expected_custody.py" counts --force force "$exp" -- "$EQM_TEST_DIR/counts.tsv" \
    || fail "daily counts differ from the generator's"
eqm_test_log "ok: every daily count equals the generator's ($(wc -l <"$EQM_TEST_DIR/counts.tsv") non-zero counts)"
assert_eq 20000 "$(psql_val "SELECT count(*) FROM equality.event_keys WHERE source = 'custody'")" \
    "one de-duplication key per distinct event"
delivered=$(psql_val "SELECT sum(next_offset) FROM equality.kafka_offsets WHERE topic = '$T'")
dups=$((delivered - 20000 - n_bad))
[ "$dups" -ge 1000 ] || fail "only $dups duplicate deliveries consumed"
eqm_test_log "ok: $delivered messages consumed, $dups of them duplicates, each event counted once"
arrests=$(awk -F'\t' '$5 == "arrests" && $3 == "gender" { s += $6 } END { print s }' "$exp")
assert_eq "$arrests" "$(psql_val "SELECT sum(arrests) FROM equality.custody_daily
                                   WHERE area = 'force' AND dimension = 'gender'")" \
    "whole-force arrests are the sum of the areas"

# 2. Every custody figure, recomputed independently.
eqm_dump_figures 'custody.%' "$EQM_TEST_DIR/disparity.tsv"
python3 "$here/expected_custody.py" figures --force "force=$A1,$A2" --census "$census" "$exp" \
    -- "$EQM_TEST_DIR/disparity.tsv" || fail "figures differ from the independent computation"
eqm_test_log "ok: every custody figure agrees with the independent computation"
assert_eq 20 "$(psql_val "SELECT count(DISTINCT measure) FROM equality.disparity
                          WHERE measure LIKE 'custody.%'")" \
    "20 custody measures (4 population rates, 13 tactics, 3 shares)"

# 3. The disparities the generator was given are there, and significant.
ratio() {
    psql_val "SELECT round(ratio::numeric, 2) || '|' || (ci_low > 1) || '|' || (ci_high < 1)
                FROM equality.disparity WHERE measure = '$1' AND area = 'force'
                 AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 365"
}
within() { # MEASURE LOW HIGH SIDE: ratio in [LOW, HIGH], CI above (>) or below (<) 1
    local r lo hi
    IFS='|' read -r r lo hi <<<"$(ratio "$1")"
    awk -v r="$r" -v a="$2" -v b="$3" 'BEGIN { exit !(r >= a && r <= b) }' \
        || fail "$1: black/white ratio $r, expected $2 to $3"
    if [ "$4" = ">" ]; then [ "$lo" = true ] || fail "$1: interval should exclude 1 from above"
    else [ "$hi" = true ] || fail "$1: interval should exclude 1 from below"; fi
    eqm_test_log "ok: $1 black/white $r (generated disparity, interval excludes 1)"
}
within custody.arrests 1.6 2.4 ">"
within custody.use_of_force 2.4 3.6 ">"
within custody.use_of_force_by_tactic.taser_drawn 4 8 ">"
within custody.strip_search_share 1.5 2.5 ">"
within custody.out_of_court_share 0.35 0.65 "<"
within custody.charge_share 1.2 1.8 ">"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.disparity WHERE measure LIKE 'custody.%'
                          AND grp = 'not_stated' AND ratio IS NOT NULL")" \
    "not_stated is left out of ratios"

# 4. Bad events: dead letters with their reasons, on the topic and counted.
codes="bad_occurred_at
bad_outcome
bad_tactics
bad_tactics
missing_event_id
missing_outcome
not_json
unknown_event_type"
assert_eq "$codes" "$(psql_val "SELECT reason_code FROM equality.dead_letters
                                 WHERE source = 'custody' ORDER BY 1")" \
    "each bad event counted in equality.dead_letters with its reason"
dl=$(kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.dead-letter -e -q -f '%h\n' 2>/dev/null)
assert_eq "$codes" "$(tr ',' '\n' <<<"$dl" | sed -n 's/^eqm-reason-code=//p' | LC_ALL=C sort)" \
    "the $n_bad dead letters are on equality.dead-letter with their reason codes"
assert_eq "$n_bad" "$(tr ',' '\n' <<<"$dl" | grep -cx "eqm-source-topic=$T")" \
    "each dead letter names its source topic"
kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.dead-letter -e -q -f '%s\n' 2>/dev/null \
    | grep -qx 'not json at all' || fail "the original bytes travel on the dead-letter topic"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.event_keys
                          WHERE key IN (SELECT md5('custody:' || id)::uuid FROM unnest(ARRAY[
                                        'bad-type', 'bad-date', 'bad-outcome', 'no-outcome',
                                        'bad-tactics', 'bad-tactic']) AS id)")" \
    "no bad event took a de-duplication key"

# 5. Replaying everything counts nothing twice.
before=$(psql_val "SELECT sum(arrests), sum(use_of_force), sum(disposals) FROM equality.custody_daily")
"$BIN/eqm-replay" synth custody "${synth[@]}" 2>/dev/null
timeout 120 "$BIN/eqm-custody" --exit-when-idle 3 -X session.timeout.ms=6000 --log-level error
assert_eq "$before" "$(psql_val "SELECT sum(arrests), sum(use_of_force), sum(disposals)
                                  FROM equality.custody_daily")" "a replay counts nothing twice"
echo "PASS test_custody"
