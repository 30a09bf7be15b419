#!/usr/bin/env bash
# The topology users run, on 127.0.0.1 (issue 13's acceptance):
# - a git server: git http-backend under lighttpd with basic auth;
# - a webhook host: a clone of the repository, the function binaries
#   under lighttpd FastCGI (the remote functions of the Twilio and Telnyx
#   accounts, their webhooks, /agent and /sim) and `gitdial ingest
#   --remote origin` in a loop;
# - two runners that start from a fresh clone for every run, authenticated
#   the way actions/checkout leaves a clone (http.<url>.extraheader), one
#   of them `tick --for` (simulated clock);
# - fake Twilio and Telnyx that deliver their signed webhooks to the
#   webhook host only, and the sim with a webhook_secret.
# Campaigns on Twilio, Telnyx and the sim run to completion; every
# outcome, AMD result and the agent's opt-out reach the log and dnc/; the
# auditor finds no double dial; the webhook host killed (SIGKILL: lighttpd,
# its FastCGI processes and the ingest loop) with events spooled and not
# yet committed, then restarted, loses none; a runner missing a secret
# exits 5 and its campaign is not Failed.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"
. "$TOP/tests/e2e/lib-gitserver.sh"
unset GITDIAL_GIT_TOKEN GITDIAL_GIT_USER GITDIAL_SSH_KEY SSH_AUTH_SOCK

SID=AC0123456789abcdef0123456789abcdef
TW_TOKEN_V=tw-secret-token-5d1f
TX_KEY_V=KEY0123-telnyx-secret
TX_SEED=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
TX_PUB_V=$("$PY" "$FAKE_DIR/sign.py" pubkey "$TX_SEED")
FN_SECRET=fn-shared-secret-42
HOOK_SECRET=sim-hook-secret-7e21
AGENT_SECRET=agent-hmac-secret-77
GIT_USER=ci-bot GIT_PW=git-pw-31c9
T0=2026-11-24T18:00:00Z   # 13:00 in New York, 10:00 in California
STEP=4                    # simulated minutes between rounds
SP=$TMP/wh-spool
WH=$TMP/webhook-host
mkdir -p "$SP" "$TMP/carrier" "$TMP/srv"
# what every runner has: the function secret and the sim's webhook secret
# (the provider credentials live on the webhook host only); the sim's
# call memory is the carrier's, shared as a real carrier is
RUNNER_ENV=(GITDIAL_FN_SECRET="$FN_SECRET" GITDIAL_SIM_HOOK_SECRET="$HOOK_SECRET"
	    GITDIAL_SIM_DIR="$TMP/carrier")

fake_start TW twilio --account-sid "$SID" --auth-token "$TW_TOKEN_V" || exit 1
fake_start TX telnyx --api-key "$TX_KEY_V" --connection-id 1494404757140276705 \
	--private-key-hex "$TX_SEED" || exit 1

# --- the git server
new_repo "$TMP/seed" >/dev/null || exit 1
rm -rf "$TMP/seed/campaigns/ramadan-survey" "$TMP/seed/campaigns/nov-reminders" \
	"$TMP/seed/campaigns/sip-callback" "$TMP/seed/campaigns/whatsapp-followup"
git_commit_all "$TMP/seed" "only the drafts"
git clone -q --bare "$TMP/seed" "$TMP/srv/calls.git"
git -C "$TMP/srv/calls.git" config http.receivepack true
URL=$(gitsrv_http "$TMP/srv/calls.git" "$GIT_USER" "$GIT_PW")
ok_if "git http-backend under lighttpd with basic auth refuses anonymous git" \
	sh -c "test -n '$URL' && ! GIT_TERMINAL_PROMPT=0 git ls-remote '$URL' >/dev/null 2>&1"
