#!/usr/bin/env bash
# gitdial audit (issue 19): a normal simulated campaign audits clean; then
# each violation is injected alone into a copy of a real repository (made
# by gitdial init and ticks on the sim) and the audit must name it, with
# campaign, file:line, commit and rule: a dispatch at 03:00 local, a line
# removed from an old log in a later commit, a dispatch to a DNC number,
# two attempts in flight, a cap exceeded across two campaigns, a runner
# event forged by hand. Exit codes: 0 clean, 1 findings, 2 usage, 3 not
# a readable repository.
. "$(dirname "$0")/../lib.sh"

RUNNER=(env GIT_AUTHOR_NAME="gitdial runner" GIT_AUTHOR_EMAIL=runner@gitdial.invalid
	GIT_COMMITTER_NAME="gitdial runner" GIT_COMMITTER_EMAIL=runner@gitdial.invalid)
T0=2026-11-24T15:00:00Z # Tuesday 10:00 in New York

# The base: nov-reminders and a copy of it ("second", the same numbers),
# both Dialing after one tick at T0 (5 calls each in flight).
B=$TMP/base
new_repo "$B"
rm -rf "$B/campaigns/ramadan-survey"
cp -r "$B/campaigns/nov-reminders" "$B/campaigns/second"
sed -i 's/"November payment reminders"/"Second reminders"/' "$B/campaigns/second/campaign.json"
git_commit_all "$B" "second campaign"
schedule "$B" nov-reminders 2026-11-24T14:00:00Z
schedule "$B" second 2026-11-24T14:00:00Z
"$GITDIAL" tick --repo "$B" --now $T0 >$TMP/tick0 2>&1
ok_if "the base tick dialed both campaigns" grep -q "second: Dialing, +5 dialed" $TMP/tick0

# audit DIR [ARGS]: runs the audit (json) into $TMP/a.json, rc in AR
audit() {
	local d=$1; shift
	"$GITDIAL" audit --repo "$d" --format json "$@" >$TMP/a.json 2>$TMP/a.err
	AR=$?
}
# finding CHECK RULE: "campaign file:line commit" of the first such finding
finding() {
	/usr/bin/python3 - $TMP/a.json "$1" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1]))
for f in a["findings"]:
    if f["check"] == sys.argv[2] and f["rule"] == sys.argv[3]:
        print(f["campaign"], "%s:%d" % (f["file"], f["line"]), f["commit"])
        break
PY
}
# checks_failing: the names of the checks with findings, and how many in all
checks_failing() {
	/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(",".join(c["name"] for c in a["checks"] if not c["ok"]), a["findings_total"])' $TMP/a.json
}
# copy NAME: a fresh copy of the base repository
copy() {
	rm -rf "$TMP/$1"
	cp -a "$B" "$TMP/$1"
	C=$TMP/$1
}
# as_runner DIR MSG: commit the work tree as the runner does
as_runner() {
	git -C "$1" add -A && "${RUNNER[@]}" git -C "$1" commit -qm "$2"
}
# line EVENT-FIELDS: one log line of campaign nov-reminders
ev() { printf '{"v":1,"ts":"%s","campaign":"%s","event":%s}\n' "$1" "$2" "$3"; }
disp() { # TS CAMPAIGN PHONE-DIGITS ROW ATTEMPT
	ev "$1" "$2" "\"dispatched\",\"attempt_id\":\"$2.$3.$5\",\"phone\":\"+$3\",\"row\":$4,\"attempt\":$5,\"account\":\"sim-main\",\"caller_id\":\"+12125550100\""
}
outc() { # TS CAMPAIGN PHONE-DIGITS ATTEMPT
	ev "$1" "$2" "\"outcome\",\"attempt_id\":\"$2.$3.$4\",\"call_id\":\"SIMx$3$4\",\"outcome\":\"no_answer\",\"duration_s\":0,\"connected\":false,\"answered\":false"
}

# ---- the base is clean, and a whole campaign is -----------------------------
audit "$B"
expect_eq "the base audits clean (exit 0, no finding)" "0 true 0" \
	"$AR $(/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); print(str(a["ok"]).lower(), a["findings_total"])' $TMP/a.json)"
copy full
for i in $(seq 1 200); do
	"$GITDIAL" tick --repo "$C" --now "$(minutes_after $T0 $((i * 10)))" >/dev/null 2>>$TMP/full.err
	[ $((i % 10)) -eq 0 ] &&
		[ "$(git -C "$C" grep -h -e '"status":"completed"' HEAD -- outcomes | wc -l)" -eq 2 ] && break
