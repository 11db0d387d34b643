#!/usr/bin/env bash
# docker/certs.sh DIR - the deployment's TLS certificates, made with openssl:
#
#   DIR/ca.crt, DIR/ca.key        a private CA (keep ca.key off the hosts)
#   DIR/kafka.pem                 the broker's key and certificate (PEM
#                                 keystore), subjectAltName DNS:kafka
#   DIR/postgres.crt, .key        the database's, subjectAltName DNS:postgres
#
# The names are the compose services' (docker/compose.yaml), so clients
# with sslmode=verify-full / librdkafka's default host name check accept
# them. An existing file is kept (run it again to fill in what is missing;
# delete a file to make it anew). Valid 825 days.
set -euo pipefail
dir=${1:?usage: docker/certs.sh DIR}
days=825
mkdir -p "$dir"
cd "$dir"
umask 077
q() { openssl "$@" 2>/dev/null >/dev/null || { echo "certs.sh: openssl $1 failed" >&2; exit 1; }; }
if [[ ! -s ca.crt || ! -s ca.key ]]; then
    q req -x509 -newkey rsa:3072 -nodes -keyout ca.key -subj "/CN=Equality Monitor deployment CA" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -days "$days" -out ca.crt
fi
# server NAME: NAME.key and NAME.crt for the host name NAME, signed by the CA.
server() {
    [[ -s $1.crt && -s $1.key ]] && return 0
    q req -new -newkey rsa:3072 -nodes -keyout "$1.key" -subj "/CN=$1" -out "$1.csr"
    printf 'subjectAltName=DNS:%s\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature,keyEncipherment\n' \
        "$1" >"$1.ext"
    q x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days "$days" \
        -extfile "$1.ext" -out "$1.crt"
    rm -f "$1.csr" "$1.ext"
}
server kafka
server postgres
# Kafka reads a PEM keystore: the private key (PKCS#8) then the chain.
if [[ ! -s kafka.pem ]]; then
    { openssl pkcs8 -topk8 -nocrypt -in kafka.key; cat kafka.crt ca.crt; } >kafka.pem
fi
chmod 0644 ca.crt kafka.crt postgres.crt
echo "certs.sh: certificates in $dir (CA: ca.crt)"
