#!/usr/bin/env python3
"""Independent expected figures for a police.uk stop-and-search CSV.

Written apart from the C code on purpose: its own CSV reading (Python's csv
module), its own ethnicity mapping (by the published label prefixes), its
own local-day arithmetic (zoneinfo) and its own Katz/Wilson formulas. The
integration tests compare the service's tables with what this prints.

  expected_policeuk.py counts CSV            -> dimension|grp|searches|linked|link_known|arrests|s60|strip
  expected_policeuk.py ratios CSV CENSUS AREA_CODES WINDOWS
                                             -> window|grp|n|pop|ref_n|ref_pop|ratio|lo|hi
"""
import csv
import math
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


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


def event_counts(r):
    linked = r["Outcome linked to object of search"]
    return [1,
            1 if linked == "True" else 0,
            1 if linked in ("True", "False") else 0,
            1 if r["Outcome"] == "Arrest" else 0,
            1 if "(section 60)" in r["Legislation"] else 0,
            1 if r["Removal of more than just outer clothing"] == "True" else 0]


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
            tot = acc.setdefault((dim, grp), [0] * 6)
            for i in range(6):
                tot[i] += c[i]
    for (dim, grp), tot in sorted(acc.items()):
        print("|".join([dim, grp] + [str(x) for x in tot]))


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


if __name__ == "__main__":
    if sys.argv[1] == "counts":
        counts(sys.argv[2])
    elif sys.argv[1] == "ratios":
        ratios(*sys.argv[2:6])
    else:
        raise SystemExit(__doc__)
