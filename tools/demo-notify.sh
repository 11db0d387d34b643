#!/usr/bin/env bash
# The notifications part of the demo (run by tools/demo.sh after the alerts
# part, or alone after the stack is up with .stack/env, a build, and the
# alerts published): a local mail server (aiosmtpd, STARTTLS and AUTH, on
# 127.0.0.1) and a local webhook receiver stand in for the force's mail
# relay and a Teams workflow; eqm-notify delivers the published alerts to a
# subscriber of every audience of the default rules, and the demo shows an
# e-mail as a panel member receives it, a webhook's body, and the
# deliveries (eqm-admin notifications). Everything it starts, it stops.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EQM_BUILD_DIR:-$root/build}/bin
# shellcheck disable=SC1090,SC1091
source "${EQM_STACK_ENV:-$root/.stack/env}"

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { psql -XAtq -v ON_ERROR_STOP=1 "$EQM_PG_URL" -c "$1"; }

/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || {
    echo "python3-aiosmtpd is not installed (./dev.sh setup installs it): no e-mail part"
    exit 0
}
work=$(mktemp -d /tmp/eqm-demo-notify.XXXXXX)
mkdir -p "$work/mail" "$work/hooks"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
}
trap cleanup EXIT

say "A local mail server (STARTTLS, AUTH) and a webhook receiver on 127.0.0.1"
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/key.pem" -out "$work/cert.pem" -days 1 \
    -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
/usr/bin/python3 "$root/tests/integration/smtp_sink.py" --port "$port" --dir "$work/mail" \
    --cert "$work/cert.pem" --key "$work/key.pem" --user eqm --password demo-password \
    --ready-file "$work/smtp-ready" >"$work/smtp.log" 2>&1 &
pids+=($!)
python3 "$root/tests/integration/http_receiver.py" "$work/hooks" >"$work/hook-port" 2>/dev/null &
pids+=($!)
for _ in $(seq 100); do
    [[ -f $work/smtp-ready && -s $work/hook-port ]] && break
    sleep 0.1
done
[[ -f $work/smtp-ready && -s $work/hook-port ]] || {
    echo "the demo's mail server or webhook receiver did not start (logs in $work)"
    exit 1
}
hook=http://127.0.0.1:$(head -n 1 "$work/hook-port")
echo "mail server: smtp://127.0.0.1:$port (STARTTLS, user eqm); webhook receiver: $hook"

# One e-mail subscriber per audience of the default rules, and the stop
# and search panel's Teams channel.
cat >"$work/subscriptions" <<EOF
# audience                  id          channel  target
stop-search-scrutiny-group  issg-chair  email    issg.chair@force.example
stop-search-scrutiny-group  issg-teams  webhook  $hook/ok/issg shape=teams
use-of-force-scrutiny-group uof-chair   email    uof.chair@force.example
edi-tactical-group          edi-lead    email    edi.lead@force.example
positive-action-team        pa-team     email    positive.action@force.example min=warning
EOF
echo "subscriptions ($work/subscriptions):"
grep -v '^#' "$work/subscriptions" | sed 's/^/  /'

say "eqm-notify: the alerts on equality.alerts to their subscribers"
EQM_SMTP_PASSWORD=demo-password "$BIN/eqm-notify" --notify-subscriptions "$work/subscriptions" \
    --smtp-url "smtp://127.0.0.1:$port" --smtp-user eqm --smtp-ca-file "$work/cert.pem" \
    --smtp-from 'Equality Monitor <equality-monitor@force.example>' \
    --notify-delivery-interval-ms 200 --notify-delivery-batch 50 --log-level warn \
    2>"$work/notify.log" &
notify=$!
pids+=("$notify")
published=$(q "SELECT count(*) FROM equality.alert_outbox WHERE sent_at IS NOT NULL")
done_yet() {
    [ "$(q "SELECT count(*) FROM equality.notify_alerts")" -ge "$published" ] &&
        [ "$(q "SELECT count(*) FROM equality.notify_deliveries WHERE state = 'pending'")" = 0 ]
}
for _ in $(seq 600); do
    done_yet && break
    kill -0 "$notify" 2>/dev/null || break
    sleep 0.2
done
kill -TERM "$notify" 2>/dev/null || true
wait "$notify" 2>/dev/null || true
echo "$published alert(s) published; $(find "$work/mail" -name '*.eml' | wc -l) e-mail(s) and" \
    "$(find "$work/hooks" -name '*.json' | wc -l) webhook call(s) delivered"

say "An e-mail as the stop and search scrutiny group's chair receives it"
python3 - "$work/mail" <<'PY'
import email, email.policy, glob, sys

files = sorted(glob.glob(sys.argv[1] + "/*.eml"))
mine = []
for f in files:
    raw = open(f, "rb").read()
    rcpt, _, msg = raw.partition(b"\n")
    if b"issg.chair@" in rcpt:
        mine.append(email.message_from_bytes(msg, policy=email.policy.default))
if not mine:
    print("No e-mail for the chair: no stop and search alert fired on this data.")
    sys.exit(0)
# The most telling one: a firing alert if there is one.
m = next((m for m in mine if "FIRING" in m["Subject"]), mine[0])
for h in ("From", "To", "Date", "Subject", "Message-ID"):
    print("%s: %s" % (h, m[h]))
print()
print(m.get_body(preferencelist=("plain",)).get_content().rstrip())
print("\n(%d e-mail(s) for the chair; each also has an HTML part)" % len(mine))
PY

say "The same alert as the panel's Teams channel receives it (webhook body)"
python3 - "$work/hooks" <<'PY'
import glob, json, sys

calls = sorted(glob.glob(sys.argv[1] + "/*.json"))
if not calls:
    print("No webhook call: no stop and search alert fired on this data.")
    sys.exit(0)
req = json.load(open(calls[0], encoding="utf-8"))
print("POST %s" % req["path"])
for k, v in req["headers"]:
    if k.lower() in ("content-type", "idempotency-key", "user-agent"):
        print("%s: %s" % (k, v))
body = json.dumps(json.loads(req["body"]), indent=1, ensure_ascii=False).splitlines()
print("\n".join(body[:40] + (["  ... (%d more lines)" % (len(body) - 40)] if len(body) > 40 else [])))
PY

say "Deliveries (eqm-admin notifications): recipients masked"
"$BIN/eqm-admin" notifications --limit 12
