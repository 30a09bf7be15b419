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

dial() { # ROW TO VOICEMAIL DISCLOSURE
	"$PY" - "$TX_URL" "$@" >"$TMP/req.json" <<'EOF'
import json, sys
api, row, to, vm, disc = sys.argv[1:6]
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.%s.1" % row, "campaign": "nov", "to": to, "from": "+14155550100",
  "account": {"name": "tx-main", "provider": "telnyx",
              "credentials": {"api_key": "env:TX_KEY", "connection_id": "1494404757140276705"},
              "api_base": api},
  "agent": {"stream_url": "wss://agent.example.com/voice"},
  "webhook_url": "https://hooks.example.com/gd/telnyx",
  "script": {"mode": "override", "text": "Your payment is due Friday."},
  "language": "en", "disclosure": disc or None, "voicemail": vm, "ring_timeout_s": 30}))
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
updates() { # TO: the Call Control commands the webhook sent for that call
	fake_ctl "$TX_URL" /_control/calls | "$PY" -c '
import json, sys
c = [c for c in json.load(sys.stdin) if c["to"] == sys.argv[1]][0]
print(" ".join(u["action"] + ("(" + u["body"].get("payload", u["body"].get("stream_url", "")) + ")"
               if u["body"] else "") for u in c.get("updates", [])))' "$1"
}

dial 1 +14155550110 hang_up "This call may be recorded."
dial 2 +14155550114 hang_up ""
dial 3 +14155550115 hang_up ""
dial 4 +14155550116 hang_up ""
dial 5 +14155550117 hang_up ""
dial 6 +14155550127 leave_message ""
dial 7 +14155550118 hang_up ""
ok_if "seven calls placed" test "$(cat "$TMP"/dial.*.json | grep -c '"ok":true')" -eq 7
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush1.json"
expect_eq "signed events up to the hang-up: all accepted" 200 "$(statuses <"$TMP/flush1.json")"
expect_eq "answered with a disclosure: it is spoken first" "speak(This call may be recorded.)" \
	"$(updates +14155550110)"
expect_eq "a machine with hang_up: hung up on at detection" "hangup" "$(updates +14155550117)"
expect_eq "a machine with leave_message: the message after the greeting" \
	"speak(Your payment is due Friday.)" "$(updates +14155550127)"
fake_ctl "$TX_URL" /_control/flush '{"hold":["call.hangup"]}' >"$TMP/flush2.json"
expect_eq "the speech ended: accepted" 200 "$(statuses <"$TMP/flush2.json")"
expect_eq "after the disclosure, the agent's stream starts" \
	"speak(This call may be recorded.) streaming_start(wss://agent.example.com/voice)" \
	"$(updates +14155550110)"
expect_eq "after the voicemail message, the call is hung up" \
	"speak(Your payment is due Friday.) hangup" "$(updates +14155550127)"
expect_eq "nothing spooled before the hang-ups" 0 "$(spool_count "$SPOOL")"
fake_ctl "$TX_URL" /_control/flush '{}' >"$TMP/flush3.json"
expect_eq "the hang-ups: accepted" 200 "$(statuses <"$TMP/flush3.json")"
expect_eq "one outcome per call, normalised to §5" "nov.1.1 connected 45 true true human 200
nov.2.1 busy 0 false false - 486
nov.3.1 no_answer 0 false false - 487
nov.4.1 failed 0 false false - 404
nov.5.1 voicemail 25 false false machine 200
nov.6.1 voicemail 25 false false machine 200
nov.7.1 hangup 2 true false human 200" "$(outcomes)"
ok_if "spooled events match spool-event.schema.json and event.schema.json" sh -c "
	$(declare -f json_schema_ok); PY=$PY
	json_schema_ok '$TOP/schemas/spool-event.schema.json' '$SPOOL'/*.json &&
	json_schema_ok '$TOP/schemas/event.schema.json' '$SPOOL'/*.json"
ev=$(grep -l '"nov.1.1"' "$SPOOL"/*.json)
expect_eq "stamped with occurred_at; the call id is the call_control_id" \
	"2026-11-25T12:00:50Z $(jv "$TMP/dial.1.json" 'd["call_id"]')" \
	"$(jv "$ev" 'd["ts"] + " " + d["call_id"]')"
ok_if "the call's plan is dropped after the hang-up" test ! -e "$SPOOL/.telnyx/nov.1.1.plan"

dial 8 +14155550120 hang_up "Recorded."
fake_ctl "$TX_URL" /_control/flush '{"duplicate":true}' >"$TMP/flush4.json"
expect_eq "duplicated deliveries: accepted" 200 "$(statuses <"$TMP/flush4.json")"
expect_eq "... a repeated call.answered speaks the disclosure once" "speak(Recorded.)" \
	"$(updates +14155550120)"
dial 9 +14155550121 hang_up ""
fake_ctl "$TX_URL" /_control/flush '{"duplicate":true,"shuffle":true,"seed":7}' >"$TMP/flush5.json"
expect_eq "duplicated, shuffled deliveries: accepted" 200 "$(statuses <"$TMP/flush5.json")"
# the hang-up may come before call.answered: the outcome still says connected
# (its duration then counts from the call's start, as no answer time is known)
expect_eq "... two identical copies of a connected outcome" "2 1 nov.9.1 connected" \
	"$(grep -l '"nov.9.1"' "$SPOOL"/*.json | wc -l) $(outcomes | grep -c '^nov.9.1') $(outcomes | grep '^nov.9.1' | cut -d' ' -f1,2)"

# --- crafted deliveries
n0=$(spool_count "$SPOOL")
envelope() { # FILE CLIENT_STATE
	printf '{"data":{"record_type":"event","event_type":"call.hangup","id":"e1","occurred_at":"2026-11-25T11:59:00.000000Z","payload":{"call_control_id":"v3:crafted","client_state":%s,"hangup_cause":"normal_clearing","sip_hangup_cause":"unspecified","start_time":"2026-11-25T11:58:00.000000Z","end_time":"2026-11-25T11:59:00.000000Z"}}}' "$2" >"$1"
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
expect_eq "... spooled, unanswered-by-state duration from start/end" "nov.20.1 connected 60 true true - 200" \
	"$(outcomes | grep '^nov.20.1')"
expect_eq "without ?account=, each Telnyx account's key is tried: 200" 200 \
	"$(post_hook /telnyx "$TMP/good.json" "$JSON" "telnyx-signature-ed25519: $s_now" "telnyx-timestamp: $T")"

# --- leak-checked, run directly as CGI
export GITDIAL_REPO=$TMP/repo GITDIAL_NOW=$NOW
dial 30 +14155550140 hang_up "Recorded."
cid=$(jv "$TMP/dial.30.json" 'd["call_id"]')
printf '{"data":{"event_type":"call.answered","occurred_at":"2026-11-25T12:00:05Z","payload":{"call_control_id":"%s","client_state":"%s"}}}' \
	"$cid" "$(printf nov.30.1 | base64)" >"$TMP/answered.json"
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
