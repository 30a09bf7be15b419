#!/usr/bin/env bash
# WhatsApp's webhooks through lighttpd + CGI (/whatsapp): Meta's GET
# handshake; deliveries signed with X-Hub-Signature-256 from the fake Graph
# API, held back, reversed and duplicated, with a late RINGING after the
# call was accepted: the SDP answer reaches the agent once, the status
# action follows the call and never moves back, one outcome per call is
# spooled; hangup of an ended call sends nothing. Then unsigned, forged,
# tampered, oversized, malformed and foreign deliveries: 4xx (or ignored)
# and nothing spooled; and the sanitizer build with leak checks.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

TOKEN=EAAGwebhook-test-token
APP_SECRET=wa-hook-secret-2c8e
VERIFY=wa-verify-31b
AGENT_SECRET=agent-hook-secret
PNID=106540352242922
NOW=2026-11-25T12:00:00Z
T=$(date -u -d "$NOW" +%s)
SPOOL=$TMP/spool
R=$TMP/repo
export WA_TOKEN=$TOKEN WA_SECRET=$APP_SECRET WA_VERIFY=$VERIFY AG_SECRET=$AGENT_SECRET \
	GITDIAL_SPOOL=$SPOOL GITDIAL_REPO=$R
fake_start WA whatsapp --access-token "$TOKEN" --app-secret "$APP_SECRET" \
	--agent-secret "$AGENT_SECRET" --phone-number-id "$PNID" || exit 1
mkdir -p "$R" "$SPOOL"
cat >"$R/gitdial.json" <<EOF
{"accounts": {"wa-main": {"provider": "whatsapp", "caller_ids": ["+15557010100"],
   "credentials": {"access_token": "env:WA_TOKEN", "app_secret": "env:WA_SECRET",
                   "verify_token": "env:WA_VERIFY", "phone_number_id": "$PNID"},
   "api_base": "$WA_URL/v25.0"}},
 "agent": {"media_url": "$WA_URL/_agent/media", "secret": "env:AG_SECRET"},
 "webhook_base_url": "https://hooks.example.com/gd"}
EOF
web_start GITDIAL_REPO="$R" GITDIAL_SPOOL="$SPOOL" WA_TOKEN="$TOKEN" WA_SECRET="$APP_SECRET" \
	WA_VERIFY="$VERIFY" AG_SECRET="$AGENT_SECRET" GITDIAL_NOW="$NOW" || exit 1
fake_ctl "$WA_URL" /_control/config '{"clock":'"$T"',"webhook_url":"'"$WEB_URL/whatsapp"'"}' >/dev/null

# --- the handshake ------------------------------------------------------------
hs() { # QUERY: status and body of GET /whatsapp?QUERY
	curl -sS -o "$TMP/hs.body" -w '%{http_code}' "$WEB_URL/whatsapp?$1"
}
expect_eq "handshake with the verify token: 200" 200 \
	"$(hs "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=$VERIFY")"
expect_eq "... and the body is the raw challenge" 1158201444 "$(cat "$TMP/hs.body")"
expect_eq "handshake with a wrong token: 403" 403 \
	"$(hs "hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=guess")"
ok_if "... and the challenge is not echoed" sh -c "! grep -q 1158201444 '$TMP/hs.body'"
expect_eq "hub.mode other than subscribe: 400" 400 \
	"$(hs "hub.mode=unsubscribe&hub.challenge=1&hub.verify_token=$VERIFY")"
expect_eq "no hub.challenge: 400" 400 "$(hs "hub.mode=subscribe&hub.verify_token=$VERIFY")"
expect_eq "a challenge with markup: 400" 400 \
	"$(hs "hub.mode=subscribe&hub.challenge=%3Cscript%3E%20x&hub.verify_token=$VERIFY")"

# --- calls ----------------------------------------------------------------------
req() { # ACTION ROW TO [CALL_ID]
	"$PY" - "$WA_URL" "$@" <<'EOF'
import json, sys
api, action, row, to = sys.argv[1:5]
r = {"v": 1, "action": action, "now": "2026-11-25T12:00:00Z",
     "attempt_id": "wa.%s.1" % row, "campaign": "wa", "to": to, "from": "+15557010100",
     "account": {"name": "wa-main", "provider": "whatsapp",
                 "credentials": {"access_token": "env:WA_TOKEN",
                                 "phone_number_id": "106540352242922"},
                 "api_base": api + "/v25.0"}}
if action == "dial":
    r.update({"agent": {"media_url": api + "/_agent/media", "secret": "env:AG_SECRET"},
              "script": {"mode": "override", "text": "Hello."}, "language": "en",
              "disclosure": None, "voicemail": "hang_up", "ring_timeout_s": 30})
else:
    r["dispatched_at"] = "2026-11-25T11:59:00Z"
    r["call_id"] = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] else None
