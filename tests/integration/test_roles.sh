#!/usr/bin/env bash
# Least privilege (migration 018, README "Security"): every program's role
# tries what it must not do and is refused -- another service's counts,
# another service's offsets, keys or alert state, the tables behind the
# analyst's views, the outbox as the analyst -- and does what it must. The
# services run end to end as their roles; a program run as the owner says
# so in its log; a role that cannot migrate says who can; every table of
# the schema is granted to some role, and every table with a source has
# row-level security.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up

# as URL SQL: run SQL as a role; prints the output, and the error's text.
as() { psql -XAtq -v ON_ERROR_STOP=1 "$1" -c "$2" 2>&1; }
# refused URL PATTERN SQL: SQL fails with an error matching PATTERN.
refused() {
    local out
    if out=$(as "$1" "$3"); then
        fail "allowed, should be refused: $3 (as ${1%%@*}): $out"
    fi
    grep -qE "$2" <<<"$out" || fail "refused for another reason: $3: $out"
    eqm_test_log "refused as ${1##*//}: $3"
}
SS=$EQM_STOP_SEARCH_PG_URL CU=$EQM_CUSTODY_PG_URL RELAY=$EQM_ALERT_RELAY_PG_URL
NOTIFY=$EQM_NOTIFY_PG_URL WEB=$EQM_WEB_PG_URL ADMIN=$EQM_ADMIN_PG_URL
DENIED='permission denied'
RLS='violates row-level security policy'

# What they must do: the services count as their own roles (the population
# loaded and the area defined as the administrator).
"$BIN/eqm-admin" load-population "$SHARED/data/census-2021/ethnic-group-by-district.csv" >/dev/null ||
    fail "the administrator cannot load the population"
"$BIN/eqm-admin" define-area force E07000008,E07000009 >/dev/null ||
    fail "the administrator cannot define an area"
ss='{"event_id":"s-%d","event_type":"stop_search","occurred_at":"2025-07-01T10:00:00Z","area":"E07000008","self_defined_ethnicity":"White","officer_defined_ethnicity":"White"}\n'
cu='{"event_id":"c-%d","event_type":"arrest","occurred_at":"2025-07-01T10:00:00Z","area":"E07000009","ethnicity":"Black"}\n'
for i in 1 2 3; do printf "$ss" "$i"; done |
    kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k E07000008
for i in 1 2; do printf "$cu" "$i"; done |
    kcat -P -b "$EQM_KAFKA_BROKERS" -t custody.events -k E07000009
timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 3 --log-level info \
    >"$EQM_TEST_DIR/ss.log" 2>&1 || fail "eqm-stop-search failed: $(tail -5 "$EQM_TEST_DIR/ss.log")"
timeout 120 "$BIN/eqm-custody" --exit-when-idle 3 --log-level info \
    >"$EQM_TEST_DIR/cu.log" 2>&1 || fail "eqm-custody failed: $(tail -5 "$EQM_TEST_DIR/cu.log")"
assert_eq "3|2" "$(psql_val "SELECT (SELECT sum(searches) FROM equality.stop_search_daily
                                      WHERE area = 'force' AND dimension = 'ethnicity'),
                                    (SELECT sum(arrests) FROM equality.custody_daily
                                      WHERE area = 'force' AND dimension = 'ethnicity')")" \
    "each service counted as its own role"
assert_eq "eqm_svc_custody|eqm_svc_stop_search" \
    "$(psql_val "SELECT string_agg(rolname, '|' ORDER BY rolname) FROM pg_roles
                  WHERE rolname IN ('eqm_svc_stop_search', 'eqm_svc_custody')
                    AND NOT rolsuper AND rolcanlogin
                    AND (pg_has_role(oid, 'eqm_stop_search', 'MEMBER')
                         <> pg_has_role(oid, 'eqm_custody', 'MEMBER'))")" \
    "each service's login role is in its group role alone"
