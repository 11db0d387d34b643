#!/usr/bin/env bash
# The workforce in fixed periods (migration 026, README "Fixed periods"):
# recruitment events from June 2020 to March 2023 (two headcount snapshots,
# one by broad and one by detailed group; joiners and leavers; events at
# local midnight in BST) through eqm-recruitment; every row of
# equality.workforce_period_figures must equal what this script computes
# itself from the events it sent: each event's local day in Europe/London,
# its financial year, the snapshot on or before 31 March, the headcount,
# shares, populations on the base the rule gives for 31 March (Census 2011
# for the year ending March 2021, from its file; Census 2021 after, from
# its), representation and leaver rate ratios with their Katz intervals,
# whether the year is complete. The year ending March 2023 is also the
# engine's 365-day window (the newest event is on 31 March 2023): the two
# must agree row for row. Then a late leaver dated in the closed year
# ending March 2022 (with the 2022 snapshot sent again) changes that year's
# figures, and not the detailed headcount of the next (its snapshot of 31
# March 2022 sets it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
C2011=$SHARED/data/census-2011/ethnic-group-cambridgeshire-pfa.csv
C2021=$SHARED/data/census-2021/ethnic-group-by-district.csv
CAMBS=E06000031,E07000008,E07000009,E07000010,E07000011,E07000012
"$BIN/eqm-admin" load-population --base census-2011 "$C2011" >/dev/null
"$BIN/eqm-admin" load-population --base census-2021 "$C2021" >/dev/null
# The force area: its 2011 force-area code and its 2021 districts.
"$BIN/eqm-admin" define-area cambridgeshire "$CAMBS,E23000023" >/dev/null

cat >"$EQM_TEST_DIR/model.py" <<'PY'
"""The events of the test, and the figures they must give, computed here."""
import csv, datetime, json, math, sys
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
Z = 1.959963984540054
AREA, FORCE = "E07000008", "cambridgeshire"
LABELS = {  # label sent -> (broad group, detailed group)
    "wb": ("White - English/Welsh/Scottish/Northern Irish/British", "white", "white_british"),
    "wi": ("White - Irish", "white", "white_irish"),
    "wo": ("White - Any other White background", "white", "white_other"),
    "w": ("White", "white", "white_unspecified"),
    "ai": ("Asian/Asian British - Indian", "asian", "asian_indian"),
    "ba": ("Black/African/Caribbean/Black British - African", "black", "black_african"),
    "mwa": ("Mixed/Multiple ethnic groups - White and Asian", "mixed", "mixed_white_asian"),
    "oa": ("Other ethnic group - Arab", "other", "other_arab"),
    "ns": (None, "not_stated", "not_stated"),
}
WHITE_MINORITY = {"white_irish", "white_gypsy_irish_traveller", "white_roma", "white_other"}
REFERENCE = {"ethnicity": "white", "ethnicity_detailed": "white_british"}
AGGREGATES = ("bme", "white_minority", "all_minority")

