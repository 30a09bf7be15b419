#!/usr/bin/env bash
# The init template's SIP sample campaign end to end: `gitdial init`,
# point the sip-trunk account and the agent at two sipp peers on
# 127.0.0.1, schedule it, and tick with --now. gitdial-sip dials through
# the "trunk" (sipp: +12125550182 is busy, the others answer and hang up),
# its detached processes spool the outcomes, the next tick ingests them,
# the busy number is retried after the cool-down, and the committed log
# accounts for every recipient with no double dial.
. "$(dirname "$0")/../lib.sh"
. "$TOP/tests/sip/lib-sip.sh"
trap 'sipp_kill_all; [ -n "${KEEP_TMP:-}" ] && echo "# kept $TMP" || rm -rf "$TMP"' EXIT

R=$TMP/repo
ID=sip-callback
T0=2026-11-24T15:00:00Z          # 10:00 in New York
SPOOL=$R/.git/gitdial/spool
export SIP_TRUNK_USER=alice SIP_TRUNK_PASSWORD=secret

at() { # at MINUTES: T0 + MINUTES
	date -u -d "@$(( $(date -u -d "$T0" +%s) + $1 * 60 ))" +%Y-%m-%dT%H:%M:%SZ
}
# outcomes_spooled N: N outcome events are waiting in the spool.
outcomes_spooled() {
	[ "$(grep -ls '"event":"outcome"' "$SPOOL"/*.json 2>/dev/null | wc -l)" -eq "$1" ]
}
tick() { # tick MINUTES: one tick at T0 + MINUTES, which must exit 0
	"$GITDIAL" tick --repo "$R" --now "$(at "$1")" >"$TMP/tick.out" 2>"$TMP/tick.err"
	expect_eq "tick at +$1 min exits 0" 0 "$?"
}

new_repo "$R"
ok_if "the template has the SIP sample as a draft on the sip-trunk account" \
	"$PY" -c 'import json,sys
c = json.load(open(sys.argv[1] + "/campaigns/sip-callback/campaign.json"))
g = json.load(open(sys.argv[1] + "/gitdial.json"))
assert c["status"] == "draft" and g["accounts"][c["account"]]["provider"] == "sip"' "$R"

port_pick TPORT
port_pick APORT
"$PY" - "$R/gitdial.json" "$TPORT" "$APORT" <<'EOF'
import json, sys
p, t, a = sys.argv[1:]
g = json.load(open(p))
g["accounts"]["sip-trunk"]["trunk"]["proxy"] = "sip:127.0.0.1:%s" % t
g["agent"]["sip_uri"] = "sip:agent@127.0.0.1:%s" % a
json.dump(g, open(p, "w"), indent=2)
EOF
git_commit_all "$R" "point the trunk and the agent at the test's sipp peers"
schedule "$R" "$ID" "$T0"
ok_if "validate accepts the repository" "$GITDIAL" validate --repo "$R"

# 4 calls reach the trunk: 0181 and 0183 answer, 0182 is busy twice
sipp_start trunk "$SIPDIR/rcp-campaign.xml" "$TPORT" -m 4 -d 400
sipp_start agent "$SIPDIR/agent-answer.xml" "$APORT" -m 2

tick 0
expect_grep "tick 1 dials two (concurrency 2)" "$ID: Dialing, \+2 dialed, 2 placed, 0 failed" "$TMP/tick.out"
ok_if "both calls end and their outcomes are spooled by the detached processes" \
	poll 25 outcomes_spooled 2
tick 1
expect_grep "tick 2 ingests the two outcomes and dials the third" \
	"$ID: Dialing, \+1 dialed, 1 placed, 0 failed, 2 outcomes in" "$TMP/tick.out"
ok_if "the third outcome is spooled" poll 25 outcomes_spooled 1
tick 2
expect_grep "tick 3 ingests it; the busy number waits for its cool-down" \
	"$ID: Dialing, \+0 dialed, 0 placed, 0 failed, 1 outcomes in" "$TMP/tick.out"
tick 30
ok_if "no redial before the 60-minute cool-down" \
	sh -c '! grep -E "\+[1-9][0-9]* dialed" "$1"' sh "$TMP/tick.out"
