#!/usr/bin/env bash
# The tick end to end on a real repository: claim before dial, outcomes
# through the spool, dry runs, DNC, pause/resume, completion, a clean
# checkout and a clean fsck.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
rm -rf "$R/campaigns/ramadan-survey"
git_commit_all "$R" "one campaign"
T0=2026-11-24T14:00:00Z

ok_if "a draft campaign is not dialed" "$GITDIAL" tick --repo "$R" --now $T0
expect_eq "no log for a draft" "" "$(git -C "$R" ls-tree -r --name-only HEAD outcomes)"

schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
head=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" tick --repo "$R" --now $T0 --dry-run --format json > $TMP/dry.json
expect_eq "dry run commits nothing" "$head" "$(git -C "$R" rev-parse HEAD)"
expect_eq "dry run shows the batch (5 = concurrency)" 5 \
	"$(/usr/bin/python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["campaigns"][0]["batch"]))' $TMP/dry.json)"
expect_eq "dry run places nothing (empty spool)" 0 "$(ls "$R/.git/gitdial/spool" 2>/dev/null | wc -l)"

ok_if "first tick" "$GITDIAL" tick --repo "$R" --now $T0
claim=$(git -C "$R" rev-parse HEAD~1)
expect_eq "claim commit holds only dispatched events (no placed before the claim)" "dispatched" \
	"$(git -C "$R" show "$claim" --format= -p | sed -n 's/^+{.*"event":"\([a-z]*\)".*/\1/p' | sort -u | grep -v status | tr '\n' ' ' | sed 's/ $//')"
expect_eq "claim commit is by the runner" "gitdial runner" "$(git -C "$R" log -1 --format=%an "$claim")"
expect_grep "commit message says what it did" "^tick: nov-reminders \+5 dialed" <(git -C "$R" log -1 --format=%s "$claim")
expect_eq "placed events follow in the next commit" 5 \
	"$(git -C "$R" show HEAD --format= -p | grep -c '"event":"placed"')"
expect_eq "the checkout follows the branch" "" "$(git -C "$R" status --porcelain)"
expect_eq "sim reported outcomes to the spool" 1 "$([ "$(ls "$R/.git/gitdial/spool" | wc -l)" -ge 5 ] && echo 1)"

# add a DNC entry for a number that has not been dialed yet
dnc_phone=$(git -C "$R" show HEAD:campaigns/nov-reminders/audience.csv | sed -n '2,$p' | cut -d, -f1 | tail -1 | tr -d ' ()-')
dnc_phone=${dnc_phone/#001/+1}
printf '{"v":1,"ts":"2026-11-24T13:00:00Z","phone":"%s","action":"add","reason":"test","source":"t-tick"}\n' "$dnc_phone" > "$R/dnc/test.jsonl"
git_commit_all "$R" "dnc"

# what a person staged stays staged: the tick's new files go into the
# index it finds (read ahead on a thread while the tick plans)
echo "a note" > "$R/notes.txt"
git -C "$R" add notes.txt
head=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 1)" >/dev/null
ok_if "a tick with a file staged commits" test "$head" != "$(git -C "$R" rev-parse HEAD)"
expect_eq "the staged file is still staged, and the rest is clean" "A  notes.txt" \
	"$(git -C "$R" status --porcelain)"
git -C "$R" rm -q --cached notes.txt && rm "$R/notes.txt"

for i in $(seq 1 30); do "$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $i)" >/dev/null || break; done
ok_if "30 more ticks audit clean (no double dial, windows)" $AUDIT "$R" nov-reminders --windows --dnc "$dnc_phone"
expect_grep "the DNC number is logged as skipped" "\"phone\":\"\\$dnc_phone\".*\"reason\":\"dnc\"" \
	<(git -C "$R" grep -h '"skipped"' HEAD -- outcomes)

# pause: no new dispatches, in-flight outcomes still recorded
set_status "$R" nov-reminders paused
"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 40)" >/dev/null
n_before=$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)
for i in $(seq 41 60); do "$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $i)" >/dev/null; done
expect_eq "paused: nothing new dispatched in 20 ticks" "$n_before" "$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes | wc -l)"
expect_grep "paused is logged" '"status":"paused"' <(git -C "$R" grep -h '"status"' HEAD -- outcomes)
inflight=$("$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 61)" --dry-run --format json | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["campaigns"][0]["in_flight"])')
expect_eq "in-flight calls finished and were recorded while paused" 0 "$inflight"

set_status "$R" nov-reminders scheduled
for i in $(seq 62 2000); do
	out=$("$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 5)))" --format json) || break
	case $out in *'"status":"completed"'*) break ;; esac
done
expect_grep "resumed is logged" '"reason":"resumed in campaign.json"' <(git -C "$R" grep -h '"status"' HEAD -- outcomes)
ok_if "completed with every row accounted for" $AUDIT "$R" nov-reminders --windows --complete --dnc "$dnc_phone"
head=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" tick --repo "$R" --now 2026-12-01T15:00:00Z >/dev/null
expect_eq "a completed campaign stays completed (no commit)" "$head" "$(git -C "$R" rev-parse HEAD)"
ok_if "git fsck is clean" git -C "$R" fsck --strict
expect_eq "the checkout is clean" "" "$(git -C "$R" status --porcelain)"
"$GITDIAL" list --repo "$R" --format json > $TMP/list.json
expect_eq "list shows Completed" Completed "$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["status"])' $TMP/list.json)"

# a caller ID the provider rejects fails the campaign at once
R2=$TMP/repo2
new_repo "$R2"
sed -i 's/"caller_id": "+12125550100"/"caller_id": "+12125550199"/; s/"caller_ids": \["+12125550100", "+966115550100"\]/"caller_ids": ["+12125550100", "+966115550100", "+12125550199"]/' "$R2/campaigns/nov-reminders/campaign.json" "$R2/gitdial.json"
git_commit_all "$R2" "bad caller id"
schedule "$R2" nov-reminders 2026-11-24T09:00:00-05:00
"$GITDIAL" tick --repo "$R2" --now $T0 >/dev/null
expect_grep "rejected caller ID fails the campaign with the reason" '"status":"failed","reason":"provider rejected the campaign \(rejected 21210\)' \
	<(git -C "$R2" grep -h '"status"' HEAD -- outcomes)
head=$(git -C "$R2" rev-parse HEAD)
"$GITDIAL" tick --repo "$R2" --now "$(minutes_after $T0 30)" >/dev/null
expect_eq "a failed campaign dials no more" 0 "$(git -C "$R2" diff --stat "$head" HEAD -- outcomes | grep -c dispatched)"

ok_if "usage error exits 2" bash -c '"$0" tick --shard 5/2; [ $? -eq 2 ]' "$GITDIAL"

# libcurl (and its 30 libraries) is loaded only by a tick that calls a
# remote function (t-twilio-campaign has one), not at every start
LD_DEBUG=libs LD_DEBUG_OUTPUT="$TMP/ld-tick" "$GITDIAL" tick --repo "$R" \
	--now "$(minutes_after $T0 31)" >/dev/null 2>&1
ok_if "a tick with local functions never loads libcurl" \
	sh -c "ls '$TMP'/ld-tick.* >/dev/null && ! cat '$TMP'/ld-tick.* | grep -q 'calling init: .*libcurl'"
finish
