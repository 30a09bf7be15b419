#!/usr/bin/env bash
# gitdial new: the wizard driven on a real terminal (tmux: send-keys, and
# capture-pane polled for each prompt with a bound), bad answers re-asked
# with their reason, a step changed from the summary; then every error
# path through flags. The result is one commit on a new branch
# campaign/<id> that passes gitdial validate; the checked-out branch and
# the work tree are never touched.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
# the wizard's steps are tested against the sim account alone
rm -rf "$R/campaigns/whatsapp-followup" "$R/campaigns/sip-callback"
/usr/bin/python3 - "$R/gitdial.json" <<'PY'
import json, sys
g = json.load(open(sys.argv[1]))
g["accounts"] = {"sim-main": g["accounts"]["sim-main"]}
json.dump(g, open(sys.argv[1], "w"), indent=2, ensure_ascii=False)
PY
git_commit_all "$R" "the sim account only"
git -C "$R" config user.name "Wizard Tester"
git -C "$R" config user.email wizard@example.com
NOW=2026-11-25T10:00:00Z
MAIN=$(git -C "$R" rev-parse main)

# an audience without a "plan" column, with one bad row, one duplicate
# and one number on the template's DNC list (+12125550107)
cat >"$TMP/renewals.csv" <<'EOF'
phone,name,due
+1 (212) 555-0101,Ann,2026-12-01
+12125550102,Bob,2026-12-02
not-a-phone,Carl,2026-12-03
+12125550101,Ann again,2026-12-04
+12125550107,Dee,2026-12-05
+13125550106,Eve,2026-12-06
EOF

# ---- the wizard on a terminal ----
TM="tmux -S $TMP/tmux.sock -f /dev/null"
declare -A SEEN
tm_start() {
	SEEN=()
	$TM kill-server 2>/dev/null
	$TM new-session -d -s wiz -x 220 -y 100 "$*; echo EXIT=\$?" \; \
		set-option -t wiz remain-on-exit on \; set-option -t wiz history-limit 5000
}
screen() { $TM capture-pane -p -J -t wiz -S -5000 2>/dev/null; }
# wait_count ERE N: polls the pane until N lines match (bounded: 30 s).
wait_count() {
	local i
	for i in $(seq 600); do
		[ "$(screen | grep -cE -- "$1")" -ge "$2" ] && return 0
		sleep 0.05
	done
	return 1
}
TM_OK=1
# ask PROMPT_ERE TEXT: waits for the next fresh appearance of the prompt
# (its count goes up only once the previous answer was handled), types TEXT.
ask() {
	local n=$(( ${SEEN[$1]:-0} + 1 ))
	[ "$TM_OK" = 1 ] || return 1
	if ! wait_count "$1" "$n"; then
		TM_OK=0
		T_N=$((T_N + 1)); T_FAIL=$((T_FAIL + 1))
		echo "not ok $T_N - prompt /$1/ #$n never came"
		screen | tail -25 | sed 's/^/#   /'
		return 1
	fi
	SEEN[$1]=$n
	$TM send-keys -t wiz -l -- "$2"
	$TM send-keys -t wiz Enter
}
# seen DESC ERE: the pane shows a line matching ERE (polled, bounded).
seen() {
	T_N=$((T_N + 1))
	if [ "$TM_OK" = 1 ] && wait_count "$2" 1; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $1"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $1"
		echo "#   no line matching: $2"; screen | tail -15 | sed 's/^/#   /'
	fi
}

P_NAME='^  Campaign name( \[.*\])?: '
P_ID='^  Campaign id \(folder and branch name\)'
P_ACCT='^  Account( \[.*\])?: '
P_CALLER='^  Caller ID( \[.*\])?: '
P_MODE='^  Script mode \(agent or override\)'
P_TEXT='^  Override text( \[.*\])?: '
P_AUD='^  Audience( \[.*\])?: '
P_CONC='^  Calls at once \(concurrency\)'
P_WIN='^  Calling window'
P_DAYS='^  Days \('
P_RETRIES='^  Retries after the first attempt'
P_COOL='^  Minutes before a retry'
P_ON='^  Retry on \('
P_VM='^  When a machine answers'
P_START='^  Start at \('
P_END='^  End at \('
P_CONFIRM='^Create branch campaign/.* change a step: '

