#!/usr/bin/env bash
# eqm-notify's digests against a real SMTP server on loopback (smtp_sink.py:
# aiosmtpd, STARTTLS and AUTH required). Alerts end to end (events ->
# eqm-stop-search -> outbox -> eqm-alert-relay -> eqm-notify): the stop and
# search group's alert fires and stays open (then answered); the EDI
# group's fires, resolves and fires again (acknowledged, its breach set 3
# days back, not answered). A first eqm-notify run with only the immediate
# subscribers receives them; the test then places their received_at in a
# daily period it chose (in Europe/London, computed here with zoneinfo),
# the first EDI firing exactly on the period's start (outside it), and a
# second run with daily digest subscribers for three audiences sends the
# digests. Asserts: one digest per subscriber for that period, with the
# Message-ID <digest.END.MD5(AUDIENCE/ID)[:16]@eqm-notify>, the subject's
# counts, and in its text exactly what fired, resolved and is still open
# (answered / "not yet answered for 3 days"); the audience with no alert
# gets a digest saying so; the immediate subscribers got each alert once;
# eqm-admin notifications --digests lists the three, masked; a restart
# sends no second digest.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

eqm_smtp_test_setup digest
"$PY_SINK" "$here/smtp_sink.py" --port "$port" --dir "$work/mail" --cert "$work/cert.pem" \
    --key "$work/key.pem" --user eqm --password 's3cret pass' --ready-file "$work/ready" \
    >>"$work/sink.log" 2>&1 &
eqm_test_bg $!
eqm_wait_until 30 test -f "$work/ready" || fail "the SMTP sink did not start"
mails() { find "$work/mail" -name '*.eml' | wc -l; }

# The period: daily at a minute at least two minutes past, so it has just
# ended and the next one ends tomorrow. Epoch seconds of its start and end.
read -r hhmm start end <<<"$(python3 - <<'PY'
import datetime, zoneinfo
z = zoneinfo.ZoneInfo("Europe/London")
now = datetime.datetime.now(z) - datetime.timedelta(minutes=2)
end = now.replace(second=0, microsecond=0)
wall = end.replace(tzinfo=None) - datetime.timedelta(days=1)
start = wall.replace(tzinfo=z)
print(end.strftime("%H:%M"), int(start.timestamp()), int(end.timestamp()))
PY
)"
eqm_test_log "digest period ($hhmm daily, Europe/London): $start .. $end"

immediate=$EQM_TEST_DIR/subs-immediate
cat >"$immediate" <<'SUBS'
stop-search-scrutiny-group  alice  email  alice@force.example
edi-tactical-group          dave   email  dave@force.example
SUBS
all=$EQM_TEST_DIR/subs-all
cp "$immediate" "$all"
cat >>"$all" <<SUBS
stop-search-scrutiny-group   panel  email  panel@force.example  mode="daily at $hhmm"
edi-tactical-group           edi    email  edi@force.example    mode="daily at $hhmm"
use-of-force-scrutiny-group  uof    email  uof@force.example    mode="daily at $hhmm"
SUBS
rules=$EQM_TEST_DIR/rules.json
eqm_arrest_rules "$rules"

notify_pid=
notify_start() {
    EQM_SMTP_PASSWORD='s3cret pass' "$BIN/eqm-notify" --notify-subscriptions "$1" \
        --alerts-rules "$rules" --smtp-url "smtp://127.0.0.1:$port" --smtp-user eqm \
        --smtp-from 'Equality Monitor <eqm@force.example>' --smtp-ca-file "$work/cert.pem" \
        --smtp-timeout-ms 3000 --notify-delivery-interval-ms 200 --timezone Europe/London \
        -X session.timeout.ms=6000 >>"$work/notify-$2.log" 2>&1 &
    notify_pid=$!
    eqm_test_bg "$notify_pid"
    eqm_wait_until 30 grep -q 'msg="notify started"' "$work/notify-$2.log" \
        || fail "eqm-notify did not start ($2)"
}
notify_stop() {
    local rc=0
    kill -TERM "$notify_pid"
    wait "$notify_pid" || rc=$?
    assert_eq 0 "$rc" "SIGTERM stops eqm-notify cleanly"
}
delivered() { [ "$(psql_val "SELECT count(*) FROM equality.$1 WHERE state = 'delivered'")" = "$2" ]; }

