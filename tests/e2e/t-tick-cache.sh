#!/usr/bin/env bash
# The derived state cache (.git/gitdial/cache) changes no result: the same
# ticks with and without it make the very same commits, and a corrupt or
# stale cache is ignored. Nor does replaying a log on several threads:
# one thread and four make the same commits and the same views.
. "$(dirname "$0")/../lib.sh"
# every run signs its commits with the same run id (Gitdial-Run), so runs
# with and without the cache can be compared commit for commit
export GITDIAL_TEST_RUN_ID=0123456789abcdef0123456789abcdef

T0=2026-11-24T14:00:00Z
new_repo "$TMP/seed" >/dev/null
schedule "$TMP/seed" nov-reminders 2026-11-24T09:00:00-05:00
schedule "$TMP/seed" ramadan-survey 2026-11-24T09:00:00Z
git clone -q "$TMP/seed" "$TMP/cached"
git clone -q "$TMP/seed" "$TMP/plain"
git clone -q "$TMP/seed" "$TMP/serial"
run() { # DIR N: one tick at T0 + N*3 minutes
	"$GITDIAL" tick --repo "$1" --now "$(minutes_after $T0 $(($2 * 3)))" >/dev/null
}
for i in $(seq 0 39); do
	run "$TMP/cached" $i
	GITDIAL_NO_CACHE=1 GITDIAL_THREADS=4 run "$TMP/plain" $i
	GITDIAL_NO_CACHE=1 GITDIAL_THREADS=1 run "$TMP/serial" $i
	# halfway, break the cache in two ways: it must be rebuilt, not trusted
	if [ $i -eq 15 ]; then
		for f in "$TMP"/cached/.git/gitdial/cache/*.state \
			 "$TMP"/cached/.git/gitdial/cache/*.audience; do
			printf 'garbage' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
		done
	fi
	# an edited audience must be read again, not taken from the cache
	if [ $i -eq 20 ]; then
		for d in cached plain serial; do
			printf '+1 212 555 0177,Late Addition,$10.00,2026-12-24,en,\n' \
				>> "$TMP/$d/campaigns/nov-reminders/audience.csv"
			# the same commit in both clones: a fixed date, not the wall clock
			GIT_AUTHOR_DATE=2026-11-24T15:00:00Z GIT_COMMITTER_DATE=2026-11-24T15:00:00Z \
				git_commit_all "$TMP/$d" "one more recipient"
		done
	fi
	if [ $i -eq 25 ]; then
		cp -r "$TMP/cached/.git/gitdial/cache" "$TMP/cache-25"
	fi
done
ok_if "the caches were used" test -s "$TMP/cached/.git/gitdial/cache/nov-reminders.state" \
	-a -s "$TMP/cached/.git/gitdial/cache/nov-reminders.audience"
expect_grep "the added recipient was dialed in both" '"phone":"\+12125550177"' \
	<(git -C "$TMP/cached" grep -h '"dispatched"' HEAD -- outcomes)
expect_eq "with and without the cache, the same commits" \
	"$(git -C "$TMP/plain" rev-parse HEAD)" "$(git -C "$TMP/cached" rev-parse HEAD)"
expect_eq "and the same history length" \
	"$(git -C "$TMP/plain" rev-list --count HEAD)" "$(git -C "$TMP/cached" rev-list --count HEAD)"
expect_eq "replayed on one thread or four, the same commits" \
	"$(git -C "$TMP/serial" rev-parse HEAD)" "$(git -C "$TMP/plain" rev-parse HEAD)"
ok_if "a log of many files (parallel replay is for 4 or more)" \
	test "$(git -C "$TMP/plain" ls-tree -r --name-only HEAD outcomes/nov-reminders | wc -l)" -ge 8
# with no cache and several threads, the log is parsed while the
# audience is read (the commits above prove it changes nothing)
expect_grep "a cold tick parses the log ahead of the replay" \
	'log parsed ahead: [0-9]+ of [0-9]+ files' \
	<(GITDIAL_NO_CACHE=1 GITDIAL_THREADS=4 GITDIAL_TRACE_PERF=1 "$GITDIAL" tick \
		--repo "$TMP/plain" --now "$(minutes_after $T0 120)" --dry-run 2>&1)
for id in nov-reminders ramadan-survey; do
	for th in 1 4; do
		GITDIAL_NO_CACHE=1 GITDIAL_THREADS=$th "$GITDIAL" show "$id" --repo "$TMP/plain" \
			--now "$(minutes_after $T0 120)" --format json >"$TMP/show-$id-$th.json"
	done
	expect_eq "show $id: the same on one thread and four" \
		"$(cat "$TMP/show-$id-1.json")" "$(cat "$TMP/show-$id-4.json")"
done

# a cache from a later point of a history that was rewound must not be trusted
git clone -q "$TMP/seed" "$TMP/rewound"
for i in $(seq 0 9); do run "$TMP/rewound" $i; done
mkdir -p "$TMP/rewound/.git/gitdial"
cp -r "$TMP/cache-25" "$TMP/rewound/.git/gitdial/cache"
git clone -q "$TMP/seed" "$TMP/ref"
for i in $(seq 0 9); do GITDIAL_NO_CACHE=1 run "$TMP/ref" $i; done
run "$TMP/rewound" 10
GITDIAL_NO_CACHE=1 run "$TMP/ref" 10
expect_eq "a cache that saw files the branch no longer has is rebuilt" \
	"$(git -C "$TMP/ref" rev-parse HEAD)" "$(git -C "$TMP/rewound" rev-parse HEAD)"

# The cache finds what is new by comparing the log's tree with the one it
# saw, so a tick looks only into the directories that changed. Over
# midnight (a new day directory) and through hand edits of the history,
# made the same in a clone ticking with the cache and one without: a file
# added in an old day directory is replayed; one rewritten or removed
# makes the cache stale. Each edit skips (or un-skips) recipients not
# dialed yet, so a cache that missed it would dial differently.
H0=2026-11-24T23:30:00Z
new_repo "$TMP/hseed" >/dev/null
rm -rf "$TMP/hseed/campaigns/ramadan-survey" "$TMP/hseed/campaigns/nov-reminders"
add_campaign "$TMP/hseed" hist 60 212 3 0
schedule "$TMP/hseed" hist $H0
git clone -q "$TMP/hseed" "$TMP/hc"
git clone -q "$TMP/hseed" "$TMP/hp"
hrun() { # DIR N: one tick at H0 + N*3 minutes
	"$GITDIAL" tick --repo "$1" --now "$(minutes_after $H0 $(($2 * 3)))" >/dev/null
}
skips() { # FROM TO: skipped events for recipients FROM..TO (their rows: +2)
	local i
	for i in $(seq "$1" "$2"); do
		printf '{"v":1,"ts":"2026-11-24T23:59:00Z","campaign":"hist","event":"skipped","phone":"+121255%05d","row":%d,"reason":"by hand"}\n' "$i" $((i + 2))
	done
}
hedit() { # MSG CMD...: CMD in each clone's work tree, committed alike
	local d
	for d in hc hp; do
		(cd "$TMP/$d" && eval "$2") &&
			GIT_AUTHOR_DATE=2026-11-25T01:00:00Z GIT_COMMITTER_DATE=2026-11-25T01:00:00Z \
			git_commit_all "$TMP/$d" "$1"
	done
}
DAY1=outcomes/hist/2026/11/24
for i in $(seq 0 34); do
	hrun "$TMP/hc" $i
	GITDIAL_NO_CACHE=1 hrun "$TMP/hp" $i
	case $i in # the first tick to read a new day directory, or an edit
	11) expect_eq "past midnight (a new day directory), the same commits" \
		"$(git -C "$TMP/hp" rev-parse HEAD)" "$(git -C "$TMP/hc" rev-parse HEAD)" ;;
	12|14|16) expect_eq "after the edit before tick $i, the same commits" \
		"$(git -C "$TMP/hp" rev-parse HEAD)" "$(git -C "$TMP/hc" rev-parse HEAD)" ;;
	esac
	case $i in
	11) hedit "a new file in an old day directory" "skips 40 44 >$DAY1/T000000Z-hand.jsonl" ;;
	13) hedit "an old file rewritten" "skips 55 59 >>\$(ls $DAY1/T2330*Z-*[0-9a-f].jsonl | head -1)" ;;
	15) hedit "a file removed" "git rm -q $DAY1/T000000Z-hand.jsonl" ;;
	esac
done
ok_if "the history spans two day directories" \
	test -d "$TMP/hc/outcomes/hist/2026/11/25" -a -d "$TMP/hc/$DAY1"
ok_if "the cache was used" test -s "$TMP/hc/.git/gitdial/cache/hist.state"
dialed() { # PATTERN: how many recipients matching PATTERN hc dialed
	git -C "$TMP/hc" grep -h '"dispatched"' HEAD -- outcomes/hist |
		grep -o "\"phone\":\"$1\"" | sort -u | wc -l
}
expect_eq "the recipients skipped in the rewritten file were never dialed" 0 \
	"$(dialed '+1212550005[5-9]')"
expect_eq "those whose skips were removed were dialed after all" 5 \
	"$(dialed '+1212550004[0-4]')"
expect_eq "after all the edits, the same commits" \
	"$(git -C "$TMP/hp" rev-parse HEAD)" "$(git -C "$TMP/hc" rev-parse HEAD)"
finish