tm_start "cd '$R' && '$GITDIAL' new --now $NOW"
ask "$P_NAME" ""
seen "an empty name is re-asked with the reason" '^  a name of 1-120 characters is needed$'
ask "$P_NAME" "Spring renewals"
ask "$P_ID" "nov-reminders"
seen "an existing id is refused" '^  a campaign "nov-reminders" exists already \(campaigns/nov-reminders/\); choose another id$'
ask "$P_ID" "Spring_Renewals"
seen "a malformed id is refused" '^  "Spring_Renewals" is not a campaign id \(expected lower-case'
seen "the id's default is derived from the name" "$P_ID \[spring-renewals\]: "
ask "$P_ID" ""
seen "accounts are listed" '^    1\) sim-main \(sim, at most 20 calls at once\)$'
ask "$P_ACCT" "twilio-main"
seen "an unknown account is refused, naming the accounts" '^  "twilio-main" is not an account in gitdial.json \(accounts: sim-main\)$'
ask "$P_ACCT" "1"
seen "the account's caller IDs are listed" '^    2\) \+966115550100$'
ask "$P_CALLER" "+1 212 555 0199"
seen "a caller ID of no account is refused (normalised)" '^  \+12125550199 is not one of account "sim-main"'"'"'s caller IDs \(\+12125550100, \+966115550100\)$'
ask "$P_CALLER" "2"
ask "$P_MODE" "maybe"
seen "a bad script mode is re-asked" '^  "maybe" is not a script mode'
ask "$P_MODE" "override"
ask "$P_TEXT" "Hello {{name}, bye"
seen "an unclosed placeholder is refused" '^  "\{\{" without a closing "\}\}"$'
ask "$P_TEXT" "Hello {{name}}, your {{plan}} renews on {{due}}."
ask "$P_AUD" "$TMP/missing.csv"
seen "a missing audience file is refused" "^  cannot read \"$TMP/missing.csv\": no such file\$"
ask "$P_AUD" "$TMP/renewals.csv"
seen "the real loader checks the script's placeholders against the columns" \
	'^    line 1: plan: the script uses \{\{plan\}\} but the audience has no such column$'
seen "and offers to go back to the script" "'back' to change the script"
ask "$P_AUD" "back"
ask "$P_MODE" ""
seen "going back shows the text as default" '^  Override text \[Hello \{\{name\}\}, your \{\{plan\}\} renews on \{\{due\}\}\.\]: '
ask "$P_TEXT" "Hello {{name}}, your renewal is due on {{due}}."
seen "the audience offers the last answer as default" "^  Audience \\[$TMP/renewals.csv\\]: "
ask "$P_AUD" ""
seen "counts are shown on the spot" "^    $TMP/renewals.csv: 6 rows, 3 to call; left out: 1 invalid, 1 duplicate, 0 without consent, 1 on the do-not-call list\$"
seen "row problems are shown by line" '^    line 4: phone: "not-a-phone" has no country code'
seen "duplicates too" '^    line 5: phone: \+12125550101 is a duplicate'
ask "$P_CONC" "0"
seen "a bad concurrency is re-asked" '^  "0" is not a whole number from 1 to 1000$'
ask "$P_CONC" "4"
ask "$P_WIN" "20:00-09:00"
seen "a window crossing midnight is refused" '^  the window 20:00-09:00 ends before it starts'
ask "$P_WIN" "09:00-20:00"
ask "$P_DAYS" "mon-fri,funday"
seen "a bad day is refused" '^  "funday" is not a day'
ask "$P_DAYS" "mon-fri"
ask "$P_RETRIES" "2"
ask "$P_COOL" "0"
seen "a zero cool-down is refused" '^  "0" is not a cool-down'
ask "$P_COOL" "30,120"
ask "$P_ON" "connected"
seen "connected is no outcome to retry" '^  "connected" is not an outcome to retry'
ask "$P_ON" "no_answer,busy,voicemail"
ask "$P_VM" "leave_message"
ask "$P_START" "next monday"
seen "a start that is no time is refused" '^  "next monday" is not a time \(expected RFC 3339'
ask "$P_START" "2026-12-01T09:00:00+03:00"
ask "$P_END" "2026-11-30T09:00:00+03:00"
seen "an end before the start is refused" '^  the end 2026-11-30T09:00:00\+03:00 is not after the start'
ask "$P_END" "2026-12-15T20:00:00+03:00"
seen "the summary shows every step" '^  4 pacing     4 at once, window 09:00-20:00 mon,tue,wed,thu,fri, 2 retries after 30,120 min on no_answer,busy,voicemail, voicemail leave_message$'
ask "$P_CONFIRM" "maybe"
seen "a bad confirmation is re-asked" '^  "maybe" is not y, n or a step number 1-5$'
ask "$P_CONFIRM" "4"
seen "changing a step asks it again with the answers as defaults" '^  Calls at once \(concurrency\) \[4\]: '
ask "$P_CONC" "6"
ask "$P_WIN" ""
ask "$P_DAYS" ""
ask "$P_RETRIES" ""
ask "$P_COOL" ""
ask "$P_ON" ""
ask "$P_VM" ""
seen "the summary follows the change" '^  4 pacing     6 at once, window 09:00-20:00'
ask "$P_CONFIRM" "y"
seen "the wizard exits 0" '^EXIT=0$'
seen "it names the branch and the files" '^Created branch campaign/spring-renewals \(commit [0-9a-f]{12}\) with campaigns/spring-renewals/campaign.json and campaigns/spring-renewals/renewals.csv$'
seen "and the next step" '^Next: git push -u origin campaign/spring-renewals, then open a pull request from it into main'
$TM kill-server 2>/dev/null

