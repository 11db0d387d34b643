#!/usr/bin/env python3
"""Independent expected figures for a police.uk stop-and-search CSV.

Written apart from the C code on purpose: its own CSV reading (Python's csv
module), its own ethnicity mapping (by the published label prefixes), its
own local-day arithmetic (zoneinfo) and its own Katz/Wilson formulas. The
integration tests compare the service's tables with what this prints.

  expected_policeuk.py counts CSV            -> dimension|grp|searches|linked|link_known|arrests|s60|strip
                                                |pace_s1|mda_s23|other_power|nfa|other_outcome|children
  expected_policeuk.py agreement CSV         -> day|self_defined|officer_defined|searches
  expected_policeuk.py ratios CSV CENSUS AREA_CODES WINDOWS
                                             -> window|grp|n|pop|ref_n|ref_pop|ratio|lo|hi
  expected_policeuk.py shares CSV AREA WINDOWS DISPARITY.tsv
      compares the power, outcome and children shares (migration 016) of every
      dimension and group in AREA with DISPARITY (eqm_dump_figures); exit 0 if
      they agree. The share and ratio rules are expected_custody.py's figure().
"""
import csv
import math
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

sys.dont_write_bytecode = True  # no __pycache__ in the tree
from expected_custody import compare_figures, figure, read_figures  # noqa: E402

LONDON = ZoneInfo("Europe/London")
PACE_S1 = "police and criminal evidence act 1984 (section 1)"
MDA_S23 = "misuse of drugs act 1971 (section 23)"
# The share measures of migration 016, by their numerator's place in
# event_counts(); the base is the searches (place 0).
SHARES = [("stop_search.pace_s1_share", 6), ("stop_search.mda_s23_share", 7),
          ("stop_search.other_power_share", 8), ("stop_search.nfa_rate", 9),
          ("stop_search.other_outcome_rate", 10), ("stop_search.children_share", 11)]
REFERENCE = {"ethnicity": "white", "officer_defined_ethnicity": "white", "gender": "male",
             "age_range": "over 34"}
BME = ("asian", "black", "mixed", "other")


def broad(label):
    s = (label or "").strip()
    if not s or s.lower() in ("not stated", "not_stated") or s.endswith("Not stated"):
        return "not_stated"
    for prefix, grp in (("White", "white"), ("Asian", "asian"), ("Black", "black"),
                        ("Mixed", "mixed"), ("Other", "other")):
        if s.startswith(prefix):
            return grp
    raise SystemExit("unmapped ethnicity label: %r" % s)


def gender(v):
    v = (v or "").strip().lower()
    return v if v in ("male", "female", "other") else "not_stated"


def age(v):
    v = (v or "").strip()
    return v if v in ("under 10", "10-17", "18-24", "25-34", "over 34") else "not_stated"