done
ok_if "the simulated campaigns completed" \
	test "$(git -C "$C" grep -h -e '"status":"completed"' HEAD -- outcomes | wc -l)" -eq 2
"$GITDIAL" audit --repo "$C" >$TMP/full.txt 2>&1
expect_eq "gitdial audit of the whole simulated campaigns: exit 0" 0 $?
expect_grep "every check ran and holds (windows, caps, accounting counted)" \
	"^accounting +ok +[1-9][0-9]* checked" $TMP/full.txt
expect_grep "the windows check counted the dispatches" "^windows +ok +[1-9][0-9]* checked" $TMP/full.txt
expect_grep "the runner's commits were recognised" "[1-9][0-9]* by the runner" $TMP/full.txt
# deterministic: the same page twice
"$GITDIAL" audit --repo "$C" --format json >$TMP/j1 2>/dev/null
"$GITDIAL" audit --repo "$C" --format json >$TMP/j2 2>/dev/null
ok_if "two runs give the same JSON byte for byte" cmp $TMP/j1 $TMP/j2
full=$C

# ---- a hand-written dispatch at 03:00 local ---------------------------------
copy window
mkdir -p "$C/outcomes/nov-reminders/2026/11/25"
# +14045550127 (Atlanta, line 29) at 08:00Z = 03:00 in New York
disp 2026-11-25T08:00:00Z nov-reminders 14045550127 29 1 \
	>"$C/outcomes/nov-reminders/2026/11/25/T080000Z-hand.jsonl"
as_runner "$C" "a dispatch at 03:00"
head=$(git -C "$C" rev-parse HEAD)
audit "$C"
expect_eq "03:00 dispatch: exit 1, only the windows check fails, once" "1 windows 1" \
	"$AR $(checks_failing)"
w1=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["message"])' $TMP/a.json)
got=$(/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); f=a["findings"][0]; print(f["rule"], f["campaign"], f["file"], f["line"], f["commit"]); print(f["message"])' $TMP/a.json)
expect_eq "the finding names the rule, campaign, file:line and commit" \
	"us-tcpa nov-reminders outcomes/nov-reminders/2026/11/25/T080000Z-hand.jsonl 1 $head" \
	"$(echo "$got" | head -1)"
ok_if "the message says the local time (Wed 03:00 America/New_York)" \
	grep -q "Wed 03:00 America/New_York" <<<"$got"
ok_if "and that the campaign window was closed too" \
	grep -q "outside the campaign window 09:00-20:00" <<<"$got"
# the legal hours too: 03:00 with an all-day campaign window
sed -i 's/"start": "09:00"/"start": "00:00"/; s/"end": "20:00"/"end": "24:00"/' \
	"$C/campaigns/nov-reminders/campaign.json"
git_commit_all "$C" "all-day window"
mkdir -p "$C/outcomes/nov-reminders/2026/11/26"
disp 2026-11-26T08:00:00Z nov-reminders 18015550129 31 1 \
	>"$C/outcomes/nov-reminders/2026/11/26/T080000Z-hand.jsonl"
as_runner "$C" "a dispatch at 01:00 in Utah"
audit "$C"
expect_eq "with the campaign window open all day, the legal hours rule is named" \
	"nov-reminders outcomes/nov-reminders/2026/11/26/T080000Z-hand.jsonl:1 $(git -C "$C" rev-parse HEAD)" \
	"$(/usr/bin/python3 -c 'import json,sys; a=json.load(open(sys.argv[1])); f=[f for f in a["findings"] if f["line"] and "11/26" in f["file"]][0]; print(f["campaign"], "%s:%d" % (f["file"], f["line"]), f["commit"]) if f["rule"].startswith("us-") else print("rule", f["rule"])' $TMP/a.json)"
# the window is judged with campaign.json as of the dispatch's commit: the
# first 03:00 dispatch is still a campaign-window finding after the edit
expect_eq "the first dispatch is still judged with the campaign.json of its commit" \
	"$w1" \
	"$(/usr/bin/python3 -c 'import json,sys; print([f["message"] for f in json.load(open(sys.argv[1]))["findings"] if "11/25" in f["file"]][0])' $TMP/a.json)"

# ---- a line removed from an old log file in a later commit ------------------
copy removed
f=$(git -C "$C" ls-tree -r --name-only HEAD outcomes/nov-reminders | grep -v -- '-p.jsonl' | head -1)
n=$(wc -l <"$C/$f")
sed -i '$d' "$C/$f"
git_commit_all "$C" "drop a line"
audit "$C"
expect_eq "a removed line: exit 1, only the history check fails, once" "1 history 1" \
	"$AR $(checks_failing)"
