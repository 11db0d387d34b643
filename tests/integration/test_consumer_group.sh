#!/usr/bin/env bash
# Scale-out and broker faults: two consumers in one group share the
# partitions (each must get some), one is killed mid-stream so the other
# takes its partitions over, and the broker fails fetches and commits along
# the way. The counts come out exact.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

AREAS=16

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
eqm_replay_areas 1 $AREAS
total=$((218 * AREAS))

consumer=("$BIN/eqm-stop-search" --batch-max-messages 5 --batch-max-ms 20
          -X session.timeout.ms=4000 -X heartbeat.interval.ms=500)
counted() { eqm_searches; }
above() { [ "$(counted)" -gt "$1" ]; }

log_a=$(mktemp) log_b=$(mktemp)
"${consumer[@]}" --exit-when-idle 8 2>"$log_a" &
a=$!
eqm_test_bg $a
"${consumer[@]}" 2>"$log_b" &
b=$!
eqm_test_bg $b

# Both must hold partitions before the faults start.
both_assigned() { grep -q 'partition assigned' "$log_a" && grep -q 'partition assigned' "$log_b"; }
eqm_wait_until 60 both_assigned || fail "the two consumers did not share the partitions"
eqm_wait_until 60 above 0 || fail "nothing counted"

# Broker faults: failed fetches and offset commits (Kafka's own commits
# are for monitoring only; PostgreSQL holds the truth).
eqm_ctl push-errors Fetch NOT_LEADER_FOR_PARTITION 5
eqm_ctl push-errors OffsetCommit REQUEST_TIMED_OUT 3

# Kill one consumer mid-stream; the other must take its partitions over.
eqm_wait_until 60 above 600 || fail "counting stalled"
kill -9 $b
at_kill=$(counted)
echo "consumer B killed with $at_kill of $total counted"
[ "$at_kill" -lt "$total" ] || fail "the stream ended before the kill"

wait $a || fail "consumer A exited with an error"
grep -c 'partition assigned' "$log_a" | { read -r n; [ "$n" -gt 8 ]; } \
    || fail "consumer A never took over the killed consumer's partitions"
assert_eq "$total" "$(counted)" "every event counted exactly once"
assert_eq "$total" "$(psql_val "SELECT count(*) FROM equality.event_keys")" \
    "one de-duplication key per event"
rm -f "$log_a" "$log_b"
echo "PASS test_consumer_group"
