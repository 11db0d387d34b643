#!/usr/bin/python3
"""A real SMTP server on loopback for the notification tests (aiosmtpd).

STARTTLS required (certificate and key given; or --implicit-tls: TLS from
the first byte, as smtps://), AUTH PLAIN/LOGIN required
with one test user, each accepted message saved as one file in --dir:
the envelope recipient on a first line "X-Sink-Rcpt: ADDR", then the
message exactly as received. Recipients given with --reject are refused at
RCPT with 550, those given with --tempfail with 451 (every time). Writes "ready" to --ready-file once listening; runs until
SIGTERM or SIGINT (or is killed: the test stops it that way too).

  smtp_sink.py --port P --dir D --cert C --key K --user U --password W
               [--reject ADDR]... [--tempfail ADDR]... [--delay-ms MS] [--implicit-tls] --ready-file F

--delay-ms waits that long between saving a message and saying 250, so that
a test can kill the client after the server has the message and before it
knows (the window of a duplicate).
"""
import argparse
import asyncio
import itertools
import os
import signal
import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Handler:
    def __init__(self, directory, reject, tempfail, delay_ms):
        self.directory = directory
        self.tempfail = set(a.lower() for a in tempfail)
        self.delay = delay_ms / 1000.0
        self.reject = set(a.lower() for a in reject)
        self.seq = itertools.count(1)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if address.lower() in self.tempfail:
            return "451 4.2.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:
            name = "%d-%d-%d.eml" % (time.time_ns(), os.getpid(), next(self.seq))
            tmp = os.path.join(self.directory, "." + name)
            with open(tmp, "wb") as f:
                f.write(b"X-Sink-Rcpt: " + rcpt.encode() + b"\r\n")
                f.write(envelope.original_content or envelope.content)
                f.flush()
                os.fsync(f.fileno())
            os.rename(tmp, os.path.join(self.directory, name))
        # Kept before the reply, as a real server commits before it says
        # 250: a client killed during the delay has sent a message it
        # never heard was accepted, and must send it again.
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 OK: queued"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--reject", action="append", default=[])
    ap.add_argument("--tempfail", action="append", default=[])
    ap.add_argument("--ready-file", required=True)
    ap.add_argument("--delay-ms", type=int, default=0)
    ap.add_argument("--implicit-tls", action="store_true")
    args = ap.parse_args()

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(args.cert, args.key)

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == args.user.encode()
            and auth_data.password == args.password.encode()
        )
        return AuthResult(success=ok, handled=False)

    # STARTTLS on a plain port, or (--implicit-tls) TLS from the first byte,
    # as a smtps:// relay on port 465 speaks.
    tls = {"ssl_context": ctx} if args.implicit_tls else {
        "tls_context": ctx, "require_starttls": True, "auth_require_tls": True}
    controller = Controller(
        Handler(args.dir, args.reject, args.tempfail, args.delay_ms),
        hostname="127.0.0.1",
        port=args.port,
        auth_required=True,
        authenticator=authenticator,
        ready_timeout=10,
        # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS too.
        **({"auth_require_tls": False} if args.implicit_tls else {}),
        **tls,
    )
    controller.start()
    with open(args.ready_file, "w") as f:
        f.write("ready\n")
    stop = []
    signal.signal(signal.SIGTERM, lambda *a: stop.append(1))
    signal.signal(signal.SIGINT, lambda *a: stop.append(1))
    while not stop:
        time.sleep(0.1)
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
