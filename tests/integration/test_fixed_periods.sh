#!/usr/bin/env bash
# Fixed periods (migration 022, README "Fixed periods"): stop-search events
# across FY2023/24, FY2024/25 and the start of FY2025/26 go through
# eqm-stop-search; equality.period_figures must equal what this script
# computes itself from the events it sent: each event's local day in
# Europe/London (Python's zoneinfo), its financial year (1 April to 31
# March), calendar quarter and month, the counts per period, area and
# group, the Census 2021 populations summed from the file, the rate ratio
# to White and its Katz 95% interval, and whether the newest event time is
# past the period's end. Events sit on both clock changes of FY2024/25 and
# at local midnights: 23:30 UTC on 31 March 2024 is 00:30 BST on 1 April,
# in FY2024/25. Then a late event dated in the closed FY2023/24 moves that
# year's count by one, and it stays complete; the open year is not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

# The force area is the six districts of the Census 2021 file (the
# Python below sums the same six).
C2021=$SHARED/data/census-2021/ethnic-group-by-district.csv
eqm_test_stack_up
"$BIN/eqm-admin" load-population "$C2021" >/dev/null
"$BIN/eqm-admin" define-area cambridgeshire \
    E06000031,E07000008,E07000009,E07000010,E07000011,E07000012 >/dev/null

py=$EQM_TEST_DIR/periods.py
cat >"$py" <<'PY'
"""gen EVENTS: write the stream; check EVENTS CENSUS DUMP: compare the view."""
import csv, datetime as dt, json, math, random, sys
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
UTC = dt.timezone.utc
CAMBS = ["E06000031", "E07000008", "E07000009", "E07000010", "E07000011", "E07000012"]
LABELS = {"white": "White - English/Welsh/Scottish/Northern Irish/British",
          "black": "Black/African/Caribbean/Black British - African",
          "asian": "Asian/Asian British - Indian",
          "mixed": "Mixed/Multiple ethnic groups - White and Black Caribbean",
          "other": "Other ethnic group - Any other ethnic group",
          "not_stated": None}
# Instants on the edges (UTC), each with the local day it must land on.
EDGES = [
    ("2023-03-31T23:30:00Z", "white"),   # 00:30 BST 1 April 2023: FY2023/24's first day
    ("2024-03-31T00:30:00Z", "black"),   # 00:30 GMT 31 March 2024, the night clocks go forward
    ("2024-03-31T00:59:59Z", "white"),   # 00:59:59 GMT, a second before the change
    ("2024-03-31T01:30:00Z", "asian"),   # 02:30 BST 31 March (01:30 local does not exist)
    ("2024-03-31T22:59:59Z", "black"),   # 23:59:59 BST 31 March: still FY2023/24
    ("2024-03-31T23:30:00Z", "black"),   # 00:30 BST 1 April 2024: FY2024/25
    ("2024-06-30T23:30:00Z", "white"),   # 00:30 BST 1 July: 2024-Q3, month 2024-07
    ("2024-09-30T23:30:00Z", "black"),   # 00:30 BST 1 October: 2024-Q4
    ("2024-10-26T23:30:00Z", "white"),   # 00:30 BST 27 October, the night clocks go back
    ("2024-10-27T00:30:00Z", "black"),   # 01:30 BST, the first 01:30
    ("2024-10-27T01:30:00Z", "black"),   # 01:30 GMT, the second 01:30
    ("2024-10-27T23:30:00Z", "asian"),   # 23:30 GMT 27 October: still the 27th
    ("2024-12-31T23:30:00Z", "white"),   # 23:30 GMT 31 December: 2024-Q4 (winter: UTC = local)
    ("2025-03-31T22:30:00Z", "black"),   # 23:30 BST 31 March 2025: FY2024/25
    ("2025-03-31T23:30:00Z", "white"),   # 00:30 BST 1 April 2025: FY2025/26
]


