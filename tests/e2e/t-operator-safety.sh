#!/usr/bin/env bash
# Operator commands and the person's checkout (issue 17 items 1-2): a
# command never commits a file the person changed (it refuses, naming the
# file), leaves the index agreeing with the branch for what it wrote (so a
# later `git commit -a` keeps the operator's change), refuses --now outside
# tests, and never logs a time before the newest event of the campaign.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R"
schedule "$R" nov-reminders 2026-11-24T09:00:00-05:00
OP=(--author "Ops Person <ops@example.com>")
py() { /usr/bin/python3 -c "$@"; }
st() { /usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["status"])' "$1"; }
# a tick far in the future: the log's newest event is later than the clock
FUT=2031-03-01T15:00:00Z
ok_if "a tick dials (its events dated $FUT)" "$GITDIAL" tick --repo "$R" --now $FUT
C=$R/campaigns/nov-reminders/campaign.json

# --- a modified campaign.json: refused, naming it, nothing changed -----
sed -i 's/"name": "November payment reminders"/"name": "Reminders (edited)"/' "$C"
head0=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" pause nov-reminders --repo "$R" "${OP[@]}" >$TMP/out 2>$TMP/err; rc=$?
expect_eq "pause with a modified campaign.json exits 1" 1 "$rc"
expect_grep "…naming the file and what to do" \
	"nov-reminders: campaigns/nov-reminders/campaign.json has uncommitted changes in the work tree: commit or stash it first" $TMP/err
expect_eq "…and commits nothing" "$head0" "$(git -C "$R" rev-parse HEAD)"
expect_grep "…the person's edit is still there" '"Reminders \(edited\)"' "$C"
git -C "$R" add "$C"
"$GITDIAL" pause nov-reminders --repo "$R" "${OP[@]}" >$TMP/out 2>$TMP/err; rc=$?
expect_eq "a staged edit is refused too" "1 $head0" "$rc $(git -C "$R" rev-parse HEAD)"
expect_grep "…saying it is staged" "campaign.json has staged changes" $TMP/err
git -C "$R" reset -q -- "$C" && git -C "$R" checkout -q -- "$C"

# --- clean: the pause, and the index agrees with it ---------------------
ok_if "pause with a clean checkout" "$GITDIAL" pause nov-reminders --repo "$R" "${OP[@]}"
expect_eq "git status is clean for what it wrote" "" \
	"$(git -C "$R" status --porcelain -- campaigns/nov-reminders outcomes/nov-reminders)"
pause_commit=$(git -C "$R" rev-parse HEAD)
# the person edits something else and commits everything
echo "# notes" >> "$R/README.md"
git -C "$R" commit -qam "docs: a note"
expect_eq "after the person's commit -a, the pause is intact" "paused" \
	"$(git -C "$R" show HEAD:campaigns/nov-reminders/campaign.json | py 'import json,sys; print(json.load(sys.stdin)["status"])')"
expect_eq "…and the person's commit touched only README.md" "README.md" \
	"$(git -C "$R" diff --name-only "$pause_commit" HEAD)"
# the clock is behind the newest event: the status event is dated at it
ev=$(git -C "$R" grep -h '"event":"status","status":"paused"' HEAD -- outcomes/nov-reminders)
expect_eq "the pause is logged no earlier than the newest event" 1 \
	"$(py 'import json,sys; print(int(json.loads(sys.argv[1])["ts"] >= sys.argv[2]))' "$ev" "$FUT")"

# --- resume, then archive with a dirty file of the folder --------------
ok_if "resume (clean)" "$GITDIAL" resume nov-reminders --repo "$R" "${OP[@]}"
expect_eq "git status is still clean" "" "$(git -C "$R" status --porcelain)"
echo "+12125550999,Extra" >> "$R/campaigns/ramadan-survey/audience.csv"
head0=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" archive ramadan-survey --yes --repo "$R" "${OP[@]}" >$TMP/out 2>$TMP/err; rc=$?
expect_eq "archive with a modified audience.csv is refused" "1 $head0" "$rc $(git -C "$R" rev-parse HEAD)"
expect_grep "…naming the file" "campaigns/ramadan-survey/audience.csv has uncommitted changes" $TMP/err
git -C "$R" checkout -q -- campaigns/ramadan-survey
mkdir -p "$R/archived/ramadan-survey" && echo '{}' > "$R/archived/ramadan-survey/campaign.json"
"$GITDIAL" archive ramadan-survey --yes --repo "$R" "${OP[@]}" >$TMP/out 2>$TMP/err; rc=$?
expect_eq "an untracked file where archive would write is refused" "1 $head0" "$rc $(git -C "$R" rev-parse HEAD)"
expect_grep "…naming it" "archived/ramadan-survey/campaign.json is an untracked file in the way" $TMP/err
rm -rf "$R/archived"
ok_if "archive (clean)" "$GITDIAL" archive ramadan-survey --yes --repo "$R" "${OP[@]}"
expect_eq "the checkout follows the move and git status is clean" "yes " \
	"$(test -f "$R/archived/ramadan-survey/campaign.json" && echo yes) $(git -C "$R" status --porcelain)"

