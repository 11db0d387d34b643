#!/usr/bin/env bash
# docker/ without a Docker engine (none runs here; README "Docker
# deployment"): what can be checked of the files, and what can be run of
# the scripts, is.
#
#   1. docker/secrets.sh (and certs.sh) run: every secret compose.yaml
#      names is made; the certificates verify against the CA and carry the
#      compose services' names; run again, nothing changes.
#   2. docker/kafka-init/init.sh runs with stand-ins for kafka-topics.sh,
#      kafka-configs.sh and kafka-acls.sh that record their arguments: the
#      contract's topics are made; each SCRAM user's credential file holds
#      its own password, which is on no command line.
#   3. check_docker_files.py: compose.yaml parses; healthchecks; non-root
#      users; no password written down; every -X a librdkafka property
#      (kcat -X list, librdkafka's own list); the ACLs exactly each
#      program's needs on the contract's topics.
#   4. Each program's compose command and config file (secrets.sh's) pass
#      the program's start-up checks: the Kafka settings are accepted, it
#      gets as far as PostgreSQL (the host "postgres" is not here).
#   5. docker/pg-init/roles.sh runs against a throwaway PostgreSQL before
#      the migrations (as the postgres image runs it), then the migrations,
#      then roles.sh again with the server logging every statement (its
#      log has the ALTER ROLEs and no password: roles.sh sends SCRAM
#      verifiers): each login role is no superuser and has no
#      other attribute, is a member of its group role only, its stored
#      SCRAM verifier is its secret's password (RFC 5802, computed here),
#      and it can do what its program needs and not what another's does.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib.sh"

eqm_test_scratch
src=$EQM_SOURCE_DIR
docker=$src/docker
py=$(eqm_test_python yaml)
contract=${EQM_CONTRACT:-$SHARED/CONTRACT.md}
[[ -f $contract ]] || fail "no contract at $contract (EQM_CONTRACT)"
command -v kcat >/dev/null || fail "kcat not installed (./dev.sh setup installs it)"
command -v openssl >/dev/null || fail "openssl not installed"
work=$EQM_TEST_DIR/docker
mkdir -p "$work"

# ---- 1. secrets.sh -------------------------------------------------------
secrets=$work/secrets
"$docker/secrets.sh" "$secrets" >/dev/null || fail "docker/secrets.sh failed"
assert_eq 700 "$(stat -c %a "$secrets")" "the secrets directory's mode"
for name in kafka postgres; do
    openssl verify -CAfile "$secrets/ca.crt" "$secrets/$name.crt" >/dev/null 2>&1 ||
        fail "$name.crt does not verify against ca.crt"
    openssl x509 -in "$secrets/$name.crt" -noout -ext subjectAltName | grep -qx "    DNS:$name" ||
        fail "$name.crt is not for the host name $name"
done
openssl pkey -in "$secrets/kafka.pem" -noout 2>/dev/null || fail "kafka.pem has no private key"
assert_eq "$(openssl x509 -in "$secrets/kafka.crt" -noout -fingerprint -sha256)" \
    "$(openssl x509 -in "$secrets/kafka.pem" -noout -fingerprint -sha256)" "kafka.pem's certificate"
# The key and the certificate belong together.
assert_eq "$(openssl pkey -in "$secrets/postgres.key" -pubout | sha256sum)" \
    "$(openssl x509 -in "$secrets/postgres.crt" -noout -pubkey | sha256sum)" "postgres key and certificate"
