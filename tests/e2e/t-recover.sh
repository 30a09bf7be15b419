#!/usr/bin/env bash
# Recovering a Failed campaign without calling anyone twice: a campaign
# on the simulated carrier reaches people, then fails (the provider
# rejects its caller ID); after the fix, `gitdial resume` goes on from
# its own log and `gitdial duplicate --remaining` makes a copy over the
# recipients not yet reached. In both, the dials per recipient are
# counted from the log: nobody reached before the failure is dialed
# again, and everyone the failure refused is dialed afterwards.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/fake/lib-web.sh"

T0=2026-11-24T15:00:00Z
OP="Ops <ops@example.com>"

# run_to_failed REPO: campaign rec (30 recipients) dials for 20 minutes,
# then its caller ID is one the sim rejects and the next tick fails it.
run_to_failed() {
	local R=$1 m
	drafts_repo "$R" || exit 1
	add_campaign "$R" rec 30 212 5 2
	schedule "$R" rec $T0
	for m in $(seq 0 20); do
		"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $m)" >/dev/null 2>>"$TMP/ticks.err"
	done
	"$PY" - "$R" <<'EOF'
import json, sys
r = sys.argv[1]
g = json.load(open(r + "/gitdial.json"))
g["accounts"]["sim-main"]["caller_ids"].append("+12125550199")
json.dump(g, open(r + "/gitdial.json", "w"), indent=2)
c = json.load(open(r + "/campaigns/rec/campaign.json"))
c["caller_id"] = "+12125550199"
json.dump(c, open(r + "/campaigns/rec/campaign.json", "w"), indent=2)
EOF
	git_commit_all "$R" "rec: the new caller ID (not verified with the provider)"
	# the next tick that dials fails it (bounded: a cool-down may come first)
	for m in $(seq 21 29); do
		"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $m)" --format json \
			>"$TMP/tick-last.json" 2>>"$TMP/ticks.err"
		git -C "$R" grep -q '"status":"failed"' HEAD -- outcomes/rec && break
	done
}

# fix_caller REPO ID: back to the verified caller ID.
fix_caller() {
	"$PY" - "$1/campaigns/$2/campaign.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1]))
c["caller_id"] = "+12125550100"
json.dump(c, open(sys.argv[1], "w"), indent=2)
EOF
	git_commit_all "$1" "$2: the verified caller ID again"
}

# dials.py REPO ID... : checks over the logs, see the asserts
cat >"$TMP/dials.py" <<'EOF'
import json, subprocess, sys
repo, mode, first = sys.argv[1], sys.argv[2], sys.argv[3]
later = sys.argv[4:]
def events(cid):
    out = subprocess.run(["git", "-C", repo, "grep", "-h", "", "HEAD", "--", "outcomes/" + cid],
                         capture_output=True, text=True).stdout
    return sorted((json.loads(l) for l in out.splitlines()), key=lambda e: e["ts"])
ev = events(first)
fail_ts = min(e["ts"] for e in ev if e["event"] == "status" and e["status"] == "failed")
def phone(aid):
    return "+" + aid.rsplit(".", 2)[1]
reached = set()    # a connected call before the failure
refused = set()    # refused with the campaign
for e in ev:
    if e["event"] == "outcome" and e["ts"] <= fail_ts:
        if e.get("connected") or e.get("outcome") in ("connected", "hangup"):
            reached.add(phone(e["attempt_id"]))
        if (e.get("error") or {}).get("kind") == "rejected":
            refused.add(phone(e["attempt_id"]))
assert reached, "nobody was reached before the failure: the test proves nothing"
assert refused, "the failure refused nobody"
after = {}   # dials after the failure, per phone, over every campaign given
for cid in [first] + later:
    for e in events(cid):
        if e["event"] == "dispatched" and (cid != first or e["ts"] > fail_ts):
            after[e["phone"]] = after.get(e["phone"], 0) + 1
again = sorted(p for p in reached if p in after)
assert not again, "reached before the failure and dialed again: %s" % again
missed = sorted(p for p in refused if p not in after)
assert not missed, "refused by the failure and never dialed again: %s" % missed
# per recipient and campaign, attempts are 1, 2, 3 ... once each
for cid in [first] + later:
    seen = {}
    for e in events(cid):
        if e["event"] == "dispatched":
            k = (e["phone"], e["attempt"])
            assert k not in seen, "%s dialed twice as attempt %d in %s" % (e["phone"], e["attempt"], cid)
            seen[k] = 1
print(len(reached), len(refused), sum(after.values()))
EOF

# 1. resume: the Failed campaign goes on from its own log (ticks to
# minute 29 at most, the operator comes at 30)
R=$TMP/repo
run_to_failed "$R"
expect_eq "the rejected caller ID fails the campaign" 1 \
	"$(git -C "$R" grep -h '"status":"failed"' HEAD -- outcomes/rec | wc -l)"
"$GITDIAL" show rec --repo "$R" --now "$(minutes_after $T0 29)" >"$TMP/show-failed" 2>&1
expect_grep "show says Failed" 'Status *Failed' "$TMP/show-failed"
ok_if "show counts nobody as queued on a Failed campaign" \
	grep -Eq 'Progress .* 0 queued|not called' "$TMP/show-failed"
"$GITDIAL" show rec --repo "$R" --now "$(minutes_after $T0 29)" --format json >"$TMP/show-failed.json"
expect_eq "show's JSON: queued 0 on a Failed campaign" 0 \
	"$(jv "$TMP/show-failed.json" 'd["progress"]["queued"]')"
expect_eq "the failing tick's in flight = show's (the refused calls are not in flight)" \
	"$(jv "$TMP/show-failed.json" 'd["progress"]["in_flight"]')" \
	"$(jv "$TMP/tick-last.json" '[c for c in d["campaigns"] if c["id"] == "rec"][0]["in_flight"]')"
