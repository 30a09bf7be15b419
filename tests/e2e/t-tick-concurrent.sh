#!/usr/bin/env bash
# Runners ticking the same campaign through one bare remote. First two
# races forced with the publish hold (GITDIAL_TEST_HOLD, docs/testing.md),
# so they happen on every run whatever the load: a claim that loses the
# compare-and-swap and is re-planned, and a place commit that loses it
# and is appended again on the new head. Then four runners in lockstep,
# 50 rounds of 4 ticks started together on one simulated clock (200 in
# all): every tick ends well, and the committed log shows no double
# dispatch, no number in flight twice, every event once, a clean fsck.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-hold.sh"

W=$TMP/seed
new_repo "$W"
rm -rf "$W/campaigns/ramadan-survey" "$W/campaigns/nov-reminders"
add_campaign "$W" race 150 212 12 2
schedule "$W" race 2026-11-24T14:00:00Z
git clone -q --bare "$W" "$TMP/remote.git"
for k in 1 2 3 4; do git clone -q "$TMP/remote.git" "$TMP/r$k"; done
# one simulated carrier for every runner, as one real provider would be:
# a status lookup finds a call whichever runner placed it
export GITDIAL_SIM_DIR=$TMP/carrier
T0=2026-11-24T14:00:00Z
dispatched() { git -C "$TMP/remote.git" grep -h '"dispatched"' main -- outcomes | wc -l; }
on_branch() { git -C "$TMP/remote.git" merge-base --is-ancestor "$1" main 2>/dev/null && echo yes || echo no; }

# --- 1. a claim loses the race --------------------------------------
mkdir "$TMP/h1"
GITDIAL_TEST_HOLD=$TMP/h1 "$GITDIAL" tick --repo "$TMP/r1" --remote origin \
	--now $T0 >"$TMP/held1" 2>&1 & hp=$!
ok_if "runner 1 made its claim commit and holds before publishing it" hold_wait "$TMP/h1" $hp
stale=$(hold_commit "$TMP/h1")
ok_if "meanwhile runner 2 claims and places the same calls" \
	"$GITDIAL" tick --repo "$TMP/r2" --remote origin --now $T0
hold_release "$TMP/h1"
wait $hp; rc=$?
expect_eq "runner 1 then ends well" 0 "$rc"
expect_grep "…after losing the claim and re-planning from the new head" \
	"the branch moved under this tick 1 time" "$TMP/held1"
expect_eq "…its first claim commit never reached the branch" no "$(on_branch "$stale")"
expect_eq "the 12 calls (the concurrency) were dispatched once, not twice" 12 "$(dispatched)"

# --- 2. a place commit loses the race -------------------------------
T1=$(minutes_after $T0 10)
ok_if "runner 2 ingests the outcomes of its calls" \
	"$GITDIAL" ingest --repo "$TMP/r2" --remote origin --now $T1
mkdir "$TMP/h2"
GITDIAL_TEST_HOLD=$TMP/h2 GITDIAL_TEST_HOLD_NTH=2 "$GITDIAL" tick --repo "$TMP/r1" \
	--remote origin --now $T1 --format json >"$TMP/held2" 2>"$TMP/held2.err" & hp=$!
ok_if "runner 1 claimed, placed, and holds before publishing what it placed" \
	hold_wait "$TMP/h2" $hp
stale=$(hold_commit "$TMP/h2")
ok_if "meanwhile an operator adds a number to the DNC list" \
	"$GITDIAL" dnc add +15005550100 --repo "$TMP/r2" --remote origin --now $T1 \
	--author "Ops Person <ops@example.com>"
hold_release "$TMP/h2"
wait $hp; rc=$?
expect_eq "runner 1 then ends well" 0 "$rc"
[ "$rc" -eq 0 ] || sed 's/^/#   /' "$TMP/held2.err" | head
placed=$(jq -r '.place_commit // empty' "$TMP/held2")
expect_eq "…its claim was not beaten, only its place commit (claim_rounds_lost)" 0 \
	"$(jq -r '.claim_rounds_lost' "$TMP/held2")"
expect_eq "…its first place commit never reached the branch" no "$(on_branch "$stale")"
expect_eq "…the place commit it made again on the new head did" yes "$(on_branch "${placed:-none}")"
ok_if "…on top of the operator's commit" \
	git -C "$TMP/remote.git" merge-base --is-ancestor "$(git -C "$TMP/remote.git" log -1 --format=%H --grep='^dnc' main)" "${placed:-none}"
ok_if "no double dial, nobody in flight twice, every event once so far" \
	$AUDIT "$TMP/remote.git" race --windows

# --- 3. four runners in lockstep ------------------------------------
ticks=0 fails=0 moved=0
for i in $(seq 0 49); do
	now=$(minutes_after $T1 $((2 + i * 2)))
	pids=()
	for k in 1 2 3 4; do
		"$GITDIAL" tick --repo "$TMP/r$k" --remote origin --now "$now" \
			>"$TMP/out$k" 2>>"$TMP/log$k" & pids+=($!)
	done
	for k in 1 2 3 4; do
		wait "${pids[$((k - 1))]}"; e=$?
		ticks=$((ticks + 1))
		grep -q "the branch moved under this tick" "$TMP/out$k" && moved=$((moved + 1))
		cat "$TMP/out$k" >>"$TMP/log$k"
		[ "$e" -eq 0 ] || { fails=$((fails + 1)); echo "gitdial tick at $now: exited $e" >>"$TMP/log$k"; }
	done
done
expect_eq "200 ticks from 4 runners in lockstep all ended well (exit 0)" "200 0" "$ticks $fails"
[ "$fails" -eq 0 ] || grep -h "gitdial tick" "$TMP"/log* | sort | uniq -c | head
# a crash says why (sanitizer reports, glibc's aborts)
[ "$fails" -eq 0 ] || grep -h -B2 -A40 'ERROR: \|runtime error\|Sanitizer\|free()\|corrupted\|Assertion' \
	"$TMP"/log* | head -80
echo "# $moved of the 200 ticks lost a race by themselves and re-planned"

git clone -q "$TMP/remote.git" "$TMP/check"
ok_if "no double dial, nobody in flight twice, every event once" $AUDIT "$TMP/check" race --windows
expect_eq "every claim is dispatched once (no duplicate attempt ids)" 0 \
	"$(git -C "$TMP/check" grep -h '"dispatched"' HEAD -- outcomes | sed 's/.*"attempt_id":"\([^"]*\)".*/\1/' | sort | uniq -d | wc -l)"
ok_if "git fsck of the remote is clean" git -C "$TMP/remote.git" fsck --strict
ok_if "gitdial audit of the raced history is clean" "$GITDIAL" audit --repo "$TMP/check"
finish