def parse(ts):
    return dt.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def periods(day):
    fy = day.year if day.month >= 4 else day.year - 1
    q = (day.month - 1) // 3
    return [("financial_year", f"FY{fy}/{(fy + 1) % 100:02d}", dt.date(fy, 4, 1),
             dt.date(fy + 1, 3, 31)),
            ("quarter", f"{day.year}-Q{q + 1}", dt.date(day.year, 3 * q + 1, 1),
             (dt.date(day.year + (q == 3), (3 * q + 3) % 12 + 1, 1) - dt.timedelta(days=1))),
            ("month", f"{day.year}-{day.month:02d}", dt.date(day.year, day.month, 1),
             (dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
              - dt.timedelta(days=1)))]


def gen(path):
    rnd = random.Random(17)
    start, end = parse("2023-04-01T00:00:00Z"), parse("2025-04-20T00:00:00Z")
    events = [(ts, g, "E07000008") for ts, g in EDGES]
    groups = ["white"] * 10 + ["black"] * 3 + ["asian"] * 2 + ["mixed", "other", "not_stated"]
    for _ in range(700):
        t = start + dt.timedelta(seconds=rnd.randrange(int((end - start).total_seconds())))
        events.append((t.strftime("%Y-%m-%dT%H:%M:%SZ"), rnd.choice(groups),
                       rnd.choice(["E07000008", "E07000012"])))
    with open(path, "w") as f:
        for i, (ts, g, area) in enumerate(events):
            e = {"event_id": f"fp-{i}", "event_type": "stop_search", "occurred_at": ts,
                 "area": area}
            if LABELS[g]:
                e["self_defined_ethnicity"] = LABELS[g]
            f.write(json.dumps(e) + "\n")
            # The test's own record: the group it meant, beside the event.
            print(f"{e['event_id']}\t{g}", file=sys.stderr)


def broad(category):
    for prefix, g in (("White", "white"), ("Black", "black"), ("Asian", "asian"),
                      ("Mixed", "mixed"), ("Other", "other")):
        if category.startswith(prefix):
            return g
    raise SystemExit(f"census category {category!r}: no broad group")


def check(events_path, groups_path, census_path, dump_path):
    group_of = dict(line.rstrip("\n").split("\t") for line in open(groups_path))
    pop = {}
    for row in csv.DictReader(open(census_path)):
        code = row["area_code"]
        if code not in CAMBS:
            continue
        g, n = broad(row["census_category"]), int(row["population"])
        for area in {code, "cambridgeshire"}:
            pop[(area, g)] = pop.get((area, g), 0) + n
            if g != "white":  # bme: asian + black + mixed + other
                pop[(area, "bme")] = pop.get((area, "bme"), 0) + n
    counts, utc_counts, bounds, newest = {}, {}, {}, None
    for line in open(events_path):
        e = json.loads(line)
        t = parse(e["occurred_at"])
        newest = t if newest is None or t > newest else newest
        day = t.astimezone(LONDON).date()
        g = group_of[e["event_id"]]
        # Its group, and bme too when it is one of bme's four (migration 025).
        gs = (g, "bme") if g in ("asian", "black", "mixed", "other") else (g,)
        for kind, period, first, last in periods(day):
            bounds[(kind, period)] = (first, last)
            for area in (e["area"], "cambridgeshire"):
                for x in gs:
                    k = (area, kind, period, x)
                    counts[k] = counts.get(k, 0) + 1
        # The same on UTC days: the stream must tell the two apart.
        for kind, period, _, _ in periods(t.date()):
            for area in (e["area"], "cambridgeshire"):
                for x in gs:
                    k = (area, kind, period, x)
                    utc_counts[k] = utc_counts.get(k, 0) + 1
    want = {}
    for (area, kind, period, g), n in counts.items():
        first, last = bounds[(kind, period)]
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), LONDON)
        ratio = lo = hi = None
        ref = counts.get((area, kind, period, "white"), 0)
        if g not in ("white", "not_stated") and ref > 0:
            p, rp = pop[(area, g)], pop[(area, "white")]
            ratio = (n / p) / (ref / rp)
            half = 1.959964 * math.sqrt(1 / n - 1 / p + 1 / ref - 1 / rp)
            lo, hi = ratio * math.exp(-half), ratio * math.exp(half)
        want[(area, kind, period, g)] = (str(first), str(last), n, ratio, lo, hi,
                                         newest >= end)
    got = {}
    for line in open(dump_path):
        area, kind, period, g, first, last, n, ratio, lo, hi, complete, base = \
            line.rstrip("\n").split("|")
        if base != "census-2021":
            raise SystemExit(f"{area} {period} {g}: population_base {base!r}")
        f = lambda x: float(x) if x else None
        got[(area, kind, period, g)] = (first, last, int(n), f(ratio), f(lo), f(hi),
                                        complete == "true")
    bad = 0
    for k in sorted(set(want) | set(got)):
        w, o = want.get(k), got.get(k)
        same = w is not None and o is not None and w[:3] == o[:3] and w[6] == o[6] and all(
            (a is None and b is None) or (a is not None and b is not None
                                          and abs(a - b) <= 1e-9 * max(1, abs(a)))
            for a, b in zip(w[3:6], o[3:6]))
        if not same:
            bad += 1
            print(f"MISMATCH {k}: expected {w}, view {o}", file=sys.stderr)
    ratios = sum(1 for w in want.values() if w[3] is not None)
    utc_fy = sum(1 for k in set(counts) | set(utc_counts)
                 if k[1] == "financial_year" and counts.get(k) != utc_counts.get(k))
    if utc_fy == 0:
        print("the stream's financial years are the same on UTC days: it shows nothing",
              file=sys.stderr)
        bad += 1
    print(f"{len(want)} rows, {ratios} ratios, {bad} mismatches; "
          f"{utc_fy} financial-year rows would differ on UTC days")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    else:
        check(*sys.argv[2:6])
