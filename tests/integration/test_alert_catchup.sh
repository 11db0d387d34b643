#!/usr/bin/env bash
# No false alerts while catching up (alerts.hold.lag): a year of custody
# arrests waiting on the topic as a backlog before eqm-custody starts, with
# one true disparity at year end (Black people arrested at 2.5 times the
# rate of White people all year) and one that is true only of the first
# weeks (Asian people arrested at 4 times the White rate in January, less
# often afterwards, 1.0 over the year).
#
#  1. hold off (alerts.hold.lag = 0): figures judged batch by batch, so the
#     January figures fire an Asian alert that the rest of the year
#     resolves: the false alarm the hold exists for (this run shows the
#     stream does provoke it, so the next run can fail);
#  2. hold on (the default): the same backlog, the service killed (-9)
#     part-way and started again, gives the alerts of the caught-up
#     figures only: nothing before the kill, then exactly the expected ones
#     fire and none resolves; the log says the evaluation was held, then
#     caught up;
#  3. live: the same stream produced in small paced chunks while the
#     service runs ends with the same fingerprints firing (and, judged as
#     it arrives, January's Asian alert fires and resolves: the hold does
#     not silence a live service).
#
# The expected alerts are computed here from the generated counts, the
# Census population and the default rules (schemas/alert-rules.json): the
# rate ratio (n / pop) / (ref_n / ref_pop), its Katz interval, min_count,
# threshold; never from the service's figures.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up --partitions 4 --topics custody.events,custody.live,equality.dead-letter
"$BIN/eqm-admin" migrate >/dev/null
assert_eq "alerts.hold.lag = 10000" "$("$BIN/eqm-custody" --print-config | grep '^alerts.hold.lag ')" \
    "--print-config shows the hold and its default"
A1=E07000008
# The stream, in time order: each day's arrests per group, interleaved
# within the day in proportion, so that every prefix of the stream has the
# day's mix. Events name the force area itself (counted once, one area).
events=$EQM_TEST_DIR/events.jsonl
# The force is one district, whose Census population is written here too.
census=$EQM_TEST_DIR/census.csv
python3 - "$events" "$EQM_TEST_DIR/expected" "$EQM_SOURCE_DIR/schemas/alert-rules.json" \
    "$census" "$A1" <<'PY'
import csv, datetime, json, math, sys

events_path, expected_path, rules_path, census_path, district = sys.argv[1:]
days = 365
start = datetime.date(2025, 1, 1)
pop = {"white": 100000, "black": 5000, "asian": 10000, "mixed": 5000, "other": 3000}
labels = {"white": "White: English, Welsh, Scottish, Northern Irish or British",
          "black": "Black, Black British, Black Welsh, Caribbean or African: African",
          "asian": "Asian, Asian British or Asian Welsh: Indian",
          "mixed": "Mixed or Multiple ethnic groups: White and Asian",
          "other": "Other ethnic group: Arab"}
