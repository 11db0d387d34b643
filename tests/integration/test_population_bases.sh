#!/usr/bin/env bash
# Population bases (migration 020, README "Population"): Census 2011
# (KS201EW, Cambridgeshire force area) and Census 2021 (TS021, districts)
# load side by side; a bad file loads nothing and says file:line; the rule
# puts a period ending in March 2021 on Census 2011 and a later one on
# Census 2021.
#
# The Home Office's published figure (stop and search, year ending March
# 2021, Cambridgeshire, Census 2011 force-area population): Black 1,920
# and White 256 searches per 100,000 people, a ratio of 7.5. The counts
# are rebuilt from those rates and the 2011 populations in the file; a
# stream of them dated in 2020/21 goes through eqm-stop-search, and its
# figure on the Census 2011 base must come out 7.5; on the Census 2021
# base the ratio this script computes from the 2021 file. The dashboard's
# monthly trend puts each month on its own base, and a month alone equals
# period_figures'.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

C2011=$SHARED/data/census-2011/ethnic-group-cambridgeshire-pfa.csv
C2021=$SHARED/data/census-2021/ethnic-group-by-district.csv
CAMBS=E06000031,E07000008,E07000009,E07000010,E07000011,E07000012

eqm_test_stack_up

rows() { psql_val "SELECT count(*) FROM equality.population_district WHERE base = '$1'"; }
# must_fail PATTERN ARGS...: eqm-admin ARGS fails and says PATTERN.
must_fail() {
    local pat=$1 out rc=0
    shift
    out=$("$BIN/eqm-admin" "$@" 2>&1) || rc=$?
    [ "$rc" -ne 0 ] || fail "eqm-admin $* succeeded: $out"
    grep -qE "$pat" <<<"$out" || fail "eqm-admin $*: no \"$pat\" in: $out"
    eqm_test_log "refused as it should: $out"
}

# Bad files first: nothing of them is loaded.
must_fail 'unknown population base "census-1901" \(known: census-2011, census-2021' \
    load-population --base census-1901 "$C2011"
must_fail 'ethnic-group-by-district.csv:2: census_category ".*" is worded as in Census 2021 \(TS021\), not Census 2011' \
    load-population --base census-2011 "$C2021"
bad=$EQM_TEST_DIR/bad-2011.csv
{ head -n 10 "$C2011"; echo 'E23000023,Cambridgeshire,White: Roma,100'; tail -n +11 "$C2011"; } >"$bad"
must_fail 'bad-2011.csv:11: census_category "White: Roma" is worded as in Census 2021' \
    load-population --base census-2011 "$bad"
{ cat "$C2011"; echo 'E23000023,Cambridgeshire,All usual residents,804840'; } >"$bad"
must_fail 'bad-2011.csv:20: the total of E23000023, 804840, is not the sum of its categories, 804841' \
    load-population --base census-2011 "$bad"
{ head -n 5 "$C2011"; echo 'E23000023,Cambridgeshire,White: Irish,12x'; } >"$bad"
must_fail 'bad-2011.csv:6: population "12x" is not a whole number' \
    load-population "$bad" --base census-2011
assert_eq "0|0" "$(rows census-2011)|$(rows census-2021)" "nothing of a bad file loaded"

# Both bases; the 2021 one without --base, as before.
"$BIN/eqm-admin" load-population "$C2021" >"$EQM_TEST_DIR/load.out"
{ cat "$C2011"; echo 'E23000023,Cambridgeshire,All usual residents,804841'; } >"$EQM_TEST_DIR/c2011.csv"
"$BIN/eqm-admin" load-population --base census-2011 "$EQM_TEST_DIR/c2011.csv" >>"$EQM_TEST_DIR/load.out"
grep -q 'into base census-2021 (Census 2021 (TS021)): 6289 rows, 331 districts, 59597578 people' \
    "$EQM_TEST_DIR/load.out" || fail "2021 load: $(cat "$EQM_TEST_DIR/load.out")"
