#!/usr/bin/env python3
"""tests/integration/browser.py - load one page in headless Chromium and
report what went wrong, for the shell integration tests.

    browser.py URL [--screenshot FILE.png] [--pdf FILE.pdf]
               [--eval JS_EXPR]... [--ready JS_EXPR]
               [--width 1280] [--height 900] [--timeout 30] [--out FILE.json]

Starts a private headless Chromium (a fresh temporary profile, DevTools on
a port the system picks), drives its page target over the Chrome DevTools
Protocol (CDP) and:

  1. sets the viewport to --width x --height and navigates to URL, then
     waits for the load event;
  2. with --ready, polls the expression every 100 ms until it is truthy
     (e.g. 'window.eqmReady === true');
  3. evaluates each --eval expression in order (promises are awaited) and
     collects its value;
  4. with --screenshot, captures the whole page (up to 10000 px tall) as
     PNG; with --pdf, prints the page to PDF (backgrounds, CSS page size).

From the navigation to the end it collects console errors: console.error
and failed console.assert calls, uncaught exceptions, Log-domain errors
(these include failed resource loads, such as a 404 for a script) and
exceptions thrown by --eval; and HTTP errors: responses with status >= 400
and requests that failed outright, for URLs on the page's own host. The
request Chromium makes by itself for <origin>/favicon.ico is ignored.

One JSON object goes to stdout (and to --out FILE):

    {"url": URL,
     "console_errors": [{"source": ..., "text": ..., "url": ... or null}],
     "http_errors": [{"url": ..., "status": N or null, "error": ...}],
     "evals": [value of each --eval, in order; null if it threw],
     "screenshot": FILE or null, "pdf": FILE or null,
     "error": null, or why the run stopped early (failed navigation,
              timeout)}

Each console and HTTP error is also printed to stderr, one line each.

Exit status: 0 all well; 1 a check failed (a console or HTTP error, a
failed navigation, a load or --ready that did not finish within the
timeout, an --eval that threw); 2 usage error, Chromium could not be
started or reached, or an output file could not be written; 130 when
interrupted (SIGINT/SIGTERM). --timeout (default 30 s) bounds the whole run;
stopping Chromium afterwards takes at most 5 s more. Chromium is always
stopped and its profile deleted, whatever happens.

CHROMIUM names the browser binary (default: chromium). Needs Python 3 with
websocket-client (Debian's python3-websocket); if the python3 on PATH lacks
it, run this with /usr/bin/python3.
"""
import argparse
import base64
import collections
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

try:
    import websocket  # websocket-client (Debian: python3-websocket)
except ImportError:
    sys.stderr.write("browser.py: cannot import 'websocket' (websocket-client); install "
                     "python3-websocket or run with an interpreter that has it "
                     "(e.g. /usr/bin/python3)\n")
    sys.exit(2)

PROG = "browser.py"
MAX_SCREENSHOT_HEIGHT = 10000  # px; taller pages are cut off
POLL_S = 0.1                   # --ready and start-up polling interval
KILL_GRACE_S = 5               # SIGTERM to SIGKILL when stopping Chromium


def log(message):
    """One line on stderr, prefixed with the program name."""
    sys.stderr.write("%s: %s\n" % (PROG, message))
    sys.stderr.flush()


def one_line(text):
    """Text with its line breaks folded, for one-line stderr reports."""
    return " | ".join(part.strip() for part in str(text).splitlines() if part.strip())


class StartError(Exception):
    """Chromium could not be started or reached (exit 2)."""


class CheckFailed(Exception):
    """The page did not do what was asked of it (exit 1)."""


class Interrupted(Exception):
    """SIGINT or SIGTERM arrived (exit 130)."""


class Deadline:
    """The one time budget of the whole run (--timeout)."""

    def __init__(self, seconds):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def remaining(self):
        return self.end - time.monotonic()

    def expired(self):
        return self.remaining() <= 0


class CDPTimeout(Exception):
    """The deadline passed while waiting for Chromium."""


