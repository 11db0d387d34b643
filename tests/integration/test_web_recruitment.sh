#!/usr/bin/env bash
#
# eqm-web's recruitment panel over a stack fed with generated recruitment
# events (eqm-replay synth recruitment, exact counts): officers with a
# headcount snapshot in March and another in June, 1,030 applicants with
# black candidates passing the interview at 0.7 times the rate, joiners
# and leavers (BME leavers with 6.2 years of service, White 10); staff
# with 10 applicants a group (too few to compare at every stage) and black
# staff leaving at twice the rate. Each /api/recruitment/<name>.json
# equals the figures computed independently (expected_recruitment_web.py,
# on expected_recruitment.py's formulas); the page and the pack load in
# headless Chromium with no console error and draw each chart with the
# datasets and points of its data (screenshots in
# $EQM_BUILD_DIR/test-artifacts/web/); the pack's PDF holds the section
# headings and the period.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

here=$(dirname "${BASH_SOURCE[0]}")
CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv
ART=$EQM_BUILD_DIR/test-artifacts/web
AREA=E07000008
py=$(eqm_test_python websocket)
command -v chromium >/dev/null || fail "chromium not installed (./dev.sh setup)"
mkdir -p "$ART"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null 2>&1
"$BIN/eqm-admin" load-population "$CENSUS" >/dev/null
# The force is one district here, so its population is Cambridge's.
"$BIN/eqm-admin" define-area force "$AREA" >/dev/null

synth() { "$BIN/eqm-replay" synth recruitment --area "$AREA" "$@" 2>/dev/null; }
old=$EQM_TEST_DIR/officers-march.tsv
officers=$EQM_TEST_DIR/officers.tsv
staff=$EQM_TEST_DIR/staff.tsv
# March: a snapshot only (as of 2025-03-07), 40 BME officers of 940.
synth --seed 6 --role police_officer --campaign snapshot-march --end 2025-04-01 \
    --headcount white=900,asian=18,black=10,mixed=8,other=4,not_stated=40 --expected "$old"
# June (as of 2025-06-06), 46 of 1,000, then the year's funnel, joiners and leavers.
synth --seed 7 --role police_officer --campaign 2025-a \
    --candidates white=400,black=400,asian=200,not_stated=30 --multiplier black:interview=0.7 \
    --headcount white=954,asian=20,black=12,mixed=10,other=4,not_stated=30 \
    --joiners white=95,asian=3,black=3,mixed=1 --leavers white=60,asian=5,black=4,mixed=2 \
    --service-years white=10,asian=6.2,black=6.2,mixed=6.2 --expected "$officers"
synth --seed 8 --role police_staff --campaign 2025-s --candidates white=10,black=10 \
    --multiplier black:interview=0.7 --headcount white=500,black=100 --leaver-rate 0.1 \
    --leaver-multiplier black=2 --expected "$staff"
timeout 120 "$BIN/eqm-recruitment" --exit-when-idle 3 -X session.timeout.ms=6000 \
    --log-level warn --force-area force || fail "eqm-recruitment failed"
assert_eq 1030 "$(psql_val "SELECT sum(entered) FROM equality.recruitment_daily
                             WHERE role = 'police_officer' AND campaign = '*'
                               AND stage = 'application' AND dimension = 'ethnicity'")" \
    "every application counted"
assert_eq 2 "$(psql_val "SELECT count(DISTINCT as_of) FROM equality.headcount_snapshots
                          WHERE role = 'police_officer' AND area = 'force'")" "two snapshots"

eqm_web_up
get() { eqm_web_get "$@"; }
runs=("$old:2025-04-01" "$officers:2025-07-01" "$staff:2025-07-01")
check() { # WHAT ROLE GROUP QUERY
    local out=$EQM_TEST_DIR/$1-$2-$3.json
    assert_eq 200 "$(get "/api/recruitment/$1.json?$4" "$out")" "$1 $2 $3"
    "$py" "$here/expected_recruitment_web.py" "$1" "$CENSUS" "$AREA" "$2" "$3" "$out" \
        "${runs[@]}" || fail "$1 ($2, $3) differs from the independent computation"
}

# The API against the independent computation (defaults: the first role,
# police_officer; the longest window, 365 days; the force; BME).
check funnel police_officer bme ""
check funnel police_officer black "group=black"
check funnel police_staff bme "role=police_staff&window=365"
check counts police_officer bme ""
check representation police_officer bme ""
check leavers police_officer bme ""
check leavers police_staff bme "role=police_staff"
check quality police_officer bme ""
# Worked by hand (expected_recruitment.py's quotas): black officers pass the
# interview 93 of 166 against White's 133 of 166, 0.699; BME officers now
# 46 + 7 - 11 = 42, on average 42 - (7 - 11) / 2 = 44, White 954 + 95 - 60
# = 989, on average 989 - 35 / 2 = 971.5: BME leavers (11/44) / (60/971.5)
# = 4.048 times White's rate; their service 6.2 years against 10.
"$py" - "$EQM_TEST_DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(n): return json.load(open(os.path.join(d, n)))
iv = [r for r in load("funnel-police_officer-black.json")["rows"] if r["stage"] == "Interview"][0]
assert (iv["group_passed"], iv["comparison_passed"], iv["comparison_base"]) == (93, 133, 166), iv
assert round(iv["ratio"], 3) == 0.699 and iv["ratio"] < 0.8, iv
# Staff: 9 of 10 decided at the application (one withdrew), fewer after:
# too few at every stage; end to end the base is the 10 applications.
st = load("funnel-police_staff-bme.json")["rows"]
assert all(r["too_few"] and r["ratio"] is None for r in st[:9]), st
assert not st[9]["too_few"] and st[9]["group_entered"] == 10, st[9]
lv = {r["group"]: r for r in load("leavers-police_officer-bme.json")["rows"]}
assert round(lv["bme"]["ratio"], 3) == 4.048, lv["bme"]
# Whole days: round(6.2 * 365.25) = 2265 and round(10 * 365.25) = 3653.
assert lv["bme"]["mean_service_years"] == 2265 / 365.25, lv["bme"]
assert lv["white"]["mean_service_years"] == 3653 / 365.25, lv["white"]
assert lv["black"]["too_few"] and lv["black"]["ratio"] is None, lv["black"]
print("by hand: interview 0.699, BME leavers 4.048 times as likely, 6.2 years against 10")
PY