B=campaign/spring-renewals
expect_eq "the branch has one commit on top of main" "$MAIN" "$(git -C "$R" rev-parse $B~1 2>&1)"
expect_eq "by the operator from git config" "Wizard Tester <wizard@example.com>" "$(git -C "$R" log -1 --format='%an <%ae>' $B 2>&1)"
expect_eq "at the injected time" "2026-11-25T10:00:00+00:00" "$(git -C "$R" log -1 --format=%aI $B 2>&1)"
expect_grep "with a clear message" '^new: spring-renewals \("Spring renewals"\)$' <(git -C "$R" log -1 --format=%s $B 2>&1)
expect_eq "main did not move" "$MAIN" "$(git -C "$R" rev-parse main)"
expect_eq "the checkout is still main" "refs/heads/main" "$(git -C "$R" symbolic-ref HEAD)"
expect_eq "nothing was written to the work tree" "" "$(git -C "$R" status --porcelain)"
expect_eq "the commit adds exactly the campaign folder" \
	"A campaigns/spring-renewals/campaign.json|A campaigns/spring-renewals/renewals.csv" \
	"$(git -C "$R" show --format= --name-status $B 2>&1 | tr '\t' ' ' | paste -sd'|')"
expect_eq "the audience is copied byte for byte" "$(git hash-object "$TMP/renewals.csv")" \
	"$(git -C "$R" rev-parse $B:campaigns/spring-renewals/renewals.csv 2>&1)"
ok_if "campaign.json holds every answer" /usr/bin/python3 - "$R" <<'PY'
import json, subprocess, sys
t = subprocess.run(["git", "-C", sys.argv[1], "show",
                    "campaign/spring-renewals:campaigns/spring-renewals/campaign.json"],
                   check=True, capture_output=True, text=True).stdout
c = json.loads(t)
want = {
    "$schema": "https://gitdial.dev/schemas/campaign.schema.json",
    "name": "Spring renewals", "status": "scheduled",
    "start_at": "2026-12-01T09:00:00+03:00", "end_at": "2026-12-15T20:00:00+03:00",
    "created": "2026-11-25T10:00:00Z", "account": "sim-main", "caller_id": "+966115550100",
    "script": {"mode": "override", "text": "Hello {{name}}, your renewal is due on {{due}}."},
    "audience": {"csv": "renewals.csv"},
    "pacing": {"concurrency": 6,
               "window": {"start": "09:00", "end": "20:00", "days": ["mon", "tue", "wed", "thu", "fri"]},
               "retries": {"max": 2, "cooldown_minutes": [30, 120], "on": ["no_answer", "busy", "voicemail"]},
               "voicemail": "leave_message"}}
assert c == want, json.dumps(c, indent=1)
PY
git -C "$R" worktree add -q "$TMP/wt" $B 2>/dev/null
ok_if "the branch passes gitdial validate" "$GITDIAL" validate --repo "$TMP/wt"
ok_if "and gitdial plan" "$GITDIAL" plan --repo "$TMP/wt" spring-renewals --now 2026-12-01T07:00:00Z

