#!/usr/bin/env python3
"""tests/integration/tls_probe.py - a TLS listener on loopback standing where
a Kafka broker's SSL listener would, for tests/integration/test_kafka_security.sh
(the development broker, librdkafka's mock cluster, has no SSL listener).

    tls_probe.py RESULTS CERT KEY [--client-ca CA] [--seconds N]

Listens on 127.0.0.1, port chosen by the system, and prints the port on
stdout. With --client-ca it asks every client for a certificate signed by
CA (mutual TLS) and refuses one without. Each connection appends one line
to RESULTS:

    ok cn=<client CN or -> api_key=<N> client_id=<id>
    fail <reason>

where api_key and client_id are read from the first Kafka request sent
over TLS (a Kafka client opens with ApiVersions, key 18). Nothing is
answered: the client then times out and tries again, which the test does
not wait for. Exits after N seconds (default 60).
"""
import argparse
import socket
import ssl
import struct
import sys
import time


def first_request(conn):
    """(api_key, client_id) of the first request, or None."""
    data = b""
    conn.settimeout(5)
    while len(data) < 14:
        chunk = conn.recv(4096)
        if not chunk:
            return None
        data += chunk
    # Size (int32), then the header: api_key, api_version (int16),
    # correlation_id (int32), client_id (int16 length, bytes).
    _size, api_key, _version, _corr, id_len = struct.unpack(">ihhih", data[:14])
    while len(data) < 14 + max(id_len, 0):
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    client_id = data[14:14 + max(id_len, 0)].decode("utf-8", "replace")
    return api_key, client_id


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("cert")
    ap.add_argument("key")
    ap.add_argument("--client-ca")
    ap.add_argument("--seconds", type=float, default=60)
    args = ap.parse_args()

    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    if args.client_ca:
        ctx.load_verify_locations(args.client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(16)
    print(srv.getsockname()[1], flush=True)
    deadline = time.monotonic() + args.seconds
    while time.monotonic() < deadline:
        srv.settimeout(max(0.1, deadline - time.monotonic()))
        try:
            raw, _peer = srv.accept()
        except socket.timeout:
            break
        raw.settimeout(5)
        try:
            conn = ctx.wrap_socket(raw, server_side=True)
        except (ssl.SSLError, OSError) as e:
            line = "fail %s" % (getattr(e, "reason", None) or e)
            raw.close()
        else:
            cn = "-"
            peer = conn.getpeercert()
            for rdn in (peer or {}).get("subject", ()):
                for k, v in rdn:
                    if k == "commonName":
                        cn = v
            try:
                req = first_request(conn)
            except (OSError, struct.error):
                req = None
            line = ("ok cn=%s api_key=%d client_id=%s" % (cn, req[0], req[1]) if req else
                    "ok cn=%s api_key=- client_id=-" % cn)
            conn.close()
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