class CDPError(Exception):
    """A CDP command returned an error object."""


class CDP:
    """A CDP connection to one target.

    Commands are sent one at a time; send() reads messages until the reply
    with its id arrives. Events read meanwhile are passed to on_event at
    once (so no error is missed) and queued for wait_event().
    """

    def __init__(self, ws_url, deadline, on_event):
        self.deadline = deadline
        self.on_event = on_event
        self.next_id = 0
        self.events = collections.deque()
        # No Origin header: Chromium may refuse a DevTools WebSocket whose
        # Origin it was not told to allow (--remote-allow-origins), and a
        # CDP client needs none. Never through a proxy: this is loopback.
        self.ws = websocket.create_connection(
            ws_url, timeout=max(deadline.remaining(), 0.1), suppress_origin=True,
            http_no_proxy=["127.0.0.1", "localhost"], enable_multithread=False)

    def close(self):
        try:
            self.ws.close(timeout=1)
        except Exception:  # closing a broken connection: nothing to do
            pass

    def _read(self, waiting_for):
        """The next message as a dict, within the deadline."""
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise CDPTimeout(waiting_for)
        self.ws.settimeout(remaining)
        try:
            raw = self.ws.recv()
        except websocket.WebSocketTimeoutException:
            raise CDPTimeout(waiting_for) from None
        except (websocket.WebSocketException, OSError) as exc:
            raise CDPError("DevTools connection lost while waiting for %s: %s"
                           % (waiting_for, exc)) from None
        return json.loads(raw)

    def _dispatch(self, message):
        """Hand an event to the collector and queue it."""
        self.on_event(message["method"], message.get("params", {}))
        self.events.append(message)

    def send(self, method, params=None):
        """Send one command; return its result, handling events on the way."""
        self.next_id += 1
        my_id = self.next_id
        try:
            self.ws.send(json.dumps({"id": my_id, "method": method, "params": params or {}}))
        except (websocket.WebSocketException, OSError) as exc:
            raise CDPError("cannot send %s: %s" % (method, exc)) from None
        while True:
            message = self._read("the reply to " + method)
            if "method" in message:
                self._dispatch(message)
            elif message.get("id") == my_id:
                if "error" in message:
                    error = message["error"]
                    raise CDPError("%s failed: %s" % (method, error.get("message", error)))
                return message.get("result", {})
            # A reply to some other id cannot happen (one command at a time).

    def wait_event(self, method):
        """Wait for event `method`; earlier queued events are dropped (they
        were already handled on arrival)."""
        while self.events:
            if self.events.popleft()["method"] == method:
                return
        while True:
            message = self._read("event " + method)
            if "method" in message:
                self.on_event(message["method"], message.get("params", {}))
                if message["method"] == method:
                    return


