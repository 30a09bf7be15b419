#!/usr/bin/env bash
# The repository names secrets and endpoints; the operator decides which
# may be used (SECURITY.md, issue 16). Each block is a finding of the
# red-team pass that used to get through:
#  - validate refuses endpoints and references the operator does not
#    allow, naming file, line and field; and setups that can only fail at
#    dial time;
#  - the functions refuse them where the request is made (nothing reaches
#    the host), file: references cannot leave GITDIAL_SECRETS_DIR by ".."
#    or a symlink, and an error names the reference, never the value;
#  - the runner sends nothing to a function URL the operator does not list;
#  - the remote /fn action uses its host's gitdial.json, never the
#    request's account, and refuses stale and replayed requests;
#  - a webhook secret cannot be a well-known variable or a repository file;
#  - a spooled outcome names the account whose key verified it.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
FN_SECRET=fn-shared-secret-trust
SPOOL=$TMP/spool
R=$TMP/repo
mkdir -p "$SPOOL" "$TMP/secrets" "$TMP/outside"
printf '%s\n' "$TOKEN" >"$TMP/secrets/tw.token"
printf 'runner-credential-77\n' >"$TMP/outside/git-credentials"
ln -s "$TMP/outside/git-credentials" "$TMP/secrets/escape"
printf '%s\n' "$FN_SECRET" >"$TMP/secrets/fn.secret"

# --- 1. validate: what the operator does not allow is an error at file:line: field
new_repo "$R"
"$PY" - "$R" <<'EOF'
import json, sys
r = sys.argv[1]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["evil"] = {
    "provider": "twilio", "caller_ids": ["+14155550177"],
    "api_base": "http://attacker.example",
    "credentials": {"account_sid": "env:GITHUB_TOKEN",
                    "auth_token": "file:/home/runner/.git-credentials"}}
g["accounts"]["remote"] = {
    "provider": "twilio", "caller_ids": ["+14155550178"],
    "function": "https://functions.attacker.example/fn",
    "credentials": {"account_sid": "env:TWILIO_ACCOUNT_SID",
                    "auth_token": "file:../../home/runner/.ssh/id_rsa"}}
g["accounts"]["telnyx-x"] = {"provider": "telnyx", "caller_ids": ["+14155550179"],
    "credentials": {"api_key": "env:TELNYX_API_KEY"}}
g["agent"]["secret"] = "env:GATEWAY_INTERFACE"
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
EOF
git_commit_all "$R" "a hostile pull request"
"$GITDIAL" validate --repo "$R" >"$TMP/v1.out" 2>&1
expect_eq "validate fails the hostile gitdial.json" 1 $?
line_of() { grep -n -- "$2" "$R/$1" | head -1 | cut -d: -f1; }
expect_grep "api_base to a host not listed: file:line: field" \
	"^gitdial\.json:$(line_of gitdial.json '"api_base": "http://attacker')+: error: accounts\.evil\.api_base: attacker\.example:80 is not twilio's own" "$TMP/v1.out"
expect_grep "env: naming the CI's variable" \
	"^gitdial\.json:[0-9]+: error: accounts\.evil\.credentials\.account_sid: env:GITHUB_TOKEN: .*never a secret" "$TMP/v1.out"
expect_grep "file: outside the secrets directory" \
	"^gitdial\.json:[0-9]+: error: accounts\.evil\.credentials\.auth_token: file:/home/runner/\.git-credentials: outside the secrets directory" "$TMP/v1.out"
expect_grep "file: with .." \
	"accounts\.remote\.credentials\.auth_token: file:\.\./\.\./home/runner/\.ssh/id_rsa: \"\.\.\" is not allowed" "$TMP/v1.out"
expect_grep "a function URL the operator does not list" \
	"^gitdial\.json:[0-9]+: error: accounts\.remote\.function: functions\.attacker\.example:443 is not listed in GITDIAL_ALLOWED_HOSTS" "$TMP/v1.out"
