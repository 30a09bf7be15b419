#!/usr/bin/env bash
# The operators' commands end to end (issue 6 items 1-3): show, list tabs,
# pause/resume/archive/delete/restore/duplicate as commits by the operator,
# refusals with reasons, the 30-day purge by the tick, and a bulk action
# racing ticks through one bare remote without either losing its commit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-hold.sh"

R=$TMP/repo
new_repo "$R"
schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
T0=2026-11-24T15:00:00Z
OP=(--author "Ops Person <ops@example.com>")
py() { /usr/bin/python3 -c "$@"; }

ok_if "first tick dials" "$GITDIAL" tick --repo "$R" --now $T0

# --- show -------------------------------------------------------------
"$GITDIAL" show nov-reminders --repo "$R" --now $T0 > $TMP/show.txt
expect_grep "show: header names the campaign and id" "^November payment reminders \(nov-reminders\)" $TMP/show.txt
expect_grep "show: status Dialing" "Status +Dialing" $TMP/show.txt
expect_grep "show: provider, account and caller ID" "Provider +sim \(account sim-main\), caller ID \+12125550100" $TMP/show.txt
"$GITDIAL" show nov-reminders --repo "$R" --now $T0 --format json > $TMP/show.json
inflight_log=$(git -C "$R" grep -h '"event":"dispatched"' HEAD -- outcomes/nov-reminders | wc -l)
expect_eq "show: in flight = claims without an outcome in the log" "$inflight_log" \
	"$(py 'import json,sys; print(json.load(open(sys.argv[1]))["progress"]["in_flight"])' $TMP/show.json)"
expect_eq "show: every recipient is counted once (in flight+queued+completed+failed+skipped = audience)" 30 \
	"$(py 'import json,sys; p=json.load(open(sys.argv[1]))["progress"]; print(p["in_flight"]+p["queued"]+p["completed"]+p["failed"]+p["skipped"])' $TMP/show.json)"
# outcomes come back through the spool; tick on until some are in the log
for i in 1 2 3 4 5 6; do "$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 5)))" >/dev/null; done
T1=$(minutes_after $T0 30)
"$GITDIAL" show nov-reminders --repo "$R" --now $T1 --format json > $TMP/show.json
n_out=$(git -C "$R" grep -h '"event":"outcome"' HEAD -- outcomes/nov-reminders | wc -l)
expect_eq "show: the last outcomes list holds min(50, outcomes in the log)" \
	"$([ "$n_out" -gt 50 ] && echo 50 || echo "$n_out")" \
	"$(py 'import json,sys; print(len(json.load(open(sys.argv[1]))["recent"]))' $TMP/show.json)"
expect_eq "show: newest outcome first" "sorted" \
	"$(py 'import json,sys; r=[x["ts"] for x in json.load(open(sys.argv[1]))["recent"]]; print("sorted" if r==sorted(r,reverse=True) and r else r)' $TMP/show.json)"
"$GITDIAL" show nov-reminders --repo "$R" --now $T1 > $TMP/show.txt
expect_grep "show: durations as m:ss" "  (connected|voicemail|hangup) +[0-9]+:[0-5][0-9] " $TMP/show.txt
"$GITDIAL" show nope --repo "$R" 2>$TMP/err; rc=$?
expect_eq "show: unknown campaign → exit 1" 1 "$rc"
expect_grep "show: says which campaign is missing and where" "no campaign 'nope' in campaigns/" $TMP/err
"$GITDIAL" show ../etc --repo "$R" 2>$TMP/err; rc=$?
expect_eq "show: a malformed id is a usage error (exit 2)" 2 "$rc"

# --- pause / resume ---------------------------------------------------
head=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" pause ramadan-survey --repo "$R" --now $T1 "${OP[@]}" 2>$TMP/err; rc=$?
expect_eq "pause of a Draft is refused (exit 1)" 1 "$rc"
expect_grep "the refusal says why" "ramadan-survey: is Draft: only a Dialing campaign can be paused" $TMP/err
expect_eq "a refused action commits nothing" "$head" "$(git -C "$R" rev-parse HEAD)"
"$GITDIAL" resume nov-reminders --repo "$R" --now $T1 "${OP[@]}" 2>$TMP/err; rc=$?
expect_eq "resume of a Dialing campaign is refused" 1 "$rc"
ok_if "pause a Dialing campaign" "$GITDIAL" pause nov-reminders --repo "$R" --now $T1 "${OP[@]}"
expect_eq "the pause is a commit by the operator" "Ops Person <ops@example.com>" \
	"$(git -C "$R" log -1 --format='%an <%ae>')"
