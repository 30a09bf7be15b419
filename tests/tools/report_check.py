#!/usr/bin/env python3
"""Drives gitdial's HTML report in headless Chromium through chromedriver's
W3C WebDriver HTTP API (stdlib only) and checks it as a person would use it:
rows, status chips, search and filters by typing and clicking, tabs, the
campaign pages, escaping (a campaign named <script>alert(1)</script> stays
text and no alert opens), and that no page asks for anything it was not
given. Screenshots go to --artifacts.

usage: report_check.py --report DIR --expect FILE.json --artifacts DIR
Prints TAP-ish "ok N - ..." / "not ok N - ..." lines; exits 1 on a failure.
"""
import argparse
import base64
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

N = 0
FAILED = 0


def check(desc, cond, detail=""):
    global N, FAILED
    N += 1
    if cond:
        print("ok %d - %s" % (N, desc))
    else:
        FAILED += 1
        print("not ok %d - %s" % (N, desc))
        if detail:
            for line in str(detail).splitlines()[:20]:
                print("#   " + line)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class WebDriver:
    def __init__(self, port):
        self.base = "http://127.0.0.1:%d" % port
        self.sid = None

    def call(self, method, path, body=None, ok_errors=()):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=60) as r:
                return json.load(r)["value"]
        except urllib.error.HTTPError as e:
            v = json.load(e)["value"]
            if v.get("error") in ok_errors:
                return v
            raise RuntimeError("%s %s: %s: %s" % (method, path, v.get("error"),
                                                 v.get("message", "")[:300]))

    def s(self, method, path, body=None, **kw):
        return self.call(method, "/session/%s%s" % (self.sid, path), body, **kw)

    def start(self, chromium, extra_args=()):
        caps = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:loggingPrefs": {"browser": "ALL"},
            "goog:chromeOptions": {
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1000",
                         "--no-first-run", "--disable-extensions",
                         "--user-data-dir=" + tempfile.mkdtemp(prefix="gd-chrome-")]
                        + list(extra_args)}}}}
        self.sid = self.call("POST", "/session", caps)["sessionId"]

    def get(self, url):
        self.s("POST", "/url", {"url": url})

    def js(self, script, *args):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def find(self, css):
        v = self.s("POST", "/element", {"using": "css selector", "value": css})
        return next(iter(v.values()))

    def click(self, css):
        self.s("POST", "/element/%s/click" % self.find(css), {})

    def type(self, css, text):
        self.s("POST", "/element/%s/value" % self.find(css), {"text": text})

    def clear(self, css):
        self.s("POST", "/element/%s/clear" % self.find(css), {})

    def alert_open(self):
        v = self.s("GET", "/alert/text", ok_errors=("no such alert",))
        return not (isinstance(v, dict) and v.get("error") == "no such alert")

    def screenshot(self, path):
        png = base64.b64decode(self.s("GET", "/screenshot"))
        with open(path, "wb") as f:
            f.write(png)
        return len(png)

    def browser_log(self):
        try:
            return self.s("POST", "/se/log", {"type": "browser"})
        except RuntimeError:
            return None

    def quit(self):
        if self.sid:
            try:
                self.s("DELETE", "")
            except Exception:
                pass


VISIBLE_ROWS = """
var p = document.querySelector('[role="tabpanel"]:not([hidden])');
return [].slice.call(p.querySelectorAll('tbody tr')).filter(function (r) {
  return !r.hidden && r.offsetParent !== null;
}).map(function (r) { return r.cells[0].textContent; });
"""

ROWS = """
var out = {};
document.querySelectorAll('[role="tabpanel"]').forEach(function (p) {
  out[p.id] = [].slice.call(p.querySelectorAll('tbody tr')).map(function (r) {
    var chip = r.cells[3].querySelector('.chip');
    return {name: r.cells[0].textContent, provider: r.cells[1].textContent,
            audience: r.cells[2].textContent, status: chip.textContent,
            chip: chip.className, connected: +r.cells[4].textContent,
            answered: +r.cells[5].textContent, no_answer: +r.cells[6].textContent,
            created: r.cells[7].textContent,
            href: r.cells[0].querySelector('a').getAttribute('href')};
  });
});
return out;
"""

