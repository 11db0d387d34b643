"""web_expected.py - the stop and search stream of test_web.sh and the
figures eqm-web should draw from it, computed here from the events and
the Census file, not by the program.

  web_expected.py events CENSUS      JSON lines of the events, on stdout
  web_expected.py check CENSUS WHAT FILE
      WHAT: trend-force-12, trend-force-1, trend-district-1, funnel, breakdown,
            agreement-force, agreement-district, years;
      FILE: eqm-web's JSON.

The stream: 14 months (May 2024 to June 2025), six Cambridgeshire
districts, each month and district with counts from simple formulas.
Ratios: (a / pop_a) / (b / pop_b); Katz interval
exp(ln r +/- 1.959964 sqrt(1/a - 1/pop_a + 1/b - 1/pop_b)); funnel limits
theta exp(+/- z sqrt(1/(n p) + 1/(n (1 - p)))).
"""
import csv
import json
import math
import sys

DISTRICTS = ["E06000031", "E07000008", "E07000009", "E07000010", "E07000011", "E07000012"]
MONTHS = [(2024, m) for m in range(5, 13)] + [(2025, m) for m in range(1, 7)]
MIN_EVENTS = 10
# The i-th search of a group in a month and district has power POWERS[i % 4],
# outcome OUTCOMES[i % 3], age AGES[i % 5], a find when i is even, and more
# than outer clothing removed when i % 7 == 0.
POWERS = [("Police and Criminal Evidence Act 1984 (section 1)", "pace_s1"),
          ("Misuse of Drugs Act 1971 (section 23)", "mda_s23"),
          ("Criminal Justice and Public Order Act 1994 (section 60)", "section_60"),
          ("Firearms Act 1968 (section 47)", "other_power")]
OUTCOMES = [("A no further action disposal", "nfa"), ("Arrest", "arrest"),
            ("Community resolution", "other_outcome")]
AGES = ["10-17", "25-34", "25-34", "over 34", "18-24"]
# The officer-defined ethnicity of the i-th search of a group: the same
# group, but every fifth (i % 5 == 4) another (White for the others, Asian
# for White); for those not stated, null when i is odd, else White.
GROUP = {"White": "white", "Black": "black", "Asian": "asian", "Mixed": "mixed",
         "Other": "other", "Not stated": "not_stated"}
Z95 = 1.959963984540054
Z998 = 3.090232306167813


def counts(mi, di):
    """Searches by group in month mi, district di."""
    return {"Black": 2 + (mi + di) % 5, "White": 20 + 3 * di + mi, "Asian": 1 + mi % 3,
            "Mixed": di % 2, "Other": 1, "Not stated": mi % 4}


def officer(label, i):
    if label == "Not stated":
        return None if i % 2 else "White"
    if i % 5 == 4:
        return "Asian" if label == "White" else "White"
    return label


def events():
    for mi, (y, m) in enumerate(MONTHS):
        for di, d in enumerate(DISTRICTS):
            for label, n in counts(mi, di).items():
                for i in range(n):
                    print(json.dumps({
                        "event_id": f"web-{y}-{m}-{d}-{label}-{i}", "event_type": "stop_search",
                        "occurred_at": f"{y}-{m:02d}-15T12:00:00Z", "area": d,
                        "self_defined_ethnicity": label,
                        "officer_defined_ethnicity": officer(label, i), "gender": "Female",
                        "age_range": AGES[i % len(AGES)], "legislation": POWERS[i % 4][0],
                        "outcome": OUTCOMES[i % 3][0],
                        "outcome_linked_to_object_of_search": i % 2 == 0,
                        "removal_of_more_than_outer_clothing": i % 7 == 0}))


def population(path, districts):
    """bme and white population of the districts, from the Census rows."""
    pop = {"bme": 0, "white": 0}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["area_code"] not in districts:
                continue
            cat = row["census_category"]
            if cat.startswith("White"):
                pop["white"] += int(row["population"])
            elif cat.startswith(("Asian", "Black", "Mixed", "Other")):
                pop["bme"] += int(row["population"])
    return pop


def group_population(path, districts):
    """Population of each broad group (white, black, asian, mixed, other)
    in the districts, from the Census categories' names."""
    pop = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["area_code"] in districts:
                g = row["census_category"].split()[0].rstrip(",:").lower()
                pop[g] = pop.get(g, 0) + int(row["population"])
    return pop


def bme(c):
    return c["Black"] + c["Asian"] + c["Mixed"] + c["Other"]


