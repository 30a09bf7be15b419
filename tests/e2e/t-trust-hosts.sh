#!/usr/bin/env bash
# The agent's addresses (agent.stream_url, agent.media_url,
# agent.sip_uri) and a SIP trunk's proxy are the operator's, not the
# repository's (SECURITY.md, issue 16): a pull request pointing them at a
# host of its choosing is an error in validate at gitdial.json:line:
# field, and the functions refuse to send anything there whatever
# validate said. Hosts come from GITDIAL_AGENT_HOSTS or
# GITDIAL_ALLOWED_HOSTS (agent), GITDIAL_ALLOWED_HOSTS (proxy).
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

R=$TMP/repo
# --- 1. validate: each address a campaign that may dial uses, at its line
new_repo "$R"
hostile() { # REPO STATUS: the hostile gitdial.json; the template's campaigns with STATUS
	"$PY" - "$@" <<'EOF'
import json, sys
r, status = sys.argv[1], sys.argv[2]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["tw-main"] = {"provider": "twilio", "caller_ids": ["+14155550100"],
    "credentials": {"account_sid": "env:TWILIO_ACCOUNT_SID", "auth_token": "env:TWILIO_AUTH_TOKEN"}}
g["agent"]["stream_url"] = "wss://agent.attacker.example/voice"
g["agent"]["media_url"] = "http://agent.example.com/whatsapp/sdp"
g["accounts"]["sip-trunk"]["trunk"]["proxy"] = "sip:sip.attacker.example:5060"
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
for cid, acct in (("nov-reminders", "tw-main"), ("sip-callback", None),
                  ("whatsapp-followup", None)):
    p = r + "/campaigns/" + cid + "/campaign.json"
    c = json.load(open(p))
    if acct:
        c["account"], c["caller_id"] = acct, "+14155550100"
    c["status"] = status
    c.setdefault("start_at", "2026-12-01T09:00:00Z")
    json.dump(c, open(p, "w"), indent=2)
EOF
}
hostile "$R" scheduled
git_commit_all "$R" "the agent and the trunk elsewhere"
line_of() { grep -n -- "$1" "$R/gitdial.json" | head -1 | cut -d: -f1; }
"$GITDIAL" validate --repo "$R" >"$TMP/v1.out" 2>&1
expect_eq "validate fails addresses the operator does not list" 1 $?
expect_grep "agent.stream_url to an unlisted host: file:line: field, what was expected" \
	"^gitdial\.json:$(line_of '"stream_url"'): error: agent\.stream_url: agent\.attacker\.example:443 is not listed in GITDIAL_AGENT_HOSTS or GITDIAL_ALLOWED_HOSTS" "$TMP/v1.out"
expect_grep "a SIP trunk's proxy to an unlisted host (it gets the digest answers)" \
	"^gitdial\.json:$(line_of '"proxy"'): error: accounts\.sip-trunk\.trunk\.proxy: sip\.attacker\.example:5060 is not listed in GITDIAL_ALLOWED_HOSTS" "$TMP/v1.out"
expect_grep "agent.media_url over http:// to a listed host that is not loopback" \
	"^gitdial\.json:$(line_of '"media_url"'): error: agent\.media_url: ws:// and http:// are allowed only to a loopback host" "$TMP/v1.out"
ok_if "a listed agent.sip_uri (agent.example.com) is not reported" \
	sh -c "! grep -q 'agent\.sip_uri' '$TMP/v1.out'"
expect_eq "each field once, though two campaigns' accounts would use it" 1 \
	"$(grep -c 'agent\.stream_url' "$TMP/v1.out")"
"$GITDIAL" validate --repo "$R" campaigns/sip-callback/campaign.json >"$TMP/v1b.out" 2>&1
expect_eq "... also when only a campaign changed (what CI passes)" 1 $?
ok_if "... naming the proxy" grep -q 'trunk\.proxy: sip\.attacker\.example:5060 is not listed' "$TMP/v1b.out"

GITDIAL_AGENT_HOSTS=agent.attacker.example,agent.example.com \
GITDIAL_ALLOWED_HOSTS=127.0.0.1,sip.attacker.example:5060 \
	"$GITDIAL" validate --repo "$R" >"$TMP/v2.out" 2>&1
ok_if "once the operator lists them, only the plain-http media_url is left" \
	sh -c "test \"\$(grep -c 'is not listed' '$TMP/v2.out')\" = 0 && grep -q 'agent\.media_url: ws://' '$TMP/v2.out'"