# (UTC instant, kind, label key, count, extra fields)
FLOWS = [
    ("2020-09-15T10:00:00Z", "joined", "ba", 5, {}),
    ("2020-10-01T10:00:00Z", "joined", "wb", 20, {}),
    ("2020-11-01T10:00:00Z", "joined", "wi", 6, {}),
    ("2020-12-01T10:00:00Z", "left", "wb", 10, {"length_of_service_days": 3650}),
    ("2021-02-01T10:00:00Z", "left", "ai", 2, {"service_start": "2015-02-01"}),
    ("2021-03-01T10:00:00Z", "left", "w", 1, {}),
    # 00:30 BST on 1 April 2021: the year ending March 2022.
    ("2021-03-31T23:30:00Z", "joined", "ai", 2, {}),
    ("2021-06-01T10:00:00Z", "joined", "ai", 3, {}),
    ("2021-07-01T10:00:00Z", "left", "ba", 1, {"length_of_service_days": 1000}),
    ("2022-01-15T10:00:00Z", "left", "wi", 1, {}),
    ("2022-03-31T23:30:00Z", "joined", "mwa", 2, {}),
    ("2022-06-01T10:00:00Z", "joined", "wb", 15, {}),
    ("2022-06-01T11:00:00Z", "joined", "wi", 4, {}),
    ("2022-06-01T12:00:00Z", "joined", "oa", 2, {}),
    ("2022-09-01T10:00:00Z", "left", "wb", 12, {"length_of_service_days": 3000}),
    ("2022-09-01T11:00:00Z", "left", "wi", 2, {"length_of_service_days": 1500}),
    ("2022-09-01T12:00:00Z", "left", "ba", 2, {"length_of_service_days": 2000}),
    ("2023-01-10T10:00:00Z", "left", "ns", 1, {}),
    # 23:30 BST on 31 March 2023: the newest event, still in that year.
    ("2023-03-31T22:30:00Z", "joined", "wb", 1, {}),
]
# Dated in the closed year ending March 2022, within the 730 days the
# consumers de-duplicate over (an older one is a dead letter).
LATE = ("2022-01-20T10:00:00Z", "left", "wb", 1, {"length_of_service_days": 4000})
SNAPSHOTS = [  # (sent at, as_of, dimension, {label: n})
    ("2020-06-30T12:00:00Z", "2020-06-30", "ethnicity",
     {"White": 900, "Asian": 20, "Black": 10, "Mixed": 8, "Other": 4, "Not stated": 30}),
    ("2022-03-31T12:00:00Z", "2022-03-31", "ethnicity_detailed",
     {"white_british": 850, "White - Irish": 30, "white_other": 25, "asian_indian": 22,
      "black_african": 14, "mixed_white_asian": 8, "other_arab": 4, "White": 5,
      "Not stated": 29}),
]
# The snapshots' keys, by hand: broad labels and detailed names.
SNAP_GROUPS = {"White": "white", "Asian": "asian", "Black": "black", "Mixed": "mixed",
               "Other": "other", "Not stated": "not_stated", "White - Irish": "white_irish",
               "white_british": "white_british", "white_other": "white_other",
               "asian_indian": "asian_indian", "black_african": "black_african",
               "mixed_white_asian": "mixed_white_asian", "other_arab": "other_arab"}


def local_day(instant):
    t = datetime.datetime.fromisoformat(instant.replace("Z", "+00:00"))
    return t.astimezone(LONDON).date()


def fy_start(day):
    return datetime.date(day.year if day.month >= 4 else day.year - 1, 4, 1)


def events(late):
    """The JSON events: snapshots and flows, one event per person; late: the
    late leaver, and the 2022 snapshot again (a duplicate)."""
    out, i = [], 0
    for sent, as_of, dim, counts in SNAPSHOTS:
        if late and as_of < "2022":
            i += 1
            continue
        out.append({"event_id": "wp-s%d" % i, "event_type": "headcount", "occurred_at": sent,
                    "area": AREA, "role": "police_officer", "as_of": as_of,
                    "dimension": dim, "counts": counts})
        i += 1
    for at, kind, key, n, extra in ([LATE] if late else FLOWS):
        for _ in range(n):
            e = {"event_id": "wp-%s%d" % ("l" if late else "f", i), "event_type": kind,
                 "occurred_at": at, "area": AREA, "role": "police_officer"}
            if LABELS[key][0]:
                e["ethnicity"] = LABELS[key][0]
            e.update(extra)
            out.append(e)
            i += 1
    return out


def service_days(day, extra):
    if "length_of_service_days" in extra:
        return extra["length_of_service_days"]
    if "service_start" in extra:
        return (day - datetime.date.fromisoformat(extra["service_start"])).days
    return None


