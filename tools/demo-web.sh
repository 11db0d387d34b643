#!/usr/bin/env bash
# The dashboard part of the demo (run by tools/demo.sh last, or alone after
# the stack is up with .stack/env and a build): starts eqm-web on loopback
# (it keeps running; ./dev.sh down stops it), writes each panel's pack as a
# PDF with eqm-report, and prints where to look.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
BIN=${EQM_BUILD_DIR:-$root/build}/bin
STACK=${EQM_STACK_DIR:-$root/.stack}
# shellcheck disable=SC1090,SC1091
source "${EQM_STACK_ENV:-$STACK/env}"
AREA=${EQM_DEMO_AREA:-cambridgeshire}
PORT=${EQM_WEB_PORT:-8080}

say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "The dashboard (eqm-web) and the panels' packs"
if [[ -f $STACK/web.pid ]] && kill -0 "$(cat "$STACK/web.pid")" 2>/dev/null; then
    kill -TERM "$(cat "$STACK/web.pid")" 2>/dev/null || true
    sleep 1
fi
# The first free port from $PORT: eqm-web says which it took, or why not.
url=
for port in $(seq "$PORT" $((PORT + 9))); do
    "$BIN/eqm-web" --web-port "$port" --force-area "$AREA" --log-level warn \
        >"$STACK/web.log" 2>&1 &
    echo $! >"$STACK/web.pid"
    for _ in $(seq 1 30); do
        if curl -fsS --max-time 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1; then
            url=http://127.0.0.1:$port
            break 2
        fi
        kill -0 "$(cat "$STACK/web.pid")" 2>/dev/null || break
        sleep 0.2
    done
    kill -TERM "$(cat "$STACK/web.pid")" 2>/dev/null || true
done
[[ -n $url ]] || {
    echo "eqm-web did not start on ports $PORT-$((PORT + 9)):"
    cat "$STACK/web.log"
    exit 1
}

mkdir -p "$STACK/packs"
panels=$("$BIN/eqm-report" --help | sed -n 's/.*--panel PANEL *one of: //p')
for panel in $panels; do
    # The demo's month of police.uk data: each month alone.
    EQM_FORCE_AREA=$AREA timeout 120 "$BIN/eqm-report" --panel "$panel" --span 1 \
        --pdf "$STACK/packs/$panel.pdf" --html "$STACK/packs/$panel.html"
done

printf '\nThe dashboard: %s/ (eqm-web, pid %s; ./dev.sh down stops it)\n' "$url" \
    "$(cat "$STACK/web.pid")"
printf 'The packs:     %s/packs/*.pdf\n' "$STACK"