PY

consume() { # [PROGRAM]: eqm-stop-search unless named
    local prog=${1:-eqm-stop-search}
    timeout 180 "$BIN/$prog" --exit-when-idle 3 --force-area cambridgeshire \
        --dedup-horizon-days 0 -X session.timeout.ms=6000 --log-level warn \
        >>"$EQM_TEST_DIR/$prog.log" 2>&1 || fail "$prog failed: $(tail -5 "$EQM_TEST_DIR/$prog.log")"
}
dump() {
    psql_val "SELECT area || '|' || period_kind || '|' || period || '|' || grp || '|' ||
                     period_start || '|' || period_end || '|' || events || '|' ||
                     coalesce(ratio::text, '') || '|' || coalesce(ci_low::text, '') || '|' ||
                     coalesce(ci_high::text, '') || '|' || complete || '|' || population_base
                FROM equality.period_figures
               WHERE source = 'stop-search' AND dimension = 'ethnicity'" >"$EQM_TEST_DIR/dump.txt"
}
check() {
    python3 "$py" check "$EQM_TEST_DIR/events.jsonl" "$EQM_TEST_DIR/groups.tsv" "$C2021" \
        "$EQM_TEST_DIR/dump.txt" >"$EQM_TEST_DIR/check.out" 2>&1 ||
        fail "period_figures differ from the script's own figures ($1): $(head -20 "$EQM_TEST_DIR/check.out")"
    eqm_test_log "$1: $(tail -1 "$EQM_TEST_DIR/check.out")"
}
fy() {
    psql_val "SELECT $1 FROM equality.period_figures
               WHERE source = 'stop-search' AND area = 'cambridgeshire'
                 AND dimension = 'ethnicity' AND grp = '$2' AND period = '$3'"
}

python3 "$py" gen "$EQM_TEST_DIR/events.jsonl" 2>"$EQM_TEST_DIR/groups.tsv"
assert_eq 715 "$(wc -l <"$EQM_TEST_DIR/events.jsonl")" "events written"
kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k cambs <"$EQM_TEST_DIR/events.jsonl"
consume
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.dead_letters")" "no dead letters"
assert_eq 715 "$(psql_val "SELECT sum(searches) FROM equality.stop_search_daily
                            WHERE area = 'cambridgeshire' AND dimension = 'ethnicity'")" \
    "every event counted once, force-wide"
