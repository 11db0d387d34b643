#!/usr/bin/env bash
#
# eqm-web over a stack fed with a stop and search stream of 14 months in
# six districts (web_expected.py): the API's trend and funnel equal the
# figures computed independently from the events and the Census file, and
# so do its financial years (period_figures); the
# CSV holds the JSON's rows; self-defined against officer-defined ethnicity
# (the force, and a district over chosen months) is the table counted from
# the events, drawn and in the pack; /metrics parses as Prometheus text;
# the page loads in headless Chromium with no console error and draws each chart
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

eqm_web_up --web-lag-interval-ms 500
get() { eqm_web_get "$@"; }

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
assert_eq 200 "$(get '/api/stop-search/agreement.json' "$EQM_TEST_DIR/a.json")" "agreement"
"$py" "$here/web_expected.py" check "$CENSUS" agreement-force "$EQM_TEST_DIR/a.json"
assert_eq 200 "$(get '/api/stop-search/agreement.json?area=E07000012&from=2025-01&to=2025-03' \
    "$EQM_TEST_DIR/ad.json")" "agreement of a district over chosen months"
"$py" "$here/web_expected.py" check "$CENSUS" agreement-district "$EQM_TEST_DIR/ad.json"
assert_eq 200 "$(get '/api/stop-search/years.json' "$EQM_TEST_DIR/y.json")" "financial years"
"$py" "$here/web_expected.py" check "$CENSUS" years "$EQM_TEST_DIR/y.json"
# Months chosen within one financial year: that year alone.
assert_eq 200 "$(get '/api/stop-search/years.json?from=2025-04&to=2025-06' "$EQM_TEST_DIR/y1.json")" \
    "financial years of chosen months"
assert_eq "year ending March 2026" "$("$py" -c 'import json, sys
print(" ".join(sorted({r["year"] for r in json.load(open(sys.argv[1]))["rows"]})))' \
    "$EQM_TEST_DIR/y1.json")" "the year of April to June 2025"
# Months with no search: the months asked for, every count 0, no share.
assert_eq 200 "$(get '/api/stop-search/agreement.json?from=2020-01&to=2020-03' "$EQM_TEST_DIR/a0.json")" \
    "agreement over months with no search"
"$py" - "$EQM_TEST_DIR/a0.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["first_month"], d["last_month"]) == ("2020-01", "2020-03"), d
assert d["searches"] == d["agreed"] == d["stated"] == 0, d
assert d["agreement_share"] is None and d["stated_agreement_share"] is None, d
assert len(d["rows"]) == 7 and all(r["total"] == 0 and r["agreement_share"] is None
                                   for r in d["rows"]), d["rows"]
print("agreement over empty months: zeros, no share")
PY

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
assert_eq 200 "$(get '/api/stop-search/agreement.csv' "$EQM_TEST_DIR/a.csv")" "agreement CSV"
"$py" - "$EQM_TEST_DIR/a.csv" "$EQM_TEST_DIR/a.json" <<'PY'
import csv, json, sys
with open(sys.argv[1], newline="") as f:
    header = next(csv.reader(f))
with open(sys.argv[1], newline="") as f:
    rows = list(csv.DictReader(f))
data = json.load(open(sys.argv[2]))
assert header == data["columns"], header
assert len(rows) == len(data["rows"]) == 7, rows
for r, j in zip(rows, data["rows"]):
    assert r["self_defined"] == j["self_defined"], (r, j)
    for c in data["columns"][1:-1]:
        assert int(r[c]) == j[c], (c, r, j)
    assert abs(float(r["agreement_share"]) - j["agreement_share"]) < 1e-12, (r, j)
print(f"agreement CSV: {len(rows)} rows, as the JSON")
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
# The consumer's totals: every one of the 3592 messages a new event.
def total(name):
    return [s.value for s in fams[name].samples
            if s.name == name + "_total" and s.labels["group"] == "eqm-stop-search"]
for name, want in (("eqm_consumer_messages", 3592), ("eqm_consumer_events", 3592),
                   ("eqm_consumer_duplicates", 0), ("eqm_consumer_dead_letters", 0)):
    assert fams[name].type == "counter", fams[name].type
    assert total(name) == [want], (name, total(name))