def populations():
    """(base, area) -> {group: population} with 'total', aggregates included."""
    pops = {}
    def add(base, area, cat, p):
        head, sub = cat.split(":", 1)
        sub = sub.strip()
        broad = next(b for b in ("white", "mixed", "asian", "black", "other")
                     if head.lower().startswith(b))
        d = pops.setdefault((base, area), {})
        for g in ["total", broad]:
            d[g] = d.get(g, 0) + p
        if broad == "white":
            det = {"Irish": "white_irish", "Gypsy or Irish Traveller": "white_gypsy_irish_traveller",
                   "Roma": "white_roma", "Other White": "white_other"}.get(sub, "white_british")
            d[det] = d.get(det, 0) + p
            if det != "white_british":
                d["white_minority"] = d.get("white_minority", 0) + p
        else:
            d["bme"] = d.get("bme", 0) + p
            # The detailed groups the events have staff in.
            det = {("asian", "Indian"): "asian_indian", ("black", "African"): "black_african",
                   ("mixed", "White and Asian"): "mixed_white_asian",
                   ("other", "Arab"): "other_arab"}.get((broad, sub))
            if det:
                d[det] = d.get(det, 0) + p
        d["all_minority"] = d.get("white_minority", 0) + d.get("bme", 0)
    for base, path, codes in (("census-2011", sys.argv[2], {"E23000023"}),
                              ("census-2021", sys.argv[3], set(sys.argv[4].split(",")))):
        for r in csv.DictReader(open(path)):
            if r["area_code"] in codes:
                add(base, FORCE, r["census_category"], int(r["population"]))
                if r["area_code"] == AREA:
                    add(base, AREA, r["census_category"], int(r["population"]))
    return pops


def members(dim, grp):
    """The aggregates grp is part of, in its dimension."""
    bme = grp in ("asian", "black", "mixed", "other") if dim == "ethnicity" else \
        grp.split("_")[0] in ("asian", "black", "mixed", "other")
    wm = dim == "ethnicity_detailed" and grp in WHITE_MINORITY
    out = (["bme"] if bme else []) + (["white_minority"] if wm else [])
    return out + (["all_minority"] if dim == "ethnicity_detailed" and out else [])


def katz(a, n1, b, n2):
    if not (a > 0 and n1 > 0 and b > 0 and n2 > 0 and a <= n1 and b <= n2):
        return None, None
    r = (a / n1) / (b / n2)
    h = Z * math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return r * math.exp(-h), r * math.exp(h)


