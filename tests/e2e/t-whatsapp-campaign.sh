#!/usr/bin/env bash
# The init template's WhatsApp sample campaign, end to end through Meta's
# wire formats: `gitdial init`, schedule, then `gitdial tick --now` ->
# gitdial-whatsapp (call permission, the agent's SDP offer, connect) -> the
# fake Graph API -> webhooks signed with X-Hub-Signature-256 delivered to
# lighttpd (/whatsapp, CGI) -> spool -> the next tick commits them. Faults
# on the way (the permission API rate limited, a 500 on connect, a connect
# whose answer is lost after the call was created) end with no double
# dial and every row accounted for; the recipient without call permission
# fails with no_call_permission, gets one permission request, and is never
# dialed or retried.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

TOKEN=EAAGtest-token-5d1f
APP_SECRET=wa-app-secret-77e2
VERIFY=wa-verify-token-19
AGENT_SECRET=agent-secret-0b3c
PNID=106540352242922
PUB=https://hooks.example.com/gd
R=$TMP/repo
SPOOL=$R/.git/gitdial/spool
CAMP=whatsapp-followup
export WHATSAPP_ACCESS_TOKEN=$TOKEN WHATSAPP_APP_SECRET=$APP_SECRET \
	WHATSAPP_VERIFY_TOKEN=$VERIFY GITDIAL_AGENT_SECRET=$AGENT_SECRET
fake_start WA whatsapp --access-token "$TOKEN" --app-secret "$APP_SECRET" \
	--agent-secret "$AGENT_SECRET" --phone-number-id "$PNID" || exit 1
new_repo "$R" || exit 1
mkdir -p "$SPOOL"
# the CGI side runs the plain build when there is one (t-webhook-whatsapp.sh
# runs the sanitizer build of the same paths); the tick runs sanitized
[ -x "$TOP/build/bin/gitdial-whatsapp" ] && BIN=$TOP/build/bin
web_start GITDIAL_REPO="$R" GITDIAL_SPOOL="$SPOOL" WHATSAPP_APP_SECRET="$APP_SECRET" \
	WHATSAPP_VERIFY_TOKEN="$VERIFY" WHATSAPP_ACCESS_TOKEN="$TOKEN" \
	GITDIAL_AGENT_SECRET="$AGENT_SECRET" || exit 1
ok_if "the template has the WhatsApp sample campaign as a draft" \
	grep -q '"status": "draft"' "$R/campaigns/$CAMP/campaign.json"
# the test's endpoints: Graph and the agent's media endpoint on the fake
"$PY" - "$R" "$WA_URL" "$PUB" <<'EOF'
import json, sys
r, api, pub = sys.argv[1:4]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["whatsapp-main"]["api_base"] = api + "/v25.0"
g["agent"]["media_url"] = api + "/_agent/media"
g["webhook_base_url"] = pub
json.dump(g, open(r + "/gitdial.json", "w"), ensure_ascii=False, indent=2)
# outside the 24-hour window Meta takes only the approved template
p = r + "/campaigns/whatsapp-followup/campaign.json"
c = json.load(open(p))
c["whatsapp"]["permission_template"] = "order_call_permission"
c["whatsapp"]["permission_template_language"] = "en_US"
json.dump(c, open(p, "w"), ensure_ascii=False, indent=2)
EOF
git_commit_all "$R" "point whatsapp-main at the test's Graph API"
T0=2026-11-24T18:00:00Z   # 10:00 in California
schedule "$R" "$CAMP" $T0
# +14155550177 has not written to the business for more than 24 hours
fake_ctl "$WA_URL" /_control/config '{"webhook_url":"'"$WEB_URL/whatsapp"'",
	"closed":["14155550177"],"templates":["order_call_permission"]}' >/dev/null

# Meta's subscription handshake against the same route
got=$(curl -sS "$WEB_URL/whatsapp?hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=$VERIFY")
expect_eq "the webhook answers Meta's handshake with the challenge" 1158201444 "$got"

# faults on the first tick (three calls): the permission API rate limited
# once, a 500 on one connect, and one connect created but never answered
fake_ctl "$WA_URL" /_control/faults \
	'{"permission":["429"],"create":["500","reset_after_create"]}' >/dev/null
"$GITDIAL" validate --repo "$R" >"$TMP/validate.out" 2>&1
ok_if "the repository validates" test $? -eq 0
done_at=
for i in $(seq 0 40); do
	now=$(minutes_after $T0 $((i * 3)))
	fake_ctl "$WA_URL" /_control/config "{\"clock\":$(date -u -d "$now" +%s)}" >/dev/null
	out=$(GITDIAL_HTTP_TIMEOUT_MS=2000 "$GITDIAL" tick --repo "$R" --now "$now" \
		--format json 2>>"$TMP/tick.err") || {
		echo "# tick $i failed"; tail -5 "$TMP/tick.err"; break; }
	# every delivery twice, and every other tick each call's in reverse
	fake_ctl "$WA_URL" /_control/flush "{\"duplicate\":true,\"reverse\":$([ $((i % 2)) = 1 ] &&
		echo true || echo false)}" >>"$TMP/deliveries.json"
	echo >>"$TMP/deliveries.json"
	case $out in *'"status":"completed"'*) done_at=$i; break ;; esac