expect_eq "commit message names the action and campaign" "pause: nov-reminders" "$(git -C "$R" log -1 --format=%s)"
expect_eq "campaign.json changes by one line (status)" '-  "status": "scheduled",|+  "status": "paused",' \
	"$(git -C "$R" show HEAD --format= -- campaigns/nov-reminders/campaign.json | grep '^[-+] ' | tr '\n' '|' | sed 's/|$//')"
expect_grep "the log records who paused it" '"event":"status","status":"paused","reason":"paused by Ops Person <ops@example.com>"' \
	<(git -C "$R" show HEAD --format= -- outcomes)
expect_eq "the checkout follows the commit" "" "$(git -C "$R" status --porcelain)"
before=$(git -C "$R" grep -h '"event":"dispatched"' HEAD -- outcomes/nov-reminders | wc -l)
"$GITDIAL" show nov-reminders --repo "$R" --now $T1 --format json > $TMP/p.json
inflight=$(py 'import json,sys; print(json.load(open(sys.argv[1]))["progress"]["in_flight"])' $TMP/p.json)
for i in 1 2 3; do "$GITDIAL" tick --repo "$R" --now "$(minutes_after $T1 $((i * 5)))" >/dev/null; done
expect_eq "paused: no new dispatch in the next ticks" "$before" \
	"$(git -C "$R" grep -h '"event":"dispatched"' HEAD -- outcomes/nov-reminders | wc -l)"
"$GITDIAL" show nov-reminders --repo "$R" --now "$(minutes_after $T1 15)" --format json > $TMP/p2.json
expect_eq "paused: the calls in flight at the pause ended and were recorded" "0 $inflight" \
	"$(py 'import json,sys; print(json.load(open(sys.argv[1]))["progress"]["in_flight"])' $TMP/p2.json) $inflight"
expect_eq "paused: show says Paused and who paused it" "Paused|paused by Ops Person <ops@example.com>" \
	"$(py 'import json,sys; o=json.load(open(sys.argv[1])); print(o["status"]+"|"+o["reason"])' $TMP/p2.json)"
T2=$(minutes_after $T1 20)
ok_if "resume it" "$GITDIAL" resume nov-reminders --repo "$R" --now $T2 "${OP[@]}"
expect_grep "resume sets status scheduled" '"status": "scheduled"' "$R/campaigns/nov-reminders/campaign.json"
ok_if "the next tick dials again" "$GITDIAL" tick --repo "$R" --now "$(minutes_after $T2 1)"
expect_eq "resumed: new dispatches" 1 \
	"$([ "$(git -C "$R" grep -h '"event":"dispatched"' HEAD -- outcomes/nov-reminders | wc -l)" -gt "$before" ] && echo 1)"
expect_eq "the tick adds no status event of its own after an operator's resume" 0 \
	"$(git -C "$R" show HEAD~1 --format= -- outcomes | grep -c '"event":"status"')"

# a pause by the runner itself (circuit breaker) is ended by resume's status event
add_campaign "$R" brk 3 415 1 0
schedule "$R" brk 2026-11-24T09:00:00Z
TB=$(minutes_after $T2 -1)
mkdir -p "$R/outcomes/brk/2026/11/24"
printf '{"v":1,"ts":"%s","campaign":"brk","event":"status","status":"paused","reason":"breaker: 12 of 20 attempts failed"}\n' "$TB" \
	> "$R/outcomes/brk/2026/11/24/T$(echo "$TB" | cut -c12-19 | tr -d :)Z-breaker.jsonl"
git_commit_all "$R" "breaker pause"
expect_eq "a breaker pause shows as Paused" Paused \
	"$("$GITDIAL" show brk --repo "$R" --now $T2 --format json | py 'import json,sys; print(json.load(sys.stdin)["status"])')"
