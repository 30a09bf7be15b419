#!/usr/bin/env bash
# The function binaries as long-lived FastCGI processes: lighttpd's
# mod_fastcgi starts two gitdial-twilio processes for /twilio (bin-path,
# max-procs 2) and two for /agent, their environment from bin-environment.
# Signed Twilio callbacks (tests/bench/webhooks.py, the bench's client:
# the fake's form bodies, signed for the public URL) are accepted and
# spooled exactly once; crafted ones (unsigned, wrong, tampered, too big,
# malformed) get a 4xx and spool nothing; nothing of one request is left
# for the next; 200 deliveries from 8 clients are served by the same two
# processes; a changed gitdial.json is read by the next request; the
# actions over HTTP (/twilio/fn) reach the fake Twilio; the settings are
# the process environment's, never a request's parameters. When
# lighttpd stops, the processes return from main (leak-checked under
# ASan). Then nginx's way: spawn-fcgi's processes on one shared socket,
# one stopped by SIGTERM while the other goes on serving. One tick puts
# every outcome in the log exactly once.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-fcgi-token-31c7
PUB=https://hooks.example.com/gd
CID=fcgi
REPO=$TMP/repo
SPOOL=$REPO/.git/gitdial/spool
AGENT_SECRET=agent-fcgi-secret-1
GITX=(git -c user.name=t -c user.email=t@example.com -c commit.gpgsign=false)
export TW_SID=$SID TW_TOKEN=$TOKEN

# 243 placed calls: 200 for the load, 3 for the crafted deliveries, 40
# for spawn-fcgi
"$PY" "$TOP/tests/bench/webhooks.py" repo "$REPO" "$CID" 243 "$SID" \
	http://127.0.0.1:9 "$PUB/" || exit 1
