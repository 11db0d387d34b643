#!/usr/bin/env bash
# eqm-alert-relay against the real broker and PostgreSQL: outbox rows
# inserted directly (as the consumers would, in their own transactions)
# must all reach equality.alerts, keyed by fingerprint, with the relay's
# headers, silenced rows never, and every published row stamped with the
# partition and offset its message really has. Then kill -9 at random
# moments while it publishes (nothing lost, duplicates allowed); a
# broker that fails produce requests, goes down, and breaks the idempotent
# producer (the relay retries, with a new producer if need be); PostgreSQL
# refusing the relay between a delivery and its stamp (no duplicate); two relays at
# once (one publishes, the other takes over after kill -9); and the
# published messages against schemas/events/alert.schema.json.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

command -v kcat >/dev/null || fail "kcat is not installed"
# shellcheck disable=SC2119 # the default broker options
eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
TOPIC=equality.alerts
work=$EQM_TEST_DIR/relay
mkdir -p "$work"

# insert_rows N [SILENCE_EVERY]: N outbox rows with complete alert payloads
# (every field of alert.schema.json), over 37 fingerprints; every
# SILENCE_EVERY-th row is silenced (publish = false). One transaction.
insert_rows() {
    local n=$1 every=${2:-0}
    psql_val "
    INSERT INTO equality.alert_outbox (alert_id, fingerprint, status, audience, payload, publish)
    SELECT a.alert_id, a.fp, a.status, a.audience,
           jsonb_build_object(
             'schema_version', 1, 'alert_id', a.alert_id, 'fingerprint', a.fp,
             'status', a.status,
             'transition', CASE a.status WHEN 'firing' THEN 'firing' ELSE 'resolved' END,
             'rule', 'stop-search-rate-ratio', 'source', 'stop-search',
             'measure', 'stop_search.searches', 'area', 'E07000008', 'area_name', 'Cambridge',
             'role', NULL, 'stage', NULL, 'dimension', 'ethnicity', 'group', 'black',
             'reference_group', 'white', 'window_days', 365, 'window_end', '2026-03-14',
             'value', 3.4, 'value_field', 'ratio', 'ci_low', 2.1, 'ci_high', 5.5,
             'p_value', NULL, 'comparison', '>=', 'threshold', 2.0, 'clear_threshold', 1.8,
             'min_count', 10, 'require_significant', true, 'significant', true,
             'counts', jsonb_build_object('n', 57, 'base', 18496, 'ref_n', 124,
                                          'ref_base', 763744),
             'audience', a.audience, 'severity', 'warning',
             'first_breached_at', '2026-03-14T10:00:00Z', 'evaluated_at', '2026-03-14T10:00:05Z',
             'summary', 'Black people in Cambridge were stopped and searched at 3.4 times the '
                        'rate of White people in the 365 days to 14 March 2026 '
                        '(95% CI 2.1 to 5.5; 57 searches). [row ' || a.i || ']')
           || jsonb_build_object('population_base', 'census-2021', 'restated_from', NULL),
           NOT ($every > 0 AND a.i % $every = 0)
      FROM (SELECT i, gen_random_uuid() AS alert_id, md5('rule|area|' || (i % 37)) AS fp,
                   CASE WHEN i % 2 = 0 THEN 'firing' ELSE 'resolved' END AS status,
                   'stop-search-scrutiny-group' AS audience
              FROM generate_series(1, $n) AS i) a"
}

unsent() { psql_val "SELECT count(*) FROM equality.alert_outbox WHERE sent_at IS NULL AND publish"; }
sent() { psql_val "SELECT count(*) FROM equality.alert_outbox WHERE sent_at IS NOT NULL"; }
none_unsent() { [ "$(unsent)" = 0 ]; }
sent_above() { [ "$(sent)" -gt "$1" ]; }

# Everything on the topic, one JSON envelope per line (kcat exits at the end).
read_topic() {
    timeout 120 kcat -C -b "$EQM_KAFKA_BROKERS" -t "$TOPIC" -e -J -q >"$1" \
        || fail "kcat could not read $TOPIC"
}

