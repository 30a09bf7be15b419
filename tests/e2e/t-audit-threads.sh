#!/usr/bin/env bash
# gitdial audit reads the files of a commit on other threads and judges
# them on the main one (runner/core/audit_walk.c): whatever the number of
# threads and however they interleave, the report must be the same bytes.
# The repository: ticks of a real campaign on the sim, their log files
# squashed into one runner commit (more files than are read on one
# thread alone), then a later commit by hand that changes an old line and
# adds a forged event, so that findings come from several checks.
. "$(dirname "$0")/../lib.sh"

RUNNER=(env GIT_AUTHOR_NAME="gitdial runner" GIT_AUTHOR_EMAIL=runner@gitdial.invalid
	GIT_COMMITTER_NAME="gitdial runner" GIT_COMMITTER_EMAIL=runner@gitdial.invalid)
T0=2026-11-24T15:00:00Z # Tuesday 10:00 in New York

R=$TMP/repo
new_repo "$R"
rm -rf "$R/campaigns/ramadan-survey"
git_commit_all "$R" "one campaign"
schedule "$R" nov-reminders 2026-11-24T14:00:00Z
base=$(git -C "$R" rev-parse HEAD)
for i in $(seq 0 11); do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 10)))" >/dev/null 2>>$TMP/tick.err
done
# every tick's files in one runner commit
git -C "$R" reset -q --soft "$base"
"${RUNNER[@]}" git -C "$R" commit -qm "twelve ticks at once"
nfiles=$(git -C "$R" diff --name-only "$base" HEAD -- outcomes | wc -l)
ok_if "one commit adds the log files of twelve ticks ($nfiles)" test "$nfiles" -ge 8

# by hand: an old line changed, and a forged outcome appended
old=$(git -C "$R" ls-files outcomes | head -n 1)
sed -i '1s/"ts":"/"ts":"X/' "$R/$old"
last=$(git -C "$R" ls-files outcomes | tail -n 1)
tail -n 1 "$R/$last" >>"$R/$last"
git -C "$R" -c user.name=someone -c user.email=someone@example.invalid \
	commit -qam "by hand"

# run THREADS FORMAT: the report, and the exit code on its last line
run() {
	GITDIAL_THREADS=$1 "$GITDIAL" audit --repo "$R" --format "$2" 2>$TMP/err.$1.$2
	echo "exit $?"
}
for fmt in json text html; do
	run 1 $fmt >$TMP/one.$fmt
	for t in 2 4; do
		run $t $fmt >$TMP/many.$fmt
		ok_if "$fmt: $t threads give the same report as one" cmp -s $TMP/one.$fmt $TMP/many.$fmt
	done
done
got=$(/usr/bin/python3 -c 'import json,sys
a = json.loads(open(sys.argv[1]).read().rsplit("exit", 1)[0])
print(a["range"]["commits"], "history" in [c["name"] for c in a["checks"] if not c["ok"]],
      a["range"]["lines"] >= 50)' $TMP/one.json)
expect_eq "the report covers every commit, finds the edit, reads the lines" \
	"$(git -C "$R" rev-list --count HEAD) True True" "$got"
expect_grep "exit 1: findings" "^exit 1$" $TMP/one.json
ok_if "nothing on stderr" test ! -s $TMP/err.4.json
finish
