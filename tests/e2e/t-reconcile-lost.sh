#!/usr/bin/env bash
# Webhooks that never arrive: every call is closed by the tick's status
# lookup (reconcile), with a whole outcome event (v, ts, campaign, event,
# attempt_id, call_id) that closes its attempt once; the campaign
# completes and the log stops growing. (A status answer's outcome holds
# only the outcome's fields: committing it as it came once wrote lines
# that closed nothing, again at every tick.)
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

SID=AC0123456789abcdef0123456789abcdef
TOKEN=tw-secret-token-5d1f
PUB=https://hooks.example.com/gd
R=$TMP/repo
export TW_SID=$SID TW_TOKEN=$TOKEN
fake_start TW twilio --account-sid "$SID" --auth-token "$TOKEN" || exit 1
new_repo "$R" >/dev/null || exit 1
rm -rf "$R/campaigns/ramadan-survey" "$R/campaigns/nov-reminders"
"$PY" - "$R" "$TW_URL" "$PUB" <<'EOF'
import json, os, sys
r, api, pub = sys.argv[1:4]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["tw-main"] = {
    "provider": "twilio", "caller_ids": ["+14155550100"], "max_concurrency": 4,
    "cps": 10, "api_base": api,
    "credentials": {"account_sid": "env:TW_SID", "auth_token": "env:TW_TOKEN"}}
g["webhook_base_url"] = pub
json.dump(g, open(r + "/gitdial.json", "w"), ensure_ascii=False, indent=2)
os.makedirs(r + "/campaigns/tw-lost")
with open(r + "/campaigns/tw-lost/audience.csv", "w") as f:
    f.write("phone,name\n")
    for i in (0, 1, 4, 5, 9):  # human, human, busy, no answer, human
        f.write("+1415555%04d,Person %d\n" % (110 + i, i))
json.dump({"name": "Lost webhooks", "status": "draft", "account": "tw-main",
           "caller_id": "+14155550100",
           "script": {"mode": "override", "text": "Hello {{name}}."},
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 4, "ring_timeout_s": 30, "max_call_minutes": 2}},
          open(r + "/campaigns/tw-lost/campaign.json", "w"), indent=2)
EOF
git_commit_all "$R" "a Twilio campaign whose webhooks are lost"
T0=2026-11-24T18:00:00Z
schedule "$R" tw-lost $T0
# every callback goes to a port nobody listens on: lost, as when the
# webhook host is down or misconfigured
fake_ctl "$TW_URL" /_control/config '{"caller_ids":["+14155550100"],
	"deliver":{"'"$PUB"'":"http://127.0.0.1:9"}}' >/dev/null
done_at=
for i in $(seq 0 30); do
	now=$(minutes_after $T0 $((i * 2)))
	fake_ctl "$TW_URL" /_control/config "{\"clock\":$(date -u -d "$now" +%s)}" >/dev/null
	out=$("$GITDIAL" tick --repo "$R" --now "$now" --format json 2>>"$TMP/tick.err") || {
		echo "# tick $i failed"; tail -5 "$TMP/tick.err"; break; }
	fake_ctl "$TW_URL" /_control/flush '{}' >>"$TMP/deliveries.json"
	case $out in *'"status":"completed"'*) done_at=$i; break ;; esac
done
ok_if "the campaign completes with no webhook delivered (tick $done_at)" test -n "$done_at"
ok_if "no delivery reached anyone" sh -c "! grep -q '\"status\": 2' '$TMP/deliveries.json'"
log() { git -C "$R" grep -h "$1" HEAD -- outcomes/tw-lost; }
expect_eq "one outcome per dispatch" "$(log '"dispatched"' | wc -l)" "$(log '"event":"outcome"' | wc -l)"
ok_if "every outcome line is a whole event naming its attempt" "$PY" - "$R" <<'EOF'
import json, subprocess, sys
out = subprocess.run(["git", "-C", sys.argv[1], "grep", "-h", "", "HEAD", "--",
                      "outcomes/tw-lost"], capture_output=True, text=True).stdout
disp = set()
for line in out.splitlines():
    e = json.loads(line)
    if e["event"] == "dispatched":
        disp.add(e["attempt_id"])
for line in out.splitlines():
    e = json.loads(line)
    if e.get("outcome") is None:
        continue
    for k in ("v", "ts", "campaign", "event", "attempt_id"):
        assert k in e, (k, line)
    assert e["event"] == "outcome" and e["campaign"] == "tw-lost", line
    assert e["attempt_id"] in disp, line
    assert e.get("call_id", "").startswith("CA"), line
EOF
expect_eq "a person's call, found by status: connected" 1 \
	"$(log '"event":"outcome"' | grep '"tw-lost.14155550110.1"' | grep -c '"outcome":"connected"')"
before=$(git -C "$R" rev-list --count HEAD)
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 120)" >/dev/null 2>>"$TMP/tick.err"
expect_eq "a tick after completion commits nothing" "$before" "$(git -C "$R" rev-list --count HEAD)"
# the webhook host comes back and its real outcome for an attempt the
# status lookup closed arrives late: the first outcome stands
busy=tw-lost.14155550114.1
first=$(log '"event":"outcome"' | grep "\"$busy\"")
mkdir -p "$R/.git/gitdial/spool"
printf '{"v":1,"ts":"%s","campaign":"tw-lost","event":"outcome","attempt_id":"%s","outcome":"connected","duration_s":30,"answered":true}\n' \
	"$(minutes_after $T0 121)" "$busy" >"$R/.git/gitdial/spool/1764000000.000000001.1.1.json"
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 122)" >/dev/null 2>>"$TMP/tick.err"
expect_eq "a late real outcome after the attempt was closed: nothing committed" \
	"$before" "$(git -C "$R" rev-list --count HEAD)"
expect_eq "... the first outcome stands, once" "$first" "$(log '"event":"outcome"' | grep "\"$busy\"")"
expect_eq "... nobody dialed again" "$(log '"dispatched"' | wc -l)" \
	"$(fake_ctl "$TW_URL" /_control/calls | "$PY" -c 'import json,sys; print(len(json.load(sys.stdin)))')"
expect_eq "... and its spool file is gone from the spool" 0 \
	"$(find "$R/.git/gitdial/spool" -maxdepth 1 -name '*.json' | wc -l)"
finish
