#!/usr/bin/env bash
# PostgreSQL over TLS, checked by the programs (sslmode=verify-full): the
# throwaway cluster of tools/stack.sh with EQM_PG_TLS=1 takes TLS only
# over TCP and holds a certificate for "localhost" only, signed by a
# throwaway CA. eqm-stop-search counts events and raises an alert,
# eqm-alert-relay publishes it, and pg_stat_ssl shows each of their
# connections encrypted. Then the refusals, each a readable one-line error
# naming the problem (exit 1, no crash; eqm-stop-search, and eqm-alert-relay
# for the first): a CA that did not sign the
# server's certificate, a host name the certificate does not hold
# (127.0.0.1), a root certificate file that is not there, and a client
# that does not encrypt (the server refuses it).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

command -v kcat >/dev/null || fail "kcat is not installed"
command -v openssl >/dev/null || fail "openssl is not installed"
export EQM_PG_TLS=1
# shellcheck disable=SC2119 # the default broker options
eqm_test_stack_up
[[ -s $EQM_PG_CA ]] || fail "no CA certificate at EQM_PG_CA=$EQM_PG_CA"
for v in EQM_PG_URL EQM_STOP_SEARCH_PG_URL EQM_ALERT_RELAY_PG_URL; do
    [[ ${!v} == *sslmode=verify-full* && ${!v} == *"sslrootcert=$EQM_PG_CA"* && ${!v} == *//*@localhost:* ]] ||
        fail "$v does not ask for verify-full against the throwaway CA: ${!v}"
done
eqm_test_log "ok: every program's URL asks for sslmode=verify-full, sslrootcert=$EQM_PG_CA, host localhost"

# The certificate itself: the throwaway CA signed it, for DNS:localhost
# only (no IP address), so a client connecting as 127.0.0.1 must refuse.
cert=$EQM_TEST_DIR/pg/tls/server.crt
openssl verify -CAfile "$EQM_PG_CA" "$cert" >/dev/null || fail "the server certificate does not verify against the CA"
san=$(openssl x509 -in "$cert" -noout -ext subjectAltName | tail -n +2 | tr -d ' ')
assert_eq "DNS:localhost" "$san" "the server certificate's only name"

# ssl_rows ROLE: ssl flag and TLS version of every backend of ROLE, one
# per line. pg_stat_ssl shows other roles' sessions only to a superuser
# (or pg_read_all_stats): asked as postgres over the private socket.
ssl_rows() {
    psql -XAtq -v ON_ERROR_STOP=1 -h "$EQM_TEST_DIR/pg/sock" -p "$(cat "$EQM_TEST_DIR/port")" \
        -U postgres -d eqm -c "SELECT a.pid || ' ' || CASE WHEN s.ssl THEN 't' ELSE 'f' END || ' ' || coalesce(s.version, '-')
                FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid)
               WHERE a.usename = '$1' ORDER BY a.pid"
}

# check_ssl ROLE PID NAME: every connection ROLE has while PID runs
# (sampled every 0.2 s until it exits, 120 s at most) is TLS.
check_ssl() {
    local role=$1 pid=$2 name=$3 rows=$EQM_TEST_DIR/ssl-$1 deadline=$((SECONDS + 120))
    : >"$rows"
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do
        ssl_rows "$role" >>"$rows"
        sleep 0.2
    done
    [[ -s $rows ]] || fail "$name never connected as $role"
    eqm_test_log "$name's connections (pid ssl version): $(sort -u "$rows" | tr '\n' ',')"
    if grep -qv ' t TLSv1\.[23]$' "$rows"; then
        fail "$name has a connection without TLS: $(sort -u "$rows" | tr '\n' ',')"
    fi
    eqm_test_log "ok: each of $name's $(cut -d' ' -f1 "$rows" | sort -u | wc -l) connection(s) ($role) is TLS (pg_stat_ssl)"
}

# Our own session, too: the owner's psql through EQM_PG_URL.
assert_eq "t" "$(psql_val "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")" \
    "the test's own psql session is TLS"

# An arrest-rate disparity of 3.0 (black 30 of 50 arrested, 0.6; white 40
# of 200, 0.2; 0.6 / 0.2 = 3.0 >= 2.0): the rule arrest-black fires.
rules=$EQM_TEST_DIR/rules.json
eqm_arrest_rules "$rules"
eqm_arrest_phase p1 0 white:200:40 black:50:30
timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 4 -X session.timeout.ms=6000 \
    --alerts-rules="$rules" --metrics-interval-ms=600000 --batch-max-ms=5000 \
    --log-level warn 2>"$EQM_TEST_DIR/stop-search.err" &
pid=$!
eqm_test_bg $pid
check_ssl eqm_svc_stop_search $pid eqm-stop-search
wait $pid || fail "eqm-stop-search failed: $(cat "$EQM_TEST_DIR/stop-search.err")"
assert_eq 250 "$(eqm_searches)" "eqm-stop-search counted every search over TLS"
assert_eq "firing 3.000000" "$(psql_val "SELECT status || ' ' || round((payload->>'value')::numeric, 6)
                                    FROM equality.alert_outbox
                                   WHERE payload->>'rule' = 'arrest-black'")" \
    "the arrest-black alert is in the outbox with ratio 3.0"
n_outbox=$(psql_val "SELECT count(*) FROM equality.alert_outbox WHERE publish")

timeout 120 "$BIN/eqm-alert-relay" --exit-when-idle 4 --log-level warn \
    2>"$EQM_TEST_DIR/relay.err" &
pid=$!
eqm_test_bg $pid
check_ssl eqm_svc_relay $pid eqm-alert-relay
wait $pid || fail "eqm-alert-relay failed: $(cat "$EQM_TEST_DIR/relay.err")"
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.alert_outbox WHERE publish AND sent_at IS NULL")" \
    "the relay stamped every publishable outbox row"
published=$(timeout 60 kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.alerts -e -q -f '%s\n' | grep -c 'arrest-black' || true)
assert_eq "$n_outbox" "$published" "the relay published the alert to equality.alerts"

# refused NAME URL WANT: eqm-stop-search with URL as its PostgreSQL
# connection exits 1 at start with one readable line naming the problem
# (WANT, a piece of libpq's words), not a crash.
refused() {
    local name=$1 url=$2 want=$3 rc=0 err=$EQM_TEST_DIR/refused-$1.err
    EQM_STOP_SEARCH_PG_URL=$url timeout 60 "$BIN/eqm-stop-search" --exit-when-idle 2 \
        --log-level info >/dev/null 2>"$err" || rc=$?
    assert_eq 1 "$rc" "$name: eqm-stop-search exits 1"
    grep -q "cannot connect to PostgreSQL" "$err" || fail "$name: no 'cannot connect to PostgreSQL' in: $(cat "$err")"
    grep -qF -- "$want" "$err" || fail "$name: the error does not say '$want': $(cat "$err")"
    if grep -qiE 'segmentation|abort|core dumped|sanitizer' "$err"; then
        fail "$name: crashed: $(cat "$err")"
    fi
    # Readable: printable text only, the libpq message on one line.
    if LC_ALL=C grep -q '[^[:print:][:space:]]' "$err"; then
        fail "$name: unreadable bytes in the error"
    fi
    eqm_test_log "ok: $name refused: $(grep -F -- "$want" "$err" | head -n 1 | cut -c1-220)"
}

# Another throwaway CA, which did not sign the server's certificate.
other=$EQM_TEST_DIR/other-ca
mkdir -p "$other"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=not the server's CA" \
    -keyout "$other/ca.key" -out "$other/ca.crt" 2>/dev/null || fail "cannot make the other CA"
good=$EQM_STOP_SEARCH_PG_URL
refused wrong-ca "${good/sslrootcert=$EQM_PG_CA/sslrootcert=$other/ca.crt}" "certificate verify failed"
refused wrong-host "${good/@localhost:/@127.0.0.1:}" 'does not match host name'
refused no-root-cert "${good/sslrootcert=$EQM_PG_CA/sslrootcert=$other/missing.crt}" \
    "missing.crt\\\" does not exist"
refused no-tls "${good/sslmode=verify-full/sslmode=disable}" "no encryption"

# eqm-alert-relay against the wrong CA: the same kind of refusal.
rc=0
EQM_ALERT_RELAY_PG_URL=${EQM_ALERT_RELAY_PG_URL/sslrootcert=$EQM_PG_CA/sslrootcert=$other/ca.crt} \
    timeout 60 "$BIN/eqm-alert-relay" --exit-when-idle 2 >/dev/null 2>"$EQM_TEST_DIR/relay-wrong-ca.err" || rc=$?
assert_eq 1 "$rc" "wrong-ca: eqm-alert-relay exits 1"
grep -q 'certificate verify failed' "$EQM_TEST_DIR/relay-wrong-ca.err" ||
    fail "wrong-ca: eqm-alert-relay does not say so: $(cat "$EQM_TEST_DIR/relay-wrong-ca.err")"
if grep -qiE 'segmentation|abort|core dumped|sanitizer' "$EQM_TEST_DIR/relay-wrong-ca.err"; then
    fail "wrong-ca: eqm-alert-relay crashed"
fi
eqm_test_log "ok: eqm-alert-relay refused too: $(grep 'certificate verify failed' "$EQM_TEST_DIR/relay-wrong-ca.err" | head -n 1 | cut -c1-200)"

# The same name through hostaddr: checked against the name, not the address.
assert_eq "t" "$(psql -XAtq "${EQM_PG_URL}" -c 'SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')" \
    "verify-full with host=localhost hostaddr=127.0.0.1 connects"
eqm_test_log "PASS"
