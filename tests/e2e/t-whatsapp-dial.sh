#!/usr/bin/env bash
# gitdial-whatsapp dial/status against the fake Graph API: the wire format
# (permission check first, the agent's SDP offer, connect with Bearer auth
# and biz_opaque_callback_data), Meta's error codes of providers.md §3.4
# mapped to error kinds, the call-permission request within Meta's
# limits, the agent's media endpoint failing, and creates whose answer was
# lost (ambiguous) resolved by status from the webhooks, never redialed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

TOKEN=EAAGdial-test-token
APP_SECRET=wa-dial-secret
AGENT_SECRET=agent-dial-secret
PNID=106540352242922
NOW=2026-11-25T12:00:00Z
T=$(date -u -d "$NOW" +%s)
SPOOL=$TMP/spool
R=$TMP/repo
export WA_TOKEN=$TOKEN WA_BAD=EAAGwrong WA_SECRET=$APP_SECRET AG_SECRET=$AGENT_SECRET \
	AG_BAD=not-the-agent-secret GITDIAL_SPOOL=$SPOOL GITDIAL_REPO=$R GITDIAL_HTTP_TIMEOUT_MS=1000
fake_start WA whatsapp --access-token "$TOKEN" --app-secret "$APP_SECRET" \
	--agent-secret "$AGENT_SECRET" --phone-number-id "$PNID" || exit 1
mkdir -p "$R" "$SPOOL"
cat >"$R/gitdial.json" <<EOF
{"accounts": {"wa-main": {"provider": "whatsapp", "caller_ids": ["+15557010100"],
   "credentials": {"access_token": "env:WA_TOKEN", "app_secret": "env:WA_SECRET",
                   "verify_token": "env:WA_SECRET", "phone_number_id": "$PNID"}}},
 "agent": {"media_url": "$WA_URL/_agent/media", "secret": "env:AG_SECRET"},
 "webhook_base_url": "https://hooks.example.com/gd"}
EOF
web_start GITDIAL_REPO="$R" GITDIAL_SPOOL="$SPOOL" WA_SECRET="$APP_SECRET" \
	AG_SECRET="$AGENT_SECRET" GITDIAL_NOW="$NOW" || exit 1
fake_ctl "$WA_URL" /_control/config '{"clock":'"$T"',"webhook_url":"'"$WEB_URL/whatsapp"'"}' >/dev/null

