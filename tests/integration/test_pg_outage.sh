#!/usr/bin/env bash
# PostgreSQL goes away mid-stream. A short outage: the consumer reconnects
# and the counts come out exact. An outage longer than pg.reconnect.max.s:
# the consumer stops (exit 1) with nothing of its batch committed, and once
# PostgreSQL is back a restart counts every event exactly once.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

ROWS=$(($(wc -l <"$CSV") - 1))

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
counted() { eqm_searches; }
above() { [ "$(counted)" -gt "$1" ]; }
gone() { ! kill -0 "$1" 2>/dev/null; }
consumer=("$BIN/eqm-stop-search" --batch-max-messages 5 --batch-max-ms 20
          -X session.timeout.ms=6000 --log-level warn)

# 1. A three-second outage.
eqm_replay_areas 1 12
total=$((ROWS * 12))
"${consumer[@]}" --exit-when-idle 4 --pg-reconnect-max-s 60 --log-level info 2>"$EQM_TEST_DIR/short.log" &
pid=$!
eqm_test_bg $pid
eqm_wait_until 60 above 300 || fail "nothing counted before the outage"
eqm_pg_stop "$EQM_TEST_DIR"
sleep 3
eqm_pg_start "$EQM_TEST_DIR" >/dev/null || fail "PostgreSQL did not start again"
rc=0
wait $pid || rc=$?
assert_eq 0 "$rc" "the consumer rode out a 3 s outage"
grep -q 'msg="reconnected to PostgreSQL"' "$EQM_TEST_DIR/short.log" \
    || { cat "$EQM_TEST_DIR/short.log" >&2; fail "the consumer did not reconnect"; }
assert_eq "$total" "$(counted)" "every event counted once across the outage"

# 2. An outage longer than the reconnect budget (2 s).
eqm_replay_areas 13 18
total=$((ROWS * 18))
before=$(counted)
"${consumer[@]}" --exit-when-idle 4 --pg-reconnect-max-s 2 2>"$EQM_TEST_DIR/long.log" &
pid=$!
eqm_test_bg $pid
eqm_wait_until 60 above $((before + 100)) || fail "nothing counted before the second outage"
eqm_pg_stop "$EQM_TEST_DIR"
eqm_wait_until 60 gone $pid || fail "the consumer did not give up within 60 s"
rc=0
wait $pid || rc=$?
assert_eq 1 "$rc" "past pg.reconnect.max.s the consumer stops"
grep -q 'PostgreSQL unavailable for longer than pg.reconnect.max.s' "$EQM_TEST_DIR/long.log" \
    || { cat "$EQM_TEST_DIR/long.log" >&2; fail "no error saying why it stopped"; }
eqm_pg_start "$EQM_TEST_DIR" >/dev/null || fail "PostgreSQL did not start again"
timeout 180 "${consumer[@]}" --exit-when-idle 4 2>>"$EQM_TEST_DIR/long.log"
assert_eq "$total" "$(counted)" "every event counted once after the restart"
assert_eq "$total" "$(psql_val "SELECT count(*) FROM equality.event_keys")" \
    "one de-duplication key per event"
echo "PASS test_pg_outage"
