#!/usr/bin/env bash
# gitdial-telnyx dial/status/hangup against the fake Telnyx: the request
# on the wire, error bodies, and faults. command_id = attempt id makes a
# re-sent dial safe: a create that drew no answer is retried once and
# Telnyx (the fake, as documented) ignores the duplicate.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

KEY=KEY0123-telnyx-secret
export TX_KEY=$KEY GITDIAL_SPOOL=$TMP/spool
fake_start TX telnyx --api-key "$KEY" --connection-id 1494404757140276705 || exit 1
fake_ctl "$TX_URL" /_control/config '{"fates":{"+14155550191":"rest:422:10002"},
	"deliver":{"https://hooks.example.com/gd":"http://127.0.0.1:'"$(free_port)"'"}}' >/dev/null

# req ACTION FILE [k=JSON ...]: writes a request (defaults below; k may
# be account.X), without starting a process.
req() {
	local action=$1 out=$2 kv k
	shift 2
	local -A top=([v]=1 [action]="\"$action\"" [now]='"2026-11-25T12:00:00Z"'
		[attempt_id]='"nov.2.1"' [campaign]='"nov"'
		[to]='"+14155550120"' [from]='"+14155550100"'
		[agent]='{"stream_url":"wss://agent.example.com/voice"}'
		[webhook_url]='"https://hooks.example.com/gd/telnyx"'
		[script]='{"mode":"override","text":"Your payment is due Friday."}'
		[language]='"ar"' [disclosure]=null [voicemail]='"hang_up"'
		[ring_timeout_s]=2 [dispatched_at]='"2026-11-25T11:59:58Z"')
	local -A acct=([name]='"tx-main"' [provider]='"telnyx"' [api_base]="\"$TX_URL\""
		[credentials]='{"api_key":"env:TX_KEY","public_key":"env:TX_PUB","connection_id":"1494404757140276705"}')
	for kv in "$@"; do
		k=${kv%%=*}
		case $k in
		account.*) acct[${k#account.}]=${kv#*=} ;;
		*) top[$k]=${kv#*=} ;;
		esac
	done
	json_obj "top[account]" acct
	json_obj kv top
	printf '%s\n' "$kv" >"$out"
}
tx() { gitdial-telnyx "$1" <"$2" >"$3" 2>>"$TMP/stderr"; }
kind() { err_kind "$1"; }
fault() { fake_ctl "$TX_URL" /_control/faults "$1" >/dev/null; }
reqs() { fake_ctl "$TX_URL" /_control/requests >"$TMP/reqs.json"; }
calls_to() { fake_ctl "$TX_URL" /_control/calls | "$PY" -c \
	'import json,sys; print(len([c for c in json.load(sys.stdin) if c["to"]==sys.argv[1]]))' "$1"; }

# --- a dial
req dial "$TMP/d1.json"
tx dial "$TMP/d1.json" "$TMP/o1.json"
expect_grep "dial answers ok with the call_control_id" '^\{"ok":true,"call_id":"v3:[A-Za-z0-9_-]+"\}$' "$TMP/o1.json"
ok_if "the response matches function-response.schema.json" \
	json_schema_ok "$TOP/schemas/function-response.schema.json" "$TMP/o1.json"
reqs
jv "$TMP/reqs.json" 'd[-1]' >"$TMP/r1.json"
jv "$TMP/r1.json" 'd["body"]' >"$TMP/b1.json"
expect_eq "Bearer auth, JSON" "True application/json" "$(jv "$TMP/r1.json" 'str(d["auth_ok"]) + " " + d["content_type"]')"
expect_eq "connection_id, to, from, timeout_secs (at least 5)" "1494404757140276705 +14155550120 +14155550100 5" \
	"$(jv "$TMP/b1.json" '" ".join([d["connection_id"], d["to"], d["from"], str(d["timeout_secs"])])')"
expect_eq "client_state is base64 of the call's state (attempt id, plan); command_id is the attempt id" \
	'{"a":"nov.2.1","l":"ar","v":"hang_up"} nov.2.1' \
	"$(jv "$TMP/b1.json" '__import__("base64").b64decode(d["client_state"]).decode() + " " + d["command_id"]')"
expect_eq "webhook_url names the account; machine detection on" \
	"https://hooks.example.com/gd/telnyx?account=tx-main POST detect" \
	"$(jv "$TMP/b1.json" '" ".join([d["webhook_url"], d["webhook_url_method"], d["answering_machine_detection"]])')"
expect_eq "no disclosure: the agent's stream starts with the call" "wss://agent.example.com/voice inbound_track" \
	"$(jv "$TMP/b1.json" 'd["stream_url"] + " " + d["stream_track"]')"

req dial "$TMP/d2.json" attempt_id='"nov.3.1"' disclosure='"هذه المكالمة قد تسجل."' voicemail='"leave_message"' \
	voicemail_message='"يرجى معاودة الاتصال."'
tx dial "$TMP/d2.json" "$TMP/o2.json"
reqs
jv "$TMP/reqs.json" 'd[-1]["body"]' >"$TMP/b2.json"
expect_eq "a disclosure: no stream until the webhook has spoken it; detect_beep for a message" "False detect_beep" \
	"$(jv "$TMP/b2.json" 'str("stream_url" in d) + " " + d["answering_machine_detection"]')"
expect_eq "the plan for the webhook travels in client_state, not on this disk" \
	"هذه المكالمة قد تسجل. leave_message يرجى معاودة الاتصال. wss://agent.example.com/voice False" \
	"$(jv "$TMP/b2.json" 'json.loads(__import__("base64").b64decode(d["client_state"])) and (lambda p: p["d"] + " " + p["v"] + " " + p["m"] + " " + p["s"])(json.loads(__import__("base64").b64decode(d["client_state"])))') $(test -e "$GITDIAL_SPOOL/.telnyx/nov.3.1.plan" && echo True || echo False)"

# --- what Telnyx can speak, checked before dialing
n=$(calls_to +14155550120)
req dial "$TMP/l1.json" attempt_id='"nov.80.1"' disclosure='"Esta llamada puede ser grabada."' language='"es"'
tx dial "$TMP/l1.json" "$TMP/l1o.json"
expect_eq "Spanish (es) is a language Telnyx speaks (es-ES)" true "$(jv "$TMP/l1o.json" 'd["ok"]')"
req dial "$TMP/l2.json" attempt_id='"nov.81.1"' disclosure='"Recorded."' language='"xx"'
tx dial "$TMP/l2.json" "$TMP/l2o.json"
expect_eq "a language with no Telnyx voice: rejected before dialing" "rejected language" "$(kind "$TMP/l2o.json")"
req dial "$TMP/l3.json" attempt_id='"nov.82.1"' disclosure="\"$(head -c 3001 /dev/zero | tr '\0' x)\""
tx dial "$TMP/l3.json" "$TMP/l3o.json"
expect_eq "a disclosure over 3,000 characters: rejected before dialing" "rejected speak_too_long" "$(kind "$TMP/l3o.json")"
req dial "$TMP/l4.json" attempt_id='"nov.83.1"' voicemail='"leave_message"' \
	voicemail_message="\"$(head -c 3001 /dev/zero | tr '\0' y)\""
tx dial "$TMP/l4.json" "$TMP/l4o.json"
expect_eq "a voicemail message over 3,000 characters: rejected before dialing" "rejected speak_too_long" "$(kind "$TMP/l4o.json")"
req dial "$TMP/d5.json" attempt_id='"nov.5.1"' voicemail='"leave_message"' \
	script="{\"mode\":\"override\",\"text\":\"$(head -c 3001 /dev/zero | tr '\0' y)\"}"
tx dial "$TMP/d5.json" "$TMP/o5.json"
reqs
jv "$TMP/reqs.json" 'd[-1]["body"]' >"$TMP/b5.json"
expect_eq "leave_message, no voicemail_message: the agent leaves it (a long script is never spoken)" \
	"true detect_beep leave_message - wss://agent.example.com/voice" \
	"$(jv "$TMP/o5.json" 'str(d["ok"]).lower()') $(jv "$TMP/b5.json" '(lambda p: d["answering_machine_detection"] + " " + p["v"] + " " + p.get("m", "-") + " " + p["s"])(json.loads(__import__("base64").b64decode(d["client_state"])))')"
expect_eq "... none of them reached Telnyx but the Spanish one and the agent's" "$((n + 2))" "$(calls_to +14155550120)"
req dial "$TMP/d3.json" attempt_id='"nov.4.1"' disclosure='"Recorded."' webhook_url=null
tx dial "$TMP/d3.json" "$TMP/o3.json"
expect_eq "a disclosure with no webhook to play it: rejected" "rejected no_webhook" "$(kind "$TMP/o3.json")"

# --- errors
TX_KEY=wrong gitdial-telnyx dial <"$TMP/d1.json" >"$TMP/e1.json" 2>>"$TMP/stderr"
expect_eq "a wrong API key: auth (10009)" "auth 10009" "$(kind "$TMP/e1.json")"
req dial "$TMP/e2.json" to='"+14155550191"' attempt_id='"nov.5.1"'
tx dial "$TMP/e2.json" "$TMP/e2o.json"
expect_eq "an invalid number: invalid_number (10002)" "invalid_number 10002" "$(kind "$TMP/e2o.json")"
req dial "$TMP/e3.json" account.credentials='{"api_key":"env:TX_KEY","connection_id":"999"}' attempt_id='"nov.6.1"'
tx dial "$TMP/e3.json" "$TMP/e3o.json"
expect_eq "a connection that is not the account's: rejected (10015)" "rejected 10015" "$(kind "$TMP/e3o.json")"
fault '{"create":["429"]}'
req dial "$TMP/e4.json" attempt_id='"nov.7.1"'
tx dial "$TMP/e4.json" "$TMP/e4o.json"
expect_eq "HTTP 429: rate_limited (90103)" "rate_limited 90103" "$(kind "$TMP/e4o.json")"
fake_ctl "$TX_URL" /_control/config '{"fates":{"+14155550191":"rest:422:10002",
	"+14155550192":"rest:408:10008","+14155550193":"rest:400:99999"}}' >/dev/null
