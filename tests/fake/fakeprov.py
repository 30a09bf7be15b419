#!/usr/bin/python3
"""A fake Twilio / Telnyx for gitdial's tests (python3 stdlib + cryptography).

Serves the documented paths, auth, bodies, status codes and error bodies of
  Twilio  POST/GET /2010-04-01/Accounts/{sid}/Calls.json, GET/POST .../Calls/{sid}.json
  Telnyx  POST /v2/calls, GET /v2/calls/{id}, POST /v2/calls/{id}/actions/{hangup,speak},
          GET /v2/connections/{connection_id}/active_calls
and delivers signed status callbacks (X-Twilio-Signature / Ed25519) to the
webhook URLs the client gave, when told to (POST /_control/flush) or on its
own (config "auto"). A call's fate comes from the last digit of its "To"
number, or from config "fates" {number: fate}:
  0-3,9 human (45 s)  4 busy  5 no_answer  6 failed (404)  7 machine  8 short (2 s)
  fate "rest:<http>:<code>" makes the create request fail with that error.

Test controls (no auth):
  POST /_control/config  {"fates":{}, "caller_ids":[], "auto":false,
                          "deliver":{"https://public/prefix":"http://127.0.0.1:port"},
                          "clock": <unix seconds for Timestamp/telnyx-timestamp> | null}
  POST /_control/faults  {"create":["500","429","reset","reset_after_create",
                          "timeout_after_create:MS","latency:MS"], "fetch":[...],
                          "list":[...], "update":[...], "latency_ms": N}
                          (each list is consumed one fault per request)
  POST /_control/flush   {"duplicate":false,"reverse":false,"shuffle":false,
                          "hold":[event types kept for a later flush]} -> deliveries made
  GET  /_control/requests (each with "at": its arrival, monotonic seconds),
  GET  /_control/calls
The port is written to --port-file once the socket listens.
"""
import argparse
import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import struct
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

E164 = re.compile(r"^\+[1-9][0-9]{7,14}$")
LOCK = threading.RLock()
STATE = {
    "calls": {},          # id -> call dict
    "order": [],          # ids in creation order
    "commands": {},       # telnyx command_id -> call id
    "requests": [],       # API requests seen
    "pending": [],        # callbacks not yet delivered
    "faults": {},         # op -> [fault, ...]
    "latency_ms": 0,
    "config": {"fates": {}, "caller_ids": [], "auto": False, "deliver": {},
               "clock": None},
}
ARGS = None


def now_s():
    c = STATE["config"].get("clock")
    return int(c) if c is not None else int(time.time())


def fate_of(to):
    f = STATE["config"]["fates"].get(to)
    if f:
        return f
    d = to[-1] if to and to[-1].isdigit() else "0"
    return {"4": "busy", "5": "no_answer", "6": "failed", "7": "machine",
            "8": "short"}.get(d, "human")


FATES = {  # fate -> (twilio status, duration, answered_by, sip, telnyx cause)
    "human": ("completed", 45, "human", 200, "normal_clearing"),
    "short": ("completed", 2, "human", 200, "normal_clearing"),
    "machine": ("completed", 25, "machine_end_beep", 200, "normal_clearing"),
    "busy": ("busy", 0, None, 486, "user_busy"),
    "no_answer": ("no-answer", 0, None, 487, "timeout"),
    "failed": ("failed", 0, None, 404, "not_found"),
    "rejected": ("no-answer", 0, None, 603, "call_rejected"),
}


def deliver_url(url):
    for pub, local in STATE["config"].get("deliver", {}).items():
        if url.startswith(pub):
            return local + url[len(pub):]
    return url


def take_fault(op):
    with LOCK:
        q = STATE["faults"].get(op) or []
        return q.pop(0) if q else None


# ---------------------------------------------------------------- signing

def twilio_signature(url, pairs):
    s = url
    names = sorted(set(k for k, _ in pairs))
    for n in names:
        for v in sorted(set(v for k, v in pairs if k == n)):
            s += n + v
    mac = hmac.new(ARGS.auth_token.encode(), s.encode(), hashlib.sha1).digest()
    return base64.b64encode(mac).decode()


def telnyx_sign(ts, body):
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(ARGS.private_key_hex))
    return base64.b64encode(key.sign(ts.encode() + b"|" + body)).decode()