printf '%s\n' "$AGENT_SECRET" >"$TMP/agent.secret"
printf 'agent-fcgi-secret-2\n' >"$TMP/agent2.secret"
"$PY" - "$REPO/gitdial.json" "file:$TMP/agent.secret" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["agent"]["secret"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
(cd "$REPO" && "${GITX[@]}" init -q && "${GITX[@]}" add -A && "${GITX[@]}" commit -qm placed) || exit 1
mkdir -p "$SPOOL"
CALLS=$REPO/.bench-calls.tsv
head -n 200 "$CALLS" >"$TMP/load.tsv"
mapfile -t EXTRA < <(sed -n '201,203p' "$CALLS" | cut -f1,2)

FN_SECRET=fn-fcgi-secret-9
printf '%s\n' "$FN_SECRET" >"$TMP/fn.secret"
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
# /twilio/fn acts with this host's gitdial.json (never the request's account):
# its api_base is the fake Twilio
"$PY" - "$REPO/gitdial.json" "$TW_URL" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["accounts"]["tw-main"]["api_base"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
(cd "$REPO" && "${GITX[@]}" commit -qam "the fake Twilio") || exit 1
# every request also carries parameters named like the settings: they
# must change nothing (the settings are the processes' environment)
mkdir -p "$TMP/not-the-spool"
WEB_FCGI_SETENV="\"GITDIAL_SPOOL\" => \"$TMP/not-the-spool\", \"TW_TOKEN\" => \"not-the-token\",
  \"GITDIAL_FUNCTION_SECRET\" => \"env:TW_SID\", \"GITDIAL_REPO\" => \"$TMP/nowhere\"" \
web_start_fastcgi GITDIAL_REPO="$REPO" GITDIAL_SPOOL="$SPOOL" TW_SID="$SID" \
	TW_TOKEN="$TOKEN" GITDIAL_NOW=2026-11-24T02:30:00Z \
	GITDIAL_FUNCTION_SECRET="file:$TMP/fn.secret" || exit 1
TW_PIDS=$(fcgi_pids twilio)
ALL_PIDS=$(for r in twilio agent telnyx whatsapp; do fcgi_pids "$r"; done)
expect_eq "lighttpd started 2 FastCGI processes for /twilio, 8 in all" "2 8" \
	"$(echo "$TW_PIDS" | wc -w) $(echo "$ALL_PIDS" | wc -w)"
io_writes() { # PID...: write(2) calls the processes made so far, summed
	local p s=0
	for p in "$@"; do s=$((s + $(sed -n 's/^syscw: //p' "/proc/$p/io"))); done
	echo "$s"
}
busy_pids() { # BEFORE AFTER: the pids whose write count changed ("pid:count ...")
	local p
	for p in $TW_PIDS; do
		[ "$(echo "$1" | sed -n "s/^$p://p")" = "$(echo "$2" | sed -n "s/^$p://p")" ] || echo "$p"
	done
}
per_pid() { local p; for p in $TW_PIDS; do echo "$p:$(io_writes "$p")"; done; }

# form ATTEMPT CALLSID FILE [CallStatus=...]: a final status body; prints
# the Twilio signature for /twilio?account=tw-main&attempt_id=ATTEMPT
form() {
	local aid=$1 csid=$2 out=$3
	shift 3
	local p=(CallSid="$csid" AccountSid="$SID" CallStatus=completed CallDuration=40
		 From=+14155550100 To=+14155550200 Direction=outbound-api
		 Timestamp="Tue, 24 Nov 2026 02:10:00 +0000" "$@")
	"$PY" "$FAKE_DIR/sign.py" form "$out" "${p[@]}"
	"$PY" "$FAKE_DIR/sign.py" twilio "$TOKEN" "$PUB/twilio?account=tw-main&attempt_id=$aid" "${p[@]}"
}
FORM="Content-Type: application/x-www-form-urlencoded"
A1=${EXTRA[0]%%$'\t'*} C1=${EXTRA[0]#*$'\t'}
A2=${EXTRA[1]%%$'\t'*} C2=${EXTRA[1]#*$'\t'}
A3=${EXTRA[2]%%$'\t'*} C3=${EXTRA[2]#*$'\t'}
Q1="account=tw-main&attempt_id=$A1"
sig1=$(form "$A1" "$C1" "$TMP/good1.form")

# --- crafted deliveries: 4xx, nothing spooled
before=$(per_pid)
expect_eq "no signature: 401" 401 "$(post_hook "/twilio?$Q1" "$TMP/good1.form" "$FORM")"
expect_eq "a wrong signature: 403" 403 \
	"$(post_hook "/twilio?$Q1" "$TMP/good1.form" "$FORM" "X-Twilio-Signature: x${sig1:1}")"
sed 's/CallDuration=40/CallDuration=4000/' "$TMP/good1.form" >"$TMP/tampered.form"
expect_eq "a tampered parameter: 403" 403 \
	"$(post_hook "/twilio?$Q1" "$TMP/tampered.form" "$FORM" "X-Twilio-Signature: $sig1")"
expect_eq "another query string: 403" 403 \
	"$(post_hook "/twilio?account=tw-main&attempt_id=$A2" "$TMP/good1.form" "$FORM" "X-Twilio-Signature: $sig1")"
expect_eq "GET: 405" 405 "$(curl -s -o /dev/null -w '%{http_code}' "$WEB_URL/twilio?$Q1")"
expect_eq "not form-encoded: 415" 415 \
	"$(post_hook "/twilio?$Q1" "$TMP/good1.form" "Content-Type: application/json" "X-Twilio-Signature: $sig1")"
printf 'CallSid=%%zz' >"$TMP/bad.form"
expect_eq "a malformed body: 400" 400 \
	"$(post_hook "/twilio?$Q1" "$TMP/bad.form" "$FORM" "X-Twilio-Signature: $sig1")"
head -c $((1024 * 1024 + 1)) /dev/zero | tr '\0' a >"$TMP/big.form"
expect_eq "a body over 1 MiB: 413" 413 \
	"$(post_hook "/twilio?$Q1" "$TMP/big.form" "$FORM" "X-Twilio-Signature: $sig1")"
expect_eq "nothing was spooled for any of them" 0 "$(spool_count "$SPOOL")"

# --- nothing of one request is left for the next (requests one at a
# time: lighttpd's least-connection balance gives them all to one process)
expect_eq "after the big body, a small signed one: 204" 204 \
	"$(post_hook "/twilio?$Q1" "$TMP/good1.form" "$FORM" "X-Twilio-Signature: $sig1")"
ev=$(grep -l "\"$A1\"" "$SPOOL"/*.json 2>/dev/null)
expect_eq "... spooled once, its own body (not the big one's)" "1 40 $C1" \
	"$(echo "$ev" | wc -w) $(jv "$ev" 'str(d["duration_s"]) + " " + d["call_id"]')"
Q2="account=tw-main&attempt_id=$A2"
sig2=$(form "$A2" "$C2" "$TMP/good2.form" CallDuration=41)
expect_eq "a bad signature, twice: 403 403" "403 403" \
	"$(post_hook "/twilio?$Q2" "$TMP/good2.form" "$FORM" "X-Twilio-Signature: $sig1") $(post_hook "/twilio?$Q2" "$TMP/good2.form" "$FORM" "X-Twilio-Signature: $sig1")"
expect_eq "... then the good one: 204" 204 \
	"$(post_hook "/twilio?$Q2" "$TMP/good2.form" "$FORM" "X-Twilio-Signature: $sig2")"
Q3="account=tw-main&attempt_id=$A3"
sig3=$(form "$A3" "$C3" "$TMP/good3.form" CallStatus=busy CallDuration=0 SipResponseCode=486)
expect_eq "after signed requests, an unsigned one (twice): 401 401, the header is not remembered" "401 401" \
	"$(post_hook "/twilio?$Q3" "$TMP/good3.form" "$FORM") $(post_hook "/twilio?$Q3" "$TMP/good3.form" "$FORM")"
expect_eq "... a signed one: 204" 204 \
	"$(post_hook "/twilio?$Q3" "$TMP/good3.form" "$FORM" "X-Twilio-Signature: $sig3")"
expect_eq "three spooled, one per accepted delivery" 3 "$(spool_count "$SPOOL")"
expect_eq "... none where a request's GITDIAL_SPOOL parameter points" 0 "$(spool_count "$TMP/not-the-spool")"
expect_eq "one process served all of these, one after another" 1 \
	"$(busy_pids "$before" "$(per_pid)" | wc -l)"
expect_eq "refusals are logged to the server's stderr" 1 \
	"$(grep -c "gitdial-twilio: POST /twilio: 413 body larger than 1048576 bytes" "$TMP/lighttpd.out")"

# --- the agent's route (its own two processes); gitdial.json per request
JSON="Content-Type: application/json"
printf '{"call_id":"%s","attempt_id":"%s","sentiment":"positive"}' "$C1" "$A1" >"$TMP/an.json"
hmac() { "$PY" "$FAKE_DIR/sign.py" hmac "$1" "$TMP/an.json"; }
expect_eq "/agent: a signed analysis: 200" 200 \
	"$(post_hook /agent "$TMP/an.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET")")"
expect_eq "... spooled, stamped with the bin-environment's GITDIAL_NOW" "analysis 2026-11-24T02:30:00Z" \
	"$(jv "$(grep -l '"analysis"' "$SPOOL"/*.json)" 'd["event"] + " " + d["ts"]')"
"$PY" - "$REPO/gitdial.json" "file:$TMP/agent2.secret" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); c["agent"]["secret"] = sys.argv[2]
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
expect_eq "gitdial.json changed under the running processes: the old secret is refused (twice)" "403 403" \
	"$(post_hook /agent "$TMP/an.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET")") $(post_hook /agent "$TMP/an.json" "$JSON" "X-Gitdial-Signature: $(hmac "$AGENT_SECRET")")"
expect_eq "... and the new one accepted" 200 \
	"$(post_hook /agent "$TMP/an.json" "$JSON" "X-Gitdial-Signature: $(hmac agent-fcgi-secret-2)")"
(cd "$REPO" && "${GITX[@]}" commit -qam "agent secret")

# --- actions over HTTP in the long-lived processes (libcurl loaded once)
fn_req() { # ACTION ROW [CALL_ID]: a request for the runner's contract
	"$PY" - "$TW_URL" "$@" <<'EOF'
import json, sys
api, action, row = sys.argv[1:4]
r = {"v": 1, "action": action, "now": "2026-11-24T02:00:00Z",
     "attempt_id": "fcgi.%s.1" % row, "campaign": "fcgi", "to": "+1415555%04d" % int(row),
     "from": "+14155550100",
     "account": {"name": "tw-main", "provider": "twilio",
                 "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"},
                 "api_base": api},
     "agent": {"stream_url": "wss://agent.example.com/voice"}, "webhook_url": None,
     "script": {"mode": "agent"}, "voicemail": "hang_up", "ring_timeout_s": 30}
if len(sys.argv) > 4:
    r["call_id"] = sys.argv[4]
print(json.dumps(r))
EOF
}
fn_req dial 9001 >"$TMP/d1.json"
fn_req dial 9002 >"$TMP/d2.json"
expect_eq "/twilio/fn: a wrong function secret: 403" 403 \
	"$(post_fn /twilio/fn "$TMP/d1.json" "${FN_SECRET}x")"
expect_eq "... the secret a request's parameter names is not the one: 403" 403 \
	"$(post_fn /twilio/fn "$TMP/d1.json" "$SID")"
expect_eq "two dials with the function secret: 200 200" "200 200" \
	"$(post_fn /twilio/fn "$TMP/d1.json" "$FN_SECRET") $(post_fn /twilio/fn "$TMP/d2.json" "$FN_SECRET")"
cid=$(jv "$TMP/.hook_body" 'd["call_id"]')
expect_eq "... the fake Twilio has both calls, with the token from the environment" "2 $cid" \
	"$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; c=json.load(sys.stdin); print(len(c), c[-1]["id"])')"
fn_req status 9002 "$cid" >"$TMP/s2.json"
expect_eq "status over HTTP, signed: queued" "200 True queued" \
	"$(post_fn /twilio/fn "$TMP/s2.json" "$FN_SECRET") $(jv "$TMP/.hook_body" 'str(d["found"]) + " " + d["state"]')"
n0=$(spool_count "$SPOOL")

# --- 200 deliveries, 8 clients: the same two processes serve them all
w0=$(io_writes $TW_PIDS)
"$PY" "$TOP/tests/bench/webhooks.py" load "$WEB_URL" "$TOKEN" "$PUB" "$SID" \
	"$TMP/load.tsv" 8 "$TMP/load.out"
read -r sent ok _ _ _ _ seen <"$TMP/load.out"
expect_eq "200 signed deliveries from 8 clients: all 2xx" "200 200 204:200" "$sent $ok $seen"
expect_eq "... each spooled once" $((n0 + 200)) "$(spool_count "$SPOOL")"
expect_eq "... served by the processes that were there before (no new one)" \
	"$(echo $TW_PIDS)" "$(echo $(fcgi_pids twilio))"
w1=$(io_writes $TW_PIDS)
ok_if "... which made the writes: $((w1 - w0)) write calls for 200 deliveries" test $((w1 - w0)) -ge 400

# --- stop: the processes return from main, leak-checked
ok_if "lighttpd stopped, and with it every FastCGI process" web_stop $ALL_PIDS
if nm "$BIN/gitdial-twilio" 2>/dev/null | grep -q __asan_init; then
	ok_if "each returned from main with no leak or error report (ASan)" fcgi_exit_clean $ALL_PIDS
fi
ok_if "no sanitizer report from any process" san_clean
ok_if "lighttpd logged no crash of a backend" \
	sh -c "! grep -qiE 'sanitizer|signal|abort|died' '$TMP/lighttpd.err' '$TMP/lighttpd.out'"

# --- nginx's way: spawn-fcgi starts 2 processes on one shared socket,
# the web server only connects (here lighttpd, without bin-path)
spawn_fcgi gitdial-twilio 2 GITDIAL_REPO="$REPO" GITDIAL_SPOOL="$SPOOL" TW_SID="$SID" \
	TW_TOKEN="$TOKEN" || exit 1
WEB_FCGI_SETENV= web_start_fastcgi || exit 1
expect_eq "spawn-fcgi started 2 processes" 2 "$(echo $SPAWN_PIDS | wc -w)"
sed -n '204,223p' "$CALLS" >"$TMP/spawn1.tsv"
sed -n '224,243p' "$CALLS" >"$TMP/spawn2.tsv"
n0=$(spool_count "$SPOOL")
"$PY" "$TOP/tests/bench/webhooks.py" load "$WEB_URL" "$TOKEN" "$PUB" "$SID" \
	"$TMP/spawn1.tsv" 4 "$TMP/spawn1.out"
read -r sent ok _ _ _ _ seen <"$TMP/spawn1.out"
expect_eq "20 deliveries through them: 204, spooled" "20 20 204:20 $((n0 + 20))" \
	"$sent $ok $seen $(spool_count "$SPOOL")"
first=${SPAWN_PIDS%%[[:space:]]*} rest=${SPAWN_PIDS#*[[:space:]]}
kill -TERM "$first"
ok_if "SIGTERM to one: it exits" wait_for gone "$first"
"$PY" "$TOP/tests/bench/webhooks.py" load "$WEB_URL" "$TOKEN" "$PUB" "$SID" \
	"$TMP/spawn2.tsv" 4 "$TMP/spawn2.out"
read -r sent ok _ _ _ _ seen <"$TMP/spawn2.out"
expect_eq "... the other still serves the shared socket: 20 more 204, spooled" \
	"20 20 204:20 $((n0 + 40))" "$sent $ok $seen $(spool_count "$SPOOL")"
kill -TERM $rest
ok_if "SIGTERM to the other: it exits" wait_for gone $rest
web_stop
if nm "$BIN/gitdial-twilio" 2>/dev/null | grep -q __asan_init; then
	ok_if "both returned from main with no leak or error report (ASan)" fcgi_exit_clean $SPAWN_PIDS
fi
ok_if "no sanitizer report" san_clean

# --- one tick: every outcome in the log exactly once
"$GITDIAL" tick --repo "$REPO" --now 2026-11-24T03:00:00Z >"$TMP/tick.out" 2>"$TMP/tick.err"
rc=$?
expect_eq "one tick ingests the spool (exit status, files left)" "0 0" "$rc $(spool_count "$SPOOL")"
expect_eq "every one of the 243 outcomes is in the log once (missing, doubled)" "0 0" \
	"$("$PY" "$TOP/tests/bench/webhooks.py" check "$REPO" "$CID" "$CALLS")"
finish