req dial "$TMP/e5.json" to='"+14155550192"' attempt_id='"nov.8.1"'
tx dial "$TMP/e5.json" "$TMP/e5o.json"
expect_eq "10008 Request timeout (HTTP 408): transient, not rejected" "transient 10008" "$(kind "$TMP/e5o.json")"
req dial "$TMP/e6.json" to='"+14155550193"' attempt_id='"nov.9.1"'
tx dial "$TMP/e6.json" "$TMP/e6o.json"
expect_eq "an unlisted 4xx: transient, the campaign is not failed on it" "transient 99999" "$(kind "$TMP/e6o.json")"

# --- faults: retries with the same command_id never make a second call
fault '{"create":["500"]}'
req dial "$TMP/f1.json" to='"+14155550161"' attempt_id='"nov.61.1"'
tx dial "$TMP/f1.json" "$TMP/f1o.json"
expect_eq "one HTTP 500, retried at once: placed" true "$(jv "$TMP/f1o.json" 'd["ok"]')"
fault '{"create":["500","503"]}'
req dial "$TMP/f2.json" to='"+14155550162"' attempt_id='"nov.62.1"'
tx dial "$TMP/f2.json" "$TMP/f2o.json"
expect_eq "two 5xx: transient (nothing was created)" "transient 10007" "$(kind "$TMP/f2o.json")"
expect_eq "... and no call exists" 0 "$(calls_to +14155550162)"
fault '{"create":["reset_after_create"]}'
req dial "$TMP/f3.json" to='"+14155550163"' attempt_id='"nov.63.1"'
tx dial "$TMP/f3.json" "$TMP/f3o.json"
expect_eq "reset after create, re-sent with the same command_id: placed" true "$(jv "$TMP/f3o.json" 'd["ok"]')"
expect_eq "... exactly one call, the duplicate ignored" "1 1" \
	"$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json,sys; c=[c for c in json.load(sys.stdin) if c["to"]=="+14155550163"]; print(len(c), c[0].get("duplicates",0))')"
