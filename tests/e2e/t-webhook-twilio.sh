#!/usr/bin/env bash
# Twilio's webhooks through a real web server: lighttpd runs gitdial-twilio
# as CGI. The fake Twilio places calls made by gitdial-twilio dial and
# delivers signed status and AMD callbacks for the public URL
# https://hooks.example.com/gd/twilio to lighttpd on 127.0.0.1 (so the
# Host header never matches what was signed). Then crafted deliveries:
# unsigned, wrong, tampered, oversized, malformed -> 4xx and no spool file.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
PUB=https://hooks.example.com/gd
SPOOL=$TMP/spool
export TW_SID=$SID TW_TOKEN=$TOKEN GITDIAL_SPOOL=$SPOOL
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
mkdir -p "$TMP/repo" "$SPOOL"
cat >"$TMP/repo/gitdial.json" <<EOF
{"accounts": {"tw-main": {"provider": "twilio", "caller_ids": ["+14155550100"],
   "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN",
                   "webhook_shared_key": "env:TW_SHARED"},
   "api_base": "$TW_URL"}},
 "agent": {"stream_url": "wss://agent.example.com/voice"},
 "webhook_base_url": "$PUB/"}
EOF
SHARED=tw-shared-key-secret-77e0
web_start GITDIAL_REPO="$TMP/repo" GITDIAL_SPOOL="$SPOOL" TW_SID="$SID" TW_TOKEN="$TOKEN" \
	TW_SHARED="$SHARED" || exit 1
fake_ctl "$TW_URL" /_control/config '{"deliver":{"'"$PUB"'":"'"$WEB_URL"'"}}' >/dev/null

# dial ROW TO VOICEMAIL [record|msg=TEXT]: places a call through gitdial-twilio.
dial() {
	"$PY" - "$TW_URL" "$@" >"$TMP/req.json" <<'EOF'
import json, sys
api, row, to, vm = sys.argv[1:5]
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.%s.1" % row, "campaign": "nov", "to": to, "from": "+14155550100",
  "account": {"name": "tw-main", "provider": "twilio",
              "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"},
              "api_base": api},
  "agent": {"stream_url": "wss://agent.example.com/voice"},
  "webhook_url": "https://hooks.example.com/gd/twilio",
  "script": {"mode": "override", "text": "Your payment is due Friday."},
  "language": "en", "disclosure": "This call may be recorded.",
  "voicemail": vm, "ring_timeout_s": 30}
  | ({"record": True} if sys.argv[5:] == ["record"] else {})
  | ({"voicemail_message": sys.argv[5][4:]} if sys.argv[5:6] and sys.argv[5].startswith("msg=") else {})))
EOF
	gitdial-twilio dial <"$TMP/req.json" >"$TMP/dial.$1.json" 2>>"$TMP/stderr"
}
# outcomes: "attempt outcome duration connected answered answered_by sip" per spool file
outcomes() {
	"$PY" - "$SPOOL" <<'EOF'
import json, os, sys
rows = []
for f in sorted(os.listdir(sys.argv[1])):
    if not f.endswith(".json"):
        continue
    e = json.load(open(os.path.join(sys.argv[1], f)))
    if e.get("event") != "outcome":
        continue
    rows.append("%s %s %s %s %s %s %s" % (e["attempt_id"], e["outcome"], e["duration_s"],
        str(e["connected"]).lower(), str(e["answered"]).lower(),
        e.get("answered_by", "-"), e.get("sip_code", "-")))
print("\n".join(sorted(set(rows))))
EOF
}
statuses() { "$PY" -c 'import json,sys; print(" ".join(sorted(set(str(d["status"]) for d in json.load(sys.stdin)))))'; }

