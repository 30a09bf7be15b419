#!/usr/bin/env bash
# What a tick tells its scheduler, and what is not final when the fault
# is the runner's or the account's: exit codes (0 well, 3 a campaign
# failed or was paused by the runner, 4 a campaign not run, 5 the
# runner's configuration), an account error (kind `account`) that
# pauses the campaign without marking anyone and is resumed by an
# operator, a secret that does not resolve (nothing dialed, campaign
# unchanged, the next tick with it set carries on), and the spool's
# unusable files moved to quarantine/ with a warning.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

R=$TMP/repo
drafts_repo "$R" || exit 1
add_campaign "$R" geo 6 212 3 2
T0=2026-11-24T15:00:00Z
schedule "$R" geo $T0
log() { git -C "$R" grep -h "$1" HEAD -- outcomes/geo; }

# 1. the account refuses every call: paused, nobody marked, exit 3
GITDIAL_SIM_FAULT=account "$GITDIAL" tick --repo "$R" --now $T0 --format json >"$TMP/t1.json" 2>"$TMP/t1.err"
expect_eq "an account error exits 3" 3 $?
expect_eq "... and the JSON says so" "3 True" "$(jv "$TMP/t1.json" 'str(d["exit_code"]) + " " + str(d["campaign_failed_or_paused"])')"
expect_eq "the campaign is paused by the runner with the provider's code and hint" 1 \
	"$(log '"event":"status"' | grep '"status":"paused"' | grep -c '"reason":"account: .*21215.*hint: enable the country')"
expect_eq "each refused attempt is recorded with kind account" 3 "$(log '"kind":"account"' | wc -l)"
"$GITDIAL" show geo --repo "$R" --now "$(minutes_after $T0 1)" >"$TMP/show1" 2>&1
expect_grep "show says Paused" 'Paused' "$TMP/show1"
# 2. the pause holds without the fault; nothing dialed; exit 0
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 5)" >"$TMP/t2" 2>&1
expect_eq "a tick during the account pause exits 0" 0 $?
expect_eq "... and dials nobody" 3 "$(log '"dispatched"' | wc -l)"
# 3. resumed after the fix: the same people are dialed again (the refused
# attempts did not count), nobody twice at once
"$GITDIAL" resume geo --repo "$R" --author "Ops <ops@example.com>" --now "$(minutes_after $T0 50)" >"$TMP/resume" 2>&1
ok_if "gitdial resume takes it" grep -q geo "$TMP/resume"
for i in 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25; do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 10)))" >/dev/null 2>>"$TMP/t3.err" || true
done
ok_if "after resume every recipient got a real outcome" "$PY" - "$R" <<'EOF'
import json, subprocess, sys
out = subprocess.run(["git", "-C", sys.argv[1], "grep", "-h", "", "HEAD", "--", "outcomes/geo"],
                     capture_output=True, text=True).stdout
ev = [json.loads(l) for l in out.splitlines()]
phones = {e["phone"] for e in ev if e["event"] == "dispatched"}
real = {e["attempt_id"].rsplit(".", 1)[0] for e in ev if e["event"] == "outcome"
        and (e.get("error") or {}).get("kind") != "account"}
assert len(phones) == 6, phones
assert len(real) == 6, real
EOF

# 4. a secret that does not resolve on this runner: exit 5, nothing dialed,
# the campaign not Failed; with it set the next tick dials
R2=$TMP/repo2
new_repo "$R2" >/dev/null || exit 1
rm -rf "$R2/campaigns/ramadan-survey" "$R2/campaigns/nov-reminders"
"$PY" - "$R2" <<'EOF'
import json, sys
p = sys.argv[1] + "/gitdial.json"
g = json.load(open(p))
g["accounts"]["sim-main"]["webhook_secret"] = "env:GITDIAL_SIM_HOOK_SECRET"
g["webhook_base_url"] = "http://127.0.0.1:9/gd"   # nobody there: deliveries are lost
json.dump(g, open(p, "w"), indent=2)
EOF
git_commit_all "$R2" "the sim delivers webhooks"
add_campaign "$R2" sec 4 212 2 0
schedule "$R2" sec $T0
before=$(git -C "$R2" rev-list --count HEAD)
env -u GITDIAL_SIM_HOOK_SECRET "$GITDIAL" tick --repo "$R2" --now $T0 >"$TMP/t4" 2>"$TMP/t4.err"
expect_eq "a secret unset on this runner exits 5" 5 $?
expect_grep "... naming the reference, not a value" 'accounts\.sim-main\.webhook_secret: env:GITDIAL_SIM_HOOK_SECRET does not resolve' "$TMP/t4.err"
expect_eq "... nothing committed (nothing dialed, the campaign as it was)" "$before" "$(git -C "$R2" rev-list --count HEAD)"
"$GITDIAL" list --repo "$R2" --now $T0 >"$TMP/list4" 2>&1
ok_if "... the campaign is not Failed" sh -c "! grep -q Failed '$TMP/list4'"
GITDIAL_SIM_HOOK_SECRET=s3cret-hook-value "$GITDIAL" tick --repo "$R2" --now $T0 >"$TMP/t5" 2>"$TMP/t5.err"
expect_eq "with the secret set the next tick exits 0" 0 $?
expect_eq "... and dials" 2 "$(git -C "$R2" grep -h '"dispatched"' HEAD -- outcomes/sec | wc -l)"

