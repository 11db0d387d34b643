#!/usr/bin/env bash
# Hostile messages interleaved with valid ones on every input topic, while
# the broker fails fetches, offset commits and the dead letters' produce
# requests: every consumer keeps running and stops cleanly, every valid
# event is counted exactly once, and every hostile message is a dead letter
# exactly once in PostgreSQL (on the topic at least once, keyed by its
# source position) -- also after a restart.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

FIX=$EQM_SOURCE_DIR/tests/fixtures/invalid
eqm_test_stack_up
"$BIN/eqm-admin" migrate >/dev/null
work=$EQM_TEST_DIR/streams
mkdir -p "$work"

# Valid events, one JSON line each.
for i in 1 2 3; do
    "$BIN/eqm-replay" police-uk --area "area-$i" --output - "$CSV" 2>/dev/null
done >"$work/stop-search.jsonl"
"$BIN/eqm-replay" synth custody --seed 7 --events 1500 --area A1,A2 -o "$work/custody.jsonl" \
    2>/dev/null
"$BIN/eqm-replay" synth recruitment --seed 3 --candidates white=60,black=30,asian=20 \
    --headcount white=400,black=20,asian=30 --joiners white=8,black=2 --leaver-rate 0.05 \
    -o "$work/recruitment.jsonl" 2>/dev/null

# Hostile messages: every invalid fixture of the topic, a cut UTF-8
# character after an escape, 40 runs of random bytes and an oversized one.
hostile() { # TOPIC DIR: writes the topic's hostile messages, one file each, into DIR
    local n=0
    mkdir -p "$2"
    for f in "$FIX/$1"/*; do
        [[ -s $f ]] || continue # kcat sends no empty message
        cp "$f" "$2/h$n"
        n=$((n + 1))
    done
    printf '"\\\xc3\xa9' >"$2/h$n"
    n=$((n + 1))
    for _ in $(seq 40); do
        head -c $((RANDOM % 300 + 1)) /dev/urandom >"$2/h$n"
        n=$((n + 1))
    done
    head -c 1500000 /dev/zero | tr '\0' 'x' >"$2/h$n"
}

# Interleaves TOPIC's valid lines with its hostile files (one every 10
# messages) and produces them in that order, one message per file.
produce() {
    local topic=$1 name=$2 d=$work/$2 i=0 h=0 line
    local -a hs
    hostile "$name" "$d/hostile"
    mapfile -t hs < <(ls "$d/hostile")
    mkdir -p "$d/msgs"
    while IFS= read -r line; do
        printf '%s' "$line" >"$d/msgs/$(printf '%06d' "$i")"
        i=$((i + 1))
        if ((i % 10 == 0 && h < ${#hs[@]})); then
            cp "$d/hostile/${hs[h]}" "$d/msgs/$(printf '%06d' "$i")"
            i=$((i + 1))
            h=$((h + 1))
        fi
    done <"$work/$name.jsonl"
    while ((h < ${#hs[@]})); do
        cp "$d/hostile/${hs[h]}" "$d/msgs/$(printf '%06d' "$i")"
        i=$((i + 1))
        h=$((h + 1))
    done
    (cd "$d/msgs" && find . -type f | sort | xargs kcat -P -b "$EQM_KAFKA_BROKERS" -t "$topic" \
        -X message.max.bytes=4000000)
    echo "${#hs[@]}" >"$d/n_hostile"
}
produce stop-search.events stop-search
produce custody.events custody
produce recruitment.events recruitment

run_all() { # LOG_SUFFIX: the three consumers at once, until idle; all must exit 0
    local pids=() svc rc
    for svc in stop-search custody recruitment; do
        timeout 300 "$BIN/eqm-$svc" --exit-when-idle 5 --batch-max-messages 50 --batch-max-ms 20 \
            -X session.timeout.ms=6000 --log-level warn 2>"$work/$svc.$1.log" &
        pids+=($!)
    done
    eqm_test_bg "${pids[@]}"
    if [[ $1 == first ]]; then
        # The broker fails fetches, commits and produce requests meanwhile.
        sleep 1
        eqm_ctl push-errors Fetch NOT_LEADER_FOR_PARTITION 6 >/dev/null
        eqm_ctl push-errors OffsetCommit REQUEST_TIMED_OUT 4 >/dev/null
        eqm_ctl push-errors Produce NOT_LEADER_FOR_PARTITION 4 >/dev/null
        eqm_ctl push-errors Produce MSG_SIZE_TOO_LARGE 2 >/dev/null
    fi
    for i in 0 1 2; do
        rc=0
        wait "${pids[i]}" || rc=$?
        assert_eq 0 "$rc" "eqm-${svc_names[i]} ran through the hostile stream and stopped cleanly"
    done
}
svc_names=(stop-search custody recruitment)

check() { # WHEN
    local custody_events
    assert_eq "$(wc -l <"$work/stop-search.jsonl")" "$(eqm_searches)" \
        "stop-search: every valid event counted once ($1)"
    custody_events=$(psql_val "SELECT sum(arrests + detentions + strip_searches + use_of_force
                                         + disposals) FROM equality.custody_daily
                                WHERE area = 'force' AND dimension = 'gender'")
    assert_eq "$(wc -l <"$work/custody.jsonl")" "$custody_events" \
        "custody: every valid event counted once ($1)"
    for svc in stop-search custody recruitment; do
        assert_eq "$(grep -o '"event_id":"[^"]*"' "$work/$svc.jsonl" | sort -u | wc -l)" \
            "$(psql_val "SELECT count(*) FROM equality.event_keys WHERE source = '$svc'")" \
            "$svc: one de-duplication key per valid event ($1)"
        assert_eq "$(cat "$work/$svc/n_hostile")" \
            "$(psql_val "SELECT count(*) FROM equality.dead_letters WHERE source = '$svc'")" \
            "$svc: every hostile message a dead letter once ($1)"
    done
}

run_all first
check "with broker faults"
# On the topic: every hostile message's source position at least once.
positions=$(kcat -C -b "$EQM_KAFKA_BROKERS" -t equality.dead-letter -e -q \
    -X fetch.message.max.bytes=4000000 -f '%h\n' 2>/dev/null |
    sed -n 's/.*eqm-source-topic=\([^,]*\),eqm-source-partition=\([0-9]*\),eqm-source-offset=\([0-9]*\).*/\1 \2 \3/p' |
    sort -u | wc -l)
assert_eq "$(psql_val "SELECT count(*) FROM equality.dead_letters")" "$positions" \
    "every dead letter is on equality.dead-letter, by source position"

run_all again
check "after a restart"
echo "PASS test_hostile_streams"
