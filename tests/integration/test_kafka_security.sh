#!/usr/bin/env bash
# Kafka security settings (README "Kafka security"): security.protocol,
# sasl.* and ssl.* reach librdkafka from every program, unchanged.
#
#   1. At start-up, before PostgreSQL is tried: a value librdkafka refuses
#      (security.protocol=bogus) is exit 2 with librdkafka's own sentence;
#      SASL_SSL with a CA file that is not there is exit 2 naming the file
#      (not a hang); SCRAM without a password is librdkafka's refusal; a
#      secret as -X is refused without repeating it -- for every consumer,
#      eqm-alert-relay, eqm-notify, eqm-web, and eqm-replay's own -X.
#   2. --print-config shows the security settings, the passwords masked
#      (the services, eqm-devbroker).
#   3. End to end, what the development broker allows: librdkafka's mock
#      cluster (2.0.2) has a plaintext listener only and no SaslHandshake
#      or SaslAuthenticate handler, so SASL against it is librdkafka's
#      clear "SASL Handshake not supported by broker" and SSL against it a
#      failed handshake, both in the service's log while it keeps trying.
#   4. End to end over real TLS, against tls_probe.py where a broker's SSL
#      listener would be (certificates made here with openssl): the right
#      CA and name is a TLS session carrying the client's first Kafka
#      request (ApiVersions, key 18); a wrong CA or a certificate for
#      another host name is refused by librdkafka (certificate verify
#      failed); mutual TLS with the client's certificate and its encrypted
#      key (ssl.key.password from the config file) is accepted, and refused
#      without the certificate.
# What needs a real broker (SCRAM's exchange, ACLs) is not run here: see
# README "Kafka security" and docker/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
py=$(eqm_test_python ssl)
command -v openssl >/dev/null || fail "openssl not installed (./dev.sh setup installs it)"
work=$EQM_TEST_DIR/kafka-security
mkdir -p "$work"

# ---- 1. Start-up checks ---------------------------------------------------

subs=$work/subscriptions
printf 'stop-search-scrutiny-group  alice  email  alice@force.example\n' >"$subs"
# Each program with what it needs to get as far as its Kafka settings.
run() {
    local prog=$1
    shift
    case $prog in
    eqm-notify)
        timeout 20 "$BIN/$prog" --notify-subscriptions "$subs" --smtp-url smtp://127.0.0.1:1 \
            --smtp-from eqm@force.example "$@"
        ;;
    *) timeout 20 "$BIN/$prog" "$@" ;;
    esac
}
# nodb CMD...: CMD with every program's pg.url an address nothing listens
# on (the checks come before PostgreSQL is tried).
nodb() (
    for v in $(compgen -e); do
        if [[ $v == EQM_*PG_URL ]]; then
            export "$v=postgresql://nobody@127.0.0.1:1/none"
        fi
    done
    "$@"
)
secure=$work/secure.conf
cat >"$secure" <<'CONF'
kafka.security.protocol = SASL_SSL
kafka.sasl.mechanism = SCRAM-SHA-512
kafka.sasl.username = eqm-program
kafka.sasl.password = kafka-pass-7731
kafka.ssl.ca.location = /nonexistent/eqm-ca.pem
CONF
nopass=$work/nopass.conf
grep -v sasl.password "$secure" | sed 's|/nonexistent/eqm-ca.pem|/etc/hostname|' >"$nopass"