# --- archive/delete ask first ---------------------------------------------
head0=$(git -C "$R" rev-parse HEAD)
"$GITDIAL" delete ramadan-survey --repo "$R" "${OP[@]}" </dev/null >$TMP/out 2>$TMP/err; rc=$?
expect_eq "delete without --yes, stdin not a terminal: a usage error (exit 2), nothing changed" "2 $head0" \
	"$rc $(git -C "$R" rev-parse HEAD)"
expect_grep "…saying to give --yes" "give --yes to delete \(stdin is not a terminal" $TMP/err
if command -v script >/dev/null; then
	printf 'n\n' | script -qec "'$GITDIAL' delete ramadan-survey --repo '$R' --author 'Ops Person <ops@example.com>'" /dev/null >$TMP/tty 2>&1
	expect_grep "on a terminal it asks, saying what delete does" "Delete ramadan-survey \(move to deleted/; restorable for 30 days" $TMP/tty
	expect_eq "…and 'n' changes nothing" "$head0" "$(git -C "$R" rev-parse HEAD)"
	printf 'y\n' | script -qec "'$GITDIAL' delete ramadan-survey --repo '$R' --author 'Ops Person <ops@example.com>'" /dev/null >$TMP/tty 2>&1
	expect_eq "…and 'y' deletes it" "deleted" "$(test -f "$R/deleted/ramadan-survey/campaign.json" && echo deleted)"
	ok_if "restore it" "$GITDIAL" restore ramadan-survey --repo "$R" "${OP[@]}"
fi

# --- dnc: a file in the way ---------------------------------------------
ok_if "dnc add (clean)" "$GITDIAL" dnc add +12125550142 --repo "$R" "${OP[@]}"
expect_eq "git status is clean after dnc add" "" "$(git -C "$R" status --porcelain)"

# --- --now is refused by commands that write ------------------------------
head0=$(git -C "$R" rev-parse HEAD)
for c in "pause nov-reminders" "resume nov-reminders" "archive nov-reminders --yes" \
	"delete nov-reminders --yes" "restore ramadan-survey" "duplicate nov-reminders" \
	"dnc add +12125550143" "dnc remove +12125550142 --reason x"; do
	env -u GITDIAL_TEST_ALLOW_NOW "$GITDIAL" $c --now 2000-01-01T00:00:00Z --repo "$R" "${OP[@]}" \
		>$TMP/out 2>$TMP/err; rc=$?
	expect_eq "$c --now: refused as a usage error (exit 2)" 2 "$rc"
	expect_grep "…saying why" "--now is refused: a command that writes records the clock's time" $TMP/err
done
env -u GITDIAL_TEST_ALLOW_NOW "$GITDIAL" new --id x --name X --audience "$R/campaigns/nov-reminders/audience.csv" \
	--now 2000-01-01T00:00:00Z --repo "$R" "${OP[@]}" </dev/null >$TMP/out 2>$TMP/err; rc=$?
expect_eq "new --now: refused (exit 2)" 2 "$rc"
expect_eq "nothing was committed by any of them" "$head0" "$(git -C "$R" rev-parse HEAD)"
ok_if "show --now still works without the test setting" \
	env -u GITDIAL_TEST_ALLOW_NOW "$GITDIAL" show nov-reminders --repo "$R" --now $FUT
ok_if "dnc list --now still works" env -u GITDIAL_TEST_ALLOW_NOW "$GITDIAL" dnc list --repo "$R" --now $FUT
ok_if "git fsck is clean" git -C "$R" fsck --strict
finish