BASE=${URL%/git/*}/
AUTH="AUTHORIZATION: basic $(printf '%s:%s' "$GIT_USER" "$GIT_PW" | base64 -w0)"
# clone_ci DIR: a clone as actions/checkout leaves it (the token as an
# extraheader in the clone's config, the remote URL without credentials)
clone_ci() {
	rm -rf "$1"
	git -c http.extraheader="$AUTH" clone -q "$URL" "$1" &&
		git -C "$1" config "http.$BASE.extraheader" "$AUTH"
}

# --- the webhook host: its clone (credentials in the URL, the other
# way docs/remotes.md gives), lighttpd + FastCGI
git clone -q "$(gitsrv_http_url_with "$GIT_USER" "$GIT_PW" "$URL")" "$WH"
printf '%s' "$AGENT_SECRET" >"$TMP/agent.secret"
HOST_NOW=$(minutes_after $T0 4) # the Telnyx signature's clock (±300 s)
web_start_fastcgi GITDIAL_REPO="$WH" GITDIAL_SPOOL="$SP" GITDIAL_NOW="$HOST_NOW" \
	TW_SID="$SID" TW_TOKEN="$TW_TOKEN_V" TX_KEY="$TX_KEY_V" TX_PUB="$TX_PUB_V" \
	GITDIAL_FUNCTION_SECRET=env:TW_HOST_FN_SECRET TW_HOST_FN_SECRET="$FN_SECRET" \
	GITDIAL_SIM_HOOK_SECRET="$HOOK_SECRET" GITDIAL_AGENT_SECRET="$AGENT_SECRET" || exit 1

# --- the operator's change: accounts and three campaigns, pushed
clone_ci "$TMP/ops"
"$PY" - "$TMP/ops" "$TW_URL" "$TX_URL" "$WEB_URL" <<'EOF'
import json, os, sys
r, tw, tx, web = sys.argv[1:5]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["sim-main"]["webhook_secret"] = "env:GITDIAL_SIM_HOOK_SECRET"
g["accounts"]["tw-main"] = {
    "provider": "twilio", "caller_ids": ["+14155550100"], "max_concurrency": 5,
    "cps": 10, "api_base": tw, "function": web + "/twilio/fn",
    "function_secret": "env:GITDIAL_FN_SECRET",
    "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"}}
g["accounts"]["tx-main"] = {
    "provider": "telnyx", "caller_ids": ["+14155550100"], "max_concurrency": 6,
    "cps": 10, "api_base": tx, "function": web + "/telnyx/fn",
    "function_secret": "env:GITDIAL_FN_SECRET",
    "credentials": {"api_key": "env:TX_KEY", "public_key": "env:TX_PUB",
                    "connection_id": "1494404757140276705"}}
g["agent"] = {"stream_url": "wss://agent.example.com/voice",
              "secret": "env:GITDIAL_AGENT_SECRET"}
g["webhook_base_url"] = web
json.dump(g, open(r + "/gitdial.json", "w"), ensure_ascii=False, indent=2)
# the fakes' fate is the number's last digit: 0-3,9 human, 4 busy,
# 5 no answer, 6 failed, 7 machine, 8 short
for cid, acct, n, conc, retries in (("tw-camp", "tw-main", 10, 5, 1),
                                    ("tx-camp", "tx-main", 8, 6, 0)):
    os.makedirs(r + "/campaigns/" + cid)
    with open(r + "/campaigns/%s/audience.csv" % cid, "w") as f:
        f.write("phone,name\n")
        for i in range(n):
            f.write("+1415555%04d,Person %d\n" % ((110 if acct == "tw-main" else 210) + i, i))
    json.dump({"name": cid, "status": "draft", "account": acct, "caller_id": "+14155550100",
               "script": {"mode": "override", "text": "Hello {{name}}, a reminder."},
               "audience": {"csv": "audience.csv"},
               "pacing": {"concurrency": conc,
                          "retries": {"max": retries, "cooldown_minutes": 5,
                                      "on": ["no_answer", "busy", "voicemail"]}}},
              open(r + "/campaigns/%s/campaign.json" % cid, "w"), indent=2)
EOF
git_commit_all "$TMP/ops" "Twilio and Telnyx accounts, two campaigns"
add_campaign "$TMP/ops" sim-camp 24 212 6 1
for c in tw-camp tx-camp sim-camp; do schedule "$TMP/ops" $c $T0; done
"$GITDIAL" validate --repo "$TMP/ops" >"$TMP/validate.out" 2>&1
ok_if "the operator's repository validates" test $? -eq 0
git -C "$TMP/ops" push -q origin HEAD
ok_if "the operator pushed through the extraheader" \
	test "$(git -C "$TMP/srv/calls.git" rev-parse main)" = "$(git -C "$TMP/ops" rev-parse HEAD)"
git -C "$WH" pull -q --ff-only

for f in TW TX; do
	u=${f}_URL
	fake_ctl "${!u}" /_control/config '{"caller_ids":["+14155550100"],
		"deliver":{}, "clock":'"$(date -u -d $T0 +%s)"'}' >/dev/null
done

# --- the ingest loop of the webhook host: commits what the functions
# spooled, every ~0.2 s (its period, as cron's minute is), at the clock the
# test sets in $TMP/now, until told to stop (bounded)
echo "$T0" >"$TMP/now"
ingest_loop() {
	local i
	for i in $(seq 3000); do
		[ -e "$TMP/stop-ingest" ] && return 0
		"$GITDIAL" ingest --repo "$WH" --remote origin --spool "$SP" \
			--now "$(cat "$TMP/now")" >>"$TMP/ingest.out" 2>>"$TMP/ingest.err"
		echo $? >>"$TMP/ingest.rc"
		sleep 0.2
	done
}
ingest_loop &
ING=$!
WEB_PIDS+=($ING)
# kill_ingest: SIGKILL the loop and the ingest it may be running
kill_ingest() {
	local p
	kill -STOP "$ING" 2>/dev/null
	for p in $(ps --ppid "$ING" -o pid=); do kill -9 "$p" 2>/dev/null; done
	kill -9 "$ING" 2>/dev/null
	wait "$ING" 2>/dev/null
}

# runner_a NOW: one tick in a fresh clone; runner_b NOW: tick --for, two
# ticks a minute apart (simulated clock), in a fresh clone. (B's second
# tick stays within the claim grace, 120 s, of A's tick at NOW, which may
# still be placing its calls: on a real clock it would be.)
runner_a() {
	clone_ci "$TMP/run-a" &&
		env "${RUNNER_ENV[@]}" "$GITDIAL" tick --repo "$TMP/run-a" --remote origin \
			--now "$1" --format json >"$TMP/a.json" 2>>"$TMP/a.err"
}
runner_b() {
	clone_ci "$TMP/run-b" &&
		env "${RUNNER_ENV[@]}" "$GITDIAL" tick --repo "$TMP/run-b" --remote origin \
			--now "$1" --for 120 --every 60 \
			>"$TMP/b.out" 2>>"$TMP/b.err"
}
flush() { # the fakes deliver what they hold (to the webhook host only)
	fake_ctl "$TW_URL" /_control/flush '{}' >>"$TMP/deliveries.json"
	echo >>"$TMP/deliveries.json"
	fake_ctl "$TX_URL" /_control/flush '{}' >>"$TMP/deliveries.json"
	echo >>"$TMP/deliveries.json"
}
all_done() { # DIR NOW: every campaign of the clone DIR is Completed
	"$GITDIAL" list --repo "$1" --now "$2" --format json 2>/dev/null | "$PY" -c '
import json, sys
st = {c["id"]: c["status"] for c in json.load(sys.stdin)}
sys.exit(0 if all(st.get(c) == "Completed" for c in ("tw-camp", "tx-camp", "sim-camp")) else 1)'
}
host_killed=0 runs_failed=0 rc_a= rc_b= rc5= killed_spooled= restarted_port= agent_sent= done_at=
for i in $(seq 0 30); do
	now=$(minutes_after $T0 $((i * STEP)))
	echo "$now" >"$TMP/now"
	for f in TW TX; do
		u=${f}_URL
		fake_ctl "${!u}" /_control/config "{\"clock\":$(date -u -d "$now" +%s)}" >/dev/null
	done
	if [ "$i" = 1 ]; then
		# a runner whose function secret is unset: exit 5, nothing dialed
		# on Twilio or Telnyx, their campaigns as they were
		clone_ci "$TMP/run-c"
		env -u GITDIAL_FN_SECRET GITDIAL_SIM_HOOK_SECRET="$HOOK_SECRET" \
			GITDIAL_SIM_DIR="$TMP/carrier" "$GITDIAL" tick --repo "$TMP/run-c" \
			--remote origin --now "$now" >"$TMP/c.out" 2>"$TMP/c.err"
		rc5=$?
		"$GITDIAL" list --repo "$TMP/run-c" --now "$now" >"$TMP/c.list" 2>&1
	fi
	runner_a "$now" &
	pa=$!
	runner_b "$now" &
	pb=$!
	wait $pa; rc_a=$?
	wait $pb; rc_b=$?
	[ "$rc_a" = 0 ] && [ "$rc_b" = 0 ] || {
		runs_failed=$((runs_failed + 1))
		echo "# round $i: runner A exit $rc_a, runner B exit $rc_b"
		tail -3 "$TMP/a.err" "$TMP/b.err"
	}
	if [ "$i" = 3 ]; then
		# the webhook host dies: its ingest first (so what the fakes now
		# deliver stays spooled, not committed), then lighttpd and its
		# FastCGI processes, all with SIGKILL
		kill_ingest
		flush
		killed_spooled=$(spool_count "$SP")
		HOST_PIDS=$(for r in twilio telnyx whatsapp agent sim; do fcgi_pids $r; done)
		host_killed=$(echo $HOST_PIDS | wc -w)
		kill -9 "$WEB_LPID" $HOST_PIDS 2>/dev/null
		wait "$WEB_LPID" 2>/dev/null
		wait_for gone $HOST_PIDS
		# restarted as it was (same port; the clock moved on)
		HOST_NOW=$now
		sed -i "s/\"GITDIAL_NOW\" => \"[^\"]*\"/\"GITDIAL_NOW\" => \"$HOST_NOW\"/" "$TMP/lighttpd.conf"
		/usr/sbin/lighttpd -D -f "$TMP/lighttpd.conf" >>"$TMP/lighttpd.out" 2>&1 &
		WEB_LPID=$!
		WEB_PIDS+=($WEB_LPID)
		wait_for curl -s -o /dev/null "$WEB_URL/" && restarted_port=$WEB_PORT
		ingest_loop &
		ING=$!
		WEB_PIDS+=($ING)
	else
		flush
	fi
	# the agent reports an opt-out for a Twilio call that connected
	if [ -z "$agent_sent" ] &&
	   aid=$(git -C "$TMP/run-a" grep -h '"event":"outcome"' HEAD -- outcomes/tw-camp 2>/dev/null |
		grep '"outcome":"connected"' | grep -o '"attempt_id":"[^"]*"' | head -1 | cut -d'"' -f4) &&
	   [ -n "$aid" ]; then
		cid=$(git -C "$TMP/run-a" grep -h "\"attempt_id\":\"$aid\"" HEAD -- outcomes/tw-camp |
			grep -o '"call_id":"[^"]*"' | head -1 | cut -d'"' -f4)
		printf '{"call_id":"%s","attempt_id":"%s","sentiment":"negative","summary":"Asked not to be called again.","opt_out":true,"ts":"%s"}' \
			"$cid" "$aid" "$now" >"$TMP/agent.json"
		agent_sent=$(post_hook /agent "$TMP/agent.json" "Content-Type: application/json" \
			"X-Gitdial-Signature: $("$PY" "$FAKE_DIR/sign.py" hmac "$AGENT_SECRET" "$TMP/agent.json")")
		agent_phone=$(git -C "$TMP/run-a" grep -h "\"attempt_id\":\"$aid\"" HEAD -- outcomes/tw-camp |
			grep '"dispatched"' | grep -o '"phone":"[^"]*"' | cut -d'"' -f4)
	fi
	echo "# round $i ($now) done at $(date +%T.%N | cut -c1-12)"
	clone_ci "$TMP/peek" && all_done "$TMP/peek" "$now" && { done_at=$i; break; }
done
# the host's last word: stop the loop, one more ingest
touch "$TMP/stop-ingest"
wait "$ING" 2>/dev/null
"$GITDIAL" ingest --repo "$WH" --remote origin --spool "$SP" --now "$(cat "$TMP/now")" \
	>>"$TMP/ingest.out" 2>>"$TMP/ingest.err"
expect_eq "the host's last ingest exits 0" 0 $?

ok_if "the three campaigns complete with runners from fresh clones (round $done_at)" test -n "$done_at"
# the runners hold no provider credentials: the Twilio and Telnyx
# accounts' remote functions resolve theirs on the webhook host
expect_eq "every run of both runners exits 0 (no provider credentials on them)" 0 "$runs_failed"
expect_eq "a runner without the function secret exits 5" 5 "$rc5"
expect_grep "... naming the reference" 'accounts\.(tw|tx)-main\.function_secret: env:GITDIAL_FN_SECRET does not resolve' "$TMP/c.err"
ok_if "... and neither campaign of those accounts is Failed" sh -c \
	"grep -q tw-camp '$TMP/c.list' && ! grep -E 'tw-camp|tx-camp' '$TMP/c.list' | grep -q Failed"
ok_if "the webhook host was killed with events spooled and not committed ($killed_spooled)" \
	test "${killed_spooled:-0}" -gt 0
ok_if "... lighttpd and its FastCGI processes ($host_killed) all killed" test "$host_killed" -ge 5
expect_eq "... and came back on its port" "$WEB_PORT" "$restarted_port"
expect_eq "the agent's signed opt-out was accepted" 200 "$agent_sent"
ok_if "every provider delivery was accepted by the webhook host" "$PY" - "$TMP/deliveries.json" <<'EOF'
import json, sys
n = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    for d in json.loads(line):
        n += 1
        assert d["status"] in (200, 204), d
assert n > 20, n
EOF

clone_ci "$TMP/check"
log() { git -C "$TMP/check" grep -h "$2" HEAD -- "outcomes/$1"; }
for c in tw-camp tx-camp sim-camp; do
	expect_eq "$c: one outcome per dispatch, none twice" \
		"$(log $c '"dispatched"' | wc -l)" "$(log $c '"event":"outcome"' | wc -l)"
	expect_eq "$c: no outcome lost (none closed as lost)" 0 "$(log $c '"kind":"lost"' | wc -l)"
	ok_if "$c: every row accounted for, no double dial (audit)" $AUDIT "$TMP/check" $c --complete
done
ok_if "the outcomes came from webhooks, not status lookups (sim: signed by its account; Telnyx: a hangup cause)" \
	"$PY" - "$TMP/check" <<'EOF'
import json, subprocess, sys
out = subprocess.run(["git", "-C", sys.argv[1], "grep", "-h", "", "HEAD", "--", "outcomes"],
                     capture_output=True, text=True).stdout
ev = [json.loads(l) for l in out.splitlines()]
for e in ev:
    if e["event"] != "outcome" or e.get("error") is not None:
        continue
    if e["campaign"] == "sim-camp":
        assert e.get("account") == "sim-main", e
    if e["campaign"] == "tx-camp":
        assert not e.get("reason", "").startswith("from the call's status"), e
EOF
last() { # CAMPAIGN PHONE: "outcome answered_by" of the number's last attempt
	"$PY" - "$TMP/check" "$1" "$2" <<'EOF'
import json, subprocess, sys
r, c, phone = sys.argv[1:4]
out = subprocess.run(["git", "-C", r, "grep", "-h", "", "HEAD", "--", "outcomes/" + c],
                     capture_output=True, text=True).stdout
att = {}
for line in out.splitlines():
    e = json.loads(line)
    if e["event"] == "dispatched" and e["phone"] == phone:
        att[e["attempt_id"]] = None
    elif e["event"] == "outcome" and e.get("attempt_id") in att:
        att[e["attempt_id"]] = e
last = [att[a] for a in sorted(att) if att[a]][-1]
print(last["outcome"], last.get("answered_by", "-"))
EOF
}
expect_eq "Twilio: a person connected (AMD: human)" "connected human" "$(last tw-camp +14155550110)"
expect_eq "Twilio: busy" "busy -" "$(last tw-camp +14155550114)"
ok_if "Twilio: the machine's AMD result is in the log" sh -c \
	"test \"\$(echo '$(last tw-camp +14155550117)' | cut -d' ' -f2 | cut -c1-7)\" = machine"
expect_eq "Telnyx: a person connected" "connected" "$(last tx-camp +14155550210 | cut -d' ' -f1)"
expect_eq "Telnyx: no answer" "no_answer" "$(last tx-camp +14155550215 | cut -d' ' -f1)"
ok_if "Telnyx: the machine's AMD result is in the log" sh -c \
	"test \"\$(echo '$(last tx-camp +14155550217)' | cut -d' ' -f2 | cut -c1-7)\" = machine"
ok_if "sim: an analysis for every call it connected for 5 s or more (webhooks to /sim)" \
	"$PY" - "$TMP/check" <<'EOF'
import json, subprocess, sys
out = subprocess.run(["git", "-C", sys.argv[1], "grep", "-h", "", "HEAD", "--", "outcomes/sim-camp"],
                     capture_output=True, text=True).stdout
ev = [json.loads(l) for l in out.splitlines()]
want = {e["attempt_id"] for e in ev if e["event"] == "outcome" and e.get("connected")
        and e.get("duration_s", 0) >= 5}
got = [e["attempt_id"] for e in ev if e["event"] == "analysis"]
assert want and set(got) == want and len(got) == len(want), (len(want), len(got))
EOF
expect_eq "the agent's opt-out is in the log" 1 \
	"$(log tw-camp '"event":"analysis"' | grep '"opt_out":true' | grep -c "\"attempt_id\":\"${aid:-none}\"")"
ok_if "... and its number ($agent_phone) is in dnc/" sh -c \
	"test -n '$agent_phone' && git -C '$TMP/check' grep -q -F -- '$agent_phone' HEAD -- dnc"
ok_if "the sim's own opt-outs are in dnc/ too" "$PY" - "$TMP/check" <<'EOF'
import json, subprocess, sys
r = sys.argv[1]
g = lambda p: subprocess.run(["git", "-C", r, "grep", "-h", "", "HEAD", "--", p],
                             capture_output=True, text=True).stdout
ev = [json.loads(l) for l in g("outcomes/sim-camp").splitlines()]
phone = {e["attempt_id"]: e["phone"] for e in ev if e["event"] == "dispatched"}
dnc = g("dnc")
for e in ev:
    if e["event"] == "analysis" and e.get("opt_out"):
        assert phone[e["attempt_id"]] in dnc, e
EOF
expect_eq "the webhook host's spool is drained" 0 "$(spool_count "$SP")"
expect_eq "nothing was quarantined" 0 "$(spool_count "$SP/quarantine")"
ok_if "the runners never had a spool" sh -c "! ls -d $TMP/run-*/.git/gitdial/spool/*.json 2>/dev/null"
ok_if "the fakes never delivered to a runner (every delivery went to the host)" sh -c \
	"! grep -v '\"url\": \"$WEB_URL/' '$TMP/deliveries.json' | grep -q '\"url\"'"
ok_if "the ingest commits are the runner's, named ingest" sh -c \
	"git -C '$TMP/check' log --format=%s --author='gitdial runner' | grep -q '^ingest: '"
ok_if "no sanitizer report from the FastCGI side" sh -c \
	"! grep -l 'ERROR:' '$FCGI_SAN'/asan.* 2>/dev/null && test -z \"\$(ls -A '$SAN_DIR')\""
ok_if "git fsck of the server's repository is clean" git -C "$TMP/srv/calls.git" fsck --strict
finish