class Collector:
    """Console and HTTP errors from the CDP events, once collecting is on."""

    def __init__(self, page_url):
        self.host = urllib.parse.urlsplit(page_url).netloc
        self.collecting = False
        self.console_errors = []
        self.http_errors = []
        self.request_urls = {}  # Network requestId -> URL, for loadingFailed
        self.error_responses = set()  # requestIds already reported with a status
        # Chromium fetches /favicon.ico by itself when the page names no icon,
        # and that request shows in the page's Network and Log events; its 404
        # is the browser's business, not the page's, so it is ignored.
        parts = urllib.parse.urlsplit(page_url)
        self.favicon = urllib.parse.urlunsplit((parts.scheme, parts.netloc, "/favicon.ico", "", ""))

    def _same_host(self, url):
        return urllib.parse.urlsplit(url).netloc == self.host

    def _ignored(self, url):
        return url == self.favicon

    def console(self, source, text, url=None):
        self.console_errors.append({"source": source, "text": text, "url": url or None})

    def __call__(self, method, params):
        if method == "Network.requestWillBeSent":
            # Remembered even before navigation: a failure may come later.
            self.request_urls[params["requestId"]] = params["request"]["url"]
            return
        if not self.collecting:
            return
        if method == "Runtime.consoleAPICalled":
            kind = params.get("type")
            if kind in ("error", "assert"):
                text = " ".join(remote_object_text(arg) for arg in params.get("args", []))
                if kind == "assert":
                    text = "Assertion failed" + (": " + text if text else "")
                self.console("console." + kind, text, top_frame_url(params.get("stackTrace")))
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            exception = details.get("exception") or {}
            text = exception.get("description") or details.get("text") or "exception"
            url = details.get("url") or top_frame_url(details.get("stackTrace"))
            self.console("exception", text, url)
        elif method == "Log.entryAdded":
            entry = params.get("entry", {})
            if entry.get("level") == "error" and not self._ignored(entry.get("url")):
                self.console(entry.get("source", "log"), entry.get("text", ""), entry.get("url"))
        elif method == "Network.responseReceived":
            response = params.get("response", {})
            status = response.get("status", 0)
            url = response.get("url", "")
            if status >= 400 and self._same_host(url) and not self._ignored(url):
                self.error_responses.add(params.get("requestId"))
                self.http_errors.append({"url": response["url"], "status": status,
                                         "error": response.get("statusText") or None})
        elif method == "Network.loadingFailed":
            # A failed status is reported already; Chromium then also aborts
            # the load (net::ERR_ABORTED for a 404 script), which says nothing new.
            request_id = params.get("requestId")
            url = self.request_urls.get(request_id, "")
            if (url and self._same_host(url) and not self._ignored(url)
                    and request_id not in self.error_responses):
                self.http_errors.append({"url": url, "status": None,
                                         "error": params.get("errorText") or "loading failed"})


def remote_object_text(obj):
    """A console argument (CDP RemoteObject) as text."""
    if "value" in obj:
        value = obj["value"]
        return value if isinstance(value, str) else json.dumps(value)
    return obj.get("unserializableValue") or obj.get("description") or obj.get("type", "?")


def top_frame_url(stack_trace):
    frames = (stack_trace or {}).get("callFrames") or []
    return frames[0].get("url") if frames else None


def remote_value(obj):
    """The Python value of a RemoteObject evaluated with returnByValue."""
    if "value" in obj:
        return obj["value"]
    if "unserializableValue" in obj:  # NaN, Infinity, -0, 1n: kept as text
        return obj["unserializableValue"]
    return None  # undefined (or something that cannot be serialised)


def exception_text(details):
    exception = details.get("exception") or {}
    return one_line(exception.get("description") or details.get("text") or "exception")


