#!/usr/bin/env bash
# Detailed groups and non-visible minorities (README): stop-search events
# with detailed self-defined labels, dated after April 2021 (Census 2021
# base), through eqm-stop-search; the engine's white_minority and
# all_minority figures of the ethnicity_detailed dimension (n, population,
# rate per 1,000, ratio to white_british) against a computation made here
# from the events sent and the Census 2021 file loaded.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
# The force area: its six districts of Census 2021.
CAMBS=E06000031,E07000008,E07000009,E07000010,E07000011,E07000012
C2021=$SHARED/data/census-2021/ethnic-group-by-district.csv
"$BIN/eqm-admin" load-population "$C2021" >"$EQM_TEST_DIR/load.out"
"$BIN/eqm-admin" define-area cambridgeshire "$CAMBS" >/dev/null

# label -> searches; "Asian" names a broad group only (asian_unspecified:
# in bme and all_minority); "White" likewise (white_unspecified: in neither).
python3 - "$C2021" "$CAMBS" "$EQM_TEST_DIR/stream.jsonl" >"$EQM_TEST_DIR/want" <<'PY'
import csv, datetime, json, sys
path, codes, out = sys.argv[1], set(sys.argv[2].split(",")), sys.argv[3]
sent = [("White - English/Welsh/Scottish/Northern Irish/British", 40), ("White - Irish", 3),
        ("White - Gypsy or Irish Traveller", 2), ("White - Roma", 1),
        ("White - Any other White background", 9), ("Asian/Asian British - Indian", 5),
        ("Asian/Asian British - Chinese", 4), ("Black/African/Caribbean/Black British - African", 6),
        ("Asian", 1), ("White", 2), ("Other ethnic group - Not stated", 2)]
white_min = {"White - Irish", "White - Gypsy or Irish Traveller", "White - Roma",
             "White - Any other White background"}
bme = {l for l, _ in sent if not l.startswith("White") and "Not stated" not in l}
n = {"white_british": 40, "white_minority": sum(c for l, c in sent if l in white_min),
     "bme": sum(c for l, c in sent if l in bme)}
n["all_minority"] = n["white_minority"] + n["bme"]
pop = {"white_british": 0, "white_minority": 0, "bme": 0}
for r in csv.DictReader(open(path)):
    if r["area_code"] not in codes:
        continue
    c, p = r["census_category"], int(r["population"])
    if c == "White: English, Welsh, Scottish, Northern Irish or British":
        pop["white_british"] += p
    elif c in ("White: Irish", "White: Gypsy or Irish Traveller", "White: Roma", "White: Other White"):
        pop["white_minority"] += p
    elif c.split(":")[0].split(",")[0].split(" ")[0] in ("Asian", "Black", "Mixed", "Other") and ":" in c:
        pop["bme"] += p
pop["all_minority"] = pop["white_minority"] + pop["bme"]
ref = n["white_british"] / pop["white_british"]
for g in ("white_minority", "all_minority", "bme"):
    print("%s|%d|%d|%.6f|%.6f" % (g, n[g], pop[g], n[g] * 1000.0 / pop[g], (n[g] / pop[g]) / ref))
start, i = datetime.date(2025, 1, 6), 0
with open(out, "w") as f:
    for label, count in sent:
        for _ in range(count):
            f.write(json.dumps({"event_id": "dg-%d" % i, "event_type": "stop_search",
                                "occurred_at": "%sT12:00:00Z" % (start + datetime.timedelta(days=i % 60)),
                                "area": "E07000008", "self_defined_ethnicity": label}) + "\n")
            i += 1
PY
eqm_test_log "expected (grp|n|population|rate|ratio): $(tr "\n" " " <"$EQM_TEST_DIR/want")"
kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k cambs <"$EQM_TEST_DIR/stream.jsonl"
timeout 180 "$BIN/eqm-stop-search" --exit-when-idle 3 --force-area cambridgeshire \
    -X session.timeout.ms=6000 --log-level warn >"$EQM_TEST_DIR/ss.log" 2>&1 ||
    fail "eqm-stop-search failed: $(tail -5 "$EQM_TEST_DIR/ss.log")"