for prog in eqm-stop-search eqm-custody eqm-recruitment eqm-alert-relay eqm-notify eqm-web; do
    rc=0
    out=$(nodb run "$prog" -X security.protocol=bogus 2>&1) ||
        rc=$?
    assert_eq 2 "$rc" "$prog with security.protocol=bogus: exit"
    grep -qF "$prog: Kafka property security.protocol=bogus: Invalid value \"bogus\" for configuration property \"security.protocol\"" <<<"$out" ||
        fail "$prog: not librdkafka's refusal: $out"
    ! grep -q PostgreSQL <<<"$out" || fail "$prog tried PostgreSQL before its Kafka settings: $out"

    rc=0
    out=$(nodb run "$prog" -c "$secure" 2>&1) || rc=$?
    assert_eq 2 "$rc" "$prog with SASL_SSL and no CA file: exit (124 would be a hang)"
    assert_eq "$prog: Kafka property ssl.ca.location: cannot read /nonexistent/eqm-ca.pem: No such file or directory" \
        "$out" "$prog with SASL_SSL and no CA file: message"

    rc=0
    out=$(nodb run "$prog" -c "$nopass" 2>&1) || rc=$?
    assert_eq 2 "$rc" "$prog with SCRAM and no password: exit"
    grep -qF "sasl.username and sasl.password must be set" <<<"$out" ||
        fail "$prog: SCRAM without a password not refused by librdkafka: $out"

    rc=0
    out=$(run "$prog" -X sasl.password=kafka-pass-7731 --print-config 2>&1) || rc=$?
    assert_eq 2 "$rc" "$prog -X sasl.password: exit"
    grep -qF "set it in the config file as kafka.sasl.password" <<<"$out" ||
        fail "$prog: -X sasl.password not refused: $out"
    ! grep -q kafka-pass-7731 <<<"$out" || fail "$prog repeated the password: $out"

    # ---- 2. --print-config: shown, the password masked
    out=$(run "$prog" -c "$secure" -X sasl.mechanism=SCRAM-SHA-256 --print-config)
    for line in "kafka.security.protocol = SASL_SSL" "kafka.sasl.mechanism = SCRAM-SHA-256" \
        "kafka.sasl.username = eqm-program" "kafka.sasl.password = [redacted]" \
        "kafka.ssl.ca.location = /nonexistent/eqm-ca.pem"; do
        grep -qxF "$line" <<<"$out" || fail "$prog --print-config lacks \"$line\": $out"
    done
    ! grep -q kafka-pass-7731 <<<"$out" || fail "$prog --print-config shows the password"
    eqm_test_log "ok: $prog: refused bogus/no CA/no password/-X secret; --print-config masked"
done

# eqm-replay: -X passes through, a secret refused there, allowed in -F.
rc=0
out=$(timeout 20 "$BIN/eqm-replay" police-uk --area A -b 127.0.0.1:1 -X security.protocol=bogus "$CSV" 2>&1) ||
    rc=$?
((rc != 0 && rc != 124)) || fail "eqm-replay with security.protocol=bogus: exit $rc"
grep -qF 'Invalid value "bogus" for configuration property "security.protocol"' <<<"$out" ||
    fail "eqm-replay: not librdkafka's refusal: $out"
rc=0
out=$(timeout 20 "$BIN/eqm-replay" police-uk --area A -X sasl.password=kafka-pass-7731 "$CSV" 2>&1) ||
    rc=$?
((rc != 0)) || fail "eqm-replay accepted -X sasl.password"
! grep -q kafka-pass-7731 <<<"$out" || fail "eqm-replay repeated the password: $out"
printf 'security.protocol=SASL_SSL\nsasl.mechanism=SCRAM-SHA-256\nsasl.username=u\nsasl.password=kafka-pass-7731\nssl.ca.location=/nonexistent/eqm-ca.pem\n' >"$work/replay.properties"
rc=0
out=$(timeout 20 "$BIN/eqm-replay" police-uk --area A -b 127.0.0.1:1 -F "$work/replay.properties" "$CSV" 2>&1) ||
    rc=$?
((rc != 0 && rc != 124)) || fail "eqm-replay -F with no CA file: exit $rc (124: a hang)"
grep -qF "ssl.ca.location" <<<"$out" || fail "eqm-replay -F with no CA file: $out"
! grep -q kafka-pass-7731 <<<"$out" || fail "eqm-replay repeated the password: $out"
eqm_test_log "ok: eqm-replay: -X passed through, secret -X refused, -F read"

