#!/usr/bin/env bash
#
# eqm-web over a stack fed with a stop and search stream of 14 months in
# six districts (web_expected.py): the API's trend and funnel equal the
# figures computed independently from the events and the Census file; the
# CSV holds the JSON's rows; /metrics parses as Prometheus text; the page
# loads in headless Chromium with no console error and draws each chart
# with the series and points of its data (screenshots kept in
# $EQM_BUILD_DIR/test-artifacts/web/); a bad query is a 400; /healthz
# turns unhealthy when PostgreSQL stops.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

here=$(dirname "${BASH_SOURCE[0]}")
CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv
ART=$EQM_BUILD_DIR/test-artifacts/web
py=$(eqm_test_python websocket prometheus_client)
command -v chromium >/dev/null || fail "chromium not installed (./dev.sh setup)"
mkdir -p "$ART"

eqm_test_stack_up
"$BIN/eqm-admin" load-population "$CENSUS" >/dev/null
"$BIN/eqm-admin" define-area force E06000031,E07000008,E07000009,E07000010,E07000011,E07000012 \
    >/dev/null
"$py" "$here/web_expected.py" events "$CENSUS" |
    timeout 60 kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -X enable.idempotence=true
timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 3 --log-level warn ||
    fail "eqm-stop-search failed"
assert_eq 3592 "$(psql_val "SELECT sum(searches) FROM equality.stop_search_daily
                             WHERE area = 'force' AND dimension = 'ethnicity'")" "all counted"

eqm_web_start --web-lag-interval-ms 500

# The API against the independent computation.
assert_eq 200 "$(get '/api/stop-search/trend.json?span=12' "$EQM_TEST_DIR/t12.json")" "trend 12"
"$py" "$here/web_expected.py" check "$CENSUS" trend-force-12 "$EQM_TEST_DIR/t12.json"
assert_eq 200 "$(get '/api/stop-search/trend.json?span=1' "$EQM_TEST_DIR/t1.json")" "trend 1"
"$py" "$here/web_expected.py" check "$CENSUS" trend-force-1 "$EQM_TEST_DIR/t1.json"
assert_eq 200 "$(get '/api/stop-search/trend.json?span=1&area=E07000012' "$EQM_TEST_DIR/td.json")" \
    "trend of a district"
"$py" "$here/web_expected.py" check "$CENSUS" trend-district-1 "$EQM_TEST_DIR/td.json"
assert_eq 200 "$(get '/api/stop-search/funnel.json' "$EQM_TEST_DIR/f.json")" "funnel"
"$py" "$here/web_expected.py" check "$CENSUS" funnel "$EQM_TEST_DIR/f.json"
assert_eq 200 "$(get '/api/stop-search/breakdown.json' "$EQM_TEST_DIR/b.json")" "breakdown"
"$py" "$here/web_expected.py" check "$CENSUS" breakdown "$EQM_TEST_DIR/b.json"

# The CSV: a header and one line per JSON row, the same months.
assert_eq 200 "$(get '/api/stop-search/trend.csv?span=12' "$EQM_TEST_DIR/t12.csv")" "trend CSV"
"$py" - "$EQM_TEST_DIR/t12.csv" "$EQM_TEST_DIR/t12.json" <<'PY'
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
data = json.load(open(sys.argv[2]))
assert [r["month"] for r in rows] == [r["month"] for r in data["rows"]], "CSV months differ"
assert [int(r["group_events"]) for r in rows] == [r["group_events"] for r in data["rows"]]
assert abs(float(rows[-1]["ratio"]) - data["rows"][-1]["ratio"]) < 1e-12
print(f"CSV: {len(rows)} rows, as the JSON")
PY

# Bad queries are refused with a reason.
assert_eq 400 "$(get '/api/stop-search/trend.json?group=purple' "$EQM_TEST_DIR/bad")" "bad group"
grep -q 'group must be one of' "$EQM_TEST_DIR/bad" || fail "no reason for the bad group"
assert_eq 400 "$(get '/stop-search?from=2025-13' "$EQM_TEST_DIR/bad")" "bad month"
assert_eq 404 "$(get '/nowhere' "$EQM_TEST_DIR/bad")" "unknown page"
assert_eq 405 "$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -X POST "$URL/")" "POST"