# ---- the alerts ---------------------------------------------------------------------
# Black/White arrest-rate ratio 1.0, then 3.0 (fires, warning) and stays;
# "other" 1.0, 2.5 (fires), 1.0 (resolves), 2.5 (fires again).
eqm_arrest_phase p1 0 white:200:40 black:50:10 other:4:1
eqm_arrest_consume "$rules"
eqm_arrest_phase p2 1 white:200:40 black:50:30 other:4:2
eqm_arrest_consume "$rules"
eqm_arrest_phase p3 2 white:200:40 black:50:30 other:4:1
eqm_arrest_consume "$rules"
eqm_arrest_phase p4 3 white:200:40 black:50:30 other:4:2
eqm_arrest_consume "$rules"
psql_val "SELECT payload FROM equality.alert_outbox WHERE publish ORDER BY id" >"$work/alerts.jsonl"
read -r n_sssg n_edi <<<"$(python3 - "$work/alerts.jsonl" <<'PY'
import json, sys
a = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print(sum(x["audience"] == "stop-search-scrutiny-group" for x in a),
      sum(x["audience"] == "edi-tactical-group" for x in a))
PY
)"
assert_eq "1 3" "$n_sssg $n_edi" "one stop and search alert, three EDI alerts (fire, resolve, fire)"
timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"

# ---- run 1: the immediate subscribers only ------------------------------------------
notify_start "$immediate" 1
eqm_wait_until 60 delivered notify_deliveries 4 || fail "the immediate deliveries did not go out"
notify_stop
assert_eq 4 "$(mails)" "alice has one alert, dave three"

# The alerts into the period, in the order received; the first EDI firing
# exactly on its start, which is outside it.
psql_val "UPDATE equality.notify_alerts a SET received_at = CASE
            WHEN a.audience = 'edi-tactical-group' AND r.n = 1 THEN to_timestamp($start)
            ELSE to_timestamp($end) - make_interval(mins => 60 - r.n::int) END
            FROM (SELECT alert_id, row_number() OVER (PARTITION BY audience
                                                      ORDER BY received_at, kafka_offset) AS n
                    FROM equality.notify_alerts) r
           WHERE r.alert_id = a.alert_id" >/dev/null
fp() {
    python3 - "$work/alerts.jsonl" "$1" <<'PY'
import json, sys
print(next(json.loads(l)["fingerprint"] for l in open(sys.argv[1])
           if l.strip() and json.loads(l)["audience"] == sys.argv[2]))
PY
}
fp_sssg=$(fp stop-search-scrutiny-group)
fp_edi=$(fp edi-tactical-group)
"$BIN/eqm-admin" alerts ack "$fp_sssg" --by "ISSG chair" >/dev/null || fail "ack"
"$BIN/eqm-admin" alerts respond "$fp_sssg" --by "Supt. Stop and Search lead" \
    --text "Reviewed the searches; briefing issued" >/dev/null || fail "respond"
psql_val "UPDATE equality.alert_state SET first_breached_at = now() - interval '3 days'
           WHERE fingerprint = '$fp_edi'" >/dev/null
"$BIN/eqm-admin" alerts ack "$fp_edi" --by "EDI lead" >/dev/null || fail "ack EDI"

# ---- run 2: the digests ---------------------------------------------------------------
notify_start "$all" 2
eqm_wait_until 60 delivered notify_digests 3 || fail "the digests did not go out"
notify_stop
assert_eq 7 "$(mails)" "three digests more, no alert twice"
assert_eq "3" "$(psql_val "SELECT count(*) FROM equality.notify_digests
                  WHERE period_start = to_timestamp($start) AND period_end = to_timestamp($end)
                    AND attempts = 1 AND delivered_at IS NOT NULL")" \
    "one digest row per subscriber for the period"

listing=$("$BIN/eqm-admin" notifications --digests) || fail "eqm-admin notifications --digests"
for who in "panel .*p\*\*\*@force.example" "edi .*e\*\*\*@force.example" "uof .*u\*\*\*@force.example"; do
    grep -Eq "$who .*email .*delivered " <<<"$listing" || fail "the listing lacks $who: $listing"
done
if grep -Eq '[a-z]@force\.example' <<<"$listing"; then
    fail "the digest listing shows an address: $listing"
fi

check() {
    python3 "$here/check_notify_digest.py" "$work/mail" "$work/alerts.jsonl" "$start" "$end"
}
counts=$(check) || fail "mailbox check"
eqm_test_log "after the digests: $counts"

# ---- run 3: a restart sends no second digest ---------------------------------------------
notify_start "$all" 3
# A few delivery rounds (every 200 ms).
eqm_wait_until 30 grep -q 'msg="partition assigned"' "$work/notify-3.log" \
    || fail "eqm-notify did not get its partition"
sleep 2
notify_stop
assert_eq 7 "$(mails)" "no second digest or alert after a restart"
assert_eq 3 "$(psql_val "SELECT count(*) FROM equality.notify_digests")" "still one row per digest"
if grep -q 'msg="digest scheduled"' "$work/notify-3.log"; then
    fail "the restart scheduled a digest again"
fi
counts=$(check) || fail "mailbox check after the restart"
eqm_test_log "after a restart: $counts"
eqm_test_log "PASS"
