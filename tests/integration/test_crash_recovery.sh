#!/usr/bin/env bash
# kill -9 in the middle of a stream, several times, then restart: the final
# counts are exactly the input's (both counts tables), and a second replay
# changes nothing.
# Small batches make many transactions, so each kill lands mid-stream.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

AREAS=12
ROWS=$(($(wc -l <"$CSV") - 1))   # 218

eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null

eqm_replay_areas 1 $AREAS
total=$((ROWS * AREAS))

# An array, not a function: $! must be the service's own pid for kill -9.
consumer=("$BIN/eqm-stop-search" --batch-max-messages 5 --batch-max-ms 20
          -X session.timeout.ms=3000 -X heartbeat.interval.ms=500 --log-level error)

counted() { eqm_searches; }

# Each round: start, wait until the consumer has committed something beyond
# what was there, let it run a little longer, then kill -9 it.
eqm_crash_rounds "$total" "KILL:0.05 KILL:0.2 KILL:0.1" -- "${consumer[@]}"
kills=$EQM_KILLS
[ "$kills" -ge 1 ] || fail "no kill landed mid-stream: make the stream longer"

timeout 180 "${consumer[@]}" --exit-when-idle 4
assert_eq "$total" "$(psql_val "SELECT sum(searches) FROM equality.stop_search_daily
                                 WHERE area = 'force' AND dimension = 'gender'")" \
    "every event counted exactly once after $kills mid-stream kills"
expected=$(python3 "$here/expected_policeuk.py" counts "$CSV" | awk -F'|' -v n=$AREAS \
    '$1 == "ethnicity" { printf "%s|%d|%d\n", $2, $3 * n, $6 * n }')
actual=$(psql_val "SELECT grp || '|' || sum(searches) || '|' || sum(arrests)
                   FROM equality.stop_search_daily WHERE area = 'force' AND dimension = 'ethnicity'
                   GROUP BY grp ORDER BY grp COLLATE \"C\"")
assert_eq "$(LC_ALL=C sort <<<"$expected")" "$(LC_ALL=C sort <<<"$actual")" \
    "per-group searches and arrests exact after the crashes"
# The second table of the same transactions: self-defined x officer-defined.
expected=$(python3 "$here/expected_policeuk.py" agreement "$CSV" | awk -F'|' -v n=$AREAS \
    '{ c[$2 "|" $3] += $4 } END { for (k in c) printf "%s|%d\n", k, c[k] * n }')
actual=$(psql_val "SELECT self_defined || '|' || officer_defined || '|' || sum(searches)
                   FROM equality.stop_search_ethnicity_agreement WHERE area = 'force'
                   GROUP BY self_defined, officer_defined")
assert_eq "$(LC_ALL=C sort <<<"$expected")" "$(LC_ALL=C sort <<<"$actual")" \
    "self-defined x officer-defined exact after the crashes"

"$BIN/eqm-replay" police-uk --area area-1 "$CSV" 2>/dev/null
timeout 120 "${consumer[@]}" --exit-when-idle 4
assert_eq "$total" "$(psql_val "SELECT sum(searches) FROM equality.stop_search_daily
                                 WHERE area = 'force' AND dimension = 'gender'")" \
    "a duplicate replay after the crashes counts nothing"
assert_eq "$total" "$(psql_val "SELECT sum(searches) FROM equality.stop_search_ethnicity_agreement
                                 WHERE area = 'force'")" \
    "nor in the agreement table"
echo "PASS test_crash_recovery ($kills mid-stream kills)"
