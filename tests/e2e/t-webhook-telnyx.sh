#!/usr/bin/env bash
# Telnyx's webhooks through lighttpd + CGI: Ed25519-signed deliveries from
# the fake Telnyx (its clock and the function's injected clock agree),
# Call Control driven from the webhook (disclosure, then the agent's
# stream; a machine hung up on or left the message), outcomes spooled;
# then stale, future, unsigned, forged, tampered and oversized deliveries.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

KEY=KEY0123-telnyx-secret
SEED=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
OTHER_SEED=4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb
NOW=2026-11-25T12:00:00Z
T=$(date -u -d "$NOW" +%s)
PUB=https://hooks.example.com/gd
SPOOL=$TMP/spool
PUBKEY=$("$PY" "$TOP/tests/fake/sign.py" pubkey "$SEED")
export TX_KEY=$KEY TX_PUB=$PUBKEY GITDIAL_SPOOL=$SPOOL
fake_start TX telnyx --api-key "$KEY" --connection-id 1494404757140276705 \
	--private-key-hex "$SEED" || exit 1
mkdir -p "$TMP/repo" "$SPOOL"
cat >"$TMP/repo/gitdial.json" <<EOF
{"accounts": {"tx-main": {"provider": "telnyx", "caller_ids": ["+14155550100"],
   "credentials": {"api_key": "env:TX_KEY", "public_key": "env:TX_PUB",
                   "connection_id": "1494404757140276705"},
   "api_base": "$TX_URL"}},
 "webhook_base_url": "$PUB"}
EOF
web_start GITDIAL_REPO="$TMP/repo" GITDIAL_SPOOL="$SPOOL" TX_KEY="$KEY" \
	TX_PUB="$PUBKEY" GITDIAL_NOW="$NOW" || exit 1
fake_ctl "$TX_URL" /_control/config '{"clock":'"$T"',"deliver":{"'"$PUB"'":"'"$WEB_URL"'"}}' >/dev/null

dial() { # ROW TO VOICEMAIL DISCLOSURE [VOICEMAIL_MESSAGE]
	"$PY" - "$TX_URL" "$@" >"$TMP/req.json" <<'EOF'
import json, sys
api, row, to, vm, disc = sys.argv[1:6]
msg = sys.argv[6] if len(sys.argv) > 6 else None
print(json.dumps(dict({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.%s.1" % row, "campaign": "nov", "to": to, "from": "+14155550100",
  "account": {"name": "tx-main", "provider": "telnyx",
              "credentials": {"api_key": "env:TX_KEY", "connection_id": "1494404757140276705"},
              "api_base": api},
  "agent": {"stream_url": "wss://agent.example.com/voice"},
  "webhook_url": "https://hooks.example.com/gd/telnyx",
  "script": {"mode": "override", "text": "Your payment is due Friday."},
  "language": "en", "disclosure": disc or None, "voicemail": vm, "ring_timeout_s": 30},
  **({"voicemail_message": msg} if msg else {}))))
EOF
	gitdial-telnyx dial <"$TMP/req.json" >"$TMP/dial.$1.json" 2>>"$TMP/stderr"
}
outcomes() {
	"$PY" - "$SPOOL" <<'EOF'
import json, os, sys
rows = set()
for f in os.listdir(sys.argv[1]):
    if f.endswith(".json"):
        e = json.load(open(os.path.join(sys.argv[1], f)))
        rows.add("%s %s %s %s %s %s %s" % (e["attempt_id"], e["outcome"], e["duration_s"],
            str(e["connected"]).lower(), str(e["answered"]).lower(),
            e.get("answered_by", "-"), e.get("sip_code", "-")))
print("\n".join(sorted(rows)))
EOF
}
statuses() { "$PY" -c 'import json,sys; print(" ".join(sorted(set(str(d["status"]) for d in json.load(sys.stdin)))))'; }
updates() { # TO: the Call Control commands that took effect on that call
	# (a repeated command_id is ignored by Telnyx; client_state_update
	# only notes the answer)
	fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["to"] == sys.argv[1]][0]
