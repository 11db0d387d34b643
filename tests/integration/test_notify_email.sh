#!/usr/bin/env bash
# eqm-notify's e-mail channel against a real SMTP server on loopback
# (smtp_sink.py: aiosmtpd, STARTTLS required with a certificate made here,
# AUTH required, one recipient refused with 550, one answered 451 every
# time). Alerts end to end: events -> eqm-stop-search -> outbox ->
# eqm-alert-relay -> equality.alerts -> eqm-notify -> mailbox; then a copy
# of a message and malformed messages on the topic; kill -9 of eqm-notify
# three times during deliveries; the SMTP server down for longer than the
# retry interval, then up; smtps:// (TLS from the first byte). After each:
# every subscriber of the alert's audience (at or above its minimum
# severity) has each alert, every copy with the same Message-ID, nobody
# else has any, and the subject and both parts carry the summary and the
# figures (check_notify_mail.py, from what the test sent); the 550
# recipient's deliveries are failed with the server's reply (address
# masked), the 451 recipient's still pending and retried while the others
# went out; no message was read twice; eqm-admin notifications lists them
# masked. Prints the counts each fault phase saw.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

eqm_smtp_test_setup notify

sink_pid=
# sink_start [--implicit-tls]
sink_start() {
    rm -f "$work/ready"
    "$PY_SINK" "$here/smtp_sink.py" --port "$port" --dir "$work/mail" --cert "$work/cert.pem" \
        --key "$work/key.pem" --user eqm --password 's3cret pass' \
        --reject nobody@force.example --tempfail tina@force.example --delay-ms 80 \
        --ready-file "$work/ready" "$@" >>"$work/sink.log" 2>&1 &
    sink_pid=$!
    eqm_test_bg "$sink_pid"
    eqm_wait_until 30 test -f "$work/ready" || fail "the SMTP sink did not start"
}
sink_kill() {
    kill -KILL "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
}
mails() { find "$work/mail" -name '*.eml' | wc -l; }
more_mail() { [ "$(mails)" -gt "$1" ]; }

subs=$EQM_TEST_DIR/subscriptions
cat >"$subs" <<'SUBS'
# audience                  id      channel  target
stop-search-scrutiny-group  alice   email    alice@force.example
stop-search-scrutiny-group  bob     email    bob@force.example     min=warning
stop-search-scrutiny-group  carol   email    carol@force.example   min=critical
stop-search-scrutiny-group  nobody  email    nobody@force.example  # the server refuses it (550)
stop-search-scrutiny-group  tina    email    tina@force.example    # always "try later" (451)
stop-search-scrutiny-group  erin    email    erin@force.example    mode="weekly monday at 08:00"
edi-tactical-group          dave    email    dave@force.example
SUBS
# What the checker expects to arrive: the immediate subscribers the server
# accepts, with their minimum severity.
expect_subs=$EQM_TEST_DIR/expected-subscribers
cat >"$expect_subs" <<'EXP'
stop-search-scrutiny-group alice alice@force.example info
stop-search-scrutiny-group bob bob@force.example warning
stop-search-scrutiny-group carol carol@force.example critical
edi-tactical-group dave dave@force.example info
EXP

rules=$EQM_TEST_DIR/rules.json
# The arrest-rate rules of test_alerts.sh, each for another audience.
eqm_arrest_rules "$rules"

# A mistake in the subscription file stops eqm-notify at start: file:line.
printf 'stop-search-scrutiny-group alice email alice@force.example\nx y fax 123\n' >"$work/bad"
rc=0
out=$("$BIN/eqm-notify" --notify-subscriptions "$work/bad" 2>&1) || rc=$?
assert_eq 2 "$rc" "a bad subscription file is a bad setting"
grep -qF "$work/bad:2: channel \"fax\" must be email or webhook" <<<"$out" \
    || fail "the subscription error names file and line: $out"

# E-mail subscribers without a mail relay: a bad setting too, said so.
rc=0
out=$("$BIN/eqm-notify" --notify-subscriptions "$subs" --smtp-from eqm@force.example 2>&1) || rc=$?
assert_eq 2 "$rc" "e-mail subscribers without smtp.url is a bad setting"
grep -qF 'smtp.url must be smtp://HOST[:PORT] or smtps://HOST[:PORT]' <<<"$out" \
    || fail "the missing smtp.url is named: $out"

