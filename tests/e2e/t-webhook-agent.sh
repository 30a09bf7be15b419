#!/usr/bin/env bash
# Through lighttpd + CGI (leak checks on): the voice agent's webhook
# (/agent, HMAC-SHA256 with agent.secret -> "analysis" events) and the
# function's actions over HTTP (POST /twilio/fn with the function secret),
# the way a runner calls a remote function.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
AGENT_SECRET=agent-hmac-secret-77
FN_SECRET=fn-shared-secret-42
SPOOL=$TMP/spool
mkdir -p "$TMP/repo" "$SPOOL"
printf '%s\n' "$AGENT_SECRET" >"$TMP/agent.secret"
printf '%s\n' "$FN_SECRET" >"$TMP/fn.secret"
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
cat >"$TMP/repo/gitdial.json" <<EOF
{"accounts": {"tw-main": {"provider": "twilio", "caller_ids": ["+14155550100"],
   "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"},
   "api_base": "$TW_URL"}},
 "agent": {"stream_url": "wss://agent.example.com/voice", "secret": "file:$TMP/agent.secret"},
 "webhook_base_url": "https://hooks.example.com/gd"}
EOF
WEB_LEAKS=1 web_start GITDIAL_REPO="$TMP/repo" GITDIAL_SPOOL="$SPOOL" TW_SID="$SID" \
	TW_TOKEN="$TOKEN" GITDIAL_FUNCTION_SECRET="file:$TMP/fn.secret" \
	GITDIAL_NOW=2026-11-25T12:30:00Z || exit 1

JSON="Content-Type: application/json"
hmac() { "$PY" "$FAKE_DIR/sign.py" hmac "$1" "$2"; }

# --- the agent's webhook
cat >"$TMP/a1.json" <<'EOF'
{"call_id":"CA0123","attempt_id":"nov.7.1","sentiment":"negative","summary":"Asked to stop calling. لا تتصل بي","transcript_url":"https://agent.example.com/t/CA0123","opt_out":true}
EOF
expect_eq "a signed analysis: 200" 200 \
	"$(post_hook /agent "$TMP/a1.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET" "$TMP/a1.json")")"
