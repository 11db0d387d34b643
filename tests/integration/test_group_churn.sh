#!/usr/bin/env bash
# Three consumers in one group, members killed and added during the
# stream: a third joins, one is killed with -9, a fourth joins, another is
# stopped with SIGTERM. Each rebalance hands partitions over mid-batch; the
# counts come out exact, and each event has one de-duplication key. The
# stream is produced in four parts, each after a change, so that it cannot
# end before the last change however fast the members count.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

AREAS=24
eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
eqm_replay_areas 1 6
total=$((218 * AREAS))

consumer=("$BIN/eqm-stop-search" --batch-max-messages 5 --batch-max-ms 20
          -X session.timeout.ms=4000 -X heartbeat.interval.ms=500 --log-level info)
above() { [ "$(eqm_searches)" -gt "$1" ]; }
start() { # NAME: a member in the background; its pid in $started
    "${consumer[@]}" 2>"$EQM_TEST_DIR/$1.log" &
    started=$!
    eqm_test_bg "$started"
}
assigned() { grep -q 'partition assigned' "$EQM_TEST_DIR/$1.log"; }

start a
a=$started
start b
b=$started
eqm_wait_until 60 above 0 || fail "nothing counted"
start c
c=$started
eqm_wait_until 60 assigned c || fail "the third member got no partition"
eqm_wait_until 60 above 1000 || fail "counting stalled with three members"
eqm_replay_areas 7 12
kill -9 "$b"
eqm_test_log "member b killed with $(eqm_searches) of $total counted"
start d
d=$started
eqm_wait_until 60 assigned d || fail "the fourth member got no partition"
eqm_wait_until 60 above 2400 || fail "counting stalled after the kill"
eqm_replay_areas 13 18
kill -TERM "$a"
rc=0
wait "$a" || rc=$?
assert_eq 0 "$rc" "member a stopped cleanly mid-stream (SIGTERM)"
at=$(eqm_searches)
eqm_test_log "member a stopped with $at of $total counted"
eqm_replay_areas 19 $AREAS

done_counting() { [ "$(eqm_searches)" -ge "$total" ]; }
eqm_wait_until 120 done_counting || fail "the remaining members did not finish the stream"
sleep 2 # anything counted twice would show by now
kill -TERM "$c" "$d"
wait "$c" "$d" || fail "a remaining member exited with an error"
assert_eq "$total" "$(eqm_searches)" "every event counted exactly once through the churn"
assert_eq "$total" "$(psql_val "SELECT count(*) FROM equality.event_keys")" \
    "one de-duplication key per event"
echo "PASS test_group_churn"
