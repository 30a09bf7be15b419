#!/usr/bin/env bash
# Interop with Twilio's official SDK (npm twilio, pinned in
# tests/interop/package.json): for the same call, the request
# gitdial-twilio sends and the one the SDK sends, both captured by the
# fake Twilio on 127.0.0.1, compared field by field (method, path,
# Content-Type, Basic auth, every form field or query parameter). The
# SDK's calls are written from its documentation, not copied from ours.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SDK=$TOP/tests/interop
ok_if "the official SDK is installed (./build.sh test runs npm ci in tests/interop)" \
	test -f "$SDK/node_modules/twilio/package.json"
SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
export TW_SID=$SID TW_TOKEN=$TOKEN GITDIAL_SPOOL=$TMP/spool
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
fake_ctl "$TW_URL" /_control/config '{"caller_ids":["+14155550100"]}' >/dev/null
sdk() { node "$SDK/sdk.js" "$@" >>"$TMP/sdk.out" 2>&1; }
# compare OP: the last two captured requests of that kind (ours, then the
# SDK's), field by field; prints "same" or each difference
compare() {
	fake_ctl "$TW_URL" /_control/requests | "$PY" -c '
import json, sys, urllib.parse
r = [x for x in json.load(sys.stdin) if x["op"] == sys.argv[1]]
ours, sdk = r[-2], r[-1]
diff = []
for k in ("method", "content_type", "auth_ok"):
    if ours[k] != sdk[k]:
        diff.append("%s: ours %r, sdk %r" % (k, ours[k], sdk[k]))
po, ps = ours["path"].split("?")[0], sdk["path"].split("?")[0]
if po != ps:
    diff.append("path: ours %r, sdk %r" % (po, ps))
fo = urllib.parse.parse_qs(ours["body"], keep_blank_values=True)
fs = urllib.parse.parse_qs(sdk["body"], keep_blank_values=True)
for k in sorted(set(fo) | set(fs)):
    if fo.get(k) != fs.get(k):
        diff.append("%s: ours %r, sdk %r" % (k, fo.get(k), fs.get(k)))
print("; ".join(diff) or "same")' "$1"
}

# --- create: no disclosure, hang_up on a machine, webhooks on
cat >"$TMP/d1.json" <<EOF
{"v":1,"action":"dial","now":"2026-11-25T12:00:00Z","attempt_id":"nov.2.1","campaign":"nov",
 "to":"+14155550120","from":"+14155550100",
 "account":{"name":"tw-main","provider":"twilio","api_base":"$TW_URL",
   "credentials":{"account_sid":"env:TW_SID","auth_token":"env:TW_TOKEN"}},
 "agent":{"stream_url":"wss://agent.example.com/voice"},
 "webhook_url":"https://hooks.example.com/gd/twilio",
 "script":{"mode":"agent"},"language":"en","disclosure":null,"voicemail":"hang_up",
 "ring_timeout_s":25,"dispatched_at":"2026-11-25T11:59:58Z"}
EOF
gitdial-twilio dial <"$TMP/d1.json" >"$TMP/o1.json" 2>>"$TMP/stderr"
expect_grep "gitdial's create is placed" '"ok":true' "$TMP/o1.json"
H=https://hooks.example.com/gd/twilio
TWIML='<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://agent.example.com/voice"><Parameter name="campaign" value="nov"/><Parameter name="attempt_id" value="nov.2.1"/><Parameter name="language" value="en"/><Parameter name="script_mode" value="agent"/></Stream></Connect></Response>'
sdk twilio-create "$TW_URL" "$SID" "$TOKEN" "$("$PY" -c '
import json, sys
h, twiml = sys.argv[1], sys.argv[2]
print(json.dumps({"to": "+14155550120", "from": "+14155550100", "twiml": twiml,
  "timeout": 25, "statusCallback": h + "?account=tw-main&attempt_id=nov.2.1",
  "statusCallbackMethod": "POST",
  "statusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
  "machineDetection": "Enable", "asyncAmd": "true",
  "asyncAmdStatusCallback": h + "?account=tw-main&attempt_id=nov.2.1&cb=amd&vm=hang_up",
  "asyncAmdStatusCallbackMethod": "POST"}))' "$H" "$TWIML")"
expect_eq "create: gitdial's request is the SDK's calls.create, field by field" same "$(compare create)"

# --- list: looking up a call whose create drew no answer
cat >"$TMP/s1.json" <<EOF
{"v":1,"action":"status","now":"2026-11-25T12:00:00Z","attempt_id":"nov.3.1","campaign":"nov",
 "to":"+14155550130","from":"+14155550100","dispatched_at":"2026-11-25T11:59:58Z",
 "account":{"name":"tw-main","provider":"twilio","api_base":"$TW_URL",
   "credentials":{"account_sid":"env:TW_SID","auth_token":"env:TW_TOKEN"}}}
EOF
gitdial-twilio status <"$TMP/s1.json" >"$TMP/s1o.json" 2>>"$TMP/stderr"
expect_eq "gitdial's lookup finds nothing" '{"ok": true, "found": false}' "$(jv "$TMP/s1o.json" 'd')"
# ours: two lists (StartTime>, then Status=queued); the first against the SDK's
fake_ctl "$TW_URL" /_control/requests | "$PY" -c '
import json, sys
r = [x for x in json.load(sys.stdin) if x["op"] == "list"]
print(r[-2]["body"])' >"$TMP/ours-list.q"
sdk twilio-list "$TW_URL" "$SID" "$TOKEN" '{"to":"+14155550130","from":"+14155550100",
 "startTimeAfter":"2026-11-25","pageSize":100}'
expect_eq "list: gitdial's query is the SDK's calls.page({to, from, startTimeAfter, pageSize})" same \
	"$(fake_ctl "$TW_URL" /_control/requests | "$PY" -c '
import json, sys, urllib.parse
r = [x for x in json.load(sys.stdin) if x["op"] == "list"][-1]
o = urllib.parse.parse_qs(open(sys.argv[1]).read().strip())
s = urllib.parse.parse_qs(r["body"])
d = ["%s: ours %r, sdk %r" % (k, o.get(k), s.get(k)) for k in sorted(set(o) | set(s)) if o.get(k) != s.get(k)]
print("; ".join(d) or "same")' "$TMP/ours-list.q")"

# --- hangup
cid=$(jv "$TMP/o1.json" 'd["call_id"]')
printf '{"v":1,"action":"hangup","attempt_id":"nov.2.1","campaign":"nov","call_id":"%s","account":{"name":"tw-main","provider":"twilio","api_base":"%s","credentials":{"account_sid":"env:TW_SID","auth_token":"env:TW_TOKEN"}}}\n' \
	"$cid" "$TW_URL" >"$TMP/h1.json"
gitdial-twilio hangup <"$TMP/h1.json" >"$TMP/h1o.json" 2>>"$TMP/stderr"
sdk twilio-update "$TW_URL" "$SID" "$TOKEN" "$cid" '{"status":"completed"}'
expect_eq "hangup: gitdial's request is the SDK's calls(sid).update({status})" same "$(compare update)"
finish
