#!/usr/bin/env python3
"""expected_recruitment_web.py - what eqm-web's recruitment panel should
serve for the stream of test_web_recruitment.sh, computed here from the
generator's expected counts (eqm-replay synth recruitment --expected) and
the Census file, with the formulas of expected_recruitment.py (cell, katz,
fisher), not by the program.

  expected_recruitment_web.py WHAT CENSUS AREA ROLE GROUP JSON FILE:END...

WHAT is funnel, counts, representation, leavers or quality; JSON is
eqm-web's /api/recruitment/<WHAT>.json; each FILE is a generator's
expected counts and END the --end it was run with (its snapshot is as of
END - 25 days). Exits 1 naming the first difference.

Formulas: pass rate passed / (passed + failed) (end to end: appointed /
applications); adverse impact ratio the group's over White's, Katz
interval exp(ln r +/- 1.959964 sqrt(1/a - 1/n1 + 1/b - 1/n2)); share of
stated headcount with the Wilson interval; headcount the latest snapshot
plus joiners less leavers; average headcount headcount - (joiners -
leavers) / 2; leaver rate leavers / average headcount; mean service
days / known / 365.25. Too few to compare: either count below 10.
"""
import csv
import datetime
import json
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from expected_recruitment import BME, BROAD, STAGES, Z, cell, fisher, katz  # noqa: E402

MIN_EVENTS = 10
GROUPS = ["white", "bme", "asian", "black", "mixed", "other", "not_stated"]
STAGE_WORDS = ["Application", "Eligibility", "Assessment centre", "Interview", "Vetting",
               "Medical", "Fitness", "Offer", "Appointment", "Application to appointment"]
PARTS = {"bme": BME, "black": ("black",), "asian": ("asian",), "mixed": ("mixed",),
         "other": ("other",)}


def fail(msg):
    sys.exit("expected_recruitment_web: " + msg)


def close(want, got, what):
    if want is None or got is None:
        if want is not got:
            fail(f"{what}: expected {want!r}, got {got!r}")
        return
    if abs(want - got) > 1e-9 * max(1.0, abs(want)):
        fail(f"{what}: expected {want!r}, got {got!r}")


def same(want, got, what):
    if want != got:
        fail(f"{what}: expected {want!r}, got {got!r}")


def wilson(k, n):
    p, d = k / n, 1 + Z * Z / n
    c, h = (p + Z * Z / (2 * n)) / d, Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / d
    return p, c - h, c + h


def population(path, area_codes):
    """Census population by broad group of the districts."""
    pop = dict.fromkeys(BROAD, 0)
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["area_code"] in area_codes:
                for b in BROAD:
                    if row["census_category"].lower().startswith(b):
                        pop[b] += int(row["population"])
    return pop


def lines(runs, kind, role):
    """(end, fields) of each expected line of kind and role."""
    for path, end in runs:
        with open(path) as f:
            for line in f:
                p = line.rstrip("\n").split("\t")
                if p[0] == kind and p[1] == role:
                    yield end, p[2:]


def funnel_groups(runs, role):
    """grp -> stage -> (entered, passed, failed, withdrawn), all campaigns, ethnicity."""
    gs = {}
    for _, (campaign, stage, dim, grp, *n) in lines(runs, "funnel", role):
        if campaign == "*" and dim == "ethnicity":
            old = gs.setdefault(grp, {}).get(stage, (0, 0, 0, 0))
            gs[grp][stage] = tuple(o + int(v) for o, v in zip(old, n))
    bme = {}
    for b in BME:
        for st, v in gs.get(b, {}).items():
            bme[st] = tuple(x + y for x, y in zip(bme.get(st, (0, 0, 0, 0)), v))
    if bme:
        gs["bme"] = bme
    return gs