def arg(b):
    x = b.get("payload", b.get("stream_url"))
    return "(" + x + ")" if x else ""
print(" ".join(u["action"] + arg(u["body"]) for u in c.get("updates", [])
               if not u.get("ignored") and u["action"] != "client_state_update"))' "$1"
}

dial 1 +14155550110 hang_up "This call may be recorded."
dial 2 +14155550114 hang_up ""
dial 3 +14155550115 hang_up ""
dial 4 +14155550116 hang_up ""
dial 5 +14155550117 hang_up ""
dial 6 +14155550127 leave_message "" "Please call us back, Ann."
dial 7 +14155550118 hang_up ""
dial 13 +14155550137 leave_message ""
ok_if "eight calls placed" test "$(cat "$TMP"/dial.*.json | grep -c '"ok":true')" -eq 8
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush1.json"
expect_eq "signed events up to the hang-up: all accepted" 200 "$(statuses <"$TMP/flush1.json")"
expect_eq "answered with a disclosure: it is spoken first" "speak(This call may be recorded.)" \
	"$(updates +14155550110)"
expect_eq "a machine with hang_up: hung up on at detection" "hangup" "$(updates +14155550117)"
expect_eq "a machine with leave_message: the voicemail_message after the greeting" \
	"speak(Please call us back, Ann.)" "$(updates +14155550127)"
expect_eq "leave_message, no message: the agent's stream again after the greeting, no speech" \
	"streaming_stop streaming_start(wss://agent.example.com/voice)" "$(updates +14155550137)"
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush2.json"
expect_eq "the speech ended: accepted" 200 "$(statuses <"$TMP/flush2.json")"
expect_eq "after the disclosure, the agent's stream starts" \
	"speak(This call may be recorded.) streaming_start(wss://agent.example.com/voice)" \
	"$(updates +14155550110)"
expect_eq "after the voicemail message, the call is hung up" \
	"speak(Please call us back, Ann.) hangup" "$(updates +14155550127)"
expect_eq "nothing spooled before the hang-ups" 0 "$(spool_count "$SPOOL")"
fake_ctl "$TX_URL" /_control/flush '{}' >"$TMP/flush3.json"
expect_eq "the override script (instructions to the agent) is never spoken" "" \
	"$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
print(" ".join(c["to"] for c in json.load(sys.stdin) for u in c.get("updates", [])
               if u["action"] == "speak" and "payment is due" in u["body"].get("payload", "")))')"
expect_eq "the hang-ups: accepted" 200 "$(statuses <"$TMP/flush3.json")"
# a human verdict is not carried (it would overwrite client_state while a
# speak may be setting it): answered_by is left out, not guessed
expect_eq "one outcome per call, normalised to §5" "nov.1.1 connected 45 true true - 200
nov.13.1 voicemail 25 false false machine 200
nov.2.1 busy 0 false false - 486
nov.3.1 no_answer 0 false false - 487
nov.4.1 failed 0 false false - 404
nov.5.1 voicemail 25 false false machine 200
nov.6.1 voicemail 25 false false machine 200
nov.7.1 hangup 2 true false - 200" "$(outcomes)"
# ingest ignores what spool-event.schema.json does not list for the log
mkdir -p "$TMP/logged"
for f in "$SPOOL"/*.json; do
	jv "$f" 'json.dumps({k: v for k, v in d.items() if k != "account"})' >"$TMP/logged/${f##*/}"