assert_eq "custody|stop-search" "$(psql_val "SELECT string_agg(DISTINCT source, '|' ORDER BY source)
                                             FROM equality.kafka_offsets")" \
    "each service's offset rows carry its source"
! grep -q 'more rights than needed' "$EQM_TEST_DIR/ss.log" "$EQM_TEST_DIR/cu.log" ||
    fail "a service as its own role warned of its rights"

# A consumer: its own counts, never another's.
refused "$SS" "$DENIED" "INSERT INTO equality.custody_daily (day, area, dimension, grp, arrests)
                         VALUES ('2025-07-01', 'E07000009', 'ethnicity', 'black', 1)"
refused "$CU" "$DENIED" "UPDATE equality.stop_search_daily SET searches = 0"
refused "$CU" "$DENIED" "INSERT INTO equality.stop_search_ethnicity_agreement
                         (day, area, self_defined, officer_defined, searches)
                         VALUES ('2025-07-01', 'E07000009', 'black', 'black', 1)"
# ... nor another's offsets: invisible, so an update moves nothing, and a
# row claimed for another source is refused.
before=$(psql_val "SELECT string_agg(partition || ':' || coalesce(next_offset, -1), ',' ORDER BY partition)
                     FROM equality.kafka_offsets WHERE source = 'stop-search'")
assert_eq "UPDATE 0" "$(psql -X -v ON_ERROR_STOP=1 "$CU" -c \
    "UPDATE equality.kafka_offsets SET next_offset = 0 WHERE consumer_group = 'eqm-stop-search'" 2>&1)" \
    "custody's role sees no stop-search offset to move"
assert_eq "$before" "$(psql_val "SELECT string_agg(partition || ':' || coalesce(next_offset, -1), ','
                                  ORDER BY partition) FROM equality.kafka_offsets
                                  WHERE source = 'stop-search'")" "stop-search's offsets unmoved"
assert_eq 0 "$(as "$CU" "SELECT count(*) FROM equality.kafka_offsets WHERE source = 'stop-search'")" \
    "custody's role cannot read stop-search's offsets"
refused "$CU" "$RLS" "INSERT INTO equality.kafka_offsets (consumer_group, topic, partition, source)
                      VALUES ('eqm-stop-search', 'stop-search.events', 99, 'stop-search')"
refused "$CU" "$RLS" "UPDATE equality.kafka_offsets SET source = 'stop-search' WHERE source = 'custody'"
# ... nor another's de-duplication keys, watermark, dead letters or alert state.
assert_eq "DELETE 0" "$(psql -X -v ON_ERROR_STOP=1 "$CU" -c \
    "DELETE FROM equality.event_keys WHERE source = 'stop-search'" 2>&1)" "keys invisible"
assert_eq 3 "$(psql_val "SELECT count(*) FROM equality.event_keys WHERE source = 'stop-search'")" \
    "stop-search's keys kept"
refused "$CU" "$RLS" "INSERT INTO equality.watermarks (source, max_occurred_at)
                      VALUES ('stop-search', '2030-01-01')"
refused "$CU" "$RLS" "INSERT INTO equality.dead_letters (topic, partition, kafka_offset, source,
                      reason_code, reason, payload_bytes)
                      VALUES ('stop-search.events', 0, 999, 'stop-search', 'x', 'x', 1)"
refused "$CU" "$RLS" "INSERT INTO equality.alert_state (fingerprint, rule, source, measure, area,
                      dimension, grp, window_days, status, last_evaluated_at)
                      VALUES ('f', 'r', 'stop-search', 'm', 'a', 'd', 'g', 28, 'firing', now())"
refused "$SS" "$DENIED" "SELECT * FROM equality.notify_deliveries"
refused "$SS" "$DENIED" "CREATE TABLE equality.mine (x int)"
refused "$SS" "$DENIED" "INSERT INTO equality.alert_silences (fingerprint, until, reason, created_by)
                         VALUES ('f', now(), 'r', 'me')"

