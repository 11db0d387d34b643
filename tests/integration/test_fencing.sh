#!/usr/bin/env bash
# Zombie fencing: while a consumer is mid-stream, another owner's commit
# moves the stored offset of its partition (as a consumer that took the
# partition over would). The first consumer's next commit must fail as a
# whole -- its counts with it -- and it must carry on from the new owner's
# offset, so the counts stay exactly what had been committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

T=stop-search.events

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null

# 10 x 218 events, all with one key: one partition, so one offset row moves.
for i in $(seq 1 10); do
    "$BIN/eqm-replay" police-uk --area "area-$i" --output - "$CSV" 2>/dev/null
done | kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -k one-partition
end=2180

log=$(mktemp)
"$BIN/eqm-stop-search" --batch-max-messages 2 --batch-max-ms 20 --exit-when-idle 4 \
    -X session.timeout.ms=6000 2>"$log" &
pid=$!
eqm_test_bg $pid

counted() { eqm_searches; }
started() { [ "$(counted)" -gt 0 ]; }
eqm_wait_until 60 started || fail "the consumer counted nothing within 60 s"

# The takeover: in one transaction, move the offset to the end of the log
# (the "new owner" consumed everything) and read what was committed. The
# consumer's in-flight commit waits on the row lock, then fails its check.
at_takeover=$(psql_val "BEGIN;
    UPDATE equality.kafka_offsets SET next_offset = $end
     WHERE topic = '$T' AND next_offset IS NOT NULL;
    SELECT coalesce(sum(searches), 0) FROM equality.stop_search_daily
     WHERE area = 'force' AND dimension = 'gender';
    COMMIT;" | tail -1)
echo "offset moved to $end with $at_takeover of $end counted"
[ "$at_takeover" -lt "$end" ] || fail "the stream ended before the takeover: nothing to fence"

wait $pid || fail "the consumer exited with an error"
grep -q 'msg="batch abandoned: partitions taken over"' "$log" \
    || { cat "$log" >&2; fail "the fenced commit was not reported"; }
assert_eq "$at_takeover" "$(counted)" "nothing was committed over the new owner"
assert_eq "$end" "$(psql_val "SELECT next_offset FROM equality.kafka_offsets
                               WHERE topic = '$T' AND next_offset IS NOT NULL")" \
    "the stored offset stays where the new owner put it"
rm -f "$log"
echo "PASS test_fencing"
