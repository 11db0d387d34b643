#!/usr/bin/env python3
"""Independent expectations for tests/integration/test_recruitment.sh.

Re-implements the README's recruitment and workforce formulas from the
generator's expected counts (eqm-replay synth recruitment --expected), and
compares them with the rows the service wrote, given as psql -A output.

  expected_recruitment.py attrition EXPECTED.tsv... -- ACTUAL.psv
  expected_recruitment.py workforce POPULATION(area:grp=n,...) EXPECTED.tsv... -- ACTUAL.psv

Prints one line per disagreement and exits 1 if there is any; prints the
number of rows checked otherwise. Fisher's exact test is computed here with
exact integer binomial coefficients, not with the C code's method.
"""
import math
import sys
from fractions import Fraction

STAGES = ["application", "eligibility", "assessment_centre", "interview", "vetting",
          "medical", "fitness", "offer", "appointment"]
ALL_STAGES = STAGES + ["end_to_end", "withdrawal"]
BME = ("asian", "black", "mixed", "other")
BROAD = ("asian", "black", "mixed", "white", "other")
REFERENCE = {"ethnicity": "white", "sex": "male", "disability": "no", "age_range": None,
             "ethnicity_detailed": "white_british"}
# The detailed groups' aggregates (README, "Detailed groups"): bme is every
# Census category (or heading only, "asian_unspecified") under the four
# headings; white_minority the four white categories but White British.
WHITE_MINORITY = ("white_irish", "white_gypsy_irish_traveller", "white_roma", "white_other")
AGGREGATES = ("bme", "white_minority", "all_minority")


def detailed_members(grp):
    """The aggregates a detailed group is part of."""
    if grp.split("_")[0] in BME:
        return ("bme", "all_minority")
    if grp in WHITE_MINORITY:
        return ("white_minority", "all_minority")
    return ()


def add_up(parts):
    """The stage-by-stage sum of several groups' {stage: counts}."""
    out = {}
    for p in parts:
        for st, v in p.items():
            old = out.get(st, (0, 0, 0, 0))
            out[st] = tuple(x + y for x, y in zip(old, v))
    return out
Z = 1.959963984540054


def fisher(a, b, c, d):
    """Two-sided Fisher exact p: sum of P(table) <= P(observed) (1e-7 relative)."""
    r1, c1, n = a + b, a + c, a + b + c + d
    lo, hi = max(0, c1 - (n - r1)), min(r1, c1)
    denom = math.comb(n, c1)
    probs = {x: Fraction(math.comb(r1, x) * math.comb(n - r1, c1 - x), denom)
             for x in range(lo, hi + 1)}
    p_obs = probs[a]
    return float(sum(p for p in probs.values() if p <= p_obs * Fraction(10000001, 10000000)))


def katz(a, n1, b, n2):
    if n1 <= 0 or n2 <= 0 or b <= 0:
        return None, None, None
    r = (a / n1) / (b / n2)
    if a == 0:
        return r, None, None
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return r, math.exp(math.log(r) - Z * se), math.exp(math.log(r) + Z * se)


def split_args(argv):
    i = argv.index("--")
    return argv[:i], argv[i + 1]


def read_expected(paths, kind):
    rows = []
    for p in paths:
        with open(p) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if parts[0] == kind:
                    rows.append(parts[1:])
    return rows


def close(x, y):
    if x is None or y is None:
        return x is None and y is None
    return abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y))


def num(s):
    return None if s == "" else float(s)


def cell(stages, stage):
    """(entered, passed, failed, withdrawn, base) of a group at a stage."""
    if stage in STAGES:
        e, p, f, w = stages.get(stage, (0, 0, 0, 0))
        return e, p, f, w, p + f
    applied = stages.get("application", (0, 0, 0, 0))[0]
    withdrawn = sum(v[3] for v in stages.values())
    if stage == "end_to_end":
        passed = stages.get("appointment", (0, 0, 0, 0))[1]
        return applied, passed, max(0, applied - passed - withdrawn), withdrawn, applied
    w = min(withdrawn, applied)
    return applied, applied - w, 0, w, applied