got=$(psql_val "SELECT grp || '|' || n || '|' || base || '|' || round(rate::numeric, 6) || '|'
                       || round(ratio::numeric, 6)
                  FROM equality.figures
                 WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                   AND dimension = 'ethnicity_detailed' AND window_days = 365
                   AND grp IN ('white_minority', 'all_minority', 'bme')
                 ORDER BY CASE grp WHEN 'white_minority' THEN 1 WHEN 'all_minority' THEN 2 ELSE 3 END")
assert_eq "$(cat "$EQM_TEST_DIR/want")" "$got" \
    "white_minority, all_minority and bme: n, population, rate, ratio to white_british"
assert_eq "white_british|40" "$(psql_val "SELECT reference_grp || '|' || ref_n FROM equality.figures
                 WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                   AND dimension = 'ethnicity_detailed' AND grp = 'white_minority'
                   AND window_days = 365")" "the reference group"
# The detailed populations reach the fixed periods too.
assert_eq "$(sed -n 1p "$EQM_TEST_DIR/want" | cut -d'|' -f3)" "$(psql_val "SELECT sum(population)
                  FROM equality.area_population_groups_by_base
                 WHERE base = 'census-2021' AND area = 'cambridgeshire'
                   AND grp IN ('white_irish', 'white_gypsy_irish_traveller', 'white_roma', 'white_other')")" \
    "white_minority is the sum of its four groups"
assert_eq "white_british" "$(psql_val "SELECT DISTINCT reference_grp || CASE WHEN ref_population > 0
                  THEN '' ELSE ' (no population)' END FROM equality.period_figures
                 WHERE dimension = 'ethnicity_detailed' AND area = 'cambridgeshire'")" \
    "period_figures: ethnicity_detailed against white_british, with its population"
# The fixed periods have the aggregates too (migration 025): every search
# is in the year ending March 2025, so its rows are the computation above.
assert_eq "$(cat "$EQM_TEST_DIR/want")" "$(psql_val "SELECT grp || '|' || events || '|' || population
                       || '|' || round(rate::numeric, 6) || '|' || round(ratio::numeric, 6)
                  FROM equality.period_figures
                 WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                   AND dimension = 'ethnicity_detailed' AND period = 'FY2024/25'
                   AND grp IN ('white_minority', 'all_minority', 'bme')
                 ORDER BY CASE grp WHEN 'white_minority' THEN 1 WHEN 'all_minority' THEN 2 ELSE 3 END")" \
    "period_figures, year ending March 2025: white_minority, all_minority and bme as computed"
assert_eq "$(sed -n 3p "$EQM_TEST_DIR/want" | cut -d'|' -f2)" "$(psql_val "SELECT events FROM equality.period_figures
                 WHERE measure = 'stop_search.searches' AND area = 'cambridgeshire'
                   AND dimension = 'ethnicity' AND period = 'FY2024/25' AND grp = 'bme'")" \
    "period_figures' bme of the broad groups, the same searches"

# Recruitment and workforce by detailed group, through eqm-recruitment:
# officers by Census category in a snapshot (a bare "White" is
# white_unspecified: in the headcount, with no population of its own), two
# White Irish joiners after it and one White British leaver; applications
# by detailed label. Expected from the events and the Census file here.
python3 - "$C2021" "$CAMBS" "$EQM_TEST_DIR/rec.jsonl" >"$EQM_TEST_DIR/rec.want" <<'PY'
import csv, json, sys
path, codes, out = sys.argv[1], sys.argv[2].split(","), sys.argv[3]
snapshot = {"White - English/Welsh/Scottish/Northern Irish/British": 900, "White - Irish": 10,
            "White - Gypsy or Irish Traveller": 2, "White - Any other White background": 30,
            "Asian/Asian British - Indian": 12, "Asian/Asian British - Chinese": 6,
            "Black/African/Caribbean/Black British - African": 8, "White": 5, "Not stated": 20}
# Staff per group after the joiners and the leaver, by hand.
staff = {"white_british": 899, "white_irish": 12, "white_gypsy_irish_traveller": 2,
         "white_other": 30, "asian_indian": 12, "asian_chinese": 6, "black_african": 8,
         "white_unspecified": 5}
agg = {"white_minority": ("white_irish", "white_gypsy_irish_traveller", "white_roma", "white_other")}
agg["bme"] = ("asian_indian", "asian_chinese", "black_african")
agg["all_minority"] = agg["white_minority"] + agg["bme"]
# Census 2021 categories of the White heading, by their words in the file.
white = {"White: English, Welsh, Scottish, Northern Irish or British": "white_british",
         "White: Irish": "white_irish", "White: Gypsy or Irish Traveller": "white_gypsy_irish_traveller",
         "White: Roma": "white_roma", "White: Other White": "white_other"}
pops = {}
for r in csv.DictReader(open(path)):
    if r["area_code"] not in codes:
        continue
    c, p = r["census_category"], int(r["population"])
    for area in (r["area_code"], "cambridgeshire"):
        d = pops.setdefault(area, {"total": 0, "white_minority": 0, "bme": 0})
        d["total"] += p
        if c in white:
            d[white[c]] = d.get(white[c], 0) + p
            if white[c] != "white_british":
                d["white_minority"] += p
        else:
            d["bme"] += p
    # every category once per district, 19 of them
for d in pops.values():
    d["all_minority"] = d["white_minority"] + d["bme"]
hc_total = sum(staff.values())
for area in ("E07000008", "cambridgeshire"):
    for g in ("white_minority", "all_minority", "bme", "white_irish"):
        hc = sum(staff.get(m, 0) for m in agg[g]) if g in agg else staff[g]
        p, t = pops[area][g], pops[area]["total"]
        print("%s|%s|%d|%d|%d|%d|%.6f" % (area, g, hc, hc_total, p, t, (hc / hc_total) / (p / t)))
apps = [("White - English/Welsh/Scottish/Northern Irish/British", 40, 10), ("White - Irish", 5, 5),
        ("White - Any other White background", 6, 4), ("Asian/Asian British - Indian", 4, 4)]
wm_pass, wm_all = 5 + 6, 5 + 5 + 6 + 4
print("white_minority|white_british|%d|%d|%.6f" % (wm_all, wm_pass, (wm_pass / wm_all) / (40 / 50)))
env = {"area": "E07000008", "role": "police_officer"}
with open(out, "w") as f:
    def emit(i, kind, day, **kw):
        f.write(json.dumps(dict(env, event_id="rec-%d" % i, event_type=kind,
                                occurred_at="2025-03-%02dT12:00:00Z" % day, **kw)) + "\n")
    emit(0, "headcount", 1, as_of="2025-02-28", dimension="ethnicity_detailed", counts=snapshot)
    emit(1, "joined", 2, ethnicity="White - Irish")
    emit(2, "joined", 2, ethnicity="White - Irish")
    emit(3, "left", 3, ethnicity=list(snapshot)[0], length_of_service_days=3650)
    i = 4
    for label, passed, failed in apps:
        for k in range(passed + failed):
            emit(i, "application_stage", 4, stage="application", ethnicity=label,
                 result="passed" if k < passed else "failed", campaign="2025-a")
            i += 1
PY
eqm_test_log "expected workforce and attrition: $(tr "\n" " " <"$EQM_TEST_DIR/rec.want")"
kcat -P -b "$EQM_KAFKA_BROKERS" -t recruitment.events -k cambs <"$EQM_TEST_DIR/rec.jsonl"
timeout 180 "$BIN/eqm-recruitment" --exit-when-idle 3 --force-area cambridgeshire \
    -X session.timeout.ms=6000 --log-level warn >"$EQM_TEST_DIR/rec.log" 2>&1 ||
    fail "eqm-recruitment failed: $(tail -5 "$EQM_TEST_DIR/rec.log")"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.dead_letters WHERE topic = 'recruitment.events'")" \
    "every recruitment event counted"
got=$(psql_val "SELECT area || '|' || grp || '|' || headcount || '|' || headcount_total || '|'
                       || population || '|' || population_total || '|'
                       || round(representation_ratio::numeric, 6)
                  FROM equality.workforce
                 WHERE role = 'police_officer' AND dimension = 'ethnicity_detailed'
                   AND window_days = 365 AND grp IN ('white_minority', 'all_minority', 'bme', 'white_irish')
                 ORDER BY area = 'cambridgeshire', CASE grp WHEN 'white_minority' THEN 1
                          WHEN 'all_minority' THEN 2 WHEN 'bme' THEN 3 ELSE 4 END")
assert_eq "$(head -8 "$EQM_TEST_DIR/rec.want")" "$got" \
    "workforce by detailed group: headcount, population, representation, district and force"
assert_eq "5|no population" "$(psql_val "SELECT headcount || '|' || CASE WHEN population IS NULL
                  AND representation_ratio IS NULL THEN 'no population' ELSE 'population?' END
                  FROM equality.workforce WHERE role = 'police_officer' AND area = 'cambridgeshire'
                   AND dimension = 'ethnicity_detailed' AND grp = 'white_unspecified'
                   AND window_days = 365")" "a bare \"White\": in the headcount, no population"
assert_eq "$(sed -n 9p "$EQM_TEST_DIR/rec.want")" "$(psql_val "SELECT grp || '|' || comparison_grp
                       || '|' || entered || '|' || passed || '|' || round(adverse_impact_ratio::numeric, 6)
                  FROM equality.attrition WHERE role = 'police_officer'
                   AND stage = 'application' AND dimension = 'ethnicity_detailed'
                   AND grp = 'white_minority' AND window_days = 365")" \
    "attrition: white_minority's adverse impact ratio against White British"

# The recruitment panel's table of the same figures: the API's rows and the
# page in headless Chromium.
eqm_web_up
assert_eq 200 "$(eqm_web_get "/api/recruitment/detailed.json?role=police_officer&area=cambridgeshire&window=365" \
    "$EQM_TEST_DIR/detailed.json")" "/api/recruitment/detailed.json"
python3 - "$EQM_TEST_DIR/detailed.json" "$EQM_TEST_DIR/rec.want" <<'PY' || fail "the detailed table"
import json, sys
got = json.load(open(sys.argv[1]))
rows = {r["group"]: r for r in got["rows"]}
assert got["dimension"] == "ethnicity_detailed", got["dimension"]
assert got["rows"][0]["group"] == "white_british", got["rows"][0]
assert got["rows"][-1]["group"] == "not_stated", got["rows"][-1]
# Every Census 2021 category is a row (19), with the aggregates, the bare
# heading and not stated.
assert len(rows) == 19 + 3 + 2, sorted(rows)
for line in open(sys.argv[2]):
    f = line.strip().split("|")
    if f[0] != "cambridgeshire":
        continue
    g, hc, total, pop, pop_total, ratio = f[1], int(f[2]), int(f[3]), int(f[4]), int(f[5]), float(f[6])
    r = rows[g]
    assert (r["headcount"], r["population"]) == (hc, pop), (g, r)
    assert abs(r["share"] - hc / total) < 1e-12 and abs(r["population_share"] - pop / pop_total) < 1e-12, r
    few = hc < got["min_events"] or total - hc < got["min_events"]
    assert r["too_few"] == few, (g, r)
    assert (r["ratio"] is None) if few else abs(r["ratio"] - ratio) < 5e-7, (g, r, ratio)
assert rows["white_unspecified"]["population"] is None and rows["white_unspecified"]["ratio"] is None
assert rows["white_minority"]["label"].startswith("White minorities"), rows["white_minority"]
print("detailed table: %d rows as computed" % len(rows))
PY
py=$(eqm_test_python websocket)
ART=$EQM_BUILD_DIR/test-artifacts/web
mkdir -p "$ART"
eqm_web_browse "$py" "recruitment?role=police_officer&area=cambridgeshire&window=365" \
    "$ART/recruitment-detailed.png" \
    'JSON.stringify([...document.querySelectorAll("#table-detailed tbody tr")].map(r => [...r.cells].slice(0, 2).map(c => c.textContent)))'
python3 - "$EQM_TEST_DIR/browser-recruitment-detailed.json" <<'PY' || fail "the detailed table in the browser"
import json, sys
rows = json.loads(json.load(open(sys.argv[1]))["evals"][0])
want = ["White minorities (White but not White British)", "44"]
assert rows[1] == want, rows[:3]
assert len(rows) == 24, len(rows)
print("the page shows the table: %d rows, %s" % (len(rows), rows[1]))
PY
echo "PASS test_detailed_groups"