def post(url, body, headers):
    req = urllib.request.Request(deliver_url(url), data=body, method="POST",
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            return r.status
    except urllib.error.HTTPError as e:
        return e.code
    except Exception as e:  # noqa: BLE001 - reported to the test
        return "error: %s" % e


def deliver(cb):
    if cb["event"] in FINAL_EVENTS:
        with LOCK:
            finish_call(cb["call"])
    if cb["kind"] == "twilio":
        body = urllib.parse.urlencode(cb["pairs"]).encode()
        sig = twilio_signature(cb["url"], cb["pairs"])
        st = post(cb["url"], body, {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": sig, "User-Agent": "TwilioProxy/1.1"})
    else:
        with LOCK:
            cur = STATE["calls"].get(cb["call"], {}).get("client_state")
        if "client_state" in cb["envelope"]["data"]["payload"] and \
                cb["envelope"]["data"]["payload"]["client_state"] is None:
            cb["envelope"]["data"]["payload"]["client_state"] = cur
        body = json.dumps(cb["envelope"], separators=(",", ":")).encode()
        ts = str(now_s())
        st = post(cb["url"], body, {
            "Content-Type": "application/json",
            "telnyx-signature-ed25519": telnyx_sign(ts, body),
            "telnyx-timestamp": ts, "User-Agent": "telnyx-webhooks"})
    if cb["kind"] == "telnyx" and not (isinstance(st, int) and 200 <= st < 300):
        # Telnyx delivers again when the answer is not 2xx (at most 5 retries,
        # webhook_retries_policies); here: at the next flush
        env = cb["envelope"]
        env["meta"]["attempt"] = env["meta"].get("attempt", 1) + 1
        if env["meta"]["attempt"] <= 6:
            with LOCK:
                STATE["pending"].append(cb)
    return {"url": cb["url"], "event": cb["event"], "call": cb["call"], "status": st}


FINAL_EVENTS = ("completed", "call.hangup")


def flush(opts):
    hold = set(opts.get("hold", []))
    with LOCK:
        todo = [cb for cb in STATE["pending"] if cb["event"] not in hold]
        STATE["pending"] = [cb for cb in STATE["pending"] if cb["event"] in hold]
        # calls that report to no webhook end now; the others when told so
        told = set(cb["call"] for cb in todo + STATE["pending"]
                   if cb["event"] in FINAL_EVENTS)
        for cid in STATE["order"]:
            if cid not in told:
                finish_call(cid)
    if opts.get("reverse"):
        todo.reverse()
    if opts.get("shuffle"):
        random.Random(opts.get("seed", 1)).shuffle(todo)
    # each call's callbacks in order; different calls side by side
    per_call = {}
    for cb in todo:
        per_call.setdefault(cb["call"], []).append(cb)
    results = {}

    def run(cid):
        got = []
        for cb in per_call[cid]:
            got.append(deliver(cb))
            if opts.get("duplicate"):
                got.append(deliver(cb))
        results[cid] = got
    workers = max(1, int(opts.get("parallel", 4)))
    ids = list(per_call)
    for i in range(0, len(ids), workers):
        ts = [threading.Thread(target=run, args=(c,)) for c in ids[i:i + workers]]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return [r for c in ids for r in results[c]]


def finish_call(cid):
    """The call reaches its final state as its last callback is sent."""
    c = STATE["calls"].get(cid)
    if not c or c.get("final"):
        return
    st, dur, ab, sip, _ = FATES[c["fate"]]
    t = now_s()
    c["start_time"] = t
    c["end_time"] = t + dur + 5
    c["status"] = st
    c["duration"] = dur
    c["answered_by"] = ab if c.get("amd") and ab else None
    c["final"] = True


def auto_deliver(call_id):
    time.sleep(0.05)
    with LOCK:
        mine = [cb for cb in STATE["pending"] if cb["call"] == call_id]
        STATE["pending"] = [cb for cb in STATE["pending"] if cb["call"] != call_id]
    for cb in mine:
        deliver(cb)


# ---------------------------------------------------------------- twilio

def rfc2822(t):
    return formatdate(t, usegmt=False).replace("-0000", "+0000")


def twilio_call_json(c):
    def date(t):
        return rfc2822(t) if t else None
    return {
        "sid": c["id"], "account_sid": ARGS.account_sid, "to": c["to"],
        "from": c["from"], "status": c["status"], "direction": "outbound-api",
        "date_created": date(c["created"]), "date_updated": date(c["created"]),
        "start_time": date(c.get("start_time")), "end_time": date(c.get("end_time")),
        "duration": str(c["duration"]) if c.get("final") else None,
        "answered_by": c.get("answered_by"), "api_version": "2010-04-01",
        "price": None, "price_unit": "USD", "parent_call_sid": None,
        "queue_time": "0", "group_sid": None, "caller_name": None,
        "uri": "/2010-04-01/Accounts/%s/Calls/%s.json" % (ARGS.account_sid, c["id"]),
    }


def twilio_err(code, message, status):
    return status, {"code": code, "message": message,
                    "more_info": "https://www.twilio.com/docs/errors/%d" % code,
                    "status": status}


# CreateCallRequest (twilio-oai spec/json/twilio_api_v2010.json, see
# docs/providers.md): its parameter names, enums, and the error
# dictionary's code for each rule
TWILIO_CREATE_PARAMS = {
    "To", "From", "Url", "Twiml", "ApplicationSid", "Method", "FallbackUrl",
    "FallbackMethod", "StatusCallback", "StatusCallbackEvent",
    "StatusCallbackMethod", "SendDigits", "Timeout", "Record",
    "RecordingChannels", "RecordingStatusCallback",
    "RecordingStatusCallbackMethod", "SipAuthUsername", "SipAuthPassword",
    "MachineDetection", "MachineDetectionTimeout",
    "RecordingStatusCallbackEvent", "Trim", "CallerId",
    "MachineDetectionSpeechThreshold", "MachineDetectionSpeechEndThreshold",
    "MachineDetectionSilenceTimeout", "AsyncAmd", "AsyncAmdStatusCallback",
    "AsyncAmdStatusCallbackMethod", "Byoc", "CallReason", "CallToken",
    "RecordingTrack", "TimeLimit", "ClientNotificationUrl"}


def twilio_create_error(f):
    """(code, message) of the first rule a create request breaks, or None."""
    unknown = sorted(set(f) - TWILIO_CREATE_PARAMS)
    if unknown:
        return 20001, "Unknown parameters: %s" % ", ".join(unknown)
    if not f.get("To", [""])[0]:
        return 21201, "No 'To' number is specified"
    if not f.get("From", [""])[0]:
        return 21213, "No 'From' number is specified"
    for k in ("Method", "FallbackMethod", "StatusCallbackMethod",
              "RecordingStatusCallbackMethod", "AsyncAmdStatusCallbackMethod"):
        if k in f and f[k][0] not in ("GET", "POST"):
            return 21209, "Invalid %s: %s" % (k, f[k][0])
    for k in ("Url", "StatusCallback", "AsyncAmdStatusCallback", "FallbackUrl"):
        if k in f and (len(f[k][0]) > 4000 or
                       not re.match(r"^https?://[^/?#_]+", f[k][0])):
            return 21205, "%s is not a valid URL" % k
    if "Twiml" in f and len(f["Twiml"][0]) > 4000:
        return 21205, "Twiml is longer than 4000 characters"
    if "MachineDetection" in f and f["MachineDetection"][0] not in (
            "Enable", "DetectMessageEnd"):
        return 21263, "Invalid Answering Machine Detection Parameters"
    if "AsyncAmd" in f and f["AsyncAmd"][0] not in ("true", "false"):
        return 21263, "Invalid Answering Machine Detection Parameters"
    if f.get("AsyncAmd", ["false"])[0] == "true" and "MachineDetection" in f \
            and "AsyncAmdStatusCallback" not in f:
        return 21262, "No AMD status callback URL provided"
    if "Record" in f and f["Record"][0] not in ("true", "false"):
        return 21200, "Record must be true or false"
    return None


def twilio_callbacks(c, f):
    url = f.get("StatusCallback", [None])[0]
    events = set(f.get("StatusCallbackEvent", [])) | {"completed"}
    st, dur, ab, sip, _ = FATES[c["fate"]]
    answered = st == "completed"
    amd = f.get("MachineDetection", [None])[0] in ("Enable", "DetectMessageEnd")
    c["amd"] = amd
    base = [("CallSid", c["id"]), ("AccountSid", ARGS.account_sid),
            ("From", c["from"]), ("To", c["to"]), ("Called", c["to"]),
            ("Caller", c["from"]), ("Direction", "outbound-api"),
            ("ApiVersion", "2010-04-01"), ("CallbackSource", "call-progress-events")]
    seq = 0
    t = now_s()
    cbs = []

    def add(event, status, extra=(), at=t):
        nonlocal seq
        if url and event in events:
            pairs = base + [("CallStatus", status), ("SequenceNumber", str(seq)),
                            ("Timestamp", rfc2822(at))] + list(extra)
            cbs.append({"kind": "twilio", "url": url, "pairs": pairs,
                        "event": event, "call": c["id"]})
            seq += 1
    add("initiated", "initiated")
    add("ringing", "ringing", at=t + 1)
    if answered:
        add("answered", "in-progress", at=t + 5)
        amd_url = f.get("AsyncAmdStatusCallback", [None])[0]
        if amd and amd_url and f.get("AsyncAmd", ["false"])[0] == "true":
            cbs.append({"kind": "twilio", "url": amd_url, "event": "amd",
                        "call": c["id"],
                        "pairs": [("CallSid", c["id"]), ("AccountSid", ARGS.account_sid),
                                  ("AnsweredBy", ab), ("MachineDetectionDuration", "2100")]})
    extra = [("CallDuration", str(dur)), ("Duration", str((dur + 59) // 60)),
             ("SipResponseCode", str(sip))]
    if amd and answered:
        extra.append(("AnsweredBy", ab))
    if answered and f.get("Record", ["false"])[0] == "true":
        # "The recording_url is sent to the status_callback URL"
        rs = "RE" + uuid.uuid4().hex
        extra += [("RecordingUrl", "https://api.twilio.com/2010-04-01/Accounts/%s/"
                   "Recordings/%s" % (ARGS.account_sid, rs)),
                  ("RecordingSid", rs), ("RecordingDuration", str(dur))]
    add("completed", st, extra, at=t + 5 + dur)
    return cbs


class Server(ThreadingHTTPServer):
    """A thread per connection, and a listen queue as deep as a real API's
    front end: socketserver's default of 5 drops the SYNs of a burst of
    connections (a runner placing 50 calls at once), and each dropped one
    costs its client a 1 s retransmit."""
    daemon_threads = True
    request_queue_size = 1024


class Handler(BaseHTTPRequestHandler):
    server_version = "fakeprov/1"
    disable_nagle_algorithm = True  # headers and body leave at once

    def log_message(self, fmt, *a):  # quiet
        pass

    # -- plumbing
    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, obj=None, ctype="application/json"):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reset(self):
        """Drops the connection with an RST and no response."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def fault_before(self, op):
        """Applies a fault that happens before the request is handled.
        Returns (handled, after) where after is a fault for later."""
        lat = STATE["latency_ms"]
        if lat:
            time.sleep(lat / 1000.0)
        f = take_fault(op)
        if not f:
            return False, None
        if f.startswith("latency:"):
            time.sleep(int(f.split(":")[1]) / 1000.0)
            return False, None
        if f in ("502", "504"):
            # a gateway in front of the API: its own page, not the API's
            self.send_gateway(int(f))
            return True, None
        if f in ("500", "503"):
            self.send_error_body(int(f))
            return True, None
        if f == "429":
            self.send_error_body(429)
            return True, None
        if f == "reset":
            self.reset()
            return True, None
        return False, f  # *_after_create

    def fault_after(self, f, status, obj):
        if f == "reset_after_create":
            self.reset()
        elif f and f.startswith("timeout_after_create"):
            ms = int(f.split(":")[1]) if ":" in f else 5000
            time.sleep(ms / 1000.0)
            try:
                self.send(status, obj)
            except OSError:
                pass
        else:
            self.send(status, obj)

    def send_gateway(self, status):
        data = ("<html><body><h1>%d %s</h1></body></html>" % (
            status, "Bad Gateway" if status == 502 else "Gateway Timeout")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def send_error_body(self, status):
        if ARGS.provider == "twilio":
            code = 20429 if status == 429 else 20500
            msg = "Too Many Requests" if status == 429 else "Internal Server Error"
            self.send(*twilio_err(code, msg, status))
        else:
            code = "90103" if status == 429 else "10007"
            title = "Dial rate limit exceeded" if status == 429 else "Unexpected error"
            self.send(status, {"errors": [{"code": code, "title": title,
                                           "detail": title + "."}]})

    def record(self, op, body, auth_ok):
        with LOCK:
            STATE["requests"].append({
                "at": time.monotonic(),  # arrival, before any latency
                "op": op, "method": self.command, "path": self.path,
                "auth_ok": auth_ok, "body": body.decode("utf-8", "replace"),
                "content_type": self.headers.get("Content-Type")})

    # -- control
    def control(self, method):
        path = self.path.split("?")[0]
        if method == "GET" and path == "/_control/requests":
            with LOCK:
                return self.send(200, STATE["requests"])
        if method == "GET" and path == "/_control/calls":
            with LOCK:
                return self.send(200, [STATE["calls"][i] for i in STATE["order"]])
        if method != "POST":
            return self.send(404, {"error": "no such control"})
        data = json.loads(self.body() or b"{}")
        if path == "/_control/config":
            with LOCK:
                STATE["config"].update(data)
            return self.send(200, STATE["config"])
        if path == "/_control/faults":
            with LOCK:
                for k, v in data.items():
                    if k == "latency_ms":
                        STATE["latency_ms"] = int(v)
                    else:
                        STATE["faults"][k] = list(v)
            return self.send(200, {"ok": True})
        if path == "/_control/flush":
            return self.send(200, flush(data))
        return self.send(404, {"error": "no such control"})

    def do_GET(self):
        if self.path.startswith("/_control/"):
            return self.control("GET")
        return self.route("GET")

    def do_POST(self):
        if self.path.startswith("/_control/"):
            return self.control("POST")
        return self.route("POST")

    def do_PUT(self):
        return self.route("PUT")

    def route(self, method):
        if ARGS.provider == "twilio":
            return self.twilio(method)
        return self.telnyx(method)

    # -- twilio
    def twilio_auth(self, sid):
        h = self.headers.get("Authorization", "")
        if not h.startswith("Basic "):
            return False
        try:
            user, _, pw = base64.b64decode(h[6:]).decode().partition(":")
        except Exception:  # noqa: BLE001
            return False
        return (user == ARGS.account_sid and sid == ARGS.account_sid and
                hmac.compare_digest(pw, ARGS.auth_token))

    def twilio(self, method):
        u = urllib.parse.urlsplit(self.path)
        m = re.match(r"^/2010-04-01/Accounts/([^/]+)/Calls(?:/([^/]+))?\.json$", u.path)
        body = self.body() if method == "POST" else b""
        if not m:
            self.record("unknown", body, False)
            return self.send(*twilio_err(20404, "The requested resource %s was not "
                                         "found" % u.path, 404))
        sid, call = m.group(1), m.group(2)
        op = ("create" if method == "POST" else "list") if not call else \
            ("update" if method == "POST" else "fetch")
        ok = self.twilio_auth(sid)
        self.record(op, body if op != "list" else u.query.encode(), ok)
        if not ok:
            return self.send(*twilio_err(20003, "Authenticate", 401))
        handled, after = self.fault_before(op)
        if handled:
            return
        f = urllib.parse.parse_qs(body.decode(), keep_blank_values=True)
        if op == "create":
            return self.twilio_create(f, after)
        if op == "list":
            return self.twilio_list(urllib.parse.parse_qs(u.query))
        with LOCK:
            c = STATE["calls"].get(call)
        if not c:
            return self.send(*twilio_err(20404, "The requested resource /2010-04-01/"
                                         "Accounts/%s/Calls/%s.json was not found"
                                         % (sid, call), 404))
        if op == "fetch":
            return self.send(200, twilio_call_json(c))
        # update: hang up, or new Twiml
        want = f.get("Status", [None])[0]
        with LOCK:
            c.setdefault("updates", []).append({k: v[0] for k, v in f.items()})
            if want in ("completed", "canceled"):
                if c.get("final") or (want == "canceled" and c["status"] == "in-progress"):
                    return self.send(*twilio_err(21220, "Call is not in-progress. "
                                                 "Cannot redirect.", 400))
                c["status"] = want
                c["final"] = True
                c["duration"] = c.get("duration", 0)
        return self.send(200, twilio_call_json(c))

    def twilio_create(self, f, after):
        to = f.get("To", [""])[0]
        frm = f.get("From", [""])[0]
        bad = twilio_create_error(f)
        if bad:
            return self.send(*twilio_err(bad[0], bad[1], 400))
        if not E164.match(to):
            return self.send(*twilio_err(21211, "The 'To' number %s is not a valid "
                                         "phone number." % to, 400))
        ids = STATE["config"].get("caller_ids") or []
        if ids and frm not in ids:
            return self.send(*twilio_err(21210, "The source phone number provided, "
                                         "%s, is not yet verified for your account."
                                         % frm, 400))
        if not f.get("Twiml") and not f.get("Url"):
            return self.send(*twilio_err(21205, "Url parameter is required.", 400))
        t = f.get("Timeout", ["60"])[0]
        if not t.isdigit() or int(t) > 600:
            return self.send(*twilio_err(21208, "Timeout must be between 0 and 600",
                                         400))
        for e in f.get("StatusCallbackEvent", []):
            if e not in ("initiated", "ringing", "answered", "completed"):
                return self.send(*twilio_err(21626, "Invalid 'StatusCallbackEvent'",
                                             400))
        fate = fate_of(to)
        if fate.startswith("rest:"):
            _, http, code = fate.split(":")
            return self.send(*twilio_err(int(code), "error %s for %s" % (code, to),
                                         int(http)))
        cid = "CA" + uuid.uuid4().hex
        c = {"id": cid, "to": to, "from": frm, "status": "queued",
             "created": now_s(), "fate": fate, "duration": 0,
             "form": {k: (v if len(v) > 1 else v[0]) for k, v in f.items()}}
        cbs = twilio_callbacks(c, f)
        with LOCK:
            STATE["calls"][cid] = c
            STATE["order"].append(cid)
            STATE["pending"].extend(cbs)
        if STATE["config"].get("auto"):
            threading.Thread(target=auto_deliver, args=(cid,), daemon=True).start()
        self.fault_after(after, 201, twilio_call_json(c))

    def twilio_list(self, q):
        def one(k):
            return q.get(k, [None])[0]
        with LOCK:
            calls = [STATE["calls"][i] for i in reversed(STATE["order"])]
        out = []
        for c in calls:
            if one("To") and c["to"] != one("To"):
                continue
            if one("From") and c["from"] != one("From"):
                continue
            if one("Status") and c["status"] != one("Status"):
                continue
            # the spec's parameters are StartTime, StartTime< and StartTime>
            # (on or after the day); any other name is not a filter
            since = one("StartTime>")
            if since is not None:
                if not c.get("start_time"):
                    continue  # queued calls have no start time
                day = time.strftime("%Y-%m-%d", time.gmtime(c["start_time"]))
                if not re.match(r"^\d{4}-\d{2}-\d{2}$", since) or day < since:
                    continue
            out.append(twilio_call_json(c))
        size = int(one("PageSize") or 50)
        page = int(one("Page") or 0)
        chunk = out[page * size:(page + 1) * size]
        base = "/2010-04-01/Accounts/%s/Calls.json" % ARGS.account_sid
        nq = {k: v[0] for k, v in q.items() if k not in ("Page", "PageToken")}
        nxt = None
        if (page + 1) * size < len(out):
            nq.update({"Page": page + 1, "PageToken": "PA%d" % (page + 1)})
            nxt = base + "?" + urllib.parse.urlencode(nq)
        self.send(200, {"calls": chunk, "page": page, "page_size": size,
                        "start": page * size, "end": page * size + len(chunk),
                        "first_page_uri": base, "next_page_uri": nxt,
                        "previous_page_uri": None, "uri": base})

    # -- telnyx
    def telnyx_err(self, status, code, title, detail, pointer=None):
        e = {"code": code, "title": title, "detail": detail}
        if pointer:
            e["source"] = {"pointer": pointer}
        self.send(status, {"errors": [e]})

    def telnyx(self, method):
        u = urllib.parse.urlsplit(self.path)
        body = self.body() if method in ("POST", "PUT") else b""
        a = re.match(r"^/v2/connections/([^/]+)/active_calls$", u.path)
        if a and method == "GET":
            return self.telnyx_active(urllib.parse.unquote(a.group(1)), u.query)
        m = re.match(r"^/v2/calls(?:/([^/]+)(?:/actions/([a-z_]+))?)?$", u.path)
        op = "unknown"
        if m:
            call, action = m.group(1), m.group(2)
            # the spec's methods: client_state_update is a PUT, the rest POST
            want = "PUT" if action == "client_state_update" else "POST"
            op = "create" if not call and method == "POST" else \
                "fetch" if call and not action and method == "GET" else \
                action if call and action in TELNYX_ACTIONS and method == want \
                else "unknown"
        ok = self.headers.get("Authorization", "") == "Bearer " + ARGS.api_key
        self.record(op, body, ok)
        if not ok:
            return self.telnyx_err(401, "10009", "Authentication failed",
                                   "Could not understand the provided credentials.")
        if op == "unknown":
            return self.telnyx_err(404, "10005", "Resource not found",
                                   "The requested resource or URL could not be found.")
        handled, after = self.fault_before("update" if op in TELNYX_ACTIONS
                                           else op)
        if handled:
            return
        if op == "create":
            try:
                d = json.loads(body)
            except ValueError:
                return self.telnyx_err(400, "10023", "Invalid JSON",
                                       "The request body is not valid JSON.")
            return self.telnyx_create(d, after)
        cid = urllib.parse.unquote(call)
        with LOCK:
            c = STATE["calls"].get(cid)
        if not c:
            return self.telnyx_err(404, "10005", "Resource not found",
                                   "Call %s not found." % cid)
        if op == "fetch":
            return self.send(200, {"data": telnyx_call_json(c)})
        # every command's request body is required JSON (spec: requestBody
        # required: true), the empty object included
        try:
            cmd = json.loads(body)
        except ValueError:
            cmd = None
        if not isinstance(cmd, dict):
            return self.telnyx_err(400, "10023", "Invalid JSON",
                                   "The request body is required and must be "
                                   "a JSON object.")
        bad = telnyx_command_error(op, cmd)
        if bad:
            return self.telnyx_err(422, "10015", "Bad Request", bad[1], bad[0])
        with LOCK:
            c.setdefault("updates", []).append({"action": op, "body": cmd})
            if c.get("final") or c.get("hung_up"):
                return self.telnyx_err(422, "90018", "Call has already ended",
                                       "This call is no longer active.")
            cid_ = cmd.get("command_id")
            seen = c.setdefault("command_ids", [])
            if cid_ and cid_ in seen:
                # "Telnyx will ignore any command with the same command_id
                # for the same call_control_id"
                c["updates"][-1]["ignored"] = True
                return self.send(200, {"data": {"result": "ok"}})
            if cid_:
                seen.append(cid_)
            if "client_state" in cmd:
                # "add state to every subsequent webhook"
                c["client_state"] = cmd["client_state"]
            if op == "hangup":
                c["hung_up"] = True
            elif op == "speak":
                # the speech "plays" and ends: deliver call.speak.ended next flush
                STATE["pending"].append(telnyx_event(c, "call.speak.ended",
                                                     now_s(), {"status": "completed"}))
        return self.send(200, {"data": {"result": "ok"}})

    def telnyx_active(self, conn, query):
        """ListConnectionActiveCalls (spec3.json): the connection's calls
        still up, as ActiveCall objects (call_control_id, call_duration,
        call_leg_id, call_session_id, client_state, record_type), paged by
        the consolidated page parameter (page[number], page[size]), with
        the CursorPaginationMeta."""
        ok = self.headers.get("Authorization", "") == "Bearer " + ARGS.api_key
        self.record("active_calls", b"", ok)
        if not ok:
            return self.telnyx_err(401, "10009", "Authentication failed",
                                   "Could not understand the provided credentials.")
        handled, _ = self.fault_before("list")
        if handled:
            return
        q = urllib.parse.parse_qs(query, keep_blank_values=True)
        try:
            num = int(q.get("page[number]", ["1"])[0])
            size = int(q.get("page[size]", ["20"])[0])
        except ValueError:
            num = size = 0
        if num < 1 or size < 1 or size > 250:
            return self.telnyx_err(422, "10015", "Bad Request",
                                   "page[number] must be >= 1 and page[size] "
                                   "between 1 and 250.", "/page")
        if conn != ARGS.connection_id:
            return self.telnyx_err(404, "10005", "Resource not found",
                                   "Connection %s not found." % conn)
        t = now_s()
        with LOCK:
            live = [STATE["calls"][i] for i in STATE["order"]
                    if not STATE["calls"][i].get("final") and
                    not STATE["calls"][i].get("hung_up")]
            page = live[(num - 1) * size:num * size]
            data = [{"record_type": "call", "call_control_id": c["id"],
                     "call_leg_id": c["leg"], "call_session_id": c["session"],
                     "client_state": c.get("client_state"),
                     "call_duration": max(0, t - c["created"])} for c in page]
        path = "/v2/connections/%s/active_calls?page[number]=%d&page[size]=%d"
        more = num * size < len(live)
        meta = {"total_items": len(live),
                "cursors": {"after": str(num + 1) if more else None,
                            "before": str(num - 1) if num > 1 else None},
                "next": path % (conn, num + 1, size) if more else None,
                "previous": path % (conn, num - 1, size) if num > 1 else None}
        return self.send(200, {"data": data, "meta": meta})

    def telnyx_create(self, d, after):
        to, frm = d.get("to", ""), d.get("from", "")
        if d.get("connection_id") != ARGS.connection_id:
            return self.telnyx_err(422, "10015", "Bad Request",
                                   "connection_id is not a Call Control App.",
                                   "/connection_id")
        if not isinstance(to, str) or not E164.match(to):
            return self.telnyx_err(422, "10016", "Phone number must be in +E.164 "
                                   "format", "The 'to' number is not +E.164.", "/to")
        if not E164.match(frm or ""):
            return self.telnyx_err(422, "10016", "Phone number must be in +E.164 "
                                   "format", "The 'from' number is not +E.164.", "/from")
        ts = d.get("timeout_secs", 30)
        if not isinstance(ts, int) or ts < 5 or ts > 600:
            return self.telnyx_err(422, "10015", "Bad Request",
                                   "timeout_secs must be between 5 and 600.",
                                   "/timeout_secs")
        # CallRequest's recording fields (spec enums)
        for k, allowed in (("record", ("record-from-answer",)),
                           ("record_format", ("wav", "mp3")),
                           ("record_channels", ("single", "dual"))):
            if k in d and d[k] not in allowed:
                return self.telnyx_err(422, "10015", "Bad Request",
                                       "%s is not one of the allowed values." % k,
                                       "/" + k)
        cs = d.get("client_state")
        if cs is not None:
            try:
                base64.b64decode(cs, validate=True)
            except ValueError:
                return self.telnyx_err(422, "10015", "Bad Request",
                                       "client_state must be valid Base64.",
                                       "/client_state")
        fate = fate_of(to)
        if fate.startswith("rest:"):
            _, http, code = fate.split(":")
            return self.telnyx_err(int(http), code, "error %s" % code,
                                   "error %s for %s" % (code, to))
        cmd = d.get("command_id")
        with LOCK:
            if cmd and cmd in STATE["commands"]:
                c = STATE["calls"][STATE["commands"][cmd]]
                c["duplicates"] = c.get("duplicates", 0) + 1
                return self.fault_after(after, 200, {"data": telnyx_call_json(c)})
            cid = "v3:" + base64.urlsafe_b64encode(os.urandom(24)).decode().rstrip("=")
            c = {"id": cid, "to": to, "from": frm, "status": "queued",
                 "created": now_s(), "fate": fate, "duration": 0, "json": d,
                 "client_state": d.get("client_state"),
                 "leg": str(uuid.uuid4()), "session": str(uuid.uuid4())}
            STATE["calls"][cid] = c
            STATE["order"].append(cid)
            if cmd:
                STATE["commands"][cmd] = cid
            STATE["pending"].extend(telnyx_callbacks(c, d))
        if STATE["config"].get("auto"):
            threading.Thread(target=auto_deliver, args=(cid,), daemon=True).start()
        self.fault_after(after, 200, {"data": telnyx_call_json(c)})


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime(t))


# Call Control actions the fake knows, and their request schemas' rules
# (team-telnyx/openapi spec3.json, read through the telnyx npm SDK 7.24.0
# types generated from it; see docs/providers.md)
TELNYX_ACTIONS = ("hangup", "speak", "streaming_start", "streaming_stop",
                  "client_state_update")
SPEAK_LANGUAGES = (
    "arb", "cmn-CN", "cy-GB", "da-DK", "de-DE", "en-AU", "en-GB", "en-GB-WLS",
    "en-IN", "en-US", "es-ES", "es-MX", "es-US", "fr-CA", "fr-FR", "hi-IN",
    "is-IS", "it-IT", "ja-JP", "ko-KR", "nb-NO", "nl-NL", "pl-PL", "pt-BR",
    "pt-PT", "ro-RO", "ru-RU", "sv-SE", "tr-TR")
VOICE_PROVIDERS = ("AWS.Polly.", "Polly.", "Azure.", "ElevenLabs.", "Telnyx.",
                   "Minimax.", "Resemble.", "Inworld.", "FishAudio.", "Soniox.",
                   "xAI.", "Humain.")


def b64_ok(s):
    try:
        base64.b64decode(s, validate=True)
        return isinstance(s, str)
    except ValueError:
        return False


def telnyx_command_error(op, cmd):
    """(pointer, detail) of the first rule the command breaks, or None."""
    if "client_state" in cmd and not b64_ok(cmd["client_state"]):
        return "/client_state", "client_state must be a valid Base-64 string."
    if op == "client_state_update" and "client_state" not in cmd:
        return "/client_state", "client_state is required."
    if op == "streaming_start":
        if cmd.get("stream_track", "inbound_track") not in (
                "inbound_track", "outbound_track", "both_tracks"):
            return "/stream_track", "stream_track is not one of the allowed values."
        if cmd.get("stream_bidirectional_mode", "mp3") not in ("mp3", "rtp"):
            return "/stream_bidirectional_mode", "not one of mp3, rtp."
    if op != "speak":
        return None
    payload, voice = cmd.get("payload"), cmd.get("voice")
    if not isinstance(payload, str) or not payload:
        return "/payload", "payload is required."
    if len(payload) > 3000:
        return "/payload", "There is a 3,000 character limit."
    if not isinstance(voice, str) or not voice:
        return "/voice", "voice is required."
    level = cmd.get("service_level", "premium")
    if level not in ("basic", "premium"):
        return "/service_level", "service_level must be basic or premium."
    lang = cmd.get("language")
    if lang is not None and lang not in SPEAK_LANGUAGES:
        return "/language", "language is not one of the allowed values."
    if cmd.get("payload_type", "text") not in ("text", "ssml"):
        return "/payload_type", "payload_type must be text or ssml."
    if level == "basic":
        # "When using basic, only the en-US language and payload type text
        # are allowed"; "For service_level basic, you may define the
        # gender of the speaker (male or female)"
        if lang not in (None, "en-US") or cmd.get("payload_type", "text") != "text":
            return "/language", "basic allows only en-US and text."
        if voice not in ("male", "female") and not voice.startswith(VOICE_PROVIDERS):
            return "/voice", "voice is not valid."
    elif not voice.startswith(VOICE_PROVIDERS):
        return "/voice", ("voice %s is only defined for service_level basic; "
                          "premium takes <Provider>.<Model>.<VoiceId>" % voice)
    return None


def telnyx_call_json(c):
    alive = not c.get("final")
    d = {"call_control_id": c["id"], "call_leg_id": c["leg"],
         "call_session_id": c["session"], "is_alive": alive, "record_type": "call",
         "client_state": c.get("client_state"),
         # "the duration of the call in seconds": from its start, ringing
         # included (the spec does not say talk time)
         "call_duration": (c["end_time"] - c["created"]) if not alive and
         c.get("end_time") else (0 if not alive else None),
         "start_time": iso(c["created"]),
         "end_time": iso(c["end_time"]) if c.get("end_time") else None}
    return d


def telnyx_event(c, event, at, extra):
    d = c["json"]
    url = d.get("webhook_url") or ARGS.webhook_url
    # client_state is filled in as the event is sent: the latest one
    payload = {"call_control_id": c["id"], "call_leg_id": c["leg"],
               "call_session_id": c["session"], "client_state": None,
               "connection_id": ARGS.connection_id, "from": c["from"], "to": c["to"],
               "direction": "outgoing"}
    payload.update(extra)
    env = {"data": {"record_type": "event", "event_type": event,
                    "id": str(uuid.uuid4()), "occurred_at": iso(at),
                    "payload": payload}, "meta": {"attempt": 1, "delivered_to": url}}
    return {"kind": "telnyx", "url": url, "envelope": env, "event": event,
            "call": c["id"]}


def telnyx_callbacks(c, d):
    url = d.get("webhook_url") or ARGS.webhook_url
    if not url:
        return []
    st, dur, ab, sip, cause = FATES[c["fate"]]
    amd = d.get("answering_machine_detection", "disabled") != "disabled"
    c["amd"] = amd
    t = now_s()
    cbs = []

    def add(event, at, extra):
        cbs.append(telnyx_event(c, event, at, extra))
    add("call.initiated", t, {"state": "parked", "start_time": iso(t)})
    if st == "completed":
        add("call.answered", t + 5, {"state": "answered", "start_time": iso(t)})
        if amd:
            res = "machine" if ab and ab.startswith("machine") else "human"
            add("call.machine.detection.ended", t + 7, {"result": res})
            if res == "machine" and d.get("answering_machine_detection") in (
                    "detect_beep", "greeting_end", "premium"):
                add("call.machine.greeting.ended", t + 12, {"result": "beep_detected"})
    # the spec's CallHangup payload: start_time, no end_time (the end is
    # the envelope's occurred_at)
    add("call.hangup", t + 5 + dur, {
        "state": "hangup", "hangup_cause": cause,
        "hangup_source": "callee" if st == "completed" else "unknown",
        "sip_hangup_cause": str(sip) if sip != 200 else "unspecified",
        "start_time": iso(t), "call_quality_stats": None})
    if st == "completed" and d.get("record") == "record-from-answer":
        # after the hang-up; the spec's CallRecordingSaved payload (npm
        # telnyx 7.24.0 webhooks.d.ts): no call_control_id, no from/to
        fmt = d.get("record_format", "mp3")
        rec = "https://s3.amazonaws.com/telnyx-recordings/%s.%s" % (c["leg"], fmt)
        extra = {"channels": d.get("record_channels", "single"),
                 "recording_started_at": iso(t + 5),
                 "recording_ended_at": iso(t + 5 + dur),
                 # "valid for 10 minutes"
                 "recording_urls": {fmt: rec + "?X-Amz-Expires=600"}}
        # "activated on a per request basis" (config "public_recordings")
        if STATE["config"].get("public_recordings"):
            extra["public_recording_urls"] = {fmt: rec}
        cbs.append(telnyx_recording_saved(c, t + 6 + dur, extra))
    return cbs


def telnyx_recording_saved(c, at, extra):
    cb = telnyx_event(c, "call.recording.saved", at, extra)
    p = cb["envelope"]["data"]["payload"]
    for k in ("call_control_id", "from", "to", "direction"):
        p.pop(k, None)
    return cb


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--provider", choices=["twilio", "telnyx"], required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--account-sid", default="AC" + "0" * 32)
    ap.add_argument("--auth-token", default="test-token")
    ap.add_argument("--api-key", default="KEYtest")
    ap.add_argument("--connection-id", default="1234567890")
    ap.add_argument("--private-key-hex",
                    default="9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
    ap.add_argument("--webhook-url", default=None)
    ARGS = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Handler)
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()