# eqm-devbroker: its own -X, masked by --print-config.
out=$("$BIN/eqm-devbroker" -X debug=mock -X ssl.key.password=kafka-pass-7731 --print-config)
grep -qxF "X debug=mock" <<<"$out" || fail "eqm-devbroker --print-config: $out"
grep -qxF "X ssl.key.password=[redacted]" <<<"$out" || fail "eqm-devbroker --print-config: $out"
! grep -q kafka-pass-7731 <<<"$out" || fail "eqm-devbroker --print-config shows the password"
eqm_test_log "ok: eqm-devbroker --print-config masked"

# ---- 3. Against the development broker ------------------------------------

pid=
# consume NAME CONF [ARGS...]: eqm-stop-search with CONF's Kafka settings,
# log $work/NAME.log, until stopped.
consume() {
    "$BIN/eqm-stop-search" -c "$2" "${@:3}" >"$work/$1.log" 2>&1 &
    pid=$!
    eqm_test_bg "$pid"
}
stop() {
    kill -TERM "$pid"
    eqm_wait_until 20 _eqm_pid_gone "$pid" || fail "eqm-stop-search ignored SIGTERM"
    pid=
}
printf 'kafka.security.protocol = SASL_PLAINTEXT\nkafka.sasl.mechanism = SCRAM-SHA-256\nkafka.sasl.username = eqm-stop-search\nkafka.sasl.password = kafka-pass-7731\n' >"$work/sasl.conf"
consume sasl "$work/sasl.conf"
eqm_wait_until 30 grep -q 'SASL Handshake not supported by broker' "$work/sasl.log" ||
    fail "SASL against the mock: no clear error in the log"
kill -0 "$pid" || fail "eqm-stop-search stopped on a broker that refuses SASL"
! grep -q kafka-pass-7731 "$work/sasl.log" || fail "the password is in the log"
stop
eqm_test_log "ok: SASL_PLAINTEXT against the mock: librdkafka's clear error, still trying, stops on TERM"

printf 'kafka.security.protocol = SSL\n' >"$work/ssl-mock.conf"
consume ssl-mock "$work/ssl-mock.conf"
eqm_wait_until 30 grep -qF 'SSL handshake failed: Disconnected: connecting to a PLAINTEXT broker listener?' "$work/ssl-mock.log" ||
    fail "SSL against the mock's plaintext listener: no clear error in the log"
stop
eqm_test_log "ok: SSL against the mock's plaintext listener: a clear error"

# ---- 4. Over real TLS, against tls_probe.py -------------------------------

certs=$work/certs
mkdir -p "$certs"
(
    cd "$certs"
    q() { openssl "$@" >/dev/null 2>&1 || fail "openssl $1 failed"; }
    # cert NAME CA SUBJECT_CN SAN: a key and a certificate signed by CA.
    cert() {
        q req -new -newkey rsa:2048 -nodes -keyout "$1.key" -subj "/CN=$3" -out "$1.csr"
        printf 'subjectAltName=%s\n' "$4" >"$1.ext"
        q x509 -req -in "$1.csr" -CA "$2.crt" -CAkey "$2.key" -CAcreateserial -days 2 \
            -extfile "$1.ext" -out "$1.crt"
    }
    for ca in ca other-ca; do
        q req -x509 -newkey rsa:2048 -nodes -keyout "$ca.key" -subj "/CN=eqm test $ca" \
            -days 2 -out "$ca.crt"
    done
    cert server ca 127.0.0.1 IP:127.0.0.1
    cert wrong-name ca broker.other.example DNS:broker.other.example
    cert client ca eqm-stop-search DNS:eqm-stop-search
    # The client's key encrypted; its pass phrase is a secret of the file.
    q pkcs8 -topk8 -in client.key -v2 aes-256-cbc -passout pass:key-pass-4417 -out client-enc.key
) || fail "the test certificates were not made"
probe_port=
probe_results=
# probe NAME CERT [ARGS...]: tls_probe.py with CERT's certificate.
probe() {
    probe_results=$work/probe-$1.txt
    : >"$probe_results"
    coproc PROBE { "$py" "$here/tls_probe.py" "$probe_results" "$certs/$2.crt" "$certs/$2.key" "${@:3}" --seconds 60; }
    eqm_test_bg "$PROBE_PID"
    read -r -t 10 probe_port <&"${PROBE[0]}" || fail "tls_probe.py did not start"
}
# tls NAME CA [LINES...]: a config file for SSL to the probe, trusting CA.
tls() {
    {
        printf 'kafka.security.protocol = SSL\n'
        printf 'kafka.ssl.ca.location = %s\n' "$certs/$2.crt"
        printf '%s\n' "${@:3}"
    } >"$work/$1.conf"
    # -b: the command line comes before EQM_KAFKA_BROKERS (the mock's).
    consume "$1" "$work/$1.conf" -b "127.0.0.1:$probe_port"
}
probe_stop() {
    local p=$PROBE_PID
    kill "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
}
probe_ok() { grep -q "^ok " "$probe_results"; }

