#!/usr/bin/python3
"""Helpers for the webhook and dial figures of tests/bench/run.sh (stdlib only).

  webhooks.py repo DIR ID N SID API_BASE PUB
      A campaign repository (no git): gitdial.json with one Twilio account
      "tw-main" (credentials env:TW_SID / env:TW_TOKEN), campaign ID with N
      recipients, all of them dispatched and placed in one log file in the
      formats of runner/core/ledger.c (ev_dispatched, ev_placed) at
      2026-11-24T02:00:00Z. Writes DIR/.bench-calls.tsv: attempt, call sid,
      to, from (what the deliveries are about).
  webhooks.py load URL TOKEN PUB SID CALLS CLIENTS OUT
      One signed final status callback per line of CALLS (each a distinct
      attempt), form bodies like the fake's, signed for PUB/twilio?query,
      all built before the clock starts; then POSTed to URL/twilio?query by
      CLIENTS threads over keep-alive connections. Writes to OUT one line:
      "sent ok wall_ms per_s p50_ms p99_ms statuses".
  webhooks.py check DIR ID CALLS
      Prints "missing doubled" for the outcome lines of the attempts in
      CALLS found in DIR/outcomes/ID/ (each expected exactly once).
  webhooks.py dialreqs OUTDIR N API_BASE [RUN]
      N dial requests (the runner's contract) for distinct attempts and
      numbers (RUN makes them differ from another run's).
  webhooks.py dialrun BINARY REQDIR PAR OUT
      BINARY dial < each request, PAR at once; "wall_ms failed" to OUT.
  webhooks.py dialbatch BINARY REQDIR PAR OUT
      One `BINARY dial --batch --parallel PAR` fed every request as a
      line "SEQ<TAB>JSON" (the runner's way); each answer to its
      request's .out file; "wall_ms failed" to OUT.
  webhooks.py dialrepo DIR ID N API_BASE [RUN]
      A campaign repository (no git) whose campaign ID (concurrency N)
      has N recipients, none dialed yet, on a Twilio account at API_BASE
      with max_concurrency N and cps 1000: one tick dials them all.
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import sys
import threading
import time
import urllib.parse

TS = "2026-11-24T02:00:00Z"


def phone(i):
    return "+1646200%04d" % i


def write_repo(d, cid, name, api, pub, conc, max_conc, phones):
    """gitdial.json with one Twilio account "tw-main" (credentials
    env:TW_SID / env:TW_TOKEN) and campaign CID dialing PHONES."""
    os.makedirs(os.path.join(d, "campaigns", cid), exist_ok=True)
    cfg = {"accounts": {"tw-main": {
        "provider": "twilio", "caller_ids": ["+14155550100"],
        "max_concurrency": max_conc, "cps": 1000,
        "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"},
        "api_base": api}},
        "agent": {"stream_url": "wss://agent.example.com/voice"},
        "webhook_base_url": pub,
        "disclosure": {"en": "This call may be recorded."}}
    with open(os.path.join(d, "gitdial.json"), "w") as f:
        json.dump(cfg, f, indent=2)
        f.write("\n")
    camp = {"name": name, "status": "scheduled",
            "start_at": "2026-11-02T09:00:00-05:00", "account": "tw-main",
            "caller_id": "+14155550100",
            "script": {"mode": "override", "text": "Your payment is due Friday."},
            "audience": {"csv": "audience.csv"},
            "pacing": {"concurrency": conc,
                       "window": {"start": "09:00", "end": "20:00"},
                       "voicemail": "hang_up"}}
    with open(os.path.join(d, "campaigns", cid, "campaign.json"), "w") as f:
        json.dump(camp, f, indent=2)
        f.write("\n")
    with open(os.path.join(d, "campaigns", cid, "audience.csv"), "w") as f:
        f.write("phone,name\n")
        for i, p in enumerate(phones):
            f.write("%s,Person %d\n" % (p, i))


def cmd_repo(d, cid, n, sid, api, pub):
    n = int(n)
    write_repo(d, cid, "Webhook bench", api, pub, 50, 200, [phone(i) for i in range(n)])
    logd = os.path.join(d, "outcomes", cid, "2026", "11", "24")
    os.makedirs(logd, exist_ok=True)
    head = '{"v":1,"ts":"%s","campaign":"%s","event":"%%s"' % (TS, cid)
    with open(os.path.join(logd, "T020000Z-bench.jsonl"), "w") as f, \
            open(os.path.join(d, ".bench-calls.tsv"), "w") as calls:
        for i in range(n):
            p = phone(i)
            aid = "%s.%s.1" % (cid, p[1:])
            csid = "CA" + hashlib.md5(aid.encode()).hexdigest()
            f.write(head % "dispatched" + ',"attempt_id":"%s","phone":"%s","row":%d,'
                    '"attempt":1,"account":"tw-main","caller_id":"+14155550100"}\n'
                    % (aid, p, i + 2))
            f.write(head % "placed" + ',"attempt_id":"%s","call_id":"%s"}\n' % (aid, csid))
            calls.write("%s\t%s\t%s\t+14155550100\n" % (aid, csid, p))


def twilio_sig(token, url, pairs):
    s = url
    for k in sorted(set(k for k, _ in pairs)):
        for v in sorted(set(v for kk, v in pairs if kk == k)):
            s += k + v
    return base64.b64encode(hmac.new(token.encode(), s.encode(), hashlib.sha1).digest()).decode()


# a final status as Twilio (and the fake) sends it: completed/busy/no-answer
FATES = [("completed", "45", "200"), ("completed", "45", "200"), ("busy", "0", "486"),
         ("no-answer", "0", "487"), ("completed", "2", "200")]


def cmd_load(url, token, pub, sid, calls, clients, out):
    clients = int(clients)
    u = urllib.parse.urlsplit(url)
    reqs = []
    with open(calls) as f:
        for i, line in enumerate(f):
            aid, csid, to, frm = line.rstrip("\n").split("\t")
            st, dur, sip = FATES[i % len(FATES)]
            pairs = [("Called", to), ("ToState", "NY"), ("CallerCountry", "US"),
                     ("Direction", "outbound-api"), ("Timestamp",
                     "Tue, 24 Nov 2026 02:%02d:%02d +0000" % (1 + i // 60 % 50, i % 60)),
                     ("CallbackSource", "call-progress-events"), ("SipResponseCode", sip),
                     ("CallerState", "CA"), ("ToZip", ""), ("SequenceNumber", "3"),
                     ("CallSid", csid), ("To", to), ("CallerZip", ""),
                     ("ToCountry", "US"), ("CalledZip", ""), ("ApiVersion", "2010-04-01"),
                     ("CalledCity", ""), ("CallStatus", st), ("Duration", "1"),
                     ("From", frm), ("CallDuration", dur), ("AccountSid", sid),
                     ("CalledCountry", "US"), ("CallerCity", "SAN FRANCISCO"),
                     ("ToCity", "NEW YORK"), ("FromCountry", "US"), ("Caller", frm),
                     ("FromCity", "SAN FRANCISCO"), ("CalledState", "NY"),
                     ("FromZip", ""), ("FromState", "CA")]
            q = urllib.parse.urlencode([("account", "tw-main"), ("attempt_id", aid)])
            body = urllib.parse.urlencode(pairs).encode()
            sig = twilio_sig(token, pub.rstrip("/") + "/twilio?" + q, pairs)
            reqs.append(("/twilio?" + q, body, {
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": sig, "User-Agent": "TwilioProxy/1.1",
                "I-Twilio-Idempotency-Token": hashlib.md5(body).hexdigest()}))
    lat = [None] * len(reqs)
    status = [None] * len(reqs)
    nxt = [0]
    lock = threading.Lock()

    def worker():
        conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
        while True:
            with lock:
                i = nxt[0]
                nxt[0] += 1
            if i >= len(reqs):
                break
            path, body, hdr = reqs[i]
            t0 = time.perf_counter()
            for _ in range(2):  # a connection the server closed: reopen once
                try:
                    conn.request("POST", path, body, hdr)
                    r = conn.getresponse()
                    r.read()
                    status[i] = r.status
                    if r.getheader("Connection", "").lower() == "close":
                        conn.close()
                    break
                except (http.client.HTTPException, OSError) as e:
                    conn.close()
                    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
                    status[i] = "error: %s" % e.__class__.__name__
            lat[i] = time.perf_counter() - t0
        conn.close()

    ts = [threading.Thread(target=worker) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    wall = time.perf_counter() - t0
    ok = sum(1 for s in status if isinstance(s, int) and 200 <= s < 300)
    ls = sorted(x for x in lat if x is not None)

    def pct(p):
        return ls[min(len(ls) - 1, int(p * len(ls)))] * 1000 if ls else 0

    seen = {}
    for s in status:
        seen[str(s)] = seen.get(str(s), 0) + 1
    with open(out, "w") as f:
        f.write("%d %d %.0f %.1f %.1f %.1f %s\n" % (
            len(reqs), ok, wall * 1000, ok / wall if wall else 0, pct(0.50), pct(0.99),
            ",".join("%s:%d" % kv for kv in sorted(seen.items()))))


def cmd_check(d, cid, calls):
    want = {}
    with open(calls) as f:
        for line in f:
            want[line.split("\t", 1)[0]] = 0
    root = os.path.join(d, "outcomes", cid)
    for dp, _, fs in os.walk(root):
        for fn in fs:
            if not fn.endswith(".jsonl"):
                continue
            with open(os.path.join(dp, fn)) as f:
                for line in f:
                    if '"outcome"' not in line:
                        continue
                    e = json.loads(line)
                    if e.get("event") == "outcome" and e.get("attempt_id") in want:
                        want[e["attempt_id"]] += 1
    print(sum(1 for v in want.values() if v == 0), sum(1 for v in want.values() if v > 1))


def cmd_dialreqs(outdir, n, api, run="1"):
    os.makedirs(outdir, exist_ok=True)
    for i in range(int(n)):
        p = "+17183%02d%04d" % (int(run), i)
        r = {"v": 1, "action": "dial", "now": "2026-11-24T15:00:00Z",
             "attempt_id": "dialbench.%s.1" % p[1:], "campaign": "dialbench",
             "to": p, "from": "+14155550100",
             "account": {"name": "tw-main", "provider": "twilio", "api_base": api,
                         "credentials": {"account_sid": "env:TW_SID",
                                         "auth_token": "env:TW_TOKEN"}},
             "agent": {"stream_url": "wss://agent.example.com/voice"},
             "webhook_url": "https://hooks.example.com/gd/twilio",
             "script": {"mode": "override", "text": "Your payment is due Friday."},
             "language": "en", "disclosure": "This call may be recorded.",
             "voicemail": "hang_up", "ring_timeout_s": 30,
             "dispatched_at": "2026-11-24T14:59:59Z"}
        with open(os.path.join(outdir, "%03d.json" % i), "w") as f:
            f.write(json.dumps(r) + "\n")


def cmd_dialrun(binary, reqdir, par, out):
    """Runs BINARY dial < each request, PAR processes at once (no shell in
    between); writes the wall time of them all, in ms, to OUT."""
    import subprocess
    from concurrent.futures import ThreadPoolExecutor
    files = sorted(os.path.join(reqdir, f) for f in os.listdir(reqdir) if f.endswith(".json"))

    def one(f):
        with open(f, "rb") as i, open(f + ".out", "wb") as o:
            return subprocess.run([binary, "dial"], stdin=i, stdout=o).returncode

    with ThreadPoolExecutor(int(par)) as ex:
        list(ex.map(lambda f: None, files[:1]))  # threads, not the clock
        t0 = time.perf_counter()
        rcs = list(ex.map(one, files))
        wall = time.perf_counter() - t0
    with open(out, "w") as f:
        f.write("%.0f %d\n" % (wall * 1000, sum(1 for r in rcs if r != 0)))


def cmd_dialbatch(binary, reqdir, par, out):
    """Runs one BINARY dial --batch --parallel PAR for every request
    (written by a thread while this one reads the answers, as the runner
    polls both pipes); writes the wall time, in ms, to OUT."""
    import subprocess
    files = sorted(os.path.join(reqdir, f) for f in os.listdir(reqdir) if f.endswith(".json"))
    lines = b"".join(b"%d\t%s\n" % (i, open(f, "rb").read().strip())
                     for i, f in enumerate(files))
    t0 = time.perf_counter()
    p = subprocess.Popen([binary, "dial", "--batch", "--parallel", par],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def feed():
        p.stdin.write(lines)
        p.stdin.close()
    w = threading.Thread(target=feed)
    w.start()
    got = {}
    for line in p.stdout:
        seq, _, resp = line.partition(b"\t")
        got[int(seq)] = resp
    w.join()
    rc = p.wait()
    wall = time.perf_counter() - t0
    for i, f in enumerate(files):
        with open(f + ".out", "wb") as o:
            o.write(got.get(i, b""))
    with open(out, "w") as f:
        f.write("%.0f %d\n" % (wall * 1000, len(files) - len(got) + (rc != 0)))


def cmd_dialrepo(d, cid, n, api, run="1"):
    n = int(n)
    write_repo(d, cid, "Dial bench", api, "https://hooks.example.com/gd/", n, n,
               ["+17184%02d%04d" % (int(run), i) for i in range(n)])


if __name__ == "__main__":
    cmds = {"repo": cmd_repo, "load": cmd_load, "check": cmd_check, "dialreqs": cmd_dialreqs,
            "dialrun": cmd_dialrun, "dialbatch": cmd_dialbatch, "dialrepo": cmd_dialrepo}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.exit(__doc__)
    cmds[sys.argv[1]](*sys.argv[2:])
