"""web_custody_expected.py - what eqm-web's custody panel should serve, computed
here from the generator's exact counts (eqm-replay synth custody --expected)
and the Census file, not by the program; for test_web_custody.sh.

  web_custody_expected.py EXPECTED.tsv CENSUS FORCE=CODE,CODE WHAT FILE [key=value ...]
      WHAT: tactics, taser, out_of_court, trend, years; FILE: eqm-web's JSON; the
      key=value pairs are the request's (area, group, from, to, span, measure),
      and what the data must hold for the check to prove something
      (need_too_few=1, need_drawn=N, need_taser=1).

The counts and the population are read with expected_custody.py's readers
(the force is the sum of its districts). Months are calendar months; the
period of tactics, taser and out_of_court is from..to when both are given,
else the 12 months to `to` (or to the newest month counted in the area).

  rate ratio (a / pop_a) / (b / pop_b), Katz 95%:
      exp(ln r +/- 1.959964 sqrt(1/a - 1/pop_a + 1/b - 1/pop_b));
  out-of-court share ratio: the same with the disposals as the bases, no
      interval for a share of 100%;
  too few to compare: fewer than 10 events (the numerators) of either group.
"""
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import expected_custody as ec  # noqa: E402  the readers of the custody test
from web_expected import close  # noqa: E402  the stop and search panel's comparison

Z95 = 1.959963984540054
MIN_EVENTS = 10
GROUPS = {"bme": ec.BME, "black": ("black",), "asian": ("asian",), "mixed": ("mixed",),
          "other": ("other",), "white": ("white",), "not_stated": ("not_stated",)}
SHOWN = ["white", "bme", "black", "asian", "mixed", "other", "not_stated"]
# The forest plot's order: any use of force, then the tactics with Taser
# drawn and discharged side by side.
TACTICS = ["handcuffing", "restraint", "limb_restraints", "unarmed_skills", "spit_guard",
           "taser_drawn", "taser_discharged", "taser_aimed", "baton", "irritant_spray", "dog",
           "firearm", "other"]


def katz(a, n1, b, n2, share=False):
    """(ratio, low, high), None where there is none."""
    if n1 == 0 or n2 == 0 or b == 0:
        return None, None, None
    r = (a / n1) / (b / n2)
    if a == 0 or (share and (a == n1 or b == n2)):
        return r, None, None
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return r, math.exp(math.log(r) - Z95 * se), math.exp(math.log(r) + Z95 * se)


def month_of(day):
    return day[:7]


def add_months(month, k):
    y, m = int(month[:4]), int(month[5:7]) - 1 + k
    return f"{y + m // 12:04d}-{m % 12 + 1:02d}"


class Counts:
    """The generator's counts of one area's ethnicity rows, by month."""

    def __init__(self, counts, area):
        self.by = {}  # (month, grp, counter) -> n
        for (day, a, dim, grp, counter), n in counts.items():
            if a == area and dim == "ethnicity":
                key = (month_of(day), grp, counter)
                self.by[key] = self.by.get(key, 0) + n
        self.months = sorted({k[0] for k in self.by})

    def sum(self, months, group, counter):
        grps = ("white",) + ec.BME + ("not_stated",) if group == "all" else GROUPS[group]
        return sum(self.by.get((m, g, counter), 0) for m in months for g in grps)


def period(c, args):
    last = args.get("to") or c.months[-1]
    first = args.get("from") or add_months(last, -11)
    months = [m for m in c.months if first <= m <= last]
    return first, last, months


def check_period(got, first, last):
    if (got["period_from"], got["period_to"]) != (first, last):
        sys.exit(f"period {got['period_from']}..{got['period_to']}, expected {first}..{last}")


def check_ratio_row(row, a, n1, b, n2, what, share=False):
    too_few = a < MIN_EVENTS or b < MIN_EVENTS
    if row["too_few"] != too_few:
        sys.exit(f"{what}: too_few {row['too_few']} with {a} and {b} events")
    r, lo, hi = (None, None, None) if too_few else katz(a, n1, b, n2, share)
    close(r, row["ratio"], what + " ratio")
    close(lo, row["ci_low"], what + " ci_low")
    close(hi, row["ci_high"], what + " ci_high")
    return too_few


