#!/usr/bin/env python3
"""Independent expected counts and figures for the custody service.

Written apart from the C code on purpose: it reads the generator's expected
counts (eqm-replay synth custody --expected FILE) and a Census tidy CSV with
its own parsing, keeps the whole force as the sum of the areas, and computes
every figure of equality.disparity (measures custody.*) with its own window
arithmetic and its own textbook formulas:

  rate per 1,000 = n / population x 1000, Wilson score interval, scaled;
  share = n / base, Wilson score interval;
  ratio = (n / base) / (ref_n / ref_base), Katz log interval
          exp(ln r +/- z sqrt(1/n - 1/base + 1/ref_n - 1/ref_base)).

It then compares them with what the service wrote, and prints the first
differences. Exit status 0 when everything agrees.

  expected_custody.py counts --force NAME EXPECTED.tsv... -- ACTUAL.tsv
      ACTUAL: day, area, dimension, grp, counter, n (n > 0 only), tab-separated
  expected_custody.py figures --force NAME=CODE,CODE --census CSV [--windows 28,91,365]
                      EXPECTED.tsv... -- DISPARITY.tsv
      DISPARITY: measure, area, dimension, grp, reference_grp, window_days,
      window_end, n, base, ref_n, ref_base, rate, rate_ci_low, rate_ci_high,
      ref_rate, ratio, ci_low, ci_high, note (empty = NULL), tab-separated
"""
import argparse
import csv
import math
import sys
from datetime import date, timedelta

Z = 1.959963984540054  # the 0.975 quantile of the standard normal
REL_TOL = 1e-9
ABS_TOL = 1e-12  # for bounds that are 0 in exact arithmetic

TACTICS = ["handcuffing", "restraint", "limb_restraints", "unarmed_skills", "spit_guard",
           "taser_drawn", "taser_aimed", "taser_discharged", "baton", "irritant_spray", "dog",
           "firearm", "other"]
POPULATION = None  # marks a measure whose base is the Census population
MEASURES = ([("custody.arrests", "arrests", POPULATION),
             ("custody.detentions", "detentions", POPULATION),
             ("custody.strip_searches", "strip_searches", POPULATION),
             ("custody.use_of_force", "use_of_force", POPULATION)]
            + [("custody.use_of_force_by_tactic." + t, "tactic_" + t, POPULATION)
               for t in TACTICS]
            + [("custody.strip_search_share", "strip_searches", "detentions"),
               ("custody.out_of_court_share", "out_of_court", "disposals"),
               ("custody.charge_share", "charged", "disposals")])
REFERENCE = {"ethnicity": "white", "officer_defined_ethnicity": "white",
             "self_defined_ethnicity": "white", "gender": "male", "age_range": "over 34"}
# The detailed groups' dimension is not modelled here (its mapping and
# aggregates: unit tests and test_detailed_groups.sh); left out of both sides.
DETAILED = "ethnicity_detailed"
# broad groups: bme, Census population
ETHNIC = ("ethnicity", "officer_defined_ethnicity", "self_defined_ethnicity")
BME = ("asian", "black", "mixed", "other")


def read_expected(paths, force):
    """{(day, area, dimension, grp, counter): n}, force rows added."""
    acc = {}
    for path in paths:
        with open(path, newline="", encoding="utf-8") as f:
            rows = csv.reader(f, delimiter="\t")
            header = next(rows)
            if header != ["day", "area", "dimension", "grp", "counter", "n"]:
                raise SystemExit("%s: unexpected header %r" % (path, header))
            for day, area, dim, grp, counter, n in rows:
                for a in (area, force) if area != force else (area,):
                    key = (day, a, dim, grp, counter)
                    acc[key] = acc.get(key, 0) + int(n)
    return acc


def read_tsv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return [line.rstrip("\n").split("\t") for line in f if line.strip()]


def report(diffs, what, checked):
    if diffs:
        for d in diffs[:25]:
            print(d, file=sys.stderr)
        print("%d of %d %s differ" % (len(diffs), checked, what), file=sys.stderr)
        return 1
    print("%d %s agree" % (checked, what))
    return 0


