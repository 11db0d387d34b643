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
# their reason codes, on the topic and in equality.dead_letters. Then a
# stream whose officer-perceived ethnicity differs from the self-defined
# one: uses of force count by the perceived group (the Home Office's use of
# force statistics' choice), everything else by the self-defined one, and
# the perceived group is its own dimension, as is the self-defined one
# (hand-computed figures, and the whole table against expected_custody.py
# again).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
T=custody.events
A1=E07000008
A2=E07000009
A3=E07000010 # only the perceived-ethnicity stream (part 6); not in the force

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
$A3,Test three,"White: English, Welsh, Scottish, Northern Irish or British",10000
$A3,Test three,"Black, Black British, Black Welsh, Caribbean or African: African",2000
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
produce '{"event_id":"bad-officer","event_type":"use_of_force",'"$env_"',"officer_defined_ethnicity":2}'
n_bad=9

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
bad_officer_defined_ethnicity
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
                                        'bad-tactics', 'bad-tactic', 'bad-officer']) AS id)")" \
    "no bad event took a de-duplication key"

# 5. Replaying everything counts nothing twice.
before=$(psql_val "SELECT sum(arrests), sum(use_of_force), sum(disposals) FROM equality.custody_daily")
"$BIN/eqm-replay" synth custody "${synth[@]}" 2>/dev/null
timeout 120 "$BIN/eqm-custody" --exit-when-idle 3 -X session.timeout.ms=6000 --log-level error
assert_eq "$before" "$(psql_val "SELECT sum(arrests), sum(use_of_force), sum(disposals)
                                  FROM equality.custody_daily")" "a replay counts nothing twice"

# 6. Officer-perceived ethnicity. In $A3, on the generated stream's last
# day (so every window still ends there), by hand:
#   10 uses of force, self-defined black, perceived White, taser discharged
#    6 uses of force, self-defined white, perceived Black, taser + handcuffs
#    4 uses of force, self-defined black, no perceived group, no tactic
#    2 uses of force, self-defined white, perceived "Not stated", handcuffs
#    5 arrests, self-defined black, perceived White
# Uses of force by perceived group (else self-defined): white 10 + 2 = 12,
# black 6 + 4 = 10; arrests stay self-defined: black 5. The perceived
# dimension: uses of force White 10, Black 6, not_stated 2; arrests White 5.
# The self-defined dimension: uses of force black 10 + 4 = 14, white
# 6 + 2 = 8; arrests black 5.
last=$(awk -F'\t' 'NR > 1 && $1 > m { m = $1 } END { print m }' "$exp")
perceived=$EQM_TEST_DIR/perceived.jsonl
perceived_exp=$EQM_TEST_DIR/perceived_expected.tsv
python3 - "$A3" "$last" "$perceived" "$perceived_exp" <<'PY'
import json, sys
area, day, out, exp = sys.argv[1:]
spec = [  # (count, event_type, self-defined, perceived or None, tactics)
    (10, "use_of_force", "black", "White", ["taser_discharged"]),
    (6, "use_of_force", "white", "Black", ["taser_discharged", "handcuffing"]),
    (4, "use_of_force", "black", None, []),
    (2, "use_of_force", "white", "Not stated", ["handcuffing"]),
    (5, "arrest", "black", "White", None),
]
counts, i = {}, 0
def add(dim, grp, counter):
    for a in (area,):  # the force's rows are expected_custody.py's to add
        k = (day, a, dim, grp, counter)
        counts[k] = counts.get(k, 0) + 1
with open(out, "w") as f:
    for n, kind, self_, officer, tactics in spec:
        for _ in range(n):
            i += 1
            ev = {"event_id": "perceived-%d" % i, "event_type": kind,
                  "occurred_at": day + "T12:00:00Z", "area": area, "ethnicity": self_,
                  "gender": "Male", "age_range": "25-34"}
            if officer is not None:
                ev["officer_defined_ethnicity"] = officer
            if tactics is not None:
                ev["tactics"] = tactics
            f.write(json.dumps(ev) + "\n")
            stated = officer is not None and officer != "Not stated"
            groups = {"ethnicity": officer.lower() if kind == "use_of_force" and stated else self_,
                      "gender": "male", "age_range": "25-34", "self_defined_ethnicity": self_}
            if officer is not None:
                groups["officer_defined_ethnicity"] = officer.lower() if stated else "not_stated"
            if kind == "arrest":
                counters = ["arrests"]
            else:
                counters = ["use_of_force"] + ["tactic_" + t for t in tactics]
                if not tactics:
                    counters.append("tactic_not_recorded")
            for dim, grp in groups.items():
                for c in counters:
                    add(dim, grp, c)
