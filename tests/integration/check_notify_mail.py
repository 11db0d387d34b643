#!/usr/bin/env python3
"""Checks the mailbox of smtp_sink.py against what the test sent.

  check_notify_mail.py MAILDIR ALERTS SUBSCRIBERS [--exact]

ALERTS: a file of alert payloads, one JSON object a line (what the test
put on the outbox). SUBSCRIBERS: lines "AUDIENCE ID ADDRESS MIN" of the
immediate e-mail subscribers whose mail the server accepts. Who should get
what is worked out here, from the test's own knowledge: a subscriber of the
alert's audience whose minimum severity (info < warning < critical) is at
or below the alert's. Asserts that every expected (alert, address) pair
arrived, every copy of it with the same Message-ID <ALERT_ID.MD5(ID)[:16]
@eqm-notify>, that nothing else arrived, and that each message's subject
(decoded) carries status, severity and summary, its text/plain part the
summary and the figures, and its text/html part the summary HTML-escaped.
Digests (Message-ID <digest....>) are left to check_notify_digest.py.
With --exact, no duplicates either. Prints "mails=N expected=N
duplicates=N" on success.
"""
import collections
import email
import glob
import hashlib
import html
import json
import sys
from email import policy

ORDER = {"info": 0, "warning": 1, "critical": 2}


def fail(msg):
    print("check_notify_mail: FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def num(v):
    if isinstance(v, bool) or v is None:
        return "n/a"
    if isinstance(v, int):
        return str(v)
    if v.is_integer() and abs(v) < 1e15:
        return "%.0f" % v
    if abs(v) >= 1000:
        return "%.1f" % v
    return "%.4g" % v


def read_mails(maildir):
    """(path, envelope recipient, parsed message) of each mail smtp_sink.py kept."""
    for path in sorted(glob.glob(maildir + "/*.eml")):
        raw = open(path, "rb").read()
        first, rest = raw.split(b"\r\n", 1)
        rcpt = first.decode().split(": ", 1)[1]
        yield path, rcpt, email.message_from_bytes(rest, policy=policy.default)


def main():
    maildir, alerts_file, subs_file = sys.argv[1:4]
    exact = "--exact" in sys.argv[4:]
    alerts = [json.loads(line) for line in open(alerts_file) if line.strip()]
    subs = [line.split() for line in open(subs_file) if line.strip()]
    by_id = {a["alert_id"]: a for a in alerts}
    expected = {}
    for a in alerts:
        for audience, rid, addr, minimum in subs:
            if audience == a["audience"] and ORDER.get(a["severity"], 2) >= ORDER[minimum]:
                mid = "<%s.%s@eqm-notify>" % (
                    a["alert_id"], hashlib.md5(rid.encode()).hexdigest()[:16])
                expected[(a["alert_id"], addr)] = mid
    seen = collections.Counter()
    for path, rcpt, msg in read_mails(maildir):
        if str(msg["Message-ID"]).startswith("<digest."):
            continue
        alert_id = str(msg["X-EQM-Alert-Id"])
        key = (alert_id, rcpt)
        if key not in expected:
            fail("%s: mail nobody should have got: alert %s to %s" % (path, alert_id, rcpt))
        if str(msg["Message-ID"]) != expected[key]:
            fail("%s: Message-ID %s, expected %s" % (path, msg["Message-ID"], expected[key]))
        if str(msg["To"]) != rcpt:
            fail("%s: To %s is not the envelope recipient %s" % (path, msg["To"], rcpt))
        a = by_id[alert_id]
        subject = str(msg["Subject"])
        for part in (a["status"].upper(), a["severity"], a["summary"]):
            if part not in subject:
                fail("%s: subject %r lacks %r" % (path, subject, part))
        if msg["Date"] is None:
            fail("%s: no Date header" % path)
        if msg.get_content_type() != "multipart/alternative":
            fail("%s: %s, not multipart/alternative" % (path, msg.get_content_type()))
        text = msg.get_body(("plain",))
        htm = msg.get_body(("html",))
        if text is None or htm is None:
            fail("%s: text/plain and text/html parts wanted" % path)
        text, htm = text.get_content(), htm.get_content()
        wants = [a["summary"], num(a["value"]), num(a["threshold"]), num(a["clear_threshold"]),
                 str(a["window_days"]) + " days to " + a["window_end"], a["rule"]]
        if a["ci_low"] is not None:
            wants.append(num(a["ci_low"]) + " to " + num(a["ci_high"]))
        for k, v in a["counts"].items():
            wants.append("%s = %s" % (k, num(v)))
        for w in wants:
            if w not in text:
                fail("%s: text part lacks %r" % (path, w))
        if html.escape(a["summary"]) not in htm:
            fail("%s: html part lacks the escaped summary %r" % (path, html.escape(a["summary"])))
        seen[key] += 1
    missing = [k for k in expected if seen[k] == 0]
    if missing:
        fail("%d expected mails missing, e.g. alert %s to %s" % (len(missing), *missing[0]))
    dups = sum(n - 1 for n in seen.values())
    if exact and dups:
        fail("%d duplicate mails" % dups)
    print("mails=%d expected=%d duplicates=%d" % (sum(seen.values()), len(expected), dups))


if __name__ == "__main__":
    main()