def check_funnel(runs, role, group, got):
    gs = funnel_groups(runs, role)
    rows = got["rows"]
    want_rows = [(i, st) for i, st in enumerate(STAGES + ["end_to_end"])
                 if cell(gs.get(group, {}), st)[0] or cell(gs.get(group, {}), st)[4]]
    same(len(want_rows), len(rows), "funnel: stages")
    same(0.8, got["four_fifths"], "funnel: four-fifths line")
    few_stages = []
    for (i, st), row in zip(want_rows, rows):
        e, p, f, w, base = cell(gs[group], st)
        _, cp, _, _, cb = cell(gs.get("white", {}), st)
        what = f"funnel {role} {group} {st}"
        same(STAGE_WORDS[i], row["stage"], what + " stage")
        same((e, p, f, w), (row["group_entered"], row["group_passed"], row["group_failed"],
                            row["group_withdrawn"]), what + " counts")
        same(("white", cp, cb), (row["comparison_group"], row["comparison_passed"],
                                 row["comparison_base"]), what + " comparison")
        close(p / base, row["group_pass_rate"], what + " pass rate")
        close(cp / cb, row["comparison_pass_rate"], what + " comparison's pass rate")
        few = base < MIN_EVENTS or cb < MIN_EVENTS
        same(few, row["too_few"], what + " too few")
        r, lo, hi = katz(p, base, cp, cb) if not few else (None, None, None)
        close(r, row["ratio"], what + " ratio")
        close(lo, row["ci_low"], what + " ci_low")
        close(hi, row["ci_high"], what + " ci_high")
        close(None if few else fisher(p, base - p, cp, cb - cp), row["p_value"], what + " p")
        if few:
            few_stages.append(st)
    print(f"funnel {role} {group}: {len(rows)} stages as computed; too few at "
          f"{few_stages or 'none'}")
    return rows


def check_counts(runs, role, got):
    gs = funnel_groups(runs, role)
    rows = got["rows"]
    same(STAGE_WORDS[:9] + ["Appointed"], [r["stage"] for r in rows], "counts: stages")
    for k, row in enumerate(rows):
        st = STAGES[min(k, 8)]
        col = 1 if k == 9 else 0  # appointed: passed at the appointment
        want = {g: gs.get(g, {}).get(st, (0, 0, 0, 0))[col] for g in GROUPS}
        want["all"] = sum(v for g, v in want.items() if g != "bme")
        same(want, {g: row[g] for g in GROUPS + ["all"]}, f"counts {row['stage']}")
    print(f"counts {role}: {len(rows)} rows as computed")


def workforce(runs, role):
    """grp -> [headcount now, joiners, leavers, service days, known], and the
    snapshots as [(as_of, {grp: n})] in date order."""
    snaps = {}
    flows = {}
    for end, (area, dim, grp, snap, j, l, days, known) in lines(runs, "workforce", role):
        if dim != "ethnicity":
            continue
        if int(snap):
            as_of = (datetime.date.fromisoformat(end) - datetime.timedelta(days=25)).isoformat()
            snaps.setdefault(as_of, {})[grp] = snaps.get(as_of, {}).get(grp, 0) + int(snap)
        g = flows.setdefault(grp, [0, 0, 0, 0])
        for i, v in enumerate((j, l, days, known)):
            g[i] += int(v)
    snaps = sorted(snaps.items())
    latest = snaps[-1][1] if snaps else {}
    gs = {}
    for g in set(latest) | set(flows) | set(BROAD):
        j, l, days, known = flows.get(g, [0, 0, 0, 0])
        gs[g] = [max(0, latest.get(g, 0) + j - l), j, l, days, known]
    gs["bme"] = [sum(gs[b][i] for b in BME) for i in range(5)]
    return gs, snaps


def check_representation(runs, census, area_codes, roles, group, got):
    pop = population(census, area_codes)
    pop_share = sum(pop[b] for b in PARTS[group]) / sum(pop.values())
    close(pop_share, got["population_share"], "representation: population share")
    want = []
    for role in roles:
        gs, snaps = workforce(runs, role)
        for as_of, c in snaps:
            k = sum(c.get(b, 0) for b in PARTS[group])
            n = sum(c.get(b, 0) for b in BROAD)
            few = k < MIN_EVENTS or n - k < MIN_EVENTS
            s = (None, None, None) if few else wilson(k, n)
            want.append((role, as_of, "snapshot", k, n, c.get("not_stated", 0), few) + s +
                        (None, None, None, None))
        k = gs[group][0]
        n = sum(gs[b][0] for b in BROAD)
        few = k < MIN_EVENTS or n - k < MIN_EVENTS
        s = (None, None, None) if few else wilson(k, n)
        r = (None, None, None) if few else katz(k, n, sum(pop[b] for b in PARTS[group]),
                                                sum(pop.values()))
        want.append((role, "2025-07-01", "current", k, n, gs.get("not_stated", [0])[0], few) +
                    s + (pop_share,) + r)
    rows = got["rows"]
    same(len(want), len(rows), "representation: rows")
    for w, row in zip(want, rows):
        what = f"representation {w[0]} {w[1]}"
        same(w[:7], (row["role"], row["date"], row["source"], row["group_headcount"],
                     row["stated_headcount"], row["not_stated"], row["too_few"]), what)
        for k, name in enumerate(["share", "share_ci_low", "share_ci_high", "population_share",
                                  "ratio", "ci_low", "ci_high"]):
            close(w[7 + k], row[name], f"{what} {name}")
    print(f"representation: {len(rows)} rows as computed "
          f"({sum(w[2] == 'snapshot' for w in want)} snapshots)")
    return want


