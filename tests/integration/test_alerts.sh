#!/usr/bin/env bash
# Alerts end to end: a stop-search stream whose arrest-rate ratio (Black /
# White, 28-day window, whole force) rises through the threshold, hovers
# between the clearing level and the threshold, and falls away gives
# exactly one firing and one resolved alert in equality.alert_outbox and
# equality.alert_history; too few counts, or an interval that includes 1,
# fire nothing; a silenced alert is stored but not publishable; a late
# event cannot re-open a resolved alert; and, when eqm-alert-relay is
# built, the messages reach equality.alerts and match the JSON Schema.
#
# Each phase is a fresh 28-day block of event days, fed and then consumed
# with --exit-when-idle: the window ends at the newest event day, so the
# 28-day figures of a phase are that block's events alone.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
rules=$EQM_TEST_DIR/rules.json
cat >"$rules" <<'JSON'
{"rules": [
  {"name": "arrest-black", "measure": "stop_search.arrest_rate", "dimension": "ethnicity",
   "groups": ["black"], "window_days": 28, "comparison": ">=", "threshold": 2.0, "clear": 1.6,
   "severity_steps": [{"at": 4.0, "severity": "critical"}],
   "min_count": 10, "require_significant": true, "audience": "stop-search-scrutiny-group",
   "pending": 1},
  {"name": "arrest-asian-min-count", "measure": "stop_search.arrest_rate",
   "dimension": "ethnicity", "groups": ["asian"], "window_days": 28, "comparison": ">=",
   "threshold": 2.0, "clear": 1.6, "min_count": 10, "require_significant": false,
   "audience": "stop-search-scrutiny-group"},
  {"name": "arrest-other-ci", "measure": "stop_search.arrest_rate", "dimension": "ethnicity",
   "groups": ["other"], "window_days": 28, "comparison": ">=", "threshold": 2.0, "clear": 1.6,
   "min_count": 1, "require_significant": true, "audience": "stop-search-scrutiny-group"},
  {"name": "arrest-other-control", "measure": "stop_search.arrest_rate",
   "dimension": "ethnicity", "groups": ["other"], "window_days": 28, "comparison": ">=",
   "threshold": 2.0, "clear": 1.6, "min_count": 1, "require_significant": false,
   "audience": "stop-search-scrutiny-group"}
]}
JSON

# phase TAG BLOCK GROUP:SEARCHES:ARRESTS...: lib.sh's eqm_arrest_phase.
phase() { eqm_arrest_phase "$@"; }
# Each phase is judged whole: one batch (all its messages are on the topic
# before the consumer starts; batch.max.ms 5 s), figures and alerts after
# it and when idle, not every 200 ms. A figure judged on half a phase (e.g.
# 2 arrests of 3 searches) would be a different, legitimate, evaluation.
# Messages go to one partition, in order, for the same reason.
consume() {
    timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 2 -X session.timeout.ms=6000 \
        --alerts-rules="$rules" --metrics-interval-ms=600000 --batch-max-ms=5000 \
        --log-level warn
}
ratio() {
    psql_val "SELECT round(ratio::numeric, 2) FROM equality.disparity WHERE measure =
              'stop_search.arrest_rate' AND area = 'force' AND dimension = 'ethnicity'
              AND grp = '$1' AND window_days = 28"
}
outbox() { psql_val "SELECT count(*) FROM equality.alert_outbox o WHERE $1"; }
black="payload->>'rule' = 'arrest-black'"

# A bad rules file stops the service at start with file:rule N: message
# (in the log's error="..." value, its own quotes escaped).
echo '{"rules":[{"name":"x","measure":"stop_search.nope"}]}' >"$EQM_TEST_DIR/bad.json"
if out=$("$BIN/eqm-stop-search" --alerts-rules="$EQM_TEST_DIR/bad.json" --exit-when-idle 1 2>&1); then
    fail "a bad rules file must stop the service"