probe right server
tls right ca
eqm_wait_until 30 probe_ok || fail "TLS with the right CA: no session ($(cat "$probe_results"))"
grep -qE '^ok cn=- api_key=18 client_id=' "$probe_results" ||
    fail "TLS session without a Kafka ApiVersions request: $(cat "$probe_results")"
stop
probe_stop
eqm_test_log "ok: SSL with the right CA and name: $(head -n 1 "$probe_results")"

probe wrong-ca server
tls wrong-ca other-ca
eqm_wait_until 30 grep -q 'certificate verify failed' "$work/wrong-ca.log" ||
    fail "a server signed by another CA was not refused"
! probe_ok || fail "a TLS session was made with the wrong CA"
# The probe saw the client's alert: it does not know the CA.
grep -qx 'fail TLSV1_ALERT_UNKNOWN_CA' "$probe_results" || fail "wrong CA: $(cat "$probe_results")"
stop
probe_stop
eqm_test_log "ok: SSL with another CA: certificate verify failed"

probe wrong-name wrong-name
tls wrong-name ca
eqm_wait_until 30 grep -q 'certificate verify failed' "$work/wrong-name.log" ||
    fail "a certificate for another host name was not refused"
! probe_ok || fail "a TLS session was made with a certificate for another name"
# A CA the client trusts, so the alert is another: a bad certificate (the name).
grep -qx 'fail SSLV3_ALERT_BAD_CERTIFICATE' "$probe_results" ||
    fail "wrong name: $(cat "$probe_results")"
stop
probe_stop
eqm_test_log "ok: SSL to 127.0.0.1 with a certificate for broker.other.example: refused"

probe mtls server --client-ca "$certs/ca.crt"
tls mtls ca "kafka.ssl.certificate.location = $certs/client.crt" \
    "kafka.ssl.key.location = $certs/client-enc.key" "kafka.ssl.key.password = key-pass-4417"
eqm_wait_until 30 probe_ok || fail "mutual TLS: no session ($(cat "$probe_results"))"
grep -qE '^ok cn=eqm-stop-search api_key=18 ' "$probe_results" ||
    fail "mutual TLS: not the client's certificate: $(cat "$probe_results")"
! grep -q key-pass-4417 "$work/mtls.log" || fail "the key's pass phrase is in the log"
stop
out=$("$BIN/eqm-stop-search" -c "$work/mtls.conf" --print-config)
grep -qxF "kafka.ssl.key.password = [redacted]" <<<"$out" || fail "ssl.key.password not masked"
grep -qxF "kafka.ssl.key.location = $certs/client-enc.key" <<<"$out" ||
    fail "ssl.key.location (a path, not a secret) not shown"
eqm_test_log "ok: mutual TLS: the client's certificate (CN eqm-stop-search), its key decrypted"

tls mtls-nocert ca
eqm_wait_until 30 grep -qx 'fail PEER_DID_NOT_RETURN_A_CERTIFICATE' "$probe_results" ||
    fail "mutual TLS without a client certificate was not refused: $(cat "$probe_results")"
stop
probe_stop
eqm_test_log "ok: mutual TLS without the client's certificate: refused by the server"

eqm_test_log "PASS"