def cmd_counts(args):
    expected = read_expected(args.expected, args.force)
    actual = {}
    for row in read_tsv(args.actual):
        day, area, dim, grp, counter, n = row
        if dim == DETAILED:
            continue
        actual[(day, area, dim, grp, counter)] = int(n)
    diffs = []
    for key in sorted(set(expected) | set(actual)):
        e, a = expected.get(key, 0), actual.get(key, 0)
        if e != a:
            diffs.append("count %s: expected %d, database has %d" % ("|".join(key), e, a))
    return report(diffs, "non-zero daily counts", len(set(expected) | set(actual)))


# ---- figures ------------------------------------------------------------

def broad(category):
    """Broad group of a Census 2021 TS021 category or a broad group name."""
    s = category.strip().lower()
    for prefix, grp in (("white", "white"), ("asian", "asian"), ("black", "black"),
                        ("mixed", "mixed"), ("other", "other")):
        if s.startswith(prefix):
            return grp
    raise SystemExit("unmapped census category %r" % category)


def read_population(census, force_name, force_codes):
    """{area: {grp: population}} for each district in the file and the force."""
    pop = {}
    with open(census, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            g = broad(r["census_category"])
            for area in {r["area_code"]} | ({force_name} if r["area_code"] in force_codes else set()):
                pop.setdefault(area, {}).setdefault(g, 0)
                pop[area][g] += int(r["population"])
    for groups in pop.values():
        groups["bme"] = sum(groups.get(g, 0) for g in BME)
    return pop


def wilson(k, n):
    p = k / n
    centre = p + Z * Z / (2 * n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    d = 1 + Z * Z / n
    return p, max(0.0, (centre - half) / d), min(1.0, (centre + half) / d)


def figure(by_population, grp, ref, n, base, ref_n, ref_base):
    """One row of equality.disparity after its counts: a dict of the rest."""
    f = {"rate": None, "rate_ci_low": None, "rate_ci_high": None, "ref_rate": None,
         "ratio": None, "ci_low": None, "ci_high": None, "note": None}
    scale = 1000.0 if by_population else 1.0
    if base is not None and base > 0 and n <= base:
        p, lo, hi = wilson(n, base)
        f["rate"], f["rate_ci_low"], f["rate_ci_high"] = p * scale, lo * scale, hi * scale
    if ref_base is not None and ref_base > 0 and ref_n <= ref_base:
        f["ref_rate"] = ref_n / ref_base * scale
    if grp == "not_stated":
        f["note"] = "not stated: left out of ratios"
    elif grp == ref:
        f["note"] = "reference group"
    elif by_population and base is None:
        f["note"] = "no population figure for this area and group"
    elif by_population and ref_base is None:
        f["note"] = "no population figure for the reference group"
    elif base == 0:
        f["note"] = "no base: nothing to divide by"
    elif ref_base == 0:
        f["note"] = "reference group has no events in the window: no ratio"
    elif ref_n == 0:
        f["note"] = "reference group's count is zero: no ratio"
    elif n > base or ref_n > ref_base:
        f["note"] = ("more events than population: check the area's population" if by_population
                     else "more events than their base (a share above 100%): no ratio")
    else:
        r = (n / base) / (ref_n / ref_base)
        f["ratio"] = r
        if n == 0:
            f["note"] = "zero count: no confidence interval"
        elif not by_population and (n == base or ref_n == ref_base):
            f["note"] = "a share of 100%: no confidence interval"
        else:
            se = math.sqrt(1 / n - 1 / base + 1 / ref_n - 1 / ref_base)
            f["ci_low"] = math.exp(math.log(r) - Z * se)
            f["ci_high"] = math.exp(math.log(r) + Z * se)
    return f


def expected_figures(counts, pop, windows):
    """{(measure, area, dimension, grp, window): row dict}."""
    end = max(date.fromisoformat(k[0]) for k in counts)
    out = {}
    for w in windows:
        start = end - timedelta(days=w - 1)
        sums = {}  # (area, dim) -> grp -> counter -> n
        for (day, area, dim, grp, counter), n in counts.items():
            if start <= date.fromisoformat(day) <= end:
                c = sums.setdefault((area, dim), {}).setdefault(grp, {})
                c[counter] = c.get(counter, 0) + n
        for (area, dim), groups in sums.items():
            ref = REFERENCE[dim]
            if dim in ETHNIC and any(g in groups for g in BME):
                bme = {}
                for g in BME:
                    for counter, n in groups.get(g, {}).items():
                        bme[counter] = bme.get(counter, 0) + n
                groups["bme"] = bme
            ref_counts = groups.get(ref)
            for grp, c in groups.items():
                for measure, num, den in MEASURES:
                    by_pop = den is POPULATION
                    n = c.get(num, 0)
                    ref_n = ref_counts.get(num, 0) if ref_counts is not None else 0
                    if by_pop:
                        area_pop = pop.get(area, {}) if dim in ETHNIC else {}
                        base, ref_base = area_pop.get(grp), area_pop.get(ref)
                    else:
                        base = c.get(den, 0)
                        ref_base = ref_counts.get(den, 0) if ref_counts is not None else 0
                    row = {"reference_grp": ref, "window_end": end.isoformat(), "n": n,
                           "base": base, "ref_n": ref_n, "ref_base": ref_base}
                    row.update(figure(by_pop, grp, ref, n, base, ref_n, ref_base))
                    out[(measure, area, dim, grp, str(w))] = row
    return out


COLUMNS = ["measure", "area", "dimension", "grp", "reference_grp", "window_days", "window_end",
           "n", "base", "ref_n", "ref_base", "rate", "rate_ci_low", "rate_ci_high", "ref_rate",
           "ratio", "ci_low", "ci_high", "note"]
INTS = ("n", "base", "ref_n", "ref_base")
FLOATS = ("rate", "rate_ci_low", "rate_ci_high", "ref_rate", "ratio", "ci_low", "ci_high")


def close(e, a):
    return abs(e - a) <= REL_TOL * max(abs(e), abs(a)) + ABS_TOL


def read_figures(path):
    """{(measure, area, dimension, grp, window): row} of an eqm_dump_figures file."""
    actual = {}
    for row in read_tsv(path):
        if len(row) != len(COLUMNS):
            raise SystemExit("%s: %d columns, expected %d: %r" % (path, len(row),
                                                                 len(COLUMNS), row))
        r = dict(zip(COLUMNS, row))
        if r["dimension"] == DETAILED:
            continue
        actual[(r["measure"], r["area"], r["dimension"], r["grp"], r["window_days"])] = r
    return actual


def cmd_figures(args):
    force_name, _, codes = args.force.partition("=")
    counts = read_expected(args.expected, force_name)
    pop = read_population(args.census, force_name, set(codes.split(",")))
    expected = expected_figures(counts, pop, [int(w) for w in args.windows.split(",")])
    return compare_figures(expected, read_figures(args.actual))


def compare_figures(expected, actual):
    """Every expected figure against the database's (read_figures()), both
    ways; prints the first differences. Returns the exit status."""
    diffs, values = [], 0
    for key in sorted(set(expected) - set(actual)):
        diffs.append("figure %s: missing from the database" % "|".join(key))
    for key in sorted(set(actual) - set(expected)):
        diffs.append("figure %s: in the database, not expected" % "|".join(key))
    for key in sorted(set(expected) & set(actual)):
        e, a = expected[key], actual[key]
        for col in ["reference_grp", "window_end", "note"] + list(INTS) + list(FLOATS):
            ev, av = e[col], a[col]
            values += 1
            if ev is None or av == "":
                ok = ev is None and av == ""
            elif col in INTS:
                ok = int(av) == ev
            elif col in FLOATS:
                ok = close(ev, float(av))
            else:
                ok = av == ev
            if not ok:
                diffs.append("figure %s %s: expected %r, database has %r"
                             % ("|".join(key), col, ev, av))
    status = report(diffs, "figures (%d values)" % values, len(set(expected) | set(actual)))
    if not status:
        ratios = sum(1 for e in expected.values() if e["ratio"] is not None)
        cis = sum(1 for e in expected.values() if e["ci_low"] is not None)
        print("of which %d ratios, %d with a confidence interval" % (ratios, cis))
    return status


def main():
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    c = sub.add_parser("counts")
    c.add_argument("--force", default="force")
    c.add_argument("expected", nargs="+")
    f = sub.add_parser("figures")
    f.add_argument("--force", required=True, help="NAME=CODE,CODE...")
    f.add_argument("--census", required=True)
    f.add_argument("--windows", default="28,91,365")
    f.add_argument("expected", nargs="+")
    argv = sys.argv[1:]
    if "--" not in argv:
        p.error("expected ... -- ACTUAL.tsv")
    i = argv.index("--")
    args = p.parse_args(argv[:i])
    args.actual = argv[i + 1]
    return cmd_counts(args) if args.cmd == "counts" else cmd_figures(args)


if __name__ == "__main__":
    sys.exit(main())
