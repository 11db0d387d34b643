#!/usr/bin/env bash
#
# The test stack itself: PostgreSQL answers, the dev broker stores and serves
# messages, and faults injected through the control socket reach clients.
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

command -v kcat >/dev/null || fail "kcat not installed (./dev.sh setup)"
# shellcheck disable=SC2119 # the default broker options are what we test
eqm_test_stack_up

assert_eq 1 "$(psql_val 'select 1')" "postgres answers select 1"
assert_eq eqm "$(psql_val 'select current_user')" "connected as role eqm"
assert_eq 127.0.0.1 "$(psql_val 'select host(inet_server_addr())')" "postgres on loopback TCP"

topic=stop-search.events
produce() { # [kcat args...] < messages
    timeout 30 kcat -P -b "$EQM_KAFKA_BROKERS" -t "$topic" -X enable.idempotence=true "$@"
}
count_messages() {
    timeout 30 kcat -C -b "$EQM_KAFKA_BROKERS" -t "$topic" -e -q -o beginning -f '%s\n' | wc -l
}

printf 'm1\nm2\nm3\n' | produce
assert_eq 3 "$(count_messages)" "3 produced messages read back"

assert_eq "ok pong" "$(eqm_ctl ping)" "control socket answers ping"
if out=$(eqm_ctl no-such-command); then
    fail "unknown command accepted: $out"
fi
[[ $out == error* ]] || fail "unknown command reply: $out"

# Two Produce requests fail with NOT_LEADER_FOR_PARTITION; the idempotent
# producer refreshes metadata and retries, so the message still lands. The
# debug log proves the fault was actually hit, not skipped.
assert_eq "ok pushed 2 x NOT_LEADER_FOR_PARTITION on api 0" \
    "$(eqm_ctl push-errors Produce NOT_LEADER_FOR_PARTITION 2)" "fault injected"
printf 'm4\n' | produce -p 0 -d msg 2>"$EQM_TEST_DIR/kcat-fault.log"
hits=$(grep -c 'Not leader for partition' "$EQM_TEST_DIR/kcat-fault.log" || true)
((hits >= 1)) || fail "producer never saw the injected NOT_LEADER_FOR_PARTITION"
eqm_test_log "ok: producer retried through $hits injected errors"
assert_eq 4 "$(count_messages)" "message produced through the fault arrives"

# A broker that is down refuses clients until it is up again.
assert_eq "ok broker-down 1" "$(eqm_ctl broker-down 1)" "broker down"
if printf 'lost\n' | produce -X message.timeout.ms=2000 2>/dev/null; then
    fail "produce succeeded while the only broker was down"
fi
assert_eq "ok broker-up 1" "$(eqm_ctl broker-up 1)" "broker up"
printf 'm5\n' | produce
assert_eq 5 "$(count_messages)" "produce works again after broker-up"
