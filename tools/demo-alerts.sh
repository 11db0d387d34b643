#!/usr/bin/env bash
# The alerts part of the demo (run by tools/demo.sh after the consumers, or
# alone after the stack is up with .stack/env and a build): eqm-alert-relay
# publishes the outbox the consumers wrote, then equality.alerts is read
# back with kcat and each alert printed as a scrutiny group would read it,
# and the outbox counted (published, silenced, waiting).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EQM_BUILD_DIR:-$root/build}/bin
# shellcheck disable=SC1090,SC1091
source "${EQM_STACK_ENV:-$root/.stack/env}"
TOPIC=${EQM_ALERTS_TOPIC:-equality.alerts}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
q() { psql -X -q -P pager=off -v ON_ERROR_STOP=1 "$EQM_PG_URL" "$@"; }

say "Publishing alerts (eqm-alert-relay: the outbox to $TOPIC; exits when idle)"
"$BIN/eqm-alert-relay" --alerts-topic "$TOPIC" --exit-when-idle 2 --log-level warn

say "Alerts on $TOPIC, as the scrutiny groups receive them"
messages=$(mktemp)
trap 'rm -f "$messages"' EXIT
# -e: stop at the end of every partition; bounded in case the broker is gone.
timeout 60 kcat -C -b "$EQM_KAFKA_BROKERS" -t "$TOPIC" -e -J -q >"$messages" || {
    echo "could not read $TOPIC with kcat (is the broker up? ./dev.sh status)"
    exit 1
}
python3 - "$messages" <<'PY'
import json
import sys

alerts = {}
copies = 0
for line in open(sys.argv[1], encoding="utf-8"):
    if not line.strip():
        continue
    envelope = json.loads(line)
    copies += 1
    try:
        alert = json.loads(envelope.get("payload") or "")
    except ValueError:
        print("(a message that is not JSON at partition %s offset %s)"
              % (envelope.get("partition"), envelope.get("offset")))
        continue
    # A reader de-duplicates on alert_id: after a relay crash the same
    # alert can be on the topic twice.
    alerts.setdefault(alert.get("alert_id"), (envelope, alert))

if not alerts:
    print("No alerts were published on this data (why: see the outbox and alert state below).")
    sys.exit(0)

order = sorted(alerts.values(), key=lambda ea: (ea[1].get("evaluated_at") or "",
                                                ea[0].get("partition", 0),
                                                ea[0].get("offset", 0)))
for envelope, a in order:
    status = (a.get("status") or "?").upper()
    transition = a.get("transition")
    if transition and transition not in ("firing", "resolved"):
        status += " (%s)" % transition.replace("_", " ")
    print("%s | %s | for %s" % (status, a.get("severity") or "no severity",
                                 a.get("audience") or "?"))
    print("  %s" % (a.get("summary") or "(no summary)"))
    print("  rule %s, %s, evaluated %s; fingerprint %s"
          % (a.get("rule"), a.get("measure"), a.get("evaluated_at"), a.get("fingerprint")))
print("\n%d alert(s) on the topic (%d message(s); a reader de-duplicates on alert_id)."
      % (len(alerts), copies))
PY

say "The outbox (equality.alert_outbox): every state change, published or not"
if [ "$(psql -XAtq "$EQM_PG_URL" -c 'SELECT count(*) FROM equality.alert_outbox')" = 0 ]; then
    echo "The outbox is empty: no alert has fired or resolved on this data."
    pending=$(psql -XAtq "$EQM_PG_URL" -c \
        "SELECT count(*) FROM equality.alert_state WHERE status = 'pending'" 2>/dev/null || echo 0)
    if [ "${pending:-0}" != 0 ]; then
        echo "These figures breach a rule but have not yet held for the rule's 'pending'"
        echo "number of evaluations in a row (so that one evaluation alone cannot fire):"
        q -c "SELECT rule, coalesce(area, role) AS area, dimension, grp AS \"group\",
                     window_days, round(last_value::numeric, 2) AS value, pending_count AS seen
                FROM equality.alert_state WHERE status = 'pending'
               ORDER BY rule, area, grp, window_days"
    else
        echo "No figure crossed an alert rule's threshold (rules: schemas/alert-rules.json)."
    fi
else
    q -c "SELECT status, audience,
                 CASE WHEN NOT publish THEN 'silenced: kept, never published'
                      WHEN sent_at IS NULL THEN 'waiting for the relay'
                      ELSE 'published' END AS state,
                 count(*) AS alerts,
                 to_char(max(sent_at), 'YYYY-MM-DD HH24:MI:SS TZ') AS last_published
            FROM equality.alert_outbox
           GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"
fi