# --- real callbacks for every kind of call
dial 1 +14155550110 hang_up      # human, 45 s
dial 2 +14155550114 hang_up      # busy
dial 3 +14155550115 hang_up      # no answer
dial 4 +14155550116 hang_up      # failed, 404
dial 5 +14155550117 leave_message "msg=Please call us back, Ann." # machine: the message
dial 6 +14155550127 hang_up      # machine: hang up
dial 7 +14155550118 hang_up      # picked up, 2 s
dial 13 +14155550137 leave_message # machine, no message: the agent leaves one
ok_if "eight calls placed" test "$(cat "$TMP"/dial.*.json | grep -c '"ok":true')" -eq 8
fake_ctl "$TW_URL" /_control/flush '{}' >"$TMP/flush1.json"
expect_eq "every signed callback was accepted (204)" "204" "$(statuses <"$TMP/flush1.json")"
expect_eq "callbacks delivered: 5 answered calls x (4 + AMD) + 3 unanswered x 3" 34 \
	"$(jv "$TMP/flush1.json" 'len(d)')"
expect_eq "one outcome per call, only from the final status" 8 "$(spool_count "$SPOOL")"
outcomes >"$TMP/outcomes1"
expect_eq "outcomes normalised to §5" "nov.1.1 connected 45 true true human 200
nov.13.1 voicemail 25 false false machine_end_beep 200
nov.2.1 busy 0 false false - 486
nov.3.1 no_answer 0 false false - 487
nov.4.1 failed 0 false false - 404
nov.5.1 voicemail 25 false false machine_end_beep 200
nov.6.1 voicemail 25 false false machine_end_beep 200
nov.7.1 hangup 2 true false human 200" "$(cat "$TMP/outcomes1")"
ok_if "spooled events match spool-event.schema.json" \
	json_schema_ok "$TOP/schemas/spool-event.schema.json" "$SPOOL"/*.json
# ingest ignores what spool-event.schema.json does not list for the log
mkdir -p "$TMP/logged"
for f in "$SPOOL"/*.json; do
	jv "$f" 'json.dumps({k: v for k, v in d.items() if k != "account"})' >"$TMP/logged/${f##*/}"
