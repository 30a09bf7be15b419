#!/usr/bin/env bash
# kill -9 at every step of a tick: the next ticks recover, nothing is
# dialed twice, nothing is lost, and git fsck stays clean.
. "$(dirname "$0")/../lib.sh"

T0=2026-11-24T14:00:00Z
for point in ingest claim-committed claim-pushed placing placing-half \
	     place-committed before-outcome-commit; do
	R=$TMP/$point
	new_repo "$R" >/dev/null
	rm -rf "$R/campaigns/ramadan-survey" "$R/campaigns/nov-reminders"
	add_campaign "$R" crash 20 212 5 1
	schedule "$R" crash $T0
	"$GITDIAL" tick --repo "$R" --now $T0 >/dev/null
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 1)" >/dev/null
	GITDIAL_TEST_CRASH=$point "$GITDIAL" tick --repo "$R" \
		--now "$(minutes_after $T0 5)" >/dev/null 2>&1 &
	wait $! 2>/dev/null
	expect_eq "$point: the tick was killed" 137 $?
	done_at=
	for i in $(seq 6 400); do
		out=$("$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 2)))" --format json) || break
		case $out in *'"status":"completed"'*) done_at=$i; break ;; esac
	done
	ok_if "$point: the campaign still completes" test -n "$done_at"
	ok_if "$point: no double dial, every row accounted for, events once" \
		$AUDIT "$R" crash --complete
	case $point in
	claim-pushed|placing)
		# claimed on the branch, never placed: resolved by asking, not redialed
		expect_grep "$point: the unplaced claims were resolved through the function" \
			'"code":"claimed_not_placed"' <(git -C "$R" grep -h '"outcome"' HEAD -- outcomes) ;;
	placing-half|place-committed|before-outcome-commit)
		# placed, but the runner died before recording it: nothing is lost
		ok_if "$point: no claim was resolved as never placed" \
			bash -c "! git -C '$R' grep -q claimed_not_placed HEAD -- outcomes" ;;
	esac
	ok_if "$point: git fsck is clean" git -C "$R" fsck --strict
	expect_eq "$point: the checkout is clean" "" "$(git -C "$R" status --porcelain)"
	spool_left=$(find "$R/.git/gitdial/spool" -maxdepth 1 -name '*.json' | wc -l)
	expect_eq "$point: the spool is drained" 0 "$spool_left"
done
finish
