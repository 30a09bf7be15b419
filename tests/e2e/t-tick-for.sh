#!/usr/bin/env bash
# tick --for: complete, independent ticks one after another in one
# process, so a */5 schedule keeps a campaign at its concurrency; with
# --now the clock is simulated (each tick --every seconds after the one
# before, no waiting). SIGTERM ends the loop after the tick in
# progress, with every claim placed and recorded.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

R=$TMP/repo
drafts_repo "$R" || exit 1
add_campaign "$R" loop 40 212 4 0
T0=2026-11-24T15:00:00Z
schedule "$R" loop $T0
log() { git -C "$R" grep -h "$1" HEAD -- outcomes/loop; }

"$GITDIAL" tick --repo "$R" --now $T0 --for 20m --every 60 --format json >"$TMP/for.json" 2>"$TMP/for.err"
expect_eq "--for 20m --every 60 on a simulated clock exits 0" 0 $?
expect_eq "... and runs 20 ticks" 20 "$(wc -l <"$TMP/for.json")"
ok_if "each tick is a minute after the one before, never over the concurrency" "$PY" - "$R" "$TMP/for.json" <<'EOF'
import json, subprocess, sys
r, out = sys.argv[1:3]
ticks = [json.loads(l) for l in open(out)]
for t in ticks:
    for c in t["campaigns"]:
        assert c["in_flight"] <= 4, c
log = subprocess.run(["git", "-C", r, "grep", "-h", "", "HEAD", "--", "outcomes/loop"],
                     capture_output=True, text=True).stdout
ts = sorted({json.loads(l)["ts"] for l in log.splitlines() if '"dispatched"' in l})
assert ts[0] == "2026-11-24T15:00:00Z", ts
assert all(t[17:] == "00Z" for t in ts), ts          # whole minutes only
assert len(ts) >= 5, ts                              # slots refilled tick after tick
EOF
busy=$("$PY" - "$TMP/for.json" <<'EOF'
import json, sys
ticks = [json.loads(l) for l in open(sys.argv[1])]
print(sum(1 for t in ticks if any(c["in_flight"] == 4 for c in t["campaigns"])))
EOF
)
ok_if "the campaign was at its concurrency after most ticks ($busy of 20)" test "$busy" -ge 15
expect_eq "usage: --dry-run with --for" 2 "$("$GITDIAL" tick --repo "$R" --dry-run --for 60 >/dev/null 2>&1; echo $?)"
expect_eq "usage: a bad duration" 2 "$("$GITDIAL" tick --repo "$R" --for 5x >/dev/null 2>&1; echo $?)"

# SIGTERM in the middle of a long run: it ends after the tick in progress
R2=$TMP/repo2
drafts_repo "$R2" || exit 1
add_campaign "$R2" term 200 212 5 2
schedule "$R2" term $T0
start=$(git -C "$R2" rev-list --count HEAD)
"$GITDIAL" tick --repo "$R2" --now $T0 --for 24h --every 30 >"$TMP/term.out" 2>"$TMP/term.err" &
pid=$!
wait_long() { # CMD...: like wait_for, bounded at 60 s (a loaded machine)
	local i
	for i in $(seq 2400); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.025
	done
	return 1
}
moved() { [ "$(git -C "$R2" rev-list --count HEAD)" -gt $((start + 4)) ]; }
wait_long moved
kill -TERM $pid
gone_now() { ! kill -0 $pid 2>/dev/null; }
wait_long gone_now
wait $pid
expect_eq "SIGTERM: exit 0 after the tick in progress" 0 $?
expect_grep "... saying it stopped on a signal" 'before a stop signal' "$TMP/term.out"
ticks=$(grep -oE '^[0-9]+ ticks' "$TMP/term.out" | cut -d' ' -f1)
ok_if "... long before its 2,880 ticks ($ticks)" test "${ticks:-9999}" -lt 2880
ok_if "every claim was placed or recorded as failed (nothing claimed and left)" "$PY" - "$R2" <<'EOF'
import json, subprocess, sys
log = subprocess.run(["git", "-C", sys.argv[1], "grep", "-h", "", "HEAD", "--", "outcomes/term"],
                     capture_output=True, text=True).stdout
ev = [json.loads(l) for l in log.splitlines()]
disp = {e["attempt_id"] for e in ev if e["event"] == "dispatched"}
closed = {e["attempt_id"] for e in ev if e["event"] in ("placed", "outcome") and "attempt_id" in e}
assert disp and disp <= closed, sorted(disp - closed)[:5]
EOF
ok_if "git fsck is clean" git -C "$R2" fsck --strict
finish