ok_if "resume ends a breaker pause" "$GITDIAL" resume brk --repo "$R" --now $T2 "${OP[@]}"
expect_eq "resume of a breaker pause leaves campaign.json alone and logs who resumed" \
	"outcomes" "$(git -C "$R" show HEAD --name-only --format= | cut -d/ -f1 | sort -u | tr '\n' ' ' | sed 's/ $//')"
expect_eq "after resume it is Dialing" Dialing \
	"$("$GITDIAL" show brk --repo "$R" --now $T2 --format json | py 'import json,sys; print(json.load(sys.stdin)["status"])')"

# --- several ids, one commit; bad ids refused, the rest goes on -------
n0=$(git -C "$R" rev-list --count HEAD)
"$GITDIAL" duplicate nov-reminders ramadan-survey nope ../x --repo "$R" --now $T2 "${OP[@]}" >$TMP/out 2>$TMP/err; rc=$?
expect_eq "duplicate with an unknown and a bad id exits 1" 1 "$rc"
expect_eq "…and still makes exactly one commit for the valid ids" $((n0 + 1)) "$(git -C "$R" rev-list --count HEAD)"
expect_grep "unknown id named" "nope: no campaign 'nope' in campaigns/ or archived/" $TMP/err
expect_grep "malformed id named" '\.\./x: not a campaign id' $TMP/err
expect_eq "copies are Drafts with new ids and no log" "draft draft 0" \
	"$(py 'import json,sys; print(json.load(open(sys.argv[1]))["status"], json.load(open(sys.argv[2]))["status"])' \
		"$R/campaigns/nov-reminders-copy/campaign.json" "$R/campaigns/ramadan-survey-copy/campaign.json") $(ls "$R/outcomes" | grep -c copy)"
expect_eq "the copy's name is marked" "November payment reminders (copy)" \
	"$(py 'import json,sys; print(json.load(open(sys.argv[1]))["name"])' "$R/campaigns/nov-reminders-copy/campaign.json")"
expect_eq "the audience is copied byte for byte" "$(git -C "$R" rev-parse HEAD:campaigns/nov-reminders/audience.csv)" \
	"$(git -C "$R" rev-parse HEAD:campaigns/nov-reminders-copy/audience.csv)"
ok_if "a second duplicate picks the next free id" "$GITDIAL" duplicate nov-reminders --repo "$R" --now $T2 "${OP[@]}"
ok_if "…nov-reminders-copy-2" test -f "$R/campaigns/nov-reminders-copy-2/campaign.json"
"$GITDIAL" duplicate nov-reminders --as brk --repo "$R" --now $T2 "${OP[@]}" 2>$TMP/err; rc=$?
expect_eq "duplicate --as an id that is taken is refused" 1 "$rc"
ok_if "the copy validates" "$GITDIAL" validate --repo "$R"

# --- archive / delete / restore ---------------------------------------
"$GITDIAL" archive --yes nov-reminders --repo "$R" --now $T2 "${OP[@]}" 2>$TMP/err; rc=$?
expect_eq "archive of a Dialing campaign is refused" 1 "$rc"
expect_grep "…with what to do" "is Dialing: pause it first" $TMP/err
ok_if "archive a Draft" "$GITDIAL" archive --yes ramadan-survey-copy --repo "$R" --now $T2 "${OP[@]}"
ok_if "it moved under archived/" test -f "$R/archived/ramadan-survey-copy/campaign.json"
ok_if "…and left campaigns/" test ! -e "$R/campaigns/ramadan-survey-copy"
expect_eq "git sees a rename (same blobs)" "R100" \
	"$(git -C "$R" show HEAD -M --format= --name-status | grep audience | cut -f1)"
expect_eq "list shows it only in the archived tab" "0 1" \
	"$("$GITDIAL" list --repo "$R" --now $T2 --format json | grep -c ramadan-survey-copy) $("$GITDIAL" list --archived --repo "$R" --now $T2 --format json | grep -c ramadan-survey-copy)"
ok_if "delete an archived campaign and a live Draft in one call" \
	"$GITDIAL" delete --yes ramadan-survey-copy nov-reminders-copy --repo "$R" --now $T2 "${OP[@]}"
expect_eq "both are under deleted/ with a marker saying when, who and from where" \
	"archived campaigns" \
	"$(py 'import json,sys; print(*[json.load(open(p))["from"] for p in sys.argv[1:]])' \
		"$R/deleted/ramadan-survey-copy/.deleted.json" "$R/deleted/nov-reminders-copy/.deleted.json")"