with open(exp, "w") as f:
    f.write("day\tarea\tdimension\tgrp\tcounter\tn\n")
    for k in sorted(counts):
        f.write("\t".join(k) + "\t%d\n" % counts[k])
PY
kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -k "$A3" <"$perceived"
timeout 120 "$BIN/eqm-custody" --exit-when-idle 3 -X session.timeout.ms=6000 --log-level error
fig() { # MEASURE DIMENSION GROUP: n|rate|ratio of the 365-day figure in $A3
    psql_val "SELECT n || '|' || coalesce(round(rate::numeric, 6)::text, '') || '|'
                     || coalesce(round(ratio::numeric, 6)::text, '')
                FROM equality.disparity WHERE measure = '$1' AND area = '$A3'
                 AND dimension = '$2' AND grp = '$3' AND window_days = 365"
}
# Rates per 1,000 of the population (black 2,000, white 10,000):
# black 10 / 2000 = 5.0, white 12 / 10000 = 1.2, ratio 5 / 1.2 = 4.166667
# (by self-defined group it would be 14 and 8: ratio 8.75).
assert_eq "10|5.000000|4.166667" "$(fig custody.use_of_force ethnicity black)" \
    "uses of force by the officer-perceived group, else the self-defined one"
assert_eq "12|1.200000|" "$(fig custody.use_of_force ethnicity white)" \
    "the reference group's uses of force: perceived White 10, and 2 not stated by the officer"
# Taser discharged: black 6 (perceived), white 10: (6/2000) / (10/10000) = 3.
assert_eq "6|3.000000|3.000000" \
    "$(fig custody.use_of_force_by_tactic.taser_discharged ethnicity black)" \
    "a tactic's figure by the officer-perceived group"
# Handcuffing: black 6, white 2 (the fallback): (6/2000) / (2/10000) = 15.
assert_eq "6|3.000000|15.000000" \
    "$(fig custody.use_of_force_by_tactic.handcuffing ethnicity black)" \
    "a tactic's figure, the fallback in the reference group"
# Arrests stay self-defined: 5 black (5 / 2000 = 2.5 per 1,000), none white.
assert_eq "5|2.500000|" "$(fig custody.arrests ethnicity black)" "arrests by self-defined group"
# The perceived group as its own dimension: uses of force Black 6, White
# 10: (6/2000) / (10/10000) = 3; arrests White 5 (0.5 per 1,000).
assert_eq "6|3.000000|3.000000" "$(fig custody.use_of_force officer_defined_ethnicity black)" \
    "uses of force in the officer_defined_ethnicity dimension"
assert_eq "5|0.500000|" "$(fig custody.arrests officer_defined_ethnicity white)" \
    "arrests in the officer_defined_ethnicity dimension"
# The self-defined group as its own dimension: uses of force black 14
# (7.0 per 1,000), white 8 (0.8 per 1,000): ratio 7 / 0.8 = 8.75.
assert_eq "14|7.000000|8.750000" "$(fig custody.use_of_force self_defined_ethnicity black)" \
    "uses of force in the self_defined_ethnicity dimension"
assert_eq "8|0.800000|" "$(fig custody.use_of_force self_defined_ethnicity white)" \
    "the reference group's uses of force by self-defined group"
assert_eq "5|2.500000|" "$(fig custody.arrests self_defined_ethnicity black)" \
    "arrests in the self_defined_ethnicity dimension"
assert_eq "2" "$(psql_val "SELECT sum(use_of_force) FROM equality.custody_daily
                            WHERE area = '$A3' AND dimension = 'officer_defined_ethnicity'
                              AND grp = 'not_stated'")" \
    "a perceived group not stated is the dimension's not_stated"
# Every count and every figure, the generated stream's and these together,
# against the independent computation.
eqm_dump_counts equality.custody_daily "$EQM_TEST_DIR/counts.tsv"
python3 "$here/expected_custody.py" counts --force force "$exp" "$perceived_exp" \
    -- "$EQM_TEST_DIR/counts.tsv" || fail "daily counts differ after the perceived stream"
eqm_dump_figures 'custody.%' "$EQM_TEST_DIR/disparity.tsv"
python3 "$here/expected_custody.py" figures --force "force=$A1,$A2" --census "$census" "$exp" \
    "$perceived_exp" -- "$EQM_TEST_DIR/disparity.tsv" \
    || fail "figures differ from the independent computation after the perceived stream"
eqm_test_log "ok: uses of force by officer-perceived group, other measures self-defined"
echo "PASS test_custody"
