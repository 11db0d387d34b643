#!/usr/bin/env bash
# The real July 2025 police.uk file, end to end: replay it with eqm-replay,
# count it with eqm-stop-search against the Census population, and compare
# the counts and ratios in PostgreSQL with figures computed independently
# from the CSV and the Census file (expected_policeuk.py), self-defined
# against officer-defined ethnicity included. Then replay the
# file again: nothing may change.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv
CAMBS=E06000031,E07000008,E07000009,E07000010,E07000011,E07000012

eqm_test_stack_up

# A category that is not UTF-8 (but reads as a known one) is the loader's
# file:line error, not PostgreSQL's COPY error, and loads nothing.
bad=$EQM_TEST_DIR/bad-census.csv
{ head -n 2 "$CENSUS"; printf 'E06000001,Hartlepool,"White: Irish\xff",10\n'; } >"$bad"
rc=0
err=$("$BIN/eqm-admin" load-population "$bad" 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "a census_category that is not UTF-8 was loaded"
grep -q "bad-census.csv:3: census_category is not valid UTF-8" <<<"$err" \
    || fail "no file:line error for a category that is not UTF-8: $err"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.population_district")" \
    "nothing of the bad file loaded"

"$BIN/eqm-admin" load-population "$CENSUS"
"$BIN/eqm-admin" define-area cambridgeshire "$CAMBS"

run_consumer() {
    # The force is the replayed area here, so rows are kept once.
    timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 3 --force-area cambridgeshire \
        -X session.timeout.ms=6000 --log-level warn
}

"$BIN/eqm-replay" police-uk --area cambridgeshire "$CSV"
run_consumer

# Counts: every dimension and group, all twelve counters, against the CSV.
expected=$(python3 "$here/expected_policeuk.py" counts "$CSV")
actual=$(psql_val "SELECT dimension || '|' || grp || '|' || sum(searches) || '|' || sum(linked)
                     || '|' || sum(link_known) || '|' || sum(arrests) || '|' || sum(section_60)
                     || '|' || sum(strip) || '|' || sum(pace_s1) || '|' || sum(mda_s23)
                     || '|' || sum(other_power) || '|' || sum(nfa) || '|' || sum(other_outcome)
                     || '|' || sum(children)
                   FROM equality.stop_search_daily WHERE area = 'cambridgeshire'
                    AND dimension <> 'ethnicity_detailed' -- not modelled by expected_policeuk.py
                   GROUP BY dimension, grp ORDER BY dimension COLLATE \"C\", grp COLLATE \"C\"")
expected=$(LC_ALL=C sort <<<"$expected")
actual=$(LC_ALL=C sort <<<"$actual")
assert_eq "$expected" "$actual" "daily counts per dimension and group match the CSV"
assert_eq 218 "$(psql_val "SELECT count(*) FROM equality.event_keys WHERE source = 'stop-search'")" \
    "one de-duplication key per CSV row"

# Self-defined against officer-defined broad group (migration 019), per
# local day, against the CSV; force-wide, every one of the 218 rows carries
# both columns, and 170 agree (white 120, black 17, asian 17, other 2, not
# stated on both sides 14).
expected=$(python3 "$here/expected_policeuk.py" agreement "$CSV" | LC_ALL=C sort)
actual=$(psql_val "SELECT day || '|' || self_defined || '|' || officer_defined || '|' || searches
                     FROM equality.stop_search_ethnicity_agreement WHERE area = 'cambridgeshire'" |
    LC_ALL=C sort)
assert_eq "$expected" "$actual" "self-defined x officer-defined counts per day match the CSV"
assert_eq "218|170|0" "$(psql_val "SELECT sum(searches), sum(searches) FILTER (WHERE self_defined = officer_defined),
                                          count(*) FILTER (WHERE area <> 'cambridgeshire')
                                     FROM equality.stop_search_ethnicity_agreement")" \
    "the agreement table: all 218 searches, 170 on its diagonal, the force's rows only"

# Force-wide, against the file's value counts taken by hand (Legislation:
# Misuse of Drugs Act 1971 (section 23) 153, PACE (section 1) 65; Outcome:
# A no further action disposal 140, Arrest 43, Community resolution 24,
# Caution 10, Summons 1; Age range: 10-17 29, under 10 1), in every dimension.
# searches|pace_s1|mda_s23|section_60|other_power|nfa|arrests|other_outcome|children
want='218|65|153|0|0|140|43|35|30'
assert_eq "$(for d in age_range ethnicity ethnicity_detailed gender officer_defined_ethnicity; do echo "$d|$want"; done)" \
    "$(psql_val "SELECT dimension || '|' || sum(searches) || '|' || sum(pace_s1) || '|' ||
                        sum(mda_s23) || '|' || sum(section_60) || '|' || sum(other_power) || '|' ||
                        sum(nfa) || '|' || sum(arrests) || '|' || sum(other_outcome) || '|' ||
                        sum(children)
                   FROM equality.stop_search_daily WHERE area = 'cambridgeshire'
                  GROUP BY dimension ORDER BY dimension COLLATE \"C\"")" \
    "force-wide powers, outcomes (35 = 24 + 10 + 1 other) and children (30 = 29 + 1)"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.stop_search_daily
                         WHERE pace_s1 + mda_s23 + section_60 + other_power <> searches
                            OR nfa + arrests + other_outcome <> searches")" \
    "on every row, one power and one outcome per search"