GITDIAL_ALLOWED_HOSTS=127.0.0.1,sip.attacker.example:5061 \
	"$GITDIAL" validate --repo "$R" >"$TMP/v3.out" 2>&1
ok_if "a listing with another port does not allow the proxy's" \
	grep -q 'trunk\.proxy: sip\.attacker\.example:5060 is not listed' "$TMP/v3.out"

new_repo "$TMP/r2"
hostile "$TMP/r2" draft
git_commit_all "$TMP/r2" "drafts only"
"$GITDIAL" validate --repo "$TMP/r2" >"$TMP/v4.out" 2>&1
ok_if "drafts never dial: their addresses are not held yet (the template validates)" \
	sh -c "! grep -q 'is not listed\|loopback host' '$TMP/v4.out'"
new_repo "$TMP/r3"
ok_if "a fresh repository validates with no operator settings" \
	env -u GITDIAL_SECRETS_DIR -u GITDIAL_ENV_ALLOW -u GITDIAL_ALLOWED_HOSTS \
	-u GITDIAL_AGENT_HOSTS "$GITDIAL" validate --repo "$TMP/r3"

# --- 2. the functions send nothing to an unlisted host, whatever validate said
SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-hosts
export TW_SID=$SID TW_TOKEN=$TOKEN GITDIAL_SPOOL=$TMP/spool
mkdir -p "$GITDIAL_SPOOL"
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
tw_calls() { fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
tw_req() { # STREAM_URL
	"$PY" - "$TW_URL" "$1" <<'EOF'
import json, sys
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.3.1", "campaign": "nov", "to": "+14155550123", "from": "+14155550100",
  "account": {"name": "tw-main", "provider": "twilio", "api_base": sys.argv[1],
              "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"}},
  "agent": {"stream_url": sys.argv[2]}, "webhook_url": None,
  "script": {"mode": "agent"}, "voicemail": "hang_up", "ring_timeout_s": 30}))
EOF
}
tw_req wss://agent.attacker.example/voice | gitdial-twilio dial >"$TMP/t1.out" 2>&1
expect_eq "twilio: an unlisted agent.stream_url is rejected (agent_host)" "rejected agent_host" \
	"$(err_kind "$TMP/t1.out")"
ok_if "... naming the field and the host" grep -q 'agent\.stream_url: agent\.attacker\.example:443 is not listed' "$TMP/t1.out"
tw_req ws://agent.example.com/voice | gitdial-twilio dial >"$TMP/t2.out" 2>&1
expect_eq "twilio: ws:// to a listed host that is not loopback: rejected" "rejected agent_host" \
	"$(err_kind "$TMP/t2.out")"
tw_req wss://user:pw@agent.example.com/voice | gitdial-twilio dial >"$TMP/t3.out" 2>&1
expect_eq "twilio: a user:password@ spoof of a listed host: rejected" "rejected agent_host" \
	"$(err_kind "$TMP/t3.out")"
expect_eq "... Twilio was never asked to call (the stream would have reached the host)" 0 "$(tw_calls)"
tw_req wss://agent.example.com/voice | gitdial-twilio dial >"$TMP/t4.out" 2>&1
expect_grep "a listed agent still dials" '^\{"ok":true,"call_id":"CA' "$TMP/t4.out"

KEY=KEY0123-telnyx-hosts
export TX_KEY=$KEY
fake_start TX telnyx --api-key "$KEY" --connection-id 1494404757140276705 || exit 1
tx_calls() { fake_ctl "$TX_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
"$PY" - "$TX_URL" <<'EOF' >"$TMP/x1.json"
import json, sys
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.2.1", "campaign": "nov", "to": "+14155550120", "from": "+14155550100",
  "account": {"name": "tx-main", "provider": "telnyx", "api_base": sys.argv[1],
              "credentials": {"api_key": "env:TX_KEY", "connection_id": "1494404757140276705"}},
  "agent": {"stream_url": "wss://agent.attacker.example:8443/voice"},
  "webhook_url": "https://hooks.example.com/gd/telnyx", "script": {"mode": "agent"},
  "language": "en", "disclosure": None, "voicemail": "hang_up", "ring_timeout_s": 5,
  "dispatched_at": "2026-11-25T11:59:58Z"}))
EOF
gitdial-telnyx dial <"$TMP/x1.json" >"$TMP/x1.out" 2>&1
expect_eq "telnyx: an unlisted agent.stream_url is rejected (agent_host)" "rejected agent_host" \
	"$(err_kind "$TMP/x1.out")"