# 5. a campaign that cannot be read: the others run, exit 4
add_campaign "$R2" other 2 212 2 0
schedule "$R2" other $T0
printf '{"name": "broken", ' >"$R2/campaigns/other/campaign.json"
git_commit_all "$R2" "a broken campaign"
GITDIAL_SIM_HOOK_SECRET=s3cret-hook-value "$GITDIAL" tick --repo "$R2" --now "$(minutes_after $T0 30)" >"$TMP/t6" 2>"$TMP/t6.err"
expect_eq "a campaign not run exits 4" 4 $?
expect_grep "... naming its file" 'not run: campaigns/other/campaign.json' "$TMP/t6.err"
expect_eq "... while the readable one went on" 4 "$(git -C "$R2" grep -h '"dispatched"' HEAD -- outcomes/sec | wc -l)"

# 6. unusable spool files: quarantined with a warning, the good one committed
S=$R/.git/gitdial/spool
mkdir -p "$S"
later=$(minutes_after $T0 400)
aid=$(log '"dispatched"' | head -1 | sed 's/.*"attempt_id":"\([^"]*\)".*/\1/')
printf 'not json' >"$S/1.bad-json.json"
head -c 70000 /dev/zero | tr '\0' 'x' >"$S/2.too-large.json"
printf '{"v":1,"ts":"2027-06-01T00:00:00Z","campaign":"geo","event":"outcome","attempt_id":"%s","outcome":"connected"}' "$aid" >"$S/3.future.json"
printf '{"v":1,"ts":"%s","campaign":"nosuch","event":"outcome","attempt_id":"nosuch.1212550.1","outcome":"connected"}' "$later" >"$S/4.unknown.json"
printf '{"v":1,"ts":"%s","campaign":"geo","event":"outcome","attempt_id":"geo.121255000000.9","outcome":"connected"}' "$later" >"$S/5.never-dispatched.json"
printf '{"v":1,"ts":"%s","campaign":"geo","event":"outcome","attempt_id":"%s","outcome":"connected","account":"twilio-other"}' "$later" "$aid" >"$S/6.other-account.json"
"$GITDIAL" tick --repo "$R" --now "$later" >"$TMP/t7" 2>"$TMP/t7.err"
for f in 1.bad-json 2.too-large 3.future 4.unknown 5.never-dispatched 6.other-account; do
	ok_if "spool/$f.json is moved to quarantine/" test -f "$S/quarantine/$f.json" -a ! -e "$S/$f.json"
done
expect_eq "each with a warning" 6 "$(grep -c 'moved to .*quarantine' "$TMP/t7.err")"
expect_grep "the warning says why" 'never dispatched' "$TMP/t7.err"
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 401)" >/dev/null 2>"$TMP/t8.err"
expect_eq "the next tick reads them no more" 0 "$(grep -c quarantine "$TMP/t8.err")"
# 7. a SIP trunk from an ephemeral runner (its calls would die with the job)
R3=$TMP/repo3
new_repo "$R3" >/dev/null || exit 1
schedule "$R3" sip-callback $T0
before=$(git -C "$R3" rev-list --count HEAD)
GITDIAL_EPHEMERAL=1 SIP_TRUNK_USER=u SIP_TRUNK_PASSWORD=p "$GITDIAL" tick --repo "$R3" --now $T0 >"$TMP/t9" 2>"$TMP/t9.err"
expect_eq "a local SIP trunk on an ephemeral runner exits 5" 5 $?
expect_grep "... saying why and what to do" 'accounts\.sip-trunk: a SIP trunk cannot be dialed from an ephemeral runner.*"function" URL' "$TMP/t9.err"
expect_eq "... and dials nothing" "$before" "$(git -C "$R3" rev-list --count HEAD)"
# 8. calls start only within the placing budget after their claim (90 s;
# past the 120 s grace another runner's reconcile may close a claim not
# yet placed): the rest end failed/not_started, not counted, redialed later
R4=$TMP/repo4
new_repo "$R4" >/dev/null || exit 1
rm -rf "$R4/campaigns/ramadan-survey" "$R4/campaigns/nov-reminders"
sed -i 's/"cps": 50/"cps": 1/' "$R4/gitdial.json"
git_commit_all "$R4" "one call a second"
add_campaign "$R4" slow 8 212 8 0
schedule "$R4" slow $T0
# the claim took 88 s (a hook sets it, not the machine's load): 2 s of
# the budget are left, so at 1 call/s calls start at 0, 1 and 2 s
GITDIAL_TEST_ELAPSED=claim=88 "$GITDIAL" tick --repo "$R4" --now $T0 >"$TMP/t10" 2>&1
expect_eq "a tick whose placing budget runs out exits 0" 0 $?
slow() { git -C "$R4" grep -h "$1" HEAD -- outcomes/slow | wc -l; }
placed=$(slow '"placed"') late=$(slow '"code":"not_started"')
expect_eq "8 claimed: 3 placed in the 2 s left at 1 call/s, 5 not started" \
	"8 3 5" "$(slow '"dispatched"') $placed $late"
"$GITDIAL" tick --repo "$R4" --now "$(minutes_after $T0 1)" >/dev/null 2>&1
expect_eq "the next tick dials those again (attempt 2; not_started did not count)" "$late" \
	"$(git -C "$R4" grep -h '"dispatched"' HEAD -- outcomes/slow | grep -c '"attempt":2')"
ok_if "git fsck is clean" git -C "$R" fsck --strict
finish