def check_tactics(c, pop, got, args):
    group = args.get("group", "bme")
    first, last, months = period(c, args)
    check_period(got, first, last)
    rows = got["rows"]
    codes = ["any"] + TACTICS
    if [r["code"] for r in rows] != codes:
        sys.exit(f"tactics: rows {[r['code'] for r in rows]}, expected {codes}")
    if got["group_population"] != pop[group] or got["reference_population"] != pop["white"]:
        sys.exit(f"tactics: populations {got['group_population']}, "
                 f"{got['reference_population']}, expected {pop[group]}, {pop['white']}")
    few, drawn = [], []
    for row, code in zip(rows, codes):
        counter = "use_of_force" if code == "any" else "tactic_" + code
        a, b = c.sum(months, group, counter), c.sum(months, "white", counter)
        if (row["group_events"], row["reference_events"]) != (a, b):
            sys.exit(f"tactics {code}: events {row['group_events']}, {row['reference_events']},"
                     f" expected {a}, {b}")
        if check_ratio_row(row, a, pop[group], b, pop["white"], f"tactics {code}"):
            few.append(code)
        else:
            drawn.append(code)
    print(f"tactics ({group}, {first}..{last}): {len(drawn)} ratios as computed; "
          f"too few: {few or 'none'}")
    return few, drawn


def check_taser(c, got, args):
    first, last, months = period(c, args)
    check_period(got, first, last)
    if [r["code"] for r in got["rows"]] != SHOWN:
        sys.exit(f"taser: groups {[r['code'] for r in got['rows']]}")
    for row in got["rows"]:
        g = row["code"]
        drawn, aimed, dis = (c.sum(months, g, "tactic_taser_" + t)
                             for t in ("drawn", "aimed", "discharged"))
        if (row["drawn"], row["aimed"], row["discharged"]) != (drawn, aimed, dis):
            sys.exit(f"taser {g}: {row}, expected {drawn} {aimed} {dis}")
        close(dis / drawn if drawn else None, row["share_discharged"], f"taser {g} share")
    print(f"taser: {len(got['rows'])} groups as computed")


def check_out_of_court(c, got, args):
    first, last, months = period(c, args)
    check_period(got, first, last)
    if [r["code"] for r in got["rows"]] != SHOWN:
        sys.exit(f"out_of_court: groups {[r['code'] for r in got['rows']]}")
    wk, wn = c.sum(months, "white", "out_of_court"), c.sum(months, "white", "disposals")
    ratios = 0
    for row in got["rows"]:
        g = row["code"]
        k, n = c.sum(months, g, "out_of_court"), c.sum(months, g, "disposals")
        if (row["out_of_court"], row["disposals"]) != (k, n):
            sys.exit(f"out_of_court {g}: {row}, expected {k} of {n}")
        close(k / n if n else None, row["share"], f"out_of_court {g} share")
        if g in ("white", "not_stated"):
            if row["ratio"] is not None or row["too_few"]:
                sys.exit(f"out_of_court {g}: a ratio for the reference or not stated: {row}")
            continue
        if not check_ratio_row(row, k, n, wk, wn, f"out_of_court {g}", share=True):
            ratios += 1
    if ratios < 2:
        sys.exit(f"out_of_court: only {ratios} ratios; the check would prove little")
    print(f"out_of_court: {len(got['rows'])} groups as computed, {ratios} ratios")


def check_trend(c, pop, got, args):
    group, span = args.get("group", "bme"), int(args.get("span", "12"))
    counter = args.get("measure", "use_of_force")
    if got["measure"] != "custody." + counter:
        sys.exit(f"trend: measure {got['measure']}, expected custody.{counter}")
    months = [add_months(c.months[0], k) for k in range(1000)
              if add_months(c.months[0], k) <= c.months[-1]]
    rows = got["rows"]
    if [r["month"] for r in rows] != months:
        sys.exit(f"trend: months {[r['month'] for r in rows]}, expected {months}")
    few = []
    for i, (row, m) in enumerate(zip(rows, months)):
        window = months[max(0, i - span + 1):i + 1]
        a, b = c.sum(window, group, counter), c.sum(window, "white", counter)
        ns, total = c.sum(window, "not_stated", counter), c.sum(window, "all", counter)
        what = f"trend {counter} span {span} {m}"
        if (row["group_events"], row["reference_events"], row["months"], row["not_stated"],
                row["all_events"]) != (a, b, len(window), ns, total):
            sys.exit(f"{what}: {row}, expected a={a} b={b} ns={ns} total={total}")
        # Every month here is after March 2021: the rule's Census 2021.
        if (row["population_base"], row["group_population"], row["reference_population"]) != \
                ("Census 2021", pop[group], pop["white"]):
            sys.exit(f"{what}: base {row['population_base']} {row['group_population']} "
                     f"{row['reference_population']}, expected Census 2021")
        close(ns / total if total else None, row["not_stated_share"], what + " share not stated")
        if check_ratio_row(row, a, pop[group], b, pop["white"], what):
            few.append(m)
            close(None, row["ratio_if_not_stated_in_group"], what + " sensitivity")
        else:
            close(katz(a + ns, pop[group], b, pop["white"])[0],
                  row["ratio_if_not_stated_in_group"], what + " sensitivity")
    print(f"trend {counter} span {span} ({group}): {len(rows)} months as computed, "
          f"too few in {few or 'none'}")
    return few