def rows(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        for r in csv.DictReader(f):
            yield r


def power(legislation):
    """section_60, pace_s1, mda_s23 or other_power (blank included)."""
    s = legislation.lower()
    if "(section 60)" in s:
        return "section_60"
    if PACE_S1 in s:
        return "pace_s1"
    if MDA_S23 in s:
        return "mda_s23"
    return "other_power"


def outcome(value):
    """arrest, nfa or other_outcome (blank included)."""
    if value.strip().lower() == "arrest":
        return "arrest"
    return "nfa" if "no further action" in value.lower() else "other_outcome"


def event_counts(r):
    linked = r["Outcome linked to object of search"]
    p, o = power(r["Legislation"]), outcome(r["Outcome"])
    return [1,
            1 if linked == "True" else 0,
            1 if linked in ("True", "False") else 0,
            1 if o == "arrest" else 0,
            1 if p == "section_60" else 0,
            1 if r["Removal of more than just outer clothing"] == "True" else 0,
            1 if p == "pace_s1" else 0,
            1 if p == "mda_s23" else 0,
            1 if p == "other_power" else 0,
            1 if o == "nfa" else 0,
            1 if o == "other_outcome" else 0,
            1 if r["Age range"].strip() in ("under 10", "10-17") else 0]


def groups(r):
    return {"ethnicity": broad(r["Self-defined ethnicity"]),
            "officer_defined_ethnicity": broad(r["Officer-defined ethnicity"]),
            "gender": gender(r["Gender"]),
            "age_range": age(r["Age range"])}


def local_day(r):
    return datetime.fromisoformat(r["Date"]).astimezone(LONDON).date()


def counts(path):
    acc = {}
    for r in rows(path):
        c = event_counts(r)
        for dim, grp in groups(r).items():
            tot = acc.setdefault((dim, grp), [0] * len(c))
            for i, x in enumerate(c):
                tot[i] += x
    for (dim, grp), tot in sorted(acc.items()):
        print("|".join([dim, grp] + [str(x) for x in tot]))


def agreement(path):
    """Self-defined x officer-defined broad group per local day (migration
    019): every row of a file with both columns carries both (a blank one
    is not stated)."""
    acc = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        both = {"Self-defined ethnicity", "Officer-defined ethnicity"} <= set(reader.fieldnames)
        for r in reader:
            if not both:
                continue
            key = (local_day(r).isoformat(), broad(r["Self-defined ethnicity"]),
                   broad(r["Officer-defined ethnicity"]))
            acc[key] = acc.get(key, 0) + 1
    for key, n in sorted(acc.items()):
        print("|".join(list(key) + [str(n)]))


def katz(a, n1, b, n2, z=1.959963984540054):
    r = (a / n1) / (b / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return r, math.exp(math.log(r) - z * se), math.exp(math.log(r) + z * se)


def ratios(path, census, codes, windows):
    codes = set(codes.split(","))
    pop = {}
    with open(census, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["area_code"] in codes:
                g = broad(r["census_category"])
                pop[g] = pop.get(g, 0) + int(r["population"])
    pop["bme"] = sum(pop[g] for g in ("asian", "black", "mixed", "other"))
    data = list(rows(path))
    end = max(local_day(r) for r in data)
    for w in [int(x) for x in windows.split(",")]:
        start = end - timedelta(days=w - 1)
        n = {}
        for r in data:
            if start <= local_day(r) <= end:
                g = broad(r["Self-defined ethnicity"])
                n[g] = n.get(g, 0) + 1
        n["bme"] = sum(n.get(g, 0) for g in ("asian", "black", "mixed", "other"))
        for g in ("asian", "black", "mixed", "other", "bme"):
            if n.get(g, 0) == 0 or n.get("white", 0) == 0:
                continue
            r, lo, hi = katz(n[g], pop[g], n["white"], pop["white"])
            print("%d|%s|%d|%d|%d|%d|%.9g|%.9g|%.9g" % (w, g, n[g], pop[g], n["white"],
                                                        pop["white"], r, lo, hi))


def shares(path, area, windows, actual):
    data = [(local_day(r), groups(r), event_counts(r)) for r in rows(path)]
    end = max(day for day, _, _ in data)
    expected = {}
    for w in [int(x) for x in windows.split(",")]:
        start = end - timedelta(days=w - 1)
        sums = {}  # dimension -> group -> window sums; a group only if it has a search
        for day, g, c in data:
            if start <= day <= end:
                for dim, grp in g.items():
                    tot = sums.setdefault(dim, {}).setdefault(grp, [0] * len(c))
                    for i, x in enumerate(c):
                        tot[i] += x
        for dim, by_grp in sums.items():
            members = [by_grp[g] for g in BME if g in by_grp]
            if dim in ("ethnicity", "officer_defined_ethnicity") and members:
                by_grp["bme"] = [sum(x) for x in zip(*members)]
            ref = REFERENCE[dim]
            ref_c = by_grp.get(ref)
            for grp, c in by_grp.items():
                for measure, i in SHARES:
                    ref_n, ref_base = (ref_c[i], ref_c[0]) if ref_c else (0, 0)
                    row = {"reference_grp": ref, "window_end": end.isoformat(), "n": c[i],
                           "base": c[0], "ref_n": ref_n, "ref_base": ref_base}
                    row.update(figure(False, grp, ref, c[i], c[0], ref_n, ref_base))
                    expected[(measure, area, dim, grp, str(w))] = row
    names = {m for m, _ in SHARES}
    got = {k: v for k, v in read_figures(actual).items() if k[0] in names and k[1] == area}
    return compare_figures(expected, got)


if __name__ == "__main__":
    if sys.argv[1] == "counts":
        counts(sys.argv[2])
    elif sys.argv[1] == "agreement":
        agreement(sys.argv[2])
    elif sys.argv[1] == "ratios":
        ratios(*sys.argv[2:6])
    elif sys.argv[1] == "shares":
        sys.exit(shares(*sys.argv[2:6]))
    else:
        raise SystemExit(__doc__)