RESET = """
var q = document.getElementById('q');
q.value = '';
document.querySelectorAll('.ms input:checked').forEach(function (e) { e.checked = false; });
document.querySelectorAll('details.ms').forEach(function (d) { d.open = false; });
q.dispatchEvent(new Event('input'));
""" + VISIBLE_ROWS

CHIP_STYLE = """
var c = document.querySelector(arguments[0]);
if (!c) return null;
var s = getComputedStyle(c), b = getComputedStyle(c, '::before');
return {bg: s.backgroundColor, color: s.color, anim: b.animationName,
        dur: b.animationDuration};
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--report", required=True)
    ap.add_argument("--expect", required=True)
    ap.add_argument("--artifacts", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--chromedriver", default="/usr/bin/chromedriver")
    a = ap.parse_args()
    exp = json.load(open(a.expect))
    os.makedirs(a.artifacts, exist_ok=True)

    # the report's own web server, recording every path asked for
    asked = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            asked.append(self.path)

    srv = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=a.report))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % srv.server_address[1]

    drv_port = free_port()
    drv = subprocess.Popen([a.chromedriver, "--port=%d" % drv_port],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wd = WebDriver(drv_port)
    try:
        deadline = time.time() + 20
        while True:
            try:
                if wd.call("GET", "/status").get("ready"):
                    break
            except Exception:
                pass
            if time.time() > deadline or drv.poll() is not None:
                check("chromedriver starts", False)
                return 1
            time.sleep(0.1)
        wd.start(a.chromium)
        run(wd, base, exp, a.artifacts, asked)
        wd.quit()
        # the same report with JavaScript off: tabs and filters are links
        wd = WebDriver(drv_port)
        wd.start(a.chromium, ["--blink-settings=scriptEnabled=false"])
        run_nojs(wd, base, exp, a.artifacts)
    finally:
        wd.quit()
        drv.terminate()
        try:
            drv.wait(10)
        except subprocess.TimeoutExpired:
            drv.kill()
        srv.shutdown()
    print("%d passed, %d failed" % (N - FAILED, FAILED))
    return 1 if FAILED else 0


def run(wd, base, exp, art, asked):
    wd.get(base + "/index.html")
    check("index: no alert opened", not wd.alert_open())
    check("index: title", wd.js("return document.title") == "Campaigns - gitdial")
    rows = wd.js(ROWS)
    got = {k: sorted(r["name"] for r in v) for k, v in rows.items()}
    want = {"panel-" + k: sorted(v) for k, v in exp["tabs"].items()}
    check("index: each tab lists its campaigns", got == want,
          "want %s\ngot  %s" % (want, got))
    # every active row agrees with `gitdial list --format json`
    by_name = {r["name"]: r for r in rows.get("panel-active", [])}
    bad = []
    for l in exp["list"]:
        r = by_name.get(l["name"])
        if not r:
            bad.append("missing " + l["name"])
            continue
        for k in ("provider", "audience", "status", "connected", "answered",
                  "no_answer", "created"):
            if r[k] != l[k]:
                bad.append("%s: %s: want %r got %r" % (l["name"], k, l[k], r[k]))
        if r["chip"] != "chip " + l["status"].lower():
            bad.append("%s: chip class %r" % (l["name"], r["chip"]))
    check("index: rows match gitdial list (counters, status, chip class)",
          not bad, "\n".join(bad))
    check("index: the statuses expected are all there",
          sorted({r["status"] for r in rows["panel-active"]}) == sorted(exp["statuses"]),
          str(sorted({r["status"] for r in rows["panel-active"]})))

    # chips: colours and the pulsing Dialing dot
    styles = {s: wd.js(CHIP_STYLE, ".chip." + s) for s in
              ("draft", "scheduled", "dialing", "completed", "failed")}
    check("chips: Draft muted (grey)", styles["draft"] and
          styles["draft"]["color"] == "rgb(107, 114, 128)", styles["draft"])
    check("chips: Scheduled blue", styles["scheduled"] and
          styles["scheduled"]["color"] == "rgb(29, 78, 216)", styles["scheduled"])
    check("chips: Dialing amber and pulsing", styles["dialing"] and
          styles["dialing"]["bg"] == "rgb(254, 243, 199)" and
          styles["dialing"]["anim"] == "pulse", styles["dialing"])
    check("chips: Completed green", styles["completed"] and
          styles["completed"]["color"] == "rgb(21, 128, 61)", styles["completed"])
    check("chips: Failed red", styles["failed"] and
          styles["failed"]["color"] == "rgb(185, 28, 28)", styles["failed"])

    # the hostile name is text
    xss = exp["xss_name"]
    check("escaping: the <script> campaign name is shown as text",
          xss in [r["name"] for r in rows["panel-active"]])
    check("escaping: the only script element is the page's own",
          wd.js("return document.scripts.length") == 1)
    check("escaping: no element was made from a campaign name",
          wd.js("return document.querySelectorAll('tbody script, tbody img, "
                "tbody iframe').length") == 0)
    wd.screenshot(os.path.join(art, "index.png"))

    # search: typing narrows the rows, clearing brings them back
    all_active = sorted(wd.js(VISIBLE_ROWS))
    wd.type("#q", exp["search"]["text"])
    check("search: typing '%s' leaves only the matching rows" % exp["search"]["text"],
          sorted(wd.js(VISIBLE_ROWS)) == sorted(exp["search"]["rows"]),
          str(wd.js(VISIBLE_ROWS)))
    check("search: the tab count says how many of how many",
          wd.js("return document.querySelector('#tab-active .count').textContent")
          == "%d of %d" % (len(exp["search"]["rows"]), len(all_active)))
    wd.type("#q", "zzzz-no-such-campaign")
    check("search: nothing matches, the empty message shows",
          wd.js(VISIBLE_ROWS) == [] and
          wd.js("return document.querySelector('#panel-active .empty').hidden") is False)
    wd.type("#q", "\ue009a\ue000\ue003")  # Ctrl+A, Backspace
    check("search: cleared (by the keyboard), every row is back",
          sorted(wd.js(VISIBLE_ROWS)) == all_active)

    # multi-select status filter: pick two statuses by clicking
    wd.click("#f-status summary")
    for st in exp["status_filter"]["pick"]:
        wd.click('input[name="status"][value="%s"]' % st)
    check("filter: statuses %s leave only those rows" % exp["status_filter"]["pick"],
          sorted(wd.js(VISIBLE_ROWS)) == sorted(exp["status_filter"]["rows"]),
          str(wd.js(VISIBLE_ROWS)))
    check("filter: the button shows how many are picked",
          wd.js("return document.querySelector('#f-status summary').textContent")
          == "Status (%d)" % len(exp["status_filter"]["pick"]))
    wd.screenshot(os.path.join(art, "index-filter-status.png"))
    # and search on top of the filter
    wd.type("#q", exp["status_filter"]["and_search"])
    check("filter + search: both apply",
          sorted(wd.js(VISIBLE_ROWS)) == sorted(exp["status_filter"]["and_rows"]),
          str(wd.js(VISIBLE_ROWS)))
    check("filter: reset, every row is back", sorted(wd.js(RESET)) == all_active)
    # provider filter: a provider nobody uses in this tab empties it
    wd.click("#f-provider summary")
    provs = wd.js("return [].map.call(document.querySelectorAll("
                  "'input[name=\"provider\"]'), function (e) { return e.value; })")
    check("filter: provider choices are the providers in use",
          sorted(provs) == sorted(exp["providers"]), str(provs))
    wd.click('input[name="provider"][value="sim"]')
    check("filter: provider sim keeps the sim campaigns",
          sorted(wd.js(VISIBLE_ROWS)) == sorted(exp["sim_rows"]), str(wd.js(VISIBLE_ROWS)))
    wd.js(RESET)

    # tabs
    wd.click("#tab-archived")
    check("tabs: Archived shows the archived campaigns",
          sorted(wd.js(VISIBLE_ROWS)) == sorted(exp["tabs"]["archived"]) and
          wd.js("return document.getElementById('panel-active').hidden") is True,
          str(wd.js(VISIBLE_ROWS)))
    check("tabs: the choice is kept in the address (#archived)",
          wd.js("return location.hash") == "#archived")
    wd.screenshot(os.path.join(art, "index-archived.png"))
    wd.click("#tab-deleted")
    check("tabs: Deleted shows the deleted campaigns",
          sorted(wd.js(VISIBLE_ROWS)) == sorted(exp["tabs"]["deleted"]))
    wd.get(base + "/index.html#deleted")
    wd.js("return 1")
    check("tabs: opening index.html#deleted selects that tab",
          wd.js("return document.getElementById('tab-deleted')"
                ".getAttribute('aria-selected')") == "true")
    check("index: the page fetched nothing (no external or extra request)",
          wd.js("return performance.getEntriesByType('resource').length") == 0)

    # campaign pages
    for page in exp["pages"]:
        wd.get(base + "/" + page["path"])
        check("%s: no alert opened" % page["path"], not wd.alert_open())
        info = wd.js("""
          var st = {};
          document.querySelectorAll('[data-stat]').forEach(function (e) {
            st[e.dataset.stat] = +e.querySelector('b').textContent; });
          var rows = [].map.call(document.querySelectorAll('#outcomes tbody tr'),
            function (r) { var a = r.cells[5].querySelector('a');
              return {phone: r.cells[1].textContent, outcome: r.cells[2].textContent,
                duration: r.cells[3].textContent, sentiment: r.cells[4].textContent,
                recording: r.cells[5].textContent, href: a ? a.getAttribute('href') : null}; });
          var why = document.getElementById('why');
          return {h1: document.querySelector('h1').textContent,
                  chip: document.querySelector('.sub .chip').textContent,
                  stats: st, outcomes: rows, why: why ? why.textContent : null,
                  scripts: document.scripts.length,
                  lines: document.querySelectorAll('svg.chart polyline').length,
                  points: [].map.call(document.querySelectorAll('svg.chart polyline'),
                    function (p) { return p.getAttribute('points').split(' ').length; }),
                  links: [].map.call(document.querySelectorAll('a[href]'),
                    function (a) { return a.getAttribute('href'); }),
                  resources: performance.getEntriesByType('resource').length};
        """)
        check("%s: heading is the name, as text" % page["path"], info["h1"] == page["name"],
              info["h1"])
        check("%s: status chip %s" % (page["path"], page["status"]),
              info["chip"] == page["status"], info["chip"])
        check("%s: no script at all on a campaign page" % page["path"], info["scripts"] == 0)
        if "stats" in page:
            check("%s: progress (in flight, queued, completed, failed, skipped)" % page["path"],
                  info["stats"] == page["stats"], "want %s\ngot  %s" % (page["stats"], info["stats"]))
        check("%s: progress accounts for every recipient" % page["path"],
              sum(info["stats"].values()) == page["recipients"], info["stats"])
        check("%s: last outcomes table has %d rows" % (page["path"], page["n_outcomes"]),
              len(info["outcomes"]) == page["n_outcomes"], len(info["outcomes"]))
        if page["n_outcomes"]:
            check("%s: the chart has two series" % page["path"], info["lines"] == 2,
                  info)
        for want in page.get("outcome_rows", []):
            check("%s: outcome row %s" % (page["path"], want),
                  want in info["outcomes"], json.dumps(info["outcomes"], indent=0)[:1500])
        if "why" in page:
            check("%s: shows why it failed" % page["path"],
                  info["why"] is not None and page["why"] in info["why"], info["why"])
        own_calls = "calls/" + page["path"].rsplit("/", 1)[1]
        bad = [h for h in info["links"] if not (h.startswith("https://") or
                                                h.startswith("http://") or
                                                h.startswith("../index.html") or
                                                h == own_calls)]
        check("%s: every link is http(s), back to the index or to its "
              "conversations" % page["path"], not bad, bad)
        check("%s: the page fetched nothing" % page["path"], info["resources"] == 0)
        wd.screenshot(os.path.join(art, page["shot"]))

    # the back link goes to the right tab
    wd.get(base + "/" + exp["pages"][0]["path"])
    wd.click("main > p > a")
    check("campaign page: the back link opens the index",
          wd.js("return location.pathname") == "/index.html")

    # the conversations page of a campaign, from its page's link
    for page in exp["pages"]:
        if "calls" not in page:
            continue
        wd.get(base + "/" + page["path"])
        wd.click("#conversations")
        got = wd.js("""
          return [].map.call(document.querySelectorAll('#calls tbody tr'), function (r) {
            var a = function (i) { var x = r.cells[i].querySelector('a');
                                   return x ? x.getAttribute('href') : null; };
            return {phone: r.cells[1].firstChild.textContent.trim(),
                    outcome: r.cells[2].textContent, duration: r.cells[3].textContent,
                    sentiment: r.cells[4].textContent, summary: r.cells[5].textContent,
                    transcript: a(6), recording: a(7)}; });""")
        check("%s: its conversations page lists its calls, newest first" % page["path"],
              got == page["calls"], "want %s\ngot  %s" % (page["calls"], got))
        check("%s: no alert, no script on the conversations page" % page["path"],
              not wd.alert_open() and wd.js("return document.scripts.length") == 0)
        wd.screenshot(os.path.join(art, "calls.png"))

    log = wd.browser_log()
    if log is not None:
        errs = [e["message"] for e in log if e.get("level") == "SEVERE"
                and "favicon.ico" not in e["message"]]
        check("browser console: no errors (CSP, script)", not errs, "\n".join(errs))
    extra = sorted({p.split("?")[0].split("#")[0] for p in asked} -
                   {"/index.html", "/favicon.ico"} -
                   {"/" + p["path"] for p in exp["pages"]} -
                   {"/" + p["path"].replace("/", "/calls/") for p in exp["pages"]
                    if "calls" in p})
    check("server: only the report's pages were asked for", not extra, extra)


LIST_ROWS = """
var t = document.querySelector('[role="tabpanel"]:not([hidden]) table, #list');
return [].slice.call(t.querySelectorAll('tbody tr')).filter(function (r) {
  return r.offsetParent !== null;
}).map(function (r) { return r.cells[0].textContent; });
"""


def run_nojs(wd, base, exp, art):
    """JavaScript off: the tabs and the filters are plain links to pages."""
    wd.get(base + "/index.html")
    check("no JS: the page script did not run (search and checkboxes stay hidden)",
          wd.js("return document.querySelector('.controls').hidden") is True)
    check("no JS: index.html lists the active campaigns",
          sorted(wd.js(LIST_ROWS)) == sorted(exp["tabs"]["active"]), str(wd.js(LIST_ROWS)))
    for tab in ("archived", "deleted"):
        wd.click("#tab-" + tab)
        check("no JS: the %s tab is a link to %s.html, listing them" % (tab, tab),
              wd.js("return location.pathname") == "/%s.html" % tab and
              sorted(wd.js(LIST_ROWS)) == sorted(exp["tabs"][tab]) and
              wd.js("return document.getElementById('tab-%s')"
                    ".getAttribute('aria-selected')" % tab) == "true",
              "%s %s" % (wd.js("return location.pathname"), wd.js(LIST_ROWS)))
    wd.screenshot(os.path.join(art, "nojs-deleted.png"))
    wd.click("#tab-active")
    nj = exp["nojs"]
    wd.click('#panel-active nav.filters a[href="list-active-status-%s.html"]' % nj["status"])
    check("no JS: the status link %s lists only those campaigns" % nj["status"],
          wd.js("return location.pathname") == "/list-active-status-%s.html" % nj["status"]
          and sorted(wd.js(LIST_ROWS)) == sorted(nj["rows"]), str(wd.js(LIST_ROWS)))
    wd.screenshot(os.path.join(art, "nojs-status.png"))
    wd.click('nav.filters a[href="list-active-provider-%s.html"]' % nj["provider"])
    check("no JS: the provider link %s lists its campaigns" % nj["provider"],
          sorted(wd.js(LIST_ROWS)) == sorted(nj["provider_rows"]), str(wd.js(LIST_ROWS)))
    wd.click('nav.filters a[href="index.html"]')
    check("no JS: All goes back to every active campaign",
          wd.js("return location.pathname") == "/index.html" and
          sorted(wd.js(LIST_ROWS)) == sorted(exp["tabs"]["active"]))


if __name__ == "__main__":
    sys.exit(main())