expect_grep "a function with no function_secret can only fail" \
	"accounts\.remote\.function: a remote function needs a function_secret" "$TMP/v1.out"
expect_grep "a Telnyx account with no connection_id can only fail" \
	"accounts\.telnyx-x\.credentials: a telnyx account needs credentials\.connection_id" "$TMP/v1.out"
expect_grep "agent.secret naming GATEWAY_INTERFACE (\"CGI/1.1\" on every CGI host)" \
	"^gitdial\.json:[0-9]+: error: agent\.secret: env:GATEWAY_INTERFACE: GATEWAY_INTERFACE is a well-known variable" "$TMP/v1.out"
ok_if "no secret's value in validate's output" sh -c "! grep -q runner-credential '$TMP/v1.out'"
ok_if "... also with the changed paths (what CI passes)" \
	sh -c "! '$GITDIAL' validate --repo '$R' gitdial.json >/dev/null 2>&1"

# a Twilio campaign with no agent.stream_url fails at its first dial: caught before
new_repo "$TMP/r2"
"$PY" - "$TMP/r2" <<'EOF'
import json, sys
r = sys.argv[1]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["tw-main"] = {"provider": "twilio", "caller_ids": ["+14155550100"],
    "credentials": {"account_sid": "env:TWILIO_ACCOUNT_SID", "auth_token": "env:TWILIO_AUTH_TOKEN"}}
del g["agent"]["stream_url"]
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
c = json.load(open(r + "/campaigns/nov-reminders/campaign.json"))
c["account"] = "tw-main"
c["caller_id"] = "+14155550100"
json.dump(c, open(r + "/campaigns/nov-reminders/campaign.json", "w"), indent=2)
EOF
git_commit_all "$TMP/r2" "twilio without a stream"
"$GITDIAL" validate --repo "$TMP/r2" >"$TMP/v2.out" 2>&1
expect_eq "validate fails a Twilio campaign with no agent.stream_url" 1 $?
expect_grep "... at the campaign's account line" \
	"^campaigns/nov-reminders/campaign\.json:$(grep -n '"account"' "$TMP/r2/campaigns/nov-reminders/campaign.json" | cut -d: -f1): error: account: \"tw-main\" is a twilio account, which needs agent\.stream_url" "$TMP/v2.out"
"$GITDIAL" validate --repo "$TMP/r2" campaigns/nov-reminders/campaign.json >"$TMP/v3.out" 2>&1
expect_eq "... also when only that campaign changed" 1 $?

# the init template validates with no operator settings at all
new_repo "$TMP/r3"
ok_if "a fresh repository validates with the documented defaults" \
	env -u GITDIAL_SECRETS_DIR -u GITDIAL_ENV_ALLOW -u GITDIAL_ALLOWED_HOSTS \
	"$GITDIAL" validate --repo "$TMP/r3"