class Chromium:
    """A headless Chromium with a private profile; stop() always cleans up."""

    def __init__(self):
        self.proc = None
        self.workdir = tempfile.mkdtemp(prefix="eqm-browser.")
        self.profile = os.path.join(self.workdir, "profile")
        self.log_path = os.path.join(self.workdir, "chromium.log")
        os.mkdir(self.profile)

    def start(self, deadline):
        binary = os.environ.get("CHROMIUM") or "chromium"
        argv = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--no-default-browser-check", "--user-data-dir=" + self.profile,
                "--remote-debugging-port=0", "about:blank"]
        with open(self.log_path, "wb") as log_file:
            try:
                # Own session (process group): stop() can sweep the helpers.
                self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log_file,
                                             stderr=log_file, start_new_session=True)
            except OSError as exc:
                raise StartError("cannot run %s: %s (set CHROMIUM to the browser binary)"
                                 % (binary, exc.strerror or exc)) from None
        port = self._wait_port(deadline)
        return port, self._page_target(port, deadline)

    def _wait_port(self, deadline):
        """The DevTools port, from <profile>/DevToolsActivePort."""
        path = os.path.join(self.profile, "DevToolsActivePort")
        while True:
            try:
                with open(path) as f:
                    first = f.readline().strip()
                if first.isdigit():
                    return int(first)
            except FileNotFoundError:
                pass
            if self.proc.poll() is not None:
                raise StartError("chromium exited with status %s before opening DevTools%s"
                                 % (self.proc.returncode, self.log_tail()))
            if deadline.expired():
                raise StartError("chromium wrote no DevToolsActivePort within %g s%s"
                                 % (deadline.seconds, self.log_tail()))
            time.sleep(POLL_S)

    def _page_target(self, port, deadline):
        """The webSocketDebuggerUrl of the (about:blank) page target.
        /json also lists "browser_ui" targets (the omnibox popup); skip them."""
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # no proxy
        url = "http://127.0.0.1:%d/json" % port
        last_error = "no page target"
        while not deadline.expired():
            try:
                with opener.open(url, timeout=max(min(deadline.remaining(), 5), 0.1)) as reply:
                    targets = json.load(reply)
                for target in targets:
                    if target.get("type") == "page" and target.get("webSocketDebuggerUrl"):
                        return target["webSocketDebuggerUrl"]
            except (OSError, ValueError) as exc:
                last_error = str(exc)
            if self.proc.poll() is not None:
                raise StartError("chromium exited with status %s%s"
                                 % (self.proc.returncode, self.log_tail()))
            time.sleep(POLL_S)
        raise StartError("no page target at %s within %g s (%s)"
                         % (url, deadline.seconds, last_error))

    def log_tail(self, lines=15):
        """The end of Chromium's own log, without the D-Bus noise of a
        machine with no session bus."""
        try:
            with open(self.log_path, errors="replace") as f:
                kept = [line.rstrip() for line in f if "dbus" not in line and line.strip()]
        except OSError:
            return ""
        return ("; its log ends:\n  " + "\n  ".join(kept[-lines:])) if kept else ""

    def stop(self):
        """SIGTERM, SIGKILL after KILL_GRACE_S, sweep the process group,
        delete the profile. Safe to call in any state."""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(KILL_GRACE_S)
                except subprocess.TimeoutExpired:
                    log("chromium ignored SIGTERM for %d s; killing it" % KILL_GRACE_S)
                    self.proc.kill()
                    self.proc.wait(KILL_GRACE_S)
            try:  # helpers (zygote, renderers) left in its process group
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for _ in range(3):  # a dying helper may still write into the profile
            shutil.rmtree(self.workdir, ignore_errors=True)
            if not os.path.exists(self.workdir):
                break
            time.sleep(0.2)


def write_file(path, data):
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as exc:
        raise StartError("cannot write %s: %s" % (path, exc.strerror or exc)) from None