batches = total("eqm_consumer_batches")[0]
assert batches >= 1
# The commit latency histogram: cumulative buckets up to +Inf, which is
# the count, one per batch (the last written once the consumer was idle).
h = fams["eqm_consumer_commit_seconds"]
assert h.type == "histogram", h.type
ours = [s for s in h.samples if s.labels["group"] == "eqm-stop-search"]
buckets = [s for s in ours if s.name.endswith("_bucket")]
les = [float(s.labels["le"]) for s in buckets]
assert les == sorted(les) and les[-1] == float("inf") and len(les) == 12, les
values = [s.value for s in buckets]
assert values == sorted(values), values
count = [s.value for s in ours if s.name.endswith("_count")][0]
total_s = [s.value for s in ours if s.name.endswith("_sum")][0]
assert values[-1] == count == batches, (values[-1], count, batches)
assert total_s > 0, total_s
print(f"/metrics: {len(fams)} families parsed; offsets sum to 3592; "
      f"{int(batches)} batches, {total_s:.3f} s committing")
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

# Alerts as the panel's RAG list: a rule that fires on the Black and
# minority ethnic search ratio (at 1.1), counted with the five events
# above; then one alert acknowledged (amber), one answered (green), one
# unanswered for 40 days (red: its breach moved back, as 40 days would).
cat >"$EQM_TEST_DIR/rules.json" <<'JSON'
{"rules": [{"name": "web-bme-searches", "measure": "stop_search.searches",
            "dimension": "ethnicity", "groups": ["bme"], "window_days": 365,
            "comparison": ">=", "threshold": 1.1, "clear": 1.0, "min_count": 10,
            "require_significant": false, "audience": "stop-search-scrutiny-group"}]}
JSON
timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 3 --log-level warn \
    --alerts-rules "$EQM_TEST_DIR/rules.json" || fail "eqm-stop-search with the rules failed"
