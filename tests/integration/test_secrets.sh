#!/usr/bin/env bash
# Secrets from files, and never shown. PostgreSQL asks the programs' roles
# for passwords here (scram-sha-256 over TCP), so each secret must really
# arrive: eqm-stop-search's from EQM_PG_PASSWORD_FILE, eqm-alert-relay's
# from a libpq passfile (PGPASSFILE), eqm-notify's in its URL
# (percent-encoded); a Kafka SASL password from -X sasl.password.file; the
# SMTP password from EQM_SMTP_PASSWORD_FILE (the sink demands AUTH); a
# webhook's secret header from secret_file= (the receiver records it). Each
# secret holds '/' and '@'. Then a wrong password, a URI whose password
# holds them unescaped, and every secret file left readable by others
# (refused, naming the mode). Every log, --print-config output and error
# of the run, the alerts, the dead letters and the deliveries are searched
# for every 6-character piece of every secret: none may be there.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

eqm_smtp_test_setup secrets
pgport=$(cat "$EQM_TEST_DIR/port")
out=$work/out # every program's output and error of the run
sec=$work/secrets
mkdir -p "$out" "$sec" "$work/requests"
chmod 0700 "$sec"

URL_PW='Ur/L@pw-Kestrel9'
URL_PW_ENC='Ur%2FL%40pw-Kestrel9'
FILE_PW='Fi/Le@pw-Osprey4'
PASS_PW='Pa/Ss@pw-Heron7'
SASL_PW='Sa/Sl@pw-Merlin3'
SMTP_PW='Sm/Tp@pw-Falcon8'
HOOK_PW='Wh/Hk@pw-Kite5'
WRONG_PW='Wr/Ng@pw-Crane2'
secrets=("$URL_PW" "$URL_PW_ENC" "$FILE_PW" "$PASS_PW" "$SASL_PW" "$SMTP_PW" "$HOOK_PW" "$WRONG_PW")

# secret_file NAME TEXT: $sec/NAME, mode 0600.
secret_file() {
    (umask 077 && printf '%s\n' "$2" >"$sec/$1")
}
secret_file pg-password "$FILE_PW"
secret_file pgpass "127.0.0.1:$pgport:eqm:eqm_svc_relay:$PASS_PW"
secret_file sasl "$SASL_PW"
secret_file smtp "$SMTP_PW"
secret_file hook "X-Api-Key: $HOOK_PW"

# The programs' roles need passwords over TCP from now on; the owner (the
# test's own psql) stays trusted.
psql_val "ALTER ROLE eqm_svc_stop_search PASSWORD '$FILE_PW';
          ALTER ROLE eqm_svc_relay PASSWORD '$PASS_PW';
          ALTER ROLE eqm_svc_notify PASSWORD '$URL_PW'" >/dev/null
hba=$EQM_TEST_DIR/pg/data/pg_hba.conf
cat >"$hba" <<'HBA'
local   all   all                      trust
host    all   eqm   127.0.0.1/32       trust
host    all   all   127.0.0.1/32       scram-sha-256
HBA
psql -XAtq -v ON_ERROR_STOP=1 -h "$EQM_TEST_DIR/pg/sock" -p "$pgport" -U postgres -d postgres \
    -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
no_pw=$(EQM_STOP_SEARCH_PG_URL=$EQM_STOP_SEARCH_PG_URL timeout 30 "$BIN/eqm-stop-search" \
    --exit-when-idle 1 2>&1 || true)
grep -q 'password' <<<"$no_pw" || fail "PostgreSQL does not ask eqm_svc_stop_search for a password: $no_pw"
eqm_test_log "ok: the programs' roles must give passwords"

stop_search_url=$EQM_STOP_SEARCH_PG_URL
relay_url=$EQM_ALERT_RELAY_PG_URL
notify_url=${EQM_NOTIFY_PG_URL/eqm_svc_notify@/eqm_svc_notify:$URL_PW_ENC@}

# --- the subscription file, the SMTP sink, the webhook receiver ----------
python3 "$here/http_receiver.py" "$work/requests" >"$work/hook-port" 2>"$work/receiver.log" &
eqm_test_bg $!
eqm_wait_until 30 test -s "$work/hook-port" || fail "the HTTP receiver did not start"
hook_url=http://127.0.0.1:$(head -n 1 "$work/hook-port")/ok/gen
"$PY_SINK" "$here/smtp_sink.py" --port "$port" --dir "$work/mail" --cert "$work/cert.pem" \
    --key "$work/key.pem" --user eqm --password "$SMTP_PW" --ready-file "$work/ready" \
    >"$work/sink.log" 2>&1 &
