#!/usr/bin/env bash
# Opt-outs the agent reports (analysis events with opt_out: true) reach
# dnc/ in the same commit that ingests them, and the number is never
# dispatched again, by this campaign or another.
. "$(dirname "$0")/../lib.sh"

R=$TMP/repo
new_repo "$R" >/dev/null
rm -rf "$R/campaigns/"*
add_campaign "$R" first 200 212 20 2
add_campaign "$R" second 200 212 20 2
T0=2026-11-24T14:00:00Z
schedule "$R" first $T0
for i in $(seq 0 40); do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 3)))" >/dev/null
done
n=$(cat "$R"/dnc/optouts-*.jsonl 2>/dev/null | wc -l)
ok_if "opt-outs were written to dnc/ ($n)" test "$n" -gt 0
ok_if "each opt-out is committed with the analysis event that reported it" \
	/usr/bin/python3 - "$R" <<'PY'
import json, subprocess, sys
repo = sys.argv[1]
git = lambda *a: subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True, text=True).stdout
for c in git("log", "--format=%H", "--", "dnc").split():
    added = git("show", "--format=", "-p", c)
    for line in added.splitlines():
        if line.startswith('+{') and '"opted out during the call"' in line:
            phone = json.loads(line[1:])["phone"].lstrip("+")
            if not any('"analysis"' in l and '"opt_out":true' in l and "." + phone + "." in l
                       for l in added.splitlines()):
                sys.exit("opt-out of +%s in %s without its analysis event" % (phone, c))
PY
# the second campaign, with the same numbers, starts now
schedule "$R" second "$(minutes_after $T0 123)"
for i in $(seq 41 80); do
	"$GITDIAL" tick --repo "$R" --now "$(minutes_after $T0 $((i * 3)))" >/dev/null
done
opted=$(cat "$R"/dnc/optouts-*.jsonl | sed 's/.*"phone":"\([^"]*\)".*/\1/' | sort -u | tr '\n' ' ')
ok_if "the second campaign never dials an opted-out number" $AUDIT "$R" second --dnc $opted
expect_grep "the second campaign logs them as skipped (dnc)" '"reason":"dnc"' \
	<(git -C "$R" grep -h '"skipped"' HEAD -- outcomes/second)
ok_if "the first campaign does not dial them again after the opt-out" \
	/usr/bin/python3 - "$R" <<'PY'
import json, subprocess, sys
repo = sys.argv[1]
git = lambda *a: subprocess.run(["git", "-C", repo, *a], check=True, capture_output=True, text=True).stdout
opt = {}
for f in git("ls-tree", "-r", "--name-only", "HEAD", "dnc").split():
    if "optouts-" in f:
        for l in git("show", "HEAD:" + f).splitlines():
            e = json.loads(l)
            opt[e["phone"]] = e["ts"]
for f in git("ls-tree", "-r", "--name-only", "HEAD", "outcomes/first").split():
    for l in git("show", "HEAD:" + f).splitlines():
        e = json.loads(l)
        if e["event"] == "dispatched" and e["phone"] in opt and e["ts"] > opt[e["phone"]]:
            sys.exit("%s dispatched at %s after opting out at %s" % (e["phone"], e["ts"], opt[e["phone"]]))
PY
finish
