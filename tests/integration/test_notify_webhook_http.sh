#!/usr/bin/env bash
# eqm-notify's webhook channel (services/notify/webhook.c) against a real
# HTTP server on loopback (http_receiver.py), through eqm-webhook-probe:
# no PostgreSQL, no broker. Each reply must be classified as the README
# says (2xx OK; 429 and 503 RETRY with their Retry-After; 5xx RETRY; other
# 4xx PERMANENT; a server that hangs past the timeout and a refused
# connection RETRY; TLS verified: a certificate the CA file vouches for is
# accepted, one nothing vouches for is not), the receiver must get the body of each shape with
# Content-Type, User-Agent, Idempotency-Key and the secret header, and no
# detail may quote the secret header, the URL's path, query or user
# information, or be anything but UTF-8 of at most 511 bytes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

PROBE=$BIN/eqm-webhook-probe
[[ -x $PROBE ]] || fail "$PROBE not built (EQM_BUILD_DIR=$EQM_BUILD_DIR)"
# Straight to 127.0.0.1, whatever proxy the environment names.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

eqm_test_scratch
work=$EQM_TEST_DIR
_eqm_test_logs=("$work/receiver.log" "$work/tls-receiver.log")

python3 "$here/http_receiver.py" "$work/requests" --hang-seconds 6 >"$work/port" \
    2>"$work/receiver.log" &
receiver=$!
eqm_test_bg "$receiver"
eqm_wait_until 10 test -s "$work/port" || fail "the receiver did not start"
port=$(head -n 1 "$work/port")
base=http://127.0.0.1:$port
eqm_test_log "receiver on $base"

# The message of README "The message", with a Welsh district for UTF-8.
cat >"$work/alert.json" <<'JSON'
{"schema_version": 1, "alert_id": "0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10",
 "fingerprint": "4f0c2a9d8e7b6a5f4e3d2c1b0a998877", "status": "firing", "transition": "firing",
 "rule": "stop-search-rate-ethnicity", "source": "stop-search", "measure": "stop_search.searches",
 "area": "W06000001", "area_name": "Ynys Môn", "role": null, "stage": null,
 "dimension": "ethnicity", "group": "black", "reference_group": "white", "window_days": 365,
 "window_end": "2026-03-14", "value": 3.4, "value_field": "ratio", "ci_low": 2.1, "ci_high": 5.5,
 "p_value": null, "comparison": ">=", "threshold": 2.0, "clear_threshold": 1.8, "min_count": 20,
 "require_significant": true, "significant": true,
 "counts": {"n": 57, "base": 18496, "ref_n": 124, "ref_base": 763744},
 "audience": "stop-search-scrutiny-group", "severity": "warning",
 "first_breached_at": "2026-03-14T10:00:00Z", "evaluated_at": "2026-03-14T10:00:05Z",
 "summary": "Black people in Ynys Môn were stopped and searched at 3.4 times the rate of White people in the 365 days to 14 March 2026 (95% CI 2.1 to 5.5; 57 searches)."}
JSON

SECRET_VALUE=tok-5f1e2d3c4b5a69788796a5b4
export EQM_WEBHOOK_SECRET_HEADER="X-Eqm-Token: $SECRET_VALUE"

# probe NAME ARGS...: one send, its key=value lines in $work/NAME.out.
probe() {
    local name=$1 rc=0
    shift
    timeout 30 "$PROBE" "$@" "$work/alert.json" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
    assert_eq 0 "$rc" "$name: the probe exits 0"
}

field() {
    sed -n "s/^$2=//p" "$work/$1.out"
}

# expect NAME OUTCOME STATUS RETRY_AFTER_MS
expect() {
    assert_eq "$2" "$(field "$1" outcome)" "$1: outcome"
    assert_eq "$3" "$(field "$1" status)" "$1: status"
    [[ -z ${4:-} ]] || assert_eq "$4" "$(field "$1" retry_after_ms)" "$1: retry_after_ms"
}

# The detail holds nothing secret, is UTF-8, fits its 512-byte buffer.
check_detail() {
    python3 - "$work/$1.out" "$SECRET_VALUE" "${@:2}" <<'PY' || fail "$1: detail: see above"
import sys
raw = open(sys.argv[1], "rb").read()
detail = [l for l in raw.split(b"\n") if l.startswith(b"detail=")][0][len(b"detail="):]
text = detail.decode("utf-8")  # raises on anything but UTF-8
if len(detail) > 511:
    sys.exit("detail is %d bytes" % len(detail))
for secret in sys.argv[2:]:
    if secret in text:
        sys.exit("detail quotes %r: %s" % (secret, text))
PY
}