done
ok_if "the campaign completes (tick $done_at)" test -n "$done_at"
ok_if "every webhook delivery was accepted (200)" "$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    for d in json.loads(line) if line.strip() else []:
        assert d["status"] == 200, d' "$TMP/deliveries.json"
ok_if "no double dial, every row accounted for, events once (audit)" $AUDIT "$R" "$CAMP" --complete
log() { git -C "$R" grep -h "$1" HEAD -- "outcomes/$CAMP"; }
calls() { fake_ctl "$WA_URL" /_control/calls; }
per_number=$(calls | "$PY" -c '
import collections, json, sys
c = collections.Counter(x["to"] for x in json.load(sys.stdin))
print(" ".join("%s:%d" % (n, c["1415555017" + n]) for n in "0145678"))')
expect_eq "Meta was asked to call each number as often as its fate allows" \
	"0:1 1:1 4:2 5:2 6:0 7:0 8:1" "$per_number"
ok_if "each call carries its own attempt id (no attempt dialed twice)" sh -c "
	curl -sS '$WA_URL/_control/calls' | '$PY' -c '
import collections, json, sys
c = collections.Counter(x[\"opaque\"] for x in json.load(sys.stdin))
assert c and max(c.values()) == 1, c'"
last() { # PHONE: attempts that counted (not refused for load), then the
	# last attempt's outcome, error kind/code and duration
	"$PY" - "$R" "$CAMP" "$1" <<'EOF'
import json, subprocess, sys
r, camp, phone = sys.argv[1:4]
out = subprocess.run(["git", "-C", r, "grep", "-h", "", "HEAD", "--", "outcomes/" + camp],
                     capture_output=True, text=True).stdout
evs = [json.loads(line) for line in out.splitlines()]
# files are read in path order, which is not time order within a minute
att = {e["attempt_id"]: None for e in evs if e["event"] == "dispatched" and e["phone"] == phone}
for e in sorted(evs, key=lambda e: e["ts"]):
    if e["event"] == "outcome" and e.get("attempt_id") in att and att[e["attempt_id"]] is None:
        att[e["attempt_id"]] = e
ends = [att[a] for a in sorted(att, key=lambda a: int(a.rsplit(".", 1)[1])) if att[a]]
e = ends[-1]
err = e.get("error") or {}
counted = [o for o in ends if (o.get("error") or {}).get("kind") not in ("transient", "rate_limited")]
print(len(counted), e["outcome"], err.get("kind", "-"), err.get("code", "-"), e["duration_s"])
EOF
}
expect_eq "+14155550170: picked up, connected 45 s" "1 connected - - 45" "$(last +14155550170)"
expect_eq "+14155550171: picked up, connected 45 s" "1 connected - - 45" "$(last +14155550171)"
expect_eq "+14155550174: declined twice, no_answer (retried once)" "2 no_answer - - 0" "$(last +14155550174)"
expect_eq "+14155550175: unanswered twice, no_answer (retried once)" "2 no_answer - - 0" "$(last +14155550175)"
expect_eq "+14155550176: uncallable (138001), failed and not retried" \
	"1 failed invalid_number 138001 0" "$(last +14155550176)"
expect_eq "+14155550177: no call permission, failed once, never retried" \
	"1 failed no_call_permission no_permission 0" "$(last +14155550177)"
expect_eq "+14155550178: picked up for 2 s, hangup" "1 hangup - - 2" "$(last +14155550178)"
msgs=$(fake_ctl "$WA_URL" /_control/messages | "$PY" -c '
import json, sys
print(" | ".join("%s %s %s" % (m["to"], m.get("template"), m.get("language"))
                 for m in json.load(sys.stdin)))')
expect_eq "one call-permission request, to the number without permission, by campaign.json's template (outside the 24-hour window)" \
	"14155550177 order_call_permission en_US" "$msgs"
expect_eq "... after Meta refused the free-form request with the campaign's text (131047)" \
	"14155550177 We would like to call you about your recent order. May we?" \
	"$(fake_ctl "$WA_URL" /_control/requests | "$PY" -c '
import json, sys
for r in json.load(sys.stdin):
    if r["op"] == "message" and "interactive" in r["body"]:
        b = json.loads(r["body"]); print(b["to"], b["interactive"]["body"]["text"])')"
# every call Meta made ended as that call in the log, the one whose connect
# answer was lost included (its attempt never got a placed event from dial)
ok_if "every call Meta made is its attempt's outcome, with Meta's call id" sh -c "
	curl -sS '$WA_URL/_control/calls' >'$TMP/calls.json'
	git -C '$R' grep -h '\"outcome\"' HEAD -- 'outcomes/$CAMP' >'$TMP/outcomes.jsonl'
	'$PY' -c '
import json, sys
calls = json.load(open(sys.argv[1]))
outs = {}
for l in open(sys.argv[2]):
    e = json.loads(l); outs.setdefault(e[\"attempt_id\"], e)
for c in calls:
    o = outs.get(c[\"opaque\"])
    assert o and o.get(\"call_id\") == c[\"id\"], (c[\"opaque\"], o)
' '$TMP/calls.json' '$TMP/outcomes.jsonl'"
expect_eq "the create whose answer was lost was resolved without a placed event" 1 \
	"$(log '"placed"' | "$PY" -c '
import json, sys
placed = set(json.loads(l)["attempt_id"] for l in sys.stdin)
calls = json.load(open(sys.argv[1]))
print(len([c for c in calls if c["opaque"] not in placed]))' "$TMP/calls.json")"
ok_if "the refused connect (500) and the rate-limited permission check were retried, not counted" \
	sh -c "git -C '$R' grep -h '\"outcome\"' HEAD -- 'outcomes/$CAMP' | grep -c '\"kind\":\"transient\"\\|\"kind\":\"rate_limited\"' | grep -qx 2"
answered=$("$PY" -c '
import json, sys
print(len([c for c in json.load(open(sys.argv[1])) if c["fate"] in ("human", "short")]))' "$TMP/calls.json")
connects=$(fake_ctl "$WA_URL" /_control/requests | "$PY" -c '
import json, sys
print(len([r for r in json.load(sys.stdin) if r["op"] == "calls" and "\"connect\"" in r["body"]]))')
ok_if "the agent gave an offer for each of the $connects connects, and got at most one answer per picked-up call ($answered)" \
	sh -c "curl -sS '$WA_URL/_control/agent' | '$PY' -c '
import collections, json, sys
a = json.load(sys.stdin)
offers = [d for d in a if d[\"event\"] == \"whatsapp.offer\"]
answers = collections.Counter(d[\"attempt_id\"] for d in a if d[\"event\"] == \"whatsapp.answer\")
assert len(offers) == $connects, len(offers)
assert answers and max(answers.values()) == 1 and len(answers) <= $answered, answers
'"
ok_if "every connect sent the agent's SDP offer and the attempt id as biz_opaque_callback_data" \
	sh -c "curl -sS '$WA_URL/_control/requests' | '$PY' -c '
import json, sys
rs = [r for r in json.load(sys.stdin) if r[\"op\"] == \"calls\"]
assert rs
for r in rs:
    assert r[\"auth_ok\"], r
    b = json.loads(r[\"body\"])
    assert b[\"messaging_product\"] == \"whatsapp\" and b[\"action\"] == \"connect\"
    assert b[\"session\"][\"sdp_type\"] == \"offer\" and b[\"session\"][\"sdp\"].startswith(\"v=0\")
    assert b[\"biz_opaque_callback_data\"].startswith(\"whatsapp-followup.1415555017\")
    assert b[\"to\"].startswith(\"1415555017\")
'"
ok_if "the permission check preceded every connect (Bearer, user_wa_id)" sh -c "
	curl -sS '$WA_URL/_control/requests' | '$PY' -c '
import json, sys
seen = set()
for r in json.load(sys.stdin):
    assert r[\"auth_ok\"], r
    if r[\"op\"] == \"permission\":
        seen.add(r[\"body\"].split(\"user_wa_id=\")[1])
    if r[\"op\"] == \"calls\":
        assert json.loads(r[\"body\"])[\"to\"] in seen, r
'"
expect_eq "the spool is drained" 0 "$(spool_count "$SPOOL")"
ok_if "git fsck is clean" git -C "$R" fsck --strict
# the whatsapp block belongs to WhatsApp accounts: on a sim campaign it is an error
cp -r "$R" "$TMP/r2"
"$PY" - "$TMP/r2/campaigns/nov-reminders/campaign.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["whatsapp"] = {"request_permission": True}
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
"$GITDIAL" validate --repo "$TMP/r2" >"$TMP/v2.out" 2>&1
expect_eq "validate: a whatsapp block on a sim campaign fails (exit 1)" 1 "$?"
expect_grep "... naming the file, line and field" \
	'^campaigns/nov-reminders/campaign.json:[0-9]+: error: whatsapp: is only for a whatsapp account' "$TMP/v2.out"
ok_if "lighttpd logged no CGI failure" sh -c "! grep -i 'cgi.*died\|aborted' '$TMP/lighttpd.err'"
finish