def figures(late, newest):
    flows = []  # (day, kind, {dim: grp}, service)
    for at, kind, key, n, extra in FLOWS + ([LATE] if late else []):
        day = local_day(at)
        g = {"ethnicity": LABELS[key][1], "ethnicity_detailed": LABELS[key][2]}
        flows += [(day, kind, g, service_days(day, extra))] * n
    snaps = {}
    for _, as_of, dim, counts in SNAPSHOTS:
        s = snaps.setdefault(dim, [])
        c = {}
        for label, n in counts.items():
            # A bare heading is the broad group, or by detail unspecified.
            x = "white_unspecified" if (dim, label) == ("ethnicity_detailed", "White") \
                else SNAP_GROUPS[label]
            c[x] = c.get(x, 0) + n
        s.append((datetime.date.fromisoformat(as_of), c))
    pops = populations()
    rows = {}
    for area in (AREA, FORCE):
        for dim in ("ethnicity", "ethnicity_detailed"):
            years = {fy_start(f[0]) for f in flows} | {fy_start(a) for a, _ in snaps.get(dim, [])}
            for start in sorted(years):
                end = datetime.date(start.year + 1, 3, 31)
                snap = max((s for s in snaps.get(dim, []) if s[0] <= end), default=None,
                           key=lambda s: s[0])
                grps = set(snap[1]) if snap else set()
                grps |= {f[2][dim] for f in flows if f[0] <= end}
                g = {x: {"snap": (snap[1].get(x, 0) if snap else 0), "net": 0, "j": 0, "l": 0,
                         "sd": 0, "sk": 0} for x in grps}
                for day, kind, gs, sd in flows:
                    if day > end:
                        continue
                    c = g[gs[dim]]
                    sign = 1 if kind == "joined" else -1
                    if snap is None or day > snap[0]:
                        c["net"] += sign
                    if day >= start:
                        c["j" if kind == "joined" else "l"] += 1
                        if kind == "left" and sd is not None:
                            c["sd"] += sd
                            c["sk"] += 1
                for agg in AGGREGATES:
                    parts = [v for x, v in g.items() if agg in members(dim, x)]
                    if parts:
                        g[agg] = {k: sum(p[k] for p in parts) for k in parts[0]}
                base = "census-2011" if end <= datetime.date(2021, 3, 31) else "census-2021"
                pop = pops.get((base, area), {})
                hc = {x: max(v["snap"] + v["net"], 0) for x, v in g.items()}
                stated = [x for x in g if x != "not_stated" and x not in AGGREGATES]
                hc_total = sum(hc[x] for x in stated)
                j_total = sum(g[x]["j"] for x in stated)
                known = all(x in pop or x.endswith("_unspecified") for x in stated)
                pop_total = pop.get("total") if known and pop.get("total") else None
                ref = REFERENCE[dim]
                avg = {x: hc[x] - (v["j"] - v["l"]) / 2 for x, v in g.items()}
                for x, v in g.items():
                    p = pop.get(x)
                    share = hc[x] / hc_total if hc_total > 0 and x != "not_stated" else None
                    pshare = p / pop_total if pop_total and p is not None and x != "not_stated" \
                        else None
                    rep = share / pshare if share is not None and pshare and p > 0 else None
                    lo, hi = katz(hc[x], hc_total, p, pop_total) if rep else (None, None)
                    rate = v["l"] / avg[x] if avg[x] > 0 else None
                    rl, ra = (g[ref]["l"], avg[ref]) if ref in g else (None, None)
                    ratio = rlo = rhi = None
                    if x not in ("not_stated", ref) and avg[x] > 0 and ra and ra > 0 and rl > 0:
                        ratio = rate / (rl / ra)
                        rlo, rhi = katz(v["l"], avg[x], rl, ra) if v["l"] > 0 else (None, None)
                    rows[(str(start), area, dim, x)] = [
                        str(snap[0]) if snap else None, v["snap"], hc[x], hc_total, base,
                        p, pop_total, share, pshare, rep, lo, hi, v["j"], j_total,
                        v["j"] / j_total if j_total and x != "not_stated" else None, v["l"],
                        avg[x], rate, ratio, rlo, rhi, v["sk"],
                        v["sd"] / v["sk"] / 365.25 if v["sk"] else None,
                        newest >= datetime.datetime(end.year, 4, 1, tzinfo=LONDON)]
    return rows


def same(got, want):
    """got: the view's text (None for NULL, a bool for complete); want: ours."""
    if got is None or want is None or isinstance(want, (bool, str)):
        return got == want
    return math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12)


def compare(rows, path, what):
    bad, seen = 0, set()
    for line in open(path):
        f = line.rstrip("\n").split("|")
        key = tuple(f[:4])
        seen.add(key)
        vals = [None if v == "" else v for v in f[4:]]
        vals[-1] = vals[-1] == "t"
        want = rows.get(key)
        if want is None:
            print("%s: unexpected row %s" % (what, key))
            bad += 1
            continue
        for i, (a, b) in enumerate(zip(vals, want)):
            if not same(a, b):
                print("%s: %s column %d: got %r, expected %r" % (what, key, i, a, b))
                bad += 1
    for key in sorted(set(rows) - seen):
        print("%s: missing row %s" % (what, key))
        bad += 1
    return bad


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode in ("events", "late"):
        for e in events(mode == "late"):
            print(json.dumps(e))
    elif mode == "years":  # the recruitment panel's table: JSON (late figures)
        newest = datetime.datetime(2023, 3, 31, 22, 30, tzinfo=datetime.timezone.utc)
        rows = figures(True, newest)
        got = json.load(open(sys.argv[5]))
        want = sorted((k, v) for k, v in rows.items()
                      if k[1] == FORCE and k[2] == "ethnicity")
        order = ["white", "bme", "asian", "black", "mixed", "other", "not_stated"]
        want.sort(key=lambda kv: (kv[0][0], order.index(kv[0][3])))
        assert len(got["rows"]) == len(want), (len(got["rows"]), len(want))
        for r, ((start, _, _, grp), v) in zip(got["rows"], want):
            year = "year ending March %d" % (int(start[:4]) + 1)
            few = v[2] < got["min_events"] or v[3] - v[2] < got["min_events"]
            assert (r["year"], r["group"], r["headcount"]) == (year, grp, v[2]), (r, v)
            assert r["population_base"] == {"census-2011": "Census 2011",
                                            "census-2021": "Census 2021"}[v[4]], r
            assert same(r["share"], v[7]) and same(r["population_share"], v[8]), (r, v)
            assert r["too_few"] == few and same(r["ratio"], None if few else v[9]), (r, v)
            assert (r["joiners"], r["leavers"], r["complete"]) == (v[12], v[15], v[23]), (r, v)
            assert same(r["leaver_rate"], v[17]), (r, v)
        print("years: %d rows as computed" % len(want))
    else:  # check PSV late|early
        late = sys.argv[6] == "late"
        newest = datetime.datetime(2023, 3, 31, 22, 30, tzinfo=datetime.timezone.utc)
        rows = figures(late, newest)
        bad = compare(rows, sys.argv[5], "period_figures")
        print("%d rows compared, %d differences" % (len(rows), bad))
        sys.exit(1 if bad else 0)
