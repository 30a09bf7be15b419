#!/usr/bin/env bash
# A whole campaign through Twilio's wire formats, with nothing simulated
# inside gitdial: `gitdial tick` calls the account's remote function
# (lighttpd -> gitdial-twilio as CGI at /twilio/fn), which dials the fake
# Twilio; the fake sends signed status and AMD callbacks for the public
# URL to lighttpd (/twilio), which spools them; the next tick commits them.
# Faults on the way (a 429, a 500, a reset after the call was created, a
# timeout after the call was created) end with no double dial and every
# row accounted for in the committed log.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
FN_SECRET=fn-shared-secret-42
PUB=https://hooks.example.com/gd
R=$TMP/repo
SPOOL=$R/.git/gitdial/spool
export TW_SID=$SID TW_TOKEN=$TOKEN GITDIAL_FN_SECRET=$FN_SECRET
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
new_repo "$R" >/dev/null || exit 1
rm -rf "$R/campaigns/ramadan-survey" "$R/campaigns/nov-reminders"
mkdir -p "$SPOOL"
# the CGI side runs the plain build here (the sanitizer builds of the same
# paths run in t-webhook-*.sh); the tick itself runs sanitized
[ -x "$TOP/build/bin/gitdial-twilio" ] && BIN=$TOP/build/bin
web_start GITDIAL_REPO="$R" GITDIAL_SPOOL="$SPOOL" TW_SID="$SID" TW_TOKEN="$TOKEN" \
	GITDIAL_FUNCTION_SECRET=env:TW_FN_SECRET TW_FN_SECRET="$FN_SECRET" \
	GITDIAL_HTTP_TIMEOUT_MS=1500 || exit 1
"$PY" - "$R" "$TW_URL" "$WEB_URL" "$PUB" <<'EOF'
import json, sys
r, api, web, pub = sys.argv[1:5]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["tw-main"] = {
    "provider": "twilio", "caller_ids": ["+14155550100"], "max_concurrency": 6,
    # cps 2: remote calls go out side by side (curl multi), and the
    # fake hands out its faults in arrival order, so the creates must
    # arrive in audience order for each fault to hit its number
    "cps": 2, "api_base": api, "function": web + "/twilio/fn",
    "function_secret": "env:GITDIAL_FN_SECRET",
    "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"}}
g["webhook_base_url"] = pub
json.dump(g, open(r + "/gitdial.json", "w"), ensure_ascii=False, indent=2)
import os
os.makedirs(r + "/campaigns/tw-camp")
# the fake's fate is the number's last digit: 0-3 human, 4 busy,
# 5 no answer, 6 failed, 7 machine, 8 picked up for 2 s, 9 human
with open(r + "/campaigns/tw-camp/audience.csv", "w") as f:
    f.write("phone,name\n")
    for i in range(10):
        f.write("+1415555%04d,Person %d\n" % (110 + i, i))
json.dump({"name": "Twilio end to end", "status": "draft", "account": "tw-main",
           "caller_id": "+14155550100",
           "script": {"mode": "override", "text": "Hello {{name}}, a reminder."},
           "audience": {"csv": "audience.csv"},
           "voicemail_message": {"en": "Hi {{name}}, please call us back."},
           "pacing": {"concurrency": 6, "voicemail": "leave_message",
                      "retries": {"max": 1, "cooldown_minutes": 5,
                                  "on": ["no_answer", "busy", "voicemail"]}}},
          open(r + "/campaigns/tw-camp/campaign.json", "w"), indent=2)
EOF
git_commit_all "$R" "a Twilio campaign"
T0=2026-11-24T18:00:00Z   # 10:00 in California
schedule "$R" tw-camp $T0
fake_ctl "$TW_URL" /_control/config '{"caller_ids":["+14155550100"],
	"deliver":{"'"$PUB"'":"'"$WEB_URL"'"}}' >/dev/null
# faults on the first tick's creates (in audience order through the remote
# function): the 2nd is refused (429), the 3rd fails (500), the 4th is
# created but the connection drops, the 5th is created but answers too late
fake_ctl "$TW_URL" /_control/faults \
	'{"create":["latency:1","429","500","reset_after_create","timeout_after_create:2500"]}' >/dev/null

"$GITDIAL" validate --repo "$R" >"$TMP/validate.out" 2>&1
ok_if "the repository validates" test $? -eq 0
done_at=
for i in $(seq 0 40); do
	now=$(minutes_after $T0 $((i * 3)))
	fake_ctl "$TW_URL" /_control/config "{\"clock\":$(date -u -d "$now" +%s)}" >/dev/null
	out=$("$GITDIAL" tick --repo "$R" --now "$now" --format json 2>>"$TMP/tick.err") || {
		echo "# tick $i failed"; tail -5 "$TMP/tick.err"; break; }
	fake_ctl "$TW_URL" /_control/flush '{}' >>"$TMP/deliveries.json"
	case $out in *'"status":"completed"'*) done_at=$i; break ;; esac