done
ok_if "spooled events match spool-event.schema.json and event.schema.json" sh -c "
	$(declare -f json_schema_ok); PY=$PY
	json_schema_ok '$TOP/schemas/spool-event.schema.json' '$SPOOL'/*.json &&
	json_schema_ok '$TOP/schemas/event.schema.json' '$TMP/logged'/*.json"
expect_eq "each outcome names the account whose key verified it" tx-main \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(set(json.load(open(f))["account"] for f in sys.argv[1:]))))' "$SPOOL"/*.json)"
ev=$(grep -l '"nov.1.1"' "$SPOOL"/*.json)
expect_eq "stamped with occurred_at; the call id is the call_control_id" \
	"2026-11-25T12:00:50Z $(jv "$TMP/dial.1.json" 'd["call_id"]')" \
	"$(jv "$ev" 'd["ts"] + " " + d["call_id"]')"
ok_if "no plan, phase or answer is kept on this host's disk" \
	sh -c "! ls '$SPOOL/.telnyx/' 2>/dev/null | grep -qv '[.]call\$'"
expect_eq "every command carries command_id <attempt>:<step>" \
	"nov.1.1:disclosure nov.1.1:stream nov.5.1:machine nov.6.1:voicemail nov.6.1:voicemail-end nov.13.1:voicemail-stop nov.13.1:voicemail-stream" \
	"$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
print(" ".join(u["body"]["command_id"] for c in json.load(sys.stdin)
               for u in c.get("updates", []) if "command_id" in u["body"]))')"
expect_eq "the fake accepted every command (speak voice/language per spec, {} bodies)" "" \
	"$(fake_ctl "$TX_URL" /_control/requests | "$PY" -c '
import json, sys
print(" ".join(r["op"] for r in json.load(sys.stdin) if r["op"] not in ("create", "fetch") and not r["body"]))')"

dial 8 +14155550120 hang_up "Recorded."
fake_ctl "$TX_URL" /_control/flush '{"duplicate":true}' >"$TMP/flush4.json"
expect_eq "duplicated deliveries: accepted" 200 "$(statuses <"$TMP/flush4.json")"
expect_eq "... a repeated call.answered speaks the disclosure once" "speak(Recorded.)" \
	"$(updates +14155550120)"
expect_eq "... the repeat re-sent it with the same command_id, which Telnyx ignored" "nov.8.1:disclosure nov.8.1:disclosure True" \
	"$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["to"] == "+14155550120"][0]
s = [u for u in c["updates"] if u["action"] == "speak"]
print(" ".join(u["body"]["command_id"] for u in s), s[-1].get("ignored", False))')"
dial 9 +14155550121 hang_up ""
fake_ctl "$TX_URL" /_control/flush '{"duplicate":true,"shuffle":true,"seed":7}' >"$TMP/flush5.json"
expect_eq "duplicated, shuffled deliveries: accepted" 200 "$(statuses <"$TMP/flush5.json")"
# the hang-up may come before call.answered: the outcome still says connected
# (its duration then counts from the call's start, as no answer time is known)
expect_eq "... two identical copies of a connected outcome" "2 1 nov.9.1 connected" \
	"$(grep -l '"nov.9.1"' "$SPOOL"/*.json | wc -l) $(outcomes | grep -c '^nov.9.1') $(outcomes | grep '^nov.9.1' | cut -d' ' -f1,2)"

# --- a command that fails is retried when Telnyx delivers the event again
dial 10 +14155550130 hang_up "Recorded, ten."
fake_ctl "$TX_URL" /_control/faults '{"update":["500"]}' >/dev/null
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush6.json"
expect_eq "the speak failed (HTTP 500): call.answered answered 502" "502" \
	"$("$PY" -c 'import json,sys; print(" ".join(str(d["status"]) for d in json.load(open(sys.argv[1])) if d["event"] == "call.answered"))' "$TMP/flush6.json")"
expect_eq "... nothing spoken yet" "" "$(updates +14155550130)"
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush7.json"
expect_eq "Telnyx delivers call.answered again: the speak is retried, once" "speak(Recorded, ten.)" \
	"$(updates +14155550130)"
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >/dev/null
expect_eq "... and after it the agent's stream starts" \
	"speak(Recorded, ten.) streaming_start(wss://agent.example.com/voice)" "$(updates +14155550130)"
dial 11 +14155550131 hang_up "Recorded, eleven."
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >/dev/null  # spoken
fake_ctl "$TX_URL" /_control/faults '{"update":["500"]}' >/dev/null
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush9.json"  # stream fails
expect_eq "the streaming_start failed: call.speak.ended answered 502" 502 "$(jv "$TMP/flush9.json" 'd[0]["status"]')"
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >/dev/null  # speak.ended again
expect_eq "a failed streaming_start is retried on the re-delivered speak.ended" \
	"speak(Recorded, eleven.) streaming_start(wss://agent.example.com/voice)" "$(updates +14155550131)"
fake_ctl "$TX_URL" /_control/flush '{}' >/dev/null

# --- call.hangup delivered before call.answered (deliveries are unordered)
dial 12 +14155550132 hang_up ""
fake_ctl "$TX_URL" /_control/flush '{"reverse":true}' >"$TMP/flush8.json"
expect_eq "reversed: call.hangup first" "call.hangup" "$(jv "$TMP/flush8.json" 'd[0]["event"]')"
expect_eq "... a 45 s conversation is still connected, counted from start_time (ringing included)" \
	"nov.12.1 connected 50 true true" "$(outcomes | grep '^nov.12.1' | cut -d' ' -f1-5)"

# --- crafted deliveries
n0=$(spool_count "$SPOOL")
envelope() { # FILE CLIENT_STATE
	printf '{"data":{"record_type":"event","event_type":"call.hangup","id":"e1","occurred_at":"2026-11-25T11:59:00.000000Z","payload":{"call_control_id":"v3:crafted","client_state":%s,"hangup_cause":"normal_clearing","sip_hangup_cause":"unspecified","start_time":"2026-11-25T11:58:00.000000Z"}}}' "$2" >"$1"
}
envelope "$TMP/good.json" "\"$(printf nov.20.1 | base64)\""
sig() { "$PY" "$TOP/tests/fake/sign.py" telnyx "${3:-$SEED}" "$1" "$2"; }
JSON="Content-Type: application/json"
Q="/telnyx?account=tx-main"
s_now=$(sig "$T" "$TMP/good.json")
expect_eq "no signature headers: 401" 401 "$(post_hook "$Q" "$TMP/good.json" "$JSON")"
expect_eq "a signature without a timestamp: 401" 401 \
	"$(post_hook "$Q" "$TMP/good.json" "$JSON" "telnyx-signature-ed25519: $s_now")"
s_old=$(sig $((T - 301)) "$TMP/good.json")
expect_eq "signed 301 s ago: 403" 403 "$(post_hook "$Q" "$TMP/good.json" "$JSON" \
	"telnyx-signature-ed25519: $s_old" "telnyx-timestamp: $((T - 301))")"
s_new=$(sig $((T + 301)) "$TMP/good.json")
expect_eq "signed 301 s ahead: 403" 403 "$(post_hook "$Q" "$TMP/good.json" "$JSON" \
	"telnyx-signature-ed25519: $s_new" "telnyx-timestamp: $((T + 301))")"
expect_eq "a fresh signature under another timestamp: 403" 403 "$(post_hook "$Q" "$TMP/good.json" "$JSON" \
	"telnyx-signature-ed25519: $s_now" "telnyx-timestamp: $((T + 1))")"
s_forged=$(sig "$T" "$TMP/good.json" "$OTHER_SEED")
expect_eq "signed with another key: 403" 403 "$(post_hook "$Q" "$TMP/good.json" "$JSON" \
	"telnyx-signature-ed25519: $s_forged" "telnyx-timestamp: $T")"
sed 's/normal_clearing/user_busy/' "$TMP/good.json" >"$TMP/tampered.json"
expect_eq "a tampered body: 403" 403 "$(post_hook "$Q" "$TMP/tampered.json" "$JSON" \
	"telnyx-signature-ed25519: $s_now" "telnyx-timestamp: $T")"
expect_eq "a signature that is not base64: 403" 403 "$(post_hook "$Q" "$TMP/good.json" "$JSON" \
	"telnyx-signature-ed25519: not*base64" "telnyx-timestamp: $T")"
envelope "$TMP/nostate.json" null
s_ns=$(sig "$T" "$TMP/nostate.json")
expect_eq "signed, but no client_state: 400" 400 "$(post_hook "$Q" "$TMP/nostate.json" "$JSON" \
	"telnyx-signature-ed25519: $s_ns" "telnyx-timestamp: $T")"
envelope "$TMP/badstate.json" "\"$(printf '../../etc' | base64)\""
s_bs=$(sig "$T" "$TMP/badstate.json")
expect_eq "signed, but client_state is no attempt id: 400" 400 "$(post_hook "$Q" "$TMP/badstate.json" "$JSON" \
	"telnyx-signature-ed25519: $s_bs" "telnyx-timestamp: $T")"
printf 'not json' >"$TMP/notjson.json"
s_nj=$(sig "$T" "$TMP/notjson.json")
expect_eq "signed, but not JSON: 400" 400 "$(post_hook "$Q" "$TMP/notjson.json" "$JSON" \
	"telnyx-signature-ed25519: $s_nj" "telnyx-timestamp: $T")"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TMP/big.json"
expect_eq "a body over 1 MiB: 413" 413 "$(post_hook "$Q" "$TMP/big.json" "$JSON" \
	"telnyx-signature-ed25519: $s_now" "telnyx-timestamp: $T")"
expect_eq "GET: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$WEB_URL$Q")"
expect_eq "nothing was spooled for any of them" "$n0" "$(spool_count "$SPOOL")"
s_edge=$(sig $((T - 300)) "$TMP/good.json")
expect_eq "signed 300 s ago (the edge of the tolerance): 200" 200 "$(post_hook "$Q" "$TMP/good.json" "$JSON" \
	"telnyx-signature-ed25519: $s_edge" "telnyx-timestamp: $((T - 300))")"
expect_eq "... no answer time known: normal_clearing counts from start_time to occurred_at" "nov.20.1 connected 60 true true - 200" \
	"$(outcomes | grep '^nov.20.1')"
expect_eq "without ?account=, each Telnyx account's key is tried: 200" 200 \
	"$(post_hook /telnyx "$TMP/good.json" "$JSON" "telnyx-signature-ed25519: $s_now" "telnyx-timestamp: $T")"

# --- leak-checked, run directly as CGI
export GITDIAL_REPO=$TMP/repo GITDIAL_NOW=$NOW
dial 30 +14155550140 hang_up "Recorded."
cid=$(jv "$TMP/dial.30.json" 'd["call_id"]')
printf '{"data":{"event_type":"call.answered","occurred_at":"2026-11-25T12:00:05Z","payload":{"call_control_id":"%s","client_state":"%s"}}}' \
	"$cid" "$(fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
print([c for c in json.load(sys.stdin) if c["id"] == sys.argv[1]][0]["client_state"])' "$cid")" >"$TMP/answered.json"
s_a=$(sig "$T" "$TMP/answered.json")
CGI_CONTENT_TYPE=application/json
expect_eq "leak-checked: call.answered, the disclosure spoken" 200 \
	"$(CGI_CONTENT_TYPE=application/json san_cgi gitdial-telnyx POST /telnyx account=tx-main "$TMP/answered.json" \
		HTTP_TELNYX_SIGNATURE_ED25519="$s_a" HTTP_TELNYX_TIMESTAMP="$T")"
expect_eq "... Telnyx was told to speak it" "speak(Recorded.)" "$(updates +14155550140)"
envelope "$TMP/g2.json" "\"$(printf nov.31.1 | base64)\""
s_g2=$(sig "$T" "$TMP/g2.json")
expect_eq "leak-checked: call.hangup" 200 \
	"$(CGI_CONTENT_TYPE=application/json san_cgi gitdial-telnyx POST /telnyx account=tx-main "$TMP/g2.json" \
		HTTP_TELNYX_SIGNATURE_ED25519="$s_g2" HTTP_TELNYX_TIMESTAMP="$T")"
expect_eq "leak-checked: a stale delivery" 403 \
	"$(CGI_CONTENT_TYPE=application/json san_cgi gitdial-telnyx POST /telnyx account=tx-main "$TMP/g2.json" \
		HTTP_TELNYX_SIGNATURE_ED25519="$s_edge" HTTP_TELNYX_TIMESTAMP="$((T - 400))")"
ok_if "no sanitizer report from any CGI process" san_clean
finish