# request PATH: the one record the receiver kept for PATH, as JSON.
request() {
    python3 - "$work/requests" "$1" <<'PY'
import glob, json, sys
recs = [json.load(open(f, encoding="utf-8")) for f in sorted(glob.glob(sys.argv[1] + "/*.json"))]
recs = [r for r in recs if r["path"] == sys.argv[2]]
if len(recs) != 1:
    sys.exit("%d requests for %s" % (len(recs), sys.argv[2]))
print(json.dumps(recs[0]))
PY
}

# 200: delivered, and the receiver got the message as it is with every header.
probe ok --key "0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10:ops-hook" "$base/ok/generic"
expect ok ok 200 -1
assert_eq "HTTP 200 from $base: ok" "$(field ok detail)" "ok: detail names the host only"
request /ok/generic >"$work/ok.req" || fail "the receiver did not record /ok/generic"
python3 - "$work/ok.req" "$work/alert.json" "$SECRET_VALUE" <<'PY' || fail "ok: the request as received"
import json, sys
req = json.load(open(sys.argv[1], encoding="utf-8"))
alert = json.load(open(sys.argv[2], encoding="utf-8"))
h = {k.lower(): v for k, v in req["headers"]}
assert req["method"] == "POST", req["method"]
assert h.get("content-type") == "application/json", h
assert h.get("user-agent") == "eqm-notify", h
assert h.get("idempotency-key") == "0b7c6a1e-5f7d-4c1e-9a53-2f1d7e9c4b10:ops-hook", h
assert h.get("x-eqm-token") == sys.argv[3], h
assert "expect" not in h, h
assert json.loads(req["body"]) == alert, req["body"]
assert "Ynys Môn" in req["body"], "UTF-8 as it came"
PY
eqm_test_log "ok: /ok/generic received with its body and headers"

# The Teams and Slack shapes as received.
probe teams --shape teams --key k-teams "$base/ok/teams"
expect teams ok 200 -1
probe slack --shape slack --key k-slack "$base/ok/slack"
expect slack ok 200 -1
request /ok/teams >"$work/teams.req" || fail "no /ok/teams request"
request /ok/slack >"$work/slack.req" || fail "no /ok/slack request"
python3 - "$work/teams.req" "$work/slack.req" <<'PY' || fail "the Teams and Slack bodies"
import json, sys
teams = json.loads(json.load(open(sys.argv[1], encoding="utf-8"))["body"])
att = teams["attachments"][0]
assert teams["type"] == "message"
assert att["contentType"] == "application/vnd.microsoft.card.adaptive"
assert att["content"]["type"] == "AdaptiveCard"
assert "Ynys Môn" in att["content"]["body"][1]["text"]
slack = json.loads(json.load(open(sys.argv[2], encoding="utf-8"))["body"])
assert slack["blocks"][0]["type"] == "header"
assert "Ynys Môn" in slack["text"], slack["text"]
PY
eqm_test_log "ok: the Teams card and the Slack blocks as received"

# 429 Retry-After: 2 -> RETRY in 2000 ms; 503 with an HTTP-date 30 s on.
probe busy "$base/busy/x"
expect busy retry 429 2000
probe unavailable "$base/unavailable/x"
expect unavailable retry 503
ra=$(field unavailable retry_after_ms)
((ra >= 25000 && ra <= 31000)) || fail "unavailable: retry_after_ms $ra, not about 30000"
eqm_test_log "ok: 503 with an HTTP-date: retry after $ra ms"

# 500 -> RETRY without Retry-After; 404 -> PERMANENT.
probe fail "$base/fail/x"
expect fail retry 500 -1
probe missing "$base/missing/x"
expect missing permanent 404 -1
assert_eq "HTTP 404 from $base: no such hook" "$(field missing detail)" "missing: detail"

# A server quoting the request back (path, query, secret header): none of
# it in the detail. User information in the URL is not shown either.
probe echo --key k-echo "http://hookuser:hookpass@127.0.0.1:$port/echo/T0123/B0456/hookpathkey?sig=querykey123"
expect echo permanent 400 -1
request "/echo/T0123/B0456/hookpathkey?sig=querykey123" >"$work/echo.req" ||
    fail "no /echo request"
