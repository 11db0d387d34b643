#!/usr/bin/env bash
#
# eqm-web's use of force and custody panel over a stack fed with a
# synthetic custody stream (eqm-replay synth custody: two Cambridgeshire
# districts, 14 months, black people arrested at twice the rate, force used
# on them 1.5 times as often, Taser three times, diverted from court half as
# often). The API's forest plot (each tactic's rate ratio and Katz interval),
# Taser table, out-of-court shares and trends equal the figures computed in
# Python from the generator's exact counts and the Census file
# (web_custody_expected.py); the CSV holds the JSON's rows; a bad measure is
# a 400; /custody and its pack load in headless Chromium with no console
# error, each chart drawn with the series and points of its data
# (screenshots custody.png and custody-pack.png in
# $EQM_BUILD_DIR/test-artifacts/web/); the pack's PDF holds the period and
# the sections (pdftotext).
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

here=$(dirname "${BASH_SOURCE[0]}")
CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv
ART=$EQM_BUILD_DIR/test-artifacts/web
A1=E07000008 # Cambridge
A2=E07000012 # South Cambridgeshire
FORCE="force=$A1,$A2"
py=$(eqm_test_python websocket)
command -v chromium >/dev/null || fail "chromium not installed (./dev.sh setup)"
command -v pdftotext >/dev/null || fail "pdftotext not installed (poppler-utils)"
mkdir -p "$ART"

eqm_test_stack_up
"$BIN/eqm-admin" load-population "$CENSUS" >/dev/null
"$BIN/eqm-admin" define-area force "$A1,$A2" >/dev/null

# 40,000 events from 2 May 2024 to 30 June 2025: 14 months, the first
# nearly whole, so a rolling 12 months is whole from April 2025.
exp=$EQM_TEST_DIR/expected.tsv
timeout 60 "$BIN/eqm-replay" synth custody --seed 7 --events 40000 --area "$A1,$A2" \
    --census "$CENSUS" --end 2025-06-30 --days 425 --expected "$exp" \
    -m arrest:black=2,use_of_force:black=1.5,taser:black=3,diversion:black=0.5 2>/dev/null ||
    fail "eqm-replay synth custody failed"
timeout 120 "$BIN/eqm-custody" --exit-when-idle 3 --log-level warn ||
    fail "eqm-custody failed"
want=$(awk -F'\t' 'NR > 1 && $3 == "ethnicity" && $5 == "use_of_force" { s += $6 } END { print s }' "$exp")
assert_eq "$want" "$(psql_val "SELECT sum(use_of_force) FROM equality.custody_daily
                                WHERE area = 'force' AND dimension = 'ethnicity'")" \
    "every use of force counted"

eqm_web_up
get() { eqm_web_get "$@"; }
# check WHAT FILE [key=value...]: the API's JSON against web_custody_expected.py.
check() { "$py" "$here/web_custody_expected.py" "$exp" "$CENSUS" "$FORCE" "$@" || fail "$1: $2"; }

# The API against the independent computation.
D=$EQM_TEST_DIR
assert_eq 200 "$(get /api/custody/tactics.json "$D/tactics.json")" "tactics"
check tactics "$D/tactics.json" need_too_few=1 need_drawn=6 need_taser=1
assert_eq 200 "$(get '/api/custody/tactics.json?area=E07000012&group=black&from=2024-09&to=2025-02' \
    "$D/tactics-district.json")" "tactics of a district over the months chosen"
check tactics "$D/tactics-district.json" area=E07000012 group=black from=2024-09 to=2025-02 \
    need_too_few=1
assert_eq 200 "$(get '/api/custody/tactics.json?to=2025-03' "$D/tactics-to.json")" \
    "tactics over the 12 months to a month"