eqm_test_log "watermark: $(psql_val "SELECT source || ' ' || max_occurred_at FROM equality.watermarks")"
dump
check "first stream"

assert_eq "FY2023/24|year ending March 2024|2023-04-01|2024-03-31|true" \
    "$(fy "period || '|' || period_label || '|' || period_start || '|' || period_end || '|' || complete" black FY2023/24)" \
    "FY2023/24: its label, bounds, and complete"
assert_eq "f|t" "$(fy complete white FY2025/26)|$(fy complete white FY2024/25)" \
    "the open year is not complete; the year before it is"
assert_eq "quarter ending June 2024|January 2025" \
    "$(fy period_label white 2024-Q2)|$(fy period_label white 2025-01)" "quarter and month labels"

# A late event: dated 15 June 2023 (FY2023/24, closed since 1 April 2024),
# sent after everything else. Its year, quarter and month move by one.
before=$(fy events white FY2023/24)
q_before=$(fy events white 2023-Q2)
m_before=$(fy events white 2023-06)
late='{"event_id":"fp-late","event_type":"stop_search","occurred_at":"2023-06-15T10:00:00Z","area":"E07000008","self_defined_ethnicity":"White - Irish"}'
echo "$late" >>"$EQM_TEST_DIR/events.jsonl"
printf 'fp-late\twhite\n' >>"$EQM_TEST_DIR/groups.tsv"
echo "$late" | kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k cambs
consume
assert_eq "$((before + 1))|$((q_before + 1))|$((m_before + 1))|t" \
    "$(fy events white FY2023/24)|$(fy events white 2023-Q2)|$(fy events white 2023-06)|$(fy complete white FY2023/24)" \
    "the late event moved FY2023/24, 2023-Q2 and 2023-06 by one; the year stays complete"
assert_eq f "$(fy complete white FY2025/26)" "the open year is still not complete"
dump
check "after the late event"

# The end of a period is an instant in Europe/London unless
# equality.period_settings says otherwise: the newest event at 23:30 UTC on 30 April 2025 (00:30 BST
# on 1 May) closes April in London; in New York it is still 30 April.
echo '{"event_id":"fp-may","event_type":"stop_search","occurred_at":"2025-04-30T23:30:00Z","area":"E07000008","self_defined_ethnicity":"White - Irish"}' |
    kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k cambs
consume
assert_eq "true|false" "$(fy "complete || '|' || coalesce((SELECT bool_or(complete) FROM equality.period_figures WHERE period = '2025-05'), false)" white 2025-04)" \
    "the newest event at 00:30 BST on 1 May closes April, not May"
admin() { psql -XAtq -v ON_ERROR_STOP=1 "$EQM_ADMIN_PG_URL" -c "$1" 2>&1; }
admin "UPDATE equality.period_settings SET time_zone = 'America/New_York'" >/dev/null ||
    fail "the administrator cannot set the time zone"
assert_eq f "$(fy complete white 2025-04)" "in America/New_York, April is still open"
out=$(admin "UPDATE equality.period_settings SET time_zone = 'Europe/Cambridge'") &&
    fail "an unknown time zone was accepted"
grep -q 'time zone "Europe/Cambridge" not recognized' <<<"$out" || fail "unclear: $out"
assert_eq "America/New_York" "$(psql_val "SELECT time_zone FROM equality.period_settings")" \
    "the refused zone changed nothing"
admin "UPDATE equality.period_settings SET time_zone = DEFAULT" >/dev/null
assert_eq t "$(fy complete white 2025-04)" "back in Europe/London, April is complete"

# The analyst reads the same rows through equality_read.
assert_eq "$((before + 1))" "$(psql -XAtq -v ON_ERROR_STOP=1 "$EQM_WEB_PG_URL" -c \
    "SELECT events FROM equality_read.period_figures
      WHERE source = 'stop-search' AND area = 'cambridgeshire' AND dimension = 'ethnicity'
        AND grp = 'white' AND period = 'FY2023/24'")" "the analyst's view"