notify_pid=
smtp_url=smtp://127.0.0.1:$port
notify_start() {
    # A simple command, so $! is eqm-notify's own pid.
    EQM_SMTP_PASSWORD='s3cret pass' "$BIN/eqm-notify" --notify-subscriptions "$subs" \
        --alerts-rules "$rules" --smtp-url "$smtp_url" --smtp-user eqm \
        --smtp-from 'Equality Monitor <eqm@force.example>' --smtp-ca-file "$work/cert.pem" \
        --smtp-timeout-ms 3000 --notify-delivery-interval-ms 200 --notify-delivery-batch 5 \
        --notify-retry-backoff-ms 300 --notify-retry-backoff-max-ms 1500 \
        --notify-max-attempts 200 -X session.timeout.ms=6000 >>"$work/notify.log" 2>&1 &
    notify_pid=$!
    eqm_test_bg "$notify_pid"
}
# tina's deliveries never leave pending (451 each time): the others must
# not wait for them.
pending() {
    psql_val "SELECT count(*) FROM equality.notify_deliveries
               WHERE state = 'pending' AND recipient <> 'tina'"
}
deliveries() { psql_val "SELECT count(*) FROM equality.notify_deliveries"; }
# One query: counted apart, a delivery created between the two counts
# would pass for settled.
settled() {
    [ "$(psql_val "SELECT count(*) FILTER (WHERE state = 'pending' AND recipient <> 'tina') = 0
                          AND count(*) = $1 FROM equality.notify_deliveries")" = t ]
}
dump_alerts() {
    psql_val "SELECT payload FROM equality.alert_outbox WHERE publish ORDER BY id" >"$work/alerts.jsonl"
}
check_mail() {
    dump_alerts
    python3 "$here/check_notify_mail.py" "$work/mail" "$work/alerts.jsonl" "$expect_subs" "$@" \
        || fail "mailbox check"
}
# expected_rows N_SSSG_WARNING N_SSSG_CRITICAL N_EDI: delivery rows expected
# (alice, bob, nobody, tina for a warning; carol too for a critical; dave
# for EDI).
expected_rows() { echo $(($1 * 4 + $2 * 5 + $3)); }

sink_start
notify_start
eqm_wait_until 30 grep -q 'msg="notify started"' "$work/notify.log" || fail "eqm-notify did not start"
grep -q 'msg="digest subscriber".*recipient=erin.*every=weekly' "$work/notify.log" \
    || fail "the digest subscriber is logged at start"
grep -q 'no subscriber for an audience.*audience=use-of-force-scrutiny-group' "$work/notify.log" \
    || fail "an audience of the rules without a subscriber is a warning at start"
if grep -E -q '(alice|bob|erin)@force' "$work/notify.log"; then
    fail "a full recipient address is in the log"
fi

# ---- 1. end to end: events -> consumer -> relay -> notify -------------------------
# Three 28-day blocks of stop-search events (as test_alerts.sh): Black/White
# arrest-rate ratio 1.0, then 3.0 (fires: warning, below the critical step
# at 4.0) with "other" at 2.5 (fires for edi-tactical-group), then back to
# 1.0 (both resolve). Asian: n below min_count, never fires.
phase() { eqm_arrest_phase "$@"; }
consume() { eqm_arrest_consume "$rules"; }
phase p1 0 white:200:40 black:50:10 other:4:1
consume
phase p2 1 white:200:40 black:50:30 other:4:2 asian:8:6
consume
phase p3 2 white:200:40 black:50:10 other:4:1
consume
outbox_n=$(psql_val "SELECT count(*) FROM equality.alert_outbox")
assert_eq 4 "$outbox_n" "the events gave two firing and two resolved alerts"
timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"
rows=$(expected_rows 2 0 2)
eqm_wait_until 60 settled "$rows" || fail "deliveries not settled: $(pending) pending of $(deliveries), want $rows"
check_mail --exact
refused="recipient = 'nobody' AND state = 'failed' AND last_status = 550
        AND last_error LIKE '%550%mailbox unavailable%' AND last_error LIKE '%n***@force.example%'
        AND last_error NOT LIKE '%nobody@%'"
assert_eq 2 "$(psql_val "SELECT count(*) FROM equality.notify_deliveries
                          WHERE $refused AND attempts = 1")" \
    "the refused recipient's deliveries failed at once with the server's reply, address masked"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.notify_deliveries
                          WHERE recipient IN ('carol', 'erin')")" \
    "no delivery below the minimum severity, none for a digest subscriber"