expect_eq "... and the call id is that call's" "$(jv "$TMP/f3o.json" 'd["call_id"]')" \
	"$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json,sys; print([c for c in json.load(sys.stdin) if c["to"]=="+14155550163"][0]["id"])')"
fault '{"create":["timeout_after_create:3000","timeout_after_create:3000"]}'
req dial "$TMP/f4.json" to='"+14155550164"' attempt_id='"nov.64.1"'
GITDIAL_HTTP_TIMEOUT_MS=500 gitdial-telnyx dial <"$TMP/f4.json" >"$TMP/f4o.json" 2>>"$TMP/stderr"
expect_eq "no answer twice: ambiguous" "ambiguous no_response" "$(kind "$TMP/f4o.json")"
expect_eq "... with one call made" 1 "$(calls_to +14155550164)"
fault '{"create":["reset","500"]}'
req dial "$TMP/f5.json" to='"+14155550165"' attempt_id='"nov.65.1"'
tx dial "$TMP/f5.json" "$TMP/f5o.json"
expect_eq "no answer then a 500: still ambiguous" "ambiguous no_response" "$(kind "$TMP/f5o.json")"
fault '{"create":["reset","429"]}'
req dial "$TMP/f7.json" to='"+14155550167"' attempt_id='"nov.67.1"'
tx dial "$TMP/f7.json" "$TMP/f7o.json"
expect_eq "no answer, then the same command_id draws a 4xx: ambiguous, not a failure" \
	"ambiguous no_response" "$(kind "$TMP/f7o.json")"