print(json.dumps(r))
EOF
}
dial() { req dial "$1" "$2" | gitdial-whatsapp dial >"$TMP/dial.$1.json" 2>>"$TMP/stderr"; }
call_of() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("call_id",""))' "$TMP/dial.$1.json"; }
state() { # ROW TO: the status action's "state outcome duration"
	req status "$1" "$2" "$(call_of "$1")" | gitdial-whatsapp status | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
o = r.get("outcome") or {}
print(r.get("state", r.get("error", {}).get("kind")), o.get("outcome", "-"), o.get("duration_s", "-"))'
}
outcomes() {
	"$PY" - "$SPOOL" <<'EOF'
import json, os, sys
rows = []
for f in sorted(os.listdir(sys.argv[1])):
    if f.endswith(".json"):
        e = json.load(open(os.path.join(sys.argv[1], f)))
        rows.append("%s %s %s %s %s" % (e["attempt_id"], e["outcome"], e["duration_s"],
                    str(e["connected"]).lower(), e["call_id"][:5]))
print("\n".join(sorted(rows)))
EOF
}
statuses() { "$PY" -c 'import json,sys; print(" ".join(sorted(set(str(d["status"]) for d in json.load(sys.stdin)))))'; }
answers() {
	fake_ctl "$WA_URL" /_control/agent | "$PY" -c '
import json, sys
print(" ".join(sorted(d["attempt_id"] for d in json.load(sys.stdin) if d["event"] == "whatsapp.answer")))'
}

dial 1 +14155550110   # picked up, 45 s
dial 2 +14155550114   # declined
dial 3 +14155550118   # picked up, 2 s
ok_if "three calls placed" test "$(cat "$TMP"/dial.*.json | grep -c '"ok":true')" -eq 3
expect_eq "before any webhook the status action knows the call, queued" "queued - -" "$(state 1 +14155550110)"

fake_ctl "$WA_URL" /_control/flush '{"hold":["connect","ACCEPTED","terminate"]}' >"$TMP/f1.json"
expect_eq "RINGING and REJECTED deliveries accepted" 200 "$(statuses <"$TMP/f1.json")"
expect_eq "ringing: the status action says ringing" "ringing - -" "$(state 1 +14155550110)"
expect_eq "declined: the status action already has the outcome" "completed no_answer 0" \
	"$(state 2 +14155550114)"
expect_eq "nothing spooled before a terminate" 0 "$(spool_count "$SPOOL")"

fake_ctl "$WA_URL" /_control/flush '{"hold":["terminate"],"reverse":true,"duplicate":true}' >"$TMP/f2.json"
expect_eq "connect and ACCEPTED, reversed and twice each: accepted" 200 "$(statuses <"$TMP/f2.json")"
expect_eq "the agent got each picked-up call's SDP answer once" "wa.1.1 wa.3.1" "$(answers)"
expect_eq "accepted: in progress" "in_progress - -" "$(state 1 +14155550110)"

# a RINGING that arrives after ACCEPTED (signed like Meta's)
CID1=$(call_of 1)
"$PY" - "$CID1" "$PNID" >"$TMP/late.json" <<'EOF'
import json, sys
cid, pnid = sys.argv[1:3]
print(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
  "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15557010100", "phone_number_id": pnid},
            "statuses": [{"id": cid, "timestamp": "1764071990", "type": "call",
                          "status": "RINGING", "recipient_id": "14155550110",
                          "biz_opaque_callback_data": "wa.1.1"}]},
  "field": "calls"}]}]}, separators=(",", ":")), end="")
EOF
sig() { "$PY" "$TOP/tests/fake/sign.py" hmac "$1" "$2"; }
expect_eq "a late RINGING: accepted" 200 \
	"$(post_hook /whatsapp "$TMP/late.json" "Content-Type: application/json" \
	"X-Hub-Signature-256: $(sig "$APP_SECRET" "$TMP/late.json")")"
expect_eq "... and the call does not move back to ringing" "in_progress - -" "$(state 1 +14155550110)"

fake_ctl "$WA_URL" /_control/flush '{"reverse":true,"duplicate":true}' >"$TMP/f3.json"
expect_eq "terminates, twice each: accepted" 200 "$(statuses <"$TMP/f3.json")"
expect_eq "one outcome per call in the spool, from the terminate" \
	"$(printf 'wa.1.1 connected 45 true wacid\nwa.2.1 no_answer 0 false wacid\nwa.3.1 hangup 2 true wacid')" \
	"$(outcomes)"
