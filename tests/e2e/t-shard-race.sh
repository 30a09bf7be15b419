#!/usr/bin/env bash
# Scale-out: four runners, each `gitdial tick --shard I/4` on its own bare
# clone, racing through one smart-HTTP remote with basic auth (git
# http-backend under lighttpd) on a shared simulated clock, in rounds;
# the first round's race forced with the publish hold. Eight
# campaigns share three Florida numbers (us-fl-cap: 3 calls a day across
# campaigns) besides numbers of their own, and end three hours after they
# start. The independent auditor (tests/tools/audit.py) finds no double
# dial and no cap exceeded in any campaign, and every campaign, whichever
# shard owns it, completes.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/lib-smarthttp.sh"
. "$(dirname "$0")/lib-hold.sh"
trap 'smarthttp_stop; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

T0=2026-11-24T14:00:00Z            # 09:00 in Miami
END=2026-11-24T17:00:00Z
IDS="north south east west spring summer autumn winter"
AREAS=(786 954 754 561 407 321 813 727)
W=$TMP/seed
new_repo "$W"
rm -rf "$W"/campaigns/*
k=0
for id in $IDS; do
	mkdir -p "$W/campaigns/$id"
	/usr/bin/python3 - "$W/campaigns/$id" "${AREAS[$k]}" "$T0" "$END" <<'PY'
import json, sys
d, area, start, end = sys.argv[1:]
with open(d + "/audience.csv", "w") as f:
    f.write("phone,name\n")
    for i in range(3):                 # shared by every campaign
        f.write("+1305555%04d,Shared %d\n" % (i, i))
    for i in range(6):                 # this campaign's own
        f.write("+1%s555%04d,Own %d\n" % (area, i, i))
json.dump({"name": "Race " + d.rsplit("/", 1)[1], "status": "scheduled",
           "start_at": start, "end_at": end, "account": "sim-main",
           "script": {"mode": "override", "text": "Hello {{name}}."},
           "audience": {"csv": "audience.csv"},
           "pacing": {"concurrency": 3,
                      "retries": {"max": 1, "cooldown_minutes": 10,
                                  "on": ["no_answer", "busy", "voicemail"]}}},
          open(d + "/campaign.json", "w"), indent=2)
PY
	k=$((k + 1))
done
git_commit_all "$W" "eight racing campaigns"
ok_if "the seed validates" "$GITDIAL" validate --repo "$W"

TOKEN=race-$$
smarthttp_start x-access-token "$TOKEN"
git init -q --bare --initial-branch=main "$GITSRV_ROOT/calls.git"
git -C "$GITSRV_ROOT/calls.git" config http.receivepack true
U="http://x-access-token:$TOKEN@${GITSRV_URL#http://}/calls.git"
git -C "$W" push -q "$U" main
"$GITDIAL" list --repo "$W" --shards 4 --format json >"$TMP/shards.json"
owners=$(jq -r '[.[].shard] | unique | length' "$TMP/shards.json")
ok_if "the eight campaigns are spread over the shards ($owners of 4 own some)" \
	test "$owners" -ge 3

for s in 0 1 2 3; do
	git clone -q --bare "$U" "$TMP/r$s.git"
	git -C "$TMP/r$s.git" config remote.origin.fetch '+refs/heads/*:refs/remotes/origin/*'
done
# The first round is a race forced with the publish hold (docs/testing.md):
# shard 0 has made its claim commit and waits while the other three claim
# from the same head (the shared numbers among them); it must lose the
# compare-and-swap and re-plan against their claims and the caps.
mkdir "$TMP/h"
GITDIAL_TEST_HOLD=$TMP/h "$GITDIAL" tick --repo "$TMP/r0.git" --remote origin --shard 0/4 \
	--now $T0 --format json >"$TMP/held" 2>"$TMP/held.err" & hp=$!
ok_if "shard 0 made its first claim commit and holds before publishing it" hold_wait "$TMP/h" $hp
stale=$(hold_commit "$TMP/h")
pids=()
for s in 1 2 3; do
	"$GITDIAL" tick --repo "$TMP/r$s.git" --remote origin --shard "$s/4" \
		--now $T0 >>"$TMP/log$s" 2>&1 & pids+=($!)
done
fails=0
for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
expect_eq "meanwhile shards 1-3 claim and place at the same minute" 0 "$fails"
hold_release "$TMP/h"
wait $hp; rc=$?
cat "$TMP/held" "$TMP/held.err" >>"$TMP/log0"
expect_eq "shard 0 then ends well" 0 "$rc"
lost=$(jq -r '.claim_rounds_lost' "$TMP/held" 2>/dev/null)
ok_if "…having lost its claim and re-planned from the new head (claim_rounds_lost ${lost:-none})" \
	test "${lost:-0}" -ge 1 2>/dev/null
ok_if "…its first claim commit never reached the branch" \
	test -z "$(git -C "$GITSRV_ROOT/calls.git" branch --contains "$stale" 2>/dev/null)"

# Then rounds every 10 simulated minutes to 30 minutes past END, the four
# shards' ticks of a round started together and awaited together: they
# race each other within a round, and a tick can lose the branch only to
# the few commits of the other three, so contention is bounded and no
# tick gives up however slow the machine is.
fails=0
for i in $(seq 1 21); do
	pids=()
	for s in 0 1 2 3; do
		"$GITDIAL" tick --repo "$TMP/r$s.git" --remote origin --shard "$s/4" \
			--now "$(minutes_after $T0 $((i * 10)))" >>"$TMP/log$s" 2>&1 & pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || fails=$((fails + 1)); done
done
expect_eq "4 shard runners x 21 more ticks through smart HTTP all succeeded" 0 "$fails"
[ "$fails" -eq 0 ] || grep -h "gitdial tick:" "$TMP"/log* | sort | uniq -c | head
echo "# $(cat "$TMP"/log* | grep -c "the branch moved under this tick") ticks lost a race and re-planned"

git clone -q "$U" "$TMP/check"
for id in $IDS; do
	ok_if "$id: no double dial, caps kept across campaigns, complete" \
		$AUDIT "$TMP/check" "$id" --caps --complete
done
"$GITDIAL" list --repo "$TMP/check" --format json >"$TMP/final.json"
expect_eq "every campaign is Completed" "8" \
	"$(jq '[.[] | select(.status == "Completed")] | length' "$TMP/final.json")"
n=$(git -C "$TMP/check" grep -h '"dispatched"' HEAD -- outcomes | grep -c '"+1305555000[0-2]"')
ok_if "the shared numbers were dialed, within the day's cap (3 each: $n in all)" \
	test "$n" -ge 1 -a "$n" -le 9
ok_if "git fsck of the remote is clean" git -C "$GITSRV_ROOT/calls.git" fsck --strict
finish