# Custody (the same view, source custody): arrests, detentions and uses of
# force, some with an officer-perceived group, over FY2023/24 to April
# 2025, on the clock changes of FY2024/25 and at local midnights. The
# script computes each event's rows itself: a use of force with a stated
# perceived group counts by it under ethnicity and by the self-defined
# group under self_defined_ethnicity; every other event by the self-defined
# group in both. Every (measure, period, area, dimension, group) with a
# daily row must equal the script's events; ethnicity rows also its
# reference count, population, ratio and Katz interval, and complete.
# The detailed groups' dimension is left out of both sides here (its
# mapping and aggregates: test_detailed_groups.sh and the unit tests).
cpy=$EQM_TEST_DIR/custody_periods.py
cat >"$cpy" <<'PY'
"""gen EVENTS | late | check EVENTS CENSUS DUMP; the stop-search script's helpers."""
import datetime as dt, json, math, random, sys, os, csv
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from periods import CAMBS, LABELS, LONDON, broad, parse  # noqa: E402

PERCEIVED = {"White": "white", "Black": "black", "Asian": "asian", "Mixed": "mixed",
             "Other": "other", "Not stated": "not_stated"}
MEASURES = {"arrest": "custody.arrests", "detention": "custody.detentions",
            "use_of_force": "custody.use_of_force", "disposal": None}
EDGES = [  # (UTC instant, type, self-defined, perceived or None)
    ("2024-03-31T22:59:59Z", "use_of_force", "black", "White"),  # 23:59:59 BST: FY2023/24
    ("2024-03-31T23:30:00Z", "use_of_force", "white", "Black"),  # 00:30 BST 1 April: FY2024/25
    ("2024-03-31T01:30:00Z", "arrest", "black", "White"),        # 02:30 BST, clocks forward
    ("2024-10-27T00:30:00Z", "use_of_force", "white", "Asian"),  # 01:30 BST, the first
    ("2024-10-27T01:30:00Z", "use_of_force", "asian", None),     # 01:30 GMT, the second
    ("2025-03-30T00:59:59Z", "detention", "black", "Black"),     # 00:59:59 GMT, before forward
    ("2025-03-31T22:30:00Z", "use_of_force", "black", "White"),  # 23:30 BST 31 March: FY2024/25
    ("2025-03-31T23:30:00Z", "use_of_force", "mixed", "Black"),  # 00:30 BST 1 April: FY2025/26
]


def periods(day):
    fy = day.year if day.month >= 4 else day.year - 1
    return [("financial_year", f"FY{fy}/{(fy + 1) % 100:02d}", dt.date(fy + 1, 3, 31)),
            ("month", f"{day.year}-{day.month:02d}",
             dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1) - dt.timedelta(days=1))]


def gen(path):
    rnd = random.Random(23)
    start, end = parse("2023-04-01T00:00:00Z"), parse("2025-04-20T00:00:00Z")
    events = [(ts, k, s_, o, "E07000008") for ts, k, s_, o in EDGES]
    groups = ["white"] * 8 + ["black"] * 4 + ["asian"] * 2 + ["mixed", "other", "not_stated"]
    officers = [None, None] + list(PERCEIVED)
    for _ in range(600):
        t = start + dt.timedelta(seconds=rnd.randrange(int((end - start).total_seconds())))
        events.append((t.strftime("%Y-%m-%dT%H:%M:%SZ"),
                       rnd.choice(["arrest", "detention", "use_of_force", "use_of_force",
                                   "disposal"]),
                       rnd.choice(groups), rnd.choice(officers),
                       rnd.choice(["E07000008", "E07000012"])))
    with open(path, "w") as f:
        for i, e in enumerate(events):
            f.write(json.dumps(event(f"cfp-{i}", *e)) + "\n")


