#!/usr/bin/env bash
# eqm-notify's webhook channel end to end, against a real HTTP server on
# loopback (http_receiver.py): events -> eqm-stop-search -> outbox ->
# eqm-alert-relay -> equality.alerts -> eqm-notify -> receiver.
#
# Subscribers: a generic webhook with a secret header; a Teams webhook
# whose receiver answers 429 (Retry-After: 1) to the first request of each
# delivery and 200 after; a Slack webhook above the alerts' severity
# (receives nothing); for another audience a hook that answers 404
# (failed at once, with the reply) and a Slack one. Checked from what the
# test sent, never from the program's figures: every subscriber has each
# alert of its audience exactly once as a 2xx, every request of one
# delivery carries the same Idempotency-Key (the alert_id and the first 16
# hex digits of md5 of the recipient id, computed here), the retry came
# no sooner than the Retry-After, each body is its shape (generic: the
# alert message as published), the secret header went only to its hook.
# A kill -9 of eqm-notify between rounds, and PostgreSQL stopped for 3 s
# while it delivers, lose nothing. Prints the counts.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

command -v kcat >/dev/null || fail "kcat is not installed"
[[ -x $BIN/eqm-notify ]] || fail "$BIN/eqm-notify not built"

# shellcheck disable=SC2119 # the default broker options
eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
work=$EQM_TEST_DIR/webhook
mkdir -p "$work/requests"
python3 "$here/http_receiver.py" "$work/requests" >"$work/port" 2>"$work/receiver.log" &
eqm_test_bg $!
has_port() { [ -s "$work/port" ]; }
eqm_wait_until 30 has_port || fail "the HTTP receiver did not start"
url=http://127.0.0.1:$(head -n 1 "$work/port")

subs=$EQM_TEST_DIR/subscriptions
cat >"$subs" <<SUBS
# audience                  id        channel  target
stop-search-scrutiny-group  gen       webhook  $url/ok/gen          secret="X-Api-Key: t0ken-123"
stop-search-scrutiny-group  teams     webhook  $url/flaky/teams     shape=teams
stop-search-scrutiny-group  slackcrit webhook  $url/ok/slackcrit    shape=slack min=critical
edi-tactical-group          gone      webhook  $url/missing/gone
edi-tactical-group          slack     webhook  $url/ok/slack        shape=slack
SUBS

rules=$EQM_TEST_DIR/rules.json
eqm_arrest_rules "$rules"