# The outbox as the checker wants it: id|alert_id|fingerprint|publish|sent|partition|offset
dump_outbox() {
    psql_val "SELECT id, alert_id, fingerprint, publish, sent_at IS NOT NULL,
                     coalesce(kafka_partition, -1), coalesce(kafka_offset, -1)
                FROM equality.alert_outbox ORDER BY id" >"$1"
}

# check_topic OUTBOX TOPIC_DUMP MODE: MODE "exact" wants each published
# alert once; "at-least-once" allows duplicates (after kill -9);
# "exact-from:ID" allows them only for outbox ids below ID.
check_topic() {
    python3 - "$@" <<'PY'
import json, sys
outbox_path, topic_path, mode = sys.argv[1:4]
rows = {}
for line in open(outbox_path):
    i, aid, fp, pub, sent, part, off = line.rstrip("\n").split("|")
    rows[aid] = dict(id=i, fp=fp, publish=pub == "t", sent=sent == "t",
                     part=int(part), off=int(off))
msgs = [json.loads(l) for l in open(topic_path) if l.strip()]
seen = {}
problems = []
for m in msgs:
    payload = json.loads(m["payload"])
    aid = payload["alert_id"]
    h = m.get("headers") or []
    headers = dict(zip(h[0::2], h[1::2]))
    seen.setdefault(aid, []).append((m["partition"], m["offset"]))
    row = rows.get(aid)
    if row is None:
        problems.append("alert %s on the topic is not in the outbox" % aid)
        continue
    if not row["publish"]:
        problems.append("silenced alert %s was published" % aid)
    if m["key"] != row["fp"] or payload["fingerprint"] != row["fp"]:
        problems.append("alert %s keyed %r, fingerprint %r" % (aid, m["key"], row["fp"]))
    if headers.get("eqm-alert-id") != aid or headers.get("eqm-outbox-id") != row["id"]:
        problems.append("alert %s headers %r" % (aid, headers))
    if headers.get("eqm-status") != payload["status"] or headers.get("eqm-audience") != payload["audience"]:
        problems.append("alert %s status/audience headers %r" % (aid, headers))
published = {a for a, r in rows.items() if r["publish"]}
lost = published - set(seen)
if lost:
    problems.append("%d published alert(s) never reached the topic, e.g. %s"
                    % (len(lost), sorted(lost)[0]))
for a, r in rows.items():
    if r["publish"] != r["sent"]:
        problems.append("alert %s publish=%s but sent=%s" % (a, r["publish"], r["sent"]))
    # The stamp names a real copy of this very alert.
    if r["sent"] and (r["part"], r["off"]) not in seen.get(a, []):
        problems.append("alert %s stamped %d/%d, where the topic has %r"
                        % (a, r["part"], r["off"], seen.get(a)))
dups = sum(len(v) - 1 for v in seen.values())
if mode == "exact" and dups:
    problems.append("%d duplicate(s) without any crash" % dups)
if mode.startswith("exact-from:"):
    # Rows from this outbox id on must be on the topic exactly once.
    start = int(mode.split(":", 1)[1])
    twice = [a for a, r in rows.items() if int(r["id"]) >= start and len(seen.get(a, [])) > 1]
    if twice:
        problems.append("%d alert(s) from outbox id %d sent more than once, e.g. %s"
                        % (len(twice), start, twice[0]))
for p in problems[:20]:
    print("FAIL:", p, file=sys.stderr)
if problems:
    sys.exit(1)
print("%d published alerts on the topic (%d messages, %d duplicates), %d silenced kept back"
      % (len(published), len(msgs), dups, len(rows) - len(published)))
PY
}

relay=("$BIN/eqm-alert-relay" --relay-poll-interval-ms 200 --relay-retry-backoff-ms 100
       --relay-retry-backoff-max-ms 1000)

# ---- 0. what the guarantees rest on cannot be switched off -----------------
for prop in acks=1 enable.idempotence=false; do
    if out=$("$BIN/eqm-alert-relay" -X "$prop" 2>&1); then
        fail "the relay ran with -X $prop"
    fi
    grep -q 'needs enable.idempotence=true and acks=all' <<<"$out" \
        || fail "-X $prop refused without saying why: $out"