grep -q "$SECRET_VALUE" "$work/echo.req" || fail "echo: the receiver did not get the secret header"
# aG9va3VzZXI6aG9va3Bhc3M= is hookuser:hookpass in base64 (the Basic credentials).
check_detail echo "$SECRET_VALUE" hookpathkey querykey123 hookuser hookpass T0123 "X-Eqm-Token" \
    aG9va3VzZXI6aG9va3Bhc3M=
eqm_test_log "ok: echo: $(field echo detail | cut -c1-120)..."
# A URL part that is also part of the redaction mark ("ed" of "[redacted]",
# here the fragment, which is never sent): redacted once, no endless loop.
probe echo_mark --key k-echo-mark "$base/echo/mark#ed"
expect echo_mark permanent 400 -1
check_detail echo_mark "$SECRET_VALUE" /echo/mark

# A long UTF-8 body: the detail keeps at most 400 bytes of it, cut between
# characters.
probe long "$base/long/x"
expect long retry 500 -1
check_detail long "$SECRET_VALUE"
python3 - "$work/long.out" <<'PY' || fail "long: the body excerpt"
import sys
d = [l for l in open(sys.argv[1], encoding="utf-8").read().split("\n") if l.startswith("detail=")][0]
excerpt = d.split(": ", 1)[1]
assert set(excerpt) == {"é"}, excerpt[:40]
assert 395 <= len(excerpt.encode()) <= 400, len(excerpt.encode())
PY
eqm_test_log "ok: long body cut to 400 bytes at a character boundary"

# A server that hangs past the 1 s timeout: RETRY, within the timeout.
probe hang --timeout-ms 1000 "$base/hang/x"
expect hang retry 0 -1
el=$(field hang elapsed_ms)
((el >= 900 && el < 4000)) || fail "hang: gave up after $el ms, not about 1000"
grep -qi "timed out" <<<"$(field hang detail)" || fail "hang: detail: $(field hang detail)"
check_detail hang "$SECRET_VALUE" /hang/x
eqm_test_log "ok: hang: RETRY after $el ms"

# Connection refused: a port nothing listens on.
free=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
probe refused --timeout-ms 2000 "http://127.0.0.1:$free/refused/secretpath"
expect refused retry 0 -1
case $(field refused detail) in
"POST to http://127.0.0.1:$free failed: "*) ;;
*) fail "refused: detail: $(field refused detail)" ;;
esac
check_detail refused "$SECRET_VALUE" secretpath
eqm_test_log "ok: refused: $(field refused detail)"

# HTTPS: a self-signed certificate for 127.0.0.1. With it as the CA file
# the POST is delivered; without, verification fails and it is a RETRY
# (the certificate may be fixed), and nothing reached the handler.
command -v openssl >/dev/null || fail "openssl is not installed"
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
    -addext subjectAltName=IP:127.0.0.1 -keyout "$work/tls.key" -out "$work/tls.crt" \
    2>"$work/openssl.log" || fail "openssl could not make a certificate"
python3 "$here/http_receiver.py" "$work/tls-requests" --tls "$work/tls.crt" "$work/tls.key" \
    >"$work/tls-port" 2>"$work/tls-receiver.log" &
tls_receiver=$!
eqm_test_bg "$tls_receiver"
eqm_wait_until 10 test -s "$work/tls-port" || fail "the TLS receiver did not start"
tls_base=https://127.0.0.1:$(head -n 1 "$work/tls-port")
probe tls_ok --ca-file "$work/tls.crt" --key k-tls "$tls_base/ok/tls"
expect tls_ok ok 200 -1
probe tls_unknown --timeout-ms 5000 "$tls_base/ok/unverified"
expect tls_unknown retry 0 -1
grep -qi "certificate" <<<"$(field tls_unknown detail)" ||
    fail "tls_unknown: detail: $(field tls_unknown detail)"
check_detail tls_unknown "$SECRET_VALUE" /ok/unverified
assert_eq 1 "$(find "$work/tls-requests" -name '*.json' | wc -l)" "requests over TLS that got through"
eqm_test_log "ok: unverified TLS: $(field tls_unknown detail)"

# Only the requests above reached the receiver (refused one did not).
n=$(find "$work/requests" -name '*.json' | wc -l)
assert_eq 11 "$n" "requests the receiver recorded"