expect_eq "... and Telnyx was never asked to call" 0 "$(tx_calls)"
GITDIAL_AGENT_HOSTS=agent.attacker.example:443 gitdial-telnyx dial <"$TMP/x1.json" >"$TMP/x2.out" 2>&1
expect_eq "... a listing for port 443 does not allow port 8443" "rejected agent_host" \
	"$(err_kind "$TMP/x2.out")"

APP_SECRET=wa-hosts-secret
export WA_TOKEN=EAAGhosts-token AG_SECRET=agent-hosts-secret
fake_start WA whatsapp --access-token "$WA_TOKEN" --app-secret "$APP_SECRET" \
	--agent-secret "$AG_SECRET" --phone-number-id 106540352242922 || exit 1
wa_reqs() { fake_ctl "$WA_URL" /_control/requests | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
wa_req() { # MEDIA_URL
	"$PY" - "$WA_URL" "$1" <<'EOF'
import json, sys
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "wa.1.1", "campaign": "wa", "to": "+14155550110", "from": "+15557010100",
  "account": {"name": "wa-main", "provider": "whatsapp", "api_base": sys.argv[1] + "/v25.0",
              "credentials": {"access_token": "env:WA_TOKEN", "phone_number_id": "106540352242922"}},
  "agent": {"media_url": sys.argv[2], "secret": "env:AG_SECRET"},
  "script": {"mode": "override", "text": "Your order shipped."}, "language": "en",
  "disclosure": None, "voicemail": "hang_up", "ring_timeout_s": 30}))
EOF
}
wa_req https://media.attacker.example/sdp | gitdial-whatsapp dial >"$TMP/w1.out" 2>&1
expect_eq "whatsapp: an unlisted agent.media_url is rejected (agent_host)" "rejected agent_host" \
	"$(err_kind "$TMP/w1.out")"
expect_eq "... before Meta or anyone was asked anything" 0 "$(wa_reqs)"
wa_req "$WA_URL/_agent/media" | gitdial-whatsapp dial >"$TMP/w2.out" 2>&1
expect_grep "a listed (loopback) agent still dials" '"ok":true' "$TMP/w2.out"

# SIP: a UDP listener stands for the proxy and the agent; it must hear nothing
. "$TOP/tests/sip/lib-sip.sh"
port_pick uport
"$PY" - "$uport" "$TMP/udp.log" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.settimeout(60)
try:
    while True:
        d, _ = s.recvfrom(65536)
        open(sys.argv[2], "ab").write(d)
except socket.timeout:
    pass
EOF
UDP_PID=$!
mkdir -p "$TMP/sip/spool"
req "$TMP/sip/r1.json" "$uport" "$uport"
GITDIAL_SPOOL=$TMP/sip/spool GITDIAL_AGENT_HOSTS=127.0.0.1 GITDIAL_ALLOWED_HOSTS=127.0.0.1:1 "$SIP" dial <"$TMP/sip/r1.json" >"$TMP/s1.out" 2>&1
expect_eq "sip: a trunk proxy not in GITDIAL_ALLOWED_HOSTS is rejected (proxy_host)" "rejected proxy_host" \
	"$(err_kind "$TMP/s1.out")"
ok_if "... naming the account and the field" grep -q 'account \\"sip-trunk\\": trunk\.proxy: 127\.0\.0\.1:'"$uport"' is not listed' "$TMP/s1.out"
req "$TMP/sip/r2.json" "$uport" "$uport" agent='{"sip_uri":"sip:agent@agent.attacker.example"}'
GITDIAL_SPOOL=$TMP/sip/spool "$SIP" dial <"$TMP/sip/r2.json" >"$TMP/s2.out" 2>&1
expect_eq "sip: an unlisted agent.sip_uri is rejected (agent_host)" "rejected agent_host" \
	"$(err_kind "$TMP/s2.out")"
ok_if "... the proxy heard nothing (no INVITE, no digest answer)" test ! -s "$TMP/udp.log"
ok_if "... and nothing was spooled or started" \
	"$PY" -c 'import glob,sys; sys.exit(len(glob.glob(sys.argv[1] + "/.sip/*.json")))' "$TMP/sip/spool"
kill "$UDP_PID" 2>/dev/null
wait "$UDP_PID" 2>/dev/null

ok_if "no sanitizer report" san_clean
finish