# --- 2. the functions refuse where the request is made
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
fake_start EVIL twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
calls() { fake_ctl "$1" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
dial_req() { # API_BASE AUTH_TOKEN_REF: a dial request for gitdial-twilio
	"$PY" - "$@" <<'EOF'
import json, sys
print(json.dumps({"v": 1, "action": "dial", "now": "2026-11-25T12:00:00Z",
  "attempt_id": "nov.3.1", "campaign": "nov", "to": "+14155550123", "from": "+14155550100",
  "account": {"name": "tw-main", "provider": "twilio",
              "credentials": {"account_sid": "env:TW_SID", "auth_token": sys.argv[2]},
              "api_base": sys.argv[1]},
  "agent": {"stream_url": "wss://agent.example.com/voice"}, "webhook_url": None,
  "script": {"mode": "agent"}, "voicemail": "hang_up", "ring_timeout_s": 30}))
EOF
}
export TW_SID=$SID GITDIAL_SPOOL=$SPOOL
EVIL_PORT=${EVIL_URL##*:}
dial_req "$EVIL_URL" "file:$TMP/secrets/tw.token" >"$TMP/d1.json"
GITDIAL_ALLOWED_HOSTS=127.0.0.1:1 GITDIAL_SECRETS_DIR=$TMP/secrets \
	gitdial-twilio dial <"$TMP/d1.json" >"$TMP/d1.out" 2>&1
expect_grep "an api_base the operator does not list: refused" \
	"api_base: 127\.0\.0\.1:$EVIL_PORT is not twilio's own \(over https\) and not listed in GITDIAL_ALLOWED_HOSTS" "$TMP/d1.out"
expect_eq "... and the host never heard of it" 0 "$(calls "$EVIL_URL")"
GITDIAL_ALLOWED_HOSTS=localhost.example GITDIAL_SECRETS_DIR=$TMP/secrets \
	gitdial-twilio dial <"$TMP/d1.json" >"$TMP/d1b.out" 2>&1
expect_grep "http:// only to a loopback host, even when listed" \
	"not listed|only to a loopback" "$TMP/d1b.out"
dial_req "$TW_URL" "file:$TMP/secrets/escape" >"$TMP/d2.json"
GITDIAL_SECRETS_DIR=$TMP/secrets gitdial-twilio dial <"$TMP/d2.json" >"$TMP/d2.out" 2>&1
expect_grep "a symlink out of GITDIAL_SECRETS_DIR: refused, naming the reference" \
	"file:$TMP/secrets/escape: leads out of the secrets directory" "$TMP/d2.out"
dial_req "$TW_URL" "file:$TMP/secrets/../outside/git-credentials" >"$TMP/d3.json"
GITDIAL_SECRETS_DIR=$TMP/secrets gitdial-twilio dial <"$TMP/d3.json" >"$TMP/d3.out" 2>&1
expect_grep "a .. out of GITDIAL_SECRETS_DIR: refused" 'is not allowed in a secret' "$TMP/d3.out"
dial_req "$TW_URL" "env:HOME" >"$TMP/d4.json"
gitdial-twilio dial <"$TMP/d4.json" >"$TMP/d4.out" 2>&1
expect_grep "env:HOME: refused" "env:HOME: HOME is a well-known variable" "$TMP/d4.out"
dial_req "$TW_URL" "env:GITHUB_TOKEN" >"$TMP/d5.json"
GITHUB_TOKEN=ghs_runner_token_value gitdial-twilio dial <"$TMP/d5.json" >"$TMP/d5.out" 2>&1
ok_if "... env:GITHUB_TOKEN refused without its value in the answer" \
	sh -c "grep -q 'env:GITHUB_TOKEN' '$TMP/d5.out' && ! grep -q ghs_runner '$TMP/d5.out'"
dial_req "$TW_URL" "env:TW_TOKEN" >"$TMP/d6.json"
TW_TOKEN=$TOKEN GITDIAL_ENV_ALLOW=TWILIO_,TW_S gitdial-twilio dial <"$TMP/d6.json" >"$TMP/d6.out" 2>&1
expect_grep "a name outside GITDIAL_ENV_ALLOW: refused" \
	"env:TW_TOKEN: the operator does not allow this name" "$TMP/d6.out"
expect_eq "none of them reached the fake Twilio" 0 "$(calls "$TW_URL")"
dial_req "$TW_URL" "file:tw.token" >"$TMP/d7.json"
GITDIAL_SECRETS_DIR=$TMP/secrets gitdial-twilio dial <"$TMP/d7.json" >"$TMP/d7.out" 2>&1
expect_grep "what the operator allows still dials (file: relative to the secrets directory)" \
	'^\{"ok":true,"call_id":"CA' "$TMP/d7.out"

# --- 3. the runner sends nothing to a function URL the operator does not list
"$PY" -c '
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        open(sys.argv[1], "a").write(self.path + "\n")
        self.send_response(500); self.end_headers()
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_address[1]))
s.serve_forever()' "$TMP/listener.log" "$TMP/listener.port" &
WEB_PIDS+=($!)
wait_for test -s "$TMP/listener.port"
LPORT=$(cat "$TMP/listener.port")
new_repo "$TMP/r4"
"$PY" - "$TMP/r4" "$LPORT" <<'EOF' || exit 1
import json, sys
r, port = sys.argv[1], sys.argv[2]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["sim-main"]["function"] = "http://127.0.0.1:%s/sim/fn" % port
g["accounts"]["sim-main"]["function_secret"] = "env:GITDIAL_FN_SECRET"
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
EOF
git_commit_all "$TMP/r4" "a remote sim function"
schedule "$TMP/r4" nov-reminders 2026-11-25T14:00:00Z
GITDIAL_ALLOWED_HOSTS=127.0.0.1:1 GITDIAL_FN_SECRET=$FN_SECRET \
	"$GITDIAL" tick --repo "$TMP/r4" --now 2026-11-25T15:00:00Z >"$TMP/tick.out" 2>&1