ok_if "the spooled events match the spool-event schema" \
	json_schema_ok "$TOP/schemas/spool-event.schema.json" "$SPOOL"/*.json
expect_eq "each outcome names the account whose app secret verified it" wa-main \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(set(json.load(open(f))["account"] for f in sys.argv[1:]))))' "$SPOOL"/*.json)"
expect_eq "ended: the status action reports the outcome" "completed connected 45" \
	"$(state 1 +14155550110)"
expect_eq "the late RINGING once more, after the terminate: accepted" 200 \
	"$(post_hook /whatsapp "$TMP/late.json" "Content-Type: application/json" \
	"X-Hub-Signature-256: $(sig "$APP_SECRET" "$TMP/late.json")")"
expect_eq "... the call stays ended, nothing more spooled" "completed connected 45 3" \
	"$(state 1 +14155550110) $(spool_count "$SPOOL")"
expect_eq "hangup of an ended call: ok" true "$(req hangup 1 +14155550110 "$CID1" |
	gitdial-whatsapp hangup | "$PY" -c 'import json,sys; print(str(json.load(sys.stdin)["ok"]).lower())')"
expect_eq "... and no terminate was sent to Meta for it" 0 \
	"$(fake_ctl "$WA_URL" /_control/requests | "$PY" -c '
import json, sys
print(len([r for r in json.load(sys.stdin) if r["op"] == "calls" and "terminate" in r["body"]]))')"
dial 4 +14155550119
expect_eq "hangup of a live call: ok" true "$(req hangup 4 +14155550119 "$(call_of 4)" |
	gitdial-whatsapp hangup | "$PY" -c 'import json,sys; print(str(json.load(sys.stdin)["ok"]).lower())')"
expect_eq "... sent as action terminate with the call id" "$(call_of 4)" \
	"$(fake_ctl "$WA_URL" /_control/requests | "$PY" -c '
import json, sys
t = [json.loads(r["body"]) for r in json.load(sys.stdin) if r["op"] == "calls" and "terminate" in r["body"]]
print(t[0]["call_id"] if len(t) == 1 and t[0]["messaging_product"] == "whatsapp" else t)')"
# no call id known (the connect drew no answer): held in flight, since
# Meta has no call lookup and a call it made may still be up, until the
# hold (4 h 10 min after the claim) has passed
expect_grep "a status asked with no call id after 20 minutes: ask again (not_yet)" \
	'"kind":"transient","code":"not_yet"' <(req status 9 +14155550111 |
	sed "s/11:59:00Z/11:40:00Z/" | gitdial-whatsapp status)
expect_eq "... and after 4 h 11 min: not found" '{"ok":true,"found":false}' \
	"$(req status 9 +14155550111 | sed "s/11:59:00Z/07:49:00Z/" |
	gitdial-whatsapp status)"

# --- bad deliveries: nothing spooled --------------------------------------------
before=$(spool_count "$SPOOL")
cp "$TMP/late.json" "$TMP/body.json"
sed 's/RINGING/ACCEPTED/' "$TMP/late.json" >"$TMP/tampered.json"
GOOD=$(sig "$APP_SECRET" "$TMP/body.json")
"$PY" - "$TMP" "$PNID" <<'EOF'
import json, sys
tmp, pnid = sys.argv[1:3]
def env(pn, item, field="calls"):
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{
        "value": {"messaging_product": "whatsapp",
                  "metadata": {"display_phone_number": "1", "phone_number_id": pn},
                  "calls": [item]}, "field": field}]}]}
term = {"id": "wacid.X", "event": "terminate", "status": "COMPLETED", "duration": 9,
        "start_time": "1764072000", "timestamp": "1764072009",
        "direction": "BUSINESS_INITIATED", "biz_opaque_callback_data": "wa.7.1"}
def dump(name, obj):
    open(tmp + "/" + name, "w").write(json.dumps(obj, separators=(",", ":")))
dump("other-number.json", env("999999999999", term))
dump("not-ours.json", env(pnid, dict(term, biz_opaque_callback_data="random_string")))
dump("traversal.json", env(pnid, dict(term, biz_opaque_callback_data="../../etc.1.1")))
dump("user-initiated.json", env(pnid, {k: v for k, v in term.items() if k != "biz_opaque_callback_data"}))
dump("messages-field.json", env(pnid, term, "messages"))
dump("page.json", {"object": "page", "entry": []})
open(tmp + "/notjson.json", "w").write("{not json")
EOF
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TMP/big.json"
CT="Content-Type: application/json"
expect_eq "unsigned: 401" 401 "$(post_hook /whatsapp "$TMP/body.json" "$CT")"
expect_eq "signed with another app's secret: 403" 403 \
	"$(post_hook /whatsapp "$TMP/body.json" "$CT" "X-Hub-Signature-256: $(sig other-secret "$TMP/body.json")")"
expect_eq "a tampered body: 403" 403 \
	"$(post_hook /whatsapp "$TMP/tampered.json" "$CT" "X-Hub-Signature-256: $GOOD")"
expect_eq "the hex without sha256=: 403" 403 \
	"$(post_hook /whatsapp "$TMP/body.json" "$CT" "X-Hub-Signature-256: ${GOOD#sha256=}")"
expect_eq "an X-Hub-Signature (sha1) header only: 401" 401 \
	"$(post_hook /whatsapp "$TMP/body.json" "$CT" "X-Hub-Signature: sha1=0000")"
expect_eq "over 1 MiB: 413" 413 \
	"$(post_hook /whatsapp "$TMP/big.json" "$CT" "X-Hub-Signature-256: $(sig "$APP_SECRET" "$TMP/big.json")")"
for f in notjson page; do
	expect_eq "signed but $f: 400" 400 \
		"$(post_hook /whatsapp "$TMP/$f.json" "$CT" "X-Hub-Signature-256: $(sig "$APP_SECRET" "$TMP/$f.json")")"
done
for f in other-number not-ours traversal user-initiated messages-field; do
	expect_eq "signed, $f: acknowledged (200), not ours" 200 \
		"$(post_hook /whatsapp "$TMP/$f.json" "$CT" "X-Hub-Signature-256: $(sig "$APP_SECRET" "$TMP/$f.json")")"
done
expect_eq "PUT: 405" 405 "$(curl -sS -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$TMP/body.json" "$WEB_URL/whatsapp")"
expect_eq "nothing of these was spooled" "$before" "$(spool_count "$SPOOL")"
ok_if "no state was written for a path outside the spool" sh -c "! find '$TMP' -name 'etc.1.1*' | grep -q ."

# --- the sanitizer build, leak checks on -----------------------------------------
SANBIN=$TOP/build-san/bin
if [ -x "$SANBIN/gitdial-whatsapp" ]; then
	BIN=$SANBIN
	"$PY" - "$TMP/term.json" "$PNID" <<'EOF'
import json, sys
out, pnid = sys.argv[1:3]
open(out, "w").write(json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "1",
  "changes": [{"value": {"messaging_product": "whatsapp",
    "metadata": {"display_phone_number": "1", "phone_number_id": pnid},
    "calls": [{"id": "wacid.SAN", "event": "terminate", "status": "FAILED",
               "timestamp": "1764072009", "direction": "BUSINESS_INITIATED",
               "biz_opaque_callback_data": "wa.8.1",
               "errors": [{"code": 138001, "message": "Receiver is uncallable"}]}]},
  "field": "calls"}]}]}, separators=(",", ":")))
EOF
	H=HTTP_X_HUB_SIGNATURE_256
	expect_eq "sanitized CGI: a signed terminate spooled (200)" 200 \
		"$(san_cgi gitdial-whatsapp POST /whatsapp "" "$TMP/term.json" "$H=$(sig "$APP_SECRET" "$TMP/term.json")")"
	expect_eq "... as a failed outcome with invalid_number" "failed invalid_number 138001" \
		"$(grep -l wacid.SAN "$SPOOL"/*.json | head -1 | xargs "$PY" -c '
import json, sys
e = json.load(open(sys.argv[1])); print(e["outcome"], e["error"]["kind"], e["error"]["code"])')"
	expect_eq "sanitized CGI: forged (403)" 403 \
		"$(san_cgi gitdial-whatsapp POST /whatsapp "" "$TMP/term.json" "$H=$(sig nope "$TMP/term.json")")"
	: >"$TMP/empty"
	expect_eq "sanitized CGI: handshake (200)" 200 \
		"$(CGI_CONTENT_TYPE= san_cgi gitdial-whatsapp GET /whatsapp \
			"hub.mode=subscribe&hub.challenge=42&hub.verify_token=$VERIFY" "$TMP/empty")"
	req status 1 +14155550110 "$CID1" >"$TMP/status.req"
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 "$SANBIN/gitdial-whatsapp" status \
		<"$TMP/status.req" >"$TMP/status.out" 2>"$TMP/status.err"
	expect_eq "sanitized status action with leak checks: exit 0, the outcome" \
		"0 connected" "$? $("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["outcome"]["outcome"])' "$TMP/status.out")"
fi
ok_if "no sanitizer report from any CGI process" san_clean
finish