def attrition(argv):
    paths, actual_path = split_args(argv)
    groups = {}  # (role, dimension) -> grp -> stage -> counts
    for role, campaign, stage, dim, grp, e, p, f, w in read_expected(paths, "funnel"):
        if campaign != "*":
            continue
        g = groups.setdefault((role, dim), {}).setdefault(grp, {})
        old = g.get(stage, (0, 0, 0, 0))
        g[stage] = tuple(o + int(v) for o, v in zip(old, (e, p, f, w)))
    for (role, dim), gs in groups.items():
        if dim == "ethnicity" and any(b in gs for b in BME):
            bme = {}
            for b in BME:
                for st, v in gs.get(b, {}).items():
                    old = bme.get(st, (0, 0, 0, 0))
                    bme[st] = tuple(x + y for x, y in zip(old, v))
            gs["bme"] = bme
        if dim == "ethnicity_detailed":
            for agg in AGGREGATES:
                parts = [v for g, v in gs.items() if agg in detailed_members(g)]
                if parts:
                    gs[agg] = add_up(parts)
    expected = {}
    for (role, dim), gs in groups.items():
        for stage in ALL_STAGES:
            cells = {g: cell(s, stage) for g, s in gs.items()}
            ref = REFERENCE[dim]
            if ref is None:
                cands = [(Fraction(c[1], c[4]), c[4], g) for g, c in cells.items()
                         if c[4] > 0 and g != "not_stated" and g not in AGGREGATES]
                # highest rate, then larger base, then the first name
                cands.sort(key=lambda t: (-t[0], -t[1], t[2]))
                cmp = cands[0][2] if cands else None
            else:
                cmp = ref if ref in cells and cells[ref][4] > 0 else None
            for g, (e, p, f, w, base) in cells.items():
                if e == 0 and base == 0:
                    continue
                ratio = lo = hi = pv = None
                if g != "not_stated" and g != cmp and cmp is not None and base > 0:
                    ce, cp, _, _, cb = cells[cmp]
                    ratio, lo, hi = katz(p, base, cp, cb)
                    pv = fisher(p, base - p, cp, cb - cp)
                expected[(role, stage, dim, g)] = (
                    cmp if cmp is not None else ref, e, p, f, w,
                    p / base if base else None, ratio, lo, hi, pv)
    bad = 0
    seen = set()
    with open(actual_path) as f:
        for line in f:
            (role, stage, dim, grp, cmp, e, p, fl, w, rate, ratio, lo, hi, pv,
             breach, sig) = line.rstrip("\n").split("|")
            key = (role, stage, dim, grp)
            seen.add(key)
            if key not in expected:
                print("unexpected row", key)
                bad += 1
                continue
            x = expected[key]
            got = (cmp or None, int(e), int(p), int(fl), int(w), num(rate), num(ratio),
                   num(lo), num(hi), num(pv))
            ok = got[:5] == x[:5] and all(close(a, b) for a, b in zip(got[5:], x[5:]))
            want_breach = "" if x[6] is None else ("t" if x[6] < 0.8 else "f")
            want_sig = "" if x[9] is None else ("t" if x[9] < 0.05 else "f")
            if not ok or breach != want_breach or sig != want_sig:
                print("row", key, "got", got, breach, sig, "expected", x, want_breach, want_sig)
                bad += 1
    for key in expected.keys() - seen:
        print("missing row", key)
        bad += 1
    if bad:
        sys.exit(1)
    print("%d attrition rows agree" % len(expected))


def workforce(argv):
    pop_arg, rest = argv[0], argv[1:]
    paths, actual_path = split_args(rest)
    pops = {}
    for item in pop_arg.split(","):
        k, v = item.split("=")
        area, grp = k.split(":")
        pops[(area, grp)] = int(v)
    data = {}  # (role, area) -> grp -> [snap, j, l, days, known]
    for role, area, dim, grp, snap, j, l, days, known in read_expected(paths, "workforce"):
        if dim != "ethnicity":
            continue
        for a in (area, "force"):
            g = data.setdefault((role, a), {}).setdefault(grp, [0, 0, 0, 0, 0])
            for i, v in enumerate((snap, j, l, days, known)):
                g[i] += int(v)
    expected = {}
    for (role, area), gs in data.items():
        for b in BROAD:
            gs.setdefault(b, [0, 0, 0, 0, 0])
        gs["bme"] = [sum(gs[b][i] for b in BME) for i in range(5)]
        hc = {g: v[0] + v[1] - v[2] for g, v in gs.items()}
        total = sum(hc[b] for b in BROAD)
        pop_known = all((area, b) in pops for b in BROAD)
        pop_total = sum(pops[(area, b)] for b in BROAD) if pop_known else None
        avg = {g: hc[g] - (v[1] - v[2]) / 2 for g, v in gs.items()}
        for g, v in gs.items():
            pop = sum(pops[(area, b)] for b in BME) if g == "bme" and pop_known else \
                pops.get((area, g))
            share = hc[g] / total if g != "not_stated" and total else None
            rep = None
            if share is not None and pop_total and pop:
                rep = share / (pop / pop_total)
            rate = v[2] / avg[g] if avg[g] > 0 else None
            ratio = None
            if g not in ("white", "not_stated") and avg[g] > 0 and avg["white"] > 0 \
                    and gs["white"][2] > 0:
                ratio = rate / (gs["white"][2] / avg["white"])
            mean = v[3] / v[4] / 365.25 if v[4] else None
            expected[(role, area, g)] = (hc[g], total, rep, v[1], v[2], rate, ratio, mean)
    bad = 0
    seen = set()
    with open(actual_path) as f:
        for line in f:
            role, area, grp, hcv, tot, rep, j, l, rate, ratio, mean = \
                line.rstrip("\n").split("|")
            key = (role, area, grp)
            seen.add(key)
            if key not in expected:
                print("unexpected row", key)
                bad += 1
                continue
            x = expected[key]
            got = (int(hcv), int(tot), num(rep), int(j), int(l), num(rate), num(ratio), num(mean))
            if got[:2] != x[:2] or got[3:5] != x[3:5] or \
                    not all(close(a, b) for a, b in zip(got[2:3] + got[5:], x[2:3] + x[5:])):
                print("row", key, "got", got, "expected", x)
                bad += 1
    for key in expected.keys() - seen:
        print("missing row", key)
        bad += 1
    if bad:
        sys.exit(1)
    print("%d workforce rows agree" % len(expected))


if __name__ == "__main__":
    {"attrition": attrition, "workforce": workforce}[sys.argv[1]](sys.argv[2:])