# flags answer their questions on a terminal; a wrong one is asked again;
# "n" writes nothing
tm_start "cd '$R' && '$GITDIAL' new --now $NOW --id winter --name Winter --audience '$TMP/renewals.csv' --concurrency 0 --start-at draft"
seen "a flag's answer is shown, not asked" '^  Campaign name: Winter \(--name\)$'
ask "$P_ACCT" ""
ask "$P_CALLER" ""
ask "$P_MODE" ""
seen "a wrong flag is asked again on a terminal, with the reason" '^  --concurrency: "0" is not a whole number from 1 to 1000$'
ask "$P_CONC" "2"
ask "$P_WIN" ""
ask "$P_RETRIES" ""
ask "$P_VM" ""
ask "$P_CONFIRM" "n"
seen "no: nothing was written" '^Nothing was written.$'
seen "exit 1" '^EXIT=1$'
expect_eq "no branch for it" "" "$(git -C "$R" branch --list campaign/winter)"

# the input ending (Ctrl-D) stops the wizard without writing
tm_start "cd '$R' && '$GITDIAL' new --now $NOW"
ask "$P_NAME" "Eof test"
SEEN[$P_ID]=1
wait_count "$P_ID" 1 && $TM send-keys -t wiz C-d
seen "the input ending is said" '^gitdial new: the input ended; nothing was written$'
seen "exit 1 after the input ended" '^EXIT=1$'
$TM kill-server 2>/dev/null
expect_eq "no branch for it either" "" "$(git -C "$R" branch --list 'campaign/eof-test')"

# ---- flags only (stdin is not a terminal) ----
run() { "$GITDIAL" new --repo "$R" --now $NOW "$@" </dev/null >$TMP/out 2>$TMP/err; echo $? >$TMP/rc; }
# refused DESC RC ERE ARGS...: exits RC with a message matching ERE on stderr
refused() {
	local desc=$1 rc=$2 re=$3; shift 3
	run "$@"
	T_N=$((T_N + 1))
	if [ "$(cat $TMP/rc)" = "$rc" ] && grep -qE -- "$re" $TMP/err; then
		T_PASS=$((T_PASS + 1)); echo "ok $T_N - $desc"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok $T_N - $desc"
		echo "#   want exit $rc and /$re/; got exit $(cat $TMP/rc):"; sed 's/^/#   /' $TMP/err | head -8
	fi
}
A="--audience $TMP/renewals.csv"
OK="--id fine --name Fine $A"
refused "without a terminal, --id, --name and an audience are required" 2 \
	'stdin is not a terminal, so the answers come from flags: --id, --name and --audience or --segment are required' --name X $A
refused "--audience and --segment exclude each other" 2 '--audience and --segment: one or the other' $OK --segment vip
refused "--days needs --window" 2 '--days needs --window' $OK --days mon
refused "--cooldown needs --retries" 2 '--cooldown and --retry-on need --retries' $OK --cooldown 5
refused "--end-at needs --start-at" 2 '--end-at needs --start-at' $OK --end-at 2026-12-01T00:00:00Z
refused "a script text with mode agent" 2 'a script text needs --script-mode override' $OK --script-mode agent --script-text hi
refused "an unknown option" 2 'bad option' $OK --colour red
refused "a bad --now" 2 '--now: "tomorrow" is not an RFC 3339 time' $OK --now tomorrow
refused "an unknown format" 2 "unknown format 'xml'" $OK --format xml
refused "an existing campaign id" 1 '--id: a campaign "ramadan-survey" exists already \(campaigns/ramadan-survey/\)' \
	--id ramadan-survey --name X $A
mkdir -p "$R/archived/old-one" "$R/deleted/gone-one"
cp "$R/campaigns/nov-reminders/campaign.json" "$R/archived/old-one/"
cp "$R/campaigns/nov-reminders/campaign.json" "$R/deleted/gone-one/"
git_commit_all "$R" "an archived and a deleted campaign"
MAIN=$(git -C "$R" rev-parse main)
refused "an archived campaign's id" 1 'a campaign "old-one" exists already \(archived/old-one/\)' --id old-one --name X $A
refused "a deleted campaign's id" 1 'a campaign "gone-one" exists already \(deleted/gone-one/\)' --id gone-one --name X $A
refused "an id whose branch exists" 1 'a branch campaign/spring-renewals exists already' --id spring-renewals --name X $A
refused "a malformed id" 1 '--id: "-dash" is not a campaign id' --id=-dash --name X $A
refused "an id of 65 characters" 1 'is not a campaign id' --id "$(printf 'a%.0s' $(seq 65))" --name X $A
refused "an empty name" 1 '--name: a name of 1-120 characters is needed' --id x1 --name "" $A
refused "a name of 121 characters" 1 '--name: a name of 1-120' --id x1 --name "$(printf 'n%.0s' $(seq 121))" $A
refused "an unknown account" 1 '--account: "nope" is not an account in gitdial.json \(accounts: sim-main\)' $OK --account nope
refused "a caller ID of no account" 1 '--caller-id: \+12125550199 is not one of account "sim-main"' $OK --caller-id +12125550199
refused "a caller ID that is no number" 1 '--caller-id: caller ID "call me" has no country code' $OK --caller-id "call me"
refused "a bad script mode" 1 '--script-mode: "loud" is not a script mode' $OK --script-mode loud
refused "an override without text" 1 '--script-text: an override needs its text' $OK --script-mode override
refused "an unclosed placeholder" 1 '--script-text: "\{\{" without a closing "\}\}"' $OK --script-text "Hi {{name"
refused "a placeholder without a column" 1 'line 1: plan: the script uses \{\{plan\}\} but the audience has no such column' \
	$OK --script-text "Your {{plan}}"
