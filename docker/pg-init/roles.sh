#!/usr/bin/env bash
# docker/pg-init/roles.sh - each program's PostgreSQL login role, with its
# password from the docker secret /run/secrets/pg-SERVICE-password, granted
# its group role of schemas/sql/018_roles.sql (docker/programs says which).
#
# The postgres image runs it once, when the cluster is made
# (/docker-entrypoint-initdb.d), before any migration: so it makes the
# group roles too, NOLOGIN and with no rights, as 018 allows ("a DBA may
# create them beforehand"); 018 then grants them their rights. Run again
# it changes nothing but the passwords. Login roles get no attribute beyond
# LOGIN (not superuser, no CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS);
# an existing one that has any is an error. The owner needs only
# CREATEROLE (the image's POSTGRES_USER is a superuser).
#
# Connects with psql as $POSTGRES_USER to $POSTGRES_DB (the image's
# variables; libpq's PGHOST/PGPORT are honoured), so
# tests/integration/test_docker_files.sh runs it against the throwaway
# cluster. EQM_SECRETS_DIR (default /run/secrets) and EQM_PROGRAMS (default
# the programs file beside this script, or /docker-entrypoint-initdb.d's
# copy) say where to read. Passwords reach psql on its standard input,
# never its command line.
set -euo pipefail
secrets=${EQM_SECRETS_DIR:-/run/secrets}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
programs=${EQM_PROGRAMS:-}
if [[ -z $programs ]]; then
    for p in "$here/programs" "$here/../programs"; do
        [[ -f $p ]] && programs=$p && break
    done
fi
[[ -f $programs ]] || { echo "roles.sh: no programs file (EQM_PROGRAMS)" >&2; exit 1; }

sql=$(mktemp)
trap 'rm -f "$sql"' EXIT
chmod 0600 "$sql"
{
    echo '\set ON_ERROR_STOP 1'
    # The group roles of 018, if a DBA has not made them.
    for group in eqm_stop_search eqm_custody eqm_recruitment eqm_relay eqm_notify eqm_analyst \
        eqm_admin; do
        printf "SELECT format('CREATE ROLE %%I NOLOGIN', '%s') WHERE NOT EXISTS " "$group"
        printf "(SELECT 1 FROM pg_roles WHERE rolname = '%s') \\\\gexec\n" "$group"
    done
    while read -r service _kafka_user login group; do
        [[ -z $service || $service == \#* ]] && continue
        file=$secrets/pg-$service-password
        [[ -s $file ]] || { echo "roles.sh: $file missing or empty" >&2; exit 1; }
        pw=$(tr -d '\r\n' <"$file")
        # psql quotes :'pw' as a literal; the password is not in the process list.
        printf '\\set pw %s\n' "'${pw//\'/\'\'}'"
        printf "SELECT format('CREATE ROLE %%I LOGIN', '%s') WHERE NOT EXISTS " "$login"
        printf "(SELECT 1 FROM pg_roles WHERE rolname = '%s') \\\\gexec\n" "$login"
        printf "SELECT format('ALTER ROLE %%I LOGIN PASSWORD %%L', '%s', :'pw') \\\\gexec\n" "$login"
        # A role made here has no other attribute; one a DBA made with more
        # is refused, not used.
        printf "SELECT 'DO \$\$BEGIN RAISE EXCEPTION ''role %s has more than LOGIN''; END\$\$' " "$login"
        printf "FROM pg_roles WHERE rolname = '%s' AND (rolsuper OR rolcreatedb OR rolcreaterole " "$login"
        printf "OR rolreplication OR rolbypassrls) \\\\gexec\n"
        printf 'GRANT %s TO %s;\n' "$group" "$login"
        echo '\unset pw'
    done < <(grep -v '^#' "$programs")
} >"$sql"
psql -X -q --username "${POSTGRES_USER:-eqm}" --dbname "${POSTGRES_DB:-eqm}" <"$sql" >/dev/null
echo "roles.sh: login roles made"
