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
# copy) say where to read. No password reaches the server: each is made
# here into its SCRAM-SHA-256 verifier (RFC 5802 / RFC 7677, as libpq's
# PQencryptPasswordConn makes it; perl's core Digest::SHA), and the verifier
# is what ALTER ROLE sends, so a server that logs statements
# (log_statement = all, a failing ALTER under log_min_error_statement) or
# keeps them (pg_stat_statements) holds no password. Passwords are
# printable ASCII (secrets.sh makes hex), which SASLprep leaves as they are;
# neither password nor verifier is on a command line.
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

# scram FILE: the SCRAM-SHA-256 verifier of the password in FILE (its
# first line), with 4096 iterations (PostgreSQL's default) and a random
# 16-byte salt.
scram() {
    perl -MDigest::SHA=sha256,hmac_sha256 -MMIME::Base64 -e '
        open(my $f, "<", $ARGV[0]) or die "cannot read $ARGV[0]\n";
        my $pw = <$f>;
        $pw = "" unless defined $pw;
        $pw =~ s/[\r\n]+\z//;
        die "the password in $ARGV[0] is not printable ASCII\n" if $pw eq "" || $pw =~ /[^\x20-\x7e]/;
        open(my $r, "<:raw", "/dev/urandom") or die "no /dev/urandom\n";
        read($r, my $salt, 16) == 16 or die "short read of /dev/urandom\n";
        my $iter = 4096;
        # PBKDF2-HMAC-SHA-256, one 32-byte block: U1 = HMAC(pw, salt || INT(1)), ...
        my $u = hmac_sha256($salt . pack("N", 1), $pw);
        my $salted = $u;
        for (2 .. $iter) { $u = hmac_sha256($u, $pw); $salted ^= $u; }
        my $client = hmac_sha256("Client Key", $salted);
        my $server = hmac_sha256("Server Key", $salted);
        printf "SCRAM-SHA-256\$%d:%s\$%s:%s\n", $iter, encode_base64($salt, ""),
            encode_base64(sha256($client), ""), encode_base64($server, "");
    ' "$1"
}
perl -MDigest::SHA -e 1 2>/dev/null ||
    { echo "roles.sh: needs perl with Digest::SHA (the perl package) for the SCRAM verifiers" >&2; exit 1; }

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
        pw=$(scram "$file") || { echo "roles.sh: $file: no verifier made" >&2; exit 1; }
        # psql quotes :'pw' as a literal (a verifier has no quote).
        printf '\\set pw %s\n' "'$pw'"
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