def katz(a, n1, b, n2, z=Z95):
    r = (a / n1) / (b / n2)
    if a == 0:
        return r, None, None
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return r, r * math.exp(-z * se), r * math.exp(z * se)


def close(x, y, what):
    if x is None or y is None:
        if x is not y:
            sys.exit(f"{what}: expected {x}, got {y}")
        return
    if abs(x - y) > 1e-9 * max(1, abs(x)):
        sys.exit(f"{what}: expected {x!r}, got {y!r}")


def check_trend(census, span, got, dis):
    pop = population(census, [DISTRICTS[d] for d in dis])
    rows = got["rows"]
    too_few = []
    if len(rows) != len(MONTHS):
        sys.exit(f"trend: {len(rows)} months, expected {len(MONTHS)}")
    for i, (y, m) in enumerate(MONTHS):
        span_months = range(max(0, i - span + 1), i + 1)
        a = sum(bme(counts(k, d)) for k in span_months for d in dis)
        b = sum(counts(k, d)["White"] for k in span_months for d in dis)
        ns = sum(counts(k, d)["Not stated"] for k in span_months for d in dis)
        total = sum(sum(counts(k, d).values()) for k in span_months for d in dis)
        row = rows[i]
        what = f"trend span {span} {y}-{m:02d}"
        if row["month"] != f"{y}-{m:02d}" or row["group_events"] != a or \
                row["reference_events"] != b or row["months"] != len(span_months):
            sys.exit(f"{what}: counts {row}, expected a={a} b={b}")
        # Every month here is after March 2021: the rule's Census 2021.
        if (row["population_base"], row["group_population"], row["reference_population"]) != \
                ("Census 2021", pop["bme"], pop["white"]):
            sys.exit(f"{what}: base {row['population_base']} {row['group_population']} "
                     f"{row['reference_population']}, expected Census 2021 {pop['bme']} "
                     f"{pop['white']}")
        close(ns / total, row["not_stated_share"], what + " not stated share")
        if a < MIN_EVENTS or b < MIN_EVENTS:
            if not row["too_few"] or row["ratio"] is not None:
                sys.exit(f"{what}: {a} and {b} searches, not marked too few: {row}")
            too_few.append(row["month"])
            continue
        if row["too_few"]:
            sys.exit(f"{what}: marked too few with {a} and {b} searches")
        r, lo, hi = katz(a, pop["bme"], b, pop["white"])
        close(r, row["ratio"], what + " ratio")
        close(lo, row["ci_low"], what + " ci_low")
        close(hi, row["ci_high"], what + " ci_high")
        close(katz(a + ns, pop["bme"], b, pop["white"])[0], row["ratio_if_not_stated_in_group"],
              what + " sensitivity")
    print(f"trend span {span}: {len(rows)} months as computed, too few in {too_few or 'none'}")
    return too_few


def check_funnel(census, got):
    last = range(len(MONTHS) - 12, len(MONTHS))
    fa = sum(bme(counts(k, d)) for k in last for d in range(6))
    fb = sum(counts(k, d)["White"] for k in last for d in range(6))
    fpop = population(census, DISTRICTS)
    theta = katz(fa, fpop["bme"], fb, fpop["white"])[0]
    close(theta, got["force_ratio"], "funnel force ratio")
    close(fa / (fa + fb), got["force_group_share"], "funnel force share")
    byarea = {r["area"]: r for r in got["rows"]}
    if sorted(byarea) != sorted(DISTRICTS):
        sys.exit(f"funnel areas {sorted(byarea)}, expected {DISTRICTS}")
    for di, d in enumerate(DISTRICTS):
        a = sum(bme(counts(k, di)) for k in last)
        b = sum(counts(k, di)["White"] for k in last)
        pop = population(census, [d])
        row = byarea[d]
        if row["events"] != a + b:
            sys.exit(f"funnel {d}: {row['events']} events, expected {a + b}")
        close(katz(a, pop["bme"], b, pop["white"])[0], row["ratio"], f"funnel {d} ratio")
    p = fa / (fa + fb)
    for lim in got["limits"]:
        n = lim["events"]
        se = math.sqrt(1 / (n * p) + 1 / (n * (1 - p)))
        close(theta * math.exp(Z95 * se), lim["high95"], f"funnel limit at {n}")
        close(theta * math.exp(-Z998 * se), lim["low998"], f"funnel limit at {n}")
    if len(got["limits"]) < 10:
        sys.exit("funnel: fewer than 10 points on the limit lines")
    print(f"funnel: {len(byarea)} areas and {len(got['limits'])} limit points as computed")