def drive(args, cdp, collector, result, deadline):
    """Everything done through CDP. Raises CheckFailed to stop early."""
    for domain in ("Page", "Runtime", "Log", "Network"):
        cdp.send(domain + ".enable")
    cdp.send("Emulation.setDeviceMetricsOverride", {
        "width": args.width, "height": args.height, "deviceScaleFactor": 1, "mobile": False})

    # Navigate; errors count from here on.
    collector.collecting = True
    cdp.events.clear()
    nav = cdp.send("Page.navigate", {"url": args.url})
    if nav.get("errorText"):
        raise CheckFailed("navigation to %s failed: %s" % (args.url, nav["errorText"]))
    try:
        cdp.wait_event("Page.loadEventFired")
    except CDPTimeout:
        raise CheckFailed("%s did not finish loading within %g s"
                          % (args.url, deadline.seconds)) from None

    if args.ready:
        expression = "!!(\n%s\n)" % args.ready
        while True:
            reply = cdp.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
            # An exception (e.g. not defined yet) just means "not ready".
            if "exceptionDetails" not in reply and reply.get("result", {}).get("value") is True:
                break
            if deadline.remaining() < POLL_S:
                raise CheckFailed("--ready %r still not true after %g s"
                                  % (args.ready, deadline.seconds))
            time.sleep(POLL_S)

    for expression in args.eval:
        reply = cdp.send("Runtime.evaluate", {
            "expression": expression, "returnByValue": True, "awaitPromise": True})
        if "exceptionDetails" in reply:
            collector.console("eval", "--eval %s threw: %s"
                              % (expression, exception_text(reply["exceptionDetails"])))
            result["evals"].append(None)
        else:
            result["evals"].append(remote_value(reply.get("result", {})))

    if args.screenshot:
        # Make the viewport as tall as the content, so all of it is drawn.
        metrics = cdp.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics.get("contentSize") or {}
        height = min(max(int(math.ceil(size.get("height", args.height))), args.height),
                     MAX_SCREENSHOT_HEIGHT)
        cdp.send("Emulation.setDeviceMetricsOverride", {
            "width": args.width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        shot = cdp.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        write_file(args.screenshot, base64.b64decode(shot["data"]))
        result["screenshot"] = args.screenshot

    if args.pdf:
        pdf = cdp.send("Page.printToPDF", {"printBackground": True, "preferCSSPageSize": True})
        write_file(args.pdf, base64.b64decode(pdf["data"]))
        result["pdf"] = args.pdf


def positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError("not a number: %r" % text) from None
        if not value > 0:
            raise argparse.ArgumentTypeError("must be positive: %r" % text)
        return value
    return parse


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog=PROG, description="Load URL in headless Chromium; report console and HTTP errors.")
    parser.add_argument("url", metavar="URL")
    parser.add_argument("--screenshot", metavar="FILE.png", help="full-page PNG")
    parser.add_argument("--pdf", metavar="FILE.pdf", help="the page printed to PDF")
    parser.add_argument("--eval", metavar="JS_EXPR", action="append", default=[],
                        help="evaluate after load (and --ready); repeatable")
    parser.add_argument("--ready", metavar="JS_EXPR",
                        help="wait until this is truthy (polled every 100 ms)")
    parser.add_argument("--width", type=positive(int), default=1280)
    parser.add_argument("--height", type=positive(int), default=900)
    parser.add_argument("--timeout", type=positive(float), default=30.0,
                        help="seconds for the whole run (default 30)")
    parser.add_argument("--out", metavar="FILE.json", help="also write the JSON here")
    return parser.parse_args(argv)  # exits 2 on a usage error


def on_signal(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def main(argv):
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    deadline = Deadline(args.timeout)
    collector = Collector(args.url)
    result = {"url": args.url, "console_errors": collector.console_errors,
              "http_errors": collector.http_errors, "evals": [],
              "screenshot": None, "pdf": None, "error": None}
    browser = Chromium()
    cdp = None
    try:
        try:
            _port, ws_url = browser.start(deadline)
            try:
                cdp = CDP(ws_url, deadline, collector)
            except (websocket.WebSocketException, OSError) as exc:
                raise StartError("cannot connect to %s: %s" % (ws_url, exc)) from None
            drive(args, cdp, collector, result, deadline)
        except CheckFailed as exc:
            result["error"] = str(exc)
        except CDPTimeout as exc:
            result["error"] = "no answer from chromium within %g s (waiting for %s)" % (
                deadline.seconds, exc)
        except CDPError as exc:
            result["error"] = str(exc)
    except StartError as exc:
        log(str(exc))
        return 2
    except Interrupted as exc:
        log("interrupted (%s)" % exc)
        return 130
    finally:
        # Ignore a second Ctrl-C while cleaning up; then stop Chromium.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if cdp is not None:
            cdp.close()
        browser.stop()

    text = json.dumps(result, indent=2, ensure_ascii=False)
    print(text)
    sys.stdout.flush()
    if args.out:
        try:
            write_file(args.out, (text + "\n").encode("utf-8"))
        except StartError as exc:
            log(str(exc))
            return 2

    for error in collector.console_errors:
        where = " (%s)" % error["url"] if error["url"] else ""
        log("console error [%s] %s%s" % (error["source"], one_line(error["text"]), where))
    for error in collector.http_errors:
        log("http error %s %s%s" % (error["status"] if error["status"] is not None else "-",
                                    error["url"], " (%s)" % error["error"] if error["error"] else ""))
    if result["error"]:
        log(result["error"])
    if result["error"] or collector.console_errors or collector.http_errors:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