def check_leavers(runs, role, got):
    gs, _ = workforce(runs, role)
    ref = gs["white"]
    ref_avg = ref[0] - (ref[1] - ref[2]) / 2
    rows = got["rows"]
    same([g for g in GROUPS if g in gs], [r["group"] for r in rows], "leavers: groups")
    for row in rows:
        g = row["group"]
        hc, j, l, days, known = gs[g]
        avg = hc - (j - l) / 2
        what = f"leavers {role} {g}"
        same((hc, l, "white", ref[2]), (row["headcount"], row["leavers"], row["reference_group"],
                                        row["reference_leavers"]), what + " counts")
        close(avg, row["average_headcount"], what + " average headcount")
        close(l / avg if avg > 0 else None, row["leaver_rate"], what + " rate")
        close(ref[2] / ref_avg, row["reference_leaver_rate"], what + " reference's rate")
        few = l < MIN_EVENTS or ref[2] < MIN_EVENTS
        same(few, row["too_few"], what + " too few")
        r = lo = hi = None
        if not few and g not in ("white", "not_stated"):
            r = (l / avg) / (ref[2] / ref_avg)
            se = math.sqrt(1 / l - 1 / avg + 1 / ref[2] - 1 / ref_avg)
            lo, hi = r * math.exp(-Z * se), r * math.exp(Z * se)
        close(r, row["ratio"], what + " ratio")
        close(lo, row["ci_low"], what + " ci_low")
        close(hi, row["ci_high"], what + " ci_high")
        same(known, row["leavers_service_known"], what + " service known")
        close(days / known / 365.25 if known else None, row["mean_service_years"],
              what + " mean service")
    print(f"leavers {role}: {len(rows)} groups as computed")
    return rows


def check_quality(runs, role, got):
    apps = {}
    for _, (campaign, stage, dim, grp, e, *_) in lines(runs, "funnel", role):
        if campaign == "*" and stage == "application":
            a = apps.setdefault(dim, [0, 0])
            a[0] += int(e) if grp == "not_stated" else 0
            a[1] += int(e)
    gs, _ = workforce(runs, role)
    hc_all = sum(v[0] for g, v in gs.items() if g != "bme")
    want = []
    for dim in ["ethnicity", "sex", "age_range", "disability"]:
        if dim in apps:
            want.append(("applications", dim, apps[dim][0], apps[dim][1]))
        if dim == "ethnicity":
            want.append(("headcount", dim, gs.get("not_stated", [0])[0], hc_all))
    rows = got["rows"]
    same(len(want), len(rows), "quality: rows")
    for w, row in zip(want, rows):
        same(w, (row["records"], row["dimension"], row["not_stated"], row["all_records"]),
             "quality")
        close(w[2] / w[3], row["not_stated_share"], f"quality {w[0]} {w[1]}")
    print(f"quality {role}: {len(rows)} rows as computed")


def main():
    what, census, area, role, group, path = sys.argv[1:7]
    runs = [tuple(a.rsplit(":", 1)) for a in sys.argv[7:]]
    with open(path) as f:
        got = json.load(f)
    same(role, got["role"], "role")
    same(365, got["window_days"], "window")
    same("2025-07-01", got["window_end"], "window end")
    if what == "funnel":
        check_funnel(runs, role, group, got)
    elif what == "counts":
        check_counts(runs, role, got)
    elif what == "representation":
        check_representation(runs, census, [area], ["police_officer", "police_staff"], group,
                             got)
    elif what == "leavers":
        check_leavers(runs, role, got)
    elif what == "quality":
        check_quality(runs, role, got)
    else:
        fail(f"unknown check {what}")


if __name__ == "__main__":
    main()