PY
model() { python3 "$EQM_TEST_DIR/model.py" "$1" "$C2011" "$C2021" "$CAMBS" "${@:2}"; }
model events >"$EQM_TEST_DIR/events.jsonl"
consume() {
    timeout 180 "$BIN/eqm-recruitment" --exit-when-idle 3 --force-area cambridgeshire \
        -X session.timeout.ms=6000 --log-level warn >>"$EQM_TEST_DIR/rec.log" 2>&1 ||
        fail "eqm-recruitment failed: $(tail -5 "$EQM_TEST_DIR/rec.log")"
}
kcat -P -b "$EQM_KAFKA_BROKERS" -t recruitment.events -k cambs <"$EQM_TEST_DIR/events.jsonl"
consume
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.dead_letters")" "every event counted"

COLS="to_char(period_start, 'YYYY-MM-DD'), area, dimension, grp, snapshot_as_of, snapshot_headcount,
      headcount, headcount_total, population_base, population, population_total, share,
      population_share, representation_ratio, representation_ci_low, representation_ci_high,
      joiners, joiners_total, joiners_share, leavers, avg_headcount, leaver_rate,
      leaver_rate_ratio, leaver_rate_ci_low, leaver_rate_ci_high, leavers_service_known,
      mean_service_years_of_leavers, complete"