refused "a missing --script-file" 1 '--script-file: ' $OK --script-file "$TMP/none.txt"
refused "a missing audience file" 1 "--audience: cannot read \"$TMP/none.csv\": no such file" --id x1 --name X --audience "$TMP/none.csv"
echo "phone" >"$TMP/list.txt"
refused "an audience that is no CSV" 1 'is not an audience file \(expected .csv, .csv.gz' --id x1 --name X --audience "$TMP/list.txt"
printf 'name,number\nAnn,+12125550101\n' >"$TMP/nophone.csv"
refused "an audience without a phone column, by file and line" 1 "$TMP/nophone.csv cannot be used:" --id x1 --name X --audience "$TMP/nophone.csv"
grep -qE '^    line 1: .*phone' $TMP/err; expect_eq "(the problem names line 1 and the phone column)" 0 $?
refused "an unknown segment" 1 '--segment: no segment "vip" in segments/' --id x1 --name X --segment vip
refused "concurrency 0" 1 '--concurrency: "0" is not a whole number from 1 to 1000' $OK --concurrency 0
refused "concurrency abc" 1 '--concurrency: "abc" is not a whole number' $OK --concurrency abc
refused "a window that is no window" 1 '--window: "9-5" is not a window' $OK --window 9-5
refused "a bad day" 1 '--days: "someday" is not a day' $OK --window 09:00-17:00 --days mon,someday
refused "11 retries" 1 '--retries: "11" is not a whole number from 0 to 10' $OK --retries 11
refused "a bad cool-down" 1 '--cooldown: "soon" is not a cool-down' $OK --retries 1 --cooldown soon
refused "a retry on connected" 1 '--retry-on: "connected" is not an outcome to retry' $OK --retries 1 --retry-on connected
refused "a bad voicemail choice" 1 '--voicemail: "beep" is not a voicemail choice' $OK --voicemail beep
refused "a bad start" 1 '--start-at: "2026-12-01 09:00" is not a time' $OK --start-at "2026-12-01 09:00"
refused "an end before the start" 1 '--end-at: the end .* is not after the start' $OK --start-at 2026-12-01T09:00:00Z --end-at 2026-12-01T08:00:00Z
refused "an end that has passed" 1 '--end-at: the end 2026-11-20T00:00:00Z has passed already' $OK --start-at 2026-11-01T09:00:00Z --end-at 2026-11-20T00:00:00Z
refused "a malformed --author" 1 'author "me" is not "Name <email>"' $OK --author me
git -C "$R" config --unset user.name
refused "no author at all" 1 'who is making this change\? pass --author "Name <email>" or set git config user.name' $OK
git -C "$R" config user.name "Wizard Tester"
refused "not a repository" 1 "is not a git repository" $OK --repo "$TMP/nowhere"
refused "a remote that does not exist" 1 "no remote named 'upstream'" $OK --remote upstream
expect_eq "no refused call wrote a branch" "campaign/spring-renewals" "$(git -C "$R" branch --list 'campaign/*' | tr -d ' *+')"
expect_eq "or moved main" "$MAIN" "$(git -C "$R" rev-parse main)"

# ---- flags only: a segment, --format json, --remote ----
mkdir -p "$R/segments"
printf 'phone,name\n+12125550201,Vip One\n+12125550202,Vip Two\n' >"$R/segments/vip.csv"
git_commit_all "$R" "a segment"
git clone -q --bare "$R" "$TMP/remote.git"
git -C "$R" remote add origin "$TMP/remote.git"
printf 'Dear {{name}}, thank you.\n' >"$TMP/script.txt"
run --id vip-thanks --name "VIP thanks" --segment vip --script-file "$TMP/script.txt" \
	--window 10:00-18:00 --days sat,sun --retries 1 --cooldown 60 --retry-on busy \
	--start-at 2026-12-05T10:00:00Z --author "Flag Driver <flags@example.com>" \
	--remote origin --format json