# Ratios: population rate ratios and Katz intervals for each window.
expected=$(python3 "$here/expected_policeuk.py" ratios "$CSV" "$CENSUS" "$CAMBS" 28,91,365)
n_checked=0
while IFS='|' read -r win grp n pop ref_n ref_pop ratio lo hi; do
    row=$(psql_val "SELECT n || '|' || base || '|' || ref_n || '|' || ref_base || '|' ||
                           (abs(ratio - $ratio) < 1e-6 * $ratio)::text || '|' ||
                           (abs(ci_low - $lo) < 1e-6 * $lo)::text || '|' ||
                           (abs(ci_high - $hi) < 1e-6 * $hi)::text
                    FROM equality.disparity
                    WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                      AND dimension = 'ethnicity' AND grp = '$grp' AND window_days = $win")
    assert_eq "$n|$pop|$ref_n|$ref_pop|true|true|true" "$row" \
        "searches rate ratio $grp vs white, $win days (expected $ratio, CI $lo-$hi)"
    n_checked=$((n_checked + 1))
done <<<"$expected"
[ "$n_checked" -ge 15 ] || fail "only $n_checked ratios checked"

# The shares of migration 016 (power, outcome, children), every dimension,
# group and window, with their ratios to the reference group and intervals.
eqm_dump_figures 'stop_search.%' "$EQM_TEST_DIR/disparity.tsv"
python3 "$here/expected_policeuk.py" shares "$CSV" cambridgeshire 28,91,365 \
    "$EQM_TEST_DIR/disparity.tsv" || fail "share figures differ from the independent computation"

# The window ends at the newest event's local day.
assert_eq 2025-07-31 "$(psql_val "SELECT DISTINCT window_end FROM equality.disparity")" \
    "windows end on the newest event's day"

# Replaying the same file changes nothing.
before=$(psql_val "SELECT sum(searches), sum(arrests) FROM equality.stop_search_daily")
"$BIN/eqm-replay" police-uk --area cambridgeshire "$CSV"
run_consumer
after=$(psql_val "SELECT sum(searches), sum(arrests) FROM equality.stop_search_daily")
assert_eq "$before" "$after" "a second replay of the same file counts nothing"
assert_eq 218 "$(psql_val "SELECT sum(searches) FROM equality.stop_search_ethnicity_agreement")" \
    "a second replay adds nothing to the agreement table"
assert_eq 436 "$(psql_val "SELECT sum(next_offset) FROM equality.kafka_offsets
                            WHERE topic = 'stop-search.events'")" \
    "both replays consumed (offsets advanced past 436 messages)"
echo "PASS test_stop_search_policeuk ($n_checked ratios checked)"