fix_caller "$R" rec
"$GITDIAL" resume rec --repo "$R" --author "$OP" --now "$(minutes_after $T0 30)" >"$TMP/resume" 2>&1
expect_eq "gitdial resume takes a Failed campaign" 0 $?
expect_grep "... and says who is dialed and who is not" 'not reached yet are dialed' "$TMP/resume"
expect_eq "the resumption is an event of the log, by the operator" 1 \
	"$(git -C "$R" grep -h '"reason":"resumed after failed by Ops <ops@example.com>"' HEAD -- outcomes/rec | wc -l)"
"$GITDIAL" show rec --repo "$R" --now "$(minutes_after $T0 30)" >"$TMP/show-resumed" 2>&1
expect_grep "show says Dialing again" 'Status *Dialing' "$TMP/show-resumed"
for m in $(seq 31 3 400); do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $m)" >/dev/null 2>>"$TMP/ticks.err"
done
expect_eq "the resumed campaign completes" 1 \
	"$(git -C "$R" grep -h '"status":"completed"' HEAD -- outcomes/rec | wc -l)"
ok_if "after resume: nobody reached before is dialed again, everyone refused is" \
	"$PY" "$TMP/dials.py" "$R" resume rec
"$GITDIAL" resume rec --repo "$R" --author "$OP" --now "$(minutes_after $T0 401)" >"$TMP/resume2" 2>&1
expect_eq "a Completed campaign is not resumed" 1 $?
expect_grep "... Completed is final" 'Completed is final' "$TMP/resume2"
"$GITDIAL" audit rec --repo "$R" >"$TMP/audit1" 2>&1
ok_if "audit finds nothing wrong in the resumed log" sh -c "! grep -q 'not-by-runner\|unaccounted' '$TMP/audit1'"

# 2. duplicate --remaining: a copy over the recipients not yet reached
R=$TMP/repo2
run_to_failed "$R"
"$GITDIAL" duplicate rec --as rec-all --repo "$R" --author "$OP" \
	--now "$(minutes_after $T0 30)" >"$TMP/dup-all" 2>&1
expect_grep "a plain duplicate of a campaign with calls says it calls them again" \
	"all of rec.s, whose log has calls: the copy calls them again" "$TMP/dup-all"
"$GITDIAL" duplicate rec --remaining --as rec-rest --repo "$R" --author "$OP" \
	--now "$(minutes_after $T0 30)" >"$TMP/dup" 2>&1
expect_eq "duplicate --remaining takes a Failed campaign" 0 $?
expect_grep "... and says how many rows it took" 'recipients not yet reached, in campaigns/rec-rest/audience.csv' "$TMP/dup"
ok_if "the copy's audience: the header and rows copied verbatim, each once" "$PY" - "$R" <<'EOF'
import sys
r = sys.argv[1]
orig = open(r + "/campaigns/rec/audience.csv").read().splitlines()
git = __import__("subprocess").run(["git", "-C", r, "show", "HEAD:campaigns/rec-rest/audience.csv"],
                                   capture_output=True, text=True).stdout.splitlines()
assert git[0] == orig[0], git[0]
assert 0 < len(git) - 1 < len(orig) - 1, len(git)
assert all(l in orig[1:] for l in git[1:]), "a row not from the original"
assert len(set(git[1:])) == len(git) - 1
EOF
"$GITDIAL" show rec --repo "$R" --now "$(minutes_after $T0 31)" >"$TMP/show-moved" 2>&1
expect_grep "show sends the operator to the copy, not to resume" \
	'What to do *nothing here: the recipients not reached yet are in the copy' "$TMP/show-moved"
"$GITDIAL" resume rec --repo "$R" --author "$OP" --now "$(minutes_after $T0 31)" >"$TMP/resume3" 2>&1
expect_eq "the original cannot be resumed once its rows moved" 1 $?
expect_grep "... saying where they went" 'moved to campaign rec-rest' "$TMP/resume3"
"$GITDIAL" duplicate rec --remaining --repo "$R" --author "$OP" \
	--now "$(minutes_after $T0 31)" >"$TMP/dup2" 2>&1
expect_eq "nor its remaining rows taken twice" 1 $?
fix_caller "$R" rec-rest
schedule "$R" rec-rest "$(minutes_after $T0 32)"
for m in $(seq 32 3 400); do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $m)" >/dev/null 2>>"$TMP/ticks.err"
done
expect_eq "the copy completes" 1 \
	"$(git -C "$R" grep -h '"status":"completed"' HEAD -- outcomes/rec-rest | wc -l)"
expect_eq "the original dials nobody after the failure" 0 \
	"$(git -C "$R" grep -h '"dispatched"' HEAD -- outcomes/rec | "$PY" -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
print(sum(1 for e in ev if e["ts"] > "2026-11-24T15:30:00Z"))')"
ok_if "with the copy: nobody reached before is dialed again, everyone refused is" \
	"$PY" "$TMP/dials.py" "$R" duplicate rec rec-rest
"$GITDIAL" audit --repo "$R" >"$TMP/audit2" 2>&1
ok_if "audit takes the operator's failed status of duplicate --remaining" \
	sh -c "! grep -q 'not-by-runner' '$TMP/audit2'"
"$GITDIAL" duplicate rec-rest --remaining --repo "$R" --author "$OP" \
	--now "$(minutes_after $T0 401)" >"$TMP/dup3" 2>&1
expect_eq "a Completed campaign has no remaining rows to copy" 1 $?
ok_if "git fsck is clean" git -C "$R" fsck --strict
finish