expect_eq "flags only, with --remote: exit 0" 0 "$(cat $TMP/rc)"
ok_if "--format json says what was made" /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["id"] == "vip-thanks" and d["branch"] == "campaign/vip-thanks" and d["pushed"], d
assert d["base"] == "main", d
assert d["status"] == "scheduled" and d["rows"] == 2 and d["to_call"] == 2, d
assert len(d["commit"]) == 40
' $TMP/out
expect_eq "the branch is on the remote" "$(git -C "$R" rev-parse campaign/vip-thanks)" \
	"$(git -C "$TMP/remote.git" rev-parse campaign/vip-thanks 2>&1)"
expect_eq "the local branch tracks it" "origin/campaign/vip-thanks" \
	"$(git -C "$R" rev-parse --abbrev-ref campaign/vip-thanks@{upstream} 2>&1)"
expect_eq "by --author" "Flag Driver <flags@example.com>" "$(git -C "$R" log -1 --format='%an <%ae>' campaign/vip-thanks)"
expect_eq "a segment copies no file" "A campaigns/vip-thanks/campaign.json" \
	"$(git -C "$R" show --format= --name-status campaign/vip-thanks | tr '\t' ' ')"
ok_if "campaign.json names the segment and the flags' pacing" /usr/bin/python3 - "$R" <<'PY'
import json, subprocess, sys
c = json.loads(subprocess.run(["git", "-C", sys.argv[1], "show",
    "campaign/vip-thanks:campaigns/vip-thanks/campaign.json"], check=True,
    capture_output=True, text=True).stdout)
assert c["audience"] == {"segment": "vip"}, c
assert c["script"] == {"mode": "override", "text": "Dear {{name}}, thank you."}, c
assert c["pacing"] == {"concurrency": 5, "window": {"start": "10:00", "end": "18:00", "days": ["sun", "sat"]},
                       "retries": {"max": 1, "cooldown_minutes": 60, "on": ["busy"]},
                       "voicemail": "hang_up"}, c["pacing"]
assert c["status"] == "scheduled" and c["caller_id"] == "+12125550100", c
PY
refused "the same id again: its branch exists now" 1 'a branch campaign/vip-thanks exists already' \
	--id vip-thanks --name X --segment vip --remote origin
git -C "$R" branch -q -D campaign/vip-thanks
refused "and on the remote when the local branch is gone" 1 'a branch campaign/vip-thanks exists already on origin' \
	--id vip-thanks --name X --segment vip --remote origin
run --id plain --name "Plain draft" $A --yes
expect_eq "--yes takes every default (draft, agent, any time)" 0 "$(cat $TMP/rc)"
expect_grep "the summary is printed" '^  5 schedule   draft' $TMP/out
expect_eq "a draft has no start_at" "draft|None" "$(git -C "$R" show campaign/plain:campaigns/plain/campaign.json | /usr/bin/python3 -c 'import json,sys; c=json.load(sys.stdin); print(c["status"] + "|" + str(c.get("start_at")))')"
refused "a --base branch that does not exist" 1 "the branch 'nope' has no commit yet" --id b1 --name B $A --base nope
git -C "$R" checkout -q -b broken
printf '{"accounts": {"x": {"provider": "nope"}}}\n' >"$R/gitdial.json"
git_commit_all "$R" "a broken gitdial.json"
git -C "$R" checkout -q main
refused "a base whose gitdial.json is broken, with its problems" 1 "gitdial.json on 'broken' has errors; fix them first" \
	--id b1 --name B $A --base broken
grep -qE '^gitdial.json(:[0-9]+)?: error: ' $TMP/err; expect_eq "(each problem by file and line)" 0 $?
git -C "$R" branch -q staging main~1
run --id staged --name "From staging" $A --base staging
expect_eq "--base BRANCH: the campaign branch starts from it" "$(git -C "$R" rev-parse staging)" \
	"$(git -C "$R" rev-parse campaign/staged~1 2>&1)"
expect_grep "and the next step names it" 'open a pull request from it into staging' $TMP/out
expect_eq "the work tree stayed clean throughout" "" "$(git -C "$R" status --porcelain)"
finish
