#!/usr/bin/env bash
# Bad input never stops the consumer and never changes a count: each kind
# lands on the dead-letter topic with its original bytes, its source
# position and a reason, and is counted once in equality.dead_letters.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_stack_up
T=stop-search.events
DL=equality.dead-letter

good='{"event_id":"g-1","event_type":"stop_search","occurred_at":"2025-07-01T10:00:00+01:00","area":"E07000008","self_defined_ethnicity":"Black/African/Caribbean/Black British - African","gender":"Male","age_range":"18-24","outcome":"Arrest","outcome_linked_to_object_of_search":true,"legislation":"Misuse of Drugs Act 1971 (section 23)"}'
produce() { printf '%s\n' "$1" | kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -k E07000008; }

produce "$good"
produce 'this is not JSON'
produce '{"event_type":"stop_search","occurred_at":"2025-07-01T10:00:00Z","area":"E07000008"}'
produce '{"event_id":"b-2","event_type":"stop_search","occurred_at":"1 July 2025","area":"E07000008"}'
produce '{"event_id":"b-3","event_type":"arrest","occurred_at":"2025-07-01T10:00:00Z","area":"E07000008"}'
# A 2 MB message (more than max.message.bytes, 1,000,000 by default).
big=$(mktemp)
python3 -c 'import sys; sys.stdout.write("{\"event_id\":\"big\",\"pad\":\"" + "x" * 2097152 + "\"}")' >"$big"
kcat -P -b "$EQM_KAFKA_BROKERS" -t "$T" -X message.max.bytes=4000000 -k E07000008 "$big"
produce "$good"   # a duplicate of the first: ignored, not a dead letter
june='{"event_id":"june-1","event_type":"stop_search","occurred_at":"2025-06-01T12:00:00+01:00","area":"E07000009","gender":"Female"}'
produce "$june"   # 30 days before the newest event: counted (horizon 730 days)

timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 3 -X session.timeout.ms=6000 --log-level error

# Counts: only the one good event, once, for its area and the force.
assert_eq 1 "$(psql_val "SELECT sum(searches) FROM equality.stop_search_daily
                         WHERE area = 'E07000009' AND dimension = 'gender'")" "the June event counted"
assert_eq "1|2" "$(psql_val "SELECT sum(searches) FILTER (WHERE area = 'E07000008'),
                                    sum(searches) FILTER (WHERE area = 'force')
                             FROM equality.stop_search_daily WHERE dimension = 'ethnicity'")" \
    "the good event counted once for its area; the force has it and the June event"
assert_eq "bad_occurred_at
missing_event_id
not_json
oversized
unknown_event_type" "$(psql_val "SELECT reason_code FROM equality.dead_letters ORDER BY 1")" \
    "each bad message counted once in equality.dead_letters"

# What the process did, as eqm-web's /metrics shows it (equality.consumer_stats):
# 8 messages read = 2 events counted + 1 duplicate + 5 dead letters, and
# every batch's commit latency written (the last one when idle or stopping).
assert_eq "1|8|2|1|5|t" "$(psql_val "SELECT count(*), sum(messages), sum(events), sum(duplicates),
                                          sum(dead_letters), sum(batches) = sum(commit_count)
                                             AND sum(batches) >= 1
                                   FROM equality.consumer_stats WHERE consumer_group = 'eqm-stop-search'")" \
    "one process's totals: messages, events, duplicates, dead letters; a latency per batch"

# On the topic: five dead letters, each with its reason and source offset.
dl=$(kcat -C -b "$EQM_KAFKA_BROKERS" -t "$DL" -e -q -X fetch.message.max.bytes=4000000 \
        -f '%h\n' 2>/dev/null | tr ',' '\n' | grep -E '^eqm-(reason-code|source-offset)=' | sort)
assert_eq "eqm-reason-code=bad_occurred_at
eqm-reason-code=missing_event_id
eqm-reason-code=not_json
eqm-reason-code=oversized
eqm-reason-code=unknown_event_type
eqm-source-offset=1
eqm-source-offset=2
eqm-source-offset=3
eqm-source-offset=4
eqm-source-offset=5" "$(sort <<<"$dl")" "five dead letters on $DL with reason and offset headers"
# The original bytes travel unchanged.
values=$(kcat -C -b "$EQM_KAFKA_BROKERS" -t "$DL" -e -q -X fetch.message.max.bytes=4000000 \
            -f '%s\n' 2>/dev/null)
grep -qx 'this is not JSON' <<<"$values" \
    || fail "the non-JSON message's original bytes are on the dead-letter topic"
size=$(kcat -C -b "$EQM_KAFKA_BROKERS" -t "$DL" -e -q -X fetch.message.max.bytes=4000000 \
        -f '%S\n' 2>/dev/null | sort -n | tail -1)
assert_eq "$(stat -c %s "$big")" "$size" "the 2 MB message is dead-lettered whole"
rm -f "$big"

# De-duplication horizon: with a 10-day horizon the June event's key
# expires (it is 30 days behind the newest event), and a copy of it sent
# again is refused as too old to de-duplicate -- never counted twice.
produce "$june"
timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 3 -X session.timeout.ms=6000 \
    --dedup-horizon-days 10 --log-level error
assert_eq 0 "$(psql_val "SELECT count(*) FROM equality.event_keys WHERE event_day < '2025-06-21'")" \
    "keys of days beyond the horizon expired"
# The engine's key is md5("stop-search:" event_id), computed in C; finding
# it by PostgreSQL's md5() shows the two agree (migration 008 relies on it).
assert_eq 1 "$(psql_val "SELECT count(*) FROM equality.event_keys
                          WHERE key = md5('stop-search:g-1')::uuid")" \
    "keys within the horizon kept"
assert_eq 1 "$(psql_val "SELECT count(*) FROM equality.dead_letters
                         WHERE reason_code = 'older_than_dedup_horizon'")" \
    "the copy of the June event is a dead letter"
assert_eq 1 "$(psql_val "SELECT sum(searches) FROM equality.stop_search_daily
                         WHERE area = 'E07000009' AND dimension = 'gender'")" \
    "the June event still counted once"
assert_eq "2|9|2|1|6" "$(psql_val "SELECT count(*), sum(messages), sum(events), sum(duplicates),
                                        sum(dead_letters)
                                   FROM equality.consumer_stats WHERE consumer_group = 'eqm-stop-search'")" \
    "a second process has a row of its own; the group's totals add up"
echo "PASS test_dead_letters"