# The relay: marks the outbox sent, nothing else.
as "$RELAY" "SELECT count(*) FROM equality.alert_outbox WHERE sent_at IS NULL" >/dev/null ||
    fail "the relay cannot read the outbox"
as "$RELAY" "UPDATE equality.alert_outbox SET sent_at = now() WHERE false" >/dev/null ||
    fail "the relay cannot mark the outbox sent"
refused "$RELAY" "$DENIED" "UPDATE equality.alert_outbox SET payload = '{}' WHERE false"
refused "$RELAY" "$DENIED" "INSERT INTO equality.alert_outbox (alert_id, fingerprint, status,
                            audience, payload) VALUES (gen_random_uuid(), 'f', 'firing', 'a', '{}')"
refused "$RELAY" "$DENIED" "SELECT * FROM equality.kafka_offsets"

# The notifier: its own tables; not the alert state, not others' offsets.
as "$NOTIFY" "SELECT count(*) FROM equality.notify_deliveries" >/dev/null ||
    fail "the notifier cannot read its deliveries"
refused "$NOTIFY" "$DENIED" "UPDATE equality.alert_state SET status = 'resolved'"
assert_eq "UPDATE 0" "$(psql -X -v ON_ERROR_STOP=1 "$NOTIFY" -c \
    "UPDATE equality.kafka_offsets SET next_offset = 0 WHERE source = 'custody'" 2>&1)" \
    "the notifier sees no custody offset to move"

# The analyst (eqm-web, BI tools): the views, nothing behind them.
assert_eq 3 "$(as "$WEB" "SELECT sum(searches) FROM equality_read.stop_search_daily
                           WHERE area = 'force' AND dimension = 'ethnicity'")" "the analyst reads a view"
refused "$WEB" "$DENIED" "SELECT * FROM equality.stop_search_daily"
assert_eq 3 "$(as "$WEB" "SELECT sum(searches) FROM equality_read.stop_search_ethnicity_agreement
                           WHERE area = 'force' AND self_defined = 'white'
                             AND officer_defined = 'white'")" \
    "the analyst reads the agreement view (the stop-search role wrote its rows)"
refused "$WEB" "$DENIED" "SELECT * FROM equality.stop_search_ethnicity_agreement"
refused "$WEB" "$DENIED|cannot" "UPDATE equality_read.stop_search_ethnicity_agreement SET searches = 0"
refused "$WEB" "$DENIED" "SELECT * FROM equality.dead_letters"
refused "$WEB" "$DENIED" "INSERT INTO equality.alert_outbox (alert_id, fingerprint, status, audience,
                          payload) VALUES (gen_random_uuid(), 'f', 'firing', 'a', '{}')"
refused "$WEB" "does not exist" "SELECT recipient FROM equality_read.notify_deliveries"
refused "$WEB" "does not exist" "SELECT reason FROM equality_read.dead_letters"
refused "$WEB" "$DENIED|cannot" "INSERT INTO equality_read.stop_search_daily (day, area, dimension, grp)
                                 VALUES ('2025-07-01', 'a', 'd', 'g')"
refused "$WEB" "$DENIED" "CREATE VIEW equality_read.mine AS SELECT 1"

# The administrator: silences, areas; reads the engine's state; no counts.
fp=$(psql_val "INSERT INTO equality.alert_state (fingerprint, rule, source, measure, area, dimension,
                   grp, window_days, status, last_evaluated_at) VALUES (md5('roles'), 'r',
                   'stop-search', 'm', 'force', 'ethnicity', 'black', 28, 'firing', now())
                   RETURNING fingerprint")
"$BIN/eqm-admin" silence "$fp" --until 2099-01-01 --reason "roles test" --by tester >/dev/null ||
    fail "the administrator cannot silence"