check tactics "$D/tactics-to.json" to=2025-03
assert_eq 200 "$(get /api/custody/taser.json "$D/taser.json")" "taser"
check taser "$D/taser.json"
assert_eq 200 "$(get /api/custody/out_of_court.json "$D/ooc.json")" "out of court"
check out_of_court "$D/ooc.json"
for m in use_of_force arrests detentions strip_searches; do
    assert_eq 200 "$(get "/api/custody/trend.json?measure=$m" "$D/trend-$m.json")" "trend of $m"
    check trend "$D/trend-$m.json" measure=$m span=12
done
assert_eq 200 "$(get /api/custody/trend.json "$D/trend-default.json")" "trend, no measure"
check trend "$D/trend-default.json" span=12
# By financial year (the year ending March 2025 whole, the next running).
for m in use_of_force arrests; do
    assert_eq 200 "$(get "/api/custody/years.json?measure=$m" "$D/years-$m.json")" "years of $m"
    check years "$D/years-$m.json" measure=$m
done
# Cambridge's black people, the month alone: 5 to 25 uses of force a month,
# some months too few to compare and some not.
assert_eq 200 "$(get '/api/custody/trend.json?span=1&area=E07000008&group=black' \
    "$D/trend-district.json")" "trend of a district, the month alone"
check trend "$D/trend-district.json" span=1 area=E07000008 group=black need_too_few=1 need_drawn=1

# The CSV: the JSON's rows under its columns.
assert_eq 200 "$(get /api/custody/tactics.csv "$D/tactics.csv")" "tactics CSV"
"$py" - "$D/tactics.csv" "$D/tactics.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
data = json.load(open(sys.argv[2]))
assert list(rows[0]) == data["columns"], (list(rows[0]), data["columns"])
assert [r["tactic"] for r in rows] == [r["tactic"] for r in data["rows"]]
assert [int(r["group_events"]) for r in rows] == [r["group_events"] for r in data["rows"]]
for r, j in zip(rows, data["rows"]):
    assert (r["ratio"] == "") == (j["ratio"] is None), (r, j)
    assert j["ratio"] is None or abs(float(r["ratio"]) - j["ratio"]) < 1e-12
print(f"CSV: {len(rows)} tactics, as the JSON")
PY

# A measure the panel does not have is refused with the ones it has.
assert_eq 400 "$(get '/api/custody/trend.json?measure=searches' "$D/bad")" "unknown measure"
grep -q 'measure must be one of: use_of_force arrests detentions strip_searches' "$D/bad" ||
    fail "no reason for the unknown measure: $(cat "$D/bad")"
assert_eq 400 "$(get '/api/stop-search/trend.json?measure=arrests' "$D/bad")" \
    "a measure where the panel has none"

