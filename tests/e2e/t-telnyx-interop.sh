#!/usr/bin/env bash
# Interop with Telnyx's official SDK (npm telnyx, pinned in
# tests/interop/package.json): for the same call, the request gitdial
# sends and the one the SDK sends, both captured by the fake Telnyx on
# 127.0.0.1, compared field by field (method, path, Content-Type, auth,
# every body field). The SDK's calls are written from its documentation
# (what a developer would pass), not copied from gitdial's request.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SDK=$TOP/tests/interop
ok_if "the official SDK is installed (./build.sh test runs npm ci in tests/interop)" \
	test -f "$SDK/node_modules/telnyx/package.json"
KEY=KEY0123-telnyx-secret
SEED=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
NOW=2026-11-25T12:00:00Z
T=$(date -u -d "$NOW" +%s)
CONN=1494404757140276705
PUBKEY=$("$PY" "$TOP/tests/fake/sign.py" pubkey "$SEED")
export TX_KEY=$KEY TX_PUB=$PUBKEY GITDIAL_SPOOL=$TMP/spool GITDIAL_REPO=$TMP/repo GITDIAL_NOW=$NOW
fake_start TX telnyx --api-key "$KEY" --connection-id "$CONN" --private-key-hex "$SEED" || exit 1
mkdir -p "$TMP/repo" "$TMP/spool"
cat >"$TMP/repo/gitdial.json" <<EOF
{"accounts": {"tx-main": {"provider": "telnyx", "caller_ids": ["+14155550100"],
   "credentials": {"api_key": "env:TX_KEY", "public_key": "env:TX_PUB", "connection_id": "$CONN"},
   "api_base": "$TX_URL"}},
 "webhook_base_url": "https://hooks.example.com/gd"}
EOF
sdk() { node "$SDK/sdk.js" "$@" >>"$TMP/sdk.out" 2>&1; }
# compare OP_OURS OP_SDK: the last two captured requests of those kinds,
# field by field; prints "same" or each difference
compare() {
	fake_ctl "$TX_URL" /_control/requests | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
ours = [x for x in r if x["op"] == sys.argv[1]][-2]
sdk = [x for x in r if x["op"] == sys.argv[1]][-1]
diff = []
for k in ("method", "path", "content_type", "auth_ok"):
    if ours[k] != sdk[k]:
        diff.append("%s: ours %r, sdk %r" % (k, ours[k], sdk[k]))
bo, bs = json.loads(ours["body"] or "null"), json.loads(sdk["body"] or "null")
if isinstance(bo, dict) and isinstance(bs, dict):
    for k in sorted(set(bo) | set(bs)):
        if bo.get(k) != bs.get(k):
            diff.append("%s: ours %r, sdk %r" % (k, bo.get(k), bs.get(k)))
elif bo != bs:
    diff.append("body: ours %r, sdk %r" % (ours["body"], sdk["body"]))
print("; ".join(diff) or "same")' "$1"
}

# --- dial: a call with no disclosure (the stream starts with the call)
cat >"$TMP/d1.json" <<EOF
{"v":1,"action":"dial","now":"$NOW","attempt_id":"nov.2.1","campaign":"nov",
 "to":"+14155550120","from":"+14155550100",
 "account":{"name":"tx-main","provider":"telnyx","api_base":"$TX_URL",
   "credentials":{"api_key":"env:TX_KEY","connection_id":"$CONN"}},
 "agent":{"stream_url":"wss://agent.example.com/voice"},
 "webhook_url":"https://hooks.example.com/gd/telnyx",
 "script":{"mode":"agent"},"language":"en","disclosure":null,"voicemail":"hang_up",
 "ring_timeout_s":30}
