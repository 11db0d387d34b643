# shellcheck shell=bash source-path=SCRIPTDIR
#
# tests/integration/lib.sh - sourced by tests/integration/test_*.sh.
#
# ctest runs each script with EQM_BUILD_DIR and EQM_SOURCE_DIR set; run by
# hand they default to this checkout and its build/. A test calls
# eqm_test_stack_up to get a private PostgreSQL and dev broker on loopback;
# an EXIT trap tears both down, kills whatever the test registered with
# eqm_test_bg, and deletes the temporary directory (EQM_TEST_KEEP=1 keeps it,
# and on failure the tail of the broker and server logs is printed).
#
#   eqm_test_stack_up [BROKER_ARGS...]   exports EQM_PG_URL (the owner's),
#                                        EQM_<PROGRAM>_PG_URL (each program's own
#                                        role: tools/stack.sh eqm_pg_roles),
#                                        EQM_KAFKA_BROKERS, EQM_BROKER_CONTROL, BIN,
#                                        EQM_TEST_DIR
#   eqm_test_scratch [LOG...]            only EQM_TEST_DIR (no stack), removed at exit
#   eqm_test_python MODULE...            a python3 that imports the modules
#   eqm_test_bg PID...                   kill these at exit
#   eqm_ctl COMMAND...                   one control command to the broker
#   psql_val SQL                         one value (or rows) from the eqm db
#   assert_eq EXPECTED ACTUAL MESSAGE    exit 1 on mismatch
#   fail MESSAGE                         exit 1
#   eqm_wait_until TIMEOUT_S CMD...      bounded polling (from tools/stack.sh)
#   eqm_dump_figures PATTERN FILE        equality.disparity rows of measures LIKE
#                                        PATTERN, tab-separated, for the expected_*.py
#   eqm_dump_counts TABLE FILE           every non-zero count of a (day, area, dimension,
#                                        grp) counts table: day area dim grp column value
#   eqm_replay_areas FIRST LAST          the police.uk month $CSV once per area
#                                        area-FIRST .. area-LAST, onto stop-search.events
#   eqm_searches                         stop-search events counted (whole force, gender)
#   eqm_arrest_phase TAG BLOCK GROUP:SEARCHES:ARRESTS...
#                                        stop-search events of one 28-day block
#   eqm_arrest_rules FILE                the notification tests' arrest-rate rules
#   eqm_arrest_consume RULES             eqm-stop-search over what is on its topic
#   eqm_web_up [ARGS...]                 eqm-web on a free loopback port (log
#                                        $EQM_TEST_DIR/web.log), stopped at exit; sets URL
#   eqm_web_get PATH FILE                GET $URL/PATH into FILE; the HTTP status on stdout
#   eqm_web_browse PY PAGE PNG EVAL      $URL/PAGE in headless Chromium (browser.py, no
#                                        console error), once its charts are drawn: EVAL's
#                                        value in $EQM_TEST_DIR/browser-NAME.json (NAME:
#                                        PNG's without .png), a screenshot in PNG
#   eqm_crash_rounds TOTAL ROUNDS -- CMD...
#                                        kill a consumer mid-stream, round by round
set -euo pipefail

: "${EQM_SOURCE_DIR:=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd -P)}"
: "${EQM_BUILD_DIR:=$EQM_SOURCE_DIR/build}"
export EQM_SOURCE_DIR EQM_BUILD_DIR
BIN=$EQM_BUILD_DIR/bin
export BIN
# The shared test data (../shared/data, its README) and the real police.uk
# month most tests replay (218 searches).
: "${EQM_SHARED_DIR:=$EQM_SOURCE_DIR/../shared}"
SHARED=$EQM_SHARED_DIR
CSV=$SHARED/data/police-uk/2025-07-cambridgeshire-stop-and-search.csv

# shellcheck source=../../tools/stack.sh
source "$EQM_SOURCE_DIR/tools/stack.sh"

EQM_TEST_NAME=$(basename "$0" .sh)
EQM_TEST_DIR=
_eqm_test_pids=()
_eqm_test_logs=()
_eqm_test_stack=0

eqm_test_log() {
    printf '[%s] %s\n' "$EQM_TEST_NAME" "$*" >&2
}

fail() {
    printf '[%s] FAIL: %s\n' "$EQM_TEST_NAME" "$*" >&2
    exit 1
}

assert_eq() {
    local expected=$1 actual=$2 message=${3:-values differ}
    if [[ $expected != "$actual" ]]; then
        fail "$message: expected '$expected', got '$actual'"
    fi
    eqm_test_log "ok: $message"
}