fi
grep -qF 'bad.json:rule 1: unknown measure \"stop_search.nope\"' <<<"$out" \
    || fail "the rules error names file and rule: $out"
# A rule on a window the service does not compute stops it too, by name.
if out=$("$BIN/eqm-stop-search" --windows 28,91 --exit-when-idle 1 2>&1); then
    fail "a rule on a window not computed must stop the service"
fi
grep -qF '(built-in defaults):rule 1 (\"stop-search-rate-ethnicity\"): \"window_days\": 365 is not one of the windows stop-search computes (windows = 28,91)' <<<"$out" \
    || fail "the window error names the rule and the windows: $out"

eqm_test_log "phase 1: ratio 1.0, nothing fires"
phase p1 0 white:200:40 black:50:10
consume
assert_eq 1.00 "$(ratio black)" "phase 1 ratio"
assert_eq 0 "$(outbox true)" "no alert at ratio 1"

eqm_test_log "phase 2: ratio 3.0 -> one firing; small groups do not fire"
# asian: 6 arrests of 8 (ratio 3.75, significant) but n = 6 < min_count 10.
# other: 2 of 4 (ratio 2.5), interval includes 1: only the control rule fires.
phase p2 1 white:200:40 black:50:30 asian:8:6 other:4:2
consume
assert_eq 3.00 "$(ratio black)" "phase 2 ratio"
assert_eq 1 "$(outbox "$black AND status = 'firing'")" "one firing alert for black"
assert_eq 0 "$(outbox "payload->>'rule' IN ('arrest-asian-min-count', 'arrest-other-ci')")" \
    "nothing below min_count or with an interval that includes 1"
assert_eq 1 "$(outbox "payload->>'rule' = 'arrest-other-control'")" \
    "the same figure without the significance test fires (control)"
p=$(psql_val "SELECT payload FROM equality.alert_outbox WHERE $black")
python3 - "$p" <<'PY' || fail "firing payload"
import json, sys
m = json.loads(sys.argv[1])
assert m["status"] == "firing" and m["transition"] == "firing", m
assert m["group"] == "black" and m["reference_group"] == "white" and m["area"] == "force", m
assert m["window_days"] == 28 and m["window_end"] == "2026-03-01", m
assert abs(m["value"] - 3.0) < 1e-9 and m["ci_low"] > 1 and m["significant"], m
assert m["counts"]["n"] == 30 and m["counts"]["base"] == 50, m
assert m["counts"]["ref_n"] == 40 and m["counts"]["ref_base"] == 200, m
assert m["severity"] == "warning" and m["audience"] == "stop-search-scrutiny-group", m
assert m["summary"].startswith("Searches of Black people in the force area ended in arrest at 3.0 "
                               "times "
                               "the rate for White people in the 28 days to 1 March 2026 (95% CI "), m