done
ok_if "spooled events match event.schema.json" \
	json_schema_ok "$TOP/schemas/event.schema.json" "$TMP/logged"/*.json
expect_eq "each outcome names the account whose token verified it" tw-main \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(set(json.load(open(f))["account"] for f in sys.argv[1:]))))' "$SPOOL"/*.json)"
ev1=$(grep -l '"nov.1.1"' "$SPOOL"/*.json)
expect_eq "the event carries campaign, call sid and Twilio's timestamp" \
	"nov $(jv "$TMP/dial.1.json" 'd["call_id"]') outcome" \
	"$(jv "$ev1" 'd["campaign"] + " " + d["call_id"] + " " + d["event"]')"
ok_if "the timestamp is RFC 3339 UTC" grep -qE '"ts":"2[0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z"' "$ev1"
ev4=$(grep -l '"nov.4.1"' "$SPOOL"/*.json)
expect_eq "a failed call says why" "invalid_number 404" \
	"$(jv "$ev4" 'd["error"]["kind"] + " " + str(d["error"]["code"])')"
fake_ctl "$TW_URL" /_control/calls >"$TMP/calls.json"
expect_eq "leave_message: after the beep Twilio is told to say voicemail_message" \
	'<?xml version="1.0" encoding="UTF-8"?><Response><Say language="en-US">Please call us back, Ann.</Say><Hangup/></Response>' \
	"$(jv "$TMP/calls.json" '[c for c in d if c["to"]=="+14155550117"][0]["updates"][0]["Twiml"]')"
expect_eq "leave_message, no message: after the beep the agent's stream, the script its prompt" \
	'<?xml version="1.0" encoding="UTF-8"?><Response><Connect><Stream url="wss://agent.example.com/voice"><Parameter name="campaign" value="nov"/><Parameter name="attempt_id" value="nov.13.1"/><Parameter name="language" value="en"/><Parameter name="script_mode" value="override"/><Parameter name="script" value="Your payment is due Friday."/><Parameter name="voicemail" value="leave_message"/></Stream></Connect></Response>' \
	"$(jv "$TMP/calls.json" '[c for c in d if c["to"]=="+14155550137"][0]["updates"][0]["Twiml"]')"
expect_eq "the override script (instructions to the agent) is never in a <Say>" "" \
	"$(jv "$TMP/calls.json" '" ".join(c["to"] for c in d for u in c.get("updates", []) + [c["form"]] if "<Say" in str(u.get("Twiml", "")) and "payment is due" in str(u.get("Twiml", "")).split("<Connect>")[0])')"
expect_eq "hang_up: a machine is hung up on" completed \
	"$(jv "$TMP/calls.json" '[c for c in d if c["to"]=="+14155550127"][0]["updates"][0]["Status"]')"
expect_eq "a human is left alone" "[]" \
	"$(jv "$TMP/calls.json" '[c for c in d if c["to"]=="+14155550110"][0].get("updates", [])')"
ok_if "the voicemail message is not kept after the call" test ! -e "$SPOOL/.twilio/nov.5.1.vm"

# --- duplicated and out-of-order deliveries
dial 8 +14155550120 hang_up
dial 9 +14155550134 hang_up
fake_ctl "$TW_URL" /_control/flush '{"duplicate":true,"reverse":true}' >"$TMP/flush2.json"
expect_eq "duplicated, reversed deliveries are all accepted" "204" "$(statuses <"$TMP/flush2.json")"
expect_eq "each duplicate final status is spooled (the tick de-duplicates)" 12 "$(spool_count "$SPOOL")"
expect_eq "and every copy says the same" "nov.8.1 connected 45 true true human 200
nov.9.1 busy 0 false false - 486" "$(outcomes | grep -E '^nov\.[89]\.')"

# --- a recorded call: Record=true, the recording URL in the outcome
dial 40 +14155550140 hang_up record
expect_eq "record: Record=true on create" true "$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import json, sys
print([c for c in json.load(sys.stdin) if c["to"] == "+14155550140"][0]["form"].get("Record"))')"
fake_ctl "$TW_URL" /_control/flush '{}' >/dev/null
expect_grep "... and the outcome carries the recording URL from the completed callback" \
	'"recording_url":"https://api.twilio.com/2010-04-01/Accounts/'"$SID"'/Recordings/RE[0-9a-f]{32}"' \
	"$(grep -l '"nov.40.1"' "$SPOOL"/*.json | head -1)"
dial 41 +14155550141 hang_up
ok_if "without record: no Record parameter" sh -c "curl -sS '$TW_URL/_control/calls' | $PY -c '
import json, sys
sys.exit(\"Record\" in [c for c in json.load(sys.stdin) if c[\"to\"] == \"+14155550141\"][0][\"form\"])'"
fake_ctl "$TW_URL" /_control/flush '{}' >/dev/null

# --- crafted deliveries
n0=$(spool_count "$SPOOL")
Q="account=tw-main&attempt_id=nov.20.1"
P=(CallSid=CA11111111111111111111111111111111 AccountSid=$SID CallStatus=completed
   CallDuration=40 From=+14155550100 To=+14155550200 Direction=outbound-api
   Timestamp="Wed, 25 Nov 2026 12:01:00 +0000")
"$PY" "$FAKE_DIR/sign.py" form "$TMP/good.form" "${P[@]}"
sig=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?$Q" "${P[@]}")
FORM="Content-Type: application/x-www-form-urlencoded"
expect_eq "no signature: 401" 401 "$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM")"
expect_eq "a wrong signature: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: x${sig:1}")"
other=$("$PY" "$FAKE_DIR/sign.py" twilio "not-the-token" "$PUB/twilio?$Q" "${P[@]}")
expect_eq "signed with another token: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $other")"
sed 's/CallDuration=40/CallDuration=4000/' "$TMP/good.form" >"$TMP/tampered.form"
expect_eq "a tampered parameter: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/tampered.form" "$FORM" "X-Twilio-Signature: $sig")"
expect_eq "another query string: 403" 403 \
	"$(post_hook "/twilio?account=tw-main&attempt_id=nov.21.1" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $sig")"
host=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$WEB_URL/twilio?$Q" "${P[@]}")
expect_eq "signed over the Host the server saw, not the public URL: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $host")"
expect_eq "GET: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$WEB_URL/twilio?$Q")"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' a >"$TMP/big.form"
expect_eq "a body over 1 MiB: 413" 413 \
	"$(post_hook "/twilio?$Q" "$TMP/big.form" "$FORM" "X-Twilio-Signature: $sig")"
expect_eq "not form-encoded: 415" 415 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "Content-Type: application/json" "X-Twilio-Signature: $sig")"
printf 'CallSid=%%zz' >"$TMP/bad.form"
expect_eq "a malformed body: 400" 400 \
	"$(post_hook "/twilio?$Q" "$TMP/bad.form" "$FORM" "X-Twilio-Signature: $sig")"
noattempt=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?account=tw-main" "${P[@]}")
expect_eq "signed, but no attempt id in the URL: 400" 400 \
	"$(post_hook "/twilio?account=tw-main" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $noattempt")"
nobody=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?account=nobody&attempt_id=nov.20.1" "${P[@]}")
expect_eq "signed for an account gitdial.json does not have: 404" 404 \
	"$(post_hook "/twilio?account=nobody&attempt_id=nov.20.1" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $nobody")"
P2=("${P[@]}")
P2[1]=AccountSid=AC99999999999999999999999999999999
"$PY" "$FAKE_DIR/sign.py" form "$TMP/other-acct.form" "${P2[@]}"
sig2=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?$Q" "${P2[@]}")
expect_eq "signed, but for another AccountSid: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/other-acct.form" "$FORM" "X-Twilio-Signature: $sig2")"
expect_eq "nothing was spooled for any of them" "$n0" "$(spool_count "$SPOOL")"

expect_eq "a good crafted delivery: 204" 204 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $sig")"
expect_eq "... and its outcome is spooled" "nov.20.1 connected 40 true true - -" "$(outcomes | grep '^nov.20.1')"
# webhooks signed with a SharedKey: X-Twilio-Webhooks-Signature-Settings
# names the algorithm (the SDK's validateRequest supports HMAC_SHA1/256)
SETS="X-Twilio-Webhooks-Signature-Settings: key=webhooks_sharedkey_1,algorithm=HMAC_SHA256"
s256=$("$PY" "$FAKE_DIR/sign.py" twilio256 "$SHARED" "$PUB/twilio?$Q" "${P[@]}")
expect_eq "HMAC-SHA256 with the SharedKey and the settings header: 204" 204 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $s256" "$SETS")"
s1k=$("$PY" "$FAKE_DIR/sign.py" twilio "$SHARED" "$PUB/twilio?$Q" "${P[@]}")
expect_eq "HMAC-SHA1 with the SharedKey (algorithm=HMAC_SHA1): 204" 204 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $s1k" \
		"X-Twilio-Webhooks-Signature-Settings: key=webhooks_sharedkey_1, algorithm=HMAC_SHA1")"
n2=$(spool_count "$SPOOL")
s256t=$("$PY" "$FAKE_DIR/sign.py" twilio256 "$TOKEN" "$PUB/twilio?$Q" "${P[@]}")
expect_eq "HMAC-SHA256 keyed with the auth token, not the SharedKey: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $s256t" "$SETS")"
expect_eq "an HMAC-SHA256 signature without the settings header: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $s256")"
expect_eq "an algorithm we do not know: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $s256" \
		"X-Twilio-Webhooks-Signature-Settings: key=k,algorithm=HMAC_SHA512")"
expect_eq "... none of those was spooled" "$n2" "$(spool_count "$SPOOL")"
ev=$(grep -l '"nov.20.1"' "$SPOOL"/*.json | head -1)
expect_eq "... stamped with Twilio's Timestamp" "2026-11-25T12:01:00Z" "$(jv "$ev" 'd["ts"]')"
port=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "https://hooks.example.com:443/gd/twilio?$Q" "${P[@]}")
expect_eq "signed with the default port in the URL (the port quirk): 204" 204 \
	"$(post_hook "/twilio?$Q" "$TMP/good.form" "$FORM" "X-Twilio-Signature: $port")"
"$PY" "$FAKE_DIR/sign.py" form "$TMP/ringing.form" CallSid=CA11111111111111111111111111111111 \
	AccountSid=$SID CallStatus=ringing
ring=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?$Q" CallSid=CA11111111111111111111111111111111 \
	AccountSid=$SID CallStatus=ringing)
n1=$(spool_count "$SPOOL")
expect_eq "an intermediate status is acknowledged" 204 \
	"$(post_hook "/twilio?$Q" "$TMP/ringing.form" "$FORM" "X-Twilio-Signature: $ring")"
expect_eq "... and not spooled" "$n1" "$(spool_count "$SPOOL")"
# --- the same handler run directly as CGI with leak checks on
export GITDIAL_REPO=$TMP/repo
dial 30 +14155550157 leave_message "msg=Please call us back, Bo."
csid=$(jv "$TMP/dial.30.json" 'd["call_id"]')
# the AMD callback URL exactly as dial gave it to Twilio (message included)
QA=$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["to"] == "+14155550157"][0]
print(c["form"]["AsyncAmdStatusCallback"].split("?", 1)[1])')
A=(CallSid=$csid AccountSid=$SID AnsweredBy=machine_end_beep MachineDetectionDuration=2100)
"$PY" "$FAKE_DIR/sign.py" form "$TMP/amd.form" "${A[@]}"
amd=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?$QA" "${A[@]}")
expect_eq "leak-checked: an AMD verdict, acted on" 204 \
	"$(san_cgi gitdial-twilio POST /twilio "$QA" "$TMP/amd.form" HTTP_X_TWILIO_SIGNATURE="$amd" \
		LD_DEBUG=libs LD_DEBUG_OUTPUT="$TMP/ld-amd")"
expect_eq "... the message, from the signed URL, went to Twilio" \
	'<Say language="en-US">Please call us back, Bo.</Say><Hangup/>' \
	"$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import json,sys,re; u=[c for c in json.load(sys.stdin) if c["to"]=="+14155550157"][0].get("updates",[])
print(len(u) == 1 and re.sub(r"^.*<Response>|</Response>$", "", u[0]["Twiml"]))')"
ok_if "... with no state file on any disk" test ! -e "$SPOOL/.twilio/nov.30.1.vm"
Q3="account=tw-main&attempt_id=nov.30.1"
C=(CallSid=$csid AccountSid=$SID CallStatus=completed CallDuration=31 SipResponseCode=200)
"$PY" "$FAKE_DIR/sign.py" form "$TMP/done.form" "${C[@]}"
done_sig=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?$Q3" "${C[@]}")
expect_eq "leak-checked: the final status" 204 \
	"$(san_cgi gitdial-twilio POST /twilio "$Q3" "$TMP/done.form" HTTP_X_TWILIO_SIGNATURE="$done_sig" \
		LD_DEBUG=libs LD_DEBUG_OUTPUT="$TMP/ld-final")"
# libcurl (and its 30 libraries) is loaded by the first request a function
# makes, not at exec: a delivery that makes none does not pay for it
ok_if "a final status never loads libcurl" sh -c "! cat '$TMP'/ld-final.* | grep -q 'calling init: .*libcurl'"
ok_if "... acting on a machine does (it asks Twilio to hang up)" \
	sh -c "cat '$TMP'/ld-amd.* | grep -q 'calling init: .*libcurl'"
expect_eq "... a voicemail, from the remembered AMD verdict" "nov.30.1 voicemail 31 false false machine_end_beep 200" \
	"$(outcomes | grep '^nov.30.1')"
expect_eq "leak-checked: a bad signature" 403 \
	"$(san_cgi gitdial-twilio POST /twilio "$Q3" "$TMP/done.form" HTTP_X_TWILIO_SIGNATURE="$amd")"
ok_if "no sanitizer report from any CGI process" san_clean
ok_if "lighttpd logged no CGI crash" sh -c "! grep -qiE 'sanitizer|signal|abort' '$TMP/lighttpd.err'"
finish
