#!/usr/bin/env bash
# tests/integration/browser.py, the headless-Chromium driver the page tests
# use, against three static pages served by `python3 -m http.server` on
# loopback: no PostgreSQL, no broker.
#
#   ok.html       a canvas drawn by inline JS shortly after load, then
#                 window.eqmReady = true: exit 0, --ready waits for it, --eval
#                 returns the title and a canvas pixel, the PNG and the PDF
#                 are real (pdftotext, when installed, finds the heading);
#                 it names no icon, so the 404 for the /favicon.ico Chromium
#                 asks for by itself must not count
#   bad.html      console.error("boom"): exit 1, the JSON names "boom"
#   missing.html  <script src="nope.js"> that 404s: exit 1, the JSON names
#                 nope.js (as a console error and as an HTTP error)
#
# Needs chromium (or $CHROMIUM) and a python3 with websocket-client
# (Debian's python3-websocket): the first of $EQM_TEST_PYTHON,
# /usr/bin/python3, python3 that has it is used. Takes about 10 s.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

# Straight to 127.0.0.1, whatever proxy the environment names.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY

py=$(eqm_test_python websocket)
command -v "${CHROMIUM:-chromium}" >/dev/null || fail "${CHROMIUM:-chromium} not found (set CHROMIUM)"

DRIVER=$here/browser.py
eqm_test_scratch
work=$EQM_TEST_DIR
_eqm_test_logs=("$work/server.log")
server=

# --- the pages ---------------------------------------------------------
mkdir "$work/site"
cat >"$work/site/ok.html" <<'HTML'
<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Driver check page</title></head>
<body>
<h1>Equality canvas check</h1>
<canvas id="chart" width="320" height="160"></canvas>
<script>
  // Drawn a little after load, so --ready has something to wait for.
  setTimeout(function () {
    var ctx = document.getElementById("chart").getContext("2d");
    ctx.fillStyle = "rgb(200, 0, 0)";
    ctx.fillRect(20, 20, 200, 100);
    window.eqmReady = true;
  }, 300);
</script>
</body>
</html>
HTML
cat >"$work/site/bad.html" <<'HTML'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Bad page</title></head>
<body><p>This page logs an error.</p>
<script>console.error("boom");</script>
</body></html>
HTML
cat >"$work/site/missing.html" <<'HTML'
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Missing script</title></head>
<body><p>This page loads a script that is not there.</p>
<script src="nope.js"></script>
</body></html>
HTML

# --- the server: a free port, chosen by the system, retried if taken ----------
_server_up() {
    kill -0 "$server" 2>/dev/null || return 2
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}
port=
for attempt in 1 2 3; do
    port=$("$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
    "$py" -m http.server "$port" --bind 127.0.0.1 --directory "$work/site" \
        >"$work/server.log" 2>&1 &
    server=$!
    if eqm_wait_until 5 _server_up; then
        eqm_test_bg "$server"
        break
    fi
    eqm_test_log "http.server on port $port did not come up (attempt $attempt)"
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    server=
done
[[ -n $server ]] || fail "python3 -m http.server did not start"
base=http://127.0.0.1:$port
eqm_test_log "serving $work/site on $base"

# drive NAME EXPECTED_RC ARGS...: browser.py on NAME.html, JSON to
# $work/NAME.json, its stderr to $work/NAME.err; fails unless it exits
# EXPECTED_RC. The driver bounds itself (--timeout); timeout(1) is a backstop.
drive() {
    local name=$1 expected=$2 rc=0
    shift 2
    timeout -k 5 28 "$py" "$DRIVER" "$base/$name.html" --timeout 20 --out "$work/$name.out.json" "$@" \
        >"$work/$name.json" 2>"$work/$name.err" || rc=$?
    if ((rc != expected)); then
        cat "$work/$name.err" >&2
        fail "$name.html: browser.py exited $rc, expected $expected"
    fi
    cmp -s "$work/$name.json" "$work/$name.out.json" || fail "$name.html: --out differs from stdout"
    eqm_test_log "ok: $name.html exits $rc"
}

# check NAME PYTHON: run PYTHON with `r` = the parsed JSON of NAME; it
# asserts (a failed assert prints which).
check() {
    "$py" - "$work/$1.json" "$2" <<'PY' || fail "$1.html: JSON check failed (see above; $work/$1.json)"
import json
import sys
with open(sys.argv[1]) as f:
    r = json.load(f)
exec(sys.argv[2])
PY
}

# --- ok.html: ready, evals, screenshot, PDF ------------------------------
drive ok 0 --ready 'window.eqmReady === true' \
    --eval 'document.title' \
    --eval 'Array.from(document.getElementById("chart").getContext("2d").getImageData(100, 60, 1, 1).data)' \
    --eval 'new Promise(function (resolve) { setTimeout(function () { resolve(6 * 7); }, 50); })' \
    --screenshot "$work/ok.png" --pdf "$work/ok.pdf" --width 800 --height 600
check ok '
assert r["url"].endswith("/ok.html"), r["url"]
assert r["console_errors"] == [], r["console_errors"]
assert r["http_errors"] == [], r["http_errors"]
assert r["evals"] == ["Driver check page", [200, 0, 0, 255], 42], r["evals"]
assert r["screenshot"].endswith("ok.png") and r["pdf"].endswith("ok.pdf"), r
assert r["error"] is None, r["error"]
'
eqm_test_log "ok: --ready waited for the drawing; --eval gave the title, a red pixel, an awaited 42"
"$py" - "$work/ok.png" <<'PY' || fail "ok.png is not an 800 px wide PNG"
import struct
import sys
with open(sys.argv[1], "rb") as f:
    head = f.read(24)
assert head[:8] == b"\x89PNG\r\n\x1a\n", head[:8]
width, height = struct.unpack(">II", head[16:24])
assert width == 800 and height >= 600, (width, height)
PY
eqm_test_log "ok: the screenshot is a PNG of the viewport width"
[[ $(head -c 5 "$work/ok.pdf") == %PDF- ]] || fail "ok.pdf does not start with %PDF-"
if command -v pdftotext >/dev/null; then
    timeout 10 pdftotext "$work/ok.pdf" - | grep -q 'Equality canvas check' \
        || fail "ok.pdf: pdftotext does not find the page heading"
    eqm_test_log "ok: the PDF has the page's text"
else
    eqm_test_log "ok: the PDF starts with %PDF- (no pdftotext to read it)"
fi

# --- bad.html: console.error ---------------------------------------------
drive bad 1 --eval 'document.title'
check bad '
texts = [e["text"] for e in r["console_errors"]]
assert any("boom" in t for t in texts), texts
assert r["evals"] == ["Bad page"], r["evals"]
assert r["http_errors"] == [], r["http_errors"]
'
grep -q 'boom' "$work/bad.err" || fail "bad.html: stderr does not name boom"
eqm_test_log "ok: bad.html reports console.error boom"

# --- missing.html: a script that 404s ------------------------------------
drive missing 1
check missing '
assert any("nope.js" in (e["url"] or "") + e["text"] for e in r["console_errors"]), r["console_errors"]
assert [(e["status"], e["url"].rsplit("/", 1)[-1]) for e in r["http_errors"]] == [(404, "nope.js")], r["http_errors"]
'
grep -q 'nope.js' "$work/missing.err" || fail "missing.html: stderr does not name nope.js"
eqm_test_log "ok: missing.html reports the 404 for nope.js"

echo "test_browser_driver: ok"