eqm_test_bg $!
eqm_wait_until 30 test -f "$work/ready" || fail "the SMTP sink did not start"
subs=$work/subscriptions
cat >"$subs" <<SUBS
stop-search-scrutiny-group  chair  email    chair@force.example
stop-search-scrutiny-group  hook   webhook  $hook_url  secret_file=$sec/hook
SUBS
rules=$work/rules.json
eqm_arrest_rules "$rules"

stop_search() {
    EQM_STOP_SEARCH_PG_URL=$stop_search_url EQM_PG_PASSWORD_FILE=$sec/pg-password \
        timeout 120 "$BIN/eqm-stop-search" -X "sasl.password.file=$sec/sasl" \
        -X session.timeout.ms=6000 --alerts-rules="$rules" --metrics-interval-ms=600000 \
        --batch-max-ms=5000 "$@"
}
relay() {
    EQM_ALERT_RELAY_PG_URL=$relay_url PGPASSFILE=$sec/pgpass timeout 120 "$BIN/eqm-alert-relay" "$@"
}
notify_args=(--notify-subscriptions "$subs" --alerts-rules "$rules"
    --smtp-url "smtp://127.0.0.1:$port" --smtp-user eqm
    --smtp-from 'Equality Monitor <eqm@force.example>' --smtp-ca-file "$work/cert.pem"
    --smtp-timeout-ms 3000 --webhook-timeout-ms 3000 --notify-delivery-interval-ms 200
    --notify-retry-backoff-ms 200 --notify-retry-backoff-max-ms 1000 -X session.timeout.ms=6000)
notify() {
    EQM_NOTIFY_PG_URL=$notify_url EQM_SMTP_PASSWORD_FILE=$sec/smtp timeout 120 "$BIN/eqm-notify" \
        "${notify_args[@]}" "$@"
}

# --- --print-config: every secret [redacted] -----------------------------
stop_search --print-config >"$out/stop-search.config" 2>&1 || fail "stop-search --print-config"
relay --print-config >"$out/relay.config" 2>&1 || fail "relay --print-config"
notify --print-config >"$out/notify.config" 2>&1 || fail "notify --print-config"
grep -qx 'pg.password = \[redacted\]' "$out/stop-search.config" || fail "pg.password is not [redacted]"
grep -q "^pg.url = .*user='eqm_svc_stop_search' password='\[redacted\]'" "$out/stop-search.config" ||
    fail "pg.url does not show the password [redacted]: $(grep pg.url "$out/stop-search.config")"
grep -qx 'kafka.sasl.password = \[redacted\]' "$out/stop-search.config" ||
    fail "kafka.sasl.password is not [redacted]"
grep -q "^pg.url = .*password='\[redacted\]'" "$out/notify.config" || fail "notify's pg.url password"
grep -qx 'smtp.password = \[redacted\]' "$out/notify.config" || fail "smtp.password is not [redacted]"
eqm_test_log "ok: --print-config shows every secret as [redacted]"

# --- the run: events (one a dead letter), an alert, its deliveries -------
eqm_arrest_phase p1 0 white:200:40 black:50:30
printf '%s\n' '{"event_id": "bad-1", "event_type": "stop_search", "occurred_at": "not a time"}' |
    kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k force
stop_search --exit-when-idle 3 --log-level debug >"$out/stop-search.log" 2>&1 ||
    fail "eqm-stop-search (password from EQM_PG_PASSWORD_FILE) failed: $(tail -n 5 "$out/stop-search.log")"
assert_eq 250 "$(eqm_searches)" "eqm-stop-search connected with the password from its file and counted"
assert_eq 1 "$(psql_val "SELECT count(*) FROM equality.dead_letters")" "the bad event is a dead letter"
relay --exit-when-idle 3 --log-level debug >"$out/relay.log" 2>&1 ||
    fail "eqm-alert-relay (password from PGPASSFILE) failed: $(tail -n 5 "$out/relay.log")"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.alert_outbox WHERE publish AND sent_at IS NULL")" \
    "the relay connected with the passfile's password and published"
# A simple command, so $! is eqm-notify's own pid.
EQM_NOTIFY_PG_URL=$notify_url EQM_SMTP_PASSWORD_FILE=$sec/smtp "$BIN/eqm-notify" "${notify_args[@]}" \
    --log-level debug >"$out/notify.log" 2>&1 &
notify_pid=$!
eqm_test_bg $notify_pid
delivered() {
    [ "$(psql_val "SELECT count(*) FROM equality.notify_deliveries WHERE state = 'delivered'")" -ge 2 ]
}
eqm_wait_until 90 delivered ||
    fail "the e-mail and the webhook were not delivered: $(psql_val "SELECT channel, state, last_error FROM equality.notify_deliveries" 2>&1)"