# The CSV holds the JSON's rows; bad arguments are refused.
assert_eq 200 "$(get '/api/recruitment/funnel.csv' "$EQM_TEST_DIR/funnel.csv")" "funnel CSV"
assert_eq 11 "$(wc -l <"$EQM_TEST_DIR/funnel.csv")" "a header and ten stages"
assert_eq 400 "$(get '/api/recruitment/funnel.json?window=0' "$EQM_TEST_DIR/bad")" "bad window"
assert_eq 404 "$(get '/api/recruitment/nothing.json' "$EQM_TEST_DIR/bad")" "unknown data"

# The page and the pack in a real browser: no console error, each chart
# drawn with the datasets and points of its data.
for page in recruitment recruitment/pack.html; do
    name=${page//\//-}
    name=${name%.html}
    eqm_web_browse "$py" "$page" "$ART/$name.png" \
        'JSON.stringify(Object.fromEntries(Object.entries(window.eqmCharts || {}).map(([k, c]) => [k, [c.data.labels.length, c.data.datasets.map(d => [d.label, d.data.length, d.data.filter(v => v !== null).length])]])))'
done
"$py" - "$EQM_TEST_DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
def load(n): return json.load(open(os.path.join(d, n)))
def charts(name): return json.loads(load(f"browser-{name}.json")["evals"][0])
c = charts("recruitment")
assert sorted(c) == ["chart-funnel", "chart-leavers", "chart-quality", "chart-representation"], c
fun = load("funnel-police_officer-bme.json")["rows"]
n, sets = c["chart-funnel"]
assert n == len(fun) == 10 and [s[1] for s in sets] == [10, 10, 10], c["chart-funnel"]
assert sets[0][2] == sum(r["ratio"] is not None for r in fun), sets
rep = load("representation-police_officer-bme.json")
dates = sorted({r["date"] for r in rep["rows"]})
n, sets = c["chart-representation"]
# Two roles and the population line, a point per date: officers' snapshots
# of 2025-03-07 and 2025-06-06, staff's of 2025-06-06, and now (2025-07-01).
assert n == len(dates) == 3 and len(sets) == 3 and all(s[1] == 3 for s in sets), c
assert sets[0][2] == 3 and sets[1][2] == 2 and sets[2][2] == 3, sets
lv = load("leavers-police_officer-bme.json")["rows"]
n, sets = c["chart-leavers"]
assert n == len(lv) == 7 and [s[1] for s in sets] == [7, 7, 7], c["chart-leavers"]
assert sets[2][2] == sum(r["mean_service_years"] is not None for r in lv), sets
q = load("quality-police_officer-bme.json")["rows"]
n, sets = c["chart-quality"]
assert n == len({r["dimension"] for r in q}) == 4 and [s[2] for s in sets] == [4, 1], c
assert charts("recruitment-pack") == c, "the pack draws other charts"
print("browser: charts", {k: v[0] for k, v in c.items()}, "; the pack the same")
PY
grep -q 'too few to compare' <(curl -sS --max-time 10 "$URL/recruitment?role=police_staff") ||
    fail "the staff page does not say too few to compare"

# The pack as PDF: the section headings and the period.
assert_eq 200 "$(get '/recruitment/pack.pdf' "$ART/recruitment-pack.pdf")" "pack PDF"
assert_eq "%PDF-" "$(head -c 5 "$ART/recruitment-pack.pdf")" "the pack is a PDF"
pdftotext -layout "$ART/recruitment-pack.pdf" "$EQM_TEST_DIR/pack.txt"
for want in "Recruitment and workforce" "Area: force" "the 365 days to 2025-07-01" \
    "Recruitment funnel: adverse impact by stage" \
    "Workforce representation against the population" "Leavers: rate and length of service" \
    "Data quality: not stated" "Method" "police_officer" "Assessment centre"; do
    grep -qF "$want" "$EQM_TEST_DIR/pack.txt" || fail "the pack's text lacks \"$want\""
done
for f in recruitment recruitment-pack; do
    [[ -s $ART/$f.png ]] || fail "no screenshot $ART/$f.png"
done
eqm_test_log "ok (screenshots $ART/recruitment.png, $ART/recruitment-pack.png)"