with open(census_path, "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["area_code", "area_name", "census_category", "population"])
    for g, n in pop.items():
        w.writerow([district, "Test district", labels[g], n])
total = {"white": 12000, "black": 1500, "mixed": 600, "other": 360}

def spread(n, d0, d1):
    """n events over days [d0, d1), as evenly as integers allow."""
    k = d1 - d0
    return {d0 + i: n * (i + 1) // k - n * i // k for i in range(k)}

per_day = {g: spread(n, 0, days) for g, n in total.items()}
# Asian: 4 times the White rate through January (31 days), the rest of the
# year's 1,200 after: 1.0 over the year.
jan = round(4 * 1200 * 31 / days)
per_day["asian"] = {**spread(jan, 0, 31), **spread(1200 - jan, 31, days)}

stream, counts = [], {g: 0 for g in pop}
with open(events_path, "w") as out:
    for d in range(days):
        day = start + datetime.timedelta(days=d)
        todays = []
        for g in pop:
            n = per_day[g][d]
            todays += [((i + 0.5) / n, g, i) for i in range(n)]
        todays.sort()
        for s, (_, g, i) in enumerate(todays):
            t = datetime.datetime.combine(day, datetime.time(6)) + datetime.timedelta(seconds=s)
            out.write(json.dumps({"event_id": f"a-{d}-{g}-{i}", "event_type": "arrest",
                                  "occurred_at": t.isoformat() + "Z", "area": "force",
                                  "ethnicity": g}) + "\n")
            counts[g] += 1
            stream.append(g)

z = 1.959964
def ratio(c, grp):
    a, n1, b, n2 = c[grp], pop_of(grp), c["white"], pop["white"]
    r = (a / n1) / (b / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n2)
    return r, math.exp(math.log(r) - z * se), a

def pop_of(grp):
    return sum(v for g, v in pop.items() if g != "white") if grp == "bme" else pop[grp]

def with_bme(c):
    return {**c, "bme": sum(v for g, v in c.items() if g != "white")}

# Every default rule on custody arrests; the stream holds arrests only, so
# the other custody measures have no counts (no ratio, nothing can breach).
rules = [r for r in json.load(open(rules_path))["rules"] if r["measure"] == "custody.arrests"]
assert len(rules) == 1 and rules[0]["comparison"] == ">=" and rules[0]["window_days"] == 365
rule = rules[0]
expected = []
final = with_bme(counts)
for grp in rule["groups"]:
    r, lo, n = ratio(final, grp)
    breach = r >= rule["threshold"] and n >= rule["min_count"] and lo > 1
    print(f"year end: {grp} ratio {r:.3f} (95% CI from {lo:.3f}), n {n}: "
          f"{'breach' if breach else 'no breach'}", file=sys.stderr)
    if breach:
        expected.append(f"{rule['name']}|custody.arrests|force|{grp}")
# The early stream: the Asian figure breaches, then falls below the
# clearing level (what the hold must not let through).
seen, hi, low_after = {g: 0 for g in pop}, 0.0, None
for k, g in enumerate(stream, 1):
    seen[g] += 1
    if k % 500 == 0 and seen["asian"] >= rule["min_count"]:
        r, lo, _ = ratio(with_bme(seen), "asian")
        if r >= rule["threshold"] and lo > 1:
            hi = max(hi, r)
        elif hi and r < rule["clear"] and low_after is None:
            low_after = k
assert hi >= rule["threshold"] and low_after, (hi, low_after)
print(f"stream: {len(stream)} events; asian ratio up to {hi:.2f} early, below "
      f"{rule['clear']} from event {low_after}", file=sys.stderr)
open(expected_path, "w").write("\n".join(sorted(expected)) + "\n")
PY
"$BIN/eqm-admin" load-population "$census" >/dev/null
"$BIN/eqm-admin" define-area force "$A1" >/dev/null
expected=$(cat "$EQM_TEST_DIR/expected")
total=$(wc -l <"$events")
assert_eq "custody-arrests-ethnicity|custody.arrests|force|black" "$expected" \
    "the independent computation finds one true disparity at year end"

# One partition (one key), so the stream is read in the order written.
kcat -P -b "$EQM_KAFKA_BROKERS" -t custody.events -k force <"$events"

counted() { psql_val "SELECT coalesce(sum(arrests), 0) FROM equality.custody_daily
                       WHERE area = 'force' AND dimension = 'gender'"; }
outbox() { psql_val "SELECT count(*) FROM equality.alert_outbox WHERE $1"; }
firing_now() {
    psql_val "SELECT rule || '|' || measure || '|' || area || '|' || grp FROM equality.alert_state
               WHERE status = 'firing' ORDER BY 1"
}
fingerprints() { psql_val "SELECT fingerprint FROM equality.alert_state WHERE status = 'firing'
                           ORDER BY 1"; }
# A fresh start for each run: counts, keys, figures, alert state and
# outbox, offsets (the topics and the population stay).
reset() {
    psql_val "TRUNCATE equality.custody_daily, equality.event_keys, equality.figures,
                       equality.alert_state, equality.alert_outbox, equality.watermarks,
                       equality.kafka_offsets, equality.dead_letters" >/dev/null
}
# Each run: small batches (500) and figures after every other one, so that
# a backlog is judged at many partial points unless held.
eqm_test_log "1. hold off: the backlog judged batch by batch"
timeout 60 "$BIN/eqm-custody" -X session.timeout.ms=6000 --batch-max-messages 500 \
    --metrics-interval-ms 0 --metrics-max-share 1 --exit-when-idle 2 --alerts-hold-lag 0 \
    --group-id catchup-off --log-level info 2>"$EQM_TEST_DIR/off.log" \
    || fail "the hold-off run failed: $(tail -5 "$EQM_TEST_DIR/off.log")"
assert_eq "$total" "$(counted)" "hold off: every event counted"
off_fired=$(outbox "status = 'firing'")
off_resolved=$(outbox "status = 'resolved'")
eqm_test_log "hold off: $off_fired firing and $off_resolved resolved messages"
[ "$(outbox "payload->>'group' = 'asian' AND status = 'resolved'")" -ge 1 ] \
    || fail "without the hold the early figures should fire an Asian alert that then resolves"
assert_eq "$expected" "$(firing_now)" "hold off: in the end the true alert is firing"
grep -q 'alert evaluation held' "$EQM_TEST_DIR/off.log" && fail "alerts.hold.lag = 0 holds nothing"

eqm_test_log "2. hold on (default alerts.hold.lag): the same backlog, killed mid-way and restarted"
reset
on=(-X session.timeout.ms=3000 --batch-max-messages 500 --metrics-interval-ms 0
    --metrics-max-share 1 --group-id catchup-on --log-level info)
"$BIN/eqm-custody" "${on[@]}" 2>"$EQM_TEST_DIR/on-killed.log" &
pid=$!
eqm_test_bg $pid
some_counted() { [ "$(counted)" -ge 1500 ]; }
eqm_wait_until 60 some_counted || fail "hold on: nothing counted within 60 s"
kill -KILL $pid
wait $pid 2>/dev/null || true
at=$(counted)
[ "$at" -lt "$total" ] || fail "the kill should land mid-backlog ($at of $total counted)"
eqm_test_log "killed with $at of $total counted"
assert_eq 0 "$(outbox true)" "hold on: no alert while catching up, though the figures of the first $at events breach"
grep -q 'msg="alert evaluation held while catching up".* lag=' "$EQM_TEST_DIR/on-killed.log" \
    || fail "the hold is logged with the lag"
timeout 60 "$BIN/eqm-custody" "${on[@]}" --exit-when-idle 2 2>"$EQM_TEST_DIR/on.log" \
    || fail "the hold-on run failed: $(tail -5 "$EQM_TEST_DIR/on.log")"
assert_eq "$total" "$(counted)" "hold on: every event counted"
on_fired=$(outbox "status = 'firing'")
on_resolved=$(outbox "status = 'resolved'")
eqm_test_log "hold on: $on_fired firing and $on_resolved resolved messages"
assert_eq 0 "$on_resolved" "hold on: nothing resolves"
assert_eq "$expected" "$(psql_val "SELECT concat_ws('|', payload->>'rule', payload->>'measure',
                                                    payload->>'area', payload->>'group')
                                     FROM equality.alert_outbox ORDER BY 1")" \
    "hold on: exactly the true alert fires, once"
assert_eq "$expected" "$(firing_now)" "hold on: and it is firing"
assert_eq 1 "$(grep -c 'msg="alert evaluation held while catching up"' "$EQM_TEST_DIR/on.log")" \
    "the restart holds again, and says so once"
grep 'msg="alert evaluation held\|msg="caught up' "$EQM_TEST_DIR/on.log" >&2
grep -q 'msg="caught up: alert rules evaluated"' "$EQM_TEST_DIR/on.log" \
    || fail "catching up is logged"
grep -q 'msg="stopping with alert evaluation held' "$EQM_TEST_DIR/on.log" \
    && fail "an idle stop is caught up"
on_fps=$(fingerprints)

eqm_test_log "3. live: the same stream in paced chunks while the service runs"
reset
"$BIN/eqm-custody" -X session.timeout.ms=6000 --batch-max-messages 2000 --metrics-interval-ms 0 \
    --metrics-max-share 1 --topic custody.live --group-id catchup-live --log-level info \
    2>"$EQM_TEST_DIR/live.log" &
live=$!
eqm_test_bg $live
assigned() { grep -q 'msg="partition assigned"' "$EQM_TEST_DIR/live.log"; }
eqm_wait_until 30 assigned || fail "the live consumer was not assigned its partitions"
# About 1,300 events a second: a day's arrests every 35 ms.
python3 - "$events" <<'PY' | kcat -P -b "$EQM_KAFKA_BROKERS" -t custody.live -k force -X linger.ms=5
import sys, time
day = None
for line in open(sys.argv[1]):
    d = line.split('"a-', 1)[1].split("-", 1)[0]
    if d != day:
        sys.stdout.flush()
        time.sleep(0.035)
        day = d
    sys.stdout.write(line)
PY
all_counted() { [ "$(counted)" -eq "$total" ]; }
eqm_wait_until 60 all_counted || fail "live: $(counted) of $total counted"
# Figures are judged at least once after the last batch (idle).
judged_after() {
    [ "$(psql_val "SELECT count(*) FROM equality.alert_state
                    WHERE last_window_end = '2025-12-31'")" -gt 0 ]
}
eqm_wait_until 30 judged_after || fail "live: the year-end figures were never judged"
kill -TERM $live
wait $live || fail "live: the service did not stop cleanly"
live_fired=$(outbox "status = 'firing'")
live_resolved=$(outbox "status = 'resolved'")
eqm_test_log "live: $live_fired firing and $live_resolved resolved messages"
assert_eq "$on_fps" "$(fingerprints)" "live: the same fingerprints are firing as after the held backlog"
# Live, the January figures are the figures as they stood: judging them is
# right, and the hold must not stop it (the Asian alert fires, then resolves).
assert_eq "firing
resolved" "$(psql_val "SELECT status FROM equality.alert_outbox WHERE payload->>'group' = 'asian'
                       AND payload->>'rule' = 'custody-arrests-ethnicity' ORDER BY id")" \
    "live: the early Asian figures were judged as they arrived"
assert_eq "$expected" "$(firing_now)" "live: the true alert is firing"
eqm_test_log "counts: hold off fired=$off_fired resolved=$off_resolved; hold on fired=$on_fired" \
    "resolved=$on_resolved; live fired=$live_fired resolved=$live_resolved"
echo "PASS test_alert_catchup"
