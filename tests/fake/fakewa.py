#!/usr/bin/python3
"""A fake WhatsApp Business Calling Graph API for gitdial's tests (stdlib).

Serves, under /v<major>.<minor>/<PHONE_NUMBER_ID>, with Bearer auth and
Graph's error bodies {"error":{"message","type","code","fbtrace_id"}}:
  GET  /call_permissions?user_wa_id=<digits>   permission, actions, limits
  POST /calls      action connect (SDP offer, biz_opaque_callback_data)
                   or terminate (call_id)
  POST /messages   the interactive call_permission_request message
                   (limits: 1 per 24 h, 2 per 7 days per user -> 138009)
and delivers the `calls` webhooks (connect with the SDP answer, statuses
RINGING/ACCEPTED/REJECTED, terminate COMPLETED/FAILED) signed with
X-Hub-Signature-256 = sha256=HMAC-SHA256(app secret, raw body) to the app's
callback URL when told to (POST /_control/flush).

It is also the voice agent's media endpoint (POST /_agent/media): a
"whatsapp.offer" gets an SDP offer, a "whatsapp.answer" is recorded; the
body must carry X-Gitdial-Signature (HMAC-SHA256 with --agent-secret).

A call's fate comes from the last digit of the number, or config "fates":
  0-3,9 human (45 s)  4 rejected  5 no_answer  6 invalid (138001)
  7 no_permission  8 short (2 s); also "media_failed" (138021 after
  pick-up) and "rest:<http>:<code>" (the connect request fails so).
Permission: config "permissions" {wa_id: no_permission|temporary|permanent},
else no_permission for the no_permission fate and temporary otherwise.

Test controls (no auth):
  POST /_control/config  {"fates":{}, "permissions":{}, "webhook_url":URL,
                          "clock": unix seconds | null}
  POST /_control/faults  {"create":[...], "permission":[...], "message":[...],
                          "terminate":[...], "agent":[...]} with faults
                          "500", "429", "reset", "latency:MS",
                          "reset_after_create", "timeout_after_create:MS"
                          (one consumed per request)
  POST /_control/flush   {"duplicate":false, "reverse":false, "shuffle":false,
                          "hold":[event names kept for later]} -> deliveries
  GET  /_control/requests, /_control/calls, /_control/messages, /_control/agent
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
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.RLock()
STATE = {
    "calls": {}, "order": [], "requests": [], "pending": [], "faults": {},
    "messages": [], "asked": {}, "agent": [],
    "config": {"fates": {}, "permissions": {}, "webhook_url": None,
               "clock": None},
}
ARGS = None
OFFER = ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
         "a=group:BUNDLE 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
         "c=IN IP4 0.0.0.0\r\na=ice-ufrag:gdag\r\na=ice-pwd:gitdialagentpassword00\r\n"
         "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:"
         "DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\na=setup:actpass\r\n"
         "a=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n")
ANSWER = OFFER.replace("a=setup:actpass", "a=setup:active").replace(
    "gdag", "meta").replace("o=- 4611731400430051336", "o=- 7707041125101949012")


def now_s():
    c = STATE["config"].get("clock")
    return int(c) if c is not None else int(time.time())


def fate_of(wa_id):
    f = STATE["config"]["fates"].get(wa_id) or STATE["config"]["fates"].get("+" + wa_id)
    if f:
        return f
    return {"4": "rejected", "5": "no_answer", "6": "invalid", "7": "no_permission",
            "8": "short"}.get(wa_id[-1:], "human")


def permission_of(wa_id):
    p = STATE["config"]["permissions"].get(wa_id)
    if p:
        return p
    return "no_permission" if fate_of(wa_id) == "no_permission" else "temporary"


def take_fault(op):
    with LOCK:
        q = STATE["faults"].get(op) or []
        return q.pop(0) if q else None


def fbtrace():
    return "A" + base64.b64encode(os.urandom(15)).decode().replace("+", "x").replace("/", "y")


def graph_err(status, code, message, etype="OAuthException", details=None, sub=None):
    e = {"message": message, "type": etype, "code": code, "fbtrace_id": fbtrace()}
    if details:
        e["error_data"] = {"messaging_product": "whatsapp", "details": details}
    if sub:
        e["error_subcode"] = sub
    return status, {"error": e}


# ---------------------------------------------------------------- webhooks

def envelope(value):
    value = dict(value)
    value["messaging_product"] = "whatsapp"
    value["metadata"] = {"display_phone_number": ARGS.display_phone_number,
                         "phone_number_id": ARGS.phone_number_id}
    return {"object": "whatsapp_business_account",
            "entry": [{"id": ARGS.waba_id, "changes": [{"value": value,
                                                        "field": "calls"}]}]}


def callbacks(c):
    """The webhooks a call will send, in the order Meta sends them."""
    t, to, op = now_s(), c["to"], c["opaque"]
    fate = c["fate"]
    cbs = []

    def status(st, at):
        cbs.append({"event": st, "call": c["id"], "body": envelope({"statuses": [{
            "id": c["id"], "timestamp": str(at), "type": "call", "status": st,
            "recipient_id": to, "biz_opaque_callback_data": op}]})})

    def call_event(ev, at, extra):
        item = {"id": c["id"], "to": to, "from": ARGS.display_phone_number,
                "event": ev, "timestamp": str(at), "direction": "BUSINESS_INITIATED",
                "biz_opaque_callback_data": op}
        item.update(extra)
        value = {"calls": [item]}
        if ev == "connect":
            value["contacts"] = [{"profile": {"name": "User " + to[-4:]}, "wa_id": to}]
        cbs.append({"event": ev, "call": c["id"], "body": envelope(value)})

    status("RINGING", t + 1)
    if fate in ("human", "short", "media_failed"):
        dur = {"human": 45, "short": 2, "media_failed": 12}[fate]
        call_event("connect", t + 4, {"session": {"sdp_type": "answer", "sdp": ANSWER}})
        status("ACCEPTED", t + 5)
        end = {"start_time": str(t + 5), "end_time": str(t + 5 + dur), "duration": dur}
        if fate == "media_failed":
            end.update(status="FAILED", errors=[{
                "code": 138021, "message": "Media receive timeout",
                "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
                "error_data": {"details": "No media received from the business"}}])
        else:
            end["status"] = "COMPLETED"
        call_event("terminate", t + 5 + dur, end)
    elif fate == "rejected":
        status("REJECTED", t + 6)
        call_event("terminate", t + 6, {"status": "FAILED"})
    else:  # no_answer
        call_event("terminate", t + 31, {"status": "FAILED"})
    return cbs


def deliver(cb):
    url = STATE["config"].get("webhook_url")
    body = json.dumps(cb["body"], separators=(",", ":")).encode()
    sig = "sha256=" + hmac.new(ARGS.app_secret.encode(), body, hashlib.sha256).hexdigest()
    if cb["event"] == "terminate":
        with LOCK:
            STATE["calls"][cb["call"]]["final"] = True
    req = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Hub-Signature-256": sig,
        "User-Agent": "facebookexternalua"})
    try:
        with urllib.request.urlopen(req, timeout=20) as r:
            st = r.status
    except urllib.error.HTTPError as e:
        st = e.code
    except Exception as e:  # noqa: BLE001 - reported to the test
        st = "error: %s" % e
    return {"event": cb["event"], "call": cb["call"], "status": st}


def flush(opts):
    hold = set(opts.get("hold", []))
    with LOCK:
        todo = [cb for cb in STATE["pending"] if cb["event"] not in hold]
        STATE["pending"] = [cb for cb in STATE["pending"] if cb["event"] in hold]
    if opts.get("reverse"):
        todo.reverse()
    if opts.get("shuffle"):
        random.Random(opts.get("seed", 1)).shuffle(todo)
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
    ids = list(per_call)
    workers = max(1, int(opts.get("parallel", 4)))
    for i in range(0, len(ids), workers):
        ts = [threading.Thread(target=run, args=(c,)) for c in ids[i:i + workers]]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
    return [r for c in ids for r in results[c]]


# ---------------------------------------------------------------- server

class Handler(BaseHTTPRequestHandler):
    server_version = "fakewa/1"
    disable_nagle_algorithm = True

    def log_message(self, fmt, *a):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, obj=None):
        data = b"" if obj is None else json.dumps(obj).encode()
        self.send_response(status)
        if data:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True

    def fault_before(self, op):
        f = take_fault(op)
        if not f:
            return False, None
        if f.startswith("latency:"):
            time.sleep(int(f.split(":")[1]) / 1000.0)
            return False, None
        if f in ("500", "502", "503"):
            self.send(*graph_err(int(f), 2, "Service temporarily unavailable",
                                 "OAuthException"))
            return True, None
        if f == "429":
            if op == "permission":
                self.send(*graph_err(429, 613, "Calls to this api have exceeded the rate limit."))
            else:
                self.send(*graph_err(429, 138005, "Call rate limit exceeded",
                                     details="Too many calls from this business number"))
            return True, None
        if f == "reset":
            self.reset()
            return True, None
        return False, f

    def fault_after(self, f, status, obj):
        if f == "reset_after_create":
            self.reset()
        elif f and f.startswith("timeout_after_create"):
            time.sleep((int(f.split(":")[1]) if ":" in f else 5000) / 1000.0)
            try:
                self.send(status, obj)
            except OSError:
                pass
        else:
            self.send(status, obj)

    def record(self, op, body, auth_ok):
        with LOCK:
            STATE["requests"].append({
                "op": op, "method": self.command, "path": self.path,
                "auth_ok": auth_ok, "body": body.decode("utf-8", "replace"),
                "content_type": self.headers.get("Content-Type")})

    def control(self, method):
        path = self.path.split("?")[0]
        if method == "GET":
            key = {"/_control/requests": "requests", "/_control/messages": "messages",
                   "/_control/agent": "agent"}.get(path)
            with LOCK:
                if key:
                    return self.send(200, STATE[key])
                if path == "/_control/calls":
                    return self.send(200, [STATE["calls"][i] for i in STATE["order"]])
            return self.send(404, {"error": "no such control"})
        data = json.loads(self.body() or b"{}")
        if path == "/_control/config":
            with LOCK:
                STATE["config"].update(data)
            return self.send(200, STATE["config"])
        if path == "/_control/faults":
            with LOCK:
                for k, v in data.items():
                    STATE["faults"][k] = list(v)
            return self.send(200, {"ok": True})
        if path == "/_control/flush":
            return self.send(200, flush(data))
        return self.send(404, {"error": "no such control"})

    def do_GET(self):
        if self.path.startswith("/_control/"):
            return self.control("GET")
        return self.graph("GET")

    def do_POST(self):
        if self.path.startswith("/_control/"):
            return self.control("POST")
        if self.path.split("?")[0] == "/_agent/media":
            return self.agent()
        return self.graph("POST")

    # -- the voice agent's media endpoint
    def agent(self):
        body = self.body()
        sig = self.headers.get("X-Gitdial-Signature", "")
        want = "sha256=" + hmac.new(ARGS.agent_secret.encode(), body,
                                    hashlib.sha256).hexdigest()
        if not hmac.compare_digest(sig, want):
            return self.send(403 if sig else 401, {"error": "bad signature"})
        handled, _ = self.fault_before("agent")
        if handled:
            return
        d = json.loads(body)
        with LOCK:
            STATE["agent"].append(d)
        if d.get("event") == "whatsapp.offer":
            return self.send(200, {"sdp_type": "offer", "sdp": OFFER})
        if d.get("event") == "whatsapp.answer":
            return self.send(200, {"ok": True})
        return self.send(400, {"error": "unknown event"})

    # -- Graph
    def graph(self, method):
        u = urllib.parse.urlsplit(self.path)
        body = self.body() if method == "POST" else b""
        m = re.match(r"^/v[0-9]+\.[0-9]+/([^/]+)/(call_permissions|calls|messages)$", u.path)
        op = "unknown"
        if m:
            op = {("GET", "call_permissions"): "permission", ("POST", "calls"): "calls",
                  ("POST", "messages"): "message"}.get((method, m.group(2)), "unknown")
        ok = self.headers.get("Authorization", "") == "Bearer " + ARGS.access_token
        self.record(op, body if method == "POST" else u.query.encode(), ok)
        if not ok:
            return self.send(*graph_err(401, 190, "Invalid OAuth access token - "
                                        "Cannot parse access token"))
        if op == "unknown":
            return self.send(*graph_err(400, 100, "Unsupported %s request." % method.lower(),
                                        "GraphMethodException"))
        if m.group(1) != ARGS.phone_number_id:
            return self.send(*graph_err(
                400, 100, "Unsupported %s request. Object with ID '%s' does not "
                "exist, cannot be loaded due to missing permissions, or does not "
                "support this operation." % (method.lower(), m.group(1)),
                "GraphMethodException", sub=33))
        if op == "permission":
            return self.permission(urllib.parse.parse_qs(u.query))
        try:
            d = json.loads(body)
            assert isinstance(d, dict)
        except (ValueError, AssertionError):
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="The request body is not a JSON object"))
        if d.get("messaging_product") != "whatsapp":
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="messaging_product must be whatsapp"))
        if op == "message":
            return self.message(d)
        if d.get("action") == "terminate":
            return self.terminate(d)
        if d.get("action") != "connect":
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="action %r is not allowed for a "
                                        "business-initiated call" % d.get("action")))
        return self.connect(d)

    def permission(self, q):
        handled, _ = self.fault_before("permission")
        if handled:
            return
        wa = (q.get("user_wa_id") or [""])[0]
        if not wa.isdigit():
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="user_wa_id is required"))
        st = permission_of(wa)
        t = now_s()
        with LOCK:
            asked = STATE["asked"].get(wa, [])
            day = len([a for a in asked if a > t - 86400])
            week = len([a for a in asked if a > t - 7 * 86400])
            calls = len([c for c in STATE["calls"].values()
                         if c["to"] == wa and c["created"] > t - 86400])
        perm = {"status": st}
        if st == "temporary":
            perm["expiration_time"] = t + 7 * 86400
        granted = st in ("temporary", "permanent")
        self.send(200, {"messaging_product": "whatsapp", "permission": perm, "actions": [
            {"action_name": "send_call_permission_request",
             "can_perform_action": not granted and day < 1 and week < 2,
             "limits": [{"time_period": "PT24H", "max_allowed": 1, "current_usage": day},
                        {"time_period": "P7D", "max_allowed": 2, "current_usage": week}]},
            {"action_name": "start_call", "can_perform_action": granted and calls < 100,
             "limits": [{"time_period": "PT24H", "max_allowed": 100,
                         "current_usage": calls}]}]})

    def message(self, d):
        handled, _ = self.fault_before("message")
        if handled:
            return
        to = d.get("to", "")
        if d.get("type") == "template":
            return self.template_message(d, to)
        it = d.get("interactive") or {}
        text = (it.get("body") or {}).get("text")
        # a free-form message only inside the customer-service window (24 h
        # after the user's last message); config "closed": [wa_id, ...]
        if to in STATE["config"].get("closed", []):
            return self.send(*graph_err(400, 131047, "Re-engagement message",
                                        details="Message failed to send because "
                                        "more than 24 hours have passed since the "
                                        "customer last replied to this number."))
        if (d.get("type") != "interactive" or it.get("type") != "call_permission_request"
                or (it.get("action") or {}).get("name") != "call_permission_request"
                or not isinstance(text, str) or not text or len(text) > 1024
                or not str(to).isdigit()):
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="not a call_permission_request message"))
        t = now_s()
        with LOCK:
            asked = STATE["asked"].setdefault(to, [])
            if len([a for a in asked if a > t - 86400]) >= 1 or \
                    len([a for a in asked if a > t - 7 * 86400]) >= 2:
                return self.send(*graph_err(400, 138009, "Call permission request "
                                            "limit hit"))
            asked.append(t)
            mid = "wamid." + base64.b64encode(os.urandom(18)).decode()
            STATE["messages"].append({"id": mid, "to": to, "text": text, "at": t})
        self.send(200, {"messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": mid}]})

    def template_message(self, d, to):
        """A call-permission request template (config "templates": the
        approved ones with a call_permission_request component)."""
        t = d.get("template") or {}
        lang = (t.get("language") or {}).get("code")
        if (d.get("messaging_product") != "whatsapp" or not str(to).isdigit()
                or not isinstance(t.get("name"), str) or not isinstance(lang, str)):
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="template.name and template.language.code "
                                        "are required"))
        if t["name"] not in STATE["config"].get("templates", []):
            return self.send(*graph_err(404, 132001, "Template name does not exist "
                                        "in the translation"))
        now = now_s()
        with LOCK:
            asked = STATE["asked"].setdefault(to, [])
            if len([a for a in asked if a > now - 86400]) >= 1 or \
                    len([a for a in asked if a > now - 7 * 86400]) >= 2:
                return self.send(*graph_err(400, 138009, "Call permission request "
                                            "limit hit"))
            asked.append(now)
            mid = "wamid." + base64.b64encode(os.urandom(18)).decode()
            STATE["messages"].append({"id": mid, "to": to, "template": t["name"],
                                      "language": lang, "at": now})
        self.send(200, {"messaging_product": "whatsapp",
                        "contacts": [{"input": to, "wa_id": to}],
                        "messages": [{"id": mid, "message_status": "accepted"}]})

    def connect(self, d):
        handled, after = self.fault_before("create")
        if handled:
            return
        to = str(d.get("to", ""))
        sess = d.get("session") or {}
        op = d.get("biz_opaque_callback_data")
        if not re.match(r"^[1-9][0-9]{7,14}$", to):
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="to is not a WhatsApp user phone number"))
        if sess.get("sdp_type") != "offer" or not str(sess.get("sdp", "")).startswith("v=0") \
                or "m=audio" not in str(sess.get("sdp", "")):
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="SDP validation error: expected an "
                                        "offer with an audio section"))
        if op is not None and (not isinstance(op, str) or len(op) > 512):
            return self.send(*graph_err(400, 100, "Invalid parameter",
                                        details="biz_opaque_callback_data is over "
                                        "512 characters"))
        fate = fate_of(to)
        if fate.startswith("rest:"):
            _, http, code = fate.split(":")
            return self.send(*graph_err(int(http), int(code), "error %s" % code))
        if fate == "invalid":
            return self.send(*graph_err(400, 138001, "Receiver is uncallable",
                                        details="The user is not on WhatsApp or "
                                        "cannot receive calls"))
        if permission_of(to) not in ("temporary", "permanent"):
            return self.send(*graph_err(401, 138006, "No approved call permission "
                                        "from the recipient"))
        with LOCK:
            if any(c["to"] == to and not c.get("final") for c in STATE["calls"].values()):
                return self.send(*graph_err(400, 138003, "Duplicate call",
                                            details="A call with this user is ongoing"))
            cid = "wacid." + base64.b64encode(os.urandom(30)).decode().rstrip("=")
            c = {"id": cid, "to": to, "opaque": op, "fate": fate, "created": now_s(),
                 "sdp": sess.get("sdp"), "terminated": False}
            STATE["calls"][cid] = c
            STATE["order"].append(cid)
            if STATE["config"].get("webhook_url"):
                STATE["pending"].extend(callbacks(c))
        self.fault_after(after, 200, {"messaging_product": "whatsapp",
                                      "calls": [{"id": cid}]})

    def terminate(self, d):
        handled, _ = self.fault_before("terminate")
        if handled:
            return
        with LOCK:
            c = STATE["calls"].get(d.get("call_id"))
            if not c:
                return self.send(*graph_err(400, 100, "Invalid parameter",
                                            details="call_id is not a call of this "
                                            "business number"))
            c["terminated"] = True
        self.send(200, {"messaging_product": "whatsapp", "success": True})


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--access-token", default="EAAtest")
    ap.add_argument("--app-secret", default="TEST_APP_SECRET")
    ap.add_argument("--phone-number-id", default="106540352242922")
    ap.add_argument("--display-phone-number", default="15557010100")
    ap.add_argument("--waba-id", default="102290129340398")
    ap.add_argument("--agent-secret", default="agent-secret")
    ARGS = ap.parse_args()
    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    tmp = ARGS.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, ARGS.port_file)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    srv.serve_forever()


if __name__ == "__main__":
    main()