EOF
gitdial-telnyx dial <"$TMP/d1.json" >"$TMP/o1.json" 2>>"$TMP/stderr"
expect_grep "gitdial's dial is placed" '"ok":true' "$TMP/o1.json"
cs=$(printf '{"a":"nov.2.1","l":"en","v":"hang_up"}' | base64 -w0)
sdk telnyx-dial "$TX_URL" "$KEY" '{"connection_id":"'"$CONN"'","to":"+14155550120",
 "from":"+14155550100","timeout_secs":30,"client_state":"'"$cs"'","command_id":"nov.2.1",
 "webhook_url":"https://hooks.example.com/gd/telnyx?account=tx-main","webhook_url_method":"POST",
 "answering_machine_detection":"detect","stream_url":"wss://agent.example.com/voice",
 "stream_track":"inbound_track","stream_bidirectional_mode":"rtp"}'
expect_eq "dial: gitdial's request is the SDK's, field by field" same "$(compare create)"

# --- dial, recorded (docs/recording.md): the disclosure first, recorded
# from the answer
cat >"$TMP/d4.json" <<EOF
{"v":1,"action":"dial","now":"$NOW","attempt_id":"nov.4.1","campaign":"nov",
 "to":"+14155550140","from":"+14155550100",
 "account":{"name":"tx-main","provider":"telnyx","api_base":"$TX_URL",
   "credentials":{"api_key":"env:TX_KEY","connection_id":"$CONN"}},
 "agent":{"stream_url":"wss://agent.example.com/voice"},
 "webhook_url":"https://hooks.example.com/gd/telnyx",
 "script":{"mode":"agent"},"language":"en","disclosure":"This call may be recorded.",
 "record":true,"voicemail":"hang_up","ring_timeout_s":30}
EOF
gitdial-telnyx dial <"$TMP/d4.json" >"$TMP/o4.json" 2>>"$TMP/stderr"
expect_grep "gitdial's recorded dial is placed" '"ok":true' "$TMP/o4.json"
cs4=$(printf '{"a":"nov.4.1","l":"en","d":"This call may be recorded.","s":"wss://agent.example.com/voice","v":"hang_up"}' | base64 -w0)
node "$SDK/sdk.js" telnyx-dial "$TX_URL" "$KEY" '{"connection_id":"'"$CONN"'","to":"+14155550140",
 "from":"+14155550100","timeout_secs":30,"client_state":"'"$cs4"'","command_id":"nov.4.1",
 "webhook_url":"https://hooks.example.com/gd/telnyx?account=tx-main","webhook_url_method":"POST",
 "answering_machine_detection":"detect","record":"record-from-answer","record_format":"mp3"}' \
	>"$TMP/sdk-rec.out" 2>&1
expect_grep "the SDK's recorded dial is placed" call_control_id "$TMP/sdk-rec.out"
expect_eq "recorded dial: gitdial's request is the SDK's calls.dial with record, record_format" \
	same "$(compare create)"

# --- hangup: the SDK's hangup with the spec's required body
cid=$(jv "$TMP/o1.json" 'd["call_id"]')
printf '{"v":1,"action":"hangup","attempt_id":"nov.2.1","campaign":"nov","call_id":"%s","account":{"name":"tx-main","provider":"telnyx","api_base":"%s","credentials":{"api_key":"env:TX_KEY"}}}\n' \
	"$cid" "$TX_URL" >"$TMP/h1.json"
gitdial-telnyx hangup <"$TMP/h1.json" >"$TMP/h1o.json" 2>>"$TMP/stderr"
expect_eq "gitdial's hangup succeeds" '{"ok": true}' "$(jv "$TMP/h1o.json" 'd')"
sdk telnyx-action "$TX_URL" "$KEY" hangup "$cid" '{}'
expect_eq "hangup: gitdial's request is the SDK's hangup(id, {})" same "$(compare hangup)"

# --- status of a dial that drew no answer: the connection's live calls
printf '{"v":1,"action":"status","now":"%s","attempt_id":"nov.9.1","campaign":"nov","call_id":null,"dispatched_at":"%s","account":{"name":"tx-main","provider":"telnyx","api_base":"%s","credentials":{"api_key":"env:TX_KEY","connection_id":"%s"}}}\n' \
	"$NOW" "$NOW" "$TX_URL" "$CONN" >"$TMP/s1.json"