assert_eq 1 "$(psql_val "SELECT count(*) FROM equality.alert_silences WHERE fingerprint = '$fp'")" \
    "silenced as the administrator"
assert_eq 2 "$(as "$ADMIN" "SELECT count(DISTINCT source) FROM equality.kafka_offsets")" \
    "the administrator reads every service's offsets"
refused "$ADMIN" "$DENIED" "UPDATE equality.kafka_offsets SET next_offset = 0"
refused "$ADMIN" "$DENIED" "INSERT INTO equality.stop_search_daily (day, area, dimension, grp)
                            VALUES ('2025-07-01', 'a', 'd', 'g')"

# More rights than needed are said: the owner, then a superuser.
timeout 60 env EQM_STOP_SEARCH_PG_URL="$EQM_PG_URL" "$BIN/eqm-stop-search" --exit-when-idle 1 \
    >"$EQM_TEST_DIR/owner.log" 2>&1 || fail "eqm-stop-search as the owner failed"
grep -q 'level=warn.*as the schema.s owner: more rights than needed.*program=eqm-stop-search role="eqm" want=eqm_stop_search' \
    "$EQM_TEST_DIR/owner.log" || fail "no warning as the owner: $(head -5 "$EQM_TEST_DIR/owner.log")"
super=${EQM_PG_URL/\/\/eqm@/\/\/postgres@}
EQM_REPORT_PG_URL="$super" timeout 60 "$BIN/eqm-report" --panel alerts --html "$EQM_TEST_DIR/p.html" \
    >"$EQM_TEST_DIR/super.log" 2>&1 || fail "eqm-report as a superuser failed: $(cat "$EQM_TEST_DIR/super.log")"
grep -q 'as a superuser: more rights than needed.*program=eqm-report' "$EQM_TEST_DIR/super.log" ||
    fail "no warning as a superuser: $(head -5 "$EQM_TEST_DIR/super.log")"

# A schema behind the build: a service's role cannot migrate, and says who can.
last=$(psql_val "SELECT version || ' ' || name FROM equality.schema_migrations ORDER BY version DESC LIMIT 1")
psql_val "DELETE FROM equality.schema_migrations WHERE version = ${last%% *}" >/dev/null
if timeout 60 "$BIN/eqm-stop-search" --exit-when-idle 1 >"$EQM_TEST_DIR/behind.log" 2>&1; then
    fail "eqm-stop-search started on a schema it could not migrate"
fi
grep -qE 'lacks 1 migration of this build \(it is at [0-9]+\).*role \\"eqm_svc_stop_search\\" may not apply them: run \\"eqm-admin migrate\\" as the schema.s owner' \
    "$EQM_TEST_DIR/behind.log" || fail "unclear: $(cat "$EQM_TEST_DIR/behind.log")"
psql_val "INSERT INTO equality.schema_migrations (version, name) VALUES (${last%% *}, '${last#* }')" >/dev/null

# Every table is some role's, and every table with a source is row-secured,
# so a migration that adds one cannot forget either.
assert_eq "" "$(psql_val "SELECT string_agg(c.relname, ', ' ORDER BY c.relname)
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'equality' AND c.relkind = 'r'
                             AND c.relname <> 'schema_migrations'
                             AND NOT EXISTS (SELECT 1 FROM information_schema.role_table_grants g
                                              WHERE g.table_schema = 'equality'
                                                AND g.table_name = c.relname
                                                AND g.grantee LIKE 'eqm\_%')")" \
    "tables granted to no role"
assert_eq "" "$(psql_val "SELECT string_agg(c.relname, ', ' ORDER BY c.relname)
                            FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                           WHERE n.nspname = 'equality' AND c.relkind = 'r' AND NOT c.relrowsecurity
                             AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid
                                          AND a.attname = 'source' AND NOT a.attisdropped)")" \
    "tables with a source but no row-level security"
echo "PASS test_roles"