mapfile -t fps < <(psql_val "SELECT fingerprint FROM equality.alert_state
                             WHERE status = 'firing' ORDER BY area")
((${#fps[@]} >= 4)) || fail "only ${#fps[@]} alerts fired: $(psql_val 'SELECT area, status, last_value FROM equality.alert_state')"
"$BIN/eqm-admin" alerts ack "${fps[0]}" --by "panel chair" >/dev/null
"$BIN/eqm-admin" alerts respond "${fps[1]}" --text "Reviewed at the May panel" --by "chief inspector" >/dev/null
psql -X -q "$EQM_PG_URL" -c "UPDATE equality.alert_state SET first_breached_at = now() - interval '40 days'
                             WHERE fingerprint = '${fps[2]}'" || fail "could not move the breach back"
assert_eq 200 "$(get /api/alerts/open.json "$EQM_TEST_DIR/alerts.json")" "alerts"
"$py" - "$EQM_TEST_DIR/alerts.json" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))["rows"]
by_state = {}
for r in rows:
    by_state.setdefault((r["rag"], r["response_state"]), []).append(r["area"])
assert ("amber", "acknowledged") in by_state, by_state
assert ("green", "answered") in by_state, by_state
assert ("red", "overdue") in by_state, by_state
assert ("amber", "unanswered") in by_state, by_state
assert len(by_state[("red", "overdue")]) == 1 and len(by_state[("green", "answered")]) == 1
red = [r for r in rows if r["rag"] == "red"][0]
assert red["days_unanswered"] == 40, red
# Red first (firing, longest unanswered), as the panel reads the list.
assert rows[0]["rag"] == "red", rows[0]
print("alerts:", {f"{k[0]}/{k[1]}": len(v) for k, v in by_state.items()})
PY
eqm_test_log "ok: alerts as a RAG list"

# The page in a real browser: no console error, each chart drawn with the
# series and points of its data.
for page in "stop-search?span=12" "stop-search?span=1&area=E07000012" alerts "" \
    "stop-search/pack.html?span=12"; do
    name=${page%%\?*}
    name=${name:-index}
    name=${name//\//-}
    [[ $page == *area=* ]] && name=$name-district
    eqm_web_browse "$py" "$page" "$ART/$name.png" \
        'JSON.stringify(Object.fromEntries(Object.entries(window.eqmCharts || {}).map(([k, c]) => [k, c.data.datasets.map(d => [d.label, d.data.length, d.data.filter(v => v !== null && (typeof v !== "object" || v.y !== null)).length])])))'
done
"$py" - "$EQM_TEST_DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
def charts(name):
    return json.loads(json.load(open(os.path.join(d, f"browser-{name}.json")))["evals"][0])
t12 = json.load(open(os.path.join(d, "t12.json")))
f = json.load(open(os.path.join(d, "f.json")))
c = charts("stop-search")
assert sorted(c) == ["chart-agreement", "chart-children", "chart-funnel", "chart-outcomes",
                     "chart-powers", "chart-quality", "chart-strip", "chart-trend"], c
# Self-defined against officer-defined: a series per officer-defined group,
# a bar per self-defined group (the table's rows but its totals), all drawn
# (every self-defined group has searches here).
a = json.load(open(os.path.join(d, "a.json")))
assert [label for label, _, _ in c["chart-agreement"]] == [
    "officer-defined " + g for g in ("White", "Black", "Asian", "Mixed", "Other", "not stated")], c
bars = [r for r in a["rows"] if r["self_defined"] != "all"]
assert [(n, drawn) for _, n, drawn in c["chart-agreement"]] == \
    [(len(bars), sum(r["total"] > 0 for r in bars))] * 6 == [(6, 6)] * 6, c
b = json.load(open(os.path.join(d, "b.json")))
shown = sum(not r["too_few"] for r in b["rows"])
# Powers: four parts, outcomes: three, each a bar per group with enough searches.
assert [n for _, n, _ in c["chart-powers"]] == [shown] * 4, c["chart-powers"]
assert [n for _, n, _ in c["chart-outcomes"]] == [shown] * 3, c["chart-outcomes"]
assert [n for _, n, _ in c["chart-children"]] == [shown] * 2, c["chart-children"]
assert [n for _, n, _ in c["chart-strip"]] == [shown] * 2, c["chart-strip"]
months = len(t12["rows"])
# Trend: the interval's two edges, the ratio and the threshold, a point a month.
trend = {label: (n, drawn) for label, n, drawn in c["chart-trend"]}
assert len(trend) == 4, trend
assert all(n == months for n, _ in trend.values()), trend
# A rolling 12 months is drawn once whole: 3 of the 14 months.
assert trend["rate ratio, bme to White"][1] == sum(r["months"] == 12 for r in t12["rows"]) == 3
assert trend["alert threshold"][1] == months
# Quality: three series, a point a month.
assert [n for _, n, _ in c["chart-quality"]] == [months] * 3, c["chart-quality"]
# Funnel: the areas' points, four limit lines and the force's line.
fun = {label: n for label, n, _ in c["chart-funnel"]}
assert fun["areas"] == sum(r["ratio"] is not None for r in f["rows"]) == 6, fun
assert len(fun) == 6 and all(fun[k] == len(f["limits"]) for k in fun if k != "areas"), fun
# The district's month alone: months too few to compare are not drawn.
dc = {label: drawn for label, _, drawn in charts("stop-search-district")["chart-trend"]}
td = json.load(open(os.path.join(d, "td.json")))
assert dc["rate ratio, bme to White"] == sum(not r["too_few"] for r in td["rows"]) < len(td["rows"])
print("browser: trend", trend, "funnel", fun)
PY
grep -q 'too few to compare' <(curl -sS --max-time 10 "$URL/stop-search?span=1&area=E07000012") ||
    fail "the district's page does not say too few to compare"
# The pack's page (style and scripts inline) draws the same charts.
"$py" - "$EQM_TEST_DIR" <<'PY'
import json, os, sys
d = sys.argv[1]
def charts(name):
    return json.loads(json.load(open(os.path.join(d, f"browser-{name}.json")))["evals"][0])
assert charts("stop-search-pack.html") == charts("stop-search"), "the pack draws other charts"
print("pack.html: the same charts as the page")
PY

# The pack as PDF (headless Chromium prints it): its text by pdftotext.
assert_eq 200 "$(get '/stop-search/pack.pdf?span=12&from=2024-07&to=2025-06' "$ART/stop-search-pack.pdf")" \
    "pack PDF"
assert_eq "%PDF-" "$(head -c 5 "$ART/stop-search-pack.pdf")" "the pack is a PDF"
pages=$(pdfinfo "$ART/stop-search-pack.pdf" | sed -n 's/^Pages: *//p')
((pages >= 2)) || fail "the pack has $pages pages"
pdftotext -layout "$ART/stop-search-pack.pdf" "$EQM_TEST_DIR/pack.txt"
for want in "Stop and search" "Area: force" "2024-07" "2025-06" "Produced" "Trend of the rate ratio" \
    "Data quality" "Areas: funnel plot" "By power, by outcome" "Method" "Census 2021" "E07000012" \
    "Self-defined against officer-defined ethnicity" "Self-defined (rows) against officer-defined" \
    "By financial year" "Rate ratio by financial year" "year ending March 2025"; do
    grep -qF "$want" "$EQM_TEST_DIR/pack.txt" || fail "the pack's text lacks \"$want\""
done
# The cross-tab in the pack (its period is the API's default, checked
# above): the agreement in words, and the table's rows with their counts.
"$py" - "$EQM_TEST_DIR/pack.txt" "$EQM_TEST_DIR/a.json" <<'PY'
import json, re, sys
text = " ".join(open(sys.argv[1]).read().split())
a = json.load(open(sys.argv[2]))
want = f"Agreement: {a['agreed']} of {a['searches']} searches ({100 * a['agreement_share']:.1f}%)"
assert want in text, want
cols = a["columns"][1:-1]
for r in a["rows"]:
    cells = " ".join(str(r[c]) for c in cols)
    share = f"{r['agreement_share']:.2f}" if r["agreement_share"] is not None else "\u2013"
    assert re.search(rf"\b{r['self_defined']} {cells} {share}\b", text), (r["self_defined"], cells)
print("pack: the agreement table and its share")
PY
# The period chosen is the period printed: 12 months, July 2024 to June 2025.
assert_eq 12 "$(grep -cE '^ *20(24-(0[7-9]|1[0-2])|25-0[1-6]) ' "$EQM_TEST_DIR/pack.txt")" \
    "months in the pack's table"
grep -q '2024-06 ' "$EQM_TEST_DIR/pack.txt" && fail "the pack shows a month before its period"
eqm_test_log "pack: $pages pages ($ART/stop-search-pack.pdf)"

# eqm-report writes the same pack from the command line.
timeout 120 "$BIN/eqm-report" --panel stop-search --period 2024-07..2025-06 \
    --pdf "$ART/report-stop-search.pdf" --html "$EQM_TEST_DIR/report.html" >/dev/null ||
    fail "eqm-report failed"
pdftotext -layout "$ART/report-stop-search.pdf" "$EQM_TEST_DIR/report.txt"
cmp -s "$EQM_TEST_DIR/pack.txt" "$EQM_TEST_DIR/report.txt" ||
    fail "eqm-report's pack reads differently from eqm-web's: $(diff "$EQM_TEST_DIR/pack.txt" "$EQM_TEST_DIR/report.txt" | head -5)"
grep -q '<script type="application/json" id="data-chart-trend">' "$EQM_TEST_DIR/report.html" ||
    fail "the printable page holds no chart data"
rc=0
"$BIN/eqm-report" --panel stop-search --period 2025-13..2025-14 --pdf /dev/null 2>"$EQM_TEST_DIR/err" || rc=$?
assert_eq 2 "$rc" "eqm-report with a bad period"
grep -q 'from and to must be months' "$EQM_TEST_DIR/err" || fail "no reason: $(cat "$EQM_TEST_DIR/err")"

for f in stop-search stop-search-district alerts index stop-search-pack.html; do
    [[ -s $ART/$f.png ]] || fail "no screenshot $ART/$f.png"
done

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
