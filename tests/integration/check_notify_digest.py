#!/usr/bin/env python3
"""Checks the digests test_notify_digest.sh expects in the mailbox of smtp_sink.py.

  check_notify_digest.py MAILDIR ALERTS PERIOD_START PERIOD_END

ALERTS: the alert payloads the test put on the outbox, one JSON object a
line; the period in seconds since the epoch. From the test's own knowledge
(what it sent, which alert it answered, acknowledged and set 3 days back,
the first EDI firing placed on the period's start, outside it): one digest
per digest subscriber (panel, edi, uof), each with the Message-ID
<digest.END.MD5(AUDIENCE/ID)[:16]@eqm-notify>, the subject's counts, the
period in Europe/London time, and exactly the expected summaries under
"Fired", "Resolved" and "Still open" (or the words saying there are none),
the open ones' answers; the immediate subscribers (alice, dave) each
alert of their audience once and nothing else. Prints "digests=N
immediate=N".
"""
import collections
import datetime
import hashlib
import html
import json
import sys
import zoneinfo

from check_notify_mail import read_mails

maildir, alerts_file, start, end = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
z = zoneinfo.ZoneInfo("Europe/London")
def fail(m):
    print("digest check: FAIL: " + m, file=sys.stderr); sys.exit(1)
alerts = [json.loads(l) for l in open(alerts_file) if l.strip()]
sssg = [a["summary"] for a in alerts if a["audience"] == "stop-search-scrutiny-group"]
edi = [a for a in alerts if a["audience"] == "edi-tactical-group"]
assert [a["status"] for a in edi] == ["firing", "resolved", "firing"], edi
# What the test sent: per digest subscriber (fired, resolved, open lines).
want = {
    "panel@force.example": ("stop-search-scrutiny-group", "panel", [sssg[0]], [],
                            [(sssg[0], "Acknowledged by ISSG chair. Answered by Supt. Stop and "
                              "Search lead.")], "1 fired, 0 resolved, 1 open (0 unanswered)"),
    "edi@force.example": ("edi-tactical-group", "edi", [edi[2]["summary"]], [edi[1]["summary"]],
                          [(edi[2]["summary"], "Acknowledged by EDI lead. Open, not yet "
                            "answered for 3 days.")], "1 fired, 1 resolved, 1 open (1 unanswered)"),
    "uof@force.example": ("use-of-force-scrutiny-group", "uof", [], [], [],
                          "0 fired, 0 resolved, 0 open (0 unanswered)"),
}
def local(s):
    return datetime.datetime.fromtimestamp(s, z).strftime("%A %d %B %Y %H:%M %Z")
def section(text, head, nxt):
    i = text.index(head)
    j = text.index(nxt, i) if nxt else len(text)
    return text[i:j]
seen = collections.Counter()
immediate = collections.Counter()
for path, rcpt, msg in read_mails(maildir):
    if rcpt in ("alice@force.example", "dave@force.example"):
        immediate[(rcpt, str(msg["X-EQM-Alert-Id"]))] += 1
        continue
    if rcpt not in want:
        fail("%s: mail to %s" % (path, rcpt))
    aud, rid, fired, resolved, open_, counts = want[rcpt]
    mid = "<digest.%d.%s@eqm-notify>" % (end, hashlib.md5(("%s/%s" % (aud, rid)).encode()).hexdigest()[:16])
    if str(msg["Message-ID"]) != mid:
        fail("%s: Message-ID %s, want %s" % (path, msg["Message-ID"], mid))
    subject = str(msg["Subject"])
    if "Daily digest, %s: %s" % (aud, counts) not in subject:
        fail("%s: subject %r lacks %r" % (path, subject, counts))
    text = msg.get_body(("plain",)).get_content()
    htm = msg.get_body(("html",)).get_content()
    if "From %s to %s." % (local(start), local(end)) not in text:
        fail("%s: the period %s to %s is not in the text" % (path, local(start), local(end)))
    parts = [("Fired in this period", fired, "Nothing fired in this period."),
             ("Resolved in this period", resolved, "Nothing resolved in this period."),
             ("Still open", [s for s, _ in open_], "Nothing is open.")]
    heads = [p[0] for p in parts] + [None]
    for k, (head, items, none) in enumerate(parts):
        sec = section(text, head, heads[k + 1])
        got = [l[4:].rsplit(" (", 1)[0] for l in sec.splitlines() if l.startswith("  - ")]
        if got != items:
            fail("%s: %s lists %r, want %r" % (path, head, got, items))
        if not items and none not in sec:
            fail("%s: %s does not say %r" % (path, head, none))
    for s, words in open_:
        if words not in text:
            fail("%s: %r not said of %r" % (path, words, s))
        if html.escape(s) not in htm:
            fail("%s: html lacks %r" % (path, html.escape(s)))
    seen[rcpt] += 1
if sorted(seen) != sorted(want) or any(n != 1 for n in seen.values()):
    fail("digests per subscriber: %r" % dict(seen))
want_imm = {("alice@force.example", a["alert_id"]) for a in alerts
            if a["audience"] == "stop-search-scrutiny-group"}
want_imm |= {("dave@force.example", a["alert_id"]) for a in edi}
if set(immediate) != want_imm or any(n != 1 for n in immediate.values()):
    fail("immediate mails %r, want each of %r once" % (dict(immediate), want_imm))
print("digests=%d immediate=%d" % (sum(seen.values()), sum(immediate.values())))