done
eqm_test_log "ok: -X acks=1 and -X enable.idempotence=false refused"

# ---- 1. publish, key, headers, silenced rows, stamps -----------------------
insert_rows 60 10
timeout 60 "${relay[@]}" --exit-when-idle 2 2>"$work/relay1.log" \
    || { cat "$work/relay1.log" >&2; fail "the relay did not exit 0 when idle"; }
grep -q 'msg="relay stopping".*published=54 marked=54 .*unsent_at_exit=0' "$work/relay1.log" \
    || { cat "$work/relay1.log" >&2; fail "the health summary does not say 54 published"; }
assert_eq 0 "$(unsent)" "no publishable row left unsent"
assert_eq 6 "$(psql_val "SELECT count(*) FROM equality.alert_outbox WHERE NOT publish AND sent_at IS NULL")" \
    "silenced rows stay unsent"
dump_outbox "$work/outbox1"
read_topic "$work/topic1"
check_topic "$work/outbox1" "$work/topic1" exact >&2 || fail "topic and outbox disagree"
eqm_test_log "ok: 54 alerts published once each, keyed by fingerprint; 6 silenced kept back"

# ---- 2. NOTIFY wakes it; SIGTERM stops it cleanly --------------------------
# A poll interval of a minute: only the NOTIFY of migration 006 can make
# the rows go out within the wait below.
"$BIN/eqm-alert-relay" --relay-poll-interval-ms 60000 2>"$work/relay2.log" &
pid=$!
eqm_test_bg $pid
has_line() { grep -qs "$1" "$work/relay2.log"; }
eqm_wait_until 30 has_line 'msg="relay started"' || fail "the relay did not start"
sleep 0.5
insert_rows 5
eqm_wait_until 15 none_unsent || fail "a NOTIFY did not wake the relay (rows still unsent after 15 s)"
eqm_test_log "ok: NOTIFY woke the relay"
kill -TERM $pid
rc=0
wait $pid || rc=$?
assert_eq 0 "$rc" "SIGTERM: the relay exits 0"
grep -q 'msg="relay stopping".*published=5 ' "$work/relay2.log" \
    || { cat "$work/relay2.log" >&2; fail "no health summary after SIGTERM"; }

# ---- 3. kill -9 at random moments: nothing lost ----------------------------
# Small rounds make many stamps, so each kill lands between an
# acknowledgement and its stamp now and then: those rows go out twice.
insert_rows 2000 25
kills=0
for round in 1 2 3 4 5 6; do
    before=$(sent)
    "${relay[@]}" --batch-max-messages 20 --log-level warn 2>>"$work/relay3.log" &
    pid=$!
    eqm_test_bg $pid
    # Rows also arrive while it runs (a consumer committing a batch).
    insert_rows 40 25
    eqm_wait_until 60 sent_above "$before" || fail "the relay stamped nothing within 60 s"
    sleep "0.$((RANDOM % 4))$((RANDOM % 10))"
    kill -9 $pid 2>/dev/null || true
    wait $pid 2>/dev/null || true
    left=$(unsent)
    eqm_test_log "round $round: killed with $left rows unsent"
    [ "$left" -gt 0 ] && kills=$((kills + 1))
done
[ "$kills" -ge 3 ] || fail "only $kills kills landed mid-stream: make the stream longer"
timeout 120 "${relay[@]}" --exit-when-idle 2 --log-level warn 2>>"$work/relay3.log" \
    || fail "the relay did not finish after the kills"
assert_eq 0 "$(unsent)" "every row sent after $kills kills"
dump_outbox "$work/outbox3"
read_topic "$work/topic3"
check_topic "$work/outbox3" "$work/topic3" at-least-once >&2 \
    || fail "alerts lost or mis-stamped across kill -9"
eqm_test_log "ok: every alert on the topic after $kills kill -9s"