def financial_year(month):
    """The Home Office's label of the financial year (April to March) of a
    month: "year ending March 2025" for April 2024 to March 2025."""
    y, m = int(month[:4]), int(month[5:7])
    return f"year ending March {y + 1 if m >= 4 else y}"


def check_years(c, pop, got, args):
    """Each financial year of the counts, BME and every minority broad group against
    White, on Census 2021 (the rule's base after March 2021); a year is whole
    when the newest event (30 June 2025 here) is past its end."""
    counter = args.get("measure", "use_of_force")
    if got["measure"] != "custody." + counter:
        sys.exit(f"years: measure {got['measure']}, expected custody.{counter}")
    years = {}
    for m in c.months:
        years.setdefault(financial_year(m), []).append(m)
    # BME first (migration 025), a row once one of its groups has one.
    parts = {"bme": ("asian", "black", "mixed", "other"), "asian": ("asian",),
             "black": ("black",), "mixed": ("mixed",), "other": ("other",)}
    want = [(y, g) for y in years for g in parts
            if any(k[0] in years[y] and k[1] in parts[g] for k in c.by)]
    labels = {"bme": "Black and minority ethnic", "asian": "Asian", "black": "Black",
              "mixed": "Mixed", "other": "Other"}
    got_rows = [(r["year"], r["group"]) for r in got["rows"]]
    if got_rows != [(y, labels[g]) for y, g in want]:
        sys.exit(f"years: rows {got_rows}, expected {want}")
    drawn = 0
    for row, (y, g) in zip(got["rows"], want):
        a, b = c.sum(years[y], g, counter), c.sum(years[y], "white", counter)
        whole = y != financial_year(c.months[-1])
        what = f"years {counter} {y} {g}"
        if (row["group_events"], row["reference_events"], row["group_population"],
                row["reference_population"], row["population_base"], row["complete"]) != \
                (a, b, pop[g], pop["white"], "Census 2021", whole):
            sys.exit(f"{what}: {row}, expected {a} {b} {pop[g]} {pop['white']} {whole}")
        if row["too_few"] != (a < MIN_EVENTS or b < MIN_EVENTS):
            sys.exit(f"{what}: too_few {row['too_few']} with {a} and {b} events")
        # period_figures (schemas/sql/022, 024) writes z to six places.
        r = (a / pop[g]) / (b / pop["white"])
        se = math.sqrt(1 / a - 1 / pop[g] + 1 / b - 1 / pop["white"]) if a else None
        close(r, row["ratio"], what + " ratio")
        close(r * math.exp(-1.959964 * se) if se else None, row["ci_low"], what + " ci_low")
        close(r * math.exp(1.959964 * se) if se else None, row["ci_high"], what + " ci_high")
        drawn += not row["too_few"]
    if len(years) < 2 or drawn < 4:
        sys.exit(f"years: {len(years)} years, {drawn} ratios; the check would prove little")
    print(f"years {counter}: {len(want)} rows over {len(years)} financial years as computed")


def main():
    expected, census, force, what, path = sys.argv[1:6]
    args = dict(kv.split("=", 1) for kv in sys.argv[6:])
    force_name, _, codes = force.partition("=")
    counts = ec.read_expected([expected], force_name)
    area = args.get("area", force_name)
    pop = ec.read_population(census, force_name, set(codes.split(",")))[area]
    pop["not_stated"] = 0
    c = Counts(counts, area)
    with open(path) as f:
        got = json.load(f)
    if what == "tactics":
        few, drawn = check_tactics(c, pop, got, args)
        if args.get("need_too_few") and not few:
            sys.exit("tactics: no tactic was too few to compare; the check would prove nothing")
        if len(drawn) < int(args.get("need_drawn", "0")):
            sys.exit(f"tactics: only {len(drawn)} ratios drawn")
        if "taser_drawn" in drawn and "taser_discharged" not in drawn and args.get("need_taser"):
            sys.exit("tactics: Taser discharged too few; drawn and discharged not side by side")
    elif what == "taser":
        check_taser(c, got, args)
    elif what == "out_of_court":
        check_out_of_court(c, got, args)
    elif what == "trend":
        few = check_trend(c, pop, got, args)
        if args.get("need_too_few") and not few:
            sys.exit("trend: no month too few to compare; the check would prove nothing")
        if args.get("need_drawn") and len(few) == len(got["rows"]):
            sys.exit("trend: every month too few to compare")
    elif what == "years":
        check_years(c, pop, got, args)
    else:
        sys.exit(f"unknown check {what}")


if __name__ == "__main__":
    main()
