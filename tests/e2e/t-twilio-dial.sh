#!/usr/bin/env bash
# gitdial-twilio dial/status/hangup (the runner's stdin/stdout contract)
# against the fake Twilio: the request on the wire, the error mapping,
# every fault, and finding a call whose create drew no answer.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
export TW_SID=$SID TW_TOKEN=$TOKEN GITDIAL_SPOOL=$TMP/spool
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
# callbacks go to a closed local port: this test is about the REST side
fake_ctl "$TW_URL" /_control/config '{"caller_ids":["+14155550100"],
	"deliver":{"https://hooks.example.com/gd":"http://127.0.0.1:'"$(free_port)"'"},
	"fates":{"+14155550191":"rest:400:21214","+14155550192":"rest:400:21217",
	"+14155550193":"rest:400:21215","+14155550194":"rest:400:21219",
	"+14155550195":"rest:400:13227","+14155550196":"rest:400:32205",
	"+14155550197":"rest:400:21212"}}' >/dev/null

# req ACTION FILE [k=JSON ...]: writes a request (defaults below; k may
# be account.X or script.X), without starting a process.
req() {
	local action=$1 out=$2 kv k
	shift 2
	local -A top=([v]=1 [action]="\"$action\"" [now]='"2026-11-25T12:00:00Z"'
		[attempt_id]='"nov-reminders.2.1"' [campaign]='"nov-reminders"'
		[to]='"+14155550120"' [from]='"+14155550100"'
		[agent]='{"stream_url":"wss://agent.example.com/voice"}'
		[webhook_url]='"https://hooks.example.com/gd/twilio"' [language]='"en"'
		[disclosure]='"This call may be recorded."' [voicemail]='"leave_message"'
		[ring_timeout_s]=25 [dispatched_at]='"2026-11-25T11:59:58Z"'
		[variables]='{"customer_name":"Ann","due_date":"Friday"}')
	local -A acct=([name]='"tw-main"' [provider]='"twilio"' [api_base]="\"$TW_URL\""
		[credentials]='{"account_sid":"env:TW_SID","auth_token":"env:TW_TOKEN"}')
	local -A script=([mode]='"override"'
		[text]='"Hi Ann, your payment of $40 is due <Friday> & more."')
	for kv in "$@"; do
		k=${kv%%=*}
		case $k in
		account.*) acct[${k#account.}]=${kv#*=} ;;
		script.*) script[${k#script.}]=${kv#*=} ;;
		*) top[$k]=${kv#*=} ;;
		esac
	done
	json_obj "top[account]" acct
	json_obj "top[script]" script
	json_obj kv top
	printf '%s\n' "$kv" >"$out"
}
tw() { # ACTION REQFILE OUTFILE
	gitdial-twilio "$1" <"$2" >"$3" 2>>"$TMP/stderr"
}
creates() { fake_ctl "$TW_URL" /_control/requests | "$PY" -c \
	'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["op"]=="create"))'; }
last_create() { fake_ctl "$TW_URL" /_control/requests | "$PY" -c '
import json, sys, urllib.parse
r = [r for r in json.load(sys.stdin) if r["op"] == "create"][-1]
print(json.dumps({"auth_ok": r["auth_ok"], "ct": r["content_type"],
                  "form": urllib.parse.parse_qs(r["body"])}))'; }

# --- a dial, and what went over the wire
req dial "$TMP/d1.json"
ok_if "dial exits 0" tw dial "$TMP/d1.json" "$TMP/o1.json"
expect_grep "dial answers ok with a call sid" '^\{"ok":true,"call_id":"CA[0-9a-f]{32}"\}$' "$TMP/o1.json"
ok_if "the response matches function-response.schema.json" \
	json_schema_ok "$TOP/schemas/function-response.schema.json" "$TMP/o1.json"
last_create >"$TMP/c1.json"
expect_eq "Basic auth with the account sid and token" true "$(jv "$TMP/c1.json" 'd["auth_ok"]')"
expect_eq "form-encoded" application/x-www-form-urlencoded "$(jv "$TMP/c1.json" 'd["ct"]')"
expect_eq "To, From, Timeout" "+14155550120 +14155550100 25" \
	"$(jv "$TMP/c1.json" '" ".join([d["form"]["To"][0], d["form"]["From"][0], d["form"]["Timeout"][0]])')"
expect_eq "status callback to the webhook URL with account and attempt" \
	"https://hooks.example.com/gd/twilio?account=tw-main&attempt_id=nov-reminders.2.1" \
	"$(jv "$TMP/c1.json" 'd["form"]["StatusCallback"][0]')"
expect_eq "status callback events: initiated ringing answered completed" \
	'["initiated", "ringing", "answered", "completed"]' \
	"$(jv "$TMP/c1.json" 'd["form"]["StatusCallbackEvent"]')"
expect_eq "leave_message, no voicemail_message: DetectMessageEnd, async, AMD callback for the agent (the script its prompt, no msg to say)" \
	"DetectMessageEnd true https://hooks.example.com/gd/twilio?account=tw-main&attempt_id=nov-reminders.2.1&cb=amd&vm=leave_message&lang=en&mode=override&prompt=Hi%20Ann%2C%20your%20payment%20of%20%2440%20is%20due%20%3CFriday%3E%20%26%20more." \
	"$(jv "$TMP/c1.json" '" ".join([d["form"]["MachineDetection"][0], d["form"]["AsyncAmd"][0], d["form"]["AsyncAmdStatusCallback"][0]])')"
req dial "$TMP/dm.json" attempt_id='"nov-reminders.3.1"' voicemail_message='"Ann, please call us back <today> & soon."'
tw dial "$TMP/dm.json" "$TMP/om.json"
last_create >"$TMP/cm.json"
expect_eq "leave_message with voicemail_message: the AMD callback carries it (msg), not the script" \
	"https://hooks.example.com/gd/twilio?account=tw-main&attempt_id=nov-reminders.3.1&cb=amd&vm=leave_message&msg=Ann%2C%20please%20call%20us%20back%20%3Ctoday%3E%20%26%20soon.&lang=en" \
	"$(jv "$TMP/cm.json" 'd["form"]["AsyncAmdStatusCallback"][0]')"
jv "$TMP/c1.json" 'd["form"]["Twiml"][0]' >"$TMP/twiml1.xml"
expect_grep "Twiml: the disclosure is said first, in the recipient's language" \
	'^<\?xml version="1.0" encoding="UTF-8"\?><Response><Say language="en-US">This call may be recorded.</Say><Connect><Stream url="wss://agent.example.com/voice">' \
	"$TMP/twiml1.xml"
expect_grep "Twiml: parameters carry campaign, attempt and the escaped script" \
	'<Parameter name="campaign" value="nov-reminders"/><Parameter name="attempt_id" value="nov-reminders.2.1"/>.*<Parameter name="script" value="Hi Ann, your payment of \$40 is due &lt;Friday&gt; &amp; more."/>' \
	"$TMP/twiml1.xml"
expect_grep "Twiml: the recipient's variables are parameters" \
	'<Parameter name="var_customer_name" value="Ann"/><Parameter name="var_due_date" value="Friday"/></Stream></Connect></Response>$' \
	"$TMP/twiml1.xml"
ok_if "Twiml is well-formed XML" "$PY" -c 'import sys,xml.dom.minidom as m; m.parse(sys.argv[1])' "$TMP/twiml1.xml"
ok_if "the message is not kept on the dialing machine's disk" test ! -e "$GITDIAL_SPOOL/.twilio/nov-reminders.2.1.vm"
n=$(creates)
req dial "$TMP/dvm.json" script.text="\"$(printf '%.0sس' $(seq 700))\"" attempt_id='"nov-reminders.6.1"'
tw dial "$TMP/dvm.json" "$TMP/ovm.json"
last_create >"$TMP/cvm.json"
expect_eq "no message, a script too long for the AMD URL: placed, the agent's voicemail stream without the prompt" \
	"true https://hooks.example.com/gd/twilio?account=tw-main&attempt_id=nov-reminders.6.1&cb=amd&vm=leave_message&lang=en&mode=override" \
	"$(jv "$TMP/ovm.json" 'str(d["ok"]).lower()') $(jv "$TMP/cvm.json" 'd["form"]["AsyncAmdStatusCallback"][0]')"
n=$(creates)
req dial "$TMP/dvm2.json" voicemail_message="\"$(printf '%.0sس' $(seq 700))\"" attempt_id='"nov-reminders.7.1"'
tw dial "$TMP/dvm2.json" "$TMP/ovm2.json"
expect_eq "a voicemail_message too long for the AMD callback URL: rejected before calling" \
	"rejected vm_message_too_long" "$(err_kind "$TMP/ovm2.json")"
expect_eq "... nothing reached Twilio" "$n" "$(creates)"

req dial "$TMP/d2.json" disclosure=null voicemail='"hang_up"' ring_timeout_s=900 \
	attempt_id='"nov-reminders.3.1"'
tw dial "$TMP/d2.json" "$TMP/o2.json"
last_create >"$TMP/c2.json"
expect_eq "no disclosure: the Twiml starts with the agent" "<Response><Connect>" \
	"$(jv "$TMP/c2.json" 'd["form"]["Twiml"][0][38:57]')"
expect_eq "hang_up: MachineDetection=Enable; ring timeout capped at 600" "Enable 600" \
	"$(jv "$TMP/c2.json" 'd["form"]["MachineDetection"][0] + " " + d["form"]["Timeout"][0]')"

req dial "$TMP/d3.json" webhook_url=null attempt_id='"nov-reminders.4.1"'
tw dial "$TMP/d3.json" "$TMP/o3.json"
last_create >"$TMP/c3.json"
expect_eq "no webhook URL: no callbacks, no machine detection" "False False" \
	"$(jv "$TMP/c3.json" 'str("StatusCallback" in d["form"]) + " " + str("MachineDetection" in d["form"])')"

# --- the 4000-character inline Twiml cap, checked before calling
n=$(creates)
req dial "$TMP/d4.json" script.text="\"$(head -c 3900 /dev/zero | tr '\0' x)\""
tw dial "$TMP/d4.json" "$TMP/o4.json"
expect_eq "Twiml over 4000 characters: rejected before calling" "rejected twiml_too_long" \
	"$(jv "$TMP/o4.json" 'd["error"]["kind"] + " " + d["error"]["code"]')"
expect_grep "the message says how long and what to shorten" 'Twilio takes at most 4000: shorten the script' "$TMP/o4.json"
expect_eq "nothing reached Twilio" "$n" "$(creates)"
req dial "$TMP/d5.json" script.text="\"$(head -c 3400 /dev/zero | tr '\0' x)\"" attempt_id='"nov-reminders.5.1"'
tw dial "$TMP/d5.json" "$TMP/o5.json"
expect_eq "Twiml just under the cap is sent" true "$(jv "$TMP/o5.json" 'd["ok"]')"

# --- error mapping
kind() { err_kind "$1"; }
TW_TOKEN=wrong gitdial-twilio dial <"$TMP/d1.json" >"$TMP/e1.json" 2>>"$TMP/stderr"
expect_eq "wrong token: auth (20003)" "auth 20003" "$(kind "$TMP/e1.json")"
req dial "$TMP/e2.json" from='"+14155550111"'
tw dial "$TMP/e2.json" "$TMP/e2o.json"
expect_eq "unverified caller ID: account (21210)" "account 21210" "$(kind "$TMP/e2o.json")"
expect_grep "the account error carries a hint" '"hint":"the campaign.s From is neither a Twilio number' "$TMP/e2o.json"
# account settings, not the number: the runner pauses the campaign and
# keeps the recipient (geo permissions, trial accounts, caller ID)
for c in 93:21215 94:21219 95:13227 96:32205 97:21212; do
	req dial "$TMP/ga$c.json" to="\"+141555501${c%%:*}\""
	tw dial "$TMP/ga$c.json" "$TMP/gao$c.json"
	expect_eq "Twilio ${c#*:}: account, not invalid_number" "account ${c#*:}" "$(kind "$TMP/gao$c.json")"
	expect_grep "Twilio ${c#*:}: a hint says what to change" '"hint":"[^"]*gitdial resume"' "$TMP/gao$c.json"
done
expect_grep "21215's hint names the geo permissions" '"hint":"the destination country is not enabled in the account.s Voice Geographic Permissions' "$TMP/gao93:21215.json"
req dial "$TMP/e3.json" to='"+14155550191"'
tw dial "$TMP/e3.json" "$TMP/e3o.json"
expect_eq "unreachable number: invalid_number (21214)" "invalid_number 21214" "$(kind "$TMP/e3o.json")"
req dial "$TMP/e4.json" to='"+14155550192"'
tw dial "$TMP/e4.json" "$TMP/e4o.json"
expect_eq "invalid number: invalid_number (21217)" "invalid_number 21217" "$(kind "$TMP/e4o.json")"
req dial "$TMP/e5.json" to='"+1415"'
tw dial "$TMP/e5.json" "$TMP/e5o.json"
expect_eq "a 'to' that is not E.164 is refused before calling" "invalid_number bad_request" "$(kind "$TMP/e5o.json")"
req dial "$TMP/e6.json" account.credentials='{"account_sid":"env:TW_SID","auth_token":"env:NOT_SET"}'
tw dial "$TMP/e6.json" "$TMP/e6o.json"
expect_eq "an unresolvable credential: auth" "auth credentials" "$(kind "$TMP/e6o.json")"

fault() { fake_ctl "$TW_URL" /_control/faults "$1" >/dev/null; }
fault '{"create":["429"]}'
tw dial "$TMP/d1.json" "$TMP/f1.json"
expect_eq "HTTP 429: rate_limited (20429)" "rate_limited 20429" "$(kind "$TMP/f1.json")"
fault '{"create":["500"]}'
tw dial "$TMP/d1.json" "$TMP/f2.json"
expect_eq "HTTP 500: transient" "transient 20500" "$(kind "$TMP/f2.json")"
n=$(creates)
fault '{"create":["502"]}'
tw dial "$TMP/d1.json" "$TMP/f2b.json"
expect_eq "HTTP 502 from a gateway: ambiguous (the call may exist)" "ambiguous http_502" "$(kind "$TMP/f2b.json")"
fault '{"create":["504"]}'
tw dial "$TMP/d1.json" "$TMP/f2c.json"
expect_eq "HTTP 504 from a gateway: ambiguous" "ambiguous http_504" "$(kind "$TMP/f2c.json")"
expect_eq "the fake saw both creates" "$((n + 2))" "$(creates)"
fault '{"update":["502"]}'
req hangup "$TMP/f2d.json" call_id='"CA00000000000000000000000000000001"'
tw hangup "$TMP/f2d.json" "$TMP/f2do.json"
expect_eq "HTTP 502 on hangup: transient (nothing to create)" "transient http_502" "$(kind "$TMP/f2do.json")"
req dial "$TMP/f3.json" account.api_base="\"http://127.0.0.1:$(free_port)\""
tw dial "$TMP/f3.json" "$TMP/f3o.json"
expect_eq "connection refused (nothing sent): transient" "transient connect" "$(kind "$TMP/f3o.json")"
fault '{"latency_ms":300}'
tw dial "$TMP/d1.json" "$TMP/f4.json"
expect_eq "300 ms of latency: still placed" true "$(jv "$TMP/f4.json" 'd["ok"]')"
fault '{"latency_ms":0}'

# --- ambiguous creates, resolved by status without a call id
n=$(creates)
fault '{"create":["reset"]}'
req dial "$TMP/a1.json" to='"+14155550131"' attempt_id='"nov-reminders.31.1"'
tw dial "$TMP/a1.json" "$TMP/a1o.json"
expect_eq "connection reset before any answer: ambiguous" "ambiguous no_response" "$(kind "$TMP/a1o.json")"
req status "$TMP/s1.json" to='"+14155550131"' attempt_id='"nov-reminders.31.1"' call_id=null
tw status "$TMP/s1.json" "$TMP/s1o.json"
expect_eq "status finds no call: the attempt was never placed" '{"ok": true, "found": false}' "$(jv "$TMP/s1o.json" 'd')"
expect_eq "the lookup filters with the spec's StartTime> (on or after the claim's day)" "2026-11-25" \
	"$(fake_ctl "$TW_URL" /_control/requests | "$PY" -c '
import json, sys, urllib.parse
print(" ".join(sorted(set(dict(urllib.parse.parse_qsl(r["body"])).get("StartTime>", "-")
    for r in json.load(sys.stdin) if r["op"] == "list" and "Status" not in r["body"]))))')"

fault '{"create":["reset_after_create"]}'
req dial "$TMP/a2.json" to='"+14155550132"' attempt_id='"nov-reminders.32.1"'
tw dial "$TMP/a2.json" "$TMP/a2o.json"
expect_eq "reset after the call was created: ambiguous" "ambiguous no_response" "$(kind "$TMP/a2o.json")"
req status "$TMP/s2.json" to='"+14155550132"' attempt_id='"nov-reminders.32.1"' call_id=null
tw status "$TMP/s2.json" "$TMP/s2o.json"
sid2=$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["to"]=="+14155550132"][0])')
expect_eq "status finds the queued call Twilio made" "True $sid2 queued" \
	"$(jv "$TMP/s2o.json" 'str(d["found"]) + " " + d["call_id"] + " " + d["state"]')"

start=$(date +%s%N)
fault '{"create":["timeout_after_create:4000"]}'
req dial "$TMP/a3.json" to='"+14155550133"' attempt_id='"nov-reminders.33.1"'
GITDIAL_HTTP_TIMEOUT_MS=700 gitdial-twilio dial <"$TMP/a3.json" >"$TMP/a3o.json" 2>>"$TMP/stderr"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
expect_eq "timeout after the call was created: ambiguous" "ambiguous no_response" "$(kind "$TMP/a3o.json")"
ok_if "the timeout is the configured one (${ms} ms)" test "$ms" -lt 3000
expect_eq "ambiguous creates made exactly the calls Twilio reports" "$((n + 3))" "$(creates)"

# --- status and hangup by call sid, after the call ends
req dial "$TMP/h1.json" to='"+14155550144"' attempt_id='"nov-reminders.44.1"'
tw dial "$TMP/h1.json" "$TMP/h1o.json"
busy_sid=$(jv "$TMP/h1o.json" 'd["call_id"]')
req dial "$TMP/h2.json" to='"+14155550147"' attempt_id='"nov-reminders.47.1"' webhook_url='"https://hooks.example.com/gd/twilio"'
tw dial "$TMP/h2.json" "$TMP/h2o.json"
vm_sid=$(jv "$TMP/h2o.json" 'd["call_id"]')
req status "$TMP/s3.json" call_id="\"$busy_sid\""
tw status "$TMP/s3.json" "$TMP/s3o.json"
expect_eq "status of a queued call" "queued" "$(jv "$TMP/s3o.json" 'd["state"]')"
fake_ctl "$TW_URL" /_control/flush '{}' >/dev/null  # callbacks go nowhere here
tw status "$TMP/s3.json" "$TMP/s3o.json"
expect_eq "status of a busy call: completed, busy" "completed busy False" \
	"$(jv "$TMP/s3o.json" 'd["state"] + " " + d["outcome"]["outcome"] + " " + str(d["outcome"]["connected"])')"
req status "$TMP/s4.json" call_id="\"$vm_sid\""
tw status "$TMP/s4.json" "$TMP/s4o.json"
expect_eq "status of a machine-answered call: voicemail" "voicemail machine_end_beep 25" \
	"$(jv "$TMP/s4o.json" 'd["outcome"]["outcome"] + " " + d["outcome"]["answered_by"] + " " + str(d["outcome"]["duration_s"])')"
ok_if "status responses match the schema" \
	json_schema_ok "$TOP/schemas/function-response.schema.json" "$TMP/s1o.json" "$TMP/s2o.json" "$TMP/s3o.json" "$TMP/s4o.json"
req status "$TMP/s5.json" call_id='"CA00000000000000000000000000000000"'
tw status "$TMP/s5.json" "$TMP/s5o.json"
expect_eq "status of an unknown sid is transient (the call exists: lag)" "transient 20404" "$(kind "$TMP/s5o.json")"

req dial "$TMP/h3.json" to='"+14155550150"' attempt_id='"nov-reminders.50.1"'
tw dial "$TMP/h3.json" "$TMP/h3o.json"
req hangup "$TMP/hh.json" call_id="$(jv "$TMP/h3o.json" 'json.dumps(d["call_id"])')"
tw hangup "$TMP/hh.json" "$TMP/hho.json"
expect_eq "hangup of a live call" '{"ok": true}' "$(jv "$TMP/hho.json" 'd')"
expect_eq "hangup sent Status=completed" "completed" "$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import json,sys; print([c for c in json.load(sys.stdin) if c["to"]=="+14155550150"][0]["updates"][0]["Status"])')"
tw hangup "$TMP/hh.json" "$TMP/hho2.json"
expect_eq "hangup of an ended call is fine" '{"ok": true}' "$(jv "$TMP/hho2.json" 'd')"

# --- the fake refuses what the spec refuses, with Twilio's codes
fake_raw() { # FORM: a create straight to the fake; prints "status code"
	curl -s -u "$SID:$TOKEN" --data "$1" "$TW_URL/2010-04-01/Accounts/$SID/Calls.json" |
		"$PY" -c 'import json,sys; d=json.load(sys.stdin); print(d["status"], d["code"])'
}
expect_eq "fake: an unknown parameter (StartTime>= style typo) -> 20001" "400 20001" \
	"$(fake_raw 'To=%2B14155550120&From=%2B14155550100&Twiml=x&Timout=5')"
expect_eq "fake: MachineDetection outside its enum -> 21263" "400 21263" \
	"$(fake_raw 'To=%2B14155550120&From=%2B14155550100&Twiml=x&MachineDetection=Bogus')"
expect_eq "fake: async AMD with no callback URL -> 21262" "400 21262" \
	"$(fake_raw 'To=%2B14155550120&From=%2B14155550100&Twiml=x&MachineDetection=Enable&AsyncAmd=true')"

# --- no secret anywhere
ok_if "the auth token appears in no output" sh -c "! grep -rq '$TOKEN' '$TMP'/*.json '$TMP/stderr'"
finish