echo 0 >"$TMP/n"
last_n() { cat "$TMP/n"; }
# dial TO [KEY=JSON...]: a dial request (keys override the defaults, dotted
# into account/agent/whatsapp); the response in $TMP/r.<n>.json, its
# "kind code" (or "ok") printed
dial() {
	local to=$1 N
	shift
	N=$(($(last_n) + 1))
	echo "$N" >"$TMP/n"
	printf '{"v":1,"action":"dial","now":"2026-11-25T12:00:00Z","attempt_id":"wa.%s.1","campaign":"wa","to":"%s","from":"+15557010100","account":{"name":"wa-main","provider":"whatsapp","credentials":{"access_token":"env:WA_TOKEN","phone_number_id":"106540352242922"},"api_base":"%s/v25.0"},"agent":{"media_url":"%s/_agent/media","secret":"env:AG_SECRET"},"script":{"mode":"override","text":"Your order shipped."},"language":"en","disclosure":null,"voicemail":"hang_up","ring_timeout_s":30}\n' \
		"$N" "$to" "$WA_URL" "$WA_URL" >"$TMP/q.$N.json"
	# overrides (KEY=JSON, dotted; DELETE removes), only when given
	[ $# -eq 0 ] || "$PY" - "$TMP/q.$N.json" "$@" <<'EOF'
import json, sys
p = sys.argv[1]
r = json.load(open(p))
for kv in sys.argv[2:]:
    k, v = kv.split("=", 1)
    o = r
    ks = k.split(".")
    for q in ks[:-1]:
        o = o.setdefault(q, {})
    if v == "DELETE":
        o.pop(ks[-1], None)
    else:
        o[ks[-1]] = json.loads(v)
json.dump(r, open(p, "w"))
EOF
	gitdial-whatsapp dial <"$TMP/q.$N.json" >"$TMP/r.$N.json" 2>>"$TMP/stderr"
	if grep -q '"ok":true' "$TMP/r.$N.json"; then echo ok; else err_kind "$TMP/r.$N.json"; fi
}
calls() { fake_ctl "$WA_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
reqs() { # OP: requests of that kind the fake saw
	fake_ctl "$WA_URL" /_control/requests | "$PY" -c '
import json, sys
print(len([r for r in json.load(sys.stdin) if r["op"] == sys.argv[1]]))' "$1"
}

# --- the wire format --------------------------------------------------------------
expect_eq "a callable number: ok" ok "$(dial +14155550110)"
ok_if "call_permissions asked first, with the user's WhatsApp id and the Bearer token" sh -c "
	curl -sS '$WA_URL/_control/requests' | '$PY' -c '
import json, sys
r = json.load(sys.stdin)
assert [x[\"op\"] for x in r] == [\"permission\", \"calls\"], r
assert r[0][\"method\"] == \"GET\" and r[0][\"path\"] == \"/v25.0/$PNID/call_permissions?user_wa_id=14155550110\", r[0]
assert all(x[\"auth_ok\"] for x in r)
b = json.loads(r[1][\"body\"])
assert r[1][\"path\"] == \"/v25.0/$PNID/calls\" and r[1][\"content_type\"] == \"application/json\"
assert b[\"messaging_product\"] == \"whatsapp\" and b[\"to\"] == \"14155550110\", b
assert b[\"action\"] == \"connect\" and b[\"biz_opaque_callback_data\"] == \"wa.1.1\", b
assert b[\"session\"][\"sdp_type\"] == \"offer\" and \"m=audio\" in b[\"session\"][\"sdp\"], b
'"
ok_if "the agent was asked for the offer, signed, with the call's script and attempt" sh -c "
	curl -sS '$WA_URL/_control/agent' | '$PY' -c '
import json, sys
a = json.load(sys.stdin)
assert len(a) == 1 and a[0][\"event\"] == \"whatsapp.offer\" and a[0][\"attempt_id\"] == \"wa.1.1\", a
assert a[0][\"script\"][\"text\"] == \"Your order shipped.\" and a[0][\"to\"] == \"+14155550110\", a
'"
ok_if "the call id is Meta's" grep -q '"call_id":"wacid\.' "$TMP/r.1.json"
ok_if "a request with campaign whatsapp options validates against the function-request schema" \
	json_schema_ok "$TOP/schemas/function-request.schema.json" "$TMP/q.1.json"

# --- Meta's errors (providers.md §3.4) ---------------------------------------------
fake_ctl "$WA_URL" /_control/config '{"fates":{
	"14155550201":"rest:401:138006","14155550202":"rest:429:138005",
	"14155550203":"rest:429:138002","14155550204":"rest:401:138000",
	"14155550205":"rest:400:138013","14155550206":"rest:400:138014",
	"14155550207":"rest:500:138004","14155550208":"rest:400:138003",
	"14155550209":"rest:400:131055","14155550211":"rest:400:131026",
	"14155550212":"rest:400:131047","14155550213":"rest:400:131056",
	"14155550214":"rest:401:133010"}}' >/dev/null
expect_eq "138006 at connect: no_call_permission" "no_call_permission 138006" "$(dial +14155550201)"
expect_eq "138005 call rate limit: rate_limited" "rate_limited 138005" "$(dial +14155550202)"
expect_eq "138002 concurrent calls limit: rate_limited" "rate_limited 138002" "$(dial +14155550203)"
expect_eq "138000 calling not enabled: account (the campaign pauses, not fails)" "account 138000" "$(dial +14155550204)"
ok_if "... with a hint" grep -q '"hint":"enable business-initiated calling' "$TMP/r.$(last_n).json"
expect_eq "138013 not available in the country: account" "account 138013" "$(dial +14155550205)"
expect_eq "138014 calling disabled (quality): account" "account 138014" "$(dial +14155550206)"
# messaging codes are about one recipient (or the account), never the campaign
expect_eq "131026 message undeliverable: invalid_number" "invalid_number 131026" "$(dial +14155550211)"
expect_eq "131047 outside the 24-hour window: no_call_permission" "no_call_permission 131047" "$(dial +14155550212)"
expect_eq "131056 pair rate limit: rate_limited" "rate_limited 131056" "$(dial +14155550213)"
expect_eq "133010 business number not registered: account" "account 133010" "$(dial +14155550214)"
expect_eq "138004 connection error: transient" "transient 138004" "$(dial +14155550207)"
expect_eq "138003 a call already ongoing: transient" "transient 138003" "$(dial +14155550208)"
expect_eq "131055 SIP-enabled number: rejected" "rejected 131055" "$(dial +14155550209)"
expect_eq "138001 uncallable receiver: invalid_number" "invalid_number 138001" "$(dial +14155550116)"
expect_eq "a wrong access token: auth 190" "auth 190" "$(dial +14155550110 'account.credentials.access_token="env:WA_BAD"')"
expect_eq "another phone_number_id: rejected 100" "rejected 100" \
	"$(dial +14155550110 'account.credentials.phone_number_id="999999999999999"')"
expect_eq "a literal access token is refused before any request" "rejected bad_request" \
	"$(dial +14155550110 'account.credentials.access_token="EAAGliteral"')"
expect_eq "a phone_number_id that is not digits: auth credentials" "auth credentials" \
	"$(dial +14155550110 'account.credentials.phone_number_id="../x"')"
fake_ctl "$WA_URL" /_control/faults '{"permission":["429","500"]}' >/dev/null
expect_eq "call_permissions rate limited (613): rate_limited" "rate_limited 613" "$(dial +14155550111)"
expect_eq "call_permissions 500: transient" "transient 2" "$(dial +14155550111)"
ok_if "the failures answer the function-response schema" \
	json_schema_ok "$TOP/schemas/function-response.schema.json" "$TMP"/r.*.json

# --- no permission ------------------------------------------------------------------
c0=$(calls)
expect_eq "no permission, campaign did not opt in: no_call_permission" "no_call_permission no_permission" \
	"$(dial +14155550117)"
expect_eq "... and no permission request was sent" 0 "$(reqs message)"
expect_eq "no permission, opted in: no_call_permission" "no_call_permission no_permission" \
	"$(dial +14155550127 'whatsapp={"request_permission":true,"permission_text":"May we call about ON-12853?"}')"
ok_if "... saying the request was sent" grep -q 'a call-permission request was sent' "$TMP/r.$(last_n).json"
expect_eq "... which is Meta's interactive call_permission_request with the campaign's text" \
	"14155550127 May we call about ON-12853?" \
	"$(fake_ctl "$WA_URL" /_control/messages | "$PY" -c '
import json, sys
print(" | ".join(m["to"] + " " + m["text"] for m in json.load(sys.stdin)))')"
expect_eq "the same user again within 24 h: still no_call_permission" "no_call_permission no_permission" \
	"$(dial +14155550127 'whatsapp={"request_permission":true}')"
ok_if "... and no second request (Meta's limit, read from call_permissions)" sh -c "
	grep -q 'no call-permission request sent' '$TMP/r.$(last_n).json' &&
	test \$(curl -sS '$WA_URL/_control/messages' | grep -o wamid | wc -l) -eq 1"
# outside the customer-service window Meta takes only a template
fake_ctl "$WA_URL" /_control/config '{"closed":["14155550137","14155550147"],
	"templates":["call_perm_v1"]}' >/dev/null
expect_eq "outside the 24-hour window, no template set: no_call_permission" "no_call_permission no_permission" \
	"$(dial +14155550137 'whatsapp={"request_permission":true}')"
ok_if "... saying a template is needed" grep -q 'set whatsapp.permission_template' "$TMP/r.$(last_n).json"
expect_eq "outside the window with a template: no_call_permission" "no_call_permission no_permission" \
	"$(dial +14155550147 'whatsapp={"request_permission":true,"permission_template":"call_perm_v1"}' 'language="es"')"
ok_if "... saying the template was sent" grep -q "the call-permission template 'call_perm_v1' was sent" "$TMP/r.$(last_n).json"
expect_eq "... which is the template in the recipient's language" "14155550147 call_perm_v1 es" \
	"$(fake_ctl "$WA_URL" /_control/messages | "$PY" -c '
import json, sys
print(" | ".join(m["to"] + " " + m["template"] + " " + m["language"] for m in json.load(sys.stdin) if "template" in m))')"
expect_eq "Meta was never asked to call a user without permission" "$c0" "$(calls)"

# --- the agent's media endpoint ---------------------------------------------------------
fake_ctl "$WA_URL" /_control/faults '{"agent":["500"]}' >/dev/null
expect_eq "the agent's endpoint failing: transient, nothing dialed" "transient agent" "$(dial +14155550112)"
expect_eq "the agent refusing the signature: transient" "transient agent" \
	"$(dial +14155550112 'agent.secret="env:AG_BAD"')"
expect_eq "no agent.media_url: rejected no_agent" "rejected no_agent" \
	"$(dial +14155550112 'agent.media_url=DELETE')"
expect_eq "... none of them reached Meta's calls endpoint" "$c0" "$(calls)"

# --- lost answers: ambiguous, then found, never redialed ------------------------------------
st() { # N [NOW] [CALL_ID_JSON]: the status action for dial N's attempt (call id null), "found state outcome"
	"$PY" - "$TMP/q.$1.json" "${2:-2026-11-25T12:00:00Z}" "${3:-null}" <<'EOF' | GITDIAL_SPOOL=${ST_SPOOL:-$SPOOL} gitdial-whatsapp status | "$PY" -c '
import json, sys
r = json.load(sys.stdin)
print(r.get("found", r.get("error", {}).get("code")), r.get("state", "-"),
      (r.get("outcome") or {}).get("outcome", "-"))'
import json, sys
q = json.load(open(sys.argv[1]))
print(json.dumps({"v": 1, "action": "status", "now": sys.argv[2], "attempt_id": q["attempt_id"],
                  "campaign": "wa", "to": q["to"], "from": q["from"],
                  "call_id": json.loads(sys.argv[3]),
                  "dispatched_at": "2026-11-25T12:00:00Z", "account": q["account"]}))
EOF
}
fake_ctl "$WA_URL" /_control/faults '{"create":["reset"]}' >/dev/null
expect_eq "connect reset before Meta answered: ambiguous" "ambiguous no_response" "$(dial +14155550113)"
n_reset=$(last_n)
expect_eq "... no webhook yet: ask again later" "not_yet - -" "$(st $n_reset)"
expect_eq "... 11 minutes on, nothing named it here: still held (a call may be up)" "not_yet - -" \
	"$(st $n_reset 2026-11-25T12:11:00Z)"
expect_eq "... held until 4 h 10 min after the claim" "not_yet - -" \
	"$(st $n_reset 2026-11-25T16:09:00Z)"
expect_eq "... then not found (safe to resolve)" "False - -" \
	"$(st $n_reset 2026-11-25T16:11:00Z)"
fake_ctl "$WA_URL" /_control/faults '{"create":["reset_after_create"]}' >/dev/null
expect_eq "connect created, then the connection dropped: ambiguous" "ambiguous no_response" \
	"$(dial +14155550119)"
n_lost=$(last_n)
fake_ctl "$WA_URL" /_control/faults '{"create":["timeout_after_create:2500"]}' >/dev/null
expect_eq "connect created, the answer too late: ambiguous" "ambiguous no_response" \
	"$(dial +14155550129)"
fake_ctl "$WA_URL" /_control/flush '{}' >"$TMP/flush.json"
expect_eq "their signed webhooks were accepted" 200 \
	"$("$PY" -c 'import json,sys; print(" ".join(sorted(set(str(d["status"]) for d in json.load(open(sys.argv[1]))))))' "$TMP/flush.json")"
expect_eq "status finds the dropped one's call through its webhooks" "True completed connected" \
	"$(st $n_lost)"
expect_eq "... and the late one's" "True completed connected" "$(st "$(last_n)")"
expect_eq "Meta made each of those calls once" "1 1" \
	"$(fake_ctl "$WA_URL" /_control/calls | "$PY" -c '
import json, sys
c = json.load(sys.stdin)
print(len([x for x in c if x["to"] == "14155550119"]), len([x for x in c if x["to"] == "14155550129"]))')"
# a runner on another machine: none of the webhook host's notes
mkdir -p "$TMP/elsewhere"
dial +14155550139 >/dev/null
n_far=$(last_n)
cid_far=$(sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' "$TMP/r.$n_far.json")
fake_ctl "$WA_URL" /_control/flush '{}' >/dev/null
expect_eq "its webhooks went to the webhook host, whose status knows the outcome" \
	"True completed connected" "$(st $n_far 2026-11-25T12:30:00Z "\"$cid_far\"")"
expect_eq "a runner elsewhere (no notes) 30 min on: found, no outcome (the log brings it)" \
	"True queued -" "$(ST_SPOOL=$TMP/elsewhere st $n_far 2026-11-25T12:30:00Z "\"$cid_far\"")"
expect_eq "... 3 h 59 min on: still no outcome, never lost" "True queued -" \
	"$(ST_SPOOL=$TMP/elsewhere st $n_far 2026-11-25T15:59:00Z "\"$cid_far\"")"
expect_eq "... 4 h 5 min on: terminated at Meta, still no outcome (its webhook may bring it)" \
	"True queued -" "$(ST_SPOOL=$TMP/elsewhere st $n_far 2026-11-25T16:05:00Z "\"$cid_far\"")"
expect_eq "... 4 h 11 min on: lost" "True completed failed" \
	"$(ST_SPOOL=$TMP/elsewhere st $n_far 2026-11-25T16:11:00Z "\"$cid_far\"")"
expect_eq "a runner elsewhere with no call id, 11 min on: held, not 'not found'" "not_yet - -" \
	"$(ST_SPOOL=$TMP/elsewhere st $n_far 2026-11-25T12:11:00Z)"
ok_if "the runner elsewhere wrote nothing of its own" sh -c "! find '$TMP/elsewhere' -type f | grep -q ."
expect_eq "a call placed but never reported by a webhook: asked 5 h on" "True completed failed" \
	"$(dial +14155550149 >/dev/null; st "$(last_n)" 2026-11-25T17:00:00Z)"
expect_eq "... it was terminated at Meta (and reported lost); so was the far runner's, twice (at 4 h 5 and 4 h 11)" \
	"$cid_far $cid_far $(sed -n 's/.*"call_id":"\([^"]*\)".*/\1/p' "$TMP/r.$(last_n).json")" \
	"$(fake_ctl "$WA_URL" /_control/requests | "$PY" -c '
import json, sys
t = [json.loads(r["body"]) for r in json.load(sys.stdin) if r["op"] == "calls" and "terminate" in r["body"]]
print(" ".join(x["call_id"] for x in t))')"
ok_if "no secret in any output or log" sh -c "! grep -rq -e '$TOKEN' -e '$APP_SECRET' -e '$AGENT_SECRET' \
	'$TMP'/r.*.json '$TMP/stderr' '$TMP/lighttpd.err' '$SPOOL'"
ok_if "no sanitizer report" san_clean
finish
