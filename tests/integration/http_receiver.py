#!/usr/bin/env python3
"""tests/integration/http_receiver.py - a webhook receiver on loopback for
tests/integration/test_notify_webhook_http.sh.

    http_receiver.py DIR [--hang-seconds N] [--tls CERT KEY]

Listens on 127.0.0.1, port chosen by the system, and prints the port on
stdout; with --tls it speaks HTTPS with that certificate and key. Every request is recorded, before it is answered, as DIR/NNNN.json:
{"method", "path", "headers": [[name, value], ...], "body"}. The first
segment of the path says how to answer:

  /ok/...           200 "ok"
  /busy/...         429 with Retry-After: 2
  /unavailable/...  503 with Retry-After: an HTTP-date 30 s from now
  /fail/...         500 "internal error"
  /missing/...      404 "no such hook"
  /echo/...         400 with the request line and every header in the body
                    (a careless server quoting what it was sent)
  /long/...         500 with 2,000 bytes of "é" (two bytes each)
  /hang/...         sleeps N seconds (default 5), then 200
  /flaky/...        429 with Retry-After: 1 to the first request of each
                    Idempotency-Key, 200 to every later one

Each record also has "at", the time it arrived (seconds since the epoch).
"""
import email.utils
import http.server
import json
import os
import ssl
import sys
import threading
import time


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def record(self, body):
        with self.server.lock:
            self.server.seq += 1
            seq = self.server.seq
        rec = {"method": self.command, "path": self.path, "at": time.time(),
               "headers": [[k, v] for k, v in self.headers.items()],
               "body": body.decode("utf-8", "replace")}
        final = os.path.join(self.server.dir, "%04d.json" % seq)
        with open(final + ".tmp", "w", encoding="utf-8") as f:
            json.dump(rec, f, ensure_ascii=False)
        os.rename(final + ".tmp", final)

    def answer(self, status, body, headers=()):
        data = body.encode("utf-8")
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        self.record(body)
        kind = self.path.split("/")[1] if self.path.count("/") else ""
        kind = kind.split("?")[0]
        if kind == "ok":
            self.answer(200, "ok")
        elif kind == "busy":
            self.answer(429, "slow down", [("Retry-After", "2")])
        elif kind == "unavailable":
            when = email.utils.formatdate(time.time() + 30, usegmt=True)
            self.answer(503, "maintenance", [("retry-after", when)])
        elif kind == "fail":
            self.answer(500, "internal error")
        elif kind == "missing":
            self.answer(404, "no such hook")
        elif kind == "echo":
            lines = ["%s %s" % (self.command, self.path)]
            lines += ["%s: %s" % (k, v) for k, v in self.headers.items()]
            self.answer(400, "\n".join(lines))
        elif kind == "long":
            self.answer(500, "é" * 1000)
        elif kind == "flaky":
            key = self.headers.get("Idempotency-Key", "")
            with self.server.lock:
                seen = self.server.keys.get(key, 0)
                self.server.keys[key] = seen + 1
            if seen == 0:
                self.answer(429, "slow down", [("Retry-After", "1")])
            else:
                self.answer(200, "ok")
        elif kind == "hang":
            time.sleep(self.server.hang_seconds)
            try:
                self.answer(200, "late")
            except OSError:
                pass
        else:
            self.answer(418, "unknown path")


def main():
    args = sys.argv[1:]
    hang = 5.0
    if "--hang-seconds" in args:
        i = args.index("--hang-seconds")
        hang = float(args[i + 1])
        del args[i:i + 2]
    tls = None
    if "--tls" in args:
        i = args.index("--tls")
        tls = args[i + 1:i + 3]
        del args[i:i + 3]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    os.makedirs(args[0], exist_ok=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.dir = args[0]
    server.seq = 0
    server.lock = threading.Lock()
    server.keys = {}
    server.hang_seconds = hang
    if tls:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(tls[0], tls[1])
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
