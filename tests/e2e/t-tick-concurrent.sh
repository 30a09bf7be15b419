#!/usr/bin/env bash
# Four runners ticking the same campaign at once through one bare remote,
# 200 ticks in all: the committed log must show no double dispatch, no
# number in flight twice, every event once, and a clean fsck.
. "$(dirname "$0")/../lib.sh"

W=$TMP/seed
new_repo "$W"
rm -rf "$W/campaigns/ramadan-survey" "$W/campaigns/nov-reminders"
add_campaign "$W" race 150 212 12 2
schedule "$W" race 2026-11-24T14:00:00Z
git clone -q --bare "$W" "$TMP/remote.git"
for k in 1 2 3 4; do git clone -q "$TMP/remote.git" "$TMP/r$k"; done

T0=2026-11-24T14:00:00Z
runner() { # K: 50 ticks, racing the others on the same clock
	local k=$1 i rc=0
	for i in $(seq 0 49); do
		"$GITDIAL" tick --repo "$TMP/r$k" --remote origin \
			--now "$(minutes_after $T0 $((i * 2)))" >>"$TMP/log$k" 2>&1
		e=$?
		# 3 is an alert, not an error: the circuit breaker paused the
		# campaign (each runner simulates a carrier of its own, and the
		# clock runs ahead of the placing, so another runner's status
		# lookup of a claim not placed yet finds no call)
		if [ "$e" -eq 3 ]; then
			echo "breaker pause (exit 3)" >>"$TMP/alerts"
		elif [ "$e" -ne 0 ]; then
			rc=1
			echo "gitdial tick: exited $e" >>"$TMP/log$k"
		fi
	done
	return $rc
}
pids=()
for k in 1 2 3 4; do runner $k & pids+=($!); done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "200 ticks from 4 runners all ran (exit 0, or 3 for a breaker pause)" 0 "$fails"
[ "$fails" -eq 0 ] || grep -h "gitdial tick:" "$TMP"/log* | sort | uniq -c | head
# a crash says why (sanitizer reports, glibc's aborts)
[ "$fails" -eq 0 ] || grep -h -B2 -A40 'ERROR: \|runtime error\|Sanitizer\|free()\|corrupted\|Assertion' \
	"$TMP"/log* | head -80

git clone -q "$TMP/remote.git" "$TMP/check"
ok_if "no double dial, nobody in flight twice, every event once" $AUDIT "$TMP/check" race --windows
expect_eq "every claim is dispatched once (no duplicate attempt ids)" 0 \
	"$(git -C "$TMP/check" grep -h '"dispatched"' HEAD -- outcomes | sed 's/.*"attempt_id":"\([^"]*\)".*/\1/' | sort | uniq -d | wc -l)"
ok_if "the runners really raced (some ticks lost the claim and re-planned)" \
	grep -q "the branch moved under this tick" "$TMP"/log1 "$TMP"/log2 "$TMP"/log3 "$TMP"/log4
ok_if "git fsck of the remote is clean" git -C "$TMP/remote.git" fsck --strict
ok_if "gitdial audit of the raced history is clean" "$GITDIAL" audit --repo "$TMP/check"
finish