def wilson(k, n):
    p = k / n
    z = Z95
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return p, max(0.0, centre - half), min(1.0, centre + half)


def check_breakdown(got):
    """The force's 12 months to June 2025, by group, from the rule above."""
    last = range(len(MONTHS) - 12, len(MONTHS))
    members = {"white": ["White"], "bme": ["Black", "Asian", "Mixed", "Other"],
               "black": ["Black"], "asian": ["Asian"], "mixed": ["Mixed"], "other": ["Other"],
               "not_stated": ["Not stated"]}
    rows = {r["group"]: r for r in got["rows"]}
    if list(rows) != list(members):
        sys.exit(f"breakdown groups {list(rows)}, expected {list(members)}")
    if (got["first_month"], got["last_month"]) != ("2024-07", "2025-06"):
        sys.exit(f"breakdown months {got['first_month']}..{got['last_month']}")
    for grp, labels in members.items():
        c = {k: 0 for k in ("searches", "pace_s1", "mda_s23", "section_60", "other_power", "nfa",
                            "arrest", "other_outcome", "linked", "children", "strip")}
        for k in last:
            for d in range(6):
                for label in labels:
                    for i in range(counts(k, d)[label]):
                        c["searches"] += 1
                        c[POWERS[i % 4][1]] += 1
                        c[OUTCOMES[i % 3][1]] += 1
                        c["linked"] += i % 2 == 0
                        c["children"] += AGES[i % 5] == "10-17"
                        c["strip"] += i % 7 == 0
        row = rows[grp]
        what = f"breakdown {grp}"
        if row["searches"] != c["searches"] or row["children"] != c["children"] or \
                row["strip"] != c["strip"]:
            sys.exit(f"{what}: {row}, expected {c}")
        if c["searches"] < MIN_EVENTS:
            if not row["too_few"] or row["nfa_share"] is not None:
                sys.exit(f"{what}: {c['searches']} searches, not marked too few")
            continue
        n = c["searches"]
        for key in ("pace_s1", "mda_s23", "section_60", "other_power", "nfa", "arrest",
                    "other_outcome"):
            close(c[key] / n, row[key + "_share"], f"{what} {key}")
        close(c["linked"] / n, row["find_rate"], f"{what} find rate")
        for key in ("children", "strip"):
            p, lo, hi = wilson(c[key], n)
            close(p, row[key + "_share"], f"{what} {key} share")
            close(lo, row[key + "_ci_low"], f"{what} {key} low")
            close(hi, row[key + "_ci_high"], f"{what} {key} high")
    print(f"breakdown: {len(rows)} groups as computed")


def check_agreement(got, first, last, dis):
    """Self-defined x officer-defined over months first..last (indexes of
    MONTHS) in districts dis, counted search by search from the rule above."""
    groups = ["white", "black", "asian", "mixed", "other", "not_stated"]
    cell = {(s, o): 0 for s in groups for o in groups}
    for k in range(first, last + 1):
        for d in dis:
            for label, n in counts(k, d).items():
                for i in range(n):
                    o = officer(label, i)
                    cell[GROUP[label], GROUP[o] if o else "not_stated"] += 1
    months = (f"{MONTHS[first][0]}-{MONTHS[first][1]:02d}",
              f"{MONTHS[last][0]}-{MONTHS[last][1]:02d}")
    if (got["first_month"], got["last_month"]) != months:
        sys.exit(f"agreement months {got['first_month']}..{got['last_month']}, expected {months}")
    total = sum(cell.values())
    agreed = sum(cell[g, g] for g in groups)
    stated = sum(v for (s_, o), v in cell.items() if "not_stated" not in (s_, o))
    stated_agreed = sum(cell[g, g] for g in groups[:5])
    if [r["self_defined"] for r in got["rows"]] != groups + ["all"]:
        sys.exit(f"agreement rows {[r['self_defined'] for r in got['rows']]}")
    if got["columns"] != ["self_defined"] + groups + ["total", "agreement_share"]:
        sys.exit(f"agreement columns {got['columns']}")
    for r in got["rows"]:
        s_ = r["self_defined"]
        want = {o: (sum(cell[x, o] for x in groups) if s_ == "all" else cell[s_, o])
                for o in groups}
        if {o: r[o] for o in groups} != want or r["total"] != sum(want.values()):
            sys.exit(f"agreement row {s_}: {r}, expected {want}")
        diag = agreed if s_ == "all" else cell[s_, s_]
        close(diag / r["total"] if r["total"] else None, r["agreement_share"],
              f"agreement {s_} share")
    if (got["searches"], got["agreed"], got["stated"], got["stated_agreed"]) != \
            (total, agreed, stated, stated_agreed):
        sys.exit(f"agreement totals {got['searches']} {got['agreed']} {got['stated']} "
                 f"{got['stated_agreed']}, expected {total} {agreed} {stated} {stated_agreed}")
    close(agreed / total, got["agreement_share"], "agreement share")
    close(stated_agreed / stated, got["stated_agreement_share"], "agreement share, stated")
    if not 0 < agreed < total:
        sys.exit("agreement: all or none agree; the check would prove little")
    print(f"agreement {months[0]}..{months[1]} in {len(dis)} districts: {agreed} of {total} "
          f"agree, {stated_agreed} of {stated} stated on both, as computed")