done
ok_if "the campaign completes (tick $done_at)" test -n "$done_at"
ok_if "every webhook delivery was accepted" sh -c "! grep -qE '\"status\": (4|5)[0-9][0-9]|error' '$TMP/deliveries.json'"
ok_if "no double dial, every row accounted for, events once (audit)" $AUDIT "$R" tw-camp --complete
log() { git -C "$R" grep -h "$1" HEAD -- outcomes/tw-camp; }
calls=$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')
dispatched=$(log '"dispatched"' | wc -l)
refused=$(log '"code":"20429"\|"code":"20500"' | wc -l)
expect_eq "Twilio made one call per dispatch that reached it" "$calls" "$((dispatched - refused))"
per_number=$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import collections, json, sys
c = collections.Counter(x["to"] for x in json.load(sys.stdin)); print(max(c.values()))')
ok_if "no number was called more often than attempts allow ($per_number)" test "$per_number" -le 2
last() { # PHONE: the last outcome of that number
	"$PY" - "$R" "$1" <<'EOF'
import json, subprocess, sys
r, phone = sys.argv[1:3]
out = subprocess.run(["git", "-C", r, "grep", "-h", "", "HEAD", "--", "outcomes/tw-camp"],
                     capture_output=True, text=True).stdout
att = {}
for line in out.splitlines():
    e = json.loads(line)
    if e["event"] == "dispatched" and e["phone"] == phone:
        att[e["attempt_id"]] = None
    elif e["event"] == "outcome" and e.get("attempt_id") in att:
        att[e["attempt_id"]] = e
last = [att[a] for a in sorted(att) if att[a]][-1]
print(last["outcome"], last.get("answered_by", "-"), last["duration_s"])
EOF
}
expect_eq "a person: connected, 45 s" "connected human 45" "$(last +14155550110)"
expect_eq "busy" "busy - 0" "$(last +14155550114)"
expect_eq "no answer" "no_answer - 0" "$(last +14155550115)"
expect_eq "failed" "failed - 0" "$(last +14155550116)"
expect_eq "a machine: voicemail" "voicemail machine_end_beep 25" "$(last +14155550117)"
expect_eq "picked up and gone in 2 s: hangup" "hangup human 2" "$(last +14155550118)"
expect_eq "retried busy, no-answer and voicemail numbers twice, the rest once" \
	"2 2 2 1" "$(for p in 4 5 7 0; do log '"dispatched"' | grep -c "\"phone\":\"+1415555011$p\""; done | tr '\n' ' ' | sed 's/ $//')"
# the dropped create and the late one: the calls Twilio made were found
# (their webhooks or a status lookup), never dialed again for that attempt
for p in 3 4; do
	sid=$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c '
import json,sys; print([c["id"] for c in json.load(sys.stdin) if c["to"]==sys.argv[1]][0])' "+1415555011$p")
	expect_eq "a create with no answer (+1415555011$p): attempt 1 ended as Twilio's call $sid" "1" \
		"$(log '"outcome"' | grep "\"tw-camp.1415555011$p.1\"" | grep -c "\"call_id\":\"$sid\"")"
done
expect_eq "... and Twilio called each only as often as it was dispatched" "1 1 2 2" \
	"$(for p in 3 4; do echo "$(log '"dispatched"' | grep -c "\"phone\":\"+1415555011$p\"") $(fake_ctl "$TW_URL" /_control/calls | grep -o "\"to\": \"+1415555011$p\"" | wc -l)"; done | tr '\n' ' ' | sed 's/ $//')"
ok_if "the machine heard voicemail_message, rendered, after the beep" sh -c "fake_ctl() { curl -sS \"\$1\$2\"; }; \
	fake_ctl '$TW_URL' /_control/calls | grep -q 'Hi Person 7, please call us back.</Say><Hangup/>'"
ok_if "... and never the override script (instructions to the agent) by <Say>" sh -c "fake_ctl() { curl -sS \"\$1\$2\"; }; \
	! fake_ctl '$TW_URL' /_control/calls | grep -q 'a reminder.</Say>'"
expect_eq "the spool is drained" 0 "$(spool_count "$SPOOL")"
ok_if "git fsck is clean" git -C "$R" fsck --strict
finish