req dial "$TMP/f6.json" account.api_base="\"http://127.0.0.1:$(free_port)\"" attempt_id='"nov.66.1"'
tx dial "$TMP/f6.json" "$TMP/f6o.json"
expect_eq "connection refused: transient" "transient connect" "$(kind "$TMP/f6o.json")"

# --- status
req status "$TMP/s1.json" call_id=null attempt_id='"nov.64.1"' now='"2026-11-25T12:01:00Z"'
tx status "$TMP/s1.json" "$TMP/s1o.json"
expect_eq "status with no id on a host no webhook reached: the ambiguous dial's live call, by client_state among the active calls" \
	"True ringing $(fake_ctl "$TX_URL" /_control/calls | "$PY" -c 'import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["to"]=="+14155550164"][0])')" \
	"$(jv "$TMP/s1o.json" 'str(d.get("found")) + " " + str(d.get("state")) + " " + str(d.get("call_id"))')"
req status "$TMP/s2.json" call_id=null attempt_id='"nov.62.1"' now='"2026-11-25T12:30:00Z"'
tx status "$TMP/s2.json" "$TMP/s2o.json"
expect_eq "no live call carries it, 30 min after the claim: held (a call may have ended, its outcome on its way)" \
	"transient not_yet" "$(kind "$TMP/s2o.json")"
req status "$TMP/s2b.json" call_id=null attempt_id='"nov.62.1"' now='"2026-11-25T16:19:00Z"'
tx status "$TMP/s2b.json" "$TMP/s2bo.json"
expect_eq "... still held at 4 h 19 min (ring + Telnyx's longest call + delivery)" \
	"transient not_yet" "$(kind "$TMP/s2bo.json")"
req status "$TMP/s2c.json" call_id=null attempt_id='"nov.62.1"' now='"2026-11-25T16:21:00Z"'
tx status "$TMP/s2c.json" "$TMP/s2co.json"
expect_eq "... and after it: never placed" '{"ok": true, "found": false}' "$(jv "$TMP/s2co.json" 'd')"
# a batch (the runner's way: one process, requests on threads) lists once
n_list() { fake_ctl "$TX_URL" /_control/requests | "$PY" -c \
	'import json,sys; print(len([r for r in json.load(sys.stdin) if r["op"]=="active_calls"]))'; }
l0=$(n_list)
for k in 81 82 83 84; do
	req status "$TMP/b$k.json" call_id=null attempt_id="\"nov.$k.1\"" now='"2026-11-25T12:30:00Z"'
	printf '%s\t%s\n' "$k" "$(cat "$TMP/b$k.json")"
done | gitdial-telnyx status --batch --parallel 4 >"$TMP/batch.out" 2>>"$TMP/stderr"
expect_eq "a batch of 4 status lookups with no id: 4 answers, all held" "4 4" \
	"$(wc -l <"$TMP/batch.out") $(grep -c '"not_yet"' "$TMP/batch.out")"
expect_eq "... from one listing of the live calls" 1 "$(( $(n_list) - l0 ))"
fault '{"list":["500"]}'
tx status "$TMP/s2c.json" "$TMP/s2eo.json"
expect_eq "the active-calls list failing: ask again, never 'not found'" "transient 10007" "$(kind "$TMP/s2eo.json")"
req status "$TMP/s3.json" call_id=null attempt_id='"nov.2.1"'
tx status "$TMP/s3.json" "$TMP/s3o.json"
expect_eq "status with no id finds the id dial remembered: a live call rings" "True ringing $(jv "$TMP/o1.json" 'd["call_id"]')" \
	"$(jv "$TMP/s3o.json" 'str(d["found"]) + " " + d["state"] + " " + d["call_id"]')"