GITDIAL_SPOOL=$TMP/elsewhere gitdial-telnyx status <"$TMP/s1.json" >"$TMP/s1o.json" 2>>"$TMP/stderr"
expect_eq "status with no call id, no note: held (no live call carries it)" "transient not_yet" "$(err_kind "$TMP/s1o.json")"
sdk telnyx-active "$TX_URL" "$KEY" "$CONN" '{"page[number]":1,"page[size]":100}'
expect_eq "active calls: gitdial's request is the SDK's connections.listActiveCalls, field by field" \
	same "$(compare active_calls)"

# --- speak: the disclosure the webhook speaks on call.answered
cat >"$TMP/d2.json" <<EOF
{"v":1,"action":"dial","now":"$NOW","attempt_id":"nov.3.1","campaign":"nov",
 "to":"+14155550130","from":"+14155550100",
 "account":{"name":"tx-main","provider":"telnyx","api_base":"$TX_URL",
   "credentials":{"api_key":"env:TX_KEY","connection_id":"$CONN"}},
 "agent":{"stream_url":"wss://agent.example.com/voice"},
 "webhook_url":"https://hooks.example.com/gd/telnyx",
 "script":{"mode":"agent"},"language":"es","disclosure":"Esta llamada puede ser grabada.",
 "voicemail":"hang_up","ring_timeout_s":30}
EOF
gitdial-telnyx dial <"$TMP/d2.json" >"$TMP/o2.json" 2>>"$TMP/stderr"
cid2=$(jv "$TMP/o2.json" 'd["call_id"]')
cs2=$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
print([c for c in json.load(sys.stdin) if c["id"] == sys.argv[1]][0]["client_state"])' "$cid2")
printf '{"data":{"record_type":"event","event_type":"call.answered","id":"e1","occurred_at":"2026-11-25T12:00:05.000000Z","payload":{"call_control_id":"%s","client_state":"%s","state":"answered"}}}' \
	"$cid2" "$cs2" >"$TMP/answered.json"
sig=$("$PY" "$TOP/tests/fake/sign.py" telnyx "$SEED" "$T" "$TMP/answered.json")
expect_eq "the webhook took call.answered" 200 \
	"$(CGI_CONTENT_TYPE=application/json san_cgi gitdial-telnyx POST /telnyx account=tx-main "$TMP/answered.json" \
		HTTP_TELNYX_SIGNATURE_ED25519="$sig" HTTP_TELNYX_TIMESTAMP="$T")"
next=$(printf '{"a":"nov.3.1","l":"es","d":"Esta llamada puede ser grabada.","s":"wss://agent.example.com/voice","v":"hang_up","t":%s,"p":"disclosure"}' \
	$((T + 5)) | base64 -w0)
sdk telnyx-action "$TX_URL" "$KEY" speak "$cid2" '{"payload":"Esta llamada puede ser grabada.",
 "payload_type":"text","service_level":"premium","voice":"AWS.Polly.Lucia","language":"es-ES",
 "client_state":"'"$next"'","command_id":"nov.3.1:disclosure"}'
expect_eq "speak: the webhook's request is the SDK's, field by field" same "$(compare speak)"
expect_eq "the SDK's dial, active-calls list and speak succeeded; its hangup found the call ended (90018)" \
	"call_control_id 90018 n data" \
	"$("$PY" -c 'import json,sys; print(" ".join(("90018" if "90018" in l else next(iter(json.loads(l)))) for l in open(sys.argv[1])))' "$TMP/sdk.out")"
# the fake holds the SDK's own calls to the spec too
: >"$TMP/sdk.out"
sdk telnyx-action "$TX_URL" "$KEY" speak "$cid2" '{"payload":"Hola","voice":"female","language":"es"}'
expect_grep "fake: speak with a raw language and a basic-only voice -> 422 10015" '"status":422' "$TMP/sdk.out"
: >"$TMP/sdk.out"
sdk telnyx-action "$TX_URL" "$KEY" speak "$cid2" "{\"payload\":\"$(head -c 3001 /dev/zero | tr '\0' x)\",\"voice\":\"female\",\"service_level\":\"basic\"}"
expect_grep "fake: a payload over 3,000 characters -> 422" '"status":422' "$TMP/sdk.out"
ok_if "no sanitizer report" san_clean
finish