kill -TERM $notify_pid
wait $notify_pid || fail "eqm-notify did not stop cleanly"
assert_eq 1 "$(find "$work/mail" -name '*.eml' | wc -l)" "the mail arrived (SMTP AUTH with the password from its file)"
python3 - "$work/requests" "X-Api-Key" "$HOOK_PW" <<'PY' || fail "the webhook's secret header"
import glob, json, sys
d, name, want = sys.argv[1:]
reqs = [json.load(open(p)) for p in sorted(glob.glob(d + "/*.json"))]
assert reqs, "no request"
for r in reqs:
    got = [v for k, v in r["headers"] if k.lower() == name.lower()]
    assert got == [want], got
PY
eqm_test_log "ok: the webhook got the secret header from its secret_file"

# --- errors: a wrong password, an unescaped one, files left readable -----
rc=0
wrong=${WRONG_PW//\//%2F}
wrong=${wrong//@/%40}
secrets+=("$wrong")
EQM_STOP_SEARCH_PG_URL=${stop_search_url/eqm_svc_stop_search@/eqm_svc_stop_search:$wrong@} \
    timeout 30 "$BIN/eqm-stop-search" --exit-when-idle 1 >"$out/wrong-password.err" 2>&1 || rc=$?
assert_eq 1 "$rc" "a wrong password: exit 1"
grep -q 'password authentication failed for user' "$out/wrong-password.err" ||
    fail "a wrong password is not said: $(cat "$out/wrong-password.err")"
rc=0
EQM_STOP_SEARCH_PG_URL=${stop_search_url/eqm_svc_stop_search@/eqm_svc_stop_search:$URL_PW@} \
    timeout 30 "$BIN/eqm-stop-search" >"$out/unescaped.err" 2>&1 || rc=$?
assert_eq 2 "$rc" "a URI password with '/' and '@' unescaped: a bad setting"
grep -q "write '/' as %2F and '@' as %40" "$out/unescaped.err" ||
    fail "the unescaped password is not explained: $(cat "$out/unescaped.err")"

# readable NAME FILE CMD...: with FILE made mode 0644, CMD exits 2 naming it.
readable() {
    local name=$1 file=$2 rc=0
    shift 2
    chmod 0644 "$file"
    "$@" >"$out/readable-$name.err" 2>&1 || rc=$?
    chmod 0600 "$file"
    assert_eq 2 "$rc" "$name readable by others: refused"
    grep -qF "$file: mode 0644, must not be readable by group or others" "$out/readable-$name.err" ||
        fail "$name: the refusal does not name the file and its mode: $(cat "$out/readable-$name.err")"
}
readable pg-password "$sec/pg-password" stop_search --exit-when-idle 1
readable sasl "$sec/sasl" stop_search --exit-when-idle 1
readable pgpass "$sec/pgpass" relay --exit-when-idle 1
readable smtp "$sec/smtp" notify --print-config
readable hook "$sec/hook" notify
eqm_test_log "ok: every secret file readable by others is refused, naming its mode"

# --- nothing anywhere holds a piece of a secret --------------------------
psql_val "SELECT payload FROM equality.alert_outbox" >"$out/outbox"
psql_val "SELECT to_jsonb(d) FROM equality.dead_letters d" >"$out/dead-letters"
psql_val "SELECT to_jsonb(d) FROM equality.notify_deliveries d" >"$out/deliveries"
timeout 60 kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.alerts -e -q -J >"$out/alerts.topic"
timeout 60 kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.dead-letter -e -q -J >"$out/dead-letter.topic"
[[ -s $out/dead-letter.topic && -s $out/alerts.topic ]] || fail "nothing read back from the topics"
cp "$EQM_TEST_DIR/pg/postgres.log" "$out/postgres.log"
cp "$EQM_TEST_DIR/broker.log" "$out/broker.log"
pieces=$work/pieces
for s in "${secrets[@]}"; do
    for ((i = 0; i + 6 <= ${#s}; i++)); do
        printf '%s\n' "${s:i:6}"
    done
done | sort -u >"$pieces"
# The search itself finds a secret where there is one.
grep -qF -f "$pieces" "$sec/pg-password" || fail "the search does not find a secret in its own file"
found=$(grep -rnF -f "$pieces" "$out" || true)
[[ -z $found ]] || fail "a piece of a secret is in the output: $(head -n 5 <<<"$found")"
eqm_test_log "ok: none of $(wc -l <"$pieces") six-character pieces of the ${#secrets[@]} secrets in $(find "$out" -type f | wc -l) files ($(cat "$out"/* | wc -c) bytes)"
eqm_test_log "PASS"