fake_ctl "$TX_URL" /_control/flush '{}' >/dev/null
tx status "$TMP/s3.json" "$TMP/s3o.json"
expect_eq "after it ends with no webhook heard: call_duration (50 s, ringing included) is not talk time" \
	"completed failed 0 no_webhook" \
	"$(jv "$TMP/s3o.json" 'd["state"] + " " + d["outcome"]["outcome"] + " " + str(d["outcome"]["duration_s"]) + " " + d["outcome"]["error"]["code"]')"
# the webhook notes the answer in client_state; status reads it from Telnyx
T=$(date -u -d 2026-11-25T12:00:00Z +%s)
fake_ctl "$TX_URL" /_control/config '{"clock":'"$T"'}' >/dev/null
req dial "$TMP/s5d.json" to='"+14155550180"' attempt_id='"nov.75.1"'
tx dial "$TMP/s5d.json" "$TMP/s5do.json"
cid5=$(jv "$TMP/s5do.json" 'd["call_id"]')
cs=$(printf '{"a":"nov.75.1","v":"hang_up","t":%s}' $((T + 5)) | base64 -w0)
curl -s -o /dev/null -X PUT -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' \
	--data "{\"client_state\":\"$cs\"}" "$TX_URL/v2/calls/$cid5/actions/client_state_update"
req status "$TMP/s5.json" call_id="\"$cid5\"" attempt_id='"nov.75.1"'
tx status "$TMP/s5.json" "$TMP/s5o.json"
expect_eq "a live call whose client_state says answered: in_progress" in_progress "$(jv "$TMP/s5o.json" 'd["state"]')"
fake_ctl "$TX_URL" /_control/flush '{}' >/dev/null
tx status "$TMP/s5.json" "$TMP/s5o.json"
expect_eq "after it ends: talk time from the answer to end_time (45 s), connected" "completed connected 45" \
	"$(jv "$TMP/s5o.json" 'd["state"] + " " + d["outcome"]["outcome"] + " " + str(d["outcome"]["duration_s"])')"
req status "$TMP/s4.json" call_id='"v3:unknown"'
tx status "$TMP/s4.json" "$TMP/s4o.json"
expect_eq "a call Telnyx no longer knows: found, state unknown" "True unknown" \
	"$(jv "$TMP/s4o.json" 'str(d["found"]) + " " + d["state"]')"
ok_if "status responses match the schema" \
	json_schema_ok "$TOP/schemas/function-response.schema.json" "$TMP/s1o.json" "$TMP/s2o.json" \
	"$TMP/s2co.json" "$TMP/s2eo.json" "$TMP/s3o.json" "$TMP/s4o.json"

# --- hangup
req dial "$TMP/h1.json" to='"+14155550170"' attempt_id='"nov.70.1"'
tx dial "$TMP/h1.json" "$TMP/h1o.json"
req hangup "$TMP/hh.json" call_id="$(jv "$TMP/h1o.json" 'json.dumps(d["call_id"])')"
tx hangup "$TMP/hh.json" "$TMP/hho.json"
expect_eq "hangup of a live call" '{"ok": true}' "$(jv "$TMP/hho.json" 'd')"
tx hangup "$TMP/hh.json" "$TMP/hho2.json"
expect_eq "hangup of an ended call (90018) is fine" '{"ok": true}' "$(jv "$TMP/hho2.json" 'd')"
reqs
expect_eq "both went to /actions/hangup" 2 "$(jv "$TMP/reqs.json" 'len([r for r in d if r["op"]=="hangup"])')"
expect_eq "... each with the required JSON body {} and its Content-Type" "{} application/json {} application/json" \
	"$(jv "$TMP/reqs.json" '" ".join(r["body"] + " " + str(r["content_type"]) for r in d if r["op"]=="hangup")')"
ok_if "the API key appears in no output" sh -c "! grep -rq '$KEY' '$TMP'/*o.json '$TMP'/o*.json '$TMP/stderr'"
finish
