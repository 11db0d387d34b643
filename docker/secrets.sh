#!/usr/bin/env bash
# docker/secrets.sh [DIR] - every secret docker/compose.yaml mounts, in DIR
# (default docker/secrets, which git ignores). Run once before
# `docker compose up`; an existing file is kept.
#
#   certificates        certs.sh: ca.crt, kafka.pem, postgres.crt, postgres.key
#   pg-owner-password   the schema owner's (migrations only)
#   pg-SERVICE-password each program's PostgreSQL login role (pg-init/roles.sh)
#   kafka-SERVICE-password  each program's SCRAM-SHA-512 user (kafka-init/init.sh)
#   kafka-ingest-password   eqm-ingest, the SCRAM user that writes the input topics
#   SERVICE.conf        the program's config file (EQM_CONFIG): pg.url with its
#                       role's password, sslmode=verify-full, and
#                       kafka.sasl.password -- the only place either is written
#   migrate.conf        eqm-admin migrate's, as the owner
#
# Passwords are 32 hex digits from openssl rand (no character needs quoting
# in a URI or a properties file). DIR is made 0700: the files inside are
# 0644 because each container reads its mounts under its own uid (postgres,
# kafka's appuser, the image's eqm), and compose's file secrets are bind
# mounts that keep the host's modes; the directory keeps them from the
# host's other users.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
dir=${1:-$here/secrets}
mkdir -p "$dir"
chmod 0700 "$dir"
"$here/certs.sh" "$dir"
cd "$dir"
password() {
    [[ -s $1 ]] && return 0
    (umask 022 && openssl rand -hex 16 >"$1")
}
password pg-owner-password
password kafka-ingest-password
while read -r service _kafka_user pg_login _pg_group; do
    [[ -z $service || $service == \#* ]] && continue
    password "pg-$service-password"
    password "kafka-$service-password"
    [[ -s $service.conf ]] && continue
    (
        umask 022
        printf '# eqm-%s (docker/secrets.sh): its secrets, nothing else.\n' "$service"
        printf 'pg.url = postgresql://%s:%s@postgres:5432/eqm?sslmode=verify-full&sslrootcert=/run/secrets/ca.crt\n' \
            "$pg_login" "$(cat "pg-$service-password")"
        printf 'kafka.sasl.password = %s\n' "$(cat "kafka-$service-password")"
    ) >"$service.conf"
done < <(grep -v '^#' "$here/programs")
if [[ ! -s migrate.conf ]]; then
    (
        umask 022
        printf '# eqm-admin migrate (docker/secrets.sh): the schema owner.\n'
        printf 'pg.url = postgresql://eqm:%s@postgres:5432/eqm?sslmode=verify-full&sslrootcert=/run/secrets/ca.crt\n' \
            "$(cat pg-owner-password)"
    ) >migrate.conf
fi
echo "secrets.sh: secrets in $dir"