psql_val() {
    psql -XAtq -v ON_ERROR_STOP=1 "$EQM_PG_URL" -c "$1"
}

eqm_ctl() {
    "$BIN/eqm-devbroker" ctl "$EQM_BROKER_CONTROL" "$@"
}

eqm_test_bg() {
    _eqm_test_pids+=("$@")
}

_eqm_pid_gone() {
    ! kill -0 "$1" 2>/dev/null
}

_eqm_test_cleanup() {
    local rc=$? pid log
    set +e
    trap - EXIT INT TERM
    # Registered processes first: they talk to the broker and the database.
    for pid in "${_eqm_test_pids[@]}"; do
        kill -TERM "$pid" 2>/dev/null
    done
    for pid in "${_eqm_test_pids[@]}"; do
        if ! eqm_wait_until 10 _eqm_pid_gone "$pid"; then
            eqm_test_log "pid $pid ignored SIGTERM; killing it"
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    if [[ -n $EQM_TEST_DIR && -d $EQM_TEST_DIR ]]; then
        if ((rc != 0)); then
            for log in "${_eqm_test_logs[@]}"; do
                eqm_test_log "exit $rc; last lines of $(basename "$log"):"
                tail -n 30 "$log" >&2 2>/dev/null
            done
        fi
        ((_eqm_test_stack)) && eqm_broker_stop "$EQM_TEST_DIR"
        if [[ ${EQM_TEST_KEEP:-0} == 1 ]]; then
            ((_eqm_test_stack)) && eqm_pg_stop "$EQM_TEST_DIR"
            eqm_test_log "kept $EQM_TEST_DIR"
        else
            ((_eqm_test_stack)) && eqm_pg_destroy "$EQM_TEST_DIR"
            rm -rf -- "$EQM_TEST_DIR"
        fi
    fi
    exit "$rc"
}