# /metrics in the Prometheus text format, parsed by prometheus_client.
assert_eq 200 "$(get /metrics "$EQM_TEST_DIR/metrics")" "metrics"
"$py" - "$EQM_TEST_DIR/metrics" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
for name in ("eqm_postgres_up", "eqm_consumer_next_offset", "eqm_dead_letters", "eqm_alerts",
             "eqm_notify_deliveries", "eqm_alert_outbox_unsent"):
    assert name in fams, f"/metrics lacks {name}: {sorted(fams)}"
assert fams["eqm_postgres_up"].samples[0].value == 1
offsets = [s for s in fams["eqm_consumer_next_offset"].samples
           if s.labels["group"] == "eqm-stop-search"]
assert sum(s.value for s in offsets) == 3592, offsets
print(f"/metrics: {len(fams)} families parsed; offsets sum to 3592")
PY

# The lag (eqm-web asks the brokers every web.lag.interval.ms, 500 here):
# 0 once all is counted, then 5 after five events the consumer has not read.
lag_sum() {
    get /metrics "$EQM_TEST_DIR/metrics" >/dev/null
    "$py" -c '
import sys
from prometheus_client.parser import text_string_to_metric_families as p
fams = {f.name: f for f in p(open(sys.argv[1]).read())}
assert fams["eqm_kafka_up"].samples[0].value == 1
print(int(sum(s.value for s in fams["eqm_consumer_lag"].samples
              if s.labels["group"] == "eqm-stop-search")))' "$EQM_TEST_DIR/metrics" 2>/dev/null
}
lag_is() { [[ $(lag_sum) == "$1" ]]; }
eqm_wait_until 20 lag_is 0 || fail "lag in /metrics: $(lag_sum), expected 0"
eqm_test_log "ok: lag 0 once all is counted"
for i in 1 2 3 4 5; do
    printf '{"event_id":"lag-%d","event_type":"stop_search","occurred_at":"2025-06-20T12:00:00Z","area":"E07000008","self_defined_ethnicity":"White"}\n' "$i"
done | timeout 60 kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -X enable.idempotence=true
eqm_wait_until 20 lag_is 5 || fail "lag in /metrics: $(lag_sum), expected 5"
eqm_test_log "ok: lag 5 in /metrics after 5 unread events"
get /healthz "$EQM_TEST_DIR/h" >/dev/null
grep -q '"group":"eqm-stop-search","topic":"stop-search.events","partitions":[0-9]*,"next_offsets":3592,[^}]*"lag":5' \
    "$EQM_TEST_DIR/h" || fail "healthz lag: $(cat "$EQM_TEST_DIR/h")"

# The brokers down: /healthz still answers at once (the figures are in
# PostgreSQL) and, once the last answer is three intervals old, says Kafka
# is unreachable and gives no lag.
eqm_ctl broker-down all >/dev/null
kafka_gone() {
    [[ $(get /healthz "$EQM_TEST_DIR/h") == 200 ]] && grep -q '"kafka":{"reachable":false}' "$EQM_TEST_DIR/h"
}
eqm_wait_until 30 kafka_gone || fail "healthz with the brokers down: $(cat "$EQM_TEST_DIR/h")"
grep -q '"lag":null' "$EQM_TEST_DIR/h" || fail "healthz gives a lag without brokers"
t0=$(date +%s%N)
get /healthz /dev/null >/dev/null
((($(date +%s%N) - t0) / 1000000 < 2000)) || fail "healthz is slow with the brokers down"
eqm_ctl broker-up all >/dev/null
eqm_test_log "ok: healthz with the brokers down"

# PostgreSQL stops: /healthz says so (503), and says it again once it is back.
assert_eq 200 "$(get /healthz "$EQM_TEST_DIR/h")" "healthy"
grep -q '"group":"eqm-stop-search"' "$EQM_TEST_DIR/h" || fail "healthz names no consumer: $(cat "$EQM_TEST_DIR/h")"
eqm_pg_stop "$EQM_TEST_DIR" >/dev/null
assert_eq 503 "$(get /healthz "$EQM_TEST_DIR/h")" "unhealthy without PostgreSQL"
grep -q '"status":"unhealthy"' "$EQM_TEST_DIR/h" || fail "healthz body: $(cat "$EQM_TEST_DIR/h")"
assert_eq 503 "$(get /stop-search "$EQM_TEST_DIR/h")" "page without PostgreSQL"
eqm_pg_start "$EQM_TEST_DIR" >/dev/null || fail "PostgreSQL did not restart"
assert_eq 200 "$(get /healthz "$EQM_TEST_DIR/h")" "healthy again"
eqm_test_log "ok (screenshots in $ART)"