expect_eq "list --deleted shows them" 2 "$("$GITDIAL" list --deleted --repo "$R" --now $T2 --format json | py 'import json,sys; print(len(json.load(sys.stdin)))')"
T3=$(minutes_after $T2 $((29 * 24 * 60)))
ok_if "restore within 30 days" "$GITDIAL" restore nov-reminders-copy --repo "$R" --now $T3 "${OP[@]}"
ok_if "…back where it came from, without the marker" test -f "$R/campaigns/nov-reminders-copy/campaign.json" -a ! -e "$R/campaigns/nov-reminders-copy/.deleted.json"
ok_if "archive another Draft" "$GITDIAL" archive --yes nov-reminders-copy-2 --repo "$R" --now $T3 "${OP[@]}"
ok_if "restore an archived campaign" "$GITDIAL" restore nov-reminders-copy-2 --repo "$R" --now $T3 "${OP[@]}"
ok_if "…it is back in campaigns/" test -f "$R/campaigns/nov-reminders-copy-2/campaign.json" -a ! -e "$R/archived/nov-reminders-copy-2"
T4=$(minutes_after $T2 $((31 * 24 * 60)))
"$GITDIAL" restore ramadan-survey-copy --repo "$R" --now $T4 "${OP[@]}" 2>$TMP/err; rc=$?
expect_eq "restore after 30 days is refused" 1 "$rc"
expect_grep "…saying when it was deleted" "was deleted at $T2, more than 30 days ago" $TMP/err
ok_if "a tick after 30 days" "$GITDIAL" tick --repo "$R" --now $T4
expect_eq "…purged the deleted folder from the tree" "" "$(git -C "$R" ls-tree -r --name-only HEAD deleted/)"
expect_grep "…and says so in its commit" "purged deleted/ ramadan-survey-copy" <(git -C "$R" log -3 --format=%s)
ok_if "…its history is still in git" git -C "$R" cat-file -e "$(git -C "$R" rev-list -1 HEAD -- deleted/ramadan-survey-copy/campaign.json)~1:deleted/ramadan-survey-copy/campaign.json"
"$GITDIAL" pause nov-reminders --repo "$R" --author "no email" 2>$TMP/err; rc=$?
expect_eq "a malformed --author is a usage error" 2 "$rc"
ok_if "fsck is clean" git -C "$R" fsck --strict

# --- a bulk action racing ticks through one bare remote ---------------
W=$TMP/seed
new_repo "$W"
rm -rf "$W/campaigns/ramadan-survey"
add_campaign "$W" racer 60 646 5 1
schedule "$W" racer 2026-11-24T09:00:00Z
schedule "$W" nov-reminders 2026-11-24T09:00:00Z
git clone -q --bare "$W" "$TMP/remote.git"
git clone -q "$TMP/remote.git" "$TMP/runner"
git clone -q "$TMP/remote.git" "$TMP/ops"
TR=2026-11-24T15:00:00Z
dispatched() { # racer's dispatches on the remote's branch
	git -C "$TMP/remote.git" grep -h '"dispatched"' main -- outcomes/racer | wc -l
}
tick_at() { # MINUTE [OUT]: a tick of the runner, JSON lines to OUT
	"$GITDIAL" tick --repo "$TMP/runner" --remote origin --format json \
		--now "$(minutes_after $TR "$1")" >>"${2:-$TMP/ticks.log}" 2>>"$TMP/ticks.err"
}
op_at() { # MINUTE ACTION: an operator's pause or resume of racer
	"$GITDIAL" "$2" racer --repo "$TMP/ops" --remote origin "${OP[@]}" --format json \
		--now "$(minutes_after $TR "$1")" >>"$TMP/ops.log" 2>>"$TMP/ops.err"
}
ok_if "a first tick dials racer" tick_at 0

# Forced with the publish hold (docs/testing.md): a pause that lands
# between a tick's plan and its publish stops the calls that plan held.
mkdir "$TMP/h1"
GITDIAL_TEST_HOLD=$TMP/h1 "$GITDIAL" tick --repo "$TMP/runner" --remote origin \
	--now "$(minutes_after $TR 10)" >"$TMP/held1" 2>&1 & hp=$!