notify_pid=
notify_start() {
    "$BIN/eqm-notify" --notify-subscriptions "$subs" --alerts-rules "$rules" \
        --webhook-timeout-ms 3000 --notify-delivery-interval-ms 200 --notify-delivery-batch 5 \
        --notify-retry-backoff-ms 200 --notify-retry-backoff-max-ms 1000 \
        --notify-max-attempts 20 -X session.timeout.ms=6000 >>"$work/notify.log" 2>&1 &
    notify_pid=$!
    eqm_test_bg "$notify_pid"
}
deliveries() { psql_val "SELECT count(*) FROM equality.notify_deliveries"; }
pending() { psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE state = 'pending'"; }
# One query: counted apart, a delivery created between the two counts
# would pass for settled.
settled() {
    [ "$(psql_val "SELECT count(*) FILTER (WHERE state = 'pending') = 0 AND count(*) = $1
                     FROM equality.notify_deliveries")" = t ]
}

# Alerts as test_alerts.sh makes them: ratio 1.0, then 3.0 (black fires,
# warning; other at 2.5 fires for EDI), then 1.0 (both resolve).
consume() { eqm_arrest_consume "$rules"; }
eqm_arrest_phase p1 0 white:200:40 black:50:10 other:4:1
consume
eqm_arrest_phase p2 1 white:200:40 black:50:30 other:4:2
consume

notify_start
eqm_wait_until 30 grep -q 'msg="notify started"' "$work/notify.log" || fail "eqm-notify did not start"
if grep -q 't0ken-123' "$work/notify.log"; then
    fail "the webhook secret is in the log"
fi

timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"
# The two firing alerts: gen, teams (slackcrit is above a warning), gone, slack.
eqm_wait_until 60 settled 4 || fail "firing deliveries not settled: $(pending) pending of $(deliveries)"

eqm_test_log "kill -9 of eqm-notify, then the resolutions"
kill -KILL "$notify_pid"
wait "$notify_pid" 2>/dev/null || true
eqm_arrest_phase p3 2 white:200:40 black:50:10 other:4:1
consume
timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"
eqm_test_log "PostgreSQL stopped for 3 s under eqm-notify as it delivers the resolutions"
notify_start
in_flight() { [ "$(find "$work/requests" -name '*.json' | wc -l)" -gt 5 ]; }
eqm_wait_until 30 in_flight || fail "no resolution was sent before the outage"
eqm_pg_stop "$EQM_TEST_DIR"
sleep 3
kill -0 "$notify_pid" || fail "eqm-notify stopped when PostgreSQL did"
eqm_pg_start "$EQM_TEST_DIR" >/dev/null || fail "PostgreSQL did not start again"
eqm_wait_until 60 settled 8 || fail "deliveries not settled: $(pending) pending of $(deliveries)"
grep -q 'msg="reconnected to PostgreSQL"' "$work/notify.log" || fail "eqm-notify did not reconnect"
assert_eq 4 "$(psql_val "SELECT count(*) FROM equality.alert_outbox WHERE publish")" \
    "the events gave two firing and two resolved alerts"

psql_val "SELECT payload FROM equality.alert_outbox WHERE publish ORDER BY id" >"$work/alerts.jsonl"
diagnose() {
    psql_val "SELECT recipient, alert_id, state, attempts, last_status, last_error
                FROM equality.notify_deliveries ORDER BY recipient, alert_id" >&2
    grep -E 'recipient=(teams|gen)' "$work/notify.log" >&2 || true
}
python3 - "$work/requests" "$work/alerts.jsonl" <<'PY' || { diagnose; fail "webhook requests"; }
import collections, glob, hashlib, json, sys

reqs = [json.load(open(f, encoding="utf-8")) for f in sorted(glob.glob(sys.argv[1] + "/*.json"))]
alerts = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8") if l.strip()]
audience_of = {"gen": "stop-search-scrutiny-group", "teams": "stop-search-scrutiny-group",
               "gone": "edi-tactical-group", "slack": "edi-tactical-group"}

def key(alert_id, recipient):
    return "<%s.%s@eqm-notify>" % (alert_id, hashlib.md5(recipient.encode()).hexdigest()[:16])

def hdr(r, name):
    vals = [v for k, v in r["headers"] if k.lower() == name.lower()]
    return vals[0] if vals else None

by_recipient = collections.defaultdict(list)
for r in reqs:
    by_recipient[r["path"].split("/")[2]].append(r)
assert "slackcrit" not in by_recipient, "a subscriber above the alerts' severity got a request"
assert set(by_recipient) == set(audience_of), sorted(by_recipient)

counts = {}
for rcpt, audience in audience_of.items():
    mine = [a for a in alerts if a["audience"] == audience]
    assert len(mine) == 2, (rcpt, len(mine))
    want = {key(a["alert_id"], rcpt): a for a in mine}
    got = collections.defaultdict(list)
    for r in by_recipient[rcpt]:
        k = hdr(r, "Idempotency-Key")
        assert k in want, (rcpt, k, sorted(want))
        got[k].append(r)
    assert set(got) == set(want), (rcpt, sorted(got), sorted(want))
    for k, rs in got.items():
        a = want[k]
        body = json.loads(rs[-1]["body"])
        if rcpt == "gen":
            assert body == a, "the generic body is the alert as published"
            assert all(hdr(r, "X-Api-Key") == "t0ken-123" for r in rs), "secret header"
        else:
            assert all(hdr(r, "X-Api-Key") is None for r in rs), "secret sent to another hook"
        if rcpt == "teams":
            # 429 then 200: exactly two requests, the second no sooner than
            # Retry-After (1 s) after the first.
            assert len(rs) == 2, (rcpt, k, [(hdr(r, "Idempotency-Key"), r["at"]) for r in by_recipient[rcpt]])
            assert rs[1]["at"] - rs[0]["at"] >= 1.0, rs[1]["at"] - rs[0]["at"]
            att = body["attachments"][0]
            assert att["contentType"] == "application/vnd.microsoft.card.adaptive", att
            assert att["content"]["type"] == "AdaptiveCard", att
            assert a["summary"].split(" (")[0] in json.dumps(body, ensure_ascii=False), "summary"
        if rcpt == "slack":
            assert a["summary"][:40] in body["text"] or a["summary"][:40] in json.dumps(body), body
            assert body["blocks"], body
        if rcpt in ("gen", "slack"):
            assert len(rs) == 1, (rcpt, len(rs))
        if rcpt == "gone":
            assert len(rs) == 1, "a 404 is not retried"
    counts[rcpt] = len(by_recipient[rcpt])
print(" ".join("%s=%d" % kv for kv in sorted(counts.items())))
PY

assert_eq 2 "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE recipient = 'gone'
                          AND state = 'failed' AND last_status = 404 AND attempts = 1
                          AND last_error LIKE '%no such hook%'")" \
    "the 404 hook's deliveries failed at once with the reply"
assert_eq 2 "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE recipient = 'teams'
                          AND state = 'delivered' AND attempts = 2")" \
    "the Teams hook's deliveries: 429, then delivered on the second attempt"
assert_eq 4 "$(psql_val "SELECT count(*) FROM equality.notify_deliveries
                          WHERE recipient IN ('gen', 'slack') AND state = 'delivered'")" \
    "the other hooks delivered at the first attempt"
"$BIN/eqm-admin" notifications --state failed >"$work/failed.txt"
grep -q "gone" "$work/failed.txt" || fail "eqm-admin notifications lists the failed deliveries"
if grep -q "missing/gone" "$work/failed.txt"; then
    fail "eqm-admin notifications shows a webhook's path (it may hold its key)"
fi
eqm_test_log "requests: $(find "$work/requests" -name '*.json' | wc -l); deliveries: $(psql_val \
    "SELECT string_agg(recipient || ':' || state || '/' || attempts, ' ' ORDER BY recipient, alert_id)
       FROM equality.notify_deliveries")"
kill -TERM "$notify_pid"
wait "$notify_pid" || fail "eqm-notify did not stop cleanly on SIGTERM"
eqm_test_log "ok"