expect_eq "the finding names the file, the removed line and the commit that removed it" \
	"nov-reminders $f:$n $(git -C "$C" rev-parse HEAD)" "$(finding history line-removed)"
# a changed line is found the same way
copy changed
f=$(git -C "$C" ls-tree -r --name-only HEAD outcomes/nov-reminders | grep -v -- '-p.jsonl' | head -1)
sed -i '2s/"attempt":1/"attempt":1 /' "$C/$f"
as_runner "$C" "edit a line"
audit "$C"
expect_eq "a changed line (even in a runner's commit) is named at its line" \
	"nov-reminders $f:2 $(git -C "$C" rev-parse HEAD)" "$(finding history line-changed)"

# ---- a dispatch to a DNC number ---------------------------------------------
copy dnc
"$GITDIAL" dnc add +13035550128 --repo "$C" --reason "asked not to be called" \
	--author "Ops <ops@example.com>" --now 2026-11-24T15:10:00Z >/dev/null 2>&1
disp 2026-11-24T17:00:00Z nov-reminders 13035550128 30 1 \
	>"$C/outcomes/nov-reminders/2026/11/24/T170000Z-hand.jsonl"
as_runner "$C" "a dispatch to a DNC number"
audit "$C"
expect_eq "DNC dispatch: exit 1, only the dnc check fails, once" "1 dnc 1" "$AR $(checks_failing)"
expect_eq "the finding names the dispatch and its commit" \
	"nov-reminders outcomes/nov-reminders/2026/11/24/T170000Z-hand.jsonl:1 $(git -C "$C" rev-parse HEAD)" \
	"$(finding dnc dnc)"

# ---- two attempts in flight ---------------------------------------------------
copy flight
# +12125550100 attempt 1 is in flight since T0 (no outcome yet)
git -C "$C" grep -q '"attempt_id":"nov-reminders.12125550100.1"' HEAD -- outcomes ||
	echo "# base changed: +12125550100 was not dialed at T0"
disp 2026-11-24T15:30:00Z nov-reminders 12125550100 2 2 \
	>"$C/outcomes/nov-reminders/2026/11/24/T153000Z-hand.jsonl"
as_runner "$C" "a second attempt while the first is in flight"
audit "$C"
expect_eq "two in flight: exit 1, only the claims check fails, once" "1 claims 1" "$AR $(checks_failing)"
expect_eq "the finding names the second claim" \
	"nov-reminders outcomes/nov-reminders/2026/11/24/T153000Z-hand.jsonl:1 $(git -C "$C" rev-parse HEAD)" \
	"$(finding claims two-in-flight)"
# the same attempt id claimed again
copy reuse
{ outc 2026-11-24T15:05:00Z nov-reminders 12125550100 1
  disp 2026-11-24T16:00:00Z nov-reminders 12125550100 2 1; } \
	>"$C/outcomes/nov-reminders/2026/11/24/T160000Z-hand.jsonl"
as_runner "$C" "attempt 1 again"
audit "$C"
expect_eq "an attempt id claimed twice is named (line 2)" \
	"nov-reminders outcomes/nov-reminders/2026/11/24/T160000Z-hand.jsonl:2 $(git -C "$C" rev-parse HEAD)" \
	"$(finding claims attempt-id-reused)"

# ---- a cap exceeded across two campaigns --------------------------------------
copy cap
# +13055550102 (Miami: us-fl-cap, 3 calls in 24 h) was dialed at T0 by
# both campaigns; a third call is allowed, a fourth is not
outc 2026-11-24T15:05:00Z nov-reminders 13055550102 1 \
	>"$C/outcomes/nov-reminders/2026/11/24/T150500Z-hand.jsonl"
mkdir -p "$C/outcomes/second/2026/11/24"
disp 2026-11-24T16:00:00Z nov-reminders 13055550102 4 2 \
	>"$C/outcomes/nov-reminders/2026/11/24/T160000Z-hand.jsonl"