# ---- 4. broker faults: the relay retries -----------------------------------
# (a) Produce requests fail for a while: librdkafka retries them itself.
# (b) The broker goes down for longer than message.timeout.ms: deliveries
#     fail, the relay backs off and sends them again once it is back.
eqm_ctl push-errors Produce NOT_ENOUGH_REPLICAS 20 >/dev/null
"${relay[@]}" -X message.timeout.ms=2000 2>"$work/relay4.log" &
pid=$!
eqm_test_bg $pid
has_line4() { grep -qs "$1" "$work/relay4.log"; }
eqm_wait_until 30 has_line4 'msg="relay started"' || fail "the relay did not start"
insert_rows 100
eqm_wait_until 60 none_unsent || fail "rows not delivered through failing Produce requests"
eqm_test_log "ok: delivered through 20 failed Produce requests"
eqm_ctl broker-down all >/dev/null
insert_rows 100
eqm_wait_until 30 has_line4 'alert not delivered; will retry' \
    || { cat "$work/relay4.log" >&2; fail "the relay did not report failed deliveries"; }
sleep 3
[ "$(unsent)" -gt 0 ] || fail "rows were stamped sent while the broker was down"
eqm_ctl broker-up all >/dev/null
eqm_wait_until 90 none_unsent || { tail -n 20 "$work/relay4.log" >&2; fail "rows not delivered after the broker came back"; }
grep -q 'msg="retrying failed alerts later"' "$work/relay4.log" || fail "no back-off logged"
eqm_test_log "ok: delivered after the broker was down longer than message.timeout.ms"
# (c) A fatal error of the idempotent producer (the broker says its
#     sequence numbers are out of order): the relay makes a new producer.
eqm_ctl push-errors Produce OUT_OF_ORDER_SEQUENCE_NUMBER 2 >/dev/null
insert_rows 100
eqm_wait_until 60 none_unsent || { tail -n 20 "$work/relay4.log" >&2; fail "rows not delivered after a fatal producer error"; }
grep -q 'msg="producer recreated"' "$work/relay4.log" \
    || { tail -n 20 "$work/relay4.log" >&2; fail "the producer was not recreated after a fatal error"; }
eqm_test_log "ok: a new producer after a fatal idempotence error"
kill -TERM $pid
rc=0
wait $pid || rc=$?
assert_eq 0 "$rc" "the relay stops cleanly after the faults"
grep -q 'msg="relay stopping".*delivery_failed=[1-9].*producer_restarts=[1-9]' "$work/relay4.log" \
    || fail "the health summary does not count the failed deliveries and the new producer"
dump_outbox "$work/outbox4"
read_topic "$work/topic4"
check_topic "$work/outbox4" "$work/topic4" at-least-once >&2 \
    || fail "alerts lost or mis-stamped across broker faults"
eqm_test_log "ok: every alert delivered after the broker faults"