def check_years(census, got):
    """The force by financial year (April to March): May 2024 to March 2025
    is the year ending March 2025, whole (the newest search is in June
    2025); April to June 2025 the year ending March 2026, still running.
    Both are after March 2021, so on Census 2021 (the rule's default)."""
    pop = group_population(census, DISTRICTS)
    years = [("year ending March 2025", range(0, MONTHS.index((2025, 3)) + 1), True),
             ("year ending March 2026", range(MONTHS.index((2025, 4)), len(MONTHS)), False)]
    names = {"BME": "Black and minority ethnic", "Asian": "Asian", "Black": "Black",
             "Mixed": "Mixed", "Other": "Other"}
    want = [(label, names[g]) for label, _, _ in years for g in names]
    if [(r["year"], r["group"]) for r in got["rows"]] != want:
        sys.exit(f"years rows {[(r['year'], r['group']) for r in got['rows']]}, expected {want}")
    rows = iter(got["rows"])
    for label, months, whole in years:
        b = sum(counts(k, d)["White"] for k in months for d in range(6))
        for g in names:
            row = next(rows)
            c = [counts(k, d) for k in months for d in range(6)]
            a = sum(bme(x) if g == "BME" else x[g] for x in c)
            what = f"years {label} {g}"
            pa = sum(pop[p] for p in ("asian", "black", "mixed", "other")) if g == "BME" \
                else pop[g.lower()]
            pb = pop["white"]
            if (row["group_events"], row["reference_events"], row["group_population"],
                    row["reference_population"], row["complete"], row["population_base"]) != \
                    (a, b, pa, pb, whole, "Census 2021"):
                sys.exit(f"{what}: {row}, expected {a} {b} {pa} {pb} {whole} Census 2021")
            if row["too_few"] != (a < MIN_EVENTS or b < MIN_EVENTS):
                sys.exit(f"{what}: too_few {row['too_few']} with {a} and {b} searches")
            # period_figures (schemas/sql/022, 024) writes z to six places.
            r, lo, hi = katz(a, pa, b, pb, 1.959964) if a > 0 else (0.0, None, None)
            close(a * 1000 / pa, row["rate"], what + " rate")
            close(b * 1000 / pb, row["reference_rate"], what + " White rate")
            close(r, row["ratio"], what + " ratio")
            close(lo, row["ci_low"], what + " ci_low")
            close(hi, row["ci_high"], what + " ci_high")
    print(f"years: {len(want)} rows (2 financial years by BME and 4 groups) as computed")


def main():
    if sys.argv[1] == "events":
        events()
        return
    census, what, path = sys.argv[2], sys.argv[3], sys.argv[4]
    with open(path) as f:
        got = json.load(f)
    if what == "trend-force-12":
        check_trend(census, 12, got, range(6))
    elif what == "trend-force-1":
        check_trend(census, 1, got, range(6))
    elif what == "trend-district-1":
        # The sixth district (E07000012), the month alone: its Black and
        # minority ethnic searches (5 to 11 a month) are sometimes under 10.
        if not check_trend(census, 1, got, [5]):
            sys.exit("trend-district-1: no month was too few; the check would prove nothing")
    elif what == "funnel":
        check_funnel(census, got)
    elif what == "breakdown":
        check_breakdown(got)
    elif what == "agreement-force":
        # The default: the 12 months to the newest (July 2024 to June 2025).
        check_agreement(got, len(MONTHS) - 12, len(MONTHS) - 1, range(6))
    elif what == "agreement-district":
        # E07000012, January to March 2025 (the months chosen).
        check_agreement(got, MONTHS.index((2025, 1)), MONTHS.index((2025, 3)), [5])
    elif what == "years":
        check_years(census, got)
    else:
        sys.exit(f"unknown check {what}")


if __name__ == "__main__":
    main()