# ---- 2. a copy of an alert and malformed messages on the topic ----------------------
first=$(timeout 30 kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.alerts -c 1 -e -q -f '%k\t%s\n')
key=${first%%$'\t'*}
{
    printf '%s\n' "${first#*$'\t'}"
    printf 'not json at all\n'
    printf '{"alert_id": "not-a-uuid", "audience": "stop-search-scrutiny-group"}\n'
} | kcat -P -b "$EQM_KAFKA_BROKERS" -t equality.alerts -k "$key"
rejected() { [ "$(psql_val "SELECT count(*) FROM equality.notify_rejections")" = 2 ]; }
eqm_wait_until 30 rejected || fail "the two malformed messages were not recorded"
kill -0 "$notify_pid" || fail "eqm-notify stopped on a malformed message"
assert_eq 4 "$(psql_val "SELECT count(*) FROM equality.notify_alerts")" \
    "the copy of an alert added nothing"
sleep 1
check_mail --exact
eqm_test_log "copy and malformed: $(psql_val "SELECT string_agg(reason, ' | ') FROM equality.notify_rejections")"

# ---- 3. kill -9 of eqm-notify during deliveries -------------------------------------
# Outbox rows as the consumers write them: 24 warnings and 6 criticals for
# the scrutiny group, summaries with non-ASCII text and HTML specials.
insert_alerts() {
    local n=$1 tag=$2
    psql_val "
    INSERT INTO equality.alert_outbox (alert_id, fingerprint, status, audience, payload)
    SELECT a.alert_id, a.fp, 'firing', a.audience,
           jsonb_build_object(
             'schema_version', 1, 'alert_id', a.alert_id, 'fingerprint', a.fp,
             'status', 'firing', 'transition', 'firing',
             'rule', 'stop-search-rate-ethnicity', 'source', 'stop-search',
             'measure', 'stop_search.searches', 'area', 'E07000008', 'area_name', 'Cambridge',
             'role', NULL, 'stage', NULL, 'dimension', 'ethnicity', 'group', 'black',
             'reference_group', 'white', 'window_days', 365, 'window_end', '2026-03-14',
             'value', 3.4 + a.i / 100.0, 'value_field', 'ratio', 'ci_low', 2.1, 'ci_high', 5.5,
             'p_value', NULL, 'comparison', '>=', 'threshold', 2.0, 'clear_threshold', 1.8,
             'min_count', 20, 'require_significant', true, 'significant', true,
             'counts', jsonb_build_object('n', 57 + a.i, 'base', 18496, 'ref_n', 124,
                                          'ref_base', 763744),
             'audience', a.audience, 'severity', a.severity,
             'first_breached_at', '2026-03-14T10:00:00Z', 'evaluated_at', '2026-03-14T10:00:05Z',
             'summary', 'Black people in Cambridge – Côte <north> & south – were stopped and '
                        'searched at ' || (3.4 + a.i / 100.0) || ' times the rate of White people '
                        'in the 365 days to 14 March 2026 (95% CI 2.1 to 5.5; ' || (57 + a.i)
                        || ' searches). [$tag ' || a.i || ']')
      FROM (SELECT i, gen_random_uuid() AS alert_id, md5('$tag|' || i) AS fp,
                   CASE WHEN i % 5 = 0 THEN 'critical' ELSE 'warning' END AS severity,
                   'stop-search-scrutiny-group' AS audience
              FROM generate_series(1, $n) AS i) a" >/dev/null
}
insert_alerts 30 kill
timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"
rows=$((rows + $(expected_rows 24 6 0)))
kills=0
for round in 1 2 3; do
    before=$(mails)
    eqm_wait_until 30 more_mail "$before" || fail "nothing delivered in round $round"
    sleep "0.$((RANDOM % 9 + 1))"
    kill -KILL "$notify_pid" 2>/dev/null || true
    wait "$notify_pid" 2>/dev/null || true
    kills=$((kills + 1))
    eqm_test_log "kill -9 $round: $(mails) mails, $(pending) deliveries pending"
    notify_start
done
# A claim lasts 2 x smtp.timeout.ms + 5 s: what a killed process held is
# sent again after that.
eqm_wait_until 120 settled "$rows" || fail "deliveries not settled after kill -9: $(pending) pending of $(deliveries), want $rows"
kill_counts=$(check_mail)
eqm_test_log "kill -9 x$kills: $kill_counts"