grep -q 'into base census-2011 (Census 2011 (KS201EW)): 18 rows, 1 districts, 804841 people' \
    "$EQM_TEST_DIR/load.out" || fail "2011 load: $(cat "$EQM_TEST_DIR/load.out")"
assert_eq "18|6289" "$(rows census-2011)|$(rows census-2021)" "both bases loaded side by side"
# Every row has its detailed group, as the SQL table of categories says.
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.population_district p
                          LEFT JOIN equality.census_categories c
                                 ON c.census = substr(p.base, 8)::int
                                AND c.census_category = p.census_category
                                AND c.detailed_group = p.detailed_group
                                AND c.broad_group = p.broad_group
                          WHERE c.census IS NULL")" "rows whose groups disagree with census_categories"
assert_eq "18|19" "$(psql_val "SELECT count(DISTINCT detailed_group) FILTER (WHERE base = 'census-2011'),
                                      count(DISTINCT detailed_group) FILTER (WHERE base = 'census-2021')
                                 FROM equality.population_district")" "18 and 19 detailed groups"

# The force area: the six districts of 2021 and the force-area code of
# 2011; each base has the codes it has. The sums are the data README's.
"$BIN/eqm-admin" define-area cambridgeshire "$CAMBS,E23000023" >/dev/null
pop() { psql_val "SELECT population FROM equality.area_population_by_base
                   WHERE base = '$1' AND area = 'cambridgeshire' AND grp = '$2'"; }
assert_eq "726531|10174|47130" "$(pop census-2011 white)|$(pop census-2011 black)|$(pop census-2011 asian)" \
    "Census 2011 force-area population"
assert_eq "763744|18496|70491" "$(pop census-2021 white)|$(pop census-2021 black)|$(pop census-2021 asian)" \
    "Census 2021 force-area population"
assert_eq 7595 "$(psql_val "SELECT population FROM equality.area_population_detailed
                             WHERE base = 'census-2011' AND area = 'cambridgeshire'
                               AND detailed_group = 'asian_chinese'")" "2011 Chinese, detailed"
# The rule, by default the Home Office's.
assert_eq "census-2011|census-2011|census-2021|census-2021" \
    "$(psql_val "SELECT equality.population_base_for('2011-01-01') || '|' ||
                        equality.population_base_for('2021-03-31') || '|' ||
                        equality.population_base_for('2021-04-01') || '|' ||
                        equality.population_base_for(current_date)")" "base for a period"

# The counts behind the published rates, from the 2011 populations in the
# file: searches = rate per 100,000 x population / 100,000, to the nearest.
read -r w11 b11 w21 b21 < <(awk -F, '
    FNR == 1 { next }
    FILENAME ~ /2011/ { g = $3 ~ /^White/ ? "w" : ($3 ~ /^Black/ ? "b" : ""); if (g) p11[g] += $NF }
    FILENAME ~ /2021/ && $1 ~ /^(E06000031|E07000008|E07000009|E07000010|E07000011|E07000012)$/ {
        g = $0 ~ /,"?White/ ? "w" : ($0 ~ /,"Black/ ? "b" : ""); if (g) p21[g] += $NF }
    END { print p11["w"], p11["b"], p21["w"], p21["b"] }' "$C2011" "$C2021")
assert_eq "726531 10174 763744 18496" "$w11 $b11 $w21 $b21" "populations read from the files"
white_n=$(awk -v p="$w11" 'BEGIN { printf "%d", 256 * p / 100000 + 0.5 }')
black_n=$(awk -v p="$b11" 'BEGIN { printf "%d", 1920 * p / 100000 + 0.5 }')
want11=$(awk -v bn="$black_n" -v wn="$white_n" -v b="$b11" -v w="$w11" \
    'BEGIN { printf "%.1f", (bn / b) / (wn / w) }')
want21=$(awk -v bn="$black_n" -v wn="$white_n" -v b="$b21" -v w="$w21" \
    'BEGIN { printf "%.6f", (bn / b) / (wn / w) }')
eqm_test_log "counts: black $black_n, white $white_n; ratio on 2011 $want11, on 2021 $want21"
assert_eq 7.5 "$want11" "the published ratio from the rebuilt counts (a check on this script)"

# A stream dated in 2020/21: the searches spread over the year ending 31
# March 2021, the last on 31 March (the windows end there).
python3 - "$black_n" "$white_n" >"$EQM_TEST_DIR/stream.jsonl" <<'PY'
import datetime, json, sys
black, white = int(sys.argv[1]), int(sys.argv[2])
start = datetime.date(2020, 4, 1)
for i in range(black + white):
    day = 364 if i == black + white - 1 else (i * 7) % 365
    print(json.dumps({"event_id": f"hb-{i}", "event_type": "stop_search",
                      "occurred_at": f"{start + datetime.timedelta(days=day)}T12:00:00Z",
                      "area": "E07000008",
                      "self_defined_ethnicity": "Black" if i < black else "White"}))
PY
kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k cambs <"$EQM_TEST_DIR/stream.jsonl"

# Three rules on the same figure (Black, searches, 365 days): one that
# fires above 6 and clears below 5, one that fires at or below 5 and
# clears above 6, and one that fires above 4 (clears below 3.5). On Census
# 2011 (7.5) the first and third fire; on Census 2021 (about 4.3, below)
# the first would resolve and the second fire, each only because the
# population changed; the third fires on both.
rules=$EQM_TEST_DIR/rules.json
cat >"$rules" <<'JSON'
{"rules": [
  {"name": "hb-above", "measure": "stop_search.searches", "dimension": "ethnicity",
   "groups": ["black"], "window_days": 365, "comparison": ">=", "threshold": 6.0, "clear": 5.0,
   "min_count": 1, "audience": "stop-search-scrutiny-group"},
  {"name": "hb-below", "measure": "stop_search.searches", "dimension": "ethnicity",
   "groups": ["black"], "window_days": 365, "comparison": "<=", "threshold": 5.0, "clear": 6.0,
   "min_count": 1, "audience": "stop-search-scrutiny-group"},
  {"name": "hb-steady", "measure": "stop_search.searches", "dimension": "ethnicity",
   "groups": ["black"], "window_days": 365, "comparison": ">=", "threshold": 4.0, "clear": 3.5,
   "min_count": 1, "audience": "stop-search-scrutiny-group"}
]}
JSON
consume() {
    timeout 180 "$BIN/eqm-stop-search" --exit-when-idle 3 --force-area cambridgeshire \
        --alerts-rules="$rules" -X session.timeout.ms=6000 --log-level warn \
        >>"$EQM_TEST_DIR/ss.log" 2>&1 ||
        fail "eqm-stop-search failed: $(tail -5 "$EQM_TEST_DIR/ss.log")"
}
# msgs [WHERE]: rule|area|status|transition|population_base|restated_from, in order.
msgs() {
    psql_val "SELECT payload->>'rule' || '|' || (payload->>'area') || '|' || status || '|' ||
                     (payload->>'transition') || '|' ||
                     coalesce(payload->>'population_base', '-') || '|' ||
                     coalesce(payload->>'restated_from', '-')
                FROM equality.alert_outbox WHERE ${1:-true} ORDER BY id"
}
consume
eqm_test_log "engine: $(psql_val "SELECT count(*) || ' figures, windows ending ' || string_agg(DISTINCT window_end::text, ',') || ' areas ' || string_agg(DISTINCT area, ',') FROM equality.figures") $(tail -3 "$EQM_TEST_DIR/ss.log")"

fig() {
    psql_val "SELECT $1 FROM equality.figures_on_base
               WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                 AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 365"
}
assert_eq "2021-03-31|$black_n|$white_n" "$(fig "window_end || '|' || n || '|' || ref_n")" \
    "the engine counted the stream over the year ending March 2021"
assert_eq "census-2011|$b11|$w11|7.5" \
    "$(fig "population_base || '|' || base || '|' || ref_base || '|' || round(ratio::numeric, 1)")" \
    "the year ending March 2021 on the Census 2011 base: the Home Office's 7.5"
assert_eq "$want21" "$(psql_val "SELECT round(equality.rate_ratio_on_base('census-2021',
                                   'cambridgeshire', 'black', $black_n, 'white', $white_n)::numeric, 6)")" \
    "the same counts on the Census 2021 base"
[ "$(awk -v x="$want21" 'BEGIN { print (x < 7.4 || x > 7.6) }')" = 1 ] ||
    fail "the Census 2021 ratio $want21 should differ from 7.5"
# The engine's own figure divides by the base of its window's last day
# (31 March 2021: Census 2011), and names it.
want11_6=$(awk -v bn="$black_n" -v wn="$white_n" -v b="$b11" -v w="$w11" \
    'BEGIN { printf "%.6f", (bn / b) / (wn / w) }')
engine() {
    psql_val "SELECT population_base || '|' || base || '|' || round(ratio::numeric, 6)
                FROM equality.figures
               WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                 AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 365"
}
assert_eq "census-2011|$b11|$want11_6" "$(engine)" "the engine's figure, on its window's base"
# (Cambridge, E07000008, has no figure: the 2011 table is the force area's.)
assert_eq "hb-above|cambridgeshire|firing|firing|census-2011|-
hb-steady|cambridgeshire|firing|firing|census-2011|-" "$(msgs)" \
    "on Census 2011: two alerts fire, as alerts"

# The rule is data: moved (as the administrator), the same figure follows.
psql -XAtq -v ON_ERROR_STOP=1 "$EQM_ADMIN_PG_URL" -c "
    UPDATE equality.population_base_rule SET period_to = '2020-12-31' WHERE base = 'census-2011';
    UPDATE equality.population_base_rule SET period_from = '2021-01-01' WHERE base = 'census-2021';" \
    >/dev/null || fail "the administrator cannot edit the rule"
assert_eq "census-2021|$want21" "$(fig "population_base || '|' || round(ratio::numeric, 6)")" \
    "with the rule moved, the year ending March 2021 is on Census 2021"
# Restated at the next recomputation (the consumer restarted, no new
# event): for the force area hb-above resolves and hb-below fires, each
# announced as a restatement naming both bases; hb-steady, firing on both,
# says nothing. Cambridge gets its first figure (2021 has its population),
# about 3.2: hb-below fires there, a restatement too (the 2011 base gave
# it no figure, so no alert); hb-steady does not fire there.
consume
assert_eq "census-2021|$b21|$want21" "$(engine)" "the engine's figure, restated on Census 2021"
camb=$(psql_val "SELECT sum(population) FILTER (WHERE grp = 'black') || ' ' ||
                        sum(population) FILTER (WHERE grp = 'white')
                   FROM equality.area_population_by_base
                  WHERE base = 'census-2021' AND area = 'E07000008'")
read -r cb cw <<<"$camb"
cn=$(psql_val "SELECT n || ' ' || ref_n FROM equality.figures
                WHERE measure = 'stop_search.searches' AND area = 'E07000008'
                  AND dimension = 'ethnicity' AND grp = 'black' AND window_days = 365")
read -r cbn cwn <<<"$cn"
assert_eq "$black_n $white_n" "$cbn $cwn" "every search of the stream is in Cambridge"
wantc=$(awk -v bn="$cbn" -v wn="$cwn" -v b="$cb" -v w="$cw" 'BEGIN { printf "%.6f", (bn / b) / (wn / w) }')
assert_eq "census-2021|$wantc" "$(psql_val "SELECT population_base || '|' || round(ratio::numeric, 6)
                                       FROM equality.figures
                                      WHERE measure = 'stop_search.searches' AND area = 'E07000008'
                                        AND dimension = 'ethnicity' AND grp = 'black'
                                        AND window_days = 365")" "Cambridge on Census 2021"
[ "$(awk -v x="$wantc" 'BEGIN { print (x > 1 && x < 3.5) }')" = 1 ] ||
    fail "Cambridge's ratio $wantc should be below both hb-steady's clearing level and hb-below's threshold"
assert_eq "hb-above|cambridgeshire|resolved|restated|census-2021|census-2011
hb-below|E07000008|firing|restated|census-2021|census-2011
hb-below|cambridgeshire|firing|restated|census-2021|census-2011" \
    "$(msgs "payload->>'transition' = 'restated'" | sort)" "on Census 2021: three restatements"
assert_eq 5 "$(psql_val "SELECT count(*) FROM equality.alert_outbox")" \
    "on Census 2021: no firing or resolved message beside them"
for r in hb-above hb-below; do
    sum=$(psql_val "SELECT payload->>'summary' FROM equality.alert_outbox
                     WHERE payload->>'rule' = '$r' AND payload->>'transition' = 'restated'
                       AND payload->>'area' = 'cambridgeshire'")
    eqm_test_log "$r: $sum"
    case $sum in
    "Restated: "*", restated on the Census 2021 population instead of Census 2011: "*"not a change in policing.") ;;
    *) fail "$r: the sentence does not say it was restated: $sum" ;;
    esac
done
assert_eq "census-2021|" "$(psql_val "SELECT population_base || '|' || coalesce(previous_base, '')
                                       FROM equality.figure_bases WHERE source = 'stop-search'")" \
    "the previous base is forgotten once the alerts were judged on the new one"
# Once restated, nothing more: another restart writes no message.
consume
assert_eq 5 "$(psql_val "SELECT count(*) FROM equality.alert_outbox")" "no message on a restart"
psql_val "SELECT payload FROM equality.alert_outbox ORDER BY id" >"$EQM_TEST_DIR/payloads"
python3 - "$EQM_SOURCE_DIR/schemas/events/alert.schema.json" "$EQM_TEST_DIR/payloads" <<'PY' ||
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for line in open(sys.argv[2]):
    v.validate(json.loads(line))
PY
    fail "outbox payloads match alert.schema.json"

# The analyst reads the same through equality_read.
assert_eq "census-2021" "$(psql -XAtq -v ON_ERROR_STOP=1 "$EQM_WEB_PG_URL" -c \
    "SELECT population_base FROM equality_read.figures_on_base
      WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
        AND grp = 'black' AND window_days = 365")" "the analyst's view names the base"
"$BIN/eqm-admin" population-bases | grep -q 'census-2011' || fail "population-bases lists no base"
# The dashboard's monthly trend divides each month by the base the rule
# (still moved: Census 2011 to December 2020) gives for the month's last
# day, as period_figures does: April to December 2020 on Census 2011,
# January to March 2021 on Census 2021, the rolling 12 months to March
# 2021 the engine's restated figure. Computed here from the stream.
eqm_web_up
for span in 12 1; do
    assert_eq 200 "$(eqm_web_get "/api/stop-search/trend.json?area=cambridgeshire&group=black&span=$span" \
        "$EQM_TEST_DIR/trend$span.json")" "trend, span $span"
done
psql -XAtq -v ON_ERROR_STOP=1 "$EQM_WEB_PG_URL" -F '|' -c "
    SELECT period, events, ref_events, population_base, round(ratio::numeric, 9)
      FROM equality_read.period_figures
     WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire' AND period_kind = 'month'
       AND dimension = 'ethnicity' AND grp = 'black' ORDER BY period" >"$EQM_TEST_DIR/months.txt" ||
    fail "period_figures by month"
python3 - "$EQM_TEST_DIR/stream.jsonl" "$EQM_TEST_DIR/trend12.json" "$EQM_TEST_DIR/trend1.json" \
    "$EQM_TEST_DIR/months.txt" "$b11 $w11 $b21 $w21" "$want21" <<'PY' || fail "the trend on each month's base"
import collections, json, math, sys
stream, t12, t1, months_txt, pops, want21 = sys.argv[1:]
b11, w11, b21, w21 = map(int, pops.split())
count = collections.Counter()
for line in open(stream):
    e = json.loads(line)
    count[(e["occurred_at"][:7], e["self_defined_ethnicity"])] += 1
months = [f"2020-{m:02d}" for m in range(4, 13)] + [f"2021-{m:02d}" for m in range(1, 4)]
def base(month):  # the moved rule
    return ("Census 2011", b11, w11) if month <= "2020-12" else ("Census 2021", b21, w21)
def katz(a, pa, b, pb):
    r = (a / pa) / (b / pb)
    se = math.sqrt(1 / a - 1 / pa + 1 / b - 1 / pb)
    return r, r * math.exp(-1.959963984540054 * se), r * math.exp(1.959963984540054 * se)
def close(want, got, what):
    if got is None or abs(want - got) > 1e-9 * abs(want):
        sys.exit(f"{what}: {got}, expected {want}")
for path, span in ((t12, 12), (t1, 1)):
    d = json.load(open(path))
    rows = d["rows"]
    if [r["month"] for r in rows] != months:
        sys.exit(f"span {span}: months {[r['month'] for r in rows]}")
    for i, (row, month) in enumerate(zip(rows, months)):
        window = months[max(0, i - span + 1):i + 1]
        a = sum(count[(m, "Black")] for m in window)
        b = sum(count[(m, "White")] for m in window)
        name, pa, pb = base(month)
        what = f"span {span} {month}"
        if (row["group_events"], row["reference_events"], row["population_base"],
                row["group_population"], row["reference_population"]) != (a, b, name, pa, pb):
            sys.exit(f"{what}: {row}, expected {a} {b} {name} {pa} {pb}")
        if a < d["min_events"] or b < d["min_events"]:
            if row["ratio"] is not None:
                sys.exit(f"{what}: a ratio from {a} and {b} searches")
            continue
        r, lo, hi = katz(a, pa, b, pb)
        close(r, row["ratio"], what + " ratio")
        close(lo, row["ci_low"], what + " ci_low")
        close(hi, row["ci_high"], what + " ci_high")
last = json.load(open(t12))["rows"][-1]
if f"{last['ratio']:.6f}" != want21:
    sys.exit(f"the 12 months to March 2021: {last['ratio']:.6f}, the restated figure {want21}")
# Each month alone is period_figures' month: its counts, base and ratio.
pf = {}
for line in open(months_txt):
    period, n, ref_n, b, ratio = line.rstrip("\n").split("|")
    pf[period] = (int(n), int(ref_n), b, float(ratio) if ratio else None)
compared = 0
for row in json.load(open(t1))["rows"]:
    n, ref_n, b, ratio = pf[row["month"]]
    want_base = "census-2011" if row["month"] <= "2020-12" else "census-2021"
    if (n, ref_n, b) != (row["group_events"], row["reference_events"], want_base):
        sys.exit(f"{row['month']}: period_figures {n} {ref_n} {b}, trend {row}")
    if row["ratio"] is not None:
        if ratio is None or abs(ratio - row["ratio"]) > 1e-8:
            sys.exit(f"{row['month']}: period_figures' ratio {ratio}, the trend's {row['ratio']}")
        compared += 1
if compared < 6:
    sys.exit(f"only {compared} months with a ratio to compare")
print(f"the trend: 2020 on Census 2011, 2021 on Census 2021, as computed; {compared} months "
      "alone equal period_figures'")
PY

echo "PASS test_population_bases"
