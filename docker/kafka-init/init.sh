#!/usr/bin/env bash
# docker/kafka-init/init.sh - the broker's topics, SCRAM users and ACLs
# (compose.yaml's kafka-init, in the apache/kafka image). It shares the
# broker's network namespace and speaks to its loopback-only PLAINTEXT
# listener, whose principal (User:ANONYMOUS) is the broker's super user;
# no other container can reach that listener. Every program reaches the
# broker over SASL_SSL as its own SCRAM-SHA-512 user, allowed only this:
#
#   eqm-stop-search, eqm-custody, eqm-recruitment
#       Read its input topic and its consumer group (eqm-<name>); Write
#       equality.dead-letter (idempotent producer: Write implies it)
#   eqm-alert-relay   Write equality.alerts
#   eqm-notify        Read equality.alerts and its group eqm-notify
#   eqm-web           Describe the four topics it shows the lag of
#   eqm-ingest        Write the three input topics (the force's feeds,
#                     eqm-replay); its password is kafka-ingest-password
#
# Each SCRAM password comes from /run/secrets/kafka-SERVICE-password
# through a file given to kafka-configs.sh --add-config-file, never its
# command line. Run again, it changes nothing but the passwords.
set -euo pipefail
bin=${KAFKA_BIN:-/opt/kafka/bin}
secrets=${EQM_SECRETS_DIR:-/run/secrets}
programs=${EQM_PROGRAMS:-/etc/equality-monitor/programs}
bootstrap=${EQM_KAFKA_ADMIN_BOOTSTRAP:-127.0.0.1:9092}
partitions=${EQM_KAFKA_PARTITIONS:-16}

topics=(stop-search.events custody.events recruitment.events equality.alerts equality.dead-letter)
for t in "${topics[@]}"; do
    "$bin/kafka-topics.sh" --bootstrap-server "$bootstrap" --create --if-not-exists --topic "$t" \
        --partitions "$partitions" --replication-factor 1 >/dev/null
done

umask 077
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 0700 "$tmp"
# scram USER SERVICE: USER's SCRAM-SHA-512 credential from SERVICE's secret.
scram() {
    local file=$secrets/kafka-$2-password
    [[ -s $file ]] || { echo "kafka-init: $file missing or empty" >&2; exit 1; }
    printf 'SCRAM-SHA-512=[iterations=8192,password=%s]\n' "$(tr -d '\r\n' <"$file")" >"$tmp/$1"
    "$bin/kafka-configs.sh" --bootstrap-server "$bootstrap" --alter --entity-type users \
        --entity-name "$1" --add-config-file "$tmp/$1" >/dev/null
    rm -f "$tmp/$1"
}
# acl USER OPERATION --topic T | --group G
acl() {
    "$bin/kafka-acls.sh" --bootstrap-server "$bootstrap" --add --allow-principal "User:$1" \
        --operation "$2" "${@:3}" >/dev/null
}

while read -r service user _pg_login _pg_group; do
    [[ -z $service || $service == \#* ]] && continue
    scram "$user" "$service"
    case $service in
    stop-search | custody | recruitment)
        acl "$user" Read --topic "$service.events"
        acl "$user" Read --group "$user"
        acl "$user" Write --topic equality.dead-letter
        ;;
    alert-relay) acl "$user" Write --topic equality.alerts ;;
    notify)
        acl "$user" Read --topic equality.alerts
        acl "$user" Read --group "$user"
        ;;
    web)
        for t in stop-search.events custody.events recruitment.events equality.alerts; do
            acl "$user" Describe --topic "$t"
        done
        ;;
    *) echo "kafka-init: no ACLs known for $service" >&2; exit 1 ;;
    esac
done < <(grep -v '^#' "$programs")

if [[ -s $secrets/kafka-ingest-password ]]; then
    scram eqm-ingest ingest
    for t in stop-search.events custody.events recruitment.events; do
        acl eqm-ingest Write --topic "$t"
    done
fi
echo "kafka-init: topics, users and ACLs in place"