# The page and its pack in a real browser: no console error; each chart
# drawn with the series and points of its data.
charts='JSON.stringify(Object.fromEntries(Object.entries(window.eqmCharts || {}).map(([k, c]) => [k, {type: c.config.type, x: c.scales.x.type, labels: c.data.labels, sets: c.data.datasets.map(d => [d.label, d.data.length, d.data.filter(v => v !== null).length])}])))'
for page in custody custody/pack.html; do
    name=${page//\//-}
    name=${name%.html}
    timeout 90 "$py" "$here/browser.py" "$URL/$page" --timeout 60 --ready 'window.eqmReady === true' \
        --eval "$charts" --screenshot "$ART/$name.png" --out "$D/browser-$name.json" >/dev/null ||
        fail "browser: $page: $(cat "$D/browser-$name.json" 2>/dev/null)"
    [[ -s $ART/$name.png ]] || fail "no screenshot $ART/$name.png"
done
"$py" - "$D" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(name):
    return json.load(open(os.path.join(d, name)))
def charts(name):
    return json.loads(load(f"browser-{name}.json")["evals"][0])
c = charts("custody")
assert charts("custody-pack") == c, "the pack draws other charts than the page"
want = ["chart-ooc-ratio", "chart-ooc-share", "chart-quality", "chart-tactics",
        "chart-trend-arrests", "chart-trend-detentions", "chart-trend-strip_searches",
        "chart-trend-use_of_force"]
assert sorted(c) == want, sorted(c)

def forest(chart, data, key):
    drawn = [r for r in data["rows"] if not r["too_few"] and r["ratio"] and r["ci_low"]]
    assert chart["x"] == "logarithmic", chart
    assert chart["labels"] == [r[key] for r in drawn], (chart["labels"], drawn)
    assert [s[1:] for s in chart["sets"]] == [[len(drawn)] * 2] * 2, chart["sets"]
    return chart["labels"]

# The forest plot: a point and an interval per tactic not too few.
tac = load("tactics.json")
labels = forest(c["chart-tactics"], tac, "tactic")
few = [r["tactic"] for r in tac["rows"] if r["too_few"]]
assert few and not set(few) & set(labels), (few, labels)
i = labels.index("Taser drawn")
assert labels[i + 1] == "Taser discharged", labels
# Out of court: the shares of every group with disposals, the ratios drawn.
ooc = load("ooc.json")
share = c["chart-ooc-share"]
assert share["labels"] == [r["group"] for r in ooc["rows"] if r["share"] is not None], share
assert share["sets"][0][1:] == [len(share["labels"])] * 2, share
forest(c["chart-ooc-ratio"], ooc, "group")
# The trends: band (two edges), ratio, threshold; a rolling 12 drawn once whole.
for m in ("use_of_force", "arrests", "detentions", "strip_searches"):
    t = load(f"trend-{m}.json")
    sets = {s[0]: s[1:] for s in c[f"chart-trend-{m}"]["sets"]}
    n = len(t["rows"])
    assert len(sets) == 4 and all(v[0] == n for v in sets.values()), (m, sets)
    whole = sum(r["months"] == 12 and r["ratio"] is not None for r in t["rows"])
    assert whole >= 2 and sets["rate ratio, bme to White"][1] == whole, (m, sets, whole)
    assert sets["alert threshold"][1] == n, (m, sets)
# Data quality: the share not stated every month, the ratios where whole.
q = [s[1:] for s in c["chart-quality"]["sets"]]
t = load("trend-use_of_force.json")
assert q[0] == [len(t["rows"]), sum(r["not_stated_share"] is not None for r in t["rows"])], q
print(f"browser: forest {labels}, too few {few}; 8 charts as their data, the pack the same")
PY
grep -q 'too few to compare' <(curl -sS --max-time 10 "$URL/custody") ||
    fail "the page does not say too few to compare"

# The pack as PDF: its text by pdftotext holds the period and the sections.
assert_eq 200 "$(get '/custody/pack.pdf?from=2024-07&to=2025-06' "$ART/custody-pack.pdf")" "pack PDF"
assert_eq "%PDF-" "$(head -c 5 "$ART/custody-pack.pdf")" "the pack is a PDF"
pdftotext -layout "$ART/custody-pack.pdf" "$D/pack.txt"
for want in "Use of force and custody" "Area: force" "2024-07" "2025-06" "Produced" \
    "Use of force by tactic" "Taser drawn" "Taser discharged" "Discharged per drawn" \
    "Trend of the rate ratio" "Strip searches in custody" "Out-of-court disposals" \
    "Data quality" "too few to compare" "Method" "Census 2021" "By financial year" \
    "Rate ratio by financial year" "year ending March 2025"; do
    grep -qF "$want" "$D/pack.txt" || fail "the pack's text lacks \"$want\""
done
# The months chosen are the months printed: the trend's table, July 2024 to June 2025.
assert_eq 12 "$(grep -cE '^ *20(24-(0[7-9]|1[0-2])|25-0[1-6]) ' "$D/pack.txt")" \
    "months in the pack's trend table"
grep -q 'months 2024-07 to 2025-06' <(tr -s ' \n' ' ' <"$D/pack.txt") ||
    fail "the pack's forest plot is not over the months chosen"
eqm_test_log "ok (screenshots $ART/custody.png, $ART/custody-pack.png; $ART/custody-pack.pdf)"