ev=$(ls "$SPOOL"/*.json 2>/dev/null | head -1)
expect_eq "spooled as an analysis event, campaign from the attempt id" \
	"analysis nov nov.7.1 CA0123 negative True https://agent.example.com/t/CA0123 2026-11-25T12:30:00Z" \
	"$(jv "$ev" '" ".join([d["event"], d["campaign"], d["attempt_id"], d["call_id"], d["sentiment"], str(d["opt_out"]), d["transcript_url"], d["ts"]])')"
expect_eq "the summary survives as UTF-8" "Asked to stop calling. لا تتصل بي" "$(jv "$ev" 'd["summary"]')"
ok_if "it matches spool-event.schema.json" json_schema_ok "$TOP/schemas/spool-event.schema.json" "$ev"
printf '{"call_id":"CA9","campaign":"spring","sentiment":"positive","ts":"2026-11-25T12:10:00Z"}' >"$TMP/a2.json"
expect_eq "campaign given, no attempt id: 200" 200 \
	"$(post_hook /agent "$TMP/a2.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET" "$TMP/a2.json")")"
expect_eq "... its own ts kept; opt_out defaults to false" "spring 2026-11-25T12:10:00Z False" \
	"$(jv "$(grep -l '"CA9"' "$SPOOL"/*.json)" 'd["campaign"] + " " + d["ts"] + " " + str(d["opt_out"])')"
n0=$(spool_count "$SPOOL")
expect_eq "unsigned: 401" 401 "$(post_hook /agent "$TMP/a1.json" "$JSON")"
expect_eq "signed with another secret: 403" 403 \
	"$(post_hook /agent "$TMP/a1.json" "$JSON" "X-Gitdial-Signature: $(hmac wrong "$TMP/a1.json")")"
sed 's/negative/positive/' "$TMP/a1.json" >"$TMP/a1t.json"
expect_eq "a tampered body: 403" 403 \
	"$(post_hook /agent "$TMP/a1t.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET" "$TMP/a1.json")")"
bad() { # DESC BODY: a signed but invalid body -> 400
	printf '%s' "$2" >"$TMP/bad.json"
	expect_eq "$1: 400" 400 \
		"$(post_hook /agent "$TMP/bad.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET" "$TMP/bad.json")")"
}
bad "signed, not JSON" 'call_id=1'
bad "signed, no call_id" '{"attempt_id":"nov.7.1","sentiment":"neutral"}'
bad "signed, a sentiment outside the enum" '{"call_id":"CA1","attempt_id":"nov.7.1","sentiment":"angry"}'
bad "signed, neither campaign nor attempt id" '{"call_id":"CA1","sentiment":"neutral"}'
bad "signed, a bad attempt id" '{"call_id":"CA1","attempt_id":"../x.1.1","sentiment":"neutral"}'
bad "signed, opt_out not a boolean" '{"call_id":"CA1","attempt_id":"nov.7.1","sentiment":"neutral","opt_out":"yes"}'
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' ' ' >"$TMP/big.json"
expect_eq "over 1 MiB: 413" 413 "$(post_hook /agent "$TMP/big.json" "$JSON" "X-Gitdial-Signature: sha256=00")"
expect_eq "GET: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$WEB_URL/agent")"
expect_eq "nothing spooled for any of them" "$n0" "$(spool_count "$SPOOL")"

# --- actions over HTTP: POST /twilio/fn
"$PY" - "$TW_URL" >"$TMP/dial.json" <<'EOF'
import json, sys
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.9.1", "campaign": "nov", "to": "+14155550190", "from": "+14155550100",
  "account": {"name": "tw-main", "provider": "twilio",
              "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"},
              "api_base": sys.argv[1]},
  "agent": {"stream_url": "wss://agent.example.com/voice"}, "webhook_url": None,
  "script": {"mode": "agent"}, "voicemail": "hang_up", "ring_timeout_s": 30}))
EOF
expect_eq "dial over HTTP, signed with the function secret: 200" 200 \
	"$(post_fn /twilio/fn "$TMP/dial.json" "$FN_SECRET")"
cp "$TMP/.hook_body" "$TMP/fn1.json"
expect_grep "... the function's response" '^\{"ok":true,"call_id":"CA[0-9a-f]{32}"\}$' "$TMP/fn1.json"
expect_eq "... and the fake Twilio has the call" "$(jv "$TMP/fn1.json" 'd["call_id"]')" \
	"$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print(json.load(sys.stdin)[-1]["id"])')"
"$PY" -c 'import json,sys; r=json.load(open(sys.argv[1])); r["action"]="status"; r["call_id"]=sys.argv[2]; print(json.dumps(r))' \
	"$TMP/dial.json" "$(jv "$TMP/fn1.json" 'd["call_id"]')" >"$TMP/status.json"
expect_eq "status over HTTP: 200" 200 \
	"$(post_fn /twilio/fn "$TMP/status.json" "$FN_SECRET")"
expect_eq "... queued" "True queued" "$(jv "$TMP/.hook_body" 'str(d["found"]) + " " + d["state"]')"
n1=$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
expect_eq "no function secret: 401" 401 "$(post_hook /twilio/fn "$TMP/dial.json" "$JSON")"
expect_eq "the bare function secret as a header: 401" 401 \
	"$(post_hook /twilio/fn "$TMP/dial.json" "$JSON" "X-Gitdial-Function-Secret: $FN_SECRET")"
expect_eq "the body alone signed (no timestamp, no nonce): 401" 401 \
	"$(post_hook /twilio/fn "$TMP/dial.json" "$JSON" "X-Gitdial-Signature: $(hmac "$FN_SECRET" "$TMP/dial.json")")"
expect_eq "a wrong signature: 403" 403 "$(post_fn /twilio/fn "$TMP/dial.json" nope)"
expect_eq "GET: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' -H "X-Gitdial-Function-Secret: $FN_SECRET" "$WEB_URL/twilio/fn")"
printf '{"action":"redial"}' >"$TMP/noaction.json"
expect_eq "not an action: 400" 400 "$(post_fn /twilio/fn "$TMP/noaction.json" "$FN_SECRET")"
expect_eq "none of them dialed" "$n1" \
	"$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')"
sed 's/"tw-main"/"tw-other"/' "$TMP/dial.json" >"$TMP/tx.json"
expect_eq "an account this host's gitdial.json lacks: 404" 404 \
	"$(post_fn /twilio/fn "$TMP/tx.json" "$FN_SECRET")"
expect_eq "/telnyx/fn is not gitdial-twilio's: 404" 404 \
	"$(GITDIAL_FUNCTION_SECRET="file:$TMP/fn.secret" GITDIAL_REPO=$TMP/repo GITDIAL_SPOOL=$SPOOL \
		CGI_CONTENT_TYPE=application/json san_cgi gitdial-twilio POST /telnyx/fn "" "$TMP/dial.json")"
expect_eq "without GITDIAL_FUNCTION_SECRET remote calls are off: 403" 403 \
	"$(GITDIAL_REPO=$TMP/repo CGI_CONTENT_TYPE=application/json san_cgi gitdial-twilio POST /twilio/fn "" \
		"$TMP/dial.json")"
expect_eq "gitdial-sim serves /agent too (shared runtime)" 401 \
	"$(GITDIAL_REPO=$TMP/repo CGI_CONTENT_TYPE=application/json san_cgi gitdial-sim POST /agent "" "$TMP/a1.json")"
# --- the same handler under an OpenFaaS-style watchdog (Http_* variables)
watchdog() { # BODYFILE [VAR=VALUE...]: runs /agent as a watchdog would
	local body=$1
	shift
	env -i PATH="$PATH" ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 GITDIAL_REPO="$TMP/repo" \
		GITDIAL_SPOOL="$SPOOL" GITDIAL_SECRETS_DIR="$GITDIAL_SECRETS_DIR" \
		Http_Method=POST Http_Path=/agent "$@" \
		"$BIN/gitdial-twilio" <"$body" >"$TMP/wd.out" 2>"$TMP/wd.err"
}
printf '{"call_id":"CA77","attempt_id":"nov.77.1","sentiment":"neutral"}' >"$TMP/wd.json"
ok_if "watchdog: a signed analysis exits 0" \
	watchdog "$TMP/wd.json" Http_X_Gitdial_Signature="$(hmac "$AGENT_SECRET" "$TMP/wd.json")"
expect_eq "... and answers the body only" '{"ok":true}' "$(cat "$TMP/wd.out")"
expect_eq "... spooled" 1 "$(grep -l '"CA77"' "$SPOOL"/*.json | wc -l)"
watchdog "$TMP/wd.json"
expect_eq "watchdog: unsigned exits 1 with the reason" "1 no X-Gitdial-Signature header" \
	"$? $(cat "$TMP/wd.out")"
ok_if "no sanitizer report (leak checks on)" san_clean
ok_if "no secret in any reply or log" sh -c "! grep -rqE '$AGENT_SECRET|$FN_SECRET|$TOKEN' '$TMP/.hook_body' '$TMP/lighttpd.err' '$TMP'/fn1.json"
finish