assert m["summary"].endswith("; 30 arrests in 50 searches)."), m
PY
fp=$(psql_val "SELECT fingerprint FROM equality.alert_outbox WHERE $black")
ctl_fp=$(psql_val "SELECT fingerprint FROM equality.alert_outbox
                   WHERE payload->>'rule' = 'arrest-other-control'")

# The panel has reviewed the control alert: silence it.
"$BIN/eqm-admin" silence "${ctl_fp:0:8}" --until 2099-01-01 --reason "reviewed at panel" \
    --by "panel chair" >/dev/null
"$BIN/eqm-admin" alerts | grep -q "reviewed at panel" || fail "alerts list shows the silence"

eqm_test_log "the panel acknowledges the black alert, then the force answers it"
cur() { psql_val "SELECT $1 FROM equality.alerts_current WHERE fingerprint = '$fp'"; }
assert_eq 0 "$(cur days_unanswered)" "a firing alert fired today is unanswered for 0 days"
"$BIN/eqm-admin" alerts ack "${fp:0:8}" --by "panel chair" --note "to the next meeting" \
    | grep -q "^acknowledged $fp (firing since " || fail "ack says what it acknowledged"
assert_eq "panel chair" "$(cur acknowledged_by)" "acknowledged by"
assert_eq 0 "$(cur days_unanswered)" "an acknowledgement is not an answer"
"$BIN/eqm-admin" alerts | grep -q "panel chair $(date +%F)" || fail "alerts list shows the ack"
rc=0
"$BIN/eqm-admin" alerts respond "$fp" --by "force lead" 2>"$EQM_TEST_DIR/err" || rc=$?
assert_eq 2 "$rc" "respond without --text is a usage error"
grep -q "(--text) is required" "$EQM_TEST_DIR/err" || fail "respond says --text is required"
inactive=$(psql_val "SELECT fingerprint FROM equality.alert_state
                     WHERE first_breached_at IS NULL LIMIT 1")
if [[ -n $inactive ]]; then
    rc=0
    "$BIN/eqm-admin" alerts ack "$inactive" 2>"$EQM_TEST_DIR/err" || rc=$?
    assert_eq 1 "$rc" "an alert that never breached cannot be acknowledged"
    grep -q "has never breached its rule" "$EQM_TEST_DIR/err" || fail "and it says why"
fi
"$BIN/eqm-admin" alerts respond "$fp" --by "force lead" \
    --text "Arrests follow two warrants executed in one week; reviewed by the inspector." >/dev/null
assert_eq "" "$(cur days_unanswered)" "answered: no longer counted as unanswered"
assert_eq "force lead" "$(cur responded_by)" "responded by"
assert_eq 2 "$(psql_val "SELECT count(*) FROM equality.alert_responses WHERE fingerprint = '$fp'
                         AND status = 'firing'
                         AND episode = (SELECT first_breached_at FROM equality.alert_state
                                         WHERE fingerprint = '$fp')")" \
    "both rows belong to the current episode"

eqm_test_log "phases 3-5: hovering between 1.6 and 2.0 (and back above 2.0): no new alert"
phase p3 2 white:200:40 black:50:18 other:4:0
consume
assert_eq 1.80 "$(ratio black)" "phase 3 ratio"
phase p4 3 white:200:40 black:50:22 other:4:0
consume
assert_eq 2.20 "$(ratio black)" "phase 4 ratio"
phase p5 4 white:200:40 black:50:17 other:4:0
consume
assert_eq 1.70 "$(ratio black)" "phase 5 ratio"
assert_eq 1 "$(outbox "$black")" "still exactly one alert for black while it hovers"
assert_eq firing "$(psql_val "SELECT status FROM equality.alert_state WHERE fingerprint = '$fp'")" \
    "still firing"

eqm_test_log "phase 6: ratio 1.0 -> one resolved"
phase p6 5 white:200:40 black:50:10 other:4:0
consume
assert_eq 1.00 "$(ratio black)" "phase 6 ratio"
assert_eq "firing
resolved" "$(psql_val "SELECT status FROM equality.alert_outbox WHERE $black ORDER BY id")" \
    "one firing then one resolved"
psql_val "SELECT payload->>'summary' FROM equality.alert_outbox WHERE $black AND status = 'resolved'" \
    | grep -q "^Resolved: Searches of Black people in the force area ended in arrest at 1.0 times .*, below the clearing level of 1.6\.$" \
    || fail "resolved summary in words"
assert_eq "f" "$(psql_val "SELECT publish FROM equality.alert_outbox
                           WHERE fingerprint = '$ctl_fp' AND status = 'resolved'")" \
    "the silenced alert's resolution is stored, not publishable"

eqm_test_log "late events in phase 6's window do not re-open the resolved alert"
phase late 5 black:40:40
consume
assert_eq 2.78 "$(ratio black)" "the late events raise the ratio"   # 50/90 over 40/200
assert_eq 2 "$(outbox "$black")" "no re-firing from late events"
assert_eq resolved "$(psql_val "SELECT status FROM equality.alert_state WHERE fingerprint = '$fp'")" \
    "still resolved"

assert_eq "firing
acknowledged
responded
resolved" "$(psql_val "SELECT event FROM equality.alert_history WHERE fingerprint = '$fp' ORDER BY at")" \
    "alert_history: the two state changes, the acknowledgement and the answer"
"$BIN/eqm-admin" alerts history "${fp:0:8}" >"$EQM_TEST_DIR/history"
grep -q "acknowledged .*by panel chair: to the next meeting" "$EQM_TEST_DIR/history" \
    || fail "alerts history shows the acknowledgement and its note"
grep -q "responded .*by force lead: Arrests follow two warrants" "$EQM_TEST_DIR/history" \
    || fail "alerts history shows the answer"
assert_eq "firing
silenced
resolved" "$(psql_val "SELECT event FROM equality.alert_history WHERE fingerprint = '$ctl_fp'
                       ORDER BY at")" "alert_history: the silence is in the audit trail"
"$BIN/eqm-admin" unsilence "$ctl_fp" >/dev/null
assert_eq 1 "$(psql_val "SELECT count(*) FROM equality.alert_history
                         WHERE fingerprint = '$ctl_fp' AND event = 'unsilenced'")" "unsilence audited"

# Every stored message matches the schema.
psql_val "SELECT payload FROM equality.alert_outbox ORDER BY id" >"$EQM_TEST_DIR/payloads"
python3 - "$EQM_SOURCE_DIR/schemas/events/alert.schema.json" "$EQM_TEST_DIR/payloads" <<'PY' \
    || fail "outbox payloads match alert.schema.json"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
for line in open(sys.argv[2]):
    v.validate(json.loads(line))
PY

if [[ -x $BIN/eqm-alert-relay ]]; then
    eqm_test_log "relay: publishable rows reach equality.alerts"
    timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn
    kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.alerts -e -J -q >"$EQM_TEST_DIR/published" 2>/dev/null
    python3 - "$EQM_SOURCE_DIR/schemas/events/alert.schema.json" "$fp" "$ctl_fp" \
        "$EQM_TEST_DIR/published" <<'PY' || fail "published alerts"
import json, sys, jsonschema
v = jsonschema.Draft202012Validator(json.load(open(sys.argv[1])))
msgs = [json.loads(l) for l in open(sys.argv[4]) if l.strip()]
msgs.sort(key=lambda m: json.loads(m["payload"])["evaluated_at"])
for m in msgs:
    v.validate(json.loads(m["payload"]))
mine = [json.loads(m["payload"])["status"] for m in msgs if m["key"] == sys.argv[2]]
assert mine == ["firing", "resolved"], mine
ctl = [json.loads(m["payload"])["status"] for m in msgs if m["key"] == sys.argv[3]]
assert ctl == ["firing"], ctl   # its resolution came while silenced: stored, not published
assert len(msgs) == 3, [m["payload"] for m in msgs]
PY
else
    eqm_test_log "eqm-alert-relay not built: skipping the Kafka part"
fi

eqm_test_log "phase 7: ratio 3.0 again -> it fires again, a new episode, unanswered"
phase p7 6 white:200:40 black:50:30
consume
assert_eq firing "$(cur status)" "fires again at a newer window end"
assert_eq 0 "$(cur days_unanswered)" "the new episode is unanswered"
assert_eq "" "$(cur acknowledged_by)" "the old episode's acknowledgement does not carry over"
# As it reads 12 days on (the breach moved back, not the clock):
psql_val "UPDATE equality.alert_state SET first_breached_at = first_breached_at - interval '12 days'
           WHERE fingerprint = '$fp'" >/dev/null
assert_eq 12 "$(cur days_unanswered)" "open, not yet answered for 12 days"
eqm_test_log "ok"