ok_if "a tick made a claim commit and holds before publishing it" hold_wait "$TMP/h1" $hp
stale=$(hold_commit "$TMP/h1")
expect_eq "…a claim with calls of racer in it" 1 \
	"$([ "$(git -C "$TMP/runner" show "$stale" -- outcomes/racer | grep -c '"dispatched"')" -gt 0 ] && echo 1)"
before=$(dispatched)
ok_if "meanwhile the operator pauses racer" op_at 10 pause
hold_release "$TMP/h1"
wait $hp; rc=$?
expect_eq "the tick then ends well" 0 "$rc"
expect_grep "…having lost its claim and re-planned from the new head" \
	"the branch moved under this tick 1 time" "$TMP/held1"
expect_eq "…and dialed nobody of racer: the pause won" "$before" "$(dispatched)"

# The other way round: an operator's commit held while a tick commits.
mkdir "$TMP/h2"
GITDIAL_TEST_HOLD=$TMP/h2 "$GITDIAL" resume racer --repo "$TMP/ops" --remote origin \
	"${OP[@]}" --format json --now "$(minutes_after $TR 11)" >"$TMP/held2" 2>&1 & hp=$!
ok_if "a resume made its commit and holds before publishing it" hold_wait "$TMP/h2" $hp
stale=$(hold_commit "$TMP/h2")
ok_if "meanwhile a tick commits" tick_at 11
hold_release "$TMP/h2"
wait $hp; rc=$?
expect_eq "the resume then ends well, having re-decided once on the moved branch" "0 1" \
	"$rc $(jq -r .retries "$TMP/held2" 2>/dev/null)"
expect_eq "…its first commit never reached the branch" no \
	"$(git -C "$TMP/remote.git" merge-base --is-ancestor "$stale" main 2>/dev/null && echo yes || echo no)"
cat "$TMP/held2" >>"$TMP/ops.log"
before=$(dispatched)
ok_if "the next tick dials racer again" tick_at 12
ok_if "…it did" test "$(dispatched)" -gt "$before"

# Then 20 rounds of a tick and a pause or resume started together: they
# race within a round, and each can lose the branch only to the other's
# one or two commits, so neither gives up however slow the machine is.
trc=0 orc=0
for i in $(seq 0 19); do
	if [ $((i % 2)) -eq 0 ]; then a=pause; else a=resume; fi
	tick_at $((13 + i)) & tp=$!
	op_at $((13 + i)) $a & op=$!
	wait $tp || { e=$?; trc=1; echo "tick $i exited $e" >>"$TMP/ticks.err"; }
	wait $op || orc=1
done
expect_eq "20 ticks and 20 operator actions all succeeded" "0 0" "$trc $orc"
[ "$orc" -eq 0 ] || tail -5 "$TMP/ops.err"
[ "$trc" -eq 0 ] || tail -5 "$TMP/ticks.err"
git clone -q "$TMP/remote.git" "$TMP/check"
commits() { # the commit ids a JSON-lines output reported
	/usr/bin/python3 -c 'import json,sys
for l in open(sys.argv[1]):
    o = json.loads(l)
    for k in ("commit", "claim_commit", "place_commit"):
        if o.get(k): print(o[k])' "$1"
}
lost=0 seen=0
for c in $(commits "$TMP/ops.log") $(commits "$TMP/ticks.log"); do
	seen=$((seen + 1))
	git -C "$TMP/check" merge-base --is-ancestor "$c" HEAD 2>/dev/null || lost=$((lost + 1))
done
expect_eq "every commit the operator and the runner reported is on the branch (none lost)" 0 "$lost"
expect_eq "the 22 operator commits are among them" 22 \
	"$(git -C "$TMP/check" log --format=%s | grep -cE '^(pause|resume): racer$')"
expect_eq "the ticks kept dialing through the race" 1 \
	"$([ "$(git -C "$TMP/check" log --format=%s | grep -c '^tick:')" -gt 0 ] && echo 1)"
echo "# the operator re-decided on a moved branch $(grep -o '"retries":[0-9]*' "$TMP/ops.log" | cut -d: -f2 | paste -sd+ | bc) times"
ok_if "no double dial across the race" $AUDIT "$TMP/check" racer
ok_if "git fsck of the remote is clean" git -C "$TMP/remote.git" fsck --strict
finish