def event(eid, ts, kind, self_, officer, area):
    e = {"event_id": eid, "event_type": kind, "occurred_at": ts, "area": area,
         "x_self": self_}  # the test's own record of the group it meant
    if LABELS[self_]:
        e["ethnicity"] = LABELS[self_]
    if officer is not None:
        e["officer_defined_ethnicity"] = officer
    if kind == "use_of_force":
        e["tactics"] = ["handcuffing"]
    if kind == "disposal":
        e["outcome"] = "charged"
    return e


def check(events_path, census_path, dump_path):
    pop = {}
    for row in csv.DictReader(open(census_path)):
        if row["area_code"] in CAMBS:
            for area in {row["area_code"], "cambridgeshire"}:
                k = (area, broad(row["census_category"]))
                pop[k] = pop.get(k, 0) + int(row["population"])
                if k[1] != "white":
                    pop[(area, "bme")] = pop.get((area, "bme"), 0) + int(row["population"])
    rows, counts, ends, newest = set(), {}, {}, None
    for line in open(events_path):
        e = json.loads(line)
        t = parse(e["occurred_at"])
        newest = max(newest or t, t)
        day = t.astimezone(LONDON).date()
        self_ = e["x_self"]
        officer = e.get("officer_defined_ethnicity")
        perceived = PERCEIVED[officer] if officer is not None else None
        dims = {"ethnicity": perceived if e["event_type"] == "use_of_force" and perceived
                not in (None, "not_stated") else self_,
                "self_defined_ethnicity": self_, "gender": "not_stated",
                "age_range": "not_stated"}
        if perceived is not None:
            dims["officer_defined_ethnicity"] = perceived
        measure = MEASURES[e["event_type"]]
        for kind, period, last in periods(day):
            ends[period] = last
            for area in (e["area"], "cambridgeshire"):
                for dim, grp in dims.items():
                    for m in ("custody.arrests", "custody.detentions",
                              "custody.strip_searches", "custody.use_of_force"):
                        rows.add((m, area, kind, period, dim, grp))
                    if measure:
                        k = (measure, area, kind, period, dim, grp)
                        counts[k] = counts.get(k, 0) + 1
    want = {}
    # bme (migration 025): a row beside its four groups' in the ethnicity
    # dimension, their events summed.
    for (m, area, kind, period, dim, grp) in list(rows):
        if dim == "ethnicity" and grp in ("asian", "black", "mixed", "other"):
            rows.add((m, area, kind, period, dim, "bme"))
    for (m, area, kind, period, dim, grp), n in list(counts.items()):
        if dim == "ethnicity" and grp in ("asian", "black", "mixed", "other"):
            k = (m, area, kind, period, dim, "bme")
            counts[k] = counts.get(k, 0) + n
    for k in rows:
        m, area, kind, period, dim, grp = k
        n = counts.get(k, 0)
        end = dt.datetime.combine(ends[period] + dt.timedelta(days=1), dt.time(), LONDON)
        w = {"events": n, "complete": newest >= end}
        if dim == "ethnicity":
            ref = counts.get((m, area, kind, period, dim, "white"), 0)
            p, rp = pop.get((area, grp)), pop[(area, "white")]
            ratio = lo = hi = None
            if grp not in ("white", "not_stated") and ref > 0:
                ratio = (n / p) / (ref / rp)
                if n > 0:
                    half = 1.959964 * math.sqrt(1 / n - 1 / p + 1 / ref - 1 / rp)
                    lo, hi = ratio * math.exp(-half), ratio * math.exp(half)
            w.update(ref_events=ref if (m, area, kind, period, dim, "white") in rows else None,
                     population=p, ratio=ratio, ci_low=lo, ci_high=hi)
        want[k] = w
    got = {}
    for line in open(dump_path):
        (m, area, kind, period, dim, grp, n, ref, p, ratio, lo, hi,
         complete) = line.rstrip("\n").split("|")
        f = lambda x: float(x) if x else None
        g = {"events": int(n), "complete": complete == "true"}
        if dim == "ethnicity":
            g.update(ref_events=int(ref) if ref else None, population=int(p) if p else None,
                     ratio=f(ratio), ci_low=f(lo), ci_high=f(hi))
        got[(m, area, kind, period, dim, grp)] = g
    bad = 0
    for k in sorted(set(want) | set(got)):
        w, o = want.get(k), got.get(k)
        same = w is not None and o is not None and set(w) == set(o) and all(
            (w[c] is None and o[c] is None) or (w[c] is not None and o[c] is not None and (
                abs(w[c] - o[c]) <= 1e-9 * max(1, abs(w[c]))))
            for c in w)
        if not same:
            bad += 1
            if bad <= 10:
                print(f"MISMATCH {k}: expected {w}, view {o}", file=sys.stderr)
    ratios = sum(1 for w in want.values() if w.get("ratio"))
    print(f"{len(want)} custody rows, {ratios} ratios, {bad} mismatches")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    if sys.argv[1] == "gen":
        gen(sys.argv[2])
    elif sys.argv[1] == "late":
        print(json.dumps(event("cfp-late", "2023-06-15T10:00:00Z", "use_of_force", "black",
                               "White", "E07000008")))
    else:
        check(*sys.argv[2:5])