# ---- 5. PostgreSQL goes away between the delivery and the stamp ------------
# The broker answers slowly, so the round is still waiting for its delivery
# reports when PostgreSQL ends the relay's session and refuses it for a
# while; the stamp fails. The relay keeps the acknowledged rows and stamps
# them once it has reconnected: they are not sent a second time. (The
# server is not stopped: on a shared machine another test's cluster could
# take its port meanwhile, and the relay would reconnect to that one.)
pg_super() { psql -XAtq -v ON_ERROR_STOP=1 "${EQM_PG_URL/eqm@/postgres@}" -c "$1"; }
"${relay[@]}" 2>"$work/relay5.log" &
pid=$!
eqm_test_bg $pid
has_line5() { grep -qs "$1" "$work/relay5.log"; }
eqm_wait_until 30 has_line5 'msg="active relay"' || fail "the relay did not start"
first=$(psql_val "SELECT coalesce(max(id), 0) + 1 FROM equality.alert_outbox")
eqm_ctl broker-rtt all 4000 >/dev/null
insert_rows 30
sleep 1
assert_eq 30 "$(unsent)" "the round is in flight when PostgreSQL refuses the relay"
# From here until LOGIN, the relay's role cannot connect.
relay_role=${EQM_ALERT_RELAY_PG_URL#*//}
relay_role=${relay_role%%@*}
pg_super "ALTER ROLE $relay_role NOLOGIN" >/dev/null
pg_super "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
           WHERE application_name = 'eqm-alert-relay'" >/dev/null
eqm_wait_until 30 has_line5 'stamping sent alerts' \
    || { pg_super "ALTER ROLE $relay_role LOGIN"; cat "$work/relay5.log" >&2; fail "the relay did not notice the failed stamp"; }
eqm_wait_until 30 has_line5 'msg="PostgreSQL unavailable"' \
    || { pg_super "ALTER ROLE $relay_role LOGIN"; fail "the relay did not retry its connection"; }
eqm_ctl broker-rtt all 0 >/dev/null
pg_super "ALTER ROLE $relay_role LOGIN" >/dev/null
eqm_wait_until 60 none_unsent || { tail -n 20 "$work/relay5.log" >&2; fail "rows not stamped after PostgreSQL came back"; }
grep -q 'msg="stamped alerts delivered before a PostgreSQL failure" rows=30 stamped=30' \
    "$work/relay5.log" || { tail -n 20 "$work/relay5.log" >&2; fail "the kept stamps were not written"; }
kill -TERM $pid
rc=0
wait $pid || rc=$?
assert_eq 0 "$rc" "the relay stops cleanly after the PostgreSQL outage"
grep -q 'msg="relay stopping".* mark_failed=30 .* pg_reconnects=1 ' "$work/relay5.log" \
    || { tail -n 3 "$work/relay5.log" >&2; fail "the health summary does not count the failed stamps and the reconnect"; }
dump_outbox "$work/outbox5"
read_topic "$work/topic5"
check_topic "$work/outbox5" "$work/topic5" "exact-from:$first" >&2 \
    || fail "alerts delivered during the PostgreSQL outage were sent twice or lost"
eqm_test_log "ok: a PostgreSQL outage mid-round costs no duplicate"

# ---- 6. two relays: one publishes, the other stands by and takes over ------
"${relay[@]}" 2>"$work/relay6a.log" &
a=$!
eqm_test_bg $a
has_line6() { grep -qs "$2" "$work/relay6$1.log"; }
eqm_wait_until 30 has_line6 a 'msg="active relay"' || fail "relay A did not start"
"${relay[@]}" 2>"$work/relay6b.log" &
b=$!
eqm_test_bg $b
eqm_wait_until 30 has_line6 b 'standing by' || fail "relay B did not stand by"
first=$(psql_val "SELECT coalesce(max(id), 0) + 1 FROM equality.alert_outbox")
insert_rows 40
eqm_wait_until 30 none_unsent || fail "relay A did not publish"
! has_line6 b 'msg="alerts published"' || fail "the standby published while A was active"
kill -9 $a
insert_rows 40
eqm_wait_until 30 none_unsent || fail "relay B did not take over from the killed relay A"
has_line6 b 'msg="active relay"' || fail "relay B never became active"
kill -TERM $b
wait $b || fail "relay B did not stop cleanly"
dump_outbox "$work/outbox6"
read_topic "$work/topic6"
check_topic "$work/outbox6" "$work/topic6" "exact-from:$first" >&2 \
    || fail "two relays sent an alert twice, or lost one"
eqm_test_log "ok: one active relay at a time; the standby took over after kill -9"

# ---- 7. the published messages against the alert JSON Schema ---------------
schema=$EQM_SOURCE_DIR/schemas/events/alert.schema.json
if [ -f "$schema" ]; then
    python3 -c 'import jsonschema' 2>/dev/null \
        || fail "python3 cannot import jsonschema (install python3-jsonschema)"
    python3 - "$schema" "$work/topic6" <<'PY' >&2 || fail "published alerts do not match alert.schema.json"
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
v = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
n = 0
for line in open(sys.argv[2]):
    if not line.strip():
        continue
    doc = json.loads(json.loads(line)["payload"])
    errs = list(v.iter_errors(doc))
    if errs:
        print("FAIL: %s: %s" % (doc.get("alert_id"), errs[0].message))
        sys.exit(1)
    n += 1
print("%d published alerts valid against alert.schema.json" % n)
PY
else
    eqm_test_log "SKIPPED: schemas/events/alert.schema.json does not exist yet"
fi

echo "PASS test_alert_relay ($kills mid-stream kills)"