check() {
    psql_val "SELECT $COLS FROM equality.workforce_period_figures
               WHERE role = 'police_officer' AND dimension IN ('ethnicity', 'ethnicity_detailed')" \
        >"$EQM_TEST_DIR/periods-$1.psv"
    model check "$EQM_TEST_DIR/periods-$1.psv" "$1" || fail "workforce_period_figures ($1) differ"
    eqm_test_log "ok: every workforce period row as computed here ($1)"
}
check early
assert_eq "FY2020/21|year ending March 2021|census-2011|t
FY2021/22|year ending March 2022|census-2021|t
FY2022/23|year ending March 2023|census-2021|f" \
    "$(psql_val "SELECT DISTINCT period, period_label, population_base, complete
                   FROM equality.workforce_period_figures
                  WHERE area = 'cambridgeshire' AND dimension = 'ethnicity' ORDER BY 1")" \
    "three years, on the rule's base, the last not complete"

# The year ending March 2023 is the engine's 365-day window (2022-04-01 to
# 2023-03-31): the same figures, however computed.
FIG="area, dimension, grp, headcount, headcount_total, population, population_total,
     share, population_share, representation_ratio, representation_ci_low,
     representation_ci_high, joiners, joiners_total, leavers, avg_headcount, leaver_rate,
     leaver_rate_ratio, leaver_rate_ci_low, leaver_rate_ci_high, leavers_service_known,
     mean_service_years_of_leavers"
python3 - "$(psql_val "SELECT $FIG FROM equality.workforce_period_figures
                        WHERE role = 'police_officer' AND period = 'FY2022/23'
                          AND dimension IN ('ethnicity', 'ethnicity_detailed')")" \
    "$(psql_val "SELECT $FIG FROM equality.workforce WHERE role = 'police_officer'
                  AND window_days = 365 AND window_end = '2023-03-31'
                  AND dimension IN ('ethnicity', 'ethnicity_detailed')")" <<'PY' || fail "the year ending March 2023 differs from the 365-day window"
import math, sys
def rows(text):
    return {tuple(l.split("|")[:3]): l.split("|")[3:] for l in text.splitlines()}
period, window = rows(sys.argv[1]), rows(sys.argv[2])
bad = 0
for key, vals in period.items():
    w = window.get(key)
    if w is None:
        print("no window row for", key); bad += 1; continue
    for i, (a, b) in enumerate(zip(vals, w)):
        if (a == "") != (b == "") or a and not math.isclose(float(a), float(b), rel_tol=1e-9):
            print(key, "column", i, "period", a, "window", b); bad += 1
# The window's own rows beyond the period's: groups with no one, added so
# that the population total is whole.
for key in set(window) - set(period):
    if window[key][0] != "0" or window[key][9] != "0" or window[key][11] != "0":
        print("window row with staff but no period row", key, window[key]); bad += 1
print("%d period rows equal the engine's window" % len(period))
sys.exit(1 if bad else 0)
PY
eqm_test_log "ok: the year ending March 2023 equals the engine's 365-day window"

# A late leaver dated January 2022: the closed year ending March 2022
# changes; the next year's detailed headcount does not (the snapshot of 31
# March 2022 sets it; the broad one is 2020's snapshot plus the flows, so
# it does change). The snapshot sent again counts once.
before=$(psql_val "SELECT headcount FROM equality.workforce_period_figures
                    WHERE area = 'cambridgeshire' AND dimension = 'ethnicity_detailed'
                      AND grp = 'white_british' AND period = 'FY2022/23'")
model late >"$EQM_TEST_DIR/late.jsonl"
kcat -P -b "$EQM_KAFKA_BROKERS" -t recruitment.events -k cambs <"$EQM_TEST_DIR/late.jsonl"
consume
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.dead_letters")" "the late events counted"
check late
assert_eq "$before" "$(psql_val "SELECT headcount FROM equality.workforce_period_figures
                    WHERE area = 'cambridgeshire' AND dimension = 'ethnicity_detailed'
                      AND grp = 'white_british' AND period = 'FY2022/23'")" \
    "the detailed headcount as at 31 March 2023: its snapshot's and the flows after it"

# The recruitment panel's table By financial year: the API against the
# computation above, and the page in headless Chromium.
eqm_web_up
assert_eq 200 "$(eqm_web_get "/api/recruitment/years.json?role=police_officer&area=cambridgeshire" \
    "$EQM_TEST_DIR/years.json")" "/api/recruitment/years.json"
model years "$EQM_TEST_DIR/years.json" || fail "the panel's years differ from the computation"
py=$(eqm_test_python websocket)
ART=$EQM_BUILD_DIR/test-artifacts/web
mkdir -p "$ART"
eqm_web_browse "$py" "recruitment?role=police_officer&area=cambridgeshire" "$ART/recruitment-years.png" \
    'JSON.stringify([...document.querySelectorAll("#table-years tbody tr")].map(r => [...r.cells].slice(0, 3).map(c => c.textContent)))'
python3 - "$EQM_TEST_DIR/browser-recruitment-years.json" "$EQM_TEST_DIR/years.json" <<'PY' ||
import json, sys
rows = json.loads(json.load(open(sys.argv[1]))["evals"][0])
api = json.load(open(sys.argv[2]))["rows"]
assert [r[0] for r in rows] == [a["year"] for a in api], rows
assert rows[0] == [api[0]["year"], "White", str(api[0]["headcount"])], (rows[0], api[0])
assert [r[1] for r in rows[:7]] == ["White", "Black and minority ethnic", "Asian", "Black",
                                    "Mixed", "Other", "Not stated"], rows[:7]
print("the page shows %d rows by year, first %s" % (len(rows), rows[0]))
PY
    fail "the years table in the browser"
echo "PASS test_workforce_periods"
