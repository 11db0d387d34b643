#!/usr/bin/env bash
# tools/bench.sh - ./dev.sh bench: the stop-search benchmark.
#
# Starts a private PostgreSQL and development broker on loopback (as the
# integration tests do), loads the Census population and defines the force
# as the 33 London boroughs the generator uses, runs eqm-bench with the
# arguments given, and tears everything down. Everything eqm-bench prints
# goes to stdout/stderr; the consumer logs and stats files stay in the
# work directory it names (kept when EQM_BENCH_KEEP=1 or on failure).
#
#   ./dev.sh bench                        1,000,000 events: ceiling, end to end, naive
#   ./dev.sh bench -n 100000              smaller
#   ./dev.sh bench --sustain 10000,50000  steady rates, 20 s each
#   EQM_BUILD_DIR=build-bench ./dev.sh bench ...   programs from another build
#
# It does not build: run ./dev.sh build first (or point EQM_BUILD_DIR at a
# Release build; the numbers of a Debug or sanitizer build mean little).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
BUILD=${EQM_BUILD_DIR:-$ROOT/build}
[[ $BUILD = /* ]] || BUILD=$ROOT/$BUILD
BIN=$BUILD/bin
SHARED=${EQM_SHARED_DIR:-$ROOT/../shared}
CENSUS=$SHARED/data/census-2021/ethnic-group-by-district.csv

# shellcheck source=stack.sh
source "$ROOT/tools/stack.sh"

for prog in eqm-bench eqm-stop-search eqm-devbroker eqm-admin; do
    if [[ ! -x $BIN/$prog ]]; then
        echo "bench.sh: $BIN/$prog not built; run ./dev.sh build (or set EQM_BUILD_DIR)" >&2
        exit 2
    fi
done
command -v kcat >/dev/null || {
    echo "bench.sh: kcat not installed (apt-get install kcat), or pass --skip-kcat" >&2
}

WORK=$(mktemp -d /tmp/eqm-bench.XXXXXX)
chmod 0755 "$WORK"
rc=0
cleanup() {
    set +e
    eqm_broker_stop "$WORK"
    if [[ ${EQM_BENCH_KEEP:-0} == 1 || $rc != 0 ]]; then
        eqm_pg_stop "$WORK"
        echo "bench.sh: kept $WORK (logs, stats files; database in $(readlink "$WORK/pg"))" >&2
    else
        eqm_pg_destroy "$WORK"
        rm -rf -- "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

eqm_pg_start "$WORK" >/dev/null
eqm_broker_start "$WORK" "$BIN" --log-level warn --brokers "${EQM_BENCH_BROKERS:-3}" >/dev/null
admin() {
    "$BIN/eqm-admin" "$@" >>"$WORK/admin.log" 2>&1 || {
        rc=1
        cat "$WORK/admin.log" >&2
        exit 1
    }
}
admin migrate
if [[ -f $CENSUS ]]; then
    admin load-population "$CENSUS"
    admin define-area force "$(printf 'E090000%02d,' $(seq 1 33) | sed 's/,$//')"
fi
echo "bench.sh: PostgreSQL $EQM_PG_URL, broker $EQM_KAFKA_BROKERS, work dir $WORK;" \
    "$(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)" >&2

"$BIN/eqm-bench" --bin "$BIN" --work-dir "$WORK" "$@" || rc=$?
exit "$rc"