# ---- 4. the SMTP server down longer than the retry interval, then up --------------------
sink_kill
insert_alerts 10 down
timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"
rows=$((rows + $(expected_rows 8 2 0)))
retried() {
    [ "$(psql_val "SELECT count(*) FROM equality.notify_deliveries d JOIN equality.notify_alerts a
                    USING (alert_id) WHERE a.payload->>'summary' LIKE '%[down %'
                    AND d.state = 'pending' AND d.attempts >= 3
                    AND d.recipient <> 'tina'")" = "$(($(expected_rows 8 2 0) - 10))" ]
}
eqm_wait_until 60 retried || fail "deliveries were not retried while the server was down"
down_attempts=$(psql_val "SELECT sum(attempts) FROM equality.notify_deliveries d JOIN
                          equality.notify_alerts a USING (alert_id)
                          WHERE a.payload->>'summary' LIKE '%[down %' AND d.recipient <> 'tina'")
sink_start
eqm_wait_until 120 settled "$rows" || fail "deliveries not settled after the server came back: $(pending) pending"
down_counts=$(check_mail)
eqm_test_log "server down: $(($(expected_rows 8 2 0) - 10)) deliveries, $down_attempts attempts while down; after: $down_counts"

# ---- 5. smtps:// (TLS from the first byte, as a relay on port 465) ---------------------
kill -TERM "$notify_pid"
rc=0
wait "$notify_pid" || rc=$?
assert_eq 0 "$rc" "SIGTERM stops eqm-notify cleanly"
sink_kill
sink_start --implicit-tls
smtp_url=smtps://127.0.0.1:$port
notify_start
insert_alerts 4 tls
timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 2 --log-level warn || fail "the relay failed"
rows=$((rows + $(expected_rows 4 0 0)))
eqm_wait_until 60 settled "$rows" || fail "deliveries over smtps:// not settled: $(pending) pending"
tls_counts=$(check_mail)
eqm_test_log "smtps://: $tls_counts"

# ---- the end state ---------------------------------------------------------------------
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.notify_deliveries
                          WHERE state = 'failed' AND recipient <> 'nobody'")" \
    "no delivery failed but the refused recipient's"
assert_eq "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE recipient = 'nobody'")" \
    "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE $refused")" \
    "every delivery to the refused recipient failed with the 550 reply"
# eqm-admin notifications: the failed ones, masked; one alert's by prefix.
rows_line() { if [ "$1" = 1 ]; then echo "(1 row)"; else echo "($1 rows)"; fi; }
failed_n=$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE state = 'failed'")
out=$("$BIN/eqm-admin" notifications --state failed) || fail "eqm-admin notifications failed"
grep -qF "$(rows_line "$failed_n")" <<<"$out" || fail "eqm-admin notifications --state failed: $out"
grep -qF 'n***@force.example' <<<"$out" || fail "the recipient is listed masked: $out"
if grep -qF 'nobody@force.example' <<<"$out"; then fail "a full address in the listing"; fi
grep -qF '550 5.1.1' <<<"$out" || fail "the listing shows the server's reply: $out"
aid=$(psql_val "SELECT alert_id FROM equality.notify_alerts ORDER BY received_at LIMIT 1")
per_alert=$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE alert_id = '$aid'")
out=$("$BIN/eqm-admin" notifications --alert "${aid:0:8}")
grep -qF "$(rows_line "$per_alert")" <<<"$out" || fail "eqm-admin notifications --alert: $out"
rc=0
"$BIN/eqm-admin" notifications --state lost >/dev/null 2>&1 || rc=$?
assert_eq 2 "$rc" "a bad --state is a usage error"
tina="recipient = 'tina' AND state = 'pending' AND attempts > 1 AND last_status = 451
     AND last_error LIKE '%451 4.2.0%try again later%'"
assert_eq "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE recipient = 'tina'")" \
    "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE $tina")" \
    "the 451 recipient's deliveries are still pending, retried, with the reply"
eqm_test_log "the 451 recipient: $(psql_val "SELECT count(*) || ' deliveries, ' || sum(attempts)
                                              || ' attempts' FROM equality.notify_deliveries
                                              WHERE recipient = 'tina'")"
if grep -E -q '(alice|bob|carol|dave|nobody|tina)@force' "$work/notify.log"; then
    fail "a full recipient address is in the log"
fi
# Offsets are stored with the alerts: every restart resumed where the last
# commit left off, so the only copy eqm-notify dropped is the one sent in 2.
assert_eq 1 "$(grep -c 'msg="duplicate alert dropped"' "$work/notify.log")" \
    "no message read twice across three kill -9s"
kill -TERM "$notify_pid"
rc=0
wait "$notify_pid" || rc=$?
assert_eq 0 "$rc" "SIGTERM stops eqm-notify cleanly, again"
grep 'msg="notify stopping"' "$work/notify.log" | tail -1 >&2
eqm_test_log "counts: end-to-end 4 alerts; kill -9 x$kills: $kill_counts; server down: $down_counts; smtps: $tls_counts"