before=$(cd "$secrets" && sha256sum -- * | sort)
"$docker/secrets.sh" "$secrets" >/dev/null || fail "docker/secrets.sh failed the second time"
assert_eq "$before" "$(cd "$secrets" && sha256sum -- * | sort)" "secrets.sh run again changed a file"
for f in "$secrets"/*-password; do
    grep -qxE '[0-9a-f]{32}' "$f" || fail "$(basename "$f") is not 32 hex digits"
done
n=$(find "$secrets" -name '*-password' | sort -u | xargs cat | sort -u | wc -l)
assert_eq "$(find "$secrets" -name '*-password' | wc -l)" "$n" "every password differs"

# ---- 2. kafka-init/init.sh with stand-ins --------------------------------
stub=$work/kafka-bin
mkdir -p "$stub"
for tool in kafka-topics.sh kafka-configs.sh kafka-acls.sh; do
    cat >"$stub/$tool" <<'STUB'
#!/usr/bin/env bash
# Records the call; kafka-configs.sh's --add-config-file is copied too.
printf '%s %s\n' "$(basename "$0")" "$*" >>"$EQM_STUB_LOG"
prev=
for a in "$@"; do
    if [[ $prev == --add-config-file ]]; then
        cp -- "$a" "$EQM_STUB_DIR/config-$(basename "$a")"
        printf 'mode %s\n' "$(stat -c %a "$a")" >>"$EQM_STUB_DIR/config-$(basename "$a")"
    fi
    prev=$a
done
STUB
    chmod +x "$stub/$tool"
done
log=$work/kafka-init.log
: >"$log"
EQM_STUB_LOG=$log EQM_STUB_DIR=$work KAFKA_BIN=$stub EQM_SECRETS_DIR=$secrets \
    EQM_PROGRAMS=$docker/programs bash "$docker/kafka-init/init.sh" >/dev/null ||
    fail "kafka-init/init.sh failed"
for t in stop-search.events custody.events recruitment.events equality.alerts equality.dead-letter; do
    grep -qE "^kafka-topics.sh .*--create --if-not-exists --topic $t " "$log" || fail "topic $t not made"
done
while read -r service user _login _group; do
    [[ -z $service || $service == \#* ]] && continue
    f=$work/config-$user
    [[ -f $f ]] || fail "no SCRAM credential file for $user"
    assert_eq "SCRAM-SHA-512=[iterations=8192,password=$(cat "$secrets/kafka-$service-password")]" \
        "$(head -n 1 "$f")" "$user's SCRAM credential"
    assert_eq "mode 600" "$(tail -n 1 "$f")" "$user's credential file's mode"
    grep -qE "^kafka-configs.sh .*--entity-type users --entity-name $user --add-config-file " "$log" ||
        fail "no SCRAM user $user"
done < <(grep -v '^#' "$docker/programs")
for f in "$secrets"/*-password; do
    ! grep -qF "$(cat "$f")" "$log" || fail "a password ($(basename "$f")) is on a command line"
done

# ---- 3. The files ---------------------------------------------------------
props=$work/librdkafka-properties
kcat -X list 2>&1 | awk -F'|' 'NF > 4 { gsub(/ /, "", $1); if ($1 ~ /^[a-z_.]+$/) print $1 }' |
    sort -u >"$props"
grep -qx security.protocol "$props" || fail "kcat -X list: no property list"
"$py" "$here/check_docker_files.py" "$src" "$contract" "$props" "$log" "$secrets" >"$work/check.out" ||
    fail "check_docker_files.py: $(tail -n 1 "$work/check.out")"
while read -r line; do eqm_test_log "$line"; done <"$work/check.out"

# ---- 4. The compose commands pass the programs' own checks ---------------
subs=$work/subscriptions
printf 'stop-search-scrutiny-group  alice  email  alice@force.example\n' >"$subs"
"$py" - "$docker/compose.yaml" >"$work/commands" <<'PY'
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
for name, svc in c["services"].items():
    if svc.get("build") and name != "migrate":
        print(name + "\t" + "\t".join(svc["command"]))
PY
while IFS=$'\t' read -r -a cmd; do
    service=${cmd[0]}
    args=("${cmd[@]:1}")
    args=("${args[@]//\/run\/secrets\//$secrets/}")
    rc=0
    out=$(env -i PATH="$PATH" EQM_CONFIG="$secrets/$service.conf" EQM_KAFKA_BROKERS=kafka:9093 \
        EQM_NOTIFY_SUBSCRIPTIONS="$subs" EQM_SMTP_URL=smtp://127.0.0.1:1 EQM_SMTP_FROM=eqm@force.example \
        timeout 15 "$BIN/${args[0]}" "${args[@]:1}" --log-level info 2>&1) || rc=$?
    ((rc != 2)) || fail "$service: its compose command is refused: $out"
    ! grep -q 'Kafka propert' <<<"$out" || fail "$service: Kafka settings refused: $out"
    # eqm-web starts without PostgreSQL (timeout: 124); the others stop at it.
    if [[ $service != web ]]; then
        grep -qE 'PostgreSQL|postgres' <<<"$out" || fail "$service did not get as far as PostgreSQL: $out"
    fi
    ! grep -qF "$(cat "$secrets/pg-$service-password")" <<<"$out" || fail "$service logged its password"
    eqm_test_log "ok: $service: compose command and config file accepted (exit $rc)"
done <"$work/commands"

# ---- 5. pg-init/roles.sh against a throwaway PostgreSQL -------------------
eqm_pg_start "$EQM_TEST_DIR" >/dev/null || fail "PostgreSQL did not start"
_eqm_test_stack=1 # the cleanup destroys the cluster
_eqm_test_logs=("$EQM_TEST_DIR/pg/postgres.log")
port=$(cat "$EQM_TEST_DIR/port")
roles() {
    PGHOST=127.0.0.1 PGPORT=$port POSTGRES_USER=eqm POSTGRES_DB=eqm EQM_SECRETS_DIR=$secrets \
        EQM_PROGRAMS=$docker/programs bash "$docker/pg-init/roles.sh"
}
roles >/dev/null || fail "roles.sh failed on a new cluster"
EQM_ADMIN_PG_URL=$EQM_PG_URL "$BIN/eqm-admin" migrate >/dev/null || fail "migrations after roles.sh failed"
# Run again with every statement logged: the server's log has the ALTER
# ROLEs, and no password (roles.sh sends each one's SCRAM verifier).
home=$(readlink -f "$EQM_TEST_DIR/pg")
su_psql() { _eqm_as_pg psql -XAtq -v ON_ERROR_STOP=1 -h "$home/sock" -p "$port" -U postgres -d eqm "$@"; }
su_psql -c "ALTER SYSTEM SET log_statement = 'all'" -c "SELECT pg_reload_conf()" >/dev/null
for _ in $(seq 50); do # the reload is asynchronous: up to 5 s
    [[ $(su_psql -c "SHOW log_statement") == all ]] && break
    sleep 0.1
done
[[ $(su_psql -c "SHOW log_statement") == all ]] || fail "log_statement = all did not take"
roles >/dev/null || fail "roles.sh failed when run again"
su_psql -c "ALTER SYSTEM RESET log_statement" -c "SELECT pg_reload_conf()" >/dev/null
grep -q "ALTER ROLE" "$EQM_TEST_DIR/pg/postgres.log" || fail "the server did not log the ALTER ROLEs"
for f in "$secrets"/pg-*-password; do
    ! grep -qF "$(cat "$f")" "$EQM_TEST_DIR/pg/postgres.log" ||
        fail "$(basename "$f") is in the server's log"
done
eqm_test_log "ok: roles.sh under log_statement = all: the ALTER ROLEs logged, no password in them"
# The superuser's view (pg_authid) for the verifiers (su_psql above).
as() { psql -XAtq -v ON_ERROR_STOP=1 "postgresql://$1@127.0.0.1:$port/eqm" -c "$2" 2>&1; }
groups_all="eqm_stop_search eqm_custody eqm_recruitment eqm_relay eqm_notify eqm_analyst eqm_admin"
while read -r service _user login group; do
    [[ -z $service || $service == \#* ]] && continue
    attrs=$(su_psql -c "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication,
        rolbypassrls FROM pg_roles WHERE rolname = '$login'")
    assert_eq "t|f|f|f|f|f" "$attrs" "$login: LOGIN and nothing else"
    for g in $groups_all; do
        want=f
        [[ $g == "$group" ]] && want=t
        assert_eq "$want" "$(su_psql -c "SELECT pg_has_role('$login', '$g', 'MEMBER')")" \
            "$login member of $g (t/f)"
    done
    verifier=$(su_psql -c "SELECT rolpassword FROM pg_authid WHERE rolname = '$login'")
    "$py" - "$verifier" "$secrets/pg-$service-password" <<'PY' || fail "$login: the stored verifier is not its password's"
# RFC 5802 section 3 / RFC 7677: StoredKey = H(HMAC(SaltedPassword, "Client Key")),
# ServerKey = HMAC(SaltedPassword, "Server Key"), SaltedPassword = PBKDF2-HMAC-SHA-256.
import base64, hashlib, hmac, sys
v, pw = sys.argv[1], open(sys.argv[2]).read().strip().encode()
m, rest = v.split("$", 1)
it_salt, keys = rest.split("$")
it, salt = it_salt.split(":")
stored, server = keys.split(":")
assert m == "SCRAM-SHA-256", m
salted = hashlib.pbkdf2_hmac("sha256", pw, base64.b64decode(salt), int(it))
ck = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
sk = hmac.new(salted, b"Server Key", hashlib.sha256).digest()
assert base64.b64encode(hashlib.sha256(ck).digest()).decode() == stored
assert base64.b64encode(sk).decode() == server
PY
done < <(grep -v '^#' "$docker/programs")
eqm_test_log "ok: every login role: LOGIN only, its group only, its password's SCRAM verifier"

# What each must do, and a thing it must not.
may() { as "$1" "$2" >/dev/null || fail "$1 may not: $2: $(as "$1" "$2")"; }
mayNot() {
    local out
    if out=$(as "$1" "$2"); then fail "$1 may: $2"; fi
    grep -q 'permission denied' <<<"$out" || fail "$1 refused for another reason: $2: $out"
}
may eqm_svc_stop_search "SELECT count(*) FROM equality.stop_search_daily"
may eqm_svc_stop_search "SELECT count(*) FROM equality.kafka_offsets"
mayNot eqm_svc_stop_search "SELECT count(*) FROM equality.custody_daily"
may eqm_svc_custody "SELECT count(*) FROM equality.custody_daily"
mayNot eqm_svc_custody "SELECT count(*) FROM equality.stop_search_daily"
may eqm_svc_recruitment "SELECT count(*) FROM equality.recruitment_daily"
mayNot eqm_svc_recruitment "SELECT count(*) FROM equality.notify_alerts"
may eqm_svc_relay "SELECT count(*) FROM equality.alert_outbox"
mayNot eqm_svc_relay "SELECT count(*) FROM equality.stop_search_daily"
may eqm_svc_notify "SELECT count(*) FROM equality.notify_alerts"
may eqm_svc_notify "SELECT count(*) FROM equality.alerts_current"
mayNot eqm_svc_notify "SELECT count(*) FROM equality.alert_outbox"
may eqm_svc_web "SELECT count(*) FROM equality_read.metrics"
mayNot eqm_svc_web "SELECT count(*) FROM equality.stop_search_daily"
for login in eqm_svc_stop_search eqm_svc_relay eqm_svc_web; do
    mayNot "$login" "CREATE TABLE equality.intruder (x int)"
done
eqm_test_log "ok: each login role does what its program needs, and not another's"
eqm_test_log "PASS"