outc 2026-11-24T15:05:00Z second 13055550102 1 >"$C/outcomes/second/2026/11/24/T150500Z-hand.jsonl"
disp 2026-11-24T16:30:00Z second 13055550102 4 2 >"$C/outcomes/second/2026/11/24/T163000Z-hand.jsonl"
as_runner "$C" "a fourth call within 24 h"
audit "$C"
expect_eq "cap across campaigns: exit 1, only the caps check fails, once" "1 caps 1" "$AR $(checks_failing)"
expect_eq "the fourth call is named, in the second campaign" \
	"second outcomes/second/2026/11/24/T163000Z-hand.jsonl:1 $(git -C "$C" rev-parse HEAD)" \
	"$(finding caps us-fl-cap)"

# ---- a forged runner event ----------------------------------------------------
copy forged
outc 2026-11-24T15:05:00Z nov-reminders 12125550100 1 \
	>"$C/outcomes/nov-reminders/2026/11/24/T150500Z-forged.jsonl"
git_commit_all "$C" "an outcome by hand"
audit "$C"
expect_eq "an outcome written by hand: exit 1, only the history check fails, once" \
	"1 history 1" "$AR $(checks_failing)"
expect_eq "the finding names the forged line and its commit" \
	"nov-reminders outcomes/nov-reminders/2026/11/24/T150500Z-forged.jsonl:1 $(git -C "$C" rev-parse HEAD)" \
	"$(finding history not-by-runner)"
# an operator's pause (gitdial pause) is not a forgery
"$GITDIAL" pause second --repo "$C" --author "Ops <ops@example.com>" --now 2026-11-24T15:20:00Z >/dev/null 2>&1
audit "$C"
expect_eq "an operator's pause adds no finding" "1 history 1" "$AR $(checks_failing)"
# --since: findings only in commits after REV (the state is still built)
audit "$C" --since HEAD~2
expect_eq "--since the forged commit's parent still finds it" "1 history 1" "$AR $(checks_failing)"
audit "$C" --since HEAD
expect_eq "--since HEAD: nothing in range, exit 0" "0  0" "$AR $(checks_failing)"

# ---- HTML, --out, exit codes --------------------------------------------------
"$GITDIAL" audit --repo "$C" --format html >$TMP/a.html 2>/dev/null
expect_eq "html: exit 1 with findings" 1 $?
tree=$(git -C "$C" rev-parse HEAD^{tree})
ok_if "the page shows the head tree id" grep -q "$tree" $TMP/a.html
ok_if "the page lists the checks and the finding's file" \
	grep -q "T150500Z-forged.jsonl:1" $TMP/a.html
"$GITDIAL" audit --repo "$full" --out $TMP/filed >/dev/null 2>&1
expect_eq "--out on the clean history: exit 0" 0 $?
ok_if "--out wrote index.html, audit.json and audit.txt" \
	test -s $TMP/filed/index.html -a -s $TMP/filed/audit.json -a -s $TMP/filed/audit.txt
ok_if "the filed page says every check holds" grep -q "every check holds" $TMP/filed/index.html
"$GITDIAL" audit --repo "$full" --format xml >/dev/null 2>&1
expect_eq "a bad --format is a usage error (2)" 2 $?
mkdir -p $TMP/empty
"$GITDIAL" audit --repo $TMP/empty >/dev/null 2>$TMP/e.err
expect_eq "not a repository: exit 3" 3 $?
ok_if "and says why" test -s $TMP/e.err

# ---- signed runner commits ------------------------------------------------------
# once the runner's commits are signed (here with an SSH key, git's
# gpg.format=ssh), an unsigned commit under the runner's name is a finding
copy signed
ssh-keygen -q -t ed25519 -N "" -f $TMP/sign-key >/dev/null
SIGN=(-c gpg.format=ssh -c user.signingkey=$TMP/sign-key)
outc 2026-11-24T15:05:00Z nov-reminders 12125550100 1 \
	>"$C/outcomes/nov-reminders/2026/11/24/T150500Z-signed.jsonl"
git -C "$C" add -A && "${RUNNER[@]}" git "${SIGN[@]}" -C "$C" commit -qS -m "signed" ||
	echo "# could not sign a commit"
audit "$C"
expect_eq "a signed runner commit: clean, counted as signed" "0 1" \
	"$AR $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["range"]["signed_runner_commits"])' $TMP/a.json)"
outc 2026-11-24T15:06:00Z nov-reminders 13055550102 1 \
	>"$C/outcomes/nov-reminders/2026/11/24/T150600Z-unsigned.jsonl"
as_runner "$C" "unsigned"
audit "$C"
expect_eq "then an unsigned one under the runner's name is named by its commit" \
	"1 history 1 $(git -C "$C" rev-parse HEAD)" \
	"$AR $(checks_failing) $(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["findings"][0]["commit"])' $TMP/a.json)"
finish