ok_if "a tick with an unlisted function URL POSTs nothing" test ! -s "$TMP/listener.log"
GITDIAL_FN_SECRET=$FN_SECRET \
	"$GITDIAL" tick --repo "$TMP/r4" --now 2026-11-25T15:30:00Z >"$TMP/tick2.out" 2>&1
ok_if "... and once the operator lists it, the calls go there" test -s "$TMP/listener.log"

# --- 4. the remote /fn action: the host's gitdial.json, a fresh signed request
mkdir -p "$TMP/host"
cat >"$TMP/host/gitdial.json" <<EOF
{"accounts": {"tw-main": {"provider": "twilio", "caller_ids": ["+14155550100"],
   "credentials": {"account_sid": "env:TW_SID", "auth_token": "file:secrets/tw.token"},
   "api_base": "$TW_URL"},
  "tw-b": {"provider": "twilio", "caller_ids": ["+14155550101"],
   "credentials": {"account_sid": "env:TW_SID", "auth_token": "file:secrets/twb.token"},
   "api_base": "$TW_URL"}},
 "agent": {"stream_url": "wss://agent.example.com/voice",
           "secret": "file:$TMP/host/agent.secret"},
 "webhook_base_url": "https://hooks.example.com/gd"}
EOF
printf 'CGI/1.1\n' >"$TMP/host/agent.secret"
printf 'tw-b-token-31\n' >"$TMP/secrets/twb.token"
mkdir -p "$TMP/host/campaigns/nov"
printf '{"name": "Nov", "account": "tw-main", "audience": {"csv": "a.csv"}}\n' \
	>"$TMP/host/campaigns/nov/campaign.json"
# the host's operator: secrets under $TMP (the repository $TMP/host is inside it)
web_start GITDIAL_REPO="$TMP/host" GITDIAL_SPOOL="$SPOOL" TW_SID="$SID" \
	GITDIAL_FUNCTION_SECRET="file:$TMP/secrets/fn.secret" || exit 1
n0=$(calls "$TW_URL")
# the body names the attacker's api_base and a credential of the host's
dial_req "$EVIL_URL" "file:/etc/passwd" >"$TMP/f1.json"
expect_eq "/fn: a signed dial naming another api_base and credential: 200" 200 \
	"$(post_fn /twilio/fn "$TMP/f1.json" "$FN_SECRET")"
expect_grep "... dialed" '^\{"ok":true,"call_id":"CA' "$TMP/.hook_body"
expect_eq "... through the host's own api_base" "$((n0 + 1)) 0" "$(calls "$TW_URL") $(calls "$EVIL_URL")"
NOW=$(date +%s)
expect_eq "/fn: signed 1000 s ago: 403" 403 "$(post_fn /twilio/fn "$TMP/f1.json" "$FN_SECRET" $((NOW - 1000)))"
expect_grep "... as stale" "stale request" "$TMP/.hook_body"
expect_eq "/fn: signed 1000 s ahead: 403" 403 "$(post_fn /twilio/fn "$TMP/f1.json" "$FN_SECRET" $((NOW + 1000)))"
NONCE=0123456789abcdef0123456789abcdef
dial_req "$TW_URL" "env:TW_TOKEN" | sed 's/nov\.3\.1/nov.4.1/' >"$TMP/f2.json"
expect_eq "/fn: a fresh request: 200" 200 "$(post_fn /twilio/fn "$TMP/f2.json" "$FN_SECRET" "$NOW" "$NONCE")"
n1=$(calls "$TW_URL")
expect_eq "/fn: the same request sent again (replayed): 403" 403 \
	"$(post_fn /twilio/fn "$TMP/f2.json" "$FN_SECRET" "$NOW" "$NONCE")"