PY
cdump() {
    psql_val "SELECT measure || '|' || area || '|' || period_kind || '|' || period || '|' ||
                     dimension || '|' || grp || '|' || events || '|' ||
                     coalesce(ref_events::text, '') || '|' || coalesce(population::text, '') ||
                     '|' || coalesce(ratio::text, '') || '|' || coalesce(ci_low::text, '') ||
                     '|' || coalesce(ci_high::text, '') || '|' || complete
                FROM equality.period_figures
               WHERE source = 'custody' AND period_kind <> 'quarter'
                 AND dimension <> 'ethnicity_detailed'" >"$EQM_TEST_DIR/cdump.txt"
}
ccheck() {
    python3 "$cpy" check "$EQM_TEST_DIR/custody.jsonl" "$C2021" "$EQM_TEST_DIR/cdump.txt" \
        >"$EQM_TEST_DIR/ccheck.out" 2>&1 ||
        fail "custody period_figures differ from the script's own ($1): $(head -12 "$EQM_TEST_DIR/ccheck.out")"
    eqm_test_log "custody, $1: $(tail -1 "$EQM_TEST_DIR/ccheck.out")"
}
cfy() { # COLUMN DIMENSION GROUP PERIOD: custody.use_of_force, force-wide
    psql_val "SELECT $1 FROM equality.period_figures
               WHERE source = 'custody' AND measure = 'custody.use_of_force'
                 AND area = 'cambridgeshire' AND dimension = '$2' AND grp = '$3'
                 AND period = '$4'"
}
python3 "$cpy" gen "$EQM_TEST_DIR/custody.jsonl"
kcat -P -b "$EQM_KAFKA_BROKERS" -t custody.events -k cambs <"$EQM_TEST_DIR/custody.jsonl"
consume eqm-custody
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.dead_letters")" "no custody dead letters"
cdump
ccheck "first stream"

# A late use of force dated 15 June 2023 (FY2023/24, closed), self-defined
# black, perceived White: ethnicity white and self_defined_ethnicity black
# move by one in its year and month; the year stays complete.
eb=$(cfy events ethnicity white FY2023/24)
sb=$(cfy events self_defined_ethnicity black FY2023/24)
mb=$(cfy events self_defined_ethnicity black 2023-06)
python3 "$cpy" late >>"$EQM_TEST_DIR/custody.jsonl"
tail -n 1 "$EQM_TEST_DIR/custody.jsonl" | kcat -P -b "$EQM_KAFKA_BROKERS" -t custody.events -k cambs
consume eqm-custody
assert_eq "$((eb + 1))|$((sb + 1))|$((mb + 1))|t" \
    "$(cfy events ethnicity white FY2023/24)|$(cfy events self_defined_ethnicity black FY2023/24)|$(cfy events self_defined_ethnicity black 2023-06)|$(cfy complete ethnicity white FY2023/24)" \
    "the late use of force moved FY2023/24 by perceived and by self-defined group; the year stays complete"
cdump
ccheck "after the late event"
echo "PASS test_fixed_periods"