# eqm_test_scratch [LOG...]: a private $EQM_TEST_DIR, removed at exit
# with whatever eqm_test_bg registered; on failure the tail of each LOG is
# printed. No PostgreSQL, no broker.
eqm_test_scratch() {
    EQM_TEST_DIR=$(mktemp -d /tmp/eqm-it-"$EQM_TEST_NAME".XXXXXX)
    # The database files live under /var/tmp (see tools/stack.sh); this only
    # lets the postgres user traverse, e.g. for server-side COPY of fixtures.
    chmod 0755 "$EQM_TEST_DIR"
    export EQM_TEST_DIR
    _eqm_test_logs=("$@")
    trap _eqm_test_cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

# eqm_test_python MODULE...: prints the first of $EQM_TEST_PYTHON,
# /usr/bin/python3 and python3 that imports every MODULE (Debian's
# modules are /usr/bin/python3's), or fails naming them.
eqm_test_python() {
    local candidate modules
    modules=$(IFS=,; printf '%s' "$*")
    for candidate in ${EQM_TEST_PYTHON:-} /usr/bin/python3 python3; do
        if command -v "$candidate" >/dev/null 2>&1 &&
            "$candidate" -c "import $modules" 2>/dev/null; then
            printf '%s\n' "$candidate"
            return 0
        fi
    done
    fail "no python3 imports $* (./dev.sh setup installs Debian's modules)"
}

# eqm_test_stack_up [BROKER_ARGS...]: a private PostgreSQL and broker.
eqm_test_stack_up() {
    [[ -x $BIN/eqm-devbroker ]] || fail "$BIN/eqm-devbroker not built (EQM_BUILD_DIR=$EQM_BUILD_DIR)"
    eqm_test_scratch
    _eqm_test_stack=1
    _eqm_test_logs=("$EQM_TEST_DIR/broker.log" "$EQM_TEST_DIR/pg/postgres.log")
    eqm_pg_start "$EQM_TEST_DIR" >/dev/null || fail "PostgreSQL did not start"
    # Every program as its own role, as in production; EQM_PG_URL (the
    # owner) is for the test's own psql.
    eqm_pg_roles "$BIN" || fail "could not make the programs' roles"
    eqm_broker_start "$EQM_TEST_DIR" "$BIN" "$@" >/dev/null || fail "broker did not start"
    eqm_test_log "stack up: EQM_PG_URL=$EQM_PG_URL EQM_KAFKA_BROKERS=$EQM_KAFKA_BROKERS"
}

_eqm_counted_more() {
    [ "$(counted)" -gt "$1" ]
}

# eqm_crash_rounds TOTAL "SIG:SECONDS ..." -- CMD...: the crash tests' rounds.
# The test defines counted (what has been committed so far, a number). Each
# round starts CMD in the background, waits (60 s at most) until counted
# passes what it was, lets it run SECONDS more, then sends SIG (KILL or
# TERM) and waits for it. A TERM round must end with exit 0 (a clean stop
# mid-stream). The rounds stop early once TOTAL is counted (a fast
# consumer may finish the stream before a later round lands). Sets
# EQM_KILLS to the number of KILL rounds that landed mid-stream.
eqm_crash_rounds() {
    local total=$1 rounds=$2 round sig before pid rc at
    shift 2
    [[ ${1:-} == -- ]] && shift
    EQM_KILLS=0
    for round in $rounds; do
        sig=${round%%:*}
        before=$(counted)
        [ "$before" -lt "$total" ] || break
        # A simple command, so $! is the consumer's own pid.
        "$@" &
        pid=$!
        eqm_test_bg $pid
        eqm_wait_until 60 _eqm_counted_more "$before" || fail "the consumer counted nothing within 60 s"
        sleep "${round#*:}"
        kill -"$sig" $pid 2>/dev/null || true
        rc=0
        wait $pid 2>/dev/null || rc=$?
        at=$(counted)
        eqm_test_log "SIG$sig with $at of $total counted (exit $rc)"
        if [ "$sig" = TERM ]; then
            assert_eq 0 "$rc" "SIGTERM mid-stream is a clean stop"
        elif [ "$at" -lt "$total" ]; then
            EQM_KILLS=$((EQM_KILLS + 1))
        fi
    done
}

# eqm_dump_figures PATTERN FILE: every figure of the measures LIKE PATTERN
# (the analyst's view, equality.disparity), one tab-separated row each, in
# the column order tests/integration/expected_*.py read.
eqm_dump_figures() {
    psql -XAtq -v ON_ERROR_STOP=1 -F $'\t' "$EQM_PG_URL" -c "
        SELECT measure, area, dimension, grp, reference_grp, window_days, window_end, n, base,
               ref_n, ref_base, rate, rate_ci_low, rate_ci_high, ref_rate, ratio, ci_low, ci_high,
               note
          FROM equality.disparity WHERE measure LIKE '$1'" >"$2"
}

# eqm_dump_counts TABLE FILE: every non-zero count of a daily counts table
# keyed (day, area, dimension, grp), one row per count column, tab-separated.
eqm_dump_counts() {
    psql -XAtq -v ON_ERROR_STOP=1 -F $'\t' "$EQM_PG_URL" -c "
        SELECT c.day, c.area, c.dimension, c.grp, kv.key, kv.value
          FROM $1 c, jsonb_each_text(to_jsonb(c) - 'day' - 'area' - 'dimension' - 'grp') AS kv
         WHERE kv.value::bigint <> 0" >"$2"
}

# eqm_web_up [ARGS...]: eqm-web on port 0 (the kernel's choice, read from
# its "listening" line), registered with eqm_test_bg; URL its address.
_eqm_web_port() {
    grep -o 'msg="listening".*port=[0-9]*' "$EQM_TEST_DIR/web.log" | grep -o '[0-9]*$'
}

eqm_web_up() {
    "$BIN/eqm-web" --web-port 0 --log-level info "$@" >"$EQM_TEST_DIR/web.log" 2>&1 &
    eqm_test_bg $!
    if ! eqm_wait_until 20 _eqm_web_port >/dev/null; then
        cat "$EQM_TEST_DIR/web.log" >&2
        fail "eqm-web did not start"
    fi
    URL=http://127.0.0.1:$(_eqm_web_port)
    eqm_test_log "eqm-web at $URL"
}

eqm_web_get() {
    curl -sS --max-time 20 -o "$2" -w '%{http_code}' "$URL$1"
}

eqm_web_browse() {
    local py=$1 page=$2 png=$3 eval=$4 out
    out=$EQM_TEST_DIR/browser-$(basename "$png" .png).json
    timeout 90 "$py" "$EQM_SOURCE_DIR/tests/integration/browser.py" "$URL/$page" --timeout 60 \
        --ready 'window.eqmReady === true || !document.querySelector("canvas")' \
        --eval "$eval" --screenshot "$png" --out "$out" >/dev/null ||
        fail "browser: $page: $(cat "$out" 2>/dev/null)"
}

eqm_replay_areas() {
    local i
    for i in $(seq "$1" "$2"); do
        "$BIN/eqm-replay" police-uk --area "area-$i" "$CSV" 2>/dev/null
    done
}

eqm_searches() {
    psql_val "SELECT coalesce(sum(searches), 0) FROM equality.stop_search_daily
              WHERE area = 'force' AND dimension = 'gender'"
}

# eqm_arrest_phase TAG BLOCK GROUP:SEARCHES:ARRESTS...: stop-search events
# spread over the 28 days of block BLOCK (block 0 starts 2026-01-05), ids
# unique per phase tag, on one partition (key force), for the alert tests.
eqm_arrest_phase() {
    local tag=$1 block=$2
    shift 2
    python3 - "$tag" "$block" "$@" <<'PY' | kcat -P -b "$EQM_KAFKA_BROKERS" -t stop-search.events -k force
import datetime, json, sys
tag, block, specs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
start = datetime.date(2026, 1, 5) + datetime.timedelta(days=28 * block)
k = 0
for spec in specs:
    grp, searches, arrests = spec.split(":")
    for i in range(int(searches)):
        # day 27 always has an event, so the window ends on the block's last day
        day = start + datetime.timedelta(days=27 - (k % 28))
        k += 1
        print(json.dumps({
            "event_id": f"{tag}-{grp}-{i}", "event_type": "stop_search",
            "occurred_at": f"{day.isoformat()}T12:00:00Z", "area": "force",
            "self_defined_ethnicity": grp, "gender": "Male", "age_range": "18-24",
            "legislation": "Misuse of Drugs Act 1971 (section 23)",
            "outcome": "Arrest" if i < int(arrests) else "A no further action disposal",
            "outcome_linked_to_object_of_search": i < int(arrests)}))
PY
}

# eqm_arrest_rules FILE: the arrest-rate rules (28 days, ratio >= 2.0,
# clearing at 1.6) of the notification tests, one audience each: black for
# the stop and search scrutiny group (critical from 4.0), other for the EDI
# tactical group (min_count 1, no significance test), asian for the use of
# force scrutiny group (min_count 10).
eqm_arrest_rules() {
    python3 - "$1" <<'PY'
import json, sys
def rule(name, grp, audience, min_count, significant, **extra):
    r = {"name": name, "measure": "stop_search.arrest_rate", "dimension": "ethnicity",
         "groups": [grp], "window_days": 28, "comparison": ">=", "threshold": 2.0,
         "clear": 1.6, "min_count": min_count, "require_significant": significant,
         "audience": audience}
    r.update(extra)
    return r
rules = [rule("arrest-black", "black", "stop-search-scrutiny-group", 10, True,
              severity_steps=[{"at": 4.0, "severity": "critical"}]),
         rule("arrest-other", "other", "edi-tactical-group", 1, False),
         rule("arrest-asian", "asian", "use-of-force-scrutiny-group", 10, False)]
json.dump({"rules": rules}, open(sys.argv[1], "w"), indent=1)
PY
}

# eqm_arrest_consume RULES: eqm-stop-search over the events on its topic,
# judged whole (one batch, figures once idle), then it exits.
eqm_arrest_consume() {
    timeout 120 "$BIN/eqm-stop-search" --exit-when-idle 2 -X session.timeout.ms=6000 \
        --alerts-rules="$1" --metrics-interval-ms=600000 --batch-max-ms=5000 \
        --log-level warn || fail "eqm-stop-search failed"
}

# eqm_smtp_test_setup NAME: what the e-mail tests need before their SMTP
# sink (smtp_sink.py): kcat, openssl, /usr/bin/python3 with aiosmtpd (the
# Debian package's interpreter) and eqm-notify; the stack up and migrated;
# work=$EQM_TEST_DIR/NAME with work/mail and a certificate for 127.0.0.1
# (work/cert.pem, work/key.pem); sets work, PY_SINK and port (a free one).
eqm_smtp_test_setup() {
    command -v kcat >/dev/null || fail "kcat is not installed"
    command -v openssl >/dev/null || fail "openssl is not installed"
    PY_SINK=/usr/bin/python3
    "$PY_SINK" -c 'import aiosmtpd' 2>/dev/null || fail "python3-aiosmtpd is not installed"
    [[ -x $BIN/eqm-notify ]] || fail "$BIN/eqm-notify not built"
    # shellcheck disable=SC2119 # the default broker options
    eqm_test_stack_up
    "$BIN/eqm-admin" migrate >/dev/null
    work=$EQM_TEST_DIR/$1
    mkdir -p "$work/mail"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" \
        -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null \
        || fail "cannot make the test certificate"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
}