expect_grep "... as replayed" "replayed request" "$TMP/.hook_body"
expect_eq "... and not dialed twice" "$n1" "$(calls "$TW_URL")"

# --- 5. webhook secrets must be secrets
AN=$TMP/an.json
printf '{"call_id":"CA0777","attempt_id":"nov.7.1","sentiment":"negative","opt_out":true}' >"$AN"
s0=$(spool_count "$SPOOL")
code=$(post_hook /agent "$AN" "Content-Type: application/json" \
	"X-Gitdial-Signature: $("$PY" "$FAKE_DIR/sign.py" hmac CGI/1.1 "$AN")")
expect_eq "agent.secret in a file of the repository: a forged opt-out is refused (5xx)" 5 "${code:0:1}"
expect_eq "... nothing spooled" "$s0" "$(spool_count "$SPOOL")"
"$PY" - "$TMP/host/gitdial.json" <<'EOF'
import json, sys
g = json.load(open(sys.argv[1]))
g["agent"]["secret"] = "env:GATEWAY_INTERFACE"
json.dump(g, open(sys.argv[1], "w"))
EOF
code=$(post_hook /agent "$AN" "Content-Type: application/json" \
	"X-Gitdial-Signature: $("$PY" "$FAKE_DIR/sign.py" hmac CGI/1.1 "$AN")")
expect_eq "agent.secret env:GATEWAY_INTERFACE: the forged opt-out signed with CGI/1.1 is refused" 5 "${code:0:1}"
expect_eq "... nothing spooled" "$s0" "$(spool_count "$SPOOL")"

# --- 6. a spooled outcome names the account whose key verified it
Q="account=tw-main&attempt_id=nov.4.1"
"$PY" "$FAKE_DIR/sign.py" form "$TMP/cb.form" CallSid=CA0444 CallStatus=completed \
	CallDuration=41 "AccountSid=$SID"
SIG=$("$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "https://hooks.example.com/gd/twilio?$Q" \
	CallSid=CA0444 CallStatus=completed CallDuration=41 "AccountSid=$SID")
expect_eq "a signed Twilio status callback: 204" 204 \
	"$(post_hook "/twilio?$Q" "$TMP/cb.form" "X-Twilio-Signature: $SIG")"
expect_eq "... spooled with the account that verified it" "tw-main" \
	"$(grep -l CA0444 "$SPOOL"/*.json | head -1 | xargs "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1])).get("account"))')"

# the key of another account (one the URL may name) for a campaign of tw-main
Q="account=tw-b&attempt_id=nov.5.1"
"$PY" "$FAKE_DIR/sign.py" form "$TMP/cb2.form" CallSid=CA0555 CallStatus=completed \
	CallDuration=41 "AccountSid=$SID"
SIG=$("$PY" "$FAKE_DIR/sign.py" twilio tw-b-token-31 "https://hooks.example.com/gd/twilio?$Q" \
	CallSid=CA0555 CallStatus=completed CallDuration=41 "AccountSid=$SID")
expect_eq "a callback verified by another account than the campaign's: 403" 403 \
	"$(post_hook "/twilio?$Q" "$TMP/cb2.form" "X-Twilio-Signature: $SIG")"
ok_if "... nothing spooled for it" sh -c "! grep -q CA0555 '$SPOOL'/*.json"

ok_if "no secret in any reply or log" sh -c "! grep -rqE '$TOKEN|$FN_SECRET|runner-credential' '$TMP/.hook_body' '$TMP/lighttpd.err' '$TMP'/d*.out '$TMP/v1.out'"
finish