tick 62
expect_grep "after the cool-down the busy number is dialed again" \
	"$ID: Dialing, \+1 dialed, 1 placed" "$TMP/tick.out"
ok_if "its outcome is spooled" poll 25 outcomes_spooled 1
tick 63
expect_grep "the last tick ingests it and the campaign completes" \
	"$ID: Completed, .*1 outcomes in" "$TMP/tick.out"
expect_eq "sipp trunk: 4 calls as scripted (offerless INVITEs, answers in the ACKs)" 0 "$(sipp_wait trunk)"
expect_eq "sipp agent: 2 calls bridged, both ended by BYE" 0 "$(sipp_wait agent)"

ok_if "the committed log: every recipient accounted for, each attempt once, the right outcomes" \
	"$PY" - "$R" "$TMP/trunk.msg" <<'EOF'
import collections, glob, json, os, re, sys
repo, trace = sys.argv[1:]
ev = []
for p in sorted(glob.glob(os.path.join(repo, "outcomes", "sip-callback", "**", "*.jsonl"), recursive=True)):
    ev += [json.loads(l) for l in open(p) if l.strip()]
by = collections.defaultdict(list)
for e in ev:
    by[e["event"]].append(e)
disp = {e["attempt_id"]: e for e in by["dispatched"]}
placed = {e["attempt_id"]: e["call_id"] for e in by["placed"]}
outs = {e["attempt_id"]: e for e in by["outcome"]}
assert len(disp) == len(by["dispatched"]) == 4, by["dispatched"]
assert len(placed) == len(by["placed"]) == 4 and len(outs) == len(by["outcome"]) == 4
want = {"+12125550181": ["hangup"], "+12125550182": ["busy", "busy"], "+12125550183": ["hangup"]}
got = collections.defaultdict(list)
for aid in sorted(disp, key=lambda a: (disp[a]["phone"], disp[a]["attempt"])):
    o = outs[aid]
    assert o["call_id"] == placed[aid], (o, placed[aid])
    got[disp[aid]["phone"]].append(o["outcome"])
    if o["outcome"] == "busy":
        assert o["sip_code"] == 486, o
    else:
        assert o["connected"] is True and o["sip_code"] == 200, o
assert dict(got) == want, dict(got)
# the trunk saw exactly these calls: one INVITE (one Call-ID) per attempt
calls = collections.defaultdict(set)
for m in re.finditer(r"^INVITE sip:(\+\d+)@.*?^Call-ID: *(\S+)", open(trace).read(), re.M | re.S):
    calls[m.group(1)].add(m.group(2))
assert {k: len(v) for k, v in calls.items()} == {"+12125550181": 1, "+12125550182": 2, "+12125550183": 1}, calls
assert set().union(*calls.values()) == set(placed.values()), (calls, placed)
assert [e["status"] for e in by["status"]][-1] == "completed", by["status"]
EOF
ok_if "the trunk INVITEs present the caller ID in From and P-Asserted-Identity (the template's caller_id_header)" \
	sh -c 'test "$(grep -c "^From: <sip:+12125550150@" "$1")" -ge 4 && test "$(grep -c "^P-Asserted-Identity: <sip:+12125550150@" "$1")" -eq 4' sh "$TMP/trunk.msg"
ok_if "the agent's INVITEs carry the attempt and the recipient" \
	grep -q "^X-Gitdial-Attempt-Id: sip-callback.12125550181.1" "$TMP/agent.msg"
ok_if "the auditor accepts the log (complete, no double dial)" $AUDIT "$R" "$ID" --complete
ok_if "the spool is empty after ingestion" \
	test -z "$(find "$SPOOL" -maxdepth 1 -name '*.json' -print -quit)"
ok_if "every call's process has exited" poll 15 sip_procs_gone "$SPOOL"
ok_if "no sanitizer report from the calls' processes" \
	sh -c '! grep -l -E "Sanitizer|runtime error" "$1"/.sip/*.log' sh "$SPOOL"
ok_if "git fsck is clean" git -C "$R" fsck --no-progress
finish
