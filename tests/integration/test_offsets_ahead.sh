#!/usr/bin/env bash
# Stored offsets beyond the end of the log (the broker lost its log, or the
# topic was made again): the consumer says so, naming the partition, and
# reads the new log from its start, so every new event is counted (and
# each exactly once); with offsets.ahead.of.log=stop it stops instead.
#
# The development broker keeps its logs in memory, so restarting it is a
# topic made again: every partition empty, the offsets in PostgreSQL
# where they were.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

T=stop-search.events

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
eqm_replay_areas 1 6
first=$(($(wc -l <"$CSV") - 1))
first=$((first * 6))
consumer=("$BIN/eqm-stop-search" -X session.timeout.ms=6000 --log-level warn)
timeout 120 "${consumer[@]}" --exit-when-idle 3 2>"$EQM_TEST_DIR/first.log"
counted() { eqm_searches; }
assert_eq "$first" "$(counted)" "the first log counted"

# The partition holding the most, and half as many new events for it.
read -r part stored <<<"$(psql_val "SELECT partition || ' ' || next_offset FROM equality.kafka_offsets
                                     WHERE topic = '$T' AND next_offset IS NOT NULL
                                     ORDER BY next_offset DESC LIMIT 1" | tr '|' ' ')"
new=$((stored / 2))
[ "$new" -ge 10 ] || fail "partition $part holds only $stored messages"

# The broker's logs are lost: a new, empty broker.
eqm_broker_stop "$EQM_TEST_DIR"
eqm_broker_start "$EQM_TEST_DIR" "$BIN" >/dev/null || fail "the broker did not start again"
"$BIN/eqm-replay" police-uk --area area-new --output "$EQM_TEST_DIR/all.jsonl" "$CSV" 2>/dev/null
head -n "$new" "$EQM_TEST_DIR/all.jsonl" >"$EQM_TEST_DIR/new.jsonl"
kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -p "$part" -l "$EQM_TEST_DIR/new.jsonl"

# stop: the consumer names the partition and exits 1, counting nothing.
rc=0
timeout 60 "${consumer[@]}" --exit-when-idle 3 --offsets-ahead-of-log stop \
    2>"$EQM_TEST_DIR/stop.log" || rc=$?
assert_eq 1 "$rc" "offsets.ahead.of.log=stop: the consumer stops"
grep -q "msg=\"stored offset beyond the end of the log.*action=stop" "$EQM_TEST_DIR/stop.log" \
    || { cat "$EQM_TEST_DIR/stop.log" >&2; fail "no error naming the partition"; }
assert_eq "$first" "$(counted)" "nothing counted when told to stop"

# reread (the default): every partition ahead is said, the new log read
# from its start, each new event counted once.
timeout 120 "${consumer[@]}" --exit-when-idle 3 2>"$EQM_TEST_DIR/reread.log"
grep -q "msg=\"stored offset beyond the end of the log.*topic=$T partition=$part stored=$stored log_start=0 log_end=$new action=reread" \
    "$EQM_TEST_DIR/reread.log" || { cat "$EQM_TEST_DIR/reread.log" >&2; fail "partition $part not reported ahead"; }
assert_eq "$((first + new))" "$(counted)" "the $new events of the new log counted"
assert_eq "$new" "$(psql_val "SELECT next_offset FROM equality.kafka_offsets
                              WHERE topic = '$T' AND partition = $part")" \
    "the stored offset follows the new log"

# stop stops at the first partition it finds ahead (any of them); reread
# goes through all, this one included.
assert_eq "1|1" "$(psql_val "SELECT count(*) FILTER (WHERE action = 'stop') || '|' ||
                                   count(*) FILTER (WHERE action = 'reread' AND partition = $part)
                              FROM equality.offset_events WHERE topic = '$T'")" \
    "each finding recorded"
"$BIN/eqm-admin" status | grep -q "Stored offsets found beyond the end of the log" \
    || fail "eqm-admin status does not show the findings"

# Read again (a restart): nothing counted twice.
timeout 120 "${consumer[@]}" --exit-when-idle 3 2>"$EQM_TEST_DIR/again.log"
assert_eq "$((first + new))" "$(counted)" "a restart counts nothing twice"
# Under a running service: a member runs with nothing to read, the stored
# offset of the partition is then beyond its log (as when the log is lost
# while PostgreSQL keeps the offsets), and a second member joining makes a
# rebalance: the new assignment sees the offset ahead and reads the log
# from its start, and new events on it are counted, once.
"${consumer[@]}" --log-level info 2>"$EQM_TEST_DIR/running-a.log" &
a=$!
eqm_test_bg $a
assigned_a() { grep -q 'partition assigned' "$EQM_TEST_DIR/running-a.log"; }
eqm_wait_until 60 assigned_a || fail "the running member got no partition"
psql_val "UPDATE equality.kafka_offsets SET next_offset = next_offset + 1000
           WHERE topic = '$T' AND partition = $part" >/dev/null
"${consumer[@]}" --log-level info 2>"$EQM_TEST_DIR/running-b.log" &
b=$!
eqm_test_bg $b
ahead_seen() { cat "$EQM_TEST_DIR"/running-?.log | grep -q "partition=$part stored=$((new + 1000))"; }
eqm_wait_until 60 ahead_seen || fail "no member saw the offset ahead of the log after the rebalance"
tail -n 5 "$EQM_TEST_DIR/all.jsonl" | sed 's/"event_id":"pu-/"event_id":"late-/' >"$EQM_TEST_DIR/late.jsonl"
kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -p "$part" -l "$EQM_TEST_DIR/late.jsonl"
five_more() { [ "$(counted)" -ge $((first + new + 5)) ]; }
eqm_wait_until 60 five_more || fail "the events after the rebalance were not counted"
sleep 2
kill -TERM $a $b
wait $a $b || fail "a member exited with an error"
assert_eq "$((first + new + 5))" "$(counted)" "after the rebalance: the new events once, nothing twice"
echo "PASS test_offsets_ahead (partition $part: stored $stored, new log $new)"
